//! Activities over HTTP (issue 20), on a phone: a teacher signs up, a second one is put on
//! the waiting list and told the position, the first cancels (after a confirmation) and the
//! second is promoted, then checks in with the code the venue's QR carries; another
//! school's member gets 404 on the activity, a member cannot open the organisers' page, a
//! bad new activity comes back with the error at its field and what was typed. Both
//! engines.

use chrono::{Duration, NaiveTime};
use domain::activity::*;
use domain::auth::Role;
use testkit::app::TestApp;
use testkit::*;
use web::i18n::{Lang, catalogue_keys};

const PHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148";

#[test]
fn every_message_of_the_area_is_in_both_catalogues() {
    for lang in [Lang::Zh, Lang::En] {
        let keys = catalogue_keys(lang);
        for k in text::ALL {
            assert!(keys.contains(*k), "{k} missing in {lang:?}");
        }
        for k in [
            "due-activity-signup-closes",
            "due-activity-promoted",
            "activity-waitlisted",
        ] {
            assert!(keys.contains(k), "{k} missing in {lang:?}");
        }
    }
}

dual_test!(async fn a_teacher_is_waitlisted_promoted_on_a_cancellation_and_checks_in_by_qr(t) {
    let app = TestApp::new(t).await;
    let o = app.org.clone();
    let st = &app.t.store;
    let today = web::today();
    // Today, late in the evening (Beijing): sign-up is still open, check-in is today.
    let d = ActivityDraft {
        unit: o.school_a,
        title: "教职工趣味运动会".into(),
        place: "操场".into(),
        date: today,
        time: NaiveTime::from_hms_opt(23, 59, 0).unwrap(),
        closes: today,
        capacity: 1,
        audience: Audience::Everyone,
        tags: vec![ActivityTag::Sports],
    };
    let id = store::activity::create(st, &sys(), &who(), &d).await.unwrap().0;
    let m1 = member(st, o.school_a, "张老师", 501).await;
    let m2 = member(st, o.school_a, "李老师", 503).await;
    let mb = member(st, o.school_b, "乙校老师", 505).await;
    let a1 = app.account_full("zhang", Role::Member, o.school_a, Some(m1), None).await;
    let a2 = app.account_full("li", Role::Member, o.school_a, Some(m2), None).await;
    let ab = app.account_full("yi", Role::Member, o.school_b, Some(mb), None).await;
    let chair = app.account("zhuxi", Role::SchoolChair, o.school_a).await;
    let mut c1 = app.client_for(a1).await.header("user-agent", PHONE);
    let mut c2 = app.client_for(a2).await.header("user-agent", PHONE);
    let mut cb = app.client_for(ab).await.header("user-agent", PHONE);
    let mut ch = app.client_for(chair).await;

    let page = c1.get("/activities").await;
    page.assert_status(200);
    assert!(page.text().contains("教职工趣味运动会"));
    let signup = format!("/activities/{id}/signup");
    assert_eq!(page.select(&format!("form[action='{signup}']")).len(), 1);
    c1.post(&signup, &[]).await.assert_status(303);
    let r = c2.post(&signup, &[]).await;
    r.assert_status(303);
    let page = c2.get("/activities").await;
    assert!(page.text().contains("您在候补名单第 1 位"), "{}", page.text());
    assert!(page.text().contains("名额已满，您已进入候补名单第 1 位"), "the flash says so");
    // Twice is refused with a message, nothing changes.
    c2.post(&signup, &[]).await.assert_status(303);
    assert!(c2.get("/activities").await.text().contains("您已经报名了这项活动"));

    // The cancel button asks first; the place goes to the first in line.
    let page = c1.get("/activities").await;
    let cancel = format!("/activities/{id}/cancel");
    assert_eq!(page.select(&format!("form[action='{cancel}'][data-confirm]")).len(), 1);
    c1.post(&cancel, &[]).await.assert_status(303);
    let page = c2.get("/activities").await;
    assert_eq!(page.select(".badge.s-confirmed").len(), 1, "{}", page.text());

    // Another school's member: the activity does not exist; a member cannot organise.
    assert_eq!(cb.post(&signup, &[]).await.status.as_u16(), 404);
    assert_eq!(cb.get(&format!("/activities/{id}/checkin")).await.status.as_u16(), 404);
    assert!(!cb.get("/activities").await.text().contains("教职工趣味运动会"));
    assert_eq!(c2.get(&format!("/activities/{id}")).await.status.as_u16(), 403);

    // The organiser's page shows the QR; the promoted teacher checks in with its code.
    let org_page = ch.get(&format!("/activities/{id}")).await;
    org_page.assert_status(200);
    assert_eq!(org_page.select(".qr svg").len(), 1);
    assert!(org_page.text().contains("李老师"));
    let code = store::activity::checkin_code(&st.db, &sys(), domain::activity::ActivityId(id)).await.unwrap();
    let r = c2.post(&format!("/activities/{id}/checkin"), &[("code", "wrong")]).await;
    assert_eq!(r.status.as_u16(), 422);
    assert!(r.text().contains("签到码不对"));
    let page = c2.get(&format!("/activities/{id}/checkin?code={code}")).await;
    page.assert_status(200);
    assert_eq!(page.select(&format!("input#code[value='{code}']")).len(), 1);
    c2.post(&format!("/activities/{id}/checkin"), &[("code", &code)]).await.assert_status(303);
    assert!(c2.get("/activities").await.text().contains("您已签到"));
    let org_page = ch.get(&format!("/activities/{id}")).await;
    assert!(org_page.text().contains("甲一小学工会"));
    // The sign-ups as .xlsx.
    let x = ch.get(&format!("/activities/{id}/signups.xlsx")).await;
    x.assert_status(200);
    assert!(x.bytes.starts_with(b"PK"));
});

dual_test!(async fn a_bad_new_activity_comes_back_at_its_field_with_what_was_typed(t) {
    let app = TestApp::new(t).await;
    let o = app.org.clone();
    let mut ch = app.client_as(Role::SchoolChair, o.school_a).await;
    ch.get("/activities/new").await.assert_status(200);
    let school = o.school_a.0.to_string();
    let day = (web::today() + Duration::days(20)).to_string();
    let late = (web::today() + Duration::days(21)).to_string();
    let r = ch.post("/activities/new", &[("unit", &school), ("title", "三八节插花活动"), ("place", "工会活动室"), ("date", &day), ("time", "15:00"), ("closes", &late), ("capacity", "0"), ("audience", "women"), ("tag_women", "1")]).await;
    assert_eq!(r.status.as_u16(), 422);
    assert_eq!(r.select("#closes ~ .field-error").len(), 1, "{}", r.text());
    assert_eq!(r.select("#capacity ~ .field-error").len(), 1);
    assert!(r.text().contains("三八节插花活动"), "the typed title is kept");
    // Another school as organiser is refused at the field.
    let r = ch.post("/activities/new", &[("unit", &o.school_b.0.to_string()), ("title", "越权活动"), ("place", "x"), ("date", &day), ("time", "15:00"), ("closes", &day), ("capacity", "5"), ("audience", "everyone")]).await;
    assert_eq!(r.status.as_u16(), 422);
    let r = ch.post("/activities/new", &[("unit", &school), ("title", "三八节插花活动"), ("place", "工会活动室"), ("date", &day), ("time", "15:00"), ("closes", &day), ("capacity", "30"), ("audience", "women"), ("tag_women", "1")]).await;
    r.assert_status(303);
    let list = ch.get("/activities/manage").await;
    assert!(list.text().contains("三八节插花活动"));
    let list = ch.get("/activities/manage?tag=sports").await;
    assert!(!list.text().contains("三八节插花活动"), "the kind filter");
});
