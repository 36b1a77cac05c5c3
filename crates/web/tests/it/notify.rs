//! Reminders that reach people, over HTTP: a chair sets the school's group robot (a bad
//! address is refused at the field), the send-test button shows the robot's real answer, an
//! overdue proposal reply lands in the department's inbox (badge, list, link to the
//! proposal) and in the robot's group, signed as 钉钉 requires; a robot answering an error is
//! retried, parked and shown to the administrator, who retries it. The robot is a local
//! receiver that checks the format and the signature. Both engines.

use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::routing::post;
use chrono::Duration;
use domain::auth::{Role, perm};
use domain::congress::*;
use domain::ids::OrgUnitId;
use domain::outbox::{Backoff, Channel};
use domain::proposals::*;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use store::congress::{meetings, terms};
use store::proposals;
use testkit::app::TestApp;
use testkit::*;

/// What the local robot received: (query, idempotency key, JSON body).
type Received = Arc<Mutex<Vec<(HashMap<String, String>, String, serde_json::Value)>>>;

const SECRET: &str = "SECtestsecret123";

/// A 钉钉-like robot on 127.0.0.1:0. It refuses a missing or wrong signature or a body
/// that is not a markdown message, like the real one; with `fail` it refuses everything.
async fn robot(fail: bool) -> (String, Received) {
    let got: Received = Arc::default();
    let app = axum::Router::new()
        .route(
            "/robot/send",
            post(
                |State((got, fail)): State<(Received, bool)>,
                 Query(q): Query<HashMap<String, String>>,
                 headers: HeaderMap,
                 body: String| async move {
                    if fail {
                        return r#"{"errcode":310000,"errmsg":"keywords not in content"}"#
                            .to_string();
                    }
                    let ts: i64 = q.get("timestamp").and_then(|t| t.parse().ok()).unwrap_or(0);
                    let fresh = (chrono::Utc::now().timestamp_millis() - ts).abs() < 3_600_000;
                    // The query was percent-decoded by the extractor: compare with the plain base64.
                    let signed = q.get("sign").map(String::as_str)
                        == Some(domain::outbox::dingtalk_sign(SECRET, ts).as_str());
                    if !(fresh && signed) {
                        return r#"{"errcode":310000,"errmsg":"sign not match"}"#.to_string();
                    }
                    let v: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
                    let ok = v["msgtype"] == "markdown"
                        && v["markdown"]["title"].is_string()
                        && v["markdown"]["text"]
                            .as_str()
                            .is_some_and(|t| t.contains("]("));
                    if !ok {
                        return r#"{"errcode":40035,"errmsg":"invalid body"}"#.to_string();
                    }
                    let key = headers
                        .get("idempotency-key")
                        .and_then(|k| k.to_str().ok())
                        .unwrap_or_default()
                        .to_string();
                    got.lock().unwrap().push((q, key, v));
                    r#"{"errcode":0,"errmsg":"ok"}"#.to_string()
                },
            ),
        )
        .with_state((got.clone(), fail));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}/robot/send?access_token=t0ken"), got)
}

fn worker(app: &TestApp, max_attempts: u32) -> web::outbox::Worker {
    web::outbox::Worker::new(
        app.t.store.clone(),
        web::outbox::WorkerConfig {
            backoff: Backoff {
                base: std::time::Duration::ZERO,
                cap: std::time::Duration::ZERO,
                max_attempts,
            },
            public_url: "https://jiaogong.example.edu.cn".into(),
            ..Default::default()
        },
    )
}

/// An accepted proposal of school A handled by `dept`, with its reply due today.
pub(crate) async fn overdue_proposal(app: &TestApp, dept: OrgUnitId) -> ProposalId {
    let st = &app.t.store;
    let o = &app.org;
    let term = terms::create_term(
        st,
        &sys(),
        &who(),
        o.school_a,
        &TermDraft {
            number: 1,
            mode: CongressMode::Congress,
            start_date: today() - Duration::days(400),
            end_date: today() + Duration::days(700),
        },
    )
    .await
    .unwrap();
    let mut members = Vec::new();
    for i in 0..3 {
        let m = member(st, o.school_a, &format!("代表{i}"), 10 + i).await;
        terms::add_delegate(
            st,
            &sys(),
            &who(),
            term,
            m,
            DelegateKind::Delegate,
            None,
            today() - Duration::days(300),
        )
        .await
        .unwrap();
        members.push(m);
    }
    let meeting = meetings::create_meeting(
        st,
        &sys(),
        &who(),
        term,
        &MeetingDraft {
            kind: MeetingKind::Regular,
            meeting_date: today() + Duration::days(20),
            starts_at: None,
            place: "礼堂".into(),
            proposals_from: None,
            proposals_until: None,
        },
    )
    .await
    .unwrap();
    let as_member = |m: domain::ids::MemberId| {
        let mut a = actor(&[(Role::Delegate, o.school_a)]);
        a.account = domain::ids::AccountId(7000 + m.0);
        a.member = Some(m);
        a
    };
    let submit =
        domain::congress::authorize_self::<perm::ProposalSubmit>(&as_member(members[0])).unwrap();
    let draft = ProposalInput {
        title: "维修饮水机".into(),
        category: "logistics".into(),
        reasons: "三楼饮水机坏了，教师无法饮水。".into(),
        measures: "请总务处尽快维修。".into(),
    }
    .parse()
    .unwrap();
    let p = proposals::create_draft(st, &submit, &who(), meeting, &draft, today())
        .await
        .unwrap();
    for m in &members[1..] {
        let a = domain::congress::authorize_self::<perm::ProposalSecond>(&as_member(*m)).unwrap();
        proposals::second(st, &a, &who(), p).await.unwrap();
    }
    proposals::submit(st, &submit, &who(), p, today())
        .await
        .unwrap();
    let cap = actor(&[(Role::SchoolChair, o.school_a)])
        .authorize::<perm::ProposalReview>()
        .unwrap();
    proposals::review(
        st,
        &cap,
        &who(),
        p,
        &Review {
            decision: ReviewDecision::Accept,
            reason: "好".into(),
            merge_into: None,
        },
    )
    .await
    .unwrap();
    proposals::assign(
        st,
        &cap,
        &who(),
        p,
        &Assignment {
            handler: dept,
            co_handlers: vec![],
            deadline: today(),
        },
        today(),
    )
    .await
    .unwrap();
    p
}

dual_test!(async fn an_overdue_reply_reaches_the_department_inbox_and_the_schools_signed_group_robot(t) {
    let app = TestApp::new(t).await;
    let o = app.org.clone();
    let (url, got) = robot(false).await;
    let mut chair = app.client_as(Role::SchoolChair, o.school_a).await;
    // A wrong address is refused at its field and nothing is saved.
    let r = chair.post(&format!("/org/{}/robot", o.school_a), &[("kind", "dingtalk"), ("url", "http://oapi.dingtalk.com/robot/send?access_token=x"), ("secret", "")]).await;
    r.assert_status(200);
    assert_eq!(r.select("#url-error").len(), 1);
    assert!(r.select("#url-error")[0].contains("https://"), "{:?}", r.select("#url-error"));
    assert!(r.select("#robot-current").is_empty());
    let r = chair.post(&format!("/org/{}/robot", o.school_a), &[("kind", "dingtalk"), ("url", &url), ("secret", "not-a-secret")]).await;
    assert_eq!(r.select("#secret-error").len(), 1);
    let r = chair.post(&format!("/org/{}/robot", o.school_a), &[("kind", "dingtalk"), ("url", &url), ("secret", SECRET)]).await;
    r.assert_status(303);
    let page = chair.follow(&r).await;
    let current = page.select("#robot-current").join("");
    assert!(current.contains("钉钉") && !current.contains("t0ken"), "the key is never shown back: {current}");
    // The test button shows the robot's own answer.
    let r = chair.post(&format!("/org/{}/robot/test", o.school_a), &[]).await;
    assert!(r.select("#robot-test-answer")[0].contains("机器人已接收"), "{:?}", r.select("#robot-test-answer"));
    assert_eq!(got.lock().unwrap().len(), 1);
    // Another school's chair cannot see or set it.
    let mut other = app.client_as(Role::SchoolChair, o.school_b).await;
    assert_eq!(other.get(&format!("/org/{}/robot", o.school_a)).await.status.as_u16(), 404);

    let general = store::org::create_unit(&app.t.store, &sys(), &who(), Some(o.school_a), &store::org::NewUnit::branch("SA1-ZW".into(), "总务处".into())).await.unwrap();
    let dept_account = app.account("zongwu", Role::HandlingDepartment, general).await;
    let p = overdue_proposal(&app, general).await;
    let later = today() + Duration::days(3);
    let cap = actor(&[(Role::SchoolChair, o.school_a)]).authorize::<perm::ProposalReview>().unwrap();
    assert_eq!(proposals::remind_overdue(&app.t.store, &cap, &who(), later).await.unwrap(), 1);

    // The department: a badge in the header, the item in the inbox, its link to the proposal.
    let mut dept = app.client_for(dept_account).await;
    let home = dept.get("/inbox").await;
    assert_eq!(home.select("#inbox-link .badge"), vec!["1".to_string()]);
    let items = home.select(".inbox-item.unread");
    assert_eq!(items.len(), 1);
    assert!(items[0].contains("维修饮水机") && items[0].contains("已逾期 3 天"), "{items:?}");
    let action = home.html().select(&scraper::Selector::parse(".inbox-item form").unwrap()).next().unwrap().value().attr("action").unwrap().to_string();
    let r = dept.post(&action, &[]).await;
    r.assert_status(303);
    assert_eq!(r.location().unwrap(), format!("/proposals/{}", p.0));
    assert_eq!(dept.follow(&r).await.status.as_u16(), 200, "the department may open the proposal it was sent to");
    assert!(dept.get("/inbox").await.select("#inbox-link .badge").is_empty());
    // Someone else cannot open (or mark) the department's item.
    let r = chair.post(&action, &[]).await;
    assert_eq!(r.status.as_u16(), 404);

    // The school's robot gets one signed markdown message with the link, once.
    let w = worker(&app, 3);
    assert_eq!(w.run_once().await.unwrap(), 1);
    assert_eq!(w.run_once().await.unwrap(), 0);
    let got = got.lock().unwrap().clone();
    assert_eq!(got.len(), 2);
    let (_, key, body) = &got[1];
    assert!(key.starts_with(&format!("proposal-overdue:{}:", p.0)), "{key}");
    let text = body["markdown"]["text"].as_str().unwrap();
    assert!(text.contains("维修饮水机") && text.contains(&format!("https://jiaogong.example.edu.cn/proposals/{}", p.0)), "{text}");
    // Reminding again the same day sends nothing more.
    assert!(!proposals::remind(&app.t.store, &cap, &who(), p, later).await.unwrap());
    assert_eq!(w.run_once().await.unwrap(), 0);
});

dual_test!(async fn a_robot_answering_an_error_is_retried_then_parked_and_the_admin_sees_why_and_retries_it(t) {
    let app = TestApp::new(t).await;
    let o = app.org.clone();
    let (url, _) = robot(true).await;
    let mut chair = app.client_as(Role::SchoolChair, o.school_a).await;
    chair.post(&format!("/org/{}/robot", o.school_a), &[("kind", "dingtalk"), ("url", &url), ("secret", SECRET)]).await.assert_status(303);
    let r = chair.post(&format!("/org/{}/robot/test", o.school_a), &[]).await;
    assert!(r.select("#robot-test-answer")[0].contains("keywords not in content"), "the real answer is shown: {:?}", r.select("#robot-test-answer"));
    let msg = domain::outbox::Message::new(domain::outbox::MessageKind::RobotTest, &[("unit", "甲一小学工会".into())], "/");
    let mut tx = app.t.store.db.begin().await.unwrap();
    store::outbox::enqueue(&mut tx, &[store::outbox::NewJob {
        channel: Channel::Robot,
        idempotency_key: "k-fail".into(),
        org_unit: Some(o.school_a),
        account: None,
        payload: serde_json::to_string(&store::notify::Payload { message: msg }).unwrap(),
        run_at: store::now(),
        max_attempts: 2,
    }], store::now()).await.unwrap();
    tx.commit().await.unwrap();
    let w = worker(&app, 2);
    assert_eq!(w.run_once().await.unwrap(), 1);
    assert_eq!(w.run_once().await.unwrap(), 1, "retried");
    assert_eq!(w.run_once().await.unwrap(), 0, "parked after the last try");
    let mut admin = app.client_as(Role::UnionStaff, o.union).await;
    let page = admin.get("/jobs").await;
    page.assert_status(200);
    assert_eq!(page.select("#parked-count"), vec!["1".to_string()]);
    let row = page.select("#parked-jobs tbody tr").join("");
    assert!(row.contains("keywords not in content") && row.contains("群机器人"), "{row}");
    // The chair of the school is not the administrator.
    assert_eq!(chair.get("/jobs").await.status.as_u16(), 403);
    let action = page.html().select(&scraper::Selector::parse("#parked-jobs form").unwrap()).next().unwrap().value().attr("action").unwrap().to_string();
    admin.post(&action, &[]).await.assert_status(303);
    assert_eq!(admin.get("/jobs").await.select("#parked-count"), vec!["0".to_string()]);
    assert_eq!(w.run_once().await.unwrap(), 1, "back in the queue");
});

/// Every message kind has a title and a body in both languages, and its texts use only the
/// arguments the kind declares — none of which is personal data (ID numbers, phones,
/// incomes, hardship, health). A new message that reached for `{ $phone }` fails here.
#[test]
fn no_message_template_can_carry_personal_data() {
    use domain::outbox::{MessageKind, PERSONAL_ARGS};
    use web::i18n::{Lang, Tr};
    let catalogues = [
        include_str!("../../locales/zh-CN/notify.ftl"),
        include_str!("../../locales/en/notify.ftl"),
    ];
    for kind in MessageKind::ALL {
        for a in kind.args() {
            assert!(!PERSONAL_ARGS.contains(a), "{kind:?} declares {a}");
        }
        for cat in catalogues {
            for part in ["title", "body"] {
                let key = format!("notify-{}-{part}", kind.key());
                let line = cat
                    .lines()
                    .find(|l| l.starts_with(&format!("{key} =")))
                    .unwrap_or_else(|| panic!("{key} missing"));
                for var in line
                    .split("{ $")
                    .skip(1)
                    .filter_map(|v| v.split([' ', '}']).next())
                {
                    assert!(
                        kind.args().contains(&var),
                        "{key} uses {var}, which {kind:?} does not declare"
                    );
                }
            }
        }
        for lang in [Lang::Zh, Lang::En] {
            let args: Vec<(&str, String)> =
                kind.args().iter().map(|a| (*a, format!("<{a}>"))).collect();
            let m = domain::outbox::Message::new(*kind, &args, "/");
            let (title, body) = web::outbox::render(&Tr::new(lang), &m);
            assert!(
                !title.starts_with("notify-") && !body.starts_with("notify-"),
                "{kind:?} has no text in {lang:?}"
            );
        }
    }
}

/// A real SMTP server process (Debian `python3-aiosmtpd`, its debugging handler printing
/// every message) on a free port of 127.0.0.1, with what it printed. `None` — and a visible
/// SKIPPED — where it is not installed, unless `JIAOGONG_REQUIRE_SMTP=1`.
fn smtp_server() -> Option<(u16, std::process::Child, tempfile::NamedTempFile)> {
    let python = ["/usr/bin/python3", "python3"].into_iter().find(|p| {
        std::process::Command::new(p)
            .args(["-c", "import aiosmtpd"])
            .output()
            .is_ok_and(|o| o.status.success())
    });
    let Some(python) = python else {
        assert!(
            std::env::var("JIAOGONG_REQUIRE_SMTP").is_err(),
            "JIAOGONG_REQUIRE_SMTP=1 but python3-aiosmtpd is not installed"
        );
        testkit::pg_cluster::not_run(
            "the e-mail test",
            "python3-aiosmtpd is not installed (apt-get install python3-aiosmtpd)",
        );
        return None;
    };
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let out = tempfile::NamedTempFile::new().unwrap();
    let mut child = std::process::Command::new(python)
        .args([
            "-u",
            "-m",
            "aiosmtpd",
            "-n",
            "-l",
            &format!("127.0.0.1:{port}"),
        ])
        .stdout(out.reopen().unwrap())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Up to 20 s: Python's start-up on a machine busy with other builds and tests took
    // longer than 5 s once, and a slow start is not what these tests are about.
    for _ in 0..400 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Some((port, child, out));
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("the SMTP server did not start on port {port}");
}

/// The text of the first message the debugging server printed (its body decoded).
fn printed_body(dump: &str) -> String {
    use base64::Engine as _;
    let lines: Vec<&str> = dump.lines().collect();
    let Some(start) = lines
        .iter()
        .position(|l| l.eq_ignore_ascii_case("Content-Transfer-Encoding: base64"))
    else {
        return dump.replace("=\n", "");
    };
    let b64: String = lines[start + 1..]
        .iter()
        .skip_while(|l| !l.trim().is_empty())
        .skip(1)
        .take_while(|l| !l.trim().is_empty() && !l.starts_with("---"))
        .map(|l| l.trim())
        .collect();
    String::from_utf8(
        base64::engine::general_purpose::STANDARD
            .decode(b64)
            .unwrap_or_default(),
    )
    .unwrap_or_default()
}

dual_test!(async fn an_overdue_reply_is_e_mailed_to_the_chair_who_asked_for_e_mail_through_a_real_smtp_server(t) {
    let Some((port, mut server, out)) = smtp_server() else { return };
    let app = TestApp::new(t).await;
    let o = app.org.clone();
    let chair = app.account("chair", Role::SchoolChair, o.school_a).await;
    let quiet = app.account("chair2", Role::SchoolChair, o.school_a).await;
    store::notify::set_email(app.t.db(), chair, Some("chair@school.edu.cn"), true).await.unwrap();
    store::notify::set_email(app.t.db(), quiet, Some("quiet@school.edu.cn"), false).await.unwrap();
    let general = store::org::create_unit(&app.t.store, &sys(), &who(), Some(o.school_a), &store::org::NewUnit::branch("SA1-ZW".into(), "总务处".into())).await.unwrap();
    let p = overdue_proposal(&app, general).await;
    let cap = actor(&[(Role::SchoolChair, o.school_a)]).authorize::<perm::ProposalReview>().unwrap();
    proposals::remind_overdue(&app.t.store, &cap, &who(), today() + Duration::days(3)).await.unwrap();
    let smtp = web::outbox::SmtpSettings {
        host: "127.0.0.1".into(),
        port,
        tls: web::outbox::SmtpTls::Plain,
        username: None,
        password: None,
        from: "教工平台 <noreply@example.edu.cn>".into(),
    };
    let w = worker(&app, 3).with_smtp(&smtp).unwrap();
    assert_eq!(w.run_once().await.unwrap(), 1, "one e-mail: the chair who switched e-mail off gets none");
    let mut dump = String::new();
    for _ in 0..400 {
        dump = std::fs::read_to_string(out.path()).unwrap_or_default();
        if dump.contains("END MESSAGE") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let _ = server.kill();
    let _ = server.wait();
    assert!(dump.contains("chair@school.edu.cn") && !dump.contains("quiet@school.edu.cn"), "{dump}");
    assert!(dump.contains("@jiaogong>"), "the Message-ID comes from the idempotency key: {dump}");
    let body = printed_body(&dump);
    assert!(body.contains("维修饮水机") && body.contains(&format!("https://jiaogong.example.edu.cn/proposals/{}", p.0)), "{body}\n{dump}");
    assert_eq!(w.run_once().await.unwrap(), 0);
});

/// 10:00 China time on `d` (a day of the fixed test calendar, so always in the past: the
/// worker may send what the scan queued then, and no quiet hour holds it).
fn ten_am(d: chrono::NaiveDate) -> chrono::DateTime<chrono::Utc> {
    d.and_hms_opt(2, 0, 0).unwrap().and_utc()
}

/// When a scan of `day` runs: 10:00 China time, but never later than the fixed test
/// calendar's today, so that the worker (which reads the real clock) may send what it
/// queued whichever day the test runs on.
fn sent_at(day: chrono::NaiveDate) -> chrono::DateTime<chrono::Utc> {
    ten_am(day.min(today()))
}

dual_test!(async fn an_overdue_reply_reaches_the_department_and_the_schools_robot_escalates_to_the_committee_then_the_chair_and_is_listed_on_the_dashboard(t) {
    let app = TestApp::new(t).await;
    let o = app.org.clone();
    let (url, got) = robot(false).await;
    let mut setter = app.client_as(Role::SchoolChair, o.school_a).await;
    setter.post(&format!("/org/{}/robot", o.school_a), &[("kind", "dingtalk"), ("url", &url), ("secret", SECRET)]).await.assert_status(303);
    let general = store::org::create_unit(&app.t.store, &sys(), &who(), Some(o.school_a), &store::org::NewUnit::branch("SA1-ZW".into(), "总务处".into())).await.unwrap();
    let dept_account = app.account("zongwu", Role::HandlingDepartment, general).await;
    let chair_account = app.account("chair1", Role::SchoolChair, o.school_a).await;
    let committee_account = app.account("tiwei", Role::ProposalsCommittee, o.school_a).await;
    let p = overdue_proposal(&app, general).await;

    // The day after the deadline: the department's inbox and the school's group.
    let day = today() + Duration::days(1);
    remind_as_scheduler(&app.t.store, day, sent_at(day)).await;
    let mut dept = app.client_for(dept_account).await;
    let items = dept.get("/inbox").await.select(".inbox-item.unread");
    assert_eq!(items.len(), 1, "{items:?}");
    assert!(items[0].contains("维修饮水机") && items[0].contains("已逾期 1 天") && items[0].contains("提案答复"), "{items:?}");
    let mut chair = app.client_for(chair_account).await;
    assert!(chair.get("/inbox").await.select(".inbox-item").is_empty(), "the chair is not told before the escalation delay");
    let w = worker(&app, 3);
    assert_eq!(w.run_once().await.unwrap(), 1);
    {
        let got = got.lock().unwrap();
        let (_, key, body) = got.last().unwrap();
        assert_eq!(*key, format!("due:congress:proposal-reply:{}:1:overdue:robot:{}", p.0, o.school_a.0));
        let text = body["markdown"]["text"].as_str().unwrap();
        assert!(text.contains("维修饮水机") && text.contains(&format!("/proposals/{}", p.0)), "{text}");
    }
    // Scanning again the same day (or after a crash) sends nothing more.
    assert_eq!(remind_as_scheduler(&app.t.store, day, sent_at(day)).await.inbox, 0);
    assert_eq!(w.run_once().await.unwrap(), 0);

    // Six days late: still the department alone. Seven, the chain's first level (the
    // built-in rule set): the school's proposals committee hears, the group again; the
    // chair not yet.
    let mut committee = app.client_for(committee_account).await;
    let day = today() + Duration::days(6);
    remind_as_scheduler(&app.t.store, day, sent_at(day)).await;
    assert!(chair.get("/inbox").await.select(".inbox-item").is_empty());
    assert!(committee.get("/inbox").await.select(".inbox-item").is_empty());
    let day = today() + Duration::days(7);
    remind_as_scheduler(&app.t.store, day, sent_at(day)).await;
    let items = committee.get("/inbox").await.select(".inbox-item.unread");
    assert_eq!(items.len(), 1, "{items:?}");
    assert!(items[0].contains("提请督办") && items[0].contains("已逾期 7 天"), "{items:?}");
    assert!(chair.get("/inbox").await.select(".inbox-item").is_empty(), "the chair is the second level");
    assert_eq!(w.run_once().await.unwrap(), 1);
    assert_eq!(got.lock().unwrap().len(), 2);
    // Fourteen days late, the second level: the school's chair.
    let day = today() + Duration::days(14);
    remind_as_scheduler(&app.t.store, day, sent_at(day)).await;
    let items = chair.get("/inbox").await.select(".inbox-item.unread");
    assert_eq!(items.len(), 1, "{items:?}");
    assert!(items[0].contains("提请督办") && items[0].contains("已逾期 14 天"), "{items:?}");
    assert_eq!(w.run_once().await.unwrap(), 1);
    assert_eq!(got.lock().unwrap().len(), 3);

    // The dashboard's "needs attention" lists it for the school, overdue, linked to the
    // proposal; another school's chair sees the empty state with what to do next.
    let home = chair.get("/").await;
    home.assert_status(200);
    let rows = home.select("#attention .attention-item.overdue");
    assert_eq!(rows.len(), 1, "{:?}", home.select("#attention"));
    assert!(rows[0].contains("维修饮水机") && rows[0].contains("已逾期"), "{rows:?}");
    let href = home.html().select(&scraper::Selector::parse("#attention .attention-item a").unwrap()).next().unwrap().value().attr("href").unwrap().to_string();
    assert_eq!(href, format!("/proposals/{}", p.0));
    let mut other = app.client_as(Role::SchoolChair, o.school_b).await;
    let home = other.get("/").await;
    assert!(home.select("#attention .attention-item").is_empty());
    assert_eq!(home.select("#attention .empty").len(), 1);
});

dual_test!(async fn the_preferences_page_keeps_what_was_typed_on_error_and_saves_the_choices(t) {
    let app = TestApp::new(t).await;
    let o = app.org.clone();
    let me = app.account("me", Role::SchoolChair, o.school_a).await;
    let mut c = app.client_for(me).await;
    let page = c.get("/me/notifications").await;
    page.assert_status(200);
    assert_eq!(page.select("#prefs-form").len(), 1);
    let value = |r: &testkit::app::Resp, css: &str, attr: &str| -> Option<String> {
        r.html().select(&scraper::Selector::parse(css).unwrap()).next().and_then(|e| e.value().attr(attr).map(str::to_string))
    };
    // A bad address and a bad time: both named at their fields, nothing lost, nothing saved.
    let r = c.post("/me/notifications", &[("email", "chair@school"), ("email_on", "on"), ("digest", "on"), ("quiet_start", "25:00"), ("quiet_end", "07:00"), ("email_term_expiring", "on")]).await;
    r.assert_status(200);
    assert_eq!(r.select("#email-error").len(), 1, "{:?}", r.select("#prefs-form"));
    assert_eq!(r.select("#quiet_start-error").len(), 1);
    assert!(r.select("#quiet_start-error")[0].contains("22:00"), "{:?}", r.select("#quiet_start-error"));
    assert_eq!(value(&r, "#email", "value").as_deref(), Some("chair@school"));
    assert_eq!(value(&r, "#quiet_start", "value").as_deref(), Some("25:00"));
    assert_eq!(value(&r, "#quiet_end", "value").as_deref(), Some("07:00"));
    assert!(value(&r, "#digest", "checked").is_some());
    assert!(value(&r, "input[name=email_term_expiring]", "checked").is_some());
    assert!(value(&r, "input[name=email_proposal_reply]", "checked").is_none());
    assert_eq!(store::notify::prefs(app.t.db(), me).await.unwrap(), store::notify::Prefs::default());
    // E-mail on without an address is refused too.
    let r = c.post("/me/notifications", &[("email", ""), ("email_on", "on")]).await;
    assert_eq!(r.select("#email-error").len(), 1);
    // Valid: saved, and shown back.
    let r = c.post("/me/notifications", &[("email", " chair@school.edu.cn "), ("email_on", "on"), ("quiet_start", "22:00"), ("quiet_end", "07:00"), ("email_proposal_reply", "on")]).await;
    r.assert_status(303);
    let page = c.follow(&r).await;
    assert_eq!(value(&page, "#email", "value").as_deref(), Some("chair@school.edu.cn"));
    assert_eq!(value(&page, "#quiet_start", "value").as_deref(), Some("22:00"));
    assert!(value(&page, "input[name=email_term_expiring]", "checked").is_none());
    let p = store::notify::prefs(app.t.db(), me).await.unwrap();
    assert!(p.email_on && !p.digest);
    assert!(p.inbox_only.contains(&domain::notify::ReminderKind::TermExpiring));
    assert!(!p.inbox_only.contains(&domain::notify::ReminderKind::ProposalReply));
    // In English too.
    let mut en = c.header("accept-language", "en");
    let en = en.get("/me/notifications").await;
    assert!(en.select("h1").join("").contains("Reminder settings"), "{:?}", en.select("h1"));
});

/// A daily digest is one e-mail: its heading with the count, then every bundled reminder
/// with its own title, text and link (rendered from the catalogue, nothing personal).
#[test]
fn a_digest_e_mail_lists_every_bundled_reminder_with_its_link() {
    use domain::outbox::{Message, MessageKind};
    let due = |title: &str, link: &str| {
        Message::new(
            MessageKind::DueOverdue,
            &[
                ("what", "due-congress-proposal-reply".into()),
                ("title", title.into()),
                ("unit", "甲一小学工会".into()),
                ("due", "2026-11-25".into()),
                ("days", "3".into()),
            ],
            link,
        )
    };
    let head = Message::new(MessageKind::Digest, &[("count", "2".into())], "/inbox");
    let tr = web::i18n::Tr::new(web::i18n::Lang::Zh);
    let (title, body) = web::outbox::email_text(
        &tr,
        &head,
        &[
            due("维修饮水机", "/proposals/1"),
            due("增设停车位", "/proposals/2"),
        ],
        "https://jiaogong.example.edu.cn/",
    );
    assert!(title.contains('2'), "{title}");
    for needle in [
        "提案答复",
        "维修饮水机",
        "https://jiaogong.example.edu.cn/proposals/1",
        "增设停车位",
        "https://jiaogong.example.edu.cn/proposals/2",
        "已逾期 3 天",
    ] {
        assert!(body.contains(needle), "{needle} missing from:\n{body}");
    }
}

/// A school with a robot, a department with a login and an overdue reply (due on
/// `today()`): what the two reminder tests below share.
async fn overdue_with_robot(app: &TestApp) -> (ProposalId, domain::ids::AccountId, Received) {
    let o = app.org.clone();
    let (url, got) = robot(false).await;
    let mut setter = app.client_as(Role::SchoolChair, o.school_a).await;
    setter
        .post(
            &format!("/org/{}/robot", o.school_a),
            &[("kind", "dingtalk"), ("url", &url), ("secret", SECRET)],
        )
        .await
        .assert_status(303);
    let general = store::org::create_unit(
        &app.t.store,
        &sys(),
        &who(),
        Some(o.school_a),
        &store::org::NewUnit::branch("SA1-ZW".into(), "总务处".into()),
    )
    .await
    .unwrap();
    let dept = app
        .account("zongwu", Role::HandlingDepartment, general)
        .await;
    let p = overdue_proposal(app, general).await;
    (p, dept, got)
}

dual_test!(async fn after_the_daily_scan_a_reminder_by_hand_the_same_day_sends_nothing_more(t) {
    let app = TestApp::new(t).await;
    let (p, dept_account, got) = overdue_with_robot(&app).await;
    let cap = actor(&[(Role::SchoolChair, app.org.school_a)]).authorize::<perm::ProposalReview>().unwrap();
    let day = today() + Duration::days(1);
    let r = remind_as_scheduler(&app.t.store, day, ten_am(day)).await;
    assert_eq!((r.inbox, r.jobs), (1, 1), "the scan told the department and the group");
    // The committee presses "remind" the same day, for this reply and for all overdue ones.
    assert!(!proposals::remind(&app.t.store, &cap, &who(), p, day).await.unwrap(), "already reminded today");
    assert_eq!(proposals::remind_overdue(&app.t.store, &cap, &who(), day).await.unwrap(), 0);
    let mut dept = app.client_for(dept_account).await;
    assert_eq!(dept.get("/inbox").await.select(".inbox-item").len(), 1, "one reminder in the department's inbox");
    let w = worker(&app, 3);
    assert_eq!(w.run_once().await.unwrap(), 1);
    assert_eq!(w.run_once().await.unwrap(), 0);
    assert_eq!(got.lock().unwrap().len(), 1, "one message in the group");
    // Two days later a reminder by hand is a new reminder.
    let later = today() + Duration::days(3);
    assert!(proposals::remind(&app.t.store, &cap, &who(), p, later).await.unwrap());
    assert_eq!(dept.get("/inbox").await.select(".inbox-item").len(), 2);
    assert_eq!(w.run_once().await.unwrap(), 1);
    assert_eq!(got.lock().unwrap().len(), 2);
});

dual_test!(async fn after_a_reminder_by_hand_the_daily_scan_the_same_day_sends_nothing_more(t) {
    let app = TestApp::new(t).await;
    let (p, dept_account, got) = overdue_with_robot(&app).await;
    let cap = actor(&[(Role::SchoolChair, app.org.school_a)]).authorize::<perm::ProposalReview>().unwrap();
    let day = today() + Duration::days(1);
    assert!(proposals::remind(&app.t.store, &cap, &who(), p, day).await.unwrap());
    let r = remind_as_scheduler(&app.t.store, day, ten_am(day)).await;
    assert_eq!((r.inbox, r.jobs), (0, 0), "the scan sends nothing for a reply reminded by hand today");
    let mut dept = app.client_for(dept_account).await;
    let items = dept.get("/inbox").await.select(".inbox-item");
    assert_eq!(items.len(), 1, "{items:?}");
    assert!(items[0].contains("维修饮水机"), "{items:?}");
    let w = worker(&app, 3);
    assert_eq!(w.run_once().await.unwrap(), 1);
    assert_eq!(w.run_once().await.unwrap(), 0);
    assert_eq!(got.lock().unwrap().len(), 1, "one message in the group");
    // The scan's own reminder is not lost: it comes the next day, once.
    let next = today() + Duration::days(2);
    let r = remind_as_scheduler(&app.t.store, next, ten_am(next)).await;
    assert_eq!((r.inbox, r.jobs), (1, 1));
    assert_eq!(remind_as_scheduler(&app.t.store, next, ten_am(next)).await.inbox, 0);
    assert_eq!(dept.get("/inbox").await.select(".inbox-item").len(), 2);
    assert!(!proposals::remind(&app.t.store, &cap, &who(), p, next).await.unwrap(), "and then no reminder by hand that day");
});

/// A 企业微信-like group robot on 127.0.0.1:0: it takes only a markdown message as its
/// documentation defines it (`{"msgtype":"markdown","markdown":{"content":…}}`, content at
/// most 4096 bytes) posted with the robot's key in the query, and refuses anything else.
async fn wecom_robot() -> (String, Received) {
    let got: Received = Arc::default();
    let app = axum::Router::new()
        .route(
            "/cgi-bin/webhook/send",
            post(
                |State(got): State<Received>,
                 Query(q): Query<HashMap<String, String>>,
                 headers: HeaderMap,
                 body: String| async move {
                    if q.get("key").map(String::as_str) != Some("wecomkey1") {
                        return r#"{"errcode":93000,"errmsg":"invalid webhook url"}"#.to_string();
                    }
                    let v: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
                    let content = v["markdown"]["content"].as_str().unwrap_or_default();
                    let ok = v["msgtype"] == "markdown"
                        && v["markdown"].as_object().is_some_and(|m| m.len() == 1)
                        && !content.is_empty()
                        && content.len() <= 4096
                        && content.contains("](");
                    if !ok {
                        return r#"{"errcode":40008,"errmsg":"invalid message type"}"#.to_string();
                    }
                    let key = headers
                        .get("idempotency-key")
                        .and_then(|k| k.to_str().ok())
                        .unwrap_or_default()
                        .to_string();
                    got.lock().unwrap().push((q, key, v));
                    r#"{"errcode":0,"errmsg":"ok"}"#.to_string()
                },
            ),
        )
        .with_state(got.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (
        format!("http://{addr}/cgi-bin/webhook/send?key=wecomkey1"),
        got,
    )
}

dual_test!(async fn a_wecom_group_robot_gets_the_overdue_reply_as_the_markdown_its_documentation_defines(t) {
    let app = TestApp::new(t).await;
    let o = app.org.clone();
    let (url, got) = wecom_robot().await;
    let mut chair = app.client_as(Role::SchoolChair, o.school_a).await;
    chair.post(&format!("/org/{}/robot", o.school_a), &[("kind", "wecom"), ("url", &url), ("secret", "")]).await.assert_status(303);
    let r = chair.post(&format!("/org/{}/robot/test", o.school_a), &[]).await;
    assert!(r.select("#robot-test-answer")[0].contains("机器人已接收"), "{:?}", r.select("#robot-test-answer"));
    let general = store::org::create_unit(&app.t.store, &sys(), &who(), Some(o.school_a), &store::org::NewUnit::branch("SA1-ZW".into(), "总务处".into())).await.unwrap();
    let p = overdue_proposal(&app, general).await;
    let day = today() + Duration::days(1);
    remind_as_scheduler(&app.t.store, day, ten_am(day)).await;
    let w = worker(&app, 3);
    assert_eq!(w.run_once().await.unwrap(), 1);
    let got = got.lock().unwrap().clone();
    assert_eq!(got.len(), 2, "the test message and the reminder");
    let content = got[1].2["markdown"]["content"].as_str().unwrap();
    assert!(content.contains("维修饮水机") && content.contains(&format!("(https://jiaogong.example.edu.cn/proposals/{})", p.0)), "{content}");
});

dual_test!(async fn the_escalation_to_the_chair_goes_out_as_e_mail_through_a_real_smtp_server_naming_the_rule_version(t) {
    let Some((port, mut server, out)) = smtp_server() else { return };
    let app = TestApp::new(t).await;
    let o = app.org.clone();
    let general = store::org::create_unit(&app.t.store, &sys(), &who(), Some(o.school_a), &store::org::NewUnit::branch("SA1-ZW".into(), "总务处".into())).await.unwrap();
    app.account("zongwu", Role::HandlingDepartment, general).await;
    let chair = app.account("chair", Role::SchoolChair, o.school_a).await;
    store::notify::set_email(app.t.db(), chair, Some("chair@school.edu.cn"), true).await.unwrap();
    let p = overdue_proposal(&app, general).await;
    // The district union's own chain, saved on its page: the chair after 10 days.
    let mut staff = app.client_as(Role::UnionStaff, o.union).await;
    staff.post(&format!("/notify/rules/{}", o.union), &[
        ("proposal_reply_before", "7"),
        ("proposal_reply_after1", "10"),
        ("proposal_reply_to1", "school_chair"),
        ("note", "区教育工会 2026 年第 3 次主席办公会"),
    ]).await.assert_status(303);
    let smtp = web::outbox::SmtpSettings {
        host: "127.0.0.1".into(),
        port,
        tls: web::outbox::SmtpTls::Plain,
        username: None,
        password: None,
        from: "教工平台 <noreply@example.edu.cn>".into(),
    };
    let w = worker(&app, 3).with_smtp(&smtp).unwrap();
    // Nine days late: nothing for the chair yet.
    let day = today() + Duration::days(9);
    remind_as_scheduler(&app.t.store, day, sent_at(day)).await;
    assert_eq!(w.run_once().await.unwrap(), 0, "nothing goes by e-mail before the chair's level");
    let day = today() + Duration::days(10);
    remind_as_scheduler(&app.t.store, day, sent_at(day)).await;
    assert_eq!(w.run_once().await.unwrap(), 1, "the escalation e-mail to the chair");
    let mut dump = String::new();
    for _ in 0..400 {
        dump = std::fs::read_to_string(out.path()).unwrap_or_default();
        if dump.contains("END MESSAGE") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let _ = server.kill();
    let _ = server.wait();
    assert!(dump.contains("chair@school.edu.cn"), "{dump}");
    let body = printed_body(&dump);
    assert!(body.contains("维修饮水机") && body.contains("已逾期 10 天") && body.contains(&format!("/proposals/{}", p.0)), "{body}");
    // The inbox item records which version of the rules sent it.
    let items = store::inbox::list(app.t.db(), chair, None, 10).await.unwrap();
    let rules = items[0].message.args.iter().find(|(k, _)| k == "rules").map(|(_, v)| v.clone()).unwrap_or_default();
    assert!(rules.starts_with("notify#") && rules.ends_with(" v1"), "{rules}");
});

dual_test!(async fn the_reminder_rules_page_keeps_what_was_typed_on_error_and_only_the_unions_managers_reach_it(t) {
    let app = TestApp::new(t).await;
    let o = app.org.clone();
    let mut staff = app.client_as(Role::UnionStaff, o.union).await;
    let page = staff.get(&format!("/notify/rules/{}", o.union)).await;
    page.assert_status(200);
    assert!(page.text().contains("notify-local-1") || page.text().contains("系统内置"), "the built-in rules are named");
    // A level out of order and an audience the kind cannot have: 422, at their fields,
    // everything typed kept.
    let r = staff.post(&format!("/notify/rules/{}", o.union), &[
        ("proposal_reply_before", "１０，5"),
        ("proposal_reply_after1", "9"),
        ("proposal_reply_to1", "proposals_committee"),
        ("proposal_reply_after2", "4"),
        ("proposal_reply_to2", "school_chair"),
        ("term_expiring_after1", "7"),
        ("term_expiring_to1", "proposals_committee"),
        ("note", "草稿说明"),
    ]).await;
    r.assert_status(422);
    let html = r.text();
    assert!(html.contains("１０，5") && html.contains("草稿说明"), "typed values stay");
    assert_eq!(r.select("#proposal_reply_after2-error").len(), 1);
    assert_eq!(r.select("#term_expiring_to1-error").len(), 1);
    let h: Vec<store::rule_sets::Version<domain::notify::NotifyRules>> = store::rule_sets::history(app.t.db(), &sys::<perm::RuleSetManage>(), store::notify::RULES_AREA, o.union).await.unwrap();
    assert!(h.is_empty(), "nothing stored from a refused form");
    // Saved: a version with its note, listed on the page, audited.
    staff.post(&format!("/notify/rules/{}", o.union), &[
        ("proposal_reply_before", "10, 5"),
        ("proposal_reply_after1", "9"),
        ("proposal_reply_to1", "proposals_committee"),
        ("note", "区教育工会 2026 年第 3 次主席办公会"),
    ]).await.assert_status(303);
    let page = staff.get(&format!("/notify/rules/{}", o.union)).await;
    assert!(page.text().contains("区教育工会 2026 年第 3 次主席办公会") && page.text().contains(" v1"), "{}", page.text());
    let audited: i64 = store::on_db!(app.t.db(), |p| sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'area_rule_set.create'").fetch_one(p).await).unwrap();
    assert_eq!(audited, 1);
    // Another school's chair cannot read or change the union's rules (nor school A's).
    let mut b = app.client_as(Role::SchoolChair, o.school_b).await;
    assert_eq!(b.get(&format!("/notify/rules/{}", o.school_a)).await.status.as_u16(), 404);
    assert_eq!(b.post(&format!("/notify/rules/{}", o.school_a), &[("proposal_reply_before", "1"), ("note", "x")]).await.status.as_u16(), 404);
    // A member cannot reach the page at all.
    let mut m = app.client_as(Role::Member, o.school_a).await;
    assert!(matches!(m.get(&format!("/notify/rules/{}", o.school_a)).await.status.as_u16(), 403 | 404));
});
