//! `/account/member`: whoever holds an account made for a delegate enters the code sent to
//! the delegate's phone, which binds the account to the member (see `store::auth::links`).
//!
//! The account's own page only: it reads and confirms the link request of the logged-in
//! account and nobody else's. It never shows the code, only the last four digits of the
//! phone it went to; a wrong code is named at the field and counted.

use crate::chrome::Chrome;
use crate::ctx::{Auth, Flash};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Form, State};
use axum::http::StatusCode;
use domain::FieldErrors;
use serde::Deserialize;
use store::auth as sa;

#[derive(Template)]
#[template(path = "auth/member_link.html")]
pub(super) struct MemberLinkTemplate {
    p: Chrome,
    pending: Option<PendingView>,
    code: String,
    errors: FieldErrors,
}

pub(super) struct PendingView {
    tail: String,
    expires: String,
    sent: bool,
}

async fn view(state: &AppState, a: &Auth, code: String, errors: FieldErrors) -> AppResult {
    let pending = sa::pending_link(&state.store, a.actor.account)
        .await?
        .map(|p| PendingView {
            tail: p.phone_tail,
            expires: p
                .expires_at
                .with_timezone(&domain::notify::CST)
                .format("%Y-%m-%d %H:%M")
                .to_string(),
            sent: p.sent,
        });
    let invalid = !errors.is_empty();
    let mut r = a.render(&MemberLinkTemplate {
        p: Chrome::new(a, "member-link-title"),
        pending,
        code,
        errors,
    })?;
    if invalid {
        *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(r)
}

pub(super) async fn member_link_page(State(state): State<AppState>, a: Auth) -> AppResult {
    view(&state, &a, String::new(), FieldErrors::default()).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct CodeForm {
    code: String,
}

pub(super) async fn member_link_confirm(
    State(state): State<AppState>,
    a: Auth,
    Form(f): Form<CodeForm>,
) -> AppResult {
    match sa::confirm_link(&state.store, &a.who(), a.actor.account, &f.code).await {
        Ok(_) => Ok(a.redirect("/", Flash::ok("member-link-done"))),
        Err(store::StoreError::Invalid(e)) => view(&state, &a, f.code, e).await,
        // Nothing pending (void after wrong codes, expired, or never asked): say so at the
        // field, with what to do next.
        Err(store::StoreError::NotFound) => {
            let mut e = FieldErrors::default();
            e.push(domain::FieldError::new("code", domain::text::LINK_EXPIRED));
            view(&state, &a, String::new(), e).await
        }
        Err(e) => Err(AppError::from(e)),
    }
}
