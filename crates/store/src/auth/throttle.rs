//! Login throttling: failures counted per key (account, address) with a doubling
//! back-off; the lock applies to the key, not to the owner elsewhere.

use crate::db::{Arg, Sql, now};
use crate::{Db, StoreError, on_db};
use chrono::{DateTime, Duration, Utc};

/// Failure thresholds and back-off.
#[derive(Clone, Copy, Debug)]
pub struct ThrottlePolicy {
    /// Failures allowed before the first lock.
    pub free_failures: i64,
    pub first_lock: Duration,
    pub max_lock: Duration,
    /// Failures older than this are forgotten.
    pub window: Duration,
}

impl ThrottlePolicy {
    pub const ACCOUNT: ThrottlePolicy = ThrottlePolicy {
        free_failures: 5,
        first_lock: Duration::seconds(30),
        max_lock: Duration::minutes(15),
        window: Duration::hours(1),
    };
    pub const ADDRESS: ThrottlePolicy = ThrottlePolicy {
        free_failures: 20,
        first_lock: Duration::seconds(30),
        max_lock: Duration::minutes(15),
        window: Duration::hours(1),
    };

    /// Lock length after `failures` failures: doubling from the first lock.
    pub fn lock_after(&self, failures: i64) -> Option<Duration> {
        let over = failures - self.free_failures;
        if over < 0 {
            return None;
        }
        let secs = self
            .first_lock
            .num_seconds()
            .saturating_mul(1i64 << over.min(20));
        Some(Duration::seconds(secs.min(self.max_lock.num_seconds())))
    }
}

/// The latest `locked_until` among `keys`, if still in the future.
pub async fn locked_until(db: &Db, keys: &[String]) -> Result<Option<DateTime<Utc>>, StoreError> {
    let mut sql = Sql::new(
        "SELECT locked_until FROM login_throttle WHERE locked_until IS NOT NULL AND key IN (",
    );
    sql.bind_list(keys.iter().map(|k| Arg::Text(k.clone())));
    sql.push(") ORDER BY locked_until DESC LIMIT 1");
    let rows: Vec<(DateTime<Utc>,)> = sql.fetch_all(db).await?;
    let t = now();
    Ok(rows.into_iter().map(|r| r.0).find(|u| *u > t))
}

/// Counts a failure under `key` and sets the lock the policy asks for.
pub async fn record_failure(db: &Db, key: &str, policy: ThrottlePolicy) -> Result<i64, StoreError> {
    let t = now();
    let failures: i64 = on_db!(db, |p| {
        sqlx::query_scalar(
        "INSERT INTO login_throttle (key, failures, locked_until, updated_at) VALUES ($1, 1, NULL, $2)
         ON CONFLICT (key) DO UPDATE SET
           failures = CASE WHEN login_throttle.updated_at < $3 THEN 1 ELSE login_throttle.failures + 1 END,
           updated_at = $2
         RETURNING failures"
    )
    .bind(key)
    .bind(t)
    .bind(t - policy.window)
    .fetch_one(p)
    .await
    })?;
    if let Some(lock) = policy.lock_after(failures) {
        on_db!(db, |p| sqlx::query(
            "UPDATE login_throttle SET locked_until = $1 WHERE key = $2"
        )
        .bind(t + lock)
        .bind(key)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
    }
    Ok(failures)
}

pub async fn clear_failures(db: &Db, key: &str) -> Result<(), StoreError> {
    on_db!(db, |p| sqlx::query(
        "DELETE FROM login_throttle WHERE key = $1"
    )
    .bind(key)
    .execute(p)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(())
}
