//! What every handler knows about its request: language, request id, the session and its
//! actor, the flash message, whether the page or only a fragment is wanted.
//!
//! The session is resolved once per request by [`session_layer`] (two queries: the session
//! row, then the account with all its grants) and handed to the extractors through the
//! request extensions.

use crate::error::AppError;
use crate::i18n::{Lang, Tr};
use crate::state::AppState;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::{Cookie, SameSite};
use domain::auth::Actor;
use store::auth::Account;

pub const SESSION_COOKIE: &str = "jg_session";
pub const LANG_COOKIE: &str = "jg_lang";
pub const FLASH_COOKIE: &str = "jg_flash";

/// The request id, made by the first layer and written to logs, audit records and error
/// pages.
#[derive(Clone, Debug)]
pub struct RequestId(pub String);

/// The session as resolved for this request.
#[derive(Clone, Debug, Default)]
pub struct SessionState {
    pub token: Option<String>,
    pub actor: Option<Actor>,
    pub account: Option<Account>,
    pub second_factor_done: bool,
    pub locale: Option<String>,
}

impl SessionState {
    /// Logged in with everything the account needs (second factor when enrolled).
    pub fn complete(&self) -> bool {
        match (&self.actor, &self.account) {
            (Some(_), Some(acc)) => !acc.totp_enabled || self.second_factor_done,
            _ => false,
        }
    }
}

pub fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| Cookie::parse(c.trim().to_string()).ok())
        .find(|c| c.name() == name)
        .map(|c| c.value().to_string())
}

/// Resolves the session cookie into a [`SessionState`] extension.
pub async fn session_layer(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> Response {
    let mut s = SessionState::default();
    if let Some(token) = cookie_value(req.headers(), SESSION_COOKIE) {
        match store::auth::session(&state.store.db, &token, state.config.session).await {
            Ok(Some(info)) => {
                if let Ok(Some((actor, account))) =
                    store::auth::load_actor(&state.store.db, info.account).await
                {
                    s.actor = Some(actor);
                    s.account = Some(account);
                    s.second_factor_done = info.second_factor_done;
                    s.locale = info.locale;
                    s.token = Some(token);
                }
            }
            Ok(None) => {}
            Err(e) => tracing::error!(error = %e, "session lookup failed"),
        }
    }
    // Who is logged in, for the menu of an error page (issue 25: an error keeps the
    // navigation); handed on only with an error response.
    let menu = if s.complete() { s.actor.clone() } else { None };
    req.extensions_mut().insert(s);
    let mut res = next.run(req).await;
    if let Some(actor) = menu
        && (res.status().is_client_error() || res.status().is_server_error())
    {
        res.extensions_mut().insert(MenuOf(actor));
    }
    res
}

/// The logged-in actor whose menu an error page shows.
#[derive(Clone)]
pub struct MenuOf(pub Actor);

/// Picks the language: account setting, session, cookie, Accept-Language, zh-CN.
pub fn lang_of(headers: &HeaderMap, session: Option<&SessionState>) -> Lang {
    session
        .and_then(|s| {
            s.account
                .as_ref()
                .and_then(|a| a.locale.clone())
                .or(s.locale.clone())
        })
        .and_then(|l| Lang::from_code(&l))
        .or_else(|| cookie_value(headers, LANG_COOKIE).and_then(|l| Lang::from_code(&l)))
        .or_else(|| {
            headers
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .and_then(Lang::negotiate)
        })
        .unwrap_or_default()
}

/// A one-shot message shown on the next page (Post/Redirect/Get).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Flash {
    pub kind: FlashKind,
    pub key: String,
    pub args: Vec<(String, String)>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FlashKind {
    Ok,
    Warn,
    Error,
}

impl FlashKind {
    pub fn class(self) -> &'static str {
        match self {
            FlashKind::Ok => "ok",
            FlashKind::Warn => "warn",
            FlashKind::Error => "error",
        }
    }
}

impl Flash {
    pub fn ok(key: &str) -> Flash {
        Flash {
            kind: FlashKind::Ok,
            key: key.into(),
            args: Vec::new(),
        }
    }
    pub fn warn(key: &str) -> Flash {
        Flash {
            kind: FlashKind::Warn,
            key: key.into(),
            args: Vec::new(),
        }
    }
    pub fn error(key: &str) -> Flash {
        Flash {
            kind: FlashKind::Error,
            key: key.into(),
            args: Vec::new(),
        }
    }
    pub fn arg(mut self, k: &str, v: impl ToString) -> Flash {
        self.args.push((k.into(), v.to_string()));
        self
    }

    fn encode(&self) -> String {
        let mut s = format!("{}|{}", self.kind.class(), self.key);
        for (k, v) in &self.args {
            s.push('|');
            s.push_str(k);
            s.push('=');
            s.push_str(&hex::encode(v.as_bytes()));
        }
        s
    }

    fn decode(s: &str) -> Option<Flash> {
        let mut parts = s.split('|');
        let kind = match parts.next()? {
            "ok" => FlashKind::Ok,
            "warn" => FlashKind::Warn,
            "error" => FlashKind::Error,
            _ => return None,
        };
        let key = parts.next()?.to_string();
        // Only catalogue-shaped keys: a forged cookie cannot inject text.
        if !key
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b == b'-' || b.is_ascii_digit())
        {
            return None;
        }
        let args = parts
            .filter_map(|p| {
                let (k, v) = p.split_once('=')?;
                Some((k.to_string(), String::from_utf8(hex::decode(v).ok()?).ok()?))
            })
            .collect();
        Some(Flash { kind, key, args })
    }

    pub fn text(&self, tr: &Tr) -> String {
        let args: Vec<(&str, String)> = self
            .args
            .iter()
            .map(|(k, v)| (k.as_str(), v.clone()))
            .collect();
        tr.ta(&self.key, &args)
    }
}

/// Builds a `Set-Cookie` value with the site's cookie attributes.
pub fn set_cookie(name: &str, value: &str, max_age_secs: Option<i64>, secure: bool) -> HeaderValue {
    let mut c = Cookie::build((name.to_string(), value.to_string()))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure);
    if let Some(a) = max_age_secs {
        c = c.max_age(cookie::time::Duration::seconds(a));
    }
    HeaderValue::from_str(&c.build().to_string()).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// A redirect (303) that carries a flash message to the next page.
pub fn redirect_flash(to: &str, flash: Flash, secure: bool) -> Response {
    let mut r = Redirect::to(to).into_response();
    r.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(FLASH_COOKIE, &flash.encode(), Some(60), secure),
    );
    r
}

/// Context of a request, for every handler (logged in or not).
#[derive(Clone, Debug)]
pub struct Ctx {
    pub tr: Tr,
    pub request_id: String,
    pub session: SessionState,
    pub flash: Option<Flash>,
    /// The page asked for a fragment (filters, pagination) rather than a whole page.
    pub partial: bool,
    /// Path and query of the request (for `next=` links and the language switch).
    pub path: String,
    pub secure: bool,
}

impl FromRequestParts<AppState> for Ctx {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let session = parts
            .extensions
            .get::<SessionState>()
            .cloned()
            .unwrap_or_default();
        let request_id = parts
            .extensions
            .get::<RequestId>()
            .map(|r| r.0.clone())
            .unwrap_or_default();
        let lang = lang_of(&parts.headers, Some(&session));
        let flash = cookie_value(&parts.headers, FLASH_COOKIE).and_then(|v| Flash::decode(&v));
        let partial = parts.headers.get("hx-request").is_some();
        let path = parts
            .uri
            .path_and_query()
            .map(|p| p.as_str().to_string())
            .unwrap_or_else(|| "/".into());
        Ok(Ctx {
            tr: Tr::new(lang),
            request_id,
            session,
            flash,
            partial,
            path,
            secure: state.config.secure_cookies,
        })
    }
}

impl Ctx {
    pub fn actor(&self) -> Option<&Actor> {
        self.session.actor.as_ref()
    }

    /// Renders a page, clearing the flash cookie once it has been shown. Form fields are tied
    /// to their help and error texts here, for every area at once ([`crate::a11y`]).
    pub fn render(&self, t: &impl askama::Template) -> Result<Response, AppError> {
        let body = crate::a11y::link_fields(t.render()?);
        let mut r = Html(body).into_response();
        if self.flash.is_some() {
            r.headers_mut().append(
                header::SET_COOKIE,
                set_cookie(FLASH_COOKIE, "", Some(0), self.secure),
            );
        }
        Ok(r)
    }

    /// A form page: rendered as [`Auth::render`], answered 422 when it comes back with
    /// `errors` (what was typed is in the page), 200 otherwise.
    pub fn render_form(
        &self,
        t: &impl askama::Template,
        errors: &domain::FieldErrors,
    ) -> Result<Response, AppError> {
        let mut r = self.render(t)?;
        if !errors.is_empty() {
            *r.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
        }
        Ok(r)
    }

    pub fn redirect(&self, to: &str, flash: Flash) -> Response {
        redirect_flash(to, flash, self.secure)
    }

    pub fn who(&self) -> store::audit::Who {
        store::audit::Who {
            account: self.actor().map(|a| a.account),
            label: self
                .actor()
                .map(|a| a.username.clone())
                .unwrap_or_else(|| "anonymous".into()),
            request_id: Some(self.request_id.clone()),
        }
    }
}

/// A logged-in actor (with the second factor done). Routes behind [`crate::auth::require_login`]
/// always have one; elsewhere the extractor answers 404 rather than reveal the route.
#[derive(Clone, Debug)]
pub struct Auth {
    pub ctx: Ctx,
    pub actor: Actor,
}

impl FromRequestParts<AppState> for Auth {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let ctx = Ctx::from_request_parts(parts, state).await?;
        if !ctx.session.complete() {
            return Err(AppError::NotFound);
        }
        let actor = ctx.session.actor.clone().ok_or(AppError::NotFound)?;
        Ok(Auth { ctx, actor })
    }
}

impl std::ops::Deref for Auth {
    type Target = Ctx;
    fn deref(&self) -> &Ctx {
        &self.ctx
    }
}
