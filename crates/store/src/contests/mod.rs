//! Contests (劳动竞赛、技能比赛、课件、论文…) in the database: a contest organized by a union
//! unit for the schools below it, with categories, criteria and prizes by rank
//! ([`create`]); entries submitted by a school within the dates and its quota, each with a
//! blind code ([`submit_entry`]); judges declared per contest with their conflicts
//! ([`add_judge`]); the judge's blind sheet and scores ([`sheet`], [`score`]); results
//! computed from the sheets and published, then frozen ([`results`], [`publish`]); the
//! demo year ([`demo`]) and the area's declaration (coded columns, year figures, due items).
//!
//! Must never: show a judge an entry's title, entrants or school (the sheet carries codes
//! only); let a judge score an entry of a school they are in conflict with (their own
//! always); let a reader see another school's entries before publication unless the
//! contest's organizer is in their scope. Every read takes a capability (or an `Acting`
//! judge) and filters by scope in SQL; out of scope looks like missing. Every change is
//! audited in its transaction.

pub mod demo;
pub mod files;
pub mod upper;

use crate::area::{Area, CodedColumn, Reach};
use crate::audit::Who;
use crate::db::{Arg, Sql, Tx, now};
use crate::{Db, Store, StoreError, on_tx};
use chrono::NaiveDate;
use domain::FieldError;
use domain::area::{Concerns, DueItem, Figure, FigureKind, FigureValue, Summation};
use domain::audit::Changes;
use domain::auth::{Cap, Role, Scope, perm};
use domain::congress::Acting;
use domain::contests::text as t;
use domain::contests::*;
use domain::ids::{MemberId, OrgUnitId};
use domain::org::Coded;
use futures::FutureExt;
use futures::future::BoxFuture;
use rand::Rng;
use std::collections::HashMap;

/// Days before an entry deadline that it appears among the due items.
pub const ENTRY_NOTICE_DAYS: i64 = 14;

static FIGURES: &[Figure] = &[
    Figure {
        key: "figure-contests-entries",
        kind: FigureKind::Count,
        list: "/contests?year={year}",
        sum: Summation::Sum,
    },
    Figure {
        key: "figure-contests-prizes",
        kind: FigureKind::Count,
        list: "/contests?year={year}",
        sum: Summation::Sum,
    },
    Figure {
        key: "figure-contests-upper-prizes",
        kind: FigureKind::Count,
        list: "/honours/register?year={year}",
        sum: Summation::Sum,
    },
];

/// Contests: entries, blind judging, results and prizes.
pub static AREA: Area = Area {
    coded: &[
        CodedColumn::of::<ContestKind>("contest.kind"),
        CodedColumn::of::<ContestStatus>("contest.status"),
        CodedColumn::of::<PrizeTier>("contest_result.tier"),
        CodedColumn::of::<PrizeTier>("contest_entry.upper_tier"),
        CodedColumn::of::<domain::commendations::HonourLevel>("contest_entry.upper_level"),
    ],
    demo: Some(demo::area_demo),
    figures: FIGURES,
    year_figures: Some(year_figures_boxed),
    due_items: Some(due_items_boxed),
    ..Area::new("contests")
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

pub(crate) fn invalid(e: FieldError) -> StoreError {
    StoreError::Invalid(domain::FieldErrors(vec![e]))
}

use crate::kit::record_commit as log_commit;

/// Pushes "the contest `c` is visible in `scope`": its organizer is in scope, or it is
/// organized above a unit of the scope (a district contest is open to its schools).
fn push_contest_visible(q: &mut Sql, scope: &Scope) {
    if scope.roots().is_none() {
        return;
    }
    q.push(" AND (");
    crate::scope::push_in_scope(q, "c.organizer_unit_id", scope);
    q.push(
        " OR EXISTS (SELECT 1 FROM org_closure up WHERE up.ancestor_id = c.organizer_unit_id AND ",
    );
    crate::scope::push_in_scope(q, "up.descendant_id", scope);
    q.push("))");
}

/// A contest as listed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContestRow {
    pub id: ContestId,
    pub organizer: OrgUnitId,
    pub organizer_name: String,
    pub name: String,
    pub kind: ContestKind,
    pub year: i32,
    pub entry_until: NaiveDate,
    pub status: ContestStatus,
    pub entries: i64,
}

/// The contests of a year visible in scope, newest first, each with its number of
/// entries the reader may see: one query.
pub async fn list(
    db: &Db,
    cap: &Cap<perm::ContestView>,
    year: i32,
) -> Result<Vec<ContestRow>, StoreError> {
    let mut q = Sql::new(
        "SELECT c.id, c.organizer_unit_id, o.name, c.name, c.kind, c.contest_year, c.entry_until, c.status,
           (SELECT CAST(COUNT(*) AS BIGINT) FROM contest_entry e WHERE e.contest_id = c.id",
    );
    if cap.scope().roots().is_some() {
        q.push(" AND (");
        crate::scope::push_in_scope(&mut q, "e.school_union_id", cap.scope());
        q.push(" OR ");
        crate::scope::push_in_scope(&mut q, "c.organizer_unit_id", cap.scope());
        q.push(")");
    }
    q.push(
        ") FROM contest c JOIN org_unit o ON o.id = c.organizer_unit_id WHERE c.contest_year = ",
    )
    .bind(Arg::I64(i64::from(year)));
    push_contest_visible(&mut q, cap.scope());
    q.push(" ORDER BY c.entry_until DESC, c.id DESC");
    type Row = (
        i64,
        i64,
        String,
        String,
        String,
        i64,
        NaiveDate,
        String,
        i64,
    );
    let rows: Vec<Row> = q.fetch_all(db).await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            Some(ContestRow {
                id: ContestId(r.0),
                organizer: OrgUnitId(r.1),
                organizer_name: r.2,
                name: r.3,
                kind: ContestKind::from_code(&r.4)?,
                year: r.5 as i32,
                entry_until: r.6,
                status: ContestStatus::from_code(&r.7)?,
                entries: r.8,
            })
        })
        .collect())
}

/// A criterion of a contest's sheet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Criterion {
    pub id: CriterionId,
    pub name: String,
    pub weight: u32,
    pub max: u32,
}

/// A category (组别) of a contest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Category {
    pub id: ContestCategoryId,
    pub name: String,
}

/// A contest with its sheet and categories.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Contest {
    pub id: ContestId,
    pub organizer: OrgUnitId,
    pub organizer_name: String,
    pub name: String,
    pub kind: ContestKind,
    pub year: i32,
    pub rules: String,
    pub entry_from: NaiveDate,
    pub entry_until: NaiveDate,
    pub judging_until: NaiveDate,
    pub quota: u32,
    pub drop_extremes: bool,
    pub prizes: [u32; 4],
    pub status: ContestStatus,
    pub published_on: Option<NaiveDate>,
    pub categories: Vec<Category>,
    pub criteria: Vec<Criterion>,
}

const CONTEST_COLS: &str = "SELECT c.id, c.organizer_unit_id, o.name, c.name, c.kind, c.contest_year, c.rules, c.entry_from, c.entry_until, c.judging_until, c.quota, c.drop_extremes, c.status, c.published_on FROM contest c JOIN org_unit o ON o.id = c.organizer_unit_id WHERE c.id = ";

type ContestFlat = (
    i64,
    i64,
    String,
    String,
    String,
    i64,
    String,
    NaiveDate,
    NaiveDate,
    NaiveDate,
    i64,
    bool,
    String,
    Option<NaiveDate>,
);

fn flat(r: ContestFlat) -> ContestFlat {
    r
}

/// The contest's categories, criteria and prizes (three queries).
async fn load_parts(db: &Db, r: ContestFlat) -> Result<Contest, StoreError> {
    let id = r.0;
    let prizes: (i64, i64, i64, i64) = crate::on_db!(db, |p| {
        sqlx::query_as(
            "SELECT prizes_first, prizes_second, prizes_third, prizes_merit FROM contest WHERE id = $1",
        )
        .bind(id)
        .fetch_one(p)
        .await
    })?;
    let cats: Vec<(i64, String)> = crate::on_db!(db, |p| {
        sqlx::query_as(
            "SELECT id, name FROM contest_category WHERE contest_id = $1 ORDER BY position",
        )
        .bind(id)
        .fetch_all(p)
        .await
    })?;
    let crit: Vec<(i64, String, i64, i64)> = crate::on_db!(db, |p| {
        sqlx::query_as(
            "SELECT id, name, weight, max_points FROM contest_criterion WHERE contest_id = $1 ORDER BY position",
        )
        .bind(id)
        .fetch_all(p)
        .await
    })?;
    Ok(Contest {
        id: ContestId(r.0),
        organizer: OrgUnitId(r.1),
        organizer_name: r.2,
        name: r.3,
        kind: ContestKind::from_code(&r.4).ok_or(StoreError::NotFound)?,
        year: r.5 as i32,
        rules: r.6,
        entry_from: r.7,
        entry_until: r.8,
        judging_until: r.9,
        quota: r.10 as u32,
        drop_extremes: r.11,
        prizes: [
            prizes.0 as u32,
            prizes.1 as u32,
            prizes.2 as u32,
            prizes.3 as u32,
        ],
        status: ContestStatus::from_code(&r.12).ok_or(StoreError::NotFound)?,
        published_on: r.13,
        categories: cats
            .into_iter()
            .map(|(id, name)| Category {
                id: ContestCategoryId(id),
                name,
            })
            .collect(),
        criteria: crit
            .into_iter()
            .map(|(id, name, w, m)| Criterion {
                id: CriterionId(id),
                name,
                weight: w as u32,
                max: m as u32,
            })
            .collect(),
    })
}

/// One contest visible in scope, with its categories and criteria (three queries).
pub async fn get(
    db: &Db,
    cap: &Cap<perm::ContestView>,
    id: ContestId,
) -> Result<Contest, StoreError> {
    let mut q = Sql::new(CONTEST_COLS);
    q.bind(Arg::I64(id.0));
    push_contest_visible(&mut q, cap.scope());
    let rows: Vec<ContestFlat> = q.fetch_all(db).await?;
    let r = rows.into_iter().next().ok_or(StoreError::NotFound)?;
    load_parts(db, flat(r)).await
}

/// Whether the contest's organizer is in the scope (the reader organizes it or oversees
/// its organizer): one query.
pub async fn organizes<P: perm::Perm>(
    db: &Db,
    cap: &Cap<P>,
    id: ContestId,
) -> Result<bool, StoreError> {
    let mut q = Sql::new("SELECT c.id FROM contest c WHERE c.id = ");
    q.bind(Arg::I64(id.0));
    crate::scope::restrict(&mut q, "c.organizer_unit_id", cap.scope());
    let rows: Vec<(i64,)> = q.fetch_all(db).await?;
    Ok(!rows.is_empty())
}

/// Creates a contest organized by `organizer` (a unit in scope), with its categories and
/// criteria.
pub async fn create(
    st: &Store,
    cap: &Cap<perm::ContestManage>,
    who: &Who,
    organizer: OrgUnitId,
    d: &ContestDraft,
) -> Result<ContestId, StoreError> {
    let mut tx = st.db.begin().await?;
    let mut q = Sql::new("SELECT id FROM org_unit WHERE id = ");
    q.bind(Arg::I64(organizer.0));
    crate::scope::restrict(&mut q, "id", cap.scope());
    let found: Vec<(i64,)> = q.fetch_all_tx(&mut tx).await?;
    if found.is_empty() {
        return Err(StoreError::NotFound);
    }
    let id: i64 = on_tx!(&mut tx, |c| {
        sqlx::query_scalar(
            "INSERT INTO contest (organizer_unit_id, name, kind, contest_year, rules, entry_from, entry_until, judging_until, quota, drop_extremes, prizes_first, prizes_second, prizes_third, prizes_merit, status, created_by_label, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, 'open', $15, $16) RETURNING id",
        )
        .bind(organizer.0)
        .bind(&d.name)
        .bind(d.kind.code())
        .bind(i64::from(d.year))
        .bind(&d.rules)
        .bind(d.entry_from)
        .bind(d.entry_until)
        .bind(d.judging_until)
        .bind(i64::from(d.quota))
        .bind(d.drop_extremes)
        .bind(i64::from(d.prizes[0]))
        .bind(i64::from(d.prizes[1]))
        .bind(i64::from(d.prizes[2]))
        .bind(i64::from(d.prizes[3]))
        .bind(&who.label)
        .bind(now())
        .fetch_one(&mut *c)
        .await
    })?;
    for (i, name) in d.categories.iter().enumerate() {
        on_tx!(&mut tx, |c| {
            sqlx::query(
                "INSERT INTO contest_category (contest_id, position, name) VALUES ($1, $2, $3)",
            )
            .bind(id)
            .bind(i as i64)
            .bind(name)
            .execute(&mut *c)
            .await
            .map(|_| ())
        })?;
    }
    for (i, cr) in d.criteria.iter().enumerate() {
        on_tx!(&mut tx, |c| {
            sqlx::query(
                "INSERT INTO contest_criterion (contest_id, position, name, weight, max_points) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(id)
            .bind(i as i64)
            .bind(&cr.name)
            .bind(i64::from(cr.weight))
            .bind(i64::from(cr.max))
            .execute(&mut *c)
            .await
            .map(|_| ())
        })?;
    }
    let mut ch = Changes::new();
    ch.note("name", d.name.as_str())
        .note("kind", d.kind.code())
        .note("quota", d.quota)
        .note("entry_until", d.entry_until.to_string());
    log_commit(
        tx,
        st,
        who,
        "contest.create",
        ("contest", id),
        organizer,
        &ch,
    )
    .await?;
    Ok(ContestId(id))
}

async fn contest_for_manage(
    tx: &mut Tx,
    scope: &Scope,
    id: ContestId,
) -> Result<(i64, String), StoreError> {
    let mut q = Sql::new("SELECT c.organizer_unit_id, c.status FROM contest c WHERE c.id = ");
    q.bind(Arg::I64(id.0));
    crate::scope::restrict(&mut q, "c.organizer_unit_id", scope);
    let rows: Vec<(i64, String)> = q.fetch_all_tx(tx).await?;
    rows.into_iter().next().ok_or(StoreError::NotFound)
}

/// Closes the entries and opens the judging.
pub async fn start_judging(
    st: &Store,
    cap: &Cap<perm::ContestManage>,
    who: &Who,
    id: ContestId,
) -> Result<(), StoreError> {
    let mut tx = st.db.begin().await?;
    let (org, status) = contest_for_manage(&mut tx, cap.scope(), id).await?;
    if status != ContestStatus::Open.code() {
        return Err(invalid(FieldError::new("status", t::NOT_OPEN)));
    }
    let judges: i64 = on_tx!(&mut tx, |c| {
        sqlx::query_scalar(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM contest_judge WHERE contest_id = $1",
        )
        .bind(id.0)
        .fetch_one(&mut *c)
        .await
    })?;
    if judges == 0 {
        return Err(invalid(FieldError::new("status", t::NO_JUDGES)));
    }
    on_tx!(&mut tx, |c| {
        sqlx::query("UPDATE contest SET status = 'judging' WHERE id = $1 AND status = 'open'")
            .bind(id.0)
            .execute(&mut *c)
            .await
            .map(|_| ())
    })?;
    let mut ch = Changes::new();
    ch.field("status", Some(&"open"), Some(&"judging"));
    log_commit(
        tx,
        st,
        who,
        "contest.judging",
        ("contest", id.0),
        OrgUnitId(org),
        &ch,
    )
    .await
}

/// Declares a judge (a member in scope) for a contest, with the schools they must never
/// score besides their own.
pub async fn add_judge(
    st: &Store,
    cap: &Cap<perm::ContestManage>,
    who: &Who,
    id: ContestId,
    member: MemberId,
    conflicts: &[OrgUnitId],
) -> Result<ContestJudgeId, StoreError> {
    let mut tx = st.db.begin().await?;
    let (org, status) = contest_for_manage(&mut tx, cap.scope(), id).await?;
    if status == ContestStatus::Published.code() {
        return Err(invalid(FieldError::new("member", t::NOT_OPEN)));
    }
    let mut q = Sql::new("SELECT m.school_union_id FROM member m WHERE m.id = ");
    q.bind(Arg::I64(member.0));
    crate::scope::restrict(&mut q, "m.school_union_id", cap.scope());
    let rows: Vec<(i64,)> = q.fetch_all_tx(&mut tx).await?;
    let Some((own,)) = rows.into_iter().next() else {
        return Err(invalid(FieldError::new("member", domain::text::REQUIRED)));
    };
    let exists: Option<i64> = on_tx!(&mut tx, |c| {
        sqlx::query_scalar("SELECT id FROM contest_judge WHERE contest_id = $1 AND member_id = $2")
            .bind(id.0)
            .bind(member.0)
            .fetch_optional(&mut *c)
            .await
    })?;
    if exists.is_some() {
        return Err(invalid(FieldError::new("member", t::JUDGE_EXISTS)));
    }
    let judge: i64 = on_tx!(&mut tx, |c| {
        sqlx::query_scalar(
            "INSERT INTO contest_judge (contest_id, member_id, created_at) VALUES ($1, $2, $3) RETURNING id",
        )
        .bind(id.0)
        .bind(member.0)
        .bind(now())
        .fetch_one(&mut *c)
        .await
    })?;
    let mut schools: Vec<i64> = std::iter::once(own)
        .chain(conflicts.iter().map(|c| c.0))
        .collect();
    schools.sort_unstable();
    schools.dedup();
    for s in &schools {
        on_tx!(&mut tx, |c| {
            sqlx::query("INSERT INTO contest_conflict (judge_id, school_union_id) VALUES ($1, $2)")
                .bind(judge)
                .bind(*s)
                .execute(&mut *c)
                .await
                .map(|_| ())
        })?;
    }
    let mut ch = Changes::new();
    ch.note("member", member.0).note("conflicts", schools.len());
    log_commit(
        tx,
        st,
        who,
        "contest.judge",
        ("contest", id.0),
        OrgUnitId(org),
        &ch,
    )
    .await?;
    Ok(ContestJudgeId(judge))
}

/// A judge as the organizer sees them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JudgeRow {
    pub id: ContestJudgeId,
    pub name: String,
    pub school: String,
    pub conflicts: i64,
    pub scored: i64,
}

/// The judges of a contest the reader organizes (or oversees): one query.
pub async fn judges(
    db: &Db,
    cap: &Cap<perm::ContestView>,
    id: ContestId,
) -> Result<Vec<JudgeRow>, StoreError> {
    let mut q = Sql::new(
        "SELECT j.id, m.name, s.name,
           (SELECT CAST(COUNT(*) AS BIGINT) FROM contest_conflict x WHERE x.judge_id = j.id),
           (SELECT CAST(COUNT(DISTINCT sc.entry_id) AS BIGINT) FROM contest_score sc WHERE sc.judge_id = j.id)
         FROM contest_judge j JOIN contest c ON c.id = j.contest_id JOIN member m ON m.id = j.member_id JOIN org_unit s ON s.id = m.school_union_id
         WHERE j.contest_id = ",
    );
    q.bind(Arg::I64(id.0));
    crate::scope::restrict(&mut q, "c.organizer_unit_id", cap.scope());
    q.push(" ORDER BY j.id");
    let rows: Vec<(i64, String, String, i64, i64)> = q.fetch_all(db).await?;
    Ok(rows
        .into_iter()
        .map(|r| JudgeRow {
            id: ContestJudgeId(r.0),
            name: r.1,
            school: r.2,
            conflicts: r.3,
            scored: r.4,
        })
        .collect())
}

/// An entry as typed by the school.
#[derive(Clone, Debug)]
pub struct EntryInput {
    pub school: OrgUnitId,
    pub category: Option<ContestCategoryId>,
    pub title: String,
    pub entrants: String,
    pub team: bool,
}

const CODE_ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

/// A certificate's verification code: 12 characters of an unambiguous alphabet (60 bits).
pub(crate) fn new_certificate_code() -> String {
    let mut rng = rand::rng();
    let raw: String = (0..12)
        .map(|_| CODE_ALPHABET[rng.random_range(0..CODE_ALPHABET.len())] as char)
        .collect();
    format!("{}-{}-{}", &raw[..4], &raw[4..8], &raw[8..])
}

fn new_code() -> String {
    let mut rng = rand::rng();
    (0..6)
        .map(|_| CODE_ALPHABET[rng.random_range(0..CODE_ALPHABET.len())] as char)
        .collect()
}

/// Submits an entry for a school in scope to a contest open to it: refused after the
/// deadline (or before the start), beyond the school's quota, or once judging began. The
/// entry gets a random blind code (unique in the contest).
pub async fn submit_entry(
    st: &Store,
    cap: &Cap<perm::ContestEnter>,
    who: &Who,
    id: ContestId,
    input: &EntryInput,
    today: NaiveDate,
) -> Result<ContestEntryId, StoreError> {
    let title = domain::org::required_text("title", &input.title, 200)
        .map_err(|_| invalid(FieldError::new("title", t::TITLE_REQUIRED)))?;
    let entrants = domain::org::required_text("entrants", &input.entrants, 300)
        .map_err(|_| invalid(FieldError::new("entrants", t::ENTRANTS_REQUIRED)))?;
    let mut tx = st.db.begin().await?;
    // The school in the caller's scope.
    let mut q = Sql::new("SELECT kind FROM org_unit WHERE id = ");
    q.bind(Arg::I64(input.school.0));
    crate::scope::restrict(&mut q, "id", cap.scope());
    let found: Vec<(String,)> = q.fetch_all_tx(&mut tx).await?;
    match found.first() {
        None => return Err(StoreError::NotFound),
        Some((k,)) if k == "school_union" => {}
        Some(_) => return Err(invalid(FieldError::new("school", t::NOT_A_SCHOOL))),
    }
    // The contest open to that school (organized at or above it).
    type Row = (i64, String, NaiveDate, NaiveDate, i64);
    let rows: Vec<Row> = on_tx!(&mut tx, |c| {
        sqlx::query_as(
            "SELECT c.organizer_unit_id, c.status, c.entry_from, c.entry_until, c.quota FROM contest c
             JOIN org_closure oc ON oc.ancestor_id = c.organizer_unit_id AND oc.descendant_id = $2 WHERE c.id = $1",
        )
        .bind(id.0)
        .bind(input.school.0)
        .fetch_all(&mut *c)
        .await
    })?;
    let (org, status, from, until, quota) = rows.into_iter().next().ok_or(StoreError::NotFound)?;
    if status != ContestStatus::Open.code() || !entry_window_open(from, until, today) {
        return Err(invalid(
            FieldError::new("title", t::ENTRY_CLOSED)
                .arg("from", from)
                .arg("until", until),
        ));
    }
    if let Some(cat) = input.category {
        let ok: Option<i64> = on_tx!(&mut tx, |c| {
            sqlx::query_scalar("SELECT id FROM contest_category WHERE id = $1 AND contest_id = $2")
                .bind(cat.0)
                .bind(id.0)
                .fetch_optional(&mut *c)
                .await
        })?;
        if ok.is_none() {
            return Err(invalid(FieldError::new("category", t::CATEGORY_INVALID)));
        }
    }
    let have: i64 = on_tx!(&mut tx, |c| {
        sqlx::query_scalar(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM contest_entry WHERE contest_id = $1 AND school_union_id = $2",
        )
        .bind(id.0)
        .bind(input.school.0)
        .fetch_one(&mut *c)
        .await
    })?;
    if quota > 0 && have >= quota {
        return Err(invalid(
            FieldError::new("title", t::OVER_QUOTA).arg("quota", quota),
        ));
    }
    let mut entry = None;
    for _ in 0..8 {
        let code = new_code();
        let taken: Option<i64> = on_tx!(&mut tx, |c| {
            sqlx::query_scalar("SELECT id FROM contest_entry WHERE contest_id = $1 AND code = $2")
                .bind(id.0)
                .bind(&code)
                .fetch_optional(&mut *c)
                .await
        })?;
        if taken.is_some() {
            continue;
        }
        let e: i64 = on_tx!(&mut tx, |c| {
            sqlx::query_scalar(
                "INSERT INTO contest_entry (contest_id, school_union_id, category_id, code, title, entrants, team, submitted_on, submitted_by_label, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
            )
            .bind(id.0)
            .bind(input.school.0)
            .bind(input.category.map(|c| c.0))
            .bind(&code)
            .bind(&title)
            .bind(&entrants)
            .bind(input.team)
            .bind(today)
            .bind(&who.label)
            .bind(now())
            .fetch_one(&mut *c)
            .await
        })?;
        entry = Some(e);
        break;
    }
    let e = entry.ok_or_else(|| StoreError::Other("no free entry code".into()))?;
    let _ = org;
    let mut ch = Changes::new();
    ch.note("contest", id.0).note("title", title.as_str());
    log_commit(
        tx,
        st,
        who,
        "contest.entry",
        ("contest_entry", e),
        input.school,
        &ch,
    )
    .await?;
    Ok(ContestEntryId(e))
}

/// An entry as a reader in scope sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EntryRow {
    pub id: ContestEntryId,
    pub code: String,
    pub school: OrgUnitId,
    pub school_name: String,
    pub category: Option<String>,
    pub title: String,
    pub entrants: String,
    pub team: bool,
    pub submitted_on: NaiveDate,
}

/// The entries of a contest the reader may see: their own schools', or all when the
/// organizer is in their scope. One query.
pub async fn entries(
    db: &Db,
    cap: &Cap<perm::ContestView>,
    id: ContestId,
) -> Result<Vec<EntryRow>, StoreError> {
    let mut q = Sql::new(
        "SELECT e.id, e.code, e.school_union_id, s.name, g.name, e.title, e.entrants, e.team, e.submitted_on
         FROM contest_entry e JOIN contest c ON c.id = e.contest_id JOIN org_unit s ON s.id = e.school_union_id
         LEFT JOIN contest_category g ON g.id = e.category_id WHERE e.contest_id = ",
    );
    q.bind(Arg::I64(id.0));
    if cap.scope().roots().is_some() {
        q.push(" AND (");
        crate::scope::push_in_scope(&mut q, "e.school_union_id", cap.scope());
        q.push(" OR ");
        crate::scope::push_in_scope(&mut q, "c.organizer_unit_id", cap.scope());
        q.push(")");
    }
    q.push(" ORDER BY s.name, e.id");
    type Row = (
        i64,
        String,
        i64,
        String,
        Option<String>,
        String,
        String,
        bool,
        NaiveDate,
    );
    let rows: Vec<Row> = q.fetch_all(db).await?;
    Ok(rows
        .into_iter()
        .map(|r| EntryRow {
            id: ContestEntryId(r.0),
            code: r.1,
            school: OrgUnitId(r.2),
            school_name: r.3,
            category: r.4,
            title: r.5,
            entrants: r.6,
            team: r.7,
            submitted_on: r.8,
        })
        .collect())
}

/// A line of a judge's blind sheet: the entry's code and category, never its title,
/// entrants or school.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SheetLine {
    pub entry: ContestEntryId,
    pub code: String,
    pub category: Option<String>,
    /// The judge's points per criterion, in the criteria's order (`None`: not scored).
    pub points: Vec<Option<u32>>,
}

/// A judge's blind sheet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sheet {
    pub contest: ContestId,
    pub name: String,
    pub status: ContestStatus,
    pub criteria: Vec<Criterion>,
    pub lines: Vec<SheetLine>,
}

async fn judge_of(db: &Db, contest: ContestId, member: MemberId) -> Result<i64, StoreError> {
    let j: Option<i64> = crate::on_db!(db, |p| {
        sqlx::query_scalar("SELECT id FROM contest_judge WHERE contest_id = $1 AND member_id = $2")
            .bind(contest.0)
            .bind(member.0)
            .fetch_optional(p)
            .await
    })?;
    j.ok_or(StoreError::NotFound)
}

/// The sheet of the judge acting (404 unless declared a judge of the contest): the
/// entries of schools they are not in conflict with, by code. Four queries.
pub async fn sheet(
    db: &Db,
    acting: &Acting<perm::ContestJudge>,
    id: ContestId,
) -> Result<Sheet, StoreError> {
    let judge = judge_of(db, id, acting.member()).await?;
    let head: Vec<ContestFlat> = {
        let mut q = Sql::new(CONTEST_COLS);
        q.bind(Arg::I64(id.0));
        q.fetch_all(db).await?
    };
    let c = load_parts(
        db,
        flat(head.into_iter().next().ok_or(StoreError::NotFound)?),
    )
    .await?;
    let rows: Vec<(i64, String, Option<String>)> = crate::on_db!(db, |p| {
        sqlx::query_as(
            "SELECT e.id, e.code, g.name FROM contest_entry e LEFT JOIN contest_category g ON g.id = e.category_id
             WHERE e.contest_id = $1 AND NOT EXISTS (SELECT 1 FROM contest_conflict x WHERE x.judge_id = $2 AND x.school_union_id = e.school_union_id)
             ORDER BY e.code",
        )
        .bind(id.0)
        .bind(judge)
        .fetch_all(p)
        .await
    })?;
    let scores: Vec<(i64, i64, i64)> = crate::on_db!(db, |p| {
        sqlx::query_as(
            "SELECT entry_id, criterion_id, points FROM contest_score WHERE judge_id = $1",
        )
        .bind(judge)
        .fetch_all(p)
        .await
    })?;
    let mine: HashMap<(i64, i64), u32> = scores
        .into_iter()
        .map(|(e, c, p)| ((e, c), p as u32))
        .collect();
    let lines = rows
        .into_iter()
        .map(|(e, code, cat)| SheetLine {
            entry: ContestEntryId(e),
            code,
            category: cat,
            points: c
                .criteria
                .iter()
                .map(|cr| mine.get(&(e, cr.id.0)).copied())
                .collect(),
        })
        .collect();
    Ok(Sheet {
        contest: c.id,
        name: c.name,
        status: c.status,
        criteria: c.criteria,
        lines,
    })
}

/// Records the acting judge's points on one entry, one per criterion: refused outside
/// the judging, on an entry of a school they are in conflict with, or with points
/// outside a criterion's range (nothing written).
pub async fn score(
    st: &Store,
    acting: &Acting<perm::ContestJudge>,
    who: &Who,
    id: ContestId,
    entry: ContestEntryId,
    points: &[(CriterionId, i64)],
) -> Result<(), StoreError> {
    let judge = judge_of(&st.db, id, acting.member()).await?;
    let mut tx = st.db.begin().await?;
    let head: Vec<(i64, String)> = on_tx!(&mut tx, |c| {
        sqlx::query_as("SELECT organizer_unit_id, status FROM contest WHERE id = $1")
            .bind(id.0)
            .fetch_all(&mut *c)
            .await
    })?;
    let (org, status) = head.into_iter().next().ok_or(StoreError::NotFound)?;
    let school: Option<i64> = on_tx!(&mut tx, |c| {
        sqlx::query_scalar(
            "SELECT school_union_id FROM contest_entry WHERE id = $1 AND contest_id = $2",
        )
        .bind(entry.0)
        .bind(id.0)
        .fetch_optional(&mut *c)
        .await
    })?;
    let school = school.ok_or(StoreError::NotFound)?;
    let conflict: Option<i64> = on_tx!(&mut tx, |c| {
        sqlx::query_scalar(
            "SELECT judge_id FROM contest_conflict WHERE judge_id = $1 AND school_union_id = $2",
        )
        .bind(judge)
        .bind(school)
        .fetch_optional(&mut *c)
        .await
    })?;
    if conflict.is_some() {
        return Err(invalid(FieldError::new("points", t::CONFLICT)));
    }
    if status != ContestStatus::Judging.code() {
        return Err(invalid(FieldError::new("points", t::NOT_JUDGING)));
    }
    let crit: Vec<(i64, i64)> = on_tx!(&mut tx, |c| {
        sqlx::query_as(
            "SELECT id, max_points FROM contest_criterion WHERE contest_id = $1 ORDER BY position",
        )
        .bind(id.0)
        .fetch_all(&mut *c)
        .await
    })?;
    let given: HashMap<i64, i64> = points.iter().map(|(c, p)| (c.0, *p)).collect();
    let mut checked = Vec::with_capacity(crit.len());
    for (cid, max) in &crit {
        let p = given.get(cid).copied().unwrap_or(-1);
        let p = check_points(p, *max as u32).map_err(invalid)?;
        checked.push((*cid, p));
    }
    on_tx!(&mut tx, |c| {
        sqlx::query("DELETE FROM contest_score WHERE entry_id = $1 AND judge_id = $2")
            .bind(entry.0)
            .bind(judge)
            .execute(&mut *c)
            .await
            .map(|_| ())
    })?;
    let at = now();
    for (cid, p) in &checked {
        on_tx!(&mut tx, |c| {
            sqlx::query(
                "INSERT INTO contest_score (entry_id, judge_id, criterion_id, points, scored_at) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(entry.0)
            .bind(judge)
            .bind(*cid)
            .bind(i64::from(*p))
            .bind(at)
            .execute(&mut *c)
            .await
            .map(|_| ())
        })?;
    }
    let mut ch = Changes::new();
    ch.note("entry", entry.0).note("judge", judge);
    log_commit(
        tx,
        st,
        who,
        "contest.score",
        ("contest", id.0),
        OrgUnitId(org),
        &ch,
    )
    .await
}

/// A line of the results.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResultLine {
    pub entry: ContestEntryId,
    pub code: String,
    pub school: OrgUnitId,
    pub school_name: String,
    pub category: Option<String>,
    pub title: String,
    pub entrants: String,
    /// Score in hundredths (`None`: no complete sheet yet).
    pub score: Option<i64>,
    /// Complete sheets counted.
    pub sheets: usize,
    pub placing: Option<Placing>,
    /// The certificate's verification code (published prizes only).
    pub certificate: Option<String>,
}

/// The results of a contest computed from the sheets, best first: the entries, the
/// criteria and the scores in three queries, then the arithmetic in memory. A sheet counts
/// when the judge gave points on every criterion.
async fn compute(db: &Db, c: &Contest) -> Result<Vec<ResultLine>, StoreError> {
    type Row = (i64, String, i64, String, Option<String>, String, String);
    let rows: Vec<Row> = crate::on_db!(db, |p| {
        sqlx::query_as(
            "SELECT e.id, e.code, e.school_union_id, s.name, g.name, e.title, e.entrants FROM contest_entry e
             JOIN org_unit s ON s.id = e.school_union_id LEFT JOIN contest_category g ON g.id = e.category_id
             WHERE e.contest_id = $1 ORDER BY e.id",
        )
        .bind(c.id.0)
        .fetch_all(p)
        .await
    })?;
    let scores: Vec<(i64, i64, i64, i64)> = crate::on_db!(db, |p| {
        sqlx::query_as(
            "SELECT sc.entry_id, sc.judge_id, sc.criterion_id, sc.points FROM contest_score sc
             JOIN contest_entry e ON e.id = sc.entry_id WHERE e.contest_id = $1",
        )
        .bind(c.id.0)
        .fetch_all(p)
        .await
    })?;
    let crit: HashMap<i64, (u32, u32)> = c
        .criteria
        .iter()
        .map(|cr| (cr.id.0, (cr.weight, cr.max)))
        .collect();
    let mut sheets: HashMap<(i64, i64), Vec<(u32, u32, u32)>> = HashMap::new();
    for (e, j, cr, p) in scores {
        if let Some((w, m)) = crit.get(&cr) {
            sheets.entry((e, j)).or_default().push((p as u32, *w, *m));
        }
    }
    let mut per_entry: HashMap<i64, Vec<i64>> = HashMap::new();
    for ((e, _), s) in sheets {
        if s.len() == crit.len() {
            per_entry.entry(e).or_default().push(sheet_centi(&s));
        }
    }
    let scored: Vec<(Option<i64>, usize)> = rows
        .iter()
        .map(|r| {
            let v = per_entry.get(&r.0).map(Vec::as_slice).unwrap_or(&[]);
            (aggregate(v, c.drop_extremes), v.len())
        })
        .collect();
    let only: Vec<Option<i64>> = scored.iter().map(|s| s.0).collect();
    let places = placings(&only, c.prizes);
    let mut out: Vec<ResultLine> = rows
        .into_iter()
        .zip(scored)
        .zip(places)
        .map(|((r, (score, n)), placing)| ResultLine {
            entry: ContestEntryId(r.0),
            code: r.1,
            school: OrgUnitId(r.2),
            school_name: r.3,
            category: r.4,
            title: r.5,
            entrants: r.6,
            score,
            sheets: n,
            placing,
            certificate: None,
        })
        .collect();
    out.sort_by_key(|l| {
        (
            l.placing.map(|p| p.rank).unwrap_or(u32::MAX),
            l.code.clone(),
        )
    });
    Ok(out)
}

/// The results of a contest: once published, the frozen results for every reader who
/// sees the contest; before, the computed standing for its organizer only (others: 404).
pub async fn results(
    db: &Db,
    cap: &Cap<perm::ContestView>,
    id: ContestId,
) -> Result<Vec<ResultLine>, StoreError> {
    let c = get(db, cap, id).await?;
    if c.status != ContestStatus::Published {
        if !organizes(db, cap, id).await? {
            return Err(StoreError::NotFound);
        }
        return compute(db, &c).await;
    }
    type Row = (
        i64,
        String,
        i64,
        String,
        Option<String>,
        String,
        String,
        i64,
        i64,
        bool,
        Option<String>,
        Option<String>,
    );
    let rows: Vec<Row> = crate::on_db!(db, |p| {
        sqlx::query_as(
            "SELECT e.id, e.code, e.school_union_id, s.name, g.name, e.title, e.entrants, r.score_centi, r.place, r.tied, r.tier, r.certificate_code
             FROM contest_result r JOIN contest_entry e ON e.id = r.entry_id JOIN org_unit s ON s.id = e.school_union_id
             LEFT JOIN contest_category g ON g.id = e.category_id WHERE r.contest_id = $1 ORDER BY r.place, e.code",
        )
        .bind(id.0)
        .fetch_all(p)
        .await
    })?;
    Ok(rows
        .into_iter()
        .map(|r| ResultLine {
            entry: ContestEntryId(r.0),
            code: r.1,
            school: OrgUnitId(r.2),
            school_name: r.3,
            category: r.4,
            title: r.5,
            entrants: r.6,
            score: Some(r.7),
            sheets: 0,
            placing: Some(Placing {
                rank: r.8 as u32,
                tied: r.9,
                tier: r.10.as_deref().and_then(PrizeTier::from_code),
            }),
            certificate: r.11,
        })
        .collect())
}

/// A certificate as its public verification page confirms it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verified {
    pub code: String,
    pub contest: String,
    pub organizer: String,
    pub entrants: String,
    pub title: String,
    pub school: String,
    pub tier: PrizeTier,
    pub published_on: Option<NaiveDate>,
}

/// The certificate with this verification code, if genuine: public (no capability: the
/// code is the proof, 60 random bits), one query. Anything else, a forged or mistyped
/// code, answers `None`.
pub async fn verify(db: &Db, code: &str) -> Result<Option<Verified>, StoreError> {
    let code = code.trim().to_uppercase();
    if code.len() != 14 {
        return Ok(None);
    }
    type Row = (
        String,
        String,
        String,
        String,
        String,
        String,
        Option<NaiveDate>,
    );
    let rows: Vec<Row> = crate::on_db!(db, |p| {
        sqlx::query_as(
            "SELECT c.name, o.name, e.entrants, e.title, s.name, r.tier, c.published_on FROM contest_result r
             JOIN contest c ON c.id = r.contest_id JOIN org_unit o ON o.id = c.organizer_unit_id
             JOIN contest_entry e ON e.id = r.entry_id JOIN org_unit s ON s.id = e.school_union_id
             WHERE r.certificate_code = $1 AND c.status = 'published' AND r.tier IS NOT NULL",
        )
        .bind(&code)
        .fetch_all(p)
        .await
    })?;
    Ok(rows.into_iter().next().and_then(|r| {
        Some(Verified {
            code: code.clone(),
            contest: r.0,
            organizer: r.1,
            entrants: r.2,
            title: r.3,
            school: r.4,
            tier: PrizeTier::from_code(&r.5)?,
            published_on: r.6,
        })
    }))
}

/// Publishes the results: refused outside the judging or while an entry has no complete
/// sheet (the count named); the standing is frozen in `contest_result`.
pub async fn publish(
    st: &Store,
    cap: &Cap<perm::ContestManage>,
    who: &Who,
    id: ContestId,
    today: NaiveDate,
) -> Result<usize, StoreError> {
    let mut tx = st.db.begin().await?;
    let (org, status) = contest_for_manage(&mut tx, cap.scope(), id).await?;
    if status != ContestStatus::Judging.code() {
        return Err(invalid(FieldError::new("status", t::NOT_JUDGING)));
    }
    let head: Vec<ContestFlat> = {
        let mut q = Sql::new(CONTEST_COLS);
        q.bind(Arg::I64(id.0));
        q.fetch_all(&st.db).await?
    };
    let c = load_parts(
        &st.db,
        flat(head.into_iter().next().ok_or(StoreError::NotFound)?),
    )
    .await?;
    let lines = compute(&st.db, &c).await?;
    let unscored = lines.iter().filter(|l| l.score.is_none()).count();
    if unscored > 0 {
        return Err(invalid(
            FieldError::new("status", t::UNSCORED).arg("count", unscored),
        ));
    }
    let mut prizes = 0;
    for l in &lines {
        let (Some(s), Some(p)) = (l.score, l.placing) else {
            continue;
        };
        prizes += usize::from(p.tier.is_some());
        on_tx!(&mut tx, |c| {
            sqlx::query(
                "INSERT INTO contest_result (entry_id, contest_id, score_centi, place, tied, tier, certificate_code) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(l.entry.0)
            .bind(id.0)
            .bind(s)
            .bind(i64::from(p.rank))
            .bind(p.tied)
            .bind(p.tier.map(|t| t.code()))
            .bind(p.tier.map(|_| new_certificate_code()))
            .execute(&mut *c)
            .await
            .map(|_| ())
        })?;
    }
    let n = on_tx!(&mut tx, |c| {
        sqlx::query(
            "UPDATE contest SET status = 'published', published_on = $1 WHERE id = $2 AND status = 'judging'",
        )
        .bind(today)
        .bind(id.0)
        .execute(&mut *c)
        .await
        .map(|r| r.rows_affected())
    })?;
    if n != 1 {
        return Err(StoreError::Stale);
    }
    let mut ch = Changes::new();
    ch.field("status", Some(&"judging"), Some(&"published"))
        .note("entries", lines.len())
        .note("prizes", prizes);
    log_commit(
        tx,
        st,
        who,
        "contest.publish",
        ("contest", id.0),
        OrgUnitId(org),
        &ch,
    )
    .await?;
    Ok(prizes)
}

/// Per school of the reach: entries submitted to the year's contests, prizes won in
/// published ones, and prizes the upper level gave to forwarded entries (by the contest's
/// year). Three queries, whatever the number of schools.
pub async fn year_figures(
    st: &Store,
    reach: &Reach,
    year: i32,
) -> Result<Vec<FigureValue>, StoreError> {
    let mut out = Vec::new();
    let mut q = Sql::new(
        "SELECT e.school_union_id, CAST(COUNT(*) AS BIGINT) FROM contest_entry e JOIN contest c ON c.id = e.contest_id WHERE c.contest_year = ",
    );
    q.bind(Arg::I64(i64::from(year)));
    crate::scope::restrict(&mut q, "e.school_union_id", reach.scope());
    q.push(" GROUP BY e.school_union_id ORDER BY e.school_union_id");
    let rows: Vec<(i64, i64)> = q.fetch_all(&st.db).await?;
    for (u, n) in rows {
        out.push(FigureValue {
            key: FIGURES[0].key.to_string(),
            unit: OrgUnitId(u),
            year,
            value: n,
        });
    }
    let mut q = Sql::new(
        "SELECT e.school_union_id, CAST(COUNT(*) AS BIGINT) FROM contest_result r JOIN contest_entry e ON e.id = r.entry_id JOIN contest c ON c.id = r.contest_id WHERE r.tier IS NOT NULL AND c.contest_year = ",
    );
    q.bind(Arg::I64(i64::from(year)));
    crate::scope::restrict(&mut q, "e.school_union_id", reach.scope());
    q.push(" GROUP BY e.school_union_id ORDER BY e.school_union_id");
    let rows: Vec<(i64, i64)> = q.fetch_all(&st.db).await?;
    for (u, n) in rows {
        out.push(FigureValue {
            key: FIGURES[1].key.to_string(),
            unit: OrgUnitId(u),
            year,
            value: n,
        });
    }
    let mut q = Sql::new(
        "SELECT e.school_union_id, CAST(COUNT(*) AS BIGINT) FROM contest_entry e JOIN contest c ON c.id = e.contest_id WHERE e.upper_tier IS NOT NULL AND c.contest_year = ",
    );
    q.bind(Arg::I64(i64::from(year)));
    crate::scope::restrict(&mut q, "e.school_union_id", reach.scope());
    q.push(" GROUP BY e.school_union_id ORDER BY e.school_union_id");
    let rows: Vec<(i64, i64)> = q.fetch_all(&st.db).await?;
    for (u, n) in rows {
        out.push(FigureValue {
            key: FIGURES[2].key.to_string(),
            unit: OrgUnitId(u),
            year,
            value: n,
        });
    }
    Ok(out)
}

/// Entry deadlines within [`ENTRY_NOTICE_DAYS`] of open contests (for their organizer's
/// union staff) and judging deadlines of contests still judging, overdue included. One
/// query. The title is the contest's name.
pub async fn due_items(
    st: &Store,
    reach: &Reach,
    today: NaiveDate,
) -> Result<Vec<DueItem>, StoreError> {
    let until = today + chrono::Duration::days(ENTRY_NOTICE_DAYS);
    let mut q = Sql::new(
        "SELECT c.id, c.organizer_unit_id, c.name, c.status, c.entry_until, c.judging_until FROM contest c
         WHERE ((c.status = 'open' AND c.entry_until >= ",
    );
    q.bind(Arg::Date(today))
        .push(" AND c.entry_until <= ")
        .bind(Arg::Date(until))
        .push(") OR (c.status = 'judging' AND c.judging_until <= ")
        .bind(Arg::Date(until))
        .push("))");
    crate::scope::restrict(&mut q, "c.organizer_unit_id", reach.scope());
    q.push(" ORDER BY c.id");
    let rows: Vec<(i64, i64, String, String, NaiveDate, NaiveDate)> = q.fetch_all(&st.db).await?;
    Ok(rows
        .into_iter()
        .map(|(id, org, name, status, entry_until, judging_until)| {
            let (kind, due) = if status == "open" {
                ("due-contests-entries", entry_until)
            } else {
                ("due-contests-judging", judging_until)
            };
            DueItem {
                area: "contests".into(),
                kind: kind.into(),
                key: format!("contests-{status}:{id}:{due}"),
                unit: OrgUnitId(org),
                title: name,
                due,
                concerns: vec![Concerns::Role {
                    role: Role::UnionStaff,
                    unit: OrgUnitId(org),
                }],
                href: format!("/contests/{id}"),
            }
        })
        .collect())
}
