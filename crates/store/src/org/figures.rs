//! The org area's year figures, per school and school year (1 September – 31 August):
//! members active and retired at the year's end, members who joined in the year, and
//! whether the school has a chair (1 or 0, so that a district's sum is its number of
//! schools with a chair).
//!
//! "At the year's end" reads the member's current status when it was reached on or before
//! the last day of the year; a member whose status changed after that day is not counted
//! under either (the earlier status is in the history, not read here). Two queries whatever
//! the number of schools, grouped by school.

use crate::area::{FiguresFn, Reach, value as value_of};
use crate::db::{Arg, Sql};
use crate::{Store, StoreError};
use domain::area::{Figure, FigureValue};
use domain::congress::school_year_range;

pub const ACTIVE: &str = "figure-org-members-active";
pub const RETIRED: &str = "figure-org-members-retired";
pub const JOINED: &str = "figure-org-members-joined";
pub const CHAIR: &str = "figure-org-schools-with-chair";

/// The figures the org area declares.
pub static FIGURES: &[Figure] = &[
    Figure::count(ACTIVE, "/members?unit={unit}&status=active"),
    Figure::count(RETIRED, "/members?unit={unit}&status=retired"),
    Figure::count(JOINED, "/members?unit={unit}"),
    Figure::count(CHAIR, "/org"),
];

#[derive(sqlx::FromRow)]
struct MemberRow {
    school_union_id: i64,
    active: i64,
    retired: i64,
    joined: i64,
}

#[derive(sqlx::FromRow)]
struct ChairRow {
    org_unit_id: i64,
}

/// Computes the figures of every school in reach for school year `year`.
pub fn year_figures<'a>(
    st: &'a Store,
    reach: &'a Reach,
    year: i32,
) -> futures::future::BoxFuture<'a, Result<Vec<FigureValue>, StoreError>> {
    Box::pin(async move {
        let (from, to) = school_year_range(year);
        let mut sql = Sql::new(
            "SELECT m.school_union_id,
                COALESCE(SUM(CASE WHEN m.status = 'active' AND m.status_since <= ",
        );
        sql.bind(Arg::Date(to))
            .push(" THEN 1 ELSE 0 END), 0) AS active, COALESCE(SUM(CASE WHEN m.status = 'retired' AND m.status_since <= ")
            .bind(Arg::Date(to))
            .push(" THEN 1 ELSE 0 END), 0) AS retired, COALESCE(SUM(CASE WHEN m.join_date >= ")
            .bind(Arg::Date(from))
            .push(" AND m.join_date <= ")
            .bind(Arg::Date(to))
            .push(" THEN 1 ELSE 0 END), 0) AS joined FROM member m WHERE 1 = 1");
        crate::scope::restrict(&mut sql, "m.school_union_id", reach.scope());
        sql.push(" GROUP BY m.school_union_id");
        let members: Vec<MemberRow> = sql.fetch_all(&st.db).await?;

        let mut sql = Sql::new(
            "SELECT DISTINCT g.org_unit_id FROM role_grant g JOIN org_unit u ON u.id = g.org_unit_id
             WHERE g.role = 'school_chair' AND u.kind = 'school_union'",
        );
        crate::scope::restrict(&mut sql, "g.org_unit_id", reach.scope());
        let chairs: Vec<ChairRow> = sql.fetch_all(&st.db).await?;

        let v = |key: &str, unit: i64, value: i64| value_of(key, unit, year, value);
        let mut out = Vec::new();
        for m in members {
            out.push(v(ACTIVE, m.school_union_id, m.active));
            out.push(v(RETIRED, m.school_union_id, m.retired));
            out.push(v(JOINED, m.school_union_id, m.joined));
        }
        out.extend(chairs.into_iter().map(|c| v(CHAIR, c.org_unit_id, 1)));
        Ok(out)
    })
}

/// Checks the function has the declared shape.
const _: FiguresFn = year_figures;
