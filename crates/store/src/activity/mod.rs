//! Activities (文体活动) in the database: the events a union organises, the members' sign-ups
//! with the waiting list, check-in by the activity's code or by the organiser, attendance
//! per school, and the area's declaration (coded columns, year figures, due items, demo).
//!
//! **Places are a hard limit on both engines.** Every sign-up and cancellation first
//! updates the activity's own row (`next_seq`, `confirmed_count`): that write takes the
//! row's lock on PostgreSQL (SQLite's `BEGIN IMMEDIATE` serialises every writer anyway),
//! so two sign-ups for the last place are decided one after the other, and a CHECK keeps
//! `confirmed_count <= capacity`. The waiting list is promoted in the order of `seq`
//! (arrival) in the cancellation's own transaction.
//!
//! A member signs up, cancels and checks in only as themself (an [`Acting`]), for an
//! activity of a union above (or equal to) their own school, inside the audience of the
//! rule set; anything else looks like missing. Organisers read and record only inside the
//! scope of their capability. Every change is audited in its transaction. Never stores
//! anything but attendance: no health or personal detail.

pub mod demo;

use crate::area::{Area, CodedColumn, Reach};
use crate::audit::{Event, Who};
use crate::db::{Arg, Sql, Tx, now};
use crate::{Db, Store, StoreError, on_tx};
use chrono::{DateTime, NaiveDate, Utc};
use domain::activity::text as t;
use domain::activity::*;
use domain::area::{Concerns, DueItem, Figure, FigureValue};
use domain::audit::Changes;
use domain::auth::{Cap, Role, perm};
use domain::congress::Acting;
use domain::ids::{MemberId, OrgUnitId};
use domain::org::{Coded, Gender, MemberStatus};
use futures::FutureExt;
use futures::future::BoxFuture;

fn invalid(field: &'static str, key: &'static str) -> StoreError {
    StoreError::field(field, key)
}

static FIGURES: &[Figure] = &[
    Figure::count(
        "figure-activity-held",
        "/activities/manage?unit={unit}&year={year}",
    ),
    Figure::count(
        "figure-activity-participants",
        "/activities/manage?unit={unit}&year={year}",
    ),
];

/// Activities.
pub static AREA: Area = Area {
    coded: &[
        CodedColumn::of::<Audience>("activity.audience"),
        CodedColumn::of::<ActivityTag>("activity_tag.tag"),
        CodedColumn::of::<SignupStatus>("activity_signup.status"),
    ],
    demo: Some(demo::area_demo),
    figures: FIGURES,
    year_figures: Some(year_figures_boxed),
    due_items: Some(due_items_boxed),
    ..Area::new("activity")
};

/// The day an instant falls on in Beijing.
pub fn beijing_day(at: DateTime<Utc>) -> NaiveDate {
    (at + chrono::Duration::hours(8)).date_naive()
}

fn year_figures_boxed<'a>(
    st: &'a Store,
    reach: &'a Reach,
    year: i32,
) -> BoxFuture<'a, Result<Vec<FigureValue>, StoreError>> {
    year_figures(st, reach, year).boxed()
}

/// Activities held (by the organising unit) and participants checked in (by the
/// participant's school) in school year `year`: two queries, whatever the number of schools.
pub async fn year_figures(
    st: &Store,
    reach: &Reach,
    year: i32,
) -> Result<Vec<FigureValue>, StoreError> {
    let mut q =
        Sql::new("SELECT a.org_unit_id, CAST(COUNT(*) AS BIGINT) FROM activity a WHERE 1 = 1");
    crate::area::push_in_year(&mut q, "a.starts_at", year);
    crate::scope::restrict(&mut q, "a.org_unit_id", reach.scope());
    q.push(" GROUP BY a.org_unit_id ORDER BY a.org_unit_id");
    let rows: Vec<(i64, i64)> = q.fetch_all(&st.db).await?;
    let mut out: Vec<FigureValue> = rows
        .into_iter()
        .map(|(u, n)| crate::area::value(FIGURES[0].key, u, year, n))
        .collect();
    let mut q = Sql::new(
        "SELECT s.school_union_id, CAST(COUNT(*) AS BIGINT) FROM activity_signup s JOIN activity a ON a.id = s.activity_id WHERE s.checked_in_at IS NOT NULL",
    );
    crate::area::push_in_year(&mut q, "a.starts_at", year);
    crate::scope::restrict(&mut q, "s.school_union_id", reach.scope());
    q.push(" GROUP BY s.school_union_id ORDER BY s.school_union_id");
    let rows: Vec<(i64, i64)> = q.fetch_all(&st.db).await?;
    out.extend(
        rows.into_iter()
            .map(|(u, n)| crate::area::value(FIGURES[1].key, u, year, n)),
    );
    Ok(out)
}

/// Days before sign-up closes that the organiser is reminded.
pub const CLOSING_LEAD_DAYS: i64 = 7;

fn due_items_boxed<'a>(
    st: &'a Store,
    reach: &'a Reach,
    today: NaiveDate,
) -> BoxFuture<'a, Result<Vec<DueItem>, StoreError>> {
    due_items(st, reach, today).boxed()
}

/// The area's due items: sign-up closing within [`CLOSING_LEAD_DAYS`] (for the organising
/// union's chair), and, for each member promoted from the waiting list to an activity still
/// to come, that member's place (for that member only: a reader's reach lists it only to
/// the member). Two queries.
pub async fn due_items(
    st: &Store,
    reach: &Reach,
    today: NaiveDate,
) -> Result<Vec<DueItem>, StoreError> {
    let mut q = Sql::new(
        "SELECT a.id, a.title, a.org_unit_id, a.signup_closes_on FROM activity a WHERE a.signup_closes_on >= ",
    );
    q.bind(Arg::Date(today))
        .push(" AND a.signup_closes_on <= ")
        .bind(Arg::Date(today + chrono::Duration::days(CLOSING_LEAD_DAYS)));
    crate::scope::restrict(&mut q, "a.org_unit_id", reach.scope());
    q.push(" ORDER BY a.signup_closes_on, a.id");
    let rows: Vec<(i64, String, i64, NaiveDate)> = q.fetch_all(&st.db).await?;
    let mut out: Vec<DueItem> = rows
        .into_iter()
        .map(|(id, title, unit, closes)| DueItem {
            area: "activity".into(),
            kind: "due-activity-signup-closes".into(),
            key: format!("activity:signup-closes:{id}"),
            unit: OrgUnitId(unit),
            title,
            due: closes,
            concerns: vec![Concerns::Role {
                role: Role::SchoolChair,
                unit: OrgUnitId(unit),
            }],
            href: format!("/activities/{id}"),
        })
        .collect();
    let mut q = Sql::new(
        "SELECT a.id, a.title, s.school_union_id, a.starts_at, s.member_id FROM activity_signup s JOIN activity a ON a.id = s.activity_id WHERE s.status = 'confirmed' AND s.promoted_at IS NOT NULL AND a.starts_at >= ",
    );
    q.bind(Arg::Ts(crate::congress::meetings::beijing(
        today,
        chrono::NaiveTime::MIN,
    )));
    crate::scope::restrict(&mut q, "s.school_union_id", reach.scope());
    if let Some(reader) = reach.reader() {
        q.push(" AND s.member_id IN (SELECT ac.member_id FROM account ac WHERE ac.id = ")
            .bind(Arg::I64(reader.0))
            .push(")");
    }
    q.push(" ORDER BY a.starts_at, s.id");
    let rows: Vec<(i64, String, i64, DateTime<Utc>, i64)> = q.fetch_all(&st.db).await?;
    out.extend(
        rows.into_iter()
            .map(|(id, title, school, starts, member)| DueItem {
                area: "activity".into(),
                kind: "due-activity-promoted".into(),
                key: format!("activity:promoted:{id}:{member}"),
                unit: OrgUnitId(school),
                title,
                due: beijing_day(starts),
                concerns: vec![Concerns::Member(MemberId(member))],
                href: "/activities".into(),
            }),
    );
    Ok(out)
}

use crate::kit::record_commit as audit_commit;

/// Organises an activity for a unit in scope. The check-in code is random.
pub async fn create(
    st: &Store,
    cap: &Cap<perm::ActivityManage>,
    who: &Who,
    d: &ActivityDraft,
) -> Result<ActivityId, StoreError> {
    let mut tx = st.db.begin().await?;
    let mut q = Sql::new("SELECT id FROM org_unit WHERE id = ");
    q.bind(Arg::I64(d.unit.0));
    crate::scope::restrict(&mut q, "id", cap.scope());
    let found: Vec<(i64,)> = q.fetch_all_tx(&mut tx).await?;
    if found.is_empty() {
        return Err(invalid("unit", t::UNIT_INVALID));
    }
    let starts = crate::congress::meetings::beijing(d.date, d.time);
    let code = crate::crypto::random_token(9);
    let id: i64 = on_tx!(&mut tx, |c| {
        sqlx::query_scalar(
            "INSERT INTO activity (org_unit_id, title, place, starts_at, signup_closes_on, capacity, audience, checkin_code, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
        )
        .bind(d.unit.0)
        .bind(&d.title)
        .bind(&d.place)
        .bind(starts)
        .bind(d.closes)
        .bind(d.capacity)
        .bind(d.audience.code())
        .bind(&code)
        .bind(who.account.map(|a| a.0))
        .bind(now())
        .fetch_one(&mut *c)
        .await
    })?;
    for tag in &d.tags {
        on_tx!(&mut tx, |c| {
            sqlx::query("INSERT INTO activity_tag (activity_id, tag) VALUES ($1, $2)")
                .bind(id)
                .bind(tag.code())
                .execute(&mut *c)
                .await
                .map(|r| r.rows_affected())
        })?;
    }
    let mut ch = Changes::new();
    ch.note("title", d.title.as_str())
        .note("capacity", d.capacity)
        .note("audience", d.audience.code())
        .note("rules", ACTIVITY_RULES.version);
    audit_commit(
        tx,
        st,
        who,
        "activity.create",
        ("activity", id),
        d.unit,
        &ch,
    )
    .await?;
    Ok(ActivityId(id))
}

/// An activity with its counts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActivityRow {
    pub id: ActivityId,
    pub unit: OrgUnitId,
    pub unit_name: String,
    pub title: String,
    pub place: String,
    pub starts_at: DateTime<Utc>,
    pub closes: NaiveDate,
    pub capacity: i64,
    pub confirmed: i64,
    pub waiting: i64,
    pub attended: i64,
    pub audience: Audience,
    pub tags: Vec<ActivityTag>,
}

type ActivityTuple = (
    i64,
    i64,
    String,
    String,
    String,
    DateTime<Utc>,
    NaiveDate,
    i64,
    i64,
    i64,
    i64,
    String,
);

const ACTIVITY_SELECT: &str = "SELECT a.id, a.org_unit_id, u.name, a.title, a.place, a.starts_at, a.signup_closes_on, a.capacity, a.confirmed_count, \
     CAST((SELECT COUNT(*) FROM activity_signup w WHERE w.activity_id = a.id AND w.status = 'waiting') AS BIGINT), \
     CAST((SELECT COUNT(*) FROM activity_signup w WHERE w.activity_id = a.id AND w.checked_in_at IS NOT NULL) AS BIGINT), \
     a.audience FROM activity a JOIN org_unit u ON u.id = a.org_unit_id WHERE 1 = 1";

fn activity_of(r: ActivityTuple) -> Result<ActivityRow, StoreError> {
    Ok(ActivityRow {
        id: ActivityId(r.0),
        unit: OrgUnitId(r.1),
        unit_name: r.2,
        title: r.3,
        place: r.4,
        starts_at: r.5,
        closes: r.6,
        capacity: r.7,
        confirmed: r.8,
        waiting: r.9,
        attended: r.10,
        audience: Audience::from_code(&r.11)
            .ok_or_else(|| StoreError::Other(format!("activity audience {}", r.11)))?,
        tags: Vec::new(),
    })
}

/// Adds their tags to rows (one query).
async fn with_tags(db: &Db, mut rows: Vec<ActivityRow>) -> Result<Vec<ActivityRow>, StoreError> {
    if rows.is_empty() {
        return Ok(rows);
    }
    let mut q = Sql::new("SELECT activity_id, tag FROM activity_tag WHERE activity_id IN (");
    q.bind_list(rows.iter().map(|r| Arg::I64(r.id.0)));
    q.push(") ORDER BY activity_id, tag");
    let tags: Vec<(i64, String)> = q.fetch_all(db).await?;
    for r in &mut rows {
        r.tags = ActivityTag::all()
            .iter()
            .copied()
            .filter(|t| tags.iter().any(|(a, c)| *a == r.id.0 && c == t.code()))
            .collect();
    }
    Ok(rows)
}

/// Filters of the organisers' list.
#[derive(Clone, Debug, Default)]
pub struct ActivityFilter {
    pub unit: Option<OrgUnitId>,
    pub year: Option<i32>,
    pub tag: Option<ActivityTag>,
    /// Part of the title.
    pub search: Option<String>,
    /// Show activities starting before this (keyset: the page after).
    pub before: Option<(DateTime<Utc>, i64)>,
}

/// One page of the list.
pub const PAGE: usize = 30;

/// The activities organised by units in scope, newest first, [`PAGE`] at a time (two
/// queries whatever their number).
pub async fn list(
    db: &Db,
    cap: &Cap<perm::ActivityManage>,
    f: &ActivityFilter,
) -> Result<Vec<ActivityRow>, StoreError> {
    let mut q = Sql::new(ACTIVITY_SELECT);
    crate::scope::restrict(&mut q, "a.org_unit_id", cap.scope());
    if let Some(u) = f.unit {
        q.push(" AND a.org_unit_id IN (SELECT descendant_id FROM org_closure WHERE ancestor_id = ")
            .bind(Arg::I64(u.0))
            .push(")");
    }
    if let Some(y) = f.year {
        crate::area::push_in_year(&mut q, "a.starts_at", y);
    }
    if let Some(tag) = f.tag {
        q.push(" AND EXISTS (SELECT 1 FROM activity_tag g WHERE g.activity_id = a.id AND g.tag = ")
            .bind(Arg::Text(tag.code().into()))
            .push(")");
    }
    if let Some(s) = f.search.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        let pattern = format!(
            "%{}%",
            s.replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        );
        q.push(" AND a.title LIKE ")
            .bind(Arg::Text(pattern))
            .push(" ESCAPE '\\'");
    }
    if let Some((at, id)) = f.before {
        q.push(" AND (a.starts_at < ")
            .bind(Arg::Ts(at))
            .push(" OR (a.starts_at = ")
            .bind(Arg::Ts(at))
            .push(" AND a.id < ")
            .bind(Arg::I64(id))
            .push("))");
    }
    q.push(" ORDER BY a.starts_at DESC, a.id DESC LIMIT 31");
    let rows: Vec<ActivityTuple> = q.fetch_all(db).await?;
    let rows = rows
        .into_iter()
        .map(activity_of)
        .collect::<Result<Vec<_>, _>>()?;
    with_tags(db, rows).await
}

/// One activity in scope (for its organisers), or not found.
pub async fn get(
    db: &Db,
    cap: &Cap<perm::ActivityManage>,
    id: ActivityId,
) -> Result<ActivityRow, StoreError> {
    let mut q = Sql::new(ACTIVITY_SELECT);
    q.push(" AND a.id = ").bind(Arg::I64(id.0));
    crate::scope::restrict(&mut q, "a.org_unit_id", cap.scope());
    let r: ActivityTuple = q.fetch_one(db).await?;
    let rows = with_tags(db, vec![activity_of(r)?]).await?;
    rows.into_iter().next().ok_or(StoreError::NotFound)
}

/// The activity's check-in code, for its organisers (shown as a QR at the venue).
pub async fn checkin_code(
    db: &Db,
    cap: &Cap<perm::ActivityManage>,
    id: ActivityId,
) -> Result<String, StoreError> {
    let mut q = Sql::new("SELECT a.checkin_code FROM activity a WHERE a.id = ");
    q.bind(Arg::I64(id.0));
    crate::scope::restrict(&mut q, "a.org_unit_id", cap.scope());
    let (code,): (String,) = q.fetch_one(db).await?;
    Ok(code)
}

/// A sign-up as the organisers see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignupRow {
    pub id: SignupId,
    pub member: MemberId,
    pub name: String,
    pub school: String,
    pub status: SignupStatus,
    pub seq: i64,
    pub signed_up_at: DateTime<Utc>,
    pub promoted: bool,
    pub checked_in_at: Option<DateTime<Utc>>,
}

/// The sign-ups of an activity in scope: confirmed first, then the waiting list in order,
/// then cancellations (one query). Members of schools outside the organiser's scope (a
/// district activity seen by one school) are left out.
pub async fn signups(
    db: &Db,
    cap: &Cap<perm::ActivityManage>,
    id: ActivityId,
) -> Result<Vec<SignupRow>, StoreError> {
    let mut q = Sql::new(
        "SELECT s.id, s.member_id, m.name, u.name, s.status, s.seq, s.signed_up_at, s.promoted_at, s.checked_in_at FROM activity_signup s JOIN activity a ON a.id = s.activity_id JOIN member m ON m.id = s.member_id JOIN org_unit u ON u.id = s.school_union_id WHERE s.activity_id = ",
    );
    q.bind(Arg::I64(id.0));
    crate::scope::restrict(&mut q, "a.org_unit_id", cap.scope());
    q.push(" ORDER BY CASE s.status WHEN 'confirmed' THEN 0 WHEN 'waiting' THEN 1 ELSE 2 END, s.seq, s.id");
    type Row = (
        i64,
        i64,
        String,
        String,
        String,
        i64,
        DateTime<Utc>,
        Option<DateTime<Utc>>,
        Option<DateTime<Utc>>,
    );
    let rows: Vec<Row> = q.fetch_all(db).await?;
    rows.into_iter()
        .map(|r| {
            Ok(SignupRow {
                id: SignupId(r.0),
                member: MemberId(r.1),
                name: r.2,
                school: r.3,
                status: SignupStatus::from_code(&r.4)
                    .ok_or_else(|| StoreError::Other(format!("signup status {}", r.4)))?,
                seq: r.5,
                signed_up_at: r.6,
                promoted: r.7.is_some(),
                checked_in_at: r.8,
            })
        })
        .collect()
}

/// Attendance of one activity per school: (school, confirmed, checked in), one query.
pub async fn by_school(
    db: &Db,
    cap: &Cap<perm::ActivityManage>,
    id: ActivityId,
) -> Result<Vec<(String, i64, i64)>, StoreError> {
    let mut q = Sql::new(
        "SELECT u.name, CAST(COUNT(*) AS BIGINT), CAST(SUM(CASE WHEN s.checked_in_at IS NOT NULL THEN 1 ELSE 0 END) AS BIGINT) FROM activity_signup s JOIN activity a ON a.id = s.activity_id JOIN org_unit u ON u.id = s.school_union_id WHERE s.status = 'confirmed' AND s.activity_id = ",
    );
    q.bind(Arg::I64(id.0));
    crate::scope::restrict(&mut q, "a.org_unit_id", cap.scope());
    q.push(" GROUP BY u.name, u.sort_order, u.id ORDER BY u.sort_order, u.id");
    q.fetch_all(db).await
}

type PersonTuple = (i64, String, NaiveDate, String);

fn person_sql(acting: &Acting<perm::ActivityJoin>) -> Sql {
    let mut q = Sql::new(
        "SELECT m.school_union_id, m.gender, m.birth_date, m.status FROM member m WHERE m.id = ",
    );
    q.bind(Arg::I64(acting.member().0));
    crate::scope::restrict(&mut q, "m.school_union_id", acting.cap().scope());
    q
}

fn person((school, gender, birth, status): PersonTuple) -> (OrgUnitId, Person) {
    (
        OrgUnitId(school),
        Person {
            gender: Gender::from_code(&gender).unwrap_or(Gender::Male),
            birth_date: birth,
            status: MemberStatus::from_code(&status).unwrap_or(MemberStatus::Left),
        },
    )
}

/// What the member reads of themself for the audience test (their own record, in the
/// scope of their capability).
async fn person_of(
    tx: &mut Tx,
    acting: &Acting<perm::ActivityJoin>,
) -> Result<(OrgUnitId, Person), StoreError> {
    Ok(person(person_sql(acting).fetch_one_tx(tx).await?))
}

/// An activity as a member sees it, with their own sign-up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemberActivity {
    pub row: ActivityRow,
    /// Whether the member is in its audience.
    pub admitted: bool,
    pub mine: Option<SignupStatus>,
    /// On the waiting list: the position (1 = next).
    pub position: Option<i64>,
    pub checked_in: bool,
}

/// The activities a member may join (organised by their school or a union above it) that
/// have not ended before today, soonest first, with their own sign-up (three queries).
pub async fn for_member(
    st: &Store,
    acting: &Acting<perm::ActivityJoin>,
    today: NaiveDate,
) -> Result<Vec<MemberActivity>, StoreError> {
    let (school, person) = person(person_sql(acting).fetch_one(&st.db).await?);
    let mut q = Sql::new(ACTIVITY_SELECT);
    q.push(" AND a.org_unit_id IN (SELECT ancestor_id FROM org_closure WHERE descendant_id = ")
        .bind(Arg::I64(school.0))
        .push(") AND a.starts_at >= ")
        .bind(Arg::Ts(crate::congress::meetings::beijing(
            today,
            chrono::NaiveTime::MIN,
        )))
        .push(" ORDER BY a.starts_at, a.id LIMIT 100");
    let rows: Vec<ActivityTuple> = q.fetch_all(&st.db).await?;
    let rows = rows
        .into_iter()
        .map(activity_of)
        .collect::<Result<Vec<_>, _>>()?;
    let rows = with_tags(&st.db, rows).await?;
    let mut q = Sql::new(
        "SELECT s.activity_id, s.status, CAST((SELECT COUNT(*) FROM activity_signup w WHERE w.activity_id = s.activity_id AND w.status = 'waiting' AND w.seq <= s.seq) AS BIGINT), s.checked_in_at FROM activity_signup s WHERE s.member_id = ",
    );
    q.bind(Arg::I64(acting.member().0))
        .push(" ORDER BY s.activity_id");
    let mine: Vec<(i64, String, i64, Option<DateTime<Utc>>)> = q.fetch_all(&st.db).await?;
    Ok(rows
        .into_iter()
        .filter_map(|row| {
            let admitted = ACTIVITY_RULES.admits(row.audience, &person, beijing_day(row.starts_at));
            let own = mine.iter().find(|m| m.0 == row.id.0);
            let status = own.and_then(|m| SignupStatus::from_code(&m.1));
            if !admitted && status.is_none() {
                return None;
            }
            Some(MemberActivity {
                admitted,
                position: own
                    .filter(|_| status == Some(SignupStatus::Waiting))
                    .map(|m| m.2),
                checked_in: own.is_some_and(|m| m.3.is_some()),
                mine: status,
                row,
            })
        })
        .collect())
}

/// The activity a member may reach (organised at or above their school), locked for the
/// rest of the transaction: the update of its counter row serialises every sign-up and
/// cancellation of this activity. Returns (unit, start, sign-up closes, audience, capacity,
/// confirmed, the new sequence number).
async fn lock_for_member(
    tx: &mut Tx,
    id: ActivityId,
    school: OrgUnitId,
) -> Result<(i64, DateTime<Utc>, NaiveDate, String, i64, i64, i64), StoreError> {
    let row: Option<(i64, DateTime<Utc>, NaiveDate, String, i64, i64, i64)> = on_tx!(tx, |c| {
        sqlx::query_as(
            "UPDATE activity SET next_seq = next_seq + 1 WHERE id = $1 AND org_unit_id IN (SELECT ancestor_id FROM org_closure WHERE descendant_id = $2) RETURNING org_unit_id, starts_at, signup_closes_on, audience, capacity, confirmed_count, next_seq",
        )
        .bind(id.0)
        .bind(school.0)
        .fetch_optional(&mut *c)
        .await
    })?;
    row.ok_or(StoreError::NotFound)
}

/// A member signs up as themself. Beyond the places they go to the waiting list (and are
/// told their position); twice, after the last day, or outside the audience is refused at
/// `activity`. An activity of another union looks like missing.
pub async fn sign_up(
    st: &Store,
    acting: &Acting<perm::ActivityJoin>,
    who: &Who,
    id: ActivityId,
    at: DateTime<Utc>,
) -> Result<SignupOutcome, StoreError> {
    let mut tx = st.db.begin().await?;
    let (school, person) = person_of(&mut tx, acting).await?;
    let (unit, starts, closes, audience, capacity, confirmed, seq) =
        lock_for_member(&mut tx, id, school).await?;
    let audience = Audience::from_code(&audience).unwrap_or(Audience::Everyone);
    if !ACTIVITY_RULES.admits(audience, &person, beijing_day(starts)) {
        return Err(invalid("activity", t::NOT_IN_AUDIENCE));
    }
    if beijing_day(at) > closes || at >= starts {
        return Err(invalid("activity", t::SIGNUP_CLOSED));
    }
    let member = acting.member().0;
    let existing: Option<(i64, String)> = on_tx!(&mut tx, |c| {
        sqlx::query_as(
            "SELECT id, status FROM activity_signup WHERE activity_id = $1 AND member_id = $2",
        )
        .bind(id.0)
        .bind(member)
        .fetch_optional(&mut *c)
        .await
    })?;
    if existing.as_ref().is_some_and(|e| e.1 != "cancelled") {
        return Err(invalid("activity", t::ALREADY_SIGNED_UP));
    }
    let status = if confirmed < capacity {
        on_tx!(&mut tx, |c| {
            sqlx::query("UPDATE activity SET confirmed_count = confirmed_count + 1 WHERE id = $1")
                .bind(id.0)
                .execute(&mut *c)
                .await
                .map(|r| r.rows_affected())
        })?;
        SignupStatus::Confirmed
    } else {
        SignupStatus::Waiting
    };
    let signup: i64 = match existing {
        Some((sid, _)) => {
            on_tx!(&mut tx, |c| {
                sqlx::query(
                    "UPDATE activity_signup SET status = $1, seq = $2, signed_up_at = $3, school_union_id = $4, promoted_at = NULL, cancelled_at = NULL, checked_in_at = NULL WHERE id = $5",
                )
                .bind(status.code())
                .bind(seq)
                .bind(at)
                .bind(school.0)
                .bind(sid)
                .execute(&mut *c)
                .await
                .map(|r| r.rows_affected())
            })?;
            sid
        }
        None => on_tx!(&mut tx, |c| {
            sqlx::query_scalar(
                "INSERT INTO activity_signup (activity_id, member_id, school_union_id, status, seq, signed_up_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            )
            .bind(id.0)
            .bind(member)
            .bind(school.0)
            .bind(status.code())
            .bind(seq)
            .bind(at)
            .fetch_one(&mut *c)
            .await
            .map_err(crate::db::unique_as("activity", t::ALREADY_SIGNED_UP))
        })?,
    };
    let outcome = match status {
        SignupStatus::Confirmed => SignupOutcome::Confirmed,
        _ => {
            let ahead: i64 = on_tx!(&mut tx, |c| {
                sqlx::query_scalar(
                    "SELECT CAST(COUNT(*) AS BIGINT) FROM activity_signup WHERE activity_id = $1 AND status = 'waiting' AND seq <= $2",
                )
                .bind(id.0)
                .bind(seq)
                .fetch_one(&mut *c)
                .await
            })?;
            SignupOutcome::Waiting(ahead)
        }
    };
    let mut ch = Changes::new();
    ch.note("activity", id.0)
        .note("member", member)
        .note("status", status.code());
    audit_commit(
        tx,
        st,
        who,
        "activity_signup.create",
        ("activity_signup", signup),
        OrgUnitId(unit),
        &ch,
    )
    .await?;
    Ok(outcome)
}

/// A member cancels their own sign-up before the activity starts. A confirmed place goes to
/// the first on the waiting list, in the same transaction; returns that member, if any.
pub async fn cancel(
    st: &Store,
    acting: &Acting<perm::ActivityJoin>,
    who: &Who,
    id: ActivityId,
    at: DateTime<Utc>,
) -> Result<Option<MemberId>, StoreError> {
    let mut tx = st.db.begin().await?;
    let (school, _) = person_of(&mut tx, acting).await?;
    let (unit, starts, ..) = lock_for_member(&mut tx, id, school).await?;
    let member = acting.member().0;
    let mine: Option<(i64, String)> = on_tx!(&mut tx, |c| {
        sqlx::query_as(
            "SELECT id, status FROM activity_signup WHERE activity_id = $1 AND member_id = $2 AND status <> 'cancelled'",
        )
        .bind(id.0)
        .bind(member)
        .fetch_optional(&mut *c)
        .await
    })?;
    let Some((signup, status)) = mine else {
        return Err(invalid("activity", t::NOT_SIGNED_UP));
    };
    if at >= starts {
        return Err(invalid("activity", t::STARTED));
    }
    on_tx!(&mut tx, |c| {
        sqlx::query(
            "UPDATE activity_signup SET status = 'cancelled', cancelled_at = $1 WHERE id = $2",
        )
        .bind(at)
        .bind(signup)
        .execute(&mut *c)
        .await
        .map(|r| r.rows_affected())
    })?;
    let mut promoted = None;
    if status == "confirmed" {
        let next: Option<(i64, i64)> = on_tx!(&mut tx, |c| {
            sqlx::query_as(
                "SELECT id, member_id FROM activity_signup WHERE activity_id = $1 AND status = 'waiting' ORDER BY seq, id LIMIT 1",
            )
            .bind(id.0)
            .fetch_optional(&mut *c)
            .await
        })?;
        match next {
            Some((next_id, next_member)) => {
                on_tx!(&mut tx, |c| {
                    sqlx::query(
                        "UPDATE activity_signup SET status = 'confirmed', promoted_at = $1 WHERE id = $2",
                    )
                    .bind(at)
                    .bind(next_id)
                    .execute(&mut *c)
                    .await
                    .map(|r| r.rows_affected())
                })?;
                let mut ch = Changes::new();
                ch.note("activity", id.0)
                    .note("member", next_member)
                    .note("status", SignupStatus::Confirmed.code());
                crate::audit::append(
                    &mut tx,
                    &st.cipher,
                    who,
                    Event {
                        action: "activity_signup.promote",
                        entity_type: "activity_signup",
                        entity_id: Some(next_id),
                        org_unit: Some(OrgUnitId(unit)),
                        changes: &ch,
                    },
                )
                .await?;
                promoted = Some(MemberId(next_member));
            }
            None => {
                on_tx!(&mut tx, |c| {
                    sqlx::query(
                        "UPDATE activity SET confirmed_count = confirmed_count - 1 WHERE id = $1",
                    )
                    .bind(id.0)
                    .execute(&mut *c)
                    .await
                    .map(|r| r.rows_affected())
                })?;
            }
        }
    }
    let mut ch = Changes::new();
    ch.note("activity", id.0)
        .note("member", member)
        .note("status", SignupStatus::Cancelled.code());
    audit_commit(
        tx,
        st,
        who,
        "activity_signup.cancel",
        ("activity_signup", signup),
        OrgUnitId(unit),
        &ch,
    )
    .await?;
    Ok(promoted)
}

async fn mark_present(
    tx: &mut Tx,
    id: ActivityId,
    member: i64,
    at: DateTime<Utc>,
    starts: DateTime<Utc>,
) -> Result<i64, StoreError> {
    let mine: Option<(i64, String, Option<DateTime<Utc>>)> = on_tx!(tx, |c| {
        sqlx::query_as(
            "SELECT id, status, checked_in_at FROM activity_signup WHERE activity_id = $1 AND member_id = $2",
        )
        .bind(id.0)
        .bind(member)
        .fetch_optional(&mut *c)
        .await
    })?;
    let Some((signup, status, checked)) = mine else {
        return Err(invalid("member", t::NOT_CONFIRMED));
    };
    if status != "confirmed" {
        return Err(invalid("member", t::NOT_CONFIRMED));
    }
    if checked.is_some() {
        return Err(invalid("member", t::ALREADY_CHECKED_IN));
    }
    if beijing_day(at) != beijing_day(starts) {
        return Err(invalid("code", t::CHECKIN_NOT_TODAY));
    }
    on_tx!(tx, |c| {
        sqlx::query("UPDATE activity_signup SET checked_in_at = $1 WHERE id = $2")
            .bind(at)
            .bind(signup)
            .execute(&mut *c)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(signup)
}

/// A member checks in as themself with the code shown at the venue, on the activity's day,
/// holding a confirmed place.
pub async fn check_in(
    st: &Store,
    acting: &Acting<perm::ActivityJoin>,
    who: &Who,
    id: ActivityId,
    code: &str,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let mut tx = st.db.begin().await?;
    let (school, _) = person_of(&mut tx, acting).await?;
    let row: Option<(i64, DateTime<Utc>, String)> = on_tx!(&mut tx, |c| {
        sqlx::query_as(
            "SELECT org_unit_id, starts_at, checkin_code FROM activity WHERE id = $1 AND org_unit_id IN (SELECT ancestor_id FROM org_closure WHERE descendant_id = $2)",
        )
        .bind(id.0)
        .bind(school.0)
        .fetch_optional(&mut *c)
        .await
    })?;
    let (unit, starts, expected) = row.ok_or(StoreError::NotFound)?;
    // The code is shown at the venue: it proves presence, it is not a secret of the member.
    if code.trim() != expected {
        return Err(invalid("code", t::CODE_WRONG));
    }
    let signup = mark_present(&mut tx, id, acting.member().0, at, starts).await?;
    let mut ch = Changes::new();
    ch.note("activity", id.0).note("checked_in", true);
    audit_commit(
        tx,
        st,
        who,
        "activity_signup.check_in",
        ("activity_signup", signup),
        OrgUnitId(unit),
        &ch,
    )
    .await
}

/// The organiser checks in a member with a confirmed place (someone without a phone):
/// `member` is the member's number (`#12` or `12`).
pub async fn record_attendance(
    st: &Store,
    cap: &Cap<perm::ActivityManage>,
    who: &Who,
    id: ActivityId,
    member: &str,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let Ok(number) = member.trim().trim_start_matches('#').parse::<i64>() else {
        return Err(invalid("member", t::MEMBER_UNKNOWN));
    };
    let mut tx = st.db.begin().await?;
    let mut q = Sql::new("SELECT a.org_unit_id, a.starts_at FROM activity a WHERE a.id = ");
    q.bind(Arg::I64(id.0));
    crate::scope::restrict(&mut q, "a.org_unit_id", cap.scope());
    let (unit, starts): (i64, DateTime<Utc>) = q.fetch_one_tx(&mut tx).await?;
    let signup = mark_present(&mut tx, id, number, at, starts).await?;
    let mut ch = Changes::new();
    ch.note("activity", id.0)
        .note("member", number)
        .note("checked_in", true);
    audit_commit(
        tx,
        st,
        who,
        "activity_signup.check_in",
        ("activity_signup", signup),
        OrgUnitId(unit),
        &ch,
    )
    .await
}
