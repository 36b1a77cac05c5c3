//! Answers to the roster import's value-mapping questions ("'宿管' in 岗位 → 工勤"),
//! remembered per unit: an import into a unit uses the answers given for it and for the
//! units above it (the nearest wins). Owns the `import_value_map` table.
//!
//! It never changes a stored member, and it never stores an answer that does not name one
//! of the field's choices (checked by `domain::roster::answer_code`).

use crate::audit::{self, Event, Who};
use crate::db::now;
use crate::{Store, StoreError};
use domain::audit::Changes;
use domain::auth::{Cap, perm};
use domain::ids::OrgUnitId;
use domain::roster::{MAPPABLE_FIELDS, answer_code, key};
use std::collections::HashMap;

/// Remembered answers: (field, value as [`key`]) → the code (or ethnicity) it stands for.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ValueMap(HashMap<(String, String), String>);

impl ValueMap {
    /// The answer for a value of a field, compared as [`key`].
    pub fn get(&self, field: &str, value: &str) -> Option<&str> {
        self.0
            .get(&(field.to_string(), key(value)))
            .map(String::as_str)
    }

    /// Adds an answer (used by the command line's `--map` before it is stored).
    pub fn insert(&mut self, field: &str, value: &str, code: &str) {
        self.0
            .insert((field.to_string(), key(value)), code.to_string());
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The answers that apply to imports into `unit`: its own and those of the units above it,
/// the nearest winning.
pub async fn load(
    st: &Store,
    cap: &Cap<perm::MemberImport>,
    unit: OrgUnitId,
) -> Result<ValueMap, StoreError> {
    let _ = super::units::get_unit(&st.db, cap, unit).await?;
    let rows: Vec<(String, String, String)> = crate::on_db!(&st.db, |p| {
        sqlx::query_as(
            "SELECT v.field, v.source_value, v.code FROM import_value_map v
             JOIN org_closure c ON c.ancestor_id = v.org_unit_id
             WHERE c.descendant_id = $1 ORDER BY c.depth DESC, v.id",
        )
        .bind(unit.0)
        .fetch_all(p)
        .await
    })?;
    let mut m = ValueMap::default();
    for (field, source, code) in rows {
        m.0.insert((field, source), code);
    }
    Ok(m)
}

/// Remembers an answer for `unit` (replacing an earlier one for the same value), audited.
/// Returns the stored code; an answer that names none of the field's choices is a field
/// error on `field`.
pub async fn remember(
    st: &Store,
    cap: &Cap<perm::MemberImport>,
    who: &Who,
    unit: OrgUnitId,
    field: &str,
    value: &str,
    answer: &str,
) -> Result<String, StoreError> {
    let _ = super::units::get_unit(&st.db, cap, unit).await?;
    let Some(field) = MAPPABLE_FIELDS.iter().copied().find(|f| *f == field) else {
        return Err(StoreError::field("field", domain::text::MAP_TARGET_INVALID));
    };
    let code = answer_code(field, answer)
        .ok_or_else(|| StoreError::field(field, domain::text::MAP_TARGET_INVALID))?;
    let source = key(value);
    if source.is_empty() {
        return Err(StoreError::field(field, domain::text::REQUIRED));
    }
    let mut tx = st.db.begin().await?;
    crate::on_tx!(&mut tx, |c| {
        sqlx::query(
        "INSERT INTO import_value_map (org_unit_id, field, source_value, code, created_at, created_by)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (org_unit_id, field, source_value) DO UPDATE SET code = excluded.code, created_at = excluded.created_at, created_by = excluded.created_by"
    )
    .bind(unit.0)
    .bind(field)
    .bind(&source)
    .bind(&code)
    .bind(now())
    .bind(who.account.map(|a| a.0))
    .execute(&mut *c)
    .await
    .map(|r| r.rows_affected())
    })?;
    let mut ch = Changes::new();
    ch.note("field", field)
        .note("value", source.clone())
        .note("code", code.clone());
    audit::append(
        &mut tx,
        &st.cipher,
        who,
        Event {
            action: "import.value_map",
            entity_type: "org_unit",
            entity_id: Some(unit.0),
            org_unit: Some(unit),
            changes: &ch,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(code)
}
