//! Binding an account to a member who holds a personal role (a current delegate mandate)
//! by that member's own confirmation: a 6-digit code goes to the phone on the roster by
//! text message, and whoever holds the new account enters it. Whoever created the account
//! (a chair) does not hold that phone, so they cannot make an account that logs in and
//! votes as the delegate.
//!
//! Owns the `link_request` rows and `member.phone_changed_at` as a precondition. Must never
//! show, log or return the code to anyone but the SMS gateway (it is kept as a keyed hash,
//! and sealed to its row only until the message has gone), and never accept a phone number
//! changed within `domain::auth::link::PHONE_SETTLE_DAYS` as the member's own channel.

use crate::audit::{Event, Who};
use crate::crypto::Field;
use crate::db::{Arg, Sql, Tx, now};
use crate::outbox::NewJob;
use crate::{Store, StoreError, on_db, on_tx};
use chrono::{DateTime, Duration, Utc};
use domain::audit::Changes;
use domain::auth::{Cap, LinkStatus, link, perm};
use domain::ids::{AccountId, MemberId, OrgUnitId};
use domain::org::Coded;
use domain::text as t;
use rand::RngCore;

/// The code sealed to its request until the text message has gone.
pub const LINK_CODE: crate::area::EncryptedColumn = crate::area::EncryptedColumn {
    table: "link_request",
    key: "id",
    column: "code_enc",
    field: Field::LinkCode,
    indexes: &[],
};

/// What binding a member to a new account takes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LinkNeed {
    /// No personal role: the account is bound at once.
    Direct,
    /// A current delegate: a code goes to the phone ending in these four digits.
    Confirm { phone_tail: String },
}

/// Decides, before anything is written, how `member` (in `cap`'s scope) may be bound to a
/// new account; errors are named at the ID-number field of the account form.
pub async fn link_need(
    st: &Store,
    cap: &Cap<perm::AccountManage>,
    member: MemberId,
) -> Result<LinkNeed, StoreError> {
    let mut sql = Sql::new(
        "SELECT m.id, m.phone_enc, m.phone_changed_at, \
         EXISTS (SELECT 1 FROM delegate d WHERE d.member_id = m.id AND d.ended_on IS NULL), \
         EXISTS (SELECT 1 FROM account a WHERE a.member_id = m.id) \
         FROM member m WHERE m.id = ",
    );
    sql.bind(Arg::I64(member.0));
    crate::scope::restrict(&mut sql, "m.school_union_id", cap.scope());
    let rows: Vec<(i64, Option<Vec<u8>>, Option<DateTime<Utc>>, bool, bool)> =
        sql.fetch_all(&st.db).await?;
    let Some((id, phone, changed, delegate, has_account)) = rows.into_iter().next() else {
        return Err(StoreError::NotFound);
    };
    if has_account {
        return Err(StoreError::field("member_id_number", t::LINK_HAS_ACCOUNT));
    }
    if !delegate {
        return Ok(LinkNeed::Direct);
    }
    let Some(phone) = phone else {
        return Err(StoreError::field("member_id_number", t::LINK_NO_PHONE));
    };
    if changed.is_some_and(|c| now() - c < Duration::days(link::PHONE_SETTLE_DAYS)) {
        return Err(StoreError::field("member_id_number", t::LINK_PHONE_RECENT));
    }
    let phone = st.cipher.open_str(crate::org::PHONE.at(id), &phone)?;
    Ok(LinkNeed::Confirm {
        phone_tail: tail(&phone),
    })
}

fn tail(phone: &str) -> String {
    let digits: Vec<char> = phone.chars().filter(char::is_ascii_digit).collect();
    digits[digits.len().saturating_sub(4)..].iter().collect()
}

fn code_hash(st: &Store, request: i64, code: &str) -> Vec<u8> {
    hash_with(&st.cipher, request, code)
}

fn hash_with(cipher: &crate::crypto::Cipher, request: i64, code: &str) -> Vec<u8> {
    cipher.blind_index(Field::LinkCode, &format!("{request}:{code}"))
}

/// Key rotation (after the sealed codes were re-encrypted): a pending request whose code
/// is not sent yet gets its check hash under the new key; one whose code is gone (sent)
/// cannot be carried over and becomes void — the office asks again.
pub(crate) async fn rekey(tx: &mut Tx, new: &crate::crypto::Cipher) -> Result<(), StoreError> {
    let rows: Vec<(i64, Vec<u8>)> = on_tx!(tx, |c| sqlx::query_as(
        "SELECT id, code_enc FROM link_request WHERE status = $1 AND code_enc IS NOT NULL"
    )
    .bind(LinkStatus::Pending.code())
    .fetch_all(&mut *c)
    .await)?;
    for (id, sealed) in rows {
        let code = new.open_str(LINK_CODE.at(id), &sealed)?;
        let hash = hash_with(new, id, &code);
        on_tx!(tx, |c| sqlx::query(
            "UPDATE link_request SET code_hash = $1 WHERE id = $2"
        )
        .bind(&hash)
        .bind(id)
        .execute(&mut *c)
        .await
        .map(|r| r.rows_affected()))?;
    }
    on_tx!(tx, |c| sqlx::query(
        "UPDATE link_request SET status = $1, closed_at = $2 WHERE status = $3 AND code_enc IS NULL"
    )
    .bind(LinkStatus::Void.code())
    .bind(now())
    .bind(LinkStatus::Pending.code())
    .execute(&mut *c)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(())
}

/// Opens a request to bind `account` to `member` of `school`: any earlier pending request
/// of the account or the member becomes void, a fresh code is drawn, and one text message
/// is queued in the same transaction. Audited without the code.
pub async fn request_link(
    st: &Store,
    who: &Who,
    account: AccountId,
    member: MemberId,
    school: OrgUnitId,
) -> Result<(), StoreError> {
    let mut tx = st.db.begin().await?;
    let ts = now();
    void_pending(&mut tx, account, member, ts).await?;
    let id = crate::db::reserve_ids(&mut tx, "link_request", 1).await?[0];
    let code = {
        let mut b = [0u8; 8];
        rand::rng().fill_bytes(&mut b);
        link::code_from_random(&b)
    };
    let sealed = st.cipher.seal_str(LINK_CODE.at(id), &code);
    on_tx!(&mut tx, |c| {
        sqlx::query(
        "INSERT INTO link_request (id, account_id, member_id, school_union_id, code_hash, code_enc, attempts, status, requested_by, requested_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, 0, $7, $8, $9, $10)"
    )
    .bind(id)
    .bind(account.0)
    .bind(member.0)
    .bind(school.0)
    .bind(code_hash(st, id, &code))
    .bind(&sealed)
    .bind(LinkStatus::Pending.code())
    .bind(who.account.map(|a| a.0))
    .bind(ts)
    .bind(ts + Duration::hours(link::CODE_HOURS))
    .execute(&mut *c)
    .await
    .map(|r| r.rows_affected())
    })?;
    crate::outbox::enqueue(
        &mut tx,
        &[NewJob {
            channel: domain::outbox::Channel::Sms,
            idempotency_key: format!("link:{id}"),
            org_unit: Some(school),
            account: None,
            payload: serde_json::json!({ "link_request": id }).to_string(),
            run_at: ts,
            max_attempts: 5,
        }],
        ts,
    )
    .await?;
    let mut ch = Changes::new();
    ch.field("account_id", None, Some(&account.0))
        .field("member_id", None, Some(&member.0))
        .field("status", None, Some(&LinkStatus::Pending.code()));
    crate::kit::audit_commit(
        tx,
        &st.cipher,
        who,
        Event {
            action: "account.link_request",
            entity_type: "link_request",
            entity_id: Some(id),
            org_unit: Some(school),
            changes: &ch,
        },
    )
    .await
}

async fn void_pending(
    tx: &mut Tx,
    account: AccountId,
    member: MemberId,
    ts: DateTime<Utc>,
) -> Result<(), StoreError> {
    on_tx!(tx, |c| {
        sqlx::query(
        "UPDATE link_request SET status = $1, code_enc = NULL, closed_at = $2 WHERE status = $3 AND (account_id = $4 OR member_id = $5)"
    )
    .bind(LinkStatus::Void.code())
    .bind(ts)
    .bind(LinkStatus::Pending.code())
    .bind(account.0)
    .bind(member.0)
    .execute(&mut *c)
    .await
    .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// What the SMS channel sends for a request: the number on the roster and the code.
/// `None` when there is nothing to send any more (confirmed, void, expired, or sent).
/// Read by the outbox worker only, which never holds a capability: it reads what its job
/// points to, like the e-mail channel's address.
pub async fn for_sending(st: &Store, request: i64) -> Result<Option<(String, String)>, StoreError> {
    let rows: Vec<(i64, Option<Vec<u8>>, Option<Vec<u8>>, String, DateTime<Utc>)> = on_db!(
        &st.db,
        |p| {
            sqlx::query_as(
            "SELECT r.member_id, r.code_enc, m.phone_enc, r.status, r.expires_at FROM link_request r JOIN member m ON m.id = r.member_id WHERE r.id = $1"
        )
        .bind(request)
        .fetch_all(p)
        .await
        }
    )?;
    let Some((member, Some(code), Some(phone), status, expires)) = rows.into_iter().next() else {
        return Ok(None);
    };
    if status != LinkStatus::Pending.code() || expires <= now() {
        return Ok(None);
    }
    let code = st.cipher.open_str(LINK_CODE.at(request), &code)?;
    let phone = st.cipher.open_str(crate::org::PHONE.at(member), &phone)?;
    Ok(Some((phone, code)))
}

/// The message has been handed to the gateway: the sealed code is wiped, so from now on
/// only its keyed hash remains (a database copy cannot give the code back).
pub async fn mark_sent(st: &Store, request: i64) -> Result<(), StoreError> {
    on_db!(&st.db, |p| sqlx::query(
        "UPDATE link_request SET code_enc = NULL, sent_at = $1 WHERE id = $2"
    )
    .bind(now())
    .bind(request)
    .execute(p)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(())
}

/// A pending request of the account itself, for its own page.
#[derive(Clone, Debug)]
pub struct PendingLink {
    pub id: i64,
    pub phone_tail: String,
    pub expires_at: DateTime<Utc>,
    pub sent: bool,
}

/// The account's own pending request, if any (expired ones are not pending).
pub async fn pending_link(
    st: &Store,
    account: AccountId,
) -> Result<Option<PendingLink>, StoreError> {
    let rows: Vec<(
        i64,
        i64,
        Option<Vec<u8>>,
        DateTime<Utc>,
        Option<DateTime<Utc>>,
    )> = on_db!(&st.db, |p| {
        sqlx::query_as(
            "SELECT r.id, r.member_id, m.phone_enc, r.expires_at, r.sent_at FROM link_request r JOIN member m ON m.id = r.member_id WHERE r.account_id = $1 AND r.status = $2 ORDER BY r.id DESC LIMIT 1"
        )
        .bind(account.0)
        .bind(LinkStatus::Pending.code())
        .fetch_all(p)
        .await
    })?;
    let Some((id, member, phone, expires_at, sent_at)) = rows.into_iter().next() else {
        return Ok(None);
    };
    if expires_at <= now() {
        return Ok(None);
    }
    let phone_tail = match phone {
        Some(p) => tail(&st.cipher.open_str(crate::org::PHONE.at(member), &p)?),
        None => String::new(),
    };
    Ok(Some(PendingLink {
        id,
        phone_tail,
        expires_at,
        sent: sent_at.is_some(),
    }))
}

/// The holder of `account` enters the code from the member's phone. A right code binds
/// the account to the member (from the next request on it acts as them); a wrong one
/// counts, and the last allowed wrong one voids the request. Each outcome is audited.
pub async fn confirm_link(
    st: &Store,
    who: &Who,
    account: AccountId,
    typed: &str,
) -> Result<MemberId, StoreError> {
    let Some(code) = link::parse_code(typed) else {
        return Err(StoreError::field("code", t::LINK_CODE_WRONG));
    };
    let mut tx = st.db.begin().await?;
    let ts = now();
    let rows: Vec<(i64, i64, i64, Vec<u8>, i64, DateTime<Utc>)> = on_tx!(&mut tx, |c| {
        sqlx::query_as(
        "SELECT id, member_id, school_union_id, code_hash, attempts, expires_at FROM link_request WHERE account_id = $1 AND status = $2 ORDER BY id DESC LIMIT 1"
    )
    .bind(account.0)
    .bind(LinkStatus::Pending.code())
    .fetch_all(&mut *c)
    .await
    })?;
    let Some((id, member, school, hash, attempts, expires)) = rows.into_iter().next() else {
        return Err(StoreError::NotFound);
    };
    let close = |status: LinkStatus, action: &'static str, attempts: i64| {
        let mut ch = Changes::new();
        ch.field(
            "status",
            Some(&LinkStatus::Pending.code()),
            Some(&status.code()),
        )
        .field("attempts", None, Some(&attempts));
        (ch, action)
    };
    if expires <= ts {
        set_status(&mut tx, id, LinkStatus::Void, attempts, ts).await?;
        let (ch, action) = close(LinkStatus::Void, "account.link_expired", attempts);
        log(tx, st, who, action, id, school, &ch).await?;
        return Err(StoreError::field("code", t::LINK_EXPIRED));
    }
    if code_hash(st, id, &code) != hash {
        let attempts = attempts + 1;
        if attempts >= link::MAX_ATTEMPTS {
            set_status(&mut tx, id, LinkStatus::Void, attempts, ts).await?;
            let (ch, action) = close(LinkStatus::Void, "account.link_refused", attempts);
            log(tx, st, who, action, id, school, &ch).await?;
            return Err(StoreError::field("code", t::LINK_EXPIRED));
        }
        on_tx!(&mut tx, |c| sqlx::query(
            "UPDATE link_request SET attempts = $1 WHERE id = $2"
        )
        .bind(attempts)
        .bind(id)
        .execute(&mut *c)
        .await
        .map(|r| r.rows_affected()))?;
        let mut ch = Changes::new();
        ch.field("attempts", None, Some(&attempts));
        log(tx, st, who, "account.link_wrong_code", id, school, &ch).await?;
        return Err(StoreError::field("code", t::LINK_CODE_WRONG));
    }
    // The member may have been given another account meanwhile: one account per member.
    let taken: i64 = on_tx!(&mut tx, |c| sqlx::query_scalar(
        "SELECT COUNT(*) FROM account WHERE member_id = $1"
    )
    .bind(member)
    .fetch_one(&mut *c)
    .await)?;
    if taken > 0 {
        set_status(&mut tx, id, LinkStatus::Void, attempts, ts).await?;
        tx.commit().await?;
        return Err(StoreError::field("code", t::LINK_HAS_ACCOUNT));
    }
    on_tx!(&mut tx, |c| sqlx::query(
        "UPDATE account SET member_id = $1 WHERE id = $2"
    )
    .bind(member)
    .bind(account.0)
    .execute(&mut *c)
    .await
    .map(|r| r.rows_affected()))?;
    set_status(&mut tx, id, LinkStatus::Confirmed, attempts, ts).await?;
    let mut ch = Changes::new();
    ch.field("member_id", None, Some(&member)).field(
        "status",
        Some(&LinkStatus::Pending.code()),
        Some(&LinkStatus::Confirmed.code()),
    );
    log(tx, st, who, "account.link", account.0, school, &ch).await?;
    Ok(MemberId(member))
}

async fn set_status(
    tx: &mut Tx,
    id: i64,
    status: LinkStatus,
    attempts: i64,
    ts: DateTime<Utc>,
) -> Result<(), StoreError> {
    on_tx!(tx, |c| {
        sqlx::query(
        "UPDATE link_request SET status = $1, attempts = $2, code_enc = NULL, closed_at = $3 WHERE id = $4"
    )
    .bind(status.code())
    .bind(attempts)
    .bind(ts)
    .bind(id)
    .execute(&mut *c)
    .await
    .map(|r| r.rows_affected())
    })?;
    Ok(())
}

async fn log(
    tx: Tx,
    st: &Store,
    who: &Who,
    action: &'static str,
    entity: i64,
    school: i64,
    ch: &Changes,
) -> Result<(), StoreError> {
    let entity_type = if action == "account.link" {
        "account"
    } else {
        "link_request"
    };
    crate::kit::audit_commit(
        tx,
        &st.cipher,
        who,
        Event {
            action,
            entity_type,
            entity_id: Some(entity),
            org_unit: Some(OrgUnitId(school)),
            changes: ch,
        },
    )
    .await
}
