//! Letters and visits (来信来访) on the web: the list (masked names, filters by status and
//! year, overdue flagged), the intake form, a petition's page with its steps (assign to an
//! owner, record the reply, close with the petitioner's satisfaction) and the audited
//! full view (`POST /petitions/{id}/reveal`).
//!
//! Handlers are thin; the store checks scope (out of scope is 404) and each step's order,
//! and never decrypts outside the audited full view.

use crate::chrome::{Chrome, Opt};
use crate::congress::{into_fields, refused};
use crate::ctx::{Auth, Flash};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use domain::FieldErrors;
use domain::auth::{Permission, perm};
use domain::ids::OrgUnitId;
use domain::org::Coded;
use domain::rights::*;
use serde::Deserialize;
use store::StoreError;
use store::rights::petitions as sp;

fn today() -> chrono::NaiveDate {
    crate::today()
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ListQuery {
    status: String,
    year: String,
}

/// A petition in a list or on its page (masked).
pub struct PetitionView {
    pub id: i64,
    pub unit: String,
    pub channel: String,
    pub category: String,
    pub collective: bool,
    pub received_on: String,
    pub accept_by: String,
    pub conclude_by: String,
    pub name: String,
    pub owner: String,
    pub status: String,
    pub status_code: &'static str,
    pub overdue: bool,
    pub replied_on: String,
    pub satisfaction: String,
    pub closed_on: String,
}

fn view_of(tr: &crate::i18n::Tr, r: &sp::PetitionRow) -> PetitionView {
    PetitionView {
        id: r.id.0,
        unit: r.unit_name.clone(),
        channel: tr.label(r.channel),
        category: tr.label(r.category),
        collective: r.collective,
        received_on: tr.date(&r.received_on),
        accept_by: tr.date(&r.accept_by),
        conclude_by: tr.date(&r.conclude_by),
        name: r.name_mask.clone(),
        owner: r.owner.clone().unwrap_or_default(),
        status: tr.label(r.status),
        status_code: r.status.as_str(),
        overdue: r.overdue(today()),
        replied_on: r.replied_on.map(|d| tr.date(&d)).unwrap_or_default(),
        satisfaction: r.satisfaction.map(|s| tr.label(s)).unwrap_or_default(),
        closed_on: r.closed_on.map(|d| tr.date(&d)).unwrap_or_default(),
    }
}

fn options<C: Coded>(tr: &crate::i18n::Tr, current: &str) -> Vec<Opt> {
    C::all()
        .iter()
        .map(|c| Opt::new(c.code(), tr.label(*c), c.code() == current))
        .collect()
}

#[derive(Template)]
#[template(path = "rights/petitions.html")]
struct ListPage {
    p: Chrome,
    rows: Vec<PetitionView>,
    statuses: Vec<Opt>,
    year: String,
    can_handle: bool,
    units: Vec<Opt>,
    channels: Vec<Opt>,
    categories: Vec<Opt>,
    form: PetitionInput,
    errors: FieldErrors,
    error_texts: Vec<(String, String)>,
    rules: String,
}

async fn render_list(
    state: &AppState,
    a: &Auth,
    q: ListQuery,
    form: PetitionInput,
    errors: FieldErrors,
) -> AppResult {
    let cap = a.actor.authorize::<perm::PetitionView>()?;
    let tr = a.tr;
    let status = PetitionStatus::from_code(q.status.trim());
    let year = q.year.trim().parse::<i32>().ok();
    let rows = sp::list(&state.store.db, &cap, status, year)
        .await?
        .iter()
        .map(|r| view_of(&tr, r))
        .collect();
    let unit = form.unit.trim().parse::<i64>().unwrap_or(0);
    let units = crate::work_plan::unit_options(state, &cap, unit).await?;
    let code = |e: &FieldErrors| {
        if e.is_empty() {
            StatusCode::OK
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        }
    };
    let st = code(&errors);
    let rules = PetitionRules::LOCAL;
    let mut r = a.render(&ListPage {
        p: Chrome::new(a, "rights-petitions-title"),
        rows,
        statuses: std::iter::once(Opt::new("", tr.t("rights-all"), status.is_none()))
            .chain(options::<PetitionStatus>(&tr, q.status.trim()))
            .collect(),
        year: q.year,
        can_handle: a.actor.may(Permission::PetitionHandle),
        units,
        channels: options::<PetitionChannel>(&tr, &form.channel),
        categories: options::<PetitionCategory>(&tr, &form.category),
        error_texts: errors
            .0
            .iter()
            .map(|e| (e.field.to_string(), tr.fe(e)))
            .collect(),
        errors,
        form,
        rules: tr.ta(
            "rights-petition-rules",
            &[
                ("accept", rules.accept_days.to_string()),
                ("conclude", rules.conclude_days.to_string()),
            ],
        ),
    })?;
    *r.status_mut() = st;
    Ok(r)
}

/// The petitions in scope, with filters and the intake form.
pub async fn list(State(state): State<AppState>, a: Auth, Query(q): Query<ListQuery>) -> AppResult {
    let form = PetitionInput {
        received_on: today().to_string(),
        ..PetitionInput::default()
    };
    render_list(&state, &a, q, form, FieldErrors::default()).await
}

/// Records a letter or visit; errors come back at their fields with what was typed.
pub async fn receive(
    State(state): State<AppState>,
    a: Auth,
    Form(f): Form<PetitionInput>,
) -> AppResult {
    let cap = a.actor.authorize::<perm::PetitionHandle>()?;
    let unit = f
        .unit
        .trim()
        .parse::<i64>()
        .ok()
        .ok_or(AppError::NotFound)?;
    let mut errors = FieldErrors::default();
    match f.parse(today()) {
        Ok(d) => match sp::receive(&state.store, &cap, &a.who(), OrgUnitId(unit), &d).await {
            Ok(id) => {
                return Ok(a.redirect(
                    &format!("/petitions/{id}"),
                    Flash::ok("rights-petition-received"),
                ));
            }
            Err(e) => into_fields(e, &mut errors)?,
        },
        Err(e) => errors = e,
    }
    render_list(&state, &a, ListQuery::default(), f, errors).await
}

#[derive(Template)]
#[template(path = "rights/petition.html")]
struct PetitionPage {
    p: Chrome,
    r: PetitionView,
    can_assign: bool,
    can_reply: bool,
    can_close: bool,
    satisfactions: Vec<Opt>,
    /// Present only in the audited full view.
    details: Option<sp::PetitionDetails>,
}

fn page_of(a: &Auth, row: &sp::PetitionRow, details: Option<sp::PetitionDetails>) -> AppResult {
    let tr = a.tr;
    let can_handle = a.actor.may(Permission::PetitionHandle);
    a.render(&PetitionPage {
        p: Chrome::new(a, "rights-petition-title"),
        r: view_of(&tr, row),
        can_assign: can_handle
            && matches!(
                row.status,
                PetitionStatus::Received | PetitionStatus::Assigned
            ),
        can_reply: can_handle && row.status == PetitionStatus::Assigned,
        can_close: can_handle && row.status == PetitionStatus::Answered,
        satisfactions: options::<Satisfaction>(&tr, ""),
        details,
    })
}

/// A petition, masked.
pub async fn page(State(state): State<AppState>, a: Auth, Path(id): Path<i64>) -> AppResult {
    let cap = a.actor.authorize::<perm::PetitionView>()?;
    let row = sp::get(&state.store.db, &cap, PetitionId(id)).await?;
    page_of(&a, &row, None)
}

/// The full view (audited before anything is decrypted).
pub async fn reveal(State(state): State<AppState>, a: Auth, Path(id): Path<i64>) -> AppResult {
    let cap = a.actor.authorize::<perm::PetitionView>()?;
    let (row, details) = sp::reveal(&state.store, &cap, &a.who(), PetitionId(id)).await?;
    page_of(&a, &row, Some(details))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct StepForm {
    owner: String,
    reply: String,
    satisfaction: String,
}

async fn done(a: &Auth, id: i64, r: Result<sp::PetitionRow, StoreError>, ok: &str) -> AppResult {
    let back = format!("/petitions/{id}");
    match r {
        Ok(_) => Ok(a.redirect(&back, Flash::ok(ok))),
        Err(StoreError::NotFound) => Err(AppError::NotFound),
        Err(e) => refused(a, &back, e),
    }
}

/// Assigns the petition to an owner.
pub async fn assign(
    State(state): State<AppState>,
    a: Auth,
    Path(id): Path<i64>,
    Form(f): Form<StepForm>,
) -> AppResult {
    let cap = a.actor.authorize::<perm::PetitionHandle>()?;
    let r = sp::assign(
        &state.store,
        &cap,
        &a.who(),
        PetitionId(id),
        &f.owner,
        today(),
    )
    .await;
    done(&a, id, r, "rights-petition-assigned").await
}

/// Records the reply.
pub async fn reply(
    State(state): State<AppState>,
    a: Auth,
    Path(id): Path<i64>,
    Form(f): Form<StepForm>,
) -> AppResult {
    let cap = a.actor.authorize::<perm::PetitionHandle>()?;
    let r = sp::reply(
        &state.store,
        &cap,
        &a.who(),
        PetitionId(id),
        &f.reply,
        today(),
    )
    .await;
    done(&a, id, r, "rights-petition-replied").await
}

/// Closes with the petitioner's satisfaction.
pub async fn close(
    State(state): State<AppState>,
    a: Auth,
    Path(id): Path<i64>,
    Form(f): Form<StepForm>,
) -> AppResult {
    let cap = a.actor.authorize::<perm::PetitionHandle>()?;
    let Some(s) = Satisfaction::from_code(f.satisfaction.trim()) else {
        return Ok(a.redirect(
            &format!("/petitions/{id}"),
            Flash::error("rights-petition-satisfaction-missing"),
        ));
    };
    let r = sp::close(&state.store, &cap, &a.who(), PetitionId(id), s, today()).await;
    done(&a, id, r, "rights-petition-closed").await
}
