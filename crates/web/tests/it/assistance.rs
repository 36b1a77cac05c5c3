//! Hardship files over HTTP (issue 16): a committee member drafts a file whose level the
//! income test decides, the chair confirms it; bad input comes back at its field with what
//! was typed and nothing stored; the list and the file page show no income or illness until
//! the audited full view; another school's chair gets 404 and a member of the same school
//! 403; every message key of the area is in both catalogues. Both engines.
//!
//! Must never assert markup alone where a person would notice something else: field errors
//! are read from the element under the field, and leaks from the whole page text.

use domain::auth::Role;
use testkit::app::TestApp;
use testkit::*;
use web::i18n::{Lang, catalogue_keys};

const ILLNESS: &str = "丈夫肝癌晚期";

fn file_form<'a>(member: &'a str, size: &'a str, income: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("member", member),
        ("household_size", size),
        ("relation0", "member"),
        ("age0", "46"),
        ("income0", income),
        ("status0", "working"),
        ("relation1", "spouse"),
        ("age1", "48"),
        ("income1", ""),
        ("status1", "illness"),
        ("causes", "illness"),
        ("note", ILLNESS),
    ]
}

async fn file_count(app: &TestApp) -> i64 {
    store::on_db!(app.t.db(), |p| sqlx::query_scalar(
        "SELECT COUNT(*) FROM hardship_file"
    )
    .fetch_one(p)
    .await)
    .unwrap()
}

#[test]
fn every_message_of_the_area_is_in_both_catalogues() {
    for lang in [Lang::Zh, Lang::En] {
        let keys = catalogue_keys(lang);
        for k in domain::assistance::text::ALL {
            assert!(keys.contains(*k), "{k} missing in {lang:?}");
        }
    }
}

dual_test!(async fn a_committee_member_drafts_the_chair_confirms_and_the_details_stay_masked(t) {
    let app = TestApp::new(t).await;
    let o = app.org.clone();
    member(&app.t.store, o.school_a, "王老师", 1).await;
    let committee = app.account("weiyuan", Role::CommitteeMember, o.school_a).await;
    let chair = app.account("zhuxi", Role::SchoolChair, o.school_a).await;
    let mut c = app.client_for(committee).await;
    let page = c.get("/assistance").await;
    page.assert_status(200);
    assert!(page.text().contains("/assistance/files/new"), "the empty list says how to start");
    // ¥2,000 for three people: ¥666.67 each, below the local ¥1,000: deep hardship.
    let r = c.post("/assistance/files/new", &file_form("王老师", "3", "2000")).await;
    r.assert_status(303);
    let href = r.location().unwrap();
    let page = c.follow(&r).await;
    page.assert_status(200);
    let text = page.text();
    assert!(text.contains("王老师"));
    assert!(text.contains("深度困难") || text.contains("Deep hardship"), "{text}");
    // Masked: neither the illness nor the income is on the page or the list.
    for p in [page.text(), c.get("/assistance").await.text(), c.get("/assistance?level=deep&status=draft").await.text()] {
        assert!(!p.contains("肝癌") && !p.contains("2000.00") && !p.contains("666.66"), "masked page shows details");
    }
    // The committee member sees no confirm button and cannot confirm.
    assert!(page.select("form[action$='/confirm']").is_empty());
    let r = c.post(&format!("{href}/confirm"), &[]).await;
    assert_eq!(r.status.as_u16(), 403);
    // The chair confirms; the review date appears.
    let mut ch = app.client_for(chair).await;
    let r = ch.post(&format!("{href}/confirm"), &[]).await;
    r.assert_status(303);
    let page = ch.follow(&r).await;
    // The server dates steps by the clock, not by the tests' fixed day.
    let due = domain::assistance::AssistanceRules::DEFAULT.review_due(chrono::Utc::now().date_naive());
    let shown = page.text();
    assert!(
        shown.contains(&due.format("%Y年%-m月%-d日").to_string()) || shown.contains(&due.format("%Y-%m-%d").to_string()),
        "the review due date is shown"
    );
    // The full view shows the household and is audited.
    let full = ch.post(&format!("{href}/reveal"), &[]).await;
    full.assert_status(200);
    assert!(full.text().contains(ILLNESS));
    assert!(full.text().contains("666.66"), "income per person in the full view");
    let views: i64 = store::on_db!(app.t.db(), |p| sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'hardship_file.view'").fetch_one(p).await).unwrap();
    assert_eq!(views, 1);
});

dual_test!(async fn bad_input_comes_back_at_its_field_with_what_was_typed(t) {
    let app = TestApp::new(t).await;
    let o = app.org.clone();
    member(&app.t.store, o.school_a, "李老师", 2).await;
    let mut c = app.client_as(Role::CommitteeMember, o.school_a).await;
    let field_error = |r: &testkit::app::Resp, id: &str| -> String {
        r.select(&format!("#{id}-error")).join(" ")
    };
    // A missing household size.
    let r = c.post("/assistance/files/new", &file_form("李老师", "", "1200")).await;
    assert_eq!(r.status.as_u16(), 422);
    assert!(!field_error(&r, "household_size").is_empty(), "no message at the household size");
    assert!(r.text().contains(ILLNESS), "the note typed is kept");
    // A negative income.
    let r = c.post("/assistance/files/new", &file_form("李老师", "3", "-50")).await;
    assert_eq!(r.status.as_u16(), 422);
    let e = field_error(&r, "income0");
    assert!(e.contains("负") || e.contains("negative"), "{e}");
    assert_eq!(r.select("#income0").len(), 1);
    assert!(r.text().contains("value=\"-50\""), "the typed income is kept");
    // Not eligible: ¥6,000 for three is above 1.5× the standard.
    let r = c.post("/assistance/files/new", &file_form("李老师", "3", "6000")).await;
    assert_eq!(r.status.as_u16(), 422);
    let e = field_error(&r, "household_size");
    assert!(e.contains("2000") && e.contains("1500"), "the figures that decided: {e}");
    assert_eq!(file_count(&app).await, 0);
    // A second open file for the same member.
    c.post("/assistance/files/new", &file_form("李老师", "3", "1000")).await.assert_status(303);
    let r = c.post("/assistance/files/new", &file_form("李老师", "4", "1000")).await;
    assert_eq!(r.status.as_u16(), 422);
    assert!(!field_error(&r, "member").is_empty());
    assert_eq!(file_count(&app).await, 1);
});

dual_test!(async fn another_schools_chair_gets_404_and_a_member_without_the_permission_403(t) {
    let app = TestApp::new(t).await;
    let o = app.org.clone();
    member(&app.t.store, o.school_a, "赵老师", 3).await;
    let mut c = app.client_as(Role::SchoolChair, o.school_a).await;
    let r = c.post("/assistance/files/new", &file_form("赵老师", "3", "900")).await;
    r.assert_status(303);
    let href = r.location().unwrap();
    let mut b = app.client_as(Role::SchoolChair, o.school_b).await;
    for path in [href.clone()] {
        assert_eq!(b.get(&path).await.status.as_u16(), 404);
    }
    for action in ["reveal", "confirm", "exit"] {
        let r = b.post(&format!("{href}/{action}"), &[("reason", "x")]).await;
        assert_eq!(r.status.as_u16(), 404, "{action}");
        assert!(!r.text().contains("赵老师"));
    }
    let list = b.get("/assistance").await;
    list.assert_status(200);
    assert!(!list.text().contains("赵老师"));
    // B's chair cannot draft for A's member by name or number either.
    let r = b.post("/assistance/files/new", &file_form("赵老师", "3", "900")).await;
    assert_eq!(r.status.as_u16(), 422);
    // A plain member of school A, and the lead of A's area: 403 on every page.
    for role in [Role::Member, Role::AreaLead] {
        let unit = if role == Role::AreaLead { o.area_a } else { o.school_a };
        let mut m = app.client_as(role, unit).await;
        assert_eq!(m.get("/assistance").await.status.as_u16(), 403, "{role:?}");
        assert_eq!(m.get(&href).await.status.as_u16(), 403, "{role:?}");
        assert_eq!(m.post(&format!("{href}/reveal"), &[]).await.status.as_u16(), 403, "{role:?}");
    }
    assert_eq!(file_count(&app).await, 1);
    let views: i64 = store::on_db!(app.t.db(), |p| sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'hardship_file.view'").fetch_one(p).await).unwrap();
    assert_eq!(views, 0);
});

dual_test!(async fn a_grant_passes_two_approvals_and_is_paid_from_the_fund_which_never_goes_negative(t) {
    let app = TestApp::new(t).await;
    let o = app.org.clone();
    member(&app.t.store, o.school_a, "钱老师", 4).await;
    let chair = app.account("zhuxia", Role::SchoolChair, o.school_a).await;
    let staff = app.account("quzong", Role::UnionStaff, o.union).await;
    let mut ch = app.client_for(chair).await;
    let mut st = app.client_for(staff).await;
    let r = ch.post("/assistance/files/new", &file_form("钱老师", "3", "1500")).await;
    r.assert_status(303);
    let href = r.location().unwrap();
    ch.post(&format!("{href}/confirm"), &[]).await.assert_status(303);
    // The chair applies; the chair may then not approve their own application.
    ch.post(&format!("{href}/grant"), &[("amount", "3000"), ("reason", "住院手术")]).await.assert_status(303);
    let page = ch.get("/assistance/fund").await;
    assert!(page.text().contains("钱老师") && page.text().contains("3000.00"));
    let approve = page.select("form[action$='/approve']");
    assert_eq!(approve.len(), 1);
    let gid: i64 = store::on_db!(app.t.db(), |p| sqlx::query_scalar("SELECT id FROM relief_grant").fetch_one(p).await).unwrap();
    let r = ch.post(&format!("/assistance/grants/{gid}/approve"), &[]).await;
    r.assert_status(303);
    let flash = ch.follow(&r).await.text();
    assert!(flash.contains("两位不同") || flash.contains("two different"), "the same person is refused by name");
    // A second chair of the school approves for the school, the district approves second.
    let chair2 = app.account("zhuxib", Role::SchoolChair, o.school_a).await;
    app.client_for(chair2).await.post(&format!("/assistance/grants/{gid}/approve"), &[]).await.assert_status(303);
    st.post(&format!("/assistance/grants/{gid}/approve"), &[]).await.assert_status(303);
    // The empty fund refuses with its balance; after ¥5,000 the grant is paid and ¥2,000 remain.
    let r = st.post(&format!("/assistance/grants/{gid}/pay"), &[]).await;
    let text = st.follow(&r).await.text();
    assert!(text.contains("0.00") || text.contains("余额 0"), "the balance is named: {text}");
    let status: String = store::on_db!(app.t.db(), |p| sqlx::query_scalar("SELECT status FROM relief_grant").fetch_one(p).await).unwrap();
    assert_eq!(status, "approved");
    st.post("/assistance/fund/income", &[("unit", &o.school_a.0.to_string()), ("kind", "donation"), ("amount", "5000")]).await.assert_status(303);
    st.post(&format!("/assistance/grants/{gid}/pay"), &[]).await.assert_status(303);
    let page = st.get("/assistance/fund").await;
    assert!(page.text().contains("2000.00"), "the balance after paying");
    let status: String = store::on_db!(app.t.db(), |p| sqlx::query_scalar("SELECT status FROM relief_grant").fetch_one(p).await).unwrap();
    assert_eq!(status, "paid");
    // The school's chair sees the grant but neither pays nor adds to the district's fund.
    let r = ch.post("/assistance/fund/income", &[("unit", &o.school_a.0.to_string()), ("kind", "donation"), ("amount", "100")]).await;
    r.assert_status(303);
    let bal: i64 = store::on_db!(app.t.db(), |p| sqlx::query_scalar("SELECT balance_fen FROM relief_fund").fetch_one(p).await).unwrap();
    assert_eq!(bal, 200_000);
});
