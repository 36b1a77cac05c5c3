//! Key rotation: re-encrypt every encrypted value and recompute every blind index under a
//! new master key, re-sign the audit chain, and record the new key check — all in one
//! transaction, so a failure leaves the database as it was.

use crate::crypto::Field;
use crate::{Cipher, Store, StoreError, on_tx};

/// Counts of what was rewritten.
#[derive(Debug, Default)]
pub struct Rotation {
    pub members: u64,
    pub accounts: u64,
    pub imports: u64,
    pub audit_records: i64,
}

/// `st.cipher` must be [`Cipher::rotating`] (new key current, old key readable).
pub async fn rotate(st: &Store, old: &Cipher) -> Result<Rotation, StoreError> {
    let new = &st.cipher;
    let mut out = Rotation::default();
    let mut tx = st.db.begin().await?;
    let mut after = 0i64;
    loop {
        let rows: Vec<(i64, Vec<u8>, Option<Vec<u8>>)> = on_tx!(&mut tx, |c| {
            sqlx::query_as(
            "SELECT id, id_number_enc, phone_enc FROM member WHERE id > $1 ORDER BY id LIMIT 2000"
        )
        .bind(after)
        .fetch_all(&mut *c)
        .await
        })?;
        if rows.is_empty() {
            break;
        }
        for (id, id_enc, phone_enc) in rows {
            after = id;
            let id_number = new.decrypt_str(Field::IdNumber, &id_enc)?;
            let phone = phone_enc
                .as_deref()
                .map(|p| new.decrypt_str(Field::Phone, p))
                .transpose()?;
            let tail = id_number.get(14..).unwrap_or_default().to_string();
            let phone_tail = phone
                .as_deref()
                .and_then(|p| p.get(7..))
                .map(str::to_string);
            on_tx!(&mut tx, |c| {
                sqlx::query(
                "UPDATE member SET id_number_enc = $1, id_number_idx = $2, id_tail_idx = $3, phone_enc = $4, phone_idx = $5, phone_tail_idx = $6 WHERE id = $7"
            )
            .bind(new.encrypt_str(Field::IdNumber, &id_number))
            .bind(new.blind_index(Field::IdNumber, &id_number))
            .bind(new.blind_index(Field::IdTail, &tail))
            .bind(phone.as_deref().map(|p| new.encrypt_str(Field::Phone, p)))
            .bind(phone.as_deref().map(|p| new.blind_index(Field::Phone, p)))
            .bind(phone_tail.as_deref().map(|t| new.blind_index(Field::PhoneTail, t)))
            .bind(id)
            .execute(&mut *c)
            .await
            .map(|r| r.rows_affected())
            })?;
            out.members += 1;
        }
    }
    let accounts: Vec<(i64, Vec<u8>)> = on_tx!(&mut tx, |c| sqlx::query_as(
        "SELECT id, totp_secret_enc FROM account WHERE totp_secret_enc IS NOT NULL ORDER BY id"
    )
    .fetch_all(&mut *c)
    .await)?;
    for (id, enc) in accounts {
        let secret = new.decrypt(Field::TotpSecret, &enc)?;
        on_tx!(&mut tx, |c| sqlx::query(
            "UPDATE account SET totp_secret_enc = $1 WHERE id = $2"
        )
        .bind(new.encrypt(Field::TotpSecret, &secret))
        .bind(id)
        .execute(&mut *c)
        .await
        .map(|r| r.rows_affected()))?;
        out.accounts += 1;
    }
    crate::robot::reencrypt(&mut tx, new).await?;
    let imports: Vec<(i64, Vec<u8>)> = on_tx!(&mut tx, |c| sqlx::query_as(
        "SELECT id, file_enc FROM import_batch WHERE file_enc IS NOT NULL ORDER BY id"
    )
    .fetch_all(&mut *c)
    .await)?;
    for (id, enc) in imports {
        let file = new.decrypt(Field::ImportFile, &enc)?;
        on_tx!(&mut tx, |c| sqlx::query(
            "UPDATE import_batch SET file_enc = $1 WHERE id = $2"
        )
        .bind(new.encrypt(Field::ImportFile, &file))
        .bind(id)
        .execute(&mut *c)
        .await
        .map(|r| r.rows_affected()))?;
        out.imports += 1;
    }
    out.audit_records = crate::audit::resign(&mut tx, old.audit_key(), new).await?;
    on_tx!(&mut tx, |c| sqlx::query(
        "UPDATE meta SET value = $1 WHERE key = 'key_check'"
    )
    .bind(new.key_check())
    .execute(&mut *c)
    .await
    .map(|r| r.rows_affected()))?;
    tx.commit().await?;
    Ok(out)
}
