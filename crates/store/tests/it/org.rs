//! The org tree in the store: everything under a unit in one lookup, moving a school with
//! its branches, refused shapes and scopes, duplicate codes as field errors, and filters
//! that offer areas rather than thousands of schools.

use domain::auth::{Role, perm};
use domain::org::OrgKind;
use store::StoreError;
use store::org::{self, NewUnit};
use testkit::*;

dual_test!(async fn everything_under_an_area_is_one_lookup(t) {
    let o = org(&t.store).await;
    let a = actor(&[(Role::AreaLead, o.area_a)]);
    let cap = a.authorize::<perm::OrgView>().unwrap();
    let units = org::list_units(t.db(), &cap).await.unwrap();
    let names: Vec<_> = units.iter().map(|u| u.name.as_str()).collect();
    assert_eq!(names, ["甲片", "甲一小学工会", "数学组", "语文组", "甲二中学工会"]);
    let schools = org::schools(t.db(), &cap).await.unwrap();
    assert_eq!(schools.len(), 2);
});

dual_test!(async fn a_school_moves_to_another_area_with_its_branches(t) {
    let o = org(&t.store).await;
    org::move_unit(&t.store, &sys(), &who(), o.school_a, o.area_b).await.unwrap();
    let lead_b = actor(&[(Role::AreaLead, o.area_b)]);
    let cap = lead_b.authorize::<perm::OrgView>().unwrap();
    let names: Vec<String> = org::list_units(t.db(), &cap).await.unwrap().into_iter().map(|u| u.name).collect();
    assert!(names.contains(&"甲一小学工会".to_string()));
    assert!(names.contains(&"语文组".to_string()), "branches follow the school: {names:?}");
    let lead_a = actor(&[(Role::AreaLead, o.area_a)]);
    let cap = lead_a.authorize::<perm::OrgView>().unwrap();
    let names: Vec<String> = org::list_units(t.db(), &cap).await.unwrap().into_iter().map(|u| u.name).collect();
    assert!(!names.contains(&"语文组".to_string()));
    let path: Vec<String> = org::path(t.db(), &sys::<domain::auth::perm::OrgView>(), o.branch_a1).await.unwrap().into_iter().map(|u| u.name).collect();
    assert_eq!(path, ["测试区教育工会", "乙片", "甲一小学工会", "语文组"]);
});

dual_test!(async fn a_school_cannot_be_put_under_a_school(t) {
    let o = org(&t.store).await;
    let e = org::move_unit(&t.store, &sys(), &who(), o.school_a, o.school_b).await.unwrap_err();
    assert!(matches!(e, StoreError::Invalid(_)), "{e:?}");
});

dual_test!(async fn a_unit_outside_the_scope_cannot_be_created_under(t) {
    let o = org(&t.store).await;
    let staff_b = actor(&[(Role::UnionStaff, o.area_b)]);
    let cap = staff_b.authorize::<perm::OrgManage>().unwrap();
    let e = org::create_unit(&t.store, &cap, &who(), Some(o.area_a), &NewUnit {
        kind: OrgKind::SchoolUnion, code: "X".into(), name: "X".into(), union_kind: None, school_kind: None, school_level: None, staff_count: 0, sort_order: 0,
    }).await.unwrap_err();
    assert!(matches!(e, StoreError::NotFound));
});

dual_test!(async fn duplicate_codes_are_a_field_error(t) {
    let o = org(&t.store).await;
    let e = org::create_unit(&t.store, &sys(), &who(), Some(o.area_a), &NewUnit {
        kind: OrgKind::SchoolUnion, code: "SA1".into(), name: "重复".into(), union_kind: None, school_kind: None, school_level: None, staff_count: 0, sort_order: 0,
    }).await.unwrap_err();
    match e {
        StoreError::Invalid(f) => assert_eq!(f.0[0].field, "code"),
        other => panic!("{other:?}"),
    }
});

dual_test!(async fn a_province_filter_offers_areas_not_thousands_of_schools(t) {
    let o = org(&t.store).await;
    let area = actor(&[(Role::AreaLead, o.area_b)]);
    let cap_b = area.authorize::<perm::MemberView>().unwrap();
    // A small scope lists its schools.
    let few = org::filter_units(t.db(), &cap_b, None).await.unwrap();
    assert_eq!(few.iter().map(|u| u.id).collect::<Vec<_>>(), vec![o.school_b]);
    for i in 0..org::FILTER_SCHOOLS_MAX {
        org::create_unit(&t.store, &sys(), &who(), Some(o.area_a), &NewUnit {
            kind: OrgKind::SchoolUnion, code: format!("P{i:04}"), name: format!("学校{i:04}"), union_kind: None, school_kind: None, school_level: None, staff_count: 0, sort_order: 0,
        }).await.unwrap();
    }
    // The whole district now has more: its areas, and the school chosen, are offered.
    let all = org::filter_units(t.db(), &sys::<perm::MemberView>(), Some(o.school_b)).await.unwrap();
    let ids: Vec<_> = all.iter().map(|u| u.id).collect();
    assert!(ids.contains(&o.area_a) && ids.contains(&o.area_b) && ids.contains(&o.school_b), "{ids:?}");
    assert_eq!(all.len(), 3);
});
