//! Grants: a role at an org unit, given or removed only in the capability's scope and only
//! for roles the actor may hand out; every change audited.

use super::accounts::*;
use crate::audit::{self, Event, Who};
use crate::db::now;
use crate::{Store, StoreError, on_db, on_tx};
use domain::audit::Changes;
use domain::auth::{Actor, Cap, Role, SystemCap, perm};
use domain::ids::{AccountId, GrantId, OrgUnitId};

pub(super) async fn check_grantable(
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

pub(super) async fn insert_grant(
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
