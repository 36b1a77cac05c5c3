//! The database layer: [`Db`] over SQLite or PostgreSQL, one repository module per area,
//! the encryption of personal data, and the files that come in and go out (roster
//! spreadsheets).
//!
//! Every function that reads or writes scoped data takes a capability
//! ([`domain::auth::Cap`]) and filters by its scope in SQL. Writes take a [`audit::Who`] and
//! write their audit record in the same transaction.
#![deny(clippy::unwrap_used, clippy::expect_used)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]
// Rows read as tuples are the plainest form of a sqlx row; naming each one adds nothing.
#![allow(clippy::type_complexity)]

pub mod activity;
pub mod api_token;
pub mod area;
pub mod assessment;
pub mod assistance;
pub mod audit;
pub mod auth;
pub mod backup;
pub mod commendations;
pub mod congress;
pub mod contests;
pub mod correspondent;
pub mod crypto;
pub mod db;
pub mod demo;
pub mod elections;
pub mod error;
pub mod funds;
pub mod inbox;
pub mod keys;
pub mod kit;
pub mod notify;
pub mod ops;
pub mod org;
pub mod outbox;
pub mod proposals;
pub mod rights;
pub mod robot;
pub mod rule_sets;
pub mod scope;
pub mod voting;
pub mod work_plan;
pub mod work_summary;

pub use crypto::Cipher;
pub use db::{Db, DbOptions, Engine, Tx, now};
pub use error::StoreError;

/// The `meta` value (`ciphertexts`) of a database whose encrypted values are all bound to
/// their rows (`crypto::Slot`): values of the old format are refused there.
pub const ROW_BOUND: &str = "row-bound";

/// Records that every encrypted value of the database is bound to its row.
pub(crate) async fn mark_row_bound(tx: &mut Tx) -> Result<(), StoreError> {
    on_tx!(tx, |c| {
        sqlx::query(
        "INSERT INTO meta (key, value) VALUES ('ciphertexts', $1) ON CONFLICT (key) DO UPDATE SET value = excluded.value"
    )
    .bind(ROW_BOUND)
    .execute(&mut *c)
    .await
    .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// The database and the keys, which most repository functions need together.
#[derive(Clone, Debug)]
pub struct Store {
    pub db: Db,
    pub cipher: Cipher,
}

impl Store {
    pub fn new(db: Db, cipher: Cipher) -> Store {
        Store { db, cipher }
    }

    /// Compares the key with the one the database was first used with, and records it on
    /// first use. A wrong key stops start-up before anything is written. Also tells the
    /// cipher whether values of the old format (not bound to their row) may still be read.
    pub async fn check_key(&self) -> Result<(), StoreError> {
        let stored: Option<String> = on_db!(&self.db, |p| sqlx::query_scalar(
            "SELECT value FROM meta WHERE key = 'key_check'"
        )
        .fetch_optional(p)
        .await)?;
        // A database created after values were bound to their rows, or rotated since, holds
        // no value of the old format: refuse any that appears (it was copied in).
        let bound: Option<String> = on_db!(&self.db, |p| sqlx::query_scalar(
            "SELECT value FROM meta WHERE key = 'ciphertexts'"
        )
        .fetch_optional(p)
        .await)?;
        if bound.as_deref() == Some(ROW_BOUND) {
            self.cipher.refuse_unbound();
        }
        match stored {
            Some(s) if s == self.cipher.key_check() => {
                audit::seal_unkeyed_head(&self.db, &self.cipher).await
            }
            Some(s) if Some(&s) == self.cipher.older_key_check().as_ref() => Ok(()),
            Some(_) => Err(StoreError::Config(
                "the encryption key does not match the one this database was created with; \
                 nothing was changed. Start with the right key file (or JIAOGONG_KEY)."
                    .into(),
            )),
            None => {
                let mut tx = self.db.begin().await?;
                on_tx!(&mut tx, |c| {
                    sqlx::query(
                    "INSERT INTO meta (key, value) VALUES ('key_check', $1) ON CONFLICT (key) DO NOTHING"
                )
                .bind(self.cipher.key_check())
                .execute(&mut *c)
                .await.map(|r| r.rows_affected())
                })?;
                // A new database: every value it will hold is bound to its row.
                mark_row_bound(&mut tx).await?;
                tx.commit().await?;
                self.cipher.refuse_unbound();
                audit::seal_unkeyed_head(&self.db, &self.cipher).await
            }
        }
    }
}
