//! Roster import on the web: upload → dry run (every bad row named) → apply all-or-nothing
//! or valid rows only → result. The upload is staged encrypted between the steps, so the
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
    })
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

/// Every bad row of the dry run as a spreadsheet, in the reader's language.
pub async fn errors_xlsx(State(state): State<AppState>, a: Auth, Path(id): Path<i64>) -> AppResult {
    let cap = a.actor.authorize::<perm::MemberImport>()?;
    let b = import::get_batch(&state.store, &cap, ImportId(id)).await?;
    let tr = a.tr;
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    let err = |e: rust_xlsxwriter::XlsxError| AppError::Internal(e.to_string());
    for (c, h) in ["import-col-row", "import-col-column", "import-col-reason"]
        .iter()
        .enumerate()
    {
        ws.write_string(0, c as u16, tr.t(h)).map_err(err)?;
    }
    for (i, e) in b.report.errors.iter().enumerate() {
        let r = i as u32 + 1;
        ws.write_number(r, 0, f64::from(e.row)).map_err(err)?;
        ws.write_string(r, 1, e.column.clone().unwrap_or_default())
            .map_err(err)?;
        ws.write_string(r, 2, error_reason(&tr, &e.key, &e.args))
            .map_err(err)?;
    }
    ws.set_column_width(2, 60).map_err(err)?;
    let bytes = wb.save_to_buffer().map_err(err)?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"import-{id}-errors.xlsx\""),
            ),
        ],
        bytes,
    )
        .into_response())
}
