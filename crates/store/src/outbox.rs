//! The durable outbox: jobs written in the transaction of the change that causes them, taken
//! by workers, retried with back-off, parked after the last try; and the lease rows that let
//! a scheduled run (reminder scan, daily digest) happen once per schedule across processes.
//!
//! Taking jobs is one `UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED) RETURNING …`
//! on PostgreSQL, so several `serve` processes share the queue without waiting on each
//! other's rows; SQLite has one writer at a time, so the same statement without the lock
//! clause is enough there. A job whose worker died (its lease ran out while `running`) is
//! taken again: delivery is at least once, and every send carries the job's idempotency key
//! so that the receiver can drop a repeat.
//!
//! This module never sends anything (the web layer's worker does) and never decides whom to
//! notify (`store::notify` does).

use crate::audit::{self, Who};
use crate::db::{Arg, Sql, Tx};
use crate::{Db, Engine, Store, StoreError, on_db, on_tx};
use chrono::{DateTime, Utc};
use domain::audit::Changes;
use domain::auth::{Cap, perm};
use domain::ids::{AccountId, OrgUnitId};
use domain::outbox::{Backoff, Channel, JobStatus};

/// A job to write.
#[derive(Clone, Debug)]
pub struct NewJob {
    pub channel: Channel,
    /// Unique per send: enqueuing the same key again is no change.
    pub idempotency_key: String,
    pub org_unit: Option<OrgUnitId>,
    pub account: Option<AccountId>,
    /// JSON: the message and whatever the channel needs to address it.
    pub payload: String,
    pub run_at: DateTime<Utc>,
    pub max_attempts: u32,
}

/// Writes jobs inside the caller's transaction (so the change and its notifications commit
/// or vanish together). Returns how many were new.
pub async fn enqueue(tx: &mut Tx, jobs: &[NewJob], now: DateTime<Utc>) -> Result<u64, StoreError> {
    let mut n = 0;
    // 9 parameters a row; 500 rows stay far below both engines' parameter limits.
    for chunk in jobs.chunks(500) {
        let mut sql = Sql::new(
            "INSERT INTO job (channel, idempotency_key, org_unit_id, account_id, payload, status, attempts, max_attempts, run_at, created_at) VALUES ",
        );
        for (i, j) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.push("(")
                .bind_list([
                    Arg::Text(j.channel.as_str().into()),
                    Arg::Text(j.idempotency_key.clone()),
                    Arg::OptI64(j.org_unit.map(|o| o.0)),
                    Arg::OptI64(j.account.map(|a| a.0)),
                    Arg::Text(j.payload.clone()),
                ])
                .push(", 'ready', 0, ")
                .bind_list([
                    Arg::I64(i64::from(j.max_attempts)),
                    Arg::Ts(j.run_at),
                    Arg::Ts(now),
                ])
                .push(")");
        }
        sql.push(" ON CONFLICT (idempotency_key) DO NOTHING");
        n += sql.execute_tx(tx).await?;
    }
    Ok(n)
}

/// A job taken by a worker.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Job {
    pub id: i64,
    pub channel: String,
    pub idempotency_key: String,
    pub org_unit_id: Option<i64>,
    pub account_id: Option<i64>,
    pub payload: String,
    /// Tries so far, this one included.
    pub attempts: i64,
    pub max_attempts: i64,
}

const CLAIM_SQLITE: &str = "UPDATE job SET status = 'running', attempts = attempts + 1, locked_by = $1, locked_until = $2
     WHERE id IN (SELECT id FROM job WHERE (status = 'ready' AND run_at <= $3) OR (status = 'running' AND locked_until < $3)
                  ORDER BY run_at, id LIMIT $4)
     RETURNING id, channel, idempotency_key, org_unit_id, account_id, payload, attempts, max_attempts";

// SKIP LOCKED: rows another process is taking right now are passed over, not waited for.
const CLAIM_PG: &str = "UPDATE job SET status = 'running', attempts = attempts + 1, locked_by = $1, locked_until = $2
     WHERE id IN (SELECT id FROM job WHERE (status = 'ready' AND run_at <= $3) OR (status = 'running' AND locked_until < $3)
                  ORDER BY run_at, id LIMIT $4 FOR UPDATE SKIP LOCKED)
     RETURNING id, channel, idempotency_key, org_unit_id, account_id, payload, attempts, max_attempts";

/// Takes up to `limit` jobs that are due (or whose worker's lease ran out) for `worker`
/// until `now + lease`.
pub async fn claim(
    db: &Db,
    worker: &str,
    limit: i64,
    lease: std::time::Duration,
    now: DateTime<Utc>,
) -> Result<Vec<Job>, StoreError> {
    let until = now + chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::minutes(5));
    let mut jobs: Vec<Job> = match db.engine() {
        Engine::Sqlite => on_db!(db, |p| sqlx::query_as(CLAIM_SQLITE)
            .bind(worker)
            .bind(until)
            .bind(now)
            .bind(limit)
            .fetch_all(p)
            .await)?,
        Engine::Postgres => on_db!(db, |p| sqlx::query_as(CLAIM_PG)
            .bind(worker)
            .bind(until)
            .bind(now)
            .bind(limit)
            .fetch_all(p)
            .await)?,
    };
    jobs.sort_by_key(|j| j.id);
    Ok(jobs)
}

/// Marks jobs delivered (one statement for the whole batch).
pub async fn complete(db: &Db, ids: &[i64], now: DateTime<Utc>) -> Result<u64, StoreError> {
    let mut n = 0;
    for chunk in ids.chunks(500) {
        let mut sql = Sql::new("UPDATE job SET status = 'done', finished_at = ");
        sql.bind(Arg::Ts(now))
            .push(", locked_by = NULL, locked_until = NULL, last_error = NULL WHERE status = 'running' AND id IN (")
            .bind_list(chunk.iter().map(|i| Arg::I64(*i)))
            .push(")");
        let mut tx = db.begin().await?;
        n += sql.execute_tx(&mut tx).await?;
        tx.commit().await?;
    }
    Ok(n)
}

/// Records a failed try: back to `ready` after the back-off, or `parked` after the last
/// try. Returns the job's new status.
pub async fn fail(
    db: &Db,
    job: &Job,
    error: &str,
    backoff: &Backoff,
    now: DateTime<Utc>,
) -> Result<JobStatus, StoreError> {
    let attempts = u32::try_from(job.attempts).unwrap_or(u32::MAX);
    let limit = Backoff {
        max_attempts: u32::try_from(job.max_attempts).unwrap_or(backoff.max_attempts),
        ..*backoff
    };
    let error: String = error.chars().take(1000).collect();
    let (status, run_at) = match limit.after_failure(attempts, now) {
        Some(next) => (JobStatus::Ready, next),
        None => (JobStatus::Parked, now),
    };
    on_db!(db, |p| {
        sqlx::query(
        "UPDATE job SET status = $1, run_at = $2, last_error = $3, locked_by = NULL, locked_until = NULL,
                finished_at = CASE WHEN $1 = 'parked' THEN $4 ELSE NULL END
         WHERE id = $5 AND status = 'running'"
    )
    .bind(status.as_str())
    .bind(run_at)
    .bind(&error)
    .bind(now)
    .bind(job.id)
    .execute(p)
    .await
    .map(|r| r.rows_affected())
    })?;
    Ok(status)
}

/// A job as the administrator sees it.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct JobRow {
    pub id: i64,
    pub channel: String,
    pub org_unit_id: Option<i64>,
    pub unit_name: Option<String>,
    pub status: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

/// Parked jobs in scope, newest first (a job without an org unit only for the whole
/// installation).
pub async fn parked(
    db: &Db,
    cap: &Cap<perm::OrgManage>,
    limit: i64,
) -> Result<Vec<JobRow>, StoreError> {
    let mut sql = Sql::new(
        "SELECT j.id, j.channel, j.org_unit_id, u.name AS unit_name, j.status, j.attempts, j.last_error, j.created_at, j.finished_at
         FROM job j LEFT JOIN org_unit u ON u.id = j.org_unit_id WHERE j.status = 'parked'",
    );
    crate::scope::restrict(&mut sql, "j.org_unit_id", cap.scope());
    sql.push(" ORDER BY j.id DESC LIMIT ").bind(Arg::I64(limit));
    sql.fetch_all(db).await
}

/// How many jobs are in each state, in scope: (ready, running, parked).
pub async fn counts(db: &Db, cap: &Cap<perm::OrgManage>) -> Result<(i64, i64, i64), StoreError> {
    let mut sql = Sql::new(
        "SELECT COALESCE(SUM(CASE WHEN status = 'ready' THEN 1 ELSE 0 END), 0),
                COALESCE(SUM(CASE WHEN status = 'running' THEN 1 ELSE 0 END), 0),
                COALESCE(SUM(CASE WHEN status = 'parked' THEN 1 ELSE 0 END), 0)
         FROM job WHERE status <> 'done'",
    );
    crate::scope::restrict(&mut sql, "org_unit_id", cap.scope());
    let rows: Vec<(i64, i64, i64)> = sql.fetch_all(db).await?;
    Ok(rows.into_iter().next().unwrap_or((0, 0, 0)))
}

/// Puts a parked job back in the queue with fresh tries (audited). A job that is not
/// parked, or not in scope, is `NotFound`.
pub async fn retry(
    st: &Store,
    cap: &Cap<perm::OrgManage>,
    who: &Who,
    id: i64,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let mut tx = st.db.begin().await?;
    let mut sql =
        Sql::new("SELECT org_unit_id, last_error FROM job WHERE status = 'parked' AND id = ");
    sql.bind(Arg::I64(id));
    crate::scope::restrict(&mut sql, "org_unit_id", cap.scope());
    let found: Vec<(Option<i64>, Option<String>)> = sql.fetch_all_tx(&mut tx).await?;
    let Some((unit, _)) = found.into_iter().next() else {
        return Err(StoreError::NotFound);
    };
    on_tx!(&mut tx, |c| {
        sqlx::query(
        "UPDATE job SET status = 'ready', attempts = 0, run_at = $1, finished_at = NULL WHERE id = $2 AND status = 'parked'"
    )
    .bind(now)
    .bind(id)
    .execute(&mut *c)
    .await
    .map(|r| r.rows_affected())
    })?;
    let mut ch = Changes::new();
    ch.field("status", Some(&"parked"), Some(&"ready"));
    audit::append(
        &mut tx,
        &st.cipher,
        who,
        audit::Event {
            action: "job.retry",
            entity_type: "job",
            entity_id: Some(id),
            org_unit: unit.map(OrgUnitId),
            changes: &ch,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Removes delivered jobs finished before `before` (the queue table stays small).
pub async fn purge_done(db: &Db, before: DateTime<Utc>) -> Result<u64, StoreError> {
    Ok(on_db!(db, |p| sqlx::query(
        "DELETE FROM job WHERE status = 'done' AND finished_at < $1"
    )
    .bind(before)
    .execute(p)
    .await
    .map(|r| r.rows_affected()))?)
}

/// Claims the occurrence `slot` of `schedule` for `owner` until `now + lease`. True for
/// exactly one caller per occurrence — unless its lease runs out before it finished, when
/// the next caller takes the run over (the runs themselves are idempotent).
pub async fn claim_schedule(
    db: &Db,
    schedule: &str,
    slot: DateTime<Utc>,
    owner: &str,
    lease: std::time::Duration,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let until = now + chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::minutes(10));
    let n = on_db!(db, |p| {
        sqlx::query(
        "INSERT INTO schedule_run (schedule, slot, owner, lease_until) VALUES ($1, $2, $3, $4)
         ON CONFLICT (schedule, slot) DO UPDATE SET owner = excluded.owner, lease_until = excluded.lease_until
         WHERE schedule_run.finished_at IS NULL AND schedule_run.lease_until < $5"
    )
    .bind(schedule)
    .bind(slot)
    .bind(owner)
    .bind(until)
    .bind(now)
    .execute(p)
    .await
    .map(|r| r.rows_affected())
    })?;
    Ok(n == 1)
}

/// Records that the run of `slot` finished.
pub async fn finish_schedule(
    db: &Db,
    schedule: &str,
    slot: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    on_db!(db, |p| sqlx::query(
        "UPDATE schedule_run SET finished_at = $1 WHERE schedule = $2 AND slot = $3"
    )
    .bind(now)
    .bind(schedule)
    .bind(slot)
    .execute(p)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(())
}
