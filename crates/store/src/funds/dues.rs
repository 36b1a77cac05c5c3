//! Dues (会费) member by member: each member's dues base (the basic salary — personal data,
//! encrypted and bound to the member's row), the monthly dues roll of a school generated
//! from the roster under the funds rule set (joiners, leavers, retirees), and the levy that
//! takes the sum of the members' dues.
//!
//! Never here: a base or a member's dues in plain text in a list, a search or an order.
//! Lists say only whether a base is registered; [`reveal_base`] and [`reveal_roll`] write
//! the audit record before they decrypt. The roll's counts and total are plain (the levy
//! needs them); its lines (member, status, base, dues) are one encrypted value bound to the
//! roll, so a copy of the database shows no salary.

use super::ledger::{WrittenLevy, invalid, log_commit, school_in_scope, write_levy};
use super::rules;
use crate::audit::{self, Event, Who};
use crate::db::{Arg, Sql, Tx, now};
use crate::{Db, Store, StoreError, on_tx};
use chrono::NaiveDate;
use domain::FieldError;
use domain::audit::Changes;
use domain::auth::{Cap, perm};
use domain::funds::text as t;
use domain::funds::*;
use domain::ids::{MemberId, OrgUnitId};
use domain::org::Coded;
use serde::{Deserialize, Serialize};

fn seal_fen(st: &Store, slot: crate::crypto::Slot, fen: i64) -> Vec<u8> {
    st.cipher.seal_str(slot, &fen.to_string())
}

fn open_fen(st: &Store, slot: crate::crypto::Slot, enc: &[u8]) -> Result<i64, StoreError> {
    st.cipher
        .open_str(slot, enc)?
        .parse()
        .map_err(|_| StoreError::Other("a dues base that is not a number".into()))
}

/// The school of member `member` if it lies in `scope` (404 otherwise).
async fn member_school(
    tx: &mut Tx,
    scope: &domain::auth::Scope,
    member: MemberId,
) -> Result<(OrgUnitId, String), StoreError> {
    let mut q = Sql::new("SELECT m.school_union_id, m.name FROM member m WHERE m.id = ");
    q.bind(Arg::I64(member.0));
    crate::scope::restrict(&mut q, "m.school_union_id", scope);
    let rows: Vec<(i64, String)> = q.fetch_all_tx(tx).await?;
    rows.into_iter()
        .next()
        .map(|(s, n)| (OrgUnitId(s), n))
        .ok_or(StoreError::NotFound)
}

/// Writes a member's base (sealed to the member's row) and audits whether it changed.
/// Returns whether it changed.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn write_base(
    tx: &mut Tx,
    st: &Store,
    who: &Who,
    member: MemberId,
    school: OrgUnitId,
    base_fen: i64,
    since: NaiveDate,
    source: &str,
) -> Result<bool, StoreError> {
    let slot = super::DUES_BASE.at(member.0);
    let before: Option<(Vec<u8>, NaiveDate)> = on_tx!(tx, |c| {
        sqlx::query_as("SELECT base_enc, since_month FROM funds_dues_base WHERE member_id = $1")
            .bind(member.0)
            .fetch_optional(&mut *c)
            .await
    })?;
    let old = match &before {
        Some((enc, since)) => Some((open_fen(st, slot, enc)?, *since)),
        None => None,
    };
    let since = month_bounds(since).0;
    if old == Some((base_fen, since)) {
        return Ok(false);
    }
    let enc = seal_fen(st, slot, base_fen);
    on_tx!(tx, |c| {
        sqlx::query(
            "INSERT INTO funds_dues_base (member_id, school_union_id, base_enc, since_month, set_by_label, updated_at) VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (member_id) DO UPDATE SET school_union_id = excluded.school_union_id, base_enc = excluded.base_enc, since_month = excluded.since_month, set_by_label = excluded.set_by_label, updated_at = excluded.updated_at",
        )
        .bind(member.0)
        .bind(school.0)
        .bind(&enc)
        .bind(since)
        .bind(&who.label)
        .bind(now())
        .execute(&mut *c)
        .await
        .map(|_| ())
    })?;
    let mut ch = Changes::new();
    ch.personal("base", old.map(|o| o.0) != Some(base_fen))
        .note("since_month", since.to_string())
        .note("source", source);
    audit::append(
        tx,
        &st.cipher,
        who,
        Event {
            action: "funds.dues_base",
            entity_type: "funds_dues_base",
            entity_id: Some(member.0),
            org_unit: Some(school),
            changes: &ch,
        },
    )
    .await?;
    Ok(true)
}

/// Sets a member's dues base (in fen, from the month of `since`). Refused when it is not a
/// positive amount; 404 for a member outside the scope.
pub async fn set_base(
    st: &Store,
    cap: &Cap<perm::FundsEnter>,
    who: &Who,
    member: MemberId,
    base_fen: i64,
    since: NaiveDate,
) -> Result<OrgUnitId, StoreError> {
    if base_fen <= 0 {
        return Err(invalid(
            FieldError::new("base", t::AMOUNT_INVALID).arg("value", yuan(base_fen)),
        ));
    }
    let mut tx = st.db.begin().await?;
    let (school, _) = member_school(&mut tx, cap.scope(), member).await?;
    write_base(&mut tx, st, who, member, school, base_fen, since, "form").await?;
    tx.commit().await?;
    Ok(school)
}

/// A member of the school in the list of bases: whether a base is registered, never its
/// value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BaseRow {
    pub member: MemberId,
    pub name: String,
    pub status: String,
    pub registered: bool,
    pub since: Option<NaiveDate>,
    pub set_by: Option<String>,
}

/// The union members of a school with whether each has a base: one query, ordered by
/// name (pinyin) — never by the base, which is not read.
pub async fn bases(
    db: &Db,
    cap: &Cap<perm::FundsView>,
    school: OrgUnitId,
) -> Result<Vec<BaseRow>, StoreError> {
    let mut q = Sql::new(
        "SELECT m.id, m.name, m.status, b.since_month, b.set_by_label FROM member m LEFT JOIN funds_dues_base b ON b.member_id = m.id
         WHERE m.union_member AND m.school_union_id = ",
    );
    q.bind(Arg::I64(school.0));
    crate::scope::restrict(&mut q, "m.school_union_id", cap.scope());
    q.push(" ORDER BY m.name_pinyin, m.id");
    let rows: Vec<(i64, String, String, Option<NaiveDate>, Option<String>)> =
        q.fetch_all(db).await?;
    Ok(rows
        .into_iter()
        .map(|(id, name, status, since, by)| BaseRow {
            member: MemberId(id),
            name,
            status,
            registered: since.is_some(),
            since,
            set_by: by,
        })
        .collect())
}

/// A member's base, decrypted for the finance officer or chair: writes
/// `funds_dues_base.view` (who, whose base; never the value) before it decrypts.
/// `None` when no base is registered.
pub async fn reveal_base(
    st: &Store,
    cap: &Cap<perm::FundsEnter>,
    who: &Who,
    member: MemberId,
) -> Result<(OrgUnitId, String, Option<(i64, NaiveDate)>), StoreError> {
    let mut tx = st.db.begin().await?;
    let (school, name) = member_school(&mut tx, cap.scope(), member).await?;
    let row: Option<(Vec<u8>, NaiveDate)> = on_tx!(&mut tx, |c| {
        sqlx::query_as("SELECT base_enc, since_month FROM funds_dues_base WHERE member_id = $1")
            .bind(member.0)
            .fetch_optional(&mut *c)
            .await
    })?;
    let mut ch = Changes::new();
    ch.personal("base", false);
    crate::kit::record_commit(
        tx,
        st,
        who,
        "funds_dues_base.view",
        ("funds_dues_base", member.0),
        school,
        &ch,
    )
    .await?;
    let base = match row {
        Some((enc, since)) => Some((open_fen(st, super::DUES_BASE.at(member.0), &enc)?, since)),
        None => None,
    };
    Ok((school, name, base))
}

/// A roll line as sealed: member, status, base (if registered), dues.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct SealedLine {
    pub m: i64,
    pub s: String,
    pub b: Option<i64>,
    pub d: i64,
}

/// Dues of a sealed line under `r`: the member's own dues when they pay and have a base.
pub(crate) fn line_dues(r: &FundsRules, status: RollStatus, base: Option<i64>) -> i64 {
    match base {
        Some(b) if status.pays(r) => r.member_dues(b),
        _ => 0,
    }
}

/// What a generated roll came to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RollSummary {
    pub levy: LevyId,
    pub month: NaiveDate,
    pub payers: i64,
    pub joined: i64,
    pub leaving: i64,
    pub exempt: i64,
    pub missing_base: i64,
    pub due_fen: i64,
    pub kept_fen: i64,
    pub remitted_fen: i64,
    pub paid_fen: i64,
    pub rule_set_version: i64,
}

type MemberRow = (
    i64,
    String,
    NaiveDate,
    Option<NaiveDate>,
    bool,
    Option<Vec<u8>>,
);

/// Generates the month's dues roll of a school from its roster and the bases, under the
/// rule set in force (its version recorded): every union member on it with their status
/// (payer, joined, leaving, retired and exempt), each paying member's dues on their own
/// base (rounded each), and the month's dues levy as their sum, split into the kept and
/// remitted shares. `paid_fen` is what the payroll deduction brought (`None`: all of it).
/// Refused when the month already has a dues levy, or more is paid than is due.
pub async fn generate_roll(
    st: &Store,
    cap: &Cap<perm::FundsEnter>,
    who: &Who,
    school: OrgUnitId,
    month: NaiveDate,
    paid_fen: Option<i64>,
) -> Result<RollSummary, StoreError> {
    let month = month_bounds(month).0;
    if paid_fen.is_some_and(|p| p < 0) {
        return Err(invalid(FieldError::new("paid", t::AMOUNT_NEGATIVE)));
    }
    let mut tx = st.db.begin().await?;
    school_in_scope(&mut tx, cap.scope(), school).await?;
    super::close::ensure_open(&mut tx, school, month, "month").await?;
    let (rule_set, version, r) = rules::effective_tx(&mut tx, school).await?;
    let exists: Option<i64> = on_tx!(&mut tx, |c| {
        sqlx::query_scalar(
            "SELECT id FROM funds_levy WHERE school_union_id = $1 AND kind = 'dues' AND levy_month = $2",
        )
        .bind(school.0)
        .bind(month)
        .fetch_optional(&mut *c)
        .await
    })?;
    if exists.is_some() {
        return Err(invalid(FieldError::new("month", t::ROLL_EXISTS)));
    }
    let members: Vec<MemberRow> = on_tx!(&mut tx, |c| {
        sqlx::query_as(
            "SELECT m.id, m.status, m.status_since, m.join_date, m.union_member, b.base_enc FROM member m LEFT JOIN funds_dues_base b ON b.member_id = m.id
             WHERE m.school_union_id = $1 ORDER BY m.id",
        )
        .bind(school.0)
        .fetch_all(&mut *c)
        .await
    })?;
    let mut lines = Vec::with_capacity(members.len());
    let mut s = RollSummary {
        levy: LevyId(0),
        month,
        payers: 0,
        joined: 0,
        leaving: 0,
        exempt: 0,
        missing_base: 0,
        due_fen: 0,
        kept_fen: 0,
        remitted_fen: 0,
        paid_fen: 0,
        rule_set_version: version,
    };
    for (id, status, since, join, union_member, enc) in members {
        let facts = RosterFacts {
            status: &status,
            status_since: since,
            join_date: join,
            union_member,
        };
        let Some(rs) = roll_status(&facts, month) else {
            continue;
        };
        let base = match enc {
            Some(e) => Some(open_fen(st, super::DUES_BASE.at(id), &e)?),
            None => None,
        };
        let pays = rs.pays(&r);
        match rs {
            RollStatus::Joined => s.joined += 1,
            RollStatus::Leaving => s.leaving += 1,
            _ => {}
        }
        if pays {
            s.payers += 1;
            if base.is_none() {
                s.missing_base += 1;
            }
        } else {
            s.exempt += 1;
        }
        let d = line_dues(&r, rs, base);
        s.due_fen += d;
        lines.push(SealedLine {
            m: id,
            s: rs.code().to_string(),
            b: base,
            d,
        });
    }
    let levy = r.dues_levy_of_roll(s.due_fen);
    let paid = paid_fen.unwrap_or(levy.due_fen);
    if paid > levy.due_fen {
        return Err(invalid(
            FieldError::new("paid", t::PAID_ABOVE_DUE).arg("due", yuan(levy.due_fen)),
        ));
    }
    let id = write_levy(
        &mut tx,
        who,
        &WrittenLevy {
            school,
            kind: LevyKind::Dues,
            month,
            // No sum of bases is stored: for a school of few payers it would tell a base.
            base_fen: 0,
            payers: s.payers,
            levy,
            paid_fen: paid,
            rule_set: rule_set.0,
            kept: r.dues_kept,
        },
    )
    .await?;
    let json = serde_json::to_vec(&lines).map_err(|e| StoreError::Other(e.to_string()))?;
    let enc = st.cipher.seal(super::ROLL_LINES.at(id), &json);
    on_tx!(&mut tx, |c| {
        sqlx::query(
            "INSERT INTO funds_dues_roll (levy_id, school_union_id, roll_month, payers, joined, leaving, exempt, missing_base, lines_enc, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(id)
        .bind(school.0)
        .bind(month)
        .bind(s.payers)
        .bind(s.joined)
        .bind(s.leaving)
        .bind(s.exempt)
        .bind(s.missing_base)
        .bind(&enc)
        .bind(now())
        .execute(&mut *c)
        .await
        .map(|_| ())
    })?;
    s.levy = LevyId(id);
    s.kept_fen = levy.kept_fen;
    s.remitted_fen = levy.remitted_fen;
    s.paid_fen = paid;
    let mut ch = Changes::new();
    ch.note("month", month.to_string())
        .note("payers", s.payers)
        .note("exempt", s.exempt)
        .note("missing_base", s.missing_base)
        .note("due_fen", levy.due_fen)
        .note("kept_fen", levy.kept_fen)
        .note("remitted_fen", levy.remitted_fen)
        .note("paid_fen", paid)
        .note("rule_set_version", version);
    log_commit(tx, st, who, "funds.roll", ("funds_levy", id), school, &ch).await?;
    Ok(s)
}

/// The dues rolls of a school's year (counts and amounts, no member's figure): one query.
pub async fn rolls(
    db: &Db,
    cap: &Cap<perm::FundsView>,
    school: OrgUnitId,
    year: i32,
) -> Result<Vec<RollSummary>, StoreError> {
    let (Some(from), Some(to)) = (
        NaiveDate::from_ymd_opt(year, 1, 1),
        NaiveDate::from_ymd_opt(year, 12, 31),
    ) else {
        return Ok(Vec::new());
    };
    let mut q = Sql::new(
        "SELECT d.levy_id, d.roll_month, d.payers, d.joined, d.leaving, d.exempt, d.missing_base, l.due_fen, l.kept_fen, l.remitted_fen, l.paid_fen, r.version
         FROM funds_dues_roll d JOIN funds_levy l ON l.id = d.levy_id JOIN funds_rule_set r ON r.id = l.rule_set_id WHERE d.school_union_id = ",
    );
    q.bind(Arg::I64(school.0))
        .push(" AND d.roll_month >= ")
        .bind(Arg::Date(from))
        .push(" AND d.roll_month <= ")
        .bind(Arg::Date(to));
    crate::scope::restrict(&mut q, "d.school_union_id", cap.scope());
    q.push(" ORDER BY d.roll_month");
    type Row = (
        i64,
        NaiveDate,
        i64,
        i64,
        i64,
        i64,
        i64,
        i64,
        i64,
        i64,
        i64,
        i64,
    );
    let rows: Vec<Row> = q.fetch_all(db).await?;
    Ok(rows
        .into_iter()
        .map(|r| RollSummary {
            levy: LevyId(r.0),
            month: r.1,
            payers: r.2,
            joined: r.3,
            leaving: r.4,
            exempt: r.5,
            missing_base: r.6,
            due_fen: r.7,
            kept_fen: r.8,
            remitted_fen: r.9,
            paid_fen: r.10,
            rule_set_version: r.11,
        })
        .collect())
}

/// A member's line of a roll, decrypted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RollLine {
    pub member: MemberId,
    pub name: String,
    pub status: RollStatus,
    pub base_fen: Option<i64>,
    pub dues_fen: i64,
}

/// A roll member by member (bases and dues), for the finance officer or chair: writes
/// `funds_dues_roll.view` before it decrypts. Two queries (the roll, the names).
pub async fn reveal_roll(
    st: &Store,
    cap: &Cap<perm::FundsEnter>,
    who: &Who,
    levy: LevyId,
) -> Result<(OrgUnitId, RollSummary, Vec<RollLine>), StoreError> {
    let mut q = Sql::new(
        "SELECT d.school_union_id, d.roll_month, d.lines_enc FROM funds_dues_roll d WHERE d.levy_id = ",
    );
    q.bind(Arg::I64(levy.0));
    crate::scope::restrict(&mut q, "d.school_union_id", cap.scope());
    let mut tx = st.db.begin().await?;
    let rows: Vec<(i64, NaiveDate, Vec<u8>)> = q.fetch_all_tx(&mut tx).await?;
    let (school, month, enc) = rows.into_iter().next().ok_or(StoreError::NotFound)?;
    let names: Vec<(i64, String)> = on_tx!(&mut tx, |c| {
        sqlx::query_as("SELECT id, name FROM member WHERE school_union_id = $1 ORDER BY id")
            .bind(school)
            .fetch_all(&mut *c)
            .await
    })?;
    let mut ch = Changes::new();
    ch.personal("base", false).note("month", month.to_string());
    crate::kit::record_commit(
        tx,
        st,
        who,
        "funds_dues_roll.view",
        ("funds_levy", levy.0),
        OrgUnitId(school),
        &ch,
    )
    .await?;
    let names: std::collections::HashMap<i64, String> = names.into_iter().collect();
    let json = st.cipher.open(super::ROLL_LINES.at(levy.0), &enc)?;
    let sealed: Vec<SealedLine> =
        serde_json::from_slice(&json).map_err(|e| StoreError::Other(e.to_string()))?;
    let lines = sealed
        .into_iter()
        .filter_map(|l| {
            Some(RollLine {
                member: MemberId(l.m),
                name: names.get(&l.m).cloned().unwrap_or_default(),
                status: RollStatus::from_code(&l.s)?,
                base_fen: l.b,
                dues_fen: l.d,
            })
        })
        .collect();
    let summary = rolls_one(&st.db, levy).await?;
    Ok((OrgUnitId(school), summary, lines))
}

async fn rolls_one(db: &Db, levy: LevyId) -> Result<RollSummary, StoreError> {
    let mut q = Sql::new(
        "SELECT d.levy_id, d.roll_month, d.payers, d.joined, d.leaving, d.exempt, d.missing_base, l.due_fen, l.kept_fen, l.remitted_fen, l.paid_fen, r.version
         FROM funds_dues_roll d JOIN funds_levy l ON l.id = d.levy_id JOIN funds_rule_set r ON r.id = l.rule_set_id WHERE d.levy_id = ",
    );
    q.bind(Arg::I64(levy.0));
    type Row = (
        i64,
        NaiveDate,
        i64,
        i64,
        i64,
        i64,
        i64,
        i64,
        i64,
        i64,
        i64,
        i64,
    );
    let rows: Vec<Row> = q.fetch_all(db).await?;
    let r = rows.into_iter().next().ok_or(StoreError::NotFound)?;
    Ok(RollSummary {
        levy: LevyId(r.0),
        month: r.1,
        payers: r.2,
        joined: r.3,
        leaving: r.4,
        exempt: r.5,
        missing_base: r.6,
        due_fen: r.7,
        kept_fen: r.8,
        remitted_fen: r.9,
        paid_fen: r.10,
        rule_set_version: r.11,
    })
}

/// A roll's stored lines checked against its levy: every line's dues recomputed from its
/// base and status under `r`, their sum against the levy's due. `None` when they agree.
pub(crate) fn check_roll(
    st: &Store,
    r: &FundsRules,
    levy: i64,
    enc: &[u8],
) -> Result<Levy, StoreError> {
    let json = st.cipher.open(super::ROLL_LINES.at(levy), enc)?;
    let sealed: Vec<SealedLine> =
        serde_json::from_slice(&json).map_err(|e| StoreError::Other(e.to_string()))?;
    let mut due = 0i64;
    for l in sealed {
        let status = RollStatus::from_code(&l.s)
            .ok_or_else(|| StoreError::Other(format!("roll {levy}: status {}", l.s)))?;
        let d = line_dues(r, status, l.b);
        if d != l.d {
            // A line whose dues differ from its base: the sum cannot be trusted.
            return Ok(Levy {
                due_fen: -1,
                kept_fen: -1,
                remitted_fen: -1,
            });
        }
        due += d;
    }
    Ok(r.dues_levy_of_roll(due))
}
