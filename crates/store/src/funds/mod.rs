//! Funds (经费) in the database: the versioned funds rule sets ([`rules`]), a school
//! union's levies, budget lines and ledger ([`ledger`]), the audit committee's findings by
//! area ([`findings`]), the demo year ([`demo`]), the integrity check ([`verify`]) and the
//! area's declaration (coded columns, year figures, due items).
//!
//! Every read takes a funds capability and filters by its scope in SQL (out of scope looks
//! like missing); every change is audited in its transaction. Money is integer fen.
//!
//! **Relation to assistance.** The relief fund (扶贫帮困基金) and its grants stay in
//! `store::assistance::grants`: a designated fund of the root union with its own guarded
//! balance and ledger. This area does not copy those movements (nothing is posted twice);
//! a school's ledger here is its own union money (dues, allocated funds, subsidies, and
//! the expenses of its budget).

pub mod close;
pub mod demo;
pub mod dues;
pub mod findings;
pub mod ledger;
pub mod payroll;
pub mod receipts;
pub mod rules;
pub mod statements;

use crate::area::{Area, CodedColumn, EncryptedColumn, Reach};
use crate::crypto::Field;
use crate::db::{Arg, Sql};
use crate::{Store, StoreError};
use chrono::NaiveDate;
use domain::area::{Concerns, DueItem, Figure, FigureKind, FigureValue, Summation};
use domain::auth::{Role, SystemCap};
use domain::funds::*;
use domain::ids::OrgUnitId;
use domain::org::Coded;
use futures::FutureExt;
use futures::future::BoxFuture;

/// Days before a rectification deadline that it appears among the due items.
pub const RECTIFY_NOTICE_DAYS: i64 = 30;

const fn fen(key: &'static str) -> Figure {
    Figure {
        key,
        kind: FigureKind::Fen,
        list: "/funds?unit={unit}&year={year}",
        sum: Summation::Sum,
    }
}

static FIGURES: &[Figure] = &[
    fen("figure-funds-dues-due"),
    fen("figure-funds-dues-paid"),
    fen("figure-funds-union-fund-due"),
    fen("figure-funds-union-fund-paid"),
    fen("figure-funds-expenses"),
    Figure {
        key: "figure-funds-findings-open",
        kind: FigureKind::Count,
        list: "/funds/audit?unit={unit}&year={year}",
        sum: Summation::Sum,
    },
    Figure {
        key: "figure-funds-findings-rectified",
        kind: FigureKind::Count,
        list: "/funds/audit?unit={unit}&year={year}",
        sum: Summation::Sum,
    },
];

/// A member's dues base in fen (the basic salary), bound to the member.
pub const DUES_BASE: EncryptedColumn = EncryptedColumn {
    table: "funds_dues_base",
    key: "member_id",
    column: "base_enc",
    field: Field::Income,
    indexes: &[],
};

/// A dues roll's lines (member, status, base, dues), bound to the roll.
pub const ROLL_LINES: EncryptedColumn = EncryptedColumn {
    table: "funds_dues_roll",
    key: "levy_id",
    column: "lines_enc",
    field: Field::Income,
    indexes: &[],
};

/// A payroll sheet's matched rows (member, base, month) between preview and commit.
pub const PAYROLL_ROWS: EncryptedColumn = EncryptedColumn {
    table: "funds_payroll_batch",
    key: "id",
    column: "rows_enc",
    field: Field::Income,
    indexes: &[],
};

/// Funds: dues, union funds, budgets, the ledger and the audit by area.
pub static AREA: Area = Area {
    coded: &[
        CodedColumn::of::<LevyKind>("funds_levy.kind"),
        CodedColumn::of::<ExpenseCategory>("funds_budget.category"),
        CodedColumn::of::<ExpenseCategory>("funds_entry.category"),
        CodedColumn::of::<IncomeSource>("funds_entry.source"),
        CodedColumn::of::<EntryKind>("funds_entry.kind"),
        CodedColumn::of::<EntryStatus>("funds_entry.status"),
        CodedColumn::of::<Severity>("funds_finding.severity"),
        CodedColumn::of::<FindingStatus>("funds_finding.status"),
    ],
    encrypted: &[DUES_BASE, ROLL_LINES, PAYROLL_ROWS],
    demo: Some(demo::area_demo),
    figures: FIGURES,
    year_figures: Some(year_figures_boxed),
    due_items: Some(due_items_boxed),
    ..Area::new("funds")
};

fn year_figures_boxed<'a>(
    st: &'a Store,
    reach: &'a Reach,
    year: i32,
) -> BoxFuture<'a, Result<Vec<FigureValue>, StoreError>> {
    year_figures(st, reach, year).boxed()
}

fn due_items_boxed<'a>(
    st: &'a Store,
    reach: &'a Reach,
    today: NaiveDate,
) -> BoxFuture<'a, Result<Vec<DueItem>, StoreError>> {
    due_items(st, reach, today).boxed()
}

fn push(out: &mut Vec<FigureValue>, figs: &[Figure], unit: i64, year: i32, values: &[i64]) {
    for (f, v) in figs.iter().zip(values) {
        out.push(FigureValue {
            key: f.key.to_string(),
            unit: OrgUnitId(unit),
            year,
            value: *v,
        });
    }
}

/// Per school of the reach: dues and union funds due and paid, approved expenses, findings
/// open and rectified. Three queries, whatever the number of schools.
pub async fn year_figures(
    st: &Store,
    reach: &Reach,
    year: i32,
) -> Result<Vec<FigureValue>, StoreError> {
    let (Some(from), Some(to)) = (
        NaiveDate::from_ymd_opt(year, 1, 1),
        NaiveDate::from_ymd_opt(year, 12, 31),
    ) else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    let mut q = Sql::new(
        "SELECT l.school_union_id,
           CAST(SUM(CASE WHEN l.kind = 'dues' THEN l.due_fen ELSE 0 END) AS BIGINT),
           CAST(SUM(CASE WHEN l.kind = 'dues' THEN l.paid_fen ELSE 0 END) AS BIGINT),
           CAST(SUM(CASE WHEN l.kind = 'union_fund' THEN l.due_fen ELSE 0 END) AS BIGINT),
           CAST(SUM(CASE WHEN l.kind = 'union_fund' THEN l.paid_fen ELSE 0 END) AS BIGINT)
         FROM funds_levy l WHERE l.levy_month >= ",
    );
    q.bind(Arg::Date(from))
        .push(" AND l.levy_month <= ")
        .bind(Arg::Date(to));
    crate::scope::restrict(&mut q, "l.school_union_id", reach.scope());
    q.push(" GROUP BY l.school_union_id ORDER BY l.school_union_id");
    let rows: Vec<(i64, i64, i64, i64, i64)> = q.fetch_all(&st.db).await?;
    for (u, a, b, c, d) in rows {
        push(&mut out, &FIGURES[..4], u, year, &[a, b, c, d]);
    }
    let mut q = Sql::new(
        "SELECT e.school_union_id, CAST(SUM(e.amount_fen) AS BIGINT) FROM funds_entry e WHERE e.kind = 'expense' AND e.status = 'approved' AND e.entry_year = ",
    );
    q.bind(Arg::I64(i64::from(year)));
    crate::scope::restrict(&mut q, "e.school_union_id", reach.scope());
    q.push(" GROUP BY e.school_union_id ORDER BY e.school_union_id");
    let rows: Vec<(i64, i64)> = q.fetch_all(&st.db).await?;
    for (u, a) in rows {
        push(&mut out, &FIGURES[4..5], u, year, &[a]);
    }
    let mut q = Sql::new(
        "SELECT f.school_union_id,
           CAST(SUM(CASE WHEN f.status = 'open' THEN 1 ELSE 0 END) AS BIGINT),
           CAST(SUM(CASE WHEN f.status = 'rectified' THEN 1 ELSE 0 END) AS BIGINT)
         FROM funds_finding f WHERE f.audit_year = ",
    );
    q.bind(Arg::I64(i64::from(year)));
    crate::scope::restrict(&mut q, "f.school_union_id", reach.scope());
    q.push(" GROUP BY f.school_union_id ORDER BY f.school_union_id");
    let rows: Vec<(i64, i64, i64)> = q.fetch_all(&st.db).await?;
    for (u, a, b) in rows {
        push(&mut out, &FIGURES[5..], u, year, &[a, b]);
    }
    Ok(out)
}

/// Open findings whose rectification is due within [`RECTIFY_NOTICE_DAYS`] (or overdue):
/// one query. The title is the finding's number only.
pub async fn due_items(
    st: &Store,
    reach: &Reach,
    today: NaiveDate,
) -> Result<Vec<DueItem>, StoreError> {
    let until = today + chrono::Duration::days(RECTIFY_NOTICE_DAYS);
    let mut q = Sql::new(
        "SELECT f.id, f.school_union_id, f.deadline, f.audit_year FROM funds_finding f WHERE f.status = 'open' AND f.deadline <= ",
    );
    q.bind(Arg::Date(until));
    crate::scope::restrict(&mut q, "f.school_union_id", reach.scope());
    q.push(" ORDER BY f.deadline, f.id");
    let rows: Vec<(i64, i64, NaiveDate, i64)> = q.fetch_all(&st.db).await?;
    Ok(rows
        .into_iter()
        .map(|(id, school, due, year)| DueItem {
            area: "funds".into(),
            kind: "due-funds-rectification".into(),
            key: format!("funds-rectification:{id}:{due}"),
            unit: OrgUnitId(school),
            title: format!("#{id}"),
            due,
            concerns: vec![
                Concerns::Role {
                    role: Role::SchoolChair,
                    unit: OrgUnitId(school),
                },
                Concerns::Role {
                    role: Role::FinanceOfficer,
                    unit: OrgUnitId(school),
                },
            ],
            href: format!("/funds/audit?unit={school}&year={year}"),
        })
        .collect())
}

/// A levy whose stored amounts differ from what its base and its recorded rule-set
/// version give.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mismatch {
    pub levy: LevyId,
    pub school: OrgUnitId,
    pub stored: Levy,
    pub computed: Levy,
}

/// Recomputes every levy from its base under the rule-set version it recorded and names
/// the ones whose due, kept or remitted amounts differ (a tampered or mis-migrated row),
/// and checks that no levy was paid more than was due. Two queries, then a pass in memory.
pub async fn verify(st: &Store, _sys: &SystemCap) -> Result<Vec<Mismatch>, StoreError> {
    let sets: Vec<(i64, String)> = crate::on_db!(&st.db, |p| {
        sqlx::query_as("SELECT id, numbers FROM funds_rule_set ORDER BY id")
            .fetch_all(p)
            .await
    })?;
    let mut by_id = std::collections::HashMap::new();
    for (id, numbers) in sets {
        let r: FundsRules = serde_json::from_str(&numbers)
            .map_err(|e| StoreError::Other(format!("funds rule set {id}: {e}")))?;
        by_id.insert(id, r);
    }
    type Row = (
        i64,
        i64,
        String,
        i64,
        i64,
        i64,
        i64,
        i64,
        i64,
        Option<Vec<u8>>,
    );
    let rows: Vec<Row> = crate::on_db!(&st.db, |p| {
        sqlx::query_as(
            "SELECT l.id, l.school_union_id, l.kind, l.base_fen, l.due_fen, l.kept_fen, l.remitted_fen, l.paid_fen, l.rule_set_id, d.lines_enc
             FROM funds_levy l LEFT JOIN funds_dues_roll d ON d.levy_id = l.id ORDER BY l.id",
        )
        .fetch_all(p)
        .await
    })?;
    let mut out = Vec::new();
    for (id, school, kind, base, due, kept, remitted, paid, rs, roll) in rows {
        let stored = Levy {
            due_fen: due,
            kept_fen: kept,
            remitted_fen: remitted,
        };
        let computed = match (LevyKind::from_code(&kind), by_id.get(&rs)) {
            // A levy from a dues roll: the sum of its members' dues, each recomputed from
            // its base (a line that cannot be opened counts as a mismatch).
            (Some(LevyKind::Dues), Some(r)) if roll.is_some() => {
                let enc = roll.as_deref().unwrap_or_default();
                dues::check_roll(st, r, id, enc).unwrap_or(Levy {
                    due_fen: -1,
                    kept_fen: -1,
                    remitted_fen: -1,
                })
            }
            (Some(k), Some(r)) => r.levy(k, base),
            _ => Levy {
                due_fen: -1,
                kept_fen: -1,
                remitted_fen: -1,
            },
        };
        if stored != computed || paid > due {
            out.push(Mismatch {
                levy: LevyId(id),
                school: OrgUnitId(school),
                stored,
                computed,
            });
        }
    }
    Ok(out)
}
