//! Monthly and yearly statements (收支报表) of a school: the opening balance of the period
//! (the year's approved entries before it), income by source and expense by category in
//! it (corrections included, signed), and the closing balance. One query; every total is
//! the sum of its lines and `closing = opening + income − expense` always.
//!
//! Never here: an entry awaiting approval counted as money moved.

use crate::db::{Arg, Sql};
use crate::{Db, StoreError};
use chrono::{Datelike, NaiveDate};
use domain::auth::{Cap, perm};
use domain::funds::*;
use domain::ids::OrgUnitId;
use domain::org::Coded;

/// A period's statement.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Statement {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub opening_fen: i64,
    pub incomes: Vec<(IncomeSource, i64)>,
    pub expenses: Vec<(ExpenseCategory, i64)>,
    pub income_fen: i64,
    pub expense_fen: i64,
    pub closing_fen: i64,
}

/// The statement of `year` (or of one month of it) for a school in scope: one query.
pub async fn statement(
    db: &Db,
    cap: &Cap<perm::FundsView>,
    school: OrgUnitId,
    year: i32,
    month: Option<u32>,
) -> Result<Statement, StoreError> {
    let (from, to) = match month.and_then(|m| NaiveDate::from_ymd_opt(year, m, 1)) {
        Some(d) => month_bounds(d),
        None => match (
            NaiveDate::from_ymd_opt(year, 1, 1),
            NaiveDate::from_ymd_opt(year, 12, 31),
        ) {
            (Some(a), Some(b)) => (a, b),
            _ => return Ok(Statement::default()),
        },
    };
    let mut q = Sql::new(
        "SELECT e.kind, e.category, e.source,
           CAST(SUM(CASE WHEN e.entry_on < ",
    );
    q.bind(Arg::Date(from)).push(
        " THEN e.amount_fen ELSE 0 END) AS BIGINT),
           CAST(SUM(CASE WHEN e.entry_on >= ",
    );
    q.bind(Arg::Date(from)).push(
        " THEN e.amount_fen ELSE 0 END) AS BIGINT)
         FROM funds_entry e WHERE e.status = 'approved' AND e.school_union_id = ",
    );
    q.bind(Arg::I64(school.0))
        .push(" AND e.entry_year = ")
        .bind(Arg::I64(i64::from(from.year())))
        .push(" AND e.entry_on <= ")
        .bind(Arg::Date(to));
    crate::scope::restrict(&mut q, "e.school_union_id", cap.scope());
    q.push(" GROUP BY e.kind, e.category, e.source ORDER BY e.kind, e.category, e.source");
    let rows: Vec<(String, Option<String>, Option<String>, i64, i64)> = q.fetch_all(db).await?;
    let mut s = Statement {
        from: Some(from),
        to: Some(to),
        ..Statement::default()
    };
    for (kind, category, source, before, within) in rows {
        match EntryKind::from_code(&kind) {
            Some(EntryKind::Income) => {
                s.opening_fen += before;
                s.income_fen += within;
                if let Some(src) = source.as_deref().and_then(IncomeSource::from_code) {
                    match s.incomes.iter_mut().find(|(k, _)| *k == src) {
                        Some(x) => x.1 += within,
                        None => s.incomes.push((src, within)),
                    }
                }
            }
            Some(EntryKind::Expense) => {
                s.opening_fen -= before;
                s.expense_fen += within;
                if let Some(c) = category.as_deref().and_then(ExpenseCategory::from_code) {
                    match s.expenses.iter_mut().find(|(k, _)| *k == c) {
                        Some(x) => x.1 += within,
                        None => s.expenses.push((c, within)),
                    }
                }
            }
            None => return Err(StoreError::Other(format!("funds_entry kind {kind}"))),
        }
    }
    s.closing_fen = s.opening_fen + s.income_fen - s.expense_fen;
    Ok(s)
}
