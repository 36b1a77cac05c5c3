//! Benchmarks of the org area (issue 2): roster import and export rates, their ceiling
//! (raw inserts of the same rows through the same pool), peak memory of a 1,000,000-row
//! import, and member-list latency on a province of 1,000,000 members.
//!
//! ```sh
//! cargo run --release --example org_bench -- import 100000            # SQLite
//! TEST_DATABASE_URL=postgres://postgres@127.0.0.1/test \
//!   cargo run --release --example org_bench -- import 100000 --pg
//! cargo run --release --example org_bench -- memory 1000000
//! cargo run --release --example org_bench -- list 1000000
//! ```
//! Loopback and temporary databases only.

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use axum::body::Body;
use domain::auth::{Role, SystemCap, perm, system_cap};
use domain::ids::AccountId;
use domain::org::IdNumber;
use http::Request;
use std::sync::Arc;
use std::time::Instant;
use store::audit::Who;
use store::org::import::{ImportMode, ImportOptions};
use store::{Cipher, Db, DbOptions, Store};
use tower::ServiceExt;

fn today() -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(2026, 11, 25).unwrap_or_default()
}

fn id_for(i: u64) -> String {
    let birth = chrono::NaiveDate::from_ymd_opt(1965, 1, 1).unwrap_or_default()
        + chrono::Duration::days((i % 13000) as i64);
    let seq = (i / 13000) % 1000;
    let region = 110101 + (i / 13_000_000) * 100;
    let body = format!("{region}{}{:03}", birth.format("%Y%m%d"), seq);
    format!("{body}{}", IdNumber::check_char(&body))
}

/// A roster of `n` rows, written in constant memory.
fn roster(n: u64, path: &std::path::Path) -> anyhow::Result<()> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet_with_constant_memory()?;
    for (c, h) in [
        "姓名",
        "性别",
        "身份证号",
        "手机号",
        "岗位",
        "职称",
        "学历",
        "入会时间",
    ]
    .iter()
    .enumerate()
    {
        ws.write_string(0, c as u16, *h)?;
    }
    let surnames = ["王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周"];
    let given = ["伟", "芳", "娜", "敏", "静", "强", "磊", "洋", "艳", "勇"];
    for i in 0..n {
        let r = (i + 1) as u32;
        let id = id_for(i);
        let male = id.as_bytes()[16] % 2 == 1;
        ws.write_string(
            r,
            0,
            format!(
                "{}{}{}",
                surnames[(i % 10) as usize],
                given[((i / 10) % 10) as usize],
                given[((i / 100) % 10) as usize]
            ),
        )?;
        ws.write_string(r, 1, if male { "男" } else { "女" })?;
        ws.write_string(r, 2, &id)?;
        ws.write_string(r, 3, format!("139{:08}", i % 100_000_000))?;
        ws.write_string(r, 4, if i % 10 == 0 { "工勤" } else { "教师" })?;
        ws.write_string(r, 5, "中级")?;
        ws.write_string(r, 6, "本科")?;
        ws.write_string(r, 7, "2015-09-01")?;
    }
    wb.save(path)?;
    Ok(())
}

async fn fresh(pg: bool, dir: &std::path::Path) -> anyhow::Result<(Store, String)> {
    let (url, opts) = if pg {
        let url = std::env::var("TEST_DATABASE_URL")
            .map_err(|_| anyhow::anyhow!("--pg needs TEST_DATABASE_URL"))?;
        let schema = format!("jgbench_{}", std::process::id());
        let admin = Db::connect(
            &url,
            &DbOptions {
                max_connections: 1,
                pg_schema: None,
            },
        )
        .await?;
        let sql = format!("DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}");
        store::on_db!(&admin, |p| sqlx::raw_sql(sqlx::AssertSqlSafe(sql.clone()))
            .execute(p)
            .await
            .map(|_| ()))?;
        (
            url,
            DbOptions {
                max_connections: 8,
                pg_schema: Some(schema),
            },
        )
    } else {
        (
            format!("sqlite://{}", dir.join("bench.db").display()),
            DbOptions {
                max_connections: 8,
                pg_schema: None,
            },
        )
    };
    let db = Db::connect(&url, &opts).await?;
    db.migrate().await?;
    let st = Store::new(db, Cipher::new(&[7u8; 32]));
    st.check_key().await?;
    Ok((st, url))
}

async fn one_school(st: &Store) -> anyhow::Result<domain::ids::OrgUnitId> {
    let sys = SystemCap::for_cli();
    let cap = system_cap::<perm::OrgManage>(&sys, AccountId(0));
    let w = Who::system("bench");
    let mk = |kind, code: &str, name: &str| store::org::NewUnit {
        kind,
        code: code.into(),
        name: name.into(),
        union_kind: None,
        school_kind: Some(domain::org::SchoolKind::Public),
        school_level: Some(domain::org::SchoolLevel::Middle),
        staff_count: 0,
        sort_order: 0,
    };
    let u = store::org::create_unit(
        st,
        &cap,
        &w,
        None,
        &mk(domain::org::OrgKind::Union, "U", "基准工会"),
    )
    .await?;
    let a = store::org::create_unit(
        st,
        &cap,
        &w,
        Some(u),
        &mk(domain::org::OrgKind::Area, "A", "基准片"),
    )
    .await?;
    Ok(store::org::create_unit(
        st,
        &cap,
        &w,
        Some(a),
        &mk(domain::org::OrgKind::SchoolUnion, "S", "基准学校"),
    )
    .await?)
}

/// CPU seconds (user + system) used by this process so far.
fn cpu_secs() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit(')').next().unwrap_or("");
    let f: Vec<f64> = after
        .split_whitespace()
        .map(|x| x.parse().unwrap_or(0.0))
        .collect();
    // Fields 14 and 15 (utime, stime) are the 12th and 13th after the command name.
    (f.get(11).copied().unwrap_or(0.0) + f.get(12).copied().unwrap_or(0.0)) / 100.0
}

fn rss_peak_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmHWM:")).map(|l| {
                l.split_whitespace()
                    .nth(1)
                    .unwrap_or("0")
                    .parse::<f64>()
                    .unwrap_or(0.0)
                    / 1024.0
            })
        })
        .unwrap_or(0.0)
}

/// Raw inserts of the same rows (already encrypted), same pool, one transaction.
async fn ceiling(st: &Store, school: domain::ids::OrgUnitId, n: u64) -> anyhow::Result<f64> {
    let school2 = {
        let sys = SystemCap::for_cli();
        let cap = system_cap::<perm::OrgManage>(&sys, AccountId(0));
        let parent = store::org::path(&st.db, &cap, school).await?[1].id;
        store::org::create_unit(
            st,
            &cap,
            &Who::system("bench"),
            Some(parent),
            &store::org::NewUnit {
                kind: domain::org::OrgKind::SchoolUnion,
                code: "S2".into(),
                name: "基准学校二".into(),
                union_kind: None,
                school_kind: None,
                school_level: None,
                staff_count: 0,
                sort_order: 0,
            },
        )
        .await?
    };
    // The rows as the importer would write them (ids taken first, values bound to them),
    // made before the clock starts.
    let mut tx = st.db.begin().await?;
    let member_ids = store::db::reserve_ids(&mut tx, "member", n as i64).await?;
    tx.commit().await?;
    let rows: Vec<Vec<store::db::Arg>> = (0..n)
        .zip(member_ids)
        .map(|(i, row)| {
            let id = id_for(i + 50_000_000);
            let phone = format!("139{:08}", i % 100_000_000);
            use store::crypto::Field;
            use store::db::Arg;
            vec![
                Arg::I64(row),
                Arg::I64(school2.0),
                Arg::Text(format!("姓名{i}")),
                Arg::Text("male".into()),
                Arg::Date(chrono::NaiveDate::from_ymd_opt(1980, 1, 1).unwrap_or_default()),
                Arg::Bytes(st.cipher.seal_str(store::org::ID_NUMBER.at(row), &id)),
                Arg::Bytes(st.cipher.blind_index(Field::IdNumber, &id)),
                Arg::Bytes(st.cipher.blind_index(Field::IdTail, &id[14..])),
                Arg::Bytes(st.cipher.seal_str(store::org::PHONE.at(row), &phone)),
                Arg::Bytes(st.cipher.blind_index(Field::Phone, &phone)),
                Arg::Bytes(st.cipher.blind_index(Field::PhoneTail, &phone[7..])),
                Arg::Text("teacher".into()),
                Arg::Text("active".into()),
                Arg::Date(today()),
                Arg::Ts(store::now()),
                Arg::Ts(store::now()),
            ]
        })
        .collect();
    let started = Instant::now();
    let mut tx = st.db.begin().await?;
    for part in rows.chunks(400) {
        let mut sql = store::db::Sql::new(
            "INSERT INTO member (id, school_union_id, name, gender, birth_date, id_number_enc, id_number_idx, id_tail_idx, phone_enc, phone_idx, phone_tail_idx, post, status, status_since, created_at, updated_at) VALUES ",
        );
        for (k, r) in part.iter().enumerate() {
            if k > 0 {
                sql.push(", ");
            }
            sql.push("(");
            sql.bind_list(r.iter().cloned());
            sql.push(")");
        }
        sql.execute_tx(&mut tx).await?;
    }
    tx.commit().await?;
    Ok(n as f64 / started.elapsed().as_secs_f64())
}

async fn import_bench(n: u64, pg: bool) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("roster.xlsx");
    let t = Instant::now();
    roster(n, &file)?;
    let bytes = std::fs::read(&file)?;
    println!(
        "roster: {n} rows, {:.1} MB, written in {:.1} s",
        bytes.len() as f64 / 1e6,
        t.elapsed().as_secs_f64()
    );
    let (st, _) = fresh(pg, dir.path()).await?;
    let school = one_school(&st).await?;
    let sys = SystemCap::for_cli();
    let cap = system_cap::<perm::MemberImport>(&sys, AccountId(0));
    let opts = ImportOptions {
        target: school,
        mode: ImportMode::AllOrNothing,
        max_rows: usize::MAX / 2,
        today: today(),
        progress: None,
    };
    let bytes = Arc::new(bytes);
    let t = Instant::now();
    let cpu0 = cpu_secs();
    let r = store::org::import::run(&st, &cap, &Who::system("bench"), bytes.clone(), &opts).await?;
    let secs = t.elapsed().as_secs_f64();
    let import_cpu = cpu_secs() - cpu0;
    anyhow::ensure!(r.applied && r.created == n, "import did not apply: {r:?}");
    let import_rate = n as f64 / secs;
    let t = Instant::now();
    let again = store::org::import::run(&st, &cap, &Who::system("bench"), bytes, &opts).await?;
    let again_secs = t.elapsed().as_secs_f64();
    anyhow::ensure!(again.unchanged == n);
    let ceiling_rate = ceiling(&st, school, n).await?;
    // Export.
    let ecap = system_cap::<perm::MemberExport>(&sys, AccountId(0));
    let label = |k: &str| k.to_string();
    let text = store::org::export::ExportText {
        sheet_name: "m".into(),
        headers: store::org::export::EXPORT_COLUMNS
            .iter()
            .map(|s| s.to_string())
            .collect(),
        label: &label,
    };
    let f = store::org::MemberFilter {
        unit: Some(school),
        ..Default::default()
    };
    let t = Instant::now();
    let (xlsx, rows) = store::org::export::export_members(
        &st,
        &ecap,
        None,
        &Who::system("bench"),
        None,
        &f,
        today(),
        &text,
    )
    .await?;
    let esecs = t.elapsed().as_secs_f64();
    let engine = if pg { "PostgreSQL" } else { "SQLite" };
    println!("engine: {engine}");
    println!(
        "import (parse, validate, encrypt, write, audit): {n} rows in {secs:.2} s = {import_rate:.0} rows/s, {import_cpu:.1} CPU s"
    );
    println!(
        "re-import of the same file (all unchanged): {again_secs:.2} s = {:.0} rows/s",
        n as f64 / again_secs
    );
    println!(
        "ceiling (raw multi-row INSERT of the same rows, same pool): {ceiling_rate:.0} rows/s; import = {:.2} × ceiling",
        import_rate / ceiling_rate
    );
    println!(
        "export: {rows} rows, {:.1} MB in {esecs:.2} s = {:.0} rows/s",
        xlsx.len() as f64 / 1e6,
        rows as f64 / esecs
    );
    println!("peak RSS of this process: {:.0} MiB", rss_peak_mib());
    if pg {
        let schema = format!("jgbench_{}", std::process::id());
        let sql = format!("DROP SCHEMA {schema} CASCADE");
        store::on_db!(&st.db, |p| sqlx::raw_sql(sqlx::AssertSqlSafe(sql.clone()))
            .execute(p)
            .await
            .map(|_| ()))?;
    }
    Ok(())
}

/// Peak memory of a dry run over a huge file (the file itself is counted too).
async fn memory_bench(n: u64) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("roster.xlsx");
    roster(n, &file)?;
    let before = rss_peak_mib();
    let bytes = Arc::new(std::fs::read(&file)?);
    let (st, _) = fresh(false, dir.path()).await?;
    let school = one_school(&st).await?;
    let sys = SystemCap::for_cli();
    let cap = system_cap::<perm::MemberImport>(&sys, AccountId(0));
    let mode = if std::env::args().any(|a| a == "--apply") {
        ImportMode::AllOrNothing
    } else {
        ImportMode::DryRun
    };
    let opts = ImportOptions {
        target: school,
        mode,
        max_rows: usize::MAX / 2,
        today: today(),
        progress: None,
    };
    let t = Instant::now();
    let r = store::org::import::run(&st, &cap, &Who::system("bench"), bytes.clone(), &opts).await?;
    println!(
        "{:?} of {} rows ({:.0} MB file): {:.1} s, {} to create, peak RSS {:.0} MiB (before reading: {:.0} MiB)",
        mode,
        r.rows,
        bytes.len() as f64 / 1e6,
        t.elapsed().as_secs_f64(),
        r.created,
        rss_peak_mib(),
        before
    );
    Ok(())
}

fn percentile(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    let i = ((v.len() as f64 - 1.0) * p).round() as usize;
    v[i.min(v.len() - 1)]
}

async fn list_bench(n: usize) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    // BENCH_DB=path keeps the loaded province between runs (SQLite only).
    let keep = std::env::var("BENCH_DB").ok();
    let reuse = keep
        .as_ref()
        .is_some_and(|p| std::path::Path::new(p).exists());
    let (st, _) = match &keep {
        Some(p) => {
            let db = Db::connect(
                &format!("sqlite://{p}"),
                &DbOptions {
                    max_connections: 8,
                    pg_schema: None,
                },
            )
            .await?;
            db.migrate().await?;
            let st = Store::new(db, Cipher::new(&[7u8; 32]));
            st.check_key().await?;
            (st, p.clone())
        }
        None => fresh(std::env::args().any(|a| a == "--pg"), dir.path()).await?,
    };
    if reuse {
        store::on_db!(&st.db, |p| sqlx::query("DELETE FROM role_grant")
            .execute(p)
            .await
            .map(|_| ()))?;
        store::on_db!(&st.db, |p| sqlx::query("DELETE FROM session")
            .execute(p)
            .await
            .map(|_| ()))?;
        store::on_db!(&st.db, |p| sqlx::query("DELETE FROM account")
            .execute(p)
            .await
            .map(|_| ()))?;
    }
    let runs: usize = std::env::var("RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(60);
    let t = Instant::now();
    let s = if reuse {
        store::demo::DemoSummary {
            union_name: String::new(),
            areas: 0,
            schools: 0,
            members: n,
            logins: Vec::new(),
        }
    } else {
        store::demo::load(
            &st,
            &SystemCap::for_cli(),
            None,
            &store::demo::DemoOptions {
                members: n,
                seed: 1,
                today: today(),
                logins: false,
            },
        )
        .await?
    };
    println!(
        "loaded {} members in {} schools, {} areas in {:.0} s",
        s.members,
        s.schools,
        s.areas,
        t.elapsed().as_secs_f64()
    );
    let sys = SystemCap::for_cli();
    let root = store::org::roots(&st.db).await?[0].id;
    let schools =
        store::org::schools(&st.db, &system_cap::<perm::OrgView>(&sys, AccountId(0))).await?;
    let school = schools[schools.len() / 2].id;
    let w = Who::system("bench");
    let mk = |name: &str| store::auth::NewAccount {
        username: name.into(),
        display_name: name.into(),
        member: None,
        password_hash: None,
    };
    let staff = store::auth::create_account_system(&sys, &st, &w, &mk("staff")).await?;
    store::auth::grant_system(&sys, &st, &w, staff, Role::UnionStaff, root).await?;
    let chair = store::auth::create_account_system(&sys, &st, &w, &mk("chair")).await?;
    store::auth::grant_system(&sys, &st, &w, chair, Role::SchoolChair, school).await?;
    let cfg = web::WebConfig::default();
    let staff_sid = store::auth::create_session(&st.db, staff, true, cfg.session).await?;
    let chair_sid = store::auth::create_session(&st.db, chair, true, cfg.session).await?;
    let state = web::AppState::new(st.clone(), store::auth::PasswordHasher::new(1), cfg);
    let app = web::app(state);
    let cases = [
        ("healthz (ceiling)", "/healthz".to_string(), &chair_sid),
        (
            "school chair: own school, first page",
            "/members".to_string(),
            &chair_sid,
        ),
        ("school chair: page 2", String::new(), &chair_sid),
        (
            "province staff: all members",
            "/members".to_string(),
            &staff_sid,
        ),
        (
            "province staff: name search 王",
            "/members?q=%E7%8E%8B".to_string(),
            &staff_sid,
        ),
        (
            "province staff: ID tail 0011",
            "/members?q=0011".to_string(),
            &staff_sid,
        ),
        (
            "province staff: women teachers 40–49",
            "/members?post=teacher&gender=female&age=40_49".to_string(),
            &staff_sid,
        ),
        (
            "province staff: one school by filter",
            format!("/members?unit={school}"),
            &staff_sid,
        ),
        ("dashboard: province staff", "/".to_string(), &staff_sid),
        ("dashboard: school chair", "/".to_string(), &chair_sid),
    ];
    // Page 2 of the chair's list: follow the "next" link once.
    let first = get(&app, "/members", &chair_sid).await?;
    let next = first
        .1
        .split("rel=\"next\"")
        .next()
        .and_then(|s| s.rsplit("href=\"").next())
        .and_then(|h| h.split('"').next())
        .map(|h| h.replace("&amp;", "&"))
        .unwrap_or_default();
    println!(
        "{:<42} {:>8} {:>8} {:>8} {:>7}",
        "request", "p50 ms", "p95 ms", "max ms", "queries"
    );
    for (name, path, sid) in cases {
        let path = if path.is_empty() { next.clone() } else { path };
        let mut times = Vec::new();
        let mut queries = 0;
        for i in 0..runs {
            let q0 = st.db.query_count();
            let t = Instant::now();
            let (status, _) = get(&app, &path, sid).await?;
            let ms = t.elapsed().as_secs_f64() * 1000.0;
            anyhow::ensure!(status == 200, "{path}: {status}");
            if i >= 10 {
                times.push(ms);
            }
            queries = st.db.query_count() - q0;
        }
        let max = times.iter().cloned().fold(0.0, f64::max);
        println!(
            "{name:<42} {:>8.1} {:>8.1} {:>8.1} {:>7}",
            percentile(&mut times.clone(), 0.5),
            percentile(&mut times, 0.95),
            max,
            queries
        );
    }
    let html = gzipped(&app, "/members", &chair_sid).await?;
    let css = gzipped(
        &app,
        &format!("{}/app.css", web::assets::prefix()),
        &chair_sid,
    )
    .await?;
    let js = gzipped(
        &app,
        &format!("{}/app.js", web::assets::prefix()),
        &chair_sid,
    )
    .await?;
    println!(
        "member list page weight (gzip): HTML {:.1} KB + CSS {:.1} KB + JS {:.1} KB = {:.1} KB",
        html as f64 / 1024.0,
        css as f64 / 1024.0,
        js as f64 / 1024.0,
        (html + css + js) as f64 / 1024.0
    );
    Ok(())
}

/// Bytes on the wire with gzip.
async fn gzipped(app: &axum::Router, path: &str, sid: &str) -> anyhow::Result<usize> {
    let req = Request::get(path)
        .header("cookie", format!("jg_session={sid}"))
        .header("accept-encoding", "gzip")
        .body(Body::empty())?;
    let res = app.clone().oneshot(req).await?;
    let body = http_body_util::BodyExt::collect(res.into_body())
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    Ok(body.len())
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

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let what = args.get(1).map(String::as_str).unwrap_or("import");
    let n: u64 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(100_000);
    let pg = args.iter().any(|a| a == "--pg");
    println!(
        "machine: {} cores, {}",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(0),
        std::env::consts::ARCH
    );
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        match what {
            "import" => import_bench(n, pg).await,
            "memory" => memory_bench(n).await,
            "list" => list_bench(n as usize).await,
            other => anyhow::bail!("unknown benchmark {other}"),
        }
    })
}
