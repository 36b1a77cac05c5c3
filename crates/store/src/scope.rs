//! Turns a capability's scope into SQL. A scope is a set of subtree roots; a row is in scope
//! when its org unit descends from one of them (the closure table answers that with one
//! indexed lookup).

use crate::db::{Arg, Sql};
use domain::auth::Scope;

/// Appends ` AND <column> IN (descendants of the scope roots)`; nothing for the whole
/// installation.
pub fn restrict(sql: &mut Sql, column: &'static str, scope: &Scope) {
    if scope.roots().is_some() {
        sql.push(" AND ");
        push_in_scope(sql, column, scope);
    }
}

/// Pushes `column IN (descendants of the scope roots)`, or a true condition for the whole
/// installation: for conditions joined with OR, where [`restrict`] (which appends with AND)
/// does not fit. The one place that writes the scope's closure lookup.
pub fn push_in_scope(sql: &mut Sql, column: &'static str, scope: &Scope) {
    match scope.roots() {
        None => {
            sql.push("1 = 1");
        }
        Some(roots) => {
            sql.push(column)
                .push(" IN (SELECT descendant_id FROM org_closure WHERE ancestor_id IN (");
            sql.bind_list(roots.iter().map(|r| Arg::I64(r.0)));
            sql.push("))");
        }
    }
}

/// Like [`restrict`], written as a correlated `EXISTS` probe of the closure's primary key.
/// For a scope of many schools this lets the planner walk the index of the sort order and
/// stop after a page, instead of collecting every member of thousands of schools first.
pub fn restrict_exists(sql: &mut Sql, column: &'static str, scope: &Scope) {
    if let Some(roots) = scope.roots() {
        sql.push(" AND EXISTS (SELECT 1 FROM org_closure sc WHERE sc.descendant_id = ")
            .push(column)
            .push(" AND sc.ancestor_id IN (");
        sql.bind_list(roots.iter().map(|r| Arg::I64(r.0)));
        sql.push("))");
    }
}

/// Above this many units under its roots, a scope is restricted with [`restrict_exists`].
pub const LARGE_SCOPE: i64 = 300;

/// Whether the scope covers many units (one indexed count).
pub async fn is_large(db: &crate::Db, scope: &Scope) -> Result<bool, crate::StoreError> {
    match scope.roots() {
        None => Ok(true),
        Some(roots) => {
            let mut sql =
                Sql::new("SELECT COUNT(*) FROM (SELECT 1 FROM org_closure WHERE ancestor_id IN (");
            sql.bind_list(roots.iter().map(|r| Arg::I64(r.0)));
            sql.push(") LIMIT ")
                .bind(Arg::I64(LARGE_SCOPE + 1))
                .push(") t");
            Ok(sql.fetch_scalar_i64(db).await? > LARGE_SCOPE)
        }
    }
}
