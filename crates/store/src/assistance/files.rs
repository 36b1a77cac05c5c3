//! Hardship files (困难教职工档案): drafted by a committee member with the household and the
//! income test's level, confirmed by the school chair, reviewed each year (年审) until they
//! expire, left (脱困) with a reason; every step kept in the file's history.
//!
//! The household (people, incomes, situations, causes, note), the income per person and the
//! reason for leaving are encrypted; [`list`] and [`get`] never decrypt them. Only
//! [`reveal`] does, and it writes an audit record first. Every read is restricted to the
//! capability's scope in SQL, and a file out of scope answers [`StoreError::NotFound`].

use super::rules;
use crate::audit::{self, Event, Who};
use crate::db::{Arg, Sql, Tx, now, unique_as};
use crate::{Db, Store, StoreError, on_tx};
use chrono::NaiveDate;
use domain::assistance::text as t;
use domain::assistance::*;
use domain::audit::Changes;
use domain::auth::{Cap, Scope, perm};
use domain::ids::{MemberId, OrgUnitId};
use domain::org::Coded;

fn coded<C: Coded>(s: &str) -> Result<C, StoreError> {
    C::from_code(s).ok_or_else(|| StoreError::Other(format!("unknown {} code {s:?}", C::KIND)))
}

/// A file as lists show it: no household, no income, no reason.
#[derive(Clone, Debug, PartialEq)]
pub struct FileRow {
    pub id: HardshipFileId,
    pub member_id: MemberId,
    pub member_name: String,
    pub school_union_id: OrgUnitId,
    pub school_name: String,
    pub status: FileStatus,
    pub level: HardshipLevel,
    pub rule_set_id: AssistanceRuleSetId,
    pub drafted_on: NaiveDate,
    pub opened_on: Option<NaiveDate>,
    pub review_due: Option<NaiveDate>,
    pub exited_on: Option<NaiveDate>,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    member_id: i64,
    member_name: String,
    school_union_id: i64,
    school_name: String,
    status: String,
    level: String,
    rule_set_id: i64,
    drafted_on: NaiveDate,
    opened_on: Option<NaiveDate>,
    review_due: Option<NaiveDate>,
    exited_on: Option<NaiveDate>,
}

impl Row {
    fn into_row(self) -> Result<FileRow, StoreError> {
        Ok(FileRow {
            id: HardshipFileId(self.id),
            member_id: MemberId(self.member_id),
            member_name: self.member_name,
            school_union_id: OrgUnitId(self.school_union_id),
            school_name: self.school_name,
            status: coded(&self.status)?,
            level: coded(&self.level)?,
            rule_set_id: AssistanceRuleSetId(self.rule_set_id),
            drafted_on: self.drafted_on,
            opened_on: self.opened_on,
            review_due: self.review_due,
            exited_on: self.exited_on,
        })
    }
}

const SELECT: &str = "SELECT f.id, f.member_id, m.name AS member_name, f.school_union_id, s.name AS school_name, f.status, f.level, f.rule_set_id, f.drafted_on, f.opened_on, f.review_due, f.exited_on
     FROM hardship_file f JOIN member m ON m.id = f.member_id JOIN org_unit s ON s.id = f.school_union_id WHERE 1 = 1";

/// One step of a file's history.
#[derive(Clone, Debug, PartialEq)]
pub struct HistoryEntry {
    pub kind: FileEvent,
    pub level: Option<HardshipLevel>,
    pub rule_set_id: Option<AssistanceRuleSetId>,
    pub on: NaiveDate,
    pub by: String,
    /// The income per person the step recorded: only in [`reveal`].
    pub income_fen: Option<i64>,
}

/// A file with its household in plain text (a full view, audited).
#[derive(Clone, Debug, PartialEq)]
pub struct FullFile {
    pub row: FileRow,
    pub household: Household,
    pub income_fen: i64,
    pub exit_reason: Option<String>,
    pub history: Vec<HistoryEntry>,
}

/// Filters of the file list.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    pub status: Option<FileStatus>,
    pub level: Option<HardshipLevel>,
    /// A unit (school, area or union) whose subtree the list keeps.
    pub unit: Option<OrgUnitId>,
    /// Files with a step in this year: drafted, opened, reviewed due or left.
    pub year: Option<i32>,
    /// Keyset: files with a smaller id than this (the list runs newest first).
    pub before: Option<i64>,
}

/// The files in the capability's scope, newest first, at most `limit`: one query.
pub async fn list(
    db: &Db,
    cap: &Cap<perm::AssistanceView>,
    f: &Filter,
    limit: i64,
) -> Result<Vec<FileRow>, StoreError> {
    let mut q = Sql::new(SELECT);
    crate::scope::restrict(&mut q, "f.school_union_id", cap.scope());
    if let Some(s) = f.status {
        q.push(" AND f.status = ").bind(Arg::Text(s.code().into()));
    }
    if let Some(l) = f.level {
        q.push(" AND f.level = ").bind(Arg::Text(l.code().into()));
    }
    if let Some(u) = f.unit {
        q.push(
            " AND f.school_union_id IN (SELECT descendant_id FROM org_closure WHERE ancestor_id = ",
        )
        .bind(Arg::I64(u.0))
        .push(")");
    }
    if let Some(y) = f.year
        && let (Some(from), Some(to)) = (
            NaiveDate::from_ymd_opt(y, 1, 1),
            NaiveDate::from_ymd_opt(y, 12, 31),
        )
    {
        q.push(" AND ((f.drafted_on >= ")
            .bind(Arg::Date(from))
            .push(" AND f.drafted_on <= ")
            .bind(Arg::Date(to))
            .push(") OR (f.opened_on >= ")
            .bind(Arg::Date(from))
            .push(" AND f.opened_on <= ")
            .bind(Arg::Date(to))
            .push(") OR (f.review_due >= ")
            .bind(Arg::Date(from))
            .push(" AND f.review_due <= ")
            .bind(Arg::Date(to))
            .push(") OR (f.exited_on >= ")
            .bind(Arg::Date(from))
            .push(" AND f.exited_on <= ")
            .bind(Arg::Date(to))
            .push("))");
    }
    if let Some(b) = f.before {
        q.push(" AND f.id < ").bind(Arg::I64(b));
    }
    q.push(" ORDER BY f.id DESC LIMIT ").bind(Arg::I64(limit));
    let rows: Vec<Row> = q.fetch_all(db).await?;
    rows.into_iter().map(Row::into_row).collect()
}

async fn row_in_scope_tx(
    tx: &mut Tx,
    scope: &Scope,
    id: HardshipFileId,
) -> Result<FileRow, StoreError> {
    let mut q = Sql::new(SELECT);
    q.push(" AND f.id = ").bind(Arg::I64(id.0));
    crate::scope::restrict(&mut q, "f.school_union_id", scope);
    let rows: Vec<Row> = q.fetch_all_tx(tx).await?;
    rows.into_iter()
        .next()
        .ok_or(StoreError::NotFound)?
        .into_row()
}

/// A file (masked: no household, income or reason) with its history (no incomes).
pub async fn get(
    db: &Db,
    cap: &Cap<perm::AssistanceView>,
    id: HardshipFileId,
) -> Result<(FileRow, Vec<HistoryEntry>), StoreError> {
    let mut q = Sql::new(SELECT);
    q.push(" AND f.id = ").bind(Arg::I64(id.0));
    crate::scope::restrict(&mut q, "f.school_union_id", cap.scope());
    let rows: Vec<Row> = q.fetch_all(db).await?;
    let row = rows
        .into_iter()
        .next()
        .ok_or(StoreError::NotFound)?
        .into_row()?;
    let events: Vec<(String, Option<String>, Option<i64>, NaiveDate, String)> = crate::on_db!(
        db,
        |p| {
            sqlx::query_as(
            "SELECT kind, level, rule_set_id, happened_on, by_label FROM hardship_event WHERE file_id = $1 ORDER BY id"
        )
        .bind(id.0)
        .fetch_all(p)
        .await
        }
    )?;
    let history = events
        .into_iter()
        .map(|(kind, level, rs, on, by)| {
            Ok(HistoryEntry {
                kind: coded(&kind)?,
                level: level.as_deref().map(coded).transpose()?,
                rule_set_id: rs.map(AssistanceRuleSetId),
                on,
                by,
                income_fen: None,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    Ok((row, history))
}

/// The full file, decrypted, for a reader with the assistance permission over its school.
/// Writes `hardship_file.view` to the audit log (who, which file; never the content).
pub async fn reveal(
    st: &Store,
    cap: &Cap<perm::AssistanceView>,
    who: &Who,
    id: HardshipFileId,
) -> Result<FullFile, StoreError> {
    let mut tx = st.db.begin().await?;
    let row = row_in_scope_tx(&mut tx, cap.scope(), id).await?;
    let enc: (Vec<u8>, Vec<u8>, Option<Vec<u8>>) = on_tx!(&mut tx, |c| sqlx::query_as(
        "SELECT household_enc, income_enc, exit_reason_enc FROM hardship_file WHERE id = $1"
    )
    .bind(id.0)
    .fetch_one(&mut *c)
    .await)?;
    let events: Vec<(
        i64,
        String,
        Option<String>,
        Option<i64>,
        NaiveDate,
        String,
        Option<Vec<u8>>,
    )> = on_tx!(&mut tx, |c| {
        sqlx::query_as(
        "SELECT id, kind, level, rule_set_id, happened_on, by_label, income_enc FROM hardship_event WHERE file_id = $1 ORDER BY id"
    )
    .bind(id.0)
    .fetch_all(&mut *c)
    .await
    })?;
    let mut ch = Changes::new();
    ch.personal("household", false);
    audit::append(
        &mut tx,
        &st.cipher,
        who,
        Event {
            action: "hardship_file.view",
            entity_type: "hardship_file",
            entity_id: Some(id.0),
            org_unit: Some(row.school_union_id),
            changes: &ch,
        },
    )
    .await?;
    tx.commit().await?;
    let household: Household =
        serde_json::from_str(&st.cipher.open_str(super::HOUSEHOLD.at(id.0), &enc.0)?)
            .map_err(|e| StoreError::Other(format!("hardship file {}: {e}", id.0)))?;
    let income_fen = decrypt_fen(st, super::FILE_INCOME.at(id.0), &enc.1)?;
    let exit_reason = enc
        .2
        .map(|r| st.cipher.open_str(super::EXIT_REASON.at(id.0), &r))
        .transpose()?;
    let history = events
        .into_iter()
        .map(|(event, kind, level, rs, on, by, inc)| {
            Ok(HistoryEntry {
                kind: coded(&kind)?,
                level: level.as_deref().map(coded).transpose()?,
                rule_set_id: rs.map(AssistanceRuleSetId),
                on,
                by,
                income_fen: inc
                    .map(|i| decrypt_fen(st, super::EVENT_INCOME.at(event), &i))
                    .transpose()?,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    Ok(FullFile {
        row,
        household,
        income_fen,
        exit_reason,
        history,
    })
}

fn decrypt_fen(st: &Store, slot: crate::crypto::Slot, enc: &[u8]) -> Result<i64, StoreError> {
    st.cipher
        .open_str(slot, enc)?
        .parse()
        .map_err(|_| StoreError::Other("an income that is not a number".into()))
}

fn encrypt_household(st: &Store, id: i64, h: &Household) -> Result<Vec<u8>, StoreError> {
    let json = serde_json::to_string(h).map_err(|e| StoreError::Other(e.to_string()))?;
    Ok(st.cipher.seal_str(super::HOUSEHOLD.at(id), &json))
}

/// Finds the member a person typed (`#12`, `12` or an exact name) among the active members
/// of the schools in scope.
pub(crate) async fn find_member(
    tx: &mut Tx,
    scope: &Scope,
    typed: &str,
) -> Result<(MemberId, OrgUnitId), StoreError> {
    let s = domain::roster::normalize(typed.trim());
    let s = s.trim_start_matches('#').trim();
    if s.is_empty() {
        return Err(StoreError::field("member", domain::text::REQUIRED));
    }
    let mut q = Sql::new("SELECT m.id, m.school_union_id, m.status FROM member m WHERE ");
    match s.parse::<i64>() {
        Ok(id) => q.push("m.id = ").bind(Arg::I64(id)),
        Err(_) => q
            .push("m.name = ")
            .bind(Arg::Text(domain::roster::normalize_name(s))),
    };
    crate::scope::restrict(&mut q, "m.school_union_id", scope);
    q.push(" ORDER BY m.id LIMIT 2");
    let found: Vec<(i64, i64, String)> = q.fetch_all_tx(tx).await?;
    match found.as_slice() {
        [] => Err(StoreError::field("member", t::MEMBER_UNKNOWN)),
        [(id, school, status)] => {
            if !coded::<domain::org::MemberStatus>(status)?.is_member() {
                return Err(StoreError::field("member", t::MEMBER_NOT_ACTIVE));
            }
            Ok((MemberId(*id), OrgUnitId(*school)))
        }
        _ => Err(StoreError::field("member", t::MEMBER_AMBIGUOUS)),
    }
}

#[allow(clippy::too_many_arguments)]
async fn event(
    tx: &mut Tx,
    st: &Store,
    file: HardshipFileId,
    kind: FileEvent,
    level: Option<HardshipLevel>,
    rule_set: Option<AssistanceRuleSetId>,
    income_fen: Option<i64>,
    on: NaiveDate,
    who: &Who,
) -> Result<(), StoreError> {
    // The id first: the income is bound to its row.
    let [event_id] = crate::db::reserve_ids(tx, "hardship_event", 1).await?[..] else {
        return Err(StoreError::Other("no id reserved".into()));
    };
    let income = income_fen.map(|i| {
        st.cipher
            .seal_str(super::EVENT_INCOME.at(event_id), &i.to_string())
    });
    on_tx!(tx, |c| {
        sqlx::query(
        "INSERT INTO hardship_event (id, file_id, kind, level, rule_set_id, income_enc, happened_on, by_label, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
    )
    .bind(event_id)
    .bind(file.0)
    .bind(kind.code())
    .bind(level.map(|l| l.code()))
    .bind(rule_set.map(|r| r.0))
    .bind(income)
    .bind(on)
    .bind(&who.label)
    .bind(now())
    .execute(&mut *c)
    .await
    .map(|_| ())
    })?;
    Ok(())
}

/// Writes the change's audit record and commits (`store::kit::audit_commit`).
async fn log_commit(
    tx: Tx,
    st: &Store,
    who: &Who,
    action: &str,
    file: HardshipFileId,
    school: OrgUnitId,
    changes: &Changes,
) -> Result<(), StoreError> {
    crate::kit::audit_commit(
        tx,
        &st.cipher,
        who,
        Event {
            action,
            entity_type: "hardship_file",
            entity_id: Some(file.0),
            org_unit: Some(school),
            changes,
        },
    )
    .await
}

/// A committee member drafts a file for a member of a school in scope. The income test
/// decides the level under the rules in force for the school (their version is recorded);
/// a household it finds not eligible, or a member who already has a file that is not
/// closed, is refused at the field and nothing is written.
pub async fn draft(
    st: &Store,
    cap: &Cap<perm::AssistanceDraft>,
    who: &Who,
    member: &str,
    h: &Household,
    today: NaiveDate,
) -> Result<HardshipFileId, StoreError> {
    let mut tx = st.db.begin().await?;
    let (member, school) = find_member(&mut tx, cap.scope(), member).await?;
    let open: Option<i64> = on_tx!(&mut tx, |c| sqlx::query_scalar(
        "SELECT id FROM hardship_file WHERE member_id = $1 AND status <> 'exited'"
    )
    .bind(member.0)
    .fetch_optional(&mut *c)
    .await)?;
    if open.is_some() {
        return Err(StoreError::field("member", t::FILE_ALREADY_OPEN));
    }
    let (rule_set, r) = rules::effective_tx(&mut tx, school).await?;
    let Verdict::Level(level) = income_test(h, &r) else {
        return Err(StoreError::Invalid(domain::FieldErrors(vec![
            not_eligible(h, &r),
        ])));
    };
    let income = h.per_person_fen();
    let ts = now();
    // The id first: the household and income are bound to their row.
    let [new_id] = crate::db::reserve_ids(&mut tx, "hardship_file", 1).await?[..] else {
        return Err(StoreError::Other("no id reserved".into()));
    };
    let id: i64 = on_tx!(&mut tx, |c| {
        sqlx::query_scalar(
        "INSERT INTO hardship_file (id, member_id, school_union_id, status, level, rule_set_id, household_enc, income_enc, drafted_on, drafted_by, created_at, updated_at)
         VALUES ($1, $2, $3, 'draft', $4, $5, $6, $7, $8, $9, $10, $10) RETURNING id"
    )
    .bind(new_id)
    .bind(member.0)
    .bind(school.0)
    .bind(level.code())
    .bind(rule_set.0)
    .bind(encrypt_household(st, new_id, h)?)
    .bind(st.cipher.seal_str(super::FILE_INCOME.at(new_id), &income.to_string()))
    .bind(today)
    .bind(who.account.map(|a| a.0))
    .bind(ts)
    .fetch_one(&mut *c)
    .await
    .map_err(unique_as("member", t::FILE_ALREADY_OPEN))
    })?;
    let id = HardshipFileId(id);
    event(
        &mut tx,
        st,
        id,
        FileEvent::Drafted,
        Some(level),
        Some(rule_set),
        Some(income),
        today,
        who,
    )
    .await?;
    let mut ch = Changes::new();
    ch.note("member", member.0)
        .note("status", FileStatus::Draft.code())
        .note("level", level.code())
        .note("rule_set", rule_set.0);
    ch.personal("household", true).personal("income", true);
    log_commit(tx, st, who, "hardship_file.draft", id, school, &ch).await?;
    Ok(id)
}

/// The school chair (or the district) confirms a draft: the file opens today and its
/// review falls due after the months of the rule-set version that decided its level.
pub async fn confirm(
    st: &Store,
    cap: &Cap<perm::AssistanceConfirm>,
    who: &Who,
    id: HardshipFileId,
    today: NaiveDate,
) -> Result<(), StoreError> {
    let mut tx = st.db.begin().await?;
    let row = row_in_scope_tx(&mut tx, cap.scope(), id).await?;
    if row.status != FileStatus::Draft {
        return Err(StoreError::field("status", t::NOT_A_DRAFT));
    }
    let r = rules::by_id_tx(&mut tx, row.rule_set_id).await?;
    let due = r.review_due(today);
    let n = on_tx!(&mut tx, |c| {
        sqlx::query(
        "UPDATE hardship_file SET status = 'open', opened_on = $1, confirmed_by = $2, review_due = $3, updated_at = $4 WHERE id = $5 AND status = 'draft'"
    )
    .bind(today)
    .bind(who.account.map(|a| a.0))
    .bind(due)
    .bind(now())
    .bind(id.0)
    .execute(&mut *c)
    .await
    .map(|r| r.rows_affected())
    })?;
    if n != 1 {
        return Err(StoreError::Stale);
    }
    event(
        &mut tx,
        st,
        id,
        FileEvent::Confirmed,
        Some(row.level),
        Some(row.rule_set_id),
        None,
        today,
        who,
    )
    .await?;
    let mut ch = Changes::new();
    ch.field(
        "status",
        Some(&FileStatus::Draft.code()),
        Some(&FileStatus::Open.code()),
    )
    .note("review_due", due.to_string());
    log_commit(
        tx,
        st,
        who,
        "hardship_file.confirm",
        id,
        row.school_union_id,
        &ch,
    )
    .await?;
    Ok(())
}

/// The yearly review of an open file: the household as it is now passes the income test
/// again under the rules in force today (their version recorded), and the review falls due
/// again. A household no longer eligible is refused with the figures; leave the file then.
pub async fn review(
    st: &Store,
    cap: &Cap<perm::AssistanceDraft>,
    who: &Who,
    id: HardshipFileId,
    h: &Household,
    today: NaiveDate,
) -> Result<HardshipLevel, StoreError> {
    let mut tx = st.db.begin().await?;
    let row = row_in_scope_tx(&mut tx, cap.scope(), id).await?;
    if row.status != FileStatus::Open {
        return Err(StoreError::field("status", t::NOT_OPEN));
    }
    let (rule_set, r) = rules::effective_tx(&mut tx, row.school_union_id).await?;
    let Verdict::Level(level) = income_test(h, &r) else {
        return Err(StoreError::Invalid(domain::FieldErrors(vec![
            not_eligible(h, &r),
        ])));
    };
    let income = h.per_person_fen();
    let due = r.review_due(today);
    on_tx!(&mut tx, |c| {
        sqlx::query(
        "UPDATE hardship_file SET level = $1, rule_set_id = $2, household_enc = $3, income_enc = $4, review_due = $5, updated_at = $6 WHERE id = $7"
    )
    .bind(level.code())
    .bind(rule_set.0)
    .bind(encrypt_household(st, id.0, h)?)
    .bind(st.cipher.seal_str(super::FILE_INCOME.at(id.0), &income.to_string()))
    .bind(due)
    .bind(now())
    .bind(id.0)
    .execute(&mut *c)
    .await
    .map(|_| ())
    })?;
    event(
        &mut tx,
        st,
        id,
        FileEvent::Reviewed,
        Some(level),
        Some(rule_set),
        Some(income),
        today,
        who,
    )
    .await?;
    let mut ch = Changes::new();
    ch.field("level", Some(&row.level.code()), Some(&level.code()))
        .field(
            "review_due",
            row.review_due.map(|d| d.to_string()).as_ref(),
            Some(&due.to_string()),
        )
        .note("rule_set", rule_set.0);
    ch.personal("household", true).personal("income", true);
    log_commit(
        tx,
        st,
        who,
        "hardship_file.review",
        id,
        row.school_union_id,
        &ch,
    )
    .await?;
    Ok(level)
}

/// Leaves a file (脱困) with a reason (encrypted). The file and its history stay.
pub async fn exit(
    st: &Store,
    cap: &Cap<perm::AssistanceDraft>,
    who: &Who,
    id: HardshipFileId,
    reason: &str,
    today: NaiveDate,
) -> Result<(), StoreError> {
    let reason =
        parse_exit_reason(reason).map_err(|e| StoreError::Invalid(domain::FieldErrors(vec![e])))?;
    let mut tx = st.db.begin().await?;
    let row = row_in_scope_tx(&mut tx, cap.scope(), id).await?;
    if row.status == FileStatus::Exited {
        return Err(StoreError::field("status", t::NOT_OPEN));
    }
    on_tx!(&mut tx, |c| {
        sqlx::query(
        "UPDATE hardship_file SET status = 'exited', exited_on = $1, exit_reason_enc = $2, updated_at = $3 WHERE id = $4"
    )
    .bind(today)
    .bind(st.cipher.seal_str(super::EXIT_REASON.at(id.0), &reason))
    .bind(now())
    .bind(id.0)
    .execute(&mut *c)
    .await
    .map(|_| ())
    })?;
    event(
        &mut tx,
        st,
        id,
        FileEvent::Exited,
        None,
        None,
        None,
        today,
        who,
    )
    .await?;
    let mut ch = Changes::new();
    ch.field(
        "status",
        Some(&row.status.code()),
        Some(&FileStatus::Exited.code()),
    );
    ch.personal("exit_reason", true);
    log_commit(
        tx,
        st,
        who,
        "hardship_file.exit",
        id,
        row.school_union_id,
        &ch,
    )
    .await?;
    Ok(())
}

/// A retiree's round birthday in a range.
#[derive(Clone, Debug, PartialEq)]
pub struct Birthday {
    pub member_id: MemberId,
    pub name: String,
    pub school_name: String,
    pub day: NaiveDate,
    pub age: u32,
}

/// Retirees of the schools in scope whose 70th, 80th, 90th or later-than-90th birthday falls
/// between `from` and `to` (at most [`BIRTHDAY_RANGE_DAYS`] apart), by day then name. One
/// query: the retirees old enough, the rest decided in memory.
pub async fn birthdays(
    db: &Db,
    cap: &Cap<perm::AssistanceView>,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<Birthday>, StoreError> {
    if to < from || (to - from).num_days() > BIRTHDAY_RANGE_DAYS {
        return Err(StoreError::field("to", t::BIRTHDAY_RANGE_INVALID));
    }
    let Some(born_by) = to.checked_sub_months(chrono::Months::new(70 * 12)) else {
        return Ok(Vec::new());
    };
    let mut q = Sql::new(
        "SELECT m.id, m.name, s.name, m.birth_date FROM member m JOIN org_unit s ON s.id = m.school_union_id WHERE m.status = 'retired' AND m.birth_date <= ",
    );
    q.bind(Arg::Date(born_by));
    crate::scope::restrict(&mut q, "m.school_union_id", cap.scope());
    q.push(" ORDER BY m.id");
    let rows: Vec<(i64, String, String, NaiveDate)> = q.fetch_all(db).await?;
    let mut out: Vec<Birthday> = rows
        .into_iter()
        .filter_map(|(id, name, school_name, birth)| {
            milestone_birthday(birth, from, to).map(|(day, age)| Birthday {
                member_id: MemberId(id),
                name,
                school_name,
                day,
                age,
            })
        })
        .collect();
    out.sort_by(|a, b| a.day.cmp(&b.day).then_with(|| a.name.cmp(&b.name)));
    Ok(out)
}

/// [`birthdays`] for an export (.xlsx): the same rows, after an audit record
/// (`retiree_birthdays.export`: the range and the row count, no name).
pub async fn birthdays_export(
    st: &Store,
    cap: &Cap<perm::AssistanceView>,
    who: &Who,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<Birthday>, StoreError> {
    let rows = birthdays(&st.db, cap, from, to).await?;
    let mut tx = st.db.begin().await?;
    let mut ch = Changes::new();
    ch.note("from", from.to_string())
        .note("to", to.to_string())
        .note("rows", rows.len());
    audit::append(
        &mut tx,
        &st.cipher,
        who,
        Event {
            action: "retiree_birthdays.export",
            entity_type: "member",
            entity_id: None,
            org_unit: cap.scope().roots().and_then(|r| r.first().copied()),
            changes: &ch,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(rows)
}
