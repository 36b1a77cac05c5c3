//! The group robot of an org unit (its work-chat group's 企业微信 or 钉钉 webhook), entered
//! by its chair. The URL carries the robot's key and the 钉钉 secret signs messages, so both
//! are stored encrypted (`Field::RobotSecret`) and never shown back in full.
//!
//! Never sends anything: the web layer's worker and its "send test" button do.

use crate::audit::{self, Who};
use crate::db::{Arg, Sql, Tx};
use crate::notify::{ROBOT_SECRET, ROBOT_URL};
use crate::{Cipher, Db, Store, StoreError, on_db, on_tx};
use domain::audit::Changes;
use domain::auth::{Cap, perm};
use domain::ids::OrgUnitId;
use domain::outbox::{RobotKind, RobotUrl};

/// A robot ready to use (decrypted).
#[derive(Clone, Debug)]
pub struct Robot {
    pub org_unit: OrgUnitId,
    pub kind: RobotKind,
    pub url: String,
    pub secret: Option<String>,
}

impl Robot {
    /// The URL with its key hidden, for screens: scheme, host and path only.
    pub fn masked_url(&self) -> String {
        match self.url.split_once('?') {
            Some((base, _)) => format!("{base}?…"),
            None => self.url.clone(),
        }
    }
}

/// The robot of `unit` for the sending worker (no capability: the worker acts for the
/// system and sends only what a change in scope has queued).
pub async fn for_sending(st: &Store, unit: OrgUnitId) -> Result<Option<Robot>, StoreError> {
    let row: Option<(String, Vec<u8>, Option<Vec<u8>>)> = on_db!(&st.db, |p| sqlx::query_as(
        "SELECT kind, url_enc, secret_enc FROM group_robot WHERE org_unit_id = $1"
    )
    .bind(unit.0)
    .fetch_optional(p)
    .await)?;
    row.map(|r| decrypt(&st.cipher, unit, r)).transpose()
}

fn decrypt(
    cipher: &Cipher,
    unit: OrgUnitId,
    (kind, url, secret): (String, Vec<u8>, Option<Vec<u8>>),
) -> Result<Robot, StoreError> {
    Ok(Robot {
        org_unit: unit,
        kind: RobotKind::parse(&kind).ok_or(StoreError::Other(format!("robot kind {kind}")))?,
        url: cipher.open_str(ROBOT_URL.at(unit.0), &url)?,
        secret: secret
            .map(|s| cipher.open_str(ROBOT_SECRET.at(unit.0), &s))
            .transpose()?,
    })
}

/// The robot of a unit in the caller's scope: `None` when it has none, `NotFound` when the
/// unit is out of scope. One query.
pub async fn get(
    st: &Store,
    cap: &Cap<perm::AccountManage>,
    unit: OrgUnitId,
) -> Result<Option<Robot>, StoreError> {
    let mut sql = Sql::new(
        "SELECT r.kind, r.url_enc, r.secret_enc FROM org_unit u LEFT JOIN group_robot r ON r.org_unit_id = u.id WHERE u.id = ",
    );
    sql.bind(Arg::I64(unit.0));
    crate::scope::restrict(&mut sql, "u.id", cap.scope());
    let rows: Vec<(Option<String>, Option<Vec<u8>>, Option<Vec<u8>>)> =
        sql.fetch_all(&st.db).await?;
    match rows.into_iter().next() {
        None => Err(StoreError::NotFound),
        Some((Some(kind), Some(url), secret)) => {
            decrypt(&st.cipher, unit, (kind, url, secret)).map(Some)
        }
        Some(_) => Ok(None),
    }
}

/// Sets (or replaces) the robot of a unit in scope; audited without the URL or secret.
pub async fn set(
    st: &Store,
    cap: &Cap<perm::AccountManage>,
    who: &Who,
    unit: OrgUnitId,
    kind: RobotKind,
    url: &RobotUrl,
    secret: Option<&str>,
) -> Result<(), StoreError> {
    let mut tx = st.db.begin().await?;
    in_scope(&mut tx, cap, unit).await?;
    on_tx!(&mut tx, |c| {
        sqlx::query(
        "INSERT INTO group_robot (org_unit_id, kind, url_enc, secret_enc, updated_at, updated_by) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (org_unit_id) DO UPDATE SET kind = excluded.kind, url_enc = excluded.url_enc,
             secret_enc = excluded.secret_enc, updated_at = excluded.updated_at, updated_by = excluded.updated_by"
    )
    .bind(unit.0)
    .bind(kind.as_str())
    .bind(st.cipher.seal_str(ROBOT_URL.at(unit.0), url.as_str()))
    .bind(secret.map(|s| st.cipher.seal_str(ROBOT_SECRET.at(unit.0), s)))
    .bind(crate::now())
    .bind(who.account.map(|a| a.0))
    .execute(&mut *c)
    .await
    .map(|r| r.rows_affected())
    })?;
    let mut ch = Changes::new();
    ch.field("kind", None, Some(&kind.as_str()))
        .field("url", None, Some(&"(secret)"));
    audit::append(
        &mut tx,
        &st.cipher,
        who,
        audit::Event {
            action: "group_robot.set",
            entity_type: "group_robot",
            entity_id: Some(unit.0),
            org_unit: Some(unit),
            changes: &ch,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

async fn in_scope(
    tx: &mut Tx,
    cap: &Cap<perm::AccountManage>,
    unit: OrgUnitId,
) -> Result<(), StoreError> {
    let mut sql = Sql::new("SELECT id FROM org_unit WHERE id = ");
    sql.bind(Arg::I64(unit.0));
    crate::scope::restrict(&mut sql, "id", cap.scope());
    let found: Vec<(i64,)> = sql.fetch_all_tx(tx).await?;
    if found.is_empty() {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// Whether a unit has a robot (no capability: only a yes/no for the worker and the demo).
pub async fn exists(db: &Db, unit: OrgUnitId) -> Result<bool, StoreError> {
    let n: i64 = on_db!(db, |p| sqlx::query_scalar(
        "SELECT COUNT(*) FROM group_robot WHERE org_unit_id = $1"
    )
    .bind(unit.0)
    .fetch_one(p)
    .await)?;
    Ok(n > 0)
}
