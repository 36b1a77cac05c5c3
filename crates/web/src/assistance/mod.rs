//! Assistance (帮扶) on the web: the hardship files of the reader's schools (masked list
//! with filters and pages; the district sees every school of its tree), drafting a file
//! with its household and the income test, the chair's confirmation, the yearly review and
//! leaving the file.
//!
//! Lists and the file page never show an income, an illness or a household: a full view is
//! a POST (`/reveal`) that the store audits before it decrypts. No page here is reachable
//! without an assistance permission over the file's school; out of scope is 404.

mod campaigns;
mod contacts;
mod rules;
mod visits;

use crate::area::{Area, Document, DocumentKind, NavEntry};
use crate::chrome::{Chrome, Opt, coded_options};
use crate::congress::{into_fields, refused};
use crate::ctx::{Auth, Flash};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::{Guard, Permission as P, RouteTable};
use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use domain::FieldErrors;
use domain::assistance::*;
use domain::auth::{Permission, perm};
use domain::ids::OrgUnitId;
use domain::org::Coded;
use serde::Deserialize;
use store::StoreError;
use store::assistance::files::{self, FileRow, Filter, FullFile, HistoryEntry};
use store::assistance::grants;

/// Rows per page of the file list.
const PAGE: i64 = 50;

const HOUSEHOLD_FIXTURE: &[(&str, &str)] = &[
    ("household_size", "3"),
    ("relation0", "member"),
    ("age0", "45"),
    ("income0", "1200"),
    ("status0", "illness"),
    ("causes", "illness"),
];

fn routes(t: RouteTable) -> RouteTable {
    t.get("/assistance", Guard::staff(P::AssistanceView), list)
        .get(
            "/assistance/files/new",
            Guard::staff(P::AssistanceDraft),
            new_page,
        )
        .post(
            "/assistance/files/new",
            Guard::staff(P::AssistanceDraft).form(&[
                ("member", "{member}"),
                ("household_size", "3"),
                ("relation0", "member"),
                ("age0", "45"),
                ("income0", "1200"),
                ("status0", "illness"),
                ("causes", "illness"),
            ]),
            create,
        )
        .get(
            "/assistance/files/{id}",
            Guard::staff(P::AssistanceView),
            show,
        )
        .post(
            "/assistance/files/{id}/reveal",
            Guard::staff(P::AssistanceView).button(),
            reveal,
        )
        .post(
            "/assistance/files/{id}/confirm",
            Guard::staff(P::AssistanceConfirm).button(),
            confirm,
        )
        .post(
            "/assistance/files/{id}/grant",
            Guard::staff(P::AssistanceDraft).form(&[("amount", "500"), ("reason", "住院治疗")]),
            apply_grant,
        )
        .post(
            "/assistance/grants/{id}/approve",
            Guard::staff(P::AssistanceConfirm).button(),
            approve_grant,
        )
        .post(
            "/assistance/grants/{id}/pay",
            Guard::staff(P::AssistanceConfirm).button(),
            pay_grant,
        )
        .get(
            "/assistance/fund",
            Guard::staff(P::AssistanceView),
            fund_page,
        )
        .post(
            "/assistance/fund/income",
            Guard::staff(P::AssistanceConfirm).form(&[
                ("unit", "{school}"),
                ("kind", "allocation"),
                ("amount", "1000"),
            ]),
            add_income,
        )
        .post(
            "/assistance/files/{id}/review",
            Guard::staff(P::AssistanceDraft).form(HOUSEHOLD_FIXTURE),
            review,
        )
        .post(
            "/assistance/files/{id}/exit",
            Guard::staff(P::AssistanceDraft).form(&[("reason", "家庭收入好转")]),
            exit,
        )
        .get(
            "/assistance/visits",
            Guard::staff(P::AssistanceView),
            visits::list,
        )
        .get(
            "/assistance/visits/new",
            Guard::staff(P::AssistanceDraft),
            visits::new_page,
        )
        .post(
            "/assistance/visits/new",
            Guard::staff(P::AssistanceDraft).form(&[
                ("member", "{member}"),
                ("visit_type", "hospitalisation"),
                ("visited_on", "{today}"),
                ("visitors", "工会主席"),
                ("amount", "100"),
                ("note", "住院手术"),
            ]),
            visits::create,
        )
        .get(
            "/assistance/visits/report",
            Guard::staff(P::AssistanceDraft),
            visits::report_page,
        )
        .post(
            "/assistance/visits/report",
            Guard::staff(P::AssistanceDraft).form(&[
                ("member", "{member}"),
                ("visit_type", "bereavement"),
                ("visited_on", "{today}"),
                ("note", "父亲去世"),
            ]),
            visits::report,
        )
        .get(
            "/assistance/visits/{id}",
            Guard::staff(P::AssistanceView),
            visits::show,
        )
        .post(
            "/assistance/visits/{id}/reveal",
            Guard::staff(P::AssistanceView).button(),
            visits::reveal,
        )
        .get(
            "/assistance/birthdays",
            Guard::staff(P::AssistanceView),
            visits::birthdays,
        )
        .get(
            "/assistance/birthdays.xlsx",
            Guard::staff(P::AssistanceView),
            visits::birthdays_xlsx,
        )
        .get(
            "/assistance/payout.xlsx",
            Guard::staff(P::AssistanceConfirm),
            visits::payout_xlsx,
        )
        .get(
            "/assistance/campaigns",
            Guard::staff(P::AssistanceView),
            campaigns::list,
        )
        .post(
            "/assistance/campaigns",
            Guard::staff(P::AssistanceConfirm).form(&[
                ("unit", "{school}"),
                ("kind", "warmth"),
                ("name", "元旦春节送温暖"),
                ("from", "{today}"),
                ("to", "{today}"),
                ("budget", "1000"),
            ]),
            campaigns::create,
        )
        .get(
            "/assistance/campaigns/{id}",
            Guard::staff(P::AssistanceView),
            campaigns::show,
        )
        .get(
            "/assistance/campaigns/{id}/sheet",
            Guard::staff(P::AssistanceView),
            campaigns::sheet,
        )
        .get(
            "/assistance/contacts",
            Guard::staff(P::AssistanceView),
            contacts::page,
        )
        .post(
            "/assistance/contacts",
            Guard::staff(P::AssistanceDraft).form(&[
                ("unit", "{school}"),
                ("name", "退协联络员"),
                ("title", "联络员"),
                ("phone", "13900001234"),
            ]),
            contacts::add,
        )
        .post(
            "/assistance/contacts/{id}/reveal",
            Guard::staff(P::AssistanceView).button(),
            contacts::reveal,
        )
        .post(
            "/assistance/contacts/{id}/remove",
            Guard::staff(P::AssistanceDraft).button(),
            contacts::remove,
        )
        .get(
            "/assistance/rules/{id}",
            Guard::staff(P::AssistanceView),
            rules::page,
        )
        .post(
            "/assistance/rules/{id}",
            Guard::staff(P::AssistanceConfirm).form(&[
                ("low_income", "1000"),
                ("relative_multiple", "1.5"),
                ("review_months", "12"),
                ("grant_cap_deep", "5000"),
                ("grant_cap_relative", "2000"),
                ("visit_year_cap", "2000"),
                ("visit_due_days", "30"),
                ("visit_hospitalisation_keep", "on"),
                ("visit_hospitalisation_cap", "500"),
                ("visit_hospitalisation_trigger", "report"),
                ("note", "本校标准"),
            ]),
            rules::save,
        )
        .post(
            "/assistance/campaigns/{id}/add",
            Guard::staff(P::AssistanceDraft).form(&[
                ("file", "0"),
                ("amount", "100"),
                ("reason", "送温暖"),
            ]),
            campaigns::add,
        )
}

/// The assistance area.
pub static AREA: Area = Area {
    name: "assistance",
    routes: |t, _| routes(t),
    nav: &[
        NavEntry {
            href: "/assistance",
            label_key: "nav-assistance",
            permission: Some(Permission::AssistanceView),
            rank: 75,
        },
        NavEntry {
            href: "/assistance/fund",
            label_key: "nav-assistance-fund",
            permission: Some(Permission::AssistanceView),
            rank: 76,
        },
        NavEntry {
            href: "/assistance/visits",
            label_key: "nav-assistance-visits",
            permission: Some(Permission::AssistanceView),
            rank: 76,
        },
        NavEntry {
            href: "/assistance/campaigns",
            label_key: "nav-assistance-campaigns",
            permission: Some(Permission::AssistanceView),
            rank: 76,
        },
        NavEntry {
            href: "/assistance/contacts",
            label_key: "nav-assistance-contacts",
            permission: Some(Permission::AssistanceView),
            rank: 77,
        },
        NavEntry {
            href: "/assistance/birthdays",
            label_key: "nav-assistance-birthdays",
            permission: Some(Permission::AssistanceView),
            rank: 76,
        },
    ],
    documents: &[
        Document {
            label_key: "doc-assistance-birthdays",
            path: "/assistance/birthdays",
            kind: DocumentKind::Print,
            method: crate::Method::Get,
        },
        Document {
            label_key: "doc-assistance-birthdays-xlsx",
            path: "/assistance/birthdays.xlsx",
            kind: DocumentKind::Xlsx,
            method: crate::Method::Get,
        },
        Document {
            label_key: "doc-assistance-payout",
            path: "/assistance/payout.xlsx",
            kind: DocumentKind::Xlsx,
            method: crate::Method::Get,
        },
    ],
};

/// A file as a list row or the head of its page: no household, no income.
pub struct RowView {
    pub id: i64,
    pub member: String,
    pub school: String,
    pub status: String,
    pub status_code: &'static str,
    pub level: String,
    pub level_code: &'static str,
    pub drafted_on: String,
    pub opened_on: String,
    pub review_due: String,
    pub review_overdue: bool,
    pub exited_on: String,
}

fn row_view(tr: &crate::i18n::Tr, r: &FileRow, today: chrono::NaiveDate) -> RowView {
    RowView {
        id: r.id.0,
        member: r.member_name.clone(),
        school: r.school_name.clone(),
        status: tr.label(r.status),
        status_code: r.status.code(),
        level: tr.label(r.level),
        level_code: r.level.code(),
        drafted_on: tr.date(&r.drafted_on),
        opened_on: tr.opt_date(&r.opened_on),
        review_due: tr.opt_date(&r.review_due),
        review_overdue: r.status == FileStatus::Open && r.review_due.is_some_and(|d| d < today),
        exited_on: tr.opt_date(&r.exited_on),
    }
}

fn today() -> chrono::NaiveDate {
    chrono::Utc::now().date_naive()
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ListQuery {
    status: String,
    level: String,
    unit: String,
    year: String,
    before: String,
}

#[derive(Template)]
#[template(path = "assistance/list.html")]
struct ListPage {
    p: Chrome,
    rows: Vec<RowView>,
    statuses: Vec<Opt>,
    levels: Vec<Opt>,
    unit: String,
    year: String,
    next: Option<String>,
    filtered: bool,
    can_draft: bool,
    /// The reader's own unit, whose rule set `/assistance/rules/{id}` shows.
    rules_unit: Option<i64>,
}

pub async fn list(State(state): State<AppState>, a: Auth, Query(q): Query<ListQuery>) -> AppResult {
    let cap = a.actor.authorize::<perm::AssistanceView>()?;
    let filter = Filter {
        status: FileStatus::from_code(q.status.trim()),
        level: HardshipLevel::from_code(q.level.trim()),
        unit: q.unit.trim().parse::<i64>().ok().map(OrgUnitId),
        year: q.year.trim().parse::<i32>().ok(),
        before: q.before.trim().parse::<i64>().ok(),
    };
    let mut rows = files::list(&state.store.db, &cap, &filter, PAGE + 1).await?;
    let next = if rows.len() as i64 > PAGE {
        rows.truncate(PAGE as usize);
        rows.last().map(|r| {
            format!(
                "/assistance?status={}&level={}&unit={}&year={}&before={}",
                q.status.trim(),
                q.level.trim(),
                q.unit.trim(),
                q.year.trim(),
                r.id.0
            )
        })
    } else {
        None
    };
    let tr = a.tr;
    let t = today();
    a.render(&ListPage {
        p: Chrome::new(&a, "assistance-title"),
        rows: rows.iter().map(|r| row_view(&tr, r, t)).collect(),
        statuses: coded_options::<FileStatus>(&tr, q.status.trim(), Some("assistance-all")),
        levels: coded_options::<HardshipLevel>(&tr, q.level.trim(), Some("assistance-all")),
        unit: filter.unit.map(|u| u.0.to_string()).unwrap_or_default(),
        year: filter.year.map(|y| y.to_string()).unwrap_or_default(),
        next,
        filtered: filter.status.is_some()
            || filter.level.is_some()
            || filter.unit.is_some()
            || filter.year.is_some(),
        can_draft: a.actor.may(Permission::AssistanceDraft),
        rules_unit: a
            .actor
            .roots_for(Permission::AssistanceView)
            .first()
            .map(|u| u.0),
    })
}

/// The file form as typed: the member, the household rows, the causes, the note.
#[derive(Clone, Debug, Default)]
pub struct FileForm {
    pub member: String,
    pub input: HouseholdInput,
}

impl FileForm {
    fn from_pairs(pairs: Vec<(String, String)>) -> FileForm {
        let mut f = FileForm::default();
        f.input.rows = vec![Default::default(); MAX_PEOPLE];
        for (k, v) in pairs {
            match k.as_str() {
                "member" => f.member = v,
                "household_size" => f.input.size = v,
                "causes" => f.input.causes.push(v),
                "note" => f.input.note = v,
                _ => {
                    for (i, names) in ROW_FIELDS.iter().enumerate() {
                        if let Some(j) = names.iter().position(|n| *n == k) {
                            let r = &mut f.input.rows[i];
                            match j {
                                0 => r.0 = v.clone(),
                                1 => r.1 = v.clone(),
                                2 => r.2 = v.clone(),
                                _ => r.3 = v.clone(),
                            }
                        }
                    }
                }
            }
        }
        f
    }
}

/// One household row of the form.
pub struct PersonRow {
    pub relation_field: &'static str,
    pub age_field: &'static str,
    pub income_field: &'static str,
    pub status_field: &'static str,
    pub relations: Vec<Opt>,
    pub statuses: Vec<Opt>,
    pub age: String,
    pub income: String,
    /// (field, message) of each error of the row.
    pub errors: Vec<(&'static str, String)>,
    pub invalid: bool,
}

/// One cause checkbox.
pub struct CauseBox {
    pub code: &'static str,
    pub label: String,
    pub checked: bool,
}

#[derive(Template)]
#[template(path = "assistance/file_form.html")]
struct FormPage {
    p: Chrome,
    action: String,
    /// Drafting names the member; a review does not.
    with_member: bool,
    member: String,
    size: String,
    people: Vec<PersonRow>,
    causes: Vec<CauseBox>,
    note: String,
    errors: FieldErrors,
    error_texts: Vec<(String, String)>,
    back: String,
}

/// The household rows and cause boxes of a form, with the typed values and their errors.
fn household_fields(
    tr: &crate::i18n::Tr,
    input: &HouseholdInput,
    errors: &FieldErrors,
) -> (Vec<PersonRow>, Vec<CauseBox>) {
    let mut rows = input.rows.clone();
    rows.resize(MAX_PEOPLE, Default::default());
    let people = rows
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let names = ROW_FIELDS[i];
            let errs: Vec<(&'static str, String)> = names
                .iter()
                .filter_map(|n| errors.get(n).map(|e| (*n, tr.fe(e))))
                .collect();
            PersonRow {
                relation_field: names[0],
                age_field: names[1],
                income_field: names[2],
                status_field: names[3],
                relations: coded_options::<Relation>(tr, &r.0, Some("choose")),
                statuses: coded_options::<PersonStatus>(tr, &r.3, Some("choose")),
                age: r.1.clone(),
                income: r.2.clone(),
                invalid: !errs.is_empty(),
                errors: errs,
            }
        })
        .collect();
    let causes = Cause::all()
        .iter()
        .map(|c| CauseBox {
            code: c.code(),
            label: tr.label(*c),
            checked: input
                .causes
                .iter()
                .any(|x| Cause::parse_loose(x) == Some(*c)),
        })
        .collect();
    (people, causes)
}

fn form_page(
    a: &Auth,
    f: &FileForm,
    errors: FieldErrors,
    action: String,
    back: String,
) -> AppResult {
    let tr = a.tr;
    let (people, causes) = household_fields(&tr, &f.input, &errors);
    let error_texts = errors
        .0
        .iter()
        .map(|e| (e.field.to_string(), tr.fe(e)))
        .collect();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let title = if f.member.is_empty() && action.ends_with("/review") {
        "assistance-review-title"
    } else {
        "assistance-new-title"
    };
    let p = Chrome::new(a, title).crumb(tr.t("nav-assistance"), Some("/assistance".into()));
    let mut r = a.render(&FormPage {
        p,
        with_member: !action.ends_with("/review"),
        action,
        member: f.member.clone(),
        size: f.input.size.clone(),
        people,
        causes,
        note: f.input.note.clone(),
        errors,
        error_texts,
        back,
    })?;
    *r.status_mut() = status;
    Ok(r)
}

pub async fn new_page(a: Auth) -> AppResult {
    a.actor.authorize::<perm::AssistanceDraft>()?;
    form_page(
        &a,
        &FileForm::default(),
        FieldErrors::default(),
        "/assistance/files/new".into(),
        "/assistance".into(),
    )
}

pub async fn create(
    State(state): State<AppState>,
    a: Auth,
    Form(pairs): Form<Vec<(String, String)>>,
) -> AppResult {
    let cap = a.actor.authorize::<perm::AssistanceDraft>()?;
    let f = FileForm::from_pairs(pairs);
    let mut errors = FieldErrors::default();
    if f.member.trim().is_empty() {
        errors.push(domain::FieldError::new("member", domain::text::REQUIRED));
    }
    match f.input.parse() {
        Ok(h) if errors.is_empty() => {
            match files::draft(&state.store, &cap, &a.who(), &f.member, &h, today()).await {
                Ok(id) => {
                    return Ok(a.redirect(
                        &format!("/assistance/files/{id}"),
                        Flash::ok("assistance-drafted"),
                    ));
                }
                Err(e) => into_fields(e, &mut errors)?,
            }
        }
        Ok(_) => {}
        Err(e) => errors.0.extend(e.0),
    }
    form_page(
        &a,
        &f,
        errors,
        "/assistance/files/new".into(),
        "/assistance".into(),
    )
}

/// One step of the history as shown.
pub struct HistoryView {
    pub kind: String,
    pub level: String,
    pub on: String,
    pub by: String,
    pub income: String,
}

fn history_view(tr: &crate::i18n::Tr, h: &[HistoryEntry]) -> Vec<HistoryView> {
    h.iter()
        .map(|e| HistoryView {
            kind: tr.label(e.kind),
            level: tr.opt_label(e.level),
            on: tr.date(&e.on),
            by: e.by.clone(),
            income: e.income_fen.map(yuan).unwrap_or_default(),
        })
        .collect()
}

/// The household as the full view shows it.
pub struct PersonView {
    pub relation: String,
    pub age: u32,
    pub income: String,
    pub status: String,
}

#[derive(Template)]
#[template(path = "assistance/file.html")]
struct ShowPage {
    p: Chrome,
    f: RowView,
    history: Vec<HistoryView>,
    /// The full view (after `/reveal`, audited).
    full: Option<FullView>,
    can_confirm: bool,
    can_edit: bool,
    can_review: bool,
    /// The review form, filled from the full view.
    size: String,
    people: Vec<PersonRow>,
    causes: Vec<CauseBox>,
    note: String,
    errors: FieldErrors,
}

pub struct FullView {
    pub size: u32,
    pub people: Vec<PersonView>,
    pub causes: Vec<String>,
    pub note: String,
    pub income: String,
    pub exit_reason: String,
}

async fn show_page(
    a: &Auth,
    row: &FileRow,
    history: &[HistoryEntry],
    full: Option<&FullFile>,
) -> AppResult {
    let tr = a.tr;
    let in_scope = |p: Permission| a.actor.may(p);
    let input = full
        .map(|f| HouseholdInput::from_household(&f.household))
        .unwrap_or_default();
    let errors = FieldErrors::default();
    let (people, causes) = household_fields(&tr, &input, &errors);
    let full = full.map(|f| FullView {
        size: f.household.size,
        people: f
            .household
            .people
            .iter()
            .map(|p| PersonView {
                relation: tr.label(p.relation),
                age: p.age,
                income: yuan(p.income_fen),
                status: tr.label(p.status),
            })
            .collect(),
        causes: f.household.causes.iter().map(|c| tr.label(*c)).collect(),
        note: f.household.note.clone(),
        income: yuan(f.income_fen),
        exit_reason: f.exit_reason.clone().unwrap_or_default(),
    });
    let p = Chrome::new(a, "assistance-file-title")
        .title_text(format!("#{} {}", row.id.0, row.member_name))
        .crumb(tr.t("nav-assistance"), Some("/assistance".into()))
        .crumb(format!("#{}", row.id.0), None);
    a.render(&ShowPage {
        p,
        f: row_view(&tr, row, today()),
        history: history_view(&tr, history),
        full,
        can_confirm: in_scope(Permission::AssistanceConfirm) && row.status == FileStatus::Draft,
        can_edit: in_scope(Permission::AssistanceDraft) && row.status != FileStatus::Exited,
        can_review: in_scope(Permission::AssistanceDraft) && row.status == FileStatus::Open,
        size: input.size.clone(),
        people,
        causes,
        note: input.note.clone(),
        errors,
    })
}

pub async fn show(State(state): State<AppState>, a: Auth, Path(id): Path<i64>) -> AppResult {
    let cap = a.actor.authorize::<perm::AssistanceView>()?;
    let (row, history) = files::get(&state.store.db, &cap, HardshipFileId(id)).await?;
    show_page(&a, &row, &history, None).await
}

pub async fn reveal(State(state): State<AppState>, a: Auth, Path(id): Path<i64>) -> AppResult {
    let cap = a.actor.authorize::<perm::AssistanceView>()?;
    let full = files::reveal(&state.store, &cap, &a.who(), HardshipFileId(id)).await?;
    show_page(&a, &full.row, &full.history, Some(&full)).await
}

pub async fn confirm(State(state): State<AppState>, a: Auth, Path(id): Path<i64>) -> AppResult {
    let cap = a.actor.authorize::<perm::AssistanceConfirm>()?;
    let back = format!("/assistance/files/{id}");
    match files::confirm(&state.store, &cap, &a.who(), HardshipFileId(id), today()).await {
        Ok(()) => Ok(a.redirect(&back, Flash::ok("assistance-confirmed"))),
        Err(StoreError::NotFound) => Err(AppError::NotFound),
        Err(e) => refused(&a, &back, e),
    }
}

pub async fn review(
    State(state): State<AppState>,
    a: Auth,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> AppResult {
    let cap = a.actor.authorize::<perm::AssistanceDraft>()?;
    let back = format!("/assistance/files/{id}");
    let f = FileForm::from_pairs(pairs);
    let mut errors = FieldErrors::default();
    match f.input.parse() {
        Ok(h) => match files::review(
            &state.store,
            &cap,
            &a.who(),
            HardshipFileId(id),
            &h,
            today(),
        )
        .await
        {
            Ok(_) => return Ok(a.redirect(&back, Flash::ok("assistance-reviewed"))),
            Err(StoreError::NotFound) => return Err(AppError::NotFound),
            Err(e) => into_fields(e, &mut errors)?,
        },
        Err(e) => errors.0.extend(e.0),
    }
    // Nothing typed is lost: the form comes back with the values and the errors.
    form_page(&a, &f, errors, format!("{back}/review"), back)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ExitForm {
    reason: String,
}

pub async fn exit(
    State(state): State<AppState>,
    a: Auth,
    Path(id): Path<i64>,
    Form(f): Form<ExitForm>,
) -> AppResult {
    let cap = a.actor.authorize::<perm::AssistanceDraft>()?;
    let back = format!("/assistance/files/{id}");
    match files::exit(
        &state.store,
        &cap,
        &a.who(),
        HardshipFileId(id),
        &f.reason,
        today(),
    )
    .await
    {
        Ok(()) => Ok(a.redirect(&back, Flash::ok("assistance-exited"))),
        Err(StoreError::NotFound) => Err(AppError::NotFound),
        Err(e) => refused(&a, &back, e),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct GrantForm {
    amount: String,
    reason: String,
}

/// The school applies for a grant on an open file; refusals (cap, file not open) come back
/// on the file page as a message naming the rule.
pub async fn apply_grant(
    State(state): State<AppState>,
    a: Auth,
    Path(id): Path<i64>,
    Form(f): Form<GrantForm>,
) -> AppResult {
    let cap = a.actor.authorize::<perm::AssistanceDraft>()?;
    let back = format!("/assistance/files/{id}");
    let amount = match parse_amount("amount", &f.amount) {
        Ok(v) => v,
        Err(e) => return refused(&a, &back, StoreError::Invalid(FieldErrors(vec![e]))),
    };
    match grants::apply(
        &state.store,
        &cap,
        &a.who(),
        HardshipFileId(id),
        amount,
        &f.reason,
        today(),
    )
    .await
    {
        Ok(_) => Ok(a.redirect("/assistance/fund", Flash::ok("assistance-grant-applied"))),
        Err(StoreError::NotFound) => Err(AppError::NotFound),
        Err(e) => refused(&a, &back, e),
    }
}

/// The school's approval, then the district's (two different people): one button, the
/// grant's status decides which step it is.
pub async fn approve_grant(
    State(state): State<AppState>,
    a: Auth,
    Path(id): Path<i64>,
) -> AppResult {
    let cap = a.actor.authorize::<perm::AssistanceConfirm>()?;
    let back = "/assistance/fund";
    let g = match grants::get(&state.store, &a.actor.authorize()?, GrantId(id)).await {
        Ok(g) => g,
        Err(StoreError::NotFound) => return Err(AppError::NotFound),
        Err(e) => return Err(e.into()),
    };
    let r = match g.status {
        GrantStatus::Applied => grants::approve_school(&state.store, &cap, &a.who(), g.id).await,
        _ => grants::approve_district(&state.store, &cap, &a.who(), g.id).await,
    };
    match r {
        Ok(()) => Ok(a.redirect(back, Flash::ok("assistance-grant-approved"))),
        Err(StoreError::NotFound) => Err(AppError::NotFound),
        Err(e) => refused(&a, back, e),
    }
}

/// Pays an approved grant from the fund; a fund that holds too little is named with its
/// balance and nothing changes.
pub async fn pay_grant(State(state): State<AppState>, a: Auth, Path(id): Path<i64>) -> AppResult {
    let cap = a.actor.authorize::<perm::AssistanceConfirm>()?;
    let back = "/assistance/fund";
    match grants::pay(&state.store, &cap, &a.who(), GrantId(id), today()).await {
        Ok(_) => Ok(a.redirect(back, Flash::ok("assistance-grant-paid"))),
        Err(StoreError::NotFound) => Err(AppError::NotFound),
        Err(e) => refused(&a, back, e),
    }
}

/// A fund's line on its page.
pub struct FundView {
    pub unit: i64,
    pub name: String,
    pub balance: String,
}

/// A grant's line in the year's table.
pub struct GrantView {
    pub id: i64,
    pub file_id: i64,
    pub member: String,
    pub school: String,
    pub amount: String,
    pub status: String,
    pub status_code: &'static str,
    pub paid_on: String,
    pub can_approve: bool,
    pub can_pay: bool,
}

#[derive(Template)]
#[template(path = "assistance/fund.html")]
struct FundPage {
    p: Chrome,
    funds: Vec<FundView>,
    grants: Vec<GrantView>,
    year: i32,
    can_manage: bool,
    kinds: Vec<Opt>,
    unit: String,
}

pub async fn fund_page(State(state): State<AppState>, a: Auth) -> AppResult {
    let cap = a.actor.authorize::<perm::AssistanceView>()?;
    let db = &state.store.db;
    let tr = a.tr;
    let year = chrono::Datelike::year(&today());
    let can_manage = a.actor.may(Permission::AssistanceConfirm);
    let funds = grants::funds(db, &cap)
        .await?
        .into_iter()
        .map(|(u, name, b)| FundView {
            unit: u.0,
            name,
            balance: yuan(b),
        })
        .collect();
    let grants = grants::of_year(db, &cap, year, 500)
        .await?
        .into_iter()
        .map(|g| GrantView {
            id: g.id.0,
            file_id: g.file_id.0,
            member: g.member_name,
            school: g.school_name,
            amount: yuan(g.amount_fen),
            status: tr.label(g.status),
            status_code: g.status.code(),
            paid_on: tr.opt_date(&g.paid_on),
            can_approve: can_manage
                && matches!(g.status, GrantStatus::Applied | GrantStatus::SchoolApproved),
            can_pay: can_manage && g.status == GrantStatus::Approved,
        })
        .collect();
    let unit = cap
        .scope()
        .roots()
        .and_then(|r| r.first())
        .map(|u| u.0.to_string())
        .unwrap_or_default();
    let kinds = vec![
        Opt::new(
            FundEntryKind::Allocation.code(),
            tr.label(FundEntryKind::Allocation),
            true,
        ),
        Opt::new(
            FundEntryKind::Donation.code(),
            tr.label(FundEntryKind::Donation),
            false,
        ),
    ];
    let p = Chrome::new(&a, "assistance-fund-title")
        .crumb(tr.t("nav-assistance"), Some("/assistance".into()));
    a.render(&FundPage {
        p,
        funds,
        grants,
        year,
        can_manage,
        kinds,
        unit,
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct IncomeForm {
    unit: String,
    kind: String,
    amount: String,
}

pub async fn add_income(
    State(state): State<AppState>,
    a: Auth,
    Form(f): Form<IncomeForm>,
) -> AppResult {
    let cap = a.actor.authorize::<perm::AssistanceConfirm>()?;
    let back = "/assistance/fund";
    let amount = match parse_amount("amount", &f.amount) {
        Ok(v) => v,
        Err(e) => return refused(&a, back, StoreError::Invalid(FieldErrors(vec![e]))),
    };
    let kind = FundEntryKind::from_code(f.kind.trim()).unwrap_or(FundEntryKind::Allocation);
    let Ok(unit) = f.unit.trim().parse::<i64>() else {
        return Err(AppError::NotFound);
    };
    match grants::add_income(
        &state.store,
        &cap,
        &a.who(),
        OrgUnitId(unit),
        kind,
        amount,
        today(),
    )
    .await
    {
        Ok(_) => Ok(a.redirect(back, Flash::ok("assistance-fund-income-added"))),
        Err(StoreError::NotFound) => Err(AppError::NotFound),
        Err(e) => refused(&a, back, e),
    }
}
