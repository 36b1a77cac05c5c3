//! End-to-end in a real browser (headless Chromium): a school chair and union staff on a
//! desk screen, on a 375×812 phone, and with JavaScript turned off, in Chinese and English.
//! Screenshots of the key pages land in `target/screenshots/`.

use domain::auth::SystemCap;
use store::demo::{DEMO_PASSWORD, DemoOptions};
use testkit::browser::{Browser, Setup, serve};

/// A demo district of 300 members with its logins, served on a loopback port.
async fn district() -> (testkit::TestDb, String) {
    let t = testkit::sqlite().await;
    let hasher = store::auth::PasswordHasher::new(1);
    store::demo::load(
        &t.store,
        &SystemCap::for_cli(),
        Some(&hasher),
        &DemoOptions {
            members: 300,
            seed: 7,
            today: testkit::today(),
            logins: true,
        },
    )
    .await
    .unwrap_or_else(|e| panic!("demo: {e}"));
    let state = web::AppState::new(t.store.clone(), hasher, web::WebConfig::default());
    let base = serve(web::app(state)).await;
    (t, base)
}

/// A member of the chair's school: id, name and the last four of the ID number.
async fn a_member_of_the_chairs_school(t: &testkit::TestDb) -> (i64, String, String) {
    let (account, _) = store::auth::account_for_login(t.db(), "chair")
        .await
        .unwrap()
        .unwrap();
    let (actor, _) = store::auth::load_actor(t.db(), domain::ids::AccountId(account.id))
        .await
        .unwrap()
        .unwrap();
    let cap = actor
        .authorize::<domain::auth::perm::PersonalDataView>()
        .unwrap();
    let view = actor.authorize::<domain::auth::perm::MemberView>().unwrap();
    let req = store::org::PageRequest {
        after: None,
        before: None,
        limit: 5,
    };
    let page =
        store::org::list_members(&t.store, &view, &Default::default(), &req, testkit::today())
            .await
            .unwrap();
    let m = &page.rows[2];
    let full = store::org::reveal_personal(&t.store, &cap, &testkit::who(), m.id)
        .await
        .unwrap();
    (m.id.0, m.name.clone(), full.id_number[14..].to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chair_finds_edits_imports_and_exports_in_both_languages() {
    let (t, base) = district().await;
    let Some(b) = Browser::start(&base, Setup::default()).await else {
        return;
    };
    let (id, name, tail) = a_member_of_the_chairs_school(&t).await;

    b.login("chair", DEMO_PASSWORD).await;
    assert_eq!(b.texts("h1").await, vec!["首页"]);
    b.wait_js("getComputedStyle(document.getElementById('menu')).display !== 'none'")
        .await;
    b.wait_js("document.querySelectorAll('svg.chart').length >= 3")
        .await;
    b.screenshot("dashboard-zh").await;

    // Find by the last four digits: the results update in place as one types.
    b.goto("/members").await;
    b.fill("#q", &tail).await;
    b.wait_js(&format!("[...document.querySelectorAll('table.members tbody td a')].some(a => a.textContent === {name:?})")).await;
    b.screenshot("members-search-zh").await;
    // The roster prints on A4 without the navigation.
    let pdf = b
        .client
        .print(fantoccini::wd::PrintConfiguration::default())
        .await
        .unwrap();
    assert!(pdf.starts_with(b"%PDF"));
    let _ = std::fs::write(
        testkit::browser::screenshot_dir().join("members-print.pdf"),
        &pdf,
    );
    b.click(&format!("table.members a[href='/members/{id}']"))
        .await;
    b.wait_path(|p| p == format!("/members/{id}")).await;
    b.click(&format!("a[href='/members/{id}/edit']")).await;
    b.wait_path(|p| p.ends_with("/edit")).await;
    b.find("#title")
        .await
        .select_by_value("senior")
        .await
        .unwrap();
    b.click("form.form button.primary").await;
    b.wait_path(|p| p == format!("/members/{id}")).await;
    assert!(
        b.texts(".flash.ok")
            .await
            .iter()
            .any(|f| f.contains("已保存"))
    );
    assert!(b.client.source().await.unwrap().contains("正高级"));

    // Switch to English: the same page, translated; the choice sticks.
    b.click("form[action='/lang'] button").await;
    b.wait_js("document.documentElement.lang === 'en'").await;
    assert!(b.client.source().await.unwrap().contains("Senior"));
    b.screenshot("member-en").await;

    // Import a roster with one bad row: the row is named, the rest can be imported.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("roster.xlsx");
    let mut rows = vec![testkit::row(&["姓名", "身份证号", "岗位"])];
    rows.push(testkit::row(&[
        "浏览器新人",
        &testkit::id_number(8001, true),
        "教师",
    ]));
    let mut bad = testkit::id_number(8002, true);
    bad.replace_range(17..18, if bad.ends_with('1') { "2" } else { "1" });
    rows.push(testkit::row(&["校验位错", &bad, "教师"]));
    std::fs::write(&file, testkit::xlsx(&rows)).unwrap();
    b.goto("/members/import").await;
    b.find("#file")
        .await
        .send_keys(&file.display().to_string())
        .await
        .unwrap();
    b.click("form[action='/members/import'] button.primary")
        .await;
    b.wait_path(|p| p.starts_with("/imports/")).await;
    let cells = b.texts("table.errors tbody td").await;
    assert_eq!(cells.first().map(String::as_str), Some("3"), "{cells:?}");
    assert!(cells.iter().any(|c| c.contains("check digit")), "{cells:?}");
    b.screenshot("import-errors-en").await;
    let path = b.client.current_url().await.unwrap().path().to_string();
    b.click("form[action$='/apply'] input[value=valid_rows] ~ button")
        .await;
    b.client.accept_alert().await.unwrap();
    b.wait_js("!document.querySelector('[data-sse]') && document.querySelector('.flash.ok')")
        .await;
    assert_eq!(b.client.current_url().await.unwrap().path(), path);
    b.screenshot("import-done-en").await;

    // Export: the link gives a spreadsheet.
    let r = b
        .client
        .execute("return fetch('/members/export.xlsx').then(r => [r.status, r.headers.get('content-type')])", vec![])
        .await
        .unwrap();
    assert_eq!(r[0], 200);
    assert!(r[1].as_str().unwrap().contains("spreadsheetml"));
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_site_fits_a_375_px_phone_without_sideways_scrolling() {
    let (t, base) = district().await;
    let Some(b) = Browser::start(
        &base,
        Setup {
            width: 375,
            height: 812,
            phone: true,
            ..Setup::default()
        },
    )
    .await
    else {
        return;
    };
    let (id, _, _) = a_member_of_the_chairs_school(&t).await;
    b.login("staff", DEMO_PASSWORD).await;
    let member = format!("/members/{id}");
    let edit = format!("/members/{id}/edit");
    for (path, shot) in [
        ("/", "phone-dashboard"),
        ("/members", "phone-members"),
        (member.as_str(), "phone-member"),
        (edit.as_str(), "phone-member-edit"),
        ("/members/import", "phone-import"),
        ("/org", "phone-org"),
        ("/audit", "phone-audit"),
    ] {
        b.goto(path).await;
        b.wait_js("document.readyState === 'complete'").await;
        assert!(
            !b.scrolls_sideways().await,
            "{path} scrolls sideways at 375 px"
        );
        b.screenshot(shot).await;
    }
    // The menu opens with a finger-sized target.
    let h = b
        .client
        .execute(
            "return document.querySelector('.menu-toggle').getBoundingClientRect().height",
            vec![],
        )
        .await
        .unwrap();
    assert!(h.as_f64().unwrap() >= 44.0, "menu button is {h} px high");
    b.wait_js("getComputedStyle(document.getElementById('menu')).display === 'none'")
        .await;
    b.click(".menu-toggle").await;
    b.wait_js("getComputedStyle(document.getElementById('menu')).display !== 'none'")
        .await;
    let heights = b
        .client
        .execute("return [...document.querySelectorAll('.menu li a')].map(a => a.getBoundingClientRect().height)", vec![])
        .await
        .unwrap();
    assert!(
        heights
            .as_array()
            .unwrap()
            .iter()
            .all(|h| h.as_f64().unwrap() >= 44.0),
        "{heights}"
    );
    b.screenshot("phone-menu").await;
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forms_work_with_javascript_turned_off() {
    let (_t, base) = district().await;
    let Some(b) = Browser::start(
        &base,
        Setup {
            javascript: false,
            ..Setup::default()
        },
    )
    .await
    else {
        return;
    };
    b.login("chair", DEMO_PASSWORD).await;
    // Filtering sends the form the plain way.
    b.goto("/members").await;
    // Without JavaScript the wide-screen filters show through CSS alone.
    b.find("#post")
        .await
        .select_by_value("worker")
        .await
        .unwrap();
    b.click("form.filters button.primary").await;
    b.wait_path(|p| p == "/members").await;
    assert!(
        b.client
            .current_url()
            .await
            .unwrap()
            .query()
            .unwrap_or("")
            .contains("post=worker")
    );
    // A new member, with an error first: the input is kept and the error is at the field.
    b.goto("/members/new").await;
    b.fill("#name", "无脚本").await;
    b.fill("#id_number", "330102198001010000").await;
    b.find("#post")
        .await
        .select_by_value("teacher")
        .await
        .unwrap();
    b.click("form.form button.primary").await;
    b.wait_js("document.querySelector('.field-error')").await;
    assert_eq!(
        b.find("#name")
            .await
            .prop("value")
            .await
            .unwrap()
            .as_deref(),
        Some("无脚本")
    );
    b.screenshot("nojs-field-error").await;
    b.fill("#id_number", &testkit::id_number(9100, true)).await;
    b.click("form.form button.primary").await;
    b.wait_path(|p| p.starts_with("/members/") && !p.ends_with("/new"))
        .await;
    assert!(
        b.texts(".flash.ok")
            .await
            .iter()
            .any(|f| f.contains("无脚本"))
    );
    b.close().await;
}
