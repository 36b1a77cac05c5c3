//! The core of every step: a proposal's state read inside the step's transaction, the
//! check that the state allows the step, and the bump of its version.
//!
//! Only the step modules of `proposals` use this; nothing here is public.

use super::read::*;
use crate::StoreError;
use crate::congress::{coded, invalid_with};
use crate::db::{Arg, Sql, Tx, now};
use chrono::NaiveDate;
use domain::FieldError;
use domain::auth::Scope;
use domain::congress::{DelegateId, MeetingId, TermId};
use domain::ids::{MemberId, OrgUnitId};
use domain::org::Coded;
use domain::proposals::{ProposalId, ProposalStatus, ProposalStep};
use domain::text as t;

/// What a step needs to know about a proposal, read inside its transaction.
#[derive(Clone, Debug)]
pub(super) struct Core {
    pub(super) school: OrgUnitId,
    pub(super) term: TermId,
    pub(super) meeting: MeetingId,
    pub(super) status: ProposalStatus,
    pub(super) proposer: DelegateId,
    pub(super) proposer_member: MemberId,
    pub(super) title: String,
    pub(super) reasons: String,
    pub(super) measures: String,
    pub(super) round: i64,
    pub(super) handler: Option<OrgUnitId>,
    pub(super) reply_due: Option<NaiveDate>,
}

#[derive(sqlx::FromRow)]
pub(super) struct CoreRow {
    pub(super) school_union_id: i64,
    pub(super) term_id: i64,
    pub(super) meeting_id: i64,
    pub(super) status: String,
    pub(super) proposer_id: i64,
    pub(super) proposer_member: i64,
    pub(super) title: String,
    pub(super) reasons: String,
    pub(super) measures: String,
    pub(super) round: i64,
    pub(super) handler_unit_id: Option<i64>,
    pub(super) reply_due: Option<NaiveDate>,
}

pub(super) const CORE_SELECT: &str = "SELECT p.school_union_id, p.term_id, p.meeting_id, p.status, p.proposer_id, pd.member_id AS proposer_member, p.title, p.reasons, p.measures, p.round, p.handler_unit_id, p.reply_due
     FROM proposal p JOIN delegate pd ON pd.id = p.proposer_id WHERE p.id = ";

pub(super) async fn tx_core(
    tx: &mut Tx,
    id: ProposalId,
    lens: Option<Lens<'_>>,
) -> Result<Core, StoreError> {
    let mut sql = Sql::new(CORE_SELECT);
    sql.bind(Arg::I64(id.0));
    if let Some(l) = lens {
        l.restrict(&mut sql);
    }
    let r: CoreRow = sql.fetch_one_tx(tx).await?;
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
pub(super) async fn tx_own(
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

pub(super) fn step(c: &Core, s: ProposalStep) -> Result<(), StoreError> {
    if c.status.allows(s) {
        Ok(())
    } else {
        Err(invalid_with(
            FieldError::new("status", t::STEP_NOT_ALLOWED).arg("status", c.status.code()),
        ))
    }
}

pub(super) async fn bump(
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
