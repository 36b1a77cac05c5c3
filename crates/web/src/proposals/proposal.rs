//! Proposals on the web: the list (by lens: mine, to review, to handle, all), the proposal
//! page with the steps the reader may take, and one small POST per step. Every step
//! redirects back with a flash message; a refused step says why and changes nothing.

use crate::Need::{Attendee, Named, Staff};
use crate::chrome::{Chrome, Opt, coded_options};
use crate::congress::terms::meeting_name;
use crate::congress::{flash_of, form_id, into_fields, refused};
use crate::ctx::{Auth, Flash};
use crate::error::{AppError, AppResult};
use crate::i18n::Tr;
use crate::state::AppState;
use crate::{Guard, Permission as P, RouteTable};
use askama::Template;
use axum::body::Bytes;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use chrono::NaiveDate;
use domain::FieldErrors;
use domain::auth::{Permission, perm};
use domain::congress::{Acting, DelegateId, MeetingId, authorize_self};
use domain::ids::OrgUnitId;
use domain::org::Coded;
use domain::proposals::{
    ImplementationStatus, ProposalCategory, ProposalId, ProposalInput, ProposalStatus,
    ProposalStep, Rating, ReviewDecision, ReviewInput, parse_assignment, parse_progress,
    parse_rating,
};
use serde::Deserialize;
use store::StoreError;
use store::congress::meetings::{self as sm, Viewer};
use store::proposals::{self as sp, Lens, ProposalFilter};

pub fn routes(t: RouteTable) -> RouteTable {
    t.get(
        "/proposals",
        Guard::any(&[
            Staff(P::CongressView),
            Staff(P::ProposalReview),
            Named(P::ProposalHandle),
            Attendee(P::CongressAttend),
        ]),
        list,
    )
    .post(
        "/proposals/remind-overdue",
        Guard::staff(P::ProposalReview).button(),
        remind_overdue,
    )
    .get("/proposals/new", Guard::named(P::ProposalSubmit), new_page)
    .post(
        "/proposals/new",
        Guard::named(P::ProposalSubmit).form(&[
            ("meeting", "{meeting}"),
            ("title", "甲校新提案"),
            ("category", "other"),
            ("reasons", "理由"),
            ("measures", "办法"),
        ]),
        create,
    )
    .get(
        "/proposals/{id}",
        Guard::any(&[
            Staff(P::CongressView),
            Staff(P::ProposalReview),
            Named(P::ProposalHandle),
            Attendee(P::CongressAttend),
        ]),
        show,
    )
    .get(
        "/proposals/{id}/edit",
        Guard::named(P::ProposalSubmit),
        edit_page,
    )
    .post(
        "/proposals/{id}/edit",
        Guard::named(P::ProposalSubmit).form(&[
            ("meeting", "{meeting}"),
            ("title", "甲校提案"),
            ("category", "other"),
            ("reasons", "理由"),
            ("measures", "办法"),
        ]),
        update,
    )
    .post(
        "/proposals/{id}/invite",
        Guard::named(P::ProposalSubmit).form(&[("delegate", "{delegate}")]),
        invite,
    )
    .post(
        "/proposals/{id}/second",
        Guard::named(P::ProposalSecond).button(),
        second,
    )
    .post(
        "/proposals/{id}/decline",
        Guard::named(P::ProposalSecond).button(),
        decline,
    )
    .post(
        "/proposals/{id}/submit",
        Guard::named(P::ProposalSubmit).button(),
        submit,
    )
    .post(
        "/proposals/{id}/review",
        Guard::staff(P::ProposalReview).form(&[("decision", "accept"), ("reason", "同意立案")]),
        review,
    )
    .post(
        "/proposals/{id}/assign",
        Guard::staff(P::ProposalReview)
            .form(&[("handler", "{branch}"), ("deadline", "2026-12-25")]),
        assign,
    )
    .post(
        "/proposals/{id}/reply",
        Guard::named(P::ProposalHandle).form(&[("body", "已办理")]),
        reply,
    )
    .post(
        "/proposals/{id}/rate",
        Guard::named(P::CongressAttend).form(&[("rating", "satisfied")]),
        rate,
    )
    .post(
        "/proposals/{id}/progress",
        Guard::any(&[Named(P::ProposalHandle), Staff(P::ProposalReview)]).form(&[
            ("status", "in_progress"),
            ("percent", "50"),
            ("note", "进行中"),
        ]),
        progress,
    )
    .post(
        "/proposals/{id}/remind",
        Guard::staff(P::ProposalReview).button(),
        remind,
    )
}

/// The repeated fields of a form (`co_handlers`, `delegates`), which serde's form reader
/// does not collect.
fn pairs(body: &Bytes) -> Vec<(String, String)> {
    form_urlencoded::parse(body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn field<'a>(p: &'a [(String, String)], name: &str) -> &'a str {
    p.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or("")
}

fn fields(p: &[(String, String)], name: &str) -> Vec<String> {
    p.iter()
        .filter(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
        .collect()
}

// ------------------------------------------------------------------ the list

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tab {
    Review,
    Handle,
    Mine,
    All,
}

impl Tab {
    const ORDER: [Tab; 4] = [Tab::Review, Tab::Handle, Tab::Mine, Tab::All];
    fn code(self) -> &'static str {
        match self {
            Tab::Review => "review",
            Tab::Handle => "handle",
            Tab::Mine => "mine",
            Tab::All => "all",
        }
    }
    fn permission(self) -> Permission {
        match self {
            Tab::Review => Permission::ProposalReview,
            Tab::Handle => Permission::ProposalHandle,
            Tab::Mine => Permission::CongressAttend,
            Tab::All => Permission::CongressView,
        }
    }
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct ListQuery {
    tab: String,
    status: String,
    meeting: String,
    overdue: String,
    before: String,
    /// A school union (links from the oversight table).
    school: String,
    /// With `year`: only what one oversight column counts (`received`, `accepted`, `answered`).
    counted: String,
    year: String,
}

pub struct RowView {
    pub id: i64,
    pub number: String,
    pub title: String,
    pub school: String,
    pub meeting: String,
    pub proposer: String,
    pub status: String,
    pub status_code: &'static str,
    pub handler: String,
    pub due: String,
    pub overdue: bool,
    /// Still open, submitted before this school year: carried over, and the row says so.
    pub carried: String,
    pub seconded: i64,
    pub rating: String,
}

fn row_view(tr: &Tr, r: &sp::ProposalRow, today: NaiveDate) -> RowView {
    RowView {
        id: r.id.0,
        number: r.number.map(|n| n.to_string()).unwrap_or_default(),
        title: r.title.clone(),
        school: r.school_name.clone(),
        meeting: tr.ta(
            "meeting-short",
            &[
                ("term", r.term_number.to_string()),
                ("number", r.meeting_number.to_string()),
            ],
        ),
        proposer: r.proposer_name.clone(),
        status: tr.label(r.status),
        status_code: r.status.code(),
        handler: r.handler_name.clone().unwrap_or_default(),
        due: tr.opt_date(&r.reply_due),
        overdue: r.overdue(today),
        carried: carried_from(tr, r, today),
        seconded: r.seconded,
        rating: tr.olbl(&r.last_rating),
    }
}

/// "Carried over from 2024–2025" for a proposal still waiting (accepted or handling) that was
/// submitted in an earlier school year; empty otherwise.
fn carried_from(tr: &Tr, r: &sp::ProposalRow, today: NaiveDate) -> String {
    let this = domain::congress::school_year(today);
    let open = matches!(
        r.status,
        ProposalStatus::Accepted | ProposalStatus::Handling
    );
    match r.submitted_at {
        Some(at) if open => {
            let year =
                domain::congress::school_year((at + chrono::Duration::hours(8)).date_naive());
            if year < this {
                tr.ta(
                    "proposals-carried-over",
                    &[("from", year.to_string()), ("to", (year + 1).to_string())],
                )
            } else {
                String::new()
            }
        }
        _ => String::new(),
    }
}

#[derive(Template)]
#[template(path = "congress/proposals.html")]
struct ListPage {
    p: Chrome,
    tabs: Vec<(String, String, bool)>,
    tab: &'static str,
    statuses: Vec<Opt>,
    rows: Vec<RowView>,
    next: Option<String>,
    q: ListQuery,
    /// What a link from the oversight table narrowed the list to, in words; empty otherwise.
    narrowed: String,
    can_review: bool,
    can_propose: bool,
    overdue_count: usize,
}

pub async fn list(State(state): State<AppState>, a: Auth, Query(q): Query<ListQuery>) -> AppResult {
    let tr = a.tr;
    let today = crate::today();
    let available: Vec<Tab> = Tab::ORDER
        .into_iter()
        // "Mine" needs a member record behind the account (an area lead has none).
        .filter(|t| a.actor.may(t.permission()) && (*t != Tab::Mine || a.actor.member.is_some()))
        .collect();
    let Some(first) = available.first().copied() else {
        return Err(AppError::Forbidden);
    };
    let tab = available
        .iter()
        .copied()
        .find(|t| t.code() == q.tab)
        .unwrap_or(first);
    let filter = ProposalFilter {
        status: ProposalStatus::from_code(&q.status),
        meeting: form_id(&q.meeting).map(MeetingId),
        overdue_on: (q.overdue == "1").then_some(today),
        proposer: None,
        before: form_id(&q.before).map(ProposalId),
        school: form_id(&q.school).map(OrgUnitId),
        counted: store::congress::oversight::Counted::from_code(&q.counted)
            .zip(q.year.trim().parse::<i32>().ok()),
    };
    let db = &state.store.db;
    let (rows, next) = match tab {
        Tab::Review => {
            let cap = a.actor.authorize::<perm::ProposalReview>()?;
            sp::list(db, Lens::review(&cap), &filter).await?
        }
        Tab::Handle => {
            let cap = a.actor.authorize::<perm::ProposalHandle>()?;
            sp::list(db, Lens::department(&cap), &filter).await?
        }
        Tab::Mine => {
            let acting = authorize_self::<perm::CongressAttend>(&a.actor)?;
            sp::list(db, Lens::delegate(&acting), &filter).await?
        }
        Tab::All => {
            let cap = a.actor.authorize::<perm::CongressView>()?;
            sp::list(db, Lens::view(&cap), &filter).await?
        }
    };
    let rows: Vec<RowView> = rows.iter().map(|r| row_view(&tr, r, today)).collect();
    let overdue_count = rows.iter().filter(|r| r.overdue).count();
    let mut parts: Vec<String> = Vec::new();
    if filter.school.is_some()
        && let Some(r) = rows.first()
    {
        parts.push(r.school.clone());
    }
    if let Some((c, year)) = filter.counted {
        parts.push(tr.ta(
            "school-year",
            &[("from", year.to_string()), ("to", (year + 1).to_string())],
        ));
        parts.push(tr.t(&format!("oversight-{}", c.code())));
    }
    let narrowed = if parts.is_empty() {
        String::new()
    } else {
        format!("{}{}", tr.t("proposals-narrowed"), parts.join(" · "))
    };
    let mut statuses = vec![Opt::new(
        "",
        tr.t("filter-all-statuses"),
        q.status.is_empty(),
    )];
    statuses.extend(
        ProposalStatus::all()
            .iter()
            .map(|s| Opt::new(s.code(), tr.label(*s), q.status == s.code())),
    );
    let next = next.map(|n| {
        let mut qs: Vec<(String, String)> = vec![("tab".into(), tab.code().into())];
        for (k, v) in [
            ("status", &q.status),
            ("meeting", &q.meeting),
            ("overdue", &q.overdue),
            ("school", &q.school),
            ("counted", &q.counted),
            ("year", &q.year),
        ] {
            if !v.is_empty() {
                qs.push((k.into(), v.clone()));
            }
        }
        qs.push(("before".into(), n.to_string()));
        format!(
            "/proposals?{}",
            serde_urlencoded::to_string(&qs).unwrap_or_default()
        )
    });
    a.render(&ListPage {
        p: Chrome::new(&a, "proposals-title"),
        tabs: if available.len() > 1 {
            available
                .iter()
                .map(|t| {
                    (
                        t.code().to_string(),
                        tr.t(&format!("proposals-tab-{}", t.code())),
                        *t == tab,
                    )
                })
                .collect()
        } else {
            Vec::new()
        },
        tab: tab.code(),
        statuses,
        rows,
        next,
        can_review: tab == Tab::Review,
        can_propose: a.actor.may(Permission::ProposalSubmit) && a.actor.member.is_some(),
        overdue_count,
        narrowed,
        q,
    })
}

pub async fn remind_overdue(State(state): State<AppState>, a: Auth) -> AppResult {
    let cap = a.actor.authorize::<perm::ProposalReview>()?;
    let n = sp::remind_overdue(&state.store, &cap, &a.who(), crate::today()).await?;
    Ok(a.redirect(
        "/proposals?tab=review&overdue=1",
        Flash::ok("reminders-sent").arg("count", n),
    ))
}

// ------------------------------------------------------------------ drafting

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct DraftForm {
    #[serde(flatten)]
    pub input: ProposalInput,
    pub meeting: String,
}

#[derive(Template)]
#[template(path = "congress/proposal_form.html")]
struct DraftPage {
    p: Chrome,
    action: String,
    is_new: bool,
    f: DraftForm,
    errors: FieldErrors,
    meetings: Vec<Opt>,
    categories: Vec<Opt>,
}

async fn draft_form(
    state: &AppState,
    a: &Auth,
    action: String,
    is_new: bool,
    f: DraftForm,
    errors: FieldErrors,
) -> AppResult {
    let acting = authorize_self::<perm::ProposalSubmit>(&a.actor)?;
    let today = crate::today();
    let attend = authorize_self::<perm::CongressAttend>(&a.actor)?;
    let _ = &acting;
    let meetings: Vec<Opt> = sm::recent_meetings(&state.store.db, Viewer::attendee(&attend), today)
        .await?
        .into_iter()
        .filter(|m| m.collecting(today) || f.meeting == m.id.to_string())
        .map(|m| {
            Opt::new(
                m.id,
                format!(
                    "{} · {}",
                    meeting_name(&a.tr, m.term_number, m.number, m.mode),
                    m.school_name
                ),
                f.meeting == m.id.to_string(),
            )
        })
        .collect();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let title = if is_new {
        "proposal-new-title"
    } else {
        "proposal-edit-title"
    };
    let p = Chrome::new(a, title).crumb(a.tr.t("nav-proposals"), Some("/proposals".into()));
    let mut r = a.render(&DraftPage {
        p,
        action,
        is_new,
        categories: coded_options::<ProposalCategory>(&a.tr, &f.input.category, Some("choose")),
        f,
        errors,
        meetings,
    })?;
    *r.status_mut() = status;
    Ok(r)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NewQuery {
    meeting: String,
}

pub async fn new_page(
    State(state): State<AppState>,
    a: Auth,
    Query(q): Query<NewQuery>,
) -> AppResult {
    let f = DraftForm {
        meeting: q.meeting,
        ..Default::default()
    };
    draft_form(
        &state,
        &a,
        "/proposals/new".into(),
        true,
        f,
        FieldErrors::default(),
    )
    .await
}

pub async fn create(State(state): State<AppState>, a: Auth, Form(f): Form<DraftForm>) -> AppResult {
    let acting = authorize_self::<perm::ProposalSubmit>(&a.actor)?;
    let mut errors = FieldErrors::default();
    let meeting = form_id(&f.meeting).map(MeetingId);
    if meeting.is_none() {
        errors.push(domain::FieldError::new("meeting", domain::text::REQUIRED));
    }
    match (f.input.parse(), meeting) {
        (Ok(d), Some(m)) => {
            match sp::create_draft(&state.store, &acting, &a.who(), m, &d, crate::today()).await {
                Ok(id) => {
                    return Ok(
                        a.redirect(&format!("/proposals/{id}"), Flash::ok("proposal-drafted"))
                    );
                }
                Err(StoreError::NotFound) => {
                    errors.push(domain::FieldError::new(
                        "meeting",
                        domain::text::NOT_A_DELEGATE,
                    ));
                }
                Err(e) => into_fields(e, &mut errors)?,
            }
        }
        (Err(e), _) => errors.0.extend(e.0),
        _ => {}
    }
    draft_form(&state, &a, "/proposals/new".into(), true, f, errors).await
}

pub async fn edit_page(State(state): State<AppState>, a: Auth, Path(id): Path<i64>) -> AppResult {
    let attend = authorize_self::<perm::CongressAttend>(&a.actor)?;
    let p = sp::get(&state.store.db, Lens::delegate(&attend), ProposalId(id)).await?;
    if p.proposer_member != attend.member() || !p.row.status.allows(ProposalStep::Edit) {
        return Err(AppError::NotFound);
    }
    let f = DraftForm {
        input: ProposalInput {
            title: p.row.title.clone(),
            category: p.row.category.code().into(),
            reasons: p.reasons.clone(),
            measures: p.measures.clone(),
        },
        meeting: p.row.meeting_id.to_string(),
    };
    draft_form(
        &state,
        &a,
        format!("/proposals/{id}/edit"),
        false,
        f,
        FieldErrors::default(),
    )
    .await
}

pub async fn update(
    State(state): State<AppState>,
    a: Auth,
    Path(id): Path<i64>,
    Form(f): Form<DraftForm>,
) -> AppResult {
    let acting = authorize_self::<perm::ProposalSubmit>(&a.actor)?;
    let mut errors = FieldErrors::default();
    match f.input.parse() {
        Ok(d) => {
            match sp::update_draft(&state.store, &acting, &a.who(), ProposalId(id), &d).await {
                Ok(()) => {
                    return Ok(a.redirect(&format!("/proposals/{id}"), Flash::ok("proposal-saved")));
                }
                Err(StoreError::NotFound) => return Err(AppError::NotFound),
                Err(e) => into_fields(e, &mut errors)?,
            }
        }
        Err(e) => errors.0.extend(e.0),
    }
    draft_form(
        &state,
        &a,
        format!("/proposals/{id}/edit"),
        false,
        f,
        errors,
    )
    .await
}

// ------------------------------------------------------------------ the proposal page

/// The best lens the reader has on a proposal, and what it allows.
struct Seen {
    p: sp::Proposal,
    reviewer: bool,
    handler: bool,
    proposer: bool,
    delegate: Option<Acting<perm::CongressAttend>>,
}

/// The rules in force at the proposal's school, read with the capability that let the
/// reader see the proposal (a department reads them at its own unit, which inherits them).
async fn rules_of(state: &AppState, a: &Auth, seen: &Seen) -> AppResult<domain::rules::RuleSet> {
    use store::congress::rules::effective;
    let db = &state.store.db;
    let school = seen.p.row.school_union_id;
    if let Ok(cap) = a.actor.authorize::<perm::ProposalReview>()
        && let Ok(e) = effective(db, &cap, school).await
    {
        return Ok(e.rules);
    }
    if let Ok(cap) = a.actor.authorize::<perm::CongressView>()
        && let Ok(e) = effective(db, &cap, school).await
    {
        return Ok(e.rules);
    }
    if let Some(d) = &seen.delegate
        && let Ok(e) = effective(db, d.cap(), school).await
    {
        return Ok(e.rules);
    }
    let cap = a.actor.authorize::<perm::ProposalHandle>()?;
    let units = seen
        .p
        .handler_unit_id
        .into_iter()
        .chain(seen.p.co_handlers.iter().map(|c| c.0));
    for u in units {
        if let Ok(e) = effective(db, &cap, u).await {
            return Ok(e.rules);
        }
    }
    Err(AppError::NotFound)
}

async fn see(state: &AppState, a: &Auth, id: ProposalId) -> AppResult<Seen> {
    let db = &state.store.db;
    let mut reviewer = false;
    let mut handler = false;
    let mut found = None;
    if let Ok(cap) = a.actor.authorize::<perm::ProposalReview>()
        && let Ok(p) = sp::get(db, Lens::review(&cap), id).await
    {
        reviewer = true;
        found = Some(p);
    }
    if let Ok(cap) = a.actor.authorize::<perm::ProposalHandle>()
        && let Ok(p) = sp::get(db, Lens::department(&cap), id).await
    {
        handler = p.handler_unit_id.is_some_and(|h| {
            a.actor.is_platform_admin()
                || a.actor.roots_for(Permission::ProposalHandle).contains(&h)
        });
        found = found.or(Some(p));
    }
    if found.is_none()
        && let Ok(cap) = a.actor.authorize::<perm::CongressView>()
        && let Ok(p) = sp::get(db, Lens::view(&cap), id).await
    {
        found = Some(p);
    }
    let delegate = authorize_self::<perm::CongressAttend>(&a.actor).ok();
    if let Some(acting) = &delegate
        && let Ok(p) = sp::get(db, Lens::delegate(acting), id).await
    {
        // The delegate's view also shows drafts the staff do not see.
        found = Some(p);
    }
    let Some(p) = found else {
        return Err(
            if a.actor.may(Permission::CongressAttend) || a.actor.may(Permission::ProposalHandle) {
                AppError::NotFound
            } else {
                AppError::Forbidden
            },
        );
    };
    let proposer = delegate
        .as_ref()
        .is_some_and(|d| d.member() == p.proposer_member);
    Ok(Seen {
        p,
        reviewer,
        handler,
        proposer,
        delegate,
    })
}

pub struct ReplyView {
    pub round: i64,
    pub when: String,
    pub unit: String,
    pub due: String,
    pub body: String,
    pub at: String,
    pub late: bool,
    pub rating: String,
    pub rating_code: &'static str,
    pub comment: String,
}

/// What a delegate typed into the rating form and why it was refused: the page comes back
/// with the choice and the comment as typed, the reason at the form (issue 25, item 8).
#[derive(Default)]
pub struct RateTyped {
    rating: String,
    comment: String,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "congress/proposal.html")]
struct ProposalPage {
    p: Chrome,
    rate_typed: RateTyped,
    id: i64,
    r: RowView,
    category: String,
    reasons: String,
    measures: String,
    decision: Option<(String, String, String)>,
    merged_into: Option<(i64, String)>,
    merged_from: Vec<(i64, String)>,
    suggestion: Option<i64>,
    co_handlers: String,
    seconders: Vec<(String, String, &'static str)>,
    seconders_text: String,
    round: i64,
    replies: Vec<ReplyView>,
    progress: Vec<(String, String, i64, String)>,
    reminders: String,
    implementation: String,
    // What the reader may do now.
    can_edit: bool,
    can_second: bool,
    can_decline: bool,
    can_review: bool,
    can_assign: bool,
    can_reply: bool,
    can_rate: bool,
    can_progress: bool,
    can_remind: bool,
    invitees: Vec<(i64, String, bool)>,
    decisions: Vec<Opt>,
    merge_targets: Vec<Opt>,
    departments: Vec<Opt>,
    co_departments: Vec<(i64, String, bool)>,
    deadline: String,
    ratings: Vec<Opt>,
    impl_statuses: Vec<Opt>,
    max_rounds: u32,
}

pub async fn show(State(state): State<AppState>, a: Auth, Path(id): Path<i64>) -> AppResult {
    show_page(&state, &a, id, RateTyped::default()).await
}

async fn show_page(state: &AppState, a: &Auth, id: i64, rate_typed: RateTyped) -> AppResult {
    let refused = rate_typed.error.is_some();
    let seen = see(state, a, ProposalId(id)).await?;
    let tr = a.tr;
    let today = crate::today();
    let db = &state.store.db;
    let p = &seen.p;
    let s = p.row.status;
    let rules = rules_of(state, a, &seen).await?;
    let is_invited = seen.delegate.as_ref().is_some_and(|d| {
        p.seconders.iter().any(|x| {
            x.member == d.member() && x.status == domain::proposals::SeconderStatus::Invited
        })
    });
    let has_seconded = seen.delegate.as_ref().is_some_and(|d| {
        p.seconders.iter().any(|x| {
            x.member == d.member() && x.status == domain::proposals::SeconderStatus::Seconded
        })
    });
    let can_second = s.allows(ProposalStep::Second)
        && !seen.proposer
        && !has_seconded
        && a.actor.may(Permission::ProposalSecond)
        && seen.delegate.is_some();
    let mut invitees = Vec::new();
    if seen.proposer
        && s.allows(ProposalStep::Invite)
        && let Ok(acting) = authorize_self::<perm::ProposalSubmit>(&a.actor)
    {
        invitees = sp::fellow_delegates(db, &acting, p.term_id)
            .await?
            .into_iter()
            .map(|(d, name, g)| {
                let already = p.seconders.iter().any(|x| x.delegate == d);
                let label = match g {
                    Some(g) => format!("{name} · {g}"),
                    None => name,
                };
                (d.0, label, already)
            })
            .collect();
    }
    let mut merge_targets = Vec::new();
    let mut departments = Vec::new();
    let mut co_departments = Vec::new();
    if seen.reviewer {
        let cap = a.actor.authorize::<perm::ProposalReview>()?;
        if s.allows(ProposalStep::Review) {
            let (others, _) = sp::list(
                db,
                Lens::review(&cap),
                &ProposalFilter {
                    meeting: Some(p.row.meeting_id),
                    ..Default::default()
                },
            )
            .await?;
            merge_targets = others
                .iter()
                .filter(|o| {
                    o.id != p.row.id
                        && (o.status == ProposalStatus::Submitted || o.status.accepted())
                })
                .map(|o| {
                    Opt::new(
                        o.id,
                        format!(
                            "{} {}",
                            o.number.map(|n| n.to_string()).unwrap_or_default(),
                            o.title
                        ),
                        false,
                    )
                })
                .collect();
        }
        if s.allows(ProposalStep::Assign) {
            let depts = sp::departments(db, &cap, p.row.school_union_id).await?;
            departments = depts
                .iter()
                .map(|(u, n)| Opt::new(u, n, p.handler_unit_id == Some(*u)))
                .collect();
            co_departments = depts
                .iter()
                .map(|(u, n)| (u.0, n.clone(), p.co_handlers.iter().any(|c| c.0 == *u)))
                .collect();
        }
    }
    let decision = p.decision.map(|d| {
        (
            tr.label(d),
            p.decision_reason.clone().unwrap_or_default(),
            p.decided_at.map(|t| tr.datetime(&t)).unwrap_or_default(),
        )
    });
    let replies = p
        .replies
        .iter()
        .map(|r| ReplyView {
            round: r.round,
            when: tr.ta(
                "reply-when",
                &[("at", tr.datetime(&r.replied_at)), ("due", tr.date(&r.due))],
            ),
            unit: r.unit_name.clone(),
            due: tr.date(&r.due),
            body: r.body.clone(),
            at: tr.datetime(&r.replied_at),
            late: (r.replied_at + chrono::Duration::hours(8)).date_naive() > r.due,
            rating: tr.olbl(&r.rating),
            rating_code: r.rating.map(|x| x.code()).unwrap_or(""),
            comment: r.rating_comment.clone().unwrap_or_default(),
        })
        .collect();
    let seconders = p
        .seconders
        .iter()
        .map(|x| (x.name.clone(), tr.label(x.status), x.status.code()))
        .collect();
    let seconded = p
        .seconders
        .iter()
        .filter(|x| x.status == domain::proposals::SeconderStatus::Seconded)
        .count();
    let row = row_view(&tr, &p.row, today);
    let title = p.row.title.clone();
    let page = ProposalPage {
        p: Chrome::new(a, "proposal-title")
            .title_text(title.clone())
            .crumb(tr.t("nav-proposals"), Some("/proposals".into()))
            .crumb(title, None),
        id,
        category: tr.label(p.row.category),
        reasons: p.reasons.clone(),
        measures: p.measures.clone(),
        decision,
        merged_into: p.merged_into.as_ref().map(|(i, t)| (i.0, t.clone())),
        merged_from: p
            .merged_from
            .iter()
            .map(|(i, t)| (i.0, t.clone()))
            .collect(),
        suggestion: p.suggestion.map(|s| s.0),
        co_handlers: p
            .co_handlers
            .iter()
            .map(|c| c.1.clone())
            .collect::<Vec<_>>()
            .join(&tr.t("list-separator")),
        seconders,
        seconders_text: tr.ta(
            "seconders-count",
            &[
                ("has", seconded.to_string()),
                ("needed", rules.seconders.to_string()),
            ],
        ),
        round: p.row.round,
        replies,
        progress: p
            .progress
            .iter()
            .map(|g| {
                (
                    tr.datetime(&g.at),
                    tr.label(g.status),
                    g.percent,
                    g.note.clone(),
                )
            })
            .collect(),
        reminders: p
            .reminders
            .iter()
            .map(|(_, d)| tr.date(d))
            .collect::<Vec<_>>()
            .join(&tr.t("list-separator")),
        implementation: match (p.implementation, p.implementation_percent) {
            (Some(st), Some(pc)) => format!("{} · {pc}%", tr.label(st)),
            (Some(st), None) => tr.label(st),
            _ => String::new(),
        },
        can_edit: seen.proposer && s.allows(ProposalStep::Edit),
        can_second,
        can_decline: can_second && is_invited,
        can_review: seen.reviewer && s.allows(ProposalStep::Review),
        can_assign: seen.reviewer && s.allows(ProposalStep::Assign),
        can_reply: seen.handler && s.allows(ProposalStep::Reply),
        can_rate: seen.proposer && s.allows(ProposalStep::Rate),
        can_progress: (seen.handler || seen.reviewer) && s.allows(ProposalStep::Progress),
        can_remind: seen.reviewer && row.overdue,
        invitees,
        decisions: coded_options::<ReviewDecision>(&tr, "", None),
        merge_targets,
        departments,
        co_departments,
        deadline: p
            .row
            .reply_due
            .unwrap_or(today + chrono::Duration::days(i64::from(rules.reply_days)))
            .format("%Y-%m-%d")
            .to_string(),
        ratings: coded_options::<Rating>(&tr, &rate_typed.rating, None),
        impl_statuses: coded_options::<ImplementationStatus>(&tr, "in_progress", None),
        max_rounds: rules.max_rehandle_rounds,
        r: row,
        rate_typed,
    };
    a.render(&page).map(|mut r| {
        if refused {
            *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
        }
        r
    })
}

fn back(id: i64) -> String {
    format!("/proposals/{id}")
}

/// The refusal of a delegate who may not second here is a 403 page that says why.
fn second_refused(a: &Auth, id: i64, e: StoreError) -> AppResult {
    if let StoreError::Invalid(f) = &e
        && f.0
            .first()
            .is_some_and(|x| x.key == domain::text::SECOND_OTHER_TERM)
    {
        let p = Chrome::new(a, "error-403-title");
        let mut r = a.render(&RefusedPage {
            p,
            message: a.tr.t(domain::text::SECOND_OTHER_TERM),
            back: back(id),
        })?;
        *r.status_mut() = StatusCode::FORBIDDEN;
        return Ok(r);
    }
    refused(a, &back(id), e)
}

#[derive(Template)]
#[template(path = "congress/refused.html")]
struct RefusedPage {
    p: Chrome,
    message: String,
    back: String,
}

pub async fn invite(
    State(state): State<AppState>,
    a: Auth,
    Path(id): Path<i64>,
    body: Bytes,
) -> AppResult {
    let acting = authorize_self::<perm::ProposalSubmit>(&a.actor)?;
    let f = pairs(&body);
    let ids: Vec<DelegateId> = fields(&f, "delegates")
        .iter()
        .filter_map(|s| form_id(s).map(DelegateId))
        .collect();
    if ids.is_empty() {
        return Ok(a.redirect(&back(id), Flash::error(domain::text::REQUIRED)));
    }
    match sp::invite(&state.store, &acting, &a.who(), ProposalId(id), &ids).await {
        Ok(n) => Ok(a.redirect(&back(id), Flash::ok("proposal-invited").arg("count", n))),
        Err(e) => refused(&a, &back(id), e),
    }
}

pub async fn second(State(state): State<AppState>, a: Auth, Path(id): Path<i64>) -> AppResult {
    let acting = authorize_self::<perm::ProposalSecond>(&a.actor)?;
    match sp::second(&state.store, &acting, &a.who(), ProposalId(id)).await {
        Ok(true) => Ok(a.redirect(&back(id), Flash::ok("proposal-seconded"))),
        Ok(false) => Ok(a.redirect(&back(id), Flash::warn("proposal-seconded-already"))),
        Err(StoreError::NotFound) => Err(AppError::NotFound),
        Err(e) => second_refused(&a, id, e),
    }
}

pub async fn decline(State(state): State<AppState>, a: Auth, Path(id): Path<i64>) -> AppResult {
    let acting = authorize_self::<perm::ProposalSecond>(&a.actor)?;
    match sp::decline(&state.store, &acting, &a.who(), ProposalId(id)).await {
        Ok(()) => Ok(a.redirect("/proposals", Flash::ok("proposal-declined"))),
        Err(StoreError::NotFound) => Err(AppError::NotFound),
        Err(e) => second_refused(&a, id, e),
    }
}

pub async fn submit(State(state): State<AppState>, a: Auth, Path(id): Path<i64>) -> AppResult {
    let acting = authorize_self::<perm::ProposalSubmit>(&a.actor)?;
    match sp::submit(
        &state.store,
        &acting,
        &a.who(),
        ProposalId(id),
        crate::today(),
    )
    .await
    {
        Ok(sp::Submitted::Now(n)) => {
            Ok(a.redirect(&back(id), Flash::ok("proposal-submitted").arg("number", n)))
        }
        Ok(sp::Submitted::Already(_)) => {
            Ok(a.redirect(&back(id), Flash::warn("proposal-submitted-already")))
        }
        Err(e) => refused(&a, &back(id), e),
    }
}

pub async fn review(
    State(state): State<AppState>,
    a: Auth,
    Path(id): Path<i64>,
    Form(f): Form<ReviewInput>,
) -> AppResult {
    let cap = a.actor.authorize::<perm::ProposalReview>()?;
    sp::get(&state.store.db, Lens::review(&cap), ProposalId(id)).await?;
    let r = match f.parse() {
        Ok(r) => r,
        Err(e) => match e.0.first() {
            Some(x) => return Ok(a.redirect(&back(id), flash_of(x))),
            None => return Err(AppError::BadRequest),
        },
    };
    match sp::review(&state.store, &cap, &a.who(), ProposalId(id), &r).await {
        Ok(()) => Ok(a.redirect(
            &back(id),
            Flash::ok("proposal-reviewed").arg("decision", a.tr.label(r.decision)),
        )),
        Err(e) => refused(&a, &back(id), e),
    }
}

pub async fn assign(
    State(state): State<AppState>,
    a: Auth,
    Path(id): Path<i64>,
    body: Bytes,
) -> AppResult {
    let cap = a.actor.authorize::<perm::ProposalReview>()?;
    sp::get(&state.store.db, Lens::review(&cap), ProposalId(id)).await?;
    let f = pairs(&body);
    let today = crate::today();
    let asg = match parse_assignment(
        field(&f, "handler"),
        &fields(&f, "co_handlers"),
        field(&f, "deadline"),
        today,
    ) {
        Ok(x) => x,
        Err(e) => match e.0.first() {
            Some(x) => return Ok(a.redirect(&back(id), flash_of(x))),
            None => return Err(AppError::BadRequest),
        },
    };
    match sp::assign(&state.store, &cap, &a.who(), ProposalId(id), &asg, today).await {
        Ok(()) => Ok(a.redirect(
            &back(id),
            Flash::ok("proposal-assigned").arg("date", a.tr.date(&asg.deadline)),
        )),
        Err(e) => refused(&a, &back(id), e),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ReplyForm {
    body: String,
}

pub async fn reply(
    State(state): State<AppState>,
    a: Auth,
    Path(id): Path<i64>,
    Form(f): Form<ReplyForm>,
) -> AppResult {
    let cap = a.actor.authorize::<perm::ProposalHandle>()?;
    match sp::reply(&state.store, &cap, &a.who(), ProposalId(id), &f.body).await {
        Ok(()) => Ok(a.redirect(&back(id), Flash::ok("proposal-replied"))),
        Err(e) => refused(&a, &back(id), e),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RateForm {
    rating: String,
    comment: String,
}

pub async fn rate(
    State(state): State<AppState>,
    a: Auth,
    Path(id): Path<i64>,
    Form(f): Form<RateForm>,
) -> AppResult {
    let acting = authorize_self::<perm::CongressAttend>(&a.actor)?;
    // Out of sight is a 404 before the form is looked at.
    sp::get(&state.store.db, Lens::delegate(&acting), ProposalId(id)).await?;
    let (rating, comment) = match parse_rating(&f.rating, &f.comment) {
        Ok(x) => x,
        Err(e) => match e.0.first() {
            Some(x) => {
                let typed = RateTyped {
                    rating: f.rating.trim().to_string(),
                    comment: f.comment.clone(),
                    error: Some(a.tr.fe(x)),
                };
                return show_page(&state, &a, id, typed).await;
            }
            None => return Err(AppError::BadRequest),
        },
    };
    match sp::rate(
        &state.store,
        &acting,
        &a.who(),
        ProposalId(id),
        rating,
        comment,
        crate::today(),
    )
    .await
    {
        Ok(r) if r.status == ProposalStatus::Handling => Ok(a.redirect(
            &back(id),
            Flash::ok("proposal-rated-again").arg("round", r.round),
        )),
        Ok(_) => Ok(a.redirect(
            &back(id),
            Flash::ok("proposal-rated").arg("rating", a.tr.label(rating)),
        )),
        Err(e) => refused(&a, &back(id), e),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ProgressForm {
    status: String,
    percent: String,
    note: String,
}

pub async fn progress(
    State(state): State<AppState>,
    a: Auth,
    Path(id): Path<i64>,
    Form(f): Form<ProgressForm>,
) -> AppResult {
    let st = &state.store;
    // Who records it: the committee or chair of the school, else the department.
    let reviewer = match a.actor.authorize::<perm::ProposalReview>() {
        Ok(cap)
            if sp::get(&st.db, Lens::review(&cap), ProposalId(id))
                .await
                .is_ok() =>
        {
            Some(cap)
        }
        _ => None,
    };
    let handler = match (&reviewer, a.actor.authorize::<perm::ProposalHandle>()) {
        (None, Ok(cap)) => {
            sp::get(&st.db, Lens::department(&cap), ProposalId(id)).await?;
            Some(cap)
        }
        (None, Err(_)) if a.actor.may(Permission::ProposalReview) => {
            return Err(AppError::NotFound);
        }
        (None, Err(e)) => return Err(e.into()),
        _ => None,
    };
    let pr = match parse_progress(&f.status, &f.percent, &f.note) {
        Ok(x) => x,
        Err(e) => match e.0.first() {
            Some(x) => return Ok(a.redirect(&back(id), flash_of(x))),
            None => return Err(AppError::BadRequest),
        },
    };
    let r = match (&reviewer, &handler) {
        (Some(cap), _) => {
            sp::progress(
                st,
                sp::ProgressBy::Reviewer(cap),
                &a.who(),
                ProposalId(id),
                &pr,
            )
            .await
        }
        (None, Some(cap)) => {
            sp::progress(
                st,
                sp::ProgressBy::Handler(cap),
                &a.who(),
                ProposalId(id),
                &pr,
            )
            .await
        }
        (None, None) => return Err(AppError::NotFound),
    };
    match r {
        Ok(ProposalStatus::Closed) => Ok(a.redirect(&back(id), Flash::ok("proposal-closed"))),
        Ok(_) => Ok(a.redirect(&back(id), Flash::ok("proposal-progress-saved"))),
        Err(e) => refused(&a, &back(id), e),
    }
}

pub async fn remind(State(state): State<AppState>, a: Auth, Path(id): Path<i64>) -> AppResult {
    let cap = a.actor.authorize::<perm::ProposalReview>()?;
    sp::get(&state.store.db, Lens::review(&cap), ProposalId(id)).await?;
    match sp::remind(&state.store, &cap, &a.who(), ProposalId(id), crate::today()).await {
        Ok(true) => Ok(a.redirect(&back(id), Flash::ok("proposal-reminded"))),
        Ok(false) => Ok(a.redirect(&back(id), Flash::warn("proposal-reminded-already"))),
        Err(e) => refused(&a, &back(id), e),
    }
}
