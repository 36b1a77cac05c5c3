//! The congress start page, terms and their delegates: a new term, the term page with the
//! delegates by delegation and a member search to add more, delegations, import from a
//! spreadsheet, assembly synchronisation, replacement with history, and the composition
//! report.

use super::{form_id, into_fields, refused};
use crate::chrome::{Chrome, Opt, coded_options};
use crate::ctx::{Auth, Flash};
use crate::error::{AppError, AppResult};
use crate::i18n::Tr;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Form, Multipart, Path, Query, State};
use axum::http::StatusCode;
use chrono::NaiveDate;
use domain::FieldErrors;
use domain::auth::{Permission, perm};
use domain::congress::{
    CongressMode, DelegateId, DelegateKind, DelegationId, MeetingStatus, TermId, TermInput,
    authorize_self,
};
use domain::ids::{MemberId, OrgUnitId};
use domain::org::Coded;
use serde::Deserialize;
use store::congress::meetings::{self as sm, Viewer};
use store::congress::terms::{self as st, Term};

/// "第3届教职工代表大会" in the reader's language.
pub fn term_name(tr: &Tr, number: i64, mode: CongressMode) -> String {
    tr.t1(&format!("term-name-{}", mode.code()), "number", number)
}

/// "第3届教代会第2次会议".
pub fn meeting_name(tr: &Tr, term: i64, number: i64, mode: CongressMode) -> String {
    tr.ta(
        &format!("meeting-name-{}", mode.code()),
        &[("term", term.to_string()), ("number", number.to_string())],
    )
}

pub struct TermView {
    pub id: i64,
    pub school: String,
    pub name: String,
    pub period: String,
    pub delegates: i64,
    pub others: i64,
    pub current: bool,
}

fn term_view(tr: &Tr, t: &Term, today: NaiveDate) -> TermView {
    TermView {
        id: t.id.0,
        school: t.school_name.clone(),
        name: term_name(tr, t.number, t.mode),
        period: format!("{} – {}", tr.date(&t.start_date), tr.date(&t.end_date)),
        delegates: t.delegates,
        others: t.others,
        current: t.is_current(today),
    }
}

pub struct MeetingView {
    pub id: i64,
    pub name: String,
    pub school: String,
    pub date: String,
    pub place: String,
    pub status: String,
    pub status_code: &'static str,
    pub open: bool,
    pub collecting: bool,
}

pub fn meeting_view(tr: &Tr, m: &sm::Meeting, today: NaiveDate) -> MeetingView {
    MeetingView {
        id: m.id.0,
        name: meeting_name(tr, m.term_number, m.number, m.mode),
        school: m.school_name.clone(),
        date: tr.date(&m.meeting_date),
        place: m.place.clone(),
        status: tr.label(m.status),
        status_code: m.status.code(),
        open: m.status == MeetingStatus::Open,
        collecting: m.collecting(today),
    }
}

#[derive(Template)]
#[template(path = "congress/home.html")]
struct HomePage {
    p: Chrome,
    terms: Vec<TermView>,
    my_meetings: Vec<MeetingView>,
    can_view: bool,
    can_manage: bool,
    can_oversee: bool,
    can_review: bool,
    can_suggest: bool,
    can_propose: bool,
    rules_unit: Option<i64>,
}

pub async fn home(State(state): State<AppState>, a: Auth) -> AppResult {
    let tr = a.tr;
    let today = crate::today();
    let mut terms = Vec::new();
    let mut rules_unit = None;
    if let Ok(cap) = a.actor.authorize::<perm::CongressView>() {
        terms = st::list_terms(&state.store.db, &cap, None)
            .await?
            .iter()
            .map(|t| term_view(&tr, t, today))
            .collect();
    }
    if a.actor.may(Permission::RuleSetManage) {
        rules_unit = a
            .actor
            .roots_for(Permission::RuleSetManage)
            .first()
            .map(|u| u.0)
            .or_else(|| a.actor.grants.first().map(|g| g.org_unit.0));
    }
    let mut my_meetings = Vec::new();
    if let Ok(acting) = authorize_self::<perm::CongressAttend>(&a.actor) {
        my_meetings = sm::recent_meetings(
            &state.store.db,
            Viewer::attendee(&acting),
            today - chrono::Duration::days(60),
        )
        .await?
        .iter()
        .map(|m| meeting_view(&tr, m, today))
        .collect();
    }
    a.render(&HomePage {
        p: Chrome::new(&a, "congress-title"),
        terms,
        my_meetings,
        can_view: a.actor.may(Permission::CongressView),
        can_manage: a.actor.may(Permission::CongressManage),
        can_oversee: a.actor.may(Permission::CongressOversight),
        can_review: a.actor.may(Permission::ProposalReview),
        can_suggest: a.actor.may(Permission::SuggestionSubmit),
        can_propose: a.actor.may(Permission::ProposalSubmit),
        rules_unit,
    })
}

// ------------------------------------------------------------------ new term

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct TermForm {
    #[serde(flatten)]
    pub input: TermInput,
    pub school: String,
}

#[derive(Template)]
#[template(path = "congress/term_form.html")]
struct TermFormPage {
    p: Chrome,
    f: TermForm,
    errors: FieldErrors,
    schools: Vec<Opt>,
    modes: Vec<Opt>,
    hint: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct SchoolQuery {
    school: String,
}

async fn term_form(state: &AppState, a: &Auth, f: TermForm, errors: FieldErrors) -> AppResult {
    let cap = a.actor.authorize::<perm::CongressManage>()?;
    let schools = store::org::schools(&state.store.db, &cap).await?;
    let schools: Vec<Opt> = schools
        .iter()
        .map(|s| Opt::new(s.id, &s.name, f.school == s.id.to_string()))
        .collect();
    // The assembly threshold, for the school chosen.
    let hint = match f.school.parse::<i64>() {
        Ok(id) => {
            // A school outside the reader's scope gets no hint (and no rules).
            store::congress::rules::effective(&state.store.db, &cap, OrgUnitId(id))
                .await
                .ok()
                .map(|rules| {
                    a.tr.t1("term-mode-hint", "staff", rules.rules.assembly_below)
                })
        }
        Err(_) => None,
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let mut r = a.render(&TermFormPage {
        p: Chrome::new(a, "term-new-title")
            .crumb(a.tr.t("congress-title"), Some("/congress".into())),
        modes: coded_options::<CongressMode>(&a.tr, &f.input.mode, None),
        f,
        errors,
        schools,
        hint,
    })?;
    *r.status_mut() = status;
    Ok(r)
}

pub async fn new_page(
    State(state): State<AppState>,
    a: Auth,
    Query(q): Query<SchoolQuery>,
) -> AppResult {
    let cap = a.actor.authorize::<perm::CongressManage>()?;
    let today = crate::today();
    let mut f = TermForm {
        school: q.school.clone(),
        ..Default::default()
    };
    let schools = store::org::schools(&state.store.db, &cap).await?;
    if f.school.is_empty() && schools.len() == 1 {
        f.school = schools[0].id.to_string();
    }
    // Suggest the next number, the mode by staff size, and a five-year term from September.
    let start =
        NaiveDate::from_ymd_opt(domain::congress::school_year(today), 9, 1).unwrap_or(today);
    f.input.start_date = start.format("%Y-%m-%d").to_string();
    f.input.end_date = (NaiveDate::from_ymd_opt(start.year_plus(5), 8, 31).unwrap_or(start))
        .format("%Y-%m-%d")
        .to_string();
    f.input.mode = "congress".into();
    if let Some(s) = schools.iter().find(|s| s.id.to_string() == f.school) {
        let terms = st::list_terms(&state.store.db, &cap, Some(s.id)).await?;
        f.input.number = (terms.iter().map(|t| t.number).max().unwrap_or(0) + 1).to_string();
        let rules = store::congress::rules::effective(&state.store.db, &cap, s.id)
            .await?
            .rules;
        let staff = store::org::member_counts(&state.store.db, &cap, &[s.id])
            .await?
            .first()
            .map_or(0, |x| x.1);
        if domain::rules::assembly_mode(u32::try_from(staff).unwrap_or(u32::MAX), &rules) {
            f.input.mode = "assembly".into();
        }
    } else {
        f.input.number = "1".into();
    }
    term_form(&state, &a, f, FieldErrors::default()).await
}

trait YearPlus {
    fn year_plus(&self, n: i32) -> i32;
}

impl YearPlus for NaiveDate {
    fn year_plus(&self, n: i32) -> i32 {
        use chrono::Datelike;
        self.year() + n
    }
}

pub async fn create(State(state): State<AppState>, a: Auth, Form(f): Form<TermForm>) -> AppResult {
    let cap = a.actor.authorize::<perm::CongressManage>()?;
    let mut errors = FieldErrors::default();
    let Some(school) = form_id(&f.school).map(OrgUnitId) else {
        errors.push(domain::FieldError::new("school", domain::text::REQUIRED));
        return term_form(&state, &a, f, errors).await;
    };
    let rules = store::congress::rules::effective(&state.store.db, &cap, school)
        .await?
        .rules;
    match f.input.parse(&rules) {
        Ok(d) => match st::create_term(&state.store, &cap, &a.who(), school, &d).await {
            Ok(id) => {
                return Ok(a.redirect(
                    &format!("/congress/terms/{id}"),
                    Flash::ok("term-created")
                        .arg("name", term_name(&a.tr, i64::from(d.number), d.mode)),
                ));
            }
            Err(store::StoreError::NotFound) => return Err(AppError::NotFound),
            Err(e) => into_fields(e, &mut errors)?,
        },
        Err(e) => errors.0.extend(e.0),
    }
    term_form(&state, &a, f, errors).await
}

// ------------------------------------------------------------------ the term page

pub struct DelegateView {
    pub id: i64,
    pub name: String,
    pub kind: String,
    pub kind_code: &'static str,
    pub delegation: String,
    pub post: String,
    pub gender: String,
    pub since: String,
    pub ended: String,
    pub end_reason: String,
    pub replaces: String,
    pub replaced_by: String,
}

fn delegate_view(tr: &Tr, d: &st::DelegateRow) -> DelegateView {
    DelegateView {
        id: d.id.0,
        name: d.name.clone(),
        kind: tr.label(d.kind),
        kind_code: d.kind.code(),
        delegation: d.delegation_name.clone().unwrap_or_default(),
        post: tr.label(d.post),
        gender: tr.label(d.gender),
        since: tr.date(&d.started_on),
        ended: tr.opt_date(&d.ended_on),
        end_reason: d.end_reason.clone().unwrap_or_default(),
        replaces: d.replaces_name.clone().unwrap_or_default(),
        replaced_by: d.replaced_by_name.clone().unwrap_or_default(),
    }
}

pub struct Candidate {
    pub id: i64,
    pub name: String,
    pub detail: String,
}

pub struct Warning {
    pub text: String,
}

#[derive(Template)]
#[template(path = "congress/term.html")]
struct TermPage {
    p: Chrome,
    t: TermView,
    mode_code: &'static str,
    school_id: i64,
    current: Vec<DelegateView>,
    ended: Vec<DelegateView>,
    delegations: Vec<(i64, String, i64)>,
    meetings: Vec<MeetingView>,
    warnings: Vec<Warning>,
    shares: Vec<(String, String)>,
    can_manage: bool,
    q: String,
    candidates: Vec<Candidate>,
    kinds: Vec<Opt>,
    delegation_opts: Vec<Opt>,
    branches: Vec<Opt>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct SearchQuery {
    q: String,
}

/// Members of `school` matching `q` (name prefix, ID or phone tail), at most 20.
async fn candidates(
    state: &AppState,
    a: &Auth,
    school: OrgUnitId,
    q: &str,
) -> AppResult<Vec<Candidate>> {
    if q.trim().is_empty() {
        return Ok(Vec::new());
    }
    let Ok(cap) = a.actor.authorize::<perm::MemberView>() else {
        return Ok(Vec::new());
    };
    let page = store::org::list_members(
        &state.store,
        &cap,
        &store::org::MemberFilter {
            q: Some(q.trim().to_string()),
            unit: Some(school),
            ..Default::default()
        },
        &store::org::PageRequest {
            after: None,
            before: None,
            limit: 20,
        },
        crate::today(),
    )
    .await?;
    Ok(page
        .rows
        .into_iter()
        .map(|r| Candidate {
            id: r.id.0,
            detail: [
                r.branch_name.unwrap_or_default(),
                a.tr.label(r.post),
                a.tr.label(r.status),
                r.id_number_masked,
            ]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(" · "),
            name: r.name,
        })
        .collect())
}

fn warning_texts(tr: &Tr, w: &[domain::rules::CompositionWarning]) -> Vec<Warning> {
    w.iter()
        .map(|w| Warning {
            text: tr.ta(w.key(), &w.args()),
        })
        .collect()
}

pub async fn show(
    State(state): State<AppState>,
    a: Auth,
    Path(id): Path<i64>,
    Query(q): Query<SearchQuery>,
) -> AppResult {
    let cap = a.actor.authorize::<perm::CongressView>()?;
    let tr = a.tr;
    let today = crate::today();
    let db = &state.store.db;
    let comp = st::composition(db, &cap, TermId(id), today).await?;
    let term = comp.term.clone();
    let all = st::delegates(db, &cap, TermId(id), true).await?;
    let (cur, old): (Vec<_>, Vec<_>) = all.iter().partition(|d| d.ended_on.is_none());
    let delegations = st::delegations(db, &cap, TermId(id)).await?;
    let meetings = sm::meetings_of_term(db, Viewer::view(&cap), TermId(id)).await?;
    let can_manage = match a.actor.authorize::<perm::CongressManage>() {
        Ok(m) => st::get_term(db, &m, TermId(id)).await.is_ok(),
        Err(_) => false,
    };
    let cands = if can_manage {
        // Those who already sit in the term are not offered again.
        candidates(&state, &a, term.school_union_id, &q.q)
            .await?
            .into_iter()
            .filter(|c| !cur.iter().any(|d| d.member_id.0 == c.id))
            .collect()
    } else {
        Vec::new()
    };
    let branches = store::org::children(db, &cap, term.school_union_id).await?;
    let n = comp.counts.delegates;
    let share = |k: u32| format!("{k} ({}%)", domain::rules::Ratio::percent_of(k, n));
    let shares = vec![
        (tr.t("comp-delegates"), n.to_string()),
        (tr.t("comp-teachers"), share(comp.counts.teachers)),
        (tr.t("comp-women"), share(comp.counts.women)),
        (
            tr.t1("comp-young", "age", comp.rules.rules.young_age),
            share(comp.counts.young_teachers),
        ),
        (tr.t("comp-leaders"), share(comp.counts.leaders)),
    ];
    let p = Chrome::new(&a, "term-title")
        .title_text(format!(
            "{} · {}",
            term.school_name,
            term_name(&tr, term.number, term.mode)
        ))
        .crumb(tr.t("congress-title"), Some("/congress".into()))
        .crumb(term_name(&tr, term.number, term.mode), None);
    a.render(&TermPage {
        p,
        t: term_view(&tr, &term, today),
        mode_code: term.mode.code(),
        school_id: term.school_union_id.0,
        current: cur.iter().map(|d| delegate_view(&tr, d)).collect(),
        ended: old.iter().map(|d| delegate_view(&tr, d)).collect(),
        delegation_opts: {
            let mut v = vec![Opt::new("", tr.t("choose-none"), true)];
            v.extend(delegations.iter().map(|g| Opt::new(g.id, &g.name, false)));
            v
        },
        delegations: delegations
            .into_iter()
            .map(|g| (g.id, g.name, g.delegates))
            .collect(),
        meetings: meetings
            .iter()
            .map(|m| meeting_view(&tr, m, today))
            .collect(),
        warnings: warning_texts(&tr, &comp.warnings),
        shares,
        can_manage,
        q: q.q,
        candidates: cands,
        kinds: coded_options::<DelegateKind>(&tr, "delegate", None),
        branches: {
            let mut v = vec![Opt::new("", tr.t("choose-none"), true)];
            v.extend(branches.iter().map(|b| Opt::new(b.id, &b.name, false)));
            v
        },
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct AddDelegateForm {
    member: String,
    kind: String,
    delegation: String,
}

pub async fn add_delegate(
    State(state): State<AppState>,
    a: Auth,
    Path(id): Path<i64>,
    Form(f): Form<AddDelegateForm>,
) -> AppResult {
    let cap = a.actor.authorize::<perm::CongressManage>()?;
    let term = st::get_term(&state.store.db, &cap, TermId(id)).await?;
    let back = format!("/congress/terms/{id}");
    let Some(member) = form_id(&f.member).map(MemberId) else {
        return Ok(a.redirect(&back, Flash::error(domain::text::REQUIRED)));
    };
    let kind = DelegateKind::from_code(&f.kind).unwrap_or(DelegateKind::Delegate);
    let delegation = form_id(&f.delegation).map(DelegationId);
    let since = crate::today().max(term.start_date);
    match st::add_delegate(
        &state.store,
        &cap,
        &a.who(),
        TermId(id),
        member,
        kind,
        delegation,
        since,
    )
    .await
    {
        Ok(_) => Ok(a.redirect(
            &back,
            Flash::ok("delegate-added").arg("kind", a.tr.label(kind)),
        )),
        Err(e) => refused(&a, &back, e),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DelegationForm {
    name: String,
    branch: String,
}

pub async fn add_delegation(
    State(state): State<AppState>,
    a: Auth,
    Path(id): Path<i64>,
    Form(f): Form<DelegationForm>,
) -> AppResult {
    let cap = a.actor.authorize::<perm::CongressManage>()?;
    st::get_term(&state.store.db, &cap, TermId(id)).await?;
    let back = format!("/congress/terms/{id}");
    match st::add_delegation(
        &state.store,
        &cap,
        &a.who(),
        TermId(id),
        &f.name,
        form_id(&f.branch).map(OrgUnitId),
    )
    .await
    {
        Ok(_) => Ok(a.redirect(
            &back,
            Flash::ok("delegation-added").arg("name", f.name.trim()),
        )),
        Err(e) => refused(&a, &back, e),
    }
}

pub async fn sync(State(state): State<AppState>, a: Auth, Path(id): Path<i64>) -> AppResult {
    let cap = a.actor.authorize::<perm::CongressManage>()?;
    st::get_term(&state.store.db, &cap, TermId(id)).await?;
    let back = format!("/congress/terms/{id}");
    match st::sync_assembly(&state.store, &cap, &a.who(), TermId(id), crate::today()).await {
        Ok((added, ended)) => Ok(a.redirect(
            &back,
            Flash::ok("assembly-synced")
                .arg("added", added)
                .arg("ended", ended),
        )),
        Err(e) => refused(&a, &back, e),
    }
}

// ------------------------------------------------------------------ import

pub struct ImportErrorView {
    pub row: u32,
    pub reason: String,
}

#[derive(Template)]
#[template(path = "congress/import.html")]
struct ImportPage {
    p: Chrome,
    term_id: i64,
    error: Option<String>,
    errors: Vec<ImportErrorView>,
    max_mb: usize,
}

async fn import_view(
    state: &AppState,
    a: &Auth,
    id: i64,
    error: Option<String>,
    errors: Vec<ImportErrorView>,
    status: StatusCode,
) -> AppResult {
    let cap = a.actor.authorize::<perm::CongressManage>()?;
    let term = st::get_term(&state.store.db, &cap, TermId(id)).await?;
    let p = Chrome::new(a, "delegate-import-title")
        .crumb(a.tr.t("congress-title"), Some("/congress".into()))
        .crumb(
            term_name(&a.tr, term.number, term.mode),
            Some(format!("/congress/terms/{id}")),
        );
    let mut r = a.render(&ImportPage {
        p,
        term_id: id,
        error,
        errors,
        max_mb: super::ROSTER_LIMIT / (1024 * 1024),
    })?;
    *r.status_mut() = status;
    Ok(r)
}

pub async fn import_page(State(state): State<AppState>, a: Auth, Path(id): Path<i64>) -> AppResult {
    import_view(&state, &a, id, None, Vec::new(), StatusCode::OK).await
}

pub async fn import(
    State(state): State<AppState>,
    a: Auth,
    Path(id): Path<i64>,
    mp: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> AppResult {
    let cap = a.actor.authorize::<perm::CongressManage>()?;
    st::get_term(&state.store.db, &cap, TermId(id)).await?;
    // Authorised first; only then is the body read.
    let mut mp = mp.map_err(|_| AppError::BadRequest)?;
    let too_large = || {
        a.tr.t1(
            "err-file-too-large",
            "max",
            super::ROSTER_LIMIT / (1024 * 1024),
        )
    };
    let mut file: Option<Vec<u8>> = None;
    loop {
        match mp.next_field().await {
            Ok(Some(field)) => {
                if field.name() == Some("file") {
                    match field.bytes().await {
                        Ok(b) => file = Some(b.to_vec()),
                        Err(_) => {
                            return import_view(
                                &state,
                                &a,
                                id,
                                Some(too_large()),
                                Vec::new(),
                                StatusCode::PAYLOAD_TOO_LARGE,
                            )
                            .await;
                        }
                    }
                }
            }
            Ok(None) => break,
            Err(_) => {
                return import_view(
                    &state,
                    &a,
                    id,
                    Some(too_large()),
                    Vec::new(),
                    StatusCode::PAYLOAD_TOO_LARGE,
                )
                .await;
            }
        }
    }
    let Some(bytes) = file.filter(|b| !b.is_empty()) else {
        return import_view(
            &state,
            &a,
            id,
            Some(a.tr.t("import-err-no-file")),
            Vec::new(),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    match st::import_delegates(
        &state.store,
        &cap,
        &a.who(),
        TermId(id),
        &bytes,
        crate::today(),
    )
    .await
    {
        Ok(out) if out.no_header => {
            import_view(
                &state,
                &a,
                id,
                Some(a.tr.t("delegate-import-no-header")),
                Vec::new(),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Ok(out) if !out.errors.is_empty() => {
            let errors = out
                .errors
                .iter()
                .map(|e| ImportErrorView {
                    row: e.row,
                    reason: a.tr.ta(e.key, &e.args),
                })
                .collect();
            import_view(
                &state,
                &a,
                id,
                Some(a.tr.t1("delegate-import-refused", "count", out.errors.len())),
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Ok(out) => Ok(a.redirect(
            &format!("/congress/terms/{id}"),
            Flash::ok("delegate-import-done").arg("count", out.added),
        )),
        Err(store::StoreError::Invalid(f)) => {
            let msg = f.0.first().map(|e| a.tr.fe(e)).unwrap_or_default();
            import_view(
                &state,
                &a,
                id,
                Some(msg),
                Vec::new(),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

// ------------------------------------------------------------------ replacement

#[derive(Template)]
#[template(path = "congress/replace.html")]
struct ReplacePage {
    p: Chrome,
    d: DelegateView,
    term_id: i64,
    q: String,
    candidates: Vec<Candidate>,
    f: ReplaceForm,
    errors: FieldErrors,
}

#[derive(Clone, Debug, Deserialize, Default)]
#[serde(default)]
pub struct ReplaceForm {
    pub successor: String,
    pub date: String,
    pub reason: String,
    pub q: String,
}

async fn replace_view(
    state: &AppState,
    a: &Auth,
    id: i64,
    f: ReplaceForm,
    errors: FieldErrors,
) -> AppResult {
    let cap = a.actor.authorize::<perm::CongressManage>()?;
    let (term, d) = st::get_delegate(&state.store.db, &cap, DelegateId(id)).await?;
    if d.ended_on.is_some() {
        return Err(AppError::NotFound);
    }
    let cands = candidates(state, a, term.school_union_id, &f.q).await?;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let p = Chrome::new(a, "delegate-replace-title")
        .crumb(a.tr.t("congress-title"), Some("/congress".into()))
        .crumb(
            term_name(&a.tr, term.number, term.mode),
            Some(format!("/congress/terms/{}", term.id)),
        );
    let mut r = a.render(&ReplacePage {
        p,
        d: delegate_view(&a.tr, &d),
        term_id: term.id.0,
        q: f.q.clone(),
        candidates: cands,
        f,
        errors,
    })?;
    *r.status_mut() = status;
    Ok(r)
}

pub async fn replace_page(
    State(state): State<AppState>,
    a: Auth,
    Path(id): Path<i64>,
    Query(q): Query<SearchQuery>,
) -> AppResult {
    let f = ReplaceForm {
        date: crate::today().format("%Y-%m-%d").to_string(),
        q: q.q,
        ..Default::default()
    };
    replace_view(&state, &a, id, f, FieldErrors::default()).await
}

pub async fn replace(
    State(state): State<AppState>,
    a: Auth,
    Path(id): Path<i64>,
    Form(f): Form<ReplaceForm>,
) -> AppResult {
    let cap = a.actor.authorize::<perm::CongressManage>()?;
    let (term, _) = st::get_delegate(&state.store.db, &cap, DelegateId(id)).await?;
    let mut errors = FieldErrors::default();
    let date = errors.take(domain::org::parse_date("date", &f.date));
    let successor = form_id(&f.successor).map(MemberId);
    if let Some(date) = date {
        match st::replace_delegate(
            &state.store,
            &cap,
            &a.who(),
            DelegateId(id),
            successor,
            date,
            &f.reason,
        )
        .await
        {
            Ok(_) => {
                return Ok(a.redirect(
                    &format!("/congress/terms/{}", term.id),
                    Flash::ok("delegate-replaced"),
                ));
            }
            Err(e) => into_fields(e, &mut errors)?,
        }
    }
    replace_view(&state, &a, id, f, errors).await
}

// ------------------------------------------------------------------ composition

#[derive(Template)]
#[template(path = "congress/composition.html")]
struct CompositionPage {
    p: Chrome,
    t: TermView,
    shares: Vec<(String, String, String)>,
    warnings: Vec<Warning>,
    by_delegation: Vec<(String, i64)>,
    assembly: bool,
    staff: i64,
    rules_source: String,
}

pub async fn composition(State(state): State<AppState>, a: Auth, Path(id): Path<i64>) -> AppResult {
    let cap = a.actor.authorize::<perm::CongressView>()?;
    let tr = a.tr;
    let today = crate::today();
    let c = st::composition(&state.store.db, &cap, TermId(id), today).await?;
    let n = c.counts.delegates;
    let r = &c.rules.rules;
    let pct = |k: u32| format!("{}%", domain::rules::Ratio::percent_of(k, n));
    let shares = vec![
        (
            tr.t("comp-teachers"),
            format!("{} · {}", c.counts.teachers, pct(c.counts.teachers)),
            tr.t1("comp-rule-min", "share", r.teacher_min.display()),
        ),
        (
            tr.t("comp-women"),
            format!("{} · {}", c.counts.women, pct(c.counts.women)),
            tr.t("comp-rule-some"),
        ),
        (
            tr.t1("comp-young", "age", r.young_age),
            format!(
                "{} · {}",
                c.counts.young_teachers,
                pct(c.counts.young_teachers)
            ),
            tr.t("comp-rule-some"),
        ),
        (
            tr.t("comp-leaders"),
            format!("{} · {}", c.counts.leaders, pct(c.counts.leaders)),
            tr.t1("comp-rule-max", "share", r.leader_max.display()),
        ),
    ];
    let rules_source = match &c.rules.version {
        Some(v) => tr.ta(
            "rules-version-of",
            &[
                ("unit", v.unit_name.clone()),
                ("version", v.version.to_string()),
            ],
        ),
        None => tr.t("rules-defaults"),
    };
    let p = Chrome::new(&a, "composition-title")
        .crumb(tr.t("congress-title"), Some("/congress".into()))
        .crumb(
            term_name(&tr, c.term.number, c.term.mode),
            Some(format!("/congress/terms/{id}")),
        );
    a.render(&CompositionPage {
        p,
        t: term_view(&tr, &c.term, today),
        shares,
        warnings: warning_texts(&tr, &c.warnings),
        by_delegation: c
            .by_delegation
            .iter()
            .map(|(g, n)| (g.clone().unwrap_or_else(|| tr.t("delegation-none")), *n))
            .collect(),
        assembly: c.term.mode == CongressMode::Assembly,
        staff: c.staff,
        rules_source,
    })
}
