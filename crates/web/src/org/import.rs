//! Roster import on the web: upload → dry run (every bad row named, values the platform
//! cannot read asked once each and answered from a list, the preview updated without a new
//! upload) → apply all-or-nothing or valid rows only → result. Also the template to fill in
//! and the problem list (the rows themselves plus a problem column). The upload is staged encrypted between the steps, so the
//! server keeps no state in memory and any process can apply it.

use crate::chrome::{Chrome, Opt};
use crate::ctx::{Auth, Flash};
use crate::error::{AppError, AppResult};
use crate::i18n::Tr;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Multipart, Path, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use domain::auth::perm;
use domain::ids::{ImportId, OrgUnitId};
use domain::org::OrgKind;
use std::sync::Arc;
use store::org::import::{self, ImportError, ImportMode, ImportOptions, ImportReport, RowAction};

#[derive(Template)]
#[template(path = "org/import_upload.html")]
struct UploadPage {
    p: Chrome,
    units: Vec<Opt>,
    error: Option<String>,
    max_mb: usize,
    max_rows: String,
}

async fn target_options(state: &AppState, a: &Auth, selected: &str) -> AppResult<Vec<Opt>> {
    let cap = a.actor.authorize::<perm::MemberImport>()?;
    let units = store::org::list_units(&state.store.db, &cap).await?;
    Ok(units
        .into_iter()
        .filter(|u| u.kind != OrgKind::Branch)
        .map(|u| {
            let label = if u.kind == OrgKind::SchoolUnion {
                u.name.clone()
            } else {
                a.tr.t1("import-target-many", "unit", &u.name)
            };
            Opt::new(u.id, label, selected == u.id.to_string())
        })
        .collect())
}

async fn upload_view(
    state: &AppState,
    a: &Auth,
    selected: &str,
    error: Option<String>,
    status: StatusCode,
) -> AppResult {
    let units = target_options(state, a, selected).await?;
    let p = Chrome::new(a, "import-title");
    let mut r = a.render(&UploadPage {
        p,
        units,
        error,
        max_mb: state.config.max_upload_bytes / (1024 * 1024),
        max_rows: a.tr.number(state.config.import_max_rows as i64),
    })?;
    *r.status_mut() = status;
    Ok(r)
}

pub async fn upload_page(State(state): State<AppState>, a: Auth) -> AppResult {
    a.actor.authorize::<perm::MemberImport>()?;
    upload_view(&state, &a, "", None, StatusCode::OK).await
}

/// The message for an import that could not start.
pub fn import_error_text(tr: &Tr, e: &ImportError, max_mb: usize) -> String {
    use store::org::roster_file::RosterError;
    match e {
        ImportError::File(RosterError::NotSpreadsheet) => tr.t("import-err-not-spreadsheet"),
        ImportError::File(RosterError::NoSheet) => tr.t("import-err-no-sheet"),
        ImportError::File(RosterError::Unreadable(_)) => tr.t("import-err-unreadable"),
        ImportError::File(RosterError::TooLarge(_)) => tr.t("import-err-unpacks-too-large"),
        ImportError::NoHeader => tr.t("import-err-no-header"),
        ImportError::MissingColumns(c) => tr.t1(
            "import-err-missing-columns",
            "columns",
            c.iter()
                .map(|f| tr.t(&format!("col-{}", f.replace('_', "-"))))
                .collect::<Vec<_>>()
                .join(", "),
        ),
        ImportError::TooManyRows(n) => {
            tr.t1("import-err-too-many-rows", "max", tr.number(*n as i64))
        }
        ImportError::Store(_) => tr.t1("import-err-too-large", "max", max_mb),
    }
}

pub async fn upload(State(state): State<AppState>, a: Auth, mut mp: Multipart) -> AppResult {
    let cap = a.actor.authorize::<perm::MemberImport>()?;
    let max_mb = state.config.max_upload_bytes / (1024 * 1024);
    let mut unit = String::new();
    let mut file: Option<(String, Vec<u8>)> = None;
    loop {
        let field = match mp.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(_) => {
                let msg = a.tr.t1("import-err-too-large", "max", max_mb);
                return upload_view(&state, &a, &unit, Some(msg), StatusCode::PAYLOAD_TOO_LARGE)
                    .await;
            }
        };
        match field.name() {
            Some("unit") => unit = field.text().await.unwrap_or_default(),
            Some("file") => {
                let name = field.file_name().unwrap_or("roster").to_string();
                match field.bytes().await {
                    Ok(b) => file = Some((name, b.to_vec())),
                    Err(_) => {
                        let msg = a.tr.t1("import-err-too-large", "max", max_mb);
                        return upload_view(
                            &state,
                            &a,
                            &unit,
                            Some(msg),
                            StatusCode::PAYLOAD_TOO_LARGE,
                        )
                        .await;
                    }
                }
            }
            _ => {}
        }
    }
    let Some(target) = unit.parse::<OrgUnitId>().ok() else {
        return upload_view(
            &state,
            &a,
            &unit,
            Some(a.tr.t("import-err-no-target")),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    let Some((name, bytes)) = file.filter(|(_, b)| !b.is_empty()) else {
        return upload_view(
            &state,
            &a,
            &unit,
            Some(a.tr.t("import-err-no-file")),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    if bytes.len() > state.config.max_upload_bytes {
        let msg = a.tr.t1("import-err-too-large", "max", max_mb);
        return upload_view(&state, &a, &unit, Some(msg), StatusCode::PAYLOAD_TOO_LARGE).await;
    }
    let bytes = Arc::new(bytes);
    let opts = ImportOptions {
        target,
        mode: ImportMode::DryRun,
        max_rows: state.config.import_max_rows,
        today: crate::today(),
        progress: None,
    };
    match import::run(&state.store, &cap, &a.who(), bytes.clone(), &opts).await {
        Ok(report) => {
            let id =
                import::stage_batch(&state.store, &cap, &a.who(), target, &name, &bytes, &report)
                    .await?;
            Ok(a.redirect(&format!("/imports/{id}"), Flash::ok("import-checked")))
        }
        Err(ImportError::Store(store::StoreError::NotFound)) => Err(AppError::NotFound),
        Err(ImportError::Store(e)) => Err(e.into()),
        Err(e) => {
            let msg = import_error_text(&a.tr, &e, max_mb);
            upload_view(
                &state,
                &a,
                &unit,
                Some(msg),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

pub struct ErrorView {
    pub row: u32,
    pub column: String,
    pub reason: String,
}

/// A value to map, with the choices of its field.
pub struct QuestionView {
    pub index: usize,
    pub text: String,
    pub rows: String,
    pub options: Vec<Opt>,
}

pub struct PlanView {
    pub row: u32,
    pub action: String,
    pub name: String,
    pub school: String,
    pub id_masked: String,
    pub fields: String,
}

#[derive(Template)]
#[template(path = "org/import_result.html")]
struct ResultPage {
    p: Chrome,
    id: i64,
    file_name: String,
    target: String,
    staged: bool,
    applied: bool,
    running: bool,
    r: ImportReport,
    errors: Vec<ErrorView>,
    more_errors: usize,
    plan: Vec<PlanView>,
    questions: Vec<QuestionView>,
    warnings: Vec<ErrorView>,
    outcome: String,
}

/// The label of a field's column: as written in the file, else the catalogue's.
fn column_label(tr: &Tr, column: &Option<String>, field: &str) -> String {
    column
        .clone()
        .unwrap_or_else(|| tr.t(&format!("col-{}", field.replace('_', "-"))))
}

/// The choices of a mappable field in the reader's language.
pub fn choice_options(tr: &Tr, field: &str) -> Vec<Opt> {
    domain::roster::choices(field)
        .into_iter()
        .map(|(code, key)| {
            let label = if key.is_empty() {
                code.clone()
            } else {
                tr.t(&key)
            };
            Opt::new(code, label, false)
        })
        .collect()
}

fn question_views(tr: &Tr, r: &ImportReport) -> Vec<QuestionView> {
    r.questions
        .iter()
        .enumerate()
        .map(|(index, q)| QuestionView {
            index,
            text: tr.ta(
                "import-question",
                &[
                    ("value", q.value.clone()),
                    ("column", column_label(tr, &q.column, &q.field)),
                    ("count", q.rows.to_string()),
                ],
            ),
            rows: tr.t1(
                "import-question-rows",
                "rows",
                q.first_rows
                    .iter()
                    .map(u32::to_string)
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
            options: choice_options(tr, &q.field),
        })
        .collect()
}

pub const SHOWN_ERRORS: usize = 500;

pub fn error_reason(tr: &Tr, key: &str, args: &[(String, String)]) -> String {
    let args: Vec<(&str, String)> = args.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
    tr.ta(key, &args)
}

pub async fn show(State(state): State<AppState>, a: Auth, Path(id): Path<i64>) -> AppResult {
    let cap = a.actor.authorize::<perm::MemberImport>()?;
    let b = import::get_batch(&state.store, &cap, ImportId(id)).await?;
    let target = store::org::get_unit(&state.store.db, &cap, b.target).await?;
    let tr = a.tr;
    let errors: Vec<ErrorView> = b
        .report
        .errors
        .iter()
        .take(SHOWN_ERRORS)
        .map(|e| ErrorView {
            row: e.row,
            column: e
                .column
                .clone()
                .unwrap_or_else(|| tr.t(&format!("col-{}", e.field.replace('_', "-")))),
            reason: error_reason(&tr, &e.key, &e.args),
        })
        .collect();
    let plan = b
        .report
        .sample
        .iter()
        .map(|s| {
            let (action, fields) = match &s.action {
                RowAction::Create => (tr.t("import-action-create"), String::new()),
                RowAction::Update { fields } => (
                    tr.t("import-action-update"),
                    fields
                        .iter()
                        .map(|f| {
                            tr.t(&format!(
                                "col-{}",
                                f.trim_end_matches("_id").replace('_', "-")
                            ))
                        })
                        .collect::<Vec<_>>()
                        .join(", "),
                ),
                RowAction::Unchanged => (tr.t("import-action-unchanged"), String::new()),
            };
            PlanView {
                row: s.row,
                action,
                name: s.name.clone(),
                school: s.school.clone(),
                id_masked: s.id_masked.clone(),
                fields,
            }
        })
        .collect();
    let more_errors = (b.report.invalid_rows as usize).saturating_sub(errors.len());
    let questions = question_views(&tr, &b.report);
    let warnings = b
        .report
        .warnings
        .iter()
        .take(SHOWN_ERRORS)
        .map(|e| ErrorView {
            row: e.row,
            column: column_label(&tr, &e.column, &e.field),
            reason: error_reason(&tr, &e.key, &e.args),
        })
        .collect();
    let outcome = tr.ta(
        "import-result-created",
        &[
            ("created", b.report.created.to_string()),
            ("updated", b.report.updated.to_string()),
            ("unchanged", b.report.unchanged.to_string()),
            (
                "skipped",
                (b.report.invalid_rows + b.report.pending_rows).to_string(),
            ),
        ],
    );
    let p = Chrome::new(&a, "import-result-title")
        .crumb(tr.t("nav-import"), Some("/members/import".into()));
    a.render(&ResultPage {
        p,
        id,
        file_name: b.file_name,
        target: target.name,
        staged: b.status == "staged",
        applied: b.status == "applied",
        running: b.status == "running",
        r: b.report,
        errors,
        more_errors,
        plan,
        questions,
        warnings,
        outcome,
    })
}

/// Answers to the mapping questions: remembered for the batch's unit, then the staged file
/// is checked again, so the preview updates without a new upload.
pub async fn answers(
    State(state): State<AppState>,
    a: Auth,
    Path(id): Path<i64>,
    axum::extract::Form(form): axum::extract::Form<Vec<(String, String)>>,
) -> AppResult {
    let cap = a.actor.authorize::<perm::MemberImport>()?;
    let b = import::get_batch(&state.store, &cap, ImportId(id)).await?;
    if b.status != "staged" {
        return Ok(a.redirect(
            &format!("/imports/{id}"),
            Flash::warn("import-already-applied"),
        ));
    }
    let who = a.who();
    for (k, answer) in &form {
        let Some(i) = k
            .strip_prefix("answer-")
            .and_then(|i| i.parse::<usize>().ok())
        else {
            continue;
        };
        let Some(q) = b.report.questions.get(i) else {
            continue;
        };
        if answer.trim().is_empty() {
            continue;
        }
        match store::org::value_map::remember(
            &state.store,
            &cap,
            &who,
            b.target,
            &q.field,
            &q.value,
            answer,
        )
        .await
        {
            Ok(_) => {}
            Err(store::StoreError::Invalid(_)) => return Err(AppError::BadRequest),
            Err(e) => return Err(e.into()),
        }
    }
    let bytes = import::batch_file(&state.store, &cap, ImportId(id)).await?;
    let opts = ImportOptions {
        target: b.target,
        mode: ImportMode::DryRun,
        max_rows: state.config.import_max_rows,
        today: crate::today(),
        progress: None,
    };
    match import::run(&state.store, &cap, &who, Arc::new(bytes), &opts).await {
        Ok(report) => {
            import::restage_batch(&state.store, &cap, ImportId(id), &report).await?;
            Ok(a.redirect(&format!("/imports/{id}"), Flash::ok("import-answers-saved")))
        }
        Err(ImportError::Store(e)) => Err(e.into()),
        Err(e) => Err(AppError::Internal(e.to_string())),
    }
}

/// The template: the expected headers in the reader's language, the coded columns with
/// their choices as drop-down lists (kept on a second sheet).
pub async fn template_xlsx(State(_state): State<AppState>, a: Auth) -> AppResult {
    a.actor.authorize::<perm::MemberImport>()?;
    let tr = a.tr;
    let err = |e: rust_xlsxwriter::XlsxError| AppError::Internal(e.to_string());
    let mut wb = rust_xlsxwriter::Workbook::new();
    let bold = rust_xlsxwriter::Format::new().set_bold();
    let text = rust_xlsxwriter::Format::new().set_num_format("@");
    let columns = store::org::export::EXPORT_COLUMNS;
    let lists_name = tr.t("import-template-lists");
    {
        let ws = wb.add_worksheet();
        ws.set_name(tr.t("import-template-sheet")).map_err(err)?;
        for (c, f) in columns.iter().enumerate() {
            let c = c as u16;
            ws.write_string_with_format(0, c, tr.t(&format!("col-{}", f.replace('_', "-"))), &bold)
                .map_err(err)?;
            ws.set_column_width(c, 14).map_err(err)?;
            if matches!(*f, "id_number" | "phone") {
                // Excel keeps 15 digits of a number: these columns are text.
                ws.set_column_format(c, &text).map_err(err)?;
                ws.set_column_width(c, 22).map_err(err)?;
            }
        }
        for (c, f) in columns.iter().enumerate() {
            let n = domain::roster::choices(f).len();
            if n == 0 {
                continue;
            }
            let letter = rust_xlsxwriter::utility::column_number_to_name(c as u16);
            let dv = rust_xlsxwriter::DataValidation::new()
                .allow_list_formula(
                    format!("='{lists_name}'!${letter}$1:${letter}${n}")
                        .as_str()
                        .into(),
                )
                .ignore_blank(true);
            ws.add_data_validation(1, c as u16, 2000, c as u16, &dv)
                .map_err(err)?;
        }
    }
    let lists = wb.add_worksheet();
    lists.set_name(&lists_name).map_err(err)?;
    for (c, f) in columns.iter().enumerate() {
        for (r, o) in choice_options(&tr, f).iter().enumerate() {
            lists
                .write_string(r as u32, c as u16, &o.label)
                .map_err(err)?;
        }
    }
    lists.set_hidden(true);
    let bytes = wb.save_to_buffer().map_err(err)?;
    let name = format!("{}.xlsx", tr.t("import-template-sheet"));
    Ok(xlsx_response(bytes, &name))
}

/// An .xlsx download named `name` (UTF-8 names per RFC 6266 / 5987).
pub(crate) fn xlsx_response(bytes: Vec<u8>, name: &str) -> axum::response::Response {
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    (
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"{ascii}\"; filename*=UTF-8''{}",
                    percent(name)
                ),
            ),
        ],
        bytes,
    )
        .into_response()
}

fn percent(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct ApplyForm {
    mode: String,
}

/// Starts applying a staged batch in the background and returns at once; the result page
/// follows its progress (server-sent events with JavaScript, a refresh without).
pub async fn apply(
    State(state): State<AppState>,
    a: Auth,
    Path(id): Path<i64>,
    axum::extract::Form(f): axum::extract::Form<ApplyForm>,
) -> AppResult {
    let cap = a.actor.authorize::<perm::MemberImport>()?;
    let mode = match ImportMode::from_code(&f.mode) {
        Some(m @ (ImportMode::AllOrNothing | ImportMode::ValidRows)) => m,
        _ => return Err(AppError::BadRequest),
    };
    let b = import::get_batch(&state.store, &cap, ImportId(id)).await?;
    if !import::claim_batch(&state.store, &cap, ImportId(id)).await? {
        return Ok(a.redirect(
            &format!("/imports/{id}"),
            Flash::warn("import-already-applied"),
        ));
    }
    let bytes = import::batch_file(&state.store, &cap, ImportId(id)).await?;
    let who = a.who();
    let tr = a.tr;
    if let Ok(mut m) = state.import_progress.lock() {
        m.insert(id, 0);
    }
    let progress_state = state.clone();
    let progress = import::Progress(Arc::new(move |rows| {
        if let Ok(mut m) = progress_state.import_progress.lock() {
            m.insert(id, rows);
        }
    }));
    let opts = ImportOptions {
        target: b.target,
        mode,
        max_rows: state.config.import_max_rows,
        today: crate::today(),
        progress: Some(progress),
    };
    let task_state = state.clone();
    tokio::spawn(async move {
        let st = &task_state.store;
        match import::run(st, &cap, &who, Arc::new(bytes), &opts).await {
            Ok(report) => {
                if let Err(e) = import::finish_batch(st, &cap, ImportId(id), mode, &report).await {
                    tracing::error!(batch = id, error = %e, "recording an import result failed");
                }
            }
            Err(e) => {
                tracing::error!(batch = id, error = %import_error_text(&tr, &e, 0), "import failed");
                let _ = import::release_batch(st, &cap, ImportId(id)).await;
            }
        }
        if let Ok(mut m) = task_state.import_progress.lock() {
            m.remove(&id);
        }
    });
    Ok(a.redirect(&format!("/imports/{id}"), Flash::ok("import-started")))
}

/// Progress of a running import: `progress` events with rows done and total, then `done`.
pub async fn events(State(state): State<AppState>, a: Auth, Path(id): Path<i64>) -> AppResult {
    use axum::response::sse::{Event, KeepAlive, Sse};
    let cap = a.actor.authorize::<perm::MemberImport>()?;
    let b = import::get_batch(&state.store, &cap, ImportId(id)).await?;
    let total = b.report.rows;
    let stream = futures::stream::unfold(
        (state, cap, false),
        move |(state, cap, finished)| async move {
            if finished {
                return None;
            }
            tokio::time::sleep(std::time::Duration::from_millis(300)).await;
            let done = state
                .import_progress
                .lock()
                .ok()
                .and_then(|m| m.get(&id).copied());
            let event = match done {
                Some(rows) => Event::default()
                    .event("progress")
                    .data(format!("{{\"done\":{rows},\"total\":{total}}}")),
                None => {
                    // Not running here: finished, or running in another process.
                    let status = import::get_batch(&state.store, &cap, ImportId(id))
                        .await
                        .map(|b| b.status)
                        .unwrap_or_default();
                    if status == "running" {
                        Event::default()
                            .event("progress")
                            .data(format!("{{\"done\":null,\"total\":{total}}}"))
                    } else {
                        return Some((
                            Ok::<_, std::convert::Infallible>(
                                Event::default().event("done").data(status),
                            ),
                            (state, cap, true),
                        ));
                    }
                }
            };
            Some((Ok(event), (state, cap, false)))
        },
    );
    Ok(Sse::new(stream)
        .keep_alive(KeepAlive::default())
        .into_response())
}

pub async fn discard(State(state): State<AppState>, a: Auth, Path(id): Path<i64>) -> AppResult {
    let cap = a.actor.authorize::<perm::MemberImport>()?;
    import::discard_batch(&state.store, &cap, ImportId(id)).await?;
    Ok(a.redirect("/members/import", Flash::ok("import-discarded")))
}

/// The problem list, named after the uploaded file: while the file is staged, the header
/// and every row with a problem (errors, values to map, warnings) as the user wrote them,
/// plus a problem column; after applying, the row numbers with their problems.
pub async fn errors_xlsx(State(state): State<AppState>, a: Auth, Path(id): Path<i64>) -> AppResult {
    let cap = a.actor.authorize::<perm::MemberImport>()?;
    let b = import::get_batch(&state.store, &cap, ImportId(id)).await?;
    let tr = a.tr;
    let r = &b.report;
    let mut problems: std::collections::BTreeMap<u32, Vec<String>> = Default::default();
    let mut add = |row: u32, column: &Option<String>, field: &str, text: String| {
        problems
            .entry(row)
            .or_default()
            .push(format!("{}: {text}", column_label(&tr, column, field)));
    };
    for e in &r.errors {
        add(
            e.row,
            &e.column,
            &e.field,
            error_reason(&tr, &e.key, &e.args),
        );
    }
    for (q, view) in r.questions.iter().zip(question_views(&tr, r)) {
        for row in &q.first_rows {
            add(*row, &q.column, &q.field, view.text.clone());
        }
    }
    for w in &r.warnings {
        add(
            w.row,
            &w.column,
            &w.field,
            error_reason(&tr, &w.key, &w.args),
        );
    }
    let err = |e: rust_xlsxwriter::XlsxError| AppError::Internal(e.to_string());
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    let bold = rust_xlsxwriter::Format::new().set_bold();
    let text = rust_xlsxwriter::Format::new().set_num_format("@");
    let problem_col = tr.t("import-problems-column");
    let staged = match import::batch_file(&state.store, &cap, ImportId(id)).await {
        Ok(bytes) => Some(bytes),
        Err(store::StoreError::NotFound) => None,
        Err(e) => return Err(e.into()),
    };
    if let Some(bytes) = staged {
        // The rows themselves, read again from the staged file.
        let header_row = r.header_row;
        let wanted = problems.clone();
        let rows = tokio::task::spawn_blocking(move || {
            let mut out: Vec<(u32, Vec<String>)> = Vec::new();
            let _ = store::org::roster_file::read_rows(&bytes, |(n, cells)| {
                if n == header_row || wanted.contains_key(&n) {
                    out.push((n, cells.into_iter().map(|c| c.text).collect()));
                }
                std::ops::ControlFlow::Continue(())
            });
            out
        })
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?;
        let width = rows.iter().map(|(_, c)| c.len()).max().unwrap_or(0) as u16;
        let mut out_row = 0u32;
        for (n, cells) in &rows {
            let header = *n == header_row;
            if header {
                ws.write_string_with_format(out_row, 0, tr.t("import-col-row"), &bold)
                    .map_err(err)?;
            } else {
                ws.write_number(out_row, 0, f64::from(*n)).map_err(err)?;
            }
            for (c, v) in cells.iter().enumerate() {
                if v.is_empty() {
                    continue;
                }
                let c = c as u16 + 1;
                if header {
                    ws.write_string_with_format(out_row, c, v, &bold)
                        .map_err(err)?;
                } else {
                    ws.write_string_with_format(out_row, c, v, &text)
                        .map_err(err)?;
                }
            }
            let p = if header {
                problem_col.clone()
            } else {
                problems.get(n).map(|v| v.join("；")).unwrap_or_default()
            };
            ws.write_string(out_row, width + 1, p).map_err(err)?;
            out_row += 1;
        }
        ws.set_column_width(width + 1, 60).map_err(err)?;
    } else {
        for (c, h) in ["import-col-row", "import-problems-column"]
            .iter()
            .enumerate()
        {
            ws.write_string_with_format(0, c as u16, tr.t(h), &bold)
                .map_err(err)?;
        }
        for (i, (row, ps)) in problems.iter().enumerate() {
            let out = i as u32 + 1;
            ws.write_number(out, 0, f64::from(*row)).map_err(err)?;
            ws.write_string(out, 1, ps.join("；")).map_err(err)?;
        }
        ws.set_column_width(1, 80).map_err(err)?;
    }
    let bytes = wb.save_to_buffer().map_err(err)?;
    let stem = b
        .file_name
        .rsplit_once('.')
        .map(|(s, _)| s.to_string())
        .unwrap_or_else(|| b.file_name.clone());
    let name = format!("{stem}-{}.xlsx", tr.t("import-problems-suffix"));
    Ok(xlsx_response(bytes, &name))
}
