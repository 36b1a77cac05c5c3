//! Must-visits and condolences on the web (五必访, 慰问): the due list of the reader's
//! schools, recording a visit (with the caps of the rule set named in a refusal), a school's
//! report of an event, a visit's masked page and its audited full view; the year's visits by
//! type. Also the retirees' round birthdays (a print view for 重阳节) and the payout list for
//! the finance office (.xlsx, audited as an export).
//!
//! Never shows a visit's note outside the audited full view; never names a member in a due
//! item (the store's reminders carry a number only).

use super::today;
use crate::chrome::{Chrome, Opt, coded_options};
use crate::congress::into_fields;
use crate::ctx::{Auth, Flash};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use chrono::{Datelike, NaiveDate};
use domain::FieldErrors;
use domain::assistance::*;
use domain::auth::{Permission, perm};
use domain::ids::OrgUnitId;
use domain::org::Coded;
use serde::Deserialize;
use store::StoreError;
use store::assistance::payout::{self, Paid};
use store::assistance::visits::{self, DueVisit, VisitRow};

/// A due visit as the list shows it.
pub struct DueView {
    pub member: String,
    pub school: String,
    pub visit_type: String,
    pub trigger: String,
    pub event_on: String,
    pub due_on: String,
    pub overdue: bool,
    pub href: String,
}

fn due_view(tr: &crate::i18n::Tr, d: &DueVisit, today: NaiveDate) -> DueView {
    let mut href = format!(
        "/assistance/visits/new?member=%23{}&visit_type={}",
        d.member_id.0,
        d.visit_type.code()
    );
    if let Some(r) = d.report_id {
        href.push_str(&format!("&report={}", r.0));
    }
    DueView {
        member: d.member_name.clone(),
        school: d.school_name.clone(),
        visit_type: tr.label(d.visit_type),
        trigger: tr.label(d.trigger),
        event_on: tr.date(&d.event_on),
        due_on: tr.date(&d.due_on),
        overdue: d.due_on < today,
        href,
    }
}

/// A visit as the list shows it (no note).
pub struct VisitView {
    pub id: i64,
    pub member: String,
    pub school: String,
    pub visit_type: String,
    pub trigger: String,
    pub visited_on: String,
    pub visitors: String,
    pub amount: String,
}

fn visit_view(tr: &crate::i18n::Tr, v: &VisitRow) -> VisitView {
    VisitView {
        id: v.id.0,
        member: v.member_name.clone(),
        school: v.school_name.clone(),
        visit_type: tr.label(v.visit_type),
        trigger: tr.label(v.trigger),
        visited_on: tr.date(&v.visited_on),
        visitors: v.visitors.clone(),
        amount: yuan(v.amount_fen),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct VisitsQuery {
    unit: String,
    year: String,
    page: String,
}

/// Rows per page of the due list (a district's list runs to thousands before a campaign).
const DUE_PAGE: usize = 50;

#[derive(Template)]
#[template(path = "assistance/visits.html")]
struct VisitsPage {
    p: Chrome,
    due: Vec<DueView>,
    /// "共 N 项" of the whole due list.
    due_total: String,
    /// (school, href narrowing the list to it, owed, overdue), most overdue first.
    due_schools: Vec<(String, String, usize, usize)>,
    /// "第 k / n 页", and the links to the other pages.
    page_of: String,
    prev_href: Option<String>,
    next_href: Option<String>,
    visits: Vec<VisitView>,
    /// (type, visits, amount).
    by_type: Vec<(String, i64, String)>,
    total: String,
    year: i32,
    can_record: bool,
}

pub async fn list(
    State(state): State<AppState>,
    a: Auth,
    Query(q): Query<VisitsQuery>,
) -> AppResult {
    let cap = a.actor.authorize::<perm::AssistanceView>()?;
    let db = &state.store.db;
    let tr = a.tr;
    let t = today();
    let year = q.year.trim().parse::<i32>().unwrap_or(t.year());
    let unit = q.unit.trim().parse::<i64>().ok().map(OrgUnitId);
    let pages_of = |total: usize| total.div_ceil(DUE_PAGE).max(1);
    let page = q.page.trim().parse::<usize>().unwrap_or(1).max(1);
    let due = visits::due_page(db, &cap, t, unit, (page - 1) * DUE_PAGE, DUE_PAGE).await?;
    // A page past the end (a forged number, or the list shrank) shows the last page.
    let pages = pages_of(due.total);
    let (page, due) = if page > pages {
        let last = visits::due_page(db, &cap, t, unit, (pages - 1) * DUE_PAGE, DUE_PAGE).await?;
        (pages, last)
    } else {
        (page, due)
    };
    let href = |n: usize| {
        format!(
            "/assistance/visits?unit={}&year={}&page={n}",
            unit.map(|u| u.0.to_string()).unwrap_or_default(),
            year
        )
    };
    let rows = visits::of_year(db, &cap, year, unit, 500).await?;
    let by = visits::by_type(db, &cap, year).await?;
    let total = tr.ta(
        "assistance-visits-total",
        &[
            ("count", by.iter().map(|b| b.1).sum::<i64>().to_string()),
            ("amount", yuan(by.iter().map(|b| b.2).sum::<i64>())),
        ],
    );
    let p = Chrome::new(&a, "assistance-visits-title")
        .crumb(tr.t("nav-assistance"), Some("/assistance".into()));
    a.render(&VisitsPage {
        p,
        due: due.rows.iter().map(|d| due_view(&tr, d, t)).collect(),
        due_total: tr.t1("assistance-visits-due-total", "count", due.total),
        due_schools: if due.schools.len() > 1 {
            due.schools
                .iter()
                .map(|(id, name, n, late)| {
                    (
                        name.clone(),
                        format!("/assistance/visits?unit={}&year={year}", id.0),
                        *n,
                        *late,
                    )
                })
                .collect()
        } else {
            Vec::new()
        },
        page_of: tr.ta(
            "pager-page-of",
            &[("page", page.to_string()), ("pages", pages.to_string())],
        ),
        prev_href: (page > 1).then(|| href(page - 1)),
        next_href: (page < pages).then(|| href(page + 1)),
        visits: rows.iter().map(|v| visit_view(&tr, v)).collect(),
        by_type: by
            .into_iter()
            .map(|(ty, n, fen)| (tr.label(ty), n, yuan(fen)))
            .collect(),
        total,
        year,
        can_record: a.actor.may(Permission::AssistanceDraft),
    })
}

/// The visit form as typed (also the GET's prefill from the due list).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct VisitForm {
    member: String,
    visit_type: String,
    visited_on: String,
    visitors: String,
    amount: String,
    note: String,
    report: String,
}

impl VisitForm {
    fn input(&self) -> VisitInput {
        VisitInput {
            member: self.member.clone(),
            visit_type: self.visit_type.clone(),
            visited_on: self.visited_on.clone(),
            visitors: self.visitors.clone(),
            amount: self.amount.clone(),
            note: self.note.clone(),
        }
    }
}

#[derive(Template)]
#[template(path = "assistance/visit_form.html")]
struct VisitFormPage {
    p: Chrome,
    /// `/assistance/visits/new` or `/assistance/visits/report`.
    action: &'static str,
    /// A report names the event's day and no visitors or amount.
    is_report: bool,
    f: VisitForm,
    types: Vec<Opt>,
    errors: FieldErrors,
    error_texts: Vec<String>,
}

fn visit_form_page(a: &Auth, f: VisitForm, errors: FieldErrors, is_report: bool) -> AppResult {
    let tr = a.tr;
    let types = coded_options::<VisitType>(&tr, f.visit_type.trim(), Some("choose"));
    let error_texts = errors.0.iter().map(|e| tr.fe(e)).collect();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let title = if is_report {
        "assistance-report-title"
    } else {
        "assistance-visit-new-title"
    };
    let p = Chrome::new(a, title)
        .crumb(tr.t("nav-assistance"), Some("/assistance".into()))
        .crumb(
            tr.t("assistance-visits-title"),
            Some("/assistance/visits".into()),
        );
    let mut r = a.render(&VisitFormPage {
        p,
        action: if is_report {
            "/assistance/visits/report"
        } else {
            "/assistance/visits/new"
        },
        is_report,
        f,
        types,
        errors,
        error_texts,
    })?;
    *r.status_mut() = status;
    Ok(r)
}

pub async fn new_page(a: Auth, Query(mut f): Query<VisitForm>) -> AppResult {
    a.actor.authorize::<perm::AssistanceDraft>()?;
    if f.visited_on.is_empty() {
        f.visited_on = today().to_string();
    }
    visit_form_page(&a, f, FieldErrors::default(), false)
}

pub async fn create(State(state): State<AppState>, a: Auth, Form(f): Form<VisitForm>) -> AppResult {
    let cap = a.actor.authorize::<perm::AssistanceDraft>()?;
    let mut errors = FieldErrors::default();
    let report = f.report.trim().parse::<i64>().ok().map(VisitReportId);
    match f.input().parse(today()) {
        Ok(d) => match visits::record(&state.store, &cap, &a.who(), &f.member, &d, report).await {
            Ok(id) => {
                return Ok(a.redirect(
                    &format!("/assistance/visits/{id}"),
                    Flash::ok("assistance-visit-recorded"),
                ));
            }
            Err(StoreError::NotFound) => return Err(AppError::NotFound),
            Err(e) => into_fields(e, &mut errors)?,
        },
        Err(e) => errors.0.extend(e.0),
    }
    visit_form_page(&a, f, errors, false)
}

pub async fn report_page(a: Auth, Query(mut f): Query<VisitForm>) -> AppResult {
    a.actor.authorize::<perm::AssistanceDraft>()?;
    if f.visited_on.is_empty() {
        f.visited_on = today().to_string();
    }
    visit_form_page(&a, f, FieldErrors::default(), true)
}

/// A school reports an event that calls for a visit; it joins the due list.
pub async fn report(State(state): State<AppState>, a: Auth, Form(f): Form<VisitForm>) -> AppResult {
    let cap = a.actor.authorize::<perm::AssistanceDraft>()?;
    let mut errors = FieldErrors::default();
    // The report reads the member, the type and the event's day from the visit form.
    let input = VisitInput {
        visitors: "-".into(),
        amount: String::new(),
        ..f.input()
    };
    match input.parse(today()) {
        Ok(d) => match visits::report(
            &state.store,
            &cap,
            &a.who(),
            &f.member,
            d.visit_type,
            d.visited_on,
            &d.note,
            today(),
        )
        .await
        {
            Ok(_) => {
                return Ok(a.redirect("/assistance/visits", Flash::ok("assistance-visit-reported")));
            }
            Err(e) => into_fields(e, &mut errors)?,
        },
        Err(e) => errors.0.extend(e.0),
    }
    visit_form_page(&a, f, errors, true)
}

#[derive(Template)]
#[template(path = "assistance/visit.html")]
struct VisitPage {
    p: Chrome,
    v: VisitView,
    /// The note, in the audited full view only.
    note: Option<String>,
}

async fn visit_page(a: &Auth, v: &VisitRow, note: Option<String>) -> AppResult {
    let tr = a.tr;
    let p = Chrome::new(a, "assistance-visit-title")
        .title_text(format!("{} · {}", v.member_name, tr.label(v.visit_type)))
        .crumb(tr.t("nav-assistance"), Some("/assistance".into()))
        .crumb(
            tr.t("assistance-visits-title"),
            Some("/assistance/visits".into()),
        );
    a.render(&VisitPage {
        p,
        v: visit_view(&tr, v),
        note,
    })
}

pub async fn show(State(state): State<AppState>, a: Auth, Path(id): Path<i64>) -> AppResult {
    let cap = a.actor.authorize::<perm::AssistanceView>()?;
    let v = visits::get(&state.store.db, &cap, VisitId(id)).await?;
    visit_page(&a, &v, None).await
}

pub async fn reveal(State(state): State<AppState>, a: Auth, Path(id): Path<i64>) -> AppResult {
    let cap = a.actor.authorize::<perm::AssistanceView>()?;
    let (v, note) = visits::reveal(&state.store, &cap, &a.who(), VisitId(id)).await?;
    visit_page(&a, &v, Some(note)).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PeriodQuery {
    from: String,
    to: String,
}

/// 重阳节 (the ninth day of the ninth lunar month) of a year, from a table of the years the
/// platform serves; outside it, 1 October.
pub fn double_ninth(year: i32) -> NaiveDate {
    let (m, d) = match year {
        2024 => (10, 11),
        2025 => (10, 29),
        2026 => (10, 18),
        2027 => (10, 8),
        2028 => (10, 26),
        2029 => (10, 16),
        2030 => (10, 5),
        _ => (10, 1),
    };
    NaiveDate::from_ymd_opt(year, m, d).unwrap_or(NaiveDate::MIN)
}

/// The default birthday period: the calendar year of the coming 重阳节 (those who turn 70,
/// 80 or 90 that year are honoured together on the day).
fn birthday_period(today: NaiveDate) -> (NaiveDate, NaiveDate) {
    let mut year = today.year();
    if double_ninth(year) < today {
        year += 1;
    }
    (
        NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or(today),
        NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or(today),
    )
}

pub struct BirthdayView {
    pub name: String,
    pub school: String,
    pub day: String,
    pub age: u32,
}

#[derive(Template)]
#[template(path = "assistance/birthdays.html")]
struct BirthdaysPage {
    p: Chrome,
    from: String,
    to: String,
    period: String,
    /// 重阳节 of the period's last year.
    festival: String,
    rows: Vec<BirthdayView>,
    /// (age group label, count).
    groups: Vec<(String, usize)>,
    error: Option<String>,
}

/// Retirees' round birthdays (70, 80, 90 and every year above 90) in a period, for 重阳节 or a
/// month: a print view (A4, no menu).
pub async fn birthdays(
    State(state): State<AppState>,
    a: Auth,
    Query(q): Query<PeriodQuery>,
) -> AppResult {
    let cap = a.actor.authorize::<perm::AssistanceView>()?;
    let tr = a.tr;
    let (dfrom, dto) = birthday_period(today());
    let (from_s, to_s) = (
        if q.from.trim().is_empty() {
            dfrom.to_string()
        } else {
            q.from.trim().to_string()
        },
        if q.to.trim().is_empty() {
            dto.to_string()
        } else {
            q.to.trim().to_string()
        },
    );
    let (rows, error) = match parse_period(&from_s, &to_s, BIRTHDAY_RANGE_DAYS) {
        Ok((from, to)) => {
            match store::assistance::files::birthdays(&state.store.db, &cap, from, to).await {
                Ok(r) => (r, None),
                Err(StoreError::Invalid(e)) => (Vec::new(), e.0.first().map(|e| tr.fe(e))),
                Err(e) => return Err(e.into()),
            }
        }
        Err(e) => (Vec::new(), Some(tr.fe(&e))),
    };
    let groups = [70u32, 80, 90]
        .iter()
        .map(|g| {
            (
                tr.t1("assistance-birthday-age", "age", g),
                rows.iter().filter(|r| r.age == *g).count(),
            )
        })
        .chain(std::iter::once((
            tr.t("assistance-birthday-over-ninety"),
            rows.iter().filter(|r| r.age > 90).count(),
        )))
        .collect();
    let p = Chrome::new(&a, "assistance-birthdays-title")
        .crumb(tr.t("nav-assistance"), Some("/assistance".into()));
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let mut r = a.render(&BirthdaysPage {
        p,
        period: format!(
            "{} – {}",
            parse_day(&from_s).map(|d| tr.date(&d)).unwrap_or_default(),
            parse_day(&to_s).map(|d| tr.date(&d)).unwrap_or_default()
        ),
        festival: parse_day(&to_s)
            .map(|d| tr.date(&double_ninth(d.year())))
            .unwrap_or_default(),
        from: from_s,
        to: to_s,
        rows: rows
            .iter()
            .map(|b| BirthdayView {
                name: b.name.clone(),
                school: b.school_name.clone(),
                day: tr.date(&b.day),
                age: b.age,
            })
            .collect(),
        groups,
        error,
    })?;
    *r.status_mut() = status;
    Ok(r)
}

/// The round birthdays of a period as .xlsx (name, school, day, age), audited as an export.
pub async fn birthdays_xlsx(
    State(state): State<AppState>,
    a: Auth,
    Query(q): Query<PeriodQuery>,
) -> AppResult {
    let cap = a.actor.authorize::<perm::AssistanceView>()?;
    let tr = a.tr;
    let (dfrom, dto) = birthday_period(today());
    let from = parse_day(&q.from).unwrap_or(dfrom);
    let to = parse_day(&q.to).unwrap_or(dto);
    let rows =
        match store::assistance::files::birthdays_export(&state.store, &cap, &a.who(), from, to)
            .await
        {
            Ok(r) => r,
            Err(StoreError::Invalid(_)) => return Err(AppError::BadRequest),
            Err(e) => return Err(e.into()),
        };
    let err = |e: rust_xlsxwriter::XlsxError| AppError::Internal(e.to_string());
    let mut wb = rust_xlsxwriter::Workbook::new();
    let bold = rust_xlsxwriter::Format::new().set_bold();
    let ws = wb.add_worksheet();
    ws.write_string_with_format(
        0,
        0,
        format!("{} · {from} – {to}", tr.t("doc-assistance-birthdays")),
        &bold,
    )
    .map_err(err)?;
    for (c, h) in [
        "col-name",
        "col-school",
        "assistance-birthday-day",
        "assistance-birthday-age-col",
    ]
    .iter()
    .enumerate()
    {
        ws.write_string_with_format(1, c as u16, tr.t(h), &bold)
            .map_err(err)?;
        ws.set_column_width(c as u16, 16).map_err(err)?;
    }
    for (i, b) in rows.iter().enumerate() {
        let r = i as u32 + 2;
        ws.write_string(r, 0, &b.name).map_err(err)?;
        ws.write_string(r, 1, &b.school_name).map_err(err)?;
        ws.write_string(r, 2, b.day.to_string()).map_err(err)?;
        ws.write_number(r, 3, f64::from(b.age)).map_err(err)?;
    }
    let bytes = wb.save_to_buffer().map_err(err)?;
    let name = format!("{}-{from}-{to}.xlsx", tr.t("doc-assistance-birthdays"));
    Ok(crate::org::import::xlsx_response(bytes, &name))
}

/// The payout list for the finance office as .xlsx: grants paid and condolence money in a
/// period (default: this month so far), with a total row. The store audits the export.
pub async fn payout_xlsx(
    State(state): State<AppState>,
    a: Auth,
    Query(q): Query<PeriodQuery>,
) -> AppResult {
    let cap = a.actor.authorize::<perm::AssistanceConfirm>()?;
    let tr = a.tr;
    let t = today();
    let first = t.with_day(1).unwrap_or(t);
    let from = parse_day(&q.from).unwrap_or(first);
    let to = parse_day(&q.to).unwrap_or(t);
    let rows = match payout::export(&state.store, &cap, &a.who(), from, to).await {
        Ok(r) => r,
        Err(StoreError::Invalid(_)) => return Err(AppError::BadRequest),
        Err(e) => return Err(e.into()),
    };
    let err = |e: rust_xlsxwriter::XlsxError| AppError::Internal(e.to_string());
    let mut wb = rust_xlsxwriter::Workbook::new();
    let bold = rust_xlsxwriter::Format::new().set_bold();
    let money = rust_xlsxwriter::Format::new().set_num_format("0.00");
    let money_bold = rust_xlsxwriter::Format::new()
        .set_num_format("0.00")
        .set_bold();
    let ws = wb.add_worksheet();
    ws.set_name(tr.t("assistance-payout")).map_err(err)?;
    ws.write_string_with_format(
        0,
        0,
        format!("{} · {from} – {to}", tr.t("assistance-payout")),
        &bold,
    )
    .map_err(err)?;
    let heads = [
        "assistance-col-date",
        "col-name",
        "col-school",
        "assistance-col-what",
        "assistance-col-campaign",
        "assistance-amount",
        "assistance-col-reference",
        "assistance-col-signature",
    ];
    for (c, h) in heads.iter().enumerate() {
        ws.write_string_with_format(1, c as u16, tr.t(h), &bold)
            .map_err(err)?;
        ws.set_column_width(c as u16, 14).map_err(err)?;
    }
    let mut total = 0i64;
    for (i, row) in rows.iter().enumerate() {
        let r = i as u32 + 2;
        let what = match row.what {
            Paid::Grant => tr.t("assistance-payout-grant"),
            Paid::Visit(t) => tr.t1("assistance-payout-visit", "type", tr.label(t)),
        };
        let reference = match row.what {
            Paid::Grant => format!("G{}", row.reference),
            Paid::Visit(_) => format!("V{}", row.reference),
        };
        ws.write_string(r, 0, row.on.to_string()).map_err(err)?;
        ws.write_string(r, 1, &row.member_name).map_err(err)?;
        ws.write_string(r, 2, &row.school_name).map_err(err)?;
        ws.write_string(r, 3, what).map_err(err)?;
        ws.write_string(r, 4, row.campaign.clone().unwrap_or_default())
            .map_err(err)?;
        // Fen → yuan for the sheet only; the exact figure stays the stored fen.
        ws.write_number_with_format(r, 5, row.amount_fen as f64 / 100.0, &money)
            .map_err(err)?;
        ws.write_string(r, 6, reference).map_err(err)?;
        total += row.amount_fen;
    }
    let r = rows.len() as u32 + 2;
    ws.write_string_with_format(r, 0, tr.t("assistance-total"), &bold)
        .map_err(err)?;
    ws.write_number_with_format(r, 5, total as f64 / 100.0, &money_bold)
        .map_err(err)?;
    let bytes = wb.save_to_buffer().map_err(err)?;
    let name = format!("{}-{from}-{to}.xlsx", tr.t("assistance-payout"));
    Ok(crate::org::import::xlsx_response(bytes, &name))
}
