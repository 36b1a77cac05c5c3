//! Votes on the web: the polls of a meeting, a poll's page (candidates, the life cycle,
//! live turnout, the tellers' sheet and its confirmation, results), voting on a phone
//! (logged in, or with the card's code and no login) with a confirmation step and a
//! receipt that never repeats a secret choice, and the results documents: the result
//! sheet, its .xlsx and the minutes draft of the meeting.
//!
//! Handlers stay thin: parse, ask the policy for a capability (or act as oneself), call
//! `store::voting`, redirect with a flash message or render.

pub mod ballot;
pub mod documents;
pub mod live;

use crate::Need::{Attendee, Staff};
use crate::chrome::{Chrome, Opt, coded_options};
use crate::congress::terms::meeting_name;
use crate::congress::{Reader, flash_of, read_meeting, refused};
use crate::ctx::{Auth, Flash};
use crate::error::{AppError, AppResult};
use crate::i18n::Tr;
use crate::state::AppState;
use crate::{Guard, Permission as P, RouteTable};
use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::sse::{KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use domain::auth::{Cap, perm};
use domain::congress::{Acting, MeetingRole, authorize_self};
use domain::ids::MemberId;
use domain::org::Coded;
use domain::rules::Ratio;
use domain::voting::*;
use domain::{FieldError, FieldErrors};
use serde::Deserialize;
use std::time::Duration;
use store::StoreError;
use store::congress::meetings::{self as sm, Viewer};
use store::voting::{self as sv, Poll};

pub fn routes(t: RouteTable) -> RouteTable {
    t.get(
        "/congress/meetings/{id}/polls",
        Guard::any(&[Staff(P::CongressView), Attendee(P::CongressAttend)]),
        polls_page,
    )
    .post(
        "/congress/meetings/{id}/polls",
        Guard::staff(P::CongressManage).form(&[
            ("title", "甲校决议表决"),
            ("kind", "motion"),
            ("mode", "secret"),
            ("seats", "1"),
        ]),
        create,
    )
    .get(
        "/congress/meetings/{id}/minutes",
        Guard::any(&[Staff(P::CongressView), Attendee(P::CongressAttend)]),
        documents::minutes,
    )
    .get(
        "/polls/{id}",
        Guard::any(&[Staff(P::CongressView), Attendee(P::CongressAttend)]),
        show,
    )
    .post(
        "/polls/{id}/options",
        Guard::staff(P::CongressManage).form(&[("name", "甲校同事")]),
        add_option,
    )
    .post(
        "/polls/{id}/options/{option}/remove",
        Guard::staff(P::CongressManage).button(),
        remove_option,
    )
    .post(
        "/polls/{id}/open",
        Guard::staff(P::CongressManage).button(),
        open,
    )
    .get(
        "/polls/{id}/count",
        Guard::staff(P::CongressManage),
        count_page,
    )
    .post(
        "/polls/{id}/count",
        Guard::staff(P::CongressManage).form(&[("share0", "ABCD-EFGH")]),
        count,
    )
    .post(
        "/polls/{id}/close",
        Guard::staff(P::CongressManage).button(),
        close,
    )
    .post(
        "/polls/{id}/publish",
        Guard::staff(P::CongressManage).button(),
        publish,
    )
    .post(
        "/polls/{id}/further-round",
        Guard::staff(P::CongressManage).button(),
        further_round,
    )
    .post(
        "/polls/{id}/paper",
        Guard::named(P::CongressAttend).form(&[
            ("issued", "1"),
            ("returned", "1"),
            ("valid", "1"),
            ("invalid", "0"),
        ]),
        enter_paper,
    )
    .post(
        "/polls/{id}/paper/confirm",
        Guard::named(P::CongressAttend).button(),
        confirm_paper,
    )
    .get(
        "/polls/{id}/events",
        Guard::any(&[Staff(P::CongressView), Attendee(P::CongressAttend)]),
        events,
    )
    .get(
        "/polls/{id}/vote",
        Guard::named(P::CongressAttend),
        ballot::page,
    )
    .post(
        "/polls/{id}/vote",
        Guard::named(P::CongressAttend).form(&[("choice", "{option}")]),
        ballot::submit,
    )
    .get(
        "/polls/{id}/result",
        Guard::any(&[Staff(P::CongressView), Attendee(P::CongressAttend)]),
        documents::result,
    )
    .get(
        "/polls/{id}/result.xlsx",
        Guard::any(&[Staff(P::CongressView), Attendee(P::CongressAttend)]),
        documents::result_xlsx,
    )
    .get("/vote", Guard::public(), ballot::code_page)
    .post(
        "/vote",
        Guard::public().form(&[("code", "ABCDEFGHJK")]),
        ballot::code_submit,
    )
}

/// How the reader reaches a poll.
pub(crate) enum PollReader {
    /// Runs the congress of the school.
    Manager(Cap<perm::CongressManage>),
    /// Sees the school's congress (area leads, committee members, auditors of it…).
    Staff(Cap<perm::CongressView>),
    /// A delegate, observer or guest of the term.
    Attendee(Acting<perm::CongressAttend>),
}

impl PollReader {
    pub fn viewer(&self) -> Viewer<'_> {
        match self {
            PollReader::Manager(c) => Viewer::manage(c),
            PollReader::Staff(c) => Viewer::view(c),
            PollReader::Attendee(a) => Viewer::attendee(a),
        }
    }

    pub fn manager(&self) -> Option<&Cap<perm::CongressManage>> {
        match self {
            PollReader::Manager(c) => Some(c),
            _ => None,
        }
    }

    pub fn acting(&self) -> Option<&Acting<perm::CongressAttend>> {
        match self {
            PollReader::Attendee(a) => Some(a),
            _ => None,
        }
    }
}

/// Whether this reader may see a cadre review's results: the one decision every output
/// (poll page, minutes, result sheet, its print view and .xlsx) asks, with the reader's
/// capabilities taken from the account, never a flag computed by the caller.
pub(crate) async fn review_visible(state: &AppState, a: &Auth, p: &Poll) -> AppResult<bool> {
    let manage = a.actor.authorize::<perm::CongressManage>().ok();
    let attendee = authorize_self::<perm::CongressAttend>(&a.actor).ok();
    Ok(sv::may_see_review(
        &state.store.db,
        p,
        sv::ReviewReader {
            manage: manage.as_ref(),
            attendee: attendee.as_ref(),
        },
    )
    .await?)
}

/// The poll `id` for whoever may read it: its managers, then staff, then attendees.
pub(crate) async fn read_poll(
    state: &AppState,
    a: &Auth,
    id: i64,
) -> AppResult<(PollReader, Poll)> {
    let db = &state.store.db;
    let id = PollId(id);
    if let Ok(cap) = a.actor.authorize::<perm::CongressManage>() {
        match sv::get_poll(db, Viewer::manage(&cap), id).await {
            Ok(p) => return Ok((PollReader::Manager(cap), p)),
            Err(StoreError::NotFound) => {}
            Err(e) => return Err(e.into()),
        }
    }
    if let Ok(cap) = a.actor.authorize::<perm::CongressView>() {
        match sv::get_poll(db, Viewer::view(&cap), id).await {
            Ok(p) => return Ok((PollReader::Staff(cap), p)),
            Err(StoreError::NotFound) => {}
            Err(e) => return Err(e.into()),
        }
    }
    match authorize_self::<perm::CongressAttend>(&a.actor) {
        Ok(acting) => {
            let p = sv::get_poll(db, Viewer::attendee(&acting), id).await?;
            Ok((PollReader::Attendee(acting), p))
        }
        Err(_) if a.actor.may(domain::auth::Permission::CongressView) => Err(AppError::NotFound),
        Err(_) => Err(AppError::Forbidden),
    }
}

/// The poll for its managers only.
async fn manage_poll(
    state: &AppState,
    a: &Auth,
    id: i64,
) -> AppResult<(Cap<perm::CongressManage>, Poll)> {
    let cap = a.actor.authorize::<perm::CongressManage>()?;
    let p = sv::get_poll(&state.store.db, Viewer::manage(&cap), PollId(id)).await?;
    Ok((cap, p))
}

pub(crate) fn status_class(s: PollStatus) -> &'static str {
    match s {
        PollStatus::Draft => "s-draft",
        PollStatus::Open => "s-open",
        PollStatus::Closed => "s-submitted",
        PollStatus::Published => "s-closed",
    }
}

// ------------------------------------------------------------------ the polls of a meeting

pub struct PollRow {
    pub id: i64,
    pub title: String,
    pub kind: String,
    pub mode: String,
    pub status: String,
    pub status_class: &'static str,
    pub round: u32,
    pub outcome: String,
    pub can_vote: bool,
    /// The reader has voted in it (shown as 已投票).
    pub voted: bool,
    /// A voting delegate not yet checked in: told to check in first, not offered the poll.
    pub check_in_first: bool,
}

#[derive(Template)]
#[template(path = "voting/polls.html")]
struct PollsPage {
    p: Chrome,
    id: i64,
    rows: Vec<PollRow>,
    can_manage: bool,
    kinds: Vec<Opt>,
    modes: Vec<Opt>,
    contests: Vec<Opt>,
    offices: Vec<Opt>,
    agenda: Vec<Opt>,
    f: PollInput,
    errors: FieldErrors,
    error_list: Vec<String>,
}

/// One line about a poll's outcome for lists and minutes.
pub(crate) fn outcome_line(tr: &Tr, p: &Poll) -> String {
    match &p.result {
        Some(PollResult::Motion(m)) => tr.t1(
            if m.passed {
                "poll-outcome-passed"
            } else {
                "poll-outcome-failed"
            },
            "needed",
            m.needed,
        ),
        Some(PollResult::Election(e)) => tr.ta(
            "poll-outcome-elected",
            &[
                ("elected", e.elected.to_string()),
                ("seats", e.seats.to_string()),
            ],
        ),
        Some(PollResult::CadreReview(r)) => tr.t1("poll-outcome-reviewed", "raters", r.raters),
        None => String::new(),
    }
}

async fn polls_view(
    state: &AppState,
    a: &Auth,
    id: i64,
    f: PollInput,
    errors: FieldErrors,
) -> AppResult {
    let (reader, m) = read_meeting(state, a, id).await?;
    let db = &state.store.db;
    let tr = a.tr;
    let can_manage = match a.actor.authorize::<perm::CongressManage>() {
        Ok(cap) => sm::get_meeting(db, Viewer::manage(&cap), m.id)
            .await
            .is_ok(),
        Err(_) => false,
    };
    let polls = sv::polls_of_meeting(db, reader.viewer(), m.id).await?;
    // An attendee is offered a poll only when they can vote in it: a voting delegate who has
    // checked in (issue 25); an observer or a guest is never offered one.
    let (voted, may_vote, checked_in) = match &reader {
        Reader::Attendee(acting) => {
            let voted =
                sv::own_participation(db, acting, &polls.iter().map(|p| p.id).collect::<Vec<_>>())
                    .await?;
            match store::congress::attendance::own_check_in(db, acting, m.id).await {
                Ok((kind, at)) => (voted, kind.votes(), at.is_some()),
                Err(StoreError::NotFound) => (voted, false, false),
                Err(e) => return Err(e.into()),
            }
        }
        Reader::Staff(_) => (Vec::new(), false, false),
    };
    let rows = polls
        .iter()
        .map(|p| PollRow {
            id: p.id.0,
            title: p.title.clone(),
            kind: tr.label(p.kind),
            mode: tr.label(p.mode),
            status: tr.label(p.status),
            status_class: status_class(p.status),
            round: p.round,
            outcome: outcome_line(&tr, p),
            can_vote: may_vote
                && checked_in
                && p.status == PollStatus::Open
                && p.mode.electronic()
                && !voted.contains(&p.id),
            voted: voted.contains(&p.id),
            check_in_first: may_vote
                && !checked_in
                && p.status == PollStatus::Open
                && p.mode.electronic(),
        })
        .collect();
    let agenda_items = sm::agenda(db, reader.viewer(), m.id).await?;
    let mut agenda = vec![Opt::new("", tr.t("poll-no-item"), f.title.is_empty())];
    agenda.extend(
        agenda_items
            .iter()
            .map(|i| Opt::new(i.id.0, format!("{}. {}", i.position, i.title), false)),
    );
    let name = meeting_name(&tr, m.term_number, m.number, m.mode);
    let p = Chrome::new(a, "polls-title")
        .title_text(format!("{} · {}", tr.t("polls-title"), name))
        .crumb(tr.t("congress-title"), Some("/congress".into()))
        .crumb(name, Some(format!("/congress/meetings/{id}")));
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let mut r = a.render(&PollsPage {
        p,
        id,
        rows,
        can_manage: can_manage && m.status != domain::congress::MeetingStatus::Closed,
        kinds: coded_options::<PollKind>(&tr, &f.kind, None),
        modes: coded_options::<PollMode>(&tr, &f.mode, None),
        contests: vec![
            Opt::new(
                "competitive",
                tr.t("poll-competitive"),
                f.contest != "uncontested",
            ),
            Opt::new(
                "uncontested",
                tr.t("poll-uncontested"),
                f.contest == "uncontested",
            ),
        ],
        offices: coded_options::<UnionOffice>(&tr, &f.union_office, Some("poll-union-office-none")),
        agenda,
        error_list: errors.0.iter().map(|e| tr.fe(e)).collect(),
        f,
        errors,
    })?;
    *r.status_mut() = status;
    Ok(r)
}

pub async fn polls_page(State(state): State<AppState>, a: Auth, Path(id): Path<i64>) -> AppResult {
    let f = PollInput {
        kind: "motion".into(),
        mode: "secret".into(),
        contest: "competitive".into(),
        ..PollInput::default()
    };
    polls_view(&state, &a, id, f, FieldErrors::default()).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CreateForm {
    #[serde(flatten)]
    input: PollInput,
    agenda_item: String,
}

pub async fn create(
    State(state): State<AppState>,
    a: Auth,
    Path(id): Path<i64>,
    Form(f): Form<CreateForm>,
) -> AppResult {
    let cap = a.actor.authorize::<perm::CongressManage>()?;
    sm::get_meeting(
        &state.store.db,
        Viewer::manage(&cap),
        domain::congress::MeetingId(id),
    )
    .await?;
    let mut errors = FieldErrors::default();
    match f.input.parse() {
        Ok(d) => {
            let agenda =
                crate::congress::form_id(&f.agenda_item).map(domain::congress::AgendaItemId);
            match sv::create_poll(
                &state.store,
                &cap,
                &a.who(),
                domain::congress::MeetingId(id),
                agenda,
                &d,
            )
            .await
            {
                Ok(p) => {
                    return Ok(a.redirect(&format!("/polls/{}", p.0), Flash::ok("poll-created")));
                }
                Err(e) => crate::congress::into_fields(e, &mut errors)?,
            }
        }
        Err(e) => errors = e,
    }
    polls_view(&state, &a, id, f.input, errors).await
}

// ------------------------------------------------------------------ one poll

pub struct OptionView {
    pub id: i64,
    pub label: String,
}

/// The candidate search on a draft poll's page: what was typed and what it found (`None`
/// when nothing was searched).
pub struct FindView {
    pub q: String,
    pub hits: Option<Vec<HitView>>,
}

pub struct ResultRow {
    pub label: String,
    pub cells: Vec<String>,
    pub outcome: String,
    pub strong: bool,
}

/// A result as a table: headings, rows and the lines under it.
pub struct ResultView {
    pub heading: String,
    /// The header over the row labels (选项, 候选人, 被评议人): every data column has its
    /// own header, so a count never reads under its neighbour's name (issue 25).
    pub corner: String,
    /// The header of the outcome column (当选 / 未当选); empty: no such column.
    pub outcome_head: String,
    pub columns: Vec<String>,
    pub rows: Vec<ResultRow>,
    pub notes: Vec<String>,
}

pub struct PaperView {
    pub issued: u32,
    pub returned: u32,
    pub valid: u32,
    pub invalid: u32,
    pub lines: Vec<String>,
    pub void: bool,
    pub entered: String,
    pub confirmed: Option<String>,
}

/// One row of the tellers' form: an option and its input cells.
pub struct PaperField {
    pub name: String,
    pub label: String,
    pub cells: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "voting/poll.html")]
struct PollPage {
    p: Chrome,
    id: i64,
    meeting: i64,
    title: String,
    kind: String,
    mode: String,
    status: String,
    status_class: &'static str,
    facts: Vec<(String, String)>,
    options: Vec<OptionView>,
    is_motion: bool,
    can_edit: bool,
    find: Option<FindView>,
    can_open: bool,
    can_close: bool,
    can_publish: bool,
    can_further: bool,
    can_vote: bool,
    voted: bool,
    live: bool,
    /// Votes are cast on phones (not a paper poll): only then is there a count of votes cast
    /// to show while it runs.
    electronic: bool,
    voted_n: u32,
    eligible: u32,
    present: u32,
    paper: Option<PaperView>,
    teller_form: Option<Vec<PaperField>>,
    can_confirm: bool,
    result: Option<ResultView>,
    result_hidden: Option<String>,
    /// A closed poll's result before publication, shown to the chair and scrutineers only.
    provisional: Option<ResultView>,
    named: Vec<(String, String)>,
    /// Before a secret poll opens: how its key will be split (or why it cannot be).
    key_plan: Option<String>,
    key_plan_blocked: bool,
    /// A closed secret poll waiting for its scrutineers' shares.
    awaiting_count: bool,
    can_count: bool,
    /// The teller's counts as typed when they were refused.
    typed: Option<Typed>,
}

/// The result of a published poll as a table, in the reader's language.
pub(crate) async fn result_view(
    state: &AppState,
    reader: Viewer<'_>,
    tr: &Tr,
    p: &Poll,
    options: &[sv::PollOption],
    paper: Option<&sv::PaperSheet>,
) -> Result<Option<ResultView>, StoreError> {
    let Some(result) = &p.result else {
        return Ok(None);
    };
    let mut tally = p.tally.clone().unwrap_or_default();
    if let Some(s) = paper {
        tally.merge(&s.count.tally);
    }
    let label_of = |o: OptionId| {
        options
            .iter()
            .find(|x| x.id == o)
            .map(|x| x.label.clone())
            .unwrap_or_default()
    };
    let a = p.attendance.unwrap_or_default();
    let rule_line = tr.ta(
        "poll-decided-by",
        &[
            (
                "version",
                p.rule_set_id
                    .map(|r| r.0.to_string())
                    .unwrap_or_else(|| tr.t("rules-defaults")),
            ),
            ("total", a.total.to_string()),
            ("due", a.due().to_string()),
            ("present", a.present.to_string()),
        ],
    );
    Ok(Some(match result {
        PollResult::Motion(m) => ResultView {
            heading: tr.t(if m.passed {
                "poll-passed"
            } else {
                "poll-failed"
            }),
            corner: tr.t("poll-choice"),
            outcome_head: String::new(),
            columns: vec![tr.t("poll-votes")],
            rows: [
                (MotionChoice::Yes, tally.yes),
                (MotionChoice::No, tally.no),
                (MotionChoice::Abstain, tally.abstain),
            ]
            .into_iter()
            .map(|(c, n)| ResultRow {
                label: tr.label(c),
                cells: vec![tr.number(i64::from(n))],
                outcome: String::new(),
                strong: c == MotionChoice::Yes,
            })
            .collect(),
            notes: vec![
                tr.ta(
                    "poll-motion-rule",
                    &[
                        ("base", tr.label(m.base)),
                        ("count", m.base_count.to_string()),
                        ("needed", m.needed.to_string()),
                        ("ballots", tally.ballots.to_string()),
                    ],
                ),
                rule_line,
            ],
        },
        PollResult::Election(e) => {
            let writeins: Vec<domain::ids::MemberId> = e
                .rows
                .iter()
                .filter_map(|r| match r.who {
                    Standing::WriteIn(m) => Some(m),
                    _ => None,
                })
                .collect();
            let names = sv::member_names(&state.store.db, reader, &writeins).await?;
            let mut notes = vec![tr.ta(
                "poll-election-rule",
                &[
                    ("base", tr.label(e.base)),
                    ("count", e.base_count.to_string()),
                    ("needed", e.needed.to_string()),
                    ("seats", e.seats.to_string()),
                    ("elected", e.elected.to_string()),
                ],
            )];
            if e.vacant > 0 {
                notes.push(tr.t1("poll-vacant", "count", e.vacant));
            }
            if !e.tied.is_empty() {
                notes.push(tr.t("poll-tied"));
            }
            notes.push(rule_line);
            ResultView {
                heading: tr.t("poll-election-result"),
                corner: tr.t("poll-candidate"),
                outcome_head: tr.t("poll-outcome-head"),
                columns: vec![
                    tr.t("enum-candidate-mark-for"),
                    tr.t("enum-candidate-mark-against"),
                    tr.t("enum-candidate-mark-abstain"),
                ],
                rows: e
                    .rows
                    .iter()
                    .map(|r| ResultRow {
                        label: match r.who {
                            Standing::Candidate(o) => label_of(o),
                            Standing::WriteIn(m) => tr.t1(
                                "poll-write-in-name",
                                "name",
                                names.get(&m).cloned().unwrap_or_default(),
                            ),
                        },
                        cells: vec![
                            r.votes_for.to_string(),
                            r.against.to_string(),
                            r.abstain.to_string(),
                        ],
                        outcome: tr.t(match r.outcome {
                            Outcome::Elected => "poll-elected",
                            Outcome::Tied => "poll-tie",
                            Outcome::BeyondSeats => "poll-beyond-seats",
                            Outcome::NotElected => "poll-not-elected",
                        }),
                        strong: r.outcome == Outcome::Elected,
                    })
                    .collect(),
                notes,
            }
        }
        PollResult::CadreReview(r) => ResultView {
            heading: tr.t("poll-review-result"),
            corner: tr.t("poll-reviewed-leader"),
            outcome_head: String::new(),
            columns: Grade::all()
                .iter()
                .map(|g| tr.label(*g))
                .chain([tr.t("poll-competent-rate")])
                .collect(),
            rows: r
                .rows
                .iter()
                .map(|row| ResultRow {
                    label: label_of(row.leader),
                    cells: row
                        .counts
                        .iter()
                        .zip(row.shares_bp.iter())
                        // Shares from the exact counts, rounded once (48 of 49 is 98.0%).
                        .map(|(c, _)| format!("{c} ({})", Ratio::percent_text(*c, row.raters)))
                        .chain([Ratio::percent_text(
                            row.counts[0] + row.counts[1],
                            row.raters,
                        )])
                        .collect(),
                    outcome: String::new(),
                    strong: false,
                })
                .collect(),
            notes: vec![
                tr.ta(
                    "poll-review-rule",
                    &[
                        ("raters", r.raters.to_string()),
                        ("min", r.min_raters.to_string()),
                    ],
                ),
                rule_line,
            ],
        },
    }))
}

fn paper_view(
    tr: &Tr,
    s: &sv::PaperSheet,
    kind: PollKind,
    options: &[sv::PollOption],
) -> PaperView {
    let t = &s.count.tally;
    let mut lines = Vec::new();
    match kind {
        PollKind::Motion => lines.push(tr.ta(
            "paper-motion-line",
            &[
                ("yes", t.yes.to_string()),
                ("no", t.no.to_string()),
                ("abstain", t.abstain.to_string()),
            ],
        )),
        _ => {
            for o in options {
                let c = t.options.get(&o.id).copied().unwrap_or_default();
                lines.push(format!(
                    "{}: {}",
                    o.label,
                    c.iter()
                        .take(if kind == PollKind::Election { 3 } else { 4 })
                        .map(|n| n.to_string())
                        .collect::<Vec<_>>()
                        .join(" / ")
                ));
            }
        }
    }
    PaperView {
        issued: s.count.issued,
        returned: s.count.returned,
        valid: s.count.valid,
        invalid: s.count.invalid,
        lines,
        void: s.void,
        entered: tr.ta(
            "paper-entered-by",
            &[
                ("name", s.entered_by_name.clone()),
                ("at", tr.datetime(&s.entered_at)),
            ],
        ),
        confirmed: s.confirmed_at.map(|at| {
            tr.ta(
                "paper-confirmed-by",
                &[
                    ("name", s.confirmed_by_name.clone().unwrap_or_default()),
                    ("at", tr.datetime(&at)),
                ],
            )
        }),
    }
}

fn teller_fields(tr: &Tr, kind: PollKind, options: &[sv::PollOption]) -> Vec<PaperField> {
    match kind {
        PollKind::Motion => vec![PaperField {
            name: String::new(),
            label: tr.t("paper-counts"),
            cells: MotionChoice::all()
                .iter()
                .map(|c| (c.code().to_string(), tr.label(*c)))
                .collect(),
        }],
        PollKind::Election => options
            .iter()
            .map(|o| PaperField {
                name: format!("o{}", o.id.0),
                label: o.label.clone(),
                cells: Mark::all()
                    .iter()
                    .enumerate()
                    .map(|(i, m)| (format!("o{}_{i}", o.id.0), tr.label(*m)))
                    .collect(),
            })
            .collect(),
        PollKind::CadreReview => options
            .iter()
            .map(|o| PaperField {
                name: format!("o{}", o.id.0),
                label: o.label.clone(),
                cells: Grade::all()
                    .iter()
                    .enumerate()
                    .map(|(i, g)| (format!("o{}_{i}", o.id.0), tr.label(*g)))
                    .collect(),
            })
            .collect(),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ShowQuery {
    /// A candidate search (name, pinyin or initials) while the poll is a draft.
    find: String,
}

pub async fn show(
    State(state): State<AppState>,
    a: Auth,
    Path(id): Path<i64>,
    Query(q): Query<ShowQuery>,
) -> AppResult {
    poll_page_with(&state, &a, id, None, &q.find).await
}

/// A member the candidate search found, as the poll page lists it.
pub struct HitView {
    pub member: i64,
    pub name: String,
    pub detail: String,
    pub taken: bool,
}

/// What a teller typed into the paper form and why it was refused: the page comes back with
/// every count as typed and the reasons at the form, so seven counts from the paper sheet
/// are never typed twice (issue 25).
pub struct Typed {
    pub values: Vec<(String, String)>,
    pub errors: Vec<String>,
}

impl Typed {
    pub fn get(&self, k: &str) -> &str {
        self.values
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    }
}

impl PollPage {
    /// The value a teller typed into field `k` before a refusal, or "".
    fn typed_value(&self, k: &str) -> &str {
        self.typed.as_ref().map(|t| t.get(k)).unwrap_or("")
    }
}

async fn poll_page(state: &AppState, a: &Auth, id: i64, typed: Option<Typed>) -> AppResult {
    poll_page_with(state, a, id, typed, "").await
}

async fn poll_page_with(
    state: &AppState,
    a: &Auth,
    id: i64,
    typed: Option<Typed>,
    find: &str,
) -> AppResult {
    let state = state.clone();
    let (reader, p) = read_poll(&state, a, id).await?;
    let db = &state.store.db;
    let tr = a.tr;
    let m = sm::get_meeting(db, reader.viewer(), p.meeting_id).await?;
    let options = sv::options(db, reader.viewer(), p.id).await?;
    let paper = sv::paper(db, &p).await?;
    let roles = match reader.acting() {
        Some(acting) => sv::own_roles(db, acting, p.meeting_id).await?,
        None => Vec::new(),
    };
    let voted = match reader.acting() {
        Some(acting) => !sv::own_participation(db, acting, &[p.id]).await?.is_empty(),
        None => false,
    };
    let manage = reader.manager().is_some();
    let t = sv::turnout(db, reader.viewer(), p.id).await?;
    let see_review = review_visible(&state, a, &p).await?;
    let (result, result_hidden) = match &p.result {
        Some(PollResult::CadreReview(r)) if !see_review => {
            (None, Some(tr.t("poll-review-not-yours")))
        }
        Some(PollResult::CadreReview(r)) if !r.shown => (
            None,
            Some(tr.ta(
                "poll-review-too-few",
                &[
                    ("raters", r.raters.to_string()),
                    ("min", r.min_raters.to_string()),
                ],
            )),
        ),
        _ => (
            result_view(&state, reader.viewer(), &tr, &p, &options, paper.as_ref()).await?,
            None,
        ),
    };
    // The check step: after closing (and counting), the chair and the scrutineers see the
    // result that publishing would record, marked as not yet published (issue 25).
    let provisional =
        if p.status == PollStatus::Closed && (manage || roles.contains(&MeetingRole::Scrutineer)) {
            match sv::provisional_result(db, reader.viewer(), p.id).await? {
                Some(r) => {
                    let mut q = p.clone();
                    q.result = Some(r);
                    result_view(&state, reader.viewer(), &tr, &q, &options, paper.as_ref()).await?
                }
                None => None,
            }
        } else {
            None
        };
    let named = if p.status == PollStatus::Published && p.mode == PollMode::Named {
        sv::named_ballots(db, reader.viewer(), &p)
            .await?
            .into_iter()
            .map(|(n, b)| (n, ballot::describe(&tr, &b, &options)))
            .collect()
    } else {
        Vec::new()
    };
    let mut facts = vec![(tr.t("poll-round"), p.round.to_string())];
    if p.kind == PollKind::Election {
        facts.push((tr.t("poll-seats"), p.seats.to_string()));
        facts.push((
            tr.t("poll-contest"),
            tr.t(if p.competitive {
                "poll-competitive"
            } else {
                "poll-uncontested"
            }),
        ));
        if p.by_election {
            facts.push((tr.t("poll-by-election"), tr.t("poll-yes")));
        }
        if let Some(o) = p.union_office {
            facts.push((tr.t("poll-union-office"), tr.label(o)));
        }
    }
    if let Some(at) = p.opened_at {
        facts.push((tr.t("poll-opened-at"), tr.datetime(&at)));
    }
    if let Some(at) = p.closed_at {
        facts.push((tr.t("poll-closed-at"), tr.datetime(&at)));
    }
    if let Some(at) = p.published_at {
        facts.push((tr.t("poll-published-at"), tr.datetime(&at)));
    }
    let name = meeting_name(&tr, m.term_number, m.number, m.mode);
    let chrome = Chrome::new(a, "poll-title")
        .title_text(p.title.clone())
        .crumb(tr.t("congress-title"), Some("/congress".into()))
        .crumb(name, Some(format!("/congress/meetings/{}", m.id.0)))
        .crumb(
            tr.t("polls-title"),
            Some(format!("/congress/meetings/{}/polls", m.id.0)),
        );
    let further = matches!(&p.result, Some(PollResult::Election(e)) if e.vacant > 0);
    let secret = p.mode == PollMode::Secret;
    let (key_plan, key_plan_blocked) = if manage && secret && p.status == PollStatus::Draft {
        match sv::share_plan(db, &p).await? {
            (_, 0) => (Some(tr.t("poll-key-no-scrutineers")), true),
            (k, n) => (
                Some(tr.ta(
                    "poll-key-plan",
                    &[("needed", k.to_string()), ("holders", n.to_string())],
                )),
                false,
            ),
        }
    } else {
        (None, false)
    };
    let awaiting_count = secret && p.status == PollStatus::Closed && p.tally.is_none();
    let refused = typed.is_some();
    let can_edit = manage && p.status == PollStatus::Draft && p.kind != PollKind::Motion;
    let find = match reader.manager() {
        Some(cap) if can_edit => {
            let hits = if find.trim().is_empty() {
                None
            } else {
                let sep = tr.t("list-separator");
                Some(
                    sv::find_candidates(db, cap, p.id, find)
                        .await?
                        .into_iter()
                        .map(|h| HitView {
                            member: h.member.0,
                            detail: h
                                .branch
                                .iter()
                                .cloned()
                                .chain(std::iter::once(tr.label(h.post)))
                                .collect::<Vec<_>>()
                                .join(&sep),
                            name: h.name,
                            taken: h.taken,
                        })
                        .collect(),
                )
            };
            Some(FindView {
                q: find.trim().to_string(),
                hits,
            })
        }
        _ => None,
    };
    a.render(&PollPage {
        p: chrome,
        id: p.id.0,
        meeting: m.id.0,
        title: p.title.clone(),
        kind: tr.label(p.kind),
        mode: tr.label(p.mode),
        status: tr.label(p.status),
        status_class: status_class(p.status),
        facts,
        options: options
            .iter()
            .map(|o| OptionView {
                id: o.id.0,
                label: o.with_post(),
            })
            .collect(),
        find,
        is_motion: p.kind == PollKind::Motion,
        can_edit: manage && p.status == PollStatus::Draft,
        can_open: manage && p.status == PollStatus::Draft,
        can_close: manage && p.status == PollStatus::Open,
        can_publish: manage && p.status == PollStatus::Closed,
        can_further: manage && further,
        can_vote: reader.acting().is_some()
            && p.status == PollStatus::Open
            && p.mode.electronic()
            && !voted,
        voted,
        live: p.status == PollStatus::Open,
        electronic: p.mode.electronic(),
        voted_n: t.voted,
        eligible: t.eligible,
        present: t.present,
        paper: paper.as_ref().map(|s| paper_view(&tr, s, p.kind, &options)),
        teller_form: (roles.contains(&MeetingRole::Teller)
            && p.status == PollStatus::Closed
            && p.mode.takes_paper())
        .then(|| teller_fields(&tr, p.kind, &options)),
        can_confirm: roles.contains(&MeetingRole::Scrutineer)
            && p.status == PollStatus::Closed
            && paper
                .as_ref()
                .is_some_and(|s| s.confirmed_by.is_none() && !s.void),
        result,
        result_hidden,
        provisional,
        named,
        key_plan,
        key_plan_blocked,
        awaiting_count,
        can_count: manage && awaiting_count,
        typed,
    })
    .map(|mut r| {
        if refused {
            *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
        }
        r
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct OptionForm {
    name: String,
    /// The member picked from the search (takes precedence over the typed name).
    member: String,
    /// The post (职务) the ballot shows beside the name.
    post: String,
}

pub async fn add_option(
    State(state): State<AppState>,
    a: Auth,
    Path(id): Path<i64>,
    Form(f): Form<OptionForm>,
) -> AppResult {
    let (cap, p) = manage_poll(&state, &a, id).await?;
    let back = format!("/polls/{id}");
    let picked = f.member.trim().parse::<i64>().ok().map(MemberId);
    let member = match picked {
        Some(m) => Some(m),
        None => {
            sv::resolve_write_in(
                &state.store.db,
                Viewer::manage(&cap),
                p.school_union_id,
                &f.name,
            )
            .await?
        }
    };
    let Some(member) = member else {
        // Not one member of that exact name: search instead, so the office picks from the
        // list (name, branch, post) rather than typing again.
        let e = FieldError::new("member", domain::text::VOTE_WRITE_IN_UNKNOWN)
            .arg("name", f.name.trim());
        let to = format!(
            "{back}?{}",
            serde_urlencoded::to_string([("find", f.name.trim())]).unwrap_or_default()
        );
        return Ok(a.redirect(&to, flash_of(&e)));
    };
    match sv::add_option_with_post(&state.store, &cap, &a.who(), p.id, member, &f.post).await {
        Ok(_) => Ok(a.redirect(&back, Flash::ok("poll-option-added"))),
        Err(e) => refused(&a, &back, e),
    }
}

pub async fn remove_option(
    State(state): State<AppState>,
    a: Auth,
    Path((id, option)): Path<(i64, i64)>,
) -> AppResult {
    let (cap, p) = manage_poll(&state, &a, id).await?;
    let back = format!("/polls/{id}");
    match sv::remove_option(&state.store, &cap, &a.who(), p.id, OptionId(option)).await {
        Ok(()) => Ok(a.redirect(&back, Flash::ok("poll-option-removed"))),
        Err(e) => refused(&a, &back, e),
    }
}

pub async fn open(State(state): State<AppState>, a: Auth, Path(id): Path<i64>) -> AppResult {
    let (cap, p) = manage_poll(&state, &a, id).await?;
    let back = format!("/polls/{id}");
    match sv::open_poll(&state.store, &cap, &a.who(), p.id).await {
        Ok(opened) if opened.shares.is_empty() => {
            state.live.wake(p.id);
            Ok(a.redirect(&back, Flash::ok("poll-opened")))
        }
        Ok(opened) => {
            state.live.wake(p.id);
            shares_page(&a, &p, &opened)
        }
        Err(e) => refused(&a, &back, e),
    }
}

pub struct SlipView {
    pub member: i64,
    pub name: String,
    pub code: String,
}

#[derive(Template)]
#[template(path = "voting/shares.html")]
struct SharesPage {
    p: Chrome,
    id: i64,
    title: String,
    warning: String,
    slips: Vec<SlipView>,
}

impl Drop for SharesPage {
    fn drop(&mut self) {
        // The page is the only place the shares ever exist outside this request.
        for s in &mut self.slips {
            zeroize::Zeroize::zeroize(&mut s.code);
        }
    }
}

/// The shares of a secret poll's key, shown once in the answer to opening it: each
/// scrutineer opens their own line and copies their code. Never cached, never stored.
fn shares_page(a: &Auth, p: &Poll, opened: &sv::Opened) -> AppResult {
    let tr = &a.tr;
    let page = SharesPage {
        p: Chrome::new(a, "shares-title").title_text(p.title.clone()),
        id: p.id.0,
        title: p.title.clone(),
        warning: tr.ta(
            "shares-warning",
            &[
                ("needed", opened.needed.to_string()),
                ("holders", opened.shares.len().to_string()),
            ],
        ),
        slips: opened
            .shares
            .iter()
            .map(|s| SlipView {
                member: s.member.0,
                name: s.name.clone(),
                code: s.code.to_string(),
            })
            .collect(),
    };
    let mut r = a.render(&page)?;
    r.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    Ok(r)
}

pub struct ShareField {
    pub name: &'static str,
    pub label: String,
    pub value: String,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "voting/count.html")]
struct CountPage {
    p: Chrome,
    id: i64,
    title: String,
    help: String,
    fields: Vec<ShareField>,
    error_list: Vec<String>,
}

/// The counting form of a closed secret poll: one field per share needed.
async fn count_form(
    state: &AppState,
    a: &Auth,
    p: &Poll,
    values: &[String],
    errors: &FieldErrors,
) -> AppResult {
    let tr = &a.tr;
    let key = sv::poll_key(&state.store.db, p.id)
        .await?
        .ok_or(AppError::NotFound)?;
    let n = key.needed.clamp(1, sv::seal::SHARE_FIELDS.len());
    let fields = sv::seal::SHARE_FIELDS[..n]
        .iter()
        .enumerate()
        .map(|(i, name)| ShareField {
            name,
            label: tr.t1("count-share", "n", i + 1),
            value: values.get(i).cloned().unwrap_or_default(),
            error: errors.get(name).map(|e| tr.fe(e)),
        })
        .collect();
    let page = CountPage {
        p: Chrome::new(a, "count-title").title_text(p.title.clone()),
        id: p.id.0,
        title: p.title.clone(),
        help: tr.ta(
            "count-help",
            &[
                ("needed", key.needed.to_string()),
                ("holders", key.dealt.to_string()),
            ],
        ),
        fields,
        error_list: errors.0.iter().map(|e| tr.fe(e)).collect(),
    };
    let mut r = a.render(&page)?;
    r.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    Ok(r)
}

pub async fn count_page(State(state): State<AppState>, a: Auth, Path(id): Path<i64>) -> AppResult {
    let (_, p) = manage_poll(&state, &a, id).await?;
    if p.mode != PollMode::Secret || p.status != PollStatus::Closed || p.tally.is_some() {
        return Ok(a.redirect(
            &format!("/polls/{id}"),
            Flash::error(domain::text::VOTE_NOT_SEALED),
        ));
    }
    count_form(&state, &a, &p, &[], &FieldErrors::default()).await
}

/// The scrutineers enter their shares; the sealed ballots are counted. A wrong share is
/// named at its field and every typed code stays in the form.
pub async fn count(
    State(state): State<AppState>,
    a: Auth,
    Path(id): Path<i64>,
    Form(f): Form<std::collections::HashMap<String, String>>,
) -> AppResult {
    let (cap, p) = manage_poll(&state, &a, id).await?;
    // Shares posted to a poll that is not waiting to be counted (a stale form, a second
    // press): back to the poll with the reason, nothing changed.
    if p.mode != PollMode::Secret || p.status != PollStatus::Closed || p.tally.is_some() {
        return Ok(a.redirect(
            &format!("/polls/{id}"),
            Flash::error(domain::text::VOTE_NOT_SEALED),
        ));
    }
    let values: Vec<String> = sv::seal::SHARE_FIELDS
        .iter()
        .map(|n| f.get(*n).cloned().unwrap_or_default())
        .collect();
    let codes: Vec<&str> = values.iter().map(String::as_str).collect();
    match sv::count_poll(&state.store, &cap, &a.who(), p.id, &codes).await {
        Ok(_) => {
            state.live.wake(p.id);
            Ok(a.redirect(&format!("/polls/{id}"), Flash::ok("poll-counted")))
        }
        Err(StoreError::Invalid(errors)) => count_form(&state, &a, &p, &values, &errors).await,
        Err(e) => refused(&a, &format!("/polls/{id}"), e),
    }
}

pub async fn close(State(state): State<AppState>, a: Auth, Path(id): Path<i64>) -> AppResult {
    let (cap, p) = manage_poll(&state, &a, id).await?;
    let back = format!("/polls/{id}");
    match sv::close_poll(&state.store, &cap, &a.who(), p.id).await {
        Ok(()) => {
            state.live.wake(p.id);
            Ok(a.redirect(&back, Flash::ok("poll-closed")))
        }
        Err(e) => refused(&a, &back, e),
    }
}

pub async fn publish(State(state): State<AppState>, a: Auth, Path(id): Path<i64>) -> AppResult {
    let (cap, p) = manage_poll(&state, &a, id).await?;
    let back = format!("/polls/{id}");
    match sv::publish_poll(&state.store, &cap, &a.who(), p.id).await {
        Ok(_) => {
            state.live.wake(p.id);
            Ok(a.redirect(&back, Flash::ok("poll-published")))
        }
        Err(e) => refused(&a, &back, e),
    }
}

pub async fn further_round(
    State(state): State<AppState>,
    a: Auth,
    Path(id): Path<i64>,
) -> AppResult {
    let (cap, p) = manage_poll(&state, &a, id).await?;
    let back = format!("/polls/{id}");
    match sv::further_round(&state.store, &cap, &a.who(), p.id).await {
        Ok(next) => Ok(a.redirect(
            &format!("/polls/{}", next.0),
            Flash::ok("poll-further-created"),
        )),
        Err(e) => refused(&a, &back, e),
    }
}

/// The tellers' form: every field by name.
pub async fn enter_paper(
    State(state): State<AppState>,
    a: Auth,
    Path(id): Path<i64>,
    Form(fields): Form<Vec<(String, String)>>,
) -> AppResult {
    let acting = authorize_self::<perm::CongressAttend>(&a.actor)?;
    let p = sv::get_poll(&state.store.db, Viewer::attendee(&acting), PollId(id)).await?;
    let back = format!("/polls/{id}");
    let get = |k: &str| {
        fields
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let options = sv::options(&state.store.db, Viewer::attendee(&acting), p.id).await?;
    let mut input = PaperInput {
        issued: get("issued"),
        returned: get("returned"),
        valid: get("valid"),
        invalid: get("invalid"),
        yes: get("yes"),
        no: get("no"),
        abstain: get("abstain"),
        ..PaperInput::default()
    };
    for o in &options {
        let cell = |i: usize| get(&format!("o{}_{i}", o.id.0));
        input
            .options
            .push((o.id, [cell(0), cell(1), cell(2), cell(3)]));
    }
    // Write-ins on paper: "name" and "count" pairs.
    for i in 0..10 {
        let name = get(&format!("w{i}_name"));
        if name.trim().is_empty() {
            continue;
        }
        match sv::resolve_write_in(
            &state.store.db,
            Viewer::attendee(&acting),
            p.school_union_id,
            &name,
        )
        .await?
        {
            Some(m) => input.write_ins.push((m, get(&format!("w{i}_count")))),
            None => {
                let e = FieldError::new("write_in", domain::text::VOTE_WRITE_IN_UNKNOWN)
                    .arg("name", name.trim());
                let errors = vec![a.tr.fe(&e)];
                return poll_page(
                    &state,
                    &a,
                    id,
                    Some(Typed {
                        values: fields,
                        errors,
                    }),
                )
                .await;
            }
        }
    }
    match sv::enter_paper(&state.store, &acting, &a.who(), p.id, &input).await {
        Ok(Reconciliation::Ok) => Ok(a.redirect(&back, Flash::ok("paper-entered"))),
        Ok(Reconciliation::Void) => Ok(a.redirect(&back, Flash::warn("paper-void"))),
        Err(StoreError::Invalid(e)) => {
            let errors: Vec<String> = e.0.iter().map(|x| a.tr.fe(x)).collect();
            poll_page(
                &state,
                &a,
                id,
                Some(Typed {
                    values: fields,
                    errors,
                }),
            )
            .await
        }
        Err(e) => refused(&a, &back, e),
    }
}

pub async fn confirm_paper(
    State(state): State<AppState>,
    a: Auth,
    Path(id): Path<i64>,
) -> AppResult {
    let acting = authorize_self::<perm::CongressAttend>(&a.actor)?;
    let p = sv::get_poll(&state.store.db, Viewer::attendee(&acting), PollId(id)).await?;
    let back = format!("/polls/{id}");
    match sv::confirm_paper(&state.store, &acting, &a.who(), p.id).await {
        Ok(()) => Ok(a.redirect(&back, Flash::ok("paper-confirmed"))),
        Err(e) => refused(&a, &back, e),
    }
}

/// Live turnout of a poll the reader may see.
pub async fn events(
    State(state): State<AppState>,
    a: Auth,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let (reader, p) = read_poll(&state, &a, id).await?;
    let stream = live::Live::stream(&state, reader, p.id);
    Ok(Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response())
}

use crate::area::{Area, Document, DocumentKind};

/// The voting area: polls, ballots, counting and the result documents.
pub static AREA: Area = Area {
    name: "voting",
    routes: |t, _| routes(t),
    nav: &[],
    documents: &[
        Document {
            label_key: "doc-voting-minutes",
            path: "/congress/meetings/{id}/minutes",
            kind: DocumentKind::Print,
            method: crate::Method::Get,
        },
        Document {
            label_key: "doc-voting-result",
            path: "/polls/{id}/result",
            kind: DocumentKind::Print,
            method: crate::Method::Get,
        },
        Document {
            label_key: "doc-voting-result-xlsx",
            path: "/polls/{id}/result.xlsx",
            kind: DocumentKind::Xlsx,
            method: crate::Method::Get,
        },
    ],
};
