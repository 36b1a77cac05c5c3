//! The web layer: axum router, middleware (request id, error pages, session, CSRF,
//! security headers, body limits), extractors, handlers per area, askama templates and
//! the embedded static files.
//!
//! Handlers are thin: parse the form into domain types, ask the policy for a capability,
//! call `store`, render a page or redirect with a flash message. Every route is declared
//! through [`RouteTable`], so that the authorization test can enumerate all of them.

pub mod assets;
pub mod audit;
pub mod auth;
pub mod chart;
pub mod chrome;
pub mod congress;
pub mod ctx;
pub mod dashboard;
pub mod error;
pub mod i18n;
pub mod inbox;
pub mod org;
pub mod outbox;
pub mod state;
pub mod voting;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::handler::Handler;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, on};
pub use ctx::{Auth, Ctx};
pub use error::{AppError, AppResult};
pub use state::{AppState, WebConfig};
use tower_http::set_header::SetResponseHeaderLayer;

/// Largest body of an ordinary form.
pub const FORM_LIMIT: usize = 256 * 1024;

/// Who may call a route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Anyone (login page, health check, static files).
    Public,
    /// A logged-in account; the handler then asks the policy for its capability.
    Login,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
        }
    }
}

/// One declared route.
#[derive(Clone, Debug)]
pub struct RouteEntry {
    pub method: Method,
    pub path: &'static str,
    pub access: Access,
}

/// Builds the router and keeps the list of every route in it.
pub struct RouteTable {
    public: Router<AppState>,
    login: Router<AppState>,
    pub entries: Vec<RouteEntry>,
}

impl Default for RouteTable {
    fn default() -> Self {
        RouteTable {
            public: Router::new(),
            login: Router::new(),
            entries: Vec::new(),
        }
    }
}

impl RouteTable {
    pub fn add<H, T>(self, method: Method, path: &'static str, access: Access, h: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.add_limited(method, path, access, h, None)
    }

    /// A route whose requests may be larger than forms (uploads).
    pub fn add_limited<H, T>(
        mut self,
        method: Method,
        path: &'static str,
        access: Access,
        h: H,
        limit: Option<usize>,
    ) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        let filter = match method {
            Method::Get => MethodFilter::GET,
            Method::Post => MethodFilter::POST,
        };
        let mut r = on(filter, h);
        if let Some(l) = limit {
            r = r.layer(DefaultBodyLimit::max(l));
        }
        match access {
            Access::Public => self.public = self.public.route(path, r),
            Access::Login => self.login = self.login.route(path, r),
        }
        self.entries.push(RouteEntry {
            method,
            path,
            access,
        });
        self
    }

    pub fn get<H: Handler<T, AppState>, T: 'static>(
        self,
        path: &'static str,
        access: Access,
        h: H,
    ) -> Self {
        self.add(Method::Get, path, access, h)
    }

    pub fn post<H: Handler<T, AppState>, T: 'static>(
        self,
        path: &'static str,
        access: Access,
        h: H,
    ) -> Self {
        self.add(Method::Post, path, access, h)
    }
}

/// Every route of the application.
pub fn routes(config: &WebConfig) -> RouteTable {
    let t = RouteTable::default()
        .get("/healthz", Access::Public, health)
        .get("/static/{hash}/{file}", Access::Public, assets::serve);
    let t = auth::routes(t);
    let t = dashboard::routes(t);
    let t = org::routes(t, config.max_upload_bytes);
    let t = congress::routes(t);
    let t = voting::routes(t);
    let t = inbox::routes(t);
    let t = outbox::routes(t);
    audit::routes(t)
}

/// The application with all its layers.
pub fn app(state: AppState) -> Router {
    let table = routes(&state.config);
    let login = table.login.route_layer(middleware::from_fn_with_state(
        state.clone(),
        auth::require_login,
    ));
    let mut csrf = tower_http::csrf::CsrfLayer::new();
    for o in &state.config.trusted_origins {
        match csrf.clone().add_trusted_origin(o) {
            Ok(c) => csrf = c,
            Err(e) => tracing::warn!(origin = %o, error = ?e, "ignored trusted origin"),
        }
    }
    let csp = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'";
    let mut router = table
        .public
        .merge(login)
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            ctx::session_layer,
        ))
        .layer(csrf)
        // Forms are small; uploads raise this on their own route.
        .layer(DefaultBodyLimit::max(FORM_LIMIT))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(|_| {
            AppError::Internal("panic".into()).into_response()
        }))
        .layer(middleware::from_fn_with_state(state.clone(), frame))
        .layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(csp),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            HeaderName::from_static("permissions-policy"),
            HeaderValue::from_static("camera=(), microphone=(), geolocation=()"),
        ))
        .layer(tower_http::compression::CompressionLayer::new().gzip(true));
    if state.config.secure_cookies {
        router = router.layer(SetResponseHeaderLayer::overriding(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        ));
    }
    router.with_state(state)
}

async fn health(State(state): State<AppState>) -> Response {
    match state.store.db.ping().await {
        Ok(()) => (StatusCode::OK, "ok").into_response(),
        Err(e) => {
            tracing::error!(error = %e, "health check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response()
        }
    }
}

async fn not_found() -> AppError {
    AppError::NotFound
}

/// Gives each request an id, logs it, and renders friendly error pages for responses that
/// ask for one (or that have no body of their own: 413 from the body limit, 403 from CSRF).
async fn frame(State(_state): State<AppState>, mut req: Request, next: Next) -> Response {
    let id = store::crypto::random_token(9);
    req.extensions_mut().insert(ctx::RequestId(id.clone()));
    let headers = req.headers().clone();
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let started = std::time::Instant::now();
    let res = next.run(req).await;
    let status = res.status();
    tracing::info!(request_id = %id, %method, %path, status = status.as_u16(), ms = started.elapsed().as_millis() as u64, "request");
    let wants_page = res.extensions().get::<error::ErrorPage>().is_some()
        || (matches!(
            status,
            StatusCode::PAYLOAD_TOO_LARGE | StatusCode::FORBIDDEN | StatusCode::METHOD_NOT_ALLOWED
        ) && res
            .headers()
            .get(header::CONTENT_TYPE)
            .is_none_or(|v| !v.as_bytes().starts_with(b"text/html")));
    if !wants_page {
        return res;
    }
    let lang = ctx::lang_of(&headers, None);
    let page = auth::ErrorTemplate::new(i18n::Tr::new(lang), status, &id);
    match askama::Template::render(&page) {
        Ok(body) => {
            let mut r = (status, axum::response::Html(body)).into_response();
            for v in res.headers().get_all(header::SET_COOKIE) {
                r.headers_mut().append(header::SET_COOKIE, v.clone());
            }
            r
        }
        Err(_) => res,
    }
}

/// Today in Beijing, the date every rule of the union uses.
pub fn today() -> chrono::NaiveDate {
    (chrono::Utc::now() + chrono::Duration::hours(8)).date_naive()
}
