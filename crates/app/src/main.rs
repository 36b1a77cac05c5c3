//! The `jiaogong` binary: command line, configuration, start-up checks, the server and its
//! background jobs. `anyhow` lives here only.

mod config;
mod jobs;

// glibc's allocator was a fifth of an import's time (many small allocations per bound value).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use config::{Config, Overrides};
use domain::auth::{Role, SystemCap, perm, system_cap};
use domain::ids::AccountId;
use std::path::PathBuf;
use std::sync::Arc;
use store::audit::Who;
use store::auth::PasswordHasher;
use store::{Cipher, Db, DbOptions, Store};

#[derive(Parser)]
#[command(
    name = "jiaogong",
    version,
    about = "教工 Jiaogong — the work platform of an education union"
)]
struct Cli {
    /// Configuration file (default: ./jiaogong.toml when present).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the web server.
    Serve {
        /// Load a demo district into an empty database and print the demo logins.
        #[arg(long)]
        demo: bool,
        #[arg(long)]
        bind: Option<String>,
        #[arg(long)]
        data_dir: Option<PathBuf>,
        #[arg(long)]
        database_url: Option<String>,
    },
    /// Apply the database migrations and exit.
    Migrate {
        #[arg(long)]
        database_url: Option<String>,
    },
    /// Load generated demo data into an empty database.
    Demo {
        #[arg(long, default_value_t = 4000)]
        members: usize,
        #[arg(long, default_value_t = 2026)]
        seed: u64,
        #[arg(long)]
        database_url: Option<String>,
    },
    /// Import a roster (.xlsx, .xls, .csv) into a school union (or any unit) by its code.
    Import {
        file: PathBuf,
        #[arg(long)]
        school: String,
        /// dry-run, all (all-or-nothing) or valid (valid rows only).
        #[arg(long, default_value = "dry-run")]
        mode: String,
        /// Answers to the import's questions, remembered for the unit: `post=宿管员:worker`
        /// (the field, the value as written, and a code or label of the field's list).
        #[arg(long = "map", value_name = "FIELD=FROM:TO")]
        map: Vec<String>,
        #[arg(long)]
        database_url: Option<String>,
    },
    /// Export members to .xlsx (masked unless --full with a --purpose).
    Export {
        #[arg(long, default_value = "members.xlsx")]
        out: PathBuf,
        /// Limit to the unit with this code.
        #[arg(long)]
        unit: Option<String>,
        #[arg(long)]
        full: bool,
        #[arg(long)]
        purpose: Option<String>,
        #[arg(long)]
        database_url: Option<String>,
    },
    /// Accounts.
    User {
        #[command(subcommand)]
        action: UserAction,
    },
    /// Ask a running server whether it is healthy (exit code 0 or 1).
    Healthcheck {
        #[arg(long)]
        url: Option<String>,
    },
    /// Print the effective configuration, secrets redacted.
    CheckConfig,
    /// The audit log.
    Audit {
        #[command(subcommand)]
        action: AuditAction,
    },
    /// Encryption keys.
    Key {
        #[command(subcommand)]
        action: KeyAction,
    },
    /// Copy the whole database into FILE, consistent while the server keeps running
    /// (SQLite: `VACUUM INTO`; PostgreSQL: `pg_dump`). The encryption key is not in it.
    Backup {
        file: PathBuf,
        #[arg(long)]
        database_url: Option<String>,
    },
    /// Restore a backup made by `backup` into an EMPTY database (a non-empty one is refused).
    Restore {
        file: PathBuf,
        #[arg(long)]
        database_url: Option<String>,
    },
    /// Union money (the funds area).
    Funds {
        #[command(subcommand)]
        action: FundsAction,
    },
}

#[derive(Subcommand)]
enum FundsAction {
    /// Recompute every month's dues and union-fund levy from its base under the rule-set
    /// version it recorded; exit code 1 when a stored due, kept or remitted amount differs
    /// (or more was paid than due).
    Verify,
}

#[derive(Subcommand)]
enum UserAction {
    /// Create an account and print a one-time link to set its password.
    Add {
        username: String,
        #[arg(long)]
        display_name: Option<String>,
        /// Platform administrator of the whole installation.
        #[arg(long)]
        admin: bool,
        /// A role (union_staff, school_chair, …) at --unit.
        #[arg(long)]
        role: Option<String>,
        #[arg(long)]
        unit: Option<String>,
    },
    /// Print a one-time link that lets the account set a new password.
    ResetPassword { username: String },
}

#[derive(Subcommand)]
enum AuditAction {
    /// Recompute the hash chain and check the head against its MAC and against the anchor
    /// kept outside the database; exit code 1 when a record was removed or altered. When
    /// intact, the anchor is moved to the current head.
    Verify {
        /// The anchor file; default `audit.anchor` beside the key file.
        #[arg(long)]
        anchor: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum KeyAction {
    /// Write a new random key file (refuses to overwrite).
    Generate { file: PathBuf },
    /// Re-encrypt everything under a new key; then replace the key file with the new one.
    Rotate {
        #[arg(long)]
        new_key_file: PathBuf,
    },
}

/// Start-up and command errors reach a person as one line with its causes, never a
/// backtrace, whatever `RUST_BACKTRACE` says (anyhow's `Debug` form would print one).
fn main() -> std::process::ExitCode {
    match run_cli() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run_cli() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let overrides = match &cli.command {
        Command::Serve {
            bind,
            data_dir,
            database_url,
            ..
        } => Overrides {
            bind: bind.clone(),
            data_dir: data_dir.clone(),
            database_url: database_url.clone(),
        },
        Command::Migrate { database_url }
        | Command::Demo { database_url, .. }
        | Command::Import { database_url, .. }
        | Command::Export { database_url, .. }
        | Command::Backup { database_url, .. }
        | Command::Restore { database_url, .. } => Overrides {
            database_url: database_url.clone(),
            ..Default::default()
        },
        _ => Overrides::default(),
    };
    let cfg = Config::load(cli.config.as_deref(), &overrides)?;
    // `log = "json"` is short for `log_format = "json"` at level info.
    let json = match (cfg.log_format.as_str(), cfg.log.as_str()) {
        (_, "json") | ("json", _) => true,
        ("text", _) => false,
        (other, _) => bail!("log_format must be text or json (not {other:?})"),
    };
    let filter = if cfg.log == "json" { "info" } else { &cfg.log };
    let filter = tracing_subscriber::EnvFilter::try_new(filter).unwrap_or_else(|_| "info".into());
    if json {
        // One JSON object per line: time, level, message and the fields (request id,
        // method, path, status, ms) at the top level, for a log collector.
        tracing_subscriber::fmt()
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .with_span_list(false)
            .with_env_filter(filter)
            .with_target(false)
            .init();
    } else {
        tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_target(false)
            // Colour codes only for a terminal: piped into a file or a journal they are noise.
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
            .init();
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(run(cli.command, cfg))
}

async fn run(command: Command, cfg: Config) -> anyhow::Result<()> {
    match command {
        Command::CheckConfig => {
            print!("{}", cfg.redacted());
            // What `serve` would refuse at start is refused here, with the setting named.
            cfg.smtp()
                .context("the e-mail (SMTP) settings are not usable")?;
            Ok(())
        }
        Command::Healthcheck { url } => {
            healthcheck(url.unwrap_or_else(|| format!("http://{}/healthz", cfg.bind))).await
        }
        Command::Key {
            action: KeyAction::Generate { file },
        } => {
            Cipher::create_key_file(&file)?;
            println!(
                "wrote a new key to {}; keep a copy somewhere safe",
                file.display()
            );
            Ok(())
        }
        Command::Migrate { .. } => {
            let db = open_db(&cfg).await?;
            db.migrate().await?;
            println!(
                "migrations applied to {}",
                config::redact_url(&cfg.database_url())
            );
            Ok(())
        }
        Command::Serve { demo, .. } => serve(cfg, demo).await,
        Command::Demo { members, seed, .. } => {
            let st = open_store(&cfg, true).await?;
            let hasher = PasswordHasher::for_this_machine();
            let started = std::time::Instant::now();
            let s = load_demo(&st, &hasher, members, seed).await?;
            println!(
                "loaded {}: {} areas, {} school unions, {} members in {:.1} s",
                s.union_name,
                s.areas,
                s.schools,
                s.members,
                started.elapsed().as_secs_f64()
            );
            print_logins(&cfg, &s);
            Ok(())
        }
        Command::Import {
            file,
            school,
            mode,
            map,
            ..
        } => import(cfg, file, school, mode, map).await,
        Command::Export {
            out,
            unit,
            full,
            purpose,
            ..
        } => export(cfg, out, unit, full, purpose).await,
        Command::User { action } => user(cfg, action).await,
        Command::Backup { file, .. } => backup(cfg, file).await,
        Command::Restore { file, .. } => restore(cfg, file).await,
        Command::Audit {
            action: AuditAction::Verify { anchor },
        } => {
            let st = open_store(&cfg, false).await?;
            let path = anchor.unwrap_or_else(|| anchor_path(&cfg));
            let kept = match std::fs::read_to_string(&path) {
                Ok(text) => Some(domain::audit::Anchor::parse(&text).with_context(|| {
                    format!("the anchor file {} cannot be read", path.display())
                })?),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
                Err(e) => return Err(e).context(format!("reading {}", path.display())),
            };
            let v = store::audit::verify_with_anchor(&st.db, &st.cipher, kept.as_ref()).await?;
            println!(
                "records: {}  head: #{} {}",
                v.records,
                v.head_seq,
                hex_string(&v.head_hash)
            );
            match &kept {
                Some(a) => println!("anchor: #{} ({})", a.seq, path.display()),
                None => println!("no anchor yet at {}", path.display()),
            }
            if v.breaks.is_empty() {
                let now = store::audit::anchor_of(&v).format();
                std::fs::write(&path, format!("{now}\n"))
                    .with_context(|| format!("writing {}", path.display()))?;
                println!("the audit chain is intact");
                println!("new anchor (also written down on paper, if you like): {now}");
                Ok(())
            } else {
                for b in &v.breaks {
                    println!("BROKEN: {b:?}");
                }
                bail!("the audit chain is broken: {} problem(s)", v.breaks.len())
            }
        }
        Command::Funds {
            action: FundsAction::Verify,
        } => {
            let st = open_store(&cfg, false).await?;
            let bad = store::funds::verify(&st, &SystemCap::for_cli()).await?;
            if bad.is_empty() {
                println!("every levy agrees with its base and its rule set");
                Ok(())
            } else {
                for m in &bad {
                    println!(
                        "levy #{} of unit {}: stored {:?}, computed {:?}",
                        m.levy.0, m.school.0, m.stored, m.computed
                    );
                }
                bail!("{} levy(ies) do not agree with their base", bad.len())
            }
        }
        Command::Key {
            action: KeyAction::Rotate { new_key_file },
        } => {
            let old_key = load_key(&cfg, false, &open_db(&cfg).await?).await?;
            let new_key = Cipher::read_key_file(&new_key_file)?;
            let db = open_db(&cfg).await?;
            let old = Cipher::new(&old_key);
            let st = Store::new(db, Cipher::rotating(&new_key, &old_key));
            Store::new(st.db.clone(), old.clone()).check_key().await?;
            let r = store::keys::rotate(&st, &old).await?;
            // Re-signing changes every record's hash: the anchor moves to the new head.
            let v = store::audit::verify(&st.db, &st.cipher).await?;
            if v.breaks.is_empty() {
                let path = anchor_path(&cfg);
                std::fs::write(&path, format!("{}\n", store::audit::anchor_of(&v).format()))
                    .with_context(|| format!("writing {}", path.display()))?;
            }
            for (column, n) in &r.columns {
                println!("re-encrypted {n} values of {column}");
            }
            println!(
                "re-signed {} audit records.\nNow replace the key file ({}) with {} before the next start.",
                r.audit_records,
                cfg.key_file().display(),
                new_key_file.display()
            );
            Ok(())
        }
    }
}

async fn backup(cfg: Config, file: PathBuf) -> anyhow::Result<()> {
    let url = cfg.database_url();
    let db = open_db(&cfg).await?;
    let started = std::time::Instant::now();
    let r = store::backup::backup(&db, &url, &file)
        .await
        .with_context(|| format!("backing up {}", config::redact_url(&url)))?;
    db.close().await;
    println!(
        "wrote {} ({} tables, {} bytes) in {:.1} s",
        file.display(),
        r.tables,
        r.bytes,
        started.elapsed().as_secs_f64()
    );
    println!(
        "The encryption key is NOT in the backup. Keep a copy of the key file ({}) apart from the backups: without it the personal data in them cannot be read.",
        cfg.key_file().display()
    );
    Ok(())
}

async fn restore(cfg: Config, file: PathBuf) -> anyhow::Result<()> {
    let url = cfg.database_url();
    if url.starts_with("sqlite:") {
        std::fs::create_dir_all(&cfg.data_dir)
            .with_context(|| format!("cannot create {}", cfg.data_dir.display()))?;
    }
    let r = store::backup::restore(&url, &file)
        .await
        .with_context(|| format!("restoring into {}", config::redact_url(&url)))?;
    println!(
        "restored {} tables from {} into {}",
        r.tables,
        file.display(),
        config::redact_url(&url)
    );
    // The key is not in the backup: say whether the one configured here opens it.
    let has_key = cfg.key.is_some() || cfg.key_file().exists();
    if has_key {
        let db = open_db(&cfg).await?;
        let key = load_key(&cfg, false, &db).await?;
        let st = Store::new(db, Cipher::new(&key));
        match st.check_key().await {
            Ok(()) => println!("the configured key opens this backup"),
            Err(e) => {
                st.db.close().await;
                bail!(
                    "the backup was restored, but the configured key does not open it ({e}); start with the key file of the installation it came from"
                )
            }
        }
        st.db.close().await;
    } else {
        println!(
            "No key is configured here ({}): the backup does not hold one. Put the key file of the installation it came from there (or set JIAOGONG_KEY) before starting.",
            cfg.key_file().display()
        );
    }
    println!("Next: `jiaogong audit verify` checks the restored audit chain.");
    Ok(())
}

/// Where `audit verify` keeps its anchor by default: beside the key, outside the database.
fn anchor_path(cfg: &Config) -> PathBuf {
    cfg.key_file().with_file_name("audit.anchor")
}

fn hex_string(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

async fn open_db(cfg: &Config) -> anyhow::Result<Db> {
    let url = cfg.database_url();
    if url.starts_with("sqlite:") {
        std::fs::create_dir_all(&cfg.data_dir)
            .with_context(|| format!("cannot create {}", cfg.data_dir.display()))?;
    }
    let db = Db::connect(
        &url,
        &DbOptions {
            max_connections: cfg.db_max_connections,
            pg_schema: None,
        },
    )
    .await
    .with_context(|| format!("cannot open the database {}", config::redact_url(&url)))?;
    Ok(db)
}

/// The master key: from `JIAOGONG_KEY`, else the key file. A missing file is created only
/// for a database that has never held encrypted data.
async fn load_key(cfg: &Config, may_create: bool, db: &Db) -> anyhow::Result<[u8; 32]> {
    if let Some(k) = &cfg.key {
        return Cipher::parse_key(k).context("JIAOGONG_KEY is not 32 bytes of base64");
    }
    let path = cfg.key_file();
    if path.exists() {
        return Ok(Cipher::read_key_file(&path)?);
    }
    let fresh = store::auth::admin_exists(db)
        .await
        .map(|a| !a)
        .unwrap_or(true)
        && store::org::roots(db).await?.is_empty();
    let has_check: Option<String> = store::on_db!(db, |p| sqlx::query_scalar(
        "SELECT value FROM meta WHERE key = 'key_check'"
    )
    .fetch_optional(p)
    .await)?;
    if may_create && fresh && has_check.is_none() {
        let key = Cipher::create_key_file(&path)?;
        println!(
            "Created the encryption key {} — back it up: without it the personal data cannot be read.",
            path.display()
        );
        return Ok(key);
    }
    bail!(
        "the key file {} is missing. This database holds encrypted data; start with the key file it was created with (or set JIAOGONG_KEY). Nothing was changed.",
        path.display()
    )
}

async fn open_store(cfg: &Config, may_create_key: bool) -> anyhow::Result<Store> {
    let db = open_db(cfg).await?;
    db.migrate().await.context("migrating the database")?;
    let key = load_key(cfg, may_create_key, &db).await?;
    let st = Store::new(db, Cipher::new(&key));
    st.check_key().await?;
    Ok(st)
}

async fn load_demo(
    st: &Store,
    hasher: &PasswordHasher,
    members: usize,
    seed: u64,
) -> anyhow::Result<store::demo::DemoSummary> {
    let opts = store::demo::DemoOptions {
        members,
        seed,
        today: web::today(),
        logins: true,
    };
    Ok(store::demo::load(st, &SystemCap::for_cli(), Some(hasher), &opts).await?)
}

fn print_logins(cfg: &Config, s: &store::demo::DemoSummary) {
    if s.logins.is_empty() {
        return;
    }
    println!(
        "\nDemo logins (password for all: {}):",
        store::demo::DEMO_PASSWORD
    );
    for l in &s.logins {
        println!("  {:<10} {:<16} {}", l.username, l.role.code(), l.unit_name);
    }
    println!("  (admin must set up two-step verification at first login)\n");
    let _ = cfg;
}

async fn serve(cfg: Config, demo: bool) -> anyhow::Result<()> {
    let st = open_store(&cfg, true).await?;
    let hasher = PasswordHasher::for_this_machine();
    let base = cfg
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{}", cfg.bind));
    if store::org::roots(&st.db).await?.is_empty() {
        if demo {
            println!("Loading the demo district (a few seconds)…");
            let s = load_demo(&st, &hasher, 4000, 2026).await?;
            println!(
                "Loaded {}: {} areas, {} school unions, {} members.",
                s.union_name, s.areas, s.schools, s.members
            );
            print_logins(&cfg, &s);
        } else {
            first_run(&st, &base).await?;
        }
    } else if demo {
        println!("The database already holds data; the demo was not loaded again.");
        let logins = store::auth::account_for_login(&st.db, "staff")
            .await?
            .is_some();
        if logins {
            println!(
                "Demo logins: admin, staff, area, chair, chair2, committee, member — password {}",
                store::demo::DEMO_PASSWORD
            );
        }
    } else if !store::auth::admin_exists(&st.db).await? {
        first_run(&st, &base).await?;
    }
    let state = web::AppState::new(st.clone(), hasher, cfg.web());
    let app = web::app(state);
    let listener = tokio::net::TcpListener::bind(&cfg.bind)
        .await
        .with_context(|| format!("cannot listen on {}", cfg.bind))?;
    println!("Jiaogong is running at {base}/login  (Ctrl-C stops it)");
    // Background work: the outbox worker (several processes may run one; they share the
    // queue) and the scheduler (each occurrence runs in one process only).
    let schedules = vec![
        jobs::Schedule::parse("reminders", &cfg.reminder_schedule)?,
        jobs::Schedule::parse("digest", &cfg.digest_schedule)?,
    ];
    tokio::spawn(jobs::scheduler(st.clone(), schedules));
    if cfg.outbox_worker {
        let mut worker = web::outbox::Worker::new(
            st.clone(),
            web::outbox::WorkerConfig {
                public_url: base.clone(),
                lease: std::time::Duration::from_secs(cfg.outbox_lease_seconds.max(1)),
                sms_url: cfg.sms_url.clone().filter(|u| !u.trim().is_empty()),
                ..Default::default()
            },
        );
        if let Some(smtp) = cfg.smtp()? {
            worker = worker.with_smtp(&smtp).map_err(|e| anyhow::anyhow!(e))?;
        }
        tokio::spawn(worker.run());
    }
    let db = st.db.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(3600));
        loop {
            tick.tick().await;
            match store::auth::purge_sessions(&db).await {
                Ok(n) if n > 0 => tracing::info!(removed = n, "expired sessions removed"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "session purge failed"),
            }
        }
    });
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await?;
    Ok(())
}

/// An empty installation: a root union and a one-time link for the first administrator.
async fn first_run(st: &Store, base: &str) -> anyhow::Result<()> {
    let sys = SystemCap::for_cli();
    let who = Who::system("first-run");
    let root = match store::org::roots(&st.db).await?.into_iter().next() {
        Some(r) => r.id,
        None => {
            let cap = system_cap::<perm::OrgManage>(&sys, AccountId(0));
            store::org::create_unit(
                st,
                &cap,
                &who,
                None,
                &store::org::NewUnit {
                    kind: domain::org::OrgKind::Union,
                    code: "ROOT".into(),
                    name: "教育工会".into(),
                    union_kind: Some(domain::org::UnionKind::District),
                    school_kind: None,
                    school_level: None,
                    staff_count: 0,
                    sort_order: 0,
                },
            )
            .await?
        }
    };
    let id = match store::auth::account_for_login(&st.db, "admin").await? {
        Some((a, _)) => AccountId(a.id),
        None => {
            let new = store::auth::NewAccount {
                username: "admin".into(),
                display_name: "管理员".into(),
                member: None,
                password_hash: None,
            };
            let id = store::auth::create_account_system(&sys, st, &who, &new).await?;
            store::auth::grant_system(&sys, st, &who, id, Role::PlatformAdmin, root).await?;
            id
        }
    };
    let token = store::auth::issue_token(
        st,
        &who,
        id,
        store::auth::TokenPurpose::Setup,
        chrono::Duration::days(1),
    )
    .await?;
    println!(
        "\nNo administrator has a password yet. Open this one-time link to set one (user name: admin):\n  {base}/link/{token}\n"
    );
    Ok(())
}

async fn import(
    cfg: Config,
    file: PathBuf,
    school: String,
    mode: String,
    map: Vec<String>,
) -> anyhow::Result<()> {
    use store::org::import::{ImportMode, ImportOptions};
    let st = open_store(&cfg, false).await?;
    let mode = match mode.as_str() {
        "dry-run" | "dry_run" => ImportMode::DryRun,
        "all" | "all-or-nothing" => ImportMode::AllOrNothing,
        "valid" | "valid-rows" => ImportMode::ValidRows,
        other => bail!("unknown mode {other:?}: use dry-run, all or valid"),
    };
    let bytes = std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
    let sys = SystemCap::for_cli();
    let cap = system_cap::<perm::MemberImport>(&sys, AccountId(0));
    let unit = store::org::unit_by_code(&st.db, &cap, &school)
        .await
        .with_context(|| format!("there is no unit with code {school:?}"))?;
    // Answers first: they are remembered for the unit and used by this run and later ones.
    for m in &map {
        let Some((field, rest)) = m.split_once('=') else {
            bail!("--map {m:?}: write FIELD=FROM:TO, e.g. post=宿管员:worker");
        };
        let Some((from, to)) = rest.split_once(':') else {
            bail!("--map {m:?}: write FIELD=FROM:TO, e.g. post=宿管员:worker");
        };
        let field = field.trim();
        if !domain::roster::MAPPABLE_FIELDS.contains(&field) {
            bail!(
                "--map {m:?}: {field:?} is not a field with a list; use one of {}",
                domain::roster::MAPPABLE_FIELDS.join(", ")
            );
        }
        if domain::roster::answer_code(field, to).is_none() {
            bail!("--map {m:?}: {to:?} is not one of {}", choice_list(field));
        }
        store::org::value_map::remember(
            &st,
            &cap,
            &Who::system("cli-import"),
            unit.id,
            field,
            from,
            to,
        )
        .await?;
    }
    let opts = ImportOptions {
        target: unit.id,
        mode,
        max_rows: usize::MAX / 2,
        today: web::today(),
        progress: None,
    };
    let started = std::time::Instant::now();
    let r = store::org::import::run(
        &st,
        &cap,
        &Who::system("cli-import"),
        Arc::new(bytes),
        &opts,
    )
    .await
    .map_err(|e| {
        anyhow::anyhow!(
            web::org::import::import_error_text(&web::i18n::Tr::new(web::i18n::Lang::Zh), &e, 0)
                + " ("
                + &e.to_string()
                + ")"
        )
    })?;
    let secs = started.elapsed().as_secs_f64();
    let tr = web::i18n::Tr::new(web::i18n::Lang::Zh);
    for e in r.errors.iter().take(200) {
        println!(
            "row {:>6}  {:<10}  {}",
            e.row,
            e.column.clone().unwrap_or_default(),
            web::org::import::error_reason(&tr, &e.key, &e.args)
        );
    }
    if r.errors.len() > 200 {
        println!("… {} more", r.invalid_rows as usize - 200);
    }
    for w in r.warnings.iter().take(200) {
        println!(
            "row {:>6}  {:<10}  note: {}",
            w.row,
            w.column.clone().unwrap_or_default(),
            web::org::import::error_reason(&tr, &w.key, &w.args)
        );
    }
    for q in &r.questions {
        println!(
            "question: {:?} in {} ({} rows, first {}): answer with --map {}={}:<{}>",
            q.value,
            q.column.clone().unwrap_or_else(|| q.field.clone()),
            q.rows,
            q.first_rows
                .iter()
                .map(u32::to_string)
                .collect::<Vec<_>>()
                .join(", "),
            q.field,
            q.value,
            choice_list(&q.field)
        );
    }
    println!(
        "{} rows in {:.2} s ({:.0} rows/s): create {}, update {}, unchanged {}, invalid {}, to map {} — {}",
        r.rows,
        secs,
        r.rows as f64 / secs.max(1e-9),
        r.created,
        r.updated,
        r.unchanged,
        r.invalid_rows,
        r.pending_rows,
        if r.applied {
            "applied"
        } else {
            "nothing written"
        }
    );
    Ok(())
}

/// The codes of a field's list, for messages: `teacher|leader|…`.
fn choice_list(field: &str) -> String {
    domain::roster::choices(field)
        .into_iter()
        .map(|(code, _)| code)
        .collect::<Vec<_>>()
        .join("|")
}

async fn export(
    cfg: Config,
    out: PathBuf,
    unit: Option<String>,
    full: bool,
    purpose: Option<String>,
) -> anyhow::Result<()> {
    let st = open_store(&cfg, false).await?;
    let sys = SystemCap::for_cli();
    let cap = system_cap::<perm::MemberExport>(&sys, AccountId(0));
    let full_cap = full.then(|| system_cap::<perm::PersonalDataExport>(&sys, AccountId(0)));
    if full && purpose.as_deref().is_none_or(|p| p.trim().is_empty()) {
        bail!("--full needs --purpose \"…\" (it is recorded in the audit log)");
    }
    let mut filter = store::org::MemberFilter::default();
    if let Some(code) = unit {
        filter.unit = Some(
            store::org::unit_by_code(&st.db, &cap, &code)
                .await
                .with_context(|| format!("no unit with code {code:?}"))?
                .id,
        );
    }
    let tr = web::i18n::Tr::new(web::i18n::Lang::Zh);
    let label = move |k: &str| tr.t(k);
    let text = store::org::export::ExportText {
        sheet_name: tr.t("export-sheet-name"),
        headers: store::org::export::EXPORT_COLUMNS
            .iter()
            .map(|c| tr.t(&format!("col-{}", c.replace('_', "-"))))
            .collect(),
        label: &label,
    };
    let started = std::time::Instant::now();
    let (bytes, n) = store::org::export::export_members(
        &st,
        &cap,
        full_cap.as_ref(),
        &Who::system("cli-export"),
        purpose.as_deref(),
        &filter,
        web::today(),
        &text,
    )
    .await?;
    std::fs::write(&out, bytes)?;
    let secs = started.elapsed().as_secs_f64();
    println!(
        "wrote {n} members to {} in {:.2} s ({:.0} rows/s)",
        out.display(),
        secs,
        n as f64 / secs.max(1e-9)
    );
    Ok(())
}

async fn user(cfg: Config, action: UserAction) -> anyhow::Result<()> {
    let st = open_store(&cfg, true).await?;
    let sys = SystemCap::for_cli();
    let who = Who::system("cli");
    let base = cfg
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{}", cfg.bind));
    match action {
        UserAction::Add {
            username,
            display_name,
            admin,
            role,
            unit,
        } => {
            let username = domain::auth::parse_username(&username)
                .map_err(|_| anyhow::anyhow!("a username has 3–32 letters, digits or . - _"))?;
            let (role, unit_id) = if admin {
                let root = match store::org::roots(&st.db).await?.into_iter().next() {
                    Some(r) => r.id,
                    None => {
                        first_run(&st, &base).await?;
                        store::org::roots(&st.db)
                            .await?
                            .into_iter()
                            .next()
                            .context("no root union")?
                            .id
                    }
                };
                (Role::PlatformAdmin, root)
            } else {
                let role = role
                    .as_deref()
                    .and_then(Role::from_code)
                    .context("give --admin, or --role ROLE --unit CODE")?;
                let code = unit.context("--role needs --unit CODE")?;
                let cap = system_cap::<perm::OrgView>(&sys, AccountId(0));
                (
                    role,
                    store::org::unit_by_code(&st.db, &cap, &code)
                        .await
                        .with_context(|| format!("no unit with code {code:?}"))?
                        .id,
                )
            };
            let new = store::auth::NewAccount {
                display_name: display_name.unwrap_or_else(|| username.clone()),
                username: username.clone(),
                member: None,
                password_hash: None,
            };
            let id = store::auth::create_account_system(&sys, &st, &who, &new).await?;
            store::auth::grant_system(&sys, &st, &who, id, role, unit_id).await?;
            let token = store::auth::issue_token(
                &st,
                &who,
                id,
                store::auth::TokenPurpose::Setup,
                chrono::Duration::days(7),
            )
            .await?;
            println!(
                "created {username} ({}). One-time link to set the password:\n  {base}/link/{token}",
                role.code()
            );
        }
        UserAction::ResetPassword { username } => {
            let (a, _) = store::auth::account_for_login(&st.db, &username.to_lowercase())
                .await?
                .context("no such account")?;
            let token = store::auth::issue_token(
                &st,
                &who,
                AccountId(a.id),
                store::auth::TokenPurpose::Reset,
                chrono::Duration::days(2),
            )
            .await?;
            println!("one-time link for {username}:\n  {base}/link/{token}");
        }
    }
    Ok(())
}

/// A plain HTTP/1.1 GET, enough for `/healthz` on loopback without an HTTP client crate.
async fn healthcheck(url: String) -> anyhow::Result<()> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let rest = url
        .strip_prefix("http://")
        .context("healthcheck supports http:// URLs")?;
    let (host, path) = rest
        .split_once('/')
        .map(|(h, p)| (h, format!("/{p}")))
        .unwrap_or((rest, "/healthz".into()));
    let mut s = tokio::time::timeout(
        std::time::Duration::from_secs(5),
        tokio::net::TcpStream::connect(host),
    )
    .await
    .context("timed out")?
    .with_context(|| format!("cannot connect to {host}"))?;
    s.write_all(
        format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n").as_bytes(),
    )
    .await?;
    let mut buf = Vec::new();
    tokio::time::timeout(std::time::Duration::from_secs(5), s.read_to_end(&mut buf))
        .await
        .context("timed out")??;
    let text = String::from_utf8_lossy(&buf);
    if text.starts_with("HTTP/1.1 200") {
        println!("healthy");
        Ok(())
    } else {
        bail!("unhealthy: {}", text.lines().next().unwrap_or(""))
    }
}
