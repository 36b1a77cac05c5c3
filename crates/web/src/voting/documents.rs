//! The results documents: a poll's result sheet (the resolution with its vote, the list of
//! those elected, the cadre-review table) as a print view and as .xlsx, and the minutes
//! draft of a meeting, which gathers attendance, the agenda, every poll's result and the
//! rule-set version that decided it.

use super::{ResultView, read_poll, result_view};
use crate::chrome::Chrome;
use crate::congress::read_meeting;
use crate::congress::terms::meeting_name;
use crate::ctx::Auth;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, State};
use domain::voting::*;
use store::congress::attendance as sa;
use store::congress::meetings as sm;
use store::voting as sv;

/// A result that the reader may see, or the reason why not.
pub(crate) async fn visible_result(
    state: &AppState,
    a: &Auth,
    id: i64,
) -> AppResult<(sv::Poll, sm::Meeting, Option<ResultView>)> {
    let (reader, p) = read_poll(state, a, id).await?;
    let db = &state.store.db;
    let m = sm::get_meeting(db, reader.viewer(), p.meeting_id).await?;
    if p.status != PollStatus::Published {
        return Err(AppError::NotFound);
    }
    if let Some(PollResult::CadreReview(r)) = &p.result {
        let see = super::review_visible(state, a, &p).await?;
        if !see || !r.shown {
            return Err(AppError::Forbidden);
        }
    }
    let options = sv::options(db, reader.viewer(), p.id).await?;
    let paper = sv::paper(db, &p).await?;
    let view = result_view(state, reader.viewer(), &a.tr, &p, &options, paper.as_ref()).await?;
    Ok((p, m, view))
}

#[derive(Template)]
#[template(path = "voting/result.html")]
struct ResultPage {
    p: Chrome,
    id: i64,
    school: String,
    meeting: String,
    title: String,
    kind: String,
    mode: String,
    r: ResultView,
    date: String,
}

pub async fn result(State(state): State<AppState>, a: Auth, Path(id): Path<i64>) -> AppResult {
    let (p, m, view) = visible_result(&state, &a, id).await?;
    let tr = a.tr;
    let view = view.ok_or(AppError::NotFound)?;
    let name = meeting_name(&tr, m.term_number, m.number, m.mode);
    let chrome = Chrome::new(&a, "result-title")
        .title_text(format!("{} · {}", p.title, tr.t("result-title")))
        .crumb(tr.t("congress-title"), Some("/congress".into()))
        .crumb(name.clone(), Some(format!("/congress/meetings/{}", m.id.0)))
        .crumb(p.title.clone(), Some(format!("/polls/{id}")));
    a.render(&ResultPage {
        p: chrome,
        id,
        school: m.school_name.clone(),
        meeting: name,
        title: p.title.clone(),
        kind: tr.label(p.kind),
        mode: tr.label(p.mode),
        r: view,
        date: tr.date(&crate::today()),
    })
}

pub async fn result_xlsx(State(state): State<AppState>, a: Auth, Path(id): Path<i64>) -> AppResult {
    let (p, m, view) = visible_result(&state, &a, id).await?;
    let view = view.ok_or(AppError::NotFound)?;
    let tr = a.tr;
    let bytes = workbook(&m.school_name, &p.title, &view)
        .map_err(|e| AppError::Internal(format!("xlsx: {e}")))?;
    Ok(crate::congress::xlsx(
        bytes,
        &format!("{}-{}.xlsx", p.title, tr.t("result-title")),
        &format!("poll-result-{id}.xlsx"),
    ))
}

fn workbook(
    school: &str,
    title: &str,
    r: &ResultView,
) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();
    let ws = wb.add_worksheet();
    ws.write_string_with_format(0, 0, title, &bold)?;
    ws.write_string(1, 0, school)?;
    ws.write_string_with_format(3, 0, &r.heading, &bold)?;
    let mut row = 4;
    ws.write_string_with_format(row, 0, &r.corner, &bold)?;
    for (i, c) in r.columns.iter().enumerate() {
        ws.write_string_with_format(row, i as u16 + 1, c, &bold)?;
    }
    let last = r.columns.len() as u16 + 1;
    if !r.outcome_head.is_empty() {
        ws.write_string_with_format(row, last, &r.outcome_head, &bold)?;
    }
    row += 1;
    for line in &r.rows {
        ws.write_string(row, 0, &line.label)?;
        for (i, c) in line.cells.iter().enumerate() {
            // Counts are numbers in the sheet so that people can add them up.
            match c.parse::<f64>() {
                Ok(n) => ws.write_number(row, i as u16 + 1, n)?,
                Err(_) => ws.write_string(row, i as u16 + 1, c)?,
            };
        }
        if !line.outcome.is_empty() {
            ws.write_string(row, last, &line.outcome)?;
        }
        row += 1;
    }
    row += 1;
    for n in &r.notes {
        ws.write_string(row, 0, n)?;
        row += 1;
    }
    ws.set_column_width(0, 24)?;
    wb.save_to_buffer()
}

pub struct MinutesPollView {
    pub title: String,
    pub kind: String,
    pub mode: String,
    pub status: String,
    pub result: Option<ResultView>,
    pub paper: Option<String>,
    pub hidden: Option<String>,
}

#[derive(Template)]
#[template(path = "voting/minutes.html")]
struct MinutesPage {
    p: Chrome,
    school: String,
    meeting: String,
    date: String,
    place: String,
    attendance: String,
    agenda: Vec<String>,
    polls: Vec<MinutesPollView>,
    rules: String,
}

pub async fn minutes(State(state): State<AppState>, a: Auth, Path(id): Path<i64>) -> AppResult {
    let (reader, m) = read_meeting(&state, &a, id).await?;
    let db = &state.store.db;
    let tr = a.tr;
    let (m, polls) = sv::minutes(db, reader.viewer(), m.id).await?;
    let agenda = sm::agenda(db, reader.viewer(), m.id).await?;
    let board = sa::board(db, &m).await?;
    let att = m.final_attendance.unwrap_or(board.counts.attendance);
    let mut views = Vec::with_capacity(polls.len());
    for mp in &polls {
        let p = &mp.poll;
        let mut hidden = None;
        let result = match &p.result {
            Some(PollResult::CadreReview(r)) => {
                if !super::review_visible(&state, &a, p).await? {
                    hidden = Some(tr.t("poll-review-not-yours"));
                    None
                } else if !r.shown {
                    hidden = Some(tr.ta(
                        "poll-review-too-few",
                        &[
                            ("raters", r.raters.to_string()),
                            ("min", r.min_raters.to_string()),
                        ],
                    ));
                    None
                } else {
                    result_view(
                        &state,
                        reader.viewer(),
                        &tr,
                        p,
                        &mp.options,
                        mp.paper.as_ref(),
                    )
                    .await?
                }
            }
            _ => {
                result_view(
                    &state,
                    reader.viewer(),
                    &tr,
                    p,
                    &mp.options,
                    mp.paper.as_ref(),
                )
                .await?
            }
        };
        views.push(MinutesPollView {
            title: p.title.clone(),
            kind: tr.label(p.kind),
            mode: tr.label(p.mode),
            status: tr.label(p.status),
            result,
            paper: mp.paper.as_ref().map(|s| {
                tr.ta(
                    "minutes-paper",
                    &[
                        ("issued", s.count.issued.to_string()),
                        ("returned", s.count.returned.to_string()),
                        ("valid", s.count.valid.to_string()),
                        ("invalid", s.count.invalid.to_string()),
                    ],
                )
            }),
            hidden,
        });
    }
    let name = meeting_name(&tr, m.term_number, m.number, m.mode);
    let rules = match &reader {
        crate::congress::Reader::Staff(c) => {
            store::congress::rules::effective(db, c, m.school_union_id).await?
        }
        crate::congress::Reader::Attendee(x) => {
            store::congress::rules::effective(db, x.cap(), m.school_union_id).await?
        }
    };
    let chrome = Chrome::new(&a, "minutes-title")
        .title_text(format!("{} · {}", name, tr.t("minutes-title")))
        .crumb(tr.t("congress-title"), Some("/congress".into()))
        .crumb(name.clone(), Some(format!("/congress/meetings/{id}")));
    a.render(&MinutesPage {
        p: chrome,
        school: m.school_name.clone(),
        meeting: name,
        date: tr.date(&m.meeting_date),
        place: m.place.clone(),
        attendance: tr.ta(
            "minutes-attendance",
            &[
                ("total", att.total.to_string()),
                ("excused", att.excused.to_string()),
                ("due", att.due().to_string()),
                ("present", att.present.to_string()),
            ],
        ),
        agenda: agenda
            .iter()
            .map(|i| format!("{}. {}", i.position, i.title))
            .collect(),
        polls: views,
        rules: match rules.version {
            Some(v) => tr.ta(
                "rules-version-of",
                &[("unit", v.unit_name), ("version", v.version.to_string())],
            ),
            None => tr.t("rules-defaults"),
        },
    })
}
