//! The year summary (工作总结) on the web: the list of drafts with the form that makes one
//! for a unit and year, the draft's page (the text written from the figures snapshot in
//! the reader's language — each sentence a link to the records it counts — the text
//! editor, the figures table with their sources and the rule-set version), and the print
//! view.
//!
//! Sentence patterns are catalogue entries (`summary-figure-…`, `summary-task-…`), never
//! code: a figure without its own pattern is stated with the generic one. Handlers are
//! thin; the store checks the scope (out of scope is 404).

use crate::area::{Area, Document, DocumentKind, NavEntry};
use crate::chrome::{Chrome, Opt};
use crate::congress::{into_fields, refused};
use crate::ctx::{Auth, Flash};
use crate::error::AppResult;
use crate::i18n::{Lang, Tr};
use crate::state::AppState;
use crate::{Guard, Permission as P, RouteTable};
use askama::Template;
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use chrono::Datelike;
use domain::FieldErrors;
use domain::auth::{Permission, perm};
use domain::ids::OrgUnitId;
use domain::work_plan::{Outcome, TaskStatus, outcome, parse_year};
use domain::work_summary::SummaryId;
use serde::Deserialize;
use store::work_summary::{self as summaries, Summary};

pub mod export;

fn routes(t: RouteTable) -> RouteTable {
    t.get("/summaries", Guard::staff(P::SummaryDraft), list)
        .post(
            "/summaries",
            Guard::staff(P::SummaryDraft).form(&[("unit", "{school}"), ("year", "{school_year}")]),
            create,
        )
        .get("/summaries/{id}", Guard::staff(P::SummaryDraft), show)
        .post(
            "/summaries/{id}",
            Guard::staff(P::SummaryDraft).form(&[("body", "本年度学校工会工作取得新成效。")]),
            save,
        )
        .post(
            "/summaries/{id}/refresh",
            Guard::staff(P::SummaryDraft).button(),
            refresh,
        )
        .get(
            "/summaries/{id}/print",
            Guard::staff(P::SummaryDraft),
            print,
        )
        .get(
            "/summaries/{id}/summary.docx",
            Guard::staff(P::SummaryDraft),
            docx_file,
        )
        .get(
            "/summaries/{id}/summary.pdf",
            Guard::staff(P::SummaryDraft),
            pdf_file,
        )
}

/// The year summary area.
pub static AREA: Area = Area {
    name: "work_summary",
    routes: |t, _| routes(t),
    nav: &[NavEntry {
        href: "/summaries",
        label_key: "nav-summaries",
        permission: Some(Permission::SummaryDraft),
        rank: 93,
    }],
    documents: &[Document {
        label_key: "doc-work-summary",
        path: "/summaries/{id}/print",
        kind: DocumentKind::Print,
        method: crate::Method::Get,
    }],
};

/// One sentence of the draft and the records it states.
pub struct Sentence {
    pub text: String,
    /// The list the number counts (empty for a sentence without a figure).
    pub href: String,
}

/// A section of the draft: an area's figures, or the plan's tasks.
pub struct Section {
    pub heading: String,
    /// The heading with its number (一、…).
    pub numbered: String,
    pub sentences: Vec<Sentence>,
}

/// A figure of the snapshot, as the sources table shows it.
pub struct FigureRow {
    pub key: &'static str,
    pub label: String,
    pub value: String,
    pub href: String,
}

/// `key` when the catalogue has it, otherwise `None` (a figure without its own pattern).
fn lookup(tr: &Tr, key: &str, args: &[(&str, String)]) -> Option<String> {
    let s = tr.ta(key, args);
    (s != key).then_some(s)
}

fn full_stop(tr: &Tr) -> &'static str {
    match tr.lang {
        Lang::Zh => "。",
        Lang::En => ".",
    }
}

fn joiner(tr: &Tr) -> &'static str {
    match tr.lang {
        Lang::Zh => "",
        Lang::En => " ",
    }
}

/// The draft written from a snapshot: one section per area with figures, then the plan's
/// tasks with their outcome against the same snapshot.
pub fn write_draft(tr: &Tr, s: &Summary, tasks: &[store::work_plan::TaskRow]) -> Vec<Section> {
    let values = &s.snapshot.values;
    let mut out = Vec::new();
    for a in store::area::AREAS {
        let mut sentences = Vec::new();
        for f in a.figures {
            let Some(v) = values.get(f.key).copied() else {
                continue;
            };
            if v == 0 {
                continue;
            }
            let value = crate::work_plan::show_value(tr, f.key, v);
            let args = [("value", value.clone()), ("label", tr.t(f.key))];
            let text = lookup(tr, &format!("summary-{}", f.key), &args)
                .unwrap_or_else(|| tr.ta("summary-generic", &args));
            sentences.push(Sentence {
                text,
                href: f.href(s.unit, s.year),
            });
        }
        // A run of clauses ends with a full stop, whichever figure came last.
        if let Some(last) = sentences.last_mut() {
            let trimmed = last.text.trim_end_matches(['，', '；', ',', ';']);
            if trimmed.len() != last.text.len() {
                last.text = format!("{trimmed}{}", full_stop(tr));
            }
        }
        if !sentences.is_empty() {
            out.push(Section {
                heading: lookup(tr, &format!("summary-section-{}", a.name), &[])
                    .unwrap_or_else(|| tr.t("summary-section-other")),
                numbered: String::new(),
                sentences,
            });
        }
    }
    let mut plan = Vec::new();
    for t in tasks {
        let ind = t.figure.as_deref().zip(t.target);
        let v = t
            .figure
            .as_ref()
            .and_then(|k| values.get(k).copied())
            .unwrap_or(0);
        let (key, href) = match (outcome(ind, v), t.status) {
            (Outcome::Met, _) => ("summary-task-met", true),
            (Outcome::NotMet, _) => ("summary-task-not-met", true),
            (Outcome::NoIndicator, TaskStatus::Done) => ("summary-task-done", false),
            (Outcome::NoIndicator, TaskStatus::Open) => ("summary-task-open", false),
        };
        let (value, target) = match (&t.figure, t.target) {
            (Some(k), Some(tg)) => (
                crate::work_plan::show_value(tr, k, v),
                crate::work_plan::show_value(tr, k, tg),
            ),
            _ => (String::new(), String::new()),
        };
        plan.push(Sentence {
            text: tr.ta(
                key,
                &[
                    ("task", t.text.clone()),
                    ("value", value),
                    ("target", target),
                ],
            ),
            href: if href {
                t.figure
                    .as_ref()
                    .and_then(|k| store::area::figure(k))
                    .map(|f| f.href(s.unit, s.year))
                    .unwrap_or_default()
            } else {
                String::new()
            },
        });
    }
    if !plan.is_empty() {
        out.push(Section {
            heading: tr.t("summary-section-plan"),
            numbered: String::new(),
            sentences: plan,
        });
    }
    // The honours list: every prize of the snapshot, linked to its contest's results.
    let honours: Vec<Sentence> = s
        .snapshot
        .honours
        .iter()
        .map(|h| Sentence {
            text: tr.ta(
                "summary-honour",
                &[
                    ("contest", h.contest.clone()),
                    ("winner", h.winner.clone()),
                    ("school", h.school.clone()),
                    (
                        "tier",
                        <domain::contests::PrizeTier as domain::org::Coded>::from_code(&h.tier)
                            .map(|t| tr.label(t))
                            .unwrap_or_else(|| h.tier.clone()),
                    ),
                ],
            ),
            href: format!("/contests/{}/results", h.contest_id),
        })
        .collect();
    if !honours.is_empty() {
        out.push(Section {
            heading: tr.t("summary-section-honours"),
            numbered: String::new(),
            sentences: honours,
        });
    }
    for (i, s) in out.iter_mut().enumerate() {
        s.numbered = tr.ta(
            "summary-numbered",
            &[
                ("n", number_word(tr, i + 1)),
                ("heading", s.heading.clone()),
            ],
        );
    }
    out
}

/// Section numbers as Chinese reports write them (一、二、…), or digits in English.
fn number_word(tr: &Tr, n: usize) -> String {
    const ZH: [&str; 10] = ["一", "二", "三", "四", "五", "六", "七", "八", "九", "十"];
    match tr.lang {
        Lang::Zh if (1..=ZH.len()).contains(&n) => ZH[n - 1].to_string(),
        _ => n.to_string(),
    }
}

/// The draft as plain text (what the editor starts from).
pub fn draft_text(tr: &Tr, title: &str, intro: &str, sections: &[Section]) -> String {
    let mut t = format!("{title}\n\n{intro}\n");
    for s in sections {
        t.push_str(&format!("\n{}\n", s.numbered));
        let body: Vec<&str> = s.sentences.iter().map(|x| x.text.as_str()).collect();
        t.push_str(&body.join(joiner(tr)));
        t.push('\n');
    }
    t
}

fn figure_rows(tr: &Tr, s: &Summary) -> Vec<FigureRow> {
    store::area::declared_figures()
        .filter_map(|f| {
            s.snapshot.values.get(f.key).map(|v| FigureRow {
                key: f.key,
                label: tr.t(f.key),
                value: crate::work_plan::show_value(tr, f.key, *v),
                href: f.href(s.unit, s.year),
            })
        })
        .collect()
}

#[derive(Template)]
#[template(path = "work_summary/list.html")]
struct ListPage {
    p: Chrome,
    rows: Vec<(i64, String, i32, String, bool)>,
    units: Vec<Opt>,
    year: String,
    errors: FieldErrors,
}

async fn list_render(
    state: &AppState,
    a: &Auth,
    unit: i64,
    year: String,
    errors: FieldErrors,
) -> AppResult {
    let cap = a.actor.authorize::<perm::SummaryDraft>()?;
    let rows = summaries::list(&state.store.db, &cap).await?;
    let tr = a.tr;
    let units = crate::work_plan::unit_options(state, &cap, unit).await?;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let mut r = a.render(&ListPage {
        p: Chrome::new(a, "summary-list-title"),
        rows: rows
            .iter()
            .map(|s| {
                (
                    s.id.0,
                    s.unit_name.clone(),
                    s.year,
                    tr.datetime(&s.drafted_at),
                    s.body.is_some(),
                )
            })
            .collect(),
        units,
        year,
        errors,
    })?;
    *r.status_mut() = status;
    Ok(r)
}

/// The drafts in scope and the form that makes one.
pub async fn list(State(state): State<AppState>, a: Auth) -> AppResult {
    let year = crate::today().year().to_string();
    list_render(&state, &a, 0, year, FieldErrors::default()).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CreateForm {
    unit: String,
    year: String,
}

/// Makes (or opens) the draft of a unit and year.
pub async fn create(
    State(state): State<AppState>,
    a: Auth,
    Form(f): Form<CreateForm>,
) -> AppResult {
    let cap = a.actor.authorize::<perm::SummaryDraft>()?;
    let unit = f
        .unit
        .trim()
        .parse::<i64>()
        .map_err(|_| crate::error::AppError::NotFound)?;
    let mut errors = FieldErrors::default();
    match parse_year("year", &f.year) {
        Ok(year) => {
            match summaries::draft(&state.store, &cap, &a.who(), OrgUnitId(unit), year).await {
                Ok(id) => {
                    return Ok(
                        a.redirect(&format!("/summaries/{id}"), Flash::ok("summary-drafted"))
                    );
                }
                Err(e) => into_fields(e, &mut errors)?,
            }
        }
        Err(e) => errors.push(e),
    }
    list_render(&state, &a, unit, f.year, errors).await
}

#[derive(Template)]
#[template(path = "work_summary/show.html")]
struct ShowPage {
    p: Chrome,
    id: i64,
    heading: String,
    intro: String,
    sections: Vec<Section>,
    figures: Vec<FigureRow>,
    text: String,
    edited: bool,
    /// When and under which rule-set version the draft was made.
    made_from: String,
    errors: FieldErrors,
}

#[derive(Template)]
#[template(path = "work_summary/print.html")]
struct PrintPage {
    p: Chrome,
    heading: String,
    /// The edited text's paragraphs, or `None` for the text written from the figures.
    edited: Option<Vec<String>>,
    intro: String,
    sections: Vec<Section>,
    figures: Vec<FigureRow>,
    rule_version: String,
}

struct Loaded {
    s: Summary,
    heading: String,
    intro: String,
    sections: Vec<Section>,
    figures: Vec<FigureRow>,
}

async fn load(state: &AppState, a: &Auth, id: i64) -> Result<Loaded, crate::error::AppError> {
    let cap = a.actor.authorize::<perm::SummaryDraft>()?;
    let s = summaries::get(&state.store.db, &cap, SummaryId(id)).await?;
    let tasks = store::work_plan::tasks(&state.store.db, &cap, s.unit, s.year).await?;
    let tr = a.tr;
    let heading = tr.ta(
        "summary-heading",
        &[("unit", s.unit_name.clone()), ("year", s.year.to_string())],
    );
    let sections = write_draft(&tr, &s, &tasks);
    let intro = if sections.is_empty() {
        tr.t("summary-no-data")
    } else {
        tr.ta(
            "summary-intro",
            &[
                ("unit", s.unit_name.clone()),
                ("year", s.year.to_string()),
                ("schools", s.snapshot.schools.to_string()),
            ],
        )
    };
    let figures = figure_rows(&tr, &s);
    Ok(Loaded {
        s,
        heading,
        intro,
        sections,
        figures,
    })
}

async fn show_render(
    state: &AppState,
    a: &Auth,
    id: i64,
    typed: Option<String>,
    errors: FieldErrors,
) -> AppResult {
    let l = load(state, a, id).await?;
    let tr = a.tr;
    let text = typed
        .or_else(|| l.s.body.clone())
        .unwrap_or_else(|| draft_text(&tr, &l.heading, &l.intro, &l.sections));
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let mut r = a.render(&ShowPage {
        p: Chrome::new(a, "summary-title")
            .title_text(l.heading.clone())
            .crumb(tr.t("nav-summaries"), Some("/summaries".into())),
        id,
        heading: l.heading,
        intro: l.intro,
        sections: l.sections,
        figures: l.figures,
        text,
        edited: l.s.body.is_some(),
        made_from: tr.ta(
            "summary-made-from",
            &[
                ("at", tr.datetime(&l.s.drafted_at)),
                ("version", l.s.rule_version.clone()),
            ],
        ),
        errors,
    })?;
    *r.status_mut() = status;
    Ok(r)
}

/// A draft: the text from the figures with its links, the editor, the sources.
pub async fn show(State(state): State<AppState>, a: Auth, Path(id): Path<i64>) -> AppResult {
    show_render(&state, &a, id, None, FieldErrors::default()).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct BodyForm {
    body: String,
}

/// Saves the edited text; an error keeps what was typed.
pub async fn save(
    State(state): State<AppState>,
    a: Auth,
    Path(id): Path<i64>,
    Form(f): Form<BodyForm>,
) -> AppResult {
    let cap = a.actor.authorize::<perm::SummaryDraft>()?;
    let mut errors = FieldErrors::default();
    match summaries::save_body(&state.store, &cap, &a.who(), SummaryId(id), &f.body).await {
        Ok(()) => return Ok(a.redirect(&format!("/summaries/{id}"), Flash::ok("summary-saved"))),
        Err(e) => into_fields(e, &mut errors)?,
    }
    show_render(&state, &a, id, Some(f.body), errors).await
}

/// A new snapshot of the figures (the edited text is dropped).
pub async fn refresh(State(state): State<AppState>, a: Auth, Path(id): Path<i64>) -> AppResult {
    let cap = a.actor.authorize::<perm::SummaryDraft>()?;
    let back = format!("/summaries/{id}");
    match summaries::refresh(&state.store, &cap, &a.who(), SummaryId(id)).await {
        Ok(()) => Ok(a.redirect(&back, Flash::ok("summary-refreshed"))),
        Err(e) => refused(&a, &back, e),
    }
}

/// The print view (A4): the text (edited or written from the figures) and the sources.
pub async fn print(State(state): State<AppState>, a: Auth, Path(id): Path<i64>) -> AppResult {
    let l = load(&state, &a, id).await?;
    a.render(&PrintPage {
        p: Chrome::new(&a, "summary-title").title_text(l.heading.clone()),
        heading: l.heading,
        edited: l.s.body.as_ref().map(|b| {
            b.lines()
                .map(str::trim)
                .filter(|x| !x.is_empty())
                .map(String::from)
                .collect()
        }),
        intro: l.intro,
        sections: l.sections,
        figures: l.figures,
        rule_version: l.s.rule_version,
    })
}

/// The text the exports carry, the same as the print view's: the edited text, or the
/// sentences written from the snapshot; then the sources and the rule-set version.
fn blocks(tr: &Tr, l: &Loaded) -> Vec<export::Block> {
    use export::Block;
    let mut b = vec![Block::Title(l.heading.clone())];
    match &l.s.body {
        Some(text) => b.extend(
            text.lines()
                .map(str::trim)
                .filter(|x| !x.is_empty() && *x != l.heading)
                .map(|x| Block::Para(x.to_string())),
        ),
        None => {
            b.push(Block::Para(l.intro.clone()));
            for s in &l.sections {
                b.push(Block::Heading(s.numbered.clone()));
                let body: Vec<&str> = s.sentences.iter().map(|x| x.text.as_str()).collect();
                b.push(Block::Para(body.join(joiner(tr))));
            }
        }
    }
    if !l.figures.is_empty() {
        b.push(Block::Heading(tr.t("summary-sources")));
        b.extend(l.figures.iter().map(|f| {
            Block::Para(tr.ta(
                "summary-source-line",
                &[("label", f.label.clone()), ("value", f.value.clone())],
            ))
        }));
    }
    b.push(Block::Note(tr.t1(
        "summary-rule-version",
        "version",
        &l.s.rule_version,
    )));
    b
}

/// A file download named after the summary (an ASCII fallback for old clients).
pub(crate) fn download(
    content_type: &'static str,
    name: &str,
    ascii: String,
    bytes: Vec<u8>,
) -> axum::response::Response {
    use axum::http::header;
    use axum::response::IntoResponse;
    let encoded: String = form_urlencoded::byte_serialize(name.as_bytes())
        .collect::<String>()
        .replace('+', "%20");
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}"),
            ),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        bytes,
    )
        .into_response()
}

/// The summary as a Word document.
pub async fn docx_file(State(state): State<AppState>, a: Auth, Path(id): Path<i64>) -> AppResult {
    let l = load(&state, &a, id).await?;
    let b = blocks(&a.tr, &l);
    let bytes = tokio::task::spawn_blocking(move || export::docx(&b))
        .await
        .map_err(|e| crate::error::AppError::Internal(e.to_string()))?
        .map_err(crate::error::AppError::Internal)?;
    Ok(download(
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        &format!("{}.docx", l.heading),
        format!("summary-{id}.docx"),
        bytes,
    ))
}

/// The summary as a PDF (with the certificates' Chinese font; without one, back to the
/// draft with a message naming the fix).
pub async fn pdf_file(State(state): State<AppState>, a: Auth, Path(id): Path<i64>) -> AppResult {
    let l = load(&state, &a, id).await?;
    let font = match crate::contests::certificate::font() {
        Ok(f) => f,
        Err(e) => {
            tracing::warn!(error = %e, "summary pdf");
            return Ok(a.redirect(
                &format!("/summaries/{id}"),
                Flash::error("summary-font-missing"),
            ));
        }
    };
    let b = blocks(&a.tr, &l);
    let bytes = tokio::task::spawn_blocking(move || export::pdf(&font, &b))
        .await
        .map_err(|e| crate::error::AppError::Internal(e.to_string()))?
        .map_err(|e| crate::error::AppError::Internal(e.to_string()))?;
    Ok(download(
        "application/pdf",
        &format!("{}.pdf", l.heading),
        format!("summary-{id}.pdf"),
        bytes,
    ))
}
