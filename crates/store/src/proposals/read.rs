//! Reading proposals: who sees what ([`Lens`], made only from a capability), the list
//! with its filters (one query per page) and one proposal with its seconders, replies and
//! progress (a fixed number of queries).
//!
//! Nothing here writes.

use crate::congress::{coded, opt_coded};
use crate::db::{Arg, Sql};
use crate::scope::push_in_scope;
use crate::{Db, StoreError};
use chrono::{DateTime, NaiveDate, Utc};
use domain::auth::{Cap, Scope, perm};
use domain::congress::{Acting, DelegateId, MeetingId, RuleSetId, TermId};
use domain::ids::{MemberId, OrgUnitId};
use domain::org::Coded;
use domain::proposals::{
    ImplementationStatus, ProposalCategory, ProposalId, ProposalStatus, Rating, ReviewDecision,
    SeconderStatus, SuggestionId,
};

/// Whose proposals a reader sees.
#[derive(Clone, Copy, Debug)]
pub struct Lens<'a>(pub(super) Sight<'a>);

/// Made only from a capability, so no caller can hand in a bare scope.
#[derive(Clone, Copy, Debug)]
pub(super) enum Sight<'a> {
    /// Submitted proposals of the schools in scope (staff, committee, chair).
    School(&'a Scope),
    /// Proposals handled or co-handled by a department in scope.
    Department(&'a Scope),
    /// A delegate: their own and invited drafts, and the submitted proposals of every term
    /// they sit in.
    Delegate { member: MemberId, scope: &'a Scope },
}

impl<'a> Lens<'a> {
    pub fn view(cap: &'a Cap<perm::CongressView>) -> Lens<'a> {
        Lens(Sight::School(cap.scope()))
    }
    pub fn review(cap: &'a Cap<perm::ProposalReview>) -> Lens<'a> {
        Lens(Sight::School(cap.scope()))
    }
    pub fn department(cap: &'a Cap<perm::ProposalHandle>) -> Lens<'a> {
        Lens(Sight::Department(cap.scope()))
    }
    pub fn delegate(a: &'a Acting<perm::CongressAttend>) -> Lens<'a> {
        Lens(Sight::Delegate {
            member: a.member(),
            scope: a.cap().scope(),
        })
    }

    pub(super) fn restrict(&self, sql: &mut Sql) {
        match *self {
            Lens(Sight::School(scope)) => {
                sql.push(" AND p.status <> 'draft'");
                crate::scope::restrict(sql, "p.school_union_id", scope);
            }
            Lens(Sight::Department(scope)) => {
                sql.push(" AND p.status <> 'draft' AND (");
                push_in_scope(sql, "p.handler_unit_id", scope);
                sql.push(" OR EXISTS (SELECT 1 FROM proposal_co_handler ch WHERE ch.proposal_id = p.id AND ");
                push_in_scope(sql, "ch.unit_id", scope);
                sql.push("))");
            }
            Lens(Sight::Delegate { member, scope }) => {
                crate::scope::restrict(sql, "p.school_union_id", scope);
                let m = Arg::I64(member.0);
                sql.push(" AND (p.proposer_id IN (SELECT id FROM delegate WHERE member_id = ")
                    .bind(m.clone())
                    .push(") OR EXISTS (SELECT 1 FROM proposal_seconder sx JOIN delegate sd ON sd.id = sx.delegate_id WHERE sx.proposal_id = p.id AND sd.member_id = ")
                    .bind(m.clone())
                    .push(") OR (p.status <> 'draft' AND EXISTS (SELECT 1 FROM delegate td WHERE td.term_id = p.term_id AND td.member_id = ")
                    .bind(m)
                    .push(")))");
            }
        }
    }
}

/// Filters of the proposal list.
#[derive(Clone, Debug, Default)]
pub struct ProposalFilter {
    pub status: Option<ProposalStatus>,
    pub meeting: Option<MeetingId>,
    /// Handling, with the reply deadline before this day.
    pub overdue_on: Option<NaiveDate>,
    /// Only proposals of this member (as proposer).
    pub proposer: Option<MemberId>,
    /// Keyset: proposals with a smaller id (newest first).
    pub before: Option<ProposalId>,
    /// Only proposals of this school union.
    pub school: Option<OrgUnitId>,
    /// Only the proposals one column of the oversight table counts for a school year: the
    /// same condition and the same submission range, so a figure and its list agree.
    pub counted: Option<(crate::congress::oversight::Counted, i32)>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ProposalRow {
    pub id: ProposalId,
    pub number: Option<i64>,
    pub title: String,
    pub category: ProposalCategory,
    pub status: ProposalStatus,
    pub school_union_id: OrgUnitId,
    pub school_name: String,
    pub term_number: i64,
    pub meeting_id: MeetingId,
    pub meeting_number: i64,
    pub proposer_name: String,
    pub handler_name: Option<String>,
    pub reply_due: Option<NaiveDate>,
    pub round: i64,
    pub last_rating: Option<Rating>,
    pub submitted_at: Option<DateTime<Utc>>,
    pub seconded: i64,
}

impl ProposalRow {
    /// Waiting for a reply past its deadline.
    pub fn overdue(&self, today: NaiveDate) -> bool {
        self.status == ProposalStatus::Handling && self.reply_due.is_some_and(|d| d < today)
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct PRow {
    pub(super) id: i64,
    pub(super) number: Option<i64>,
    pub(super) title: String,
    pub(super) category: String,
    pub(super) status: String,
    pub(super) school_union_id: i64,
    pub(super) school_name: String,
    pub(super) term_number: i64,
    pub(super) meeting_id: i64,
    pub(super) meeting_number: i64,
    pub(super) proposer_name: String,
    pub(super) handler_name: Option<String>,
    pub(super) reply_due: Option<NaiveDate>,
    pub(super) round: i64,
    pub(super) last_rating: Option<String>,
    pub(super) submitted_at: Option<DateTime<Utc>>,
    pub(super) seconded: i64,
}

impl PRow {
    fn into_row(self) -> Result<ProposalRow, StoreError> {
        Ok(ProposalRow {
            id: ProposalId(self.id),
            number: self.number,
            title: self.title,
            category: coded(&self.category)?,
            status: coded(&self.status)?,
            school_union_id: OrgUnitId(self.school_union_id),
            school_name: self.school_name,
            term_number: self.term_number,
            meeting_id: MeetingId(self.meeting_id),
            meeting_number: self.meeting_number,
            proposer_name: self.proposer_name,
            handler_name: self.handler_name,
            reply_due: self.reply_due,
            round: self.round,
            last_rating: opt_coded(self.last_rating.as_deref())?,
            submitted_at: self.submitted_at,
            seconded: self.seconded,
        })
    }
}

pub(super) const ROW_SELECT: &str = "SELECT p.id, p.number, p.title, p.category, p.status, p.school_union_id, s.name AS school_name, tm.number AS term_number, p.meeting_id, mt.number AS meeting_number, pm.name AS proposer_name, h.name AS handler_name, p.reply_due, p.round, p.last_rating, p.submitted_at,
     (SELECT COUNT(*) FROM proposal_seconder x WHERE x.proposal_id = p.id AND x.status = 'seconded') AS seconded
     FROM proposal p JOIN org_unit s ON s.id = p.school_union_id JOIN congress_term tm ON tm.id = p.term_id
     JOIN congress_meeting mt ON mt.id = p.meeting_id JOIN delegate pd ON pd.id = p.proposer_id JOIN member pm ON pm.id = pd.member_id
     LEFT JOIN org_unit h ON h.id = p.handler_unit_id WHERE 1 = 1";

/// Page size of the proposal list.
pub const PAGE: i64 = 100;

/// Proposals through a lens, newest first, one page (one query).
pub async fn list(
    db: &Db,
    lens: Lens<'_>,
    f: &ProposalFilter,
) -> Result<(Vec<ProposalRow>, Option<ProposalId>), StoreError> {
    let mut sql = Sql::new(ROW_SELECT);
    lens.restrict(&mut sql);
    if let Some(s) = f.status {
        sql.push(" AND p.status = ")
            .bind(Arg::Text(s.code().into()));
    }
    if let Some(m) = f.meeting {
        sql.push(" AND p.meeting_id = ").bind(Arg::I64(m.0));
    }
    if let Some(d) = f.overdue_on {
        sql.push(" AND p.status = 'handling' AND p.reply_due < ")
            .bind(Arg::Date(d));
    }
    if let Some(m) = f.proposer {
        sql.push(" AND pd.member_id = ").bind(Arg::I64(m.0));
    }
    if let Some(s) = f.school {
        sql.push(" AND p.school_union_id = ").bind(Arg::I64(s.0));
    }
    if let Some((c, year)) = f.counted {
        let (from, to) = crate::congress::oversight::submitted_range(year);
        sql.push(" AND ")
            .push(c.condition())
            .push(" AND p.submitted_at >= ")
            .bind(Arg::Ts(from))
            .push(" AND p.submitted_at < ")
            .bind(Arg::Ts(to));
    }
    if let Some(b) = f.before {
        sql.push(" AND p.id < ").bind(Arg::I64(b.0));
    }
    sql.push(" ORDER BY p.id DESC LIMIT ")
        .bind(Arg::I64(PAGE + 1));
    let rows: Vec<PRow> = sql.fetch_all(db).await?;
    let more = rows.len() as i64 > PAGE;
    let rows = rows
        .into_iter()
        .take(PAGE as usize)
        .map(PRow::into_row)
        .collect::<Result<Vec<_>, _>>()?;
    let next = if more {
        rows.last().map(|r| r.id)
    } else {
        None
    };
    Ok((rows, next))
}

#[derive(Clone, Debug, PartialEq)]
pub struct Seconder {
    pub delegate: DelegateId,
    pub member: MemberId,
    pub name: String,
    pub status: SeconderStatus,
    pub responded_at: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Reply {
    pub round: i64,
    pub unit_name: String,
    pub due: NaiveDate,
    pub body: String,
    pub replied_at: DateTime<Utc>,
    pub rating: Option<Rating>,
    pub rating_comment: Option<String>,
    pub rated_at: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ProgressRow {
    pub status: ImplementationStatus,
    pub percent: i64,
    pub note: String,
    pub at: DateTime<Utc>,
}

/// A proposal with everything its page shows.
#[derive(Clone, Debug, PartialEq)]
pub struct Proposal {
    pub row: ProposalRow,
    pub term_id: TermId,
    pub proposer: DelegateId,
    pub proposer_member: MemberId,
    pub reasons: String,
    pub measures: String,
    pub decision: Option<ReviewDecision>,
    pub decision_reason: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub decision_rule_set_id: Option<RuleSetId>,
    pub submit_rule_set_id: Option<RuleSetId>,
    pub merged_into: Option<(ProposalId, String)>,
    pub merged_from: Vec<(ProposalId, String)>,
    pub handler_unit_id: Option<OrgUnitId>,
    pub co_handlers: Vec<(OrgUnitId, String)>,
    pub seconders: Vec<Seconder>,
    pub replies: Vec<Reply>,
    pub progress: Vec<ProgressRow>,
    pub reminders: Vec<(i64, NaiveDate)>,
    pub implementation: Option<ImplementationStatus>,
    pub implementation_percent: Option<i64>,
    pub suggestion: Option<SuggestionId>,
}

#[derive(sqlx::FromRow)]
pub(super) struct DetailRow {
    #[sqlx(flatten)]
    pub(super) row: PRow,
    pub(super) term_id: i64,
    pub(super) proposer_id: i64,
    pub(super) proposer_member: i64,
    pub(super) reasons: String,
    pub(super) measures: String,
    pub(super) decision: Option<String>,
    pub(super) decision_reason: Option<String>,
    pub(super) decided_at: Option<DateTime<Utc>>,
    pub(super) decision_rule_set_id: Option<i64>,
    pub(super) submit_rule_set_id: Option<i64>,
    pub(super) merged_into_id: Option<i64>,
    pub(super) merged_into_title: Option<String>,
    pub(super) handler_unit_id: Option<i64>,
    pub(super) implementation: Option<String>,
    pub(super) implementation_percent: Option<i64>,
}

/// One proposal through a lens (a fixed number of queries).
pub async fn get(db: &Db, lens: Lens<'_>, id: ProposalId) -> Result<Proposal, StoreError> {
    let mut sql = Sql::new(&ROW_SELECT.replace(
        " FROM proposal p ",
        ", p.term_id, p.proposer_id, pd.member_id AS proposer_member, p.reasons, p.measures, p.decision, p.decision_reason, p.decided_at, p.decision_rule_set_id, p.submit_rule_set_id, p.merged_into_id, mi.title AS merged_into_title, p.handler_unit_id, p.implementation, p.implementation_percent FROM proposal p LEFT JOIN proposal mi ON mi.id = p.merged_into_id ",
    ));
    sql.push(" AND p.id = ").bind(Arg::I64(id.0));
    lens.restrict(&mut sql);
    let d: DetailRow = sql.fetch_one(db).await?;
    /// (delegate, member, name, status, responded at)
    type SeconderRow = (i64, i64, String, String, Option<DateTime<Utc>>);
    let seconders: Vec<SeconderRow> = crate::on_db!(db, |p| {
        sqlx::query_as(
        "SELECT x.delegate_id, d.member_id, m.name, x.status, x.responded_at FROM proposal_seconder x JOIN delegate d ON d.id = x.delegate_id JOIN member m ON m.id = d.member_id
         WHERE x.proposal_id = $1 ORDER BY CASE x.status WHEN 'seconded' THEN 0 WHEN 'invited' THEN 1 ELSE 2 END, x.responded_at, m.name, x.delegate_id"
    )
    .bind(id.0)
    .fetch_all(p)
    .await
    })?;
    let co: Vec<(i64, String)> = crate::on_db!(db, |p| {
        sqlx::query_as(
        "SELECT h.unit_id, u.name FROM proposal_co_handler h JOIN org_unit u ON u.id = h.unit_id WHERE h.proposal_id = $1 ORDER BY u.sort_order, u.id"
    )
    .bind(id.0)
    .fetch_all(p)
    .await
    })?;
    /// (round, unit, due, body, replied at, rating, comment, rated at)
    type ReplyRow = (
        i64,
        String,
        NaiveDate,
        String,
        DateTime<Utc>,
        Option<String>,
        Option<String>,
        Option<DateTime<Utc>>,
    );
    let replies: Vec<ReplyRow> = crate::on_db!(db, |p| {
        sqlx::query_as(
            "SELECT r.round, u.name, r.due, r.body, r.replied_at, r.rating, r.rating_comment, r.rated_at FROM proposal_reply r JOIN org_unit u ON u.id = r.unit_id
             WHERE r.proposal_id = $1 ORDER BY r.round"
        )
        .bind(id.0)
        .fetch_all(p)
        .await
    })?;
    let progress: Vec<(String, i64, String, DateTime<Utc>)> = crate::on_db!(db, |p| {
        sqlx::query_as(
        "SELECT status, percent, note, at FROM proposal_progress WHERE proposal_id = $1 ORDER BY id"
    )
    .bind(id.0)
    .fetch_all(p)
    .await
    })?;
    let reminders: Vec<(i64, NaiveDate)> = crate::on_db!(db, |p| sqlx::query_as(
        "SELECT round, reminded_on FROM proposal_reminder WHERE proposal_id = $1 ORDER BY id"
    )
    .bind(id.0)
    .fetch_all(p)
    .await)?;
    let merged_from: Vec<(i64, String)> = crate::on_db!(db, |p| sqlx::query_as(
        "SELECT id, title FROM proposal WHERE merged_into_id = $1 ORDER BY id"
    )
    .bind(id.0)
    .fetch_all(p)
    .await)?;
    let suggestion: Option<i64> = crate::on_db!(db, |p| sqlx::query_scalar(
        "SELECT id FROM suggestion WHERE from_proposal_id = $1"
    )
    .bind(id.0)
    .fetch_optional(p)
    .await)?;
    Ok(Proposal {
        row: d.row.into_row()?,
        term_id: TermId(d.term_id),
        proposer: DelegateId(d.proposer_id),
        proposer_member: MemberId(d.proposer_member),
        reasons: d.reasons,
        measures: d.measures,
        decision: opt_coded(d.decision.as_deref())?,
        decision_reason: d.decision_reason,
        decided_at: d.decided_at,
        decision_rule_set_id: d.decision_rule_set_id.map(RuleSetId),
        submit_rule_set_id: d.submit_rule_set_id.map(RuleSetId),
        merged_into: d
            .merged_into_id
            .map(|i| (ProposalId(i), d.merged_into_title.unwrap_or_default())),
        merged_from: merged_from
            .into_iter()
            .map(|(i, t)| (ProposalId(i), t))
            .collect(),
        handler_unit_id: d.handler_unit_id.map(OrgUnitId),
        co_handlers: co.into_iter().map(|(u, n)| (OrgUnitId(u), n)).collect(),
        seconders: seconders
            .into_iter()
            .map(|(d, m, name, status, at)| {
                Ok(Seconder {
                    delegate: DelegateId(d),
                    member: MemberId(m),
                    name,
                    status: coded(&status)?,
                    responded_at: at,
                })
            })
            .collect::<Result<_, StoreError>>()?,
        replies: replies
            .into_iter()
            .map(
                |(round, unit_name, due, body, replied_at, rating, comment, rated_at)| {
                    Ok(Reply {
                        round,
                        unit_name,
                        due,
                        body,
                        replied_at,
                        rating: opt_coded(rating.as_deref())?,
                        rating_comment: comment,
                        rated_at,
                    })
                },
            )
            .collect::<Result<_, StoreError>>()?,
        progress: progress
            .into_iter()
            .map(|(s, percent, note, at)| {
                Ok(ProgressRow {
                    status: coded(&s)?,
                    percent,
                    note,
                    at,
                })
            })
            .collect::<Result<_, StoreError>>()?,
        reminders,
        implementation: opt_coded(d.implementation.as_deref())?,
        implementation_percent: d.implementation_percent,
        suggestion: suggestion.map(SuggestionId),
    })
}
