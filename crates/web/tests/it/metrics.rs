//! `/metrics` (issue 24): off (404) without a configured token; with one, a scrape without
//! or with a wrong bearer token gets 401 and no figures; the right token gets the
//! Prometheus text, which parses line by line and holds the request latency histogram by
//! route *template* (never a concrete id), the job queue, ballots, check-ins and the
//! database pool. Both engines.

use std::collections::BTreeMap;
use store::auth::PasswordHasher;
use testkit::app::TestApp;
use testkit::*;

const TOKEN: &str = "scrape-token-for-tests";

fn app_with_token(t: TestDb, org: Org, token: Option<&str>) -> TestApp {
    let state = web::AppState::new(
        t.store.clone(),
        PasswordHasher::new(2),
        web::WebConfig {
            metrics_token: token.map(str::to_string),
            ..Default::default()
        },
    );
    let router = web::app(state.clone());
    TestApp {
        t,
        org,
        router,
        state,
    }
}

/// A sample: metric name, labels, value.
type Sample = (String, BTreeMap<String, String>, f64);

/// Parses the text format: `# TYPE/HELP/UNIT` lines, `# EOF`, and samples
/// `name{k="v",…} value`. Panics on any line that is neither.
fn parse(text: &str) -> (BTreeMap<String, String>, Vec<Sample>) {
    let mut types = BTreeMap::new();
    let mut samples = Vec::new();
    let mut eof = false;
    for line in text.lines() {
        assert!(!eof, "nothing after # EOF: {line}");
        if line == "# EOF" {
            eof = true;
            continue;
        }
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').expect("TYPE name kind");
            types.insert(name.to_string(), kind.to_string());
            continue;
        }
        if line.starts_with("# HELP ") || line.starts_with("# UNIT ") {
            continue;
        }
        let (series, value) = line
            .rsplit_once(' ')
            .unwrap_or_else(|| panic!("sample: {line}"));
        let value: f64 = value.parse().unwrap_or_else(|_| panic!("value: {line}"));
        let (name, labels) = match series.split_once('{') {
            Some((n, l)) => {
                let l = l
                    .strip_suffix('}')
                    .unwrap_or_else(|| panic!("labels: {line}"));
                let mut map = BTreeMap::new();
                for kv in l.split("\",").filter(|s| !s.is_empty()) {
                    let (k, v) = kv
                        .split_once("=\"")
                        .unwrap_or_else(|| panic!("label: {line}"));
                    map.insert(k.to_string(), v.trim_end_matches('"').to_string());
                }
                (n.to_string(), map)
            }
            None => (series.to_string(), BTreeMap::new()),
        };
        assert!(
            name.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':'),
            "metric name: {line}"
        );
        samples.push((name, labels, value));
    }
    assert!(eof, "the exposition ends with # EOF");
    (types, samples)
}

dual_test!(async fn metrics_are_off_without_a_token(t) {
    let org = org(&t.store).await;
    let app = app_with_token(t, org, None);
    let r = app.anon().header("authorization", &format!("Bearer {TOKEN}")).get("/metrics").await;
    assert_eq!(r.status.as_u16(), 404);
    assert!(!r.text().contains("jiaogong_"));
});

dual_test!(async fn a_scrape_needs_the_bearer_token_and_parses(t) {
    let org = org(&t.store).await;
    let app = app_with_token(t, org, Some(TOKEN));
    let o = app.org.clone();

    // No token, a wrong one, a token sent as a cookie session would be: 401, no figures.
    for auth in [None, Some("Bearer wrong"), Some(TOKEN), Some("Basic c2NyYXBlOg==")] {
        let mut c = app.anon();
        if let Some(a) = auth {
            c = c.header("authorization", a);
        }
        let r = c.get("/metrics").await;
        assert_eq!(r.status.as_u16(), 401, "{auth:?}");
        assert!(!r.text().contains("jiaogong_"), "{auth:?}");
    }

    // Some traffic: a page by id (its template, not the id, is the label), a missing page.
    let chair = app.account("metricschair", domain::auth::Role::SchoolChair, o.school_a).await;
    let mut c = app.client_for(chair).await;
    c.get("/").await;
    let m = member(&app.t.store, o.school_a, "度量会员", 1).await;
    assert_eq!(c.get(&format!("/members/{}", m.0)).await.status.as_u16(), 200);
    c.get("/no-such-page-xyz").await;

    let r = app
        .anon()
        .header("authorization", &format!("Bearer {TOKEN}"))
        .get("/metrics")
        .await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.text());
    let ct = r.headers.get("content-type").unwrap().to_str().unwrap();
    assert!(ct.starts_with("application/openmetrics-text"), "{ct}");
    let text = r.text();
    let (types, samples) = parse(&text);
    assert_eq!(types.get("jiaogong_http_request_duration_seconds").map(String::as_str), Some("histogram"));
    for g in ["jiaogong_jobs", "jiaogong_jobs_failing", "jiaogong_ballots_cast", "jiaogong_check_ins",
              "jiaogong_db_pool_connections", "jiaogong_db_pool_idle_connections", "jiaogong_db_pool_max_connections"] {
        assert_eq!(types.get(g).map(String::as_str), Some("gauge"), "{g}");
        assert!(samples.iter().any(|(n, _, _)| n == g), "{g} has a sample");
    }
    let routes: Vec<&str> = samples
        .iter()
        .filter(|(n, _, _)| n == "jiaogong_http_request_duration_seconds_count")
        .map(|(_, l, _)| l["route"].as_str())
        .collect();
    assert!(routes.contains(&"/members/{id}"), "{routes:?}");
    assert!(routes.contains(&"unmatched"), "{routes:?}");
    assert!(
        !text.contains(&format!("/members/{}", m.0)) && !text.contains("no-such-page"),
        "labels hold templates, never concrete paths"
    );
    let unit_count = samples
        .iter()
        .find(|(n, l, _)| n == "jiaogong_http_request_duration_seconds_count" && l["route"] == "/members/{id}")
        .unwrap()
        .2;
    assert!(unit_count >= 1.0);
    for s in ["ready", "running", "parked", "done"] {
        assert!(
            samples.iter().any(|(n, l, _)| n == "jiaogong_jobs" && l.get("status").map(String::as_str) == Some(s)),
            "jobs{{status={s}}}"
        );
    }
    let max = samples.iter().find(|(n, _, _)| n == "jiaogong_db_pool_max_connections").unwrap().2;
    assert!(max >= 1.0);
    // Buckets are cumulative and end at +Inf equal to the count.
    let inf = samples
        .iter()
        .find(|(n, l, _)| n == "jiaogong_http_request_duration_seconds_bucket" && l["route"] == "/members/{id}" && l["le"] == "+Inf")
        .unwrap()
        .2;
    assert_eq!(inf, unit_count);
});
