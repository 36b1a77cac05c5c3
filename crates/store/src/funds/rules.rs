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

/// A stored version and the unit that holds it.
#[derive(Clone, Debug, PartialEq)]
pub struct VersionAt {
    pub id: FundsRuleSetId,
    pub org_unit_id: OrgUnitId,
    pub unit_name: String,
    pub version: i64,
    pub rules: FundsRules,
    pub note: Option<String>,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// The versions that bear on `unit`: its own and those of every unit above it, nearest
/// first and newest first within a unit (the first is the one in force). One query.
pub async fn history(
    st: &Store,
    cap: &Cap<perm::FundsView>,
    unit: OrgUnitId,
) -> Result<Vec<VersionAt>, StoreError> {
    if !crate::org::units::in_scope(&st.db, cap.scope(), unit).await? {
        return Err(StoreError::NotFound);
    }
    type Row = (
        i64,
        i64,
        String,
        i64,
        String,
        Option<String>,
        chrono::DateTime<chrono::Utc>,
    );
    let rows: Vec<Row> = on_db!(&st.db, |p| {
        sqlx::query_as(
            "SELECT r.id, r.org_unit_id, u.name, r.version, r.numbers, r.note, r.created_at FROM org_closure c
             JOIN funds_rule_set r ON r.org_unit_id = c.ancestor_id JOIN org_unit u ON u.id = r.org_unit_id
             WHERE c.descendant_id = $1 ORDER BY c.depth, r.version DESC",
        )
        .bind(unit.0)
        .fetch_all(p)
        .await
    })?;
    rows.into_iter()
        .map(|(id, org, unit_name, version, numbers, note, created_at)| {
            Ok(VersionAt {
                id: FundsRuleSetId(id),
                org_unit_id: OrgUnitId(org),
                unit_name,
                version,
                rules: decode(id, &numbers)?,
                note,
                created_at,
            })
        })
        .collect()
}

/// Stores a new version for `unit` (a union or a school in the manager's scope), refused
/// when it is laxer than the version in force above the unit (read in the writing
/// transaction; the built-in defaults bind a unit below a root that has none). Audited.
pub async fn add_version(
    st: &Store,
    cap: &Cap<perm::RuleSetManage>,
    who: &crate::audit::Who,
    unit: OrgUnitId,
    rules: &FundsRules,
    note: Option<&str>,
) -> Result<FundsRuleSetId, StoreError> {
    rules
        .check()
        .map_err(|e| StoreError::Invalid(domain::FieldErrors(vec![e])))?;
    if !crate::org::units::in_scope(&st.db, cap.scope(), unit).await? {
        return Err(StoreError::NotFound);
    }
    let numbers = serde_json::to_string(rules).map_err(|e| StoreError::Other(e.to_string()))?;
    let mut tx = st.db.begin().await?;
    let parent: Option<i64> = on_tx!(&mut tx, |c| sqlx::query_scalar(
        "SELECT ancestor_id FROM org_closure WHERE descendant_id = $1 AND depth = 1"
    )
    .bind(unit.0)
    .fetch_optional(&mut *c)
    .await)?;
    if let Some(parent) = parent {
        let above: Option<(i64, String)> = on_tx!(&mut tx, |c| {
            sqlx::query_as(
            "SELECT r.id, r.numbers FROM org_closure c JOIN funds_rule_set r ON r.org_unit_id = c.ancestor_id
             WHERE c.descendant_id = $1 ORDER BY c.depth, r.version DESC LIMIT 1"
        )
        .bind(parent)
        .fetch_optional(&mut *c)
        .await
        })?;
        let above = match above {
            Some((id, n)) => decode(id, &n)?,
            None => FundsRules::DEFAULT,
        };
        rules.not_laxer_than(&above).map_err(StoreError::Invalid)?;
    }
    let next: i64 = on_tx!(&mut tx, |c| sqlx::query_scalar(
        "SELECT COALESCE(MAX(version), 0) + 1 FROM funds_rule_set WHERE org_unit_id = $1"
    )
    .bind(unit.0)
    .fetch_one(&mut *c)
    .await)?;
    let id: i64 = on_tx!(&mut tx, |c| {
        sqlx::query_scalar(
        "INSERT INTO funds_rule_set (org_unit_id, version, numbers, note, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id"
    )
    .bind(unit.0)
    .bind(next)
    .bind(&numbers)
    .bind(note)
    .bind(now())
    .fetch_one(&mut *c)
    .await
    })?;
    let mut ch = domain::audit::Changes::new();
    ch.note("version", next)
        .note("dues_rate", rules.dues_rate.display())
        .note("union_fund_rate", rules.union_fund_rate.display())
        .note("union_fund_kept", rules.union_fund_kept.display());
    crate::kit::record_commit(
        tx,
        st,
        who,
        "funds_rules.version",
        ("funds_rule_set", id),
        unit,
        &ch,
    )
    .await?;
    Ok(FundsRuleSetId(id))
}
