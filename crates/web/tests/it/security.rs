//! Issue 12 attacks over HTTP that no other area's tests make: a forged `Host` header on
//! the page that prints delegate cards, and the fresh code a delegate gets at self
//! check-in, which kills the printed card and is no second way in. Tests only; they never
//! weaken a guard to get through.

use axum::http::header;
use domain::auth::Role;
use testkit::app::TestApp;
use testkit::*;

dual_test!(async fn delegate_cards_never_carry_the_address_of_a_forged_host_header(t) {
    let app = TestApp::new(t).await;
    let h = testkit::hall::hall_in(&app.t.store, app.org.clone(), 3, 0, 0).await;
    let c = app.client_as(Role::SchoolChair, app.org.school_a).await;
    let mut c = c.header("host", "evil.example");
    // The hall's cards were printed already: printing again is confirmed (issue 25, item 13).
    let r = c.post(&format!("/congress/meetings/{}/cards", h.meeting.0), &[("confirm", "1")]).await;
    r.assert_status(200);
    assert_eq!(r.headers.get(header::CACHE_CONTROL).unwrap(), "no-store");
    assert_eq!(r.select(".card-code").len(), 3, "the cards were printed");
    assert!(!r.text().contains("evil.example"), "a forged Host header reached the printed cards");
});

dual_test!(async fn a_delegates_fresh_code_from_self_check_in_does_not_check_anyone_in_again(t) {
    let app = TestApp::new(t).await;
    let h = testkit::hall::hall_in(&app.t.store, app.org.clone(), 3, 0, 0).await;
    let (member, _, printed) = h.delegates[0].clone();
    let account = app.account_full("dele0", Role::Delegate, app.org.school_a, Some(member), None).await;
    let mut phone = app.client_for(account).await;
    let r = phone.post(&format!("/congress/meetings/{}/check-in", h.meeting.0), &[]).await;
    r.assert_status(200);
    assert_eq!(r.headers.get(header::CACHE_CONTROL).unwrap(), "no-store");
    let fresh = r.select(".fresh-code .card-code");
    assert_eq!(fresh.len(), 1);
    // The printed card is dead, and the fresh code is not a second way in.
    let mut anon = app.anon();
    let r = anon.post("/checkin", &[("code", &printed)]).await;
    r.assert_status(422);
    let r = anon.post("/checkin", &[("code", &fresh[0])]).await;
    r.assert_status(422);
    assert!(r.select(".form-error").join("").contains("已经用过"), "{:?}", r.select(".form-error"));
});
