//! Sessions and one-time links: the cookie's random token is stored only as its SHA-256;
//! sessions end on logout, password change and idleness; a one-time link sets a password
//! once.

use crate::audit::{self, Event, Who};
use crate::crypto::{random_token, token_hash};
use crate::db::now;
use crate::{Db, Store, StoreError, on_db, on_tx};
use chrono::{DateTime, Duration, Utc};
use domain::audit::Changes;
use domain::ids::AccountId;

/// Session lifetimes from the configuration.
#[derive(Clone, Copy, Debug)]
pub struct SessionPolicy {
    pub idle: Duration,
    pub absolute: Duration,
}

#[derive(Clone, Debug)]
pub struct SessionInfo {
    pub account: AccountId,
    pub second_factor_done: bool,
    pub locale: Option<String>,
}

/// Starts a session and returns the token for the cookie (128 random bits).
pub async fn create_session(
    db: &Db,
    account: AccountId,
    second_factor_done: bool,
    policy: SessionPolicy,
) -> Result<String, StoreError> {
    let token = random_token(16);
    let t = now();
    on_db!(db, |p| {
        sqlx::query(
        "INSERT INTO session (id_hash, account_id, created_at, last_seen_at, expires_at, second_factor_done) VALUES ($1, $2, $3, $3, $4, $5)"
    )
    .bind(token_hash(&token))
    .bind(account.0)
    .bind(t)
    .bind(t + policy.absolute)
    .bind(second_factor_done)
    .execute(p)
    .await.map(|r| r.rows_affected())
    })?;
    Ok(token)
}

/// The live session for a cookie token, refreshing its idle clock at most once a minute.
pub async fn session(
    db: &Db,
    token: &str,
    policy: SessionPolicy,
) -> Result<Option<SessionInfo>, StoreError> {
    let h = token_hash(token);
    let row: Option<(i64, DateTime<Utc>, DateTime<Utc>, bool, Option<String>)> = on_db!(db, |p| {
        sqlx::query_as(
        "SELECT account_id, last_seen_at, expires_at, second_factor_done, locale FROM session WHERE id_hash = $1"
    )
    .bind(&h)
    .fetch_optional(p)
    .await
    })?;
    let Some((account, last_seen, expires, second, locale)) = row else {
        return Ok(None);
    };
    let t = now();
    if t >= expires || t - last_seen >= policy.idle {
        on_db!(db, |p| sqlx::query(
            "DELETE FROM session WHERE id_hash = $1"
        )
        .bind(&h)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        return Ok(None);
    }
    if t - last_seen >= Duration::seconds(60) {
        on_db!(db, |p| sqlx::query(
            "UPDATE session SET last_seen_at = $1 WHERE id_hash = $2"
        )
        .bind(t)
        .bind(&h)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
    }
    Ok(Some(SessionInfo {
        account: AccountId(account),
        second_factor_done: second,
        locale,
    }))
}

pub async fn set_session_locale(db: &Db, token: &str, locale: &str) -> Result<(), StoreError> {
    on_db!(db, |p| sqlx::query(
        "UPDATE session SET locale = $1 WHERE id_hash = $2"
    )
    .bind(locale)
    .bind(token_hash(token))
    .execute(p)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn complete_second_factor(db: &Db, token: &str) -> Result<(), StoreError> {
    on_db!(db, |p| sqlx::query(
        "UPDATE session SET second_factor_done = TRUE WHERE id_hash = $1"
    )
    .bind(token_hash(token))
    .execute(p)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn end_session(db: &Db, token: &str) -> Result<(), StoreError> {
    on_db!(db, |p| sqlx::query(
        "DELETE FROM session WHERE id_hash = $1"
    )
    .bind(token_hash(token))
    .execute(p)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(())
}

/// Removes expired sessions (a periodic job).
pub async fn purge_sessions(db: &Db) -> Result<u64, StoreError> {
    let r = on_db!(db, |p| sqlx::query(
        "DELETE FROM session WHERE expires_at < $1"
    )
    .bind(now())
    .execute(p)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(r)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenPurpose {
    Setup,
    Reset,
}

impl TokenPurpose {
    fn code(self) -> &'static str {
        match self {
            TokenPurpose::Setup => "setup",
            TokenPurpose::Reset => "reset",
        }
    }
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("unknown link")]
    Unknown,
    #[error("link already used")]
    Used,
    #[error("link expired")]
    Expired,
}

/// Issues a one-time link token for an account; earlier unused links of the account stop
/// working.
pub async fn issue_token(
    st: &Store,
    who: &Who,
    account: AccountId,
    purpose: TokenPurpose,
    ttl: Duration,
) -> Result<String, StoreError> {
    let token = random_token(24);
    let t = now();
    let mut tx = st.db.begin().await?;
    on_tx!(&mut tx, |c| sqlx::query(
        "UPDATE one_time_token SET used_at = $1 WHERE account_id = $2 AND used_at IS NULL"
    )
    .bind(t)
    .bind(account.0)
    .execute(&mut *c)
    .await
    .map(|r| r.rows_affected()))?;
    on_tx!(&mut tx, |c| {
        sqlx::query(
        "INSERT INTO one_time_token (token_hash, account_id, purpose, created_at, expires_at, used_at) VALUES ($1, $2, $3, $4, $5, NULL)"
    )
    .bind(token_hash(&token))
    .bind(account.0)
    .bind(purpose.code())
    .bind(t)
    .bind(t + ttl)
    .execute(&mut *c)
    .await.map(|r| r.rows_affected())
    })?;
    let mut ch = Changes::new();
    ch.note("purpose", purpose.code());
    audit::append(
        &mut tx,
        &st.cipher,
        who,
        Event {
            action: "account.link_issued",
            entity_type: "account",
            entity_id: Some(account.0),
            org_unit: None,
            changes: &ch,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(token)
}

/// The account a still-valid token belongs to (without using it up).
pub async fn peek_token(db: &Db, token: &str) -> Result<AccountId, TokenError> {
    let row: Option<(i64, DateTime<Utc>, Option<DateTime<Utc>>)> = on_db!(db, |p| sqlx::query_as(
        "SELECT account_id, expires_at, used_at FROM one_time_token WHERE token_hash = $1"
    )
    .bind(token_hash(token))
    .fetch_optional(p)
    .await)
    .map_err(|_| TokenError::Unknown)?;
    match row {
        None => Err(TokenError::Unknown),
        Some((_, _, Some(_))) => Err(TokenError::Used),
        Some((_, exp, None)) if exp <= now() => Err(TokenError::Expired),
        Some((a, _, None)) => Ok(AccountId(a)),
    }
}

/// Uses a token up and sets the password in one transaction; a second use fails.
pub async fn redeem_token(
    st: &Store,
    token: &str,
    password_hash: &str,
) -> Result<AccountId, StoreError> {
    let t = now();
    let mut tx = st.db.begin().await?;
    let row: Option<i64> = on_tx!(&mut tx, |c| {
        sqlx::query_scalar(
        "UPDATE one_time_token SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1 RETURNING account_id"
    )
    .bind(t)
    .bind(token_hash(token))
    .fetch_optional(&mut *c)
    .await
    })?;
    let account = AccountId(row.ok_or(StoreError::State("link used or expired"))?);
    on_tx!(&mut tx, |c| sqlx::query(
        "UPDATE account SET password_hash = $1, password_changed_at = $2 WHERE id = $3"
    )
    .bind(password_hash)
    .bind(t)
    .bind(account.0)
    .execute(&mut *c)
    .await
    .map(|r| r.rows_affected()))?;
    on_tx!(&mut tx, |c| sqlx::query(
        "DELETE FROM session WHERE account_id = $1"
    )
    .bind(account.0)
    .execute(&mut *c)
    .await
    .map(|r| r.rows_affected()))?;
    let mut ch = Changes::new();
    ch.personal("password", true);
    let who = Who {
        account: Some(account),
        label: "link".into(),
        request_id: None,
    };
    audit::append(
        &mut tx,
        &st.cipher,
        &who,
        Event {
            action: "account.password",
            entity_type: "account",
            entity_id: Some(account.0),
            org_unit: None,
            changes: &ch,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(account)
}
