//! Benchmark of issue 18: the results of the demo's courseware contest (142 entries, five
//! judges, three criteria; about 2,000 points, a judge never scoring their own school)
//! computed from the sheets — the organizer's view
//! before publication — and read back frozen after it, against reading the contest itself
//! (one row with its sheet) in the same run as the ceiling. Prints the median and the worst
//! of `RUNS` runs and the query count of one computation.
//!
//! ```sh
//! cargo run -p jiaogong --example contests_bench -- 3000
//! ```
//! SQLite in a temporary directory (or `BENCH_DATABASE_URL`).

use domain::auth::{SystemCap, perm, system_cap};
use domain::ids::AccountId;
use std::time::Instant;
use store::{Cipher, Db, DbOptions, Store};

fn today() -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(2026, 11, 25).unwrap_or_default()
}

fn median_and_max(mut v: Vec<f64>) -> (f64, f64) {
    v.sort_by(|a, b| a.total_cmp(b));
    (v[v.len() / 2], v[v.len() - 1])
}

async fn set_status(db: &Db, id: i64, status: &'static str) -> anyhow::Result<()> {
    store::on_db!(db, |p| sqlx::query(
        "UPDATE contest SET status = $1 WHERE id = $2"
    )
    .bind(status)
    .bind(id)
    .execute(p)
    .await
    .map(|_| ()))?;
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let members: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(3000);
    let runs: usize = std::env::var("RUNS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(20);
    let dir = tempfile::tempdir()?;
    let url = std::env::var("BENCH_DATABASE_URL")
        .unwrap_or_else(|_| format!("sqlite://{}/bench.db", dir.path().display()));
    let db = Db::connect(
        &url,
        &DbOptions {
            max_connections: 4,
            pg_schema: None,
        },
    )
    .await?;
    db.migrate().await?;
    let st = Store::new(db, Cipher::new(&[7u8; 32]));
    let t = Instant::now();
    store::demo::load(
        &st,
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
    println!("demo loaded in {:.1} s", t.elapsed().as_secs_f64());
    let (id, entries, scores): (i64, i64, i64) = store::on_db!(&st.db, |p| {
        sqlx::query_as(
        "SELECT c.id, (SELECT CAST(COUNT(*) AS BIGINT) FROM contest_entry e WHERE e.contest_id = c.id),
                (SELECT CAST(COUNT(*) AS BIGINT) FROM contest_score s JOIN contest_entry e ON e.id = s.entry_id WHERE e.contest_id = c.id)
         FROM contest c WHERE c.kind = 'courseware' ORDER BY c.id LIMIT 1"
    )
    .fetch_one(p)
    .await
    })?;
    let sys = SystemCap::for_cli();
    let cap = system_cap::<perm::ContestView>(&sys, AccountId(0));
    let cid = domain::contests::ContestId(id);
    println!("contest #{id}: {entries} entries, {scores} points on the sheets");

    // Computed from the sheets (the organizer's view before publication).
    set_status(&st.db, id, "judging").await?;
    let before = st.db.query_count();
    let lines = store::contests::results(&st.db, &cap, cid).await?;
    let queries = st.db.query_count() - before;
    let prizes = lines
        .iter()
        .filter(|l| l.placing.and_then(|p| p.tier).is_some())
        .count();
    let mut computed = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        store::contests::results(&st.db, &cap, cid).await?;
        computed.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    // Frozen, as everyone reads them after publication.
    set_status(&st.db, id, "published").await?;
    let mut frozen = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        store::contests::results(&st.db, &cap, cid).await?;
        frozen.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    // The ceiling: the contest itself (one row, its criteria and categories).
    let mut ceiling = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        store::contests::get(&st.db, &cap, cid).await?;
        ceiling.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let (cm, cx) = median_and_max(computed);
    let (fm, fx) = median_and_max(frozen);
    let (gm, gx) = median_and_max(ceiling);
    println!(
        "{} lines, {prizes} prizes; one computation: {queries} queries",
        lines.len()
    );
    println!("computed from the sheets: median {cm:.2} ms, worst {cx:.2} ms (target 50 ms)");
    println!("frozen after publication: median {fm:.2} ms, worst {fx:.2} ms");
    println!(
        "ceiling (the contest row): median {gm:.2} ms, worst {gx:.2} ms; ratio computed/ceiling {:.1}",
        cm / gm
    );
    Ok(())
}
