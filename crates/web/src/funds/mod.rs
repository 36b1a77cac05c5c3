//! Funds (经费) on the web: the schools' money in the reader's scope (`/funds`), one
//! school's year (`/funds?unit=…`: budget lines with what is spent, the monthly levies of
//! dues and union funds, the ledger with running balances, and the forms of the finance
//! officer), approving another person's expense, the ledger as .xlsx, and the audit
//! committee's findings by area (`/funds/audit`) with the schools' rectifications.
//!
//! Handlers stay thin: parse, authorise, call the store, render. Nothing here is
//! reachable without a funds permission over the school; out of scope is 404. A refused
//! form comes back with the reader's input and the message at its field.

use crate::area::{Area, Document, DocumentKind, NavEntry};
use crate::chrome::{Chrome, Opt, coded_options};
use crate::congress::refused;
use crate::ctx::{Auth, Flash};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::{Guard, Permission as P, RouteTable};
use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use chrono::{Datelike, NaiveDate};
use domain::auth::{Permission, perm};
use domain::funds::*;
use domain::ids::OrgUnitId;
use domain::org::Coded;
use domain::{FieldError, FieldErrors};
use serde::Deserialize;
use std::collections::HashMap;
use store::StoreError;
use store::funds::{findings, ledger, rules};

pub mod books;
pub mod dues;
pub mod rules_page;

fn routes(t: RouteTable) -> RouteTable {
    t.get("/funds", Guard::staff(P::FundsView), page)
        .get(
            "/funds/ledger.xlsx",
            Guard::staff(P::FundsView),
            ledger_xlsx,
        )
        .post(
            "/funds/expenses",
            Guard::staff(P::FundsEnter).form(&[
                ("unit", "{school}"),
                ("category", "member_activities"),
                ("amount", "12.50"),
                ("on", "{today}"),
                ("note", "教职工篮球赛饮用水"),
            ]),
            add_expense,
        )
        .post(
            "/funds/incomes",
            Guard::staff(P::FundsEnter).form(&[
                ("unit", "{school}"),
                ("source", "subsidy"),
                ("amount", "500"),
                ("on", "{today}"),
                ("note", "上级工会活动补助"),
            ]),
            add_income,
        )
        .post(
            "/funds/budget",
            Guard::staff(P::FundsEnter).form(&[
                ("unit", "{school}"),
                ("year", "2026"),
                ("category", "operations"),
                ("cap", "3000"),
            ]),
            set_budget,
        )
        .post(
            "/funds/levies",
            Guard::staff(P::FundsEnter).form(&[
                ("unit", "{school}"),
                ("kind", "dues"),
                ("month", "2026-10"),
                ("base", "100000"),
                ("paid", "0"),
            ]),
            add_levy,
        )
        .post(
            "/funds/entries/{id}/approve",
            Guard::staff(P::FundsApprove).button(),
            approve,
        )
        .get(
            "/funds/statement",
            Guard::staff(P::FundsView),
            books::statement,
        )
        .get(
            "/funds/statement.xlsx",
            Guard::staff(P::FundsView),
            books::statement_xlsx,
        )
        .post(
            "/funds/months/close",
            Guard::staff(P::FundsApprove).form(&[("unit", "{school}"), ("month", "2026-01")]),
            books::close_month,
        )
        .post(
            "/funds/entries/{id}/correct",
            Guard::staff(P::FundsEnter).form(&[("amount", "80"), ("note", "发票金额更正")]),
            books::correct,
        )
        .post(
            "/funds/entries/{id}/receipts",
            Guard::staff(P::FundsEnter)
                .upload(&[], ("file", "receipt.pdf", b"%PDF-1.4\n% receipt\n")),
            books::attach,
        )
        .get(
            "/funds/receipts/{id}",
            Guard::staff(P::FundsView),
            books::receipt,
        )
        .get("/funds/dues", Guard::staff(P::FundsView), dues::page)
        .post(
            "/funds/dues/bases",
            Guard::staff(P::FundsEnter).form(&[
                ("unit", "{school}"),
                ("member", "{dues_member}"),
                ("base", "6789.50"),
                ("since", "2026-09"),
            ]),
            dues::set_base,
        )
        .post(
            "/funds/dues/members/{id}/reveal",
            Guard::staff(P::FundsEnter).button(),
            dues::reveal_base,
        )
        .post(
            "/funds/dues/rolls",
            Guard::staff(P::FundsEnter).form(&[
                ("unit", "{school}"),
                ("month", "2026-09"),
                ("paid", ""),
            ]),
            dues::generate,
        )
        .post(
            "/funds/dues/rolls/{id}/reveal",
            Guard::staff(P::FundsEnter).button(),
            dues::reveal_roll,
        )
        .post(
            "/funds/payroll",
            Guard::staff(P::FundsEnter).upload(
                &[("unit", "{school}")],
                (
                    "file",
                    "payroll.csv",
                    "姓名,基本工资\n甲校会费会员,6789.50\n".as_bytes(),
                ),
            ),
            dues::upload,
        )
        .post(
            "/funds/payroll/{id}/apply",
            Guard::named(P::FundsEnter).form(&[("month", "2026-09")]),
            dues::apply,
        )
        .get(
            "/funds/rules/{id}",
            Guard::staff(P::FundsView),
            rules_page::page,
        )
        .post(
            "/funds/rules/{id}",
            Guard::staff(P::RuleSetManage).form(&[
                ("dues_rate", "0.5%"),
                ("dues_base_step", "10"),
                ("dues_kept", "100%"),
                ("union_fund_rate", "2%"),
                ("union_fund_kept", "50%"),
                ("joiners_pay_first_month", "on"),
                ("note", "本校标准"),
            ]),
            rules_page::save,
        )
        .get("/funds/audit", Guard::staff(P::FundsView), audit_page)
        .post(
            "/funds/audit/findings",
            Guard::staff(P::FundsAudit).form(&[
                ("school", "{school}"),
                ("severity", "minor"),
                ("finding", "支出凭证缺少经办人签字"),
                ("deadline", "2099-12-31"),
            ]),
            add_finding,
        )
        .post(
            "/funds/findings/{id}/rectify",
            Guard::staff(P::FundsEnter).form(&[("rectification", "已补签并建立复核流程")]),
            rectify,
        )
}

/// The funds area.
pub static AREA: Area = Area {
    name: "funds",
    routes: |t, _| routes(t),
    nav: &[
        NavEntry {
            href: "/funds",
            label_key: "nav-funds",
            permission: Some(Permission::FundsView),
            rank: 78,
        },
        NavEntry {
            href: "/funds/audit",
            label_key: "nav-funds-audit",
            permission: Some(Permission::FundsView),
            rank: 79,
        },
    ],
    documents: &[
        Document {
            label_key: "doc-funds-ledger",
            path: "/funds/ledger.xlsx",
            kind: DocumentKind::Xlsx,
            method: crate::Method::Get,
        },
        Document {
            label_key: "doc-funds-statement",
            path: "/funds/statement",
            kind: DocumentKind::Print,
            method: crate::Method::Get,
        },
        Document {
            label_key: "doc-funds-statement-xlsx",
            path: "/funds/statement.xlsx",
            kind: DocumentKind::Xlsx,
            method: crate::Method::Get,
        },
    ],
};

fn today() -> NaiveDate {
    chrono::Utc::now().date_naive()
}

fn parse_year(s: &str) -> i32 {
    s.trim()
        .parse::<i32>()
        .ok()
        .filter(|y| (2000..=2100).contains(y))
        .unwrap_or_else(|| today().year())
}

fn parse_unit(s: &str) -> Option<OrgUnitId> {
    s.trim().parse::<i64>().ok().map(OrgUnitId)
}

fn parse_date(field: &'static str, s: &str) -> Result<NaiveDate, FieldError> {
    let s = s.trim();
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(&format!("{s}-01"), "%Y-%m-%d"))
        .map_err(|_| FieldError::new(field, t_month()))
}

fn t_month() -> &'static str {
    domain::funds::text::MONTH_INVALID
}

fn href(unit: OrgUnitId, year: i32) -> String {
    format!("/funds?unit={}&year={year}", unit.0)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct YearQuery {
    unit: String,
    year: String,
}

/// A school in the overview.
pub struct SchoolView {
    pub href: String,
    pub name: String,
    pub income: String,
    pub expense: String,
    pub balance: String,
    pub pending: i64,
}

#[derive(Template)]
#[template(path = "funds/overview.html")]
struct OverviewPage {
    p: Chrome,
    year: i32,
    schools: Vec<SchoolView>,
}

/// A budget line as shown.
pub struct BudgetView {
    pub category: String,
    pub cap: String,
    pub spent: String,
    pub left: String,
    pub over: bool,
}

/// A levy as shown.
pub struct LevyView {
    pub month: String,
    pub kind: String,
    pub base: String,
    pub payers: i64,
    pub due: String,
    pub kept: String,
    pub remitted: String,
    pub paid: String,
    pub arrears: String,
    pub in_arrears: bool,
    pub version: i64,
}

/// A ledger line as shown.
pub struct LineView {
    pub id: i64,
    pub on: String,
    pub kind: String,
    pub kind_code: &'static str,
    pub what: String,
    pub note: String,
    pub amount: String,
    pub status: String,
    pub status_code: &'static str,
    pub entered_by: String,
    pub approved_by: String,
    pub version: i64,
    pub balance: String,
    pub can_approve: bool,
    /// An approved original entry may be corrected by a new one.
    pub can_correct: bool,
    pub is_expense: bool,
    /// The entry this one corrects.
    pub corrects: Option<i64>,
    /// The receipts on it: (id, file name).
    pub receipts: Vec<(i64, String)>,
}

#[derive(Template)]
#[template(path = "funds/school.html")]
struct SchoolPage {
    p: Chrome,
    unit: i64,
    year: i32,
    rules_line: String,
    budget: Vec<BudgetView>,
    levies: Vec<LevyView>,
    lines: Vec<LineView>,
    balance: String,
    can_enter: bool,
    categories: Vec<Opt>,
    sources: Vec<Opt>,
    kinds: Vec<Opt>,
    /// The form that was refused (`expense`, `income`, `budget`, `levy`), its input and
    /// its errors.
    form: String,
    vals: HashMap<String, String>,
    errors: FieldErrors,
    today: String,
    closed: Vec<String>,
    can_close: bool,
}

impl SchoolPage {
    /// The value of a field of `form` as typed (empty for any other form).
    fn v(&self, form: &str, name: &str) -> String {
        if self.form == form {
            self.vals.get(name).cloned().unwrap_or_default()
        } else {
            String::new()
        }
    }

    /// The message at a field of `form`, if that form was refused there.
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

/// `/funds`: the overview of the schools in scope, or one school's year with `unit`.
pub async fn page(State(state): State<AppState>, a: Auth, Query(q): Query<YearQuery>) -> AppResult {
    let year = parse_year(&q.year);
    match parse_unit(&q.unit) {
        Some(unit) => school_page(&state, &a, unit, year, Refused::default()).await,
        None => overview(&state, &a, year).await,
    }
}

async fn overview(state: &AppState, a: &Auth, year: i32) -> AppResult {
    let cap = a.actor.authorize::<perm::FundsView>()?;
    let rows = ledger::overview(&state.store.db, &cap, year).await?;
    let schools = rows
        .into_iter()
        .map(|s| SchoolView {
            href: href(s.school, year),
            name: s.name,
            income: yuan(s.income_fen),
            expense: yuan(s.expense_fen),
            balance: yuan(s.income_fen - s.expense_fen),
            pending: s.pending,
        })
        .collect();
    let p = Chrome::new(a, "funds-title");
    a.render(&OverviewPage { p, year, schools })
}

#[derive(Default)]
struct Refused {
    form: String,
    vals: HashMap<String, String>,
    errors: FieldErrors,
}

async fn school_page(
    state: &AppState,
    a: &Auth,
    unit: OrgUnitId,
    year: i32,
    refused: Refused,
) -> AppResult {
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
        let tenths = (u64::from(x.num) * 1000 + u64::from(x.den) / 2) / u64::from(x.den.max(1));
        format!("{}.{}%", tenths / 10, tenths % 10)
    };
    let rules_line = tr.ta(
        "funds-rules-line",
        &[
            ("dues", pct(r.dues_rate)),
            ("fund", pct(r.union_fund_rate)),
            ("kept", pct(r.union_fund_kept)),
            (
                "version",
                version.map(|v| v.to_string()).unwrap_or_else(|| "1".into()),
            ),
        ],
    );
    let budget = ledger::budget(db, &cap, unit, year)
        .await?
        .into_iter()
        .map(|b| BudgetView {
            category: tr.label(b.category),
            cap: yuan(b.cap_fen),
            spent: yuan(b.spent_fen),
            left: yuan((b.cap_fen - b.spent_fen).max(0)),
            over: b.spent_fen > b.cap_fen,
        })
        .collect();
    let levies = ledger::levies(db, &cap, unit, year)
        .await?
        .into_iter()
        .map(|l| LevyView {
            month: l.month.format("%Y-%m").to_string(),
            kind: tr.label(l.kind),
            base: yuan(l.base_fen),
            payers: l.payers,
            due: yuan(l.due_fen),
            kept: yuan(l.kept_fen),
            remitted: yuan(l.remitted_fen),
            paid: yuan(l.paid_fen),
            arrears: yuan(l.due_fen - l.paid_fen),
            in_arrears: l.paid_fen < l.due_fen,
            version: l.rule_set_version,
        })
        .collect();
    let may_approve = a.actor.may(Permission::FundsApprove);
    let may_enter = a.actor.may(Permission::FundsEnter);
    let lines_raw = ledger::ledger(db, &cap, unit, year).await?;
    let mut receipts: HashMap<i64, Vec<(i64, String)>> = HashMap::new();
    for r in store::funds::receipts::of_year(db, &cap, unit, year).await? {
        receipts
            .entry(r.entry.0)
            .or_default()
            .push((r.id.0, r.file_name));
    }
    let closed = store::funds::close::closed_months(db, &cap, unit, year)
        .await?
        .into_iter()
        .map(|m| m.format("%Y-%m").to_string())
        .collect();
    let balance = yuan(lines_raw.last().map(|l| l.balance_fen).unwrap_or(0));
    let lines = lines_raw
        .into_iter()
        .map(|l| LineView {
            id: l.id.0,
            on: tr.date(&l.on),
            kind: tr.label(l.kind),
            kind_code: l.kind.code(),
            what: match (l.category, l.source) {
                (Some(c), _) => tr.label(c),
                (None, Some(s)) => tr.label(s),
                _ => String::new(),
            },
            note: l.note,
            amount: yuan(l.amount_fen),
            status: tr.label(l.status),
            status_code: l.status.code(),
            entered_by: l.entered_by,
            approved_by: l.approved_by.unwrap_or_default(),
            version: l.rule_set_version,
            balance: yuan(l.balance_fen),
            can_approve: may_approve && l.status == EntryStatus::Entered,
            can_correct: may_enter && l.status == EntryStatus::Approved && l.corrects.is_none(),
            is_expense: l.kind == EntryKind::Expense,
            corrects: l.corrects.map(|c| c.0),
            receipts: receipts.remove(&l.id.0).unwrap_or_default(),
        })
        .collect();
    let status = if refused.errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let cat = refused.vals.get("category").cloned().unwrap_or_default();
    let src = refused.vals.get("source").cloned().unwrap_or_default();
    let kind = refused.vals.get("kind").cloned().unwrap_or_default();
    let p = Chrome::new(a, "funds-school-title")
        .title_text(format!("{name} · {year}"))
        .crumb(tr.t("nav-funds"), Some(format!("/funds?year={year}")));
    let mut resp = a.render(&SchoolPage {
        p,
        unit: unit.0,
        year,
        rules_line,
        budget,
        levies,
        lines,
        balance,
        can_enter: a.actor.may(Permission::FundsEnter),
        categories: coded_options::<ExpenseCategory>(&tr, &cat, None),
        sources: coded_options::<IncomeSource>(&tr, &src, None)
            .into_iter()
            .filter(|o| o.value == "subsidy" || o.value == "other_income")
            .collect(),
        kinds: coded_options::<LevyKind>(&tr, &kind, None),
        form: refused.form,
        vals: refused.vals,
        errors: refused.errors,
        today: today().to_string(),
        closed,
        can_close: may_approve,
    })?;
    *resp.status_mut() = status;
    Ok(resp)
}

/// Re-renders the school's page with the refused form, or fails for anything but a
/// refusal by rule.
async fn back_with(
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
            school_page(
                state,
                a,
                unit,
                year,
                Refused {
                    form: form.into(),
                    vals,
                    errors,
                },
            )
            .await
        }
        StoreError::NotFound => Err(AppError::NotFound),
        other => Err(other.into()),
    }
}

fn field(vals: &HashMap<String, String>, k: &str) -> String {
    vals.get(k).cloned().unwrap_or_default()
}

/// Enters an expense (awaiting another person's approval); refused over its budget cap or
/// the balance with the figures named, at the amount field.
pub async fn add_expense(
    State(state): State<AppState>,
    a: Auth,
    Form(vals): Form<HashMap<String, String>>,
) -> AppResult {
    let cap = a.actor.authorize::<perm::FundsEnter>()?;
    let Some(unit) = parse_unit(&field(&vals, "unit")) else {
        return Err(AppError::NotFound);
    };
    let mut errors = FieldErrors::default();
    let category = ExpenseCategory::from_code(field(&vals, "category").trim());
    if category.is_none() {
        errors.push(FieldError::new("category", domain::text::REQUIRED));
    }
    let amount = errors.take(parse_fen("amount", &field(&vals, "amount"), true));
    let on = errors.take(parse_date("on", &field(&vals, "on")));
    let year = on.map(|d| d.year()).unwrap_or_else(|| today().year());
    let r = match (category, amount, on) {
        (Some(c), Some(x), Some(d)) if errors.is_empty() => ledger::enter_expense(
            &state.store,
            &cap,
            &a.who(),
            unit,
            c,
            x,
            &field(&vals, "note"),
            d,
        )
        .await
        .map(|_| ()),
        _ => Err(StoreError::Invalid(errors)),
    };
    match r {
        Ok(()) => Ok(a.redirect(&href(unit, year), Flash::ok("funds-expense-entered"))),
        Err(e) => back_with(&state, &a, unit, year, "expense", vals, e).await,
    }
}

/// Records another income (subsidy, other).
pub async fn add_income(
    State(state): State<AppState>,
    a: Auth,
    Form(vals): Form<HashMap<String, String>>,
) -> AppResult {
    let cap = a.actor.authorize::<perm::FundsEnter>()?;
    let Some(unit) = parse_unit(&field(&vals, "unit")) else {
        return Err(AppError::NotFound);
    };
    let mut errors = FieldErrors::default();
    let source = IncomeSource::from_code(field(&vals, "source").trim())
        .filter(|s| matches!(s, IncomeSource::Subsidy | IncomeSource::OtherIncome));
    if source.is_none() {
        errors.push(FieldError::new("source", domain::text::REQUIRED));
    }
    let amount = errors.take(parse_fen("amount", &field(&vals, "amount"), true));
    let on = errors.take(parse_date("on", &field(&vals, "on")));
    let year = on.map(|d| d.year()).unwrap_or_else(|| today().year());
    let r = match (source, amount, on) {
        (Some(s), Some(x), Some(d)) if errors.is_empty() => ledger::add_income(
            &state.store,
            &cap,
            &a.who(),
            unit,
            s,
            x,
            &field(&vals, "note"),
            d,
        )
        .await
        .map(|_| ()),
        _ => Err(StoreError::Invalid(errors)),
    };
    match r {
        Ok(()) => Ok(a.redirect(&href(unit, year), Flash::ok("funds-income-added"))),
        Err(e) => back_with(&state, &a, unit, year, "income", vals, e).await,
    }
}

/// Sets a budget line's cap for the year.
pub async fn set_budget(
    State(state): State<AppState>,
    a: Auth,
    Form(vals): Form<HashMap<String, String>>,
) -> AppResult {
    let cap = a.actor.authorize::<perm::FundsEnter>()?;
    let Some(unit) = parse_unit(&field(&vals, "unit")) else {
        return Err(AppError::NotFound);
    };
    let year = parse_year(&field(&vals, "year"));
    let mut errors = FieldErrors::default();
    let category = ExpenseCategory::from_code(field(&vals, "category").trim());
    if category.is_none() {
        errors.push(FieldError::new("category", domain::text::REQUIRED));
    }
    let amount = errors.take(parse_fen("cap", &field(&vals, "cap"), false));
    let r = match (category, amount) {
        (Some(c), Some(x)) if errors.is_empty() => {
            ledger::set_budget(&state.store, &cap, &a.who(), unit, year, c, x).await
        }
        _ => Err(StoreError::Invalid(errors)),
    };
    match r {
        Ok(()) => Ok(a.redirect(&href(unit, year), Flash::ok("funds-budget-saved"))),
        Err(e) => back_with(&state, &a, unit, year, "budget", vals, e).await,
    }
}

/// Records a month's levy (dues or union fund) with what was paid.
pub async fn add_levy(
    State(state): State<AppState>,
    a: Auth,
    Form(vals): Form<HashMap<String, String>>,
) -> AppResult {
    let cap = a.actor.authorize::<perm::FundsEnter>()?;
    let Some(unit) = parse_unit(&field(&vals, "unit")) else {
        return Err(AppError::NotFound);
    };
    let mut errors = FieldErrors::default();
    let kind = LevyKind::from_code(field(&vals, "kind").trim());
    if kind.is_none() {
        errors.push(FieldError::new("kind", domain::text::REQUIRED));
    }
    let month = errors.take(parse_date("month", &field(&vals, "month")));
    let base = errors.take(parse_fen("base", &field(&vals, "base"), false));
    let paid_text = field(&vals, "paid");
    let paid = if paid_text.trim().is_empty() {
        Some(0)
    } else {
        errors.take(parse_fen("paid", &paid_text, false))
    };
    let year = month.map(|d| d.year()).unwrap_or_else(|| today().year());
    let r = match (kind, month, base, paid) {
        (Some(k), Some(m), Some(b), Some(p)) if errors.is_empty() => ledger::record_levy(
            &state.store,
            &cap,
            &a.who(),
            &ledger::LevyInput {
                school: unit,
                kind: k,
                month: m,
                base_fen: b,
                paid_fen: p,
            },
        )
        .await
        .map(|_| ()),
        _ => Err(StoreError::Invalid(errors)),
    };
    match r {
        Ok(()) => Ok(a.redirect(&href(unit, year), Flash::ok("funds-levy-recorded"))),
        Err(e) => back_with(&state, &a, unit, year, "levy", vals, e).await,
    }
}

/// Approves an entered expense; the person who entered it cannot.
pub async fn approve(State(state): State<AppState>, a: Auth, Path(id): Path<i64>) -> AppResult {
    let cap = a.actor.authorize::<perm::FundsApprove>()?;
    match ledger::approve(&state.store, &cap, &a.who(), EntryId(id), today()).await {
        Ok((unit, year)) => Ok(a.redirect(&href(unit, year), Flash::ok("funds-expense-approved"))),
        Err(StoreError::NotFound) => Err(AppError::NotFound),
        Err(e) => refused(&a, "/funds", e),
    }
}

/// The school's ledger of the year as .xlsx (amounts as numbers in yuan with two
/// decimals, the running balance, who entered and approved, the rule-set version).
pub async fn ledger_xlsx(
    State(state): State<AppState>,
    a: Auth,
    Query(q): Query<YearQuery>,
) -> AppResult {
    let cap = a.actor.authorize::<perm::FundsView>()?;
    let db = &state.store.db;
    let year = parse_year(&q.year);
    let tr = a.tr;
    let schools = ledger::overview(db, &cap, year).await?;
    let school = match parse_unit(&q.unit) {
        Some(u) => schools.into_iter().find(|s| s.school == u),
        None => schools.into_iter().next(),
    }
    .ok_or(AppError::NotFound)?;
    let lines = ledger::ledger(db, &cap, school.school, year).await?;
    let err = |e: rust_xlsxwriter::XlsxError| AppError::Internal(e.to_string());
    let mut wb = rust_xlsxwriter::Workbook::new();
    let bold = rust_xlsxwriter::Format::new().set_bold();
    let money = rust_xlsxwriter::Format::new().set_num_format("0.00");
    let ws = wb.add_worksheet();
    ws.set_name(tr.t("funds-ledger")).map_err(err)?;
    ws.write_string_with_format(0, 0, format!("{} · {year}", school.name), &bold)
        .map_err(err)?;
    let heads = [
        "funds-col-date",
        "funds-col-kind",
        "funds-col-what",
        "funds-col-note",
        "funds-col-amount",
        "funds-col-status",
        "funds-col-entered",
        "funds-col-approved",
        "funds-col-version",
        "funds-col-balance",
    ];
    for (c, h) in heads.iter().enumerate() {
        ws.write_string_with_format(1, c as u16, tr.t(h), &bold)
            .map_err(err)?;
        ws.set_column_width(c as u16, 14).map_err(err)?;
    }
    for (i, l) in lines.iter().enumerate() {
        let r = i as u32 + 2;
        let what = match (l.category, l.source) {
            (Some(c), _) => tr.label(c),
            (None, Some(s)) => tr.label(s),
            _ => String::new(),
        };
        ws.write_string(r, 0, l.on.to_string()).map_err(err)?;
        ws.write_string(r, 1, tr.label(l.kind)).map_err(err)?;
        ws.write_string(r, 2, what).map_err(err)?;
        ws.write_string(r, 3, &l.note).map_err(err)?;
        // Fen → yuan for the sheet only; the exact figure stays the stored fen.
        ws.write_number_with_format(r, 4, l.amount_fen as f64 / 100.0, &money)
            .map_err(err)?;
        ws.write_string(r, 5, tr.label(l.status)).map_err(err)?;
        ws.write_string(r, 6, &l.entered_by).map_err(err)?;
        ws.write_string(r, 7, l.approved_by.clone().unwrap_or_default())
            .map_err(err)?;
        ws.write_number(r, 8, l.rule_set_version as f64)
            .map_err(err)?;
        ws.write_number_with_format(r, 9, l.balance_fen as f64 / 100.0, &money)
            .map_err(err)?;
    }
    let bytes = wb.save_to_buffer().map_err(err)?;
    let name = format!("{}-{}-{year}.xlsx", tr.t("funds-ledger"), school.name);
    Ok(crate::org::import::xlsx_response(bytes, &name))
}

/// A finding as shown.
pub struct FindingView {
    pub id: i64,
    pub area: String,
    pub school: String,
    pub severity: String,
    pub severity_code: &'static str,
    pub status: String,
    pub status_code: &'static str,
    pub finding: String,
    pub deadline: String,
    pub overdue: bool,
    pub rectification: String,
    pub rectified_on: String,
    pub found_by: String,
    pub can_rectify: bool,
}

#[derive(Template)]
#[template(path = "funds/audit.html")]
struct AuditPage {
    p: Chrome,
    year: i32,
    unit: String,
    findings: Vec<FindingView>,
    can_audit: bool,
    schools: Vec<Opt>,
    severities: Vec<Opt>,
    vals: HashMap<String, String>,
    errors: FieldErrors,
    today: String,
}

impl AuditPage {
    fn v(&self, name: &str) -> String {
        self.vals.get(name).cloned().unwrap_or_default()
    }

    fn err(&self, name: &str) -> String {
        self.errors
            .get(name)
            .map(|e| self.p.tr.fe(e))
            .unwrap_or_default()
    }
}

/// `/funds/audit`: the year's findings in scope by area and school.
pub async fn audit_page(
    State(state): State<AppState>,
    a: Auth,
    Query(q): Query<YearQuery>,
) -> AppResult {
    audit_render(
        &state,
        &a,
        parse_year(&q.year),
        &q.unit,
        HashMap::new(),
        FieldErrors::default(),
    )
    .await
}

async fn audit_render(
    state: &AppState,
    a: &Auth,
    year: i32,
    unit: &str,
    vals: HashMap<String, String>,
    errors: FieldErrors,
) -> AppResult {
    let cap = a.actor.authorize::<perm::FundsView>()?;
    let db = &state.store.db;
    let tr = a.tr;
    let t0 = today();
    let may_rectify = a.actor.may(Permission::FundsEnter);
    let findings = findings::list(db, &cap, year, parse_unit(unit))
        .await?
        .into_iter()
        .map(|f| FindingView {
            id: f.id.0,
            area: f.area,
            school: f.school_name,
            severity: tr.label(f.severity),
            severity_code: f.severity.code(),
            status: tr.label(f.status),
            status_code: f.status.code(),
            finding: f.finding,
            deadline: tr.date(&f.deadline),
            overdue: f.status == FindingStatus::Open && f.deadline < t0,
            rectification: f.rectification.unwrap_or_default(),
            rectified_on: tr.opt_date(&f.rectified_on),
            found_by: f.found_by,
            can_rectify: may_rectify && f.status == FindingStatus::Open,
        })
        .collect();
    let can_audit = a.actor.may(Permission::FundsAudit);
    let chosen = vals.get("school").cloned().unwrap_or_default();
    let schools = if can_audit {
        ledger::overview(db, &cap, year)
            .await?
            .into_iter()
            .map(|s| Opt::new(s.school.0, &s.name, s.school.0.to_string() == chosen))
            .collect()
    } else {
        Vec::new()
    };
    let sev = vals.get("severity").cloned().unwrap_or_default();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let p = Chrome::new(a, "funds-audit-title");
    let mut r = a.render(&AuditPage {
        p,
        year,
        unit: unit.to_string(),
        findings,
        can_audit,
        schools,
        severities: coded_options::<Severity>(&tr, &sev, None),
        vals,
        errors,
        today: t0.to_string(),
    })?;
    *r.status_mut() = status;
    Ok(r)
}

/// The audit committee records a finding (never for the auditor's own school).
pub async fn add_finding(
    State(state): State<AppState>,
    a: Auth,
    Form(vals): Form<HashMap<String, String>>,
) -> AppResult {
    let cap = a.actor.authorize::<perm::FundsAudit>()?;
    let mut errors = FieldErrors::default();
    let Some(school) = parse_unit(&field(&vals, "school")) else {
        return Err(AppError::NotFound);
    };
    let severity = Severity::from_code(field(&vals, "severity").trim());
    if severity.is_none() {
        errors.push(FieldError::new("severity", domain::text::REQUIRED));
    }
    let deadline = errors.take(
        parse_date("deadline", &field(&vals, "deadline"))
            .map_err(|_| FieldError::new("deadline", domain::funds::text::DEADLINE_INVALID)),
    );
    let year = today().year();
    let r = match (severity, deadline) {
        (Some(s), Some(d)) if errors.is_empty() => findings::record(
            &state.store,
            &cap,
            &a.who(),
            a.actor.member,
            &findings::FindingInput {
                school,
                year,
                severity: s,
                finding: field(&vals, "finding"),
                deadline: d,
            },
            today(),
        )
        .await
        .map(|_| ()),
        _ => Err(StoreError::Invalid(errors)),
    };
    match r {
        Ok(()) => Ok(a.redirect(
            &format!("/funds/audit?year={year}"),
            Flash::ok("funds-finding-recorded"),
        )),
        Err(StoreError::Invalid(errors)) => audit_render(&state, &a, year, "", vals, errors).await,
        Err(StoreError::NotFound) => Err(AppError::NotFound),
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RectifyForm {
    rectification: String,
}

/// The school answers a finding with what it did.
pub async fn rectify(
    State(state): State<AppState>,
    a: Auth,
    Path(id): Path<i64>,
    Form(f): Form<RectifyForm>,
) -> AppResult {
    let cap = a.actor.authorize::<perm::FundsEnter>()?;
    match findings::rectify(
        &state.store,
        &cap,
        &a.who(),
        FindingId(id),
        &f.rectification,
        today(),
    )
    .await
    {
        Ok(()) => Ok(a.redirect("/funds/audit", Flash::ok("funds-rectified"))),
        Err(StoreError::NotFound) => Err(AppError::NotFound),
        Err(e) => refused(&a, "/funds/audit", e),
    }
}
