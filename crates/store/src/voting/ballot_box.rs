//! The ballot box: who may cast a ballot in a poll (a delegate logged in, or the one-time
//! code of their delegate card), and the single writer that stores ballots durably.
//!
//! Durability at speed: one task owns one connection and writes every ballot that is
//! waiting as one transaction (group commit), so a burst of a thousand delegates costs a
//! few fsyncs, not a thousand. On SQLite that connection runs with `synchronous = FULL`
//! (the pool's NORMAL would not fsync the log at commit); PostgreSQL fsyncs at commit with
//! its default `synchronous_commit = on`. A caller hears back only after the commit, so an
//! acknowledged ballot survives a crash, and a ballot whose batch failed is reported as not
//! stored.
//!
//! Secrecy: a secret ballot is sealed to its poll's public key in [`BallotBox::cast`], on
//! the caller's task and before it is queued, so the writer, the database, its log and its
//! backups only ever see ciphertexts of one length per poll (see `super::seal`). Within a
//! batch the participation rows are written first and the sealed ballots after, shuffled,
//! each under a fresh random token; a ballot row holds the poll, the token and the sealed
//! choices, nothing else. No audit record or log line is written per ballot.

use super::{Poll, PollKey, PollOption, eligible_delegate, get_poll, seal};
use crate::congress::invalid;
use crate::congress::meetings::Viewer;
use crate::db::Pool;
use crate::{Db, StoreError, on_db};
use domain::auth::perm;
use domain::congress::{Acting, DelegateId, MeetingId};
use domain::text as t;
use domain::voting::*;
use rand::RngCore;
use rand::seq::SliceRandom;
use sqlx::pool::PoolConnection;
use sqlx::{Postgres, Sqlite};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use tokio::sync::{broadcast, mpsc, oneshot};

/// Who is voting.
#[derive(Clone, Copy)]
pub enum Voter<'a> {
    /// A delegate logged in on their own account.
    Member(&'a Acting<perm::CongressAttend>),
    /// The code from a delegate card (no login).
    Code(&'a str),
}

/// A poll as a voter sees it, with the voter's delegate; made by [`prepare`]. Only
/// `prepare` makes one (`non_exhaustive`: no other crate can): it is the proof behind
/// [`Prepared::reader`].
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Prepared {
    pub poll: Poll,
    pub options: Vec<PollOption>,
    pub delegate: DelegateId,
    /// A ballot of this delegate is already in the box.
    pub voted: bool,
}

impl Prepared {
    /// Who reads for this voter: [`prepare`] checked the voter (a delegate of the term, or
    /// a card code of the meeting), so reads about the poll follow from that check.
    pub fn reader(&self) -> Viewer<'static> {
        Viewer::checked()
    }

    /// Checks what the voter filled in against the poll.
    pub fn check(&self, input: &BallotInput) -> Result<Ballot, StoreError> {
        let spec = BallotSpec {
            kind: self.poll.kind,
            seats: self.poll.seats,
            options: self.options.iter().map(|o| o.id).collect(),
        };
        let candidates: Vec<domain::ids::MemberId> =
            self.options.iter().filter_map(|o| o.member_id).collect();
        check_ballot(&spec, input, &candidates).map_err(super::invalid_with)
    }
}

/// The meeting and delegate a card code stands for. The code must have been used to check
/// in (that is what makes the delegate present).
pub async fn code_delegate(db: &Db, code: &str) -> Result<(MeetingId, DelegateId), StoreError> {
    let Some(code) = domain::congress::normalize_code(code) else {
        return Err(invalid("code", t::CODE_UNKNOWN));
    };
    let hash = crate::congress::attendance::code_hash(&code);
    let row: Option<(i64, i64)> = on_db!(db, |p| sqlx::query_as(
        "SELECT meeting_id, delegate_id FROM check_in_code WHERE code_hash = $1"
    )
    .bind(&hash)
    .fetch_optional(p)
    .await)?;
    let (m, d) = row.ok_or_else(|| invalid("code", t::CODE_UNKNOWN))?;
    Ok((MeetingId(m), DelegateId(d)))
}

/// The open polls of the meeting a card code belongs to (the code is the credential).
pub async fn code_polls(db: &Db, code: &str) -> Result<(MeetingId, Vec<Poll>), StoreError> {
    let (m, _) = code_delegate(db, code).await?;
    let polls = super::polls_of_meeting(db, Viewer::checked(), m).await?;
    Ok((m, polls))
}

/// Everything a vote needs, checked in order: the poll exists for this voter (a forged id
/// is "not found"), the code is of this meeting, the voter is a voting delegate who is
/// present, the poll is open and electronic.
pub async fn prepare(db: &Db, voter: Voter<'_>, poll: PollId) -> Result<Prepared, StoreError> {
    prepare_with(db, voter, poll, None).await
}

/// Open polls as this process last read them, with their options. A poll row does not
/// change while the poll is open (only the steps out of `open` write it) and its options
/// are fixed before it opens, so a snapshot taken while it was open stays right for as
/// long as the database still says `open` — which every card-code ballot reads anyway.
#[derive(Debug, Default)]
struct OpenPolls(std::sync::Mutex<HashMap<i64, Arc<(Poll, Vec<PollOption>)>>>);

/// Snapshots kept at most; more are forgotten all at once (a hall has a handful open).
const OPEN_POLLS_KEPT: usize = 256;

impl OpenPolls {
    fn get(&self, poll: i64) -> Option<Arc<(Poll, Vec<PollOption>)>> {
        let m = self.0.lock().unwrap_or_else(|e| e.into_inner());
        m.get(&poll).cloned()
    }

    fn keep(&self, poll: &Poll, options: &[PollOption]) {
        let mut m = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if m.len() >= OPEN_POLLS_KEPT {
            m.clear();
        }
        m.insert(poll.id.0, Arc::new((poll.clone(), options.to_vec())));
    }
}

/// [`prepare`], with the open polls' snapshots when the ballot box offers them. A card-code
/// ballot then costs one query: the code with the delegate's mandate, check-in and earlier
/// ballot, and the poll's current state.
async fn prepare_with(
    db: &Db,
    voter: Voter<'_>,
    poll: PollId,
    open: Option<&OpenPolls>,
) -> Result<Prepared, StoreError> {
    let (poll, delegate, voted, options) = match voter {
        Voter::Member(acting) => {
            let p = get_poll(db, Viewer::attendee(acting), poll).await?;
            let d: Option<i64> = on_db!(db, |c| sqlx::query_scalar(
                "SELECT d.id FROM delegate d JOIN congress_meeting mt ON mt.term_id = d.term_id
                 WHERE mt.id = $1 AND d.member_id = $2 AND d.ended_on IS NULL"
            )
            .bind(p.meeting_id.0)
            .bind(acting.member().0)
            .fetch_optional(c)
            .await)?;
            let d = DelegateId(d.ok_or_else(|| invalid("delegate", t::NOT_A_DELEGATE))?);
            eligible_delegate(db, &p, d).await?;
            (p, d, None, None)
        }
        Voter::Code(code) => {
            let Some(code) = domain::congress::normalize_code(code) else {
                return Err(invalid("code", t::CODE_UNKNOWN));
            };
            let hash = crate::congress::attendance::code_hash(&code);
            // What `code_delegate`, `eligible_delegate` and the count of earlier ballots
            // read, and the poll's state, in one query. The delegate is joined by its key
            // alone and its term compared in the select list: joined on the term as well,
            // PostgreSQL without fresh statistics walks the term's whole index instead.
            type Row = (
                i64,
                i64,
                Option<String>,
                Option<i64>,
                bool,
                i64,
                Option<String>,
                bool,
            );
            let row: Option<Row> = on_db!(db, |p| {
                sqlx::query_as(
                "SELECT k.meeting_id, k.delegate_id, CASE WHEN d.term_id = mt.term_id THEN d.kind END,
                        c.delegate_id, c.left_at IS NOT NULL,
                        (SELECT COUNT(*) FROM poll_participation pp WHERE pp.poll_id = $2 AND pp.delegate_id = k.delegate_id),
                        (SELECT p.status FROM poll p WHERE p.id = $2),
                        k.used_at IS NOT NULL AND (c.method = 'code' OR (k.on_phone AND c.method = 'phone'))
                 FROM check_in_code k
                 JOIN congress_meeting mt ON mt.id = k.meeting_id
                 LEFT JOIN delegate d ON d.id = k.delegate_id AND d.ended_on IS NULL
                 LEFT JOIN check_in c ON c.meeting_id = k.meeting_id AND c.delegate_id = k.delegate_id
                 WHERE k.code_hash = $1"
            )
            .bind(&hash)
            .bind(poll.0)
            .fetch_optional(p)
            .await
            })?;
            let (meeting, d, kind, checked, left, voted, status, by_this_card) =
                row.ok_or_else(|| invalid("code", t::CODE_UNKNOWN))?;
            let snapshot = match (open, status.as_deref()) {
                (Some(o), Some("open")) => o.get(poll.0),
                _ => None,
            };
            let (p, options) = match snapshot {
                Some(s) => (s.0.clone(), Some(s.1.clone())),
                None => (get_poll(db, Viewer::checked(), poll).await?, None),
            };
            if p.meeting_id.0 != meeting {
                return Err(invalid("code", t::CODE_FOREIGN));
            }
            match (kind.as_deref(), checked, left) {
                (None, _, _) => return Err(invalid("delegate", t::NOT_A_DELEGATE)),
                (Some(k), _, _) if k != "delegate" => {
                    return Err(invalid("delegate", t::VOTE_OBSERVER));
                }
                (_, None, _) | (_, Some(_), true) => {
                    return Err(invalid("delegate", t::VOTE_NOT_PRESENT));
                }
                _ => {}
            }
            // A card votes only if it was itself used to check in. Whoever printed the
            // cards holds every code; a desk check-in by name (of someone absent, say) or a
            // check-in on the delegate's own phone must not turn a printed code into a vote.
            // The one code that votes after a phone check-in is the fresh one given to that
            // phone at that check-in (`on_phone`).
            if !by_this_card {
                return Err(invalid("code", t::VOTE_CARD_NOT_CHECKED_IN));
            }
            (p, DelegateId(d), Some(voted > 0), options)
        }
    };
    if poll.mode == PollMode::Paper {
        return Err(invalid("poll", t::VOTE_PAPER_ONLY));
    }
    if poll.status != PollStatus::Open {
        return Err(invalid("poll", t::VOTE_NOT_OPEN));
    }
    super::union_voter(db, &poll, delegate).await?;
    let voted = match voted {
        Some(v) => v,
        None => has_voted(db, poll.id, delegate).await?,
    };
    let options = match options {
        Some(o) => o,
        None => {
            let o = super::options(db, Viewer::checked(), poll.id).await?;
            if let (Some(kept), Voter::Code(_)) = (open, voter) {
                kept.keep(&poll, &o);
            }
            o
        }
    };
    Ok(Prepared {
        poll,
        options,
        delegate,
        voted,
    })
}

/// Whether a ballot of this delegate is in the box already.
async fn has_voted(db: &Db, poll: PollId, delegate: DelegateId) -> Result<bool, StoreError> {
    const SQL: &str =
        "SELECT COUNT(*) FROM poll_participation WHERE poll_id = $1 AND delegate_id = $2";
    let n: i64 = on_db!(db, |c| sqlx::query_scalar(SQL)
        .bind(poll.0)
        .bind(delegate.0)
        .fetch_one(c)
        .await)?;
    Ok(n > 0)
}

/// What happened to a ballot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cast {
    /// Stored and committed.
    Stored,
    /// This delegate's first ballot stands; the second was not stored.
    Already,
}

struct Job {
    poll: i64,
    delegate: i64,
    named: bool,
    content: String,
    reply: oneshot::Sender<Result<Cast, StoreError>>,
}

/// Most ballots written in one transaction.
const MAX_BATCH: usize = 2048;

/// The single writer of ballots. Cheap to clone.
#[derive(Clone, Debug)]
pub struct BallotBox {
    jobs: mpsc::Sender<Job>,
    changed: broadcast::Sender<i64>,
    db: Db,
    open: Arc<OpenPolls>,
    /// Public keys of secret polls, read once: a poll's key never changes.
    keys: Arc<std::sync::Mutex<HashMap<i64, Arc<PollKey>>>>,
    /// One reader of a missing key at a time: a burst at opening costs one query, not one
    /// per ballot (which would drain the pool).
    key_load: Arc<tokio::sync::Mutex<()>>,
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Job")
    }
}

impl BallotBox {
    /// Starts the writer on the current runtime.
    pub fn start(db: Db) -> BallotBox {
        let (jobs, rx) = mpsc::channel(16_384);
        let (changed, _) = broadcast::channel(4096);
        tokio::spawn(run(db.clone(), rx, changed.clone()));
        BallotBox {
            jobs,
            changed,
            db,
            open: Arc::default(),
            keys: Arc::default(),
            key_load: Arc::default(),
        }
    }

    /// The public key of a secret poll, from memory after the first read.
    async fn key(&self, poll: PollId) -> Result<Arc<PollKey>, StoreError> {
        let cached = |keys: &std::sync::Mutex<HashMap<i64, Arc<PollKey>>>| {
            keys.lock()
                .unwrap_or_else(|e| e.into_inner())
                .get(&poll.0)
                .cloned()
        };
        if let Some(k) = cached(&self.keys) {
            return Ok(k);
        }
        let _one = self.key_load.lock().await;
        if let Some(k) = cached(&self.keys) {
            return Ok(k);
        }
        let k = super::poll_key(&self.db, poll)
            .await?
            .ok_or_else(|| invalid("poll", t::VOTE_NO_KEY))?;
        let k = Arc::new(k);
        let mut m = self.keys.lock().unwrap_or_else(|e| e.into_inner());
        if m.len() >= OPEN_POLLS_KEPT {
            m.clear();
        }
        m.insert(poll.0, k.clone());
        Ok(k)
    }

    /// [`prepare`] for this box's database; a card-code ballot for an open poll costs one
    /// query (see [`OpenPolls`]).
    pub async fn prepare(&self, voter: Voter<'_>, poll: PollId) -> Result<Prepared, StoreError> {
        prepare_with(&self.db, voter, poll, Some(&self.open)).await
    }

    /// Poll ids whose turnout changed in this process, after each commit.
    pub fn subscribe(&self) -> broadcast::Receiver<i64> {
        self.changed.subscribe()
    }

    /// Puts a checked ballot in the box; returns once it is committed (or refused).
    /// A secret ballot is sealed here, before it is queued: the plaintext never leaves this
    /// call (it is wiped when the call returns).
    pub async fn cast(&self, p: &Prepared, ballot: &Ballot) -> Result<Cast, StoreError> {
        let content = if p.poll.mode == PollMode::Secret {
            let key = self.key(p.poll.id).await?;
            let plain = zeroize::Zeroizing::new(ballot.encode());
            seal::seal(&key.public, &plain, key.pad_len)?
        } else {
            ballot.encode()
        };
        let (reply, answer) = oneshot::channel();
        let job = Job {
            poll: p.poll.id.0,
            delegate: p.delegate.0,
            named: p.poll.mode == PollMode::Named,
            content,
            reply,
        };
        self.jobs
            .send(job)
            .await
            .map_err(|_| StoreError::Other("the ballot box has stopped".into()))?;
        answer
            .await
            .map_err(|_| StoreError::Other("the ballot box has stopped".into()))?
    }
}

enum Conn {
    Sqlite(PoolConnection<Sqlite>),
    Postgres(PoolConnection<Postgres>),
}

async fn connect(db: &Db) -> Result<Conn, sqlx::Error> {
    Ok(match &db.pool {
        Pool::Sqlite(p) => {
            let mut c = p.acquire().await?;
            sqlx::query("PRAGMA synchronous = FULL")
                .execute(&mut *c)
                .await?;
            Conn::Sqlite(c)
        }
        Pool::Postgres(p) => {
            let mut c = p.acquire().await?;
            // Whatever the server's default, this path waits for the flush.
            sqlx::query("SET synchronous_commit = on")
                .execute(&mut *c)
                .await?;
            Conn::Postgres(c)
        }
    })
}

async fn run(db: Db, mut rx: mpsc::Receiver<Job>, changed: broadcast::Sender<i64>) {
    let mut conn: Option<Conn> = None;
    while let Some(first) = rx.recv().await {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(j) => batch.push(j),
                Err(_) => break,
            }
        }
        if conn.is_none() {
            match connect(&db).await {
                Ok(c) => conn = Some(c),
                Err(e) => {
                    tracing::error!(error = %e, "ballot box: no database connection");
                    fail(batch, &e);
                    continue;
                }
            }
        }
        let Some(c) = conn.as_mut() else { continue };
        let r = match c {
            Conn::Sqlite(c) => write_sqlite(c, &batch).await,
            Conn::Postgres(c) => write_postgres(c, &batch).await,
        };
        match r {
            Ok(outcomes) => {
                let mut touched: Vec<i64> = batch.iter().map(|j| j.poll).collect();
                touched.sort_unstable();
                touched.dedup();
                for (j, o) in batch.into_iter().zip(outcomes) {
                    let _ = j.reply.send(o);
                }
                for p in touched {
                    let _ = changed.send(p);
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "ballot box: a batch was not stored");
                conn = None;
                fail(batch, &e);
            }
        }
    }
}

fn fail(batch: Vec<Job>, e: &sqlx::Error) {
    for j in batch {
        let _ = j
            .reply
            .send(Err(StoreError::Other(format!("not stored: {e}"))));
    }
}

/// Rows per multi-row statement, largest first. A batch of n rows is written in chunks of
/// these sizes, so that only a handful of statement texts exist and stay prepared.
const CHUNKS: [usize; 5] = [256, 64, 16, 4, 1];

/// Splits `n` rows into chunks of [`CHUNKS`] sizes: (start, length).
fn chunks(n: usize) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut at = 0;
    for size in CHUNKS {
        while n - at >= size {
            out.push((at, size));
            at += size;
        }
    }
    out
}

/// `INSERT INTO …` with `rows` tuples of `cols` placeholders: `$n` on PostgreSQL, `?` on
/// SQLite (which looks `$n` names up one by one).
fn insert_sql(head: &str, cols: usize, rows: usize, tail: &str, pg: bool) -> String {
    let mut sql = String::with_capacity(head.len() + tail.len() + rows * cols * 6);
    sql.push_str(head);
    let mut n = 0;
    for r in 0..rows {
        sql.push_str(if r == 0 { " (" } else { ", (" });
        for c in 0..cols {
            if c > 0 {
                sql.push_str(", ");
            }
            n += 1;
            if pg {
                sql.push('$');
                sql.push_str(&n.to_string());
            } else {
                sql.push('?');
            }
        }
        sql.push(')');
    }
    sql.push_str(tail);
    sql
}

/// The writes of one batch, between the engine's BEGIN and COMMIT. `$lock` reads a poll's
/// state (PostgreSQL adds FOR SHARE, so closing waits for the batch and then sees it).
///
/// A batch costs a few statements whatever its size: the polls' states, the participation
/// rows (multi-row, `ON CONFLICT DO NOTHING RETURNING` says which were new), then the
/// ballots of the new ones, shuffled, in multi-row inserts. A delegate's second job in the
/// same batch is answered like a second ballot later: the first stands.
macro_rules! write_batch {
    ($c:expr, $batch:expr, $begin:literal, $lock:literal, $pg:expr) => {{
        let c = $c;
        let batch: &[Job] = $batch;
        let pg: bool = $pg;
        sqlx::query($begin).execute(&mut *c).await?;
        let body = async {
            let mut open: HashMap<i64, bool> = HashMap::new();
            for j in batch {
                if !open.contains_key(&j.poll) {
                    let s: Option<String> = sqlx::query_scalar($lock)
                        .bind(j.poll)
                        .fetch_optional(&mut *c)
                        .await?;
                    open.insert(j.poll, s.as_deref() == Some("open"));
                }
            }
            // The first job of each (poll, delegate) in an open poll, in arrival order.
            let mut first: HashMap<(i64, i64), usize> = HashMap::with_capacity(batch.len());
            let mut rows: Vec<(i64, i64)> = Vec::with_capacity(batch.len());
            for (i, j) in batch.iter().enumerate() {
                if open.get(&j.poll) == Some(&true) {
                    first.entry((j.poll, j.delegate)).or_insert_with(|| {
                        rows.push((j.poll, j.delegate));
                        i
                    });
                }
            }
            let mut new: HashSet<(i64, i64)> = HashSet::with_capacity(rows.len());
            for (at, n) in chunks(rows.len()) {
                let sql = insert_sql(
                    "INSERT INTO poll_participation (poll_id, delegate_id) VALUES",
                    2,
                    n,
                    " ON CONFLICT DO NOTHING RETURNING poll_id, delegate_id",
                    pg,
                );
                let mut q = sqlx::query_as::<_, (i64, i64)>(sqlx::AssertSqlSafe(sql));
                for (poll, delegate) in &rows[at..at + n] {
                    q = q.bind(*poll).bind(*delegate);
                }
                new.extend(q.fetch_all(&mut *c).await?);
            }
            let mut outcomes: Vec<Result<Cast, StoreError>> = Vec::with_capacity(batch.len());
            let mut accepted: Vec<usize> = Vec::with_capacity(new.len());
            for (i, j) in batch.iter().enumerate() {
                let key = (j.poll, j.delegate);
                if open.get(&j.poll) != Some(&true) {
                    outcomes.push(Err(invalid("poll", t::VOTE_NOT_OPEN)));
                } else if first.get(&key) == Some(&i) && new.contains(&key) {
                    outcomes.push(Ok(Cast::Stored));
                    accepted.push(i);
                } else {
                    outcomes.push(Ok(Cast::Already));
                }
            }
            let tokens: Vec<[u8; 16]> = {
                let mut rng = rand::rng();
                accepted.shuffle(&mut rng);
                accepted
                    .iter()
                    .map(|_| {
                        let mut b = [0u8; 16];
                        rng.fill_bytes(&mut b);
                        b
                    })
                    .collect()
            };
            let (named, secret): (Vec<(usize, [u8; 16])>, Vec<(usize, [u8; 16])>) = accepted
                .iter()
                .copied()
                .zip(tokens)
                .partition(|(i, _)| batch[*i].named);
            for (at, n) in chunks(secret.len()) {
                let sql = insert_sql(
                    "INSERT INTO poll_ballot (poll_id, token, content) VALUES",
                    3,
                    n,
                    "",
                    pg,
                );
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
                for (i, token) in &secret[at..at + n] {
                    let j = &batch[*i];
                    q = q.bind(j.poll).bind(&token[..]).bind(j.content.as_str());
                }
                q.execute(&mut *c).await?;
            }
            for (at, n) in chunks(named.len()) {
                let sql = insert_sql(
                    "INSERT INTO poll_named_ballot (poll_id, delegate_id, content) VALUES",
                    3,
                    n,
                    "",
                    pg,
                );
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
                for (i, _) in &named[at..at + n] {
                    let j = &batch[*i];
                    q = q.bind(j.poll).bind(j.delegate).bind(j.content.as_str());
                }
                q.execute(&mut *c).await?;
            }
            if pg {
                let mut polls: Vec<i64> = open.keys().copied().collect();
                polls.sort_unstable();
                for p in polls {
                    sqlx::query("SELECT pg_notify('jiaogong_vote', $1)")
                        .bind(p.to_string())
                        .execute(&mut *c)
                        .await?;
                }
            }
            Ok::<_, sqlx::Error>(outcomes)
        };
        match body.await {
            Ok(o) => {
                sqlx::query("COMMIT").execute(&mut *c).await?;
                Ok(o)
            }
            Err(e) => {
                let _ = sqlx::query("ROLLBACK").execute(&mut *c).await;
                Err(e)
            }
        }
    }};
}

async fn write_sqlite(
    c: &mut PoolConnection<Sqlite>,
    batch: &[Job],
) -> Result<Vec<Result<Cast, StoreError>>, sqlx::Error> {
    write_batch!(
        &mut **c,
        batch,
        "BEGIN IMMEDIATE",
        "SELECT status FROM poll WHERE id = $1",
        false
    )
}

async fn write_postgres(
    c: &mut PoolConnection<Postgres>,
    batch: &[Job],
) -> Result<Vec<Result<Cast, StoreError>>, sqlx::Error> {
    write_batch!(
        &mut **c,
        batch,
        "BEGIN",
        "SELECT status FROM poll WHERE id = $1 FOR SHARE",
        true
    )
}

/// The channel PostgreSQL announces changed turnout on (payload: the poll id), so that
/// every server process can refresh its live counts.
pub const NOTIFY_CHANNEL: &str = "jiaogong_vote";

/// On PostgreSQL: forwards the poll ids other processes announce to `wake`, for as long as
/// the receiver side lives, reconnecting after errors. Does nothing on SQLite (one process).
pub fn listen(db: &Db, wake: broadcast::Sender<i64>) {
    let Pool::Postgres(pool) = &db.pool else {
        return;
    };
    let pool = pool.clone();
    tokio::spawn(async move {
        loop {
            match sqlx::postgres::PgListener::connect_with(&pool).await {
                Ok(mut l) => {
                    if l.listen(NOTIFY_CHANNEL).await.is_ok() {
                        while let Ok(n) = l.recv().await {
                            if let Ok(p) = n.payload().parse::<i64>()
                                && wake.send(p).is_err()
                            {
                                return;
                            }
                        }
                    }
                }
                Err(e) => tracing::warn!(error = %e, "turnout: cannot listen for other processes"),
            }
            tokio::time::sleep(std::time::Duration::from_secs(2)).await;
        }
    });
}
