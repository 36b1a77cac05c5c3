//! Surveys over HTTP (issue 19): the district drafts a questionnaire (bad input back at
//! its field with what was typed), opens it; a teacher answers on a phone through the link
//! (a required item left empty comes back at its question; a second answer is refused);
//! the results stay sealed until closing, then show as tables with a chart and as .xlsx;
//! a member of another school gets 404, a member cannot read results. Both engines.

use domain::auth::Role;
use testkit::app::TestApp;
use testkit::*;
use web::i18n::{Lang, catalogue_keys};

#[test]
fn every_message_of_the_area_is_in_both_catalogues() {
    for lang in [Lang::Zh, Lang::En] {
        let keys = catalogue_keys(lang);
        for k in domain::rights::text::ALL {
            assert!(keys.contains(*k), "{k} missing in {lang:?}");
        }
    }
}

async fn answers(app: &TestApp) -> i64 {
    store::on_db!(app.t.db(), |p| sqlx::query_scalar(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM survey_response"
    )
    .fetch_one(p)
    .await)
    .unwrap()
}

dual_test!(async fn a_teacher_answers_an_anonymous_survey_by_link_and_the_district_sees_the_results(t) {
    let app = TestApp::new(t).await;
    let o = app.org.clone();
    let now = chrono::Utc::now().date_naive();
    let mut staff = app.client_as(Role::UnionStaff, o.union).await;
    let page = staff.get("/surveys").await;
    page.assert_status(200);
    // Bad input: a question line not understood, a closing date in the past.
    let union = o.union.0.to_string();
    let past = (now - chrono::Duration::days(1)).to_string();
    let bad = staff
        .post("/surveys", &[("unit", union.as_str()), ("title", "教职工权益问卷"), ("anonymous", "on"), ("closes_on", past.as_str()), ("questions", "单选 满意吗")])
        .await;
    assert_eq!(bad.status.as_u16(), 422);
    let text = bad.text();
    assert!(text.contains("截止日期不能早于今天") || text.contains("cannot be before today"), "{text}");
    assert!(text.contains("第 1 行") || text.contains("Line 1"));
    assert!(text.contains("教职工权益问卷"), "what was typed is kept");
    let closes = (now + chrono::Duration::days(7)).to_string();
    let qs = "* single: 您对学校民主管理是否满意？ | 满意 | 基本满意 | 不满意\nmultiple: 最关心 | 工资 | 职称 | 休假\n* scale 1-5: 总体评价\nlong: 意见建议";
    let r = staff
        .post("/surveys", &[("unit", union.as_str()), ("title", "教职工权益问卷"), ("anonymous", "on"), ("closes_on", closes.as_str()), ("questions", qs)])
        .await;
    r.assert_status(303);
    let href = r.location().unwrap();
    let r = staff.post(&format!("{href}/open"), &[]).await;
    r.assert_status(303);
    let page = staff.follow(&r).await;
    assert!(page.text().contains(&format!("{href}/answer")), "the page gives the answer link");

    // A teacher of school A answers on a phone.
    let m = member(&app.t.store, o.school_a, "问卷教师", 1951).await;
    let acc = app.account_full("wenjuan1", Role::Member, o.school_a, Some(m), None).await;
    let mut phone = app.client_for(acc).await;
    let mine = phone.get("/surveys/mine").await;
    mine.assert_status(200);
    assert!(mine.text().contains("教职工权益问卷"));
    let form = phone.get(&format!("{href}/answer")).await;
    form.assert_status(200);
    assert!(form.select("input[type=radio][name=q0]").len() == 3);
    // The required first question left empty, the rest kept.
    let r = phone.post(&format!("{href}/answer"), &[("q1", "0"), ("q1", "2"), ("q2", "4"), ("q3", "多一些休息时间")]).await;
    assert_eq!(r.status.as_u16(), 422);
    let text = r.text();
    assert!(text.contains("此题必答") || text.contains("must be answered"));
    assert!(text.contains("多一些休息时间"), "what was typed is kept");
    assert_eq!(answers(&app).await, 0);
    // A value outside the scale is refused.
    let r = phone.post(&format!("{href}/answer"), &[("q0", "0"), ("q2", "9")]).await;
    assert_eq!(r.status.as_u16(), 422);
    assert_eq!(answers(&app).await, 0);
    let r = phone.post(&format!("{href}/answer"), &[("q0", "0"), ("q1", "0"), ("q1", "2"), ("q2", "4"), ("q3", "多一些休息时间")]).await;
    r.assert_status(303);
    assert_eq!(answers(&app).await, 1);
    // Once only.
    let again = phone.get(&format!("{href}/answer")).await;
    assert!(again.select("form[action$='/answer']").is_empty());
    let r = phone.post(&format!("{href}/answer"), &[("q0", "1"), ("q2", "2")]).await;
    assert_eq!(r.status.as_u16(), 422);
    assert_eq!(answers(&app).await, 1);
    // The member cannot read the results. The survey is the district's: a member of school
    // B is sent it too (a school's own survey is 404 to other schools: the matrix test).
    assert_eq!(phone.get(&href).await.status.as_u16(), 403);
    let mb = member(&app.t.store, o.school_b, "乙校教师", 1952).await;
    let accb = app.account_full("wenjuan2", Role::Member, o.school_b, Some(mb), None).await;
    let mut other = app.client_for(accb).await;
    assert_eq!(other.get(&format!("{href}/answer")).await.status.as_u16(), 200);

    // Sealed while open.
    let page = staff.get(&href).await;
    assert!(page.select("svg.chart").is_empty());
    for i in 0..2u32 {
        let m = member(&app.t.store, o.school_a2, &format!("问卷教师{i}"), 1953 + i).await;
        let acc = app.account_full(&format!("wenjuan{}", 3 + i), Role::Member, o.school_a2, Some(m), None).await;
        let mut c = app.client_for(acc).await;
        let v = (i + 1).to_string();
        c.post(&format!("{href}/answer"), &[("q0", v.as_str()), ("q2", "3")]).await.assert_status(303);
    }
    let r = staff.post(&format!("{href}/close"), &[]).await;
    r.assert_status(303);
    let page = staff.follow(&r).await;
    page.assert_status(200);
    assert!(!page.select("svg.chart").is_empty(), "results with a chart once closed");
    assert!(page.text().contains("多一些休息时间"), "free text listed");
    let x = staff.get(&format!("{href}/results.xlsx")).await;
    x.assert_status(200);
    let rows = read_xlsx(&x.bytes);
    assert!(rows.iter().any(|r| r.first().map(String::as_str) == Some("满意") && r.get(1).map(String::as_str) == Some("1")), "{rows:?}");
});

dual_test!(async fn a_letter_is_received_assigned_answered_within_its_deadline_and_closed(t) {
    let app = TestApp::new(t).await;
    let o = app.org.clone();
    let now = chrono::Utc::now().date_naive();
    let mut chair = app.client_as(Role::SchoolChair, o.school_a).await;
    let page = chair.get("/petitions").await;
    page.assert_status(200);
    let school = o.school_a.0.to_string();
    let today = now.to_string();
    // A bad phone comes back at its field, with what was typed.
    let bad = chair
        .post("/petitions", &[("unit", school.as_str()), ("channel", "letter"), ("category", "pay"), ("received_on", today.as_str()), ("name", "周来信"), ("phone", "abc"), ("matter", "绩效工资未按时发放")])
        .await;
    assert_eq!(bad.status.as_u16(), 422);
    assert!(bad.text().contains("绩效工资未按时发放"));
    let r = chair
        .post("/petitions", &[("unit", school.as_str()), ("channel", "letter"), ("category", "pay"), ("received_on", today.as_str()), ("name", "周来信"), ("phone", "13900002222"), ("matter", "绩效工资未按时发放")])
        .await;
    r.assert_status(303);
    let href = r.location().unwrap();
    // Masked in the list and on the page.
    for p in [chair.get("/petitions").await.text(), chair.get(&href).await.text()] {
        assert!(!p.contains("周来信") && !p.contains("绩效工资未按时发放") && !p.contains("13900002222"));
        assert!(p.contains("周**"));
    }
    let due = now + chrono::Duration::days(60);
    let shown = chair.get(&href).await.text();
    assert!(
        shown.contains(&due.format("%Y年%-m月%-d日").to_string()) || shown.contains(&due.format("%Y-%m-%d").to_string()),
        "the conclusion deadline is shown"
    );
    // Another school's chair cannot find it.
    let mut other = app.client_as(Role::SchoolChair, o.school_b).await;
    assert_eq!(other.get(&href).await.status.as_u16(), 404);
    assert_eq!(other.post(&format!("{href}/reveal"), &[]).await.status.as_u16(), 404);
    chair.post(&format!("{href}/assign"), &[("owner", "权益保障部")]).await.assert_status(303);
    chair.post(&format!("{href}/reply"), &[("reply", "已协调学校按月发放")]).await.assert_status(303);
    chair.post(&format!("{href}/close"), &[("satisfaction", "satisfied")]).await.assert_status(303);
    let full = chair.post(&format!("{href}/reveal"), &[]).await;
    full.assert_status(200);
    let text = full.text();
    assert!(text.contains("周来信") && text.contains("已协调学校按月发放") && text.contains("13900002222"));
    assert!(text.contains("满意") || text.contains("Satisfied"));
});
