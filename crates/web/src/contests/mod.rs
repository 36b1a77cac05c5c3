//! Contests (劳动竞赛、技能比赛、课件、论文…) on the web: the year's contests in the reader's
//! scope with the organizer's form (`/contests`), one contest with its sheet, the school's
//! entries and their form, the judges and the steps (`/contests/{id}`), the judge's blind
//! sheet (`/contests/{id}/sheet`: entry codes only), the results with ranks, ties and prizes
//! (`/contests/{id}/results`, and as .xlsx for the upper level).
//!
//! Handlers stay thin: parse, authorise, call the store, render. Out of scope is 404; a
//! refused form comes back with what was typed and the message at its field. Nothing here
//! ever shows a judge an entry's title, entrants or school.

pub mod certificate;
pub mod files;
pub mod upper;

use crate::area::{Area, Document, DocumentKind, NavEntry};
use crate::chrome::{Chrome, Opt, coded_options};
use crate::congress::refused;
use crate::ctx::{Auth, Flash};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::{Guard, Permission as P, RouteTable};
use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use chrono::{Datelike, NaiveDate};
use domain::auth::{Permission, perm, role_permits};
use domain::congress::authorize_self;
use domain::contests::*;
use domain::ids::{MemberId, OrgUnitId};
use domain::org::Coded;
use domain::{FieldError, FieldErrors};
use serde::Deserialize;
use std::collections::HashMap;
use store::StoreError;
use store::contests as cs;

fn routes(t: RouteTable) -> RouteTable {
    t.get("/contests", Guard::staff(P::ContestView), list)
        .post(
            "/contests",
            Guard::staff(P::ContestManage).form(&[
                ("organizer", "{school}"),
                ("name", "教师粉笔字比赛"),
                ("kind", "calligraphy"),
                ("entry_from", "{today}"),
                ("entry_until", "2099-06-30"),
                ("judging_until", "2099-07-31"),
                ("quota", "3"),
                ("first", "1"),
                ("second", "2"),
                ("third", "3"),
                ("merit", "0"),
                ("criteria", "书写规范|50|10\n整体效果|50|10"),
                ("categories", ""),
                ("rules", ""),
            ]),
            create,
        )
        .get("/contests/{id}", Guard::staff(P::ContestView), show)
        .post(
            "/contests/{id}/entries",
            Guard::staff(P::ContestEnter).form(&[
                ("school", "{school}"),
                ("title", "《分数的意义》课件"),
                ("entrants", "李老师"),
                ("category", ""),
            ]),
            submit,
        )
        .add_limited(
            crate::Method::Post,
            "/contests/{id}/files",
            Guard::staff(P::ContestEnter).upload(
                &[("entry", "{entry}")],
                ("file", "entry.pdf", b"%PDF-1.4\n% entry\n"),
            ),
            files::attach,
            Some(files::UPLOAD_LIMIT),
        )
        .post(
            "/contests/{id}/judges",
            Guard::staff(P::ContestManage).form(&[("member", "{member}")]),
            add_judge,
        )
        .post(
            "/contests/{id}/judging",
            Guard::staff(P::ContestManage).button(),
            start_judging,
        )
        .post(
            "/contests/{id}/publish",
            Guard::staff(P::ContestManage).button(),
            publish,
        )
        .get(
            "/contests/{id}/results",
            Guard::staff(P::ContestView),
            results,
        )
        .get(
            "/contests/{id}/results.xlsx",
            Guard::staff(P::ContestView),
            results_xlsx,
        )
        .get(
            "/contests/{id}/certificates.pdf",
            Guard::staff(P::ContestView),
            certificates,
        )
        .get("/certificates/verify", Guard::public(), verify)
        .get("/contests/{id}/sheet", Guard::named(P::ContestJudge), sheet)
        .get(
            "/contests/files/{id}",
            Guard::staff(P::ContestView),
            files::file,
        )
        .get(
            "/contests/{id}/forward.xlsx",
            Guard::staff(P::ContestManage),
            upper::forward_xlsx,
        )
        .post(
            "/contests/{id}/upper",
            Guard::staff(P::ContestManage).form(&[
                ("entry", "{winner}"),
                ("name", "市中小学课件评比"),
                ("level", "city"),
                ("tier", "second"),
                ("on", "{today}"),
            ]),
            upper::record,
        )
        .get(
            "/contests/files/{id}/blind",
            Guard::named(P::ContestJudge),
            files::blind,
        )
        .post(
            "/contests/{id}/sheet",
            Guard::named(P::ContestJudge).form(&[("entry", "0")]),
            score,
        )
}

/// The contests area.
pub static AREA: Area = Area {
    name: "contests",
    routes: |t, _| routes(t),
    nav: &[NavEntry {
        href: "/contests",
        label_key: "nav-contests",
        permission: Some(Permission::ContestView),
        rank: 84,
    }],
    documents: &[
        Document {
            label_key: "doc-contests-results",
            path: "/contests/{id}/results.xlsx",
            kind: DocumentKind::Xlsx,
            method: crate::Method::Get,
        },
        Document {
            label_key: "doc-contests-certificates",
            path: "/contests/{id}/certificates.pdf",
            kind: DocumentKind::Print,
            method: crate::Method::Get,
        },
    ],
};

fn today() -> NaiveDate {
    chrono::Utc::now().date_naive()
}

fn parse_year(s: &str) -> i32 {
    s.trim()
        .parse::<i32>()
        .ok()
        .filter(|y| (2000..=2100).contains(y))
        .unwrap_or_else(|| today().year())
}

fn field(vals: &HashMap<String, String>, k: &str) -> String {
    vals.get(k).cloned().unwrap_or_default()
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct YearQuery {
    year: String,
}

/// A contest in the list.
pub struct ContestView {
    pub href: String,
    pub name: String,
    pub kind: String,
    pub organizer: String,
    pub entry_until: String,
    pub status: String,
    pub status_code: &'static str,
    pub entries: i64,
}

#[derive(Template)]
#[template(path = "contests/list.html")]
struct ListPage {
    p: Chrome,
    year: i32,
    contests: Vec<ContestView>,
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

/// The units where the reader may organize a contest (their grants holding the right).
fn organizer_units(a: &Auth, selected: &str) -> Vec<Opt> {
    a.actor
        .grants
        .iter()
        .filter(|g| role_permits(g.role, Permission::ContestManage))
        .map(|g| {
            Opt::new(
                g.org_unit.0,
                format!("#{}", g.org_unit.0),
                selected == g.org_unit.0.to_string(),
            )
        })
        .collect()
}

/// `/contests`: the year's contests in scope, and the organizer's form.
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
    let contests = cs::list(&state.store.db, &cap, year)
        .await?
        .into_iter()
        .map(|c| ContestView {
            href: format!("/contests/{}", c.id.0),
            name: c.name,
            kind: tr.label(c.kind),
            organizer: c.organizer_name,
            entry_until: tr.date(&c.entry_until),
            status: tr.label(c.status),
            status_code: c.status.code(),
            entries: c.entries,
        })
        .collect();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let kind = vals.get("kind").cloned().unwrap_or_default();
    let org = vals.get("organizer").cloned().unwrap_or_default();
    let p = Chrome::new(a, "contests-title");
    let mut resp = a.render(&ListPage {
        p,
        year,
        contests,
        can_manage: a.actor.may(Permission::ContestManage),
        organizers: organizer_units(a, &org),
        kinds: coded_options::<ContestKind>(&tr, &kind, None),
        vals,
        errors,
    })?;
    *resp.status_mut() = status;
    Ok(resp)
}

/// Creates a contest; refused with every error at its field.
pub async fn create(
    State(state): State<AppState>,
    a: Auth,
    Form(vals): Form<HashMap<String, String>>,
) -> AppResult {
    let cap = a.actor.authorize::<perm::ContestManage>()?;
    let form = ContestForm {
        name: field(&vals, "name"),
        kind: field(&vals, "kind"),
        rules: field(&vals, "rules"),
        entry_from: field(&vals, "entry_from"),
        entry_until: field(&vals, "entry_until"),
        judging_until: field(&vals, "judging_until"),
        quota: field(&vals, "quota"),
        drop_extremes: !field(&vals, "drop_extremes").is_empty(),
        first: field(&vals, "first"),
        second: field(&vals, "second"),
        third: field(&vals, "third"),
        merit: field(&vals, "merit"),
        categories: field(&vals, "categories"),
        criteria: field(&vals, "criteria"),
    };
    let Some(org) = field(&vals, "organizer").trim().parse::<i64>().ok() else {
        return Err(AppError::NotFound);
    };
    let year = today().year();
    let draft = match parse_contest(&form) {
        Ok(d) => d,
        Err(errors) => return list_page(&state, &a, year, vals, errors).await,
    };
    match cs::create(&state.store, &cap, &a.who(), OrgUnitId(org), &draft).await {
        Ok(id) => Ok(a.redirect(
            &format!("/contests/{}", id.0),
            Flash::ok("contests-created"),
        )),
        Err(StoreError::Invalid(errors)) => list_page(&state, &a, year, vals, errors).await,
        Err(StoreError::NotFound) => Err(AppError::NotFound),
        Err(e) => Err(e.into()),
    }
}

/// An entry as shown on the contest page.
pub struct EntryView {
    pub id: i64,
    /// Its files: (id, name).
    pub files: Vec<(i64, String)>,
    pub code: String,
    pub school: String,
    pub category: String,
    pub title: String,
    pub entrants: String,
    pub on: String,
}

/// A criterion as shown.
pub struct CriterionView {
    pub id: i64,
    pub name: String,
    pub weight: u32,
    pub max: u32,
}

/// A judge as shown to the organizer.
pub struct JudgeView {
    pub name: String,
    pub school: String,
    pub conflicts: i64,
    pub scored: i64,
}

#[derive(Template)]
#[template(path = "contests/show.html")]
struct ShowPage {
    p: Chrome,
    id: i64,
    kind: String,
    status: String,
    status_code: &'static str,
    organizer: String,
    rules: String,
    dates: String,
    quota: u32,
    prizes: String,
    drop_extremes: bool,
    criteria: Vec<CriterionView>,
    categories: Vec<Opt>,
    entries: Vec<EntryView>,
    judges: Vec<JudgeView>,
    organizes: bool,
    can_enter: bool,
    can_manage: bool,
    is_open: bool,
    is_judging: bool,
    is_published: bool,
    schools: Vec<Opt>,
    /// The form that was refused (`entry`, `judge`), its input and its errors.
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
}

#[derive(Default)]
pub(crate) struct Refused {
    pub(crate) form: String,
    pub(crate) vals: HashMap<String, String>,
    pub(crate) errors: FieldErrors,
}

/// `/contests/{id}`: the contest, its sheet, the entries the reader may see, the judges
/// (organizer) and the forms.
pub async fn show(State(state): State<AppState>, a: Auth, Path(id): Path<i64>) -> AppResult {
    show_page(&state, &a, ContestId(id), Refused::default()).await
}

pub(crate) async fn show_page(
    state: &AppState,
    a: &Auth,
    id: ContestId,
    refused: Refused,
) -> AppResult {
    let cap = a.actor.authorize::<perm::ContestView>()?;
    let db = &state.store.db;
    let tr = a.tr;
    let c = match cs::get(db, &cap, id).await {
        Ok(c) => c,
        Err(StoreError::NotFound) => return Err(AppError::NotFound),
        Err(e) => return Err(e.into()),
    };
    let organizes = cs::organizes(db, &cap, id).await?;
    let mut files: HashMap<i64, Vec<(i64, String)>> = HashMap::new();
    for f in cs::files::of_contest(db, &cap, id).await? {
        files
            .entry(f.entry.0)
            .or_default()
            .push((f.id, f.file_name));
    }
    let entries = cs::entries(db, &cap, id)
        .await?
        .into_iter()
        .map(|e| EntryView {
            id: e.id.0,
            files: files.remove(&e.id.0).unwrap_or_default(),
            code: e.code,
            school: e.school_name,
            category: e.category.unwrap_or_default(),
            title: e.title,
            entrants: e.entrants,
            on: tr.date(&e.submitted_on),
        })
        .collect();
    let judges = if organizes {
        cs::judges(db, &cap, id)
            .await?
            .into_iter()
            .map(|j| JudgeView {
                name: j.name,
                school: j.school,
                conflicts: j.conflicts,
                scored: j.scored,
            })
            .collect()
    } else {
        Vec::new()
    };
    let sel_school = refused.vals.get("school").cloned().unwrap_or_default();
    let schools = a
        .actor
        .grants
        .iter()
        .filter(|g| role_permits(g.role, Permission::ContestEnter))
        .map(|g| {
            Opt::new(
                g.org_unit.0,
                format!("#{}", g.org_unit.0),
                sel_school == g.org_unit.0.to_string(),
            )
        })
        .collect();
    let sel_cat = refused.vals.get("category").cloned().unwrap_or_default();
    let categories = c
        .categories
        .iter()
        .map(|g| Opt::new(g.id.0, &g.name, sel_cat == g.id.0.to_string()))
        .collect();
    let status = if refused.errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let dates = tr.ta(
        "contests-dates-line",
        &[
            ("from", tr.date(&c.entry_from)),
            ("until", tr.date(&c.entry_until)),
            ("judging", tr.date(&c.judging_until)),
        ],
    );
    let prizes = tr.ta(
        "contests-prizes-line",
        &[
            ("first", c.prizes[0].to_string()),
            ("second", c.prizes[1].to_string()),
            ("third", c.prizes[2].to_string()),
            ("merit", c.prizes[3].to_string()),
        ],
    );
    let p = Chrome::new(a, "contests-contest-title")
        .title_text(c.name.clone())
        .crumb(
            tr.t("nav-contests"),
            Some(format!("/contests?year={}", c.year)),
        );
    let mut resp = a.render(&ShowPage {
        p,
        id: c.id.0,
        kind: tr.label(c.kind),
        status: tr.label(c.status),
        status_code: c.status.code(),
        organizer: c.organizer_name,
        rules: c.rules,
        dates,
        quota: c.quota,
        prizes,
        drop_extremes: c.drop_extremes,
        criteria: c
            .criteria
            .iter()
            .map(|cr| CriterionView {
                id: cr.id.0,
                name: cr.name.clone(),
                weight: cr.weight,
                max: cr.max,
            })
            .collect(),
        categories,
        entries,
        judges,
        organizes,
        can_enter: a.actor.may(Permission::ContestEnter),
        can_manage: organizes && a.actor.may(Permission::ContestManage),
        is_open: c.status == ContestStatus::Open,
        is_judging: c.status == ContestStatus::Judging,
        is_published: c.status == ContestStatus::Published,
        schools,
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
    id: ContestId,
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

/// Submits an entry for the school (within the dates and its quota).
pub async fn submit(
    State(state): State<AppState>,
    a: Auth,
    Path(id): Path<i64>,
    Form(vals): Form<HashMap<String, String>>,
) -> AppResult {
    let cap = a.actor.authorize::<perm::ContestEnter>()?;
    let id = ContestId(id);
    let Some(school) = field(&vals, "school").trim().parse::<i64>().ok() else {
        return Err(AppError::NotFound);
    };
    let category = field(&vals, "category")
        .trim()
        .parse::<i64>()
        .ok()
        .map(ContestCategoryId);
    let input = cs::EntryInput {
        school: OrgUnitId(school),
        category,
        title: field(&vals, "title"),
        entrants: field(&vals, "entrants"),
        team: !field(&vals, "team").is_empty(),
    };
    match cs::submit_entry(&state.store, &cap, &a.who(), id, &input, today()).await {
        Ok(_) => Ok(a.redirect(
            &format!("/contests/{}", id.0),
            Flash::ok("contests-entry-submitted"),
        )),
        Err(e) => back_with(&state, &a, id, "entry", vals, e).await,
    }
}

/// Declares a judge: a member in scope, by record number or by exact name.
pub async fn add_judge(
    State(state): State<AppState>,
    a: Auth,
    Path(id): Path<i64>,
    Form(vals): Form<HashMap<String, String>>,
) -> AppResult {
    let cap = a.actor.authorize::<perm::ContestManage>()?;
    let id = ContestId(id);
    let typed = field(&vals, "member");
    let r = match typed.trim().parse::<i64>() {
        Ok(m) => cs::add_judge(&state.store, &cap, &a.who(), id, MemberId(m), &[])
            .await
            .map(|_| ()),
        Err(_) => Err(StoreError::Invalid(FieldErrors(vec![FieldError::new(
            "member",
            domain::text::REQUIRED,
        )]))),
    };
    match r {
        Ok(()) => Ok(a.redirect(
            &format!("/contests/{}", id.0),
            Flash::ok("contests-judge-added"),
        )),
        Err(e) => back_with(&state, &a, id, "judge", vals, e).await,
    }
}

/// Closes the entries and opens the judging.
pub async fn start_judging(
    State(state): State<AppState>,
    a: Auth,
    Path(id): Path<i64>,
) -> AppResult {
    let cap = a.actor.authorize::<perm::ContestManage>()?;
    let back = format!("/contests/{id}");
    match cs::start_judging(&state.store, &cap, &a.who(), ContestId(id)).await {
        Ok(()) => Ok(a.redirect(&back, Flash::ok("contests-judging-started"))),
        Err(StoreError::NotFound) => Err(AppError::NotFound),
        Err(e) => refused(&a, &back, e),
    }
}

/// Publishes the results (every entry scored).
pub async fn publish(State(state): State<AppState>, a: Auth, Path(id): Path<i64>) -> AppResult {
    let cap = a.actor.authorize::<perm::ContestManage>()?;
    let back = format!("/contests/{id}");
    match cs::publish(&state.store, &cap, &a.who(), ContestId(id), today()).await {
        Ok(n) => Ok(a.redirect(
            &format!("/contests/{id}/results"),
            Flash::ok("contests-published").arg("prizes", n),
        )),
        Err(StoreError::NotFound) => Err(AppError::NotFound),
        Err(e) => refused(&a, &back, e),
    }
}

/// A line of the results as shown.
pub struct ResultView {
    pub rank: String,
    pub tied: bool,
    pub code: String,
    pub title: String,
    pub entrants: String,
    pub school: String,
    pub category: String,
    pub score: String,
    pub tier: String,
    pub tier_code: &'static str,
}

#[derive(Template)]
#[template(path = "contests/results.html")]
struct ResultsPage {
    p: Chrome,
    id: i64,
    published: bool,
    lines: Vec<ResultView>,
    /// The organizer's: the upper level's sheet and the results to record.
    can_forward: bool,
    levels: Vec<Opt>,
    tiers: Vec<Opt>,
    upper: Vec<upper::UpperView>,
    /// The winner whose upper result was refused, what was typed, the errors.
    refused_entry: String,
    vals: HashMap<String, String>,
    errors: FieldErrors,
}

impl ResultsPage {
    /// The value of a winner's upper-result field: what was typed when it was refused,
    /// else what is recorded.
    fn v(&self, u: &upper::UpperView, name: &str) -> String {
        if self.refused_entry == u.entry.to_string() {
            return self.vals.get(name).cloned().unwrap_or_default();
        }
        match name {
            "name" => u.name.clone(),
            "level" => u.level_code.clone(),
            "tier" => u.tier_code.clone(),
            _ => u.on.clone(),
        }
    }
    fn err(&self, entry: &i64, name: &str) -> String {
        if self.refused_entry != entry.to_string() {
            return String::new();
        }
        self.errors
            .get(name)
            .map(|e| self.p.tr.fe(e))
            .unwrap_or_default()
    }
}

fn result_views(tr: &crate::i18n::Tr, lines: Vec<cs::ResultLine>) -> Vec<ResultView> {
    lines
        .into_iter()
        .map(|l| ResultView {
            rank: l.placing.map(|p| p.rank.to_string()).unwrap_or_default(),
            tied: l.placing.is_some_and(|p| p.tied),
            code: l.code,
            title: l.title,
            entrants: l.entrants,
            school: l.school_name,
            category: l.category.unwrap_or_default(),
            score: l.score.map(show_centi).unwrap_or_default(),
            tier: l
                .placing
                .and_then(|p| p.tier)
                .map(|t| tr.label(t))
                .unwrap_or_default(),
            tier_code: l
                .placing
                .and_then(|p| p.tier)
                .map(|t| t.code())
                .unwrap_or(""),
        })
        .collect()
}

/// `/contests/{id}/results`: the published results, or the standing so far for the
/// organizer.
pub async fn results(State(state): State<AppState>, a: Auth, Path(id): Path<i64>) -> AppResult {
    results_page(&state, &a, id, Refused::default()).await
}

pub(crate) async fn results_page(
    state: &AppState,
    a: &Auth,
    id: i64,
    refused: Refused,
) -> AppResult {
    let cap = a.actor.authorize::<perm::ContestView>()?;
    let db = &state.store.db;
    let c = match cs::get(db, &cap, ContestId(id)).await {
        Ok(c) => c,
        Err(StoreError::NotFound) => return Err(AppError::NotFound),
        Err(e) => return Err(e.into()),
    };
    let lines = match cs::results(db, &cap, ContestId(id)).await {
        Ok(l) => l,
        Err(StoreError::NotFound) => return Err(AppError::NotFound),
        Err(e) => return Err(e.into()),
    };
    let tr = a.tr;
    let published = c.status == ContestStatus::Published;
    let can_forward = published
        && a.actor.may(Permission::ContestManage)
        && cs::organizes(db, &cap, ContestId(id)).await?;
    let upper = if published {
        upper::views(
            &tr,
            cs::upper::winners(&state.store, &cap, ContestId(id)).await?,
        )
    } else {
        Vec::new()
    };
    let p = Chrome::new(a, "contests-results-title")
        .title_text(format!("{} · {}", c.name, tr.t("contests-results")))
        .crumb(
            tr.t("nav-contests"),
            Some(format!("/contests?year={}", c.year)),
        )
        .crumb(c.name.clone(), Some(format!("/contests/{id}")));
    let sel = |k: &str| refused.vals.get(k).cloned().unwrap_or_default();
    let page = ResultsPage {
        p,
        id,
        published,
        lines: result_views(&tr, lines),
        can_forward,
        levels: coded_options::<domain::commendations::HonourLevel>(&tr, &sel("level"), None),
        tiers: coded_options::<PrizeTier>(&tr, &sel("tier"), Some("contests-upper-none")),
        upper,
        refused_entry: sel("entry"),
        vals: refused.vals,
        errors: refused.errors,
    };
    a.render_form(&page, &page.errors)
}

/// The results as .xlsx (rank, tie, code, title, entrants, school, score, prize), the
/// sheet the upper level receives.
pub async fn results_xlsx(
    State(state): State<AppState>,
    a: Auth,
    Path(id): Path<i64>,
) -> AppResult {
    let cap = a.actor.authorize::<perm::ContestView>()?;
    let db = &state.store.db;
    let c = match cs::get(db, &cap, ContestId(id)).await {
        Ok(c) => c,
        Err(StoreError::NotFound) => return Err(AppError::NotFound),
        Err(e) => return Err(e.into()),
    };
    let lines = match cs::results(db, &cap, ContestId(id)).await {
        Ok(l) => l,
        Err(StoreError::NotFound) => return Err(AppError::NotFound),
        Err(e) => return Err(e.into()),
    };
    let tr = a.tr;
    let err = |e: rust_xlsxwriter::XlsxError| AppError::Internal(e.to_string());
    let mut wb = rust_xlsxwriter::Workbook::new();
    let bold = rust_xlsxwriter::Format::new().set_bold();
    let ws = wb.add_worksheet();
    ws.write_string_with_format(0, 0, &c.name, &bold)
        .map_err(err)?;
    let heads = [
        "contests-col-rank",
        "contests-col-code",
        "contests-col-title",
        "contests-col-entrants",
        "col-school",
        "contests-col-category",
        "contests-col-score",
        "contests-col-prize",
    ];
    for (i, h) in heads.iter().enumerate() {
        ws.write_string_with_format(1, i as u16, tr.t(h), &bold)
            .map_err(err)?;
        ws.set_column_width(i as u16, 16).map_err(err)?;
    }
    for (i, l) in result_views(&tr, lines).into_iter().enumerate() {
        let r = i as u32 + 2;
        let rank = if l.tied {
            format!("{} {}", l.rank, tr.t("contests-tied"))
        } else {
            l.rank
        };
        for (col, v) in [
            rank, l.code, l.title, l.entrants, l.school, l.category, l.score, l.tier,
        ]
        .into_iter()
        .enumerate()
        {
            ws.write_string(r, col as u16, v).map_err(err)?;
        }
    }
    let bytes = wb.save_to_buffer().map_err(err)?;
    let name = format!("{}-{}.xlsx", c.name, tr.t("contests-results"));
    Ok(crate::org::import::xlsx_response(bytes, &name))
}

/// A line of the judge's sheet as shown: the code, never a name or a school.
pub struct SheetLineView {
    pub entry: i64,
    /// The entry's files as the judge downloads them: (id, `<code>.<type>`).
    pub files: Vec<(i64, String)>,
    pub code: String,
    pub category: String,
    pub points: Vec<PointView>,
    pub done: bool,
}

/// A criterion's input on a line of the sheet.
pub struct PointView {
    pub id: i64,
    pub name: String,
    pub weight: u32,
    pub max: u32,
    pub value: String,
}

#[derive(Template)]
#[template(path = "contests/sheet.html")]
struct SheetPage {
    p: Chrome,
    id: i64,
    judging: bool,
    lines: Vec<SheetLineView>,
    done: usize,
    /// The entry whose points were refused, what was typed, and the message.
    refused_entry: i64,
    error: String,
}

/// `/contests/{id}/sheet`: the acting judge's blind sheet.
pub async fn sheet(State(state): State<AppState>, a: Auth, Path(id): Path<i64>) -> AppResult {
    sheet_page(&state, &a, ContestId(id), 0, HashMap::new(), None).await
}

async fn sheet_page(
    state: &AppState,
    a: &Auth,
    id: ContestId,
    refused_entry: i64,
    vals: HashMap<String, String>,
    error: Option<FieldError>,
) -> AppResult {
    let acting = authorize_self::<perm::ContestJudge>(&a.actor).map_err(|_| AppError::NotFound)?;
    let s = match cs::sheet(&state.store.db, &acting, id).await {
        Ok(s) => s,
        Err(StoreError::NotFound) => return Err(AppError::NotFound),
        Err(e) => return Err(e.into()),
    };
    let tr = a.tr;
    let mut files: HashMap<i64, Vec<(i64, String)>> = HashMap::new();
    let codes: HashMap<i64, String> = s
        .lines
        .iter()
        .map(|l| (l.entry.0, l.code.clone()))
        .collect();
    for (f, e, kind) in cs::files::for_sheet(&state.store.db, &acting, id).await? {
        let code = codes.get(&e.0).cloned().unwrap_or_default();
        let n = files.get(&e.0).map_or(0, Vec::len);
        let name = if n == 0 {
            format!("{code}.{}", cs::files::extension(&kind))
        } else {
            format!("{code}-{}.{}", n + 1, cs::files::extension(&kind))
        };
        files.entry(e.0).or_default().push((f, name));
    }
    let lines: Vec<SheetLineView> = s
        .lines
        .into_iter()
        .map(|l| {
            let done = l.points.iter().all(Option::is_some);
            let points = s
                .criteria
                .iter()
                .zip(&l.points)
                .map(|(c, p)| {
                    let typed = if l.entry.0 == refused_entry {
                        vals.get(&format!("c{}", c.id.0)).cloned()
                    } else {
                        None
                    };
                    PointView {
                        id: c.id.0,
                        name: c.name.clone(),
                        weight: c.weight,
                        max: c.max,
                        value: typed
                            .unwrap_or_else(|| p.map(|p| p.to_string()).unwrap_or_default()),
                    }
                })
                .collect();
            SheetLineView {
                entry: l.entry.0,
                files: files.remove(&l.entry.0).unwrap_or_default(),
                code: l.code,
                category: l.category.unwrap_or_default(),
                points,
                done,
            }
        })
        .collect();
    let done = lines.iter().filter(|l| l.done).count();
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let p = Chrome::new(a, "contests-sheet-title").title_text(format!(
        "{} · {}",
        s.name,
        tr.t("contests-sheet")
    ));
    let mut resp = a.render(&SheetPage {
        p,
        id: id.0,
        judging: s.status == ContestStatus::Judging,
        lines,
        done,
        refused_entry,
        error: error.map(|e| tr.fe(&e)).unwrap_or_default(),
    })?;
    *resp.status_mut() = status;
    Ok(resp)
}

/// Records the acting judge's points on one entry (fields `c<criterion id>`).
pub async fn score(
    State(state): State<AppState>,
    a: Auth,
    Path(id): Path<i64>,
    Form(vals): Form<HashMap<String, String>>,
) -> AppResult {
    let acting = authorize_self::<perm::ContestJudge>(&a.actor).map_err(|_| AppError::NotFound)?;
    let id = ContestId(id);
    let Some(entry) = field(&vals, "entry").trim().parse::<i64>().ok() else {
        return Err(AppError::NotFound);
    };
    let mut points = Vec::new();
    let mut bad = None;
    for (k, v) in &vals {
        if let Some(c) = k.strip_prefix('c').and_then(|c| c.parse::<i64>().ok()) {
            match v.trim().parse::<i64>() {
                Ok(p) => points.push((CriterionId(c), p)),
                Err(_) => bad = Some(FieldError::new("points", text::POINTS_RANGE).arg("max", "")),
            }
        }
    }
    let r = match bad {
        Some(e) => Err(StoreError::Invalid(FieldErrors(vec![e]))),
        None => {
            cs::score(
                &state.store,
                &acting,
                &a.who(),
                id,
                ContestEntryId(entry),
                &points,
            )
            .await
        }
    };
    match r {
        Ok(()) => Ok(a.redirect(
            &format!("/contests/{}/sheet#e{entry}", id.0),
            Flash::ok("contests-scored-ok"),
        )),
        Err(StoreError::Invalid(f)) => {
            sheet_page(&state, &a, id, entry, vals, f.0.into_iter().next()).await
        }
        Err(StoreError::NotFound) => Err(AppError::NotFound),
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CertQuery {
    entry: String,
}

/// The address the QR codes point at: the configured `public_url`, or the local path
/// alone (a forged `Host` header must not put another site's address on a certificate).
pub(crate) fn verify_base(config: &crate::WebConfig) -> String {
    config
        .public_url
        .as_deref()
        .map(|u| u.trim_end_matches('/').to_string())
        .unwrap_or_default()
}

/// The prize as printed on a certificate (always in Chinese).
fn prize_zh(t: PrizeTier) -> &'static str {
    t.aliases().first().copied().unwrap_or("")
}

/// `/contests/{id}/certificates.pdf`: the certificates of all winners of a published
/// contest as one PDF, or one winner's with `?entry=`. Drawn on the blocking pool.
pub async fn certificates(
    State(state): State<AppState>,
    a: Auth,
    Path(id): Path<i64>,
    Query(q): Query<CertQuery>,
) -> AppResult {
    let cap = a.actor.authorize::<perm::ContestView>()?;
    let db = &state.store.db;
    let c = match cs::get(db, &cap, ContestId(id)).await {
        Ok(c) => c,
        Err(StoreError::NotFound) => return Err(AppError::NotFound),
        Err(e) => return Err(e.into()),
    };
    let none = || {
        Ok(a.redirect(
            &format!("/contests/{id}"),
            Flash::error("contests-no-certificates"),
        ))
    };
    if c.status != ContestStatus::Published {
        return none();
    }
    let lines = cs::results(db, &cap, ContestId(id)).await?;
    let entry = q.entry.trim().parse::<i64>().ok();
    let base = verify_base(&state.config);
    let date = c
        .published_on
        .map(|d| format!("{}年{}月{}日", d.year(), d.month(), d.day()))
        .unwrap_or_default();
    let certs: Vec<certificate::CertificateText> = lines
        .into_iter()
        .filter(|l| entry.is_none_or(|e| l.entry.0 == e))
        .filter_map(|l| {
            let code = l.certificate?;
            let tier = l.placing?.tier?;
            Some(certificate::CertificateText {
                union: c.organizer_name.clone(),
                recipient: l.entrants,
                school: l.school_name,
                contest: c.name.clone(),
                title: l.title,
                prize: prize_zh(tier).to_string(),
                date: date.clone(),
                verify_url: format!("{base}/certificates/verify?code={code}"),
                code,
                honour: false,
            })
        })
        .collect();
    if certs.is_empty() {
        return none();
    }
    let name = format!("{}-{}.pdf", c.name, a.tr.t("contests-certificate"));
    certificate_pdf(
        &a,
        certs,
        &name,
        &format!("certificates-{id}.pdf"),
        &format!("/contests/{id}/results"),
    )
    .await
}

/// Draws `certs` as one PDF (a page each) and sends it as a download named `name`
/// (`ascii` for old clients); without a CJK font, back to `back` with the message naming
/// the fix. Shared by the contests' and the commendations' certificates.
pub(crate) async fn certificate_pdf(
    a: &Auth,
    certs: Vec<certificate::CertificateText>,
    name: &str,
    ascii: &str,
    back: &str,
) -> AppResult {
    let font = match certificate::font() {
        Ok(f) => f,
        Err(e) => {
            tracing::warn!(error = %e, "certificates");
            return Ok(a.redirect(back, Flash::error("contests-font-missing")));
        }
    };
    let pdf = tokio::task::spawn_blocking(move || certificate::render(&font, &certs))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let encoded: String = form_urlencoded::byte_serialize(name.as_bytes())
        .collect::<String>()
        .replace('+', "%20");
    Ok(axum::response::IntoResponse::into_response((
        [
            (
                axum::http::header::CONTENT_TYPE,
                "application/pdf".to_string(),
            ),
            (
                axum::http::header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}"),
            ),
            (axum::http::header::CACHE_CONTROL, "no-store".to_string()),
        ],
        pdf,
    )))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct VerifyQuery {
    code: String,
}

/// A certificate confirmed genuine, as shown.
pub struct VerifiedView {
    pub entrants: String,
    pub school: String,
    pub contest: String,
    pub title: String,
    pub prize: String,
    pub organizer: String,
    pub date: String,
    /// An honour of a commendation (the award and its kind) rather than a contest prize.
    pub honour: bool,
}

#[derive(Template)]
#[template(path = "contests/verify.html")]
struct VerifyPage {
    p: Chrome,
    code: String,
    asked: bool,
    found: Option<VerifiedView>,
}

/// `/certificates/verify?code=…`: public, no login. A genuine code shows what the
/// certificate says; any other answers "not genuine".
pub async fn verify(
    State(state): State<AppState>,
    ctx: crate::Ctx,
    Query(q): Query<VerifyQuery>,
) -> AppResult {
    let code: String = q.code.trim().chars().take(20).collect();
    let asked = !code.is_empty();
    let tr = ctx.tr;
    let found = if !asked {
        None
    } else if let Some(v) = cs::verify(&state.store.db, &code).await? {
        Some(VerifiedView {
            entrants: v.entrants,
            school: v.school,
            contest: v.contest,
            title: v.title,
            prize: tr.label(v.tier),
            organizer: v.organizer,
            date: v.published_on.map(|d| tr.date(&d)).unwrap_or_default(),
            honour: false,
        })
    } else {
        store::commendations::verify(&state.store.db, &code)
            .await?
            .map(|v| VerifiedView {
                entrants: v.nominee,
                school: v.school,
                contest: v.award,
                title: String::new(),
                prize: tr.label(v.kind),
                organizer: v.organizer,
                date: v.awarded_on.map(|d| tr.date(&d)).unwrap_or_default(),
                honour: true,
            })
    };
    ctx.render(&VerifyPage {
        p: Chrome::new(&ctx, "contests-verify-title"),
        code,
        asked,
        found,
    })
}
