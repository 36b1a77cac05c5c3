//! The inbox: messages in the platform for one account, written in the transaction of the
//! change that causes them, read only by that account (its own items are its whole scope, so
//! these functions take the account of the session rather than a capability).
//!
//! Never stores a rendered text: an item holds its message kind, the declared arguments
//! and a link, and is rendered in the reader's language.

use crate::db::{Arg, Sql, Tx};
use crate::{Db, StoreError, on_db};
use chrono::{DateTime, Utc};
use domain::ids::{AccountId, OrgUnitId};
use domain::outbox::Message;

/// An item to write.
#[derive(Clone, Debug)]
pub struct NewItem {
    pub account: AccountId,
    pub org_unit: Option<OrgUnitId>,
    pub message: Message,
    /// Unique: the same reminder is never shown twice.
    pub idempotency_key: String,
}

/// Writes items inside the caller's transaction; returns how many were new.
pub async fn add(tx: &mut Tx, items: &[NewItem], now: DateTime<Utc>) -> Result<u64, StoreError> {
    let mut n = 0;
    for chunk in items.chunks(500) {
        let mut sql = Sql::new(
            "INSERT INTO inbox_item (account_id, org_unit_id, message, args, link, idempotency_key, created_at) VALUES ",
        );
        for (i, it) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.push("(")
                .bind_list([
                    Arg::I64(it.account.0),
                    Arg::OptI64(it.org_unit.map(|o| o.0)),
                    Arg::Text(it.message.kind.key().into()),
                    Arg::Text(
                        serde_json::to_string(&it.message.args).unwrap_or_else(|_| "[]".into()),
                    ),
                    Arg::Text(it.message.link.clone()),
                    Arg::Text(it.idempotency_key.clone()),
                    Arg::Ts(now),
                ])
                .push(")");
        }
        sql.push(" ON CONFLICT (idempotency_key) DO NOTHING");
        n += sql.execute_tx(tx).await?;
    }
    Ok(n)
}

/// One item as listed.
#[derive(Clone, Debug)]
pub struct Item {
    pub id: i64,
    pub message: Message,
    pub created_at: DateTime<Utc>,
    pub read_at: Option<DateTime<Utc>>,
}

/// The header badge shows at most this many (one indexed count, bounded).
pub const UNREAD_CAP: i64 = 99;

/// Unread items of the account, counted up to [`UNREAD_CAP`] + 1.
pub async fn unread_count(db: &Db, account: AccountId) -> Result<i64, StoreError> {
    Ok(on_db!(db, |p| {
        sqlx::query_scalar(
        "SELECT COUNT(*) FROM (SELECT 1 FROM inbox_item WHERE account_id = $1 AND read_at IS NULL LIMIT $2) t"
    )
    .bind(account.0)
    .bind(UNREAD_CAP + 1)
    .fetch_one(p)
    .await
    })?)
}

/// A page of the account's items, newest first, before the item `before` (keyset).
pub async fn list(
    db: &Db,
    account: AccountId,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<Item>, StoreError> {
    let rows: Vec<(
        i64,
        String,
        String,
        String,
        DateTime<Utc>,
        Option<DateTime<Utc>>,
    )> = on_db!(db, |p| sqlx::query_as(
        "SELECT id, message, args, link, created_at, read_at FROM inbox_item
             WHERE account_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3"
    )
    .bind(account.0)
    .bind(before.unwrap_or(i64::MAX))
    .bind(limit)
    .fetch_all(p)
    .await)?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, kind, args, link, created_at, read_at)| {
            let kind = domain::outbox::MessageKind::parse(&kind)?;
            let args: Vec<(String, String)> = serde_json::from_str(&args).unwrap_or_default();
            Some(Item {
                id,
                message: Message { kind, args, link },
                created_at,
                read_at,
            })
        })
        .collect())
}

/// Marks one of the account's items read and returns its link; `NotFound` for an item of
/// someone else.
pub async fn open(
    db: &Db,
    account: AccountId,
    id: i64,
    now: DateTime<Utc>,
) -> Result<String, StoreError> {
    let link: Option<String> = on_db!(db, |p| {
        sqlx::query_scalar(
        "UPDATE inbox_item SET read_at = COALESCE(read_at, $1) WHERE id = $2 AND account_id = $3 RETURNING link"
    )
    .bind(now)
    .bind(id)
    .bind(account.0)
    .fetch_optional(p)
    .await
    })?;
    link.ok_or(StoreError::NotFound)
}

/// Marks every item of the account read; returns how many changed.
pub async fn mark_all_read(
    db: &Db,
    account: AccountId,
    now: DateTime<Utc>,
) -> Result<u64, StoreError> {
    Ok(on_db!(db, |p| sqlx::query(
        "UPDATE inbox_item SET read_at = $1 WHERE account_id = $2 AND read_at IS NULL"
    )
    .bind(now)
    .bind(account.0)
    .execute(p)
    .await
    .map(|r| r.rows_affected()))?)
}
