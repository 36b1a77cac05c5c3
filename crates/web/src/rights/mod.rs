//! Rights protection on the web: questionnaires (问卷调查). Staff list a unit's surveys,
//! draft one (questions typed one a line), open and close it, follow progress by school and
//! read the results (tables with a bar chart each, free text listed, .xlsx). A member
//! answers on a phone through the survey's link (`/surveys/{id}/answer`) and sees the
//! open surveys sent to their school at `/surveys/mine`.
//!
//! Handlers are thin; the store checks scope (out of scope is 404), the survey's state and
//! a second answer, and never hands an anonymous answer out with a person.

pub mod petitions;

use crate::area::{Area, Document, DocumentKind, NavEntry};
use crate::chrome::{Chrome, Opt};
use crate::congress::{into_fields, refused};
use crate::ctx::{Auth, Flash};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::{Guard, Permission as P, RouteTable};
use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use domain::FieldErrors;
use domain::auth::{Permission, perm};
use domain::ids::OrgUnitId;
use domain::rights::*;
use serde::Deserialize;
use store::StoreError;
use store::rights as sr;

fn routes(t: RouteTable) -> RouteTable {
    t.get("/surveys", Guard::staff(P::SurveyView), list)
        .post(
            "/surveys",
            Guard::staff(P::SurveyManage).form(&[
                ("unit", "{school}"),
                ("title", "教师权益问卷"),
                ("anonymous", "on"),
                ("closes_on", "2036-12-31"),
                ("questions", "* single: 满意吗？ | 满意 | 不满意"),
            ]),
            create,
        )
        .get("/surveys/mine", Guard::named(P::SurveyAnswer), mine)
        .get("/surveys/{id}", Guard::staff(P::SurveyView), page)
        .get(
            "/surveys/{id}/results.xlsx",
            Guard::staff(P::SurveyView),
            xlsx,
        )
        .post(
            "/surveys/{id}/open",
            Guard::staff(P::SurveyManage).button(),
            open,
        )
        .post(
            "/surveys/{id}/close",
            Guard::staff(P::SurveyManage).button(),
            close,
        )
        .get(
            "/surveys/{id}/answer",
            Guard::named(P::SurveyAnswer),
            answer_form,
        )
        .post(
            "/surveys/{id}/answer",
            Guard::named(P::SurveyAnswer).form(&[("q0", "0")]),
            answer,
        )
        .get("/petitions", Guard::staff(P::PetitionView), petitions::list)
        .post(
            "/petitions",
            Guard::staff(P::PetitionHandle).form(&[
                ("unit", "{school}"),
                ("channel", "visit"),
                ("category", "pay"),
                ("received_on", "{today}"),
                ("name", "来访教师"),
                ("matter", "反映绩效工资发放问题"),
            ]),
            petitions::receive,
        )
        .get(
            "/petitions/{id}",
            Guard::staff(P::PetitionView),
            petitions::page,
        )
        .post(
            "/petitions/{id}/reveal",
            Guard::staff(P::PetitionView).button(),
            petitions::reveal,
        )
        .post(
            "/petitions/{id}/assign",
            Guard::staff(P::PetitionHandle).form(&[("owner", "办公室")]),
            petitions::assign,
        )
        .post(
            "/petitions/{id}/reply",
            Guard::staff(P::PetitionHandle).form(&[("reply", "已答复")]),
            petitions::reply,
        )
        .post(
            "/petitions/{id}/close",
            Guard::staff(P::PetitionHandle).form(&[("satisfaction", "satisfied")]),
            petitions::close,
        )
}

/// The rights area.
pub static AREA: Area = Area {
    name: "rights",
    routes: |t, _| routes(t),
    nav: &[
        NavEntry {
            href: "/surveys",
            label_key: "nav-rights-surveys",
            permission: Some(Permission::SurveyView),
            rank: 86,
        },
        NavEntry {
            href: "/surveys/mine",
            label_key: "nav-rights-my-surveys",
            permission: Some(Permission::SurveyAnswer),
            rank: 87,
        },
        NavEntry {
            href: "/petitions",
            label_key: "nav-rights-petitions",
            permission: Some(Permission::PetitionView),
            rank: 88,
        },
    ],
    documents: &[Document {
        label_key: "doc-rights-survey-results",
        path: "/surveys/{id}/results.xlsx",
        kind: DocumentKind::Xlsx,
        method: crate::Method::Get,
    }],
};

fn today() -> chrono::NaiveDate {
    crate::today()
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ListQuery {
    unit: String,
    year: String,
    q: String,
}

/// A survey in a list.
pub struct SurveyRow {
    pub id: i64,
    pub title: String,
    pub unit: String,
    pub anonymous: bool,
    pub status: String,
    pub status_code: &'static str,
    pub closes_on: String,
    pub answers: String,
}

#[derive(Template)]
#[template(path = "rights/list.html")]
struct ListPage {
    p: Chrome,
    units: Vec<Opt>,
    unit: i64,
    year: String,
    q: String,
    rows: Vec<SurveyRow>,
    can_manage: bool,
    form: SurveyInput,
    errors: FieldErrors,
    error_texts: Vec<(String, String)>,
}

fn row_of(tr: &crate::i18n::Tr, s: &sr::Survey) -> SurveyRow {
    SurveyRow {
        id: s.id.0,
        title: s.title.clone(),
        unit: s.unit_name.clone(),
        anonymous: s.anonymous,
        status: tr.label(s.status),
        status_code: s.status.as_str(),
        closes_on: tr.date(&s.closes_on),
        answers: tr.number(s.answers),
    }
}

async fn render_list(
    state: &AppState,
    a: &Auth,
    q: ListQuery,
    form: SurveyInput,
    errors: FieldErrors,
) -> AppResult {
    let cap = a.actor.authorize::<perm::SurveyView>()?;
    let unit = q.unit.trim().parse::<i64>().ok();
    let year = q.year.trim().parse::<i32>().ok();
    let units = crate::work_plan::unit_options(state, &cap, unit.unwrap_or(0)).await?;
    let surveys = sr::list(&state.store.db, &cap, unit.map(OrgUnitId), year).await?;
    let needle = q.q.trim().to_lowercase();
    let tr = a.tr;
    let rows = surveys
        .iter()
        .filter(|s| needle.is_empty() || s.title.to_lowercase().contains(&needle))
        .map(|s| row_of(&tr, s))
        .collect();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let mut r = a.render(&ListPage {
        p: Chrome::new(a, "rights-surveys-title"),
        unit: unit.unwrap_or_else(|| {
            units
                .first()
                .and_then(|o| o.value.parse().ok())
                .unwrap_or(0)
        }),
        units,
        year: q.year,
        q: q.q,
        rows,
        can_manage: a.actor.may(Permission::SurveyManage),
        form,
        error_texts: errors
            .0
            .iter()
            .map(|e| (e.field.to_string(), tr.fe(e)))
            .collect(),
        errors,
    })?;
    *r.status_mut() = status;
    Ok(r)
}

/// The surveys in scope, with search and the form to draft one.
pub async fn list(State(state): State<AppState>, a: Auth, Query(q): Query<ListQuery>) -> AppResult {
    let form = SurveyInput {
        closes_on: (today() + chrono::Duration::days(14)).to_string(),
        anonymous: "on".into(),
        ..SurveyInput::default()
    };
    render_list(&state, &a, q, form, FieldErrors::default()).await
}

/// Drafts a survey; errors come back at their fields with everything typed kept.
pub async fn create(
    State(state): State<AppState>,
    a: Auth,
    Form(f): Form<SurveyInput>,
) -> AppResult {
    let cap = a.actor.authorize::<perm::SurveyManage>()?;
    let unit = f
        .unit
        .trim()
        .parse::<i64>()
        .ok()
        .ok_or(AppError::NotFound)?;
    let mut errors = FieldErrors::default();
    match f.parse(today()) {
        Ok(d) => match sr::create(&state.store, &cap, &a.who(), OrgUnitId(unit), &d).await {
            Ok(id) => {
                return Ok(a.redirect(
                    &format!("/surveys/{id}"),
                    Flash::ok("rights-survey-created"),
                ));
            }
            Err(e) => into_fields(e, &mut errors)?,
        },
        Err(e) => errors = e,
    }
    let q = ListQuery {
        unit: unit.to_string(),
        ..ListQuery::default()
    };
    render_list(&state, &a, q, f, errors).await
}

/// One line of a result table.
pub struct ResultLine {
    pub label: String,
    pub count: String,
    pub percent: String,
}

/// A question's result as shown.
pub struct QuestionView {
    pub n: usize,
    pub text: String,
    pub kind: String,
    pub required: bool,
    pub answered: String,
    pub lines: Vec<ResultLine>,
    pub chart: String,
    pub mean: String,
    pub texts: Vec<String>,
}

/// A school's progress as shown.
pub struct ProgressView {
    pub name: String,
    pub members: String,
    pub answered: String,
    pub percent: i64,
}

#[derive(Template)]
#[template(path = "rights/survey.html")]
struct SurveyPage {
    p: Chrome,
    s: SurveyRow,
    intro: String,
    link: String,
    can_manage: bool,
    draft: bool,
    open: bool,
    questions_text: String,
    progress: Vec<ProgressView>,
    /// Why results are not shown (sealed), or empty.
    sealed: String,
    responses: String,
    results: Vec<QuestionView>,
}

fn question_views(tr: &crate::i18n::Tr, qs: &[Question], r: &sr::Results) -> Vec<QuestionView> {
    qs.iter()
        .zip(&r.questions)
        .enumerate()
        .map(|(i, (q, res))| {
            let labels: Vec<String> = match q.kind {
                QuestionKind::Single | QuestionKind::Multiple => q.options.clone(),
                QuestionKind::Scale => (q.scale.0..=q.scale.1).map(|v| v.to_string()).collect(),
                _ => Vec::new(),
            };
            let base = res.answered.max(1);
            let lines: Vec<ResultLine> = labels
                .iter()
                .zip(&res.counts)
                .map(|(l, c)| ResultLine {
                    label: l.clone(),
                    count: tr.number(*c),
                    percent: format!("{:.1}%", *c as f64 * 100.0 / base as f64),
                })
                .collect();
            let chart = if labels.is_empty() {
                String::new()
            } else {
                crate::chart::bars(
                    &q.text,
                    &labels
                        .iter()
                        .zip(&res.counts)
                        .map(|(l, c)| crate::chart::Bar {
                            label: l.clone(),
                            values: vec![*c],
                            href: None,
                        })
                        .collect::<Vec<_>>(),
                )
            };
            QuestionView {
                n: i + 1,
                text: q.text.clone(),
                kind: tr.label(q.kind),
                required: q.required,
                answered: tr.number(res.answered),
                lines,
                chart,
                mean: res
                    .mean_x100()
                    .filter(|_| q.kind == QuestionKind::Scale)
                    .map(|m| format!("{}.{:02}", m / 100, m % 100))
                    .unwrap_or_default(),
                texts: res.texts.clone(),
            }
        })
        .collect()
}

/// A survey: its questions, progress by school and (when allowed) its results.
pub async fn page(State(state): State<AppState>, a: Auth, Path(id): Path<i64>) -> AppResult {
    let cap = a.actor.authorize::<perm::SurveyView>()?;
    let db = &state.store.db;
    let id = SurveyId(id);
    let s = sr::get(db, &cap, id).await?;
    let tr = a.tr;
    let progress = sr::progress(db, &cap, id)
        .await?
        .into_iter()
        .map(|p| ProgressView {
            name: p.name,
            members: tr.number(p.members),
            answered: tr.number(p.answered),
            percent: if p.members > 0 {
                (p.answered * 100 / p.members).clamp(0, 100)
            } else {
                0
            },
        })
        .collect();
    let (sealed, responses, results) = match sr::results(db, &cap, id).await {
        Ok((s, r)) => (
            String::new(),
            tr.number(r.responses),
            question_views(&tr, &s.questions, &r),
        ),
        Err(StoreError::Invalid(_)) => (
            tr.t1("rights-results-sealed", "min", sr::ANON_MIN),
            String::new(),
            Vec::new(),
        ),
        Err(e) => return Err(e.into()),
    };
    a.render(&SurveyPage {
        p: Chrome::new(&a, "rights-survey-title"),
        intro: s.intro.clone(),
        link: format!("/surveys/{}/answer", s.id),
        can_manage: a.actor.may(Permission::SurveyManage),
        draft: s.status == SurveyStatus::Draft,
        open: s.status == SurveyStatus::Open,
        questions_text: questions_text(&s.questions),
        s: row_of(&tr, &s),
        progress,
        sealed,
        responses,
        results,
    })
}

/// Opens a draft.
pub async fn open(State(state): State<AppState>, a: Auth, Path(id): Path<i64>) -> AppResult {
    let cap = a.actor.authorize::<perm::SurveyManage>()?;
    let back = format!("/surveys/{id}");
    match sr::open(&state.store, &cap, &a.who(), SurveyId(id), today()).await {
        Ok(_) => Ok(a.redirect(&back, Flash::ok("rights-survey-opened"))),
        Err(StoreError::NotFound) => Err(AppError::NotFound),
        Err(e) => refused(&a, &back, e),
    }
}

/// Closes an open survey (an anonymous one's answers are reshuffled).
pub async fn close(State(state): State<AppState>, a: Auth, Path(id): Path<i64>) -> AppResult {
    let cap = a.actor.authorize::<perm::SurveyManage>()?;
    let back = format!("/surveys/{id}");
    match sr::close(&state.store, &cap, &a.who(), SurveyId(id), today()).await {
        Ok(_) => Ok(a.redirect(&back, Flash::ok("rights-survey-closed"))),
        Err(StoreError::NotFound) => Err(AppError::NotFound),
        Err(e) => refused(&a, &back, e),
    }
}

/// The results as .xlsx: one sheet with every question's table and the free texts.
pub async fn xlsx(State(state): State<AppState>, a: Auth, Path(id): Path<i64>) -> AppResult {
    let cap = a.actor.authorize::<perm::SurveyView>()?;
    let (s, r) = match sr::results(&state.store.db, &cap, SurveyId(id)).await {
        Ok(v) => v,
        Err(StoreError::Invalid(_)) => {
            return Ok(a.redirect(
                &format!("/surveys/{id}"),
                Flash::error("rights-results-sealed-short"),
            ));
        }
        Err(e) => return Err(e.into()),
    };
    let tr = a.tr;
    let err = |e: rust_xlsxwriter::XlsxError| AppError::Internal(e.to_string());
    let mut wb = rust_xlsxwriter::Workbook::new();
    let bold = rust_xlsxwriter::Format::new().set_bold();
    let ws = wb.add_worksheet();
    ws.set_column_width(0, 50).map_err(err)?;
    ws.set_column_width(1, 12).map_err(err)?;
    ws.set_column_width(2, 12).map_err(err)?;
    ws.write_string_with_format(0, 0, &s.title, &bold)
        .map_err(err)?;
    ws.write_string(1, 0, tr.t1("rights-responses", "count", r.responses))
        .map_err(err)?;
    let mut row: u32 = 3;
    for v in question_views(&tr, &s.questions, &r) {
        ws.write_string_with_format(row, 0, format!("{}. {} ({})", v.n, v.text, v.kind), &bold)
            .map_err(err)?;
        row += 1;
        if !v.lines.is_empty() {
            ws.write_string_with_format(row, 0, tr.t("rights-col-option"), &bold)
                .map_err(err)?;
            ws.write_string_with_format(row, 1, tr.t("rights-col-count"), &bold)
                .map_err(err)?;
            ws.write_string_with_format(row, 2, tr.t("rights-col-percent"), &bold)
                .map_err(err)?;
            row += 1;
        }
        for (l, c) in v.lines.iter().zip(&r.questions[v.n - 1].counts) {
            ws.write_string(row, 0, &l.label).map_err(err)?;
            ws.write_number(row, 1, *c as f64).map_err(err)?;
            ws.write_string(row, 2, &l.percent).map_err(err)?;
            row += 1;
        }
        if !v.mean.is_empty() {
            ws.write_string(row, 0, tr.t("rights-mean")).map_err(err)?;
            ws.write_string(row, 1, &v.mean).map_err(err)?;
            row += 1;
        }
        for t in &v.texts {
            ws.write_string(row, 0, t).map_err(err)?;
            row += 1;
        }
        row += 1;
    }
    let bytes = wb.save_to_buffer().map_err(err)?;
    Ok(crate::org::import::xlsx_response(
        bytes,
        &format!("{}.xlsx", s.title),
    ))
}

/// An open survey in the member's own list.
pub struct MineRow {
    pub id: i64,
    pub title: String,
    pub closes_on: String,
    pub anonymous: bool,
    pub answered: bool,
}

#[derive(Template)]
#[template(path = "rights/mine.html")]
struct MinePage {
    p: Chrome,
    rows: Vec<MineRow>,
}

/// The open surveys sent to the member's school.
pub async fn mine(State(state): State<AppState>, a: Auth) -> AppResult {
    let cap = a.actor.authorize::<perm::SurveyAnswer>()?;
    let tr = a.tr;
    let rows = sr::open_for_member(&state.store.db, &cap, a.actor.member)
        .await?
        .into_iter()
        .map(|(s, answered)| MineRow {
            id: s.id.0,
            title: s.title,
            closes_on: tr.date(&s.closes_on),
            anonymous: s.anonymous,
            answered,
        })
        .collect();
    a.render(&MinePage {
        p: Chrome::new(&a, "rights-mine-title"),
        rows,
    })
}

/// A question of the answer form with what was typed.
pub struct AskView {
    pub field: String,
    pub n: usize,
    pub text: String,
    pub kind: &'static str,
    pub required: bool,
    /// (value, label, checked)
    pub options: Vec<(String, String, bool)>,
    pub value: String,
    pub error: String,
    pub max: usize,
}

#[derive(Template)]
#[template(path = "rights/answer.html")]
struct AnswerPage {
    p: Chrome,
    id: i64,
    title: String,
    intro: String,
    anonymous: bool,
    closes_on: String,
    /// Why the form is not offered (answered, closed), or empty.
    notice: String,
    asks: Vec<AskView>,
    errors: FieldErrors,
}

fn ask_views(
    tr: &crate::i18n::Tr,
    qs: &[Question],
    form: &[(String, String)],
    errors: &FieldErrors,
) -> Vec<AskView> {
    qs.iter()
        .enumerate()
        .map(|(i, q)| {
            let field = field_of(i);
            let typed: Vec<&str> = form
                .iter()
                .filter(|(k, _)| *k == field)
                .map(|(_, v)| v.as_str())
                .collect();
            let options = match q.kind {
                QuestionKind::Single | QuestionKind::Multiple => q
                    .options
                    .iter()
                    .enumerate()
                    .map(|(j, o)| {
                        (
                            j.to_string(),
                            o.clone(),
                            typed.contains(&j.to_string().as_str()),
                        )
                    })
                    .collect(),
                QuestionKind::Scale => (q.scale.0..=q.scale.1)
                    .map(|v| {
                        (
                            v.to_string(),
                            v.to_string(),
                            typed.contains(&v.to_string().as_str()),
                        )
                    })
                    .collect(),
                _ => Vec::new(),
            };
            AskView {
                error: errors.get(&field).map(|e| tr.fe(e)).unwrap_or_default(),
                field,
                n: i + 1,
                text: q.text.clone(),
                kind: q.kind.as_str(),
                required: q.required,
                options,
                value: typed.first().map(|s| s.to_string()).unwrap_or_default(),
                max: if q.kind == QuestionKind::ShortText {
                    SHORT_MAX
                } else {
                    LONG_MAX
                },
            }
        })
        .collect()
}

async fn render_answer(
    state: &AppState,
    a: &Auth,
    id: i64,
    form: Vec<(String, String)>,
    errors: FieldErrors,
) -> AppResult {
    let cap = a.actor.authorize::<perm::SurveyAnswer>()?;
    let f = sr::for_member(&state.store.db, &cap, a.actor.member, SurveyId(id)).await?;
    let tr = a.tr;
    let s = &f.survey;
    let notice = if f.answered {
        tr.t("rights-survey-already")
    } else if s.status != SurveyStatus::Open || s.closes_on < today() {
        tr.t("rights-survey-not-open")
    } else {
        String::new()
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let mut r = a.render(&AnswerPage {
        p: Chrome::new(a, "rights-answer-title"),
        id,
        title: s.title.clone(),
        intro: s.intro.clone(),
        anonymous: s.anonymous,
        closes_on: tr.date(&s.closes_on),
        notice,
        asks: ask_views(&tr, &s.questions, &form, &errors),
        errors,
    })?;
    *r.status_mut() = status;
    Ok(r)
}

/// The answer form, on a phone.
pub async fn answer_form(State(state): State<AppState>, a: Auth, Path(id): Path<i64>) -> AppResult {
    render_answer(&state, &a, id, Vec::new(), FieldErrors::default()).await
}

/// Stores an answer; errors come back at their questions with everything typed kept.
pub async fn answer(
    State(state): State<AppState>,
    a: Auth,
    Path(id): Path<i64>,
    Form(form): Form<Vec<(String, String)>>,
) -> AppResult {
    let cap = a.actor.authorize::<perm::SurveyAnswer>()?;
    let f = sr::for_member(&state.store.db, &cap, a.actor.member, SurveyId(id)).await?;
    let member = a.actor.member.ok_or(AppError::NotFound)?;
    let errors = match check_answers(&f.survey.questions, &form) {
        Ok(answers) => match sr::answer(&state.store, &f, member, &answers, today()).await {
            Ok(()) => {
                return Ok(a.redirect("/surveys/mine", Flash::ok("rights-answer-stored")));
            }
            Err(e) => {
                let mut errors = FieldErrors::default();
                into_fields(e, &mut errors)?;
                errors
            }
        },
        Err(e) => e,
    };
    render_answer(&state, &a, id, form, errors).await
}
