//! Backup and restore of a whole installation, and the fingerprint that tells two databases
//! apart (row count and checksum of every table).
//!
//! Owns: the consistent copy of a live database (SQLite `VACUUM INTO`, a single read
//! transaction, so writes go on while it runs; PostgreSQL `pg_dump`, one repeatable-read
//! snapshot) and its restore into an **empty** database only.
//!
//! Must never: write the encryption key (or anything derived from it other than the
//! `key_check` that is already in the database) into a backup; restore over data (a
//! non-empty target is refused, nothing changed); put a database password on a command line
//! (`pg_dump`/`pg_restore` get it through `PGPASSWORD`).

use crate::db::Pool;
use crate::{Db, Engine, StoreError};
use sha2::{Digest, Sha256};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// What a backup wrote.
#[derive(Clone, Debug)]
pub struct BackupReport {
    pub engine: Engine,
    pub bytes: u64,
    pub tables: usize,
}

/// What a restore brought back.
#[derive(Clone, Debug)]
pub struct RestoreReport {
    pub engine: Engine,
    pub tables: usize,
}

/// One table's fingerprint: name, row count and SHA-256 of its rows in a fixed order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TableSum {
    pub table: String,
    pub rows: i64,
    pub checksum: String,
}

/// The engine a URL names, as [`Db::connect`] decides it.
pub fn engine_of(url: &str) -> Result<Engine, StoreError> {
    if url.starts_with("sqlite:") {
        Ok(Engine::Sqlite)
    } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        Ok(Engine::Postgres)
    } else {
        Err(StoreError::Config(format!(
            "unsupported database URL; use {}",
            crate::db::URL_FORMS
        )))
    }
}

fn sqlite_file(url: &str) -> Result<PathBuf, StoreError> {
    let o = SqliteConnectOptions::from_str(url)
        .map_err(|e| StoreError::Config(format!("{url}: {e}")))?;
    Ok(o.get_filename().to_path_buf())
}

/// Creates `path` empty, readable by its owner only; refuses an existing file.
fn create_private(path: &Path) -> Result<(), StoreError> {
    let mut f = std::fs::OpenOptions::new();
    f.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut f, 0o600);
    match f.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            Err(StoreError::Config(format!(
                "{} already exists; a backup never overwrites a file — choose a new name",
                path.display()
            )))
        }
        Err(e) => Err(StoreError::Config(format!("{}: {e}", path.display()))),
    }
}

/// Copies the database `db` (opened from `url`) into the file `dest`, consistent as of
/// one moment while other connections keep writing.
pub async fn backup(db: &Db, url: &str, dest: &Path) -> Result<BackupReport, StoreError> {
    let tables = table_names(db).await?.len();
    match db.engine() {
        Engine::Sqlite => {
            let Pool::Sqlite(pool) = &db.pool else {
                unreachable!("the engine is SQLite")
            };
            create_private(dest)?;
            let target = dest.to_string_lossy().into_owned();
            // One statement, one read transaction: the copy is the database as of its start,
            // whatever the writers do meanwhile (WAL lets them go on).
            let r = sqlx::query("VACUUM INTO $1")
                .bind(&target)
                .execute(pool)
                .await;
            if let Err(e) = r {
                let _ = std::fs::remove_file(dest);
                return Err(e.into());
            }
        }
        Engine::Postgres => {
            let mut cmd = pg_tool("pg_dump")?;
            create_private(dest)?;
            let (conn, password) = libpq_url(url)?;
            cmd.args(["--format=custom", "--no-owner", "--no-privileges", "--file"])
                .arg(dest)
                .arg(format!("--dbname={conn}"));
            if let Some(pw) = password {
                cmd.env("PGPASSWORD", pw);
            }
            if let Err(e) = run_tool(cmd, "pg_dump").await {
                let _ = std::fs::remove_file(dest);
                return Err(e);
            }
        }
    }
    let bytes = std::fs::metadata(dest)
        .map_err(|e| StoreError::Config(format!("{}: {e}", dest.display())))?
        .len();
    Ok(BackupReport {
        engine: db.engine(),
        bytes,
        tables,
    })
}

/// Restores the backup `src` into the database `url`, which must be empty (no tables; for
/// SQLite a missing file counts as empty). A non-empty target is refused untouched.
pub async fn restore(url: &str, src: &Path) -> Result<RestoreReport, StoreError> {
    if !src.is_file() {
        return Err(StoreError::Config(format!(
            "the backup {} does not exist",
            src.display()
        )));
    }
    match engine_of(url)? {
        Engine::Sqlite => restore_sqlite(url, src).await,
        Engine::Postgres => restore_postgres(url, src).await,
    }
}

fn not_empty(url_shown: &str, n: usize) -> StoreError {
    StoreError::Config(format!(
        "the database {url_shown} is not empty ({n} tables); restore writes only into an empty database. Nothing was changed. Point --database-url at a new database (or move the old one away first)."
    ))
}

/// One connection to an existing SQLite file (never creating one).
async fn open_sqlite_ro(path: &Path) -> Result<sqlx::SqlitePool, StoreError> {
    let o = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(false);
    Ok(SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(o)
        .await?)
}

async fn restore_sqlite(url: &str, src: &Path) -> Result<RestoreReport, StoreError> {
    let target = sqlite_file(url)?;
    if target.exists() && std::fs::metadata(&target).map(|m| m.len()).unwrap_or(0) > 0 {
        let pool = open_sqlite_ro(&target).await?;
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'")
            .fetch_one(&pool)
            .await?;
        pool.close().await;
        if n > 0 {
            return Err(not_empty(&target.display().to_string(), n as usize));
        }
    }
    // The backup must be a sound SQLite file of this application.
    let pool = open_sqlite_ro(src).await.map_err(|e| {
        StoreError::Config(format!(
            "{} is not a SQLite backup of Jiaogong: {e}",
            src.display()
        ))
    })?;
    let check: String = sqlx::query_scalar("PRAGMA quick_check")
        .fetch_one(&pool)
        .await
        .map_err(|e| StoreError::Config(format!("{}: {e}", src.display())))?;
    let ours: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name IN ('_sqlx_migrations', 'meta', 'audit_log')",
    )
    .fetch_one(&pool)
    .await?;
    if check != "ok" || ours != 3 {
        pool.close().await;
        return Err(StoreError::Config(format!(
            "{} is not a sound SQLite backup of Jiaogong (check: {check})",
            src.display()
        )));
    }
    let tables: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'")
        .fetch_one(&pool)
        .await?;
    // An empty target file (and its WAL files) is replaced by the copy.
    for suffix in ["", "-wal", "-shm"] {
        let mut p = target.clone().into_os_string();
        p.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(p));
    }
    if let Some(dir) = target.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| StoreError::Config(format!("{}: {e}", dir.display())))?;
    }
    create_private(&target)?;
    let r = sqlx::query("VACUUM INTO $1")
        .bind(target.to_string_lossy().into_owned())
        .execute(&pool)
        .await;
    pool.close().await;
    if let Err(e) = r {
        let _ = std::fs::remove_file(&target);
        return Err(e.into());
    }
    Ok(RestoreReport {
        engine: Engine::Sqlite,
        tables: tables as usize,
    })
}

async fn restore_postgres(url: &str, src: &Path) -> Result<RestoreReport, StoreError> {
    let db = Db::connect(
        url,
        &crate::DbOptions {
            max_connections: 1,
            pg_schema: None,
        },
    )
    .await?;
    let n = table_names(&db).await?.len();
    db.close().await;
    if n > 0 {
        return Err(not_empty("named by the URL", n));
    }
    let (conn, password) = libpq_url(url)?;
    let mut cmd = pg_tool("pg_restore")?;
    cmd.args([
        "--no-owner",
        "--no-privileges",
        "--single-transaction",
        "--exit-on-error",
    ])
    .arg(format!("--dbname={conn}"))
    .arg(src);
    if let Some(pw) = password {
        cmd.env("PGPASSWORD", pw);
    }
    run_tool(cmd, "pg_restore").await?;
    let db = Db::connect(
        url,
        &crate::DbOptions {
            max_connections: 1,
            pg_schema: None,
        },
    )
    .await?;
    let tables = table_names(&db).await?.len();
    db.close().await;
    Ok(RestoreReport {
        engine: Engine::Postgres,
        tables,
    })
}

/// A PostgreSQL client program from `PATH`, or a message that names the fix.
fn pg_tool(name: &str) -> Result<tokio::process::Command, StoreError> {
    let found = std::env::var_os("PATH").and_then(|p| {
        std::env::split_paths(&p)
            .map(|d| d.join(name))
            .find(|f| f.is_file())
    });
    match found {
        Some(path) => {
            let mut c = tokio::process::Command::new(path);
            c.stdin(std::process::Stdio::null());
            Ok(c)
        }
        None => Err(StoreError::Config(format!(
            "{name} was not found on PATH. A PostgreSQL backup needs the PostgreSQL client programs of the server's major version or newer: install them (Debian: apt install postgresql-client) and run the command again. Nothing was written."
        ))),
    }
}

async fn run_tool(mut cmd: tokio::process::Command, name: &str) -> Result<(), StoreError> {
    let out = cmd
        .output()
        .await
        .map_err(|e| StoreError::Config(format!("{name}: {e}")))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(StoreError::Other(format!(
            "{name} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        )))
    }
}

/// The URL for libpq without its password (returned apart, for `PGPASSWORD`) and without
/// parameters only sqlx knows.
fn libpq_url(url: &str) -> Result<(String, Option<String>), StoreError> {
    let (scheme, rest) = url
        .split_once("://")
        .ok_or_else(|| StoreError::Config("database URL without ://".into()))?;
    let (authority, tail) = match rest.find(['/', '?']) {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    let (userinfo, host) = match authority.rsplit_once('@') {
        Some((u, h)) => (Some(u), h),
        None => (None, authority),
    };
    let (user, password) = match userinfo {
        Some(u) => match u.split_once(':') {
            Some((user, pw)) => (Some(user), Some(percent_decode(pw))),
            None => (Some(u), None),
        },
        None => (None, None),
    };
    let (path, query) = tail.split_once('?').unwrap_or((tail, ""));
    const SQLX_ONLY: [&str; 3] = ["statement-cache-capacity", "ssl-root-cert", "options"];
    let query: Vec<&str> = query
        .split('&')
        .filter(|kv| !kv.is_empty())
        .filter(|kv| !SQLX_ONLY.contains(&kv.split('=').next().unwrap_or("")))
        .collect();
    let mut out = format!("{scheme}://");
    if let Some(u) = user {
        out.push_str(u);
        out.push('@');
    }
    out.push_str(host);
    out.push_str(path);
    if !query.is_empty() {
        out.push('?');
        out.push_str(&query.join("&"));
    }
    Ok((out, password))
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let Ok(hex) = std::str::from_utf8(&b[i + 1..i + 3])
            && let Ok(v) = u8::from_str_radix(hex, 16)
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The application's tables (SQLite's own and none of another schema), sorted.
pub async fn table_names(db: &Db) -> Result<Vec<String>, StoreError> {
    let mut names: Vec<String> = match db.engine() {
        Engine::Sqlite => crate::on_db!(db, |p| sqlx::query_scalar(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
        .fetch_all(p)
        .await)?,
        Engine::Postgres => crate::on_db!(db, |p| {
            sqlx::query_scalar(
                "SELECT table_name::text FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
            )
            .fetch_all(p)
            .await
        })?,
    };
    names.sort();
    Ok(names)
}

/// Row count and checksum of every table: two databases with equal fingerprints hold the
/// same rows. Rows are rendered by the engine (`quote()` per column on SQLite, the row's
/// text form on PostgreSQL), sorted, and hashed, so the row order on disk does not matter.
pub async fn fingerprint(db: &Db) -> Result<Vec<TableSum>, StoreError> {
    let mut out = Vec::new();
    for table in table_names(db).await? {
        if !table.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(StoreError::Other(format!(
                "unexpected table name {table:?}"
            )));
        }
        let sql = match db.engine() {
            Engine::Sqlite => {
                let cols: Vec<String> = crate::on_db!(db, |p| sqlx::query_scalar(
                    "SELECT name FROM pragma_table_info($1) ORDER BY cid"
                )
                .bind(&table)
                .fetch_all(p)
                .await)?;
                let parts: Vec<String> = cols
                    .iter()
                    .map(|c| format!("quote(\"{}\")", c.replace('"', "\"\"")))
                    .collect();
                format!(
                    "SELECT {} FROM \"{table}\"",
                    if parts.is_empty() {
                        "''".to_string()
                    } else {
                        parts.join(" || ',' || ")
                    }
                )
            }
            Engine::Postgres => format!("SELECT t::text FROM \"{table}\" t"),
        };
        let mut rows: Vec<String> =
            crate::on_db!(db, |p| sqlx::query_scalar(sqlx::AssertSqlSafe(sql.clone()))
                .fetch_all(p)
                .await)?;
        rows.sort_unstable();
        let mut h = Sha256::new();
        for r in &rows {
            h.update(r.as_bytes());
            h.update(b"\n");
        }
        out.push(TableSum {
            table,
            rows: rows.len() as i64,
            checksum: hex::encode(h.finalize()),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_leaves_the_url_for_the_environment() {
        let (u, pw) = libpq_url(
            "postgres://jg:s%40cret@db.example:5432/jg?sslmode=require&statement-cache-capacity=10",
        )
        .unwrap();
        assert_eq!(u, "postgres://jg@db.example:5432/jg?sslmode=require");
        assert_eq!(pw.as_deref(), Some("s@cret"));
        let (u, pw) = libpq_url("postgres://postgres@localhost/postgres?host=/tmp/x").unwrap();
        assert_eq!(u, "postgres://postgres@localhost/postgres?host=/tmp/x");
        assert_eq!(pw, None);
    }
}
