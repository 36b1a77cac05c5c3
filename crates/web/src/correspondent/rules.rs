//! `/news/rules/{unit}`: the news rule set of a union — the points a placement earns at
//! each level — with every stored version and the form that stores a new one. The numbers
//! are the union's own assessment scheme (local); every placement and every summary draft
//! records the version that counted it.
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
use domain::correspondent::{
    BUILTIN_NEWS_RULES, NEWS_RULES, NewsRules, NewsRulesInput, PlacementLevel,
};
use domain::ids::OrgUnitId;
use domain::org::Coded;
use store::correspondent::RULES_AREA;
use store::rule_sets::{self, Version};

/// One level's field on the form.
pub struct LevelField {
    pub code: &'static str,
    pub label: String,
    pub value: String,
}

/// A stored version in the history table.
pub struct VersionRow {
    pub label: String,
    pub unit: String,
    pub at: String,
    pub points: String,
    pub note: String,
}

#[derive(Template)]
#[template(path = "correspondent/rules.html")]
struct RulesPage {
    p: Chrome,
    action: String,
    in_force: String,
    levels: Vec<LevelField>,
    note: String,
    history: Vec<VersionRow>,
    errors: FieldErrors,
    error_texts: Vec<(String, String)>,
}

async fn show(
    state: &AppState,
    a: &Auth,
    id: i64,
    typed: Option<NewsRulesInput>,
    errors: FieldErrors,
) -> AppResult {
    let cap = a.actor.authorize::<perm::RuleSetManage>()?;
    let history: Vec<Version<NewsRules>> =
        rule_sets::history(&state.store.db, &cap, RULES_AREA, OrgUnitId(id)).await?;
    let tr = a.tr;
    let current = history.first().map_or(NEWS_RULES, |v| v.rules);
    let in_force = match history.first() {
        Some(v) => tr.ta(
            "news-rules-in-force",
            &[
                (
                    "version",
                    rule_sets::label(RULES_AREA, Some(v), BUILTIN_NEWS_RULES),
                ),
                ("unit", v.unit_name.clone()),
            ],
        ),
        None => tr.ta(
            "news-rules-builtin",
            &[("version", BUILTIN_NEWS_RULES.to_string())],
        ),
    };
    let input = typed.unwrap_or_else(|| current.input());
    let points = |r: &NewsRules| {
        PlacementLevel::all()
            .iter()
            .map(|l| format!("{} {}", tr.label(*l), r.points(*l)))
            .collect::<Vec<_>>()
            .join(" · ")
    };
    let history = history
        .iter()
        .map(|v| VersionRow {
            label: rule_sets::label(RULES_AREA, Some(v), BUILTIN_NEWS_RULES),
            unit: v.unit_name.clone(),
            at: v
                .created_at
                .with_timezone(&domain::notify::CST)
                .format("%Y-%m-%d %H:%M")
                .to_string(),
            points: points(&v.rules),
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
            p: Chrome::new(a, "news-rules-title")
                .crumb(tr.t("news-desk-title"), Some("/correspondents".into())),
            action: format!("/news/rules/{id}"),
            in_force,
            levels: PlacementLevel::all()
                .iter()
                .map(|l| LevelField {
                    code: l.code(),
                    label: tr.label(*l),
                    value: input.of(*l).to_string(),
                })
                .collect(),
            note: input.note.clone(),
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
    Form(f): Form<NewsRulesInput>,
) -> AppResult {
    let cap = a.actor.authorize::<perm::RuleSetManage>()?;
    let (rules, note) = match f.parse() {
        Ok(x) => x,
        Err(errors) => return show(&state, &a, id, Some(f), errors).await,
    };
    let unit = OrgUnitId(id);
    let before = rule_sets::in_force::<NewsRules, _>(&state.store.db, &cap, RULES_AREA, unit)
        .await?
        .map_or(NEWS_RULES, |v| v.rules);
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
    Ok(a.redirect(&format!("/news/rules/{id}"), Flash::ok("news-rules-saved")))
}
