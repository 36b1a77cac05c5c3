//! The year's work plan in the database: a unit's tasks of a year (text, owner, deadline,
//! optionally an indicator — a declared year figure with a target), their progress read
//! from the areas' own year figures, and the due items of tasks near their deadline.
//!
//! Every read takes a capability (or a [`Reach`] made from one) and filters by its scope in
//! SQL; out of scope looks like missing. A task names only declared figures (checked on
//! input). Every change is audited in its transaction.

use crate::area::{Area, CodedColumn, Reach};
use crate::audit::{Event, Who};
use crate::correspondent::unit_in_scope;
use crate::db::{Arg, Sql, Tx, now};
use crate::{Db, Store, StoreError, on_tx};
use chrono::NaiveDate;
use domain::FieldError;
use domain::area::{Concerns, DueItem};
use domain::audit::Changes;
use domain::auth::{Cap, Role, perm};
use domain::ids::OrgUnitId;
use domain::org::Coded;
use domain::work_plan::*;
use futures::FutureExt;
use futures::future::BoxFuture;
use std::collections::BTreeMap;

/// Days before a task's deadline that it appears among the due items.
pub const NOTICE_DAYS: i64 = 14;

/// The work plan.
pub static AREA: Area = Area {
    coded: &[CodedColumn::of::<TaskStatus>("work_plan_task.status")],
    demo: Some(demo),
    due_items: Some(due_items_boxed),
    ..Area::new("work_plan")
};

fn due_items_boxed<'a>(
    st: &'a Store,
    reach: &'a Reach,
    today: NaiveDate,
) -> BoxFuture<'a, Result<Vec<DueItem>, StoreError>> {
    due_items(st, reach, today).boxed()
}

/// Whether a figure key is declared by some area.
pub fn figure_exists(key: &str) -> bool {
    crate::area::figure(key).is_some()
}

/// Open tasks in reach whose deadline is within [`NOTICE_DAYS`] or past (one query). The
/// unit's chair and the union's staff are concerned.
pub async fn due_items(
    st: &Store,
    reach: &Reach,
    today: NaiveDate,
) -> Result<Vec<DueItem>, StoreError> {
    let until = today + chrono::Duration::days(NOTICE_DAYS);
    let mut q = Sql::new(
        "SELECT t.id, t.org_unit_id, t.text, t.deadline, t.plan_year FROM work_plan_task t WHERE t.status = 'open' AND t.deadline <= ",
    );
    q.bind(Arg::Date(until));
    crate::scope::restrict(&mut q, "t.org_unit_id", reach.scope());
    q.push(" ORDER BY t.deadline, t.id");
    let rows: Vec<(i64, i64, String, NaiveDate, i64)> = q.fetch_all(&st.db).await?;
    Ok(rows
        .into_iter()
        .map(|(id, unit, text, due, year)| DueItem {
            area: "work_plan".into(),
            kind: "due-work-plan-task".into(),
            key: format!("work-plan-task:{id}:{due}"),
            unit: OrgUnitId(unit),
            title: text.chars().take(40).collect(),
            due,
            concerns: vec![
                Concerns::Role {
                    role: Role::SchoolChair,
                    unit: OrgUnitId(unit),
                },
                Concerns::Role {
                    role: Role::UnionStaff,
                    unit: OrgUnitId(unit),
                },
            ],
            href: format!("/plans?unit={unit}&year={year}"),
        })
        .collect())
}

/// Adds a task to the plan of `unit` (in scope; otherwise not found).
pub async fn add_task(
    st: &Store,
    cap: &Cap<perm::WorkPlanManage>,
    who: &Who,
    unit: OrgUnitId,
    d: &TaskDraft,
) -> Result<TaskId, StoreError> {
    if let Some((k, _)) = &d.indicator
        && !figure_exists(k)
    {
        return Err(StoreError::Invalid(domain::FieldErrors(vec![
            FieldError::new("figure", text::FIGURE_UNKNOWN),
        ])));
    }
    let mut tx = st.db.begin().await?;
    unit_in_scope(&mut tx, cap.scope(), unit).await?;
    let ts = now();
    let id: i64 = on_tx!(&mut tx, |c| {
        sqlx::query_scalar(
            "INSERT INTO work_plan_task (org_unit_id, plan_year, text, owner, deadline, figure_key, target, status, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 'open', $8, $8) RETURNING id",
        )
        .bind(unit.0)
        .bind(i64::from(d.year))
        .bind(&d.text)
        .bind(&d.owner)
        .bind(d.deadline)
        .bind(d.indicator.as_ref().map(|i| i.0.clone()))
        .bind(d.indicator.as_ref().map(|i| i.1))
        .bind(ts)
        .fetch_one(&mut *c)
        .await
    })?;
    let mut ch = Changes::new();
    ch.note("year", i64::from(d.year))
        .note("text", d.text.as_str())
        .note("owner", d.owner.as_str())
        .note("deadline", d.deadline.to_string());
    if let Some((k, v)) = &d.indicator {
        ch.note("figure", k.as_str()).note("target", *v);
    }
    log(tx, st, who, "work_plan_task.add", id, unit, &ch).await?;
    Ok(TaskId(id))
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
            entity_type: "work_plan_task",
            entity_id: Some(id),
            org_unit: Some(unit),
            changes: ch,
        },
    )
    .await
}

/// Marks an open task done, or a done task open again; returns the task as it now is.
pub async fn toggle(
    st: &Store,
    cap: &Cap<perm::WorkPlanManage>,
    who: &Who,
    id: TaskId,
) -> Result<TaskRow, StoreError> {
    let mut tx = st.db.begin().await?;
    let mut q = Sql::new(TASK_SELECT);
    q.push(" AND t.id = ").bind(Arg::I64(id.0));
    crate::scope::restrict(&mut q, "t.org_unit_id", cap.scope());
    let mut row = task_of(q.fetch_one_tx(&mut tx).await?)?;
    let status = match row.status {
        TaskStatus::Open => TaskStatus::Done,
        TaskStatus::Done => TaskStatus::Open,
    };
    let mut u = Sql::new("UPDATE work_plan_task SET status = ");
    u.bind(Arg::Text(status.code().into()))
        .push(", updated_at = ")
        .bind(Arg::Ts(now()))
        .push(" WHERE id = ")
        .bind(Arg::I64(id.0));
    u.execute_tx(&mut tx).await?;
    let mut ch = Changes::new();
    ch.field("status", Some(&row.status.code()), Some(&status.code()));
    log(tx, st, who, "work_plan_task.status", id.0, row.unit, &ch).await?;
    row.status = status;
    Ok(row)
}

/// A task of the plan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskRow {
    pub id: TaskId,
    pub unit: OrgUnitId,
    pub year: i32,
    pub text: String,
    pub owner: String,
    pub deadline: NaiveDate,
    pub figure: Option<String>,
    pub target: Option<i64>,
    pub status: TaskStatus,
}

type TaskTuple = (
    i64,
    i64,
    i64,
    String,
    String,
    NaiveDate,
    Option<String>,
    Option<i64>,
    String,
);

const TASK_SELECT: &str = "SELECT t.id, t.org_unit_id, t.plan_year, t.text, t.owner, t.deadline, t.figure_key, t.target, t.status FROM work_plan_task t WHERE 1 = 1";

fn task_of(r: TaskTuple) -> Result<TaskRow, StoreError> {
    Ok(TaskRow {
        id: TaskId(r.0),
        unit: OrgUnitId(r.1),
        year: r.2 as i32,
        text: r.3,
        owner: r.4,
        deadline: r.5,
        figure: r.6,
        target: r.7,
        status: TaskStatus::from_code(&r.8)
            .ok_or_else(|| StoreError::Other(format!("task status {}", r.8)))?,
    })
}

/// The tasks of `unit`'s plan for `year`, by deadline (one query). Any capability whose
/// scope covers the unit reads them (the plan page, the year summary).
pub async fn tasks<P: perm::Perm>(
    db: &Db,
    cap: &Cap<P>,
    unit: OrgUnitId,
    year: i32,
) -> Result<Vec<TaskRow>, StoreError> {
    let mut q = Sql::new(TASK_SELECT);
    q.push(" AND t.org_unit_id = ")
        .bind(Arg::I64(unit.0))
        .push(" AND t.plan_year = ")
        .bind(Arg::I64(i64::from(year)));
    crate::scope::restrict(&mut q, "t.org_unit_id", cap.scope());
    q.push(" ORDER BY t.deadline, t.id LIMIT 500");
    let rows: Vec<TaskTuple> = q.fetch_all(db).await?;
    rows.into_iter().map(task_of).collect()
}

/// The year figures of `unit` (its schools' values added up; a ratio only when the unit
/// is one school), read through every area's declaration within the reach, and the number
/// of schools that had a value. The reach must cover the unit (callers check).
pub async fn unit_figures(
    st: &Store,
    reach: &Reach,
    unit: OrgUnitId,
    year: i32,
) -> Result<(BTreeMap<String, i64>, i64), StoreError> {
    let under: Vec<(i64,)> = crate::on_db!(&st.db, |p| sqlx::query_as(
        "SELECT descendant_id FROM org_closure WHERE ancestor_id = $1"
    )
    .bind(unit.0)
    .fetch_all(p)
    .await)?;
    let under: std::collections::HashSet<i64> = under.into_iter().map(|r| r.0).collect();
    let values: Vec<_> = crate::area::year_figures(st, reach, year)
        .await?
        .into_iter()
        .filter(|v| under.contains(&v.unit.0))
        .collect();
    let mut totals = crate::area::totals(&values);
    let schools = crate::area::units(&values);
    for v in &values {
        let ratio =
            crate::area::figure(&v.key).is_some_and(|f| f.sum == domain::area::Summation::None);
        if ratio && values.iter().filter(|w| w.key == v.key).count() == 1 {
            totals.insert(v.key.clone(), v.value);
        }
    }
    Ok((totals, schools.len() as i64))
}

fn demo<'a>(
    run: &'a crate::area::DemoRun<'a>,
    _summary: &'a mut crate::demo::DemoSummary,
) -> BoxFuture<'a, Result<(), StoreError>> {
    Box::pin(async move { load_demo(run).await })
}

/// The demo district's plan for the year (seed 001's 工作要点): tasks tied to the areas'
/// figures, one due within the notice days, and two without an indicator.
async fn load_demo(run: &crate::area::DemoRun<'_>) -> Result<(), StoreError> {
    use chrono::Datelike;
    use domain::auth::system_cap;
    use domain::ids::AccountId;
    let st = run.st;
    let today = run.opts.today;
    let year = today.year();
    let root: Vec<(i64,)> = crate::on_db!(&st.db, |p| sqlx::query_as(
        "SELECT id FROM org_unit WHERE parent_id IS NULL ORDER BY id LIMIT 1"
    )
    .fetch_all(p)
    .await)?;
    let Some((root,)) = root.into_iter().next() else {
        return Ok(());
    };
    let schools: i64 = crate::on_db!(&st.db, |p| sqlx::query_scalar(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM org_unit WHERE kind = 'school_union'"
    )
    .fetch_one(p)
    .await)?;
    let cap = system_cap::<perm::WorkPlanManage>(run.sys, AccountId(0));
    let who = Who::system("demo");
    let date = |m: u32, d: u32| NaiveDate::from_ymd_opt(year, m, d).unwrap_or(today);
    let soon = (today + chrono::Duration::days(7)).min(date(12, 31));
    let tasks: Vec<(&str, &str, NaiveDate, Option<(&str, i64)>)> = vec![
        (
            "各校按期召开教代会，审议学校工作报告",
            "民主管理部",
            date(12, 31),
            Some(("figure-congress-meetings-held", schools)),
        ),
        (
            "建立健全困难教职工档案，做到应建尽建",
            "权益保障部",
            date(6, 30),
            Some(("figure-assistance-files-opened", 50)),
        ),
        (
            "做好困难教职工帮扶救助",
            "权益保障部",
            date(12, 31),
            Some(("figure-assistance-grants", 10)),
        ),
        (
            "加强通讯员队伍建设，全年发布工会信息",
            "办公室",
            soon,
            Some(("figure-correspondent-items-published", 40)),
        ),
        (
            "教代会提案按期答复",
            "民主管理部",
            date(12, 31),
            Some(("figure-proposals-answered", 20)),
        ),
        ("开展“教工之家”创建复评", "组织部", date(11, 30), None),
        ("举办青年教师课件制作比赛", "宣教部", date(10, 31), None),
    ];
    for (text, owner, deadline, indicator) in tasks {
        let d = TaskDraft {
            year,
            text: text.into(),
            owner: owner.into(),
            deadline,
            indicator: indicator.map(|(k, v)| (k.to_string(), v)),
        };
        add_task(st, &cap, &who, OrgUnitId(root), &d).await?;
    }
    Ok(())
}
