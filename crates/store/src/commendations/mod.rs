//! Commendations (评选表彰) in the database: awards set by a union unit for the schools
//! below it with their quotas ([`create_award`]); nominations by a school with the deeds,
//! within its quota and the deadline ([`nominate`]); the organizer's review, which puts an
//! endorsed nomination on public notice for the days of the rule set in force
//! ([`review`]); the public notice page's list and objections lodged on it by anyone
//! ([`public_notices`], [`lodge_objection`]); objections handled with a recorded outcome
//! ([`handle_objection`]); the award with its certificate code ([`award`]) and the public
//! check of that code ([`verify`]).
//!
//! Must never: show an objection's text or contact outside the organizer's scope (both are
//! sealed to their row, and the contact is shown masked); let a school nominate for
//! another school or beyond its quota; award before the notice period has ended, with an
//! objection pending or upheld, or beyond the award's total quota. Every read of scoped
//! data takes a capability and filters by scope in SQL; out of scope looks like missing.
//! Every change is audited in its transaction (an objection's text never in the audit).

pub mod register;
pub mod rules;

use crate::area::{Area, CodedColumn, EncryptedColumn, Reach};
use crate::audit::Who;
use crate::crypto::Field;
use crate::db::{Arg, Sql, Tx, now};
use crate::{Db, Store, StoreError, on_tx};
use chrono::{DateTime, NaiveDate, Utc};
use domain::FieldError;
use domain::area::{Concerns, DueItem, Figure, FigureKind, FigureValue, Summation};
use domain::audit::Changes;
use domain::auth::{Cap, Role, Scope, perm};
use domain::commendations::text as t;
use domain::commendations::*;
use domain::ids::{MemberId, OrgUnitId};
use domain::org::Coded;
use futures::FutureExt;
use futures::future::BoxFuture;

/// The area name of the commendation rule set in `area_rule_set`.
pub const RULES_AREA: &str = "commendations";

/// The objection's text (it may name people and facts about them).
pub const OBJECTION_BODY: EncryptedColumn = EncryptedColumn {
    table: "commendation_objection",
    key: "id",
    column: "body_enc",
    field: Field::Hardship,
    indexes: &[],
};
/// The contact an objector chose to leave (optional).
pub const OBJECTION_CONTACT: EncryptedColumn = EncryptedColumn {
    table: "commendation_objection",
    key: "id",
    column: "contact_enc",
    field: Field::Phone,
    indexes: &[],
};

/// Days before a notice period ends that the nominee appears among the organizer's due
/// items (to handle the objections and award); overdue ones stay until acted on.
pub const NOTICE_DUE_DAYS: i64 = 3;

static FIGURES: &[Figure] = &[Figure {
    key: "figure-commendations-awarded",
    kind: FigureKind::Count,
    list: "/honours?year={year}",
    sum: Summation::Sum,
}];

/// Commendations: awards, nominations, public notice, objections and awards.
pub static AREA: Area = Area {
    coded: &[
        CodedColumn::of::<AwardKind>("commendation_award.kind"),
        CodedColumn::of::<NominationStatus>("commendation_nomination.status"),
        CodedColumn::of::<ObjectionOutcome>("commendation_objection.outcome"),
    ],
    encrypted: &[OBJECTION_BODY, OBJECTION_CONTACT],
    demo: Some(area_demo),
    figures: FIGURES,
    year_figures: Some(year_figures_boxed),
    due_items: Some(due_items_boxed),
    ..Area::new("commendations")
};

fn year_figures_boxed<'a>(
    st: &'a Store,
    reach: &'a Reach,
    year: i32,
) -> BoxFuture<'a, Result<Vec<FigureValue>, StoreError>> {
    year_figures(st, reach, year).boxed()
}

fn due_items_boxed<'a>(
    st: &'a Store,
    reach: &'a Reach,
    today: NaiveDate,
) -> BoxFuture<'a, Result<Vec<DueItem>, StoreError>> {
    due_items(st, reach, today).boxed()
}

/// Honours awarded in the year (by the award's year) per nominating school: one query.
pub async fn year_figures(
    st: &Store,
    reach: &Reach,
    year: i32,
) -> Result<Vec<FigureValue>, StoreError> {
    let mut q = Sql::new(
        "SELECT n.school_union_id, CAST(COUNT(*) AS BIGINT) FROM commendation_nomination n
         JOIN commendation_award a ON a.id = n.award_id WHERE n.status = 'awarded' AND a.award_year = ",
    );
    q.bind(Arg::I64(i64::from(year)));
    crate::scope::restrict(&mut q, "n.school_union_id", reach.scope());
    q.push(" GROUP BY n.school_union_id ORDER BY n.school_union_id");
    let rows: Vec<(i64, i64)> = q.fetch_all(&st.db).await?;
    Ok(rows
        .into_iter()
        .map(|(u, n)| FigureValue {
            key: FIGURES[0].key.to_string(),
            unit: OrgUnitId(u),
            year,
            value: n,
        })
        .collect())
}

/// Nominees whose public notice ends within [`NOTICE_DUE_DAYS`] or has ended without a
/// decision (for the organizer's union staff: handle the objections, then award). One
/// query. The title is the award and the nominee's name, as on the public board.
pub async fn due_items(
    st: &Store,
    reach: &Reach,
    today: NaiveDate,
) -> Result<Vec<DueItem>, StoreError> {
    let until = today + chrono::Duration::days(NOTICE_DUE_DAYS);
    let mut q = Sql::new(
        "SELECT n.id, a.organizer_unit_id, a.name, n.nominee, n.notice_until FROM commendation_nomination n
         JOIN commendation_award a ON a.id = n.award_id WHERE n.status = 'notice' AND n.notice_until <= ",
    );
    q.bind(Arg::Date(until));
    crate::scope::restrict(&mut q, "a.organizer_unit_id", reach.scope());
    q.push(" ORDER BY n.notice_until, n.id");
    let rows: Vec<(i64, i64, String, String, NaiveDate)> = q.fetch_all(&st.db).await?;
    Ok(rows
        .into_iter()
        .map(|(id, org, award, nominee, due)| DueItem {
            area: "commendations".into(),
            kind: "due-commendations-notice".into(),
            key: format!("commendations-notice:{id}:{due}"),
            unit: OrgUnitId(org),
            title: format!("{award}：{nominee}"),
            due,
            concerns: vec![Concerns::Role {
                role: Role::UnionStaff,
                unit: OrgUnitId(org),
            }],
            href: format!("/honours/nominations/{id}"),
        })
        .collect())
}

fn invalid(e: FieldError) -> StoreError {
    StoreError::Invalid(domain::FieldErrors(vec![e]))
}

use crate::kit::record_commit as log_commit;

/// The commendation rule set in force at `unit` (the award's organizer) and the label a
/// decision records. One query.
pub(crate) async fn rules_tx(
    tx: &mut Tx,
    unit: OrgUnitId,
) -> Result<(CommendationRules, String), StoreError> {
    let v = crate::rule_sets::in_force_tx::<CommendationRules>(tx, RULES_AREA, unit).await?;
    Ok(match v {
        Some(v) => (
            v.rules,
            crate::rule_sets::label(RULES_AREA, Some(&v), CommendationRules::BUILTIN_LABEL),
        ),
        None => (
            CommendationRules::LOCAL,
            CommendationRules::BUILTIN_LABEL.to_string(),
        ),
    })
}

/// Pushes "the award `a` is visible in `scope`": its organizer is in scope, or it is set
/// above a unit of the scope (a district award is open to its schools).
fn push_award_visible(q: &mut Sql, scope: &Scope) {
    if scope.roots().is_none() {
        return;
    }
    q.push(" AND (");
    crate::scope::push_in_scope(q, "a.organizer_unit_id", scope);
    q.push(
        " OR EXISTS (SELECT 1 FROM org_closure up WHERE up.ancestor_id = a.organizer_unit_id AND ",
    );
    crate::scope::push_in_scope(q, "up.descendant_id", scope);
    q.push("))");
}

/// An award as listed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AwardRow {
    pub id: AwardId,
    pub organizer: OrgUnitId,
    pub organizer_name: String,
    pub name: String,
    pub kind: AwardKind,
    pub year: i32,
    pub quota_per_school: i64,
    pub quota_total: i64,
    pub nominate_until: NaiveDate,
    /// Nominations the reader may see.
    pub nominations: i64,
    pub awarded: i64,
}

const AWARD_COLS: &str = "SELECT a.id, a.organizer_unit_id, o.name, a.name, a.kind, a.award_year, a.quota_per_school, a.quota_total, a.nominate_until,";

type AwardTuple = (
    i64,
    i64,
    String,
    String,
    String,
    i64,
    i64,
    i64,
    NaiveDate,
    i64,
    i64,
);

fn award_row(r: AwardTuple) -> Option<AwardRow> {
    Some(AwardRow {
        id: AwardId(r.0),
        organizer: OrgUnitId(r.1),
        organizer_name: r.2,
        name: r.3,
        kind: AwardKind::from_code(&r.4)?,
        year: r.5 as i32,
        quota_per_school: r.6,
        quota_total: r.7,
        nominate_until: r.8,
        nominations: r.9,
        awarded: r.10,
    })
}

/// Pushes the two counts of an award row (nominations the reader may see, awards).
fn push_counts(q: &mut Sql, scope: &Scope) {
    q.push(
        " (SELECT CAST(COUNT(*) AS BIGINT) FROM commendation_nomination n WHERE n.award_id = a.id",
    );
    if scope.roots().is_some() {
        q.push(" AND (");
        crate::scope::push_in_scope(q, "n.school_union_id", scope);
        q.push(" OR ");
        crate::scope::push_in_scope(q, "a.organizer_unit_id", scope);
        q.push(")");
    }
    q.push("), (SELECT CAST(COUNT(*) AS BIGINT) FROM commendation_nomination n2 WHERE n2.award_id = a.id AND n2.status = 'awarded')
        FROM commendation_award a JOIN org_unit o ON o.id = a.organizer_unit_id WHERE ");
}

/// The awards of a year visible in scope, by deadline: one query.
pub async fn list_awards(
    db: &Db,
    cap: &Cap<perm::ContestView>,
    year: i32,
) -> Result<Vec<AwardRow>, StoreError> {
    let mut q = Sql::new(AWARD_COLS);
    push_counts(&mut q, cap.scope());
    q.push("a.award_year = ").bind(Arg::I64(i64::from(year)));
    push_award_visible(&mut q, cap.scope());
    q.push(" ORDER BY a.nominate_until DESC, a.id DESC");
    let rows: Vec<AwardTuple> = q.fetch_all(db).await?;
    Ok(rows.into_iter().filter_map(award_row).collect())
}

/// One award visible in scope.
pub async fn get_award<P: perm::Perm>(
    db: &Db,
    cap: &Cap<P>,
    id: AwardId,
) -> Result<AwardRow, StoreError> {
    let mut q = Sql::new(AWARD_COLS);
    push_counts(&mut q, cap.scope());
    q.push("a.id = ").bind(Arg::I64(id.0));
    push_award_visible(&mut q, cap.scope());
    let rows: Vec<AwardTuple> = q.fetch_all(db).await?;
    rows.into_iter()
        .next()
        .and_then(award_row)
        .ok_or(StoreError::NotFound)
}

/// Whether the award's organizer is in the capability's scope (the reader runs it).
pub async fn organizes<P: perm::Perm>(
    db: &Db,
    cap: &Cap<P>,
    id: AwardId,
) -> Result<bool, StoreError> {
    let mut q = Sql::new("SELECT a.id FROM commendation_award a WHERE a.id = ");
    q.bind(Arg::I64(id.0));
    crate::scope::restrict(&mut q, "a.organizer_unit_id", cap.scope());
    let rows: Vec<(i64,)> = q.fetch_all(db).await?;
    Ok(!rows.is_empty())
}

/// Sets an award at `organizer` (a unit in scope).
pub async fn create_award(
    st: &Store,
    cap: &Cap<perm::ContestManage>,
    who: &Who,
    organizer: OrgUnitId,
    d: &AwardDraft,
) -> Result<AwardId, StoreError> {
    let mut tx = st.db.begin().await?;
    crate::correspondent::unit_in_scope(&mut tx, cap.scope(), organizer).await?;
    // The rule set in force at the organizer may cap the nominations per school.
    let (rules, label) = rules_tx(&mut tx, organizer).await?;
    if let Some(max) = rules.max_per_school
        && d.quota_per_school > max
    {
        return Err(invalid(
            FieldError::new("quota_per_school", t::QUOTA_RULE)
                .arg("max", max)
                .arg("label", label),
        ));
    }
    let ts = now();
    let id: i64 = on_tx!(&mut tx, |c| {
        sqlx::query_scalar(
            "INSERT INTO commendation_award (organizer_unit_id, name, kind, award_year, quota_per_school, quota_total, nominate_until, created_by_label, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
        )
        .bind(organizer.0)
        .bind(&d.name)
        .bind(d.kind.code())
        .bind(i64::from(d.year))
        .bind(i64::from(d.quota_per_school))
        .bind(i64::from(d.quota_total))
        .bind(d.nominate_until)
        .bind(&who.label)
        .bind(ts)
        .fetch_one(&mut *c)
        .await
    })?;
    let mut ch = Changes::new();
    ch.note("name", d.name.as_str())
        .note("kind", d.kind.code())
        .note("quota_per_school", d.quota_per_school)
        .note("quota_total", d.quota_total)
        .note("nominate_until", d.nominate_until.to_string());
    log_commit(
        tx,
        st,
        who,
        "commendation.create",
        ("commendation_award", id),
        organizer,
        &ch,
    )
    .await?;
    Ok(AwardId(id))
}

/// A nomination as listed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NominationRow {
    pub id: NominationId,
    pub award: AwardId,
    pub school: OrgUnitId,
    pub school_name: String,
    pub member: Option<MemberId>,
    pub nominee: String,
    pub deeds: String,
    pub status: NominationStatus,
    pub review_note: Option<String>,
    pub notice_from: Option<NaiveDate>,
    pub notice_until: Option<NaiveDate>,
    pub rules_label: Option<String>,
    pub awarded_on: Option<NaiveDate>,
    pub certificate: Option<String>,
    pub objections: i64,
    pub pending: i64,
}

type NominationTuple = (
    i64,
    i64,
    i64,
    String,
    Option<i64>,
    String,
    String,
    String,
    Option<String>,
    Option<NaiveDate>,
    Option<NaiveDate>,
    Option<String>,
    Option<NaiveDate>,
    Option<String>,
    i64,
    i64,
);

const NOMINATION_COLS: &str = "SELECT n.id, n.award_id, n.school_union_id, s.name, n.member_id, n.nominee, n.deeds, n.status, n.review_note, n.notice_from, n.notice_until, n.rules_label, n.awarded_on, n.certificate_code,
    (SELECT CAST(COUNT(*) AS BIGINT) FROM commendation_objection x WHERE x.nomination_id = n.id),
    (SELECT CAST(COUNT(*) AS BIGINT) FROM commendation_objection x WHERE x.nomination_id = n.id AND x.outcome = 'pending')
    FROM commendation_nomination n JOIN org_unit s ON s.id = n.school_union_id
    JOIN commendation_award a ON a.id = n.award_id WHERE ";

fn nomination_row(r: NominationTuple) -> Option<NominationRow> {
    Some(NominationRow {
        id: NominationId(r.0),
        award: AwardId(r.1),
        school: OrgUnitId(r.2),
        school_name: r.3,
        member: r.4.map(MemberId),
        nominee: r.5,
        deeds: r.6,
        status: NominationStatus::from_code(&r.7)?,
        review_note: r.8,
        notice_from: r.9,
        notice_until: r.10,
        rules_label: r.11,
        awarded_on: r.12,
        certificate: r.13,
        objections: r.14,
        pending: r.15,
    })
}

/// Pushes "the nomination is the reader's: its school or the award's organizer in scope".
fn push_nomination_visible(q: &mut Sql, scope: &Scope) {
    if scope.roots().is_none() {
        return;
    }
    q.push(" AND (");
    crate::scope::push_in_scope(q, "n.school_union_id", scope);
    q.push(" OR ");
    crate::scope::push_in_scope(q, "a.organizer_unit_id", scope);
    q.push(")");
}

/// The nominations of an award the reader may see (their schools', or all when they
/// organize it), in order of nomination: one query.
pub async fn nominations(
    db: &Db,
    cap: &Cap<perm::ContestView>,
    award: AwardId,
) -> Result<Vec<NominationRow>, StoreError> {
    let mut q = Sql::new(NOMINATION_COLS);
    q.push("n.award_id = ").bind(Arg::I64(award.0));
    push_nomination_visible(&mut q, cap.scope());
    q.push(" ORDER BY n.id");
    let rows: Vec<NominationTuple> = q.fetch_all(db).await?;
    Ok(rows.into_iter().filter_map(nomination_row).collect())
}

/// One nomination the reader may see.
pub async fn nomination<P: perm::Perm>(
    db: &Db,
    cap: &Cap<P>,
    id: NominationId,
) -> Result<NominationRow, StoreError> {
    let mut q = Sql::new(NOMINATION_COLS);
    q.push("n.id = ").bind(Arg::I64(id.0));
    push_nomination_visible(&mut q, cap.scope());
    let rows: Vec<NominationTuple> = q.fetch_all(db).await?;
    rows.into_iter()
        .next()
        .and_then(nomination_row)
        .ok_or(StoreError::NotFound)
}

/// What a school nominates.
#[derive(Clone, Debug)]
pub struct NominationInput {
    pub school: OrgUnitId,
    /// The member nominated (a person's honour), of that school.
    pub member: Option<MemberId>,
    pub draft: NominationDraft,
}

/// Nominates for a school in scope to an award open to it: refused after the deadline or
/// beyond the school's quota (the numbers named), for a member of another school, or by
/// a unit that is not a school.
pub async fn nominate(
    st: &Store,
    cap: &Cap<perm::ContestEnter>,
    who: &Who,
    award: AwardId,
    input: &NominationInput,
    today: NaiveDate,
) -> Result<NominationId, StoreError> {
    let mut tx = st.db.begin().await?;
    let mut q = Sql::new("SELECT kind FROM org_unit WHERE id = ");
    q.bind(Arg::I64(input.school.0));
    crate::scope::restrict(&mut q, "id", cap.scope());
    let found: Vec<(String,)> = q.fetch_all_tx(&mut tx).await?;
    match found.first() {
        None => return Err(StoreError::NotFound),
        Some((k,)) if k == "school_union" => {}
        Some(_) => return Err(invalid(FieldError::new("school", t::NOT_A_SCHOOL))),
    }
    // The award open to that school (set at or above it).
    let rows: Vec<(NaiveDate, i64)> = on_tx!(&mut tx, |c| {
        sqlx::query_as(
            "SELECT a.nominate_until, a.quota_per_school FROM commendation_award a
             JOIN org_closure oc ON oc.ancestor_id = a.organizer_unit_id AND oc.descendant_id = $2 WHERE a.id = $1",
        )
        .bind(award.0)
        .bind(input.school.0)
        .fetch_all(&mut *c)
        .await
    })?;
    let (until, quota) = rows.into_iter().next().ok_or(StoreError::NotFound)?;
    // Rejected nominations give their place back.
    let have: i64 = on_tx!(&mut tx, |c| {
        sqlx::query_scalar(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM commendation_nomination WHERE award_id = $1 AND school_union_id = $2 AND status <> 'rejected'",
        )
        .bind(award.0)
        .bind(input.school.0)
        .fetch_one(&mut *c)
        .await
    })?;
    check_nomination(today, until, have, quota).map_err(invalid)?;
    if let Some(m) = input.member {
        let ok: Option<i64> = on_tx!(&mut tx, |c| {
            sqlx::query_scalar("SELECT id FROM member WHERE id = $1 AND school_union_id = $2")
                .bind(m.0)
                .bind(input.school.0)
                .fetch_optional(&mut *c)
                .await
        })?;
        if ok.is_none() {
            return Err(invalid(FieldError::new("member", t::MEMBER_NOT_IN_SCHOOL)));
        }
    }
    let ts = now();
    let id: i64 = on_tx!(&mut tx, |c| {
        sqlx::query_scalar(
            "INSERT INTO commendation_nomination (award_id, school_union_id, member_id, nominee, deeds, status, created_by_label, created_at)
             VALUES ($1, $2, $3, $4, $5, 'nominated', $6, $7) RETURNING id",
        )
        .bind(award.0)
        .bind(input.school.0)
        .bind(input.member.map(|m| m.0))
        .bind(&input.draft.nominee)
        .bind(&input.draft.deeds)
        .bind(&who.label)
        .bind(ts)
        .fetch_one(&mut *c)
        .await
    })?;
    let mut ch = Changes::new();
    ch.note("award", award.0)
        .note("nominee", input.draft.nominee.as_str())
        .note("member", input.member.map_or(0, |m| m.0))
        .note("school_used", have + 1)
        .note("school_quota", quota);
    log_commit(
        tx,
        st,
        who,
        "commendation.nominate",
        ("commendation_nomination", id),
        input.school,
        &ch,
    )
    .await?;
    Ok(NominationId(id))
}

/// The nomination with its award's organizer, locked for a step by the organizer in
/// scope; out of scope is missing.
async fn organized_nomination(
    tx: &mut Tx,
    scope: &Scope,
    id: NominationId,
) -> Result<(OrgUnitId, AwardId, NominationStatus, Option<NaiveDate>, i64), StoreError> {
    let mut q = Sql::new(
        "SELECT a.organizer_unit_id, a.id, n.status, n.notice_until, a.quota_total FROM commendation_nomination n
         JOIN commendation_award a ON a.id = n.award_id WHERE n.id = ",
    );
    q.bind(Arg::I64(id.0));
    crate::scope::restrict(&mut q, "a.organizer_unit_id", scope);
    let rows: Vec<(i64, i64, String, Option<NaiveDate>, i64)> = q.fetch_all_tx(tx).await?;
    let r = rows.into_iter().next().ok_or(StoreError::NotFound)?;
    let status = NominationStatus::from_code(&r.2).ok_or(StoreError::NotFound)?;
    Ok((OrgUnitId(r.0), AwardId(r.1), status, r.3, r.4))
}

/// The organizer's review (area or district): an endorsed nomination goes on public
/// notice from today for the rule set's days (its label recorded); a rejected one ends
/// with the note. Only a nomination still `nominated`.
pub async fn review(
    st: &Store,
    cap: &Cap<perm::ContestManage>,
    who: &Who,
    id: NominationId,
    endorse: bool,
    note: Option<&str>,
    today: NaiveDate,
) -> Result<NominationStatus, StoreError> {
    let mut tx = st.db.begin().await?;
    let (org, _, status, _, _) = organized_nomination(&mut tx, cap.scope(), id).await?;
    if status != NominationStatus::Nominated {
        return Err(invalid(FieldError::new("review", t::WRONG_STATUS)));
    }
    let note = note.map(str::trim).filter(|n| !n.is_empty());
    if !endorse && note.is_none() {
        return Err(invalid(FieldError::new("note", t::NOTE_REQUIRED)));
    }
    let mut ch = Changes::new();
    let next = if endorse {
        let (rules, label) = rules_tx(&mut tx, org).await?;
        let until = rules.notice_until(today);
        on_tx!(&mut tx, |c| {
            sqlx::query(
                "UPDATE commendation_nomination SET status = 'notice', notice_from = $2, notice_until = $3, rules_label = $4, review_note = $5 WHERE id = $1",
            )
            .bind(id.0)
            .bind(today)
            .bind(until)
            .bind(&label)
            .bind(note)
            .execute(&mut *c)
            .await
            .map(|_| ())
        })?;
        ch.note("notice_from", today.to_string())
            .note("notice_until", until.to_string())
            .note("notice_days", rules.notice_days)
            .note("rules", label.as_str());
        NominationStatus::Notice
    } else {
        on_tx!(&mut tx, |c| {
            sqlx::query(
                "UPDATE commendation_nomination SET status = 'rejected', review_note = $2 WHERE id = $1",
            )
            .bind(id.0)
            .bind(note)
            .execute(&mut *c)
            .await
            .map(|_| ())
        })?;
        NominationStatus::Rejected
    };
    ch.field("status", Some(&status.code()), Some(&next.code()));
    if let Some(n) = note {
        ch.note("note", n);
    }
    log_commit(
        tx,
        st,
        who,
        "commendation.review",
        ("commendation_nomination", id.0),
        org,
        &ch,
    )
    .await?;
    Ok(next)
}

/// A nomination on public notice, as anyone may read it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicNotice {
    pub id: NominationId,
    pub award: String,
    pub kind: AwardKind,
    pub organizer: String,
    pub school: String,
    pub nominee: String,
    pub deeds: String,
    pub notice_from: NaiveDate,
    pub notice_until: NaiveDate,
}

/// Every nomination whose notice runs today (public: no capability, nothing but what a
/// notice board shows), ending soonest first: one query.
pub async fn public_notices(db: &Db, today: NaiveDate) -> Result<Vec<PublicNotice>, StoreError> {
    type Row = (
        i64,
        String,
        String,
        String,
        String,
        String,
        String,
        NaiveDate,
        NaiveDate,
    );
    let rows: Vec<Row> = crate::on_db!(db, |p| {
        sqlx::query_as(
            "SELECT n.id, a.name, a.kind, o.name, s.name, n.nominee, n.deeds, n.notice_from, n.notice_until
             FROM commendation_nomination n JOIN commendation_award a ON a.id = n.award_id
             JOIN org_unit o ON o.id = a.organizer_unit_id JOIN org_unit s ON s.id = n.school_union_id
             WHERE n.status = 'notice' AND n.notice_from <= $1 AND n.notice_until >= $1
             ORDER BY n.notice_until, n.id",
        )
        .bind(today)
        .fetch_all(p)
        .await
    })?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            Some(PublicNotice {
                id: NominationId(r.0),
                award: r.1,
                kind: AwardKind::from_code(&r.2)?,
                organizer: r.3,
                school: r.4,
                nominee: r.5,
                deeds: r.6,
                notice_from: r.7,
                notice_until: r.8,
            })
        })
        .collect())
}

/// Lodges an objection on a nomination whose notice runs today (anyone; anonymous
/// allowed). Refused (not found) for any other nomination, so a closed or forged id
/// changes nothing. Returns the rule set in force, whose hourly limit the caller counts.
pub async fn lodge_objection(
    st: &Store,
    who: &Who,
    id: NominationId,
    body: &str,
    contact: Option<&str>,
    today: NaiveDate,
) -> Result<CommendationRules, StoreError> {
    let mut tx = st.db.begin().await?;
    let rows: Vec<(i64, i64, String, Option<NaiveDate>)> = on_tx!(&mut tx, |c| {
        sqlx::query_as(
            "SELECT a.organizer_unit_id, n.school_union_id, n.status, n.notice_until FROM commendation_nomination n
             JOIN commendation_award a ON a.id = n.award_id WHERE n.id = $1",
        )
        .bind(id.0)
        .fetch_all(&mut *c)
        .await
    })?;
    let (org, _school, status, until) = rows.into_iter().next().ok_or(StoreError::NotFound)?;
    let status = NominationStatus::from_code(&status).ok_or(StoreError::NotFound)?;
    if !notice_open(status, until, today) {
        return Err(invalid(FieldError::new("body", t::OBJECTION_CLOSED)));
    }
    let (rules, _) = rules_tx(&mut tx, OrgUnitId(org)).await?;
    let [oid] = crate::db::reserve_ids(&mut tx, "commendation_objection", 1).await?[..] else {
        return Err(StoreError::Other("no id reserved".into()));
    };
    let c = &st.cipher;
    let body_enc = c.seal_str(OBJECTION_BODY.at(oid), body);
    let contact_enc = contact.map(|p| c.seal_str(OBJECTION_CONTACT.at(oid), p));
    let ts = now();
    on_tx!(&mut tx, |conn| {
        sqlx::query(
            "INSERT INTO commendation_objection (id, nomination_id, body_enc, contact_enc, lodged_at, outcome) VALUES ($1, $2, $3, $4, $5, 'pending')",
        )
        .bind(oid)
        .bind(id.0)
        .bind(&body_enc)
        .bind(&contact_enc)
        .bind(ts)
        .execute(&mut *conn)
        .await
        .map(|_| ())
    })?;
    let mut ch = Changes::new();
    ch.note("nomination", id.0)
        .note("anonymous", contact.is_none());
    log_commit(
        tx,
        st,
        who,
        "commendation.object",
        ("commendation_objection", oid),
        OrgUnitId(org),
        &ch,
    )
    .await?;
    Ok(rules)
}

/// An objection as the organizer reads it (the contact masked).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectionRow {
    pub id: ObjectionId,
    pub body: String,
    pub contact_masked: Option<String>,
    pub lodged_at: DateTime<Utc>,
    pub outcome: ObjectionOutcome,
    pub note: Option<String>,
    pub handled_by: Option<String>,
}

/// The objections on a nomination, for its award's organizer in scope only (a school
/// never reads who objected to its nominee): one query.
pub async fn objections(
    st: &Store,
    cap: &Cap<perm::ContestManage>,
    id: NominationId,
) -> Result<Vec<ObjectionRow>, StoreError> {
    let mut q = Sql::new(
        "SELECT x.id, x.body_enc, x.contact_enc, x.lodged_at, x.outcome, x.outcome_note, x.handled_by_label
         FROM commendation_objection x JOIN commendation_nomination n ON n.id = x.nomination_id
         JOIN commendation_award a ON a.id = n.award_id WHERE x.nomination_id = ",
    );
    q.bind(Arg::I64(id.0));
    crate::scope::restrict(&mut q, "a.organizer_unit_id", cap.scope());
    q.push(" ORDER BY x.id");
    type Row = (
        i64,
        Vec<u8>,
        Option<Vec<u8>>,
        DateTime<Utc>,
        String,
        Option<String>,
        Option<String>,
    );
    let rows: Vec<Row> = q.fetch_all(&st.db).await?;
    let c = &st.cipher;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let Some(outcome) = ObjectionOutcome::from_code(&r.4) else {
            continue;
        };
        let body = c.open_str(OBJECTION_BODY.at(r.0), &r.1)?;
        let contact = match &r.2 {
            Some(e) => Some(mask_contact(&c.open_str(OBJECTION_CONTACT.at(r.0), e)?)),
            None => None,
        };
        out.push(ObjectionRow {
            id: ObjectionId(r.0),
            body,
            contact_masked: contact,
            lodged_at: r.3,
            outcome,
            note: r.5,
            handled_by: r.6,
        });
    }
    Ok(out)
}

/// A contact as shown: a phone's last four digits, any other text its first character.
fn mask_contact(s: &str) -> String {
    if s.chars().filter(char::is_ascii_digit).count() >= 7 {
        domain::privacy::mask_phone(s)
    } else {
        let first: String = s.chars().take(1).collect();
        format!("{first}***")
    }
}

/// Handles a pending objection with its outcome (upheld or dismissed) and a note, both
/// recorded. An upheld objection ends the nomination (rejected, the note as the reason).
pub async fn handle_objection(
    st: &Store,
    cap: &Cap<perm::ContestManage>,
    who: &Who,
    id: ObjectionId,
    outcome: ObjectionOutcome,
    note: &str,
) -> Result<NominationId, StoreError> {
    if outcome == ObjectionOutcome::Pending {
        return Err(invalid(FieldError::new("outcome", t::OUTCOME_REQUIRED)));
    }
    let note = note.trim();
    if note.is_empty() {
        return Err(invalid(FieldError::new("note", t::NOTE_REQUIRED)));
    }
    let note: String = note.chars().take(1000).collect();
    let mut tx = st.db.begin().await?;
    let mut q = Sql::new(
        "SELECT x.nomination_id, x.outcome, a.organizer_unit_id FROM commendation_objection x
         JOIN commendation_nomination n ON n.id = x.nomination_id
         JOIN commendation_award a ON a.id = n.award_id WHERE x.id = ",
    );
    q.bind(Arg::I64(id.0));
    crate::scope::restrict(&mut q, "a.organizer_unit_id", cap.scope());
    let rows: Vec<(i64, String, i64)> = q.fetch_all_tx(&mut tx).await?;
    let (nom, was, org) = rows.into_iter().next().ok_or(StoreError::NotFound)?;
    if was != ObjectionOutcome::Pending.code() {
        return Err(invalid(FieldError::new("outcome", t::WRONG_STATUS)));
    }
    let ts = now();
    on_tx!(&mut tx, |c| {
        sqlx::query(
            "UPDATE commendation_objection SET outcome = $2, outcome_note = $3, handled_by_label = $4, handled_at = $5 WHERE id = $1",
        )
        .bind(id.0)
        .bind(outcome.code())
        .bind(&note)
        .bind(&who.label)
        .bind(ts)
        .execute(&mut *c)
        .await
        .map(|_| ())
    })?;
    let mut ch = Changes::new();
    ch.note("nomination", nom)
        .field("outcome", Some(&was.as_str()), Some(&outcome.code()))
        .note("note", note.as_str());
    if outcome == ObjectionOutcome::Upheld {
        on_tx!(&mut tx, |c| {
            sqlx::query(
                "UPDATE commendation_nomination SET status = 'rejected', review_note = $2 WHERE id = $1 AND status = 'notice'",
            )
            .bind(nom)
            .bind(&note)
            .execute(&mut *c)
            .await
            .map(|_| ())
        })?;
        ch.field("nomination_status", Some(&"notice"), Some(&"rejected"));
    }
    log_commit(
        tx,
        st,
        who,
        "commendation.objection",
        ("commendation_objection", id.0),
        OrgUnitId(org),
        &ch,
    )
    .await?;
    Ok(NominationId(nom))
}

/// The nomination an objection is on, for its award's organizer in scope.
pub async fn objection_nomination(
    db: &Db,
    cap: &Cap<perm::ContestManage>,
    id: ObjectionId,
) -> Result<NominationId, StoreError> {
    let mut q = Sql::new(
        "SELECT x.nomination_id FROM commendation_objection x JOIN commendation_nomination n ON n.id = x.nomination_id
         JOIN commendation_award a ON a.id = n.award_id WHERE x.id = ",
    );
    q.bind(Arg::I64(id.0));
    crate::scope::restrict(&mut q, "a.organizer_unit_id", cap.scope());
    let rows: Vec<(i64,)> = q.fetch_all(db).await?;
    rows.first()
        .map(|r| NominationId(r.0))
        .ok_or(StoreError::NotFound)
}

/// Awards a nomination: refused while the notice runs, with an objection pending or
/// upheld, or beyond the award's total quota (the numbers named). Gives the certificate
/// its verification code.
pub async fn award(
    st: &Store,
    cap: &Cap<perm::ContestManage>,
    who: &Who,
    id: NominationId,
    today: NaiveDate,
) -> Result<String, StoreError> {
    let mut tx = st.db.begin().await?;
    let (org, award, status, until, quota_total) =
        organized_nomination(&mut tx, cap.scope(), id).await?;
    let (pending, upheld): (i64, i64) = on_tx!(&mut tx, |c| {
        sqlx::query_as(
            "SELECT CAST(COALESCE(SUM(CASE WHEN outcome = 'pending' THEN 1 ELSE 0 END), 0) AS BIGINT),
                    CAST(COALESCE(SUM(CASE WHEN outcome = 'upheld' THEN 1 ELSE 0 END), 0) AS BIGINT)
             FROM commendation_objection WHERE nomination_id = $1",
        )
        .bind(id.0)
        .fetch_one(&mut *c)
        .await
    })?;
    let awarded: i64 = on_tx!(&mut tx, |c| {
        sqlx::query_scalar(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM commendation_nomination WHERE award_id = $1 AND status = 'awarded'",
        )
        .bind(award.0)
        .fetch_one(&mut *c)
        .await
    })?;
    check_award(
        &AwardCheck {
            status,
            notice_until: until,
            pending_objections: pending,
            upheld_objections: upheld,
            awarded,
            quota_total,
        },
        today,
    )
    .map_err(invalid)?;
    let code = crate::contests::new_certificate_code();
    on_tx!(&mut tx, |c| {
        sqlx::query(
            "UPDATE commendation_nomination SET status = 'awarded', awarded_on = $2, certificate_code = $3 WHERE id = $1",
        )
        .bind(id.0)
        .bind(today)
        .bind(&code)
        .execute(&mut *c)
        .await
        .map(|_| ())
    })?;
    let mut ch = Changes::new();
    ch.field(
        "status",
        Some(&status.code()),
        Some(&NominationStatus::Awarded.code()),
    )
    .note("awarded_on", today.to_string())
    .note("awarded", awarded + 1)
    .note("quota_total", quota_total);
    log_commit(
        tx,
        st,
        who,
        "commendation.award",
        ("commendation_nomination", id.0),
        org,
        &ch,
    )
    .await?;
    Ok(code)
}

/// An honour certificate confirmed genuine.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verified {
    pub code: String,
    pub award: String,
    pub kind: AwardKind,
    pub organizer: String,
    pub nominee: String,
    pub school: String,
    pub awarded_on: Option<NaiveDate>,
}

/// The honour a certificate code belongs to, if it is genuine (public).
pub async fn verify(db: &Db, code: &str) -> Result<Option<Verified>, StoreError> {
    let code = code.trim().to_uppercase();
    if code.len() != 14 {
        return Ok(None);
    }
    type Row = (String, String, String, String, String, Option<NaiveDate>);
    let rows: Vec<Row> = crate::on_db!(db, |p| {
        sqlx::query_as(
            "SELECT a.name, a.kind, o.name, n.nominee, s.name, n.awarded_on FROM commendation_nomination n
             JOIN commendation_award a ON a.id = n.award_id JOIN org_unit o ON o.id = a.organizer_unit_id
             JOIN org_unit s ON s.id = n.school_union_id
             WHERE n.certificate_code = $1 AND n.status = 'awarded'",
        )
        .bind(&code)
        .fetch_all(p)
        .await
    })?;
    Ok(rows.into_iter().next().and_then(|r| {
        Some(Verified {
            code: code.clone(),
            award: r.0,
            kind: AwardKind::from_code(&r.1)?,
            organizer: r.2,
            nominee: r.3,
            school: r.4,
            awarded_on: r.5,
        })
    }))
}

/// The demo district's commendations (seeds: "十佳维权之星 2", "巾帼示范岗", "先进个人"): the
/// root union sets three awards; schools nominate their first members with the deeds; the
/// union reviews and puts them on notice; one nominee draws an objection, handled
/// (dismissed, with the finding recorded) before the award; one 先进个人 nominee is on the
/// public notice board today. Dates count back from the demo's today. Runs through the
/// same store functions as people do, so every row has its audit record.
pub(crate) fn area_demo<'a>(
    run: &'a crate::area::DemoRun<'a>,
    _summary: &'a mut crate::demo::DemoSummary,
) -> futures::future::BoxFuture<'a, Result<(), StoreError>> {
    Box::pin(async move { demo(run.st, run.sys, run.opts.today).await })
}

async fn demo(
    st: &Store,
    sys: &domain::auth::SystemCap,
    today: NaiveDate,
) -> Result<(), StoreError> {
    use domain::auth::system_cap;
    use domain::ids::AccountId;
    let root: Option<i64> = crate::on_db!(&st.db, |p| {
        sqlx::query_scalar("SELECT id FROM org_unit WHERE parent_id IS NULL ORDER BY id LIMIT 1")
            .fetch_optional(p)
            .await
    })?;
    let Some(root) = root else {
        return Ok(());
    };
    // The first member of each of the first schools with members.
    let firsts: Vec<(i64, i64, String)> = crate::on_db!(&st.db, |p| {
        sqlx::query_as(
            "SELECT m.school_union_id, m.id, m.name FROM member m
             WHERE m.id = (SELECT MIN(m2.id) FROM member m2 WHERE m2.school_union_id = m.school_union_id)
             ORDER BY m.school_union_id LIMIT 6",
        )
        .fetch_all(p)
        .await
    })?;
    if firsts.len() < 4 {
        return Ok(());
    }
    let manage = system_cap::<perm::ContestManage>(sys, AccountId(0));
    let enter = system_cap::<perm::ContestEnter>(sys, AccountId(0));
    let staff = Who::system("区教育工会（演示）");
    let school = Who::system("学校工会（演示）");
    let public = Who::system("anonymous");
    let day = |n: i64| today - chrono::Duration::days(n);
    let root = OrgUnitId(root);
    let award_of =
        |name: &str, kind: AwardKind, per: u32, total: u32, until: NaiveDate| AwardDraft {
            name: name.into(),
            kind,
            year: chrono::Datelike::year(&until),
            quota_per_school: per,
            quota_total: total,
            nominate_until: until,
        };
    let nominee = |s: i64, m: Option<i64>, name: &str, deeds: &str| NominationInput {
        school: OrgUnitId(s),
        member: m.map(MemberId),
        draft: NominationDraft {
            nominee: name.into(),
            deeds: deeds.into(),
        },
    };
    // 十佳维权之星: two nominees awarded, one after an objection was handled.
    let stars = create_award(
        st,
        &manage,
        &staff,
        root,
        &award_of("十佳维权之星", AwardKind::TopTen, 1, 10, day(40)),
    )
    .await?;
    let mut awarded = Vec::new();
    for (i, (s, m, name)) in firsts.iter().take(2).enumerate() {
        let deeds = if i == 0 {
            "担任学校工会劳动保护监督员，推动解决教师午休场所和校车安全问题，帮助三名教师依法办理工伤认定。"
        } else {
            "组织教代会提案征集，跟踪“绩效工资分配方案”提案落实，为教职工协调解决子女入学困难。"
        };
        let n = nominate(
            st,
            &enter,
            &school,
            stars,
            &nominee(*s, Some(*m), name, deeds),
            day(45),
        )
        .await?;
        review(st, &manage, &staff, n, true, Some("事迹材料齐全"), day(35)).await?;
        awarded.push(n);
    }
    lodge_objection(
        st,
        &public,
        awarded[1],
        "提案落实情况与事迹所述不完全一致，请核实。",
        None,
        day(33),
    )
    .await?;
    let obj = objections(st, &manage, awarded[1]).await?;
    if let Some(o) = obj.first() {
        handle_objection(
            st,
            &manage,
            &staff,
            o.id,
            ObjectionOutcome::Dismissed,
            "经核对教代会提案办理台账，提案已于当年落实，事迹属实。",
        )
        .await?;
    }
    for n in &awarded {
        award(st, &manage, &staff, *n, day(25)).await?;
    }
    // 巾帼示范岗: one school's women teachers' committee.
    let women = create_award(
        st,
        &manage,
        &staff,
        root,
        &award_of("巾帼示范岗", AwardKind::WomenPost, 1, 3, day(40)),
    )
    .await?;
    let (s, _, _) = &firsts[2];
    let post = crate::on_db!(&st.db, |p| {
        sqlx::query_scalar::<_, String>("SELECT name FROM org_unit WHERE id = $1")
            .bind(*s)
            .fetch_one(p)
            .await
    })?;
    let n = nominate(
        st,
        &enter,
        &school,
        women,
        &nominee(
            *s,
            None,
            &format!("{post}女教工委员会"),
            "开展“书香巾帼”读书活动和女教工健康关爱行动，连续三年组织女教工专项体检。",
        ),
        day(45),
    )
    .await?;
    review(st, &manage, &staff, n, true, None, day(35)).await?;
    award(st, &manage, &staff, n, day(25)).await?;
    // 先进个人: one nominee on the public notice board today.
    let adv = create_award(
        st,
        &manage,
        &staff,
        root,
        &award_of(
            "优秀工会积极分子",
            AwardKind::AdvancedIndividual,
            2,
            7,
            today,
        ),
    )
    .await?;
    let (s, m, name) = &firsts[3];
    let n = nominate(
        st,
        &enter,
        &school,
        adv,
        &nominee(
            *s,
            Some(*m),
            name,
            "热心工会工作，组织教职工文体活动二十余次，协助做好困难教职工走访慰问。",
        ),
        day(1),
    )
    .await?;
    review(st, &manage, &staff, n, true, None, today).await?;
    Ok(())
}
