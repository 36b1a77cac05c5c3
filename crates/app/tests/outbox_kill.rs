//! The outbox survives `kill -9` of the server: jobs are delivered by `jiaogong serve`'s
//! worker to a local webhook receiver; the server is killed with SIGKILL in the middle of
//! the burst and started again; every job then arrives, and a job arrives twice only if it
//! was in flight at the kill (the receiver sees the same `Idempotency-Key` and can drop it).
//! SQLite: the file is shared by the two server processes in turn. PostgreSQL: two servers
//! share the queue at once (`FOR UPDATE SKIP LOCKED`); one is killed and the other delivers
//! the rest, including the jobs the dead one had taken once its lease runs out. Without
//! PostgreSQL that half says SKIPPED (and fails under `JIAOGONG_REQUIRE_PG=1`).

#![cfg(unix)]

use std::collections::HashMap;
use std::path::Path;
use std::process::{Child, Command};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

type Seen = Arc<Mutex<HashMap<String, u32>>>;

fn serve(dir: &Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_jiaogong"))
        .args(["serve"])
        .current_dir(dir)
        .env("JIAOGONG_DATA_DIR", dir.join("data"))
        .env("JIAOGONG_BIND", "127.0.0.1:0")
        .env("JIAOGONG_LOG", "warn")
        .env("JIAOGONG_OUTBOX_LEASE_SECONDS", "2")
        .env_remove("JIAOGONG_KEY")
        .env_remove("JIAOGONG_DATABASE_URL")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("start jiaogong serve: {e}"))
}

/// This test's jobs not yet delivered (the demo's own reminders are not part of it).
async fn left(db: &store::Db) -> i64 {
    store::on_db!(db, |p| sqlx::query_scalar(
        "SELECT COUNT(*) FROM job WHERE status <> 'done' AND idempotency_key LIKE 'kill-%'"
    )
    .fetch_one(p)
    .await)
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_killed_mid_delivery_loses_nothing_and_repeats_only_what_was_in_flight() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // A database and its key, as an installation has them.
    let o = Command::new(env!("CARGO_BIN_EXE_jiaogong"))
        .args(["demo", "--members", "60", "--seed", "3"])
        .current_dir(d)
        .env("JIAOGONG_DATA_DIR", d.join("data"))
        .env("JIAOGONG_LOG", "warn")
        .env_remove("JIAOGONG_KEY")
        .env_remove("JIAOGONG_DATABASE_URL")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));

    // The receiver: counts each idempotency key, answers slowly enough that a burst is
    // still running when the server is killed.
    let seen: Seen = Arc::default();
    let app = axum::Router::new()
        .route(
            "/hook",
            axum::routing::post(
                |axum::extract::State(seen): axum::extract::State<Seen>,
                 h: axum::http::HeaderMap| async move {
                    tokio::time::sleep(Duration::from_millis(5)).await;
                    let k = h
                        .get("idempotency-key")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default()
                        .to_string();
                    *seen.lock().unwrap().entry(k).or_insert(0) += 1;
                    "ok"
                },
            ),
        )
        .with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hook = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let db = store::Db::connect(
        &format!("sqlite://{}", d.join("data/jiaogong.db").display()),
        &store::DbOptions {
            max_connections: 2,
            pg_schema: None,
        },
    )
    .await
    .unwrap();
    const N: usize = 2000;
    let now = store::now();
    let jobs: Vec<store::outbox::NewJob> = (0..N)
        .map(|i| store::outbox::NewJob {
            channel: domain::outbox::Channel::Webhook,
            idempotency_key: format!("kill-{i}"),
            org_unit: None,
            account: None,
            payload: serde_json::json!({"url": hook, "body": {"n": i}}).to_string(),
            run_at: now,
            max_attempts: 8,
        })
        .collect();
    let mut tx = db.begin().await.unwrap();
    store::outbox::enqueue(&mut tx, &jobs, now).await.unwrap();
    tx.commit().await.unwrap();

    let mut server = serve(d);
    let t = Instant::now();
    while seen.lock().unwrap().len() < N / 4 {
        assert!(
            t.elapsed() < Duration::from_secs(120),
            "the first server delivered only {}",
            seen.lock().unwrap().len()
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    server.kill().unwrap(); // SIGKILL
    server.wait().unwrap();
    let at_kill = seen.lock().unwrap().len();
    assert!(at_kill < N, "killed in the middle of the burst");

    let mut server = serve(d);
    let t = Instant::now();
    while left(&db).await > 0 {
        assert!(
            t.elapsed() < Duration::from_secs(180),
            "{} jobs never finished",
            left(&db).await
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    server.kill().unwrap();
    server.wait().unwrap();
    let seen = seen.lock().unwrap().clone();
    let missing = (0..N)
        .filter(|i| !seen.contains_key(&format!("kill-{i}")))
        .count();
    let twice = seen.values().filter(|v| **v > 1).count();
    assert_eq!(missing, 0, "nothing is lost");
    // Only jobs taken by the killed server can repeat: at most one batch (256) in flight.
    assert!(twice <= 256, "{twice} delivered twice");
    eprintln!("kill -9 after {at_kill} of {N}: missing 0, delivered twice {twice}");
}

// ------------------------------------------------------------------ PostgreSQL

const BIN: &str = env!("CARGO_BIN_EXE_jiaogong");

/// The local receiver: counts each idempotency key, answering after `delay`.
async fn receiver(delay: Duration) -> (String, Seen) {
    let seen: Seen = Arc::default();
    let app = axum::Router::new()
        .route(
            "/hook",
            axum::routing::post(
                |axum::extract::State((seen, delay)): axum::extract::State<(Seen, Duration)>,
                 h: axum::http::HeaderMap| async move {
                    tokio::time::sleep(delay).await;
                    let k = h
                        .get("idempotency-key")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default()
                        .to_string();
                    *seen.lock().unwrap().entry(k).or_insert(0) += 1;
                    "ok"
                },
            ),
        )
        .with_state((seen.clone(), delay));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hook = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (hook, seen)
}

async fn connect(url: &str) -> store::Db {
    store::Db::connect(
        url,
        &store::DbOptions {
            max_connections: 2,
            pg_schema: None,
        },
    )
    .await
    .unwrap()
}

async fn exec(db: &store::Db, sql: String) {
    store::on_db!(db, |p| sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
        .execute(p)
        .await
        .map(|_| ()))
    .unwrap();
}

/// The URL of database `name` on the server of `server` (a URL of its `postgres` database).
fn database_url(server: &str, name: &str) -> String {
    let (base, query) = server.split_once('?').unwrap_or((server, ""));
    let (host, _) = base.rsplit_once('/').unwrap();
    if query.is_empty() {
        format!("{host}/{name}")
    } else {
        format!("{host}/{name}?{query}")
    }
}

/// `jiaogong serve` on the PostgreSQL database `url`, its key from the environment (as a
/// deployment of several processes has it); returns once it listens.
async fn serve_pg(dir: &Path, url: &str, key: &str) -> Child {
    use std::io::BufRead;
    let mut c = Command::new(BIN)
        .args(["serve"])
        .current_dir(dir)
        .env("JIAOGONG_DATA_DIR", dir)
        .env("JIAOGONG_DATABASE_URL", url)
        .env("JIAOGONG_KEY", key)
        .env("JIAOGONG_BIND", "127.0.0.1:0")
        .env("JIAOGONG_LOG", "warn")
        .env("JIAOGONG_OUTBOX_LEASE_SECONDS", "2")
        .env_remove("JIAOGONG_KEY_FILE")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("start jiaogong serve: {e}"));
    let out = c.stdout.take().unwrap();
    let up = tokio::task::spawn_blocking(move || {
        let mut lines = std::io::BufReader::new(out).lines();
        let up = lines
            .by_ref()
            .map_while(Result::ok)
            .any(|l| l.contains("is running at"));
        // Keep draining, so that the server never blocks on a full pipe.
        std::thread::spawn(move || lines.for_each(drop));
        up
    });
    let up = tokio::time::timeout(Duration::from_secs(120), up)
        .await
        .expect("the server started within 2 minutes")
        .unwrap();
    assert!(up, "jiaogong serve stopped before listening");
    c
}

/// Which processes hold jobs of this test right now (`locked_by` names the worker by pid).
async fn holders(db: &store::Db) -> Vec<String> {
    store::on_db!(db, |p| sqlx::query_scalar(
        "SELECT DISTINCT locked_by FROM job WHERE status = 'running' AND idempotency_key LIKE 'kill-%' AND locked_by IS NOT NULL ORDER BY locked_by"
    )
    .fetch_all(p)
    .await)
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_on_postgresql_share_the_queue_and_when_one_is_killed_the_other_delivers_everything()
 {
    let server = match tokio::task::spawn_blocking(testkit::pg_server)
        .await
        .unwrap()
    {
        Ok(url) => url,
        Err(why) => {
            assert!(
                !testkit::pg_required(),
                "JIAOGONG_REQUIRE_PG=1 but there is no PostgreSQL: {why}"
            );
            testkit::pg_cluster::not_run("PostgreSQL kill -9 of one of two servers", &why);
            return;
        }
    };
    let name = format!(
        "outbox_kill_{}_{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos()
    );
    let admin = connect(&server).await;
    exec(&admin, format!("CREATE DATABASE {name}")).await;
    let url = database_url(&server, &name);
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let key = store::Cipher::encode_key(&store::Cipher::generate_key());
    // The installation: the demo district in the database, the key only in the environment.
    let o = Command::new(BIN)
        .args(["demo", "--members", "60", "--seed", "3"])
        .current_dir(d)
        .env("JIAOGONG_DATA_DIR", d)
        .env("JIAOGONG_DATABASE_URL", &url)
        .env("JIAOGONG_KEY", &key)
        .env("JIAOGONG_LOG", "warn")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));

    // Two servers, both up before the burst is queued, so that both take part.
    let mut a = serve_pg(d, &url, &key).await;
    let mut b = serve_pg(d, &url, &key).await;
    let (hook, seen) = receiver(Duration::from_millis(5)).await;
    let db = connect(&url).await;
    const N: usize = 2000;
    let now = store::now();
    let jobs: Vec<store::outbox::NewJob> = (0..N)
        .map(|i| store::outbox::NewJob {
            channel: domain::outbox::Channel::Webhook,
            idempotency_key: format!("kill-{i}"),
            org_unit: None,
            account: None,
            payload: serde_json::json!({"url": hook, "body": {"n": i}}).to_string(),
            run_at: now,
            max_attempts: 8,
        })
        .collect();
    let mut tx = db.begin().await.unwrap();
    store::outbox::enqueue(&mut tx, &jobs, now).await.unwrap();
    tx.commit().await.unwrap();

    // Both servers hold jobs at the same time (SKIP LOCKED: neither waits for the other),
    // and a quarter has arrived: kill the first.
    let (wa, wb) = (format!("worker-{}", a.id()), format!("worker-{}", b.id()));
    let mut seen_holders = std::collections::BTreeSet::new();
    let t = Instant::now();
    loop {
        seen_holders.extend(holders(&db).await);
        let got = seen.lock().unwrap().len();
        if got >= N / 4 && seen_holders.contains(&wa) && seen_holders.contains(&wb) {
            break;
        }
        assert!(
            got < N,
            "all {N} were delivered before both servers were seen holding jobs: {seen_holders:?} (expected {wa} and {wb})"
        );
        assert!(
            t.elapsed() < Duration::from_secs(120),
            "only {got} delivered"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    a.kill().unwrap(); // SIGKILL
    a.wait().unwrap();
    let at_kill = seen.lock().unwrap().len();
    assert!(at_kill < N, "killed in the middle of the burst");

    // The other server alone finishes, taking the dead one's jobs when their lease ends.
    let t = Instant::now();
    while left(&db).await > 0 {
        assert!(
            t.elapsed() < Duration::from_secs(180),
            "{} jobs never finished",
            left(&db).await
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    b.kill().unwrap();
    b.wait().unwrap();
    let seen = seen.lock().unwrap().clone();
    let missing = (0..N)
        .filter(|i| !seen.contains_key(&format!("kill-{i}")))
        .count();
    let twice = seen.values().filter(|v| **v > 1).count();
    assert_eq!(missing, 0, "nothing is lost");
    // Only the killed server's batch in flight can repeat (serve takes 64 at a time).
    assert!(twice <= 64, "{twice} delivered twice");
    eprintln!(
        "PostgreSQL, two servers: kill -9 of one after {at_kill} of {N}: missing 0, delivered twice {twice}"
    );
    db.close().await;
    exec(
        &admin,
        format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
    )
    .await;
    admin.close().await;
}
