//! `/elections/rules/{unit}`: the election rule set in force for a unit (term lengths, the
//! competitive margin, the quorum, "more than half", the notice, vacancy and approval
//! days — every number local until the regulation's text is read), the versions that
//! reach it, and the upper union's form that stores a new version for the unit. A version
//! is never edited; each election step names the version that decided it.
//!
//! Reading takes `ElectionView` within the reader's scope; storing takes
//! `ElectionApprove` (the upper union), and the store checks the unit. A refused form
//! comes back as 422 with every value typed and the reason at its field.

use crate::chrome::Chrome;
use crate::ctx::{Auth, Flash};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Form, Path, State};
use domain::FieldErrors;
use domain::auth::{Permission, perm};
use domain::elections::{ChairElection, ElectionRules, RulesInput};
use domain::ids::OrgUnitId;
use store::StoreError;
use store::elections::rules;

/// One number of the form.
pub struct FieldRow {
    pub name: &'static str,
    pub value: String,
    pub label: &'static str,
    pub hint: &'static str,
}

/// A stored version in the history table.
pub struct VersionRow {
    pub version: i64,
    pub unit: String,
    pub at: String,
    pub numbers: String,
    pub note: String,
}

#[derive(Template)]
#[template(path = "elections/rules.html")]
struct RulesPage {
    p: Chrome,
    action: String,
    in_force: String,
    fields: Vec<FieldRow>,
    can_edit: bool,
    history: Vec<VersionRow>,
    /// Who elects the chair under the version in force, in words.
    chair_by: String,
    /// The choice's options: (code, label, selected).
    chair_opts: Vec<(String, String, bool)>,
    errors: FieldErrors,
}

fn numbers(tr: &crate::i18n::Tr, r: &ElectionRules) -> String {
    format!(
        "{} · {} · {} · {} · {} · {} · {} · {}",
        r.terms_text(),
        r.margin.display(),
        r.quorum.display(),
        r.elect.display(),
        r.notice_months,
        r.vacancy_days,
        r.approval_days,
        tr.t(r.chair_by.label_key())
    )
}

async fn show(
    state: &AppState,
    a: &Auth,
    id: i64,
    typed: Option<RulesInput>,
    errors: FieldErrors,
) -> AppResult {
    let cap = a.actor.authorize::<perm::ElectionView>()?;
    let history = rules::history(&state.store, &cap, OrgUnitId(id)).await?;
    let tr = a.tr;
    let (current, in_force) = match history.first() {
        Some((v, unit)) => (
            v.rules.clone(),
            tr.ta(
                "elections-rules-in-force",
                &[("version", v.version.to_string()), ("unit", unit.clone())],
            ),
        ),
        None => (
            ElectionRules::default_rules(),
            tr.t("elections-rules-builtin"),
        ),
    };
    let f = typed.unwrap_or_else(|| RulesInput::of(&current));
    let row = |name, value: &String, label, hint| FieldRow {
        name,
        value: value.clone(),
        label,
        hint,
    };
    let ratio = "elections-rules-ratio-hint";
    let fields = vec![
        row(
            "term_years",
            &f.term_years,
            "elections-rules-term-years",
            "elections-rules-term-years-hint",
        ),
        row("margin", &f.margin, "elections-rules-margin", ratio),
        row("quorum", &f.quorum, "elections-rules-quorum", ratio),
        row("elect", &f.elect, "elections-rules-elect", ratio),
        row(
            "notice_months",
            &f.notice_months,
            "elections-rules-notice",
            "",
        ),
        row(
            "vacancy_days",
            &f.vacancy_days,
            "elections-rules-vacancy",
            "",
        ),
        row(
            "approval_days",
            &f.approval_days,
            "elections-rules-approval",
            "",
        ),
        row("note", &f.note, "elections-rules-note", ""),
    ];
    let history = history
        .iter()
        .map(|(v, unit)| VersionRow {
            version: v.version,
            unit: unit.clone(),
            at: v
                .created_at
                .with_timezone(&domain::notify::CST)
                .format("%Y-%m-%d %H:%M")
                .to_string(),
            numbers: numbers(&tr, &v.rules),
            note: v.note.clone().unwrap_or_default(),
        })
        .collect();
    let page = RulesPage {
        p: Chrome::new(a, "elections-rules-title")
            .crumb(tr.t("nav-elections"), Some("/elections".into())),
        action: format!("/elections/rules/{id}"),
        in_force,
        fields,
        can_edit: a.actor.may(Permission::ElectionApprove),
        history,
        chair_by: tr.t(current.chair_by.label_key()),
        chair_opts: [ChairElection::Committee, ChairElection::Assembly]
            .into_iter()
            .map(|c| {
                (
                    c.code().to_string(),
                    tr.t(c.label_key()),
                    f.chair_by.trim() == c.code(),
                )
            })
            .collect(),
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
    Form(f): Form<RulesInput>,
) -> AppResult {
    let cap = a.actor.authorize::<perm::ElectionApprove>()?;
    let (r, note) = match f.parse() {
        Ok(x) => x,
        Err(errors) => return show(&state, &a, id, Some(f), errors).await,
    };
    match rules::add_version(
        &state.store,
        &cap,
        &a.who(),
        OrgUnitId(id),
        &r,
        note.as_deref(),
    )
    .await
    {
        Ok(_) => Ok(a.redirect(
            &format!("/elections/rules/{id}"),
            Flash::ok("elections-rules-saved"),
        )),
        Err(StoreError::NotFound) => Err(AppError::NotFound),
        Err(StoreError::Invalid(errors)) => show(&state, &a, id, Some(f), errors).await,
        Err(e) => Err(e.into()),
    }
}
