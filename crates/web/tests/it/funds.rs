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

/// The payroll sheet of school A: a title row, a blank line, full-width digits, a month
/// written `2026.09`; one unknown ID number and one fractional base.
fn payroll_csv() -> String {
    format!(
        "甲校2026年9月工资表\n\n身份证号,姓名,基本工资,月份\n{},甲校会员一,９８７６．５４,2026.09\n,甲校会员二,8765.43,2026年9月\n{},,5000,2026.09\n,甲校会员二,1.005,2026.09\n",
        id_number(61, true),
        id_number(99, true),
    )
}

dual_test!(async fn a_school_imports_the_payroll_sheet_previews_it_and_its_dues_roll_sums_the_members(t) {
    let app = TestApp::new(t).await;
    let o = app.org.clone();
    let school = o.school_a.0.to_string();
    member(&app.t.store, o.school_a, "甲校会员一", 61).await;
    member(&app.t.store, o.school_a, "甲校会员二", 62).await;
    let chair = app.account("caiwu", Role::SchoolChair, o.school_a).await;
    let mut c = app.client_for(chair).await;
    let page = c.get(&format!("/funds/dues?unit={school}")).await;
    page.assert_status(200);
    // The preview: rows matched and problems at their row and column, nothing saved.
    let r = c.post_multipart("/funds/payroll", &[("unit", &school)], Some(("file", "工资表.csv", payroll_csv().into_bytes()))).await;
    r.assert_status(200);
    assert_eq!(r.select(".matched").first().map(String::as_str), Some("2"));
    let problems = r.select("table.problems tbody tr");
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(problems[0].contains('6') && problems[0].contains("身份证号") && problems[0].contains("没有此身份证号"), "{problems:?}");
    assert!(problems[1].contains('7') && problems[1].contains("基本工资") && problems[1].contains("两位小数"), "{problems:?}");
    assert!(!r.text().contains("9876.54") && !r.text().contains("8765.43"), "the preview masks each base");
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM funds_dues_base").await, 0);
    // The same problems in English for an English reader.
    let mut en = app.client_for(chair).await.header("accept-language", "en");
    let r = en.post_multipart("/funds/payroll", &[("unit", &school)], Some(("file", "payroll.csv", payroll_csv().into_bytes()))).await;
    assert!(r.select("table.problems tbody tr").join("\n").contains("No member of your schools has this ID number"));
    // Commit: two bases saved, never listed.
    let batch = scalar(&app, "SELECT MIN(id) FROM funds_payroll_batch").await;
    let r = c.post(&format!("/funds/payroll/{batch}/apply"), &[("month", "2026-09")]).await;
    r.assert_status(303);
    let page = c.follow(&r).await;
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM funds_dues_base").await, 2);
    let bases = page.select("table.bases td.base").join(" ");
    assert!(bases.contains("******") && !page.text().contains("9876.54"), "{bases}");
    // The roll of September: ¥9,870 → ¥49.35 and ¥8,760 → ¥43.80, their sum the levy.
    let r = c.post("/funds/dues/rolls", &[("unit", &school), ("month", "2026-09"), ("paid", "")]).await;
    r.assert_status(303);
    let page = c.follow(&r).await;
    assert_eq!(page.select("table.rolls td.due").first().map(String::as_str), Some("93.15"));
    assert_eq!(scalar(&app, "SELECT due_fen FROM funds_levy WHERE kind = 'dues'").await, 9_315);
    // The second roll of the month is refused at its field, the month typed kept.
    let r = c.post("/funds/dues/rolls", &[("unit", &school), ("month", "2026-09"), ("paid", "12")]).await;
    assert_eq!(r.status.as_u16(), 422);
    assert!(r.text().contains("value=\"12\""));
    // The full view of one base is audited.
    let m = scalar(&app, "SELECT id FROM member WHERE name = '甲校会员一'").await;
    let r = c.post(&format!("/funds/dues/members/{m}/reveal"), &[]).await;
    r.assert_status(200);
    assert!(r.select("table.bases .revealed").join("").contains("9876.54"));
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM audit_log WHERE action = 'funds_dues_base.view'").await, 1);
    let levy = scalar(&app, "SELECT levy_id FROM funds_dues_roll").await;
    let r = c.post(&format!("/funds/dues/rolls/{levy}/reveal"), &[]).await;
    r.assert_status(200);
    assert!(r.select("table.roll-lines").join("").contains("49.35"));
    // The chair of school B: A's dues page, bases, roll and batch are missing.
    let mut b = app.client_as(Role::SchoolChair, o.school_b).await;
    assert_eq!(b.get(&format!("/funds/dues?unit={school}")).await.status.as_u16(), 404);
    assert_eq!(b.post(&format!("/funds/dues/members/{m}/reveal"), &[]).await.status.as_u16(), 404);
    assert_eq!(b.post(&format!("/funds/dues/rolls/{levy}/reveal"), &[]).await.status.as_u16(), 404);
    let last = scalar(&app, "SELECT MAX(id) FROM funds_payroll_batch").await;
    assert_eq!(b.post(&format!("/funds/payroll/{last}/apply"), &[("month", "2026-09")]).await.status.as_u16(), 404);
    let r = b.post_multipart("/funds/payroll", &[("unit", &school)], Some(("file", "x.csv", payroll_csv().into_bytes()))).await;
    assert_eq!(r.status.as_u16(), 404);
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM audit_log WHERE action LIKE 'funds%view'").await, 2);
});

dual_test!(async fn the_list_of_bases_has_no_search_or_order_by_the_base(t) {
    let app = TestApp::new(t).await;
    let o = app.org.clone();
    let st = &app.t.store;
    let a = member(st, o.school_a, "甲校会员甲", 71).await;
    let b = member(st, o.school_a, "甲校会员乙", 72).await;
    let enter = sys::<domain::auth::perm::FundsEnter>();
    store::funds::dues::set_base(st, &enter, &who(), a, 900_000, today()).await.unwrap();
    store::funds::dues::set_base(st, &enter, &who(), b, 300_000, today()).await.unwrap();
    let mut c = app.client_as(Role::SchoolChair, o.school_a).await;
    let school = o.school_a.0;
    // Whatever is asked of the list, its order and content stay those of the names.
    let plain = c.get(&format!("/funds/dues?unit={school}")).await.select("table.bases tbody tr").join("|");
    for q in ["sort=base", "sort=-base", "q=9000", "base=9000.00", "order=base_enc"] {
        let r = c.get(&format!("/funds/dues?unit={school}&{q}")).await;
        r.assert_status(200);
        assert_eq!(r.select("table.bases tbody tr").join("|"), plain, "{q}");
        // (The page may echo the query typed in a link; the list and its figures never.)
        let list = r.select("main").join(" ").replace(q, "");
        assert!(!list.contains("9000.00") && !list.contains("3000.00"), "{q}");
    }
});

dual_test!(async fn a_closed_month_refuses_changes_a_correction_is_a_new_entry_and_statements_add_up(t) {
    use store::funds::ledger;
    let app = TestApp::new(t).await;
    let o = app.org.clone();
    let st = &app.t.store;
    let school = o.school_a.0.to_string();
    let enter = sys::<domain::auth::perm::FundsEnter>();
    let jan = chrono::NaiveDate::from_ymd_opt(2026, 1, 15).unwrap();
    ledger::record_levy(st, &enter, &who(), &ledger::LevyInput { school: o.school_a, kind: domain::funds::LevyKind::UnionFund, month: jan, base_fen: 50_000_000, paid_fen: 1_000_000 }).await.unwrap();
    ledger::set_budget(st, &enter, &who(), o.school_a, 2026, domain::funds::ExpenseCategory::MemberActivities, 300_000).await.unwrap();
    let e = ledger::enter_expense(st, &enter, &who(), o.school_a, domain::funds::ExpenseCategory::MemberActivities, 100_000, "元旦联欢", jan).await.unwrap();
    let chair = app.account("zhuxi", Role::SchoolChair, o.school_a).await;
    let mut c = app.client_for(chair).await;
    let r = c.post(&format!("/funds/entries/{}/approve", e.0), &[]).await;
    r.assert_status(303);
    // A receipt: a PDF by its content is kept; a file named .pdf that is not one is refused.
    let r = c.post_multipart(&format!("/funds/entries/{}/receipts", e.0), &[], Some(("file", "发票.pdf", b"%PDF-1.4\n%%EOF\n".to_vec()))).await;
    r.assert_status(303);
    let r = c.post_multipart(&format!("/funds/entries/{}/receipts", e.0), &[], Some(("file", "fake.pdf", b"<html><script>x</script>".to_vec()))).await;
    r.assert_status(303);
    let page = c.follow(&r).await;
    assert!(page.select(".flash").join(" ").contains("JPEG"), "refused by content");
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM funds_receipt").await, 1);
    let rid = scalar(&app, "SELECT id FROM funds_receipt").await;
    let f = c.get(&format!("/funds/receipts/{rid}")).await;
    f.assert_status(200);
    assert_eq!(f.headers.get("content-type").unwrap(), "application/pdf");
    assert_eq!(f.headers.get("x-content-type-options").unwrap(), "nosniff");
    // Another school's chair cannot read it.
    let mut b = app.client_as(Role::SchoolChair, o.school_b).await;
    assert_eq!(b.get(&format!("/funds/receipts/{rid}")).await.status.as_u16(), 404);
    assert_eq!(b.get(&format!("/funds/statement?unit={school}")).await.status.as_u16(), 404);
    // January is closed: a new expense dated in it is refused at its date, nothing stored.
    let r = c.post("/funds/months/close", &[("unit", &school), ("month", "2026-01")]).await;
    r.assert_status(303);
    let before = scalar(&app, "SELECT COUNT(*) FROM funds_entry").await;
    let r = c.post("/funds/expenses", &[("unit", &school), ("category", "member_activities"), ("amount", "10"), ("on", "2026-01-20"), ("note", "补登")]).await;
    assert_eq!(r.status.as_u16(), 422);
    assert!(!r.select("#e-on ~ .field-error").join("").is_empty(), "refused at the date");
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM funds_entry").await, before);
    let r = c.post("/funds/months/close", &[("unit", &school), ("month", "2026-01")]).await;
    assert_eq!(r.status.as_u16(), 422);
    // The ¥1,000 should have been ¥800: a correction of −¥200, pointing at it, today.
    let r = c.post(&format!("/funds/entries/{}/correct", e.0), &[("amount", "800"), ("note", "发票金额更正")]).await;
    r.assert_status(303);
    assert_eq!(scalar(&app, "SELECT amount_fen FROM funds_entry WHERE corrects_id IS NOT NULL").await, -20_000);
    assert_eq!(scalar(&app, "SELECT amount_fen FROM funds_entry WHERE kind = 'expense' AND corrects_id IS NULL").await, 100_000, "the original is never edited");
    // Another person approves it; the statements add up.
    let mut v = app.client_for(app.account("fuzhuxi", Role::SchoolChair, o.school_a).await).await;
    let k = scalar(&app, "SELECT id FROM funds_entry WHERE corrects_id IS NOT NULL").await;
    v.post(&format!("/funds/entries/{k}/approve"), &[]).await.assert_status(303);
    let view = sys::<domain::auth::perm::FundsView>();
    let year = store::funds::statements::statement(&st.db, &view, o.school_a, 2026, None).await.unwrap();
    assert_eq!((year.opening_fen, year.income_fen, year.expense_fen, year.closing_fen), (0, 600_000, 80_000, 520_000));
    let jan_s = store::funds::statements::statement(&st.db, &view, o.school_a, 2026, Some(1)).await.unwrap();
    assert_eq!((jan_s.income_fen, jan_s.expense_fen), (600_000, 100_000));
    let feb = store::funds::statements::statement(&st.db, &view, o.school_a, 2026, Some(2)).await.unwrap();
    assert_eq!(feb.opening_fen, jan_s.closing_fen);
    let lines = ledger::ledger(&st.db, &view, o.school_a, 2026).await.unwrap();
    assert_eq!(lines.last().unwrap().balance_fen, year.closing_fen, "the ledger and the statement agree");
    let page = c.get(&format!("/funds/statement?unit={school}&year=2026")).await;
    page.assert_status(200);
    assert_eq!(page.select("td.closing").first().map(String::as_str), Some("5200.00"));
    let x = c.get(&format!("/funds/statement.xlsx?unit={school}&year=2026")).await;
    x.assert_status(200);
    let flat: Vec<String> = read_xlsx(&x.bytes).into_iter().flatten().collect();
    assert!(flat.iter().any(|s| s == "5200" || s == "5200.00"), "{flat:?}");
});

fn funds_rules_form<'a>(kept: &'a str, rate: &'a str, note: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("dues_rate", rate),
        ("dues_base_step", "10"),
        ("dues_kept", "100%"),
        ("union_fund_rate", "2%"),
        ("union_fund_kept", kept),
        ("joiners_pay_first_month", "on"),
        ("leavers_pay_last_month", "on"),
        ("note", note),
    ]
}

dual_test!(async fn the_funds_rules_page_stores_versions_stricter_than_the_union_above_never_laxer(t) {
    let app = TestApp::new(t).await;
    let o = app.org.clone();
    let versions = || scalar(&app, "SELECT COUNT(*) FROM funds_rule_set");
    let field_error = |r: &testkit::app::Resp, id: &str| r.select(&format!("#{id}-error")).join(" ");
    // The district keeps 60 % of the union fund (its first version, full-width digits).
    let mut staff = app.client_as(Role::UnionStaff, o.union).await;
    let r = staff.post(&format!("/funds/rules/{}", o.union.0), &funds_rules_form("６０%", "0.5%", "区工会 2027 年标准")).await;
    r.assert_status(303);
    assert!(staff.follow(&r).await.text().contains("区工会 2027 年标准"));
    assert_eq!(versions().await, 1);
    // School A's chair: keeping 70 % is laxer — refused at its field naming 60 %, typed values kept.
    let mut chair = app.client_as(Role::SchoolChair, o.school_a).await;
    let path = format!("/funds/rules/{}", o.school_a.0);
    let page = chair.get(&path).await;
    page.assert_status(200);
    assert!(page.text().contains("funds#") && page.text().contains("v1"), "the district's version is in force");
    let r = chair.post(&path, &funds_rules_form("70%", "0.5%", "想多留一些")).await;
    assert_eq!(r.status.as_u16(), 422);
    assert!(field_error(&r, "union_fund_kept").contains("60%"), "{}", field_error(&r, "union_fund_kept"));
    assert!(r.text().contains("value=\"70%\"") && r.text().contains("想多留一些"));
    // A rate typed as 0.5 (that is 50 %) is refused at its field.
    let r = chair.post(&path, &funds_rules_form("50%", "0.5", "x")).await;
    assert_eq!(r.status.as_u16(), 422);
    assert!(!field_error(&r, "dues_rate").is_empty());
    assert_eq!(versions().await, 1);
    // Keeping 50 % is stricter: stored, first in the history.
    let r = chair.post(&path, &funds_rules_form("50%", "0.5%", "本校从严")).await;
    r.assert_status(303);
    let rows = chair.follow(&r).await.select("table.rule-history tbody tr");
    assert_eq!(rows.len(), 2);
    assert!(rows[0].contains("本校从严") && rows[0].contains("留成 1/2"), "50 % kept, shown as a half: {rows:?}");
    assert_eq!(versions().await, 2);
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM audit_log WHERE action = 'funds_rules.version'").await, 2);
    // Another school's chair: 404 on A's page and form; a member: 403; the area's lead
    // reads the rules without a form and cannot store a version.
    let mut b = app.client_as(Role::SchoolChair, o.school_b).await;
    assert_eq!(b.get(&path).await.status.as_u16(), 404);
    assert_eq!(b.post(&path, &funds_rules_form("10%", "0.5%", "x")).await.status.as_u16(), 404);
    let mut m = app.client_as(Role::Member, o.school_a).await;
    assert_eq!(m.get(&path).await.status.as_u16(), 403);
    let mut fin = app.client_as(Role::AreaLead, o.area_a).await;
    let page = fin.get(&path).await;
    page.assert_status(200);
    assert!(page.select("#funds-rules-form").is_empty());
    assert_eq!(fin.post(&path, &funds_rules_form("10%", "0.5%", "x")).await.status.as_u16(), 403);
    assert_eq!(versions().await, 2);
});
