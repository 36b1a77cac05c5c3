//! Benchmarks of voting (issue 6), on loopback only, bounded in count and time.
//!
//! A congress hall of 10,000 voting delegates, all checked in, each with a card code. The
//! web application runs in this process on 127.0.0.1:0; the clients are hand-written
//! HTTP/1.1 over Tokio sockets and share the machine with the server.
//!
//! 1. Ceiling: `GET /healthz` on the same keep-alive connections, same concurrency, same
//!    duration as the next step.
//! 2. Sustained: card-code ballots (`POST /vote … step=cast`) as fast as the connections
//!    take them, spread over several open polls so that no delegate votes twice in a poll.
//!    Every answer is read: a receipt "stored" counts as acknowledged. Afterwards the
//!    database must hold exactly one participation row and one ballot row per
//!    acknowledged ballot.
//! 3. Burst: 2,000 delegates on a new poll, arrivals spread evenly over one second, each on
//!    a fresh connection (a phone); latency from connecting to the whole answer.
//! 4. Replay: 5,000 ballots acknowledged in step 2 sent again; none may be stored (rows
//!    counted before and after, every answer must say that the first ballot stands).
//! 5. Live turnout: 10,000 server-sent-event clients on one poll, all with one chair's
//!    session; ballots are then cast one at a time. For each client and each ballot the lag
//!    runs from sending the ballot (its commit lies between sending and the answer) to the
//!    first event whose `voted` includes it.
//!
//! Step 5's clients run in a second process (this program with `--sse-clients`), so that
//! neither process needs more than about 10,000 open files; both read the wall clock.
//!
//! ```sh
//! cargo run --release -p jiaogong --example vote_bench -- [SECONDS] [CONNECTIONS]
//! BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test cargo run --release -p jiaogong --example vote_bench
//! ```
//! Defaults: 10 s, 128 connections. SQLite lives in a temporary directory; on PostgreSQL
//! the bench makes a schema of its own and drops it at the end.

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use anyhow::{Context, bail, ensure};
use domain::auth::{Role, SystemCap};
use domain::voting::PollId;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use store::{Cipher, Db, DbOptions, Store};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const DELEGATES: usize = 10_000;
const SUSTAINED_POLLS: usize = 12;
const BURST: usize = 2_000;
const REPLAY: usize = 5_000;
const SSE_CLIENTS: usize = 10_000;
const SSE_BALLOTS: usize = 30;
const PASSWORD: &str = "bench-chair-password";

fn pct(v: &mut [f64], p: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    let i = ((p / 100.0) * (v.len() as f64 - 1.0)).round() as usize;
    v[i.min(v.len() - 1)]
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// One HTTP/1.1 connection, kept alive between requests.
struct Conn {
    s: TcpStream,
    buf: Vec<u8>,
}

struct Resp {
    status: u16,
    head: String,
    body: Vec<u8>,
}

impl Conn {
    async fn open(addr: SocketAddr) -> anyhow::Result<Conn> {
        let s = TcpStream::connect(addr).await?;
        s.set_nodelay(true)?;
        Ok(Conn {
            s,
            buf: Vec::with_capacity(16 * 1024),
        })
    }

    async fn fill(&mut self) -> anyhow::Result<()> {
        self.buf.reserve(16 * 1024);
        let n = self.s.read_buf(&mut self.buf).await?;
        ensure!(n > 0, "the server closed the connection");
        Ok(())
    }

    /// Sends one request and reads the whole answer (Content-Length or chunked).
    async fn exchange(&mut self, req: &[u8]) -> anyhow::Result<Resp> {
        self.s.write_all(req).await?;
        self.buf.clear();
        let head_end = loop {
            if let Some(i) = find(&self.buf, b"\r\n\r\n") {
                break i + 4;
            }
            self.fill().await?;
        };
        let head = String::from_utf8_lossy(&self.buf[..head_end]).into_owned();
        let status: u16 = head
            .get(9..12)
            .and_then(|c| c.parse().ok())
            .context("no status line")?;
        let mut length = None;
        let mut chunked = false;
        for line in head.split("\r\n").skip(1) {
            if let Some((k, v)) = line.split_once(':') {
                if k.eq_ignore_ascii_case("content-length") {
                    length = v.trim().parse::<usize>().ok();
                } else if k.eq_ignore_ascii_case("transfer-encoding")
                    && v.to_ascii_lowercase().contains("chunked")
                {
                    chunked = true;
                }
            }
        }
        let body = if let Some(n) = length {
            while self.buf.len() < head_end + n {
                self.fill().await?;
            }
            self.buf[head_end..head_end + n].to_vec()
        } else if chunked {
            let mut body = Vec::new();
            let mut pos = head_end;
            loop {
                let eol = loop {
                    if let Some(i) = find(&self.buf[pos..], b"\r\n") {
                        break pos + i;
                    }
                    self.fill().await?;
                };
                let line = String::from_utf8_lossy(&self.buf[pos..eol]).into_owned();
                let size = usize::from_str_radix(line.split(';').next().unwrap_or("").trim(), 16)
                    .context("chunk size")?;
                let next = eol + 2 + size + 2;
                while self.buf.len() < next {
                    self.fill().await?;
                }
                body.extend_from_slice(&self.buf[eol + 2..eol + 2 + size]);
                pos = next;
                if size == 0 {
                    break;
                }
            }
            body
        } else {
            bail!("an answer without a length: {head}")
        };
        Ok(Resp { status, head, body })
    }
}

fn get_req(addr: SocketAddr, path: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\n\r\n").into_bytes()
}

fn vote_req(addr: SocketAddr, code: &str, poll: PollId, close: bool) -> Vec<u8> {
    let body = format!("code={code}&poll={}&step=cast&choice=yes", poll.0);
    format!(
        "POST /vote HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n{}\r\n{body}",
        body.len(),
        if close { "Connection: close\r\n" } else { "" }
    )
    .into_bytes()
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    /// 200 with the receipt "stored".
    Stored,
    /// 200 with the receipt "your first ballot stands".
    Already,
    /// 200 without a ballot receipt (health check).
    Ok,
    Status(u16),
}

fn classify(r: &Resp) -> Outcome {
    if r.status != 200 {
        return Outcome::Status(r.status);
    }
    let Some(at) = find(&r.body, b"id=\"receipt\"") else {
        return Outcome::Ok;
    };
    let rest = &r.body[at..r.body.len().min(at + 400)];
    if find(rest, "安全保存".as_bytes()).is_some() {
        Outcome::Stored
    } else if find(rest, "第一次".as_bytes()).is_some() {
        Outcome::Already
    } else {
        Outcome::Status(0)
    }
}

#[derive(Default)]
struct Load {
    secs: f64,
    cpu: f64,
    lat_ms: Vec<f64>,
    stored: Vec<usize>,
    already: usize,
    ok: usize,
    other: Vec<(usize, String)>,
    errors: usize,
}

impl Load {
    fn done(&self) -> usize {
        self.lat_ms.len()
    }
}

/// `conns` keep-alive connections send `reqs` (in order, each once, or round and round
/// with `cycle`) until they run out or `limit` has passed.
async fn load(
    addr: SocketAddr,
    conns: usize,
    reqs: Arc<Vec<Vec<u8>>>,
    cycle: bool,
    limit: Duration,
) -> anyhow::Result<Load> {
    let next = Arc::new(AtomicUsize::new(0));
    let cpu = cpu_secs();
    let start = Instant::now();
    let end = start + limit;
    let mut workers = Vec::with_capacity(conns);
    for _ in 0..conns {
        let (reqs, next) = (reqs.clone(), next.clone());
        workers.push(tokio::spawn(async move {
            let mut l = Load::default();
            let mut conn: Option<Conn> = None;
            while Instant::now() < end {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= reqs.len() && !cycle {
                    break;
                }
                let req = &reqs[i % reqs.len()];
                let t = Instant::now();
                let c = match conn.as_mut() {
                    Some(c) => c,
                    None => match Conn::open(addr).await {
                        Ok(c) => conn.insert(c),
                        Err(_) => {
                            l.errors += 1;
                            continue;
                        }
                    },
                };
                match c.exchange(req).await {
                    Ok(r) => {
                        l.lat_ms.push(t.elapsed().as_secs_f64() * 1000.0);
                        match classify(&r) {
                            Outcome::Stored => l.stored.push(i),
                            Outcome::Already => l.already += 1,
                            Outcome::Ok => l.ok += 1,
                            Outcome::Status(s) => {
                                l.other.push((i, format!("{s}")));
                            }
                        }
                    }
                    Err(_) => {
                        l.errors += 1;
                        conn = None;
                    }
                }
            }
            l
        }));
    }
    let mut all = Load::default();
    for w in workers {
        let l = w.await?;
        all.lat_ms.extend(l.lat_ms);
        all.stored.extend(l.stored);
        all.already += l.already;
        all.ok += l.ok;
        all.other.extend(l.other);
        all.errors += l.errors;
    }
    all.secs = start.elapsed().as_secs_f64();
    all.cpu = cpu_secs() - cpu;
    Ok(all)
}

/// Rows of the ballot tables, in all polls or in the given ones.
async fn rows(db: &Db, polls: Option<&[PollId]>) -> anyhow::Result<(i64, i64)> {
    let (mut part, mut ballots) = (0, 0);
    match polls {
        None => {
            part += store::on_db!(db, |p| sqlx::query_scalar::<_, i64>(
                "SELECT COUNT(*) FROM poll_participation"
            )
            .fetch_one(p)
            .await)?;
            ballots += store::on_db!(db, |p| sqlx::query_scalar::<_, i64>(
                "SELECT COUNT(*) FROM poll_ballot"
            )
            .fetch_one(p)
            .await)?;
        }
        Some(ids) => {
            for id in ids {
                part += store::on_db!(db, |p| sqlx::query_scalar::<_, i64>(
                    "SELECT COUNT(*) FROM poll_participation WHERE poll_id = $1"
                )
                .bind(id.0)
                .fetch_one(p)
                .await)?;
                ballots += store::on_db!(db, |p| sqlx::query_scalar::<_, i64>(
                    "SELECT COUNT(*) FROM poll_ballot WHERE poll_id = $1"
                )
                .bind(id.0)
                .fetch_one(p)
                .await)?;
            }
        }
    }
    Ok((part, ballots))
}

/// Wall-clock microseconds: the one clock both processes of step 5 read.
fn now_us() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros() as i64)
        .unwrap_or(0)
}

/// CPU seconds this process has used (user + system), from /proc.
fn cpu_secs() -> f64 {
    let s = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = s.rsplit_once(')').map(|x| x.1).unwrap_or("");
    let f: Vec<f64> = after
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|x| x.parse().ok())
        .collect();
    f.iter().sum::<f64>() / 100.0
}

/// The soft limit on open files, from /proc (no libc needed).
fn open_file_limit() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = s.lines().find(|l| l.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

/// One live-turnout client: connects, and logs (time, voted) for every `board` event
/// until it has seen `until` votes or `give_up` passes.
async fn sse_client(
    addr: SocketAddr,
    req: Arc<Vec<u8>>,
    gate: Arc<tokio::sync::Semaphore>,
    ready: Arc<AtomicUsize>,
    until: u64,
    give_up: Duration,
) -> anyhow::Result<Vec<(i64, u64)>> {
    let permit = gate.acquire_owned().await?;
    let mut s = TcpStream::connect(addr).await?;
    s.write_all(&req).await?;
    let mut log = Vec::new();
    let mut permit = Some(permit);
    let mut raw: Vec<u8> = Vec::with_capacity(2048);
    let mut body: Vec<u8> = Vec::new();
    let mut headers_done = false;
    let deadline = tokio::time::Instant::now() + give_up;
    loop {
        raw.reserve(2048);
        let n = match tokio::time::timeout_at(deadline, s.read_buf(&mut raw)).await {
            Ok(n) => n?,
            Err(_) => return Ok(log),
        };
        ensure!(n > 0, "the event stream ended");
        let now = now_us();
        if !headers_done {
            let Some(i) = find(&raw, b"\r\n\r\n") else {
                continue;
            };
            ensure!(
                raw.starts_with(b"HTTP/1.1 200"),
                "events answered {:?}",
                String::from_utf8_lossy(&raw[..i])
            );
            raw.drain(..i + 4);
            headers_done = true;
        }
        while let Some(eol) = find(&raw, b"\r\n") {
            let size = usize::from_str_radix(String::from_utf8_lossy(&raw[..eol]).trim(), 16)
                .context("chunk size")?;
            if raw.len() < eol + 2 + size + 2 {
                break;
            }
            body.extend_from_slice(&raw[eol + 2..eol + 2 + size]);
            raw.drain(..eol + 2 + size + 2);
        }
        while let Some(end) = find(&body, b"\n\n") {
            let event = String::from_utf8_lossy(&body[..end]).into_owned();
            body.drain(..end + 2);
            if let Some(data) = event.lines().find_map(|l| l.strip_prefix("data:"))
                && let Ok(v) = serde_json::from_str::<serde_json::Value>(data.trim())
                && let Some(voted) = v["voted"].as_u64()
            {
                log.push((now, voted));
                if permit.take().is_some() {
                    ready.fetch_add(1, Ordering::Relaxed);
                }
                if voted >= until {
                    return Ok(log);
                }
            }
        }
    }
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let limit = open_file_limit().unwrap_or(0);
    ensure!(
        limit >= SSE_CLIENTS as u64 + 4096,
        "{SSE_CLIENTS} live clients need more open files than {limit}: raise `ulimit -n`"
    );
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    if args.get(1).map(String::as_str) == Some(CLIENTS_ARG) {
        return rt.block_on(sse_clients(&args[2..]));
    }
    let secs: u64 = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(10);
    let conns: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(128);
    rt.block_on(bench(secs, conns))
}

/// The argument that makes this program the live-turnout clients of step 5.
const CLIENTS_ARG: &str = "--sse-clients";

/// Step 5's clients, in a process of their own (the open-file limit is per process, and
/// 10,000 client ends beside 10,000 server ends would not fit under it): connects them
/// all, says `READY n secs` on stdout, and once every client has seen the last ballot (or
/// given up) prints one line per client, `LOG micros:voted …` or `FAILED`, then `END`.
async fn sse_clients(args: &[String]) -> anyhow::Result<()> {
    use std::io::Write;
    let addr: SocketAddr = args.first().context("address")?.parse()?;
    let poll: i64 = args.get(1).context("poll")?.parse()?;
    let cookie = args.get(2).context("cookie")?;
    let until: u64 = args.get(3).context("ballots")?.parse()?;
    let req = Arc::new(
        format!(
            "GET /polls/{poll}/events HTTP/1.1\r\nHost: {addr}\r\nCookie: jg_session={cookie}\r\nAccept: text/event-stream\r\n\r\n"
        )
        .into_bytes(),
    );
    let gate = Arc::new(tokio::sync::Semaphore::new(100));
    let ready = Arc::new(AtomicUsize::new(0));
    let t = Instant::now();
    let mut clients = Vec::with_capacity(SSE_CLIENTS);
    for _ in 0..SSE_CLIENTS {
        clients.push(tokio::spawn(sse_client(
            addr,
            req.clone(),
            gate.clone(),
            ready.clone(),
            until,
            Duration::from_secs(90),
        )));
    }
    while ready.load(Ordering::Relaxed) < SSE_CLIENTS && t.elapsed() < Duration::from_secs(60) {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "READY {} {:.2}",
        ready.load(Ordering::Relaxed),
        t.elapsed().as_secs_f64()
    )?;
    out.flush()?;
    drop(out);
    let mut text = String::with_capacity(SSE_CLIENTS * 200);
    for c in clients {
        match c.await? {
            Ok(log) => {
                text.push_str("LOG");
                for (at, v) in log {
                    text.push_str(&format!(" {at}:{v}"));
                }
                text.push('\n');
            }
            Err(e) => text.push_str(&format!("FAILED {e}\n")),
        }
    }
    text.push_str("END\n");
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()?;
    Ok(())
}

async fn bench(secs: u64, conns: usize) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let pg = std::env::var("BENCH_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty());
    let opts = |schema: Option<String>| DbOptions {
        max_connections: 8,
        pg_schema: schema,
    };
    let (db, schema) = match &pg {
        Some(url) => {
            // A schema of our own, like the test harness, dropped at the end.
            let schema = format!("jgbench_{}", std::process::id());
            let admin = Db::connect(url, &opts(None)).await?;
            let sql = format!("CREATE SCHEMA {schema}");
            store::on_db!(&admin, |p| sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                .execute(p)
                .await
                .map(|_| ()))?;
            admin.close().await;
            (
                Db::connect(url, &opts(Some(schema.clone()))).await?,
                Some(schema),
            )
        }
        None => (
            Db::connect(
                &format!("sqlite://{}", dir.path().join("bench.db").display()),
                &opts(None),
            )
            .await?,
            None,
        ),
    };
    let result = run(db, secs, conns).await;
    if let (Some(url), Some(schema)) = (&pg, schema) {
        let admin = Db::connect(url, &opts(None)).await?;
        let sql = format!("DROP SCHEMA IF EXISTS {schema} CASCADE");
        store::on_db!(&admin, |p| sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
            .execute(p)
            .await
            .map(|_| ()))?;
        admin.close().await;
    }
    result
}

async fn run(db: Db, secs: u64, conns: usize) -> anyhow::Result<()> {
    let engine = match db.engine() {
        store::Engine::Sqlite => "SQLite",
        store::Engine::Postgres => "PostgreSQL",
    };
    db.migrate().await?;
    let st = Store::new(db, Cipher::new(&Cipher::generate_key()));
    st.check_key().await?;
    println!(
        "engine {engine}; {} cores; {conns} connections, {secs} s per timed step",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(0)
    );

    // The hall: 10,000 delegates, all present, and the polls.
    let t = Instant::now();
    let org = testkit::org(&st).await;
    let school = org.school_a;
    let hall = testkit::hall::hall_in(&st, org, DELEGATES, 0, DELEGATES).await;
    let mut polls = Vec::new();
    for _ in 0..SUSTAINED_POLLS {
        polls.push(testkit::hall::open_motion(&st, &hall, "secret").await);
    }
    let burst_poll = testkit::hall::open_motion(&st, &hall, "secret").await;
    let sse_poll = testkit::hall::open_motion(&st, &hall, "secret").await;
    let hasher = store::auth::PasswordHasher::new(1);
    let sys = SystemCap::for_cli();
    let chair = store::auth::create_account_system(
        &sys,
        &st,
        &testkit::who(),
        &store::auth::NewAccount {
            username: "benchchair".into(),
            display_name: "bench chair".into(),
            member: None,
            password_hash: Some(hasher.hash(PASSWORD).await?),
        },
    )
    .await?;
    store::auth::grant_system(&sys, &st, &testkit::who(), chair, Role::SchoolChair, school).await?;
    println!(
        "set-up: {DELEGATES} delegates with card codes, {} open polls, in {:.1} s",
        SUSTAINED_POLLS + 2,
        t.elapsed().as_secs_f64()
    );

    let state = web::AppState::new(st.clone(), hasher, web::WebConfig::default());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    // Served as `jiaogong serve` serves it: one router shared by all connections.
    tokio::spawn(async move {
        let _ = axum::serve(
            listener,
            web::app(state).into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await;
    });
    let codes: Vec<String> = hall.delegates.iter().map(|d| d.2.clone()).collect();
    let limit = Duration::from_secs(secs);

    // 1. Ceiling.
    let health = Arc::new(vec![get_req(addr, "/healthz")]);
    load(addr, conns, health.clone(), true, Duration::from_secs(1)).await?;
    let ceiling = load(addr, conns, health, true, limit).await?;
    ensure!(ceiling.ok == ceiling.done(), "health check failed");
    let ceiling_rate = ceiling.done() as f64 / ceiling.secs;
    let mut cl = ceiling.lat_ms.clone();
    println!(
        "\n1. ceiling GET /healthz: {} in {:.1} s = {:.0} req/s ({:.0} µs CPU of this process each: server and clients); latency p50 {:.2} ms, p99 {:.2} ms",
        ceiling.done(),
        ceiling.secs,
        ceiling_rate,
        ceiling.cpu * 1e6 / ceiling.done() as f64,
        pct(&mut cl, 50.0),
        pct(&mut cl, 99.0)
    );

    // 2. Sustained ballots: delegate i / polls in poll i % polls.
    let pairs: Vec<(usize, PollId)> = (0..DELEGATES * SUSTAINED_POLLS)
        .map(|i| (i / SUSTAINED_POLLS, polls[i % SUSTAINED_POLLS]))
        .collect();
    let reqs = Arc::new(
        pairs
            .iter()
            .map(|(d, p)| vote_req(addr, &codes[*d], *p, false))
            .collect::<Vec<_>>(),
    );
    let before = rows(&st.db, None).await?;
    let sustained = load(addr, conns, reqs.clone(), false, limit).await?;
    let acked = sustained.stored.len();
    let rate = acked as f64 / sustained.secs;
    let (part, ballots) = rows(&st.db, Some(&polls)).await?;
    let mut sl = sustained.lat_ms.clone();
    println!(
        "\n2. sustained ballots: {acked} stored in {:.1} s = {rate:.0} ballots/s = {:.2} of the ceiling ({:.0} µs CPU of this process each); latency p50 {:.1} ms, p99 {:.1} ms",
        sustained.secs,
        rate / ceiling_rate,
        sustained.cpu * 1e6 / acked.max(1) as f64,
        pct(&mut sl, 50.0),
        pct(&mut sl, 99.0)
    );
    println!(
        "   answers: {} stored, {} already, {} other {:?}, {} connection errors",
        acked,
        sustained.already,
        sustained.other.len(),
        sustained.other.iter().take(3).collect::<Vec<_>>(),
        sustained.errors
    );
    println!(
        "   database: {part} participation rows, {ballots} ballot rows (before: {} / {}); acknowledged {acked}: {}",
        before.0,
        before.1,
        if part == acked as i64 && ballots == acked as i64 {
            "equal"
        } else {
            "MISMATCH"
        }
    );

    // 3. Burst: 2,000 phones within one second, each on its own connection.
    let started = Instant::now() + Duration::from_millis(50);
    let mut tasks = Vec::with_capacity(BURST);
    for (i, code) in codes.iter().take(BURST).enumerate() {
        let req = vote_req(addr, code, burst_poll, true);
        let at = started + Duration::from_secs(1).mul_f64(i as f64 / BURST as f64);
        tasks.push(tokio::spawn(async move {
            tokio::time::sleep_until(at.into()).await;
            let t = Instant::now();
            let r = async {
                let mut c = Conn::open(addr).await?;
                c.exchange(&req).await
            }
            .await;
            (t.elapsed().as_secs_f64() * 1000.0, Instant::now(), r)
        }));
    }
    let mut bl = Vec::with_capacity(BURST);
    let (mut b_stored, mut b_other) = (0, Vec::new());
    let mut last = started;
    for task in tasks {
        let (ms, at, r) = task.await?;
        last = last.max(at);
        match r {
            Ok(r) if classify(&r) == Outcome::Stored => {
                b_stored += 1;
                bl.push(ms);
            }
            Ok(r) => b_other.push(format!("{:?}", classify(&r))),
            Err(e) => b_other.push(e.to_string()),
        }
    }
    let (bpart, bballots) = rows(&st.db, Some(&[burst_poll])).await?;
    println!(
        "\n3. burst: {BURST} phones over 1 s: {b_stored} stored, last answer at {:.2} s; latency p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms; database {bpart} participation / {bballots} ballot rows; failures {} {:?}",
        (last - started).as_secs_f64(),
        pct(&mut bl, 50.0),
        pct(&mut bl, 99.0),
        pct(&mut bl, 100.0),
        b_other.len(),
        b_other.iter().take(3).collect::<Vec<_>>()
    );

    // 4. Replay: 5,000 acknowledged ballots again.
    let mut done = sustained.stored.clone();
    done.sort_unstable();
    ensure!(
        done.len() >= REPLAY,
        "only {} ballots to replay",
        done.len()
    );
    let replay = Arc::new(
        done.iter()
            .take(REPLAY)
            .map(|i| reqs[*i].clone())
            .collect::<Vec<_>>(),
    );
    let before = rows(&st.db, None).await?;
    let r = load(addr, conns, replay, false, Duration::from_secs(60)).await?;
    let after = rows(&st.db, None).await?;
    println!(
        "\n4. replay: {} ballots sent again in {:.2} s ({:.0} µs CPU of this process each): {} stored, {} answered \"first ballot stands\", {} other; rows before {} / {}, after {} / {}",
        r.done(),
        r.secs,
        r.cpu * 1e6 / r.done().max(1) as f64,
        r.stored.len(),
        r.already,
        r.other.len() + r.errors,
        before.0,
        before.1,
        after.0,
        after.1
    );

    // 5. Live turnout: 10,000 event streams on one poll.
    let mut c = Conn::open(addr).await?;
    let body = format!("username=benchchair&password={PASSWORD}&next=%2F");
    let login = c
        .exchange(
            format!(
                "POST /login HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            )
            .as_bytes(),
        )
        .await?;
    ensure!(login.status == 303, "login answered {}", login.status);
    let cookie = login
        .head
        .split("\r\n")
        .filter_map(|l| l.split_once(':'))
        .filter(|(k, _)| k.eq_ignore_ascii_case("set-cookie"))
        .filter_map(|(_, v)| v.trim().strip_prefix("jg_session="))
        .filter_map(|v| v.split(';').next())
        .find(|v| !v.is_empty())
        .context("no session cookie")?
        .to_string();
    let mut child = tokio::process::Command::new(std::env::current_exe()?)
        .args([
            CLIENTS_ARG.to_string(),
            addr.to_string(),
            sse_poll.0.to_string(),
            cookie,
            SSE_BALLOTS.to_string(),
        ])
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()?;
    let mut lines = tokio::io::BufReader::new(child.stdout.take().context("child stdout")?).lines();
    let ready = lines
        .next_line()
        .await?
        .context("the clients said nothing")?;
    let mut words = ready.split_whitespace().skip(1);
    let connected: usize = words.next().and_then(|w| w.parse().ok()).unwrap_or(0);
    let connect_secs: f64 = words
        .next()
        .and_then(|w| w.parse().ok())
        .unwrap_or(f64::NAN);
    tokio::time::sleep(Duration::from_millis(700)).await;
    // Ballots one at a time, at uneven intervals of 100–400 ms.
    let mut sent = Vec::with_capacity(SSE_BALLOTS);
    let mut acks = Vec::with_capacity(SSE_BALLOTS);
    for (k, code) in codes.iter().take(SSE_BALLOTS).enumerate() {
        let t = now_us();
        let r = c.exchange(&vote_req(addr, code, sse_poll, false)).await?;
        ensure!(
            classify(&r) == Outcome::Stored,
            "live ballot {k} not stored"
        );
        sent.push(t);
        acks.push(now_us());
        tokio::time::sleep(Duration::from_millis(100 + (k as u64 * 7919) % 300)).await;
    }
    let mut lag_send = Vec::with_capacity(SSE_CLIENTS * SSE_BALLOTS);
    let mut lag_ack = Vec::with_capacity(SSE_CLIENTS * SSE_BALLOTS);
    let (mut missed, mut failed, mut events) = (0usize, 0usize, 0usize);
    while let Some(line) = lines.next_line().await? {
        if line == "END" {
            break;
        }
        let Some(rest) = line.strip_prefix("LOG") else {
            failed += 1;
            continue;
        };
        let log: Vec<(i64, usize)> = rest
            .split_whitespace()
            .filter_map(|w| w.split_once(':'))
            .filter_map(|(t, v)| Some((t.parse().ok()?, v.parse().ok()?)))
            .collect();
        events += log.len();
        for k in 0..SSE_BALLOTS {
            match log.iter().find(|(_, v)| *v > k) {
                Some((at, _)) => {
                    lag_send.push((at - sent[k]).max(0) as f64 / 1000.0);
                    lag_ack.push((at - acks[k]).max(0) as f64 / 1000.0);
                }
                None => missed += 1,
            }
        }
    }
    child.wait().await?;
    println!(
        "\n5. live turnout: {connected} of {SSE_CLIENTS} event streams connected in {connect_secs:.1} s ({failed} failed); {SSE_BALLOTS} ballots cast one at a time; {events} events received; {} (client, ballot) lags, {missed} never seen",
        lag_send.len()
    );
    println!(
        "   lag from sending the ballot: p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms; from its answer: p50 {:.0} ms, p99 {:.0} ms",
        pct(&mut lag_send, 50.0),
        pct(&mut lag_send, 99.0),
        pct(&mut lag_send, 100.0),
        pct(&mut lag_ack, 50.0),
        pct(&mut lag_ack, 99.0)
    );
    Ok(())
}
