//! Assessment in the database: the staff-home register ([`homes`]: applications with the
//! self-assessment and its evidence files ([`evidence`]), the area's recommendation, the district's two-person
//! review, each school's level history with downgrades), the annual assessment ([`annual`]:
//! computed, never stored, from every area's year figures), the demo year ([`demo`]) and the
//! area's declaration (coded columns, year figures, due items).
//!
//! Every read takes an assessment capability (or a [`Reach`] made from one) and filters by
//! its scope in SQL; out of scope looks like missing. Every change is audited in its
//! transaction. Nothing here renders text: errors carry catalogue keys.

pub mod annual;
pub mod demo;
pub mod evidence;
pub mod hand;
pub mod homes;

use crate::area::{Area, CodedColumn, Reach};
use crate::db::{Arg, Sql};
use crate::{Store, StoreError};
use chrono::NaiveDate;
use domain::area::{Concerns, DueItem, Figure, FigureKind, FigureValue, Summation};
use domain::assessment::*;
use domain::auth::Role;
use domain::ids::OrgUnitId;
use domain::org::Coded;
use futures::FutureExt;
use futures::future::BoxFuture;

/// Days the area has to recommend, and the district to review, an application.
pub const STEP_DAYS: i64 = 30;

pub const QUALIFIED: &str = "figure-assessment-home-qualified";
pub const ADVANCED: &str = "figure-assessment-home-advanced";
pub const MODEL: &str = "figure-assessment-home-model";

static FIGURES: &[Figure] = &[
    // The school's level at the end of the school year, as a rank (0 none … 3 model): the
    // annual assessment reads it; it does not add up over schools.
    Figure {
        key: HOME_LEVEL,
        kind: FigureKind::Count,
        list: "/assessment/homes?unit={unit}",
        sum: Summation::None,
    },
    Figure::count(QUALIFIED, "/assessment/homes?unit={unit}&level=qualified"),
    Figure::count(ADVANCED, "/assessment/homes?unit={unit}&level=advanced"),
    Figure::count(MODEL, "/assessment/homes?unit={unit}&level=model"),
];

/// Assessment: staff homes and the annual assessment.
pub static AREA: Area = Area {
    coded: &[
        CodedColumn::of::<HomeLevel>("home_application.level"),
        CodedColumn::of::<ApplicationStatus>("home_application.status"),
        CodedColumn::of::<HomeLevel>("home_level.level"),
        CodedColumn::of::<LevelChange>("home_level.change"),
        CodedColumn::of::<AppealStatus>("annual_appeal.status"),
    ],
    demo: Some(demo::area_demo),
    figures: FIGURES,
    year_figures: Some(year_figures_boxed),
    due_items: Some(due_items_boxed),
    ..Area::new("assessment")
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

/// Each school's staff-home level at the end of school year `year` (the last level decided
/// by then): one query, whatever the number of schools.
pub async fn year_figures(
    st: &Store,
    reach: &Reach,
    year: i32,
) -> Result<Vec<FigureValue>, StoreError> {
    let (_, end) = domain::congress::school_year_range(year);
    let rows = levels_on(st, reach.scope(), end).await?;
    let mut out = Vec::with_capacity(rows.len() * 4);
    for (unit, level) in rows {
        let rank = level.map(HomeLevel::rank).unwrap_or(0);
        out.push(crate::area::value(HOME_LEVEL, unit, year, rank));
        for (key, l) in [
            (QUALIFIED, HomeLevel::Qualified),
            (ADVANCED, HomeLevel::Advanced),
            (MODEL, HomeLevel::Model),
        ] {
            out.push(crate::area::value(
                key,
                unit,
                year,
                i64::from(level == Some(l)),
            ));
        }
    }
    Ok(out)
}

/// The level of every school in `scope` that has a history, as of `day`: one query.
pub(crate) async fn levels_on(
    st: &Store,
    scope: &domain::auth::Scope,
    day: NaiveDate,
) -> Result<Vec<(i64, Option<HomeLevel>)>, StoreError> {
    let mut q = Sql::new(
        "SELECT h.school_union_id, h.level FROM home_level h WHERE h.id IN (SELECT MAX(h2.id) FROM home_level h2 WHERE h2.decided_on <= ",
    );
    q.bind(Arg::Date(day)).push(" GROUP BY h2.school_union_id)");
    crate::scope::restrict(&mut q, "h.school_union_id", scope);
    q.push(" ORDER BY h.school_union_id");
    let rows: Vec<(i64, Option<String>)> = q.fetch_all(&st.db).await?;
    Ok(rows
        .into_iter()
        .map(|(u, l)| (u, l.as_deref().and_then(HomeLevel::from_code)))
        .collect())
}

/// The due items of the area: applications waiting for a step ([`steps_due`]) and schools
/// that have not self-assessed by the scheme's deadline ([`self_assessment_due`]).
pub async fn due_items(
    st: &Store,
    reach: &Reach,
    today: NaiveDate,
) -> Result<Vec<DueItem>, StoreError> {
    let mut out = steps_due(st, reach, today).await?;
    out.extend(self_assessment_due(st, reach, today).await?);
    Ok(out)
}

/// The due item's catalogue key of a school's yearly self-assessment.
pub const DUE_SELF_ASSESS: &str = "due-assessment-self-assess";

/// Schools in reach with no staff-home application in the current school year, once the
/// scheme's self-assessment deadline is within the reminders' lead time for items of no
/// declared kind (or has passed, until the year ends): the school's chair is concerned.
/// Two queries (the lead time, the schools), whatever the number of schools.
pub async fn self_assessment_due(
    st: &Store,
    reach: &Reach,
    today: NaiveDate,
) -> Result<Vec<DueItem>, StoreError> {
    let year = domain::congress::school_year(today);
    let Some(due) = current().self_assessment_due(year) else {
        return Ok(Vec::new());
    };
    let versions = crate::rule_sets::newest_per_unit::<domain::notify::NotifyRules>(
        &st.db,
        crate::notify::RULES_AREA,
    )
    .await?;
    let lead = versions
        .values()
        .map(|v| {
            v.rules
                .steps_of(None)
                .before
                .iter()
                .copied()
                .max()
                .unwrap_or(0)
        })
        .chain([domain::notify::default_rules()
            .other
            .before
            .iter()
            .copied()
            .max()
            .unwrap_or(0)])
        .max()
        .unwrap_or(0);
    if (due - today).num_days() > lead {
        return Ok(Vec::new());
    }
    let (from, to) = domain::congress::school_year_range(year);
    let mut q = Sql::new(
        "SELECT u.id, u.name FROM org_unit u WHERE u.kind = 'school_union'
           AND NOT EXISTS (SELECT 1 FROM home_application a WHERE a.school_union_id = u.id AND a.applied_on >= ",
    );
    q.bind(Arg::Date(from))
        .push(" AND a.applied_on <= ")
        .bind(Arg::Date(to))
        .push(")");
    crate::scope::restrict(&mut q, "u.id", reach.scope());
    q.push(" ORDER BY u.id");
    let rows: Vec<(i64, String)> = q.fetch_all(&st.db).await?;
    Ok(rows
        .into_iter()
        .map(|(school, name)| DueItem {
            area: "assessment".into(),
            kind: DUE_SELF_ASSESS.into(),
            key: format!("assessment-self-assess:{school}:{year}"),
            unit: OrgUnitId(school),
            title: name,
            due,
            concerns: vec![Concerns::Role {
                role: Role::SchoolChair,
                unit: OrgUnitId(school),
            }],
            href: "/assessment/homes/new".into(),
        })
        .collect())
}

/// Applications waiting for the area's recommendation or the district's review, due
/// [`STEP_DAYS`] after the last step: one query. The title is the application's number.
pub async fn steps_due(
    st: &Store,
    reach: &Reach,
    _today: NaiveDate,
) -> Result<Vec<DueItem>, StoreError> {
    let mut q = Sql::new(
        "SELECT a.id, a.school_union_id, u.parent_id, a.status, a.applied_on FROM home_application a
         JOIN org_unit u ON u.id = a.school_union_id WHERE a.decided_on IS NULL",
    );
    crate::scope::restrict(&mut q, "a.school_union_id", reach.scope());
    q.push(" ORDER BY a.id");
    let rows: Vec<(i64, i64, Option<i64>, String, NaiveDate)> = q.fetch_all(&st.db).await?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, school, parent, status, applied_on)| {
            let status = ApplicationStatus::from_code(&status)?;
            let (kind, concerns) = match status {
                ApplicationStatus::SelfAssessed => (
                    "due-assessment-recommend",
                    vec![Concerns::Role {
                        role: Role::AreaLead,
                        unit: OrgUnitId(parent.unwrap_or(school)),
                    }],
                ),
                _ => (
                    "due-assessment-review",
                    vec![Concerns::Role {
                        role: Role::UnionStaff,
                        unit: OrgUnitId(school),
                    }],
                ),
            };
            let due = applied_on + chrono::Duration::days(STEP_DAYS);
            Some(DueItem {
                area: "assessment".into(),
                kind: kind.into(),
                key: format!("assessment-{}:{id}", status.code()),
                unit: OrgUnitId(school),
                title: format!("#{id}"),
                due,
                concerns,
                href: format!("/assessment/homes/{id}"),
            })
        })
        .collect())
}
