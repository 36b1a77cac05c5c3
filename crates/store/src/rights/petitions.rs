//! Letters and visits (来信来访) in the database: intake with the deadlines of the local
//! rules, assignment to an owner, the reply, closing with the petitioner's satisfaction,
//! and the overdue ones as due items.
//!
//! The petitioner's name and phone, the matter and the reply are sealed to their row;
//! [`list`] and [`get`] never decrypt (a list shows the masked name); [`reveal`] writes
//! its audit record before it decrypts. Every read takes a capability and filters by its
//! scope in SQL; out of scope looks like missing. Every change is audited in its
//! transaction.

use super::{PETITION_MATTER, PETITION_NAME, PETITION_PHONE, PETITION_REPLY, invalid};
use crate::audit::{Event, Who};
use crate::db::{Arg, Sql, Tx, now};
use crate::{Db, Store, StoreError, on_tx};
use chrono::NaiveDate;
use domain::audit::Changes;
use domain::auth::{Cap, Scope, perm};
use domain::ids::OrgUnitId;
use domain::org::Coded;
use domain::rights::{text as t, *};

/// A petition as lists and its page show it (nothing decrypted).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PetitionRow {
    pub id: PetitionId,
    pub unit: OrgUnitId,
    pub unit_name: String,
    pub channel: PetitionChannel,
    pub category: PetitionCategory,
    pub collective: bool,
    pub received_on: NaiveDate,
    pub accept_by: NaiveDate,
    pub conclude_by: NaiveDate,
    pub name_mask: String,
    pub owner: Option<String>,
    pub status: PetitionStatus,
    pub replied_on: Option<NaiveDate>,
    pub satisfaction: Option<Satisfaction>,
    pub closed_on: Option<NaiveDate>,
}

impl PetitionRow {
    /// Not answered by its conclusion date.
    pub fn overdue(&self, today: NaiveDate) -> bool {
        matches!(
            self.status,
            PetitionStatus::Received | PetitionStatus::Assigned
        ) && self.conclude_by < today
    }
}

/// What only the audited full view shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PetitionDetails {
    pub name: String,
    pub phone: Option<String>,
    pub matter: String,
    pub reply: Option<String>,
}

type RowTuple = (
    i64,
    i64,
    String,
    String,
    String,
    bool,
    NaiveDate,
    NaiveDate,
    NaiveDate,
    String,
    Option<String>,
    String,
    Option<NaiveDate>,
    Option<String>,
    Option<NaiveDate>,
);

const SELECT: &str = "SELECT p.id, p.org_unit_id, u.name, p.channel, p.category, p.collective, p.received_on, p.accept_by, p.conclude_by, p.name_mask, p.owner, p.status, p.replied_on, p.satisfaction, p.closed_on FROM petition p JOIN org_unit u ON u.id = p.org_unit_id WHERE 1 = 1";

fn coded<C: Coded>(s: &str) -> Result<C, StoreError> {
    C::from_code(s).ok_or_else(|| StoreError::Other(format!("petition code {s}")))
}

fn row_of(r: RowTuple) -> Result<PetitionRow, StoreError> {
    Ok(PetitionRow {
        id: PetitionId(r.0),
        unit: OrgUnitId(r.1),
        unit_name: r.2,
        channel: coded(&r.3)?,
        category: coded(&r.4)?,
        collective: r.5,
        received_on: r.6,
        accept_by: r.7,
        conclude_by: r.8,
        name_mask: r.9,
        owner: r.10,
        status: coded(&r.11)?,
        replied_on: r.12,
        satisfaction: r.13.as_deref().map(coded).transpose()?,
        closed_on: r.14,
    })
}

async fn tx_row(tx: &mut Tx, scope: &Scope, id: PetitionId) -> Result<PetitionRow, StoreError> {
    let mut q = Sql::new(SELECT);
    q.push(" AND p.id = ").bind(Arg::I64(id.0));
    crate::scope::restrict(&mut q, "p.org_unit_id", scope);
    row_of(q.fetch_one_tx(tx).await?)
}

async fn log(
    tx: Tx,
    st: &Store,
    who: &Who,
    action: &str,
    id: i64,
    unit: OrgUnitId,
    ch: &Changes,
) -> Result<(), StoreError> {
    crate::kit::audit_commit(
        tx,
        &st.cipher,
        who,
        Event {
            action,
            entity_type: "petition",
            entity_id: Some(id),
            org_unit: Some(unit),
            changes: ch,
        },
    )
    .await
}

/// Records a letter or visit to `unit` (in scope); its deadlines come from the local rules.
pub async fn receive(
    st: &Store,
    cap: &Cap<perm::PetitionHandle>,
    who: &Who,
    unit: OrgUnitId,
    d: &PetitionDraft,
) -> Result<PetitionId, StoreError> {
    let rules = PetitionRules::LOCAL;
    let mut tx = st.db.begin().await?;
    crate::correspondent::unit_in_scope(&mut tx, cap.scope(), unit).await?;
    let [id] = crate::db::reserve_ids(&mut tx, "petition", 1).await?[..] else {
        return Err(StoreError::Other("no id reserved".into()));
    };
    let c = &st.cipher;
    let ts = now();
    on_tx!(&mut tx, |conn| {
        sqlx::query(
            "INSERT INTO petition (id, org_unit_id, channel, category, collective, received_on, accept_by, conclude_by, name_mask, name_enc, phone_enc, matter_enc, status, created_by, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'received', $13, $14, $14)",
        )
        .bind(id)
        .bind(unit.0)
        .bind(d.channel.code())
        .bind(d.category.code())
        .bind(d.collective)
        .bind(d.received_on)
        .bind(rules.accept_by(d.received_on))
        .bind(rules.conclude_by(d.received_on))
        .bind(mask_name(&d.name))
        .bind(c.seal_str(PETITION_NAME.at(id), &d.name))
        .bind(d.phone.as_ref().map(|p| c.seal_str(PETITION_PHONE.at(id), p)))
        .bind(c.seal_str(PETITION_MATTER.at(id), &d.matter))
        .bind(who.account.map(|a| a.0))
        .bind(ts)
        .execute(&mut *conn)
        .await
        .map(|_| ())
    })?;
    let mut ch = Changes::new();
    ch.note("channel", d.channel.code())
        .note("category", d.category.code())
        .note("received_on", d.received_on.to_string())
        .note("collective", d.collective);
    log(tx, st, who, "petition.receive", id, unit, &ch).await?;
    Ok(PetitionId(id))
}

// One step of the workflow: the transaction, the status check, the update and its audit.
#[allow(clippy::too_many_arguments)]
async fn step(
    st: &Store,
    scope: &Scope,
    who: &Who,
    id: PetitionId,
    from: &[PetitionStatus],
    action: &str,
    set: impl FnOnce(&mut Sql),
    ch: &mut Changes,
) -> Result<PetitionRow, StoreError> {
    let mut tx = st.db.begin().await?;
    let row = tx_row(&mut tx, scope, id).await?;
    if !from.contains(&row.status) {
        return Err(invalid("status", t::PETITION_STEP));
    }
    let mut u = Sql::new("UPDATE petition SET updated_at = ");
    u.bind(Arg::Ts(now()));
    set(&mut u);
    u.push(" WHERE id = ")
        .bind(Arg::I64(id.0))
        .push(" AND status = ")
        .bind(Arg::Text(row.status.code().into()));
    if u.execute_tx(&mut tx).await? == 0 {
        return Err(StoreError::Stale);
    }
    let after = tx_row(&mut tx, scope, id).await?;
    ch.field(
        "status",
        Some(&row.status.code()),
        Some(&after.status.code()),
    );
    log(tx, st, who, action, id.0, row.unit, ch).await?;
    Ok(after)
}

/// Assigns a received (or reassigns an assigned) petition to an owner (a department or a
/// person, as typed).
pub async fn assign(
    st: &Store,
    cap: &Cap<perm::PetitionHandle>,
    who: &Who,
    id: PetitionId,
    owner: &str,
    today: NaiveDate,
) -> Result<PetitionRow, StoreError> {
    let owner = domain::org::required_text("owner", owner, OWNER_MAX)
        .map_err(|e| StoreError::Invalid(domain::FieldErrors(vec![e])))?;
    let mut ch = Changes::new();
    ch.note("owner", owner.as_str());
    step(
        st,
        cap.scope(),
        who,
        id,
        &[PetitionStatus::Received, PetitionStatus::Assigned],
        "petition.assign",
        |u| {
            u.push(", status = 'assigned', owner = ")
                .bind(Arg::Text(owner.clone()))
                .push(", assigned_on = ")
                .bind(Arg::Date(today));
        },
        &mut ch,
    )
    .await
}

/// Records the reply given to the petitioner (sealed).
pub async fn reply(
    st: &Store,
    cap: &Cap<perm::PetitionHandle>,
    who: &Who,
    id: PetitionId,
    text: &str,
    today: NaiveDate,
) -> Result<PetitionRow, StoreError> {
    let text = domain::org::required_text("reply", text, PETITION_TEXT_MAX)
        .map_err(|e| StoreError::Invalid(domain::FieldErrors(vec![e])))?;
    let sealed = st.cipher.seal_str(PETITION_REPLY.at(id.0), &text);
    let mut ch = Changes::new();
    ch.note("replied_on", today.to_string());
    step(
        st,
        cap.scope(),
        who,
        id,
        &[PetitionStatus::Assigned],
        "petition.reply",
        |u| {
            u.push(", status = 'answered', reply_enc = ")
                .bind(Arg::Bytes(sealed))
                .push(", replied_on = ")
                .bind(Arg::Date(today));
        },
        &mut ch,
    )
    .await
}

/// Closes an answered petition with the petitioner's satisfaction.
pub async fn close(
    st: &Store,
    cap: &Cap<perm::PetitionHandle>,
    who: &Who,
    id: PetitionId,
    satisfaction: Satisfaction,
    today: NaiveDate,
) -> Result<PetitionRow, StoreError> {
    let mut ch = Changes::new();
    ch.note("satisfaction", satisfaction.code());
    step(
        st,
        cap.scope(),
        who,
        id,
        &[PetitionStatus::Answered],
        "petition.close",
        |u| {
            u.push(", status = 'closed', satisfaction = ")
                .bind(Arg::Text(satisfaction.code().into()))
                .push(", closed_on = ")
                .bind(Arg::Date(today));
        },
        &mut ch,
    )
    .await
}

/// The petitions in scope, newest first (one query), optionally of one status.
pub async fn list(
    db: &Db,
    cap: &Cap<perm::PetitionView>,
    status: Option<PetitionStatus>,
    year: Option<i32>,
) -> Result<Vec<PetitionRow>, StoreError> {
    let mut q = Sql::new(SELECT);
    if let Some(s) = status {
        q.push(" AND p.status = ").bind(Arg::Text(s.code().into()));
    }
    if let Some(y) = year
        && let (Some(from), Some(to)) = (
            NaiveDate::from_ymd_opt(y, 1, 1),
            NaiveDate::from_ymd_opt(y, 12, 31),
        )
    {
        q.push(" AND p.received_on >= ")
            .bind(Arg::Date(from))
            .push(" AND p.received_on <= ")
            .bind(Arg::Date(to));
    }
    crate::scope::restrict(&mut q, "p.org_unit_id", cap.scope());
    q.push(" ORDER BY p.received_on DESC, p.id DESC LIMIT 200");
    let rows: Vec<RowTuple> = q.fetch_all(db).await?;
    rows.into_iter().map(row_of).collect()
}

/// One petition in scope (nothing decrypted).
pub async fn get(
    db: &Db,
    cap: &Cap<perm::PetitionView>,
    id: PetitionId,
) -> Result<PetitionRow, StoreError> {
    let mut q = Sql::new(SELECT);
    q.push(" AND p.id = ").bind(Arg::I64(id.0));
    crate::scope::restrict(&mut q, "p.org_unit_id", cap.scope());
    row_of(q.fetch_one(db).await?)
}

/// The full view: writes `petition.view` to the audit log, then decrypts.
pub async fn reveal(
    st: &Store,
    cap: &Cap<perm::PetitionView>,
    who: &Who,
    id: PetitionId,
) -> Result<(PetitionRow, PetitionDetails), StoreError> {
    let mut tx = st.db.begin().await?;
    let row = tx_row(&mut tx, cap.scope(), id).await?;
    let enc: (Vec<u8>, Option<Vec<u8>>, Vec<u8>, Option<Vec<u8>>) = on_tx!(&mut tx, |c| {
        sqlx::query_as(
            "SELECT name_enc, phone_enc, matter_enc, reply_enc FROM petition WHERE id = $1",
        )
        .bind(id.0)
        .fetch_one(&mut *c)
        .await
    })?;
    let ch = Changes::new();
    log(tx, st, who, "petition.view", id.0, row.unit, &ch).await?;
    let c = &st.cipher;
    let details = PetitionDetails {
        name: c.open_str(PETITION_NAME.at(id.0), &enc.0)?,
        phone: enc
            .1
            .map(|p| c.open_str(PETITION_PHONE.at(id.0), &p))
            .transpose()?,
        matter: c.open_str(PETITION_MATTER.at(id.0), &enc.2)?,
        reply: enc
            .3
            .map(|r| c.open_str(PETITION_REPLY.at(id.0), &r))
            .transpose()?,
    };
    Ok((row, details))
}

/// Petitions not yet answered whose acceptance or conclusion date is within `notice` days
/// or past (one query).
pub(crate) async fn due(
    db: &Db,
    scope: &Scope,
    until: NaiveDate,
) -> Result<Vec<(i64, i64, String, NaiveDate)>, StoreError> {
    let mut q = Sql::new(
        "SELECT p.id, p.org_unit_id, p.status, CASE WHEN p.status = 'received' AND p.accept_by < p.conclude_by THEN p.accept_by ELSE p.conclude_by END FROM petition p WHERE p.status IN ('received', 'assigned') AND (p.conclude_by <= ",
    );
    q.bind(Arg::Date(until))
        .push(" OR (p.status = 'received' AND p.accept_by <= ")
        .bind(Arg::Date(until))
        .push("))");
    crate::scope::restrict(&mut q, "p.org_unit_id", scope);
    q.push(" ORDER BY p.conclude_by, p.id");
    q.fetch_all(db).await
}
