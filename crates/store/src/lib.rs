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

pub mod area;
pub mod assistance;
pub mod audit;
pub mod auth;
pub mod congress;
pub mod crypto;
pub mod db;
pub mod demo;
pub mod error;
pub mod inbox;
pub mod keys;
pub mod notify;
pub mod org;
pub mod outbox;
pub mod robot;
pub mod scope;
pub mod voting;

pub use crypto::Cipher;
pub use db::{Db, DbOptions, Engine, Tx, now};
pub use error::StoreError;

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
    /// first use. A wrong key stops start-up before anything is written.
    pub async fn check_key(&self) -> Result<(), StoreError> {
        let stored: Option<String> = on_db!(&self.db, |p| sqlx::query_scalar(
            "SELECT value FROM meta WHERE key = 'key_check'"
        )
        .fetch_optional(p)
        .await)?;
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
                on_db!(&self.db, |p| {
                    sqlx::query(
                    "INSERT INTO meta (key, value) VALUES ('key_check', $1) ON CONFLICT (key) DO NOTHING"
                )
                .bind(self.cipher.key_check())
                .execute(p)
                .await.map(|r| r.rows_affected())
                })?;
                audit::seal_unkeyed_head(&self.db, &self.cipher).await
            }
        }
    }
}
