//! The second factor: TOTP secrets stored encrypted, each time step accepted once, and
//! recovery codes stored hashed and used once.

use crate::audit::{self, Event, Who};
use crate::crypto::{random_token, token_hash};
use crate::db::now;
use crate::{Store, StoreError, on_db, on_tx};
use domain::audit::Changes;
use domain::ids::AccountId;

pub const TOTP_ISSUER: &str = "Jiaogong";

pub(super) fn totp_for(secret: Vec<u8>, account_name: &str) -> Result<totp_rs::Totp, StoreError> {
    totp_rs::Builder::new()
        .with_secret(secret)
        .with_account_name(account_name.to_string())
        .with_issuer(Some(TOTP_ISSUER))
        .build()
        .map_err(|e| StoreError::Other(format!("totp: {e:?}")))
}

/// Enrolment data shown to the user: the otpauth URI (for a QR code) and the secret in
/// base32 (to type by hand).
#[derive(Clone, Debug)]
pub struct TotpEnrolment {
    pub uri: String,
    pub secret_base32: String,
}

/// Starts (or restarts) enrolment: a new secret, stored encrypted, not yet enabled.
pub async fn begin_totp(
    st: &Store,
    account: AccountId,
    username: &str,
) -> Result<TotpEnrolment, StoreError> {
    let mut secret = vec![0u8; 20];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut secret);
    let totp = totp_for(secret.clone(), username)?;
    let uri = totp
        .to_url()
        .map_err(|e| StoreError::Other(format!("totp: {e:?}")))?;
    let secret_base32 = uri
        .split(['?', '&'])
        .find_map(|kv| kv.strip_prefix("secret="))
        .unwrap_or_default()
        .to_string();
    let enc = st.cipher.seal(super::TOTP_SECRET.at(account.0), &secret);
    on_db!(&st.db, |p| {
        sqlx::query("UPDATE account SET totp_secret_enc = $1, totp_enabled = FALSE, totp_last_step = NULL WHERE id = $2")
        .bind(&enc)
        .bind(account.0)
        .execute(p)
        .await.map(|r| r.rows_affected())
    })?;
    Ok(TotpEnrolment { uri, secret_base32 })
}

/// Checks a code against the account's secret; each time step is accepted once (RFC 6238
/// §5.2), so a code seen over a shoulder cannot be replayed.
pub async fn check_totp(
    st: &Store,
    account: AccountId,
    code: &str,
    unix_time: u64,
) -> Result<bool, StoreError> {
    let row: Option<(Option<Vec<u8>>, Option<i64>, String)> = on_db!(&st.db, |p| sqlx::query_as(
        "SELECT totp_secret_enc, totp_last_step, username FROM account WHERE id = $1"
    )
    .bind(account.0)
    .fetch_optional(p)
    .await)?;
    let Some((Some(enc), last, username)) = row else {
        return Ok(false);
    };
    let secret = st.cipher.open(super::TOTP_SECRET.at(account.0), &enc)?;
    let totp = totp_for(secret, &username)?;
    let Some(step) = totp.check(code.trim(), unix_time) else {
        return Ok(false);
    };
    let step = step as i64;
    if last.is_some_and(|l| step <= l) {
        return Ok(false);
    }
    let n = on_db!(&st.db, |p| {
        sqlx::query(
        "UPDATE account SET totp_last_step = $1 WHERE id = $2 AND (totp_last_step IS NULL OR totp_last_step < $1)"
    )
    .bind(step)
    .bind(account.0)
    .execute(p)
    .await.map(|r| r.rows_affected())
    })?;
    Ok(n == 1)
}

/// Current code for a secret (tests and the enrolment check).
pub async fn current_totp_code(
    st: &Store,
    account: AccountId,
    unix_time: u64,
) -> Result<String, StoreError> {
    let (enc, username): (Option<Vec<u8>>, String) = on_db!(&st.db, |p| sqlx::query_as(
        "SELECT totp_secret_enc, username FROM account WHERE id = $1"
    )
    .bind(account.0)
    .fetch_one(p)
    .await)?;
    let secret = st.cipher.open(
        super::TOTP_SECRET.at(account.0),
        &enc.ok_or(StoreError::NotFound)?,
    )?;
    Ok(totp_for(secret, &username)?.generate(unix_time).to_string())
}

/// Confirms enrolment with a valid code; returns ten fresh recovery codes (shown once).
pub async fn enable_totp(
    st: &Store,
    who: &Who,
    account: AccountId,
    code: &str,
    unix_time: u64,
) -> Result<Option<Vec<String>>, StoreError> {
    if !check_totp(st, account, code, unix_time).await? {
        return Ok(None);
    }
    let codes: Vec<String> = (0..10)
        .map(|_| {
            let t = random_token(8).to_lowercase().replace(['-', '_'], "x");
            format!("{}-{}", &t[..5], &t[5..10])
        })
        .collect();
    let mut tx = st.db.begin().await?;
    on_tx!(&mut tx, |c| sqlx::query(
        "UPDATE account SET totp_enabled = TRUE WHERE id = $1"
    )
    .bind(account.0)
    .execute(&mut *c)
    .await
    .map(|r| r.rows_affected()))?;
    on_tx!(&mut tx, |c| sqlx::query(
        "DELETE FROM recovery_code WHERE account_id = $1"
    )
    .bind(account.0)
    .execute(&mut *c)
    .await
    .map(|r| r.rows_affected()))?;
    for code in &codes {
        on_tx!(&mut tx, |c| sqlx::query(
            "INSERT INTO recovery_code (account_id, code_hash, used_at) VALUES ($1, $2, NULL)"
        )
        .bind(account.0)
        .bind(token_hash(code))
        .execute(&mut *c)
        .await
        .map(|r| r.rows_affected()))?;
    }
    let mut ch = Changes::new();
    ch.field("totp_enabled", Some(&false), Some(&true));
    audit::append(
        &mut tx,
        &st.cipher,
        who,
        Event {
            action: "account.totp_enabled",
            entity_type: "account",
            entity_id: Some(account.0),
            org_unit: None,
            changes: &ch,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Some(codes))
}

/// Uses up a recovery code instead of a TOTP code.
pub async fn use_recovery_code(
    st: &Store,
    account: AccountId,
    code: &str,
) -> Result<bool, StoreError> {
    let normalised = code.trim().to_lowercase();
    let n = on_db!(&st.db, |p| {
        sqlx::query(
        "UPDATE recovery_code SET used_at = $1 WHERE account_id = $2 AND code_hash = $3 AND used_at IS NULL"
    )
    .bind(now())
    .bind(account.0)
    .bind(token_hash(&normalised))
    .execute(p)
    .await.map(|r| r.rows_affected())
    })?;
    Ok(n > 0)
}
