//! Committees, their terms and seats: the lists (committees with their seats held and
//! vacant, vacancies, one committee with its seats and elections), recording a committee as
//! it stands, a holder leaving a seat, and the committee's own election of its chair and
//! vice-chairs.
//!
//! A seat is vacant when nobody holds it or when its holder is no longer an active member of
//! the school (retired, transferred out, left): a retirement recorded in the roster makes a
//! vacancy without anyone touching the committee. Every read takes a capability and filters
//! by its scope in SQL; out of scope looks like missing.

use super::{coded, rules, t};
use crate::audit::{Event, Who};
use crate::db::{Arg, Sql, Tx, is_unique_violation, now};
use crate::{Store, StoreError};
use chrono::NaiveDate;
use domain::audit::Changes;
use domain::auth::{Cap, Scope, perm};
use domain::elections::*;
use domain::ids::{MemberId, OrgUnitId};
use domain::org::Coded;

/// A seat is vacant: nobody holds it, or its holder left — retired, transferred out or
/// left (the roster's status), moved to another school union (a transfer within the
/// district: still active, but elsewhere), or no longer a union member. Member events make
/// vacancies without anyone touching the seat.
pub(crate) const VACANT: &str = "(s.member_id IS NULL OR m.status <> 'active' OR NOT m.union_member OR m.school_union_id <> (SELECT sc.school_union_id FROM committee sc WHERE sc.id = s.committee_id))";
/// Since when a vacant seat is vacant: a transfer within the district from its date.
const VACANT_SINCE: &str = "CASE WHEN s.member_id IS NULL THEN s.vacant_since WHEN m.status = 'active' AND m.school_union_id <> (SELECT sc.school_union_id FROM committee sc WHERE sc.id = s.committee_id) THEN COALESCE((SELECT MAX(mt.transfer_date) FROM member_transfer mt WHERE mt.member_id = m.id), m.status_since) ELSE m.status_since END";
/// Why it is vacant.
const VACANT_WHY: &str = "CASE WHEN s.member_id IS NULL THEN s.vacancy_reason WHEN m.status = 'retired' THEN 'retired' WHEN m.status = 'transferred_out' THEN 'transferred' WHEN m.status = 'active' AND m.school_union_id <> (SELECT sc.school_union_id FROM committee sc WHERE sc.id = s.committee_id) THEN 'transferred' ELSE 'other' END";

/// A committee with its term and how many seats are held and vacant.
#[derive(Clone, Debug, PartialEq)]
pub struct CommitteeRow {
    pub id: CommitteeId,
    pub school_union_id: OrgUnitId,
    pub school_name: String,
    pub kind: CommitteeKind,
    pub seats: i64,
    pub term_years: i64,
    pub term_start: NaiveDate,
    pub term_end: NaiveDate,
    pub held: i64,
    pub vacant: i64,
    /// The election in progress, if any.
    pub open_election: Option<ElectionId>,
}

type CommitteeTuple = (
    i64,
    i64,
    String,
    String,
    i64,
    i64,
    NaiveDate,
    NaiveDate,
    i64,
    i64,
    Option<i64>,
);

const COMMITTEE_SELECT: &str = "SELECT c.id, c.school_union_id, o.name, c.kind, c.seats, c.term_years, c.term_start, c.term_end,
 CAST((SELECT COUNT(*) FROM committee_seat s LEFT JOIN member m ON m.id = s.member_id WHERE s.committee_id = c.id AND s.ended_on IS NULL AND s.member_id IS NOT NULL AND m.status = 'active' AND m.union_member AND m.school_union_id = c.school_union_id) AS BIGINT),
 CAST((SELECT COUNT(*) FROM committee_seat s LEFT JOIN member m ON m.id = s.member_id WHERE s.committee_id = c.id AND s.ended_on IS NULL AND (s.member_id IS NULL OR m.status <> 'active' OR NOT m.union_member OR m.school_union_id <> c.school_union_id)) AS BIGINT),
 (SELECT e.id FROM election e WHERE e.committee_id = c.id AND e.status <> 'confirmed')
 FROM committee c JOIN org_unit o ON o.id = c.school_union_id WHERE 1 = 1";

fn committee_row(r: CommitteeTuple) -> Result<CommitteeRow, StoreError> {
    Ok(CommitteeRow {
        id: CommitteeId(r.0),
        school_union_id: OrgUnitId(r.1),
        school_name: r.2,
        kind: coded(&r.3)?,
        seats: r.4,
        term_years: r.5,
        term_start: r.6,
        term_end: r.7,
        held: r.8,
        vacant: r.9,
        open_election: r.10.map(ElectionId),
    })
}

/// The committees in scope (under `unit` when given), the earliest term end first: one
/// query, whatever their number.
pub async fn list(
    st: &Store,
    cap: &Cap<perm::ElectionView>,
    unit: Option<OrgUnitId>,
) -> Result<Vec<CommitteeRow>, StoreError> {
    let mut q = Sql::new(COMMITTEE_SELECT);
    crate::scope::restrict(&mut q, "c.school_union_id", cap.scope());
    if let Some(u) = unit {
        q.push(
            " AND c.school_union_id IN (SELECT descendant_id FROM org_closure WHERE ancestor_id = ",
        )
        .bind(Arg::I64(u.0))
        .push(")");
    }
    q.push(" ORDER BY c.term_end, c.id");
    let rows: Vec<CommitteeTuple> = q.fetch_all(&st.db).await?;
    rows.into_iter().map(committee_row).collect()
}

/// A vacant seat (补选 list).
#[derive(Clone, Debug, PartialEq)]
pub struct VacancyRow {
    pub seat: SeatId,
    pub committee: CommitteeId,
    pub school_union_id: OrgUnitId,
    pub school_name: String,
    pub kind: CommitteeKind,
    pub role: SeatRole,
    pub since: NaiveDate,
    pub reason: VacancyReason,
    /// The holder who left (retired, transferred) when the seat is still recorded as theirs.
    pub former: Option<String>,
}

/// The vacant seats in scope, the oldest first: one query.
pub async fn vacancies(
    st: &Store,
    cap: &Cap<perm::ElectionView>,
) -> Result<Vec<VacancyRow>, StoreError> {
    vacancies_in(st, cap.scope()).await
}

pub(crate) async fn vacancies_in(st: &Store, scope: &Scope) -> Result<Vec<VacancyRow>, StoreError> {
    let mut q = Sql::new("SELECT s.id, c.id, c.school_union_id, o.name, c.kind, s.role, ");
    q.push(VACANT_SINCE)
        .push(", ")
        .push(VACANT_WHY)
        .push(
            ", m.name FROM committee_seat s JOIN committee c ON c.id = s.committee_id JOIN org_unit o ON o.id = c.school_union_id
             LEFT JOIN member m ON m.id = s.member_id WHERE s.ended_on IS NULL AND ",
        )
        .push(VACANT);
    crate::scope::restrict(&mut q, "c.school_union_id", scope);
    q.push(" ORDER BY 7, s.id");
    #[allow(clippy::type_complexity)]
    let rows: Vec<(
        i64,
        i64,
        i64,
        String,
        String,
        String,
        NaiveDate,
        String,
        Option<String>,
    )> = q.fetch_all(&st.db).await?;
    rows.into_iter()
        .map(|r| {
            Ok(VacancyRow {
                seat: SeatId(r.0),
                committee: CommitteeId(r.1),
                school_union_id: OrgUnitId(r.2),
                school_name: r.3,
                kind: coded(&r.4)?,
                role: coded(&r.5)?,
                since: r.6,
                reason: coded(&r.7)?,
                former: r.8,
            })
        })
        .collect()
}

/// A current seat of a committee.
#[derive(Clone, Debug, PartialEq)]
pub struct SeatRow {
    pub id: SeatId,
    pub role: SeatRole,
    pub member: Option<(MemberId, String)>,
    pub since: Option<NaiveDate>,
    pub vacant: bool,
    pub vacant_since: Option<NaiveDate>,
    pub reason: Option<VacancyReason>,
}

/// An election of a committee, as a row.
#[derive(Clone, Debug, PartialEq)]
pub struct ElectionRow {
    pub id: ElectionId,
    pub committee_id: CommitteeId,
    pub school_union_id: OrgUnitId,
    pub school_name: String,
    pub committee_kind: CommitteeKind,
    pub kind: ElectionKind,
    pub status: ElectionStatus,
    pub seats: i64,
    pub assembly: Assembly,
    pub term_years: Option<i64>,
    pub voters_due: Option<i64>,
    pub present: Option<i64>,
    pub held_on: Option<NaiveDate>,
    pub step_on: NaiveDate,
}

pub(crate) const ELECTION_SELECT: &str = "SELECT e.id, e.committee_id, e.school_union_id, o.name, c.kind, e.kind, e.status, e.seats, e.assembly, e.term_years, e.voters_due, e.present, e.held_on, e.step_on
 FROM election e JOIN committee c ON c.id = e.committee_id JOIN org_unit o ON o.id = e.school_union_id WHERE 1 = 1";

pub(crate) type ElectionTuple = (
    i64,
    i64,
    i64,
    String,
    String,
    String,
    String,
    i64,
    String,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<NaiveDate>,
    NaiveDate,
);

pub(crate) fn election_row(r: ElectionTuple) -> Result<ElectionRow, StoreError> {
    Ok(ElectionRow {
        id: ElectionId(r.0),
        committee_id: CommitteeId(r.1),
        school_union_id: OrgUnitId(r.2),
        school_name: r.3,
        committee_kind: coded(&r.4)?,
        kind: coded(&r.5)?,
        status: coded(&r.6)?,
        seats: r.7,
        assembly: coded(&r.8)?,
        term_years: r.9,
        voters_due: r.10,
        present: r.11,
        held_on: r.12,
        step_on: r.13,
    })
}

/// The elections in scope that are not yet confirmed, then the year's confirmed ones:
/// one query.
pub async fn elections(
    st: &Store,
    cap: &Cap<perm::ElectionView>,
    unit: Option<OrgUnitId>,
) -> Result<Vec<ElectionRow>, StoreError> {
    let mut q = Sql::new(ELECTION_SELECT);
    crate::scope::restrict(&mut q, "e.school_union_id", cap.scope());
    if let Some(u) = unit {
        q.push(
            " AND e.school_union_id IN (SELECT descendant_id FROM org_closure WHERE ancestor_id = ",
        )
        .bind(Arg::I64(u.0))
        .push(")");
    }
    q.push(" ORDER BY CASE WHEN e.status = 'confirmed' THEN 1 ELSE 0 END, e.step_on DESC, e.id DESC LIMIT 200");
    let rows: Vec<ElectionTuple> = q.fetch_all(&st.db).await?;
    rows.into_iter().map(election_row).collect()
}

/// One committee with its current seats and its elections: three queries.
pub async fn get(
    st: &Store,
    cap: &Cap<perm::ElectionView>,
    id: CommitteeId,
) -> Result<(CommitteeRow, Vec<SeatRow>, Vec<ElectionRow>), StoreError> {
    let mut q = Sql::new(COMMITTEE_SELECT);
    q.push(" AND c.id = ").bind(Arg::I64(id.0));
    crate::scope::restrict(&mut q, "c.school_union_id", cap.scope());
    let c = committee_row(q.fetch_one(&st.db).await?)?;
    let mut q = Sql::new("SELECT s.id, s.role, s.member_id, m.name, s.since, ");
    q.push(VACANT)
        .push(", ")
        .push(VACANT_SINCE)
        .push(", ")
        .push(VACANT_WHY)
        .push(
            " FROM committee_seat s LEFT JOIN member m ON m.id = s.member_id WHERE s.ended_on IS NULL AND s.committee_id = ",
        )
        .bind(Arg::I64(id.0))
        .push(" ORDER BY CASE s.role WHEN 'chair' THEN 0 WHEN 'vice_chair' THEN 1 ELSE 2 END, s.id");
    #[allow(clippy::type_complexity)]
    let rows: Vec<(
        i64,
        String,
        Option<i64>,
        Option<String>,
        Option<NaiveDate>,
        bool,
        Option<NaiveDate>,
        Option<String>,
    )> = q.fetch_all(&st.db).await?;
    let mut seats = Vec::with_capacity(rows.len());
    for r in rows {
        seats.push(SeatRow {
            id: SeatId(r.0),
            role: coded(&r.1)?,
            member: r.2.zip(r.3).map(|(id, n)| (MemberId(id), n)),
            since: r.4,
            vacant: r.5,
            vacant_since: if r.5 { r.6 } else { None },
            reason: match (r.5, r.7) {
                (true, Some(code)) => Some(coded(&code)?),
                _ => None,
            },
        });
    }
    let mut q = Sql::new(ELECTION_SELECT);
    q.push(" AND e.committee_id = ")
        .bind(Arg::I64(id.0))
        .push(" ORDER BY e.id DESC");
    let rows: Vec<ElectionTuple> = q.fetch_all(&st.db).await?;
    let elections = rows
        .into_iter()
        .map(election_row)
        .collect::<Result<_, _>>()?;
    Ok((c, seats, elections))
}

/// The committee of a current or past seat in scope (404 otherwise).
pub async fn committee_of_seat(
    st: &Store,
    cap: &Cap<perm::ElectionView>,
    seat: SeatId,
) -> Result<CommitteeId, StoreError> {
    let mut q = Sql::new(
        "SELECT c.id FROM committee_seat s JOIN committee c ON c.id = s.committee_id WHERE s.id = ",
    );
    q.bind(Arg::I64(seat.0));
    crate::scope::restrict(&mut q, "c.school_union_id", cap.scope());
    let (id,): (i64,) = q.fetch_one(&st.db).await?;
    Ok(CommitteeId(id))
}

/// Finds the members a person typed (exact names, or `#id`) among the active union members
/// of one school, in the order typed. Each unknown, ambiguous or inactive name is refused at
/// `field` with the name.
pub(crate) async fn find_members(
    tx: &mut Tx,
    school: OrgUnitId,
    names: &[String],
    field: &'static str,
) -> Result<Vec<MemberId>, StoreError> {
    let mut out = Vec::with_capacity(names.len());
    if names.is_empty() {
        return Ok(out);
    }
    let mut q = Sql::new(
        "SELECT m.id, m.name, m.status, m.union_member FROM member m WHERE m.school_union_id = ",
    );
    q.bind(Arg::I64(school.0)).push(" AND (m.name IN (");
    q.bind_list(
        names
            .iter()
            .map(|n| Arg::Text(domain::roster::normalize_name(n.trim_start_matches('#')))),
    );
    q.push(") OR CAST(m.id AS TEXT) IN (");
    q.bind_list(
        names
            .iter()
            .map(|n| Arg::Text(n.trim_start_matches('#').trim().to_string())),
    );
    q.push(")) ORDER BY m.id");
    let found: Vec<(i64, String, String, bool)> = q.fetch_all_tx(tx).await?;
    let mut errors = domain::FieldErrors::default();
    for n in names {
        let bare = n.trim_start_matches('#').trim();
        let name = domain::roster::normalize_name(bare);
        let hits: Vec<&(i64, String, String, bool)> = found
            .iter()
            .filter(|(id, nm, _, _)| *nm == name || id.to_string() == bare)
            .collect();
        match hits.as_slice() {
            [] => {
                errors.push(domain::FieldError::new(field, t::CANDIDATE_UNKNOWN).arg("name", bare))
            }
            [(id, _, status, member)] => {
                if status != "active" || !member {
                    errors.push(
                        domain::FieldError::new(field, t::CANDIDATE_NOT_MEMBER).arg("name", bare),
                    );
                } else if out.contains(&MemberId(*id)) {
                    errors
                        .push(domain::FieldError::new(field, t::CANDIDATE_TWICE).arg("name", bare));
                } else {
                    out.push(MemberId(*id));
                }
            }
            _ => errors
                .push(domain::FieldError::new(field, t::CANDIDATE_AMBIGUOUS).arg("name", bare)),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(StoreError::Invalid(errors))
    }
}

/// Whether `unit` is a school union in `scope`.
pub(crate) async fn school_in_scope(
    tx: &mut Tx,
    scope: &Scope,
    unit: OrgUnitId,
) -> Result<(), StoreError> {
    let mut q = Sql::new("SELECT o.id FROM org_unit o WHERE o.kind = 'school_union' AND o.id = ");
    q.bind(Arg::I64(unit.0));
    crate::scope::restrict(&mut q, "o.id", scope);
    let _: (i64,) = q.fetch_one_tx(tx).await?;
    Ok(())
}

/// The role of the `i`-th of `n` holders: the first chairs, the second is vice-chair in a
/// committee of three or more, the rest are members.
pub fn role_of(i: usize, n: usize) -> SeatRole {
    match i {
        0 => SeatRole::Chair,
        1 if n >= 3 => SeatRole::ViceChair,
        _ => SeatRole::Member,
    }
}

pub(crate) async fn insert_seat(
    tx: &mut Tx,
    committee: CommitteeId,
    role: SeatRole,
    member: Option<MemberId>,
    on: NaiveDate,
    reason: Option<VacancyReason>,
) -> Result<(), StoreError> {
    let mut q = Sql::new(
        "INSERT INTO committee_seat (committee_id, role, member_id, since, vacant_since, vacancy_reason, created_at) VALUES (",
    );
    q.bind(Arg::I64(committee.0))
        .push(", ")
        .bind(Arg::Text(role.code().into()))
        .push(", ")
        .bind(Arg::OptI64(member.map(|m| m.0)))
        .push(", ")
        .bind(Arg::OptDate(member.map(|_| on)))
        .push(", ")
        .bind(Arg::OptDate(member.is_none().then_some(on)))
        .push(", ")
        .bind(Arg::OptText(if member.is_none() {
            Some(reason.unwrap_or(VacancyReason::Other).code().into())
        } else {
            None
        }))
        .push(", ")
        .bind(Arg::Ts(now()))
        .push(")");
    q.execute_tx(tx).await?;
    Ok(())
}

/// Records a committee as it stands (from the last election's papers): its term, checked
/// against the rule set in force, and its holders by name (the first is the chair; seats
/// beyond the names are vacant from the term's start). One committee of each kind per
/// school.
pub async fn create(
    st: &Store,
    cap: &Cap<perm::ElectionManage>,
    who: &Who,
    input: &CommitteeInput,
    holders: &str,
) -> Result<CommitteeId, StoreError> {
    let unit = input
        .unit
        .trim()
        .parse::<i64>()
        .map(OrgUnitId)
        .map_err(|_| StoreError::field("unit", domain::text::REQUIRED))?;
    let mut tx = st.db.begin().await?;
    school_in_scope(&mut tx, cap.scope(), unit).await?;
    let (rule_id, r) = rules::effective_tx(&mut tx, unit).await?;
    let d = input.parse(&r).map_err(StoreError::Invalid)?;
    let names = candidate_names(holders);
    if names.len() > d.seats as usize {
        return Err(StoreError::Invalid(domain::FieldErrors(vec![
            domain::FieldError::new("holders", t::SEATS_INVALID).arg("max", d.seats),
        ])));
    }
    let members = find_members(&mut tx, unit, &names, "holders").await?;
    let end = term_end(d.term_start, d.term_years);
    let ins = Sql::new(
        "INSERT INTO committee (school_union_id, kind, seats, term_years, term_start, term_end, rule_set_id, created_at, updated_at) VALUES (",
    );
    let mut q = ins;
    q.bind(Arg::I64(unit.0))
        .push(", ")
        .bind(Arg::Text(d.kind.code().into()))
        .push(", ")
        .bind(Arg::I64(i64::from(d.seats)))
        .push(", ")
        .bind(Arg::I64(i64::from(d.term_years)))
        .push(", ")
        .bind(Arg::Date(d.term_start))
        .push(", ")
        .bind(Arg::Date(end))
        .push(", ")
        .bind(Arg::I64(rule_id.0))
        .push(", ")
        .bind(Arg::Ts(now()))
        .push(", ")
        .bind(Arg::Ts(now()))
        .push(") RETURNING id");
    let id: (i64,) = match q.fetch_one_tx(&mut tx).await {
        Ok(id) => id,
        Err(StoreError::Sqlx(e)) if is_unique_violation(&e) => {
            return Err(StoreError::field("kind", t::COMMITTEE_EXISTS));
        }
        Err(e) => return Err(e),
    };
    let id = CommitteeId(id.0);
    let n = d.seats as usize;
    for i in 0..n {
        insert_seat(
            &mut tx,
            id,
            role_of(i, n),
            members.get(i).copied(),
            d.term_start,
            None,
        )
        .await?;
    }
    let mut ch = Changes::new();
    ch.note("kind", d.kind.code())
        .note("seats", d.seats)
        .note("term", format!("{} – {end}", d.term_start))
        .note("rule_set", rule_id.0);
    crate::kit::audit_commit(
        tx,
        &st.cipher,
        who,
        Event {
            action: "committee.create",
            entity_type: "committee",
            entity_id: Some(id.0),
            org_unit: Some(unit),
            changes: &ch,
        },
    )
    .await?;
    Ok(id)
}

/// A holder leaves a seat (retired, transferred, resigned): the seat row ends and a vacant
/// seat of the same role takes its place, open from `on`.
pub async fn vacate(
    st: &Store,
    cap: &Cap<perm::ElectionManage>,
    who: &Who,
    seat: SeatId,
    reason: VacancyReason,
    on: NaiveDate,
) -> Result<(), StoreError> {
    let mut tx = st.db.begin().await?;
    let mut q = Sql::new(
        "SELECT s.committee_id, c.school_union_id, s.role, s.member_id, s.ended_on FROM committee_seat s JOIN committee c ON c.id = s.committee_id WHERE s.id = ",
    );
    q.bind(Arg::I64(seat.0));
    crate::scope::restrict(&mut q, "c.school_union_id", cap.scope());
    #[allow(clippy::type_complexity)]
    let (committee, school, role, member, ended): (
        i64,
        i64,
        String,
        Option<i64>,
        Option<NaiveDate>,
    ) = q.fetch_one_tx(&mut tx).await?;
    // A seat that already ended (its holder left, or a new term began) or is vacant has
    // nobody to leave it.
    if member.is_none() || ended.is_some() {
        return Err(StoreError::field("seat", t::NOT_A_HOLDER));
    }
    let role: SeatRole = coded(&role)?;
    let mut q = Sql::new("UPDATE committee_seat SET ended_on = ");
    q.bind(Arg::Date(on))
        .push(" WHERE ended_on IS NULL AND id = ")
        .bind(Arg::I64(seat.0));
    if q.execute_tx(&mut tx).await? != 1 {
        return Err(StoreError::Stale);
    }
    insert_seat(
        &mut tx,
        CommitteeId(committee),
        role,
        None,
        on,
        Some(reason),
    )
    .await?;
    let mut ch = Changes::new();
    ch.note("seat", seat.0)
        .note("role", role.code())
        .note("reason", reason.code())
        .note("on", on.to_string());
    crate::kit::audit_commit(
        tx,
        &st.cipher,
        who,
        Event {
            action: "committee.vacate",
            entity_type: "committee",
            entity_id: Some(committee),
            org_unit: Some(OrgUnitId(school)),
            changes: &ch,
        },
    )
    .await
}

/// What the committee's meeting typed for its election of the chair and vice-chairs: those
/// present, the day, and for each current holder (in the order of the committee's page:
/// chair, vice-chairs, members, then by seat) the office chosen and its votes.
#[derive(Clone, Debug, Default)]
pub struct OfficersInput {
    pub present: String,
    pub held_on: String,
    /// (office code, votes) per holder.
    pub picks: Vec<(String, String)>,
}

fn number(field: &'static str, key: &'static str, s: &str) -> Result<u32, domain::FieldError> {
    domain::roster::normalize(s.trim())
        .parse::<u32>()
        .map_err(|_| domain::FieldError::new(field, key))
}

/// The committee elects its chair and vice-chairs from its members (the assembly elected
/// the members): the quorum and "more than half of all the committee's members" are
/// decided under the rule set in force; the seats take their new offices and the vote is
/// recorded with the rule-set version, then audited. Refused at the field, changing
/// nothing; another school's committee looks missing.
pub async fn elect_officers(
    st: &Store,
    cap: &Cap<perm::ElectionManage>,
    who: &Who,
    id: CommitteeId,
    input: &OfficersInput,
) -> Result<OfficersOutcome, StoreError> {
    let mut tx = st.db.begin().await?;
    let mut q = Sql::new("SELECT c.school_union_id FROM committee c WHERE c.id = ");
    q.bind(Arg::I64(id.0));
    crate::scope::restrict(&mut q, "c.school_union_id", cap.scope());
    let (school,): (i64,) = q.fetch_one_tx(&mut tx).await?;
    let mut q = Sql::new(
        "SELECT s.id, s.role, s.member_id FROM committee_seat s LEFT JOIN member m ON m.id = s.member_id WHERE s.ended_on IS NULL AND NOT ",
    );
    q.push(VACANT)
        .push(" AND s.committee_id = ")
        .bind(Arg::I64(id.0))
        .push(
            " ORDER BY CASE s.role WHEN 'chair' THEN 0 WHEN 'vice_chair' THEN 1 ELSE 2 END, s.id",
        );
    let holders: Vec<(i64, String, Option<i64>)> = q.fetch_all_tx(&mut tx).await?;
    let mut e = domain::FieldErrors::default();
    let present = e.take(number("present", t::PRESENT_INVALID, &input.present));
    let held_on = e.take(
        NaiveDate::parse_from_str(input.held_on.trim(), "%Y-%m-%d")
            .map_err(|_| domain::FieldError::new("held_on", t::DATE_INVALID)),
    );
    if holders.is_empty() {
        e.push(domain::FieldError::new("officers", t::OFFICERS_NONE));
    } else if input.picks.len() != holders.len() {
        e.push(domain::FieldError::new("officers", t::OFFICERS_CHANGED));
    }
    let (rule_id, r) = rules::effective_tx(&mut tx, OrgUnitId(school)).await?;
    // A chair the assembly elected directly has no votes of the committee.
    let direct = r.chair_by == ChairElection::Assembly;
    let mut picks = Vec::with_capacity(holders.len());
    if e.get("officers").is_none() {
        for (role, votes) in &input.picks {
            let Some(role) = SeatRole::from_code(role.trim()) else {
                e.push(domain::FieldError::new("officers", t::OFFICERS_ONE_CHAIR));
                break;
            };
            let votes = if role == SeatRole::Member || (direct && role == SeatRole::Chair) {
                0
            } else {
                match number("officers", t::VOTES_INVALID, votes) {
                    Ok(v) => v,
                    Err(x) => {
                        e.push(x);
                        break;
                    }
                }
            };
            picks.push((role, votes));
        }
    }
    let (Some(present), Some(held_on)) = (present, held_on) else {
        return Err(StoreError::Invalid(e));
    };
    if !e.is_empty() {
        return Err(StoreError::Invalid(e));
    }
    // The chair the assembly elected directly (when the rule set says so) sits first.
    let sitting = holders.iter().position(|h| h.1 == SeatRole::Chair.code());
    let out = decide_officers(holders.len() as u32, present, &picks, sitting, &r)
        .map_err(StoreError::Invalid)?;
    let mut result = Vec::with_capacity(holders.len());
    let mut ch = Changes::new();
    for ((seat, old, member), (role, votes)) in holders.iter().zip(&picks) {
        if old != role.code() {
            let mut q = Sql::new("UPDATE committee_seat SET role = ");
            q.bind(Arg::Text(role.code().into()))
                .push(" WHERE id = ")
                .bind(Arg::I64(*seat));
            q.execute_tx(&mut tx).await?;
        }
        if *role != SeatRole::Member {
            ch.note(
                if *role == SeatRole::Chair {
                    "chair"
                } else {
                    "vice_chair"
                },
                member.unwrap_or(0),
            );
        }
        result.push((*seat, *member, role.code(), *votes));
    }
    let result = serde_json::to_string(&result).map_err(|x| StoreError::Other(x.to_string()))?;
    let mut q = Sql::new(
        "INSERT INTO committee_officer_vote (committee_id, rule_set_id, due, present, held_on, result, taken_at, taken_by, taken_by_label) VALUES (",
    );
    q.bind(Arg::I64(id.0))
        .push(", ")
        .bind(Arg::I64(rule_id.0))
        .push(", ")
        .bind(Arg::I64(holders.len() as i64))
        .push(", ")
        .bind(Arg::I64(i64::from(present)))
        .push(", ")
        .bind(Arg::Date(held_on))
        .push(", ")
        .bind(Arg::Text(result))
        .push(", ")
        .bind(Arg::Ts(now()))
        .push(", ")
        .bind(Arg::OptI64(who.account.map(|a| a.0)))
        .push(", ")
        .bind(Arg::Text(who.label.clone()))
        .push(")");
    q.execute_tx(&mut tx).await?;
    ch.note("due", holders.len() as i64)
        .note("present", present)
        .note("elect_needed", out.elect_needed)
        .note("held_on", held_on.to_string())
        .note("rule_set", rule_id.0);
    crate::kit::audit_commit(
        tx,
        &st.cipher,
        who,
        Event {
            action: "committee.officers",
            entity_type: "committee",
            entity_id: Some(id.0),
            org_unit: Some(OrgUnitId(school)),
            changes: &ch,
        },
    )
    .await?;
    Ok(out)
}
