//! The year's work plan on the web: one page per unit and year with every task's owner,
//! deadline and live progress (the indicator's figure read now from the areas' own
//! records, against its target, linked to the list it counts), the form that adds a task,
//! and marking a task done.
//!
//! Handlers are thin; the store checks the scope (out of scope is 404) and that an
//! indicator is a declared figure.

use crate::area::{Area, NavEntry};
use crate::chrome::{Chrome, Opt};
use crate::congress::{into_fields, refused};
use crate::ctx::{Auth, Flash};
use crate::error::AppResult;
use crate::state::AppState;
use crate::{Guard, Permission as P, RouteTable};
use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use chrono::Datelike;
use domain::FieldErrors;
use domain::auth::{Permission, perm};
use domain::ids::OrgUnitId;
use domain::org::OrgKind;
use domain::work_plan::*;
use serde::Deserialize;
use store::area::Reach;
use store::work_plan as plan;

fn routes(t: RouteTable) -> RouteTable {
    t.get("/plans", Guard::staff(P::WorkPlanView), page)
        .post(
            "/plans/tasks",
            Guard::staff(P::WorkPlanManage).form(&[
                ("unit", "{school}"),
                ("text", "每学年召开教代会"),
                ("owner", "民主管理部"),
                ("deadline", "{today}"),
                ("figure", "figure-congress-meetings-held"),
                ("target", "1"),
            ]),
            add,
        )
        .post(
            "/plans/tasks/{id}/done",
            Guard::staff(P::WorkPlanManage).button(),
            done,
        )
}

/// The work plan area.
pub static AREA: Area = Area {
    name: "work_plan",
    routes: |t, _| routes(t),
    nav: &[NavEntry {
        href: "/plans",
        label_key: "nav-plans",
        permission: Some(Permission::WorkPlanView),
        rank: 92,
    }],
    documents: &[],
};

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PlanQuery {
    unit: String,
    year: String,
}

/// A task with its progress.
pub struct TaskView {
    pub id: i64,
    pub text: String,
    pub owner: String,
    pub deadline: String,
    pub overdue: bool,
    pub done: bool,
    pub figure: String,
    pub href: String,
    pub value: String,
    pub target: String,
    /// `met`, `not-met` or empty.
    pub outcome: &'static str,
    pub outcome_label: String,
    /// Progress toward the target, 0–100.
    pub percent: i64,
}

#[derive(Template)]
#[template(path = "work_plan/plan.html")]
struct PlanPage {
    p: Chrome,
    units: Vec<Opt>,
    unit: i64,
    year: i32,
    tasks: Vec<TaskView>,
    can_manage: bool,
    figures: Vec<Opt>,
    form: TaskInput,
    errors: FieldErrors,
    error_texts: Vec<(String, String)>,
    /// "3 of 5 tasks with an indicator met".
    progress: String,
}

/// A figure's value as the plan and the summary show it.
pub fn show_value(tr: &crate::i18n::Tr, key: &str, v: i64) -> String {
    match store::area::figure(key).map(|f| f.kind) {
        Some(domain::area::FigureKind::Fen) => match tr.lang {
            crate::i18n::Lang::Zh => domain::work_summary::zh_money(v),
            crate::i18n::Lang::En => domain::work_summary::en_money(v),
        },
        Some(domain::area::FigureKind::Permille) => domain::work_summary::percent(v),
        _ => tr.number(v),
    }
}

/// The task rows of a plan with their outcome against `values`.
pub fn task_views(
    tr: &crate::i18n::Tr,
    tasks: &[plan::TaskRow],
    values: &std::collections::BTreeMap<String, i64>,
    unit: OrgUnitId,
    today: chrono::NaiveDate,
) -> Vec<TaskView> {
    tasks
        .iter()
        .map(|t| {
            let ind = t.figure.as_deref().zip(t.target);
            let value = t
                .figure
                .as_ref()
                .map(|k| values.get(k).copied().unwrap_or(0))
                .unwrap_or(0);
            let o = outcome(ind, value);
            let (code, label) = match o {
                Outcome::Met => ("met", tr.t("plan-met")),
                Outcome::NotMet => ("not-met", tr.t("plan-not-met")),
                Outcome::NoIndicator => ("", String::new()),
            };
            TaskView {
                id: t.id.0,
                text: t.text.clone(),
                owner: t.owner.clone(),
                deadline: tr.date(&t.deadline),
                overdue: t.status == TaskStatus::Open && t.deadline < today,
                done: t.status == TaskStatus::Done,
                figure: t.figure.as_ref().map(|k| tr.t(k)).unwrap_or_default(),
                href: t
                    .figure
                    .as_ref()
                    .and_then(|k| store::area::figure(k))
                    .map(|f| f.href(unit, t.year))
                    .unwrap_or_default(),
                value: t
                    .figure
                    .as_ref()
                    .map(|k| show_value(tr, k, value))
                    .unwrap_or_default(),
                target: match (&t.figure, t.target) {
                    (Some(k), Some(v)) => show_value(tr, k, v),
                    _ => String::new(),
                },
                outcome: code,
                outcome_label: label,
                percent: match t.target {
                    Some(tg) if tg > 0 => (value * 100 / tg).clamp(0, 100),
                    Some(_) => 100,
                    None => 0,
                },
            }
        })
        .collect()
}

/// The units an actor may pick (unions, areas, schools in the scope of `P`).
pub async fn unit_options<Q: perm::Perm>(
    state: &AppState,
    cap: &domain::auth::Cap<Q>,
    current: i64,
) -> Result<Vec<Opt>, store::StoreError> {
    Ok(store::org::units::list_units(&state.store.db, cap)
        .await?
        .into_iter()
        .filter(|u| u.kind != OrgKind::Branch)
        .map(|u| Opt::new(u.id.0, u.name, u.id.0 == current))
        .collect())
}

async fn render(
    state: &AppState,
    a: &Auth,
    unit: Option<i64>,
    year: Option<i32>,
    form: TaskInput,
    errors: FieldErrors,
) -> AppResult {
    let cap = a.actor.authorize::<perm::WorkPlanView>()?;
    let roots = a.actor.roots_for(Permission::WorkPlanView);
    let default_unit = roots.first().map(|u| u.0).unwrap_or(0);
    let unit = OrgUnitId(unit.unwrap_or(default_unit));
    let year = year.unwrap_or_else(|| crate::today().year());
    let db = &state.store.db;
    let units = unit_options(state, &cap, unit.0).await?;
    if !units.iter().any(|o| o.selected) && !a.actor.is_platform_admin() {
        return Err(crate::error::AppError::NotFound);
    }
    let tasks = plan::tasks(db, &cap, unit, year).await?;
    let (values, _) = plan::unit_figures(&state.store, &Reach::of(&cap), unit, year).await?;
    let tr = a.tr;
    let views = task_views(&tr, &tasks, &values, unit, crate::today());
    let figures = std::iter::once(Opt::new(
        "",
        tr.t("plan-no-indicator"),
        form.figure.is_empty(),
    ))
    .chain(
        store::area::declared_figures().map(|f| Opt::new(f.key, tr.t(f.key), form.figure == f.key)),
    )
    .collect();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let mut r = a.render(&PlanPage {
        p: Chrome::new(a, "plan-title"),
        units,
        unit: unit.0,
        year,
        progress: tr.ta(
            "plan-progress",
            &[
                (
                    "met",
                    views
                        .iter()
                        .filter(|v| v.outcome == "met")
                        .count()
                        .to_string(),
                ),
                (
                    "total",
                    views
                        .iter()
                        .filter(|v| !v.outcome.is_empty())
                        .count()
                        .to_string(),
                ),
                ("tasks", views.len().to_string()),
            ],
        ),
        tasks: views,
        can_manage: a.actor.may(Permission::WorkPlanManage),
        figures,
        form,
        error_texts: errors
            .0
            .iter()
            .map(|e| (e.field.to_string(), tr.fe(e)))
            .collect(),
        errors,
    })?;
    *r.status_mut() = status;
    Ok(r)
}

/// The plan of a unit for a year with every task's live progress.
pub async fn page(State(state): State<AppState>, a: Auth, Query(q): Query<PlanQuery>) -> AppResult {
    let unit = q.unit.trim().parse::<i64>().ok();
    let year = parse_year("year", &q.year).ok();
    let form = TaskInput {
        year: year.unwrap_or_else(|| crate::today().year()).to_string(),
        ..TaskInput::default()
    };
    render(&state, &a, unit, year, form, FieldErrors::default()).await
}

/// Adds a task; errors come back at their fields with everything typed kept.
pub async fn add(State(state): State<AppState>, a: Auth, Form(f): Form<TaskInput>) -> AppResult {
    let cap = a.actor.authorize::<perm::WorkPlanManage>()?;
    let unit = f.unit.trim().parse::<i64>().ok();
    let year = parse_year("year", &f.year).ok();
    let mut errors = FieldErrors::default();
    match (unit, f.parse(plan::figure_exists)) {
        (Some(u), Ok(d)) => {
            match plan::add_task(&state.store, &cap, &a.who(), OrgUnitId(u), &d).await {
                Ok(_) => {
                    return Ok(a.redirect(
                        &format!("/plans?unit={u}&year={}", d.year),
                        Flash::ok("plan-task-added"),
                    ));
                }
                Err(e) => into_fields(e, &mut errors)?,
            }
        }
        (None, _) => return Err(crate::error::AppError::NotFound),
        (_, Err(e)) => errors = e,
    }
    render(&state, &a, unit, year, f, errors).await
}

/// Marks a task done (or open again).
pub async fn done(State(state): State<AppState>, a: Auth, Path(id): Path<i64>) -> AppResult {
    let cap = a.actor.authorize::<perm::WorkPlanManage>()?;
    match plan::toggle(&state.store, &cap, &a.who(), TaskId(id)).await {
        Ok(row) => Ok(a.redirect(
            &format!("/plans?unit={}&year={}", row.unit.0, row.year),
            Flash::ok("plan-task-updated"),
        )),
        Err(e) => refused(&a, "/plans", e),
    }
}
