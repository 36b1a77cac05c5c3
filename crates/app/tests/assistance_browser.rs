//! Issue 16's "done when", in a real browser at phone size against the whole application on
//! loopback: a committee member opens a hardship file whose level the income test decides,
//! the chair confirms it, a grant passes two approvals (a second chair of the school, then
//! the district) and is paid from the fund; a retirement on the roster puts a must-visit on
//! the due list and the reminder scan into the committee's inbox, the visit is recorded from
//! the due list; the 重阳节 birthday list shows the retirees of 70, 80 and 90 and prints.
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

mod a_hardship_file_a_grant_a_must_visit_and_the_birthday_list_in_a_phone_browser {
    #[test]
    fn sqlite() {
        super::on_big_stack(false);
    }

    #[test]
    fn postgres() {
        super::on_big_stack(true);
    }
}

async fn set_member(
    app: &TestApp,
    m: domain::ids::MemberId,
    sql: &'static str,
    d: chrono::NaiveDate,
) {
    store::on_db!(app.t.db(), |p| sqlx::query(sql)
        .bind(d)
        .bind(m.0)
        .execute(p)
        .await
        .map(|_| ()))
    .unwrap();
}

async fn scenario(t: TestDb) {
    let app = TestApp::new(t).await;
    let st = &app.t.store;
    let o = app.org.clone();
    for (name, role, unit) in [
        ("weiyuan", Role::CommitteeMember, o.school_a),
        ("zhuxi", Role::SchoolChair, o.school_a),
        ("zhuxi2", Role::SchoolChair, o.school_a),
        ("quzong", Role::UnionStaff, o.union),
    ] {
        app.account_full(name, role, unit, None, Some(PASSWORD))
            .await;
    }
    let today = web::today();
    let year = chrono::Datelike::year(&today);
    member(st, o.school_a, "王困难", 61).await;
    // A teacher who retired five weeks ago (the visit is overdue), and a retiree who turns 80.
    let retiring = member(st, o.school_a, "孙退休", 62).await;
    set_member(
        &app,
        retiring,
        "UPDATE member SET status = 'retired', status_since = $1 WHERE id = $2",
        today - chrono::Duration::days(35),
    )
    .await;
    let elder = member(st, o.school_a, "钱八十", 63).await;
    set_member(
        &app,
        elder,
        "UPDATE member SET birth_date = $1 WHERE id = $2",
        chrono::NaiveDate::from_ymd_opt(year - 80, 10, 1).unwrap(),
    )
    .await;
    set_member(
        &app,
        elder,
        "UPDATE member SET status = 'retired', status_since = $1 WHERE id = $2",
        chrono::NaiveDate::from_ymd_opt(2005, 9, 1).unwrap(),
    )
    .await;
    // The district's fund holds ¥5,000.
    store::assistance::grants::add_income(
        st,
        &sys(),
        &who(),
        o.union,
        domain::assistance::FundEntryKind::Allocation,
        500_000,
        today,
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
    let open_details = "document.querySelectorAll('details').forEach(d => d.open = true)";

    // The committee member drafts: ¥2,000 a month for three people is deep hardship.
    b.login("weiyuan").await;
    b.go("/assistance/files/new").await;
    b.set("member", "王困难").await;
    b.set("household_size", "3").await;
    b.set("relation0", "member").await;
    b.set("age0", "46").await;
    b.set("income0", "2000").await;
    b.set("status0", "working").await;
    b.check("input[name=causes][value=illness]").await;
    b.click("form[action='/assistance/files/new'] button[type=submit]")
        .await;
    assert!(
        b.flash().await.contains("档案已起草"),
        "{}",
        b.flash().await
    );
    let file = b.path().await;
    assert!(b.text("body").await.contains("深度困难"));
    assert!(!b.b.scrolls_sideways().await, "the file page fits a phone");

    // The chair confirms and applies for a grant.
    b.login("zhuxi").await;
    b.go(&file).await;
    b.click("form[action$='/confirm'] button").await;
    assert!(
        b.flash().await.contains("档案已确认"),
        "{}",
        b.flash().await
    );
    b.js(open_details).await;
    b.set("amount", "1000").await;
    b.set("grant_reason", "住院治疗").await;
    b.click("form[action$='/grant'] button[type=submit]").await;
    assert!(
        b.flash().await.contains("补助已申请"),
        "{}",
        b.flash().await
    );

    // A second chair approves for the school, the district approves and pays.
    b.login("zhuxi2").await;
    b.go("/assistance/fund").await;
    b.click("form[action$='/approve'] button").await;
    assert!(
        b.flash().await.contains("审批已记录"),
        "{}",
        b.flash().await
    );
    b.login("quzong").await;
    b.go("/assistance/fund").await;
    b.click("form[action$='/approve'] button").await;
    b.click("form[action$='/pay'] button").await;
    assert!(
        b.flash().await.contains("补助已从基金发放"),
        "{}",
        b.flash().await
    );
    assert!(
        b.text("dl.facts").await.contains("4000.00"),
        "the fund's balance after paying"
    );

    // The retirement is a must-visit: on the due list and, after the scan, in the inbox.
    testkit::fixtures::remind_as_scheduler(st, today, chrono::Utc::now()).await;
    b.login("weiyuan").await;
    b.go("/inbox").await;
    let inbox = b.text("main").await;
    assert!(inbox.contains("应走访慰问"), "{inbox}");
    assert!(!inbox.contains("孙退休"), "the reminder names nobody");
    b.go("/assistance/visits").await;
    let due = b.text("table.visits-due").await;
    assert!(due.contains("孙退休") && due.contains("退休"), "{due}");
    b.click("table.visits-due a").await;
    b.set("visitors", "工会主席、委员").await;
    b.set("amount", "300").await;
    b.click("form[action='/assistance/visits/new'] button[type=submit]")
        .await;
    assert!(
        b.flash().await.contains("走访已记录"),
        "{}",
        b.flash().await
    );
    b.go("/assistance/visits").await;
    // The retiree's visit is done; the file opened today still owes its hardship visit.
    let due = b.text("table.visits-due").await;
    assert!(!due.contains("孙退休") && due.contains("王困难"), "{due}");
    assert!(
        !b.b.scrolls_sideways().await,
        "the visits page fits a phone"
    );

    // The 重阳节 birthday list holds the retiree of 80 and prints.
    b.go(&format!(
        "/assistance/birthdays?from={year}-01-01&to={year}-12-31"
    ))
    .await;
    let list = b.text("table.birthdays").await;
    assert!(list.contains("钱八十") && list.contains("80"), "{list}");
    assert_eq!(b.count("[data-print]").await, 1);
    b.b.screenshot("assistance-birthdays-phone").await;
    browser.close().await;
    server.abort();
}
