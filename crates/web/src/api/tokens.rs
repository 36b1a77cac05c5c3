//! `/me/tokens`: one's own personal access tokens for the API. Create one (a name, some of
//! one's own grants, read or read+write, a lifetime), see its secret once, list them (never
//! the secret again), revoke one after a confirmation.
//!
//! Shows and touches only the reader's own tokens: another account's token looks missing.

use crate::chrome::{Chrome, Opt};
use crate::ctx::{Auth, Flash};
use crate::error::AppResult;
use crate::state::AppState;
use crate::{Guard, RouteTable};
use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use domain::auth::Grant;
use store::api_token::{self, NewToken};

pub fn routes(t: RouteTable) -> RouteTable {
    t.get("/me/tokens", Guard::own(), page)
        .post(
            "/me/tokens",
            Guard::own().form(&[
                ("name", "接口令牌"),
                ("days", "30"),
                ("access", "read"),
                ("grant", "member:{school}"),
            ]),
            create,
        )
        .post("/me/tokens/{id}/revoke", Guard::own().button(), revoke)
}

pub struct TokenView {
    pub id: i64,
    pub name: String,
    pub access: String,
    pub grants: String,
    pub created: String,
    pub expires: String,
    pub last_used: String,
    pub active: bool,
    pub state: String,
}

#[derive(Template)]
#[template(path = "api/tokens.html")]
struct TokensPage {
    p: Chrome,
    rows: Vec<TokenView>,
    grants: Vec<Opt>,
    days: Vec<Opt>,
    name: String,
    write: bool,
    name_error: Option<String>,
    grants_error: Option<String>,
    days_error: Option<String>,
    /// The secret of the token just created: shown on this one answer only.
    secret: Option<String>,
}

fn grant_value(g: &Grant) -> String {
    format!("{}:{}", g.role.code(), g.org_unit.0)
}

fn grant_label(a: &Auth, g: &Grant) -> String {
    let unit = a
        .ctx
        .session
        .account
        .as_ref()
        .and_then(|acc| acc.unit_names.iter().find(|(u, _)| *u == g.org_unit))
        .map(|(_, n)| n.clone())
        .unwrap_or_else(|| g.org_unit.0.to_string());
    format!("{} · {unit}", a.tr.t(&g.role.label_key()))
}

const DAYS: [i64; 4] = [30, 90, 180, 365];

#[derive(Default)]
struct FormState {
    name: String,
    write: bool,
    chosen: Vec<String>,
    days: i64,
    name_error: Option<String>,
    grants_error: Option<String>,
    days_error: Option<String>,
    secret: Option<String>,
}

async fn render(state: &AppState, a: &Auth, f: FormState) -> AppResult {
    let tokens = api_token::list_own(&state.store, a.actor.account).await?;
    let now = store::now();
    let mut rows = Vec::with_capacity(tokens.len());
    for t in tokens {
        let grants = api_token::grants_of(&state.store, a.actor.account, t.id).await?;
        let active = t.active(now);
        rows.push(TokenView {
            id: t.id,
            name: t.name.clone(),
            access: a.tr.t(if t.can_write {
                "api-token-access-write"
            } else {
                "api-token-access-read"
            }),
            grants: grants
                .iter()
                .map(|g| grant_label(a, g))
                .collect::<Vec<_>>()
                .join("; "),
            created: a.tr.datetime(&t.created_at),
            expires: a.tr.datetime(&t.expires_at),
            last_used: t
                .last_used_at
                .map(|d| a.tr.datetime(&d))
                .unwrap_or_else(|| a.tr.t("api-token-never-used")),
            active,
            state: a.tr.t(if t.revoked_at.is_some() {
                "api-token-revoked"
            } else if active {
                "api-token-active"
            } else {
                "api-token-expired"
            }),
        });
    }
    let fresh = f.name.is_empty() && f.chosen.is_empty();
    let grants = a
        .actor
        .grants
        .iter()
        .map(|g| {
            let v = grant_value(g);
            let on = fresh || f.chosen.contains(&v);
            Opt::new(&v, grant_label(a, g), on)
        })
        .collect();
    let days = DAYS
        .iter()
        .map(|d| {
            Opt::new(
                d,
                a.tr.t1("api-token-days-n", "days", *d),
                *d == if f.days == 0 { 90 } else { f.days },
            )
        })
        .collect();
    let failed = f.name_error.is_some() || f.grants_error.is_some() || f.days_error.is_some();
    let page = TokensPage {
        p: Chrome::new(a, "api-token-title"),
        rows,
        grants,
        days,
        name: f.name,
        write: f.write,
        name_error: f.name_error,
        grants_error: f.grants_error,
        days_error: f.days_error,
        secret: f.secret,
    };
    let mut r = a.render(&page)?;
    if failed {
        *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(r)
}

async fn page(State(state): State<AppState>, a: Auth) -> AppResult {
    render(&state, &a, FormState::default()).await
}

async fn create(
    State(state): State<AppState>,
    a: Auth,
    Form(fields): Form<Vec<(String, String)>>,
) -> AppResult {
    let get = |k: &str| {
        fields
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_default()
    };
    let mut f = FormState {
        name: get("name"),
        write: get("access") == "write",
        chosen: fields
            .iter()
            .filter(|(n, _)| n == "grant")
            .map(|(_, v)| v.clone())
            .collect(),
        days: get("days").parse().unwrap_or(0),
        ..Default::default()
    };
    // Only the reader's own grants can be chosen; anything else is not offered.
    let chosen: Vec<Grant> = a
        .actor
        .grants
        .iter()
        .filter(|g| f.chosen.contains(&grant_value(g)))
        .copied()
        .collect();
    if f.name.is_empty() || f.name.chars().count() > 60 {
        f.name_error = Some(a.tr.t("api-token-error-name"));
    }
    if chosen.is_empty() {
        f.grants_error = Some(a.tr.t("api-token-error-grants"));
    }
    if !DAYS.contains(&f.days) {
        f.days_error = Some(a.tr.t("api-token-error-days"));
    }
    if f.name_error.is_some() || f.grants_error.is_some() || f.days_error.is_some() {
        return render(&state, &a, f).await;
    }
    let new = NewToken {
        name: f.name.clone(),
        grants: chosen,
        can_write: f.write,
        days: f.days,
    };
    let (_, secret) = api_token::create(&state.store, &a.actor, &a.who(), &new).await?;
    let mut r = render(
        &state,
        &a,
        FormState {
            secret: Some(secret),
            ..Default::default()
        },
    )
    .await?;
    *r.status_mut() = StatusCode::CREATED;
    Ok(r)
}

async fn revoke(State(state): State<AppState>, a: Auth, Path(id): Path<i64>) -> AppResult {
    api_token::revoke(&state.store, a.actor.account, &a.who(), id).await?;
    Ok(a.redirect("/me/tokens", Flash::ok("api-token-revoked-flash")))
}
