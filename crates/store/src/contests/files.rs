//! The files of contest entries (the paper, the courseware as PDF, a photograph of the
//! calligraphy): attached by the entry's school while the contest takes entries, the type
//! proven by the content with the receipts' check ([`crate::kit::sniff_proof`]: PDF,
//! JPEG or PNG, never the name's extension or the browser's claim), the size limited,
//! stored like a receipt; read back by the school and the organizer under the name given,
//! and by a judge of that contest under the entry's code only ([`for_judge`]).
//!
//! Must never: store a file whose content is not an accepted type; give a judge a file of
//! a contest they do not judge, or of a school they are in conflict with; tell a judge a
//! name, a school or the file's original name (the judge gets the code and the type).
//! Every attachment is audited in its transaction.

use super::{invalid, log_commit};
use crate::audit::Who;
use crate::db::{Arg, Sql, now};
use crate::kit::{clean_file_name, sniff_proof};
use crate::{Db, Store, StoreError, on_db, on_tx};
use domain::FieldError;
use domain::audit::Changes;
use domain::auth::{Cap, perm};
use domain::congress::Acting;
use domain::contests::text as t;
use domain::contests::*;
use domain::ids::OrgUnitId;
use domain::org::Coded;

/// The largest entry file accepted (a paper or a courseware exported as PDF; a video is
/// not an entry file).
pub const MAX_BYTES: usize = 20 << 20;

/// A file as listed (never its content).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileRow {
    pub id: i64,
    pub entry: ContestEntryId,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
}

/// The extension a judge's download carries, from the type the content proved.
pub fn extension(content_type: &str) -> &'static str {
    match content_type {
        "application/pdf" => "pdf",
        "image/jpeg" => "jpg",
        "image/png" => "png",
        _ => "bin",
    }
}

/// Attaches a file to an entry of a school in scope while the contest takes entries.
/// Refused at `file` when empty, too large, not a PDF, JPEG or PNG by its content, or
/// once the contest no longer takes entries.
pub async fn attach(
    st: &Store,
    cap: &Cap<perm::ContestEnter>,
    who: &Who,
    entry: ContestEntryId,
    file_name: &str,
    bytes: &[u8],
) -> Result<ContestId, StoreError> {
    if bytes.is_empty() {
        return Err(invalid(FieldError::new("file", t::FILE_REQUIRED)));
    }
    if bytes.len() > MAX_BYTES {
        return Err(invalid(
            FieldError::new("file", t::FILE_SIZE).arg("max", MAX_BYTES >> 20),
        ));
    }
    let Some(kind) = sniff_proof(bytes) else {
        return Err(invalid(
            FieldError::new("file", t::FILE_TYPE).arg("name", clean_file_name(file_name, "entry")),
        ));
    };
    let mut tx = st.db.begin().await?;
    let mut q = Sql::new(
        "SELECT e.contest_id, e.school_union_id, c.status FROM contest_entry e JOIN contest c ON c.id = e.contest_id WHERE e.id = ",
    );
    q.bind(Arg::I64(entry.0));
    crate::scope::restrict(&mut q, "e.school_union_id", cap.scope());
    let rows: Vec<(i64, i64, String)> = q.fetch_all_tx(&mut tx).await?;
    let (contest, school, status) = rows.into_iter().next().ok_or(StoreError::NotFound)?;
    if status != ContestStatus::Open.code() {
        return Err(invalid(FieldError::new("file", t::FILES_CLOSED)));
    }
    let name = clean_file_name(file_name, "entry");
    let id: i64 = on_tx!(&mut tx, |c| {
        sqlx::query_scalar(
            "INSERT INTO contest_entry_file (entry_id, contest_id, school_union_id, file_name, content_type, size_bytes, body, uploaded_by_label, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
        )
        .bind(entry.0)
        .bind(contest)
        .bind(school)
        .bind(&name)
        .bind(kind)
        .bind(bytes.len() as i64)
        .bind(bytes)
        .bind(&who.label)
        .bind(now())
        .fetch_one(&mut *c)
        .await
    })?;
    let mut ch = Changes::new();
    ch.note("entry", entry.0)
        .note("file_name", name)
        .note("content_type", kind)
        .note("size_bytes", bytes.len() as i64);
    log_commit(
        tx,
        st,
        who,
        "contest.entry_file",
        ("contest_entry_file", id),
        OrgUnitId(school),
        &ch,
    )
    .await?;
    Ok(ContestId(contest))
}

/// The files of a contest's entries the reader may see (their schools', or all when the
/// organizer is in scope): one query, never the content.
pub async fn of_contest(
    db: &Db,
    cap: &Cap<perm::ContestView>,
    contest: ContestId,
) -> Result<Vec<FileRow>, StoreError> {
    let mut q = Sql::new(
        "SELECT f.id, f.entry_id, f.file_name, f.content_type, f.size_bytes FROM contest_entry_file f JOIN contest c ON c.id = f.contest_id WHERE f.contest_id = ",
    );
    q.bind(Arg::I64(contest.0));
    if cap.scope().roots().is_some() {
        q.push(" AND (");
        crate::scope::push_in_scope(&mut q, "f.school_union_id", cap.scope());
        q.push(" OR ");
        crate::scope::push_in_scope(&mut q, "c.organizer_unit_id", cap.scope());
        q.push(")");
    }
    q.push(" ORDER BY f.entry_id, f.id");
    let rows: Vec<(i64, i64, String, String, i64)> = q.fetch_all(db).await?;
    Ok(rows
        .into_iter()
        .map(|r| FileRow {
            id: r.0,
            entry: ContestEntryId(r.1),
            file_name: r.2,
            content_type: r.3,
            size_bytes: r.4,
        })
        .collect())
}

/// One file for a reader in scope (its school or the organizer): name, type, content.
pub async fn file(
    db: &Db,
    cap: &Cap<perm::ContestView>,
    id: i64,
) -> Result<(String, String, Vec<u8>), StoreError> {
    let mut q = Sql::new(
        "SELECT f.file_name, f.content_type, f.body FROM contest_entry_file f JOIN contest c ON c.id = f.contest_id WHERE f.id = ",
    );
    q.bind(Arg::I64(id));
    if cap.scope().roots().is_some() {
        q.push(" AND (");
        crate::scope::push_in_scope(&mut q, "f.school_union_id", cap.scope());
        q.push(" OR ");
        crate::scope::push_in_scope(&mut q, "c.organizer_unit_id", cap.scope());
        q.push(")");
    }
    let rows: Vec<(String, String, Vec<u8>)> = q.fetch_all(db).await?;
    rows.into_iter().next().ok_or(StoreError::NotFound)
}

/// The files a judge's sheet links, by entry: (file id, entry, content type). One query;
/// only the contest's entries of schools the judge is not in conflict with.
pub async fn for_sheet(
    db: &Db,
    acting: &Acting<perm::ContestJudge>,
    contest: ContestId,
) -> Result<Vec<(i64, ContestEntryId, String)>, StoreError> {
    let rows: Vec<(i64, i64, String)> = on_db!(db, |p| {
        sqlx::query_as(
            "SELECT f.id, f.entry_id, f.content_type FROM contest_entry_file f JOIN contest_judge j ON j.contest_id = f.contest_id AND j.member_id = $2
             WHERE f.contest_id = $1 AND NOT EXISTS (SELECT 1 FROM contest_conflict x WHERE x.judge_id = j.id AND x.school_union_id = f.school_union_id)
             ORDER BY f.entry_id, f.id",
        )
        .bind(contest.0)
        .bind(acting.member().0)
        .fetch_all(p)
        .await
    })?;
    Ok(rows
        .into_iter()
        .map(|(f, e, k)| (f, ContestEntryId(e), k))
        .collect())
}

/// One file for the judge acting: 404 unless they judge the file's contest and are not in
/// conflict with its school. Answers the entry's code, the type and the content — never
/// the original name, the entrants or the school.
pub async fn for_judge(
    db: &Db,
    acting: &Acting<perm::ContestJudge>,
    id: i64,
) -> Result<(String, String, Vec<u8>), StoreError> {
    let rows: Vec<(String, String, Vec<u8>)> = on_db!(db, |p| {
        sqlx::query_as(
            "SELECT e.code, f.content_type, f.body FROM contest_entry_file f JOIN contest_entry e ON e.id = f.entry_id
             JOIN contest_judge j ON j.contest_id = f.contest_id AND j.member_id = $2
             WHERE f.id = $1
               AND NOT EXISTS (SELECT 1 FROM contest_conflict x WHERE x.judge_id = j.id AND x.school_union_id = f.school_union_id)",
        )
        .bind(id)
        .bind(acting.member().0)
        .fetch_all(p)
        .await
    })?;
    rows.into_iter().next().ok_or(StoreError::NotFound)
}
