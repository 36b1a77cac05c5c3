//! The staff congress on the web: terms and delegates, meetings with agenda, documents and
//! roles, check-in (phone, printed code, door) with the live attendance board, rule sets,
//! the handling report and the district's oversight.
//!
//! Handlers stay thin: parse the form, ask the policy for a capability (or for
//! [`domain::congress::Acting`] when a delegate acts as themselves), call `store`, then
//! redirect with a flash message or render. Refusals that the store names (a used code, a
//! missing seconder, a past deadline…) come back as catalogue keys and are shown as such;
//! nothing else about the request changes.

pub mod attendance;
pub mod meetings;
pub mod oversight;
pub mod rules;
pub mod terms;

use crate::Need::{Attendee, Staff};
use crate::ctx::{Auth, Flash};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::{Guard, Permission as P, RouteTable};
use domain::auth::{Cap, perm};
use domain::congress::{Acting, MeetingId, authorize_self};
use domain::{FieldError, FieldErrors};
use store::StoreError;
use store::congress::meetings::{Meeting, Viewer, get_meeting};

/// Largest upload of a delegate list.
pub const ROSTER_LIMIT: usize = 5 * 1024 * 1024;

pub fn routes(t: RouteTable) -> RouteTable {
    let t = t
        .get(
            "/congress",
            Guard::any(&[Staff(P::CongressView), Attendee(P::CongressAttend)]),
            terms::home,
        )
        .get(
            "/congress/terms/new",
            Guard::staff(P::CongressManage),
            terms::new_page,
        )
        .post(
            "/congress/terms/new",
            Guard::staff(P::CongressManage).form(&[
                ("school", "{school}"),
                ("number", "2"),
                ("mode", "congress"),
                ("start_date", "{today}"),
                ("end_date", "2029-11-25"),
            ]),
            terms::create,
        )
        .get(
            "/congress/terms/{id}",
            Guard::staff(P::CongressView),
            terms::show,
        )
        .post(
            "/congress/terms/{id}/delegates",
            Guard::staff(P::CongressManage).form(&[("member", "{member}"), ("kind", "delegate")]),
            terms::add_delegate,
        )
        .post(
            "/congress/terms/{id}/delegations",
            Guard::staff(P::CongressManage)
                .form(&[("name", "语文组代表团"), ("branch", "{branch}")]),
            terms::add_delegation,
        )
        .get(
            "/congress/terms/{id}/import",
            Guard::staff(P::CongressManage),
            terms::import_page,
        )
        .post(
            "/congress/terms/{id}/sync",
            Guard::staff(P::CongressManage).button(),
            terms::sync,
        )
        .get(
            "/congress/terms/{id}/composition",
            Guard::staff(P::CongressView),
            terms::composition,
        )
        .get(
            "/congress/terms/{id}/meetings/new",
            Guard::staff(P::CongressManage),
            meetings::new_page,
        )
        .post(
            "/congress/terms/{id}/meetings/new",
            Guard::staff(P::CongressManage).form(&[
                ("kind", "regular"),
                ("meeting_date", "{today}"),
                ("place", "礼堂"),
            ]),
            meetings::create,
        )
        .get(
            "/congress/delegates/{id}/replace",
            Guard::staff(P::CongressManage),
            terms::replace_page,
        )
        .post(
            "/congress/delegates/{id}/replace",
            Guard::staff(P::CongressManage).form(&[
                ("successor", ""),
                ("date", "{today}"),
                ("reason", "调动"),
            ]),
            terms::replace,
        )
        .get(
            "/congress/meetings/{id}",
            Guard::any(&[Staff(P::CongressView), Attendee(P::CongressAttend)]),
            meetings::show,
        )
        .post(
            "/congress/meetings/{id}/status",
            Guard::staff(P::CongressManage).form(&[("status", "open")]),
            meetings::status,
        )
        .post(
            "/congress/meetings/{id}/agenda",
            Guard::staff(P::CongressManage).form(&[("kind", "report"), ("title", "甲校工作报告")]),
            meetings::add_agenda,
        )
        .post(
            "/congress/meetings/{id}/roles",
            Guard::staff(P::CongressManage).form(&[("member", "{member}"), ("role", "teller")]),
            meetings::add_role,
        )
        .post(
            "/congress/meetings/{id}/roles/remove",
            Guard::staff(P::CongressManage).form(&[("member", "{member}"), ("role", "teller")]),
            meetings::remove_role,
        )
        .get(
            "/congress/meetings/{id}/report",
            Guard::staff(P::CongressView),
            meetings::report,
        )
        .get(
            "/congress/meetings/{id}/report.xlsx",
            Guard::staff(P::CongressView),
            meetings::report_xlsx,
        )
        .get(
            "/congress/meetings/{id}/desk",
            Guard::staff(P::CongressManage),
            attendance::desk,
        )
        .post(
            "/congress/meetings/{id}/desk",
            Guard::staff(P::CongressManage)
                .form(&[("action", "check_in"), ("delegate", "{delegate}")]),
            attendance::desk_action,
        )
        .post(
            "/congress/meetings/{id}/desk/code",
            Guard::staff(P::CongressManage).form(&[("code", "ABCDEFGHJK")]),
            attendance::desk_code,
        )
        .post(
            "/congress/meetings/{id}/cards",
            Guard::staff(P::CongressManage).form(&[("delegate", "")]),
            attendance::cards,
        )
        .get(
            "/congress/meetings/{id}/check-in",
            Guard::attendee(P::CongressAttend),
            attendance::self_page,
        )
        .post(
            "/congress/meetings/{id}/check-in",
            Guard::attendee(P::CongressAttend).button(),
            attendance::self_check_in,
        )
        .get(
            "/congress/meetings/{id}/board",
            Guard::any(&[Staff(P::CongressView), Attendee(P::CongressAttend)]),
            attendance::board,
        )
        .get(
            "/congress/meetings/{id}/board/events",
            Guard::any(&[Staff(P::CongressView), Attendee(P::CongressAttend)]),
            attendance::board_events,
        )
        .post(
            "/congress/agenda/{id}/remove",
            Guard::staff(P::CongressManage).button(),
            meetings::remove_agenda,
        )
        .get(
            "/congress/documents/{id}",
            Guard::any(&[Staff(P::CongressView), Attendee(P::CongressAttend)]),
            meetings::download,
        )
        .post(
            "/congress/documents/{id}/delete",
            Guard::staff(P::CongressManage).button(),
            meetings::delete_document,
        )
        .get(
            "/congress/rules/{id}",
            Guard::any(&[Staff(P::CongressView), Staff(P::RuleSetManage)]),
            rules::page,
        )
        .post(
            "/congress/rules/{id}",
            Guard::staff(P::RuleSetManage).form(&[("action", "inherit")]),
            rules::save,
        )
        .get(
            "/congress/oversight",
            Guard::staff(P::CongressOversight),
            oversight::table,
        )
        .get(
            "/congress/oversight.xlsx",
            Guard::staff(P::CongressOversight),
            oversight::xlsx,
        )
        .post(
            "/congress/oversight/exemption",
            Guard::staff(P::CongressExempt).form(&[
                ("school", "{school}"),
                ("year", "{school_year}"),
                ("reason", "因学校合并暂缓召开"),
            ]),
            oversight::exempt,
        )
        .get("/checkin", Guard::public(), attendance::code_page)
        .post(
            "/checkin",
            Guard::public().form(&[("code", "ABCDEFGHJK")]),
            attendance::code_submit,
        );
    // Uploads: a delegate list, meeting documents.
    t.add_limited(
        crate::Method::Post,
        "/congress/terms/{id}/import",
        Guard::staff(P::CongressManage).upload(
            &[],
            (
                "file",
                "delegates.csv",
                "姓名,身份证号\n甲校同事,{id_number}\n".as_bytes(),
            ),
        ),
        terms::import,
        Some(ROSTER_LIMIT + 64 * 1024),
    )
    .add_limited(
        crate::Method::Post,
        "/congress/meetings/{id}/documents",
        Guard::staff(P::CongressManage).upload(
            &[("kind", "report")],
            ("file", "报告.pdf", b"%PDF-1.7 matrix"),
        ),
        meetings::upload,
        Some(domain::congress::DOC_MAX_BYTES + 64 * 1024),
    )
}

/// A flash message for a refusal the store named.
pub(crate) fn flash_of(e: &FieldError) -> Flash {
    let mut f = Flash::error(e.key);
    for (k, v) in &e.args {
        f = f.arg(k, v);
    }
    f
}

/// After a button (not a form): named refusals go back to `back` as a flash message, a
/// change of state under the reader as "not possible now", anything else is an error (out
/// of reach or missing: 404), so a step's handler ends with one `match` arm for errors.
pub(crate) fn refused(a: &Auth, back: &str, e: StoreError) -> AppResult {
    match e {
        StoreError::Invalid(f) => match f.0.first() {
            Some(fe) => Ok(a.redirect(back, flash_of(fe))),
            None => Err(AppError::BadRequest),
        },
        StoreError::State(_) | StoreError::Stale => {
            Ok(a.redirect(back, Flash::error(domain::text::STEP_NOT_ALLOWED)))
        }
        other => Err(other.into()),
    }
}

/// Moves a store's named refusals into a form's field errors; anything else is an error.
pub(crate) fn into_fields(e: StoreError, errors: &mut FieldErrors) -> Result<(), AppError> {
    match e {
        StoreError::Invalid(f) => {
            errors.0.extend(f.0);
            Ok(())
        }
        StoreError::State(_) | StoreError::Stale => {
            errors.push(FieldError::new("status", domain::text::STEP_NOT_ALLOWED));
            Ok(())
        }
        other => Err(other.into()),
    }
}

/// How the reader reaches a meeting: as staff of the school, or as a delegate of the term.
pub(crate) enum Reader {
    Staff(Cap<perm::CongressView>),
    Attendee(Acting<perm::CongressAttend>),
}

impl Reader {
    pub fn viewer(&self) -> Viewer<'_> {
        match self {
            Reader::Staff(c) => Viewer::view(c),
            Reader::Attendee(a) => Viewer::attendee(a),
        }
    }

    pub fn is_staff(&self) -> bool {
        matches!(self, Reader::Staff(_))
    }
}

/// The meeting `id` for whoever may read it, staff first.
pub(crate) async fn read_meeting(
    state: &AppState,
    a: &Auth,
    id: i64,
) -> AppResult<(Reader, Meeting)> {
    let id = MeetingId(id);
    if let Ok(cap) = a.actor.authorize::<perm::CongressView>() {
        match get_meeting(&state.store.db, Viewer::view(&cap), id).await {
            Ok(m) => return Ok((Reader::Staff(cap), m)),
            Err(StoreError::NotFound) => {}
            Err(e) => return Err(e.into()),
        }
    }
    match authorize_self::<perm::CongressAttend>(&a.actor) {
        Ok(acting) => {
            let m = get_meeting(&state.store.db, Viewer::attendee(&acting), id).await?;
            Ok((Reader::Attendee(acting), m))
        }
        Err(_) if a.actor.may(domain::auth::Permission::CongressView) => Err(AppError::NotFound),
        Err(_) => Err(AppError::Forbidden),
    }
}

/// An id from a form field; a bad one is the page's fault, not the reader's.
pub(crate) fn form_id(s: &str) -> Option<i64> {
    s.trim().parse().ok()
}

/// `Content-Disposition` for a download named `name` (ASCII fallback plus UTF-8).
pub(crate) fn attachment(name: &str, ascii_fallback: &str) -> String {
    let encoded: String = form_urlencoded::byte_serialize(name.as_bytes())
        .collect::<String>()
        .replace('+', "%20");
    format!("attachment; filename=\"{ascii_fallback}\"; filename*=UTF-8''{encoded}")
}

/// An .xlsx response.
pub(crate) fn xlsx(bytes: Vec<u8>, name: &str, ascii: &str) -> axum::response::Response {
    use axum::http::header;
    use axum::response::IntoResponse;
    (
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string(),
            ),
            (header::CONTENT_DISPOSITION, attachment(name, ascii)),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        bytes,
    )
        .into_response()
}

use crate::area::{Area, Document, DocumentKind, NavEntry};

/// The congress area: terms, delegates, meetings, check-in, rules, oversight.
pub static AREA: Area = Area {
    name: "congress",
    routes: |t, _| routes(t),
    nav: &[
        NavEntry {
            href: "/congress",
            label_key: "nav-congress",
            permission: Some(P::CongressAttend),
            rank: 40,
        },
        NavEntry {
            href: "/congress/oversight",
            label_key: "nav-oversight",
            permission: Some(P::CongressOversight),
            rank: 70,
        },
    ],
    documents: &[
        Document {
            label_key: "doc-congress-report",
            path: "/congress/meetings/{id}/report.xlsx",
            kind: DocumentKind::Xlsx,
            method: crate::Method::Get,
        },
        Document {
            label_key: "doc-congress-cards",
            path: "/congress/meetings/{id}/cards",
            kind: DocumentKind::Print,
            method: crate::Method::Post,
        },
        Document {
            label_key: "doc-congress-oversight",
            path: "/congress/oversight.xlsx",
            kind: DocumentKind::Xlsx,
            method: crate::Method::Get,
        },
    ],
};
