//! Union money in the store (issue 21): a month's levy computes due, kept and remitted
//! under the rule set in force and records its version, and the kept part of the payment
//! reaches the ledger once; an expense over its category's cap (or with no budget line,
//! or beyond the balance) is refused naming the figures and nothing is written; the person
//! who entered an expense cannot approve it; the chair of school B reads nothing of school
//! A's ledger and cannot approve A's expense; an auditor cannot audit their own school;
//! year figures and due items; `verify` finds a tampered levy. Both engines.

use domain::auth::{Role, perm};
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
