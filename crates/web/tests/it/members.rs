//! Members on the web: search by ID or phone tail, list pages whose query count does not
//! grow, field errors that keep the input, the member's life (edit, transfer, retire),
//! logged full views, masked exports, the org tree, the audit view and the friendly error
//! page. Every test runs on SQLite and PostgreSQL.

use domain::auth::Role;
use testkit::app::TestApp;
use testkit::*;

dual_test!(async fn a_member_is_found_by_the_last_four_digits_of_the_id_number(t) {
    let app = TestApp::new(t).await;
    member(&app.t.store, app.org.school_a, "张三", 1).await;
    member(&app.t.store, app.org.school_a, "李四", 2).await;
    let mut c = app.client_as(Role::SchoolChair, app.org.school_a).await;
    let tail = &id_number(2, false)[14..];
    let r = c.get(&format!("/members?q={tail}")).await;
    r.assert_status(200);
    assert_eq!(r.select("table.members tbody td[data-label='姓名']"), vec!["李四"]);
    // The number is masked on screen.
    let shown = r.select("td.mono");
    // Only the last four characters (issue 12: the region code beside the birth date was
    // most of the number).
    assert_eq!(shown[0], format!("**************{tail}"), "{shown:?}");
    assert!(!r.text().contains(&id_number(2, false)));
    // A partial request gets only the results.
    let mut c = c.header("hx-request", "true");
    let r = c.get(&format!("/members?q={tail}")).await;
    assert!(!r.text().contains("<html"));
    assert!(r.text().contains("李四"));
});

dual_test!(async fn a_list_page_costs_the_same_queries_whatever_the_number_of_members(t) {
    let app = TestApp::new(t).await;
    let mut c = app.client_as(Role::UnionStaff, app.org.union).await;
    for i in 0..5u32 {
        member(&app.t.store, app.org.school_a, &format!("人员{i}"), 10 + i).await;
    }
    let before = app.t.db().query_count();
    c.get("/members").await.assert_status(200);
    let small = app.t.db().query_count() - before;
    for i in 5..120u32 {
        member(&app.t.store, app.org.school_b, &format!("人员{i}"), 10 + i).await;
    }
    let before = app.t.db().query_count();
    let r = c.get("/members").await;
    let large = app.t.db().query_count() - before;
    assert_eq!(r.select("table.members tbody tr").len(), 50);
    assert_eq!(small, large, "queries per page must not grow with the data");
});

dual_test!(async fn the_pager_shows_the_page_number_and_the_count(t) {
    // Issue 25, item 9: "第 2 / 3 页 · 共 120 人", forward and back.
    let app = TestApp::new(t).await;
    let mut c = app.client_as(Role::UnionStaff, app.org.union).await;
    for i in 0..120u32 {
        member(&app.t.store, app.org.school_a, &format!("人员{i:03}"), 10 + i).await;
    }
    let p1 = c.get("/members").await;
    assert_eq!(p1.select("p.count"), ["共 120 人"]);
    assert_eq!(p1.select("nav.pager .page-of"), ["第 1 / 3 页"]);
    let next = p1.attrs("nav.pager a[rel=next]", "href");
    let p2 = c.get(&next[0]).await;
    assert_eq!(p2.select("nav.pager .page-of"), ["第 2 / 3 页"]);
    let p3 = c.get(&p2.attrs("nav.pager a[rel=next]", "href")[0]).await;
    assert_eq!(p3.select("nav.pager .page-of"), ["第 3 / 3 页"]);
    assert_eq!(p3.select("table.members tbody tr").len(), 20);
    assert!(p3.attrs("nav.pager a[rel=next]", "href").is_empty(), "no page after the last");
    assert_eq!(p3.select("nav.pager a").first().map(String::as_str), Some("第一页"));
    let back = c.get(&p3.attrs("nav.pager a[rel=prev]", "href")[0]).await;
    assert_eq!(back.select("nav.pager .page-of"), ["第 2 / 3 页"]);
    // A forged page number never shows a page beyond the count, and the first page is 1.
    assert_eq!(c.get("/members?pg=9").await.select("nav.pager .page-of"), ["第 1 / 3 页"]);
});

dual_test!(async fn errors_are_shown_at_the_field_and_the_input_is_kept(t) {
    let app = TestApp::new(t).await;
    let mut c = app.client_as(Role::SchoolChair, app.org.school_a).await;
    let school = app.org.school_a.to_string();
    let mut bad = id_number(5, true);
    bad.replace_range(17..18, if bad.ends_with('1') { "2" } else { "1" });
    let r = c.post("/members/new", &[("name", "赵六"), ("id_number", &bad), ("phone", "12345"), ("post", "teacher"), ("school", &school)]).await;
    r.assert_status(422);
    let errs = r.select(".field-error");
    assert!(errs.iter().any(|e| e.contains("校验位")), "{errs:?}");
    assert!(errs.iter().any(|e| e.contains("手机号")), "{errs:?}");
    let html = r.html();
    let sel = scraper::Selector::parse("input#name").unwrap();
    assert_eq!(html.select(&sel).next().unwrap().value().attr("value"), Some("赵六"));
    // In English too.
    let mut c = c.header("accept-language", "en");
    let r = c.post("/members/new", &[("name", "赵六"), ("id_number", &bad), ("post", "teacher"), ("school", &school)]).await;
    assert!(r.select(".field-error").iter().any(|e| e.contains("check digit")));
});

dual_test!(async fn a_member_is_created_edited_transferred_and_retired(t) {
    let app = TestApp::new(t).await;
    let mut c = app.client_as(Role::UnionStaff, app.org.union).await;
    let school = app.org.school_a.to_string();
    let id = id_number(7, true);
    let r = c.post("/members/new", &[("name", "周七"), ("id_number", &id), ("post", "teacher"), ("school", &school)]).await;
    r.assert_status(303);
    let page = c.follow(&r).await;
    assert!(page.select(".flash").iter().any(|f| f.contains("周七")));
    let path = r.location().unwrap();
    let m: i64 = path.trim_start_matches("/members/").parse().unwrap();
    let edit = c.get(&format!("{path}/edit")).await;
    edit.assert_status(200);
    let version = {
        let html = edit.html();
        let sel = scraper::Selector::parse("input[name=version]").unwrap();
        html.select(&sel).next().unwrap().value().attr("value").unwrap().to_string()
    };
    let r = c.post(&format!("{path}/edit"), &[("name", "周七"), ("id_number", &id), ("post", "leader"), ("version", &version)]).await;
    r.assert_status(303);
    // The same old version again: someone else's save in between.
    let r = c.post(&format!("{path}/edit"), &[("name", "周七七"), ("id_number", &id), ("post", "leader"), ("version", &version)]).await;
    r.assert_status(422);
    assert!(!r.select(".form-error").is_empty());
    let b = app.org.school_b.to_string();
    let r = c.post(&format!("{path}/transfer"), &[("school", &b), ("date", "2026-09-01")]).await;
    r.assert_status(303);
    let r = c.post(&format!("{path}/status"), &[("status", "retired"), ("since", "2026-10-01")]).await;
    r.assert_status(303);
    let page = c.get(&path).await;
    assert!(page.text().contains("乙一小学工会"));
    assert!(page.select(".timeline li").len() >= 3);
    let _ = m;
});

dual_test!(async fn a_full_view_is_logged_and_a_committee_member_cannot_have_one(t) {
    let app = TestApp::new(t).await;
    let m = member(&app.t.store, app.org.school_a, "吴八", 8).await;
    let mut chair = app.client_as(Role::SchoolChair, app.org.school_a).await;
    let r = chair.post(&format!("/members/{m}/reveal"), &[]).await;
    r.assert_status(200);
    assert!(r.text().contains(&id_number(8, false)));
    let n: i64 = store::on_db!(app.t.db(), |p| sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'member.personal_data_view'").fetch_one(p).await).unwrap();
    assert_eq!(n, 1);
    let mut committee = app.client_as(Role::CommitteeMember, app.org.school_a).await;
    committee.post(&format!("/members/{m}/reveal"), &[]).await.assert_status(403);
    let page = committee.get(&format!("/members/{m}")).await;
    assert!(!page.text().contains(&id_number(8, false)));
});

dual_test!(async fn exports_are_masked_and_full_exports_need_a_purpose(t) {
    let app = TestApp::new(t).await;
    member(&app.t.store, app.org.school_a, "郑九", 9).await;
    let mut c = app.client_as(Role::SchoolChair, app.org.school_a).await;
    let r = c.get("/members/export.xlsx").await;
    r.assert_status(200);
    assert!(r.headers.get("content-disposition").unwrap().to_str().unwrap().contains("attachment"));
    let rows = read_xlsx(&r.bytes);
    assert_eq!(rows[0][0], "姓名");
    assert!(rows[1][3].contains("****"));
    let r = c.post("/members/export/full", &[("purpose", "")]).await;
    r.assert_status(422);
    let r = c.post("/members/export/full", &[("purpose", "上报统计")]).await;
    r.assert_status(200);
    assert_eq!(read_xlsx(&r.bytes)[1][3], id_number(9, true));
    let mut committee = app.client_as(Role::CommitteeMember, app.org.school_a).await;
    committee.post("/members/export/full", &[("purpose", "上报统计")]).await.assert_status(403);
});

dual_test!(async fn the_org_tree_moves_a_school_to_another_area(t) {
    let app = TestApp::new(t).await;
    let mut c = app.client_as(Role::UnionStaff, app.org.union).await;
    let r = c.get("/org").await;
    r.assert_status(200);
    assert!(r.text().contains("甲一小学工会"));
    let b = app.org.area_b.to_string();
    c.post(&format!("/org/{}/move", app.org.school_a), &[("parent", &b)]).await.assert_status(303);
    let path = store::org::path(app.t.db(), &sys::<domain::auth::perm::OrgView>(), app.org.school_a).await.unwrap();
    assert_eq!(path[1].name, "乙片");
    let r = c.post(&format!("/org/{}/new", app.org.area_a), &[("name", "新学校工会"), ("code", "SA1"), ("school_kind", "public"), ("school_level", "primary")]).await;
    r.assert_status(422);
    assert!(r.select(".field-error").iter().any(|e| e.contains("已被使用")));
});

dual_test!(async fn the_audit_view_lists_changes_for_union_staff_only(t) {
    let app = TestApp::new(t).await;
    member(&app.t.store, app.org.school_a, "陈十", 10).await;
    let mut staff = app.client_as(Role::UnionStaff, app.org.union).await;
    let r = staff.get("/audit?entity=member").await;
    r.assert_status(200);
    // The log reads for people (issue 25): the action in the reader's language, each change
    // as "field: old → new", personal fields hidden.
    assert!(r.text().contains("新增会员"), "{}", r.text());
    assert!(!r.text().contains("member.create"));
    assert!(r.text().contains("姓名: — → 陈十"), "{}", r.text());
    assert!(!r.text().contains(&id_number(10, false)));
    let mut chair = app.client_as(Role::SchoolChair, app.org.school_a).await;
    chair.get("/audit").await.assert_status(403);
});

dual_test!(async fn unknown_pages_get_a_friendly_page_with_a_request_id(t) {
    let app = TestApp::new(t).await;
    let mut c = app.client_as(Role::SchoolChair, app.org.school_a).await;
    let r = c.get("/members/999999").await;
    r.assert_status(404);
    assert!(r.text().contains("请求编号"));
    let mut c = c.header("accept-language", "en-US,en;q=0.9");
    let r = c.get("/nowhere").await;
    r.assert_status(404);
    assert!(r.text().contains("Request id"));
    assert!(!r.text().contains("NotFound"));
});

dual_test!(async fn the_member_page_shows_the_org_path_from_the_readers_level(t) {
    let app = TestApp::new(t).await;
    let m = member(&app.t.store, app.org.school_a, "路径", 11).await;
    let mut staff = app.client_as(Role::UnionStaff, app.org.union).await;
    let crumbs = staff.get(&format!("/members/{m}")).await.select(".crumbs li");
    assert_eq!(crumbs, vec!["测试区教育工会", "甲片", "甲一小学工会", "路径"]);
    let mut chair = app.client_as(Role::SchoolChair, app.org.school_a).await;
    let crumbs = chair.get(&format!("/members/{m}")).await.select(".crumbs li");
    assert_eq!(crumbs, vec!["甲一小学工会", "路径"], "a chair does not see the levels above");
    // Printed pages carry the reader's union and the date.
    let head = chair.get("/members").await.select(".print-head span");
    assert!(head[1].starts_with("甲一小学工会 · "), "{head:?}");
});

dual_test!(async fn a_union_position_is_recorded_and_ended_on_the_member_page(t) {
    let app = TestApp::new(t).await;
    let m = member(&app.t.store, app.org.school_a, "职务人", 12).await;
    let mut chair = app.client_as(Role::SchoolChair, app.org.school_a).await;
    let r = chair.post(&format!("/members/{m}/cadres"), &[("position", "vice_chair"), ("start", "2025-09-01")]).await;
    r.assert_status(303);
    let page = chair.follow(&r).await;
    assert!(page.text().contains("副主席"));
    let c = store::org::cadre_positions(&app.t.store, &sys(), m).await.unwrap();
    let r = chair.post(&format!("/members/{m}/cadres/{}/end", c[0].id), &[("end", "2026-07-01")]).await;
    r.assert_status(303);
    assert_eq!(store::org::cadre_positions(&app.t.store, &sys(), m).await.unwrap()[0].end_date, chrono::NaiveDate::from_ymd_opt(2026, 7, 1));
    let r = chair.post(&format!("/members/{m}/cadres"), &[("position", "emperor"), ("start", "2025-09-01")]).await;
    let page = chair.follow(&r).await;
    assert!(!page.select(".flash.error").is_empty());
});

dual_test!(async fn a_committee_member_cannot_confirm_a_whole_id_number_or_phone_by_searching(t) {
    let app = TestApp::new(t).await;
    member(&app.t.store, app.org.school_a, "李四", 2).await;
    let mut c = app.client_as(Role::CommitteeMember, app.org.school_a).await;
    for q in [id_number(2, false), "13800000002".to_string()] {
        let r = c.get(&format!("/members?q={q}&status=all")).await;
        r.assert_status(303);
        let to = r.location().unwrap();
        assert!(!to.contains(&q) && to.contains("status=all"), "the search is dropped, the rest kept: {to}");
        let page = c.follow(&r).await;
        assert!(!page.select(".flash").is_empty(), "a clear message");
        // The export answers the same way.
        c.get(&format!("/members/export.xlsx?q={q}")).await.assert_status(303);
    }
    // The last four still find, like the mask shows.
    let tail = &id_number(2, false)[14..];
    let r = c.get(&format!("/members?q={tail}")).await;
    assert_eq!(r.select("table.members tbody td[data-label='姓名']"), vec!["李四"]);
});

dual_test!(async fn an_exact_search_with_full_view_is_audited_and_slows_down(t) {
    let app = TestApp::new(t).await;
    member(&app.t.store, app.org.school_a, "李四", 2).await;
    let mut c = app.client_as(Role::SchoolChair, app.org.school_a).await;
    let id = id_number(2, false);
    let r = c.get(&format!("/members?q={id}")).await;
    r.assert_status(200);
    assert_eq!(r.select("table.members tbody td[data-label='姓名']"), vec!["李四"]);
    let rows = store::audit::list(app.t.db(), &sys(), &store::audit::AuditFilter::default(), 50).await.unwrap();
    let rec = rows.iter().find(|r| r.action == "member.exact_search").expect("audited");
    assert!(!rec.changes.contains(&id), "the number itself is not in the log");
    for _ in 0..25 {
        c.get(&format!("/members?q={id}")).await;
    }
    c.get(&format!("/members?q={id}")).await.assert_status(303);
});

dual_test!(async fn a_masked_member_page_and_edit_form_show_no_birth_date_beside_the_number(t) {
    let app = TestApp::new(t).await;
    let m = member(&app.t.store, app.org.school_a, "李四", 2).await;
    let mut c = app.client_as(Role::CommitteeMember, app.org.school_a).await;
    let r = c.get(&format!("/members/{}", m.0)).await;
    r.assert_status(200);
    let text = r.select("dl").join(" ");
    assert!(!text.contains("1980"), "{text}");
    let r = c.get(&format!("/members/{}/edit", m.0)).await;
    r.assert_status(200);
    assert!(r.select("input[name=birth_date]").is_empty());
    assert!(!r.text().contains(&id_number(2, false)));
    // Saving the masked form keeps the stored birth date.
    let version = r.html().select(&scraper::Selector::parse("input[name=version]").unwrap()).next().unwrap().value().attr("value").unwrap().to_string();
    let r = c.post(&format!("/members/{}/edit", m.0), &[("name", "李四"), ("gender", "female"), ("post", "teacher"), ("version", &version)]).await;
    r.assert_status(303);
    let chair = app.actor(Role::SchoolChair, app.org.school_a);
    let view = chair.authorize::<domain::auth::perm::MemberView>().unwrap();
    let after = store::org::get_member(&app.t.store, &view, m).await.unwrap();
    assert_eq!(after.birth_date.format("%Y").to_string(), "1980");
});

dual_test!(async fn names_sort_by_pinyin_and_are_found_by_given_name_and_initials(t) {
    let app = TestApp::new(t).await;
    for (i, n) in ["于洋", "丁伟", "陈静", "王思琪", "安然", "单海"].iter().enumerate() {
        member(&app.t.store, app.org.school_a, n, 30 + i as u32).await;
    }
    let mut c = app.client_as(Role::SchoolChair, app.org.school_a).await;
    let names = |r: &testkit::app::Resp| r.select("table.members tbody td[data-label='姓名']");
    // 丁 and 于 do not come first: pinyin order, as a union office lists names (单 as a
    // surname reads Shàn).
    let r = c.get("/members?sort=name").await;
    assert_eq!(names(&r), ["安然", "陈静", "丁伟", "单海", "王思琪", "于洋"]);
    let r = c.get("/members?sort=name&dir=desc").await;
    assert_eq!(names(&r), ["于洋", "王思琪", "单海", "丁伟", "陈静", "安然"]);
    // A given name, initials, and whole pinyin with or without spaces find the person.
    for q in ["思琪", "wsq", "WSQ", "wangsiqi", "wang%20si"] {
        let r = c.get(&format!("/members?q={q}")).await;
        assert_eq!(names(&r), ["王思琪"], "search {q}");
    }
    // LIKE's wildcards typed by a person match themselves only.
    let r = c.get("/members?q=%25").await;
    assert!(names(&r).is_empty(), "{:?}", names(&r));
});
