//! The authorization matrix, derived from the route table. Every route declares its guard
//! (`web::Access`: the permission it needs and how, or the explicit public allow-list) and a
//! valid body (`web::Fixture`). This test walks the table and calls every route as nine
//! callers — anonymous, a member of the same school and of another, the chair of the same
//! school and of another, the lead of the area and of another area, district staff, and an
//! observer delegate of the term — with the declared body, so that writes reach the scope
//! check instead of failing validation. The expected answer of each call follows from the
//! guard; a response to a caller from outside school A must name none of A's people or
//! things. A route with no guard, or a POST with no body, fails the test.
//!
//! Calls that must be refused run first; then the test checks that nothing of school A
//! changed; then the callers the guard lets through run (reads before writes).

use domain::auth::{Permission, Role, role_permits};
use domain::ids::{AccountId, OrgUnitId};
use testkit::app::{Client, TestApp};
use testkit::*;
use web::{Access, Fixture, Method, Need, RouteEntry, WebConfig};

/// The public allow-list: a route is reachable without an account only if it is here and
/// declared `Access::Public`.
const PUBLIC: &[&str] = &[
    "/healthz",
    "/metrics",
    "/api/v1/openapi.json",
    "/static/{hash}/{file}",
    "/login",
    "/login/totp",
    "/logout",
    "/lang",
    "/link/{token}",
    "/checkin",
    "/vote",
    "/news",
    "/news/feed.atom",
    "/news/items/{id}/photo",
    "/certificates/verify",
    "/notice",
    "/notice/{id}/objections",
];

/// School A's congress: a term, a delegate, a meeting with an agenda item and a document,
/// a proposal and a suggestion.
pub(crate) struct CongressIds {
    pub(crate) term: i64,
    pub(crate) delegate: i64,
    pub(crate) meeting: i64,
    pub(crate) agenda: i64,
    pub(crate) document: i64,
    pub(crate) proposal: i64,
    pub(crate) suggestion: i64,
    pub(crate) poll: i64,
    pub(crate) option: i64,
    /// A published motion (its result pages).
    pub(crate) published: i64,
}

pub(crate) async fn congress_of_a(app: &TestApp, member_a: domain::ids::MemberId) -> CongressIds {
    use domain::congress::*;
    use domain::proposals::*;
    use store::congress::{meetings, terms};
    use store::proposals::{self, suggestions};
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
    // Two fellow delegates second it, and it is submitted: staff and the term see it.
    let mut seconders = Vec::new();
    for (i, name) in [(10, "甲校附议一"), (11, "甲校附议二")] {
        let m = member(st, o.school_a, name, i).await;
        let d = terms::add_delegate(
            st,
            &sys(),
            &who(),
            term,
            m,
            DelegateKind::Delegate,
            None,
            today(),
        )
        .await
        .unwrap();
        seconders.push((m, d));
    }
    let invitees: Vec<DelegateId> = seconders.iter().map(|s| s.1).collect();
    proposals::invite(st, &acting, &who(), proposal, &invitees)
        .await
        .unwrap();
    for (m, _) in &seconders {
        let mut s = actor(&[(domain::auth::Role::Delegate, o.school_a)]);
        s.member = Some(*m);
        let a = authorize_self::<domain::auth::perm::ProposalSecond>(&s).unwrap();
        assert!(proposals::second(st, &a, &who(), proposal).await.unwrap());
    }
    proposals::submit(st, &acting, &who(), proposal, today())
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
    // The meeting opens with its voting delegates present, and a motion is decided and
    // published (its result pages exist).
    meetings::set_status(st, &sys(), &who(), meeting, MeetingStatus::Open)
        .await
        .unwrap();
    for d in std::iter::once(delegate).chain(invitees.iter().copied()) {
        store::congress::attendance::staff_check_in(st, &sys(), &who(), meeting, d)
            .await
            .unwrap();
    }
    let published = store::voting::create_poll(
        st,
        &sys(),
        &who(),
        meeting,
        None,
        &testkit::hall::poll_draft("甲校决议", "motion", "named", 0),
    )
    .await
    .unwrap();
    store::voting::open_poll(st, &sys(), &who(), published)
        .await
        .unwrap();
    store::voting::close_poll(st, &sys(), &who(), published)
        .await
        .unwrap();
    store::voting::publish_poll(st, &sys(), &who(), published)
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
        published: published.0,
    }
}

/// Ids and names of school A's things.
struct World {
    school: OrgUnitId,
    /// Another school of the same area.
    school2: OrgUnitId,
    /// The stored version of the member (an edit must name it).
    member_version: i64,
    area: OrgUnitId,
    branch: OrgUnitId,
    member: i64,
    account: i64,
    grant: i64,
    import: i64,
    cadre: i64,
    congress: CongressIds,
    /// An inbox item of school A's chair and a parked job of school A.
    inbox: i64,
    job: i64,
    /// A hardship file of school A (assistance), and a grant applied for on another one.
    hardship: i64,
    relief_grant: i64,
    /// A visit to a member of school A, and a campaign of school A (assistance).
    visit: i64,
    campaign: i64,
    /// A retirees' association contact of school A (assistance).
    retiree_contact: i64,
    /// A staff-home application of school A, self-assessed (assessment), and its evidence
    /// file.
    home_application: i64,
    home_evidence: i64,
    /// An open appeal of school A against its hand score (assessment).
    appeal: i64,
    /// School A's news item (submitted), a task of its plan and its year summary draft.
    news_item: i64,
    plan_task: i64,
    summary: i64,
    /// School A's union committee, a seat held on it, and a by-election applied for.
    committee: i64,
    seat: i64,
    election: i64,
    /// An expense of school A awaiting approval, and an open audit finding of school A.
    funds_entry: i64,
    finding: i64,
    /// School A's dues roll of the month (its levy), and a staged payroll sheet of A.
    dues_roll: i64,
    payroll_batch: i64,
    /// A member of school A with a dues base (no other route moves them).
    dues_member: i64,
    /// A receipt on school A's expense.
    receipt: i64,
    /// An activity organised by school A (sign-up open).
    activity: i64,
    /// An open anonymous survey of school A, and a letter received (rights).
    survey: i64,
    petition: i64,
    /// A personal access token of school A's chair (issue 24).
    api_token: i64,
    /// A contest organized by school A, with an entry of school A (contests) and a file
    /// attached to it.
    contest: i64,
    contest_entry: i64,
    entry_file: i64,
    /// A published district contest and its winner of school A (forwarding).
    published_contest: (i64, i64),
    /// An award set by school A (commendations), a nomination of A awaiting review, one
    /// whose public notice has ended (ready to award), one on notice, and a pending
    /// objection on the latter.
    award: i64,
    nomination_new: i64,
    nomination: i64,
    nomination_on_notice: i64,
    objection: i64,
    /// Words that only school A's pages hold.
    names: Vec<&'static str>,
}

fn object_id(path: &str, w: &World) -> Option<i64> {
    if path.starts_with("/polls/{id}/result") {
        return Some(w.congress.published);
    }
    if path.starts_with("/contests/{id}/upper") || path.starts_with("/contests/{id}/forward") {
        return Some(w.published_contest.0);
    }
    let prefixes: [(&str, i64); 59] = [
        ("/elections/rules/", w.school.0),
        ("/funds/rules/", w.school.0),
        ("/api/v1/plans/", w.school.0),
        ("/assistance/contacts/", w.retiree_contact),
        ("/assistance/rules/", w.school.0),
        ("/honours/rules/", w.school.0),
        ("/honours/nominations/", w.nomination),
        ("/honours/objections/", w.objection),
        ("/honours/", w.award),
        ("/notice/", w.nomination_on_notice),
        ("/funds/receipts/", w.receipt),
        ("/funds/dues/members/", w.dues_member),
        ("/funds/dues/rolls/", w.dues_roll),
        ("/funds/payroll/", w.payroll_batch),
        ("/activities/", w.activity),
        ("/surveys/", w.survey),
        ("/petitions/", w.petition),
        ("/assessment/schools/", w.school.0),
        ("/assessment/homes/", w.home_application),
        ("/assessment/evidence/", w.home_evidence),
        ("/assessment/appeals/", w.appeal),
        ("/news/items/", w.news_item),
        ("/news/rules/", w.school.0),
        ("/plans/tasks/", w.plan_task),
        ("/summaries/", w.summary),
        ("/elections/committees/", w.committee),
        ("/elections/seats/", w.seat),
        ("/elections/", w.election),
        ("/funds/entries/", w.funds_entry),
        ("/funds/findings/", w.finding),
        ("/contests/files/", w.entry_file),
        ("/contests/", w.contest),
        ("/assistance/files/", w.hardship),
        ("/assistance/grants/", w.relief_grant),
        ("/notify/rules/", w.school.0),
        ("/assistance/visits/", w.visit),
        ("/assistance/campaigns/", w.campaign),
        ("/inbox/", w.inbox),
        ("/jobs/", w.job),
        ("/members/", w.member),
        ("/org/branches/", w.branch.0),
        ("/org/", w.school.0),
        ("/accounts/", w.account),
        ("/grants/", w.grant),
        ("/imports/", w.import),
        ("/congress/terms/", w.congress.term),
        ("/congress/delegates/", w.congress.delegate),
        ("/congress/meetings/", w.congress.meeting),
        ("/congress/agenda/", w.congress.agenda),
        ("/congress/documents/", w.congress.document),
        ("/congress/rules/", w.school.0),
        ("/proposals/", w.congress.proposal),
        ("/suggestions/", w.congress.suggestion),
        ("/polls/", w.congress.poll),
        ("/api/v1/units/", w.school.0),
        ("/api/v1/meetings/", w.congress.meeting),
        ("/api/v1/polls/", w.congress.published),
        ("/api/v1/funds/", w.school.0),
        ("/me/tokens/", w.api_token),
    ];
    prefixes
        .iter()
        .find(|(p, _)| path.starts_with(p))
        .map(|(_, id)| *id)
}

/// A personal access token of `account` with all its grants, read+write: (id, secret).
pub(crate) async fn api_secret(app: &TestApp, account: AccountId) -> (i64, String) {
    let st = &app.t.store;
    let (actor, _) = store::auth::load_actor(&st.db, account)
        .await
        .unwrap()
        .unwrap();
    let new = store::api_token::NewToken {
        name: "matrix".into(),
        grants: actor.grants.clone(),
        can_write: true,
        days: 30,
    };
    store::api_token::create(st, &actor, &who(), &new)
        .await
        .unwrap()
}

async fn token_of(
    app: &TestApp,
    cache: &mut std::collections::HashMap<AccountId, String>,
    account: AccountId,
) -> String {
    if let Some(s) = cache.get(&account) {
        return s.clone();
    }
    let s = api_secret(app, account).await.1;
    cache.insert(account, s.clone());
    s
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

/// School A's own contest ("甲校课件比赛", open for entries around the real today) with
/// one entry of school A ("甲校参赛作品").
pub(crate) async fn contest_of_a(app: &TestApp) -> i64 {
    use domain::contests::*;
    use store::contests as cs;
    let st = &app.t.store;
    let now = chrono::Utc::now().date_naive();
    let draft = ContestDraft {
        name: "甲校课件比赛".into(),
        kind: ContestKind::Courseware,
        year: 2026,
        rules: String::new(),
        entry_from: now - chrono::Duration::days(30),
        entry_until: now + chrono::Duration::days(60),
        judging_until: now + chrono::Duration::days(90),
        quota: 5,
        drop_extremes: false,
        prizes: [1, 1, 1, 0],
        categories: Vec::new(),
        criteria: vec![CriterionDraft {
            name: "设计".into(),
            weight: 100,
            max: 10,
        }],
    };
    let id = cs::create(st, &sys(), &who(), app.org.school_a, &draft)
        .await
        .unwrap();
    cs::submit_entry(
        st,
        &sys(),
        &who(),
        id,
        &cs::EntryInput {
            school: app.org.school_a,
            category: None,
            title: "甲校参赛作品".into(),
            entrants: "甲校参赛教师".into(),
            team: false,
        },
        now,
    )
    .await
    .unwrap();
    id.0
}

/// The entry of school A's contest and a file attached to it ("甲校作品文件.pdf").
pub(crate) async fn entry_file_of_a(app: &TestApp, contest: i64) -> (i64, i64) {
    let st = &app.t.store;
    let entry: i64 = store::on_db!(app.t.db(), |p| sqlx::query_scalar(
        "SELECT id FROM contest_entry WHERE contest_id = $1"
    )
    .bind(contest)
    .fetch_one(p)
    .await)
    .unwrap();
    store::contests::files::attach(
        st,
        &sys(),
        &who(),
        domain::contests::ContestEntryId(entry),
        "甲校作品文件.pdf",
        b"%PDF-1.4\n% matrix\n",
    )
    .await
    .unwrap();
    let file: i64 = store::on_db!(app.t.db(), |p| sqlx::query_scalar(
        "SELECT id FROM contest_entry_file WHERE entry_id = $1"
    )
    .bind(entry)
    .fetch_one(p)
    .await)
    .unwrap();
    (entry, file)
}

/// School A's award ("甲校评优"): a nomination awaiting review ("甲校被推荐人"), one whose
/// public notice has ended with no objection ("甲校已公示对象"), and one on notice now
/// (public: its name and deeds are on the board by design) with a pending objection
/// ("甲校异议内容", read by the organizer only).
pub(crate) async fn commendations_of_a(app: &TestApp) -> (i64, i64, i64, i64, i64) {
    use domain::commendations::*;
    use store::commendations as cm;
    let st = &app.t.store;
    let now = today();
    let draft = AwardDraft {
        name: "甲校评优".into(),
        kind: AwardKind::AdvancedIndividual,
        year: 2026,
        quota_per_school: 10,
        quota_total: 10,
        nominate_until: now + chrono::Duration::days(60),
    };
    let award = cm::create_award(st, &sys(), &who(), app.org.school_a, &draft)
        .await
        .unwrap();
    let nominate = |name: &str, deeds: &str| cm::NominationInput {
        school: app.org.school_a,
        member: None,
        draft: NominationDraft {
            nominee: name.into(),
            deeds: deeds.into(),
        },
    };
    let fresh = cm::nominate(
        st,
        &sys(),
        &who(),
        award,
        &nominate("甲校被推荐人", "甲校推荐事迹"),
        now,
    )
    .await
    .unwrap();
    let ended = cm::nominate(
        st,
        &sys(),
        &who(),
        award,
        &nominate("甲校已公示对象", "甲校推荐事迹二"),
        now,
    )
    .await
    .unwrap();
    let open = cm::nominate(
        st,
        &sys(),
        &who(),
        award,
        &nominate("公示对象", "公示中的事迹"),
        now,
    )
    .await
    .unwrap();
    cm::review(
        st,
        &sys(),
        &who(),
        ended,
        true,
        None,
        now - chrono::Duration::days(10),
    )
    .await
    .unwrap();
    cm::review(st, &sys(), &who(), open, true, None, now)
        .await
        .unwrap();
    let objection_id = {
        cm::lodge_objection(
            st,
            &store::audit::Who::system("anonymous"),
            open,
            "甲校异议内容",
            None,
            now,
        )
        .await
        .unwrap();
        cm::objections(st, &sys(), open).await.unwrap()[0].id
    };
    (award.0, fresh.0, ended.0, open.0, objection_id.0)
}

/// School A's money: a month of union fund paid, a large member-activities line, an
/// expense awaiting approval ("甲校运动会"), and an open audit finding ("甲校凭证").
pub(crate) async fn funds_of_a(app: &TestApp) -> (i64, i64, i64, i64, i64, i64) {
    use domain::funds::*;
    use store::funds::{findings, ledger};
    let st = &app.t.store;
    let school = app.org.school_a;
    ledger::record_levy(
        st,
        &sys(),
        &who(),
        &ledger::LevyInput {
            school,
            kind: LevyKind::UnionFund,
            month: today(),
            base_fen: 100_000_000,
            paid_fen: 2_000_000,
        },
    )
    .await
    .unwrap();
    ledger::set_budget(
        st,
        &sys(),
        &who(),
        school,
        2026,
        ExpenseCategory::MemberActivities,
        1_000_000,
    )
    .await
    .unwrap();
    let e = ledger::enter_expense(
        st,
        &sys(),
        &who(),
        school,
        ExpenseCategory::MemberActivities,
        10_000,
        "甲校运动会",
        today(),
    )
    .await
    .unwrap();
    let f = findings::record(
        st,
        &sys(),
        &who(),
        None,
        &findings::FindingInput {
            school,
            year: 2026,
            severity: Severity::Minor,
            finding: "甲校凭证".into(),
            deadline: today() + chrono::Duration::days(30),
        },
        today(),
    )
    .await
    .unwrap();
    // A's member with a dues base, this month's dues roll, and a staged payroll sheet.
    let member = member(st, school, "甲校会费会员", 81).await;
    store::funds::dues::set_base(st, &sys(), &who(), member, 654_321, today())
        .await
        .unwrap();
    let roll = store::funds::dues::generate_roll(st, &sys(), &who(), school, today(), None)
        .await
        .unwrap();
    let csv = format!("身份证号,基本工资\n{},6543.21\n", id_number(81, true));
    let batch = store::funds::payroll::preview(
        st,
        &sys(),
        &who(),
        school,
        "甲校工资表.csv",
        csv.into_bytes(),
    )
    .await
    .unwrap();
    let (_, _, receipt) =
        store::funds::receipts::attach(st, &sys(), &who(), e, "甲校发票.pdf", b"%PDF-1.4\n")
            .await
            .unwrap();
    (e.0, f.0, roll.levy.0, batch.batch.0, member.0, receipt.0)
}

/// A drafted hardship file of a member of school A, and a grant applied for on the
/// confirmed file of another.
pub(crate) async fn hardship_file_of_a(app: &TestApp) -> (i64, i64) {
    let st = &app.t.store;
    member(st, app.org.school_a, "甲校困难户", 6).await;
    member(st, app.org.school_a, "甲校补助户", 7).await;
    let h = domain::assistance::HouseholdInput {
        size: "3".into(),
        rows: vec![("member".into(), "45".into(), "800".into(), "illness".into())],
        causes: vec!["illness".into()],
        note: String::new(),
    }
    .parse()
    .unwrap();
    let draft = store::assistance::files::draft(st, &sys(), &who(), "甲校困难户", &h, today())
        .await
        .unwrap();
    let open = store::assistance::files::draft(st, &sys(), &who(), "甲校补助户", &h, today())
        .await
        .unwrap();
    store::assistance::files::confirm(st, &sys(), &who(), open, today())
        .await
        .unwrap();
    let grant = store::assistance::grants::apply(st, &sys(), &who(), open, 30_000, "住院", today())
        .await
        .unwrap();
    (draft.0, grant.0)
}

/// A visit to a member of school A and a campaign of school A (assistance).
async fn visit_and_campaign_of_a(app: &TestApp) -> (i64, i64) {
    let st = &app.t.store;
    member(st, app.org.school_a, "甲校慰问户", 41).await;
    let d = domain::assistance::VisitInput {
        member: "甲校慰问户".into(),
        visit_type: "hospitalisation".into(),
        visited_on: today().to_string(),
        visitors: "工会主席".into(),
        amount: "200".into(),
        note: "住院".into(),
    }
    .parse(today())
    .unwrap();
    let visit = store::assistance::visits::record(st, &sys(), &who(), "甲校慰问户", &d, None)
        .await
        .unwrap();
    let campaign = store::assistance::campaigns::create(
        st,
        &sys(),
        &who(),
        app.org.school_a,
        domain::assistance::CampaignKind::Warmth,
        "甲校送温暖",
        (
            today() - chrono::Duration::days(30),
            today() + chrono::Duration::days(3650),
        ),
        100_000,
    )
    .await
    .unwrap();
    (visit.0, campaign.0)
}

/// A retirees' association contact of school A (assistance).
async fn retiree_contact_of_a(app: &TestApp) -> i64 {
    store::assistance::contacts::add(
        &app.t.store,
        &sys(),
        &who(),
        app.org.school_a,
        "甲校退协会长",
        "会长",
        "13900004321",
    )
    .await
    .unwrap()
    .0
}

/// A staff-home application of school A, self-assessed (assessment), with a photo of its
/// premises as evidence: (application, evidence file).
async fn home_application_of_a(app: &TestApp) -> (i64, i64) {
    use domain::assessment::*;
    let sa = SelfAssessmentInput {
        level: "qualified".into(),
        scores: ["14", "22", "13", "14", "12", "13"]
            .iter()
            .map(|s| s.to_string())
            .collect(),
        evidence: "甲校之家.jpg".into(),
    }
    .parse(current())
    .unwrap();
    let photo = store::assessment::evidence::check(
        "file0",
        store::assessment::evidence::Upload {
            standard: "premises",
            file_name: "活动室.jpg".into(),
            bytes: b"\xFF\xD8\xFF\xE0 photo".to_vec(),
        },
    )
    .unwrap();
    let id = store::assessment::homes::apply_with_files(
        &app.t.store,
        &sys(),
        &who(),
        app.org.school_a,
        &sa,
        &[photo],
        today(),
    )
    .await
    .unwrap();
    let file = store::assessment::evidence::of_application(&app.t.store, &sys(), id)
        .await
        .unwrap()[0]
        .id;
    (id.0, file)
}

/// School A's hand scores of this school year and an open appeal of one (assessment).
async fn appeal_of_a(app: &TestApp) -> i64 {
    use store::assessment::hand;
    let st = &app.t.store;
    let year = domain::congress::school_year(web::today());
    let input = hand::HandInput {
        indicator: "records".into(),
        points: "2".into(),
        evidence: "甲校台账.pdf".into(),
    };
    let cap = sys();
    hand::give(
        st,
        hand::ScorerCap::Area(&cap),
        &who(),
        app.org.school_a,
        year,
        &input,
        web::today(),
    )
    .await
    .unwrap();
    let district = sys();
    let input = hand::HandInput {
        indicator: "innovation".into(),
        ..input
    };
    hand::give(
        st,
        hand::ScorerCap::District(&district),
        &who(),
        app.org.school_a,
        year,
        &input,
        web::today(),
    )
    .await
    .unwrap();
    // The open appeal is on the district's indicator, so that the appeal route's own body
    // (on the area's) can be accepted.
    hand::appeal(
        st,
        &sys(),
        &who(),
        app.org.school_a,
        year,
        "innovation",
        "甲校申诉",
        web::today(),
    )
    .await
    .unwrap()
    .0
}

/// An open anonymous survey of school A, not yet answered, and a letter to school A's
/// union, received and not yet assigned.
pub(crate) async fn survey_of_a(app: &TestApp) -> (i64, i64) {
    let st = &app.t.store;
    let d = domain::rights::SurveyInput {
        title: "甲校问卷".into(),
        anonymous: "on".into(),
        closes_on: (today() + chrono::Duration::days(30)).to_string(),
        questions: "single: 甲校满意吗？ | 满意 | 不满意".into(),
        ..Default::default()
    }
    .parse(today())
    .unwrap();
    let id = store::rights::create(st, &sys(), &who(), app.org.school_a, &d)
        .await
        .unwrap();
    store::rights::open(st, &sys(), &who(), id, today())
        .await
        .unwrap();
    let p = domain::rights::PetitionInput {
        channel: "letter".into(),
        category: "pay".into(),
        received_on: today().to_string(),
        name: "甲校来信人".into(),
        matter: "甲校信访事项".into(),
        ..Default::default()
    }
    .parse(today())
    .unwrap();
    let p = store::rights::petitions::receive(st, &sys(), &who(), app.org.school_a, &p)
        .await
        .unwrap();
    (id.0, p.0)
}

/// School A's news item (submitted by its correspondent, not yet reviewed), a task of its
/// plan and its year summary draft.
pub(crate) async fn yearbook_of_a(app: &TestApp) -> (i64, i64, i64) {
    use domain::auth::perm;
    let st = &app.t.store;
    let m = member(st, app.org.school_a, "甲校通讯员", 8).await;
    store::correspondent::register(
        st,
        &sys::<perm::NewsReview>(),
        &who(),
        &m.0.to_string(),
        today(),
    )
    .await
    .unwrap();
    let mut a = actor(&[(Role::Member, app.org.school_a)]);
    a.member = Some(m);
    let acting = domain::congress::authorize_self::<perm::NewsSubmit>(&a).unwrap();
    let d = domain::correspondent::NewsDraft {
        title: "甲校投稿的标题".into(),
        body: "甲校投稿的正文".into(),
    };
    let item = store::correspondent::submit(st, &acting, &who(), &d, today())
        .await
        .unwrap();
    let task = domain::work_plan::TaskDraft {
        year: 2026,
        text: "甲校计划任务".into(),
        owner: "甲校工会".into(),
        deadline: today(),
        indicator: None,
    };
    let task = store::work_plan::add_task(st, &sys(), &who(), app.org.school_a, &task)
        .await
        .unwrap();
    let summary = store::work_summary::draft(st, &sys(), &who(), app.org.school_a, 2026)
        .await
        .unwrap();
    (item.0, task.0, summary.0)
}

/// School A's union committee (three seats, two held) with a held seat, and a by-election
/// of its audit committee applied for (waiting for the district).
pub(crate) async fn committee_of_a(app: &TestApp) -> (i64, i64, i64) {
    let st = &app.t.store;
    member(st, app.org.school_a, "甲校委员甲", 18).await;
    member(st, app.org.school_a, "甲校委员乙", 19).await;
    let input = domain::elections::CommitteeInput {
        unit: app.org.school_a.0.to_string(),
        kind: "union_committee".into(),
        seats: "3".into(),
        term_start: "2024-09-01".into(),
        term_years: "5".into(),
    };
    let c =
        store::elections::committees::create(st, &sys(), &who(), &input, "甲校委员甲\n甲校委员乙")
            .await
            .unwrap();
    let (_, seats, _) = store::elections::committees::get(st, &sys(), c)
        .await
        .unwrap();
    let apply = domain::elections::ApplyInput {
        kind: "by_election".into(),
        seats: "1".into(),
        // A member-delegate assembly: it votes in school A's congress meeting (the
        // `{meeting}` of `/elections/{id}/vote`).
        assembly: "member_delegate_assembly".into(),
        term_years: String::new(),
    };
    // The election runs on the audit committee (three vacant seats), so that the union
    // committee's own application can be made.
    let audit = domain::elections::CommitteeInput {
        kind: "audit_committee".into(),
        ..input
    };
    let a = store::elections::committees::create(st, &sys(), &who(), &audit, "")
        .await
        .unwrap();
    let e = store::elections::workflow::apply(st, &sys(), &who(), a, &apply, today())
        .await
        .unwrap();
    (c.0, seats[0].id.0, e.0)
}

/// The path with school A's ids in place of its parameters.
fn fill_path(path: &str, w: &World) -> String {
    if !path.contains("{id}") {
        return path
            .replace("{hash}", "0")
            .replace("{file}", "app.css")
            .replace("{token}", "not-a-token");
    }
    let id = object_id(path, w)
        .unwrap_or_else(|| panic!("no object of school A for {path}: add one to the matrix test"));
    path.replace("{id}", &id.to_string())
        .replace("{cadre}", &w.cadre.to_string())
        .replace("{option}", &w.congress.option.to_string())
}

fn fill_value(v: &str, w: &World) -> String {
    v.replace("{school}", &w.school.0.to_string())
        .replace(
            "{school_year}",
            &domain::congress::school_year(chrono::Utc::now().date_naive()).to_string(),
        )
        .replace("{area}", &w.area.0.to_string())
        .replace("{branch}", &w.branch.0.to_string())
        .replace("{member}", &w.member.to_string())
        .replace("{dues_member}", &w.dues_member.to_string())
        .replace("{delegate}", &w.congress.delegate.to_string())
        .replace("{agenda}", &w.congress.agenda.to_string())
        .replace("{option}", &w.congress.option.to_string())
        .replace("{meeting}", &w.congress.meeting.to_string())
        .replace("{today}", &today().to_string())
        .replace("{id_number}", &id_number(77, true))
        .replace("{member_id_number}", &id_number(1, true))
        .replace("{member_version}", &w.member_version.to_string())
        .replace("{school2}", &w.school2.0.to_string())
        .replace("{nomination}", &w.nomination_new.to_string())
        .replace("{entry}", &w.contest_entry.to_string())
        .replace("{winner}", &w.published_contest.1.to_string())
}

/// One caller of the matrix.
struct Caller {
    name: &'static str,
    /// `None`: anonymous.
    grant: Option<(Role, OrgUnitId)>,
    account: Option<AccountId>,
    /// A mandate in school A's term (the observer).
    in_term: bool,
}

/// An activity organised by school A today (late in the evening, Beijing time), sign-up
/// still open, with school A's member holding a place (so that the organiser can check
/// them in).
pub(crate) async fn activity_of_a(app: &TestApp, member_a: domain::ids::MemberId) -> i64 {
    let day = web::today();
    let d = domain::activity::ActivityDraft {
        unit: app.org.school_a,
        title: "甲校气排球赛".into(),
        place: "甲校体育馆".into(),
        date: day,
        time: chrono::NaiveTime::from_hms_opt(23, 59, 0).unwrap(),
        closes: day,
        capacity: 10,
        audience: domain::activity::Audience::Everyone,
        tags: vec![domain::activity::ActivityTag::Sports],
    };
    let st = &app.t.store;
    let id = store::activity::create(st, &sys(), &who(), &d)
        .await
        .unwrap();
    let mut a = actor(&[(Role::Member, app.org.school_a)]);
    a.member = Some(member_a);
    let acting = domain::congress::authorize_self::<domain::auth::perm::ActivityJoin>(&a).unwrap();
    let at =
        store::congress::meetings::beijing(day, chrono::NaiveTime::from_hms_opt(8, 0, 0).unwrap());
    store::activity::sign_up(st, &acting, &who(), id, at)
        .await
        .unwrap();
    id.0
}

/// What a caller must get.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Expect {
    /// 401 with the login form.
    Login,
    /// 403 or 404.
    Deny,
    /// Passes the guard: neither 401, 403, 404 nor a rejected body (422), no server error.
    Allow,
    /// Passes the guard on a list or form of its own scope, or reaches data that decides
    /// (a named person): anything but 401 or a server error.
    Scoped,
    /// Public: anything but a server error.
    Open,
}

impl Expect {
    fn rank(self) -> u8 {
        match self {
            Expect::Login | Expect::Deny => 0,
            Expect::Scoped | Expect::Open => 1,
            Expect::Allow => 2,
        }
    }
}

fn covers(unit: OrgUnitId, w: &World, union: OrgUnitId) -> bool {
    unit == w.school || unit == w.area || unit == union
}

/// The answer the guard promises `c` on `e`.
fn expect(e: &RouteEntry, c: &Caller, w: &World, union: OrgUnitId) -> Expect {
    let Some((role, unit)) = c.grant else {
        return if e.access == Access::Public {
            Expect::Open
        } else {
            Expect::Login
        };
    };
    let inside = covers(unit, w, union);
    let targeted = e.path.contains("{id}");
    let holds = |p: Permission| role_permits(role, p);
    match e.access {
        Access::Public => Expect::Open,
        Access::Own => Expect::Scoped,
        Access::Login => unreachable!("refused above"),
        Access::Need(_) | Access::Any(_) => {
            let mut best = Expect::Deny;
            for n in e.access.needs() {
                let got = if !holds(n.permission()) {
                    Expect::Deny
                } else {
                    match (n, targeted) {
                        // Whether this person is the one the data names decides.
                        (Need::Named(_), false) => Expect::Scoped,
                        (_, false) if inside => Expect::Allow,
                        (_, false) => Expect::Scoped,
                        (_, true) if !inside => Expect::Deny,
                        (Need::Staff(_), true) => Expect::Allow,
                        (Need::Attendee(_), true) if c.in_term => Expect::Allow,
                        (Need::Attendee(_), true) => Expect::Deny,
                        // Whether this person is the one the data names decides.
                        (Need::Named(_), true) => Expect::Scoped,
                    }
                };
                if got.rank() > best.rank() {
                    best = got;
                }
            }
            best
        }
    }
}

async fn call(c: &mut Client<'_>, e: &RouteEntry, w: &World) -> testkit::app::Resp {
    let url = fill_path(e.path, w);
    if e.method == Method::Get && url.ends_with("/events") {
        return head_of_stream(c, &url).await;
    }
    let fixture = e.fixture.unwrap_or(Fixture::Empty);
    match (e.method, fixture) {
        (Method::Get, _) => c.get(&url).await,
        (Method::Post, Fixture::Empty) => c.post(&url, &[]).await,
        (Method::Post, Fixture::Form(fields)) => {
            let vals: Vec<(String, String)> = fields
                .iter()
                .map(|(k, v)| (k.to_string(), fill_value(v, w)))
                .collect();
            let pairs: Vec<(&str, &str)> =
                vals.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            c.post(&url, &pairs).await
        }
        (Method::Post, Fixture::Json(body)) => {
            let req =
                http::Request::post(&url).header(http::header::CONTENT_TYPE, "application/json");
            c.send(req, axum::body::Body::from(fill_value(body, w)))
                .await
        }
        (Method::Post, Fixture::Upload { fields, file }) => {
            let vals: Vec<(String, String)> = fields
                .iter()
                .map(|(k, v)| (k.to_string(), fill_value(v, w)))
                .collect();
            let pairs: Vec<(&str, &str)> =
                vals.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            let content = fill_value(&String::from_utf8_lossy(file.2), w).into_bytes();
            c.post_multipart(&url, &pairs, Some((file.0, file.1, content)))
                .await
        }
    }
}

/// An event stream never ends: only its status and headers are read.
async fn head_of_stream(c: &mut Client<'_>, url: &str) -> testkit::app::Resp {
    use tower::ServiceExt;
    let cookie = c
        .cookies
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("; ");
    let req = http::Request::get(url)
        .header(http::header::COOKIE, cookie)
        .body(axum::body::Body::empty())
        .unwrap();
    let res = c.app().router.clone().oneshot(req).await.unwrap();
    testkit::app::Resp {
        status: res.status(),
        headers: res.headers().clone(),
        bytes: Vec::new(),
    }
}

fn check(expect: Expect, r: &testkit::app::Resp, who: &str, e: &RouteEntry, gone: bool) {
    let route = format!("{} {}", e.method.as_str(), e.path);
    let s = r.status.as_u16();
    // 422 from the form extractor (plain text) means the declared body did not parse; 422
    // from a handler (a page with field errors) is a refusal by rule after the guard.
    let rejected = s == 422
        && r.headers
            .get(http::header::CONTENT_TYPE)
            .is_none_or(|v| !v.as_bytes().starts_with(b"text/html"));
    assert!(
        !rejected,
        "{who}: {route}: the declared body was rejected: {}",
        r.text()
    );
    match expect {
        Expect::Login => assert_eq!(s, 401, "{who}: {route} gave {s}, not the login form"),
        Expect::Deny => assert!(
            s == 403 || s == 404,
            "{who}: {route} gave {s}, not a refusal"
        ),
        Expect::Allow => assert!(
            s < 500 && !matches!(s, 401 | 403) && (s != 404 || gone),
            "{who}: {route} gave {s}, though its guard lets them through"
        ),
        Expect::Scoped => assert!(s < 500 && s != 401, "{who}: {route} gave {s}"),
        Expect::Open => assert!(s < 500, "{who}: {route} gave {s}"),
    }
}

/// A response to someone outside school A names none of its people or things.
fn assert_no_leak(r: &testkit::app::Resp, who: &str, e: &RouteEntry, w: &World) {
    let body = r.text();
    // What the caller sent may come back (the login form keeps a posted form); that is theirs.
    let sent: Vec<&str> = match e.fixture {
        Some(Fixture::Form(f)) | Some(Fixture::Upload { fields: f, .. }) => {
            f.iter().map(|(_, v)| *v).collect()
        }
        _ => Vec::new(),
    };
    for n in w
        .names
        .iter()
        .filter(|n| !sent.iter().any(|v| v.contains(*n)))
    {
        assert!(
            !body.contains(n),
            "{who}: {} {} shows {n} of school A",
            e.method.as_str(),
            e.path
        );
    }
    if e.path.ends_with(".xlsx") && r.status.as_u16() == 200 {
        let rows = read_xlsx(&r.bytes);
        for n in &w.names {
            assert!(
                !rows.iter().flatten().any(|c| c.contains(n)),
                "{who}: {} export holds {n} of school A",
                e.path
            );
        }
    }
    if r.status.is_success() {
        for p in [
            "/members/",
            "/congress/meetings/",
            "/proposals/",
            "/polls/",
            "/suggestions/",
        ] {
            let id = object_id(p, w).unwrap_or_default();
            assert!(
                !body.contains(&format!("{p}{id}\"")) && !body.contains(&format!("{p}{id}/")),
                "{who}: {} {} links to school A's {p}{id}",
                e.method.as_str(),
                e.path
            );
        }
    }
}

dual_test!(async fn every_route_answers_each_caller_as_its_guard_says(t) {
    let started = std::time::Instant::now();
    let app = TestApp::new(t).await;
    let o = app.org.clone();
    let st = &app.t.store;
    let table = web::routes(&WebConfig::default());

    // Every route declares its guard, and every POST a valid body.
    let mut undeclared = Vec::new();
    for e in &table.entries {
        let route = format!("{} {}", e.method.as_str(), e.path);
        if e.access == Access::Login {
            undeclared.push(format!("{route}: no guard (Access::Login)"));
        }
        if e.fixture.is_none() {
            undeclared.push(format!("{route}: no fixture body"));
        }
        if (e.access == Access::Public) != PUBLIC.contains(&e.path) {
            undeclared.push(format!("{route}: public without being on the allow-list, or the reverse"));
        }
        if matches!(e.access, Access::Any(ns) if ns.is_empty()) {
            undeclared.push(format!("{route}: a guard without needs"));
        }
    }
    assert!(undeclared.is_empty(), "routes without a complete declaration: {undeclared:#?}");

    // School A's things.
    let member_a = member(st, o.school_a, "甲校会员", 1).await;
    let delegate_a = app.account_full("delegatea", Role::Delegate, o.school_a, Some(member_a), None).await;
    let chair_a = app.account("chaira", Role::SchoolChair, o.school_a).await;
    let grants = store::auth::list_accounts(app.t.db(), &sys()).await.unwrap();
    let grant = grants.iter().find(|a| a.account.id == delegate_a.0).unwrap().grants[0].0;
    let file = xlsx(&[row(&["姓名", "身份证号", "岗位"]), row(&["甲校新人", &id_number(2, true), "教师"])]);
    let mut chair_client = app.client_for(chair_a).await;
    let up = chair_client.post_multipart("/members/import", &[("unit", &o.school_a.to_string())], Some(("file", "a.xlsx", file))).await;
    up.assert_status(303);
    let import: i64 = up.location().unwrap().trim_start_matches("/imports/").parse().unwrap();
    let congress = congress_of_a(&app, member_a).await;
    store::org::add_cadre_position(st, &sys(), &who(), member_a, o.school_a, domain::org::CadrePosition::Chair, today()).await.unwrap();
    let cadre = store::org::cadre_positions(st, &sys(), member_a).await.unwrap()[0].id;
    let (inbox, job) = inbox_and_job_of_a(&app, chair_a).await;
    let (hardship, relief_grant) = hardship_file_of_a(&app).await;
    let (visit, campaign) = visit_and_campaign_of_a(&app).await;
    let retiree_contact = retiree_contact_of_a(&app).await;
    let (home_application, home_evidence) = home_application_of_a(&app).await;
    let appeal = appeal_of_a(&app).await;
    let (news_item, plan_task, summary) = yearbook_of_a(&app).await;
    let (committee, seat, election) = committee_of_a(&app).await;
    let (funds_entry, finding, dues_roll, payroll_batch, dues_member, receipt) = funds_of_a(&app).await;
    let activity = activity_of_a(&app, member_a).await;
    let (survey, petition) = survey_of_a(&app).await;
    let api_token = api_secret(&app, chair_a).await.0;
    let contest = contest_of_a(&app).await;
    let (contest_entry, entry_file) = entry_file_of_a(&app, contest).await;
    let published_contest = {
        let (c, winners) = crate::contests::published(&app).await;
        (c, winners[0].0)
    };
    let (award, nomination_new, nomination, nomination_on_notice, objection) = commendations_of_a(&app).await;
    let mut w = World {
        school: o.school_a,
        school2: o.school_a2,
        member_version: 0,
        area: o.area_a,
        branch: o.branch_a1,
        member: member_a.0,
        account: delegate_a.0,
        grant: grant.0,
        import,
        cadre,
        congress,
        inbox,
        job,
        hardship,
        relief_grant,
        visit,
        campaign,
        retiree_contact,
        home_application,
        home_evidence,
        appeal,
        news_item,
        plan_task,
        summary,
        committee,
        seat,
        election,
        funds_entry,
        finding,
        dues_roll,
        payroll_batch,
        dues_member,
        receipt,
        contest,
        contest_entry,
        entry_file,
        published_contest,
        award,
        nomination_new,
        nomination,
        nomination_on_notice,
        objection,
        api_token,
        activity,
        survey,
        petition,
        names: vec!["甲校之家.jpg", "甲校台账.pdf", "甲校申诉", "甲校投稿的标题", "甲校计划任务", "甲校通讯员", "甲校委员甲", "甲校委员乙", "甲校运动会", "甲校凭证", "甲校会费会员", "甲校发票", "甲校困难户", "甲校补助户", "甲校慰问户", "甲校送温暖", "甲校会员", "甲一小学工会", "甲校礼堂", "甲校会员的提案", "甲校会员的建议", "甲校选举", "甲校决议", "甲校气排球赛", "甲校问卷", "甲校信访事项", "甲校课件比赛", "甲校参赛作品", "甲校参赛教师", "甲校作品文件", "甲校退协会长", "甲校被推荐人", "甲校已公示对象", "甲校推荐事迹", "甲校异议内容"],
    };

    // The callers. Member A is another member of school A, not the author of anything.
    let other_a = member(st, o.school_a, "甲校同事", 4).await;
    let observer_m = member(st, o.school_a, "甲校列席", 5).await;
    store::congress::terms::add_delegate(st, &sys(), &who(), domain::congress::TermId(w.congress.term), observer_m, domain::congress::DelegateKind::Observer, None, today()).await.unwrap();
    let member_b = member(st, o.school_b, "乙校会员", 3).await;
    let callers = vec![
        Caller { name: "anonymous", grant: None, account: None, in_term: false },
        Caller { name: "member of A", grant: Some((Role::Member, o.school_a)), account: Some(app.account_full("membera", Role::Member, o.school_a, Some(other_a), None).await), in_term: false },
        Caller { name: "member of B", grant: Some((Role::Member, o.school_b)), account: Some(app.account_full("memberb", Role::Member, o.school_b, Some(member_b), None).await), in_term: false },
        Caller { name: "chair of A", grant: Some((Role::SchoolChair, o.school_a)), account: Some(chair_a), in_term: false },
        Caller { name: "chair of B", grant: Some((Role::SchoolChair, o.school_b)), account: Some(app.account("chairb", Role::SchoolChair, o.school_b).await), in_term: false },
        Caller { name: "lead of area A", grant: Some((Role::AreaLead, o.area_a)), account: Some(app.account("leada", Role::AreaLead, o.area_a).await), in_term: false },
        Caller { name: "lead of area B", grant: Some((Role::AreaLead, o.area_b)), account: Some(app.account("leadb", Role::AreaLead, o.area_b).await), in_term: false },
        Caller { name: "district staff", grant: Some((Role::UnionStaff, o.union)), account: Some(app.account("staff", Role::UnionStaff, o.union).await), in_term: false },
        Caller { name: "observer of A", grant: Some((Role::Delegate, o.school_a)), account: Some(app.account_full("observera", Role::Delegate, o.school_a, Some(observer_m), None).await), in_term: true },
    ];

    // Pass 1: every refusal, and every call by someone outside school A. The API's routes
    // (`/api/`) take a personal access token instead of the session: each caller gets one
    // with all their grants, read+write.
    let mut secrets = std::collections::HashMap::new();
    let mut later = Vec::new();
    for e in &table.entries {
        for c in &callers {
            let exp = expect(e, c, &w, o.union);
            let outside = c.grant.is_none_or(|(_, u)| !covers(u, &w, o.union));
            if matches!(exp, Expect::Allow | Expect::Scoped) && !outside {
                later.push((e, c, exp));
                continue;
            }
            let mut client = match c.account { Some(a) => app.client_for(a).await, None => app.anon() };
            if let (true, Some(a)) = (e.path.starts_with("/api/"), c.account) {
                client = client.header("authorization", &format!("Bearer {}", token_of(&app, &mut secrets, a).await));
            }
            let r = call(&mut client, e, &w).await;
            check(exp, &r, c.name, e, false);
            if outside {
                assert_no_leak(&r, c.name, e, &w);
            }
        }
    }

    // Nothing of school A changed.
    let m = store::org::get_member(st, &sys(), member_a).await.unwrap();
    assert_eq!(m.school_union_id, o.school_a);
    assert_eq!(m.status, domain::org::MemberStatus::Active);
    let (hf, _) = store::assistance::files::get(&st.db, &sys(), domain::assistance::HardshipFileId(w.hardship)).await.unwrap();
    assert_eq!(hf.status, domain::assistance::FileStatus::Draft, "school A's hardship file");
    let g = store::assistance::grants::get(st, &sys(), domain::assistance::GrantId(w.relief_grant)).await.unwrap();
    assert_eq!(g.status, domain::assistance::GrantStatus::Applied, "school A's grant");
    let n = store::correspondent::get(st, &sys(), domain::correspondent::NewsItemId(w.news_item)).await.unwrap();
    assert_eq!(n.status, domain::correspondent::NewsStatus::Submitted, "school A's news item");
    let act = store::activity::get(&st.db, &sys(), domain::activity::ActivityId(w.activity)).await.unwrap();
    assert_eq!((act.confirmed, act.waiting, act.attended), (1, 0, 0), "school A's activity");
    let tasks = store::work_plan::tasks(&st.db, &sys::<domain::auth::perm::WorkPlanView>(), o.school_a, 2026).await.unwrap();
    assert_eq!(tasks.len(), 1, "school A's plan");
    let sv = store::rights::get(&st.db, &sys(), domain::rights::SurveyId(w.survey)).await.unwrap();
    assert_eq!((sv.status, sv.answers), (domain::rights::SurveyStatus::Open, 0), "school A's survey");
    let pe = store::rights::petitions::get(&st.db, &sys(), domain::rights::PetitionId(w.petition)).await.unwrap();
    assert_eq!(pe.status, domain::rights::PetitionStatus::Received, "school A's petition");
    let s = store::work_summary::get(&st.db, &sys(), domain::work_summary::SummaryId(w.summary)).await.unwrap();
    assert!(s.body.is_none(), "school A's summary draft");
    let el = store::elections::workflow::get(st, &sys(), domain::elections::ElectionId(w.election)).await.unwrap();
    assert_eq!(el.row.status, domain::elections::ElectionStatus::Applied, "school A's election");
    let (cm, _, _) = store::elections::committees::get(st, &sys(), domain::elections::CommitteeId(w.committee)).await.unwrap();
    assert_eq!((cm.held, cm.vacant), (2, 1), "school A's committee");
    {
        let entered: i64 = store::on_db!(&st.db, |p| sqlx::query_scalar("SELECT COUNT(*) FROM funds_entry WHERE status = 'entered'").fetch_one(p).await).unwrap();
        assert_eq!(entered, 1, "school A's expense awaits approval");
        let open: i64 = store::on_db!(&st.db, |p| sqlx::query_scalar("SELECT COUNT(*) FROM funds_finding WHERE status = 'open'").fetch_one(p).await).unwrap();
        assert_eq!(open, 1, "school A's finding is open");
    }
    {
        use domain::congress::*;
        use domain::proposals::*;
        use store::congress::meetings;
        use store::proposals::{self, suggestions};
        let db = &st.db;
        let view = sys::<domain::auth::perm::CongressView>();
        let mt = meetings::get_meeting(db, meetings::Viewer::view(&view), MeetingId(w.congress.meeting)).await.unwrap();
        assert_eq!(mt.status, MeetingStatus::Open);
        assert_eq!(meetings::documents(db, meetings::Viewer::view(&view), mt.id).await.unwrap().len(), 1);
        assert_eq!(meetings::agenda(db, meetings::Viewer::view(&view), mt.id).await.unwrap().len(), 1);
        let p = proposals::get(db, proposals::Lens::view(&view), ProposalId(w.congress.proposal)).await.unwrap();
        assert_eq!((p.row.status, p.seconders.len()), (ProposalStatus::Submitted, 2));
        let s = suggestions::get(db, suggestions::SuggestionLens::view(&view), SuggestionId(w.congress.suggestion)).await.unwrap();
        assert_eq!(s.status, SuggestionStatus::Open);
        let d = store::congress::terms::delegates(db, &view, TermId(w.congress.term), true).await.unwrap();
        assert_eq!(d.iter().filter(|d| d.ended_on.is_none()).count(), 4, "the delegate, two seconders and the observer");
        let polls = store::voting::polls_of_meeting(db, meetings::Viewer::view(&view), mt.id).await.unwrap();
        assert_eq!(polls.len(), 2);
        assert_eq!(polls[0].status, domain::voting::PollStatus::Draft);
        assert_eq!(store::voting::options(db, meetings::Viewer::view(&view), polls[0].id).await.unwrap().len(), 1);
        assert_eq!(polls[1].status, domain::voting::PollStatus::Published);
    }

    w.member_version = m.version;

    // Pass 2: the callers the guard lets through, reads first. A write may take away what
    // a later write of the same object needed (a removed option, a discarded import): a
    // 404 then counts only after a write to that object succeeded.
    later.sort_by_key(|(e, _, _)| e.method == Method::Post);
    let mut written: Vec<String> = Vec::new();
    let (mut tried, mut succeeded): (Vec<&str>, Vec<&str>) = (Vec::new(), Vec::new());
    let mut last = std::collections::HashMap::new();
    for (e, c, exp) in later {
        let mut client = app.client_for(c.account.unwrap()).await;
        if e.path.starts_with("/api/") {
            client = client.header("authorization", &format!("Bearer {}", token_of(&app, &mut secrets, c.account.unwrap()).await));
        }
        let r = call(&mut client, e, &w).await;
        let s = r.status.as_u16();
        let object: String = e.path.split('/').take(3).collect::<Vec<_>>().join("/");
        check(exp, &r, c.name, e, written.contains(&object));
        if e.method == Method::Post && (200..400).contains(&s) {
            written.push(object);
            succeeded.push(e.path);
        }
        if e.method == Method::Post && exp == Expect::Allow {
            tried.push(e.path);
            let page = r.html();
            let errors: Vec<String> = scraper::Selector::parse(".error, .field-error, .flash, [role=alert]")
                .map(|sel| page.select(&sel).map(|x| x.text().collect::<String>().trim().to_string()).collect())
                .unwrap_or_default();
            last.insert(e.path, format!("{} {s} {:?} {errors:?}", c.name, r.location()));
        }
    }
    // Each declared body is valid: some caller the guard lets through got it accepted.
    let mut never: Vec<String> = tried.iter().filter(|p| !succeeded.contains(p)).map(|p| format!("{p}: last answer {}", last.get(p).cloned().unwrap_or_default())).collect();
    never.dedup();
    assert!(never.is_empty(), "POST routes whose declared body no one could get accepted: {never:#?}");
    // How long the walk took is printed, not asserted: speed is measured in benchmarks
    // (BENCHMARKS.md, "authorization matrix"), where the machine's load is recorded too; a
    // wall-clock bound here failed on a loaded CI machine without any route being slower.
    eprintln!("the matrix walked every route in {:?}", started.elapsed());
    typed_values_come_back(&app, &table, &callers, &w, o.union).await;

    // The audit log reads for people (issue 25, item 14): every action the routes above
    // recorded has its label in both catalogues.
    let actions: Vec<String> = store::on_db!(&st.db, |p| sqlx::query_scalar("SELECT DISTINCT action FROM audit_log ORDER BY action").fetch_all(p).await).unwrap();
    assert!(actions.len() > 40, "{actions:?}");
    for lang in [web::i18n::Lang::Zh, web::i18n::Lang::En] {
        let keys = web::i18n::catalogue_keys(lang);
        let unlabelled: Vec<&String> = actions.iter().filter(|a| !keys.contains(&format!("audit-action-{}", a.replace('.', "-")))).collect();
        assert!(unlabelled.is_empty(), "audit actions without a label in {lang:?}: {unlabelled:?}");
    }
});

/// Form routes known to drop what was typed when they refuse it (issue 25, item 8), each
/// with what it does instead. The test fails when a route not listed loses input, and when
/// a listed route no longer does (so the list stays true).
const KNOWN_LOSSES: &[(&str, &str)] = &[];

/// Nothing typed is lost (issue 25, item 8): every form route — a POST whose path is also a
/// page (GET) — is posted by a caller its guard lets through with its declared body, one
/// field at a time left empty. When the answer refuses the body at its fields (422), every
/// other value typed must come back in the page. A redirect back to the same form with an
/// error message would have dropped them: that counts as a loss too.
async fn typed_values_come_back(
    app: &TestApp,
    table: &web::RouteTable,
    callers: &[Caller],
    w: &World,
    union: OrgUnitId,
) {
    let pages: Vec<&str> = table
        .entries
        .iter()
        .filter(|e| e.method == Method::Get)
        .map(|e| e.path)
        .collect();
    let mut losses: Vec<String> = Vec::new();
    let mut checked = 0;
    for e in table
        .entries
        .iter()
        .filter(|e| e.method == Method::Post && pages.contains(&e.path))
    {
        let Some(Fixture::Form(fields)) = e.fixture else {
            continue;
        };
        // The first caller the guard lets through, district staff first.
        let Some(c) = callers
            .iter()
            .rev()
            .filter(|c| c.account.is_some())
            .find(|c| expect(e, c, w, union) == Expect::Allow)
        else {
            continue;
        };
        let url = fill_path(e.path, w);
        for (blank, _) in fields.iter() {
            let vals: Vec<(String, String)> = fields
                .iter()
                .map(|(k, v)| {
                    (
                        k.to_string(),
                        if k == blank {
                            String::new()
                        } else {
                            fill_value(v, w)
                        },
                    )
                })
                .collect();
            let pairs: Vec<(&str, &str)> =
                vals.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            let mut client = app.client_for(c.account.unwrap()).await;
            let r = client.post(&url, &pairs).await;
            let s = r.status.as_u16();
            if s == 422 {
                checked += 1;
                let text = r.text();
                // Values typed by hand (not ids, codes or dates a control chose) must be
                // there, as typed or HTML-escaped.
                let lost: Vec<&(String, String)> = vals
                    .iter()
                    .filter(|(k, v)| {
                        k != blank
                            && v.chars().count() > 1
                            && !v.chars().all(|ch| ch.is_ascii_digit())
                    })
                    .filter(|(_, v)| {
                        !text.contains(v.as_str())
                            && !text.contains(
                                &v.replace('&', "&amp;")
                                    .replace('<', "&lt;")
                                    .replace('"', "&#34;"),
                            )
                    })
                    .collect();
                if !lost.is_empty() {
                    losses.push(format!(
                        "POST {} (as {}, {blank} empty): {:?} not in the page",
                        e.path,
                        c.name,
                        lost.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>()
                    ));
                }
            } else if s == 303
                && r.location().is_some_and(|l| l.split('?').next() == Some(url.as_str()))
                // Only text a person typed can be lost: words, not the codes and ids that
                // buttons and hidden fields carry.
                && vals.iter().any(|(k, v)| k != blank && !v.is_ascii())
            {
                // Sent back to the form: with an error, what was typed is gone.
                let page = client.follow(&r).await;
                if !page.select(".flash.error, .flash.warn").is_empty() {
                    losses.push(format!(
                        "POST {} (as {}, {blank} empty): redirected back to an empty form",
                        e.path, c.name
                    ));
                }
            }
        }
    }
    let known: Vec<&str> = KNOWN_LOSSES.iter().map(|(p, _)| *p).collect();
    let new: Vec<&String> = losses
        .iter()
        .filter(|l| !known.iter().any(|k| l.starts_with(&format!("POST {k} "))))
        .collect();
    assert!(
        new.is_empty(),
        "forms that lose what was typed ({checked} refusals checked): {new:#?}"
    );
    let healed: Vec<&&str> = known
        .iter()
        .filter(|k| !losses.iter().any(|l| l.starts_with(&format!("POST {k} "))))
        .collect();
    assert!(
        healed.is_empty(),
        "no longer losing input, take them off KNOWN_LOSSES: {healed:?}"
    );
    assert!(
        checked > 10,
        "only {checked} refusals were checked: the pass did not reach the forms"
    );
}
