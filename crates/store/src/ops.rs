//! Operational figures read at a metrics scrape: the job queue, ballots cast, check-ins and
//! the database pool.
//!
//! Owns: the few counting queries of `/metrics`. Must never: return anything about a
//! person (counts only, no scope: these are installation-wide figures for the operator).

use crate::db::Pool;
use crate::{Db, StoreError};

/// What a scrape reports from the database.
#[derive(Clone, Debug, Default)]
pub struct OpsFigures {
    /// Jobs by status (`ready`, `running`, `parked`, `done`).
    pub jobs: Vec<(String, i64)>,
    /// Jobs not done whose last attempt failed.
    pub jobs_failing: i64,
    pub ballots: i64,
    pub check_ins: i64,
    pub pool_size: u32,
    pub pool_idle: usize,
    pub pool_max: u32,
}

pub async fn figures(db: &Db) -> Result<OpsFigures, StoreError> {
    let jobs: Vec<(String, i64)> = crate::on_db!(db, |p| sqlx::query_as(
        "SELECT status, COUNT(*) FROM job GROUP BY status"
    )
    .fetch_all(p)
    .await)?;
    let jobs_failing: i64 = crate::on_db!(db, |p| sqlx::query_scalar(
        "SELECT COUNT(*) FROM job WHERE status <> 'done' AND last_error IS NOT NULL"
    )
    .fetch_one(p)
    .await)?;
    let ballots: i64 = crate::on_db!(db, |p| sqlx::query_scalar(
        "SELECT COUNT(*) FROM poll_participation"
    )
    .fetch_one(p)
    .await)?;
    let check_ins: i64 =
        crate::on_db!(db, |p| sqlx::query_scalar("SELECT COUNT(*) FROM check_in")
            .fetch_one(p)
            .await)?;
    let (pool_size, pool_idle, pool_max) = match &db.pool {
        Pool::Sqlite(p) => (p.size(), p.num_idle(), p.options().get_max_connections()),
        Pool::Postgres(p) => (p.size(), p.num_idle(), p.options().get_max_connections()),
    };
    Ok(OpsFigures {
        jobs,
        jobs_failing,
        ballots,
        check_ins,
        pool_size,
        pool_idle,
        pool_max,
    })
}
