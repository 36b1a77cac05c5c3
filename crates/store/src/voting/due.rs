//! The voting area's due items: a poll open in the hall, for each delegate present who has
//! not cast a ballot yet. The item says only "you have a ballot to cast": it never says
//! how anyone voted, and it concerns one delegate (`Concerns::Member`), so it is sent to
//! that delegate only — never to a group robot, never escalated — and a reader's reach
//! shows it only to that delegate: a chair's dashboard never lists who has not voted.
//!
//! One query. Reads only the participation rows (who voted, which turnout already shows),
//! never a ballot.

use crate::area::Reach;
use crate::db::{Arg, Sql};
use crate::{Store, StoreError};
use chrono::NaiveDate;
use domain::area::{Concerns, DueItem};
use domain::ids::{MemberId, OrgUnitId};
use domain::notify::ReminderKind;
use futures::future::BoxFuture;

/// The voting area's [`crate::area::DueFn`].
pub fn due_items<'a>(
    st: &'a Store,
    reach: &'a Reach,
    today: NaiveDate,
) -> BoxFuture<'a, Result<Vec<DueItem>, StoreError>> {
    Box::pin(async move {
        // Electronic polls only: a paper poll is cast in the hall, not on the platform.
        let mut sql = Sql::new(
            "SELECT p.id, p.title, p.school_union_id, d.id, d.member_id
             FROM poll p
             JOIN congress_meeting m ON m.id = p.meeting_id
             JOIN delegate d ON d.term_id = m.term_id AND d.kind = 'delegate' AND d.ended_on IS NULL
             JOIN check_in c ON c.meeting_id = m.id AND c.delegate_id = d.id AND c.left_at IS NULL
             WHERE p.status = 'open' AND p.mode <> 'paper'
               AND NOT EXISTS (SELECT 1 FROM poll_participation pp WHERE pp.poll_id = p.id AND pp.delegate_id = d.id)",
        );
        crate::scope::restrict(&mut sql, "p.school_union_id", reach.scope());
        if let Some(reader) = reach.reader() {
            // A person's own ballot is nobody else's business.
            sql.push(" AND d.member_id IN (SELECT a.member_id FROM account a WHERE a.id = ")
                .bind(Arg::I64(reader.0))
                .push(")");
        }
        sql.push(" ORDER BY p.id, d.id");
        let rows: Vec<(i64, String, i64, i64, i64)> = sql.fetch_all(&st.db).await?;
        Ok(rows
            .into_iter()
            .map(|(poll, title, school, delegate, member)| DueItem {
                area: "voting".into(),
                kind: ReminderKind::PollOpen.due_key().into(),
                key: format!("voting:poll-open:{poll}:{delegate}"),
                unit: OrgUnitId(school),
                title,
                due: today,
                concerns: vec![Concerns::Member(MemberId(member))],
                href: format!("/polls/{poll}"),
            })
            .collect())
    })
}
