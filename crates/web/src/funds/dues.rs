//! Dues member by member on the web (`/funds/dues?unit=…`): the school's union members with
//! whether each has a dues base (never its value in the list), the form to set one, the
//! audited full view of one base (`/funds/dues/members/{id}/reveal`), the payroll sheet's
//! upload with its preview and commit, the dues rolls of the year with their counts and
//! amounts, the roll's generation, and the audited roll member by member.
//!
//! Nothing here sorts or searches by a base; a base reaches a page only through a reveal,
//! which the store audits before it decrypts.

use super::{field, href, parse_date, parse_unit, parse_year, today};
use crate::chrome::{Chrome, Opt};
use crate::ctx::{Auth, Flash};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Form, Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use chrono::{Datelike, NaiveDate};
use domain::auth::{Permission, perm};
use domain::funds::*;
use domain::ids::{MemberId, OrgUnitId};
use domain::org::{Coded, MemberStatus};
use domain::{FieldError, FieldErrors};
use std::collections::HashMap;
use store::StoreError;
use store::funds::{dues, ledger, payroll, rules};

/// A member in the list of bases.
pub struct BaseView {
    pub member: i64,
    pub name: String,
    pub status: String,
    pub registered: bool,
    pub since: String,
    pub set_by: String,
    /// The value, only right after the audited reveal of this member.
    pub revealed: Option<String>,
}

/// A roll as shown.
pub struct RollView {
    pub levy: i64,
    pub month: String,
    pub payers: i64,
    pub joined: i64,
    pub leaving: i64,
    pub exempt: i64,
    pub missing: i64,
    pub due: String,
    pub kept: String,
    pub remitted: String,
    pub paid: String,
    pub arrears: String,
    pub version: i64,
}

/// A line of a revealed roll.
pub struct LineView {
    pub name: String,
    pub status: String,
    pub base: String,
    pub dues: String,
}

#[derive(Template)]
#[template(path = "funds/dues.html")]
struct DuesPage {
    p: Chrome,
    unit: i64,
    year: i32,
    rules_line: String,
    bases: Vec<BaseView>,
    registered: usize,
    rolls: Vec<RollView>,
    roll_lines: Option<(String, Vec<LineView>)>,
    can_enter: bool,
    members: Vec<Opt>,
    form: String,
    vals: HashMap<String, String>,
    errors: FieldErrors,
    month: String,
}

impl DuesPage {
    fn v(&self, form: &str, name: &str) -> String {
        if self.form == form {
            self.vals.get(name).cloned().unwrap_or_default()
        } else {
            String::new()
        }
    }

    fn err(&self, form: &str, name: &str) -> String {
        if self.form != form {
            return String::new();
        }
        self.errors
            .get(name)
            .map(|e| self.p.tr.fe(e))
            .unwrap_or_default()
    }
}

#[derive(Default)]
struct View {
    form: String,
    vals: HashMap<String, String>,
    errors: FieldErrors,
    revealed: Option<(MemberId, Option<i64>)>,
    roll: Option<(dues::RollSummary, Vec<dues::RollLine>)>,
}

fn dues_href(unit: OrgUnitId, year: i32) -> String {
    format!("/funds/dues?unit={}&year={year}", unit.0)
}

/// `/funds/dues?unit=…&year=…`: the school's bases (registered or not) and dues rolls.
pub async fn page(
    State(state): State<AppState>,
    a: Auth,
    Query(q): Query<super::YearQuery>,
) -> AppResult {
    a.actor.authorize::<perm::FundsView>()?;
    match parse_unit(&q.unit) {
        Some(unit) => render(&state, &a, unit, parse_year(&q.year), View::default()).await,
        // Without a school: the overview, where each school is chosen.
        None => Ok(axum::response::Redirect::to("/funds").into_response()),
    }
}

async fn render(state: &AppState, a: &Auth, unit: OrgUnitId, year: i32, view: View) -> AppResult {
    let cap = a.actor.authorize::<perm::FundsView>()?;
    let db = &state.store.db;
    let tr = a.tr;
    let name = match ledger::school_name(db, &cap, unit).await {
        Ok(n) => n,
        Err(StoreError::NotFound) => return Err(AppError::NotFound),
        Err(e) => return Err(e.into()),
    };
    let (version, r) = rules::effective(&state.store, &cap, unit).await?;
    let pct = |x: domain::rules::Ratio| {
        let hundredths =
            (u64::from(x.num) * 10_000 + u64::from(x.den) / 2) / u64::from(x.den.max(1));
        format!("{}.{:02}%", hundredths / 100, hundredths % 100)
    };
    let rules_line = tr.ta(
        "funds-dues-rules-line",
        &[
            ("rate", pct(r.dues_rate)),
            ("step", yuan(r.dues_base_step_fen)),
            (
                "retirees",
                tr.t(if r.retirees_pay {
                    "funds-retirees-pay"
                } else {
                    "funds-retirees-exempt"
                }),
            ),
            (
                "version",
                version.map(|v| v.to_string()).unwrap_or_else(|| "1".into()),
            ),
        ],
    );
    let rows = dues::bases(db, &cap, unit).await?;
    let registered = rows.iter().filter(|b| b.registered).count();
    let chosen = view.vals.get("member").cloned().unwrap_or_default();
    let members = rows
        .iter()
        .map(|b| Opt::new(b.member.0, &b.name, b.member.0.to_string() == chosen))
        .collect();
    let bases = rows
        .into_iter()
        .map(|b| BaseView {
            member: b.member.0,
            status: MemberStatus::from_code(&b.status)
                .map(|s| tr.label(s))
                .unwrap_or_default(),
            registered: b.registered,
            since: b
                .since
                .map(|d| d.format("%Y-%m").to_string())
                .unwrap_or_default(),
            set_by: b.set_by.unwrap_or_default(),
            revealed: match view.revealed {
                Some((m, v)) if m == b.member => Some(v.map(yuan).unwrap_or_default()),
                _ => None,
            },
            name: b.name,
        })
        .collect();
    let rolls = dues::rolls(db, &cap, unit, year)
        .await?
        .into_iter()
        .map(|s| RollView {
            levy: s.levy.0,
            month: s.month.format("%Y-%m").to_string(),
            payers: s.payers,
            joined: s.joined,
            leaving: s.leaving,
            exempt: s.exempt,
            missing: s.missing_base,
            due: yuan(s.due_fen),
            kept: yuan(s.kept_fen),
            remitted: yuan(s.remitted_fen),
            paid: yuan(s.paid_fen),
            arrears: yuan(s.due_fen - s.paid_fen),
            version: s.rule_set_version,
        })
        .collect();
    let roll_lines = view.roll.map(|(s, lines)| {
        (
            s.month.format("%Y-%m").to_string(),
            lines
                .into_iter()
                .map(|l| LineView {
                    name: l.name,
                    status: tr.label(l.status),
                    base: l.base_fen.map(yuan).unwrap_or_default(),
                    dues: yuan(l.dues_fen),
                })
                .collect(),
        )
    });
    let status = if view.errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let p = Chrome::new(a, "funds-dues-title")
        .title_text(format!("{name} · {year} · {}", tr.t("funds-dues")))
        .crumb(tr.t("nav-funds"), Some(href(unit, year)));
    let mut resp = a.render(&DuesPage {
        p,
        unit: unit.0,
        year,
        rules_line,
        bases,
        registered,
        rolls,
        roll_lines,
        can_enter: a.actor.may(Permission::FundsEnter),
        members,
        form: view.form,
        vals: view.vals,
        errors: view.errors,
        month: today().format("%Y-%m").to_string(),
    })?;
    *resp.status_mut() = status;
    Ok(resp)
}

async fn back(
    state: &AppState,
    a: &Auth,
    unit: OrgUnitId,
    year: i32,
    form: &str,
    vals: HashMap<String, String>,
    e: StoreError,
) -> AppResult {
    match e {
        StoreError::Invalid(errors) => {
            render(
                state,
                a,
                unit,
                year,
                View {
                    form: form.into(),
                    vals,
                    errors,
                    ..View::default()
                },
            )
            .await
        }
        StoreError::NotFound => Err(AppError::NotFound),
        other => Err(other.into()),
    }
}

/// Sets a member's dues base (the finance officer or chair).
pub async fn set_base(
    State(state): State<AppState>,
    a: Auth,
    Form(vals): Form<HashMap<String, String>>,
) -> AppResult {
    let cap = a.actor.authorize::<perm::FundsEnter>()?;
    let Some(unit) = parse_unit(&field(&vals, "unit")) else {
        return Err(AppError::NotFound);
    };
    let year = today().year();
    let mut errors = FieldErrors::default();
    let member = field(&vals, "member")
        .trim()
        .parse::<i64>()
        .ok()
        .map(MemberId);
    if member.is_none() {
        errors.push(FieldError::new("member", text::MEMBER_REQUIRED));
    }
    let base = errors.take(parse_fen("base", &field(&vals, "base"), true));
    let since = errors.take(parse_date("since", &field(&vals, "since")));
    let r = match (member, base, since) {
        (Some(m), Some(b), Some(s)) if errors.is_empty() => {
            dues::set_base(&state.store, &cap, &a.who(), m, b, s).await
        }
        _ => Err(StoreError::Invalid(errors)),
    };
    match r {
        Ok(school) => Ok(a.redirect(&dues_href(school, year), Flash::ok("funds-base-saved"))),
        Err(e) => back(&state, &a, unit, year, "base", vals, e).await,
    }
}

/// The full view of one member's base: audited by the store before it decrypts.
pub async fn reveal_base(State(state): State<AppState>, a: Auth, Path(id): Path<i64>) -> AppResult {
    let cap = a.actor.authorize::<perm::FundsEnter>()?;
    let member = MemberId(id);
    let (school, _, base) = dues::reveal_base(&state.store, &cap, &a.who(), member).await?;
    render(
        &state,
        &a,
        school,
        today().year(),
        View {
            revealed: Some((member, base.map(|b| b.0))),
            ..View::default()
        },
    )
    .await
}

/// Generates the month's dues roll and its levy.
pub async fn generate(
    State(state): State<AppState>,
    a: Auth,
    Form(vals): Form<HashMap<String, String>>,
) -> AppResult {
    let cap = a.actor.authorize::<perm::FundsEnter>()?;
    let Some(unit) = parse_unit(&field(&vals, "unit")) else {
        return Err(AppError::NotFound);
    };
    let mut errors = FieldErrors::default();
    let month = errors.take(parse_date("month", &field(&vals, "month")));
    let paid_text = field(&vals, "paid");
    let paid = if paid_text.trim().is_empty() {
        Some(None)
    } else {
        errors.take(parse_fen("paid", &paid_text, false)).map(Some)
    };
    let year = month.map(|m| m.year()).unwrap_or_else(|| today().year());
    let r = match (month, paid) {
        (Some(m), Some(p)) if errors.is_empty() => {
            dues::generate_roll(&state.store, &cap, &a.who(), unit, m, p).await
        }
        _ => Err(StoreError::Invalid(errors)),
    };
    match r {
        Ok(s) => Ok(a.redirect(
            &dues_href(unit, year),
            Flash::ok("funds-roll-generated")
                .arg("payers", s.payers)
                .arg("due", yuan(s.due_fen)),
        )),
        Err(e) => back(&state, &a, unit, year, "roll", vals, e).await,
    }
}

/// A roll member by member: audited by the store before it decrypts.
pub async fn reveal_roll(State(state): State<AppState>, a: Auth, Path(id): Path<i64>) -> AppResult {
    let cap = a.actor.authorize::<perm::FundsEnter>()?;
    let (school, summary, lines) =
        dues::reveal_roll(&state.store, &cap, &a.who(), LevyId(id)).await?;
    render(
        &state,
        &a,
        school,
        summary.month.year(),
        View {
            roll: Some((summary, lines)),
            ..View::default()
        },
    )
    .await
}

/// A problem of the payroll sheet as shown.
pub struct ProblemView {
    pub row: u32,
    pub column: String,
    pub message: String,
}

/// A matched row as shown.
pub struct MatchView {
    pub row: u32,
    pub name: String,
    pub school: String,
    pub id: String,
}

#[derive(Template)]
#[template(path = "funds/payroll.html")]
struct PayrollPage {
    p: Chrome,
    unit: i64,
    batch: i64,
    file_name: String,
    rows: u64,
    matched: Vec<MatchView>,
    problems: Vec<ProblemView>,
    total: String,
    month: String,
}

/// The payroll sheet's upload: read, checked, matched, staged; shows the preview (nothing
/// is written to the bases until the commit).
pub async fn upload(State(state): State<AppState>, a: Auth, mut mp: Multipart) -> AppResult {
    let cap = a.actor.authorize::<perm::FundsEnter>()?;
    let mut unit = String::new();
    let mut file: Option<(String, Vec<u8>)> = None;
    let too_large = || AppError::BadRequest;
    while let Some(f) = mp.next_field().await.map_err(|_| too_large())? {
        match f.name() {
            Some("unit") => unit = f.text().await.unwrap_or_default(),
            Some("file") => {
                let name = f.file_name().unwrap_or("payroll").to_string();
                let b = f.bytes().await.map_err(|_| too_large())?;
                file = Some((name, b.to_vec()));
            }
            _ => {}
        }
    }
    let Some(target) = parse_unit(&unit) else {
        return Err(AppError::NotFound);
    };
    let year = today().year();
    let Some((name, bytes)) = file.filter(|(_, b)| !b.is_empty()) else {
        let e = StoreError::Invalid(FieldErrors(vec![FieldError::new(
            "file",
            text::PAYROLL_EMPTY,
        )]));
        return back(&state, &a, target, year, "payroll", HashMap::new(), e).await;
    };
    let pv = match payroll::preview(&state.store, &cap, &a.who(), target, &name, bytes).await {
        Ok(pv) => pv,
        Err(e) => return back(&state, &a, target, year, "payroll", HashMap::new(), e).await,
    };
    let tr = a.tr;
    let col = |c: &Option<String>| c.clone().unwrap_or_default();
    let p = Chrome::new(&a, "funds-payroll-title")
        .crumb(tr.t("funds-dues"), Some(dues_href(target, year)));
    a.render(&PayrollPage {
        p,
        unit: target.0,
        batch: pv.batch.0,
        file_name: pv.file_name,
        rows: pv.rows,
        problems: pv
            .problems
            .iter()
            .map(|x| ProblemView {
                row: x.row,
                column: col(&x.column),
                message: tr.fe(&x.error),
            })
            .collect(),
        matched: pv
            .matched
            .into_iter()
            .map(|m| MatchView {
                row: m.row,
                name: m.name,
                school: m.school,
                id: m.id_masked,
            })
            .collect(),
        total: yuan(pv.base_total_fen),
        month: today().format("%Y-%m").to_string(),
    })
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct ApplyForm {
    month: String,
}

/// Commits a previewed payroll sheet (the same account's batch only).
pub async fn apply(
    State(state): State<AppState>,
    a: Auth,
    Path(id): Path<i64>,
    Form(f): Form<ApplyForm>,
) -> AppResult {
    let cap = a.actor.authorize::<perm::FundsEnter>()?;
    let month: NaiveDate = parse_date("month", &f.month).unwrap_or_else(|_| today());
    let (unit, n) = payroll::apply(&state.store, &cap, &a.who(), PayrollBatchId(id), month).await?;
    let year = today().year();
    let to = if ledger::school_name(
        &state.store.db,
        &a.actor.authorize::<perm::FundsView>()?,
        unit,
    )
    .await
    .is_ok()
    {
        dues_href(unit, year)
    } else {
        "/funds".to_string()
    };
    Ok(a.redirect(&to, Flash::ok("funds-payroll-applied").arg("count", n)))
}
