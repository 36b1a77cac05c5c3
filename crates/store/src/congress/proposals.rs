//! Proposals (提案) from draft to closure: a delegate drafts and invites seconders; enough
//! seconders and an open collection window let it be submitted; the proposals committee
//! accepts, merges, turns it into a suggestion or rejects it, always with a reason; an
//! accepted proposal gets a handling department, co-handlers and a deadline; the department
//! replies; the proposer rates the reply, and a dissatisfied rating sends it back for
//! another round while the rule set allows; implementation is tracked until closed.
//!
//! Who sees what is a [`Lens`]: the school's staff and committee (not drafts), a department
//! (what it handles or helps with), a delegate (their own and invited drafts, and every
//! submitted proposal of their term). Every step checks the state first, so a repeated
//! request changes nothing; decisions record the rule-set version that made them.

use super::meetings::{Viewer, tx_meeting};
use super::{coded, invalid, invalid_with, log, opt_coded, push_in_scope};
use crate::audit::Who;
use crate::db::{Arg, Sql, Tx, now};
use crate::{Db, Store, StoreError, on_tx};
use chrono::{DateTime, NaiveDate, Utc};
use domain::FieldError;
use domain::audit::Changes;
use domain::auth::{Cap, Scope, perm};
use domain::congress::{
    Acting, Assignment, DelegateId, DelegateKind, ImplementationStatus, MeetingId, MeetingStatus,
    Progress, ProposalCategory, ProposalDraft, ProposalId, ProposalStatus, ProposalStep, Rating,
    Review, ReviewDecision, RuleSetId, SeconderStatus, SuggestionId, TermId,
};
use domain::ids::{MemberId, OrgUnitId};
use domain::org::Coded;
use domain::text as t;

/// Whose proposals a reader sees.
#[derive(Clone, Copy, Debug)]
pub struct Lens<'a>(Sight<'a>);

/// Made only from a capability, so no caller can hand in a bare scope.
#[derive(Clone, Copy, Debug)]
enum Sight<'a> {
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

    fn restrict(&self, sql: &mut Sql) {
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
struct PRow {
    id: i64,
    number: Option<i64>,
    title: String,
    category: String,
    status: String,
    school_union_id: i64,
    school_name: String,
    term_number: i64,
    meeting_id: i64,
    meeting_number: i64,
    proposer_name: String,
    handler_name: Option<String>,
    reply_due: Option<NaiveDate>,
    round: i64,
    last_rating: Option<String>,
    submitted_at: Option<DateTime<Utc>>,
    seconded: i64,
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

const ROW_SELECT: &str = "SELECT p.id, p.number, p.title, p.category, p.status, p.school_union_id, s.name AS school_name, tm.number AS term_number, p.meeting_id, mt.number AS meeting_number, pm.name AS proposer_name, h.name AS handler_name, p.reply_due, p.round, p.last_rating, p.submitted_at,
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
struct DetailRow {
    #[sqlx(flatten)]
    row: PRow,
    term_id: i64,
    proposer_id: i64,
    proposer_member: i64,
    reasons: String,
    measures: String,
    decision: Option<String>,
    decision_reason: Option<String>,
    decided_at: Option<DateTime<Utc>>,
    decision_rule_set_id: Option<i64>,
    submit_rule_set_id: Option<i64>,
    merged_into_id: Option<i64>,
    merged_into_title: Option<String>,
    handler_unit_id: Option<i64>,
    implementation: Option<String>,
    implementation_percent: Option<i64>,
}

/// One proposal through a lens (a fixed number of queries).
pub async fn get(db: &Db, lens: Lens<'_>, id: ProposalId) -> Result<Proposal, StoreError> {
    let mut sql = Sql::new(&ROW_SELECT.replace(
        " FROM proposal p ",
        ", p.term_id, p.proposer_id, pd.member_id AS proposer_member, p.reasons, p.measures, p.decision, p.decision_reason, p.decided_at, p.decision_rule_set_id, p.submit_rule_set_id, p.merged_into_id, mi.title AS merged_into_title, p.handler_unit_id, p.implementation, p.implementation_percent FROM proposal p LEFT JOIN proposal mi ON mi.id = p.merged_into_id ",
    ));
    sql.push(" AND p.id = ").bind(Arg::I64(id.0));
    lens.restrict(&mut sql);
    let rows: Vec<DetailRow> = sql.fetch_all(db).await?;
    let d = rows.into_iter().next().ok_or(StoreError::NotFound)?;
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

// ------------------------------------------------------------------ the core row in a transaction

/// What a step needs to know about a proposal, read inside its transaction.
#[derive(Clone, Debug)]
struct Core {
    school: OrgUnitId,
    term: TermId,
    meeting: MeetingId,
    status: ProposalStatus,
    proposer: DelegateId,
    proposer_member: MemberId,
    title: String,
    reasons: String,
    measures: String,
    round: i64,
    handler: Option<OrgUnitId>,
    reply_due: Option<NaiveDate>,
}

#[derive(sqlx::FromRow)]
struct CoreRow {
    school_union_id: i64,
    term_id: i64,
    meeting_id: i64,
    status: String,
    proposer_id: i64,
    proposer_member: i64,
    title: String,
    reasons: String,
    measures: String,
    round: i64,
    handler_unit_id: Option<i64>,
    reply_due: Option<NaiveDate>,
}

const CORE_SELECT: &str = "SELECT p.school_union_id, p.term_id, p.meeting_id, p.status, p.proposer_id, pd.member_id AS proposer_member, p.title, p.reasons, p.measures, p.round, p.handler_unit_id, p.reply_due
     FROM proposal p JOIN delegate pd ON pd.id = p.proposer_id WHERE p.id = ";

async fn tx_core(tx: &mut Tx, id: ProposalId, lens: Option<Lens<'_>>) -> Result<Core, StoreError> {
    let mut sql = Sql::new(CORE_SELECT);
    sql.bind(Arg::I64(id.0));
    if let Some(l) = lens {
        l.restrict(&mut sql);
    }
    let rows: Vec<CoreRow> = sql.fetch_all_tx(tx).await?;
    let r = rows.into_iter().next().ok_or(StoreError::NotFound)?;
    Ok(Core {
        school: OrgUnitId(r.school_union_id),
        term: TermId(r.term_id),
        meeting: MeetingId(r.meeting_id),
        status: coded(&r.status)?,
        proposer: DelegateId(r.proposer_id),
        proposer_member: MemberId(r.proposer_member),
        title: r.title,
        reasons: r.reasons,
        measures: r.measures,
        round: r.round,
        handler: r.handler_unit_id.map(OrgUnitId),
        reply_due: r.reply_due,
    })
}

/// The proposal of which the acting member is the proposer.
async fn tx_own(
    tx: &mut Tx,
    member: MemberId,
    scope: &Scope,
    id: ProposalId,
) -> Result<Core, StoreError> {
    let c = tx_core(tx, id, Some(Lens(Sight::Delegate { member, scope }))).await?;
    if c.proposer_member != member {
        return Err(StoreError::NotFound);
    }
    Ok(c)
}

fn step(c: &Core, s: ProposalStep) -> Result<(), StoreError> {
    if c.status.allows(s) {
        Ok(())
    } else {
        Err(invalid_with(
            FieldError::new("status", t::STEP_NOT_ALLOWED).arg("status", c.status.code()),
        ))
    }
}

async fn bump(
    tx: &mut Tx,
    id: ProposalId,
    sets: &'static str,
    args: Vec<Arg>,
) -> Result<(), StoreError> {
    let mut sql = Sql::new("UPDATE proposal SET ");
    sql.push(sets);
    for a in args {
        sql.args.push(a);
    }
    sql.push(", version = version + 1, updated_at = ");
    sql.bind(Arg::Ts(now()));
    sql.push(" WHERE id = ").bind(Arg::I64(id.0));
    sql.execute_tx(tx).await?;
    Ok(())
}

// ------------------------------------------------------------------ drafting and seconding

/// The voting mandate of `member` in `term`, or the error `err`.
async fn tx_voting_mandate(
    tx: &mut Tx,
    term: TermId,
    member: MemberId,
    err: &'static str,
) -> Result<DelegateId, StoreError> {
    match super::terms::tx_current_mandate(tx, term, member).await? {
        Some((id, DelegateKind::Delegate)) => Ok(id),
        _ => Err(invalid("delegate", err)),
    }
}

/// A delegate starts a proposal for the collection of `meeting`.
pub async fn create_draft(
    st: &Store,
    acting: &Acting<perm::ProposalSubmit>,
    who: &Who,
    meeting: MeetingId,
    d: &ProposalDraft,
    today: NaiveDate,
) -> Result<ProposalId, StoreError> {
    let mut tx = st.db.begin().await?;
    let m = tx_meeting(&mut tx, Viewer::acting(acting), meeting).await?;
    let proposer =
        tx_voting_mandate(&mut tx, m.term_id, acting.member(), t::NOT_A_DELEGATE).await?;
    if m.status == MeetingStatus::Closed || m.proposals_until.is_some_and(|u| u < today) {
        return Err(window_closed(&m));
    }
    let ts = now();
    let id: i64 = on_tx!(&mut tx, |c| {
        sqlx::query_scalar(
        "INSERT INTO proposal (school_union_id, term_id, meeting_id, number, proposer_id, title, category, reasons, measures, status, round, version, created_at, updated_at)
         VALUES ($1, $2, $3, NULL, $4, $5, $6, $7, $8, 'draft', 1, 1, $9, $9) RETURNING id"
    )
    .bind(m.school_union_id.0)
    .bind(m.term_id.0)
    .bind(meeting.0)
    .bind(proposer.0)
    .bind(&d.title)
    .bind(d.category.code())
    .bind(&d.reasons)
    .bind(&d.measures)
    .bind(ts)
    .fetch_one(&mut *c)
    .await
    })?;
    let mut ch = Changes::new();
    ch.field("title", None, Some(&d.title))
        .field("category", None, Some(&d.category.code()))
        .field("meeting_id", None, Some(&meeting.0));
    log(
        &mut tx,
        &st.cipher,
        who,
        "proposal.create",
        ("proposal", id),
        m.school_union_id,
        &ch,
    )
    .await?;
    tx.commit().await?;
    Ok(ProposalId(id))
}

fn window_closed(m: &super::meetings::Meeting) -> StoreError {
    invalid_with(
        FieldError::new("meeting", t::WINDOW_CLOSED)
            .arg(
                "from",
                m.proposals_from.map(|d| d.to_string()).unwrap_or_default(),
            )
            .arg(
                "until",
                m.proposals_until.map(|d| d.to_string()).unwrap_or_default(),
            ),
    )
}

/// The proposer edits their draft.
pub async fn update_draft(
    st: &Store,
    acting: &Acting<perm::ProposalSubmit>,
    who: &Who,
    id: ProposalId,
    d: &ProposalDraft,
) -> Result<(), StoreError> {
    let mut tx = st.db.begin().await?;
    let c = tx_own(&mut tx, acting.member(), acting.cap().scope(), id).await?;
    step(&c, ProposalStep::Edit)?;
    bump(
        &mut tx,
        id,
        "title = $1, category = $2, reasons = $3, measures = $4",
        vec![
            Arg::Text(d.title.clone()),
            Arg::Text(d.category.code().into()),
            Arg::Text(d.reasons.clone()),
            Arg::Text(d.measures.clone()),
        ],
    )
    .await?;
    let mut ch = Changes::new();
    ch.field("title", Some(&c.title), Some(&d.title))
        .field("reasons", Some(&c.reasons), Some(&d.reasons))
        .field("measures", Some(&c.measures), Some(&d.measures));
    log(
        &mut tx,
        &st.cipher,
        who,
        "proposal.update",
        ("proposal", id.0),
        c.school,
        &ch,
    )
    .await?;
    tx.commit().await
}

/// Voting delegates of the acting member's term (to invite as seconders), without them.
pub async fn fellow_delegates(
    db: &Db,
    acting: &Acting<perm::ProposalSubmit>,
    term: TermId,
) -> Result<Vec<(DelegateId, String, Option<String>)>, StoreError> {
    let mut sql = Sql::new(
        "SELECT d.id, m.name, g.name FROM delegate d JOIN member m ON m.id = d.member_id LEFT JOIN delegation g ON g.id = d.delegation_id
         JOIN congress_term tm ON tm.id = d.term_id
         WHERE d.ended_on IS NULL AND d.kind = 'delegate' AND d.term_id = ",
    );
    sql.bind(Arg::I64(term.0))
        .push(" AND d.member_id <> ")
        .bind(Arg::I64(acting.member().0))
        .push(" AND EXISTS (SELECT 1 FROM delegate me WHERE me.term_id = d.term_id AND me.ended_on IS NULL AND me.member_id = ")
        .bind(Arg::I64(acting.member().0))
        .push(")");
    crate::scope::restrict(&mut sql, "tm.school_union_id", acting.cap().scope());
    sql.push(" ORDER BY COALESCE(g.sort_order, 999999), d.delegation_id, m.name, d.id");
    let rows: Vec<(i64, String, Option<String>)> = sql.fetch_all(db).await?;
    Ok(rows
        .into_iter()
        .map(|(i, n, g)| (DelegateId(i), n, g))
        .collect())
}

/// The proposer invites delegates of the same term to second. Returns how many were new.
pub async fn invite(
    st: &Store,
    acting: &Acting<perm::ProposalSubmit>,
    who: &Who,
    id: ProposalId,
    invitees: &[DelegateId],
) -> Result<u64, StoreError> {
    let mut tx = st.db.begin().await?;
    let c = tx_own(&mut tx, acting.member(), acting.cap().scope(), id).await?;
    step(&c, ProposalStep::Invite)?;
    let ts = now();
    let mut added = 0;
    let mut names = Vec::new();
    for d in invitees.iter().take(50) {
        if *d == c.proposer {
            return Err(invalid("delegates", t::SECOND_OWN));
        }
        let ok: Option<String> = on_tx!(&mut tx, |cx| {
            sqlx::query_scalar(
            "SELECT m.name FROM delegate d JOIN member m ON m.id = d.member_id WHERE d.id = $1 AND d.term_id = $2 AND d.ended_on IS NULL AND d.kind = 'delegate'"
        )
        .bind(d.0)
        .bind(c.term.0)
        .fetch_optional(&mut *cx)
        .await
        })?;
        let Some(name) = ok else {
            return Err(invalid("delegates", t::SECOND_OTHER_TERM));
        };
        added += on_tx!(&mut tx, |cx| {
            sqlx::query(
            "INSERT INTO proposal_seconder (proposal_id, delegate_id, status, invited_at, responded_at) VALUES ($1, $2, 'invited', $3, NULL)
             ON CONFLICT (proposal_id, delegate_id) DO NOTHING"
        )
        .bind(id.0)
        .bind(d.0)
        .bind(ts)
        .execute(&mut *cx)
        .await
        .map(|r| r.rows_affected())
        })?;
        names.push(name);
    }
    if added > 0 {
        let mut ch = Changes::new();
        ch.note("invited", names.join(", "));
        log(
            &mut tx,
            &st.cipher,
            who,
            "proposal.invite",
            ("proposal", id.0),
            c.school,
            &ch,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(added)
}

/// The acting delegate's voting mandate in the proposal's term, read without the scope of
/// the proposal: a delegate of another school is told so, not shown anything.
async fn tx_seconder(
    tx: &mut Tx,
    acting: &Acting<perm::ProposalSecond>,
    id: ProposalId,
) -> Result<(Core, DelegateId), StoreError> {
    let c = tx_core(tx, id, None).await?;
    // Another school's delegate learns only that they cannot second here.
    if !crate::org::units::tx_in_scope(tx, acting.cap().scope(), c.school).await? {
        return Err(invalid("delegate", t::SECOND_OTHER_TERM));
    }
    let me = match super::terms::tx_current_mandate(tx, c.term, acting.member()).await? {
        Some((d, DelegateKind::Delegate)) => d,
        _ => return Err(invalid("delegate", t::SECOND_OTHER_TERM)),
    };
    if me == c.proposer {
        return Err(invalid("delegate", t::SECOND_OWN));
    }
    Ok((c, me))
}

/// A delegate of the proposal's term seconds it (again: no change).
pub async fn second(
    st: &Store,
    acting: &Acting<perm::ProposalSecond>,
    who: &Who,
    id: ProposalId,
) -> Result<bool, StoreError> {
    let mut tx = st.db.begin().await?;
    let (c, me) = tx_seconder(&mut tx, acting, id).await?;
    step(&c, ProposalStep::Second)?;
    let before: Option<String> = on_tx!(&mut tx, |cx| sqlx::query_scalar(
        "SELECT status FROM proposal_seconder WHERE proposal_id = $1 AND delegate_id = $2"
    )
    .bind(id.0)
    .bind(me.0)
    .fetch_optional(&mut *cx)
    .await)?;
    if before.as_deref() == Some("seconded") {
        return Ok(false);
    }
    on_tx!(&mut tx, |cx| {
        sqlx::query(
        "INSERT INTO proposal_seconder (proposal_id, delegate_id, status, invited_at, responded_at) VALUES ($1, $2, 'seconded', NULL, $3)
         ON CONFLICT (proposal_id, delegate_id) DO UPDATE SET status = 'seconded', responded_at = excluded.responded_at"
    )
    .bind(id.0)
    .bind(me.0)
    .bind(now())
    .execute(&mut *cx)
    .await
    .map(|r| r.rows_affected())
    })?;
    let mut ch = Changes::new();
    ch.field("seconder", before.as_ref(), Some(&"seconded".to_string()))
        .field("delegate_id", None, Some(&me.0));
    log(
        &mut tx,
        &st.cipher,
        who,
        "proposal.second",
        ("proposal", id.0),
        c.school,
        &ch,
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

/// An invited delegate declines.
pub async fn decline(
    st: &Store,
    acting: &Acting<perm::ProposalSecond>,
    who: &Who,
    id: ProposalId,
) -> Result<(), StoreError> {
    let mut tx = st.db.begin().await?;
    let (c, me) = tx_seconder(&mut tx, acting, id).await?;
    step(&c, ProposalStep::Second)?;
    let n = on_tx!(&mut tx, |cx| {
        sqlx::query(
        "UPDATE proposal_seconder SET status = 'declined', responded_at = $1 WHERE proposal_id = $2 AND delegate_id = $3 AND status <> 'declined'"
    )
    .bind(now())
    .bind(id.0)
    .bind(me.0)
    .execute(&mut *cx)
    .await
    .map(|r| r.rows_affected())
    })?;
    if n > 0 {
        let mut ch = Changes::new();
        ch.field("seconder", None, Some(&"declined".to_string()))
            .field("delegate_id", None, Some(&me.0));
        log(
            &mut tx,
            &st.cipher,
            who,
            "proposal.decline",
            ("proposal", id.0),
            c.school,
            &ch,
        )
        .await?;
    }
    tx.commit().await
}

/// What a submission did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Submitted {
    /// Submitted now, with this number.
    Now(i64),
    /// It had been submitted before: nothing changed.
    Already(ProposalStatus),
}

/// The proposer submits: the collection window must be open and enough current delegates
/// must have seconded (the rule set's number, recorded with the submission). Submitting
/// twice changes nothing.
pub async fn submit(
    st: &Store,
    acting: &Acting<perm::ProposalSubmit>,
    who: &Who,
    id: ProposalId,
    today: NaiveDate,
) -> Result<Submitted, StoreError> {
    let mut tx = st.db.begin().await?;
    let c = tx_own(&mut tx, acting.member(), acting.cap().scope(), id).await?;
    if c.status != ProposalStatus::Draft {
        return Ok(Submitted::Already(c.status));
    }
    let m = tx_meeting(&mut tx, Viewer::checked(), c.meeting).await?;
    if !m.collecting(today) {
        return Err(window_closed(&m));
    }
    tx_voting_mandate(&mut tx, c.term, acting.member(), t::NOT_A_DELEGATE).await?;
    let (rs, rules) = super::rules::tx_decisive(&mut tx, st, c.school).await?;
    let seconded: i64 = on_tx!(&mut tx, |cx| {
        sqlx::query_scalar(
        "SELECT COUNT(*) FROM proposal_seconder x JOIN delegate d ON d.id = x.delegate_id
         WHERE x.proposal_id = $1 AND x.status = 'seconded' AND d.ended_on IS NULL AND d.kind = 'delegate'"
    )
    .bind(id.0)
    .fetch_one(&mut *cx)
    .await
    })?;
    let has = u32::try_from(seconded).unwrap_or(0);
    if !domain::rules::seconders_ok(has, &rules) {
        return Err(invalid_with(
            FieldError::new("seconders", t::SECONDERS_MISSING)
                .arg("needed", rules.seconders)
                .arg("has", has),
        ));
    }
    let number: i64 = on_tx!(&mut tx, |cx| sqlx::query_scalar(
        "SELECT COALESCE(MAX(number), 0) + 1 FROM proposal WHERE meeting_id = $1"
    )
    .bind(c.meeting.0)
    .fetch_one(&mut *cx)
    .await)?;
    bump(
        &mut tx,
        id,
        "status = 'submitted', number = $1, submitted_at = $2, submit_rule_set_id = $3",
        vec![Arg::I64(number), Arg::Ts(now()), Arg::I64(rs.0)],
    )
    .await?;
    let mut ch = Changes::new();
    ch.field("status", Some(&c.status.code()), Some(&"submitted"))
        .field("number", None, Some(&number))
        .field("seconders", None, Some(&has))
        .field("rule_set_id", None, Some(&rs.0));
    log(
        &mut tx,
        &st.cipher,
        who,
        "proposal.submit",
        ("proposal", id.0),
        c.school,
        &ch,
    )
    .await?;
    tx.commit().await?;
    Ok(Submitted::Now(number))
}

// ------------------------------------------------------------------ review and handling

/// The committee decides: accept, merge (into a proposal of the same term), turn into a
/// suggestion, or reject; always with a reason.
pub async fn review(
    st: &Store,
    cap: &Cap<perm::ProposalReview>,
    who: &Who,
    id: ProposalId,
    r: &Review,
) -> Result<(), StoreError> {
    let mut tx = st.db.begin().await?;
    let c = tx_core(&mut tx, id, Some(Lens::review(cap))).await?;
    step(&c, ProposalStep::Review)?;
    if r.decision == ReviewDecision::Merge {
        let target = match r.merge_into {
            Some(m) if m != id => tx_core(&mut tx, m, Some(Lens::review(cap))).await.ok(),
            _ => None,
        };
        let ok = target.is_some_and(|t| {
            t.term == c.term
                && (t.status == ProposalStatus::Submitted || t.status.accepted())
                && t.status != ProposalStatus::Closed
        });
        if !ok {
            return Err(invalid("merge_into", t::MERGE_TARGET));
        }
    }
    let (rs, _) = super::rules::tx_decisive(&mut tx, st, c.school).await?;
    let status = r.decision.status();
    bump(
        &mut tx,
        id,
        "status = $1, decision = $2, decision_reason = $3, decided_at = $4, decided_by = $5, decision_rule_set_id = $6, merged_into_id = $7",
        vec![
            Arg::Text(status.code().into()),
            Arg::Text(r.decision.code().into()),
            Arg::Text(r.reason.clone()),
            Arg::Ts(now()),
            Arg::OptI64(who.account.map(|a| a.0)),
            Arg::I64(rs.0),
            Arg::OptI64(r.merge_into.filter(|_| r.decision == ReviewDecision::Merge).map(|m| m.0)),
        ],
    )
    .await?;
    if r.decision == ReviewDecision::ToSuggestion {
        on_tx!(&mut tx, |cx| {
            sqlx::query(
            "INSERT INTO suggestion (school_union_id, member_id, from_proposal_id, title, body, status, created_at) VALUES ($1, $2, $3, $4, $5, 'open', $6)"
        )
        .bind(c.school.0)
        .bind(c.proposer_member.0)
        .bind(id.0)
        .bind(&c.title)
        .bind(format!("{}\n\n{}", c.reasons, c.measures))
        .bind(now())
        .execute(&mut *cx)
        .await
        .map(|r| r.rows_affected())
        })?;
    }
    let mut ch = Changes::new();
    ch.field("status", Some(&c.status.code()), Some(&status.code()))
        .field("decision", None, Some(&r.decision.code()))
        .field("reason", None, Some(&r.reason))
        .field("merged_into_id", None, r.merge_into.map(|m| m.0).as_ref())
        .field("rule_set_id", None, Some(&rs.0));
    log(
        &mut tx,
        &st.cipher,
        who,
        "proposal.review",
        ("proposal", id.0),
        c.school,
        &ch,
    )
    .await?;
    tx.commit().await
}

/// Departments (branches) of a school that can handle proposals.
pub async fn departments<P: perm::Perm>(
    db: &Db,
    cap: &Cap<P>,
    school: OrgUnitId,
) -> Result<Vec<(OrgUnitId, String)>, StoreError> {
    let mut sql =
        Sql::new("SELECT u.id, u.name FROM org_unit u WHERE u.kind = 'branch' AND u.parent_id = ");
    sql.bind(Arg::I64(school.0));
    crate::scope::restrict(&mut sql, "u.parent_id", cap.scope());
    sql.push(" ORDER BY u.sort_order, u.id");
    let rows: Vec<(i64, String)> = sql.fetch_all(db).await?;
    Ok(rows.into_iter().map(|(i, n)| (OrgUnitId(i), n)).collect())
}

async fn tx_check_department(
    tx: &mut Tx,
    school: OrgUnitId,
    unit: OrgUnitId,
    field: &'static str,
) -> Result<(), StoreError> {
    let ok: Option<i64> = on_tx!(tx, |cx| sqlx::query_scalar(
        "SELECT id FROM org_unit WHERE id = $1 AND parent_id = $2 AND kind = 'branch'"
    )
    .bind(unit.0)
    .bind(school.0)
    .fetch_optional(&mut *cx)
    .await)?;
    if ok.is_none() {
        return Err(invalid(field, t::HANDLER_UNKNOWN));
    }
    Ok(())
}

/// Assigns (or reassigns, before the reply) the handling department, co-handlers and the
/// reply deadline. A deadline in the past is refused.
pub async fn assign(
    st: &Store,
    cap: &Cap<perm::ProposalReview>,
    who: &Who,
    id: ProposalId,
    a: &Assignment,
    today: NaiveDate,
) -> Result<(), StoreError> {
    if a.deadline < today {
        return Err(invalid("deadline", t::DEADLINE_PAST));
    }
    let mut tx = st.db.begin().await?;
    let c = tx_core(&mut tx, id, Some(Lens::review(cap))).await?;
    step(&c, ProposalStep::Assign)?;
    tx_check_department(&mut tx, c.school, a.handler, "handler").await?;
    for co in &a.co_handlers {
        tx_check_department(&mut tx, c.school, *co, "co_handlers").await?;
    }
    bump(
        &mut tx,
        id,
        "status = 'handling', handler_unit_id = $1, reply_due = $2",
        vec![Arg::I64(a.handler.0), Arg::Date(a.deadline)],
    )
    .await?;
    on_tx!(&mut tx, |cx| sqlx::query(
        "DELETE FROM proposal_co_handler WHERE proposal_id = $1"
    )
    .bind(id.0)
    .execute(&mut *cx)
    .await
    .map(|r| r.rows_affected()))?;
    for co in &a.co_handlers {
        on_tx!(&mut tx, |cx| sqlx::query(
            "INSERT INTO proposal_co_handler (proposal_id, unit_id) VALUES ($1, $2)"
        )
        .bind(id.0)
        .bind(co.0)
        .execute(&mut *cx)
        .await
        .map(|r| r.rows_affected()))?;
    }
    let mut ch = Changes::new();
    ch.field("status", Some(&c.status.code()), Some(&"handling"))
        .field(
            "handler_unit_id",
            c.handler.map(|h| h.0).as_ref(),
            Some(&a.handler.0),
        )
        .field("reply_due", c.reply_due.as_ref(), Some(&a.deadline))
        .field(
            "co_handlers",
            None,
            Some(&a.co_handlers.iter().map(|c| c.0).collect::<Vec<_>>()),
        );
    log(
        &mut tx,
        &st.cipher,
        who,
        "proposal.assign",
        ("proposal", id.0),
        c.school,
        &ch,
    )
    .await?;
    tx.commit().await
}

/// The proposal as a department of the proposal's school sees it: assigned, helping, or
/// only of the same school. Departments of other schools get nothing.
async fn tx_for_department(
    tx: &mut Tx,
    cap: &Cap<perm::ProposalHandle>,
    id: ProposalId,
) -> Result<Core, StoreError> {
    let c = tx_core(tx, id, None).await?;
    if c.status == ProposalStatus::Draft {
        return Err(StoreError::NotFound);
    }
    let same_school = match cap.scope().roots() {
        None => true,
        Some(roots) => {
            let mut sql = Sql::new("SELECT COUNT(*) FROM org_closure c WHERE c.ancestor_id = ");
            sql.bind(Arg::I64(c.school.0))
                .push(" AND c.descendant_id IN (");
            sql.bind_list(roots.iter().map(|r| Arg::I64(r.0)));
            sql.push(")");
            let n: Vec<(i64,)> = sql.fetch_all_tx(tx).await?;
            n.first().is_some_and(|r| r.0 > 0)
        }
    };
    if !same_school {
        return Err(StoreError::NotFound);
    }
    Ok(c)
}

/// The assigned department replies to the current round. Any other department, a
/// co-handler included, is refused and nothing changes.
pub async fn reply(
    st: &Store,
    cap: &Cap<perm::ProposalHandle>,
    who: &Who,
    id: ProposalId,
    body: &str,
) -> Result<(), StoreError> {
    let mut tx = st.db.begin().await?;
    let c = tx_for_department(&mut tx, cap, id).await?;
    let assigned = match c.handler {
        Some(h) => crate::org::units::tx_in_scope(&mut tx, cap.scope(), h).await?,
        None => false,
    };
    if !assigned {
        return Err(invalid("body", t::NOT_ASSIGNED));
    }
    step(&c, ProposalStep::Reply)?;
    let body = domain::org::required_text("body", body, domain::congress::TEXT_MAX)
        .map_err(invalid_with)?;
    let (Some(handler), Some(due)) = (c.handler, c.reply_due) else {
        return Err(invalid("body", t::NOT_ASSIGNED));
    };
    on_tx!(&mut tx, |cx| {
        sqlx::query(
        "INSERT INTO proposal_reply (proposal_id, round, unit_id, due, body, replied_at, replied_by) VALUES ($1, $2, $3, $4, $5, $6, $7)"
    )
    .bind(id.0)
    .bind(c.round)
    .bind(handler.0)
    .bind(due)
    .bind(&body)
    .bind(now())
    .bind(who.account.map(|a| a.0))
    .execute(&mut *cx)
    .await
    .map(|r| r.rows_affected())
    })?;
    bump(&mut tx, id, "status = 'answered'", Vec::new()).await?;
    let mut ch = Changes::new();
    ch.field("status", Some(&c.status.code()), Some(&"answered"))
        .field("round", None, Some(&c.round))
        .field("reply", None, Some(&body));
    log(
        &mut tx,
        &st.cipher,
        who,
        "proposal.reply",
        ("proposal", id.0),
        c.school,
        &ch,
    )
    .await?;
    tx.commit().await
}

/// What a rating led to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rated {
    pub status: ProposalStatus,
    /// The new round when it went back for handling.
    pub round: i64,
    pub reply_due: Option<NaiveDate>,
}

/// The proposer rates the reply of the current round. Dissatisfied sends it back to the
/// same department for another round (new deadline) while the rule set allows; otherwise
/// implementation begins. Each round's reply and rating stay.
pub async fn rate(
    st: &Store,
    acting: &Acting<perm::CongressAttend>,
    who: &Who,
    id: ProposalId,
    rating: Rating,
    comment: Option<String>,
    today: NaiveDate,
) -> Result<Rated, StoreError> {
    let mut tx = st.db.begin().await?;
    let c = tx_own(&mut tx, acting.member(), acting.cap().scope(), id).await?;
    step(&c, ProposalStep::Rate)?;
    let (rs, rules) = super::rules::tx_decisive(&mut tx, st, c.school).await?;
    on_tx!(&mut tx, |cx| {
        sqlx::query(
        "UPDATE proposal_reply SET rating = $1, rating_comment = $2, rated_at = $3, rating_rule_set_id = $4 WHERE proposal_id = $5 AND round = $6"
    )
    .bind(rating.code())
    .bind(&comment)
    .bind(now())
    .bind(rs.0)
    .bind(id.0)
    .bind(c.round)
    .execute(&mut *cx)
    .await
    .map(|r| r.rows_affected())
    })?;
    let next =
        domain::congress::after_rating(rating, u32::try_from(c.round).unwrap_or(u32::MAX), &rules);
    let out = if next == ProposalStatus::Handling {
        let due = today + chrono::Duration::days(i64::from(rules.reply_days));
        bump(
            &mut tx,
            id,
            "status = 'handling', round = round + 1, reply_due = $1, last_rating = $2",
            vec![Arg::Date(due), Arg::Text(rating.code().into())],
        )
        .await?;
        Rated {
            status: next,
            round: c.round + 1,
            reply_due: Some(due),
        }
    } else {
        bump(
            &mut tx,
            id,
            "status = 'implementing', last_rating = $1, implementation = 'not_started', implementation_percent = 0",
            vec![Arg::Text(rating.code().into())],
        )
        .await?;
        Rated {
            status: next,
            round: c.round,
            reply_due: None,
        }
    };
    let mut ch = Changes::new();
    ch.field("status", Some(&c.status.code()), Some(&next.code()))
        .field("rating", None, Some(&rating.code()))
        .field("round", None, Some(&c.round))
        .field("comment", None, comment.as_ref())
        .field("rule_set_id", None, Some(&rs.0));
    log(
        &mut tx,
        &st.cipher,
        who,
        "proposal.rate",
        ("proposal", id.0),
        c.school,
        &ch,
    )
    .await?;
    tx.commit().await?;
    Ok(out)
}

/// Who records implementation progress.
#[derive(Clone, Copy, Debug)]
pub enum ProgressBy<'a> {
    /// The assigned department.
    Handler(&'a Cap<perm::ProposalHandle>),
    /// The committee or the chair.
    Reviewer(&'a Cap<perm::ProposalReview>),
}

/// Records implementation progress; "done" closes the proposal.
pub async fn progress(
    st: &Store,
    by: ProgressBy<'_>,
    who: &Who,
    id: ProposalId,
    p: &Progress,
) -> Result<ProposalStatus, StoreError> {
    let mut tx = st.db.begin().await?;
    let c = match by {
        ProgressBy::Reviewer(cap) => tx_core(&mut tx, id, Some(Lens::review(cap))).await?,
        ProgressBy::Handler(cap) => {
            let c = tx_for_department(&mut tx, cap, id).await?;
            let assigned = match c.handler {
                Some(h) => crate::org::units::tx_in_scope(&mut tx, cap.scope(), h).await?,
                None => false,
            };
            if !assigned {
                return Err(invalid("note", t::NOT_ASSIGNED));
            }
            c
        }
    };
    step(&c, ProposalStep::Progress)?;
    let ts = now();
    on_tx!(&mut tx, |cx| {
        sqlx::query(
        "INSERT INTO proposal_progress (proposal_id, status, percent, note, at, recorded_by) VALUES ($1, $2, $3, $4, $5, $6)"
    )
    .bind(id.0)
    .bind(p.status.code())
    .bind(i64::from(p.percent))
    .bind(&p.note)
    .bind(ts)
    .bind(who.account.map(|a| a.0))
    .execute(&mut *cx)
    .await
    .map(|r| r.rows_affected())
    })?;
    let done = p.status == ImplementationStatus::Done;
    let status = if done {
        ProposalStatus::Closed
    } else {
        ProposalStatus::Implementing
    };
    let mut args = vec![
        Arg::Text(p.status.code().into()),
        Arg::I64(i64::from(p.percent)),
        Arg::Text(status.code().into()),
    ];
    let sets = if done {
        args.push(Arg::Ts(ts));
        "implementation = $1, implementation_percent = $2, status = $3, closed_at = $4"
    } else {
        "implementation = $1, implementation_percent = $2, status = $3"
    };
    bump(&mut tx, id, sets, args).await?;
    let mut ch = Changes::new();
    ch.field("implementation", None, Some(&p.status.code()))
        .field("percent", None, Some(&p.percent))
        .field("note", None, Some(&p.note))
        .field("status", Some(&c.status.code()), Some(&status.code()));
    log(
        &mut tx,
        &st.cipher,
        who,
        "proposal.progress",
        ("proposal", id.0),
        c.school,
        &ch,
    )
    .await?;
    tx.commit().await?;
    Ok(status)
}

/// Reminds the department of an overdue reply (once a day at most; again is no change).
/// Returns whether a reminder was recorded.
pub async fn remind(
    st: &Store,
    cap: &Cap<perm::ProposalReview>,
    who: &Who,
    id: ProposalId,
    today: NaiveDate,
) -> Result<bool, StoreError> {
    let mut tx = st.db.begin().await?;
    let c = tx_core(&mut tx, id, Some(Lens::review(cap))).await?;
    step(&c, ProposalStep::Remind)?;
    if c.reply_due.is_none_or(|d| d >= today) {
        return Err(invalid("status", t::STEP_NOT_ALLOWED));
    }
    let n = on_tx!(&mut tx, |cx| {
        sqlx::query(
        "INSERT INTO proposal_reminder (proposal_id, round, reminded_on, reminded_by) VALUES ($1, $2, $3, $4)
         ON CONFLICT (proposal_id, round, reminded_on) DO NOTHING"
    )
    .bind(id.0)
    .bind(c.round)
    .bind(today)
    .bind(who.account.map(|a| a.0))
    .execute(&mut *cx)
    .await
    .map(|r| r.rows_affected())
    })?;
    if n > 0 {
        // The reminder reaches people in the same transaction that records it.
        crate::notify::proposal_overdue(&mut tx, id.0, today, crate::now()).await?;
        let mut ch = Changes::new();
        ch.field("reminded_on", None, Some(&today))
            .field("round", None, Some(&c.round));
        log(
            &mut tx,
            &st.cipher,
            who,
            "proposal.remind",
            ("proposal", id.0),
            c.school,
            &ch,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(n > 0)
}

/// Reminds every overdue reply in scope at once (for the committee, or a daily job).
/// Returns how many reminders were recorded.
pub async fn remind_overdue(
    st: &Store,
    cap: &Cap<perm::ProposalReview>,
    who: &Who,
    today: NaiveDate,
) -> Result<u64, StoreError> {
    let mut tx = st.db.begin().await?;
    let mut sql = Sql::new(
        "SELECT p.id, p.round, p.school_union_id FROM proposal p WHERE p.status = 'handling' AND p.reply_due < ",
    );
    sql.bind(Arg::Date(today));
    crate::scope::restrict(&mut sql, "p.school_union_id", cap.scope());
    sql.push(" AND NOT EXISTS (SELECT 1 FROM proposal_reminder r WHERE r.proposal_id = p.id AND r.round = p.round AND r.reminded_on = ")
        .bind(Arg::Date(today))
        .push(") ORDER BY p.id");
    let due: Vec<(i64, i64, i64)> = sql.fetch_all_tx(&mut tx).await?;
    let mut changes = Vec::with_capacity(due.len());
    for (id, round, _) in &due {
        on_tx!(&mut tx, |cx| {
            sqlx::query(
            "INSERT INTO proposal_reminder (proposal_id, round, reminded_on, reminded_by) VALUES ($1, $2, $3, $4)"
        )
        .bind(*id)
        .bind(*round)
        .bind(today)
        .bind(who.account.map(|a| a.0))
        .execute(&mut *cx)
        .await
        .map(|r| r.rows_affected())
        })?;
        crate::notify::proposal_overdue(&mut tx, *id, today, crate::now()).await?;
        let mut ch = Changes::new();
        ch.field("reminded_on", None, Some(&today))
            .field("round", None, Some(round));
        changes.push(ch);
    }
    let events: Vec<crate::audit::Event<'_>> = due
        .iter()
        .zip(changes.iter())
        .map(|((id, _, school), ch)| crate::audit::Event {
            action: "proposal.remind",
            entity_type: "proposal",
            entity_id: Some(*id),
            org_unit: Some(OrgUnitId(*school)),
            changes: ch,
        })
        .collect();
    crate::audit::append_many(&mut tx, &st.cipher, who, &events).await?;
    tx.commit().await?;
    Ok(due.len() as u64)
}
