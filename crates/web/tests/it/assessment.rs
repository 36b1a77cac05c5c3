//! Staff homes and the annual assessment over HTTP (issue 17): a school's chair
//! self-assesses with a photo as evidence, its area lead recommends, two district reviewers
//! approve and the register shows the level; bad input comes back at its field with what was
//! typed and nothing stored; the annual assessment ranks the schools, vetoes the one without
//! a quorate congress and its ledger links each point to its figure's records; the chair of
//! school B can neither see nor change school A's assessment. Both engines.
//!
//! Must never assert markup alone where a person would notice something else: field errors
//! are read from the element under the field, leaks from the whole page text.

use domain::auth::Role;
use testkit::app::TestApp;
use testkit::*;
use web::i18n::{Lang, catalogue_keys};

fn self_assessment<'a>(
    school: &'a str,
    level: &'a str,
    s1: &'a str,
    evidence: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("school", school),
        ("level", level),
        ("score0", "14"),
        ("score1", s1),
        ("score2", "13"),
        ("score3", "14"),
        ("score4", "12"),
        ("score5", "13"),
        ("evidence", evidence),
    ]
}

async fn applications(app: &TestApp) -> i64 {
    store::on_db!(app.t.db(), |p| sqlx::query_scalar(
        "SELECT COUNT(*) FROM home_application"
    )
    .fetch_one(p)
    .await)
    .unwrap()
}

async fn hand_scores(app: &TestApp) -> i64 {
    store::on_db!(app.t.db(), |p| sqlx::query_scalar(
        "SELECT COUNT(*) FROM annual_hand_score"
    )
    .fetch_one(p)
    .await)
    .unwrap()
}

#[test]
fn every_message_of_the_area_is_in_both_catalogues() {
    for lang in [Lang::Zh, Lang::En] {
        let keys = catalogue_keys(lang);
        for k in domain::assessment::text::ALL {
            assert!(keys.contains(*k), "{k} missing in {lang:?}");
        }
        for s in domain::assessment::current().standards {
            assert!(
                keys.contains(&format!("assessment-standard-{}", s.code)),
                "{} in {lang:?}",
                s.code
            );
        }
        for i in domain::assessment::current().indicators {
            assert!(
                keys.contains(&format!("assessment-indicator-{}", i.code)),
                "{} in {lang:?}",
                i.code
            );
        }
        for i in domain::assessment::current().hand {
            assert!(
                keys.contains(&format!("assessment-indicator-{}", i.code)),
                "{} in {lang:?}",
                i.code
            );
        }
        for k in ["due-assessment-recommend", "due-assessment-review"] {
            assert!(keys.contains(k), "{k} in {lang:?}");
        }
    }
}

dual_test!(async fn a_school_self_assesses_with_a_photo_its_area_recommends_and_two_reviewers_award_the_level(t) {
    let app = TestApp::new(t).await;
    let o = app.org.clone();
    let school = o.school_a.0.to_string();
    let mut chair = app.client_as(Role::SchoolChair, o.school_a).await;
    let form = chair.get("/assessment/homes/new").await;
    form.assert_status(200);
    assert_eq!(form.select("#score5").len(), 1, "one field per standard");
    let r = chair.post("/assessment/homes/new", &self_assessment(&school, "qualified", "22", "教工之家活动室.jpg\n/congress")).await;
    r.assert_status(303);
    let href = r.location().unwrap();
    let page = chair.follow(&r).await;
    page.assert_status(200);
    assert!(page.text().contains("教工之家活动室.jpg"), "the evidence is listed");
    assert_eq!(page.select("#application-status").join(""), "已自评");
    // The chair has no recommend or review form.
    assert!(page.select("form[action$='/recommend']").is_empty());
    assert_eq!(chair.post(&format!("{href}/recommend"), &[("decision", "recommend"), ("score", "90")]).await.status.as_u16(), 403);

    // The area lead: a score below the level's least is refused at the field, kept.
    let mut lead = app.client_as(Role::AreaLead, o.area_a).await;
    let r = lead.post(&format!("{href}/recommend"), &[("decision", "recommend"), ("score", "40"), ("note", "")]).await;
    assert_eq!(r.status.as_u16(), 422);
    assert!(r.select("#score-error").join("").contains("60"), "{}", r.select("#score-error").join(""));
    assert!(r.text().contains("value=\"40\""));
    lead.post(&format!("{href}/recommend"), &[("decision", "recommend"), ("score", "88"), ("note", "材料齐全")]).await.assert_status(303);

    // Two district reviewers: the same one twice is refused at the field.
    let staff1 = app.account("shenhe1", Role::UnionStaff, o.union).await;
    let staff2 = app.account("shenhe2", Role::UnionStaff, o.union).await;
    let mut s1 = app.client_for(staff1).await;
    s1.post(&format!("{href}/review"), &[("decision", "approve"), ("reason", "")]).await.assert_status(303);
    let r = s1.post(&format!("{href}/review"), &[("decision", "approve"), ("reason", "")]).await;
    assert_eq!(r.status.as_u16(), 422);
    assert!(!r.select("#reason-error").join("").is_empty());
    let mut s2 = app.client_for(staff2).await;
    let r = s2.post(&format!("{href}/review"), &[("decision", "approve"), ("reason", "")]).await;
    r.assert_status(303);
    let page = s2.follow(&r).await;
    assert_eq!(page.select("#application-status").join(""), "已评定");
    let reg = s2.get("/assessment/homes?level=qualified").await;
    reg.assert_status(200);
    assert!(reg.text().contains("甲一小学工会") && !reg.text().contains("乙一小学工会"), "the filter shows the qualified school only");
});

dual_test!(async fn bad_input_comes_back_at_its_field_with_what_was_typed(t) {
    let app = TestApp::new(t).await;
    let o = app.org.clone();
    let school = o.school_a.0.to_string();
    let mut chair = app.client_as(Role::SchoolChair, o.school_a).await;
    let r = chair.post("/assessment/homes/new", &self_assessment(&school, "qualified", "26", "安装包.exe")).await;
    assert_eq!(r.status.as_u16(), 422);
    let score = r.select("#score1-error").join("");
    assert!(score.contains("25"), "the range is named: {score}");
    let ev = r.select("#evidence-error").join("");
    assert!(ev.contains("安装包.exe"), "the refused item is named: {ev}");
    assert!(r.text().contains("value=\"26\""), "the typed score is kept");
    assert!(r.text().contains("安装包.exe"), "the typed evidence is kept");
    // A higher level before the one below: refused at the level.
    let r = chair.post("/assessment/homes/new", &self_assessment(&school, "model", "20", "a.png")).await;
    assert_eq!(r.status.as_u16(), 422);
    assert!(!r.select("#level-error").join("").is_empty());
    assert_eq!(applications(&app).await, 0, "nothing stored");
});

dual_test!(async fn the_annual_assessment_ranks_vetoes_and_prints_the_ledger_and_school_b_cannot_reach_school_a(t) {
    let app = TestApp::new(t).await;
    let o = app.org.clone();
    let st = &app.t.store;
    let year = domain::congress::school_year(web::today()) - 1;
    store::congress::oversight::record_exemption(st, &sys(), &who(), o.school_a2, year, "校舍整体搬迁").await.unwrap();
    let mut staff = app.client_as(Role::UnionStaff, o.union).await;
    let page = staff.get(&format!("/assessment?year={year}")).await;
    page.assert_status(200);
    let text = page.text();
    assert!(text.contains("甲一小学工会") && text.contains("乙一小学工会"));
    // A and B held no quorate meeting: vetoed; A2 is exempted with its reason.
    let vetoed = page.select("tr.flagged td:nth-child(2)").join(" ");
    assert!(vetoed.contains("甲一小学工会") && vetoed.contains("乙一小学工会") && !vetoed.contains("甲二中学工会"), "{vetoed}");
    assert!(text.contains("校舍整体搬迁"));
    assert_eq!(page.select(&format!("tr[data-school='{}'] td:nth-child(1)", o.school_a2.0)).join(""), "1", "the exempted school ranks first");
    let weak = page.select(".weak-list li").join(" ");
    assert!(weak.contains("甲一小学工会") && weak.contains("未召开达到法定人数的教代会"), "{weak}");
    // The ledger prints; each point links to its figure's records.
    let ledger = staff.get(&format!("/assessment/schools/{}?year={year}", o.school_a.0)).await;
    ledger.assert_status(200);
    assert!(!ledger.select("#ledger-veto").join("").is_empty(), "the veto is on the ledger");
    assert!(ledger.text().contains(&format!("/congress/oversight?year={year}")), "the congress line links to its list");
    let xlsx = staff.get(&format!("/assessment.xlsx?year={year}")).await;
    xlsx.assert_status(200);

    // The chair of school B: school A is neither listed nor reachable, nor changeable.
    let mut chair_a = app.client_as(Role::SchoolChair, o.school_a).await;
    let school_a = o.school_a.0.to_string();
    let r = chair_a.post("/assessment/homes/new", &self_assessment(&school_a, "qualified", "22", "a.jpg")).await;
    r.assert_status(303);
    let href = r.location().unwrap();
    let mut chair_b = app.client_as(Role::SchoolChair, o.school_b).await;
    let mine = chair_b.get(&format!("/assessment?year={year}")).await;
    mine.assert_status(200);
    assert!(!mine.text().contains("甲一小学工会") && mine.text().contains("乙一小学工会"));
    assert_eq!(chair_b.get(&format!("/assessment/schools/{}?year={year}", o.school_a.0)).await.status.as_u16(), 404);
    assert_eq!(chair_b.get(&href).await.status.as_u16(), 404);
    assert!(!chair_b.get("/assessment/homes").await.text().contains("甲一小学工会"));
    assert_eq!(chair_b.post("/assessment/homes/new", &self_assessment(&school_a, "qualified", "22", "a.jpg")).await.status.as_u16(), 404);
    assert_eq!(chair_b.post(&format!("{href}/review"), &[("decision", "refuse"), ("reason", "x")]).await.status.as_u16(), 403);
    // Area B's lead holds the permission but not the scope: 404, nothing changed.
    let mut lead_b = app.client_as(Role::AreaLead, o.area_b).await;
    assert_eq!(lead_b.post(&format!("{href}/recommend"), &[("decision", "not"), ("score", "10"), ("note", "")]).await.status.as_u16(), 404);
    let page = chair_a.get(&href).await;
    assert_eq!(page.select("#application-status").join(""), "已自评");
});

dual_test!(async fn hand_scores_and_appeals_on_the_ledger_keep_what_was_typed_and_stay_out_of_school_bs_reach(t) {
    let app = TestApp::new(t).await;
    let o = app.org.clone();
    let year = domain::congress::school_year(web::today()).to_string();
    let ledger = format!("/assessment/schools/{}?year={year}", o.school_a.0);
    let hand_url = format!("/assessment/schools/{}/hand", o.school_a.0);
    let appeal_url = format!("/assessment/schools/{}/appeal", o.school_a.0);
    let mut lead = app.client_as(Role::AreaLead, o.area_a).await;
    let page = lead.get(&ledger).await;
    page.assert_status(200);
    let offered = page.select("#hand-indicator option").join(" ");
    assert!(offered.contains("台账资料规范") && !offered.contains("特色创新"), "the area lead scores the area's indicator only: {offered}");
    // Out of range and a forbidden type: 422 at the fields, the typed values kept, nothing stored.
    let r = lead.post(&hand_url, &[("year", year.as_str()), ("indicator", "records"), ("points", "7"), ("evidence", "病毒.exe")]).await;
    assert_eq!(r.status.as_u16(), 422);
    assert!(r.select("#hand-points-error").join("").contains('5'), "the range is named");
    assert!(r.select("#hand-evidence-error").join("").contains("病毒.exe"));
    assert!(r.text().contains("value=\"7\"") && r.text().contains("病毒.exe"), "typed values kept");
    // The district's indicator is not the area lead's to score.
    assert_eq!(lead.post(&hand_url, &[("year", year.as_str()), ("indicator", "innovation"), ("points", "3"), ("evidence", "a.pdf")]).await.status.as_u16(), 403);
    assert_eq!(hand_scores(&app).await, 0);
    // Area B's lead and school B's chair cannot score school A.
    let mut lead_b = app.client_as(Role::AreaLead, o.area_b).await;
    assert_eq!(lead_b.post(&hand_url, &[("year", year.as_str()), ("indicator", "records"), ("points", "0"), ("evidence", "a.pdf")]).await.status.as_u16(), 404);
    let mut chair_b = app.client_as(Role::SchoolChair, o.school_b).await;
    assert_eq!(chair_b.post(&hand_url, &[("year", year.as_str()), ("indicator", "records"), ("points", "0"), ("evidence", "a.pdf")]).await.status.as_u16(), 403);
    assert_eq!(hand_scores(&app).await, 0);

    let r = lead.post(&hand_url, &[("year", year.as_str()), ("indicator", "records"), ("points", "3"), ("evidence", "甲校台账.pdf\n/congress")]).await;
    r.assert_status(303);
    let page = lead.follow(&r).await;
    assert!(page.select("tr.hand-line").join(" ").contains("3 / 5"), "{}", page.select("tr.hand-line").join(" "));
    assert!(page.select("table.hand-history").join(" ").contains("甲校台账.pdf"));

    // School A's chair appeals: a reason is needed, and kept on refusal.
    let mut chair_a = app.client_as(Role::SchoolChair, o.school_a).await;
    let page = chair_a.get(&ledger).await;
    assert_eq!(page.select("#appeal-reason").len(), 1, "the chair is offered the appeal form");
    assert!(page.select("#hand-indicator").is_empty(), "the chair does not score");
    let r = chair_a.post(&appeal_url, &[("year", year.as_str()), ("indicator", "records"), ("reason", " ")]).await;
    assert_eq!(r.status.as_u16(), 422);
    assert!(!r.select("#appeal-reason-error").join("").is_empty());
    assert_eq!(chair_b.post(&appeal_url, &[("year", year.as_str()), ("indicator", "records"), ("reason", "乙校冒充")]).await.status.as_u16(), 404);
    chair_a.post(&appeal_url, &[("year", year.as_str()), ("indicator", "records"), ("reason", "台账已补齐")]).await.assert_status(303);
    let appeal: i64 = store::on_db!(app.t.db(), |p| sqlx::query_scalar("SELECT MAX(id) FROM annual_appeal").fetch_one(p).await).unwrap();
    let decide = format!("/assessment/appeals/{appeal}/decide");
    // School B's chair: neither the ledger nor the appeal.
    assert_eq!(chair_b.get(&ledger).await.status.as_u16(), 404);
    assert_eq!(chair_b.post(&decide, &[("decision", "change"), ("points", "5"), ("outcome", "x")]).await.status.as_u16(), 403);
    let mut staff_b = app.client_as(Role::UnionStaff, o.school_b).await;
    assert_eq!(staff_b.post(&decide, &[("decision", "change"), ("points", "5"), ("outcome", "x")]).await.status.as_u16(), 404);

    // The district decides: without a reason it comes back with the typed score.
    let mut staff = app.client_as(Role::UnionStaff, o.union).await;
    let r = staff.post(&decide, &[("decision", "change"), ("points", "5"), ("outcome", "")]).await;
    assert_eq!(r.status.as_u16(), 422);
    assert!(!r.select("#decide-outcome-error").join("").is_empty());
    assert!(r.text().contains("value=\"5\""));
    let r = staff.post(&decide, &[("decision", "change"), ("points", "5"), ("outcome", "复核属实")]).await;
    r.assert_status(303);
    let page = staff.follow(&r).await;
    assert_eq!(page.select(".appeal-status").join(""), "已改分");
    assert!(page.select("tr.hand-line").join(" ").contains("5 / 5"));
    let hist = page.select("table.hand-history tbody tr").len();
    assert_eq!(hist, 2, "the old score stays in the history");
    // The chair sees the outcome on its ledger.
    assert!(chair_a.get(&ledger).await.text().contains("复核属实"));
});

dual_test!(async fn the_ledger_and_the_nominations_export_as_workbooks_in_scope_and_the_export_is_audited(t) {
    let app = TestApp::new(t).await;
    let o = app.org.clone();
    let st = &app.t.store;
    let year = domain::congress::school_year(web::today()) - 1;
    let mut staff = app.client_as(Role::UnionStaff, o.union).await;
    let r = staff.get(&format!("/assessment/schools/{}/ledger.xlsx?year={year}", o.school_a.0)).await;
    r.assert_status(200);
    assert!(r.headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().contains("spreadsheetml"));
    let cells = testkit::fixtures::read_xlsx(&r.bytes).concat().join("|");
    assert!(cells.contains("甲一小学工会") && cells.contains("一票否决"), "the school and its veto: {cells}");
    assert!(cells.contains(&format!("/congress/oversight?year={year}")), "each figure with the address of its records");
    let ledger = staff.get(&format!("/assessment/schools/{}?year={year}", o.school_a.0)).await;
    assert_eq!(ledger.select("#ledger-xlsx").len(), 1, "the ledger links its workbook");
    let mut chair_b = app.client_as(Role::SchoolChair, o.school_b).await;
    assert_eq!(chair_b.get(&format!("/assessment/schools/{}/ledger.xlsx?year={year}", o.school_a.0)).await.status.as_u16(), 404);

    // Five schools (a model staff home takes at least five: 20 %); school A2 becomes one and
    // the city's nominations list it, audited.
    for i in 0..2u32 {
        store::org::create_unit(st, &sys::<domain::auth::perm::OrgManage>(), &who(), Some(o.area_b), &store::org::NewUnit {
            kind: domain::org::OrgKind::SchoolUnion, code: format!("N{i}"), name: format!("推荐学校{i}"),
            union_kind: None, school_kind: None, school_level: None, staff_count: 0, sort_order: 0,
        }).await.unwrap();
    }
    for level in ["qualified", "advanced", "model"] {
        let sa = domain::assessment::SelfAssessmentInput {
            level: level.into(),
            scores: ["14", "24", "14", "14", "14", "14"].iter().map(|s| s.to_string()).collect(),
            evidence: "甲二之家.jpg".into(),
        }
        .parse(domain::assessment::current())
        .unwrap();
        let id = store::assessment::homes::apply(st, &sys(), &store::audit::Who::system("主席"), o.school_a2, &sa, web::today()).await.unwrap();
        store::assessment::homes::recommend(st, &sys(), &store::audit::Who::system("片长"), id, true, 95, "", web::today()).await.unwrap();
        store::assessment::homes::review(st, &sys(), &store::audit::Who::system("审一"), id, true, "", web::today()).await.unwrap();
        store::assessment::homes::review(st, &sys(), &store::audit::Who::system("审二"), id, true, "", web::today()).await.unwrap();
    }
    let page = staff.get("/assessment/homes").await;
    assert_eq!(page.select("#nominations-city").len(), 1, "the district is offered the export");
    let r = staff.get("/assessment/homes/nominations.xlsx?tier=city").await;
    r.assert_status(200);
    let rows = testkit::fixtures::read_xlsx(&r.bytes);
    let flat = rows.concat().join("|");
    assert!(flat.contains("甲二中学工会") && flat.contains("推荐") && flat.contains("甲二之家.jpg"), "{flat}");
    assert!(!flat.contains("乙一小学工会"), "a school below the level is not a candidate");
    assert_eq!(staff.get("/assessment/homes/nominations.xlsx?tier=moon").await.status.as_u16(), 404);
    let audited: i64 = store::on_db!(app.t.db(), |p| sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'home_nomination.export'").fetch_one(p).await).unwrap();
    assert_eq!(audited, 1);
    // A school's chair and an area lead may not export nominations.
    let mut chair_a = app.client_as(Role::SchoolChair, o.school_a).await;
    assert_eq!(chair_a.get("/assessment/homes/nominations.xlsx?tier=city").await.status.as_u16(), 403);
    assert!(chair_a.get("/assessment/homes").await.select("#nominations-city").is_empty());
    let mut lead = app.client_as(Role::AreaLead, o.area_a).await;
    assert_eq!(lead.get("/assessment/homes/nominations.xlsx?tier=city").await.status.as_u16(), 403);
});

/// A JPEG's first bytes, then some body.
fn jpeg(tag: &str) -> Vec<u8> {
    let mut v = vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10];
    v.extend(format!("JFIF {tag}").as_bytes());
    v
}

/// A Windows program: its first bytes are "MZ", whatever the name says.
fn program() -> Vec<u8> {
    let mut v = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00".to_vec();
    v.extend(b"This program cannot be run in DOS mode.");
    v
}

async fn evidence_files(app: &TestApp) -> i64 {
    store::on_db!(app.t.db(), |p| sqlx::query_scalar(
        "SELECT COUNT(*) FROM home_evidence"
    )
    .fetch_one(p)
    .await)
    .unwrap()
}

dual_test!(async fn evidence_files_are_judged_by_content_seen_by_the_area_and_the_district_and_out_of_school_bs_reach(t) {
    let app = TestApp::new(t).await;
    let o = app.org.clone();
    let school = o.school_a.0.to_string();
    let mut chair = app.client_as(Role::SchoolChair, o.school_a).await;
    let form = chair.get("/assessment/homes/new").await;
    assert_eq!(form.select("input[type=file][name=file4]").len(), 1, "a file per standard");
    assert_eq!(form.attrs("form[action='/assessment/homes/new']", "enctype"), vec!["multipart/form-data".to_string()]);
    // A program renamed .jpg: refused at its field with the forbidden-type message, the
    // typed scores kept, nothing stored.
    let fields = self_assessment(&school, "qualified", "22", "");
    let r = chair.post_multipart("/assessment/homes/new", &fields, Some(("file4", "活动室.jpg", program()))).await;
    assert_eq!(r.status.as_u16(), 422);
    let e = r.select("#file4-error").join("");
    assert!(e.contains("活动室.jpg") && e.contains("不允许的佐证材料类型"), "{e}");
    assert!(r.text().contains("value=\"22\""), "the typed score is kept");
    // Too large, even with a photo's first bytes: refused at the field with the limit.
    let mut big = jpeg("big");
    big.resize(store::kit::PROOF_MAX_BYTES + 1, 0);
    let r = chair.post_multipart("/assessment/homes/new", &fields, Some(("file4", "大照片.jpg", big))).await;
    assert_eq!(r.status.as_u16(), 422);
    assert!(r.select("#file4-error").join("").contains('5'), "{}", r.select("#file4-error").join(""));
    assert_eq!((applications(&app).await, evidence_files(&app).await), (0, 0), "nothing stored");

    // A real photo as the only evidence: accepted, listed by standard, downloadable.
    let photo = jpeg("premises");
    let r = chair.post_multipart("/assessment/homes/new", &fields, Some(("file4", "职工之家活动室.jpg", photo.clone()))).await;
    r.assert_status(303);
    let href = r.location().unwrap();
    let page = chair.follow(&r).await;
    assert!(page.select("table.evidence-files").join(" ").contains("职工之家活动室.jpg"), "{}", page.text());
    let link = page.attrs("a.evidence-file", "href")[0].clone();
    assert!(link.starts_with("/assessment/evidence/"));

    // The chair adds a file while the area has not scored: a disguised one is refused at
    // the field, a PDF accepted.
    let attach = format!("{href}/evidence");
    let r = chair.post_multipart(&attach, &[("standard", "democracy")], Some(("file", "会议记录.pdf", program()))).await;
    assert_eq!(r.status.as_u16(), 422);
    assert!(r.select("#file-error").join("").contains("会议记录.pdf"));
    chair.post_multipart(&attach, &[("standard", "democracy")], Some(("file", "会议记录.pdf", b"%PDF-1.7\n%minutes\n".to_vec()))).await.assert_status(303);
    assert_eq!(evidence_files(&app).await, 2);

    // School B's chair: neither fetches nor attaches; area B's lead neither; anonymous is
    // sent to log in.
    let mut chair_b = app.client_as(Role::SchoolChair, o.school_b).await;
    assert_eq!(chair_b.get(&link).await.status.as_u16(), 404);
    assert_eq!(chair_b.post_multipart(&attach, &[("standard", "premises")], Some(("file", "乙.jpg", jpeg("b")))).await.status.as_u16(), 404);
    let mut lead_b = app.client_as(Role::AreaLead, o.area_b).await;
    assert_eq!(lead_b.get(&link).await.status.as_u16(), 404);
    let anon = app.anon().get(&link).await;
    assert!(matches!(anon.status.as_u16(), 303 | 401), "{}", anon.status);
    assert_ne!(anon.bytes, photo);
    assert_eq!(evidence_files(&app).await, 2, "nothing attached by school B");

    // The area lead and a district reviewer see and download it, as the type its content
    // proved, never sniffed.
    let mut lead = app.client_as(Role::AreaLead, o.area_a).await;
    assert!(lead.get(&href).await.select("a.evidence-file").join(" ").contains("职工之家活动室.jpg"));
    let f = lead.get(&link).await;
    f.assert_status(200);
    assert_eq!(f.bytes, photo);
    assert_eq!(f.headers.get("content-type").unwrap(), "image/jpeg");
    assert_eq!(f.headers.get("x-content-type-options").unwrap(), "nosniff");
    let mut staff = app.client_as(Role::UnionStaff, o.union).await;
    assert_eq!(staff.get(&link).await.bytes, photo);

    // Once the area has scored, the evidence is what was scored: no more files.
    lead.post(&format!("{href}/recommend"), &[("decision", "recommend"), ("score", "88"), ("note", "")]).await.assert_status(303);
    let r = chair.post_multipart(&attach, &[("standard", "premises")], Some(("file", "迟到.jpg", jpeg("late")))).await;
    r.assert_status(303);
    assert!(chair.follow(&r).await.text().contains("不能再更改"));
    assert_eq!(evidence_files(&app).await, 2);

    // The ledger of the school's year links to the files, on the page and in the workbook.
    let year = domain::congress::school_year(web::today());
    let ledger = staff.get(&format!("/assessment/schools/{}?year={year}", o.school_a.0)).await;
    assert!(ledger.attrs("table.ledger-evidence a.evidence-file", "href").contains(&link), "{}", ledger.text());
    let x = staff.get(&format!("/assessment/schools/{}/ledger.xlsx?year={year}", o.school_a.0)).await;
    let cells = testkit::fixtures::read_xlsx(&x.bytes).concat().join("|");
    assert!(cells.contains("职工之家活动室.jpg") && cells.contains(&link), "{cells}");
});
