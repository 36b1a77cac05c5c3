//! `/honours/rules/{unit}`: the commendation rule set a unit works under — the days of the
//! public notice (公示), the objections heard an hour from one address, the cap on
//! nominations per school — with every version that bears on the unit (its own and those
//! above it), and the form that stores a new version. Every number is local (the page says
//! so); a unit's version may be stricter than the one above it, never laxer (refused at
//! the field, naming the number above). Each notice and award records the version label.
//!
//! Any commendations reader of the unit reads it; those who manage rule sets store a
//! version. A refused form comes back as 422 with everything typed.

use crate::chrome::Chrome;
use crate::congress::into_fields;
use crate::ctx::{Auth, Flash};
use crate::error::AppResult;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Form, Path, State};
use domain::FieldErrors;
use domain::auth::{Permission, perm};
use domain::commendations::{CommendationRules, RulesInput};
use domain::ids::OrgUnitId;
use store::commendations::{RULES_AREA, rules};

/// A stored version in the history table.
pub struct VersionRow {
    pub label: String,
    pub unit: String,
    pub at: String,
    pub summary: String,
    pub note: String,
}

#[derive(Template)]
#[template(path = "commendations/rules.html")]
struct RulesPage {
    p: Chrome,
    action: String,
    in_force: String,
    can_edit: bool,
    /// (field, label, hint, value).
    fields: Vec<(&'static str, String, String, String)>,
    note: String,
    history: Vec<VersionRow>,
    errors: FieldErrors,
}

fn summary(tr: &crate::i18n::Tr, r: &CommendationRules) -> String {
    tr.ta(
        "commendations-rules-summary",
        &[
            ("days", r.notice_days.to_string()),
            ("hour", r.objections_per_hour.to_string()),
            (
                "cap",
                r.max_per_school
                    .map(|m| m.to_string())
                    .unwrap_or_else(|| "—".into()),
            ),
        ],
    )
}

async fn show(
    state: &AppState,
    a: &Auth,
    id: i64,
    typed: Option<RulesInput>,
    errors: FieldErrors,
) -> AppResult {
    let cap = a.actor.authorize::<perm::ContestView>()?;
    let history = rules::history(&state.store.db, &cap, OrgUnitId(id)).await?;
    let tr = a.tr;
    let current = history
        .first()
        .map_or(CommendationRules::LOCAL, |v| v.rules);
    let in_force = match history.first() {
        Some(v) => tr.ta(
            "commendations-rules-in-force",
            &[
                (
                    "version",
                    store::rule_sets::label(RULES_AREA, Some(v), CommendationRules::BUILTIN_LABEL),
                ),
                ("unit", v.unit_name.clone()),
            ],
        ),
        None => tr.ta(
            "commendations-rules-builtin",
            &[("version", CommendationRules::BUILTIN_LABEL.to_string())],
        ),
    };
    let input = typed.unwrap_or_else(|| RulesInput::of(&current));
    let fields = [
        ("notice_days", input.notice_days.clone()),
        ("objections_per_hour", input.objections_per_hour.clone()),
        ("max_per_school", input.max_per_school.clone()),
    ]
    .into_iter()
    .map(|(f, v)| {
        let k = f.replace('_', "-");
        (
            f,
            tr.t(&format!("commendations-rules-{k}")),
            tr.t(&format!("commendations-rules-{k}-hint")),
            v,
        )
    })
    .collect();
    let history = history
        .iter()
        .map(|v| VersionRow {
            label: store::rule_sets::label(RULES_AREA, Some(v), CommendationRules::BUILTIN_LABEL),
            unit: v.unit_name.clone(),
            at: tr.datetime(&v.created_at),
            summary: summary(&tr, &v.rules),
            note: v.note.clone().unwrap_or_default(),
        })
        .collect();
    let page = RulesPage {
        p: Chrome::new(a, "commendations-rules-title")
            .crumb(tr.t("nav-commendations"), Some("/honours".into())),
        action: format!("/honours/rules/{id}"),
        in_force,
        can_edit: a.actor.may(Permission::RuleSetManage),
        fields,
        note: input.note.clone(),
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
    Form(input): Form<RulesInput>,
) -> AppResult {
    let cap = a.actor.authorize::<perm::RuleSetManage>()?;
    let (parsed, note) = match input.parse() {
        Ok(x) => x,
        Err(errors) => return show(&state, &a, id, Some(input), errors).await,
    };
    match rules::add_version(&state.store, &cap, &a.who(), OrgUnitId(id), &parsed, note).await {
        Ok(_) => Ok(a.redirect(
            &format!("/honours/rules/{id}"),
            Flash::ok("commendations-rules-saved"),
        )),
        Err(e) => {
            let mut errors = FieldErrors::default();
            into_fields(e, &mut errors)?;
            show(&state, &a, id, Some(input), errors).await
        }
    }
}
