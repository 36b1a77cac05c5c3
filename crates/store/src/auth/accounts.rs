//! Accounts: password hashing on a bounded blocking pool, the account behind a login,
//! the actor of a session (account and grants in one query), creating, listing,
//! disabling accounts and setting passwords.
//!
//! Passwords are stored only as Argon2id hashes; every change is audited.

use super::grants::*;
use crate::audit::{self, Event, Who};
use crate::crypto::random_token;
use crate::db::{Arg, Sql, now};
use crate::{Db, Store, StoreError, on_db, on_tx};
use chrono::{DateTime, Utc};
use domain::audit::Changes;
use domain::auth::{Actor, Cap, Grant, HeldGrant, Role, SystemCap, perm};
use domain::ids::{AccountId, GrantId, MemberId, OrgUnitId};
use std::sync::Arc;
use tokio::sync::Semaphore;

/// Hashes passwords on the blocking pool, at most `permits` at a time, so that a burst of
/// logins cannot take every core from page requests.
#[derive(Clone, Debug)]
pub struct PasswordHasher {
    permits: Arc<Semaphore>,
    /// A hash of a random password, verified against when the account does not exist so
    /// that the answer takes as long either way.
    dummy: Arc<String>,
}

impl PasswordHasher {
    pub fn new(concurrency: usize) -> PasswordHasher {
        let dummy = hash_blocking(&random_token(16)).unwrap_or_default();
        PasswordHasher {
            permits: Arc::new(Semaphore::new(concurrency.max(1))),
            dummy: Arc::new(dummy),
        }
    }

    /// One less than the cores, at least one.
    pub fn for_this_machine() -> PasswordHasher {
        let cores = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2);
        Self::new(cores.saturating_sub(1).max(1))
    }

    pub async fn hash(&self, password: &str) -> Result<String, StoreError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| StoreError::Other("hasher closed".into()))?;
        let pw = password.to_string();
        tokio::task::spawn_blocking(move || hash_blocking(&pw))
            .await
            .map_err(|e| StoreError::Other(e.to_string()))?
    }

    /// True when `password` matches `hash`; `None` (no such account) is checked against a
    /// dummy hash and is always false.
    pub async fn verify(&self, password: &str, hash: Option<&str>) -> bool {
        let Ok(_permit) = self.permits.acquire().await else {
            return false;
        };
        let pw = password.to_string();
        let (h, real) = match hash {
            Some(h) => (h.to_string(), true),
            None => (self.dummy.as_str().to_string(), false),
        };
        let ok = tokio::task::spawn_blocking(move || {
            use argon2::PasswordVerifier;
            argon2::Argon2::default()
                .verify_password(pw.as_bytes(), h.as_str())
                .is_ok()
        })
        .await
        .unwrap_or(false);
        ok && real
    }
}

pub(super) fn hash_blocking(pw: &str) -> Result<String, StoreError> {
    use argon2::PasswordHasher as _;
    // Argon2id, m = 19 MiB, t = 2, p = 1: the crate's default and OWASP's minimum.
    argon2::Argon2::default()
        .hash_password(pw.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| StoreError::Other(format!("password hash: {e}")))
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Account {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub member_id: Option<i64>,
    pub totp_enabled: bool,
    pub locale: Option<String>,
    pub disabled: bool,
    pub created_at: DateTime<Utc>,
    /// Names of the units of the account's grants, in grant order (filled by
    /// [`load_actor`]; empty elsewhere).
    #[sqlx(skip)]
    pub unit_names: Vec<(OrgUnitId, String)>,
    /// Unread inbox items (filled by [`load_actor`], for the header badge; 0 elsewhere).
    #[sqlx(default)]
    pub unread: i64,
}

pub(super) const ACCOUNT_COLUMNS: &str = "a.id, a.username, a.display_name, a.member_id, a.totp_enabled, a.locale, a.disabled, a.created_at";

/// The account behind a login name, with its password hash (login happens before any
/// capability exists).
pub async fn account_for_login(
    db: &Db,
    username: &str,
) -> Result<Option<(Account, Option<String>)>, StoreError> {
    #[derive(sqlx::FromRow)]
    struct Rec {
        #[sqlx(flatten)]
        a: Account,
        password_hash: Option<String>,
    }
    let r: Option<Rec> = on_db!(db, |p| {
        sqlx::query_as(
        "SELECT a.id, a.username, a.display_name, a.member_id, a.totp_enabled, a.locale, a.disabled, a.created_at, a.password_hash FROM account a WHERE a.username = $1"
    )
    .bind(username)
    .fetch_optional(p)
    .await
    })?;
    Ok(r.map(|r| (r.a, r.password_hash)))
}

pub async fn account(db: &Db, id: AccountId) -> Result<Account, StoreError> {
    let r: Option<Account> = on_db!(db, |p| {
        sqlx::query_as(
        "SELECT a.id, a.username, a.display_name, a.member_id, a.totp_enabled, a.locale, a.disabled, a.created_at FROM account a WHERE a.id = $1"
    )
    .bind(id.0)
    .fetch_optional(p)
    .await
    })?;
    r.ok_or(StoreError::NotFound)
}

/// Builds the actor of a session: the account and all its grants, in one query.
pub async fn load_actor(db: &Db, id: AccountId) -> Result<Option<(Actor, Account)>, StoreError> {
    #[derive(sqlx::FromRow)]
    struct Rec {
        #[sqlx(flatten)]
        a: Account,
        role: Option<String>,
        org_unit_id: Option<i64>,
        unit_name: Option<String>,
    }
    let rows: Vec<Rec> = on_db!(db, |p| {
        sqlx::query_as(
        "SELECT a.id, a.username, a.display_name, a.member_id, a.totp_enabled, a.locale, a.disabled, a.created_at, g.role, g.org_unit_id, u.name AS unit_name,
                (SELECT COUNT(*) FROM inbox_item i WHERE i.account_id = a.id AND i.read_at IS NULL) AS unread
         FROM account a LEFT JOIN role_grant g ON g.account_id = a.id LEFT JOIN org_unit u ON u.id = g.org_unit_id WHERE a.id = $1 ORDER BY g.id"
    )
    .bind(id.0)
    .fetch_all(p)
    .await
    })?;
    let Some(first) = rows.first() else {
        return Ok(None);
    };
    let mut account = first.a.clone();
    account.unit_names = rows
        .iter()
        .filter_map(|r| Some((OrgUnitId(r.org_unit_id?), r.unit_name.clone()?)))
        .collect();
    if account.disabled {
        return Ok(None);
    }
    let grants = rows
        .iter()
        .filter_map(|r| {
            Some(Grant {
                role: Role::from_code(r.role.as_deref()?)?,
                org_unit: OrgUnitId(r.org_unit_id?),
            })
        })
        .collect();
    let actor = Actor {
        account: AccountId(account.id),
        username: account.username.clone(),
        display_name: account.display_name.clone(),
        member: account.member_id.map(MemberId),
        grants,
    };
    Ok(Some((actor, account)))
}

#[derive(Clone, Debug)]
pub struct NewAccount {
    pub username: String,
    pub display_name: String,
    pub member: Option<MemberId>,
    pub password_hash: Option<String>,
}

pub(super) async fn insert_account(
    st: &Store,
    who: &Who,
    new: &NewAccount,
    org_unit: Option<OrgUnitId>,
) -> Result<AccountId, StoreError> {
    let mut tx = st.db.begin().await?;
    let t = now();
    let id: i64 = on_tx!(&mut tx, |c| sqlx::query_scalar(
        "INSERT INTO account (username, display_name, member_id, password_hash, created_at, password_changed_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id"
    )
    .bind(&new.username)
    .bind(&new.display_name)
    .bind(new.member.map(|m| m.0))
    .bind(&new.password_hash)
    .bind(t)
    .bind(new.password_hash.as_ref().map(|_| t))
    .fetch_one(&mut *c)
    .await)
    .map_err(crate::db::unique_as("username", domain::text::USERNAME_TAKEN))?;
    let mut ch = Changes::new();
    ch.field("username", None, Some(&new.username)).field(
        "display_name",
        None,
        Some(&new.display_name),
    );
    audit::append(
        &mut tx,
        &st.cipher,
        who,
        Event {
            action: "account.create",
            entity_type: "account",
            entity_id: Some(id),
            org_unit,
            changes: &ch,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(AccountId(id))
}

/// Creates an account from the command line or the demo loader.
pub async fn create_account_system(
    _: &SystemCap,
    st: &Store,
    who: &Who,
    new: &NewAccount,
) -> Result<AccountId, StoreError> {
    insert_account(st, who, new, None).await
}

/// A new account, and whether its link to a member waits for the member's confirmation.
#[derive(Clone, Debug)]
pub struct Created {
    pub id: AccountId,
    /// The last four digits of the phone a confirmation code was sent to: the account is
    /// bound to the member only once that code is entered (`links::confirm_link`).
    pub confirm_on_phone: Option<String>,
}

/// Creates an account under `unit` (in scope) and gives it its first grant. A member with
/// no personal role is bound at once; a current delegate is bound only by their own
/// confirmation ([`super::links`]): the account is made unbound and a code goes to the
/// phone on the roster. A member who already has an account is refused.
pub async fn create_account(
    st: &Store,
    cap: &Cap<perm::AccountManage>,
    actor: &Actor,
    who: &Who,
    new: &NewAccount,
    role: Role,
    unit: OrgUnitId,
) -> Result<Created, StoreError> {
    check_grantable(st, cap, actor, role, unit).await?;
    let mut need = None;
    if let Some(m) = new.member {
        let n = super::links::link_need(st, cap, m).await?;
        need = Some((m, n));
    }
    let unbound;
    let new = match &need {
        Some((_, super::links::LinkNeed::Confirm { .. })) => {
            unbound = NewAccount {
                member: None,
                ..new.clone()
            };
            &unbound
        }
        _ => new,
    };
    let id = insert_account(st, who, new, Some(unit)).await?;
    insert_grant(st, who, id, role, unit).await?;
    let mut confirm_on_phone = None;
    if let Some((m, super::links::LinkNeed::Confirm { phone_tail })) = need {
        let school = member_school(&st.db, m).await?;
        super::links::request_link(st, who, id, m, school).await?;
        confirm_on_phone = Some(phone_tail);
    }
    Ok(Created {
        id,
        confirm_on_phone,
    })
}

async fn member_school(db: &Db, m: MemberId) -> Result<OrgUnitId, StoreError> {
    let s: i64 = on_db!(db, |p| sqlx::query_scalar(
        "SELECT school_union_id FROM member WHERE id = $1"
    )
    .bind(m.0)
    .fetch_one(p)
    .await)?;
    Ok(OrgUnitId(s))
}

/// An account with its grants, for the accounts page.
#[derive(Clone, Debug)]
pub struct AccountWithGrants {
    pub account: Account,
    pub grants: Vec<(GrantId, Role, OrgUnitId, String)>,
}

/// Accounts that hold a grant in scope, with all their grants in scope. Two queries.
pub async fn list_accounts(
    db: &Db,
    cap: &Cap<perm::AccountManage>,
) -> Result<Vec<AccountWithGrants>, StoreError> {
    let mut sql = Sql::new(&format!(
        "SELECT {ACCOUNT_COLUMNS} FROM account a WHERE a.id IN (SELECT g.account_id FROM role_grant g WHERE 1 = 1"
    ));
    crate::scope::restrict(&mut sql, "g.org_unit_id", cap.scope());
    sql.push(") ORDER BY a.username");
    let accounts: Vec<Account> = sql.fetch_all(db).await?;
    let mut gsql = Sql::new(
        "SELECT g.id, g.account_id, g.role, g.org_unit_id, u.name FROM role_grant g JOIN org_unit u ON u.id = g.org_unit_id WHERE 1 = 1",
    );
    crate::scope::restrict(&mut gsql, "g.org_unit_id", cap.scope());
    gsql.push(" ORDER BY g.id");
    let grants: Vec<(i64, i64, String, i64, String)> = gsql.fetch_all(db).await?;
    let mut out: Vec<AccountWithGrants> = accounts
        .into_iter()
        .map(|a| AccountWithGrants {
            account: a,
            grants: Vec::new(),
        })
        .collect();
    let pos: std::collections::HashMap<i64, usize> = out
        .iter()
        .enumerate()
        .map(|(i, a)| (a.account.id, i))
        .collect();
    for (gid, acc, role, unit, name) in grants {
        if let (Some(i), Some(role)) = (pos.get(&acc), Role::from_code(&role)) {
            out[*i]
                .grants
                .push((GrantId(gid), role, OrgUnitId(unit), name));
        }
    }
    Ok(out)
}

/// Is this account visible to `cap` (holds a grant in scope)?
pub async fn account_in_scope(
    db: &Db,
    cap: &Cap<perm::AccountManage>,
    id: AccountId,
) -> Result<bool, StoreError> {
    let mut sql = Sql::new("SELECT COUNT(*) FROM role_grant g WHERE g.account_id = ");
    sql.bind(Arg::I64(id.0));
    crate::scope::restrict(&mut sql, "g.org_unit_id", cap.scope());
    Ok(sql.fetch_scalar_i64(db).await? > 0)
}

/// Is this account in the actor's reach for account management (link, reset, disable,
/// enable, grant, revoke)? Every grant it holds must lie inside the capability's scope and
/// be a role the actor may hand out there ([`Actor::reaches`]). One query: the account's
/// grants with every unit above each of them.
pub async fn account_in_reach(
    db: &Db,
    cap: &Cap<perm::AccountManage>,
    actor: &Actor,
    id: AccountId,
) -> Result<bool, StoreError> {
    // Out of the capability's scope altogether: nothing more to ask.
    if !account_in_scope(db, cap, id).await? && !actor.is_platform_admin() {
        return Ok(false);
    }
    let rows: Vec<(i64, String, i64)> = on_db!(db, |p| {
        sqlx::query_as(
        "SELECT g.id, g.role, c.ancestor_id FROM role_grant g JOIN org_closure c ON c.descendant_id = g.org_unit_id
         WHERE g.account_id = $1 ORDER BY g.id, c.ancestor_id"
    )
    .bind(id.0)
    .fetch_all(p)
    .await
    })?;
    let mut held: Vec<(i64, HeldGrant)> = Vec::new();
    for (gid, role, unit) in rows {
        // An unknown role code is a grant nobody below the platform admin may touch.
        let Some(role) = Role::from_code(&role) else {
            return Ok(actor.is_platform_admin());
        };
        match held.last_mut() {
            Some((g, h)) if *g == gid => h.under.push(OrgUnitId(unit)),
            _ => held.push((
                gid,
                HeldGrant {
                    role,
                    under: vec![OrgUnitId(unit)],
                },
            )),
        }
    }
    let held: Vec<HeldGrant> = held.into_iter().map(|(_, h)| h).collect();
    Ok(actor.reaches(&held))
}

/// Sets a new password hash and ends every session of the account.
pub async fn set_password(
    st: &Store,
    who: &Who,
    account: AccountId,
    hash: &str,
) -> Result<(), StoreError> {
    let mut tx = st.db.begin().await?;
    on_tx!(&mut tx, |c| sqlx::query(
        "UPDATE account SET password_hash = $1, password_changed_at = $2 WHERE id = $3"
    )
    .bind(hash)
    .bind(now())
    .bind(account.0)
    .execute(&mut *c)
    .await
    .map(|r| r.rows_affected()))?;
    on_tx!(&mut tx, |c| sqlx::query(
        "DELETE FROM session WHERE account_id = $1"
    )
    .bind(account.0)
    .execute(&mut *c)
    .await
    .map(|r| r.rows_affected()))?;
    let mut ch = Changes::new();
    ch.personal("password", true);
    audit::append(
        &mut tx,
        &st.cipher,
        who,
        Event {
            action: "account.password",
            entity_type: "account",
            entity_id: Some(account.0),
            org_unit: None,
            changes: &ch,
        },
    )
    .await?;
    tx.commit().await
}

/// Disables or enables an account; disabling ends its sessions.
pub async fn set_disabled(
    st: &Store,
    cap: &Cap<perm::AccountManage>,
    actor: &Actor,
    who: &Who,
    account: AccountId,
    disabled: bool,
) -> Result<(), StoreError> {
    if !account_in_reach(&st.db, cap, actor, account).await? {
        return Err(StoreError::NotFound);
    }
    let mut tx = st.db.begin().await?;
    on_tx!(&mut tx, |c| sqlx::query(
        "UPDATE account SET disabled = $1 WHERE id = $2"
    )
    .bind(disabled)
    .bind(account.0)
    .execute(&mut *c)
    .await
    .map(|r| r.rows_affected()))?;
    if disabled {
        on_tx!(&mut tx, |c| sqlx::query(
            "DELETE FROM session WHERE account_id = $1"
        )
        .bind(account.0)
        .execute(&mut *c)
        .await
        .map(|r| r.rows_affected()))?;
    }
    let mut ch = Changes::new();
    ch.field("disabled", Some(&!disabled), Some(&disabled));
    audit::append(
        &mut tx,
        &st.cipher,
        who,
        Event {
            action: "account.disable",
            entity_type: "account",
            entity_id: Some(account.0),
            org_unit: None,
            changes: &ch,
        },
    )
    .await?;
    tx.commit().await
}

pub async fn set_locale(db: &Db, account: AccountId, locale: &str) -> Result<(), StoreError> {
    on_db!(db, |p| sqlx::query(
        "UPDATE account SET locale = $1 WHERE id = $2"
    )
    .bind(locale)
    .bind(account.0)
    .execute(p)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(())
}

/// Whether any platform admin exists (first-run check).
pub async fn admin_exists(db: &Db) -> Result<bool, StoreError> {
    let n: i64 = on_db!(db, |p| {
        sqlx::query_scalar(
        "SELECT COUNT(*) FROM role_grant g JOIN account a ON a.id = g.account_id WHERE g.role = 'platform_admin' AND a.disabled = FALSE"
    )
    .fetch_one(p)
    .await
    })?;
    Ok(n > 0)
}
