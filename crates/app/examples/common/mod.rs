//! What the area benchmarks share (`mod common;` in an example): the fixed day, the store
//! (a temporary SQLite file, `BENCH_DATABASE_URL`, or — with `BENCH_KEEP=<dir>` — a SQLite
//! file kept in that directory so a second benchmark reuses a province loaded once), the
//! demo load, percentiles, peak memory, a union staff session and a request through the
//! router. Never measures anything itself; never talks to anything but loopback.
//!
//! Each example uses a subset, so unused items are allowed here.
#![allow(dead_code)]

use anyhow::Context;
use axum::body::Body;
use domain::auth::{Role, SystemCap};
use http::Request;
use std::time::Instant;
use store::audit::Who;
use store::{Cipher, Db, DbOptions, Store};
use tower::ServiceExt;

/// The benchmarks' today (the demo's year).
pub fn today() -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(2026, 11, 25).unwrap_or_default()
}

/// "machine: 2 cores, x86_64, release build".
pub fn machine_line() -> String {
    format!(
        "machine: {} cores, {}, {} build",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(0),
        std::env::consts::ARCH,
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        }
    )
}

/// The database a benchmark runs on, and the temporary directory to keep alive with it.
pub struct Bench {
    pub st: Store,
    _dir: Option<tempfile::TempDir>,
}

/// Opens (and migrates) the benchmark's store; see the module's note for the three places.
pub async fn open_store() -> anyhow::Result<Bench> {
    let (url, dir) = match (
        std::env::var("BENCH_DATABASE_URL"),
        std::env::var("BENCH_KEEP"),
    ) {
        (Ok(url), _) => (url, None),
        (_, Ok(keep)) => {
            std::fs::create_dir_all(&keep).with_context(|| keep.clone())?;
            (format!("sqlite://{keep}/bench.db"), None)
        }
        _ => {
            let dir = tempfile::tempdir()?;
            (
                format!("sqlite://{}/bench.db", dir.path().display()),
                Some(dir),
            )
        }
    };
    let db = Db::connect(
        &url,
        &DbOptions {
            max_connections: 16,
            pg_schema: None,
        },
    )
    .await?;
    db.migrate().await?;
    let st = Store::new(db, Cipher::new(&[7u8; 32]));
    st.check_key().await?;
    Ok(Bench { st, _dir: dir })
}

/// Loads the demo district scaled to `members`, unless the store already holds members (a
/// kept province): then says so and loads nothing.
pub async fn load(st: &Store, members: usize) -> anyhow::Result<()> {
    let held: i64 = store::on_db!(&st.db, |p| sqlx::query_scalar(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM member"
    )
    .fetch_one(p)
    .await)?;
    if held > 0 {
        println!("demo: reusing the kept database with {held} members");
        return Ok(());
    }
    // Each area's load time goes to stderr (RUST_LOG=info), so a loader that does not scale
    // is named instead of the whole load looking stalled.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .try_init();
    let t = Instant::now();
    let s = store::demo::load(
        st,
        &SystemCap::for_cli(),
        None,
        &store::demo::DemoOptions {
            members,
            seed: 7,
            today: today(),
            logins: false,
        },
    )
    .await?;
    println!(
        "demo: {} schools, {} areas, {} members loaded in {:.1} s",
        s.schools,
        s.areas,
        s.members,
        t.elapsed().as_secs_f64()
    );
    Ok(())
}

/// The value at `p` (0..1) of the samples, nearest rank.
pub fn percentile(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    let i = ((v.len() as f64 - 1.0) * p).round() as usize;
    v[i.min(v.len() - 1)]
}

/// The process's peak resident memory.
pub fn peak_rss_mib() -> f64 {
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

/// An account with the union staff role at the root union (created once, reused when the
/// database is kept) and a session for it.
pub async fn staff_session(st: &Store, cfg: &web::WebConfig) -> anyhow::Result<String> {
    let sys = SystemCap::for_cli();
    let w = Who::system("bench");
    let root = store::org::roots(&st.db).await?[0].id;
    let existing: Option<i64> = store::on_db!(&st.db, |p| sqlx::query_scalar(
        "SELECT id FROM account WHERE username = 'bench-staff'"
    )
    .fetch_optional(p)
    .await)?;
    let staff = match existing {
        Some(id) => domain::ids::AccountId(id),
        None => {
            let a = store::auth::create_account_system(
                &sys,
                st,
                &w,
                &store::auth::NewAccount {
                    username: "bench-staff".into(),
                    display_name: "bench-staff".into(),
                    member: None,
                    password_hash: None,
                },
            )
            .await?;
            store::auth::grant_system(&sys, st, &w, a, Role::UnionStaff, root).await?;
            a
        }
    };
    Ok(store::auth::create_session(&st.db, staff, true, cfg.session).await?)
}

/// A GET through the router with a session cookie: (status, body).
pub async fn get(app: &axum::Router, path: &str, sid: &str) -> anyhow::Result<(u16, String)> {
    let req = Request::get(path)
        .header("cookie", format!("jg_session={sid}"))
        .body(Body::empty())?;
    let res = app.clone().oneshot(req).await?;
    let status = res.status().as_u16();
    let body = http_body_util::BodyExt::collect(res.into_body())
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    Ok((status, String::from_utf8_lossy(&body).into_owned()))
}
