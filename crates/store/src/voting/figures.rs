//! The voting area's year figures, per school and school year (1 September – 31 August,
//! by the Beijing day a poll closed): polls closed (closed or published) and resolutions
//! passed (published motions whose result is "passed", as decided under the rule-set
//! version in force at closing).
//!
//! Two queries whatever the number of schools: the closed polls counted by school, and the
//! results of the year's published motions (stored as the decided result; read here, the
//! same way on both engines).

use crate::area::{FiguresFn, Reach, push_in_year, value as value_of};
use crate::db::Sql;
use crate::{Store, StoreError};
use domain::area::{Figure, FigureValue};
use domain::voting::PollResult;
use std::collections::BTreeMap;

pub const CLOSED: &str = "figure-voting-polls-closed";
pub const PASSED: &str = "figure-voting-resolutions-passed";

/// The figures the voting area declares.
pub static FIGURES: &[Figure] = &[
    Figure::count(CLOSED, "/congress"),
    Figure::count(PASSED, "/congress"),
];

#[derive(sqlx::FromRow)]
struct CountRow {
    school_union_id: i64,
    closed: i64,
}

#[derive(sqlx::FromRow)]
struct ResultRow {
    school_union_id: i64,
    result: Option<String>,
}

/// Computes the figures of every school in reach for school year `year`.
pub fn year_figures<'a>(
    st: &'a Store,
    reach: &'a Reach,
    year: i32,
) -> futures::future::BoxFuture<'a, Result<Vec<FigureValue>, StoreError>> {
    Box::pin(async move {
        let mut sql = Sql::new(
            "SELECT p.school_union_id, COUNT(*) AS closed FROM poll p WHERE p.status IN ('closed', 'published')",
        );
        push_in_year(&mut sql, "p.closed_at", year);
        crate::scope::restrict(&mut sql, "p.school_union_id", reach.scope());
        sql.push(" GROUP BY p.school_union_id");
        let counts: Vec<CountRow> = sql.fetch_all(&st.db).await?;

        let mut sql = Sql::new(
            "SELECT p.school_union_id, p.result FROM poll p WHERE p.status = 'published' AND p.kind = 'motion'",
        );
        push_in_year(&mut sql, "p.closed_at", year);
        crate::scope::restrict(&mut sql, "p.school_union_id", reach.scope());
        let results: Vec<ResultRow> = sql.fetch_all(&st.db).await?;
        let mut passed: BTreeMap<i64, i64> = BTreeMap::new();
        for r in results {
            let res: Option<PollResult> = match r.result.as_deref() {
                Some(j) => {
                    Some(serde_json::from_str(j).map_err(|e| StoreError::Other(e.to_string()))?)
                }
                None => None,
            };
            if matches!(res, Some(PollResult::Motion(m)) if m.passed) {
                *passed.entry(r.school_union_id).or_insert(0) += 1;
            }
        }

        let mut out = Vec::new();
        for c in counts {
            let u = c.school_union_id;
            out.push(value_of(CLOSED, u, year, c.closed));
            let n = passed.get(&u).copied().unwrap_or(0);
            out.push(value_of(PASSED, u, year, n));
        }
        Ok(out)
    })
}

/// Checks the function has the declared shape.
const _: FiguresFn = year_figures;
