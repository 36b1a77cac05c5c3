//! Seasonal campaigns (送温暖 at New Year and Spring Festival, 金秋助学): a union (or a
//! school) sets a period and a budget; its beneficiaries are chosen from the open hardship
//! files of the schools under it, each as a relief grant of the campaign that goes through
//! the same two approvals and is paid from the same fund ([`super::grants`]). The budget
//! bounds what is listed (checked in the grant's transaction); one grant per file and
//! campaign (a unique index). Totals and progress by school are aggregated in SQL.
//!
//! A campaign's name, period and budget are not personal; its beneficiaries are hardship
//! files and are read only through an assistance capability, scoped in SQL.

use crate::audit::Who;
use crate::db::{Arg, Sql, now};
use crate::{Db, Store, StoreError, on_db, on_tx};
use chrono::NaiveDate;
use domain::FieldError;
use domain::assistance::text as t;
use domain::assistance::*;
use domain::audit::Changes;
use domain::auth::{Cap, Scope, perm};
use domain::ids::OrgUnitId;
use domain::org::Coded;

fn invalid(e: FieldError) -> StoreError {
    StoreError::Invalid(domain::FieldErrors(vec![e]))
}

/// A campaign.
#[derive(Clone, Debug, PartialEq)]
pub struct Campaign {
    pub id: CampaignId,
    pub org_unit_id: OrgUnitId,
    pub unit_name: String,
    pub kind: CampaignKind,
    pub name: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub budget_fen: i64,
}

type Raw = (i64, i64, String, String, String, NaiveDate, NaiveDate, i64);

fn campaign_of(r: Raw) -> Result<Campaign, StoreError> {
    Ok(Campaign {
        id: CampaignId(r.0),
        org_unit_id: OrgUnitId(r.1),
        unit_name: r.2,
        kind: CampaignKind::from_code(&r.3)
            .ok_or_else(|| StoreError::Other(format!("campaign kind {}", r.3)))?,
        name: r.4,
        starts_on: r.5,
        ends_on: r.6,
        budget_fen: r.7,
    })
}

const SELECT: &str = "SELECT c.id, c.org_unit_id, u.name, c.kind, c.name, c.starts_on, c.ends_on, c.budget_fen FROM campaign c JOIN org_unit u ON u.id = c.org_unit_id WHERE ";

/// Campaigns a reader may see: those of a unit in scope, or of a unit above one (a school's
/// committee sees the district's campaign it lists its files in).
fn push_visible(q: &mut Sql, scope: &Scope) {
    match scope.roots() {
        None => {
            q.push("1 = 1");
        }
        Some(roots) => {
            q.push(
                "(c.org_unit_id IN (SELECT ancestor_id FROM org_closure WHERE descendant_id IN (",
            )
            .bind_list(roots.iter().map(|r| Arg::I64(r.0)))
            .push(")) OR ");
            crate::scope::push_in_scope(q, "c.org_unit_id", scope);
            q.push(")");
        }
    }
}

/// A union (or school) in the confirmer's scope opens a campaign.
#[allow(clippy::too_many_arguments)]
pub async fn create(
    st: &Store,
    cap: &Cap<perm::AssistanceConfirm>,
    who: &Who,
    unit: OrgUnitId,
    kind: CampaignKind,
    name: &str,
    period: (NaiveDate, NaiveDate),
    budget_fen: i64,
) -> Result<CampaignId, StoreError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(invalid(FieldError::new("name", t::CAMPAIGN_NAME_REQUIRED)));
    }
    let name = domain::org::required_text("name", name, 100).map_err(invalid)?;
    if budget_fen <= 0 {
        return Err(invalid(FieldError::new("budget", t::GRANT_AMOUNT_INVALID)));
    }
    if !crate::org::units::in_scope(&st.db, cap.scope(), unit).await? {
        return Err(StoreError::NotFound);
    }
    let mut tx = st.db.begin().await?;
    let id: i64 = on_tx!(&mut tx, |c| {
        sqlx::query_scalar(
        "INSERT INTO campaign (org_unit_id, kind, name, starts_on, ends_on, budget_fen, created_by_label, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id"
    )
    .bind(unit.0)
    .bind(kind.code())
    .bind(&name)
    .bind(period.0)
    .bind(period.1)
    .bind(budget_fen)
    .bind(&who.label)
    .bind(now())
    .fetch_one(&mut *c)
    .await
    })?;
    let mut ch = Changes::new();
    ch.note("kind", kind.code())
        .note("name", name.as_str())
        .note("starts_on", period.0.to_string())
        .note("ends_on", period.1.to_string())
        .note("budget_fen", budget_fen);
    crate::kit::record_commit(tx, st, who, "campaign.create", ("campaign", id), unit, &ch).await?;
    Ok(CampaignId(id))
}

/// The campaigns a reader sees, newest first (one query).
pub async fn list(db: &Db, cap: &Cap<perm::AssistanceView>) -> Result<Vec<Campaign>, StoreError> {
    let mut q = Sql::new(SELECT);
    push_visible(&mut q, cap.scope());
    q.push(" ORDER BY c.starts_on DESC, c.id DESC LIMIT 200");
    let rows: Vec<Raw> = q.fetch_all(db).await?;
    rows.into_iter().map(campaign_of).collect()
}

async fn get_in(db: &Db, scope: &Scope, id: CampaignId) -> Result<Campaign, StoreError> {
    let mut q = Sql::new(SELECT);
    q.push("c.id = ").bind(Arg::I64(id.0)).push(" AND ");
    push_visible(&mut q, scope);
    let rows: Vec<Raw> = q.fetch_all(db).await?;
    campaign_of(rows.into_iter().next().ok_or(StoreError::NotFound)?)
}

/// A campaign the reader sees.
pub async fn get(
    db: &Db,
    cap: &Cap<perm::AssistanceView>,
    id: CampaignId,
) -> Result<Campaign, StoreError> {
    get_in(db, cap.scope(), id).await
}

/// Lists an open hardship file of a school in scope under the campaign's unit as a
/// beneficiary: a relief grant of the campaign (applied; the two approvals and the payment
/// follow as for any grant). Refused outside the period, above the budget (with what is
/// listed), above the level's yearly cap, or a second time for the same file.
#[allow(clippy::too_many_arguments)]
pub async fn add(
    st: &Store,
    cap: &Cap<perm::AssistanceDraft>,
    who: &Who,
    id: CampaignId,
    file: HardshipFileId,
    amount_fen: i64,
    reason: &str,
    today: NaiveDate,
) -> Result<GrantId, StoreError> {
    let c = get_in(&st.db, cap.scope(), id).await?;
    if today < c.starts_on || today > c.ends_on {
        return Err(invalid(
            FieldError::new("file", t::CAMPAIGN_CLOSED)
                .arg("from", c.starts_on.to_string())
                .arg("to", c.ends_on.to_string()),
        ));
    }
    // The file's school must lie under the campaign's unit.
    let under: Option<i64> = on_db!(&st.db, |p| {
        sqlx::query_scalar(
        "SELECT f.id FROM hardship_file f JOIN org_closure oc ON oc.descendant_id = f.school_union_id WHERE f.id = $1 AND oc.ancestor_id = $2"
    )
    .bind(file.0)
    .bind(c.org_unit_id.0)
    .fetch_optional(p)
    .await
    })?;
    if under.is_none() {
        return Err(invalid(FieldError::new("file", t::CAMPAIGN_FILE_NOT_OPEN)));
    }
    super::grants::apply_in(
        st,
        cap.scope(),
        who,
        file,
        amount_fen,
        reason,
        today,
        Some((id, c.budget_fen)),
    )
    .await
}

/// A campaign's totals and its progress per school.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Totals {
    pub listed: i64,
    pub listed_fen: i64,
    pub approved: i64,
    pub paid: i64,
    pub paid_fen: i64,
    /// (school, listed, paid, paid fen).
    pub schools: Vec<(String, i64, i64, i64)>,
}

/// Totals of a campaign in the reader's scope: one query grouped by school and status.
pub async fn totals(
    db: &Db,
    cap: &Cap<perm::AssistanceView>,
    id: CampaignId,
) -> Result<Totals, StoreError> {
    let mut q = Sql::new(
        "SELECT s.name, g.status, COUNT(*), CAST(SUM(g.amount_fen) AS BIGINT) FROM relief_grant g JOIN org_unit s ON s.id = g.school_union_id WHERE g.campaign_id = ",
    );
    q.bind(Arg::I64(id.0));
    crate::scope::restrict(&mut q, "g.school_union_id", cap.scope());
    q.push(" GROUP BY s.name, g.status ORDER BY s.name, g.status");
    let rows: Vec<(String, String, i64, i64)> = q.fetch_all(db).await?;
    let mut t = Totals::default();
    for (school, status, n, fen) in rows {
        t.listed += n;
        t.listed_fen += fen;
        let paid = status == GrantStatus::Paid.code();
        if paid || status == GrantStatus::Approved.code() {
            t.approved += n;
        }
        if paid {
            t.paid += n;
            t.paid_fen += fen;
        }
        match t.schools.last_mut() {
            Some(last) if last.0 == school => {
                last.1 += n;
                if paid {
                    last.2 += n;
                    last.3 += fen;
                }
            }
            _ => t.schools.push((
                school,
                n,
                if paid { n } else { 0 },
                if paid { fen } else { 0 },
            )),
        }
    }
    Ok(t)
}
