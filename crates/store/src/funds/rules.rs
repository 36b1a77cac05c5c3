//! Funds rule-set versions. A union (or a school) holds versions; a version is never
//! edited: a change is a new version, and every levy and every ledger entry records the id
//! of the version in force when it was decided. The rules of a school are the newest
//! version of the nearest unit above it that has one; without any, the built-in (local)
//! defaults are stored as version 1 of the school's root union the first time a decision
//! needs them, so that the decision can name them.

use crate::db::{Tx, now};
use crate::{Store, StoreError, on_db, on_tx};
use domain::auth::{Cap, perm};
use domain::funds::{FundsRuleSetId, FundsRules};
use domain::ids::OrgUnitId;

fn decode(id: i64, numbers: &str) -> Result<FundsRules, StoreError> {
    serde_json::from_str(numbers)
        .map_err(|e| StoreError::Other(format!("funds rule set {id}: {e}")))
}

/// The version in force for `unit` inside a write transaction: (id, version number, rules).
pub(crate) async fn effective_tx(
    tx: &mut Tx,
    unit: OrgUnitId,
) -> Result<(FundsRuleSetId, i64, FundsRules), StoreError> {
    let row: Option<(i64, i64, String)> = on_tx!(tx, |c| {
        sqlx::query_as(
            "SELECT r.id, r.version, r.numbers FROM org_closure c JOIN funds_rule_set r ON r.org_unit_id = c.ancestor_id
             WHERE c.descendant_id = $1 ORDER BY c.depth, r.version DESC LIMIT 1",
        )
        .bind(unit.0)
        .fetch_optional(&mut *c)
        .await
    })?;
    if let Some((id, version, numbers)) = row {
        return Ok((FundsRuleSetId(id), version, decode(id, &numbers)?));
    }
    let root: Option<i64> = on_tx!(tx, |c| {
        sqlx::query_scalar(
            "SELECT ancestor_id FROM org_closure WHERE descendant_id = $1 ORDER BY depth DESC LIMIT 1",
        )
        .bind(unit.0)
        .fetch_optional(&mut *c)
        .await
    })?;
    let root = root.ok_or(StoreError::NotFound)?;
    let rules = FundsRules::DEFAULT;
    let numbers = serde_json::to_string(&rules).map_err(|e| StoreError::Other(e.to_string()))?;
    let id: i64 = on_tx!(tx, |c| {
        sqlx::query_scalar(
            "INSERT INTO funds_rule_set (org_unit_id, version, numbers, note, created_at) VALUES ($1, 1, $2, NULL, $3) RETURNING id",
        )
        .bind(root)
        .bind(&numbers)
        .bind(now())
        .fetch_one(&mut *c)
        .await
    })?;
    Ok((FundsRuleSetId(id), 1, rules))
}

/// The rules in force for a unit in the reader's scope and their version number (`None`
/// while the defaults have not been stored yet).
pub async fn effective(
    st: &Store,
    cap: &Cap<perm::FundsView>,
    unit: OrgUnitId,
) -> Result<(Option<i64>, FundsRules), StoreError> {
    if !crate::org::units::in_scope(&st.db, cap.scope(), unit).await? {
        return Err(StoreError::NotFound);
    }
    let row: Option<(i64, i64, String)> = on_db!(&st.db, |p| {
        sqlx::query_as(
            "SELECT r.id, r.version, r.numbers FROM org_closure c JOIN funds_rule_set r ON r.org_unit_id = c.ancestor_id
             WHERE c.descendant_id = $1 ORDER BY c.depth, r.version DESC LIMIT 1",
        )
        .bind(unit.0)
        .fetch_optional(p)
        .await
    })?;
    match row {
        None => Ok((None, FundsRules::DEFAULT)),
        Some((id, version, numbers)) => Ok((Some(version), decode(id, &numbers)?)),
    }
}
