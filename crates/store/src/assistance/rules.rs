//! Assistance rule-set versions. A union (or a school, for its own files) holds versions; a
//! version is never edited: a change is a new version, and every income test records the
//! id of the version that decided it. The rules in force for a school are the newest
//! version of the nearest unit above it that has one. Without any version the built-in
//! (local, placeholder) defaults are stored as version 1 of the school's root union the
//! first time a decision needs them, so that the decision can name them.

use crate::audit::{self, Event, Who};
use crate::db::{Tx, now};
use crate::{Store, StoreError, on_tx};
use chrono::{DateTime, Utc};
use domain::assistance::{AssistanceRuleSetId, AssistanceRules};
use domain::audit::Changes;
use domain::auth::{Cap, perm};
use domain::ids::OrgUnitId;

/// One stored version.
#[derive(Clone, Debug, PartialEq)]
pub struct Version {
    pub id: AssistanceRuleSetId,
    pub org_unit_id: OrgUnitId,
    pub version: i64,
    pub rules: AssistanceRules,
    pub note: Option<String>,
    pub created_at: DateTime<Utc>,
}

fn decode(id: i64, numbers: &str) -> Result<AssistanceRules, StoreError> {
    serde_json::from_str(numbers)
        .map_err(|e| StoreError::Other(format!("assistance rule set {id}: {e}")))
}

fn encode(r: &AssistanceRules) -> Result<String, StoreError> {
    serde_json::to_string(r).map_err(|e| StoreError::Other(e.to_string()))
}

/// The version in force for `unit` (inside a write transaction), storing the defaults as
/// version 1 of the root union when no version exists above it.
pub(crate) async fn effective_tx(
    tx: &mut Tx,
    unit: OrgUnitId,
) -> Result<(AssistanceRuleSetId, AssistanceRules), StoreError> {
    let row: Option<(i64, String)> = on_tx!(tx, |c| {
        sqlx::query_as(
        "SELECT r.id, r.numbers FROM org_closure c JOIN assistance_rule_set r ON r.org_unit_id = c.ancestor_id
         WHERE c.descendant_id = $1 ORDER BY c.depth, r.version DESC LIMIT 1"
    )
    .bind(unit.0)
    .fetch_optional(&mut *c)
    .await
    })?;
    if let Some((id, numbers)) = row {
        return Ok((AssistanceRuleSetId(id), decode(id, &numbers)?));
    }
    let root: Option<i64> = on_tx!(tx, |c| {
        sqlx::query_scalar(
        "SELECT ancestor_id FROM org_closure WHERE descendant_id = $1 ORDER BY depth DESC LIMIT 1"
    )
    .bind(unit.0)
    .fetch_optional(&mut *c)
    .await
    })?;
    let root = root.ok_or(StoreError::NotFound)?;
    let rules = AssistanceRules::DEFAULT;
    let numbers = encode(&rules)?;
    let id: i64 = on_tx!(tx, |c| {
        sqlx::query_scalar(
        "INSERT INTO assistance_rule_set (org_unit_id, version, numbers, note, created_at) VALUES ($1, 1, $2, NULL, $3) RETURNING id"
    )
    .bind(root)
    .bind(&numbers)
    .bind(now())
    .fetch_one(&mut *c)
    .await
    })?;
    Ok((AssistanceRuleSetId(id), rules))
}

/// The numbers of a stored version.
pub(crate) async fn by_id_tx(
    tx: &mut Tx,
    id: AssistanceRuleSetId,
) -> Result<AssistanceRules, StoreError> {
    let numbers: String = on_tx!(tx, |c| sqlx::query_scalar(
        "SELECT numbers FROM assistance_rule_set WHERE id = $1"
    )
    .bind(id.0)
    .fetch_one(&mut *c)
    .await)?;
    decode(id.0, &numbers)
}

/// The rules in force for a unit in the caller's scope (the defaults, unnamed, while no
/// version exists).
pub async fn effective(
    st: &Store,
    cap: &Cap<perm::AssistanceView>,
    unit: OrgUnitId,
) -> Result<(Option<Version>, AssistanceRules), StoreError> {
    if !crate::org::units::in_scope(&st.db, cap.scope(), unit).await? {
        return Err(StoreError::NotFound);
    }
    let row: Option<(i64, i64, i64, String, Option<String>, DateTime<Utc>)> = crate::on_db!(
        &st.db,
        |p| {
            sqlx::query_as(
            "SELECT r.id, r.org_unit_id, r.version, r.numbers, r.note, r.created_at FROM org_closure c
             JOIN assistance_rule_set r ON r.org_unit_id = c.ancestor_id
             WHERE c.descendant_id = $1 ORDER BY c.depth, r.version DESC LIMIT 1"
        )
        .bind(unit.0)
        .fetch_optional(p)
        .await
        }
    )?;
    match row {
        None => Ok((None, AssistanceRules::DEFAULT)),
        Some((id, org, version, numbers, note, created_at)) => {
            let rules = decode(id, &numbers)?;
            Ok((
                Some(Version {
                    id: AssistanceRuleSetId(id),
                    org_unit_id: OrgUnitId(org),
                    version,
                    rules,
                    note,
                    created_at,
                }),
                rules,
            ))
        }
    }
}

/// The numbers in force just above `unit`: the newest version of the nearest unit strictly
/// above it, the built-in defaults when none above has one, `None` for a root union (no
/// unit above binds it).
async fn above_tx(tx: &mut Tx, unit: OrgUnitId) -> Result<Option<AssistanceRules>, StoreError> {
    let parent: Option<i64> = on_tx!(tx, |c| sqlx::query_scalar(
        "SELECT ancestor_id FROM org_closure WHERE descendant_id = $1 AND depth = 1"
    )
    .bind(unit.0)
    .fetch_optional(&mut *c)
    .await)?;
    let Some(parent) = parent else {
        return Ok(None);
    };
    let row: Option<(i64, String)> = on_tx!(tx, |c| {
        sqlx::query_as(
        "SELECT r.id, r.numbers FROM org_closure c JOIN assistance_rule_set r ON r.org_unit_id = c.ancestor_id
         WHERE c.descendant_id = $1 ORDER BY c.depth, r.version DESC LIMIT 1"
    )
    .bind(parent)
    .fetch_optional(&mut *c)
    .await
    })?;
    match row {
        Some((id, numbers)) => Ok(Some(decode(id, &numbers)?)),
        None => Ok(Some(AssistanceRules::DEFAULT)),
    }
}

/// A stored version and the unit that holds it.
#[derive(Clone, Debug, PartialEq)]
pub struct VersionAt {
    pub version: Version,
    pub unit_name: String,
}

/// The versions that bear on `unit`: its own and those of every unit above it, nearest
/// first and newest first within a unit (so the first is the one in force). One query.
pub async fn history(
    st: &Store,
    cap: &Cap<perm::AssistanceView>,
    unit: OrgUnitId,
) -> Result<Vec<VersionAt>, StoreError> {
    if !crate::org::units::in_scope(&st.db, cap.scope(), unit).await? {
        return Err(StoreError::NotFound);
    }
    type Row = (i64, i64, i64, String, Option<String>, DateTime<Utc>, String);
    let rows: Vec<Row> = crate::on_db!(&st.db, |p| {
        sqlx::query_as(
            "SELECT r.id, r.org_unit_id, r.version, r.numbers, r.note, r.created_at, u.name FROM org_closure c
             JOIN assistance_rule_set r ON r.org_unit_id = c.ancestor_id JOIN org_unit u ON u.id = r.org_unit_id
             WHERE c.descendant_id = $1 ORDER BY c.depth, r.version DESC",
        )
        .bind(unit.0)
        .fetch_all(p)
        .await
    })?;
    rows.into_iter()
        .map(|(id, org, version, numbers, note, created_at, unit_name)| {
            Ok(VersionAt {
                version: Version {
                    id: AssistanceRuleSetId(id),
                    org_unit_id: OrgUnitId(org),
                    version,
                    rules: decode(id, &numbers)?,
                    note,
                    created_at,
                },
                unit_name,
            })
        })
        .collect()
}

/// Stores a new version for `unit` (a union or a school in the confirmer's scope).
pub async fn add_version(
    st: &Store,
    cap: &Cap<perm::AssistanceConfirm>,
    who: &Who,
    unit: OrgUnitId,
    rules: &AssistanceRules,
    note: Option<&str>,
) -> Result<AssistanceRuleSetId, StoreError> {
    rules.check().map_err(StoreError::Invalid)?;
    if !crate::org::units::in_scope(&st.db, cap.scope(), unit).await? {
        return Err(StoreError::NotFound);
    }
    let numbers = encode(rules)?;
    let mut tx = st.db.begin().await?;
    // Stricter than the unit above, never laxer (read in the writing transaction).
    if let Some(above) = above_tx(&mut tx, unit).await? {
        rules.not_laxer_than(&above).map_err(StoreError::Invalid)?;
    }
    let next: i64 = on_tx!(&mut tx, |c| sqlx::query_scalar(
        "SELECT COALESCE(MAX(version), 0) + 1 FROM assistance_rule_set WHERE org_unit_id = $1"
    )
    .bind(unit.0)
    .fetch_one(&mut *c)
    .await)?;
    let id: i64 = on_tx!(&mut tx, |c| {
        sqlx::query_scalar(
        "INSERT INTO assistance_rule_set (org_unit_id, version, numbers, note, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id"
    )
    .bind(unit.0)
    .bind(next)
    .bind(&numbers)
    .bind(note)
    .bind(now())
    .fetch_one(&mut *c)
    .await
    })?;
    let mut ch = Changes::new();
    ch.note("version", next)
        .note("low_income_fen", rules.low_income_fen)
        .note("relative_multiple", rules.relative_multiple.display())
        .note("review_months", rules.review_months);
    audit::append(
        &mut tx,
        &st.cipher,
        who,
        Event {
            action: "assistance_rules.version",
            entity_type: "assistance_rule_set",
            entity_id: Some(id),
            org_unit: Some(unit),
            changes: &ch,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(AssistanceRuleSetId(id))
}
