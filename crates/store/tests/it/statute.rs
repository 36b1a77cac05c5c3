//! The rules as the statutes say (issue 10), in the store: a stored version laxer than the
//! statute decides nothing, union elections admit union members only, the rule set's
//! employment types decide who stands and votes (the assembly follows), a congress counts
//! as held only when a meeting reached its quorum unless the district recorded a justified
//! exemption, and a teacher of exactly 35 is young, on 29 February too. Both engines.

use chrono::NaiveDate;
use domain::auth::{Actor, Role, perm};
use domain::congress::*;
use domain::ids::{MemberId, OrgUnitId};
use domain::org::{Coded, EmploymentType as E};
use domain::rules::{Base, EmploymentSet, RuleSet};
use domain::text as t;
use domain::voting::*;
use store::congress::{meetings, oversight, rules, terms};
use store::voting::ballot_box::{Voter, prepare};
use store::voting::{self as sv};
use store::{Store, StoreError, on_db};
use testkit::hall::{hall, open_motion};
use testkit::*;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn key_of(e: StoreError) -> &'static str {
    match e {
        StoreError::Invalid(f) => f.0[0].key,
        other => panic!("expected an input error, got {other:?}"),
    }
}

async fn staff(
    st: &Store,
    school: OrgUnitId,
    name: &str,
    n: u32,
    employment: Option<E>,
) -> MemberId {
    let mut i = input(name, n);
    i.employment_type = employment.map(|e| e.code().to_string()).unwrap_or_default();
    let dr = i.parse(today()).unwrap();
    store::org::create_member(st, &sys(), &who(), school, None, &dr, today())
        .await
        .unwrap()
}

dual_test!(async fn a_stored_version_laxer_than_the_statute_decides_nothing_and_says_which_it_is(t) {
    let st = &t.store;
    let o = org(st).await;
    // The form and the store refuse a pass counted against those present.
    let lax = RuleSet { pass_base: Base::Present, ..RuleSet::DEFAULT };
    let e = rules::create_version(st, &sys(), &who(), o.school_a, Some(&lax), None).await.unwrap_err();
    assert_eq!(key_of(e), t::RULE_BASE_ALL);
    // A version stored before the floor was enforced, as it was written then.
    let numbers = serde_json::to_string(&RuleSet { election_base: Base::Due, ..RuleSet::DEFAULT }).unwrap();
    let id: i64 = on_db!(&st.db, |p| sqlx::query_scalar(
        "INSERT INTO rule_set (org_unit_id, version, inherit, numbers, note, created_at, created_by) VALUES ($1, 1, FALSE, $2, NULL, $3, NULL) RETURNING id"
    ).bind(o.school_a.0).bind(&numbers).bind(store::db::now()).fetch_one(p).await).unwrap();
    let e = rules::effective(&st.db, &sys::<perm::CongressView>(), o.school_a).await.unwrap_err();
    let StoreError::Invalid(f) = e else { panic!("a refusal with a message") };
    assert_eq!(f.0[0].key, t::RULE_VERSION_LAXER);
    assert!(f.0[0].args.iter().any(|(k, v)| *k == "version" && v == "1"), "{:?}", f.0[0].args);
    // Past decisions still name it.
    let v = rules::version(&st.db, domain::congress::RuleSetId(id)).await.unwrap();
    assert_eq!(v.rules.election_base, Base::Due);
    // A new version puts the school back under rules that may decide.
    rules::create_version(st, &sys(), &who(), o.school_a, Some(&RuleSet::DEFAULT), None).await.unwrap();
    assert_eq!(rules::effective(&st.db, &sys::<perm::CongressView>(), o.school_a).await.unwrap().rules.election_base, Base::All);
    // The union next door was never affected.
    assert!(rules::effective(&st.db, &sys::<perm::CongressView>(), o.school_b).await.is_ok());
});

dual_test!(async fn in_a_union_election_only_union_members_vote(t) {
    let st = &t.store;
    let h = hall(st, 30, 0, 30).await;
    let outsider = h.delegates[0].0;
    on_db!(&st.db, |p| sqlx::query("UPDATE member SET union_member = FALSE WHERE id = $1")
        .bind(outsider.0).execute(p).await.map(|_| ())).unwrap();
    let draft = PollInput {
        title: "选举学校工会经费审查委员会委员".into(),
        kind: "election".into(),
        mode: "secret".into(),
        seats: "3".into(),
        contest: "competitive".into(),
        union_office: "committee".into(),
        ..PollInput::default()
    }
    .parse()
    .unwrap();
    let poll = sv::create_poll(st, &sys(), &who(), h.meeting, None, &draft).await.unwrap();
    for i in 0..4 {
        sv::add_option(st, &sys(), &who(), poll, h.delegates[10 + i].0).await.unwrap();
    }
    sv::open_poll(st, &sys(), &who(), poll).await.unwrap();
    assert_eq!(sv::get_poll(&st.db, meetings::Viewer::view(&sys()), poll).await.unwrap().union_office, Some(UnionOffice::Committee));
    // By card and logged in alike, the delegate who is not a member is refused.
    let e = prepare(&st.db, Voter::Code(&h.delegates[0].2), poll).await.unwrap_err();
    assert_eq!(key_of(e), t::VOTE_UNION_MEMBERS_ONLY);
    let mut a: Actor = actor(&[(Role::Delegate, h.org.school_a)]);
    a.account = domain::ids::AccountId(9000);
    a.member = Some(outsider);
    let acting = authorize_self::<perm::CongressAttend>(&a).unwrap();
    let e = prepare(&st.db, Voter::Member(&acting), poll).await.unwrap_err();
    assert_eq!(key_of(e), t::VOTE_UNION_MEMBERS_ONLY);
    // A member votes in it; the outsider still votes on the congress's own motion.
    assert!(prepare(&st.db, Voter::Code(&h.delegates[1].2), poll).await.is_ok());
    let motion = open_motion(st, &h, "secret").await;
    assert!(prepare(&st.db, Voter::Code(&h.delegates[0].2), motion).await.is_ok());
});

dual_test!(async fn who_stands_and_votes_follows_the_employment_types_of_the_rule_set(t) {
    let st = &t.store;
    let o = org(st).await;
    staff(st, o.school_b, "在编教师", 800, Some(E::Established)).await;
    let agency = staff(st, o.school_b, "派遣保安", 801, Some(E::Agency)).await;
    staff(st, o.school_b, "返聘教师", 802, Some(E::Rehired)).await;
    staff(st, o.school_b, "未登记", 803, None).await;
    // A small school's assembly: staff with an employment relation, and those not recorded.
    let term = terms::create_term(st, &sys(), &who(), o.school_b,
        &TermDraft { number: 1, mode: CongressMode::Assembly, start_date: d(2025, 9, 1), end_date: d(2028, 8, 31) }).await.unwrap();
    let tm = terms::get_term(&st.db, &sys::<perm::CongressView>(), term).await.unwrap();
    assert_eq!(tm.delegates, 2);
    // An agency worker cannot stand as a delegate of a congress; as an observer they may attend.
    let congress = terms::create_term(st, &sys(), &who(), o.school_a,
        &TermDraft { number: 1, mode: CongressMode::Congress, start_date: d(2025, 9, 1), end_date: d(2028, 8, 31) }).await.unwrap();
    let a_agency = staff(st, o.school_a, "派遣教辅", 804, Some(E::Agency)).await;
    let e = terms::add_delegate(st, &sys(), &who(), congress, a_agency, DelegateKind::Delegate, None, today()).await.unwrap_err();
    assert_eq!(key_of(e), t::EMPLOYMENT_NOT_ELIGIBLE);
    terms::add_delegate(st, &sys(), &who(), congress, a_agency, DelegateKind::Observer, None, today()).await.unwrap();
    // The school admits agency workers: the next sync adds them; taken back, it ends their vote.
    let wider = RuleSet {
        eligible_employment: EmploymentSet::of(&[E::Established, E::Contract, E::Agency, E::Temporary]),
        ..RuleSet::DEFAULT
    };
    rules::create_version(st, &sys(), &who(), o.school_b, Some(&wider), None).await.unwrap();
    assert_eq!(terms::sync_assembly(st, &sys(), &who(), term, today()).await.unwrap(), (1, 0));
    let ds = terms::delegates(&st.db, &sys::<perm::CongressView>(), term, false).await.unwrap();
    assert!(ds.iter().any(|x| x.member_id == agency));
    rules::create_version(st, &sys(), &who(), o.school_b, Some(&RuleSet::DEFAULT), None).await.unwrap();
    assert_eq!(terms::sync_assembly(st, &sys(), &who(), term, today()).await.unwrap(), (0, 1));
});

dual_test!(async fn a_congress_counts_as_held_only_with_a_quorum_unless_the_district_records_an_exemption(t) {
    let st = &t.store;
    // Six delegates, three present: two thirds of six is four, so no quorum.
    let h = hall(st, 6, 0, 3).await;
    meetings::set_status(st, &sys(), &who(), h.meeting, MeetingStatus::Closed).await.unwrap();
    let year = school_year(d(2026, 11, 25));
    let cap = sys::<perm::CongressOversight>();
    let rows = oversight::oversight(&st.db, &cap, year, today()).await.unwrap();
    let a = rows.iter().find(|r| r.school == h.org.school_a).unwrap();
    assert_eq!((a.meetings, a.held, a.quorum_failed), (1, 0, 1));
    assert!(a.flagged(), "a meeting without quorum is not a congress held");
    assert!(a.exemption.is_none());
    // An area lead may not excuse; the district records why, and who, and when.
    assert!(actor(&[(Role::AreaLead, h.org.area_a)]).authorize::<perm::CongressExempt>().is_err());
    let staff_cap = actor(&[(Role::UnionStaff, h.org.union)]).authorize::<perm::CongressExempt>().unwrap();
    let e = oversight::record_exemption(st, &staff_cap, &who(), h.org.school_a, year, "  ").await.unwrap_err();
    assert_eq!(key_of(e), t::REQUIRED);
    oversight::record_exemption(st, &staff_cap, &who(), h.org.school_a, year, "校舍改造，经区教育工会同意延期至下学年").await.unwrap();
    let rows = oversight::oversight(&st.db, &cap, year, today()).await.unwrap();
    let a = rows.iter().find(|r| r.school == h.org.school_a).unwrap();
    assert!(!a.flagged());
    let ex = a.exemption.as_ref().unwrap();
    assert_eq!(ex.reason, "校舍改造，经区教育工会同意延期至下学年");
    assert_eq!(ex.recorded_by, who().label);
    // Another year is not excused by it.
    let rows = oversight::oversight(&st.db, &cap, year - 1, today()).await.unwrap();
    assert!(rows.iter().find(|r| r.school == h.org.school_a).unwrap().exemption.is_none());
    // A school outside the staff's union is out of reach.
    let other = actor(&[(Role::UnionStaff, h.org.school_b)]).authorize::<perm::CongressExempt>().unwrap();
    let e = oversight::record_exemption(st, &other, &who(), h.org.school_a, year, "x").await.unwrap_err();
    assert!(matches!(e, StoreError::NotFound), "{e:?}");
});

dual_test!(async fn a_teacher_of_exactly_35_is_young_and_29_february_counts_right(t) {
    let st = &t.store;
    let o = org(st).await;
    let term = terms::create_term(st, &sys(), &who(), o.school_a,
        &TermDraft { number: 1, mode: CongressMode::Congress, start_date: d(2025, 9, 1), end_date: d(2028, 8, 31) }).await.unwrap();
    // The fixtures' ID numbers are born on 1980-01-01 plus n days.
    let n_of = |b: NaiveDate| (b - d(1980, 1, 1)).num_days() as u32;
    let m = member(st, o.school_a, "青年教师", n_of(d(1981, 6, 1))).await;
    terms::add_delegate(st, &sys(), &who(), term, m, DelegateKind::Delegate, None, today()).await.unwrap();
    let young = |day: NaiveDate| async move {
        terms::composition(&st.db, &sys::<perm::CongressView>(), term, day).await.unwrap().counts.young_teachers
    };
    // 35 on her birthday: young (the old count said no).
    assert_eq!(young(d(2016, 6, 1)).await, 1);
    assert_eq!(young(d(2017, 5, 31)).await, 1);
    assert_eq!(young(d(2017, 6, 1)).await, 0);
    // On 29 February 2016 she is 34: young (the old count fell back to that very day and
    // found nobody young).
    assert_eq!(young(d(2016, 2, 29)).await, 1);
});
