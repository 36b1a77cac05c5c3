//! Accounts, grants, sessions, login throttling, one-time links and the second factor.
//!
//! Secrets never sit in the database in a usable form: passwords as Argon2id hashes,
//! session ids and one-time links as SHA-256 of the random token the browser holds, TOTP
//! secrets encrypted, recovery codes hashed.

//!
//! Split by concern: [`accounts`], [`grants`], [`sessions`] (with one-time links),
//! [`throttle`], [`second_factor`] and [`links`] (binding an account to a member by the
//! member's own confirmation); their public items are re-exported here, so callers
//! name them `store::auth::…`.

pub mod accounts;
pub mod grants;
pub mod links;
pub mod second_factor;
pub mod sessions;
pub mod throttle;

pub use accounts::*;
pub use grants::*;
pub use links::*;
pub use second_factor::*;
pub use sessions::*;
pub use throttle::*;

use crate::crypto::Field;
use domain::auth::Role;

/// An account's second-factor secret.
pub const TOTP_SECRET: crate::area::EncryptedColumn = crate::area::EncryptedColumn {
    table: "account",
    key: "id",
    column: "totp_secret_enc",
    field: Field::TotpSecret,
    indexes: &[],
};

/// Accounts, grants, sessions and one-time links.
pub static AREA: crate::area::Area = crate::area::Area {
    coded: &[
        crate::area::CodedColumn {
            column: "role_grant.role",
            codes: || Role::ALL.iter().map(|r| r.code()).collect(),
        },
        crate::area::CodedColumn::of::<domain::auth::LinkStatus>("link_request.status"),
    ],
    encrypted: &[TOTP_SECRET, links::LINK_CODE],
    ..crate::area::Area::new("auth")
};
