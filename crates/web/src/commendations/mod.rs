//! Commendations (评选表彰) on the web: the year's awards in the reader's scope with the
//! organizer's form (`/honours`); one award with its quotas, the nominations the reader may
//! see, the school's nomination form and the organizer's review (`/honours/{id}`); one
//! nomination with its notice, its objections and their handling, the award and the
//! certificate (`/honours/nominations/{id}`); the certificates of an award as one PDF; and
//! the public notice board (`/notice`, no login) where anyone may object, anonymously, a
//! few times an hour per address.
//!
//! Handlers stay thin: parse, authorise, call the store, render. Out of scope is 404; a
//! refused form comes back (422) with what was typed and the message at its field. An
//! objection's text and contact are shown to the award's organizer only (the contact
//! masked); the public board shows what a paper notice would, nothing more.

use crate::area::{Area, Document, DocumentKind, NavEntry};
use crate::auth::{Peer, client_addr};
use crate::chrome::{Chrome, Opt, coded_options};
use crate::contests::certificate::CertificateText;
use crate::ctx::{Auth, Flash};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::{Guard, Permission as P, RouteTable};
use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use chrono::{Datelike, NaiveDate};
use domain::FieldErrors;
use domain::auth::{Permission, perm, role_permits};
use domain::commendations::*;
use domain::ids::{MemberId, OrgUnitId};
use domain::org::Coded;
use serde::Deserialize;
use std::collections::HashMap;
use store::StoreError;
use store::auth::ThrottlePolicy;
use store::commendations as cm;

pub mod register;
pub mod rules;

fn routes(t: RouteTable) -> RouteTable {
    t.get("/honours", Guard::staff(P::ContestView), list)
        .get(
            "/honours/register",
            Guard::staff(P::ContestView),
            register::page,
        )
        .get(
            "/honours/register.xlsx",
            Guard::staff(P::ContestView),
            register::xlsx,
        )
        .get(
            "/honours/rules/{id}",
            Guard::staff(P::ContestView),
            rules::page,
        )
        .post(
            "/honours/rules/{id}",
            Guard::staff(P::RuleSetManage).form(&[
                ("notice_days", "7"),
                ("objections_per_hour", "3"),
                ("max_per_school", ""),
                ("note", "本校评先评优办法"),
            ]),
            rules::save,
        )
        .post(
            "/honours",
            Guard::staff(P::ContestManage).form(&[
                ("organizer", "{school}"),
                ("name", "甲校优秀教师"),
                ("kind", "advanced_individual"),
                ("quota_per_school", "5"),
                ("quota_total", "10"),
                ("nominate_until", "2099-04-30"),
            ]),
            create,
        )
        .get("/honours/{id}", Guard::staff(P::ContestView), show)
        .post(
            "/honours/{id}/nominations",
            Guard::staff(P::ContestEnter).form(&[
                ("school", "{school}"),
                ("member", ""),
                ("nominee", "王老师"),
                ("deeds", "扎根教学一线二十年，热心工会工作。"),
            ]),
            nominate,
        )
        .post(
            "/honours/{id}/review",
            Guard::staff(P::ContestManage).form(&[
                ("nomination", "{nomination}"),
                ("decision", "endorse"),
                ("note", ""),
            ]),
            review,
        )
        .get(
            "/honours/{id}/certificates.pdf",
            Guard::staff(P::ContestView),
            certificates,
        )
        .get(
            "/honours/nominations/{id}",
            Guard::staff(P::ContestView),
            nomination,
        )
        .post(
            "/honours/nominations/{id}/award",
            Guard::staff(P::ContestManage).button(),
            award,
        )
        .post(
            "/honours/objections/{id}",
            Guard::staff(P::ContestManage).form(&[
                ("outcome", "dismissed"),
                ("note", "经核实，反映情况不属实。"),
            ]),
            handle_objection,
        )
        .get("/notice", Guard::public(), notice)
        .post(
            "/notice/{id}/objections",
            Guard::public().form(&[
                ("body", "反映其事迹中的获奖情况与实际不符。"),
                ("contact", ""),
            ]),
            object,
        )
}

/// The commendations area.
pub static AREA: Area = Area {
    name: "commendations",
    routes: |t, _| routes(t),
    nav: &[NavEntry {
        href: "/honours",
        label_key: "nav-commendations",
        permission: Some(Permission::ContestView),
        rank: 85,
    }],
    documents: &[Document {
        label_key: "doc-commendations-certificates",
        path: "/honours/{id}/certificates.pdf",
        kind: DocumentKind::Print,
        method: crate::Method::Get,
    }],
};

fn today() -> NaiveDate {
    crate::today()
}

fn field(vals: &HashMap<String, String>, k: &str) -> String {
    vals.get(k).cloned().unwrap_or_default()
}

fn status_of(errors: &FieldErrors) -> StatusCode {
    if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct YearQuery {
    year: String,
}

/// An award in the list.
pub struct AwardView {
    pub href: String,
    pub name: String,
    pub kind: String,
    pub organizer: String,
    pub until: String,
    pub quota: String,
    pub nominations: i64,
    pub awarded: i64,
}

#[derive(Template)]
#[template(path = "commendations/list.html")]
struct ListPage {
    p: Chrome,
    year: i32,
    awards: Vec<AwardView>,
    /// The rule-set page of the reader's first unit.
    rules_href: Option<String>,
    can_manage: bool,
    organizers: Vec<Opt>,
    kinds: Vec<Opt>,
    vals: HashMap<String, String>,
    errors: FieldErrors,
}

impl ListPage {
    fn v(&self, name: &str) -> String {
        self.vals.get(name).cloned().unwrap_or_default()
    }
    fn err(&self, name: &str) -> String {
        self.errors
            .get(name)
            .map(|e| self.p.tr.fe(e))
            .unwrap_or_default()
    }
}

/// The units of the reader's grants holding `p` (the organizer or school choices).
fn units_with(a: &Auth, p: Permission, selected: &str) -> Vec<Opt> {
    a.actor
        .grants
        .iter()
        .filter(|g| role_permits(g.role, p))
        .map(|g| {
            Opt::new(
                g.org_unit.0,
                format!("#{}", g.org_unit.0),
                selected == g.org_unit.0.to_string(),
            )
        })
        .collect()
}

fn parse_year(s: &str) -> i32 {
    s.trim()
        .parse::<i32>()
        .ok()
        .filter(|y| (2000..=2100).contains(y))
        .unwrap_or_else(|| today().year())
}

/// `/honours`: the year's awards in scope and the organizer's form.
pub async fn list(State(state): State<AppState>, a: Auth, Query(q): Query<YearQuery>) -> AppResult {
    list_page(
        &state,
        &a,
        parse_year(&q.year),
        HashMap::new(),
        FieldErrors::default(),
    )
    .await
}

async fn list_page(
    state: &AppState,
    a: &Auth,
    year: i32,
    vals: HashMap<String, String>,
    errors: FieldErrors,
) -> AppResult {
    let cap = a.actor.authorize::<perm::ContestView>()?;
    let tr = a.tr;
    let awards = cm::list_awards(&state.store.db, &cap, year)
        .await?
        .into_iter()
        .map(|r| AwardView {
            href: format!("/honours/{}", r.id.0),
            name: r.name,
            kind: tr.label(r.kind),
            organizer: r.organizer_name,
            until: tr.date(&r.nominate_until),
            quota: tr.ta(
                "commendations-quota-line",
                &[
                    ("per", r.quota_per_school.to_string()),
                    ("total", r.quota_total.to_string()),
                ],
            ),
            nominations: r.nominations,
            awarded: r.awarded,
        })
        .collect();
    let status = status_of(&errors);
    let kind = field(&vals, "kind");
    let org = field(&vals, "organizer");
    let mut resp = a.render(&ListPage {
        p: Chrome::new(a, "commendations-title"),
        year,
        awards,
        rules_href: a
            .actor
            .grants
            .iter()
            .find(|g| role_permits(g.role, Permission::ContestView))
            .map(|g| format!("/honours/rules/{}", g.org_unit.0)),
        can_manage: a.actor.may(Permission::ContestManage),
        organizers: units_with(a, Permission::ContestManage, &org),
        kinds: coded_options::<AwardKind>(&tr, &kind, None),
        vals,
        errors,
    })?;
    *resp.status_mut() = status;
    Ok(resp)
}

/// Sets an award; refused with every error at its field.
pub async fn create(
    State(state): State<AppState>,
    a: Auth,
    Form(vals): Form<HashMap<String, String>>,
) -> AppResult {
    let cap = a.actor.authorize::<perm::ContestManage>()?;
    let form = AwardForm {
        name: field(&vals, "name"),
        kind: field(&vals, "kind"),
        quota_per_school: field(&vals, "quota_per_school"),
        quota_total: field(&vals, "quota_total"),
        nominate_until: field(&vals, "nominate_until"),
    };
    let Some(org) = field(&vals, "organizer").trim().parse::<i64>().ok() else {
        return Err(AppError::NotFound);
    };
    let year = today().year();
    let draft = match parse_award(&form) {
        Ok(d) => d,
        Err(errors) => return list_page(&state, &a, year, vals, errors).await,
    };
    match cm::create_award(&state.store, &cap, &a.who(), OrgUnitId(org), &draft).await {
        Ok(id) => Ok(a.redirect(
            &format!("/honours/{}", id.0),
            Flash::ok("commendations-created"),
        )),
        Err(StoreError::Invalid(errors)) => list_page(&state, &a, year, vals, errors).await,
        Err(StoreError::NotFound) => Err(AppError::NotFound),
        Err(e) => Err(e.into()),
    }
}

/// A nomination as listed on its award's page.
pub struct NominationView {
    pub id: i64,
    pub href: String,
    pub nominee: String,
    pub school: String,
    pub status: String,
    pub status_code: &'static str,
    pub notice: String,
    pub objections: i64,
    pub pending: i64,
    /// Still waiting for the organizer's review.
    pub reviewable: bool,
}

fn notice_line(tr: &crate::i18n::Tr, r: &cm::NominationRow) -> String {
    match (r.notice_from, r.notice_until) {
        (Some(f), Some(u)) => tr.ta(
            "commendations-notice-line",
            &[("from", tr.date(&f)), ("until", tr.date(&u))],
        ),
        _ => String::new(),
    }
}

fn nomination_view(tr: &crate::i18n::Tr, r: &cm::NominationRow) -> NominationView {
    NominationView {
        id: r.id.0,
        href: format!("/honours/nominations/{}", r.id.0),
        nominee: r.nominee.clone(),
        school: r.school_name.clone(),
        status: tr.label(r.status),
        status_code: r.status.code(),
        notice: notice_line(tr, r),
        objections: r.objections,
        pending: r.pending,
        reviewable: r.status == NominationStatus::Nominated,
    }
}

#[derive(Template)]
#[template(path = "commendations/show.html")]
struct ShowPage {
    p: Chrome,
    id: i64,
    kind: String,
    organizer: String,
    until: String,
    quota: String,
    awarded: i64,
    nominations: Vec<NominationView>,
    can_enter: bool,
    can_manage: bool,
    is_open: bool,
    schools: Vec<Opt>,
    /// The form that was refused (`nominate`, `review`), its input and its errors.
    form: String,
    vals: HashMap<String, String>,
    errors: FieldErrors,
}

impl ShowPage {
    fn v(&self, form: &str, name: &str) -> String {
        if self.form == form {
            self.vals.get(name).cloned().unwrap_or_default()
        } else {
            String::new()
        }
    }
    fn err(&self, form: &str, name: &str) -> String {
        if self.form != form {
            return String::new();
        }
        self.errors
            .get(name)
            .map(|e| self.p.tr.fe(e))
            .unwrap_or_default()
    }
    /// The review note typed for nomination `n` when its review was refused.
    fn note_for(&self, n: &i64) -> String {
        if self.form == "review" && self.v("review", "nomination") == n.to_string() {
            self.v("review", "note")
        } else {
            String::new()
        }
    }
    fn err_for(&self, n: &i64) -> String {
        if self.form == "review" && self.v("review", "nomination") == n.to_string() {
            self.errors
                .0
                .iter()
                .map(|e| self.p.tr.fe(e))
                .collect::<Vec<_>>()
                .join(" ")
        } else {
            String::new()
        }
    }
}

#[derive(Default)]
struct Refused {
    form: String,
    vals: HashMap<String, String>,
    errors: FieldErrors,
}

/// `/honours/{id}`: the award, its nominations the reader may see, the forms.
pub async fn show(State(state): State<AppState>, a: Auth, Path(id): Path<i64>) -> AppResult {
    show_page(&state, &a, AwardId(id), Refused::default()).await
}

async fn show_page(state: &AppState, a: &Auth, id: AwardId, refused: Refused) -> AppResult {
    let cap = a.actor.authorize::<perm::ContestView>()?;
    let db = &state.store.db;
    let tr = a.tr;
    let r = match cm::get_award(db, &cap, id).await {
        Ok(r) => r,
        Err(StoreError::NotFound) => return Err(AppError::NotFound),
        Err(e) => return Err(e.into()),
    };
    let organizes = cm::organizes(db, &cap, id).await?;
    let nominations = cm::nominations(db, &cap, id)
        .await?
        .iter()
        .map(|n| nomination_view(&tr, n))
        .collect();
    let sel = field(&refused.vals, "school");
    let p = Chrome::new(a, "commendations-award-title")
        .title_text(r.name.clone())
        .crumb(
            tr.t("nav-commendations"),
            Some(format!("/honours?year={}", r.year)),
        );
    let status = status_of(&refused.errors);
    let mut resp = a.render(&ShowPage {
        p,
        id: r.id.0,
        kind: tr.label(r.kind),
        organizer: r.organizer_name,
        until: tr.date(&r.nominate_until),
        quota: tr.ta(
            "commendations-quota-line",
            &[
                ("per", r.quota_per_school.to_string()),
                ("total", r.quota_total.to_string()),
            ],
        ),
        awarded: r.awarded,
        nominations,
        can_enter: a.actor.may(Permission::ContestEnter),
        can_manage: organizes && a.actor.may(Permission::ContestManage),
        is_open: today() <= r.nominate_until,
        schools: units_with(a, Permission::ContestEnter, &sel),
        form: refused.form,
        vals: refused.vals,
        errors: refused.errors,
    })?;
    *resp.status_mut() = status;
    Ok(resp)
}

async fn back_with(
    state: &AppState,
    a: &Auth,
    id: AwardId,
    form: &str,
    vals: HashMap<String, String>,
    e: StoreError,
) -> AppResult {
    match e {
        StoreError::Invalid(errors) => {
            show_page(
                state,
                a,
                id,
                Refused {
                    form: form.into(),
                    vals,
                    errors,
                },
            )
            .await
        }
        StoreError::NotFound => Err(AppError::NotFound),
        other => Err(other.into()),
    }
}

/// Nominates for the school (before the deadline, within its quota) with the deeds.
pub async fn nominate(
    State(state): State<AppState>,
    a: Auth,
    Path(id): Path<i64>,
    Form(vals): Form<HashMap<String, String>>,
) -> AppResult {
    let cap = a.actor.authorize::<perm::ContestEnter>()?;
    let id = AwardId(id);
    let Some(school) = field(&vals, "school").trim().parse::<i64>().ok() else {
        return Err(AppError::NotFound);
    };
    let member_typed = field(&vals, "member");
    let member = match member_typed.trim() {
        "" => None,
        m => match m.parse::<i64>() {
            Ok(m) => Some(MemberId(m)),
            Err(_) => {
                let e = domain::FieldError::new(
                    "member",
                    domain::commendations::text::MEMBER_NOT_IN_SCHOOL,
                );
                return back_with(
                    &state,
                    &a,
                    id,
                    "nominate",
                    vals,
                    StoreError::Invalid(FieldErrors(vec![e])),
                )
                .await;
            }
        },
    };
    let draft = match parse_nomination(&field(&vals, "nominee"), &field(&vals, "deeds")) {
        Ok(d) => d,
        Err(errors) => {
            return back_with(
                &state,
                &a,
                id,
                "nominate",
                vals,
                StoreError::Invalid(errors),
            )
            .await;
        }
    };
    let input = cm::NominationInput {
        school: OrgUnitId(school),
        member,
        draft,
    };
    match cm::nominate(&state.store, &cap, &a.who(), id, &input, today()).await {
        Ok(_) => Ok(a.redirect(
            &format!("/honours/{}", id.0),
            Flash::ok("commendations-nominated"),
        )),
        Err(e) => back_with(&state, &a, id, "nominate", vals, e).await,
    }
}

/// The organizer's review of a nomination: endorse (public notice from today) or reject
/// (a note required).
pub async fn review(
    State(state): State<AppState>,
    a: Auth,
    Path(id): Path<i64>,
    Form(vals): Form<HashMap<String, String>>,
) -> AppResult {
    let cap = a.actor.authorize::<perm::ContestManage>()?;
    let id = AwardId(id);
    let Some(n) = field(&vals, "nomination").trim().parse::<i64>().ok() else {
        return Err(AppError::NotFound);
    };
    // The nomination must be of this award (a forged pair is missing).
    let view = a.actor.authorize::<perm::ContestView>()?;
    match cm::nomination(&state.store.db, &view, NominationId(n)).await {
        Ok(row) if row.award == id => {}
        Ok(_) | Err(StoreError::NotFound) => return Err(AppError::NotFound),
        Err(e) => return Err(e.into()),
    }
    let endorse = field(&vals, "decision") == "endorse";
    let note = field(&vals, "note");
    match cm::review(
        &state.store,
        &cap,
        &a.who(),
        NominationId(n),
        endorse,
        Some(&note),
        today(),
    )
    .await
    {
        Ok(NominationStatus::Notice) => Ok(a.redirect(
            &format!("/honours/{}", id.0),
            Flash::ok("commendations-on-notice"),
        )),
        Ok(_) => Ok(a.redirect(
            &format!("/honours/{}", id.0),
            Flash::ok("commendations-rejected"),
        )),
        Err(e) => back_with(&state, &a, id, "review", vals, e).await,
    }
}

/// An objection as the organizer reads it.
pub struct ObjectionView {
    pub id: i64,
    pub body: String,
    pub contact: String,
    pub lodged: String,
    pub outcome: String,
    pub outcome_code: &'static str,
    pub note: String,
    pub handled_by: String,
    pub pending: bool,
}

#[derive(Template)]
#[template(path = "commendations/nomination.html")]
struct NominationPage {
    p: Chrome,
    id: i64,
    award_href: String,
    award_id: i64,
    school: String,
    deeds: String,
    status: String,
    status_code: &'static str,
    notice: String,
    rules_label: String,
    review_note: String,
    awarded_on: String,
    certificate: String,
    objections: Vec<ObjectionView>,
    organizes: bool,
    on_notice: bool,
    /// The objection whose handling was refused, its input and errors.
    refused_objection: i64,
    vals: HashMap<String, String>,
    errors: FieldErrors,
}

impl NominationPage {
    fn v(&self, o: &i64, name: &str) -> String {
        if *o == self.refused_objection {
            self.vals.get(name).cloned().unwrap_or_default()
        } else {
            String::new()
        }
    }
    fn err(&self, o: &i64, name: &str) -> String {
        if *o != self.refused_objection {
            return String::new();
        }
        self.errors
            .get(name)
            .map(|e| self.p.tr.fe(e))
            .unwrap_or_default()
    }
    fn award_err(&self) -> String {
        if self.refused_objection != 0 {
            return String::new();
        }
        self.errors
            .get("award")
            .map(|e| self.p.tr.fe(e))
            .unwrap_or_default()
    }
}

/// `/honours/nominations/{id}`: the nomination, its notice, objections and award.
pub async fn nomination(State(state): State<AppState>, a: Auth, Path(id): Path<i64>) -> AppResult {
    nomination_page(
        &state,
        &a,
        NominationId(id),
        0,
        HashMap::new(),
        FieldErrors::default(),
    )
    .await
}

async fn nomination_page(
    state: &AppState,
    a: &Auth,
    id: NominationId,
    refused_objection: i64,
    vals: HashMap<String, String>,
    errors: FieldErrors,
) -> AppResult {
    let cap = a.actor.authorize::<perm::ContestView>()?;
    let db = &state.store.db;
    let tr = a.tr;
    let r = match cm::nomination(db, &cap, id).await {
        Ok(r) => r,
        Err(StoreError::NotFound) => return Err(AppError::NotFound),
        Err(e) => return Err(e.into()),
    };
    let award = cm::get_award(db, &cap, r.award).await?;
    let organizes = cm::organizes(db, &cap, r.award).await?;
    let objections = match (organizes, a.actor.authorize::<perm::ContestManage>()) {
        (true, Ok(manage)) => cm::objections(&state.store, &manage, id)
            .await?
            .into_iter()
            .map(|o| ObjectionView {
                id: o.id.0,
                body: o.body,
                contact: o
                    .contact_masked
                    .unwrap_or_else(|| tr.t("commendations-anonymous")),
                lodged: tr.date(&o.lodged_at.date_naive()),
                outcome: tr.label(o.outcome),
                outcome_code: o.outcome.code(),
                note: o.note.unwrap_or_default(),
                handled_by: o.handled_by.unwrap_or_default(),
                pending: o.outcome == ObjectionOutcome::Pending,
            })
            .collect(),
        _ => Vec::new(),
    };
    let p = Chrome::new(a, "commendations-nomination-title")
        .title_text(r.nominee.clone())
        .crumb(
            tr.t("nav-commendations"),
            Some(format!("/honours?year={}", award.year)),
        )
        .crumb(award.name.clone(), Some(format!("/honours/{}", award.id.0)));
    let status = status_of(&errors);
    let mut resp = a.render(&NominationPage {
        p,
        id: id.0,
        award_href: format!("/honours/{}", award.id.0),
        award_id: award.id.0,
        notice: notice_line(&tr, &r),
        school: r.school_name,
        deeds: r.deeds,
        status: tr.label(r.status),
        status_code: r.status.code(),
        rules_label: r.rules_label.unwrap_or_default(),
        review_note: r.review_note.unwrap_or_default(),
        awarded_on: r.awarded_on.map(|d| tr.date(&d)).unwrap_or_default(),
        certificate: r.certificate.unwrap_or_default(),
        objections,
        organizes: organizes && a.actor.may(Permission::ContestManage),
        on_notice: r.status == NominationStatus::Notice,
        refused_objection,
        vals,
        errors,
    })?;
    *resp.status_mut() = status;
    Ok(resp)
}

/// Awards a nomination whose notice has ended with no objection open or upheld, within
/// the total quota; refused with the reason (and the numbers) at the button.
pub async fn award(State(state): State<AppState>, a: Auth, Path(id): Path<i64>) -> AppResult {
    let cap = a.actor.authorize::<perm::ContestManage>()?;
    let id = NominationId(id);
    match cm::award(&state.store, &cap, &a.who(), id, today()).await {
        Ok(_) => Ok(a.redirect(
            &format!("/honours/nominations/{}", id.0),
            Flash::ok("commendations-awarded-ok"),
        )),
        Err(StoreError::Invalid(errors)) => {
            nomination_page(&state, &a, id, 0, HashMap::new(), errors).await
        }
        Err(StoreError::NotFound) => Err(AppError::NotFound),
        Err(e) => Err(e.into()),
    }
}

/// Handles an objection with its outcome and a note.
pub async fn handle_objection(
    State(state): State<AppState>,
    a: Auth,
    Path(id): Path<i64>,
    Form(vals): Form<HashMap<String, String>>,
) -> AppResult {
    let cap = a.actor.authorize::<perm::ContestManage>()?;
    let outcome = ObjectionOutcome::from_code(field(&vals, "outcome").trim())
        .unwrap_or(ObjectionOutcome::Pending);
    match cm::handle_objection(
        &state.store,
        &cap,
        &a.who(),
        ObjectionId(id),
        outcome,
        &field(&vals, "note"),
    )
    .await
    {
        Ok(n) => Ok(a.redirect(
            &format!("/honours/nominations/{}", n.0),
            Flash::ok("commendations-objection-handled"),
        )),
        Err(StoreError::Invalid(errors)) => {
            let n =
                store::commendations::objection_nomination(&state.store.db, &cap, ObjectionId(id))
                    .await?;
            nomination_page(&state, &a, n, id, vals, errors).await
        }
        Err(StoreError::NotFound) => Err(AppError::NotFound),
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CertQuery {
    nomination: String,
}

/// `/honours/{id}/certificates.pdf`: the honour certificates of an award's awarded
/// nominations the reader may see as one PDF, or one with `?nomination=`.
pub async fn certificates(
    State(state): State<AppState>,
    a: Auth,
    Path(id): Path<i64>,
    Query(q): Query<CertQuery>,
) -> AppResult {
    let cap = a.actor.authorize::<perm::ContestView>()?;
    let db = &state.store.db;
    let award = match cm::get_award(db, &cap, AwardId(id)).await {
        Ok(r) => r,
        Err(StoreError::NotFound) => return Err(AppError::NotFound),
        Err(e) => return Err(e.into()),
    };
    let only = q.nomination.trim().parse::<i64>().ok();
    let base = crate::contests::verify_base(&state.config);
    let certs: Vec<CertificateText> = cm::nominations(db, &cap, award.id)
        .await?
        .into_iter()
        .filter(|n| only.is_none_or(|o| n.id.0 == o))
        .filter_map(|n| {
            let code = n.certificate?;
            let d = n.awarded_on?;
            Some(CertificateText {
                union: award.organizer_name.clone(),
                recipient: n.nominee,
                school: n.school_name,
                contest: award.name.clone(),
                title: String::new(),
                prize: String::new(),
                date: format!("{}年{}月{}日", d.year(), d.month(), d.day()),
                verify_url: format!("{base}/certificates/verify?code={code}"),
                code,
                honour: true,
            })
        })
        .collect();
    let back = match only {
        Some(n) => format!("/honours/nominations/{n}"),
        None => format!("/honours/{id}"),
    };
    if certs.is_empty() {
        return Ok(a.redirect(&back, Flash::error("commendations-no-certificates")));
    }
    let name = format!("{}-{}.pdf", award.name, a.tr.t("commendations-certificate"));
    crate::contests::certificate_pdf(&a, certs, &name, &format!("honours-{id}.pdf"), &back).await
}

/// A nomination on the public board.
pub struct NoticeView {
    pub id: i64,
    pub award: String,
    pub kind: String,
    pub organizer: String,
    pub school: String,
    pub nominee: String,
    pub deeds: String,
    pub until: String,
}

#[derive(Template)]
#[template(path = "commendations/notice.html")]
struct NoticePage {
    p: Chrome,
    notices: Vec<NoticeView>,
    /// The nomination whose objection was refused, the input and the errors.
    refused: i64,
    vals: HashMap<String, String>,
    errors: FieldErrors,
}

impl NoticePage {
    fn v(&self, n: &i64, name: &str) -> String {
        if *n == self.refused {
            self.vals.get(name).cloned().unwrap_or_default()
        } else {
            String::new()
        }
    }
    fn err(&self, n: &i64, name: &str) -> String {
        if *n != self.refused {
            return String::new();
        }
        self.errors
            .get(name)
            .map(|e| self.p.tr.fe(e))
            .unwrap_or_default()
    }
}

/// `/notice`: the public notice board (公示), no login.
pub async fn notice(State(state): State<AppState>, ctx: crate::Ctx) -> AppResult {
    notice_page(
        &state,
        &ctx,
        0,
        HashMap::new(),
        FieldErrors::default(),
        None,
    )
    .await
}

async fn notice_page(
    state: &AppState,
    ctx: &crate::Ctx,
    refused: i64,
    vals: HashMap<String, String>,
    errors: FieldErrors,
    status: Option<StatusCode>,
) -> AppResult {
    let tr = ctx.tr;
    let notices = cm::public_notices(&state.store.db, today())
        .await?
        .into_iter()
        .map(|n| NoticeView {
            id: n.id.0,
            award: n.award,
            kind: tr.label(n.kind),
            organizer: n.organizer,
            school: n.school,
            nominee: n.nominee,
            deeds: n.deeds,
            until: tr.date(&n.notice_until),
        })
        .collect();
    let status = status.unwrap_or_else(|| status_of(&errors));
    let mut resp = ctx.render(&NoticePage {
        p: Chrome::new(ctx, "commendations-notice-title"),
        notices,
        refused,
        vals,
        errors,
    })?;
    *resp.status_mut() = status;
    Ok(resp)
}

/// The hourly limit of objections from one address, as a throttle: the limit's worth
/// free, then an hour's wait (a count per address, never a lock another person renews).
fn objection_policy(rules: &CommendationRules) -> ThrottlePolicy {
    ThrottlePolicy {
        // The lock falls when the count reaches `free_failures`: after the limit's worth.
        free_failures: i64::from(rules.objections_per_hour.max(1)),
        first_lock: chrono::Duration::hours(1),
        max_lock: chrono::Duration::hours(1),
        window: chrono::Duration::hours(1),
    }
}

/// Lodges an objection on a nomination whose notice runs (anyone; anonymous allowed; a few
/// an hour per address).
pub async fn object(
    State(state): State<AppState>,
    ctx: crate::Ctx,
    peer: Peer,
    headers: axum::http::HeaderMap,
    Path(id): Path<i64>,
    Form(vals): Form<HashMap<String, String>>,
) -> AppResult {
    let addr = client_addr(peer.0, &headers, &state.config.trusted_proxies);
    let key = format!("objection:{addr}");
    let db = &state.store.db;
    if store::auth::locked_until(db, std::slice::from_ref(&key))
        .await?
        .is_some()
    {
        let e = domain::FieldError::new("body", domain::commendations::text::OBJECTION_LIMIT);
        return notice_page(
            &state,
            &ctx,
            id,
            vals,
            FieldErrors(vec![e]),
            Some(StatusCode::TOO_MANY_REQUESTS),
        )
        .await;
    }
    let (body, contact) = match parse_objection(&field(&vals, "body"), &field(&vals, "contact")) {
        Ok(p) => p,
        Err(errors) => return notice_page(&state, &ctx, id, vals, errors, None).await,
    };
    match cm::lodge_objection(
        &state.store,
        &ctx.who(),
        NominationId(id),
        &body,
        contact.as_deref(),
        today(),
    )
    .await
    {
        Ok(rules) => {
            store::auth::record_failure(db, &key, objection_policy(&rules)).await?;
            Ok(ctx.redirect("/notice", Flash::ok("commendations-objection-lodged")))
        }
        Err(StoreError::Invalid(errors)) => notice_page(&state, &ctx, id, vals, errors, None).await,
        Err(StoreError::NotFound) => Err(AppError::NotFound),
        Err(e) => Err(e.into()),
    }
}
