//! Benchmark of issue 16: the yearly assistance table (every school's files opened, closed
//! and due for review, grants paid and their sum, visits and condolence money: the area's
//! year figures) and the must-visit due list with the year's visits (`/assistance/visits`
//! through the router), for a district and larger, with 2 % of the members holding a file,
//! each with a grant paid and a visit. Query counts are printed beside the times: they must
//! not grow with the members. The ceiling is `/healthz` of the same router in the same run.
//!
//! ```sh
//! cargo run -p jiaogong --example assistance_bench -- 20000     # the demo district
//! cargo run --release -p jiaogong --example assistance_bench -- 1000000   # a province
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
use store::Store;
use store::audit::Who;

/// Opens files for 2 % of the active members (income test, confirmation), pays each a
/// grant after two approvals and records a visit, through the store's own functions.
async fn assistance_year(st: &Store, members: usize) -> anyhow::Result<usize> {
    let sys = SystemCap::for_cli();
    let draft = system_cap::<perm::AssistanceDraft>(&sys, AccountId(0));
    let confirm = system_cap::<perm::AssistanceConfirm>(&sys, AccountId(0));
    let w = Who::system("bench");
    let active: Vec<(i64,)> = store::on_db!(&st.db, |p| {
        sqlx::query_as(
        "SELECT id FROM member WHERE status = 'active' AND id NOT IN (SELECT member_id FROM hardship_file) ORDER BY id"
    )
    .fetch_all(p)
    .await
    })?;
    // A kept database (BENCH_KEEP) already holds the bench's year after the first run.
    let marker =
        std::env::var("BENCH_KEEP").map(|k| std::path::Path::new(&k).join("assistance.done"));
    if let Ok(m) = &marker
        && m.exists()
    {
        println!("assistance: reusing the kept database's files");
        return Ok(0);
    }
    let want = (members / 50).min(active.len());
    let step = (active.len() / want.max(1)).max(1);
    let root = store::org::roots(&st.db).await?[0].id;
    store::assistance::grants::add_income(
        st,
        &confirm,
        &w,
        root,
        domain::assistance::FundEntryKind::Allocation,
        (want as i64 + 1) * 100_000,
        today(),
    )
    .await?;
    let h = domain::assistance::HouseholdInput {
        size: "3".into(),
        rows: vec![(
            "member".into(),
            "45".into(),
            "2400".into(),
            "illness".into(),
        )],
        causes: vec!["illness".into()],
        note: "bench".into(),
    }
    .parse()
    .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let t = Instant::now();
    let mut n = 0;
    for i in 0..want {
        let Some(&(m,)) = active.get(i * step) else {
            break;
        };
        let who_m = format!("#{m}");
        let f = store::assistance::files::draft(st, &draft, &w, &who_m, &h, today()).await?;
        store::assistance::files::confirm(st, &confirm, &w, f, today()).await?;
        let g =
            store::assistance::grants::apply(st, &draft, &w, f, 50_000, "bench", today()).await?;
        store::assistance::grants::approve_school(st, &confirm, &Who::system("school"), g).await?;
        store::assistance::grants::approve_district(st, &confirm, &Who::system("district"), g)
            .await?;
        store::assistance::grants::pay(st, &confirm, &w, g, today()).await?;
        let v = domain::assistance::VisitDraft {
            visit_type: domain::assistance::VisitType::Hardship,
            visited_on: today(),
            visitors: "bench".into(),
            amount_fen: 20_000,
            note: String::new(),
        };
        store::assistance::visits::record(st, &draft, &w, &who_m, &v, None).await?;
        n += 1;
    }
    println!(
        "assistance: {n} files, {n} grants paid, {n} visits written in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    if let Ok(m) = marker {
        std::fs::write(m, n.to_string())?;
    }
    Ok(n)
}

async fn table(members: usize) -> anyhow::Result<()> {
    let bench = open_store().await?;
    let st = bench.st.clone();
    load(&st, members).await?;
    assistance_year(&st, members).await?;
    let sys = SystemCap::for_cli();
    let schools: i64 = store::on_db!(&st.db, |p| sqlx::query_scalar(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM org_unit WHERE kind = 'school_union'"
    )
    .fetch_one(p)
    .await)?;
    let cfg = web::WebConfig::default();
    let sid = common::staff_session(&st, &cfg).await?;
    let app = web::app(web::AppState::new(
        st.clone(),
        store::auth::PasswordHasher::new(1),
        cfg,
    ));
    let view = system_cap::<perm::AssistanceView>(&sys, AccountId(0));
    let reach = store::area::Reach::of(&view);
    let year = chrono::Datelike::year(&today());
    let runs: usize = std::env::var("RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    let (mut ceiling, mut fig, mut due, mut page) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let (mut ceiling_q, mut fig_q, mut due_q, mut page_q) = (0, 0, 0, 0);
    let mut rows = 0;
    for _ in 0..runs {
        let q = st.db.query_count();
        let t = Instant::now();
        let (status, _) = get(&app, "/healthz", &sid).await?;
        ceiling.push(t.elapsed().as_secs_f64() * 1000.0);
        ceiling_q = st.db.query_count() - q;
        anyhow::ensure!(status == 200);
        let q = st.db.query_count();
        let t = Instant::now();
        let f = store::assistance::year_figures(&st, &reach, year).await?;
        fig.push(t.elapsed().as_secs_f64() * 1000.0);
        fig_q = st.db.query_count() - q;
        rows = f.len();
        let q = st.db.query_count();
        let t = Instant::now();
        let _d = store::assistance::due_items(&st, &reach, today()).await?;
        due.push(t.elapsed().as_secs_f64() * 1000.0);
        due_q = st.db.query_count() - q;
        let q = st.db.query_count();
        let t = Instant::now();
        let (status, _) = get(&app, "/assistance/visits", &sid).await?;
        page.push(t.elapsed().as_secs_f64() * 1000.0);
        page_q = st.db.query_count() - q;
        anyhow::ensure!(status == 200, "visits page: {status}");
    }
    let totals = store::area::totals(&store::assistance::year_figures(&st, &reach, year).await?);
    println!(
        "{schools} schools; the table: {rows} values; files opened {:?}, grants {:?} (fen {:?}), visits {:?}",
        totals.get("figure-assistance-files-opened"),
        totals.get("figure-assistance-grants"),
        totals.get("figure-assistance-grants-fen"),
        totals.get("figure-assistance-visits"),
    );
    println!(
        "{:<44} {:>8} {:>8} {:>8} {:>7}",
        "step", "p50 ms", "p95 ms", "max ms", "queries"
    );
    for (name, v, q) in [
        ("healthz (ceiling)", &mut ceiling, ceiling_q),
        ("yearly assistance table (year figures)", &mut fig, fig_q),
        ("due items (reviews, visits owed)", &mut due, due_q),
        ("page /assistance/visits", &mut page, page_q),
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
    let n: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(20_000);
    println!("{}", common::machine_line());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("runtime")?;
    rt.block_on(table(n))
}
