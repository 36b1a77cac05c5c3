//! Benchmarks of issue 23: the year summary draft of the demo district and of a province
//! (time and query count of taking the snapshot of every area's figures, and of rendering
//! the draft's page), and the public news page under 200 concurrent readers on loopback
//! against a trivial route of the same server in the same run (the ceiling).
//!
//! ```sh
//! cargo run -p jiaogong --example yearbook_bench -- summary 20000     # the demo district
//! cargo run -p jiaogong --example yearbook_bench -- summary 1000000   # a province
//! cargo run -p jiaogong --example yearbook_bench -- news 20000        # 200 readers
//! ```
//! SQLite in a temporary directory (or `BENCH_DATABASE_URL`), loopback only.

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod common;

use anyhow::Context;
use common::{get, load, open_store, peak_rss_mib, percentile, today};
use domain::auth::{SystemCap, perm, system_cap};
use domain::ids::AccountId;
use std::time::Instant;
use store::audit::Who;

/// The root union's summary draft: a new snapshot (`refresh`: every area's year figures,
/// summed over the schools, plus the honours) and the draft's page, `RUNS` times each.
async fn summary(members: usize) -> anyhow::Result<()> {
    let bench = open_store().await?;
    let st = bench.st.clone();
    load(&st, members).await?;
    let sys = SystemCap::for_cli();
    let root = store::org::roots(&st.db).await?[0].id;
    let schools: i64 = store::on_db!(&st.db, |p| sqlx::query_scalar(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM org_unit WHERE kind = 'school_union'"
    )
    .fetch_one(p)
    .await)?;
    let cap = system_cap::<perm::SummaryDraft>(&sys, AccountId(0));
    let w = Who::system("bench");
    let year = chrono::Datelike::year(&today());
    let id = store::work_summary::draft(&st, &cap, &w, root, year).await?;
    let cfg = web::WebConfig::default();
    let sid = common::staff_session(&st, &cfg).await?;
    let app = web::app(web::AppState::new(
        st.clone(),
        store::auth::PasswordHasher::new(1),
        cfg,
    ));
    let runs: usize = std::env::var("RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    let (mut snap, mut page) = (Vec::new(), Vec::new());
    let (mut snap_q, mut page_q) = (0, 0);
    let mut words = 0;
    for _ in 0..runs {
        let q = st.db.query_count();
        let t = Instant::now();
        store::work_summary::refresh(&st, &cap, &w, id).await?;
        snap.push(t.elapsed().as_secs_f64() * 1000.0);
        snap_q = st.db.query_count() - q;
        let q = st.db.query_count();
        let t = Instant::now();
        let (status, body) = get(&app, &format!("/summaries/{}", id.0), &sid).await?;
        page.push(t.elapsed().as_secs_f64() * 1000.0);
        page_q = st.db.query_count() - q;
        anyhow::ensure!(status == 200, "summary page: {status}");
        words = body.matches("summary-draft").count();
    }
    let (mut ceiling, mut ceiling_q) = (Vec::new(), 0);
    for _ in 0..runs {
        let q = st.db.query_count();
        let t = Instant::now();
        let (status, _) = get(&app, "/healthz", &sid).await?;
        ceiling.push(t.elapsed().as_secs_f64() * 1000.0);
        ceiling_q = st.db.query_count() - q;
        anyhow::ensure!(status == 200);
    }
    let s = store::work_summary::get(&st.db, &cap, id).await?;
    println!(
        "{schools} schools; snapshot: {} figures, {} honours (draft article found: {})",
        s.snapshot.values.len(),
        s.snapshot.honours.len(),
        words > 0
    );
    println!(
        "{:<40} {:>8} {:>8} {:>8} {:>7}",
        "step", "p50 ms", "p95 ms", "max ms", "queries"
    );
    for (name, v, q) in [
        ("healthz (ceiling)", &mut ceiling, ceiling_q),
        ("summary draft: new snapshot (refresh)", &mut snap, snap_q),
        ("summary draft: page /summaries/{id}", &mut page, page_q),
    ] {
        let max = v.iter().cloned().fold(0.0, f64::max);
        println!(
            "{name:<40} {:>8.1} {:>8.1} {:>8.1} {:>7}",
            percentile(&mut v.clone(), 0.5),
            percentile(v, 0.95),
            max,
            q
        );
    }
    println!("peak RSS {:.0} MiB", peak_rss_mib());
    Ok(())
}

/// `clients` readers on loopback, `per` requests each, all at once: latencies in ms and the
/// requests per second of the whole run.
async fn readers(url: &str, clients: usize, per: usize) -> anyhow::Result<(Vec<f64>, f64)> {
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(clients)
        .build()?;
    let t = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let http = http.clone();
        let url = url.to_string();
        tasks.push(tokio::spawn(async move {
            let mut v = Vec::with_capacity(per);
            for _ in 0..per {
                let t = Instant::now();
                let r = http.get(&url).send().await?;
                anyhow::ensure!(r.status().as_u16() == 200, "{url}: {}", r.status());
                let _ = r.bytes().await?;
                v.push(t.elapsed().as_secs_f64() * 1000.0);
            }
            Ok::<_, anyhow::Error>(v)
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await??);
    }
    let rate = all.len() as f64 / t.elapsed().as_secs_f64();
    Ok((all, rate))
}

/// The public news page (50 newest published items) against `/healthz`, 200 concurrent
/// readers each, on loopback.
async fn news(members: usize) -> anyhow::Result<()> {
    let bench = open_store().await?;
    let st = bench.st.clone();
    load(&st, members).await?;
    let published = store::correspondent::published(&st.db, 50).await?.len();
    let app = web::app(web::AppState::new(
        st.clone(),
        store::auth::PasswordHasher::new(1),
        web::WebConfig::default(),
    ));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let server = tokio::spawn(async move {
        let _ = axum::serve(
            listener,
            app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await;
    });
    let clients = 200;
    let per: usize = std::env::var("PER")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(25);
    // Warm-up: connections and caches.
    readers(&format!("http://{addr}/news"), clients, 2).await?;
    println!("{published} published items on the page; {clients} readers × {per} requests");
    println!(
        "{:<28} {:>8} {:>8} {:>8} {:>10}",
        "route", "p50 ms", "p95 ms", "max ms", "req/s"
    );
    for (name, path) in [("/healthz (ceiling)", "/healthz"), ("/news", "/news")] {
        let (mut v, rate) = readers(&format!("http://{addr}{path}"), clients, per).await?;
        let max = v.iter().cloned().fold(0.0, f64::max);
        println!(
            "{name:<28} {:>8.1} {:>8.1} {:>8.1} {:>10.0}",
            percentile(&mut v.clone(), 0.5),
            percentile(&mut v, 0.95),
            max,
            rate
        );
    }
    server.abort();
    Ok(())
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let what = args.get(1).map(String::as_str).unwrap_or("summary");
    let n: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(20_000);
    println!("{}", common::machine_line());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("runtime")?;
    rt.block_on(async {
        match what {
            "summary" => summary(n).await,
            "news" => news(n).await,
            other => anyhow::bail!("unknown benchmark {other}: summary | news"),
        }
    })
}
