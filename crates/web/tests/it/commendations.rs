//! Commendations over HTTP (issue 18): district staff set an award (a refused form keeps
//! what was typed); school A's chair nominates with the deeds, and the next nomination
//! beyond the quota is refused with the numbers and the deeds kept; another school's chair
//! cannot nominate for school A nor read its nominee, a member cannot nominate; the
//! endorsed nominee appears on the public notice board without a login, where an
//! anonymous objection is lodged (an empty one refused with the contact kept) and the
//! fourth within the hour from one address is refused; the organizer reads it (the contact
//! masked), cannot award while the notice runs or the objection is pending, records the
//! outcome, awards; the honour certificate is a PDF with the nominee's name whose code
//! verifies publicly. Every message key of the area is in both catalogues. Both engines.

use domain::auth::Role;
use testkit::app::TestApp;
use testkit::*;
use web::i18n::{Lang, catalogue_keys};

#[test]
fn commendations_every_message_of_the_area_is_in_both_catalogues() {
    for lang in [Lang::Zh, Lang::En] {
        let keys = catalogue_keys(lang);
        for k in domain::commendations::text::ALL {
            assert!(keys.contains(*k), "{k} missing in {lang:?}");
        }
    }
}

async fn scalar(app: &TestApp, sql: &'static str) -> i64 {
    store::on_db!(app.t.db(), |p| sqlx::query_scalar(sql).fetch_one(p).await).unwrap()
}

dual_test!(async fn commendations_nomination_public_notice_objection_and_award(t) {
    let app = TestApp::new(t).await;
    let o = app.org.clone();
    let now = web::today();
    let staff = app.account("cm-staff", Role::UnionStaff, o.union).await;
    let mut s = app.client_for(staff).await;
    let union = o.union.0.to_string();
    let until = (now + chrono::Duration::days(10)).to_string();
    // Per school above the total: refused at its field, the name kept.
    let mut form = vec![
        ("organizer", union.as_str()), ("name", "CM十佳维权之星"), ("kind", "top_ten"),
        ("quota_per_school", "3"), ("quota_total", "2"), ("nominate_until", until.as_str()),
    ];
    let r = s.post("/honours", &form).await;
    assert_eq!(r.status.as_u16(), 422);
    assert!(r.select("#a-per ~ .field-error").join(" ").contains('2'));
    assert!(r.text().contains("CM十佳维权之星"));
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM commendation_award").await, 0);
    form[3] = ("quota_per_school", "1");
    let r = s.post("/honours", &form).await;
    r.assert_status(303);
    let id: i64 = r.location().unwrap().trim_start_matches("/honours/").parse().unwrap();

    // School A's chair nominates one; the second is over the quota, the numbers shown.
    let chair_a = app.account("cm-chair-a", Role::SchoolChair, o.school_a).await;
    let mut a = app.client_for(chair_a).await;
    let school = o.school_a.0.to_string();
    let url = format!("/honours/{id}/nominations");
    let r = a.post(&url, &[("school", &school), ("member", ""), ("nominee", "CM张老师"), ("deeds", "CM张老师为十二名教师讨回拖欠的绩效工资。")]).await;
    r.assert_status(303);
    let r = a.post(&url, &[("school", &school), ("member", ""), ("nominee", "CM李老师"), ("deeds", "CM李老师的事迹")]).await;
    assert_eq!(r.status.as_u16(), 422);
    let msg = r.select("#n-nominee ~ .field-error").join(" ");
    assert!(msg.contains('1') && (msg.contains("已推荐") || msg.contains("nominated")), "{msg}");
    assert!(r.text().contains("CM李老师的事迹"), "the typed deeds are kept");
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM commendation_nomination").await, 1);
    let n: i64 = scalar(&app, "SELECT id FROM commendation_nomination").await;

    // School B's chair: cannot nominate for school A (404), nor read A's nominee.
    let chair_b = app.account("cm-chair-b", Role::SchoolChair, o.school_b).await;
    let mut b = app.client_for(chair_b).await;
    let r = b.post(&url, &[("school", &school), ("member", ""), ("nominee", "冒名"), ("deeds", "冒名")]).await;
    assert_eq!(r.status.as_u16(), 404);
    assert_eq!(b.get(&format!("/honours/nominations/{n}")).await.status.as_u16(), 404);
    let page = b.get(&format!("/honours/{id}")).await;
    page.assert_status(200);
    assert!(!page.text().contains("CM张老师"), "B sees no nominee of A");
    // A member cannot nominate; school B's chair cannot review.
    let member_a = member(&app.t.store, o.school_a, "CM会员", 61).await;
    let acc = app.account_full("cm-member", Role::Member, o.school_a, Some(member_a), None).await;
    let mut m = app.client_for(acc).await;
    let r = m.post(&url, &[("school", &school), ("member", ""), ("nominee", "自荐"), ("deeds", "自荐")]).await;
    assert!(matches!(r.status.as_u16(), 403 | 404));
    let r = b.post(&format!("/honours/{id}/review"), &[("nomination", &n.to_string()), ("decision", "endorse"), ("note", "")]).await;
    assert!(matches!(r.status.as_u16(), 403 | 404));
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM commendation_nomination WHERE status = 'nominated'").await, 1);

    // Staff endorse: the nominee goes on public notice.
    let r = s.post(&format!("/honours/{id}/review"), &[("nomination", &n.to_string()), ("decision", "endorse"), ("note", "")]).await;
    r.assert_status(303);
    let mut anon = app.anon();
    let board = anon.get("/notice").await;
    board.assert_status(200);
    let text = board.text();
    assert!(text.contains("CM张老师") && text.contains("拖欠的绩效工资") && text.contains("CM十佳维权之星"), "{text}");

    // An empty objection: refused, the contact typed kept, nothing written.
    let obj = format!("/notice/{n}/objections");
    let r = anon.post(&obj, &[("body", " "), ("contact", "CM联系人")]).await;
    assert_eq!(r.status.as_u16(), 422);
    assert!(r.text().contains("CM联系人"));
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM commendation_objection").await, 0);
    // A forged nomination id: 404, nothing written.
    assert_eq!(anon.post("/notice/999999/objections", &[("body", "伪造"), ("contact", "")]).await.status.as_u16(), 404);
    // Anonymous objections: three an hour from one address; the fourth refused.
    for i in 0..3 {
        let body = format!("CM异议{i}：绩效工资一事另有隐情");
        let contact = if i == 0 { "13912345678" } else { "" };
        let r = anon.post(&obj, &[("body", &body), ("contact", contact)]).await;
        r.assert_status(303);
    }
    let r = anon.post(&obj, &[("body", "CM第四件异议"), ("contact", "")]).await;
    assert_eq!(r.status.as_u16(), 429);
    assert!(r.text().contains("CM第四件异议"), "the typed objection is kept");
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM commendation_objection").await, 3);
    // The limit is per address: the board still reads.
    anon.get("/notice").await.assert_status(200);

    // The organizer reads them, the contact masked; school A's chair does not see them.
    let page = s.get(&format!("/honours/nominations/{n}")).await;
    page.assert_status(200);
    let text = page.text();
    assert!(text.contains("CM异议0") && text.contains("5678") && !text.contains("13912345678"), "{text}");
    let page = a.get(&format!("/honours/nominations/{n}")).await;
    page.assert_status(200);
    assert!(!page.text().contains("CM异议0"), "the school never reads the objections");

    // No award while the notice runs.
    let award = format!("/honours/nominations/{n}/award");
    let r = s.post(&award, &[]).await;
    assert_eq!(r.status.as_u16(), 422);
    assert!(r.select(".field-error").join(" ").contains(&now.format("%Y").to_string()));
    // The notice period over (moved back), still three objections pending.
    store::on_db!(app.t.db(), |p| sqlx::query("UPDATE commendation_nomination SET notice_from = $1, notice_until = $2").bind(now - chrono::Duration::days(10)).bind(now - chrono::Duration::days(6)).execute(p).await.map(|r| r.rows_affected())).unwrap();
    let r = s.post(&award, &[]).await;
    assert_eq!(r.status.as_u16(), 422);
    assert!(r.select(".field-error").join(" ").contains('3'));
    // Handling: a note is required (the outcome chosen comes back), then recorded.
    let ids: Vec<i64> = store::on_db!(app.t.db(), |p| sqlx::query_scalar("SELECT id FROM commendation_objection ORDER BY id").fetch_all(p).await).unwrap();
    let r = s.post(&format!("/honours/objections/{}", ids[0]), &[("outcome", "upheld"), ("note", "")]).await;
    assert_eq!(r.status.as_u16(), 422);
    assert!(!r.select(&format!("#o-outcome-{} option[value=upheld][selected]", ids[0])).is_empty());
    // School A's chair cannot handle them.
    let r = a.post(&format!("/honours/objections/{}", ids[0]), &[("outcome", "dismissed"), ("note", "自己处理")]).await;
    assert!(matches!(r.status.as_u16(), 403 | 404));
    for o in &ids {
        s.post(&format!("/honours/objections/{o}"), &[("outcome", "dismissed"), ("note", "经核实，工资已按规定补发，事迹属实。")]).await.assert_status(303);
    }
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM commendation_objection WHERE outcome = 'dismissed' AND outcome_note IS NOT NULL").await, 3);
    s.post(&award, &[]).await.assert_status(303);
    let code: String = store::on_db!(app.t.db(), |p| sqlx::query_scalar("SELECT certificate_code FROM commendation_nomination").fetch_one(p).await).unwrap();
    assert!(s.get(&format!("/honours/nominations/{n}")).await.text().contains(&code));

    // The code verifies publicly; a forged one does not.
    let page = anon.get(&format!("/certificates/verify?code={code}")).await;
    assert!(!page.select(".genuine").is_empty());
    assert!(page.text().contains("CM张老师") && page.text().contains("CM十佳维权之星"));
    let page = anon.get("/certificates/verify?code=ZZZZ-ZZZZ-ZZZZ").await;
    assert!(page.select(".genuine").is_empty() && !page.text().contains("CM张老师"));

    // The honour certificate: a PDF with the nominee, the award and the code.
    match web::contests::certificate::font() {
        Err(e) => {
            assert!(!testkit::browser::required(), "JIAOGONG_REQUIRE_BROWSER=1 but {e}");
            testkit::pg_cluster::not_run("commendations certificate", &e.to_string());
        }
        Ok(_) => {
            let r = s.get(&format!("/honours/{id}/certificates.pdf?nomination={n}")).await;
            r.assert_status(200);
            assert!(r.bytes.starts_with(b"%PDF") && r.bytes.len() <= 150 * 1024);
            let flat: String = pdf_extract::extract_text_from_mem(&r.bytes).unwrap().chars().filter(|c| !c.is_whitespace()).collect();
            assert!(flat.contains("CM张老师") && flat.contains("CM十佳维权之星") && flat.contains("荣誉证书") && flat.contains(&code), "{flat}");
            // School A's chair may print the school's honour too; B has none of A's.
            a.get(&format!("/honours/{id}/certificates.pdf")).await.assert_status(200);
            b.get(&format!("/honours/{id}/certificates.pdf")).await.assert_status(303);
        }
    }
    // Every step audited; the anonymous objection under "anonymous".
    let actors: Vec<String> = store::on_db!(app.t.db(), |p| sqlx::query_scalar("SELECT actor_label FROM audit_log WHERE action = 'commendation.object'").fetch_all(p).await).unwrap();
    assert_eq!(actors, vec!["anonymous"; 3]);
});
