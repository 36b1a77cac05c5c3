//! Account administration: the accounts page, creating an account with its first grant,
//! adding and revoking grants, one-time links, disabling and enabling; always inside the
//! administrator's scope and reach.

use crate::chrome::{Chrome, Opt};
use crate::ctx::{Auth, Flash};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use domain::FieldErrors;
use domain::auth::{Role, perm};
use domain::ids::{AccountId, GrantId, OrgUnitId};
use serde::Deserialize;
use store::auth::{self as sa, TokenPurpose};
use store::org;

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
pub(super) struct AccountsTemplate {
    p: Chrome,
    accounts: Vec<AccountRow>,
    roles: Vec<Opt>,
    units: Vec<Opt>,
    /// A one-time link just issued (shown once).
    link: Option<(String, String)>,
    /// The new account waits for the member's confirmation from the phone ending so.
    confirm_on_phone: Option<String>,
}

pub(super) async fn units_for_grants(
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

pub(super) fn role_options(a: &Auth) -> Vec<Opt> {
    a.actor
        .grantable_roles()
        .into_iter()
        .map(|r| Opt::new(r.code(), a.tr.t(&r.label_key()), false))
        .collect()
}

pub(super) async fn accounts_view(
    state: &AppState,
    a: &Auth,
    link: Option<(String, String)>,
    confirm_on_phone: Option<String>,
) -> AppResult {
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
        confirm_on_phone,
    })
}

pub(super) async fn accounts_page(State(state): State<AppState>, a: Auth) -> AppResult {
    accounts_view(&state, &a, None, None).await
}

#[derive(Template)]
#[template(path = "auth/account_new.html")]
pub(super) struct AccountNewTemplate {
    p: Chrome,
    form: AccountForm,
    errors: FieldErrors,
    roles: Vec<Opt>,
    units: Vec<Opt>,
}

#[derive(Deserialize, Default, Clone)]
pub(super) struct AccountForm {
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

pub(super) async fn account_new_page(State(state): State<AppState>, a: Auth) -> AppResult {
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

pub(super) fn mark(opts: Vec<Opt>, value: &str) -> Vec<Opt> {
    opts.into_iter()
        .map(|mut o| {
            o.selected = o.value == value;
            o
        })
        .collect()
}

pub(super) async fn account_create(
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
            Ok(created) => {
                let token = sa::issue_token(
                    &state.store,
                    &a.who(),
                    created.id,
                    TokenPurpose::Setup,
                    chrono::Duration::days(7),
                )
                .await?;
                let link = link_url(&state, &token);
                return accounts_view(
                    &state,
                    &a,
                    Some((new.username, link)),
                    created.confirm_on_phone,
                )
                .await;
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

pub(super) fn link_url(state: &AppState, token: &str) -> String {
    format!(
        "{}/link/{token}",
        state.config.public_url.clone().unwrap_or_default()
    )
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct GrantForm {
    role: String,
    unit: String,
}

pub(super) async fn grant_add(
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

pub(super) async fn grant_revoke(
    State(state): State<AppState>,
    a: Auth,
    Path(id): Path<i64>,
) -> AppResult {
    let cap = a.actor.authorize::<perm::AccountManage>()?;
    sa::revoke(&state.store, &cap, &a.actor, &a.who(), GrantId(id)).await?;
    Ok(a.redirect("/accounts", Flash::ok("grant-revoked")))
}

pub(super) async fn account_link(
    State(state): State<AppState>,
    a: Auth,
    Path(id): Path<i64>,
) -> AppResult {
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
    accounts_view(
        &state,
        &a,
        Some((acc.username, link_url(&state, &token))),
        None,
    )
    .await
}

pub(super) async fn account_disable(
    State(state): State<AppState>,
    a: Auth,
    Path(id): Path<i64>,
) -> AppResult {
    let cap = a.actor.authorize::<perm::AccountManage>()?;
    if AccountId(id) == a.actor.account {
        return Err(AppError::BadRequest);
    }
    sa::set_disabled(&state.store, &cap, &a.actor, &a.who(), AccountId(id), true).await?;
    Ok(a.redirect("/accounts", Flash::ok("account-disabled")))
}

pub(super) async fn account_enable(
    State(state): State<AppState>,
    a: Auth,
    Path(id): Path<i64>,
) -> AppResult {
    let cap = a.actor.authorize::<perm::AccountManage>()?;
    sa::set_disabled(&state.store, &cap, &a.actor, &a.who(), AccountId(id), false).await?;
    Ok(a.redirect("/accounts", Flash::ok("account-enabled")))
}
