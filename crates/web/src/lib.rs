//! The web layer: axum router, middleware (request id, error pages, session, CSRF,
//! security headers, body limits), extractors, handlers per area, askama templates and
//! the embedded static files.
//!
//! Handlers are thin: parse the form into domain types, ask the policy for a capability,
//! call `store`, render a page or redirect with a flash message. Every route is declared
//! through [`RouteTable`], so that the authorization test can enumerate all of them.

pub mod a11y;
pub mod activity;
pub mod api;
pub mod area;
pub mod assessment;
pub mod assets;
pub mod assistance;
pub mod audit;
pub mod auth;
pub mod chart;
pub mod chrome;
pub mod commendations;
pub mod congress;
pub mod contests;
pub mod correspondent;
pub mod ctx;
pub mod dashboard;
pub mod elections;
pub mod error;
pub mod funds;
pub mod i18n;
pub mod metrics;
pub mod notify;
pub mod org;
pub mod pages;
pub mod proposals;
pub mod rights;
pub mod state;
pub mod voting;
pub mod work_plan;
pub mod work_summary;

pub use notify::{inbox, outbox};

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::handler::Handler;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, on};
pub use ctx::{Auth, Ctx};
pub use domain::auth::Permission;
pub use error::{AppError, AppResult};
pub use state::{AppState, WebConfig};
use tower_http::set_header::SetResponseHeaderLayer;

/// Largest body of an ordinary form.
pub const FORM_LIMIT: usize = 256 * 1024;

/// Who may call a route: the guard declared with it. The authorization matrix test
/// (`tests/it/matrix.rs`) walks the route table and derives every expected answer from it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Anyone: the explicit public allow-list (login, health check, static files, codes).
    Public,
    /// Undeclared: any logged-in account, the handler alone deciding. Kept so that route
    /// code written before the guards compiles; the matrix test refuses every such route.
    Login,
    /// Any logged-in account, about itself only (own password, own record).
    Own,
    /// One need (see [`Need`]).
    Need(Need),
    /// Any one of these needs.
    Any(&'static [Need]),
}

impl Access {
    /// The needs of a guarded route (empty for `Public`, `Login` and `Own`).
    pub fn needs(&self) -> &[Need] {
        match self {
            Access::Need(n) => std::slice::from_ref(n),
            Access::Any(ns) => ns,
            _ => &[],
        }
    }

    /// Whether the request must come from a logged-in account.
    pub fn login(&self) -> bool {
        !matches!(self, Access::Public)
    }
}

/// What a guarded route asks of the caller, relative to the school its path (or its body)
/// is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Need {
    /// A capability for the permission whose scope covers the school (staff).
    Staff(Permission),
    /// The permission, and a mandate in the term (delegate, observer or guest) acting as
    /// oneself. Whether a mandate lets one vote or propose is a rule, answered by the
    /// handler with a message, not a permission.
    Attendee(Permission),
    /// The permission in scope; then the data decides whether this is the person it names
    /// (the proposer, an invited seconder, the handling department, a teller or scrutineer
    /// of the meeting, a voting delegate checked in). Others in scope get the handler's
    /// refusal or 404; outside the scope, 403 or 404 like every guard.
    Named(Permission),
}

impl Need {
    pub fn permission(self) -> Permission {
        match self {
            Need::Staff(p) | Need::Attendee(p) | Need::Named(p) => p,
        }
    }
}

/// A request body the route accepts, declared with the route so that a test can send a
/// valid one and reach the scope check instead of failing validation. Values may hold
/// placeholders in braces, filled by the test with ids of the school the request is about:
/// `{school}`, `{school2}` (another school of its area), `{branch}`, `{area}`, `{member}`,
/// `{member_id_number}`, `{member_version}`, `{delegate}`, `{agenda}`, `{option}`,
/// `{meeting}`, `{today}`, and `{id_number}` (a new valid one).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fixture {
    /// No body (every GET, and POST buttons without fields).
    Empty,
    /// An urlencoded form.
    Form(&'static [(&'static str, &'static str)]),
    /// A JSON body (the API), with the same placeholders in its text.
    Json(&'static str),
    /// A multipart upload: the fields, then the file (field, file name, content).
    Upload {
        fields: &'static [(&'static str, &'static str)],
        file: (&'static str, &'static str, &'static [u8]),
    },
}

/// A route's guard with its fixture; what [`RouteTable::get`] and [`RouteTable::post`]
/// take. Build it with [`Guard::staff`], [`Guard::any`], [`Guard::own`] or
/// [`Guard::public`], then add the body with [`Guard::form`] or [`Guard::upload`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Guard {
    pub access: Access,
    /// `None`: a POST route that declared no body (the matrix test refuses it).
    pub fixture: Option<Fixture>,
}

impl From<Access> for Guard {
    fn from(access: Access) -> Guard {
        Guard {
            access,
            fixture: None,
        }
    }
}

impl Guard {
    pub const fn public() -> Guard {
        Guard {
            access: Access::Public,
            fixture: None,
        }
    }
    pub const fn own() -> Guard {
        Guard {
            access: Access::Own,
            fixture: None,
        }
    }
    pub const fn staff(p: Permission) -> Guard {
        Guard {
            access: Access::Need(Need::Staff(p)),
            fixture: None,
        }
    }
    pub const fn attendee(p: Permission) -> Guard {
        Guard {
            access: Access::Need(Need::Attendee(p)),
            fixture: None,
        }
    }
    pub const fn named(p: Permission) -> Guard {
        Guard {
            access: Access::Need(Need::Named(p)),
            fixture: None,
        }
    }
    pub const fn any(needs: &'static [Need]) -> Guard {
        Guard {
            access: Access::Any(needs),
            fixture: None,
        }
    }
    /// A POST without fields (a button).
    pub const fn button(self) -> Guard {
        Guard {
            fixture: Some(Fixture::Empty),
            ..self
        }
    }
    pub const fn form(self, fields: &'static [(&'static str, &'static str)]) -> Guard {
        Guard {
            fixture: Some(Fixture::Form(fields)),
            ..self
        }
    }
    /// A POST with a JSON body (the API).
    pub const fn json(self, body: &'static str) -> Guard {
        Guard {
            fixture: Some(Fixture::Json(body)),
            ..self
        }
    }
    pub const fn upload(
        self,
        fields: &'static [(&'static str, &'static str)],
        file: (&'static str, &'static str, &'static [u8]),
    ) -> Guard {
        Guard {
            fixture: Some(Fixture::Upload { fields, file }),
            ..self
        }
    }
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
    /// The body a test sends (a GET has none; `None` on a POST: not declared).
    pub fixture: Option<Fixture>,
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
    pub fn add<H, T>(
        self,
        method: Method,
        path: &'static str,
        guard: impl Into<Guard>,
        h: H,
    ) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.add_limited(method, path, guard, h, None)
    }

    /// A route whose requests may be larger than forms (uploads).
    pub fn add_limited<H, T>(
        mut self,
        method: Method,
        path: &'static str,
        guard: impl Into<Guard>,
        h: H,
        limit: Option<usize>,
    ) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        let guard = guard.into();
        let access = guard.access;
        let filter = match method {
            Method::Get => MethodFilter::GET,
            Method::Post => MethodFilter::POST,
        };
        let mut r = on(filter, h);
        if let Some(l) = limit {
            r = r.layer(DefaultBodyLimit::max(l));
        }
        if access.login() {
            self.login = self.login.route(path, r);
        } else {
            self.public = self.public.route(path, r);
        }
        let fixture = match method {
            Method::Get => Some(guard.fixture.unwrap_or(Fixture::Empty)),
            Method::Post => guard.fixture,
        };
        self.entries.push(RouteEntry {
            method,
            path,
            access,
            fixture,
        });
        self
    }

    pub fn get<H: Handler<T, AppState>, T: 'static>(
        self,
        path: &'static str,
        guard: impl Into<Guard>,
        h: H,
    ) -> Self {
        self.add(Method::Get, path, guard, h)
    }

    pub fn post<H: Handler<T, AppState>, T: 'static>(
        self,
        path: &'static str,
        guard: impl Into<Guard>,
        h: H,
    ) -> Self {
        self.add(Method::Post, path, guard, h)
    }
}

/// Every route of the application: the core (health check, static files, dashboard), then
/// each area's, in the order of [`area::AREAS`].
pub fn routes(config: &WebConfig) -> RouteTable {
    let t = RouteTable::default()
        .get("/healthz", Guard::public(), health)
        .get("/metrics", Guard::public(), metrics::scrape)
        .get("/static/{hash}/{file}", Guard::public(), assets::serve);
    let t = dashboard::routes(t);
    let t = api::routes(t);
    area::AREAS.iter().fold(t, |t, a| (a.routes)(t, config))
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
        // Inside the session layer: `/api/v1` takes its session from a bearer token only.
        .layer(middleware::from_fn_with_state(
            state.clone(),
            api::token_layer,
        ))
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
        .layer(middleware::from_fn_with_state(
            state.clone(),
            metrics::track,
        ))
        .layer(middleware::from_fn_with_state(state.clone(), frame))
        .layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(csp),
        ))
        // Pages hold personal data and one-time credentials: no browser or proxy keeps a
        // copy. Static files say otherwise on their own (immutable, hashed names).
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
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
    let path = loggable_path(req.uri().path());
    // The route template (`/members/{id}`), for grouping in a log collector.
    let route = req
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |m| m.as_str().to_string());
    let started = std::time::Instant::now();
    let res = next.run(req).await;
    let status = res.status();
    tracing::info!(request_id = %id, %method, %route, %path, status = status.as_u16(), ms = started.elapsed().as_millis() as u64, "request");
    let wants_page = res.extensions().get::<error::ErrorPage>().is_some()
        || (matches!(
            status,
            StatusCode::PAYLOAD_TOO_LARGE | StatusCode::FORBIDDEN | StatusCode::METHOD_NOT_ALLOWED
        ) && res
            .headers()
            .get(header::CONTENT_TYPE)
            .is_none_or(|v| !v.as_bytes().starts_with(b"text/html")));
    // The API answers its errors itself (problem+json), never with a page.
    let problem = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/problem+json"));
    if !wants_page || problem {
        return res;
    }
    let lang = ctx::lang_of(&headers, None);
    let mut page = pages::ErrorTemplate::new(i18n::Tr::new(lang), status, &id);
    if let Some(ctx::MenuOf(actor)) = res.extensions().get::<ctx::MenuOf>() {
        page.p = page.p.with_menu(actor, &path);
    }
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

/// Path segments after which the next segment is a secret (a one-time link token). The
/// request log keeps the route, never the token: whoever reads the log could otherwise set
/// a password with a link that was not yet used.
const SECRET_AFTER: &[&str] = &["link"];

/// The request path as it may be logged: secrets replaced by `[redacted]`.
pub fn loggable_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut hide = false;
    for (i, seg) in path.split('/').enumerate() {
        if i > 0 {
            out.push('/');
        }
        if hide && !seg.is_empty() {
            out.push_str("[redacted]");
        } else {
            out.push_str(seg);
        }
        hide = SECRET_AFTER.contains(&seg);
    }
    out
}

/// Today in Beijing, the date every rule of the union uses.
pub fn today() -> chrono::NaiveDate {
    (chrono::Utc::now() + chrono::Duration::hours(8)).date_naive()
}

#[cfg(test)]
mod tests {
    #[test]
    fn one_time_link_tokens_never_reach_the_request_log() {
        assert_eq!(
            super::loggable_path("/link/Zm9vYmFyYmF6cXV4"),
            "/link/[redacted]"
        );
        assert_eq!(super::loggable_path("/members/12"), "/members/12");
        assert_eq!(super::loggable_path("/"), "/");
    }
}
