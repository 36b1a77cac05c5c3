//! The payout list for the finance office (发放清单): the relief grants paid and the
//! condolence money of visits in a period, of the schools in the reader's scope. Producing it
//! is an export of personal data (a hardship member's name beside an amount), so it needs
//! the confirming permission and writes `assistance_payout.export` (the period and the row
//! count, never a name) in the audit log before the rows are handed out. Two queries.

use crate::audit::Who;
use crate::db::{Arg, Sql};
use crate::{Store, StoreError};
use chrono::NaiveDate;
use domain::assistance::*;
use domain::audit::Changes;
use domain::auth::{Cap, perm};
use domain::org::Coded;

/// The longest period one payout list covers.
pub const MAX_DAYS: i64 = 366;

/// What a payout row pays.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Paid {
    Grant,
    Visit(VisitType),
}

/// One payment.
#[derive(Clone, Debug, PartialEq)]
pub struct PayoutRow {
    pub on: NaiveDate,
    pub member_name: String,
    pub school_name: String,
    pub what: Paid,
    pub campaign: Option<String>,
    pub amount_fen: i64,
    /// The grant's or the visit's id.
    pub reference: i64,
}

/// The payments of `from..=to` in scope, by day: grants paid (by their payment day) and
/// visits with money (by the visit's day). Audited as an export.
pub async fn export(
    st: &Store,
    cap: &Cap<perm::AssistanceConfirm>,
    who: &Who,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<PayoutRow>, StoreError> {
    if to < from || (to - from).num_days() > MAX_DAYS {
        return Err(StoreError::field(
            "to",
            domain::assistance::text::PERIOD_INVALID,
        ));
    }
    let mut q = Sql::new(
        "SELECT g.paid_on, m.name, s.name, c.name, g.amount_fen, g.id FROM relief_grant g
         JOIN hardship_file f ON f.id = g.file_id JOIN member m ON m.id = f.member_id JOIN org_unit s ON s.id = g.school_union_id
         LEFT JOIN campaign c ON c.id = g.campaign_id
         WHERE g.status = 'paid' AND g.paid_on >= ",
    );
    q.bind(Arg::Date(from))
        .push(" AND g.paid_on <= ")
        .bind(Arg::Date(to));
    crate::scope::restrict(&mut q, "g.school_union_id", cap.scope());
    q.push(" ORDER BY g.paid_on, g.id");
    let grants: Vec<(NaiveDate, String, String, Option<String>, i64, i64)> =
        q.fetch_all(&st.db).await?;
    let mut q = Sql::new(
        "SELECT v.visited_on, m.name, s.name, v.visit_type, v.amount_fen, v.id FROM visit v
         JOIN member m ON m.id = v.member_id JOIN org_unit s ON s.id = v.school_union_id
         WHERE v.amount_fen > 0 AND v.visited_on >= ",
    );
    q.bind(Arg::Date(from))
        .push(" AND v.visited_on <= ")
        .bind(Arg::Date(to));
    crate::scope::restrict(&mut q, "v.school_union_id", cap.scope());
    q.push(" ORDER BY v.visited_on, v.id");
    let visits: Vec<(NaiveDate, String, String, String, i64, i64)> = q.fetch_all(&st.db).await?;
    let mut out: Vec<PayoutRow> = grants
        .into_iter()
        .map(|(on, m, s, c, fen, id)| PayoutRow {
            on,
            member_name: m,
            school_name: s,
            what: Paid::Grant,
            campaign: c,
            amount_fen: fen,
            reference: id,
        })
        .collect();
    for (on, m, s, ty, fen, id) in visits {
        let ty = VisitType::from_code(&ty)
            .ok_or_else(|| StoreError::Other(format!("visit type {ty}")))?;
        out.push(PayoutRow {
            on,
            member_name: m,
            school_name: s,
            what: Paid::Visit(ty),
            campaign: None,
            amount_fen: fen,
            reference: id,
        });
    }
    out.sort_by(|a, b| a.on.cmp(&b.on).then_with(|| a.reference.cmp(&b.reference)));
    let mut tx = st.db.begin().await?;
    let mut ch = Changes::new();
    ch.note("from", from.to_string())
        .note("to", to.to_string())
        .note("rows", out.len());
    crate::audit::append(
        &mut tx,
        &st.cipher,
        who,
        crate::audit::Event {
            action: "assistance_payout.export",
            entity_type: "relief_grant",
            entity_id: None,
            org_unit: cap.scope().roots().and_then(|r| r.first().copied()),
            changes: &ch,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(out)
}
