//! Test support: a fresh database per test on each engine, fixtures, and an in-process
//! HTTP client for the web layer.
//!
//! Every store and HTTP test is written once with [`dual_test!`] and runs twice: on SQLite
//! (a temporary file) and on PostgreSQL (a fresh schema in the database named by
//! `TEST_DATABASE_URL`, or else in a throwaway cluster that the test process starts itself
//! wherever the `postgresql` package is installed — see [`pg_cluster`]). Where there is no
//! PostgreSQL at all the half says so on stderr (not hidden by the harness) and passes, and
//! the process ends with a count of the halves that did not run; with `JIAOGONG_REQUIRE_PG=1`
//! (set by CI) a missing PostgreSQL fails the test.

pub mod app;
pub mod browser;
pub mod fixtures;
pub mod hall;
pub mod pg_cluster;
pub mod roster;

use std::sync::atomic::{AtomicU64, Ordering};
use store::{Cipher, Db, DbOptions, Engine, Store};

pub use fixtures::*;

/// The key of every test database.
pub const TEST_KEY: [u8; 32] = [42u8; 32];

/// A migrated, empty database that disappears with the value.
pub struct TestDb {
    pub store: Store,
    pub engine: Engine,
    /// The SQLite file (for tests that read the raw file).
    pub sqlite_path: Option<std::path::PathBuf>,
    _dir: Option<tempfile::TempDir>,
    pg_schema: Option<(String, String)>,
}

impl TestDb {
    pub fn db(&self) -> &Db {
        &self.store.db
    }

    /// What an attacker holding the SQLite files reads: the main file after a checkpoint,
    /// then whatever the WAL still holds. Panics on PostgreSQL: a raw-file test is SQLite's.
    pub async fn raw_sqlite_bytes(&self) -> Vec<u8> {
        store::on_db!(self.db(), |p| sqlx::query(
            "PRAGMA wal_checkpoint(TRUNCATE)"
        )
        .execute(p)
        .await
        .map(|_| ()))
        .expect("checkpoint");
        let path = self.sqlite_path.clone().expect("a SQLite test database");
        let mut bytes = std::fs::read(&path).expect("the SQLite file");
        if let Ok(wal) = std::fs::read(path.with_extension("db-wal")) {
            bytes.extend(wal);
        }
        bytes
    }

    /// How another process reaches this database: the URL and, on PostgreSQL, the schema.
    pub fn address(&self) -> (String, Option<String>) {
        match (&self.sqlite_path, &self.pg_schema) {
            (Some(p), _) => (format!("sqlite://{}", p.display()), None),
            (None, Some((url, schema))) => (url.clone(), Some(schema.clone())),
            (None, None) => (String::new(), None),
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((url, schema)) = self.pg_schema.take() {
            // Drop the schema on a thread of its own: Drop cannot await, and the test's
            // runtime may be shutting down.
            let _ = std::thread::spawn(move || {
                if let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    rt.block_on(async {
                        if let Ok(db) = Db::connect(
                            &url,
                            &DbOptions {
                                max_connections: 1,
                                pg_schema: None,
                            },
                        )
                        .await
                        {
                            let sql = format!("DROP SCHEMA IF EXISTS {schema} CASCADE");
                            let _ = store::on_db!(&db, |p| sqlx::query(sqlx::AssertSqlSafe(
                                sql.clone()
                            ))
                            .execute(p)
                            .await
                            .map(|_| ()));
                            db.close().await;
                        }
                    });
                }
            })
            .join();
        }
    }
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

fn unique_suffix() -> String {
    format!(
        "{}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed),
        rand::random::<u32>()
    )
}

/// A fresh SQLite database in a temporary directory.
pub async fn sqlite() -> TestDb {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("temp dir: {e}"));
    let path = dir.path().join("test.db");
    let url = format!("sqlite://{}", path.display());
    let db = Db::connect(
        &url,
        &DbOptions {
            max_connections: 4,
            pg_schema: None,
        },
    )
    .await
    .unwrap_or_else(|e| panic!("sqlite connect: {e}"));
    db.migrate()
        .await
        .unwrap_or_else(|e| panic!("sqlite migrate: {e}"));
    let store = Store::new(db, Cipher::new(&TEST_KEY));
    store
        .check_key()
        .await
        .unwrap_or_else(|e| panic!("key: {e}"));
    TestDb {
        store,
        engine: Engine::Sqlite,
        sqlite_path: Some(path),
        _dir: Some(dir),
        pg_schema: None,
    }
}

/// Is PostgreSQL required (CI)?
pub fn pg_required() -> bool {
    std::env::var("JIAOGONG_REQUIRE_PG").is_ok_and(|v| v == "1")
}

/// The PostgreSQL URL that `TEST_DATABASE_URL` names, if it is set.
pub fn pg_url() -> Option<String> {
    std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty())
}

/// Where the PostgreSQL halves run: `TEST_DATABASE_URL`, else a throwaway cluster of this
/// test process (see [`pg_cluster`]); `Err` says why neither exists.
pub fn pg_server() -> Result<String, String> {
    match pg_url() {
        Some(url) => Ok(url),
        None => pg_cluster::throwaway_url(),
    }
}

/// A fresh PostgreSQL schema, or `None` (with a visible notice) when there is no PostgreSQL.
pub async fn postgres() -> Option<TestDb> {
    let url = match tokio::task::spawn_blocking(pg_server).await {
        Ok(Ok(url)) => url,
        Ok(Err(why)) => {
            if pg_required() {
                panic!("JIAOGONG_REQUIRE_PG=1 but there is no PostgreSQL: {why}");
            }
            pg_cluster::not_run(
                "PostgreSQL half",
                &format!("{why}; install the postgresql package or set TEST_DATABASE_URL"),
            );
            return None;
        }
        Err(e) => panic!("starting PostgreSQL: {e}"),
    };
    let schema = format!("jgtest_{}", unique_suffix());
    let admin = match Db::connect(
        &url,
        &DbOptions {
            max_connections: 1,
            pg_schema: None,
        },
    )
    .await
    {
        Ok(db) => db,
        Err(e) => {
            if pg_required() {
                panic!("PostgreSQL at TEST_DATABASE_URL is not reachable: {e}");
            }
            pg_cluster::not_run("PostgreSQL half", &format!("{e}"));
            return None;
        }
    };
    let create = format!("CREATE SCHEMA {schema}");
    store::on_db!(&admin, |p| sqlx::query(sqlx::AssertSqlSafe(create.clone()))
        .execute(p)
        .await
        .map(|_| ()))
    .unwrap_or_else(|e| panic!("create schema: {e}"));
    admin.close().await;
    let db = Db::connect(
        &url,
        &DbOptions {
            max_connections: 4,
            pg_schema: Some(schema.clone()),
        },
    )
    .await
    .unwrap_or_else(|e| panic!("postgres connect: {e}"));
    db.migrate()
        .await
        .unwrap_or_else(|e| panic!("postgres migrate: {e}"));
    let store = Store::new(db, Cipher::new(&TEST_KEY));
    store
        .check_key()
        .await
        .unwrap_or_else(|e| panic!("key: {e}"));
    Some(TestDb {
        store,
        engine: Engine::Postgres,
        sqlite_path: None,
        _dir: None,
        pg_schema: Some((url, schema)),
    })
}

/// Writes a test once and runs it on both engines: `name::sqlite` and `name::postgres`.
///
/// ```ignore
/// dual_test!(async fn members_are_found_by_id_tail(t) { ... });
/// ```
#[macro_export]
macro_rules! dual_test {
    ($(#[$m:meta])* async fn $name:ident($t:ident) $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            $(#[$m])*
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let $t = $crate::sqlite().await;
                $body
            }
            $(#[$m])*
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let Some($t) = $crate::postgres().await else { return };
                $body
            }
        }
    };
}
