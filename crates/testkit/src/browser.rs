//! Browser tests: a real Chromium driven over WebDriver (fantoccini + Debian's
//! `chromium-driver`) against the application served on a loopback port.
//!
//! Without Chromium the tests say so and pass, unless `JIAOGONG_REQUIRE_BROWSER=1` (CI),
//! which makes a missing browser a failure. Screenshots go to `target/screenshots/`
//! (or `$CARGO_TARGET_DIR/screenshots/`), where CI lists them for reviewers.

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub struct Browser {
    pub client: Client,
    pub base: String,
    driver: Child,
    _profile: tempfile::TempDir,
}

/// How the browser looks.
#[derive(Clone, Copy, Debug)]
pub struct Setup {
    pub width: u32,
    pub height: u32,
    /// A phone: mobile emulation with touch and a device pixel ratio of 3.
    pub phone: bool,
    pub javascript: bool,
    pub lang: &'static str,
    /// The browser's default font size in CSS px (its "font size" setting; 16 when `None`):
    /// 32 is how a reader who needs 200 % text sets up a phone.
    pub font_px: Option<u32>,
}

impl Default for Setup {
    fn default() -> Self {
        Setup {
            width: 1280,
            height: 900,
            phone: false,
            javascript: true,
            lang: "zh-CN",
            font_px: None,
        }
    }
}

pub fn required() -> bool {
    std::env::var("JIAOGONG_REQUIRE_BROWSER").is_ok_and(|v| v == "1")
}

fn find_program(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    for dir in std::env::split_paths(&path) {
        for n in names {
            let p = dir.join(n);
            if p.is_file() {
                return Some(p);
            }
        }
    }
    None
}

pub fn screenshot_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    let dir = target.join("screenshots");
    let _ = std::fs::create_dir_all(&dir);
    dir
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or(9515)
}

/// Serves `router` on a loopback port; returns its base URL.
pub async fn serve(router: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("bind: {e}"));
    let addr = listener
        .local_addr()
        .unwrap_or_else(|e| panic!("addr: {e}"));
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    format!("http://{addr}")
}

/// Serves the web app over `state` on a loopback port, with each client's address known to
/// the handlers (as `jiaogong serve` runs it); returns the base URL and the server's task,
/// which the test aborts at its end. The set-up every browser scenario shares.
pub async fn serve_app(state: web::AppState) -> (String, tokio::task::JoinHandle<()>) {
    serve_router(web::app(state)).await
}

/// [`serve_app`] for a router already built (a `TestApp`'s).
pub async fn serve_router(router: axum::Router) -> (String, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("bind: {e}"));
    let addr = listener
        .local_addr()
        .unwrap_or_else(|e| panic!("addr: {e}"));
    let task = tokio::spawn(async move {
        let _ = axum::serve(
            listener,
            router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await;
    });
    (format!("http://{addr}"), task)
}

/// Loads the demo district into `st`: `members` members from `seed`, the web's today, every
/// demo login (password `store::demo::DEMO_PASSWORD`). Returns the demo's summary and the
/// (cheap, test-strength) password hasher its logins were made with.
pub async fn load_demo(
    st: &store::Store,
    members: usize,
    seed: u64,
) -> (store::demo::DemoSummary, store::auth::PasswordHasher) {
    let hasher = store::auth::PasswordHasher::new(2);
    let summary = store::demo::load(
        st,
        &domain::auth::SystemCap::for_cli(),
        Some(&hasher),
        &store::demo::DemoOptions {
            members,
            seed,
            today: web::today(),
            logins: true,
        },
    )
    .await
    .unwrap_or_else(|e| panic!("demo: {e}"));
    (summary, hasher)
}

impl Browser {
    /// Starts ChromeDriver and a fresh Chromium profile; `None` (with a notice) when they are
    /// not installed and not required.
    pub async fn start(base: &str, setup: Setup) -> Option<Browser> {
        let driver_bin = find_program(&["chromedriver"]);
        let chrome_bin = find_program(&["chromium", "chromium-browser", "google-chrome"]);
        let (Some(driver_bin), Some(chrome_bin)) = (driver_bin, chrome_bin) else {
            if required() {
                panic!("JIAOGONG_REQUIRE_BROWSER=1 but chromium / chromedriver are not installed");
            }
            crate::pg_cluster::not_run(
                "browser test",
                "install Debian's chromium and chromium-driver",
            );
            return None;
        };
        // Two crypto backends are linked (sqlx's and fantoccini's); name one.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let port = free_port();
        let driver = Command::new(&driver_bin)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("chromedriver: {e}"));
        let profile = tempfile::tempdir().unwrap_or_else(|e| panic!("profile: {e}"));
        let mut args = vec![
            "--headless=new".to_string(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-dev-shm-usage".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            "--no-first-run".into(),
            "--disable-quic".into(),
            format!("--user-data-dir={}", profile.path().display()),
            format!("--lang={}", setup.lang),
        ];
        if !setup.phone {
            args.push(format!("--window-size={},{}", setup.width, setup.height));
        }
        let mut opts = json!({
            "binary": chrome_bin.display().to_string(),
            "args": args,
            "prefs": { "intl.accept_languages": setup.lang }
        });
        if setup.phone {
            opts["mobileEmulation"] = json!({
                "deviceMetrics": { "width": setup.width, "height": setup.height, "pixelRatio": 3.0, "touch": true },
                "userAgent": "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0 Mobile Safari/537.36"
            });
        }
        if let Some(px) = setup.font_px {
            opts["prefs"]["webkit.webprefs.default_font_size"] = json!(px);
        }
        if !setup.javascript {
            opts["prefs"]["profile.managed_default_content_settings.javascript"] = json!(2);
        }
        let mut caps = serde_json::Map::new();
        caps.insert("goog:chromeOptions".into(), opts);
        caps.insert("unhandledPromptBehavior".into(), json!("ignore"));
        let url = format!("http://127.0.0.1:{port}");
        let mut last_err = String::new();
        for _ in 0..50 {
            let mut b = match ClientBuilder::rustls() {
                Ok(b) => b,
                Err(e) => panic!("webdriver client: {e}"),
            };
            match b.capabilities(caps.clone()).connect(&url).await {
                Ok(client) => {
                    return Some(Browser {
                        client,
                        base: base.to_string(),
                        driver,
                        _profile: profile,
                    });
                }
                Err(e) => {
                    last_err = e.to_string();
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            }
        }
        panic!("could not start Chromium through ChromeDriver: {last_err}");
    }

    pub async fn goto(&self, path: &str) {
        self.client
            .goto(&format!("{}{path}", self.base))
            .await
            .unwrap_or_else(|e| panic!("goto {path}: {e}"));
    }

    pub async fn find(&self, css: &str) -> fantoccini::elements::Element {
        self.client
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("find {css}: {e}"))
    }

    pub async fn texts(&self, css: &str) -> Vec<String> {
        let mut out = Vec::new();
        for e in self
            .client
            .find_all(Locator::Css(css))
            .await
            .unwrap_or_default()
        {
            out.push(e.text().await.unwrap_or_default());
        }
        out
    }

    pub async fn fill(&self, css: &str, text: &str) {
        let e = self.find(css).await;
        let _ = e.clear().await;
        e.send_keys(text)
            .await
            .unwrap_or_else(|err| panic!("type into {css}: {err}"));
    }

    pub async fn click(&self, css: &str) {
        self.find(css)
            .await
            .click()
            .await
            .unwrap_or_else(|e| panic!("click {css}: {e}"));
    }

    /// Waits until `cond` (a JavaScript expression) is true.
    pub async fn wait_js(&self, cond: &str) {
        let script = format!("return !!({cond});");
        for _ in 0..100 {
            if self
                .client
                .execute(&script, vec![])
                .await
                .ok()
                .and_then(|v| v.as_bool())
                == Some(true)
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("timed out waiting for {cond}");
    }

    /// Waits until the page's path is `path` (and the document is loaded).
    pub async fn wait_path(&self, pred: impl Fn(&str) -> bool) {
        for _ in 0..100 {
            if let Ok(u) = self.client.current_url().await
                && pred(u.path())
            {
                let ready = self
                    .client
                    .execute("return document.readyState", vec![])
                    .await
                    .ok();
                if ready.as_ref().and_then(|v| v.as_str()) == Some("complete") {
                    return;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let u = self
            .client
            .current_url()
            .await
            .map(|u| u.to_string())
            .unwrap_or_default();
        panic!("timed out waiting for a page; at {u}");
    }

    pub async fn login(&self, username: &str, password: &str) {
        self.goto("/login").await;
        self.fill("#username", username).await;
        self.fill("#password", password).await;
        self.click("form[action='/login'] button[type=submit]")
            .await;
        self.wait_path(|p| p != "/login").await;
    }

    pub async fn screenshot(&self, name: &str) {
        if let Ok(png) = self.client.screenshot().await {
            let _ = std::fs::write(screenshot_dir().join(format!("{name}.png")), png);
        }
    }

    /// The page scrolls sideways (something is wider than the viewport).
    pub async fn scrolls_sideways(&self) -> bool {
        self.client
            .execute(
                "return document.documentElement.scrollWidth > window.innerWidth + 1",
                vec![],
            )
            .await
            .ok()
            .and_then(|v| v.as_bool())
            .unwrap_or(true)
    }

    pub async fn close(mut self) {
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// The vocabulary of scenario tests: go, fill, click and wait, read.
pub struct Steps<'a> {
    pub b: &'a Browser,
}

impl Steps<'_> {
    pub async fn go(&self, path: &str) {
        self.b.goto(path).await;
    }

    /// Sets a field by id through the page (dates and selects without locale trouble).
    pub async fn set(&self, id: &str, value: &str) {
        self.b
            .client
            .execute(
                "const e = document.getElementById(arguments[0]); e.value = arguments[1]; e.dispatchEvent(new Event('input', {bubbles: true}));",
                vec![json!(id), json!(value)],
            )
            .await
            .unwrap_or_else(|e| panic!("set {id}: {e}"));
    }

    pub async fn js(&self, script: &str) -> Value {
        self.b
            .client
            .execute(script, vec![])
            .await
            .unwrap_or(Value::Null)
    }

    /// Waits until the page marked before a click has been replaced and has loaded.
    pub async fn wait_new_page(&self) {
        self.b
            .wait_js("(window.__jg === undefined) && document.readyState === 'complete'")
            .await;
    }

    pub async fn first(&self, css: &str) -> fantoccini::elements::Element {
        self.b
            .client
            .find(fantoccini::Locator::Css(css))
            .await
            .unwrap_or_else(|_| panic!("nothing matches {css}"))
    }

    /// Ticks a checkbox or radio button (no page change).
    pub async fn check(&self, css: &str) {
        self.first(css)
            .await
            .click()
            .await
            .unwrap_or_else(|e| panic!("click {css}: {e}"));
    }

    /// Clicks something that loads a new page, and waits for it.
    pub async fn click(&self, css: &str) {
        let el = self.first(css).await;
        self.js("window.__jg = 1").await;
        el.click()
            .await
            .unwrap_or_else(|e| panic!("click {css}: {e}"));
        self.wait_new_page().await;
    }

    /// Clicks a button whose form asks for confirmation, confirms, and waits for the page.
    pub async fn click_confirm(&self, css: &str) {
        let el = self.first(css).await;
        self.js("window.__jg = 1").await;
        // The click returns while the dialog is open.
        let _ = el.click().await;
        for _ in 0..40 {
            if self.b.client.accept_alert().await.is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        self.wait_new_page().await;
    }

    pub async fn text(&self, css: &str) -> String {
        self.b
            .texts(css)
            .await
            .into_iter()
            .map(|t| t + "\n")
            .collect()
    }

    pub async fn count(&self, css: &str) -> usize {
        self.b
            .client
            .find_all(fantoccini::Locator::Css(css))
            .await
            .map(|v| v.len())
            .unwrap_or(0)
    }

    pub async fn flash(&self) -> String {
        self.text(".flash").await
    }

    pub async fn path(&self) -> String {
        self.b
            .client
            .current_url()
            .await
            .map(|u| u.path().to_string())
            .unwrap_or_default()
    }

    pub async fn login(&self, user: &str) {
        self.login_with(user, crate::app::PASSWORD).await;
    }

    /// Logs in with another password (the demo district's).
    pub async fn login_with(&self, user: &str, password: &str) {
        let _ = self.b.client.delete_all_cookies().await;
        self.go("/login").await;
        self.set("username", user).await;
        self.set("password", password).await;
        self.click("form[action='/login'] button[type=submit]")
            .await;
        assert!(
            !self.path().await.starts_with("/login"),
            "{user} could not log in"
        );
    }
}

/// Runs a browser scenario on a thread of its own with a larger stack: a whole scenario is
/// one long future, and an unoptimised build needs more than the test thread's 2 MiB for
/// it. On PostgreSQL without a configured server the scenario is skipped with a notice
/// (see [`crate::postgres`]).
pub fn on_big_stack<F>(postgres: bool, scenario: F)
where
    F: FnOnce(crate::TestDb) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()>>>
        + Send
        + 'static,
{
    let h = std::thread::Builder::new()
        .stack_size(16 * 1024 * 1024)
        .spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .thread_stack_size(8 * 1024 * 1024)
                .enable_all()
                .build()
                .unwrap_or_else(|e| panic!("runtime: {e}"));
            rt.block_on(async move {
                let t = if postgres {
                    match crate::postgres().await {
                        Some(t) => t,
                        None => return,
                    }
                } else {
                    crate::sqlite().await
                };
                scenario(t).await;
            });
        })
        .unwrap_or_else(|e| panic!("thread: {e}"));
    if let Err(e) = h.join() {
        std::panic::resume_unwind(e);
    }
}
