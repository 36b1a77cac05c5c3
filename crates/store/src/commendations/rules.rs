//! The commendation rule set's versions per unit (`area_rule_set`, area `commendations`):
//! the notice days, the objections heard an hour from one address and the cap on
//! nominations per school. A unit's version may be stricter than the version in force
//! above it, never laxer (refused with the number above); a version is never edited; every
//! new one is audited by [`crate::rule_sets::add`].
//!
//! Must never: store a version laxer than the one above; store outside the manager's
//! scope (out of scope is missing); read a unit outside the reader's scope.

use super::RULES_AREA;
use crate::audit::Who;
use crate::rule_sets::{self, Change, Version};
use crate::{Db, Store, StoreError, on_db};
use domain::auth::{Cap, perm};
use domain::commendations::CommendationRules;
use domain::ids::OrgUnitId;

/// The versions bearing on `unit`, nearest and newest first (the first is in force).
pub async fn history<P: perm::Perm>(
    db: &Db,
    cap: &Cap<P>,
    unit: OrgUnitId,
) -> Result<Vec<Version<CommendationRules>>, StoreError> {
    rule_sets::history(db, cap, RULES_AREA, unit).await
}

/// Stores a new version at `unit` after checking it against the version in force at the
/// unit above (the built-in numbers when none). The check reads outside the write: two
/// versions stored at once above and below is a case an administrator resolves by storing
/// again, never a laxer number slipping through a single save.
pub async fn add_version(
    st: &Store,
    cap: &Cap<perm::RuleSetManage>,
    who: &Who,
    unit: OrgUnitId,
    rules: &CommendationRules,
    note: Option<String>,
) -> Result<i64, StoreError> {
    let history = history(&st.db, cap, unit).await?;
    let parent: Option<i64> = on_db!(&st.db, |p| sqlx::query_scalar(
        "SELECT ancestor_id FROM org_closure WHERE descendant_id = $1 AND depth = 1"
    )
    .bind(unit.0)
    .fetch_optional(p)
    .await)?;
    // The version in force above: the first of the history not stored at the unit itself
    // (the built-in numbers when none). The root union answers to no unit here.
    if parent.is_some() {
        let above = history
            .iter()
            .find(|v| v.unit != unit)
            .map_or(CommendationRules::LOCAL, |v| v.rules);
        rules.not_laxer_than(&above).map_err(StoreError::Invalid)?;
    }
    let before = history
        .first()
        .map_or(CommendationRules::LOCAL, |v| v.rules);
    rule_sets::add(
        st,
        cap,
        who,
        RULES_AREA,
        unit,
        Change {
            rules,
            before: &before,
            note,
        },
    )
    .await
}
