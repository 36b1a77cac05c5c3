//! The store's error type. Callers match on the kind (not found, conflict, invalid input);
//! database and crypto failures are internal and never shown to users as such.

use domain::FieldErrors;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The entity does not exist or is outside the caller's scope (the two are not told
    /// apart, so that scope cannot be probed).
    #[error("not found")]
    NotFound,
    /// The input is invalid for a reason that needed the database (duplicate, unknown code).
    #[error("invalid input: {0}")]
    Invalid(FieldErrors),
    /// Someone else changed the record since it was read.
    #[error("the record was changed by someone else")]
    Stale,
    /// The action is not allowed in the entity's current state.
    #[error("not allowed now: {0}")]
    State(&'static str),
    #[error("configuration: {0}")]
    Config(String),
    #[error(transparent)]
    Crypto(#[from] crate::crypto::CryptoError),
    #[error(transparent)]
    Sqlx(#[from] sqlx::Error),
    #[error(transparent)]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("{0}")]
    Other(String),
}

impl StoreError {
    pub fn field(field: &'static str, key: &'static str) -> StoreError {
        StoreError::Invalid(FieldErrors(vec![domain::FieldError::new(field, key)]))
    }
}
