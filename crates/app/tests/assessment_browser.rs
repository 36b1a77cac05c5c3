//! Issue 17's "done when", in a real browser at phone size against the whole application on
//! loopback: a school self-assesses its staff home with a photo as evidence (uploaded, proved
//! a JPEG by its content), its area lead sees it and recommends, two district reviewers award the level; the annual assessment ranks the
//! schools from the platform's figures and vetoes the ones without a quorate congress (the
//! exempted school is not); the ledger of a school shows its veto and prints.
//!
//! Needs `chromedriver` and `chromium` (Debian: `chromium chromium-driver`), driven through
//! `testkit::browser`. Without them the test says so and passes, unless
//! `JIAOGONG_REQUIRE_BROWSER=1`.

use domain::auth::Role;
use testkit::app::{PASSWORD, TestApp};
use testkit::browser::{Browser, Setup, Steps as B};
use testkit::*;

fn on_big_stack(postgres: bool) {
    testkit::browser::on_big_stack(postgres, |t| Box::pin(scenario(t)));
}

mod a_staff_home_is_awarded_and_the_annual_assessment_vetoes_in_a_phone_browser {
    #[test]
    fn sqlite() {
        super::on_big_stack(false);
    }

    #[test]
    fn postgres() {
        super::on_big_stack(true);
    }
}

async fn scenario(t: TestDb) {
    let app = TestApp::new(t).await;
    let st = &app.t.store;
    let o = app.org.clone();
    for (name, role, unit) in [
        ("zhuxi", Role::SchoolChair, o.school_a),
        ("pianzhang", Role::AreaLead, o.area_a),
        ("shenhe1", Role::UnionStaff, o.union),
        ("shenhe2", Role::UnionStaff, o.union),
    ] {
        app.account_full(name, role, unit, None, Some(PASSWORD))
            .await;
    }
    let year = domain::congress::school_year(web::today()) - 1;
    store::congress::oversight::record_exemption(
        st,
        &sys(),
        &who(),
        o.school_a2,
        year,
        "校舍整体搬迁",
    )
    .await
    .unwrap();
    let (base, server) = testkit::browser::serve_router(app.router.clone()).await;
    let setup = Setup {
        width: 390,
        height: 844,
        phone: true,
        ..Setup::default()
    };
    let Some(browser) = Browser::start(&base, setup).await else {
        return;
    };
    let b = B { b: &browser };
    let dir = tempfile::tempdir().unwrap();
    let photo_path = dir.path().join("职工之家活动室.jpg");
    std::fs::write(
        &photo_path,
        web::correspondent::photo::jpeg_with_gps(1200, 900),
    )
    .unwrap();

    // The chair self-assesses, a photo of the premises as the evidence.
    b.login("zhuxi").await;
    b.go("/assessment/homes/new").await;
    b.set("level", "qualified").await;
    for (i, v) in ["14", "22", "13", "14", "12", "13"].iter().enumerate() {
        b.set(&format!("score{i}"), v).await;
    }
    b.first("#file4")
        .await
        .send_keys(&photo_path.display().to_string())
        .await
        .unwrap();
    b.click("form[action='/assessment/homes/new'] button[type=submit]")
        .await;
    assert!(
        b.flash().await.contains("自评已提交"),
        "{}",
        b.flash().await
    );
    let href = b.path().await;
    assert!(
        b.text("table.evidence-files")
            .await
            .contains("职工之家活动室.jpg"),
        "the photo is listed under its standard"
    );
    assert!(
        !b.b.scrolls_sideways().await,
        "the application fits a phone"
    );

    // The area lead sees the photo (it loads as an image) and recommends.
    b.login("pianzhang").await;
    b.go(&href).await;
    let link = b
        .js("return document.querySelector('a.evidence-file').getAttribute('href');")
        .await;
    let link = link.as_str().unwrap_or_default().to_string();
    assert!(link.starts_with("/assessment/evidence/"), "{link}");
    let kind = b
        .js(&format!(
            "const r = new XMLHttpRequest(); r.open('GET', '{link}', false); r.send(); return r.status + ' ' + r.getResponseHeader('content-type');"
        ))
        .await;
    assert_eq!(kind.as_str(), Some("200 image/jpeg"));
    b.go(&href).await;
    b.set("score", "88").await;
    b.click("form[action$='/recommend'] button[value=recommend]")
        .await;
    assert!(
        b.flash().await.contains("推荐意见已记录"),
        "{}",
        b.flash().await
    );

    // Two district reviewers award the level.
    for reviewer in ["shenhe1", "shenhe2"] {
        b.login(reviewer).await;
        b.go(&href).await;
        b.click("form[action$='/review'] button[value=approve]")
            .await;
        assert!(
            b.flash().await.contains("复评意见已记录"),
            "{}",
            b.flash().await
        );
    }
    assert_eq!(b.text("#application-status").await.trim(), "已评定");
    b.go("/assessment/homes?level=qualified").await;
    assert!(b.text("table.homes").await.contains("甲一小学工会"));

    // The annual assessment: A and B held no quorate congress and are vetoed; A2 is exempted.
    b.go(&format!("/assessment?year={year}")).await;
    let vetoed = b.text("table.assessment").await;
    assert!(vetoed.contains("校舍整体搬迁"), "{vetoed}");
    assert_eq!(b.count("tr.flagged").await, 2);
    assert!(b.text(".weak-list").await.contains("甲一小学工会"));
    b.b.screenshot("assessment-annual-phone").await;

    // The ledger of school A shows the veto and has its print button.
    b.go(&format!("/assessment/schools/{}?year={year}", o.school_a.0))
        .await;
    assert!(b.text("#ledger-veto").await.contains("一票否决"));
    assert_eq!(b.count("[data-print]").await, 1);
    b.b.screenshot("assessment-ledger-phone").await;
    // This year's ledger of school A links to the photo its self-assessment carried.
    b.go(&format!(
        "/assessment/schools/{}?year={}",
        o.school_a.0,
        year + 1
    ))
    .await;
    assert!(
        b.text("table.ledger-evidence")
            .await
            .contains("职工之家活动室.jpg"),
        "the ledger links the evidence"
    );
    browser.close().await;
    server.abort();
}
