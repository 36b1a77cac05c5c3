//! `/funds/rules/{unit}`: the funds rule set a unit works under — the dues rate and the
//! base's step, the share of dues kept, the union fund's rate on the payroll and the share
//! kept, and who pays in a month of joining, leaving or after retiring — with every version
//! that bears on the unit (its own and those above it), and the form that stores a new
//! version. Every number is local here (the page says so); a unit's version may be
//! stricter than the one above it, never laxer (the store refuses, naming the number).
//!
//! Any funds reader of the unit reads it; those who manage rule sets store a version. A
//! refused form comes back as 422 with everything typed and the reason at its field.

use crate::chrome::Chrome;
use crate::congress::into_fields;
use crate::ctx::{Auth, Flash};
use crate::error::AppResult;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Form, Path, State};
use domain::FieldErrors;
use domain::auth::{Permission, perm};
use domain::funds::{FundsRules, RULE_FLAGS, RulesInput, parse_rules, rules_input};
use domain::ids::OrgUnitId;
use store::funds::rules::{self, VersionAt};

/// A stored version in the history table.
pub struct VersionRow {
    pub label: String,
    pub unit: String,
    pub at: String,
    pub summary: String,
    pub note: String,
}

#[derive(Template)]
#[template(path = "funds/rules.html")]
struct RulesPage {
    p: Chrome,
    action: String,
    in_force: String,
    can_edit: bool,
    /// (field, label, hint, value).
    fields: Vec<(&'static str, String, String, String)>,
    /// (field, label, checked).
    flags: Vec<(&'static str, String, bool)>,
    note: String,
    history: Vec<VersionRow>,
    errors: FieldErrors,
}

/// `funds#<id> v<n>`, the label a decision records.
fn label(v: &VersionAt) -> String {
    format!("funds#{} v{}", v.id.0, v.version)
}

async fn show(
    state: &AppState,
    a: &Auth,
    id: i64,
    typed: Option<RulesInput>,
    errors: FieldErrors,
) -> AppResult {
    let cap = a.actor.authorize::<perm::FundsView>()?;
    let history = rules::history(&state.store, &cap, OrgUnitId(id)).await?;
    let tr = a.tr;
    let current = history.first().map_or(FundsRules::DEFAULT, |v| v.rules);
    let in_force = match history.first() {
        Some(v) => tr.ta(
            "funds-rules-in-force",
            &[("version", label(v)), ("unit", v.unit_name.clone())],
        ),
        None => tr.t("funds-rules-builtin"),
    };
    let input = typed.unwrap_or_else(|| rules_input(&current));
    let get = |k: &str| input.get(k).cloned().unwrap_or_default();
    let fields = [
        "dues_rate",
        "dues_base_step",
        "dues_kept",
        "union_fund_rate",
        "union_fund_kept",
    ]
    .into_iter()
    .map(|f| {
        let k = f.replace('_', "-");
        (
            f,
            tr.t(&format!("funds-rules-{k}")),
            tr.t(&format!("funds-rules-{k}-hint")),
            get(f),
        )
    })
    .collect();
    let flags = RULE_FLAGS
        .iter()
        .map(|f| {
            (
                *f,
                tr.t(&format!("funds-rules-{}", f.replace('_', "-"))),
                !get(f).is_empty(),
            )
        })
        .collect();
    let history = history
        .iter()
        .map(|v| VersionRow {
            label: label(v),
            unit: v.unit_name.clone(),
            at: tr.datetime(&v.created_at),
            summary: tr.ta(
                "funds-rules-summary",
                &[
                    ("dues", v.rules.dues_rate.display()),
                    ("fund", v.rules.union_fund_rate.display()),
                    ("kept", v.rules.union_fund_kept.display()),
                ],
            ),
            note: v.note.clone().unwrap_or_default(),
        })
        .collect();
    let page = RulesPage {
        p: Chrome::new(a, "funds-rules-title").crumb(tr.t("nav-funds"), Some("/funds".into())),
        action: format!("/funds/rules/{id}"),
        in_force,
        can_edit: a.actor.may(Permission::RuleSetManage),
        fields,
        flags,
        note: get("note"),
        history,
        errors,
    };
    a.render_form(&page, &page.errors)
}

pub async fn page(State(state): State<AppState>, a: Auth, Path(id): Path<i64>) -> AppResult {
    show(&state, &a, id, None, FieldErrors::default()).await
}

pub async fn save(
    State(state): State<AppState>,
    a: Auth,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> AppResult {
    let cap = a.actor.authorize::<perm::RuleSetManage>()?;
    let input: RulesInput = pairs.into_iter().collect();
    let (parsed, note) = match parse_rules(&input) {
        Ok(x) => x,
        Err(errors) => return show(&state, &a, id, Some(input), errors).await,
    };
    match rules::add_version(
        &state.store,
        &cap,
        &a.who(),
        OrgUnitId(id),
        &parsed,
        note.as_deref(),
    )
    .await
    {
        Ok(_) => Ok(a.redirect(
            &format!("/funds/rules/{id}"),
            Flash::ok("funds-rules-saved"),
        )),
        Err(e) => {
            let mut errors = FieldErrors::default();
            into_fields(e, &mut errors)?;
            show(&state, &a, id, Some(input), errors).await
        }
    }
}
