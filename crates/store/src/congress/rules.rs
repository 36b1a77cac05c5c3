//! Rule-set versions. A union holds the rule set of its schools; a school may override it
//! with versions of its own, or go back to inheriting. A version is never edited: a change
//! is a new version, and every decision records the id of the version that made it.
//!
//! Resolution walks up the org tree: the nearest unit with versions wins, unless its newest
//! version says "inherit". Without any version anywhere the built-in defaults apply; the
//! first decision then stores them as version 1 of the root union, so that the decision can
//! name it.

use super::{log, log_commit};
use crate::db::{Arg, Sql, Tx, now};
use crate::{Db, Store, StoreError, on_tx};
use chrono::{DateTime, Utc};
use domain::audit::Changes;
use domain::auth::{Cap, perm};
use domain::congress::RuleSetId;
use domain::ids::OrgUnitId;
use domain::rules::RuleSet;
use std::collections::HashMap;

/// One stored version.
#[derive(Clone, Debug, PartialEq)]
pub struct RuleVersion {
    pub id: RuleSetId,
    pub org_unit_id: OrgUnitId,
    pub unit_name: String,
    pub version: i64,
    pub inherit: bool,
    pub rules: RuleSet,
    pub note: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// The rules in force for a unit and where they come from.
#[derive(Clone, Debug, PartialEq)]
pub struct Effective {
    /// `None` while no version exists anywhere (the built-in defaults apply).
    pub version: Option<RuleVersion>,
    pub rules: RuleSet,
}

impl Effective {
    pub fn id(&self) -> Option<RuleSetId> {
        self.version.as_ref().map(|v| v.id)
    }
}

#[derive(sqlx::FromRow)]
struct Row {
    target: i64,
    depth: i64,
    id: i64,
    org_unit_id: i64,
    unit_name: String,
    version: i64,
    inherit: bool,
    numbers: String,
    note: Option<String>,
    created_at: DateTime<Utc>,
}

impl Row {
    fn into_version(self) -> Result<RuleVersion, StoreError> {
        let rules: RuleSet = serde_json::from_str(&self.numbers)
            .map_err(|e| StoreError::Other(format!("rule set {}: {e}", self.id)))?;
        Ok(RuleVersion {
            id: RuleSetId(self.id),
            org_unit_id: OrgUnitId(self.org_unit_id),
            unit_name: self.unit_name,
            version: self.version,
            inherit: self.inherit,
            rules,
            note: self.note,
            created_at: self.created_at,
        })
    }
}

/// The newest version of every unit above (and at) the targets, nearest first.
const NEWEST_UP_THE_TREE: &str = "SELECT c.descendant_id AS target, c.depth, r.id, r.org_unit_id, u.name AS unit_name, r.version, r.inherit, r.numbers, r.note, r.created_at
     FROM org_closure c
     JOIN rule_set r ON r.org_unit_id = c.ancestor_id
     JOIN (SELECT org_unit_id, MAX(version) AS v FROM rule_set GROUP BY org_unit_id) n ON n.org_unit_id = r.org_unit_id AND n.v = r.version
     JOIN org_unit u ON u.id = r.org_unit_id";

/// A version in force must still meet the statute: an older version that is laxer (say, a
/// pass counted against those present, allowed before issue 10) is refused with a message
/// naming it, so that nothing is decided under it until a new version is stored. History
/// ([`version`], [`history`]) still reads it: past decisions name the rules that made them.
fn in_force(v: &RuleVersion) -> Result<(), StoreError> {
    v.rules.check().map_err(|_| {
        StoreError::Invalid(domain::FieldErrors(vec![
            domain::FieldError::new("rules", domain::text::RULE_VERSION_LAXER)
                .arg("unit", v.unit_name.clone())
                .arg("version", v.version),
        ]))
    })
}

/// The nearest version that does not inherit. `strict` refuses one below the statute
/// ([`in_force`]); the oversight table reads without it, so that one school's old version
/// does not hide the whole district's table (it decides nothing).
fn resolve(mut rows: Vec<Row>, strict: bool) -> Result<Effective, StoreError> {
    rows.sort_by_key(|r| r.depth);
    for r in rows {
        if !r.inherit {
            let v = r.into_version()?;
            if strict {
                in_force(&v)?;
            }
            return Ok(Effective {
                rules: v.rules,
                version: Some(v),
            });
        }
    }
    Ok(Effective {
        version: None,
        rules: RuleSet::DEFAULT,
    })
}

/// The rules in force for `unit`, for a reader who has it in scope (two queries).
pub async fn effective<P: perm::Perm>(
    db: &Db,
    cap: &Cap<P>,
    unit: OrgUnitId,
) -> Result<Effective, StoreError> {
    if !crate::org::units::in_scope(db, cap.scope(), unit).await? {
        return Err(StoreError::NotFound);
    }
    effective_checked(db, unit).await
}

/// The rules in force for `unit` (one query), inside `store` for a unit already checked.
pub(crate) async fn effective_checked(db: &Db, unit: OrgUnitId) -> Result<Effective, StoreError> {
    let mut sql = Sql::new(NEWEST_UP_THE_TREE);
    sql.push(" WHERE c.descendant_id = ").bind(Arg::I64(unit.0));
    resolve(sql.fetch_all(db).await?, true)
}

pub(crate) async fn tx_effective(tx: &mut Tx, unit: OrgUnitId) -> Result<Effective, StoreError> {
    tx_resolve(tx, unit, true).await
}

async fn tx_resolve(tx: &mut Tx, unit: OrgUnitId, strict: bool) -> Result<Effective, StoreError> {
    let mut sql = Sql::new(NEWEST_UP_THE_TREE);
    sql.push(" WHERE c.descendant_id = ").bind(Arg::I64(unit.0));
    resolve(sql.fetch_all_tx(tx).await?, strict)
}

/// The rules in force for every school union in `scope` (one query, however many schools).
pub async fn effective_for_schools<P: perm::Perm>(
    db: &Db,
    cap: &Cap<P>,
) -> Result<HashMap<OrgUnitId, Effective>, StoreError> {
    let scope = cap.scope();
    let mut sql = Sql::new(NEWEST_UP_THE_TREE);
    sql.push(" JOIN org_unit s ON s.id = c.descendant_id WHERE s.kind = 'school_union'");
    crate::scope::restrict(&mut sql, "s.id", scope);
    let rows: Vec<Row> = sql.fetch_all(db).await?;
    let mut by_school: HashMap<i64, Vec<Row>> = HashMap::new();
    for r in rows {
        by_school.entry(r.target).or_default().push(r);
    }
    by_school
        .into_iter()
        .map(|(k, v)| Ok((OrgUnitId(k), resolve(v, false)?)))
        .collect()
}

/// The rules in force for `unit` with the id of a stored version, storing the defaults as
/// version 1 of the root union when nothing is stored yet. For decisions, inside their
/// transaction.
pub(crate) async fn tx_decisive(
    tx: &mut Tx,
    st: &Store,
    unit: OrgUnitId,
) -> Result<(RuleSetId, RuleSet), StoreError> {
    let e = tx_effective(tx, unit).await?;
    if let Some(v) = e.version {
        return Ok((v.id, v.rules));
    }
    let root: i64 = on_tx!(tx, |c| {
        sqlx::query_scalar(
        "SELECT ancestor_id FROM org_closure WHERE descendant_id = $1 ORDER BY depth DESC LIMIT 1"
    )
    .bind(unit.0)
    .fetch_one(&mut *c)
    .await
    })?;
    let numbers =
        serde_json::to_string(&RuleSet::DEFAULT).map_err(|e| StoreError::Other(e.to_string()))?;
    // Another transaction may have stored them first (PostgreSQL): then use that one.
    on_tx!(tx, |c| {
        sqlx::query(
        "INSERT INTO rule_set (org_unit_id, version, inherit, numbers, note, created_at, created_by)
         VALUES ($1, 1, FALSE, $2, NULL, $3, NULL) ON CONFLICT (org_unit_id, version) DO NOTHING"
    )
    .bind(root)
    .bind(&numbers)
    .bind(now())
    .execute(&mut *c)
    .await
    .map(|r| r.rows_affected())
    })?;
    let e = tx_effective(tx, unit).await?;
    let v = e
        .version
        .ok_or_else(|| StoreError::Other("rule set defaults not stored".into()))?;
    let mut ch = Changes::new();
    ch.note("defaults", "built-in");
    log(
        tx,
        &st.cipher,
        &crate::audit::Who::system("rules"),
        "rule_set.defaults",
        ("rule_set", v.id.0),
        OrgUnitId(root),
        &ch,
    )
    .await?;
    Ok((v.id, v.rules))
}

/// Every version stored at `unit` and at the units above it, newest first.
pub async fn history<P: perm::Perm>(
    db: &Db,
    cap: &Cap<P>,
    unit: OrgUnitId,
) -> Result<Vec<RuleVersion>, StoreError> {
    // The unit must be in scope; its ancestors' rules are readable by whoever may see it.
    let mut check = Sql::new("SELECT COUNT(*) FROM org_unit u WHERE u.id = ");
    check.bind(Arg::I64(unit.0));
    crate::scope::restrict(&mut check, "u.id", cap.scope());
    if check.fetch_scalar_i64(db).await? == 0 {
        return Err(StoreError::NotFound);
    }
    let rows: Vec<Row> = crate::on_db!(db, |p| {
        sqlx::query_as(
        "SELECT c.descendant_id AS target, c.depth, r.id, r.org_unit_id, u.name AS unit_name, r.version, r.inherit, r.numbers, r.note, r.created_at
         FROM org_closure c JOIN rule_set r ON r.org_unit_id = c.ancestor_id JOIN org_unit u ON u.id = r.org_unit_id
         WHERE c.descendant_id = $1 ORDER BY c.depth, r.version DESC"
    )
    .bind(unit.0)
    .fetch_all(p)
    .await
    })?;
    rows.into_iter().map(Row::into_version).collect()
}

/// Stores a new version at `unit` (a union, an area or a school union in scope): the given
/// numbers, or `None` to go back to inheriting. Returns the new version's id.
pub async fn create_version(
    st: &Store,
    cap: &Cap<perm::RuleSetManage>,
    who: &crate::audit::Who,
    unit: OrgUnitId,
    rules: Option<&RuleSet>,
    note: Option<String>,
) -> Result<RuleSetId, StoreError> {
    if let Some(r) = rules {
        r.check().map_err(StoreError::Invalid)?;
    }
    let mut tx = st.db.begin().await?;
    if !crate::org::units::tx_in_scope(&mut tx, cap.scope(), unit).await? {
        return Err(StoreError::NotFound);
    }
    let u = crate::org::units::tx_unit(&mut tx, unit).await?;
    if u.kind == domain::org::OrgKind::Branch {
        return Err(StoreError::NotFound);
    }
    // What is replaced, for the audit record: read even when it is a refused laxer
    // version, since storing a new one is how a school gets out of it.
    let before = tx_resolve(&mut tx, unit, false).await?;
    let version: i64 = on_tx!(&mut tx, |c| sqlx::query_scalar(
        "SELECT COALESCE(MAX(version), 0) + 1 FROM rule_set WHERE org_unit_id = $1"
    )
    .bind(unit.0)
    .fetch_one(&mut *c)
    .await)?;
    if rules.is_none() && version == 1 {
        // Nothing to go back from.
        return Err(StoreError::State("the unit has no rules of its own"));
    }
    let numbers = serde_json::to_string(rules.unwrap_or(&before.rules))
        .map_err(|e| StoreError::Other(e.to_string()))?;
    let id: i64 = on_tx!(&mut tx, |c| {
        sqlx::query_scalar(
        "INSERT INTO rule_set (org_unit_id, version, inherit, numbers, note, created_at, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id"
    )
    .bind(unit.0)
    .bind(version)
    .bind(rules.is_none())
    .bind(&numbers)
    .bind(&note)
    .bind(now())
    .bind(who.account.map(|a| a.0))
    .fetch_one(&mut *c)
    .await
    })?;
    let mut ch = Changes::new();
    ch.field("version", None, Some(&version))
        .field("inherit", None, Some(&rules.is_none()));
    if let Some(r) = rules {
        let b = serde_json::to_value(before.rules).unwrap_or_default();
        let a = serde_json::to_value(r).unwrap_or_default();
        if let (Some(b), Some(a)) = (b.as_object(), a.as_object()) {
            for (k, av) in a {
                ch.field(k, b.get(k), Some(av));
            }
        }
    }
    if let Some(n) = &note {
        ch.note("note", n.clone());
    }
    log_commit(
        tx,
        &st.cipher,
        who,
        "rule_set.create",
        ("rule_set", id),
        unit,
        &ch,
    )
    .await?;
    Ok(RuleSetId(id))
}

/// One version by id (decisions show which rules made them).
pub async fn version(db: &Db, id: RuleSetId) -> Result<RuleVersion, StoreError> {
    let rows: Vec<Row> = crate::on_db!(db, |p| {
        sqlx::query_as(
        "SELECT r.org_unit_id AS target, CAST(0 AS BIGINT) AS depth, r.id, r.org_unit_id, u.name AS unit_name, r.version, r.inherit, r.numbers, r.note, r.created_at
         FROM rule_set r JOIN org_unit u ON u.id = r.org_unit_id WHERE r.id = $1"
    )
    .bind(id.0)
    .fetch_all(p)
    .await
    })?;
    rows.into_iter()
        .next()
        .ok_or(StoreError::NotFound)?
        .into_version()
}
