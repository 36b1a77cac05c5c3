//! Benchmark of issue 17: the annual assessment of every school union in scope (scores from
//! every area's year figures and the hand scores, ranking overall and by area, the veto
//! list, the weak-union list) in the store and as the page `/assessment` through the
//! router, on the demo's year (levels, hand scores, exemptions). Query counts are printed
//! beside the times: they must not grow with the schools. The ceiling is `/healthz` of the
//! same router in the same run.
//!
//! ```sh
//! cargo run -p jiaogong --example assessment_bench -- 4000      # a district, debug
//! cargo run --release -p jiaogong --example assessment_bench -- 1000000   # a province
//! ```
//! SQLite in a temporary directory (or `BENCH_DATABASE_URL`), loopback only.

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use anyhow::Context;
use axum::body::Body;
use domain::auth::{Role, SystemCap, perm, system_cap};
use domain::ids::AccountId;
use http::Request;
use std::time::Instant;
use store::audit::Who;
use store::{Cipher, Db, DbOptions, Store};
use tower::ServiceExt;

fn today() -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(2026, 11, 25).unwrap_or_default()
}

async fn open_store(dir: &std::path::Path) -> anyhow::Result<Store> {
    let url = std::env::var("BENCH_DATABASE_URL")
        .unwrap_or_else(|_| format!("sqlite://{}/bench.db", dir.display()));
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
    Ok(st)
}

fn percentile(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    let i = ((v.len() as f64 - 1.0) * p).round() as usize;
    v[i.min(v.len() - 1)]
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

async fn load(st: &Store, members: usize) -> anyhow::Result<()> {
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

async fn get(app: &axum::Router, path: &str, sid: &str) -> anyhow::Result<(u16, String)> {
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

async fn table(members: usize) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let st = open_store(dir.path()).await?;
    load(&st, members).await?;
    let sys = SystemCap::for_cli();
    let w = Who::system("bench");
    let root = store::org::roots(&st.db).await?[0].id;
    let staff = store::auth::create_account_system(
        &sys,
        &st,
        &w,
        &store::auth::NewAccount {
            username: "staff".into(),
            display_name: "staff".into(),
            member: None,
            password_hash: None,
        },
    )
    .await?;
    store::auth::grant_system(&sys, &st, &w, staff, Role::UnionStaff, root).await?;
    let cfg = web::WebConfig::default();
    let sid = store::auth::create_session(&st.db, staff, true, cfg.session).await?;
    let app = web::app(web::AppState::new(
        st.clone(),
        store::auth::PasswordHasher::new(1),
        cfg,
    ));
    let view = system_cap::<perm::AssessmentView>(&sys, AccountId(0));
    // The demo's finished year: the last school year before the real one (the page's
    // default), so that the router and the store read the same year.
    let year = domain::congress::school_year(web::today()) - 1;
    let runs: usize = std::env::var("RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    let (mut ceiling, mut compute, mut page) = (Vec::new(), Vec::new(), Vec::new());
    let (mut ceiling_q, mut compute_q, mut page_q) = (0, 0, 0);
    let (mut schools, mut vetoed, mut weak) = (0, 0, 0);
    for _ in 0..runs {
        let q = st.db.query_count();
        let t = Instant::now();
        let (status, _) = get(&app, "/healthz", &sid).await?;
        ceiling.push(t.elapsed().as_secs_f64() * 1000.0);
        ceiling_q = st.db.query_count() - q;
        anyhow::ensure!(status == 200);
        let q = st.db.query_count();
        let t = Instant::now();
        let an = store::assessment::annual::compute(&st, &view, year).await?;
        compute.push(t.elapsed().as_secs_f64() * 1000.0);
        compute_q = st.db.query_count() - q;
        schools = an.schools.len();
        vetoed = an.vetoed().count();
        weak = an.weak().count();
        let q = st.db.query_count();
        let t = Instant::now();
        let (status, _) = get(&app, &format!("/assessment?year={year}"), &sid).await?;
        page.push(t.elapsed().as_secs_f64() * 1000.0);
        page_q = st.db.query_count() - q;
        anyhow::ensure!(status == 200, "assessment page: {status}");
    }
    println!("{schools} schools assessed for {year}: {vetoed} vetoed, {weak} on the weak list");
    println!(
        "{:<44} {:>8} {:>8} {:>8} {:>7}",
        "step", "p50 ms", "p95 ms", "max ms", "queries"
    );
    for (name, v, q) in [
        ("healthz (ceiling)", &mut ceiling, ceiling_q),
        (
            "annual assessment (scores, ranks, veto)",
            &mut compute,
            compute_q,
        ),
        ("page /assessment", &mut page, page_q),
    ] {
        let max = v.iter().cloned().fold(0.0, f64::max);
        println!(
            "{name:<44} {:>8.1} {:>8.1} {:>8.1} {:>7}",
            percentile(&mut v.clone(), 0.5),
            percentile(v, 0.95),
            max,
            q
        );
    }
    println!("peak RSS {:.0} MiB", peak_rss_mib());
    Ok(())
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(4_000);
    println!(
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
    );
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("runtime")?;
    rt.block_on(table(n))
}
