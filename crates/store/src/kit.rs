//! The store's shared kit for every area's writes and reads: "write, audit, commit" as one
//! call ([`audit_commit`]); "fetch one or not found" is [`crate::db::Sql::fetch_one`] (and
//! `fetch_one_tx`); the scope filter is [`crate::scope`].
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
