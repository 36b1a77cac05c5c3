//! The staff congress over HTTP, as its people use it: a chair runs a whole meeting and the
//! proposal loop goes round twice; every refusal of the issue is shown with its message and
//! changes nothing; documents come back only as downloads; the board streams counts; the
//! district's table costs the same queries for any number of schools.

use axum::body::Body;
use domain::auth::Role;
use domain::ids::MemberId;
use futures::StreamExt;
use http::{Request, header};
use testkit::app::{Client, Resp, TestApp};
use testkit::*;
use tower::ServiceExt;

fn id_of(r: &Resp, prefix: &str) -> i64 {
    let loc = r.location().unwrap_or_else(|| {
        panic!(
            "no redirect ({}): {}",
            r.status,
            r.text().chars().take(800).collect::<String>()
        )
    });
    loc.trim_start_matches(prefix)
        .split(['/', '?', '#'])
        .next()
        .unwrap()
        .parse()
        .unwrap_or_else(|_| panic!("{loc}"))
}

/// Follows a redirect and returns the flash text shown there.
async fn flash(c: &mut Client<'_>, r: &Resp) -> String {
    assert_eq!(
        r.status.as_u16(),
        303,
        "{}",
        r.text().chars().take(800).collect::<String>()
    );
    let page = c.follow(r).await;
    page.select(".flash").join(" | ")
}

fn day(offset: i64) -> String {
    (web::today() + chrono::Duration::days(offset))
        .format("%Y-%m-%d")
        .to_string()
}

struct People<'a> {
    chair: Client<'a>,
    committee: Client<'a>,
    dept: Client<'a>,
    other_dept: Client<'a>,
    delegates: Vec<(MemberId, Client<'a>)>,
    general: domain::ids::OrgUnitId,
    teaching: domain::ids::OrgUnitId,
}

async fn people(app: &TestApp) -> People<'_> {
    let st = &app.t.store;
    let o = &app.org;
    let chair_m = member(st, o.school_a, "陈主席", 90).await;
    let chair = app
        .account_full("chaira", Role::SchoolChair, o.school_a, Some(chair_m), None)
        .await;
    let committee = app
        .account("tiwei", Role::ProposalsCommittee, o.school_a)
        .await;
    let general = store::org::create_unit(
        st,
        &sys(),
        &who(),
        Some(o.school_a),
        &store::org::NewUnit::branch("SA1-ZW".into(), "总务处".into()),
    )
    .await
    .unwrap();
    let teaching = store::org::create_unit(
        st,
        &sys(),
        &who(),
        Some(o.school_a),
        &store::org::NewUnit::branch("SA1-JW".into(), "教务处".into()),
    )
    .await
    .unwrap();
    let dept = app
        .account("zongwu", Role::HandlingDepartment, general)
        .await;
    let other_dept = app
        .account("jiaowu", Role::HandlingDepartment, teaching)
        .await;
    let mut delegates = Vec::new();
    for (i, name) in ["王老师", "李老师", "张老师"].iter().enumerate() {
        let m = member(st, o.school_a, name, 100 + i as u32).await;
        let acc = app
            .account_full(
                &format!("daibiao{i}"),
                Role::Delegate,
                o.school_a,
                Some(m),
                None,
            )
            .await;
        delegates.push((m, app.client_for(acc).await));
    }
    People {
        chair: app.client_for(chair).await,
        committee: app.client_for(committee).await,
        dept: app.client_for(dept).await,
        other_dept: app.client_for(other_dept).await,
        delegates,
        general,
        teaching,
    }
}

/// The chair sets up a term with the three delegates and a meeting collecting proposals;
/// returns (term, meeting).
async fn term_and_meeting(app: &TestApp, p: &mut People<'_>) -> (i64, i64) {
    let school = app.org.school_a.to_string();
    let r = p
        .chair
        .post(
            "/congress/terms/new",
            &[
                ("school", &school),
                ("number", "5"),
                ("mode", "congress"),
                ("start_date", &day(-300)),
                ("end_date", &day(-300 + 365 * 4)),
            ],
        )
        .await;
    let term = id_of(&r, "/congress/terms/");
    assert!(flash(&mut p.chair, &r).await.contains("第5届"));
    for (m, _) in &p.delegates {
        let r = p
            .chair
            .post(
                &format!("/congress/terms/{term}/delegates"),
                &[("member", &m.to_string()), ("kind", "delegate")],
            )
            .await;
        r.assert_status(303);
    }
    let r = p
        .chair
        .post(
            &format!("/congress/terms/{term}/meetings/new"),
            &[
                ("kind", "regular"),
                ("meeting_date", &day(10)),
                ("starts_at", "14:30"),
                ("place", "学术报告厅"),
                ("proposals_from", &day(-5)),
                ("proposals_until", &day(5)),
            ],
        )
        .await;
    let meeting = id_of(&r, "/congress/meetings/");
    (term, meeting)
}

dual_test!(async fn a_chair_runs_a_meeting_and_a_proposal_goes_round_twice_to_the_report(t) {
    let app = TestApp::new(t).await;
    let mut p = people(&app).await;
    let (term, meeting) = term_and_meeting(&app, &mut p).await;

    // The term page shows the delegates and the composition.
    let page = p.chair.get(&format!("/congress/terms/{term}")).await;
    page.assert_status(200);
    let names = page.select("table.delegates td[data-label='姓名']");
    assert_eq!(names.len(), 3, "{names:?}");
    // A member search offers the school's members to add.
    let page = p.chair.get(&format!("/congress/terms/{term}?q=陈")).await;
    assert!(page.select(".candidates strong").contains(&"陈主席".to_string()));

    // Agenda and a document.
    p.chair.post(&format!("/congress/meetings/{meeting}/agenda"), &[("kind", "report"), ("title", "校长工作报告"), ("presenter", "校长")]).await.assert_status(303);
    let r = p.chair.post_multipart(&format!("/congress/meetings/{meeting}/documents"), &[], Some(("file", "工作报告.pdf", b"%PDF-1.7\nreport".to_vec()))).await;
    assert!(flash(&mut p.chair, &r).await.contains("文件已上传"));

    // Check-in opens; three ways in.
    let r = p.chair.post(&format!("/congress/meetings/{meeting}/status"), &[("status", "open")]).await;
    assert!(flash(&mut p.chair, &r).await.contains("签到已开始"));
    let phone = &mut p.delegates[0].1;
    let page = phone.get(&format!("/congress/meetings/{meeting}/check-in")).await;
    page.assert_status(200);
    assert!(page.text().contains("width=device-width"));
    let r = phone.post(&format!("/congress/meetings/{meeting}/check-in"), &[]).await;
    // A delegate's first check-in on their phone answers with the page itself: what was
    // recorded and a fresh voting code, shown this once (issue 12).
    r.assert_status(200);
    assert_eq!(r.headers.get(header::CACHE_CONTROL).unwrap(), "no-store");
    assert!(r.text().contains("签到成功"));
    let fresh = r.select(".fresh-code .card-code");
    assert_eq!(fresh.len(), 1, "the fresh code is shown");
    let again = phone.get(&format!("/congress/meetings/{meeting}/check-in")).await;
    assert!(again.select(".fresh-code").is_empty() && !again.text().contains(fresh[0].trim()), "the fresh code is shown only once");
    // Cards with one-time codes; the second delegate uses theirs without logging in.
    let cards = p.chair.post(&format!("/congress/meetings/{meeting}/cards"), &[]).await;
    cards.assert_status(200);
    assert_eq!(cards.headers.get(header::CACHE_CONTROL).unwrap(), "no-store");
    let codes = cards.select(".card-code");
    let card_names = cards.select(".card-name");
    assert_eq!(codes.len(), 3);
    assert!(cards.select(".qr svg").len() == 3 || cards.text().contains("<svg"));
    let li = card_names.iter().position(|n| n == "李老师").unwrap();
    let mut anon = app.anon();
    let r = anon.post("/checkin", &[("code", &codes[li])]).await;
    assert!(flash(&mut anon, &r).await.contains("李老师签到成功"));
    // The third at the door.
    let roster = p.chair.get(&format!("/congress/meetings/{meeting}/desk")).await;
    roster.assert_status(200);
    let d3 = {
        let html = roster.html();
        let sel = scraper::Selector::parse("table.roster tr").unwrap();
        let input = scraper::Selector::parse("input[name=delegate]").unwrap();
        html.select(&sel)
            .find(|tr| tr.text().any(|t| t.contains("张老师")))
            .and_then(|tr| tr.select(&input).next())
            .and_then(|i| i.value().attr("value"))
            .unwrap()
            .to_string()
    };
    let r = p.chair.post(&format!("/congress/meetings/{meeting}/desk"), &[("delegate", &d3), ("action", "check_in")]).await;
    assert!(flash(&mut p.chair, &r).await.contains("张老师签到成功"));
    // The board: 3 of 3, quorum.
    let board = p.chair.get(&format!("/congress/meetings/{meeting}/board")).await;
    assert_eq!(board.select("[data-k=present]"), vec!["3"]);
    assert_eq!(board.select("[data-k=total]"), vec!["3"]);
    let shown: Vec<String> = {
        let html = board.html();
        let sel = scraper::Selector::parse("[data-when]:not([hidden])").unwrap();
        html.select(&sel).map(|e| e.text().collect()).collect()
    };
    assert_eq!(shown, vec!["已达到法定人数"]);
    // The congress stylesheet is linked and served.
    let css = {
        let html = board.html();
        let sel = scraper::Selector::parse("link[href$='/congress.css']").unwrap();
        html.select(&sel).next().unwrap().value().attr("href").unwrap().to_string()
    };
    let r = p.chair.get(&css).await;
    r.assert_status(200);
    assert!(r.text().contains(".board-num"));

    // The proposal: drafted, two seconders invited and seconding, submitted.
    let d0 = &mut p.delegates[0].1;
    let r = d0.post("/proposals/new", &[("meeting", &meeting.to_string()), ("title", "延长教师午餐时间"), ("category", "logistics"), ("reasons", "午餐时间仅二十分钟。"), ("measures", "错峰用餐，增开窗口。")]).await;
    let prop = id_of(&r, "/proposals/");
    let page = d0.get(&format!("/proposals/{prop}")).await;
    let invitees: Vec<String> = {
        let html = page.html();
        let sel = scraper::Selector::parse("input[name=delegates]").unwrap();
        html.select(&sel).filter_map(|e| e.value().attr("value").map(str::to_string)).collect()
    };
    assert_eq!(invitees.len(), 2);
    let body: Vec<(&str, &str)> = invitees.iter().map(|v| ("delegates", v.as_str())).collect();
    let r = d0.post(&format!("/proposals/{prop}/invite"), &body).await;
    assert!(flash(d0, &r).await.contains("已邀请 2 位代表"));
    for i in [1, 2] {
        let c = &mut p.delegates[i].1;
        let inv = c.get("/proposals").await;
        assert!(inv.select("table.proposals td a").contains(&"延长教师午餐时间".to_string()));
        let r = c.post(&format!("/proposals/{prop}/second"), &[]).await;
        assert!(flash(c, &r).await.contains("您已附议"));
    }
    let d0 = &mut p.delegates[0].1;
    let r = d0.post(&format!("/proposals/{prop}/submit"), &[]).await;
    assert!(flash(d0, &r).await.contains("编号为第 1 号"));

    // The committee accepts it and assigns it.
    let r = p.committee.post(&format!("/proposals/{prop}/review"), &[("decision", "accept"), ("reason", "关系全体教师切身利益")]).await;
    assert!(flash(&mut p.committee, &r).await.contains("立案"));
    let general = p.general.to_string();
    let teaching = p.teaching.to_string();
    let r = p.committee.post(&format!("/proposals/{prop}/assign"), &[("handler", &general), ("co_handlers", &teaching), ("deadline", &day(20))]).await;
    assert!(flash(&mut p.committee, &r).await.contains("已交办"));

    // The department replies; the proposer is not satisfied; round two; satisfied.
    let page = p.dept.get("/proposals").await;
    assert!(page.select("table.proposals td a").contains(&"延长教师午餐时间".to_string()));
    let r = p.dept.post(&format!("/proposals/{prop}/reply"), &[("body", "下学期起调整作息。")]).await;
    assert!(flash(&mut p.dept, &r).await.contains("答复已发送"));
    let d0 = &mut p.delegates[0].1;
    // Not satisfied without saying why: the page comes back with the choice kept (issue 25).
    let r = d0.post(&format!("/proposals/{prop}/rate"), &[("rating", "dissatisfied"), ("comment", " ")]).await;
    r.assert_status(422);
    assert_eq!(r.attrs("#rate input[name=rating][checked]", "value"), ["dissatisfied"]);
    assert!(!r.select("#rate-error").join("").is_empty());
    let r = d0.post(&format!("/proposals/{prop}/rate"), &[("rating", "dissatisfied"), ("comment", "本学期就要解决")]).await;
    assert!(flash(d0, &r).await.contains("第 2 轮"));
    let r = p.dept.post(&format!("/proposals/{prop}/reply"), &[("body", "本月起增开临时窗口，错峰十分钟。")]).await;
    r.assert_status(303);
    let d0 = &mut p.delegates[0].1;
    let r = d0.post(&format!("/proposals/{prop}/rate"), &[("rating", "satisfied")]).await;
    assert!(flash(d0, &r).await.contains("满意"));
    let page = d0.get(&format!("/proposals/{prop}")).await;
    assert_eq!(page.select("article.reply h3").len(), 2, "both rounds are kept");
    assert_eq!(page.select("article.reply .badge"), vec!["不满意", "满意"]);

    // The meeting closes with its attendance; the handling report shows the proposal.
    let r = p.chair.post(&format!("/congress/meetings/{meeting}/status"), &[("status", "closed")]).await;
    assert!(flash(&mut p.chair, &r).await.contains("已闭幕"));
    let rep = p.chair.get(&format!("/congress/meetings/{meeting}/report")).await;
    rep.assert_status(200);
    assert!(rep.text().contains("共收到提案 1 件，其中立案 1 件"));
    let row = rep.select("table.items tbody tr").join(" ");
    assert!(row.contains("延长教师午餐时间") && row.contains("满意") && row.contains("总务处"), "{row}");
    assert_eq!(rep.select("table.items td[data-label='答复次数']"), vec!["2"]);
    let x = p.chair.get(&format!("/congress/meetings/{meeting}/report.xlsx")).await;
    x.assert_status(200);
    let rows = read_xlsx(&x.bytes);
    assert!(rows.iter().flatten().any(|c| c.contains("满意率 100%")), "{rows:?}");
    let page = p.chair.get(&format!("/congress/meetings/{meeting}")).await;
    assert!(page.select(".flash").iter().any(|f| f.contains("3 名代表中 3 名出席，达到法定人数")));
    // In English too.
    let mut en = p.chair.header("accept-language", "en");
    let rep = en.get(&format!("/congress/meetings/{meeting}/report")).await;
    assert!(rep.text().contains("1 proposals received: 1 accepted"));
});

dual_test!(async fn every_refusal_of_the_issue_says_why_and_changes_nothing(t) {
    let app = TestApp::new(t).await;
    let mut p = people(&app).await;
    let (_, meeting) = term_and_meeting(&app, &mut p).await;
    let audit = |app: &TestApp| {
        let db = app.t.store.db.clone();
        async move { store::audit::list(&db, &sys(), &Default::default(), 1_000_000).await.unwrap().len() }
    };

    // A proposal with no seconders.
    let d0 = &mut p.delegates[0].1;
    let r = d0.post("/proposals/new", &[("meeting", &meeting.to_string()), ("title", "增设教工之家健身房"), ("reasons", "r"), ("measures", "m")]).await;
    let prop = id_of(&r, "/proposals/");
    let before = audit(&app).await;
    let r = d0.post(&format!("/proposals/{prop}/submit"), &[]).await;
    assert!(flash(d0, &r).await.contains("附议人数不足：需要 2 人，目前 0 人"));
    assert_eq!(audit(&app).await, before);

    // A delegate of another school trying to second.
    let mb = member(&app.t.store, app.org.school_b, "乙校代表", 300).await;
    let term_b = store::congress::terms::create_term(&app.t.store, &sys(), &who(), app.org.school_b, &domain::congress::TermDraft {
        number: 1, mode: domain::congress::CongressMode::Congress, start_date: web::today() - chrono::Duration::days(10), end_date: web::today() + chrono::Duration::days(1200),
    }).await.unwrap();
    store::congress::terms::add_delegate(&app.t.store, &sys(), &who(), term_b, mb, domain::congress::DelegateKind::Delegate, None, web::today()).await.unwrap();
    let acc = app.account_full("yixiao", Role::Delegate, app.org.school_b, Some(mb), None).await;
    let mut other = app.client_for(acc).await;
    let before = audit(&app).await;
    let r = other.post(&format!("/proposals/{prop}/second"), &[]).await;
    r.assert_status(403);
    assert!(r.text().contains("只有本届教代会的正式代表可以附议"), "{}", r.text());
    assert_eq!(audit(&app).await, before);

    // Seconded and submitted; a second submission is idempotent.
    for i in [1, 2] {
        let c = &mut p.delegates[i].1;
        c.post(&format!("/proposals/{prop}/second"), &[]).await.assert_status(303);
    }
    let d0 = &mut p.delegates[0].1;
    d0.post(&format!("/proposals/{prop}/submit"), &[]).await.assert_status(303);
    let before = audit(&app).await;
    let r = d0.post(&format!("/proposals/{prop}/submit"), &[]).await;
    assert!(flash(d0, &r).await.contains("已经提交过"));
    assert_eq!(audit(&app).await, before);

    // A deadline in the past.
    p.committee.post(&format!("/proposals/{prop}/review"), &[("decision", "accept"), ("reason", "好")]).await.assert_status(303);
    let general = p.general.to_string();
    let teaching = p.teaching.to_string();
    let before = audit(&app).await;
    let r = p.committee.post(&format!("/proposals/{prop}/assign"), &[("handler", &general), ("deadline", &day(-1))]).await;
    assert!(flash(&mut p.committee, &r).await.contains("答复期限不能早于今天"));
    assert_eq!(audit(&app).await, before);
    p.committee.post(&format!("/proposals/{prop}/assign"), &[("handler", &general), ("co_handlers", &teaching), ("deadline", &day(3))]).await.assert_status(303);

    // A reply by a department that was not assigned (the co-handler).
    let before = audit(&app).await;
    let r = p.other_dept.post(&format!("/proposals/{prop}/reply"), &[("body", "我们来答复")]).await;
    assert!(flash(&mut p.other_dept, &r).await.contains("没有交办给本部门"));
    assert_eq!(audit(&app).await, before);
    let page = p.chair.get(&format!("/proposals/{prop}")).await;
    assert!(page.select("article.reply").is_empty());

    // Attachments too large or of a forbidden type.
    let before = audit(&app).await;
    let big = {
        let mut v = b"%PDF-1.7\n".to_vec();
        v.resize(domain::congress::DOC_MAX_BYTES + 10, b'x');
        v
    };
    let r = p.chair.post_multipart(&format!("/congress/meetings/{meeting}/documents"), &[], Some(("file", "大文件.pdf", big))).await;
    assert!(flash(&mut p.chair, &r).await.contains("MB"));
    let r = p.chair.post_multipart(&format!("/congress/meetings/{meeting}/documents"), &[], Some(("file", "setup.exe", b"MZ\x90\x00".to_vec()))).await;
    assert!(flash(&mut p.chair, &r).await.contains("不支持这种文件"));
    let r = p.chair.post_multipart(&format!("/congress/meetings/{meeting}/documents"), &[], Some(("file", "报告.pdf", b"<html><script>alert(1)</script>".to_vec()))).await;
    assert!(flash(&mut p.chair, &r).await.contains("内容与扩展名不符"));
    assert_eq!(audit(&app).await, before);

    // Check-in with a used or foreign code.
    p.chair.post(&format!("/congress/meetings/{meeting}/status"), &[("status", "open")]).await.assert_status(303);
    let cards = p.chair.post(&format!("/congress/meetings/{meeting}/cards"), &[]).await;
    let codes = cards.select(".card-code");
    let mut anon = app.anon();
    anon.post("/checkin", &[("code", &codes[0])]).await.assert_status(303);
    let before = audit(&app).await;
    let r = anon.post("/checkin", &[("code", &codes[0])]).await;
    r.assert_status(422);
    assert!(r.select(".form-error").join("").contains("已经用过"));
    let r = anon.post("/checkin", &[("code", "ABCDE-FGHJK")]).await;
    assert!(r.select(".form-error").join("").contains("签到码不正确"));
    // A code of another meeting at this meeting's desk.
    let term = store::congress::meetings::get_meeting(&app.t.store.db, store::congress::meetings::Viewer::view(&sys()), domain::congress::MeetingId(meeting)).await.unwrap().term_id;
    let other_meeting = store::congress::meetings::create_meeting(&app.t.store, &sys(), &who(), term, &domain::congress::MeetingInput {
        kind: "extraordinary".into(), meeting_date: day(30), place: "会议室".into(), ..Default::default()
    }.parse().unwrap()).await.unwrap();
    let other_cards = store::congress::attendance::issue_codes(&app.t.store, &sys(), &who(), other_meeting, None).await.unwrap();
    let before_desk = audit(&app).await;
    assert_eq!(before_desk, before + 2, "only the new meeting and its codes were recorded");
    let before = before_desk;
    let r = p.chair.post(&format!("/congress/meetings/{meeting}/desk/code"), &[("code", &other_cards[0].code)]).await;
    assert!(flash(&mut p.chair, &r).await.contains("属于其他会议"));
    assert_eq!(audit(&app).await, before);
    let board = p.chair.get(&format!("/congress/meetings/{meeting}/board")).await;
    assert_eq!(board.select("[data-k=present]"), vec!["1"]);
});

dual_test!(async fn documents_are_served_only_as_downloads(t) {
    let app = TestApp::new(t).await;
    let mut p = people(&app).await;
    let (_, meeting) = term_and_meeting(&app, &mut p).await;
    let r = p.chair.post_multipart(&format!("/congress/meetings/{meeting}/documents"), &[], Some(("file", "../会议议程.docx", b"PK\x03\x04....word/document.xml....".to_vec()))).await;
    r.assert_status(303);
    let page = p.chair.get(&format!("/congress/meetings/{meeting}")).await;
    let href = {
        let html = page.html();
        let sel = scraper::Selector::parse("a[href^='/congress/documents/']").unwrap();
        html.select(&sel).next().unwrap().value().attr("href").unwrap().to_string()
    };
    // A delegate of the term downloads it.
    let d = p.delegates[0].1.get(&href).await;
    d.assert_status(200);
    assert_eq!(d.headers.get(header::CONTENT_TYPE).unwrap(), "application/vnd.openxmlformats-officedocument.wordprocessingml.document");
    let disp = d.headers.get(header::CONTENT_DISPOSITION).unwrap().to_str().unwrap();
    assert!(disp.starts_with("attachment;") && disp.contains("filename*=UTF-8''%E4%BC%9A%E8%AE%AE%E8%AE%AE%E7%A8%8B.docx"), "{disp}");
    assert_eq!(d.headers.get(header::X_CONTENT_TYPE_OPTIONS).unwrap(), "nosniff");
    assert_eq!(d.bytes, b"PK\x03\x04....word/document.xml....");
    // A member who is not a delegate does not.
    let m = member(&app.t.store, app.org.school_a, "普通会员", 400).await;
    let acc = app.account_full("putong", Role::Member, app.org.school_a, Some(m), None).await;
    app.client_for(acc).await.get(&href).await.assert_status(404);
});

/// Reads `board` events from the stream until one satisfies `f` (or the time is up).
async fn next_board(
    body: &mut (impl futures::Stream<Item = Result<axum::body::Bytes, axum::Error>> + Unpin),
    f: impl Fn(&serde_json::Value) -> bool,
) -> Option<serde_json::Value> {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(3);
    let mut buf = String::new();
    loop {
        let chunk = tokio::time::timeout_at(deadline, body.next())
            .await
            .ok()??
            .ok()?;
        buf.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = buf.find("\n\n") {
            let event: String = buf.drain(..end + 2).collect();
            if let Some(data) = event
                .lines()
                .find_map(|l| l.strip_prefix("data: ").or_else(|| l.strip_prefix("data:")))
                && let Ok(v) = serde_json::from_str::<serde_json::Value>(data.trim())
                && f(&v)
            {
                return Some(v);
            }
        }
    }
}

dual_test!(async fn the_board_streams_counts_only_and_follows_check_ins_within_a_second(t) {
    let app = TestApp::new(t).await;
    let mut p = people(&app).await;
    let (_, meeting) = term_and_meeting(&app, &mut p).await;
    p.chair.post(&format!("/congress/meetings/{meeting}/status"), &[("status", "open")]).await.assert_status(303);
    let cookie = p.chair.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ");
    let req = Request::get(format!("/congress/meetings/{meeting}/board/events"))
        .header(header::COOKIE, cookie)
        .body(Body::empty())
        .unwrap();
    let res = app.router.clone().oneshot(req).await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers().get(header::CONTENT_TYPE).unwrap(), "text/event-stream");
    let mut body = res.into_body().into_data_stream();
    let first = next_board(&mut body, |_| true).await.expect("a first event");
    assert_eq!((first["present"].as_u64(), first["total"].as_u64(), first["met"].as_bool()), (Some(0), Some(3), Some(false)));
    // Only numbers: no names, no ids of people.
    let keys: Vec<&String> = first.as_object().unwrap().keys().collect();
    assert!(first.as_object().unwrap().values().all(|v| v.is_number() || v.is_boolean()), "{keys:?}");
    for i in 0..2 {
        let started = std::time::Instant::now();
        let c = &mut p.delegates[i].1;
        c.post(&format!("/congress/meetings/{meeting}/check-in"), &[]).await.assert_status(200);
        let want = i as u64 + 1;
        let ev = next_board(&mut body, |v| v["present"].as_u64() == Some(want)).await.expect("the board follows");
        assert!(started.elapsed() < std::time::Duration::from_secs(1), "lag {:?}", started.elapsed());
        if want == 2 {
            assert_eq!(ev["met"].as_bool(), Some(true), "2 of 3 is two thirds");
        }
    }
    // A member of the school who is no delegate gets no stream.
    let m = member(&app.t.store, app.org.school_a, "普通会员", 401).await;
    let acc = app.account_full("putong2", Role::Member, app.org.school_a, Some(m), None).await;
    app.client_for(acc).await.get(&format!("/congress/meetings/{meeting}/board/events")).await.assert_status(404);
});

dual_test!(async fn the_oversight_table_flags_schools_without_a_meeting_in_constant_queries(t) {
    let app = TestApp::new(t).await;
    let mut p = people(&app).await;
    let (_, meeting) = term_and_meeting(&app, &mut p).await;
    p.chair.post(&format!("/congress/meetings/{meeting}/status"), &[("status", "open")]).await.assert_status(303);
    let mut staff = app.client_as(Role::UnionStaff, app.org.union).await;
    let before = app.t.db().query_count();
    let page = staff.get("/congress/oversight").await;
    let small = app.t.db().query_count() - before;
    page.assert_status(200);
    let flagged = page.select("tr.flagged td[data-label='学校'], tr.flagged td[data-label='单位']");
    assert_eq!(page.select("table.oversight tbody tr").len(), 3);
    // Only a meeting that closed with its quorum counts as held (issue 10): a meeting that
    // is merely open leaves its school flagged, like the two without any.
    assert_eq!(page.select("tr.flagged").len(), 3, "{flagged:?}");
    assert!(page.select("p.lead").join("").contains("未召开且无正当理由 3 所"));
    for i in 0..15u32 {
        let s = store::org::create_unit(&app.t.store, &sys(), &who(), Some(app.org.area_b), &store::org::NewUnit {
            kind: domain::org::OrgKind::SchoolUnion, code: format!("Z{i}"), name: format!("新校{i}"),
            union_kind: None, school_kind: None, school_level: None, staff_count: 0, sort_order: 0,
        }).await.unwrap();
        member(&app.t.store, s, &format!("新校教师{i}"), 500 + i).await;
    }
    let before = app.t.db().query_count();
    let page = staff.get("/congress/oversight").await;
    let large = app.t.db().query_count() - before;
    assert_eq!(page.select("table.oversight tbody tr").len(), 18);
    assert_eq!(small, large, "the table's queries must not grow with the schools");
    let x = staff.get("/congress/oversight.xlsx").await;
    x.assert_status(200);
    assert_eq!(read_xlsx(&x.bytes).len(), 19);
    // An area lead sees the area; a school chair has no oversight.
    let mut lead = app.client_as(Role::AreaLead, app.org.area_a).await;
    assert_eq!(lead.get("/congress/oversight").await.select("table.oversight tbody tr").len(), 2);
    p.chair.get("/congress/oversight").await.assert_status(403);
});

dual_test!(async fn the_oversight_figures_link_to_the_proposals_they_count_and_carried_over_ones_say_so(t) {
    // Issue 25, item 7: a figure of the district's table is a link to the records it counts,
    // an overdue reply from an earlier school year is marked as carried over, and the .xlsx
    // writes "held / asked" as the screen does.
    let app = TestApp::new(t).await;
    let o = &app.org;
    let general = store::org::create_unit(&app.t.store, &sys(), &who(), Some(o.school_a), &store::org::NewUnit::branch("SA1-ZW".into(), "总务处".into())).await.unwrap();
    let p = crate::notify::overdue_proposal(&app, general).await;
    let back = chrono::Utc::now().date_naive() - chrono::Duration::days(3);
    store::on_db!(app.t.db(), |x| sqlx::query("UPDATE proposal SET reply_due = $1 WHERE id = $2").bind(back).bind(p.0).execute(x).await.map(|_| ())).unwrap();
    let mut staff = app.client_as(Role::UnionStaff, o.union).await;
    let page = staff.get("/congress/oversight").await;
    page.assert_status(200);
    let received = page.attrs("td[data-label='收到提案'] a", "href");
    assert_eq!(received.len(), 1, "only the school with a proposal links its count");
    assert_eq!(page.select("td[data-label='收到提案'] a"), ["1"]);
    let overdue = page.attrs("td[data-label='逾期'] a", "href");
    assert_eq!(overdue.len(), 1, "{:?}", page.select("td"));
    assert!(page.select("p.lead a").join("").contains("逾期未答复提案 1 件"), "{:?}", page.select("p.lead"));
    // Each link lists exactly what its figure counts.
    for href in [&received[0], &page.attrs("td[data-label='立案'] a", "href")[0], &overdue[0]] {
        let list = staff.get(href).await;
        list.assert_status(200);
        assert_eq!(list.select("table.proposals tbody tr").len(), 1, "{href}");
        assert!(list.select("table.proposals td a").join("").contains("维修饮水机"), "{href}");
        assert!(!list.select("p.narrowed").is_empty(), "the list says it is narrowed: {href}");
    }
    // Another school's link lists none of school A's proposals.
    let other = received[0].replace(&format!("school={}", o.school_a.0), &format!("school={}", o.school_b.0));
    assert!(staff.get(&other).await.select("table.proposals tbody tr").is_empty());

    // Submitted two school years ago and still unanswered: carried over, and said so.
    let long_ago = chrono::Utc::now() - chrono::Duration::days(800);
    store::on_db!(app.t.db(), |x| sqlx::query("UPDATE proposal SET submitted_at = $1 WHERE id = $2").bind(long_ago).bind(p.0).execute(x).await.map(|_| ())).unwrap();
    let page = staff.get("/congress/oversight").await;
    assert!(page.select("td[data-label='收到提案'] a").is_empty(), "not received this year");
    assert!(page.select("td .carried").join("").contains("含往年结转 1 件"), "{:?}", page.select("td"));
    assert!(page.select("p.lead").join("").contains("含往年结转 1 件"));
    let list = staff.get(&overdue[0]).await;
    assert!(list.select("table.proposals .badge.carried").join("").contains("学年结转"), "{:?}", list.select("td"));

    let x = staff.get("/congress/oversight.xlsx").await;
    x.assert_status(200);
    let rows = read_xlsx(&x.bytes);
    let a = rows.iter().find(|r| r.iter().any(|c| c == "甲一小学工会")).expect("school A's row");
    assert_eq!(a[4], "0 / 1", "held out of asked, not a bare number: {a:?}");
    assert!(a[10].starts_with('1') && a[10].contains("含往年结转 1 件"), "{a:?}");
});

dual_test!(async fn printing_delegate_cards_again_asks_first_and_says_how_many_cards_it_voids(t) {
    // Issue 25, item 13: without JavaScript the meeting page's button posts at once, so the
    // server itself asks before making new codes that void the cards already printed.
    let app = TestApp::new(t).await;
    let mut p = people(&app).await;
    let (_, meeting) = term_and_meeting(&app, &mut p).await;
    let url = format!("/congress/meetings/{meeting}/cards");
    let first = p.chair.post(&url, &[]).await;
    first.assert_status(200);
    let old = first.select(".card-code");
    assert_eq!(old.len(), 3, "the first print asks nothing");
    let ask = p.chair.post(&url, &[]).await;
    ask.assert_status(200);
    assert!(ask.select(".card-code").is_empty(), "no new codes before the answer");
    assert!(ask.select(".flash.warn").join("").contains("3 张代表证"), "{:?}", ask.select(".flash"));
    assert_eq!(ask.attrs(&format!("form[action='{url}'] input[name=confirm]"), "value"), ["1"]);
    // Not answering leaves the printed cards working.
    p.chair.post(&format!("/congress/meetings/{meeting}/status"), &[("status", "open")]).await.assert_status(303);
    let mut anon = app.anon();
    anon.post("/checkin", &[("code", &old[0])]).await.assert_status(303);
    let ask = p.chair.post(&url, &[]).await;
    assert!(ask.select(".flash.warn").join("").contains("2 张代表证"), "a used card is not counted");
    let again = p.chair.post(&url, &[("confirm", "1")]).await;
    again.assert_status(200);
    assert_eq!(again.select(".card-code").len(), 3);
    let r = anon.post("/checkin", &[("code", &old[1])]).await;
    r.assert_status(422);
});

dual_test!(async fn suggestions_come_from_members_and_are_answered_by_the_chair(t) {
    let app = TestApp::new(t).await;
    let mut p = people(&app).await;
    let m = member(&app.t.store, app.org.school_a, "普通会员", 402).await;
    let acc = app.account_full("putong3", Role::Member, app.org.school_a, Some(m), None).await;
    let mut c = app.client_for(acc).await;
    let r = c.post("/suggestions/new", &[("title", ""), ("body", "图书馆晚上开放")]).await;
    r.assert_status(422);
    let html = r.html();
    let sel = scraper::Selector::parse("textarea#body").unwrap();
    assert_eq!(html.select(&sel).next().unwrap().text().collect::<String>(), "图书馆晚上开放");
    let r = c.post("/suggestions/new", &[("title", "图书馆延长开放"), ("body", "图书馆晚上开放到八点")]).await;
    let id = id_of(&r, "/suggestions/");
    let page = p.chair.get("/suggestions").await;
    assert!(page.text().contains("图书馆延长开放"));
    let r = p.chair.post(&format!("/suggestions/{id}/reply"), &[("reply", "下周起试行。")]).await;
    assert!(flash(&mut p.chair, &r).await.contains("已答复"));
    let page = c.get(&format!("/suggestions/{id}")).await;
    assert!(page.text().contains("下周起试行"));
});

dual_test!(async fn a_school_sets_stricter_rules_and_the_form_refuses_laxer_ones(t) {
    let app = TestApp::new(t).await;
    let mut p = people(&app).await;
    let unit = app.org.school_a.to_string();
    let page = p.chair.get(&format!("/congress/rules/{unit}")).await;
    page.assert_status(200);
    assert!(page.text().contains("教育部令第32号"));
    let mut form: Vec<(String, String)> = {
        let html = page.html();
        let sel = scraper::Selector::parse("form[action^='/congress/rules/'] input, form[action^='/congress/rules/'] select").unwrap();
        html.select(&sel)
            .filter_map(|e| {
                let name = e.value().attr("name")?.to_string();
                let value = e.value().attr("value").map(str::to_string).unwrap_or_else(|| {
                    let o = scraper::Selector::parse("option[selected]").unwrap();
                    e.select(&o).next().and_then(|o| o.value().attr("value")).unwrap_or("").to_string()
                });
                Some((name, value))
            })
            .collect()
    };
    let set = |form: &mut Vec<(String, String)>, k: &str, v: &str| {
        for (name, val) in form.iter_mut() {
            if name == k {
                *val = v.to_string();
            }
        }
    };
    set(&mut form, "quorum", "1/2");
    let body: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let r = p.chair.post(&format!("/congress/rules/{unit}"), &body).await;
    r.assert_status(422);
    assert!(r.select(".field-error").join("").contains("不得低于"));
    set(&mut form, "quorum", "3/4");
    set(&mut form, "seconders", "3");
    let body: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let r = p.chair.post(&format!("/congress/rules/{unit}"), &body).await;
    assert!(flash(&mut p.chair, &r).await.contains("已保存新版本"));
    let e = store::congress::rules::effective(&app.t.store.db, &sys::<domain::auth::perm::CongressView>(), app.org.school_a).await.unwrap();
    assert_eq!((e.rules.seconders, e.rules.quorum.share), (3, domain::rules::Ratio::new(3, 4)));
});
