//! Closed months and corrections. A school's month is closed by the chair (or union
//! staff) once its books are checked; from then on nothing dated in it changes — no entry,
//! levy, roll or approval — and a mistake found later is put right by a **correction**: a
//! new entry, dated in an open month, that points at the entry it corrects and carries the
//! signed difference (red ink when it lowers the amount). The ledger stays the sum of its
//! entries; the corrected entry is never edited.
//!
//! Never here: an UPDATE or DELETE of an entry of a closed month.

use super::ledger::{invalid, log_commit, school_in_scope};
use super::rules;
use crate::audit::Who;
use crate::db::{Arg, Engine, Sql, Tx, now};
use crate::{Db, Store, StoreError, on_tx};
use chrono::{Datelike, NaiveDate};
use domain::FieldError;
use domain::audit::Changes;
use domain::auth::{Cap, perm};
use domain::funds::text as t;
use domain::funds::*;
use domain::ids::OrgUnitId;
use domain::org::Coded;

/// Refuses at `field` when the month of `on` is closed for the school.
pub(crate) async fn ensure_open(
    tx: &mut Tx,
    school: OrgUnitId,
    on: NaiveDate,
    field: &'static str,
) -> Result<(), StoreError> {
    let month = month_bounds(on).0;
    let closed: Option<NaiveDate> = on_tx!(tx, |c| {
        sqlx::query_scalar(
            "SELECT closed_month FROM funds_closed_month WHERE school_union_id = $1 AND closed_month = $2",
        )
        .bind(school.0)
        .bind(month)
        .fetch_optional(&mut *c)
        .await
    })?;
    match closed {
        Some(m) => Err(invalid(
            FieldError::new(field, t::MONTH_CLOSED).arg("month", m.format("%Y-%m").to_string()),
        )),
        None => Ok(()),
    }
}

/// Closes a school's month. Refused when it is already closed.
pub async fn close_month(
    st: &Store,
    cap: &Cap<perm::FundsApprove>,
    who: &Who,
    school: OrgUnitId,
    month: NaiveDate,
) -> Result<(), StoreError> {
    let month = month_bounds(month).0;
    let mut tx = st.db.begin().await?;
    school_in_scope(&mut tx, cap.scope(), school).await?;
    if ensure_open(&mut tx, school, month, "month").await.is_err() {
        return Err(invalid(FieldError::new("month", t::MONTH_ALREADY_CLOSED)));
    }
    on_tx!(&mut tx, |c| {
        sqlx::query(
            "INSERT INTO funds_closed_month (school_union_id, closed_month, closed_by_label, closed_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(school.0)
        .bind(month)
        .bind(&who.label)
        .bind(now())
        .execute(&mut *c)
        .await
        .map(|_| ())
    })?;
    let mut ch = Changes::new();
    ch.note("month", month.format("%Y-%m").to_string());
    log_commit(
        tx,
        st,
        who,
        "funds.close",
        ("org_unit", school.0),
        school,
        &ch,
    )
    .await
}

/// The closed months of a school's year, oldest first: one query.
pub async fn closed_months(
    db: &Db,
    cap: &Cap<perm::FundsView>,
    school: OrgUnitId,
    year: i32,
) -> Result<Vec<NaiveDate>, StoreError> {
    let (Some(from), Some(to)) = (
        NaiveDate::from_ymd_opt(year, 1, 1),
        NaiveDate::from_ymd_opt(year, 12, 31),
    ) else {
        return Ok(Vec::new());
    };
    let mut q =
        Sql::new("SELECT c.closed_month FROM funds_closed_month c WHERE c.school_union_id = ");
    q.bind(Arg::I64(school.0))
        .push(" AND c.closed_month >= ")
        .bind(Arg::Date(from))
        .push(" AND c.closed_month <= ")
        .bind(Arg::Date(to));
    crate::scope::restrict(&mut q, "c.school_union_id", cap.scope());
    q.push(" ORDER BY c.closed_month");
    let rows: Vec<(NaiveDate,)> = q.fetch_all(db).await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

/// Corrects an approved entry: writes a new entry dated `on` (an open month) carrying
/// `new_amount_fen − (the entry's amount with its earlier corrections)`, pointing at it.
/// An expense correction waits for another person's approval like any expense (one that
/// raises the amount first passes the cap and balance tests); an income correction is
/// recorded approved. Refused when nothing changes, for an entry not yet approved, and for
/// a correction itself (correct the original again).
#[allow(clippy::too_many_arguments)]
pub async fn correct(
    st: &Store,
    cap: &Cap<perm::FundsEnter>,
    who: &Who,
    target: EntryId,
    new_amount_fen: i64,
    note: &str,
    on: NaiveDate,
) -> Result<(OrgUnitId, EntryId), StoreError> {
    if new_amount_fen < 0 {
        return Err(invalid(FieldError::new("amount", t::AMOUNT_NEGATIVE)));
    }
    let note = domain::org::required_text("note", note, 200)
        .map_err(|_| invalid(FieldError::new("note", t::NOTE_REQUIRED)))?;
    let mut tx = st.db.begin().await?;
    let mut q = Sql::new(
        "SELECT e.school_union_id, e.kind, e.category, e.source, e.status, e.corrects_id, e.amount_fen + CAST(COALESCE((SELECT SUM(k.amount_fen) FROM funds_entry k WHERE k.corrects_id = e.id), 0) AS BIGINT)
         FROM funds_entry e WHERE e.id = ",
    );
    q.bind(Arg::I64(target.0));
    crate::scope::restrict(&mut q, "e.school_union_id", cap.scope());
    type Row = (
        i64,
        String,
        Option<String>,
        Option<String>,
        String,
        Option<i64>,
        i64,
    );
    let rows: Vec<Row> = q.fetch_all_tx(&mut tx).await?;
    let (school, kind, category, source, status, corrects, current) =
        rows.into_iter().next().ok_or(StoreError::NotFound)?;
    let school = OrgUnitId(school);
    if status != EntryStatus::Approved.code() || corrects.is_some() {
        return Err(invalid(FieldError::new("amount", t::CORRECTION_TARGET)));
    }
    ensure_open(&mut tx, school, on, "on").await?;
    let diff = new_amount_fen - current;
    if diff == 0 {
        return Err(invalid(
            FieldError::new("amount", t::AMOUNT_INVALID).arg("value", yuan(new_amount_fen)),
        ));
    }
    let kind = EntryKind::from_code(&kind)
        .ok_or_else(|| StoreError::Other(format!("funds_entry kind {kind}")))?;
    let category = category.as_deref().and_then(ExpenseCategory::from_code);
    let (rule_set, version, _) = rules::effective_tx(&mut tx, school).await?;
    let year = on.year();
    if kind == EntryKind::Expense && diff > 0 {
        let Some(c) = category else {
            return Err(invalid(FieldError::new("amount", t::CORRECTION_TARGET)));
        };
        let mut q = Sql::new("SELECT cap_fen FROM funds_budget WHERE school_union_id = ");
        q.bind(Arg::I64(school.0))
            .push(" AND budget_year = ")
            .bind(Arg::I64(i64::from(year)))
            .push(" AND category = ")
            .bind(Arg::Text(c.code().into()));
        if tx.engine() == Engine::Postgres {
            q.push(" FOR UPDATE");
        }
        let line: Vec<(i64,)> = q.fetch_all_tx(&mut tx).await?;
        let spent = super::ledger::spent_tx(&mut tx, school, year, c).await?;
        check_cap(line.first().map(|r| r.0), spent, diff)
            .map_err(|e| invalid(e.arg("version", version)))?;
        let available = super::ledger::available_tx(&mut tx, school, year).await?;
        if diff > available {
            return Err(invalid(
                FieldError::new("amount", t::OVER_BALANCE).arg("balance", yuan(available.max(0))),
            ));
        }
    }
    let status = match kind {
        EntryKind::Expense => EntryStatus::Entered,
        EntryKind::Income => EntryStatus::Approved,
    };
    let approved = status == EntryStatus::Approved;
    let id: i64 = on_tx!(&mut tx, |c| {
        sqlx::query_scalar(
            "INSERT INTO funds_entry (school_union_id, entry_year, entry_on, kind, category, source, amount_fen, status, note, levy_id, rule_set_id, entered_by, entered_by_label, approved_by, approved_by_label, approved_on, created_at, corrects_id)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, NULL, $10, $11, $12, $13, $14, $15, $16, $17) RETURNING id",
        )
        .bind(school.0)
        .bind(i64::from(year))
        .bind(on)
        .bind(kind.code())
        .bind(category.map(|c| c.code()))
        .bind(source.as_deref())
        .bind(diff)
        .bind(status.code())
        .bind(&note)
        .bind(rule_set.0)
        .bind(who.account.map(|a| a.0))
        .bind(&who.label)
        .bind(if approved { who.account.map(|a| a.0) } else { None })
        .bind(if approved { Some(who.label.clone()) } else { None })
        .bind(if approved { Some(on) } else { None })
        .bind(now())
        .bind(target.0)
        .fetch_one(&mut *c)
        .await
    })?;
    let mut ch = Changes::new();
    ch.note("corrects", target.0)
        .note("amount_fen", diff)
        .note("rule_set_version", version);
    log_commit(
        tx,
        st,
        who,
        "funds.correct",
        ("funds_entry", id),
        school,
        &ch,
    )
    .await?;
    Ok((school, EntryId(id)))
}
