//! Elections on the web: the reader's committees with their terms (ending soon, overdue),
//! the vacancies waiting for a by-election and the elections under way (`/elections`);
//! recording a committee; a committee's page with its seats, a holder leaving and the
//! school's application; an election's page with each step's form, its history (who, when,
//! which rule-set version) and the print view of its documents.
//!
//! Handlers stay thin: parse, authorise, call the store, render. A refused form comes back
//! with the values typed and the message at its field (422). Another school's committee or
//! election answers 404 like a missing one; the upper union's steps need
//! `ElectionApprove`, which no school role holds.

mod docs;
mod rules;

use crate::area::{Area, Document, DocumentKind, NavEntry};
use crate::chrome::{Chrome, Opt, coded_options};
use crate::congress::into_fields;
use crate::ctx::{Auth, Flash};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::{Guard, Permission as P, RouteTable};
use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use chrono::NaiveDate;
use domain::FieldErrors;
use domain::auth::{Permission, perm};
use domain::elections::*;
use domain::ids::OrgUnitId;
use domain::org::Coded;
use serde::Deserialize;
use store::StoreError;
use store::elections::committees::{self, CommitteeRow, ElectionRow};
use store::elections::vote;
use store::elections::workflow::{self, Election, ResultInput};

fn routes(t: RouteTable) -> RouteTable {
    t.get("/elections", Guard::staff(P::ElectionView), list)
        .get(
            "/elections/rules/{id}",
            Guard::staff(P::ElectionView),
            rules::page,
        )
        .post(
            "/elections/rules/{id}",
            Guard::staff(P::ElectionApprove).form(&[
                ("term_years", "3、5"),
                ("margin", "5%"),
                ("quorum", "2/3"),
                ("elect", "1/2"),
                ("notice_months", "6"),
                ("vacancy_days", "60"),
                ("approval_days", "15"),
                ("note", "本区标准"),
            ]),
            rules::save,
        )
        .get(
            "/elections/committees/new",
            Guard::staff(P::ElectionManage),
            new_committee_page,
        )
        .post(
            "/elections/committees",
            Guard::staff(P::ElectionManage).form(&[
                ("unit", "{school}"),
                ("kind", "women_committee"),
                ("seats", "7"),
                ("term_start", "2024-09-01"),
                ("term_years", "5"),
                ("holders", ""),
            ]),
            create_committee,
        )
        .get(
            "/elections/committees/{id}",
            Guard::staff(P::ElectionView),
            committee_page,
        )
        .post(
            "/elections/committees/{id}/apply",
            Guard::staff(P::ElectionManage).form(&[
                ("kind", "by_election"),
                ("seats", "1"),
                ("assembly", "member_assembly"),
                ("term_years", ""),
            ]),
            apply,
        )
        .post(
            "/elections/committees/{id}/officers",
            Guard::staff(P::ElectionManage).form(&[
                ("present", "2"),
                ("held_on", "2026-01-10"),
                ("role", "chair"),
                ("votes", "2"),
                ("role", "member"),
                ("votes", ""),
            ]),
            officers,
        )
        .post(
            "/elections/seats/{id}/vacate",
            Guard::staff(P::ElectionManage).form(&[("reason", "retired"), ("on", "2026-01-05")]),
            vacate,
        )
        .get(
            "/elections/{id}",
            Guard::staff(P::ElectionView),
            election_page,
        )
        .get(
            "/elections/{id}/report",
            Guard::staff(P::ElectionView),
            report,
        )
        .get(
            "/elections/{id}/application.docx",
            Guard::staff(P::ElectionView),
            docs::application,
        )
        .get(
            "/elections/{id}/candidates.docx",
            Guard::staff(P::ElectionView),
            docs::candidates,
        )
        .get(
            "/elections/{id}/report.docx",
            Guard::staff(P::ElectionView),
            docs::report,
        )
        .get(
            "/elections/{id}/approval.docx",
            Guard::staff(P::ElectionView),
            docs::approval,
        )
        .post(
            "/elections/{id}/approve",
            Guard::staff(P::ElectionApprove).form(&[("seats", "1")]),
            approve,
        )
        .post(
            "/elections/{id}/nominate",
            Guard::staff(P::ElectionManage).form(&[("candidates", "甲校委员甲\n甲校委员乙")]),
            nominate,
        )
        .post(
            "/elections/{id}/approve-slate",
            Guard::staff(P::ElectionApprove).button(),
            approve_slate,
        )
        .post(
            "/elections/{id}/vote",
            Guard::staff(P::ElectionManage).form(&[("do", "start"), ("meeting", "{meeting}")]),
            vote,
        )
        .post(
            "/elections/{id}/result",
            Guard::staff(P::ElectionManage).form(&[
                ("due", "30"),
                ("present", "25"),
                ("held_on", "2026-01-10"),
                ("votes", "20"),
                ("votes", "3"),
            ]),
            result,
        )
        .post(
            "/elections/{id}/confirm",
            Guard::staff(P::ElectionApprove).button(),
            confirm,
        )
}

/// The elections area.
pub static AREA: Area = Area {
    name: "elections",
    routes: |t, _| routes(t),
    nav: &[NavEntry {
        href: "/elections",
        label_key: "nav-elections",
        permission: Some(Permission::ElectionView),
        rank: 78,
    }],
    documents: &[Document {
        label_key: "doc-elections-report",
        path: "/elections/{id}/report",
        kind: DocumentKind::Print,
        method: crate::Method::Get,
    }],
};

fn today() -> NaiveDate {
    chrono::Utc::now().date_naive()
}

/// A committee as a row of the lists.
pub struct CommitteeView {
    pub id: i64,
    pub school: String,
    pub kind: String,
    pub term: String,
    pub term_years: i64,
    pub seats: i64,
    pub held: i64,
    pub vacant: i64,
    pub seats_text: String,
    /// `overdue`, `due` (within the notice) or empty.
    pub state: &'static str,
    pub election: Option<i64>,
}

fn committee_view(tr: &crate::i18n::Tr, c: &CommitteeRow, today: NaiveDate) -> CommitteeView {
    let notice = ElectionRules::default_rules().notice_months;
    let due_from = c
        .term_end
        .checked_sub_months(chrono::Months::new(notice))
        .unwrap_or(c.term_end);
    CommitteeView {
        id: c.id.0,
        school: c.school_name.clone(),
        kind: tr.label(c.kind),
        term: format!("{} – {}", tr.date(&c.term_start), tr.date(&c.term_end)),
        term_years: c.term_years,
        seats: c.seats,
        held: c.held,
        vacant: c.vacant,
        seats_text: tr.ta(
            "elections-seats-held",
            &[
                ("seats", c.seats.to_string()),
                ("held", c.held.to_string()),
                ("vacant", c.vacant.to_string()),
            ],
        ),
        state: if c.term_end < today {
            "overdue"
        } else if today >= due_from {
            "due"
        } else {
            ""
        },
        election: c.open_election.map(|e| e.0),
    }
}

/// An election as a row.
pub struct ElectionView {
    pub id: i64,
    pub school: String,
    pub committee: String,
    pub kind: String,
    pub status: String,
    pub status_code: &'static str,
    pub seats: i64,
    pub step_on: String,
}

fn election_view(tr: &crate::i18n::Tr, e: &ElectionRow) -> ElectionView {
    ElectionView {
        id: e.id.0,
        school: e.school_name.clone(),
        committee: tr.label(e.committee_kind),
        kind: tr.label(e.kind),
        status: tr.label(e.status),
        status_code: e.status.code(),
        seats: e.seats,
        step_on: tr.date(&e.step_on),
    }
}

pub struct VacancyView {
    pub committee: i64,
    pub school: String,
    pub kind: String,
    pub role: String,
    pub since: String,
    pub reason: String,
    pub former: String,
    pub overdue: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ListQuery {
    unit: String,
    year: String,
}

#[derive(Template)]
#[template(path = "elections/list.html")]
struct ListPage {
    p: Chrome,
    committees: Vec<CommitteeView>,
    vacancies: Vec<VacancyView>,
    elections: Vec<ElectionView>,
    can_manage: bool,
    /// The reader's own unit, whose rule set `/elections/rules/{id}` shows.
    rules_unit: Option<i64>,
}

pub async fn list(State(state): State<AppState>, a: Auth, Query(q): Query<ListQuery>) -> AppResult {
    let cap = a.actor.authorize::<perm::ElectionView>()?;
    let unit = q.unit.trim().parse::<i64>().ok().map(OrgUnitId);
    let rows = committees::list(&state.store, &cap, unit).await?;
    let vac = committees::vacancies(&state.store, &cap).await?;
    let els = committees::elections(&state.store, &cap, unit).await?;
    let tr = a.tr;
    let t = today();
    let limit = i64::from(ElectionRules::default_rules().vacancy_days);
    a.render(&ListPage {
        rules_unit: a
            .actor
            .roots_for(Permission::ElectionView)
            .first()
            .map(|u| u.0),
        p: Chrome::new(&a, "elections-title"),
        committees: rows.iter().map(|c| committee_view(&tr, c, t)).collect(),
        vacancies: vac
            .iter()
            .filter(|v| unit.is_none_or(|u| u == v.school_union_id))
            .map(|v| VacancyView {
                committee: v.committee.0,
                school: v.school_name.clone(),
                kind: tr.label(v.kind),
                role: tr.label(v.role),
                since: tr.date(&v.since),
                reason: tr.label(v.reason),
                former: v.former.clone().unwrap_or_default(),
                overdue: (t - v.since).num_days() > limit,
            })
            .collect(),
        elections: els.iter().map(|e| election_view(&tr, e)).collect(),
        can_manage: a.actor.may(Permission::ElectionManage),
    })
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CommitteeForm {
    unit: String,
    kind: String,
    seats: String,
    term_start: String,
    term_years: String,
    holders: String,
}

#[derive(Template)]
#[template(path = "elections/committee_form.html")]
struct CommitteeFormPage {
    p: Chrome,
    f: CommitteeForm,
    schools: Vec<Opt>,
    kinds: Vec<Opt>,
    terms: String,
    errors: FieldErrors,
}

async fn committee_form(
    state: &AppState,
    a: &Auth,
    f: CommitteeForm,
    errors: FieldErrors,
) -> AppResult {
    let cap = a.actor.authorize::<perm::ElectionManage>()?;
    let schools = store::org::schools(&state.store.db, &cap).await?;
    let tr = a.tr;
    let p = Chrome::new(a, "elections-committee-new")
        .crumb(tr.t("nav-elections"), Some("/elections".into()));
    let opts = schools
        .iter()
        .map(|s| Opt::new(s.id.0, &s.name, f.unit.trim() == s.id.0.to_string()))
        .collect();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let mut r = a.render(&CommitteeFormPage {
        p,
        kinds: coded_options::<CommitteeKind>(&tr, f.kind.trim(), None),
        schools: opts,
        terms: ElectionRules::default_rules().terms_text(),
        f,
        errors,
    })?;
    *r.status_mut() = status;
    Ok(r)
}

pub async fn new_committee_page(State(state): State<AppState>, a: Auth) -> AppResult {
    let f = CommitteeForm {
        term_years: "5".into(),
        ..Default::default()
    };
    committee_form(&state, &a, f, FieldErrors::default()).await
}

pub async fn create_committee(
    State(state): State<AppState>,
    a: Auth,
    Form(f): Form<CommitteeForm>,
) -> AppResult {
    let cap = a.actor.authorize::<perm::ElectionManage>()?;
    let input = CommitteeInput {
        unit: f.unit.clone(),
        kind: f.kind.clone(),
        seats: f.seats.clone(),
        term_start: f.term_start.clone(),
        term_years: f.term_years.clone(),
    };
    let mut errors = FieldErrors::default();
    match committees::create(&state.store, &cap, &a.who(), &input, &f.holders).await {
        Ok(id) => {
            return Ok(a.redirect(
                &format!("/elections/committees/{}", id.0),
                Flash::ok("elections-committee-created"),
            ));
        }
        Err(StoreError::NotFound) => {
            errors.push(domain::FieldError::new("unit", domain::text::REQUIRED))
        }
        Err(e) => into_fields(e, &mut errors)?,
    }
    committee_form(&state, &a, f, errors).await
}

pub struct SeatView {
    pub id: i64,
    pub role: String,
    pub holder: String,
    pub since: String,
    pub vacant: bool,
    pub reason: String,
}

/// What was typed into the committee page's forms, kept on a refusal.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ApplyForm {
    kind: String,
    seats: String,
    assembly: String,
    term_years: String,
    /// The officers' form: those present, the day, (office, votes) per holder.
    #[serde(skip)]
    present: String,
    #[serde(skip)]
    held_on: String,
    #[serde(skip)]
    picks: Vec<(String, String)>,
}

/// A holder in the officers' form, with the office chosen and its votes.
pub struct OfficerView {
    pub name: String,
    pub role: String,
    pub votes: String,
}

#[derive(Template)]
#[template(path = "elections/committee.html")]
struct CommitteePage {
    p: Chrome,
    c: CommitteeView,
    seats: Vec<SeatView>,
    elections: Vec<ElectionView>,
    can_manage: bool,
    f: ApplyForm,
    kinds: Vec<Opt>,
    assemblies: Vec<Opt>,
    reasons: Vec<Opt>,
    terms: String,
    today: String,
    officers: Vec<OfficerView>,
    /// (code, label) of the offices.
    roles: Vec<(String, String)>,
    errors: FieldErrors,
}

async fn show_committee(
    state: &AppState,
    a: &Auth,
    id: i64,
    f: ApplyForm,
    errors: FieldErrors,
) -> AppResult {
    let cap = a.actor.authorize::<perm::ElectionView>()?;
    let (c, seats, els) = committees::get(&state.store, &cap, CommitteeId(id)).await?;
    let tr = a.tr;
    let t = today();
    let cv = committee_view(&tr, &c, t);
    let p = Chrome::new(a, "elections-committee-title")
        .title_text(format!("{} · {}", c.school_name, cv.kind))
        .crumb(tr.t("nav-elections"), Some("/elections".into()));
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let held: Vec<_> = seats.iter().filter(|s| !s.vacant).collect();
    let typed = f.picks.len() == held.len();
    let officers = held
        .iter()
        .enumerate()
        .map(|(i, s)| OfficerView {
            name: s.member.as_ref().map(|m| m.1.clone()).unwrap_or_default(),
            role: if typed {
                f.picks[i].0.clone()
            } else {
                s.role.code().to_string()
            },
            votes: if typed {
                f.picks[i].1.clone()
            } else {
                String::new()
            },
        })
        .collect();
    let roles = [SeatRole::Chair, SeatRole::ViceChair, SeatRole::Member]
        .into_iter()
        .map(|r| (r.code().to_string(), tr.label(r)))
        .collect();
    let mut r = a.render(&CommitteePage {
        p,
        c: cv,
        officers,
        roles,
        seats: seats
            .iter()
            .map(|s| SeatView {
                id: s.id.0,
                role: tr.label(s.role),
                holder: s.member.as_ref().map(|m| m.1.clone()).unwrap_or_default(),
                since: if s.vacant {
                    tr.opt_date(&s.vacant_since)
                } else {
                    tr.opt_date(&s.since)
                },
                vacant: s.vacant,
                reason: tr.opt_label(s.reason),
            })
            .collect(),
        elections: els.iter().map(|e| election_view(&tr, e)).collect(),
        can_manage: a.actor.may(Permission::ElectionManage),
        kinds: coded_options::<ElectionKind>(&tr, f.kind.trim(), None),
        assemblies: coded_options::<Assembly>(&tr, f.assembly.trim(), None),
        reasons: coded_options::<VacancyReason>(&tr, "retired", None),
        terms: ElectionRules::default_rules().terms_text(),
        today: t.to_string(),
        f,
        errors,
    })?;
    *r.status_mut() = status;
    Ok(r)
}

pub async fn committee_page(
    State(state): State<AppState>,
    a: Auth,
    Path(id): Path<i64>,
) -> AppResult {
    let f = ApplyForm {
        term_years: "5".into(),
        seats: String::new(),
        ..Default::default()
    };
    show_committee(&state, &a, id, f, FieldErrors::default()).await
}

pub async fn apply(
    State(state): State<AppState>,
    a: Auth,
    Path(id): Path<i64>,
    Form(f): Form<ApplyForm>,
) -> AppResult {
    let cap = a.actor.authorize::<perm::ElectionManage>()?;
    let input = ApplyInput {
        kind: f.kind.clone(),
        seats: f.seats.clone(),
        assembly: f.assembly.clone(),
        term_years: f.term_years.clone(),
    };
    let mut errors = FieldErrors::default();
    match workflow::apply(
        &state.store,
        &cap,
        &a.who(),
        CommitteeId(id),
        &input,
        today(),
    )
    .await
    {
        Ok(e) => {
            return Ok(a.redirect(
                &format!("/elections/{}", e.0),
                Flash::ok("elections-applied"),
            ));
        }
        Err(StoreError::NotFound) => return Err(AppError::NotFound),
        Err(e) => into_fields(e, &mut errors)?,
    }
    show_committee(&state, &a, id, f, errors).await
}

/// The committee's election of its chair and vice-chairs; a refusal comes back at its
/// field with every office and vote typed.
pub async fn officers(
    State(state): State<AppState>,
    a: Auth,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> AppResult {
    let cap = a.actor.authorize::<perm::ElectionManage>()?;
    let mut f = ApplyForm {
        term_years: "5".into(),
        ..Default::default()
    };
    let mut roles = Vec::new();
    let mut votes = Vec::new();
    for (k, v) in pairs {
        match k.as_str() {
            "present" => f.present = v,
            "held_on" => f.held_on = v,
            "role" => roles.push(v),
            "votes" => votes.push(v),
            _ => {}
        }
    }
    votes.resize(roles.len(), String::new());
    f.picks = roles.into_iter().zip(votes).collect();
    let input = committees::OfficersInput {
        present: f.present.clone(),
        held_on: f.held_on.clone(),
        picks: f.picks.clone(),
    };
    let mut errors = FieldErrors::default();
    match committees::elect_officers(&state.store, &cap, &a.who(), CommitteeId(id), &input).await {
        Ok(_) => {
            return Ok(a.redirect(
                &format!("/elections/committees/{id}"),
                Flash::ok("elections-officers-done"),
            ));
        }
        Err(StoreError::NotFound) => return Err(AppError::NotFound),
        Err(e) => into_fields(e, &mut errors)?,
    }
    show_committee(&state, &a, id, f, errors).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct VacateForm {
    reason: String,
    on: String,
}

pub async fn vacate(
    State(state): State<AppState>,
    a: Auth,
    Path(id): Path<i64>,
    Form(f): Form<VacateForm>,
) -> AppResult {
    let cap = a.actor.authorize::<perm::ElectionManage>()?;
    let view = a.actor.authorize::<perm::ElectionView>()?;
    let reason = VacancyReason::from_code(f.reason.trim());
    let on = NaiveDate::parse_from_str(f.on.trim(), "%Y-%m-%d").ok();
    // The seat's committee, for the way back (and 404 out of scope).
    let committee =
        store::elections::committees::committee_of_seat(&state.store, &view, SeatId(id)).await?;
    let back = format!("/elections/committees/{}", committee.0);
    let (Some(reason), Some(on)) = (reason, on) else {
        let mut errors = FieldErrors::default();
        errors.push(domain::FieldError::new("on", t::REASON_REQUIRED));
        return show_committee(&state, &a, committee.0, ApplyForm::default(), errors).await;
    };
    match committees::vacate(&state.store, &cap, &a.who(), SeatId(id), reason, on).await {
        Ok(()) => Ok(a.redirect(&back, Flash::ok("elections-vacated"))),
        Err(StoreError::NotFound) => Err(AppError::NotFound),
        Err(e) => {
            let mut errors = FieldErrors::default();
            into_fields(e, &mut errors)?;
            show_committee(&state, &a, committee.0, ApplyForm::default(), errors).await
        }
    }
}

use domain::elections::text as t;

pub struct StepView {
    pub step: String,
    pub on: String,
    pub by: String,
    pub version: i64,
    pub note: String,
}

pub struct CandidateView {
    pub id: i64,
    pub name: String,
    pub votes: String,
    pub typed: String,
    pub elected: bool,
}

/// What was typed into the election page's forms, kept on a refusal.
#[derive(Debug, Default)]
pub struct StepForm {
    seats: String,
    candidates: String,
    due: String,
    present: String,
    held_on: String,
    votes: Vec<(i64, String)>,
    by_position: Vec<String>,
    meeting: String,
    chair: String,
    chair_votes: String,
}

/// A round of the assembly's vote (a poll of voting).
pub struct RoundView {
    pub poll: i64,
    pub round: u32,
    pub seats: u32,
    pub status: String,
    pub published: bool,
}

#[derive(Template)]
#[template(path = "elections/election.html")]
struct ElectionPage {
    p: Chrome,
    e: ElectionView,
    committee: i64,
    assembly: String,
    term_years: String,
    general: bool,
    vacant: i64,
    needed: u32,
    margin: String,
    steps: Vec<StepView>,
    candidates: Vec<CandidateView>,
    due: String,
    present: String,
    held_on: String,
    can_manage: bool,
    can_approve: bool,
    /// The meetings the vote may be held in: (id, label).
    meetings: Vec<(i64, String)>,
    rounds: Vec<RoundView>,
    /// The assembly elects the chair on its own ballot (the rule set's choice).
    direct_chair: bool,
    /// The chair so elected, with the votes of that ballot.
    chair: String,
    f: StepForm,
    errors: FieldErrors,
}

fn candidate_views(e: &Election, f: &StepForm) -> Vec<CandidateView> {
    e.candidates
        .iter()
        .map(|c| CandidateView {
            id: c.id.0,
            name: c.name.clone(),
            votes: c.votes.map(|v| v.to_string()).unwrap_or_default(),
            typed: f
                .votes
                .iter()
                .find(|(k, _)| *k == c.id.0)
                .map(|(_, v)| v.clone())
                .unwrap_or_default(),
            elected: c.elected,
        })
        .collect()
}

async fn show_election(
    state: &AppState,
    a: &Auth,
    id: i64,
    f: StepForm,
    errors: FieldErrors,
) -> AppResult {
    let cap = a.actor.authorize::<perm::ElectionView>()?;
    let e = workflow::get(&state.store, &cap, ElectionId(id)).await?;
    let tr = a.tr;
    let r = &e.rules;
    let ev = election_view(&tr, &e.row);
    let voting = e.row.status == ElectionStatus::SlateApproved;
    let rounds = if voting || e.row.status == ElectionStatus::Held {
        vote::rounds(&state.store, &cap, ElectionId(id)).await?
    } else {
        Vec::new()
    };
    let meetings = if voting && rounds.is_empty() {
        vote::meetings(&state.store, &cap, ElectionId(id))
            .await?
            .into_iter()
            .map(|m| {
                (
                    m.id.0,
                    tr.ta(
                        "elections-vote-meeting-option",
                        &[
                            ("date", tr.date(&m.date)),
                            ("place", m.place.clone()),
                            ("term", m.term_number.to_string()),
                        ],
                    ),
                )
            })
            .collect()
    } else {
        Vec::new()
    };
    let rounds = rounds
        .into_iter()
        .map(|x| RoundView {
            poll: x.poll.0,
            round: x.round,
            seats: x.seats,
            status: tr.label(x.status),
            published: x.status == domain::voting::PollStatus::Published,
        })
        .collect();
    let p = Chrome::new(a, "elections-election-title")
        .title_text(format!("{} · {} · {}", ev.school, ev.committee, ev.kind))
        .crumb(tr.t("nav-elections"), Some("/elections".into()))
        .crumb(
            format!("{} · {}", ev.school, ev.committee),
            Some(format!("/elections/committees/{}", e.row.committee_id.0)),
        );
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let mut resp = a.render(&ElectionPage {
        p,
        committee: e.row.committee_id.0,
        assembly: tr.label(e.row.assembly),
        term_years: e.row.term_years.map(|y| y.to_string()).unwrap_or_default(),
        general: e.row.kind == ElectionKind::General,
        vacant: e.vacant,
        needed: r.candidates_needed(e.row.committee_kind, e.row.seats as u32),
        margin: r.margin.display(),
        steps: e
            .steps
            .iter()
            .map(|s| StepView {
                step: tr.label(s.step),
                on: tr.date(&s.taken_on),
                by: s.taken_by.clone(),
                version: s.version,
                note: s.note.clone().unwrap_or_default(),
            })
            .collect(),
        candidates: candidate_views(&e, &f),
        due: e.row.voters_due.map(|v| v.to_string()).unwrap_or_default(),
        present: e.row.present.map(|v| v.to_string()).unwrap_or_default(),
        held_on: tr.opt_date(&e.row.held_on),
        can_manage: a.actor.may(Permission::ElectionManage),
        can_approve: a.actor.may(Permission::ElectionApprove),
        meetings,
        rounds,
        direct_chair: workflow::direct_chair(&e.row, r),
        chair: e
            .chair
            .and_then(|(m, v)| {
                e.candidates
                    .iter()
                    .find(|c| c.member_id == m)
                    .map(|c| format!("{}（{}）", c.name, v))
            })
            .unwrap_or_default(),
        e: ev,
        f,
        errors,
    })?;
    *resp.status_mut() = status;
    Ok(resp)
}

pub async fn election_page(
    State(state): State<AppState>,
    a: Auth,
    Path(id): Path<i64>,
) -> AppResult {
    let f = StepForm {
        held_on: today().to_string(),
        ..Default::default()
    };
    show_election(&state, &a, id, f, FieldErrors::default()).await
}

/// The end of a step's POST: on success back to the election with a message; a refusal
/// re-renders the page with the values typed and the message at its field.
async fn after_step(
    state: &AppState,
    a: &Auth,
    id: i64,
    res: Result<(), StoreError>,
    ok: &str,
    f: StepForm,
) -> AppResult {
    match res {
        Ok(()) => Ok(a.redirect(&format!("/elections/{id}"), Flash::ok(ok))),
        Err(StoreError::NotFound) => Err(AppError::NotFound),
        Err(e) => {
            let mut errors = FieldErrors::default();
            into_fields(e, &mut errors)?;
            show_election(state, a, id, f, errors).await
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SeatsForm {
    seats: String,
}

pub async fn approve(
    State(state): State<AppState>,
    a: Auth,
    Path(id): Path<i64>,
    Form(f): Form<SeatsForm>,
) -> AppResult {
    let cap = a.actor.authorize::<perm::ElectionApprove>()?;
    let res = workflow::approve(
        &state.store,
        &cap,
        &a.who(),
        ElectionId(id),
        &f.seats,
        today(),
    )
    .await;
    let form = StepForm {
        seats: f.seats,
        ..Default::default()
    };
    after_step(&state, &a, id, res, "elections-approved", form).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SlateForm {
    candidates: String,
}

pub async fn nominate(
    State(state): State<AppState>,
    a: Auth,
    Path(id): Path<i64>,
    Form(f): Form<SlateForm>,
) -> AppResult {
    let cap = a.actor.authorize::<perm::ElectionManage>()?;
    let res = workflow::nominate(
        &state.store,
        &cap,
        &a.who(),
        ElectionId(id),
        &f.candidates,
        today(),
    )
    .await;
    let form = StepForm {
        candidates: f.candidates,
        ..Default::default()
    };
    after_step(&state, &a, id, res, "elections-nominated", form).await
}

pub async fn approve_slate(
    State(state): State<AppState>,
    a: Auth,
    Path(id): Path<i64>,
) -> AppResult {
    let cap = a.actor.authorize::<perm::ElectionApprove>()?;
    let res = workflow::approve_slate(&state.store, &cap, &a.who(), ElectionId(id), today()).await;
    after_step(
        &state,
        &a,
        id,
        res,
        "elections-slate-approved",
        StepForm::default(),
    )
    .await
}

pub async fn result(
    State(state): State<AppState>,
    a: Auth,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> AppResult {
    let cap = a.actor.authorize::<perm::ElectionManage>()?;
    let mut f = StepForm::default();
    for (k, v) in pairs {
        match k.as_str() {
            "due" => f.due = v,
            "present" => f.present = v,
            "held_on" => f.held_on = v,
            "votes" => f.by_position.push(v),
            "chair" => f.chair = v,
            "chair_votes" => f.chair_votes = v,
            other => {
                if let Some(c) = other
                    .strip_prefix("votes_")
                    .and_then(|c| c.parse::<i64>().ok())
                {
                    f.votes.push((c, v));
                }
            }
        }
    }
    let input = ResultInput {
        due: f.due.clone(),
        present: f.present.clone(),
        held_on: f.held_on.clone(),
        votes: f
            .votes
            .iter()
            .map(|(c, v)| (CandidateId(*c), v.clone()))
            .collect(),
        by_position: f.by_position.clone(),
        chair: f.chair.clone(),
        chair_votes: f.chair_votes.clone(),
    };
    let res = workflow::hold(
        &state.store,
        &cap,
        &a.who(),
        ElectionId(id),
        &input,
        today(),
    )
    .await
    .map(|_| ());
    after_step(&state, &a, id, res, "elections-held", f).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct VoteForm {
    /// `start` (round 1 in the meeting chosen), `round` (a further round for the seats
    /// left) or `result` (take the result from the published rounds).
    #[serde(rename = "do")]
    action: String,
    meeting: String,
}

/// The assembly's secret ballot through voting's polls, one route for its three buttons:
/// put the approved list to a poll of a meeting (on to the poll's page), a further round
/// for the seats left (on to its page), or take the result from the published rounds. A
/// refusal re-renders the election with the reason at the vote's field and the meeting
/// chosen.
pub async fn vote(
    State(state): State<AppState>,
    a: Auth,
    Path(id): Path<i64>,
    Form(f): Form<VoteForm>,
) -> AppResult {
    let cap = a.actor.authorize::<perm::ElectionManage>()?;
    let eid = ElectionId(id);
    let form = StepForm {
        meeting: f.meeting.clone(),
        ..Default::default()
    };
    let (res, ok) = match f.action.as_str() {
        "round" => (
            vote::further_round(&state.store, &cap, &a.who(), eid).await,
            "elections-vote-round-ok",
        ),
        "result" => {
            let res = vote::take_result(&state.store, &cap, &a.who(), eid, today())
                .await
                .map(|_| ());
            return after_step(&state, &a, id, res, "elections-held", form).await;
        }
        _ => {
            let view = a.actor.authorize::<perm::ElectionView>()?;
            let e = workflow::get(&state.store, &view, eid).await?;
            let tr = a.tr;
            let title = tr.ta(
                "elections-vote-poll-title",
                &[
                    ("committee", tr.label(e.row.committee_kind)),
                    ("kind", tr.label(e.row.kind)),
                ],
            );
            (
                vote::start(&state.store, &cap, &a.who(), eid, &f.meeting, &title).await,
                "elections-vote-started-ok",
            )
        }
    };
    match res {
        Ok(poll) => Ok(a.redirect(&format!("/polls/{}", poll.0), Flash::ok(ok))),
        Err(StoreError::NotFound) => Err(AppError::NotFound),
        Err(e) => {
            let mut errors = FieldErrors::default();
            into_fields(e, &mut errors)?;
            show_election(&state, &a, id, form, errors).await
        }
    }
}

pub async fn confirm(State(state): State<AppState>, a: Auth, Path(id): Path<i64>) -> AppResult {
    let cap = a.actor.authorize::<perm::ElectionApprove>()?;
    let res = workflow::confirm(&state.store, &cap, &a.who(), ElectionId(id), today()).await;
    after_step(
        &state,
        &a,
        id,
        res,
        "elections-confirmed",
        StepForm::default(),
    )
    .await
}

#[derive(Template)]
#[template(path = "elections/report.html")]
struct ReportPage {
    p: Chrome,
    e: ElectionView,
    assembly: String,
    steps: Vec<StepView>,
    candidates: Vec<CandidateView>,
    due: String,
    present: String,
    held_on: String,
    quorum: String,
    elect: String,
    date: String,
}

/// The election's documents in one print view: the application and its approval, the
/// candidate list and its approval, the result report (选举结果报告) with the quorum and
/// threshold of the rule-set version that decided it, and signature lines.
pub async fn report(State(state): State<AppState>, a: Auth, Path(id): Path<i64>) -> AppResult {
    let cap = a.actor.authorize::<perm::ElectionView>()?;
    let e = workflow::get(&state.store, &cap, ElectionId(id)).await?;
    let tr = a.tr;
    let ev = election_view(&tr, &e.row);
    let r = &e.rules;
    let (quorum, elect) = match e.row.voters_due {
        Some(due) => {
            let d = due.max(0) as u32;
            (
                domain::rules::Threshold::at_least(r.quorum.num, r.quorum.den)
                    .needed(d)
                    .to_string(),
                domain::rules::Threshold::more_than(r.elect.num, r.elect.den)
                    .needed(d)
                    .to_string(),
            )
        }
        None => (String::new(), String::new()),
    };
    let p = Chrome::new(&a, "doc-elections-report")
        .crumb(tr.t("nav-elections"), Some("/elections".into()))
        .crumb(
            format!("{} · {}", ev.school, ev.committee),
            Some(format!("/elections/{id}")),
        );
    a.render(&ReportPage {
        p,
        assembly: tr.label(e.row.assembly),
        steps: e
            .steps
            .iter()
            .map(|s| StepView {
                step: tr.label(s.step),
                on: tr.date(&s.taken_on),
                by: s.taken_by.clone(),
                version: s.version,
                note: s.note.clone().unwrap_or_default(),
            })
            .collect(),
        candidates: candidate_views(&e, &StepForm::default()),
        due: e.row.voters_due.map(|v| v.to_string()).unwrap_or_default(),
        present: e.row.present.map(|v| v.to_string()).unwrap_or_default(),
        held_on: tr.opt_date(&e.row.held_on),
        quorum,
        elect,
        date: tr.date(&today()),
        e: ev,
    })
}
