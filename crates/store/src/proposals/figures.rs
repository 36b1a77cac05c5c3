//! The proposals area's year figures: per school and school year (1 September – 31 August,
//! counted by the day a proposal was submitted, Beijing time), proposals submitted,
//! accepted (立案), answered, answered on time (the first reply on or before its due day)
//! and the satisfaction ratio (satisfied or partly satisfied among rated, in ‰).
//!
//! Two queries whatever the number of schools: the counts grouped by school, and the first
//! replies of the year's proposals (their timeliness is judged here, in Beijing days, the
//! same way on both engines). The definitions match the oversight table's.

use crate::area::{FiguresFn, Reach, push_in_year, value as value_of};
use crate::congress::meetings::beijing;
use crate::db::Sql;
use crate::{Store, StoreError};
use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use domain::area::{Figure, FigureValue};
use std::collections::BTreeMap;

pub const SUBMITTED: &str = "figure-proposals-submitted";
pub const ACCEPTED: &str = "figure-proposals-accepted";
pub const ANSWERED: &str = "figure-proposals-answered";
pub const ON_TIME: &str = "figure-proposals-answered-on-time";
pub const SATISFACTION: &str = "figure-proposals-satisfaction";

/// The figures the proposals area declares.
pub static FIGURES: &[Figure] = &[
    Figure::count(SUBMITTED, "/proposals?tab=all"),
    Figure::count(ACCEPTED, "/proposals?tab=all&status=accepted"),
    Figure::count(ANSWERED, "/proposals?tab=all&status=answered"),
    Figure::count(ON_TIME, "/proposals?tab=all&status=answered"),
    Figure::permille(SATISFACTION, "/congress/oversight?year={year}"),
];

#[derive(sqlx::FromRow)]
struct CountRow {
    school_union_id: i64,
    submitted: i64,
    accepted: i64,
    answered: i64,
    rated: i64,
    satisfied: i64,
}

#[derive(sqlx::FromRow)]
struct ReplyRow {
    school_union_id: i64,
    due: NaiveDate,
    replied_at: DateTime<Utc>,
}

/// Computes the figures of every school in reach for school year `year`.
pub fn year_figures<'a>(
    st: &'a Store,
    reach: &'a Reach,
    year: i32,
) -> futures::future::BoxFuture<'a, Result<Vec<FigureValue>, StoreError>> {
    Box::pin(async move {
        let mut sql = Sql::new(
            "SELECT p.school_union_id, COUNT(*) AS submitted,
                COALESCE(SUM(CASE WHEN p.status IN ('accepted', 'handling', 'answered', 'implementing', 'closed') THEN 1 ELSE 0 END), 0) AS accepted,
                COALESCE(SUM(CASE WHEN p.status IN ('answered', 'implementing', 'closed') OR (p.status = 'handling' AND p.round > 1) THEN 1 ELSE 0 END), 0) AS answered,
                COALESCE(SUM(CASE WHEN p.last_rating IS NOT NULL THEN 1 ELSE 0 END), 0) AS rated,
                COALESCE(SUM(CASE WHEN p.last_rating IN ('satisfied', 'partly_satisfied') THEN 1 ELSE 0 END), 0) AS satisfied
             FROM proposal p WHERE p.status <> 'draft'",
        );
        push_in_year(&mut sql, "p.submitted_at", year);
        crate::scope::restrict(&mut sql, "p.school_union_id", reach.scope());
        sql.push(" GROUP BY p.school_union_id");
        let counts: Vec<CountRow> = sql.fetch_all(&st.db).await?;

        let mut sql = Sql::new(
            "SELECT p.school_union_id, r.due, r.replied_at FROM proposal p
             JOIN proposal_reply r ON r.proposal_id = p.id AND r.round = 1
             WHERE p.status <> 'draft'",
        );
        push_in_year(&mut sql, "p.submitted_at", year);
        crate::scope::restrict(&mut sql, "p.school_union_id", reach.scope());
        let replies: Vec<ReplyRow> = sql.fetch_all(&st.db).await?;
        let mut on_time: BTreeMap<i64, i64> = BTreeMap::new();
        for r in replies {
            if r.replied_at < beijing(r.due + Duration::days(1), NaiveTime::MIN) {
                *on_time.entry(r.school_union_id).or_insert(0) += 1;
            }
        }

        let mut out = Vec::new();
        for c in counts {
            let v = |key: &str, value: i64| value_of(key, c.school_union_id, year, value);
            out.push(v(SUBMITTED, c.submitted));
            out.push(v(ACCEPTED, c.accepted));
            out.push(v(ANSWERED, c.answered));
            out.push(v(
                ON_TIME,
                on_time.get(&c.school_union_id).copied().unwrap_or(0),
            ));
            if c.rated > 0 {
                out.push(v(SATISFACTION, permille(c.satisfied, c.rated)));
            }
        }
        Ok(out)
    })
}

/// `part / whole` in ‰, rounded half up.
pub fn permille(part: i64, whole: i64) -> i64 {
    if whole <= 0 {
        return 0;
    }
    (part * 1000 + whole / 2) / whole
}

/// Checks the function has the declared shape.
const _: FiguresFn = year_figures;
