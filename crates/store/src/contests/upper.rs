//! Winners forwarded to the next level (推荐上报) and the upper level's results recorded
//! back: the winners of a published contest as the lines of the upper level's sheet
//! ([`forward`], which marks them forwarded), and the prize the upper level gave to each
//! forwarded entry ([`record`]: the upper contest's name, its level, the tier, the day).
//! The honours register and the year figures read these as honours of that level.
//!
//! Must never: forward before publication or an entry without a prize here; record an
//! upper result at a level not above the contest's organizer; act outside the organizer's
//! scope (out of scope is missing). Every step is audited in its transaction.

use super::{invalid, log_commit};
use crate::audit::Who;
use crate::db::{Arg, Sql};
use crate::{Store, StoreError, on_tx};
use chrono::NaiveDate;
use domain::FieldError;
use domain::audit::Changes;
use domain::auth::{Cap, perm};
use domain::commendations::HonourLevel;
use domain::contests::text as t;
use domain::contests::*;
use domain::ids::OrgUnitId;
use domain::org::Coded;

/// A winner as the upper level's sheet lists it, with what came back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UpperLine {
    pub entry: ContestEntryId,
    pub code: String,
    pub school_name: String,
    pub category: Option<String>,
    pub title: String,
    pub entrants: String,
    pub place: i64,
    pub score_centi: i64,
    pub tier: PrizeTier,
    pub certificate: Option<String>,
    pub forwarded_on: Option<NaiveDate>,
    pub upper_level: Option<HonourLevel>,
    pub upper_name: Option<String>,
    pub upper_tier: Option<PrizeTier>,
    pub upper_on: Option<NaiveDate>,
}

/// The rank of a level: a result may be recorded only at a level ranked above the
/// organizer's.
pub fn level_rank(l: HonourLevel) -> u8 {
    match l {
        HonourLevel::School => 0,
        HonourLevel::Area => 1,
        HonourLevel::District | HonourLevel::County => 2,
        HonourLevel::City => 3,
        HonourLevel::Province => 4,
    }
}

type LineTuple = (
    i64,
    String,
    String,
    Option<String>,
    String,
    String,
    i64,
    i64,
    String,
    Option<String>,
    Option<NaiveDate>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<NaiveDate>,
);

/// The winners of a published contest organized in scope, by place: one query.
pub async fn winners<P: perm::Perm>(
    st: &Store,
    cap: &Cap<P>,
    contest: ContestId,
) -> Result<Vec<UpperLine>, StoreError> {
    let mut q = Sql::new(
        "SELECT e.id, e.code, s.name, g.name, e.title, e.entrants, r.place, r.score_centi, r.tier, r.certificate_code,
                e.forwarded_on, e.upper_level, e.upper_name, e.upper_tier, e.upper_on
         FROM contest_result r JOIN contest_entry e ON e.id = r.entry_id JOIN contest c ON c.id = r.contest_id
         JOIN org_unit s ON s.id = e.school_union_id LEFT JOIN contest_category g ON g.id = e.category_id
         WHERE r.tier IS NOT NULL AND c.status = 'published' AND c.id = ",
    );
    q.bind(Arg::I64(contest.0));
    crate::scope::restrict(&mut q, "c.organizer_unit_id", cap.scope());
    q.push(" ORDER BY r.place, e.code");
    let rows: Vec<LineTuple> = q.fetch_all(&st.db).await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            Some(UpperLine {
                entry: ContestEntryId(r.0),
                code: r.1,
                school_name: r.2,
                category: r.3,
                title: r.4,
                entrants: r.5,
                place: r.6,
                score_centi: r.7,
                tier: PrizeTier::from_code(&r.8)?,
                certificate: r.9,
                forwarded_on: r.10,
                upper_level: r.11.as_deref().and_then(HonourLevel::from_code),
                upper_name: r.12,
                upper_tier: r.13.as_deref().and_then(PrizeTier::from_code),
                upper_on: r.14,
            })
        })
        .collect())
}

/// The organizer's status and level, for a contest organized in scope.
async fn organizer<P: perm::Perm>(
    tx: &mut crate::Tx,
    cap: &Cap<P>,
    contest: ContestId,
) -> Result<(String, HonourLevel, OrgUnitId), StoreError> {
    let mut q = Sql::new(
        "SELECT c.status, CASE WHEN o.kind = 'union' THEN COALESCE(o.union_kind, 'district') WHEN o.kind = 'area' THEN 'area' ELSE 'school' END, c.organizer_unit_id
         FROM contest c JOIN org_unit o ON o.id = c.organizer_unit_id WHERE c.id = ",
    );
    q.bind(Arg::I64(contest.0));
    crate::scope::restrict(&mut q, "c.organizer_unit_id", cap.scope());
    let rows: Vec<(String, String, i64)> = q.fetch_all_tx(tx).await?;
    let (status, level, org) = rows.into_iter().next().ok_or(StoreError::NotFound)?;
    let level = HonourLevel::from_code(&level).unwrap_or(HonourLevel::District);
    Ok((status, level, OrgUnitId(org)))
}

/// The winners as the upper level's sheet, marking those not yet forwarded as forwarded
/// today; refused before publication. Audited with the number of lines.
pub async fn forward(
    st: &Store,
    cap: &Cap<perm::ContestManage>,
    who: &Who,
    contest: ContestId,
    today: NaiveDate,
) -> Result<Vec<UpperLine>, StoreError> {
    let mut tx = st.db.begin().await?;
    let (status, _, org) = organizer(&mut tx, cap, contest).await?;
    if status != ContestStatus::Published.code() {
        return Err(invalid(FieldError::new("contest", t::NOT_PUBLISHED)));
    }
    let n = on_tx!(&mut tx, |c| {
        sqlx::query(
            "UPDATE contest_entry SET forwarded_on = $2 WHERE contest_id = $1 AND forwarded_on IS NULL
               AND id IN (SELECT entry_id FROM contest_result WHERE contest_id = $1 AND tier IS NOT NULL)",
        )
        .bind(contest.0)
        .bind(today)
        .execute(&mut *c)
        .await
        .map(|r| r.rows_affected())
    })?;
    let mut ch = Changes::new();
    ch.note("forwarded", n as i64);
    log_commit(
        tx,
        st,
        who,
        "contest.forward",
        ("contest", contest.0),
        org,
        &ch,
    )
    .await?;
    winners(st, cap, contest).await
}

/// The upper level's result as typed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UpperForm {
    pub name: String,
    pub level: String,
    /// Empty: no prize at the upper level.
    pub tier: String,
    pub on: String,
}

/// Records the upper level's result on a winner of a contest organized in scope: the
/// upper contest's name, a level above the organizer's, the tier (or none), the day.
/// Refused at its field with nothing changed.
pub async fn record(
    st: &Store,
    cap: &Cap<perm::ContestManage>,
    who: &Who,
    contest: ContestId,
    entry: ContestEntryId,
    f: &UpperForm,
) -> Result<(), StoreError> {
    let mut errors = domain::FieldErrors::default();
    let name: String = f.name.trim().chars().take(200).collect();
    if name.is_empty() {
        errors.push(FieldError::new("name", t::UPPER_NAME_REQUIRED));
    }
    let level = HonourLevel::from_code(f.level.trim());
    let tier = match f.tier.trim() {
        "" => None,
        s => match PrizeTier::from_code(s) {
            Some(t) => Some(t),
            None => {
                errors.push(FieldError::new("tier", t::UPPER_TIER_INVALID));
                None
            }
        },
    };
    let on = NaiveDate::parse_from_str(f.on.trim(), "%Y-%m-%d").ok();
    if on.is_none() {
        errors.push(FieldError::new("on", t::DATE_INVALID));
    }
    let mut tx = st.db.begin().await?;
    let (status, org_level, org) = organizer(&mut tx, cap, contest).await?;
    match level {
        Some(l) if level_rank(l) > level_rank(org_level) => {}
        _ => errors.push(FieldError::new("level", t::UPPER_LEVEL_INVALID)),
    }
    if status != ContestStatus::Published.code() {
        errors.push(FieldError::new("name", t::NOT_PUBLISHED));
    }
    let won: Option<i64> = on_tx!(&mut tx, |c| {
        sqlx::query_scalar(
            "SELECT r.entry_id FROM contest_result r WHERE r.entry_id = $1 AND r.contest_id = $2 AND r.tier IS NOT NULL",
        )
        .bind(entry.0)
        .bind(contest.0)
        .fetch_optional(&mut *c)
        .await
    })?;
    if won.is_none() {
        return Err(StoreError::NotFound);
    }
    if !errors.is_empty() {
        return Err(StoreError::Invalid(errors));
    }
    let (Some(level), Some(on)) = (level, on) else {
        return Err(invalid(FieldError::new("level", t::UPPER_LEVEL_INVALID)));
    };
    on_tx!(&mut tx, |c| {
        sqlx::query(
            "UPDATE contest_entry SET forwarded_on = COALESCE(forwarded_on, $2), upper_level = $3, upper_name = $4, upper_tier = $5, upper_on = $2 WHERE id = $1",
        )
        .bind(entry.0)
        .bind(on)
        .bind(level.code())
        .bind(&name)
        .bind(tier.map(|t| t.code()))
        .execute(&mut *c)
        .await
        .map(|_| ())
    })?;
    let mut ch = Changes::new();
    ch.note("entry", entry.0)
        .note("upper_name", name.as_str())
        .note("upper_level", level.code())
        .note("upper_tier", tier.map(|t| t.code()).unwrap_or_default())
        .note("upper_on", on.to_string());
    log_commit(
        tx,
        st,
        who,
        "contest.upper_result",
        ("contest_entry", entry.0),
        org,
        &ch,
    )
    .await?;
    Ok(())
}
