//! Issue 5's "done when", in a real browser: headless Chromium at phone size against the
//! whole application on loopback. A school chair sets up a term with its delegates, plans a
//! meeting and opens check-in; delegates check in on their phones and see the quorum; one
//! writes a proposal that two others second; the proposals committee accepts and assigns it;
//! the department replies; the proposer is dissatisfied, it is handled again, then rated
//! satisfied; the chair's handling report shows it.
//!
//! Needs `chromedriver` and `chromium` (Debian: `chromium chromium-driver`), driven through
//! `testkit::browser`. Without them the test says so and passes, unless
//! `JIAOGONG_REQUIRE_BROWSER=1`.

use domain::auth::Role;
use testkit::app::{PASSWORD, TestApp};
use testkit::browser::{Browser, Setup, Steps as B};
use testkit::*;

fn day(offset: i64) -> String {
    (web::today() + chrono::Duration::days(offset))
        .format("%Y-%m-%d")
        .to_string()
}

fn id_in(path: &str) -> i64 {
    path.rsplit('/')
        .find_map(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no id in {path}"))
}

fn on_big_stack(postgres: bool) {
    testkit::browser::on_big_stack(postgres, |t| Box::pin(scenario(t)));
}

mod a_chair_runs_a_meeting_and_a_proposal_goes_round_twice_in_a_phone_browser {
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
    let chair_m = member(st, o.school_a, "陈主席", 90).await;
    app.account_full(
        "chair",
        Role::SchoolChair,
        o.school_a,
        Some(chair_m),
        Some(PASSWORD),
    )
    .await;
    app.account_full(
        "tiwei",
        Role::ProposalsCommittee,
        o.school_a,
        None,
        Some(PASSWORD),
    )
    .await;
    let general = store::org::create_unit(
        st,
        &sys(),
        &who(),
        Some(o.school_a),
        &store::org::NewUnit::branch("SA1-ZW".into(), "总务处".into()),
    )
    .await
    .unwrap();
    app.account_full(
        "zongwu",
        Role::HandlingDepartment,
        general,
        None,
        Some(PASSWORD),
    )
    .await;
    for (i, name) in ["代表王", "代表李", "代表张"].iter().enumerate() {
        let m = member(st, o.school_a, name, 100 + i as u32).await;
        app.account_full(
            &format!("daibiao{i}"),
            Role::Delegate,
            o.school_a,
            Some(m),
            Some(PASSWORD),
        )
        .await;
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = app.router.clone();
    let server = tokio::spawn(async move {
        let _ = axum::serve(
            listener,
            router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await;
    });
    let setup = Setup {
        width: 390,
        height: 844,
        phone: true,
        ..Setup::default()
    };
    let Some(browser) = Browser::start(&format!("http://{addr}"), setup).await else {
        return;
    };
    let b = B { b: &browser };

    // The chair: a term, its delegates, a meeting with an agenda; check-in opens.
    b.login("chair").await;
    b.go("/congress/terms/new").await;
    b.set("number", "5").await;
    b.set("mode", "congress").await;
    b.set("start_date", &day(-300)).await;
    b.set("end_date", &day(-300 + 365 * 4)).await;
    b.click("form[action='/congress/terms/new'] button[type=submit]")
        .await;
    assert!(b.flash().await.contains("第5届"), "{}", b.flash().await);
    let term = id_in(&b.path().await);
    for _ in 0..3 {
        b.go(&format!("/congress/terms/{term}?q=代表")).await;
        b.click(".candidates form button[type=submit]").await;
        assert!(b.flash().await.contains("已添加"));
    }
    assert_eq!(b.count("table.delegates tbody tr").await, 3);
    b.go(&format!("/congress/terms/{term}/meetings/new")).await;
    b.set("meeting_date", &day(10)).await;
    b.set("place", "学术报告厅").await;
    b.set("proposals_from", &day(-5)).await;
    b.set("proposals_until", &day(5)).await;
    b.click("form[action$='/meetings/new'] button[type=submit]")
        .await;
    let meeting = id_in(&b.path().await);
    b.set("atitle", "校长工作报告").await;
    b.click("form[action$='/agenda'] button[type=submit]").await;
    assert!(b.text("ol.agenda").await.contains("校长工作报告"));
    b.click_confirm("form[action$='/status'] button[type=submit]")
        .await;
    assert!(
        b.flash().await.contains("签到已开始"),
        "{}",
        b.flash().await
    );

    // Before anyone checks in, the board shows only that the quorum is not reached (the
    // hidden "reached" badge must stay hidden whatever its class sets; issue 25).
    b.go(&format!("/congress/meetings/{meeting}/board")).await;
    let q = b.text(".board-quorum").await;
    assert!(
        q.contains("未达到法定人数") && !q.contains("已达到法定人数"),
        "{q}"
    );

    // Three delegates check in on their phones, from the start page, which during the
    // meeting is the meeting (issue 25: no menu navigation); the board shows the quorum.
    for i in 0..3 {
        b.login(&format!("daibiao{i}")).await;
        assert_eq!(b.path().await, "/");
        b.click(&format!(
            "form[action='/congress/meetings/{meeting}/check-in'] button[type=submit]"
        ))
        .await;
        assert!(b.flash().await.contains("签到成功"), "{}", b.flash().await);
    }
    b.go(&format!("/congress/meetings/{meeting}/board")).await;
    assert_eq!(b.text("[data-k=present]").await.trim(), "3");
    let q = b.text(".board-quorum").await;
    assert!(
        q.contains("已达到法定人数") && !q.contains("未达到法定人数"),
        "both quorum badges show: {q}"
    );

    // The last one writes a proposal and invites the other two.
    b.go(&format!("/proposals/new?meeting={meeting}")).await;
    b.set("title", "延长教师午餐时间").await;
    b.set("reasons", "午餐时间仅二十分钟。").await;
    b.set("measures", "错峰用餐，增开窗口。").await;
    b.click("form[action='/proposals/new'] button[type=submit]")
        .await;
    let prop = id_in(&b.path().await);
    for e in
        b.b.client
            .find_all(fantoccini::Locator::Css("input[name=delegates]"))
            .await
            .unwrap_or_default()
    {
        e.click()
            .await
            .unwrap_or_else(|err| panic!("tick a delegate: {err}"));
    }
    assert_eq!(b.count("input[name=delegates]:checked").await, 2);
    b.click("form[action$='/invite'] button[type=submit]").await;
    assert!(b.flash().await.contains("已邀请 2 位代表"));
    for i in 0..2 {
        b.login(&format!("daibiao{i}")).await;
        b.go(&format!("/proposals/{prop}")).await;
        b.click("form[action$='/second'] button[type=submit]").await;
        assert!(b.flash().await.contains("您已附议"));
    }
    b.login("daibiao2").await;
    b.go(&format!("/proposals/{prop}")).await;
    b.click_confirm("form[action$='/submit'] button[type=submit]")
        .await;
    assert!(
        b.flash().await.contains("编号为第 1 号"),
        "{}",
        b.flash().await
    );

    // The committee accepts and assigns it.
    b.login("tiwei").await;
    b.go(&format!("/proposals/{prop}")).await;
    b.check("input[name=decision][value=accept]").await;
    b.set("reason", "关系全体教师切身利益").await;
    b.click("form[action$='/review'] button[type=submit]").await;
    assert!(b.flash().await.contains("立案"));
    b.set("handler", &general.to_string()).await;
    b.set("deadline", &day(20)).await;
    b.click("form[action$='/assign'] button[type=submit]").await;
    assert!(b.flash().await.contains("已交办"));

    // Reply, dissatisfied, reply again, satisfied.
    for (reply, rating, comment) in [
        ("下学期起调整作息。", "dissatisfied", "本学期就要解决"),
        ("本月起增开临时窗口。", "satisfied", ""),
    ] {
        b.login("zongwu").await;
        b.go(&format!("/proposals/{prop}")).await;
        b.set("body", reply).await;
        b.click("form[action$='/reply'] button[type=submit]").await;
        assert!(b.flash().await.contains("答复已发送"));
        b.login("daibiao2").await;
        b.go(&format!("/proposals/{prop}")).await;
        b.check(&format!("input[name=rating][value={rating}]"))
            .await;
        b.set("comment", comment).await;
        b.click("form[action$='/rate'] button[type=submit]").await;
        assert!(
            b.flash().await.contains(if rating == "satisfied" {
                "进入落实阶段"
            } else {
                "第 2 轮"
            }),
            "{}",
            b.flash().await
        );
    }
    assert_eq!(b.count("article.reply").await, 2);

    // The chair's handling report shows it.
    b.login("chair").await;
    b.go(&format!("/congress/meetings/{meeting}/report")).await;
    let report = b.text("article.report").await;
    assert!(
        report.contains("延长教师午餐时间") && report.contains("满意") && report.contains("总务处"),
        "{report}"
    );
    b.b.screenshot("congress-report-phone").await;
    browser.close().await;
    server.abort();
}
