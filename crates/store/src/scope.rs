//! Turns a capability's scope into SQL. A scope is a set of subtree roots; a row is in scope
//! when its org unit descends from one of them (the closure table answers that with one
//! indexed lookup).

use crate::db::{Arg, Sql};
use domain::auth::Scope;

/// Appends ` AND <column> IN (descendants of the scope roots)`; nothing for the whole
/// installation.
pub fn restrict(sql: &mut Sql, column: &str, scope: &Scope) {
    if let Some(roots) = scope.roots() {
        sql.push(" AND ")
            .push(column)
            .push(" IN (SELECT descendant_id FROM org_closure WHERE ancestor_id IN (");
        sql.bind_list(roots.iter().map(|r| Arg::I64(r.0)));
        sql.push("))");
    }
}
