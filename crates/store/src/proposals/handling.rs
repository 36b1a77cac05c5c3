//! Review and handling: the committee's decision, the handling department and its
//! deadline, the reply, the proposer's rating (another round while the rules allow),
//! implementation progress and reminders of overdue replies.
//!
//! Every step checks the state first and writes its audit record in the same transaction.

use super::core::*;
use super::read::*;
use crate::audit::Who;
use crate::congress::{invalid, invalid_with, log, log_commit};
use crate::db::{Arg, Sql, Tx, now};
use crate::{Db, Store, StoreError, on_tx};
use chrono::NaiveDate;
use domain::audit::Changes;
use domain::auth::{Cap, perm};
use domain::congress::Acting;
use domain::ids::OrgUnitId;
use domain::org::Coded;
use domain::proposals::{
    Assignment, ImplementationStatus, Progress, ProposalId, ProposalStatus, ProposalStep, Rating,
    Review, ReviewDecision,
};
use domain::text as t;

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
    let (rs, _) = crate::congress::rules::tx_decisive(&mut tx, st, c.school).await?;
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
    // Departments that answer proposals (职能处室) first, teaching groups and union branches
    // after them (issue 25).
    sql.push(
        " ORDER BY CASE WHEN u.branch_role = 'department' THEN 0 ELSE 1 END, u.sort_order, u.id",
    );
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
    let (rs, rules) = crate::congress::rules::tx_decisive(&mut tx, st, c.school).await?;
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
        domain::proposals::after_rating(rating, u32::try_from(c.round).unwrap_or(u32::MAX), &rules);
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
    log_commit(
        tx,
        &st.cipher,
        who,
        "proposal.rate",
        ("proposal", id.0),
        c.school,
        &ch,
    )
    .await?;
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
    log_commit(
        tx,
        &st.cipher,
        who,
        "proposal.progress",
        ("proposal", id.0),
        c.school,
        &ch,
    )
    .await?;
    Ok(status)
}

/// Reminds the department of an overdue reply (once a day at most, counting the daily
/// scan's reminder: again is no change). Returns whether a reminder was recorded.
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
    // The daily scan already reminded the department today: the same reminder twice in a
    // day is noise (the scan, for its part, skips a reply reminded by hand that day).
    if !crate::notify::reminded_by_scan(&mut tx, &[(id.0, c.round, c.school.0)], today)
        .await?
        .is_empty()
    {
        return Ok(false);
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

/// Reminds every overdue reply in scope at once (for the committee), except those already
/// reminded today, by hand or by the daily scan. Returns how many reminders were recorded.
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
    let mut due: Vec<(i64, i64, i64)> = sql.fetch_all_tx(&mut tx).await?;
    // Those the daily scan already reminded today are not reminded again.
    let told = crate::notify::reminded_by_scan(&mut tx, &due, today).await?;
    due.retain(|(id, _, _)| !told.contains(id));
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
