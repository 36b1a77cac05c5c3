//! The start page's school year in figures: the table of schools × every declared figure
//! with links to the lists they count, the sum row, the year selector, the chart of the
//! chosen figure, and that an area lead sees the schools of the area only.

use domain::auth::Role;
use testkit::app::TestApp;
use testkit::*;

dual_test!(async fn the_year_table_lists_each_school_s_figures_with_links_and_a_sum(t) {
    let app = TestApp::new(t).await;
    let st = &app.t.store;
    member(st, app.org.school_a, "张三", 1).await;
    member(st, app.org.school_a, "李四", 2).await;
    member(st, app.org.school_b, "王五", 3).await;
    let mut c = app.client_as(Role::UnionStaff, app.org.union).await;
    let r = c.get("/").await;
    r.assert_status(200);
    let year = domain::congress::school_year(today());
    assert_eq!(r.select("#year h2"), vec![format!("{year}–{} 学年指标", year + 1)]);
    // Every declared figure is a column, headed by its label.
    let heads = r.select("table.year-table thead th a");
    assert_eq!(heads.len(), store::area::declared_figures().count());
    assert!(heads.contains(&"年末在职会员".to_string()), "{heads:?}");
    // School A's active members link to the member list of school A.
    let a = app.org.school_a;
    let link = format!("/members?unit={a}&status=active");
    let html = r.html();
    let sel = scraper::Selector::parse("table.year-table td[data-label='年末在职会员'] a").unwrap();
    let links: Vec<(String, String)> = html
        .select(&sel)
        .map(|e| (e.value().attr("href").unwrap_or("").to_string(), e.text().collect()))
        .collect();
    assert!(links.contains(&(link.clone(), "2".to_string())), "no link {link} in {links:?}");
    // The sum row adds the schools up.
    let sum = r.select("table.year-table tr.sum td[data-label='年末在职会员']");
    assert_eq!(sum, vec!["3"]);
    let rows = r.select("table.year-table tbody tr td:first-child");
    assert!(rows.contains(&"乙一小学工会".to_string()), "{rows:?}");
    // The chart compares the schools on the first figure with a value.
    assert!(r.text().contains("<svg"), "a chart is drawn");
    // An earlier year: nothing recorded, and the page says what to do.
    let r = c.get(&format!("/?year={}", year - 1)).await;
    r.assert_status(200);
    assert_eq!(r.select("#year h2"), vec![format!("{}–{year} 学年指标", year - 1)]);
    assert_eq!(r.select("#year p.empty").len(), 1);
    // A year out of range falls back to this one instead of failing.
    let r = c.get("/?year=1900").await;
    assert_eq!(r.select("#year h2"), vec![format!("{year}–{} 学年指标", year + 1)]);
});

dual_test!(async fn an_area_lead_sees_the_figures_of_the_area_s_schools_only(t) {
    let app = TestApp::new(t).await;
    let st = &app.t.store;
    member(st, app.org.school_a, "张三", 1).await;
    member(st, app.org.school_b, "王五", 3).await;
    let mut c = app.client_as(Role::AreaLead, app.org.area_a).await;
    let r = c.get("/").await;
    r.assert_status(200);
    let rows = r.select("table.year-table tbody tr td:first-child");
    assert!(!rows.iter().any(|n| n.contains("乙一")), "{rows:?}");
    assert!(rows.contains(&"甲一小学工会".to_string()), "{rows:?}");
    // Asking for the other area's unit shows nothing of it.
    let r = c.get(&format!("/?unit={}", app.org.area_b)).await;
    assert!(!r.text().contains("王五"));
    let sum = r.select("table.year-table tr.sum td[data-label='年末在职会员']");
    assert!(sum.is_empty() || sum == vec!["0"], "{sum:?}");
});

dual_test!(async fn every_menu_item_opens_for_the_role_that_sees_it_and_errors_keep_the_menu(t) {
    let app = TestApp::new(t).await;
    let roles = [
        (domain::auth::Role::UnionStaff, app.org.union),
        (domain::auth::Role::AreaLead, app.org.area_a),
        (domain::auth::Role::SchoolChair, app.org.school_a),
        (domain::auth::Role::CommitteeMember, app.org.school_a),
        (domain::auth::Role::ProposalsCommittee, app.org.school_a),
        (domain::auth::Role::HandlingDepartment, app.org.school_a),
        (domain::auth::Role::Auditor, app.org.school_a),
    ];
    for (role, unit) in roles {
        let mut c = app.client_as(role, unit).await;
        let page = c.get("/account/password").await;
        page.assert_status(200);
        let hrefs = page.attrs("nav.menu a", "href");
        assert!(!hrefs.is_empty(), "{role:?} has a menu");
        for h in &hrefs {
            let r = c.get(h).await;
            assert!(
                r.status.as_u16() != 403 && r.status.as_u16() != 404,
                "{role:?} sees {h} in the menu but it answers {}",
                r.status
            );
        }
        // An error page keeps the navigation, so nobody is stranded.
        let r = c.get("/no-such-page").await;
        r.assert_status(404);
        assert!(!r.select("nav.menu a").is_empty(), "{role:?}: the error page has no menu");
    }
});
