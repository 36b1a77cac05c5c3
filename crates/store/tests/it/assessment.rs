//! Assessment in the store (issue 17): a staff home goes self-assessment → area
//! recommendation → district review by two different people; "not qualified → may not
//! apply higher"; the quota refuses with the numbers; a refused re-review downgrades; the
//! annual assessment is computed from the areas' year figures with each point traceable to
//! its figure, vetoes the school without a quorate congress (not the exempted one), ranks,
//! lists the weak unions, stays in scope, and costs the same queries for 3 or 23 schools.
//! Both engines.

use domain::assessment::{text as t, *};
use domain::auth::{Role, perm};
use domain::congress::school_year;
use domain::ids::OrgUnitId;
use store::StoreError;
use store::area::Reach;
use store::assessment::{annual, hand, homes};
use store::audit::Who;
use testkit::*;

fn person(label: &str) -> Who {
    Who::system(label)
}

fn sa(level: HomeLevel) -> SelfAssessment {
    SelfAssessmentInput {
        level: level.as_str().into(),
        scores: vec![
            "14".into(),
            "23".into(),
            "13".into(),
            "14".into(),
            "12".into(),
            "13".into(),
        ],
        evidence: "活动室.jpg\n/congress".into(),
    }
    .parse(current())
    .unwrap()
}

fn field_of(e: StoreError) -> (&'static str, &'static str) {
    match e {
        StoreError::Invalid(f) => (f.0[0].field, f.0[0].key),
        other => panic!("expected a field error, got {other:?}"),
    }
}

async fn count(t: &TestDb, sql: &'static str) -> i64 {
    store::on_db!(t.db(), |p| sqlx::query_scalar(sql).fetch_one(p).await).unwrap()
}

/// Applies, recommends and approves (two reviewers) `level` for `school`.
async fn award(st: &store::Store, school: OrgUnitId, level: HomeLevel) -> Result<(), StoreError> {
    let id = homes::apply(st, &sys(), &person("主席"), school, &sa(level), today()).await?;
    homes::recommend(st, &sys(), &person("片长"), id, true, 95, "", today()).await?;
    homes::review(st, &sys(), &person("审核一"), id, true, "", today()).await?;
    homes::review(st, &sys(), &person("审核二"), id, true, "", today()).await
}

dual_test!(async fn a_staff_home_passes_self_assessment_recommendation_and_two_reviews(t) {
    let st = &t.store;
    let o = org(st).await;
    let chair = actor(&[(Role::SchoolChair, o.school_a)]);
    let lead = actor(&[(Role::AreaLead, o.area_a)]);
    let staff = actor(&[(Role::UnionStaff, o.union)]);
    // Not qualified yet: advanced is refused at the level, nothing stored.
    let e = homes::apply(st, &chair.authorize().unwrap(), &person("主席"), o.school_a, &sa(HomeLevel::Advanced), today()).await.unwrap_err();
    assert_eq!(field_of(e), ("level", t::NOT_QUALIFIED_YET));
    assert_eq!(count(&t, "SELECT COUNT(*) FROM home_application").await, 0);

    let id = homes::apply(st, &chair.authorize().unwrap(), &person("主席"), o.school_a, &sa(HomeLevel::Qualified), today()).await.unwrap();
    // A second application while one is open is refused.
    let e = homes::apply(st, &chair.authorize().unwrap(), &person("主席"), o.school_a, &sa(HomeLevel::Qualified), today()).await.unwrap_err();
    assert!(matches!(e, StoreError::State(k) if k == t::APPLICATION_OPEN));
    // The district cannot review before the area recommends.
    let e = homes::review(st, &staff.authorize().unwrap(), &person("审核一"), id, true, "", today()).await.unwrap_err();
    assert!(matches!(e, StoreError::State(_)));
    // The area's score must reach the level's least score to recommend; out of range refused.
    let e = homes::recommend(st, &lead.authorize().unwrap(), &person("片长"), id, true, 50, "", today()).await.unwrap_err();
    assert_eq!(field_of(e), ("score", t::BELOW_THRESHOLD));
    let e = homes::recommend(st, &lead.authorize().unwrap(), &person("片长"), id, true, 101, "", today()).await.unwrap_err();
    assert_eq!(field_of(e), ("score", t::SCORE_RANGE));
    // The applicant cannot score or review their own school.
    let e = homes::recommend(st, &sys(), &person("主席"), id, true, 90, "", today()).await.unwrap_err();
    assert_eq!(field_of(e), ("score", t::OWN_SCHOOL));
    homes::recommend(st, &lead.authorize().unwrap(), &person("片长"), id, true, 90, "材料齐全", today()).await.unwrap();
    let e = homes::review(st, &sys(), &person("主席"), id, true, "", today()).await.unwrap_err();
    assert_eq!(field_of(e), ("reason", t::OWN_SCHOOL));
    // Two reviews by two different people.
    homes::review(st, &staff.authorize().unwrap(), &person("审核一"), id, true, "", today()).await.unwrap();
    let e = homes::review(st, &staff.authorize().unwrap(), &person("审核一"), id, true, "", today()).await.unwrap_err();
    assert_eq!(field_of(e), ("reason", t::SAME_REVIEWER));
    let view = sys::<perm::AssessmentView>();
    assert_eq!(homes::get(st, &view, id).await.unwrap().status(), Some(ApplicationStatus::FirstReview));
    homes::review(st, &staff.authorize().unwrap(), &person("审核二"), id, true, "", today()).await.unwrap();
    let app = homes::get(st, &view, id).await.unwrap();
    assert_eq!((app.status(), app.decided_on, app.scheme_version), (Some(ApplicationStatus::Approved), Some(today()), current().version));
    let hist = homes::history(st, &view, o.school_a).await.unwrap();
    assert_eq!(hist.len(), 1);
    assert_eq!((hist[0].level.as_deref(), hist[0].change.as_str()), (Some("qualified"), "awarded"));
    // Every step is audited.
    assert_eq!(count(&t, "SELECT COUNT(*) FROM audit_log WHERE entity_type = 'home_application'").await, 4);
    // The register shows the level; the figures count it.
    let reg = homes::register(st, &view, today()).await.unwrap();
    let a = reg.iter().find(|r| r.school == o.school_a).unwrap();
    assert_eq!(a.level, Some(HomeLevel::Qualified));
    let v = store::assessment::year_figures(st, &Reach::system(&domain::auth::SystemCap::for_cli()), school_year(today())).await.unwrap();
    assert!(v.iter().any(|f| f.key == HOME_LEVEL && f.unit == o.school_a && f.value == 1));
});

dual_test!(async fn the_quota_refuses_with_the_numbers_and_a_failed_re_review_downgrades(t) {
    let st = &t.store;
    let o = org(st).await;
    for s in [o.school_a, o.school_a2, o.school_b] {
        award(st, s, HomeLevel::Qualified).await.unwrap();
    }
    // Three schools: at most 2 advanced (4/5), no model (1/5 of 3 is 0).
    award(st, o.school_a, HomeLevel::Advanced).await.unwrap();
    award(st, o.school_a2, HomeLevel::Advanced).await.unwrap();
    let e = award(st, o.school_b, HomeLevel::Advanced).await.unwrap_err();
    let StoreError::Invalid(f) = e else { panic!("quota") };
    assert_eq!(f.0[0].key, t::QUOTA_EXCEEDED);
    assert_eq!(f.0[0].args, vec![("max", "2".to_string()), ("schools", "3".into()), ("holding", "2".into())]);
    // Nothing changed: school B is still qualified, its application still at first review.
    let view = sys::<perm::AssessmentView>();
    let reg = homes::register(st, &view, today()).await.unwrap();
    let b = reg.iter().find(|r| r.school == o.school_b).unwrap();
    assert_eq!(b.level, Some(HomeLevel::Qualified));
    assert_eq!(b.application.as_ref().unwrap().status(), Some(ApplicationStatus::FirstReview));
    // Refusing needs a reason.
    let bid = HomeApplicationId(b.application.as_ref().unwrap().id);
    let e = homes::review(st, &sys(), &person("审核二"), bid, false, " ", today()).await.unwrap_err();
    assert_eq!(field_of(e), ("reason", t::REASON_REQUIRED));
    homes::review(st, &sys(), &person("审核二"), bid, false, "名额已满", today()).await.unwrap();
    // School A's re-review of its advanced level fails: downgraded to qualified.
    let id = homes::apply(st, &sys(), &person("主席"), o.school_a, &sa(HomeLevel::Advanced), today()).await.unwrap();
    homes::recommend(st, &sys(), &person("片长"), id, true, 85, "", today()).await.unwrap();
    homes::review(st, &sys(), &person("审核一"), id, false, "活动记录不全", today()).await.unwrap();
    let hist = homes::history(st, &view, o.school_a).await.unwrap();
    assert_eq!((hist[0].level.as_deref(), hist[0].change.as_str(), hist[0].reason.as_deref()), (Some("qualified"), "downgraded", Some("活动记录不全")));
    // A downgrade by the district needs a reason, and goes one step down.
    let e = homes::downgrade(st, &sys(), &person("区"), o.school_a2, "", today()).await.unwrap_err();
    assert_eq!(field_of(e), ("reason", t::REASON_REQUIRED));
    assert_eq!(homes::downgrade(st, &sys(), &person("区"), o.school_a2, "年检不合格", today()).await.unwrap(), Some(HomeLevel::Qualified));
});

dual_test!(async fn the_annual_assessment_vetoes_the_school_without_a_quorate_congress_and_stays_in_scope(t) {
    let st = &t.store;
    let o = org(st).await;
    let year = school_year(today());
    award(st, o.school_a, HomeLevel::Qualified).await.unwrap();
    award(st, o.school_a2, HomeLevel::Qualified).await.unwrap();
    award(st, o.school_a2, HomeLevel::Advanced).await.unwrap();
    // School A2 held no quorate meeting either, but has a recorded justified exemption.
    store::congress::oversight::record_exemption(st, &sys(), &who(), o.school_a2, year, "校舍搬迁").await.unwrap();
    let staff = actor(&[(Role::UnionStaff, o.union)]);
    let an = annual::compute(st, &staff.authorize().unwrap(), year).await.unwrap();
    assert_eq!(an.schools.len(), 3);
    let of = |s: OrgUnitId| an.schools.iter().find(|x| x.school == s).unwrap().clone();
    let (a, a2, b) = (of(o.school_a), of(o.school_a2), of(o.school_b));
    // A: vetoed, its points kept for the ledger, its total 0.
    assert_eq!(a.score.veto, Some(Veto::NoQuorateCongress { figure: CONGRESS_QUORUM, value: 0 }));
    assert_eq!((a.score.earned, a.score.total()), (5, 0));
    // A2: exempted, ranks first with its staff-home points (advanced: 2 × 5).
    assert_eq!((a2.score.veto.clone(), a2.score.exempted, a2.score.total(), a2.rank), (None, true, 10, 1));
    assert_eq!(a2.exemption.as_deref(), Some("校舍搬迁"));
    // Each point names the figure that made it.
    let home = a2.score.lines.iter().find(|l| l.indicator == "home").unwrap();
    assert_eq!((home.figures.clone(), home.points), (vec![(HOME_LEVEL, 2)], 10));
    // B has nothing and is vetoed; the weak list holds A and B with their reasons.
    assert!(b.score.veto.is_some());
    let weak: Vec<OrgUnitId> = an.weak().map(|s| s.school).collect();
    assert!(weak.contains(&o.school_a) && weak.contains(&o.school_b));
    assert!(a.score.missing().contains(&"congress"));
    // Vetoed schools rank after every other; area ranks likewise.
    assert_eq!((a.rank, b.rank), (2, 2));
    assert_eq!((a2.area_rank, a.area_rank), (1, 2));

    // The chair of school B sees school B only, and school A's ledger is missing to them.
    let chair_b = actor(&[(Role::SchoolChair, o.school_b)]);
    let cap_b = chair_b.authorize::<perm::AssessmentView>().unwrap();
    let mine = annual::compute(st, &cap_b, year).await.unwrap();
    assert_eq!(mine.schools.iter().map(|s| s.school).collect::<Vec<_>>(), vec![o.school_b]);
    assert!(matches!(annual::ledger(st, &cap_b, o.school_a, year).await, Err(StoreError::NotFound)));
    // Nor can they see or touch school A's applications.
    let reg = homes::register(st, &cap_b, today()).await.unwrap();
    assert_eq!(reg.iter().map(|r| r.school).collect::<Vec<_>>(), vec![o.school_b]);
    let view = sys::<perm::AssessmentView>();
    let a_app = HomeApplicationId(homes::register(st, &view, today()).await.unwrap().into_iter().find(|r| r.school == o.school_a).unwrap().application.unwrap().id);
    assert!(matches!(homes::get(st, &cap_b, a_app).await, Err(StoreError::NotFound)));
    assert!(matches!(homes::apply(st, &chair_b.authorize().unwrap(), &person("乙主席"), o.school_a, &sa(HomeLevel::Advanced), today()).await, Err(StoreError::NotFound)));
    assert!(homes::history(st, &cap_b, o.school_a).await.unwrap().is_empty());
});

dual_test!(async fn the_annual_assessment_costs_the_same_queries_for_three_schools_or_twenty_three(t) {
    let st = &t.store;
    let o = org(st).await;
    let year = school_year(today());
    let cap = sys::<perm::AssessmentView>();
    let before = st.db.query_count();
    assert_eq!(annual::compute(st, &cap, year).await.unwrap().schools.len(), 3);
    let small = st.db.query_count() - before;
    let org_cap = sys::<perm::OrgManage>();
    for i in 0..20u32 {
        let s = store::org::create_unit(st, &org_cap, &who(), Some(o.area_b), &store::org::NewUnit {
            kind: domain::org::OrgKind::SchoolUnion, code: format!("K{i}"), name: format!("考核学校{i}"),
            union_kind: None, school_kind: None, school_level: None, staff_count: 0, sort_order: 0,
        }).await.unwrap();
        award(st, s, HomeLevel::Qualified).await.unwrap();
    }
    let before = st.db.query_count();
    assert_eq!(annual::compute(st, &cap, year).await.unwrap().schools.len(), 23);
    let large = st.db.query_count() - before;
    assert_eq!(small, large, "queries must not grow with the schools");
    let before = st.db.query_count();
    assert_eq!(homes::register(st, &cap, today()).await.unwrap().len(), 23);
    assert!(st.db.query_count() - before <= 3);
});

#[test]
fn every_figure_the_scheme_reads_is_declared_by_an_area() {
    for s in SCHEMES {
        for i in s.indicators {
            for f in i.measure.figures() {
                assert!(
                    store::area::figure(f).is_some(),
                    "scheme {} reads {f}, which no area declares",
                    s.version
                );
            }
        }
        assert!(store::area::figure(s.veto_figure).is_some());
    }
}

dual_test!(async fn the_demo_year_has_levels_in_the_seeds_shares_one_veto_and_one_exemption(t) {
    let opts = store::demo::DemoOptions { members: 600, seed: 7, today: today(), logins: false };
    store::demo::load(&t.store, &domain::auth::SystemCap::for_cli(), None, &opts).await.unwrap();
    let st = &t.store;
    let view = sys::<perm::AssessmentView>();
    let reg = homes::register(st, &view, today()).await.unwrap();
    let n = reg.len();
    let at_least = |l: HomeLevel| reg.iter().filter(|r| r.level.is_some_and(|x| x.rank() >= l.rank())).count();
    // 100 % qualified, more than 60 % advanced or model, 20 % model (within the quota).
    assert_eq!(at_least(HomeLevel::Qualified), n);
    assert!(at_least(HomeLevel::Advanced) * 10 > n * 6, "{} of {n} advanced", at_least(HomeLevel::Advanced));
    assert_eq!(at_least(HomeLevel::Model) as i64, current().quota_max(HomeLevel::Model, n as i64).unwrap());
    // One downgrade, one application waiting for its area.
    assert_eq!(count(&t, "SELECT COUNT(*) FROM home_level WHERE change = 'downgraded'").await, 1);
    assert_eq!(count(&t, "SELECT COUNT(*) FROM home_application WHERE status = 'self_assessed'").await, 1);
    let due = store::assessment::due_items(st, &Reach::system(&domain::auth::SystemCap::for_cli()), today()).await.unwrap();
    assert_eq!(due.len(), 1);
    // Last school year: the school(s) without a quorate meeting are vetoed, one is exempted.
    let an = annual::compute(st, &view, school_year(today()) - 1).await.unwrap();
    assert_eq!(an.schools.len(), n);
    assert!(an.vetoed().count() >= 1, "a vetoed school");
    let exempted: Vec<_> = an.schools.iter().filter(|s| s.score.exempted).collect();
    assert_eq!(exempted.len(), 1, "one exempted school");
    assert!(!exempted[0].exemption.as_deref().unwrap_or("").is_empty());
    // The ranking is by total, and every total is what its lines add up to.
    for w in an.schools.windows(2) {
        assert!(w[0].score.total() >= w[1].score.total());
    }
    for s in &an.schools {
        assert_eq!(s.score.earned, s.score.lines.iter().map(|l| l.points).sum::<i64>());
    }
    assert!(an.schools[0].score.total() > 50, "the best school earns points from real figures: {:?}", an.schools[0].score);
    // Every school has its hand scores of the year; one appeal changed a score, both kept.
    for s in &an.schools {
        assert!(s.score.lines.iter().filter(|l| l.scorer.is_some()).all(|l| l.points > 0), "{}", s.name);
    }
    assert_eq!(count(&t, "SELECT COUNT(*) FROM annual_appeal WHERE status = 'changed'").await, 1);
    assert_eq!(count(&t, "SELECT COUNT(*) FROM annual_hand_score").await, 2 * n as i64 + 1);
});

fn hand_input(indicator: &str, points: &str, evidence: &str) -> hand::HandInput {
    hand::HandInput {
        indicator: indicator.into(),
        points: points.into(),
        evidence: evidence.into(),
    }
}

dual_test!(async fn hand_scores_count_within_their_points_and_an_appeal_outcome_changes_one_keeping_the_history(t) {
    let st = &t.store;
    let o = org(st).await;
    let year = school_year(today());
    let lead = actor(&[(Role::AreaLead, o.area_a)]).authorize::<perm::HomeRecommend>().unwrap();
    let staff = actor(&[(Role::UnionStaff, o.union)]).authorize::<perm::AssessmentReview>().unwrap();
    let area = hand::ScorerCap::Area(&lead);
    // Out of range and a forbidden type of evidence: both refused at their fields, nothing stored.
    let e = hand::give(st, area, &person("片长"), o.school_a, year, &hand_input("records", "6", "setup.exe"), today()).await.unwrap_err();
    let StoreError::Invalid(f) = e else { panic!("a field error") };
    assert_eq!(f.get("points").unwrap().key, t::SCORE_RANGE);
    assert_eq!(f.get("evidence").unwrap().key, t::EVIDENCE_TYPE);
    // No evidence at all is refused too.
    let e = hand::give(st, area, &person("片长"), o.school_a, year, &hand_input("records", "3", " "), today()).await.unwrap_err();
    assert_eq!(field_of(e), ("evidence", t::EVIDENCE_REQUIRED));
    // The area does not score the district's indicator; nor a computed one.
    let e = hand::give(st, area, &person("片长"), o.school_a, year, &hand_input("innovation", "3", "a.pdf"), today()).await.unwrap_err();
    assert_eq!(field_of(e), ("indicator", t::NOT_HAND_SCORED));
    let e = hand::give(st, area, &person("片长"), o.school_a, year, &hand_input("congress", "3", "a.pdf"), today()).await.unwrap_err();
    assert_eq!(field_of(e), ("indicator", t::NOT_HAND_SCORED));
    // Area B's lead holds the permission but not school A.
    let lead_b = actor(&[(Role::AreaLead, o.area_b)]).authorize::<perm::HomeRecommend>().unwrap();
    let e = hand::give(st, hand::ScorerCap::Area(&lead_b), &person("乙片长"), o.school_a, year, &hand_input("records", "3", "a.pdf"), today()).await.unwrap_err();
    assert!(matches!(e, StoreError::NotFound));
    assert_eq!(count(&t, "SELECT COUNT(*) FROM annual_hand_score").await, 0);

    // Scored: the points count in the year's assessment, each line naming its scorer.
    hand::give(st, area, &person("片长"), o.school_a, year, &hand_input("records", "3", "台账.pdf\n/congress"), today()).await.unwrap();
    hand::give(st, hand::ScorerCap::District(&staff), &person("区工会"), o.school_a, year, &hand_input("innovation", "5", "特色.jpg"), today()).await.unwrap();
    let view = sys::<perm::AssessmentView>();
    let line = |an: &annual::Annual, c: &str| an.schools.iter().find(|s| s.school == o.school_a).unwrap().score.lines.iter().find(|l| l.indicator == c).unwrap().clone();
    let an = annual::compute(st, &view, year).await.unwrap();
    assert_eq!((line(&an, "records").points, line(&an, "records").scorer), (3, Some(Scorer::Area)));
    assert_eq!((line(&an, "innovation").points, line(&an, "innovation").scorer), (5, Some(Scorer::District)));
    let a = an.schools.iter().find(|s| s.school == o.school_a).unwrap();
    assert_eq!(a.score.earned, a.score.lines.iter().map(|l| l.points).sum::<i64>());

    // Appeals: the chair of school A, within the window and with a reason.
    let chair = actor(&[(Role::SchoolChair, o.school_a)]).authorize::<perm::HomeApply>().unwrap();
    let e = hand::appeal(st, &chair, &person("主席"), o.school_a, year, "records", " ", today()).await.unwrap_err();
    assert_eq!(field_of(e), ("reason", t::REASON_REQUIRED));
    let late = today() + chrono::Duration::days(current().appeal_days + 1);
    let e = hand::appeal(st, &chair, &person("主席"), o.school_a, year, "records", "台账已补齐", late).await.unwrap_err();
    let StoreError::Invalid(f) = e else { panic!("a field error") };
    assert_eq!((f.0[0].field, f.0[0].key), ("reason", t::APPEAL_CLOSED));
    assert!(f.0[0].args.iter().any(|(k, v)| *k == "days" && *v == current().appeal_days.to_string()), "the window is named");
    let e = hand::appeal(st, &chair, &person("主席"), o.school_b, year, "records", "x", today()).await.unwrap_err();
    assert!(matches!(e, StoreError::NotFound), "another school is out of the chair's scope");
    let e = hand::appeal(st, &chair, &person("主席"), o.school_a, year - 1, "records", "x", today()).await.unwrap_err();
    assert_eq!(field_of(e), ("indicator", t::APPEAL_NOTHING));
    let ap = hand::appeal(st, &chair, &person("主席"), o.school_a, year, "records", "台账已补齐", today()).await.unwrap();
    let e = hand::appeal(st, &chair, &person("主席"), o.school_a, year, "records", "再次申诉", today()).await.unwrap_err();
    assert_eq!(field_of(e), ("indicator", t::APPEAL_OPEN));

    // The outcome: not by the scorer nor the appellant; with a reason; a score in range.
    let e = hand::decide(st, &staff, &person("片长"), ap, true, "5", "复核", today()).await.unwrap_err();
    assert_eq!(field_of(e), ("outcome", t::SAME_PERSON));
    let e = hand::decide(st, &staff, &person("主席"), ap, false, "", "复核", today()).await.unwrap_err();
    assert_eq!(field_of(e), ("outcome", t::SAME_PERSON));
    let e = hand::decide(st, &staff, &person("复核人"), ap, true, "9", "", today()).await.unwrap_err();
    let StoreError::Invalid(f) = e else { panic!("a field error") };
    assert_eq!(f.get("points").unwrap().key, t::SCORE_RANGE);
    assert_eq!(f.get("outcome").unwrap().key, t::REASON_REQUIRED);
    // Another district's reviewer (school B's chair has no such permission; area B out of scope).
    let staff_b = actor(&[(Role::UnionStaff, o.school_b)]).authorize::<perm::AssessmentReview>();
    if let Ok(cap) = staff_b {
        assert!(matches!(hand::decide(st, &cap, &person("乙"), ap, true, "5", "x", today()).await, Err(StoreError::NotFound)));
    }
    hand::decide(st, &staff, &person("复核人"), ap, true, "5", "台账复核属实", today()).await.unwrap();
    let e = hand::decide(st, &staff, &person("复核人二"), ap, false, "", "再议", today()).await.unwrap_err();
    assert!(matches!(e, StoreError::State(_)), "an appeal is decided once");
    // The history keeps both scores, newest first; the new one names the appeal.
    let hist = hand::history(st, &view, o.school_a, year).await.unwrap();
    let records: Vec<(i64, Option<i64>)> = hist.iter().filter(|h| h.indicator == "records").map(|h| (h.points, h.appeal_id)).collect();
    assert_eq!(records, vec![(5, Some(ap.0)), (3, None)]);
    let an = annual::compute(st, &view, year).await.unwrap();
    assert_eq!(line(&an, "records").points, 5);
    let appeals = hand::appeals(st, &view, o.school_a, year).await.unwrap();
    assert_eq!((appeals[0].status(), appeals[0].outcome.as_deref()), (Some(AppealStatus::Changed), Some("台账复核属实")));
    // Another school's chair sees none of it.
    let cap_b = actor(&[(Role::SchoolChair, o.school_b)]).authorize::<perm::AssessmentView>().unwrap();
    assert!(hand::history(st, &cap_b, o.school_a, year).await.unwrap().is_empty());
    assert!(hand::appeals(st, &cap_b, o.school_a, year).await.unwrap().is_empty());
    assert!(matches!(hand::appeal_get(st, &cap_b, ap).await, Err(StoreError::NotFound)));
    // Every change is audited: two scores, the appeal, its outcome.
    assert_eq!(count(&t, "SELECT COUNT(*) FROM audit_log WHERE action LIKE 'annual_%'").await, 4);
});

async fn account_of(
    st: &store::Store,
    name: &str,
    role: Role,
    unit: OrgUnitId,
) -> domain::ids::AccountId {
    let id = store::auth::create_account_system(
        &domain::auth::SystemCap::for_cli(),
        st,
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
    grant_as_cli(st, id, role, unit).await;
    id
}

/// The links of an account's inbox items.
async fn inbox_links(st: &store::Store, a: domain::ids::AccountId) -> Vec<String> {
    store::inbox::list(&st.db, a, None, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|i| i.message.link)
        .collect()
}

dual_test!(async fn a_school_that_has_not_self_assessed_by_the_deadline_is_reminded_through_its_chair_and_one_that_has_is_not(t) {
    use chrono::Duration;
    let st = &t.store;
    let o = org(st).await;
    let chair_a = account_of(st, "zhuxi_a", Role::SchoolChair, o.school_a).await;
    let chair_b = account_of(st, "zhuxi_b", Role::SchoolChair, o.school_b).await;
    let year = school_year(today());
    let due = current().self_assessment_due(year).unwrap();
    let sys_cap = domain::auth::SystemCap::for_cli();
    let reach = Reach::system(&sys_cap);
    // Far from the deadline nobody is listed.
    let far = store::assessment::self_assessment_due(st, &reach, today()).await.unwrap();
    assert!(far.is_empty(), "{far:?}");
    // School A self-assessed in the year; school B did not.
    homes::apply(st, &sys(), &person("主席"), o.school_a, &sa(HomeLevel::Qualified), due - Duration::days(20)).await.unwrap();
    let day = due - Duration::days(3);
    let items = store::assessment::due_items(st, &reach, day).await.unwrap();
    let listed: Vec<OrgUnitId> = items.iter().filter(|i| i.kind == store::assessment::DUE_SELF_ASSESS).map(|i| i.unit).collect();
    assert!(listed.contains(&o.school_b) && !listed.contains(&o.school_a), "{listed:?}");
    let morning = day.and_hms_opt(2, 0, 0).unwrap().and_utc();
    let r = store::notify::remind_due(st, &sys_cap, day, morning).await.unwrap();
    assert!(r.inbox >= 1, "{r:?}");
    assert!(inbox_links(st, chair_b).await.contains(&"/assessment/homes/new".to_string()), "school B's chair is reminded");
    assert!(!inbox_links(st, chair_a).await.contains(&"/assessment/homes/new".to_string()), "school A's chair is not");
    // Past the deadline school B is still reminded (overdue), school A still not.
    let late = due + Duration::days(1);
    store::notify::remind_due(st, &sys_cap, late, late.and_hms_opt(2, 0, 0).unwrap().and_utc()).await.unwrap();
    assert_eq!(inbox_links(st, chair_b).await.iter().filter(|l| *l == "/assessment/homes/new").count(), 2);
    assert!(inbox_links(st, chair_a).await.iter().all(|l| l != "/assessment/homes/new"));
});

dual_test!(async fn the_demo_year_has_few_weak_unions_each_with_its_reason_and_vetoes_only_the_school_without_a_quorate_congress(t) {
    let opts = store::demo::DemoOptions { members: 600, seed: 7, today: today(), logins: false };
    let sys_cap = domain::auth::SystemCap::for_cli();
    store::demo::load(&t.store, &sys_cap, None, &opts).await.unwrap();
    let st = &t.store;
    let year = school_year(today()) - 1;
    let an = annual::compute(st, &sys::<perm::AssessmentView>(), year).await.unwrap();
    let n = an.schools.len();
    // The schools whose last-year congress reached no quorum, by the congress's own figures.
    let figures = store::congress::figures::year_figures(st, &Reach::system(&sys_cap), year).await.unwrap();
    let quorate: std::collections::HashSet<OrgUnitId> = figures
        .iter()
        .filter(|v| v.key == store::congress::figures::QUORUM && v.value > 0)
        .map(|v| v.unit)
        .collect();
    let mut without: Vec<OrgUnitId> = an.schools.iter().map(|s| s.school).filter(|s| !quorate.contains(s)).collect();
    without.sort();
    let vetoed: Vec<OrgUnitId> = an.vetoed().map(|s| s.school).collect();
    assert_eq!(vetoed.len(), 1, "one vetoed school: {vetoed:?}");
    assert!(without.contains(&vetoed[0]), "the vetoed school is one without a quorate congress");
    let exempted: Vec<OrgUnitId> = an.schools.iter().filter(|s| s.score.exempted).map(|s| s.school).collect();
    assert_eq!(exempted.len(), 1);
    let mut both = vec![vetoed[0], exempted[0]];
    both.sort();
    assert_eq!(both, without, "every school without a quorate congress is vetoed or exempted");
    // Only a few weak unions, each with its reasons (the veto or the indicators without
    // points); the others earn their points from the platform's figures.
    let weak: Vec<_> = an.weak().collect();
    assert!(!weak.is_empty() && weak.len() * 5 <= n, "{} of {n} weak: {:?}", weak.len(), weak.iter().map(|s| (&s.name, s.score.earned)).collect::<Vec<_>>());
    for w in &weak {
        assert!(w.score.veto.is_some() || !w.score.missing().is_empty(), "{} is weak without a reason", w.name);
    }
    let line = |s: &annual::SchoolScore, c: &str| s.score.lines.iter().find(|l| l.indicator == c).map(|l| l.points).unwrap_or(0);
    let answered = an.schools.iter().filter(|s| line(s, "replies") > 0).count();
    assert!(answered * 10 >= n * 8, "most schools answered last year's proposals on time: {answered} of {n}");
});
