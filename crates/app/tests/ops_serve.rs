//! `jiaogong serve` as operations run it (issue 24), through the real binary:
//!
//! - with `log = "json"` every request is one JSON line with what a log shipper needs —
//!   time, level, route template, status, latency and the request id — and nothing
//!   personal (no name, no password, no cookie, no token, no query string);
//! - two `serve` processes on one PostgreSQL behind nginx, with the proxy configuration of
//!   `docs/DEPLOY.md` (read from `docs/nginx-jiaogong.conf`, the file the guide includes):
//!   a login made through one process goes on through the other, votes go through both,
//!   and the live turnout of either process counts the votes of both (LISTEN/NOTIFY).
//!   Without nginx or PostgreSQL the test says SKIPPED, unless `JIAOGONG_REQUIRE_PG=1` /
//!   `JIAOGONG_REQUIRE_NGINX=1` (CI) make it fail.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// base64 of `testkit::TEST_KEY`.
const KEY_B64: &str = "KioqKioqKioqKioqKioqKioqKioqKioqKioqKioqKio=";

fn jiaogong(dir: &Path, url: &str) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_jiaogong"));
    c.current_dir(dir)
        .env("JIAOGONG_DATA_DIR", dir.join("data"))
        .env("JIAOGONG_KEY", KEY_B64)
        .env("JIAOGONG_DATABASE_URL", url)
        .env_remove("JIAOGONG_LOG")
        .env_remove("JIAOGONG_LOG_FORMAT");
    c
}

fn demo(dir: &Path, url: &str, members: &str) {
    let o = jiaogong(dir, url)
        .args(["demo", "--members", members, "--seed", "5"])
        .env("JIAOGONG_LOG", "warn")
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A `serve` process whose output goes to a file; killed when dropped.
struct Server {
    child: Child,
    log: PathBuf,
    port: u16,
}

impl Server {
    fn start(dir: &Path, url: &str, name: &str, envs: &[(&str, &str)]) -> Server {
        let port = free_port();
        let log = dir.join(format!("{name}.log"));
        let out = std::fs::File::create(&log).unwrap();
        let err = out.try_clone().unwrap();
        let mut c = jiaogong(dir, url);
        c.args(["serve", "--bind", &format!("127.0.0.1:{port}")])
            .stdout(Stdio::from(out))
            .stderr(Stdio::from(err));
        for (k, v) in envs {
            c.env(k, v);
        }
        let child = c.spawn().unwrap();
        let s = Server { child, log, port };
        s.wait_healthy();
        s
    }

    fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn wait_healthy(&self) {
        let until = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", self.port)) {
                use std::io::Write;
                let _ = s.write_all(b"GET /healthz HTTP/1.0\r\nHost: x\r\n\r\n");
                let mut buf = String::new();
                let _ = s.read_to_string(&mut buf);
                if buf.starts_with("HTTP/1.0 200") || buf.starts_with("HTTP/1.1 200") {
                    return;
                }
            }
            assert!(
                Instant::now() < until,
                "serve did not start: {}",
                self.output()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn output(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Logs in; the session cookie (`name=value`).
async fn login(base: &str, user: &str) -> String {
    let r = client()
        .post(format!("{base}/login"))
        .form(&[("username", user), ("password", store::demo::DEMO_PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303, "login of {user}");
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("jg_session="))
        .and_then(|v| v.split(';').next())
        .unwrap_or_else(|| panic!("no session cookie for {user}"))
        .to_string()
}

async fn get(base: &str, path: &str, cookie: &str) -> (u16, String) {
    let r = client()
        .get(format!("{base}{path}"))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    let s = r.status().as_u16();
    (s, r.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_logs_give_one_line_per_request_with_the_route_and_nothing_personal() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let url = format!("sqlite://{}", d.join("j.db").display());
    demo(d, &url, "60");
    let s = Server::start(d, &url, "json", &[("JIAOGONG_LOG", "json")]);
    let base = s.base();
    let cookie = login(&base, "chair").await;
    let (status, _) = get(&base, "/members?q=%E5%BC%A0", &cookie).await;
    assert_eq!(status, 200);
    let (status, list) = get(&base, "/members", &cookie).await;
    assert_eq!(status, 200, "{list}");
    // A member of the list, by id: the path has the id, the log line the template.
    let id = list
        .split("href=\"/members/")
        .skip(1)
        .find_map(|t| t.split('"').next().and_then(|t| t.parse::<i64>().ok()))
        .expect("a member link on the list");
    let (status, page) = get(&base, &format!("/members/{id}"), &cookie).await;
    assert_eq!(status, 200);
    // A missing page: a warning-free 404 line too.
    let (status, _) = get(&base, "/no-such-page", &cookie).await;
    assert_eq!(status, 404);
    std::thread::sleep(Duration::from_millis(300));
    let out = s.output();

    let lines: Vec<serde_json::Value> = out
        .lines()
        // The start-up banner (the address, a first-run link) is plain text for the person
        // starting the server; every log line is one JSON object.
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let line = lines
        .iter()
        .find(|l| l["message"] == "request" && l["route"] == "/members/{id}")
        .unwrap_or_else(|| panic!("no request line for /members/{{id}}: {out}"));
    for field in [
        "timestamp",
        "level",
        "route",
        "status",
        "ms",
        "request_id",
        "method",
    ] {
        assert!(line.get(field).is_some(), "{field} missing: {line}");
    }
    assert_eq!(line["level"], "INFO");
    assert_eq!(line["status"], 200);
    assert!(line["ms"].is_u64(), "{line}");
    assert!(
        chrono::DateTime::parse_from_rfc3339(line["timestamp"].as_str().unwrap()).is_ok(),
        "{line}"
    );
    assert!(line["request_id"].as_str().is_some_and(|r| r.len() >= 8));
    let unmatched = lines
        .iter()
        .find(|l| l["message"] == "request" && l["status"] == 404)
        .expect("the 404 line");
    assert_eq!(unmatched["route"], "unmatched");

    // Nothing personal anywhere in the log: not the member's name or ID number as the page
    // shows them, not the password, the session cookie, the search typed.
    let name = page
        .split("<h1>")
        .nth(1)
        .and_then(|t| t.split('<').next())
        .unwrap()
        .trim()
        .to_string();
    assert!(!name.is_empty());
    let secret = cookie.split_once('=').unwrap().1;
    for (what, v) in [
        ("the member's name", name.as_str()),
        ("the password", store::demo::DEMO_PASSWORD),
        ("the session cookie", secret),
        ("the search typed", "张"),
        ("the search, encoded", "%E5%BC%A0"),
    ] {
        assert!(!out.contains(v), "the log holds {what}: {out}");
    }
    // No ID number (18 characters, digits with a possible X) in any line.
    for l in out.lines() {
        let digits: Vec<char> = l.chars().collect();
        for w in digits.windows(18) {
            let id_like = w[..17].iter().all(char::is_ascii_digit)
                && (w[17].is_ascii_digit() || w[17] == 'X');
            assert!(!id_like, "an ID number in the log: {l}");
        }
    }
}

// ------------------------------------------------------------------ two servers, nginx

/// The nginx configuration of `docs/DEPLOY.md` (its one ```nginx block), made to run here:
/// the two upstream ports, loopback listeners and a throwaway certificate put in place of
/// the guide's. Every replacement must find its text exactly once, so a guide that changes
/// shape fails this test instead of silently testing something else.
fn deploy_nginx_config(
    backends: [u16; 2],
    tls: u16,
    plain: u16,
    cert: &Path,
    key: &Path,
) -> String {
    let guide =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/DEPLOY.md"))
            .unwrap();
    let start = guide
        .find("```nginx\n")
        .expect("an nginx block in docs/DEPLOY.md")
        + "```nginx\n".len();
    let len = guide[start..].find("```").unwrap();
    let mut conf = guide[start..start + len].to_string();
    for (from, to) in [
        (
            "server 127.0.0.1:8080;",
            format!("server 127.0.0.1:{};", backends[0]),
        ),
        (
            "server 127.0.0.1:8081;",
            format!("server 127.0.0.1:{};", backends[1]),
        ),
        (
            "listen 443 ssl http2;",
            format!("listen 127.0.0.1:{tls} ssl http2;"),
        ),
        ("listen 80;", format!("listen 127.0.0.1:{plain};")),
        (
            "/etc/ssl/jiaogong/fullchain.pem",
            cert.display().to_string(),
        ),
        ("/etc/ssl/jiaogong/privkey.pem", key.display().to_string()),
    ] {
        assert_eq!(
            conf.matches(from).count(),
            1,
            "docs/DEPLOY.md's nginx block should hold {from:?} once"
        );
        conf = conf.replace(from, &to);
    }
    conf
}

/// nginx in the foreground with the guide's site configuration; stopped when dropped.
struct Nginx {
    child: Child,
    dir: PathBuf,
}

impl Nginx {
    fn start(dir: &Path, site: &str) -> Nginx {
        let dir = dir.join("nginx");
        for d in ["", "tmp"] {
            std::fs::create_dir_all(dir.join(d)).unwrap();
        }
        std::fs::write(dir.join("site.conf"), site).unwrap();
        let root = std::fs::read_to_string("/proc/self/status")
            .unwrap_or_default()
            .lines()
            .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(1) == Some("0"));
        let d = dir.display();
        let main = format!(
            "{user}daemon off;\nworker_processes 1;\npid {d}/nginx.pid;\nerror_log {d}/error.log warn;\nevents {{ worker_connections 512; }}\nhttp {{\n  access_log {d}/access.log;\n  client_body_temp_path {d}/tmp/body;\n  proxy_temp_path {d}/tmp/proxy;\n  fastcgi_temp_path {d}/tmp/fastcgi;\n  uwsgi_temp_path {d}/tmp/uwsgi;\n  scgi_temp_path {d}/tmp/scgi;\n  include {d}/site.conf;\n}}\n",
            user = if root { "user root;\n" } else { "" }
        );
        std::fs::write(dir.join("nginx.conf"), main).unwrap();
        let check = Command::new("nginx")
            .args(["-t", "-p"])
            .arg(&dir)
            .arg("-c")
            .arg(dir.join("nginx.conf"))
            .arg("-e")
            .arg(dir.join("error.log"))
            .output()
            .unwrap();
        assert!(
            check.status.success(),
            "nginx -t: {}",
            String::from_utf8_lossy(&check.stderr)
        );
        let child = Command::new("nginx")
            .arg("-p")
            .arg(&dir)
            .arg("-c")
            .arg(dir.join("nginx.conf"))
            .arg("-e")
            .arg(dir.join("error.log"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        Nginx { child, dir }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("error.log")).unwrap_or_default()
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        // SIGQUIT would wait for the event streams; TERM is the fast stop.
        let _ = Command::new("kill")
            .arg(self.child.id().to_string())
            .status();
        let _ = self.child.wait();
    }
}

fn nginx_required() -> bool {
    ["JIAOGONG_REQUIRE_NGINX", "JIAOGONG_REQUIRE_BROWSER"]
        .iter()
        .any(|k| std::env::var(k).is_ok_and(|v| v == "1"))
}

/// A fresh database on the test PostgreSQL server, or why there is none.
async fn pg_database(name: &str) -> Result<String, String> {
    let server = tokio::task::spawn_blocking(testkit::pg_server)
        .await
        .map_err(|e| e.to_string())??;
    let admin = store::Db::connect(
        &server,
        &store::DbOptions {
            max_connections: 1,
            pg_schema: None,
        },
    )
    .await
    .map_err(|e| e.to_string())?;
    let sql = format!("CREATE DATABASE {name}");
    store::on_db!(&admin, |p| sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
        .execute(p)
        .await
        .map(|_| ()))
    .map_err(|e| e.to_string())?;
    admin.close().await;
    let (base, query) = server.split_once('?').unwrap_or((&server, ""));
    let (host, _) = base.rsplit_once('/').unwrap();
    Ok(if query.is_empty() {
        format!("{host}/{name}")
    } else {
        format!("{host}/{name}?{query}")
    })
}

/// A congress hall on PostgreSQL, as the voting tests make it, and a chair who logs in
/// with a password: (hall, open polls).
async fn pg_hall(
    url: &str,
    delegates: usize,
    polls: usize,
) -> (testkit::hall::Hall, Vec<domain::voting::PollId>) {
    let db = store::Db::connect(
        url,
        &store::DbOptions {
            max_connections: 4,
            pg_schema: None,
        },
    )
    .await
    .unwrap();
    db.migrate().await.unwrap();
    let st = store::Store::new(db, store::Cipher::new(&testkit::TEST_KEY));
    st.check_key().await.unwrap();
    let org = testkit::org(&st).await;
    let school = org.school_a;
    let hall = testkit::hall::hall_in(&st, org, delegates, 0, delegates).await;
    let mut open = Vec::new();
    for _ in 0..polls {
        open.push(testkit::hall::open_motion(&st, &hall, "secret").await);
    }
    let sys = domain::auth::SystemCap::for_cli();
    let hash = store::auth::PasswordHasher::new(1)
        .hash(CHAIR_PASSWORD)
        .await
        .unwrap();
    let chair = store::auth::create_account_system(
        &sys,
        &st,
        &testkit::who(),
        &store::auth::NewAccount {
            username: "hallchair".into(),
            display_name: "hall chair".into(),
            member: None,
            password_hash: Some(hash),
        },
    )
    .await
    .unwrap();
    store::auth::grant_system(
        &sys,
        &st,
        &testkit::who(),
        chair,
        domain::auth::Role::SchoolChair,
        school,
    )
    .await
    .unwrap();
    st.db.close().await;
    (hall, open)
}

const CHAIR_PASSWORD: &str = "hall-chair-password";

fn tls_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .danger_accept_invalid_certs(true)
        .build()
        .unwrap()
}

async fn login_with(c: &reqwest::Client, base: &str, user: &str, password: &str) -> String {
    let r = c
        .post(format!("{base}/login"))
        .form(&[("username", user), ("password", password)])
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status().as_u16(),
        303,
        "login of {user} at {base}: {}",
        r.text().await.unwrap_or_default()
    );
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("jg_session="))
        .and_then(|v| v.split(';').next())
        .unwrap()
        .to_string()
}

/// Casts a card-code ballot; true when the receipt says it is stored.
async fn cast(c: &reqwest::Client, base: &str, code: &str, poll: domain::voting::PollId) -> bool {
    let r = c
        .post(format!("{base}/vote"))
        .header("accept-language", "zh-CN")
        .form(&[
            ("code", code),
            ("poll", &poll.0.to_string()),
            ("step", "cast"),
            ("choice", "yes"),
        ])
        .send()
        .await
        .unwrap();
    let s = r.status().as_u16();
    let body = r.text().await.unwrap();
    s == 200 && body.contains("id=\"receipt\"") && body.contains("安全保存")
}

/// An event stream of a poll's turnout: the `voted` counts as they arrive.
struct Turnout {
    r: reqwest::Response,
    buf: String,
}

impl Turnout {
    async fn open(
        c: &reqwest::Client,
        base: &str,
        poll: domain::voting::PollId,
        cookie: &str,
    ) -> Turnout {
        let r = c
            .get(format!("{base}/polls/{}/events", poll.0))
            .header("cookie", cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 200, "events at {base}");
        let ct = r
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        assert!(ct.starts_with("text/event-stream"), "{ct}");
        Turnout {
            r,
            buf: String::new(),
        }
    }

    /// Waits until an event says at least `n` voted; the count it said.
    async fn until(&mut self, n: u64, within: Duration) -> u64 {
        let end = tokio::time::Instant::now() + within;
        let mut last = 0;
        loop {
            while let Some(i) = self.buf.find("\n\n") {
                let event: String = self.buf.drain(..i + 2).collect();
                if let Some(v) = event
                    .lines()
                    .find_map(|l| l.strip_prefix("data:"))
                    .and_then(|d| serde_json::from_str::<serde_json::Value>(d.trim()).ok())
                    .and_then(|v| v["voted"].as_u64())
                {
                    last = v;
                    if v >= n {
                        return v;
                    }
                }
            }
            match tokio::time::timeout_at(end, self.r.chunk()).await {
                Ok(Ok(Some(b))) => self.buf.push_str(&String::from_utf8_lossy(&b)),
                _ => return last,
            }
        }
    }
}

fn self_signed(dir: &Path) -> (PathBuf, PathBuf) {
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    let o = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
            "-keyout",
        ])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "openssl: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    (cert, key)
}

/// What `serve` gets in the guide's configuration file, as environment.
const DEPLOY_ENV: [(&str, &str); 3] = [
    ("JIAOGONG_SECURE_COOKIES", "true"),
    ("JIAOGONG_TRUSTED_PROXIES", "[\"127.0.0.1\"]"),
    ("JIAOGONG_LOG", "warn"),
];

/// Whether the tools are here; says SKIPPED (or fails when required) when not.
fn have_nginx() -> bool {
    let found = Command::new("nginx")
        .arg("-v")
        .output()
        .is_ok_and(|o| o.status.success())
        && Command::new("openssl")
            .arg("version")
            .output()
            .is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            !nginx_required(),
            "JIAOGONG_REQUIRE_NGINX=1 (or the CI's REQUIRE_BROWSER) but nginx or openssl is missing: apt install nginx openssl"
        );
        testkit::pg_cluster::not_run(
            "two serve processes behind nginx",
            "nginx or openssl is not installed (apt install nginx openssl)",
        );
    }
    found
}

fn tag() -> String {
    format!(
        "{}_{:08x}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos()
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_on_one_postgresql_behind_the_guides_nginx_serve_one_meeting_together() {
    if !have_nginx() {
        return;
    }
    let url = match pg_database(&format!("two_{}", tag())).await {
        Ok(u) => u,
        Err(why) => {
            assert!(!testkit::pg_required(), "no PostgreSQL: {why}");
            testkit::pg_cluster::not_run("two serve processes on one PostgreSQL", &why);
            return;
        }
    };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (hall, polls) = pg_hall(&url, 40, 1).await;
    let poll = polls[0];
    let one = Server::start(d, &url, "one", &DEPLOY_ENV);
    let two = Server::start(d, &url, "two", &DEPLOY_ENV);
    let (cert, key) = self_signed(d);
    let (tls, plain) = (free_port(), free_port());
    let nginx = Nginx::start(
        d,
        &deploy_nginx_config([one.port, two.port], tls, plain, &cert, &key),
    );
    let front = format!("https://127.0.0.1:{tls}");
    let c = tls_client();
    let until = Instant::now() + Duration::from_secs(20);
    while c
        .get(format!("{front}/healthz"))
        .send()
        .await
        .ok()
        .map(|r| r.status().as_u16())
        != Some(200)
    {
        assert!(
            Instant::now() < until,
            "nginx did not answer: {}",
            nginx.log()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // Plain HTTP is sent to HTTPS.
    let r = client()
        .get(format!("http://127.0.0.1:{plain}/congress"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 301);
    assert!(
        r.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("https://")
    );

    // Logged in on one process, the session goes on on the other (sessions live in the
    // database), and through the proxy whichever process answers.
    let cookie = login_with(&c, &one.base(), "hallchair", CHAIR_PASSWORD).await;
    let meeting = format!("/congress/meetings/{}", hall.meeting.0);
    for base in [two.base(), one.base(), front.clone(), front.clone()] {
        let r = c
            .get(format!("{base}{meeting}"))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 200, "{base}{meeting}");
    }
    // A login through the proxy sets a Secure cookie (secure_cookies behind TLS).
    let r = c
        .post(format!("{front}/login"))
        .form(&[("username", "hallchair"), ("password", CHAIR_PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    let set = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("jg_session="))
        .unwrap()
        .to_string();
    assert!(set.contains("Secure") && set.contains("HttpOnly"), "{set}");

    // Live turnout on each process directly and through the proxy (buffering off).
    let mut streams = Vec::new();
    for base in [one.base(), two.base(), front.clone()] {
        let mut t = Turnout::open(&c, &base, poll, &cookie).await;
        assert_eq!(
            t.until(0, Duration::from_secs(5)).await,
            0,
            "the first event of {base}"
        );
        streams.push((base, t));
    }

    // Votes through both processes and through the proxy.
    let codes: Vec<&str> = hall.delegates.iter().map(|x| x.2.as_str()).collect();
    let mut stored = 0u64;
    for (i, code) in codes.iter().take(30).enumerate() {
        let base = match i % 3 {
            0 => one.base(),
            1 => two.base(),
            _ => front.clone(),
        };
        assert!(
            cast(&c, &base, code, poll).await,
            "ballot {i} through {base}"
        );
        stored += 1;
    }
    // Every stream counts every ballot, whichever process took it (LISTEN/NOTIFY).
    for (base, t) in &mut streams {
        let seen = t.until(stored, Duration::from_secs(15)).await;
        assert_eq!(seen, stored, "turnout on {base}");
    }
    // A second ballot of the same card is refused on the other process.
    let again = c
        .post(format!("{}/vote", two.base()))
        .header("accept-language", "zh-CN")
        .form(&[
            ("code", codes[0]),
            ("poll", &poll.0.to_string()),
            ("step", "cast"),
            ("choice", "no"),
        ])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(again.contains("第一次"), "the first ballot stands");
    drop(streams);
    drop(nginx);
    for s in [&one, &two] {
        let out = s.output();
        assert!(!out.contains("panicked"), "{out}");
    }
}

/// Ballots per second through one `serve` process and through two on the same
/// PostgreSQL, with `GET /healthz` on the same connections as the ceiling, each for the
/// same time (a figure for BENCHMARKS.md, not a check):
///
/// ```sh
/// JIAOGONG_REQUIRE_PG=1 cargo test --workspace --test ops_serve -- --ignored --nocapture ballot_rate
/// ```
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a benchmark: run it with --ignored"]
async fn ballot_rate_with_one_and_two_processes() {
    const DELEGATES: usize = 3000;
    const POLLS_PER_STEP: usize = 4;
    const CONNS: usize = 32;
    let secs: u64 = std::env::var("BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(8);
    let url = match pg_database(&format!("rate_{}", tag())).await {
        Ok(u) => u,
        Err(why) => {
            assert!(!testkit::pg_required(), "no PostgreSQL: {why}");
            testkit::pg_cluster::not_run("ballot rate", &why);
            return;
        }
    };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (hall, polls) = pg_hall(&url, DELEGATES, POLLS_PER_STEP * 2).await;
    let one = Server::start(d, &url, "one", &DEPLOY_ENV);
    let two = Server::start(d, &url, "two", &DEPLOY_ENV);
    let codes: Vec<String> = hall.delegates.iter().map(|x| x.2.clone()).collect();

    /// `CONNS` clients spread over `bases`, each sending its share of `work` (or the health
    /// check round and round) until `secs` have passed: (requests answered as expected, s).
    async fn run(bases: Vec<String>, work: Option<Vec<(String, i64)>>, secs: u64) -> (usize, f64) {
        let work = std::sync::Arc::new(work);
        let next = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let start = Instant::now();
        let end = start + Duration::from_secs(secs);
        let mut tasks = Vec::new();
        for i in 0..CONNS {
            let base = bases[i % bases.len()].clone();
            let (work, next) = (work.clone(), next.clone());
            tasks.push(tokio::spawn(async move {
                let c = reqwest::Client::builder()
                    .pool_max_idle_per_host(1)
                    .build()
                    .unwrap();
                let mut ok = 0usize;
                while Instant::now() < end {
                    match work.as_ref() {
                        None => {
                            if c.get(format!("{base}/healthz"))
                                .send()
                                .await
                                .is_ok_and(|r| r.status().as_u16() == 200)
                            {
                                ok += 1;
                            }
                        }
                        Some(w) => {
                            let k = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                            let Some((code, poll)) = w.get(k) else { break };
                            if cast(&c, &base, code, domain::voting::PollId(*poll)).await {
                                ok += 1;
                            }
                        }
                    }
                }
                ok
            }));
        }
        let mut n = 0;
        for t in tasks {
            n += t.await.unwrap();
        }
        (n, start.elapsed().as_secs_f64())
    }
    let ballots = |ps: &[domain::voting::PollId]| -> Vec<(String, i64)> {
        (0..DELEGATES * ps.len())
            .map(|i| (codes[i / ps.len()].clone(), ps[i % ps.len()].0))
            .collect()
    };
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(0);
    let build = if cfg!(debug_assertions) {
        "debug"
    } else {
        "release"
    };
    println!(
        "{build} build, {cores} cores shared by the clients, both servers and PostgreSQL; {CONNS} connections, {secs} s per step"
    );
    run(vec![one.base()], None, 1).await;
    let (h1, s) = run(vec![one.base()], None, secs).await;
    println!("ceiling, one process:  GET /healthz {:.0}/s", h1 as f64 / s);
    let (b1, s) = run(
        vec![one.base()],
        Some(ballots(&polls[..POLLS_PER_STEP])),
        secs,
    )
    .await;
    let r1 = b1 as f64 / s;
    println!(
        "ballots, one process:  {b1} in {s:.1} s = {r1:.0}/s ({:.0} % of the ceiling)",
        100.0 * r1 / (h1 as f64 / s)
    );
    let (h2, s) = run(vec![one.base(), two.base()], None, secs).await;
    println!(
        "ceiling, two processes: GET /healthz {:.0}/s",
        h2 as f64 / s
    );
    let (b2, s) = run(
        vec![one.base(), two.base()],
        Some(ballots(&polls[POLLS_PER_STEP..])),
        secs,
    )
    .await;
    let r2 = b2 as f64 / s;
    println!(
        "ballots, two processes: {b2} in {s:.1} s = {r2:.0}/s ({:.0} % of the ceiling; {:.2}× one process)",
        100.0 * r2 / (h2 as f64 / s),
        r2 / r1
    );
    assert!(b1 > 0 && b2 > 0);
}
