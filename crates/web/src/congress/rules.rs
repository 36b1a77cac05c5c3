//! Rule sets on the web: the rules in force for a union or school with the source of every
//! number, the history of versions, and a form that stores a new version (or, for a school
//! with rules of its own, goes back to its union's).

use super::into_fields;
use crate::chrome::{Chrome, Opt, coded_options};
use crate::ctx::{Auth, Flash};
use crate::error::{AppError, AppResult};
use crate::i18n::Tr;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use domain::FieldErrors;
use domain::auth::perm;
use domain::ids::OrgUnitId;
use domain::rules::{Rule, RuleSet, RuleSetInput, Source};
use serde::Deserialize;
use store::congress::rules as sr;

pub struct RuleRow {
    pub label: String,
    pub value: String,
    pub source: String,
    pub statute: bool,
}

fn value(tr: &Tr, r: &RuleSet, rule: Rule) -> String {
    let share = |k: &str, s: String| tr.t1(k, "share", s);
    match rule {
        Rule::Quorum => share("rule-at-least", r.quorum.share.display()),
        Rule::QuorumBase => tr.label(r.quorum_base),
        Rule::Pass => share(
            if r.pass.inclusive {
                "rule-at-least"
            } else {
                "rule-more-than"
            },
            r.pass.share.display(),
        ),
        Rule::PassBase => tr.label(r.pass_base),
        Rule::TeacherMin => share("rule-at-least", r.teacher_min.display()),
        Rule::LeaderMax => share("rule-at-most", r.leader_max.display()),
        Rule::YoungAge => tr.t1("rule-age-under", "age", r.young_age),
        Rule::Seconders => r.seconders.to_string(),
        Rule::AssemblyBelow => tr.t1("rule-staff-below", "count", r.assembly_below),
        Rule::MinMeetingsPerYear => r.min_meetings_per_year.to_string(),
        Rule::Extraordinary => share("rule-at-least", r.extraordinary.share.display()),
        Rule::MaxRehandleRounds => r.max_rehandle_rounds.to_string(),
        Rule::ReplyDays => tr.t1("rule-days", "days", r.reply_days),
        Rule::ElectionMargin => share("rule-at-least", r.election_margin.display()),
        Rule::ElectionPass => share(
            if r.election_pass.inclusive {
                "rule-at-least"
            } else {
                "rule-more-than"
            },
            r.election_pass.share.display(),
        ),
        Rule::ElectionBase => tr.label(r.election_base),
        Rule::EligibleEmployment => r
            .eligible_employment
            .types()
            .into_iter()
            .map(|t| tr.label(t))
            .collect::<Vec<_>>()
            .join(tr.t("list-separator").as_str()),
        Rule::ReviewMinRaters => r.review_min_raters.to_string(),
        Rule::ReviewAudience => tr.label(r.review_audience),
        Rule::TermYears => tr.ta(
            "rule-years",
            &[
                ("min", r.term_min_years.to_string()),
                ("max", r.term_max_years.to_string()),
            ],
        ),
    }
}

pub fn rule_rows(tr: &Tr, r: &RuleSet) -> Vec<RuleRow> {
    Rule::ALL
        .iter()
        .map(|rule| RuleRow {
            label: tr.t(&rule.label_key()),
            value: value(tr, r, *rule),
            source: tr.t(&rule.source_key()),
            statute: rule.source() == Source::Moe32,
        })
        .collect()
}

/// One text or number input of the rule-set form.
pub struct InputView {
    pub name: &'static str,
    pub label: String,
    pub value: String,
    pub number: bool,
    pub error: Option<String>,
}

fn inputs(tr: &Tr, f: &RuleSetInput, errors: &FieldErrors) -> Vec<InputView> {
    let err = |n: &str| errors.get(n).map(|e| tr.fe(e));
    let row =
        |name: &'static str, label: String, value: &str, number: bool, err_name: &str| InputView {
            name,
            label,
            value: value.to_string(),
            number,
            error: err(err_name),
        };
    vec![
        row(
            "quorum",
            tr.t(&Rule::Quorum.label_key()),
            &f.quorum,
            false,
            "quorum",
        ),
        row(
            "pass",
            tr.t(&Rule::Pass.label_key()),
            &f.pass,
            false,
            "pass",
        ),
        row(
            "teacher_min",
            tr.t(&Rule::TeacherMin.label_key()),
            &f.teacher_min,
            false,
            "teacher_min",
        ),
        row(
            "leader_max",
            tr.t(&Rule::LeaderMax.label_key()),
            &f.leader_max,
            false,
            "leader_max",
        ),
        row(
            "young_age",
            tr.t(&Rule::YoungAge.label_key()),
            &f.young_age,
            true,
            "young_age",
        ),
        row(
            "seconders",
            tr.t(&Rule::Seconders.label_key()),
            &f.seconders,
            true,
            "seconders",
        ),
        row(
            "assembly_below",
            tr.t(&Rule::AssemblyBelow.label_key()),
            &f.assembly_below,
            true,
            "assembly_below",
        ),
        row(
            "min_meetings",
            tr.t(&Rule::MinMeetingsPerYear.label_key()),
            &f.min_meetings,
            true,
            "min_meetings",
        ),
        row(
            "extraordinary",
            tr.t(&Rule::Extraordinary.label_key()),
            &f.extraordinary,
            false,
            "extraordinary",
        ),
        row(
            "max_rehandle",
            tr.t(&Rule::MaxRehandleRounds.label_key()),
            &f.max_rehandle,
            true,
            "max_rehandle",
        ),
        row(
            "reply_days",
            tr.t(&Rule::ReplyDays.label_key()),
            &f.reply_days,
            true,
            "reply_days",
        ),
        row(
            "term_min_years",
            tr.t("rule-term-min"),
            &f.term_min_years,
            true,
            "term_years",
        ),
        row(
            "term_max_years",
            tr.t("rule-term-max"),
            &f.term_max_years,
            true,
            "term_years",
        ),
        row(
            "election_margin",
            tr.t(&Rule::ElectionMargin.label_key()),
            &f.election_margin,
            false,
            "election_margin",
        ),
        row(
            "election_pass",
            tr.t(&Rule::ElectionPass.label_key()),
            &f.election_pass,
            false,
            "election_pass",
        ),
        row(
            "review_min_raters",
            tr.t(&Rule::ReviewMinRaters.label_key()),
            &f.review_min_raters,
            true,
            "review_min_raters",
        ),
        row(
            "eligible_employment",
            tr.t(&Rule::EligibleEmployment.label_key()),
            &f.eligible_employment,
            false,
            "eligible_employment",
        ),
        row("note", tr.t("rule-note"), &f.note, false, "note"),
    ]
}

pub struct VersionView {
    pub unit: String,
    pub version: i64,
    pub inherit: bool,
    pub at: String,
    pub note: String,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "congress/rules.html")]
struct RulesPage {
    p: Chrome,
    unit_id: i64,
    unit_name: String,
    source: String,
    rows: Vec<RuleRow>,
    history: Vec<VersionView>,
    can_edit: bool,
    own_rules: bool,
    inputs: Vec<InputView>,
    errors: FieldErrors,
    boundaries: Vec<Opt>,
    election_boundaries: Vec<Opt>,
    audiences: Vec<Opt>,
    /// Refusals of a base the form does not offer (posted anyway): said above the form.
    base_errors: Vec<String>,
}

async fn page_view(
    state: &AppState,
    a: &Auth,
    id: i64,
    f: Option<RuleSetInput>,
    errors: FieldErrors,
) -> AppResult {
    let db = &state.store.db;
    let unit = OrgUnitId(id);
    // Readable by whoever sees the congress there, or sets its rules.
    // The unit's path and rules are read with the capability that found its history.
    let (history, can_edit, u, eff) = match a.actor.authorize::<perm::RuleSetManage>() {
        Ok(cap) => match sr::history(db, &cap, unit).await {
            Ok(h) => (
                h,
                true,
                store::org::path(db, &cap, unit).await?,
                sr::effective(db, &cap, unit).await,
            ),
            Err(store::StoreError::NotFound) => {
                let view = a.actor.authorize::<perm::CongressView>()?;
                let h = sr::history(db, &view, unit).await?;
                (
                    h,
                    false,
                    store::org::path(db, &view, unit).await?,
                    sr::effective(db, &view, unit).await,
                )
            }
            Err(e) => return Err(e.into()),
        },
        Err(_) => {
            let view = a.actor.authorize::<perm::CongressView>()?;
            let h = sr::history(db, &view, unit).await?;
            (
                h,
                false,
                store::org::path(db, &view, unit).await?,
                sr::effective(db, &view, unit).await,
            )
        }
    };
    let unit_name = u.last().map(|x| x.name.clone()).ok_or(AppError::NotFound)?;
    if u.last()
        .is_some_and(|x| x.kind == domain::org::OrgKind::Branch)
    {
        return Err(AppError::NotFound);
    }
    let tr = a.tr;
    let mut errors = errors;
    // A version in force that is laxer than the statute is refused: the page says so at
    // the top, shows the statutory floor, and offers the form to store a new version.
    let eff = match eff {
        Ok(e) => e,
        Err(store::StoreError::Invalid(e)) => {
            errors.0.extend(e.0);
            sr::Effective {
                version: None,
                rules: RuleSet::STATUTE,
            }
        }
        Err(e) => return Err(e.into()),
    };
    let source = match &eff.version {
        Some(v) => tr.ta(
            "rules-version-of",
            &[
                ("unit", v.unit_name.clone()),
                ("version", v.version.to_string()),
            ],
        ),
        None => tr.t("rules-defaults"),
    };
    let own_rules = history
        .iter()
        .filter(|v| v.org_unit_id == unit)
        .max_by_key(|v| v.version)
        .is_some_and(|v| !v.inherit);
    let current_id = eff.id();
    let f = f.unwrap_or_else(|| RuleSetInput::from_rules(&eff.rules));
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let p = Chrome::new(a, "rules-title")
        .title_text(format!("{} · {}", tr.t("rules-title"), unit_name))
        .crumb(tr.t("congress-title"), Some("/congress".into()));
    let mut r = a.render(&RulesPage {
        p,
        unit_id: id,
        unit_name,
        source,
        rows: rule_rows(&tr, &eff.rules),
        history: history
            .iter()
            .map(|v| VersionView {
                unit: v.unit_name.clone(),
                version: v.version,
                inherit: v.inherit,
                at: tr.datetime(&v.created_at),
                note: v.note.clone().unwrap_or_default(),
                current: Some(v.id) == current_id,
            })
            .collect(),
        can_edit,
        own_rules,
        boundaries: vec![
            Opt::new("gt", tr.t("rule-boundary-gt"), f.pass_boundary != "ge"),
            Opt::new("ge", tr.t("rule-boundary-ge"), f.pass_boundary == "ge"),
        ],
        election_boundaries: vec![
            Opt::new(
                "gt",
                tr.t("rule-boundary-gt"),
                f.election_pass_boundary != "ge",
            ),
            Opt::new(
                "ge",
                tr.t("rule-boundary-ge"),
                f.election_pass_boundary == "ge",
            ),
        ],
        audiences: coded_options::<domain::rules::ReviewAudience>(&tr, &f.review_audience, None),
        base_errors: errors
            .0
            .iter()
            .filter(|e| matches!(e.field, "quorum_base" | "pass_base" | "election_base"))
            .map(|e| tr.fe(e))
            .collect(),
        inputs: inputs(&tr, &f, &errors),
        errors,
    })?;
    *r.status_mut() = status;
    Ok(r)
}

pub async fn page(State(state): State<AppState>, a: Auth, Path(id): Path<i64>) -> AppResult {
    page_view(&state, &a, id, None, FieldErrors::default()).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RulesForm {
    #[serde(flatten)]
    input: RuleSetInput,
    action: String,
}

pub async fn save(
    State(state): State<AppState>,
    a: Auth,
    Path(id): Path<i64>,
    Form(f): Form<RulesForm>,
) -> AppResult {
    let cap = a.actor.authorize::<perm::RuleSetManage>()?;
    sr::history(&state.store.db, &cap, OrgUnitId(id)).await?;
    let back = format!("/congress/rules/{id}");
    if f.action == "inherit" {
        return match sr::create_version(&state.store, &cap, &a.who(), OrgUnitId(id), None, None)
            .await
        {
            Ok(_) => Ok(a.redirect(&back, Flash::ok("rules-inherited"))),
            Err(e) => super::refused(&a, &back, e),
        };
    }
    let mut errors = FieldErrors::default();
    match f.input.parse() {
        Ok((rules, note)) => {
            match sr::create_version(
                &state.store,
                &cap,
                &a.who(),
                OrgUnitId(id),
                Some(&rules),
                note,
            )
            .await
            {
                Ok(_) => return Ok(a.redirect(&back, Flash::ok("rules-saved"))),
                Err(e) => into_fields(e, &mut errors)?,
            }
        }
        Err(e) => errors.0.extend(e.0),
    }
    page_view(&state, &a, id, Some(f.input), errors).await
}
