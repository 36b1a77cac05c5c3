//! The member assembly's secret ballot through voting's polls: the school puts its
//! approved candidate list to a poll of one of its meetings ([`start`]), the members vote
//! on their phones or on paper as in any poll (voting's ballot box, scrutineers, tellers),
//! and once every round is published the election takes its result from the polls
//! ([`take_result`]) and decides it under its own rule set: those due are the voting
//! delegates of the meeting's term who are union members, those present the ones among
//! them who checked in; elected = more than the rule set's share of those due, within the
//! seats by rank. Seats left empty (too few votes, a tie at the last seat) go to a further
//! round among the rest ([`further_round`]), a poll pointing at the round before.
//!
//! Which meeting fits: a member assembly (会员大会) votes in a meeting of the school's
//! all-staff assembly term (every staff member a voter; voting admits only union members
//! to a union election), a member-delegate assembly in a meeting of a delegate term — a
//! local reading. The poll's candidates are the list the upper union approved; voting
//! refuses to change them. Nothing here renders text or reads a ballot: only published
//! counts. Every write is audited in its transaction and filtered by the capability's scope.

use super::committees::{ELECTION_SELECT, ElectionRow, ElectionTuple, election_row};
use super::workflow::{advance, expect, row_tx};
use super::{coded, rules, t};
use crate::audit::{Event, Who};
use crate::db::{Arg, Sql, Tx, now};
use crate::{Store, StoreError};
use chrono::NaiveDate;
use domain::FieldError;
use domain::audit::Changes;
use domain::auth::{Cap, perm};
use domain::congress::{CongressMode, MeetingId};
use domain::elections::*;
use domain::ids::MemberId;
use domain::org::Coded;
use domain::voting::{PollId, PollResult, PollStatus, Standing};
use std::collections::HashMap;

/// One round of an election's vote.
#[derive(Clone, Debug, PartialEq)]
pub struct Round {
    pub poll: PollId,
    pub meeting: MeetingId,
    pub round: u32,
    pub seats: u32,
    pub status: PollStatus,
}

/// A meeting the vote may be held in.
#[derive(Clone, Debug, PartialEq)]
pub struct MeetingChoice {
    pub id: MeetingId,
    pub date: NaiveDate,
    pub place: String,
    pub term_number: i64,
}

fn mode_of(a: Assembly) -> CongressMode {
    match a {
        Assembly::Members => CongressMode::Assembly,
        Assembly::Delegates => CongressMode::Congress,
    }
}

async fn row_view(
    st: &Store,
    cap: &Cap<perm::ElectionView>,
    id: ElectionId,
) -> Result<ElectionRow, StoreError> {
    let mut q = Sql::new(ELECTION_SELECT);
    q.push(" AND e.id = ").bind(Arg::I64(id.0));
    crate::scope::restrict(&mut q, "e.school_union_id", cap.scope());
    let r: ElectionTuple = q.fetch_one(&st.db).await?;
    election_row(r)
}

/// The rounds of an election in scope, first to last (one query after the election).
pub async fn rounds(
    st: &Store,
    cap: &Cap<perm::ElectionView>,
    id: ElectionId,
) -> Result<Vec<Round>, StoreError> {
    let row = row_view(st, cap, id).await?;
    let mut q =
        Sql::new("SELECT id, meeting_id, round, seats, status FROM poll WHERE election_id = ");
    q.bind(Arg::I64(row.id.0)).push(" ORDER BY round, id");
    let rows: Vec<(i64, i64, i64, i64, String)> = q.fetch_all(&st.db).await?;
    rows.into_iter().map(round_of).collect()
}

fn round_of(r: (i64, i64, i64, i64, String)) -> Result<Round, StoreError> {
    Ok(Round {
        poll: PollId(r.0),
        meeting: MeetingId(r.1),
        round: r.2 as u32,
        seats: r.3 as u32,
        status: coded(&r.4)?,
    })
}

async fn rounds_tx(
    tx: &mut Tx,
    id: ElectionId,
) -> Result<Vec<(Round, Option<String>)>, StoreError> {
    let mut q = Sql::new(
        "SELECT id, meeting_id, round, seats, status, result FROM poll WHERE election_id = ",
    );
    q.bind(Arg::I64(id.0)).push(" ORDER BY round, id");
    #[allow(clippy::type_complexity)]
    let rows: Vec<(i64, i64, i64, i64, String, Option<String>)> = q.fetch_all_tx(tx).await?;
    rows.into_iter()
        .map(|r| Ok((round_of((r.0, r.1, r.2, r.3, r.4))?, r.5)))
        .collect()
}

/// The school's meetings, not closed, of a term that fits the election's assembly: where
/// the vote may be held (one query after the election).
pub async fn meetings(
    st: &Store,
    cap: &Cap<perm::ElectionView>,
    id: ElectionId,
) -> Result<Vec<MeetingChoice>, StoreError> {
    let row = row_view(st, cap, id).await?;
    let mut q = Sql::new(
        "SELECT m.id, m.meeting_date, m.place, t.number FROM congress_meeting m JOIN congress_term t ON t.id = m.term_id WHERE m.status <> 'closed' AND m.school_union_id = ",
    );
    q.bind(Arg::I64(row.school_union_id.0))
        .push(" AND t.mode = ")
        .bind(Arg::Text(mode_of(row.assembly).code().into()))
        .push(" ORDER BY m.meeting_date, m.id");
    let rows: Vec<(i64, NaiveDate, String, i64)> = q.fetch_all(&st.db).await?;
    Ok(rows
        .into_iter()
        .map(|r| MeetingChoice {
            id: MeetingId(r.0),
            date: r.1,
            place: r.2,
            term_number: r.3,
        })
        .collect())
}

fn vote_err(key: &'static str) -> StoreError {
    StoreError::Invalid(domain::FieldErrors(vec![FieldError::new("vote", key)]))
}

#[allow(clippy::too_many_arguments)]
async fn insert_round(
    tx: &mut Tx,
    who: &Who,
    row: &ElectionRow,
    meeting: MeetingId,
    title: &str,
    seats: u32,
    round: u32,
    parent: Option<PollId>,
    candidates: &[(MemberId, String)],
) -> Result<PollId, StoreError> {
    let mut q = Sql::new(
        "INSERT INTO poll (meeting_id, school_union_id, kind, mode, title, seats, competitive, by_election, round, parent_id, status, created_at, created_by, union_office, election_id) VALUES (",
    );
    q.bind(Arg::I64(meeting.0))
        .push(", ")
        .bind(Arg::I64(row.school_union_id.0))
        .push(", 'election', 'secret', ")
        .bind(Arg::Text(title.into()))
        .push(", ")
        .bind(Arg::I64(i64::from(seats)))
        .push(", ")
        .bind(Arg::Bool(candidates.len() as u32 > seats))
        .push(", ")
        .bind(Arg::Bool(row.kind == ElectionKind::By))
        .push(", ")
        .bind(Arg::I64(i64::from(round)))
        .push(", ")
        .bind(Arg::OptI64(parent.map(|p| p.0)))
        .push(", 'draft', ")
        .bind(Arg::Ts(now()))
        .push(", ")
        .bind(Arg::OptI64(who.account.map(|a| a.0)))
        .push(", 'committee', ")
        .bind(Arg::I64(row.id.0))
        .push(") RETURNING id");
    let (poll,): (i64,) = q.fetch_one_tx(tx).await?;
    for (i, (m, name)) in candidates.iter().enumerate() {
        let mut q =
            Sql::new("INSERT INTO poll_option (poll_id, position, label, member_id) VALUES (");
        q.bind(Arg::I64(poll))
            .push(", ")
            .bind(Arg::I64(i as i64 + 1))
            .push(", ")
            .bind(Arg::Text(name.clone()))
            .push(", ")
            .bind(Arg::I64(m.0))
            .push(")");
        q.execute_tx(tx).await?;
    }
    Ok(PollId(poll))
}

async fn commit_audit(
    tx: Tx,
    st: &Store,
    who: &Who,
    action: &'static str,
    row: &ElectionRow,
    ch: &Changes,
) -> Result<(), StoreError> {
    crate::kit::audit_commit(
        tx,
        &st.cipher,
        who,
        Event {
            action,
            entity_type: "election",
            entity_id: Some(row.id.0),
            org_unit: Some(row.school_union_id),
            changes: ch,
        },
    )
    .await
}

/// The school puts its approved candidate list to a secret poll (round 1) in one of its
/// meetings that is not closed and fits the assembly. Refused before the upper union
/// approved the list, for a meeting of another school (as missing), and once a vote has
/// started. `meeting` is the form's value; `title` the poll's title in the reader's words.
pub async fn start(
    st: &Store,
    cap: &Cap<perm::ElectionManage>,
    who: &Who,
    id: ElectionId,
    meeting: &str,
    title: &str,
) -> Result<PollId, StoreError> {
    let mut tx = st.db.begin().await?;
    let row = row_tx(&mut tx, cap.scope(), id).await?;
    expect(&row, ElectionStatus::SlateApproved)?;
    // The chair's own ballot is not a poll yet: an election whose assembly elects the chair
    // records the tellers' counts of both ballots on the result form.
    let (_, r) = rules::effective_tx(&mut tx, row.school_union_id).await?;
    if super::workflow::direct_chair(&row, &r) {
        return Err(vote_err(t::VOTE_CHAIR_DIRECT));
    }
    let Ok(meeting) = domain::roster::normalize(meeting.trim()).parse::<i64>() else {
        return Err(vote_err(t::VOTE_MEETING));
    };
    let mut q = Sql::new("SELECT CAST(COUNT(*) AS BIGINT) FROM poll WHERE election_id = ");
    q.bind(Arg::I64(id.0));
    let (started,): (i64,) = q.fetch_one_tx(&mut tx).await?;
    if started > 0 {
        return Err(vote_err(t::VOTE_STARTED));
    }
    let mut q = Sql::new(
        "SELECT m.status, t.mode FROM congress_meeting m JOIN congress_term t ON t.id = m.term_id WHERE m.id = ",
    );
    q.bind(Arg::I64(meeting))
        .push(" AND m.school_union_id = ")
        .bind(Arg::I64(row.school_union_id.0));
    let found: Vec<(String, String)> = q.fetch_all_tx(&mut tx).await?;
    let Some((status, mode)) = found.into_iter().next() else {
        return Err(vote_err(t::VOTE_MEETING));
    };
    if status == "closed" || mode != mode_of(row.assembly).code() {
        return Err(vote_err(t::VOTE_MEETING));
    }
    let mut q = Sql::new(
        "SELECT c.member_id, m.name FROM election_candidate c JOIN member m ON m.id = c.member_id WHERE c.election_id = ",
    );
    q.bind(Arg::I64(id.0)).push(" ORDER BY c.position, c.id");
    let cands: Vec<(i64, String)> = q.fetch_all_tx(&mut tx).await?;
    let cands: Vec<(MemberId, String)> = cands.into_iter().map(|(m, n)| (MemberId(m), n)).collect();
    let title: String = title.chars().take(200).collect();
    let poll = insert_round(
        &mut tx,
        who,
        &row,
        MeetingId(meeting),
        &title,
        row.seats as u32,
        1,
        None,
        &cands,
    )
    .await?;
    let mut ch = Changes::new();
    ch.note("poll", poll.0)
        .note("meeting", meeting)
        .note("candidates", cands.len() as i64);
    commit_audit(tx, st, who, "election.vote_start", &row, &ch).await?;
    Ok(poll)
}

/// What the published rounds decide: the elected in rank order (round by round), each
/// standing's votes in the last round they stood in, the quorum and threshold, the seats
/// left, and who would stand in a further round.
struct Decided {
    due: u32,
    present: u32,
    held_on: NaiveDate,
    outcome: Outcome,
    elected: Vec<MemberId>,
    votes: HashMap<MemberId, u32>,
    /// In the order they stood.
    standing: Vec<MemberId>,
    next: Vec<MemberId>,
    last: Round,
}

async fn decide_rounds(
    tx: &mut Tx,
    row: &ElectionRow,
    r: &ElectionRules,
) -> Result<Decided, StoreError> {
    let rounds = rounds_tx(tx, row.id).await?;
    let Some((last, _)) = rounds.last().cloned() else {
        return Err(vote_err(t::VOTE_NONE));
    };
    if rounds
        .iter()
        .any(|(x, _)| x.status != PollStatus::Published)
    {
        return Err(vote_err(t::VOTE_NOT_PUBLISHED));
    }
    // Those due: the voting delegates of the meeting's term who are union members; those
    // present: the ones among them who checked in at the meeting.
    let mut q = Sql::new(
        "SELECT CAST(COUNT(*) AS BIGINT), CAST(COALESCE(SUM(CASE WHEN c.delegate_id IS NULL THEN 0 ELSE 1 END), 0) AS BIGINT), MAX(mt.meeting_date) FROM congress_meeting mt JOIN delegate d ON d.term_id = mt.term_id JOIN member m ON m.id = d.member_id LEFT JOIN check_in c ON c.meeting_id = mt.id AND c.delegate_id = d.id WHERE d.kind = 'delegate' AND d.ended_on IS NULL AND m.union_member AND mt.id = ",
    );
    q.bind(Arg::I64(last.meeting.0));
    let (due, present, date): (i64, i64, Option<NaiveDate>) = q.fetch_one_tx(tx).await?;
    let (due, present) = (due as u32, present as u32);
    let mut q = Sql::new(
        "SELECT o.id, o.member_id FROM poll_option o JOIN poll p ON p.id = o.poll_id WHERE p.election_id = ",
    );
    q.bind(Arg::I64(row.id.0));
    let opts: Vec<(i64, Option<i64>)> = q.fetch_all_tx(tx).await?;
    let opts: HashMap<i64, i64> = opts
        .into_iter()
        .filter_map(|(o, m)| m.map(|m| (o, m)))
        .collect();
    let mut elected = Vec::new();
    let mut votes = HashMap::new();
    let mut standing = Vec::new();
    let mut next = Vec::new();
    let mut seats_left = row.seats as u32;
    let mut outcome = None;
    for (round, result) in &rounds {
        let Some(Ok(PollResult::Election(res))) =
            result.as_deref().map(serde_json::from_str::<PollResult>)
        else {
            return Err(StoreError::Other(
                "an election poll without its result".into(),
            ));
        };
        let mut who: Vec<MemberId> = Vec::with_capacity(res.rows.len());
        let mut v: Vec<u32> = Vec::with_capacity(res.rows.len());
        for x in &res.rows {
            let m = match x.who {
                Standing::Candidate(o) => opts.get(&o.0).copied().map(MemberId),
                Standing::WriteIn(m) => Some(m),
            };
            if let Some(m) = m {
                who.push(m);
                v.push(x.votes_for);
                votes.insert(m, x.votes_for);
                if !standing.contains(&m) {
                    standing.push(m);
                }
            }
        }
        let out = decide(due, present, &v, round.seats.min(seats_left), r)
            .map_err(StoreError::Invalid)?;
        for i in &out.elected {
            elected.push(who[*i]);
        }
        seats_left -= out.elected.len() as u32;
        // A further round: those tied at the last seat, or else everyone not elected.
        let tied: Vec<MemberId> = (0..who.len())
            .filter(|i| v[*i] >= out.elect_needed && !out.elected.contains(i))
            .map(|i| who[i])
            .collect();
        next = if tied.is_empty() {
            (0..who.len())
                .filter(|i| !out.elected.contains(i))
                .map(|i| who[i])
                .collect()
        } else {
            tied
        };
        outcome = Some(out);
    }
    let Some(mut outcome) = outcome else {
        return Err(vote_err(t::VOTE_NONE));
    };
    outcome.unfilled = seats_left;
    outcome.elected = elected
        .iter()
        .filter_map(|m| standing.iter().position(|s| s == m))
        .collect();
    Ok(Decided {
        due,
        present,
        held_on: date.unwrap_or_else(|| now().date_naive()),
        outcome,
        elected,
        votes,
        standing,
        next,
        last,
    })
}

/// A further round for the seats left empty, among those tied at the last seat (or else
/// everyone not elected), in the same meeting. Refused while a round is not published,
/// when every seat is filled, and when the meeting has closed.
pub async fn further_round(
    st: &Store,
    cap: &Cap<perm::ElectionManage>,
    who: &Who,
    id: ElectionId,
) -> Result<PollId, StoreError> {
    let mut tx = st.db.begin().await?;
    let row = row_tx(&mut tx, cap.scope(), id).await?;
    expect(&row, ElectionStatus::SlateApproved)?;
    let (_, r) = rules::effective_tx(&mut tx, row.school_union_id).await?;
    let d = decide_rounds(&mut tx, &row, &r).await?;
    if d.outcome.unfilled == 0 || d.next.is_empty() {
        return Err(vote_err(t::VOTE_NO_ROUND));
    }
    let mut q = Sql::new("SELECT status FROM congress_meeting WHERE id = ");
    q.bind(Arg::I64(d.last.meeting.0));
    let (status,): (String,) = q.fetch_one_tx(&mut tx).await?;
    if status == "closed" {
        return Err(vote_err(t::VOTE_MEETING));
    }
    let mut q = Sql::new("SELECT title FROM poll WHERE id = ");
    q.bind(Arg::I64(d.last.poll.0));
    let (title,): (String,) = q.fetch_one_tx(&mut tx).await?;
    let mut cands = Vec::with_capacity(d.next.len());
    for m in &d.next {
        let mut q = Sql::new("SELECT name FROM member WHERE id = ");
        q.bind(Arg::I64(m.0));
        let (name,): (String,) = q.fetch_one_tx(&mut tx).await?;
        cands.push((*m, name));
    }
    let poll = insert_round(
        &mut tx,
        who,
        &row,
        d.last.meeting,
        &title,
        d.outcome.unfilled,
        d.last.round + 1,
        Some(d.last.poll),
        &cands,
    )
    .await?;
    let mut ch = Changes::new();
    ch.note("poll", poll.0)
        .note("round", i64::from(d.last.round + 1))
        .note("seats", i64::from(d.outcome.unfilled))
        .note("candidates", cands.len() as i64);
    commit_audit(tx, st, who, "election.vote_round", &row, &ch).await?;
    Ok(poll)
}

/// The school takes the assembly's result from the published rounds: the quorum and who
/// is elected are decided under the election's rule set in force and recorded with its
/// version, as the typed result would be. A write-in who stood is added to the list.
pub async fn take_result(
    st: &Store,
    cap: &Cap<perm::ElectionManage>,
    who: &Who,
    id: ElectionId,
    today: NaiveDate,
) -> Result<Outcome, StoreError> {
    let mut tx = st.db.begin().await?;
    let row = row_tx(&mut tx, cap.scope(), id).await?;
    expect(&row, ElectionStatus::SlateApproved)?;
    let (rule_id, r) = rules::effective_tx(&mut tx, row.school_union_id).await?;
    let d = decide_rounds(&mut tx, &row, &r).await?;
    let mut q = Sql::new(
        "SELECT member_id, CAST(COALESCE(MAX(position), 0) AS BIGINT) FROM election_candidate WHERE election_id = ",
    );
    q.bind(Arg::I64(id.0)).push(" GROUP BY member_id");
    let listed: Vec<(i64, i64)> = q.fetch_all_tx(&mut tx).await?;
    let mut next_pos = listed.iter().map(|x| x.1).max().unwrap_or(0) + 1;
    for m in &d.standing {
        if !listed.iter().any(|x| x.0 == m.0) {
            let mut q = Sql::new(
                "INSERT INTO election_candidate (election_id, member_id, position, elected) VALUES (",
            );
            q.bind(Arg::I64(id.0))
                .push(", ")
                .bind(Arg::I64(m.0))
                .push(", ")
                .bind(Arg::I64(next_pos))
                .push(", FALSE)");
            q.execute_tx(&mut tx).await?;
            next_pos += 1;
        }
    }
    let mut q = Sql::new(
        "UPDATE election_candidate SET votes = NULL, elected = FALSE WHERE election_id = ",
    );
    q.bind(Arg::I64(id.0));
    q.execute_tx(&mut tx).await?;
    for m in &d.standing {
        let v = d.votes.get(m).copied().unwrap_or(0);
        let mut q = Sql::new("UPDATE election_candidate SET votes = ");
        q.bind(Arg::I64(i64::from(v)))
            .push(", elected = ")
            .bind(Arg::Bool(d.elected.contains(m)))
            .push(" WHERE election_id = ")
            .bind(Arg::I64(id.0))
            .push(" AND member_id = ")
            .bind(Arg::I64(m.0));
        q.execute_tx(&mut tx).await?;
    }
    let mut q = Sql::new("UPDATE election SET voters_due = ");
    q.bind(Arg::I64(i64::from(d.due)))
        .push(", present = ")
        .bind(Arg::I64(i64::from(d.present)))
        .push(", held_on = ")
        .bind(Arg::Date(d.held_on))
        .push(" WHERE id = ")
        .bind(Arg::I64(id.0));
    q.execute_tx(&mut tx).await?;
    let mut ch = Changes::new();
    ch.note("due", d.due)
        .note("present", d.present)
        .note("quorum_needed", d.outcome.quorum_needed)
        .note("elect_needed", d.outcome.elect_needed)
        .note("elected", d.elected.len() as i64)
        .note("unfilled", d.outcome.unfilled)
        .note("rounds", i64::from(d.last.round))
        .note("poll", d.last.poll.0);
    advance(
        tx,
        st,
        who,
        &row,
        ElectionStatus::Held,
        ElectionStep::Hold,
        rule_id,
        today,
        Some(format!("{}/{}", d.elected.len(), row.seats)),
        ch,
    )
    .await?;
    Ok(d.outcome)
}
