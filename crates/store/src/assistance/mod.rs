//! Assistance (帮扶) in the database: the versioned assistance rule sets ([`rules`]) and the
//! hardship files with their household, review and history ([`files`]); the area's
//! declaration (coded and encrypted columns, year figures, due items).
//!
//! Every read of a file takes an assistance capability (or a [`Reach`] made from one) and
//! filters by its scope in SQL; out of scope looks like missing. Households, incomes and the
//! reasons for leaving are encrypted (declared below, so key rotation covers them); lists
//! never carry them; a full view writes an audit record. Every change is audited in its
//! transaction. Nothing here renders text: errors carry catalogue keys.

pub mod campaigns;
pub mod contacts;
pub mod demo;
pub mod files;
pub mod grants;
pub mod payout;
pub mod rules;
pub mod visits;

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

/// What a school reported about a member (a visit's cause).
pub const REPORT_NOTE: EncryptedColumn = EncryptedColumn {
    table: "visit_report",
    key: "id",
    column: "note_enc",
    field: Field::Hardship,
    indexes: &[],
};

/// A visit's note.
pub const VISIT_NOTE: EncryptedColumn = EncryptedColumn {
    table: "visit",
    key: "id",
    column: "note_enc",
    field: Field::Hardship,
    indexes: &[],
};

/// A retirees' association contact's phone.
pub const CONTACT_PHONE: EncryptedColumn = EncryptedColumn {
    table: "retiree_contact",
    key: "id",
    column: "phone_enc",
    field: Field::Phone,
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
    Figure {
        key: "figure-assistance-visits",
        kind: FigureKind::Count,
        list: "/assistance/visits?unit={unit}&year={year}",
        sum: Summation::Sum,
    },
    Figure {
        key: "figure-assistance-visits-fen",
        kind: FigureKind::Fen,
        list: "/assistance/visits?unit={unit}&year={year}",
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
        CodedColumn::of::<VisitType>("visit_report.visit_type"),
        CodedColumn::of::<VisitType>("visit.visit_type"),
        CodedColumn::of::<VisitTrigger>("visit.trigger_kind"),
        CodedColumn::of::<CampaignKind>("campaign.kind"),
    ],
    encrypted: &[
        HOUSEHOLD,
        FILE_INCOME,
        EXIT_REASON,
        GRANT_REASON,
        EVENT_INCOME,
        REPORT_NOTE,
        VISIT_NOTE,
        CONTACT_PHONE,
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
/// the year), grants paid (count and sum in fen) and visits made (count and condolence
/// money in fen) per school of the reach: two queries, whatever the number of schools.
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
    // Grants paid and visits made, per school, in one query (two parts of one UNION).
    let mut q = Sql::new(
        "SELECT CAST(0 AS BIGINT), g.school_union_id, COUNT(*), CAST(SUM(g.amount_fen) AS BIGINT) FROM relief_grant g WHERE g.status = 'paid' AND g.grant_year = ",
    );
    q.bind(Arg::I64(i64::from(year)));
    crate::scope::restrict(&mut q, "g.school_union_id", reach.scope());
    q.push(" GROUP BY g.school_union_id UNION ALL SELECT CAST(1 AS BIGINT), v.school_union_id, COUNT(*), CAST(SUM(v.amount_fen) AS BIGINT) FROM visit v WHERE v.visit_year = ");
    q.bind(Arg::I64(i64::from(year)));
    crate::scope::restrict(&mut q, "v.school_union_id", reach.scope());
    q.push(" GROUP BY v.school_union_id ORDER BY 1, 2");
    let rows: Vec<(i64, i64, i64, i64)> = q.fetch_all(&st.db).await?;
    for (part, unit, count, sum) in rows {
        let keys = if part == 0 {
            &FIGURES[3..5]
        } else {
            &FIGURES[5..]
        };
        for (f, v) in keys.iter().zip([count, sum]) {
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

/// Yearly reviews due within [`REVIEW_NOTICE_DAYS`] (or overdue) of open files in reach
/// (one query) and the visits owed ([`visits::due`], five queries). The title is the file's number only; no name or level reaches a reminder.
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
    let owed = visits::due(&st.db, reach.scope(), today).await?;
    let school_roles = |school: OrgUnitId| {
        vec![
            Concerns::Role {
                role: Role::SchoolChair,
                unit: school,
            },
            Concerns::Role {
                role: Role::CommitteeMember,
                unit: school,
            },
        ]
    };
    // A visit owed names neither the member nor the type (a hospital stay is health data):
    // the reminder says a visit is due and links to the school's due list.
    let visit_items = owed.into_iter().map(|v| DueItem {
        area: "assistance".into(),
        kind: "due-assistance-visit".into(),
        key: v.key(),
        unit: v.school_union_id,
        title: format!("#{}", v.source_id),
        due: v.due_on,
        concerns: school_roles(v.school_union_id),
        href: "/assistance/visits".into(),
    });
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
        .chain(visit_items)
        .collect())
}
