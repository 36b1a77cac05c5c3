//! The district's oversight table on the web and as .xlsx: every school in scope for one
//! school year, schools without a meeting that reached its quorum flagged for the annual
//! assessment unless the district recorded a justified exemption (shown with its reason,
//! who and when). A fixed number of queries however many schools there are.

use super::terms::term_name;
use crate::chrome::{Chrome, Opt};
use crate::ctx::{Auth, Flash};
use crate::error::{AppError, AppResult};
use crate::i18n::Tr;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Form, Query, State};
use domain::auth::{Permission, perm};
use domain::congress::school_year;
use domain::ids::OrgUnitId;
use serde::Deserialize;
use store::congress::oversight::{self as so, OversightRow};

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct YearQuery {
    year: String,
    flagged: String,
}

pub struct RowView {
    pub school_id: i64,
    pub school: String,
    pub area: String,
    pub term: String,
    pub term_id: Option<i64>,
    pub delegates: i64,
    pub held: String,
    pub quorum: String,
    pub quorum_bad: bool,
    pub received: i64,
    pub accepted: i64,
    pub answered: i64,
    pub satisfaction: String,
    pub overdue: i64,
    /// "1 carried over" when some overdue replies were submitted in earlier school years.
    pub carried: String,
    /// Links to the proposal list narrowed to what each figure counts.
    pub received_href: String,
    pub accepted_href: String,
    pub answered_href: String,
    pub overdue_href: String,
    pub warnings: Vec<String>,
    pub flagged: bool,
    /// "Exempted: reason (who, when)", or empty.
    pub exemption: String,
}

/// The proposal list narrowed to what one column counts for a school and year.
fn counted_href(school: i64, year: i32, c: so::Counted) -> String {
    format!(
        "/proposals?tab=all&school={school}&counted={}&year={year}",
        c.code()
    )
}

fn row_view(tr: &Tr, year: i32, r: &OversightRow) -> RowView {
    let id = r.school.0;
    RowView {
        school_id: r.school.0,
        school: r.school_name.clone(),
        area: r.area_name.clone().unwrap_or_default(),
        term: match r.term {
            Some((_, n, mode)) => term_name(tr, n, mode),
            None => tr.t("oversight-no-term"),
        },
        term_id: r.term.map(|t| t.0.0),
        delegates: r.delegates,
        held: format!("{} / {}", r.held, r.min_meetings),
        quorum: if r.meetings == 0 {
            String::new()
        } else if r.quorum_failed > 0 {
            tr.t1("oversight-quorum-failed", "count", r.quorum_failed)
        } else if r.quorum_reached > 0 {
            tr.t("oversight-quorum-ok")
        } else {
            tr.t("oversight-quorum-pending")
        },
        quorum_bad: r.quorum_failed > 0,
        received: r.received,
        accepted: r.accepted,
        answered: r.answered,
        satisfaction: r
            .satisfaction_percent()
            .map(|p| format!("{p}%"))
            .unwrap_or_default(),
        overdue: r.overdue,
        carried: if r.overdue_carried > 0 {
            tr.t1("oversight-carried", "count", r.overdue_carried)
        } else {
            String::new()
        },
        received_href: counted_href(id, year, so::Counted::Received),
        accepted_href: counted_href(id, year, so::Counted::Accepted),
        answered_href: counted_href(id, year, so::Counted::Answered),
        overdue_href: format!("/proposals?tab=all&school={id}&overdue=1"),
        warnings: r
            .warnings
            .iter()
            .map(|w| tr.ta(w.key(), &w.args()))
            .collect(),
        flagged: r.flagged(),
        exemption: r
            .exemption
            .as_ref()
            .map(|e| {
                tr.ta(
                    "oversight-exemption",
                    &[
                        ("reason", e.reason.clone()),
                        ("who", e.recorded_by.clone()),
                        ("at", tr.datetime(&e.recorded_at)),
                    ],
                )
            })
            .unwrap_or_default(),
    }
}

#[derive(Template)]
#[template(path = "congress/oversight.html")]
struct OversightPage {
    p: Chrome,
    rows: Vec<RowView>,
    years: Vec<Opt>,
    summary: String,
    /// "7 proposal replies overdue (2 carried over)", a link to them; empty when none.
    overdue_total: String,
    flagged_only: bool,
    xlsx_href: String,
    year: i32,
    can_exempt: bool,
}

async fn load(state: &AppState, a: &Auth, q: &YearQuery) -> AppResult<(i32, Vec<OversightRow>)> {
    let cap = a.actor.authorize::<perm::CongressOversight>()?;
    let this = school_year(crate::today());
    let year = q
        .year
        .parse::<i32>()
        .ok()
        .filter(|y| (this - 10..=this).contains(y))
        .unwrap_or(this);
    Ok((
        year,
        so::oversight(&state.store.db, &cap, year, crate::today()).await?,
    ))
}

pub async fn table(
    State(state): State<AppState>,
    a: Auth,
    Query(q): Query<YearQuery>,
) -> AppResult {
    let (year, rows) = load(&state, &a, &q).await?;
    let tr = a.tr;
    let flagged = rows.iter().filter(|r| r.flagged()).count();
    let summary = tr.ta(
        "oversight-summary",
        &[
            ("schools", rows.len().to_string()),
            (
                "held",
                rows.iter().filter(|r| r.held > 0).count().to_string(),
            ),
            ("flagged", flagged.to_string()),
        ],
    );
    let overdue: i64 = rows.iter().map(|r| r.overdue).sum();
    let carried: i64 = rows.iter().map(|r| r.overdue_carried).sum();
    let overdue_total = match (overdue, carried) {
        (0, _) => String::new(),
        (n, 0) => tr.t1("oversight-overdue-total", "count", n),
        (n, c) => format!(
            "{}{}",
            tr.t1("oversight-overdue-total", "count", n),
            tr.t1("oversight-carried-paren", "count", c)
        ),
    };
    let flagged_only = q.flagged == "1";
    let rows: Vec<RowView> = rows
        .iter()
        .filter(|r| !flagged_only || r.flagged())
        .map(|r| row_view(&tr, year, r))
        .collect();
    let this = school_year(crate::today());
    let years = (this - 4..=this)
        .rev()
        .map(|y| {
            Opt::new(
                y,
                tr.ta(
                    "school-year",
                    &[("from", y.to_string()), ("to", (y + 1).to_string())],
                ),
                y == year,
            )
        })
        .collect();
    a.render(&OversightPage {
        p: Chrome::new(&a, "oversight-title"),
        rows,
        years,
        summary,
        overdue_total,
        flagged_only,
        xlsx_href: format!("/congress/oversight.xlsx?year={year}"),
        year,
        can_exempt: a.actor.may(Permission::CongressExempt),
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ExemptForm {
    school: String,
    year: String,
    reason: String,
}

/// Records the district's justified exemption of a school from the year's meeting.
pub async fn exempt(
    State(state): State<AppState>,
    a: Auth,
    Form(f): Form<ExemptForm>,
) -> AppResult {
    let cap = a.actor.authorize::<perm::CongressExempt>()?;
    let school: i64 = f.school.trim().parse().map_err(|_| AppError::NotFound)?;
    let this = school_year(crate::today());
    let year = f
        .year
        .trim()
        .parse::<i32>()
        .ok()
        .filter(|y| (this - 10..=this).contains(y))
        .ok_or(AppError::BadRequest)?;
    let back = format!("/congress/oversight?year={year}");
    match so::record_exemption(
        &state.store,
        &cap,
        &a.who(),
        OrgUnitId(school),
        year,
        &f.reason,
    )
    .await
    {
        Ok(()) => Ok(a.redirect(&back, Flash::ok("oversight-exempted"))),
        Err(e) => super::refused(&a, &back, e),
    }
}

pub async fn xlsx(State(state): State<AppState>, a: Auth, Query(q): Query<YearQuery>) -> AppResult {
    let (year, rows) = load(&state, &a, &q).await?;
    let tr = a.tr;
    let bytes = workbook(&tr, year, &rows).map_err(|e| AppError::Internal(format!("xlsx: {e}")))?;
    Ok(super::xlsx(
        bytes,
        &format!("{}-{year}.xlsx", tr.t("oversight-title")),
        &format!("congress-oversight-{year}.xlsx"),
    ))
}

fn workbook(
    tr: &Tr,
    year: i32,
    rows: &[OversightRow],
) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();
    let ws = wb.add_worksheet();
    ws.set_name(tr.ta(
        "school-year",
        &[("from", year.to_string()), ("to", (year + 1).to_string())],
    ))?;
    let heads = [
        "col-area",
        "col-school",
        "col-term",
        "col-delegates",
        "oversight-held",
        "oversight-quorum",
        "oversight-received",
        "oversight-accepted",
        "oversight-answered",
        "oversight-satisfaction",
        "col-overdue",
        "oversight-warnings",
        "oversight-flag",
        "oversight-exemption-col",
    ];
    for (c, h) in heads.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, tr.t(h), &bold)?;
    }
    for (i, r) in rows.iter().enumerate() {
        let v = row_view(tr, year, r);
        let row = i as u32 + 1;
        ws.write_string(row, 0, &v.area)?;
        ws.write_string(row, 1, &v.school)?;
        ws.write_string(row, 2, &v.term)?;
        ws.write_number(row, 3, v.delegates as f64)?;
        // "1 / 1": held out of the meetings the rule set asks for, as on screen.
        ws.write_string(row, 4, &v.held)?;
        ws.write_string(row, 5, &v.quorum)?;
        ws.write_number(row, 6, v.received as f64)?;
        ws.write_number(row, 7, v.accepted as f64)?;
        ws.write_number(row, 8, v.answered as f64)?;
        ws.write_string(row, 9, &v.satisfaction)?;
        if v.carried.is_empty() {
            ws.write_number(row, 10, v.overdue as f64)?;
        } else {
            ws.write_string(row, 10, format!("{} ({})", v.overdue, v.carried))?;
        }
        ws.write_string(row, 11, v.warnings.join(&tr.t("list-separator")))?;
        if v.flagged {
            ws.write_string(row, 12, tr.t("oversight-flagged"))?;
        }
        if !v.exemption.is_empty() {
            ws.write_string(row, 13, &v.exemption)?;
        }
    }
    ws.set_column_width(1, 28)?;
    ws.set_column_width(11, 40)?;
    wb.save_to_buffer()
}
