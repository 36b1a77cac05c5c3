//! The staff congress in the store: rule-set versions, terms and delegates, meetings and
//! attendance, the proposal loop with its bad inputs, documents, the report and the
//! oversight table. Every test runs on SQLite and PostgreSQL.

use chrono::{Duration, NaiveDate};
use domain::auth::{Actor, Role, perm};
use domain::congress::*;
use domain::ids::{MemberId, OrgUnitId};
use domain::org::{Coded, Gender, MemberStatus, Post};
use domain::proposals::*;
use domain::rules::{CompositionWarning, RuleSet, Threshold};
use domain::text as t;
use store::congress::{attendance, meetings, report, rules, terms};
use store::proposals::{self, suggestions};
use store::{Store, StoreError};
use testkit::*;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn as_member(role: Role, unit: OrgUnitId, m: MemberId) -> Actor {
    let mut a = actor(&[(role, unit)]);
    a.account = domain::ids::AccountId(5000 + m.0);
    a.member = Some(m);
    a
}

fn key_of(e: StoreError) -> &'static str {
    match e {
        StoreError::Invalid(f) => f.0[0].key,
        other => panic!("expected an input error, got {other:?}"),
    }
}

async fn audit_count(st: &Store) -> i64 {
    store::audit::list(&st.db, &sys(), &Default::default(), 1_000_000)
        .await
        .map(|r| r.len() as i64)
        .unwrap_or(0)
}

async fn person(
    st: &Store,
    school: OrgUnitId,
    name: &str,
    n: u32,
    post: Post,
    female: bool,
) -> MemberId {
    let mut i = input(name, n);
    i.id_number = id_number(n, !female);
    i.post = post.code().into();
    let dr = i.parse(today()).unwrap();
    store::org::create_member(st, &sys(), &who(), school, None, &dr, today())
        .await
        .unwrap()
}

/// A school with a current term, `n` voting delegates (teachers, every other one a woman)
/// and a meeting on 2026-12-10 collecting proposals from 2026-11-01 to 2026-12-05.
struct Congress {
    org: Org,
    term: TermId,
    members: Vec<MemberId>,
    delegates: Vec<DelegateId>,
    meeting: MeetingId,
}

async fn congress(st: &Store, n: u32) -> Congress {
    let org = org(st).await;
    let term = terms::create_term(
        st,
        &sys(),
        &who(),
        org.school_a,
        &TermDraft {
            number: 3,
            mode: CongressMode::Congress,
            start_date: d(2025, 9, 1),
            end_date: d(2028, 8, 31),
        },
    )
    .await
    .unwrap();
    let mut members = Vec::new();
    let mut delegates = Vec::new();
    for i in 0..n {
        let m = person(
            st,
            org.school_a,
            &format!("代表{i}"),
            100 + i,
            Post::Teacher,
            i % 2 == 0,
        )
        .await;
        members.push(m);
        delegates.push(
            terms::add_delegate(
                st,
                &sys(),
                &who(),
                term,
                m,
                DelegateKind::Delegate,
                None,
                d(2025, 9, 1),
            )
            .await
            .unwrap(),
        );
    }
    let meeting = meetings::create_meeting(
        st,
        &sys(),
        &who(),
        term,
        &MeetingInput {
            meeting_date: "2026-12-10".into(),
            starts_at: "14:30".into(),
            place: "学术报告厅".into(),
            proposals_from: "2026-11-01".into(),
            proposals_until: "2026-12-05".into(),
            ..Default::default()
        }
        .parse()
        .unwrap(),
    )
    .await
    .unwrap();
    Congress {
        org,
        term,
        members,
        delegates,
        meeting,
    }
}

fn draft_proposal(title: &str) -> ProposalDraft {
    ProposalInput {
        title: title.into(),
        category: "logistics".into(),
        reasons: "教师午餐时间过短，食堂排队时间长。".into(),
        measures: "增加一个取餐窗口，错峰用餐。".into(),
    }
    .parse()
    .unwrap()
}

dual_test!(async fn without_any_version_the_defaults_apply_and_the_first_decision_stores_them(t) {
    let st = &t.store;
    let c = congress(st, 3).await;
    let e = rules::effective(&st.db, &sys::<domain::auth::perm::CongressView>(), c.org.school_a).await.unwrap();
    assert_eq!(e.version, None);
    assert_eq!(e.rules, RuleSet::DEFAULT);
    // A decision needs an id: closing a meeting stores the defaults at the root union.
    meetings::set_status(st, &sys(), &who(), c.meeting, MeetingStatus::Open).await.unwrap();
    meetings::set_status(st, &sys(), &who(), c.meeting, MeetingStatus::Closed).await.unwrap();
    let e = rules::effective(&st.db, &sys::<domain::auth::perm::CongressView>(), c.org.school_a).await.unwrap();
    let v = e.version.unwrap();
    assert_eq!((v.org_unit_id, v.version), (c.org.union, 1));
    let m = meetings::get_meeting(&st.db, meetings::Viewer::view(&sys()), c.meeting).await.unwrap();
    assert_eq!(m.final_rule_set_id, Some(v.id));
});

dual_test!(async fn a_school_overrides_its_union_and_goes_back_and_old_decisions_keep_their_version(t) {
    let st = &t.store;
    let c = congress(st, 3).await;
    let union_v = rules::create_version(st, &sys(), &who(), c.org.union, Some(&RuleSet::DEFAULT), Some("区工会实施细则".into())).await.unwrap();
    assert_eq!(rules::effective(&st.db, &sys::<domain::auth::perm::CongressView>(), c.org.school_a).await.unwrap().id(), Some(union_v));
    let stricter = RuleSet { quorum: Threshold::at_least(3, 4), seconders: 3, ..RuleSet::DEFAULT };
    let school_v = rules::create_version(st, &sys(), &who(), c.org.school_a, Some(&stricter), None).await.unwrap();
    let e = rules::effective(&st.db, &sys::<domain::auth::perm::CongressView>(), c.org.school_a).await.unwrap();
    assert_eq!((e.id(), e.rules.seconders), (Some(school_v), 3));
    // Other schools keep the union's.
    assert_eq!(rules::effective(&st.db, &sys::<domain::auth::perm::CongressView>(), c.org.school_b).await.unwrap().id(), Some(union_v));
    // A lax version is refused and nothing is stored.
    let lax = RuleSet { quorum: Threshold::at_least(1, 2), ..RuleSet::DEFAULT };
    let e = rules::create_version(st, &sys(), &who(), c.org.school_a, Some(&lax), None).await.unwrap_err();
    assert_eq!(key_of(e), t::RULE_BELOW_STATUTE);
    // Back to inheriting: a new version, the old ones stay in the history.
    let back = rules::create_version(st, &sys(), &who(), c.org.school_a, None, None).await.unwrap();
    assert_ne!(back, school_v);
    assert_eq!(rules::effective(&st.db, &sys::<domain::auth::perm::CongressView>(), c.org.school_a).await.unwrap().id(), Some(union_v));
    let h = rules::history(&st.db, &sys::<perm::CongressView>(), c.org.school_a).await.unwrap();
    assert_eq!(h.iter().map(|v| (v.org_unit_id, v.version)).collect::<Vec<_>>(),
        vec![(c.org.school_a, 2), (c.org.school_a, 1), (c.org.union, 1)]);
    assert_eq!(rules::version(&st.db, school_v).await.unwrap().rules.seconders, 3);
    // A school chair may set its school's rules, not the union's nor another school's.
    let chair = actor(&[(Role::SchoolChair, c.org.school_a)]);
    let cap = chair.authorize::<perm::RuleSetManage>().unwrap();
    assert!(rules::create_version(st, &cap, &who(), c.org.union, Some(&RuleSet::DEFAULT), None).await.is_err());
    assert!(rules::create_version(st, &cap, &who(), c.org.school_b, Some(&RuleSet::DEFAULT), None).await.is_err());
    rules::create_version(st, &cap, &who(), c.org.school_a, Some(&stricter), None).await.unwrap();
});

dual_test!(async fn the_composition_report_warns_when_teachers_are_too_few_or_leaders_too_many(t) {
    let st = &t.store;
    let c = congress(st, 6).await;
    let r = terms::composition(&st.db, &sys::<perm::CongressView>(), c.term, today()).await.unwrap();
    assert_eq!(r.counts.delegates, 6);
    assert_eq!(r.counts.teachers, 6);
    assert_eq!(r.counts.women, 3);
    assert!(r.warnings.iter().all(|w| !matches!(w, CompositionWarning::TeachersBelow { .. })));
    // Four leaders of ten: teachers 60 % exactly (fine), leaders 40 % (above 20 %).
    for i in 0..4 {
        let m = person(st, c.org.school_a, &format!("校领导{i}"), 300 + i, Post::Leader, false).await;
        terms::add_delegate(st, &sys(), &who(), c.term, m, DelegateKind::Delegate, None, d(2025, 9, 1)).await.unwrap();
    }
    let r = terms::composition(&st.db, &sys::<perm::CongressView>(), c.term, today()).await.unwrap();
    assert_eq!((r.counts.delegates, r.counts.leaders), (10, 4));
    assert!(r.warnings.contains(&CompositionWarning::LeadersAbove { max: 2 }), "{:?}", r.warnings);
    assert!(!r.warnings.iter().any(|w| matches!(w, CompositionWarning::TeachersBelow { .. })));
    // One more leader: 6 of 11 teachers is below 60 % (7 needed).
    let m = person(st, c.org.school_a, "校领导9", 309, Post::Leader, false).await;
    terms::add_delegate(st, &sys(), &who(), c.term, m, DelegateKind::Delegate, None, d(2025, 9, 1)).await.unwrap();
    let r = terms::composition(&st.db, &sys::<perm::CongressView>(), c.term, today()).await.unwrap();
    assert!(r.warnings.contains(&CompositionWarning::TeachersBelow { needed: 7 }), "{:?}", r.warnings);
    // Observers do not count.
    let obs = person(st, c.org.school_a, "列席者", 320, Post::Staff, true).await;
    terms::add_delegate(st, &sys(), &who(), c.term, obs, DelegateKind::Observer, None, d(2025, 9, 1)).await.unwrap();
    let r2 = terms::composition(&st.db, &sys::<perm::CongressView>(), c.term, today()).await.unwrap();
    assert_eq!(r2.counts, r.counts);
});

dual_test!(async fn a_replaced_delegate_keeps_the_history_and_the_successor_takes_the_seat(t) {
    let st = &t.store;
    let c = congress(st, 3).await;
    let new = person(st, c.org.school_a, "接任者", 400, Post::Teacher, true).await;
    let before = audit_count(st).await;
    let succ = terms::replace_delegate(st, &sys(), &who(), c.delegates[0], Some(new), d(2026, 3, 1), "调离本校").await.unwrap().unwrap();
    assert_eq!(audit_count(st).await, before + 1);
    let all = terms::delegates(&st.db, &sys::<perm::CongressView>(), c.term, true).await.unwrap();
    let old = all.iter().find(|x| x.id == c.delegates[0]).unwrap();
    assert_eq!(old.ended_on, Some(d(2026, 3, 1)));
    assert_eq!(old.replaced_by_name.as_deref(), Some("接任者"));
    let s = all.iter().find(|x| x.id == succ).unwrap();
    assert_eq!(s.replaces_name.as_deref(), Some("代表0"));
    assert_eq!(s.started_on, d(2026, 3, 1));
    let current = terms::delegates(&st.db, &sys::<perm::CongressView>(), c.term, false).await.unwrap();
    assert_eq!(current.len(), 3);
    // Adding someone twice, or someone from another school, is refused.
    let e = terms::add_delegate(st, &sys(), &who(), c.term, new, DelegateKind::Delegate, None, today()).await.unwrap_err();
    assert_eq!(key_of(e), t::DELEGATE_EXISTS);
    let other = member(st, c.org.school_b, "外校人员", 500).await;
    let e = terms::add_delegate(st, &sys(), &who(), c.term, other, DelegateKind::Delegate, None, today()).await.unwrap_err();
    assert_eq!(key_of(e), t::MEMBER_NOT_IN_SCHOOL);
    // Ending a mandate twice is refused.
    assert!(terms::replace_delegate(st, &sys(), &who(), c.delegates[0], None, today(), "x").await.is_err());
});

dual_test!(async fn delegates_are_imported_all_or_nothing(t) {
    let st = &t.store;
    let c = congress(st, 1).await;
    let a = person(st, c.org.school_a, "甲", 600, Post::Teacher, true).await;
    let _ = a;
    person(st, c.org.school_a, "乙", 601, Post::Teacher, false).await;
    member(st, c.org.school_b, "外校", 602).await;
    let bad = xlsx(&[
        row(&["姓名", "身份证号", "类别", "代表团"]),
        row(&["甲", &id_number(600, false), "代表", "语文组代表团"]),
        row(&["乙", &id_number(601, true), "宇航员", ""]),
        row(&["外校", &id_number(602, false), "", ""]),
    ]);
    let out = terms::import_delegates(st, &sys(), &who(), c.term, &bad, today()).await.unwrap();
    assert_eq!(out.added, 0);
    assert_eq!(out.errors.iter().map(|e| (e.row, e.key)).collect::<Vec<_>>(), vec![(3, t::CHOICE_INVALID), (4, t::MEMBER_NOT_IN_SCHOOL)]);
    assert_eq!(terms::delegates(&st.db, &sys::<perm::CongressView>(), c.term, false).await.unwrap().len(), 1);
    let good = xlsx(&[
        row(&["姓名", "身份证号", "类别", "代表团"]),
        row(&["甲", &id_number(600, false), "代表", "语文组代表团"]),
        row(&["乙", &id_number(601, true), "列席代表", "语文组代表团"]),
    ]);
    let out = terms::import_delegates(st, &sys(), &who(), c.term, &good, today()).await.unwrap();
    assert_eq!((out.added, out.errors.len()), (2, 0));
    let g = terms::delegations(&st.db, &sys::<perm::CongressView>(), c.term).await.unwrap();
    assert_eq!(g.iter().map(|g| (g.name.as_str(), g.delegates)).collect::<Vec<_>>(), vec![("语文组代表团", 1)]);
});

dual_test!(async fn in_assembly_mode_every_active_staff_member_votes(t) {
    let st = &t.store;
    let o = org(st).await;
    for i in 0..5 {
        member(st, o.school_b, &format!("教工{i}"), 700 + i).await;
    }
    let retired = member(st, o.school_b, "退休教工", 720).await;
    store::org::change_status(st, &sys(), &who(), retired, MemberStatus::Retired, today(), None).await.unwrap();
    let term = terms::create_term(st, &sys(), &who(), o.school_b,
        &TermDraft { number: 1, mode: CongressMode::Assembly, start_date: d(2025, 9, 1), end_date: d(2028, 8, 31) }).await.unwrap();
    let tm = terms::get_term(&st.db, &sys::<perm::CongressView>(), term).await.unwrap();
    assert_eq!(tm.delegates, 5);
    let newcomer = member(st, o.school_b, "新教工", 730).await;
    let _ = newcomer;
    let (added, ended) = terms::sync_assembly(st, &sys(), &who(), term, today()).await.unwrap();
    assert_eq!((added, ended), (1, 0));
    let r = terms::composition(&st.db, &sys::<perm::CongressView>(), term, today()).await.unwrap();
    assert!(r.warnings.is_empty(), "an assembly has no composition rules");
});

dual_test!(async fn check_in_by_phone_code_and_staff_counts_towards_the_quorum(t) {
    let st = &t.store;
    let c = congress(st, 6).await;
    let m = meetings::get_meeting(&st.db, meetings::Viewer::view(&sys()), c.meeting).await.unwrap();
    // Before the meeting opens, nobody checks in.
    let me = as_member(Role::Delegate, c.org.school_a, c.members[0]);
    let acting = authorize_self::<perm::CongressAttend>(&me).unwrap();
    let e = attendance::self_check_in(st, &acting, &who(), c.meeting).await.unwrap_err();
    assert_eq!(key_of(e), t::MEETING_NOT_OPEN);
    let cards = attendance::issue_codes(st, &sys(), &who(), c.meeting, None).await.unwrap();
    assert_eq!(cards.len(), 6);
    meetings::set_status(st, &sys(), &who(), c.meeting, MeetingStatus::Open).await.unwrap();
    // 1: on the phone, twice (the second changes nothing).
    let r = attendance::self_check_in(st, &acting, &who(), c.meeting).await.unwrap();
    assert!(matches!(r.outcome, attendance::Outcome::Recorded { .. }));
    let r = attendance::self_check_in(st, &acting, &who(), c.meeting).await.unwrap();
    assert!(matches!(r.outcome, attendance::Outcome::Already { .. }));
    // 2: with the printed code (case and dashes do not matter).
    let card = cards.iter().find(|x| x.delegate == c.delegates[1]).unwrap();
    let typed = format_code(&card.code).to_lowercase();
    attendance::code_check_in(st, &who(), &typed, None).await.unwrap();
    // The same code again is refused, and so is a wrong one; nothing changes.
    let before = audit_count(st).await;
    assert_eq!(key_of(attendance::code_check_in(st, &who(), &card.code, None).await.unwrap_err()), t::CODE_USED);
    assert_eq!(key_of(attendance::code_check_in(st, &who(), "ZZZZZ-ZZZZZ", None).await.unwrap_err()), t::CODE_UNKNOWN);
    assert_eq!(audit_count(st).await, before);
    // 3, 4: staff at the door.
    attendance::staff_check_in(st, &sys(), &who(), c.meeting, c.delegates[2]).await.unwrap();
    let card3 = cards.iter().find(|x| x.delegate == c.delegates[3]).unwrap();
    attendance::code_check_in(st, &who(), &card3.code, Some((&sys(), c.meeting))).await.unwrap();
    let b = attendance::board(&st.db, &m).await.unwrap();
    assert_eq!((b.counts.attendance.total, b.counts.attendance.present), (6, 4));
    assert!(b.quorum.met, "4 of 6 is two thirds");
    assert_eq!(b.quorum.needed, 4);
    // One leaves: 3 of 6 is below two thirds.
    attendance::mark_left(st, &sys(), &who(), c.meeting, c.delegates[3]).await.unwrap();
    let b = attendance::board(&st.db, &m).await.unwrap();
    assert_eq!((b.counts.attendance.present, b.counts.left, b.counts.attended), (3, 1, 4));
    assert!(!b.quorum.met);
    // An excused absence lowers "due", not the quorum base (all delegates).
    attendance::excuse(st, &sys(), &who(), c.meeting, c.delegates[5], Some("病假".into())).await.unwrap();
    let b = attendance::board(&st.db, &m).await.unwrap();
    assert_eq!((b.counts.attendance.excused, b.counts.attendance.due()), (1, 5));
    let roster = attendance::roster(&st.db, meetings::Viewer::view(&sys()), c.meeting).await.unwrap();
    assert_eq!(roster.iter().filter(|r| r.at.is_some()).count(), 4);
    assert!(roster.iter().any(|r| r.excused && r.excuse_reason.as_deref() == Some("病假")));
    // Closing keeps everyone who came.
    meetings::set_status(st, &sys(), &who(), c.meeting, MeetingStatus::Closed).await.unwrap();
    let m = meetings::get_meeting(&st.db, meetings::Viewer::view(&sys()), c.meeting).await.unwrap();
    assert_eq!(m.final_attendance.unwrap().present, 4);
    assert_eq!(m.final_quorum, Some(true));
});

dual_test!(async fn a_code_of_another_meeting_or_school_is_foreign_at_the_desk(t) {
    let st = &t.store;
    let c = congress(st, 2).await;
    let other = meetings::create_meeting(st, &sys(), &who(), c.term, &MeetingInput {
        kind: "extraordinary".into(), meeting_date: "2027-03-01".into(), place: "会议室".into(), ..Default::default()
    }.parse().unwrap()).await.unwrap();
    let cards = attendance::issue_codes(st, &sys(), &who(), other, None).await.unwrap();
    meetings::set_status(st, &sys(), &who(), c.meeting, MeetingStatus::Open).await.unwrap();
    meetings::set_status(st, &sys(), &who(), other, MeetingStatus::Open).await.unwrap();
    let e = attendance::code_check_in(st, &who(), &cards[0].code, Some((&sys(), c.meeting))).await.unwrap_err();
    assert_eq!(key_of(e), t::CODE_FOREIGN);
    // The code is still good at its own meeting.
    attendance::code_check_in(st, &who(), &cards[0].code, Some((&sys(), other))).await.unwrap();
    // A chair of another school cannot use the desk of this one at all.
    let chair_b = actor(&[(Role::SchoolChair, c.org.school_b)]);
    let cap = chair_b.authorize::<perm::CongressManage>().unwrap();
    assert!(matches!(attendance::code_check_in(st, &who(), &cards[1].code, Some((&cap, other))).await, Err(StoreError::NotFound)));
    // Reissuing a card invalidates the old code.
    let again = attendance::issue_codes(st, &sys(), &who(), other, Some(cards[1].delegate)).await.unwrap();
    assert_eq!(key_of(attendance::code_check_in(st, &who(), &cards[1].code, None).await.unwrap_err()), t::CODE_UNKNOWN);
    attendance::code_check_in(st, &who(), &again[0].code, None).await.unwrap();
});

dual_test!(async fn the_whole_proposal_loop_with_a_second_round(t) {
    let st = &t.store;
    let c = congress(st, 4).await;
    let general = store::org::create_unit(st, &sys(), &who(), Some(c.org.school_a), &store::org::NewUnit::branch("SA1-ZW".into(), "总务处".into())).await.unwrap();
    let proposer = as_member(Role::Delegate, c.org.school_a, c.members[0]);
    let submit = authorize_self::<perm::ProposalSubmit>(&proposer).unwrap();
    let p = proposals::create_draft(st, &submit, &who(), c.meeting, &draft_proposal("延长午餐时间"), today()).await.unwrap();
    // No seconders: refused, nothing changes.
    let e = proposals::submit(st, &submit, &who(), p, today()).await.unwrap_err();
    match e {
        StoreError::Invalid(f) => {
            assert_eq!(f.0[0].key, t::SECONDERS_MISSING);
            assert!(f.0[0].args.contains(&("needed", "2".into())) && f.0[0].args.contains(&("has", "0".into())));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(proposals::invite(st, &submit, &who(), p, &[c.delegates[1], c.delegates[2]]).await.unwrap(), 2);
    for i in [1, 2] {
        let s = as_member(Role::Delegate, c.org.school_a, c.members[i]);
        let a = authorize_self::<perm::ProposalSecond>(&s).unwrap();
        assert!(proposals::second(st, &a, &who(), p).await.unwrap());
        assert!(!proposals::second(st, &a, &who(), p).await.unwrap(), "seconding twice changes nothing");
    }
    // The proposer cannot second their own.
    let own = authorize_self::<perm::ProposalSecond>(&proposer).unwrap();
    assert_eq!(key_of(proposals::second(st, &own, &who(), p).await.unwrap_err()), t::SECOND_OWN);
    assert_eq!(proposals::submit(st, &submit, &who(), p, today()).await.unwrap(), proposals::Submitted::Now(1));
    // A second submission is idempotent.
    let before = audit_count(st).await;
    assert_eq!(proposals::submit(st, &submit, &who(), p, today()).await.unwrap(), proposals::Submitted::Already(ProposalStatus::Submitted));
    assert_eq!(audit_count(st).await, before);
    // Review: accept with a reason.
    let committee = actor(&[(Role::ProposalsCommittee, c.org.school_a)]);
    let rcap = committee.authorize::<perm::ProposalReview>().unwrap();
    proposals::review(st, &rcap, &who(), p, &Review { decision: ReviewDecision::Accept, reason: "涉及全体教师切身利益".into(), merge_into: None }).await.unwrap();
    // A deadline in the past is refused.
    let past = Assignment { handler: general, co_handlers: vec![c.org.branch_a1], deadline: today() - Duration::days(1) };
    assert_eq!(key_of(proposals::assign(st, &rcap, &who(), p, &past, today()).await.unwrap_err()), t::DEADLINE_PAST);
    let a = Assignment { deadline: today() + Duration::days(20), ..past };
    proposals::assign(st, &rcap, &who(), p, &a, today()).await.unwrap();
    // The co-handler cannot reply; the handler can.
    let co = actor(&[(Role::HandlingDepartment, c.org.branch_a1)]);
    let co_cap = co.authorize::<perm::ProposalHandle>().unwrap();
    let before = audit_count(st).await;
    assert_eq!(key_of(proposals::reply(st, &co_cap, &who(), p, "我们来答复").await.unwrap_err()), t::NOT_ASSIGNED);
    assert_eq!(audit_count(st).await, before);
    let dept = actor(&[(Role::HandlingDepartment, general)]);
    let hcap = dept.authorize::<perm::ProposalHandle>().unwrap();
    proposals::reply(st, &hcap, &who(), p, "已与食堂协商，下学期起增加窗口。").await.unwrap();
    // Dissatisfied: back to the department, round 2 with a new deadline.
    let attend = authorize_self::<perm::CongressAttend>(&proposer).unwrap();
    let r = proposals::rate(st, &attend, &who(), p, Rating::Dissatisfied, Some("本学期就需要解决".into()), today()).await.unwrap();
    assert_eq!((r.status, r.round), (ProposalStatus::Handling, 2));
    assert_eq!(r.reply_due, Some(today() + Duration::days(30)));
    proposals::reply(st, &hcap, &who(), p, "本月起增设临时窗口，错峰十分钟。").await.unwrap();
    let r = proposals::rate(st, &attend, &who(), p, Rating::Satisfied, None, today()).await.unwrap();
    assert_eq!(r.status, ProposalStatus::Implementing);
    let full = proposals::get(&st.db, proposals::Lens::delegate(&attend), p).await.unwrap();
    assert_eq!(full.replies.iter().map(|r| (r.round, r.rating)).collect::<Vec<_>>(),
        vec![(1, Some(Rating::Dissatisfied)), (2, Some(Rating::Satisfied))]);
    assert!(full.decision_rule_set_id.is_some() && full.submit_rule_set_id.is_some());
    assert_eq!(full.co_handlers.len(), 1);
    // Implementation until closed.
    let prog = parse_progress("in_progress", "50", "临时窗口已开").unwrap();
    proposals::progress(st, proposals::ProgressBy::Handler(&hcap), &who(), p, &prog).await.unwrap();
    let done = parse_progress("done", "", "新窗口投入使用").unwrap();
    assert_eq!(proposals::progress(st, proposals::ProgressBy::Reviewer(&rcap), &who(), p, &done).await.unwrap(), ProposalStatus::Closed);
    // The report counts it.
    let rep = report::handling_report(&st.db, &sys(), c.meeting, today()).await.unwrap();
    assert_eq!((rep.received, rep.accepted, rep.answered, rep.closed, rep.satisfied), (1, 1, 1, 1, 1));
    assert_eq!(rep.items[0].replies, 2);
    assert_eq!(rep.by_department[0].name, "总务处");
    assert_eq!(rep.satisfaction_percent(), Some(100));
});

dual_test!(async fn a_delegate_of_another_school_cannot_second(t) {
    let st = &t.store;
    let c = congress(st, 3).await;
    let proposer = as_member(Role::Delegate, c.org.school_a, c.members[0]);
    let submit = authorize_self::<perm::ProposalSubmit>(&proposer).unwrap();
    let p = proposals::create_draft(st, &submit, &who(), c.meeting, &draft_proposal("增设教师休息室"), today()).await.unwrap();
    // A delegate of school B's own congress.
    let term_b = terms::create_term(st, &sys(), &who(), c.org.school_b,
        &TermDraft { number: 1, mode: CongressMode::Congress, start_date: d(2025, 9, 1), end_date: d(2028, 8, 31) }).await.unwrap();
    let mb = member(st, c.org.school_b, "乙校代表", 800).await;
    terms::add_delegate(st, &sys(), &who(), term_b, mb, DelegateKind::Delegate, None, today()).await.unwrap();
    let b = as_member(Role::Delegate, c.org.school_b, mb);
    let a = authorize_self::<perm::ProposalSecond>(&b).unwrap();
    let obs = person(st, c.org.school_a, "列席", 801, Post::Staff, true).await;
    terms::add_delegate(st, &sys(), &who(), c.term, obs, DelegateKind::Observer, None, today()).await.unwrap();
    let before = audit_count(st).await;
    assert_eq!(key_of(proposals::second(st, &a, &who(), p).await.unwrap_err()), t::SECOND_OTHER_TERM);
    // An observer of the right term cannot second either.
    let o = authorize_self::<perm::ProposalSecond>(&as_member(Role::Delegate, c.org.school_a, obs)).unwrap();
    assert_eq!(key_of(proposals::second(st, &o, &who(), p).await.unwrap_err()), t::SECOND_OTHER_TERM);
    assert_eq!(audit_count(st).await, before);
    let full = proposals::get(&st.db, proposals::Lens::delegate(&authorize_self::<perm::CongressAttend>(&proposer).unwrap()), p).await.unwrap();
    assert!(full.seconders.is_empty());
    // The other school's staff do not even see it.
    let chair_b = actor(&[(Role::SchoolChair, c.org.school_b)]);
    let v = chair_b.authorize::<perm::CongressView>().unwrap();
    assert!(proposals::get(&st.db, proposals::Lens::view(&v), p).await.is_err());
});

dual_test!(async fn outside_the_collection_window_nothing_is_submitted(t) {
    let st = &t.store;
    let c = congress(st, 3).await;
    let proposer = as_member(Role::Delegate, c.org.school_a, c.members[0]);
    let submit = authorize_self::<perm::ProposalSubmit>(&proposer).unwrap();
    let p = proposals::create_draft(st, &submit, &who(), c.meeting, &draft_proposal("操场照明"), today()).await.unwrap();
    for i in [1, 2] {
        let a = authorize_self::<perm::ProposalSecond>(&as_member(Role::Delegate, c.org.school_a, c.members[i])).unwrap();
        proposals::second(st, &a, &who(), p).await.unwrap();
    }
    let e = proposals::submit(st, &submit, &who(), p, d(2026, 12, 6)).await.unwrap_err();
    assert_eq!(key_of(e), t::WINDOW_CLOSED);
    // A member who is not a delegate cannot even draft.
    let m = person(st, c.org.school_a, "普通会员", 900, Post::Teacher, true).await;
    let not = authorize_self::<perm::ProposalSubmit>(&as_member(Role::Delegate, c.org.school_a, m)).unwrap();
    assert!(proposals::create_draft(st, &not, &who(), c.meeting, &draft_proposal("x"), today()).await.is_err());
});

dual_test!(async fn merge_to_suggestion_and_reject_each_keep_their_reason(t) {
    let st = &t.store;
    let c = congress(st, 3).await;
    let proposer = as_member(Role::Delegate, c.org.school_a, c.members[0]);
    let submit = authorize_self::<perm::ProposalSubmit>(&proposer).unwrap();
    let mut ids = Vec::new();
    for title in ["甲", "乙", "丙", "丁"] {
        let p = proposals::create_draft(st, &submit, &who(), c.meeting, &draft_proposal(title), today()).await.unwrap();
        for i in [1, 2] {
            let a = authorize_self::<perm::ProposalSecond>(&as_member(Role::Delegate, c.org.school_a, c.members[i])).unwrap();
            proposals::second(st, &a, &who(), p).await.unwrap();
        }
        proposals::submit(st, &submit, &who(), p, today()).await.unwrap();
        ids.push(p);
    }
    let chair = actor(&[(Role::SchoolChair, c.org.school_a)]);
    let cap = chair.authorize::<perm::ProposalReview>().unwrap();
    let rev = |decision, merge_into| Review { decision, reason: "理由".into(), merge_into };
    proposals::review(st, &cap, &who(), ids[0], &rev(ReviewDecision::Accept, None)).await.unwrap();
    // A proposal cannot be merged into itself.
    assert_eq!(key_of(proposals::review(st, &cap, &who(), ids[1], &rev(ReviewDecision::Merge, Some(ids[1]))).await.unwrap_err()), t::MERGE_TARGET);
    proposals::review(st, &cap, &who(), ids[1], &rev(ReviewDecision::Merge, Some(ids[0]))).await.unwrap();
    proposals::review(st, &cap, &who(), ids[2], &rev(ReviewDecision::ToSuggestion, None)).await.unwrap();
    proposals::review(st, &cap, &who(), ids[3], &rev(ReviewDecision::Reject, None)).await.unwrap();
    // Reviewing again is refused.
    assert_eq!(key_of(proposals::review(st, &cap, &who(), ids[3], &rev(ReviewDecision::Accept, None)).await.unwrap_err()), t::STEP_NOT_ALLOWED);
    let lens = proposals::Lens::review(&cap);
    assert_eq!(proposals::get(&st.db, lens, ids[0]).await.unwrap().merged_from.len(), 1);
    let sug = proposals::get(&st.db, lens, ids[2]).await.unwrap().suggestion.unwrap();
    let s = suggestions::get(&st.db, suggestions::SuggestionLens::review(&cap), sug).await.unwrap();
    assert_eq!(s.title, "丙");
    assert_eq!(proposals::get(&st.db, lens, ids[3]).await.unwrap().decision_reason.as_deref(), Some("理由"));
    let rep = report::handling_report(&st.db, &sys(), c.meeting, today()).await.unwrap();
    assert_eq!((rep.received, rep.accepted, rep.merged, rep.to_suggestion, rep.rejected), (4, 1, 1, 1, 1));
});

dual_test!(async fn overdue_replies_are_flagged_and_reminded_once_a_day(t) {
    let st = &t.store;
    let c = congress(st, 3).await;
    let general = store::org::create_unit(st, &sys(), &who(), Some(c.org.school_a), &store::org::NewUnit::branch("SA1-ZW".into(), "总务处".into())).await.unwrap();
    let proposer = as_member(Role::Delegate, c.org.school_a, c.members[0]);
    let submit = authorize_self::<perm::ProposalSubmit>(&proposer).unwrap();
    let p = proposals::create_draft(st, &submit, &who(), c.meeting, &draft_proposal("维修饮水机"), today()).await.unwrap();
    for i in [1, 2] {
        let a = authorize_self::<perm::ProposalSecond>(&as_member(Role::Delegate, c.org.school_a, c.members[i])).unwrap();
        proposals::second(st, &a, &who(), p).await.unwrap();
    }
    proposals::submit(st, &submit, &who(), p, today()).await.unwrap();
    let cap = actor(&[(Role::SchoolChair, c.org.school_a)]).authorize::<perm::ProposalReview>().unwrap();
    proposals::review(st, &cap, &who(), p, &Review { decision: ReviewDecision::Accept, reason: "好".into(), merge_into: None }).await.unwrap();
    proposals::assign(st, &cap, &who(), p, &Assignment { handler: general, co_handlers: vec![], deadline: today() }, today()).await.unwrap();
    let later = today() + Duration::days(3);
    let (rows, _) = proposals::list(&st.db, proposals::Lens::review(&cap), &proposals::ProposalFilter { overdue_on: Some(later), ..Default::default() }).await.unwrap();
    assert_eq!(rows.len(), 1);
    assert!(rows[0].overdue(later));
    assert_eq!(proposals::remind_overdue(st, &cap, &who(), later).await.unwrap(), 1);
    assert_eq!(proposals::remind_overdue(st, &cap, &who(), later).await.unwrap(), 0);
    assert!(!proposals::remind(st, &cap, &who(), p, later).await.unwrap());
    let full = proposals::get(&st.db, proposals::Lens::review(&cap), p).await.unwrap();
    assert_eq!(full.reminders, vec![(1, later)]);
    // The department sees it; another school's department does not.
    let dept = actor(&[(Role::HandlingDepartment, general)]).authorize::<perm::ProposalHandle>().unwrap();
    let (mine, _) = proposals::list(&st.db, proposals::Lens::department(&dept), &Default::default()).await.unwrap();
    assert_eq!(mine.len(), 1);
    let dept_b = actor(&[(Role::HandlingDepartment, c.org.school_b)]).authorize::<perm::ProposalHandle>().unwrap();
    let (theirs, _) = proposals::list(&st.db, proposals::Lens::department(&dept_b), &Default::default()).await.unwrap();
    assert!(theirs.is_empty());
    assert!(matches!(proposals::reply(st, &dept_b, &who(), p, "x").await, Err(StoreError::NotFound)));
});

dual_test!(async fn documents_are_kept_as_they_came_and_bad_ones_refused(t) {
    let st = &t.store;
    let c = congress(st, 1).await;
    let item = meetings::add_agenda_item(st, &sys(), &who(), c.meeting, &AgendaInput { kind: "report".into(), title: "校长工作报告".into(), presenter: "校长".into() }.parse().unwrap()).await.unwrap();
    let pdf = b"%PDF-1.7\n\x00\x01binary".to_vec();
    let id = meetings::add_document(st, &sys(), &who(), c.meeting, Some(item), "../工作报告.pdf", &pdf, DOC_MAX_BYTES).await.unwrap();
    let (meta, bytes) = meetings::document(&st.db, meetings::Viewer::view(&sys()), id).await.unwrap();
    assert_eq!(bytes, pdf);
    assert_eq!((meta.file_name.as_str(), meta.kind, meta.agenda_item_id), ("工作报告.pdf", DocKind::Pdf, Some(item)));
    let before = audit_count(st).await;
    let e = meetings::add_document(st, &sys(), &who(), c.meeting, None, "x.pdf", &pdf, 8).await.unwrap_err();
    assert_eq!(key_of(e), t::FILE_TOO_LARGE);
    let e = meetings::add_document(st, &sys(), &who(), c.meeting, None, "x.exe", b"MZ", DOC_MAX_BYTES).await.unwrap_err();
    assert_eq!(key_of(e), t::FILE_TYPE);
    let e = meetings::add_document(st, &sys(), &who(), c.meeting, None, "x.pdf", b"<html>", DOC_MAX_BYTES).await.unwrap_err();
    assert_eq!(key_of(e), t::FILE_CONTENT);
    assert_eq!(audit_count(st).await, before);
    assert_eq!(meetings::documents(&st.db, meetings::Viewer::view(&sys()), c.meeting).await.unwrap().len(), 1);
    // A delegate of the term reads them; a member who is not one does not.
    let me = as_member(Role::Delegate, c.org.school_a, c.members[0]);
    let a = authorize_self::<perm::CongressAttend>(&me).unwrap();
    assert!(meetings::document(&st.db, meetings::Viewer::attendee(&a), id).await.is_ok());
    let other = person(st, c.org.school_a, "非代表", 950, Post::Teacher, true).await;
    let not = authorize_self::<perm::CongressAttend>(&as_member(Role::Member, c.org.school_a, other)).unwrap();
    assert!(meetings::document(&st.db, meetings::Viewer::attendee(&not), id).await.is_err());
});

dual_test!(async fn suggestions_come_from_any_member_and_are_answered(t) {
    let st = &t.store;
    let o = org(st).await;
    let m = member(st, o.school_a, "普通教师", 1000).await;
    let me = as_member(Role::Member, o.school_a, m);
    let a = authorize_self::<perm::SuggestionSubmit>(&me).unwrap();
    let d = parse_suggestion("图书馆延长开放", "希望晚上开放到八点。").unwrap();
    let id = suggestions::create(st, &a, &who(), &d).await.unwrap();
    let cap = actor(&[(Role::SchoolChair, o.school_a)]).authorize::<perm::ProposalReview>().unwrap();
    suggestions::reply(st, &cap, &who(), id, "已安排。").await.unwrap();
    assert_eq!(key_of(suggestions::reply(st, &cap, &who(), id, "again").await.unwrap_err()), t::STEP_NOT_ALLOWED);
    let mine = suggestions::list(&st.db, suggestions::SuggestionLens::mine(&a), false).await.unwrap();
    assert_eq!((mine.len(), mine[0].status), (1, SuggestionStatus::Answered));
    let cap_b = actor(&[(Role::SchoolChair, o.school_b)]).authorize::<perm::ProposalReview>().unwrap();
    assert!(suggestions::list(&st.db, suggestions::SuggestionLens::review(&cap_b), false).await.unwrap().is_empty());
});

dual_test!(async fn the_oversight_table_costs_the_same_queries_for_any_number_of_schools(t) {
    let st = &t.store;
    let c = congress(st, 3).await;
    meetings::set_status(st, &sys(), &who(), c.meeting, MeetingStatus::Open).await.unwrap();
    for dl in &c.delegates {
        attendance::staff_check_in(st, &sys(), &who(), c.meeting, *dl).await.unwrap();
    }
    meetings::set_status(st, &sys(), &who(), c.meeting, MeetingStatus::Closed).await.unwrap();
    let cap = sys::<perm::CongressOversight>();
    let year = school_year(today());
    let before = st.db.query_count();
    let rows = store::congress::oversight::oversight(&st.db, &cap, year, today()).await.unwrap();
    let small = st.db.query_count() - before;
    assert_eq!(rows.len(), 3);
    let a = rows.iter().find(|r| r.school == c.org.school_a).unwrap();
    assert_eq!((a.held, a.quorum_reached, a.delegates), (1, 1, 3));
    assert!(!a.flagged());
    let b = rows.iter().find(|r| r.school == c.org.school_b).unwrap();
    assert!(b.flagged() && b.term.is_none());
    // Twenty more schools, each with a term and delegates.
    let cap_org = sys::<perm::OrgManage>();
    for i in 0..20u32 {
        let s = store::org::create_unit(st, &cap_org, &who(), Some(c.org.area_b), &store::org::NewUnit {
            kind: domain::org::OrgKind::SchoolUnion, code: format!("X{i}"), name: format!("学校{i}"),
            union_kind: None, school_kind: None, school_level: None, staff_count: 0, sort_order: 0,
        }).await.unwrap();
        let term = terms::create_term(st, &sys(), &who(), s, &TermDraft { number: 1, mode: CongressMode::Congress, start_date: d(2025, 9, 1), end_date: d(2028, 8, 31) }).await.unwrap();
        let m = member(st, s, &format!("代表{i}"), 2000 + i).await;
        terms::add_delegate(st, &sys(), &who(), term, m, DelegateKind::Delegate, None, today()).await.unwrap();
    }
    let before = st.db.query_count();
    let rows = store::congress::oversight::oversight(&st.db, &cap, year, today()).await.unwrap();
    let large = st.db.query_count() - before;
    assert_eq!(rows.len(), 23);
    assert_eq!(small, large, "queries must not grow with the schools");
    assert!(large <= 5, "{large} queries");
    // One delegate each, born in the 1980s: no young teachers; at 学校1 a man, so no women.
    let x = rows.iter().find(|r| r.school_name == "学校0").unwrap();
    assert_eq!(x.warnings, vec![CompositionWarning::NoYoungTeachers]);
    let y = rows.iter().find(|r| r.school_name == "学校1").unwrap();
    assert_eq!(y.warnings, vec![CompositionWarning::NoWomen, CompositionWarning::NoYoungTeachers]);
    // An area lead sees the schools of the area only.
    let lead = actor(&[(Role::AreaLead, c.org.area_a)]).authorize::<perm::CongressOversight>().unwrap();
    let rows = store::congress::oversight::oversight(&st.db, &lead, year, today()).await.unwrap();
    assert_eq!(rows.len(), 2);
    let _ = Gender::Female;
});

dual_test!(async fn the_demo_district_has_a_congress_in_every_state(t) {
    use domain::auth::SystemCap;
    let opts = store::demo::DemoOptions { members: 2500, seed: 2026, today: today(), logins: false };
    store::demo::load(&t.store, &SystemCap::for_cli(), None, &opts).await.unwrap();
    let st = &t.store;
    let year = school_year(today());
    let rows = store::congress::oversight::oversight(&st.db, &sys(), year, today()).await.unwrap();
    assert_eq!(rows.len(), 22);
    assert!(rows.iter().all(|r| r.term.is_some()), "every school has a current term");
    assert!(rows.iter().any(|r| r.term.is_some_and(|t| t.2 == CongressMode::Assembly)), "small schools hold an assembly");
    assert!(rows.iter().any(|r| r.term.is_some_and(|t| t.2 == CongressMode::Congress)));
    assert!(rows.iter().any(|r| r.flagged()), "some schools held no meeting this year");
    assert!(rows.iter().any(|r| !r.warnings.is_empty()), "some compositions break a rule");
    assert!(rows.iter().any(|r| r.overdue > 0));
    // The first school's proposals of last year, one in each state.
    let first = &rows.iter().find(|r| r.school_name.contains("实验小学")).unwrap();
    let (term, _, _) = first.term.unwrap();
    let ms = meetings::meetings_of_term(&st.db, meetings::Viewer::view(&sys()), term).await.unwrap();
    assert_eq!(ms.len(), 2);
    assert_eq!(ms[0].final_quorum, Some(true));
    let rep = report::handling_report(&st.db, &sys(), ms[0].id, today()).await.unwrap();
    let states: std::collections::HashSet<_> = rep.items.iter().map(|i| i.status).collect();
    for s in [ProposalStatus::Closed, ProposalStatus::Implementing, ProposalStatus::Handling, ProposalStatus::Merged, ProposalStatus::ToSuggestion, ProposalStatus::Rejected] {
        assert!(states.contains(&s), "{s:?} missing from {states:?}");
    }
    assert!(rep.items.iter().any(|i| i.overdue));
    assert!(rep.items.iter().any(|i| i.round == 2));
    // This year's meeting collects proposals now.
    assert!(ms[1].collecting(today()));
});
