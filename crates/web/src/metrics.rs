//! `/metrics` in the Prometheus (OpenMetrics) text format: request latency per route
//! template, the job queue, ballots cast, check-ins and the database pool.
//!
//! Owns: the process's metric registry, the middleware that times every request by its
//! route *template* (`/members/{id}`, never the id itself), and the scrape handler.
//!
//! Must never: label a metric with anything a person typed or any personal data (paths are
//! templates, never concrete URLs); answer a scrape without the configured bearer token
//! (no token configured: the endpoint does not exist, 404).

use crate::{AppError, AppState};
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use sha2::{Digest, Sha256};

/// The labels of a request: method, route template and status class (`2xx`…).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    pub method: String,
    pub route: String,
    pub status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StatusLabel {
    pub status: String,
}

/// The metrics of one process.
pub struct Metrics {
    registry: Registry,
    requests: Family<RouteLabels, Histogram>,
    jobs: Family<StatusLabel, Gauge>,
    jobs_failing: Gauge,
    ballots: Gauge,
    check_ins: Gauge,
    pool_size: Gauge,
    pool_idle: Gauge,
    pool_max: Gauge,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("jiaogong");
        // 5 ms … about 10 s.
        let requests = Family::<RouteLabels, Histogram>::new_with_constructor(|| {
            Histogram::new(exponential_buckets(0.005, 2.0, 12))
        });
        registry.register(
            "http_request_duration_seconds",
            "Time to answer a request, by method, route template and status class",
            requests.clone(),
        );
        let jobs = Family::<StatusLabel, Gauge>::default();
        registry.register(
            "jobs",
            "Jobs in the outbox queue by status (ready, running, parked, done)",
            jobs.clone(),
        );
        let jobs_failing = Gauge::default();
        registry.register(
            "jobs_failing",
            "Jobs not done whose last attempt failed (retrying or parked)",
            jobs_failing.clone(),
        );
        let ballots = Gauge::default();
        registry.register(
            "ballots_cast",
            "Ballots cast in all polls (one per voter and poll; all processes)",
            ballots.clone(),
        );
        let check_ins = Gauge::default();
        registry.register(
            "check_ins",
            "Delegates checked in to meetings (all processes)",
            check_ins.clone(),
        );
        let pool_size = Gauge::default();
        registry.register(
            "db_pool_connections",
            "Open database connections of this process",
            pool_size.clone(),
        );
        let pool_idle = Gauge::default();
        registry.register(
            "db_pool_idle_connections",
            "Idle database connections of this process",
            pool_idle.clone(),
        );
        let pool_max = Gauge::default();
        registry.register(
            "db_pool_max_connections",
            "Most database connections this process opens",
            pool_max.clone(),
        );
        Metrics {
            registry,
            requests,
            jobs,
            jobs_failing,
            ballots,
            check_ins,
            pool_size,
            pool_idle,
            pool_max,
        }
    }

    /// Records one answered request.
    pub fn observe(&self, method: &str, route: &str, status: StatusCode, seconds: f64) {
        let class = format!("{}xx", status.as_u16() / 100);
        self.requests
            .get_or_create(&RouteLabels {
                method: method.to_string(),
                route: route.to_string(),
                status: class,
            })
            .observe(seconds);
    }

    /// Reads the database figures and renders everything.
    pub async fn render(&self, db: &store::Db) -> Result<String, store::StoreError> {
        let f = store::ops::figures(db).await?;
        for s in ["ready", "running", "parked", "done"] {
            let n = f.jobs.iter().find(|(k, _)| k == s).map_or(0, |(_, n)| *n);
            self.jobs
                .get_or_create(&StatusLabel { status: s.into() })
                .set(n);
        }
        self.jobs_failing.set(f.jobs_failing);
        self.ballots.set(f.ballots);
        self.check_ins.set(f.check_ins);
        self.pool_size.set(i64::from(f.pool_size));
        self.pool_idle.set(f.pool_idle as i64);
        self.pool_max.set(i64::from(f.pool_max));
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry)
            .map_err(|e| store::StoreError::Other(e.to_string()))?;
        Ok(out)
    }
}

/// Times every request by its route template (`unmatched` for a path no route has).
pub async fn track(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |m| m.as_str().to_string());
    let method = req.method().as_str().to_string();
    let started = std::time::Instant::now();
    let res = next.run(req).await;
    // A live stream (SSE) answers at once; its length is not a latency.
    state.metrics.observe(
        &method,
        &route,
        res.status(),
        started.elapsed().as_secs_f64(),
    );
    res
}

/// Equal without telling by its timing how much of the token was right.
fn same_secret(given: &str, expected: &str) -> bool {
    let a = Sha256::digest(given.as_bytes());
    let b = Sha256::digest(expected.as_bytes());
    a.iter()
        .zip(b.iter())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y))
        == 0
}

/// `GET /metrics`: with `Authorization: Bearer <metrics_token>` only; 404 when no token is
/// configured (metrics off).
pub async fn scrape(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some(token) = state
        .config
        .metrics_token
        .as_deref()
        .filter(|t| !t.trim().is_empty())
    else {
        return AppError::NotFound.into_response();
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    if !given.is_some_and(|g| same_secret(g, token)) {
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"))],
            "a bearer token is required\n",
        )
            .into_response();
    }
    match state.metrics.render(&state.store.db).await {
        Ok(body) => (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static(
                    "application/openmetrics-text; version=1.0.0; charset=utf-8",
                ),
            )],
            body,
        )
            .into_response(),
        Err(e) => AppError::from(e).into_response(),
    }
}
