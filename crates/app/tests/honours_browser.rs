//! Issue 18's "done when", in a real browser at phone size against the whole application on
//! loopback: a school submits an entry to a district contest, a judge of another school
//! scores it on the blind sheet (a code, no title, no school), the district publishes the
//! prizes; a school nominates a teacher for 十佳维权之星 with the deeds, the district puts
//! the nominee on public notice, anyone objects on the public board without logging in, the
//! district records the outcome and, the notice period over, awards the honour; the honour
//! certificate is a PDF whose code (the one its QR code carries) the public page confirms
//! as genuine, and a forged code is refused.
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

mod a_contest_and_a_commendation_with_a_public_notice_in_a_phone_browser {
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
    let judge_m = member(st, o.school_b, "乙校评委", 71).await;
    for (name, role, unit, m) in [
        ("zhuxi", Role::SchoolChair, o.school_a, None),
        ("quzong", Role::UnionStaff, o.union, None),
        ("pingwei", Role::Member, o.school_b, Some(judge_m)),
    ] {
        app.account_full(name, role, unit, m, Some(PASSWORD)).await;
    }
    let today = web::today();
    // The district's contest, open for entries, one criterion, one first prize.
    let contest = {
        use domain::contests::*;
        let d = ContestDraft {
            name: "全区课件比赛".into(),
            kind: ContestKind::Courseware,
            year: chrono::Datelike::year(&today),
            rules: String::new(),
            entry_from: today - chrono::Duration::days(5),
            entry_until: today + chrono::Duration::days(5),
            judging_until: today + chrono::Duration::days(20),
            quota: 2,
            drop_extremes: false,
            prizes: [1, 0, 0, 0],
            categories: Vec::new(),
            criteria: vec![CriterionDraft {
                name: "教学设计".into(),
                weight: 100,
                max: 10,
            }],
        };
        let id = store::contests::create(st, &sys(), &who(), o.union, &d)
            .await
            .unwrap();
        store::contests::add_judge(st, &sys(), &who(), id, judge_m, &[])
            .await
            .unwrap();
        id.0
    };

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
    let open_details = "document.querySelectorAll('details').forEach(d => d.open = true)";

    // The school submits an entry.
    b.login("zhuxi").await;
    b.go(&format!("/contests/{contest}")).await;
    b.js(open_details).await;
    b.set("e-title", "《圆的面积》互动课件").await;
    b.set("e-entrants", "甲校王老师").await;
    b.click(&format!(
        "form[action='/contests/{contest}/entries'] button[type=submit]"
    ))
    .await;
    assert!(
        b.flash().await.contains("作品已报送"),
        "{}",
        b.flash().await
    );

    // The district closes the entries; the judge of school B scores blind.
    b.login("quzong").await;
    b.go(&format!("/contests/{contest}")).await;
    b.click_confirm(&format!(
        "form[action='/contests/{contest}/judging'] button"
    ))
    .await;
    b.login("pingwei").await;
    b.go(&format!("/contests/{contest}/sheet")).await;
    let sheet = b.text("main").await;
    assert!(
        !sheet.contains("圆的面积") && !sheet.contains("甲校王老师") && !sheet.contains("甲一小学"),
        "the sheet is blind: {sheet}"
    );
    b.js("document.querySelector('form.sheet-line input[type=number]').value = '9'")
        .await;
    b.click("form.sheet-line button[type=submit]").await;
    assert!(b.flash().await.contains("已保存"), "{}", b.flash().await);
    assert!(!b.b.scrolls_sideways().await, "the sheet fits a phone");

    // The district publishes: the first prize, for everyone in scope.
    b.login("quzong").await;
    b.go(&format!("/contests/{contest}")).await;
    b.click_confirm(&format!(
        "form[action='/contests/{contest}/publish'] button"
    ))
    .await;
    assert!(
        b.flash().await.contains("结果已公布"),
        "{}",
        b.flash().await
    );
    b.login("zhuxi").await;
    b.go(&format!("/contests/{contest}/results")).await;
    let results = b.text("main").await;
    assert!(
        results.contains("圆的面积") && results.contains("一等奖") && results.contains("90.00"),
        "{results}"
    );

    // The district sets the award; the school nominates with the deeds.
    b.login("quzong").await;
    b.go("/honours").await;
    b.js(open_details).await;
    b.set("a-organizer", &o.union.0.to_string()).await;
    b.set("a-name", "十佳维权之星").await;
    b.set("a-kind", "top_ten").await;
    b.set("a-per", "1").await;
    b.set("a-total", "10").await;
    b.set("a-until", &(today + chrono::Duration::days(10)).to_string())
        .await;
    b.click("form[method=post][action='/honours'] button[type=submit]")
        .await;
    assert!(
        b.flash().await.contains("评选项目已创建"),
        "{} {}",
        b.path().await,
        b.text("main").await
    );
    let award = b.path().await;
    b.login("zhuxi").await;
    b.go(&award).await;
    b.js(open_details).await;
    b.set("n-nominee", "甲校张老师").await;
    b.set(
        "n-deeds",
        "为十二名教师讨回拖欠的绩效工资，推动学校建立教职工申诉调解制度。",
    )
    .await;
    b.click(&format!(
        "form[action='{award}/nominations'] button[type=submit]"
    ))
    .await;
    assert!(
        b.flash().await.contains("推荐已提交"),
        "{}",
        b.flash().await
    );

    // The district endorses: the nominee goes on the public notice board.
    b.login("quzong").await;
    b.go(&award).await;
    b.click("form.review button[value=endorse]").await;
    assert!(b.flash().await.contains("进入公示"), "{}", b.flash().await);

    // Anyone, without logging in, reads the notice and objects anonymously.
    let _ = b.b.client.delete_all_cookies().await;
    b.go("/notice").await;
    let board = b.text("main").await;
    assert!(
        board.contains("甲校张老师") && board.contains("绩效工资"),
        "{board}"
    );
    assert!(
        !b.b.scrolls_sideways().await,
        "the notice board fits a phone"
    );
    b.js(open_details).await;
    b.js("document.querySelector('form[action$=\"/objections\"] textarea').value = '讨回绩效工资一事是全体教师共同努力的结果。'").await;
    b.click("form[action$='/objections'] button[type=submit]")
        .await;
    assert!(
        b.flash().await.contains("异议已提交"),
        "{}",
        b.flash().await
    );

    // The district reads it, cannot award yet, records the outcome.
    b.login("quzong").await;
    b.go(&award).await;
    b.click("table.nominations a").await;
    let nomination = b.path().await;
    assert!(b.text("main").await.contains("共同努力"));
    b.click(&format!("form[action='{nomination}/award'] button"))
        .await;
    assert!(
        b.text(".field-error").await.contains("公示期"),
        "{}",
        b.text("main").await
    );
    b.js("document.querySelector('form[action^=\"/honours/objections/\"] textarea').value = '经核实，该同志在维权中发挥了主要作用，事迹属实。'").await;
    b.click("form[action^='/honours/objections/'] button[type=submit]")
        .await;
    assert!(
        b.flash().await.contains("处理结果已记录"),
        "{}",
        b.flash().await
    );
    // The notice period ends (moved back five days), then the award.
    store::on_db!(app.t.db(), |p| sqlx::query(
        "UPDATE commendation_nomination SET notice_from = $1, notice_until = $2"
    )
    .bind(today - chrono::Duration::days(9))
    .bind(today - chrono::Duration::days(5))
    .execute(p)
    .await
    .map(|_| ()))
    .unwrap();
    b.go(&nomination).await;
    b.click(&format!("form[action='{nomination}/award'] button"))
        .await;
    assert!(
        b.flash().await.contains("已授予荣誉"),
        "{}",
        b.flash().await
    );
    let code = b.text("code.certificate-code").await.trim().to_string();
    assert_eq!(code.len(), 14, "{code}");
    assert!(
        !b.b.scrolls_sideways().await,
        "the nomination page fits a phone"
    );
    b.b.screenshot("honours-nomination-phone").await;

    // The certificate is a PDF carrying the code; its QR code leads to the public check.
    let pdf_url = format!("{award}/certificates.pdf");
    let content_type: String = b
        .js(&format!(
            "const r = await fetch('{pdf_url}'); const t = r.headers.get('content-type'); return t;"
        ))
        .await
        .as_str()
        .unwrap_or_default()
        .to_string();
    if web::contests::certificate::font().is_ok() {
        assert_eq!(
            content_type, "application/pdf",
            "the certificate downloads as a PDF"
        );
    }
    let _ = b.b.client.delete_all_cookies().await;
    b.go(&format!("/certificates/verify?code={code}")).await;
    let page = b.text("main").await;
    assert!(
        b.count(".genuine").await == 1
            && page.contains("甲校张老师")
            && page.contains("十佳维权之星"),
        "{page}"
    );
    b.b.screenshot("honours-verify-phone").await;
    b.go("/certificates/verify?code=ABCD-EFGH-JKLM").await;
    assert_eq!(b.count(".genuine").await, 0);
    assert!(!b.text("main").await.contains("甲校张老师"));
    browser.close().await;
    server.abort();
}
