//! Year summary drafts (工作总结) in the database. A draft is made for a unit and a year from
//! the platform's own figures: every area's year figures (through `store::area`) added up
//! over the unit's schools, kept as a snapshot with the rule-set version in force, so that
//! every number the draft states is one of these figures and links to the records it
//! counts. The text is written from the snapshot in the reader's language (the sentence
//! patterns are catalogue entries, in the web layer) until someone edits it; the edited text
//! is then stored. Drafting again takes a new snapshot and drops the edited text.
//!
//! Every read takes a capability and filters by its scope in SQL; out of scope looks like
//! missing. Every change is audited in its transaction.

use crate::area::{Area, Reach};
use crate::audit::{Event, Who};
use crate::correspondent::unit_in_scope;
use crate::db::{Arg, Sql, Tx, now};
use crate::{Db, Store, StoreError, on_tx};
use chrono::{DateTime, Utc};
use domain::audit::Changes;
use domain::auth::{Cap, perm};
use domain::ids::OrgUnitId;
use domain::work_summary::{Honour, Snapshot, SummaryId};
use futures::future::BoxFuture;

/// The year summary.
pub static AREA: Area = Area {
    demo: Some(demo),
    ..Area::new("work_summary")
};

/// The rule-set version a draft of `unit` records: the versioned numbers its figures
/// depend on (the news points in force at the unit). One query.
async fn rule_version(tx: &mut Tx, unit: OrgUnitId) -> Result<String, StoreError> {
    Ok(crate::correspondent::rules_tx(tx, unit).await?.1)
}

/// The most the edited text of a summary may hold.
pub const BODY_MAX: usize = 60_000;

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
            entity_type: "work_summary",
            entity_id: Some(id),
            org_unit: Some(unit),
            changes: ch,
        },
    )
    .await
}

async fn snapshot(
    st: &Store,
    cap: &Cap<perm::SummaryDraft>,
    unit: OrgUnitId,
    year: i32,
) -> Result<Snapshot, StoreError> {
    let (values, schools) = crate::work_plan::unit_figures(st, &Reach::of(cap), unit, year).await?;
    let honours = honours(&st.db, cap, unit, year).await?;
    Ok(Snapshot {
        values,
        schools,
        honours,
    })
}

/// The most prizes an honours list names (a province's year would list thousands; the
/// count stays in the contests figure).
pub const HONOURS_MAX: i64 = 300;

/// The prizes won by the schools of `unit` (in scope) in the published contests of `year`,
/// best tier first, contest by contest (one query, whatever the number of schools). The
/// same records the contests figure `figure-contests-prizes` counts.
pub async fn honours(
    db: &Db,
    cap: &Cap<perm::SummaryDraft>,
    unit: OrgUnitId,
    year: i32,
) -> Result<Vec<Honour>, StoreError> {
    let mut q = Sql::new(
        "SELECT c.id, c.name, r.tier, e.entrants, s.name FROM contest_result r JOIN contest c ON c.id = r.contest_id JOIN contest_entry e ON e.id = r.entry_id JOIN org_unit s ON s.id = e.school_union_id WHERE r.tier IS NOT NULL AND c.status = 'published' AND c.contest_year = ",
    );
    q.bind(Arg::I64(i64::from(year)))
        .push(
            " AND e.school_union_id IN (SELECT descendant_id FROM org_closure WHERE ancestor_id = ",
        )
        .bind(Arg::I64(unit.0))
        .push(")");
    crate::scope::restrict(&mut q, "e.school_union_id", cap.scope());
    q.push(" ORDER BY CASE r.tier WHEN 'first' THEN 1 WHEN 'second' THEN 2 WHEN 'third' THEN 3 ELSE 4 END, c.id, r.place, e.id LIMIT ")
        .bind(Arg::I64(HONOURS_MAX));
    let rows: Vec<(i64, String, String, String, String)> = q.fetch_all(db).await?;
    Ok(rows
        .into_iter()
        .map(|r| Honour {
            contest_id: r.0,
            contest: r.1,
            tier: r.2,
            winner: r.3,
            school: r.4,
        })
        .collect())
}

/// The draft of `unit` (in scope) for `year`: the existing one, or a new one made from the
/// figures now. A year without records gives an honest, mostly empty draft.
pub async fn draft(
    st: &Store,
    cap: &Cap<perm::SummaryDraft>,
    who: &Who,
    unit: OrgUnitId,
    year: i32,
) -> Result<SummaryId, StoreError> {
    {
        let mut tx = st.db.begin().await?;
        unit_in_scope(&mut tx, cap.scope(), unit).await?;
        let existing: Option<i64> = on_tx!(&mut tx, |c| {
            sqlx::query_scalar(
                "SELECT id FROM work_summary WHERE org_unit_id = $1 AND summary_year = $2",
            )
            .bind(unit.0)
            .bind(i64::from(year))
            .fetch_optional(&mut *c)
            .await
        })?;
        tx.commit().await?;
        if let Some(id) = existing {
            return Ok(SummaryId(id));
        }
    }
    let snap = snapshot(st, cap, unit, year).await?;
    let json = serde_json::to_string(&snap).map_err(|e| StoreError::Other(e.to_string()))?;
    let mut tx = st.db.begin().await?;
    let version = rule_version(&mut tx, unit).await?;
    let id: i64 = on_tx!(&mut tx, |c| {
        sqlx::query_scalar(
            "INSERT INTO work_summary (org_unit_id, summary_year, figures, rule_version, body, drafted_by, drafted_at) VALUES ($1, $2, $3, $4, NULL, $5, $6)
             ON CONFLICT (org_unit_id, summary_year) DO UPDATE SET org_unit_id = excluded.org_unit_id RETURNING id",
        )
        .bind(unit.0)
        .bind(i64::from(year))
        .bind(&json)
        .bind(&version)
        .bind(who.account.map(|a| a.0))
        .bind(now())
        .fetch_one(&mut *c)
        .await
    })?;
    let mut ch = Changes::new();
    ch.note("year", i64::from(year))
        .note("figures", snap.values.len() as i64)
        .note("rule_version", version);
    log(tx, st, who, "work_summary.draft", id, unit, &ch).await?;
    Ok(SummaryId(id))
}

/// A summary draft.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Summary {
    pub id: SummaryId,
    pub unit: OrgUnitId,
    pub unit_name: String,
    pub year: i32,
    pub snapshot: Snapshot,
    pub rule_version: String,
    /// The edited text; `None` while the text is written from the figures.
    pub body: Option<String>,
    pub drafted_at: DateTime<Utc>,
    pub edited_at: Option<DateTime<Utc>>,
}

type SummaryTuple = (
    i64,
    i64,
    String,
    i64,
    String,
    String,
    Option<String>,
    DateTime<Utc>,
    Option<DateTime<Utc>>,
);

const SELECT: &str = "SELECT w.id, w.org_unit_id, u.name, w.summary_year, w.figures, w.rule_version, w.body, w.drafted_at, w.edited_at FROM work_summary w JOIN org_unit u ON u.id = w.org_unit_id WHERE 1 = 1";

fn summary_of(r: SummaryTuple) -> Result<Summary, StoreError> {
    Ok(Summary {
        id: SummaryId(r.0),
        unit: OrgUnitId(r.1),
        unit_name: r.2,
        year: r.3 as i32,
        snapshot: serde_json::from_str(&r.4).map_err(|e| StoreError::Other(e.to_string()))?,
        rule_version: r.5,
        body: r.6,
        drafted_at: r.7,
        edited_at: r.8,
    })
}

/// One draft in scope.
pub async fn get(
    db: &Db,
    cap: &Cap<perm::SummaryDraft>,
    id: SummaryId,
) -> Result<Summary, StoreError> {
    let mut q = Sql::new(SELECT);
    q.push(" AND w.id = ").bind(Arg::I64(id.0));
    crate::scope::restrict(&mut q, "w.org_unit_id", cap.scope());
    summary_of(q.fetch_one(db).await?)
}

/// The drafts in scope, newest year first (one query).
pub async fn list(db: &Db, cap: &Cap<perm::SummaryDraft>) -> Result<Vec<Summary>, StoreError> {
    let mut q = Sql::new(SELECT);
    crate::scope::restrict(&mut q, "w.org_unit_id", cap.scope());
    q.push(" ORDER BY w.summary_year DESC, w.id LIMIT 200");
    let rows: Vec<SummaryTuple> = q.fetch_all(db).await?;
    rows.into_iter().map(summary_of).collect()
}

/// Stores the edited text of a draft.
pub async fn save_body(
    st: &Store,
    cap: &Cap<perm::SummaryDraft>,
    who: &Who,
    id: SummaryId,
    body: &str,
) -> Result<(), StoreError> {
    let body = domain::org::required_text("body", body, BODY_MAX)
        .map_err(|e| StoreError::Invalid(domain::FieldErrors(vec![e])))?;
    let s = get(&st.db, cap, id).await?;
    let mut tx = st.db.begin().await?;
    let mut u = Sql::new("UPDATE work_summary SET body = ");
    u.bind(Arg::Text(body.clone()))
        .push(", edited_at = ")
        .bind(Arg::Ts(now()))
        .push(" WHERE id = ")
        .bind(Arg::I64(id.0));
    crate::scope::restrict(&mut u, "org_unit_id", cap.scope());
    if u.execute_tx(&mut tx).await? != 1 {
        return Err(StoreError::NotFound);
    }
    let mut ch = Changes::new();
    ch.note("chars", body.chars().count() as i64);
    log(tx, st, who, "work_summary.edit", id.0, s.unit, &ch).await
}

/// Takes a new snapshot of the figures and drops the edited text.
pub async fn refresh(
    st: &Store,
    cap: &Cap<perm::SummaryDraft>,
    who: &Who,
    id: SummaryId,
) -> Result<(), StoreError> {
    let s = get(&st.db, cap, id).await?;
    let snap = snapshot(st, cap, s.unit, s.year).await?;
    let json = serde_json::to_string(&snap).map_err(|e| StoreError::Other(e.to_string()))?;
    let mut tx = st.db.begin().await?;
    let version = rule_version(&mut tx, s.unit).await?;
    let mut u = Sql::new("UPDATE work_summary SET figures = ");
    u.bind(Arg::Text(json))
        .push(", rule_version = ")
        .bind(Arg::Text(version.clone()))
        .push(", body = NULL, edited_at = NULL, drafted_at = ")
        .bind(Arg::Ts(now()))
        .push(" WHERE id = ")
        .bind(Arg::I64(id.0));
    crate::scope::restrict(&mut u, "org_unit_id", cap.scope());
    if u.execute_tx(&mut tx).await? != 1 {
        return Err(StoreError::NotFound);
    }
    let mut ch = Changes::new();
    ch.note("figures", snap.values.len() as i64)
        .note("rule_version", version);
    log(tx, st, who, "work_summary.refresh", id.0, s.unit, &ch).await
}

fn demo<'a>(
    run: &'a crate::area::DemoRun<'a>,
    _summary: &'a mut crate::demo::DemoSummary,
) -> BoxFuture<'a, Result<(), StoreError>> {
    Box::pin(async move {
        use chrono::Datelike;
        use domain::auth::system_cap;
        use domain::ids::AccountId;
        let root: Vec<(i64,)> = crate::on_db!(&run.st.db, |p| sqlx::query_as(
            "SELECT id FROM org_unit WHERE parent_id IS NULL ORDER BY id LIMIT 1"
        )
        .fetch_all(p)
        .await)?;
        if let Some((root,)) = root.into_iter().next() {
            let cap = system_cap::<perm::SummaryDraft>(run.sys, AccountId(0));
            draft(
                run.st,
                &cap,
                &Who::system("demo"),
                OrgUnitId(root),
                run.opts.today.year(),
            )
            .await?;
        }
        Ok(())
    })
}
