//! Union money over HTTP (issue 21): a chair records a month's union fund and a budget
//! line, enters an expense; one over its cap comes back refused at the amount field with
//! the cap named and the typed input kept, nothing stored; the chair cannot approve their
//! own expense, another chair of the school can; the chair of school B gets 404 for A's
//! ledger, its .xlsx and A's approve button; the ledger .xlsx holds the lines; an auditor
//! records a finding and the school rectifies it. Every message key of the area is in both
//! catalogues. Both engines.

use domain::auth::Role;
use testkit::app::TestApp;
use testkit::*;
use web::i18n::{Lang, catalogue_keys};

#[test]
fn every_message_of_the_area_is_in_both_catalogues() {
    for lang in [Lang::Zh, Lang::En] {
        let keys = catalogue_keys(lang);
        for k in domain::funds::text::ALL {
            assert!(keys.contains(*k), "{k} missing in {lang:?}");
        }
    }
}

async fn scalar(app: &TestApp, sql: &'static str) -> i64 {
    store::on_db!(app.t.db(), |p| sqlx::query_scalar(sql).fetch_one(p).await).unwrap()
}

dual_test!(async fn an_expense_over_its_cap_is_refused_at_its_field_and_only_another_person_approves(t) {
    let app = TestApp::new(t).await;
    let o = app.org.clone();
    let school = o.school_a.0.to_string();
    let today = chrono::Utc::now().date_naive().to_string();
    let chair = app.account("zhuxi", Role::SchoolChair, o.school_a).await;
    let vice = app.account("fuzhuxi", Role::SchoolChair, o.school_a).await;
    let mut c = app.client_for(chair).await;
    // ¥500,000 of payroll → ¥10,000 due, ¥6,000 kept; all paid.
    let r = c.post("/funds/levies", &[("unit", &school), ("kind", "union_fund"), ("month", &today[..7]), ("base", "500000"), ("paid", "10000")]).await;
    r.assert_status(303);
    let year = &today[..4];
    let r = c.post("/funds/budget", &[("unit", &school), ("year", year), ("category", "member_activities"), ("cap", "3000")]).await;
    r.assert_status(303);
    let r = c.post("/funds/expenses", &[("unit", &school), ("category", "member_activities"), ("amount", "2500"), ("on", &today), ("note", "趣味运动会")]).await;
    r.assert_status(303);
    let page = c.follow(&r).await;
    page.assert_status(200);
    assert!(page.text().contains("趣味运动会"));
    // ¥600 more would pass the ¥3,000 cap: refused at the amount, input kept, nothing stored.
    let before = scalar(&app, "SELECT COUNT(*) FROM funds_entry").await;
    let r = c.post("/funds/expenses", &[("unit", &school), ("category", "member_activities"), ("amount", "600"), ("on", &today), ("note", "节日慰问品")]).await;
    assert_eq!(r.status.as_u16(), 422);
    let err = r.select("#e-amount ~ .field-error").join(" ");
    assert!(err.contains("3000") && err.contains("2500") && err.contains("500"), "the cap and what is left are named: {err}");
    assert!(r.text().contains("value=\"600\"") && r.text().contains("节日慰问品"), "the typed input is kept");
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM funds_entry").await, before);
    // Fractional fen and negative amounts: named at the field.
    let r = c.post("/funds/expenses", &[("unit", &school), ("category", "member_activities"), ("amount", "1.005"), ("on", &today), ("note", "x")]).await;
    assert_eq!(r.status.as_u16(), 422);
    assert!(!r.select("#e-amount ~ .field-error").join("").is_empty());
    // The chair cannot approve their own expense; nothing changes.
    let id = scalar(&app, "SELECT MAX(id) FROM funds_entry WHERE kind = 'expense'").await;
    let r = c.post(&format!("/funds/entries/{id}/approve"), &[]).await;
    r.assert_status(303);
    let page = c.follow(&r).await;
    let flash = page.select(".flash").join(" ");
    assert!(flash.contains("另一人") || flash.contains("another person"), "{flash}");
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM funds_entry WHERE status = 'entered'").await, 1);
    // The chair of school B: A's ledger, its export and its approval are missing.
    let chair_b = app.account("zhuxib", Role::SchoolChair, o.school_b).await;
    let mut b = app.client_for(chair_b).await;
    assert_eq!(b.get(&format!("/funds?unit={school}")).await.status.as_u16(), 404);
    assert_eq!(b.get(&format!("/funds/ledger.xlsx?unit={school}")).await.status.as_u16(), 404);
    assert_eq!(b.post(&format!("/funds/entries/{id}/approve"), &[]).await.status.as_u16(), 404);
    let overview = b.get("/funds").await;
    overview.assert_status(200);
    assert!(!overview.text().contains("趣味运动会"));
    // Another chair of school A approves.
    let mut v = app.client_for(vice).await;
    let r = v.post(&format!("/funds/entries/{id}/approve"), &[]).await;
    r.assert_status(303);
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM funds_entry WHERE status = 'entered'").await, 0);
    // The ledger as .xlsx: the income and the expense with the balance after each.
    let x = c.get(&format!("/funds/ledger.xlsx?unit={school}&year={year}")).await;
    x.assert_status(200);
    let rows = read_xlsx(&x.bytes);
    let flat: Vec<String> = rows.iter().flatten().cloned().collect();
    assert!(flat.iter().any(|s| s == "趣味运动会"), "{rows:?}");
    assert!(flat.iter().any(|s| s == "3500" || s == "3500.00"), "balance after the expense: {rows:?}");
});

dual_test!(async fn an_auditor_records_a_finding_and_the_school_rectifies_it(t) {
    let app = TestApp::new(t).await;
    let o = app.org.clone();
    let auditor = app.account("jingshen", Role::Auditor, o.area_a).await;
    let mut a = app.client_for(auditor).await;
    let page = a.get("/funds/audit").await;
    page.assert_status(200);
    let deadline = (chrono::Utc::now().date_naive() + chrono::Duration::days(20)).to_string();
    // An empty finding is named at its field, the deadline typed kept.
    let r = a.post("/funds/audit/findings", &[("school", &o.school_a2.0.to_string()), ("severity", "major"), ("finding", " "), ("deadline", &deadline)]).await;
    assert_eq!(r.status.as_u16(), 422);
    assert!(!r.select("#f-finding ~ .field-error").join("").is_empty());
    assert!(r.text().contains(&deadline));
    let r = a.post("/funds/audit/findings", &[("school", &o.school_a2.0.to_string()), ("severity", "major"), ("finding", "慰问品采购未比价"), ("deadline", &deadline)]).await;
    r.assert_status(303);
    // School B's chair sees nothing of it; school A2's chair rectifies it.
    let mut b = app.client_as(Role::SchoolChair, o.school_b).await;
    assert!(!b.get("/funds/audit").await.text().contains("慰问品采购未比价"));
    let id = scalar(&app, "SELECT MAX(id) FROM funds_finding").await;
    assert_eq!(b.post(&format!("/funds/findings/{id}/rectify"), &[("rectification", "x")]).await.status.as_u16(), 404);
    let mut c = app.client_as(Role::SchoolChair, o.school_a2).await;
    let page = c.get("/funds/audit").await;
    assert!(page.text().contains("慰问品采购未比价"));
    let r = c.post(&format!("/funds/findings/{id}/rectify"), &[("rectification", "已补充三家比价记录")]).await;
    r.assert_status(303);
    let page = c.follow(&r).await;
    assert!(page.text().contains("已补充三家比价记录"));
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM funds_finding WHERE status = 'rectified'").await, 1);
});
