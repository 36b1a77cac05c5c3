//! Commendations in the store (issue 18): a school nominates within its quota and the
//! deadline (the next one refused with the numbers, nothing written); another school's chair
//! can neither nominate for school A nor read its nominations; the organizer's review puts a
//! nominee on public notice for the rule set's days and records its label; anyone objects
//! while the notice runs (sealed in the database, never after it); no award while the
//! notice runs, an objection is pending or upheld, or beyond the total quota; an award gets
//! a certificate code that verifies, and a forged one does not; a union's stored rule set
//! changes the notice days. Both engines.

use domain::auth::{Role, perm};
use domain::commendations::text as t;
use domain::commendations::*;
use store::StoreError;
use store::commendations as cm;
use testkit::*;

fn key_of(e: StoreError) -> &'static str {
    match e {
        StoreError::Invalid(f) => f.0[0].key,
        other => panic!("expected a field error, got {other:?}"),
    }
}

fn args_of(e: StoreError) -> Vec<(String, String)> {
    match e {
        StoreError::Invalid(f) => f.0[0]
            .args
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        other => panic!("expected a field error, got {other:?}"),
    }
}

async fn count(t: &TestDb, sql: &'static str) -> i64 {
    store::on_db!(t.db(), |p| sqlx::query_scalar(sql).fetch_one(p).await).unwrap()
}

fn award_draft(per: u32, total: u32) -> AwardDraft {
    AwardDraft {
        name: "2026年度十佳维权之星".into(),
        kind: AwardKind::TopTen,
        year: 2026,
        quota_per_school: per,
        quota_total: total,
        nominate_until: today() + chrono::Duration::days(10),
    }
}

fn nomination(school: domain::ids::OrgUnitId, name: &str) -> cm::NominationInput {
    cm::NominationInput {
        school,
        member: None,
        draft: NominationDraft {
            nominee: name.into(),
            deeds: format!("{name}热心维护教职工合法权益。"),
        },
    }
}

dual_test!(async fn commendations_quota_notice_objections_and_award(t) {
    let st = &t.store;
    let o = org(st).await;
    let staff = actor(&[(Role::UnionStaff, o.union)]);
    let manage = staff.authorize::<perm::ContestManage>().unwrap();
    let staff_view = staff.authorize::<perm::ContestView>().unwrap();
    let award = cm::create_award(st, &manage, &who(), o.union, &award_draft(2, 2)).await.unwrap();

    // School A nominates twice; the third is over its quota, the numbers named, nothing written.
    let chair_a = actor(&[(Role::SchoolChair, o.school_a)]);
    let enter_a = chair_a.authorize::<perm::ContestEnter>().unwrap();
    let n1 = cm::nominate(st, &enter_a, &who(), award, &nomination(o.school_a, "张老师"), today()).await.unwrap();
    let n2 = cm::nominate(st, &enter_a, &who(), award, &nomination(o.school_a, "李老师"), today()).await.unwrap();
    let e = cm::nominate(st, &enter_a, &who(), award, &nomination(o.school_a, "赵老师"), today()).await.unwrap_err();
    let args = args_of(e);
    assert!(args.contains(&("used".into(), "2".into())) && args.contains(&("quota".into(), "2".into())), "{args:?}");
    let e = cm::nominate(st, &enter_a, &who(), award, &nomination(o.school_a, "赵老师"), today()).await.unwrap_err();
    assert_eq!(key_of(e), t::SCHOOL_QUOTA);
    // After the deadline: refused.
    let chair_a2 = actor(&[(Role::SchoolChair, o.school_a2)]);
    let enter_a2 = chair_a2.authorize::<perm::ContestEnter>().unwrap();
    let late = today() + chrono::Duration::days(11);
    let e = cm::nominate(st, &enter_a2, &who(), award, &nomination(o.school_a2, "钱老师"), late).await.unwrap_err();
    assert_eq!(key_of(e), t::CLOSED);
    // A member of another school cannot be named for school A.
    let mb = member(st, o.school_b, "乙校会员", 3).await;
    let mut with_b = nomination(o.school_a2, "乙校会员");
    with_b.member = Some(mb);
    let e = cm::nominate(st, &enter_a2, &who(), award, &with_b, today()).await.unwrap_err();
    assert_eq!(key_of(e), t::MEMBER_NOT_IN_SCHOOL);
    assert_eq!(count(&t, "SELECT COUNT(*) FROM commendation_nomination").await, 2);

    // Another school's chair: cannot nominate for school A, nor read A's nominations.
    let chair_b = actor(&[(Role::SchoolChair, o.school_b)]);
    let enter_b = chair_b.authorize::<perm::ContestEnter>().unwrap();
    let e = cm::nominate(st, &enter_b, &who(), award, &nomination(o.school_a, "冒名"), today()).await.unwrap_err();
    assert!(matches!(e, StoreError::NotFound), "{e:?}");
    let view_b = chair_b.authorize::<perm::ContestView>().unwrap();
    assert!(cm::nominations(&st.db, &view_b, award).await.unwrap().is_empty());
    assert!(matches!(cm::nomination(&st.db, &view_b, n1).await, Err(StoreError::NotFound)));
    // A school's chair cannot review (no right), nor can another district's staff (scope).
    let staff_b = actor(&[(Role::UnionStaff, o.area_b)]);
    let manage_b = staff_b.authorize::<perm::ContestManage>().unwrap();
    let e = cm::review(st, &manage_b, &who(), n1, true, None, today()).await.unwrap_err();
    assert!(matches!(e, StoreError::NotFound), "{e:?}");

    // Review: n1 on notice for the built-in 5 days with its label; n2 rejected with a note.
    let e = cm::review(st, &manage, &who(), n2, false, None, today()).await.unwrap_err();
    assert_eq!(key_of(e), t::NOTE_REQUIRED);
    cm::review(st, &manage, &who(), n1, true, None, today()).await.unwrap();
    cm::review(st, &manage, &who(), n2, false, Some("事迹材料不全"), today()).await.unwrap();
    let r1 = cm::nomination(&st.db, &staff_view, n1).await.unwrap();
    assert_eq!(r1.status, NominationStatus::Notice);
    assert_eq!(r1.notice_until, Some(today() + chrono::Duration::days(4)));
    assert_eq!(r1.rules_label.as_deref(), Some(CommendationRules::BUILTIN_LABEL));
    // The rejected one gives its place back: school A may nominate again.
    cm::nominate(st, &enter_a, &who(), award, &nomination(o.school_a, "赵老师"), today()).await.unwrap();

    // The public board shows n1 only while its notice runs.
    let board = cm::public_notices(&st.db, today()).await.unwrap();
    assert_eq!(board.iter().map(|n| n.nominee.as_str()).collect::<Vec<_>>(), vec!["张老师"]);
    assert!(cm::public_notices(&st.db, today() + chrono::Duration::days(5)).await.unwrap().is_empty());

    // An objection, anonymous; another with a contact. Sealed: the words are not in the table.
    let public = store::audit::Who::system("anonymous");
    cm::lodge_objection(st, &public, n1, "张老师的获奖证书系伪造", None, today()).await.unwrap();
    cm::lodge_objection(st, &public, n1, "事迹中的课时数不实", Some("13812345678"), today()).await.unwrap();
    let raw: Vec<Vec<u8>> = store::on_db!(t.db(), |p| sqlx::query_scalar("SELECT body_enc FROM commendation_objection ORDER BY id").fetch_all(p).await).unwrap();
    assert!(raw.iter().all(|b| !String::from_utf8_lossy(b).contains("伪造")));
    // After the notice period, or on a nomination not on notice: refused, nothing written.
    let e = cm::lodge_objection(st, &public, n1, "迟到的异议", None, today() + chrono::Duration::days(5)).await.unwrap_err();
    assert_eq!(key_of(e), t::OBJECTION_CLOSED);
    let e = cm::lodge_objection(st, &public, n2, "对未公示者的异议", None, today()).await.unwrap_err();
    assert_eq!(key_of(e), t::OBJECTION_CLOSED);
    let e = cm::lodge_objection(st, &public, NominationId(999_999), "伪造的编号", None, today()).await.unwrap_err();
    assert!(matches!(e, StoreError::NotFound));
    assert_eq!(count(&t, "SELECT COUNT(*) FROM commendation_objection").await, 2);

    // The organizer reads them, the contact masked; another school's staff cannot.
    let objs = cm::objections(st, &manage, n1).await.unwrap();
    assert_eq!(objs.len(), 2);
    assert_eq!(objs[0].body, "张老师的获奖证书系伪造");
    assert_eq!(objs[0].contact_masked, None);
    let masked = objs[1].contact_masked.clone().unwrap();
    assert!(masked.ends_with("5678") && !masked.contains("13812345678"), "{masked}");
    assert!(cm::objections(st, &manage_b, n1).await.unwrap().is_empty());

    // No award while the notice runs.
    let e = cm::award(st, &manage, &who(), n1, today() + chrono::Duration::days(4)).await.unwrap_err();
    assert_eq!(key_of(e), t::NOTICE_RUNNING);
    // Nor with objections pending (the count named).
    let after = today() + chrono::Duration::days(5);
    let e = cm::award(st, &manage, &who(), n1, after).await.unwrap_err();
    assert_eq!(args_of(e), vec![("count".to_string(), "2".to_string())]);
    // Handling: an outcome and a note are required; both recorded.
    let e = cm::handle_objection(st, &manage, &who(), objs[0].id, ObjectionOutcome::Dismissed, " ").await.unwrap_err();
    assert_eq!(key_of(e), t::NOTE_REQUIRED);
    let e = cm::handle_objection(st, &manage_b, &who(), objs[0].id, ObjectionOutcome::Dismissed, "越权").await.unwrap_err();
    assert!(matches!(e, StoreError::NotFound));
    cm::handle_objection(st, &manage, &who(), objs[0].id, ObjectionOutcome::Dismissed, "经核实证书真实").await.unwrap();
    cm::handle_objection(st, &manage, &who(), objs[1].id, ObjectionOutcome::Dismissed, "课时数经教务处核实无误").await.unwrap();
    let e = cm::handle_objection(st, &manage, &who(), objs[1].id, ObjectionOutcome::Upheld, "再改").await.unwrap_err();
    assert_eq!(key_of(e), t::WRONG_STATUS);
    let objs = cm::objections(st, &manage, n1).await.unwrap();
    assert_eq!(objs[0].outcome, ObjectionOutcome::Dismissed);
    assert_eq!(objs[0].note.as_deref(), Some("经核实证书真实"));

    // Now the award, with a code that verifies; a forged code does not.
    let code = cm::award(st, &manage, &who(), n1, after).await.unwrap();
    let v = cm::verify(&st.db, &code.to_lowercase()).await.unwrap().unwrap();
    assert_eq!((v.nominee.as_str(), v.kind), ("张老师", AwardKind::TopTen));
    assert!(cm::verify(&st.db, "ABCD-EFGH-JKLM").await.unwrap().is_none());
    assert!(cm::verify(&st.db, "").await.unwrap().is_none());
    // Awarded once only.
    let e = cm::award(st, &manage, &who(), n1, after).await.unwrap_err();
    assert_eq!(key_of(e), t::WRONG_STATUS);

    // Every step is in the audit log, with no objection's words.
    let actions: Vec<String> = store::on_db!(t.db(), |p| sqlx::query_scalar("SELECT action FROM audit_log WHERE action LIKE 'commendation.%' ORDER BY seq").fetch_all(p).await).unwrap();
    for a in ["commendation.create", "commendation.nominate", "commendation.review", "commendation.object", "commendation.objection", "commendation.award"] {
        assert!(actions.iter().any(|x| x == a), "{a} not audited: {actions:?}");
    }
    let changes: Vec<String> = store::on_db!(t.db(), |p| sqlx::query_scalar("SELECT changes FROM audit_log WHERE action = 'commendation.object'").fetch_all(p).await).unwrap();
    assert!(changes.iter().all(|c| !c.contains("伪造") && !c.contains("13812345678")));
});

dual_test!(async fn commendations_total_quota_and_upheld_objection_refuse_the_award(t) {
    let st = &t.store;
    let o = org(st).await;
    let staff = actor(&[(Role::UnionStaff, o.union)]);
    let manage = staff.authorize::<perm::ContestManage>().unwrap();
    let award = cm::create_award(st, &manage, &who(), o.union, &award_draft(1, 1)).await.unwrap();
    let sys_enter = sys::<perm::ContestEnter>();
    let a = cm::nominate(st, &sys_enter, &who(), award, &nomination(o.school_a, "甲"), today()).await.unwrap();
    let b = cm::nominate(st, &sys_enter, &who(), award, &nomination(o.school_b, "乙"), today()).await.unwrap();
    let c = cm::nominate(st, &sys_enter, &who(), award, &nomination(o.school_a2, "丙"), today()).await.unwrap();
    for n in [a, b, c] {
        cm::review(st, &manage, &who(), n, true, None, today()).await.unwrap();
    }
    let public = store::audit::Who::system("anonymous");
    cm::lodge_objection(st, &public, c, "丙的事迹有误", None, today()).await.unwrap();
    let after = today() + chrono::Duration::days(5);
    cm::award(st, &manage, &who(), a, after).await.unwrap();
    // The quota of 1 is used: refused with the numbers.
    let e = cm::award(st, &manage, &who(), b, after).await.unwrap_err();
    assert_eq!(
        args_of(e),
        vec![("used".to_string(), "1".to_string()), ("quota".to_string(), "1".to_string())]
    );
    // The year figure counts the award for school A only; B's chair sees none of it.
    let reach = store::area::Reach::of(&staff.authorize::<perm::ContestView>().unwrap());
    let figs = cm::year_figures(st, &reach, 2026).await.unwrap();
    assert_eq!(figs.iter().map(|f| (f.unit, f.value)).collect::<Vec<_>>(), vec![(o.school_a, 1)]);
    let chair_b = actor(&[(Role::SchoolChair, o.school_b)]);
    let reach_b = store::area::Reach::of(&chair_b.authorize::<perm::ContestView>().unwrap());
    assert!(cm::year_figures(st, &reach_b, 2026).await.unwrap().iter().all(|f| f.unit == o.school_b));
    // Due: notices ending within three days (b and c end in four: due from tomorrow), for
    // the district's staff only.
    assert!(cm::due_items(st, &reach, today()).await.unwrap().is_empty());
    let tomorrow = today() + chrono::Duration::days(1);
    let due = cm::due_items(st, &reach, tomorrow).await.unwrap();
    assert_eq!(due.len(), 2, "{due:?}");
    assert!(due.iter().all(|d| d.kind == "due-commendations-notice" && d.due == today() + chrono::Duration::days(4)));
    assert!(cm::due_items(st, &reach_b, tomorrow).await.unwrap().is_empty());
    // An upheld objection ends the nomination.
    let o1 = cm::objections(st, &manage, c).await.unwrap()[0].id;
    cm::handle_objection(st, &manage, &who(), o1, ObjectionOutcome::Upheld, "经核实事迹不实").await.unwrap();
    let r = cm::nomination(&st.db, &sys::<perm::ContestView>(), c).await.unwrap();
    assert_eq!(r.status, NominationStatus::Rejected);
    assert_eq!(r.review_note.as_deref(), Some("经核实事迹不实"));
    let e = cm::award(st, &manage, &who(), c, after).await.unwrap_err();
    assert_eq!(key_of(e), t::WRONG_STATUS);
    assert_eq!(count(&t, "SELECT COUNT(*) FROM commendation_nomination WHERE status = 'awarded'").await, 1);
});

dual_test!(async fn commendations_a_stored_rule_set_sets_the_notice_days_and_is_named(t) {
    let st = &t.store;
    let o = org(st).await;
    let staff = actor(&[(Role::UnionStaff, o.union)]);
    let manage = staff.authorize::<perm::ContestManage>().unwrap();
    let rules = staff.authorize::<perm::RuleSetManage>().unwrap();
    let v = store::rule_sets::add(
        st,
        &rules,
        &who(),
        cm::RULES_AREA,
        o.union,
        store::rule_sets::Change {
            rules: &CommendationRules { notice_days: 7, objections_per_hour: 3, max_per_school: None },
            before: &CommendationRules::LOCAL,
            note: Some("区教育工会评先评优办法".into()),
        },
    )
    .await
    .unwrap();
    let award = cm::create_award(st, &manage, &who(), o.union, &award_draft(1, 5)).await.unwrap();
    let n = cm::nominate(st, &sys::<perm::ContestEnter>(), &who(), award, &nomination(o.school_a, "甲"), today()).await.unwrap();
    cm::review(st, &manage, &who(), n, true, None, today()).await.unwrap();
    let r = cm::nomination(&st.db, &sys::<perm::ContestView>(), n).await.unwrap();
    assert_eq!(r.notice_until, Some(today() + chrono::Duration::days(6)));
    let label = r.rules_label.unwrap();
    assert!(label.starts_with("commendations#") && label.ends_with(" v1"), "{label} / {v:?}");
    let e = cm::award(st, &manage, &who(), n, today() + chrono::Duration::days(6)).await.unwrap_err();
    assert_eq!(key_of(e), t::NOTICE_RUNNING);
    cm::award(st, &manage, &who(), n, today() + chrono::Duration::days(7)).await.unwrap();
});
