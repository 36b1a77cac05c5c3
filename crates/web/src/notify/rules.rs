//! `/notify/rules/{unit}`: the reminders rule set of a unit — each kind of due item's lead
//! times and its escalation chain (for a proposal reply: the handling department, then the
//! proposals committee, then the school's chair) — with every stored version, and the form
//! that stores a new version. Every number is local (no statute sets reminders), and every
//! reminder names the version that sent it.
//!
//! Only for those who manage rule sets, within their scope (the store checks the unit). A
//! refused form comes back with everything typed and the reason at its field.

use crate::chrome::Chrome;
use crate::ctx::{Auth, Flash};
use crate::error::AppResult;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Form, Path, State};
use domain::FieldErrors;
use domain::auth::perm;
use domain::ids::OrgUnitId;
use domain::notify::{EDITABLE, EscalateTo, NotifyRules, RulesInput, parse_rules, rules_input};
use domain::org::Coded;
use store::notify::{BUILTIN_RULES, RULES_AREA};
use store::rule_sets::{self, Version};

/// One level of a row on the form.
pub struct LevelRow {
    pub days_field: &'static str,
    pub days: String,
    pub to_field: &'static str,
    pub to: String,
    /// (code, label) of the audiences this row may name.
    pub choices: Vec<(&'static str, String)>,
}

/// One kind of due item on the form.
pub struct RuleRowView {
    pub label: String,
    pub before_field: &'static str,
    pub before: String,
    pub levels: Vec<LevelRow>,
    /// The chain in words, as in force.
    pub chain: String,
}

/// A stored version in the history table.
pub struct VersionRow {
    pub label: String,
    pub unit: String,
    pub at: String,
    pub note: String,
}

#[derive(Template)]
#[template(path = "notify/rules.html")]
struct RulesPage {
    p: Chrome,
    action: String,
    in_force: String,
    rows: Vec<RuleRowView>,
    note: String,
    history: Vec<VersionRow>,
    errors: FieldErrors,
    error_texts: Vec<(String, String)>,
}

fn chain_text(a: &Auth, r: &NotifyRules, row: domain::notify::RuleRow) -> String {
    let s = r.row(row);
    let mut parts = vec![a.tr.t("notify-rules-chain-start")];
    for e in &s.escalate {
        parts.push(a.tr.ta(
            "notify-rules-chain-level",
            &[
                ("days", e.after.to_string()),
                ("to", a.tr.t(&e.to.label_key())),
            ],
        ));
    }
    parts.join(" → ")
}

async fn show(
    state: &AppState,
    a: &Auth,
    id: i64,
    typed: Option<RulesInput>,
    errors: FieldErrors,
) -> AppResult {
    let cap = a.actor.authorize::<perm::RuleSetManage>()?;
    let db = &state.store.db;
    let history: Vec<Version<NotifyRules>> =
        rule_sets::history(db, &cap, RULES_AREA, OrgUnitId(id)).await?;
    let tr = a.tr;
    let current = history
        .first()
        .map_or_else(domain::notify::default_rules, |v| v.rules.clone());
    let in_force = match history.first() {
        Some(v) => tr.ta(
            "notify-rules-in-force",
            &[
                (
                    "version",
                    rule_sets::label(RULES_AREA, Some(v), BUILTIN_RULES),
                ),
                ("unit", v.unit_name.clone()),
            ],
        ),
        None => tr.ta(
            "notify-rules-builtin",
            &[("version", BUILTIN_RULES.to_string())],
        ),
    };
    let input = typed.unwrap_or_else(|| rules_input(&current));
    let get = |k: &str| input.get(k).cloned().unwrap_or_default();
    let rows = EDITABLE
        .iter()
        .map(|row| {
            let f = row.fields();
            RuleRowView {
                label: tr.t(&format!(
                    "notify-rules-row-{}",
                    row.code().replace('_', "-")
                )),
                before_field: f.before,
                before: get(f.before),
                levels: f
                    .levels
                    .iter()
                    .map(|(d, t)| LevelRow {
                        days_field: d,
                        days: get(d),
                        to_field: t,
                        to: get(t),
                        choices: row
                            .audiences()
                            .iter()
                            .map(|c: &EscalateTo| (c.code(), tr.t(&c.label_key())))
                            .collect(),
                    })
                    .collect(),
                chain: chain_text(a, &current, *row),
            }
        })
        .collect();
    let history = history
        .iter()
        .map(|v| VersionRow {
            label: rule_sets::label(RULES_AREA, Some(v), BUILTIN_RULES),
            unit: v.unit_name.clone(),
            at: v
                .created_at
                .with_timezone(&domain::notify::CST)
                .format("%Y-%m-%d %H:%M")
                .to_string(),
            note: v.note.clone().unwrap_or_default(),
        })
        .collect();
    let error_texts = errors
        .0
        .iter()
        .map(|e| (e.field.to_string(), tr.fe(e)))
        .collect();
    a.render_form(
        &RulesPage {
            p: Chrome::new(a, "notify-rules-title"),
            action: format!("/notify/rules/{id}"),
            in_force,
            rows,
            note: get("note"),
            history,
            errors: errors.clone(),
            error_texts,
        },
        &errors,
    )
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
    let (rules, note) = match parse_rules(&input) {
        Ok(x) => x,
        Err(errors) => return show(&state, &a, id, Some(input), errors).await,
    };
    let unit = OrgUnitId(id);
    let before = rule_sets::in_force::<NotifyRules, _>(&state.store.db, &cap, RULES_AREA, unit)
        .await?
        .map_or_else(domain::notify::default_rules, |v| v.rules);
    rule_sets::add(
        &state.store,
        &cap,
        &a.who(),
        RULES_AREA,
        unit,
        rule_sets::Change {
            rules: &rules,
            before: &before,
            note,
        },
    )
    .await?;
    Ok(a.redirect(
        &format!("/notify/rules/{id}"),
        Flash::ok("notify-rules-saved"),
    ))
}
