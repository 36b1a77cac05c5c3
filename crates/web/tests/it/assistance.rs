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

// ---- Must-visits, condolences, the birthday page, the payout list, campaigns ----

fn server_today() -> chrono::NaiveDate {
    chrono::Utc::now().date_naive()
}

async fn retire(app: &TestApp, m: domain::ids::MemberId, since: chrono::NaiveDate) {
    store::on_db!(app.t.db(), |p| sqlx::query(
        "UPDATE member SET status = 'retired', status_since = $1 WHERE id = $2"
    )
    .bind(since)
    .bind(m.0)
    .execute(p)
    .await
    .map(|_| ()))
    .unwrap();
}

async fn visit_count(app: &TestApp) -> i64 {
    store::on_db!(app.t.db(), |p| sqlx::query_scalar(
        "SELECT COUNT(*) FROM visit"
    )
    .fetch_one(p)
    .await)
    .unwrap()
}

fn visit_form<'a>(
    member: &'a str,
    ty: &'a str,
    amount: &'a str,
    note: &'a str,
    on: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("member", member),
        ("visit_type", ty),
        ("visited_on", on),
        ("visitors", "张主席、李委员"),
        ("amount", amount),
        ("note", note),
        ("report", ""),
    ]
}

const VISIT_NOTE: &str = "胆囊切除术后在家休养";

dual_test!(async fn a_retirement_puts_a_visit_on_the_due_list_and_the_visit_takes_it_off(t) {
    let app = TestApp::new(t).await;
    let o = app.org.clone();
    let m = member(&app.t.store, o.school_a, "孙老师", 11).await;
    let committee = app.account("weiyuanv", Role::CommitteeMember, o.school_a).await;
    let mut c = app.client_for(committee).await;
    let page = c.get("/assistance/visits").await;
    page.assert_status(200);
    assert!(!page.text().contains("孙老师"), "not retired yet: nothing due");
    // The roster says retired from three days ago: the retirement visit is due.
    let since = server_today() - chrono::Duration::days(3);
    retire(&app, m, since).await;
    let page = c.get("/assistance/visits").await;
    let due = page.select("table.visits-due tbody tr").join(" ");
    assert!(due.contains("孙老师") && (due.contains("退休") || due.contains("Retirement")), "{due}");
    // The reminder scan sees it, with a number only: no name, no type.
    let reach = store::area::Reach::of(&testkit::fixtures::sys::<domain::auth::perm::AssistanceView>());
    let items = store::assistance::due_items(&app.t.store, &reach, server_today()).await.unwrap();
    let item = items.iter().find(|i| i.kind == "due-assistance-visit").expect("a visit reminder");
    assert!(!item.title.contains("孙") && item.href == "/assistance/visits");
    assert_eq!(item.due, since + chrono::Duration::days(30));
    // The link of the due list fills the form; the visit is recorded and leaves the list.
    let href = page.attrs("table.visits-due a", "href").pop().unwrap();
    let form = c.get(&href).await;
    form.assert_status(200);
    assert!(form.text().contains(&format!("#{}", m.0)));
    let today = server_today().to_string();
    let r = c.post("/assistance/visits/new", &visit_form(&format!("#{}", m.0), "retirement", "300", "", &today)).await;
    r.assert_status(303);
    let page = c.get("/assistance/visits").await;
    assert!(page.select("table.visits-due tbody tr").join(" ").is_empty(), "nothing due any more");
    assert!(page.select("table.visits tbody").join(" ").contains("孙老师"));
    assert!(page.text().contains("300.00"));
    let items = store::assistance::due_items(&app.t.store, &reach, server_today()).await.unwrap();
    assert!(items.iter().all(|i| i.kind != "due-assistance-visit"));
    // The year's figures count the visit and its money.
    let figs = store::assistance::year_figures(&app.t.store, &reach, chrono::Datelike::year(&server_today())).await.unwrap();
    let v = |k: &str| figs.iter().filter(|f| f.key == k).map(|f| f.value).sum::<i64>();
    assert_eq!((v("figure-assistance-visits"), v("figure-assistance-visits-fen")), (1, 30_000));
});

dual_test!(async fn a_reported_hospital_stay_is_due_and_answered_by_its_visit(t) {
    let app = TestApp::new(t).await;
    let o = app.org.clone();
    member(&app.t.store, o.school_a, "周老师", 12).await;
    let mut c = app.client_as(Role::SchoolChair, o.school_a).await;
    let on = (server_today() - chrono::Duration::days(1)).to_string();
    let r = c.post("/assistance/visits/report", &[("member", "周老师"), ("visit_type", "hospitalisation"), ("visited_on", on.as_str()), ("note", VISIT_NOTE)]).await;
    r.assert_status(303);
    let page = c.get("/assistance/visits").await;
    let due = page.select("table.visits-due tbody tr").join(" ");
    assert!(due.contains("周老师") && (due.contains("住院") || due.contains("hospital")), "{due}");
    assert!(!page.text().contains(VISIT_NOTE), "the report's note is not on the list");
    let href = page.attrs("table.visits-due a", "href").pop().unwrap();
    assert!(href.contains("report="), "{href}");
    let form = c.get(&href).await;
    let report = form.attrs("input[name=report]", "value").pop().unwrap();
    let today = server_today().to_string();
    let mut f = visit_form("周老师", "hospitalisation", "500", VISIT_NOTE, &today);
    f.retain(|(k, _)| *k != "report");
    f.push(("report", &report));
    c.post("/assistance/visits/new", &f).await.assert_status(303);
    assert!(c.get("/assistance/visits").await.select("table.visits-due tbody tr").is_empty());
    let trigger: String = store::on_db!(app.t.db(), |p| sqlx::query_scalar("SELECT trigger_kind FROM visit").fetch_one(p).await).unwrap();
    assert_eq!(trigger, "report");
});

dual_test!(async fn a_visit_above_its_cap_or_of_a_type_the_rules_do_not_keep_is_refused_with_the_rule_named(t) {
    let app = TestApp::new(t).await;
    let o = app.org.clone();
    member(&app.t.store, o.school_a, "吴老师", 13).await;
    let mut c = app.client_as(Role::CommitteeMember, o.school_a).await;
    let today = server_today().to_string();
    let field_error = |r: &testkit::app::Resp, id: &str| r.select(&format!("#{id}-error")).join(" ");
    // ¥600 for a hospital stay: the local cap is ¥500 (rule set version 1).
    let r = c.post("/assistance/visits/new", &visit_form("吴老师", "hospitalisation", "600", VISIT_NOTE, &today)).await;
    assert_eq!(r.status.as_u16(), 422);
    let e = field_error(&r, "amount");
    assert!(e.contains("500") && (e.contains("第 1 版") || e.contains("version 1")), "the cap and the version: {e}");
    assert!(r.text().contains(VISIT_NOTE) && r.text().contains("value=\"600\""), "nothing typed is lost");
    // The yearly cap per member (¥2,000): three visits of ¥500, ¥500, ¥1,000 pass, a fourth not.
    for (ty, amount) in [("hospitalisation", "500"), ("bereavement", "500"), ("hardship", "1000")] {
        c.post("/assistance/visits/new", &visit_form("吴老师", ty, amount, "", &today)).await.assert_status(303);
    }
    let r = c.post("/assistance/visits/new", &visit_form("吴老师", "marriage", "100", "", &today)).await;
    assert_eq!(r.status.as_u16(), 422);
    let e = field_error(&r, "amount");
    assert!(e.contains("上限 2000") || e.contains("cap of 2000"), "the yearly cap: {e}");
    // A later rule set without weddings: a wedding visit is refused at its type.
    let mut rules = domain::assistance::AssistanceRules::DEFAULT;
    rules.visits.marriage = None;
    store::assistance::rules::add_version(&app.t.store, &testkit::fixtures::sys(), &testkit::fixtures::who(), o.school_a, &rules, Some("本校不含婚嫁")).await.unwrap();
    member(&app.t.store, o.school_a, "郑老师", 14).await;
    let r = c.post("/assistance/visits/new", &visit_form("郑老师", "marriage", "0", "", &today)).await;
    assert_eq!(r.status.as_u16(), 422);
    assert!(!field_error(&r, "visit_type").is_empty());
    // A day in the future, no visitors, a type nobody knows: each at its field.
    let tomorrow = (server_today() + chrono::Duration::days(1)).to_string();
    let r = c.post("/assistance/visits/new", &[("member", "郑老师"), ("visit_type", "picnic"), ("visited_on", tomorrow.as_str()), ("visitors", ""), ("amount", "-1")]).await;
    assert_eq!(r.status.as_u16(), 422);
    for f in ["visit_type", "visited_on", "visitors", "amount"] {
        assert!(!field_error(&r, f).is_empty(), "{f}");
    }
    assert_eq!(visit_count(&app).await, 3);
});

dual_test!(async fn another_schools_chair_cannot_see_or_record_your_visits_and_a_member_sees_none(t) {
    let app = TestApp::new(t).await;
    let o = app.org.clone();
    member(&app.t.store, o.school_a, "冯老师", 15).await;
    let mut a = app.client_as(Role::SchoolChair, o.school_a).await;
    let today = server_today().to_string();
    let r = a.post("/assistance/visits/new", &visit_form("冯老师", "hospitalisation", "200", VISIT_NOTE, &today)).await;
    r.assert_status(303);
    let href = r.location().unwrap();
    // The masked page shows no note; the full view does and is audited.
    let page = a.get(&href).await;
    page.assert_status(200);
    assert!(page.text().contains("冯老师") && !page.text().contains(VISIT_NOTE));
    let full = a.post(&format!("{href}/reveal"), &[]).await;
    full.assert_status(200);
    assert!(full.text().contains(VISIT_NOTE));
    let mut b = app.client_as(Role::SchoolChair, o.school_b).await;
    assert_eq!(b.get(&href).await.status.as_u16(), 404);
    let r = b.post(&format!("{href}/reveal"), &[]).await;
    assert_eq!(r.status.as_u16(), 404);
    assert!(!r.text().contains("冯老师"));
    let list = b.get("/assistance/visits").await;
    list.assert_status(200);
    assert!(!list.text().contains("冯老师"));
    // B's chair cannot record a visit to A's member, by name or number.
    let m: i64 = store::on_db!(app.t.db(), |p| sqlx::query_scalar("SELECT member_id FROM visit").fetch_one(p).await).unwrap();
    for who in ["冯老师".to_string(), format!("#{m}")] {
        let r = b.post("/assistance/visits/new", &visit_form(&who, "hospitalisation", "100", "", &today)).await;
        assert_eq!(r.status.as_u16(), 422, "{who}");
    }
    assert_eq!(visit_count(&app).await, 1);
    // A member of school A (even the visited one's colleague) sees no visit at all.
    let mut mem = app.client_as(Role::Member, o.school_a).await;
    for path in ["/assistance/visits".to_string(), href.clone(), "/assistance/birthdays".into(), "/assistance/payout.xlsx".into()] {
        assert_eq!(mem.get(&path).await.status.as_u16(), 403, "{path}");
    }
    let views: i64 = store::on_db!(app.t.db(), |p| sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'visit.view'").fetch_one(p).await).unwrap();
    assert_eq!(views, 1);
    // The raw SQLite file and its WAL hold no note in plain text.
    if let Some(path) = &app.t.sqlite_path {
        for f in [path.clone(), path.with_extension("db-wal")] {
            if let Ok(bytes) = std::fs::read(&f) {
                let needle = VISIT_NOTE.as_bytes();
                assert!(!bytes.windows(needle.len()).any(|w| w == needle), "{} holds the note", f.display());
            }
        }
    }
});

dual_test!(async fn the_birthday_page_lists_retirees_round_birthdays_for_printing(t) {
    let app = TestApp::new(t).await;
    let o = app.org.clone();
    let year = chrono::Datelike::year(&server_today());
    let born = |age: i32| chrono::NaiveDate::from_ymd_opt(year - age, 10, 10).unwrap();
    for (name, n, age) in [("陈七十", 21, 70), ("陈八十", 22, 80), ("陈九三", 23, 93), ("陈七一", 24, 71)] {
        let m = member(&app.t.store, o.school_a, name, n).await;
        store::on_db!(app.t.db(), |p| sqlx::query("UPDATE member SET birth_date = $1 WHERE id = $2").bind(born(age)).bind(m.0).execute(p).await.map(|_| ())).unwrap();
        retire(&app, m, chrono::NaiveDate::from_ymd_opt(2010, 1, 1).unwrap()).await;
    }
    let mut c = app.client_as(Role::CommitteeMember, o.school_a).await;
    let from = format!("{year}-01-01");
    let to = format!("{year}-12-31");
    let page = c.get(&format!("/assistance/birthdays?from={from}&to={to}")).await;
    page.assert_status(200);
    let rows = page.select("table.birthdays tbody tr").join(" ");
    for n in ["陈七十", "陈八十", "陈九三"] {
        assert!(rows.contains(n), "{n} in {rows}");
    }
    assert!(!rows.contains("陈七一"), "71 is not a round birthday");
    assert_eq!(page.select("[data-print]").len(), 1, "a print button");
    // The same list as .xlsx, audited as an export.
    let x = c.get(&format!("/assistance/birthdays.xlsx?from={from}&to={to}")).await;
    x.assert_status(200);
    let cells = testkit::fixtures::read_xlsx(&x.bytes).concat().join("|");
    assert!(cells.contains("陈八十") && !cells.contains("陈七一"), "{cells}");
    let exports: i64 = store::on_db!(app.t.db(), |p| sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'retiree_birthdays.export'").fetch_one(p).await).unwrap();
    assert_eq!(exports, 1);
    // The default period (the year of the coming 重阳节) answers too.
    c.get("/assistance/birthdays").await.assert_status(200);
    // A period longer than a year is refused at its field, nothing listed.
    let r = c.get(&format!("/assistance/birthdays?from={}-01-01&to={to}", year - 2)).await;
    assert_eq!(r.status.as_u16(), 422);
    assert!(!r.select("#to-error").is_empty());
    // School B's chair sees none of them.
    let mut b = app.client_as(Role::SchoolChair, o.school_b).await;
    let page = b.get(&format!("/assistance/birthdays?from={from}&to={to}")).await;
    assert!(!page.text().contains("陈七十"));
});

dual_test!(async fn the_payout_list_holds_grants_paid_and_condolence_money_and_is_audited(t) {
    let app = TestApp::new(t).await;
    let o = app.org.clone();
    member(&app.t.store, o.school_a, "褚老师", 31).await;
    member(&app.t.store, o.school_a, "卫老师", 32).await;
    let chair = app.account("zhuxip", Role::SchoolChair, o.school_a).await;
    let chair2 = app.account("zhuxiq", Role::SchoolChair, o.school_a).await;
    let staff = app.account("quzongp", Role::UnionStaff, o.union).await;
    let mut ch = app.client_for(chair).await;
    let mut st = app.client_for(staff).await;
    let r = ch.post("/assistance/files/new", &file_form("褚老师", "3", "1500")).await;
    let href = r.location().unwrap();
    ch.post(&format!("{href}/confirm"), &[]).await.assert_status(303);
    ch.post(&format!("{href}/grant"), &[("amount", "800"), ("reason", "住院")]).await.assert_status(303);
    let gid: i64 = store::on_db!(app.t.db(), |p| sqlx::query_scalar("SELECT id FROM relief_grant").fetch_one(p).await).unwrap();
    app.client_for(chair2).await.post(&format!("/assistance/grants/{gid}/approve"), &[]).await.assert_status(303);
    st.post(&format!("/assistance/grants/{gid}/approve"), &[]).await.assert_status(303);
    st.post("/assistance/fund/income", &[("unit", &o.school_a.0.to_string()), ("kind", "allocation"), ("amount", "5000")]).await.assert_status(303);
    st.post(&format!("/assistance/grants/{gid}/pay"), &[]).await.assert_status(303);
    let today = server_today().to_string();
    ch.post("/assistance/visits/new", &visit_form("卫老师", "bereavement", "400", VISIT_NOTE, &today)).await.assert_status(303);
    let r = st.get(&format!("/assistance/payout.xlsx?from={today}&to={today}")).await;
    r.assert_status(200);
    let rows = testkit::fixtures::read_xlsx(&r.bytes);
    let text = rows.iter().map(|r| r.join("|")).collect::<Vec<_>>().join("\n");
    assert!(text.contains("褚老师") && text.contains("卫老师"), "{text}");
    assert!(text.contains("1200"), "the total of 800 + 400: {text}");
    assert!(!text.contains(VISIT_NOTE), "no note in the payout list");
    let exports: i64 = store::on_db!(app.t.db(), |p| sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'assistance_payout.export'").fetch_one(p).await).unwrap();
    assert_eq!(exports, 1);
    // A committee member (no confirming permission) gets no payout list.
    let mut cm = app.client_as(Role::CommitteeMember, o.school_a).await;
    assert_eq!(cm.get("/assistance/payout.xlsx").await.status.as_u16(), 403);
    // School B's chair gets a list without A's names.
    let mut b = app.client_as(Role::SchoolChair, o.school_b).await;
    let r = b.get(&format!("/assistance/payout.xlsx?from={today}&to={today}")).await;
    r.assert_status(200);
    let text = testkit::fixtures::read_xlsx(&r.bytes).concat().join("|");
    assert!(!text.contains("褚老师") && !text.contains("卫老师"));
});

dual_test!(async fn a_campaign_lists_open_files_within_its_budget_and_pays_them_through_two_approvals(t) {
    let app = TestApp::new(t).await;
    let o = app.org.clone();
    member(&app.t.store, o.school_a, "蒋老师", 41).await;
    member(&app.t.store, o.school_a, "沈老师", 42).await;
    let chair = app.account("zhuxic", Role::SchoolChair, o.school_a).await;
    let chair2 = app.account("zhuxid", Role::SchoolChair, o.school_a).await;
    let staff = app.account("quzongc", Role::UnionStaff, o.union).await;
    let mut ch = app.client_for(chair).await;
    let mut st = app.client_for(staff).await;
    let mut files = Vec::new();
    for name in ["蒋老师", "沈老师"] {
        let r = ch.post("/assistance/files/new", &file_form(name, "3", "1500")).await;
        let href = r.location().unwrap();
        ch.post(&format!("{href}/confirm"), &[]).await.assert_status(303);
        files.push(href.trim_start_matches("/assistance/files/").to_string());
    }
    let today = server_today().to_string();
    let end = (server_today() + chrono::Duration::days(60)).to_string();
    let union = o.union.0.to_string();
    // A campaign without a name comes back with what was typed.
    let r = st.post("/assistance/campaigns", &[("unit", union.as_str()), ("kind", "warmth"), ("name", ""), ("from", today.as_str()), ("to", end.as_str()), ("budget", "1500")]).await;
    assert_eq!(r.status.as_u16(), 422);
    assert!(r.text().contains("value=\"1500\""));
    let r = st.post("/assistance/campaigns", &[("unit", union.as_str()), ("kind", "warmth"), ("name", "元旦春节送温暖"), ("from", today.as_str()), ("to", end.as_str()), ("budget", "1500")]).await;
    r.assert_status(303);
    let camp = r.location().unwrap();
    // The school's chair sees the district's campaign and lists a file of the school.
    let page = ch.get(&camp).await;
    page.assert_status(200);
    assert_eq!(page.attrs("#campaign-batch input[name='file']", "value").len(), 2, "both open files are on the batch list");
    ch.post(&format!("{camp}/add"), &[("file", files[0].as_str()), ("amount", "1000"), ("reason", "")]).await.assert_status(303);
    // Above the budget: refused with the budget named; the same file twice: refused.
    let r = ch.post(&format!("{camp}/add"), &[("file", files[1].as_str()), ("amount", "600"), ("reason", "")]).await;
    let flash = ch.follow(&r).await.text();
    assert!(flash.contains("1500") && flash.contains("1000"), "the budget and what is listed: {flash}");
    let r = ch.post(&format!("{camp}/add"), &[("file", files[0].as_str()), ("amount", "100"), ("reason", "")]).await;
    let flash = ch.follow(&r).await.text();
    assert!(flash.contains("已在") || flash.contains("already"), "{flash}");
    let listed: i64 = store::on_db!(app.t.db(), |p| sqlx::query_scalar("SELECT COUNT(*) FROM relief_grant WHERE campaign_id IS NOT NULL").fetch_one(p).await).unwrap();
    assert_eq!(listed, 1);
    // The grant passes the two approvals and is paid like any grant.
    let gid: i64 = store::on_db!(app.t.db(), |p| sqlx::query_scalar("SELECT id FROM relief_grant").fetch_one(p).await).unwrap();
    app.client_for(chair2).await.post(&format!("/assistance/grants/{gid}/approve"), &[]).await.assert_status(303);
    st.post(&format!("/assistance/grants/{gid}/approve"), &[]).await.assert_status(303);
    st.post("/assistance/fund/income", &[("unit", union.as_str()), ("kind", "allocation"), ("amount", "3000")]).await.assert_status(303);
    st.post(&format!("/assistance/grants/{gid}/pay"), &[]).await.assert_status(303);
    let page = st.get(&camp).await;
    let facts = page.select("dl.facts dd").join(" | ");
    assert!(facts.contains("1000") && facts.contains("500.00"), "paid and budget left: {facts}");
    assert!(page.select("table.progress").join(" ").contains("甲"), "progress by school");
    // School B's chair sees the campaign but none of A's beneficiaries.
    let mut b = app.client_as(Role::SchoolChair, o.school_b).await;
    let page = b.get(&camp).await;
    page.assert_status(200);
    assert!(!page.text().contains("蒋老师"));
});

async fn rule_versions(app: &TestApp) -> i64 {
    store::on_db!(app.t.db(), |p| sqlx::query_scalar(
        "SELECT COUNT(*) FROM assistance_rule_set"
    )
    .fetch_one(p)
    .await)
    .unwrap()
}

fn rules_form<'a>(
    low_income: &'a str,
    cap_deep: &'a str,
    note: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("low_income", low_income),
        ("relative_multiple", "1.5"),
        ("review_months", "12"),
        ("grant_cap_deep", cap_deep),
        ("grant_cap_relative", "2000"),
        ("visit_year_cap", "2000"),
        ("visit_due_days", "30"),
        ("visit_hospitalisation_keep", "on"),
        ("visit_hospitalisation_cap", "500"),
        ("visit_hospitalisation_trigger", "report"),
        ("visit_retirement_keep", "on"),
        ("visit_retirement_cap", "300"),
        ("visit_retirement_trigger", "retired"),
        ("note", note),
    ]
}

dual_test!(async fn the_rules_page_stores_versions_and_a_school_may_be_stricter_than_its_district_never_laxer(t) {
    let app = TestApp::new(t).await;
    let o = app.org.clone();
    let field_error = |r: &testkit::app::Resp, id: &str| r.select(&format!("#{id}-error")).join(" ");
    // The district's staff saves its city's standard, typed with full-width digits.
    let mut staff = app.client_as(Role::UnionStaff, o.union).await;
    let page = staff.get(&format!("/assistance/rules/{}", o.union.0)).await;
    page.assert_status(200);
    assert!(page.text().contains("内置") || page.text().contains("built-in"), "no version yet: the defaults are named");
    let r = staff.post(&format!("/assistance/rules/{}", o.union.0), &rules_form("１，２００", "5000", "2027 年本市低保标准")).await;
    r.assert_status(303);
    let page = staff.follow(&r).await;
    assert!(page.text().contains("1200.00") && page.text().contains("2027 年本市低保标准"), "the saved numbers and note are shown");
    assert_eq!(rule_versions(&app).await, 1);
    // School A's chair sees the district's version in force at the school.
    let mut chair = app.client_as(Role::SchoolChair, o.school_a).await;
    let path = format!("/assistance/rules/{}", o.school_a.0);
    let page = chair.get(&path).await;
    page.assert_status(200);
    assert!(page.text().contains("assistance#") && page.text().contains("v1"), "{}", page.text());
    // A cap above the district's is laxer: refused at its field naming the district's cap,
    // everything typed kept, nothing stored.
    let r = chair.post(&path, &rules_form("1200", "9000", "本校放宽试试")).await;
    assert_eq!(r.status.as_u16(), 422);
    let e = field_error(&r, "grant_cap_deep");
    assert!(e.contains("5000"), "the district's cap is named: {e}");
    assert!(r.text().contains("value=\"9000\"") && r.text().contains("本校放宽试试"), "nothing typed is lost");
    assert_eq!(rule_versions(&app).await, 1);
    // Bad numbers: each at its field, all at once.
    let mut bad = rules_form("", "3000", "x");
    bad[1] = ("relative_multiple", "0.5");
    let r = chair.post(&path, &bad).await;
    assert_eq!(r.status.as_u16(), 422);
    for f in ["low_income", "relative_multiple"] {
        assert!(!field_error(&r, f).is_empty(), "{f}");
    }
    // Stricter is stored, and the school's version now comes first in the history.
    let r = chair.post(&path, &rules_form("1200", "3000", "本校从严")).await;
    r.assert_status(303);
    let page = chair.follow(&r).await;
    let rows = page.select("table.rule-history tbody tr");
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert!(rows[0].contains("本校从严") && rows[1].contains("2027 年本市低保标准"), "{rows:?}");
    assert_eq!(rule_versions(&app).await, 2);
    let audited: i64 = store::on_db!(app.t.db(), |p| sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'assistance_rules.version'").fetch_one(p).await).unwrap();
    assert_eq!(audited, 2);
    // Another school's chair: 404 on A's page and form; a member: 403; a committee member
    // reads the rules but has no form and cannot post.
    let mut b = app.client_as(Role::SchoolChair, o.school_b).await;
    assert_eq!(b.get(&path).await.status.as_u16(), 404);
    assert_eq!(b.post(&path, &rules_form("1200", "1000", "x")).await.status.as_u16(), 404);
    let mut m = app.client_as(Role::Member, o.school_a).await;
    assert_eq!(m.get(&path).await.status.as_u16(), 403);
    let mut cm = app.client_as(Role::CommitteeMember, o.school_a).await;
    let page = cm.get(&path).await;
    page.assert_status(200);
    assert!(page.select("#assistance-rules-form").is_empty());
    assert_eq!(cm.post(&path, &rules_form("1200", "1000", "x")).await.status.as_u16(), 403);
    assert_eq!(rule_versions(&app).await, 2);
});

dual_test!(async fn a_campaign_lists_ticked_files_in_one_go_until_the_budget_runs_out_and_prints_a_sign_off_sheet(t) {
    let app = TestApp::new(t).await;
    let o = app.org.clone();
    let chair = app.account("zhuxie", Role::SchoolChair, o.school_a).await;
    let mut ch = app.client_for(chair).await;
    let mut files = Vec::new();
    for (i, name) in ["韩老师", "杨老师", "朱老师"].into_iter().enumerate() {
        member(&app.t.store, o.school_a, name, 50 + i as u32).await;
        // ¥1,200 for three is deep hardship; ¥3,600 relative.
        let income = if i == 2 { "1200" } else { "3600" };
        let r = ch.post("/assistance/files/new", &file_form(name, "3", income)).await;
        let href = r.location().unwrap();
        ch.post(&format!("{href}/confirm"), &[]).await.assert_status(303);
        files.push(href.trim_start_matches("/assistance/files/").to_string());
    }
    let today = server_today().to_string();
    let end = (server_today() + chrono::Duration::days(30)).to_string();
    let mut st = app.client_as(Role::UnionStaff, o.union).await;
    let union = o.union.0.to_string();
    let r = st.post("/assistance/campaigns", &[("unit", union.as_str()), ("kind", "warmth"), ("name", "春节送温暖"), ("from", today.as_str()), ("to", end.as_str()), ("budget", "1000")]).await;
    let camp = r.location().unwrap();
    // The batch list puts deep hardship first.
    let page = ch.get(&camp).await;
    let rows = page.select("#campaign-batch tbody tr");
    assert_eq!(rows.len(), 3);
    assert!(rows[0].contains("朱老师"), "deep hardship first: {rows:?}");
    // Nothing ticked: said, nothing listed.
    let r = ch.post(&format!("{camp}/add"), &[("amount", "400"), ("reason", "")]).await;
    let text = ch.follow(&r).await.text();
    assert!(text.contains("至少勾选") || text.contains("at least one"), "{text}");
    // Three ticked at ¥400 against a ¥1,000 budget: two listed, the third refused with the budget named.
    let r = ch.post(&format!("{camp}/add"), &[("file", files[0].as_str()), ("file", files[1].as_str()), ("file", files[2].as_str()), ("amount", "400"), ("reason", "")]).await;
    let text = ch.follow(&r).await.text();
    assert!((text.contains("已列入 2 人") && text.contains("1 人未列入")) || text.contains("2 listed"), "{text}");
    assert!(text.contains("1000"), "the budget is named: {text}");
    let listed: i64 = store::on_db!(app.t.db(), |p| sqlx::query_scalar("SELECT COUNT(*) FROM relief_grant WHERE campaign_id IS NOT NULL").fetch_one(p).await).unwrap();
    assert_eq!(listed, 2);
    // The batch list now holds only the one not listed.
    assert_eq!(ch.get(&camp).await.select("#campaign-batch tbody tr").len(), 1);
    // The sign-off sheet lists the two with their amounts and a column to sign.
    let sheet = ch.get(&format!("{camp}/sheet")).await;
    sheet.assert_status(200);
    let rows = sheet.select("table.sign-sheet tbody tr");
    assert_eq!(rows.len(), 2);
    assert!(rows.iter().all(|r| r.contains("400.00")), "{rows:?}");
    let lead = sheet.select("p.lead").join("");
    assert!(lead.contains("800") && lead.contains('2'), "the count and the total: {lead}");
    assert!(!sheet.text().contains("1200") && !sheet.text().contains("3600"), "no income on the sheet");
    // School B's chair: the district's campaign, none of A's people.
    let mut b = app.client_as(Role::SchoolChair, o.school_b).await;
    let sheet = b.get(&format!("{camp}/sheet")).await;
    sheet.assert_status(200);
    assert!(!sheet.text().contains("韩老师") && !sheet.text().contains("杨老师"));
    // …and cannot list A's file in it.
    let r = b.post(&format!("{camp}/add"), &[("file", files[2].as_str()), ("amount", "100")]).await;
    assert_ne!(r.status.as_u16(), 200);
    let listed: i64 = store::on_db!(app.t.db(), |p| sqlx::query_scalar("SELECT COUNT(*) FROM relief_grant WHERE campaign_id IS NOT NULL").fetch_one(p).await).unwrap();
    assert_eq!(listed, 2);
});

dual_test!(async fn the_visit_due_list_pages_through_fifty_at_a_time_and_narrows_to_a_school(t) {
    let app = TestApp::new(t).await;
    let o = app.org.clone();
    let since = server_today() - chrono::Duration::days(2);
    for i in 0..55u32 {
        let m = member(&app.t.store, o.school_a, &format!("退休甲{i:02}"), 100 + i).await;
        retire(&app, m, since).await;
    }
    let m = member(&app.t.store, o.school_b, "退休乙校", 200).await;
    retire(&app, m, since).await;
    let mut staff = app.client_as(Role::UnionStaff, o.union).await;
    let page = staff.get("/assistance/visits").await;
    page.assert_status(200);
    assert_eq!(page.select("table.visits-due tbody tr").len(), 50);
    let total = page.select(".due-total").join("");
    assert!(total.contains("56"), "the whole count: {total}");
    assert!(page.select(".pager .page-of").join("").contains("1 / 2") , "{:?}", page.select(".pager"));
    // By school: both schools, A with 55.
    let by = page.select("details.due-by-school tbody tr");
    assert_eq!(by.len(), 2);
    let next = page.attrs(".pager a[rel='next']", "href").pop().expect("a next page");
    let page2 = staff.get(&next).await;
    assert_eq!(page2.select("table.visits-due tbody tr").len(), 6);
    assert!(page2.attrs(".pager a[rel='next']", "href").is_empty());
    // A forged page number shows the last page.
    let last = staff.get("/assistance/visits?page=999").await;
    assert_eq!(last.select("table.visits-due tbody tr").len(), 6);
    // Narrowed to school B: its one retiree.
    let b = staff.get(&format!("/assistance/visits?unit={}", o.school_b.0)).await;
    let rows = b.select("table.visits-due tbody tr");
    assert_eq!(rows.len(), 1);
    assert!(rows[0].contains("退休乙校"));
    // School B's chair cannot narrow to school A.
    let mut chair_b = app.client_as(Role::SchoolChair, o.school_b).await;
    let r = chair_b.get(&format!("/assistance/visits?unit={}", o.school_a.0)).await;
    assert_eq!(r.status.as_u16(), 404);
    assert!(!r.text().contains("退休甲"));
});

dual_test!(async fn retirees_contacts_show_masked_and_a_full_number_only_through_an_audited_view(t) {
    let app = TestApp::new(t).await;
    let o = app.org.clone();
    let mut chair = app.client_as(Role::SchoolChair, o.school_a).await;
    let page = chair.get("/assistance/contacts").await;
    page.assert_status(200);
    assert!(!page.select(".empty").is_empty(), "the empty list says what to do");
    // A bad number comes back at its field with what was typed.
    let r = chair.post("/assistance/contacts", &[("unit", &o.school_a.0.to_string()), ("name", "周会长"), ("title", "退协会长"), ("phone", "0571-123")]).await;
    assert_eq!(r.status.as_u16(), 422);
    assert!(!r.select("#phone-error").join("").is_empty());
    assert!(r.text().contains("value=\"周会长\"") && r.text().contains("value=\"退协会长\""));
    let r = chair.post("/assistance/contacts", &[("unit", &o.school_a.0.to_string()), ("name", "周会长"), ("title", "退协会长"), ("phone", "139-0011-2233")]).await;
    r.assert_status(303);
    let page = chair.follow(&r).await;
    let row = page.select("table.contacts tbody tr").join("");
    assert!(row.contains("周会长") && row.contains("*******2233") && !row.contains("13900112233"), "{row}");
    let reveal = page.attrs("table.contacts form[action$='/reveal']", "action").pop().unwrap();
    let shown = chair.post(&reveal, &[]).await;
    shown.assert_status(200);
    assert!(shown.select("a.phone-full").join("").contains("13900112233"));
    let views: i64 = store::on_db!(app.t.db(), |p| sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'retiree_contact.view'").fetch_one(p).await).unwrap();
    assert_eq!(views, 1);
    // School B's chair: not listed, 404 on the reveal and the removal; a member: 403.
    let mut b = app.client_as(Role::SchoolChair, o.school_b).await;
    assert!(!b.get("/assistance/contacts").await.text().contains("周会长"));
    assert_eq!(b.post(&reveal, &[]).await.status.as_u16(), 404);
    let remove = reveal.replace("/reveal", "/remove");
    assert_eq!(b.post(&remove, &[]).await.status.as_u16(), 404);
    let mut m = app.client_as(Role::Member, o.school_a).await;
    assert_eq!(m.get("/assistance/contacts").await.status.as_u16(), 403);
    // The chair removes it.
    chair.post(&remove, &[]).await.assert_status(303);
    assert!(!chair.get("/assistance/contacts").await.text().contains("周会长"));
});
