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

/// Runs one statement with its binds on either engine (the register's fixtures).
macro_rules! exec {
    ($app:expr, $sql:expr $(, $b:expr)* $(,)?) => {
        store::on_db!($app.t.db(), |p| sqlx::query($sql)$(.bind($b))*.execute(p).await.map(|r| r.rows_affected())).unwrap()
    };
}

/// One entry of a zip archive (an .xlsx part) as text; empty when absent.
fn xlsx_part(bytes: &[u8], name: &str) -> String {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let Ok(mut f) = zip.by_name(name) else {
        return String::new();
    };
    let mut s = String::new();
    std::io::Read::read_to_string(&mut f, &mut s).unwrap();
    s
}

/// The register's world: a district award with 61 honours of school A (one naming a member
/// record) and one of school B; a published district contest whose entry of school A won a
/// first prize and then a city second prize (recorded back on the entry).
async fn register_world(app: &TestApp) -> (domain::ids::MemberId, String) {
    let o = &app.org;
    let ts = chrono::Utc::now();
    let day = chrono::NaiveDate::from_ymd_opt(2026, 5, 20).unwrap();
    let m = member(&app.t.store, o.school_a, "HR张老师", 71).await;
    exec!(
        app,
        "INSERT INTO commendation_award (id, organizer_unit_id, name, kind, award_year, quota_per_school, quota_total, nominate_until, created_by_label, created_at) VALUES (900, $1, 'HR十佳维权之星', 'top_ten', 2026, 100, 100, $2, 'x', $3)",
        o.union.0,
        day,
        ts
    );
    let nominate = |school: i64, member: Option<i64>, name: String, n: i64| {
        let code = format!("HRCODE{n}");
        async move {
            exec!(
                app,
                "INSERT INTO commendation_nomination (id, award_id, school_union_id, member_id, nominee, deeds, status, awarded_on, certificate_code, created_by_label, created_at) VALUES ($1, 900, $2, $3, $4, '事迹', 'awarded', $5, $6, 'x', $7)",
                n,
                school,
                member,
                name,
                day,
                code,
                ts
            );
        }
    };
    nominate(o.school_a.0, Some(m.0), "HR张老师".into(), 1000).await;
    for i in 1..=60 {
        nominate(o.school_a.0, None, format!("HR甲校第{i:02}名"), 1000 + i).await;
    }
    nominate(o.school_b.0, None, "HR乙校李老师".into(), 2000).await;
    exec!(
        app,
        "INSERT INTO contest (id, organizer_unit_id, name, kind, contest_year, rules, entry_from, entry_until, judging_until, quota, prizes_first, prizes_second, prizes_third, prizes_merit, status, published_on, created_by_label, created_at) VALUES (900, $1, 'HR课件比赛', 'courseware', 2026, '', $2, $2, $2, 5, 1, 0, 0, 0, 'published', $2, 'x', $3)",
        o.union.0,
        day,
        ts
    );
    exec!(
        app,
        "INSERT INTO contest_entry (id, contest_id, school_union_id, code, title, entrants, submitted_on, submitted_by_label, created_at, forwarded_on, upper_level, upper_name, upper_tier, upper_on) VALUES (900, 900, $1, 'K-1', '圆的面积', 'HR王老师', $2, 'x', $3, $2, 'city', 'HR市课件比赛', 'second', $2)",
        o.school_a.0,
        day,
        ts
    );
    exec!(
        app,
        "INSERT INTO contest_result (entry_id, contest_id, score_centi, place, tied, tier, certificate_code) VALUES (900, 900, 9000, 1, FALSE, 'first', 'HRPRIZE')"
    );
    (m, testkit::fixtures::id_number(71, true))
}

dual_test!(async fn honours_register_is_scoped_searchable_paged_and_its_export_is_audited(t) {
    let app = TestApp::new(t).await;
    let o = app.org.clone();
    let (m, id_number) = register_world(&app).await;
    let chair_a = app.account("hr-chair-a", Role::SchoolChair, o.school_a).await;
    let mut a = app.client_for(chair_a).await;

    // Fifty to a page, newest first; the next page holds the rest, none twice.
    let r = a.get("/honours/register").await;
    r.assert_status(200);
    let first: Vec<String> = r.select("table.honours-register td.holder");
    assert_eq!(first.len(), 50, "{first:?}");
    assert!(!r.text().contains("HR乙校李老师"), "school A's chair sees no honour of B");
    let next = r.select("a[rel=next]");
    assert_eq!(next.len(), 1);
    let href = scraper::Html::parse_document(&r.text()).select(&scraper::Selector::parse("a[rel=next]").unwrap()).next().unwrap().value().attr("href").unwrap().to_string();
    let r = a.get(&href).await;
    r.assert_status(200);
    let second: Vec<String> = r.select("table.honours-register td.holder");
    assert_eq!(first.len() + second.len(), 63, "61 commendations, a district prize and a city prize");
    assert!(second.iter().all(|h| !first.contains(h) || h == "HR王老师"), "{second:?}");
    assert!(r.select("a[rel=next]").is_empty());

    // Search by name, then by level: the city prize recorded back is a city honour.
    let r = a.get("/honours/register?q=HR%E7%8E%8B%E8%80%81%E5%B8%88").await;
    let text = r.text();
    assert!(text.contains("HR课件比赛") && text.contains("HR市课件比赛"), "{text}");
    assert_eq!(r.select("table.honours-register td.holder").len(), 2);
    let r = a.get("/honours/register?q=HR%E7%8E%8B%E8%80%81%E5%B8%88&level=city").await;
    assert_eq!(r.select("table.honours-register td.holder").len(), 1);
    assert!(r.text().contains("HR市课件比赛") && !r.text().contains(">HR课件比赛<"));
    let r = a.get("/honours/register?year=2025").await;
    assert!(r.select("table.honours-register td.holder").is_empty());
    // An unreadable year: at its field, what was typed kept.
    let r = a.get("/honours/register?year=%E4%BA%8C%E3%80%87&q=HR").await;
    assert_eq!(r.status.as_u16(), 422);
    assert!(!r.select("#r-year ~ .field-error").is_empty());
    assert!(!r.select("#r-q[value=HR]").is_empty());

    // A search never confirms a masked value: the member's full ID number, its masked
    // tail or the phone find nothing, though the member holds an honour.
    let page = a.get(&format!("/members/{}", m.0)).await;
    page.assert_status(200);
    assert!(page.text().contains("HR十佳维权之星"), "the honour on the member's page");
    assert!(!page.text().contains(&id_number), "the ID number stays masked");
    for probe in [id_number.as_str(), &id_number[14..], "13800000071"] {
        let r = a.get(&format!("/honours/register?q={probe}")).await;
        assert!(r.select("table.honours-register td.holder").is_empty(), "{probe} matched");
    }

    // School B's chair: nothing of A, by search, by unit, by the member's page.
    let chair_b = app.account("hr-chair-b", Role::SchoolChair, o.school_b).await;
    let mut b = app.client_for(chair_b).await;
    let r = b.get("/honours/register?q=HR%E5%BC%A0%E8%80%81%E5%B8%88").await;
    assert!(r.select("table.honours-register td.holder").is_empty());
    let r = b.get(&format!("/honours/register?unit={}", o.school_a.0)).await;
    assert!(!r.text().contains("HR甲校") && !r.text().contains("HR王老师"));
    let r = b.get("/honours/register").await;
    assert_eq!(r.select("table.honours-register td.holder"), vec!["HR乙校李老师".to_string()]);
    assert_eq!(b.get(&format!("/members/{}", m.0)).await.status.as_u16(), 404);
    let x = b.get("/honours/register.xlsx").await;
    x.assert_status(200);
    let all = format!("{}{}", xlsx_part(&x.bytes, "xl/sharedStrings.xml"), xlsx_part(&x.bytes, "xl/worksheets/sheet1.xml"));
    assert!(all.contains("HR乙校李老师") && !all.contains("HR张老师") && !all.contains("HR王老师"), "{all}");
    // Anonymous: no register.
    assert!(matches!(app.anon().get("/honours/register").await.status.as_u16(), 303 | 401 | 403 | 404));

    // The unit's honours and the district's export, audited with the rows written.
    let staff = app.account("hr-staff", Role::UnionStaff, o.union).await;
    let mut s = app.client_for(staff).await;
    let x = s.get(&format!("/honours/register.xlsx?unit={}&year=2026", o.school_a.0)).await;
    x.assert_status(200);
    let all = format!("{}{}", xlsx_part(&x.bytes, "xl/sharedStrings.xml"), xlsx_part(&x.bytes, "xl/worksheets/sheet1.xml"));
    assert!(all.contains("HR张老师") && all.contains("HR市课件比赛") && !all.contains("HR乙校李老师"));
    let notes: Vec<String> = store::on_db!(app.t.db(), |p| sqlx::query_scalar("SELECT actor_label FROM audit_log WHERE action = 'honours_register.export'").fetch_all(p).await).unwrap();
    assert_eq!(notes.len(), 2, "both exports audited");

    // The member sees the honour on their own page.
    let acc = app.account_full("hr-member", Role::Member, o.school_a, Some(m), None).await;
    let mut me = app.client_for(acc).await;
    let r = me.get("/me").await;
    r.assert_status(200);
    assert!(r.text().contains("HR十佳维权之星"));
    assert!(matches!(me.get("/honours/register").await.status.as_u16(), 403 | 404));
});

dual_test!(async fn commendations_rules_per_unit_are_versioned_stricter_only_and_cap_the_quota(t) {
    let app = TestApp::new(t).await;
    let o = app.org.clone();
    let staff = app.account("cr-staff", Role::UnionStaff, o.union).await;
    let mut s = app.client_for(staff).await;
    let union = format!("/honours/rules/{}", o.union.0);
    let page = s.get(&union).await;
    page.assert_status(200);
    assert!(page.text().contains("commendations-local-1"), "the built-in version is named");
    // The district: a 7-day notice, at most 2 nominations per school.
    let r = s.post(&union, &[("notice_days", "7"), ("objections_per_hour", "3"), ("max_per_school", "2"), ("note", "CR区评先评优办法")]).await;
    r.assert_status(303);
    let page = s.get(&union).await;
    assert!(page.text().contains("CR区评先评优办法") && page.text().contains("v1"));

    // School A's chair: a shorter notice and no cap are laxer, refused at their fields with
    // the district's numbers, what was typed kept, nothing stored.
    let chair_a = app.account("cr-chair-a", Role::SchoolChair, o.school_a).await;
    let mut a = app.client_for(chair_a).await;
    let school = format!("/honours/rules/{}", o.school_a.0);
    let r = a.post(&school, &[("notice_days", "5"), ("objections_per_hour", "3"), ("max_per_school", ""), ("note", "CR甲校办法")]).await;
    assert_eq!(r.status.as_u16(), 422);
    assert!(r.select("#notice_days-error").join(" ").contains('7'), "{:?}", r.select(".field-error"));
    assert!(r.select("#max_per_school-error").join(" ").contains('2'));
    assert!(!r.select("#notice_days[value='5']").is_empty() && r.text().contains("CR甲校办法"));
    // An unreadable number: at its field with the range.
    let r = a.post(&school, &[("notice_days", "七"), ("objections_per_hour", "3"), ("max_per_school", "1"), ("note", "")]).await;
    assert_eq!(r.status.as_u16(), 422);
    assert!(r.select("#notice_days-error").join(" ").contains("60"));
    let count = || async { store::on_db!(app.t.db(), |p| sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM area_rule_set WHERE area = 'commendations'").fetch_one(p).await).unwrap() };
    assert_eq!(count().await, 1);
    // Stricter: stored as the school's version, the district's still listed under it.
    a.post(&school, &[("notice_days", "10"), ("objections_per_hour", "5"), ("max_per_school", "1"), ("note", "CR甲校办法")]).await.assert_status(303);
    assert_eq!(count().await, 2);
    let page = a.get(&school).await;
    assert_eq!(page.select("table.rule-history tbody tr").len(), 2);
    // School B's chair: neither reads nor stores A's rules; anonymous has no page.
    let chair_b = app.account("cr-chair-b", Role::SchoolChair, o.school_b).await;
    let mut b = app.client_for(chair_b).await;
    assert_eq!(b.get(&school).await.status.as_u16(), 404);
    let r = b.post(&school, &[("notice_days", "30"), ("objections_per_hour", "5"), ("max_per_school", "1"), ("note", "")]).await;
    assert!(matches!(r.status.as_u16(), 403 | 404));
    assert_eq!(count().await, 2);
    assert_ne!(app.anon().get(&school).await.status.as_u16(), 200);
    // Every version audited.
    let audited: i64 = store::on_db!(app.t.db(), |p| sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'area_rule_set.create'").fetch_one(p).await).unwrap();
    assert_eq!(audited, 2);

    // An award of the district beyond the cap in force: refused at the quota, naming it.
    let until = (web::today() + chrono::Duration::days(10)).to_string();
    let union_id = o.union.0.to_string();
    let r = s.post("/honours", &[("organizer", union_id.as_str()), ("name", "CR先进个人"), ("kind", "advanced_individual"), ("quota_per_school", "3"), ("quota_total", "10"), ("nominate_until", until.as_str())]).await;
    assert_eq!(r.status.as_u16(), 422);
    assert!(r.select("#a-per ~ .field-error").join(" ").contains('2'));
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM commendation_award").await, 0);
    s.post("/honours", &[("organizer", union_id.as_str()), ("name", "CR先进个人"), ("kind", "advanced_individual"), ("quota_per_school", "2"), ("quota_total", "10"), ("nominate_until", until.as_str())]).await.assert_status(303);
});
