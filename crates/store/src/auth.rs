//! Accounts, grants, sessions, login throttling, one-time links and the second factor.
//!
//! Secrets never sit in the database in a usable form: passwords as Argon2id hashes,
//! session ids and one-time links as SHA-256 of the random token the browser holds, TOTP
//! secrets encrypted, recovery codes hashed.

use crate::audit::{self, Event, Who};
use crate::crypto::{Field, random_token, token_hash};
use crate::db::{Arg, Sql, now};
use crate::{Db, Store, StoreError, on_db, on_tx};
use chrono::{DateTime, Duration, Utc};
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

fn hash_blocking(pw: &str) -> Result<String, StoreError> {
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

const ACCOUNT_COLUMNS: &str = "a.id, a.username, a.display_name, a.member_id, a.totp_enabled, a.locale, a.disabled, a.created_at";

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

async fn insert_account(
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

/// Creates an account under `unit` (in scope) and gives it its first grant.
pub async fn create_account(
    st: &Store,
    cap: &Cap<perm::AccountManage>,
    actor: &Actor,
    who: &Who,
    new: &NewAccount,
    role: Role,
    unit: OrgUnitId,
) -> Result<AccountId, StoreError> {
    check_grantable(st, cap, actor, role, unit).await?;
    if let Some(m) = new.member {
        // The linked member must be visible in the same scope.
        let mut sql = Sql::new("SELECT COUNT(*) FROM member m WHERE m.id = ");
        sql.bind(Arg::I64(m.0));
        crate::scope::restrict(&mut sql, "m.school_union_id", cap.scope());
        if sql.fetch_scalar_i64(&st.db).await? == 0 {
            return Err(StoreError::NotFound);
        }
        if member_holds_personal_role(&st.db, cap, m).await? {
            return Err(StoreError::field(
                "member_id_number",
                domain::text::LINK_NEEDS_CONFIRMATION,
            ));
        }
    }
    let id = insert_account(st, who, new, Some(unit)).await?;
    insert_grant(st, who, id, role, unit).await?;
    Ok(id)
}

async fn check_grantable(
    st: &Store,
    cap: &Cap<perm::AccountManage>,
    actor: &Actor,
    role: Role,
    unit: OrgUnitId,
) -> Result<(), StoreError> {
    let mut tx = st.db.begin().await?;
    if !crate::org::units::tx_in_scope(&mut tx, cap.scope(), unit).await? {
        return Err(StoreError::NotFound);
    }
    drop(tx);
    if !actor.grantable_roles().contains(&role) {
        return Err(StoreError::field("role", domain::text::ROLE_NOT_GRANTABLE));
    }
    Ok(())
}

async fn insert_grant(
    st: &Store,
    who: &Who,
    account: AccountId,
    role: Role,
    unit: OrgUnitId,
) -> Result<GrantId, StoreError> {
    let mut tx = st.db.begin().await?;
    let id: i64 = on_tx!(&mut tx, |c| {
        sqlx::query_scalar(
        "INSERT INTO role_grant (account_id, role, org_unit_id, created_at, created_by) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (account_id, role, org_unit_id) DO UPDATE SET created_at = role_grant.created_at RETURNING id"
    )
    .bind(account.0)
    .bind(role.code())
    .bind(unit.0)
    .bind(now())
    .bind(who.account.map(|a| a.0))
    .fetch_one(&mut *c)
    .await
    })?;
    let mut ch = Changes::new();
    ch.field("account_id", None, Some(&account.0))
        .field("role", None, Some(&role.code()))
        .field("org_unit_id", None, Some(&unit.0));
    audit::append(
        &mut tx,
        &st.cipher,
        who,
        Event {
            action: "grant.create",
            entity_type: "role_grant",
            entity_id: Some(id),
            org_unit: Some(unit),
            changes: &ch,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(GrantId(id))
}

/// Grants a role at a unit, as the CLI or the demo loader.
pub async fn grant_system(
    _: &SystemCap,
    st: &Store,
    who: &Who,
    account: AccountId,
    role: Role,
    unit: OrgUnitId,
) -> Result<GrantId, StoreError> {
    insert_grant(st, who, account, role, unit).await
}

/// Grants a role at a unit in scope, if the actor may hand out that role.
pub async fn grant(
    st: &Store,
    cap: &Cap<perm::AccountManage>,
    actor: &Actor,
    who: &Who,
    account: AccountId,
    role: Role,
    unit: OrgUnitId,
) -> Result<GrantId, StoreError> {
    if !account_in_reach(&st.db, cap, actor, account).await? {
        return Err(StoreError::NotFound);
    }
    check_grantable(st, cap, actor, role, unit).await?;
    insert_grant(st, who, account, role, unit).await
}

/// Removes a grant at a unit in scope.
pub async fn revoke(
    st: &Store,
    cap: &Cap<perm::AccountManage>,
    actor: &Actor,
    who: &Who,
    grant: GrantId,
) -> Result<(), StoreError> {
    let row: Option<(i64, String, i64)> = on_db!(&st.db, |p| sqlx::query_as(
        "SELECT account_id, role, org_unit_id FROM role_grant WHERE id = $1"
    )
    .bind(grant.0)
    .fetch_optional(p)
    .await)?;
    let (account, role, unit) = row.ok_or(StoreError::NotFound)?;
    let role = Role::from_code(&role).ok_or(StoreError::NotFound)?;
    if !account_in_reach(&st.db, cap, actor, AccountId(account)).await? {
        return Err(StoreError::NotFound);
    }
    check_grantable(st, cap, actor, role, OrgUnitId(unit))
        .await
        .map_err(|_| StoreError::NotFound)?;
    let mut tx = st.db.begin().await?;
    on_tx!(&mut tx, |c| sqlx::query(
        "DELETE FROM role_grant WHERE id = $1"
    )
    .bind(grant.0)
    .execute(&mut *c)
    .await
    .map(|r| r.rows_affected()))?;
    let mut ch = Changes::new();
    ch.field("account_id", Some(&account), None)
        .field("role", Some(&role.code()), None)
        .field("org_unit_id", Some(&unit), None);
    audit::append(
        &mut tx,
        &st.cipher,
        who,
        Event {
            action: "grant.delete",
            entity_type: "role_grant",
            entity_id: Some(grant.0),
            org_unit: Some(OrgUnitId(unit)),
            changes: &ch,
        },
    )
    .await?;
    tx.commit().await
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

/// Whether a member (in scope) holds a role that only they may act in: a current delegate
/// mandate, or an account of their own. An account linked to such a member by someone
/// else would let that person log in as them (and vote), so the link needs the member's
/// own confirmation and is never made by account administration.
pub async fn member_holds_personal_role(
    db: &Db,
    cap: &Cap<perm::AccountManage>,
    member: MemberId,
) -> Result<bool, StoreError> {
    let mut sql = Sql::new(
        "SELECT COUNT(*) FROM member m WHERE (EXISTS (SELECT 1 FROM delegate d WHERE d.member_id = m.id AND d.ended_on IS NULL) OR EXISTS (SELECT 1 FROM account a WHERE a.member_id = m.id)) AND m.id = ",
    );
    sql.bind(Arg::I64(member.0));
    crate::scope::restrict(&mut sql, "m.school_union_id", cap.scope());
    Ok(sql.fetch_scalar_i64(db).await? > 0)
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

// ---------------------------------------------------------------- sessions

/// Session lifetimes from the configuration.
#[derive(Clone, Copy, Debug)]
pub struct SessionPolicy {
    pub idle: Duration,
    pub absolute: Duration,
}

#[derive(Clone, Debug)]
pub struct SessionInfo {
    pub account: AccountId,
    pub second_factor_done: bool,
    pub locale: Option<String>,
}

/// Starts a session and returns the token for the cookie (128 random bits).
pub async fn create_session(
    db: &Db,
    account: AccountId,
    second_factor_done: bool,
    policy: SessionPolicy,
) -> Result<String, StoreError> {
    let token = random_token(16);
    let t = now();
    on_db!(db, |p| {
        sqlx::query(
        "INSERT INTO session (id_hash, account_id, created_at, last_seen_at, expires_at, second_factor_done) VALUES ($1, $2, $3, $3, $4, $5)"
    )
    .bind(token_hash(&token))
    .bind(account.0)
    .bind(t)
    .bind(t + policy.absolute)
    .bind(second_factor_done)
    .execute(p)
    .await.map(|r| r.rows_affected())
    })?;
    Ok(token)
}

/// The live session for a cookie token, refreshing its idle clock at most once a minute.
pub async fn session(
    db: &Db,
    token: &str,
    policy: SessionPolicy,
) -> Result<Option<SessionInfo>, StoreError> {
    let h = token_hash(token);
    let row: Option<(i64, DateTime<Utc>, DateTime<Utc>, bool, Option<String>)> = on_db!(db, |p| {
        sqlx::query_as(
        "SELECT account_id, last_seen_at, expires_at, second_factor_done, locale FROM session WHERE id_hash = $1"
    )
    .bind(&h)
    .fetch_optional(p)
    .await
    })?;
    let Some((account, last_seen, expires, second, locale)) = row else {
        return Ok(None);
    };
    let t = now();
    if t >= expires || t - last_seen >= policy.idle {
        on_db!(db, |p| sqlx::query(
            "DELETE FROM session WHERE id_hash = $1"
        )
        .bind(&h)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        return Ok(None);
    }
    if t - last_seen >= Duration::seconds(60) {
        on_db!(db, |p| sqlx::query(
            "UPDATE session SET last_seen_at = $1 WHERE id_hash = $2"
        )
        .bind(t)
        .bind(&h)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
    }
    Ok(Some(SessionInfo {
        account: AccountId(account),
        second_factor_done: second,
        locale,
    }))
}

pub async fn set_session_locale(db: &Db, token: &str, locale: &str) -> Result<(), StoreError> {
    on_db!(db, |p| sqlx::query(
        "UPDATE session SET locale = $1 WHERE id_hash = $2"
    )
    .bind(locale)
    .bind(token_hash(token))
    .execute(p)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn complete_second_factor(db: &Db, token: &str) -> Result<(), StoreError> {
    on_db!(db, |p| sqlx::query(
        "UPDATE session SET second_factor_done = TRUE WHERE id_hash = $1"
    )
    .bind(token_hash(token))
    .execute(p)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn end_session(db: &Db, token: &str) -> Result<(), StoreError> {
    on_db!(db, |p| sqlx::query(
        "DELETE FROM session WHERE id_hash = $1"
    )
    .bind(token_hash(token))
    .execute(p)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(())
}

/// Removes expired sessions (a periodic job).
pub async fn purge_sessions(db: &Db) -> Result<u64, StoreError> {
    let r = on_db!(db, |p| sqlx::query(
        "DELETE FROM session WHERE expires_at < $1"
    )
    .bind(now())
    .execute(p)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(r)
}

// ---------------------------------------------------------------- throttling

/// Failure thresholds and back-off.
#[derive(Clone, Copy, Debug)]
pub struct ThrottlePolicy {
    /// Failures allowed before the first lock.
    pub free_failures: i64,
    pub first_lock: Duration,
    pub max_lock: Duration,
    /// Failures older than this are forgotten.
    pub window: Duration,
}

impl ThrottlePolicy {
    pub const ACCOUNT: ThrottlePolicy = ThrottlePolicy {
        free_failures: 5,
        first_lock: Duration::seconds(30),
        max_lock: Duration::minutes(15),
        window: Duration::hours(1),
    };
    pub const ADDRESS: ThrottlePolicy = ThrottlePolicy {
        free_failures: 20,
        first_lock: Duration::seconds(30),
        max_lock: Duration::minutes(15),
        window: Duration::hours(1),
    };

    /// Lock length after `failures` failures: doubling from the first lock.
    pub fn lock_after(&self, failures: i64) -> Option<Duration> {
        let over = failures - self.free_failures;
        if over < 0 {
            return None;
        }
        let secs = self
            .first_lock
            .num_seconds()
            .saturating_mul(1i64 << over.min(20));
        Some(Duration::seconds(secs.min(self.max_lock.num_seconds())))
    }
}

/// The latest `locked_until` among `keys`, if still in the future.
pub async fn locked_until(db: &Db, keys: &[String]) -> Result<Option<DateTime<Utc>>, StoreError> {
    let mut sql = Sql::new(
        "SELECT locked_until FROM login_throttle WHERE locked_until IS NOT NULL AND key IN (",
    );
    sql.bind_list(keys.iter().map(|k| Arg::Text(k.clone())));
    sql.push(") ORDER BY locked_until DESC LIMIT 1");
    let rows: Vec<(DateTime<Utc>,)> = sql.fetch_all(db).await?;
    let t = now();
    Ok(rows.into_iter().map(|r| r.0).find(|u| *u > t))
}

/// Counts a failure under `key` and sets the lock the policy asks for.
pub async fn record_failure(db: &Db, key: &str, policy: ThrottlePolicy) -> Result<i64, StoreError> {
    let t = now();
    let failures: i64 = on_db!(db, |p| {
        sqlx::query_scalar(
        "INSERT INTO login_throttle (key, failures, locked_until, updated_at) VALUES ($1, 1, NULL, $2)
         ON CONFLICT (key) DO UPDATE SET
           failures = CASE WHEN login_throttle.updated_at < $3 THEN 1 ELSE login_throttle.failures + 1 END,
           updated_at = $2
         RETURNING failures"
    )
    .bind(key)
    .bind(t)
    .bind(t - policy.window)
    .fetch_one(p)
    .await
    })?;
    if let Some(lock) = policy.lock_after(failures) {
        on_db!(db, |p| sqlx::query(
            "UPDATE login_throttle SET locked_until = $1 WHERE key = $2"
        )
        .bind(t + lock)
        .bind(key)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
    }
    Ok(failures)
}

pub async fn clear_failures(db: &Db, key: &str) -> Result<(), StoreError> {
    on_db!(db, |p| sqlx::query(
        "DELETE FROM login_throttle WHERE key = $1"
    )
    .bind(key)
    .execute(p)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(())
}

// ---------------------------------------------------------------- one-time links

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenPurpose {
    Setup,
    Reset,
}

impl TokenPurpose {
    fn code(self) -> &'static str {
        match self {
            TokenPurpose::Setup => "setup",
            TokenPurpose::Reset => "reset",
        }
    }
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("unknown link")]
    Unknown,
    #[error("link already used")]
    Used,
    #[error("link expired")]
    Expired,
}

/// Issues a one-time link token for an account; earlier unused links of the account stop
/// working.
pub async fn issue_token(
    st: &Store,
    who: &Who,
    account: AccountId,
    purpose: TokenPurpose,
    ttl: Duration,
) -> Result<String, StoreError> {
    let token = random_token(24);
    let t = now();
    let mut tx = st.db.begin().await?;
    on_tx!(&mut tx, |c| sqlx::query(
        "UPDATE one_time_token SET used_at = $1 WHERE account_id = $2 AND used_at IS NULL"
    )
    .bind(t)
    .bind(account.0)
    .execute(&mut *c)
    .await
    .map(|r| r.rows_affected()))?;
    on_tx!(&mut tx, |c| {
        sqlx::query(
        "INSERT INTO one_time_token (token_hash, account_id, purpose, created_at, expires_at, used_at) VALUES ($1, $2, $3, $4, $5, NULL)"
    )
    .bind(token_hash(&token))
    .bind(account.0)
    .bind(purpose.code())
    .bind(t)
    .bind(t + ttl)
    .execute(&mut *c)
    .await.map(|r| r.rows_affected())
    })?;
    let mut ch = Changes::new();
    ch.note("purpose", purpose.code());
    audit::append(
        &mut tx,
        &st.cipher,
        who,
        Event {
            action: "account.link_issued",
            entity_type: "account",
            entity_id: Some(account.0),
            org_unit: None,
            changes: &ch,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(token)
}

/// The account a still-valid token belongs to (without using it up).
pub async fn peek_token(db: &Db, token: &str) -> Result<AccountId, TokenError> {
    let row: Option<(i64, DateTime<Utc>, Option<DateTime<Utc>>)> = on_db!(db, |p| sqlx::query_as(
        "SELECT account_id, expires_at, used_at FROM one_time_token WHERE token_hash = $1"
    )
    .bind(token_hash(token))
    .fetch_optional(p)
    .await)
    .map_err(|_| TokenError::Unknown)?;
    match row {
        None => Err(TokenError::Unknown),
        Some((_, _, Some(_))) => Err(TokenError::Used),
        Some((_, exp, None)) if exp <= now() => Err(TokenError::Expired),
        Some((a, _, None)) => Ok(AccountId(a)),
    }
}

/// Uses a token up and sets the password in one transaction; a second use fails.
pub async fn redeem_token(
    st: &Store,
    token: &str,
    password_hash: &str,
) -> Result<AccountId, StoreError> {
    let t = now();
    let mut tx = st.db.begin().await?;
    let row: Option<i64> = on_tx!(&mut tx, |c| {
        sqlx::query_scalar(
        "UPDATE one_time_token SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1 RETURNING account_id"
    )
    .bind(t)
    .bind(token_hash(token))
    .fetch_optional(&mut *c)
    .await
    })?;
    let account = AccountId(row.ok_or(StoreError::State("link used or expired"))?);
    on_tx!(&mut tx, |c| sqlx::query(
        "UPDATE account SET password_hash = $1, password_changed_at = $2 WHERE id = $3"
    )
    .bind(password_hash)
    .bind(t)
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
    let who = Who {
        account: Some(account),
        label: "link".into(),
        request_id: None,
    };
    audit::append(
        &mut tx,
        &st.cipher,
        &who,
        Event {
            action: "account.password",
            entity_type: "account",
            entity_id: Some(account.0),
            org_unit: None,
            changes: &ch,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(account)
}

// ---------------------------------------------------------------- second factor

pub const TOTP_ISSUER: &str = "Jiaogong";

fn totp_for(secret: Vec<u8>, account_name: &str) -> Result<totp_rs::Totp, StoreError> {
    totp_rs::Builder::new()
        .with_secret(secret)
        .with_account_name(account_name.to_string())
        .with_issuer(Some(TOTP_ISSUER))
        .build()
        .map_err(|e| StoreError::Other(format!("totp: {e:?}")))
}

/// Enrolment data shown to the user: the otpauth URI (for a QR code) and the secret in
/// base32 (to type by hand).
#[derive(Clone, Debug)]
pub struct TotpEnrolment {
    pub uri: String,
    pub secret_base32: String,
}

/// Starts (or restarts) enrolment: a new secret, stored encrypted, not yet enabled.
pub async fn begin_totp(
    st: &Store,
    account: AccountId,
    username: &str,
) -> Result<TotpEnrolment, StoreError> {
    let mut secret = vec![0u8; 20];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut secret);
    let totp = totp_for(secret.clone(), username)?;
    let uri = totp
        .to_url()
        .map_err(|e| StoreError::Other(format!("totp: {e:?}")))?;
    let secret_base32 = uri
        .split(['?', '&'])
        .find_map(|kv| kv.strip_prefix("secret="))
        .unwrap_or_default()
        .to_string();
    let enc = st.cipher.seal(TOTP_SECRET.at(account.0), &secret);
    on_db!(&st.db, |p| {
        sqlx::query("UPDATE account SET totp_secret_enc = $1, totp_enabled = FALSE, totp_last_step = NULL WHERE id = $2")
        .bind(&enc)
        .bind(account.0)
        .execute(p)
        .await.map(|r| r.rows_affected())
    })?;
    Ok(TotpEnrolment { uri, secret_base32 })
}

/// Checks a code against the account's secret; each time step is accepted once (RFC 6238
/// §5.2), so a code seen over a shoulder cannot be replayed.
pub async fn check_totp(
    st: &Store,
    account: AccountId,
    code: &str,
    unix_time: u64,
) -> Result<bool, StoreError> {
    let row: Option<(Option<Vec<u8>>, Option<i64>, String)> = on_db!(&st.db, |p| sqlx::query_as(
        "SELECT totp_secret_enc, totp_last_step, username FROM account WHERE id = $1"
    )
    .bind(account.0)
    .fetch_optional(p)
    .await)?;
    let Some((Some(enc), last, username)) = row else {
        return Ok(false);
    };
    let secret = st.cipher.open(TOTP_SECRET.at(account.0), &enc)?;
    let totp = totp_for(secret, &username)?;
    let Some(step) = totp.check(code.trim(), unix_time) else {
        return Ok(false);
    };
    let step = step as i64;
    if last.is_some_and(|l| step <= l) {
        return Ok(false);
    }
    let n = on_db!(&st.db, |p| {
        sqlx::query(
        "UPDATE account SET totp_last_step = $1 WHERE id = $2 AND (totp_last_step IS NULL OR totp_last_step < $1)"
    )
    .bind(step)
    .bind(account.0)
    .execute(p)
    .await.map(|r| r.rows_affected())
    })?;
    Ok(n == 1)
}

/// Current code for a secret (tests and the enrolment check).
pub async fn current_totp_code(
    st: &Store,
    account: AccountId,
    unix_time: u64,
) -> Result<String, StoreError> {
    let (enc, username): (Option<Vec<u8>>, String) = on_db!(&st.db, |p| sqlx::query_as(
        "SELECT totp_secret_enc, username FROM account WHERE id = $1"
    )
    .bind(account.0)
    .fetch_one(p)
    .await)?;
    let secret = st
        .cipher
        .open(TOTP_SECRET.at(account.0), &enc.ok_or(StoreError::NotFound)?)?;
    Ok(totp_for(secret, &username)?.generate(unix_time).to_string())
}

/// Confirms enrolment with a valid code; returns ten fresh recovery codes (shown once).
pub async fn enable_totp(
    st: &Store,
    who: &Who,
    account: AccountId,
    code: &str,
    unix_time: u64,
) -> Result<Option<Vec<String>>, StoreError> {
    if !check_totp(st, account, code, unix_time).await? {
        return Ok(None);
    }
    let codes: Vec<String> = (0..10)
        .map(|_| {
            let t = random_token(8).to_lowercase().replace(['-', '_'], "x");
            format!("{}-{}", &t[..5], &t[5..10])
        })
        .collect();
    let mut tx = st.db.begin().await?;
    on_tx!(&mut tx, |c| sqlx::query(
        "UPDATE account SET totp_enabled = TRUE WHERE id = $1"
    )
    .bind(account.0)
    .execute(&mut *c)
    .await
    .map(|r| r.rows_affected()))?;
    on_tx!(&mut tx, |c| sqlx::query(
        "DELETE FROM recovery_code WHERE account_id = $1"
    )
    .bind(account.0)
    .execute(&mut *c)
    .await
    .map(|r| r.rows_affected()))?;
    for code in &codes {
        on_tx!(&mut tx, |c| sqlx::query(
            "INSERT INTO recovery_code (account_id, code_hash, used_at) VALUES ($1, $2, NULL)"
        )
        .bind(account.0)
        .bind(token_hash(code))
        .execute(&mut *c)
        .await
        .map(|r| r.rows_affected()))?;
    }
    let mut ch = Changes::new();
    ch.field("totp_enabled", Some(&false), Some(&true));
    audit::append(
        &mut tx,
        &st.cipher,
        who,
        Event {
            action: "account.totp_enabled",
            entity_type: "account",
            entity_id: Some(account.0),
            org_unit: None,
            changes: &ch,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Some(codes))
}

/// Uses up a recovery code instead of a TOTP code.
pub async fn use_recovery_code(
    st: &Store,
    account: AccountId,
    code: &str,
) -> Result<bool, StoreError> {
    let normalised = code.trim().to_lowercase();
    let n = on_db!(&st.db, |p| {
        sqlx::query(
        "UPDATE recovery_code SET used_at = $1 WHERE account_id = $2 AND code_hash = $3 AND used_at IS NULL"
    )
    .bind(now())
    .bind(account.0)
    .bind(token_hash(&normalised))
    .execute(p)
    .await.map(|r| r.rows_affected())
    })?;
    Ok(n > 0)
}

/// An account's second-factor secret.
pub const TOTP_SECRET: crate::area::EncryptedColumn = crate::area::EncryptedColumn {
    table: "account",
    key: "id",
    column: "totp_secret_enc",
    field: Field::TotpSecret,
    indexes: &[],
};

/// Accounts, grants, sessions and one-time links.
pub static AREA: crate::area::Area = crate::area::Area {
    coded: &[crate::area::CodedColumn {
        column: "role_grant.role",
        codes: || Role::ALL.iter().map(|r| r.code()).collect(),
    }],
    encrypted: &[TOTP_SECRET],
    ..crate::area::Area::new("auth")
};
