//! The honours register (荣誉档案) on the web: `/honours/register` searches the honours in
//! the reader's scope (a school's chair sees the school's, the district all) by name,
//! honour, year, level and unit, fifty to a page with a link to the next;
//! `/honours/register.xlsx` writes the same search as a workbook (an audited export); and
//! the honours of one member for the member's page and `/me`.
//!
//! Must never: show an honour out of scope (the store filters in SQL); search anything but
//! the names shown (no personal number goes into the query); write an export without its
//! audit record (the store writes it before the file leaves).

use crate::chrome::{Chrome, Opt, coded_options};
use crate::ctx::Auth;
use crate::error::{AppError, AppResult};
use crate::i18n::Tr;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Query, State};
use domain::FieldErrors;
use domain::auth::perm;
use domain::commendations::{HonourLevel, RegisterFilter, parse_register_filter};
use serde::Deserialize;
use store::commendations::register::{self as reg, HonourDetail, HonourRow};

/// The search as typed (kept in the form and in the page links).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct RegisterQuery {
    pub q: String,
    pub year: String,
    pub level: String,
    pub unit: String,
    pub after: String,
}

impl RegisterQuery {
    /// The search as a query string (without the page position).
    fn search(&self) -> String {
        form_urlencoded::Serializer::new(String::new())
            .append_pair("q", &self.q)
            .append_pair("year", &self.year)
            .append_pair("level", &self.level)
            .append_pair("unit", &self.unit)
            .finish()
    }
}

/// An honour as shown.
pub struct HonourView {
    pub href: String,
    pub year: i32,
    pub level: String,
    pub honour: String,
    pub detail: String,
    pub holder: String,
    pub school: String,
    pub school_href: String,
    pub on: String,
}

pub fn honour_view(tr: &Tr, r: &HonourRow) -> HonourView {
    HonourView {
        href: r.href(),
        year: r.year,
        level: tr.label(r.level),
        honour: r.honour.clone(),
        detail: match r.detail {
            HonourDetail::Award(k) => tr.label(k),
            HonourDetail::Prize(t) => tr.label(t),
        },
        holder: r.holder.clone(),
        school: r.school_name.clone(),
        school_href: format!("/honours/register?unit={}", r.school.0),
        on: r.on.map(|d| tr.date(&d)).unwrap_or_default(),
    }
}

#[derive(Template)]
#[template(path = "commendations/register.html")]
struct RegisterPage {
    p: Chrome,
    f: RegisterQuery,
    levels: Vec<Opt>,
    rows: Vec<HonourView>,
    next: Option<String>,
    first: Option<String>,
    export: String,
    errors: FieldErrors,
}

impl RegisterPage {
    fn err(&self, name: &str) -> String {
        self.errors
            .get(name)
            .map(|e| self.p.tr.fe(e))
            .unwrap_or_default()
    }
}

fn filter_of(q: &RegisterQuery) -> Result<RegisterFilter, FieldErrors> {
    parse_register_filter(&q.q, &q.year, &q.level, &q.unit)
}

/// `/honours/register`: one page of the search; an unreadable year comes back at its field.
pub async fn page(
    State(state): State<AppState>,
    a: Auth,
    Query(q): Query<RegisterQuery>,
) -> AppResult {
    let cap = a.actor.authorize::<perm::ContestView>()?;
    let tr = a.tr;
    let levels = coded_options::<HonourLevel>(&tr, &q.level, Some("commendations-register-any"));
    let search = q.search();
    let (rows, next, errors) = match filter_of(&q) {
        Ok(f) => {
            let after = reg::parse_key(&q.after);
            let (rows, more) = reg::page(&state.store.db, &cap, &f, after.as_ref()).await?;
            let next = if more {
                rows.last()
                    .map(|r| format!("/honours/register?{search}&after={}", r.key()))
            } else {
                None
            };
            (rows, next, FieldErrors::default())
        }
        Err(e) => (Vec::new(), None, e),
    };
    let first = (!q.after.is_empty()).then(|| format!("/honours/register?{search}"));
    let page = RegisterPage {
        p: Chrome::new(&a, "commendations-register-title"),
        levels,
        rows: rows.iter().map(|r| honour_view(&tr, r)).collect(),
        next,
        first,
        export: format!("/honours/register.xlsx?{search}"),
        f: q,
        errors,
    };
    a.render_form(&page, &page.errors)
}

/// `/honours/register.xlsx`: the whole search (up to the store's limit) as a workbook.
pub async fn xlsx(
    State(state): State<AppState>,
    a: Auth,
    Query(q): Query<RegisterQuery>,
) -> AppResult {
    let cap = a.actor.authorize::<perm::ContestView>()?;
    let f = filter_of(&q).map_err(|_| AppError::NotFound)?;
    let rows = reg::export(&state.store, &cap, &a.who(), &f).await?;
    let tr = a.tr;
    let err = |e: rust_xlsxwriter::XlsxError| AppError::Internal(e.to_string());
    let mut wb = rust_xlsxwriter::Workbook::new();
    let bold = rust_xlsxwriter::Format::new().set_bold();
    let ws = wb.add_worksheet();
    let heads = [
        "commendations-register-year",
        "commendations-register-level",
        "commendations-register-honour",
        "commendations-register-detail",
        "commendations-register-holder",
        "commendations-register-school",
        "commendations-register-on",
        "commendations-register-certificate",
    ];
    for (c, h) in heads.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, tr.t(h), &bold)
            .map_err(err)?;
        ws.set_column_width(c as u16, if c == 2 { 30 } else { 16 })
            .map_err(err)?;
    }
    for (i, r) in rows.iter().enumerate() {
        let v = honour_view(&tr, r);
        let n = i as u32 + 1;
        ws.write_number(n, 0, f64::from(v.year)).map_err(err)?;
        ws.write_string(n, 1, &v.level).map_err(err)?;
        ws.write_string(n, 2, &v.honour).map_err(err)?;
        ws.write_string(n, 3, &v.detail).map_err(err)?;
        ws.write_string(n, 4, &v.holder).map_err(err)?;
        ws.write_string(n, 5, &v.school).map_err(err)?;
        ws.write_string(n, 6, &v.on).map_err(err)?;
        ws.write_string(n, 7, r.certificate.clone().unwrap_or_default())
            .map_err(err)?;
    }
    ws.set_freeze_panes(1, 0).map_err(err)?;
    let bytes = wb.save_to_buffer().map_err(err)?;
    let name = format!("{}.xlsx", tr.t("commendations-register-title"));
    Ok(crate::org::import::xlsx_response(bytes, &name))
}
