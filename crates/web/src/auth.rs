//! Logging in and out, the second factor, passwords, one-time links, the language switch,
//! and account administration (accounts and their grants).
//!
//! [`require_login`] guards every non-public route. An anonymous request gets 401 with the
//! login form in place; if it was a form POST (a session that expired while someone was
//! typing), the fields ride along hidden in the login form and come back on a "send
//! again" page after logging in, so nothing typed is lost.

use crate::chrome::{Chrome, Opt};
use crate::ctx::{Auth, Ctx, Flash, SESSION_COOKIE, SessionState, set_cookie};
use crate::error::{AppError, AppResult};
use crate::i18n::{Lang, Tr};
use crate::state::AppState;
use crate::{Guard, Permission as P, RouteTable};
use askama::Template;
use axum::extract::{Form, Path, Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use domain::FieldErrors;
use domain::auth::{Role, perm};
use domain::ids::{AccountId, GrantId, OrgUnitId};
use serde::Deserialize;
use store::auth::{self as sa, ThrottlePolicy, TokenPurpose};
use store::org;

pub fn routes(t: RouteTable) -> RouteTable {
    t.get("/login", Guard::public(), login_page)
        .post(
            "/login",
            Guard::public().form(&[("username", "nobody"), ("password", "wrong password")]),
            login,
        )
        .get("/login/totp", Guard::public(), totp_page)
        .post(
            "/login/totp",
            Guard::public().form(&[("code", "000000")]),
            totp_submit,
        )
        .post("/logout", Guard::public().button(), logout)
        .post(
            "/lang",
            Guard::public().form(&[("lang", "en")]),
            switch_lang,
        )
        .get("/link/{token}", Guard::public(), link_page)
        .post(
            "/link/{token}",
            Guard::public().form(&[
                ("password", "a long new password"),
                ("confirm", "a long new password"),
            ]),
            link_submit,
        )
        .get("/account/password", Guard::own(), password_page)
        .post(
            "/account/password",
            Guard::own().form(&[
                ("current", "not the password"),
                ("password", "a long new password"),
                ("confirm", "a long new password"),
            ]),
            password_submit,
        )
        .get("/account/totp", Guard::own(), totp_setup_page)
        .post("/account/totp/start", Guard::own().button(), totp_start)
        .post(
            "/account/totp/confirm",
            Guard::own().form(&[("code", "000000")]),
            totp_confirm,
        )
        .get("/accounts", Guard::staff(P::AccountManage), accounts_page)
        .get(
            "/accounts/new",
            Guard::staff(P::AccountManage),
            account_new_page,
        )
        .post(
            "/accounts/new",
            Guard::staff(P::AccountManage).form(&[
                ("username", "newcomer"),
                ("display_name", "新人"),
                ("role", "member"),
                ("unit", "{school}"),
            ]),
            account_create,
        )
        .post(
            "/accounts/{id}/grants",
            Guard::staff(P::AccountManage).form(&[("role", "member"), ("unit", "{school}")]),
            grant_add,
        )
        .post(
            "/accounts/{id}/link",
            Guard::staff(P::AccountManage).button(),
            account_link,
        )
        .post(
            "/accounts/{id}/disable",
            Guard::staff(P::AccountManage).button(),
            account_disable,
        )
        .post(
            "/accounts/{id}/enable",
            Guard::staff(P::AccountManage).button(),
            account_enable,
        )
        .post(
            "/grants/{id}/revoke",
            Guard::staff(P::AccountManage).button(),
            grant_revoke,
        )
}

/// Only a plain local path may be a `next=` target: one leading `/`, then printable ASCII
/// without a backslash. Browsers drop tabs and line breaks from a `Location` (so
/// `/\t/evil.example/` would become `//evil.example/`, another site), and a line break
/// cannot even be put into the header; anything else goes to the start page.
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
fn stashable(name: &str) -> bool {
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

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorTemplate {
    pub p: Chrome,
    pub status: u16,
    pub message: String,
}

impl ErrorTemplate {
    pub fn new(tr: Tr, status: StatusCode, request_id: &str) -> ErrorTemplate {
        let (title, message) = match status.as_u16() {
            403 => ("error-403-title", "error-403-text"),
            404 => ("error-404-title", "error-404-text"),
            409 => ("error-409-title", "error-409-text"),
            413 => ("error-413-title", "error-413-text"),
            400 | 405 | 422 => ("error-400-title", "error-400-text"),
            _ => ("error-500-title", "error-500-text"),
        };
        ErrorTemplate {
            p: Chrome::bare(tr, title, request_id),
            status: status.as_u16(),
            message: tr.t(message),
        }
    }
}

fn login_response(
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

fn urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[derive(Deserialize, Default)]
pub struct NextQuery {
    next: Option<String>,
}

async fn login_page(
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
struct ResubmitTemplate {
    p: Chrome,
    action: String,
    fields: Vec<(String, String)>,
}

async fn login(
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
struct TotpLoginTemplate {
    p: Chrome,
    next: String,
    error: Option<String>,
}

async fn totp_page(
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
struct TotpForm {
    code: String,
    next: Option<String>,
}

async fn totp_submit(
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

async fn logout(State(state): State<AppState>, ctx: Ctx) -> AppResult {
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
struct LangForm {
    lang: String,
    next: Option<String>,
}

async fn switch_lang(
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
struct PasswordTemplate {
    p: Chrome,
    /// The one-time link token when setting a password from a link.
    token: Option<String>,
    errors: FieldErrors,
    done: bool,
}

async fn password_page(a: Auth) -> AppResult {
    a.render(&PasswordTemplate {
        p: Chrome::new(&a, "password-title"),
        token: None,
        errors: FieldErrors::default(),
        done: false,
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct PasswordForm {
    #[serde(default)]
    current: String,
    password: String,
    confirm: String,
}

async fn password_submit(
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

async fn link_page(
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

async fn link_submit(
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
#[template(path = "message.html")]
pub struct MessageTemplate {
    pub p: Chrome,
    pub message: String,
}

#[derive(Template)]
#[template(path = "auth/totp_setup.html")]
struct TotpSetupTemplate {
    p: Chrome,
    enabled: bool,
    required: bool,
    /// While enrolling: the QR code (SVG) and the secret to type.
    qr_svg: Option<String>,
    secret: Option<String>,
    error: Option<String>,
    recovery_codes: Vec<String>,
}

async fn totp_setup_page(a: Auth) -> AppResult {
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

fn qr_svg(data: &str) -> Option<String> {
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
struct TotpStartForm {
    /// The password or a current code: needed when a second factor is already on, so that
    /// a session left open cannot turn it off.
    proof: String,
}

async fn totp_start(
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

async fn totp_confirm(
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

// ---------------------------------------------------------------- account administration

pub struct AccountRow {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub disabled: bool,
    pub totp: bool,
    pub grants: Vec<(i64, String, String)>,
}

#[derive(Template)]
#[template(path = "auth/accounts.html")]
struct AccountsTemplate {
    p: Chrome,
    accounts: Vec<AccountRow>,
    roles: Vec<Opt>,
    units: Vec<Opt>,
    /// A one-time link just issued (shown once).
    link: Option<(String, String)>,
}

async fn units_for_grants(
    state: &AppState,
    a: &Auth,
    cap: &domain::auth::Cap<perm::AccountManage>,
) -> AppResult<Vec<Opt>> {
    let _ = a;
    let units = org::list_units(&state.store.db, cap).await?;
    Ok(units
        .into_iter()
        .filter(|u| u.kind != domain::org::OrgKind::Branch)
        .map(|u| Opt::new(u.id, &u.name, false))
        .collect())
}

fn role_options(a: &Auth) -> Vec<Opt> {
    a.actor
        .grantable_roles()
        .into_iter()
        .map(|r| Opt::new(r.code(), a.tr.t(&r.label_key()), false))
        .collect()
}

async fn accounts_view(state: &AppState, a: &Auth, link: Option<(String, String)>) -> AppResult {
    let cap = a.actor.authorize::<perm::AccountManage>()?;
    let list = sa::list_accounts(&state.store.db, &cap).await?;
    let accounts = list
        .into_iter()
        .map(|x| AccountRow {
            id: x.account.id,
            username: x.account.username,
            display_name: x.account.display_name,
            disabled: x.account.disabled,
            totp: x.account.totp_enabled,
            grants: x
                .grants
                .into_iter()
                .map(|(g, r, _, unit)| (g.0, a.tr.t(&r.label_key()), unit))
                .collect(),
        })
        .collect();
    let units = units_for_grants(state, a, &cap).await?;
    a.render(&AccountsTemplate {
        p: Chrome::new(a, "accounts-title"),
        accounts,
        roles: role_options(a),
        units,
        link,
    })
}

async fn accounts_page(State(state): State<AppState>, a: Auth) -> AppResult {
    accounts_view(&state, &a, None).await
}

#[derive(Template)]
#[template(path = "auth/account_new.html")]
struct AccountNewTemplate {
    p: Chrome,
    form: AccountForm,
    errors: FieldErrors,
    roles: Vec<Opt>,
    units: Vec<Opt>,
}

#[derive(Deserialize, Default, Clone)]
struct AccountForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    unit: String,
    /// Optional: the ID number of the member the account belongs to.
    #[serde(default)]
    member_id_number: String,
}

async fn account_new_page(State(state): State<AppState>, a: Auth) -> AppResult {
    let cap = a.actor.authorize::<perm::AccountManage>()?;
    let units = units_for_grants(&state, &a, &cap).await?;
    a.render(&AccountNewTemplate {
        p: Chrome::new(&a, "account-new-title"),
        form: AccountForm::default(),
        errors: FieldErrors::default(),
        roles: role_options(&a),
        units,
    })
}

fn mark(opts: Vec<Opt>, value: &str) -> Vec<Opt> {
    opts.into_iter()
        .map(|mut o| {
            o.selected = o.value == value;
            o
        })
        .collect()
}

async fn account_create(
    State(state): State<AppState>,
    a: Auth,
    Form(f): Form<AccountForm>,
) -> AppResult {
    let cap = a.actor.authorize::<perm::AccountManage>()?;
    let mut errors = FieldErrors::default();
    let username = errors.take(domain::auth::parse_username(&f.username));
    let display = errors.take(domain::org::required_text(
        "display_name",
        &f.display_name,
        40,
    ));
    let role = Role::from_code(&f.role);
    if role.is_none() {
        errors.push(domain::FieldError::new("role", domain::text::REQUIRED));
    }
    let unit: Option<OrgUnitId> = f.unit.parse().ok();
    if unit.is_none() {
        errors.push(domain::FieldError::new("unit", domain::text::REQUIRED));
    }
    let mut member = None;
    if !f.member_id_number.trim().is_empty() {
        match domain::org::IdNumber::parse(&f.member_id_number) {
            Ok(id) => match org::find_by_id_number(&state.store, &cap, &id).await? {
                Some((m, _)) => member = Some(m),
                None => errors.push(domain::FieldError::new(
                    "member_id_number",
                    "err-member-not-found",
                )),
            },
            Err(mut e) => {
                e.field = "member_id_number";
                errors.push(e);
            }
        }
    }
    if let (true, Some(username), Some(display), Some(role), Some(unit)) =
        (errors.is_empty(), username, display, role, unit)
    {
        let new = sa::NewAccount {
            username,
            display_name: display,
            member,
            password_hash: None,
        };
        match sa::create_account(&state.store, &cap, &a.actor, &a.who(), &new, role, unit).await {
            Ok(id) => {
                let token = sa::issue_token(
                    &state.store,
                    &a.who(),
                    id,
                    TokenPurpose::Setup,
                    chrono::Duration::days(7),
                )
                .await?;
                let link = link_url(&state, &token);
                return accounts_view(&state, &a, Some((new.username, link))).await;
            }
            Err(store::StoreError::Invalid(e)) => errors.0.extend(e.0),
            Err(e) => return Err(e.into()),
        }
    }
    let units = mark(units_for_grants(&state, &a, &cap).await?, &f.unit);
    let roles = mark(role_options(&a), &f.role);
    let mut r = a.render(&AccountNewTemplate {
        p: Chrome::new(&a, "account-new-title"),
        form: f,
        errors,
        roles,
        units,
    })?;
    *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    Ok(r)
}

fn link_url(state: &AppState, token: &str) -> String {
    format!(
        "{}/link/{token}",
        state.config.public_url.clone().unwrap_or_default()
    )
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct GrantForm {
    role: String,
    unit: String,
}

async fn grant_add(
    State(state): State<AppState>,
    a: Auth,
    Path(id): Path<i64>,
    Form(f): Form<GrantForm>,
) -> AppResult {
    let cap = a.actor.authorize::<perm::AccountManage>()?;
    if !sa::account_in_reach(&state.store.db, &cap, &a.actor, AccountId(id)).await? {
        return Err(AppError::NotFound);
    }
    let role = Role::from_code(&f.role).ok_or(AppError::BadRequest)?;
    let unit: OrgUnitId = f.unit.parse().map_err(|_| AppError::BadRequest)?;
    match sa::grant(
        &state.store,
        &cap,
        &a.actor,
        &a.who(),
        AccountId(id),
        role,
        unit,
    )
    .await
    {
        Ok(_) => Ok(a.redirect("/accounts", Flash::ok("grant-added"))),
        Err(store::StoreError::Invalid(_)) => {
            Ok(a.redirect("/accounts", Flash::error(domain::text::ROLE_NOT_GRANTABLE)))
        }
        Err(e) => Err(e.into()),
    }
}

async fn grant_revoke(State(state): State<AppState>, a: Auth, Path(id): Path<i64>) -> AppResult {
    let cap = a.actor.authorize::<perm::AccountManage>()?;
    sa::revoke(&state.store, &cap, &a.actor, &a.who(), GrantId(id)).await?;
    Ok(a.redirect("/accounts", Flash::ok("grant-revoked")))
}

async fn account_link(State(state): State<AppState>, a: Auth, Path(id): Path<i64>) -> AppResult {
    let cap = a.actor.authorize::<perm::AccountManage>()?;
    if !sa::account_in_reach(&state.store.db, &cap, &a.actor, AccountId(id)).await? {
        return Err(AppError::NotFound);
    }
    let acc = sa::account(&state.store.db, AccountId(id)).await?;
    let token = sa::issue_token(
        &state.store,
        &a.who(),
        AccountId(id),
        TokenPurpose::Reset,
        chrono::Duration::days(2),
    )
    .await?;
    accounts_view(&state, &a, Some((acc.username, link_url(&state, &token)))).await
}

async fn account_disable(State(state): State<AppState>, a: Auth, Path(id): Path<i64>) -> AppResult {
    let cap = a.actor.authorize::<perm::AccountManage>()?;
    if AccountId(id) == a.actor.account {
        return Err(AppError::BadRequest);
    }
    sa::set_disabled(&state.store, &cap, &a.actor, &a.who(), AccountId(id), true).await?;
    Ok(a.redirect("/accounts", Flash::ok("account-disabled")))
}

async fn account_enable(State(state): State<AppState>, a: Auth, Path(id): Path<i64>) -> AppResult {
    let cap = a.actor.authorize::<perm::AccountManage>()?;
    sa::set_disabled(&state.store, &cap, &a.actor, &a.who(), AccountId(id), false).await?;
    Ok(a.redirect("/accounts", Flash::ok("account-enabled")))
}

use crate::area::{Area, NavEntry};

/// The auth area: login, accounts and grants, one's own page.
pub static AREA: Area = Area {
    name: "auth",
    routes: |t, _| routes(t),
    nav: &[NavEntry {
        href: "/accounts",
        label_key: "nav-accounts",
        permission: Some(P::AccountManage),
        rank: 80,
    }],
    documents: &[],
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_plain_local_path_is_a_next_target() {
        for bad in [
            "//evil.example/",
            "/\\evil.example",
            "/\t/evil.example/",
            "/\r\nSet-Cookie: x=1",
            "https://evil.example/",
            "/ /x",
            "",
        ] {
            assert_eq!(safe_next(Some(bad)), "/", "{bad:?}");
        }
        assert_eq!(safe_next(Some("/members?page=2")), "/members?page=2");
        assert_eq!(safe_next(None), "/");
    }

    #[test]
    fn the_client_is_the_peer_unless_the_peer_is_a_trusted_proxy() {
        let mut h = axum::http::HeaderMap::new();
        h.insert("x-forwarded-for", "6.6.6.6, 10.1.1.1".parse().unwrap());
        let peer: std::net::IpAddr = "127.0.0.1".parse().unwrap();
        assert_eq!(client_addr(Some(peer), &h, &[]), "127.0.0.1");
        // Behind a trusted proxy, the hop the proxy saw (the right end) is the client;
        // the left end is whatever the client wrote.
        assert_eq!(client_addr(Some(peer), &h, &[peer]), "10.1.1.1");
        assert_eq!(client_addr(None, &h, &[peer]), "unknown");
    }
}
