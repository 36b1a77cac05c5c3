//! Receipts (票据) as files on expenses: the type is read from the content (JPEG, PNG or
//! PDF — never from the name or the browser's claim), the size is limited, and a receipt is
//! served only to a reader in the scope of its entry's school (out of scope is 404).
//!
//! Never here: a file of another type stored, or a receipt read without a funds capability.

use super::ledger::{invalid, log_commit};
use crate::audit::Who;
use crate::db::{Arg, Sql, now};
use crate::{Db, Store, StoreError, on_tx};
use domain::FieldError;
use domain::audit::Changes;
use domain::auth::{Cap, perm};
use domain::funds::text as t;
use domain::funds::*;
use domain::ids::OrgUnitId;

/// The largest receipt accepted (every proof file's limit).
pub const MAX_BYTES: usize = crate::kit::PROOF_MAX_BYTES;

/// The content type a file's first bytes prove, if it is one a receipt may be (JPEG, PNG,
/// PDF: shared with every proof file, `crate::kit::sniff_proof`).
pub use crate::kit::sniff_proof as sniff;

/// A receipt as listed (never its content).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReceiptRow {
    pub id: ReceiptId,
    pub entry: EntryId,
    pub file_name: String,
    pub size_bytes: i64,
}

/// Attaches a receipt to an expense of a school in scope. Refused at `file` when empty,
/// too large, or not a JPEG, PNG or PDF by its content.
pub async fn attach(
    st: &Store,
    cap: &Cap<perm::FundsEnter>,
    who: &Who,
    entry: EntryId,
    file_name: &str,
    bytes: &[u8],
) -> Result<(OrgUnitId, i32, ReceiptId), StoreError> {
    if bytes.is_empty() {
        return Err(invalid(FieldError::new("file", t::RECEIPT_REQUIRED)));
    }
    if bytes.len() > MAX_BYTES {
        return Err(invalid(
            FieldError::new("file", t::RECEIPT_SIZE).arg("max", MAX_BYTES >> 20),
        ));
    }
    let Some(kind) = sniff(bytes) else {
        return Err(invalid(FieldError::new("file", t::RECEIPT_TYPE)));
    };
    let mut tx = st.db.begin().await?;
    let mut q = Sql::new(
        "SELECT e.school_union_id, e.entry_year FROM funds_entry e WHERE e.kind = 'expense' AND e.id = ",
    );
    q.bind(Arg::I64(entry.0));
    crate::scope::restrict(&mut q, "e.school_union_id", cap.scope());
    let rows: Vec<(i64, i64)> = q.fetch_all_tx(&mut tx).await?;
    let (school, year) = rows.into_iter().next().ok_or(StoreError::NotFound)?;
    let name = crate::kit::clean_file_name(file_name, "receipt");
    let id: i64 = on_tx!(&mut tx, |c| {
        sqlx::query_scalar(
            "INSERT INTO funds_receipt (entry_id, school_union_id, file_name, content_type, size_bytes, body, uploaded_by_label, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(entry.0)
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
        "funds.receipt",
        ("funds_receipt", id),
        OrgUnitId(school),
        &ch,
    )
    .await?;
    Ok((OrgUnitId(school), year as i32, ReceiptId(id)))
}

/// The receipts of a school's year (names and sizes): one query.
pub async fn of_year(
    db: &Db,
    cap: &Cap<perm::FundsView>,
    school: OrgUnitId,
    year: i32,
) -> Result<Vec<ReceiptRow>, StoreError> {
    let mut q = Sql::new(
        "SELECT r.id, r.entry_id, r.file_name, r.size_bytes FROM funds_receipt r JOIN funds_entry e ON e.id = r.entry_id WHERE r.school_union_id = ",
    );
    q.bind(Arg::I64(school.0))
        .push(" AND e.entry_year = ")
        .bind(Arg::I64(i64::from(year)));
    crate::scope::restrict(&mut q, "r.school_union_id", cap.scope());
    q.push(" ORDER BY r.id");
    let rows: Vec<(i64, i64, String, i64)> = q.fetch_all(db).await?;
    Ok(rows
        .into_iter()
        .map(|(id, e, name, size)| ReceiptRow {
            id: ReceiptId(id),
            entry: EntryId(e),
            file_name: name,
            size_bytes: size,
        })
        .collect())
}

/// A receipt's file: (name, content type, bytes), for a reader in scope (404 otherwise).
pub async fn file(
    db: &Db,
    cap: &Cap<perm::FundsView>,
    id: ReceiptId,
) -> Result<(String, String, Vec<u8>), StoreError> {
    let mut q =
        Sql::new("SELECT r.file_name, r.content_type, r.body FROM funds_receipt r WHERE r.id = ");
    q.bind(Arg::I64(id.0));
    crate::scope::restrict(&mut q, "r.school_union_id", cap.scope());
    let rows: Vec<(String, String, Vec<u8>)> = q.fetch_all(db).await?;
    rows.into_iter().next().ok_or(StoreError::NotFound)
}
