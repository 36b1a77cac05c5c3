//! The database handle: one [`Db`] over a SQLite or a PostgreSQL pool, chosen by the URL
//! scheme, with the migrations of both engines and the helpers every repository module uses
//! to run one SQL text on either engine.
//!
//! Why not sqlx's `Any` driver: it cannot decode SQLite booleans nor PostgreSQL dates and
//! timestamps. Instead each query is written once and the [`on_db!`]/[`on_tx!`] macros
//! expand it twice, once per concrete pool, so the compiler checks both.

use crate::StoreError;
use chrono::{DateTime, NaiveDate, SubsecRound, Utc};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, Postgres, Sqlite, SqlitePool, Transaction};
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Which engine a [`Db`] talks to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

#[derive(Clone, Debug)]
pub enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// A database handle. Cheap to clone. Counts the statements it runs, so tests can assert
/// that a page's query count does not grow with the data.
#[derive(Clone, Debug)]
pub struct Db {
    pub pool: Pool,
    queries: Arc<AtomicU64>,
}

/// Tuning that does not belong in the URL.
#[derive(Clone, Debug)]
pub struct DbOptions {
    pub max_connections: u32,
    /// PostgreSQL only: the schema to use (tests get a fresh one each).
    pub pg_schema: Option<String>,
}

impl Default for DbOptions {
    fn default() -> Self {
        Self {
            max_connections: 8,
            pg_schema: None,
        }
    }
}

/// Creates a missing SQLite file readable and writable by its owner only, before SQLite
/// opens it: SQLite gives the WAL and shared-memory files the mode of the database file,
/// so none of the three is readable by other accounts of the machine (like the key file).
fn create_owner_only(path: &std::path::Path) -> Result<(), StoreError> {
    if path.as_os_str().is_empty() || path.as_os_str() == ":memory:" || path.exists() {
        return Ok(());
    }
    let mut file = std::fs::OpenOptions::new();
    file.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut file, 0o600);
    match file.open(path) {
        Ok(_) => Ok(()),
        // Another connection created it first: SQLite opens what is there.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(StoreError::Config(format!("{}: {e}", path.display()))),
    }
}

/// The message for a URL that is neither `sqlite://` nor `postgres://`.
pub const URL_FORMS: &str = "sqlite://<path to file> or postgres://<user>@<host>/<database>";

impl Db {
    /// Opens the database named by `url`. The scheme chooses the engine; anything else is an
    /// error (a typo must never silently create a new, empty SQLite file).
    pub async fn connect(url: &str, opts: &DbOptions) -> Result<Db, StoreError> {
        let pool = if url.starts_with("sqlite:") {
            let o = SqliteConnectOptions::from_str(url)
                .map_err(|e| StoreError::Config(format!("{url}: {e}")))?;
            create_owner_only(o.get_filename())?;
            let o = o
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
                .pragma("temp_store", "memory")
                .pragma("cache_size", "-32000");
            let p = SqlitePoolOptions::new()
                .max_connections(opts.max_connections.max(1))
                .min_connections(1)
                .connect_with(o)
                .await?;
            Pool::Sqlite(p)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let mut o = PgConnectOptions::from_str(url)
                .map_err(|e| StoreError::Config(format!("database URL: {e}")))?
                .application_name("jiaogong");
            if let Some(schema) = &opts.pg_schema {
                o = o.options([("search_path", schema.as_str())]);
            }
            let p = PgPoolOptions::new()
                .max_connections(opts.max_connections.max(1))
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(o)
                .await?;
            Pool::Postgres(p)
        } else {
            return Err(StoreError::Config(format!(
                "unsupported database URL; use {URL_FORMS}"
            )));
        };
        Ok(Db {
            pool,
            queries: Arc::new(AtomicU64::new(0)),
        })
    }

    pub fn engine(&self) -> Engine {
        match self.pool {
            Pool::Sqlite(_) => Engine::Sqlite,
            Pool::Postgres(_) => Engine::Postgres,
        }
    }

    /// Runs the embedded migrations of this engine.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        match &self.pool {
            Pool::Sqlite(p) => sqlx::migrate!("./migrations/sqlite").run(p).await?,
            Pool::Postgres(p) => sqlx::migrate!("./migrations/postgres").run(p).await?,
        }
        // Derived keys that SQL cannot compute (pinyin of names written before 0025).
        crate::org::pinyin::backfill(self).await?;
        Ok(())
    }

    /// Versions and descriptions of the embedded migrations of both engines, for the test
    /// that keeps them in step.
    pub fn migration_lists() -> (Vec<(i64, String)>, Vec<(i64, String)>) {
        let list = |m: sqlx::migrate::Migrator| {
            m.iter()
                .map(|x| (x.version, x.description.to_string()))
                .collect::<Vec<_>>()
        };
        (
            list(sqlx::migrate!("./migrations/sqlite")),
            list(sqlx::migrate!("./migrations/postgres")),
        )
    }

    /// Starts a write transaction. On SQLite it is `BEGIN IMMEDIATE`: a deferred transaction
    /// that reads and then writes fails at once with "database is locked" under load.
    pub async fn begin(&self) -> Result<Tx, StoreError> {
        self.count();
        Ok(match &self.pool {
            Pool::Sqlite(p) => {
                Tx::Sqlite(p.begin_with("BEGIN IMMEDIATE").await?, self.queries.clone())
            }
            Pool::Postgres(p) => Tx::Postgres(p.begin().await?, self.queries.clone()),
        })
    }

    pub async fn close(&self) {
        match &self.pool {
            Pool::Sqlite(p) => p.close().await,
            Pool::Postgres(p) => p.close().await,
        }
    }

    /// Statements run so far through this handle (and its transactions).
    pub fn query_count(&self) -> u64 {
        self.queries.load(Ordering::Relaxed)
    }

    #[doc(hidden)]
    pub fn count(&self) {
        self.queries.fetch_add(1, Ordering::Relaxed);
    }

    /// Checks that the database answers.
    pub async fn ping(&self) -> Result<(), StoreError> {
        crate::on_db!(self, |p| sqlx::query("SELECT 1")
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }
}

/// A write transaction on either engine. Dropping it without [`Tx::commit`] rolls back.
pub enum Tx {
    Sqlite(Transaction<'static, Sqlite>, Arc<AtomicU64>),
    Postgres(Transaction<'static, Postgres>, Arc<AtomicU64>),
}

impl Tx {
    pub async fn commit(self) -> Result<(), StoreError> {
        match self {
            Tx::Sqlite(t, _) => t.commit().await?,
            Tx::Postgres(t, _) => t.commit().await?,
        }
        Ok(())
    }

    pub fn engine(&self) -> Engine {
        match self {
            Tx::Sqlite(..) => Engine::Sqlite,
            Tx::Postgres(..) => Engine::Postgres,
        }
    }

    #[doc(hidden)]
    pub fn count(&self) {
        match self {
            Tx::Sqlite(_, c) | Tx::Postgres(_, c) => c.fetch_add(1, Ordering::Relaxed),
        };
    }
}

/// Takes `n` fresh ids of `table` (an `id` primary key) before inserting, for rows whose
/// encrypted values are bound to their id. PostgreSQL draws them from the column's
/// sequence; SQLite counts on from the largest id, which is safe because a write
/// transaction (`BEGIN IMMEDIATE`) holds the database's write lock until it ends. One query.
pub async fn reserve_ids(tx: &mut Tx, table: &'static str, n: i64) -> Result<Vec<i64>, StoreError> {
    if n <= 0 {
        return Ok(Vec::new());
    }
    match tx.engine() {
        Engine::Postgres => {
            let mut q = Sql::new("SELECT nextval(pg_get_serial_sequence(");
            q.bind(Arg::Text(table.into()))
                .push(", 'id')) FROM generate_series(1, ")
                .bind(Arg::I64(n))
                .push(")");
            let mut ids: Vec<i64> = q
                .fetch_all_tx::<(i64,)>(tx)
                .await?
                .into_iter()
                .map(|(i,)| i)
                .collect();
            ids.sort_unstable();
            Ok(ids)
        }
        Engine::Sqlite => {
            let mut q = Sql::new("SELECT COALESCE(MAX(id), 0) FROM ");
            q.push(table);
            let max: Vec<(i64,)> = q.fetch_all_tx(tx).await?;
            let from = max.first().map_or(0, |(m,)| *m);
            Ok((from + 1..=from + n).collect())
        }
    }
}

/// Runs `body` with `$p` bound to the concrete pool (`&SqlitePool` or `&PgPool`). The body
/// is compiled once per engine. One invocation = one statement (it is counted).
#[macro_export]
macro_rules! on_db {
    ($db:expr, |$p:ident| $body:expr) => {{
        let db: &$crate::Db = $db;
        db.count();
        match &db.pool {
            $crate::db::Pool::Sqlite($p) => $body,
            $crate::db::Pool::Postgres($p) => $body,
        }
    }};
}

/// Like [`on_db!`] inside a transaction: `$c` is `&mut SqliteConnection` or
/// `&mut PgConnection`.
#[macro_export]
macro_rules! on_tx {
    ($tx:expr, |$c:ident| $body:expr) => {{
        let tx: &mut $crate::Tx = $tx;
        tx.count();
        match tx {
            $crate::Tx::Sqlite(t, _) => {
                let $c = &mut **t;
                $body
            }
            $crate::Tx::Postgres(t, _) => {
                let $c = &mut **t;
                $body
            }
        }
    }};
}

/// The current time at the precision both engines store (microseconds), so that a value
/// read back equals the value written.
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

/// A bind value of a dynamically built query.
#[derive(Clone, Debug)]
pub enum Arg {
    I64(i64),
    OptI64(Option<i64>),
    Text(String),
    OptText(Option<String>),
    Date(NaiveDate),
    OptDate(Option<NaiveDate>),
    Bytes(Vec<u8>),
    OptBytes(Option<Vec<u8>>),
    Ts(DateTime<Utc>),
    Bool(bool),
}

/// A query built at run time (filters, multi-row inserts) with `$n` placeholders, which
/// both drivers accept.
#[derive(Clone, Debug, Default)]
pub struct Sql {
    pub text: String,
    pub args: Vec<Arg>,
}

impl Sql {
    pub fn new(text: &str) -> Self {
        Self {
            text: text.to_string(),
            args: Vec::new(),
        }
    }

    /// Appends SQL text. Only `&'static str`: a value typed by a person can never become SQL
    /// by accident; values go through [`Sql::bind`].
    pub fn push(&mut self, s: &'static str) -> &mut Self {
        self.text.push_str(s);
        self
    }

    /// Appends a placeholder for `a`.
    pub fn bind(&mut self, a: Arg) -> &mut Self {
        self.args.push(a);
        self.text.push('$');
        self.text.push_str(&self.args.len().to_string());
        self
    }

    /// Appends `$a, $b, …` for each value. Placeholders must follow the order of binding
    /// (they do, since each `bind` appends its own); see `for_sqlite`.
    pub fn bind_list(&mut self, values: impl IntoIterator<Item = Arg>) -> &mut Self {
        for (i, a) in values.into_iter().enumerate() {
            if i > 0 {
                self.text.push_str(", ");
            }
            self.bind(a);
        }
        self
    }
}

/// Binds every [`Arg`] of a [`Sql`] to a sqlx query of either engine.
#[macro_export]
macro_rules! bind_args {
    ($q:expr, $args:expr) => {{
        let mut q = $q;
        for a in $args {
            q = match a {
                $crate::db::Arg::I64(v) => q.bind(v),
                $crate::db::Arg::OptI64(v) => q.bind(v),
                $crate::db::Arg::Text(v) => q.bind(v),
                $crate::db::Arg::OptText(v) => q.bind(v),
                $crate::db::Arg::Date(v) => q.bind(v),
                $crate::db::Arg::OptDate(v) => q.bind(v),
                $crate::db::Arg::Bytes(v) => q.bind(v),
                $crate::db::Arg::OptBytes(v) => q.bind(v),
                $crate::db::Arg::Ts(v) => q.bind(v),
                $crate::db::Arg::Bool(v) => q.bind(v),
            };
        }
        q
    }};
}

/// SQLite looks a named parameter up by walking a list, so binding `$1…$n` costs O(n²) —
/// seconds for a 6,000-parameter multi-row insert. [`Sql`] binds in textual order, each
/// placeholder once, so for SQLite its `$n` become anonymous `?`, bound positionally.
fn for_sqlite(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '$' && chars.peek().is_some_and(|d| d.is_ascii_digit()) {
            while chars.peek().is_some_and(|d| d.is_ascii_digit()) {
                chars.next();
            }
            out.push('?');
        } else {
            out.push(c);
        }
    }
    out
}

/// Like [`on_db!`], for a [`Sql`] text: the SQLite branch gets anonymous placeholders.
macro_rules! on_db_sql {
    ($db:expr, $text:ident, |$p:ident, $t:ident| $body:expr) => {{
        let db: &Db = $db;
        db.count();
        match &db.pool {
            Pool::Sqlite($p) => {
                let $t = for_sqlite(&$text);
                $body
            }
            Pool::Postgres($p) => {
                let $t = $text;
                $body
            }
        }
    }};
}

macro_rules! on_tx_sql {
    ($tx:expr, $text:ident, |$c:ident, $t:ident| $body:expr) => {{
        let tx: &mut Tx = $tx;
        tx.count();
        match tx {
            Tx::Sqlite(tr, _) => {
                let $c = &mut **tr;
                let $t = for_sqlite(&$text);
                $body
            }
            Tx::Postgres(tr, _) => {
                let $c = &mut **tr;
                let $t = $text;
                $body
            }
        }
    }};
}

impl Sql {
    pub async fn fetch_all<T>(self, db: &Db) -> Result<Vec<T>, StoreError>
    where
        T: for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>
            + for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>
            + Send
            + Unpin,
    {
        let Sql { text, args } = self;
        Ok(on_db_sql!(db, text, |p, t| bind_args!(
            sqlx::query_as::<_, T>(sqlx::AssertSqlSafe(t)),
            args
        )
        .fetch_all(p)
        .await)?)
    }

    pub async fn fetch_scalar_i64(self, db: &Db) -> Result<i64, StoreError> {
        let Sql { text, args } = self;
        Ok(on_db_sql!(db, text, |p, t| bind_args!(
            sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(t)),
            args
        )
        .fetch_one(p)
        .await)?)
    }

    pub async fn execute_tx(self, tx: &mut Tx) -> Result<u64, StoreError> {
        let Sql { text, args } = self;
        let n = on_tx_sql!(tx, text, |c, t| bind_args!(
            sqlx::query(sqlx::AssertSqlSafe(t)),
            args
        )
        .execute(&mut *c)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(n)
    }

    pub async fn fetch_all_tx<T>(self, tx: &mut Tx) -> Result<Vec<T>, StoreError>
    where
        T: for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>
            + for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>
            + Send
            + Unpin,
    {
        let Sql { text, args } = self;
        Ok(on_tx_sql!(tx, text, |c, t| bind_args!(
            sqlx::query_as::<_, T>(sqlx::AssertSqlSafe(t)),
            args
        )
        .fetch_all(&mut *c)
        .await)?)
    }

    /// The one row the query finds, or [`StoreError::NotFound`]: a row out of the reader's
    /// scope is filtered in SQL, so it answers exactly like a missing one. The query is
    /// expected to select by key (at most one row).
    pub async fn fetch_one<T>(self, db: &Db) -> Result<T, StoreError>
    where
        T: for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>
            + for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>
            + Send
            + Unpin,
    {
        let rows: Vec<T> = self.fetch_all(db).await?;
        rows.into_iter().next().ok_or(StoreError::NotFound)
    }

    /// [`Sql::fetch_one`] inside a transaction.
    pub async fn fetch_one_tx<T>(self, tx: &mut Tx) -> Result<T, StoreError>
    where
        T: for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>
            + for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>
            + Send
            + Unpin,
    {
        let rows: Vec<T> = self.fetch_all_tx(tx).await?;
        rows.into_iter().next().ok_or(StoreError::NotFound)
    }
}

/// Maps a unique-constraint violation to a field error, other errors to themselves.
pub fn unique_as(field: &'static str, key: &'static str) -> impl Fn(sqlx::Error) -> StoreError {
    move |e| {
        if is_unique_violation(&e) {
            StoreError::field(field, key)
        } else {
            e.into()
        }
    }
}

/// Is this error a unique-constraint violation (on either engine)?
pub fn is_unique_violation(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Database(d) => d.is_unique_violation(),
        _ => false,
    }
}
