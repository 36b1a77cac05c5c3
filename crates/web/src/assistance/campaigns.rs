//! Seasonal campaigns on the web (送温暖, 金秋助学): the campaigns a reader sees with the
//! form that opens one (period, budget), a campaign's totals and progress by school, its
//! beneficiaries (grants of the campaign, approved and paid on the fund page like any
//! grant) and the form that lists an open hardship file in it.
//!
//! Beneficiaries are hardship members: the page needs an assistance permission and shows
//! only the reader's schools; no amount of a household or reason is shown.

use super::today;
use crate::chrome::{Chrome, Opt, coded_options};
use crate::congress::{into_fields, refused};
use crate::ctx::{Auth, Flash};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use domain::assistance::*;
use domain::auth::{Permission, perm};
use domain::ids::OrgUnitId;
use domain::org::Coded;
use domain::{FieldError, FieldErrors};
use serde::Deserialize;
use store::StoreError;
use store::assistance::campaigns;

pub struct CampaignView {
    pub id: i64,
    pub name: String,
    pub kind: String,
    pub unit: String,
    pub period: String,
    pub budget: String,
}

fn campaign_view(tr: &crate::i18n::Tr, c: &campaigns::Campaign) -> CampaignView {
    CampaignView {
        id: c.id.0,
        name: c.name.clone(),
        kind: tr.label(c.kind),
        unit: c.unit_name.clone(),
        period: format!("{} – {}", tr.date(&c.starts_on), tr.date(&c.ends_on)),
        budget: yuan(c.budget_fen),
    }
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct CampaignForm {
    unit: String,
    kind: String,
    name: String,
    from: String,
    to: String,
    budget: String,
}

#[derive(Template)]
#[template(path = "assistance/campaigns.html")]
struct CampaignsPage {
    p: Chrome,
    campaigns: Vec<CampaignView>,
    can_create: bool,
    f: CampaignForm,
    kinds: Vec<Opt>,
    errors: FieldErrors,
    error_texts: Vec<String>,
}

async fn campaigns_page(
    state: &AppState,
    a: &Auth,
    mut f: CampaignForm,
    errors: FieldErrors,
) -> AppResult {
    let cap = a.actor.authorize::<perm::AssistanceView>()?;
    let tr = a.tr;
    let list = campaigns::list(&state.store.db, &cap).await?;
    if f.unit.is_empty() {
        f.unit = a
            .actor
            .roots_for(Permission::AssistanceConfirm)
            .first()
            .map(|u| u.0.to_string())
            .unwrap_or_default();
    }
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let p = Chrome::new(a, "assistance-campaigns-title")
        .crumb(tr.t("nav-assistance"), Some("/assistance".into()));
    let mut r = a.render(&CampaignsPage {
        p,
        campaigns: list.iter().map(|c| campaign_view(&tr, c)).collect(),
        can_create: a.actor.may(Permission::AssistanceConfirm),
        kinds: coded_options::<CampaignKind>(&tr, f.kind.trim(), None),
        error_texts: errors.0.iter().map(|e| tr.fe(e)).collect(),
        f,
        errors,
    })?;
    *r.status_mut() = status;
    Ok(r)
}

pub async fn list(State(state): State<AppState>, a: Auth) -> AppResult {
    campaigns_page(&state, &a, CampaignForm::default(), FieldErrors::default()).await
}

/// Opens a campaign; every problem comes back at its field with what was typed.
pub async fn create(
    State(state): State<AppState>,
    a: Auth,
    Form(f): Form<CampaignForm>,
) -> AppResult {
    let cap = a.actor.authorize::<perm::AssistanceConfirm>()?;
    let mut errors = FieldErrors::default();
    let kind = if f.kind.trim().is_empty() {
        errors.push(FieldError::new("kind", domain::text::REQUIRED));
        None
    } else {
        errors.take(domain::org::parse_choice::<CampaignKind>("kind", &f.kind))
    };
    if f.name.trim().is_empty() {
        errors.push(FieldError::new("name", t_name()));
    }
    let period = errors.take(parse_period(&f.from, &f.to, 366));
    let budget = if f.budget.trim().is_empty() {
        errors.push(FieldError::new("budget", domain::text::REQUIRED));
        None
    } else {
        errors.take(parse_amount("budget", &f.budget))
    };
    let unit = f.unit.trim().parse::<i64>().ok().map(OrgUnitId);
    if unit.is_none() {
        errors.push(FieldError::new("unit", domain::text::REQUIRED));
    }
    if let (Some(kind), Some(period), Some(budget), Some(unit), true) =
        (kind, period, budget, unit, errors.is_empty())
    {
        match campaigns::create(
            &state.store,
            &cap,
            &a.who(),
            unit,
            kind,
            &f.name,
            period,
            budget,
        )
        .await
        {
            Ok(id) => {
                return Ok(a.redirect(
                    &format!("/assistance/campaigns/{id}"),
                    Flash::ok("assistance-campaign-created"),
                ));
            }
            Err(StoreError::NotFound) => return Err(AppError::NotFound),
            Err(e) => into_fields(e, &mut errors)?,
        }
    }
    campaigns_page(&state, &a, f, errors).await
}

fn t_name() -> &'static str {
    domain::assistance::text::CAMPAIGN_NAME_REQUIRED
}

pub struct BeneficiaryView {
    pub member: String,
    pub school: String,
    pub amount: String,
    pub status: String,
    pub status_code: &'static str,
}

#[derive(Template)]
#[template(path = "assistance/campaign.html")]
struct CampaignPage {
    p: Chrome,
    c: CampaignView,
    totals: campaigns::Totals,
    listed: String,
    paid: String,
    left: String,
    schools: Vec<(String, i64, i64, String)>,
    beneficiaries: Vec<BeneficiaryView>,
    can_add: bool,
    /// The batch list: open files of the reader's schools under the campaign's unit not yet
    /// listed, deepest hardship first.
    files: Vec<BatchRow>,
    /// Open files per school not yet listed: (school, count).
    to_list: Vec<(String, usize)>,
}

/// A file on the campaign's batch list.
pub struct BatchRow {
    pub id: i64,
    pub member: String,
    pub school: String,
    pub level: String,
    pub level_code: &'static str,
}

pub async fn show(State(state): State<AppState>, a: Auth, Path(id): Path<i64>) -> AppResult {
    let cap = a.actor.authorize::<perm::AssistanceView>()?;
    let db = &state.store.db;
    let tr = a.tr;
    let c = campaigns::get(db, &cap, CampaignId(id)).await?;
    let totals = campaigns::totals(db, &cap, c.id).await?;
    let grants = store::assistance::grants::of_campaign(db, &cap, c.id).await?;
    let can_add = a.actor.may(Permission::AssistanceDraft);
    let listed_files: Vec<i64> = grants.iter().map(|g| g.file_id.0).collect();
    let mut files: Vec<BatchRow> = if can_add {
        store::assistance::files::list(
            db,
            &cap,
            &store::assistance::files::Filter {
                status: Some(FileStatus::Open),
                unit: Some(c.org_unit_id),
                ..Default::default()
            },
            500,
        )
        .await?
        .into_iter()
        .filter(|f| !listed_files.contains(&f.id.0))
        .map(|f| BatchRow {
            id: f.id.0,
            member: f.member_name,
            school: f.school_name,
            level: tr.label(f.level),
            level_code: f.level.code(),
        })
        .collect()
    } else {
        Vec::new()
    };
    // Deep hardship first, then by school and name: the order a campaign visits in.
    files.sort_by(|a, b| {
        (
            a.level_code != HardshipLevel::Deep.code(),
            &a.school,
            &a.member,
        )
            .cmp(&(
                b.level_code != HardshipLevel::Deep.code(),
                &b.school,
                &b.member,
            ))
    });
    let mut to_list: Vec<(String, usize)> = Vec::new();
    for f in &files {
        match to_list.iter_mut().find(|(s, _)| *s == f.school) {
            Some(e) => e.1 += 1,
            None => to_list.push((f.school.clone(), 1)),
        }
    }
    to_list.sort();
    let p = Chrome::new(&a, "assistance-campaign-title")
        .title_text(c.name.clone())
        .crumb(tr.t("nav-assistance"), Some("/assistance".into()))
        .crumb(
            tr.t("assistance-campaigns-title"),
            Some("/assistance/campaigns".into()),
        );
    a.render(&CampaignPage {
        p,
        c: campaign_view(&tr, &c),
        listed: tr.ta(
            "assistance-campaign-count-amount",
            &[
                ("count", totals.listed.to_string()),
                ("amount", yuan(totals.listed_fen)),
            ],
        ),
        paid: tr.ta(
            "assistance-campaign-count-amount",
            &[
                ("count", totals.paid.to_string()),
                ("amount", yuan(totals.paid_fen)),
            ],
        ),
        left: yuan(c.budget_fen - totals.listed_fen),
        schools: totals
            .schools
            .iter()
            .map(|s| (s.0.clone(), s.1, s.2, yuan(s.3)))
            .collect(),
        totals,
        beneficiaries: grants
            .into_iter()
            .map(|g| BeneficiaryView {
                member: g.member_name,
                school: g.school_name,
                amount: yuan(g.amount_fen),
                status: tr.label(g.status),
                status_code: g.status.code(),
            })
            .collect(),
        can_add,
        files,
        to_list,
    })
}

/// Lists the ticked open files in the campaign, each as a grant of the campaign (applied;
/// the two approvals and the payment follow as for any grant), all with the same amount.
/// Each is listed or refused on its own (the budget may run out part-way): the message says
/// how many were listed and why the others were not.
pub async fn add(
    State(state): State<AppState>,
    a: Auth,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> AppResult {
    let cap = a.actor.authorize::<perm::AssistanceDraft>()?;
    let back = format!("/assistance/campaigns/{id}");
    let field = |k: &str| {
        pairs
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_default()
    };
    let amount = match parse_amount("amount", &field("amount")) {
        Ok(v) => v,
        Err(e) => return refused(&a, &back, StoreError::Invalid(FieldErrors(vec![e]))),
    };
    let mut files = Vec::new();
    for (_, v) in pairs.iter().filter(|(n, _)| n == "file") {
        match v.trim().trim_start_matches('#').parse::<i64>() {
            Ok(f) if !files.contains(&f) => files.push(f),
            Ok(_) => {}
            Err(_) => {
                return refused(&a, &back, StoreError::field("file", domain::text::REQUIRED));
            }
        }
    }
    if files.is_empty() {
        return refused(
            &a,
            &back,
            StoreError::field("file", domain::assistance::text::BATCH_NONE_CHOSEN),
        );
    }
    let reason = match field("reason") {
        r if r.is_empty() => a.tr.t("assistance-campaign-default-reason"),
        r => r,
    };
    let (mut listed, mut refusals) = (0usize, Vec::new());
    for file in files {
        match campaigns::add(
            &state.store,
            &cap,
            &a.who(),
            CampaignId(id),
            HardshipFileId(file),
            amount,
            &reason,
            today(),
        )
        .await
        {
            Ok(_) => listed += 1,
            Err(StoreError::NotFound) if listed == 0 && refusals.is_empty() => {
                return Err(AppError::NotFound);
            }
            Err(StoreError::Invalid(f)) => refusals.extend(f.0),
            Err(StoreError::NotFound) => {
                refusals.push(FieldError::new("file", domain::text::REQUIRED))
            }
            Err(e) => return Err(e.into()),
        }
    }
    let flash = match refusals.first() {
        None if listed == 1 => Flash::ok("assistance-campaign-added"),
        None => Flash::ok("assistance-campaign-batch-added").arg("count", listed),
        Some(first) if listed == 0 && refusals.len() == 1 => crate::congress::flash_of(first),
        Some(first) => Flash::warn("assistance-campaign-batch-partial")
            .arg("count", listed)
            .arg("refused", refusals.len())
            .arg("reason", a.tr.fe(first)),
    };
    Ok(a.redirect(&back, flash))
}

#[derive(Template)]
#[template(path = "assistance/campaign_sheet.html")]
struct SheetPage {
    p: Chrome,
    c: CampaignView,
    rows: Vec<BeneficiaryView>,
    total: String,
}

/// The campaign's sign-off sheet (慰问金发放签收表) for printing: every beneficiary in the
/// reader's schools with the amount and an empty column to sign. No reason, no income.
pub async fn sheet(State(state): State<AppState>, a: Auth, Path(id): Path<i64>) -> AppResult {
    let cap = a.actor.authorize::<perm::AssistanceView>()?;
    let db = &state.store.db;
    let tr = a.tr;
    let c = campaigns::get(db, &cap, CampaignId(id)).await?;
    let grants = store::assistance::grants::of_campaign(db, &cap, c.id).await?;
    let total = grants.iter().map(|g| g.amount_fen).sum::<i64>();
    let p = Chrome::new(&a, "assistance-campaign-sheet")
        .title_text(format!(
            "{} · {}",
            c.name,
            tr.t("assistance-campaign-sheet")
        ))
        .crumb(
            tr.t("assistance-campaigns-title"),
            Some("/assistance/campaigns".into()),
        )
        .crumb(c.name.clone(), Some(format!("/assistance/campaigns/{id}")));
    a.render(&SheetPage {
        p,
        c: campaign_view(&tr, &c),
        total: tr.ta(
            "assistance-campaign-count-amount",
            &[("count", grants.len().to_string()), ("amount", yuan(total))],
        ),
        rows: grants
            .into_iter()
            .map(|g| BeneficiaryView {
                member: g.member_name,
                school: g.school_name,
                amount: yuan(g.amount_fen),
                status: tr.label(g.status),
                status_code: g.status.code(),
            })
            .collect(),
    })
}
