//! Meetings (第N次会议) of a term: date, place, status, the proposal collection window, the
//! agenda, the documents attached to it, and the presidium, scrutineers and tellers.
//!
//! Staff with the school in scope read and manage meetings; delegates (and observers) of the
//! term read them through [`Viewer::attendee`], as themselves. Documents are stored as they
//! came, never opened, and only ever handed back as downloads.

use super::{coded, invalid, log, log_commit, opt_coded};
use crate::audit::Who;
use crate::db::{Arg, Sql, Tx, now};
use crate::{Db, Store, StoreError, on_tx};
use chrono::{DateTime, NaiveDate, Utc};
use domain::audit::Changes;
use domain::auth::{Cap, Scope, perm};
use domain::congress::{
    Acting, AgendaDraft, AgendaItemId, AgendaKind, CongressMode, DocKind, DocumentId, MeetingDraft,
    MeetingId, MeetingKind, MeetingRole, MeetingStatus, RuleSetId, TermId,
};
use domain::ids::{MemberId, OrgUnitId};
use domain::org::Coded;
use domain::rules::Attendance;
use domain::text as t;
use sha2::{Digest, Sha256};

/// Who reads a meeting, and through it its polls: staff with the school in scope, or a
/// delegate of the term. The one name for "who is reading" in the congress and voting
/// areas. Made only from a capability (or, inside `store`, for a step already checked), so
/// no caller can hand in a bare scope.
#[derive(Clone, Copy, Debug)]
pub struct Viewer<'a>(Sight<'a>);

#[derive(Clone, Copy, Debug)]
pub(crate) enum Sight<'a> {
    Staff(&'a Scope),
    Attendee { member: MemberId, scope: &'a Scope },
}

/// The scope of reads made inside `store` after their own check.
static EVERYTHING: Scope = Scope::All;

impl<'a> Viewer<'a> {
    pub fn view(cap: &'a Cap<perm::CongressView>) -> Viewer<'a> {
        Viewer(Sight::Staff(cap.scope()))
    }
    pub fn manage(cap: &'a Cap<perm::CongressManage>) -> Viewer<'a> {
        Viewer(Sight::Staff(cap.scope()))
    }
    pub fn attendee(a: &'a Acting<perm::CongressAttend>) -> Viewer<'a> {
        Viewer(Sight::Attendee {
            member: a.member(),
            scope: a.cap().scope(),
        })
    }
    /// A member acting as themselves under another permission (proposing, seconding).
    pub(crate) fn acting<P: perm::Perm>(a: &'a Acting<P>) -> Viewer<'a> {
        Viewer(Sight::Attendee {
            member: a.member(),
            scope: a.cap().scope(),
        })
    }
    /// Inside `store` only: a read that is part of a step whose access was checked before
    /// (the ballot box after `prepare`, a check-in by a one-time code).
    pub(crate) fn checked() -> Viewer<'static> {
        Viewer(Sight::Staff(&EVERYTHING))
    }

    /// Whether this is a delegate reading as themselves.
    pub fn is_attendee(&self) -> bool {
        matches!(self.0, Sight::Attendee { .. })
    }

    /// Appends the access condition on a query over `congress_meeting mt`.
    pub(crate) fn restrict(&self, sql: &mut Sql) {
        match self.0 {
            Sight::Staff(scope) => crate::scope::restrict(sql, "mt.school_union_id", scope),
            Sight::Attendee { member, scope } => {
                crate::scope::restrict(sql, "mt.school_union_id", scope);
                sql.push(" AND EXISTS (SELECT 1 FROM delegate dv WHERE dv.term_id = mt.term_id AND dv.ended_on IS NULL AND dv.member_id = ")
                    .bind(Arg::I64(member.0))
                    .push(")");
            }
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Meeting {
    pub id: MeetingId,
    pub term_id: TermId,
    pub term_number: i64,
    pub mode: CongressMode,
    pub school_union_id: OrgUnitId,
    pub school_name: String,
    pub number: i64,
    pub kind: MeetingKind,
    pub meeting_date: NaiveDate,
    pub starts_at: Option<DateTime<Utc>>,
    pub place: String,
    pub status: MeetingStatus,
    pub proposals_from: Option<NaiveDate>,
    pub proposals_until: Option<NaiveDate>,
    pub opened_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    /// Attendance and quorum when the meeting closed.
    pub final_attendance: Option<Attendance>,
    pub final_quorum: Option<bool>,
    pub final_rule_set_id: Option<RuleSetId>,
}

impl Meeting {
    /// Whether proposals may be submitted on `today`.
    pub fn collecting(&self, today: NaiveDate) -> bool {
        self.status != MeetingStatus::Closed
            && self.proposals_from.is_none_or(|f| f <= today)
            && self.proposals_until.is_none_or(|u| today <= u)
    }
}

#[derive(sqlx::FromRow)]
struct MeetingRow {
    id: i64,
    term_id: i64,
    term_number: i64,
    mode: String,
    school_union_id: i64,
    school_name: String,
    number: i64,
    kind: String,
    meeting_date: NaiveDate,
    starts_at: Option<DateTime<Utc>>,
    place: String,
    status: String,
    proposals_from: Option<NaiveDate>,
    proposals_until: Option<NaiveDate>,
    opened_at: Option<DateTime<Utc>>,
    closed_at: Option<DateTime<Utc>>,
    final_total: Option<i64>,
    final_excused: Option<i64>,
    final_present: Option<i64>,
    final_quorum: Option<bool>,
    final_rule_set_id: Option<i64>,
}

fn u(v: i64) -> u32 {
    u32::try_from(v.max(0)).unwrap_or(u32::MAX)
}

impl MeetingRow {
    fn into_meeting(self) -> Result<Meeting, StoreError> {
        Ok(Meeting {
            id: MeetingId(self.id),
            term_id: TermId(self.term_id),
            term_number: self.term_number,
            mode: coded(&self.mode)?,
            school_union_id: OrgUnitId(self.school_union_id),
            school_name: self.school_name,
            number: self.number,
            kind: coded(&self.kind)?,
            meeting_date: self.meeting_date,
            starts_at: self.starts_at,
            place: self.place,
            status: coded(&self.status)?,
            proposals_from: self.proposals_from,
            proposals_until: self.proposals_until,
            opened_at: self.opened_at,
            closed_at: self.closed_at,
            final_attendance: match (self.final_total, self.final_excused, self.final_present) {
                (Some(a), Some(e), Some(p)) => Some(Attendance {
                    total: u(a),
                    excused: u(e),
                    present: u(p),
                }),
                _ => None,
            },
            final_quorum: self.final_quorum,
            final_rule_set_id: self.final_rule_set_id.map(RuleSetId),
        })
    }
}

pub(crate) const MEETING_SELECT: &str = "SELECT mt.id, mt.term_id, tm.number AS term_number, tm.mode, mt.school_union_id, s.name AS school_name, mt.number, mt.kind, mt.meeting_date, mt.starts_at, mt.place, mt.status, mt.proposals_from, mt.proposals_until, mt.opened_at, mt.closed_at, mt.final_total, mt.final_excused, mt.final_present, mt.final_quorum, mt.final_rule_set_id
     FROM congress_meeting mt JOIN congress_term tm ON tm.id = mt.term_id JOIN org_unit s ON s.id = mt.school_union_id";

/// One meeting, if the viewer may read it.
pub async fn get_meeting(db: &Db, v: Viewer<'_>, id: MeetingId) -> Result<Meeting, StoreError> {
    let mut sql = Sql::new(MEETING_SELECT);
    sql.push(" WHERE mt.id = ").bind(Arg::I64(id.0));
    v.restrict(&mut sql);
    let row: MeetingRow = sql.fetch_one(db).await?;
    row.into_meeting()
}

pub(crate) async fn tx_meeting(
    tx: &mut Tx,
    v: Viewer<'_>,
    id: MeetingId,
) -> Result<Meeting, StoreError> {
    let mut sql = Sql::new(MEETING_SELECT);
    sql.push(" WHERE mt.id = ").bind(Arg::I64(id.0));
    v.restrict(&mut sql);
    let row: MeetingRow = sql.fetch_one_tx(tx).await?;
    row.into_meeting()
}

/// Meetings of a term, first to last.
pub async fn meetings_of_term(
    db: &Db,
    v: Viewer<'_>,
    term: TermId,
) -> Result<Vec<Meeting>, StoreError> {
    let mut sql = Sql::new(MEETING_SELECT);
    sql.push(" WHERE mt.term_id = ").bind(Arg::I64(term.0));
    v.restrict(&mut sql);
    sql.push(" ORDER BY mt.number");
    let rows: Vec<MeetingRow> = sql.fetch_all(db).await?;
    rows.into_iter().map(MeetingRow::into_meeting).collect()
}

/// Meetings the viewer may read that are not closed, or that closed within `days`: the
/// start page of delegates and staff.
pub async fn recent_meetings(
    db: &Db,
    v: Viewer<'_>,
    since: NaiveDate,
) -> Result<Vec<Meeting>, StoreError> {
    let mut sql = Sql::new(MEETING_SELECT);
    sql.push(" WHERE (mt.status <> 'closed' OR mt.meeting_date >= ")
        .bind(Arg::Date(since))
        .push(")");
    v.restrict(&mut sql);
    sql.push(" ORDER BY mt.meeting_date, mt.id LIMIT 50");
    let rows: Vec<MeetingRow> = sql.fetch_all(db).await?;
    rows.into_iter().map(MeetingRow::into_meeting).collect()
}

/// The UTC instant of a Beijing wall-clock time.
pub fn beijing(date: NaiveDate, time: chrono::NaiveTime) -> DateTime<Utc> {
    (chrono::NaiveDateTime::new(date, time) - chrono::Duration::hours(8)).and_utc()
}

/// Plans the next meeting of a term (numbered after the last one).
pub async fn create_meeting(
    st: &Store,
    cap: &Cap<perm::CongressManage>,
    who: &Who,
    term: TermId,
    d: &MeetingDraft,
) -> Result<MeetingId, StoreError> {
    let mut tx = st.db.begin().await?;
    let tm = super::terms::tx_term(&mut tx, cap.scope(), term).await?;
    if d.meeting_date < tm.start_date || d.meeting_date > tm.end_date {
        return Err(super::invalid_with(
            domain::FieldError::new("meeting_date", t::TERM_NOT_CURRENT)
                .arg("start", tm.start_date)
                .arg("end", tm.end_date),
        ));
    }
    let ts = now();
    let starts_at = d.starts_at.map(|t| beijing(d.meeting_date, t));
    let (id, number): (i64, i64) = on_tx!(&mut tx, |c| {
        sqlx::query_as(
        "INSERT INTO congress_meeting (term_id, school_union_id, number, kind, meeting_date, starts_at, place, status, proposals_from, proposals_until, created_at, updated_at)
         VALUES ($1, $2, (SELECT COALESCE(MAX(number), 0) + 1 FROM congress_meeting WHERE term_id = $1), $3, $4, $5, $6, 'planned', $7, $8, $9, $9)
         RETURNING id, number"
    )
    .bind(term.0)
    .bind(tm.school_union_id.0)
    .bind(d.kind.code())
    .bind(d.meeting_date)
    .bind(starts_at)
    .bind(&d.place)
    .bind(d.proposals_from)
    .bind(d.proposals_until)
    .bind(ts)
    .fetch_one(&mut *c)
    .await
    })?;
    let mut ch = Changes::new();
    ch.field("number", None, Some(&number))
        .field("kind", None, Some(&d.kind.code()))
        .field("meeting_date", None, Some(&d.meeting_date))
        .field("place", None, Some(&d.place))
        .field("proposals_from", None, d.proposals_from.as_ref())
        .field("proposals_until", None, d.proposals_until.as_ref());
    log_commit(
        tx,
        &st.cipher,
        who,
        "congress_meeting.create",
        ("congress_meeting", id),
        tm.school_union_id,
        &ch,
    )
    .await?;
    Ok(MeetingId(id))
}

/// Opens check-in (planned → open) or closes the meeting (open → closed). Closing keeps the
/// attendance, the quorum and the id of the rule-set version that judged it.
pub async fn set_status(
    st: &Store,
    cap: &Cap<perm::CongressManage>,
    who: &Who,
    id: MeetingId,
    to: MeetingStatus,
) -> Result<(), StoreError> {
    let mut tx = st.db.begin().await?;
    let m = tx_meeting(&mut tx, Viewer::manage(cap), id).await?;
    let ok = matches!(
        (m.status, to),
        (MeetingStatus::Planned, MeetingStatus::Open)
            | (MeetingStatus::Open, MeetingStatus::Closed)
    );
    if !ok {
        return Err(invalid("status", t::STEP_NOT_ALLOWED));
    }
    let ts = now();
    let mut ch = Changes::new();
    ch.field("status", Some(&m.status.code()), Some(&to.code()));
    if to == MeetingStatus::Open {
        on_tx!(&mut tx, |c| {
            sqlx::query(
            "UPDATE congress_meeting SET status = 'open', opened_at = $1, updated_at = $1 WHERE id = $2"
        )
        .bind(ts)
        .bind(id.0)
        .execute(&mut *c)
        .await
        .map(|r| r.rows_affected())
        })?;
    } else {
        let a = super::attendance::tx_counts(&mut tx, id, m.term_id).await?;
        // At closing, everyone who came counts: the quorum is about the meeting, not about
        // who was still in the hall at the end.
        let att = Attendance {
            present: a.attended,
            ..a.attendance
        };
        let (rs, rules) = super::rules::tx_decisive(&mut tx, st, m.school_union_id).await?;
        let quorum = domain::rules::quorum_met(&att, &rules);
        on_tx!(&mut tx, |c| {
            sqlx::query(
            "UPDATE congress_meeting SET status = 'closed', closed_at = $1, updated_at = $1, final_total = $2, final_excused = $3, final_present = $4, final_quorum = $5, final_rule_set_id = $6 WHERE id = $7"
        )
        .bind(ts)
        .bind(i64::from(att.total))
        .bind(i64::from(att.excused))
        .bind(i64::from(att.present))
        .bind(quorum)
        .bind(rs.0)
        .bind(id.0)
        .execute(&mut *c)
        .await
        .map(|r| r.rows_affected())
        })?;
        ch.field("present", None, Some(&att.present))
            .field("total", None, Some(&att.total))
            .field("quorum", None, Some(&quorum))
            .field("rule_set_id", None, Some(&rs.0));
    }
    log(
        &mut tx,
        &st.cipher,
        who,
        "congress_meeting.status",
        ("congress_meeting", id.0),
        m.school_union_id,
        &ch,
    )
    .await?;
    tx.commit().await
}

// ------------------------------------------------------------------ agenda

#[derive(Clone, Debug, PartialEq)]
pub struct AgendaItem {
    pub id: AgendaItemId,
    pub position: i64,
    pub kind: AgendaKind,
    pub title: String,
    pub presenter: Option<String>,
}

pub async fn agenda(
    db: &Db,
    v: Viewer<'_>,
    meeting: MeetingId,
) -> Result<Vec<AgendaItem>, StoreError> {
    get_meeting(db, v, meeting).await?;
    let rows: Vec<(i64, i64, String, String, Option<String>)> = crate::on_db!(db, |p| {
        sqlx::query_as(
        "SELECT id, position, kind, title, presenter FROM agenda_item WHERE meeting_id = $1 ORDER BY position, id"
    )
    .bind(meeting.0)
    .fetch_all(p)
    .await
    })?;
    rows.into_iter()
        .map(|(id, position, kind, title, presenter)| {
            Ok(AgendaItem {
                id: AgendaItemId(id),
                position,
                kind: coded(&kind)?,
                title,
                presenter,
            })
        })
        .collect()
}

pub async fn add_agenda_item(
    st: &Store,
    cap: &Cap<perm::CongressManage>,
    who: &Who,
    meeting: MeetingId,
    d: &AgendaDraft,
) -> Result<AgendaItemId, StoreError> {
    let mut tx = st.db.begin().await?;
    let m = tx_meeting(&mut tx, Viewer::manage(cap), meeting).await?;
    if m.status == MeetingStatus::Closed {
        return Err(invalid("title", t::MEETING_CLOSED));
    }
    let id: i64 = on_tx!(&mut tx, |c| {
        sqlx::query_scalar(
        "INSERT INTO agenda_item (meeting_id, position, kind, title, presenter, created_at)
         VALUES ($1, (SELECT COALESCE(MAX(position), 0) + 1 FROM agenda_item WHERE meeting_id = $1), $2, $3, $4, $5) RETURNING id"
    )
    .bind(meeting.0)
    .bind(d.kind.code())
    .bind(&d.title)
    .bind(&d.presenter)
    .bind(now())
    .fetch_one(&mut *c)
    .await
    })?;
    let mut ch = Changes::new();
    ch.field("meeting_id", None, Some(&meeting.0))
        .field("kind", None, Some(&d.kind.code()))
        .field("title", None, Some(&d.title));
    log_commit(
        tx,
        &st.cipher,
        who,
        "agenda_item.create",
        ("agenda_item", id),
        m.school_union_id,
        &ch,
    )
    .await?;
    Ok(AgendaItemId(id))
}

/// Removes an agenda item of a meeting that has not closed; its documents stay with the
/// meeting. Returns the meeting.
pub async fn remove_agenda_item(
    st: &Store,
    cap: &Cap<perm::CongressManage>,
    who: &Who,
    id: AgendaItemId,
) -> Result<MeetingId, StoreError> {
    let mut tx = st.db.begin().await?;
    let row: Option<(i64, String)> = on_tx!(&mut tx, |c| sqlx::query_as(
        "SELECT meeting_id, title FROM agenda_item WHERE id = $1"
    )
    .bind(id.0)
    .fetch_optional(&mut *c)
    .await)?;
    let (meeting, title) = row.ok_or(StoreError::NotFound)?;
    let m = tx_meeting(&mut tx, Viewer::manage(cap), MeetingId(meeting)).await?;
    if m.status == MeetingStatus::Closed {
        return Err(invalid("title", t::MEETING_CLOSED));
    }
    on_tx!(&mut tx, |c| sqlx::query(
        "UPDATE meeting_document SET agenda_item_id = NULL WHERE agenda_item_id = $1"
    )
    .bind(id.0)
    .execute(&mut *c)
    .await
    .map(|r| r.rows_affected()))?;
    on_tx!(&mut tx, |c| sqlx::query(
        "DELETE FROM agenda_item WHERE id = $1"
    )
    .bind(id.0)
    .execute(&mut *c)
    .await
    .map(|r| r.rows_affected()))?;
    let mut ch = Changes::new();
    ch.field("title", Some(&title), None);
    log_commit(
        tx,
        &st.cipher,
        who,
        "agenda_item.delete",
        ("agenda_item", id.0),
        m.school_union_id,
        &ch,
    )
    .await?;
    Ok(MeetingId(meeting))
}

// ------------------------------------------------------------------ documents

#[derive(Clone, Debug, PartialEq)]
pub struct DocumentMeta {
    pub id: DocumentId,
    pub meeting_id: MeetingId,
    pub agenda_item_id: Option<AgendaItemId>,
    pub file_name: String,
    pub kind: DocKind,
    pub size_bytes: i64,
    pub uploaded_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct DocRow {
    id: i64,
    meeting_id: i64,
    agenda_item_id: Option<i64>,
    file_name: String,
    kind: String,
    size_bytes: i64,
    uploaded_at: DateTime<Utc>,
}

impl DocRow {
    fn into_meta(self) -> Result<DocumentMeta, StoreError> {
        Ok(DocumentMeta {
            id: DocumentId(self.id),
            meeting_id: MeetingId(self.meeting_id),
            agenda_item_id: self.agenda_item_id.map(AgendaItemId),
            file_name: self.file_name,
            kind: DocKind::from_code(&self.kind)
                .ok_or_else(|| StoreError::Other(format!("document kind {}", self.kind)))?,
            size_bytes: self.size_bytes,
            uploaded_at: self.uploaded_at,
        })
    }
}

/// Stores a document checked by [`domain::congress::check_document`] (checked again here:
/// the store never trusts its caller with files).
#[allow(clippy::too_many_arguments)]
pub async fn add_document(
    st: &Store,
    cap: &Cap<perm::CongressManage>,
    who: &Who,
    meeting: MeetingId,
    agenda_item: Option<AgendaItemId>,
    file_name: &str,
    bytes: &[u8],
    max: usize,
) -> Result<DocumentId, StoreError> {
    let kind =
        domain::congress::check_document(file_name, bytes, max).map_err(super::invalid_with)?;
    let name = domain::congress::safe_file_name(file_name, kind);
    let mut tx = st.db.begin().await?;
    let m = tx_meeting(&mut tx, Viewer::manage(cap), meeting).await?;
    if let Some(a) = agenda_item {
        let ok: Option<i64> = on_tx!(&mut tx, |c| sqlx::query_scalar(
            "SELECT id FROM agenda_item WHERE id = $1 AND meeting_id = $2"
        )
        .bind(a.0)
        .bind(meeting.0)
        .fetch_optional(&mut *c)
        .await)?;
        if ok.is_none() {
            return Err(invalid("agenda_item", t::CHOICE_INVALID));
        }
    }
    let hash = Sha256::digest(bytes).to_vec();
    let id: i64 = on_tx!(&mut tx, |c| {
        sqlx::query_scalar(
        "INSERT INTO meeting_document (meeting_id, agenda_item_id, file_name, kind, size_bytes, sha256, content, uploaded_at, uploaded_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id"
    )
    .bind(meeting.0)
    .bind(agenda_item.map(|a| a.0))
    .bind(&name)
    .bind(kind.code())
    .bind(bytes.len() as i64)
    .bind(&hash)
    .bind(bytes)
    .bind(now())
    .bind(who.account.map(|a| a.0))
    .fetch_one(&mut *c)
    .await
    })?;
    let mut ch = Changes::new();
    ch.field("file_name", None, Some(&name))
        .field("kind", None, Some(&kind.code()))
        .field("size_bytes", None, Some(&bytes.len()))
        .note("sha256", hex::encode(&hash));
    log_commit(
        tx,
        &st.cipher,
        who,
        "meeting_document.create",
        ("meeting_document", id),
        m.school_union_id,
        &ch,
    )
    .await?;
    Ok(DocumentId(id))
}

pub async fn documents(
    db: &Db,
    v: Viewer<'_>,
    meeting: MeetingId,
) -> Result<Vec<DocumentMeta>, StoreError> {
    get_meeting(db, v, meeting).await?;
    let rows: Vec<DocRow> = crate::on_db!(db, |p| {
        sqlx::query_as(
        "SELECT id, meeting_id, agenda_item_id, file_name, kind, size_bytes, uploaded_at FROM meeting_document WHERE meeting_id = $1 ORDER BY id"
    )
    .bind(meeting.0)
    .fetch_all(p)
    .await
    })?;
    rows.into_iter().map(DocRow::into_meta).collect()
}

/// A document with its content, if the viewer may read its meeting.
pub async fn document(
    db: &Db,
    v: Viewer<'_>,
    id: DocumentId,
) -> Result<(DocumentMeta, Vec<u8>), StoreError> {
    let mut sql = Sql::new(
        "SELECT dm.id, dm.meeting_id, dm.agenda_item_id, dm.file_name, dm.kind, dm.size_bytes, dm.uploaded_at, dm.content
         FROM meeting_document dm JOIN congress_meeting mt ON mt.id = dm.meeting_id WHERE dm.id = ",
    );
    sql.bind(Arg::I64(id.0));
    v.restrict(&mut sql);
    #[derive(sqlx::FromRow)]
    struct WithContent {
        #[sqlx(flatten)]
        meta: DocRow,
        content: Vec<u8>,
    }
    let r: WithContent = sql.fetch_one(db).await?;
    Ok((r.meta.into_meta()?, r.content))
}

pub async fn delete_document(
    st: &Store,
    cap: &Cap<perm::CongressManage>,
    who: &Who,
    id: DocumentId,
) -> Result<MeetingId, StoreError> {
    let mut tx = st.db.begin().await?;
    let row: Option<(i64, String)> = on_tx!(&mut tx, |c| sqlx::query_as(
        "SELECT meeting_id, file_name FROM meeting_document WHERE id = $1"
    )
    .bind(id.0)
    .fetch_optional(&mut *c)
    .await)?;
    let (meeting, name) = row.ok_or(StoreError::NotFound)?;
    let m = tx_meeting(&mut tx, Viewer::manage(cap), MeetingId(meeting)).await?;
    on_tx!(&mut tx, |c| sqlx::query(
        "DELETE FROM meeting_document WHERE id = $1"
    )
    .bind(id.0)
    .execute(&mut *c)
    .await
    .map(|r| r.rows_affected()))?;
    let mut ch = Changes::new();
    ch.field("file_name", Some(&name), None);
    log_commit(
        tx,
        &st.cipher,
        who,
        "meeting_document.delete",
        ("meeting_document", id.0),
        m.school_union_id,
        &ch,
    )
    .await?;
    Ok(MeetingId(meeting))
}

// ------------------------------------------------------------------ roles

#[derive(Clone, Debug, PartialEq)]
pub struct RoleRow {
    pub id: i64,
    pub member_id: MemberId,
    pub name: String,
    pub role: MeetingRole,
}

pub async fn roles(db: &Db, v: Viewer<'_>, meeting: MeetingId) -> Result<Vec<RoleRow>, StoreError> {
    get_meeting(db, v, meeting).await?;
    let rows: Vec<(i64, i64, String, String)> = crate::on_db!(db, |p| {
        sqlx::query_as(
        "SELECT r.id, r.member_id, m.name, r.role FROM meeting_role r JOIN member m ON m.id = r.member_id
         WHERE r.meeting_id = $1 ORDER BY CASE r.role WHEN 'presidium' THEN 0 WHEN 'scrutineer' THEN 1 ELSE 2 END, r.id"
    )
    .bind(meeting.0)
    .fetch_all(p)
    .await
    })?;
    rows.into_iter()
        .map(|(id, m, name, role)| {
            Ok(RoleRow {
                id,
                member_id: MemberId(m),
                name,
                role: coded(&role)?,
            })
        })
        .collect()
}

pub async fn add_role(
    st: &Store,
    cap: &Cap<perm::CongressManage>,
    who: &Who,
    meeting: MeetingId,
    member: MemberId,
    role: MeetingRole,
) -> Result<(), StoreError> {
    let mut tx = st.db.begin().await?;
    let m = tx_meeting(&mut tx, Viewer::manage(cap), meeting).await?;
    let row: Option<(i64, String, String)> = on_tx!(&mut tx, |c| sqlx::query_as(
        "SELECT school_union_id, status, name FROM member WHERE id = $1"
    )
    .bind(member.0)
    .fetch_optional(&mut *c)
    .await)?;
    let name = match row {
        Some((s, status, name))
            if s == m.school_union_id.0
                && opt_coded::<domain::org::MemberStatus>(Some(&status))?
                    .is_some_and(|st| st.is_member()) =>
        {
            name
        }
        _ => return Err(invalid("member", t::MEMBER_NOT_IN_SCHOOL)),
    };
    let id: i64 = on_tx!(&mut tx, |c| sqlx::query_scalar(
        "INSERT INTO meeting_role (meeting_id, member_id, role, created_at) VALUES ($1, $2, $3, $4) RETURNING id"
    )
    .bind(meeting.0)
    .bind(member.0)
    .bind(role.code())
    .bind(now())
    .fetch_one(&mut *c)
    .await)
    .map_err(|e| {
        if crate::db::is_unique_violation(&e) {
            invalid("member", t::ROLE_TAKEN)
        } else {
            e.into()
        }
    })?;
    let mut ch = Changes::new();
    ch.field("member_id", None, Some(&member.0))
        .field("name", None, Some(&name))
        .field("role", None, Some(&role.code()));
    log(
        &mut tx,
        &st.cipher,
        who,
        "meeting_role.create",
        ("meeting_role", id),
        m.school_union_id,
        &ch,
    )
    .await?;
    tx.commit().await
}

pub async fn remove_role(
    st: &Store,
    cap: &Cap<perm::CongressManage>,
    who: &Who,
    meeting: MeetingId,
    role_id: i64,
) -> Result<(), StoreError> {
    let mut tx = st.db.begin().await?;
    let m = tx_meeting(&mut tx, Viewer::manage(cap), meeting).await?;
    let n = on_tx!(&mut tx, |c| sqlx::query(
        "DELETE FROM meeting_role WHERE id = $1 AND meeting_id = $2"
    )
    .bind(role_id)
    .bind(meeting.0)
    .execute(&mut *c)
    .await
    .map(|r| r.rows_affected()))?;
    if n == 0 {
        return Err(StoreError::NotFound);
    }
    let mut ch = Changes::new();
    ch.field("meeting_role", Some(&role_id), None);
    log(
        &mut tx,
        &st.cipher,
        who,
        "meeting_role.delete",
        ("meeting_role", role_id),
        m.school_union_id,
        &ch,
    )
    .await?;
    tx.commit().await
}
