//! The demo district: realistic (areas, schools, kinds), the same for the same seed, and
//! loaded only once.

use domain::auth::{SystemCap, perm};
use store::demo::{self, DemoOptions};
use store::org::{self, MemberFilter, PageRequest};
use testkit::*;

dual_test!(async fn the_demo_district_is_realistic_and_the_same_for_the_same_seed(t) {
    let opts = DemoOptions { members: 600, seed: 7, today: today(), logins: false };
    let s = demo::load(&t.store, &SystemCap::for_cli(), None, &opts).await.unwrap();
    assert!((3..=7).contains(&s.areas));
    assert!((20..=25).contains(&s.schools));
    assert_eq!(s.members, 600);
    let schools = org::schools(t.db(), &sys::<perm::OrgView>()).await.unwrap();
    assert!(schools.iter().any(|s| s.school_kind == Some(domain::org::SchoolKind::Private)));
    assert!(schools.iter().any(|s| s.school_level == Some(domain::org::SchoolLevel::Vocational)));
    let page = org::list_members(&t.store, &sys(), &MemberFilter::default(), &PageRequest { after: None, before: None, limit: 5 }, today()).await.unwrap();
    let names_a: Vec<String> = page.rows.iter().map(|r| r.name.clone()).collect();
    // Same seed, second database: same people.
    let t2 = testkit::sqlite().await;
    demo::load(&t2.store, &SystemCap::for_cli(), None, &opts).await.unwrap();
    let page2 = org::list_members(&t2.store, &sys(), &MemberFilter::default(), &PageRequest { after: None, before: None, limit: 5 }, today()).await.unwrap();
    let names_b: Vec<String> = page2.rows.iter().map(|r| r.name.clone()).collect();
    assert_eq!(names_a, names_b);
    assert_eq!(page.rows.iter().map(|r| r.id_number_masked.clone()).collect::<Vec<_>>(), page2.rows.iter().map(|r| r.id_number_masked.clone()).collect::<Vec<_>>());
    // A second load is refused.
    assert!(demo::load(&t.store, &SystemCap::for_cli(), None, &opts).await.is_err());
});
