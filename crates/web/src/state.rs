//! Shared state of the web layer: the store, the password hasher and the settings that
//! reach the handlers.

use std::sync::Arc;
use store::Store;
use store::auth::{PasswordHasher, SessionPolicy};

#[derive(Clone, Debug)]
pub struct WebConfig {
    pub session: SessionPolicy,
    /// Add `Secure` to cookies (served over TLS, directly or behind a proxy).
    pub secure_cookies: bool,
    /// Largest roster upload.
    pub max_upload_bytes: usize,
    /// Most rows one web import may have (the command line has no such limit).
    pub import_max_rows: usize,
    /// Origins besides the request's own host that may post forms (a proxy's public name).
    pub trusted_origins: Vec<String>,
    /// Base URL for links printed or shown (one-time links); the request's host otherwise.
    pub public_url: Option<String>,
    /// Addresses of reverse proxies whose `X-Forwarded-For` is believed. Empty (the
    /// default): the client is the socket peer and the header is ignored, so an attacker
    /// cannot pick the address the login throttle counts against.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// The bearer token `/metrics` asks for; `None`: no metrics endpoint (404).
    pub metrics_token: Option<String>,
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            session: SessionPolicy {
                idle: chrono::Duration::hours(2),
                absolute: chrono::Duration::hours(12),
            },
            secure_cookies: false,
            max_upload_bytes: 20 * 1024 * 1024,
            import_max_rows: 200_000,
            trusted_origins: Vec::new(),
            public_url: None,
            trusted_proxies: Vec::new(),
            metrics_token: None,
        }
    }
}

#[derive(Clone, Debug)]
pub struct AppState(Arc<Inner>);

#[derive(Debug)]
pub struct Inner {
    pub store: Store,
    pub hasher: PasswordHasher,
    pub config: WebConfig,
    /// Rows done of imports being applied by this process (batch id → rows).
    pub import_progress: std::sync::Mutex<std::collections::HashMap<i64, u64>>,
    /// Dashboard figures of large scopes (a province takes seconds to count), by scope,
    /// unit and day, with the time they were counted.
    pub stats_cache: std::sync::Mutex<
        std::collections::HashMap<
            String,
            (
                chrono::DateTime<chrono::Utc>,
                store::org::stats::MemberStats,
            ),
        >,
    >,
    /// The writer of ballots, started on first use (it needs the runtime).
    ballot_box: std::sync::OnceLock<store::voting::ballot_box::BallotBox>,
    /// Live turnout of polls.
    pub live: crate::voting::live::Live,
    /// Request latencies and the figures `/metrics` reports.
    pub metrics: crate::metrics::Metrics,
    /// The public news page as anonymous readers get it (issue 23).
    pub news_page: crate::correspondent::PageCache,
}

impl AppState {
    pub fn new(store: Store, hasher: PasswordHasher, config: WebConfig) -> AppState {
        AppState(Arc::new(Inner {
            store,
            hasher,
            config,
            import_progress: Default::default(),
            stats_cache: Default::default(),
            ballot_box: Default::default(),
            live: Default::default(),
            metrics: Default::default(),
            news_page: Default::default(),
        }))
    }

    /// The ballot box of this process (one writer per process).
    pub fn ballot_box(&self) -> &store::voting::ballot_box::BallotBox {
        let mut started = false;
        let b = self.ballot_box.get_or_init(|| {
            started = true;
            store::voting::ballot_box::BallotBox::start(self.store.db.clone())
        });
        if started {
            crate::voting::live::Live::connect(self, b);
        }
        b
    }
}

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}
