//! A throwaway PostgreSQL cluster, so that the README's `cargo test` runs the PostgreSQL
//! halves on any machine where the `postgresql` package is installed, without a setting.
//!
//! Owns: finding the server binaries, `initdb` into a temporary folder, starting the server
//! on a Unix socket only (no TCP port, so it can collide with nothing), and a watchdog that
//! stops the server and removes the folder as soon as the test process is gone — also when
//! it panics, aborts or is killed. One cluster per test process, started on first use.
//! Also owns the visible notices for test halves that did not run: they bypass the test
//! harness's output capture and end with one summary line when the process exits.
//!
//! Must never: touch a cluster it did not create, listen on a network address, or keep
//! anything on disk after the test process has ended.

use std::io::Write;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// The folder with `initdb`, `postgres` and `pg_isready`: `JIAOGONG_PG_BIN`, else the
/// newest `/usr/lib/postgresql/<version>/bin` (Debian's layout), else the `PATH`.
pub fn server_bin_dir() -> Option<PathBuf> {
    let has_server = |d: &Path| d.join("initdb").is_file() && d.join("postgres").is_file();
    if let Ok(dir) = std::env::var("JIAOGONG_PG_BIN") {
        let d = PathBuf::from(dir);
        return has_server(&d).then_some(d);
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let v = e.file_name().to_str()?.parse::<u32>().ok()?;
            Some((v, e.path().join("bin")))
        })
        .filter(|(_, d)| has_server(d))
        .collect();
    versions.sort();
    if let Some((_, d)) = versions.pop() {
        return Some(d);
    }
    std::env::var_os("PATH").and_then(|p| std::env::split_paths(&p).find(|d| has_server(d)))
}

/// The URL of this process's throwaway cluster, started on first call; `Err` says why
/// there is none (no server binaries, or the server would not start).
pub fn throwaway_url() -> Result<String, String> {
    static CLUSTER: OnceLock<Result<String, String>> = OnceLock::new();
    CLUSTER.get_or_init(start).clone()
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// PostgreSQL refuses to run as root: as root, the server runs as the `postgres` account
/// that the package creates.
fn as_server_user(program: &Path) -> Command {
    if is_root() {
        let mut c = Command::new("setpriv");
        c.args([
            "--reuid=postgres",
            "--regid=postgres",
            "--init-groups",
            "--reset-env",
            "--",
        ])
        .arg(program);
        c
    } else {
        Command::new(program)
    }
}

fn start() -> Result<String, String> {
    let bin = server_bin_dir().ok_or("no PostgreSQL server binaries (initdb) found")?;
    // A short path: a Unix socket path must stay under 108 bytes.
    let dir = PathBuf::from(format!(
        "/tmp/jgpg-{}-{:08x}",
        std::process::id(),
        rand::random::<u32>()
    ));
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    if is_root() {
        let ok = Command::new("chown")
            .args(["postgres:postgres"])
            .arg(&dir)
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            let _ = std::fs::remove_dir_all(&dir);
            return Err(
                "running as root and there is no `postgres` account to run the server".into(),
            );
        }
    }
    let data = dir.join("data");
    let out = as_server_user(&bin.join("initdb"))
        .arg("-D")
        .arg(&data)
        .args([
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        ])
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("initdb: {e}"))?;
    if !out.status.success() {
        let _ = std::fs::remove_dir_all(&dir);
        return Err(format!(
            "initdb failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    // The watchdog: a shell that runs the server and stops it (fast shutdown) and removes
    // the folder once the test process no longer exists. `fsync = off` is safe here: only
    // the server's own crash would lose data, and a throwaway cluster has nothing to keep.
    let mut server = as_server_user(&bin.join("postgres"));
    server.arg("-D").arg(&data).arg("-k").arg(&dir).args([
        "-c",
        "listen_addresses=",
        "-c",
        "fsync=off",
        "-c",
        "full_page_writes=off",
        "-c",
        "max_connections=300",
    ]);
    let server_cmd: Vec<String> = std::iter::once(server.get_program())
        .chain(server.get_args())
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let script = r#"parent=$1; dir=$2; shift 2
"$@" >"$dir/server.log" 2>&1 &
pg=$!
while kill -0 "$parent" 2>/dev/null && kill -0 "$pg" 2>/dev/null; do sleep 0.5; done
kill -INT "$pg" 2>/dev/null
wait "$pg"
rm -rf "$dir""#;
    Command::new("sh")
        .arg("-c")
        .arg(script)
        .arg("jiaogong-pg-watchdog")
        .arg(std::process::id().to_string())
        .arg(&dir)
        .args(&server_cmd)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .map_err(|e| format!("starting the server: {e}"))?;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let ready = Command::new(bin.join("pg_isready"))
            .arg("-q")
            .arg("-h")
            .arg(&dir)
            .status()
            .is_ok_and(|s| s.success());
        if ready {
            break;
        }
        if Instant::now() > deadline {
            let log = std::fs::read_to_string(dir.join("server.log")).unwrap_or_default();
            return Err(format!("the server did not start in 30 s: {}", log.trim()));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Ok(format!(
        "postgres://postgres@localhost/postgres?host={}",
        dir.display()
    ))
}

static SKIPPED: AtomicUsize = AtomicUsize::new(0);

/// Says, past the harness's output capture, that a half of a test did not run, and counts
/// it for the summary line printed when the process exits.
pub fn not_run(what: &str, why: &str) {
    static SUMMARY: OnceLock<()> = OnceLock::new();
    SUMMARY.get_or_init(|| {
        // SAFETY: `summary` is a plain `extern "C" fn()` that only writes to stderr.
        unsafe {
            libc::atexit(summary);
        }
    });
    SKIPPED.fetch_add(1, Ordering::Relaxed);
    // `eprintln!` would be captured (and hidden) by the test harness; stderr itself is not.
    let _ = writeln!(std::io::stderr(), "SKIPPED: {what} NOT RUN: {why}");
}

extern "C" fn summary() {
    let n = SKIPPED.load(Ordering::Relaxed);
    if n > 0 {
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED: {n} test half/halves of this test binary did not run (see the SKIPPED lines above)"
        );
    }
}
