//! The authorization matrix: every route of the router, called by an anonymous visitor, a
//! member of another school and the chair of another school, must answer 401/403/404 (or,
//! for pages everyone may use, show nothing of school A). A route added without a row here
//! fails the test.

use domain::auth::Role;
use testkit::app::{Client, TestApp};
use testkit::*;
use web::{Access, Method, WebConfig};

/// What a visitor from school B may get on a route about school A.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Expect {
    /// Refused: 403 or 404.
    Deny,
    /// Allowed (own pages, or lists filtered to the visitor's scope): must not show A's data.
    Scoped,
}

/// (method, path, member of B, chair of B).
#[rustfmt::skip]
const MATRIX: &[(Method, &str, Expect, Expect)] = &[
    (Method::Get, "/", Expect::Scoped, Expect::Scoped),
    (Method::Get, "/account/password", Expect::Scoped, Expect::Scoped),
    (Method::Post, "/account/password", Expect::Scoped, Expect::Scoped),
    (Method::Get, "/account/totp", Expect::Scoped, Expect::Scoped),
    (Method::Post, "/account/totp/start", Expect::Scoped, Expect::Scoped),
    (Method::Post, "/account/totp/confirm", Expect::Scoped, Expect::Scoped),
    (Method::Get, "/accounts", Expect::Deny, Expect::Scoped),
    (Method::Get, "/accounts/new", Expect::Deny, Expect::Scoped),
    (Method::Post, "/accounts/new", Expect::Deny, Expect::Scoped),
    (Method::Post, "/accounts/{id}/grants", Expect::Deny, Expect::Deny),
    (Method::Post, "/accounts/{id}/link", Expect::Deny, Expect::Deny),
    (Method::Post, "/accounts/{id}/disable", Expect::Deny, Expect::Deny),
    (Method::Post, "/accounts/{id}/enable", Expect::Deny, Expect::Deny),
    (Method::Post, "/grants/{id}/revoke", Expect::Deny, Expect::Deny),
    (Method::Get, "/members", Expect::Deny, Expect::Scoped),
    (Method::Get, "/members/new", Expect::Deny, Expect::Scoped),
    (Method::Post, "/members/new", Expect::Deny, Expect::Scoped),
    (Method::Get, "/members/export.xlsx", Expect::Deny, Expect::Scoped),
    (Method::Get, "/members/export/full", Expect::Deny, Expect::Scoped),
    (Method::Post, "/members/export/full", Expect::Deny, Expect::Scoped),
    (Method::Get, "/members/{id}", Expect::Deny, Expect::Deny),
    (Method::Post, "/members/{id}/reveal", Expect::Deny, Expect::Deny),
    (Method::Get, "/members/{id}/edit", Expect::Deny, Expect::Deny),
    (Method::Post, "/members/{id}/edit", Expect::Deny, Expect::Deny),
    (Method::Get, "/members/{id}/transfer", Expect::Deny, Expect::Deny),
    (Method::Post, "/members/{id}/transfer", Expect::Deny, Expect::Deny),
    (Method::Post, "/members/{id}/status", Expect::Deny, Expect::Deny),
    (Method::Post, "/members/{id}/cadres", Expect::Deny, Expect::Deny),
    (Method::Post, "/members/{id}/cadres/{cadre}/end", Expect::Deny, Expect::Deny),
    (Method::Get, "/me", Expect::Scoped, Expect::Deny),
    (Method::Get, "/members/import", Expect::Deny, Expect::Scoped),
    (Method::Post, "/members/import", Expect::Deny, Expect::Scoped),
    (Method::Get, "/imports/{id}", Expect::Deny, Expect::Deny),
    (Method::Post, "/imports/{id}/apply", Expect::Deny, Expect::Deny),
    (Method::Get, "/imports/{id}/events", Expect::Deny, Expect::Deny),
    (Method::Post, "/imports/{id}/discard", Expect::Deny, Expect::Deny),
    (Method::Get, "/imports/{id}/errors.xlsx", Expect::Deny, Expect::Deny),
    (Method::Get, "/org", Expect::Deny, Expect::Scoped),
    (Method::Get, "/org/{id}/new", Expect::Deny, Expect::Deny),
    (Method::Post, "/org/{id}/new", Expect::Deny, Expect::Deny),
    (Method::Get, "/org/{id}/edit", Expect::Deny, Expect::Deny),
    (Method::Post, "/org/{id}/edit", Expect::Deny, Expect::Deny),
    (Method::Post, "/org/{id}/move", Expect::Deny, Expect::Deny),
    (Method::Get, "/audit", Expect::Deny, Expect::Deny),
    // Inbox (own items only), outbox, group robots.
    (Method::Get, "/inbox", Expect::Scoped, Expect::Scoped),
    (Method::Post, "/inbox/read", Expect::Scoped, Expect::Scoped),
    (Method::Post, "/inbox/{id}/open", Expect::Deny, Expect::Deny),
    (Method::Get, "/jobs", Expect::Deny, Expect::Deny),
    (Method::Post, "/jobs/{id}/retry", Expect::Deny, Expect::Deny),
    (Method::Get, "/org/{id}/robot", Expect::Deny, Expect::Deny),
    (Method::Post, "/org/{id}/robot", Expect::Deny, Expect::Deny),
    (Method::Post, "/org/{id}/robot/test", Expect::Deny, Expect::Deny),
    // The staff congress.
    (Method::Get, "/congress", Expect::Scoped, Expect::Scoped),
    (
        Method::Get,
        "/congress/terms/new",
        Expect::Deny,
        Expect::Scoped,
    ),
    (
        Method::Post,
        "/congress/terms/new",
        Expect::Deny,
        Expect::Scoped,
    ),
    (
        Method::Get,
        "/congress/terms/{id}",
        Expect::Deny,
        Expect::Deny,
    ),
    (
        Method::Post,
        "/congress/terms/{id}/delegates",
        Expect::Deny,
        Expect::Deny,
    ),
    (
        Method::Post,
        "/congress/terms/{id}/delegations",
        Expect::Deny,
        Expect::Deny,
    ),
    (
        Method::Get,
        "/congress/terms/{id}/import",
        Expect::Deny,
        Expect::Deny,
    ),
    (
        Method::Post,
        "/congress/terms/{id}/import",
        Expect::Deny,
        Expect::Deny,
    ),
    (
        Method::Post,
        "/congress/terms/{id}/sync",
        Expect::Deny,
        Expect::Deny,
    ),
    (
        Method::Get,
        "/congress/terms/{id}/composition",
        Expect::Deny,
        Expect::Deny,
    ),
    (
        Method::Get,
        "/congress/terms/{id}/meetings/new",
        Expect::Deny,
        Expect::Deny,
    ),
    (
        Method::Post,
        "/congress/terms/{id}/meetings/new",
        Expect::Deny,
        Expect::Deny,
    ),
    (
        Method::Get,
        "/congress/delegates/{id}/replace",
        Expect::Deny,
        Expect::Deny,
    ),
    (
        Method::Post,
        "/congress/delegates/{id}/replace",
        Expect::Deny,
        Expect::Deny,
    ),
    (
        Method::Get,
        "/congress/meetings/{id}",
        Expect::Deny,
        Expect::Deny,
    ),
    (
        Method::Post,
        "/congress/meetings/{id}/status",
        Expect::Deny,
        Expect::Deny,
    ),
    (
        Method::Post,
        "/congress/meetings/{id}/agenda",
        Expect::Deny,
        Expect::Deny,
    ),
    (
        Method::Post,
        "/congress/meetings/{id}/documents",
        Expect::Deny,
        Expect::Deny,
    ),
    (
        Method::Post,
        "/congress/meetings/{id}/roles",
        Expect::Deny,
        Expect::Deny,
    ),
    (
        Method::Post,
        "/congress/meetings/{id}/roles/remove",
        Expect::Deny,
        Expect::Deny,
    ),
    (
        Method::Get,
        "/congress/meetings/{id}/report",
        Expect::Deny,
        Expect::Deny,
    ),
    (
        Method::Get,
        "/congress/meetings/{id}/report.xlsx",
        Expect::Deny,
        Expect::Deny,
    ),
    (
        Method::Get,
        "/congress/meetings/{id}/desk",
        Expect::Deny,
        Expect::Deny,
    ),
    (
        Method::Post,
        "/congress/meetings/{id}/desk",
        Expect::Deny,
        Expect::Deny,
    ),
    (
        Method::Post,
        "/congress/meetings/{id}/desk/code",
        Expect::Deny,
        Expect::Deny,
    ),
    (
        Method::Post,
        "/congress/meetings/{id}/cards",
        Expect::Deny,
        Expect::Deny,
    ),
    (
        Method::Get,
        "/congress/meetings/{id}/check-in",
        Expect::Deny,
        Expect::Deny,
    ),
    (
        Method::Post,
        "/congress/meetings/{id}/check-in",
        Expect::Deny,
        Expect::Deny,
    ),
    (
        Method::Get,
        "/congress/meetings/{id}/board",
        Expect::Deny,
        Expect::Deny,
    ),
    (
        Method::Get,
        "/congress/meetings/{id}/board/events",
        Expect::Deny,
        Expect::Deny,
    ),
    (
        Method::Post,
        "/congress/agenda/{id}/remove",
        Expect::Deny,
        Expect::Deny,
    ),
    (
        Method::Get,
        "/congress/documents/{id}",
        Expect::Deny,
        Expect::Deny,
    ),
    (
        Method::Post,
        "/congress/documents/{id}/delete",
        Expect::Deny,
        Expect::Deny,
    ),
    (
        Method::Get,
        "/congress/rules/{id}",
        Expect::Deny,
        Expect::Deny,
    ),
    (
        Method::Post,
        "/congress/rules/{id}",
        Expect::Deny,
        Expect::Deny,
    ),
    (
        Method::Get,
        "/congress/oversight",
        Expect::Deny,
        Expect::Deny,
    ),
    (
        Method::Get,
        "/congress/oversight.xlsx",
        Expect::Deny,
        Expect::Deny,
    ),
    (Method::Get, "/proposals", Expect::Scoped, Expect::Scoped),
    (
        Method::Post,
        "/proposals/remind-overdue",
        Expect::Deny,
        Expect::Scoped,
    ),
    (Method::Get, "/proposals/new", Expect::Deny, Expect::Deny),
    (Method::Post, "/proposals/new", Expect::Deny, Expect::Deny),
    (Method::Get, "/proposals/{id}", Expect::Deny, Expect::Deny),
    (
        Method::Get,
        "/proposals/{id}/edit",
        Expect::Deny,
        Expect::Deny,
    ),
    (
        Method::Post,
        "/proposals/{id}/edit",
        Expect::Deny,
        Expect::Deny,
    ),
    (
        Method::Post,
        "/proposals/{id}/invite",
        Expect::Deny,
        Expect::Deny,
    ),
    (
        Method::Post,
        "/proposals/{id}/second",
        Expect::Deny,
        Expect::Deny,
    ),
    (
        Method::Post,
        "/proposals/{id}/decline",
        Expect::Deny,
        Expect::Deny,
    ),
    (
        Method::Post,
        "/proposals/{id}/submit",
        Expect::Deny,
        Expect::Deny,
    ),
    (
        Method::Post,
        "/proposals/{id}/review",
        Expect::Deny,
        Expect::Deny,
    ),
    (
        Method::Post,
        "/proposals/{id}/assign",
        Expect::Deny,
        Expect::Deny,
    ),
    (
        Method::Post,
        "/proposals/{id}/reply",
        Expect::Deny,
        Expect::Deny,
    ),
    (
        Method::Post,
        "/proposals/{id}/rate",
        Expect::Deny,
        Expect::Deny,
    ),
    (
        Method::Post,
        "/proposals/{id}/progress",
        Expect::Deny,
        Expect::Deny,
    ),
    (
        Method::Post,
        "/proposals/{id}/remind",
        Expect::Deny,
        Expect::Deny,
    ),
    (Method::Get, "/suggestions", Expect::Scoped, Expect::Scoped),
    (
        Method::Get,
        "/suggestions/new",
        Expect::Scoped,
        Expect::Deny,
    ),
    (
        Method::Post,
        "/suggestions/new",
        Expect::Scoped,
        Expect::Deny,
    ),
    (Method::Get, "/congress/meetings/{id}/polls", Expect::Deny, Expect::Deny),
    (Method::Post, "/congress/meetings/{id}/polls", Expect::Deny, Expect::Deny),
    (Method::Get, "/congress/meetings/{id}/minutes", Expect::Deny, Expect::Deny),
    (Method::Get, "/polls/{id}", Expect::Deny, Expect::Deny),
    (Method::Post, "/polls/{id}/options", Expect::Deny, Expect::Deny),
    (Method::Post, "/polls/{id}/options/{option}/remove", Expect::Deny, Expect::Deny),
    (Method::Post, "/polls/{id}/open", Expect::Deny, Expect::Deny),
    (Method::Post, "/polls/{id}/close", Expect::Deny, Expect::Deny),
    (Method::Post, "/polls/{id}/publish", Expect::Deny, Expect::Deny),
    (Method::Post, "/polls/{id}/further-round", Expect::Deny, Expect::Deny),
    (Method::Post, "/polls/{id}/paper", Expect::Deny, Expect::Deny),
    (Method::Post, "/polls/{id}/paper/confirm", Expect::Deny, Expect::Deny),
    (Method::Get, "/polls/{id}/events", Expect::Deny, Expect::Deny),
    (Method::Get, "/polls/{id}/vote", Expect::Deny, Expect::Deny),
    (Method::Post, "/polls/{id}/vote", Expect::Deny, Expect::Deny),
    (Method::Get, "/polls/{id}/result", Expect::Deny, Expect::Deny),
    (Method::Get, "/polls/{id}/result.xlsx", Expect::Deny, Expect::Deny),
    (Method::Get, "/suggestions/{id}", Expect::Deny, Expect::Deny),
    (
        Method::Post,
        "/suggestions/{id}/reply",
        Expect::Deny,
        Expect::Deny,
    ),
];

/// Ids of school A's things for each path prefix.
struct Fixture {
    member: i64,
    unit: i64,
    account: i64,
    grant: i64,
    import: i64,
    cadre: i64,
    name: &'static str,
    congress: CongressIds,
    /// An inbox item of school A's chair and a parked job of school A.
    inbox: i64,
    job: i64,
}

/// School A's congress: a term, a delegate, a meeting with an agenda item and a document,
/// a proposal and a suggestion.
struct CongressIds {
    term: i64,
    delegate: i64,
    meeting: i64,
    agenda: i64,
    document: i64,
    proposal: i64,
    suggestion: i64,
    poll: i64,
    option: i64,
}

async fn congress_of_a(app: &TestApp, member_a: domain::ids::MemberId) -> CongressIds {
    use domain::congress::*;
    use store::congress::{meetings, proposals, suggestions, terms};
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
            start_date: today() - chrono::Duration::days(400),
            end_date: today() + chrono::Duration::days(700),
        },
    )
    .await
    .unwrap();
    let delegate = terms::add_delegate(
        st,
        &sys(),
        &who(),
        term,
        member_a,
        DelegateKind::Delegate,
        None,
        today(),
    )
    .await
    .unwrap();
    let meeting = meetings::create_meeting(
        st,
        &sys(),
        &who(),
        term,
        &MeetingDraft {
            kind: MeetingKind::Regular,
            meeting_date: today() + chrono::Duration::days(20),
            starts_at: None,
            place: "甲校礼堂".into(),
            proposals_from: None,
            proposals_until: None,
        },
    )
    .await
    .unwrap();
    let agenda = meetings::add_agenda_item(
        st,
        &sys(),
        &who(),
        meeting,
        &AgendaDraft {
            kind: AgendaKind::Report,
            title: "甲校会员的报告".into(),
            presenter: None,
        },
    )
    .await
    .unwrap();
    let document = meetings::add_document(
        st,
        &sys(),
        &who(),
        meeting,
        Some(agenda),
        "甲校会员.pdf",
        b"%PDF-1.7 x",
        DOC_MAX_BYTES,
    )
    .await
    .unwrap();
    let mut me = actor(&[(domain::auth::Role::Delegate, o.school_a)]);
    me.member = Some(member_a);
    let acting = authorize_self::<domain::auth::perm::ProposalSubmit>(&me).unwrap();
    let proposal = proposals::create_draft(
        st,
        &acting,
        &who(),
        meeting,
        &ProposalDraft {
            title: "甲校会员的提案".into(),
            category: ProposalCategory::Other,
            reasons: "r".into(),
            measures: "m".into(),
        },
        today(),
    )
    .await
    .unwrap();
    let mine = authorize_self::<domain::auth::perm::SuggestionSubmit>(&{
        let mut m = actor(&[(domain::auth::Role::Member, o.school_a)]);
        m.member = Some(member_a);
        m
    })
    .unwrap();
    let suggestion = suggestions::create(
        st,
        &mine,
        &who(),
        &parse_suggestion("甲校会员的建议", "b").unwrap(),
    )
    .await
    .unwrap();
    let poll = store::voting::create_poll(
        st,
        &sys(),
        &who(),
        meeting,
        None,
        &testkit::hall::poll_draft("甲校选举", "election", "secret", 1),
    )
    .await
    .unwrap();
    let option = store::voting::add_option(st, &sys(), &who(), poll, member_a)
        .await
        .unwrap();
    CongressIds {
        term: term.0,
        delegate: delegate.0,
        meeting: meeting.0,
        agenda: agenda.0,
        document: document.0,
        proposal: proposal.0,
        suggestion: suggestion.0,
        poll: poll.0,
        option: option.0,
    }
}

/// An inbox item of school A's chair and a parked robot job of school A.
async fn inbox_and_job_of_a(app: &TestApp, chair_a: domain::ids::AccountId) -> (i64, i64) {
    use domain::outbox::{Channel, Message, MessageKind};
    let st = &app.t.store;
    let now = store::now();
    let msg = Message::new(MessageKind::RobotTest, &[("unit", "甲校".into())], "/");
    let mut tx = st.db.begin().await.unwrap();
    store::inbox::add(
        &mut tx,
        &[store::inbox::NewItem {
            account: chair_a,
            org_unit: Some(app.org.school_a),
            message: msg.clone(),
            idempotency_key: "matrix".into(),
        }],
        now,
    )
    .await
    .unwrap();
    let job = store::outbox::NewJob {
        channel: Channel::Robot,
        idempotency_key: "matrix".into(),
        org_unit: Some(app.org.school_a),
        account: None,
        payload: "{}".into(),
        run_at: now,
        max_attempts: 1,
    };
    store::outbox::enqueue(&mut tx, &[job], now).await.unwrap();
    tx.commit().await.unwrap();
    let j = store::outbox::claim(&st.db, "matrix", 1, std::time::Duration::from_secs(60), now)
        .await
        .unwrap()
        .remove(0);
    store::outbox::fail(&st.db, &j, "test", &domain::outbox::Backoff::default(), now)
        .await
        .unwrap();
    let item = store::inbox::list(&st.db, chair_a, None, 1).await.unwrap()[0].id;
    (item, j.id)
}

fn fill(path: &str, f: &Fixture) -> String {
    let id = if path.starts_with("/members/") {
        f.member
    } else if path.starts_with("/org/") {
        f.unit
    } else if path.starts_with("/accounts/") {
        f.account
    } else if path.starts_with("/grants/") {
        f.grant
    } else if path.starts_with("/imports/") {
        f.import
    } else if path.starts_with("/congress/terms/") {
        f.congress.term
    } else if path.starts_with("/congress/delegates/") {
        f.congress.delegate
    } else if path.starts_with("/congress/meetings/") {
        f.congress.meeting
    } else if path.starts_with("/congress/agenda/") {
        f.congress.agenda
    } else if path.starts_with("/congress/documents/") {
        f.congress.document
    } else if path.starts_with("/congress/rules/") {
        f.unit
    } else if path.starts_with("/proposals/") {
        f.congress.proposal
    } else if path.starts_with("/suggestions/") {
        f.congress.suggestion
    } else if path.starts_with("/polls/") {
        f.congress.poll
    } else if path.starts_with("/inbox/") {
        f.inbox
    } else if path.starts_with("/jobs/") {
        f.job
    } else {
        panic!("no fixture id for {path}: add one to the matrix test")
    };
    path.replace("{id}", &id.to_string())
        .replace("{cadre}", &f.cadre.to_string())
        .replace("{option}", &f.congress.option.to_string())
}

async fn call(c: &mut Client<'_>, m: Method, path: &str, f: &Fixture) -> testkit::app::Resp {
    let url = if path.contains('{') {
        fill(path, f)
    } else {
        path.to_string()
    };
    match m {
        Method::Get => c.get(&url).await,
        Method::Post if path == "/members/import" => {
            c.post_multipart(
                &url,
                &[("unit", &f.unit.to_string())],
                Some(("file", "x.csv", b"a,b\n".to_vec())),
            )
            .await
        }
        Method::Post => {
            let id = f.unit.to_string();
            c.post(
                &url,
                &[
                    ("unit", id.as_str()),
                    ("school", id.as_str()),
                    ("role", "delegate"),
                    ("parent", id.as_str()),
                    ("mode", "valid_rows"),
                    ("status", "retired"),
                    ("purpose", "检查"),
                ],
            )
            .await
        }
    }
}

dual_test!(async fn every_route_refuses_visitors_from_another_school(t) {
    let app = TestApp::new(t).await;
    let o = app.org.clone();
    // School A's things.
    let member_a = member(&app.t.store, o.school_a, "甲校会员", 1).await;
    let chair_a = app.account("chaira", Role::SchoolChair, o.school_a).await;
    let delegate_a = app.account("delegatea", Role::Delegate, o.school_a).await;
    let grants = store::auth::list_accounts(app.t.db(), &sys()).await.unwrap();
    let grant = grants.iter().find(|a| a.account.id == delegate_a.0).unwrap().grants[0].0;
    let file = xlsx(&[row(&["姓名", "身份证号", "岗位"]), row(&["甲校新人", &id_number(2, true), "教师"])]);
    let cap_a = app.actor(Role::SchoolChair, o.school_a);
    let _ = cap_a;
    let mut chair_client = app.client_for(chair_a).await;
    let up = chair_client.post_multipart("/members/import", &[("unit", &o.school_a.to_string())], Some(("file", "a.xlsx", file))).await;
    up.assert_status(303);
    let import: i64 = up.location().unwrap().trim_start_matches("/imports/").parse().unwrap();
    let congress = congress_of_a(&app, member_a).await;
    store::org::add_cadre_position(&app.t.store, &sys(), &who(), member_a, o.school_a, domain::org::CadrePosition::Chair, today()).await.unwrap();
    let cadre = store::org::cadre_positions(&app.t.store, &sys(), member_a).await.unwrap()[0].id;
    let (inbox, job) = inbox_and_job_of_a(&app, chair_a).await;
    let f = Fixture { member: member_a.0, unit: o.school_a.0, account: delegate_a.0, grant: grant.0, import, cadre, name: "甲校会员", congress, inbox, job };

    let table = web::routes(&WebConfig::default());
    let mut missing = Vec::new();
    for e in &table.entries {
        if e.access == Access::Public {
            continue;
        }
        if !MATRIX.iter().any(|(m, p, _, _)| *m == e.method && *p == e.path) {
            missing.push(format!("{} {}", e.method.as_str(), e.path));
        }
    }
    assert!(missing.is_empty(), "routes without a row in the authorization matrix: {missing:#?}");

    // A member of school B with an account linked to their record, and B's chair.
    let member_b = member(&app.t.store, o.school_b, "乙校会员", 3).await;
    let mb = app.account_full("memberb", Role::Member, o.school_b, Some(member_b), None).await;
    let cb = app.account("chairb", Role::SchoolChair, o.school_b).await;
    for (m, path, as_member, as_chair) in MATRIX {
        assert!(table.entries.iter().any(|e| e.method == *m && e.path == *path), "matrix row for a route that does not exist: {path}");
        let r = call(&mut app.anon(), *m, path, &f).await;
        assert_eq!(r.status.as_u16(), 401, "anonymous {} {path}", m.as_str());
        for (who, expect, account) in [("member of B", as_member, mb), ("chair of B", as_chair, cb)] {
            let mut c = app.client_for(account).await;
            let r = call(&mut c, *m, path, &f).await;
            let s = r.status.as_u16();
            match expect {
                Expect::Deny => assert!(s == 403 || s == 404, "{who}: {} {path} gave {s}", m.as_str()),
                Expect::Scoped => {
                    assert!(s != 401 && s < 500, "{who}: {} {path} gave {s}", m.as_str());
                    let body = r.text();
                    assert!(!body.contains(f.name), "{who}: {} {path} shows school A's member", m.as_str());
                    if path.ends_with(".xlsx") && s == 200 {
                        let rows = read_xlsx(&r.bytes);
                        assert!(!rows.iter().flatten().any(|c| c == f.name), "{who}: export holds school A's member");
                    }
                }
            }
        }
    }
    // Nothing of school A changed.
    let m = store::org::get_member(&app.t.store, &sys(), member_a).await.unwrap();
    assert_eq!(m.school_union_id, o.school_a);
    assert_eq!(m.status, domain::org::MemberStatus::Active);
    {
        use domain::congress::*;
        use store::congress::{meetings, proposals, suggestions};
        let all = domain::auth::Scope::All;
        let db = &app.t.store.db;
        let mt = meetings::get_meeting(db, meetings::Viewer::Staff(&all), MeetingId(f.congress.meeting)).await.unwrap();
        assert_eq!(mt.status, MeetingStatus::Planned);
        assert_eq!(meetings::documents(db, meetings::Viewer::Staff(&all), mt.id).await.unwrap().len(), 1);
        assert_eq!(meetings::agenda(db, meetings::Viewer::Staff(&all), mt.id).await.unwrap().len(), 1);
        let p = proposals::get(db, proposals::Lens::Delegate { member: member_a, scope: &all }, ProposalId(f.congress.proposal)).await.unwrap();
        assert_eq!((p.row.status, p.seconders.len()), (ProposalStatus::Draft, 0));
        let s = suggestions::get(db, suggestions::SuggestionLens::School(&all), SuggestionId(f.congress.suggestion)).await.unwrap();
        assert_eq!(s.status, SuggestionStatus::Open);
        let d = store::congress::terms::delegates(db, &sys::<domain::auth::perm::CongressView>(), TermId(f.congress.term), true).await.unwrap();
        assert_eq!(d.len(), 1);
        assert!(d[0].ended_on.is_none());
    }
});
