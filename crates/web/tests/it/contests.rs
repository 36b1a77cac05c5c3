//! Contests over HTTP (issue 18): district staff create a contest (a refused form comes
//! back with the message at the criteria and the input kept); school A's chair submits an
//! entry and the next one beyond the quota is refused at its field; a judge from school B
//! sees a blind sheet (the code, never the title, the entrants or the school), points out
//! of range come back at the line with what was typed, and a score is saved; school B's
//! chair cannot read the standing before publication; published results show the rank and
//! the prize, and the .xlsx downloads. Every message key of the area is in both
//! catalogues. Both engines.

use domain::auth::Role;
use testkit::app::TestApp;
use testkit::*;
use web::i18n::{Lang, catalogue_keys};

#[test]
fn contests_every_message_of_the_area_is_in_both_catalogues() {
    for lang in [Lang::Zh, Lang::En] {
        let keys = catalogue_keys(lang);
        for k in domain::contests::text::ALL {
            assert!(keys.contains(*k), "{k} missing in {lang:?}");
        }
    }
}

async fn scalar(app: &TestApp, sql: &'static str) -> i64 {
    store::on_db!(app.t.db(), |p| sqlx::query_scalar(sql).fetch_one(p).await).unwrap()
}

dual_test!(async fn contests_entries_blind_judging_and_published_results(t) {
    let app = TestApp::new(t).await;
    let o = app.org.clone();
    let st = &app.t.store;
    let now = chrono::Utc::now().date_naive();
    let d = |n: i64| (now + chrono::Duration::days(n)).to_string();
    let staff = app.account("ct-staff", Role::UnionStaff, o.union).await;
    let mut s = app.client_for(staff).await;
    let union = o.union.0.to_string();
    let (from, until, judging) = (d(-5), d(10), d(30));
    let mut form = vec![
        ("organizer", union.as_str()), ("name", "CT课件比赛"), ("kind", "courseware"),
        ("entry_from", from.as_str()), ("entry_until", until.as_str()), ("judging_until", judging.as_str()),
        ("quota", "1"), ("first", "1"), ("second", "0"), ("third", "0"), ("merit", "0"),
        ("criteria", "教学设计|60|10\n技术应用|30|10"), ("categories", ""), ("rules", ""),
    ];
    // Weights summing to 90: refused at the criteria, the name kept.
    let r = s.post("/contests", &form).await;
    assert_eq!(r.status.as_u16(), 422);
    assert!(r.select("#c-criteria ~ .field-error").join(" ").contains("90"));
    assert!(r.text().contains("CT课件比赛"));
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM contest").await, 0);
    form[11] = ("criteria", "教学设计|60|10\n技术应用|40|10");
    let r = s.post("/contests", &form).await;
    r.assert_status(303);
    let id: i64 = r.location().unwrap().trim_start_matches("/contests/").parse().unwrap();

    // School A's chair submits one entry; the second is beyond the quota of 1.
    let chair_a = app.account("ct-chair-a", Role::SchoolChair, o.school_a).await;
    let mut a = app.client_for(chair_a).await;
    let school = o.school_a.0.to_string();
    let r = a.post(&format!("/contests/{id}/entries"), &[("school", &school), ("title", "《圆的面积》CT作品"), ("entrants", "CT王老师"), ("category", "")]).await;
    r.assert_status(303);
    let r = a.post(&format!("/contests/{id}/entries"), &[("school", &school), ("title", "第二件"), ("entrants", "CT李老师"), ("category", "")]).await;
    assert_eq!(r.status.as_u16(), 422);
    assert!(r.select("#e-title ~ .field-error").join(" ").contains('1'));
    assert!(r.text().contains("第二件"), "the typed title is kept");
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM contest_entry").await, 1);
    let code: String = store::on_db!(app.t.db(), |p| sqlx::query_scalar("SELECT code FROM contest_entry").fetch_one(p).await).unwrap();

    // A judge from school B, declared by staff; then the judging opens.
    let jm = member(st, o.school_b, "CT乙校评委", 51).await;
    let judge = app.account_full("ct-judge", Role::Member, o.school_b, Some(jm), None).await;
    let r = s.post(&format!("/contests/{id}/judges"), &[("member", &jm.0.to_string())]).await;
    r.assert_status(303);
    s.post(&format!("/contests/{id}/judging"), &[]).await.assert_status(303);
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM contest WHERE status = 'judging'").await, 1);

    // The blind sheet: the code, not the title, the entrants or the school.
    let mut j = app.client_for(judge).await;
    let sheet = j.get(&format!("/contests/{id}/sheet")).await;
    sheet.assert_status(200);
    let body = sheet.text();
    assert!(body.contains(&code));
    assert!(!body.contains("圆的面积") && !body.contains("CT王老师") && !body.contains("甲一小学"), "the sheet is blind");
    let crit: Vec<i64> = store::on_db!(app.t.db(), |p| sqlx::query_scalar("SELECT id FROM contest_criterion ORDER BY position").fetch_all(p).await).unwrap();
    let entry: i64 = scalar(&app, "SELECT id FROM contest_entry").await;
    let (c0, c1) = (format!("c{}", crit[0]), format!("c{}", crit[1]));
    let r = j.post(&format!("/contests/{id}/sheet"), &[("entry", &entry.to_string()), (&c0, "11"), (&c1, "7")]).await;
    assert_eq!(r.status.as_u16(), 422);
    assert!(r.text().contains("value=\"11\""), "the typed points are kept");
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM contest_score").await, 0);
    let r = j.post(&format!("/contests/{id}/sheet"), &[("entry", &entry.to_string()), (&c0, "9"), (&c1, "8")]).await;
    r.assert_status(303);
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM contest_score").await, 2);

    // School B's chair: no standing before publication.
    let chair_b = app.account("ct-chair-b", Role::SchoolChair, o.school_b).await;
    let mut b = app.client_for(chair_b).await;
    assert_eq!(b.get(&format!("/contests/{id}/results")).await.status.as_u16(), 404);
    b.get(&format!("/contests/{id}")).await.assert_status(200);
    assert!(!b.get(&format!("/contests/{id}")).await.text().contains("圆的面积"), "B sees no entry of A before publication");

    // Published: the first prize with its score (9/10·60 + 8/10·40 = 86.00).
    s.post(&format!("/contests/{id}/publish"), &[]).await.assert_status(303);
    let r = b.get(&format!("/contests/{id}/results")).await;
    r.assert_status(200);
    let text = r.text();
    assert!(text.contains("圆的面积") && text.contains("86.00"), "{text}");
    assert!(text.contains("一等奖") || text.contains("First prize"));
    let x = b.get(&format!("/contests/{id}/results.xlsx")).await;
    x.assert_status(200);
    assert!(x.bytes.starts_with(b"PK"));
});

/// A published contest of the district with two winners from school A and school B.
pub(crate) async fn published(app: &TestApp) -> (i64, Vec<(i64, String)>) {
    use domain::auth::perm;
    use domain::contests::*;
    use store::contests as cs;
    let st = &app.t.store;
    let o = &app.org;
    let now = chrono::Utc::now().date_naive();
    let draft = ContestDraft {
        name: "全区教师书法比赛".into(),
        kind: ContestKind::Calligraphy,
        year: 2026,
        rules: String::new(),
        entry_from: now - chrono::Duration::days(3),
        entry_until: now + chrono::Duration::days(3),
        judging_until: now + chrono::Duration::days(9),
        quota: 0,
        drop_extremes: false,
        prizes: [1, 1, 0, 0],
        categories: Vec::new(),
        criteria: vec![CriterionDraft {
            name: "笔法".into(),
            weight: 100,
            max: 10,
        }],
    };
    let id = cs::create(st, &sys(), &who(), o.union, &draft)
        .await
        .unwrap();
    let mut entries = Vec::new();
    for (school, name) in [(o.school_a, "欧阳修远"), (o.school_b, "诸葛晴岚")] {
        let e = cs::submit_entry(
            st,
            &sys(),
            &who(),
            id,
            &cs::EntryInput {
                school,
                category: None,
                title: "行书《兰亭序》节临".into(),
                entrants: name.into(),
                team: false,
            },
            now,
        )
        .await
        .unwrap();
        entries.push((e, name.to_string()));
    }
    let jm = member(st, o.school_a2, "CT书法评委", 52).await;
    cs::add_judge(st, &sys(), &who(), id, jm, &[])
        .await
        .unwrap();
    cs::start_judging(st, &sys(), &who(), id).await.unwrap();
    let mut judge = actor(&[(Role::Member, o.school_a2)]);
    judge.member = Some(jm);
    let acting = domain::congress::authorize_self::<perm::ContestJudge>(&judge).unwrap();
    let crit = cs::sheet(&st.db, &acting, id).await.unwrap().criteria[0].id;
    for ((e, _), p) in entries.iter().zip([9, 7]) {
        cs::score(st, &acting, &who(), id, *e, &[(crit, p)])
            .await
            .unwrap();
    }
    cs::publish(st, &sys(), &who(), id, now).await.unwrap();
    (id.0, entries.into_iter().map(|(e, n)| (e.0, n)).collect())
}

dual_test!(async fn contests_certificates_are_pdf_with_the_winners_chinese_names_and_verify_publicly(t) {
    // Certificates need a CJK font (Debian's fonts-noto-cjk, which the browser tests need
    // too): without one this test says so, unless CI requires it.
    if let Err(e) = web::contests::certificate::font() {
        assert!(!testkit::browser::required(), "JIAOGONG_REQUIRE_BROWSER=1 but {e}");
        testkit::pg_cluster::not_run("contests certificates", &e.to_string());
        return;
    }
    let app = TestApp::new(t).await;
    let o = app.org.clone();
    let (id, winners) = published(&app).await;
    let staff = app.account("ct-cert-staff", Role::UnionStaff, o.union).await;
    let mut s = app.client_for(staff).await;
    // The batch: one page per winner, both Chinese names in the text, small pages.
    let r = s.get(&format!("/contests/{id}/certificates.pdf")).await;
    r.assert_status(200);
    assert_eq!(r.headers.get(http::header::CONTENT_TYPE).unwrap(), "application/pdf");
    assert!(r.bytes.starts_with(b"%PDF"));
    let text = pdf_extract::extract_text_from_mem(&r.bytes).expect("the PDF reads back");
    let flat: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    for (_, name) in &winners {
        assert!(flat.contains(name.as_str()), "{name} is in the certificates: {flat}");
    }
    assert!(flat.contains("一等奖") && flat.contains("二等奖"), "{flat}");
    assert!(r.bytes.len() <= 2 * 150 * 1024, "{} bytes for two pages", r.bytes.len());
    // One winner's certificate alone.
    let (e0, n0) = &winners[0];
    let one = s.get(&format!("/contests/{id}/certificates.pdf?entry={e0}")).await;
    one.assert_status(200);
    let t1: String = pdf_extract::extract_text_from_mem(&one.bytes).unwrap().chars().filter(|c| !c.is_whitespace()).collect();
    assert!(t1.contains(n0.as_str()) && !t1.contains(winners[1].1.as_str()));
    // The code printed on it verifies on the public page, without a login.
    let code: String = store::on_db!(app.t.db(), |p| sqlx::query_scalar("SELECT certificate_code FROM contest_result WHERE entry_id = $1").bind(*e0).fetch_one(p).await).unwrap();
    assert!(t1.contains(&code), "the code is printed: {t1}");
    let mut anon = app.anon();
    let page = anon.get(&format!("/certificates/verify?code={}", code.to_lowercase())).await;
    page.assert_status(200);
    let body = page.text();
    assert!(body.contains(n0.as_str()) && body.contains("全区教师书法比赛"), "{body}");
    assert!(!page.select(".genuine").is_empty());
    // A forged code: "not genuine", and nothing of any winner.
    let forged = format!("{}X", &code[..code.len() - 1]);
    let forged = if forged == code { code.replace(&code[..1], "Z") } else { forged };
    let page = anon.get(&format!("/certificates/verify?code={forged}")).await;
    page.assert_status(200);
    assert!(page.select(".genuine").is_empty());
    let body = page.text();
    assert!(!body.contains(n0.as_str()) && (body.contains("不是本平台颁发") || body.contains("not genuine")), "{body}");
    // School B's chair reads the published certificates too; an unpublished contest has none.
    let chair_b = app.account("ct-cert-b", Role::SchoolChair, o.school_b).await;
    let mut b = app.client_for(chair_b).await;
    b.get(&format!("/contests/{id}/certificates.pdf")).await.assert_status(200);
    // An unknown contest: 404.
    assert_eq!(s.get("/contests/999999/certificates.pdf").await.status.as_u16(), 404);
});

async fn entry_files(app: &TestApp, contest: i64) -> i64 {
    store::on_db!(app.t.db(), |p| sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM contest_entry_file WHERE contest_id = $1"
    )
    .bind(contest)
    .fetch_one(p)
    .await)
    .unwrap()
}

/// An open district contest with one entry of school A (entrants "EF王老师", title
/// "EF圆的面积"); returns (contest, entry).
async fn open_contest(app: &TestApp, name: &str) -> (i64, i64) {
    use domain::contests::*;
    use store::contests as cs;
    let st = &app.t.store;
    let now = chrono::Utc::now().date_naive();
    let draft = ContestDraft {
        name: name.into(),
        kind: ContestKind::Paper,
        year: 2026,
        rules: String::new(),
        entry_from: now - chrono::Duration::days(3),
        entry_until: now + chrono::Duration::days(3),
        judging_until: now + chrono::Duration::days(9),
        quota: 0,
        drop_extremes: false,
        prizes: [1, 0, 0, 0],
        categories: Vec::new(),
        criteria: vec![CriterionDraft {
            name: "论点".into(),
            weight: 100,
            max: 10,
        }],
    };
    let id = cs::create(st, &sys(), &who(), app.org.union, &draft)
        .await
        .unwrap();
    let e = cs::submit_entry(
        st,
        &sys(),
        &who(),
        id,
        &cs::EntryInput {
            school: app.org.school_a,
            category: None,
            title: "EF圆的面积".into(),
            entrants: "EF王老师".into(),
            team: false,
        },
        now,
    )
    .await
    .unwrap();
    (id.0, e.0)
}

dual_test!(async fn contests_entry_files_are_checked_by_content_and_judges_download_them_blind(t) {
    let app = TestApp::new(t).await;
    let o = app.org.clone();
    let st = &app.t.store;
    let (id, entry) = open_contest(&app, "EF论文评比").await;
    let chair_a = app.account("ef-chair-a", Role::SchoolChair, o.school_a).await;
    let mut a = app.client_for(chair_a).await;
    let url = format!("/contests/{id}/files");
    let e = entry.to_string();
    // A Windows program renamed .pdf: refused by its content, the reason at the entry.
    let mut exe = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff".to_vec();
    exe.extend(std::iter::repeat_n(0u8, 512));
    let r = a.post_multipart(&url, &[("entry", &e)], Some(("file", "EF论文.pdf", exe))).await;
    assert_eq!(r.status.as_u16(), 422);
    let msg = r.select(".entry-files .field-error").join(" ");
    assert!(msg.contains("PDF") && msg.contains("EF论文.pdf"), "{msg}");
    assert_eq!(entry_files(&app, id).await, 0);
    // Too large, though a PDF by its first bytes: refused with the limit.
    let mut big = b"%PDF-1.4\n".to_vec();
    big.resize(store::contests::files::MAX_BYTES + 1, b' ');
    let r = a.post_multipart(&url, &[("entry", &e)], Some(("file", "big.pdf", big))).await;
    assert_eq!(r.status.as_u16(), 422);
    assert!(r.select(".entry-files .field-error").join(" ").contains("20"));
    // Nothing chosen.
    let r = a.post_multipart(&url, &[("entry", &e)], Some(("file", "", Vec::new()))).await;
    assert_eq!(r.status.as_u16(), 422);
    assert_eq!(entry_files(&app, id).await, 0);
    // A real PDF, its name full of who and where: stored.
    let pdf = b"%PDF-1.4\n% EF paper body\n".to_vec();
    let r = a.post_multipart(&url, &[("entry", &e)], Some(("file", "EF王老师-甲一小学-论文.pdf", pdf.clone()))).await;
    r.assert_status(303);
    assert_eq!(entry_files(&app, id).await, 1);
    let f: i64 = store::on_db!(app.t.db(), |p| sqlx::query_scalar("SELECT id FROM contest_entry_file WHERE contest_id = $1").bind(id).fetch_one(p).await).unwrap();
    let page = a.get(&format!("/contests/{id}")).await;
    assert!(page.text().contains("EF王老师-甲一小学-论文.pdf"));
    a.get(&format!("/contests/files/{f}")).await.assert_status(200);

    // School B's chair: cannot read A's file nor attach to A's entry.
    let chair_b = app.account("ef-chair-b", Role::SchoolChair, o.school_b).await;
    let mut b = app.client_for(chair_b).await;
    assert_eq!(b.get(&format!("/contests/files/{f}")).await.status.as_u16(), 404);
    let r = b.post_multipart(&url, &[("entry", &e)], Some(("file", "x.pdf", pdf.clone()))).await;
    assert_eq!(r.status.as_u16(), 404);
    assert_eq!(entry_files(&app, id).await, 1);

    // A judge of school B, declared; judging opens, files can no longer change.
    let jm = member(st, o.school_b, "EF乙校评委", 53).await;
    store::contests::add_judge(st, &sys(), &who(), domain::contests::ContestId(id), jm, &[]).await.unwrap();
    store::contests::start_judging(st, &sys(), &who(), domain::contests::ContestId(id)).await.unwrap();
    let r = a.post_multipart(&url, &[("entry", &e)], Some(("file", "late.pdf", pdf.clone()))).await;
    assert_eq!(r.status.as_u16(), 422);
    assert_eq!(entry_files(&app, id).await, 1);
    let judge = app.account_full("ef-judge", Role::Member, o.school_b, Some(jm), None).await;
    let mut j = app.client_for(judge).await;
    let code: String = store::on_db!(app.t.db(), |p| sqlx::query_scalar("SELECT code FROM contest_entry WHERE id = $1").bind(entry).fetch_one(p).await).unwrap();
    let sheet = j.get(&format!("/contests/{id}/sheet")).await;
    sheet.assert_status(200);
    assert!(sheet.text().contains(&format!("{code}.pdf")) && !sheet.text().contains("EF王老师"));
    // The download: the content, named by the code; no header names a person or a school.
    let r = j.get(&format!("/contests/files/{f}/blind")).await;
    r.assert_status(200);
    assert_eq!(r.bytes, pdf);
    let headers: String = r.headers.iter().map(|(k, v)| format!("{k}: {}\n", String::from_utf8_lossy(v.as_bytes()))).collect();
    assert!(headers.contains(&format!("{code}.pdf")), "{headers}");
    for word in ["EF王老师", "甲一小学", "%E7%8E%8B", "EF"] {
        assert!(!headers.contains(word), "{word} in {headers}");
    }
    // The judge reads no file by its school's address, and none of another contest.
    assert!(matches!(j.get(&format!("/contests/files/{f}")).await.status.as_u16(), 403 | 404));
    let (other, other_entry) = open_contest(&app, "EF另一比赛").await;
    store::contests::files::attach(st, &sys(), &who(), domain::contests::ContestEntryId(other_entry), "other.pdf", b"%PDF-1.4\n% other\n").await.unwrap();
    let f2: i64 = store::on_db!(app.t.db(), |p| sqlx::query_scalar("SELECT id FROM contest_entry_file WHERE contest_id = $1").bind(other).fetch_one(p).await).unwrap();
    assert_eq!(j.get(&format!("/contests/files/{f2}/blind")).await.status.as_u16(), 404);
    // A judge from school A (own school's entry: conflict) gets nothing either.
    let jm_a = member(st, o.school_a, "EF甲校评委", 54).await;
    let _ = store::contests::add_judge(st, &sys(), &who(), domain::contests::ContestId(id), jm_a, &[]).await;
    let judge_a = app.account_full("ef-judge-a", Role::Member, o.school_a, Some(jm_a), None).await;
    let mut ja = app.client_for(judge_a).await;
    assert_eq!(ja.get(&format!("/contests/files/{f}/blind")).await.status.as_u16(), 404);
});

dual_test!(async fn contests_winners_go_to_the_upper_level_and_its_prizes_come_back_as_honours(t) {
    let app = TestApp::new(t).await;
    let o = app.org.clone();
    let (id, winners) = published(&app).await;
    let staff = app.account("up-staff", Role::UnionStaff, o.union).await;
    let mut s = app.client_for(staff).await;
    // The upper level's sheet: both winners, marked forwarded, audited.
    let x = s.get(&format!("/contests/{id}/forward.xlsx")).await;
    x.assert_status(200);
    assert!(x.bytes.starts_with(b"PK"));
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(x.bytes.clone())).unwrap();
    let mut strings = String::new();
    std::io::Read::read_to_string(&mut zip.by_name("xl/sharedStrings.xml").unwrap(), &mut strings).unwrap();
    assert!(strings.contains("欧阳修远") && strings.contains("诸葛晴岚"), "{strings}");
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM contest_entry WHERE forwarded_on IS NOT NULL").await, 2);
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM audit_log WHERE action = 'contest.forward'").await, 1);
    // A school's chair neither exports nor records.
    let chair_a = app.account("up-chair-a", Role::SchoolChair, o.school_a).await;
    let mut a = app.client_for(chair_a).await;
    assert!(matches!(a.get(&format!("/contests/{id}/forward.xlsx")).await.status.as_u16(), 403 | 404));
    let (e0, _) = &winners[0];
    let e0 = e0.to_string();
    let today = chrono::Utc::now().date_naive().to_string();
    let url = format!("/contests/{id}/upper");
    let r = a.post(&url, &[("entry", &e0), ("name", "UP市书法比赛"), ("level", "city"), ("tier", "first"), ("on", &today)]).await;
    assert!(matches!(r.status.as_u16(), 403 | 404));
    // No name and a level not above the district's: refused at both, the tier kept.
    let r = s.post(&url, &[("entry", &e0), ("name", " "), ("level", "district"), ("tier", "second"), ("on", &today)]).await;
    assert_eq!(r.status.as_u16(), 422);
    assert!(!r.select(&format!("#un-{e0} ~ .field-error")).is_empty());
    assert!(!r.select(&format!("#ul-{e0} ~ .field-error")).is_empty());
    assert!(!r.select(&format!("#ut-{e0} option[value=second][selected]")).is_empty());
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM contest_entry WHERE upper_tier IS NOT NULL").await, 0);
    // A forged entry (not of this contest): 404.
    assert_eq!(s.post(&url, &[("entry", "999999"), ("name", "x"), ("level", "city"), ("tier", "first"), ("on", &today)]).await.status.as_u16(), 404);
    // The city's second prize recorded: on the results, in the register, in the figures.
    s.post(&url, &[("entry", &e0), ("name", "UP市书法比赛"), ("level", "city"), ("tier", "second"), ("on", &today)]).await.assert_status(303);
    let page = s.get(&format!("/contests/{id}/results")).await;
    let line = page.select(&format!("#u{e0} .upper-result")).join(" ");
    assert!(line.contains("UP市书法比赛") && (line.contains("二等奖") || line.contains("Second")), "{line}");
    let reg = a.get("/honours/register?level=city").await;
    assert_eq!(reg.select("table.honours-register td.holder"), vec!["欧阳修远".to_string()]);
    let reach = store::area::Reach::of(&sys::<domain::auth::perm::ContestView>());
    let figures = store::contests::year_figures(&app.t.store, &reach, 2026).await.unwrap();
    let upper: Vec<_> = figures.iter().filter(|f| f.key == "figure-contests-upper-prizes").collect();
    assert_eq!(upper.len(), 1);
    assert_eq!((upper[0].unit, upper[0].value), (o.school_a, 1));
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM audit_log WHERE action = 'contest.upper_result'").await, 1);
});
