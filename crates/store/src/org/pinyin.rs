//! The pinyin keys of member names (`member.name_pinyin`, `member.name_initials`): written
//! with every name, and filled in once for rows written before they existed.
//!
//! Owns: keeping the keys in step with `member.name`. Must never read anything but names and
//! ids, and never change a name.

use crate::db::{Arg, Sql};
use crate::{Db, StoreError};

/// Rows per transaction while filling in the keys of an existing roster.
const BATCH: i64 = 1000;

/// Fills in the keys of every member whose keys are empty (rows written before migration
/// 0025). Runs after the migrations; a roster of 100,000 takes one pass of 100 batches, and a
/// later start finds nothing to do with one indexed query.
pub async fn backfill(db: &Db) -> Result<u64, StoreError> {
    let mut last = 0i64;
    let mut done = 0u64;
    loop {
        let mut sql = Sql::new("SELECT id, name FROM member WHERE name_pinyin = '' AND id > ");
        sql.bind(Arg::I64(last))
            .push(" ORDER BY id LIMIT ")
            .bind(Arg::I64(BATCH));
        let rows: Vec<(i64, String)> = sql.fetch_all(db).await?;
        let Some((id, _)) = rows.last() else {
            return Ok(done);
        };
        last = *id;
        let mut tx = db.begin().await?;
        for (id, name) in &rows {
            let k = domain::pinyin::name_keys(name);
            let mut u = Sql::new("UPDATE member SET name_pinyin = ");
            u.bind(Arg::Text(k.sort))
                .push(", name_initials = ")
                .bind(Arg::Text(k.initials))
                .push(" WHERE id = ")
                .bind(Arg::I64(*id));
            u.execute_tx(&mut tx).await?;
            done += 1;
        }
        tx.commit().await?;
    }
}
