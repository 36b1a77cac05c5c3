use domain::auth::Role;
use testkit::app::TestApp;
use testkit::*;

dual_test!(async fn a_roster_with_three_bad_rows_names_them_and_imports_the_rest(t) {
    let app = TestApp::new(t).await;
    let mut c = app.client_as(Role::SchoolChair, app.org.school_a).await;
    let mut rows = vec![row(&["姓名", "身份证号", "手机号", "岗位", "入会时间"])];
    for i in 0..4u32 {
        rows.push(row(&[&format!("好人{i}"), &id_number(100 + i, true), "", "教师", "2015/9/1"]));
    }
    let mut bad = id_number(200, true);
    bad.replace_range(17..18, if bad.ends_with('0') { "1" } else { "0" });
    rows.push(row(&["坏号码", &bad, "", "教师", ""]));
    rows.push(row(&["坏手机", &id_number(201, true), "123", "教师", ""]));
    rows.push(row(&["坏日期", &id_number(202, true), "", "教师", "明年春天"]));
    let school = app.org.school_a.to_string();
    let r = c.post_multipart("/members/import", &[("unit", &school)], Some(("file", "名册.xlsx", xlsx(&rows)))).await;
    r.assert_status(303);
    let page = c.follow(&r).await;
    page.assert_status(200);
    let cells = page.select("table.errors tbody td");
    let rows_named: Vec<&String> = cells.iter().step_by(3).collect();
    assert_eq!(rows_named, vec!["6", "7", "8"], "{cells:?}");
    assert!(cells.iter().any(|c| c.contains("校验位")));
    assert!(cells.iter().any(|c| c == "手机号"));
    assert!(cells.iter().any(|c| c.contains("明年春天")));
    let path = r.location().unwrap();
    // All-or-nothing is not offered with errors; valid rows only is.
    let r = c.post(&format!("{path}/apply"), &[("mode", "valid_rows")]).await;
    r.assert_status(303);
    // It runs in the background; the page follows it until it is done.
    let mut done = c.follow(&r).await;
    for _ in 0..100 {
        if done.select("[data-sse]").is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        done = c.get(&path).await;
    }
    assert!(done.select("[data-sse]").is_empty(), "the import finished");
    assert!(!done.select(".flash.ok").is_empty(), "{:?}", done.select(".flash"));
    assert_eq!(done.select(".tile-num")[1], "4", "4 added");
    let list = c.get("/members").await;
    assert_eq!(list.select("table.members tbody tr").len(), 4);
    // Applying twice writes nothing more.
    let again = c.post(&format!("{path}/apply"), &[("mode", "valid_rows")]).await;
    again.assert_status(303);
    assert_eq!(c.get("/members").await.select("table.members tbody tr").len(), 4);
});

dual_test!(async fn a_file_that_is_not_a_spreadsheet_gets_a_clear_message(t) {
    let app = TestApp::new(t).await;
    let mut c = app.client_as(Role::SchoolChair, app.org.school_a).await;
    let school = app.org.school_a.to_string();
    let r = c.post_multipart("/members/import", &[("unit", &school)], Some(("file", "photo.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00".to_vec()))).await;
    r.assert_status(422);
    assert!(r.select(".form-error").iter().any(|e| e.contains("不是表格")));
});

dual_test!(async fn an_upload_over_the_limit_is_refused_and_the_server_answers_on(t) {
    let app = TestApp::new(t).await;
    let mut c = app.client_as(Role::SchoolChair, app.org.school_a).await;
    let school = app.org.school_a.to_string();
    let big = vec![b'a'; web::WebConfig::default().max_upload_bytes + 200 * 1024];
    let r = c.post_multipart("/members/import", &[("unit", &school)], Some(("file", "big.csv", big))).await;
    r.assert_status(413);
    assert!(r.text().contains("MB"));
    c.get("/members").await.assert_status(200);
});
