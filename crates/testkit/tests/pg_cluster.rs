//! The throwaway PostgreSQL cluster behind `cargo test`: it runs the PostgreSQL halves
//! where the `postgresql` package is installed and no `TEST_DATABASE_URL` is set, and it
//! leaves nothing behind when the test process ends, even by SIGKILL.

use std::process::Command;
use std::time::{Duration, Instant};

const CHILD: &str = "JIAOGONG_PG_CLUSTER_CHILD";

/// The folder of the throwaway cluster, from its URL.
fn cluster_dir(url: &str) -> std::path::PathBuf {
    let host = url
        .split("host=")
        .nth(1)
        .unwrap_or_else(|| panic!("no socket folder in {url}"));
    std::path::PathBuf::from(host)
}

#[tokio::test]
async fn without_a_setting_the_postgresql_halves_run_on_a_throwaway_cluster() {
    if std::env::var_os(CHILD).is_some() || testkit::pg_url().is_some() {
        return; // the configured server is used instead; nothing to show here
    }
    if testkit::pg_cluster::server_bin_dir().is_none() {
        assert!(
            !testkit::pg_required(),
            "JIAOGONG_REQUIRE_PG=1 but the postgresql package is not installed"
        );
        testkit::pg_cluster::not_run("throwaway cluster test", "no postgresql package");
        return;
    }
    let t = testkit::postgres()
        .await
        .expect("a throwaway cluster starts when the postgresql package is installed");
    assert_eq!(t.engine, store::Engine::Postgres);
    let n: i64 = store::on_db!(t.db(), |p| sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM org_unit"
    )
    .fetch_one(p)
    .await)
    .unwrap();
    assert_eq!(n, 0, "a fresh, migrated schema");
}

#[test]
fn the_cluster_is_stopped_and_removed_when_the_test_process_is_killed() {
    if let Some(out) = std::env::var_os(CHILD) {
        // The child: start the cluster, say where it is, then die without any clean-up.
        let url = testkit::pg_cluster::throwaway_url().unwrap();
        std::fs::write(out, url).unwrap();
        // SAFETY: raising SIGKILL on ourselves has no preconditions.
        unsafe {
            libc::raise(libc::SIGKILL);
        }
        unreachable!();
    }
    if testkit::pg_cluster::server_bin_dir().is_none() {
        testkit::pg_cluster::not_run("throwaway cluster clean-up test", "no postgresql package");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("url");
    let status = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "the_cluster_is_stopped_and_removed_when_the_test_process_is_killed",
            "--nocapture",
        ])
        .env(CHILD, &out)
        .env_remove("TEST_DATABASE_URL")
        .status()
        .unwrap();
    assert!(!status.success(), "the child was killed");
    let url = std::fs::read_to_string(&out).expect("the child started a cluster");
    let dir = cluster_dir(&url);
    let deadline = Instant::now() + Duration::from_secs(20);
    while dir.exists() {
        assert!(
            Instant::now() < deadline,
            "{} still exists 20 s after the test process died",
            dir.display()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}
