//! The proposals area's due items (待办): a proposal reply due within its lead time or
//! overdue, for the handling department. Two queries (the lead time, then the items)
//! whatever the number of schools, filtered
//! by the reader's reach in SQL. Never sends anything and never decides steps: the scan
//! (`store::notify::remind_due`) does.

use crate::area::Reach;
use crate::congress::due::lead;
use crate::db::{Arg, Sql};
use crate::{Store, StoreError};
use chrono::NaiveDate;
use domain::area::{Concerns, DueItem};
use domain::auth::Role;
use domain::ids::OrgUnitId;
use domain::notify::ReminderKind;
use futures::future::BoxFuture;

/// The proposals area's [`crate::area::DueFn`].
pub fn due_items<'a>(
    st: &'a Store,
    reach: &'a Reach,
    today: NaiveDate,
) -> BoxFuture<'a, Result<Vec<DueItem>, StoreError>> {
    Box::pin(proposal_replies(st, reach, today))
}

/// Proposals being handled whose reply is due within the lead time, or overdue. One query.
pub async fn proposal_replies(
    st: &Store,
    reach: &Reach,
    today: NaiveDate,
) -> Result<Vec<DueItem>, StoreError> {
    let kind = ReminderKind::ProposalReply;
    let mut sql = Sql::new(
        "SELECT p.id, p.round, p.title, p.school_union_id, p.handler_unit_id, p.reply_due
         FROM proposal p WHERE p.status = 'handling' AND p.handler_unit_id IS NOT NULL AND p.reply_due <= ",
    );
    sql.bind(Arg::Date(
        today + chrono::Duration::days(lead(st, kind).await?),
    ));
    crate::scope::restrict(&mut sql, "p.school_union_id", reach.scope());
    sql.push(" ORDER BY p.reply_due, p.id");
    let rows: Vec<(i64, i64, String, i64, i64, NaiveDate)> = sql.fetch_all(&st.db).await?;
    Ok(rows
        .into_iter()
        .map(|(id, round, title, school, handler, due)| DueItem {
            area: "proposals".into(),
            kind: kind.due_key().into(),
            // A reply sent back for another round is a new deadline. The key keeps the
            // prefix it had when proposals were part of the congress area, so that a step
            // already sent is not sent again.
            key: format!("congress:proposal-reply:{id}:{round}"),
            unit: OrgUnitId(school),
            title,
            due,
            concerns: vec![Concerns::Role {
                role: Role::HandlingDepartment,
                unit: OrgUnitId(handler),
            }],
            href: format!("/proposals/{id}"),
        })
        .collect())
}
