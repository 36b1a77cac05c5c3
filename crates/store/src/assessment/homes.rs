//! The staff-home register (职工之家): a school's application for a level with its
//! self-assessment per standard and its evidence (the school's chair), the area lead's score
//! and recommendation, the district's review by two different people (neither the school's
//! applicant), the quotas of the scheme checked at the award, and each school's level
//! history (awarded; downgraded after a failed re-review or by the district with a reason).
//!
//! "Not qualified → may not apply for a higher level" is enforced at the application: a
//! level can only be applied for by a school holding the level below it. Every step is
//! audited in its transaction and records the scheme's version.
//!
//! Must never read outside the capability's scope: out of scope is `NotFound`.

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

/// Most characters of a note or a reason.
pub const NOTE_MAX: usize = 500;

fn invalid(e: FieldError) -> StoreError {
    StoreError::Invalid(FieldErrors(vec![e]))
}

/// One application, as its page shows it.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct ApplicationRow {
    pub id: i64,
    pub school_union_id: i64,
    pub school_name: String,
    pub level: String,
    pub status: String,
    pub scheme_version: i64,
    pub self_scores: String,
    pub self_total: i64,
    pub evidence: String,
    pub applied_by: Option<i64>,
    pub applied_by_label: String,
    pub applied_on: NaiveDate,
    pub area_score: Option<i64>,
    pub recommended_by: Option<i64>,
    pub recommended_by_label: Option<String>,
    pub first_reviewer: Option<i64>,
    pub first_reviewer_label: Option<String>,
    pub decided_by_label: Option<String>,
    pub decided_on: Option<NaiveDate>,
    pub note: Option<String>,
}

impl ApplicationRow {
    pub fn level(&self) -> Option<HomeLevel> {
        HomeLevel::from_code(&self.level)
    }
    pub fn status(&self) -> Option<ApplicationStatus> {
        ApplicationStatus::from_code(&self.status)
    }
    /// (standard, points) of the self-assessment.
    pub fn scores(&self) -> Vec<(String, i64)> {
        serde_json::from_str(&self.self_scores).unwrap_or_default()
    }
    pub fn evidence(&self) -> Vec<String> {
        serde_json::from_str(&self.evidence).unwrap_or_default()
    }
}

const APP_COLUMNS: &str = "a.id, a.school_union_id, u.name AS school_name, a.level, a.status, a.scheme_version, a.self_scores, a.self_total, a.evidence, a.applied_by, a.applied_by_label, a.applied_on, a.area_score, a.recommended_by, a.recommended_by_label, a.first_reviewer, a.first_reviewer_label, a.decided_by_label, a.decided_on, a.note";

fn app_sql(where_: &'static str) -> Sql {
    let mut q = Sql::new(&format!(
        "SELECT {APP_COLUMNS} FROM home_application a JOIN org_unit u ON u.id = a.school_union_id WHERE "
    ));
    q.push(where_);
    q
}

/// One application in scope.
pub async fn get(
    st: &Store,
    cap: &Cap<perm::AssessmentView>,
    id: HomeApplicationId,
) -> Result<ApplicationRow, StoreError> {
    let mut q = app_sql("a.id = ");
    q.bind(Arg::I64(id.0));
    crate::scope::restrict(&mut q, "a.school_union_id", cap.scope());
    q.fetch_one(&st.db).await
}

async fn get_tx(
    tx: &mut Tx,
    scope: &Scope,
    id: HomeApplicationId,
) -> Result<ApplicationRow, StoreError> {
    let mut q = app_sql("a.id = ");
    q.bind(Arg::I64(id.0));
    crate::scope::restrict(&mut q, "a.school_union_id", scope);
    q.fetch_one_tx(tx).await
}

/// The current level of a school (inside a transaction).
async fn level_tx(tx: &mut Tx, school: OrgUnitId) -> Result<Option<HomeLevel>, StoreError> {
    let row: Option<(Option<String>,)> = on_tx!(tx, |c| sqlx::query_as(
        "SELECT level FROM home_level WHERE school_union_id = $1 ORDER BY id DESC LIMIT 1"
    )
    .bind(school.0)
    .fetch_optional(&mut *c)
    .await)?;
    Ok(row
        .and_then(|(l,)| l)
        .as_deref()
        .and_then(HomeLevel::from_code))
}

/// The same person: the same account, or (for the system) the same label.
fn same(a: Option<i64>, a_label: &str, who: &Who) -> bool {
    match (a, who.account) {
        (Some(x), Some(y)) => x == y.0,
        (None, None) => a_label == who.label,
        _ => false,
    }
}

/// A school's self-assessment for a level, with its evidence (the school's chair).
pub async fn apply(
    st: &Store,
    cap: &Cap<perm::HomeApply>,
    who: &Who,
    school: OrgUnitId,
    sa: &SelfAssessment,
    today: NaiveDate,
) -> Result<HomeApplicationId, StoreError> {
    apply_with_files(st, cap, who, school, sa, &[], today).await
}

/// [`apply`] with evidence files already proved by their content
/// ([`super::evidence::check`]), written in the same transaction: a refused application
/// stores none of them.
pub async fn apply_with_files(
    st: &Store,
    cap: &Cap<perm::HomeApply>,
    who: &Who,
    school: OrgUnitId,
    sa: &SelfAssessment,
    files: &[super::evidence::Checked],
    today: NaiveDate,
) -> Result<HomeApplicationId, StoreError> {
    let scheme = current();
    let mut tx = st.db.begin().await?;
    if !crate::org::units::tx_in_scope(&mut tx, cap.scope(), school).await? {
        return Err(StoreError::NotFound);
    }
    let u = crate::org::units::tx_unit(&mut tx, school).await?;
    if u.kind != domain::org::OrgKind::SchoolUnion {
        return Err(invalid(FieldError::new("school", t::NOT_A_SCHOOL)));
    }
    let held = level_tx(&mut tx, school).await?;
    let rank = held.map(HomeLevel::rank).unwrap_or(0);
    if let Some(req) = sa.level.requires()
        && rank < req.rank()
    {
        return Err(invalid(
            FieldError::new("level", t::NOT_QUALIFIED_YET).arg("level", req.code()),
        ));
    }
    if rank > sa.level.rank() {
        return Err(invalid(FieldError::new("level", t::ALREADY_HELD)));
    }
    let open: Option<i64> = on_tx!(&mut tx, |c| sqlx::query_scalar(
        "SELECT id FROM home_application WHERE school_union_id = $1 AND decided_on IS NULL"
    )
    .bind(school.0)
    .fetch_optional(&mut *c)
    .await)?;
    if open.is_some() {
        return Err(StoreError::State(t::APPLICATION_OPEN));
    }
    let scores = serde_json::to_string(&sa.scores).map_err(|e| StoreError::Other(e.to_string()))?;
    let evidence: Vec<&str> = sa.evidence.iter().map(Evidence::as_text).collect();
    let evidence =
        serde_json::to_string(&evidence).map_err(|e| StoreError::Other(e.to_string()))?;
    let ts = now();
    let id: i64 = on_tx!(&mut tx, |c| {
        sqlx::query_scalar(
        "INSERT INTO home_application (school_union_id, level, status, scheme_version, self_scores, self_total, evidence, applied_by, applied_by_label, applied_on, created_at, updated_at)
         VALUES ($1, $2, 'self_assessed', $3, $4, $5, $6, $7, $8, $9, $10, $10) RETURNING id"
    )
    .bind(school.0)
    .bind(sa.level.code())
    .bind(scheme.version)
    .bind(&scores)
    .bind(sa.total())
    .bind(&evidence)
    .bind(who.account.map(|a| a.0))
    .bind(&who.label)
    .bind(today)
    .bind(ts)
    .fetch_one(&mut *c)
    .await
    })?;
    super::evidence::insert_tx(&mut tx, id, school, files, who).await?;
    let mut ch = Changes::new();
    ch.note("level", sa.level.code())
        .note("self_total", sa.total())
        .note("evidence", sa.evidence.len() as i64)
        .note("evidence_files", files.len() as i64)
        .note("scheme_version", scheme.version);
    audit_commit(
        tx,
        &st.cipher,
        who,
        Event {
            action: "home_application.apply",
            entity_type: "home_application",
            entity_id: Some(id),
            org_unit: Some(school),
            changes: &ch,
        },
    )
    .await?;
    Ok(HomeApplicationId(id))
}

/// The area lead's score (of 100) and recommendation. Recommending needs at least the
/// scheme's least score for the level.
#[allow(clippy::too_many_arguments)]
pub async fn recommend(
    st: &Store,
    cap: &Cap<perm::HomeRecommend>,
    who: &Who,
    id: HomeApplicationId,
    recommended: bool,
    score: i64,
    note: &str,
    today: NaiveDate,
) -> Result<(), StoreError> {
    let scheme = current();
    if !(0..=100).contains(&score) {
        return Err(invalid(
            FieldError::new("score", t::SCORE_RANGE).arg("max", 100),
        ));
    }
    let mut tx = st.db.begin().await?;
    let a = get_tx(&mut tx, cap.scope(), id).await?;
    if a.status() != Some(ApplicationStatus::SelfAssessed) {
        return Err(StoreError::State(t::WRONG_STEP));
    }
    if same(a.applied_by, &a.applied_by_label, who) {
        return Err(invalid(FieldError::new("score", t::OWN_SCHOOL)));
    }
    let level = a.level().ok_or(StoreError::State(t::WRONG_STEP))?;
    let min = scheme.min_score_for(level);
    if recommended && score < min {
        return Err(invalid(
            FieldError::new("score", t::BELOW_THRESHOLD).arg("min", min),
        ));
    }
    let note = note.trim();
    if note.chars().count() > NOTE_MAX {
        return Err(invalid(
            FieldError::new("note", domain::text::TOO_LONG).arg("max", NOTE_MAX),
        ));
    }
    let status = if recommended {
        ApplicationStatus::Recommended
    } else {
        ApplicationStatus::NotRecommended
    };
    let decided = (!recommended).then_some(today);
    let note_opt = (!note.is_empty()).then(|| note.to_string());
    let n = on_tx!(&mut tx, |c| {
        sqlx::query(
        "UPDATE home_application SET status = $1, area_score = $2, recommended_by = $3, recommended_by_label = $4,
         decided_on = $5, decided_by_label = CASE WHEN $5 IS NULL THEN NULL ELSE $4 END, note = $6, updated_at = $7
         WHERE id = $8 AND status = 'self_assessed'"
    )
    .bind(status.code())
    .bind(score)
    .bind(who.account.map(|x| x.0))
    .bind(&who.label)
    .bind(decided)
    .bind(&note_opt)
    .bind(now())
    .bind(id.0)
    .execute(&mut *c)
    .await
    .map(|r| r.rows_affected())
    })?;
    if n != 1 {
        return Err(StoreError::Stale);
    }
    let mut ch = Changes::new();
    ch.field("status", Some(&a.status), Some(&status.code().to_string()))
        .note("area_score", score);
    audit_commit(
        tx,
        &st.cipher,
        who,
        Event {
            action: "home_application.recommend",
            entity_type: "home_application",
            entity_id: Some(id.0),
            org_unit: Some(OrgUnitId(a.school_union_id)),
            changes: &ch,
        },
    )
    .await
}

/// Schools of the union `school` belongs to, and how many of them hold `level` or a higher
/// one (not counting `school`).
async fn quota_counts(
    tx: &mut Tx,
    school: OrgUnitId,
    level: HomeLevel,
) -> Result<(i64, i64), StoreError> {
    let root: i64 = on_tx!(tx, |c| {
        sqlx::query_scalar(
        "SELECT ancestor_id FROM org_closure WHERE descendant_id = $1 ORDER BY depth DESC LIMIT 1"
    )
    .bind(school.0)
    .fetch_one(&mut *c)
    .await
    })?;
    let schools: i64 = on_tx!(tx, |c| {
        sqlx::query_scalar(
        "SELECT COUNT(*) FROM org_unit u JOIN org_closure c ON c.descendant_id = u.id WHERE c.ancestor_id = $1 AND u.kind = 'school_union'"
    )
    .bind(root)
    .fetch_one(&mut *c)
    .await
    })?;
    let holding: i64 = on_tx!(tx, |c| {
        sqlx::query_scalar(
        // Each school's latest level first (one pass over the index), then one closure probe
        // per school: written as `h.id IN (latest ids)` joined to the closure, SQLite probed
        // every (descendant, latest id) pair — 20 s per award at 5,555 schools.
        "SELECT COUNT(*) FROM (SELECT h2.school_union_id, MAX(h2.id) AS id FROM home_level h2 GROUP BY h2.school_union_id) latest
         JOIN home_level h ON h.id = latest.id
         JOIN org_closure c ON c.ancestor_id = $1 AND c.descendant_id = latest.school_union_id
         WHERE latest.school_union_id <> $2
           AND (CASE h.level WHEN 'qualified' THEN 1 WHEN 'advanced' THEN 2 WHEN 'model' THEN 3 ELSE 0 END) >= $3"
    )
    .bind(root)
    .bind(school.0)
    .bind(level.rank())
    .fetch_one(&mut *c)
    .await
    })?;
    Ok((schools, holding))
}

#[allow(clippy::too_many_arguments)]
async fn insert_level(
    tx: &mut Tx,
    school: OrgUnitId,
    level: Option<HomeLevel>,
    change: LevelChange,
    application: Option<i64>,
    reason: Option<&str>,
    day: NaiveDate,
    who: &Who,
) -> Result<i64, StoreError> {
    let id: i64 = on_tx!(tx, |c| {
        sqlx::query_scalar(
        "INSERT INTO home_level (school_union_id, level, change, application_id, scheme_version, reason, decided_on, by_label, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id"
    )
    .bind(school.0)
    .bind(level.map(|l| l.code()))
    .bind(change.code())
    .bind(application)
    .bind(current().version)
    .bind(reason)
    .bind(day)
    .bind(&who.label)
    .bind(now())
    .fetch_one(&mut *c)
    .await
    })?;
    Ok(id)
}

/// The district's review. Approving takes two different people: the first moves the
/// application to `first_review`, the second awards the level within the scheme's quota
/// (a breach is refused with the numbers). Refusing needs a reason; a refused re-review of
/// the level the school holds downgrades it one step.
pub async fn review(
    st: &Store,
    cap: &Cap<perm::AssessmentReview>,
    who: &Who,
    id: HomeApplicationId,
    approve: bool,
    reason: &str,
    today: NaiveDate,
) -> Result<(), StoreError> {
    let scheme = current();
    let reason = reason.trim();
    if !approve && reason.is_empty() {
        return Err(invalid(FieldError::new("reason", t::REASON_REQUIRED)));
    }
    if reason.chars().count() > NOTE_MAX {
        return Err(invalid(
            FieldError::new("reason", domain::text::TOO_LONG).arg("max", NOTE_MAX),
        ));
    }
    let mut tx = st.db.begin().await?;
    let a = get_tx(&mut tx, cap.scope(), id).await?;
    let status = a.status().ok_or(StoreError::State(t::WRONG_STEP))?;
    if !matches!(
        status,
        ApplicationStatus::Recommended | ApplicationStatus::FirstReview
    ) {
        return Err(StoreError::State(t::WRONG_STEP));
    }
    if same(a.applied_by, &a.applied_by_label, who) {
        return Err(invalid(FieldError::new("reason", t::OWN_SCHOOL)));
    }
    let school = OrgUnitId(a.school_union_id);
    let level = a.level().ok_or(StoreError::State(t::WRONG_STEP))?;
    let reason_opt = (!reason.is_empty()).then_some(reason);
    let mut ch = Changes::new();
    let action;
    let next;
    if !approve {
        next = ApplicationStatus::Refused;
        action = "home_application.refuse";
        let held = level_tx(&mut tx, school).await?;
        if held == Some(level) {
            let below = level.below();
            insert_level(
                &mut tx,
                school,
                below,
                LevelChange::Downgraded,
                Some(id.0),
                reason_opt,
                today,
                who,
            )
            .await?;
            ch.field(
                "home_level",
                Some(&level.code().to_string()),
                Some(&below.map(|l| l.code()).unwrap_or("").to_string()),
            );
        }
    } else if status == ApplicationStatus::Recommended {
        next = ApplicationStatus::FirstReview;
        action = "home_application.first_review";
    } else {
        if same(
            a.first_reviewer,
            a.first_reviewer_label.as_deref().unwrap_or(""),
            who,
        ) {
            return Err(invalid(FieldError::new("reason", t::SAME_REVIEWER)));
        }
        let (schools, holding) = quota_counts(&mut tx, school, level).await?;
        scheme
            .check_quota(level, holding, schools)
            .map_err(invalid)?;
        next = ApplicationStatus::Approved;
        action = "home_application.approve";
        insert_level(
            &mut tx,
            school,
            Some(level),
            LevelChange::Awarded,
            Some(id.0),
            None,
            today,
            who,
        )
        .await?;
        ch.note("home_level", level.code())
            .note("schools", schools)
            .note("holding", holding);
    }
    let first = next == ApplicationStatus::FirstReview;
    let decided = matches!(
        next,
        ApplicationStatus::Approved | ApplicationStatus::Refused
    )
    .then_some(today);
    let note = reason_opt.map(str::to_string).or(a.note.clone());
    let n = on_tx!(&mut tx, |c| sqlx::query(
        "UPDATE home_application SET status = $1,
           first_reviewer = CASE WHEN $2 THEN $3 ELSE first_reviewer END,
           first_reviewer_label = CASE WHEN $2 THEN $4 ELSE first_reviewer_label END,
           decided_on = $5, decided_by = CASE WHEN $5 IS NULL THEN NULL ELSE $3 END,
           decided_by_label = CASE WHEN $5 IS NULL THEN NULL ELSE $4 END, note = $6, updated_at = $7
         WHERE id = $8 AND status = $9"
    )
    .bind(next.code())
    .bind(first)
    .bind(who.account.map(|x| x.0))
    .bind(&who.label)
    .bind(decided)
    .bind(&note)
    .bind(now())
    .bind(id.0)
    .bind(status.code())
    .execute(&mut *c)
    .await
    .map(|r| r.rows_affected()))?;
    if n != 1 {
        return Err(StoreError::Stale);
    }
    ch.field(
        "status",
        Some(&status.code().to_string()),
        Some(&next.code().to_string()),
    )
    .note("scheme_version", scheme.version);
    audit_commit(
        tx,
        &st.cipher,
        who,
        Event {
            action,
            entity_type: "home_application",
            entity_id: Some(id.0),
            org_unit: Some(school),
            changes: &ch,
        },
    )
    .await
}

/// Downgrades a school one step (模范 → 先进 → 合格 → none), with a reason (the district).
pub async fn downgrade(
    st: &Store,
    cap: &Cap<perm::AssessmentReview>,
    who: &Who,
    school: OrgUnitId,
    reason: &str,
    today: NaiveDate,
) -> Result<Option<HomeLevel>, StoreError> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(invalid(FieldError::new("reason", t::REASON_REQUIRED)));
    }
    if reason.chars().count() > NOTE_MAX {
        return Err(invalid(
            FieldError::new("reason", domain::text::TOO_LONG).arg("max", NOTE_MAX),
        ));
    }
    let mut tx = st.db.begin().await?;
    if !crate::org::units::tx_in_scope(&mut tx, cap.scope(), school).await? {
        return Err(StoreError::NotFound);
    }
    let Some(held) = level_tx(&mut tx, school).await? else {
        return Err(StoreError::State(t::NO_LEVEL));
    };
    let below = held.below();
    let id = insert_level(
        &mut tx,
        school,
        below,
        LevelChange::Downgraded,
        None,
        Some(reason),
        today,
        who,
    )
    .await?;
    let mut ch = Changes::new();
    ch.field(
        "level",
        Some(&held.code().to_string()),
        Some(&below.map(|l| l.code()).unwrap_or("").to_string()),
    )
    .field("reason", None, Some(&reason.to_string()));
    audit_commit(
        tx,
        &st.cipher,
        who,
        Event {
            action: "home_level.downgrade",
            entity_type: "home_level",
            entity_id: Some(id),
            org_unit: Some(school),
            changes: &ch,
        },
    )
    .await?;
    Ok(below)
}

/// One school of the register: its level today and its latest application.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegisterRow {
    pub school: OrgUnitId,
    pub school_name: String,
    pub level: Option<HomeLevel>,
    pub application: Option<ApplicationRow>,
}

/// Every school in scope with its level today and its latest application: three queries,
/// whatever the number of schools.
pub async fn register(
    st: &Store,
    cap: &Cap<perm::AssessmentView>,
    today: NaiveDate,
) -> Result<Vec<RegisterRow>, StoreError> {
    let schools = crate::org::units::schools(&st.db, cap).await?;
    let levels: std::collections::HashMap<i64, Option<HomeLevel>> =
        super::levels_on(st, cap.scope(), today)
            .await?
            .into_iter()
            .collect();
    let mut q =
        app_sql("a.id IN (SELECT MAX(a2.id) FROM home_application a2 GROUP BY a2.school_union_id)");
    crate::scope::restrict(&mut q, "a.school_union_id", cap.scope());
    let apps: Vec<ApplicationRow> = q.fetch_all(&st.db).await?;
    let mut apps: std::collections::HashMap<i64, ApplicationRow> =
        apps.into_iter().map(|a| (a.school_union_id, a)).collect();
    Ok(schools
        .into_iter()
        .map(|s| RegisterRow {
            school: s.id,
            school_name: s.name.clone(),
            level: levels.get(&s.id.0).copied().flatten(),
            application: apps.remove(&s.id.0),
        })
        .collect())
}

/// One step of a school's level history.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct LevelRow {
    pub id: i64,
    pub level: Option<String>,
    pub change: String,
    pub application_id: Option<i64>,
    pub scheme_version: i64,
    pub reason: Option<String>,
    pub decided_on: NaiveDate,
    pub by_label: String,
}

/// A school's level history, newest first (one query).
pub async fn history(
    st: &Store,
    cap: &Cap<perm::AssessmentView>,
    school: OrgUnitId,
) -> Result<Vec<LevelRow>, StoreError> {
    let mut q = Sql::new(
        "SELECT h.id, h.level, h.change, h.application_id, h.scheme_version, h.reason, h.decided_on, h.by_label FROM home_level h WHERE h.school_union_id = ",
    );
    q.bind(Arg::I64(school.0));
    crate::scope::restrict(&mut q, "h.school_union_id", cap.scope());
    q.push(" ORDER BY h.id DESC");
    q.fetch_all(&st.db).await
}

/// A candidate of an upward nomination: a school holding the nomination's level, with the
/// application that won it.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct NomineeRow {
    pub school_union_id: i64,
    pub school_name: String,
    pub area_name: Option<String>,
    pub awarded_on: NaiveDate,
    pub application_id: Option<i64>,
    pub area_score: Option<i64>,
    pub self_total: Option<i64>,
    pub evidence: Option<String>,
}

impl NomineeRow {
    pub fn evidence(&self) -> Vec<String> {
        self.evidence
            .as_deref()
            .and_then(|e| serde_json::from_str(e).ok())
            .unwrap_or_default()
    }
}

/// The candidates of an upward nomination (`tier` of the scheme in force) in scope: every
/// school holding the tier's level on `today`, best area score first (then the
/// self-assessment, then the name). The export is audited. One query for the rows.
pub async fn nominees(
    st: &Store,
    cap: &Cap<perm::AssessmentReview>,
    who: &Who,
    tier: &str,
    today: NaiveDate,
) -> Result<(&'static Nomination, Vec<NomineeRow>), StoreError> {
    let scheme = current();
    let nom = scheme.nomination(tier).ok_or(StoreError::NotFound)?;
    let mut q = Sql::new(
        "SELECT h.school_union_id, u.name AS school_name, ar.name AS area_name, h.decided_on AS awarded_on,
                a.id AS application_id, a.area_score, a.self_total, a.evidence
         FROM home_level h JOIN org_unit u ON u.id = h.school_union_id
         LEFT JOIN org_unit ar ON ar.id = u.parent_id AND ar.kind = 'area'
         LEFT JOIN home_application a ON a.id = h.application_id
         WHERE h.id IN (SELECT MAX(h2.id) FROM home_level h2 WHERE h2.decided_on <= ",
    );
    q.bind(Arg::Date(today))
        .push(" GROUP BY h2.school_union_id) AND h.level = ")
        .bind(Arg::Text(nom.level.code().to_string()));
    crate::scope::restrict(&mut q, "h.school_union_id", cap.scope());
    let mut rows: Vec<NomineeRow> = q.fetch_all(&st.db).await?;
    rows.sort_by(|x, y| {
        y.area_score
            .cmp(&x.area_score)
            .then_with(|| y.self_total.cmp(&x.self_total))
            .then_with(|| x.school_name.cmp(&y.school_name))
    });
    let mut tx = st.db.begin().await?;
    let mut ch = Changes::new();
    ch.note("tier", nom.tier)
        .note("level", nom.level.code())
        .note("rows", rows.len() as i64)
        .note("count", nom.count)
        .note("scheme_version", scheme.version);
    crate::audit::append(
        &mut tx,
        &st.cipher,
        who,
        Event {
            action: "home_nomination.export",
            entity_type: "home_level",
            entity_id: None,
            org_unit: cap.scope().roots().and_then(|r| r.first().copied()),
            changes: &ch,
        },
    )
    .await?;
    tx.commit().await?;
    Ok((nom, rows))
}
