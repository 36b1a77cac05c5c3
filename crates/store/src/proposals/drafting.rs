//! Drafting and seconding: a delegate drafts a proposal for a meeting's collection,
//! invites fellow delegates to second it, they second or decline, and the proposer submits
//! once enough have seconded and the collection window is open.
//!
//! Every step checks the state first and writes its audit record in the same transaction.

use super::core::*;
use crate::audit::Who;
use crate::congress::meetings::{Viewer, tx_meeting};
use crate::congress::{invalid, invalid_with, log, log_commit};
use crate::db::{Arg, Sql, Tx, now};
use crate::{Db, Store, StoreError, on_tx};
use chrono::NaiveDate;
use domain::FieldError;
use domain::audit::Changes;
use domain::auth::perm;
use domain::congress::{Acting, DelegateId, DelegateKind, MeetingId, MeetingStatus, TermId};
use domain::ids::MemberId;
use domain::org::Coded;
use domain::proposals::{ProposalDraft, ProposalId, ProposalStatus, ProposalStep};
use domain::text as t;

/// The voting mandate of `member` in `term`, or the error `err`.
async fn tx_voting_mandate(
    tx: &mut Tx,
    term: TermId,
    member: MemberId,
    err: &'static str,
) -> Result<DelegateId, StoreError> {
    match crate::congress::terms::tx_current_mandate(tx, term, member).await? {
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
    log_commit(
        tx,
        &st.cipher,
        who,
        "proposal.create",
        ("proposal", id),
        m.school_union_id,
        &ch,
    )
    .await?;
    Ok(ProposalId(id))
}

fn window_closed(m: &crate::congress::meetings::Meeting) -> StoreError {
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
    sql.push(" ORDER BY COALESCE(g.sort_order, 999999), d.delegation_id, m.name_pinyin, d.id");
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
    let me = match crate::congress::terms::tx_current_mandate(tx, c.term, acting.member()).await? {
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
    log_commit(
        tx,
        &st.cipher,
        who,
        "proposal.second",
        ("proposal", id.0),
        c.school,
        &ch,
    )
    .await?;
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
    let (rs, rules) = crate::congress::rules::tx_decisive(&mut tx, st, c.school).await?;
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
    log_commit(
        tx,
        &st.cipher,
        who,
        "proposal.submit",
        ("proposal", id.0),
        c.school,
        &ch,
    )
    .await?;
    Ok(Submitted::Now(number))
}
