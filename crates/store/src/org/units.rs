//! Org units (union → area → school union → branch) and the closure table that answers
//! "everything under X".

use super::{coded, opt_coded};
use crate::audit::{self, Event, Who};
use crate::db::{Arg, Sql, Tx, now};
use crate::{Db, Store, StoreError, on_db, on_tx};
use domain::audit::Changes;
use domain::auth::{Cap, Scope, perm};
use domain::ids::OrgUnitId;
use domain::org::{BranchRole, Coded, OrgKind, SchoolKind, SchoolLevel, UnionKind};

#[derive(Clone, Debug, PartialEq)]
pub struct OrgUnit {
    pub id: OrgUnitId,
    pub parent_id: Option<OrgUnitId>,
    pub kind: OrgKind,
    pub code: String,
    pub name: String,
    pub union_kind: Option<UnionKind>,
    pub school_kind: Option<SchoolKind>,
    pub school_level: Option<SchoolLevel>,
    pub staff_count: i64,
    pub sort_order: i64,
    /// A branch's role (department, teaching group, union branch); `None` above branches.
    pub branch_role: Option<BranchRole>,
    /// False for a branch an import created, until a person confirms its role.
    pub role_confirmed: bool,
}

#[derive(sqlx::FromRow)]
pub(crate) struct UnitRow {
    id: i64,
    parent_id: Option<i64>,
    kind: String,
    code: String,
    name: String,
    union_kind: Option<String>,
    school_kind: Option<String>,
    school_level: Option<String>,
    staff_count: i64,
    sort_order: i64,
    branch_role: Option<String>,
    role_confirmed: bool,
}

pub(crate) const UNIT_COLUMNS: &str = "u.id, u.parent_id, u.kind, u.code, u.name, u.union_kind, u.school_kind, u.school_level, u.staff_count, u.sort_order, u.branch_role, u.role_confirmed";

impl UnitRow {
    pub(crate) fn into_unit(self) -> Result<OrgUnit, StoreError> {
        Ok(OrgUnit {
            id: OrgUnitId(self.id),
            parent_id: self.parent_id.map(OrgUnitId),
            kind: coded(&self.kind)?,
            code: self.code,
            name: self.name,
            union_kind: opt_coded(self.union_kind.as_deref())?,
            school_kind: opt_coded(self.school_kind.as_deref())?,
            school_level: opt_coded(self.school_level.as_deref())?,
            staff_count: self.staff_count,
            sort_order: self.sort_order,
            branch_role: opt_coded(self.branch_role.as_deref())?,
            role_confirmed: self.role_confirmed,
        })
    }
}

fn units(rows: Vec<UnitRow>) -> Result<Vec<OrgUnit>, StoreError> {
    rows.into_iter().map(UnitRow::into_unit).collect()
}

/// A unit to create.
#[derive(Clone, Debug)]
pub struct NewUnit {
    pub kind: OrgKind,
    pub code: String,
    pub name: String,
    pub union_kind: Option<UnionKind>,
    pub school_kind: Option<SchoolKind>,
    pub school_level: Option<SchoolLevel>,
    pub staff_count: i64,
    pub sort_order: i64,
}

impl NewUnit {
    pub fn branch(code: String, name: String) -> NewUnit {
        NewUnit {
            kind: OrgKind::Branch,
            code,
            name,
            union_kind: None,
            school_kind: None,
            school_level: None,
            staff_count: 0,
            sort_order: 0,
        }
    }
}

/// Inserts a unit and its closure rows. The caller has checked the parent.
pub(crate) async fn insert_unit(
    tx: &mut Tx,
    parent: Option<OrgUnitId>,
    u: &NewUnit,
) -> Result<OrgUnitId, StoreError> {
    let t = now();
    let id: i64 = on_tx!(tx, |c| sqlx::query_scalar(
        "INSERT INTO org_unit (parent_id, kind, code, name, union_kind, school_kind, school_level, staff_count, sort_order, created_at, updated_at, branch_role)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, $11) RETURNING id"
    )
    .bind(parent.map(|p| p.0))
    .bind(u.kind.code())
    .bind(&u.code)
    .bind(&u.name)
    .bind(u.union_kind.map(|k| k.code()))
    .bind(u.school_kind.map(|k| k.code()))
    .bind(u.school_level.map(|k| k.code()))
    .bind(u.staff_count)
    .bind(u.sort_order)
    .bind(t)
    .bind((u.kind == OrgKind::Branch).then(|| BranchRole::guess(&u.name).code()))
    .fetch_one(&mut *c)
    .await)
    .map_err(crate::db::unique_as("code", domain::text::CODE_INVALID))?;
    on_tx!(tx, |c| sqlx::query(
        "INSERT INTO org_closure (ancestor_id, descendant_id, depth)
         SELECT ancestor_id, $1, depth + 1 FROM org_closure WHERE descendant_id = $2
         UNION ALL SELECT $1, $1, 0"
    )
    .bind(id)
    .bind(parent.map(|p| p.0).unwrap_or(-1))
    .execute(&mut *c)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(OrgUnitId(id))
}

/// Is `unit` inside `scope`?
pub(crate) async fn tx_in_scope(
    tx: &mut Tx,
    scope: &Scope,
    unit: OrgUnitId,
) -> Result<bool, StoreError> {
    let mut sql = Sql::new("SELECT COUNT(*) FROM org_unit u WHERE u.id = ");
    sql.bind(Arg::I64(unit.0));
    crate::scope::restrict(&mut sql, "u.id", scope);
    let rows: Vec<(i64,)> = sql.fetch_all_tx(tx).await?;
    Ok(rows.first().is_some_and(|r| r.0 > 0))
}

pub(crate) async fn tx_unit(tx: &mut Tx, id: OrgUnitId) -> Result<OrgUnit, StoreError> {
    let row: Option<UnitRow> = on_tx!(tx, |c| {
        sqlx::query_as(
        "SELECT id, parent_id, kind, code, name, union_kind, school_kind, school_level, staff_count, sort_order, branch_role, role_confirmed FROM org_unit WHERE id = $1"
    )
    .bind(id.0)
    .fetch_optional(&mut *c)
    .await
    })?;
    row.ok_or(StoreError::NotFound)?.into_unit()
}

/// Creates a unit under `parent` (or a root union when the scope is the whole installation).
pub async fn create_unit(
    st: &Store,
    cap: &Cap<perm::OrgManage>,
    who: &Who,
    parent: Option<OrgUnitId>,
    new: &NewUnit,
) -> Result<OrgUnitId, StoreError> {
    let mut tx = st.db.begin().await?;
    match parent {
        None => {
            if new.kind != OrgKind::Union || *cap.scope() != Scope::All {
                return Err(StoreError::NotFound);
            }
        }
        Some(p) => {
            if !tx_in_scope(&mut tx, cap.scope(), p).await? {
                return Err(StoreError::NotFound);
            }
            let parent_unit = tx_unit(&mut tx, p).await?;
            if parent_unit.kind.child_kind() != Some(new.kind) {
                return Err(StoreError::field("kind", domain::text::ORG_PARENT_KIND));
            }
        }
    }
    let id = insert_unit(&mut tx, parent, new).await?;
    let mut ch = Changes::new();
    ch.field("code", None, Some(&new.code))
        .field("name", None, Some(&new.name))
        .field("kind", None, Some(&new.kind.code()));
    audit::append(
        &mut tx,
        &st.cipher,
        who,
        Event {
            action: "org_unit.create",
            entity_type: "org_unit",
            entity_id: Some(id.0),
            org_unit: Some(id),
            changes: &ch,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Edits name, code and attributes of a unit in scope.
pub async fn update_unit(
    st: &Store,
    cap: &Cap<perm::OrgManage>,
    who: &Who,
    id: OrgUnitId,
    upd: &NewUnit,
) -> Result<(), StoreError> {
    let mut tx = st.db.begin().await?;
    if !tx_in_scope(&mut tx, cap.scope(), id).await? {
        return Err(StoreError::NotFound);
    }
    let before = tx_unit(&mut tx, id).await?;
    on_tx!(&mut tx, |c| sqlx::query(
        "UPDATE org_unit SET code = $1, name = $2, union_kind = $3, school_kind = $4, school_level = $5, staff_count = $6, sort_order = $7, updated_at = $8 WHERE id = $9"
    )
    .bind(&upd.code)
    .bind(&upd.name)
    .bind(upd.union_kind.map(|k| k.code()))
    .bind(upd.school_kind.map(|k| k.code()))
    .bind(upd.school_level.map(|k| k.code()))
    .bind(upd.staff_count)
    .bind(upd.sort_order)
    .bind(now())
    .bind(id.0)
    .execute(&mut *c)
    .await.map(|r| r.rows_affected()))
    .map_err(crate::db::unique_as("code", domain::text::CODE_INVALID))?;
    let mut ch = Changes::new();
    ch.field("code", Some(&before.code), Some(&upd.code))
        .field("name", Some(&before.name), Some(&upd.name))
        .field(
            "staff_count",
            Some(&before.staff_count),
            Some(&upd.staff_count),
        )
        .field(
            "school_kind",
            before.school_kind.map(|k| k.code()).as_ref(),
            upd.school_kind.map(|k| k.code()).as_ref(),
        )
        .field(
            "school_level",
            before.school_level.map(|k| k.code()).as_ref(),
            upd.school_level.map(|k| k.code()).as_ref(),
        );
    audit::append(
        &mut tx,
        &st.cipher,
        who,
        Event {
            action: "org_unit.update",
            entity_type: "org_unit",
            entity_id: Some(id.0),
            org_unit: Some(id),
            changes: &ch,
        },
    )
    .await?;
    tx.commit().await
}

/// Moves a unit (typically a school union to another area) with its whole subtree.
pub async fn move_unit(
    st: &Store,
    cap: &Cap<perm::OrgManage>,
    who: &Who,
    unit: OrgUnitId,
    new_parent: OrgUnitId,
) -> Result<(), StoreError> {
    let mut tx = st.db.begin().await?;
    if !tx_in_scope(&mut tx, cap.scope(), unit).await?
        || !tx_in_scope(&mut tx, cap.scope(), new_parent).await?
    {
        return Err(StoreError::NotFound);
    }
    let u = tx_unit(&mut tx, unit).await?;
    let p = tx_unit(&mut tx, new_parent).await?;
    if p.kind.child_kind() != Some(u.kind) {
        return Err(StoreError::field("parent", domain::text::ORG_PARENT_KIND));
    }
    if u.parent_id == Some(new_parent) {
        return Ok(());
    }
    // Detach the subtree from its old ancestors, then attach it under the new parent.
    on_tx!(&mut tx, |c| sqlx::query(
        "DELETE FROM org_closure
         WHERE descendant_id IN (SELECT descendant_id FROM org_closure WHERE ancestor_id = $1)
           AND ancestor_id NOT IN (SELECT descendant_id FROM org_closure WHERE ancestor_id = $1)"
    )
    .bind(unit.0)
    .execute(&mut *c)
    .await
    .map(|r| r.rows_affected()))?;
    on_tx!(&mut tx, |c| sqlx::query(
        "INSERT INTO org_closure (ancestor_id, descendant_id, depth)
         SELECT sup.ancestor_id, sub.descendant_id, sup.depth + sub.depth + 1
         FROM org_closure sup CROSS JOIN org_closure sub
         WHERE sup.descendant_id = $1 AND sub.ancestor_id = $2"
    )
    .bind(new_parent.0)
    .bind(unit.0)
    .execute(&mut *c)
    .await
    .map(|r| r.rows_affected()))?;
    on_tx!(&mut tx, |c| sqlx::query(
        "UPDATE org_unit SET parent_id = $1, updated_at = $2 WHERE id = $3"
    )
    .bind(new_parent.0)
    .bind(now())
    .bind(unit.0)
    .execute(&mut *c)
    .await
    .map(|r| r.rows_affected()))?;
    let mut ch = Changes::new();
    ch.field(
        "parent_id",
        u.parent_id.map(|x| x.0).as_ref(),
        Some(&new_parent.0),
    );
    audit::append(
        &mut tx,
        &st.cipher,
        who,
        Event {
            action: "org_unit.move",
            entity_type: "org_unit",
            entity_id: Some(unit.0),
            org_unit: Some(unit),
            changes: &ch,
        },
    )
    .await?;
    tx.commit().await
}

/// Every unit in the capability's scope, parents before children, siblings by sort order
/// and name.
pub async fn list_units<P: perm::Perm>(db: &Db, cap: &Cap<P>) -> Result<Vec<OrgUnit>, StoreError> {
    let mut sql = Sql::new(&format!(
        "SELECT {UNIT_COLUMNS} FROM org_unit u WHERE 1 = 1"
    ));
    crate::scope::restrict(&mut sql, "u.id", cap.scope());
    // A school's departments first, then its teaching groups, then its union branches.
    sql.push(" ORDER BY CASE u.branch_role WHEN 'department' THEN 0 WHEN 'teaching_group' THEN 1 WHEN 'union_branch' THEN 2 ELSE 3 END, u.sort_order, u.name, u.id");
    let all = units(sql.fetch_all(db).await?)?;
    Ok(tree_order(all))
}

/// Orders units depth-first from the roots present in the list.
fn tree_order(all: Vec<OrgUnit>) -> Vec<OrgUnit> {
    use std::collections::{HashMap, HashSet};
    let ids: HashSet<OrgUnitId> = all.iter().map(|u| u.id).collect();
    let mut children: HashMap<Option<OrgUnitId>, Vec<OrgUnit>> = HashMap::new();
    for u in all {
        let key = u.parent_id.filter(|p| ids.contains(p));
        children.entry(key).or_default().push(u);
    }
    let mut out = Vec::new();
    let mut stack: Vec<OrgUnit> = children.remove(&None).unwrap_or_default();
    stack.reverse();
    while let Some(u) = stack.pop() {
        if let Some(mut kids) = children.remove(&Some(u.id)) {
            kids.reverse();
            stack.extend(kids);
        }
        out.push(u);
    }
    out
}

/// School unions in scope, ordered by area and name.
pub async fn schools<P: perm::Perm>(db: &Db, cap: &Cap<P>) -> Result<Vec<OrgUnit>, StoreError> {
    let mut sql = Sql::new(&format!(
        "SELECT {UNIT_COLUMNS} FROM org_unit u LEFT JOIN org_unit a ON a.id = u.parent_id WHERE u.kind = 'school_union'"
    ));
    crate::scope::restrict(&mut sql, "u.id", cap.scope());
    sql.push(" ORDER BY a.sort_order, a.name, u.sort_order, u.name, u.id");
    units(sql.fetch_all(db).await?)
}

/// Most schools a filter lists one by one; above it the filter lists areas.
pub const FILTER_SCHOOLS_MAX: usize = 300;

/// The units a list's "school" filter offers: the schools in scope, or, for a scope of more
/// than [`FILTER_SCHOOLS_MAX`] schools (a province), its areas and the unit chosen, so that
/// a page does not carry thousands of options. Two queries at most.
pub async fn filter_units<P: perm::Perm>(
    db: &Db,
    cap: &Cap<P>,
    chosen: Option<OrgUnitId>,
) -> Result<Vec<OrgUnit>, StoreError> {
    // Units of a large scope are probed one by one against the closure (see
    // `scope::restrict_exists`): listing the scope's closure first costs more.
    if crate::scope::is_large(db, cap.scope()).await? {
        let mut sql = Sql::new(
            "SELECT COUNT(*) FROM (SELECT 1 FROM org_unit u WHERE u.kind = 'school_union'",
        );
        crate::scope::restrict_exists(&mut sql, "u.id", cap.scope());
        sql.push(" LIMIT ")
            .bind(Arg::I64(FILTER_SCHOOLS_MAX as i64 + 1))
            .push(") t");
        if sql.fetch_scalar_i64(db).await? > FILTER_SCHOOLS_MAX as i64 {
            let mut sql = Sql::new(&format!(
                "SELECT {UNIT_COLUMNS} FROM org_unit u WHERE (u.kind = 'area'"
            ));
            if let Some(c) = chosen {
                sql.push(" OR u.id = ").bind(Arg::I64(c.0));
            }
            sql.push(")");
            crate::scope::restrict_exists(&mut sql, "u.id", cap.scope());
            sql.push(" ORDER BY u.sort_order, u.name, u.id");
            return units(sql.fetch_all(db).await?);
        }
    }
    schools(db, cap).await
}

/// One unit, if in scope.
pub async fn get_unit<P: perm::Perm>(
    db: &Db,
    cap: &Cap<P>,
    id: OrgUnitId,
) -> Result<OrgUnit, StoreError> {
    let mut sql = Sql::new(&format!(
        "SELECT {UNIT_COLUMNS} FROM org_unit u WHERE u.id = "
    ));
    sql.bind(Arg::I64(id.0));
    crate::scope::restrict(&mut sql, "u.id", cap.scope());
    units(sql.fetch_all(db).await?)?
        .into_iter()
        .next()
        .ok_or(StoreError::NotFound)
}

/// A unit by its code, if in scope.
pub async fn unit_by_code<P: perm::Perm>(
    db: &Db,
    cap: &Cap<P>,
    code: &str,
) -> Result<OrgUnit, StoreError> {
    let mut sql = Sql::new(&format!(
        "SELECT {UNIT_COLUMNS} FROM org_unit u WHERE u.code = "
    ));
    sql.bind(Arg::Text(code.to_string()));
    crate::scope::restrict(&mut sql, "u.id", cap.scope());
    units(sql.fetch_all(db).await?)?
        .into_iter()
        .next()
        .ok_or(StoreError::NotFound)
}

/// Whether `unit` lies in `scope` (one indexed lookup; none for the whole installation).
pub(crate) async fn in_scope(db: &Db, scope: &Scope, unit: OrgUnitId) -> Result<bool, StoreError> {
    if scope.roots().is_none() {
        return Ok(true);
    }
    let mut sql = Sql::new("SELECT COUNT(*) FROM org_unit u WHERE u.id = ");
    sql.bind(Arg::I64(unit.0));
    crate::scope::restrict(&mut sql, "u.id", scope);
    Ok(sql.fetch_scalar_i64(db).await? > 0)
}

/// The chain of units from the root down to `id` (for breadcrumbs), for a reader who has
/// `id` in scope; the units above it are named (unit names are not personal data), never
/// listed beyond the chain.
/// Sets (and thereby confirms) what a branch of a school in scope is: a department that
/// answers proposals, a teaching group or a union branch. Audited.
pub async fn set_branch_role(
    st: &Store,
    cap: &Cap<perm::OrgManage>,
    who: &Who,
    id: OrgUnitId,
    role: BranchRole,
) -> Result<(), StoreError> {
    let mut tx = st.db.begin().await?;
    if !tx_in_scope(&mut tx, cap.scope(), id).await? {
        return Err(StoreError::NotFound);
    }
    let before = tx_unit(&mut tx, id).await?;
    if before.kind != OrgKind::Branch {
        return Err(StoreError::field("role", domain::text::ORG_PARENT_KIND));
    }
    on_tx!(&mut tx, |c| sqlx::query(
        "UPDATE org_unit SET branch_role = $1, role_confirmed = TRUE, updated_at = $2 WHERE id = $3"
    )
    .bind(role.code())
    .bind(now())
    .bind(id.0)
    .execute(&mut *c)
    .await
    .map(|r| r.rows_affected()))?;
    let mut ch = Changes::new();
    ch.field(
        "branch_role",
        before.branch_role.map(|r| r.code()).as_ref(),
        Some(&role.code()),
    )
    .field("role_confirmed", Some(&before.role_confirmed), Some(&true));
    audit::append(
        &mut tx,
        &st.cipher,
        who,
        Event {
            action: "org_unit.role",
            entity_type: "org_unit",
            entity_id: Some(id.0),
            org_unit: Some(id),
            changes: &ch,
        },
    )
    .await?;
    tx.commit().await
}

pub async fn path<P: perm::Perm>(
    db: &Db,
    cap: &Cap<P>,
    id: OrgUnitId,
) -> Result<Vec<OrgUnit>, StoreError> {
    if !in_scope(db, cap.scope(), id).await? {
        return Err(StoreError::NotFound);
    }
    let rows: Vec<UnitRow> = on_db!(db, |p| {
        sqlx::query_as(
        "SELECT u.id, u.parent_id, u.kind, u.code, u.name, u.union_kind, u.school_kind, u.school_level, u.staff_count, u.sort_order, u.branch_role, u.role_confirmed
         FROM org_closure c JOIN org_unit u ON u.id = c.ancestor_id
         WHERE c.descendant_id = $1 ORDER BY c.depth DESC"
    )
    .bind(id.0)
    .fetch_all(p)
    .await
    })?;
    units(rows)
}

/// Direct children of a unit (e.g. the branches of a school).
pub async fn children<P: perm::Perm>(
    db: &Db,
    cap: &Cap<P>,
    id: OrgUnitId,
) -> Result<Vec<OrgUnit>, StoreError> {
    let mut sql = Sql::new(&format!(
        "SELECT {UNIT_COLUMNS} FROM org_unit u WHERE u.parent_id = "
    ));
    sql.bind(Arg::I64(id.0));
    crate::scope::restrict(&mut sql, "u.id", cap.scope());
    sql.push(" ORDER BY u.sort_order, u.name, u.id");
    units(sql.fetch_all(db).await?)
}

/// The root units (for the first-run check and the demo loader).
pub async fn roots(db: &Db) -> Result<Vec<OrgUnit>, StoreError> {
    let rows: Vec<UnitRow> = on_db!(db, |p| {
        sqlx::query_as(
        "SELECT u.id, u.parent_id, u.kind, u.code, u.name, u.union_kind, u.school_kind, u.school_level, u.staff_count, u.sort_order, u.branch_role, u.role_confirmed
         FROM org_unit u WHERE u.parent_id IS NULL ORDER BY u.id"
    )
    .fetch_all(p)
    .await
    })?;
    units(rows)
}

/// Member counts per unit of a list of units (current members: active and retired).
pub async fn member_counts<P: perm::Perm>(
    db: &Db,
    cap: &Cap<P>,
    units: &[OrgUnitId],
) -> Result<Vec<(OrgUnitId, i64)>, StoreError> {
    if units.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = Sql::new(
        "SELECT c.ancestor_id, COUNT(m.id) FROM org_closure c JOIN member m ON m.school_union_id = c.descendant_id
         WHERE m.status IN ('active', 'retired') AND c.ancestor_id IN (",
    );
    sql.bind_list(units.iter().map(|u| Arg::I64(u.0)));
    sql.push(")");
    crate::scope::restrict(&mut sql, "m.school_union_id", cap.scope());
    sql.push(" GROUP BY c.ancestor_id ORDER BY c.ancestor_id");
    let rows: Vec<(i64, i64)> = sql.fetch_all(db).await?;
    Ok(rows.into_iter().map(|(u, n)| (OrgUnitId(u), n)).collect())
}
