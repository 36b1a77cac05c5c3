//! The audit log: append a record inside the transaction of the change it describes, read
//! records for the audit view, and verify the chain.
//!
//! Appends are linear: the head row is locked (`FOR UPDATE` on PostgreSQL; SQLite's write
//! transactions are already exclusive), so two concurrent changes cannot both claim the
//! same sequence number.

use crate::db::{Arg, Sql, Tx, now};
use crate::{Cipher, Db, StoreError, on_db, on_tx};
use chrono::{DateTime, NaiveDate, Utc};
use domain::audit::{Anchor, AuditEntry, ChainBreak, Changes, chain_hash, head_mac, verify_chain};
use domain::auth::{Cap, perm};
use domain::ids::{AccountId, OrgUnitId};

/// Who makes a change and in which request.
#[derive(Clone, Debug)]
pub struct Who {
    pub account: Option<AccountId>,
    pub label: String,
    pub request_id: Option<String>,
}

impl Who {
    pub fn system(label: &str) -> Who {
        Who {
            account: None,
            label: label.to_string(),
            request_id: None,
        }
    }
}

/// What happened to which entity.
pub struct Event<'a> {
    pub action: &'a str,
    pub entity_type: &'a str,
    pub entity_id: Option<i64>,
    pub org_unit: Option<OrgUnitId>,
    pub changes: &'a Changes,
}

/// An event whose changes are already serialised (imports prepare them off the database
/// path).
pub struct JsonEvent<'a> {
    pub action: &'a str,
    pub entity_type: &'a str,
    pub entity_id: Option<i64>,
    pub org_unit: Option<OrgUnitId>,
    pub changes: String,
}

/// Appends records for `events` (in order) within `tx`.
pub async fn append_many(
    tx: &mut Tx,
    cipher: &Cipher,
    who: &Who,
    events: &[Event<'_>],
) -> Result<(), StoreError> {
    let json: Vec<JsonEvent<'_>> = events
        .iter()
        .map(|ev| JsonEvent {
            action: ev.action,
            entity_type: ev.entity_type,
            entity_id: ev.entity_id,
            org_unit: ev.org_unit,
            changes: serde_json::to_string(ev.changes).unwrap_or_else(|_| "{}".into()),
        })
        .collect();
    append_json(tx, cipher, who, json).await
}

/// Appends records whose changes are already JSON.
pub async fn append_json(
    tx: &mut Tx,
    cipher: &Cipher,
    who: &Who,
    events: Vec<JsonEvent<'_>>,
) -> Result<(), StoreError> {
    if events.is_empty() {
        return Ok(());
    }
    let head: (i64, Vec<u8>) = match tx.engine() {
        crate::Engine::Sqlite => on_tx!(tx, |c| sqlx::query_as(
            "SELECT seq, hash FROM audit_head WHERE id = 1"
        )
        .fetch_one(&mut *c)
        .await)?,
        // Row lock: concurrent appenders wait here until this transaction ends.
        crate::Engine::Postgres => on_tx!(tx, |c| sqlx::query_as(
            "SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE"
        )
        .fetch_one(&mut *c)
        .await)?,
    };
    let (mut seq, mut prev) = head;
    let at = now();
    // Multi-row inserts of at most 500 records (11 parameters each).
    let mut events = events;
    for chunk in events.chunks_mut(500) {
        let mut sql = Sql::new(
            "INSERT INTO audit_log (seq, at, account_id, actor_label, action, entity_type, entity_id, org_unit_id, changes, request_id, hash) VALUES ",
        );
        for (i, ev) in chunk.iter_mut().enumerate() {
            seq += 1;
            let entry = AuditEntry {
                seq,
                at,
                account_id: who.account.map(|a| a.0),
                actor_label: who.label.clone(),
                action: ev.action.to_string(),
                entity_type: ev.entity_type.to_string(),
                entity_id: ev.entity_id,
                org_unit_id: ev.org_unit.map(|o| o.0),
                changes: std::mem::take(&mut ev.changes),
                request_id: who.request_id.clone(),
            };
            let hash = chain_hash(cipher.audit_key(), &prev, &entry);
            if i > 0 {
                sql.push(", ");
            }
            sql.push("(");
            sql.bind_list([
                Arg::I64(entry.seq),
                Arg::Ts(entry.at),
                Arg::OptI64(entry.account_id),
                Arg::Text(entry.actor_label),
                Arg::Text(entry.action),
                Arg::Text(entry.entity_type),
                Arg::OptI64(entry.entity_id),
                Arg::OptI64(entry.org_unit_id),
                Arg::Text(entry.changes),
                Arg::OptText(entry.request_id),
                Arg::Bytes(hash.clone()),
            ]);
            sql.push(")");
            prev = hash;
        }
        sql.execute_tx(tx).await?;
    }
    let mac = head_mac(cipher.audit_key(), seq, &prev);
    on_tx!(tx, |c| sqlx::query(
        "UPDATE audit_head SET seq = $1, hash = $2, mac = $3 WHERE id = 1"
    )
    .bind(seq)
    .bind(&prev)
    .bind(&mac)
    .execute(&mut *c)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn append(
    tx: &mut Tx,
    cipher: &Cipher,
    who: &Who,
    event: Event<'_>,
) -> Result<(), StoreError> {
    append_many(tx, cipher, who, std::slice::from_ref(&event)).await
}

/// One record as shown in the audit view.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct AuditRow {
    pub seq: i64,
    pub at: DateTime<Utc>,
    pub account_id: Option<i64>,
    pub actor_label: String,
    pub action: String,
    pub entity_type: String,
    pub entity_id: Option<i64>,
    pub org_unit_id: Option<i64>,
    pub changes: String,
    pub request_id: Option<String>,
}

#[derive(Clone, Debug, Default)]
pub struct AuditFilter {
    pub entity_type: Option<String>,
    pub entity_id: Option<i64>,
    pub actor: Option<String>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// Keyset cursor: records with `seq` below this.
    pub before_seq: Option<i64>,
}

/// Lists records newest first, limited to the audit-view scope: records about org units in
/// scope (records without an org unit, such as logins, only for the whole installation).
pub async fn list(
    db: &Db,
    cap: &Cap<perm::AuditView>,
    f: &AuditFilter,
    limit: i64,
) -> Result<Vec<AuditRow>, StoreError> {
    let mut sql = Sql::new(
        "SELECT seq, at, account_id, actor_label, action, entity_type, entity_id, org_unit_id, changes, request_id FROM audit_log WHERE 1 = 1",
    );
    crate::scope::restrict(&mut sql, "org_unit_id", cap.scope());
    if let Some(t) = &f.entity_type {
        sql.push(" AND entity_type = ").bind(Arg::Text(t.clone()));
    }
    if let Some(id) = f.entity_id {
        sql.push(" AND entity_id = ").bind(Arg::I64(id));
    }
    if let Some(a) = &f.actor {
        sql.push(" AND actor_label = ").bind(Arg::Text(a.clone()));
    }
    if let Some(d) = f.from {
        sql.push(" AND at >= ").bind(Arg::Ts(day_start(d)));
    }
    if let Some(d) = f.to {
        sql.push(" AND at < ")
            .bind(Arg::Ts(day_start(d + chrono::Duration::days(1))));
    }
    if let Some(s) = f.before_seq {
        sql.push(" AND seq < ").bind(Arg::I64(s));
    }
    sql.push(" ORDER BY seq DESC LIMIT ").bind(Arg::I64(limit));
    sql.fetch_all(db).await
}

fn day_start(d: NaiveDate) -> DateTime<Utc> {
    // Days are Beijing days (UTC+8) for people reading the log.
    let naive = d.and_hms_opt(0, 0, 0).unwrap_or_default() - chrono::Duration::hours(8);
    DateTime::from_naive_utc_and_offset(naive, Utc)
}

/// Result of [`verify`].
#[derive(Debug)]
pub struct Verification {
    pub records: i64,
    pub head_seq: i64,
    pub head_hash: Vec<u8>,
    pub breaks: Vec<ChainBreak>,
}

/// Recomputes the whole chain with the configured key. Reads in pages so memory stays flat.
pub async fn verify(db: &Db, cipher: &Cipher) -> Result<Verification, StoreError> {
    verify_with_anchor(db, cipher, None).await
}

/// The current head as an anchor to keep outside the database (see [`verify_with_anchor`]).
pub fn anchor_of(v: &Verification) -> Anchor {
    Anchor {
        seq: v.head_seq,
        hash: v.head_hash.clone(),
    }
}

/// [`verify`], and besides: the head row's MAC must match (nobody without the key moved
/// the head), and an `anchor` kept outside the database (a file beside the key, or a
/// printed line) must still be in the chain unchanged, at or before the head. Someone
/// who copies back an old head row together with a removed tail passes the MAC, not the
/// anchor.
pub async fn verify_with_anchor(
    db: &Db,
    cipher: &Cipher,
    anchor: Option<&Anchor>,
) -> Result<Verification, StoreError> {
    let (head_seq, head_hash, mac): (i64, Vec<u8>, Option<Vec<u8>>) = on_db!(db, |p| {
        sqlx::query_as("SELECT seq, hash, mac FROM audit_head WHERE id = 1")
            .fetch_one(p)
            .await
    })?;
    let mut head_breaks = Vec::new();
    // The head of an empty log (seq 0, as migrated) has no MAC yet.
    let mac_ok = match mac {
        Some(m) => {
            m == head_mac(cipher.audit_key(), head_seq, &head_hash)
                || cipher
                    .older_audit_keys()
                    .iter()
                    .any(|k| m == head_mac(k, head_seq, &head_hash))
        }
        None => head_seq == 0,
    };
    if !mac_ok {
        head_breaks.push(ChainBreak::HeadForged { seq: head_seq });
    }
    if let Some(a) = anchor {
        if a.seq > head_seq {
            head_breaks.push(ChainBreak::Rewound {
                anchor: a.seq,
                head: head_seq,
            });
        } else if a.seq > 0 {
            let h: Option<Vec<u8>> = on_db!(db, |p| sqlx::query_scalar(
                "SELECT hash FROM audit_log WHERE seq = $1"
            )
            .bind(a.seq)
            .fetch_optional(p)
            .await)?;
            if h.as_deref() != Some(a.hash.as_slice()) {
                head_breaks.push(ChainBreak::AnchorMismatch { seq: a.seq });
            }
        }
    }
    let mut v = verify_chain_only(db, cipher, head_seq, head_hash).await?;
    v.breaks.extend(head_breaks);
    Ok(v)
}

/// Seals the head of a log written before the head carried a MAC (migration 0007), once:
/// a marker in `meta` keeps a later start from sealing a head someone has since moved.
pub async fn seal_unkeyed_head(db: &Db, cipher: &Cipher) -> Result<(), StoreError> {
    let done: Option<String> = on_db!(db, |p| sqlx::query_scalar(
        "SELECT value FROM meta WHERE key = 'audit_head_sealed'"
    )
    .fetch_optional(p)
    .await)?;
    if done.is_some() {
        return Ok(());
    }
    let (seq, hash, mac): (i64, Vec<u8>, Option<Vec<u8>>) = on_db!(db, |p| sqlx::query_as(
        "SELECT seq, hash, mac FROM audit_head WHERE id = 1"
    )
    .fetch_one(p)
    .await)?;
    if mac.is_none() && seq > 0 {
        let m = head_mac(cipher.audit_key(), seq, &hash);
        on_db!(db, |p| sqlx::query(
            "UPDATE audit_head SET mac = $1 WHERE id = 1 AND mac IS NULL AND seq = $2"
        )
        .bind(&m)
        .bind(seq)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
    }
    on_db!(db, |p| {
        sqlx::query(
        "INSERT INTO meta (key, value) VALUES ('audit_head_sealed', 'yes') ON CONFLICT (key) DO NOTHING"
    )
    .execute(p)
    .await
    .map(|r| r.rows_affected())
    })?;
    Ok(())
}

async fn verify_chain_only(
    db: &Db,
    cipher: &Cipher,
    head_seq: i64,
    head_hash: Vec<u8>,
) -> Result<Verification, StoreError> {
    let mut all: Vec<(AuditEntry, Vec<u8>)> = Vec::new();
    let mut after = 0i64;
    loop {
        let rows: Vec<(AuditRow, Vec<u8>)> = fetch_page(db, after, 5000).await?;
        if rows.is_empty() {
            break;
        }
        for (r, h) in rows {
            after = r.seq;
            all.push((entry_of(r), h));
        }
    }
    let (_, mut breaks) = verify_chain(
        cipher.audit_key(),
        all.iter().map(|(e, h)| (e, h.as_slice())),
        head_seq,
    );
    if let Some((_, last_hash)) = all.last()
        && all.last().map(|(e, _)| e.seq) == Some(head_seq)
        && *last_hash != head_hash
    {
        breaks.push(ChainBreak::Altered { seq: head_seq });
    }
    Ok(Verification {
        records: all.len() as i64,
        head_seq,
        head_hash,
        breaks,
    })
}

async fn fetch_page(
    db: &Db,
    after: i64,
    limit: i64,
) -> Result<Vec<(AuditRow, Vec<u8>)>, StoreError> {
    #[derive(sqlx::FromRow)]
    struct Rec {
        #[sqlx(flatten)]
        row: AuditRow,
        hash: Vec<u8>,
    }
    let rows: Vec<Rec> = on_db!(db, |p| {
        sqlx::query_as(
        "SELECT seq, at, account_id, actor_label, action, entity_type, entity_id, org_unit_id, changes, request_id, hash FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2"
    )
    .bind(after)
    .bind(limit)
    .fetch_all(p)
    .await
    })?;
    Ok(rows.into_iter().map(|r| (r.row, r.hash)).collect())
}

fn entry_of(r: AuditRow) -> AuditEntry {
    AuditEntry {
        seq: r.seq,
        at: r.at,
        account_id: r.account_id,
        actor_label: r.actor_label,
        action: r.action,
        entity_type: r.entity_type,
        entity_id: r.entity_id,
        org_unit_id: r.org_unit_id,
        changes: r.changes,
        request_id: r.request_id,
    }
}

/// Re-signs the whole chain with the cipher's current audit key after checking it with the
/// old one (key rotation). The append-only triggers are lifted for the duration of this
/// one transaction.
pub async fn resign(tx: &mut Tx, old_key: &[u8], cipher: &Cipher) -> Result<i64, StoreError> {
    let rows: Vec<(AuditRow, Vec<u8>)> = {
        #[derive(sqlx::FromRow)]
        struct Rec {
            #[sqlx(flatten)]
            row: AuditRow,
            hash: Vec<u8>,
        }
        let r: Vec<Rec> = on_tx!(tx, |c| {
            sqlx::query_as(
            "SELECT seq, at, account_id, actor_label, action, entity_type, entity_id, org_unit_id, changes, request_id, hash FROM audit_log ORDER BY seq"
        )
        .fetch_all(&mut *c)
        .await
        })?;
        r.into_iter().map(|r| (r.row, r.hash)).collect()
    };
    let entries: Vec<(AuditEntry, Vec<u8>)> =
        rows.into_iter().map(|(r, h)| (entry_of(r), h)).collect();
    let head: i64 = entries.last().map(|(e, _)| e.seq).unwrap_or(0);
    let (_, breaks) = verify_chain(
        old_key,
        entries.iter().map(|(e, h)| (e, h.as_slice())),
        head,
    );
    if !breaks.is_empty() {
        return Err(StoreError::Other(format!(
            "the audit chain is broken ({breaks:?}); not re-signing"
        )));
    }
    let mut prev = domain::audit::GENESIS.to_vec();
    match tx.engine() {
        crate::Engine::Sqlite => {
            on_tx!(tx, |c| sqlx::query("DROP TRIGGER audit_log_no_update")
                .execute(&mut *c)
                .await
                .map(|r| r.rows_affected()))?;
        }
        crate::Engine::Postgres => {
            on_tx!(tx, |c| sqlx::query(
                "ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update"
            )
            .execute(&mut *c)
            .await
            .map(|r| r.rows_affected()))?;
        }
    }
    for (e, _) in &entries {
        let h = chain_hash(cipher.audit_key(), &prev, e);
        on_tx!(tx, |c| sqlx::query(
            "UPDATE audit_log SET hash = $1 WHERE seq = $2"
        )
        .bind(&h)
        .bind(e.seq)
        .execute(&mut *c)
        .await
        .map(|r| r.rows_affected()))?;
        prev = h;
    }
    match tx.engine() {
        crate::Engine::Sqlite => {
            on_tx!(tx, |c| {
                sqlx::query(
                "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"
            )
            .execute(&mut *c)
            .await.map(|r| r.rows_affected())
            })?;
        }
        crate::Engine::Postgres => {
            on_tx!(tx, |c| sqlx::query(
                "ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update"
            )
            .execute(&mut *c)
            .await
            .map(|r| r.rows_affected()))?;
        }
    }
    let mac = head_mac(cipher.audit_key(), head, &prev);
    on_tx!(tx, |c| sqlx::query(
        "UPDATE audit_head SET hash = $1, mac = $2 WHERE id = 1"
    )
    .bind(&prev)
    .bind(&mac)
    .execute(&mut *c)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(entries.len() as i64)
}

/// The audit chain: nothing coded, nothing encrypted (personal fields are redacted before
/// they reach a record), no demo of its own (every other area's demo writes records).
pub static AREA: crate::area::Area = crate::area::Area::new("audit");
