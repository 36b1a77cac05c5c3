//! The congress area's due items (待办), for the reminders and the dashboard's "needs
//! attention": a congress term ending within its lead time or ended without a successor
//! (the school chair), and a school that has not held a congress with a quorum in the
//! school year within its lead time of the year's end (the school chair). The lead times
//! are the reminders rule set's ([`lead`]).
//!
//! Three queries (the lead time, then the items) whatever the number of schools, each filtered by the reader's reach in
//! SQL (a proposal's reply due is the proposals area's: `store::proposals::due`). Never sends anything and never decides steps: the
//! scan (`store::notify::remind_due`) does.

use crate::area::Reach;
use crate::db::{Arg, Sql};
use crate::{Store, StoreError};
use chrono::{Datelike, NaiveDate};
use domain::area::{Concerns, DueItem};
use domain::auth::Role;
use domain::congress::school_year_range;
use domain::ids::OrgUnitId;
use domain::notify::{NotifyRules, ReminderKind};
use futures::future::BoxFuture;

/// The congress area's [`crate::area::DueFn`].
pub fn due_items<'a>(
    st: &'a Store,
    reach: &'a Reach,
    today: NaiveDate,
) -> BoxFuture<'a, Result<Vec<DueItem>, StoreError>> {
    Box::pin(async move {
        let mut out = terms_expiring(st, reach, today).await?;
        out.extend(not_held(st, reach, today).await?);
        Ok(out)
    })
}

/// How far ahead items of `kind` are listed: the longest lead time of the built-in
/// reminders rule set and of every stored version (each item is then reminded by the
/// version in force at its school, `store::notify::deliver_due`). One query.
pub(crate) async fn lead(st: &Store, kind: ReminderKind) -> Result<i64, StoreError> {
    let versions =
        crate::rule_sets::newest_per_unit::<NotifyRules>(&st.db, crate::notify::RULES_AREA).await?;
    Ok(versions
        .values()
        .map(|v| v.rules.lead(kind))
        .chain([domain::notify::default_rules().lead(kind)])
        .max()
        .unwrap_or(0))
}

/// The latest term of each school when it ends within the warning days or has ended
/// (without a later term). One query.
async fn terms_expiring(
    st: &Store,
    reach: &Reach,
    today: NaiveDate,
) -> Result<Vec<DueItem>, StoreError> {
    let mut sql = Sql::new(
        "SELECT t.id, t.school_union_id, s.name, t.end_date FROM congress_term t
         JOIN org_unit s ON s.id = t.school_union_id
         WHERE NOT EXISTS (SELECT 1 FROM congress_term n WHERE n.school_union_id = t.school_union_id AND n.number > t.number)
           AND t.end_date <= ",
    );
    let days = lead(st, ReminderKind::TermExpiring).await?;
    sql.bind(Arg::Date(today + chrono::Duration::days(days)));
    crate::scope::restrict(&mut sql, "t.school_union_id", reach.scope());
    sql.push(" ORDER BY t.end_date, t.id");
    let rows: Vec<(i64, i64, String, NaiveDate)> = sql.fetch_all(&st.db).await?;
    Ok(rows
        .into_iter()
        .map(|(id, school, name, end)| DueItem {
            area: "congress".into(),
            kind: ReminderKind::TermExpiring.due_key().into(),
            key: format!("congress:term-expiring:{id}"),
            unit: OrgUnitId(school),
            title: name,
            due: end,
            concerns: vec![Concerns::Role {
                role: Role::SchoolChair,
                unit: OrgUnitId(school),
            }],
            href: format!("/congress/terms/{id}"),
        })
        .collect())
}

/// Schools in reach without a meeting closed with a quorum in the current school year (and
/// without a recorded exemption), once the year's end is within the warning days. One query.
async fn not_held(st: &Store, reach: &Reach, today: NaiveDate) -> Result<Vec<DueItem>, StoreError> {
    let year = if today.month() >= 9 {
        today.year()
    } else {
        today.year() - 1
    };
    let (from, to) = school_year_range(year);
    if (to - today).num_days() > lead(st, ReminderKind::CongressNotHeld).await? {
        return Ok(Vec::new());
    }
    let mut sql = Sql::new(
        "SELECT u.id, u.name FROM org_unit u WHERE u.kind = 'school_union'
           AND NOT EXISTS (SELECT 1 FROM congress_meeting m WHERE m.school_union_id = u.id
                AND m.status = 'closed' AND m.final_quorum AND m.meeting_date >= ",
    );
    sql.bind(Arg::Date(from))
        .push(" AND m.meeting_date <= ")
        .bind(Arg::Date(to))
        .push(") AND NOT EXISTS (SELECT 1 FROM congress_exemption e WHERE e.school_union_id = u.id AND e.school_year = ")
        .bind(Arg::I64(i64::from(year)))
        .push(")");
    crate::scope::restrict(&mut sql, "u.id", reach.scope());
    sql.push(" ORDER BY u.id");
    let rows: Vec<(i64, String)> = sql.fetch_all(&st.db).await?;
    Ok(rows
        .into_iter()
        .map(|(school, name)| DueItem {
            area: "congress".into(),
            kind: ReminderKind::CongressNotHeld.due_key().into(),
            key: format!("congress:not-held:{school}:{year}"),
            unit: OrgUnitId(school),
            title: name,
            due: to,
            concerns: vec![Concerns::Role {
                role: Role::SchoolChair,
                unit: OrgUnitId(school),
            }],
            href: "/congress".into(),
        })
        .collect())
}
