//! Evidence files of a staff-home self-assessment (`home_evidence`): a photo or a PDF per
//! standard of the scheme, proved by its content (`crate::kit::sniff_proof`, the same check
//! as the funds receipts) and at most `crate::kit::PROOF_MAX_BYTES`. Files come with the
//! self-assessment ([`super::homes::apply_with_files`], in its transaction) or are added by
//! the school while the application waits for its area ([`attach`]); after the area's
//! recommendation the evidence is what was scored and is not changed.
//!
//! Must never store a file of another type, and never list or serve a file outside the
//! reader's scope (out of scope is `NotFound`).

use crate::audit::{Event, Who};
use crate::db::{Arg, Sql, Tx, now};
use crate::kit::audit_commit;
use crate::{Store, StoreError, on_tx};
use chrono::NaiveDate;
use domain::FieldError;
use domain::assessment::{HomeApplicationId, text as t};
use domain::audit::Changes;
use domain::auth::{Cap, perm};
use domain::ids::OrgUnitId;

/// A file as uploaded, before its content is checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Upload {
    /// The standard's code in the scheme.
    pub standard: &'static str,
    pub file_name: String,
    pub bytes: Vec<u8>,
}

/// A file whose content proved it a photo or a PDF.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checked {
    pub standard: &'static str,
    pub file_name: String,
    pub content_type: &'static str,
    pub bytes: Vec<u8>,
}

/// Checks an upload for the form's `field`: not empty, not too large, a JPEG, PNG or PDF by
/// its content (never by its name). The refusal names the file.
pub fn check(field: &'static str, up: Upload) -> Result<Checked, FieldError> {
    let name = crate::kit::clean_file_name(&up.file_name, "evidence");
    if up.bytes.is_empty() {
        return Err(FieldError::new(field, t::EVIDENCE_FILE_REQUIRED));
    }
    if up.bytes.len() > crate::kit::PROOF_MAX_BYTES {
        return Err(FieldError::new(field, t::EVIDENCE_FILE_SIZE)
            .arg("item", name)
            .arg("max", crate::kit::PROOF_MAX_BYTES >> 20));
    }
    let Some(kind) = crate::kit::sniff_proof(&up.bytes) else {
        return Err(FieldError::new(field, t::EVIDENCE_FILE_TYPE).arg("item", name));
    };
    Ok(Checked {
        standard: up.standard,
        file_name: name,
        content_type: kind,
        bytes: up.bytes,
    })
}

/// Writes checked files of an application (inside the caller's transaction): their ids.
pub(crate) async fn insert_tx(
    tx: &mut Tx,
    application: i64,
    school: OrgUnitId,
    files: &[Checked],
    who: &Who,
) -> Result<Vec<i64>, StoreError> {
    let mut ids = Vec::with_capacity(files.len());
    let ts = now();
    for f in files {
        let id: i64 = on_tx!(tx, |c| {
            sqlx::query_scalar(
                "INSERT INTO home_evidence (application_id, school_union_id, standard, file_name, content_type, size_bytes, body, uploaded_by, uploaded_by_label, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
            )
            .bind(application)
            .bind(school.0)
            .bind(f.standard)
            .bind(&f.file_name)
            .bind(f.content_type)
            .bind(f.bytes.len() as i64)
            .bind(&f.bytes)
            .bind(who.account.map(|a| a.0))
            .bind(&who.label)
            .bind(ts)
            .fetch_one(&mut *c)
            .await
        })?;
        ids.push(id);
    }
    Ok(ids)
}

/// Adds a checked file to an application of a school in scope while it waits for its
/// area's recommendation (afterwards: `EVIDENCE_FROZEN`). Audited.
pub async fn attach(
    st: &Store,
    cap: &Cap<perm::HomeApply>,
    who: &Who,
    application: HomeApplicationId,
    file: Checked,
) -> Result<i64, StoreError> {
    let mut tx = st.db.begin().await?;
    let mut q =
        Sql::new("SELECT a.school_union_id, a.status FROM home_application a WHERE a.id = ");
    q.bind(Arg::I64(application.0));
    crate::scope::restrict(&mut q, "a.school_union_id", cap.scope());
    let rows: Vec<(i64, String)> = q.fetch_all_tx(&mut tx).await?;
    let (school, status) = rows.into_iter().next().ok_or(StoreError::NotFound)?;
    if status != "self_assessed" {
        return Err(StoreError::State(t::EVIDENCE_FROZEN));
    }
    let school = OrgUnitId(school);
    let ids = insert_tx(
        &mut tx,
        application.0,
        school,
        std::slice::from_ref(&file),
        who,
    )
    .await?;
    let id = ids.first().copied().ok_or(StoreError::NotFound)?;
    let mut ch = Changes::new();
    ch.note("application", application.0)
        .note("standard", file.standard)
        .note("file_name", file.file_name.clone())
        .note("content_type", file.content_type)
        .note("size_bytes", file.bytes.len() as i64);
    audit_commit(
        tx,
        &st.cipher,
        who,
        Event {
            action: "home_evidence.attach",
            entity_type: "home_evidence",
            entity_id: Some(id),
            org_unit: Some(school),
            changes: &ch,
        },
    )
    .await?;
    Ok(id)
}

/// An evidence file as listed (never its content).
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct EvidenceRow {
    pub id: i64,
    pub application_id: i64,
    pub standard: String,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
}

const COLUMNS: &str =
    "e.id, e.application_id, e.standard, e.file_name, e.content_type, e.size_bytes";

/// The files of an application in scope, in upload order: one query.
pub async fn of_application(
    st: &Store,
    cap: &Cap<perm::AssessmentView>,
    application: HomeApplicationId,
) -> Result<Vec<EvidenceRow>, StoreError> {
    let mut q = Sql::new(&format!(
        "SELECT {COLUMNS} FROM home_evidence e WHERE e.application_id = "
    ));
    q.bind(Arg::I64(application.0));
    crate::scope::restrict(&mut q, "e.school_union_id", cap.scope());
    q.push(" ORDER BY e.id");
    q.fetch_all(&st.db).await
}

/// The files of a school's applications made between `from` and `to` (a school year, for
/// its ledger), in upload order: one query.
pub async fn of_school(
    st: &Store,
    cap: &Cap<perm::AssessmentView>,
    school: OrgUnitId,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<EvidenceRow>, StoreError> {
    let mut q = Sql::new(&format!(
        "SELECT {COLUMNS} FROM home_evidence e JOIN home_application a ON a.id = e.application_id WHERE e.school_union_id = "
    ));
    q.bind(Arg::I64(school.0))
        .push(" AND a.applied_on >= ")
        .bind(Arg::Date(from))
        .push(" AND a.applied_on <= ")
        .bind(Arg::Date(to));
    crate::scope::restrict(&mut q, "e.school_union_id", cap.scope());
    q.push(" ORDER BY e.id");
    q.fetch_all(&st.db).await
}

/// A file: (name, proven content type, bytes), for a reader in scope (`NotFound` otherwise).
pub async fn file(
    st: &Store,
    cap: &Cap<perm::AssessmentView>,
    id: i64,
) -> Result<(String, String, Vec<u8>), StoreError> {
    let mut q =
        Sql::new("SELECT e.file_name, e.content_type, e.body FROM home_evidence e WHERE e.id = ");
    q.bind(Arg::I64(id));
    crate::scope::restrict(&mut q, "e.school_union_id", cap.scope());
    let rows: Vec<(String, String, Vec<u8>)> = q.fetch_all(&st.db).await?;
    rows.into_iter().next().ok_or(StoreError::NotFound)
}
