//! Must-visits and condolences (五必访, 慰问): what puts a visit on a school's due list, the
//! visits made, and the caps that bound what is given.
//!
//! Three triggers, each named by the rule set per visit type: a member's retirement (the
//! roster's status is retired and its date — `member.status_since` — is reached, whether
//! typed by hand, imported or set in advance), a hardship file opened (confirmed), and a
//! report by the school (a hospital stay, a bereavement, a wedding, a birth). Retirements
//! and files are read from their own tables when the list is asked for, so no change to
//! the roster can forget to raise one; a trigger is answered by a visit of its type to the
//! member on or after its date (a report by the visit that names it).
//!
//! A visit's amount stays within its type's cap and the member's yearly cap of the rule
//! set in force for the school; a refusal names the rule and the version, nothing is
//! written. Notes (what happened to the member) are encrypted and bound to their row; lists
//! never decrypt them; [`reveal`] audits before it does. Every read is scoped in SQL.

use super::{files, rules};
use crate::audit::Who;
use crate::db::{Arg, Sql, Tx, now};
use crate::{Db, Store, StoreError, on_tx};
use chrono::{Datelike, Duration, NaiveDate};
use domain::FieldError;
use domain::assistance::text as t;
use domain::assistance::*;
use domain::audit::Changes;
use domain::auth::{Cap, Scope, perm};
use domain::ids::{MemberId, OrgUnitId};
use domain::org::Coded;
use std::collections::{HashMap, HashSet};

/// How far back a retirement or a file opened still puts a visit on the due list (a local
/// setting: a trigger older than a year is no longer owed).
pub const TRIGGER_LOOKBACK_DAYS: i64 = 365;

fn invalid(e: FieldError) -> StoreError {
    StoreError::Invalid(domain::FieldErrors(vec![e]))
}

fn coded<C: Coded>(s: &str) -> Result<C, StoreError> {
    C::from_code(s).ok_or_else(|| StoreError::Other(format!("unknown {} code {s:?}", C::KIND)))
}

async fn version_of(tx: &mut Tx, id: AssistanceRuleSetId) -> Result<i64, StoreError> {
    let v: i64 = on_tx!(tx, |c| sqlx::query_scalar(
        "SELECT version FROM assistance_rule_set WHERE id = $1"
    )
    .bind(id.0)
    .fetch_one(&mut *c)
    .await)?;
    Ok(v)
}

/// A school reports an event that calls for a visit (the type must be one the rule set
/// keeps). The visit falls due `due_days` after the event. The note is encrypted.
#[allow(clippy::too_many_arguments)]
pub async fn report(
    st: &Store,
    cap: &Cap<perm::AssistanceDraft>,
    who: &Who,
    member: &str,
    visit_type: VisitType,
    event_on: NaiveDate,
    note: &str,
    today: NaiveDate,
) -> Result<VisitReportId, StoreError> {
    if event_on > today {
        return Err(invalid(FieldError::new("event_on", t::VISIT_DATE_FUTURE)));
    }
    let note = domain::org::optional_text("note", note, 1000)
        .map_err(invalid)?
        .unwrap_or_default();
    let mut tx = st.db.begin().await?;
    let (member, school) = files::find_member(&mut tx, cap.scope(), member).await?;
    let (rule_set, r) = rules::effective_tx(&mut tx, school).await?;
    if r.visits.rule(visit_type).is_none() {
        let version = version_of(&mut tx, rule_set).await?;
        return Err(invalid(
            FieldError::new("visit_type", t::VISIT_TYPE_NOT_IN_RULES).arg("version", version),
        ));
    }
    let due_on = event_on + Duration::days(i64::from(r.visits.due_days));
    let [id] = crate::db::reserve_ids(&mut tx, "visit_report", 1).await?[..] else {
        return Err(StoreError::Other("no id reserved".into()));
    };
    let note_enc = (!note.is_empty()).then(|| st.cipher.seal_str(super::REPORT_NOTE.at(id), &note));
    on_tx!(&mut tx, |c| {
        sqlx::query(
        "INSERT INTO visit_report (id, member_id, school_union_id, visit_type, event_on, due_on, note_enc, reported_by, reported_by_label, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
    )
    .bind(id)
    .bind(member.0)
    .bind(school.0)
    .bind(visit_type.code())
    .bind(event_on)
    .bind(due_on)
    .bind(note_enc)
    .bind(who.account.map(|a| a.0))
    .bind(&who.label)
    .bind(now())
    .execute(&mut *c)
    .await
    .map(|_| ())
    })?;
    let mut ch = Changes::new();
    ch.note("member", member.0)
        .note("visit_type", visit_type.code())
        .note("due_on", due_on.to_string());
    ch.personal("note", !note.is_empty());
    crate::kit::record_commit(
        tx,
        st,
        who,
        "visit_report.create",
        ("visit_report", id),
        school,
        &ch,
    )
    .await?;
    Ok(VisitReportId(id))
}

/// Records a visit to a member of a school in scope. With `report`, the visit answers that
/// report (same member, not answered yet). The amount is checked against the type's cap
/// and the member's yearly cap under the rules in force (their version recorded).
pub async fn record(
    st: &Store,
    cap: &Cap<perm::AssistanceDraft>,
    who: &Who,
    member: &str,
    d: &VisitDraft,
    report: Option<VisitReportId>,
) -> Result<VisitId, StoreError> {
    let mut tx = st.db.begin().await?;
    let (member, school) = files::find_member(&mut tx, cap.scope(), member).await?;
    let (rule_set, r) = rules::effective_tx(&mut tx, school).await?;
    let version = version_of(&mut tx, rule_set).await?;
    let year = d.visited_on.year();
    let used: i64 = on_tx!(&mut tx, |c| {
        sqlx::query_scalar(
        "SELECT CAST(COALESCE(SUM(amount_fen), 0) AS BIGINT) FROM visit WHERE member_id = $1 AND visit_year = $2"
    )
    .bind(member.0)
    .bind(i64::from(year))
    .fetch_one(&mut *c)
    .await
    })?;
    r.visits
        .check_amount(d.visit_type, d.amount_fen, used, version)
        .map_err(invalid)?;
    let trigger = match report {
        Some(rep) => {
            let mut q = Sql::new(
                "SELECT r.member_id FROM visit_report r WHERE NOT EXISTS (SELECT 1 FROM visit v WHERE v.report_id = r.id) AND r.id = ",
            );
            q.bind(Arg::I64(rep.0));
            crate::scope::restrict(&mut q, "r.school_union_id", cap.scope());
            let found: Vec<(i64,)> = q.fetch_all_tx(&mut tx).await?;
            if found.first().map(|f| f.0) != Some(member.0) {
                return Err(StoreError::NotFound);
            }
            VisitTrigger::Report
        }
        None => r
            .visits
            .rule(d.visit_type)
            .map(|x| x.trigger)
            .unwrap_or(VisitTrigger::Report),
    };
    let [id] = crate::db::reserve_ids(&mut tx, "visit", 1).await?[..] else {
        return Err(StoreError::Other("no id reserved".into()));
    };
    let note_enc =
        (!d.note.is_empty()).then(|| st.cipher.seal_str(super::VISIT_NOTE.at(id), &d.note));
    on_tx!(&mut tx, |c| {
        sqlx::query(
        "INSERT INTO visit (id, member_id, school_union_id, visit_type, trigger_kind, report_id, visited_on, visit_year, visitors, amount_fen, rule_set_id, note_enc, recorded_by, recorded_by_label, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)"
    )
    .bind(id)
    .bind(member.0)
    .bind(school.0)
    .bind(d.visit_type.code())
    .bind(trigger.code())
    .bind(report.map(|r| r.0))
    .bind(d.visited_on)
    .bind(i64::from(year))
    .bind(&d.visitors)
    .bind(d.amount_fen)
    .bind(rule_set.0)
    .bind(note_enc)
    .bind(who.account.map(|a| a.0))
    .bind(&who.label)
    .bind(now())
    .execute(&mut *c)
    .await
    .map(|_| ())
    })?;
    let mut ch = Changes::new();
    ch.note("member", member.0)
        .note("visit_type", d.visit_type.code())
        .note("visited_on", d.visited_on.to_string())
        .note("amount_fen", d.amount_fen)
        .note("rule_set", rule_set.0);
    ch.personal("note", !d.note.is_empty());
    crate::kit::record_commit(tx, st, who, "visit.record", ("visit", id), school, &ch).await?;
    Ok(VisitId(id))
}

/// A visit as lists show it: no note.
#[derive(Clone, Debug, PartialEq)]
pub struct VisitRow {
    pub id: VisitId,
    pub member_id: MemberId,
    pub member_name: String,
    pub school_union_id: OrgUnitId,
    pub school_name: String,
    pub visit_type: VisitType,
    pub trigger: VisitTrigger,
    pub visited_on: NaiveDate,
    pub visitors: String,
    pub amount_fen: i64,
}

type RawVisit = (
    i64,
    i64,
    String,
    i64,
    String,
    String,
    String,
    NaiveDate,
    String,
    i64,
);

const VISIT_SELECT: &str = "SELECT v.id, v.member_id, m.name, v.school_union_id, s.name, v.visit_type, v.trigger_kind, v.visited_on, v.visitors, v.amount_fen
     FROM visit v JOIN member m ON m.id = v.member_id JOIN org_unit s ON s.id = v.school_union_id WHERE 1 = 1";

fn visit_row(r: RawVisit) -> Result<VisitRow, StoreError> {
    Ok(VisitRow {
        id: VisitId(r.0),
        member_id: MemberId(r.1),
        member_name: r.2,
        school_union_id: OrgUnitId(r.3),
        school_name: r.4,
        visit_type: coded(&r.5)?,
        trigger: coded(&r.6)?,
        visited_on: r.7,
        visitors: r.8,
        amount_fen: r.9,
    })
}

/// The visits of a year in the capability's scope (optionally under `unit`), newest first,
/// at most `limit`: one query.
pub async fn of_year(
    db: &Db,
    cap: &Cap<perm::AssistanceView>,
    year: i32,
    unit: Option<OrgUnitId>,
    limit: i64,
) -> Result<Vec<VisitRow>, StoreError> {
    let mut q = Sql::new(VISIT_SELECT);
    q.push(" AND v.visit_year = ")
        .bind(Arg::I64(i64::from(year)));
    crate::scope::restrict(&mut q, "v.school_union_id", cap.scope());
    if let Some(u) = unit {
        q.push(
            " AND v.school_union_id IN (SELECT descendant_id FROM org_closure WHERE ancestor_id = ",
        )
        .bind(Arg::I64(u.0))
        .push(")");
    }
    q.push(" ORDER BY v.visited_on DESC, v.id DESC LIMIT ")
        .bind(Arg::I64(limit));
    let rows: Vec<RawVisit> = q.fetch_all(db).await?;
    rows.into_iter().map(visit_row).collect()
}

/// A visit (masked: no note).
pub async fn get(
    db: &Db,
    cap: &Cap<perm::AssistanceView>,
    id: VisitId,
) -> Result<VisitRow, StoreError> {
    let mut q = Sql::new(VISIT_SELECT);
    q.push(" AND v.id = ").bind(Arg::I64(id.0));
    crate::scope::restrict(&mut q, "v.school_union_id", cap.scope());
    let rows: Vec<RawVisit> = q.fetch_all(db).await?;
    visit_row(rows.into_iter().next().ok_or(StoreError::NotFound)?)
}

/// A visit with its note decrypted; writes `visit.view` to the audit log first.
pub async fn reveal(
    st: &Store,
    cap: &Cap<perm::AssistanceView>,
    who: &Who,
    id: VisitId,
) -> Result<(VisitRow, String), StoreError> {
    let mut tx = st.db.begin().await?;
    let mut q = Sql::new(VISIT_SELECT);
    q.push(" AND v.id = ").bind(Arg::I64(id.0));
    crate::scope::restrict(&mut q, "v.school_union_id", cap.scope());
    let rows: Vec<RawVisit> = q.fetch_all_tx(&mut tx).await?;
    let row = visit_row(rows.into_iter().next().ok_or(StoreError::NotFound)?)?;
    let enc: Option<Vec<u8>> = on_tx!(&mut tx, |c| sqlx::query_scalar(
        "SELECT note_enc FROM visit WHERE id = $1"
    )
    .bind(id.0)
    .fetch_one(&mut *c)
    .await)?;
    let mut ch = Changes::new();
    ch.personal("note", false);
    crate::kit::record_commit(
        tx,
        st,
        who,
        "visit.view",
        ("visit", id.0),
        row.school_union_id,
        &ch,
    )
    .await?;
    let note = enc
        .map(|e| st.cipher.open_str(super::VISIT_NOTE.at(id.0), &e))
        .transpose()?
        .unwrap_or_default();
    Ok((row, note))
}

/// A visit owed: its trigger, the member, the type, when it is due.
#[derive(Clone, Debug, PartialEq)]
pub struct DueVisit {
    pub trigger: VisitTrigger,
    /// The report's, the member's (retirement) or the file's id.
    pub source_id: i64,
    pub report_id: Option<VisitReportId>,
    pub member_id: MemberId,
    pub member_name: String,
    pub school_union_id: OrgUnitId,
    pub school_name: String,
    pub visit_type: VisitType,
    pub event_on: NaiveDate,
    pub due_on: NaiveDate,
}

impl DueVisit {
    /// Stable across scans (the reminder's key).
    pub fn key(&self) -> String {
        format!(
            "assistance-visit:{}:{}:{}",
            self.trigger.code(),
            self.source_id,
            self.visit_type.code()
        )
    }
}

/// The visit rules in force for each unit in scope: one query (versions are few; the
/// nearest unit's newest wins). Units without any version read the defaults.
async fn visit_rules_by_unit(
    db: &Db,
    scope: &Scope,
) -> Result<HashMap<i64, VisitRules>, StoreError> {
    let mut q = Sql::new(
        "SELECT c.descendant_id, r.numbers FROM org_closure c JOIN assistance_rule_set r ON r.org_unit_id = c.ancestor_id WHERE 1 = 1",
    );
    crate::scope::restrict(&mut q, "c.descendant_id", scope);
    q.push(" ORDER BY c.descendant_id, c.depth, r.version DESC");
    let rows: Vec<(i64, String)> = q.fetch_all(db).await?;
    let mut out = HashMap::new();
    for (unit, numbers) in rows {
        if out.contains_key(&unit) {
            continue;
        }
        let r: AssistanceRules = serde_json::from_str(&numbers)
            .map_err(|e| StoreError::Other(format!("assistance rule set: {e}")))?;
        out.insert(unit, r.visits);
    }
    Ok(out)
}

/// The visits owed in scope on `today` (not yet made), by due day: five queries whatever
/// the number of schools or members (rules, reports, retirements, files opened, the visits
/// that answer them).
pub async fn due(db: &Db, scope: &Scope, today: NaiveDate) -> Result<Vec<DueVisit>, StoreError> {
    let from = today - Duration::days(TRIGGER_LOOKBACK_DAYS);
    let rules = visit_rules_by_unit(db, scope).await?;
    let rules_of = |school: i64| rules.get(&school).copied().unwrap_or_default();
    let mut out = Vec::new();

    // Reports not answered.
    let mut q = Sql::new(
        "SELECT r.id, r.member_id, m.name, r.school_union_id, s.name, r.visit_type, r.event_on, r.due_on
         FROM visit_report r JOIN member m ON m.id = r.member_id JOIN org_unit s ON s.id = r.school_union_id
         WHERE NOT EXISTS (SELECT 1 FROM visit v WHERE v.report_id = r.id)",
    );
    crate::scope::restrict(&mut q, "r.school_union_id", scope);
    q.push(" ORDER BY r.due_on, r.id");
    let rows: Vec<(i64, i64, String, i64, String, String, NaiveDate, NaiveDate)> =
        q.fetch_all(db).await?;
    for (id, member, name, school, school_name, ty, event_on, due_on) in rows {
        out.push(DueVisit {
            trigger: VisitTrigger::Report,
            source_id: id,
            report_id: Some(VisitReportId(id)),
            member_id: MemberId(member),
            member_name: name,
            school_union_id: OrgUnitId(school),
            school_name,
            visit_type: coded(&ty)?,
            event_on,
            due_on,
        });
    }

    // Retirements reached (the roster's status and its date) and files opened.
    let mut q = Sql::new(
        "SELECT m.id, m.id, m.name, m.school_union_id, s.name, m.status_since FROM member m JOIN org_unit s ON s.id = m.school_union_id
         WHERE m.status = 'retired' AND m.status_since >= ",
    );
    q.bind(Arg::Date(from))
        .push(" AND m.status_since <= ")
        .bind(Arg::Date(today));
    crate::scope::restrict(&mut q, "m.school_union_id", scope);
    q.push(" ORDER BY m.status_since, m.id");
    let retired: Vec<(i64, i64, String, i64, String, NaiveDate)> = q.fetch_all(db).await?;
    let mut q = Sql::new(
        "SELECT f.id, f.member_id, m.name, f.school_union_id, s.name, f.opened_on FROM hardship_file f JOIN member m ON m.id = f.member_id JOIN org_unit s ON s.id = f.school_union_id
         WHERE f.status = 'open' AND f.opened_on >= ",
    );
    q.bind(Arg::Date(from))
        .push(" AND f.opened_on <= ")
        .bind(Arg::Date(today));
    crate::scope::restrict(&mut q, "f.school_union_id", scope);
    q.push(" ORDER BY f.opened_on, f.id");
    let opened: Vec<(i64, i64, String, i64, String, NaiveDate)> = q.fetch_all(db).await?;

    // What was visited since the lookback: (member, type) → the latest day.
    let mut q = Sql::new(
        "SELECT v.member_id, v.visit_type, MAX(v.visited_on) FROM visit v WHERE v.visited_on >= ",
    );
    q.bind(Arg::Date(from));
    crate::scope::restrict(&mut q, "v.school_union_id", scope);
    q.push(" GROUP BY v.member_id, v.visit_type ORDER BY v.member_id");
    let visited: Vec<(i64, String, NaiveDate)> = q.fetch_all(db).await?;
    let visited: HashMap<(i64, String), NaiveDate> =
        visited.into_iter().map(|(m, ty, d)| ((m, ty), d)).collect();

    let mut seen = HashSet::new();
    for (trigger, rows) in [
        (VisitTrigger::Retired, retired),
        (VisitTrigger::FileOpened, opened),
    ] {
        for (source, member, name, school, school_name, on) in rows {
            let r = rules_of(school);
            for ty in r.types_for(trigger) {
                if visited
                    .get(&(member, ty.code().to_string()))
                    .is_some_and(|d| *d >= on)
                    || !seen.insert((member, ty, on))
                {
                    continue;
                }
                out.push(DueVisit {
                    trigger,
                    source_id: source,
                    report_id: None,
                    member_id: MemberId(member),
                    member_name: name.clone(),
                    school_union_id: OrgUnitId(school),
                    school_name: school_name.clone(),
                    visit_type: ty,
                    event_on: on,
                    due_on: on + Duration::days(i64::from(r.due_days)),
                });
            }
        }
    }
    out.sort_by(|a, b| {
        a.due_on
            .cmp(&b.due_on)
            .then_with(|| a.member_id.0.cmp(&b.member_id.0))
    });
    Ok(out)
}

/// The due list for a reader.
pub async fn due_for(
    db: &Db,
    cap: &Cap<perm::AssistanceView>,
    today: NaiveDate,
) -> Result<Vec<DueVisit>, StoreError> {
    due(db, cap.scope(), today).await
}

/// One page of the due list, with the whole list's count and its counts by school.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DuePage {
    pub rows: Vec<DueVisit>,
    /// Visits owed in all (every page).
    pub total: usize,
    /// (school id, school name, owed, overdue), most overdue first.
    pub schools: Vec<(OrgUnitId, String, usize, usize)>,
}

/// The due list of a reader, narrowed to one unit of their scope when `unit` is given (a
/// unit outside it is 404), cut to `limit` rows from `offset`. The same five queries as
/// [`due`] whatever the page.
pub async fn due_page(
    db: &Db,
    cap: &Cap<perm::AssistanceView>,
    today: NaiveDate,
    unit: Option<OrgUnitId>,
    offset: usize,
    limit: usize,
) -> Result<DuePage, StoreError> {
    let narrowed;
    let scope = match unit {
        Some(u) => {
            if !crate::org::units::in_scope(db, cap.scope(), u).await? {
                return Err(StoreError::NotFound);
            }
            narrowed = Scope::Subtrees(vec![u]);
            &narrowed
        }
        None => cap.scope(),
    };
    let all = due(db, scope, today).await?;
    let mut by: HashMap<i64, (String, usize, usize)> = HashMap::new();
    for d in &all {
        let e = by
            .entry(d.school_union_id.0)
            .or_insert_with(|| (d.school_name.clone(), 0, 0));
        e.1 += 1;
        if d.due_on < today {
            e.2 += 1;
        }
    }
    let mut schools: Vec<_> = by
        .into_iter()
        .map(|(id, (name, n, late))| (OrgUnitId(id), name, n, late))
        .collect();
    schools.sort_by(|a, b| b.3.cmp(&a.3).then(b.2.cmp(&a.2)).then(a.1.cmp(&b.1)));
    let total = all.len();
    Ok(DuePage {
        rows: all.into_iter().skip(offset).take(limit).collect(),
        total,
        schools,
    })
}

/// Visits of a year by type in scope: (type, visits, fen). One query.
pub async fn by_type(
    db: &Db,
    cap: &Cap<perm::AssistanceView>,
    year: i32,
) -> Result<Vec<(VisitType, i64, i64)>, StoreError> {
    let mut q = Sql::new(
        "SELECT v.visit_type, COUNT(*), CAST(SUM(v.amount_fen) AS BIGINT) FROM visit v WHERE v.visit_year = ",
    );
    q.bind(Arg::I64(i64::from(year)));
    crate::scope::restrict(&mut q, "v.school_union_id", cap.scope());
    q.push(" GROUP BY v.visit_type ORDER BY v.visit_type");
    let rows: Vec<(String, i64, i64)> = q.fetch_all(db).await?;
    rows.into_iter()
        .map(|(t, n, f)| Ok((coded(&t)?, n, f)))
        .collect()
}
