//! Attendance at a meeting: check-in (a delegate on their phone, a one-time code from the
//! delegate card, or staff at the door), late arrivals, leaving early, excused absences, the
//! one-time codes themselves (only their SHA-256 is stored), the roster for the door and the
//! aggregate counts of the attendance board.
//!
//! Only voting delegates count towards the quorum; observers and invited guests check in
//! too and are counted apart. A check-in is idempotent: the second one reports the first.

use super::meetings::{Meeting, Viewer, tx_meeting};
use super::{coded, invalid, log, log_commit};
use crate::audit::Who;
use crate::crypto::token_hash;
use crate::db::{Arg, Sql, Tx, now};
use crate::{Db, Store, StoreError, on_tx};
use chrono::{DateTime, Utc};
use domain::audit::Changes;
use domain::auth::{Cap, perm};
use domain::congress::{
    Acting, CheckInMethod, DelegateId, DelegateKind, MeetingId, MeetingStatus, TermId,
};
use domain::ids::OrgUnitId;
use domain::org::Coded;
use domain::rules::{Attendance, QuorumState, RuleSet};
use domain::text as t;
use rand::RngCore;

/// The numbers of the attendance board.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Voting delegates: total, excused, present now (checked in and not left).
    pub attendance: Attendance,
    /// Voting delegates who checked in at all.
    pub attended: u32,
    pub late: u32,
    pub left: u32,
    /// Observers and invited guests present now.
    pub others_present: u32,
}

#[derive(sqlx::FromRow)]
struct CountRow {
    total: i64,
    excused: i64,
    present: i64,
    attended: i64,
    late: i64,
    left_early: i64,
    others: i64,
}

const COUNTS: &str = "SELECT
    (SELECT COUNT(*) FROM delegate d WHERE d.term_id = $2 AND d.ended_on IS NULL AND d.kind = 'delegate') AS total,
    (SELECT COUNT(*) FROM meeting_excuse e JOIN delegate d ON d.id = e.delegate_id
      WHERE e.meeting_id = $1 AND d.kind = 'delegate' AND d.ended_on IS NULL
      AND NOT EXISTS (SELECT 1 FROM check_in x WHERE x.meeting_id = $1 AND x.delegate_id = e.delegate_id)) AS excused,
    COALESCE(SUM(CASE WHEN d.kind = 'delegate' AND c.left_at IS NULL THEN 1 ELSE 0 END), 0) AS present,
    COALESCE(SUM(CASE WHEN d.kind = 'delegate' THEN 1 ELSE 0 END), 0) AS attended,
    COALESCE(SUM(CASE WHEN d.kind = 'delegate' AND c.late THEN 1 ELSE 0 END), 0) AS late,
    COALESCE(SUM(CASE WHEN d.kind = 'delegate' AND c.left_at IS NOT NULL THEN 1 ELSE 0 END), 0) AS left_early,
    COALESCE(SUM(CASE WHEN d.kind <> 'delegate' AND c.left_at IS NULL THEN 1 ELSE 0 END), 0) AS others
    FROM check_in c JOIN delegate d ON d.id = c.delegate_id WHERE c.meeting_id = $1";

fn u(v: i64) -> u32 {
    u32::try_from(v.max(0)).unwrap_or(u32::MAX)
}

impl CountRow {
    fn counts(self) -> Counts {
        Counts {
            attendance: Attendance {
                total: u(self.total),
                excused: u(self.excused),
                present: u(self.present),
            },
            attended: u(self.attended),
            late: u(self.late),
            left: u(self.left_early),
            others_present: u(self.others),
        }
    }
}

pub(crate) async fn tx_counts(
    tx: &mut Tx,
    meeting: MeetingId,
    term: TermId,
) -> Result<Counts, StoreError> {
    let r: CountRow = on_tx!(tx, |c| sqlx::query_as(COUNTS)
        .bind(meeting.0)
        .bind(term.0)
        .fetch_one(&mut *c)
        .await)?;
    Ok(r.counts())
}

/// The board of a meeting the caller has read (one query, aggregates only).
pub async fn counts(db: &Db, m: &Meeting) -> Result<Counts, StoreError> {
    let r: CountRow = crate::on_db!(db, |p| sqlx::query_as(COUNTS)
        .bind(m.id.0)
        .bind(m.term_id.0)
        .fetch_one(p)
        .await)?;
    Ok(r.counts())
}

/// What the attendance board shows: the counts, and the quorum under the school's rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Board {
    pub counts: Counts,
    pub quorum: QuorumState,
    pub rules: RuleSet,
}

/// The board of a meeting: two queries (the counts and the rules).
pub async fn board(db: &Db, m: &Meeting) -> Result<Board, StoreError> {
    let counts = counts(db, m).await?;
    let rules = super::rules::effective_checked(db, m.school_union_id)
        .await?
        .rules;
    Ok(Board {
        counts,
        quorum: domain::rules::quorum(&counts.attendance, &rules),
        rules,
    })
}

/// The result of a check-in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Recorded {
        late: bool,
    },
    /// Already checked in, at this time; nothing changed.
    Already {
        at: DateTime<Utc>,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckedIn {
    pub outcome: Outcome,
    pub delegate: DelegateId,
    pub delegate_name: String,
    pub kind: DelegateKind,
    pub meeting: MeetingId,
    pub school: OrgUnitId,
    /// A fresh voting code, only on a delegate's first check-in on their own phone: to be
    /// shown this once, on that phone (`self_check_in`).
    pub code: Option<String>,
}

async fn tx_check_in(
    tx: &mut Tx,
    st: &Store,
    who: &Who,
    m: &Meeting,
    delegate: DelegateId,
    method: CheckInMethod,
) -> Result<CheckedIn, StoreError> {
    if m.status != MeetingStatus::Open {
        return Err(invalid("meeting", t::MEETING_NOT_OPEN));
    }
    let row: Option<(String, String)> = on_tx!(tx, |c| {
        sqlx::query_as(
        "SELECT m.name, d.kind FROM delegate d JOIN member m ON m.id = d.member_id WHERE d.id = $1 AND d.term_id = $2 AND d.ended_on IS NULL"
    )
    .bind(delegate.0)
    .bind(m.term_id.0)
    .fetch_optional(&mut *c)
    .await
    })?;
    let Some((name, kind)) = row else {
        return Err(invalid("delegate", t::NOT_A_DELEGATE));
    };
    let ts = now();
    let late = m.starts_at.is_some_and(|s| ts > s);
    let n = on_tx!(tx, |c| {
        sqlx::query(
        "INSERT INTO check_in (meeting_id, delegate_id, at, method, late, left_at, recorded_by) VALUES ($1, $2, $3, $4, $5, NULL, $6)
         ON CONFLICT (meeting_id, delegate_id) DO NOTHING"
    )
    .bind(m.id.0)
    .bind(delegate.0)
    .bind(ts)
    .bind(method.code())
    .bind(late)
    .bind(who.account.map(|a| a.0))
    .execute(&mut *c)
    .await
    .map(|r| r.rows_affected())
    })?;
    let outcome = if n == 0 {
        let at: DateTime<Utc> = on_tx!(tx, |c| sqlx::query_scalar(
            "SELECT at FROM check_in WHERE meeting_id = $1 AND delegate_id = $2"
        )
        .bind(m.id.0)
        .bind(delegate.0)
        .fetch_one(&mut *c)
        .await)?;
        Outcome::Already { at }
    } else {
        let mut ch = Changes::new();
        ch.field("meeting_id", None, Some(&m.id.0))
            .field("method", None, Some(&method.code()))
            .field("late", None, Some(&late));
        log(
            tx,
            &st.cipher,
            who,
            "check_in.create",
            ("delegate", delegate.0),
            m.school_union_id,
            &ch,
        )
        .await?;
        Outcome::Recorded { late }
    };
    Ok(CheckedIn {
        outcome,
        delegate,
        delegate_name: name,
        kind: coded(&kind)?,
        meeting: m.id,
        school: m.school_union_id,
        code: None,
    })
}

/// A delegate checks themselves in on their phone. A first check-in also gives them a fresh
/// voting code, returned once in [`CheckedIn::code`] to be shown on that phone: it replaces
/// the printed card, whose unused code is deleted, so whoever printed the cards holds no
/// code of this delegate. The fresh code is recorded as used at this check-in (by the
/// delegate's account, from the phone's address), never linked to a ballot.
pub async fn self_check_in(
    st: &Store,
    acting: &Acting<perm::CongressAttend>,
    who: &Who,
    meeting: MeetingId,
) -> Result<CheckedIn, StoreError> {
    let mut tx = st.db.begin().await?;
    let m = tx_meeting(&mut tx, Viewer::attendee(acting), meeting).await?;
    let (delegate, _) = super::terms::tx_current_mandate(&mut tx, m.term_id, acting.member())
        .await?
        .ok_or_else(|| invalid("delegate", t::NOT_A_DELEGATE))?;
    let r = tx_check_in(&mut tx, st, who, &m, delegate, CheckInMethod::Phone).await?;
    // The printed card of someone who checked in on their own phone stops working: whoever
    // printed it cannot use it for them afterwards (they vote logged in).
    on_tx!(&mut tx, |c| sqlx::query(
        "DELETE FROM check_in_code WHERE meeting_id = $1 AND delegate_id = $2 AND used_at IS NULL"
    )
    .bind(m.id.0)
    .bind(delegate.0)
    .execute(&mut *c)
    .await
    .map(|r| r.rows_affected()))?;
    let mut r = r;
    if matches!(r.outcome, Outcome::Recorded { .. }) && r.kind.votes() {
        let code = {
            let mut b = [0u8; 16];
            rand::rng().fill_bytes(&mut b);
            domain::congress::code_from_random(&b)
        };
        let ts = now();
        on_tx!(&mut tx, |c| {
            sqlx::query(
            "INSERT INTO check_in_code (code_hash, meeting_id, delegate_id, created_at, used_at, used_by, used_from, on_phone) VALUES ($1, $2, $3, $4, $4, $5, $6, TRUE)"
        )
        .bind(code_hash(&code))
        .bind(m.id.0)
        .bind(delegate.0)
        .bind(ts)
        .bind(who.account.map(|a| a.0))
        .bind(&who.label)
        .execute(&mut *c)
        .await
        .map(|r| r.rows_affected())
        })?;
        r.code = Some(code);
    }
    tx.commit().await?;
    Ok(r)
}

/// Staff check a delegate in at the door.
pub async fn staff_check_in(
    st: &Store,
    cap: &Cap<perm::CongressManage>,
    who: &Who,
    meeting: MeetingId,
    delegate: DelegateId,
) -> Result<CheckedIn, StoreError> {
    let mut tx = st.db.begin().await?;
    let m = tx_meeting(&mut tx, Viewer::manage(cap), meeting).await?;
    let r = tx_check_in(&mut tx, st, who, &m, delegate, CheckInMethod::Staff).await?;
    tx.commit().await?;
    Ok(r)
}

pub(crate) fn code_hash(code: &str) -> Vec<u8> {
    token_hash(&format!("jiaogong check-in {code}"))
}

/// Checks in with a one-time code: typed or scanned by the delegate (no login), or entered
/// by staff at the desk of `desk` (then a code of another meeting is refused as foreign).
/// A used, unknown or foreign code changes nothing.
pub async fn code_check_in(
    st: &Store,
    who: &Who,
    code: &str,
    desk: Option<(&Cap<perm::CongressManage>, MeetingId)>,
) -> Result<CheckedIn, StoreError> {
    let mut tx = st.db.begin().await?;
    if let Some((cap, id)) = desk {
        // The desk itself must be in scope before anything about the code is said.
        tx_meeting(&mut tx, Viewer::manage(cap), id).await?;
    }
    let Some(code) = domain::congress::normalize_code(code) else {
        return Err(invalid("code", t::CODE_UNKNOWN));
    };
    let hash = code_hash(&code);
    let row: Option<(i64, i64, Option<DateTime<Utc>>)> = on_tx!(&mut tx, |c| sqlx::query_as(
        "SELECT meeting_id, delegate_id, used_at FROM check_in_code WHERE code_hash = $1"
    )
    .bind(&hash)
    .fetch_optional(&mut *c)
    .await)?;
    let Some((meeting, delegate, used)) = row else {
        return Err(invalid("code", t::CODE_UNKNOWN));
    };
    if let Some((_, id)) = desk
        && id.0 != meeting
    {
        return Err(invalid("code", t::CODE_FOREIGN));
    }
    if used.is_some() {
        return Err(invalid("code", t::CODE_USED));
    }
    // The code is the credential: reading its meeting needs no further scope.
    let m = tx_meeting(&mut tx, Viewer::checked(), MeetingId(meeting)).await?;
    if m.status != MeetingStatus::Open {
        return Err(invalid("code", t::MEETING_NOT_OPEN));
    }
    // Someone already present (checked in by name at the desk, or on their phone) is not
    // checked in again, and the card stays unused: a card votes only if it was itself the
    // way in, so printing a card and checking its delegate in by name is not a vote.
    let present: Option<DateTime<Utc>> = on_tx!(&mut tx, |c| sqlx::query_scalar(
        "SELECT at FROM check_in WHERE meeting_id = $1 AND delegate_id = $2"
    )
    .bind(meeting)
    .bind(delegate)
    .fetch_optional(&mut *c)
    .await)?;
    if present.is_some() {
        // Answers "already checked in at …" and changes nothing.
        let r = tx_check_in(
            &mut tx,
            st,
            who,
            &m,
            DelegateId(delegate),
            CheckInMethod::Code,
        )
        .await?;
        tx.commit().await?;
        return Ok(r);
    }
    // Who used the code and from where (the desk's account, or the phone's address in the
    // label): recorded with the check-in, never with a ballot.
    let n = on_tx!(&mut tx, |c| {
        sqlx::query(
        "UPDATE check_in_code SET used_at = $1, used_by = $3, used_from = $4 WHERE code_hash = $2 AND used_at IS NULL"
    )
    .bind(now())
    .bind(&hash)
    .bind(who.account.map(|a| a.0))
    .bind(&who.label)
    .execute(&mut *c)
    .await
    .map(|r| r.rows_affected())
    })?;
    if n == 0 {
        return Err(invalid("code", t::CODE_USED));
    }
    let r = tx_check_in(
        &mut tx,
        st,
        who,
        &m,
        DelegateId(delegate),
        CheckInMethod::Code,
    )
    .await?;
    tx.commit().await?;
    Ok(r)
}

/// Records that a delegate left before the end.
pub async fn mark_left(
    st: &Store,
    cap: &Cap<perm::CongressManage>,
    who: &Who,
    meeting: MeetingId,
    delegate: DelegateId,
) -> Result<(), StoreError> {
    let mut tx = st.db.begin().await?;
    let m = tx_meeting(&mut tx, Viewer::manage(cap), meeting).await?;
    if m.status != MeetingStatus::Open {
        return Err(invalid("meeting", t::MEETING_NOT_OPEN));
    }
    let n = on_tx!(&mut tx, |c| {
        sqlx::query(
        "UPDATE check_in SET left_at = $1 WHERE meeting_id = $2 AND delegate_id = $3 AND left_at IS NULL"
    )
    .bind(now())
    .bind(meeting.0)
    .bind(delegate.0)
    .execute(&mut *c)
    .await
    .map(|r| r.rows_affected())
    })?;
    if n == 0 {
        return Err(invalid("delegate", t::STEP_NOT_ALLOWED));
    }
    let mut ch = Changes::new();
    ch.field("meeting_id", None, Some(&meeting.0))
        .note("left", true);
    log(
        &mut tx,
        &st.cipher,
        who,
        "check_in.left",
        ("delegate", delegate.0),
        m.school_union_id,
        &ch,
    )
    .await?;
    tx.commit().await
}

/// Records an excused absence (请假) of a delegate who has not checked in.
pub async fn excuse(
    st: &Store,
    cap: &Cap<perm::CongressManage>,
    who: &Who,
    meeting: MeetingId,
    delegate: DelegateId,
    reason: Option<String>,
) -> Result<(), StoreError> {
    let mut tx = st.db.begin().await?;
    let m = tx_meeting(&mut tx, Viewer::manage(cap), meeting).await?;
    if m.status == MeetingStatus::Closed {
        return Err(invalid("meeting", t::MEETING_CLOSED));
    }
    let current: Option<i64> = on_tx!(&mut tx, |c| sqlx::query_scalar(
        "SELECT id FROM delegate WHERE id = $1 AND term_id = $2 AND ended_on IS NULL"
    )
    .bind(delegate.0)
    .bind(m.term_id.0)
    .fetch_optional(&mut *c)
    .await)?;
    if current.is_none() {
        return Err(invalid("delegate", t::NOT_A_DELEGATE));
    }
    let checked: Option<i64> = on_tx!(&mut tx, |c| sqlx::query_scalar(
        "SELECT delegate_id FROM check_in WHERE meeting_id = $1 AND delegate_id = $2"
    )
    .bind(meeting.0)
    .bind(delegate.0)
    .fetch_optional(&mut *c)
    .await)?;
    if checked.is_some() {
        return Err(invalid("delegate", t::STEP_NOT_ALLOWED));
    }
    on_tx!(&mut tx, |c| {
        sqlx::query(
        "INSERT INTO meeting_excuse (meeting_id, delegate_id, reason, recorded_at, recorded_by) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (meeting_id, delegate_id) DO UPDATE SET reason = excluded.reason"
    )
    .bind(meeting.0)
    .bind(delegate.0)
    .bind(&reason)
    .bind(now())
    .bind(who.account.map(|a| a.0))
    .execute(&mut *c)
    .await
    .map(|r| r.rows_affected())
    })?;
    let mut ch = Changes::new();
    ch.field("meeting_id", None, Some(&meeting.0))
        .field("reason", None, reason.as_ref());
    log(
        &mut tx,
        &st.cipher,
        who,
        "meeting_excuse.create",
        ("delegate", delegate.0),
        m.school_union_id,
        &ch,
    )
    .await?;
    tx.commit().await
}

/// One line of the roster at the door.
#[derive(Clone, Debug, PartialEq)]
pub struct RosterRow {
    pub delegate: DelegateId,
    pub name: String,
    pub kind: DelegateKind,
    pub delegation: Option<String>,
    pub at: Option<DateTime<Utc>>,
    pub method: Option<CheckInMethod>,
    pub late: bool,
    pub left_at: Option<DateTime<Utc>>,
    pub excused: bool,
    pub excuse_reason: Option<String>,
}

#[derive(sqlx::FromRow)]
struct RRow {
    id: i64,
    name: String,
    kind: String,
    delegation: Option<String>,
    at: Option<DateTime<Utc>>,
    method: Option<String>,
    late: Option<bool>,
    left_at: Option<DateTime<Utc>>,
    excused_at: Option<DateTime<Utc>>,
    excuse_reason: Option<String>,
}

/// Every current delegate of the meeting's term with their attendance (one query).
pub async fn roster(
    db: &Db,
    v: Viewer<'_>,
    meeting: MeetingId,
) -> Result<Vec<RosterRow>, StoreError> {
    let m = super::meetings::get_meeting(db, v, meeting).await?;
    let rows: Vec<RRow> = crate::on_db!(db, |p| {
        sqlx::query_as(
        "SELECT d.id, m.name, d.kind, g.name AS delegation, c.at, c.method, c.late, c.left_at, e.recorded_at AS excused_at, e.reason AS excuse_reason
         FROM delegate d JOIN member m ON m.id = d.member_id LEFT JOIN delegation g ON g.id = d.delegation_id
         LEFT JOIN check_in c ON c.meeting_id = $1 AND c.delegate_id = d.id
         LEFT JOIN meeting_excuse e ON e.meeting_id = $1 AND e.delegate_id = d.id
         WHERE d.term_id = $2 AND (d.ended_on IS NULL OR c.delegate_id IS NOT NULL)
         ORDER BY COALESCE(g.sort_order, 999999), d.delegation_id, CASE d.kind WHEN 'delegate' THEN 0 WHEN 'observer' THEN 1 ELSE 2 END, m.name_pinyin, d.id"
    )
    .bind(meeting.0)
    .bind(m.term_id.0)
    .fetch_all(p)
    .await
    })?;
    rows.into_iter()
        .map(|r| {
            Ok(RosterRow {
                delegate: DelegateId(r.id),
                name: r.name,
                kind: coded(&r.kind)?,
                delegation: r.delegation,
                at: r.at,
                method: super::opt_coded(r.method.as_deref())?,
                late: r.late.unwrap_or(false),
                left_at: r.left_at,
                excused: r.excused_at.is_some(),
                excuse_reason: r.excuse_reason,
            })
        })
        .collect()
}

/// The check-in state of one delegate (the delegate's own phone page).
pub async fn own_check_in(
    db: &Db,
    acting: &Acting<perm::CongressAttend>,
    meeting: MeetingId,
) -> Result<(DelegateKind, Option<DateTime<Utc>>), StoreError> {
    let m = super::meetings::get_meeting(db, Viewer::attendee(acting), meeting).await?;
    let row: Option<(String, Option<DateTime<Utc>>)> = crate::on_db!(db, |p| {
        sqlx::query_as(
        "SELECT d.kind, c.at FROM delegate d LEFT JOIN check_in c ON c.meeting_id = $1 AND c.delegate_id = d.id
         WHERE d.term_id = $2 AND d.member_id = $3 AND d.ended_on IS NULL"
    )
    .bind(meeting.0)
    .bind(m.term_id.0)
    .bind(acting.member().0)
    .fetch_optional(p)
    .await
    })?;
    let (kind, at) = row.ok_or(StoreError::NotFound)?;
    Ok((coded(&kind)?, at))
}

/// A delegate card with its one-time code, shown once when printed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Card {
    pub delegate: DelegateId,
    pub name: String,
    pub kind: DelegateKind,
    pub delegation: Option<String>,
    pub code: String,
}

/// Printed cards that still work: the unused codes of the meeting (or of one delegate) that
/// printing again would void. The meeting must be in the manager's scope (one query).
pub async fn unused_codes(
    db: &Db,
    cap: &Cap<perm::CongressManage>,
    meeting: MeetingId,
    only: Option<DelegateId>,
) -> Result<i64, StoreError> {
    let m = super::meetings::get_meeting(db, Viewer::manage(cap), meeting).await?;
    let mut sql =
        Sql::new("SELECT COUNT(*) FROM check_in_code WHERE used_at IS NULL AND meeting_id = ");
    sql.bind(Arg::I64(m.id.0));
    if let Some(d) = only {
        sql.push(" AND delegate_id = ").bind(Arg::I64(d.0));
    }
    let (n,): (i64,) = sql.fetch_one(db).await?;
    Ok(n)
}

/// Makes new one-time codes for every current delegate of the meeting's term (or for one),
/// replacing their unused codes: a lost card is reprinted and the old one stops working.
/// The codes are returned once, for printing; the database keeps only their hashes.
pub async fn issue_codes(
    st: &Store,
    cap: &Cap<perm::CongressManage>,
    who: &Who,
    meeting: MeetingId,
    only: Option<DelegateId>,
) -> Result<Vec<Card>, StoreError> {
    let mut tx = st.db.begin().await?;
    let m = tx_meeting(&mut tx, Viewer::manage(cap), meeting).await?;
    if m.status == MeetingStatus::Closed {
        return Err(invalid("meeting", t::MEETING_CLOSED));
    }
    let mut sql = Sql::new(
        "SELECT d.id, m.name, d.kind, g.name FROM delegate d JOIN member m ON m.id = d.member_id LEFT JOIN delegation g ON g.id = d.delegation_id
         WHERE d.ended_on IS NULL AND d.term_id = ",
    );
    sql.bind(Arg::I64(m.term_id.0));
    if let Some(d) = only {
        sql.push(" AND d.id = ").bind(Arg::I64(d.0));
    }
    sql.push(" ORDER BY COALESCE(g.sort_order, 999999), d.delegation_id, m.name_pinyin, d.id");
    let people: Vec<(i64, String, String, Option<String>)> = sql.fetch_all_tx(&mut tx).await?;
    if only.is_some() && people.is_empty() {
        return Err(StoreError::NotFound);
    }
    let mut del = Sql::new("DELETE FROM check_in_code WHERE used_at IS NULL AND meeting_id = ");
    del.bind(Arg::I64(meeting.0));
    if let Some(d) = only {
        del.push(" AND delegate_id = ").bind(Arg::I64(d.0));
    }
    del.execute_tx(&mut tx).await?;
    let ts = now();
    let mut cards = Vec::with_capacity(people.len());
    // The thread's generator must not live across an await.
    let codes: Vec<String> = {
        let mut rng = rand::rng();
        people
            .iter()
            .map(|_| {
                let mut b = [0u8; 16];
                rng.fill_bytes(&mut b);
                domain::congress::code_from_random(&b)
            })
            .collect()
    };
    let mut codes = codes.into_iter();
    for chunk in people.chunks(200) {
        let mut ins = Sql::new(
            "INSERT INTO check_in_code (code_hash, meeting_id, delegate_id, created_at) VALUES ",
        );
        for (i, (id, name, kind, delegation)) in chunk.iter().enumerate() {
            let code = codes.next().unwrap_or_default();
            if i > 0 {
                ins.push(", ");
            }
            ins.push("(");
            ins.bind_list([
                Arg::Bytes(code_hash(&code)),
                Arg::I64(meeting.0),
                Arg::I64(*id),
                Arg::Ts(ts),
            ]);
            ins.push(")");
            cards.push(Card {
                delegate: DelegateId(*id),
                name: name.clone(),
                kind: coded(kind)?,
                delegation: delegation.clone(),
                code,
            });
        }
        if !chunk.is_empty() {
            ins.execute_tx(&mut tx).await?;
        }
    }
    let mut ch = Changes::new();
    ch.field("meeting_id", None, Some(&meeting.0))
        .note("codes", cards.len() as u64);
    log_commit(
        tx,
        &st.cipher,
        who,
        "check_in_code.issue",
        ("congress_meeting", meeting.0),
        m.school_union_id,
        &ch,
    )
    .await?;
    Ok(cards)
}
