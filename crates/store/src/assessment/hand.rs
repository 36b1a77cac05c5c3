//! The annual assessment's hand-scored indicators and their appeals: a score within the
//! indicator's points, with evidence, by the scorer the scheme names (the area lead or the
//! district); a school's appeal against a hand score within the scheme's window; the
//! outcome recorded by someone who neither gave the disputed score nor filed the appeal.
//!
//! Scores are never edited: a new score, or an appeal's changed outcome, is a new row, so a
//! school's score history stays; the latest row of a school, year and indicator counts
//! ([`latest`], one query for the whole scope). Every change is audited in its transaction
//! and names the scheme version.
//!
//! Must never read or change outside the capability's scope: out of scope is `NotFound`.

use crate::audit::{Event, Who};
use crate::db::{Arg, Sql, Tx, now};
use crate::kit::audit_commit;
use crate::{Store, StoreError, on_tx};
use chrono::NaiveDate;
use domain::assessment::{text as t, *};
use domain::audit::Changes;
use domain::auth::{Cap, Scope, perm};
use domain::ids::OrgUnitId;
use domain::org::Coded;
use domain::{FieldError, FieldErrors};
use std::collections::{BTreeMap, HashMap};

use super::homes::NOTE_MAX;

fn invalid(e: FieldError) -> StoreError {
    StoreError::Invalid(FieldErrors(vec![e]))
}

/// The capability of the scorer an indicator names.
#[derive(Clone, Copy)]
pub enum ScorerCap<'a> {
    Area(&'a Cap<perm::HomeRecommend>),
    District(&'a Cap<perm::AssessmentReview>),
}

impl ScorerCap<'_> {
    fn scope(&self) -> &Scope {
        match self {
            ScorerCap::Area(c) => c.scope(),
            ScorerCap::District(c) => c.scope(),
        }
    }
    fn scorer(&self) -> Scorer {
        match self {
            ScorerCap::Area(_) => Scorer::Area,
            ScorerCap::District(_) => Scorer::District,
        }
    }
}

/// A hand score as typed.
#[derive(Clone, Debug, Default)]
pub struct HandInput {
    pub indicator: String,
    pub points: String,
    pub evidence: String,
}

/// The same person: the same account, or (without accounts) the same label.
fn same(a: Option<i64>, a_label: &str, who: &Who) -> bool {
    match (a, who.account) {
        (Some(x), Some(y)) => x == y.0,
        (None, None) => a_label == who.label,
        _ => false,
    }
}

async fn school_in_scope(tx: &mut Tx, scope: &Scope, school: OrgUnitId) -> Result<(), StoreError> {
    if !crate::org::units::tx_in_scope(tx, scope, school).await? {
        return Err(StoreError::NotFound);
    }
    let u = crate::org::units::tx_unit(tx, school).await?;
    if u.kind != domain::org::OrgKind::SchoolUnion {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// One hand score, as the ledger's history shows it.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct HandRow {
    pub id: i64,
    pub school_union_id: i64,
    pub school_year: i64,
    pub indicator: String,
    pub points: i64,
    pub evidence: String,
    pub scheme_version: i64,
    pub appeal_id: Option<i64>,
    pub scored_by: Option<i64>,
    pub scored_by_label: String,
    pub scored_on: NaiveDate,
}

impl HandRow {
    pub fn evidence(&self) -> Vec<String> {
        serde_json::from_str(&self.evidence).unwrap_or_default()
    }
}

const HAND_COLUMNS: &str = "h.id, h.school_union_id, h.school_year, h.indicator, h.points, h.evidence, h.scheme_version, h.appeal_id, h.scored_by, h.scored_by_label, h.scored_on";

#[allow(clippy::too_many_arguments)]
async fn insert_score(
    tx: &mut Tx,
    school: OrgUnitId,
    year: i32,
    indicator: &str,
    points: i64,
    evidence: &str,
    appeal: Option<i64>,
    who: &Who,
    today: NaiveDate,
) -> Result<i64, StoreError> {
    let id: i64 = on_tx!(tx, |c| {
        sqlx::query_scalar(
            "INSERT INTO annual_hand_score (school_union_id, school_year, indicator, points, evidence, scheme_version, appeal_id, scored_by, scored_by_label, scored_on, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
        )
        .bind(school.0)
        .bind(i64::from(year))
        .bind(indicator)
        .bind(points)
        .bind(evidence)
        .bind(current().version)
        .bind(appeal)
        .bind(who.account.map(|a| a.0))
        .bind(&who.label)
        .bind(today)
        .bind(now())
        .fetch_one(&mut *c)
        .await
    })?;
    Ok(id)
}

async fn latest_tx(
    tx: &mut Tx,
    school: OrgUnitId,
    year: i32,
    indicator: &str,
) -> Result<Option<HandRow>, StoreError> {
    let mut q = Sql::new(&format!(
        "SELECT {HAND_COLUMNS} FROM annual_hand_score h WHERE h.school_union_id = "
    ));
    q.bind(Arg::I64(school.0))
        .push(" AND h.school_year = ")
        .bind(Arg::I64(i64::from(year)))
        .push(" AND h.indicator = ")
        .bind(Arg::Text(indicator.to_string()))
        .push(" ORDER BY h.id DESC LIMIT 1");
    let rows: Vec<HandRow> = q.fetch_all_tx(tx).await?;
    Ok(rows.into_iter().next())
}

/// Gives a school's hand score for an indicator of school year `year`: the indicator must
/// be hand-scored by the caller's kind of scorer, the points within its range, the
/// evidence named. Every error at its field; nothing stored on a refusal.
#[allow(clippy::too_many_arguments)]
pub async fn give(
    st: &Store,
    cap: ScorerCap<'_>,
    who: &Who,
    school: OrgUnitId,
    year: i32,
    input: &HandInput,
    today: NaiveDate,
) -> Result<HandScoreId, StoreError> {
    let scheme = current();
    let Some(ind) = scheme.hand_indicator(input.indicator.trim()) else {
        return Err(invalid(FieldError::new("indicator", t::NOT_HAND_SCORED)));
    };
    if ind.scorer != cap.scorer() {
        return Err(invalid(FieldError::new("indicator", t::NOT_HAND_SCORED)));
    }
    let mut errors = FieldErrors::default();
    let points = errors.take(parse_score("points", &input.points, ind.points));
    let evidence = errors.take(parse_evidence(&input.evidence));
    let (Some(points), Some(evidence)) = (points, evidence) else {
        return Err(StoreError::Invalid(errors));
    };
    let list: Vec<&str> = evidence.iter().map(Evidence::as_text).collect();
    let evidence_json =
        serde_json::to_string(&list).map_err(|e| StoreError::Other(e.to_string()))?;
    let mut tx = st.db.begin().await?;
    school_in_scope(&mut tx, cap.scope(), school).await?;
    let before = latest_tx(&mut tx, school, year, ind.code).await?;
    let id = insert_score(
        &mut tx,
        school,
        year,
        ind.code,
        points,
        &evidence_json,
        None,
        who,
        today,
    )
    .await?;
    let mut ch = Changes::new();
    ch.field("points", before.as_ref().map(|b| &b.points), Some(&points))
        .note("indicator", ind.code)
        .note("school_year", i64::from(year))
        .note("evidence", evidence.len() as i64)
        .note("scheme_version", scheme.version);
    audit_commit(
        tx,
        &st.cipher,
        who,
        Event {
            action: "annual_hand_score.give",
            entity_type: "annual_hand_score",
            entity_id: Some(id),
            org_unit: Some(school),
            changes: &ch,
        },
    )
    .await?;
    Ok(HandScoreId(id))
}

/// The latest hand score of every school in `scope` and indicator for year `year`
/// (`school → indicator → points`): one query, whatever the number of schools.
pub async fn latest(
    st: &Store,
    scope: &Scope,
    year: i32,
) -> Result<HashMap<i64, BTreeMap<String, i64>>, StoreError> {
    let mut q = Sql::new(
        "SELECT h.school_union_id, h.indicator, h.points FROM annual_hand_score h WHERE h.id IN (SELECT MAX(h2.id) FROM annual_hand_score h2 WHERE h2.school_year = ",
    );
    q.bind(Arg::I64(i64::from(year)))
        .push(" GROUP BY h2.school_union_id, h2.indicator)");
    crate::scope::restrict(&mut q, "h.school_union_id", scope);
    let rows: Vec<(i64, String, i64)> = q.fetch_all(&st.db).await?;
    let mut out: HashMap<i64, BTreeMap<String, i64>> = HashMap::new();
    for (s, i, p) in rows {
        out.entry(s).or_default().insert(i, p);
    }
    Ok(out)
}

/// A school's hand scores of a year, newest first (the score history): one query.
pub async fn history(
    st: &Store,
    cap: &Cap<perm::AssessmentView>,
    school: OrgUnitId,
    year: i32,
) -> Result<Vec<HandRow>, StoreError> {
    let mut q = Sql::new(&format!(
        "SELECT {HAND_COLUMNS} FROM annual_hand_score h WHERE h.school_union_id = "
    ));
    q.bind(Arg::I64(school.0))
        .push(" AND h.school_year = ")
        .bind(Arg::I64(i64::from(year)));
    crate::scope::restrict(&mut q, "h.school_union_id", cap.scope());
    q.push(" ORDER BY h.id DESC");
    q.fetch_all(&st.db).await
}

// ---- Appeals ------------------------------------------------------------------------

/// One appeal.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct AppealRow {
    pub id: i64,
    pub school_union_id: i64,
    pub school_year: i64,
    pub indicator: String,
    pub score_id: i64,
    pub reason: String,
    pub filed_by: Option<i64>,
    pub filed_by_label: String,
    pub filed_on: NaiveDate,
    pub status: String,
    pub outcome: Option<String>,
    pub decided_by_label: Option<String>,
    pub decided_on: Option<NaiveDate>,
    pub scheme_version: i64,
}

impl AppealRow {
    pub fn status(&self) -> Option<AppealStatus> {
        AppealStatus::from_code(&self.status)
    }
}

const APPEAL_COLUMNS: &str = "p.id, p.school_union_id, p.school_year, p.indicator, p.score_id, p.reason, p.filed_by, p.filed_by_label, p.filed_on, p.status, p.outcome, p.decided_by_label, p.decided_on, p.scheme_version";

fn check_text(field: &'static str, text: &str) -> Result<(), StoreError> {
    if text.is_empty() {
        return Err(invalid(FieldError::new(field, t::REASON_REQUIRED)));
    }
    if text.chars().count() > NOTE_MAX {
        return Err(invalid(
            FieldError::new(field, domain::text::TOO_LONG).arg("max", NOTE_MAX),
        ));
    }
    Ok(())
}

/// A school appeals its latest hand score of an indicator, within the scheme's window
/// from the day the score was given (the refusal names the days and the last day).
#[allow(clippy::too_many_arguments)]
pub async fn appeal(
    st: &Store,
    cap: &Cap<perm::HomeApply>,
    who: &Who,
    school: OrgUnitId,
    year: i32,
    indicator: &str,
    reason: &str,
    today: NaiveDate,
) -> Result<AppealId, StoreError> {
    let scheme = current();
    let Some(ind) = scheme.hand_indicator(indicator.trim()) else {
        return Err(invalid(FieldError::new("indicator", t::NOT_HAND_SCORED)));
    };
    let reason = reason.trim();
    check_text("reason", reason)?;
    let mut tx = st.db.begin().await?;
    school_in_scope(&mut tx, cap.scope(), school).await?;
    let Some(score) = latest_tx(&mut tx, school, year, ind.code).await? else {
        return Err(invalid(FieldError::new("indicator", t::APPEAL_NOTHING)));
    };
    let last = score.scored_on + chrono::Duration::days(scheme.appeal_days);
    if today > last {
        return Err(invalid(
            FieldError::new("reason", t::APPEAL_CLOSED)
                .arg("days", scheme.appeal_days)
                .arg("last", last.to_string()),
        ));
    }
    let open: Option<i64> = on_tx!(&mut tx, |c| {
        sqlx::query_scalar(
        "SELECT id FROM annual_appeal WHERE school_union_id = $1 AND school_year = $2 AND indicator = $3 AND status = 'open'"
    )
    .bind(school.0)
    .bind(i64::from(year))
    .bind(ind.code)
    .fetch_optional(&mut *c)
    .await
    })?;
    if open.is_some() {
        return Err(invalid(FieldError::new("indicator", t::APPEAL_OPEN)));
    }
    let id: i64 = on_tx!(&mut tx, |c| {
        sqlx::query_scalar(
            "INSERT INTO annual_appeal (school_union_id, school_year, indicator, score_id, reason, filed_by, filed_by_label, filed_on, status, scheme_version, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'open', $9, $10) RETURNING id",
        )
        .bind(school.0)
        .bind(i64::from(year))
        .bind(ind.code)
        .bind(score.id)
        .bind(reason)
        .bind(who.account.map(|a| a.0))
        .bind(&who.label)
        .bind(today)
        .bind(scheme.version)
        .bind(now())
        .fetch_one(&mut *c)
        .await
    })?;
    let mut ch = Changes::new();
    ch.note("indicator", ind.code)
        .note("school_year", i64::from(year))
        .note("score_id", score.id)
        .note("points", score.points)
        .field("reason", None, Some(&reason.to_string()))
        .note("scheme_version", scheme.version);
    audit_commit(
        tx,
        &st.cipher,
        who,
        Event {
            action: "annual_appeal.file",
            entity_type: "annual_appeal",
            entity_id: Some(id),
            org_unit: Some(school),
            changes: &ch,
        },
    )
    .await?;
    Ok(AppealId(id))
}

async fn appeal_tx(tx: &mut Tx, scope: &Scope, id: AppealId) -> Result<AppealRow, StoreError> {
    let mut q = Sql::new(&format!(
        "SELECT {APPEAL_COLUMNS} FROM annual_appeal p WHERE p.id = "
    ));
    q.bind(Arg::I64(id.0));
    crate::scope::restrict(&mut q, "p.school_union_id", scope);
    q.fetch_one_tx(tx).await
}

/// The district's outcome of an appeal: upheld, or changed to `points` (a new hand score,
/// the old one kept in the history). The decider neither gave the disputed score nor filed
/// the appeal; the outcome needs a reason. Returns the appeal's school.
#[allow(clippy::too_many_arguments)]
pub async fn decide(
    st: &Store,
    cap: &Cap<perm::AssessmentReview>,
    who: &Who,
    id: AppealId,
    change: bool,
    points: &str,
    outcome: &str,
    today: NaiveDate,
) -> Result<OrgUnitId, StoreError> {
    let scheme = current();
    let outcome = outcome.trim();
    let mut tx = st.db.begin().await?;
    let a = appeal_tx(&mut tx, cap.scope(), id).await?;
    if a.status() != Some(AppealStatus::Open) {
        return Err(StoreError::State(t::WRONG_STEP));
    }
    let Some(ind) = scheme.hand_indicator(&a.indicator) else {
        return Err(StoreError::State(t::WRONG_STEP));
    };
    let mut errors = FieldErrors::default();
    let new_points = if change {
        errors.take(parse_score("points", points, ind.points))
    } else {
        None
    };
    errors.take(check_text("outcome", outcome).map_err(|e| match e {
        StoreError::Invalid(mut f) => f.0.remove(0),
        _ => FieldError::new("outcome", t::REASON_REQUIRED),
    }));
    if !errors.is_empty() {
        return Err(StoreError::Invalid(errors));
    }
    let disputed: HandRow = {
        let mut q = Sql::new(&format!(
            "SELECT {HAND_COLUMNS} FROM annual_hand_score h WHERE h.id = "
        ));
        q.bind(Arg::I64(a.score_id));
        q.fetch_one_tx(&mut tx).await?
    };
    if same(disputed.scored_by, &disputed.scored_by_label, who)
        || same(a.filed_by, &a.filed_by_label, who)
    {
        return Err(invalid(FieldError::new("outcome", t::SAME_PERSON)));
    }
    let school = OrgUnitId(a.school_union_id);
    let year = a.school_year as i32;
    let status = if change {
        AppealStatus::Changed
    } else {
        AppealStatus::Upheld
    };
    let mut ch = Changes::new();
    if let Some(p) = new_points {
        let current_score = latest_tx(&mut tx, school, year, ind.code).await?;
        let mut evidence = disputed.evidence();
        evidence.push(format!(
            "/assessment/schools/{}?year={year}#appeal-{}",
            school.0, id.0
        ));
        let evidence =
            serde_json::to_string(&evidence).map_err(|e| StoreError::Other(e.to_string()))?;
        let sid = insert_score(
            &mut tx,
            school,
            year,
            ind.code,
            p,
            &evidence,
            Some(id.0),
            who,
            today,
        )
        .await?;
        ch.field(
            "points",
            current_score.as_ref().map(|c| &c.points),
            Some(&p),
        )
        .note("score_id", sid);
    }
    let n = on_tx!(&mut tx, |c| {
        sqlx::query(
        "UPDATE annual_appeal SET status = $1, outcome = $2, decided_by = $3, decided_by_label = $4, decided_on = $5
         WHERE id = $6 AND status = 'open'"
    )
    .bind(status.code())
    .bind(outcome)
    .bind(who.account.map(|x| x.0))
    .bind(&who.label)
    .bind(today)
    .bind(id.0)
    .execute(&mut *c)
    .await
    .map(|r| r.rows_affected())
    })?;
    if n != 1 {
        return Err(StoreError::Stale);
    }
    ch.field(
        "status",
        Some(&"open".to_string()),
        Some(&status.code().to_string()),
    )
    .field("outcome", None, Some(&outcome.to_string()))
    .note("scheme_version", scheme.version);
    audit_commit(
        tx,
        &st.cipher,
        who,
        Event {
            action: "annual_appeal.decide",
            entity_type: "annual_appeal",
            entity_id: Some(id.0),
            org_unit: Some(school),
            changes: &ch,
        },
    )
    .await?;
    Ok(school)
}

/// One appeal in scope.
pub async fn appeal_get(
    st: &Store,
    cap: &Cap<perm::AssessmentView>,
    id: AppealId,
) -> Result<AppealRow, StoreError> {
    let mut q = Sql::new(&format!(
        "SELECT {APPEAL_COLUMNS} FROM annual_appeal p WHERE p.id = "
    ));
    q.bind(Arg::I64(id.0));
    crate::scope::restrict(&mut q, "p.school_union_id", cap.scope());
    q.fetch_one(&st.db).await
}

/// A school's appeals of a year, newest first: one query.
pub async fn appeals(
    st: &Store,
    cap: &Cap<perm::AssessmentView>,
    school: OrgUnitId,
    year: i32,
) -> Result<Vec<AppealRow>, StoreError> {
    let mut q = Sql::new(&format!(
        "SELECT {APPEAL_COLUMNS} FROM annual_appeal p WHERE p.school_union_id = "
    ));
    q.bind(Arg::I64(school.0))
        .push(" AND p.school_year = ")
        .bind(Arg::I64(i64::from(year)));
    crate::scope::restrict(&mut q, "p.school_union_id", cap.scope());
    q.push(" ORDER BY p.id DESC");
    q.fetch_all(&st.db).await
}
