//! Winners forwarded to the next level on the web: the upper level's sheet of a published
//! contest as .xlsx (`/contests/{id}/forward.xlsx`, which marks the winners forwarded),
//! and the upper level's result recorded back on a winner (`POST /contests/{id}/upper`;
//! refused at its field on the results page, 422, what was typed kept). The results page
//! shows every winner's upper result.
//!
//! Must never: let anyone but the organizer's staff forward or record (the store checks
//! the organizer's scope); show a result of another contest's entry (the store joins on
//! the contest).

use super::{Refused, results_page};
use crate::ctx::{Auth, Flash};
use crate::error::{AppError, AppResult};
use crate::i18n::Tr;
use crate::state::AppState;
use axum::extract::{Form, Path, State};
use domain::auth::perm;
use domain::contests::show_centi;
use domain::contests::{ContestEntryId, ContestId};
use std::collections::HashMap;
use store::StoreError;
use store::contests::upper::{self as up, UpperForm, UpperLine};

/// A winner as shown with its upper result.
pub struct UpperView {
    pub entry: i64,
    pub code: String,
    pub title: String,
    pub entrants: String,
    pub school: String,
    pub tier: String,
    pub forwarded: String,
    /// The upper result as a line ("市课件评比 · 二等奖 · 市级"), empty when none.
    pub result: String,
    pub name: String,
    pub level_code: String,
    pub tier_code: String,
    pub on: String,
}

pub fn views(tr: &Tr, lines: Vec<UpperLine>) -> Vec<UpperView> {
    lines
        .into_iter()
        .map(|l| {
            let result = match (&l.upper_name, l.upper_level) {
                (Some(n), Some(lv)) => format!(
                    "{n} · {} · {}",
                    l.upper_tier
                        .map(|t| tr.label(t))
                        .unwrap_or_else(|| tr.t("contests-upper-none")),
                    tr.label(lv)
                ),
                _ => String::new(),
            };
            UpperView {
                entry: l.entry.0,
                code: l.code,
                title: l.title,
                entrants: l.entrants,
                school: l.school_name,
                tier: tr.label(l.tier),
                forwarded: l.forwarded_on.map(|d| tr.date(&d)).unwrap_or_default(),
                result,
                name: l.upper_name.unwrap_or_default(),
                level_code: l
                    .upper_level
                    .map(|x| domain::org::Coded::code(x).to_string())
                    .unwrap_or_default(),
                tier_code: l
                    .upper_tier
                    .map(|x| domain::org::Coded::code(x).to_string())
                    .unwrap_or_default(),
                on: l.upper_on.map(|d| d.to_string()).unwrap_or_default(),
            }
        })
        .collect()
}

/// The upper level's sheet: the winners by place, with the unit forwarding them.
pub async fn forward_xlsx(
    State(state): State<AppState>,
    a: Auth,
    Path(id): Path<i64>,
) -> AppResult {
    let cap = a.actor.authorize::<perm::ContestManage>()?;
    let view = a.actor.authorize::<perm::ContestView>()?;
    let db = &state.store.db;
    let c = match store::contests::get(db, &view, ContestId(id)).await {
        Ok(c) => c,
        Err(StoreError::NotFound) => return Err(AppError::NotFound),
        Err(e) => return Err(e.into()),
    };
    let lines = match up::forward(&state.store, &cap, &a.who(), ContestId(id), crate::today()).await
    {
        Ok(l) => l,
        Err(StoreError::NotFound) => return Err(AppError::NotFound),
        Err(e) => return crate::congress::refused(&a, &format!("/contests/{id}/results"), e),
    };
    let tr = a.tr;
    let err = |e: rust_xlsxwriter::XlsxError| AppError::Internal(e.to_string());
    let mut wb = rust_xlsxwriter::Workbook::new();
    let bold = rust_xlsxwriter::Format::new().set_bold();
    let ws = wb.add_worksheet();
    ws.write_string_with_format(
        0,
        0,
        format!("{} · {}", c.name, tr.t("contests-upper-title")),
        &bold,
    )
    .map_err(err)?;
    let heads = [
        "contests-col-rank",
        "contests-col-unit",
        "col-school",
        "contests-col-category",
        "contests-col-title",
        "contests-col-entrants",
        "contests-col-tier",
        "contests-col-score",
        "contests-col-certificate",
    ];
    for (i, h) in heads.iter().enumerate() {
        ws.write_string_with_format(1, i as u16, tr.t(h), &bold)
            .map_err(err)?;
        ws.set_column_width(i as u16, if i == 4 { 32 } else { 14 })
            .map_err(err)?;
    }
    for (i, l) in lines.iter().enumerate() {
        let r = i as u32 + 2;
        ws.write_number(r, 0, l.place as f64).map_err(err)?;
        ws.write_string(r, 1, &c.organizer_name).map_err(err)?;
        ws.write_string(r, 2, &l.school_name).map_err(err)?;
        ws.write_string(r, 3, l.category.clone().unwrap_or_default())
            .map_err(err)?;
        ws.write_string(r, 4, &l.title).map_err(err)?;
        ws.write_string(r, 5, &l.entrants).map_err(err)?;
        ws.write_string(r, 6, tr.label(l.tier)).map_err(err)?;
        ws.write_string(r, 7, show_centi(l.score_centi))
            .map_err(err)?;
        ws.write_string(r, 8, l.certificate.clone().unwrap_or_default())
            .map_err(err)?;
    }
    let bytes = wb.save_to_buffer().map_err(err)?;
    let name = format!("{}-{}.xlsx", c.name, tr.t("contests-upper-title"));
    Ok(crate::org::import::xlsx_response(bytes, &name))
}

/// Records the upper level's result on a winner.
pub async fn record(
    State(state): State<AppState>,
    a: Auth,
    Path(id): Path<i64>,
    Form(vals): Form<HashMap<String, String>>,
) -> AppResult {
    let cap = a.actor.authorize::<perm::ContestManage>()?;
    let get = |k: &str| vals.get(k).cloned().unwrap_or_default();
    let Some(entry) = get("entry").trim().parse::<i64>().ok() else {
        return Err(AppError::NotFound);
    };
    let form = UpperForm {
        name: get("name"),
        level: get("level"),
        tier: get("tier"),
        on: get("on"),
    };
    match up::record(
        &state.store,
        &cap,
        &a.who(),
        ContestId(id),
        ContestEntryId(entry),
        &form,
    )
    .await
    {
        Ok(()) => Ok(a.redirect(
            &format!("/contests/{id}/results"),
            Flash::ok("contests-upper-saved"),
        )),
        Err(StoreError::Invalid(errors)) => {
            results_page(
                &state,
                &a,
                id,
                Refused {
                    form: "upper".into(),
                    vals,
                    errors,
                },
            )
            .await
        }
        Err(StoreError::NotFound) => Err(AppError::NotFound),
        Err(e) => Err(e.into()),
    }
}
