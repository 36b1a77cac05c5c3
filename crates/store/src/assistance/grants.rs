//! Relief grants (帮扶救助) and the relief fund's ledger (扶贫帮困基金).
//!
//! A school applies for a grant for a member with an open hardship file; the school's chair
//! approves it and then the district approves it, two different people, neither of them
//! the applicant. A grant stays within the yearly cap of the file's level in the rule set in
//! force (local numbers), counting every grant of the file's member that year. Paying takes
//! the amount from the fund of the school's root union with one guarded `UPDATE … WHERE
//! balance_fen >= amount` (and a CHECK in the schema), so the balance never goes below zero,
//! even with two payments at once; a refusal names the balance. Money is in fen. The reason
//! for a grant is encrypted. Every step is audited in its transaction.

use super::rules;
use crate::audit::Who;
use crate::db::{Arg, Sql, Tx, now};
use crate::{Db, Store, StoreError, on_tx};
use chrono::{Datelike, NaiveDate};
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

use crate::kit::record_commit as log_commit;

async fn unit_in_scope(tx: &mut Tx, scope: &Scope, unit: OrgUnitId) -> Result<(), StoreError> {
    let mut q = Sql::new("SELECT id FROM org_unit WHERE id = ");
    q.bind(Arg::I64(unit.0));
    crate::scope::restrict(&mut q, "id", scope);
    let found: Vec<(i64,)> = q.fetch_all_tx(tx).await?;
    if found.is_empty() {
        Err(StoreError::NotFound)
    } else {
        Ok(())
    }
}

/// The root union above a unit: the holder of the relief fund its schools draw on.
async fn fund_of(tx: &mut Tx, unit: OrgUnitId) -> Result<OrgUnitId, StoreError> {
    let root: Option<i64> = on_tx!(tx, |c| {
        sqlx::query_scalar(
        "SELECT ancestor_id FROM org_closure WHERE descendant_id = $1 ORDER BY depth DESC LIMIT 1"
    )
    .bind(unit.0)
    .fetch_optional(&mut *c)
    .await
    })?;
    root.map(OrgUnitId).ok_or(StoreError::NotFound)
}

/// Money into the relief fund of the root union above `unit` (which must be in the
/// caller's scope: the district's staff): an allocation or a donation. Returns the new
/// balance.
pub async fn add_income(
    st: &Store,
    cap: &Cap<perm::AssistanceConfirm>,
    who: &Who,
    unit: OrgUnitId,
    kind: FundEntryKind,
    amount_fen: i64,
    on: NaiveDate,
) -> Result<i64, StoreError> {
    if kind == FundEntryKind::Grant || amount_fen <= 0 {
        return Err(invalid(FieldError::new("amount", t::GRANT_AMOUNT_INVALID)));
    }
    let mut tx = st.db.begin().await?;
    let fund = fund_of(&mut tx, unit).await?;
    unit_in_scope(&mut tx, cap.scope(), fund)
        .await
        .map_err(|_| invalid(FieldError::new("unit", t::GRANT_NOT_THE_FUND)))?;
    let ts = now();
    let balance: i64 = on_tx!(&mut tx, |c| {
        sqlx::query_scalar(
        "INSERT INTO relief_fund (org_unit_id, balance_fen, updated_at) VALUES ($1, $2, $3)
         ON CONFLICT (org_unit_id) DO UPDATE SET balance_fen = relief_fund.balance_fen + excluded.balance_fen, updated_at = excluded.updated_at
         RETURNING balance_fen"
    )
    .bind(fund.0)
    .bind(amount_fen)
    .bind(ts)
    .fetch_one(&mut *c)
    .await
    })?;
    let id: i64 = on_tx!(&mut tx, |c| {
        sqlx::query_scalar(
        "INSERT INTO relief_fund_entry (fund_unit_id, kind, amount_fen, grant_id, entry_on, by_label, created_at) VALUES ($1, $2, $3, NULL, $4, $5, $6) RETURNING id"
    )
    .bind(fund.0)
    .bind(kind.code())
    .bind(amount_fen)
    .bind(on)
    .bind(&who.label)
    .bind(ts)
    .fetch_one(&mut *c)
    .await
    })?;
    let mut ch = Changes::new();
    ch.note("kind", kind.code())
        .note("amount_fen", amount_fen)
        .note("balance_fen", balance);
    log_commit(
        tx,
        st,
        who,
        "relief_fund.income",
        ("relief_fund_entry", id),
        fund,
        &ch,
    )
    .await?;
    Ok(balance)
}

/// The balance of the fund of `fund` (0 before any income).
pub async fn balance(
    db: &Db,
    cap: &Cap<perm::AssistanceView>,
    fund: OrgUnitId,
) -> Result<i64, StoreError> {
    let mut q =
        Sql::new("SELECT COALESCE(MAX(balance_fen), 0) FROM relief_fund WHERE org_unit_id = ");
    q.bind(Arg::I64(fund.0));
    crate::scope::restrict(&mut q, "org_unit_id", cap.scope());
    q.fetch_scalar_i64(db).await
}

/// A grant as the approvers see it.
#[derive(Clone, Debug, PartialEq)]
pub struct Grant {
    pub id: GrantId,
    pub file_id: HardshipFileId,
    pub school_union_id: OrgUnitId,
    pub fund_unit_id: OrgUnitId,
    pub year: i32,
    pub amount_fen: i64,
    pub status: GrantStatus,
    pub applied_by: Option<i64>,
    pub school_approved_by: Option<i64>,
    pub approved_by: Option<i64>,
    pub paid_on: Option<NaiveDate>,
}

type GrantRow = (
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    String,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<NaiveDate>,
);

async fn grant_tx(tx: &mut Tx, scope: &Scope, id: GrantId) -> Result<Grant, StoreError> {
    let mut q = Sql::new(
        "SELECT g.id, g.file_id, g.school_union_id, g.fund_unit_id, g.grant_year, g.amount_fen, g.status, g.applied_by, g.school_approved_by, g.approved_by, g.paid_on FROM relief_grant g WHERE g.id = ",
    );
    q.bind(Arg::I64(id.0));
    crate::scope::restrict(&mut q, "g.school_union_id", scope);
    let rows: Vec<GrantRow> = q.fetch_all_tx(tx).await?;
    grant_of(rows.into_iter().next().ok_or(StoreError::NotFound)?)
}

/// The grants of a file, oldest first (one query).
pub async fn of_file(
    db: &Db,
    cap: &Cap<perm::AssistanceView>,
    file: HardshipFileId,
) -> Result<Vec<Grant>, StoreError> {
    let mut q = Sql::new(
        "SELECT g.id, g.file_id, g.school_union_id, g.fund_unit_id, g.grant_year, g.amount_fen, g.status, g.applied_by, g.school_approved_by, g.approved_by, g.paid_on FROM relief_grant g WHERE g.file_id = ",
    );
    q.bind(Arg::I64(file.0));
    crate::scope::restrict(&mut q, "g.school_union_id", cap.scope());
    q.push(" ORDER BY g.id");
    let rows: Vec<GrantRow> = q.fetch_all(db).await?;
    rows.into_iter().map(grant_of).collect()
}

fn grant_of(r: GrantRow) -> Result<Grant, StoreError> {
    Ok(Grant {
        id: GrantId(r.0),
        file_id: HardshipFileId(r.1),
        school_union_id: OrgUnitId(r.2),
        fund_unit_id: OrgUnitId(r.3),
        year: r.4 as i32,
        amount_fen: r.5,
        status: GrantStatus::from_code(&r.6)
            .ok_or_else(|| StoreError::Other(format!("grant status {}", r.6)))?,
        applied_by: r.7,
        school_approved_by: r.8,
        approved_by: r.9,
        paid_on: r.10,
    })
}

/// A grant (for the reader's scope).
pub async fn get(
    st: &Store,
    cap: &Cap<perm::AssistanceView>,
    id: GrantId,
) -> Result<Grant, StoreError> {
    let mut tx = st.db.begin().await?;
    let g = grant_tx(&mut tx, cap.scope(), id).await?;
    tx.commit().await?;
    Ok(g)
}

/// The school applies for a grant for the member of an open file. Refused at `amount` when
/// the member's grants of the year would pass the cap of the file's level (the rule-set
/// version is named), and nothing is written.
pub async fn apply(
    st: &Store,
    cap: &Cap<perm::AssistanceDraft>,
    who: &Who,
    file: HardshipFileId,
    amount_fen: i64,
    reason: &str,
    today: NaiveDate,
) -> Result<GrantId, StoreError> {
    apply_in(st, cap.scope(), who, file, amount_fen, reason, today, None).await
}

/// [`apply`], for a campaign too: the campaign's budget is checked in the same transaction
/// (its period and the file's place under the campaign's unit are checked by the caller).
#[allow(clippy::too_many_arguments)]
pub(crate) async fn apply_in(
    st: &Store,
    scope: &Scope,
    who: &Who,
    file: HardshipFileId,
    amount_fen: i64,
    reason: &str,
    today: NaiveDate,
    campaign: Option<(CampaignId, i64)>,
) -> Result<GrantId, StoreError> {
    if amount_fen <= 0 {
        return Err(invalid(FieldError::new("amount", t::GRANT_AMOUNT_INVALID)));
    }
    let reason = domain::org::required_text("reason", reason, 500).map_err(invalid)?;
    let mut tx = st.db.begin().await?;
    let mut q = Sql::new(
        "SELECT f.member_id, f.school_union_id, f.status, f.level FROM hardship_file f WHERE f.id = ",
    );
    q.bind(Arg::I64(file.0));
    crate::scope::restrict(&mut q, "f.school_union_id", scope);
    let rows: Vec<(i64, i64, String, String)> = q.fetch_all_tx(&mut tx).await?;
    let (member, school, status, level) = rows.into_iter().next().ok_or(StoreError::NotFound)?;
    if status != FileStatus::Open.code() {
        return Err(invalid(FieldError::new("file", t::GRANT_FILE_NOT_OPEN)));
    }
    let level = HardshipLevel::from_code(&level)
        .ok_or_else(|| StoreError::Other(format!("level {level}")))?;
    let school = OrgUnitId(school);
    let (rule_set, r) = rules::effective_tx(&mut tx, school).await?;
    let year = today.year();
    let used: i64 = on_tx!(&mut tx, |c| {
        sqlx::query_scalar(
        "SELECT CAST(COALESCE(SUM(g.amount_fen), 0) AS BIGINT) FROM relief_grant g JOIN hardship_file f ON f.id = g.file_id
         WHERE f.member_id = $1 AND g.grant_year = $2"
    )
    .bind(member)
    .bind(i64::from(year))
    .fetch_one(&mut *c)
    .await
    })?;
    let limit = r.grant_cap(level);
    if used + amount_fen > limit {
        let version: i64 = on_tx!(&mut tx, |c| sqlx::query_scalar(
            "SELECT version FROM assistance_rule_set WHERE id = $1"
        )
        .bind(rule_set.0)
        .fetch_one(&mut *c)
        .await)?;
        return Err(invalid(
            FieldError::new("amount", t::GRANT_ABOVE_CAP)
                .arg("cap", yuan(limit))
                .arg("used", yuan(used))
                .arg("version", version),
        ));
    }
    if let Some((c, budget)) = campaign {
        let listed: i64 = on_tx!(&mut tx, |x| {
            sqlx::query_scalar(
            "SELECT CAST(COALESCE(SUM(amount_fen), 0) AS BIGINT) FROM relief_grant WHERE campaign_id = $1"
        )
        .bind(c.0)
        .fetch_one(&mut *x)
        .await
        })?;
        if listed + amount_fen > budget {
            return Err(invalid(
                FieldError::new("amount", t::CAMPAIGN_ABOVE_BUDGET)
                    .arg("budget", yuan(budget))
                    .arg("used", yuan(listed)),
            ));
        }
    }
    let fund = fund_of(&mut tx, school).await?;
    // The id first: the reason is bound to its row.
    let [new_id] = crate::db::reserve_ids(&mut tx, "relief_grant", 1).await?[..] else {
        return Err(StoreError::Other("no id reserved".into()));
    };
    let id: i64 = on_tx!(&mut tx, |c| {
        sqlx::query_scalar(
        "INSERT INTO relief_grant (id, file_id, school_union_id, fund_unit_id, grant_year, amount_fen, status, rule_set_id, reason_enc, applied_by, applied_by_label, applied_on, created_at, campaign_id)
         VALUES ($1, $2, $3, $4, $5, $6, 'applied', $7, $8, $9, $10, $11, $12, $13) RETURNING id"
    )
    .bind(new_id)
    .bind(file.0)
    .bind(school.0)
    .bind(fund.0)
    .bind(i64::from(year))
    .bind(amount_fen)
    .bind(rule_set.0)
    .bind(st.cipher.seal_str(super::GRANT_REASON.at(new_id), &reason))
    .bind(who.account.map(|a| a.0))
    .bind(&who.label)
    .bind(today)
    .bind(now())
    .bind(campaign.map(|c| c.0.0))
    .fetch_one(&mut *c)
    .await
    .map_err(crate::db::unique_as("file", t::CAMPAIGN_ALREADY_LISTED))
    })?;
    let mut ch = Changes::new();
    if let Some((c, _)) = campaign {
        ch.note("campaign", c.0);
    }
    ch.note("file", file.0)
        .note("amount_fen", amount_fen)
        .note("status", GrantStatus::Applied.code())
        .note("rule_set", rule_set.0);
    ch.personal("reason", true);
    log_commit(
        tx,
        st,
        who,
        "relief_grant.apply",
        ("relief_grant", id),
        school,
        &ch,
    )
    .await?;
    Ok(GrantId(id))
}

/// Whether `who` already acted on the grant (applied or approved it): the same person may
/// not approve twice. The system (no account) is not a person and is not compared.
fn same_person(who: &Who, earlier: &[Option<i64>]) -> bool {
    who.account.is_some_and(|a| earlier.contains(&Some(a.0)))
}

async fn step(
    st: &Store,
    scope: &Scope,
    who: &Who,
    id: GrantId,
    from: GrantStatus,
    to: GrantStatus,
) -> Result<Grant, StoreError> {
    let mut tx = st.db.begin().await?;
    let g = grant_tx(&mut tx, scope, id).await?;
    if g.status != from {
        return Err(invalid(FieldError::new("status", t::GRANT_WRONG_STEP)));
    }
    if same_person(who, &[g.applied_by, g.school_approved_by]) {
        return Err(invalid(FieldError::new("approver", t::GRANT_SAME_APPROVER)));
    }
    let set: &'static str = match to {
        GrantStatus::SchoolApproved => {
            "UPDATE relief_grant SET status = 'school_approved', school_approved_by = "
        }
        _ => "UPDATE relief_grant SET status = 'approved', approved_by = ",
    };
    let mut u = Sql::new(set);
    u.bind(Arg::OptI64(who.account.map(|a| a.0)))
        .push(" WHERE id = ")
        .bind(Arg::I64(id.0))
        .push(" AND status = ")
        .bind(Arg::Text(from.code().into()));
    if u.execute_tx(&mut tx).await? != 1 {
        return Err(StoreError::Stale);
    }
    let mut ch = Changes::new();
    ch.field("status", Some(&from.code()), Some(&to.code()));
    let action = if to == GrantStatus::SchoolApproved {
        "relief_grant.school_approve"
    } else {
        "relief_grant.approve"
    };
    log_commit(
        tx,
        st,
        who,
        action,
        ("relief_grant", id.0),
        g.school_union_id,
        &ch,
    )
    .await?;
    Ok(g)
}

/// The school's chair approves (not the applicant).
pub async fn approve_school(
    st: &Store,
    cap: &Cap<perm::AssistanceConfirm>,
    who: &Who,
    id: GrantId,
) -> Result<(), StoreError> {
    step(
        st,
        cap.scope(),
        who,
        id,
        GrantStatus::Applied,
        GrantStatus::SchoolApproved,
    )
    .await
    .map(|_| ())
}

/// The district approves: a holder of the permission over the fund's union, who neither
/// applied nor gave the school's approval.
pub async fn approve_district(
    st: &Store,
    cap: &Cap<perm::AssistanceConfirm>,
    who: &Who,
    id: GrantId,
) -> Result<(), StoreError> {
    {
        let mut tx = st.db.begin().await?;
        let g = grant_tx(&mut tx, cap.scope(), id).await?;
        // The school's chair cannot give the district's approval: the fund's union must be
        // in the approver's scope.
        unit_in_scope(&mut tx, cap.scope(), g.fund_unit_id)
            .await
            .map_err(|_| invalid(FieldError::new("approver", t::GRANT_NOT_THE_FUND)))?;
        tx.commit().await?;
    }
    step(
        st,
        cap.scope(),
        who,
        id,
        GrantStatus::SchoolApproved,
        GrantStatus::Approved,
    )
    .await
    .map(|_| ())
}

/// Pays an approved grant from the fund. Refused at `amount`, with the balance, when the
/// fund holds less; nothing changes then.
pub async fn pay(
    st: &Store,
    cap: &Cap<perm::AssistanceConfirm>,
    who: &Who,
    id: GrantId,
    today: NaiveDate,
) -> Result<i64, StoreError> {
    let mut tx = st.db.begin().await?;
    let g = grant_tx(&mut tx, cap.scope(), id).await?;
    // Only the district that holds the fund pays; a school's chair is told so.
    unit_in_scope(&mut tx, cap.scope(), g.fund_unit_id)
        .await
        .map_err(|_| invalid(FieldError::new("approver", t::GRANT_NOT_THE_FUND)))?;
    if g.status != GrantStatus::Approved {
        return Err(invalid(FieldError::new("status", t::GRANT_WRONG_STEP)));
    }
    let ts = now();
    let balance: Option<i64> = on_tx!(&mut tx, |c| {
        sqlx::query_scalar(
        "UPDATE relief_fund SET balance_fen = balance_fen - $1, updated_at = $2 WHERE org_unit_id = $3 AND balance_fen >= $1 RETURNING balance_fen"
    )
    .bind(g.amount_fen)
    .bind(ts)
    .bind(g.fund_unit_id.0)
    .fetch_optional(&mut *c)
    .await
    })?;
    let Some(balance) = balance else {
        let have: Option<i64> = on_tx!(&mut tx, |c| sqlx::query_scalar(
            "SELECT balance_fen FROM relief_fund WHERE org_unit_id = $1"
        )
        .bind(g.fund_unit_id.0)
        .fetch_optional(&mut *c)
        .await)?;
        return Err(invalid(
            FieldError::new("amount", t::GRANT_ABOVE_BALANCE)
                .arg("amount", yuan(g.amount_fen))
                .arg("balance", yuan(have.unwrap_or(0))),
        ));
    };
    on_tx!(&mut tx, |c| {
        sqlx::query(
        "INSERT INTO relief_fund_entry (fund_unit_id, kind, amount_fen, grant_id, entry_on, by_label, created_at) VALUES ($1, 'grant', $2, $3, $4, $5, $6)"
    )
    .bind(g.fund_unit_id.0)
    .bind(-g.amount_fen)
    .bind(id.0)
    .bind(today)
    .bind(&who.label)
    .bind(ts)
    .execute(&mut *c)
    .await
    .map(|_| ())
    })?;
    let n = on_tx!(&mut tx, |c| {
        sqlx::query(
        "UPDATE relief_grant SET status = 'paid', paid_on = $1 WHERE id = $2 AND status = 'approved'"
    )
    .bind(today)
    .bind(id.0)
    .execute(&mut *c)
    .await
    .map(|r| r.rows_affected())
    })?;
    if n != 1 {
        return Err(StoreError::Stale);
    }
    let mut ch = Changes::new();
    ch.field("status", Some(&"approved"), Some(&"paid"))
        .note("amount_fen", g.amount_fen)
        .note("balance_fen", balance);
    log_commit(
        tx,
        st,
        who,
        "relief_grant.pay",
        ("relief_grant", id.0),
        g.school_union_id,
        &ch,
    )
    .await?;
    Ok(balance)
}

/// The relief funds in the reader's scope: (union, name, balance in fen). One query.
pub async fn funds(
    db: &Db,
    cap: &Cap<perm::AssistanceView>,
) -> Result<Vec<(OrgUnitId, String, i64)>, StoreError> {
    let mut q = Sql::new(
        "SELECT f.org_unit_id, u.name, f.balance_fen FROM relief_fund f JOIN org_unit u ON u.id = f.org_unit_id WHERE 1 = 1",
    );
    crate::scope::restrict(&mut q, "f.org_unit_id", cap.scope());
    q.push(" ORDER BY f.org_unit_id");
    let rows: Vec<(i64, String, i64)> = q.fetch_all(db).await?;
    Ok(rows
        .into_iter()
        .map(|(u, n, b)| (OrgUnitId(u), n, b))
        .collect())
}

/// One row of the year's table of grants.
#[derive(Clone, Debug, PartialEq)]
pub struct YearRow {
    pub id: GrantId,
    pub file_id: HardshipFileId,
    pub member_name: String,
    pub school_name: String,
    pub amount_fen: i64,
    pub status: GrantStatus,
    pub paid_on: Option<NaiveDate>,
}

/// The year's grants of the schools in scope, oldest first, at most `limit` (one query).
pub async fn of_year(
    db: &Db,
    cap: &Cap<perm::AssistanceView>,
    year: i32,
    limit: i64,
) -> Result<Vec<YearRow>, StoreError> {
    let mut q = Sql::new(
        "SELECT g.id, g.file_id, m.name, s.name, g.amount_fen, g.status, g.paid_on FROM relief_grant g
         JOIN hardship_file f ON f.id = g.file_id JOIN member m ON m.id = f.member_id JOIN org_unit s ON s.id = g.school_union_id
         WHERE g.grant_year = ",
    );
    q.bind(Arg::I64(i64::from(year)));
    crate::scope::restrict(&mut q, "g.school_union_id", cap.scope());
    q.push(" ORDER BY g.id LIMIT ").bind(Arg::I64(limit));
    let rows: Vec<(i64, i64, String, String, i64, String, Option<NaiveDate>)> =
        q.fetch_all(db).await?;
    rows.into_iter()
        .map(|r| {
            Ok(YearRow {
                id: GrantId(r.0),
                file_id: HardshipFileId(r.1),
                member_name: r.2,
                school_name: r.3,
                amount_fen: r.4,
                status: GrantStatus::from_code(&r.5)
                    .ok_or_else(|| StoreError::Other(format!("grant status {}", r.5)))?,
                paid_on: r.6,
            })
        })
        .collect()
}

/// The grants of a campaign of the schools in scope, oldest first (one query).
pub async fn of_campaign(
    db: &Db,
    cap: &Cap<perm::AssistanceView>,
    campaign: CampaignId,
) -> Result<Vec<YearRow>, StoreError> {
    let mut q = Sql::new(
        "SELECT g.id, g.file_id, m.name, s.name, g.amount_fen, g.status, g.paid_on FROM relief_grant g
         JOIN hardship_file f ON f.id = g.file_id JOIN member m ON m.id = f.member_id JOIN org_unit s ON s.id = g.school_union_id
         WHERE g.campaign_id = ",
    );
    q.bind(Arg::I64(campaign.0));
    crate::scope::restrict(&mut q, "g.school_union_id", cap.scope());
    q.push(" ORDER BY g.id LIMIT 2000");
    let rows: Vec<(i64, i64, String, String, i64, String, Option<NaiveDate>)> =
        q.fetch_all(db).await?;
    rows.into_iter()
        .map(|r| {
            Ok(YearRow {
                id: GrantId(r.0),
                file_id: HardshipFileId(r.1),
                member_name: r.2,
                school_name: r.3,
                amount_fen: r.4,
                status: GrantStatus::from_code(&r.5)
                    .ok_or_else(|| StoreError::Other(format!("grant status {}", r.5)))?,
                paid_on: r.6,
            })
        })
        .collect()
}
