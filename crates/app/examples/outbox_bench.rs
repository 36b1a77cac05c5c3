//! Benchmarks of the reminders (issue 15), on loopback only.
//!
//! 1. `deliver [N]`: the ceiling first — a trivial client (reqwest, 32 in flight) posts N
//!    bodies straight to a local webhook receiver — then N outbox jobs (webhook channel)
//!    written in one transaction and delivered by two `web::outbox::Worker`s sharing the
//!    queue. Prints both rates and their ratio, and checks that the receiver got every
//!    idempotency key exactly once.
//! 2. `scan [MEMBERS]`: loads the demo district with MEMBERS members (logins on), then times
//!    the daily reminder scan over every area's due items (first run: writes; second run:
//!    writes nothing), with its query count and the process's peak memory.
//! 3. `kill [N]`: N jobs; child processes (`kill-child`, one on SQLite, two sharing the
//!    queue on PostgreSQL) deliver them; one is killed with SIGKILL after about a third
//!    have arrived and started again. Counts keys never delivered (must be 0) and keys
//!    delivered twice (only those in flight at the kill; the receiver drops them by key).
//!
//! Run: `cargo run --release -p jiaogong --example outbox_bench -- deliver 20000` (SQLite in
//! a temporary directory; with `BENCH_DATABASE_URL=postgres://…` each run works in a schema
//! of its own in that database, dropped at the end).

use anyhow::{Context, bail};
use axum::routing::post;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use store::outbox::NewJob;
use store::{Cipher, Db, DbOptions, Store};

/// What the receiver saw: idempotency key → times.
type Seen = Arc<Mutex<HashMap<String, u32>>>;

async fn receiver() -> anyhow::Result<(String, Seen)> {
    let seen: Seen = Arc::default();
    let app = axum::Router::new()
        .route(
            "/hook",
            post(
                |axum::extract::State(seen): axum::extract::State<Seen>,
                 headers: axum::http::HeaderMap| async move {
                    let key = headers
                        .get("idempotency-key")
                        .and_then(|k| k.to_str().ok())
                        .unwrap_or_default()
                        .to_string();
                    if let Ok(mut s) = seen.lock() {
                        *s.entry(key).or_insert(0) += 1;
                    }
                    "ok"
                },
            ),
        )
        .with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok((format!("http://{addr}/hook"), seen))
}

/// Where a run keeps its jobs: a SQLite file in a temporary directory, or a schema of its
/// own in the PostgreSQL database of `BENCH_DATABASE_URL` (created for the run, dropped after
/// it), so that a run never meets another run's jobs. The key travels to the `kill`
/// children in `BENCH_KEY`.
#[derive(Clone)]
struct Target {
    url: String,
    schema: Option<String>,
    key: [u8; 32],
}

impl Target {
    async fn new(dir: &std::path::Path) -> anyhow::Result<Target> {
        let key = Cipher::generate_key();
        match std::env::var("BENCH_DATABASE_URL") {
            Ok(url) if url.starts_with("postgres") => {
                let schema = format!("bench_{}", std::process::id());
                let admin = connect(&url, None, 1).await?;
                exec(&admin, format!("DROP SCHEMA IF EXISTS {schema} CASCADE")).await?;
                exec(&admin, format!("CREATE SCHEMA {schema}")).await?;
                admin.close().await;
                Ok(Target {
                    url,
                    schema: Some(schema),
                    key,
                })
            }
            Ok(url) => bail!("BENCH_DATABASE_URL must be postgres://…, not {url}"),
            Err(_) => Ok(Target {
                url: format!("sqlite://{}/bench.db", dir.display()),
                schema: None,
                key,
            }),
        }
    }

    fn engine(&self) -> &'static str {
        if self.schema.is_some() {
            "postgres"
        } else {
            "sqlite"
        }
    }

    async fn open(&self) -> anyhow::Result<Store> {
        let db = connect(&self.url, self.schema.clone(), 16).await?;
        db.migrate().await?;
        let st = Store::new(db, Cipher::new(&self.key));
        st.check_key().await?;
        Ok(st)
    }

    async fn drop_schema(&self) -> anyhow::Result<()> {
        if let Some(schema) = &self.schema {
            let admin = connect(&self.url, None, 1).await?;
            exec(&admin, format!("DROP SCHEMA IF EXISTS {schema} CASCADE")).await?;
            admin.close().await;
        }
        Ok(())
    }
}

async fn exec(db: &Db, sql: String) -> anyhow::Result<()> {
    store::on_db!(db, |p| sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
        .execute(p)
        .await
        .map(|_| ()))?;
    Ok(())
}

async fn connect(url: &str, pg_schema: Option<String>, max: u32) -> anyhow::Result<Db> {
    Ok(Db::connect(
        url,
        &DbOptions {
            max_connections: max,
            pg_schema,
        },
    )
    .await?)
}

fn worker(st: &Store, name: &str, lease: Duration) -> web::outbox::Worker {
    web::outbox::Worker::new(
        st.clone(),
        web::outbox::WorkerConfig {
            name: name.into(),
            lease,
            batch: 256,
            concurrency: 64,
            idle: Duration::from_millis(20),
            ..Default::default()
        },
    )
}

async fn enqueue(st: &Store, url: &str, n: usize, tag: &str) -> anyhow::Result<()> {
    let now = store::now();
    let jobs: Vec<NewJob> = (0..n)
        .map(|i| NewJob {
            channel: domain::outbox::Channel::Webhook,
            idempotency_key: format!("{tag}-{i}"),
            org_unit: None,
            account: None,
            payload: serde_json::json!({"url": url, "body": {"n": i}}).to_string(),
            run_at: now,
            max_attempts: 8,
        })
        .collect();
    let mut tx = st.db.begin().await?;
    store::outbox::enqueue(&mut tx, &jobs, now).await?;
    tx.commit().await?;
    Ok(())
}

fn count(seen: &Seen, tag: &str, n: usize) -> (usize, usize) {
    let s = seen.lock().map(|s| s.clone()).unwrap_or_default();
    let missing = (0..n)
        .filter(|i| !s.contains_key(&format!("{tag}-{i}")))
        .count();
    let twice = s
        .iter()
        .filter(|(k, v)| k.starts_with(tag) && **v > 1)
        .count();
    (missing, twice)
}

async fn deliver(n: usize) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let target = Target::new(dir.path()).await?;
    let st = target.open().await?;
    let (hook, seen) = receiver().await?;
    // Ceiling: the receiver's own rate with a trivial client, 32 in flight.
    let http = reqwest::Client::new();
    let t = Instant::now();
    use futures::StreamExt;
    let ok = futures::stream::iter(0..n)
        .map(|i| {
            let http = http.clone();
            let hook = hook.clone();
            async move {
                http.post(&hook)
                    .header("Idempotency-Key", format!("ceil-{i}"))
                    .json(&serde_json::json!({"n": i}))
                    .send()
                    .await
                    .is_ok_and(|r| r.status().is_success())
            }
        })
        .buffer_unordered(32)
        .filter(|ok| futures::future::ready(*ok))
        .count()
        .await;
    let ceiling = n as f64 / t.elapsed().as_secs_f64();
    if ok != n {
        bail!("the ceiling run lost {} requests", n - ok);
    }
    enqueue(&st, &hook, n, "job").await?;
    let t = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..2 {
        let wk = worker(&st, &format!("w{w}"), Duration::from_secs(120));
        tasks.push(tokio::spawn(async move {
            loop {
                match wk.run_once().await {
                    Ok(0) => break,
                    Ok(_) => {}
                    Err(e) => return Err(anyhow::anyhow!("{e}")),
                }
            }
            Ok(())
        }));
    }
    for t in tasks {
        t.await??;
    }
    let secs = t.elapsed().as_secs_f64();
    let rate = n as f64 / secs;
    let (missing, twice) = count(&seen, "job", n);
    println!(
        "engine={} jobs={n} workers=2 deliveries/s={rate:.0} ({secs:.2} s) ceiling/s={ceiling:.0} ratio={:.2} missing={missing} twice={twice}",
        target.engine(),
        rate / ceiling
    );
    st.db.close().await;
    target.drop_schema().await
}

fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| {
                l.split_whitespace()
                    .nth(1)
                    .and_then(|v| v.parse::<f64>().ok())
            })
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

async fn scan(members: usize) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let target = Target::new(dir.path()).await?;
    let st = target.open().await?;
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 25).context("date")?;
    let sys = domain::auth::SystemCap::for_cli();
    let hasher = store::auth::PasswordHasher::new(1);
    let t = Instant::now();
    let s = store::demo::load(
        &st,
        &sys,
        Some(&hasher),
        &store::demo::DemoOptions {
            members,
            seed: 7,
            today,
            logins: true,
        },
    )
    .await?;
    println!(
        "demo: {} schools, {} members loaded in {:.1} s (its own scan included)",
        s.schools,
        s.members,
        t.elapsed().as_secs_f64()
    );
    let now = today.and_hms_opt(2, 0, 0).context("time")?.and_utc();
    for (label, day) in [
        ("next day", today + chrono::Duration::days(1)),
        ("again", today + chrono::Duration::days(1)),
    ] {
        let q = st.db.query_count();
        let t = Instant::now();
        let r = store::notify::remind_due(&st, &sys, day, now).await?;
        println!(
            "scan ({label}): {} due items, {} inbox, {} jobs, {} digest in {:.3} s, {} queries, peak RSS {:.0} MiB",
            r.items,
            r.inbox,
            r.jobs,
            r.digest,
            t.elapsed().as_secs_f64(),
            st.db.query_count() - q,
            peak_rss_mib()
        );
    }
    // A large roll: one due item per member (a personal item, like a ballot to cast) and
    // per school (a chair's), all overdue, through the same delivery step as the scan.
    let members: Vec<(i64, i64)> = store::on_db!(&st.db, |p| sqlx::query_as(
        "SELECT id, school_union_id FROM member ORDER BY id"
    )
    .fetch_all(p)
    .await)?;
    let mut items: Vec<domain::area::DueItem> = members
        .iter()
        .map(|(m, school)| domain::area::DueItem {
            area: "bench".into(),
            kind: "due-voting-poll-open".into(),
            key: format!("bench:m:{m}"),
            unit: domain::ids::OrgUnitId(*school),
            title: "bench".into(),
            due: today,
            concerns: vec![domain::area::Concerns::Member(domain::ids::MemberId(*m))],
            href: "/".into(),
        })
        .collect();
    let mut schools: Vec<i64> = members.iter().map(|(_, s)| *s).collect();
    schools.sort_unstable();
    schools.dedup();
    items.extend(schools.iter().map(|s| domain::area::DueItem {
        area: "bench".into(),
        kind: "due-congress-term-expiring".into(),
        key: format!("bench:s:{s}"),
        unit: domain::ids::OrgUnitId(*s),
        title: "bench".into(),
        due: today - chrono::Duration::days(1),
        concerns: vec![domain::area::Concerns::Role {
            role: domain::auth::Role::SchoolChair,
            unit: domain::ids::OrgUnitId(*s),
        }],
        href: "/".into(),
    }));
    for label in ["first", "again"] {
        let q = st.db.query_count();
        let t = Instant::now();
        let r = store::notify::deliver_due(&st, &items, today, now).await?;
        println!(
            "large roll ({label}): {} items, {} inbox, {} jobs in {:.3} s, {} queries, peak RSS {:.0} MiB",
            r.items,
            r.inbox,
            r.jobs,
            t.elapsed().as_secs_f64(),
            st.db.query_count() - q,
            peak_rss_mib()
        );
    }
    st.db.close().await;
    target.drop_schema().await
}

async fn kill(n: usize) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let target = Target::new(dir.path()).await?;
    let st = target.open().await?;
    let (hook, seen) = receiver().await?;
    enqueue(&st, &hook, n, "kill").await?;
    let exe = std::env::current_exe()?;
    let spawn = || {
        let mut c = std::process::Command::new(&exe);
        c.arg("kill-child").arg(&target.url);
        if let Some(schema) = &target.schema {
            c.arg(schema);
        }
        c.env("BENCH_KEY", Cipher::encode_key(&target.key))
            .stdout(std::process::Stdio::null())
            .spawn()
    };
    // SQLite: one worker process (one writer at a time). PostgreSQL: two processes share
    // the queue (`FOR UPDATE SKIP LOCKED`); one is killed and started again while the other
    // goes on.
    let workers = if target.schema.is_some() { 2 } else { 1 };
    let mut children = (0..workers)
        .map(|_| spawn())
        .collect::<Result<Vec<_>, _>>()?;
    let t = Instant::now();
    let mut owners = std::collections::BTreeSet::new();
    loop {
        let got = seen.lock().map(|s| s.len()).unwrap_or(0);
        let taken: Vec<String> = store::on_db!(&st.db, |p| {
            sqlx::query_scalar(
            "SELECT DISTINCT locked_by FROM job WHERE status = 'running' AND locked_by IS NOT NULL ORDER BY locked_by"
        )
        .fetch_all(p)
        .await
        })?;
        owners.extend(taken);
        if got >= n / 3 && owners.len() >= workers {
            break;
        }
        if t.elapsed() > Duration::from_secs(120) {
            bail!("the children delivered only {got} (workers seen: {owners:?})");
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    // SIGKILL: no chance to finish or roll back anything.
    let mut first = children.remove(0);
    let _ = first.kill();
    first.wait()?;
    let at_kill = seen.lock().map(|s| s.len()).unwrap_or(0);
    let running: i64 = store::on_db!(&st.db, |p| sqlx::query_scalar(
        "SELECT COUNT(*) FROM job WHERE status = 'running'"
    )
    .fetch_one(p)
    .await)?;
    children.push(spawn()?);
    let t = Instant::now();
    loop {
        let left: i64 = store::on_db!(&st.db, |p| sqlx::query_scalar(
            "SELECT COUNT(*) FROM job WHERE status <> 'done'"
        )
        .fetch_one(p)
        .await)?;
        if left == 0 {
            break;
        }
        if t.elapsed() > Duration::from_secs(300) {
            bail!("{left} jobs never finished");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let secs = t.elapsed().as_secs_f64();
    for mut c in children {
        let _ = c.kill();
        c.wait()?;
    }
    let (missing, twice) = count(&seen, "kill", n);
    println!(
        "kill -9 ({}, {workers} worker process(es), workers seen before the kill: {}): jobs={n} delivered before the kill={at_kill} running at the kill={running} after restart ({secs:.1} s): missing={missing} delivered twice={twice} (dropped by the receiver's key check)",
        target.engine(),
        owners.len()
    );
    st.db.close().await;
    target.drop_schema().await?;
    if missing > 0 {
        bail!("{missing} jobs lost");
    }
    Ok(())
}

/// The child of `kill`: one worker with a 2-second lease, until killed.
async fn kill_child(url: &str, schema: Option<&String>) -> anyhow::Result<()> {
    let key = std::env::var("BENCH_KEY").context("BENCH_KEY")?;
    let target = Target {
        url: url.into(),
        schema: schema.cloned(),
        key: Cipher::parse_key(key.trim()).map_err(|e| anyhow::anyhow!("{e}"))?,
    };
    let st = target.open().await?;
    worker(
        &st,
        &format!("child-{}", std::process::id()),
        Duration::from_secs(2),
    )
    .run()
    .await;
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize, d: usize| args.get(i).and_then(|v| v.parse().ok()).unwrap_or(d);
    match args.first().map(String::as_str) {
        Some("deliver") => deliver(arg(1, 20_000)).await,
        Some("scan") => scan(arg(1, 20_000)).await,
        Some("kill") => kill(arg(1, 5_000)).await,
        Some("kill-child") => kill_child(args.get(1).context("url")?, args.get(2)).await,
        _ => bail!("usage: outbox_bench deliver [N] | scan [MEMBERS] | kill [N]"),
    }
}
