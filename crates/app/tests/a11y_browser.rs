//! Issue 25, items 15 and 16, in a real browser against the demo district: every page of the
//! menu of each role of the demo walk (union staff, a school chair, a delegate, a member, a
//! department) is
//! - checked by axe-core, failing on any violation of impact `serious` or `critical`, and on
//!   a skipped heading level (moderate to axe, but found by the issue), and so are the pages
//!   of a meeting, its polls, a poll, a member and a proposal as union staff see them;
//! - shown on a 375 px phone in English with the header on one line, the breadcrumbs on the
//!   content's left edge, dates on one line and nothing running off the screen;
//!
//! and the label/value lists of `/me`, a meeting and a poll fit a phone whose browser is set
//! to 200 % text (a default font of 32 px: body text follows the setting).
//!
//! Needs `chromedriver` and `chromium`, and for the axe walk axe-core from npm (`.ci/run`
//! installs it under `$CARGO_TARGET_DIR/axe`; `JIAOGONG_AXE_JS` names another `axe.min.js`).
//! Without them each test says SKIPPED and passes, unless `JIAOGONG_REQUIRE_BROWSER=1`.

use serde_json::{Value, json};
use std::path::PathBuf;
use store::demo::DEMO_PASSWORD;
use testkit::browser::{Browser, Setup, Steps as B};

/// The demo logins of the walk, one per role.
const WALK: [&str; 5] = ["staff", "chair", "delegate", "member", "dept"];

const AXE_VERSION: &str = "4.14.1";

/// The demo district served on a loopback port. 600 members give every login of the walk;
/// the demo's polls need a first school of 20 delegates, 1,500 members.
async fn district(t: &testkit::TestDb, members: usize) -> (String, tokio::task::JoinHandle<()>) {
    let (summary, hasher) = testkit::browser::load_demo(&t.store, members, 7).await;
    for who in WALK {
        assert!(
            summary.logins.iter().any(|l| l.username == who),
            "the demo has no login {who}"
        );
    }
    let state = web::AppState::new(t.store.clone(), hasher, web::WebConfig::default());
    testkit::browser::serve_app(state).await
}

/// Logs in and returns the landing page and every page of the menu, in menu order.
async fn walk_of(b: &B<'_>, who: &str) -> Vec<String> {
    b.login_with(who, DEMO_PASSWORD).await;
    let mut pages = vec![b.path().await];
    let menu = b
        .js("return [...document.querySelectorAll('#menu a[href]')].map(a => a.getAttribute('href'))")
        .await;
    for h in menu.as_array().into_iter().flatten() {
        if let Some(h) = h.as_str()
            && h.starts_with('/')
            && !pages.iter().any(|p| p == h)
        {
            pages.push(h.to_string());
        }
    }
    eprintln!("walk of {who}: {pages:?}");
    pages
}

/// Where axe-core's `axe.min.js` is: `$JIAOGONG_AXE_JS`, or where `.ci/run` installs it.
fn axe_js() -> Option<PathBuf> {
    let mut places: Vec<PathBuf> = Vec::new();
    if let Some(p) = std::env::var_os("JIAOGONG_AXE_JS") {
        places.push(p.into());
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    places.push(target.join("axe/node_modules/axe-core/axe.min.js"));
    places.into_iter().find(|p| p.is_file())
}

fn on_big_stack(
    scenario: fn(testkit::TestDb) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()>>>,
) {
    testkit::browser::on_big_stack(false, scenario);
}

#[test]
fn axe_finds_nothing_serious_on_any_page_of_the_demo_walk() {
    on_big_stack(|t| Box::pin(axe_walk(t)));
}

#[test]
fn on_a_phone_in_english_the_header_is_one_line_crumbs_align_and_dates_hold() {
    on_big_stack(|t| Box::pin(phone_walk(t)));
}

#[test]
fn at_200_percent_text_on_a_phone_the_label_value_lists_fit_the_screen() {
    on_big_stack(|t| Box::pin(large_text(t)));
}

async fn axe_walk(t: testkit::TestDb) {
    let Some(axe) = axe_js() else {
        let how = format!(
            "install axe-core: npm install --prefix \"$CARGO_TARGET_DIR/axe\" axe-core@{AXE_VERSION} (or set JIAOGONG_AXE_JS to axe.min.js)"
        );
        if testkit::browser::required() {
            panic!("JIAOGONG_REQUIRE_BROWSER=1 but axe-core is missing; {how}");
        }
        testkit::pg_cluster::not_run("axe-core accessibility walk", &how);
        return;
    };
    let axe = std::fs::read_to_string(&axe).unwrap_or_else(|e| panic!("{}: {e}", axe.display()));
    let (base, server) = district(&t, 1500).await;
    let (meeting, poll, member, proposal): (i64, i64, i64, i64) =
        store::on_db!(&t.store.db, |p| sqlx::query_as(
            "SELECT meeting_id, id, (SELECT MIN(id) FROM member), (SELECT MIN(id) FROM proposal)
             FROM poll ORDER BY id LIMIT 1"
        )
        .fetch_one(p)
        .await)
        .unwrap_or_else(|e| panic!("the demo's records: {e}"));
    let Some(browser) = Browser::start(&base, Setup::default()).await else {
        return;
    };
    let b = B { b: &browser };
    let mut serious = Vec::new();
    let mut lesser = Vec::new();
    let mut checked = 0;
    for who in WALK {
        let mut pages = walk_of(&b, who).await;
        if who == "staff" {
            pages.extend([
                format!("/congress/meetings/{meeting}"),
                format!("/congress/meetings/{meeting}/polls"),
                format!("/polls/{poll}"),
                format!("/members/{member}"),
                format!("/proposals/{proposal}"),
            ]);
        }
        for page in pages {
            b.go(&page).await;
            for v in run_axe(&browser, &axe, &page).await {
                let impact = v["impact"].as_str().unwrap_or("");
                let nodes: Vec<&str> = v["nodes"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|n| n.as_str())
                    .collect();
                let line = format!(
                    "{who} {page}: {} ({impact}): {}\n    {}",
                    v["id"].as_str().unwrap_or("?"),
                    v["help"].as_str().unwrap_or(""),
                    nodes.join("\n    ")
                );
                if matches!(impact, "serious" | "critical") || v["id"] == "heading-order" {
                    serious.push(line);
                } else {
                    lesser.push(line);
                }
            }
            checked += 1;
        }
    }
    for l in &lesser {
        eprintln!("axe (not failing): {l}");
    }
    assert!(checked >= 20, "only {checked} pages were checked");
    assert!(
        serious.is_empty(),
        "axe-core found {} serious or critical violations:\n{}",
        serious.len(),
        serious.join("\n")
    );
    browser.close().await;
    server.abort();
}

/// Runs axe-core on the page shown; its violations as `{id, impact, help, nodes}`.
async fn run_axe(browser: &Browser, axe: &str, page: &str) -> Vec<Value> {
    browser
        .client
        .execute(&format!("{axe}\n;window.axe = axe; return true;"), vec![])
        .await
        .unwrap_or_else(|e| panic!("inject axe-core on {page}: {e}"));
    let r = browser
        .client
        .execute_async(
            r#"const done = arguments[arguments.length - 1];
            axe.run(document, { resultTypes: ['violations'] })
              .then(r => done(r.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 6).map(n => n.target.join(' ') + ' :: ' + (n.failureSummary || '').replace(/\s+/g, ' '))
              }))))
              .catch(e => done({ error: String(e) }));"#,
            vec![],
        )
        .await
        .unwrap_or_else(|e| panic!("axe-core on {page}: {e}"));
    match r {
        Value::Array(v) => v,
        other => panic!("axe-core on {page} did not run: {other}"),
    }
}

/// What the phone walk measures on one page (see the script below).
const LAYOUT: &str = r#"
const out = {};
const h = document.querySelector('header.top');
const cs = getComputedStyle(h);
const kids = [...h.children].filter(e => getComputedStyle(e).display !== 'none' && !e.classList.contains('skip'));
const boxes = kids.map(e => e.getBoundingClientRect());
out.header = h.getBoundingClientRect().height;
out.line = Math.max(...boxes.map(r => r.height)) + parseFloat(cs.paddingTop) + parseFloat(cs.paddingBottom);
out.rows = new Set(boxes.map(r => Math.round(r.top))).size;
const crumb = document.querySelector('.crumbs li');
const main = document.querySelector('main');
if (crumb) {
  out.crumb = crumb.getBoundingClientRect().left;
  out.content = main.getBoundingClientRect().left + parseFloat(getComputedStyle(main).paddingLeft);
}
// Folded parts of the page (a form behind "record an exemption") are measured open.
document.querySelectorAll('main details').forEach(d => { d.open = true; });
const date = /^\d{4}(-\d{2}-\d{2}|年\d{1,2}月\d{1,2}日)([\s\u00a0]\d{2}:\d{2})?$/;
out.broken = [];
out.dates = 0;
for (const e of document.querySelectorAll('main td, main dd, main time, main .date')) {
  const text = e.textContent.trim();
  if (!date.test(text)) continue;
  out.dates += 1;
  const r = document.createRange();
  r.selectNodeContents(e);
  const lines = new Set([...r.getClientRects()].filter(x => x.width > 0).map(x => Math.round(x.top)));
  if (lines.size > 1) out.broken.push(text);
}
// The screen's width: under a phone's emulation `innerWidth` grows with a page that is too
// wide (the page is zoomed out to fit), the root's client width stays the screen's.
const screen = document.documentElement.clientWidth;
out.fits = document.documentElement.scrollWidth <= screen;
out.wide = [...document.querySelectorAll('body *')]
  .filter(e => e.checkVisibility() && e.getBoundingClientRect().right > screen + 1)
  .slice(0, 5).map(e => e.tagName + '.' + e.className);
return out;
"#;

async fn phone_walk(t: testkit::TestDb) {
    let (base, server) = district(&t, 600).await;
    let setup = Setup {
        width: 375,
        height: 812,
        phone: true,
        lang: "en",
        ..Setup::default()
    };
    let Some(browser) = Browser::start(&base, setup).await else {
        return;
    };
    let b = B { b: &browser };
    let mut wrong = Vec::new();
    let (mut crumbs, mut dates) = (0, 0);
    for who in WALK {
        for page in walk_of(&b, who).await {
            b.go(&page).await;
            assert_eq!(
                b.js("return document.documentElement.lang").await,
                json!("en"),
                "{page} is not in English"
            );
            let m = b.js(LAYOUT).await;
            let num = |k: &str| m[k].as_f64().unwrap_or(f64::NAN);
            if m["rows"].as_u64() != Some(1) || num("header") > num("line") + 1.0 {
                wrong.push(format!(
                    "{who} {page}: the header takes {} px for a line of {} px",
                    num("header"),
                    num("line")
                ));
                b.b.screenshot(&format!("a11y-header-{who}")).await;
            }
            if m.get("crumb").is_some() {
                crumbs += 1;
                if (num("crumb") - num("content")).abs() > 1.0 {
                    wrong.push(format!(
                        "{who} {page}: breadcrumbs start at {} px, the content at {} px",
                        num("crumb"),
                        num("content")
                    ));
                }
            }
            dates += m["dates"].as_u64().unwrap_or(0);
            if m["broken"].as_array().is_some_and(|a| !a.is_empty()) {
                wrong.push(format!(
                    "{who} {page}: dates broken over two lines: {}",
                    m["broken"]
                ));
            }
            if m["fits"] != json!(true) || m["wide"].as_array().is_some_and(|a| !a.is_empty()) {
                wrong.push(format!("{who} {page}: wider than the phone: {}", m["wide"]));
            }
        }
    }
    assert!(
        crumbs > 0 && dates > 0,
        "the walk met {crumbs} breadcrumbs and {dates} dates"
    );
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    browser.close().await;
    server.abort();
}

async fn large_text(t: testkit::TestDb) {
    let (base, server) = district(&t, 1500).await;
    // The demo's first poll and its meeting (union staff see every school's).
    let (meeting, poll): (i64, i64) = store::on_db!(&t.store.db, |p| sqlx::query_as(
        "SELECT meeting_id, id FROM poll ORDER BY id LIMIT 1"
    )
    .fetch_one(p)
    .await)
    .unwrap_or_else(|e| panic!("a meeting with a poll: {e}"));
    let setup = Setup {
        width: 375,
        height: 812,
        phone: true,
        font_px: Some(32),
        ..Setup::default()
    };
    let Some(browser) = Browser::start(&base, setup).await else {
        return;
    };
    let b = B { b: &browser };
    let mut wrong = Vec::new();
    for (who, page) in [
        ("member", "/me".to_string()),
        ("staff", format!("/congress/meetings/{meeting}")),
        ("staff", format!("/polls/{poll}")),
    ] {
        b.login_with(who, DEMO_PASSWORD).await;
        b.go(&page).await;
        // Body text follows the browser's setting: 32 px, not a fixed 16.
        let size = b
            .js("return parseFloat(getComputedStyle(document.querySelector('.facts dd')).fontSize)")
            .await;
        assert!(
            size.as_f64().is_some_and(|s| s >= 28.0),
            "{page}: a value is {size} px with the browser set to 32 px"
        );
        let m = b.js(LAYOUT).await;
        if m["fits"] != json!(true) || m["wide"].as_array().is_some_and(|a| !a.is_empty()) {
            wrong.push(format!("{who} {page}: wider than the phone: {}", m["wide"]));
        }
        b.b.screenshot(&format!("a11y-200-{}", page.replace('/', "_")))
            .await;
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    browser.close().await;
    server.abort();
}
