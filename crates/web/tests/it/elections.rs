//! Union committees and elections over HTTP (issue 22): a school records its committee and
//! applies, the district approves, the school nominates, records the vote, the district
//! approves the result and the new committee appears with its term; a retirement appears
//! on the district's by-election list; a list with too few candidates comes back at its
//! field with what was typed and nothing stored; another school's chair gets 404 and a
//! school chair cannot approve (403). Both engines.
//!
//! Must never assert markup alone where a person would notice something else: messages are
//! read from the element under the field, names from the page's text.

use domain::auth::Role;
use testkit::app::{Resp, TestApp};
use testkit::*;
use web::i18n::{Lang, catalogue_keys};

#[test]
fn every_message_of_the_area_is_in_both_catalogues() {
    for lang in [Lang::Zh, Lang::En] {
        let keys = catalogue_keys(lang);
        for k in domain::elections::text::ALL {
            assert!(keys.contains(*k), "{k} missing in {lang:?}");
        }
        for k in [
            "due-elections-term",
            "due-elections-vacancy",
            "due-elections-approval",
        ] {
            assert!(keys.contains(k), "{k} missing in {lang:?}");
        }
    }
}

/// The names of the inputs matching `css` (e.g. the vote fields of the candidates).
fn input_names(r: &Resp, css: &str) -> Vec<String> {
    let sel = scraper::Selector::parse(css).unwrap();
    r.html()
        .select(&sel)
        .filter_map(|e| e.value().attr("name").map(str::to_string))
        .collect()
}

async fn count(app: &TestApp, sql: &'static str) -> i64 {
    store::on_db!(app.t.db(), |p| sqlx::query_scalar(sql).fetch_one(p).await).unwrap()
}

async fn people(app: &TestApp, school: domain::ids::OrgUnitId) -> Vec<domain::ids::MemberId> {
    let mut out = Vec::new();
    for (i, n) in ["赵一", "钱二", "孙三", "李四", "周五", "吴六"]
        .iter()
        .enumerate()
    {
        out.push(member(&app.t.store, school, n, 40 + i as u32).await);
    }
    out
}

dual_test!(async fn a_school_applies_the_district_approves_members_vote_and_the_new_committee_appears_with_its_term(t) {
    let app = TestApp::new(t).await;
    let o = app.org.clone();
    let ids = people(&app, o.school_a).await;
    let mut chair = app.client_as(Role::SchoolChair, o.school_a).await;
    let mut staff = app.client_as(Role::UnionStaff, o.union).await;
    // The school records its committee: its term ended in August.
    let unit = o.school_a.0.to_string();
    let r = chair.post("/elections/committees", &[("unit", unit.as_str()), ("kind", "union_committee"), ("seats", "3"), ("term_start", "2021-09-01"), ("term_years", "5"), ("holders", "赵一\n钱二\n孙三")]).await;
    r.assert_status(303);
    let committee = r.location().unwrap();
    // The district's list shows the term as overdue.
    let list = staff.get("/elections").await;
    list.assert_status(200);
    assert!(list.text().contains("甲一小学工会"));
    assert!(!list.select("tr.overdue").is_empty(), "the overdue term is marked");
    // The school applies for the general election.
    let r = chair.post(&format!("{committee}/apply"), &[("kind", "general_election"), ("seats", "3"), ("assembly", "member_assembly"), ("term_years", "5")]).await;
    r.assert_status(303);
    let election = r.location().unwrap();
    // The district approves three seats.
    staff.post(&format!("{election}/approve"), &[("seats", "3")]).await.assert_status(303);
    // The school nominates four candidates for three seats (差额).
    chair.post(&format!("{election}/nominate"), &[("candidates", "赵一\n钱二\n李四\n周五")]).await.assert_status(303);
    staff.post(&format!("{election}/approve-slate"), &[]).await.assert_status(303);
    // The members' vote: 30 due, 24 present; 赵一 20, 钱二 18, 李四 16, 周五 6.
    let page = chair.get(&election).await;
    let votes = input_names(&page, "input[name^='votes_']");
    assert_eq!(votes.len(), 4, "a vote field per candidate");
    let counts = ["20", "18", "16", "6"];
    let mut form: Vec<(&str, &str)> = vec![("due", "30"), ("present", "24"), ("held_on", "2026-11-20")];
    for (n, v) in votes.iter().zip(counts) {
        form.push((n.as_str(), v));
    }
    chair.post(&format!("{election}/result"), &form).await.assert_status(303);
    // The chair cannot approve the result; the district does.
    let r = chair.post(&format!("{election}/confirm"), &[]).await;
    assert_eq!(r.status.as_u16(), 403);
    let r = staff.post(&format!("{election}/confirm"), &[]).await;
    r.assert_status(303);
    let page = staff.follow(&r).await;
    page.assert_status(200);
    // Every step of the history names its rule-set version.
    let versions = page.select("table.steps td:nth-child(4)");
    assert_eq!(versions.len(), 6, "six steps");
    assert!(versions.iter().all(|v| v.contains('1')), "{versions:?}");
    // The new committee appears with its term and the elected (more than 15 of 30 votes).
    let page = chair.get(&committee).await;
    page.assert_status(200);
    let term = page.select("dd.term").join(" ");
    assert!(term.contains("2026") && term.contains("2031"), "the new term: {term}");
    let holders = page.select("table.seats td:nth-child(2)").join(" ");
    assert!(holders.contains("赵一") && holders.contains("钱二") && holders.contains("李四"), "{holders}");
    assert!(!holders.contains("孙三"), "the old member left with the old term: {holders}");
    // A retirement makes a vacancy on the district's by-election list.
    store::org::change_status(&app.t.store, &sys(), &who(), ids[3], domain::org::MemberStatus::Retired, today(), None).await.unwrap();
    let list = staff.get("/elections").await;
    let vac = list.select("table.elections-vacancies tbody tr").join(" ");
    assert!(vac.contains("甲一小学工会") && vac.contains("李四"), "the vacancy is listed: {vac}");
    // The print view of the documents shows the result report.
    let doc = staff.get(&format!("{election}/report")).await;
    doc.assert_status(200);
    assert!(doc.text().contains("李四") && doc.text().contains("24"));
    // The four documents as Word files, linked from the election's page: each names the
    // school; the list its candidates; the report the votes; the approval the new term.
    let page = staff.get(&election).await;
    let links = page.attrs("a.docx", "href");
    let mut other = app.client_as(Role::SchoolChair, o.school_b).await;
    let want: [(&str, &[&str]); 4] = [
        ("application.docx", &["甲一小学工会", "换届选举", "会员大会", "名额 3 名", "5 年"]),
        ("candidates.docx", &["甲一小学工会", "候选人名单", "1. 赵一", "4. 周五", "至少 4 名"]),
        ("report.docx", &["甲一小学工会", "选举结果报告", "应到会有选举权人数 30 人，实到 24 人", "李四　得票 16　当选", "周五　得票 6"]),
        ("approval.docx", &["甲一小学工会", "批复", "名额 3 名", "当选：赵一、钱二、李四", "2031"]),
    ];
    for (file, words) in want {
        let href = format!("{election}/{file}");
        assert!(links.contains(&href), "{href} linked from the election: {links:?}");
        let r = chair.get(&href).await;
        r.assert_status(200);
        assert_eq!(r.headers.get(http::header::CONTENT_TYPE).unwrap(), "application/vnd.openxmlformats-officedocument.wordprocessingml.document");
        let disp = r.headers.get(http::header::CONTENT_DISPOSITION).unwrap().to_str().unwrap().to_string();
        assert!(disp.starts_with("attachment;") && disp.ends_with(".docx"), "{disp}");
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(r.bytes.clone())).expect("a .docx is a zip");
        let mut xml = String::new();
        std::io::Read::read_to_string(&mut zip.by_name("word/document.xml").expect("word/document.xml"), &mut xml).unwrap();
        for w in words {
            assert!(xml.contains(w), "{w} not in {file}");
        }
        // Another school's chair gets none of them; nor does a forged id.
        assert_eq!(other.get(&href).await.status.as_u16(), 404, "{href}");
        assert_eq!(chair.get(&format!("/elections/999999/{file}")).await.status.as_u16(), 404);
    }
});

dual_test!(async fn too_few_candidates_are_refused_at_the_field_with_what_was_typed_and_nothing_stored(t) {
    let app = TestApp::new(t).await;
    let o = app.org.clone();
    people(&app, o.school_a).await;
    let mut chair = app.client_as(Role::SchoolChair, o.school_a).await;
    let mut staff = app.client_as(Role::UnionStaff, o.union).await;
    let unit = o.school_a.0.to_string();
    // A term of four years is not in the rule set: refused at the field.
    let r = chair.post("/elections/committees", &[("unit", unit.as_str()), ("kind", "union_committee"), ("seats", "3"), ("term_start", "2024-09-01"), ("term_years", "4"), ("holders", "赵一")]).await;
    assert_eq!(r.status.as_u16(), 422);
    let e = r.select("#term_years-error").join(" ");
    assert!(e.contains('3') && e.contains('5'), "the allowed terms are named: {e}");
    assert!(r.text().contains("赵一"), "the holders typed are kept");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM committee").await, 0);
    let r = chair.post("/elections/committees", &[("unit", unit.as_str()), ("kind", "union_committee"), ("seats", "3"), ("term_start", "2024-09-01"), ("term_years", "5"), ("holders", "赵一")]).await;
    let committee = r.location().unwrap();
    let r = chair.post(&format!("{committee}/apply"), &[("kind", "by_election"), ("seats", "2"), ("assembly", "member_assembly"), ("term_years", "")]).await;
    let election = r.location().unwrap();
    // Nominating before the district's approval: refused, with the reason.
    let r = chair.post(&format!("{election}/nominate"), &[("candidates", "钱二\n孙三\n李四")]).await;
    assert_eq!(r.status.as_u16(), 422);
    staff.post(&format!("{election}/approve"), &[("seats", "2")]).await.assert_status(303);
    // Two candidates for two seats of a union committee: not competitive.
    let r = chair.post(&format!("{election}/nominate"), &[("candidates", "钱二\n孙三")]).await;
    assert_eq!(r.status.as_u16(), 422);
    let e = r.select("#candidates-error").join(" ");
    assert!(e.contains('3') && (e.contains("差额") || e.contains("competitive")), "the number needed is said: {e}");
    assert!(r.select("#candidates").join(" ").contains("孙三"), "the names typed are kept");
    // A name that is no member of this school.
    let r = chair.post(&format!("{election}/nominate"), &[("candidates", "钱二\n孙三\n王不存在")]).await;
    assert_eq!(r.status.as_u16(), 422);
    assert!(r.select("#candidates-error").join(" ").contains("王不存在"));
    assert_eq!(count(&app, "SELECT COUNT(*) FROM election_candidate").await, 0);
});

dual_test!(async fn another_schools_chair_gets_404_and_a_school_chair_cannot_approve(t) {
    let app = TestApp::new(t).await;
    let o = app.org.clone();
    people(&app, o.school_a).await;
    let mut chair = app.client_as(Role::SchoolChair, o.school_a).await;
    let unit = o.school_a.0.to_string();
    let r = chair.post("/elections/committees", &[("unit", unit.as_str()), ("kind", "union_committee"), ("seats", "3"), ("term_start", "2024-09-01"), ("term_years", "5"), ("holders", "赵一\n钱二")]).await;
    let committee = r.location().unwrap();
    let r = chair.post(&format!("{committee}/apply"), &[("kind", "by_election"), ("seats", "1"), ("assembly", "member_assembly"), ("term_years", "")]).await;
    let election = r.location().unwrap();
    // School A's chair cannot approve their own application.
    assert_eq!(chair.post(&format!("{election}/approve"), &[("seats", "1")]).await.status.as_u16(), 403);
    let mut other = app.client_as(Role::SchoolChair, o.school_b).await;
    for path in [committee.clone(), election.clone(), format!("{election}/report")] {
        let r = other.get(&path).await;
        assert_eq!(r.status.as_u16(), 404, "{path}");
        assert!(!r.text().contains("甲一小学工会") && !r.text().contains("赵一"));
    }
    for (path, form) in [
        (format!("{committee}/apply"), vec![("kind", "by_election"), ("seats", "1"), ("assembly", "member_assembly"), ("term_years", "")]),
        (format!("{election}/nominate"), vec![("candidates", "钱二\n孙三")]),
        (format!("{election}/result"), vec![("due", "10"), ("present", "9"), ("held_on", "2026-11-20")]),
    ] {
        assert_eq!(other.post(&path, &form).await.status.as_u16(), 404, "{path}");
    }
    // B's list names nothing of A.
    let list = other.get("/elections").await;
    list.assert_status(200);
    assert!(!list.text().contains("甲一小学工会"));
    // A member of A has no access at all.
    let mut m = app.client_as(Role::Member, o.school_a).await;
    let s = m.get(&election).await.status.as_u16();
    assert!(s == 403 || s == 404, "{s}");
    // Nothing changed: the application still waits for the district.
    assert_eq!(count(&app, "SELECT COUNT(*) FROM election WHERE status = 'applied'").await, 1);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM election").await, 1);
});

dual_test!(async fn members_vote_by_secret_ballot_through_a_poll_and_the_result_comes_back_to_the_election(t) {
    use domain::voting::BallotInput;
    use store::voting::ballot_box::{BallotBox, Voter, prepare};
    let app = TestApp::new(t).await;
    let o = app.org.clone();
    let st = app.t.store.clone();
    // School A's delegate congress in session: 30 delegates, all checked in.
    let h = testkit::hall::hall_in(&st, o.clone(), 30, 0, 30).await;
    let mut chair = app.client_as(Role::SchoolChair, o.school_a).await;
    let mut staff = app.client_as(Role::UnionStaff, o.union).await;
    let unit = o.school_a.0.to_string();
    let r = chair.post("/elections/committees", &[("unit", unit.as_str()), ("kind", "union_committee"), ("seats", "3"), ("term_start", "2021-09-01"), ("term_years", "5"), ("holders", "")]).await;
    let committee = r.location().unwrap();
    let r = chair.post(&format!("{committee}/apply"), &[("kind", "general_election"), ("seats", "3"), ("assembly", "member_delegate_assembly"), ("term_years", "5")]).await;
    let election = r.location().unwrap();
    staff.post(&format!("{election}/approve"), &[("seats", "3")]).await.assert_status(303);
    chair.post(&format!("{election}/nominate"), &[("candidates", "代表0010\n代表0011\n代表0012\n代表0013")]).await.assert_status(303);
    staff.post(&format!("{election}/approve-slate"), &[]).await.assert_status(303);
    // The page offers the congress's open meeting for the secret ballot.
    let page = chair.get(&election).await;
    let offered = page.select("select#meeting option").join(" ");
    assert!(offered.contains("学术报告厅"), "the meeting is offered: {offered}");
    // Another school's chair cannot start it; a forged meeting is refused at the field.
    let mut other = app.client_as(Role::SchoolChair, o.school_b).await;
    let meeting = h.meeting.0.to_string();
    assert_eq!(other.post(&format!("{election}/vote"), &[("do", "start"), ("meeting", meeting.as_str())]).await.status.as_u16(), 404);
    let r = chair.post(&format!("{election}/vote"), &[("do", "start"), ("meeting", "999999")]).await;
    assert_eq!(r.status.as_u16(), 422);
    assert!(!r.select("#vote-error").join(" ").is_empty(), "the reason is said at the meeting field");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM poll").await, 0);
    let r = chair.post(&format!("{election}/vote"), &[("do", "start"), ("meeting", meeting.as_str())]).await;
    r.assert_status(303);
    let poll_path = r.location().unwrap();
    assert!(poll_path.starts_with("/polls/"), "{poll_path}");
    let poll = domain::voting::PollId(poll_path.trim_start_matches("/polls/").parse().unwrap());
    // The poll's page shows the approved list.
    let p = chair.get(&poll_path).await;
    p.assert_status(200);
    assert!(p.text().contains("代表0013"));
    // The members vote by secret ballot (their phones, through the ballot box).
    testkit::hall::open(&st, &h, poll).await.unwrap();
    let bx = BallotBox::start(st.db.clone());
    let opts = store::voting::options(&st.db, store::congress::meetings::Viewer::view(&sys()), poll).await.unwrap();
    for i in 0..27 {
        let marks: &[usize] = if i < 20 { &[0, 1, 2] } else { &[3] };
        let input = BallotInput {
            marks: opts.iter().enumerate().map(|(k, o)| (o.id, if marks.contains(&k) { "for".into() } else { "against".into() })).collect(),
            ..BallotInput::default()
        };
        let p = prepare(&st.db, Voter::Code(&h.delegates[i].2), poll).await.unwrap();
        bx.cast(&p, &p.check(&input).unwrap()).await.unwrap();
    }
    // Taking the result before publication: refused with the reason.
    testkit::hall::close(&st, &h, poll).await;
    let r = chair.post(&format!("{election}/vote"), &[("do", "result")]).await;
    assert_eq!(r.status.as_u16(), 422);
    assert!(!r.select("#vote-error").join(" ").is_empty());
    store::voting::publish_poll(&st, &sys(), &who(), poll).await.unwrap();
    assert_eq!(other.post(&format!("{election}/vote"), &[("do", "result")]).await.status.as_u16(), 404);
    let r = chair.post(&format!("{election}/vote"), &[("do", "result")]).await;
    r.assert_status(303);
    let page = chair.follow(&r).await;
    // 30 due, 30 present; 20 votes each for the first three (more than 15).
    assert!(page.select("table.rounds td").join(" ").contains('1'), "the round is listed");
    let elected = page.select("table.candidates tr").into_iter().filter(|r| r.contains("当选") || r.contains("Elected")).collect::<Vec<_>>().join(" ");
    assert!(elected.contains("代表0010") && elected.contains("代表0012") && !elected.contains("代表0013"), "{elected}");
    staff.post(&format!("{election}/confirm"), &[]).await.assert_status(303);
    let page = chair.get(&committee).await;
    let holders = page.select("table.seats td:nth-child(2)").join(" ");
    assert!(holders.contains("代表0010") && holders.contains("代表0011") && holders.contains("代表0012"), "{holders}");
});

dual_test!(async fn the_committee_elects_its_chair_on_its_page_and_a_refusal_keeps_every_vote_typed(t) {
    let app = TestApp::new(t).await;
    let o = app.org.clone();
    people(&app, o.school_a).await;
    let mut chair = app.client_as(Role::SchoolChair, o.school_a).await;
    let unit = o.school_a.0.to_string();
    let r = chair.post("/elections/committees", &[("unit", unit.as_str()), ("kind", "union_committee"), ("seats", "3"), ("term_start", "2024-09-01"), ("term_years", "5"), ("holders", "赵一\n钱二\n孙三")]).await;
    let committee = r.location().unwrap();
    let page = chair.get(&committee).await;
    assert_eq!(page.select("section.officers select[name='role']").len(), 3, "an office per member");
    // Nobody said how many were present: refused at that field, the offices and votes kept.
    let form = [("present", ""), ("held_on", "2026-12-01"), ("role", "member"), ("votes", ""), ("role", "vice_chair"), ("votes", "2"), ("role", "chair"), ("votes", "3")];
    let r = chair.post(&format!("{committee}/officers"), &form).await;
    assert_eq!(r.status.as_u16(), 422);
    assert!(!r.select("#present-error").join(" ").is_empty());
    let votes = input_names(&r, "section.officers input[name='votes'][value='3']");
    assert_eq!(votes.len(), 1, "the chair's three votes are kept");
    assert_eq!(r.select("section.officers option[selected][value='chair']").len(), 1, "the chair chosen is kept");
    // Another school's chair: 404.
    let mut other = app.client_as(Role::SchoolChair, o.school_b).await;
    let mut good = form.to_vec();
    good[0] = ("present", "3");
    assert_eq!(other.post(&format!("{committee}/officers"), &good).await.status.as_u16(), 404);
    let r = chair.post(&format!("{committee}/officers"), &good).await;
    r.assert_status(303);
    let page = chair.follow(&r).await;
    let first = page.select("table.seats tbody tr").first().cloned().unwrap_or_default();
    assert!(first.contains("孙三"), "孙三 now chairs: {first}");
});

fn election_rules_form<'a>(
    margin: &'a str,
    quorum: &'a str,
    note: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("term_years", "３、5"),
        ("margin", margin),
        ("quorum", quorum),
        ("elect", "1/2"),
        ("notice_months", "6"),
        ("vacancy_days", "60"),
        ("approval_days", "15"),
        ("note", note),
    ]
}

dual_test!(async fn the_district_stores_election_rules_on_the_web_stricter_never_laxer_than_the_defaults(t) {
    let app = TestApp::new(t).await;
    let o = app.org.clone();
    let versions = || async { store::on_db!(app.t.db(), |p| sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM election_rule_set").fetch_one(p).await).unwrap() };
    let path = format!("/elections/rules/{}", o.union.0);
    let mut staff = app.client_as(Role::UnionStaff, o.union).await;
    let page = staff.get(&path).await;
    page.assert_status(200);
    assert!(page.text().contains("内置") || page.text().contains("built-in"));
    // A quorum of a half is laxer than two thirds: refused at its field, typed values kept.
    let r = staff.post(&path, &election_rules_form("10%", "1/2", "试行稿")).await;
    assert_eq!(r.status.as_u16(), 422);
    assert!(!r.select("#quorum-error").join("").is_empty(), "{}", r.text());
    assert!(r.text().contains("value=\"10%\"") && r.text().contains("试行稿"));
    // Bad numbers at their fields.
    let mut bad = election_rules_form("10%", "2/3", "x");
    bad[4] = ("notice_months", "99");
    let r = staff.post(&path, &bad).await;
    assert_eq!(r.status.as_u16(), 422);
    assert!(!r.select("#notice_months-error").join("").is_empty());
    assert_eq!(versions().await, 0);
    // A stricter margin (10 %) is stored, audited and shown in force at a school below.
    let r = staff.post(&path, &election_rules_form("10%", "2/3", "区工会从严")).await;
    r.assert_status(303);
    assert_eq!(versions().await, 1);
    let audited: i64 = store::on_db!(app.t.db(), |p| sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'election_rules.version'").fetch_one(p).await).unwrap();
    assert_eq!(audited, 1);
    let mut chair = app.client_as(Role::SchoolChair, o.school_a).await;
    let page = chair.get(&format!("/elections/rules/{}", o.school_a.0)).await;
    page.assert_status(200);
    assert!(page.select("table.versions tbody tr").join("").contains("区工会从严"));
    // A school chair cannot approve, so has no form and cannot store; another school's
    // chair cannot read A's rules (404); a member: 403.
    assert!(page.select("#elections-rules-form").is_empty());
    let r = chair.post(&format!("/elections/rules/{}", o.school_a.0), &election_rules_form("20%", "2/3", "x")).await;
    assert_eq!(r.status.as_u16(), 403);
    let mut b = app.client_as(Role::SchoolChair, o.school_b).await;
    assert_eq!(b.get(&format!("/elections/rules/{}", o.school_a.0)).await.status.as_u16(), 404);
    let mut m = app.client_as(Role::Member, o.school_a).await;
    assert_eq!(m.get(&path).await.status.as_u16(), 403);
    assert_eq!(versions().await, 1);
});

dual_test!(async fn the_district_chooses_that_the_assembly_elects_the_chair_and_the_result_form_asks_for_the_chair(t) {
    let app = TestApp::new(t).await;
    let o = app.org.clone();
    people(&app, o.school_a).await;
    let path = format!("/elections/rules/{}", o.union.0);
    let mut staff = app.client_as(Role::UnionStaff, o.union).await;
    let page = staff.get(&path).await;
    assert_eq!(page.select("p.chair-by strong").join(""), "委员会选举主席、副主席", "the default");
    // A forged choice is refused at its field, the rest kept.
    let mut form = election_rules_form("5%", "2/3", "直接选举主席");
    form.push(("chair_by", "principal"));
    let r = staff.post(&path, &form).await;
    assert_eq!(r.status.as_u16(), 422);
    assert!(!r.select("#chair_by-error").join("").is_empty(), "{}", r.text());
    assert!(r.text().contains("直接选举主席"));
    form.pop();
    form.push(("chair_by", "assembly"));
    staff.post(&path, &form).await.assert_status(303);
    // The school's rules page shows the choice in force and in the version's row.
    let mut chair = app.client_as(Role::SchoolChair, o.school_a).await;
    let page = chair.get(&format!("/elections/rules/{}", o.school_a.0)).await;
    assert_eq!(page.select("p.chair-by strong").join(""), "会员（代表）大会直接选举主席");
    assert!(page.select("table.versions tbody tr").join("").contains("会员（代表）大会直接选举主席"));
    // A general election under it: the result form asks for the chair's ballot, and a
    // result without it comes back at the field with the votes typed.
    let unit = o.school_a.0.to_string();
    let r = chair.post("/elections/committees", &[("unit", unit.as_str()), ("kind", "union_committee"), ("seats", "3"), ("term_start", "2021-09-01"), ("term_years", "5"), ("holders", "赵一\n钱二\n孙三")]).await;
    let committee = r.location().unwrap();
    let r = chair.post(&format!("{committee}/apply"), &[("kind", "general_election"), ("seats", "3"), ("assembly", "member_assembly"), ("term_years", "5")]).await;
    let election = r.location().unwrap();
    staff.post(&format!("{election}/approve"), &[("seats", "3")]).await.assert_status(303);
    chair.post(&format!("{election}/nominate"), &[("candidates", "赵一\n钱二\n李四\n周五")]).await.assert_status(303);
    staff.post(&format!("{election}/approve-slate"), &[]).await.assert_status(303);
    let page = chair.get(&election).await;
    assert_eq!(page.select("dd.chair-by").join(""), "会员（代表）大会直接选举主席");
    let votes = input_names(&page, "input[name^='votes_']");
    let chairs = page.attrs("select#chair option", "value");
    assert_eq!(chairs.len(), 5, "an empty choice and the four candidates: {chairs:?}");
    let mut form: Vec<(&str, &str)> = vec![("due", "30"), ("present", "24"), ("held_on", "2026-11-20")];
    for (n, v) in votes.iter().zip(["20", "18", "16", "6"]) {
        form.push((n.as_str(), v));
    }
    let r = chair.post(&format!("{election}/result"), &form).await;
    assert_eq!(r.status.as_u16(), 422);
    assert!(r.select("#chair-error").join("").contains("请选择大会直接选举的主席"), "{}", r.text());
    assert_eq!(r.attrs(&format!("input[name='{}']", votes[0]), "value"), ["20"]);
    // 钱二 (the second candidate) wins the chair's ballot with 17 of 30.
    form.push(("chair", chairs[2].as_str()));
    form.push(("chair_votes", "17"));
    chair.post(&format!("{election}/result"), &form).await.assert_status(303);
    staff.post(&format!("{election}/confirm"), &[]).await.assert_status(303);
    let page = chair.get(&election).await;
    assert_eq!(page.select("dd.chair").join(""), "钱二（17）");
    let page = chair.get(&committee).await;
    let first = page.select("table.seats tbody tr").first().cloned().unwrap_or_default();
    assert!(first.contains("钱二"), "钱二 chairs: {first}");
});
