//! Election rule-set versions. A union (or a school) holds versions; a version is never
//! edited: a change is a new version, and every step of an election records the id of the
//! version that decided it. The rules in force for a school are the newest
//! version of the nearest unit above it that has one. Without any version the built-in
//! (local) defaults are stored as version 1 of the school's root union the
//! first time a decision needs them, so that the decision can name them.

use crate::audit::{self, Event, Who};
use crate::db::{Tx, now};
use crate::{Store, StoreError, on_tx};
use chrono::{DateTime, Utc};
use domain::audit::Changes;
use domain::auth::{Cap, perm};
use domain::elections::{ElectionRuleSetId, ElectionRules};
use domain::ids::OrgUnitId;

/// One stored version.
#[derive(Clone, Debug, PartialEq)]
pub struct Version {
    pub id: ElectionRuleSetId,
    pub org_unit_id: OrgUnitId,
    pub version: i64,
    pub rules: ElectionRules,
    pub note: Option<String>,
    pub created_at: DateTime<Utc>,
}

fn decode(id: i64, numbers: &str) -> Result<ElectionRules, StoreError> {
    serde_json::from_str(numbers)
        .map_err(|e| StoreError::Other(format!("assistance rule set {id}: {e}")))
}

fn encode(r: &ElectionRules) -> Result<String, StoreError> {
    serde_json::to_string(r).map_err(|e| StoreError::Other(e.to_string()))
}

/// The version in force for `unit` (inside a write transaction), storing the defaults as
/// version 1 of the root union when no version exists above it.
pub(crate) async fn effective_tx(
    tx: &mut Tx,
    unit: OrgUnitId,
) -> Result<(ElectionRuleSetId, ElectionRules), StoreError> {
    let row: Option<(i64, String)> = on_tx!(tx, |c| {
        sqlx::query_as(
        "SELECT r.id, r.numbers FROM org_closure c JOIN election_rule_set r ON r.org_unit_id = c.ancestor_id
         WHERE c.descendant_id = $1 ORDER BY c.depth, r.version DESC LIMIT 1"
    )
    .bind(unit.0)
    .fetch_optional(&mut *c)
    .await
    })?;
    if let Some((id, numbers)) = row {
        return Ok((ElectionRuleSetId(id), decode(id, &numbers)?));
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
    let rules = ElectionRules::default_rules();
    let numbers = encode(&rules)?;
    let id: i64 = on_tx!(tx, |c| {
        sqlx::query_scalar(
        "INSERT INTO election_rule_set (org_unit_id, version, numbers, note, created_at) VALUES ($1, 1, $2, NULL, $3) RETURNING id"
    )
    .bind(root)
    .bind(&numbers)
    .bind(now())
    .fetch_one(&mut *c)
    .await
    })?;
    Ok((ElectionRuleSetId(id), rules))
}

/// The rules in force for a unit in the caller's scope (the defaults, unnamed, while no
/// version exists).
pub async fn effective(
    st: &Store,
    cap: &Cap<perm::ElectionView>,
    unit: OrgUnitId,
) -> Result<(Option<Version>, ElectionRules), StoreError> {
    if !crate::org::units::in_scope(&st.db, cap.scope(), unit).await? {
        return Err(StoreError::NotFound);
    }
    let row: Option<(i64, i64, i64, String, Option<String>, DateTime<Utc>)> = crate::on_db!(
        &st.db,
        |p| {
            sqlx::query_as(
            "SELECT r.id, r.org_unit_id, r.version, r.numbers, r.note, r.created_at FROM org_closure c
             JOIN election_rule_set r ON r.org_unit_id = c.ancestor_id
             WHERE c.descendant_id = $1 ORDER BY c.depth, r.version DESC LIMIT 1"
        )
        .bind(unit.0)
        .fetch_optional(p)
        .await
        }
    )?;
    match row {
        None => Ok((None, ElectionRules::default_rules())),
        Some((id, org, version, numbers, note, created_at)) => {
            let rules = decode(id, &numbers)?;
            Ok((
                Some(Version {
                    id: ElectionRuleSetId(id),
                    org_unit_id: OrgUnitId(org),
                    version,
                    rules: rules.clone(),
                    note,
                    created_at,
                }),
                rules,
            ))
        }
    }
}

/// Stores a new version for `unit` (a union or a school in the confirmer's scope).
pub async fn add_version(
    st: &Store,
    cap: &Cap<perm::ElectionApprove>,
    who: &Who,
    unit: OrgUnitId,
    rules: &ElectionRules,
    note: Option<&str>,
) -> Result<ElectionRuleSetId, StoreError> {
    rules.check().map_err(StoreError::Invalid)?;
    if !crate::org::units::in_scope(&st.db, cap.scope(), unit).await? {
        return Err(StoreError::NotFound);
    }
    let numbers = encode(rules)?;
    let mut tx = st.db.begin().await?;
    let next: i64 = on_tx!(&mut tx, |c| sqlx::query_scalar(
        "SELECT COALESCE(MAX(version), 0) + 1 FROM election_rule_set WHERE org_unit_id = $1"
    )
    .bind(unit.0)
    .fetch_one(&mut *c)
    .await)?;
    let id: i64 = on_tx!(&mut tx, |c| {
        sqlx::query_scalar(
        "INSERT INTO election_rule_set (org_unit_id, version, numbers, note, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id"
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
        .note("term_years", rules.terms_text())
        .note("margin", rules.margin.display())
        .note("quorum", rules.quorum.display())
        .note("elect", rules.elect.display())
        .note("chair_by", rules.chair_by.code());
    audit::append(
        &mut tx,
        &st.cipher,
        who,
        Event {
            action: "election_rules.version",
            entity_type: "election_rule_set",
            entity_id: Some(id),
            org_unit: Some(unit),
            changes: &ch,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(ElectionRuleSetId(id))
}

/// The versions that reach a unit in scope: its own and its ancestors', the nearest unit's
/// newest first (the first is in force), with the unit's name. One query after the scope
/// check.
pub async fn history(
    st: &Store,
    cap: &Cap<perm::ElectionView>,
    unit: OrgUnitId,
) -> Result<Vec<(Version, String)>, StoreError> {
    if !crate::org::units::in_scope(&st.db, cap.scope(), unit).await? {
        return Err(StoreError::NotFound);
    }
    #[allow(clippy::type_complexity)]
    let rows: Vec<(i64, i64, i64, String, Option<String>, DateTime<Utc>, String)> = crate::on_db!(
        &st.db,
        |p| {
            sqlx::query_as(
            "SELECT r.id, r.org_unit_id, r.version, r.numbers, r.note, r.created_at, o.name FROM org_closure c
             JOIN election_rule_set r ON r.org_unit_id = c.ancestor_id JOIN org_unit o ON o.id = r.org_unit_id
             WHERE c.descendant_id = $1 ORDER BY c.depth, r.version DESC"
        )
        .bind(unit.0)
        .fetch_all(p)
        .await
        }
    )?;
    rows.into_iter()
        .map(|(id, org, version, numbers, note, created_at, name)| {
            Ok((
                Version {
                    id: ElectionRuleSetId(id),
                    org_unit_id: OrgUnitId(org),
                    version,
                    rules: decode(id, &numbers)?,
                    note,
                    created_at,
                },
                name,
            ))
        })
        .collect()
}
