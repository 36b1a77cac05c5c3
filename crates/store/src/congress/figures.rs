//! The congress area's year figures, per school and school year (1 September – 31
//! August): meetings held (closed) in the year, meetings held with a quorum (the ones
//! that count as held for the assessment, as in the oversight table), and the voting
//! delegates whose mandate covered the year's last day (or today, for the year in
//! progress).
//!
//! Two queries whatever the number of schools, grouped by school.

use crate::area::{FiguresFn, Reach, value as value_of};
use crate::db::{Arg, Sql};
use crate::{Store, StoreError};
use domain::area::{Figure, FigureValue};
use domain::congress::school_year_range;

pub const HELD: &str = "figure-congress-meetings-held";
pub const QUORUM: &str = "figure-congress-meetings-quorum";
pub const DELEGATES: &str = "figure-congress-delegates";

/// The figures the congress area declares.
pub static FIGURES: &[Figure] = &[
    Figure::count(HELD, "/congress/oversight?year={year}"),
    Figure::count(QUORUM, "/congress/oversight?year={year}"),
    Figure::count(DELEGATES, "/congress/oversight?year={year}"),
];

#[derive(sqlx::FromRow)]
struct Row {
    school_union_id: i64,
    a: i64,
    b: i64,
}

/// Computes the figures of every school in reach for school year `year`.
pub fn year_figures<'a>(
    st: &'a Store,
    reach: &'a Reach,
    year: i32,
) -> futures::future::BoxFuture<'a, Result<Vec<FigureValue>, StoreError>> {
    Box::pin(async move {
        let (from, to) = school_year_range(year);
        let day = to.min(crate::db::now().date_naive());
        let mut sql = Sql::new(
            "SELECT mt.school_union_id,
                COALESCE(SUM(CASE WHEN mt.status = 'closed' THEN 1 ELSE 0 END), 0) AS a,
                COALESCE(SUM(CASE WHEN mt.status = 'closed' AND mt.final_quorum THEN 1 ELSE 0 END), 0) AS b
             FROM congress_meeting mt WHERE mt.meeting_date >= ",
        );
        sql.bind(Arg::Date(from))
            .push(" AND mt.meeting_date <= ")
            .bind(Arg::Date(to));
        crate::scope::restrict(&mut sql, "mt.school_union_id", reach.scope());
        sql.push(" GROUP BY mt.school_union_id");
        let meetings: Vec<Row> = sql.fetch_all(&st.db).await?;

        let mut sql = Sql::new(
            "SELECT t.school_union_id, COUNT(*) AS a, CAST(0 AS BIGINT) AS b FROM delegate d
             JOIN congress_term t ON t.id = d.term_id
             WHERE d.kind = 'delegate' AND d.started_on <= ",
        );
        sql.bind(Arg::Date(day))
            .push(" AND (d.ended_on IS NULL OR d.ended_on > ")
            .bind(Arg::Date(day))
            .push(") AND t.start_date <= ")
            .bind(Arg::Date(day))
            .push(" AND t.end_date >= ")
            .bind(Arg::Date(day));
        crate::scope::restrict(&mut sql, "t.school_union_id", reach.scope());
        sql.push(" GROUP BY t.school_union_id");
        let delegates: Vec<Row> = sql.fetch_all(&st.db).await?;

        let v = |key: &str, unit: i64, value: i64| value_of(key, unit, year, value);
        let mut out = Vec::new();
        for m in meetings {
            out.push(v(HELD, m.school_union_id, m.a));
            out.push(v(QUORUM, m.school_union_id, m.b));
        }
        out.extend(
            delegates
                .into_iter()
                .map(|d| v(DELEGATES, d.school_union_id, d.a)),
        );
        Ok(out)
    })
}

/// Checks the function has the declared shape.
const _: FiguresFn = year_figures;
