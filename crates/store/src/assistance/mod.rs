//! Assistance (帮扶) in the database: the versioned assistance rule sets ([`rules`]) and the
//! hardship files with their household, review and history ([`files`]); the area's
//! declaration (coded and encrypted columns, year figures, due items).
//!
//! Every read of a file takes an assistance capability (or a [`Reach`] made from one) and
//! filters by its scope in SQL; out of scope looks like missing. Households, incomes and the
//! reasons for leaving are encrypted (declared below, so key rotation covers them); lists
//! never carry them; a full view writes an audit record. Every change is audited in its
//! transaction. Nothing here renders text: errors carry catalogue keys.

pub mod demo;
pub mod files;
pub mod grants;
pub mod rules;

use crate::area::{Area, CodedColumn, EncryptedColumn, Reach};
use crate::crypto::Field;
use crate::db::{Arg, Sql};
use crate::{Store, StoreError};
use chrono::NaiveDate;
use domain::area::{Concerns, DueItem, Figure, FigureKind, FigureValue, Summation};
use domain::assistance::*;
use domain::auth::Role;
use domain::ids::OrgUnitId;
use futures::FutureExt;
use futures::future::BoxFuture;

/// Days before a yearly review falls due that it appears among the due items.
pub const REVIEW_NOTICE_DAYS: i64 = 30;

/// A file's household (JSON).
pub const HOUSEHOLD: EncryptedColumn = EncryptedColumn {
    table: "hardship_file",
    key: "id",
    column: "household_enc",
    field: Field::Hardship,
    indexes: &[],
};

/// A file's income per person, in fen.
pub const FILE_INCOME: EncryptedColumn = EncryptedColumn {
    table: "hardship_file",
    key: "id",
    column: "income_enc",
    field: Field::Income,
    indexes: &[],
};

/// Why a file was left.
pub const EXIT_REASON: EncryptedColumn = EncryptedColumn {
    table: "hardship_file",
    key: "id",
    column: "exit_reason_enc",
    field: Field::Hardship,
    indexes: &[],
};

/// Why a grant was applied for.
pub const GRANT_REASON: EncryptedColumn = EncryptedColumn {
    table: "relief_grant",
    key: "id",
    column: "reason_enc",
    field: Field::Hardship,
    indexes: &[],
};

/// The income a history step decided on.
pub const EVENT_INCOME: EncryptedColumn = EncryptedColumn {
    table: "hardship_event",
    key: "id",
    column: "income_enc",
    field: Field::Income,
    indexes: &[],
};

static FIGURES: &[Figure] = &[
    Figure {
        key: "figure-assistance-files-opened",
        kind: FigureKind::Count,
        list: "/assistance?unit={unit}&year={year}",
        sum: Summation::Sum,
    },
    Figure {
        key: "figure-assistance-files-closed",
        kind: FigureKind::Count,
        list: "/assistance?unit={unit}&year={year}&status=exited",
        sum: Summation::Sum,
    },
    Figure {
        key: "figure-assistance-files-under-review",
        kind: FigureKind::Count,
        list: "/assistance?unit={unit}&year={year}&status=open",
        sum: Summation::Sum,
    },
    Figure {
        key: "figure-assistance-grants",
        kind: FigureKind::Count,
        list: "/assistance?unit={unit}&year={year}",
        sum: Summation::Sum,
    },
    Figure {
        key: "figure-assistance-grants-fen",
        kind: FigureKind::Fen,
        list: "/assistance?unit={unit}&year={year}",
        sum: Summation::Sum,
    },
];

/// Assistance: hardship files and their rule sets.
pub static AREA: Area = Area {
    coded: &[
        CodedColumn::of::<FileStatus>("hardship_file.status"),
        CodedColumn::of::<HardshipLevel>("hardship_file.level"),
        CodedColumn::of::<FileEvent>("hardship_event.kind"),
        CodedColumn::of::<HardshipLevel>("hardship_event.level"),
        CodedColumn::of::<GrantStatus>("relief_grant.status"),
        CodedColumn::of::<FundEntryKind>("relief_fund_entry.kind"),
    ],
    encrypted: &[
        HOUSEHOLD,
        FILE_INCOME,
        EXIT_REASON,
        GRANT_REASON,
        EVENT_INCOME,
    ],
    demo: Some(demo::area_demo),
    figures: FIGURES,
    year_figures: Some(year_figures_boxed),
    due_items: Some(due_items_boxed),
    ..Area::new("assistance")
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

/// Files opened (confirmed), closed and under review (open with a review due by the end of
/// the year), and grants paid (count and sum in fen) per school of the reach: two queries,
/// whatever the number of schools.
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
    let mut q = Sql::new("SELECT f.school_union_id, CAST(SUM(CASE WHEN f.opened_on >= ");
    q.bind(Arg::Date(from))
        .push(" AND f.opened_on <= ")
        .bind(Arg::Date(to))
        .push(" THEN 1 ELSE 0 END) AS BIGINT), CAST(SUM(CASE WHEN f.exited_on >= ")
        .bind(Arg::Date(from))
        .push(" AND f.exited_on <= ")
        .bind(Arg::Date(to))
        .push(" THEN 1 ELSE 0 END) AS BIGINT), CAST(SUM(CASE WHEN f.status = 'open' AND f.review_due <= ")
        .bind(Arg::Date(to))
        .push(" THEN 1 ELSE 0 END) AS BIGINT) FROM hardship_file f WHERE f.status <> 'draft'");
    crate::scope::restrict(&mut q, "f.school_union_id", reach.scope());
    q.push(" GROUP BY f.school_union_id ORDER BY f.school_union_id");
    let rows: Vec<(i64, i64, i64, i64)> = q.fetch_all(&st.db).await?;
    let mut out = Vec::with_capacity(rows.len() * FIGURES.len());
    for (unit, opened, closed, review) in rows {
        for (f, v) in FIGURES[..3].iter().zip([opened, closed, review]) {
            out.push(FigureValue {
                key: f.key.to_string(),
                unit: OrgUnitId(unit),
                year,
                value: v,
            });
        }
    }
    for (unit, count, sum) in grants::paid_per_school(&st.db, reach.scope(), year).await? {
        for (f, v) in FIGURES[3..].iter().zip([count, sum]) {
            out.push(FigureValue {
                key: f.key.to_string(),
                unit: OrgUnitId(unit),
                year,
                value: v,
            });
        }
    }
    Ok(out)
}

/// Yearly reviews due within [`REVIEW_NOTICE_DAYS`] (or overdue) of open files in reach:
/// one query. The title is the file's number only; no name or level reaches a reminder.
pub async fn due_items(
    st: &Store,
    reach: &Reach,
    today: NaiveDate,
) -> Result<Vec<DueItem>, StoreError> {
    let until = today + chrono::Duration::days(REVIEW_NOTICE_DAYS);
    let mut q = Sql::new(
        "SELECT f.id, f.school_union_id, f.review_due FROM hardship_file f WHERE f.status = 'open' AND f.review_due <= ",
    );
    q.bind(Arg::Date(until));
    crate::scope::restrict(&mut q, "f.school_union_id", reach.scope());
    q.push(" ORDER BY f.review_due, f.id");
    let rows: Vec<(i64, i64, NaiveDate)> = q.fetch_all(&st.db).await?;
    Ok(rows
        .into_iter()
        .map(|(id, school, due)| DueItem {
            area: "assistance".into(),
            kind: "due-assistance-review".into(),
            key: format!("assistance-review:{id}:{due}"),
            unit: OrgUnitId(school),
            title: format!("#{id}"),
            due,
            concerns: vec![
                Concerns::Role {
                    role: Role::SchoolChair,
                    unit: OrgUnitId(school),
                },
                Concerns::Role {
                    role: Role::CommitteeMember,
                    unit: OrgUnitId(school),
                },
            ],
            href: format!("/assistance/files/{id}"),
        })
        .collect())
}
