//! Year figures read through `store::area::year_figures`: on the demo district each
//! area's figures agree with the oversight table counted independently; their query count
//! is the same for three schools and for twenty-three; a reader's reach (an area lead)
//! limits them to the schools of the reach; every value carries a declared key.

use domain::area::FigureValue;
use domain::auth::{Role, SystemCap, perm};
use domain::congress::school_year;
use domain::ids::OrgUnitId;
use std::collections::BTreeMap;
use store::area::{Reach, year_figures};
use store::congress::figures as cf;
use store::org::figures as of;
use store::proposals::figures as pf;
use store::voting::figures as vf;
use testkit::*;

fn by_unit(values: &[FigureValue], key: &str) -> BTreeMap<OrgUnitId, i64> {
    values
        .iter()
        .filter(|v| v.key == key)
        .map(|v| (v.unit, v.value))
        .collect()
}

dual_test!(async fn the_demo_district_s_figures_agree_with_the_oversight_table(t) {
    let opts = store::demo::DemoOptions { members: 600, seed: 7, today: today(), logins: false };
    store::demo::load(&t.store, &SystemCap::for_cli(), None, &opts).await.unwrap();
    let st = &t.store;
    let reach = Reach::system(&SystemCap::for_cli());
    let this_year = school_year(today());
    for year in [this_year - 1, this_year] {
        let v = year_figures(st, &reach, year).await.unwrap();
        for x in &v {
            assert!(store::area::figure(&x.key).is_some(), "{} is not declared", x.key);
            assert_eq!(x.year, year);
        }
        let rows = store::congress::oversight::oversight(&st.db, &sys(), year, today()).await.unwrap();
        assert_eq!(rows.len(), 22);
        for r in &rows {
            let get = |k: &str| by_unit(&v, k).get(&r.school).copied().unwrap_or(0);
            let s = &r.school_name;
            assert_eq!(get(pf::SUBMITTED), r.received, "{year} {s} submitted");
            assert_eq!(get(pf::ACCEPTED), r.accepted, "{year} {s} accepted");
            assert_eq!(get(pf::ANSWERED), r.answered, "{year} {s} answered");
            assert!(get(pf::ON_TIME) <= get(pf::ANSWERED), "{year} {s} on time");
            match by_unit(&v, pf::SATISFACTION).get(&r.school) {
                Some(p) => assert_eq!(*p, pf::permille(r.satisfied, r.rated), "{year} {s}"),
                None => assert_eq!(r.rated, 0, "{year} {s}: rated but no ratio"),
            }
            assert_eq!(get(cf::QUORUM), r.quorum_reached, "{year} {s} quorum");
            assert!(get(cf::HELD) >= get(cf::QUORUM), "{year} {s} held");
            assert!(get(vf::CLOSED) >= get(vf::PASSED), "{year} {s} polls");
            assert!(by_unit(&v, of::CHAIR).get(&r.school).is_none_or(|c| *c == 1));
        }
        if year == this_year {
            // The delegates in office today, as the oversight table counts them.
            for r in &rows {
                let got = by_unit(&v, cf::DELEGATES).get(&r.school).copied().unwrap_or(0);
                assert_eq!(got, r.delegates, "{} delegates", r.school_name);
            }
        }
        let sum = store::area::totals(&v);
        let total = |k: &str| sum.get(k).copied().unwrap_or(0);
        assert!(total(of::ACTIVE) > 0 && total(of::ACTIVE) + total(of::RETIRED) <= 600);
        assert!(!sum.contains_key(pf::SATISFACTION), "a ratio is not summed");
        if year == this_year - 1 {
            // Last year's loop went all the way: proposals answered and rated, meetings held.
            assert!(total(pf::SUBMITTED) > 0 && total(pf::ANSWERED) > 0, "{sum:?}");
            assert!(total(cf::QUORUM) > 0, "{sum:?}");
            assert!(!by_unit(&v, pf::SATISFACTION).is_empty());
        }
    }
});

dual_test!(async fn the_figures_cost_the_same_queries_for_three_schools_or_twenty_three(t) {
    let st = &t.store;
    let o = org(st).await;
    member(st, o.school_a, "甲一", 1).await;
    member(st, o.school_a2, "甲二", 2).await;
    member(st, o.school_b, "乙一", 3).await;
    let year = school_year(today());
    let reach = Reach::system(&SystemCap::for_cli());
    let before = st.db.query_count();
    let small_v = year_figures(st, &reach, year).await.unwrap();
    let small = st.db.query_count() - before;
    assert_eq!(by_unit(&small_v, of::ACTIVE).len(), 3);
    let cap = sys::<perm::OrgManage>();
    for i in 0..20u32 {
        let s = store::org::create_unit(st, &cap, &who(), Some(o.area_b), &store::org::NewUnit {
            kind: domain::org::OrgKind::SchoolUnion, code: format!("F{i}"), name: format!("学校{i}"),
            union_kind: None, school_kind: None, school_level: None, staff_count: 0, sort_order: 0,
        }).await.unwrap();
        member(st, s, &format!("会员{i}"), 100 + i).await;
    }
    let before = st.db.query_count();
    let large_v = year_figures(st, &reach, year).await.unwrap();
    let large = st.db.query_count() - before;
    assert_eq!(by_unit(&large_v, of::ACTIVE).len(), 23);
    assert_eq!(small, large, "queries must not grow with the schools");
    // Two queries per area that declares figures.
    let areas = store::area::AREAS.iter().filter(|a| a.year_figures.is_some()).count() as u64;
    assert!(large <= 2 * areas, "{large} queries for {areas} areas");
    // An area lead reads the schools of the area only.
    let lead = actor(&[(Role::AreaLead, o.area_a)]).authorize::<perm::DashboardView>().unwrap();
    let v = year_figures(st, &Reach::of(&lead), year).await.unwrap();
    let units: Vec<OrgUnitId> = store::area::units(&v);
    assert_eq!(units, vec![o.school_a, o.school_a2]);
});
