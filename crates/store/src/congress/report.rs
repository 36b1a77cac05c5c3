//! The proposal handling report (提案办理情况报告) that the next meeting deliberates
//! (Order No. 32, art. 7 (5)): everything counted from the data of the proposals collected
//! for one meeting — by status, by department, satisfaction — and each proposal's outcome.
//! Three queries whatever the number of proposals.

use super::meetings::{Meeting, Viewer, get_meeting};
use super::{coded, opt_coded};
use crate::{Db, StoreError};
use chrono::NaiveDate;
use domain::auth::{Cap, perm};
use domain::congress::MeetingId;
use domain::org::Coded;
use domain::proposals::{
    ImplementationStatus, ProposalCategory, ProposalId, ProposalStatus, Rating, ReviewDecision,
};
use std::collections::BTreeMap;

#[derive(Clone, Debug, PartialEq)]
pub struct ReportItem {
    pub id: ProposalId,
    pub number: Option<i64>,
    pub title: String,
    pub proposer: String,
    pub category: ProposalCategory,
    pub status: ProposalStatus,
    pub decision: Option<ReviewDecision>,
    pub decision_reason: Option<String>,
    pub handler: Option<String>,
    pub co_handlers: Vec<String>,
    /// Handling rounds that got a reply.
    pub replies: i64,
    pub round: i64,
    pub last_rating: Option<Rating>,
    pub implementation: Option<ImplementationStatus>,
    pub percent: Option<i64>,
    pub reply_due: Option<NaiveDate>,
    pub overdue: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DepartmentLine {
    pub name: String,
    pub assigned: i64,
    pub answered: i64,
    pub overdue: i64,
    pub satisfied: i64,
    pub partly: i64,
    pub dissatisfied: i64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct HandlingReport {
    pub meeting: Meeting,
    pub received: i64,
    pub pending: i64,
    pub accepted: i64,
    pub merged: i64,
    pub to_suggestion: i64,
    pub rejected: i64,
    pub answered: i64,
    pub implementing: i64,
    pub closed: i64,
    pub overdue: i64,
    pub satisfied: i64,
    pub partly: i64,
    pub dissatisfied: i64,
    /// Proposals rated at all.
    pub rated: i64,
    pub by_status: Vec<(ProposalStatus, i64)>,
    pub by_category: Vec<(ProposalCategory, i64)>,
    pub by_department: Vec<DepartmentLine>,
    pub items: Vec<ReportItem>,
}

impl HandlingReport {
    /// Satisfied or partly satisfied among rated, in whole percent.
    pub fn satisfaction_percent(&self) -> Option<u32> {
        (self.rated > 0).then(|| ((self.satisfied + self.partly) * 100 / self.rated) as u32)
    }
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    number: Option<i64>,
    title: String,
    proposer: String,
    category: String,
    status: String,
    decision: Option<String>,
    decision_reason: Option<String>,
    handler: Option<String>,
    round: i64,
    last_rating: Option<String>,
    implementation: Option<String>,
    implementation_percent: Option<i64>,
    reply_due: Option<NaiveDate>,
    replies: i64,
}

/// The report of the proposals collected for `meeting`, as of `today`.
pub async fn handling_report(
    db: &Db,
    cap: &Cap<perm::CongressView>,
    meeting: MeetingId,
    today: NaiveDate,
) -> Result<HandlingReport, StoreError> {
    let m = get_meeting(db, Viewer::view(cap), meeting).await?;
    let rows: Vec<Row> = crate::on_db!(db, |p| {
        sqlx::query_as(
        "SELECT p.id, p.number, p.title, pm.name AS proposer, p.category, p.status, p.decision, p.decision_reason, h.name AS handler, p.round, p.last_rating, p.implementation, p.implementation_percent, p.reply_due,
            (SELECT COUNT(*) FROM proposal_reply r WHERE r.proposal_id = p.id) AS replies
         FROM proposal p JOIN delegate pd ON pd.id = p.proposer_id JOIN member pm ON pm.id = pd.member_id LEFT JOIN org_unit h ON h.id = p.handler_unit_id
         WHERE p.meeting_id = $1 AND p.status <> 'draft' ORDER BY p.number, p.id"
    )
    .bind(meeting.0)
    .fetch_all(p)
    .await
    })?;
    let co: Vec<(i64, String)> = crate::on_db!(db, |p| {
        sqlx::query_as(
        "SELECT h.proposal_id, u.name FROM proposal_co_handler h JOIN org_unit u ON u.id = h.unit_id JOIN proposal p ON p.id = h.proposal_id
         WHERE p.meeting_id = $1 ORDER BY h.proposal_id, u.sort_order, u.id"
    )
    .bind(meeting.0)
    .fetch_all(p)
    .await
    })?;
    let mut co_by: BTreeMap<i64, Vec<String>> = BTreeMap::new();
    for (p, n) in co {
        co_by.entry(p).or_default().push(n);
    }
    let mut items = Vec::with_capacity(rows.len());
    for r in rows {
        let status: ProposalStatus = coded(&r.status)?;
        items.push(ReportItem {
            id: ProposalId(r.id),
            number: r.number,
            title: r.title,
            proposer: r.proposer,
            category: coded(&r.category)?,
            status,
            decision: opt_coded(r.decision.as_deref())?,
            decision_reason: r.decision_reason,
            handler: r.handler,
            co_handlers: co_by.remove(&r.id).unwrap_or_default(),
            replies: r.replies,
            round: r.round,
            last_rating: opt_coded(r.last_rating.as_deref())?,
            implementation: opt_coded(r.implementation.as_deref())?,
            percent: r.implementation_percent,
            reply_due: r.reply_due,
            overdue: status == ProposalStatus::Handling && r.reply_due.is_some_and(|d| d < today),
        });
    }
    Ok(summarise(m, items))
}

fn summarise(meeting: Meeting, items: Vec<ReportItem>) -> HandlingReport {
    let count = |f: &dyn Fn(&ReportItem) -> bool| items.iter().filter(|i| f(i)).count() as i64;
    let mut by_status: Vec<(ProposalStatus, i64)> = ProposalStatus::all()
        .iter()
        .map(|s| (*s, count(&|i| i.status == *s)))
        .filter(|(_, n)| *n > 0)
        .collect();
    by_status.sort_by_key(|(s, _)| ProposalStatus::all().iter().position(|x| x == s));
    let by_category = ProposalCategory::all()
        .iter()
        .map(|c| (*c, count(&|i| i.category == *c)))
        .filter(|(_, n)| *n > 0)
        .collect();
    let mut depts: BTreeMap<String, DepartmentLine> = BTreeMap::new();
    for i in &items {
        if let Some(h) = &i.handler {
            let d = depts.entry(h.clone()).or_insert_with(|| DepartmentLine {
                name: h.clone(),
                ..Default::default()
            });
            d.assigned += 1;
            if i.replies > 0 {
                d.answered += 1;
            }
            if i.overdue {
                d.overdue += 1;
            }
            match i.last_rating {
                Some(Rating::Satisfied) => d.satisfied += 1,
                Some(Rating::PartlySatisfied) => d.partly += 1,
                Some(Rating::Dissatisfied) => d.dissatisfied += 1,
                None => {}
            }
        }
    }
    HandlingReport {
        received: items.len() as i64,
        pending: count(&|i| i.status == ProposalStatus::Submitted),
        accepted: count(&|i| i.status.accepted()),
        merged: count(&|i| i.status == ProposalStatus::Merged),
        to_suggestion: count(&|i| i.status == ProposalStatus::ToSuggestion),
        rejected: count(&|i| i.status == ProposalStatus::Rejected),
        answered: count(&|i| i.replies > 0),
        implementing: count(&|i| i.status == ProposalStatus::Implementing),
        closed: count(&|i| i.status == ProposalStatus::Closed),
        overdue: count(&|i| i.overdue),
        satisfied: count(&|i| i.last_rating == Some(Rating::Satisfied)),
        partly: count(&|i| i.last_rating == Some(Rating::PartlySatisfied)),
        dissatisfied: count(&|i| i.last_rating == Some(Rating::Dissatisfied)),
        rated: count(&|i| i.last_rating.is_some()),
        by_status,
        by_category,
        by_department: depts.into_values().collect(),
        items,
        meeting,
    }
}

/// The closed meeting before `meeting` in the same term, whose proposals the report of
/// `meeting` covers (the report goes to the next meeting).
pub async fn previous_meeting(
    db: &Db,
    cap: &Cap<perm::CongressView>,
    meeting: MeetingId,
) -> Result<Option<MeetingId>, StoreError> {
    let m = get_meeting(db, Viewer::view(cap), meeting).await?;
    let prev: Option<i64> = crate::on_db!(db, |p| {
        sqlx::query_scalar(
        "SELECT id FROM congress_meeting WHERE term_id = $1 AND number < $2 ORDER BY number DESC LIMIT 1"
    )
    .bind(m.term_id.0)
    .bind(m.number)
    .fetch_optional(p)
    .await
    })?;
    Ok(prev.map(MeetingId))
}
