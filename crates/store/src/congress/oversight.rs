//! The district's oversight table: every school in scope for one school year — congress
//! held or not, quorum reached, proposals received / accepted / answered, satisfaction,
//! overdue replies, composition warnings — with the schools that held no meeting flagged
//! for the annual assessment.
//!
//! A congress counts as held only when one of its meetings in the school year closed with
//! a quorum; a school without one may carry a recorded, justified exemption (reason, who,
//! when) that the table shows and the assessment respects.
//!
//! Five queries whatever the number of schools (schools with their exemption, current
//! terms with their composition, meetings, proposals, rule sets), each aggregated in SQL.

use super::coded;
use crate::db::{Arg, Sql};
use crate::{Db, StoreError};
use chrono::NaiveDate;
use domain::auth::{Cap, perm};
use domain::congress::{CongressMode, TermId, school_year_range};
use domain::ids::OrgUnitId;
use domain::org::age_on;
use domain::rules::{Composition, CompositionWarning, composition_warnings};
use std::collections::HashMap;

/// A column of the table that counts proposals, and the one condition that decides which
/// proposals it counts — shared with the proposal list (`ProposalFilter::counted`), so a
/// figure's link lists exactly the proposals the figure counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Counted {
    Received,
    Accepted,
    Answered,
}

impl Counted {
    pub const ALL: [Counted; 3] = [Counted::Received, Counted::Accepted, Counted::Answered];

    pub fn code(self) -> &'static str {
        match self {
            Counted::Received => "received",
            Counted::Accepted => "accepted",
            Counted::Answered => "answered",
        }
    }

    pub fn from_code(code: &str) -> Option<Counted> {
        Counted::ALL.into_iter().find(|c| c.code() == code)
    }

    /// The SQL condition over `proposal p` (no parameters).
    pub fn condition(self) -> &'static str {
        match self {
            Counted::Received => "p.status <> 'draft'",
            Counted::Accepted => {
                "p.status IN ('accepted', 'handling', 'answered', 'implementing', 'closed')"
            }
            Counted::Answered => {
                "(p.status IN ('answered', 'implementing', 'closed') OR (p.status = 'handling' AND p.round > 1))"
            }
        }
    }
}

/// The instants a school year's proposals were submitted between (Beijing days): from
/// 1 September 00:00 up to, not including, the next 1 September.
pub fn submitted_range(
    year: i32,
) -> (chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>) {
    let (from, to) = school_year_range(year);
    (
        super::meetings::beijing(from, chrono::NaiveTime::MIN),
        super::meetings::beijing(to + chrono::Duration::days(1), chrono::NaiveTime::MIN),
    )
}

#[derive(Clone, Debug, PartialEq)]
pub struct OversightRow {
    pub school: OrgUnitId,
    pub school_name: String,
    pub area_name: Option<String>,
    pub staff_count: i64,
    /// The term in force during the year (number, mode).
    pub term: Option<(TermId, i64, CongressMode)>,
    pub delegates: i64,
    pub meetings: i64,
    /// Meetings of the year that closed with a quorum: only these count as held.
    pub held: i64,
    pub quorum_reached: i64,
    pub quorum_failed: i64,
    pub received: i64,
    pub accepted: i64,
    pub answered: i64,
    pub rated: i64,
    /// Satisfied or partly satisfied.
    pub satisfied: i64,
    pub overdue: i64,
    /// Of the overdue, those submitted before the school year (carried over).
    pub overdue_carried: i64,
    pub warnings: Vec<CompositionWarning>,
    pub min_meetings: u32,
    pub exemption: Option<Exemption>,
}

/// Why a school need not have held its meeting in a year, who recorded it and when.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Exemption {
    pub reason: String,
    pub recorded_by: String,
    pub recorded_at: chrono::DateTime<chrono::Utc>,
}

impl OversightRow {
    /// Fewer meetings with a quorum than the rule set asks for in the year, and no
    /// exemption: flagged for the assessment.
    pub fn flagged(&self) -> bool {
        self.exemption.is_none() && !self.held_enough()
    }

    /// Enough meetings with a quorum in the year.
    pub fn held_enough(&self) -> bool {
        domain::rules::meetings_ok(
            u32::try_from(self.held).unwrap_or(0),
            &domain::rules::RuleSet {
                min_meetings_per_year: self.min_meetings,
                ..domain::rules::RuleSet::DEFAULT
            },
        )
    }

    pub fn satisfaction_percent(&self) -> Option<u32> {
        (self.rated > 0).then(|| {
            domain::rules::Ratio::percent_of(
                u32::try_from(self.satisfied).unwrap_or(0),
                u32::try_from(self.rated).unwrap_or(0),
            )
        })
    }
}

#[derive(sqlx::FromRow)]
struct SchoolRow {
    id: i64,
    name: String,
    area_name: Option<String>,
    staff_count: i64,
    ex_reason: Option<String>,
    ex_by: Option<String>,
    ex_at: Option<chrono::DateTime<chrono::Utc>>,
}

#[derive(sqlx::FromRow)]
struct TermRow {
    school_union_id: i64,
    id: i64,
    number: i64,
    mode: String,
    delegates: i64,
    teachers: i64,
    women: i64,
    leaders: i64,
    youngest: Option<NaiveDate>,
}

#[derive(sqlx::FromRow)]
struct MeetingRow {
    school_union_id: i64,
    meetings: i64,
    held: i64,
    quorum_ok: i64,
    quorum_failed: i64,
}

#[derive(sqlx::FromRow)]
struct ProposalRow {
    school_union_id: i64,
    received: i64,
    accepted: i64,
    answered: i64,
    rated: i64,
    satisfied: i64,
    overdue: i64,
    overdue_carried: i64,
}

/// The table for school year `year` (starting 1 September of that year), as of `today`.
pub async fn oversight(
    db: &Db,
    cap: &Cap<perm::CongressOversight>,
    year: i32,
    today: NaiveDate,
) -> Result<Vec<OversightRow>, StoreError> {
    let (from, to) = school_year_range(year);
    // The term of a past year is the one in force at its end.
    let ref_day = today.min(to);
    let mut sql = Sql::new(
        "SELECT u.id, u.name, a.name AS area_name, u.staff_count, e.reason AS ex_reason, e.recorded_by_label AS ex_by, e.recorded_at AS ex_at
         FROM org_unit u LEFT JOIN org_unit a ON a.id = u.parent_id
         LEFT JOIN congress_exemption e ON e.school_union_id = u.id AND e.school_year = ",
    );
    sql.bind(Arg::I64(i64::from(year)))
        .push(" WHERE u.kind = 'school_union'");
    crate::scope::restrict(&mut sql, "u.id", cap.scope());
    sql.push(" ORDER BY a.sort_order, a.id, u.sort_order, u.id");
    let schools: Vec<SchoolRow> = sql.fetch_all(db).await?;

    let mut sql = Sql::new(
        "SELECT t.school_union_id, t.id, t.number, t.mode,
            COALESCE(SUM(CASE WHEN d.kind = 'delegate' THEN 1 ELSE 0 END), 0) AS delegates,
            COALESCE(SUM(CASE WHEN d.kind = 'delegate' AND m.post = 'teacher' THEN 1 ELSE 0 END), 0) AS teachers,
            COALESCE(SUM(CASE WHEN d.kind = 'delegate' AND m.gender = 'female' THEN 1 ELSE 0 END), 0) AS women,
            COALESCE(SUM(CASE WHEN d.kind = 'delegate' AND m.post = 'leader' THEN 1 ELSE 0 END), 0) AS leaders,
            MAX(CASE WHEN d.kind = 'delegate' AND m.post = 'teacher' THEN m.birth_date END) AS youngest
         FROM congress_term t
         LEFT JOIN delegate d ON d.term_id = t.id AND d.ended_on IS NULL
         LEFT JOIN member m ON m.id = d.member_id
         WHERE t.start_date <= ",
    );
    sql.bind(Arg::Date(ref_day))
        .push(" AND t.end_date >= ")
        .bind(Arg::Date(ref_day));
    crate::scope::restrict(&mut sql, "t.school_union_id", cap.scope());
    sql.push(
        " GROUP BY t.school_union_id, t.id, t.number, t.mode ORDER BY t.school_union_id, t.number",
    );
    let terms: Vec<TermRow> = sql.fetch_all(db).await?;

    let mut sql = Sql::new(
        "SELECT mt.school_union_id, COUNT(*) AS meetings,
            COALESCE(SUM(CASE WHEN mt.status = 'closed' AND mt.final_quorum THEN 1 ELSE 0 END), 0) AS held,
            COALESCE(SUM(CASE WHEN mt.status = 'closed' AND mt.final_quorum THEN 1 ELSE 0 END), 0) AS quorum_ok,
            COALESCE(SUM(CASE WHEN mt.status = 'closed' AND NOT mt.final_quorum THEN 1 ELSE 0 END), 0) AS quorum_failed
         FROM congress_meeting mt WHERE mt.meeting_date >= ",
    );
    sql.bind(Arg::Date(from))
        .push(" AND mt.meeting_date <= ")
        .bind(Arg::Date(to));
    crate::scope::restrict(&mut sql, "mt.school_union_id", cap.scope());
    sql.push(" GROUP BY mt.school_union_id");
    let meetings: Vec<MeetingRow> = sql.fetch_all(db).await?;

    // Proposals count in the school year they were submitted in (Beijing days).
    let (from_ts, to_ts) = submitted_range(year);
    let mut sql = Sql::new("SELECT p.school_union_id,");
    // The year condition is repeated per column (bound each time: `$n` cannot be reused by
    // the dynamic builder).
    let cols: [(&str, &str); 5] = [
        ("received", Counted::Received.condition()),
        ("accepted", Counted::Accepted.condition()),
        ("answered", Counted::Answered.condition()),
        ("rated", "p.last_rating IS NOT NULL"),
        (
            "satisfied",
            "p.last_rating IN ('satisfied', 'partly_satisfied')",
        ),
    ];
    for (name, cond) in cols {
        sql.push(" COALESCE(SUM(CASE WHEN ")
            .push(cond)
            .push(" AND p.submitted_at >= ")
            .bind(Arg::Ts(from_ts))
            .push(" AND p.submitted_at < ")
            .bind(Arg::Ts(to_ts))
            .push(" THEN 1 ELSE 0 END), 0) AS ")
            .push(name)
            .push(",");
    }
    sql.push(" COALESCE(SUM(CASE WHEN p.status = 'handling' AND p.reply_due < ")
        .bind(Arg::Date(today))
        .push(" THEN 1 ELSE 0 END), 0) AS overdue,")
        .push(" COALESCE(SUM(CASE WHEN p.status = 'handling' AND p.reply_due < ")
        .bind(Arg::Date(today))
        .push(" AND p.submitted_at < ")
        .bind(Arg::Ts(from_ts))
        .push(" THEN 1 ELSE 0 END), 0) AS overdue_carried FROM proposal p WHERE 1 = 1");
    crate::scope::restrict(&mut sql, "p.school_union_id", cap.scope());
    sql.push(" GROUP BY p.school_union_id");
    let proposals: Vec<ProposalRow> = sql.fetch_all(db).await?;

    let rules = super::rules::effective_for_schools(db, cap).await?;

    let mut term_by: HashMap<i64, TermRow> = HashMap::new();
    for t in terms {
        // Several terms in force: the later one counts.
        let later = term_by
            .get(&t.school_union_id)
            .is_none_or(|x| x.number < t.number);
        if later {
            term_by.insert(t.school_union_id, t);
        }
    }
    let mut meeting_by: HashMap<i64, MeetingRow> = meetings
        .into_iter()
        .map(|m| (m.school_union_id, m))
        .collect();
    let mut prop_by: HashMap<i64, ProposalRow> = proposals
        .into_iter()
        .map(|p| (p.school_union_id, p))
        .collect();
    let mut out = Vec::with_capacity(schools.len());
    for s in schools {
        let r = rules
            .get(&OrgUnitId(s.id))
            .map(|e| e.rules)
            .unwrap_or_default();
        let t = term_by.remove(&s.id);
        let m = meeting_by.remove(&s.id);
        let p = prop_by.remove(&s.id);
        let (term, delegates, warnings) = match t {
            None => (None, 0, Vec::new()),
            Some(t) => {
                let mode: CongressMode = coded(&t.mode)?;
                let c = |v: i64| u32::try_from(v).unwrap_or(0);
                // Only whether any young teacher sits matters here: the youngest tells.
                let young = u32::from(
                    t.youngest
                        .is_some_and(|b| domain::rules::is_young(age_on(b, ref_day), &r)),
                );
                let comp = Composition {
                    delegates: c(t.delegates),
                    teachers: c(t.teachers),
                    women: c(t.women),
                    young_teachers: young,
                    leaders: c(t.leaders),
                };
                let w = if mode == CongressMode::Assembly {
                    Vec::new()
                } else {
                    composition_warnings(&comp, &r)
                };
                (Some((TermId(t.id), t.number, mode)), t.delegates, w)
            }
        };
        out.push(OversightRow {
            school: OrgUnitId(s.id),
            school_name: s.name,
            area_name: s.area_name,
            staff_count: s.staff_count,
            term,
            delegates,
            meetings: m.as_ref().map_or(0, |m| m.meetings),
            held: m.as_ref().map_or(0, |m| m.held),
            quorum_reached: m.as_ref().map_or(0, |m| m.quorum_ok),
            quorum_failed: m.as_ref().map_or(0, |m| m.quorum_failed),
            received: p.as_ref().map_or(0, |p| p.received),
            accepted: p.as_ref().map_or(0, |p| p.accepted),
            answered: p.as_ref().map_or(0, |p| p.answered),
            rated: p.as_ref().map_or(0, |p| p.rated),
            satisfied: p.as_ref().map_or(0, |p| p.satisfied),
            overdue: p.as_ref().map_or(0, |p| p.overdue),
            overdue_carried: p.as_ref().map_or(0, |p| p.overdue_carried),
            warnings,
            min_meetings: r.min_meetings_per_year,
            exemption: match (s.ex_reason, s.ex_by, s.ex_at) {
                (Some(reason), Some(recorded_by), Some(recorded_at)) => Some(Exemption {
                    reason,
                    recorded_by,
                    recorded_at,
                }),
                _ => None,
            },
        });
    }
    Ok(out)
}

/// Most characters of an exemption's reason.
pub const EXEMPTION_REASON_MAX: usize = 500;

/// Records why a school in scope need not have held a meeting with a quorum in school year
/// `year` (seed 000: qualifications are cancelled only "without justified reasons"). One
/// per school and year; recording again replaces the reason, and both are audited.
pub async fn record_exemption(
    st: &crate::Store,
    cap: &Cap<perm::CongressExempt>,
    who: &crate::audit::Who,
    school: OrgUnitId,
    year: i32,
    reason: &str,
) -> Result<(), StoreError> {
    let reason = domain::org::required_text("reason", reason, EXEMPTION_REASON_MAX)
        .map_err(|e| StoreError::Invalid(domain::FieldErrors(vec![e])))?;
    let mut tx = st.db.begin().await?;
    if !crate::org::units::tx_in_scope(&mut tx, cap.scope(), school).await? {
        return Err(StoreError::NotFound);
    }
    let u = crate::org::units::tx_unit(&mut tx, school).await?;
    if u.kind != domain::org::OrgKind::SchoolUnion {
        return Err(StoreError::NotFound);
    }
    let before: Option<String> = crate::on_tx!(&mut tx, |c| sqlx::query_scalar(
        "SELECT reason FROM congress_exemption WHERE school_union_id = $1 AND school_year = $2"
    )
    .bind(school.0)
    .bind(i64::from(year))
    .fetch_optional(&mut *c)
    .await)?;
    let id: i64 = crate::on_tx!(&mut tx, |c| {
        sqlx::query_scalar(
        "INSERT INTO congress_exemption (school_union_id, school_year, reason, recorded_at, recorded_by, recorded_by_label)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (school_union_id, school_year) DO UPDATE SET reason = excluded.reason, recorded_at = excluded.recorded_at, recorded_by = excluded.recorded_by, recorded_by_label = excluded.recorded_by_label
         RETURNING id"
    )
    .bind(school.0)
    .bind(i64::from(year))
    .bind(&reason)
    .bind(crate::db::now())
    .bind(who.account.map(|a| a.0))
    .bind(&who.label)
    .fetch_one(&mut *c)
    .await
    })?;
    let mut ch = domain::audit::Changes::new();
    ch.field("school_year", None, Some(&year))
        .field("reason", before.as_ref(), Some(&reason));
    super::log(
        &mut tx,
        &st.cipher,
        who,
        "congress_exemption.record",
        ("congress_exemption", id),
        school,
        &ch,
    )
    .await?;
    tx.commit().await
}
