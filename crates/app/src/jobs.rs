//! The background work of `serve`: the outbox worker (`web::outbox::Worker`) and the
//! scheduler of periodic runs (the daily reminder scan over every area's due items,
//! `store::notify::remind_due`, and the daily digest, `store::notify::send_digests`). Schedules are cron expressions
//! (the `croner` crate) read in China Standard Time; each occurrence is claimed through a
//! lease row (`store::outbox::claim_schedule`), so with several processes exactly one runs
//! it, and another takes over when the one running it died.
//!
//! The runs themselves must be idempotent (the reminders of a day carry that day in their
//! keys): a takeover after a crash may repeat part of a run.

use chrono::{DateTime, FixedOffset, Utc};
use croner::Cron;
use domain::auth::SystemCap;
use std::str::FromStr;
use std::time::Duration;
use store::Store;

/// China Standard Time: UTC+8 all year (no daylight saving), so a fixed offset is exact.
pub fn cst() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset")
}

/// A parsed schedule.
#[derive(Clone, Debug)]
pub struct Schedule {
    pub name: &'static str,
    cron: Cron,
}

impl Schedule {
    pub fn parse(name: &'static str, expr: &str) -> anyhow::Result<Schedule> {
        let cron =
            Cron::from_str(expr).map_err(|e| anyhow::anyhow!("schedule {name} ({expr}): {e}"))?;
        Ok(Schedule { name, cron })
    }

    /// The latest occurrence at or before `now`, if one is within a day (an occurrence
    /// missed while no process ran is made up once, not for every day missed).
    pub fn due_slot(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let local = now.with_timezone(&cst());
        let prev = self.cron.find_previous_occurrence(&local, true).ok()?;
        let prev = prev.with_timezone(&Utc);
        (now - prev <= chrono::Duration::days(1)).then_some(prev)
    }
}

/// Runs one scheduled occurrence if this process wins its lease. Returns whether it ran.
pub async fn run_due(
    st: &Store,
    s: &Schedule,
    owner: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<bool> {
    let Some(slot) = s.due_slot(now) else {
        return Ok(false);
    };
    let lease = Duration::from_secs(30 * 60);
    if !store::outbox::claim_schedule(&st.db, s.name, slot, owner, lease, now).await? {
        return Ok(false);
    }
    match s.name {
        "reminders" => {
            let today = slot.with_timezone(&cst()).date_naive();
            let n = store::notify::remind_due(st, &SystemCap::for_cli(), today, now).await?;
            tracing::info!(items = n.items, inbox = n.inbox, jobs = n.jobs, digest = n.digest, %today, "reminder scan");
        }
        "digest" => {
            let n = store::notify::send_digests(st, now).await?;
            tracing::info!(digests = n, "daily digest");
        }
        other => tracing::warn!(schedule = other, "unknown schedule"),
    }
    store::outbox::finish_schedule(&st.db, s.name, slot, store::now()).await?;
    Ok(true)
}

/// The scheduler loop: checks every schedule once a minute.
pub async fn scheduler(st: Store, schedules: Vec<Schedule>) {
    let owner = format!("{}-{}", hostname(), std::process::id());
    let mut tick = tokio::time::interval(Duration::from_secs(60));
    loop {
        tick.tick().await;
        for s in &schedules {
            if let Err(e) = run_due(&st, s, &owner, store::now()).await {
                tracing::warn!(schedule = s.name, error = %e, "scheduled run failed");
            }
        }
    }
}

fn hostname() -> String {
    std::fs::read_to_string("/etc/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "host".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_daily_scan_slot_is_the_last_0730_china_time_and_a_long_gap_is_not_made_up() {
        let s = Schedule::parse("reminders", "30 7 * * *").unwrap();
        // 2026-12-02 08:00 CST = 00:00 UTC.
        let now = DateTime::parse_from_rfc3339("2026-12-02T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let slot = s.due_slot(now).unwrap();
        assert_eq!(slot.to_rfc3339(), "2026-12-01T23:30:00+00:00");
        assert!(Schedule::parse("x", "not a cron").is_err());
    }
}
