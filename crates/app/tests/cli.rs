//! The `jiaogong` command line on a fresh data directory: start-up checks (database URL,
//! key file missing or wrong), configuration output, demo, import, export, audit verify,
//! key rotation.

use std::path::Path;
use std::process::{Command, Output};

fn jiaogong(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_jiaogong"))
        .args(args)
        .current_dir(dir)
        .env("JIAOGONG_DATA_DIR", dir.join("data"))
        .env("JIAOGONG_LOG", "warn")
        .env_remove("JIAOGONG_KEY")
        .env_remove("JIAOGONG_DATABASE_URL")
        .output()
        .unwrap_or_else(|e| panic!("run jiaogong: {e}"))
}

/// One connection to the SQLite database file at `db`.
async fn open_sqlite(db: &Path) -> store::Db {
    let url = format!("sqlite://{}", db.display());
    store::Db::connect(
        &url,
        &store::DbOptions {
            max_connections: 1,
            pg_schema: None,
        },
    )
    .await
    .unwrap()
}

/// Row counts of the tables a start-up could write to, and the audit chain's last hash.
fn logical_state(db: &Path) -> (i64, i64, i64, Option<Vec<u8>>) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let conn = open_sqlite(db).await;
        let count = |table: &'static str| {
            let conn = &conn;
            async move {
                let sql = format!("SELECT COUNT(*) FROM {table}");
                store::on_db!(conn, |p| sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(
                    sql.clone()
                ))
                .fetch_one(p)
                .await)
                .unwrap()
            }
        };
        let state = (
            count("audit_log").await,
            count("member").await,
            count("account").await,
            store::on_db!(&conn, |p| sqlx::query_scalar::<_, Vec<u8>>(
                "SELECT hash FROM audit_log ORDER BY seq DESC LIMIT 1"
            )
            .fetch_optional(p)
            .await)
            .unwrap(),
        );
        conn.close().await;
        state
    })
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn a_database_url_of_another_kind_stops_start_up_with_both_accepted_forms() {
    let dir = tempfile::tempdir().unwrap();
    let o = jiaogong(
        dir.path(),
        &["migrate", "--database-url", "mysql://localhost/jg"],
    );
    assert!(!o.status.success());
    let t = text(&o);
    assert!(t.contains("sqlite://") && t.contains("postgres://"), "{t}");
    assert!(!dir.path().join("data/jiaogong.db").exists());
}

#[test]
fn check_config_prints_the_effective_values_with_secrets_redacted() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("jiaogong.toml"),
        "bind = \"127.0.0.1:9999\"\nmax_upload_mb = 7\n",
    )
    .unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_jiaogong"))
        .args(["check-config"])
        .current_dir(dir.path())
        .env("JIAOGONG_KEY", "c2VjcmV0LWtleS1ub3QtcHJpbnRlZA==")
        .env("JIAOGONG_DATABASE_URL", "postgres://jg:hunter2@db/jg")
        .env("JIAOGONG_MAX_UPLOAD_MB", "9")
        .output()
        .unwrap();
    let t = text(&o);
    assert!(o.status.success(), "{t}");
    assert!(t.contains("127.0.0.1:9999"), "the file is read: {t}");
    assert!(
        t.contains("max_upload_mb = 9"),
        "the environment wins over the file: {t}"
    );
    assert!(
        !t.contains("hunter2") && !t.contains("c2VjcmV0"),
        "secrets are redacted: {t}"
    );
}

#[test]
fn the_key_is_created_once_then_required_and_checked() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let o = jiaogong(d, &["demo", "--members", "60", "--seed", "3"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("Created the encryption key"));
    let key = d.join("data/master.key");
    assert!(key.exists());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&key).unwrap().permissions().mode() & 0o077,
            0,
            "the key file is private"
        );
    }
    let o = jiaogong(d, &["audit", "verify"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("intact"));

    // Missing key: a clear error, and nothing is created in its place.
    let saved = std::fs::read(&key).unwrap();
    std::fs::remove_file(&key).unwrap();
    let o = jiaogong(d, &["audit", "verify"]);
    assert!(!o.status.success());
    assert!(text(&o).contains("missing"), "{}", text(&o));
    assert!(
        !key.exists(),
        "no new key is made for a database that holds data"
    );

    // A wrong key: a clear error, nothing written.
    let o = jiaogong(d, &["key", "generate", key.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    let before = logical_state(&d.join("data/jiaogong.db"));
    let o = jiaogong(d, &["export", "--out", "x.xlsx"]);
    assert!(!o.status.success());
    assert!(text(&o).contains("does not match"), "{}", text(&o));
    // Compared by content, not by the file's length: a checkpoint when the refused process
    // closes its connection may move the WAL into the file without changing anything.
    assert_eq!(
        logical_state(&d.join("data/jiaogong.db")),
        before,
        "nothing is written with a wrong key"
    );
    std::fs::write(&key, &saved).unwrap();

    // Export and import through the command line.
    let o = jiaogong(d, &["export", "--out", "members.xlsx"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(d.join("members.xlsx").exists());
    let roster = d.join("roster.csv");
    std::fs::write(
        &roster,
        "姓名,身份证号,岗位\n命令行,11010519491231002X,教师\n坏号码,110105194912310021,教师\n",
    )
    .unwrap();
    let o = jiaogong(
        d,
        &[
            "import",
            roster.to_str().unwrap(),
            "--school",
            "LJ-01001",
            "--mode",
            "valid",
        ],
    );
    let t = text(&o);
    assert!(o.status.success(), "{t}");
    assert!(
        t.contains("row      3") && t.contains("校验位"),
        "the bad row is named: {t}"
    );
    assert!(t.contains("create 1") && t.contains("applied"), "{t}");

    // A value no table names is a question; `--map` answers it and the answer is remembered.
    std::fs::write(
        &roster,
        "姓名,身份证号,岗位\n宿管,110105194912310046,宿管员\n",
    )
    .unwrap();
    let o = jiaogong(
        d,
        &["import", roster.to_str().unwrap(), "--school", "LJ-01001"],
    );
    let t = text(&o);
    assert!(
        t.contains("question: \"宿管员\" in 岗位 (1 rows") && t.contains("--map post=宿管员:<"),
        "{t}"
    );
    assert!(t.contains("to map 1"), "{t}");
    let o = jiaogong(
        d,
        &[
            "import",
            roster.to_str().unwrap(),
            "--school",
            "LJ-01001",
            "--mode",
            "all",
            "--map",
            "post=宿管员:worker",
        ],
    );
    let t = text(&o);
    assert!(t.contains("create 1") && t.contains("applied"), "{t}");
    assert!(!t.contains("question:"), "{t}");
    // Remembered: a later run asks nothing.
    let o = jiaogong(
        d,
        &["import", roster.to_str().unwrap(), "--school", "LJ-01001"],
    );
    let t = text(&o);
    assert!(!t.contains("question:") && t.contains("unchanged 1"), "{t}");

    // Rotate to a new key: everything still reads, the chain verifies under the new key.
    let new_key = d.join("new.key");
    assert!(
        jiaogong(d, &["key", "generate", new_key.to_str().unwrap()])
            .status
            .success()
    );
    let o = jiaogong(
        d,
        &["key", "rotate", "--new-key-file", new_key.to_str().unwrap()],
    );
    assert!(o.status.success(), "{}", text(&o));
    std::fs::copy(&new_key, &key).unwrap();
    let o = jiaogong(d, &["audit", "verify"]);
    assert!(o.status.success(), "{}", text(&o));
    let o = jiaogong(
        d,
        &[
            "export",
            "--out",
            "again.xlsx",
            "--full",
            "--purpose",
            "key rotation check",
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
}

#[test]
fn a_start_up_error_is_one_clear_line_without_a_backtrace() {
    let dir = tempfile::tempdir().unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_jiaogong"))
        .args(["migrate", "--database-url", "mysql://localhost/jg"])
        .current_dir(dir.path())
        .env("JIAOGONG_DATA_DIR", dir.path().join("data"))
        .env("RUST_BACKTRACE", "full")
        .env("RUST_LIB_BACKTRACE", "1")
        .output()
        .unwrap();
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "one line: {err}");
    assert!(lines[0].starts_with("error: "), "{err}");
    assert!(lines[0].contains("sqlite://"), "says what to use: {err}");
    assert!(!err.to_lowercase().contains("backtrace"), "{err}");
}

#[test]
fn logs_written_to_a_pipe_carry_no_colour_codes() {
    let dir = tempfile::tempdir().unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_jiaogong"))
        .args(["demo", "--members", "60", "--seed", "5"])
        .current_dir(dir.path())
        .env("JIAOGONG_DATA_DIR", dir.path().join("data"))
        .env("JIAOGONG_LOG", "debug")
        .env_remove("JIAOGONG_KEY")
        .env_remove("JIAOGONG_DATABASE_URL")
        .output()
        .unwrap();
    let t = text(&o);
    assert!(o.status.success(), "{t}");
    assert!(t.contains("DEBUG"), "something was logged: {t}");
    assert!(!t.contains('\u{1b}'), "no escape codes: {t:?}");
}

#[cfg(unix)]
#[test]
fn the_database_file_and_its_wal_are_readable_by_the_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let o = jiaogong(d, &["demo", "--members", "60", "--seed", "4"]);
    assert!(o.status.success(), "{}", text(&o));
    let db = d.join("data/jiaogong.db");
    let mode = std::fs::metadata(&db).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "{}", db.display());
    // The WAL and shared-memory files exist while a connection is open: open one and look.
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let conn = open_sqlite(&db).await;
        store::on_db!(&conn, |p| sqlx::query("SELECT COUNT(*) FROM member")
            .execute(p)
            .await
            .map(|_| ()))
        .unwrap();
        let mut seen = 0;
        for suffix in ["-wal", "-shm"] {
            let f = d.join(format!("data/jiaogong.db{suffix}"));
            if let Ok(m) = std::fs::metadata(&f) {
                seen += 1;
                assert_eq!(m.permissions().mode() & 0o777, 0o600, "{}", f.display());
            }
        }
        assert!(seen > 0, "a WAL file exists while the database is open");
        conn.close().await;
    });
}

#[test]
fn check_config_refuses_a_wrong_e_mail_setting_with_its_reason_and_hides_the_smtp_password() {
    let dir = tempfile::tempdir().unwrap();
    let run = |extra: &[(&str, &str)]| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_jiaogong"));
        c.args(["check-config"])
            .current_dir(dir.path())
            .env("JIAOGONG_DATA_DIR", dir.path().join("data"))
            .env_remove("JIAOGONG_KEY")
            .env_remove("JIAOGONG_DATABASE_URL")
            .env("JIAOGONG_SMTP_HOST", "smtp.example.edu.cn")
            .env("JIAOGONG_SMTP_USERNAME", "noreply")
            .env("JIAOGONG_SMTP_PASSWORD", "pw-Zq81-never-shown")
            .env("JIAOGONG_SMTP_FROM", "教工平台 <noreply@example.edu.cn>");
        for (k, v) in extra {
            c.env(k, v);
        }
        c.output().unwrap()
    };
    let o = run(&[]);
    let t = text(&o);
    assert!(o.status.success(), "{t}");
    assert!(t.contains("smtp.example.edu.cn"), "{t}");
    assert!(
        !t.contains("pw-Zq81") && t.contains("[redacted]"),
        "the SMTP password is redacted: {t}"
    );
    for (setting, value, reason) in [
        (
            "JIAOGONG_SMTP_TLS",
            "ssl",
            "smtp_tls must be starttls, tls or plain",
        ),
        ("JIAOGONG_SMTP_FROM", "noreply at school", "smtp_from"),
        ("JIAOGONG_SMTP_FROM", "", "smtp_from"),
    ] {
        let o = run(&[(setting, value)]);
        let t = text(&o);
        assert!(!o.status.success(), "{setting}={value:?} is refused: {t}");
        assert!(
            t.contains(reason) && t.contains("SMTP"),
            "{setting}={value:?}: the reason names the setting: {t}"
        );
        assert!(!t.contains("pw-Zq81"), "{t}");
    }
}
