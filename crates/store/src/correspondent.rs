//! News from correspondents in the database: the school's correspondents (通讯员), their
//! news items through school review and district publication, placements at higher levels
//! with the points of the news rule set, and the area's declaration (coded columns, year
//! figures, demo).
//!
//! Every read of unpublished news takes a capability and filters by its scope in SQL; out
//! of scope looks like missing. Published items are public by nature: [`published`] is
//! the one read without a capability (the public news page and its feed), and it returns
//! nothing that is not published. An item is submitted only as oneself (an [`Acting`]) by
//! a registered correspondent; nobody approves their own item, and the district's step
//! (publication, placements) needs a scope that covers the school's root union. Every change
//! is audited in its transaction.

use crate::area::{Area, CodedColumn, Reach};
use crate::audit::Who;
use crate::db::{Arg, Sql, Tx, now, unique_as};
use crate::{Db, Store, StoreError, on_tx};
use chrono::{DateTime, NaiveDate, Utc};
use domain::FieldError;
use domain::area::{Figure, FigureValue};
use domain::audit::Changes;
use domain::auth::{Cap, Scope, perm};
use domain::congress::Acting;
use domain::correspondent::text as t;
use domain::correspondent::*;
use domain::ids::OrgUnitId;
use domain::org::Coded;
use futures::FutureExt;
use futures::future::BoxFuture;

fn invalid(e: FieldError) -> StoreError {
    StoreError::Invalid(domain::FieldErrors(vec![e]))
}

static FIGURES: &[Figure] = &[
    Figure::count(
        "figure-correspondent-items-submitted",
        "/correspondents?unit={unit}&year={year}",
    ),
    Figure::count(
        "figure-correspondent-items-published",
        "/correspondents?unit={unit}&year={year}&status=published",
    ),
    Figure::count(
        "figure-correspondent-placements",
        "/correspondents?unit={unit}&year={year}&placed=1",
    ),
    Figure::count(
        "figure-correspondent-points",
        "/correspondents?unit={unit}&year={year}&placed=1",
    ),
];

/// News from correspondents.
pub static AREA: Area = Area {
    coded: &[
        CodedColumn::of::<NewsStatus>("news_item.status"),
        CodedColumn::of::<PlacementLevel>("news_placement.level"),
    ],
    demo: Some(demo),
    figures: FIGURES,
    year_figures: Some(year_figures_boxed),
    ..Area::new("correspondent")
};

fn year_figures_boxed<'a>(
    st: &'a Store,
    reach: &'a Reach,
    year: i32,
) -> BoxFuture<'a, Result<Vec<FigureValue>, StoreError>> {
    year_figures(st, reach, year).boxed()
}

fn year_range(year: i32) -> (NaiveDate, NaiveDate) {
    (
        NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or_default(),
        NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or_default(),
    )
}

/// Items submitted and published (by the day they were submitted), placements and their
/// points (by the day of the placement) per school of the reach, in calendar year `year`:
/// two queries, whatever the number of schools.
pub async fn year_figures(
    st: &Store,
    reach: &Reach,
    year: i32,
) -> Result<Vec<FigureValue>, StoreError> {
    let (from, to) = year_range(year);
    let mut q = Sql::new(
        "SELECT n.school_union_id, CAST(COUNT(*) AS BIGINT), CAST(SUM(CASE WHEN n.status = 'published' THEN 1 ELSE 0 END) AS BIGINT) FROM news_item n WHERE n.submitted_on >= ",
    );
    q.bind(Arg::Date(from))
        .push(" AND n.submitted_on <= ")
        .bind(Arg::Date(to));
    crate::scope::restrict(&mut q, "n.school_union_id", reach.scope());
    q.push(" GROUP BY n.school_union_id ORDER BY n.school_union_id");
    let rows: Vec<(i64, i64, i64)> = q.fetch_all(&st.db).await?;
    let mut out = Vec::new();
    for (unit, submitted, published) in rows {
        out.push(crate::area::value(FIGURES[0].key, unit, year, submitted));
        out.push(crate::area::value(FIGURES[1].key, unit, year, published));
    }
    let mut q = Sql::new(
        "SELECT n.school_union_id, CAST(COUNT(*) AS BIGINT), CAST(SUM(p.points) AS BIGINT) FROM news_placement p JOIN news_item n ON n.id = p.news_item_id WHERE p.placed_on >= ",
    );
    q.bind(Arg::Date(from))
        .push(" AND p.placed_on <= ")
        .bind(Arg::Date(to));
    crate::scope::restrict(&mut q, "n.school_union_id", reach.scope());
    q.push(" GROUP BY n.school_union_id ORDER BY n.school_union_id");
    let rows: Vec<(i64, i64, i64)> = q.fetch_all(&st.db).await?;
    for (unit, placements, points) in rows {
        out.push(crate::area::value(FIGURES[2].key, unit, year, placements));
        out.push(crate::area::value(FIGURES[3].key, unit, year, points));
    }
    Ok(out)
}

use crate::kit::record_commit as audit_commit;

/// Whether `unit` is inside `scope` (one query); out of scope is [`StoreError::NotFound`].
pub(crate) async fn unit_in_scope(
    tx: &mut Tx,
    scope: &Scope,
    unit: OrgUnitId,
) -> Result<(), StoreError> {
    let mut q = Sql::new("SELECT id FROM org_unit WHERE id = ");
    q.bind(Arg::I64(unit.0));
    crate::scope::restrict(&mut q, "id", scope);
    let found: Vec<(i64,)> = q.fetch_all_tx(tx).await?;
    if found.is_empty() {
        Err(StoreError::NotFound)
    } else {
        Ok(())
    }
}

/// The root union above a unit (the district that publishes its schools' news).
/// The area name of the news rule set in `area_rule_set`.
pub const RULES_AREA: &str = "news";

/// The news rule set in force at `unit` (the district union for placements) and the label
/// a decision records: a stored version, or the built-in numbers. One query.
pub(crate) async fn rules_tx(
    tx: &mut Tx,
    unit: OrgUnitId,
) -> Result<(NewsRules, String), StoreError> {
    let v = crate::rule_sets::in_force_tx::<NewsRules>(tx, RULES_AREA, unit).await?;
    Ok(match v {
        Some(v) => (
            v.rules,
            crate::rule_sets::label(RULES_AREA, Some(&v), BUILTIN_NEWS_RULES),
        ),
        None => (NEWS_RULES, BUILTIN_NEWS_RULES.to_string()),
    })
}

/// The news rule set in force at `unit` (in the reader's scope) and its label.
pub async fn rules<P: perm::Perm>(
    db: &Db,
    cap: &Cap<P>,
    unit: OrgUnitId,
) -> Result<(NewsRules, String), StoreError> {
    let v = crate::rule_sets::in_force::<NewsRules, P>(db, cap, RULES_AREA, unit).await?;
    Ok(match v {
        Some(v) => (
            v.rules,
            crate::rule_sets::label(RULES_AREA, Some(&v), BUILTIN_NEWS_RULES),
        ),
        None => (NEWS_RULES, BUILTIN_NEWS_RULES.to_string()),
    })
}

pub(crate) async fn root_of(tx: &mut Tx, unit: OrgUnitId) -> Result<OrgUnitId, StoreError> {
    let root: Option<i64> = on_tx!(tx, |c| {
        sqlx::query_scalar(
            "SELECT ancestor_id FROM org_closure WHERE descendant_id = $1 ORDER BY depth DESC LIMIT 1",
        )
        .bind(unit.0)
        .fetch_optional(&mut *c)
        .await
    })?;
    root.map(OrgUnitId).ok_or(StoreError::NotFound)
}

/// Registers an active member of a school in scope as a correspondent: `member` is the
/// member's number (`#12` or `12`) or exact name. Refused at `member` when unknown,
/// ambiguous or already registered.
pub async fn register(
    st: &Store,
    cap: &Cap<perm::NewsReview>,
    who: &Who,
    member: &str,
    today: NaiveDate,
) -> Result<CorrespondentId, StoreError> {
    let typed = member.trim();
    if typed.is_empty() {
        return Err(invalid(FieldError::new("member", domain::text::REQUIRED)));
    }
    let number = typed.trim_start_matches('#').parse::<i64>().unwrap_or(-1);
    let mut tx = st.db.begin().await?;
    let mut q = Sql::new(
        "SELECT m.id, m.school_union_id FROM member m WHERE m.status = 'active' AND (m.id = ",
    );
    q.bind(Arg::I64(number))
        .push(" OR m.name = ")
        .bind(Arg::Text(typed.to_string()))
        .push(")");
    crate::scope::restrict(&mut q, "m.school_union_id", cap.scope());
    q.push(" ORDER BY m.id LIMIT 2");
    let found: Vec<(i64, i64)> = q.fetch_all_tx(&mut tx).await?;
    let (member_id, school) = match found[..] {
        [one] => one,
        [] => return Err(invalid(FieldError::new("member", t::MEMBER_UNKNOWN))),
        _ => return Err(invalid(FieldError::new("member", t::MEMBER_AMBIGUOUS))),
    };
    let id: i64 = on_tx!(&mut tx, |c| {
        sqlx::query_scalar(
            "INSERT INTO correspondent (member_id, school_union_id, registered_on, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(member_id)
        .bind(school)
        .bind(today)
        .bind(now())
        .fetch_one(&mut *c)
        .await
        .map_err(unique_as("member", t::ALREADY_CORRESPONDENT))
    })?;
    let mut ch = Changes::new();
    ch.note("member", member_id);
    audit_commit(
        tx,
        st,
        who,
        "correspondent.register",
        ("correspondent", id),
        OrgUnitId(school),
        &ch,
    )
    .await?;
    Ok(CorrespondentId(id))
}

/// A correspondent with the year's work: items, items published, placements' points.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CorrespondentRow {
    pub id: CorrespondentId,
    pub member: String,
    pub school: String,
    pub items: i64,
    pub published: i64,
    pub points: i64,
}

/// The correspondents of the schools in scope with their work of `year` (one query).
pub async fn correspondents(
    db: &Db,
    cap: &Cap<perm::NewsReview>,
    unit: Option<OrgUnitId>,
    year: i32,
) -> Result<Vec<CorrespondentRow>, StoreError> {
    let (from, to) = year_range(year);
    let mut q = Sql::new(
        "SELECT c.id, m.name, s.name, \
         CAST((SELECT COUNT(*) FROM news_item n WHERE n.correspondent_id = c.id AND n.submitted_on >= ",
    );
    q.bind(Arg::Date(from))
        .push(" AND n.submitted_on <= ")
        .bind(Arg::Date(to))
        .push(") AS BIGINT), CAST((SELECT COUNT(*) FROM news_item n WHERE n.correspondent_id = c.id AND n.status = 'published' AND n.submitted_on >= ")
        .bind(Arg::Date(from))
        .push(" AND n.submitted_on <= ")
        .bind(Arg::Date(to))
        .push(") AS BIGINT), CAST((SELECT COALESCE(SUM(p.points), 0) FROM news_placement p JOIN news_item n ON n.id = p.news_item_id WHERE n.correspondent_id = c.id AND p.placed_on >= ")
        .bind(Arg::Date(from))
        .push(" AND p.placed_on <= ")
        .bind(Arg::Date(to))
        .push(") AS BIGINT) FROM correspondent c JOIN member m ON m.id = c.member_id JOIN org_unit s ON s.id = c.school_union_id WHERE 1 = 1");
    crate::scope::restrict(&mut q, "c.school_union_id", cap.scope());
    if let Some(u) = unit {
        q.push(
            " AND c.school_union_id IN (SELECT descendant_id FROM org_closure WHERE ancestor_id = ",
        )
        .bind(Arg::I64(u.0))
        .push(")");
    }
    q.push(" ORDER BY s.sort_order, s.id, c.id LIMIT 500");
    let rows: Vec<(i64, String, String, i64, i64, i64)> = q.fetch_all(db).await?;
    Ok(rows
        .into_iter()
        .map(|r| CorrespondentRow {
            id: CorrespondentId(r.0),
            member: r.1,
            school: r.2,
            items: r.3,
            published: r.4,
            points: r.5,
        })
        .collect())
}

/// A correspondent submits an item as themself. Refused at `member` when the account's
/// member is not a registered correspondent of a school in scope.
pub async fn submit(
    st: &Store,
    acting: &Acting<perm::NewsSubmit>,
    who: &Who,
    d: &NewsDraft,
    today: NaiveDate,
) -> Result<NewsItemId, StoreError> {
    submit_with_photos(st, acting, who, d, &[], today).await
}

/// A photo of a news item as stored: already re-encoded (the web layer decodes the upload,
/// scales it and writes a JPEG without metadata); the uploaded file is never kept.
#[derive(Clone, Debug)]
pub struct NewPhoto {
    pub content_type: &'static str,
    pub width: u32,
    pub height: u32,
    pub bytes: Vec<u8>,
}

/// [`submit`] with the item's photos, in one transaction (at most
/// [`PHOTO_MAX_COUNT`], refused at `photo` beyond).
pub async fn submit_with_photos(
    st: &Store,
    acting: &Acting<perm::NewsSubmit>,
    who: &Who,
    d: &NewsDraft,
    photos: &[NewPhoto],
    today: NaiveDate,
) -> Result<NewsItemId, StoreError> {
    if photos.len() > PHOTO_MAX_COUNT {
        return Err(invalid(
            FieldError::new("photo", t::PHOTO_TOO_MANY).arg("max", PHOTO_MAX_COUNT),
        ));
    }
    let mut tx = st.db.begin().await?;
    let mut q =
        Sql::new("SELECT c.id, c.school_union_id FROM correspondent c WHERE c.member_id = ");
    q.bind(Arg::I64(acting.member().0));
    crate::scope::restrict(&mut q, "c.school_union_id", acting.cap().scope());
    let found: Vec<(i64, i64)> = q.fetch_all_tx(&mut tx).await?;
    let Some((correspondent, school)) = found.into_iter().next() else {
        return Err(invalid(FieldError::new("member", t::NOT_A_CORRESPONDENT)));
    };
    let id: i64 = on_tx!(&mut tx, |c| {
        sqlx::query_scalar(
            "INSERT INTO news_item (correspondent_id, school_union_id, title, body, status, submitted_by, submitted_on, created_at) VALUES ($1, $2, $3, $4, 'submitted', $5, $6, $7) RETURNING id",
        )
        .bind(correspondent)
        .bind(school)
        .bind(&d.title)
        .bind(&d.body)
        .bind(who.account.map(|a| a.0))
        .bind(today)
        .bind(now())
        .fetch_one(&mut *c)
        .await
    })?;
    for (i, p) in photos.iter().enumerate() {
        on_tx!(&mut tx, |c| {
            sqlx::query(
                "INSERT INTO news_photo (news_item_id, position, content_type, width, height, bytes, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(id)
            .bind(i as i64)
            .bind(p.content_type)
            .bind(i64::from(p.width))
            .bind(i64::from(p.height))
            .bind(&p.bytes)
            .bind(now())
            .execute(&mut *c)
            .await
            .map(|_| ())
        })?;
    }
    let mut ch = Changes::new();
    ch.note("title", d.title.as_str())
        .note("status", NewsStatus::Submitted.code())
        .note("photos", photos.len());
    audit_commit(
        tx,
        st,
        who,
        "news_item.submit",
        ("news_item", id),
        OrgUnitId(school),
        &ch,
    )
    .await?;
    Ok(NewsItemId(id))
}

/// A news item as its reviewers see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewsRow {
    pub id: NewsItemId,
    pub title: String,
    pub body: String,
    pub school_id: OrgUnitId,
    pub school: String,
    pub author: String,
    pub status: NewsStatus,
    pub submitted_on: NaiveDate,
    pub submitted_by: Option<i64>,
    pub school_approved_by: Option<i64>,
    pub published_at: Option<DateTime<Utc>>,
    /// Placements as (level, points).
    pub placements: Vec<(PlacementLevel, i64)>,
    /// How many photos the item has (served by [`photo`] at positions `0..photos`).
    pub photos: i64,
}

type NewsTuple = (
    i64,
    String,
    String,
    i64,
    String,
    String,
    String,
    NaiveDate,
    Option<i64>,
    Option<i64>,
    Option<DateTime<Utc>>,
    i64,
);

const NEWS_SELECT: &str = "SELECT n.id, n.title, n.body, n.school_union_id, s.name, m.name, n.status, n.submitted_on, n.submitted_by, n.school_approved_by, n.published_at, CAST((SELECT COUNT(*) FROM news_photo ph WHERE ph.news_item_id = n.id) AS BIGINT) FROM news_item n JOIN org_unit s ON s.id = n.school_union_id JOIN correspondent c ON c.id = n.correspondent_id JOIN member m ON m.id = c.member_id WHERE 1 = 1";

fn news_of(r: NewsTuple) -> Result<NewsRow, StoreError> {
    Ok(NewsRow {
        id: NewsItemId(r.0),
        title: r.1,
        body: r.2,
        school_id: OrgUnitId(r.3),
        school: r.4,
        author: r.5,
        status: NewsStatus::from_code(&r.6)
            .ok_or_else(|| StoreError::Other(format!("news status {}", r.6)))?,
        submitted_on: r.7,
        submitted_by: r.8,
        school_approved_by: r.9,
        published_at: r.10,
        placements: Vec::new(),
        photos: r.11,
    })
}

/// Adds their placements to rows (one query).
async fn with_placements(db: &Db, mut rows: Vec<NewsRow>) -> Result<Vec<NewsRow>, StoreError> {
    if rows.is_empty() {
        return Ok(rows);
    }
    let mut q = Sql::new(
        "SELECT p.news_item_id, p.level, p.points FROM news_placement p WHERE p.news_item_id IN (",
    );
    q.bind_list(rows.iter().map(|r| Arg::I64(r.id.0)));
    q.push(") ORDER BY p.id");
    let found: Vec<(i64, String, i64)> = q.fetch_all(db).await?;
    for (item, level, points) in found {
        if let (Some(r), Some(l)) = (
            rows.iter_mut().find(|r| r.id.0 == item),
            PlacementLevel::from_code(&level),
        ) {
            r.placements.push((l, points));
        }
    }
    Ok(rows)
}

/// Filter of the review list.
#[derive(Clone, Debug, Default)]
pub struct NewsFilter {
    pub unit: Option<OrgUnitId>,
    pub year: Option<i32>,
    pub status: Option<NewsStatus>,
    /// Only items with a placement.
    pub placed: bool,
}

/// The items of the schools in scope, newest first (two queries, at most 200 rows).
pub async fn list(
    db: &Db,
    cap: &Cap<perm::NewsReview>,
    f: &NewsFilter,
) -> Result<Vec<NewsRow>, StoreError> {
    let mut q = Sql::new(NEWS_SELECT);
    crate::scope::restrict(&mut q, "n.school_union_id", cap.scope());
    if let Some(u) = f.unit {
        q.push(
            " AND n.school_union_id IN (SELECT descendant_id FROM org_closure WHERE ancestor_id = ",
        )
        .bind(Arg::I64(u.0))
        .push(")");
    }
    if let Some(y) = f.year {
        let (from, to) = year_range(y);
        q.push(" AND n.submitted_on >= ")
            .bind(Arg::Date(from))
            .push(" AND n.submitted_on <= ")
            .bind(Arg::Date(to));
    }
    if let Some(s) = f.status {
        q.push(" AND n.status = ").bind(Arg::Text(s.code().into()));
    }
    if f.placed {
        q.push(" AND EXISTS (SELECT 1 FROM news_placement p WHERE p.news_item_id = n.id)");
    }
    q.push(" ORDER BY n.submitted_on DESC, n.id DESC LIMIT 200");
    let rows: Vec<NewsTuple> = q.fetch_all(db).await?;
    let rows = rows.into_iter().map(news_of).collect::<Result<_, _>>()?;
    with_placements(db, rows).await
}

/// The items the acting correspondent submitted, newest first (two queries).
pub async fn mine(db: &Db, acting: &Acting<perm::NewsSubmit>) -> Result<Vec<NewsRow>, StoreError> {
    let mut q = Sql::new(NEWS_SELECT);
    q.push(" AND c.member_id = ")
        .bind(Arg::I64(acting.member().0));
    crate::scope::restrict(&mut q, "n.school_union_id", acting.cap().scope());
    q.push(" ORDER BY n.submitted_on DESC, n.id DESC LIMIT 200");
    let rows: Vec<NewsTuple> = q.fetch_all(db).await?;
    let rows = rows.into_iter().map(news_of).collect::<Result<_, _>>()?;
    with_placements(db, rows).await
}

/// Whether the acting member is a registered correspondent in scope.
pub async fn is_correspondent(
    db: &Db,
    acting: &Acting<perm::NewsSubmit>,
) -> Result<bool, StoreError> {
    let mut q =
        Sql::new("SELECT CAST(COUNT(*) AS BIGINT) FROM correspondent c WHERE c.member_id = ");
    q.bind(Arg::I64(acting.member().0));
    crate::scope::restrict(&mut q, "c.school_union_id", acting.cap().scope());
    Ok(q.fetch_scalar_i64(db).await? > 0)
}

/// A published item, as the public news page shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicItem {
    pub id: NewsItemId,
    pub title: String,
    pub body: String,
    pub school: String,
    pub published_at: DateTime<Utc>,
    /// How many photos the item has.
    pub photos: i64,
}

/// The newest published items (one query). Public: nothing unpublished is read.
pub async fn published(db: &Db, limit: i64) -> Result<Vec<PublicItem>, StoreError> {
    let mut q = Sql::new(
        "SELECT n.id, n.title, n.body, s.name, n.published_at, CAST((SELECT COUNT(*) FROM news_photo ph WHERE ph.news_item_id = n.id) AS BIGINT) FROM news_item n JOIN org_unit s ON s.id = n.school_union_id WHERE n.status = 'published' AND n.published_at IS NOT NULL ORDER BY n.published_at DESC, n.id DESC LIMIT ",
    );
    q.bind(Arg::I64(limit.clamp(1, 200)));
    let rows: Vec<(i64, String, String, String, DateTime<Utc>, i64)> = q.fetch_all(db).await?;
    Ok(rows
        .into_iter()
        .map(|r| PublicItem {
            id: NewsItemId(r.0),
            title: r.1,
            body: r.2,
            school: r.3,
            published_at: r.4,
            photos: r.5,
        })
        .collect())
}

/// What identifies the set of published items: their count and the newest id (a published
/// item never changes or leaves the set), one query on the `(status, published_at)` index.
pub async fn published_version(db: &Db) -> Result<(i64, i64), StoreError> {
    let rows: Vec<(i64, i64)> = Sql::new(
        "SELECT CAST(COUNT(*) AS BIGINT), CAST(COALESCE(MAX(n.id), 0) AS BIGINT) FROM news_item n WHERE n.status = 'published'",
    )
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().next().unwrap_or((0, 0)))
}

/// Who asks for a photo: anybody (published items only), a reviewer (items of the
/// schools in scope, whatever their step), or the correspondent (their own items).
pub enum PhotoViewer<'a> {
    Public,
    Review(&'a Cap<perm::NewsReview>),
    Author(&'a Acting<perm::NewsSubmit>),
}

/// Photo `position` of an item as (content type, bytes), if this viewer may see it (one
/// query); anything else is [`StoreError::NotFound`].
pub async fn photo(
    db: &Db,
    viewer: PhotoViewer<'_>,
    item: NewsItemId,
    position: i64,
) -> Result<(String, Vec<u8>), StoreError> {
    let mut q = Sql::new(
        "SELECT p.content_type, p.bytes FROM news_photo p JOIN news_item n ON n.id = p.news_item_id JOIN correspondent c ON c.id = n.correspondent_id WHERE p.news_item_id = ",
    );
    q.bind(Arg::I64(item.0))
        .push(" AND p.position = ")
        .bind(Arg::I64(position));
    match viewer {
        PhotoViewer::Public => {
            q.push(" AND n.status = 'published'");
        }
        PhotoViewer::Review(cap) => {
            crate::scope::restrict(&mut q, "n.school_union_id", cap.scope())
        }
        PhotoViewer::Author(acting) => {
            q.push(" AND c.member_id = ")
                .bind(Arg::I64(acting.member().0));
            crate::scope::restrict(&mut q, "n.school_union_id", acting.cap().scope());
        }
    }
    let rows: Vec<(String, Vec<u8>)> = q.fetch_all(db).await?;
    rows.into_iter().next().ok_or(StoreError::NotFound)
}

async fn item_tx(tx: &mut Tx, scope: &Scope, id: NewsItemId) -> Result<NewsRow, StoreError> {
    let mut q = Sql::new(NEWS_SELECT);
    q.push(" AND n.id = ").bind(Arg::I64(id.0));
    crate::scope::restrict(&mut q, "n.school_union_id", scope);
    news_of(q.fetch_one_tx(tx).await?)
}

/// One item in scope.
pub async fn get(
    st: &Store,
    cap: &Cap<perm::NewsReview>,
    id: NewsItemId,
) -> Result<NewsRow, StoreError> {
    let mut tx = st.db.begin().await?;
    let r = item_tx(&mut tx, cap.scope(), id).await?;
    tx.commit().await?;
    let mut v = with_placements(&st.db, vec![r]).await?;
    v.pop().ok_or(StoreError::NotFound)
}

fn same_person(who: &Who, earlier: &[Option<i64>]) -> bool {
    who.account.is_some_and(|a| earlier.contains(&Some(a.0)))
}

/// The next step of an item: the school approves a submitted item; the district (a scope
/// over the school's root union) publishes an approved one. Nobody approves an item they
/// submitted, and the two steps are taken by two different people. Returns the new status.
pub async fn approve(
    st: &Store,
    cap: &Cap<perm::NewsReview>,
    who: &Who,
    id: NewsItemId,
) -> Result<NewsStatus, StoreError> {
    let mut tx = st.db.begin().await?;
    let item = item_tx(&mut tx, cap.scope(), id).await?;
    if same_person(who, &[item.submitted_by, item.school_approved_by]) {
        return Err(invalid(FieldError::new("status", t::OWN_ITEM)));
    }
    let (to, set): (NewsStatus, &'static str) = match item.status {
        NewsStatus::Submitted => (
            NewsStatus::SchoolApproved,
            "UPDATE news_item SET status = 'school_approved', published_at = NULL, school_approved_by = ",
        ),
        NewsStatus::SchoolApproved => {
            let root = root_of(&mut tx, item.school_id).await?;
            unit_in_scope(&mut tx, cap.scope(), root)
                .await
                .map_err(|_| invalid(FieldError::new("status", t::NOT_THE_DISTRICT)))?;
            (
                NewsStatus::Published,
                "UPDATE news_item SET status = 'published', published_at = ",
            )
        }
        _ => return Err(invalid(FieldError::new("status", t::WRONG_STEP))),
    };
    let mut u = Sql::new(set);
    if to == NewsStatus::Published {
        u.bind(Arg::Ts(now())).push(", published_by = ");
    }
    u.bind(Arg::OptI64(who.account.map(|a| a.0)))
        .push(" WHERE id = ")
        .bind(Arg::I64(id.0))
        .push(" AND status = ")
        .bind(Arg::Text(item.status.code().into()));
    if u.execute_tx(&mut tx).await? != 1 {
        return Err(StoreError::Stale);
    }
    let mut ch = Changes::new();
    ch.field("status", Some(&item.status.code()), Some(&to.code()));
    let action = if to == NewsStatus::Published {
        "news_item.publish"
    } else {
        "news_item.school_approve"
    };
    audit_commit(
        tx,
        st,
        who,
        action,
        ("news_item", id.0),
        item.school_id,
        &ch,
    )
    .await?;
    Ok(to)
}

/// Rejects an item not yet published (the school or the district; not its author).
pub async fn reject(
    st: &Store,
    cap: &Cap<perm::NewsReview>,
    who: &Who,
    id: NewsItemId,
) -> Result<(), StoreError> {
    let mut tx = st.db.begin().await?;
    let item = item_tx(&mut tx, cap.scope(), id).await?;
    if same_person(who, &[item.submitted_by]) {
        return Err(invalid(FieldError::new("status", t::OWN_ITEM)));
    }
    if !matches!(
        item.status,
        NewsStatus::Submitted | NewsStatus::SchoolApproved
    ) {
        return Err(invalid(FieldError::new("status", t::WRONG_STEP)));
    }
    let mut u = Sql::new("UPDATE news_item SET status = 'rejected' WHERE id = ");
    u.bind(Arg::I64(id.0))
        .push(" AND status = ")
        .bind(Arg::Text(item.status.code().into()));
    if u.execute_tx(&mut tx).await? != 1 {
        return Err(StoreError::Stale);
    }
    let mut ch = Changes::new();
    ch.field("status", Some(&item.status.code()), Some(&"rejected"));
    audit_commit(
        tx,
        st,
        who,
        "news_item.reject",
        ("news_item", id.0),
        item.school_id,
        &ch,
    )
    .await
}

/// The district records that a published item was carried at `level`; the points come
/// from the news rule set in force and the placement names its version. Refused at
/// `item` when the item is not published, at `level` when that level is already recorded.
pub async fn place(
    st: &Store,
    cap: &Cap<perm::NewsReview>,
    who: &Who,
    id: NewsItemId,
    level: PlacementLevel,
    outlet: &str,
    on: NaiveDate,
) -> Result<(PlacementId, i64), StoreError> {
    let outlet = domain::org::required_text("outlet", outlet, OUTLET_MAX).map_err(invalid)?;
    let mut tx = st.db.begin().await?;
    let item = item_tx(&mut tx, cap.scope(), id).await?;
    let root = root_of(&mut tx, item.school_id).await?;
    unit_in_scope(&mut tx, cap.scope(), root)
        .await
        .map_err(|_| invalid(FieldError::new("level", t::NOT_THE_DISTRICT)))?;
    if item.status != NewsStatus::Published {
        return Err(invalid(FieldError::new("item", t::NOT_PUBLISHED)));
    }
    let (rules, label) = rules_tx(&mut tx, root).await?;
    let points = rules.points(level);
    let pid: i64 = on_tx!(&mut tx, |c| {
        sqlx::query_scalar(
            "INSERT INTO news_placement (news_item_id, level, outlet, placed_on, points, rule_version, recorded_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(id.0)
        .bind(level.code())
        .bind(&outlet)
        .bind(on)
        .bind(points)
        .bind(&label)
        .bind(who.account.map(|a| a.0))
        .bind(now())
        .fetch_one(&mut *c)
        .await
        .map_err(unique_as("level", t::PLACEMENT_TWICE))
    })?;
    let mut ch = Changes::new();
    ch.note("item", id.0)
        .note("level", level.code())
        .note("points", points)
        .note("rule_version", label);
    audit_commit(
        tx,
        st,
        who,
        "news_placement.add",
        ("news_placement", pid),
        item.school_id,
        &ch,
    )
    .await?;
    Ok((PlacementId(pid), points))
}

fn demo<'a>(
    run: &'a crate::area::DemoRun<'a>,
    _summary: &'a mut crate::demo::DemoSummary,
) -> BoxFuture<'a, Result<(), StoreError>> {
    Box::pin(async move { load_demo(run).await })
}

/// Demo titles (seed 004: the correspondents' team reports the schools' union work).
const DEMO_TITLES: &[&str] = &[
    "教代会审议通过学校章程修订稿",
    "工会开展“送温暖”走访慰问活动",
    "青年教师课件制作比赛圆满落幕",
    "教职工趣味运动会激情开赛",
    "女教职工“三八”节健康讲座",
    "工会小组开展读书分享会",
    "退休教师重阳节座谈会",
    "校务公开栏更新学期财务收支",
];

/// One correspondent in each of the first schools; each submits items through the year,
/// the school approves most, the district publishes most of those and places some higher.
async fn load_demo(run: &crate::area::DemoRun<'_>) -> Result<(), StoreError> {
    use chrono::Datelike;
    use domain::auth::{Actor, Grant, Role, system_cap};
    use domain::ids::{AccountId, MemberId};
    let st = run.st;
    let today = run.opts.today;
    let picks: Vec<(i64, i64)> = crate::on_db!(&st.db, |p| {
        sqlx::query_as(
        "SELECT MIN(m.id), m.school_union_id FROM member m WHERE m.status = 'active' GROUP BY m.school_union_id ORDER BY m.school_union_id"
    )
    .fetch_all(p)
    .await
    })?;
    let review = system_cap::<perm::NewsReview>(run.sys, AccountId(0));
    let who = Who::system("demo");
    let new_year = NaiveDate::from_ymd_opt(today.year(), 1, 1).unwrap_or(today);
    let days = (today - new_year).num_days().max(1);
    let mut n = 0usize;
    for (i, (member, school)) in picks.iter().take(12).enumerate() {
        register(st, &review, &who, &member.to_string(), new_year).await?;
        let actor = Actor {
            account: AccountId(0),
            username: "demo".into(),
            display_name: "demo".into(),
            member: Some(MemberId(*member)),
            grants: vec![Grant {
                role: Role::Member,
                org_unit: OrgUnitId(*school),
            }],
        };
        let acting = domain::congress::authorize_self::<perm::NewsSubmit>(&actor)
            .map_err(|_| StoreError::Other("demo actor".into()))?;
        for k in 0..(3 + i % 4) {
            let title = DEMO_TITLES[(i + k) % DEMO_TITLES.len()];
            let d = NewsDraft {
                title: title.to_string(),
                body: format!("{title}。本次活动由学校工会组织，教职工踊跃参与，反响热烈。"),
            };
            let on = new_year + chrono::Duration::days(days * (n as i64 % 37) / 37);
            n += 1;
            let id = submit(st, &acting, &who, &d, on).await?;
            if n.is_multiple_of(7) {
                continue;
            }
            approve(st, &review, &who, id).await?;
            if n.is_multiple_of(5) {
                continue;
            }
            approve(st, &review, &who, id).await?;
            if n.is_multiple_of(3) {
                place(
                    st,
                    &review,
                    &who,
                    id,
                    PlacementLevel::City,
                    "市教育工会网站",
                    on,
                )
                .await?;
            }
            if n.is_multiple_of(9) {
                place(
                    st,
                    &review,
                    &who,
                    id,
                    PlacementLevel::Province,
                    "省教育工会微信公众号",
                    on,
                )
                .await?;
            }
            if n.is_multiple_of(31) {
                place(
                    st,
                    &review,
                    &who,
                    id,
                    PlacementLevel::National,
                    "《中国教工》",
                    on,
                )
                .await?;
            }
        }
    }
    Ok(())
}
