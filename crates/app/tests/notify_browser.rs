//! Issue 15's "done when", in a real browser on a phone: in the demo district, the
//! handling department's reply to a proposal is overdue and the daily reminder scan (run
//! by the demo load) has put it in the department's inbox. The department's account, in
//! Chromium at 375 px wide, sees the unread count in the header, opens the inbox from it,
//! taps the reminder and lands on the proposal it is about, with its title and the reply
//! form; back in the inbox the item is read and the count went down. Neither page scrolls
//! sideways.
//!
//! Needs `chromedriver` and `chromium`; without them the test says so and passes, unless
//! `JIAOGONG_REQUIRE_BROWSER=1`.

use testkit::browser::{Browser, Setup, Steps as B};
use testkit::*;

mod a_department_follows_its_overdue_reminder_from_the_inbox_to_the_proposal_on_a_phone {
    #[test]
    fn sqlite() {
        testkit::browser::on_big_stack(false, |t| Box::pin(super::scenario(t)));
    }

    #[test]
    fn postgres() {
        testkit::browser::on_big_stack(true, |t| Box::pin(super::scenario(t)));
    }
}

/// The number in the header's unread badge (0 when there is none).
async fn badge(b: &B<'_>) -> i64 {
    b.text("#inbox-link .badge")
        .await
        .trim()
        .parse()
        .unwrap_or(0)
}

async fn scenario(t: TestDb) {
    let st = t.store.clone();
    let (_, hasher) = testkit::browser::load_demo(&st, 1500, 7).await;
    let state = web::AppState::new(st.clone(), hasher, web::WebConfig::default());
    let (base, server) = testkit::browser::serve_app(state).await;
    let setup = Setup {
        width: 375,
        height: 812,
        phone: true,
        ..Setup::default()
    };
    let Some(browser) = Browser::start(&base, setup).await else {
        return;
    };
    let b = B { b: &browser };

    // The department's login (see the demo's list of logins).
    b.login_with("dept", store::demo::DEMO_PASSWORD).await;
    b.go("/").await;
    let link = b.first("#inbox-link").await;
    assert!(
        link.is_displayed().await.unwrap(),
        "the inbox link is visible in the header on a phone"
    );
    let unread = badge(&b).await;
    assert!(unread >= 1, "the header shows the unread count: {unread}");
    b.click("#inbox-link").await;
    assert_eq!(b.path().await, "/inbox");
    assert!(!browser.scrolls_sideways().await, "the inbox fits a phone");
    let items = browser.texts(".inbox-item.unread").await;
    let at = items
        .iter()
        .position(|t| t.contains("提案答复") && t.contains("已逾期"))
        .unwrap_or_else(|| panic!("an overdue proposal reply in the inbox: {items:?}"));
    browser.screenshot("notify-inbox-phone").await;

    // Tapping the reminder goes straight to the proposal it is about.
    b.js(&format!(
        "window.__jg = 1; document.querySelectorAll('.inbox-item.unread')[{at}].querySelector('button.inbox-open').click();"
    ))
    .await;
    b.wait_new_page().await;
    let path = b.path().await;
    let id: i64 = path
        .strip_prefix("/proposals/")
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("landed on {path}, not a proposal"));
    let title: String = store::on_db!(&st.db, |p| sqlx::query_scalar(
        "SELECT title FROM proposal WHERE id = $1"
    )
    .bind(id)
    .fetch_one(p)
    .await)
    .unwrap();
    assert!(
        items[at].contains(&title),
        "the reminder named the proposal it links to: {title} / {}",
        items[at]
    );
    let h1 = b.first("h1").await;
    assert!(h1.is_displayed().await.unwrap());
    assert!(
        h1.text().await.unwrap().contains(&title),
        "the proposal's title is shown"
    );
    let form = b.first("#reply form[action$='/reply'] textarea").await;
    assert!(
        form.is_displayed().await.unwrap(),
        "the department can answer from here"
    );
    assert!(
        !browser.scrolls_sideways().await,
        "the proposal fits a phone"
    );
    browser.screenshot("notify-proposal-phone").await;

    // Back in the inbox: that item is read, the count went down by one.
    b.go("/inbox").await;
    assert_eq!(badge(&b).await, unread - 1);
    assert_eq!(
        b.count(".inbox-item.unread").await,
        items.len() - 1,
        "the opened reminder is no longer unread"
    );

    browser.close().await;
    server.abort();
}
