//! Retirees' association contacts (退协联系人) of a unit: the people the union calls to
//! organise the 重阳节 birthdays and the visits to retirees. A contact's phone is personal
//! data: sealed and bound to its row, listed masked (the mask is all the table holds in
//! clear), shown in full only through [`reveal`], which audits before it decrypts.
//!
//! Every read is scoped by an assistance capability in SQL; another school's contacts are
//! never listed and their ids are 404. Never lists a phone in clear; never writes without an
//! audit entry.

use crate::audit::Who;
use crate::db::{Arg, Sql, now};
use crate::{Db, Store, StoreError, on_tx};
use domain::assistance::RetireeContactId;
use domain::audit::Changes;
use domain::auth::{Cap, perm};
use domain::ids::OrgUnitId;
use domain::org::Phone;
use domain::{FieldError, FieldErrors};

/// A contact as lists show it.
#[derive(Clone, Debug, PartialEq)]
pub struct Contact {
    pub id: RetireeContactId,
    pub org_unit_id: OrgUnitId,
    pub unit_name: String,
    pub name: String,
    pub title: String,
    pub phone_masked: String,
}

const SELECT: &str = "SELECT c.id, c.org_unit_id, u.name, c.name, c.title, c.phone_masked FROM retiree_contact c JOIN org_unit u ON u.id = c.org_unit_id WHERE 1 = 1";

type Raw = (i64, i64, String, String, String, String);

fn contact(r: Raw) -> Contact {
    Contact {
        id: RetireeContactId(r.0),
        org_unit_id: OrgUnitId(r.1),
        unit_name: r.2,
        name: r.3,
        title: r.4,
        phone_masked: r.5,
    }
}

/// The contacts of the reader's units (of `unit` only when given), by unit. One query.
pub async fn list(
    db: &Db,
    cap: &Cap<perm::AssistanceView>,
    unit: Option<OrgUnitId>,
) -> Result<Vec<Contact>, StoreError> {
    let mut q = Sql::new(SELECT);
    if let Some(u) = unit {
        q.push(" AND c.org_unit_id IN (SELECT descendant_id FROM org_closure WHERE ancestor_id = ")
            .bind(Arg::I64(u.0))
            .push(")");
    }
    crate::scope::restrict(&mut q, "c.org_unit_id", cap.scope());
    q.push(" ORDER BY u.name, c.id LIMIT 500");
    let rows: Vec<Raw> = q.fetch_all(db).await?;
    Ok(rows.into_iter().map(contact).collect())
}

/// What a contact form refuses: the name, the title and the phone, each at its field.
pub fn check(name: &str, title: &str, phone: &str) -> Result<(String, String, Phone), FieldErrors> {
    let mut e = FieldErrors::default();
    let name = name.trim();
    let title = title.trim();
    if name.is_empty() || name.chars().count() > 50 {
        e.push(FieldError::new("name", domain::text::REQUIRED));
    }
    if title.chars().count() > 50 {
        e.push(FieldError::new("title", domain::text::TOO_LONG).arg("max", 50));
    }
    let phone = match Phone::parse(&domain::roster::normalize(phone)) {
        Ok(p) => Some(p),
        Err(err) => {
            e.push(err);
            None
        }
    };
    match phone {
        Some(p) if e.is_empty() => Ok((name.to_string(), title.to_string(), p)),
        _ => Err(e),
    }
}

/// Adds a contact to a unit of the drafter's scope (audited; the phone is only said to be
/// set).
pub async fn add(
    st: &Store,
    cap: &Cap<perm::AssistanceDraft>,
    who: &Who,
    unit: OrgUnitId,
    name: &str,
    title: &str,
    phone: &str,
) -> Result<RetireeContactId, StoreError> {
    let (name, title, phone) = check(name, title, phone).map_err(StoreError::Invalid)?;
    if !crate::org::units::in_scope(&st.db, cap.scope(), unit).await? {
        return Err(StoreError::Invalid(FieldErrors(vec![FieldError::new(
            "unit",
            domain::text::REQUIRED,
        )])));
    }
    let mut tx = st.db.begin().await?;
    let [id] = crate::db::reserve_ids(&mut tx, "retiree_contact", 1).await?[..] else {
        return Err(StoreError::Other("no id reserved".into()));
    };
    let sealed = st
        .cipher
        .seal_str(super::CONTACT_PHONE.at(id), phone.as_str());
    let masked = domain::privacy::mask_phone(phone.as_str());
    on_tx!(&mut tx, |c| {
        sqlx::query(
        "INSERT INTO retiree_contact (id, org_unit_id, name, title, phone_enc, phone_masked, created_by_label, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
    )
    .bind(id)
    .bind(unit.0)
    .bind(&name)
    .bind(&title)
    .bind(&sealed)
    .bind(&masked)
    .bind(&who.label)
    .bind(now())
    .execute(&mut *c)
    .await
    .map(|_| ())
    })?;
    let mut ch = Changes::new();
    ch.note("name", name.as_str())
        .note("title", title.as_str())
        .personal("phone", true);
    crate::kit::record_commit(
        tx,
        st,
        who,
        "retiree_contact.add",
        ("retiree_contact", id),
        unit,
        &ch,
    )
    .await?;
    Ok(RetireeContactId(id))
}

async fn get_tx(
    tx: &mut crate::db::Tx,
    scope: &domain::auth::Scope,
    id: RetireeContactId,
) -> Result<Contact, StoreError> {
    let mut q = Sql::new(SELECT);
    q.push(" AND c.id = ").bind(Arg::I64(id.0));
    crate::scope::restrict(&mut q, "c.org_unit_id", scope);
    let rows: Vec<Raw> = q.fetch_all_tx(tx).await?;
    rows.into_iter()
        .next()
        .map(contact)
        .ok_or(StoreError::NotFound)
}

/// A contact with the phone in clear; writes `retiree_contact.view` first.
pub async fn reveal(
    st: &Store,
    cap: &Cap<perm::AssistanceView>,
    who: &Who,
    id: RetireeContactId,
) -> Result<(Contact, String), StoreError> {
    let mut tx = st.db.begin().await?;
    let c = get_tx(&mut tx, cap.scope(), id).await?;
    let sealed: Vec<u8> = on_tx!(&mut tx, |x| sqlx::query_scalar(
        "SELECT phone_enc FROM retiree_contact WHERE id = $1"
    )
    .bind(id.0)
    .fetch_one(&mut *x)
    .await)?;
    let mut ch = Changes::new();
    ch.personal("phone", false);
    crate::kit::record_commit(
        tx,
        st,
        who,
        "retiree_contact.view",
        ("retiree_contact", id.0),
        c.org_unit_id,
        &ch,
    )
    .await?;
    let phone = st.cipher.open_str(super::CONTACT_PHONE.at(id.0), &sealed)?;
    Ok((c, phone))
}

/// Removes a contact of the drafter's scope (audited with its name).
pub async fn remove(
    st: &Store,
    cap: &Cap<perm::AssistanceDraft>,
    who: &Who,
    id: RetireeContactId,
) -> Result<(), StoreError> {
    let mut tx = st.db.begin().await?;
    let c = get_tx(&mut tx, cap.scope(), id).await?;
    on_tx!(&mut tx, |x| sqlx::query(
        "DELETE FROM retiree_contact WHERE id = $1"
    )
    .bind(id.0)
    .execute(&mut *x)
    .await
    .map(|_| ()))?;
    let mut ch = Changes::new();
    ch.note("name", c.name.as_str()).personal("phone", true);
    crate::kit::record_commit(
        tx,
        st,
        who,
        "retiree_contact.remove",
        ("retiree_contact", id.0),
        c.org_unit_id,
        &ch,
    )
    .await
}
