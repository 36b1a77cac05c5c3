//! The attacks of issue 11 as tests: someone holding the database (its file, its log, a
//! copy of its pages) tries to learn how delegates voted in a secret poll of 48 ballots
//! cast one at a time in a known random order, while it is open and after it is counted.
//!
//! SQLite: a reader of the raw file and WAL walks every page image (file pages and WAL
//! frames, in write order), decodes every cell of every b-tree page, and also searches the
//! whole byte stream (free blocks, unallocated space, frame headers) for any ballot in
//! plain form. PostgreSQL: the `xmin` join that paired every voter with a ballot, the raw
//! heap pages through `pageinspect` (live and dead tuples), the WAL segments of the poll's
//! LSN range and `pg_waldump` over them. Each attack must find the ballots (a positive
//! control that it works) and still learn no choice: every ballot it reaches is a sealed
//! box, all of one length, and no plaintext ballot or share code is anywhere.

use domain::org::Coded;
use domain::voting::*;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use store::voting::ballot_box::{BallotBox, Voter, prepare};
use store::voting::{self as sv};
use store::{Store, on_db};
use testkit::hall::{Hall, close, hall, open_motion, shares};
use testkit::*;

const BALLOTS: usize = 48;

struct Cast {
    h: Hall,
    poll: PollId,
    /// Every plain form a ballot of this poll can take.
    needles: Vec<Vec<u8>>,
    /// The share codes handed out at opening (must never be stored).
    codes: Vec<String>,
}

/// Opens a secret motion and casts 48 ballots one by one in a known random order with
/// known random choices (the attacker knows the order of arrival, e.g. from a camera).
async fn cast(st: &Store) -> (Cast, Vec<(usize, MotionChoice)>) {
    let h = hall(st, 60, 0, BALLOTS).await;
    let bx = BallotBox::start(st.db.clone());
    let poll = open_motion(st, &h, "secret").await;
    let mut rng = rand::rngs::StdRng::seed_from_u64(11);
    let mut order: Vec<usize> = (0..BALLOTS).collect();
    order.shuffle(&mut rng);
    let mut votes = Vec::new();
    for i in order {
        let c =
            [MotionChoice::Yes, MotionChoice::No, MotionChoice::Abstain][rng.random_range(0..3)];
        let p = prepare(&st.db, Voter::Code(&h.delegates[i].2), poll)
            .await
            .unwrap();
        let b = p
            .check(&BallotInput {
                choice: Some(c.code().into()),
                ..BallotInput::default()
            })
            .unwrap();
        bx.cast(&p, &b).await.unwrap();
        votes.push((i, c));
    }
    let needles = [MotionChoice::Yes, MotionChoice::No, MotionChoice::Abstain]
        .iter()
        .map(|c| Ballot::Motion { c: *c }.encode().into_bytes())
        .collect();
    let codes = shares(&h, poll);
    assert!(!codes.is_empty());
    (
        Cast {
            h,
            poll,
            needles,
            codes,
        },
        votes,
    )
}

fn find(hay: &[u8], needle: &[u8]) -> usize {
    if needle.is_empty() || hay.len() < needle.len() {
        return 0;
    }
    hay.windows(needle.len()).filter(|w| *w == needle).count()
}

/// Asserts that no plain ballot and no share code occurs anywhere in `bytes`.
fn assert_nothing_plain(c: &Cast, what: &str, bytes: &[u8]) {
    for n in &c.needles {
        assert_eq!(
            find(bytes, n),
            0,
            "{what} holds a plain ballot {}",
            String::from_utf8_lossy(n)
        );
    }
    for code in &c.codes {
        assert_eq!(find(bytes, code.as_bytes()), 0, "{what} holds a share code");
        assert_eq!(
            find(bytes, code.replace('-', "").as_bytes()),
            0,
            "{what} holds a share code"
        );
    }
}

/// What an attacker makes of a ballot they reached: a choice, or nothing.
fn learned(content: &str) -> Option<Ballot> {
    Ballot::decode(content)
}

// ------------------------------------------------------------------ SQLite, raw

/// SQLite's variable-length integer: (value, bytes read).
fn varint(b: &[u8]) -> Option<(u64, usize)> {
    let mut v: u64 = 0;
    for i in 0..9 {
        let x = *b.get(i)?;
        if i == 8 {
            return Some(((v << 8) | u64::from(x), 9));
        }
        v = (v << 7) | u64::from(x & 0x7f);
        if x & 0x80 == 0 {
            return Some((v, i + 1));
        }
    }
    None
}

#[derive(Debug, Clone, PartialEq)]
enum Val {
    Null,
    Int(i64),
    Real,
    Blob(Vec<u8>),
    Text(String),
}

/// Decodes a record (header of serial types, then the values), as far as it is local.
fn record(p: &[u8]) -> Option<Vec<Val>> {
    let (hlen, mut at) = varint(p)?;
    let hlen = usize::try_from(hlen).ok()?;
    let mut types = Vec::new();
    while at < hlen {
        let (t, n) = varint(p.get(at..)?)?;
        types.push(t);
        at += n;
    }
    let mut body = hlen;
    let mut out = Vec::new();
    for t in types {
        let (v, len) = match t {
            0 => (Val::Null, 0),
            1..=6 => {
                let len = [0, 1, 2, 3, 4, 6, 8][t as usize];
                let bytes = p.get(body..body + len)?;
                let mut v: i64 = if bytes[0] & 0x80 != 0 { -1 } else { 0 };
                for b in bytes {
                    v = (v << 8) | i64::from(*b);
                }
                (Val::Int(v), len)
            }
            7 => (Val::Real, 8),
            8 => (Val::Int(0), 0),
            9 => (Val::Int(1), 0),
            t if t >= 12 && t % 2 == 0 => {
                let len = ((t - 12) / 2) as usize;
                (Val::Blob(p.get(body..body + len)?.to_vec()), len)
            }
            t if t >= 13 => {
                let len = ((t - 13) / 2) as usize;
                (
                    Val::Text(String::from_utf8_lossy(p.get(body..body + len)?).into_owned()),
                    len,
                )
            }
            _ => return None,
        };
        out.push(v);
        body += len;
    }
    Some(out)
}

/// Every record in the cells of one b-tree page image, with the cell's offset.
fn cells(page: &[u8], header_at: usize) -> Vec<(usize, Vec<Val>)> {
    let mut out = Vec::new();
    let Some(kind) = page.get(header_at).copied() else {
        return out;
    };
    let (leaf_table, leaf_index, interior_index) = (kind == 0x0d, kind == 0x0a, kind == 0x02);
    if !(leaf_table || leaf_index || interior_index) {
        return out;
    }
    let n = u16::from_be_bytes([page[header_at + 3], page[header_at + 4]]) as usize;
    let ptrs = header_at + if interior_index { 12 } else { 8 };
    for i in 0..n {
        let Some(pp) = page.get(ptrs + 2 * i..ptrs + 2 * i + 2) else {
            break;
        };
        let mut at = u16::from_be_bytes([pp[0], pp[1]]) as usize;
        if interior_index {
            at += 4; // left child page number
        }
        let Some((size, k)) = page.get(at..).and_then(varint) else {
            continue;
        };
        at += k;
        if leaf_table {
            let Some((_, k)) = page.get(at..).and_then(varint) else {
                continue;
            };
            at += k;
        }
        let end = (at + size as usize).min(page.len());
        if let Some(r) = page.get(at..end).and_then(record) {
            out.push((at, r));
        }
    }
    out
}

/// Page images in write order: the file's pages, then every WAL frame.
fn page_images(file: &[u8], wal: &[u8]) -> Vec<(String, u32, Vec<u8>)> {
    let size = match u16::from_be_bytes([file[16], file[17]]) {
        1 => 65536,
        s => s as usize,
    };
    let mut out = Vec::new();
    for (i, p) in file.chunks(size).enumerate() {
        out.push(("file".to_string(), i as u32 + 1, p.to_vec()));
    }
    if wal.len() > 32 {
        for (i, f) in wal[32..].chunks(24 + size).enumerate() {
            if f.len() == 24 + size {
                let pgno = u32::from_be_bytes([f[0], f[1], f[2], f[3]]);
                out.push((format!("wal frame {i}"), pgno, f[24..].to_vec()));
            }
        }
    }
    out
}

struct Seen {
    ballots: Vec<(String, usize, String)>,
    participation: Vec<(String, usize, i64)>,
}

/// Reads what a forensic reader finds for `poll`: ballot cells (poll, 16-byte token, text)
/// and participation cells (poll, a delegate of the hall), with where they sit.
fn read_sqlite(c: &Cast, file: &[u8], wal: &[u8]) -> Seen {
    let delegates: std::collections::HashSet<i64> = c.h.delegates.iter().map(|d| d.1.0).collect();
    let mut seen = Seen {
        ballots: Vec::new(),
        participation: Vec::new(),
    };
    for (src, pgno, page) in page_images(file, wal) {
        let header_at = if pgno == 1 { 100 } else { 0 };
        for (off, r) in cells(&page, header_at) {
            match r.as_slice() {
                [Val::Int(p), Val::Blob(tok), Val::Text(content)]
                    if *p == c.poll.0 && tok.len() == 16 =>
                {
                    seen.ballots
                        .push((format!("{src} page {pgno}"), off, content.clone()));
                }
                [Val::Int(p), Val::Int(d)] if *p == c.poll.0 && delegates.contains(d) => {
                    seen.participation
                        .push((format!("{src} page {pgno}"), off, *d));
                }
                _ => {}
            }
        }
    }
    seen
}

fn sqlite_files(t: &TestDb) -> (Vec<u8>, Vec<u8>) {
    let path = t.sqlite_path.as_ref().unwrap();
    let file = std::fs::read(path).unwrap();
    let wal = std::fs::read(format!("{}-wal", path.display())).unwrap_or_default();
    (file, wal)
}

/// Pairs ballots with voters the way the attack of issue 11 did (by order of writing:
/// the n-th participation cell written with the n-th ballot cell) and returns what that
/// tells about each voter's choice.
fn pair_by_order(seen: &Seen) -> Vec<(i64, Option<Ballot>)> {
    let mut voters: Vec<i64> = Vec::new();
    for (_, _, d) in &seen.participation {
        if !voters.contains(d) {
            voters.push(*d);
        }
    }
    let mut contents: Vec<&str> = Vec::new();
    for (_, _, content) in &seen.ballots {
        if !contents.contains(&content.as_str()) {
            contents.push(content);
        }
    }
    voters
        .iter()
        .zip(contents)
        .map(|(d, content)| (*d, learned(content)))
        .collect()
}

async fn sqlite_attack(t: &TestDb) {
    let st = &t.store;
    let (c, votes) = cast(st).await;
    // Open: everything is still in the WAL, frame by frame, in the order of commits.
    let (file, wal) = sqlite_files(t);
    assert!(!wal.is_empty(), "the WAL holds the open poll's commits");
    let seen = read_sqlite(&c, &file, &wal);
    let distinct: std::collections::HashSet<&str> =
        seen.ballots.iter().map(|b| b.2.as_str()).collect();
    assert_eq!(
        distinct.len(),
        BALLOTS,
        "the reader finds every ballot cell (positive control)"
    );
    let voters: std::collections::HashSet<i64> = seen.participation.iter().map(|p| p.2).collect();
    assert_eq!(voters.len(), BALLOTS, "the reader finds every voter");
    let pairs = pair_by_order(&seen);
    assert_eq!(
        pairs.len(),
        BALLOTS,
        "the attacker pairs every voter with a ballot cell"
    );
    assert!(
        pairs.iter().all(|(_, b)| b.is_none()),
        "a paired ballot cell gave a choice away"
    );
    let len = seen.ballots[0].2.len();
    assert!(
        seen.ballots.iter().all(|b| b.2.len() == len),
        "sealed ballots differ in length"
    );
    assert_nothing_plain(&c, "the open database file", &file);
    assert_nothing_plain(&c, "the open WAL", &wal);

    // Closed and counted: the ballot cells are gone (zeroed), the WAL is truncated, and
    // whatever bytes remain hold nothing plain either.
    close(st, &c.h, c.poll).await;
    let (file, wal) = sqlite_files(t);
    assert!(
        wal.is_empty(),
        "the WAL is truncated after counting ({} bytes)",
        wal.len()
    );
    let seen = read_sqlite(&c, &file, &wal);
    assert!(
        seen.ballots.is_empty(),
        "sealed ballot cells remain after counting"
    );
    for b in &seen.ballots {
        assert!(learned(&b.2).is_none());
    }
    assert_nothing_plain(&c, "the counted database file", &file);
    for (_, _, content) in read_sqlite(&c, &file, &[]).ballots {
        assert!(learned(&content).is_none());
    }
    // The tally is right, and it is all that is stored.
    let p = sv::get_poll(
        &st.db,
        store::congress::meetings::Viewer::view(&sys()),
        c.poll,
    )
    .await
    .unwrap();
    assert_tally(&p, &votes);
}

fn assert_tally(p: &sv::Poll, votes: &[(usize, MotionChoice)]) {
    let n = |c: MotionChoice| votes.iter().filter(|v| v.1 == c).count() as u32;
    let t = p.tally.as_ref().unwrap();
    assert_eq!(
        (t.ballots, t.yes, t.no, t.abstain, p.electronic),
        (
            BALLOTS as u32,
            n(MotionChoice::Yes),
            n(MotionChoice::No),
            n(MotionChoice::Abstain),
            Some(BALLOTS as u32)
        )
    );
}

// ------------------------------------------------------------------ PostgreSQL

async fn pg_scalar_text(st: &Store, sql: &'static str) -> Option<String> {
    on_db!(&st.db, |p| sqlx::query_scalar::<_, String>(sql)
        .fetch_one(p)
        .await)
    .ok()
}

/// Raw bytes of every block of a table through `pageinspect`.
async fn raw_pages(st: &Store, table: &str) -> Vec<u8> {
    let blocks: i64 = on_db!(&st.db, |p| sqlx::query_scalar(
        "SELECT pg_relation_size($1::regclass) / current_setting('block_size')::bigint"
    )
    .bind(table)
    .fetch_one(p)
    .await)
    .unwrap();
    let mut out = Vec::new();
    for b in 0..blocks {
        let page: Vec<u8> = on_db!(&st.db, |p| sqlx::query_scalar(
            "SELECT get_raw_page($1, $2::int)"
        )
        .bind(table)
        .bind(b)
        .fetch_one(p)
        .await)
        .unwrap();
        out.extend(page);
    }
    out
}

/// Tuple data of every line pointer (live or dead) of a table, with its `t_xmin`.
async fn heap_tuples(st: &Store, table: &str) -> Vec<(String, Vec<u8>)> {
    let blocks: i64 = on_db!(&st.db, |p| sqlx::query_scalar(
        "SELECT pg_relation_size($1::regclass) / current_setting('block_size')::bigint"
    )
    .bind(table)
    .fetch_one(p)
    .await)
    .unwrap();
    let mut out = Vec::new();
    for b in 0..blocks {
        let rows: Vec<(Option<String>, Option<Vec<u8>>)> = on_db!(&st.db, |p| sqlx::query_as(
            "SELECT t_xmin::text, t_data FROM heap_page_items(get_raw_page($1, $2::int))"
        )
        .bind(table)
        .bind(b)
        .fetch_all(p)
        .await)
        .unwrap();
        out.extend(rows.into_iter().filter_map(|(x, d)| Some((x?, d?))));
    }
    out
}

fn lsn(s: &str) -> u64 {
    let (hi, lo) = s.split_once('/').unwrap();
    (u64::from_str_radix(hi, 16).unwrap() << 32) | u64::from_str_radix(lo, 16).unwrap()
}

/// The server's `pg_wal` directory, if this test can read it (same machine, enough rights).
async fn wal_dir(st: &Store) -> Option<std::path::PathBuf> {
    let dir = pg_scalar_text(st, "SELECT current_setting('data_directory')").await?;
    let wal = std::path::Path::new(&dir).join("pg_wal");
    std::fs::read_dir(&wal).ok()?;
    Some(wal)
}

/// The raw bytes of the WAL records that touched `relations` (`spcoid/dboid/relfilenode`)
/// between two LSNs: pg_waldump finds the records (the server's log is shared by every
/// database of the cluster, so a raw scan would also read other databases), and their
/// bytes are cut from the segment files — the tuple data pg_waldump itself does not print.
async fn wal_records(
    st: &Store,
    bin: &std::path::Path,
    dir: &std::path::Path,
    start: &str,
    end: &str,
    relations: &[String],
) -> (String, Vec<Vec<u8>>) {
    let seg: i64 = on_db!(&st.db, |p| sqlx::query_scalar(
        "SELECT setting::bigint FROM pg_settings WHERE name = 'wal_segment_size'"
    )
    .fetch_one(p)
    .await)
    .unwrap();
    let seg = seg as u64;
    let first: String = on_db!(&st.db, |p| sqlx::query_scalar(
        "SELECT pg_walfile_name($1::pg_lsn)"
    )
    .bind(start)
    .fetch_one(p)
    .await)
    .unwrap();
    let tli = &first[..8];
    let out = std::process::Command::new(bin)
        .arg("-p")
        .arg(dir)
        .arg("-s")
        .arg(start)
        .arg("-e")
        .arg(end)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let mut records = Vec::new();
    let mut files: std::collections::HashMap<String, Vec<u8>> = std::collections::HashMap::new();
    for line in text.lines() {
        if !relations
            .iter()
            .any(|r| line.contains(&format!("rel {r} ")))
        {
            continue;
        }
        // "len (rec/tot):     54/   574, tx: …, lsn: 0/0172A2B8, prev …"
        let tot: u64 = line
            .split("len (rec/tot):")
            .nth(1)
            .and_then(|r| r.split(',').next())
            .and_then(|r| r.split('/').nth(1))
            .and_then(|r| r.trim().parse().ok())
            .unwrap();
        let at = lsn(line
            .split("lsn: ")
            .nth(1)
            .and_then(|r| r.split(',').next())
            .unwrap()
            .trim());
        let per = 0x1_0000_0000u64 / seg;
        let segno = at / seg;
        let name = format!("{tli}{:08X}{:08X}", segno / per, segno % per);
        let bytes = files
            .entry(name.clone())
            .or_insert_with(|| std::fs::read(dir.join(&name)).unwrap_or_default());
        let from = (at % seg) as usize;
        // A record crossing an 8 kB page also spans that page's header.
        let to = (from + tot as usize + 40 * (1 + tot as usize / 8192)).min(bytes.len());
        records.push(bytes[from.min(to)..to].to_vec());
    }
    (text, records)
}

fn pg_waldump() -> Option<std::path::PathBuf> {
    let mut found: Vec<std::path::PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| Some(e.ok()?.path().join("bin/pg_waldump")))
        .filter(|p| p.exists())
        .collect();
    found.sort();
    found.pop()
}

async fn pg_attack(t: &TestDb) {
    let st = &t.store;
    let start = pg_scalar_text(st, "SELECT pg_current_wal_lsn()::text")
        .await
        .unwrap();
    let (c, votes) = cast(st).await;

    // Open: the xmin join of issue 11 still pairs every voter with a ballot row...
    let pairs: Vec<(i64, String)> = on_db!(&st.db, |p| sqlx::query_as(
        "SELECT pp.delegate_id, b.content FROM poll_participation pp
         JOIN poll_ballot b ON b.xmin = pp.xmin AND b.poll_id = pp.poll_id WHERE pp.poll_id = $1"
    )
    .bind(c.poll.0)
    .fetch_all(p)
    .await)
    .unwrap();
    assert_eq!(
        pairs.len(),
        BALLOTS,
        "the xmin join pairs every voter (the attack works)"
    );
    // ...and learns nothing: every paired ballot is a sealed box of one length.
    assert!(pairs.iter().all(|(_, content)| learned(content).is_none()));
    assert!(
        pairs
            .iter()
            .all(|(_, content)| content.len() == pairs[0].1.len())
    );

    let inspect = on_db!(&st.db, |p| sqlx::query(
        "CREATE EXTENSION IF NOT EXISTS pageinspect"
    )
    .execute(p)
    .await
    .map(|_| ()));
    let inspect = match inspect {
        Ok(()) => true,
        Err(e) => {
            eprintln!("SKIPPED (visibly): pageinspect is not available here: {e}");
            false
        }
    };
    if inspect {
        let tuples = heap_tuples(st, "poll_ballot").await;
        assert!(
            tuples.len() >= BALLOTS,
            "pageinspect reads the ballot tuples (positive control)"
        );
        for table in [
            "poll_ballot",
            "poll_participation",
            "poll",
            "poll_key",
            "audit_log",
        ] {
            if let Ok(Some(_)) = on_db!(&st.db, |p| sqlx::query_scalar::<_, Option<String>>(
                "SELECT to_regclass($1)::text"
            )
            .bind(table)
            .fetch_one(p)
            .await)
            {
                assert_nothing_plain(
                    &c,
                    &format!("the open pages of {table}"),
                    &raw_pages(st, table).await,
                );
            }
        }
    }

    // Closed and counted: dead tuples, free space and the log. (VACUUM FULL gives the
    // tables new files, so the log is read under the old names as well.)
    let mut relations_open = Vec::new();
    for table in ["poll_ballot", "poll_participation"] {
        relations_open.push(relation(st, table).await);
    }
    close(st, &c.h, c.poll).await;
    let p = sv::get_poll(
        &st.db,
        store::congress::meetings::Viewer::view(&sys()),
        c.poll,
    )
    .await
    .unwrap();
    assert_tally(&p, &votes);
    let left: i64 = on_db!(&st.db, |p| sqlx::query_scalar(
        "SELECT COUNT(*) FROM poll_ballot WHERE poll_id = $1"
    )
    .bind(c.poll.0)
    .fetch_one(p)
    .await)
    .unwrap();
    assert_eq!(left, 0);
    if inspect {
        for (xmin, data) in heap_tuples(st, "poll_ballot").await {
            assert_nothing_plain(&c, &format!("a ballot tuple of xmin {xmin}"), &data);
        }
        for table in ["poll_ballot", "poll_participation", "poll"] {
            assert_nothing_plain(
                &c,
                &format!("the counted pages of {table}"),
                &raw_pages(st, table).await,
            );
        }
    }
    let end = pg_scalar_text(st, "SELECT pg_current_wal_lsn()::text")
        .await
        .unwrap();
    let mut relations = relations_open;
    for table in ["poll_ballot", "poll_participation"] {
        relations.push(relation(st, table).await);
    }
    match (wal_dir(st).await, pg_waldump()) {
        (Some(dir), Some(bin)) => {
            let (text, records) = wal_records(st, &bin, &dir, &start, &end, &relations).await;
            assert!(
                records.len() >= 2 * BALLOTS,
                "pg_waldump finds the poll's inserts ({} records)",
                records.len()
            );
            // Positive control: the ballots' inserts are in these records (sealed).
            let all: Vec<u8> = records.concat();
            let reached = pairs
                .iter()
                .filter(|(_, sealed)| find(&all, sealed.as_bytes()) > 0)
                .count();
            assert!(
                reached >= BALLOTS / 2,
                "the WAL records carry the ballot tuples ({reached})"
            );
            for r in &records {
                assert_nothing_plain(&c, "a WAL record of the poll's tables", r);
            }
            assert_nothing_plain(&c, "pg_waldump's output", text.as_bytes());
        }
        (None, _) => {
            eprintln!("SKIPPED (visibly): the server's pg_wal is not readable from this test")
        }
        (_, None) => {
            eprintln!("SKIPPED (visibly): pg_waldump not found under /usr/lib/postgresql/*/bin")
        }
    }
}

/// `spcoid/dboid/relfilenode` of a table as pg_waldump names it.
async fn relation(st: &Store, table: &str) -> String {
    let (spc, db, node): (String, String, String) = on_db!(&st.db, |p| sqlx::query_as(
        "SELECT CASE WHEN c.reltablespace = 0 THEN (SELECT oid FROM pg_tablespace WHERE spcname = 'pg_default') ELSE c.reltablespace END::text,
                (SELECT oid FROM pg_database WHERE datname = current_database())::text,
                pg_relation_filenode(c.oid)::text
         FROM pg_class c WHERE c.oid = $1::regclass"
    )
    .bind(table)
    .fetch_one(p)
    .await)
    .unwrap();
    format!("{spc}/{db}/{node}")
}

dual_test!(async fn a_forensic_reader_of_the_raw_storage_learns_no_choice_open_or_counted(t) {
    match t.engine {
        store::Engine::Sqlite => sqlite_attack(&t).await,
        store::Engine::Postgres => pg_attack(&t).await,
    }
});
