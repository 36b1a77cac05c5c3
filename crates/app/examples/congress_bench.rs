//! Benchmarks of the staff congress (issue 5), on loopback only, with bounded sizes.
//!
//! 1. Check-in burst: 1,000 delegates, each logged in on their own phone, check in within
//!    10 s through the real HTTP stack (sessions, CSRF layer, audit) while one attendance
//!    board listens on its server-sent events. Every check-in must be recorded; the board's
//!    lag is, for the k-th check-in to be answered, the time until the board first shows at
//!    least k present. Then the ceiling: the same 1,000 as fast as 64 phones can send them.
//! 2. Oversight: the district table for 1,000 schools (each with a term, 30 delegates, a
//!    meeting, proposals), timed in the store and as a rendered page, with its query count;
//!    then 3,000 schools as the ceiling.
//!
//! Run: `cargo run --release -p jiaogong --example congress_bench` (SQLite in a temporary
//! directory; set `BENCH_DATABASE_URL=postgres://…` to use a PostgreSQL database instead —
//! it must be empty).

use anyhow::{Context, bail};
use chrono::NaiveDate;
use domain::auth::{Role, SystemCap, perm, system_cap};
use domain::congress::*;
use domain::ids::{AccountId, MemberId};
use std::sync::Arc;
use std::time::{Duration, Instant};
use store::audit::Who;
use store::db::{Arg, Sql};
use store::{Cipher, Db, DbOptions, Store};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

fn sys<P: perm::Perm>() -> domain::auth::Cap<P> {
    system_cap(&SystemCap::for_cli(), AccountId(0))
}

fn pct(v: &mut [f64], p: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    let i = ((p / 100.0) * (v.len() as f64 - 1.0)).round() as usize;
    v[i.min(v.len() - 1)]
}

async fn open_store(dir: &std::path::Path) -> anyhow::Result<Store> {
    let url = std::env::var("BENCH_DATABASE_URL")
        .unwrap_or_else(|_| format!("sqlite://{}/bench.db", dir.display()));
    let db = Db::connect(
        &url,
        &DbOptions {
            max_connections: 8,
            pg_schema: None,
        },
    )
    .await?;
    db.migrate().await?;
    let st = Store::new(db, Cipher::new(&Cipher::generate_key()));
    st.check_key().await?;
    Ok(st)
}

fn id_number(n: u32) -> String {
    let birth = NaiveDate::from_ymd_opt(1975, 1, 1).unwrap_or_default()
        + chrono::Duration::days(i64::from(n % 9000));
    let seq = (n / 9000 % 500) * 2 + (n % 2);
    let body = format!("330102{}{:03}", birth.format("%Y%m%d"), seq);
    format!("{body}{}", domain::org::IdNumber::check_char(&body))
}

/// A raw HTTP/1.1 request on a fresh loopback connection; returns the status code.
async fn request(
    addr: std::net::SocketAddr,
    method: &str,
    path: &str,
    cookie: &str,
) -> anyhow::Result<u16> {
    let mut s = TcpStream::connect(addr).await?;
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nCookie: jg_session={cookie}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
    s.write_all(req.as_bytes()).await?;
    let mut buf = Vec::with_capacity(4096);
    s.read_to_end(&mut buf).await?;
    let head = String::from_utf8_lossy(&buf[..buf.len().min(64)]).to_string();
    head.split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .context("no status line")
}

/// Follows the board's event stream, recording (time, present) for every event.
async fn watch_board(
    addr: std::net::SocketAddr,
    path: String,
    cookie: String,
    log: Arc<std::sync::Mutex<Vec<(Instant, u64)>>>,
    until: u64,
) -> anyhow::Result<()> {
    let mut s = TcpStream::connect(addr).await?;
    let req = format!(
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nCookie: jg_session={cookie}\r\nAccept: text/event-stream\r\n\r\n"
    );
    s.write_all(req.as_bytes()).await?;
    let mut raw: Vec<u8> = Vec::new();
    let mut chunk = [0u8; 8192];
    let mut body = String::new();
    let mut headers_done = false;
    loop {
        let n = s.read(&mut chunk).await?;
        if n == 0 {
            bail!("the board stream ended");
        }
        raw.extend_from_slice(&chunk[..n]);
        if !headers_done {
            let Some(i) = raw.windows(4).position(|w| w == b"\r\n\r\n") else {
                continue;
            };
            raw.drain(..i + 4);
            headers_done = true;
        }
        // De-chunk whatever is complete.
        while let Some(eol) = raw.windows(2).position(|w| w == b"\r\n") {
            let size =
                usize::from_str_radix(String::from_utf8_lossy(&raw[..eol]).trim(), 16).unwrap_or(0);
            if raw.len() < eol + 2 + size + 2 {
                break;
            }
            body.push_str(&String::from_utf8_lossy(&raw[eol + 2..eol + 2 + size]));
            raw.drain(..eol + 2 + size + 2);
        }
        while let Some(end) = body.find("\n\n") {
            let event: String = body.drain(..end + 2).collect();
            if let Some(data) = event
                .lines()
                .find_map(|l| l.strip_prefix("data: ").or_else(|| l.strip_prefix("data:")))
                && let Ok(v) = serde_json::from_str::<serde_json::Value>(data.trim())
                && let Some(p) = v["present"].as_u64()
            {
                log.lock()
                    .map_err(|_| anyhow::anyhow!("lock"))?
                    .push((Instant::now(), p));
                if p >= until {
                    return Ok(());
                }
            }
        }
    }
}

struct Burst {
    recorded: i64,
    secs: f64,
    lags_ms: Vec<f64>,
    failures: usize,
}

/// Fires the check-ins of `tokens` at meeting `m`: spread over `spread` (or all at once,
/// `concurrency` at a time) while a board listens.
async fn burst(
    st: &Store,
    addr: std::net::SocketAddr,
    m: MeetingId,
    tokens: &[String],
    board_cookie: &str,
    spread: Option<Duration>,
    concurrency: usize,
) -> anyhow::Result<Burst> {
    let log = Arc::new(std::sync::Mutex::new(Vec::new()));
    let watcher = tokio::spawn(watch_board(
        addr,
        format!("/congress/meetings/{m}/board/events"),
        board_cookie.to_string(),
        log.clone(),
        tokens.len() as u64,
    ));
    // Let the board connect and send its first event.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let started = Instant::now();
    let sem = Arc::new(tokio::sync::Semaphore::new(concurrency));
    let mut tasks = Vec::with_capacity(tokens.len());
    for (i, t) in tokens.iter().enumerate() {
        let t = t.clone();
        let sem = sem.clone();
        let at = spread.map(|d| started + d.mul_f64(i as f64 / tokens.len() as f64));
        tasks.push(tokio::spawn(async move {
            if let Some(at) = at {
                tokio::time::sleep_until(at.into()).await;
            }
            let _permit = sem.acquire_owned().await;
            let r = request(
                addr,
                "POST",
                &format!("/congress/meetings/{m}/check-in"),
                &t,
            )
            .await;
            (Instant::now(), r)
        }));
    }
    let mut done = Vec::with_capacity(tasks.len());
    let mut failures = 0;
    for t in tasks {
        let (at, r) = t.await?;
        match r {
            Ok(303) => done.push(at),
            _ => failures += 1,
        }
    }
    let secs = started.elapsed().as_secs_f64();
    let _ = tokio::time::timeout(Duration::from_secs(10), watcher).await;
    done.sort();
    let events = log.lock().map_err(|_| anyhow::anyhow!("lock"))?.clone();
    let mut lags = Vec::with_capacity(done.len());
    for (k, at) in done.iter().enumerate() {
        let want = k as u64 + 1;
        match events.iter().find(|(_, p)| *p >= want) {
            Some((t, _)) => lags.push(t.saturating_duration_since(*at).as_secs_f64() * 1000.0),
            None => lags.push(f64::INFINITY),
        }
    }
    let recorded: i64 = store::on_db!(&st.db, |p| sqlx::query_scalar(
        "SELECT COUNT(*) FROM check_in WHERE meeting_id = $1"
    )
    .bind(m.0)
    .fetch_one(p)
    .await)?;
    Ok(Burst {
        recorded,
        secs,
        lags_ms: lags,
        failures,
    })
}

async fn check_in_bench(st: &Store) -> anyhow::Result<()> {
    let who = Who::system("bench");
    let o = sys::<perm::OrgManage>();
    let union = store::org::create_unit(
        st,
        &o,
        &who,
        None,
        &store::org::NewUnit {
            kind: domain::org::OrgKind::Union,
            code: "BU".into(),
            name: "基准教育工会".into(),
            union_kind: Some(domain::org::UnionKind::District),
            school_kind: None,
            school_level: None,
            staff_count: 0,
            sort_order: 0,
        },
    )
    .await?;
    let area = store::org::create_unit(
        st,
        &o,
        &who,
        Some(union),
        &store::org::NewUnit {
            kind: domain::org::OrgKind::Area,
            code: "BA".into(),
            name: "基准片".into(),
            union_kind: None,
            school_kind: None,
            school_level: None,
            staff_count: 0,
            sort_order: 0,
        },
    )
    .await?;
    let school = store::org::create_unit(
        st,
        &o,
        &who,
        Some(area),
        &store::org::NewUnit {
            kind: domain::org::OrgKind::SchoolUnion,
            code: "BS".into(),
            name: "基准学校工会".into(),
            union_kind: None,
            school_kind: None,
            school_level: None,
            staff_count: 0,
            sort_order: 0,
        },
    )
    .await?;
    let today = web::today();
    let term = store::congress::terms::create_term(
        st,
        &sys(),
        &who,
        school,
        &TermDraft {
            number: 1,
            mode: CongressMode::Congress,
            start_date: today - chrono::Duration::days(30),
            end_date: today + chrono::Duration::days(1100),
        },
    )
    .await?;
    let t0 = Instant::now();
    let n = 1000u32;
    let policy = store::auth::SessionPolicy {
        idle: chrono::Duration::hours(2),
        absolute: chrono::Duration::hours(12),
    };
    let mut tokens = Vec::with_capacity(n as usize);
    for i in 0..n {
        let d = domain::org::MemberInput {
            name: format!("代表{i:04}"),
            id_number: id_number(i),
            post: "teacher".into(),
            ..Default::default()
        }
        .parse(today)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
        let m: MemberId =
            store::org::create_member(st, &sys(), &who, school, None, &d, today).await?;
        store::congress::terms::add_delegate(
            st,
            &sys(),
            &who,
            term,
            m,
            DelegateKind::Delegate,
            None,
            today,
        )
        .await?;
        let acc = store::auth::create_account_system(
            &SystemCap::for_cli(),
            st,
            &who,
            &store::auth::NewAccount {
                username: format!("d{i:04}"),
                display_name: format!("代表{i:04}"),
                member: Some(m),
                password_hash: None,
            },
        )
        .await?;
        store::auth::grant_system(&SystemCap::for_cli(), st, &who, acc, Role::Delegate, school)
            .await?;
        tokens.push(store::auth::create_session(&st.db, acc, true, policy).await?);
    }
    let chair = store::auth::create_account_system(
        &SystemCap::for_cli(),
        st,
        &who,
        &store::auth::NewAccount {
            username: "chair".into(),
            display_name: "chair".into(),
            member: None,
            password_hash: None,
        },
    )
    .await?;
    store::auth::grant_system(
        &SystemCap::for_cli(),
        st,
        &who,
        chair,
        Role::SchoolChair,
        school,
    )
    .await?;
    let chair_token = store::auth::create_session(&st.db, chair, true, policy).await?;
    println!(
        "setup: {n} members, delegates, accounts and sessions in {:.1} s",
        t0.elapsed().as_secs_f64()
    );

    let state = web::AppState::new(
        st.clone(),
        store::auth::PasswordHasher::new(1),
        web::WebConfig::default(),
    );
    let app = web::app(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        let _ = axum::serve(
            listener,
            app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await;
    });

    let meeting = |k: u32| {
        let st = st.clone();
        let who = who.clone();
        async move {
            let m = store::congress::meetings::create_meeting(
                &st,
                &sys(),
                &who,
                term,
                &MeetingDraft {
                    kind: MeetingKind::Regular,
                    meeting_date: today + chrono::Duration::days(i64::from(k)),
                    starts_at: None,
                    place: "报告厅".into(),
                    proposals_from: None,
                    proposals_until: None,
                },
            )
            .await?;
            store::congress::meetings::set_status(&st, &sys(), &who, m, MeetingStatus::Open)
                .await?;
            anyhow::Ok(m)
        }
    };
    let m1 = meeting(1).await?;
    let mut b = burst(
        st,
        addr,
        m1,
        &tokens,
        &chair_token,
        Some(Duration::from_secs(10)),
        200,
    )
    .await?;
    println!(
        "check-in burst, 1,000 phones over 10 s: recorded {}/{} (failures {}), sent in {:.2} s; board lag p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms",
        b.recorded,
        n,
        b.failures,
        b.secs,
        pct(&mut b.lags_ms.clone(), 50.0),
        pct(&mut b.lags_ms.clone(), 99.0),
        pct(&mut b.lags_ms, 100.0)
    );
    let m2 = meeting(2).await?;
    let mut c = burst(st, addr, m2, &tokens, &chair_token, None, 64).await?;
    println!(
        "ceiling, 1,000 at once by 64 phones: recorded {}/{} (failures {}) in {:.2} s = {:.0} check-ins/s; board lag p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms",
        c.recorded,
        n,
        c.failures,
        c.secs,
        f64::from(n) / c.secs,
        pct(&mut c.lags_ms.clone(), 50.0),
        pct(&mut c.lags_ms.clone(), 99.0),
        pct(&mut c.lags_ms, 100.0)
    );
    Ok(())
}

/// Adds `n` schools under one area, each with a current term, 30 delegates (one woman in
/// three, 70 % teachers), a closed meeting this school year with its attendance, and 5
/// proposals in various states. Bulk SQL: the benchmark measures reading, not loading.
async fn district(st: &Store, n: usize, tag: &str) -> anyhow::Result<()> {
    let who = Who::system("bench");
    let o = sys::<perm::OrgManage>();
    let root = store::org::roots(&st.db)
        .await?
        .into_iter()
        .next()
        .context("no union")?
        .id;
    let area = store::org::create_unit(
        st,
        &o,
        &who,
        Some(root),
        &store::org::NewUnit {
            kind: domain::org::OrgKind::Area,
            code: format!("A-{tag}"),
            name: format!("片区{tag}"),
            union_kind: None,
            school_kind: None,
            school_level: None,
            staff_count: 0,
            sort_order: 1,
        },
    )
    .await?;
    let today = web::today();
    let year = school_year(today);
    let meeting_date = NaiveDate::from_ymd_opt(year, 9, 20)
        .unwrap_or(today)
        .min(today);
    let now = store::now();
    let cipher = &st.cipher;
    for chunk in 0..n.div_ceil(100) {
        let mut tx = st.db.begin().await?;
        for k in 0..100 {
            let i = chunk * 100 + k;
            if i >= n {
                break;
            }
            let school: i64 = store::on_tx!(&mut tx, |c| {
                sqlx::query_scalar(
                "INSERT INTO org_unit (parent_id, kind, code, name, staff_count, sort_order, created_at, updated_at) VALUES ($1, 'school_union', $2, $3, 100, $4, $5, $5) RETURNING id"
            ).bind(area.0).bind(format!("S-{tag}-{i}")).bind(format!("学校{tag}-{i:04}")).bind(i as i64).bind(now).fetch_one(&mut *c).await
            })?;
            store::on_tx!(&mut tx, |c| {
                sqlx::query(
                "INSERT INTO org_closure (ancestor_id, descendant_id, depth) SELECT ancestor_id, $1, depth + 1 FROM org_closure WHERE descendant_id = $2 UNION ALL SELECT $1, $1, 0"
            ).bind(school).bind(area.0).execute(&mut *c).await.map(|r| r.rows_affected())
            })?;
            let member_ids = store::db::reserve_ids(&mut tx, "member", 30).await?;
            let mut sql = Sql::new(
                "INSERT INTO member (id, school_union_id, name, gender, birth_date, id_number_enc, id_number_idx, id_tail_idx, post, status, status_since, version, created_at, updated_at) VALUES ",
            );
            for (d, row) in (0..30u32).zip(member_ids) {
                let num = (i as u32) * 30 + d + 10_000 + if tag == "B" { 2_000_000 } else { 0 };
                let idn = format!("{tag}{num}");
                if d > 0 {
                    sql.push(", ");
                }
                sql.push("(");
                sql.bind_list([
                    Arg::I64(row),
                    Arg::I64(school),
                    Arg::Text(format!("代表{d}")),
                    Arg::Text(if d % 3 == 0 { "female" } else { "male" }.into()),
                    Arg::Date(
                        NaiveDate::from_ymd_opt(1970 + (d as i32 % 30), 3, 1).unwrap_or(today),
                    ),
                    Arg::Bytes(cipher.seal_str(store::org::ID_NUMBER.at(row), &idn)),
                    Arg::Bytes(cipher.blind_index(store::crypto::Field::IdNumber, &idn)),
                    Arg::Bytes(cipher.blind_index(store::crypto::Field::IdTail, &idn)),
                    Arg::Text(
                        if d % 10 < 7 {
                            "teacher"
                        } else if d % 10 == 7 {
                            "leader"
                        } else {
                            "staff"
                        }
                        .into(),
                    ),
                    Arg::Text("active".into()),
                    Arg::Date(today),
                    Arg::I64(1),
                    Arg::Ts(now),
                    Arg::Ts(now),
                ]);
                sql.push(")");
            }
            sql.push(" RETURNING id");
            let members: Vec<(i64,)> = sql.fetch_all_tx(&mut tx).await?;
            let term: i64 = store::on_tx!(&mut tx, |c| {
                sqlx::query_scalar(
                "INSERT INTO congress_term (school_union_id, number, mode, start_date, end_date, created_at, updated_at) VALUES ($1, 1, 'congress', $2, $3, $4, $4) RETURNING id"
            ).bind(school).bind(today - chrono::Duration::days(400)).bind(today + chrono::Duration::days(800)).bind(now).fetch_one(&mut *c).await
            })?;
            let mut sql = Sql::new(
                "INSERT INTO delegate (term_id, member_id, kind, started_on, created_at) VALUES ",
            );
            for (d, (m,)) in members.iter().enumerate() {
                if d > 0 {
                    sql.push(", ");
                }
                sql.push("(");
                sql.bind_list([
                    Arg::I64(term),
                    Arg::I64(*m),
                    Arg::Text("delegate".into()),
                    Arg::Date(today),
                    Arg::Ts(now),
                ]);
                sql.push(")");
            }
            sql.execute_tx(&mut tx).await?;
            let held = i % 7 != 3;
            let meeting: i64 = store::on_tx!(&mut tx, |c| {
                sqlx::query_scalar(
                "INSERT INTO congress_meeting (term_id, school_union_id, number, kind, meeting_date, place, status, final_total, final_excused, final_present, final_quorum, created_at, updated_at)
                 VALUES ($1, $2, 1, 'regular', $3, '报告厅', $4, 30, 0, $5, $6, $7, $7) RETURNING id"
            ).bind(term).bind(school).bind(meeting_date).bind(if held { "closed" } else { "planned" }).bind(if i % 11 == 5 { 18i64 } else { 27 }).bind(i % 11 != 5).bind(now).fetch_one(&mut *c).await
            })?;
            let states = [
                "submitted",
                "handling",
                "answered",
                "implementing",
                "closed",
            ];
            let mut sql = Sql::new(
                "INSERT INTO proposal (school_union_id, term_id, meeting_id, number, proposer_id, title, category, reasons, measures, status, submitted_at, reply_due, round, last_rating, version, created_at, updated_at) VALUES ",
            );
            let first_delegate: i64 = store::on_tx!(&mut tx, |c| sqlx::query_scalar(
                "SELECT MIN(id) FROM delegate WHERE term_id = $1"
            )
            .bind(term)
            .fetch_one(&mut *c)
            .await)?;
            for (p, s) in states.iter().enumerate() {
                if p > 0 {
                    sql.push(", ");
                }
                sql.push("(");
                sql.bind_list([
                    Arg::I64(school),
                    Arg::I64(term),
                    Arg::I64(meeting),
                    Arg::I64(p as i64 + 1),
                    Arg::I64(first_delegate),
                    Arg::Text(format!("提案{p}")),
                    Arg::Text("other".into()),
                    Arg::Text("r".into()),
                    Arg::Text("m".into()),
                    Arg::Text((*s).into()),
                    Arg::Ts(now),
                    Arg::OptDate(Some(
                        today + chrono::Duration::days(if p == 1 && i % 5 == 0 { -3 } else { 20 }),
                    )),
                    Arg::I64(1),
                    Arg::OptText(match *s {
                        "implementing" => Some("partly_satisfied".into()),
                        "closed" => Some("satisfied".into()),
                        _ => None,
                    }),
                    Arg::I64(1),
                    Arg::Ts(now),
                    Arg::Ts(now),
                ]);
                sql.push(")");
            }
            sql.execute_tx(&mut tx).await?;
        }
        tx.commit().await?;
    }
    Ok(())
}

async fn oversight_bench(st: &Store, schools: usize, runs: usize) -> anyhow::Result<()> {
    let cap = sys::<perm::CongressOversight>();
    let year = school_year(web::today());
    let mut times = Vec::with_capacity(runs);
    let mut queries = 0;
    let mut rows = 0;
    for _ in 0..runs {
        let before = st.db.query_count();
        let t = Instant::now();
        let r = store::congress::oversight::oversight(&st.db, &cap, year, web::today()).await?;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        queries = st.db.query_count() - before;
        rows = r.len();
    }
    // The rendered page, as union staff over HTTP (in process).
    let who = Who::system("bench");
    let staff = match store::auth::account_for_login(&st.db, "ostaff").await? {
        Some((a, _)) => AccountId(a.id),
        None => {
            let id = store::auth::create_account_system(
                &SystemCap::for_cli(),
                st,
                &who,
                &store::auth::NewAccount {
                    username: "ostaff".into(),
                    display_name: "staff".into(),
                    member: None,
                    password_hash: None,
                },
            )
            .await?;
            let root = store::org::roots(&st.db)
                .await?
                .into_iter()
                .next()
                .context("no union")?
                .id;
            store::auth::grant_system(&SystemCap::for_cli(), st, &who, id, Role::UnionStaff, root)
                .await?;
            id
        }
    };
    let token = store::auth::create_session(
        &st.db,
        staff,
        true,
        store::auth::SessionPolicy {
            idle: chrono::Duration::hours(2),
            absolute: chrono::Duration::hours(12),
        },
    )
    .await?;
    let state = web::AppState::new(
        st.clone(),
        store::auth::PasswordHasher::new(1),
        web::WebConfig::default(),
    );
    let app = web::app(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let server = tokio::spawn(async move {
        let _ = axum::serve(
            listener,
            app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await;
    });
    let mut page = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        let code = request(addr, "GET", "/congress/oversight", &token).await?;
        if code != 200 {
            bail!("oversight page answered {code}");
        }
        page.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    server.abort();
    println!(
        "oversight, {schools} schools ({rows} rows): store p50 {:.1} ms, p95 {:.1} ms, {queries} queries; page over HTTP p50 {:.1} ms, p95 {:.1} ms ({runs} runs)",
        pct(&mut times.clone(), 50.0),
        pct(&mut times, 95.0),
        pct(&mut page.clone(), 50.0),
        pct(&mut page, 95.0)
    );
    Ok(())
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let st = open_store(dir.path()).await?;
    println!(
        "engine {:?}, {} cores",
        st.db.engine(),
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(0)
    );
    check_in_bench(&st).await?;
    let t = Instant::now();
    district(&st, 1000, "A").await?;
    println!("loaded 1,000 schools in {:.1} s", t.elapsed().as_secs_f64());
    oversight_bench(&st, 1001, 40).await?;
    let t = Instant::now();
    district(&st, 2000, "B").await?;
    println!(
        "loaded 2,000 more schools in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    oversight_bench(&st, 3001, 20).await?;
    Ok(())
}
