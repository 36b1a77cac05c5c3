//! Personal access tokens for the JSON API (issue 24).
//!
//! Owns: creating a token for one's own account with a subset of one's own grants, read or
//! read+write, expiring; listing and revoking one's own tokens; turning a presented secret
//! into the [`Actor`] it may act as (its grants that the account still holds, no member
//! binding), auditing every use.
//!
//! Must never: keep the secret (only its SHA-256; it is shown once); give a token a grant
//! its account does not hold, at creation or later; accept a revoked or expired token or
//! one of a disabled account; let anyone but the owner list or revoke a token (another
//! account's token looks missing).

use crate::audit::{Event, Who};
use crate::db::now;
use crate::kit::audit_commit;
use crate::{Store, StoreError, on_db, on_tx};
use chrono::{DateTime, Duration, Utc};
use domain::audit::Changes;
use domain::auth::{Actor, Grant, Role};
use domain::ids::{AccountId, OrgUnitId};
use sha2::{Digest, Sha256};

/// What a presented secret starts with, so that a leaked one is recognisable (secret
/// scanners, logs).
pub const PREFIX: &str = "jgpat_";

/// Longest life of a token.
pub const MAX_DAYS: i64 = 366;

/// A token as its owner sees it in the list (never the secret).
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct TokenRow {
    pub id: i64,
    pub name: String,
    pub can_write: bool,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
}

impl TokenRow {
    pub fn active(&self, at: DateTime<Utc>) -> bool {
        self.revoked_at.is_none() && self.expires_at > at
    }
}

/// What a new token is to carry.
#[derive(Clone, Debug)]
pub struct NewToken {
    pub name: String,
    /// A subset of the creator's grants.
    pub grants: Vec<Grant>,
    pub can_write: bool,
    pub days: i64,
}

/// A presented, valid token: whom it acts as, and whether it may write.
#[derive(Clone, Debug)]
pub struct TokenActor {
    pub token_id: i64,
    pub actor: Actor,
    pub account: crate::auth::Account,
    pub can_write: bool,
}

fn digest(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

/// Creates a token for `actor`'s own account; returns its id and the secret (shown once).
pub async fn create(
    st: &Store,
    actor: &Actor,
    who: &Who,
    new: &NewToken,
) -> Result<(i64, String), StoreError> {
    let name = new.name.trim();
    if name.is_empty() || name.chars().count() > 60 {
        return Err(StoreError::field("name", "api-token-error-name"));
    }
    if new.grants.is_empty() {
        return Err(StoreError::field("grants", "api-token-error-grants"));
    }
    if new.grants.iter().any(|g| !actor.grants.contains(g)) {
        // Only one's own grants: anything else looks like a missing grant.
        return Err(StoreError::NotFound);
    }
    if !(1..=MAX_DAYS).contains(&new.days) {
        return Err(StoreError::field("days", "api-token-error-days"));
    }
    let secret = format!("{PREFIX}{}", crate::crypto::random_token(32));
    let at = now();
    let expires = at + Duration::days(new.days);
    let mut tx = st.db.begin().await?;
    let id: i64 = on_tx!(&mut tx, |c| {
        sqlx::query_scalar(
        "INSERT INTO api_token (account_id, name, token_hash, can_write, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id"
    )
    .bind(actor.account.0)
    .bind(name)
    .bind(digest(&secret))
    .bind(new.can_write)
    .bind(at)
    .bind(expires)
    .fetch_one(&mut *c)
    .await
    })?;
    let mut grants = new.grants.clone();
    grants.sort_by_key(|g| (g.org_unit.0, g.role.code()));
    grants.dedup();
    for g in &grants {
        on_tx!(&mut tx, |c| sqlx::query(
            "INSERT INTO api_token_grant (token_id, role, org_unit_id) VALUES ($1, $2, $3)"
        )
        .bind(id)
        .bind(g.role.code())
        .bind(g.org_unit.0)
        .execute(&mut *c)
        .await
        .map(|_| ()))?;
    }
    let mut ch = Changes::new();
    ch.field("name", None, Some(&name.to_string()))
        .field("can_write", None, Some(&new.can_write))
        .field("expires_at", None, Some(&expires.to_rfc3339()))
        .field(
            "grants",
            None,
            Some(
                &grants
                    .iter()
                    .map(|g| format!("{}@{}", g.role.code(), g.org_unit.0))
                    .collect::<Vec<_>>(),
            ),
        );
    audit_commit(
        tx,
        &st.cipher,
        who,
        Event {
            action: "api_token.create",
            entity_type: "api_token",
            entity_id: Some(id),
            org_unit: None,
            changes: &ch,
        },
    )
    .await?;
    Ok((id, secret))
}

/// The account's own tokens, newest first.
pub async fn list_own(st: &Store, account: AccountId) -> Result<Vec<TokenRow>, StoreError> {
    Ok(on_db!(&st.db, |p| {
        sqlx::query_as(
        "SELECT id, name, can_write, created_at, expires_at, revoked_at, last_used_at FROM api_token WHERE account_id = $1 ORDER BY id DESC"
    )
    .bind(account.0)
    .fetch_all(p)
    .await
    })?)
}

/// The grants of one's own token (for the list page).
pub async fn grants_of(
    st: &Store,
    account: AccountId,
    token: i64,
) -> Result<Vec<Grant>, StoreError> {
    let rows: Vec<(String, i64)> = on_db!(&st.db, |p| {
        sqlx::query_as(
        "SELECT g.role, g.org_unit_id FROM api_token_grant g JOIN api_token t ON t.id = g.token_id WHERE t.id = $1 AND t.account_id = $2 ORDER BY g.org_unit_id, g.role"
    )
    .bind(token)
    .bind(account.0)
    .fetch_all(p)
    .await
    })?;
    Ok(rows
        .into_iter()
        .filter_map(|(r, u)| {
            Some(Grant {
                role: Role::from_code(&r)?,
                org_unit: OrgUnitId(u),
            })
        })
        .collect())
}

/// Revokes one's own token (another account's token: not found). Revoking twice is no
/// change.
pub async fn revoke(st: &Store, account: AccountId, who: &Who, id: i64) -> Result<(), StoreError> {
    let mut tx = st.db.begin().await?;
    let found: Option<Option<DateTime<Utc>>> = on_tx!(&mut tx, |c| sqlx::query_scalar(
        "SELECT revoked_at FROM api_token WHERE id = $1 AND account_id = $2"
    )
    .bind(id)
    .bind(account.0)
    .fetch_optional(&mut *c)
    .await)?;
    match found {
        None => return Err(StoreError::NotFound),
        Some(Some(_)) => return Ok(()),
        Some(None) => {}
    }
    let at = now();
    on_tx!(&mut tx, |c| sqlx::query(
        "UPDATE api_token SET revoked_at = $1 WHERE id = $2"
    )
    .bind(at)
    .bind(id)
    .execute(&mut *c)
    .await
    .map(|_| ()))?;
    let mut ch = Changes::new();
    ch.field("revoked_at", None, Some(&at.to_rfc3339()));
    audit_commit(
        tx,
        &st.cipher,
        who,
        Event {
            action: "api_token.revoke",
            entity_type: "api_token",
            entity_id: Some(id),
            org_unit: None,
            changes: &ch,
        },
    )
    .await
}

/// Checks a presented secret; on success records the use (audited, with the request's
/// method and route template) and returns whom the token acts as. `None`: unknown,
/// revoked, expired, of a disabled account, or left without any grant its account holds.
pub async fn authenticate(
    st: &Store,
    secret: &str,
    request_id: &str,
    action: &str,
) -> Result<Option<TokenActor>, StoreError> {
    if !secret.starts_with(PREFIX) || secret.len() > 200 {
        return Ok(None);
    }
    #[derive(sqlx::FromRow)]
    struct Rec {
        id: i64,
        account_id: i64,
        can_write: bool,
        expires_at: DateTime<Utc>,
        revoked_at: Option<DateTime<Utc>>,
    }
    let rec: Option<Rec> = on_db!(&st.db, |p| {
        sqlx::query_as(
        "SELECT id, account_id, can_write, expires_at, revoked_at FROM api_token WHERE token_hash = $1"
    )
    .bind(digest(secret))
    .fetch_optional(p)
    .await
    })?;
    let at = now();
    let Some(rec) = rec.filter(|r| r.revoked_at.is_none() && r.expires_at > at) else {
        return Ok(None);
    };
    let Some((mut actor, account)) =
        crate::auth::load_actor(&st.db, AccountId(rec.account_id)).await?
    else {
        return Ok(None);
    };
    let carried = grants_of(st, AccountId(rec.account_id), rec.id).await?;
    actor.grants.retain(|g| carried.contains(g));
    // The API acts by grants only: never as the member the account is bound to.
    actor.member = None;
    if actor.grants.is_empty() {
        return Ok(None);
    }
    let mut tx = st.db.begin().await?;
    on_tx!(&mut tx, |c| sqlx::query(
        "UPDATE api_token SET last_used_at = $1 WHERE id = $2"
    )
    .bind(at)
    .bind(rec.id)
    .execute(&mut *c)
    .await
    .map(|_| ()))?;
    let mut ch = Changes::new();
    ch.field("request", None, Some(&action.to_string()));
    let who = Who {
        account: Some(actor.account),
        label: format!("{} (token #{})", actor.username, rec.id),
        request_id: Some(request_id.to_string()),
    };
    audit_commit(
        tx,
        &st.cipher,
        &who,
        Event {
            action: "api_token.use",
            entity_type: "api_token",
            entity_id: Some(rec.id),
            org_unit: None,
            changes: &ch,
        },
    )
    .await?;
    Ok(Some(TokenActor {
        token_id: rec.id,
        actor,
        account,
        can_write: rec.can_write,
    }))
}
