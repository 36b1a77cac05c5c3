//! Union committees and their elections in the store (issue 22): a general election from
//! the application to the new term, every step naming its rule-set version; the
//! competitive margin, the quorum and "more than half of those due" decided; a
//! by-election only for vacant seats, and a retirement in the roster making a vacancy;
//! steps out of order and candidates without the right to stand refused at their field;
//! another school's chair sees and touches nothing; year figures and due items; the demo
//! year. Both engines.

use domain::auth::{Role, SystemCap, perm};
use domain::elections::*;
use store::StoreError;
use store::area::Reach;
use store::elections::{committees, workflow};
use testkit::*;

fn field_of(e: StoreError) -> (&'static str, &'static str) {
    match e {
        StoreError::Invalid(f) => (f.0[0].field, f.0[0].key),
        other => panic!("expected a field error, got {other:?}"),
    }
}

fn committee_input(
    unit: domain::ids::OrgUnitId,
    seats: u32,
    start: &str,
    years: &str,
) -> CommitteeInput {
    CommitteeInput {
        unit: unit.0.to_string(),
        kind: "union_committee".into(),
        seats: seats.to_string(),
        term_start: start.into(),
        term_years: years.into(),
    }
}

fn apply_input(kind: &str, seats: &str, years: &str) -> ApplyInput {
    ApplyInput {
        kind: kind.into(),
        seats: seats.into(),
        assembly: "member_assembly".into(),
        term_years: years.into(),
    }
}

async fn count(t: &TestDb, sql: &'static str) -> i64 {
    store::on_db!(t.db(), |p| sqlx::query_scalar(sql).fetch_one(p).await).unwrap()
}

fn result_of(
    e: &workflow::Election,
    due: &str,
    present: &str,
    votes: &[u32],
) -> workflow::ResultInput {
    workflow::ResultInput {
        due: due.into(),
        present: present.into(),
        held_on: "2026-11-20".into(),
        votes: e
            .candidates
            .iter()
            .zip(votes)
            .map(|(c, v)| (c.id, v.to_string()))
            .collect(),
        by_position: Vec::new(),
        ..Default::default()
    }
}

dual_test!(async fn a_general_election_runs_from_application_to_a_new_term_and_every_step_names_its_rule_version(t) {
    let st = &t.store;
    let o = org(st).await;
    for (i, n) in ["赵一", "钱二", "孙三", "李四", "周五"].iter().enumerate() {
        member(st, o.school_a, n, 10 + i as u32).await;
    }
    let chair = actor(&[(Role::SchoolChair, o.school_a)]);
    let manage = chair.authorize::<perm::ElectionManage>().unwrap();
    let staff = actor(&[(Role::UnionStaff, o.union)]);
    let approve = staff.authorize::<perm::ElectionApprove>().unwrap();
    let view = staff.authorize::<perm::ElectionView>().unwrap();
    // The committee as it stands: three seats, two holders (the first chairs), one vacant.
    let c = committees::create(st, &manage, &who(), &committee_input(o.school_a, 3, "2021-09-01", "5"), "赵一\n钱二").await.unwrap();
    let (row, seats, _) = committees::get(st, &view, c).await.unwrap();
    assert_eq!(row.term_end.to_string(), "2026-08-31");
    assert_eq!((row.held, row.vacant), (2, 1));
    assert_eq!(seats[0].role, SeatRole::Chair);
    // A school chair cannot approve; the district can.
    assert!(chair.authorize::<perm::ElectionApprove>().is_err());
    let id = workflow::apply(st, &manage, &who(), c, &apply_input("general_election", "3", "5"), today()).await.unwrap();
    // A second application for the same committee is refused while this one runs.
    let e = workflow::apply(st, &manage, &who(), c, &apply_input("general_election", "3", "5"), today()).await.unwrap_err();
    assert_eq!(field_of(e), ("kind", text::IN_PROGRESS));
    // Candidates before the upper union's approval: refused, the message names the step.
    let e = workflow::nominate(st, &manage, &who(), id, "赵一\n钱二\n孙三\n李四", today()).await.unwrap_err();
    assert_eq!(field_of(e), ("status", text::NOT_APPROVED));
    workflow::approve(st, &approve, &who(), id, "3", today()).await.unwrap();
    // Three candidates for three seats is not competitive: refused at the field, with the
    // number needed.
    let e = workflow::nominate(st, &manage, &who(), id, "赵一\n钱二\n孙三", today()).await.unwrap_err();
    match e {
        StoreError::Invalid(f) => {
            assert_eq!((f.0[0].field, f.0[0].key), ("candidates", text::MARGIN));
            assert!(f.0[0].args.contains(&("need", "4".to_string())), "{:?}", f.0[0].args);
        }
        other => panic!("{other:?}"),
    }
    workflow::nominate(st, &manage, &who(), id, "赵一、钱二、孙三、李四", today()).await.unwrap();
    // The vote before the list is approved: refused.
    let e0 = workflow::get(st, &view, id).await.unwrap();
    let e = workflow::hold(st, &manage, &who(), id, &result_of(&e0, "30", "25", &[20, 18, 16, 5]), today()).await.unwrap_err();
    assert_eq!(field_of(e), ("status", text::NOT_APPROVED));
    workflow::approve_slate(st, &approve, &who(), id, today()).await.unwrap();
    // 19 of 30 present is below two thirds: no election.
    let e = workflow::hold(st, &manage, &who(), id, &result_of(&e0, "30", "19", &[18, 17, 16, 5]), today()).await.unwrap_err();
    assert_eq!(field_of(e), ("present", text::NO_QUORUM));
    // 20 present: elected with more than 15 votes (half of the 30 due, not of those present).
    let out = workflow::hold(st, &manage, &who(), id, &result_of(&e0, "30", "20", &[18, 15, 16, 5]), today()).await.unwrap();
    assert_eq!((out.quorum_needed, out.elect_needed, out.unfilled), (20, 16, 1));
    workflow::confirm(st, &approve, &who(), id, today()).await.unwrap();
    let e = workflow::get(st, &view, id).await.unwrap();
    assert_eq!(e.row.status, ElectionStatus::Confirmed);
    let elected: Vec<&str> = e.candidates.iter().filter(|c| c.elected).map(|c| c.name.as_str()).collect();
    assert_eq!(elected, vec!["赵一", "孙三"]);
    // Six steps, each naming the rule-set version in force (the stored defaults, version 1).
    assert_eq!(e.steps.iter().map(|s| s.step).collect::<Vec<_>>(), vec![
        ElectionStep::Apply, ElectionStep::Approve, ElectionStep::Nominate,
        ElectionStep::ApproveSlate, ElectionStep::Hold, ElectionStep::Confirm,
    ]);
    assert!(e.steps.iter().all(|s| s.version == 1 && s.rule_set_id == e.steps[0].rule_set_id));
    // The new term runs five years from the day of the vote; the seats: two elected, the
    // one left empty is a vacancy.
    let (row, seats, _) = committees::get(st, &view, c).await.unwrap();
    assert_eq!((row.term_start.to_string(), row.term_end.to_string()), ("2026-11-20".into(), "2031-11-19".into()));
    assert_eq!((row.held, row.vacant, row.open_election), (2, 1, None));
    assert_eq!(seats[0].member.as_ref().unwrap().1, "赵一");
    // Every step is audited.
    assert_eq!(count(&t, "SELECT COUNT(*) FROM audit_log WHERE action LIKE 'election.%'").await, 6);
});

dual_test!(async fn a_by_election_fills_only_vacant_seats_and_a_retirement_makes_a_vacancy(t) {
    let st = &t.store;
    let o = org(st).await;
    let mut ids = Vec::new();
    for (i, n) in ["赵一", "钱二", "孙三", "李四", "周五"].iter().enumerate() {
        ids.push(member(st, o.school_a, n, 10 + i as u32).await);
    }
    let chair = actor(&[(Role::SchoolChair, o.school_a)]);
    let manage = chair.authorize::<perm::ElectionManage>().unwrap();
    let approve = sys::<perm::ElectionApprove>();
    let view = chair.authorize::<perm::ElectionView>().unwrap();
    let c = committees::create(st, &manage, &who(), &committee_input(o.school_a, 3, "2024-09-01", "5"), "赵一\n钱二\n孙三").await.unwrap();
    // No vacant seat: no by-election.
    let e = workflow::apply(st, &manage, &who(), c, &apply_input("by_election", "1", ""), today()).await.unwrap_err();
    assert_eq!(field_of(e), ("kind", text::NOT_VACANT));
    // 孙三 retires (recorded in the roster): the seat is vacant, with the reason and date.
    store::org::change_status(st, &sys(), &who(), ids[2], domain::org::MemberStatus::Retired, today(), None).await.unwrap();
    let vac = committees::vacancies(st, &view).await.unwrap();
    assert_eq!(vac.len(), 1);
    assert_eq!((vac[0].reason, vac[0].former.as_deref(), vac[0].since), (VacancyReason::Retired, Some("孙三"), today()));
    // More seats than vacancies: refused at the seats.
    let e = workflow::apply(st, &manage, &who(), c, &apply_input("by_election", "2", ""), today()).await.unwrap_err();
    assert_eq!(field_of(e), ("seats", text::BY_ELECTION_SEATS));
    let id = workflow::apply(st, &manage, &who(), c, &apply_input("by_election", "1", ""), today()).await.unwrap();
    workflow::approve(st, &approve, &who(), id, "1", today()).await.unwrap();
    // The retiree cannot stand; a union committee's one seat needs two candidates.
    let e = workflow::nominate(st, &manage, &who(), id, "孙三\n李四", today()).await.unwrap_err();
    assert_eq!(field_of(e), ("candidates", text::CANDIDATE_NOT_MEMBER));
    let e = workflow::nominate(st, &manage, &who(), id, "李四", today()).await.unwrap_err();
    assert_eq!(field_of(e), ("candidates", text::MARGIN));
    workflow::nominate(st, &manage, &who(), id, "李四\n周五", today()).await.unwrap();
    workflow::approve_slate(st, &approve, &who(), id, today()).await.unwrap();
    let e0 = workflow::get(st, &view, id).await.unwrap();
    workflow::hold(st, &manage, &who(), id, &result_of(&e0, "12", "10", &[9, 1]), today()).await.unwrap();
    workflow::confirm(st, &approve, &who(), id, today()).await.unwrap();
    let (row, seats, _) = committees::get(st, &view, c).await.unwrap();
    assert_eq!((row.held, row.vacant), (3, 0));
    // The term did not change; the new holder sits in the retiree's place.
    assert_eq!(row.term_start.to_string(), "2024-09-01");
    let names: Vec<String> = seats.iter().filter_map(|s| s.member.as_ref().map(|m| m.1.clone())).collect();
    assert!(names.contains(&"李四".to_string()) && !names.contains(&"孙三".to_string()), "{names:?}");
    assert!(committees::vacancies(st, &view).await.unwrap().is_empty());
});

dual_test!(async fn another_schools_chair_cannot_see_or_touch_school_as_election(t) {
    let st = &t.store;
    let o = org(st).await;
    for (i, n) in ["赵一", "钱二", "孙三"].iter().enumerate() {
        member(st, o.school_a, n, 10 + i as u32).await;
    }
    let b_member = member(st, o.school_b, "乙校人", 30).await;
    let _ = b_member;
    let chair_a = actor(&[(Role::SchoolChair, o.school_a)]);
    let c = committees::create(st, &chair_a.authorize().unwrap(), &who(), &committee_input(o.school_a, 3, "2024-09-01", "5"), "赵一").await.unwrap();
    let id = workflow::apply(st, &chair_a.authorize().unwrap(), &who(), c, &apply_input("by_election", "1", ""), today()).await.unwrap();
    let chair_b = actor(&[(Role::SchoolChair, o.school_b)]);
    let manage_b = chair_b.authorize::<perm::ElectionManage>().unwrap();
    let view_b = chair_b.authorize::<perm::ElectionView>().unwrap();
    // Out of scope looks like missing: reads and every write.
    assert!(matches!(workflow::get(st, &view_b, id).await, Err(StoreError::NotFound)));
    assert!(matches!(committees::get(st, &view_b, c).await, Err(StoreError::NotFound)));
    assert!(committees::list(st, &view_b, None).await.unwrap().is_empty());
    assert!(committees::vacancies(st, &view_b).await.unwrap().is_empty());
    assert!(committees::elections(st, &view_b, None).await.unwrap().is_empty());
    assert!(matches!(workflow::apply(st, &manage_b, &who(), c, &apply_input("by_election", "1", ""), today()).await, Err(StoreError::NotFound)));
    assert!(matches!(workflow::nominate(st, &manage_b, &who(), id, "赵一\n钱二", today()).await, Err(StoreError::NotFound)));
    let (_, seats, _) = committees::get(st, &chair_a.authorize().unwrap(), c).await.unwrap();
    assert!(matches!(committees::vacate(st, &manage_b, &who(), seats[0].id, VacancyReason::Resigned, today()).await, Err(StoreError::NotFound)));
    // Chair B cannot put their own school's member on A's list either (after A's approval).
    workflow::approve(st, &sys(), &who(), id, "1", today()).await.unwrap();
    let e = workflow::nominate(st, &chair_a.authorize().unwrap(), &who(), id, "乙校人\n钱二", today()).await.unwrap_err();
    assert_eq!(field_of(e), ("candidates", text::CANDIDATE_UNKNOWN));
    // The area lead of B sees nothing of A; the lead of A sees it, and approves nothing.
    let lead_b = actor(&[(Role::AreaLead, o.area_b)]);
    assert!(matches!(workflow::get(st, &lead_b.authorize().unwrap(), id).await, Err(StoreError::NotFound)));
    let lead_a = actor(&[(Role::AreaLead, o.area_a)]);
    assert!(workflow::get(st, &lead_a.authorize().unwrap(), id).await.is_ok());
    assert!(lead_a.authorize::<perm::ElectionApprove>().is_err());
    // Nothing of A changed: still approved, one seat holder.
    let e = workflow::get(st, &sys(), id).await.unwrap();
    assert_eq!((e.row.status, e.candidates.len()), (ElectionStatus::Approved, 0));
    // A non-member of A (union_member false) cannot stand.
    store::on_db!(t.db(), |p| sqlx::query("UPDATE member SET union_member = FALSE WHERE name = '钱二'").execute(p).await.map(|_| ())).unwrap();
    let e = workflow::nominate(st, &chair_a.authorize().unwrap(), &who(), id, "孙三\n钱二", today()).await.unwrap_err();
    assert_eq!(field_of(e), ("candidates", text::CANDIDATE_NOT_MEMBER));
});

dual_test!(async fn a_term_length_outside_the_rule_set_is_refused_at_its_field_and_nothing_is_stored(t) {
    let st = &t.store;
    let o = org(st).await;
    let chair = actor(&[(Role::SchoolChair, o.school_a)]);
    let e = committees::create(st, &chair.authorize().unwrap(), &who(), &committee_input(o.school_a, 3, "2024-09-01", "4"), "").await.unwrap_err();
    assert_eq!(field_of(e), ("term_years", text::TERM_YEARS));
    assert_eq!(count(&t, "SELECT COUNT(*) FROM committee").await, 0);
    // Another school's unit is out of reach.
    let e = committees::create(st, &chair.authorize().unwrap(), &who(), &committee_input(o.school_b, 3, "2024-09-01", "5"), "").await.unwrap_err();
    assert!(matches!(e, StoreError::NotFound));
    // One committee of each kind per school.
    committees::create(st, &chair.authorize().unwrap(), &who(), &committee_input(o.school_a, 3, "2024-09-01", "3"), "").await.unwrap();
    let e = committees::create(st, &chair.authorize().unwrap(), &who(), &committee_input(o.school_a, 3, "2024-09-01", "5"), "").await.unwrap_err();
    assert_eq!(field_of(e), ("kind", text::COMMITTEE_EXISTS));
});

dual_test!(async fn year_figures_and_due_items_count_elections_terms_vacancies_and_pending_approvals(t) {
    let st = &t.store;
    let o = org(st).await;
    for (i, n) in ["赵一", "钱二", "孙三"].iter().enumerate() {
        member(st, o.school_a, n, 10 + i as u32).await;
    }
    let m = sys::<perm::ElectionManage>();
    // School A: term ending in three months, one vacancy since the term began (overdue),
    // a by-election applied (approval pending). School B: term overdue since 2025.
    let c = committees::create(st, &m, &who(), &committee_input(o.school_a, 3, "2022-02-26", "5"), "赵一\n钱二").await.unwrap();
    committees::create(st, &m, &who(), &committee_input(o.school_b, 3, "2020-06-01", "5"), "").await.unwrap();
    workflow::apply(st, &m, &who(), c, &apply_input("by_election", "1", ""), today()).await.unwrap();
    let reach = Reach::system(&SystemCap::for_cli());
    let due = store::elections::due_items(st, &reach, today()).await.unwrap();
    let kinds: Vec<(&str, domain::ids::OrgUnitId)> = due.iter().map(|d| (d.kind.as_str(), d.unit)).collect();
    assert!(kinds.contains(&("due-elections-term", o.school_a)), "{kinds:?}");
    assert!(kinds.contains(&("due-elections-term", o.school_b)));
    assert!(kinds.contains(&("due-elections-vacancy", o.school_a)));
    assert!(kinds.contains(&("due-elections-approval", o.school_a)));
    // No personal name in any title.
    assert!(due.iter().all(|d| !d.title.contains("赵一") && !d.title.contains("钱二")));
    let approval = due.iter().find(|d| d.kind == "due-elections-approval").unwrap();
    assert_eq!(approval.concerns, vec![domain::area::Concerns::Role { role: Role::UnionStaff, unit: o.union }]);
    // The chair of B reaches only B's items.
    let chair_b = actor(&[(Role::SchoolChair, o.school_b)]);
    let mine = store::elections::due_items(st, &Reach::of(&chair_b.authorize::<perm::ElectionView>().unwrap()), today()).await.unwrap();
    assert!(!mine.is_empty() && mine.iter().all(|d| d.unit == o.school_b));
    // Figures: B's term is overdue; nothing held yet. Two queries.
    let before = st.db.query_count();
    let f = store::elections::year_figures(st, &reach, 2026).await.unwrap();
    assert_eq!(st.db.query_count() - before, 2);
    let v = |key: &str, unit| f.iter().find(|x| x.key == key && x.unit == unit).map(|x| x.value).unwrap_or(0);
    assert_eq!(v("figure-elections-overdue", o.school_b), 1);
    assert_eq!(v("figure-elections-overdue", o.school_a), 0);
    assert_eq!(v("figure-elections-by", o.school_a), 0);
});

dual_test!(async fn the_demo_year_holds_twenty_one_by_elections_and_one_overdue_union(t) {
    let opts = store::demo::DemoOptions { members: 600, seed: 7, today: today(), logins: false };
    store::demo::load(&t.store, &SystemCap::for_cli(), None, &opts).await.unwrap();
    let reach = Reach::system(&SystemCap::for_cli());
    let f = store::elections::year_figures(&t.store, &reach, 2026).await.unwrap();
    let sum = |key: &str| f.iter().filter(|x| x.key == key).map(|x| x.value).sum::<i64>();
    assert_eq!(sum("figure-elections-by"), DEMO_BY_ELECTIONS as i64);
    assert_eq!(sum("figure-elections-general"), 1);
    // One school's terms are overdue (its three committees).
    let overdue: std::collections::BTreeSet<_> = f.iter().filter(|x| x.key == "figure-elections-overdue" && x.value > 0).map(|x| x.unit).collect();
    assert_eq!(overdue.len(), 1);
    // Every step of every election names a rule-set version.
    assert_eq!(count(&t, "SELECT COUNT(*) FROM election_step WHERE rule_set_id IS NULL").await, 0);
    let due = store::elections::due_items(&t.store, &reach, today()).await.unwrap();
    assert!(due.iter().any(|d| d.kind == "due-elections-vacancy" && d.due < today()));
    assert!(due.iter().any(|d| d.kind == "due-elections-approval"));
});

const DEMO_BY_ELECTIONS: usize = store::elections::demo::DEMO_BY_ELECTIONS;

dual_test!(async fn a_transfer_to_another_school_or_leaving_the_union_makes_a_vacancy(t) {
    let st = &t.store;
    let o = org(st).await;
    let mut ids = Vec::new();
    for (i, n) in ["赵一", "钱二", "孙三"].iter().enumerate() {
        ids.push(member(st, o.school_a, n, 10 + i as u32).await);
    }
    let chair = actor(&[(Role::SchoolChair, o.school_a)]);
    let manage = chair.authorize::<perm::ElectionManage>().unwrap();
    let view = chair.authorize::<perm::ElectionView>().unwrap();
    let c = committees::create(st, &manage, &who(), &committee_input(o.school_a, 3, "2024-09-01", "5"), "赵一\n钱二\n孙三").await.unwrap();
    assert!(committees::vacancies(st, &view).await.unwrap().is_empty());
    // 钱二 moves to school B within the district (still active): the seat is vacant from
    // the day of the transfer.
    let moved = today() - chrono::Duration::days(3);
    store::org::transfer_member(st, &sys(), &who(), ids[1], o.school_b, None, moved, None).await.unwrap();
    let vac = committees::vacancies(st, &view).await.unwrap();
    assert_eq!(vac.len(), 1);
    assert_eq!((vac[0].reason, vac[0].former.as_deref(), vac[0].since), (VacancyReason::Transferred, Some("钱二"), moved));
    // 孙三 leaves the union (recorded in the roster): a second vacancy.
    store::on_db!(t.db(), |p| sqlx::query("UPDATE member SET union_member = FALSE WHERE id = $1").bind(ids[2].0).execute(p).await.map(|r| r.rows_affected())).unwrap();
    let (row, _, _) = committees::get(st, &view, c).await.unwrap();
    assert_eq!((row.held, row.vacant), (1, 2));
    // A by-election may now fill both.
    workflow::apply(st, &manage, &who(), c, &apply_input("by_election", "2", ""), today()).await.unwrap();
});

dual_test!(async fn the_committee_elects_its_chair_and_vice_chairs_and_a_refusal_changes_nothing(t) {
    let st = &t.store;
    let o = org(st).await;
    for (i, n) in ["赵一", "钱二", "孙三"].iter().enumerate() {
        member(st, o.school_a, n, 10 + i as u32).await;
    }
    let chair = actor(&[(Role::SchoolChair, o.school_a)]);
    let manage = chair.authorize::<perm::ElectionManage>().unwrap();
    let view = chair.authorize::<perm::ElectionView>().unwrap();
    let c = committees::create(st, &manage, &who(), &committee_input(o.school_a, 3, "2024-09-01", "5"), "赵一\n钱二\n孙三").await.unwrap();
    let pick = |present: &str, picks: &[(&str, &str)]| committees::OfficersInput {
        present: present.into(),
        held_on: "2026-12-01".into(),
        picks: picks.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect(),
    };
    // The page's order: 赵一 (chair), 钱二 (vice-chair), 孙三 (member). One of three
    // present is no quorum (two needed).
    let e = committees::elect_officers(st, &manage, &who(), c, &pick("1", &[("member", ""), ("member", ""), ("chair", "1")])).await.unwrap_err();
    assert_eq!(field_of(e), ("present", text::NO_QUORUM));
    let e = committees::elect_officers(st, &manage, &who(), c, &pick("3", &[("chair", "3"), ("chair", "3"), ("member", "")])).await.unwrap_err();
    assert_eq!(field_of(e), ("officers", text::OFFICERS_ONE_CHAIR));
    // One vote of three members is not more than half.
    let e = committees::elect_officers(st, &manage, &who(), c, &pick("3", &[("member", ""), ("vice_chair", "1"), ("chair", "3")])).await.unwrap_err();
    assert_eq!(field_of(e), ("officers", text::OFFICERS_VOTES));
    let e = committees::elect_officers(st, &manage, &who(), c, &pick("3", &[("chair", "3")])).await.unwrap_err();
    assert_eq!(field_of(e), ("officers", text::OFFICERS_CHANGED));
    // Another school's chair: as missing.
    let other = actor(&[(Role::SchoolChair, o.school_b)]).authorize::<perm::ElectionManage>().unwrap();
    let e = committees::elect_officers(st, &other, &who(), c, &pick("3", &[("member", ""), ("vice_chair", "2"), ("chair", "3")])).await.unwrap_err();
    assert!(matches!(e, StoreError::NotFound));
    let (_, seats, _) = committees::get(st, &view, c).await.unwrap();
    assert_eq!((seats[0].role, seats[0].member.as_ref().unwrap().1.as_str()), (SeatRole::Chair, "赵一"));
    assert_eq!(count(&t, "SELECT COUNT(*) FROM committee_officer_vote").await, 0);
    // 孙三 chair with three votes, 钱二 vice-chair with two (more than 1.5).
    let out = committees::elect_officers(st, &manage, &who(), c, &pick("3", &[("member", ""), ("vice_chair", "2"), ("chair", "3")])).await.unwrap();
    assert_eq!((out.quorum_needed, out.elect_needed), (2, 2));
    let (_, seats, _) = committees::get(st, &view, c).await.unwrap();
    let offices: Vec<(SeatRole, &str)> = seats.iter().map(|s| (s.role, s.member.as_ref().unwrap().1.as_str())).collect();
    assert_eq!(offices, vec![(SeatRole::Chair, "孙三"), (SeatRole::ViceChair, "钱二"), (SeatRole::Member, "赵一")]);
    // Recorded with the rule-set version in force, and audited.
    assert_eq!(count(&t, "SELECT COUNT(*) FROM committee_officer_vote WHERE due = 3 AND present = 3 AND rule_set_id IS NOT NULL").await, 1);
    assert_eq!(count(&t, "SELECT COUNT(*) FROM audit_log WHERE action = 'committee.officers'").await, 1);
});

// ------------------------------------------------------------ the vote through voting's polls

mod by_poll {
    use super::*;
    use domain::voting::{BallotInput, PollId, PollStatus};
    use store::elections::vote;
    use store::voting::ballot_box::{BallotBox, Cast, Voter, prepare};
    use testkit::hall::{Hall, close, hall, open};

    async fn cast(
        st: &store::Store,
        bx: &BallotBox,
        h: &Hall,
        i: usize,
        poll: PollId,
        marks: &[usize],
    ) -> Result<Cast, StoreError> {
        let opts = store::voting::options(
            &st.db,
            store::congress::meetings::Viewer::view(&sys()),
            poll,
        )
        .await?;
        let input = BallotInput {
            marks: opts
                .iter()
                .enumerate()
                .map(|(k, o)| {
                    (
                        o.id,
                        if marks.contains(&k) {
                            "for".to_string()
                        } else {
                            "against".to_string()
                        },
                    )
                })
                .collect(),
            ..BallotInput::default()
        };
        let p = prepare(&st.db, Voter::Code(&h.delegates[i].2), poll).await?;
        let b = p.check(&input)?;
        bx.cast(&p, &b).await
    }

    async fn publish(st: &store::Store, h: &Hall, poll: PollId) {
        close(st, h, poll).await;
        store::voting::publish_poll(st, &sys(), &who(), poll)
            .await
            .unwrap();
    }

    /// An election of school A's union committee (3 seats) by its member-delegate assembly,
    /// with the list 代表0010–0013 approved.
    async fn approved(st: &store::Store, h: &Hall, assembly: &str) -> (ElectionId, CommitteeId) {
        let manage = actor(&[(Role::SchoolChair, h.org.school_a)])
            .authorize::<perm::ElectionManage>()
            .unwrap();
        let approve = actor(&[(Role::UnionStaff, h.org.union)])
            .authorize::<perm::ElectionApprove>()
            .unwrap();
        let c = committees::create(
            st,
            &manage,
            &who(),
            &committee_input(h.org.school_a, 3, "2021-09-01", "5"),
            "",
        )
        .await
        .unwrap();
        let input = ApplyInput {
            assembly: assembly.into(),
            ..apply_input("general_election", "3", "5")
        };
        let id = workflow::apply(st, &manage, &who(), c, &input, today())
            .await
            .unwrap();
        workflow::approve(st, &approve, &who(), id, "3", today())
            .await
            .unwrap();
        workflow::nominate(
            st,
            &manage,
            &who(),
            id,
            "代表0010\n代表0011\n代表0012\n代表0013",
            today(),
        )
        .await
        .unwrap();
        workflow::approve_slate(st, &approve, &who(), id, today())
            .await
            .unwrap();
        (id, c)
    }

    dual_test!(async fn members_vote_by_secret_ballot_a_tie_goes_to_a_further_round_and_the_result_is_decided_against_those_due(t) {
        let st = &t.store;
        // 30 delegates, all checked in; the last two are not union members: 28 due.
        let h = hall(st, 30, 0, 30).await;
        for i in [28, 29] {
            store::on_db!(t.db(), |p| sqlx::query("UPDATE member SET union_member = FALSE WHERE id = $1").bind(h.delegates[i].0.0).execute(p).await.map(|r| r.rows_affected())).unwrap();
        }
        let chair = actor(&[(Role::SchoolChair, h.org.school_a)]);
        let manage = chair.authorize::<perm::ElectionManage>().unwrap();
        let view = chair.authorize::<perm::ElectionView>().unwrap();
        let approve = actor(&[(Role::UnionStaff, h.org.union)]).authorize::<perm::ElectionApprove>().unwrap();
        let (id, c) = approved(st, &h, "member_delegate_assembly").await;
        // The meetings offered: the open meeting of the delegate congress.
        let ms = vote::meetings(st, &view, id).await.unwrap();
        assert_eq!(ms.iter().map(|m| m.id).collect::<Vec<_>>(), vec![h.meeting]);
        // Nothing to take before a vote.
        assert_eq!(field_of(vote::take_result(st, &manage, &who(), id, today()).await.unwrap_err()), ("vote", text::VOTE_NONE));
        // A forged meeting is refused at the field.
        let e = vote::start(st, &manage, &who(), id, &(h.meeting.0 + 999).to_string(), "工会委员会选举").await.unwrap_err();
        assert_eq!(field_of(e), ("vote", text::VOTE_MEETING));
        let poll = vote::start(st, &manage, &who(), id, &h.meeting.0.to_string(), "工会委员会选举").await.unwrap();
        // Once: a second start and the typed result are refused.
        let e = vote::start(st, &manage, &who(), id, &h.meeting.0.to_string(), "工会委员会选举").await.unwrap_err();
        assert_eq!(field_of(e), ("vote", text::VOTE_STARTED));
        // The poll holds the approved list; voting refuses to change it.
        let opts = store::voting::options(&st.db, store::congress::meetings::Viewer::view(&sys()), poll).await.unwrap();
        assert_eq!(opts.iter().map(|o| o.label.as_str()).collect::<Vec<_>>(), vec!["代表0010", "代表0011", "代表0012", "代表0013"]);
        let e = store::voting::add_option(st, &sys(), &who(), poll, h.delegates[20].0).await.unwrap_err();
        assert_eq!(field_of(e), ("poll", domain::text::VOTE_ELECTION_POLL));
        let e = store::voting::remove_option(st, &sys(), &who(), poll, opts[3].id).await.unwrap_err();
        assert_eq!(field_of(e), ("poll", domain::text::VOTE_ELECTION_POLL));
        open(st, &h, poll).await.unwrap();
        // Once the poll is open, typed counts are refused.
        let e0 = workflow::get(st, &view, id).await.unwrap();
        let e = workflow::hold(st, &manage, &who(), id, &result_of(&e0, "28", "28", &[20, 17, 15, 15]), today()).await.unwrap_err();
        assert_eq!(field_of(e), ("vote", text::VOTE_STARTED));
        let bx = BallotBox::start(st.db.clone());
        // A delegate who is not a union member may not vote in a union election.
        let e = cast(st, &bx, &h, 28, poll, &[0]).await.unwrap_err();
        assert_eq!(field_of(e).1, domain::text::VOTE_UNION_MEMBERS_ONLY);
        // 27 ballots: 12 × {A, B, C}, 5 × {A, B, D}, 3 × {A, C, D}, 7 × {D}:
        // A 20, B 17, C 15, D 15; 15 votes are needed (more than half of 28).
        let plan: [(usize, &[usize]); 4] = [(12, &[0, 1, 2]), (5, &[0, 1, 3]), (3, &[0, 2, 3]), (7, &[3])];
        let mut i = 0;
        for (n, marks) in plan {
            for _ in 0..n {
                assert_eq!(cast(st, &bx, &h, i, poll, marks).await.unwrap(), Cast::Stored);
                i += 1;
            }
        }
        // Not before the round is published.
        close(st, &h, poll).await;
        assert_eq!(field_of(vote::take_result(st, &manage, &who(), id, today()).await.unwrap_err()), ("vote", text::VOTE_NOT_PUBLISHED));
        store::voting::publish_poll(st, &sys(), &who(), poll).await.unwrap();
        // C and D tie at the last seat: voting's own further round is refused for an
        // election's poll; the election's is among the two for one seat.
        let e = store::voting::further_round(st, &sys(), &who(), poll).await.unwrap_err();
        assert_eq!(field_of(e), ("poll", domain::text::VOTE_ELECTION_POLL));
        let next = vote::further_round(st, &manage, &who(), id).await.unwrap();
        let rounds = vote::rounds(st, &view, id).await.unwrap();
        assert_eq!(rounds.iter().map(|r| (r.round, r.seats, r.status)).collect::<Vec<_>>(), vec![(1, 3, PollStatus::Published), (2, 1, PollStatus::Draft)]);
        let opts2 = store::voting::options(&st.db, store::congress::meetings::Viewer::view(&sys()), next).await.unwrap();
        assert_eq!(opts2.iter().map(|o| o.label.as_str()).collect::<Vec<_>>(), vec!["代表0012", "代表0013"]);
        assert_eq!(field_of(vote::take_result(st, &manage, &who(), id, today()).await.unwrap_err()), ("vote", text::VOTE_NOT_PUBLISHED));
        open(st, &h, next).await.unwrap();
        for i in 0..27 {
            cast(st, &bx, &h, i, next, if i < 18 { &[0] } else { &[1] }).await.unwrap();
        }
        publish(st, &h, next).await;
        // Every seat is filled: no third round.
        assert_eq!(field_of(vote::further_round(st, &manage, &who(), id).await.unwrap_err()), ("vote", text::VOTE_NO_ROUND));
        // Another school's chair sees nothing of it.
        let other = actor(&[(Role::SchoolChair, h.org.school_b)]).authorize::<perm::ElectionManage>().unwrap();
        assert!(matches!(vote::take_result(st, &other, &who(), id, today()).await, Err(StoreError::NotFound)));
        let out = vote::take_result(st, &manage, &who(), id, today()).await.unwrap();
        // 28 due (the two non-members are not), 28 present: quorum 19, 15 votes to be elected.
        assert_eq!((out.quorum_needed, out.elect_needed, out.unfilled), (19, 15, 0));
        let e = workflow::get(st, &view, id).await.unwrap();
        assert_eq!((e.row.status, e.row.voters_due, e.row.present), (ElectionStatus::Held, Some(28), Some(28)));
        assert_eq!(e.row.held_on.unwrap().to_string(), "2026-11-25");
        let votes: Vec<(&str, Option<i64>, bool)> = e.candidates.iter().map(|c| (c.name.as_str(), c.votes, c.elected)).collect();
        assert_eq!(votes, vec![("代表0010", Some(20), true), ("代表0011", Some(17), true), ("代表0012", Some(18), true), ("代表0013", Some(9), false)]);
        assert_eq!(e.steps.last().unwrap().step, ElectionStep::Hold);
        workflow::confirm(st, &approve, &who(), id, today()).await.unwrap();
        let (row, seats, _) = committees::get(st, &view, c).await.unwrap();
        assert_eq!((row.held, row.vacant, row.term_start.to_string()), (3, 0, "2026-11-25".to_string()));
        let mut holders: Vec<String> = seats.iter().filter_map(|s| s.member.as_ref().map(|m| m.1.clone())).collect();
        holders.sort();
        assert_eq!(holders, vec!["代表0010", "代表0011", "代表0012"]);
        // The start, the further round and the result are audited.
        assert_eq!(count(&t, "SELECT COUNT(*) FROM audit_log WHERE action IN ('election.vote_start', 'election.vote_round', 'election.hold')").await, 3);
    });

    dual_test!(async fn a_vote_needs_a_meeting_of_its_own_school_that_fits_the_assembly(t) {
        let st = &t.store;
        // 30 delegates, 18 checked in: below two thirds of 30.
        let h = hall(st, 30, 0, 18).await;
        let manage = actor(&[(Role::SchoolChair, h.org.school_a)]).authorize::<perm::ElectionManage>().unwrap();
        let view = actor(&[(Role::SchoolChair, h.org.school_a)]).authorize::<perm::ElectionView>().unwrap();
        let (id, _) = approved(st, &h, "member_assembly").await;
        // A member assembly votes in an all-staff assembly's meeting, not the delegate
        // congress's: none is offered and the congress meeting is refused.
        assert!(vote::meetings(st, &view, id).await.unwrap().is_empty());
        let e = vote::start(st, &manage, &who(), id, &h.meeting.0.to_string(), "选举").await.unwrap_err();
        assert_eq!(field_of(e), ("vote", text::VOTE_MEETING));
        // Another school's chair: as missing.
        let other = actor(&[(Role::SchoolChair, h.org.school_b)]);
        let e = vote::start(st, &other.authorize::<perm::ElectionManage>().unwrap(), &who(), id, &h.meeting.0.to_string(), "选举").await.unwrap_err();
        assert!(matches!(e, StoreError::NotFound));
        assert!(matches!(vote::rounds(st, &other.authorize::<perm::ElectionView>().unwrap(), id).await, Err(StoreError::NotFound)));
        assert_eq!(count(&t, "SELECT COUNT(*) FROM poll").await, 0);
    });

    dual_test!(async fn a_poll_never_opened_is_withdrawn_when_the_tellers_counts_are_typed_instead(t) {
        let st = &t.store;
        let h = hall(st, 30, 0, 30).await;
        let chair = actor(&[(Role::SchoolChair, h.org.school_a)]);
        let manage = chair.authorize::<perm::ElectionManage>().unwrap();
        let view = chair.authorize::<perm::ElectionView>().unwrap();
        let (id, _) = approved(st, &h, "member_delegate_assembly").await;
        vote::start(st, &manage, &who(), id, &h.meeting.0.to_string(), "选举").await.unwrap();
        assert_eq!(count(&t, "SELECT COUNT(*) FROM poll WHERE election_id IS NOT NULL").await, 1);
        let e0 = workflow::get(st, &view, id).await.unwrap();
        let out = workflow::hold(st, &manage, &who(), id, &result_of(&e0, "30", "25", &[20, 18, 16, 5]), today()).await.unwrap();
        assert_eq!(out.elected.len(), 3);
        assert_eq!(count(&t, "SELECT COUNT(*) FROM poll").await, 0);
        assert!(vote::rounds(st, &view, id).await.unwrap().is_empty());
    });
}

dual_test!(async fn when_the_rule_set_has_the_assembly_elect_the_chair_the_result_names_the_chair_and_the_committee_elects_only_vice_chairs(t) {
    let st = &t.store;
    let o = org(st).await;
    for (i, n) in ["赵一", "钱二", "孙三", "李四", "周五"].iter().enumerate() {
        member(st, o.school_a, n, 10 + i as u32).await;
    }
    let chair = actor(&[(Role::SchoolChair, o.school_a)]);
    let manage = chair.authorize::<perm::ElectionManage>().unwrap();
    let staff = actor(&[(Role::UnionStaff, o.union)]);
    let approve = staff.authorize::<perm::ElectionApprove>().unwrap();
    let view = staff.authorize::<perm::ElectionView>().unwrap();
    // The district's new rule-set version: the assembly elects the chair directly.
    let mut rules = ElectionRules::default_rules();
    rules.chair_by = ChairElection::Assembly;
    store::elections::rules::add_version(st, &approve, &who(), o.union, &rules, Some("直接选举主席")).await.unwrap();
    let c = committees::create(st, &manage, &who(), &committee_input(o.school_a, 3, "2021-09-01", "5"), "赵一\n钱二\n孙三").await.unwrap();
    let id = workflow::apply(st, &manage, &who(), c, &apply_input("general_election", "3", "5"), today()).await.unwrap();
    workflow::approve(st, &approve, &who(), id, "3", today()).await.unwrap();
    workflow::nominate(st, &manage, &who(), id, "赵一\n钱二\n李四\n周五", today()).await.unwrap();
    workflow::approve_slate(st, &approve, &who(), id, today()).await.unwrap();
    let e0 = workflow::get(st, &view, id).await.unwrap();
    assert_eq!(e0.rules.chair_by, ChairElection::Assembly, "the step's version carries the choice");
    // The chair's ballot cannot go to a phone poll yet: refused at the vote, with the reason.
    let e = store::elections::vote::start(st, &manage, &who(), id, "1", "x").await.unwrap_err();
    assert_eq!(field_of(e), ("vote", text::VOTE_CHAIR_DIRECT));
    // 30 due, 24 present: 赵一 20, 钱二 18, 李四 16, 周五 6 for three seats.
    let mut input = result_of(&e0, "30", "24", &[20, 18, 16, 6]);
    // Without a chair: refused, nothing stored.
    let e = workflow::hold(st, &manage, &who(), id, &input, today()).await.unwrap_err();
    assert_eq!(field_of(e), ("chair", text::CHAIR_REQUIRED));
    // 周五 was not elected a member: cannot be chair.
    input.chair = e0.candidates[3].id.0.to_string();
    input.chair_votes = "20".into();
    let e = workflow::hold(st, &manage, &who(), id, &input, today()).await.unwrap_err();
    assert_eq!(field_of(e), ("chair", text::CHAIR_NOT_ELECTED));
    // 钱二 with 15 of 30: not more than half of those due.
    input.chair = e0.candidates[1].id.0.to_string();
    input.chair_votes = "15".into();
    let e = workflow::hold(st, &manage, &who(), id, &input, today()).await.unwrap_err();
    assert_eq!(field_of(e), ("chair", text::CHAIR_VOTES));
    assert_eq!(workflow::get(st, &view, id).await.unwrap().row.status, ElectionStatus::SlateApproved);
    // 钱二 with 17: the assembly's chair, though 赵一 had more votes as a member.
    input.chair_votes = "17".into();
    workflow::hold(st, &manage, &who(), id, &input, today()).await.unwrap();
    workflow::confirm(st, &approve, &who(), id, today()).await.unwrap();
    let e = workflow::get(st, &view, id).await.unwrap();
    assert_eq!(e.chair.map(|c| c.1), Some(17));
    let (_, seats, _) = committees::get(st, &view, c).await.unwrap();
    let chair_seat = seats.iter().find(|s| s.role == SeatRole::Chair).unwrap();
    assert_eq!(chair_seat.member.as_ref().unwrap().1, "钱二");
    // The committee elects only its vice-chairs: making 赵一 chair is refused.
    let order: Vec<String> = seats.iter().filter(|s| !s.vacant).map(|s| s.member.as_ref().unwrap().1.clone()).collect();
    assert_eq!(order[0], "钱二", "{order:?}");
    let picks = |roles: [(&str, &str); 3]| committees::OfficersInput {
        present: "3".into(),
        held_on: "2026-11-21".into(),
        picks: roles.iter().map(|(r, v)| (r.to_string(), v.to_string())).collect(),
    };
    let e = committees::elect_officers(st, &manage, &who(), c, &picks([("member", ""), ("chair", "3"), ("member", "")])).await.unwrap_err();
    assert_eq!(field_of(e), ("officers", text::OFFICERS_CHAIR_DIRECT));
    // The chair keeps the office without the committee's vote; 赵一 becomes vice-chair.
    committees::elect_officers(st, &manage, &who(), c, &picks([("chair", ""), ("vice_chair", "3"), ("member", "")])).await.unwrap();
    let (_, seats, _) = committees::get(st, &view, c).await.unwrap();
    let role_of = |n: &str| seats.iter().find(|s| s.member.as_ref().is_some_and(|m| m.1 == n)).unwrap().role;
    assert_eq!((role_of("钱二"), role_of("赵一")), (SeatRole::Chair, SeatRole::ViceChair));
});
