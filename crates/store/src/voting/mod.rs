//! Votes in the database: polls and their options, the life cycle (draft → open → closed →
//! published) with who took each step, the tellers' paper counts and the scrutineer's
//! confirmation, the results decided under the rule-set version in force at closing, and
//! the minutes draft. Ballots go in through [`ballot_box::BallotBox`].
//!
//! Polls are reached through their meeting, so every read and write is scoped exactly like
//! the meeting (see [`crate::congress::meetings::Viewer`]). Every step writes its audit
//! record in the same transaction; casting a ballot does not (see `ballot_box`): an audit
//! line per ballot would carry the voter and the moment, which secrecy forbids; the
//! participation row is the record of who voted.

pub mod ballot_box;
pub mod due;
pub mod figures;
pub mod seal;

use crate::audit::Who;
use crate::congress::meetings::{Meeting, Viewer, get_meeting, tx_meeting};
use crate::congress::{coded, invalid, invalid_with, log};
use crate::db::{Arg, Sql, Tx, now};
use crate::{Db, Store, StoreError, on_db, on_tx};
use chrono::{DateTime, Utc};
use domain::audit::Changes;
use domain::auth::{Cap, perm};
use domain::congress::{
    Acting, AgendaItemId, DelegateId, DelegateKind, MeetingId, MeetingRole, MeetingStatus,
    RuleSetId,
};
use domain::ids::{MemberId, OrgUnitId};
use domain::org::Coded;
use domain::rules::{Attendance, RuleSet};
use domain::text as t;
use domain::voting::*;

/// A poll as read.
#[derive(Clone, Debug, PartialEq)]
pub struct Poll {
    pub id: PollId,
    pub meeting_id: MeetingId,
    pub school_union_id: OrgUnitId,
    pub agenda_item_id: Option<AgendaItemId>,
    pub kind: PollKind,
    pub mode: PollMode,
    pub title: String,
    pub seats: u32,
    pub competitive: bool,
    pub by_election: bool,
    /// Set for a union election: secret, competitive for 委员, union members only.
    pub union_office: Option<UnionOffice>,
    pub round: u32,
    pub parent_id: Option<PollId>,
    pub status: PollStatus,
    pub opened_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub published_at: Option<DateTime<Utc>>,
    /// The version that decided (`None`: the built-in defaults), set at closing.
    pub rule_set_id: Option<RuleSetId>,
    pub attendance: Option<Attendance>,
    /// Electronic ballots counted at closing.
    pub electronic: Option<u32>,
    pub tally: Option<Tally>,
    pub result: Option<PollResult>,
}

#[derive(sqlx::FromRow)]
struct PollRow {
    id: i64,
    meeting_id: i64,
    school_union_id: i64,
    agenda_item_id: Option<i64>,
    kind: String,
    mode: String,
    title: String,
    seats: i64,
    competitive: bool,
    by_election: bool,
    union_office: Option<String>,
    round: i64,
    parent_id: Option<i64>,
    status: String,
    opened_at: Option<DateTime<Utc>>,
    closed_at: Option<DateTime<Utc>>,
    published_at: Option<DateTime<Utc>>,
    rule_set_id: Option<i64>,
    att_total: Option<i64>,
    att_excused: Option<i64>,
    att_present: Option<i64>,
    electronic: Option<i64>,
    tally: Option<String>,
    result: Option<String>,
}

fn u(v: i64) -> u32 {
    u32::try_from(v.max(0)).unwrap_or(u32::MAX)
}

fn json<T: serde::de::DeserializeOwned>(s: Option<String>) -> Result<Option<T>, StoreError> {
    s.map(|s| {
        serde_json::from_str(&s).map_err(|e| StoreError::Other(format!("stored poll data: {e}")))
    })
    .transpose()
}

impl PollRow {
    fn into_poll(self) -> Result<Poll, StoreError> {
        Ok(Poll {
            id: PollId(self.id),
            meeting_id: MeetingId(self.meeting_id),
            school_union_id: OrgUnitId(self.school_union_id),
            agenda_item_id: self.agenda_item_id.map(AgendaItemId),
            kind: coded(&self.kind)?,
            mode: coded(&self.mode)?,
            title: self.title,
            seats: u(self.seats),
            competitive: self.competitive,
            by_election: self.by_election,
            union_office: crate::congress::opt_coded(self.union_office.as_deref())?,
            round: u(self.round),
            parent_id: self.parent_id.map(PollId),
            status: coded(&self.status)?,
            opened_at: self.opened_at,
            closed_at: self.closed_at,
            published_at: self.published_at,
            rule_set_id: self.rule_set_id.map(RuleSetId),
            attendance: match (self.att_total, self.att_excused, self.att_present) {
                (Some(a), Some(e), Some(p)) => Some(Attendance {
                    total: u(a),
                    excused: u(e),
                    present: u(p),
                }),
                _ => None,
            },
            electronic: self.electronic.map(u),
            tally: json(self.tally)?,
            result: json(self.result)?,
        })
    }
}

const POLL_SELECT: &str = "SELECT p.id, p.meeting_id, p.school_union_id, p.agenda_item_id, p.kind, p.mode, p.title, p.seats, p.competitive, p.by_election, p.union_office, p.round, p.parent_id, p.status, p.opened_at, p.closed_at, p.published_at, p.rule_set_id, p.att_total, p.att_excused, p.att_present, p.electronic, p.tally, p.result
    FROM poll p JOIN congress_meeting mt ON mt.id = p.meeting_id WHERE 1 = 1";

/// A candidate of an election, a leader of a review (or, rarely, an option of a motion).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PollOption {
    pub id: OptionId,
    pub position: u32,
    pub label: String,
    pub member_id: Option<MemberId>,
    /// The post (职务) the office gave with the candidate, shown beside the name.
    pub post: Option<String>,
}

impl PollOption {
    /// "张三（副校长）", or the name alone.
    pub fn with_post(&self) -> String {
        match self.post.as_deref().map(str::trim) {
            Some(p) if !p.is_empty() => format!("{}（{p}）", self.label),
            _ => self.label.clone(),
        }
    }
}

/// One poll the viewer may read.
pub async fn get_poll(db: &Db, v: Viewer<'_>, id: PollId) -> Result<Poll, StoreError> {
    let mut sql = Sql::new(POLL_SELECT);
    sql.push(" AND p.id = ").bind(Arg::I64(id.0));
    v.restrict(&mut sql);
    let row: PollRow = sql.fetch_one(db).await?;
    row.into_poll()
}

pub(crate) async fn tx_poll(tx: &mut Tx, v: Viewer<'_>, id: PollId) -> Result<Poll, StoreError> {
    let mut sql = Sql::new(POLL_SELECT);
    sql.push(" AND p.id = ").bind(Arg::I64(id.0));
    v.restrict(&mut sql);
    let row: PollRow = sql.fetch_one_tx(tx).await?;
    row.into_poll()
}

/// The polls of a meeting, in the order they were set up (one query).
pub async fn polls_of_meeting(
    db: &Db,
    v: Viewer<'_>,
    meeting: MeetingId,
) -> Result<Vec<Poll>, StoreError> {
    let mut sql = Sql::new(POLL_SELECT);
    sql.push(" AND p.meeting_id = ").bind(Arg::I64(meeting.0));
    v.restrict(&mut sql);
    sql.push(" ORDER BY p.id");
    let rows: Vec<PollRow> = sql.fetch_all(db).await?;
    rows.into_iter().map(PollRow::into_poll).collect()
}

/// The options of a poll the reader has read with [`get_poll`]. `_reader` is who reads (the
/// same capability as for the poll); the ballot storage of issue 11 narrows on it.
pub async fn options(
    db: &Db,
    _reader: Viewer<'_>,
    poll: PollId,
) -> Result<Vec<PollOption>, StoreError> {
    let rows: Vec<OptionRow> = on_db!(db, |p| {
        sqlx::query_as(
        "SELECT id, position, label, member_id, post FROM poll_option WHERE poll_id = $1 ORDER BY position, id"
    )
    .bind(poll.0)
    .fetch_all(p)
    .await
    })?;
    Ok(rows.into_iter().map(option_row).collect())
}

type OptionRow = (i64, i64, String, Option<i64>, Option<String>);

fn option_row((id, position, label, member, post): OptionRow) -> PollOption {
    PollOption {
        id: OptionId(id),
        position: u(position),
        label,
        member_id: member.map(MemberId),
        post,
    }
}

async fn tx_options(tx: &mut Tx, poll: PollId) -> Result<Vec<PollOption>, StoreError> {
    let rows: Vec<OptionRow> = on_tx!(tx, |c| {
        sqlx::query_as(
        "SELECT id, position, label, member_id, post FROM poll_option WHERE poll_id = $1 ORDER BY position, id"
    )
    .bind(poll.0)
    .fetch_all(&mut *c)
    .await
    })?;
    Ok(rows.into_iter().map(option_row).collect())
}

fn step(status: PollStatus, s: PollStep) -> Result<(), StoreError> {
    if status.may(s) {
        Ok(())
    } else if s == PollStep::Cast {
        Err(invalid("poll", t::VOTE_NOT_OPEN))
    } else {
        Err(invalid("poll", t::STEP_NOT_ALLOWED))
    }
}

async fn poll_log(
    tx: &mut Tx,
    st: &Store,
    who: &Who,
    action: &str,
    p: &Poll,
    ch: &Changes,
) -> Result<(), StoreError> {
    log(
        tx,
        &st.cipher,
        who,
        action,
        ("poll", p.id.0),
        p.school_union_id,
        ch,
    )
    .await
}

/// A poll that belongs to an election (issue 22) takes its candidates from the list the
/// upper union approved and its further rounds from the election: voting refuses to
/// change them.
async fn refuse_election_poll(tx: &mut Tx, poll: PollId) -> Result<(), StoreError> {
    let e: Option<Option<i64>> = on_tx!(tx, |c| sqlx::query_scalar(
        "SELECT election_id FROM poll WHERE id = $1"
    )
    .bind(poll.0)
    .fetch_optional(&mut *c)
    .await)?;
    if matches!(e, Some(Some(_))) {
        return Err(invalid("poll", t::VOTE_ELECTION_POLL));
    }
    Ok(())
}

// ------------------------------------------------------------------ setting up

/// Sets up a poll on a meeting that has not closed, optionally on one of its agenda items.
pub async fn create_poll(
    st: &Store,
    cap: &Cap<perm::CongressManage>,
    who: &Who,
    meeting: MeetingId,
    agenda: Option<AgendaItemId>,
    d: &PollDraft,
) -> Result<PollId, StoreError> {
    let mut tx = st.db.begin().await?;
    let m = tx_meeting(&mut tx, Viewer::manage(cap), meeting).await?;
    if m.status == MeetingStatus::Closed {
        return Err(invalid("meeting", t::MEETING_CLOSED));
    }
    if let Some(a) = agenda {
        let n: i64 = on_tx!(&mut tx, |c| sqlx::query_scalar(
            "SELECT COUNT(*) FROM agenda_item WHERE id = $1 AND meeting_id = $2"
        )
        .bind(a.0)
        .bind(meeting.0)
        .fetch_one(&mut *c)
        .await)?;
        if n == 0 {
            return Err(StoreError::NotFound);
        }
    }
    let id = insert_poll(&mut tx, who, &m, agenda, d, 1, None).await?;
    let mut ch = Changes::new();
    ch.field("title", None, Some(&d.title))
        .field("kind", None, Some(&d.kind.code()))
        .field("mode", None, Some(&d.mode.code()))
        .field("seats", None, Some(&d.seats))
        .field(
            "union_office",
            None,
            d.union_office.map(|o| o.code()).as_ref(),
        );
    log(
        &mut tx,
        &st.cipher,
        who,
        "poll.create",
        ("poll", id.0),
        m.school_union_id,
        &ch,
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

async fn insert_poll(
    tx: &mut Tx,
    who: &Who,
    m: &Meeting,
    agenda: Option<AgendaItemId>,
    d: &PollDraft,
    round: u32,
    parent: Option<PollId>,
) -> Result<PollId, StoreError> {
    let id: i64 = on_tx!(tx, |c| {
        sqlx::query_scalar(
        "INSERT INTO poll (meeting_id, agenda_item_id, school_union_id, kind, mode, title, seats, competitive, by_election, round, parent_id, status, created_at, created_by, union_office)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'draft', $12, $13, $14) RETURNING id"
    )
    .bind(m.id.0)
    .bind(agenda.map(|a| a.0))
    .bind(m.school_union_id.0)
    .bind(d.kind.code())
    .bind(d.mode.code())
    .bind(&d.title)
    .bind(i64::from(d.seats))
    .bind(d.competitive)
    .bind(d.by_election)
    .bind(i64::from(round))
    .bind(parent.map(|p| p.0))
    .bind(now())
    .bind(who.account.map(|a| a.0))
    .bind(d.union_office.map(|o| o.code()))
    .fetch_one(&mut *c)
    .await
    })?;
    Ok(PollId(id))
}

/// Adds a candidate (election) or a leader (review): a member of the poll's school union.
pub async fn add_option(
    st: &Store,
    cap: &Cap<perm::CongressManage>,
    who: &Who,
    poll: PollId,
    member: MemberId,
) -> Result<OptionId, StoreError> {
    add_option_with_post(st, cap, who, poll, member, "").await
}

/// A member of the poll's school that a search found, to be added as a candidate.
#[derive(Clone, Debug, PartialEq)]
pub struct CandidateHit {
    pub member: MemberId,
    pub name: String,
    /// The member's branch (教研组, 年级组), to tell two people of one name apart.
    pub branch: Option<String>,
    pub post: domain::org::Post,
    /// Already on the poll.
    pub taken: bool,
}

/// Most hits a candidate search shows.
pub const CANDIDATE_HITS: i64 = 20;

/// Active members of the poll's school whose name contains `q` (Chinese) or whose pinyin
/// or initials start with it (Latin letters), in pinyin order, at most
/// [`CANDIDATE_HITS`]: how the office picks candidates without typing a name exactly. One
/// query after the poll's scope check.
pub async fn find_candidates(
    db: &Db,
    cap: &Cap<perm::CongressManage>,
    poll: PollId,
    q: &str,
) -> Result<Vec<CandidateHit>, StoreError> {
    let p = get_poll(db, Viewer::manage(cap), poll).await?;
    let q = domain::roster::normalize(q);
    let q = q.trim();
    if q.is_empty() {
        return Ok(Vec::new());
    }
    let esc = crate::org::members::like_escaped;
    let mut sql = Sql::new(
        "SELECT m.id, m.name, b.name, m.post, EXISTS (SELECT 1 FROM poll_option o WHERE o.poll_id = ",
    );
    sql.bind(Arg::I64(p.id.0))
        .push(" AND o.member_id = m.id) FROM member m LEFT JOIN org_unit b ON b.id = m.branch_id WHERE m.status = 'active' AND m.school_union_id = ")
        .bind(Arg::I64(p.school_union_id.0));
    if q.is_ascii() {
        let lower = q.to_ascii_lowercase();
        let compact = esc(&lower.replace(' ', ""));
        sql.push(" AND (m.name_initials LIKE ")
            .bind(Arg::Text(format!("{compact}%")))
            .push(" ESCAPE '\\' OR REPLACE(m.name_pinyin, ' ', '') LIKE ")
            .bind(Arg::Text(format!("{compact}%")))
            .push(" ESCAPE '\\')");
    } else {
        sql.push(" AND m.name LIKE ")
            .bind(Arg::Text(format!("%{}%", esc(q))))
            .push(" ESCAPE '\\'");
    }
    sql.push(" ORDER BY m.name_pinyin, m.id LIMIT ")
        .bind(Arg::I64(CANDIDATE_HITS));
    let rows: Vec<(i64, String, Option<String>, String, bool)> = sql.fetch_all(db).await?;
    rows.into_iter()
        .map(|(id, name, branch, post, taken)| {
            Ok(CandidateHit {
                member: MemberId(id),
                name,
                branch,
                post: coded(&post)?,
                taken,
            })
        })
        .collect()
}

/// Most characters of a candidate's post.
pub const MAX_POST_CHARS: usize = 20;

/// Adds a member of the poll's school as a candidate (or a cadre to review), with the post
/// (职务) the ballot shows beside the name; an empty post shows the name alone.
pub async fn add_option_with_post(
    st: &Store,
    cap: &Cap<perm::CongressManage>,
    who: &Who,
    poll: PollId,
    member: MemberId,
    post: &str,
) -> Result<OptionId, StoreError> {
    let post = post.trim();
    if post.chars().count() > MAX_POST_CHARS {
        return Err(crate::congress::invalid_with(
            domain::FieldError::new("post", t::TOO_LONG).arg("max", MAX_POST_CHARS),
        ));
    }
    let post = (!post.is_empty()).then(|| post.to_string());
    let mut tx = st.db.begin().await?;
    let p = tx_poll(&mut tx, Viewer::manage(cap), poll).await?;
    step(p.status, PollStep::Edit)?;
    refuse_election_poll(&mut tx, poll).await?;
    if p.kind == PollKind::Motion {
        return Err(invalid("member", t::STEP_NOT_ALLOWED));
    }
    let row: Option<(i64, String, String)> = on_tx!(&mut tx, |c| sqlx::query_as(
        "SELECT school_union_id, status, name FROM member WHERE id = $1"
    )
    .bind(member.0)
    .fetch_optional(&mut *c)
    .await)?;
    let name = match row {
        Some((s, status, name))
            if s == p.school_union_id.0
                && crate::congress::opt_coded::<domain::org::MemberStatus>(Some(&status))?
                    .is_some_and(|x| x == domain::org::MemberStatus::Active) =>
        {
            name
        }
        _ => return Err(invalid("member", t::MEMBER_NOT_IN_SCHOOL)),
    };
    let (taken, next): (i64, i64) = on_tx!(&mut tx, |c| {
        sqlx::query_as(
        "SELECT COALESCE(SUM(CASE WHEN member_id = $2 THEN 1 ELSE 0 END), 0), COALESCE(MAX(position), 0) + 1 FROM poll_option WHERE poll_id = $1"
    )
    .bind(poll.0)
    .bind(member.0)
    .fetch_one(&mut *c)
    .await
    })?;
    if taken > 0 {
        return Err(invalid("member", t::DELEGATE_EXISTS));
    }
    if next as usize > MAX_OPTIONS {
        return Err(invalid("member", t::NUMBER_RANGE));
    }
    let id: i64 = on_tx!(&mut tx, |c| {
        sqlx::query_scalar(
        "INSERT INTO poll_option (poll_id, position, label, member_id, post) VALUES ($1, $2, $3, $4, $5) RETURNING id"
    )
    .bind(poll.0)
    .bind(next)
    .bind(&name)
    .bind(member.0)
    .bind(&post)
    .fetch_one(&mut *c)
    .await
    })?;
    let mut ch = Changes::new();
    ch.field("option", None, Some(&name))
        .field("member_id", None, Some(&member.0))
        .field("post", None, post.as_ref());
    poll_log(&mut tx, st, who, "poll.option_add", &p, &ch).await?;
    tx.commit().await?;
    Ok(OptionId(id))
}

pub async fn remove_option(
    st: &Store,
    cap: &Cap<perm::CongressManage>,
    who: &Who,
    poll: PollId,
    option: OptionId,
) -> Result<(), StoreError> {
    let mut tx = st.db.begin().await?;
    let p = tx_poll(&mut tx, Viewer::manage(cap), poll).await?;
    step(p.status, PollStep::Edit)?;
    refuse_election_poll(&mut tx, poll).await?;
    let label: Option<String> = on_tx!(&mut tx, |c| sqlx::query_scalar(
        "DELETE FROM poll_option WHERE id = $1 AND poll_id = $2 RETURNING label"
    )
    .bind(option.0)
    .bind(poll.0)
    .fetch_optional(&mut *c)
    .await)?;
    let Some(label) = label else {
        return Err(StoreError::NotFound);
    };
    let mut ch = Changes::new();
    ch.field("option", Some(&label), None::<&String>);
    poll_log(&mut tx, st, who, "poll.option_remove", &p, &ch).await?;
    tx.commit().await
}

// ------------------------------------------------------------------ life cycle

/// Opens a poll: only while its meeting is open and has a quorum under the school's rules;
/// an election needs its slate (the competitive margin in a first round).
pub async fn open_poll(
    st: &Store,
    cap: &Cap<perm::CongressManage>,
    who: &Who,
    poll: PollId,
) -> Result<Opened, StoreError> {
    let mut tx = st.db.begin().await?;
    let p = tx_poll(&mut tx, Viewer::manage(cap), poll).await?;
    step(p.status, PollStep::Open)?;
    let m = tx_meeting(&mut tx, Viewer::manage(cap), p.meeting_id).await?;
    if m.status != MeetingStatus::Open {
        return Err(invalid("meeting", t::MEETING_NOT_OPEN));
    }
    let counts = crate::congress::attendance::tx_counts(&mut tx, m.id, m.term_id).await?;
    let rules = crate::congress::rules::tx_effective(&mut tx, m.school_union_id).await?;
    if !domain::rules::quorum_met(&counts.attendance, &rules.rules) {
        let q = domain::rules::quorum(&counts.attendance, &rules.rules);
        return Err(invalid_with(
            domain::FieldError::new("poll", t::NO_QUORUM)
                .arg("present", counts.attendance.present)
                .arg("needed", q.needed),
        ));
    }
    let opts = tx_options(&mut tx, poll).await?;
    match p.kind {
        PollKind::Motion => {}
        PollKind::CadreReview if opts.is_empty() => {
            return Err(invalid("candidates", t::VOTE_NO_OPTIONS));
        }
        PollKind::CadreReview => {}
        PollKind::Election => {
            if opts.is_empty() {
                return Err(invalid("candidates", t::VOTE_NO_OPTIONS));
            }
            if let Some(office) = p.union_office {
                union_election_ok(office, Some(p.mode), p.competitive).map_err(invalid_with)?;
            }
            // A further round is among those left from the round before: no margin.
            if p.round == 1 {
                slate_ok(opts.len() as u32, p.seats, p.competitive, &rules.rules)
                    .map_err(invalid_with)?;
            }
        }
    }
    // A secret poll gets its key pair now; the private half leaves this function only as
    // the scrutineers' shares (see `seal`).
    let shares = if p.mode == PollMode::Secret {
        let holders = tx_scrutineers(&mut tx, p.meeting_id).await?;
        let dealt = seal::deal(poll, holders.len())?;
        let pad = seal::padded_len(opts.len(), p.seats);
        on_tx!(&mut tx, |c| {
            sqlx::query(
            "INSERT INTO poll_key (poll_id, public_key, shares_needed, shares_dealt, pad_len, created_at) VALUES ($1, $2, $3, $4, $5, $6)"
        )
        .bind(poll.0)
        .bind(&dealt.public[..])
        .bind(dealt.needed as i64)
        .bind(dealt.codes.len() as i64)
        .bind(pad as i64)
        .bind(now())
        .execute(&mut *c)
        .await
        .map(|r| r.rows_affected())
        })?;
        let needed = dealt.needed;
        let slips: Vec<ShareSlip> = holders
            .into_iter()
            .zip(dealt.codes)
            .map(|((member, name), code)| ShareSlip { member, name, code })
            .collect();
        Some((needed, slips))
    } else {
        None
    };
    on_tx!(&mut tx, |c| {
        sqlx::query(
        "UPDATE poll SET status = 'open', opened_at = $2, opened_by = $3 WHERE id = $1 AND status = 'draft'"
    )
    .bind(poll.0)
    .bind(now())
    .bind(who.account.map(|a| a.0))
    .execute(&mut *c)
    .await
    .map(|r| r.rows_affected())
    })?;
    let mut ch = Changes::new();
    ch.field("status", Some(&"draft"), Some(&"open")).field(
        "present",
        None,
        Some(&counts.attendance.present),
    );
    if let Some((needed, slips)) = &shares {
        // Who holds a share is recorded; the shares themselves never are.
        let holders: Vec<i64> = slips.iter().map(|s| s.member.0).collect();
        ch.field("shares_needed", None, Some(needed))
            .field("share_holders", None, Some(&holders));
    }
    poll_log(&mut tx, st, who, "poll.open", &p, &ch).await?;
    tx.commit().await?;
    Ok(match shares {
        Some((needed, slips)) => Opened {
            needed,
            shares: slips,
        },
        None => Opened::default(),
    })
}

/// What opening a poll hands out: for a secret poll, one share of its private key per
/// scrutineer, to be shown once to its holder and never stored.
#[derive(Default)]
pub struct Opened {
    /// Shares needed to count.
    pub needed: usize,
    pub shares: Vec<ShareSlip>,
}

/// One scrutineer's share of a poll key. Wiped when dropped; never printed by `Debug`.
pub struct ShareSlip {
    pub member: MemberId,
    pub name: String,
    pub code: zeroize::Zeroizing<String>,
}

impl std::fmt::Debug for Opened {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Opened {{ needed: {}, shares: {} }}",
            self.needed,
            self.shares.len()
        )
    }
}

/// The scrutineers of a meeting (member, name), in a fixed order.
async fn tx_scrutineers(
    tx: &mut Tx,
    meeting: MeetingId,
) -> Result<Vec<(MemberId, String)>, StoreError> {
    let rows: Vec<(i64, String)> = on_tx!(tx, |c| sqlx::query_as(
        "SELECT m.id, m.name FROM meeting_role r JOIN member m ON m.id = r.member_id
         WHERE r.meeting_id = $1 AND r.role = 'scrutineer' ORDER BY m.id"
    )
    .bind(meeting.0)
    .fetch_all(&mut *c)
    .await)?;
    Ok(rows.into_iter().map(|(i, n)| (MemberId(i), n)).collect())
}

/// How a secret poll's key will be split if it opens now: (shares needed, scrutineers).
/// The poll was read through a viewer, so its meeting is in the reader's scope.
pub async fn share_plan(db: &Db, poll: &Poll) -> Result<(usize, usize), StoreError> {
    let n: i64 = on_db!(db, |p| sqlx::query_scalar(
        "SELECT COUNT(*) FROM meeting_role WHERE meeting_id = $1 AND role = 'scrutineer'"
    )
    .bind(poll.meeting_id.0)
    .fetch_one(p)
    .await)?;
    let n = usize::try_from(n).unwrap_or(0);
    Ok((seal::shares_needed(n), n))
}

/// The stored public half of a secret poll's key and how many shares rebuild it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PollKey {
    pub public: [u8; seal::KEY_LEN],
    pub needed: usize,
    pub dealt: usize,
    /// Plaintext length every ballot is padded to before sealing.
    pub pad_len: usize,
}

/// The public key of a secret poll (`None`: not a secret poll, or not opened yet). Public
/// by nature: it can only seal ballots.
pub async fn poll_key(db: &Db, poll: PollId) -> Result<Option<PollKey>, StoreError> {
    let row: Option<(Vec<u8>, i64, i64, i64)> = on_db!(db, |p| {
        sqlx::query_as(
        "SELECT public_key, shares_needed, shares_dealt, pad_len FROM poll_key WHERE poll_id = $1"
    )
    .bind(poll.0)
    .fetch_optional(p)
    .await
    })?;
    row.map(key_row).transpose()
}

fn key_row((public, needed, dealt, pad): (Vec<u8>, i64, i64, i64)) -> Result<PollKey, StoreError> {
    let public: [u8; seal::KEY_LEN] = public
        .try_into()
        .map_err(|_| StoreError::Other("stored poll key has the wrong length".into()))?;
    Ok(PollKey {
        public,
        needed: usize::try_from(needed).unwrap_or(usize::MAX),
        dealt: usize::try_from(dealt).unwrap_or(0),
        pad_len: usize::try_from(pad).unwrap_or(0),
    })
}

/// Closes a poll: no ballot is accepted after this commits. Records the attendance and the
/// rule-set version in force, and the electronic counts of a named poll. The sealed ballots
/// of a secret poll stay sealed: they are counted by [`count_poll`] with the scrutineers'
/// shares.
pub async fn close_poll(
    st: &Store,
    cap: &Cap<perm::CongressManage>,
    who: &Who,
    poll: PollId,
) -> Result<(), StoreError> {
    let mut tx = st.db.begin().await?;
    let p = tx_poll(&mut tx, Viewer::manage(cap), poll).await?;
    step(p.status, PollStep::Close)?;
    // Taking the row first makes a concurrent batch of ballots finish before the count.
    let n = on_tx!(&mut tx, |c| {
        sqlx::query(
        "UPDATE poll SET status = 'closed', closed_at = $2, closed_by = $3 WHERE id = $1 AND status = 'open'"
    )
    .bind(poll.0)
    .bind(now())
    .bind(who.account.map(|a| a.0))
    .execute(&mut *c)
    .await
    .map(|r| r.rows_affected())
    })?;
    if n == 0 {
        return Err(StoreError::Stale);
    }
    let m = tx_meeting(&mut tx, Viewer::manage(cap), p.meeting_id).await?;
    let counts = crate::congress::attendance::tx_counts(&mut tx, m.id, m.term_id).await?;
    let rules = crate::congress::rules::tx_effective(&mut tx, m.school_union_id).await?;
    let contents: Vec<String> = if p.mode == PollMode::Secret {
        Vec::new()
    } else if p.mode == PollMode::Named {
        on_tx!(&mut tx, |c| sqlx::query_scalar(
            "SELECT content FROM poll_named_ballot WHERE poll_id = $1"
        )
        .bind(poll.0)
        .fetch_all(&mut *c)
        .await)?
    } else {
        on_tx!(&mut tx, |c| sqlx::query_scalar(
            "SELECT content FROM poll_ballot WHERE poll_id = $1 ORDER BY token"
        )
        .bind(poll.0)
        .fetch_all(&mut *c)
        .await)?
    };
    let mut tally = Tally::default();
    for s in &contents {
        let b = Ballot::decode(s)
            .ok_or_else(|| StoreError::Other("a stored ballot could not be read".into()))?;
        tally.add(&b);
    }
    let a = counts.attendance;
    // A secret poll's counts wait for its scrutineers (NULL until `count_poll`).
    let sealed = p.mode == PollMode::Secret;
    let tally_json = if sealed {
        None
    } else {
        Some(serde_json::to_string(&tally).map_err(|e| StoreError::Other(e.to_string()))?)
    };
    let electronic = (!sealed).then_some(contents.len() as i64);
    on_tx!(&mut tx, |c| {
        sqlx::query(
        "UPDATE poll SET rule_set_id = $2, att_total = $3, att_excused = $4, att_present = $5, electronic = $6, tally = $7 WHERE id = $1"
    )
    .bind(poll.0)
    .bind(rules.id().map(|r| r.0))
    .bind(i64::from(a.total))
    .bind(i64::from(a.excused))
    .bind(i64::from(a.present))
    .bind(electronic)
    .bind(&tally_json)
    .execute(&mut *c)
    .await
    .map(|r| r.rows_affected())
    })?;
    let mut ch = Changes::new();
    ch.field("status", Some(&"open"), Some(&"closed"))
        .field("electronic", None, electronic.as_ref())
        .field("present", None, Some(&a.present))
        .field("rule_set_id", None, rules.id().map(|r| r.0).as_ref());
    poll_log(&mut tx, st, who, "poll.close", &p, &ch).await?;
    tx.commit().await
}

/// Counts a closed secret poll with its scrutineers' shares (`codes`, in the form's
/// order; blanks ignored). The private key is rebuilt in memory only; the sealed ballots
/// are opened in random order and added up, the key is wiped, and in the same transaction
/// the ciphertexts are deleted (SQLite with `secure_delete`, so their bytes are zeroed),
/// the poll's participation rows are rewritten in delegate order, and the counts stored.
/// Then the engine's history is cut (SQLite: checkpoint and truncate the WAL; PostgreSQL:
/// `VACUUM FULL` of both tables). A wrong or missing share changes nothing.
pub async fn count_poll(
    st: &Store,
    cap: &Cap<perm::CongressManage>,
    who: &Who,
    poll: PollId,
    codes: &[&str],
) -> Result<Tally, StoreError> {
    let mut tx = st.db.begin().await?;
    let p = tx_poll(&mut tx, Viewer::manage(cap), poll).await?;
    if p.mode != PollMode::Secret || p.status != PollStatus::Closed || p.tally.is_some() {
        return Err(invalid("poll", t::VOTE_NOT_SEALED));
    }
    let key: Option<(Vec<u8>, i64, i64, i64)> = on_tx!(&mut tx, |c| {
        sqlx::query_as(
        "SELECT public_key, shares_needed, shares_dealt, pad_len FROM poll_key WHERE poll_id = $1"
    )
    .bind(poll.0)
    .fetch_optional(&mut *c)
    .await
    })?;
    let key = key
        .map(key_row)
        .transpose()?
        .ok_or_else(|| invalid("poll", t::VOTE_NO_KEY))?;
    let opener = seal::rebuild(poll, &key.public, key.needed, codes)?;
    let mut contents: Vec<String> = on_tx!(&mut tx, |c| sqlx::query_scalar(
        "SELECT content FROM poll_ballot WHERE poll_id = $1"
    )
    .bind(poll.0)
    .fetch_all(&mut *c)
    .await)?;
    {
        use rand::seq::SliceRandom;
        contents.shuffle(&mut rand::rng());
    }
    let mut tally = Tally::default();
    for sealed in &contents {
        let plain = opener
            .open(sealed)
            .ok_or_else(|| StoreError::Other("a sealed ballot could not be opened".into()))?;
        let b = Ballot::decode(&plain)
            .ok_or_else(|| StoreError::Other("a stored ballot could not be read".into()))?;
        tally.add(&b);
    }
    drop(opener);
    let counted = contents.len();
    drop(contents);
    let mut voters: Vec<i64> = on_tx!(&mut tx, |c| sqlx::query_scalar(
        "SELECT delegate_id FROM poll_participation WHERE poll_id = $1"
    )
    .bind(poll.0)
    .fetch_all(&mut *c)
    .await)?;
    if voters.len() != counted {
        // Participation and ballot are written in one transaction: this is damage.
        return Err(StoreError::Other(format!(
            "{} voters but {counted} sealed ballots",
            voters.len()
        )));
    }
    voters.sort_unstable();
    if st.db.engine() == crate::Engine::Sqlite {
        on_tx!(&mut tx, |c| sqlx::query("PRAGMA secure_delete = ON")
            .execute(&mut *c)
            .await
            .map(|_| ()))?;
    }
    on_tx!(&mut tx, |c| sqlx::query(
        "DELETE FROM poll_ballot WHERE poll_id = $1"
    )
    .bind(poll.0)
    .execute(&mut *c)
    .await
    .map(|r| r.rows_affected()))?;
    on_tx!(&mut tx, |c| sqlx::query(
        "DELETE FROM poll_participation WHERE poll_id = $1"
    )
    .bind(poll.0)
    .execute(&mut *c)
    .await
    .map(|r| r.rows_affected()))?;
    for chunk in voters.chunks(200) {
        let mut q = Sql::new("INSERT INTO poll_participation (poll_id, delegate_id) VALUES ");
        for (i, d) in chunk.iter().enumerate() {
            if i > 0 {
                q.push(", ");
            }
            q.push("(")
                .bind(Arg::I64(poll.0))
                .push(", ")
                .bind(Arg::I64(*d))
                .push(")");
        }
        q.execute_tx(&mut tx).await?;
    }
    let tally_json = serde_json::to_string(&tally).map_err(|e| StoreError::Other(e.to_string()))?;
    let n = on_tx!(&mut tx, |c| {
        sqlx::query(
        "UPDATE poll SET electronic = $2, tally = $3 WHERE id = $1 AND status = 'closed' AND tally IS NULL"
    )
    .bind(poll.0)
    .bind(counted as i64)
    .bind(&tally_json)
    .execute(&mut *c)
    .await
    .map(|r| r.rows_affected())
    })?;
    if n == 0 {
        return Err(StoreError::Stale);
    }
    let mut ch = Changes::new();
    ch.field("electronic", None, Some(&counted)).field(
        "shares",
        None,
        Some(&codes.iter().filter(|c| !c.trim().is_empty()).count()),
    );
    poll_log(&mut tx, st, who, "poll.count", &p, &ch).await?;
    tx.commit().await?;
    scrub(&st.db).await;
    Ok(tally)
}

/// Cuts the engine's history of a counted poll's ballots and participation: what the
/// counting transaction deleted must not stay readable in the log or in free space.
/// Failures are logged, not returned: the poll is counted either way.
async fn scrub(db: &Db) {
    let r = match &db.pool {
        crate::db::Pool::Sqlite(p) => sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(p)
            .await
            .map(|_| ()),
        crate::db::Pool::Postgres(p) => sqlx::query("VACUUM FULL poll_ballot, poll_participation")
            .execute(p)
            .await
            .map(|_| ()),
    };
    if let Err(e) = r {
        tracing::warn!(error = %e, "could not scrub the ballot storage after counting a poll");
    }
}

/// Publishes the result: the electronic and (confirmed) paper counts decided with the
/// attendance and the rule-set version recorded at closing.
pub async fn publish_poll(
    st: &Store,
    cap: &Cap<perm::CongressManage>,
    who: &Who,
    poll: PollId,
) -> Result<PollResult, StoreError> {
    let mut tx = st.db.begin().await?;
    let p = tx_poll(&mut tx, Viewer::manage(cap), poll).await?;
    step(p.status, PollStep::Publish)?;
    let (result, tally) = decide_closed(&mut tx, &p).await?;
    let result_json =
        serde_json::to_string(&result).map_err(|e| StoreError::Other(e.to_string()))?;
    on_tx!(&mut tx, |c| {
        sqlx::query(
        "UPDATE poll SET status = 'published', published_at = $2, published_by = $3, result = $4 WHERE id = $1 AND status = 'closed'"
    )
    .bind(poll.0)
    .bind(now())
    .bind(who.account.map(|a| a.0))
    .bind(&result_json)
    .execute(&mut *c)
    .await
    .map(|r| r.rows_affected())
    })?;
    let mut ch = Changes::new();
    ch.field("status", Some(&"closed"), Some(&"published"))
        .field("ballots", None, Some(&tally.ballots));
    poll_log(&mut tx, st, who, "poll.publish", &p, &ch).await?;
    tx.commit().await?;
    Ok(result)
}

/// The result a closed poll would publish: its electronic tally and its confirmed paper
/// count decided with the attendance and the rule-set version recorded at closing. Publishing
/// and the check before it (`provisional_result`) share this, so what the chair and the
/// scrutineers check is exactly what is published.
async fn decide_closed(tx: &mut Tx, p: &Poll) -> Result<(PollResult, Tally), StoreError> {
    if p.mode == PollMode::Secret && p.tally.is_none() {
        return Err(invalid("poll", t::VOTE_NOT_COUNTED));
    }
    let paper = tx_paper(tx, p.id).await?;
    let mut tally = p.tally.clone().unwrap_or_default();
    match &paper {
        Some(s) if s.void => return Err(invalid("paper", t::PAPER_VOID)),
        Some(s) if s.confirmed_by.is_none() => return Err(invalid("paper", t::PAPER_UNCONFIRMED)),
        Some(s) => tally.merge(&s.count.tally),
        None if p.mode == PollMode::Paper => return Err(invalid("paper", t::PAPER_UNCONFIRMED)),
        None => {}
    }
    let rules = match p.rule_set_id {
        Some(id) => tx_rules(tx, id).await?,
        None => RuleSet::DEFAULT,
    };
    let opts = tx_options(tx, p.id).await?;
    let ids: Vec<OptionId> = opts.iter().map(|o| o.id).collect();
    let a = p.attendance.unwrap_or_default();
    Ok((decide(p.kind, &tally, &ids, p.seats, &a, &rules), tally))
}

/// The result of a closed, not yet published poll, for the chair and the scrutineers to
/// check before publishing (issue 25). `None` while it cannot be decided yet: a secret poll
/// not counted, or a paper count not confirmed. Nothing is written. The caller decides who
/// may see it (the meeting's managers and scrutineers); `v` keeps the read in scope.
pub async fn provisional_result(
    db: &Db,
    v: Viewer<'_>,
    poll: PollId,
) -> Result<Option<PollResult>, StoreError> {
    let mut tx = db.begin().await?;
    let p = tx_poll(&mut tx, v, poll).await?;
    if p.status != PollStatus::Closed {
        return Ok(None);
    }
    let r = match decide_closed(&mut tx, &p).await {
        Ok((r, _)) => Some(r),
        Err(StoreError::Invalid(_)) => None,
        Err(e) => return Err(e),
    };
    // Dropping the transaction rolls it back: a check writes nothing.
    drop(tx);
    Ok(r)
}

async fn tx_rules(tx: &mut Tx, id: RuleSetId) -> Result<RuleSet, StoreError> {
    let s: String = on_tx!(tx, |c| sqlx::query_scalar(
        "SELECT numbers FROM rule_set WHERE id = $1"
    )
    .bind(id.0)
    .fetch_one(&mut *c)
    .await)?;
    serde_json::from_str(&s).map_err(|e| StoreError::Other(format!("stored rule set: {e}")))
}

/// After an election that left seats empty or tied at the last seat: a further round, as a
/// draft, among the tied (a tie) or among all not elected (vacancies), for the seats left.
pub async fn further_round(
    st: &Store,
    cap: &Cap<perm::CongressManage>,
    who: &Who,
    poll: PollId,
) -> Result<PollId, StoreError> {
    let mut tx = st.db.begin().await?;
    let p = tx_poll(&mut tx, Viewer::manage(cap), poll).await?;
    refuse_election_poll(&mut tx, poll).await?;
    let Some(PollResult::Election(res)) = &p.result else {
        return Err(invalid("poll", t::VOTE_NOT_RUNOFF));
    };
    if res.vacant == 0 {
        return Err(invalid("poll", t::VOTE_NOT_RUNOFF));
    }
    let m = tx_meeting(&mut tx, Viewer::manage(cap), p.meeting_id).await?;
    if m.status == MeetingStatus::Closed {
        return Err(invalid("meeting", t::MEETING_CLOSED));
    }
    let opts = tx_options(&mut tx, poll).await?;
    let stand: Vec<Standing> = if res.tied.is_empty() {
        res.rows
            .iter()
            .filter(|r| r.outcome != Outcome::Elected)
            .map(|r| r.who)
            .collect()
    } else {
        res.tied.clone()
    };
    // Members to stand again: the slate's by their option, write-ins by themselves.
    let mut members: Vec<(MemberId, String)> = Vec::new();
    for s in stand {
        match s {
            Standing::Candidate(o) => {
                if let Some(opt) = opts.iter().find(|x| x.id == o)
                    && let Some(mid) = opt.member_id
                {
                    members.push((mid, opt.label.clone()));
                }
            }
            Standing::WriteIn(mid) => {
                let name: Option<String> = on_tx!(&mut tx, |c| sqlx::query_scalar(
                    "SELECT name FROM member WHERE id = $1"
                )
                .bind(mid.0)
                .fetch_optional(&mut *c)
                .await)?;
                if let Some(n) = name {
                    members.push((mid, n));
                }
            }
        }
    }
    if members.is_empty() {
        return Err(invalid("poll", t::VOTE_NOT_RUNOFF));
    }
    let d = PollDraft {
        title: p.title.clone(),
        kind: PollKind::Election,
        mode: p.mode,
        seats: res.vacant,
        competitive: members.len() as u32 > res.vacant,
        by_election: p.by_election,
        union_office: p.union_office,
    };
    let id = insert_poll(
        &mut tx,
        who,
        &m,
        p.agenda_item_id,
        &d,
        p.round + 1,
        Some(p.id),
    )
    .await?;
    for (i, (mid, name)) in members.iter().enumerate() {
        on_tx!(&mut tx, |c| sqlx::query(
            "INSERT INTO poll_option (poll_id, position, label, member_id) VALUES ($1, $2, $3, $4)"
        )
        .bind(id.0)
        .bind(i as i64 + 1)
        .bind(name)
        .bind(mid.0)
        .execute(&mut *c)
        .await
        .map(|r| r.rows_affected()))?;
    }
    let mut ch = Changes::new();
    ch.field("parent_id", None, Some(&p.id.0))
        .field("seats", None, Some(&res.vacant))
        .field("candidates", None, Some(&members.len()));
    log(
        &mut tx,
        &st.cipher,
        who,
        "poll.further_round",
        ("poll", id.0),
        p.school_union_id,
        &ch,
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

// ------------------------------------------------------------------ paper

/// The tellers' sheet as stored.
#[derive(Clone, Debug, PartialEq)]
pub struct PaperSheet {
    pub count: PaperCount,
    pub void: bool,
    pub entered_by: MemberId,
    pub entered_by_name: String,
    pub entered_at: DateTime<Utc>,
    pub confirmed_by: Option<MemberId>,
    pub confirmed_by_name: Option<String>,
    pub confirmed_at: Option<DateTime<Utc>>,
}

type PaperRow = (
    i64,
    i64,
    i64,
    i64,
    String,
    bool,
    i64,
    String,
    DateTime<Utc>,
    Option<i64>,
    Option<String>,
    Option<DateTime<Utc>>,
);

const PAPER_SELECT: &str = "SELECT pp.issued, pp.returned, pp.valid, pp.invalid, pp.counts, pp.void, pp.entered_by, e.name, pp.entered_at, pp.confirmed_by, c.name, pp.confirmed_at
    FROM poll_paper pp JOIN member e ON e.id = pp.entered_by LEFT JOIN member c ON c.id = pp.confirmed_by WHERE pp.poll_id = $1";

fn paper_row(r: PaperRow) -> Result<PaperSheet, StoreError> {
    Ok(PaperSheet {
        count: PaperCount {
            issued: u(r.0),
            returned: u(r.1),
            valid: u(r.2),
            invalid: u(r.3),
            tally: json(Some(r.4))?.unwrap_or_default(),
        },
        void: r.5,
        entered_by: MemberId(r.6),
        entered_by_name: r.7,
        entered_at: r.8,
        confirmed_by: r.9.map(MemberId),
        confirmed_by_name: r.10,
        confirmed_at: r.11,
    })
}

async fn tx_paper(tx: &mut Tx, poll: PollId) -> Result<Option<PaperSheet>, StoreError> {
    let r: Option<PaperRow> = on_tx!(tx, |c| sqlx::query_as(PAPER_SELECT)
        .bind(poll.0)
        .fetch_optional(&mut *c)
        .await)?;
    r.map(paper_row).transpose()
}

/// The paper sheet of a poll the viewer has read.
pub async fn paper(db: &Db, poll: &Poll) -> Result<Option<PaperSheet>, StoreError> {
    let r: Option<PaperRow> = on_db!(db, |p| sqlx::query_as(PAPER_SELECT)
        .bind(poll.id.0)
        .fetch_optional(p)
        .await)?;
    r.map(paper_row).transpose()
}

/// Whether `member` holds `role` at the meeting.
async fn tx_has_role(
    tx: &mut Tx,
    meeting: MeetingId,
    member: MemberId,
    role: MeetingRole,
) -> Result<bool, StoreError> {
    let n: i64 = on_tx!(tx, |c| {
        sqlx::query_scalar(
        "SELECT COUNT(*) FROM meeting_role WHERE meeting_id = $1 AND member_id = $2 AND role = $3"
    )
    .bind(meeting.0)
    .bind(member.0)
    .bind(role.code())
    .fetch_one(&mut *c)
    .await
    })?;
    Ok(n > 0)
}

/// The roles the member holds at the meeting (for showing the tellers' and scrutineers'
/// forms).
pub async fn own_roles(
    db: &Db,
    acting: &Acting<perm::CongressAttend>,
    meeting: MeetingId,
) -> Result<Vec<MeetingRole>, StoreError> {
    let rows: Vec<String> = on_db!(db, |p| sqlx::query_scalar(
        "SELECT role FROM meeting_role WHERE meeting_id = $1 AND member_id = $2"
    )
    .bind(meeting.0)
    .bind(acting.member().0)
    .fetch_all(p)
    .await)?;
    rows.iter().map(|r| coded(r)).collect()
}

/// A teller of the meeting enters (or corrects) the paper counts of a closed poll. The
/// entry needs a scrutineer's confirmation again after every change. A round voided by its
/// counts (more returned than issued) is recorded as void; the result cannot be published
/// until a recount is entered.
pub async fn enter_paper(
    st: &Store,
    acting: &Acting<perm::CongressAttend>,
    who: &Who,
    poll: PollId,
    input: &PaperInput,
) -> Result<Reconciliation, StoreError> {
    let mut tx = st.db.begin().await?;
    let p = tx_poll(&mut tx, Viewer::attendee(acting), poll).await?;
    if !tx_has_role(&mut tx, p.meeting_id, acting.member(), MeetingRole::Teller).await? {
        return Err(invalid("paper", t::PAPER_NOT_TELLER));
    }
    if !p.mode.takes_paper() {
        return Err(invalid("paper", t::PAPER_NAMED));
    }
    if p.status != PollStatus::Closed {
        return Err(invalid("paper", t::STEP_NOT_ALLOWED));
    }
    let opts = tx_options(&mut tx, poll).await?;
    let spec = BallotSpec {
        kind: p.kind,
        seats: p.seats,
        options: opts.iter().map(|o| o.id).collect(),
    };
    let (count, recon) = input.parse(&spec).map_err(StoreError::Invalid)?;
    // Write-ins on paper must be members of the school, like electronic ones.
    for m in count.tally.write_ins.keys() {
        if !tx_eligible_member(&mut tx, p.school_union_id, *m).await? {
            return Err(invalid("write_in", t::VOTE_WRITE_IN_UNKNOWN));
        }
    }
    let void = recon == Reconciliation::Void;
    let counts =
        serde_json::to_string(&count.tally).map_err(|e| StoreError::Other(e.to_string()))?;
    let before = tx_paper(&mut tx, poll).await?;
    on_tx!(&mut tx, |c| {
        sqlx::query(
        "INSERT INTO poll_paper (poll_id, issued, returned, valid, invalid, counts, void, entered_by, entered_at, confirmed_by, confirmed_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, NULL, NULL)
         ON CONFLICT (poll_id) DO UPDATE SET issued = excluded.issued, returned = excluded.returned, valid = excluded.valid,
           invalid = excluded.invalid, counts = excluded.counts, void = excluded.void, entered_by = excluded.entered_by,
           entered_at = excluded.entered_at, confirmed_by = NULL, confirmed_at = NULL"
    )
    .bind(poll.0)
    .bind(i64::from(count.issued))
    .bind(i64::from(count.returned))
    .bind(i64::from(count.valid))
    .bind(i64::from(count.invalid))
    .bind(&counts)
    .bind(void)
    .bind(acting.member().0)
    .bind(now())
    .execute(&mut *c)
    .await
    .map(|r| r.rows_affected())
    })?;
    let mut ch = Changes::new();
    let b = before.as_ref();
    ch.field(
        "issued",
        b.map(|x| x.count.issued).as_ref(),
        Some(&count.issued),
    )
    .field(
        "returned",
        b.map(|x| x.count.returned).as_ref(),
        Some(&count.returned),
    )
    .field(
        "valid",
        b.map(|x| x.count.valid).as_ref(),
        Some(&count.valid),
    )
    .field(
        "invalid",
        b.map(|x| x.count.invalid).as_ref(),
        Some(&count.invalid),
    )
    .field(
        "counts",
        b.map(|x| serde_json::to_string(&x.count.tally).unwrap_or_default())
            .as_ref(),
        Some(&counts),
    )
    .field("void", None, Some(&void));
    poll_log(&mut tx, st, who, "poll.paper_enter", &p, &ch).await?;
    tx.commit().await?;
    Ok(recon)
}

/// A scrutineer of the meeting confirms the tellers' entry: someone other than the teller
/// who entered it, and only a sheet that reconciles.
pub async fn confirm_paper(
    st: &Store,
    acting: &Acting<perm::CongressAttend>,
    who: &Who,
    poll: PollId,
) -> Result<(), StoreError> {
    let mut tx = st.db.begin().await?;
    let p = tx_poll(&mut tx, Viewer::attendee(acting), poll).await?;
    if !tx_has_role(
        &mut tx,
        p.meeting_id,
        acting.member(),
        MeetingRole::Scrutineer,
    )
    .await?
    {
        return Err(invalid("paper", t::PAPER_NOT_SCRUTINEER));
    }
    step(p.status, PollStep::Confirm)?;
    let Some(sheet) = tx_paper(&mut tx, poll).await? else {
        return Err(invalid("paper", t::PAPER_UNCONFIRMED));
    };
    if sheet.void {
        return Err(invalid("paper", t::PAPER_VOID));
    }
    if sheet.entered_by == acting.member() {
        return Err(invalid("paper", t::PAPER_SAME_PERSON));
    }
    on_tx!(&mut tx, |c| sqlx::query(
        "UPDATE poll_paper SET confirmed_by = $2, confirmed_at = $3 WHERE poll_id = $1"
    )
    .bind(poll.0)
    .bind(acting.member().0)
    .bind(now())
    .execute(&mut *c)
    .await
    .map(|r| r.rows_affected()))?;
    let mut ch = Changes::new();
    ch.field("confirmed_by", None, Some(&acting.member().0));
    poll_log(&mut tx, st, who, "poll.paper_confirm", &p, &ch).await?;
    tx.commit().await
}

async fn tx_eligible_member(
    tx: &mut Tx,
    school: OrgUnitId,
    m: MemberId,
) -> Result<bool, StoreError> {
    let n: i64 = on_tx!(tx, |c| {
        sqlx::query_scalar(
        "SELECT COUNT(*) FROM member WHERE id = $1 AND school_union_id = $2 AND status = 'active'"
    )
    .bind(m.0)
    .bind(school.0)
    .fetch_one(&mut *c)
    .await
    })?;
    Ok(n > 0)
}

/// Finds the member a write-in names: an active member of the school with exactly this
/// name. `None` when nobody or more than one person has it (the hall must then be told).
pub async fn resolve_write_in(
    db: &Db,
    _reader: Viewer<'_>,
    school: OrgUnitId,
    name: &str,
) -> Result<Option<MemberId>, StoreError> {
    let name = name.trim();
    if name.is_empty() {
        return Ok(None);
    }
    let ids: Vec<i64> = on_db!(db, |p| {
        sqlx::query_scalar(
        "SELECT id FROM member WHERE school_union_id = $1 AND name = $2 AND status = 'active' LIMIT 2"
    )
    .bind(school.0)
    .bind(name)
    .fetch_all(p)
    .await
    })?;
    Ok(match ids.as_slice() {
        [one] => Some(MemberId(*one)),
        _ => None,
    })
}

/// Names of members (write-ins in results).
pub async fn member_names(
    db: &Db,
    _reader: Viewer<'_>,
    ids: &[MemberId],
) -> Result<std::collections::HashMap<MemberId, String>, StoreError> {
    if ids.is_empty() {
        return Ok(Default::default());
    }
    let mut sql = Sql::new("SELECT id, name FROM member WHERE id IN (");
    sql.bind_list(ids.iter().map(|m| Arg::I64(m.0)));
    sql.push(")");
    let rows: Vec<(i64, String)> = sql.fetch_all(db).await?;
    Ok(rows.into_iter().map(|(i, n)| (MemberId(i), n)).collect())
}

// ------------------------------------------------------------------ turnout and results

/// Live turnout: ballots cast electronically, voting delegates, present now.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Turnout {
    pub voted: u32,
    pub eligible: u32,
    pub present: u32,
    pub status: PollStatus,
}

/// Turnout of a poll (one query).
pub async fn turnout(db: &Db, _reader: Viewer<'_>, poll: PollId) -> Result<Turnout, StoreError> {
    let (voted, eligible, present, status): (i64, i64, i64, String) = on_db!(db, |p| sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM poll_participation WHERE poll_id = $1),
                (SELECT COUNT(*) FROM delegate d WHERE d.term_id = mt.term_id AND d.ended_on IS NULL AND d.kind = 'delegate'),
                (SELECT COUNT(*) FROM check_in c JOIN delegate d ON d.id = c.delegate_id WHERE c.meeting_id = mt.id AND d.kind = 'delegate' AND c.left_at IS NULL),
                p.status
         FROM poll p JOIN congress_meeting mt ON mt.id = p.meeting_id WHERE p.id = $1"
    )
    .bind(poll.0)
    .fetch_optional(p)
    .await)?
    .ok_or(StoreError::NotFound)?;
    Ok(Turnout {
        voted: u(voted),
        eligible: u(eligible),
        present: u(present),
        status: coded(&status)?,
    })
}

/// Named ballots with the voters' names, for a named poll's published record.
pub async fn named_ballots(
    db: &Db,
    _reader: Viewer<'_>,
    poll: &Poll,
) -> Result<Vec<(String, Ballot)>, StoreError> {
    if poll.mode != PollMode::Named {
        return Ok(Vec::new());
    }
    let rows: Vec<(String, String)> = on_db!(db, |p| {
        sqlx::query_as(
        "SELECT m.name, b.content FROM poll_named_ballot b JOIN delegate d ON d.id = b.delegate_id JOIN member m ON m.id = d.member_id
         WHERE b.poll_id = $1 ORDER BY m.name_pinyin, d.id"
    )
    .bind(poll.id.0)
    .fetch_all(p)
    .await
    })?;
    Ok(rows
        .into_iter()
        .filter_map(|(n, c)| Ballot::decode(&c).map(|b| (n, b)))
        .collect())
}

/// Who asks to see a cadre review's results: the capabilities the reader holds, never a
/// flag the caller computed. Every output (poll page, minutes, result sheet, its print view
/// and .xlsx) asks [`may_see_review`] with one of these.
pub struct ReviewReader<'a> {
    /// Running congresses (a school's chair, the district's staff): counts only when it
    /// covers the poll's school.
    pub manage: Option<&'a Cap<perm::CongressManage>>,
    /// The person behind the account, for the audiences made of delegates.
    pub attendee: Option<&'a Acting<perm::CongressAttend>>,
}

/// Whether the reader may see a cadre review's results, under the rule set that decided
/// it: those who run the school's congress always; then, as the rule set names the
/// audience, the meeting's presidium or every delegate of its term. Viewing congresses
/// (an area lead, a committee member) is not enough. Other polls' results are not limited.
pub async fn may_see_review(
    db: &Db,
    poll: &Poll,
    reader: ReviewReader<'_>,
) -> Result<bool, StoreError> {
    if poll.kind != PollKind::CadreReview {
        return Ok(true);
    }
    if let Some(cap) = reader.manage {
        let mut sql = Sql::new("SELECT COUNT(*) FROM org_unit u WHERE u.id = ");
        sql.bind(Arg::I64(poll.school_union_id.0));
        crate::scope::restrict(&mut sql, "u.id", cap.scope());
        if sql.fetch_scalar_i64(db).await? > 0 {
            return Ok(true);
        }
    }
    let Some(me) = reader.attendee else {
        return Ok(false);
    };
    let rules = match poll.rule_set_id {
        Some(id) => crate::congress::rules::version(db, id).await?.rules,
        None => RuleSet::DEFAULT,
    };
    use domain::rules::ReviewAudience as A;
    let sql = match rules.review_audience {
        A::Managers => return Ok(false),
        A::Delegates => {
            "SELECT COUNT(*) FROM delegate d JOIN congress_meeting mt ON mt.term_id = d.term_id
             WHERE mt.id = $1 AND d.member_id = $2 AND d.ended_on IS NULL"
        }
        A::Presidium => {
            "SELECT COUNT(*) FROM meeting_role WHERE meeting_id = $1 AND member_id = $2 AND role = 'presidium'"
        }
    };
    let n: i64 = on_db!(db, |p| {
        sqlx::query_scalar(sql)
            .bind(poll.meeting_id.0)
            .bind(me.member().0)
            .fetch_one(p)
            .await
    })?;
    Ok(n > 0)
}

/// The delegate a member holds in the poll's term and whether they voted in it.
pub async fn own_participation(
    db: &Db,
    acting: &Acting<perm::CongressAttend>,
    polls: &[PollId],
) -> Result<Vec<PollId>, StoreError> {
    if polls.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = Sql::new(
        "SELECT pp.poll_id FROM poll_participation pp JOIN delegate d ON d.id = pp.delegate_id WHERE d.member_id = ",
    );
    sql.bind(Arg::I64(acting.member().0));
    sql.push(" AND pp.poll_id IN (");
    sql.bind_list(polls.iter().map(|p| Arg::I64(p.0)));
    sql.push(")");
    let rows: Vec<(i64,)> = sql.fetch_all(db).await?;
    Ok(rows.into_iter().map(|r| PollId(r.0)).collect())
}

/// Everything the minutes draft of a meeting needs: the meeting, its polls with their
/// options and sheets (a fixed number of queries whatever the number of polls).
pub struct MinutesPoll {
    pub poll: Poll,
    pub options: Vec<PollOption>,
    pub paper: Option<PaperSheet>,
}

pub async fn minutes(
    db: &Db,
    v: Viewer<'_>,
    meeting: MeetingId,
) -> Result<(Meeting, Vec<MinutesPoll>), StoreError> {
    let m = get_meeting(db, v, meeting).await?;
    let polls = polls_of_meeting(db, v, meeting).await?;
    let opts: Vec<(i64, i64, i64, String, Option<i64>, Option<String>)> = on_db!(db, |p| {
        sqlx::query_as(
        "SELECT o.poll_id, o.id, o.position, o.label, o.member_id, o.post FROM poll_option o JOIN poll p ON p.id = o.poll_id
         WHERE p.meeting_id = $1 ORDER BY o.poll_id, o.position, o.id"
    )
    .bind(meeting.0)
    .fetch_all(p)
    .await
    })?;
    let papers: Vec<(
        i64,
        i64,
        i64,
        i64,
        i64,
        String,
        bool,
        i64,
        String,
        DateTime<Utc>,
        Option<i64>,
        Option<String>,
        Option<DateTime<Utc>>,
    )> = on_db!(db, |p| {
        sqlx::query_as(
            "SELECT pp.poll_id, pp.issued, pp.returned, pp.valid, pp.invalid, pp.counts, pp.void, pp.entered_by, e.name, pp.entered_at, pp.confirmed_by, c.name, pp.confirmed_at
             FROM poll_paper pp JOIN poll p ON p.id = pp.poll_id JOIN member e ON e.id = pp.entered_by LEFT JOIN member c ON c.id = pp.confirmed_by
             WHERE p.meeting_id = $1"
        )
        .bind(meeting.0)
        .fetch_all(p)
        .await
    })?;
    let mut out = Vec::with_capacity(polls.len());
    for poll in polls {
        let options = opts
            .iter()
            .filter(|o| o.0 == poll.id.0)
            .map(|o| option_row((o.1, o.2, o.3.clone(), o.4, o.5.clone())))
            .collect();
        let paper = papers
            .iter()
            .find(|r| r.0 == poll.id.0)
            .map(|r| {
                paper_row((
                    r.1,
                    r.2,
                    r.3,
                    r.4,
                    r.5.clone(),
                    r.6,
                    r.7,
                    r.8.clone(),
                    r.9,
                    r.10,
                    r.11.clone(),
                    r.12,
                ))
            })
            .transpose()?;
        out.push(MinutesPoll {
            poll,
            options,
            paper,
        });
    }
    Ok((m, out))
}

/// In a union election only union members vote (工会基层组织选举工作条例 art. 4: 会员享有
/// 选举权): a congress delegate recorded as not a member is refused. One query, only for
/// union elections.
pub(crate) async fn union_voter(
    db: &Db,
    poll: &Poll,
    delegate: DelegateId,
) -> Result<(), StoreError> {
    if poll.union_office.is_none() {
        return Ok(());
    }
    let member: Option<bool> = on_db!(db, |p| {
        sqlx::query_scalar(
        "SELECT m.union_member FROM delegate d JOIN member m ON m.id = d.member_id WHERE d.id = $1"
    )
    .bind(delegate.0)
    .fetch_optional(p)
    .await
    })?;
    if member == Some(true) {
        Ok(())
    } else {
        Err(invalid("delegate", t::VOTE_UNION_MEMBERS_ONLY))
    }
}

/// The delegate behind a voter, checked for the poll: a voting delegate of the poll's term
/// (observers and guests may not vote), checked in and not gone.
pub(crate) async fn eligible_delegate(
    db: &Db,
    poll: &Poll,
    delegate: DelegateId,
) -> Result<(), StoreError> {
    let row: Option<(String, Option<i64>, bool)> = on_db!(db, |p| sqlx::query_as(
        "SELECT d.kind, c.delegate_id, c.left_at IS NOT NULL FROM delegate d
         JOIN congress_meeting mt ON mt.term_id = d.term_id AND mt.id = $2
         LEFT JOIN check_in c ON c.meeting_id = mt.id AND c.delegate_id = d.id
         WHERE d.id = $1 AND d.ended_on IS NULL"
    )
    .bind(delegate.0)
    .bind(poll.meeting_id.0)
    .fetch_optional(p)
    .await)?;
    match row {
        None => Err(invalid("delegate", t::NOT_A_DELEGATE)),
        Some((kind, _, _)) if kind != "delegate" => Err(invalid("delegate", t::VOTE_OBSERVER)),
        Some((_, None, _)) | Some((_, Some(_), true)) => {
            Err(invalid("delegate", t::VOTE_NOT_PRESENT))
        }
        Some(_) => Ok(()),
    }
}

/// Polls, ballots, sealed counting and results.
pub static AREA: crate::area::Area = crate::area::Area {
    coded: &[
        crate::area::CodedColumn::of::<PollKind>("poll.kind"),
        crate::area::CodedColumn::of::<PollMode>("poll.mode"),
        crate::area::CodedColumn::of::<PollStatus>("poll.status"),
        crate::area::CodedColumn::of::<UnionOffice>("poll.union_office"),
    ],
    figures: figures::FIGURES,
    year_figures: Some(figures::year_figures),
    due_items: Some(due::due_items),
    ..crate::area::Area::new("voting")
};

/// An open poll as a delegate meets it on the start page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NowPoll {
    pub id: PollId,
    pub title: String,
    /// Counted on paper in the hall: no phone ballot is offered.
    pub paper: bool,
    pub voted: bool,
}

/// A meeting in session for one of its attendees: their check-in and the polls open now.
#[derive(Clone, Debug)]
pub struct MeetingNow {
    pub meeting: Meeting,
    pub kind: DelegateKind,
    pub checked_in: Option<DateTime<Utc>>,
    /// Open polls; empty for an observer or a guest, who cannot vote (issue 25).
    pub polls: Vec<NowPoll>,
}

/// The meetings in session where the acting member holds a mandate, with their own check-in
/// and, when they vote, the open polls and whether they have voted. Four queries whatever the
/// number of meetings and polls. Reads only through the attendee's own `Viewer`.
pub async fn meetings_now(
    db: &Db,
    acting: &Acting<perm::CongressAttend>,
    today: chrono::NaiveDate,
) -> Result<Vec<MeetingNow>, StoreError> {
    let v = Viewer::attendee(acting);
    let meetings: Vec<Meeting> = crate::congress::meetings::recent_meetings(db, v, today)
        .await?
        .into_iter()
        .filter(|m| m.status == MeetingStatus::Open)
        .collect();
    if meetings.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = Sql::new(
        "SELECT mt.id, d.kind, c.at FROM congress_meeting mt JOIN delegate d ON d.term_id = mt.term_id AND d.ended_on IS NULL AND d.member_id = ",
    );
    sql.bind(Arg::I64(acting.member().0));
    sql.push(
        " LEFT JOIN check_in c ON c.meeting_id = mt.id AND c.delegate_id = d.id WHERE mt.id IN (",
    );
    sql.bind_list(meetings.iter().map(|m| Arg::I64(m.id.0)));
    sql.push(")");
    let mandates: Vec<(i64, String, Option<DateTime<Utc>>)> = sql.fetch_all(db).await?;
    let mut sql = Sql::new(POLL_SELECT);
    sql.push(" AND p.status = 'open' AND p.meeting_id IN (");
    sql.bind_list(meetings.iter().map(|m| Arg::I64(m.id.0)));
    sql.push(")");
    v.restrict(&mut sql);
    sql.push(" ORDER BY p.id");
    let polls: Vec<Poll> = sql
        .fetch_all::<PollRow>(db)
        .await?
        .into_iter()
        .map(PollRow::into_poll)
        .collect::<Result<_, _>>()?;
    let ids: Vec<PollId> = polls.iter().map(|p| p.id).collect();
    let voted = own_participation(db, acting, &ids).await?;
    let mut out = Vec::new();
    for m in meetings {
        let Some((_, kind, at)) = mandates.iter().find(|r| r.0 == m.id.0) else {
            continue;
        };
        let kind: DelegateKind = coded(kind)?;
        let polls = if kind.votes() {
            polls
                .iter()
                .filter(|p| p.meeting_id == m.id)
                .map(|p| NowPoll {
                    id: p.id,
                    title: p.title.clone(),
                    paper: p.mode == PollMode::Paper,
                    voted: voted.contains(&p.id),
                })
                .collect()
        } else {
            Vec::new()
        };
        out.push(MeetingNow {
            meeting: m,
            kind,
            checked_in: *at,
            polls,
        });
    }
    Ok(out)
}
