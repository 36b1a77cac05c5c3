//! Logging in and out: the login form and the guard of every non-public route
//! ([`require_login`], which keeps a form being posted through a login), throttling by
//! account and address, the second factor at login and its setup, passwords, one-time
//! links and the language switch.
//!
//! Nothing here renders the site-wide error or message pages (see `crate::pages`).

use crate::chrome::Chrome;
use crate::ctx::{Auth, Ctx, Flash, SESSION_COOKIE, SessionState, set_cookie};
use crate::error::{AppError, AppResult};
use crate::i18n::Lang;
use crate::pages::MessageTemplate;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Form, Path, Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use domain::FieldErrors;
use domain::ids::AccountId;
use serde::Deserialize;
use store::auth::{self as sa, ThrottlePolicy};

pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && n.len() <= 2048
                && n.bytes().all(|b| b.is_ascii_graphic() && b != b'\\') =>
        {
            n.to_string()
        }
        _ => "/".to_string(),
    }
}

/// Fields that are never carried across a login.
pub(super) fn stashable(name: &str) -> bool {
    !matches!(name, "password" | "current" | "confirm" | "code" | "proof")
}

#[derive(Template)]
#[template(path = "auth/login.html")]
pub struct LoginTemplate {
    pub p: Chrome,
    pub next: String,
    pub username: String,
    pub error: Option<String>,
    pub stash: Vec<(String, String)>,
}

pub(super) fn login_response(
    ctx: &Ctx,
    status: StatusCode,
    next: String,
    username: String,
    error: Option<String>,
    stash: Vec<(String, String)>,
) -> AppResult {
    let t = LoginTemplate {
        p: Chrome::new(ctx, "login-title"),
        next,
        username,
        error,
        stash,
    };
    let mut r = ctx.render(&t)?;
    *r.status_mut() = status;
    Ok(r)
}

/// Guards the routes that need a login (see the module note).
pub async fn require_login(
    State(state): State<AppState>,
    ctx: Ctx,
    req: Request,
    next: Next,
) -> Response {
    let s: &SessionState = &ctx.session;
    let path = ctx.path.clone();
    match (&s.actor, &s.account) {
        (Some(actor), Some(account)) => {
            if account.totp_enabled && !s.second_factor_done {
                return Redirect::to(&format!("/login/totp?next={}", urlencode(&path)))
                    .into_response();
            }
            let enrolling = req.uri().path().starts_with("/account/totp");
            if actor.requires_totp() && !account.totp_enabled && !enrolling {
                return ctx.redirect("/account/totp", Flash::warn("totp-required"));
            }
            next.run(req).await
        }
        _ => {
            let is_form = req.headers().get(header::CONTENT_TYPE).is_some_and(|v| {
                v.as_bytes()
                    .starts_with(b"application/x-www-form-urlencoded")
            });
            let mut stash = Vec::new();
            if req.method() == Method::POST && is_form {
                let body = axum::body::to_bytes(req.into_body(), crate::FORM_LIMIT)
                    .await
                    .unwrap_or_default();
                let fields: Vec<(String, String)> =
                    serde_urlencoded::from_bytes(&body).unwrap_or_default();
                stash = fields.into_iter().filter(|(k, _)| stashable(k)).collect();
            }
            let _ = &state;
            let error = (!stash.is_empty()).then(|| ctx.tr.t("login-expired-form-kept"));
            login_response(
                &ctx,
                StatusCode::UNAUTHORIZED,
                path,
                String::new(),
                error,
                stash,
            )
            .unwrap_or_else(|e| e.into_response())
        }
    }
}

pub(super) fn urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[derive(Deserialize, Default)]
pub struct NextQuery {
    next: Option<String>,
}

pub(super) async fn login_page(
    ctx: Ctx,
    axum::extract::Query(q): axum::extract::Query<NextQuery>,
) -> AppResult {
    if ctx.session.complete() {
        return Ok(Redirect::to(&safe_next(q.next.as_deref())).into_response());
    }
    login_response(
        &ctx,
        StatusCode::OK,
        safe_next(q.next.as_deref()),
        String::new(),
        None,
        Vec::new(),
    )
}

/// The client's address as the login throttle counts it: the socket peer, or, when the
/// peer is a configured trusted proxy, the nearest `X-Forwarded-For` hop that is not one
/// of the trusted proxies (read from the right: the left end is whatever the client wrote).
pub fn client_addr(
    peer: Option<std::net::IpAddr>,
    headers: &axum::http::HeaderMap,
    trusted: &[std::net::IpAddr],
) -> String {
    let Some(peer) = peer else {
        return "unknown".into();
    };
    if !trusted.contains(&peer) {
        return peer.to_string();
    }
    let hops: Vec<std::net::IpAddr> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|h| h.trim().parse().ok())
        .collect();
    hops.iter()
        .rev()
        .find(|h| !trusted.contains(h))
        .copied()
        .unwrap_or(peer)
        .to_string()
}

/// The socket peer of the request, when the server was started with connection info.
pub struct Peer(pub Option<std::net::IpAddr>);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Peer {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(Peer(
            parts
                .extensions
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                .map(|c| c.0.ip()),
        ))
    }
}

#[derive(Template)]
#[template(path = "auth/resubmit.html")]
pub(super) struct ResubmitTemplate {
    p: Chrome,
    action: String,
    fields: Vec<(String, String)>,
}

pub(super) async fn login(
    State(state): State<AppState>,
    ctx: Ctx,
    peer: Peer,
    headers: axum::http::HeaderMap,
    Form(fields): Form<Vec<(String, String)>>,
) -> AppResult {
    let get = |k: &str| {
        fields
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let next = safe_next(Some(&get("next")));
    let username = get("username").trim().to_lowercase();
    let password = get("password");
    let stash: Vec<(String, String)> = fields
        .iter()
        .filter_map(|(k, v)| k.strip_prefix("stash.").map(|k| (k.to_string(), v.clone())))
        .collect();
    // Back-off per account *and* address: failures from one place slow that place down,
    // never the owner of the account logging in from elsewhere; failures of one address
    // across many names slow that address.
    let addr = client_addr(peer.0, &headers, &state.config.trusted_proxies);
    let keys = vec![format!("acct:{username}@{addr}"), format!("ip:{addr}")];
    let db = &state.store.db;
    if let Some(until) = sa::locked_until(db, &keys).await? {
        let minutes = ((until - store::now()).num_seconds() + 59) / 60;
        let msg = ctx.tr.t1("login-locked", "minutes", minutes.max(1));
        return login_response(
            &ctx,
            StatusCode::TOO_MANY_REQUESTS,
            next,
            username,
            Some(msg),
            stash,
        );
    }
    let found = sa::account_for_login(db, &username).await?;
    let (account, hash) = match &found {
        Some((a, h)) if !a.disabled => (Some(a), h.as_deref()),
        _ => (None, None),
    };
    let ok = state.hasher.verify(&password, hash).await && account.is_some();
    let Some(account) = account.filter(|_| ok) else {
        sa::record_failure(db, &keys[0], ThrottlePolicy::ACCOUNT).await?;
        sa::record_failure(db, &keys[1], ThrottlePolicy::ADDRESS).await?;
        let msg = ctx.tr.t("login-failed");
        return login_response(&ctx, StatusCode::OK, next, username, Some(msg), stash);
    };
    sa::clear_failures(db, &keys[0]).await?;
    // A new session id at every login; the old one (if any) ends.
    if let Some(old) = &ctx.session.token {
        sa::end_session(db, old).await?;
    }
    let token = sa::create_session(
        db,
        AccountId(account.id),
        !account.totp_enabled,
        state.config.session,
    )
    .await?;
    let cookie = set_cookie(SESSION_COOKIE, &token, None, ctx.secure);
    let mut response = if account.totp_enabled {
        Redirect::to(&format!("/login/totp?next={}", urlencode(&next))).into_response()
    } else if !stash.is_empty() {
        let t = ResubmitTemplate {
            p: Chrome::new(&ctx, "resubmit-title"),
            action: next,
            fields: stash,
        };
        ctx.render(&t)?
    } else {
        Redirect::to(&next).into_response()
    };
    response.headers_mut().append(header::SET_COOKIE, cookie);
    Ok(response)
}

#[derive(Template)]
#[template(path = "auth/totp_login.html")]
pub(super) struct TotpLoginTemplate {
    p: Chrome,
    next: String,
    error: Option<String>,
}

pub(super) async fn totp_page(
    ctx: Ctx,
    axum::extract::Query(q): axum::extract::Query<NextQuery>,
) -> AppResult {
    if ctx.session.actor.is_none() {
        return Ok(Redirect::to("/login").into_response());
    }
    ctx.render(&TotpLoginTemplate {
        p: Chrome::new(&ctx, "totp-login-title"),
        next: safe_next(q.next.as_deref()),
        error: None,
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct TotpForm {
    code: String,
    next: Option<String>,
}

pub(super) async fn totp_submit(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(f): Form<TotpForm>,
) -> AppResult {
    let (Some(token), Some(account)) = (&ctx.session.token, &ctx.session.account) else {
        return Ok(Redirect::to("/login").into_response());
    };
    let id = AccountId(account.id);
    let key = format!("totp:{}", account.id);
    if sa::locked_until(&state.store.db, std::slice::from_ref(&key))
        .await?
        .is_some()
    {
        let error = Some(ctx.tr.t1("login-locked", "minutes", 1));
        return ctx.render(&TotpLoginTemplate {
            p: Chrome::new(&ctx, "totp-login-title"),
            next: safe_next(f.next.as_deref()),
            error,
        });
    }
    let now = chrono::Utc::now().timestamp().max(0) as u64;
    let ok = sa::check_totp(&state.store, id, &f.code, now).await?
        || sa::use_recovery_code(&state.store, id, &f.code).await?;
    if !ok {
        sa::record_failure(&state.store.db, &key, ThrottlePolicy::ACCOUNT).await?;
        let error = Some(ctx.tr.t(domain::text::TOTP_INVALID));
        return ctx.render(&TotpLoginTemplate {
            p: Chrome::new(&ctx, "totp-login-title"),
            next: safe_next(f.next.as_deref()),
            error,
        });
    }
    sa::clear_failures(&state.store.db, &key).await?;
    sa::complete_second_factor(&state.store.db, token).await?;
    Ok(Redirect::to(&safe_next(f.next.as_deref())).into_response())
}

pub(super) async fn logout(State(state): State<AppState>, ctx: Ctx) -> AppResult {
    if let Some(t) = &ctx.session.token {
        sa::end_session(&state.store.db, t).await?;
    }
    let mut r = ctx.redirect("/login", Flash::ok("logout-done"));
    r.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(SESSION_COOKIE, "", Some(0), ctx.secure),
    );
    Ok(r)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct LangForm {
    lang: String,
    next: Option<String>,
}

pub(super) async fn switch_lang(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(f): Form<LangForm>,
) -> AppResult {
    let lang = Lang::from_code(&f.lang).ok_or(AppError::BadRequest)?;
    if let Some(a) = &ctx.session.account {
        sa::set_locale(&state.store.db, AccountId(a.id), lang.code()).await?;
    }
    if let Some(t) = &ctx.session.token {
        sa::set_session_locale(&state.store.db, t, lang.code()).await?;
    }
    let mut r = Redirect::to(&safe_next(f.next.as_deref())).into_response();
    r.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(
            crate::ctx::LANG_COOKIE,
            lang.code(),
            Some(365 * 86400),
            ctx.secure,
        ),
    );
    Ok(r)
}

#[derive(Template)]
#[template(path = "auth/password.html")]
pub(super) struct PasswordTemplate {
    p: Chrome,
    /// The one-time link token when setting a password from a link.
    token: Option<String>,
    errors: FieldErrors,
    done: bool,
}

pub(super) async fn password_page(a: Auth) -> AppResult {
    a.render(&PasswordTemplate {
        p: Chrome::new(&a, "password-title"),
        token: None,
        errors: FieldErrors::default(),
        done: false,
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct PasswordForm {
    #[serde(default)]
    current: String,
    password: String,
    confirm: String,
}

pub(super) async fn password_submit(
    State(state): State<AppState>,
    a: Auth,
    Form(f): Form<PasswordForm>,
) -> AppResult {
    let mut errors = FieldErrors::default();
    let hash = sa::account_for_login(&state.store.db, &a.actor.username)
        .await?
        .and_then(|x| x.1);
    if !state.hasher.verify(&f.current, hash.as_deref()).await {
        errors.push(domain::FieldError::new("current", "err-password-current"));
    }
    errors.take(domain::auth::check_new_password(&f.password, &f.confirm));
    if !errors.is_empty() {
        let t = PasswordTemplate {
            p: Chrome::new(&a, "password-title"),
            token: None,
            errors,
            done: false,
        };
        let mut r = a.render(&t)?;
        *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
        return Ok(r);
    }
    let new_hash = state.hasher.hash(&f.password).await?;
    sa::set_password(&state.store, &a.who(), a.actor.account, &new_hash).await?;
    // Every session ended, this one too: log in again with the new password.
    let mut r = a.redirect("/login", Flash::ok("password-changed"));
    r.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(SESSION_COOKIE, "", Some(0), a.secure),
    );
    Ok(r)
}

pub(super) async fn link_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(token): Path<String>,
) -> AppResult {
    match sa::peek_token(&state.store.db, &token).await {
        Ok(_) => ctx.render(&PasswordTemplate {
            p: Chrome::new(&ctx, "link-title"),
            token: Some(token),
            errors: FieldErrors::default(),
            done: false,
        }),
        Err(e) => {
            let key = match e {
                sa::TokenError::Used => "link-used",
                sa::TokenError::Expired => "link-expired",
                sa::TokenError::Unknown => "link-unknown",
            };
            let mut r = ctx.render(&MessageTemplate {
                p: Chrome::new(&ctx, "link-title"),
                message: ctx.tr.t(key),
            })?;
            *r.status_mut() = StatusCode::GONE;
            Ok(r)
        }
    }
}

pub(super) async fn link_submit(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(token): Path<String>,
    Form(f): Form<PasswordForm>,
) -> AppResult {
    let mut errors = FieldErrors::default();
    errors.take(domain::auth::check_new_password(&f.password, &f.confirm));
    if !errors.is_empty() {
        let t = PasswordTemplate {
            p: Chrome::new(&ctx, "link-title"),
            token: Some(token),
            errors,
            done: false,
        };
        let mut r = ctx.render(&t)?;
        *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
        return Ok(r);
    }
    let hash = state.hasher.hash(&f.password).await?;
    match sa::redeem_token(&state.store, &token, &hash).await {
        Ok(_) => Ok(ctx.redirect("/login", Flash::ok("password-set"))),
        Err(store::StoreError::State(_)) => {
            let mut r = ctx.render(&MessageTemplate {
                p: Chrome::new(&ctx, "link-title"),
                message: ctx.tr.t("link-used"),
            })?;
            *r.status_mut() = StatusCode::GONE;
            Ok(r)
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "auth/totp_setup.html")]
pub(super) struct TotpSetupTemplate {
    p: Chrome,
    enabled: bool,
    required: bool,
    /// While enrolling: the QR code (SVG) and the secret to type.
    qr_svg: Option<String>,
    secret: Option<String>,
    error: Option<String>,
    recovery_codes: Vec<String>,
}

pub(super) async fn totp_setup_page(a: Auth) -> AppResult {
    let enabled = a.session.account.as_ref().is_some_and(|x| x.totp_enabled);
    a.render(&TotpSetupTemplate {
        p: Chrome::new(&a, "totp-setup-title"),
        enabled,
        required: a.actor.requires_totp(),
        qr_svg: None,
        secret: None,
        error: None,
        recovery_codes: Vec::new(),
    })
}

pub(super) fn qr_svg(data: &str) -> Option<String> {
    let code = qrcode::QrCode::new(data.as_bytes()).ok()?;
    Some(
        code.render::<qrcode::render::svg::Color>()
            .min_dimensions(200, 200)
            .quiet_zone(true)
            .build(),
    )
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct TotpStartForm {
    /// The password or a current code: needed when a second factor is already on, so that
    /// a session left open cannot turn it off.
    proof: String,
}

pub(super) async fn totp_start(
    State(state): State<AppState>,
    a: Auth,
    Form(f): Form<TotpStartForm>,
) -> AppResult {
    let enabled = a.session.account.as_ref().is_some_and(|x| x.totp_enabled);
    if enabled {
        let key = format!("totp:{}", a.actor.account.0);
        let db = &state.store.db;
        let locked = sa::locked_until(db, std::slice::from_ref(&key))
            .await?
            .is_some();
        let now = chrono::Utc::now().timestamp().max(0) as u64;
        let proven = !locked && !f.proof.is_empty() && {
            let hash = sa::account_for_login(db, &a.actor.username)
                .await?
                .and_then(|x| x.1);
            state.hasher.verify(&f.proof, hash.as_deref()).await
                || sa::check_totp(&state.store, a.actor.account, &f.proof, now).await?
        };
        if !proven {
            if !locked {
                sa::record_failure(db, &key, ThrottlePolicy::ACCOUNT).await?;
            }
            let mut r = a.render(&TotpSetupTemplate {
                p: Chrome::new(&a, "totp-setup-title"),
                enabled: true,
                required: a.actor.requires_totp(),
                qr_svg: None,
                secret: None,
                error: Some(a.tr.t("err-totp-proof")),
                recovery_codes: Vec::new(),
            })?;
            *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            return Ok(r);
        }
    }
    let e = sa::begin_totp(&state.store, a.actor.account, &a.actor.username).await?;
    a.render(&TotpSetupTemplate {
        p: Chrome::new(&a, "totp-setup-title"),
        enabled: false,
        required: a.actor.requires_totp(),
        qr_svg: qr_svg(&e.uri),
        secret: Some(e.secret_base32),
        error: None,
        recovery_codes: Vec::new(),
    })
}

pub(super) async fn totp_confirm(
    State(state): State<AppState>,
    a: Auth,
    Form(f): Form<TotpForm>,
) -> AppResult {
    let now = chrono::Utc::now().timestamp().max(0) as u64;
    match sa::enable_totp(&state.store, &a.who(), a.actor.account, &f.code, now).await? {
        Some(codes) => {
            if let Some(t) = &a.session.token {
                sa::complete_second_factor(&state.store.db, t).await?;
            }
            a.render(&TotpSetupTemplate {
                p: Chrome::new(&a, "totp-setup-title"),
                enabled: true,
                required: a.actor.requires_totp(),
                qr_svg: None,
                secret: None,
                error: None,
                recovery_codes: codes,
            })
        }
        None => {
            let mut r = a.render(&TotpSetupTemplate {
                p: Chrome::new(&a, "totp-setup-title"),
                enabled: false,
                required: a.actor.requires_totp(),
                qr_svg: None,
                secret: None,
                error: Some(a.tr.t(domain::text::TOTP_INVALID)),
                recovery_codes: Vec::new(),
            })?;
            *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(r)
        }
    }
}
