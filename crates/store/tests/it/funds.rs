//! Union money in the store (issue 21): a month's levy computes due, kept and remitted
//! under the rule set in force and records its version, and the kept part of the payment
//! reaches the ledger once; an expense over its category's cap (or with no budget line,
//! or beyond the balance) is refused naming the figures and nothing is written; the person
//! who entered an expense cannot approve it; the chair of school B reads nothing of school
//! A's ledger and cannot approve A's expense; an auditor cannot audit their own school;
//! year figures and due items; `verify` finds a tampered levy. Both engines.

use domain::auth::{Role, perm};
use domain::funds::text as t;
use domain::funds::*;
use store::StoreError;
use store::area::Reach;
use store::audit::Who;
use store::funds::{findings, ledger};
use testkit::*;

/// A person with an account of their own (the label is their name).
async fn person(t: &TestDb, name: &str) -> Who {
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
    Who {
        account: Some(id),
        label: name.into(),
        request_id: None,
    }
}

fn key_of(e: StoreError) -> &'static str {
    match e {
        StoreError::Invalid(f) => f.0[0].key,
        other => panic!("expected a field error, got {other:?}"),
    }
}

async fn count(t: &TestDb, sql: &'static str) -> i64 {
    store::on_db!(t.db(), |p| sqlx::query_scalar(sql).fetch_one(p).await).unwrap()
}

/// School A with ¥10,000 of union fund kept (a month's payroll of ¥833,333.33) and a
/// member-activities line of ¥3,000.
async fn funded_school(st: &store::Store, o: &Org) {
    let enter = sys::<perm::FundsEnter>();
    ledger::record_levy(
        st,
        &enter,
        &who(),
        &ledger::LevyInput {
            school: o.school_a,
            kind: LevyKind::UnionFund,
            month: today(),
            base_fen: 83_333_333,
            paid_fen: 1_666_667,
        },
    )
    .await
    .unwrap();
    ledger::set_budget(
        st,
        &enter,
        &who(),
        o.school_a,
        2026,
        ExpenseCategory::MemberActivities,
        300_000,
    )
    .await
    .unwrap();
}

dual_test!(async fn a_levy_splits_by_the_rule_set_and_posts_the_kept_payment_once(t) {
    let st = &t.store;
    let o = org(st).await;
    member(st, o.school_a, "在职甲", 1).await;
    member(st, o.school_a, "在职乙", 2).await;
    let chair = actor(&[(Role::SchoolChair, o.school_a)]);
    let enter = chair.authorize::<perm::FundsEnter>().unwrap();
    // Dues on a summed base of ¥9,876.54 → counted ¥9,870 → ¥49.35, all kept.
    ledger::record_levy(st, &enter, &who(), &ledger::LevyInput {
        school: o.school_a, kind: LevyKind::Dues, month: today(), base_fen: 987_654, paid_fen: 4_935,
    }).await.unwrap();
    // The union fund on ¥100,000 → ¥2,000 due, ¥1,200 kept, ¥800 remitted; ¥1,000 paid.
    ledger::record_levy(st, &enter, &who(), &ledger::LevyInput {
        school: o.school_a, kind: LevyKind::UnionFund, month: today(), base_fen: 10_000_000, paid_fen: 100_000,
    }).await.unwrap();
    let view = chair.authorize::<perm::FundsView>().unwrap();
    let levies = ledger::levies(&st.db, &view, o.school_a, 2026).await.unwrap();
    assert_eq!(levies.len(), 2);
    let dues = levies.iter().find(|l| l.kind == LevyKind::Dues).unwrap();
    assert_eq!((dues.due_fen, dues.kept_fen, dues.remitted_fen, dues.payers), (4_935, 4_935, 0, 2));
    let fund = levies.iter().find(|l| l.kind == LevyKind::UnionFund).unwrap();
    assert_eq!((fund.due_fen, fund.kept_fen, fund.remitted_fen, fund.paid_fen), (200_000, 120_000, 80_000, 100_000));
    assert_eq!(fund.rule_set_version, 1, "the decision names the rule set");
    // The ledger holds the kept part of each payment, once: ¥49.35 + ¥600.
    let lines = ledger::ledger(&st.db, &view, o.school_a, 2026).await.unwrap();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines.last().unwrap().balance_fen, 4_935 + 60_000);
    // The same month twice is refused; paying more than due is refused; nothing written.
    let again = ledger::record_levy(st, &enter, &who(), &ledger::LevyInput {
        school: o.school_a, kind: LevyKind::Dues, month: today(), base_fen: 987_654, paid_fen: 0,
    }).await.unwrap_err();
    assert_eq!(key_of(again), text::LEVY_EXISTS);
    let over = ledger::record_levy(st, &enter, &who(), &ledger::LevyInput {
        school: o.school_a, kind: LevyKind::Dues, month: today() - chrono::Duration::days(40), base_fen: 100_000, paid_fen: 501,
    }).await.unwrap_err();
    assert_eq!(key_of(over), text::PAID_ABOVE_DUE);
    assert_eq!(count(&t, "SELECT COUNT(*) FROM funds_levy").await, 2);
    assert_eq!(count(&t, "SELECT COUNT(*) FROM funds_entry").await, 2);
});

dual_test!(async fn an_expense_over_its_cap_is_refused_naming_the_figures_and_nothing_is_written(t) {
    let st = &t.store;
    let o = org(st).await;
    funded_school(st, &o).await;
    let officer = actor(&[(Role::FinanceOfficer, o.school_a)]);
    let enter = officer.authorize::<perm::FundsEnter>().unwrap();
    let kj = person(&t, "kuaiji").await;
    let id = ledger::enter_expense(st, &enter, &kj, o.school_a, ExpenseCategory::MemberActivities, 250_000, "趣味运动会", today()).await.unwrap();
    assert!(id.0 > 0);
    let before = count(&t, "SELECT COUNT(*) FROM funds_entry").await;
    let audits = count(&t, "SELECT COUNT(*) FROM audit_log").await;
    // ¥500.01 more passes the ¥3,000 cap by a fen: refused with cap, spent and left.
    let e = ledger::enter_expense(st, &enter, &kj, o.school_a, ExpenseCategory::MemberActivities, 50_001, "慰问品", today()).await.unwrap_err();
    match e {
        StoreError::Invalid(f) => {
            let fe = &f.0[0];
            assert_eq!((fe.field, fe.key), ("amount", text::OVER_CAP));
            let args: Vec<(String, String)> = fe.args.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
            assert!(args.contains(&("cap".into(), "3000.00".into())), "{args:?}");
            assert!(args.contains(&("spent".into(), "2500.00".into())), "{args:?}");
            assert!(args.contains(&("left".into(), "500.00".into())), "{args:?}");
            assert!(args.contains(&("version".into(), "1".into())), "{args:?}");
        }
        other => panic!("{other:?}"),
    }
    // Exactly the rest fits.
    ledger::enter_expense(st, &enter, &kj, o.school_a, ExpenseCategory::MemberActivities, 50_000, "慰问品", today()).await.unwrap();
    // A category without a budget line: nothing may be spent on it.
    let e = ledger::enter_expense(st, &enter, &kj, o.school_a, ExpenseCategory::Capital, 100, "器材", today()).await.unwrap_err();
    assert_eq!(key_of(e), text::NO_BUDGET);
    // Beyond the balance (¥10,000 kept, ¥3,000 committed): refused even within a cap.
    ledger::set_budget(st, &enter, &who(), o.school_a, 2026, ExpenseCategory::Operations, 5_000_000).await.unwrap();
    let e = ledger::enter_expense(st, &enter, &kj, o.school_a, ExpenseCategory::Operations, 700_001, "培训", today()).await.unwrap_err();
    assert_eq!(key_of(e), text::OVER_BALANCE);
    // Zero or negative amounts never reach the table.
    let e = ledger::enter_expense(st, &enter, &kj, o.school_a, ExpenseCategory::Operations, 0, "培训", today()).await.unwrap_err();
    assert_eq!(key_of(e), text::AMOUNT_INVALID);
    assert_eq!(count(&t, "SELECT COUNT(*) FROM funds_entry").await, before + 1, "only the fitting expense was written");
    // One audit record per change: the fitting expense and the new budget line.
    assert_eq!(count(&t, "SELECT COUNT(*) FROM audit_log").await, audits + 2);
});

dual_test!(async fn the_person_who_entered_an_expense_cannot_approve_it_and_another_school_cannot_either(t) {
    let st = &t.store;
    let o = org(st).await;
    funded_school(st, &o).await;
    let chair_a = actor(&[(Role::SchoolChair, o.school_a)]);
    let chair_b = actor(&[(Role::SchoolChair, o.school_b)]);
    let enter = chair_a.authorize::<perm::FundsEnter>().unwrap();
    let approve_a = chair_a.authorize::<perm::FundsApprove>().unwrap();
    let me = person(&t, "zhuxi").await;
    let id = ledger::enter_expense(st, &enter, &me, o.school_a, ExpenseCategory::MemberActivities, 10_000, "书画比赛", today()).await.unwrap();
    // The chair holds both permissions, but not for their own entry.
    let e = ledger::approve(st, &approve_a, &me, id, today()).await.unwrap_err();
    assert_eq!(key_of(e), text::SAME_PERSON);
    // The chair of school B: as if it did not exist.
    let approve_b = chair_b.authorize::<perm::FundsApprove>().unwrap();
    let e = ledger::approve(st, &approve_b, &person(&t, "zhuxib").await, id, today()).await.unwrap_err();
    assert!(matches!(e, StoreError::NotFound), "{e:?}");
    let view_b = chair_b.authorize::<perm::FundsView>().unwrap();
    assert!(ledger::ledger(&st.db, &view_b, o.school_a, 2026).await.unwrap().is_empty());
    assert!(ledger::budget(&st.db, &view_b, o.school_a, 2026).await.unwrap().is_empty());
    assert!(ledger::levies(&st.db, &view_b, o.school_a, 2026).await.unwrap().is_empty());
    assert!(ledger::overview(&st.db, &view_b, 2026).await.unwrap().iter().all(|s| s.school == o.school_b));
    let enter_b = chair_b.authorize::<perm::FundsEnter>().unwrap();
    let e = ledger::enter_expense(st, &enter_b, &who(), o.school_a, ExpenseCategory::MemberActivities, 100, "x", today()).await.unwrap_err();
    assert!(matches!(e, StoreError::NotFound), "{e:?}");
    // Another person of school A approves; the balance moves only then.
    let view = chair_a.authorize::<perm::FundsView>().unwrap();
    let before = ledger::ledger(&st.db, &view, o.school_a, 2026).await.unwrap().last().unwrap().balance_fen;
    let (unit, year) = ledger::approve(st, &approve_a, &person(&t, "副主席").await, id, today()).await.unwrap();
    assert_eq!((unit, year), (o.school_a, 2026));
    let lines = ledger::ledger(&st.db, &view, o.school_a, 2026).await.unwrap();
    assert_eq!(lines.last().unwrap().balance_fen, before - 10_000);
    assert_eq!(lines.last().unwrap().approved_by.as_deref(), Some("副主席"));
    // Approving twice changes nothing.
    let e = ledger::approve(st, &approve_a, &person(&t, "weiyuan").await, id, today()).await.unwrap_err();
    assert_eq!(key_of(e), text::NOT_ENTERED);
});

dual_test!(async fn the_audit_committee_records_findings_by_area_but_not_for_its_own_school(t) {
    let st = &t.store;
    let o = org(st).await;
    let own = member(st, o.school_a, "审计员", 3).await;
    let audit = sys::<perm::FundsAudit>();
    let input = |school| findings::FindingInput {
        school,
        year: 2026,
        severity: Severity::Major,
        finding: "慰问品采购未比价".into(),
        deadline: today() + chrono::Duration::days(10),
    };
    let e = findings::record(st, &audit, &who(), Some(own), &input(o.school_a), today()).await.unwrap_err();
    assert_eq!(key_of(e), text::OWN_SCHOOL);
    let id = findings::record(st, &audit, &who(), Some(own), &input(o.school_a2), today()).await.unwrap();
    // Listed under its area; the chair of B sees nothing of it.
    let all = findings::list(&st.db, &sys::<perm::FundsView>(), 2026, None).await.unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].area, "甲片");
    let chair_b = actor(&[(Role::SchoolChair, o.school_b)]);
    assert!(findings::list(&st.db, &chair_b.authorize().unwrap(), 2026, None).await.unwrap().is_empty());
    // A due item for the school, then the school rectifies it once.
    let reach = Reach::of(&sys::<perm::FundsView>());
    let due = store::funds::due_items(st, &reach, today()).await.unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!((due[0].unit, due[0].title.as_str()), (o.school_a2, format!("#{}", id.0).as_str()));
    let enter = sys::<perm::FundsEnter>();
    let e = findings::rectify(st, &enter, &who(), id, "  ", today()).await.unwrap_err();
    assert_eq!(key_of(e), text::RECTIFICATION_REQUIRED);
    findings::rectify(st, &enter, &who(), id, "已补充比价记录", today()).await.unwrap();
    let e = findings::rectify(st, &enter, &who(), id, "再次", today()).await.unwrap_err();
    assert_eq!(key_of(e), text::ALREADY_RECTIFIED);
    assert!(store::funds::due_items(st, &reach, today()).await.unwrap().is_empty());
    let figs = store::funds::year_figures(st, &reach, 2026).await.unwrap();
    let v = |k: &str| figs.iter().filter(|f| f.key == k).map(|f| f.value).sum::<i64>();
    assert_eq!((v("figure-funds-findings-open"), v("figure-funds-findings-rectified")), (0, 1));
});

dual_test!(async fn year_figures_take_three_queries_and_verify_finds_a_tampered_levy(t) {
    let st = &t.store;
    let o = org(st).await;
    funded_school(st, &o).await;
    let enter = sys::<perm::FundsEnter>();
    ledger::record_levy(st, &enter, &who(), &ledger::LevyInput {
        school: o.school_b, kind: LevyKind::Dues, month: today(), base_fen: 1_000_000, paid_fen: 2_000,
    }).await.unwrap();
    let reach = Reach::of(&sys::<perm::FundsView>());
    let q0 = st.db.query_count();
    let figs = store::funds::year_figures(st, &reach, 2026).await.unwrap();
    assert_eq!(st.db.query_count() - q0, 3);
    let get = |k: &str, u| figs.iter().find(|f| f.key == k && f.unit == u).map(|f| f.value);
    assert_eq!(get("figure-funds-union-fund-due", o.school_a), Some(1_666_667));
    assert_eq!(get("figure-funds-dues-due", o.school_b), Some(5_000));
    assert_eq!(get("figure-funds-dues-paid", o.school_b), Some(2_000));
    // A chair of B sees only B's figures.
    let chair_b = actor(&[(Role::SchoolChair, o.school_b)]);
    let mine = store::funds::year_figures(st, &Reach::of(&chair_b.authorize::<perm::FundsView>().unwrap()), 2026).await.unwrap();
    assert!(!mine.is_empty() && mine.iter().all(|f| f.unit == o.school_b));
    let cli = domain::auth::SystemCap::for_cli();
    assert!(store::funds::verify(st, &cli).await.unwrap().is_empty());
    store::on_db!(t.db(), |p| sqlx::query("UPDATE funds_levy SET kept_fen = kept_fen + 100, remitted_fen = remitted_fen - 100 WHERE kind = 'union_fund'").execute(p).await.map(|_| ())).unwrap();
    let bad = store::funds::verify(st, &cli).await.unwrap();
    assert_eq!(bad.len(), 1);
    assert_eq!(bad[0].school, o.school_a);
});

dual_test!(async fn the_demo_year_has_every_month_of_money_within_its_caps_and_an_audit_by_area(t) {
    use store::demo::{self, DemoOptions};
    let opts = DemoOptions { members: 600, seed: 7, today: today(), logins: false };
    let cli = domain::auth::SystemCap::for_cli();
    let s = demo::load(&t.store, &cli, None, &opts).await.unwrap();
    // Two levies a month for every school, January to November.
    assert_eq!(count(&t, "SELECT COUNT(*) FROM funds_levy").await, s.schools as i64 * 11 * 2);
    // Some schools are in arrears for the latest month; the levies agree with their base.
    assert!(count(&t, "SELECT COUNT(*) FROM funds_levy WHERE paid_fen < due_fen").await > 0);
    assert!(store::funds::verify(&t.store, &cli).await.unwrap().is_empty());
    // The latest month's expenses await approval; no budget line is overspent.
    assert!(count(&t, "SELECT COUNT(*) FROM funds_entry WHERE status = 'entered'").await > 0);
    assert_eq!(count(&t, "SELECT COUNT(*) FROM funds_entry WHERE kind = 'expense' AND category = 'capital'").await, 0, "the over-cap purchase was refused");
    let view = sys::<perm::FundsView>();
    for school in store::funds::ledger::overview(&t.store.db, &view, 2026).await.unwrap() {
        for b in ledger::budget(&t.store.db, &view, school.school, 2026).await.unwrap() {
            assert!(b.spent_fen <= b.cap_fen, "{} {:?}", school.name, b);
        }
        let lines = ledger::ledger(&t.store.db, &view, school.school, 2026).await.unwrap();
        assert!(lines.last().map(|l| l.balance_fen).unwrap_or(0) >= 0, "{}", school.name);
    }
    // Findings by area, some rectified.
    let f = findings::list(&t.store.db, &view, 2026, None).await.unwrap();
    assert!(f.len() >= 5);
    assert!(f.iter().any(|x| x.status == FindingStatus::Rectified) && f.iter().any(|x| x.status == FindingStatus::Open));
});

async fn set_member(
    t: &TestDb,
    m: domain::ids::MemberId,
    status: &str,
    since: &str,
    join: Option<&str>,
) {
    let since = chrono::NaiveDate::parse_from_str(since, "%Y-%m-%d").unwrap();
    let join = join.map(|j| chrono::NaiveDate::parse_from_str(j, "%Y-%m-%d").unwrap());
    store::on_db!(t.db(), |p| sqlx::query(
        "UPDATE member SET status = $1, status_since = $2, join_date = $3 WHERE id = $4"
    )
    .bind(status)
    .bind(since)
    .bind(join)
    .bind(m.0)
    .execute(p)
    .await
    .map(|_| ()))
    .unwrap();
}

fn month_of(d: chrono::NaiveDate) -> String {
    d.format("%Y-%m-01").to_string()
}

dual_test!(async fn a_dues_roll_takes_each_members_own_base_and_the_roster_decides_who_pays(t) {
    use store::funds::dues;
    let st = &t.store;
    let o = org(st).await;
    let enter = sys::<perm::FundsEnter>();
    let first = month_of(today());
    let jia = member(st, o.school_a, "甲会员", 11).await;
    let yi = member(st, o.school_a, "乙会员", 12).await;
    let bing = member(st, o.school_a, "丙会员", 13).await;
    let ding = member(st, o.school_a, "丁会员", 14).await;
    let wu = member(st, o.school_a, "戊会员", 15).await;
    set_member(&t, jia, "active", "2010-09-01", Some("2010-09-01")).await;
    set_member(&t, yi, "active", &first, Some(&first)).await;
    set_member(&t, bing, "retired", "2020-01-01", Some("1990-09-01")).await;
    set_member(&t, ding, "active", "2015-09-01", None).await;
    set_member(&t, wu, "left", "2020-01-01", None).await;
    // ¥6,789.99 counts as ¥6,780 → ¥33.90; ¥5,005 → ¥5,000 → ¥25.00; the retiree is exempt.
    for (m, base) in [(jia, 678_999), (yi, 500_500), (bing, 400_000), (wu, 300_000)] {
        dues::set_base(st, &enter, &who(), m, base, today()).await.unwrap();
    }
    // Bad bases are refused at their field.
    assert_eq!(key_of(dues::set_base(st, &enter, &who(), ding, 0, today()).await.unwrap_err()), t::AMOUNT_INVALID);
    let s = dues::generate_roll(st, &enter, &who(), o.school_a, today(), None).await.unwrap();
    assert_eq!((s.payers, s.joined, s.leaving, s.exempt, s.missing_base), (3, 1, 0, 1, 1));
    assert_eq!(s.due_fen, 3_390 + 2_500);
    assert_eq!(s.kept_fen + s.remitted_fen, s.due_fen);
    assert_eq!(s.paid_fen, s.due_fen);
    // The levy is the sum of the members' dues; the kept payment is posted once.
    assert_eq!(count(&t, "SELECT due_fen FROM funds_levy WHERE kind = 'dues'").await, 5_890);
    assert_eq!(count(&t, "SELECT base_fen FROM funds_levy WHERE kind = 'dues'").await, 0, "no sum of bases is stored");
    assert_eq!(count(&t, "SELECT amount_fen FROM funds_entry WHERE source = 'dues'").await, 5_890);
    // A second roll of the month is refused; nothing is written.
    let e = dues::generate_roll(st, &enter, &who(), o.school_a, today(), None).await.unwrap_err();
    assert_eq!(key_of(e), t::ROLL_EXISTS);
    assert_eq!(count(&t, "SELECT COUNT(*) FROM funds_dues_roll").await, 1);
    // Member by member, audited.
    let (school, _, lines) = dues::reveal_roll(st, &enter, &who(), s.levy).await.unwrap();
    assert_eq!(school, o.school_a);
    assert_eq!(lines.len(), 4, "the leaver of an earlier month is not on the roll");
    let jia_line = lines.iter().find(|l| l.member == jia).unwrap();
    assert_eq!((jia_line.status, jia_line.base_fen, jia_line.dues_fen), (RollStatus::Payer, Some(678_999), 3_390));
    assert_eq!(lines.iter().find(|l| l.member == bing).unwrap().status, RollStatus::Retired);
    assert_eq!(lines.iter().find(|l| l.member == ding).unwrap().dues_fen, 0);
    assert_eq!(count(&t, "SELECT COUNT(*) FROM audit_log WHERE action = 'funds_dues_roll.view'").await, 1);
    assert_eq!(count(&t, "SELECT COUNT(*) FROM audit_log WHERE action = 'funds.dues_base'").await, 4);
    // `verify` recomputes the roll member by member and detects a tampered levy.
    let cli = domain::auth::SystemCap::for_cli();
    assert!(store::funds::verify(st, &cli).await.unwrap().is_empty());
    store::on_db!(t.db(), |p| sqlx::query("UPDATE funds_levy SET due_fen = due_fen + 10, kept_fen = kept_fen + 10, paid_fen = paid_fen WHERE kind = 'dues'").execute(p).await.map(|_| ())).unwrap();
    let bad = store::funds::verify(st, &cli).await.unwrap();
    assert_eq!(bad.len(), 1);
    assert_eq!(bad[0].computed.due_fen, 5_890);
});

dual_test!(async fn another_schools_chair_can_neither_read_nor_set_a_base_or_a_roll(t) {
    use store::funds::dues;
    let st = &t.store;
    let o = org(st).await;
    let m = member(st, o.school_a, "甲会员", 21).await;
    let enter = sys::<perm::FundsEnter>();
    dues::set_base(st, &enter, &who(), m, 654_321, today()).await.unwrap();
    let s = dues::generate_roll(st, &enter, &who(), o.school_a, today(), Some(0)).await.unwrap();
    let chair_b = actor(&[(Role::SchoolChair, o.school_b)]);
    let b_enter = chair_b.authorize::<perm::FundsEnter>().unwrap();
    let b_view = chair_b.authorize::<perm::FundsView>().unwrap();
    assert!(matches!(dues::reveal_base(st, &b_enter, &who(), m).await, Err(StoreError::NotFound)));
    assert!(matches!(dues::set_base(st, &b_enter, &who(), m, 1_000, today()).await, Err(StoreError::NotFound)));
    assert!(matches!(dues::reveal_roll(st, &b_enter, &who(), s.levy).await, Err(StoreError::NotFound)));
    assert!(dues::bases(&st.db, &b_view, o.school_a).await.unwrap().is_empty());
    assert!(dues::rolls(&st.db, &b_view, o.school_a, chrono::Datelike::year(&today())).await.unwrap().is_empty());
    // The base was not changed, and no view was recorded for B.
    let a_enter = actor(&[(Role::SchoolChair, o.school_a)]).authorize::<perm::FundsEnter>().unwrap();
    let (_, _, base) = dues::reveal_base(st, &a_enter, &who(), m).await.unwrap();
    assert_eq!(base.map(|b| b.0), Some(654_321));
    assert_eq!(count(&t, "SELECT COUNT(*) FROM audit_log WHERE action = 'funds_dues_base.view'").await, 1);
    // The list says only whether a base is registered.
    let a_view = actor(&[(Role::SchoolChair, o.school_a)]).authorize::<perm::FundsView>().unwrap();
    let list = dues::bases(&st.db, &a_view, o.school_a).await.unwrap();
    assert_eq!(list.len(), 1);
    assert!(list[0].registered);
});

const PAYROLL_CSV: &str = "2026年9月工资表\n\n身份证号,姓名,基本工资,月份\n{ID1},甲工资,９８７６．５４,2026.09\n,乙工资,8765.43,2026年9月\n33010219800101000Z,丙工资,5000,2026.09\n{ID1},甲工资,100,2026.09\n,无此人,5000,2026.09\n,乙工资,12.345,2026.09\n\n";

dual_test!(async fn a_payroll_sheet_is_previewed_with_its_row_errors_and_only_good_rows_are_committed(t) {
    use store::funds::{dues, payroll};
    let st = &t.store;
    let o = org(st).await;
    let jia = member(st, o.school_a, "甲工资", 31).await;
    let yi = member(st, o.school_a, "乙工资", 32).await;
    let chair = person(&t, "财务").await;
    let cap = actor(&[(Role::SchoolChair, o.school_a)]).authorize::<perm::FundsEnter>().unwrap();
    let csv = PAYROLL_CSV.replace("{ID1}", &id_number(31, true));
    let pv = payroll::preview(st, &cap, &chair, o.school_a, "工资表.csv", csv.into_bytes()).await.unwrap();
    assert_eq!(pv.rows, 6, "blank lines and the title are not rows");
    let matched: Vec<_> = pv.matched.iter().map(|m| (m.row, m.member)).collect();
    assert_eq!(matched, vec![(4, jia), (5, yi)]);
    assert_eq!(pv.base_total_fen, 987_654 + 876_543);
    let problems: Vec<_> = pv.problems.iter().map(|p| (p.row, p.column.clone().unwrap_or_default(), p.error.key)).collect();
    assert_eq!(problems, vec![
        (6, "身份证号".to_string(), domain::text::ID_CHARS),
        (7, "身份证号".to_string(), t::PAYROLL_DUPLICATE),
        (8, "姓名".to_string(), t::PAYROLL_UNKNOWN_NAME),
        (9, "基本工资".to_string(), t::AMOUNT_FRACTION),
    ]);
    // The preview wrote no base.
    assert_eq!(count(&t, "SELECT COUNT(*) FROM funds_dues_base").await, 0);
    // Another account cannot commit it.
    let other = person(&t, "他人").await;
    assert!(matches!(payroll::apply(st, &cap, &other, pv.batch, today()).await, Err(StoreError::NotFound)));
    let (unit, n) = payroll::apply(st, &cap, &chair, pv.batch, today()).await.unwrap();
    assert_eq!((unit, n), (o.school_a, 2));
    let (_, _, base) = dues::reveal_base(st, &cap, &who(), yi).await.unwrap();
    assert_eq!(base, Some((876_543, chrono::NaiveDate::from_ymd_opt(2026, 9, 1).unwrap())));
    // Committed once: the batch is spent.
    assert!(matches!(payroll::apply(st, &cap, &chair, pv.batch, today()).await, Err(StoreError::NotFound)));
    // A sheet without the columns is refused at the file.
    let e = payroll::preview(st, &cap, &chair, o.school_a, "x.csv", b"a,b\n1,2\n".to_vec()).await.unwrap_err();
    assert_eq!(key_of(e), t::PAYROLL_NO_HEADER);
    // A chair of school B matches nobody of school A: the same message as an unknown number.
    let cap_b = actor(&[(Role::SchoolChair, o.school_b)]).authorize::<perm::FundsEnter>().unwrap();
    let csv = format!("身份证号,基本工资\n{},5000\n", id_number(31, true));
    let pv = payroll::preview(st, &cap_b, &chair, o.school_b, "b.csv", csv.into_bytes()).await.unwrap();
    assert!(pv.matched.is_empty());
    assert_eq!(pv.problems[0].error.key, t::PAYROLL_UNKNOWN_ID);
    assert!(matches!(payroll::preview(st, &cap_b, &chair, o.school_a, "b.csv", b"x".to_vec()).await, Err(StoreError::NotFound)));
});

#[tokio::test]
async fn the_sqlite_file_and_its_wal_hold_no_salary_in_plain_text() {
    use store::funds::{dues, payroll};
    let t = sqlite().await;
    let st = &t.store;
    let o = org(st).await;
    let m = member(st, o.school_a, "工资甲", 41).await;
    member(st, o.school_a, "工资乙", 42).await;
    let cap = sys::<perm::FundsEnter>();
    dues::set_base(st, &cap, &who(), m, 987_654, today())
        .await
        .unwrap();
    dues::generate_roll(st, &cap, &who(), o.school_a, today(), None)
        .await
        .unwrap();
    let csv = "姓名,基本工资\n工资乙,8765.43\n".to_string();
    payroll::preview(st, &cap, &who(), o.school_a, "p.csv", csv.into_bytes())
        .await
        .unwrap();
    let path = t.sqlite_path.clone().unwrap();
    let mut scans = Vec::new();
    let mut bytes = std::fs::read(&path).unwrap();
    bytes.extend(std::fs::read(path.with_extension("db-wal")).unwrap_or_default());
    scans.push(bytes);
    store::on_db!(t.db(), |p| sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(p)
        .await
        .map(|_| ()))
    .unwrap();
    scans.push(std::fs::read(&path).unwrap());
    for bytes in scans {
        let text = String::from_utf8_lossy(&bytes);
        for secret in ["987654", "9876.54", "876543", "8765.43"] {
            assert!(!text.contains(secret), "{secret} in plain text");
        }
        assert!(
            text.contains("工资甲"),
            "the test reads the file it means to"
        );
    }
}
