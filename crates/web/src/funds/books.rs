//! The books of a school on the web: closing a month, correcting an approved entry with a
//! new one, receipts on expenses (uploaded, checked by content, served only in scope), and
//! the monthly or yearly statement as a print view and as .xlsx.
//!
//! Handlers stay thin; every rule is the store's. Out of scope is 404.

use super::{field, href, parse_date, parse_unit, parse_year, today};
use crate::chrome::Chrome;
use crate::congress::refused;
use crate::ctx::{Auth, Flash};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Form, Multipart, Path, Query, State};
use axum::http::header;
use axum::response::IntoResponse;
use chrono::Datelike;
use domain::FieldErrors;
use domain::auth::perm;
use domain::funds::*;
use serde::Deserialize;
use std::collections::HashMap;
use store::StoreError;
use store::funds::{close, ledger, receipts, statements};

/// Closes a school's month (the chair or union staff).
pub async fn close_month(
    State(state): State<AppState>,
    a: Auth,
    Form(vals): Form<HashMap<String, String>>,
) -> AppResult {
    let cap = a.actor.authorize::<perm::FundsApprove>()?;
    let Some(unit) = parse_unit(&field(&vals, "unit")) else {
        return Err(AppError::NotFound);
    };
    let mut errors = FieldErrors::default();
    let month = errors.take(parse_date("month", &field(&vals, "month")));
    let year = month.map(|m| m.year()).unwrap_or_else(|| today().year());
    let r = match month {
        Some(m) if errors.is_empty() => {
            close::close_month(&state.store, &cap, &a.who(), unit, m).await
        }
        _ => Err(StoreError::Invalid(errors)),
    };
    match r {
        Ok(()) => Ok(a.redirect(&href(unit, year), Flash::ok("funds-month-closed-ok"))),
        Err(e) => super::back_with(&state, &a, unit, year, "close", vals, e).await,
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CorrectForm {
    amount: String,
    note: String,
}

/// Corrects an approved entry with a new one (dated today, an open month).
pub async fn correct(
    State(state): State<AppState>,
    a: Auth,
    Path(id): Path<i64>,
    Form(f): Form<CorrectForm>,
) -> AppResult {
    let cap = a.actor.authorize::<perm::FundsEnter>()?;
    let r = match parse_fen("amount", &f.amount, false) {
        Ok(amount) => {
            close::correct(
                &state.store,
                &cap,
                &a.who(),
                EntryId(id),
                amount,
                &f.note,
                today(),
            )
            .await
        }
        Err(e) => Err(StoreError::Invalid(FieldErrors(vec![e]))),
    };
    match r {
        Ok((unit, _)) => Ok(a.redirect(&href(unit, today().year()), Flash::ok("funds-corrected"))),
        Err(StoreError::NotFound) => Err(AppError::NotFound),
        Err(e) => refused(&a, "/funds", e),
    }
}

/// Attaches a receipt to an expense.
pub async fn attach(
    State(state): State<AppState>,
    a: Auth,
    Path(id): Path<i64>,
    mut mp: Multipart,
) -> AppResult {
    let cap = a.actor.authorize::<perm::FundsEnter>()?;
    let mut file: Option<(String, Vec<u8>)> = None;
    while let Some(f) = mp.next_field().await.map_err(|_| AppError::BadRequest)? {
        if f.name() == Some("file") {
            let name = f.file_name().unwrap_or("receipt").to_string();
            let b = f.bytes().await.map_err(|_| AppError::BadRequest)?;
            file = Some((name, b.to_vec()));
        }
    }
    let (name, bytes) = file.unwrap_or_default();
    match receipts::attach(&state.store, &cap, &a.who(), EntryId(id), &name, &bytes).await {
        Ok((unit, year, _)) => Ok(a.redirect(&href(unit, year), Flash::ok("funds-receipt-added"))),
        Err(StoreError::NotFound) => Err(AppError::NotFound),
        Err(e) => refused(&a, "/funds", e),
    }
}

/// A receipt's file, for a reader in the scope of its school; never sniffed again by the
/// browser (`nosniff`), shown inline only as what its content proved to be.
pub async fn receipt(State(state): State<AppState>, a: Auth, Path(id): Path<i64>) -> AppResult {
    let cap = a.actor.authorize::<perm::FundsView>()?;
    let (name, kind, bytes) = match receipts::file(&state.store.db, &cap, ReceiptId(id)).await {
        Ok(f) => f,
        Err(StoreError::NotFound) => return Err(AppError::NotFound),
        Err(e) => return Err(e.into()),
    };
    Ok(proven_file(&name, kind, bytes))
}

/// A proof file (a receipt, a staff home's evidence) whose type its content proved: shown
/// inline as that type only, never sniffed again by the browser, never cached.
pub(crate) fn proven_file(name: &str, kind: String, bytes: Vec<u8>) -> axum::response::Response {
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let disposition = format!(
        "inline; filename=\"{ascii}\"; filename*=UTF-8''{}",
        percent(name)
    );
    (
        [
            (header::CONTENT_TYPE, kind),
            (header::CONTENT_DISPOSITION, disposition),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_string()),
            (header::CACHE_CONTROL, "private, no-store".to_string()),
        ],
        bytes,
    )
        .into_response()
}

/// `name` percent-encoded for `filename*` (RFC 5987).
fn percent(name: &str) -> String {
    name.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_') {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct StatementQuery {
    unit: String,
    year: String,
    month: String,
}

/// A line of a statement as shown.
pub struct StatementLine {
    pub what: String,
    pub amount: String,
}

#[derive(Template)]
#[template(path = "funds/statement.html")]
struct StatementPage {
    p: Chrome,
    unit: i64,
    year: i32,
    month: String,
    period: String,
    opening: String,
    incomes: Vec<StatementLine>,
    expenses: Vec<StatementLine>,
    income: String,
    expense: String,
    closing: String,
}

async fn load(
    state: &AppState,
    a: &Auth,
    q: &StatementQuery,
) -> Result<(String, i32, Option<u32>, OrgUnitId, statements::Statement), AppError> {
    let cap = a.actor.authorize::<perm::FundsView>()?;
    let db = &state.store.db;
    let year = parse_year(&q.year);
    let month = q
        .month
        .trim()
        .parse::<u32>()
        .ok()
        .filter(|m| (1..=12).contains(m));
    let schools = ledger::overview(db, &cap, year).await?;
    let school = match parse_unit(&q.unit) {
        Some(u) => schools.into_iter().find(|s| s.school == u),
        None => schools.into_iter().next(),
    }
    .ok_or(AppError::NotFound)?;
    let s = statements::statement(db, &cap, school.school, year, month).await?;
    Ok((school.name, year, month, school.school, s))
}

use domain::ids::OrgUnitId;

/// `/funds/statement?unit=…&year=…[&month=…]`: the statement as a print view.
pub async fn statement(
    State(state): State<AppState>,
    a: Auth,
    Query(q): Query<StatementQuery>,
) -> AppResult {
    let (name, year, month, unit, s) = load(&state, &a, &q).await?;
    let tr = a.tr;
    let period = match month {
        Some(m) => format!("{year}-{m:02}"),
        None => year.to_string(),
    };
    let p = Chrome::new(&a, "funds-statement-title")
        .title_text(format!("{name} · {period} · {}", tr.t("funds-statement")))
        .crumb(tr.t("nav-funds"), Some(href(unit, year)));
    a.render(&StatementPage {
        p,
        unit: unit.0,
        year,
        month: month.map(|m| m.to_string()).unwrap_or_default(),
        period,
        opening: yuan(s.opening_fen),
        incomes: s
            .incomes
            .iter()
            .map(|(k, v)| StatementLine {
                what: tr.label(*k),
                amount: yuan(*v),
            })
            .collect(),
        expenses: s
            .expenses
            .iter()
            .map(|(k, v)| StatementLine {
                what: tr.label(*k),
                amount: yuan(*v),
            })
            .collect(),
        income: yuan(s.income_fen),
        expense: yuan(s.expense_fen),
        closing: yuan(s.closing_fen),
    })
}

/// The statement as .xlsx (amounts in yuan with two decimals; the totals are the sums of
/// the lines above them).
pub async fn statement_xlsx(
    State(state): State<AppState>,
    a: Auth,
    Query(q): Query<StatementQuery>,
) -> AppResult {
    let (name, year, month, _, s) = load(&state, &a, &q).await?;
    let tr = a.tr;
    let err = |e: rust_xlsxwriter::XlsxError| AppError::Internal(e.to_string());
    let mut wb = rust_xlsxwriter::Workbook::new();
    let bold = rust_xlsxwriter::Format::new().set_bold();
    let money = rust_xlsxwriter::Format::new().set_num_format("0.00");
    let ws = wb.add_worksheet();
    ws.set_name(tr.t("funds-statement")).map_err(err)?;
    let period = match month {
        Some(m) => format!("{year}-{m:02}"),
        None => year.to_string(),
    };
    ws.write_string_with_format(0, 0, format!("{name} · {period}"), &bold)
        .map_err(err)?;
    ws.set_column_width(0, 24).map_err(err)?;
    ws.set_column_width(1, 16).map_err(err)?;
    let mut r = 1u32;
    let mut line = |ws: &mut rust_xlsxwriter::Worksheet,
                    label: String,
                    fen: i64,
                    strong: bool|
     -> Result<(), AppError> {
        if strong {
            ws.write_string_with_format(r, 0, label, &bold)
                .map_err(err)?;
        } else {
            ws.write_string(r, 0, label).map_err(err)?;
        }
        ws.write_number_with_format(r, 1, fen as f64 / 100.0, &money)
            .map_err(err)?;
        r += 1;
        Ok(())
    };
    line(ws, tr.t("funds-opening"), s.opening_fen, true)?;
    for (k, v) in &s.incomes {
        line(ws, tr.label(*k), *v, false)?;
    }
    line(ws, tr.t("funds-income"), s.income_fen, true)?;
    for (k, v) in &s.expenses {
        line(ws, tr.label(*k), *v, false)?;
    }
    line(ws, tr.t("funds-expense"), s.expense_fen, true)?;
    line(ws, tr.t("funds-closing"), s.closing_fen, true)?;
    let bytes = wb.save_to_buffer().map_err(err)?;
    let file = format!("{}-{name}-{period}.xlsx", tr.t("funds-statement"));
    Ok(crate::org::import::xlsx_response(bytes, &file))
}
