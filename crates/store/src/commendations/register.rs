//! The honours register (荣誉档案): every honour held in the reader's scope, read from where
//! it was decided — an awarded commendation, a prize of a published contest, and a prize
//! the upper level gave to an entry forwarded to it — with its level (the kind of the unit
//! that gave it), searchable by name, honour, year, level and unit, in keyset pages;
//! a member's own honours (the commendations naming the member record); the export of a
//! search, audited like every export of names.
//!
//! Must never: read outside the capability's scope (filtered in SQL on the holder's
//! school, so out of scope looks like no honour); match a search against anything but the
//! name shown and the honour's name (a search must never confirm a masked personal value);
//! keep a copy of an honour (the register is a view: a withdrawn honour leaves it).

use crate::audit::{Event, Who};
use crate::db::{Arg, Sql};
use crate::{Db, Store, StoreError};
use chrono::NaiveDate;
use domain::audit::Changes;
use domain::auth::{Cap, perm};
use domain::commendations::{AwardKind, HonourLevel, RegisterFilter};
use domain::contests::PrizeTier;
use domain::ids::{MemberId, OrgUnitId};
use domain::org::Coded;

/// Rows of one register page.
pub const PAGE: i64 = 50;
/// Rows an export holds at most (a district's honours of many years fit many times over).
pub const EXPORT_MAX: i64 = 20_000;

/// Where an honour was decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HonourSource {
    /// An awarded commendation (the id is the nomination's).
    Commendation,
    /// A prize of a published contest (the id is the entry's).
    Contest,
    /// The upper level's prize of a forwarded entry (the id is the entry's).
    Upper,
}

impl HonourSource {
    fn code(self) -> &'static str {
        match self {
            HonourSource::Commendation => "c",
            HonourSource::Contest => "p",
            HonourSource::Upper => "u",
        }
    }
    fn from_code(s: &str) -> Option<Self> {
        match s {
            "c" => Some(HonourSource::Commendation),
            "p" => Some(HonourSource::Contest),
            "u" => Some(HonourSource::Upper),
            _ => None,
        }
    }
}

/// What distinguishes the honour: the kind of a commendation or the tier of a prize.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HonourDetail {
    Award(AwardKind),
    Prize(PrizeTier),
}

/// One honour.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HonourRow {
    pub source: HonourSource,
    /// The nomination's id or the entry's.
    pub id: i64,
    /// The contest's or the award's id (the page that decided it).
    pub parent: i64,
    pub year: i32,
    pub level: HonourLevel,
    /// The award's or the contest's name.
    pub honour: String,
    pub detail: HonourDetail,
    /// The holder as written: the nominee, or an entry's entrants.
    pub holder: String,
    pub school: OrgUnitId,
    pub school_name: String,
    pub member: Option<MemberId>,
    pub on: Option<NaiveDate>,
    pub certificate: Option<String>,
}

impl HonourRow {
    /// The page that decided the honour.
    pub fn href(&self) -> String {
        match self.source {
            HonourSource::Commendation => format!("/honours/nominations/{}", self.id),
            HonourSource::Contest | HonourSource::Upper => {
                format!("/contests/{}/results", self.parent)
            }
        }
    }
    /// The keyset position after this row (`year.source.id`).
    pub fn key(&self) -> String {
        format!("{}.{}.{}", self.year, self.source.code(), self.id)
    }
}

/// A keyset position read back from a page link; anything else starts at the top.
pub fn parse_key(s: &str) -> Option<(i64, String, i64)> {
    let mut it = s.split('.');
    let y = it.next()?.parse::<i64>().ok()?;
    let src = HonourSource::from_code(it.next()?)?;
    let id = it.next()?.parse::<i64>().ok()?;
    Some((y, src.code().to_string(), id))
}

/// The level of the unit `o` that gave an honour.
const LEVEL: &str = "CASE WHEN o.kind = 'union' THEN COALESCE(o.union_kind, 'district') WHEN o.kind = 'area' THEN 'area' ELSE 'school' END";

/// The honours as one relation `h` (three branches, each one indexed join).
fn relation() -> String {
    format!(
        "SELECT h.src, h.rid, h.parent, h.yr, h.lvl, h.honour, h.detail, h.holder, h.school, h.school_name, h.member_id, h.on_date, h.cert FROM (
         SELECT 'c' AS src, n.id AS rid, a.id AS parent, a.award_year AS yr, {LEVEL} AS lvl, a.name AS honour, a.kind AS detail, n.nominee AS holder,
                n.school_union_id AS school, s.name AS school_name, n.member_id AS member_id, n.awarded_on AS on_date, n.certificate_code AS cert
           FROM commendation_nomination n JOIN commendation_award a ON a.id = n.award_id
           JOIN org_unit o ON o.id = a.organizer_unit_id JOIN org_unit s ON s.id = n.school_union_id
          WHERE n.status = 'awarded'
         UNION ALL
         SELECT 'p', e.id, c.id, c.contest_year, {LEVEL}, c.name, r.tier, e.entrants,
                e.school_union_id, s.name, CAST(NULL AS BIGINT), c.published_on, r.certificate_code
           FROM contest_result r JOIN contest_entry e ON e.id = r.entry_id JOIN contest c ON c.id = r.contest_id
           JOIN org_unit o ON o.id = c.organizer_unit_id JOIN org_unit s ON s.id = e.school_union_id
          WHERE r.tier IS NOT NULL AND c.status = 'published'
         UNION ALL
         SELECT 'u', e.id, c.id, c.contest_year, e.upper_level, e.upper_name, e.upper_tier, e.entrants,
                e.school_union_id, s.name, CAST(NULL AS BIGINT), e.upper_on, CAST(NULL AS TEXT)
           FROM contest_entry e JOIN contest c ON c.id = e.contest_id JOIN org_unit s ON s.id = e.school_union_id
          WHERE e.upper_tier IS NOT NULL
         ) h WHERE 1 = 1"
    )
}

type Tuple = (
    String,
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
    Option<NaiveDate>,
    Option<String>,
);

fn row(r: Tuple) -> Option<HonourRow> {
    let source = HonourSource::from_code(&r.0)?;
    let detail = match source {
        HonourSource::Commendation => HonourDetail::Award(AwardKind::from_code(&r.6)?),
        HonourSource::Contest | HonourSource::Upper => {
            HonourDetail::Prize(PrizeTier::from_code(&r.6)?)
        }
    };
    Some(HonourRow {
        source,
        id: r.1,
        parent: r.2,
        year: r.3 as i32,
        level: HonourLevel::from_code(&r.4)?,
        honour: r.5,
        detail,
        holder: r.7,
        school: OrgUnitId(r.8),
        school_name: r.9,
        member: r.10.map(MemberId),
        on: r.11,
        certificate: r.12,
    })
}

/// Pushes the search: words against the holder and the honour only; year; level; unit.
fn push_filter(q: &mut Sql, f: &RegisterFilter) {
    if !f.words.is_empty() {
        let pat = format!(
            "%{}%",
            crate::org::members::like_escaped(&f.words.replace(' ', ""))
        );
        q.push(" AND (h.holder LIKE ")
            .bind(Arg::Text(pat.clone()))
            .push(" ESCAPE '\\' OR h.honour LIKE ")
            .bind(Arg::Text(pat))
            .push(" ESCAPE '\\')");
    }
    if let Some(y) = f.year {
        q.push(" AND h.yr = ").bind(Arg::I64(i64::from(y)));
    }
    if let Some(l) = f.level {
        q.push(" AND h.lvl = ")
            .bind(Arg::Text(l.code().to_string()));
    }
    if let Some(u) = f.unit {
        q.push(" AND h.school IN (SELECT descendant_id FROM org_closure WHERE ancestor_id = ")
            .bind(Arg::I64(u))
            .push(")");
    }
}

/// Pushes the order and, after a keyset position, the rows below it.
fn push_page(q: &mut Sql, after: Option<&(i64, String, i64)>, limit: i64) {
    if let Some((y, src, id)) = after {
        q.push(" AND (h.yr < ")
            .bind(Arg::I64(*y))
            .push(" OR (h.yr = ")
            .bind(Arg::I64(*y))
            .push(" AND (h.src < ")
            .bind(Arg::Text(src.clone()))
            .push(" OR (h.src = ")
            .bind(Arg::Text(src.clone()))
            .push(" AND h.rid < ")
            .bind(Arg::I64(*id))
            .push("))))");
    }
    q.push(" ORDER BY h.yr DESC, h.src DESC, h.rid DESC LIMIT ")
        .bind(Arg::I64(limit));
}

/// One page of the register in scope (one query): the rows and whether more follow.
pub async fn page(
    db: &Db,
    cap: &Cap<perm::ContestView>,
    f: &RegisterFilter,
    after: Option<&(i64, String, i64)>,
) -> Result<(Vec<HonourRow>, bool), StoreError> {
    let mut q = Sql::new(&relation());
    crate::scope::restrict(&mut q, "h.school", cap.scope());
    push_filter(&mut q, f);
    push_page(&mut q, after, PAGE + 1);
    let rows: Vec<Tuple> = q.fetch_all(db).await?;
    let more = rows.len() as i64 > PAGE;
    Ok((
        rows.into_iter()
            .take(PAGE as usize)
            .filter_map(row)
            .collect(),
        more,
    ))
}

/// Every row of a search in scope (up to [`EXPORT_MAX`]), for the workbook; the export is
/// an audit record with the search and the number of rows, as every export of names is.
pub async fn export(
    st: &Store,
    cap: &Cap<perm::ContestView>,
    who: &Who,
    f: &RegisterFilter,
) -> Result<Vec<HonourRow>, StoreError> {
    let mut q = Sql::new(&relation());
    crate::scope::restrict(&mut q, "h.school", cap.scope());
    push_filter(&mut q, f);
    push_page(&mut q, None, EXPORT_MAX);
    let rows: Vec<Tuple> = q.fetch_all(&st.db).await?;
    let rows: Vec<HonourRow> = rows.into_iter().filter_map(row).collect();
    let mut tx = st.db.begin().await?;
    let mut ch = Changes::new();
    ch.note("rows", rows.len() as i64)
        .note("words", f.words.as_str())
        .note("year", f.year.map(i64::from).unwrap_or_default())
        .note("level", f.level.map(|l| l.code()).unwrap_or_default());
    if let Some(u) = f.unit {
        ch.note("unit", u);
    }
    crate::audit::append(
        &mut tx,
        &st.cipher,
        who,
        Event {
            action: "honours_register.export",
            entity_type: "commendation_nomination",
            entity_id: None,
            org_unit: f
                .unit
                .map(OrgUnitId)
                .or_else(|| cap.scope().roots().and_then(|r| r.first().copied())),
            changes: &ch,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(rows)
}

/// The honours of one member record in scope (the commendations naming it), newest first:
/// one query. The member's school must be in scope.
pub async fn of_member<P: perm::Perm>(
    db: &Db,
    cap: &Cap<P>,
    member: MemberId,
) -> Result<Vec<HonourRow>, StoreError> {
    let mut q = Sql::new(&relation());
    q.push(" AND h.member_id = ").bind(Arg::I64(member.0));
    q.push(" AND EXISTS (SELECT 1 FROM member m WHERE m.id = h.member_id");
    crate::scope::restrict(&mut q, "m.school_union_id", cap.scope());
    q.push(")");
    push_page(&mut q, None, 200);
    let rows: Vec<Tuple> = q.fetch_all(db).await?;
    Ok(rows.into_iter().filter_map(row).collect())
}

/// The signed-in person's own honours (their linked member record), for `/me`.
pub async fn own(db: &Db, actor: &domain::auth::Actor) -> Result<Vec<HonourRow>, StoreError> {
    let Some(m) = actor.member else {
        return Ok(Vec::new());
    };
    let mut q = Sql::new(&relation());
    q.push(" AND h.member_id = ").bind(Arg::I64(m.0));
    push_page(&mut q, None, 200);
    let rows: Vec<Tuple> = q.fetch_all(db).await?;
    Ok(rows.into_iter().filter_map(row).collect())
}
