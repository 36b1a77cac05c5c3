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

mod common;

use anyhow::Context;
use common::{get, load, open_store, peak_rss_mib, percentile};
use domain::auth::{SystemCap, perm, system_cap};
use domain::ids::AccountId;
use std::time::Instant;

async fn table(members: usize) -> anyhow::Result<()> {
    let bench = open_store().await?;
    let st = bench.st.clone();
    load(&st, members).await?;
    let sys = SystemCap::for_cli();
    let cfg = web::WebConfig::default();
    let sid = common::staff_session(&st, &cfg).await?;
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
    println!("{}", common::machine_line());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("runtime")?;
    rt.block_on(table(n))
}
