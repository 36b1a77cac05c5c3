//! Login throughput with Argon2id (m = 19 MiB, t = 2, p = 1) on this machine, and what 50
//! logins at once do to other requests' latency (the hash pool is capped at cores − 1 so
//! page requests keep a core).
//!
//! ```sh
//! cargo run --release --example login_bench -- 10     # seconds of login storm
//! ```
//! Loopback only; a temporary SQLite database.

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use domain::auth::{Role, SystemCap, perm, system_cap};
use domain::ids::AccountId;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};
use store::audit::Who;
use store::{Cipher, Db, DbOptions, Store};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// One HTTP/1.1 request on a fresh connection; returns the status and the time taken.
async fn request(
    addr: &str,
    method: &str,
    path: &str,
    body: &str,
) -> anyhow::Result<(u16, Duration)> {
    let t = Instant::now();
    let mut s = tokio::net::TcpStream::connect(addr).await?;
    let req = if body.is_empty() {
        format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n")
    } else {
        format!(
            "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
    };
    s.write_all(req.as_bytes()).await?;
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).await?;
    let status = std::str::from_utf8(&buf[9..12])
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    Ok((status, t.elapsed()))
}

fn pct(v: &mut [f64], p: f64) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    v[(((v.len() - 1) as f64) * p).round() as usize]
}

async fn probe(addr: &str, n: usize) -> anyhow::Result<Vec<f64>> {
    let mut out = Vec::new();
    for _ in 0..n {
        let (s, d) = request(addr, "GET", "/login", "").await?;
        anyhow::ensure!(s == 200, "probe got {s}");
        out.push(d.as_secs_f64() * 1000.0);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(out)
}

fn main() -> anyhow::Result<()> {
    let secs: u64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(10);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async move {
        let dir = tempfile::tempdir()?;
        let db = Db::connect(&format!("sqlite://{}", dir.path().join("b.db").display()), &DbOptions::default()).await?;
        db.migrate().await?;
        let st = Store::new(db, Cipher::new(&[3u8; 32]));
        st.check_key().await?;
        let sys = SystemCap::for_cli();
        let w = Who::system("bench");
        let root = store::org::create_unit(&st, &system_cap::<perm::OrgManage>(&sys, AccountId(0)), &w, None, &store::org::NewUnit {
            kind: domain::org::OrgKind::Union,
            code: "U".into(),
            name: "U".into(),
            union_kind: None,
            school_kind: None,
            school_level: None,
            staff_count: 0,
            sort_order: 0,
        })
        .await?;
        let hasher = store::auth::PasswordHasher::for_this_machine();
        let hash = hasher.hash("correct horse battery").await?;
        // One account per worker: failures and locks are per account, and every login here succeeds.
        for i in 0..50 {
            let id = store::auth::create_account_system(&sys, &st, &w, &store::auth::NewAccount {
                username: format!("user{i}"),
                display_name: "u".into(),
                member: None,
                password_hash: Some(hash.clone()),
            })
            .await?;
            store::auth::grant_system(&sys, &st, &w, id, Role::UnionStaff, root).await?;
        }
        let state = web::AppState::new(st, hasher, web::WebConfig::default());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?.to_string();
        tokio::spawn(async move {
            let _ = axum::serve(listener, web::app(state)).await;
        });
        println!("machine: {} cores; hash concurrency {}", std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0), std::thread::available_parallelism().map(|n| n.get().saturating_sub(1).max(1)).unwrap_or(1));
        let mut idle = probe(&addr, 100).await?;
        let stop = Arc::new(AtomicBool::new(false));
        let done = Arc::new(AtomicU64::new(0));
        let mut workers = Vec::new();
        let storm = Instant::now();
        for i in 0..50 {
            let (addr, stop, done) = (addr.clone(), stop.clone(), done.clone());
            workers.push(tokio::spawn(async move {
                let mut lat = Vec::new();
                while !stop.load(Ordering::Relaxed) {
                    let body = format!("username=user{i}&password=correct+horse+battery&next=%2F");
                    if let Ok((s, d)) = request(&addr, "POST", "/login", &body).await
                        && s == 303
                    {
                        done.fetch_add(1, Ordering::Relaxed);
                        lat.push(d.as_secs_f64() * 1000.0);
                    }
                }
                lat
            }));
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
        let probe_task = {
            let addr = addr.clone();
            tokio::spawn(async move { probe(&addr, ((secs * 1000 - 1000) / 25) as usize).await })
        };
        let mut busy = probe_task.await??;
        stop.store(true, Ordering::Relaxed);
        let mut login_lat = Vec::new();
        for w in workers {
            login_lat.extend(w.await?);
        }
        let elapsed = storm.elapsed().as_secs_f64();
        let n = done.load(Ordering::Relaxed);
        println!("logins: {n} in {elapsed:.1} s = {:.1} logins/s with 50 clients; login latency p50 {:.0} ms, p95 {:.0} ms", n as f64 / elapsed, pct(&mut login_lat.clone(), 0.5), pct(&mut login_lat, 0.95));
        println!(
            "login page (GET /login) idle:         p50 {:.1} ms  p95 {:.1} ms  p99 {:.1} ms  ({} requests)",
            pct(&mut idle.clone(), 0.5),
            pct(&mut idle.clone(), 0.95),
            pct(&mut idle, 0.99),
            100
        );
        let count = busy.len();
        println!(
            "login page during the login storm:    p50 {:.1} ms  p95 {:.1} ms  p99 {:.1} ms  ({count} requests)",
            pct(&mut busy.clone(), 0.5),
            pct(&mut busy.clone(), 0.95),
            pct(&mut busy, 0.99)
        );
        Ok(())
    })
}
