//! Key rotation: re-encrypt every encrypted value and recompute every blind index under a
//! new master key, re-sign the audit chain, and record the new key check — all in one
//! transaction, so a failure leaves the database as it was.
//!
//! Rotation also upgrades values of the old format (bound to their field only) to values
//! bound to their row (`crypto::Slot`) and then records in `meta` that the database holds
//! row-bound values only (`ciphertexts = row-bound`), after which the old format is refused.
//! It never changes what a value says.

use crate::area::EncryptedColumn;
use crate::db::{Arg, Sql};
use crate::{Cipher, Store, StoreError, on_tx};

/// Counts of what was rewritten.
#[derive(Debug, Default)]
pub struct Rotation {
    /// Values re-encrypted per `table.column`, in the order of the areas' declarations.
    pub columns: Vec<(String, u64)>,
    pub audit_records: i64,
}

impl Rotation {
    /// Values rewritten in one column (`table.column`).
    pub fn of(&self, column: &str) -> u64 {
        self.columns
            .iter()
            .find(|(c, _)| c == column)
            .map_or(0, |(_, n)| *n)
    }
}

/// Rows read per batch: bounded memory whatever the number of members.
const BATCH: i64 = 2000;

/// Re-encrypts one declared column and recomputes its blind indexes.
async fn rotate_column(
    tx: &mut crate::Tx,
    new: &Cipher,
    col: &EncryptedColumn,
) -> Result<u64, StoreError> {
    let mut n = 0u64;
    let mut after = i64::MIN;
    loop {
        let mut q = Sql::new("SELECT ");
        q.push(col.key)
            .push(", ")
            .push(col.column)
            .push(" FROM ")
            .push(col.table)
            .push(" WHERE ")
            .push(col.column)
            .push(" IS NOT NULL AND ")
            .push(col.key)
            .push(" > ")
            .bind(Arg::I64(after))
            .push(" ORDER BY ")
            .push(col.key)
            .push(" LIMIT ")
            .bind(Arg::I64(BATCH));
        let rows: Vec<(i64, Vec<u8>)> = q.fetch_all_tx(tx).await?;
        if rows.is_empty() {
            break;
        }
        for (key, enc) in rows {
            after = key;
            let plain = new.open(col.at(key), &enc)?;
            let mut u = Sql::new("UPDATE ");
            u.push(col.table)
                .push(" SET ")
                .push(col.column)
                .push(" = ")
                .bind(Arg::Bytes(new.seal(col.at(key), &plain)));
            if !col.indexes.is_empty() {
                let text = String::from_utf8(plain.to_vec()).map_err(|_| {
                    StoreError::Other(format!("{}.{} is not text", col.table, col.column))
                })?;
                for (index, field, part) in col.indexes {
                    u.push(", ").push(index).push(" = ");
                    match part(&text) {
                        Some(p) => u.bind(Arg::Bytes(new.blind_index(*field, &p))),
                        None => u.push("NULL"),
                    };
                }
            }
            u.push(" WHERE ")
                .push(col.key)
                .push(" = ")
                .bind(Arg::I64(key));
            u.execute_tx(tx).await?;
            n += 1;
        }
    }
    Ok(n)
}

/// `st.cipher` must be [`Cipher::rotating`] (new key current, old key readable).
/// Every encrypted column every area declares is rewritten (`store::area::AREAS`).
pub async fn rotate(st: &Store, old: &Cipher) -> Result<Rotation, StoreError> {
    let new = &st.cipher;
    let mut out = Rotation::default();
    let mut tx = st.db.begin().await?;
    for area in crate::area::AREAS {
        for col in area.encrypted {
            let n = rotate_column(&mut tx, new, col).await?;
            out.columns
                .push((format!("{}.{}", col.table, col.column), n));
        }
    }
    out.audit_records = crate::audit::resign(&mut tx, old.audit_key(), new).await?;
    crate::auth::links::rekey(&mut tx, new).await?;
    on_tx!(&mut tx, |c| sqlx::query(
        "UPDATE meta SET value = $1 WHERE key = 'key_check'"
    )
    .bind(new.key_check())
    .execute(&mut *c)
    .await
    .map(|r| r.rows_affected()))?;
    crate::mark_row_bound(&mut tx).await?;
    tx.commit().await?;
    new.refuse_unbound();
    old.refuse_unbound();
    Ok(out)
}
