//! An election from the school's application to the upper union's approval of its result:
//! apply (school) → approve with the number of seats (upper union) → nominate the candidate
//! list (school; the competitive margin checked) → approve the list (upper union) → record
//! the assembly's result (school; quorum and "more than half of those due" decided) →
//! confirm the result (upper union), which seats the elected and, for a general election,
//! starts the new term.
//!
//! Each step is one transaction that checks the status it starts from (a step out of order
//! is refused with a message, never skipped), writes one `election_step` row naming the
//! rule-set version in force and who took it, and ends with its audit record. The school's
//! steps take `Cap<ElectionManage>`, the upper union's `Cap<ElectionApprove>`; both filter
//! the election by the capability's scope, so another school's election looks missing.

use super::committees::{self, ELECTION_SELECT, ElectionRow, ElectionTuple, VACANT, election_row};
use super::{coded, rules, t};
use crate::audit::{Event, Who};
use crate::db::{Arg, Sql, Tx, is_unique_violation, now};
use crate::{Store, StoreError};
use chrono::NaiveDate;
use domain::FieldError;
use domain::audit::Changes;
use domain::auth::{Cap, Scope, perm};
use domain::elections::*;
use domain::ids::{MemberId, OrgUnitId};
use domain::org::Coded;

/// A recorded step: what, when, by whom, under which rule-set version.
#[derive(Clone, Debug, PartialEq)]
pub struct StepRow {
    pub step: ElectionStep,
    pub rule_set_id: ElectionRuleSetId,
    /// The version number of that rule set (per unit).
    pub version: i64,
    pub taken_on: NaiveDate,
    pub taken_by: String,
    pub note: Option<String>,
}

/// A candidate with the votes recorded for them.
#[derive(Clone, Debug, PartialEq)]
pub struct CandidateRow {
    pub id: CandidateId,
    pub member_id: MemberId,
    pub name: String,
    pub votes: Option<i64>,
    pub elected: bool,
}

/// An election with its history and candidates.
#[derive(Clone, Debug, PartialEq)]
pub struct Election {
    pub row: ElectionRow,
    pub steps: Vec<StepRow>,
    pub candidates: Vec<CandidateRow>,
    /// Vacant seats of the committee now (what a by-election may fill).
    pub vacant: i64,
    /// The numbers of the rule-set version of the latest step (the defaults before any).
    pub rules: ElectionRules,
    /// The chair the assembly elected directly, with the votes of the chair's ballot (when
    /// the rule set has the assembly elect the chair).
    pub chair: Option<(MemberId, i64)>,
}

/// Whether the assembly itself elects the chair in this election: a general election of a
/// union committee under a rule set that says so (a by-election fills the seats as they
/// are; the other committees elect their heads themselves).
pub fn direct_chair(row: &ElectionRow, r: &ElectionRules) -> bool {
    r.chair_by == ChairElection::Assembly
        && row.kind == ElectionKind::General
        && row.committee_kind == CommitteeKind::Union
}

/// One election in scope: four queries.
pub async fn get(
    st: &Store,
    cap: &Cap<perm::ElectionView>,
    id: ElectionId,
) -> Result<Election, StoreError> {
    let mut q = Sql::new(ELECTION_SELECT);
    q.push(" AND e.id = ").bind(Arg::I64(id.0));
    crate::scope::restrict(&mut q, "e.school_union_id", cap.scope());
    let row = election_row(q.fetch_one(&st.db).await?)?;
    let mut q = Sql::new(
        "SELECT s.step, s.rule_set_id, r.version, s.taken_on, s.taken_by_label, s.note, r.numbers FROM election_step s JOIN election_rule_set r ON r.id = s.rule_set_id WHERE s.election_id = ",
    );
    q.bind(Arg::I64(id.0)).push(" ORDER BY s.id");
    #[allow(clippy::type_complexity)]
    let rows: Vec<(String, i64, i64, NaiveDate, String, Option<String>, String)> =
        q.fetch_all(&st.db).await?;
    let mut steps = Vec::with_capacity(rows.len());
    let mut numbers = None;
    for r in rows {
        numbers = Some(r.6.clone());
        steps.push(StepRow {
            step: coded(&r.0)?,
            rule_set_id: ElectionRuleSetId(r.1),
            version: r.2,
            taken_on: r.3,
            taken_by: r.4,
            note: r.5,
        });
    }
    let mut q = Sql::new(
        "SELECT c.id, c.member_id, m.name, c.votes, c.elected FROM election_candidate c JOIN member m ON m.id = c.member_id WHERE c.election_id = ",
    );
    q.bind(Arg::I64(id.0)).push(" ORDER BY c.position, c.id");
    let rows: Vec<(i64, i64, String, Option<i64>, bool)> = q.fetch_all(&st.db).await?;
    let candidates = rows
        .into_iter()
        .map(|r| CandidateRow {
            id: CandidateId(r.0),
            member_id: MemberId(r.1),
            name: r.2,
            votes: r.3,
            elected: r.4,
        })
        .collect();
    let mut q = Sql::new(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM committee_seat s LEFT JOIN member m ON m.id = s.member_id WHERE s.ended_on IS NULL AND ",
    );
    q.push(VACANT)
        .push(" AND s.committee_id = ")
        .bind(Arg::I64(row.committee_id.0));
    let vacant = q.fetch_scalar_i64(&st.db).await?;
    let mut q = Sql::new("SELECT chair_member_id, chair_votes FROM election WHERE id = ");
    q.bind(Arg::I64(id.0));
    let (chair_member, chair_votes): (Option<i64>, Option<i64>) = q.fetch_one(&st.db).await?;
    let chair = chair_member.map(|m| (MemberId(m), chair_votes.unwrap_or(0)));
    let rules = match numbers {
        Some(n) => serde_json::from_str(&n)
            .map_err(|e| StoreError::Other(format!("election rule set: {e}")))?,
        None => ElectionRules::default_rules(),
    };
    Ok(Election {
        row,
        steps,
        candidates,
        vacant,
        rules,
        chair,
    })
}

pub(super) async fn row_tx(
    tx: &mut Tx,
    scope: &Scope,
    id: ElectionId,
) -> Result<ElectionRow, StoreError> {
    let mut q = Sql::new(ELECTION_SELECT);
    q.push(" AND e.id = ").bind(Arg::I64(id.0));
    crate::scope::restrict(&mut q, "e.school_union_id", scope);
    let r: ElectionTuple = q.fetch_one_tx(tx).await?;
    election_row(r)
}

async fn vacant_tx(tx: &mut Tx, committee: CommitteeId) -> Result<u32, StoreError> {
    let mut q = Sql::new(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM committee_seat s LEFT JOIN member m ON m.id = s.member_id WHERE s.ended_on IS NULL AND ",
    );
    q.push(VACANT)
        .push(" AND s.committee_id = ")
        .bind(Arg::I64(committee.0));
    let (n,): (i64,) = q.fetch_one_tx(tx).await?;
    Ok(n.max(0) as u32)
}

/// Refuses a step from the wrong status, naming the step the election waits for.
pub(super) fn expect(row: &ElectionRow, from: ElectionStatus) -> Result<(), StoreError> {
    if row.status == from {
        return Ok(());
    }
    let key = if matches!(
        (from, row.status),
        (ElectionStatus::Approved, ElectionStatus::Applied)
            | (ElectionStatus::SlateApproved, ElectionStatus::Nominated)
            | (ElectionStatus::SlateApproved, ElectionStatus::Approved)
            | (ElectionStatus::SlateApproved, ElectionStatus::Applied)
    ) {
        t::NOT_APPROVED
    } else {
        t::WRONG_STEP
    };
    Err(StoreError::Invalid(domain::FieldErrors(vec![
        FieldError::new("status", key).arg("status", row.status.code()),
    ])))
}

/// Moves the election on and records the step with the rule-set version in force.
#[allow(clippy::too_many_arguments)]
pub(super) async fn advance(
    mut tx: Tx,
    st: &Store,
    who: &Who,
    row: &ElectionRow,
    to: ElectionStatus,
    step: ElectionStep,
    rule_set: ElectionRuleSetId,
    on: NaiveDate,
    note: Option<String>,
    mut ch: Changes,
) -> Result<(), StoreError> {
    let mut q = Sql::new("UPDATE election SET status = ");
    q.bind(Arg::Text(to.code().into()))
        .push(", step_on = ")
        .bind(Arg::Date(on))
        .push(", updated_at = ")
        .bind(Arg::Ts(now()))
        .push(" WHERE id = ")
        .bind(Arg::I64(row.id.0))
        .push(" AND status = ")
        .bind(Arg::Text(row.status.code().into()));
    if q.execute_tx(&mut tx).await? != 1 {
        return Err(StoreError::Stale);
    }
    record_step(&mut tx, row.id, step, rule_set, on, who, note).await?;
    ch.field("status", Some(&row.status.code()), Some(&to.code()))
        .note("rule_set", rule_set.0);
    crate::kit::audit_commit(
        tx,
        &st.cipher,
        who,
        Event {
            action: match step {
                ElectionStep::Apply => "election.apply",
                ElectionStep::Approve => "election.approve",
                ElectionStep::Nominate => "election.nominate",
                ElectionStep::ApproveSlate => "election.approve_slate",
                ElectionStep::Hold => "election.hold",
                ElectionStep::Confirm => "election.confirm",
            },
            entity_type: "election",
            entity_id: Some(row.id.0),
            org_unit: Some(row.school_union_id),
            changes: &ch,
        },
    )
    .await
}

async fn record_step(
    tx: &mut Tx,
    id: ElectionId,
    step: ElectionStep,
    rule_set: ElectionRuleSetId,
    on: NaiveDate,
    who: &Who,
    note: Option<String>,
) -> Result<(), StoreError> {
    let mut q = Sql::new(
        "INSERT INTO election_step (election_id, step, rule_set_id, taken_on, taken_at, taken_by, taken_by_label, note) VALUES (",
    );
    q.bind(Arg::I64(id.0))
        .push(", ")
        .bind(Arg::Text(step.code().into()))
        .push(", ")
        .bind(Arg::I64(rule_set.0))
        .push(", ")
        .bind(Arg::Date(on))
        .push(", ")
        .bind(Arg::Ts(now()))
        .push(", ")
        .bind(Arg::OptI64(who.account.map(|a| a.0)))
        .push(", ")
        .bind(Arg::Text(who.label.clone()))
        .push(", ")
        .bind(Arg::OptText(note))
        .push(")");
    q.execute_tx(tx).await?;
    Ok(())
}

/// The school applies to the upper union for a general election or a by-election. A
/// by-election needs vacant seats and asks for no more than there are; a general
/// election's term length must be one the rule set allows. One election at a time per
/// committee.
pub async fn apply(
    st: &Store,
    cap: &Cap<perm::ElectionManage>,
    who: &Who,
    committee: CommitteeId,
    input: &ApplyInput,
    today: NaiveDate,
) -> Result<ElectionId, StoreError> {
    let mut tx = st.db.begin().await?;
    let mut q = Sql::new("SELECT c.school_union_id FROM committee c WHERE c.id = ");
    q.bind(Arg::I64(committee.0));
    crate::scope::restrict(&mut q, "c.school_union_id", cap.scope());
    let (school,): (i64,) = q.fetch_one_tx(&mut tx).await?;
    let school = OrgUnitId(school);
    let (rule_id, r) = rules::effective_tx(&mut tx, school).await?;
    let d = input.parse(&r).map_err(StoreError::Invalid)?;
    if d.kind == ElectionKind::By {
        let vacant = vacant_tx(&mut tx, committee).await?;
        if vacant == 0 {
            return Err(StoreError::field("kind", t::NOT_VACANT));
        }
        if d.seats > vacant {
            return Err(StoreError::Invalid(domain::FieldErrors(vec![
                FieldError::new("seats", t::BY_ELECTION_SEATS).arg("vacant", vacant),
            ])));
        }
    }
    let mut q = Sql::new(
        "INSERT INTO election (committee_id, school_union_id, kind, status, seats, assembly, term_years, step_on, created_at, updated_at) VALUES (",
    );
    q.bind(Arg::I64(committee.0))
        .push(", ")
        .bind(Arg::I64(school.0))
        .push(", ")
        .bind(Arg::Text(d.kind.code().into()))
        .push(", 'applied', ")
        .bind(Arg::I64(i64::from(d.seats)))
        .push(", ")
        .bind(Arg::Text(d.assembly.code().into()))
        .push(", ")
        .bind(Arg::OptI64(d.term_years.map(i64::from)))
        .push(", ")
        .bind(Arg::Date(today))
        .push(", ")
        .bind(Arg::Ts(now()))
        .push(", ")
        .bind(Arg::Ts(now()))
        .push(") RETURNING id");
    let (id,): (i64,) = match q.fetch_one_tx(&mut tx).await {
        Ok(id) => id,
        Err(StoreError::Sqlx(e)) if is_unique_violation(&e) => {
            return Err(StoreError::field("kind", t::IN_PROGRESS));
        }
        Err(e) => return Err(e),
    };
    let id = ElectionId(id);
    record_step(&mut tx, id, ElectionStep::Apply, rule_id, today, who, None).await?;
    let mut ch = Changes::new();
    ch.note("kind", d.kind.code())
        .note("seats", d.seats)
        .note("assembly", d.assembly.code())
        .note("rule_set", rule_id.0);
    crate::kit::audit_commit(
        tx,
        &st.cipher,
        who,
        Event {
            action: "election.apply",
            entity_type: "election",
            entity_id: Some(id.0),
            org_unit: Some(school),
            changes: &ch,
        },
    )
    .await?;
    Ok(id)
}

/// The upper union approves the application (批复) with the number of seats (a by-election
/// no more than the vacant seats).
pub async fn approve(
    st: &Store,
    cap: &Cap<perm::ElectionApprove>,
    who: &Who,
    id: ElectionId,
    seats: &str,
    today: NaiveDate,
) -> Result<(), StoreError> {
    let mut tx = st.db.begin().await?;
    let row = row_tx(&mut tx, cap.scope(), id).await?;
    expect(&row, ElectionStatus::Applied)?;
    let seats: u32 = match domain::roster::normalize(seats.trim()).parse::<u32>() {
        Ok(n) if (1..=99).contains(&n) => n,
        _ => {
            return Err(StoreError::Invalid(domain::FieldErrors(vec![
                FieldError::new("seats", t::SEATS_INVALID).arg("max", 99),
            ])));
        }
    };
    if row.kind == ElectionKind::By {
        let vacant = vacant_tx(&mut tx, row.committee_id).await?;
        if seats > vacant {
            return Err(StoreError::Invalid(domain::FieldErrors(vec![
                FieldError::new("seats", t::BY_ELECTION_SEATS).arg("vacant", vacant),
            ])));
        }
    }
    let (rule_id, _) = rules::effective_tx(&mut tx, row.school_union_id).await?;
    let mut q = Sql::new("UPDATE election SET seats = ");
    q.bind(Arg::I64(i64::from(seats)))
        .push(" WHERE id = ")
        .bind(Arg::I64(id.0));
    q.execute_tx(&mut tx).await?;
    let mut ch = Changes::new();
    ch.field("seats", Some(&row.seats), Some(&i64::from(seats)));
    advance(
        tx,
        st,
        who,
        &row,
        ElectionStatus::Approved,
        ElectionStep::Approve,
        rule_id,
        today,
        Some(format!("{seats}")),
        ch,
    )
    .await
}

/// The school nominates the candidate list (酝酿): members of the school with the right to
/// vote, each once; a union committee's list needs the competitive margin of the rule set
/// in force. A list may be nominated again until the upper union approves it.
pub async fn nominate(
    st: &Store,
    cap: &Cap<perm::ElectionManage>,
    who: &Who,
    id: ElectionId,
    names: &str,
    today: NaiveDate,
) -> Result<(), StoreError> {
    let mut tx = st.db.begin().await?;
    let row = row_tx(&mut tx, cap.scope(), id).await?;
    if row.status != ElectionStatus::Nominated {
        expect(&row, ElectionStatus::Approved)?;
    }
    let (rule_id, r) = rules::effective_tx(&mut tx, row.school_union_id).await?;
    let names = candidate_names(names);
    slate_ok(row.committee_kind, names.len() as u32, row.seats as u32, &r)
        .map_err(|e| StoreError::Invalid(domain::FieldErrors(vec![e])))?;
    let members =
        committees::find_members(&mut tx, row.school_union_id, &names, "candidates").await?;
    let mut q = Sql::new("DELETE FROM election_candidate WHERE election_id = ");
    q.bind(Arg::I64(id.0));
    q.execute_tx(&mut tx).await?;
    let mut q = Sql::new(
        "INSERT INTO election_candidate (election_id, member_id, position, elected) VALUES ",
    );
    for (i, m) in members.iter().enumerate() {
        if i > 0 {
            q.push(", ");
        }
        q.push("(")
            .bind(Arg::I64(id.0))
            .push(", ")
            .bind(Arg::I64(m.0))
            .push(", ")
            .bind(Arg::I64(i as i64))
            .push(", ")
            .bind(Arg::Bool(false))
            .push(")");
    }
    q.execute_tx(&mut tx).await?;
    let mut ch = Changes::new();
    ch.note("candidates", members.len() as i64).note(
        "needed",
        r.candidates_needed(row.committee_kind, row.seats as u32),
    );
    if row.status == ElectionStatus::Nominated {
        // A new list replaces the old one: the step is recorded again, the status stays.
        record_step(
            &mut tx,
            id,
            ElectionStep::Nominate,
            rule_id,
            today,
            who,
            None,
        )
        .await?;
        ch.note("rule_set", rule_id.0);
        return crate::kit::audit_commit(
            tx,
            &st.cipher,
            who,
            Event {
                action: "election.nominate",
                entity_type: "election",
                entity_id: Some(id.0),
                org_unit: Some(row.school_union_id),
                changes: &ch,
            },
        )
        .await;
    }
    advance(
        tx,
        st,
        who,
        &row,
        ElectionStatus::Nominated,
        ElectionStep::Nominate,
        rule_id,
        today,
        Some(format!("{}", members.len())),
        ch,
    )
    .await
}

/// The upper union approves the candidate list. The margin is checked again under the
/// rule set in force now.
pub async fn approve_slate(
    st: &Store,
    cap: &Cap<perm::ElectionApprove>,
    who: &Who,
    id: ElectionId,
    today: NaiveDate,
) -> Result<(), StoreError> {
    let mut tx = st.db.begin().await?;
    let row = row_tx(&mut tx, cap.scope(), id).await?;
    expect(&row, ElectionStatus::Nominated)?;
    let (rule_id, r) = rules::effective_tx(&mut tx, row.school_union_id).await?;
    let mut q =
        Sql::new("SELECT CAST(COUNT(*) AS BIGINT) FROM election_candidate WHERE election_id = ");
    q.bind(Arg::I64(id.0));
    let (n,): (i64,) = q.fetch_one_tx(&mut tx).await?;
    slate_ok(row.committee_kind, n as u32, row.seats as u32, &r)
        .map_err(|e| StoreError::Invalid(domain::FieldErrors(vec![e])))?;
    advance(
        tx,
        st,
        who,
        &row,
        ElectionStatus::SlateApproved,
        ElectionStep::ApproveSlate,
        rule_id,
        today,
        None,
        Changes::new(),
    )
    .await
}

/// The assembly's result as typed by the school: those due with the right to vote, those
/// present, the day, and the votes of each candidate (by candidate id).
#[derive(Clone, Debug, Default)]
pub struct ResultInput {
    pub due: String,
    pub present: String,
    pub held_on: String,
    pub votes: Vec<(CandidateId, String)>,
    /// Votes in the order of the list, for a candidate without an entry in `votes` (a
    /// tellers' sheet typed in list order).
    pub by_position: Vec<String>,
    /// The chair elected directly by the assembly (a candidate id) and the votes of the
    /// chair's ballot; only read when [`direct_chair`].
    pub chair: String,
    pub chair_votes: String,
}

fn count(field: &'static str, key: &'static str, s: &str) -> Result<u32, FieldError> {
    domain::roster::normalize(s.trim())
        .parse::<u32>()
        .map_err(|_| FieldError::new(field, key))
}

/// The school records the assembly's result: the quorum (at least 2/3 of those due
/// present) and who is elected (more than half of those due, within the seats by rank; a
/// tie at the last seat leaves it empty) are decided under the rule set in force and
/// recorded with its version.
pub async fn hold(
    st: &Store,
    cap: &Cap<perm::ElectionManage>,
    who: &Who,
    id: ElectionId,
    input: &ResultInput,
    today: NaiveDate,
) -> Result<Outcome, StoreError> {
    let mut tx = st.db.begin().await?;
    let row = row_tx(&mut tx, cap.scope(), id).await?;
    expect(&row, ElectionStatus::SlateApproved)?;
    // Once a poll of the election has opened, its result comes from the polls only; a
    // poll set up but never opened is withdrawn when the tellers' counts are typed instead.
    let mut q = Sql::new(
        "SELECT CAST(COUNT(*) AS BIGINT), CAST(COALESCE(SUM(CASE WHEN status = 'draft' THEN 0 ELSE 1 END), 0) AS BIGINT) FROM poll WHERE election_id = ",
    );
    q.bind(Arg::I64(id.0));
    let (polls, opened): (i64, i64) = q.fetch_one_tx(&mut tx).await?;
    if opened > 0 {
        return Err(StoreError::field("vote", t::VOTE_STARTED));
    }
    if polls > 0 {
        let mut q = Sql::new(
            "DELETE FROM poll_option WHERE poll_id IN (SELECT id FROM poll WHERE election_id = ",
        );
        q.bind(Arg::I64(id.0)).push(")");
        q.execute_tx(&mut tx).await?;
        let mut q = Sql::new("DELETE FROM poll WHERE election_id = ");
        q.bind(Arg::I64(id.0));
        q.execute_tx(&mut tx).await?;
    }
    let mut e = domain::FieldErrors::default();
    let due = e.take(count("due", t::DUE_INVALID, &input.due));
    let present = e.take(count("present", t::PRESENT_INVALID, &input.present));
    let held_on = e.take(
        NaiveDate::parse_from_str(input.held_on.trim(), "%Y-%m-%d")
            .map_err(|_| FieldError::new("held_on", t::DATE_INVALID)),
    );
    let mut q = Sql::new("SELECT id FROM election_candidate WHERE election_id = ");
    q.bind(Arg::I64(id.0)).push(" ORDER BY position, id");
    let cands: Vec<(i64,)> = q.fetch_all_tx(&mut tx).await?;
    let mut votes = Vec::with_capacity(cands.len());
    for (c,) in &cands {
        let typed = input
            .votes
            .iter()
            .find(|(k, _)| k.0 == *c)
            .map(|(_, v)| v.as_str())
            .or_else(|| input.by_position.get(votes.len()).map(String::as_str))
            .unwrap_or("");
        match count("votes", t::VOTES_INVALID, typed) {
            Ok(v) => votes.push(v),
            Err(err) => {
                if e.get("votes").is_none() {
                    e.push(err);
                }
                votes.push(0);
            }
        }
    }
    let (Some(due), Some(present), Some(held_on)) = (due, present, held_on) else {
        return Err(StoreError::Invalid(e));
    };
    if !e.is_empty() {
        return Err(StoreError::Invalid(e));
    }
    let (rule_id, r) = rules::effective_tx(&mut tx, row.school_union_id).await?;
    let out = decide(due, present, &votes, row.seats as u32, &r).map_err(StoreError::Invalid)?;
    let chair = if direct_chair(&row, &r) {
        let at = domain::roster::normalize(input.chair.trim())
            .parse::<i64>()
            .ok()
            .and_then(|c| cands.iter().position(|x| x.0 == c));
        let v = domain::roster::normalize(input.chair_votes.trim())
            .parse::<u32>()
            .ok();
        decide_chair(&out, present, at, v)
            .map_err(|e| StoreError::Invalid(domain::FieldErrors(vec![e])))?;
        at.zip(v).map(|(i, v)| (cands[i].0, v))
    } else {
        None
    };
    if let Some((c, v)) = chair {
        let mut q = Sql::new(
            "UPDATE election SET chair_member_id = (SELECT member_id FROM election_candidate WHERE id = ",
        );
        q.bind(Arg::I64(c))
            .push("), chair_votes = ")
            .bind(Arg::I64(i64::from(v)))
            .push(" WHERE id = ")
            .bind(Arg::I64(id.0));
        q.execute_tx(&mut tx).await?;
    }
    for (i, (c,)) in cands.iter().enumerate() {
        let mut q = Sql::new("UPDATE election_candidate SET votes = ");
        q.bind(Arg::I64(i64::from(votes[i])))
            .push(", elected = ")
            .bind(Arg::Bool(out.elected.contains(&i)))
            .push(" WHERE id = ")
            .bind(Arg::I64(*c));
        q.execute_tx(&mut tx).await?;
    }
    let mut q = Sql::new("UPDATE election SET voters_due = ");
    q.bind(Arg::I64(i64::from(due)))
        .push(", present = ")
        .bind(Arg::I64(i64::from(present)))
        .push(", held_on = ")
        .bind(Arg::Date(held_on))
        .push(" WHERE id = ")
        .bind(Arg::I64(id.0));
    q.execute_tx(&mut tx).await?;
    let mut ch = Changes::new();
    ch.note("due", due)
        .note("present", present)
        .note("polls_withdrawn", polls)
        .note("quorum_needed", out.quorum_needed)
        .note("elect_needed", out.elect_needed)
        .note("elected", out.elected.len() as i64)
        .note("unfilled", out.unfilled)
        .note("chair_by", r.chair_by.code());
    if let Some((c, v)) = chair {
        ch.note("chair_candidate", c).note("chair_votes", v);
    }
    advance(
        tx,
        st,
        who,
        &row,
        ElectionStatus::Held,
        ElectionStep::Hold,
        rule_id,
        today,
        Some(format!("{}/{}", out.elected.len(), row.seats)),
        ch,
    )
    .await?;
    Ok(out)
}

/// The upper union approves the result (批复): the elected take their seats. A general
/// election ends every current seat and starts the new term from the day it was held
/// (its seats: the elected in rank order, the first as chair, the rest vacant); a
/// by-election fills vacant seats only.
pub async fn confirm(
    st: &Store,
    cap: &Cap<perm::ElectionApprove>,
    who: &Who,
    id: ElectionId,
    today: NaiveDate,
) -> Result<(), StoreError> {
    let mut tx = st.db.begin().await?;
    let row = row_tx(&mut tx, cap.scope(), id).await?;
    expect(&row, ElectionStatus::Held)?;
    let held_on = row.held_on.unwrap_or(today);
    let (rule_id, r) = rules::effective_tx(&mut tx, row.school_union_id).await?;
    let mut q =
        Sql::new("SELECT member_id FROM election_candidate WHERE elected AND election_id = ");
    q.bind(Arg::I64(id.0))
        .push(" ORDER BY votes DESC, position, id");
    let elected: Vec<(i64,)> = q.fetch_all_tx(&mut tx).await?;
    let mut elected: Vec<MemberId> = elected.into_iter().map(|(m,)| MemberId(m)).collect();
    // The chair the assembly elected directly takes the chair's seat; the rest follow by rank.
    let mut q = Sql::new("SELECT chair_member_id FROM election WHERE id = ");
    q.bind(Arg::I64(id.0));
    let (chair,): (Option<i64>,) = q.fetch_one_tx(&mut tx).await?;
    if let Some(i) = chair.and_then(|c| elected.iter().position(|m| m.0 == c)) {
        let c = elected.remove(i);
        elected.insert(0, c);
    }
    let mut ch = Changes::new();
    ch.note("elected", elected.len() as i64);
    match row.kind {
        ElectionKind::General => {
            let years = row
                .term_years
                .unwrap_or(i64::from(r.term_years.first().copied().unwrap_or(5)))
                as u32;
            let end = term_end(held_on, years);
            let mut q = Sql::new("UPDATE committee_seat SET ended_on = ");
            q.bind(Arg::Date(held_on))
                .push(" WHERE ended_on IS NULL AND committee_id = ")
                .bind(Arg::I64(row.committee_id.0));
            q.execute_tx(&mut tx).await?;
            let n = row.seats as usize;
            for i in 0..n {
                committees::insert_seat(
                    &mut tx,
                    row.committee_id,
                    committees::role_of(i, n),
                    elected.get(i).copied(),
                    held_on,
                    None,
                )
                .await?;
            }
            let mut q = Sql::new("UPDATE committee SET seats = ");
            q.bind(Arg::I64(row.seats))
                .push(", term_years = ")
                .bind(Arg::I64(i64::from(years)))
                .push(", term_start = ")
                .bind(Arg::Date(held_on))
                .push(", term_end = ")
                .bind(Arg::Date(end))
                .push(", rule_set_id = ")
                .bind(Arg::I64(rule_id.0))
                .push(", updated_at = ")
                .bind(Arg::Ts(now()))
                .push(" WHERE id = ")
                .bind(Arg::I64(row.committee_id.0));
            q.execute_tx(&mut tx).await?;
            ch.note("term", format!("{held_on} – {end}"));
        }
        ElectionKind::By => {
            let mut q = Sql::new(
                "SELECT s.id, s.role FROM committee_seat s LEFT JOIN member m ON m.id = s.member_id WHERE s.ended_on IS NULL AND ",
            );
            q.push(VACANT)
                .push(" AND s.committee_id = ")
                .bind(Arg::I64(row.committee_id.0))
                .push(" ORDER BY CASE s.role WHEN 'chair' THEN 0 WHEN 'vice_chair' THEN 1 ELSE 2 END, s.id");
            let seats: Vec<(i64, String)> = q.fetch_all_tx(&mut tx).await?;
            for (m, (seat, role)) in elected.iter().zip(seats.iter()) {
                let mut q = Sql::new("UPDATE committee_seat SET ended_on = ");
                q.bind(Arg::Date(held_on))
                    .push(" WHERE id = ")
                    .bind(Arg::I64(*seat));
                q.execute_tx(&mut tx).await?;
                let role: SeatRole = coded(role)?;
                committees::insert_seat(&mut tx, row.committee_id, role, Some(*m), held_on, None)
                    .await?;
            }
        }
    }
    advance(
        tx,
        st,
        who,
        &row,
        ElectionStatus::Confirmed,
        ElectionStep::Confirm,
        rule_id,
        today,
        None,
        ch,
    )
    .await
}
