//! The store's shared kit for every area's writes and reads: "write, audit, commit" as one
//! call ([`audit_commit`]); "fetch one or not found" is [`crate::db::Sql::fetch_one`] (and
//! `fetch_one_tx`); the scope filter is [`crate::scope`].
//!
//! Also the proof files people upload (a receipt, a staff home's evidence): their type is
//! read from the content ([`sniff_proof`]), never from the name or the browser's claim.
//!
//! Nothing here knows an area: no table, no action name.

use crate::audit::{self, Event, Who};
use crate::db::Tx;
use crate::{Cipher, Store, StoreError};
use domain::audit::Changes;
use domain::ids::OrgUnitId;

/// Writes the audit record of a change and commits the change's transaction: the last
/// step of every write, so that a change is never committed without its record.
pub async fn audit_commit(
    mut tx: Tx,
    cipher: &Cipher,
    who: &Who,
    event: Event<'_>,
) -> Result<(), StoreError> {
    audit::append(&mut tx, cipher, who, event).await?;
    tx.commit().await
}

/// [`audit_commit`] for the usual record: an action on one entity `(type, id)` of a unit.
pub async fn record_commit(
    tx: Tx,
    st: &Store,
    who: &Who,
    action: &str,
    entity: (&str, i64),
    unit: OrgUnitId,
    changes: &Changes,
) -> Result<(), StoreError> {
    audit_commit(
        tx,
        &st.cipher,
        who,
        Event {
            action,
            entity_type: entity.0,
            entity_id: Some(entity.1),
            org_unit: Some(unit),
            changes,
        },
    )
    .await
}

/// The largest proof file (a photo or a PDF) a person may upload.
pub const PROOF_MAX_BYTES: usize = 5 << 20;

/// The content type a file's first bytes prove, if it is a photo (JPEG, PNG) or a PDF —
/// the only kinds accepted as proof. A program renamed `.jpg` is none of them.
pub fn sniff_proof(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else {
        None
    }
}

/// A file name safe to store and to send back: no control characters, slashes or quotes,
/// at most 120 characters; `fallback` when nothing is left.
pub fn clean_file_name(name: &str, fallback: &str) -> String {
    let name: String = name
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '/' | '\\' | '"'))
        .take(120)
        .collect();
    if name.trim().is_empty() {
        fallback.to_string()
    } else {
        name
    }
}
