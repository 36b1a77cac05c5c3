//! Versions of the rule sets that are one document of numbers per version, for the areas
//! whose rules need no table of their own: the reminders (`notify`: lead times and
//! escalation chains) and the news points (`news`). A version is stored at a unit (the
//! district union, or a school for its own stricter rules) and never edited: a change is a
//! new version, audited. The version in force at a unit is the newest of the nearest unit
//! above it (itself included) that has one; without any, the area's built-in numbers
//! apply, and a decision then names the built-in version.
//!
//! Owns the `area_rule_set` table. Never decides anything with the numbers (the areas do)
//! and never checks them (the domain's form parser does, before [`add`]).

use crate::audit::Who;
use crate::db::{Arg, Sql, now};
use crate::{Db, Store, StoreError, on_db, on_tx};
use chrono::{DateTime, Utc};
use domain::audit::Changes;
use domain::auth::{Cap, perm};
use domain::ids::OrgUnitId;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::collections::HashMap;

/// One stored version of an area's rule set.
#[derive(Clone, Debug, PartialEq)]
pub struct Version<T> {
    pub id: i64,
    pub unit: OrgUnitId,
    pub unit_name: String,
    pub version: i64,
    pub rules: T,
    pub note: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// The version a decision names: `"<area>#<id> v<version>"` for a stored one, the area's
/// built-in label otherwise.
pub fn label<T>(area: &str, v: Option<&Version<T>>, builtin: &str) -> String {
    v.map_or_else(
        || builtin.to_string(),
        |v| format!("{area}#{} v{}", v.id, v.version),
    )
}

type Row = (i64, i64, String, i64, String, Option<String>, DateTime<Utc>);

fn decode<T: DeserializeOwned>(r: Row) -> Result<Version<T>, StoreError> {
    let (id, unit, unit_name, version, numbers, note, created_at) = r;
    let rules = serde_json::from_str(&numbers)
        .map_err(|e| StoreError::Other(format!("rule set {id}: {e}")))?;
    Ok(Version {
        id,
        unit: OrgUnitId(unit),
        unit_name,
        version,
        rules,
        note,
        created_at,
    })
}

async fn in_scope<P: perm::Perm>(db: &Db, cap: &Cap<P>, unit: OrgUnitId) -> Result<(), StoreError> {
    let mut check =
        Sql::new("SELECT COUNT(*) FROM org_unit u WHERE u.kind <> 'branch' AND u.id = ");
    check.bind(Arg::I64(unit.0));
    crate::scope::restrict(&mut check, "u.id", cap.scope());
    if check.fetch_scalar_i64(db).await? == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// The versions that bear on `unit` (in the reader's scope): those stored at the unit and
/// at every unit above it, nearest first, newest first within a unit. The first is the
/// version in force. One check and one query.
pub async fn history<T: DeserializeOwned, P: perm::Perm>(
    db: &Db,
    cap: &Cap<P>,
    area: &str,
    unit: OrgUnitId,
) -> Result<Vec<Version<T>>, StoreError> {
    in_scope(db, cap, unit).await?;
    let rows: Vec<Row> = on_db!(db, |p| {
        sqlx::query_as(
            "SELECT r.id, r.org_unit_id, u.name, r.version, r.numbers, r.note, r.created_at
             FROM org_closure c JOIN area_rule_set r ON r.org_unit_id = c.ancestor_id
             JOIN org_unit u ON u.id = r.org_unit_id
             WHERE c.descendant_id = $1 AND r.area = $2 ORDER BY c.depth, r.version DESC",
        )
        .bind(unit.0)
        .bind(area)
        .fetch_all(p)
        .await
    })?;
    rows.into_iter().map(decode).collect()
}

/// The version in force at `unit`, or `None` for the built-in numbers.
pub async fn in_force<T: DeserializeOwned, P: perm::Perm>(
    db: &Db,
    cap: &Cap<P>,
    area: &str,
    unit: OrgUnitId,
) -> Result<Option<Version<T>>, StoreError> {
    Ok(history(db, cap, area, unit).await?.into_iter().next())
}

/// The newest version stored at each unit, for a whole-installation run (the reminder
/// scan resolves each item's version by walking up from its unit). One query. Rule sets
/// hold no personal data; callers are system runs.
pub(crate) async fn newest_per_unit<T: DeserializeOwned>(
    db: &Db,
    area: &str,
) -> Result<HashMap<i64, Version<T>>, StoreError> {
    let rows: Vec<Row> = on_db!(db, |p| {
        sqlx::query_as(
            "SELECT r.id, r.org_unit_id, u.name, r.version, r.numbers, r.note, r.created_at
             FROM area_rule_set r JOIN org_unit u ON u.id = r.org_unit_id
             WHERE r.area = $1 AND r.version = (SELECT MAX(x.version) FROM area_rule_set x
                 WHERE x.area = r.area AND x.org_unit_id = r.org_unit_id)
             ORDER BY r.org_unit_id",
        )
        .bind(area)
        .fetch_all(p)
        .await
    })?;
    let mut out = HashMap::new();
    for r in rows {
        let v = decode::<T>(r)?;
        out.insert(v.unit.0, v);
    }
    Ok(out)
}

/// The newest version in force at `unit` inside a write transaction (a decision that
/// records which version made it). One query.
pub(crate) async fn in_force_tx<T: DeserializeOwned>(
    tx: &mut crate::db::Tx,
    area: &str,
    unit: OrgUnitId,
) -> Result<Option<Version<T>>, StoreError> {
    let row: Option<Row> = on_tx!(tx, |c| {
        sqlx::query_as(
            "SELECT r.id, r.org_unit_id, u.name, r.version, r.numbers, r.note, r.created_at
             FROM org_closure c JOIN area_rule_set r ON r.org_unit_id = c.ancestor_id
             JOIN org_unit u ON u.id = r.org_unit_id
             WHERE c.descendant_id = $1 AND r.area = $2 ORDER BY c.depth, r.version DESC LIMIT 1",
        )
        .bind(unit.0)
        .bind(area)
        .fetch_optional(&mut *c)
        .await
    })?;
    row.map(decode).transpose()
}

/// A new version: its numbers, the numbers it replaces (for the audit record) and a note.
pub struct Change<'a, T> {
    pub rules: &'a T,
    pub before: &'a T,
    pub note: Option<String>,
}

/// Stores `rules` as the next version of `area` at `unit` (a union, an area or a school in
/// the manager's scope; never a branch), audited with the numbers before and after.
/// Returns the new version's id. The caller has checked the numbers.
pub async fn add<T: Serialize + DeserializeOwned>(
    st: &Store,
    cap: &Cap<perm::RuleSetManage>,
    who: &Who,
    area: &str,
    unit: OrgUnitId,
    change: Change<'_, T>,
) -> Result<i64, StoreError> {
    let Change {
        rules,
        before,
        note,
    } = change;
    in_scope(&st.db, cap, unit).await?;
    let numbers = serde_json::to_string(rules).map_err(|e| StoreError::Other(e.to_string()))?;
    let mut tx = st.db.begin().await?;
    let version: i64 = on_tx!(&mut tx, |c| {
        sqlx::query_scalar(
        "SELECT COALESCE(MAX(version), 0) + 1 FROM area_rule_set WHERE area = $1 AND org_unit_id = $2"
    )
    .bind(area)
    .bind(unit.0)
    .fetch_one(&mut *c)
    .await
    })?;
    let id: i64 = on_tx!(&mut tx, |c| {
        sqlx::query_scalar(
            "INSERT INTO area_rule_set (area, org_unit_id, version, numbers, note, created_by, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(area)
        .bind(unit.0)
        .bind(version)
        .bind(&numbers)
        .bind(&note)
        .bind(who.account.map(|a| a.0))
        .bind(now())
        .fetch_one(&mut *c)
        .await
    })?;
    let mut ch = Changes::new();
    ch.field("version", None, Some(&version));
    let b = serde_json::to_value(before).unwrap_or_default();
    let a = serde_json::to_value(rules).unwrap_or_default();
    ch.field("rules", Some(&b), Some(&a));
    ch.note("area", area.to_string());
    if let Some(n) = &note {
        ch.note("note", n.clone());
    }
    crate::kit::record_commit(
        tx,
        st,
        who,
        "area_rule_set.create",
        ("area_rule_set", id),
        unit,
        &ch,
    )
    .await?;
    Ok(id)
}
