//! Meetings: planning one, its page (agenda, documents, roles, attendance at a glance),
//! opening check-in and closing, document upload and download, and the proposal handling
//! report as an A4 print view and as .xlsx.

use super::terms::{meeting_name, term_name};
use super::{Reader, form_id, into_fields, read_meeting, refused};
use crate::chrome::{Chrome, Opt, coded_options};
use crate::ctx::{Auth, Flash};
use crate::error::{AppError, AppResult};
use crate::i18n::Tr;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Form, Multipart, Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::IntoResponse;
use domain::FieldErrors;
use domain::auth::perm;
use domain::congress::{
    AgendaInput, AgendaItemId, AgendaKind, DocumentId, MeetingId, MeetingInput, MeetingRole,
    MeetingStatus, TermId, authorize_self,
};
use domain::ids::MemberId;
use domain::org::Coded;
use serde::Deserialize;
use store::StoreError;
use store::congress::meetings::{self as sm, Viewer};
use store::congress::{attendance as sa, report as sr, terms as stt};

// ------------------------------------------------------------------ new meeting

#[derive(Template)]
#[template(path = "congress/meeting_form.html")]
struct MeetingFormPage {
    p: Chrome,
    term_id: i64,
    f: MeetingInput,
    errors: FieldErrors,
    kinds: Vec<Opt>,
}

async fn meeting_form(
    state: &AppState,
    a: &Auth,
    term: i64,
    f: MeetingInput,
    errors: FieldErrors,
) -> AppResult {
    let cap = a.actor.authorize::<perm::CongressManage>()?;
    let t = stt::get_term(&state.store.db, &cap, TermId(term)).await?;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let p = Chrome::new(a, "meeting-new-title")
        .crumb(a.tr.t("congress-title"), Some("/congress".into()))
        .crumb(
            term_name(&a.tr, t.number, t.mode),
            Some(format!("/congress/terms/{term}")),
        );
    let mut r = a.render(&MeetingFormPage {
        p,
        term_id: term,
        kinds: coded_options::<domain::congress::MeetingKind>(&a.tr, &f.kind, None),
        f,
        errors,
    })?;
    *r.status_mut() = status;
    Ok(r)
}

pub async fn new_page(State(state): State<AppState>, a: Auth, Path(id): Path<i64>) -> AppResult {
    let today = crate::today();
    let f = MeetingInput {
        kind: "regular".into(),
        meeting_date: (today + chrono::Duration::days(14))
            .format("%Y-%m-%d")
            .to_string(),
        starts_at: "14:30".into(),
        proposals_from: today.format("%Y-%m-%d").to_string(),
        proposals_until: (today + chrono::Duration::days(7))
            .format("%Y-%m-%d")
            .to_string(),
        ..Default::default()
    };
    meeting_form(&state, &a, id, f, FieldErrors::default()).await
}

pub async fn create(
    State(state): State<AppState>,
    a: Auth,
    Path(id): Path<i64>,
    Form(f): Form<MeetingInput>,
) -> AppResult {
    let cap = a.actor.authorize::<perm::CongressManage>()?;
    let mut errors = FieldErrors::default();
    match f.parse() {
        Ok(d) => match sm::create_meeting(&state.store, &cap, &a.who(), TermId(id), &d).await {
            Ok(m) => {
                return Ok(a.redirect(
                    &format!("/congress/meetings/{m}"),
                    Flash::ok("meeting-created"),
                ));
            }
            Err(StoreError::NotFound) => return Err(AppError::NotFound),
            Err(e) => into_fields(e, &mut errors)?,
        },
        Err(e) => errors.0.extend(e.0),
    }
    meeting_form(&state, &a, id, f, errors).await
}

// ------------------------------------------------------------------ the meeting page

pub struct AgendaView {
    pub id: i64,
    pub position: i64,
    pub kind: String,
    pub title: String,
    pub presenter: String,
    pub documents: Vec<DocView>,
}

pub struct DocView {
    pub id: i64,
    pub name: String,
    pub size: String,
}

pub struct BoardView {
    pub present: u32,
    pub due: u32,
    pub total: u32,
    pub excused: u32,
    pub attended: u32,
    pub needed: u32,
    pub met: bool,
    pub others: u32,
    pub late: u32,
    pub left: u32,
    pub rule: String,
}

pub fn board_view(tr: &Tr, b: &sa::Board) -> BoardView {
    let a = b.counts.attendance;
    BoardView {
        present: a.present,
        due: a.due(),
        total: a.total,
        excused: a.excused,
        attended: b.counts.attended,
        needed: b.quorum.needed,
        met: b.quorum.met,
        others: b.counts.others_present,
        late: b.counts.late,
        left: b.counts.left,
        rule: tr.ta(
            &format!("board-rule-{}", b.rules.quorum_base.code()),
            &[("share", b.rules.quorum.share.display())],
        ),
    }
}

fn size_text(bytes: i64) -> String {
    if bytes >= 1024 * 1024 {
        format!("{:.1} MB", bytes as f64 / (1024.0 * 1024.0))
    } else {
        format!("{} KB", (bytes + 1023) / 1024)
    }
}

#[derive(Template)]
#[template(path = "congress/meeting.html")]
struct MeetingPage {
    p: Chrome,
    m: super::terms::MeetingView,
    term_id: i64,
    staff: bool,
    can_manage: bool,
    starts: String,
    window: String,
    board: BoardView,
    agenda: Vec<AgendaView>,
    loose_docs: Vec<DocView>,
    roles: Vec<(i64, String, String)>,
    role_opts: Vec<Opt>,
    people: Vec<Opt>,
    agenda_kinds: Vec<Opt>,
    agenda_opts: Vec<Opt>,
    checked_in: Option<String>,
    can_propose: bool,
    final_text: Option<String>,
    max_mb: usize,
}

pub async fn show(State(state): State<AppState>, a: Auth, Path(id): Path<i64>) -> AppResult {
    let (reader, m) = read_meeting(&state, &a, id).await?;
    let tr = a.tr;
    let db = &state.store.db;
    let today = crate::today();
    let v = reader.viewer();
    let agenda = sm::agenda(db, v, m.id).await?;
    let docs = sm::documents(db, v, m.id).await?;
    let roles = sm::roles(db, v, m.id).await?;
    let board = sa::board(db, &m).await?;
    let can_manage = match a.actor.authorize::<perm::CongressManage>() {
        Ok(cap) => sm::get_meeting(db, Viewer::manage(&cap), m.id)
            .await
            .is_ok(),
        Err(_) => false,
    };
    let people = if can_manage {
        let cap = a.actor.authorize::<perm::CongressView>()?;
        stt::delegates(db, &cap, m.term_id, false)
            .await?
            .into_iter()
            .map(|d| {
                Opt::new(
                    d.member_id.0,
                    format!("{} · {}", d.name, tr.label(d.kind)),
                    false,
                )
            })
            .collect()
    } else {
        Vec::new()
    };
    let checked_in = match &reader {
        Reader::Attendee(acting) => sa::own_check_in(db, acting, m.id)
            .await
            .ok()
            .and_then(|(_, at)| at)
            .map(|at| tr.datetime(&at)),
        Reader::Staff(_) => None,
    };
    let doc_view = |d: &sm::DocumentMeta| DocView {
        id: d.id.0,
        name: d.file_name.clone(),
        size: size_text(d.size_bytes),
    };
    let agenda_views: Vec<AgendaView> = agenda
        .iter()
        .map(|i| AgendaView {
            id: i.id.0,
            position: i.position,
            kind: tr.label(i.kind),
            title: i.title.clone(),
            presenter: i.presenter.clone().unwrap_or_default(),
            documents: docs
                .iter()
                .filter(|d| d.agenda_item_id == Some(i.id))
                .map(doc_view)
                .collect(),
        })
        .collect();
    let final_text = match (m.final_attendance, m.final_quorum) {
        (Some(att), Some(q)) => Some(tr.ta(
            if q {
                "meeting-final-quorum"
            } else {
                "meeting-final-no-quorum"
            },
            &[
                ("present", att.present.to_string()),
                ("total", att.total.to_string()),
            ],
        )),
        _ => None,
    };
    let window = match (m.proposals_from, m.proposals_until) {
        (None, None) => tr.t("meeting-window-open"),
        (f, u) => format!("{} – {}", tr.opt_date(&f), tr.opt_date(&u)),
    };
    let mut agenda_opts = vec![Opt::new("", tr.t("document-no-item"), true)];
    agenda_opts.extend(
        agenda
            .iter()
            .map(|i| Opt::new(i.id, format!("{}. {}", i.position, i.title), false)),
    );
    let name = meeting_name(&tr, m.term_number, m.number, m.mode);
    let p = Chrome::new(&a, "meeting-title")
        .title_text(name.clone())
        .crumb(tr.t("congress-title"), Some("/congress".into()))
        .crumb(name, None);
    a.render(&MeetingPage {
        p,
        m: super::terms::meeting_view(&tr, &m, today),
        term_id: m.term_id.0,
        staff: reader.is_staff(),
        can_manage,
        starts: match m.starts_at {
            Some(t) => tr.datetime(&t),
            None => tr.date(&m.meeting_date),
        },
        window,
        board: board_view(&tr, &board),
        agenda: agenda_views,
        loose_docs: docs
            .iter()
            .filter(|d| d.agenda_item_id.is_none())
            .map(doc_view)
            .collect(),
        roles: roles
            .iter()
            .map(|r| (r.id, tr.label(r.role), r.name.clone()))
            .collect(),
        role_opts: coded_options::<MeetingRole>(&tr, "presidium", None),
        people,
        agenda_kinds: coded_options::<AgendaKind>(&tr, "report", None),
        agenda_opts,
        checked_in,
        can_propose: a.actor.may(domain::auth::Permission::ProposalSubmit),
        final_text,
        max_mb: domain::congress::DOC_MAX_BYTES / (1024 * 1024),
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct StatusForm {
    status: String,
}

pub async fn status(
    State(state): State<AppState>,
    a: Auth,
    Path(id): Path<i64>,
    Form(f): Form<StatusForm>,
) -> AppResult {
    let cap = a.actor.authorize::<perm::CongressManage>()?;
    sm::get_meeting(&state.store.db, Viewer::manage(&cap), MeetingId(id)).await?;
    let back = format!("/congress/meetings/{id}");
    let Some(to) = MeetingStatus::from_code(&f.status) else {
        return Ok(a.redirect(&back, Flash::error(domain::text::STEP_NOT_ALLOWED)));
    };
    match sm::set_status(&state.store, &cap, &a.who(), MeetingId(id), to).await {
        Ok(()) => {
            super::attendance::notify(MeetingId(id));
            Ok(a.redirect(&back, Flash::ok(&format!("meeting-now-{}", to.code()))))
        }
        Err(e) => refused(&a, &back, e),
    }
}

pub async fn add_agenda(
    State(state): State<AppState>,
    a: Auth,
    Path(id): Path<i64>,
    Form(f): Form<AgendaInput>,
) -> AppResult {
    let cap = a.actor.authorize::<perm::CongressManage>()?;
    sm::get_meeting(&state.store.db, Viewer::manage(&cap), MeetingId(id)).await?;
    let back = format!("/congress/meetings/{id}#agenda");
    let d = match f.parse() {
        Ok(d) => d,
        Err(e) => match e.0.first() {
            Some(fe) => return Ok(a.redirect(&back, super::flash_of(fe))),
            None => return Err(AppError::BadRequest),
        },
    };
    match sm::add_agenda_item(&state.store, &cap, &a.who(), MeetingId(id), &d).await {
        Ok(_) => Ok(a.redirect(&back, Flash::ok("agenda-added"))),
        Err(e) => refused(&a, &back, e),
    }
}

pub async fn remove_agenda(
    State(state): State<AppState>,
    a: Auth,
    Path(id): Path<i64>,
) -> AppResult {
    let cap = a.actor.authorize::<perm::CongressManage>()?;
    match sm::remove_agenda_item(&state.store, &cap, &a.who(), AgendaItemId(id)).await {
        Ok(m) => Ok(a.redirect(
            &format!("/congress/meetings/{m}#agenda"),
            Flash::ok("agenda-removed"),
        )),
        Err(e) => refused(&a, "/congress", e),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RoleForm {
    member: String,
    role: String,
    id: String,
}

pub async fn add_role(
    State(state): State<AppState>,
    a: Auth,
    Path(id): Path<i64>,
    Form(f): Form<RoleForm>,
) -> AppResult {
    let cap = a.actor.authorize::<perm::CongressManage>()?;
    sm::get_meeting(&state.store.db, Viewer::manage(&cap), MeetingId(id)).await?;
    let back = format!("/congress/meetings/{id}#roles");
    let (Some(member), Some(role)) = (form_id(&f.member), MeetingRole::from_code(&f.role)) else {
        return Ok(a.redirect(&back, Flash::error(domain::text::REQUIRED)));
    };
    match sm::add_role(
        &state.store,
        &cap,
        &a.who(),
        MeetingId(id),
        MemberId(member),
        role,
    )
    .await
    {
        Ok(()) => Ok(a.redirect(&back, Flash::ok("role-added").arg("role", a.tr.label(role)))),
        Err(e) => refused(&a, &back, e),
    }
}

pub async fn remove_role(
    State(state): State<AppState>,
    a: Auth,
    Path(id): Path<i64>,
    Form(f): Form<RoleForm>,
) -> AppResult {
    let cap = a.actor.authorize::<perm::CongressManage>()?;
    sm::get_meeting(&state.store.db, Viewer::manage(&cap), MeetingId(id)).await?;
    let back = format!("/congress/meetings/{id}#roles");
    let Some(role) = form_id(&f.id) else {
        return Ok(a.redirect(&back, Flash::error(domain::text::REQUIRED)));
    };
    match sm::remove_role(&state.store, &cap, &a.who(), MeetingId(id), role).await {
        Ok(()) => Ok(a.redirect(&back, Flash::ok("role-removed"))),
        Err(e) => refused(&a, &back, e),
    }
}

// ------------------------------------------------------------------ documents

pub async fn upload(
    State(state): State<AppState>,
    a: Auth,
    Path(id): Path<i64>,
    mp: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> AppResult {
    let cap = a.actor.authorize::<perm::CongressManage>()?;
    sm::get_meeting(&state.store.db, Viewer::manage(&cap), MeetingId(id)).await?;
    // Authorised first; only then is the body read.
    let mut mp = mp.map_err(|_| AppError::BadRequest)?;
    let back = format!("/congress/meetings/{id}#documents");
    let too_large = || {
        Flash::error(domain::text::FILE_TOO_LARGE)
            .arg("max", domain::congress::DOC_MAX_BYTES / (1024 * 1024))
    };
    let mut item = String::new();
    let mut file: Option<(String, Vec<u8>)> = None;
    loop {
        match mp.next_field().await {
            Ok(Some(field)) => match field.name() {
                Some("agenda_item") => item = field.text().await.unwrap_or_default(),
                Some("file") => {
                    let name = field.file_name().unwrap_or("document").to_string();
                    match field.bytes().await {
                        Ok(b) => file = Some((name, b.to_vec())),
                        Err(_) => return Ok(a.redirect(&back, too_large())),
                    }
                }
                _ => {}
            },
            Ok(None) => break,
            Err(_) => return Ok(a.redirect(&back, too_large())),
        }
    }
    let Some((name, bytes)) = file else {
        return Ok(a.redirect(&back, Flash::error(domain::text::REQUIRED)));
    };
    match sm::add_document(
        &state.store,
        &cap,
        &a.who(),
        MeetingId(id),
        form_id(&item).map(AgendaItemId),
        &name,
        &bytes,
        domain::congress::DOC_MAX_BYTES,
    )
    .await
    {
        Ok(_) => Ok(a.redirect(&back, Flash::ok("document-added"))),
        Err(e) => refused(&a, &back, e),
    }
}

/// Serves a document as a download only: its own type, `attachment`, `nosniff`, and a
/// sandbox so that even a browser that renders it runs nothing.
pub async fn download(State(state): State<AppState>, a: Auth, Path(id): Path<i64>) -> AppResult {
    let db = &state.store.db;
    let mut found = None;
    if let Ok(cap) = a.actor.authorize::<perm::CongressView>() {
        match sm::document(db, Viewer::view(&cap), DocumentId(id)).await {
            Ok(d) => found = Some(d),
            Err(StoreError::NotFound) => {}
            Err(e) => return Err(e.into()),
        }
    }
    if found.is_none()
        && let Ok(acting) = authorize_self::<perm::CongressAttend>(&a.actor)
    {
        match sm::document(db, Viewer::attendee(&acting), DocumentId(id)).await {
            Ok(d) => found = Some(d),
            Err(StoreError::NotFound) => {}
            Err(e) => return Err(e.into()),
        }
    }
    let Some((meta, bytes)) = found else {
        return Err(if a.actor.may(domain::auth::Permission::CongressAttend) {
            AppError::NotFound
        } else {
            AppError::Forbidden
        });
    };
    let ascii = format!("document-{}.{}", meta.id, meta.kind.code());
    let mut r = (
        [
            (header::CONTENT_TYPE, meta.kind.content_type().to_string()),
            (
                header::CONTENT_DISPOSITION,
                super::attachment(&meta.file_name, &ascii),
            ),
            (header::CACHE_CONTROL, "private, no-store".to_string()),
        ],
        bytes,
    )
        .into_response();
    r.headers_mut().insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    Ok(r)
}

pub async fn delete_document(
    State(state): State<AppState>,
    a: Auth,
    Path(id): Path<i64>,
) -> AppResult {
    let cap = a.actor.authorize::<perm::CongressManage>()?;
    match sm::delete_document(&state.store, &cap, &a.who(), DocumentId(id)).await {
        Ok(m) => Ok(a.redirect(
            &format!("/congress/meetings/{m}#documents"),
            Flash::ok("document-deleted"),
        )),
        Err(e) => refused(&a, "/congress", e),
    }
}

// ------------------------------------------------------------------ the handling report

pub struct ItemView {
    pub id: i64,
    pub number: String,
    pub title: String,
    pub proposer: String,
    pub category: String,
    pub status: String,
    pub decision: String,
    pub handler: String,
    pub rounds: i64,
    pub rating: String,
    pub implementation: String,
    pub overdue: bool,
}

fn item_views(tr: &Tr, r: &sr::HandlingReport) -> Vec<ItemView> {
    r.items
        .iter()
        .map(|i| ItemView {
            id: i.id.0,
            number: i.number.map(|n| n.to_string()).unwrap_or_default(),
            title: i.title.clone(),
            proposer: i.proposer.clone(),
            category: tr.label(i.category),
            status: tr.label(i.status),
            decision: match (&i.decision, &i.decision_reason) {
                (Some(d), Some(reason)) => tr.ta(
                    "report-decision-with-reason",
                    &[("decision", tr.label(*d)), ("reason", reason.clone())],
                ),
                (Some(d), None) => tr.label(*d),
                _ => String::new(),
            },
            handler: {
                let h = i.handler.clone().unwrap_or_default();
                if i.co_handlers.is_empty() {
                    h
                } else {
                    tr.ta(
                        "report-handler-with-co",
                        &[
                            ("handler", h),
                            ("co", i.co_handlers.join(&tr.t("list-separator"))),
                        ],
                    )
                }
            },
            rounds: i.replies,
            rating: tr.olbl(&i.last_rating),
            implementation: match (i.implementation, i.percent) {
                (Some(s), Some(p)) => format!("{} {p}%", tr.label(s)),
                (Some(s), None) => tr.label(s),
                _ => String::new(),
            },
            overdue: i.overdue,
        })
        .collect()
}

#[derive(Template)]
#[template(path = "congress/report.html")]
struct ReportPage {
    p: Chrome,
    meeting_id: i64,
    school: String,
    summary: Vec<String>,
    by_status: Vec<(String, i64)>,
    by_department: Vec<sr::DepartmentLine>,
    items: Vec<ItemView>,
    date: String,
}

fn summary_lines(tr: &Tr, r: &sr::HandlingReport) -> Vec<String> {
    let n = |v: i64| v.to_string();
    let mut v = vec![tr.ta(
        "report-summary-received",
        &[
            ("received", n(r.received)),
            ("accepted", n(r.accepted)),
            ("merged", n(r.merged)),
            ("suggestion", n(r.to_suggestion)),
            ("rejected", n(r.rejected)),
            ("pending", n(r.pending)),
        ],
    )];
    v.push(tr.ta(
        "report-summary-handled",
        &[
            ("answered", n(r.answered)),
            ("implementing", n(r.implementing)),
            ("closed", n(r.closed)),
            ("overdue", n(r.overdue)),
        ],
    ));
    v.push(match r.satisfaction_percent() {
        Some(pct) => tr.ta(
            "report-summary-rated",
            &[
                ("rated", n(r.rated)),
                ("satisfied", n(r.satisfied)),
                ("partly", n(r.partly)),
                ("dissatisfied", n(r.dissatisfied)),
                ("percent", pct.to_string()),
            ],
        ),
        None => tr.t("report-summary-unrated"),
    });
    v
}

async fn load_report(state: &AppState, a: &Auth, id: i64) -> AppResult<sr::HandlingReport> {
    let cap = a.actor.authorize::<perm::CongressView>()?;
    Ok(sr::handling_report(&state.store.db, &cap, MeetingId(id), crate::today()).await?)
}

pub async fn report(State(state): State<AppState>, a: Auth, Path(id): Path<i64>) -> AppResult {
    let r = load_report(&state, &a, id).await?;
    let tr = a.tr;
    let name = meeting_name(&tr, r.meeting.term_number, r.meeting.number, r.meeting.mode);
    let p = Chrome::new(&a, "report-title")
        .title_text(tr.t1("report-heading", "meeting", &name))
        .crumb(tr.t("congress-title"), Some("/congress".into()))
        .crumb(name, Some(format!("/congress/meetings/{id}")));
    a.render(&ReportPage {
        p,
        meeting_id: id,
        school: r.meeting.school_name.clone(),
        summary: summary_lines(&tr, &r),
        by_status: r
            .by_status
            .iter()
            .map(|(s, n)| (tr.label(*s), *n))
            .collect(),
        by_department: r.by_department.clone(),
        items: item_views(&tr, &r),
        date: tr.date(&crate::today()),
    })
}

pub async fn report_xlsx(State(state): State<AppState>, a: Auth, Path(id): Path<i64>) -> AppResult {
    let r = load_report(&state, &a, id).await?;
    let tr = a.tr;
    let bytes = report_workbook(&tr, &r).map_err(|e| AppError::Internal(format!("xlsx: {e}")))?;
    let name = format!(
        "{}-{}.xlsx",
        tr.t("report-title"),
        meeting_name(&tr, r.meeting.term_number, r.meeting.number, r.meeting.mode)
    );
    Ok(super::xlsx(
        bytes,
        &name,
        &format!("proposal-report-{id}.xlsx"),
    ))
}

fn report_workbook(tr: &Tr, r: &sr::HandlingReport) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();
    let ws = wb.add_worksheet();
    ws.set_name(tr.t("report-sheet-summary"))?;
    ws.write_string_with_format(
        0,
        0,
        tr.t1(
            "report-heading",
            "meeting",
            meeting_name(tr, r.meeting.term_number, r.meeting.number, r.meeting.mode),
        ),
        &bold,
    )?;
    ws.write_string(1, 0, &r.meeting.school_name)?;
    let mut row = 3;
    for line in summary_lines(tr, r) {
        ws.write_string(row, 0, line)?;
        row += 1;
    }
    row += 1;
    ws.write_string_with_format(row, 0, tr.t("report-by-status"), &bold)?;
    row += 1;
    for (s, n) in &r.by_status {
        ws.write_string(row, 0, tr.label(*s))?;
        ws.write_number(row, 1, *n as f64)?;
        row += 1;
    }
    row += 1;
    ws.write_string_with_format(row, 0, tr.t("report-by-department"), &bold)?;
    row += 1;
    for (c, h) in [
        "col-department",
        "col-assigned",
        "col-answered",
        "col-overdue",
        "enum-rating-satisfied",
        "enum-rating-partly-satisfied",
        "enum-rating-dissatisfied",
    ]
    .iter()
    .enumerate()
    {
        ws.write_string_with_format(row, c as u16, tr.t(h), &bold)?;
    }
    row += 1;
    for d in &r.by_department {
        ws.write_string(row, 0, &d.name)?;
        for (c, v) in [
            d.assigned,
            d.answered,
            d.overdue,
            d.satisfied,
            d.partly,
            d.dissatisfied,
        ]
        .iter()
        .enumerate()
        {
            ws.write_number(row, c as u16 + 1, *v as f64)?;
        }
        row += 1;
    }
    let items = wb.add_worksheet();
    items.set_name(tr.t("report-sheet-items"))?;
    let heads = [
        "col-number",
        "col-heading",
        "col-proposer",
        "col-category",
        "col-status",
        "col-decision",
        "col-handler",
        "col-rounds",
        "col-rating",
        "col-implementation",
    ];
    for (c, h) in heads.iter().enumerate() {
        items.write_string_with_format(0, c as u16, tr.t(h), &bold)?;
    }
    for (i, it) in item_views(tr, r).iter().enumerate() {
        let row = i as u32 + 1;
        for (c, v) in [
            &it.number,
            &it.title,
            &it.proposer,
            &it.category,
            &it.status,
            &it.decision,
            &it.handler,
            &it.rounds.to_string(),
            &it.rating,
            &it.implementation,
        ]
        .iter()
        .enumerate()
        {
            items.write_string(row, c as u16, v.as_str())?;
        }
    }
    items.set_column_width(1, 30)?;
    items.set_column_width(5, 40)?;
    wb.save_to_buffer()
}
