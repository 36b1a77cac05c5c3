//! A school union's money: the monthly levies (dues and the union fund: base, due, the
//! share kept and remitted, paid), the year's budget lines by expense category with their
//! caps, and the ledger of incomes and expenses.
//!
//! Rules enforced here, each refused at its field with nothing written: amounts are
//! positive integer fen; an expense must fit its category's budget cap for the year
//! (entered and approved expenses counted) and the school's balance; an expense is
//! approved by another person than the one who entered it; the unit must be a school
//! union in the caller's scope (otherwise 404). Every decision records the rule-set
//! version in force; every change is audited in its transaction.

use super::rules;
use crate::audit::Who;
use crate::db::{Arg, Engine, Sql, Tx, now};
use crate::{Db, Store, StoreError, on_tx};
use chrono::{Datelike, NaiveDate};
use domain::FieldError;
use domain::audit::Changes;
use domain::auth::{Cap, Scope, perm};
use domain::funds::text as t;
use domain::funds::*;
use domain::ids::OrgUnitId;
use domain::org::Coded;

pub(crate) fn invalid(e: FieldError) -> StoreError {
    StoreError::Invalid(domain::FieldErrors(vec![e]))
}

pub(crate) use crate::kit::record_commit as log_commit;

/// The school union `unit`, in scope: 404 outside it, a field error when it is in scope
/// but no school (a union or an area keeps no ledger here).
pub(crate) async fn school_in_scope(
    tx: &mut Tx,
    scope: &Scope,
    unit: OrgUnitId,
) -> Result<(), StoreError> {
    let mut q = Sql::new("SELECT kind FROM org_unit WHERE id = ");
    q.bind(Arg::I64(unit.0));
    crate::scope::restrict(&mut q, "id", scope);
    let found: Vec<(String,)> = q.fetch_all_tx(tx).await?;
    match found.first() {
        None => Err(StoreError::NotFound),
        Some((k,)) if k == "school_union" => Ok(()),
        Some(_) => Err(invalid(FieldError::new("unit", t::NOT_A_SCHOOL))),
    }
}

/// The name of the school union `unit` in the reader's scope (404 outside it or when `unit`
/// is no school union): one query.
pub async fn school_name(
    db: &Db,
    cap: &Cap<perm::FundsView>,
    unit: OrgUnitId,
) -> Result<String, StoreError> {
    let mut q = Sql::new("SELECT name FROM org_unit WHERE kind = 'school_union' AND id = ");
    q.bind(Arg::I64(unit.0));
    crate::scope::restrict(&mut q, "id", cap.scope());
    let found: Vec<(String,)> = q.fetch_all(db).await?;
    found
        .into_iter()
        .next()
        .map(|r| r.0)
        .ok_or(StoreError::NotFound)
}

/// Active members of the school who pay dues (retirees are exempt).
async fn payers(tx: &mut Tx, school: OrgUnitId) -> Result<i64, StoreError> {
    Ok(on_tx!(tx, |c| {
        sqlx::query_scalar(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM member WHERE school_union_id = $1 AND status = 'active'",
        )
        .bind(school.0)
        .fetch_one(&mut *c)
        .await
    })?)
}

/// A month's levy as typed.
#[derive(Clone, Debug)]
pub struct LevyInput {
    pub school: OrgUnitId,
    pub kind: LevyKind,
    /// Any day of the month; stored as its first day.
    pub month: NaiveDate,
    /// The school's summed dues bases (dues) or its payroll (union fund), in fen.
    pub base_fen: i64,
    /// What was received, in fen (at most the due amount).
    pub paid_fen: i64,
}

/// Records a month's levy: the due amount, the share kept and remitted under the rule set
/// in force (its version recorded), and what was paid; the kept part of the payment is
/// posted to the ledger as an approved income (so it is counted once, from here). Refused
/// when the month is already recorded or more is paid than is due.
pub async fn record_levy(
    st: &Store,
    cap: &Cap<perm::FundsEnter>,
    who: &Who,
    input: &LevyInput,
) -> Result<LevyId, StoreError> {
    if input.base_fen < 0 || input.paid_fen < 0 {
        return Err(invalid(FieldError::new("base", t::AMOUNT_NEGATIVE)));
    }
    let month = input.month.with_day(1).unwrap_or(input.month);
    let mut tx = st.db.begin().await?;
    school_in_scope(&mut tx, cap.scope(), input.school).await?;
    super::close::ensure_open(&mut tx, input.school, month, "month").await?;
    let (rule_set, version, r) = rules::effective_tx(&mut tx, input.school).await?;
    let levy = r.levy(input.kind, input.base_fen);
    if input.paid_fen > levy.due_fen {
        return Err(invalid(
            FieldError::new("paid", t::PAID_ABOVE_DUE).arg("due", yuan(levy.due_fen)),
        ));
    }
    let exists: Option<i64> = on_tx!(&mut tx, |c| {
        sqlx::query_scalar(
            "SELECT id FROM funds_levy WHERE school_union_id = $1 AND kind = $2 AND levy_month = $3",
        )
        .bind(input.school.0)
        .bind(input.kind.code())
        .bind(month)
        .fetch_optional(&mut *c)
        .await
    })?;
    if exists.is_some() {
        return Err(invalid(FieldError::new("month", t::LEVY_EXISTS)));
    }
    let payers = match input.kind {
        LevyKind::Dues => payers(&mut tx, input.school).await?,
        LevyKind::UnionFund => 0,
    };
    let id = write_levy(
        &mut tx,
        who,
        &WrittenLevy {
            school: input.school,
            kind: input.kind,
            month,
            base_fen: input.base_fen,
            payers,
            levy,
            paid_fen: input.paid_fen,
            rule_set: rule_set.0,
            kept: r.of(input.kind).1,
        },
    )
    .await?;
    let mut ch = Changes::new();
    ch.note("kind", input.kind.code())
        .note("month", month.to_string())
        .note("base_fen", input.base_fen)
        .note("due_fen", levy.due_fen)
        .note("kept_fen", levy.kept_fen)
        .note("remitted_fen", levy.remitted_fen)
        .note("paid_fen", input.paid_fen)
        .note("rule_set_version", version);
    log_commit(
        tx,
        st,
        who,
        "funds.levy",
        ("funds_levy", id),
        input.school,
        &ch,
    )
    .await?;
    Ok(LevyId(id))
}

/// A levy about to be written (its amounts already computed).
pub(crate) struct WrittenLevy {
    pub school: OrgUnitId,
    pub kind: LevyKind,
    pub month: NaiveDate,
    pub base_fen: i64,
    pub payers: i64,
    pub levy: Levy,
    pub paid_fen: i64,
    pub rule_set: i64,
    /// The share of a payment the school keeps.
    pub kept: domain::rules::Ratio,
}

/// Writes a levy row and posts the kept part of what was paid to the ledger as an
/// approved income (once, from here).
pub(crate) async fn write_levy(tx: &mut Tx, who: &Who, w: &WrittenLevy) -> Result<i64, StoreError> {
    let ts = now();
    let id: i64 = on_tx!(tx, |c| {
        sqlx::query_scalar(
            "INSERT INTO funds_levy (school_union_id, kind, levy_month, base_fen, payers, due_fen, kept_fen, remitted_fen, paid_fen, rule_set_id, recorded_by_label, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
        )
        .bind(w.school.0)
        .bind(w.kind.code())
        .bind(w.month)
        .bind(w.base_fen)
        .bind(w.payers)
        .bind(w.levy.due_fen)
        .bind(w.levy.kept_fen)
        .bind(w.levy.remitted_fen)
        .bind(w.paid_fen)
        .bind(w.rule_set)
        .bind(&who.label)
        .bind(ts)
        .fetch_one(&mut *c)
        .await
    })?;
    let income = share_half_up(w.paid_fen, w.kept);
    if income > 0 {
        let source = match w.kind {
            LevyKind::Dues => IncomeSource::Dues,
            LevyKind::UnionFund => IncomeSource::UnionFund,
        };
        insert_entry(
            tx,
            who,
            NewEntry {
                school: w.school,
                on: w.month,
                kind: EntryKind::Income,
                category: None,
                source: Some(source),
                amount_fen: income,
                status: EntryStatus::Approved,
                note: String::new(),
                levy: Some(id),
                rule_set: w.rule_set,
            },
        )
        .await?;
    }
    Ok(id)
}

/// Sets (or replaces) the cap of one budget line of a school's year.
pub async fn set_budget(
    st: &Store,
    cap: &Cap<perm::FundsEnter>,
    who: &Who,
    school: OrgUnitId,
    year: i32,
    category: ExpenseCategory,
    cap_fen: i64,
) -> Result<(), StoreError> {
    if cap_fen < 0 {
        return Err(invalid(FieldError::new("cap", t::AMOUNT_NEGATIVE)));
    }
    let mut tx = st.db.begin().await?;
    school_in_scope(&mut tx, cap.scope(), school).await?;
    let before: Option<i64> = on_tx!(&mut tx, |c| {
        sqlx::query_scalar(
            "SELECT cap_fen FROM funds_budget WHERE school_union_id = $1 AND budget_year = $2 AND category = $3",
        )
        .bind(school.0)
        .bind(i64::from(year))
        .bind(category.code())
        .fetch_optional(&mut *c)
        .await
    })?;
    let ts = now();
    let id: i64 = on_tx!(&mut tx, |c| {
        sqlx::query_scalar(
            "INSERT INTO funds_budget (school_union_id, budget_year, category, cap_fen, set_by_label, created_at) VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (school_union_id, budget_year, category) DO UPDATE SET cap_fen = excluded.cap_fen, set_by_label = excluded.set_by_label
             RETURNING id",
        )
        .bind(school.0)
        .bind(i64::from(year))
        .bind(category.code())
        .bind(cap_fen)
        .bind(&who.label)
        .bind(ts)
        .fetch_one(&mut *c)
        .await
    })?;
    let mut ch = Changes::new();
    ch.note("year", year).note("category", category.code());
    ch.field("cap_fen", before.as_ref(), Some(&cap_fen));
    log_commit(
        tx,
        st,
        who,
        "funds.budget",
        ("funds_budget", id),
        school,
        &ch,
    )
    .await
}

struct NewEntry {
    school: OrgUnitId,
    on: NaiveDate,
    kind: EntryKind,
    category: Option<ExpenseCategory>,
    source: Option<IncomeSource>,
    amount_fen: i64,
    status: EntryStatus,
    note: String,
    levy: Option<i64>,
    rule_set: i64,
}

async fn insert_entry(tx: &mut Tx, who: &Who, e: NewEntry) -> Result<i64, StoreError> {
    let approved = e.status == EntryStatus::Approved;
    Ok(on_tx!(tx, |c| {
        sqlx::query_scalar(
            "INSERT INTO funds_entry (school_union_id, entry_year, entry_on, kind, category, source, amount_fen, status, note, levy_id, rule_set_id, entered_by, entered_by_label, approved_by, approved_by_label, approved_on, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) RETURNING id",
        )
        .bind(e.school.0)
        .bind(i64::from(e.on.year()))
        .bind(e.on)
        .bind(e.kind.code())
        .bind(e.category.map(|c| c.code()))
        .bind(e.source.map(|s| s.code()))
        .bind(e.amount_fen)
        .bind(e.status.code())
        .bind(&e.note)
        .bind(e.levy)
        .bind(e.rule_set)
        .bind(who.account.map(|a| a.0))
        .bind(&who.label)
        .bind(if approved { who.account.map(|a| a.0) } else { None })
        .bind(if approved { Some(who.label.clone()) } else { None })
        .bind(if approved { Some(e.on) } else { None })
        .bind(now())
        .fetch_one(&mut *c)
        .await
    })?)
}

/// The balance of a school's year: approved incomes minus approved and pending expenses
/// (money promised is not available twice).
/// A correction lowering an expense (negative) frees money only once approved.
pub(crate) async fn available_tx(
    tx: &mut Tx,
    school: OrgUnitId,
    year: i32,
) -> Result<i64, StoreError> {
    Ok(on_tx!(tx, |c| {
        sqlx::query_scalar(
            "SELECT CAST(COALESCE(SUM(CASE WHEN kind = 'income' AND status = 'approved' THEN amount_fen WHEN kind = 'expense' AND (status = 'approved' OR amount_fen > 0) THEN -amount_fen ELSE 0 END), 0) AS BIGINT)
             FROM funds_entry WHERE school_union_id = $1 AND entry_year = $2",
        )
        .bind(school.0)
        .bind(i64::from(year))
        .fetch_one(&mut *c)
        .await
    })?)
}

/// What is spent or committed on a budget line: approved expenses and corrections, and
/// entered expenses that add to it (a lowering correction counts once approved).
pub(crate) async fn spent_tx(
    tx: &mut Tx,
    school: OrgUnitId,
    year: i32,
    category: ExpenseCategory,
) -> Result<i64, StoreError> {
    Ok(on_tx!(tx, |c| {
        sqlx::query_scalar(
            "SELECT CAST(COALESCE(SUM(amount_fen), 0) AS BIGINT) FROM funds_entry
             WHERE school_union_id = $1 AND entry_year = $2 AND kind = 'expense' AND category = $3 AND (status = 'approved' OR amount_fen > 0)",
        )
        .bind(school.0)
        .bind(i64::from(year))
        .bind(category.code())
        .fetch_one(&mut *c)
        .await
    })?)
}

/// Records another income (a subsidy, other income; dues and union funds come through
/// [`record_levy`]).
#[allow(clippy::too_many_arguments)]
pub async fn add_income(
    st: &Store,
    cap: &Cap<perm::FundsEnter>,
    who: &Who,
    school: OrgUnitId,
    source: IncomeSource,
    amount_fen: i64,
    note: &str,
    on: NaiveDate,
) -> Result<EntryId, StoreError> {
    if amount_fen <= 0 {
        return Err(invalid(
            FieldError::new("amount", t::AMOUNT_INVALID).arg("value", yuan(amount_fen)),
        ));
    }
    let note = domain::org::required_text("note", note, 200)
        .map_err(|_| invalid(FieldError::new("note", t::NOTE_REQUIRED)))?;
    let mut tx = st.db.begin().await?;
    school_in_scope(&mut tx, cap.scope(), school).await?;
    super::close::ensure_open(&mut tx, school, on, "on").await?;
    let (rule_set, version, _) = rules::effective_tx(&mut tx, school).await?;
    let id = insert_entry(
        &mut tx,
        who,
        NewEntry {
            school,
            on,
            kind: EntryKind::Income,
            category: None,
            source: Some(source),
            amount_fen,
            status: EntryStatus::Approved,
            note,
            levy: None,
            rule_set: rule_set.0,
        },
    )
    .await?;
    let mut ch = Changes::new();
    ch.note("source", source.code())
        .note("amount_fen", amount_fen)
        .note("rule_set_version", version);
    log_commit(
        tx,
        st,
        who,
        "funds.income",
        ("funds_entry", id),
        school,
        &ch,
    )
    .await?;
    Ok(EntryId(id))
}

/// Enters an expense, waiting for another person's approval. Refused at `amount` when the
/// category has no budget line for the year, when it would pass the line's cap (entered
/// and approved expenses counted; the message names the cap, what is spent and what is
/// left) or the school's available balance.
#[allow(clippy::too_many_arguments)]
pub async fn enter_expense(
    st: &Store,
    cap: &Cap<perm::FundsEnter>,
    who: &Who,
    school: OrgUnitId,
    category: ExpenseCategory,
    amount_fen: i64,
    note: &str,
    on: NaiveDate,
) -> Result<EntryId, StoreError> {
    if amount_fen <= 0 {
        return Err(invalid(
            FieldError::new("amount", t::AMOUNT_INVALID).arg("value", yuan(amount_fen)),
        ));
    }
    let note = domain::org::required_text("note", note, 200)
        .map_err(|_| invalid(FieldError::new("note", t::NOTE_REQUIRED)))?;
    let year = on.year();
    let mut tx = st.db.begin().await?;
    school_in_scope(&mut tx, cap.scope(), school).await?;
    super::close::ensure_open(&mut tx, school, on, "on").await?;
    let (rule_set, version, _) = rules::effective_tx(&mut tx, school).await?;
    // The budget line, locked on PostgreSQL so that two expenses cannot both fit the
    // last of a cap (SQLite's BEGIN IMMEDIATE already serialises writers).
    let mut q = Sql::new("SELECT cap_fen FROM funds_budget WHERE school_union_id = ");
    q.bind(Arg::I64(school.0))
        .push(" AND budget_year = ")
        .bind(Arg::I64(i64::from(year)))
        .push(" AND category = ")
        .bind(Arg::Text(category.code().into()));
    if tx.engine() == Engine::Postgres {
        q.push(" FOR UPDATE");
    }
    let line: Vec<(i64,)> = q.fetch_all_tx(&mut tx).await?;
    let spent = spent_tx(&mut tx, school, year, category).await?;
    check_cap(line.first().map(|r| r.0), spent, amount_fen)
        .map_err(|e| invalid(e.arg("version", version)))?;
    let available = available_tx(&mut tx, school, year).await?;
    if amount_fen > available {
        return Err(invalid(
            FieldError::new("amount", t::OVER_BALANCE).arg("balance", yuan(available.max(0))),
        ));
    }
    let id = insert_entry(
        &mut tx,
        who,
        NewEntry {
            school,
            on,
            kind: EntryKind::Expense,
            category: Some(category),
            source: None,
            amount_fen,
            status: EntryStatus::Entered,
            note,
            levy: None,
            rule_set: rule_set.0,
        },
    )
    .await?;
    let mut ch = Changes::new();
    ch.note("category", category.code())
        .note("amount_fen", amount_fen)
        .note("status", EntryStatus::Entered.code())
        .note("rule_set_version", version);
    log_commit(
        tx,
        st,
        who,
        "funds.expense",
        ("funds_entry", id),
        school,
        &ch,
    )
    .await?;
    Ok(EntryId(id))
}

/// Approves an entered expense. Refused when the approver is the person who entered it
/// (the same account, or the same name for entries made without an account).
pub async fn approve(
    st: &Store,
    cap: &Cap<perm::FundsApprove>,
    who: &Who,
    id: EntryId,
    today: NaiveDate,
) -> Result<(OrgUnitId, i32), StoreError> {
    let mut tx = st.db.begin().await?;
    let mut q = Sql::new(
        "SELECT e.school_union_id, e.status, e.entered_by, e.entered_by_label, e.entry_year, e.entry_on FROM funds_entry e WHERE e.id = ",
    );
    q.bind(Arg::I64(id.0));
    crate::scope::restrict(&mut q, "e.school_union_id", cap.scope());
    let rows: Vec<(i64, String, Option<i64>, String, i64, NaiveDate)> =
        q.fetch_all_tx(&mut tx).await?;
    let (school, status, by, by_label, year, entry_on) =
        rows.into_iter().next().ok_or(StoreError::NotFound)?;
    super::close::ensure_open(&mut tx, OrgUnitId(school), entry_on, "entry").await?;
    if status != EntryStatus::Entered.code() {
        return Err(invalid(FieldError::new("entry", t::NOT_ENTERED)));
    }
    let same = match (by, who.account) {
        (Some(a), Some(b)) => a == b.0,
        (None, None) => by_label == who.label,
        _ => false,
    };
    if same {
        return Err(invalid(FieldError::new("entry", t::SAME_PERSON)));
    }
    let n = on_tx!(&mut tx, |c| {
        sqlx::query(
            "UPDATE funds_entry SET status = 'approved', approved_by = $1, approved_by_label = $2, approved_on = $3 WHERE id = $4 AND status = 'entered'",
        )
        .bind(who.account.map(|a| a.0))
        .bind(&who.label)
        .bind(today)
        .bind(id.0)
        .execute(&mut *c)
        .await
        .map(|r| r.rows_affected())
    })?;
    if n != 1 {
        return Err(StoreError::Stale);
    }
    let mut ch = Changes::new();
    ch.field(
        "status",
        Some(&EntryStatus::Entered.code()),
        Some(&EntryStatus::Approved.code()),
    );
    log_commit(
        tx,
        st,
        who,
        "funds.approve",
        ("funds_entry", id.0),
        OrgUnitId(school),
        &ch,
    )
    .await?;
    Ok((OrgUnitId(school), year as i32))
}

/// One line of a school's ledger, with the balance after it (approved lines only move it).
#[derive(Clone, Debug, PartialEq)]
pub struct Line {
    pub id: EntryId,
    pub on: NaiveDate,
    pub kind: EntryKind,
    pub category: Option<ExpenseCategory>,
    pub source: Option<IncomeSource>,
    pub amount_fen: i64,
    pub status: EntryStatus,
    pub note: String,
    pub entered_by: String,
    pub approved_by: Option<String>,
    pub rule_set_version: i64,
    pub balance_fen: i64,
    /// The entry this one corrects.
    pub corrects: Option<EntryId>,
}

type LineRow = (
    i64,
    NaiveDate,
    String,
    Option<String>,
    Option<String>,
    i64,
    String,
    String,
    String,
    Option<String>,
    i64,
    Option<i64>,
);

/// A school's ledger of a year, oldest first, with running balances: one query (plus the
/// scope check), whatever the number of lines.
pub async fn ledger(
    db: &Db,
    cap: &Cap<perm::FundsView>,
    school: OrgUnitId,
    year: i32,
) -> Result<Vec<Line>, StoreError> {
    let mut q = Sql::new(
        "SELECT e.id, e.entry_on, e.kind, e.category, e.source, e.amount_fen, e.status, e.note, e.entered_by_label, e.approved_by_label, r.version, e.corrects_id
         FROM funds_entry e JOIN funds_rule_set r ON r.id = e.rule_set_id WHERE e.school_union_id = ",
    );
    q.bind(Arg::I64(school.0))
        .push(" AND e.entry_year = ")
        .bind(Arg::I64(i64::from(year)));
    crate::scope::restrict(&mut q, "e.school_union_id", cap.scope());
    q.push(" ORDER BY e.entry_on, e.id");
    let rows: Vec<LineRow> = q.fetch_all(db).await?;
    let mut balance = 0i64;
    let bad = |what: &str, v: &str| StoreError::Other(format!("funds_entry {what} {v}"));
    rows.into_iter()
        .map(|r| {
            let kind = EntryKind::from_code(&r.2).ok_or_else(|| bad("kind", &r.2))?;
            let status = EntryStatus::from_code(&r.6).ok_or_else(|| bad("status", &r.6))?;
            if status == EntryStatus::Approved {
                balance += match kind {
                    EntryKind::Income => r.5,
                    EntryKind::Expense => -r.5,
                };
            }
            Ok(Line {
                id: EntryId(r.0),
                on: r.1,
                kind,
                category: r.3.as_deref().and_then(ExpenseCategory::from_code),
                source: r.4.as_deref().and_then(IncomeSource::from_code),
                amount_fen: r.5,
                status,
                note: r.7,
                entered_by: r.8,
                approved_by: r.9,
                rule_set_version: r.10,
                balance_fen: balance,
                corrects: r.11.map(EntryId),
            })
        })
        .collect()
}

/// A budget line of the year with what is spent on it (entered and approved).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BudgetLine {
    pub category: ExpenseCategory,
    pub cap_fen: i64,
    pub spent_fen: i64,
}

/// A school's budget lines of a year with their spending: one query.
pub async fn budget(
    db: &Db,
    cap: &Cap<perm::FundsView>,
    school: OrgUnitId,
    year: i32,
) -> Result<Vec<BudgetLine>, StoreError> {
    let mut q = Sql::new(
        "SELECT b.category, b.cap_fen, CAST(COALESCE((SELECT SUM(e.amount_fen) FROM funds_entry e WHERE e.school_union_id = b.school_union_id AND e.entry_year = b.budget_year AND e.kind = 'expense' AND e.category = b.category AND (e.status = 'approved' OR e.amount_fen > 0)), 0) AS BIGINT)
         FROM funds_budget b WHERE b.school_union_id = ",
    );
    q.bind(Arg::I64(school.0))
        .push(" AND b.budget_year = ")
        .bind(Arg::I64(i64::from(year)));
    crate::scope::restrict(&mut q, "b.school_union_id", cap.scope());
    q.push(" ORDER BY b.id");
    let rows: Vec<(String, i64, i64)> = q.fetch_all(db).await?;
    Ok(rows
        .into_iter()
        .filter_map(|(c, cap_fen, spent_fen)| {
            Some(BudgetLine {
                category: ExpenseCategory::from_code(&c)?,
                cap_fen,
                spent_fen,
            })
        })
        .collect())
}

/// A recorded levy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LevyRow {
    pub id: LevyId,
    pub kind: LevyKind,
    pub month: NaiveDate,
    pub base_fen: i64,
    pub payers: i64,
    pub due_fen: i64,
    pub kept_fen: i64,
    pub remitted_fen: i64,
    pub paid_fen: i64,
    pub rule_set_version: i64,
}

/// A school's levies of a year, by month: one query.
pub async fn levies(
    db: &Db,
    cap: &Cap<perm::FundsView>,
    school: OrgUnitId,
    year: i32,
) -> Result<Vec<LevyRow>, StoreError> {
    let (Some(from), Some(to)) = (
        NaiveDate::from_ymd_opt(year, 1, 1),
        NaiveDate::from_ymd_opt(year, 12, 31),
    ) else {
        return Ok(Vec::new());
    };
    let mut q = Sql::new(
        "SELECT l.id, l.kind, l.levy_month, l.base_fen, l.payers, l.due_fen, l.kept_fen, l.remitted_fen, l.paid_fen, r.version
         FROM funds_levy l JOIN funds_rule_set r ON r.id = l.rule_set_id WHERE l.school_union_id = ",
    );
    q.bind(Arg::I64(school.0))
        .push(" AND l.levy_month >= ")
        .bind(Arg::Date(from))
        .push(" AND l.levy_month <= ")
        .bind(Arg::Date(to));
    crate::scope::restrict(&mut q, "l.school_union_id", cap.scope());
    q.push(" ORDER BY l.levy_month, l.kind");
    type Row = (i64, String, NaiveDate, i64, i64, i64, i64, i64, i64, i64);
    let rows: Vec<Row> = q.fetch_all(db).await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            Some(LevyRow {
                id: LevyId(r.0),
                kind: LevyKind::from_code(&r.1)?,
                month: r.2,
                base_fen: r.3,
                payers: r.4,
                due_fen: r.5,
                kept_fen: r.6,
                remitted_fen: r.7,
                paid_fen: r.8,
                rule_set_version: r.9,
            })
        })
        .collect())
}

/// One school's year in the overview.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SchoolYear {
    pub school: OrgUnitId,
    pub name: String,
    pub income_fen: i64,
    pub expense_fen: i64,
    pub pending: i64,
}

/// Every school in scope with its year's approved income and expense and the expenses
/// awaiting approval: one query, whatever the number of schools.
pub async fn overview(
    db: &Db,
    cap: &Cap<perm::FundsView>,
    year: i32,
) -> Result<Vec<SchoolYear>, StoreError> {
    let mut q = Sql::new(
        "SELECT u.id, u.name,
           CAST(COALESCE(SUM(CASE WHEN e.kind = 'income' AND e.status = 'approved' THEN e.amount_fen ELSE 0 END), 0) AS BIGINT),
           CAST(COALESCE(SUM(CASE WHEN e.kind = 'expense' AND e.status = 'approved' THEN e.amount_fen ELSE 0 END), 0) AS BIGINT),
           CAST(COALESCE(SUM(CASE WHEN e.status = 'entered' THEN 1 ELSE 0 END), 0) AS BIGINT)
         FROM org_unit u LEFT JOIN funds_entry e ON e.school_union_id = u.id AND e.entry_year = ",
    );
    q.bind(Arg::I64(i64::from(year)))
        .push(" WHERE u.kind = 'school_union'");
    crate::scope::restrict(&mut q, "u.id", cap.scope());
    q.push(" GROUP BY u.id, u.name ORDER BY u.id");
    let rows: Vec<(i64, String, i64, i64, i64)> = q.fetch_all(db).await?;
    Ok(rows
        .into_iter()
        .map(|r| SchoolYear {
            school: OrgUnitId(r.0),
            name: r.1,
            income_fen: r.2,
            expense_fen: r.3,
            pending: r.4,
        })
        .collect())
}
