//! Hardship files in the store (issue 16): the income test decides the level and the file
//! records the rule-set version that decided it; one file per member that is not closed;
//! confirmation and review dates; leaving with a reason; scope (another school's chair
//! and a member without the assistance permission get nothing); the full view is audited;
//! the SQLite file holds no household text or income in plain; year figures and due items
//! in one query each. Both engines, except the raw-file reader (SQLite).
//!
//! Must never read files with the system capability where a person's capability is meant.

use domain::assistance::*;
use domain::auth::{Role, perm};
use store::StoreError;
use store::area::Reach;
use store::assistance::{files, rules};
use testkit::*;

fn household(size: u32, income_yuan: &str, note: &str) -> Household {
    HouseholdInput {
        size: size.to_string(),
        rows: vec![
            (
                "member".into(),
                "48".into(),
                income_yuan.into(),
                "illness".into(),
            ),
            ("child".into(), "15".into(), "".into(), "student".into()),
        ],
        causes: vec!["illness".into()],
        note: note.into(),
    }
    .parse()
    .unwrap()
}

async fn count(t: &TestDb, sql: &'static str) -> i64 {
    store::on_db!(t.db(), |p| sqlx::query_scalar(sql).fetch_one(p).await).unwrap()
}

fn field_of(e: StoreError) -> (&'static str, &'static str) {
    match e {
        StoreError::Invalid(f) => (f.0[0].field, f.0[0].key),
        other => panic!("expected a field error, got {other:?}"),
    }
}

dual_test!(async fn the_income_test_decides_the_level_and_the_file_names_its_rule_version(t) {
    let st = &t.store;
    let o = org(st).await;
    let m = member(st, o.school_a, "困难甲", 1).await;
    let committee = actor(&[(Role::CommitteeMember, o.school_a)]);
    let draft_cap = committee.authorize::<perm::AssistanceDraft>().unwrap();
    // ¥2,500 for three people: ¥833.33 each, below the (local) ¥1,000: deep hardship.
    let id = files::draft(st, &draft_cap, &who(), "困难甲", &household(3, "2500", ""), today()).await.unwrap();
    let view = sys::<perm::AssistanceView>();
    let (row, history) = files::get(&st.db, &view, id).await.unwrap();
    assert_eq!((row.member_id, row.status, row.level), (m, FileStatus::Draft, HardshipLevel::Deep));
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].rule_set_id, Some(row.rule_set_id));
    // A committee member cannot confirm; the chair can, and the review falls due in 12 months.
    assert!(committee.authorize::<perm::AssistanceConfirm>().is_err());
    let chair = actor(&[(Role::SchoolChair, o.school_a)]);
    files::confirm(st, &chair.authorize().unwrap(), &who(), id, today()).await.unwrap();
    let (row, _) = files::get(&st.db, &view, id).await.unwrap();
    assert_eq!(row.status, FileStatus::Open);
    assert_eq!(row.opened_on, Some(today()));
    assert_eq!(row.review_due, Some(AssistanceRules::DEFAULT.review_due(today())));
    // Confirming twice is refused at the status, nothing changes.
    let e = files::confirm(st, &chair.authorize().unwrap(), &who(), id, today()).await.unwrap_err();
    assert_eq!(field_of(e), ("status", text::NOT_A_DRAFT));

    // The district raises the standard to ¥2,000 (a new version): the review runs under it,
    // and the file names it.
    let staff = actor(&[(Role::UnionStaff, o.union)]);
    let v2 = rules::add_version(st, &staff.authorize().unwrap(), &who(), o.union, &AssistanceRules { low_income_fen: 200_000, ..AssistanceRules::DEFAULT }, Some("2026 标准")).await.unwrap();
    assert_ne!(v2, row.rule_set_id);
    // ¥7,000 for three (¥2,333.33 each): relative under v2 (between ¥2,000 and ¥3,000), not
    // eligible under v1.
    let level = files::review(st, &draft_cap, &who(), id, &household(3, "7000", ""), today()).await.unwrap();
    assert_eq!(level, HardshipLevel::Relative);
    let (row, history) = files::get(&st.db, &view, id).await.unwrap();
    assert_eq!((row.level, row.rule_set_id), (HardshipLevel::Relative, v2));
    assert_eq!(history.iter().map(|h| h.kind).collect::<Vec<_>>(), [FileEvent::Drafted, FileEvent::Confirmed, FileEvent::Reviewed]);
    assert_eq!(history[2].rule_set_id, Some(v2));
    // Every step is audited.
    assert_eq!(count(&t, "SELECT COUNT(*) FROM audit_log WHERE entity_type = 'hardship_file'").await, 3);
});

dual_test!(async fn bad_input_is_refused_at_its_field_and_nothing_is_written(t) {
    let st = &t.store;
    let o = org(st).await;
    member(st, o.school_a, "困难乙", 2).await;
    let cap = actor(&[(Role::CommitteeMember, o.school_a)]).authorize::<perm::AssistanceDraft>().unwrap();
    // Not eligible: ¥4,500 for three is exactly 1.5× the standard.
    let e = files::draft(st, &cap, &who(), "困难乙", &household(3, "4500", ""), today()).await.unwrap_err();
    let (field, key) = field_of(e);
    assert_eq!((field, key), ("household_size", text::NOT_ELIGIBLE));
    assert_eq!(count(&t, "SELECT COUNT(*) FROM hardship_file").await, 0);
    // A member that does not exist in the school.
    let e = files::draft(st, &cap, &who(), "无此人", &household(3, "100", ""), today()).await.unwrap_err();
    assert_eq!(field_of(e), ("member", text::MEMBER_UNKNOWN));
    // A second file for a member whose file is not closed.
    let id = files::draft(st, &cap, &who(), "困难乙", &household(3, "100", ""), today()).await.unwrap();
    let e = files::draft(st, &cap, &who(), "困难乙", &household(2, "100", ""), today()).await.unwrap_err();
    assert_eq!(field_of(e), ("member", text::FILE_ALREADY_OPEN));
    assert_eq!(count(&t, "SELECT COUNT(*) FROM hardship_file").await, 1);
    // Leaving needs a reason; after leaving, a new file may be opened and the old one stays.
    let e = files::exit(st, &cap, &who(), id, "  ", today()).await.unwrap_err();
    assert_eq!(field_of(e), ("reason", text::EXIT_REASON_REQUIRED));
    files::exit(st, &cap, &who(), id, "子女就业，收入好转", today()).await.unwrap();
    files::draft(st, &cap, &who(), "困难乙", &household(2, "100", ""), today()).await.unwrap();
    assert_eq!(count(&t, "SELECT COUNT(*) FROM hardship_file").await, 2);
    // A review of a file that was left is refused.
    let e = files::review(st, &cap, &who(), id, &household(3, "100", ""), today()).await.unwrap_err();
    assert_eq!(field_of(e), ("status", text::NOT_OPEN));
});

dual_test!(async fn another_schools_chair_and_the_area_lead_reach_nothing_and_a_full_view_is_audited(t) {
    let st = &t.store;
    let o = org(st).await;
    member(st, o.school_a, "困难丙", 3).await;
    let cap = actor(&[(Role::SchoolChair, o.school_a)]).authorize::<perm::AssistanceDraft>().unwrap();
    let id = files::draft(st, &cap, &who(), "困难丙", &household(4, "1000", "丈夫尿毒症透析"), today()).await.unwrap();
    // The chair of school B: the file is missing for every step, and B cannot draft for A's member.
    let b = actor(&[(Role::SchoolChair, o.school_b)]);
    assert!(matches!(files::get(&st.db, &b.authorize().unwrap(), id).await, Err(StoreError::NotFound)));
    assert!(matches!(files::reveal(st, &b.authorize().unwrap(), &who(), id).await, Err(StoreError::NotFound)));
    assert!(matches!(files::confirm(st, &b.authorize().unwrap(), &who(), id, today()).await, Err(StoreError::NotFound)));
    assert!(matches!(files::exit(st, &b.authorize().unwrap(), &who(), id, "x", today()).await, Err(StoreError::NotFound)));
    let e = files::draft(st, &b.authorize().unwrap(), &who(), &format!("#{}", 1), &household(3, "100", ""), today()).await;
    assert!(e.is_err());
    assert!(files::list(&st.db, &b.authorize().unwrap(), &files::Filter::default(), 50).await.unwrap().is_empty());
    // Area leads, members and delegates hold no assistance permission at all.
    for role in [Role::AreaLead, Role::Member, Role::Delegate, Role::FinanceOfficer] {
        assert!(actor(&[(role, o.area_a)]).authorize::<perm::AssistanceView>().is_err(), "{role:?}");
    }
    // Nothing of A changed.
    let (row, _) = files::get(&st.db, &sys(), id).await.unwrap();
    assert_eq!(row.status, FileStatus::Draft);
    assert_eq!(count(&t, "SELECT COUNT(*) FROM audit_log WHERE action = 'hardship_file.view'").await, 0);
    // The district's staff see it; the full view decrypts and is audited.
    let staff = actor(&[(Role::UnionStaff, o.union)]);
    let list = files::list(&st.db, &staff.authorize().unwrap(), &files::Filter::default(), 50).await.unwrap();
    assert_eq!(list.len(), 1);
    let full = files::reveal(st, &staff.authorize().unwrap(), &who(), id).await.unwrap();
    assert_eq!(full.household.note, "丈夫尿毒症透析");
    assert_eq!(full.income_fen, 25_000);
    assert_eq!(full.history[0].income_fen, Some(25_000));
    assert_eq!(count(&t, "SELECT COUNT(*) FROM audit_log WHERE action = 'hardship_file.view'").await, 1);
    // The audit record names the file, never its content.
    let changes: String = store::on_db!(t.db(), |p| sqlx::query_scalar("SELECT changes FROM audit_log WHERE action = 'hardship_file.view'").fetch_one(p).await).unwrap();
    assert!(!changes.contains("尿毒症") && !changes.contains("25000"), "{changes}");
});

#[tokio::test]
async fn the_sqlite_file_holds_no_illness_or_income_in_plain_text() {
    let t = sqlite().await;
    let st = &t.store;
    let o = org(st).await;
    member(st, o.school_a, "困难丁", 4).await;
    let cap = actor(&[(Role::SchoolChair, o.school_a)])
        .authorize::<perm::AssistanceDraft>()
        .unwrap();
    // ¥12,345.67 for twenty people: ¥617.28 each.
    let id = files::draft(
        st,
        &cap,
        &who(),
        "困难丁",
        &household(20, "12345.67", "肺癌晚期正在化疗"),
        today(),
    )
    .await
    .unwrap();
    files::exit(st, &cap, &who(), id, "病故后家属另行安置", today())
        .await
        .unwrap();
    let bytes = t.raw_sqlite_bytes().await;
    let text = String::from_utf8_lossy(&bytes);
    for secret in [
        "肺癌", "化疗", "病故", "1234567", "61728", "illness", "student",
    ] {
        assert!(!text.contains(secret), "{secret} in plain text");
    }
    assert!(
        text.contains("困难丁"),
        "the test reads the file it means to"
    );
}

dual_test!(async fn year_figures_and_due_items_take_a_fixed_number_of_queries_whatever_the_schools(t) {
    let st = &t.store;
    let o = org(st).await;
    let staff = actor(&[(Role::UnionStaff, o.union)]);
    let draft = staff.authorize::<perm::AssistanceDraft>().unwrap();
    let confirm = staff.authorize::<perm::AssistanceConfirm>().unwrap();
    let long_ago = today() - chrono::Duration::days(370);
    for (i, school) in [o.school_a, o.school_a2, o.school_b].into_iter().enumerate() {
        let name = format!("困难{i}");
        member(st, school, &name, 10 + i as u32).await;
        let id = files::draft(st, &draft, &who(), &name, &household(3, "100", ""), long_ago).await.unwrap();
        files::confirm(st, &confirm, &who(), id, long_ago).await.unwrap();
    }
    let view = staff.authorize::<perm::AssistanceView>().unwrap();
    let reach = Reach::of(&view);
    let before = st.db.query_count();
    let due = store::assistance::due_items(st, &reach, today()).await.unwrap();
    let figures = store::assistance::year_figures(st, &reach, chrono::Datelike::year(&today())).await.unwrap();
    assert_eq!(
        st.db.query_count() - before,
        8,
        "due items: reviews one query, visits five (rules, reports, retirements, files, visits); figures two (files; grants and visits)"
    );
    // Every review is overdue (confirmed 370 days ago, 12 months): three items, no names.
    assert_eq!(due.len(), 3);
    assert!(due.iter().all(|d| d.kind == "due-assistance-review" && d.title.starts_with('#') && d.due < today()));
    assert!(due.iter().all(|d| !d.title.contains("困难")));
    let totals = store::area::totals(&figures);
    assert_eq!(totals.get("figure-assistance-files-under-review"), Some(&3));
    // Area A's chair sees only school A's.
    let chair = actor(&[(Role::SchoolChair, o.school_a)]);
    let a_view = chair.authorize::<perm::AssistanceView>().unwrap();
    let due = store::assistance::due_items(st, &Reach::of(&a_view), today()).await.unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].unit, o.school_a);
});

dual_test!(async fn the_demo_year_opens_the_seeds_56_hardship_files(t) {
    let opts = store::demo::DemoOptions { members: 300, seed: 3, today: today(), logins: false };
    let sys_cap = domain::auth::SystemCap::for_cli();
    store::demo::load(&t.store, &sys_cap, None, &opts).await.unwrap();
    let figures = store::assistance::year_figures(&t.store, &Reach::system(&sys_cap), chrono::Datelike::year(&today())).await.unwrap();
    let totals = store::area::totals(&figures);
    assert_eq!(totals.get("figure-assistance-files-opened"), Some(&(store::assistance::demo::DEMO_FILES as i64)));
    assert_eq!(store::assistance::demo::DEMO_FILES, 56);
    // Both levels occur, each file decided by the income test with its history.
    let list = files::list(&t.store.db, &sys(), &files::Filter::default(), 100).await.unwrap();
    assert_eq!(list.len(), 56);
    assert!(list.iter().any(|f| f.level == HardshipLevel::Deep) && list.iter().any(|f| f.level == HardshipLevel::Relative));
    assert!(list.iter().all(|f| f.status == FileStatus::Open));
    // Seed 002: 11 grants totalling ¥10,300, paid after two approvals; 9 visits.
    assert_eq!(totals.get("figure-assistance-grants"), Some(&11));
    assert_eq!(totals.get("figure-assistance-grants-fen"), Some(&1_030_000));
    assert_eq!(totals.get("figure-assistance-visits"), Some(&9));
    let in_campaign: i64 = store::on_db!(t.db(), |p| sqlx::query_scalar("SELECT COUNT(*) FROM relief_grant WHERE campaign_id IS NOT NULL AND status = 'paid'").fetch_one(p).await).unwrap();
    assert!(in_campaign >= 1, "the warmth campaign paid some");
    // The fund never went below zero and holds what is left of the allocation.
    let balance: i64 = store::on_db!(t.db(), |p| sqlx::query_scalar("SELECT balance_fen FROM relief_fund").fetch_one(p).await).unwrap();
    assert_eq!(balance, 3_000_000 - 1_030_000);
    // A hospital stay reported lately waits on the due list.
    let due = store::assistance::visits::due(&t.store.db, &domain::auth::Scope::All, today()).await.unwrap();
    assert!(due.iter().any(|d| d.visit_type == domain::assistance::VisitType::Hospitalisation));
});

async fn person(t: &TestDb, name: &str) -> store::audit::Who {
    let id = store::auth::create_account_system(
        &domain::auth::SystemCap::for_cli(),
        &t.store,
        &who(),
        &store::auth::NewAccount {
            username: name.into(),
            display_name: name.into(),
            member: None,
            password_hash: None,
        },
    )
    .await
    .unwrap();
    store::audit::Who {
        account: Some(id),
        label: name.into(),
        request_id: None,
    }
}

dual_test!(async fn a_grant_needs_two_different_approvers_stays_under_the_cap_and_never_overdraws_the_fund(t) {
    use store::assistance::grants;
    let st = &t.store;
    let o = org(st).await;
    member(st, o.school_a, "困难戊", 5).await;
    let (committee, chair_who, staff_who, staff2_who) = (person(&t, "weiyuan").await, person(&t, "zhuxi").await, person(&t, "quzong").await, person(&t, "quzong2").await);
    let committee_cap = actor(&[(Role::CommitteeMember, o.school_a)]).authorize::<perm::AssistanceDraft>().unwrap();
    let chair = actor(&[(Role::SchoolChair, o.school_a)]);
    let staff = actor(&[(Role::UnionStaff, o.union)]);
    let file = files::draft(st, &committee_cap, &committee, "困难戊", &household(3, "1500", ""), today()).await.unwrap();
    // No grant before the chair confirms the file.
    let e = grants::apply(st, &committee_cap, &committee, file, 300_000, "住院手术", today()).await.unwrap_err();
    assert_eq!(field_of(e), ("file", text::GRANT_FILE_NOT_OPEN));
    files::confirm(st, &chair.authorize().unwrap(), &chair_who, file, today()).await.unwrap();
    let g = grants::apply(st, &committee_cap, &committee, file, 300_000, "住院手术", today()).await.unwrap();
    // Deep hardship's (local) cap is ¥5,000 a year: ¥2,500 more would pass it.
    let e = grants::apply(st, &committee_cap, &committee, file, 250_000, "再次申请", today()).await.unwrap_err();
    let (field, key) = field_of(e);
    assert_eq!((field, key), ("amount", text::GRANT_ABOVE_CAP));
    // The applicant cannot approve; the chair can.
    let chair_cap = chair.authorize::<perm::AssistanceConfirm>().unwrap();
    let e = grants::approve_school(st, &chair_cap, &committee, g).await.unwrap_err();
    assert_eq!(field_of(e), ("approver", text::GRANT_SAME_APPROVER));
    grants::approve_school(st, &chair_cap, &chair_who, g).await.unwrap();
    // The school's chair cannot give the district's approval, nor can the same person twice.
    assert!(grants::approve_district(st, &chair_cap, &staff_who, g).await.is_err());
    let staff_cap = staff.authorize::<perm::AssistanceConfirm>().unwrap();
    let e = grants::approve_district(st, &staff_cap, &chair_who, g).await.unwrap_err();
    assert_eq!(field_of(e), ("approver", text::GRANT_SAME_APPROVER));
    // Paying before the district's approval is the wrong step.
    let e = grants::pay(st, &staff_cap, &staff_who, g, today()).await.unwrap_err();
    assert_eq!(field_of(e), ("status", text::GRANT_WRONG_STEP));
    grants::approve_district(st, &staff_cap, &staff_who, g).await.unwrap();
    // An empty fund, then ¥2,000: refused with the balance named, nothing paid.
    let e = grants::pay(st, &staff_cap, &staff2_who, g, today()).await.unwrap_err();
    match e {
        StoreError::Invalid(f) => {
            assert_eq!(f.0[0].key, text::GRANT_ABOVE_BALANCE);
            assert!(f.0[0].args.contains(&("balance", "0.00".into())));
        }
        other => panic!("{other:?}"),
    }
    let bal = grants::add_income(st, &staff_cap, &staff_who, o.union, FundEntryKind::Allocation, 200_000, today()).await.unwrap();
    assert_eq!(bal, 200_000);
    let e = grants::pay(st, &staff_cap, &staff2_who, g, today()).await.unwrap_err();
    match e {
        StoreError::Invalid(f) => assert!(f.0[0].args.contains(&("balance", "2000.00".into())), "{:?}", f.0[0].args),
        other => panic!("{other:?}"),
    }
    assert_eq!(grants::get(st, &sys(), g).await.unwrap().status, GrantStatus::Approved);
    grants::add_income(st, &staff_cap, &staff_who, o.union, FundEntryKind::Donation, 100_000, today()).await.unwrap();
    let left = grants::pay(st, &staff_cap, &staff2_who, g, today()).await.unwrap();
    assert_eq!(left, 0);
    assert_eq!(grants::balance(&st.db, &sys(), o.union).await.unwrap(), 0);
    let paid = grants::get(st, &sys(), g).await.unwrap();
    assert_eq!((paid.status, paid.paid_on), (GrantStatus::Paid, Some(today())));
    // Paying twice is the wrong step; the ledger holds the two incomes and one payment.
    assert!(grants::pay(st, &staff_cap, &staff2_who, g, today()).await.is_err());
    assert_eq!(count(&t, "SELECT CAST(SUM(amount_fen) AS BIGINT) FROM relief_fund_entry").await, 0);
    assert_eq!(count(&t, "SELECT COUNT(*) FROM relief_fund_entry").await, 3);
    // The year's figures count the paid grant and its amount.
    let figures = store::assistance::year_figures(st, &Reach::of(&staff_cap), chrono::Datelike::year(&today())).await.unwrap();
    let totals = store::area::totals(&figures);
    assert_eq!(totals.get("figure-assistance-grants"), Some(&1));
    assert_eq!(totals.get("figure-assistance-grants-fen"), Some(&300_000));
    // Another school's chair sees nothing of it.
    let b = actor(&[(Role::SchoolChair, o.school_b)]);
    assert!(matches!(grants::get(st, &b.authorize().unwrap(), g).await, Err(StoreError::NotFound)));
});

dual_test!(async fn the_round_birthday_list_holds_the_schools_retirees_of_70_80_90_and_above(t) {
    let st = &t.store;
    let o = org(st).await;
    for (name, school, n, born) in [
        ("甲七十", o.school_a, 11, "1956-10-29"),
        ("甲六九", o.school_a, 12, "1957-10-05"),
        ("甲九三", o.school_a, 13, "1933-10-05"),
        ("乙八十", o.school_b, 14, "1946-10-01"),
    ] {
        let m = member(st, school, name, n).await;
        let born = chrono::NaiveDate::parse_from_str(born, "%Y-%m-%d").unwrap();
        store::on_db!(t.db(), |p| sqlx::query("UPDATE member SET status = 'retired', birth_date = $1 WHERE id = $2").bind(born).bind(m.0).execute(p).await.map(|_| ())).unwrap();
    }
    let d = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
    let cap = actor(&[(Role::SchoolChair, o.school_a)]).authorize::<perm::AssistanceView>().unwrap();
    let list = files::birthdays(&st.db, &cap, d("2026-10-01"), d("2026-10-31")).await.unwrap();
    let got: Vec<(&str, u32)> = list.iter().map(|b| (b.name.as_str(), b.age)).collect();
    assert_eq!(got, [("甲九三", 93), ("甲七十", 70)], "school A only, by day");
    let all = files::birthdays(&st.db, &sys(), d("2026-10-01"), d("2026-10-31")).await.unwrap();
    assert_eq!(all.len(), 3);
    // A reversed or longer-than-a-year range is refused at the field.
    let e = files::birthdays(&st.db, &cap, d("2026-10-31"), d("2026-10-01")).await.unwrap_err();
    assert_eq!(field_of(e), ("to", text::BIRTHDAY_RANGE_INVALID));
    assert!(files::birthdays(&st.db, &cap, d("2025-01-01"), d("2026-10-01")).await.is_err());
});

dual_test!(async fn retirees_contacts_are_listed_masked_revealed_with_an_audit_and_kept_to_their_school(t) {
    use store::assistance::contacts;
    let st = &t.store;
    let o = org(st).await;
    let chair_a = actor(&[(Role::SchoolChair, o.school_a)]);
    let id = contacts::add(st, &chair_a.authorize().unwrap(), &who(), o.school_a, " 钱会长 ", "退协会长", "１３９ ００１２ ３４５６").await.unwrap();
    // Bad input: each at its field, nothing written.
    let e = contacts::add(st, &chair_a.authorize().unwrap(), &who(), o.school_a, "", "x", "12345").await.unwrap_err();
    let StoreError::Invalid(f) = e else { panic!("{e:?}") };
    assert_eq!(f.0.iter().map(|e| e.field).collect::<Vec<_>>(), ["name", "phone"]);
    let listed = contacts::list(&st.db, &chair_a.authorize().unwrap(), None).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!((listed[0].name.as_str(), listed[0].phone_masked.as_str()), ("钱会长", "*******3456"));
    // The district sees it; school B's chair neither lists, reveals nor removes it.
    let staff = actor(&[(Role::UnionStaff, o.union)]);
    assert_eq!(contacts::list(&st.db, &staff.authorize().unwrap(), None).await.unwrap().len(), 1);
    let chair_b = actor(&[(Role::SchoolChair, o.school_b)]);
    assert!(contacts::list(&st.db, &chair_b.authorize().unwrap(), None).await.unwrap().is_empty());
    assert!(matches!(contacts::reveal(st, &chair_b.authorize().unwrap(), &who(), id).await, Err(StoreError::NotFound)));
    assert!(matches!(contacts::remove(st, &chair_b.authorize().unwrap(), &who(), id).await, Err(StoreError::NotFound)));
    // B's chair cannot add one to A either.
    assert!(contacts::add(st, &chair_b.authorize().unwrap(), &who(), o.school_a, "冒名", "x", "13900000000").await.is_err());
    // A member has no assistance permission at all.
    assert!(actor(&[(Role::Member, o.school_a)]).authorize::<perm::AssistanceView>().is_err());
    // The full view is audited before it is given, and the audit holds no number.
    assert_eq!(count(&t, "SELECT COUNT(*) FROM audit_log WHERE action = 'retiree_contact.view'").await, 0);
    let (_, phone) = contacts::reveal(st, &chair_a.authorize().unwrap(), &who(), id).await.unwrap();
    assert_eq!(phone, "13900123456");
    assert_eq!(count(&t, "SELECT COUNT(*) FROM audit_log WHERE action = 'retiree_contact.view'").await, 1);
    let changes: Vec<String> = store::on_db!(t.db(), |p| sqlx::query_scalar("SELECT changes FROM audit_log WHERE entity_type = 'retiree_contact'").fetch_all(p).await).unwrap();
    assert!(changes.iter().all(|c| !c.contains("0012")), "{changes:?}");
    contacts::remove(st, &chair_a.authorize().unwrap(), &who(), id).await.unwrap();
    assert_eq!(count(&t, "SELECT COUNT(*) FROM retiree_contact").await, 0);
    assert_eq!(count(&t, "SELECT COUNT(*) FROM audit_log WHERE entity_type = 'retiree_contact'").await, 3);
});

#[tokio::test]
async fn the_sqlite_file_holds_no_contact_phone_in_plain_text() {
    use store::assistance::contacts;
    let t = sqlite().await;
    let st = &t.store;
    let o = org(st).await;
    let cap = actor(&[(Role::SchoolChair, o.school_a)])
        .authorize::<perm::AssistanceDraft>()
        .unwrap();
    contacts::add(
        st,
        &cap,
        &who(),
        o.school_a,
        "孙联络员",
        "联络员",
        "13987654321",
    )
    .await
    .unwrap();
    let bytes = t.raw_sqlite_bytes().await;
    let text = String::from_utf8_lossy(&bytes);
    // Neither the number nor its masked head (the mask keeps only the last four digits).
    for secret in ["13987654321", "1398765", "9876"] {
        assert!(!text.contains(secret), "{secret} in plain text");
    }
    assert!(
        text.contains("孙联络员"),
        "the test reads the file it means to"
    );
}

dual_test!(async fn a_schools_rule_version_may_be_stricter_than_the_districts_never_laxer(t) {
    let st = &t.store;
    let o = org(st).await;
    let staff = actor(&[(Role::UnionStaff, o.union)]);
    rules::add_version(st, &staff.authorize().unwrap(), &who(), o.union, &AssistanceRules { grant_cap_deep_fen: 400_000, ..AssistanceRules::DEFAULT }, None).await.unwrap();
    let chair = actor(&[(Role::SchoolChair, o.school_a)]);
    // ¥4,500 is above the district's ¥4,000: refused, naming it; nothing stored.
    let e = rules::add_version(st, &chair.authorize().unwrap(), &who(), o.school_a, &AssistanceRules { grant_cap_deep_fen: 450_000, ..AssistanceRules::DEFAULT }, None).await.unwrap_err();
    let StoreError::Invalid(f) = e else { panic!("{e:?}") };
    assert_eq!((f.0[0].field, f.0[0].key), ("grant_cap_deep", text::RULE_LAXER));
    assert!(f.0[0].args.iter().any(|(_, v)| v.to_string().contains("4000.00")));
    assert_eq!(count(&t, "SELECT COUNT(*) FROM assistance_rule_set").await, 1);
    // Stricter is stored; the history reads nearest first.
    rules::add_version(st, &chair.authorize().unwrap(), &who(), o.school_a, &AssistanceRules { grant_cap_deep_fen: 300_000, ..AssistanceRules::DEFAULT }, Some("本校从严")).await.unwrap();
    let view = chair.authorize::<perm::AssistanceView>().unwrap();
    let h = rules::history(st, &view, o.school_a).await.unwrap();
    assert_eq!(h.iter().map(|v| v.version.rules.grant_cap_deep_fen).collect::<Vec<_>>(), [300_000, 400_000]);
    // Another school's chair reads none of A's history.
    let b = actor(&[(Role::SchoolChair, o.school_b)]).authorize::<perm::AssistanceView>().unwrap();
    assert!(matches!(rules::history(st, &b, o.school_a).await, Err(StoreError::NotFound)));
});
