//! The funds audit (经费审查) by area: the audit committee records findings for the
//! schools of an area, each with its severity and a deadline for rectification; the school
//! answers with what it did (the evidence, in words). An auditor never records a finding
//! for their own school (the school of the member behind their account). Reads and writes
//! are scoped by the capability; every change is audited.

use super::ledger::{invalid, log_commit, school_in_scope};
use crate::audit::Who;
use crate::db::{Arg, Sql, now};
use crate::{Db, Store, StoreError, on_tx};
use chrono::NaiveDate;
use domain::FieldError;
use domain::audit::Changes;
use domain::auth::{Cap, perm};
use domain::funds::text as t;
use domain::funds::*;
use domain::ids::{MemberId, OrgUnitId};
use domain::org::Coded;

/// A finding as typed by an auditor.
#[derive(Clone, Debug)]
pub struct FindingInput {
    pub school: OrgUnitId,
    pub year: i32,
    pub severity: Severity,
    pub finding: String,
    pub deadline: NaiveDate,
}

/// Records a finding for a school in the auditor's scope. `auditor` is the member behind
/// the auditor's account: a finding for that member's own school is refused.
pub async fn record(
    st: &Store,
    cap: &Cap<perm::FundsAudit>,
    who: &Who,
    auditor: Option<MemberId>,
    input: &FindingInput,
    today: NaiveDate,
) -> Result<FindingId, StoreError> {
    let finding = domain::org::required_text("finding", &input.finding, 1000)
        .map_err(|_| invalid(FieldError::new("finding", t::FINDING_REQUIRED)))?;
    if input.deadline < today {
        return Err(invalid(FieldError::new("deadline", t::DEADLINE_INVALID)));
    }
    let mut tx = st.db.begin().await?;
    school_in_scope(&mut tx, cap.scope(), input.school).await?;
    if let Some(m) = auditor {
        let own: Option<i64> = on_tx!(&mut tx, |c| {
            sqlx::query_scalar("SELECT school_union_id FROM member WHERE id = $1")
                .bind(m.0)
                .fetch_optional(&mut *c)
                .await
        })?;
        if own == Some(input.school.0) {
            return Err(invalid(FieldError::new("school", t::OWN_SCHOOL)));
        }
    }
    let area: Option<i64> = on_tx!(&mut tx, |c| {
        sqlx::query_scalar("SELECT parent_id FROM org_unit WHERE id = $1")
            .bind(input.school.0)
            .fetch_optional(&mut *c)
            .await
    })?
    .flatten();
    let area = area.unwrap_or(input.school.0);
    let id: i64 = on_tx!(&mut tx, |c| {
        sqlx::query_scalar(
            "INSERT INTO funds_finding (area_unit_id, school_union_id, audit_year, severity, status, finding, deadline, found_by, found_by_label, created_at)
             VALUES ($1, $2, $3, $4, 'open', $5, $6, $7, $8, $9) RETURNING id",
        )
        .bind(area)
        .bind(input.school.0)
        .bind(i64::from(input.year))
        .bind(input.severity.code())
        .bind(&finding)
        .bind(input.deadline)
        .bind(who.account.map(|a| a.0))
        .bind(&who.label)
        .bind(now())
        .fetch_one(&mut *c)
        .await
    })?;
    let mut ch = Changes::new();
    ch.note("severity", input.severity.code())
        .note("year", input.year)
        .note("deadline", input.deadline.to_string());
    log_commit(
        tx,
        st,
        who,
        "funds.finding",
        ("funds_finding", id),
        input.school,
        &ch,
    )
    .await?;
    Ok(FindingId(id))
}

/// The school answers an open finding with what it did.
pub async fn rectify(
    st: &Store,
    cap: &Cap<perm::FundsEnter>,
    who: &Who,
    id: FindingId,
    rectification: &str,
    today: NaiveDate,
) -> Result<(), StoreError> {
    let text = domain::org::required_text("rectification", rectification, 1000)
        .map_err(|_| invalid(FieldError::new("rectification", t::RECTIFICATION_REQUIRED)))?;
    let mut tx = st.db.begin().await?;
    let mut q = Sql::new("SELECT f.school_union_id, f.status FROM funds_finding f WHERE f.id = ");
    q.bind(Arg::I64(id.0));
    crate::scope::restrict(&mut q, "f.school_union_id", cap.scope());
    let rows: Vec<(i64, String)> = q.fetch_all_tx(&mut tx).await?;
    let (school, status) = rows.into_iter().next().ok_or(StoreError::NotFound)?;
    if status != FindingStatus::Open.code() {
        return Err(invalid(FieldError::new(
            "rectification",
            t::ALREADY_RECTIFIED,
        )));
    }
    let n = on_tx!(&mut tx, |c| {
        sqlx::query(
            "UPDATE funds_finding SET status = 'rectified', rectification = $1, rectified_on = $2, rectified_by_label = $3 WHERE id = $4 AND status = 'open'",
        )
        .bind(&text)
        .bind(today)
        .bind(&who.label)
        .bind(id.0)
        .execute(&mut *c)
        .await
        .map(|r| r.rows_affected())
    })?;
    if n != 1 {
        return Err(StoreError::Stale);
    }
    let mut ch = Changes::new();
    ch.field("status", Some(&"open"), Some(&"rectified"));
    log_commit(
        tx,
        st,
        who,
        "funds.rectify",
        ("funds_finding", id.0),
        OrgUnitId(school),
        &ch,
    )
    .await
}

/// A finding in a list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub id: FindingId,
    pub area: String,
    pub school: OrgUnitId,
    pub school_name: String,
    pub year: i32,
    pub severity: Severity,
    pub status: FindingStatus,
    pub finding: String,
    pub deadline: NaiveDate,
    pub rectification: Option<String>,
    pub rectified_on: Option<NaiveDate>,
    pub found_by: String,
}

type Row = (
    i64,
    String,
    i64,
    String,
    i64,
    String,
    String,
    String,
    NaiveDate,
    Option<String>,
    Option<NaiveDate>,
    String,
);

/// The findings of a year in scope (optionally one school), by area and school: one
/// query.
pub async fn list(
    db: &Db,
    cap: &Cap<perm::FundsView>,
    year: i32,
    school: Option<OrgUnitId>,
) -> Result<Vec<Finding>, StoreError> {
    let mut q = Sql::new(
        "SELECT f.id, a.name, f.school_union_id, s.name, f.audit_year, f.severity, f.status, f.finding, f.deadline, f.rectification, f.rectified_on, f.found_by_label
         FROM funds_finding f JOIN org_unit s ON s.id = f.school_union_id JOIN org_unit a ON a.id = f.area_unit_id WHERE f.audit_year = ",
    );
    q.bind(Arg::I64(i64::from(year)));
    if let Some(s) = school {
        q.push(" AND f.school_union_id = ").bind(Arg::I64(s.0));
    }
    crate::scope::restrict(&mut q, "f.school_union_id", cap.scope());
    q.push(" ORDER BY f.area_unit_id, f.school_union_id, f.id");
    let rows: Vec<Row> = q.fetch_all(db).await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            Some(Finding {
                id: FindingId(r.0),
                area: r.1,
                school: OrgUnitId(r.2),
                school_name: r.3,
                year: r.4 as i32,
                severity: Severity::from_code(&r.5)?,
                status: FindingStatus::from_code(&r.6)?,
                finding: r.7,
                deadline: r.8,
                rectification: r.9,
                rectified_on: r.10,
                found_by: r.11,
            })
        })
        .collect())
}
