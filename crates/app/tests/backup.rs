//! The backup and restore drill, on both engines, through the `jiaogong` command line:
//! a demo installation takes writes (audited new branches) while `jiaogong backup` runs;
//! the backup restores into a new database, whose audit chain verifies and which holds a
//! consistent cut of the load (every branch with its audit record, none without); a second
//! backup of the quiet database restores to the same row count and checksum in every table.
//! Restoring over data is refused and changes nothing; the key is not in the backup; without
//! `pg_dump` the command says what to install.

use domain::auth::{SystemCap, perm, system_cap};
use domain::ids::AccountId;
use std::path::Path;
use std::process::{Command, Output};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use store::{Cipher, Db, DbOptions, Store};

/// base64 of `testkit::TEST_KEY`.
const KEY_B64: &str = "KioqKioqKioqKioqKioqKioqKioqKioqKioqKioqKio=";

fn jiaogong(dir: &Path, url: &str, args: &[&str], path: Option<&str>) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_jiaogong"));
    c.args(args)
        .current_dir(dir)
        .env("JIAOGONG_DATA_DIR", dir.join("data"))
        .env("JIAOGONG_LOG", "warn")
        .env("JIAOGONG_KEY", KEY_B64)
        .env("JIAOGONG_DATABASE_URL", url);
    if let Some(p) = path {
        c.env("PATH", p);
    }
    c.output().unwrap_or_else(|e| panic!("run jiaogong: {e}"))
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

async fn connect(url: &str) -> Db {
    Db::connect(
        url,
        &DbOptions {
            max_connections: 2,
            pg_schema: None,
        },
    )
    .await
    .unwrap_or_else(|e| panic!("connect {url}: {e}"))
}

async fn count(db: &Db, sql: &'static str) -> i64 {
    store::on_db!(db, |p| sqlx::query_scalar::<_, i64>(sql).fetch_one(p).await).unwrap()
}

const DRILL_UNITS: &str = "SELECT COUNT(*) FROM org_unit WHERE code LIKE 'DRILL-%'";
const DRILL_AUDITS: &str = "SELECT COUNT(*) FROM audit_log a JOIN org_unit u ON a.entity_type = 'org_unit' AND a.entity_id = u.id WHERE u.code LIKE 'DRILL-%'";

async fn drill(work: &Path, src: &str, dst1: &str, dst2: &str) {
    let o = jiaogong(work, src, &["demo", "--members", "60", "--seed", "7"], None);
    assert!(o.status.success(), "{}", text(&o));

    // The write load: audited new branches, one transaction each, until told to stop.
    let st = Store::new(connect(src).await, Cipher::new(&testkit::TEST_KEY));
    let sys = SystemCap::for_cli();
    let cap = system_cap::<perm::OrgManage>(&sys, AccountId(0));
    let school = store::org::unit_by_code(&st.db, &cap, "LJ-01001")
        .await
        .unwrap()
        .id;
    let stop = Arc::new(AtomicBool::new(false));
    let written = Arc::new(AtomicUsize::new(0));
    let load = {
        let (st, stop, written) = (st.clone(), stop.clone(), written.clone());
        tokio::spawn(async move {
            let sys = SystemCap::for_cli();
            let cap = system_cap::<perm::OrgManage>(&sys, AccountId(0));
            let who = store::audit::Who::system("drill");
            let mut i = 0usize;
            while !stop.load(Ordering::Relaxed) {
                i += 1;
                let new = store::org::NewUnit::branch(format!("DRILL-{i:05}"), format!("演练{i}"));
                store::org::create_unit(&st, &cap, &who, Some(school), &new)
                    .await
                    .unwrap();
                written.store(i, Ordering::Relaxed);
            }
        })
    };
    while written.load(Ordering::Relaxed) < 5 {
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let file1 = work.join("during.backup");
    let (w, s, f) = (work.to_path_buf(), src.to_string(), file1.clone());
    let o = tokio::task::spawn_blocking(move || {
        jiaogong(&w, &s, &["backup", f.to_str().unwrap()], None)
    })
    .await
    .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("NOT in the backup"),
        "the command says the key is not in it: {}",
        text(&o)
    );
    let at_backup = written.load(Ordering::Relaxed);
    // Writes go on after the backup: the restored cut must be strictly behind.
    while written.load(Ordering::Relaxed) < at_backup + 5 {
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    stop.store(true, Ordering::Relaxed);
    load.await.unwrap();
    let total = written.load(Ordering::Relaxed) as i64;

    // The key is not in the file, in neither form.
    let bytes = std::fs::read(&file1).unwrap();
    assert!(!bytes.windows(32).any(|w| w == testkit::TEST_KEY));
    assert!(
        !bytes
            .windows(KEY_B64.len())
            .any(|w| w == KEY_B64.as_bytes())
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&file1).unwrap().permissions().mode() & 0o077,
            0,
            "the backup file is private"
        );
    }

    // Restore into a new database; the configured key opens it; the audit chain verifies.
    let o = jiaogong(work, dst1, &["restore", file1.to_str().unwrap()], None);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("key opens"), "{}", text(&o));
    let anchor = work.join("drill.anchor");
    let o = jiaogong(
        work,
        dst1,
        &["audit", "verify", "--anchor", anchor.to_str().unwrap()],
        None,
    );
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("intact"), "{}", text(&o));

    // A consistent cut: the branches written before the backup, each with its audit record.
    let restored = connect(dst1).await;
    let units = count(&restored, DRILL_UNITS).await;
    assert!(units >= 5 && units < total, "{units} of {total}");
    assert_eq!(count(&restored, DRILL_AUDITS).await, units);
    restored.close().await;

    // Restoring over data is refused, and changes nothing.
    let before = store::backup::fingerprint(&st.db).await.unwrap();
    let o = jiaogong(work, src, &["restore", file1.to_str().unwrap()], None);
    assert!(!o.status.success());
    assert!(text(&o).contains("not empty"), "{}", text(&o));
    assert_eq!(store::backup::fingerprint(&st.db).await.unwrap(), before);

    // A backup never overwrites a file.
    let o = jiaogong(work, src, &["backup", file1.to_str().unwrap()], None);
    assert!(!o.status.success());
    assert!(text(&o).contains("already exists"), "{}", text(&o));

    // The quiet database round-trips exactly: every table's row count and checksum.
    let file2 = work.join("quiet.backup");
    let o = jiaogong(work, src, &["backup", file2.to_str().unwrap()], None);
    assert!(o.status.success(), "{}", text(&o));
    let o = jiaogong(work, dst2, &["restore", file2.to_str().unwrap()], None);
    assert!(o.status.success(), "{}", text(&o));
    let copy = connect(dst2).await;
    let after = store::backup::fingerprint(&copy).await.unwrap();
    assert!(before.len() > 50, "{} tables", before.len());
    assert!(before.iter().any(|t| t.table == "member" && t.rows >= 60));
    assert_eq!(
        before
            .iter()
            .find(|t| t.table == "org_unit")
            .map(|t| t.rows),
        after.iter().find(|t| t.table == "org_unit").map(|t| t.rows)
    );
    for (a, b) in before.iter().zip(&after) {
        assert_eq!(a, b, "table {}", a.table);
    }
    assert_eq!(before.len(), after.len());
    copy.close().await;
    st.db.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_backup_drill_under_writes() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let url = |name: &str| format!("sqlite://{}", d.join(name).display());
    drill(d, &url("source.db"), &url("restored.db"), &url("quiet.db")).await;
}

/// A fresh database of the test PostgreSQL server, by URL.
async fn pg_database(server: &str, name: &str) -> String {
    let admin = connect(server).await;
    let sql = format!("CREATE DATABASE {name}");
    store::on_db!(&admin, |p| sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
        .execute(p)
        .await
        .map(|_| ()))
    .unwrap();
    admin.close().await;
    let (base, query) = server.split_once('?').unwrap_or((server, ""));
    let (host, _) = base.rsplit_once('/').unwrap();
    if query.is_empty() {
        format!("{host}/{name}")
    } else {
        format!("{host}/{name}?{query}")
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_backup_drill_under_writes() {
    let server = match tokio::task::spawn_blocking(testkit::pg_server)
        .await
        .unwrap()
    {
        Ok(url) => url,
        Err(why) => {
            assert!(!testkit::pg_required(), "no PostgreSQL: {why}");
            testkit::pg_cluster::not_run("PostgreSQL backup drill", &why);
            return;
        }
    };
    let tag = format!("{}_{:08x}", std::process::id(), rand_tag());
    let src = pg_database(&server, &format!("drill_src_{tag}")).await;
    let dst1 = pg_database(&server, &format!("drill_dst_{tag}")).await;
    let dst2 = pg_database(&server, &format!("drill_quiet_{tag}")).await;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    drill(d, &src, &dst1, &dst2).await;

    // Without pg_dump on PATH: a message that names the fix, and no file left behind.
    let file = d.join("nodump.backup");
    let o = jiaogong(d, &src, &["backup", file.to_str().unwrap()], Some(""));
    assert!(!o.status.success());
    let t = text(&o);
    assert!(
        t.contains("pg_dump was not found") && t.contains("postgresql-client"),
        "{t}"
    );
    assert!(!file.exists());
}

fn rand_tag() -> u32 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos()
}
