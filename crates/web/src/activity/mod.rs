//! Activities on the web: the member's phone page (the activities one may join, sign up,
//! the waiting list position, cancel with a confirmation, check in with the venue's QR or
//! its code), and the organisers' pages (the list with filters and pages, a new activity,
//! one activity with its sign-ups, attendance per school, the check-in QR, checking in a
//! member without a phone, the sign-ups as .xlsx).
//!
//! Handlers are thin: every check is the store's (scope, audience, places, waiting list,
//! the day). A member acts only as themself; an activity of another union is 404.

use crate::area::{Area, Document, DocumentKind, NavEntry};
use crate::chrome::{Chrome, Opt, coded_options};
use crate::congress::{into_fields, refused};
use crate::ctx::{Auth, Flash};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::{Guard, Method, Permission as P, RouteTable};
use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use chrono::Datelike;
use domain::FieldErrors;
use domain::activity::*;
use domain::auth::{Permission, perm};
use domain::congress::authorize_self;
use domain::ids::OrgUnitId;
use domain::org::Coded;
use serde::Deserialize;
use store::activity::{self as act, ActivityFilter, ActivityRow, MemberActivity};

fn routes(t: RouteTable) -> RouteTable {
    t.get("/activities", Guard::named(P::ActivityJoin), mine)
        .post(
            "/activities/{id}/signup",
            Guard::named(P::ActivityJoin).button(),
            sign_up,
        )
        .post(
            "/activities/{id}/cancel",
            Guard::named(P::ActivityJoin).button(),
            cancel,
        )
        .get(
            "/activities/{id}/checkin",
            Guard::named(P::ActivityJoin),
            checkin_page,
        )
        .post(
            "/activities/{id}/checkin",
            Guard::named(P::ActivityJoin).form(&[("code", "not-the-code")]),
            check_in,
        )
        .get(
            "/activities/manage",
            Guard::staff(P::ActivityManage),
            manage,
        )
        .get("/activities/new", Guard::staff(P::ActivityManage), new_page)
        .post(
            "/activities/new",
            Guard::staff(P::ActivityManage).form(&[
                ("unit", "{school}"),
                ("title", "教职工羽毛球赛"),
                ("place", "学校体育馆"),
                ("date", "2030-06-01"),
                ("time", "15:00"),
                ("closes", "2030-05-25"),
                ("capacity", "20"),
                ("audience", "everyone"),
                ("tag_sports", "1"),
            ]),
            create,
        )
        .get("/activities/{id}", Guard::staff(P::ActivityManage), detail)
        .get(
            "/activities/{id}/signups.xlsx",
            Guard::staff(P::ActivityManage),
            signups_xlsx,
        )
        .post(
            "/activities/{id}/attendance",
            Guard::staff(P::ActivityManage).form(&[("member", "{member}")]),
            attendance,
        )
}

/// The activities area.
pub static AREA: Area = Area {
    name: "activity",
    routes: |t, _| routes(t),
    nav: &[
        NavEntry {
            href: "/activities",
            label_key: "nav-activities",
            permission: Some(Permission::ActivityJoin),
            rank: 95,
        },
        NavEntry {
            href: "/activities/manage",
            label_key: "nav-activities-manage",
            permission: Some(Permission::ActivityManage),
            rank: 96,
        },
    ],
    documents: &[Document {
        path: "/activities/{id}/signups.xlsx",
        label_key: "doc-activity-signups",
        kind: DocumentKind::Xlsx,
        method: Method::Get,
    }],
};

fn now() -> chrono::DateTime<chrono::Utc> {
    store::now()
}

/// An activity as a card shows it.
pub struct CardView {
    pub id: i64,
    pub title: String,
    pub organiser: String,
    pub when: String,
    pub place: String,
    pub closes: String,
    pub tags: Vec<String>,
    pub audience: String,
    pub capacity: i64,
    pub confirmed: i64,
    pub left: i64,
    pub waiting: i64,
    pub attended: i64,
    /// "N of M places left".
    pub places_left: String,
}

fn card(tr: &crate::i18n::Tr, r: &ActivityRow) -> CardView {
    CardView {
        id: r.id.0,
        title: r.title.clone(),
        organiser: r.unit_name.clone(),
        when: tr.datetime(&r.starts_at),
        place: r.place.clone(),
        closes: tr.date(&r.closes),
        tags: r.tags.iter().map(|t| tr.label(*t)).collect(),
        audience: tr.label(r.audience),
        capacity: r.capacity,
        confirmed: r.confirmed,
        left: (r.capacity - r.confirmed).max(0),
        waiting: r.waiting,
        attended: r.attended,
        places_left: tr.ta(
            "activity-places-left",
            &[
                ("left", (r.capacity - r.confirmed).max(0).to_string()),
                ("capacity", r.capacity.to_string()),
            ],
        ),
    }
}

/// The member's own line on a card.
pub struct MineView {
    pub card: CardView,
    /// `confirmed`, `waiting`, `cancelled` or "" (not signed up).
    pub status: &'static str,
    pub status_label: String,
    pub position: i64,
    pub checked_in: bool,
    pub may_sign_up: bool,
    pub may_cancel: bool,
    /// The activity is today and the member holds a place: the code form is shown.
    pub may_check_in: bool,
}

fn mine_view(tr: &crate::i18n::Tr, m: &MemberActivity) -> MineView {
    let today = crate::today();
    let day = act::beijing_day(m.row.starts_at);
    let open = today <= m.row.closes && now() < m.row.starts_at;
    let active = matches!(
        m.mine,
        Some(SignupStatus::Confirmed) | Some(SignupStatus::Waiting)
    );
    MineView {
        card: card(tr, &m.row),
        status: m.mine.map(|s| s.code()).unwrap_or(""),
        status_label: m.mine.map(|s| tr.label(s)).unwrap_or_default(),
        position: m.position.unwrap_or(0),
        checked_in: m.checked_in,
        may_sign_up: m.admitted && open && !active,
        may_cancel: active && now() < m.row.starts_at,
        may_check_in: m.mine == Some(SignupStatus::Confirmed) && !m.checked_in && day == today,
    }
}

#[derive(Template)]
#[template(path = "activity/mine.html")]
struct MinePage {
    p: Chrome,
    items: Vec<MineView>,
    rules_version: &'static str,
    /// An account not linked to a member: told why there is nothing to join (issue 25).
    unlinked: bool,
}

/// The member's page: the activities they may join, with their own sign-up.
pub async fn mine(State(state): State<AppState>, a: Auth) -> AppResult {
    let rows = match authorize_self::<perm::ActivityJoin>(&a.actor) {
        Ok(acting) => Some(act::for_member(&state.store, &acting, crate::today()).await?),
        Err(_) if a.actor.member.is_none() && a.actor.may(Permission::ActivityJoin) => None,
        Err(e) => return Err(e.into()),
    };
    let tr = a.tr;
    a.render(&MinePage {
        p: Chrome::new(&a, "activity-mine-title"),
        unlinked: rows.is_none(),
        items: rows
            .unwrap_or_default()
            .iter()
            .map(|m| mine_view(&tr, m))
            .collect(),
        rules_version: ACTIVITY_RULES.version,
    })
}

/// Signs the member up; beyond the places they are told their waiting-list position.
pub async fn sign_up(State(state): State<AppState>, a: Auth, Path(id): Path<i64>) -> AppResult {
    let acting = authorize_self::<perm::ActivityJoin>(&a.actor)?;
    match act::sign_up(&state.store, &acting, &a.who(), ActivityId(id), now()).await {
        Ok(SignupOutcome::Confirmed) => {
            Ok(a.redirect("/activities", Flash::ok("activity-signed-up")))
        }
        Ok(SignupOutcome::Waiting(n)) => Ok(a.redirect(
            "/activities",
            Flash::ok("activity-waitlisted").arg("position", n),
        )),
        Err(e) => refused(&a, "/activities", e),
    }
}

/// Cancels the member's sign-up; a place freed goes to the first in line.
pub async fn cancel(State(state): State<AppState>, a: Auth, Path(id): Path<i64>) -> AppResult {
    let acting = authorize_self::<perm::ActivityJoin>(&a.actor)?;
    match act::cancel(&state.store, &acting, &a.who(), ActivityId(id), now()).await {
        Ok(_) => Ok(a.redirect("/activities", Flash::ok("activity-cancelled"))),
        Err(e) => refused(&a, "/activities", e),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CodeForm {
    code: String,
}

#[derive(Template)]
#[template(path = "activity/checkin.html")]
struct CheckinPage {
    p: Chrome,
    item: MineView,
    code: String,
    error: String,
}

async fn checkin_render(
    state: &AppState,
    a: &Auth,
    id: i64,
    code: &str,
    error: String,
) -> AppResult {
    let acting = authorize_self::<perm::ActivityJoin>(&a.actor)?;
    let rows = act::for_member(&state.store, &acting, crate::today()).await?;
    let m = rows
        .iter()
        .find(|m| m.row.id.0 == id)
        .ok_or(AppError::NotFound)?;
    let failed = !error.is_empty();
    let mut r = a.render(&CheckinPage {
        p: Chrome::new(a, "activity-checkin-title"),
        item: mine_view(&a.tr, m),
        code: code.to_string(),
        error,
    })?;
    if failed {
        *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(r)
}

/// The page the venue's QR opens on the member's phone: the activity and one button.
pub async fn checkin_page(
    State(state): State<AppState>,
    a: Auth,
    Path(id): Path<i64>,
    Query(f): Query<CodeForm>,
) -> AppResult {
    checkin_render(&state, &a, id, &f.code, String::new()).await
}

/// Checks the member in with the venue's code.
pub async fn check_in(
    State(state): State<AppState>,
    a: Auth,
    Path(id): Path<i64>,
    Form(f): Form<CodeForm>,
) -> AppResult {
    let acting = authorize_self::<perm::ActivityJoin>(&a.actor)?;
    match act::check_in(
        &state.store,
        &acting,
        &a.who(),
        ActivityId(id),
        &f.code,
        now(),
    )
    .await
    {
        Ok(()) => Ok(a.redirect("/activities", Flash::ok("activity-checked-in"))),
        Err(e) => {
            let mut errors = FieldErrors::default();
            into_fields(e, &mut errors)?;
            let text = errors.0.first().map(|e| a.tr.fe(e)).unwrap_or_default();
            checkin_render(&state, &a, id, &f.code, text).await
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ListQuery {
    unit: String,
    year: String,
    tag: String,
    q: String,
    /// Keyset of the next page: `<starts_at rfc3339>,<id>`.
    before: String,
}

#[derive(Template)]
#[template(path = "activity/manage.html")]
struct ManagePage {
    p: Chrome,
    year: i32,
    unit: String,
    q: String,
    tags: Vec<Opt>,
    items: Vec<CardView>,
    next: Option<String>,
}

fn parse_before(s: &str) -> Option<(chrono::DateTime<chrono::Utc>, i64)> {
    let (at, id) = s.split_once(',')?;
    Some((
        chrono::DateTime::parse_from_rfc3339(at).ok()?.to_utc(),
        id.parse().ok()?,
    ))
}

/// The organisers' list: activities of the units in scope, filtered, a page at a time.
pub async fn manage(
    State(state): State<AppState>,
    a: Auth,
    Query(q): Query<ListQuery>,
) -> AppResult {
    let cap = a.actor.authorize::<perm::ActivityManage>()?;
    let year = q
        .year
        .trim()
        .parse::<i32>()
        .ok()
        .filter(|y| (2000..=2100).contains(y))
        .unwrap_or_else(|| domain::congress::school_year(crate::today()));
    let filter = ActivityFilter {
        unit: q.unit.trim().parse::<i64>().ok().map(OrgUnitId),
        year: Some(year),
        tag: ActivityTag::from_code(q.tag.trim()),
        search: Some(q.q.clone()),
        before: parse_before(&q.before),
    };
    let mut rows = act::list(&state.store.db, &cap, &filter).await?;
    let next = if rows.len() > act::PAGE {
        rows.truncate(act::PAGE);
        rows.last().map(|r| {
            let key = format!("{},{}", r.starts_at.to_rfc3339(), r.id.0);
            let mut s = form_urlencoded::Serializer::new(String::new());
            s.append_pair("year", &year.to_string())
                .append_pair("unit", q.unit.trim())
                .append_pair("tag", q.tag.trim())
                .append_pair("q", q.q.trim())
                .append_pair("before", &key);
            format!("/activities/manage?{}", s.finish())
        })
    } else {
        None
    };
    let tr = a.tr;
    a.render(&ManagePage {
        p: Chrome::new(&a, "activity-manage-title"),
        year,
        unit: q.unit.trim().to_string(),
        q: q.q.clone(),
        tags: coded_options::<ActivityTag>(&tr, q.tag.trim(), Some("activity-all-tags")),
        items: rows.iter().map(|r| card(&tr, r)).collect(),
        next,
    })
}

#[derive(Template)]
#[template(path = "activity/new.html")]
struct NewPage {
    p: Chrome,
    f: ActivityInput,
    units: Vec<Opt>,
    audiences: Vec<Opt>,
    errors: FieldErrors,
    error_texts: Vec<String>,
}

async fn new_render(
    state: &AppState,
    a: &Auth,
    f: ActivityInput,
    errors: FieldErrors,
) -> AppResult {
    let cap = a.actor.authorize::<perm::ActivityManage>()?;
    let current = f.unit.trim().parse::<i64>().unwrap_or(0);
    let units = crate::work_plan::unit_options(state, &cap, current).await?;
    let tr = a.tr;
    let failed = !errors.is_empty();
    let mut r = a.render(&NewPage {
        p: Chrome::new(a, "activity-new-title"),
        audiences: coded_options::<Audience>(&tr, f.audience.trim(), None),
        units,
        error_texts: errors.0.iter().map(|e| tr.fe(e)).collect(),
        errors,
        f,
    })?;
    if failed {
        *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(r)
}

/// The form of a new activity.
pub async fn new_page(State(state): State<AppState>, a: Auth) -> AppResult {
    let f = ActivityInput {
        audience: Audience::Everyone.code().into(),
        time: "15:00".into(),
        ..Default::default()
    };
    new_render(&state, &a, f, FieldErrors::default()).await
}

/// Organises an activity; the form comes back with every error at its field.
pub async fn create(
    State(state): State<AppState>,
    a: Auth,
    Form(f): Form<ActivityInput>,
) -> AppResult {
    let cap = a.actor.authorize::<perm::ActivityManage>()?;
    let mut errors = FieldErrors::default();
    match f.parse() {
        Ok(d) => match act::create(&state.store, &cap, &a.who(), &d).await {
            Ok(id) => {
                return Ok(a.redirect(
                    &format!("/activities/{}", id.0),
                    Flash::ok("activity-created"),
                ));
            }
            Err(e) => into_fields(e, &mut errors)?,
        },
        Err(e) => errors = e,
    }
    new_render(&state, &a, f, errors).await
}

/// A sign-up line of the organisers' page.
pub struct SignupView {
    pub number: i64,
    pub name: String,
    pub school: String,
    pub status: &'static str,
    pub status_label: String,
    pub seq: i64,
    pub promoted: bool,
    pub checked_in: String,
}

#[derive(Template)]
#[template(path = "activity/detail.html")]
struct DetailPage {
    p: Chrome,
    item: CardView,
    qr: String,
    code: String,
    url: String,
    schools: Vec<(String, i64, i64)>,
    signups: Vec<SignupView>,
    member: String,
    member_error: String,
}

fn qr_svg(data: &str) -> String {
    match qrcode::QrCode::new(data.as_bytes()) {
        Ok(code) => code
            .render::<qrcode::render::svg::Color>()
            .min_dimensions(220, 220)
            .quiet_zone(true)
            .build(),
        Err(_) => String::new(),
    }
}

async fn detail_render(
    state: &AppState,
    a: &Auth,
    id: i64,
    member: &str,
    member_error: String,
) -> AppResult {
    let cap = a.actor.authorize::<perm::ActivityManage>()?;
    let db = &state.store.db;
    let row = act::get(db, &cap, ActivityId(id)).await?;
    let code = act::checkin_code(db, &cap, ActivityId(id)).await?;
    let schools = act::by_school(db, &cap, ActivityId(id)).await?;
    let signups = act::signups(db, &cap, ActivityId(id)).await?;
    let base = state
        .config
        .public_url
        .as_deref()
        .unwrap_or("")
        .trim_end_matches('/');
    let url = format!("{base}/activities/{id}/checkin?code={code}");
    let tr = a.tr;
    let failed = !member_error.is_empty();
    let mut r = a.render(&DetailPage {
        p: Chrome::new(a, "activity-detail-title"),
        item: card(&tr, &row),
        qr: qr_svg(&url),
        code,
        url,
        schools,
        signups: signups
            .iter()
            .map(|s| SignupView {
                number: s.member.0,
                name: s.name.clone(),
                school: s.school.clone(),
                status: s.status.code(),
                status_label: tr.label(s.status),
                seq: s.seq,
                promoted: s.promoted,
                checked_in: s.checked_in_at.map(|t| tr.datetime(&t)).unwrap_or_default(),
            })
            .collect(),
        member: member.to_string(),
        member_error,
    })?;
    if failed {
        *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(r)
}

/// One activity for its organisers: counts, attendance per school, the check-in QR, the
/// sign-ups in order.
pub async fn detail(State(state): State<AppState>, a: Auth, Path(id): Path<i64>) -> AppResult {
    detail_render(&state, &a, id, "", String::new()).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct MemberForm {
    member: String,
}

/// The organiser checks in a member with a place (no phone at hand).
pub async fn attendance(
    State(state): State<AppState>,
    a: Auth,
    Path(id): Path<i64>,
    Form(f): Form<MemberForm>,
) -> AppResult {
    let cap = a.actor.authorize::<perm::ActivityManage>()?;
    match act::record_attendance(
        &state.store,
        &cap,
        &a.who(),
        ActivityId(id),
        &f.member,
        now(),
    )
    .await
    {
        Ok(()) => Ok(a.redirect(
            &format!("/activities/{id}"),
            Flash::ok("activity-checked-in"),
        )),
        Err(e) => {
            let mut errors = FieldErrors::default();
            into_fields(e, &mut errors)?;
            let text = errors.0.first().map(|e| a.tr.fe(e)).unwrap_or_default();
            detail_render(&state, &a, id, &f.member, text).await
        }
    }
}

/// The sign-ups of an activity as .xlsx (member number, name, school, status, place in
/// line, checked in).
pub async fn signups_xlsx(
    State(state): State<AppState>,
    a: Auth,
    Path(id): Path<i64>,
) -> AppResult {
    let cap = a.actor.authorize::<perm::ActivityManage>()?;
    let db = &state.store.db;
    let row = act::get(db, &cap, ActivityId(id)).await?;
    let signups = act::signups(db, &cap, ActivityId(id)).await?;
    let tr = a.tr;
    let err = |e: rust_xlsxwriter::XlsxError| AppError::Internal(e.to_string());
    let mut wb = rust_xlsxwriter::Workbook::new();
    let bold = rust_xlsxwriter::Format::new().set_bold();
    let ws = wb.add_worksheet();
    ws.write_string_with_format(
        0,
        0,
        format!("{} · {}", row.title, tr.datetime(&row.starts_at)),
        &bold,
    )
    .map_err(err)?;
    let heads = [
        "activity-col-number",
        "activity-col-name",
        "activity-col-school",
        "activity-col-status",
        "activity-col-seq",
        "activity-col-checked-in",
    ];
    for (c, h) in heads.iter().enumerate() {
        ws.write_string_with_format(1, c as u16, tr.t(h), &bold)
            .map_err(err)?;
        ws.set_column_width(c as u16, 16).map_err(err)?;
    }
    for (i, s) in signups.iter().enumerate() {
        let r = i as u32 + 2;
        ws.write_string(r, 0, s.member.0.to_string()).map_err(err)?;
        ws.write_string(r, 1, &s.name).map_err(err)?;
        ws.write_string(r, 2, &s.school).map_err(err)?;
        ws.write_string(r, 3, tr.label(s.status)).map_err(err)?;
        ws.write_number(r, 4, s.seq as f64).map_err(err)?;
        ws.write_string(
            r,
            5,
            s.checked_in_at.map(|t| tr.datetime(&t)).unwrap_or_default(),
        )
        .map_err(err)?;
    }
    let bytes = wb.save_to_buffer().map_err(err)?;
    let name = format!(
        "{}-{}-{}.xlsx",
        tr.t("doc-activity-signups"),
        row.title,
        act::beijing_day(row.starts_at).year()
    );
    Ok(crate::org::import::xlsx_response(bytes, &name))
}
