//! `/assistance/rules/{unit}`: the assistance rule set a unit works under — the local
//! minimum-living standard and the multiple of the income test, the review period, the
//! grant caps by level, and the must-visit types with their triggers and caps — with every
//! version that bears on the unit (its own and those above it), and the form that stores a
//! new version. Every number is local (the defaults are placeholders): the page says so.
//!
//! Any assistance reader of the unit may read it; only a confirmer (a school's chair,
//! union staff) stores a version, and a unit's version may be stricter than the one above
//! it, never laxer (the store refuses, naming the number above). A refused form comes back
//! as 422 with everything typed and the reason at its field. Never writes without an audit
//! entry (the store's).

use crate::chrome::Chrome;
use crate::congress::into_fields;
use crate::ctx::{Auth, Flash};
use crate::error::AppResult;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Form, Path, State};
use domain::FieldErrors;
use domain::assistance::*;
use domain::auth::{Permission, perm};
use domain::ids::OrgUnitId;
use domain::org::Coded;
use store::assistance::rules::{self, VersionAt};

/// One visit type on the form.
pub struct VisitRow {
    pub label: String,
    pub keep_field: &'static str,
    pub kept: bool,
    pub cap_field: &'static str,
    pub cap: String,
    pub trigger_field: &'static str,
    pub trigger: String,
}

/// A stored version in the history table.
pub struct VersionRow {
    pub label: String,
    pub unit: String,
    pub at: String,
    pub summary: String,
    pub note: String,
}

#[derive(Template)]
#[template(path = "assistance/rules.html")]
struct RulesPage {
    p: Chrome,
    action: String,
    in_force: String,
    can_edit: bool,
    fields: Vec<(&'static str, String, String)>,
    visits: Vec<VisitRow>,
    triggers: Vec<(&'static str, String)>,
    note: String,
    history: Vec<VersionRow>,
    errors: FieldErrors,
}

/// `assistance#<id> v<n>`, the label a decision records.
fn label(v: &VersionAt) -> String {
    format!("assistance#{} v{}", v.version.id.0, v.version.version)
}

async fn show(
    state: &AppState,
    a: &Auth,
    id: i64,
    typed: Option<RulesInput>,
    errors: FieldErrors,
) -> AppResult {
    let cap = a.actor.authorize::<perm::AssistanceView>()?;
    let history = rules::history(&state.store, &cap, OrgUnitId(id)).await?;
    let tr = a.tr;
    let current = history
        .first()
        .map_or(AssistanceRules::DEFAULT, |v| v.version.rules);
    let in_force = match history.first() {
        Some(v) => tr.ta(
            "assistance-rules-in-force",
            &[("version", label(v)), ("unit", v.unit_name.clone())],
        ),
        None => tr.t("assistance-rules-builtin"),
    };
    let input = typed.unwrap_or_else(|| rules_input(&current));
    let get = |k: &str| input.get(k).cloned().unwrap_or_default();
    let fields = [
        ("low_income", "assistance-rules-low-income"),
        ("relative_multiple", "assistance-rules-multiple"),
        ("review_months", "assistance-rules-review-months"),
        ("grant_cap_deep", "assistance-rules-cap-deep"),
        ("grant_cap_relative", "assistance-rules-cap-relative"),
        ("visit_year_cap", "assistance-rules-visit-year-cap"),
        ("visit_due_days", "assistance-rules-visit-due-days"),
    ]
    .into_iter()
    .map(|(f, k)| (f, tr.t(k), get(f)))
    .collect();
    let visits = VisitType::all()
        .iter()
        .map(|t| {
            let (keep, cap, trigger) = visit_fields(*t);
            VisitRow {
                label: tr.label(*t),
                keep_field: keep,
                kept: !get(keep).is_empty(),
                cap_field: cap,
                cap: get(cap),
                trigger_field: trigger,
                trigger: get(trigger),
            }
        })
        .collect();
    let history = history
        .iter()
        .map(|v| VersionRow {
            label: label(v),
            unit: v.unit_name.clone(),
            at: tr.datetime(&v.version.created_at),
            summary: tr.ta(
                "assistance-rules-summary",
                &[
                    ("standard", yuan(v.version.rules.low_income_fen)),
                    ("multiple", multiple_text(v.version.rules.relative_multiple)),
                    ("deep", yuan(v.version.rules.grant_cap_deep_fen)),
                    ("relative", yuan(v.version.rules.grant_cap_relative_fen)),
                ],
            ),
            note: v.version.note.clone().unwrap_or_default(),
        })
        .collect();
    let page = RulesPage {
        p: Chrome::new(a, "assistance-rules-title")
            .crumb(tr.t("nav-assistance"), Some("/assistance".into())),
        action: format!("/assistance/rules/{id}"),
        in_force,
        can_edit: a.actor.may(Permission::AssistanceConfirm),
        fields,
        visits,
        triggers: VisitTrigger::all()
            .iter()
            .map(|t| (t.code(), tr.label(*t)))
            .collect(),
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
    let cap = a.actor.authorize::<perm::AssistanceConfirm>()?;
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
            &format!("/assistance/rules/{id}"),
            Flash::ok("assistance-rules-saved"),
        )),
        Err(e) => {
            let mut errors = FieldErrors::default();
            into_fields(e, &mut errors)?;
            show(&state, &a, id, Some(input), errors).await
        }
    }
}
