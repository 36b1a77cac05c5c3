//! Members: list with search, filters, sorting and keyset pagination; the member page;
//! create, edit, transfer, status changes with history; full view of personal data.
//!
//! ID numbers and phones are stored encrypted with three blind indexes (full value, last
//! four of the ID number, last four of the phone) so that a person can be found by them
//! without the database ever holding them in clear.

use super::{ID_NUMBER, PHONE};
use super::{coded, opt_coded, precision};
use crate::audit::{self, Event, Who};
use crate::crypto::Field;
use crate::db::{Arg, Sql, Tx, now};
use crate::{Cipher, Store, StoreError, on_tx};
use chrono::NaiveDate;
use domain::audit::Changes;
use domain::auth::{Cap, perm};
use domain::ids::{MemberId, OrgUnitId};
use domain::org::*;
use domain::privacy::{mask_id_number, mask_phone};
use domain::roster::show_date;

/// Which members a list shows by status.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum StatusFilter {
    /// Active and retired: the union's members.
    #[default]
    Current,
    Only(MemberStatus),
    All,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SortKey {
    #[default]
    Name,
    BirthDate,
    /// Most recently added first (by id).
    Recent,
}

impl SortKey {
    pub fn code(self) -> &'static str {
        match self {
            SortKey::Name => "name",
            SortKey::BirthDate => "birth_date",
            SortKey::Recent => "recent",
        }
    }
    pub fn from_code(s: &str) -> Option<SortKey> {
        match s {
            "name" => Some(SortKey::Name),
            "birth_date" => Some(SortKey::BirthDate),
            "recent" => Some(SortKey::Recent),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct MemberFilter {
    /// Name prefix, last four of an ID number or phone, a whole ID number or phone.
    pub q: Option<String>,
    /// Any org unit: members of the schools under it.
    pub unit: Option<OrgUnitId>,
    pub status: StatusFilter,
    pub post: Option<Post>,
    pub gender: Option<Gender>,
    pub age_band: Option<AgeBand>,
    pub sort: SortKey,
    pub desc: bool,
}

/// Position in a keyset-paginated list: the sort value and id of a boundary row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cursor {
    pub key: String,
    pub id: i64,
}

impl Cursor {
    pub fn encode(&self) -> String {
        format!("{}~{}", hex::encode(self.key.as_bytes()), self.id)
    }
    pub fn decode(s: &str) -> Option<Cursor> {
        let (k, id) = s.split_once('~')?;
        let key = String::from_utf8(hex::decode(k).ok()?).ok()?;
        Some(Cursor {
            key,
            id: id.parse().ok()?,
        })
    }
}

#[derive(Clone, Debug, Default)]
pub struct PageRequest {
    pub after: Option<Cursor>,
    pub before: Option<Cursor>,
    pub limit: i64,
}

/// One line of the member list, with personal data already masked.
#[derive(Clone, Debug)]
pub struct MemberListRow {
    pub id: MemberId,
    pub name: String,
    pub gender: Gender,
    pub birth_date: NaiveDate,
    pub post: Post,
    pub status: MemberStatus,
    pub school_union_id: OrgUnitId,
    pub school_name: String,
    pub branch_name: Option<String>,
    pub id_number_masked: String,
    pub phone_masked: Option<String>,
}

#[derive(Clone, Debug)]
pub struct Page<T> {
    pub rows: Vec<T>,
    pub next: Option<Cursor>,
    pub prev: Option<Cursor>,
    /// Matching rows, counted up to `count_cap`; `None` above it.
    pub total: Option<i64>,
    pub count_cap: i64,
}

/// Counting stops here: "more than 10,000" is all a person needs, and counting a province
/// would cost more than the page itself.
pub const COUNT_CAP: i64 = 10_000;
/// The cap for scopes of many schools.
pub const COUNT_CAP_LARGE: i64 = 1_000;

/// The school unions under a unit (the unit itself if it is one).
async fn schools_under(st: &Store, unit: OrgUnitId) -> Result<Vec<i64>, StoreError> {
    let rows: Vec<(i64,)> = crate::on_db!(&st.db, |p| {
        sqlx::query_as(
        "SELECT u.id FROM org_closure c JOIN org_unit u ON u.id = c.descendant_id WHERE c.ancestor_id = $1 AND u.kind = 'school_union' ORDER BY u.id"
    )
    .bind(unit.0)
    .fetch_all(p)
    .await
    })?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

#[derive(sqlx::FromRow)]
struct ListRow {
    id: i64,
    name: String,
    gender: String,
    birth_date: NaiveDate,
    post: String,
    status: String,
    school_union_id: i64,
    school_name: String,
    branch_name: Option<String>,
    id_number_enc: Vec<u8>,
    phone_enc: Option<Vec<u8>>,
    name_pinyin: String,
}

/// How the search box text is read.
enum Search {
    IdNumber(Vec<u8>),
    /// Whole phone: looked up through the (indexed) last four, then compared in full.
    Phone {
        tail: Vec<u8>,
        full: Vec<u8>,
    },
    Tail {
        id: Vec<u8>,
        phone: Vec<u8>,
    },
    /// Chinese characters: anywhere in the name, so that a given name (思琪) finds 王思琪.
    Name(String),
    /// Latin letters: the name's pinyin or its initials ("wsq", "wangsiqi", "wang si").
    Pinyin(String),
}

fn classify_search(cipher: &Cipher, q: &str) -> Option<Search> {
    let q = q.trim();
    if q.is_empty() {
        return None;
    }
    let upper = q.to_ascii_uppercase();
    if let Ok(id) = IdNumber::parse(&upper) {
        return Some(Search::IdNumber(
            cipher.blind_index(Field::IdNumber, id.as_str()),
        ));
    }
    if let Ok(p) = Phone::parse(q) {
        return Some(Search::Phone {
            tail: cipher.blind_index(Field::PhoneTail, p.tail()),
            full: cipher.blind_index(Field::Phone, p.as_str()),
        });
    }
    let b = upper.as_bytes();
    if b.len() == 4
        && b[..3].iter().all(u8::is_ascii_digit)
        && (b[3].is_ascii_digit() || b[3] == b'X')
    {
        return Some(Search::Tail {
            id: cipher.blind_index(Field::IdTail, &upper),
            phone: cipher.blind_index(Field::PhoneTail, &upper),
        });
    }
    if let Some(l) = domain::pinyin::latin_query(q) {
        return Some(Search::Pinyin(l));
    }
    Some(Search::Name(q.to_string()))
}

/// `text` for a LIKE pattern with `\` as its escape character.
pub(crate) fn like_escaped(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '\\' | '%' | '_') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// What an exact search box text looks for: `"id_number"` or `"phone"` for a whole ID
/// number or phone (a search that confirms one person's full number), `None` otherwise.
/// Such a search needs `PersonalDataView`, is throttled and audited (the web layer asks
/// before listing): a masked number beside a confirming search gives the whole number away.
pub fn exact_search_kind(q: &str) -> Option<&'static str> {
    let q = q.trim();
    if IdNumber::parse(&q.to_ascii_uppercase()).is_ok() {
        Some("id_number")
    } else if Phone::parse(q).is_ok() {
        Some("phone")
    } else {
        None
    }
}

/// Records that an exact ID-number or phone search was run (what kind, by whom; never the
/// number searched for).
pub async fn audit_exact_search(
    st: &Store,
    cap: &Cap<perm::PersonalDataView>,
    who: &Who,
    kind: &str,
) -> Result<(), StoreError> {
    let mut tx = st.db.begin().await?;
    let mut ch = Changes::new();
    ch.note("kind", kind);
    audit::append(
        &mut tx,
        &st.cipher,
        who,
        audit::Event {
            action: "member.exact_search",
            entity_type: "member",
            entity_id: None,
            org_unit: cap.scope().roots().and_then(|r| r.first().copied()),
            changes: &ch,
        },
    )
    .await?;
    tx.commit().await
}

/// The filter's conditions. `unit_schools`, when given, are the school unions under
/// `f.unit`, listed so that the planner walks the school index.
pub(crate) fn filter_sql(
    sql: &mut Sql,
    cipher: &Cipher,
    f: &MemberFilter,
    today: NaiveDate,
    unit_schools: Option<&[i64]>,
) {
    match f.status {
        StatusFilter::Current => {
            sql.push(" AND m.status IN ('active', 'retired')");
        }
        StatusFilter::Only(s) => {
            sql.push(" AND m.status = ")
                .bind(Arg::Text(s.code().into()));
        }
        StatusFilter::All => {}
    }
    match (f.unit, unit_schools) {
        (Some(_), Some([])) => {
            sql.push(" AND 1 = 0");
        }
        (Some(_), Some(list)) => {
            sql.push(" AND m.school_union_id IN (");
            sql.bind_list(list.iter().map(|i| Arg::I64(*i)));
            sql.push(")");
        }
        (Some(u), None) => {
            sql.push(" AND m.school_union_id IN (SELECT descendant_id FROM org_closure WHERE ancestor_id = ")
                .bind(Arg::I64(u.0))
                .push(")");
        }
        (None, _) => {}
    }
    if let Some(p) = f.post {
        sql.push(" AND m.post = ").bind(Arg::Text(p.code().into()));
    }
    if let Some(g) = f.gender {
        sql.push(" AND m.gender = ")
            .bind(Arg::Text(g.code().into()));
    }
    if let Some(b) = f.age_band {
        let (after, on_or_before) = b.birth_range(today);
        if let Some(a) = after {
            sql.push(" AND m.birth_date > ").bind(Arg::Date(a));
        }
        if let Some(o) = on_or_before {
            sql.push(" AND m.birth_date <= ").bind(Arg::Date(o));
        }
    }
    match f.q.as_deref().and_then(|q| classify_search(cipher, q)) {
        None => {}
        Some(Search::IdNumber(idx)) => {
            sql.push(" AND m.id_number_idx = ").bind(Arg::Bytes(idx));
        }
        Some(Search::Phone { tail, full }) => {
            sql.push(" AND m.phone_tail_idx = ")
                .bind(Arg::Bytes(tail))
                .push(" AND m.phone_idx = ")
                .bind(Arg::Bytes(full));
        }
        Some(Search::Tail { id, phone }) => {
            // A set of ids first (about 1 in 10,000 members each), then the page: planners
            // otherwise walk the sort index looking for them.
            sql.push(" AND m.id IN (SELECT t.id FROM member t WHERE t.id_tail_idx = ")
                .bind(Arg::Bytes(id))
                .push(" UNION ALL SELECT t.id FROM member t WHERE t.phone_tail_idx = ")
                .bind(Arg::Bytes(phone))
                .push(")");
        }
        Some(Search::Name(p)) => {
            sql.push(" AND m.name LIKE ")
                .bind(Arg::Text(format!("%{}%", like_escaped(&p))))
                .push(" ESCAPE '\\'");
        }
        Some(Search::Pinyin(p)) => {
            let compact = like_escaped(&p.replace(' ', ""));
            sql.push(" AND (m.name_initials LIKE ")
                .bind(Arg::Text(format!("{compact}%")))
                .push(" ESCAPE '\\' OR m.name_pinyin LIKE ")
                .bind(Arg::Text(format!("{}%", like_escaped(&p))))
                .push(" ESCAPE '\\' OR REPLACE(m.name_pinyin, ' ', '') LIKE ")
                .bind(Arg::Text(format!("{compact}%")))
                .push(" ESCAPE '\\')");
        }
    }
}

/// The member list: one query for the page and one for the (capped) count, whatever the
/// size of the data.
pub async fn list_members(
    st: &Store,
    cap: &Cap<perm::MemberView>,
    f: &MemberFilter,
    page: &PageRequest,
    today: NaiveDate,
) -> Result<Page<MemberListRow>, StoreError> {
    // 2,000 for the print view (web::org::members::PRINT_ROWS), as an export holds.
    let limit = page.limit.clamp(1, 2000);
    let (col, key_arg): (&'static str, fn(&Cursor) -> Option<Arg>) = match f.sort {
        // Names in pinyin order, as offices list them (issue 25).
        SortKey::Name => ("m.name_pinyin", |c| Some(Arg::Text(c.key.clone()))),
        SortKey::BirthDate => ("m.birth_date", |c| {
            NaiveDate::parse_from_str(&c.key, "%Y-%m-%d")
                .ok()
                .map(Arg::Date)
        }),
        SortKey::Recent => ("m.id", |c| Some(Arg::I64(c.id))),
    };
    // Recent sorts newest first by default.
    let desc = if f.sort == SortKey::Recent {
        !f.desc
    } else {
        f.desc
    };
    let backwards = page.before.is_some() && page.after.is_none();
    let scan_desc = desc != backwards;

    let mut sql = Sql::new(
        "SELECT m.id, m.name, m.gender, m.birth_date, m.post, m.status, m.school_union_id, s.name AS school_name, b.name AS branch_name, m.id_number_enc, m.phone_enc, m.name_pinyin
         FROM member m JOIN org_unit s ON s.id = m.school_union_id LEFT JOIN org_unit b ON b.id = m.branch_id WHERE 1 = 1",
    );
    // A school's page goes through the school's index; a province's, through the index of
    // the sort order (see `scope::restrict_exists`).
    let large = crate::scope::is_large(&st.db, cap.scope()).await?;
    let restrict = if large {
        crate::scope::restrict_exists
    } else {
        crate::scope::restrict
    };
    let unit_schools = match f.unit {
        Some(u) => Some(schools_under(st, u).await?),
        None => None,
    };
    let unit_schools = unit_schools.as_deref().filter(|l| l.len() <= 500);
    // A province counts to a thousand: "more than 1,000" is as useful and ten times cheaper.
    let cap_count = if large && unit_schools.is_none() {
        COUNT_CAP_LARGE
    } else {
        COUNT_CAP
    };
    restrict(&mut sql, "m.school_union_id", cap.scope());
    filter_sql(&mut sql, &st.cipher, f, today, unit_schools);
    let mut count_sql = Sql::new("SELECT COUNT(*) FROM (SELECT 1 FROM member m WHERE 1 = 1");
    restrict(&mut count_sql, "m.school_union_id", cap.scope());
    filter_sql(&mut count_sql, &st.cipher, f, today, unit_schools);
    count_sql
        .push(" LIMIT ")
        .bind(Arg::I64(cap_count + 1))
        .push(") t");

    if let Some(c) = page.after.as_ref().or(page.before.as_ref()) {
        let op = if scan_desc { "<" } else { ">" };
        if f.sort == SortKey::Recent {
            sql.push(" AND m.id ")
                .push(op)
                .push(" ")
                .bind(Arg::I64(c.id));
        } else if let Some(k) = key_arg(c) {
            sql.push(" AND (")
                .push(col)
                .push(", m.id) ")
                .push(op)
                .push(" (")
                .bind(k)
                .push(", ")
                .bind(Arg::I64(c.id))
                .push(")");
        }
    }
    let dir = if scan_desc { "DESC" } else { "ASC" };
    if f.sort == SortKey::Recent {
        sql.push(" ORDER BY m.id ").push(dir);
    } else {
        sql.push(" ORDER BY ")
            .push(col)
            .push(" ")
            .push(dir)
            .push(", m.id ")
            .push(dir);
    }
    sql.push(" LIMIT ").bind(Arg::I64(limit + 1));

    let mut rows: Vec<ListRow> = sql.fetch_all(&st.db).await?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    if backwards {
        rows.reverse();
    }
    let total = count_sql.fetch_scalar_i64(&st.db).await?;
    let cursor_of = |r: &ListRow| Cursor {
        key: match f.sort {
            SortKey::Name => r.name_pinyin.clone(),
            SortKey::BirthDate => r.birth_date.format("%Y-%m-%d").to_string(),
            SortKey::Recent => String::new(),
        },
        id: r.id,
    };
    let has_prev = if backwards {
        more
    } else {
        page.after.is_some()
    };
    let has_next = if backwards {
        page.before.is_some()
    } else {
        more
    };
    let next = if has_next {
        rows.last().map(cursor_of)
    } else {
        None
    };
    let prev = if has_prev {
        rows.first().map(cursor_of)
    } else {
        None
    };
    let rows = rows
        .into_iter()
        .map(|r| {
            let id_plain = st.cipher.open_str(ID_NUMBER.at(r.id), &r.id_number_enc)?;
            let phone = r
                .phone_enc
                .as_deref()
                .map(|p| st.cipher.open_str(PHONE.at(r.id), p))
                .transpose()?;
            Ok(MemberListRow {
                id: MemberId(r.id),
                name: r.name,
                gender: coded(&r.gender)?,
                birth_date: r.birth_date,
                post: coded(&r.post)?,
                status: coded(&r.status)?,
                school_union_id: OrgUnitId(r.school_union_id),
                school_name: r.school_name,
                branch_name: r.branch_name,
                id_number_masked: mask_id_number(&id_plain),
                phone_masked: phone.as_deref().map(mask_phone),
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    Ok(Page {
        rows,
        next,
        prev,
        total: (total <= cap_count).then_some(total),
        count_cap: cap_count,
    })
}

/// A member's record as shown on the member page (personal data masked).
#[derive(Clone, Debug)]
pub struct Member {
    pub id: MemberId,
    pub school_union_id: OrgUnitId,
    pub school_name: String,
    pub branch_id: Option<OrgUnitId>,
    pub branch_name: Option<String>,
    pub name: String,
    pub gender: Gender,
    pub birth_date: NaiveDate,
    pub id_number_masked: String,
    pub phone_masked: Option<String>,
    pub post: Post,
    pub title: Option<ProfessionalTitle>,
    pub ethnicity: Option<String>,
    pub political_status: Option<PoliticalStatus>,
    pub education: Option<Education>,
    pub employment_type: Option<EmploymentType>,
    pub join_date: Option<NaiveDate>,
    pub join_date_precision: domain::roster::DatePrecision,
    pub status: MemberStatus,
    pub status_since: NaiveDate,
    pub version: i64,
}

#[derive(sqlx::FromRow)]
struct MemberRow {
    id: i64,
    school_union_id: i64,
    school_name: String,
    branch_id: Option<i64>,
    branch_name: Option<String>,
    name: String,
    gender: String,
    birth_date: NaiveDate,
    id_number_enc: Vec<u8>,
    phone_enc: Option<Vec<u8>>,
    post: String,
    title: Option<String>,
    ethnicity: Option<String>,
    political_status: Option<String>,
    education: Option<String>,
    employment_type: Option<String>,
    join_date: Option<NaiveDate>,
    join_date_precision: String,
    status: String,
    status_since: NaiveDate,
    version: i64,
}

const MEMBER_SELECT: &str = "SELECT m.id, m.school_union_id, s.name AS school_name, m.branch_id, b.name AS branch_name, m.name, m.gender, m.birth_date, m.id_number_enc, m.phone_enc, m.post, m.title, m.ethnicity, m.political_status, m.education, m.employment_type, m.join_date, m.join_date_precision, m.status, m.status_since, m.version
     FROM member m JOIN org_unit s ON s.id = m.school_union_id LEFT JOIN org_unit b ON b.id = m.branch_id";

impl MemberRow {
    fn into_member(self, cipher: &Cipher) -> Result<(Member, String, Option<String>), StoreError> {
        let id_plain = cipher.open_str(ID_NUMBER.at(self.id), &self.id_number_enc)?;
        let phone = self
            .phone_enc
            .as_deref()
            .map(|p| cipher.open_str(PHONE.at(self.id), p))
            .transpose()?;
        let m = Member {
            id: MemberId(self.id),
            school_union_id: OrgUnitId(self.school_union_id),
            school_name: self.school_name,
            branch_id: self.branch_id.map(OrgUnitId),
            branch_name: self.branch_name,
            name: self.name,
            gender: coded(&self.gender)?,
            birth_date: self.birth_date,
            id_number_masked: mask_id_number(&id_plain),
            phone_masked: phone.as_deref().map(mask_phone),
            post: coded(&self.post)?,
            title: opt_coded(self.title.as_deref())?,
            ethnicity: self.ethnicity,
            political_status: opt_coded(self.political_status.as_deref())?,
            education: opt_coded(self.education.as_deref())?,
            employment_type: opt_coded(self.employment_type.as_deref())?,
            join_date: self.join_date,
            join_date_precision: precision(&self.join_date_precision)?,
            status: coded(&self.status)?,
            status_since: self.status_since,
            version: self.version,
        };
        Ok((m, id_plain, phone))
    }
}

async fn fetch_member<P: perm::Perm>(
    st: &Store,
    cap: &Cap<P>,
    id: MemberId,
) -> Result<(Member, String, Option<String>), StoreError> {
    let mut sql = Sql::new(MEMBER_SELECT);
    sql.push(" WHERE m.id = ").bind(Arg::I64(id.0));
    crate::scope::restrict(&mut sql, "m.school_union_id", cap.scope());
    let row: MemberRow = sql.fetch_one(&st.db).await?;
    row.into_member(&st.cipher)
}

async fn tx_fetch_member(
    tx: &mut Tx,
    cipher: &Cipher,
    scope: &domain::auth::Scope,
    id: MemberId,
) -> Result<(Member, String, Option<String>), StoreError> {
    let mut sql = Sql::new(MEMBER_SELECT);
    sql.push(" WHERE m.id = ").bind(Arg::I64(id.0));
    crate::scope::restrict(&mut sql, "m.school_union_id", scope);
    let row: MemberRow = sql.fetch_one_tx(tx).await?;
    row.into_member(cipher)
}

/// One member, if in scope, with personal data masked.
pub async fn get_member(
    st: &Store,
    cap: &Cap<perm::MemberView>,
    id: MemberId,
) -> Result<Member, StoreError> {
    Ok(fetch_member(st, cap, id).await?.0)
}

/// Personal data in full.
#[derive(Clone, Debug)]
pub struct PersonalData {
    pub id_number: String,
    pub phone: Option<String>,
}

/// The unmasked ID number and phone. Each full view is itself an audit record.
pub async fn reveal_personal(
    st: &Store,
    cap: &Cap<perm::PersonalDataView>,
    who: &Who,
    id: MemberId,
) -> Result<PersonalData, StoreError> {
    let (m, id_number, phone) = fetch_member(st, cap, id).await?;
    let mut tx = st.db.begin().await?;
    let mut ch = Changes::new();
    ch.note("fields", "id_number, phone");
    audit::append(
        &mut tx,
        &st.cipher,
        who,
        Event {
            action: "member.personal_data_view",
            entity_type: "member",
            entity_id: Some(id.0),
            org_unit: Some(m.school_union_id),
            changes: &ch,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(PersonalData { id_number, phone })
}

/// The blind indexes a draft writes (its ciphertexts are made with the row's id, when it
/// is known: [`sealed`]).
pub(crate) struct Encoded {
    pub id_number_idx: Vec<u8>,
    pub id_tail_idx: Vec<u8>,
    pub phone_idx: Option<Vec<u8>>,
    pub phone_tail_idx: Option<Vec<u8>>,
}

pub(crate) fn encode(cipher: &Cipher, d: &MemberDraft) -> Encoded {
    Encoded {
        id_number_idx: cipher.blind_index(Field::IdNumber, d.id_number.as_str()),
        id_tail_idx: cipher.blind_index(Field::IdTail, d.id_number.tail()),
        phone_idx: d
            .phone
            .as_ref()
            .map(|p| cipher.blind_index(Field::Phone, p.as_str())),
        phone_tail_idx: d
            .phone
            .as_ref()
            .map(|p| cipher.blind_index(Field::PhoneTail, p.tail())),
    }
}

/// The ID number and phone of member `id`, encrypted and bound to that row.
pub(crate) fn sealed(cipher: &Cipher, id: i64, d: &MemberDraft) -> (Vec<u8>, Option<Vec<u8>>) {
    (
        cipher.seal_str(ID_NUMBER.at(id), d.id_number.as_str()),
        d.phone
            .as_ref()
            .map(|p| cipher.seal_str(PHONE.at(id), p.as_str())),
    )
}

/// The member id that holds this ID number, in any school (for duplicate checks).
pub(crate) async fn tx_member_by_id_number(
    tx: &mut Tx,
    cipher: &Cipher,
    id: &IdNumber,
) -> Result<Option<(MemberId, OrgUnitId)>, StoreError> {
    let idx = cipher.blind_index(Field::IdNumber, id.as_str());
    let row: Option<(i64, i64)> = on_tx!(tx, |c| sqlx::query_as(
        "SELECT id, school_union_id FROM member WHERE id_number_idx = $1"
    )
    .bind(&idx)
    .fetch_optional(&mut *c)
    .await)?;
    Ok(row.map(|(m, s)| (MemberId(m), OrgUnitId(s))))
}

/// Checks that `branch` is a branch of `school`.
async fn check_branch(
    tx: &mut Tx,
    school: OrgUnitId,
    branch: Option<OrgUnitId>,
) -> Result<(), StoreError> {
    if let Some(b) = branch {
        let ok: Option<i64> = on_tx!(tx, |c| sqlx::query_scalar(
            "SELECT id FROM org_unit WHERE id = $1 AND parent_id = $2 AND kind = 'branch'"
        )
        .bind(b.0)
        .bind(school.0)
        .fetch_optional(&mut *c)
        .await)?;
        if ok.is_none() {
            return Err(StoreError::field("branch", domain::text::BRANCH_UNKNOWN));
        }
    }
    Ok(())
}

/// Checks that `school` is a school union inside `scope`.
async fn check_school(
    tx: &mut Tx,
    scope: &domain::auth::Scope,
    school: OrgUnitId,
) -> Result<(), StoreError> {
    let unit = super::units::tx_unit(tx, school)
        .await
        .map_err(|_| StoreError::field("school", domain::text::SCHOOL_UNKNOWN))?;
    if unit.kind != OrgKind::SchoolUnion {
        return Err(StoreError::field("school", domain::text::SCHOOL_UNKNOWN));
    }
    if !super::units::tx_in_scope(tx, scope, school).await? {
        return Err(StoreError::field(
            "school",
            domain::text::SCHOOL_OUT_OF_SCOPE,
        ));
    }
    Ok(())
}

pub(crate) fn draft_changes(
    before: Option<(&Member, &str, Option<&str>)>,
    d: &MemberDraft,
    branch: Option<OrgUnitId>,
) -> Changes {
    let mut ch = Changes::new();
    let b = before.map(|x| x.0);
    ch.field("name", b.map(|m| &m.name), Some(&d.name))
        .field(
            "gender",
            b.map(|m| m.gender.code()).as_ref(),
            Some(&d.gender.code()),
        )
        .field(
            "birth_date",
            b.map(|m| m.birth_date).as_ref(),
            Some(&d.birth_date),
        )
        .field(
            "branch_id",
            b.and_then(|m| m.branch_id).map(|x| x.0).as_ref(),
            branch.map(|x| x.0).as_ref(),
        )
        .field(
            "post",
            b.map(|m| m.post.code()).as_ref(),
            Some(&d.post.code()),
        )
        .field(
            "title",
            b.and_then(|m| m.title).map(|x| x.code()).as_ref(),
            d.title.map(|x| x.code()).as_ref(),
        )
        .field(
            "ethnicity",
            b.and_then(|m| m.ethnicity.as_ref()),
            d.ethnicity.as_ref(),
        )
        .field(
            "political_status",
            b.and_then(|m| m.political_status)
                .map(|x| x.code())
                .as_ref(),
            d.political_status.map(|x| x.code()).as_ref(),
        )
        .field(
            "education",
            b.and_then(|m| m.education).map(|x| x.code()).as_ref(),
            d.education.map(|x| x.code()).as_ref(),
        )
        .field(
            "employment_type",
            b.and_then(|m| m.employment_type).map(|x| x.code()).as_ref(),
            d.employment_type.map(|x| x.code()).as_ref(),
        )
        .field(
            "join_date",
            b.and_then(|m| m.join_date.map(|j| show_date(j, m.join_date_precision)))
                .as_ref(),
            d.join_date
                .map(|j| show_date(j, d.join_date_precision))
                .as_ref(),
        )
        .field(
            "status",
            b.map(|m| m.status.code()).as_ref(),
            Some(&d.status.code()),
        );
    match before {
        None => {
            ch.personal("id_number", true)
                .personal("phone", d.phone.is_some());
        }
        Some((_, id, phone)) => {
            ch.personal("id_number", id != d.id_number.as_str())
                .personal("phone", phone != d.phone.as_ref().map(|p| p.as_str()));
        }
    }
    ch
}

/// Creates a member in a school union in scope.
pub async fn create_member(
    st: &Store,
    cap: &Cap<perm::MemberEdit>,
    who: &Who,
    school: OrgUnitId,
    branch: Option<OrgUnitId>,
    d: &MemberDraft,
    today: NaiveDate,
) -> Result<MemberId, StoreError> {
    let mut tx = st.db.begin().await?;
    check_school(&mut tx, cap.scope(), school).await?;
    check_branch(&mut tx, school, branch).await?;
    if tx_member_by_id_number(&mut tx, &st.cipher, &d.id_number)
        .await?
        .is_some()
    {
        return Err(StoreError::field("id_number", domain::text::ID_EXISTS));
    }
    let id = insert_member(&mut tx, &st.cipher, school, branch, d, today).await?;
    let ch = draft_changes(None, d, branch);
    audit::append(
        &mut tx,
        &st.cipher,
        who,
        Event {
            action: "member.create",
            entity_type: "member",
            entity_id: Some(id.0),
            org_unit: Some(school),
            changes: &ch,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// A member row to insert: the draft with its encrypted columns and where it belongs.
pub(crate) struct NewMemberRow<'a> {
    pub school: OrgUnitId,
    pub branch: Option<OrgUnitId>,
    pub draft: &'a MemberDraft,
    pub enc: &'a Encoded,
    /// Since when the member has their status.
    pub since: NaiveDate,
}

/// Since when a new member has their status, when nothing else is known: an active member
/// since joining, anyone else since today.
pub(crate) fn default_since(d: &MemberDraft, today: NaiveDate) -> NaiveDate {
    if d.status == MemberStatus::Active {
        d.join_date.unwrap_or(today)
    } else {
        today
    }
}

/// Inserts members in multi-row statements (no audit record) and returns the id and ID
/// number index of each. Their first status is their history until it first changes (see
/// [`ensure_initial_history`]), which saves a row per member on imports.
pub(crate) async fn insert_members(
    tx: &mut Tx,
    cipher: &Cipher,
    rows: &[NewMemberRow<'_>],
) -> Result<Vec<(i64, Vec<u8>)>, StoreError> {
    let t = now();
    let mut out = Vec::with_capacity(rows.len());
    // 27 values a row: 400 rows stay under both engines' parameter limits.
    for part in rows.chunks(400) {
        // The ids first: each row's ID number and phone are bound to its id.
        let ids = crate::db::reserve_ids(tx, "member", part.len() as i64).await?;
        let mut sql = Sql::new(
            "INSERT INTO member (id, school_union_id, branch_id, name, gender, birth_date, id_number_enc, id_number_idx, id_tail_idx, phone_enc, phone_idx, phone_tail_idx, post, title, ethnicity, political_status, education, employment_type, join_date, status, status_since, version, created_at, updated_at, join_date_precision, name_pinyin, name_initials) VALUES ",
        );
        for (i, (r, id)) in part.iter().zip(ids).enumerate() {
            let (d, e) = (r.draft, r.enc);
            let (id_number_enc, phone_enc) = sealed(cipher, id, d);
            let keys = domain::pinyin::name_keys(&d.name);
            if i > 0 {
                sql.push(", ");
            }
            sql.push("(");
            sql.bind_list([
                Arg::I64(id),
                Arg::I64(r.school.0),
                Arg::OptI64(r.branch.map(|b| b.0)),
                Arg::Text(d.name.clone()),
                Arg::Text(d.gender.code().into()),
                Arg::Date(d.birth_date),
                Arg::Bytes(id_number_enc),
                Arg::Bytes(e.id_number_idx.clone()),
                Arg::Bytes(e.id_tail_idx.clone()),
                Arg::OptBytes(phone_enc),
                Arg::OptBytes(e.phone_idx.clone()),
                Arg::OptBytes(e.phone_tail_idx.clone()),
                Arg::Text(d.post.code().into()),
                Arg::OptText(d.title.map(|x| x.code().into())),
                Arg::OptText(d.ethnicity.clone()),
                Arg::OptText(d.political_status.map(|x| x.code().into())),
                Arg::OptText(d.education.map(|x| x.code().into())),
                Arg::OptText(d.employment_type.map(|x| x.code().into())),
                Arg::OptDate(d.join_date),
                Arg::Text(d.status.code().into()),
                Arg::Date(r.since),
                Arg::I64(1),
                Arg::Ts(t),
                Arg::Ts(t),
                Arg::Text(d.join_date_precision.code().into()),
                Arg::Text(keys.sort),
                Arg::Text(keys.initials),
            ]);
            sql.push(")");
        }
        sql.push(" RETURNING id, id_number_idx");
        let ids: Vec<(i64, Vec<u8>)> = match sql.fetch_all_tx(tx).await {
            Ok(ids) => ids,
            Err(StoreError::Sqlx(e)) => {
                return Err(crate::db::unique_as("id_number", domain::text::ID_EXISTS)(
                    e,
                ));
            }
            Err(e) => return Err(e),
        };
        out.extend(ids);
    }
    Ok(out)
}

/// Inserts one member (no audit record).
pub(crate) async fn insert_member(
    tx: &mut Tx,
    cipher: &Cipher,
    school: OrgUnitId,
    branch: Option<OrgUnitId>,
    d: &MemberDraft,
    today: NaiveDate,
) -> Result<MemberId, StoreError> {
    let enc = encode(cipher, d);
    let row = NewMemberRow {
        school,
        branch,
        draft: d,
        enc: &enc,
        since: default_since(d, today),
    };
    let ids = insert_members(tx, cipher, std::slice::from_ref(&row)).await?;
    ids.first()
        .map(|(id, _)| MemberId(*id))
        .ok_or_else(|| StoreError::Other("insert returned no row".into()))
}

/// Writes the member's current status as its first history entry, if it has none yet.
/// Call before changing the status.
pub(crate) async fn ensure_initial_history(tx: &mut Tx, id: MemberId) -> Result<(), StoreError> {
    on_tx!(tx, |c| {
        sqlx::query(
        "INSERT INTO member_status_history (member_id, status, since, note, recorded_at, recorded_by)
         SELECT id, status, status_since, NULL, created_at, NULL FROM member m
         WHERE m.id = $1 AND NOT EXISTS (SELECT 1 FROM member_status_history h WHERE h.member_id = $1)"
    )
    .bind(id.0)
    .execute(&mut *c)
    .await
    .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// Saves an edited member. `version` is the one the form was built from: if someone else
/// saved in between, nothing is written and [`StoreError::Stale`] is returned. Status is
/// not changed here (see [`change_status`]), nor the school (see [`transfer_member`]).
#[allow(clippy::too_many_arguments)]
pub async fn update_member(
    st: &Store,
    cap: &Cap<perm::MemberEdit>,
    who: &Who,
    id: MemberId,
    version: i64,
    branch: Option<OrgUnitId>,
    d: &MemberDraft,
) -> Result<(), StoreError> {
    let mut tx = st.db.begin().await?;
    let (before, id_plain, phone_plain) =
        tx_fetch_member(&mut tx, &st.cipher, cap.scope(), id).await?;
    if before.version != version {
        return Err(StoreError::Stale);
    }
    check_branch(&mut tx, before.school_union_id, branch).await?;
    if id_plain != d.id_number.as_str()
        && let Some((other, _)) = tx_member_by_id_number(&mut tx, &st.cipher, &d.id_number).await?
        && other != id
    {
        return Err(StoreError::field("id_number", domain::text::ID_EXISTS));
    }
    let mut d = d.clone();
    d.status = before.status;
    let ch = draft_changes(
        Some((&before, &id_plain, phone_plain.as_deref())),
        &d,
        branch,
    );
    if ch.is_empty() {
        return Ok(());
    }
    write_update(&mut tx, &st.cipher, id, branch, &d).await?;
    audit::append(
        &mut tx,
        &st.cipher,
        who,
        Event {
            action: "member.update",
            entity_type: "member",
            entity_id: Some(id.0),
            org_unit: Some(before.school_union_id),
            changes: &ch,
        },
    )
    .await?;
    tx.commit().await
}

pub(crate) async fn write_update(
    tx: &mut Tx,
    cipher: &Cipher,
    id: MemberId,
    branch: Option<OrgUnitId>,
    d: &MemberDraft,
) -> Result<(), StoreError> {
    let e = encode(cipher, d);
    let (id_number_enc, phone_enc) = sealed(cipher, id.0, d);
    let keys = domain::pinyin::name_keys(&d.name);
    on_tx!(tx, |c| sqlx::query(
        "UPDATE member SET branch_id = $1, name = $2, gender = $3, birth_date = $4, id_number_enc = $5, id_number_idx = $6, id_tail_idx = $7, phone_enc = $8, phone_idx = $9, phone_tail_idx = $10, post = $11, title = $12, ethnicity = $13, political_status = $14, education = $15, employment_type = $16, join_date = $17, version = version + 1, updated_at = $18, join_date_precision = $20, phone_changed_at = CASE WHEN phone_idx = $9 THEN phone_changed_at ELSE $18 END, name_pinyin = $21, name_initials = $22 WHERE id = $19"
    )
    .bind(branch.map(|b| b.0))
    .bind(&d.name)
    .bind(d.gender.code())
    .bind(d.birth_date)
    .bind(&id_number_enc)
    .bind(&e.id_number_idx)
    .bind(&e.id_tail_idx)
    .bind(&phone_enc)
    .bind(&e.phone_idx)
    .bind(&e.phone_tail_idx)
    .bind(d.post.code())
    .bind(d.title.map(|x| x.code()))
    .bind(&d.ethnicity)
    .bind(d.political_status.map(|x| x.code()))
    .bind(d.education.map(|x| x.code()))
    .bind(d.employment_type.map(|x| x.code()))
    .bind(d.join_date)
    .bind(now())
    .bind(id.0)
    .bind(d.join_date_precision.code())
    .bind(&keys.sort)
    .bind(&keys.initials)
    .execute(&mut *c)
    .await.map(|r| r.rows_affected()))
    .map_err(crate::db::unique_as("id_number", domain::text::ID_EXISTS))?;
    Ok(())
}

/// Moves an active member to another school union. Both schools must be in the scope of
/// the capability (a district officer's work); the history keeps the move.
#[allow(clippy::too_many_arguments)]
pub async fn transfer_member(
    st: &Store,
    cap: &Cap<perm::MemberEdit>,
    who: &Who,
    id: MemberId,
    to_school: OrgUnitId,
    to_branch: Option<OrgUnitId>,
    date: NaiveDate,
    note: Option<String>,
) -> Result<(), StoreError> {
    let mut tx = st.db.begin().await?;
    let (m, _, _) = tx_fetch_member(&mut tx, &st.cipher, cap.scope(), id).await?;
    if m.status != MemberStatus::Active {
        return Err(StoreError::State("only active members can be transferred"));
    }
    if m.school_union_id == to_school {
        return Err(StoreError::field("school", domain::text::SAME_SCHOOL));
    }
    check_school(&mut tx, cap.scope(), to_school).await?;
    check_branch(&mut tx, to_school, to_branch).await?;
    let t = now();
    on_tx!(&mut tx, |c| {
        sqlx::query(
        "UPDATE member SET school_union_id = $1, branch_id = $2, version = version + 1, updated_at = $3 WHERE id = $4"
    )
    .bind(to_school.0)
    .bind(to_branch.map(|b| b.0))
    .bind(t)
    .bind(id.0)
    .execute(&mut *c)
    .await.map(|r| r.rows_affected())
    })?;
    on_tx!(&mut tx, |c| {
        sqlx::query(
        "INSERT INTO member_transfer (member_id, from_school_id, to_school_id, transfer_date, note, recorded_at, recorded_by) VALUES ($1, $2, $3, $4, $5, $6, $7)"
    )
    .bind(id.0)
    .bind(m.school_union_id.0)
    .bind(to_school.0)
    .bind(date)
    .bind(&note)
    .bind(t)
    .bind(who.account.map(|a| a.0))
    .execute(&mut *c)
    .await.map(|r| r.rows_affected())
    })?;
    let mut ch = Changes::new();
    ch.field(
        "school_union_id",
        Some(&m.school_union_id.0),
        Some(&to_school.0),
    )
    .field(
        "branch_id",
        m.branch_id.map(|b| b.0).as_ref(),
        to_branch.map(|b| b.0).as_ref(),
    )
    .field("transfer_date", None, Some(&date));
    audit::append(
        &mut tx,
        &st.cipher,
        who,
        Event {
            action: "member.transfer",
            entity_type: "member",
            entity_id: Some(id.0),
            org_unit: Some(to_school),
            changes: &ch,
        },
    )
    .await?;
    tx.commit().await
}

/// Changes a member's status (retire, transferred out, left, back to active) with history.
pub async fn change_status(
    st: &Store,
    cap: &Cap<perm::MemberEdit>,
    who: &Who,
    id: MemberId,
    status: MemberStatus,
    since: NaiveDate,
    note: Option<String>,
) -> Result<(), StoreError> {
    let mut tx = st.db.begin().await?;
    let (m, _, _) = tx_fetch_member(&mut tx, &st.cipher, cap.scope(), id).await?;
    if m.status == status {
        return Err(StoreError::field("status", domain::text::STATUS_TRANSITION));
    }
    ensure_initial_history(&mut tx, id).await?;
    let t = now();
    on_tx!(&mut tx, |c| {
        sqlx::query(
        "UPDATE member SET status = $1, status_since = $2, version = version + 1, updated_at = $3 WHERE id = $4"
    )
    .bind(status.code())
    .bind(since)
    .bind(t)
    .bind(id.0)
    .execute(&mut *c)
    .await.map(|r| r.rows_affected())
    })?;
    on_tx!(&mut tx, |c| {
        sqlx::query(
        "INSERT INTO member_status_history (member_id, status, since, note, recorded_at, recorded_by) VALUES ($1, $2, $3, $4, $5, $6)"
    )
    .bind(id.0)
    .bind(status.code())
    .bind(since)
    .bind(&note)
    .bind(t)
    .bind(who.account.map(|a| a.0))
    .execute(&mut *c)
    .await.map(|r| r.rows_affected())
    })?;
    let mut ch = Changes::new();
    ch.field("status", Some(&m.status.code()), Some(&status.code()))
        .field("since", None, Some(&since));
    audit::append(
        &mut tx,
        &st.cipher,
        who,
        Event {
            action: "member.status",
            entity_type: "member",
            entity_id: Some(id.0),
            org_unit: Some(m.school_union_id),
            changes: &ch,
        },
    )
    .await?;
    tx.commit().await
}

/// One event of a member's history.
#[derive(Clone, Debug, PartialEq)]
pub enum HistoryEvent {
    Status {
        status: MemberStatus,
        since: NaiveDate,
        note: Option<String>,
    },
    Transfer {
        from_school: String,
        to_school: String,
        date: NaiveDate,
        note: Option<String>,
    },
}

impl HistoryEvent {
    pub fn date(&self) -> NaiveDate {
        match self {
            HistoryEvent::Status { since, .. } => *since,
            HistoryEvent::Transfer { date, .. } => *date,
        }
    }
}

/// Status changes and transfers, in the order they were recorded.
pub async fn history(
    st: &Store,
    cap: &Cap<perm::MemberView>,
    id: MemberId,
) -> Result<Vec<HistoryEvent>, StoreError> {
    // The scope check: the member must be visible.
    let _ = fetch_member(st, cap, id).await?;
    let statuses: Vec<(
        String,
        NaiveDate,
        Option<String>,
        chrono::DateTime<chrono::Utc>,
    )> = crate::on_db!(&st.db, |p| {
        sqlx::query_as(
        "SELECT status, since, note, recorded_at FROM member_status_history WHERE member_id = $1 ORDER BY id"
    )
    .bind(id.0)
    .fetch_all(p)
    .await
    })?;
    let transfers: Vec<(
        String,
        String,
        NaiveDate,
        Option<String>,
        chrono::DateTime<chrono::Utc>,
    )> = crate::on_db!(&st.db, |p| sqlx::query_as(
        "SELECT f.name, t.name, x.transfer_date, x.note, x.recorded_at FROM member_transfer x
         JOIN org_unit f ON f.id = x.from_school_id JOIN org_unit t ON t.id = x.to_school_id
         WHERE x.member_id = $1 ORDER BY x.id"
    )
    .bind(id.0)
    .fetch_all(p)
    .await)?;
    let statuses = if statuses.is_empty() {
        // Never changed: the first status is the current one.
        let row: Option<(String, NaiveDate, chrono::DateTime<chrono::Utc>)> = crate::on_db!(
            &st.db,
            |p| sqlx::query_as("SELECT status, status_since, created_at FROM member WHERE id = $1")
                .bind(id.0)
                .fetch_optional(p)
                .await
        )?;
        row.into_iter()
            .map(|(s, since, at)| (s, since, None, at))
            .collect()
    } else {
        statuses
    };
    // In the order things were recorded: dates may be back-dated.
    let mut out: Vec<(chrono::DateTime<chrono::Utc>, usize, HistoryEvent)> = Vec::new();
    for (s, since, note, at) in statuses {
        out.push((
            at,
            out.len(),
            HistoryEvent::Status {
                status: coded(&s)?,
                since,
                note,
            },
        ));
    }
    for (from_school, to_school, date, note, at) in transfers {
        out.push((
            at,
            out.len(),
            HistoryEvent::Transfer {
                from_school,
                to_school,
                date,
                note,
            },
        ));
    }
    out.sort_by_key(|(at, i, _)| (*at, *i));
    Ok(out.into_iter().map(|(_, _, e)| e).collect())
}

/// A cadre position held by a member.
#[derive(Clone, Debug)]
pub struct Cadre {
    pub id: i64,
    pub org_unit_id: OrgUnitId,
    pub org_unit_name: String,
    pub position: CadrePosition,
    pub start_date: NaiveDate,
    pub end_date: Option<NaiveDate>,
}

pub async fn cadre_positions(
    st: &Store,
    cap: &Cap<perm::MemberView>,
    id: MemberId,
) -> Result<Vec<Cadre>, StoreError> {
    let _ = fetch_member(st, cap, id).await?;
    let rows: Vec<(i64, i64, String, String, NaiveDate, Option<NaiveDate>)> = crate::on_db!(
        &st.db,
        |p| {
            sqlx::query_as(
        "SELECT c.id, c.org_unit_id, u.name, c.position, c.start_date, c.end_date FROM cadre c JOIN org_unit u ON u.id = c.org_unit_id
         WHERE c.member_id = $1 ORDER BY c.start_date, c.id"
    )
    .bind(id.0)
    .fetch_all(p)
    .await
        }
    )?;
    rows.into_iter()
        .map(|(id, unit, name, pos, start, end)| {
            Ok(Cadre {
                id,
                org_unit_id: OrgUnitId(unit),
                org_unit_name: name,
                position: coded(&pos)?,
                start_date: start,
                end_date: end,
            })
        })
        .collect()
}

/// Records a cadre position of a member in a union in scope.
pub async fn add_cadre_position(
    st: &Store,
    cap: &Cap<perm::MemberEdit>,
    who: &Who,
    member: MemberId,
    unit: OrgUnitId,
    position: CadrePosition,
    start: NaiveDate,
) -> Result<(), StoreError> {
    let mut tx = st.db.begin().await?;
    let (m, _, _) = tx_fetch_member(&mut tx, &st.cipher, cap.scope(), member).await?;
    if !super::units::tx_in_scope(&mut tx, cap.scope(), unit).await? {
        return Err(StoreError::NotFound);
    }
    let id: i64 = on_tx!(&mut tx, |c| {
        sqlx::query_scalar(
        "INSERT INTO cadre (member_id, org_unit_id, position, start_date, end_date, created_at) VALUES ($1, $2, $3, $4, NULL, $5) RETURNING id"
    )
    .bind(member.0)
    .bind(unit.0)
    .bind(position.code())
    .bind(start)
    .bind(now())
    .fetch_one(&mut *c)
    .await
    })?;
    let mut ch = Changes::new();
    ch.field("member_id", None, Some(&member.0))
        .field("position", None, Some(&position.code()))
        .field("start_date", None, Some(&start));
    audit::append(
        &mut tx,
        &st.cipher,
        who,
        Event {
            action: "cadre.create",
            entity_type: "cadre",
            entity_id: Some(id),
            org_unit: Some(m.school_union_id),
            changes: &ch,
        },
    )
    .await?;
    tx.commit().await
}

/// Ends a cadre position.
pub async fn end_cadre_position(
    st: &Store,
    cap: &Cap<perm::MemberEdit>,
    who: &Who,
    member: MemberId,
    cadre_id: i64,
    end: NaiveDate,
) -> Result<(), StoreError> {
    let mut tx = st.db.begin().await?;
    let (m, _, _) = tx_fetch_member(&mut tx, &st.cipher, cap.scope(), member).await?;
    let n = on_tx!(&mut tx, |c| sqlx::query(
        "UPDATE cadre SET end_date = $1 WHERE id = $2 AND member_id = $3 AND end_date IS NULL"
    )
    .bind(end)
    .bind(cadre_id)
    .bind(member.0)
    .execute(&mut *c)
    .await
    .map(|r| r.rows_affected()))?;
    if n == 0 {
        return Err(StoreError::NotFound);
    }
    let mut ch = Changes::new();
    ch.field("end_date", None, Some(&end));
    audit::append(
        &mut tx,
        &st.cipher,
        who,
        Event {
            action: "cadre.end",
            entity_type: "cadre",
            entity_id: Some(cadre_id),
            org_unit: Some(m.school_union_id),
            changes: &ch,
        },
    )
    .await?;
    tx.commit().await
}

/// The member record of the logged-in person themself (a member always sees their own
/// record; the session's actor is the proof).
pub async fn own_member(st: &Store, actor: &domain::auth::Actor) -> Result<Member, StoreError> {
    let id = actor.member.ok_or(StoreError::NotFound)?;
    let mut sql = Sql::new(MEMBER_SELECT);
    sql.push(" WHERE m.id = ").bind(Arg::I64(id.0));
    let rows: Vec<MemberRow> = sql.fetch_all(&st.db).await?;
    Ok(rows
        .into_iter()
        .next()
        .ok_or(StoreError::NotFound)?
        .into_member(&st.cipher)?
        .0)
}

/// The member with this ID number, if in the capability's scope (to link an account).
pub async fn find_by_id_number<P: perm::Perm>(
    st: &Store,
    cap: &Cap<P>,
    id: &IdNumber,
) -> Result<Option<(MemberId, String)>, StoreError> {
    let mut sql = Sql::new("SELECT m.id, m.name FROM member m WHERE m.id_number_idx = ");
    sql.bind(Arg::Bytes(
        st.cipher.blind_index(Field::IdNumber, id.as_str()),
    ));
    crate::scope::restrict(&mut sql, "m.school_union_id", cap.scope());
    let rows: Vec<(i64, String)> = sql.fetch_all(&st.db).await?;
    Ok(rows.into_iter().next().map(|(i, n)| (MemberId(i), n)))
}

/// The stored ID number and phone, to re-validate an edit made by someone who may edit
/// the record but not see these two fields. The values must not be shown (that would be a
/// full view, which is [`reveal_personal`] with its audit record).
pub async fn personal_for_update(
    st: &Store,
    cap: &Cap<perm::MemberEdit>,
    id: MemberId,
) -> Result<PersonalData, StoreError> {
    let (_, id_number, phone) = fetch_member(st, cap, id).await?;
    Ok(PersonalData { id_number, phone })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns_escape_what_a_person_types() {
        assert_eq!(like_escaped("思琪"), "思琪");
        assert_eq!(like_escaped("50%_a\\b"), "50\\%\\_a\\\\b");
    }

    #[test]
    fn cursors_round_trip() {
        let c = Cursor {
            key: "张 三~".into(),
            id: 42,
        };
        assert_eq!(Cursor::decode(&c.encode()), Some(c));
        assert_eq!(Cursor::decode("zz~1"), None);
    }
}
