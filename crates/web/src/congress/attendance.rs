//! Check-in and the live attendance board: the delegate's phone page, the one-time code
//! page (no login: the code is the credential, printed with a QR code on the delegate
//! card), the door desk for staff (check in, left early, excused), printing the cards, and
//! the board with its server-sent events.
//!
//! Live updates: every check-in in this process wakes the board streams of its meeting at
//! once; a two-second poll catches check-ins made by other processes. A stream computes the
//! aggregate counts at most five times a second however many check-ins arrive, and sends
//! only counts (never names).

use super::meetings::{BoardView, board_view};
use super::terms::meeting_name;
use super::{form_id, read_meeting, refused};
use crate::chrome::Chrome;
use crate::ctx::{Auth, Ctx, Flash};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use domain::auth::perm;
use domain::congress::{DelegateId, MeetingId, authorize_self, format_code};
use futures::Stream;
use serde::Deserialize;
use std::convert::Infallible;
use std::sync::LazyLock;
use std::time::{Duration, Instant};
use store::StoreError;
use store::congress::attendance::{self as sa, Outcome};
use store::congress::meetings::{self as sm, Meeting, Viewer};
use tokio::sync::broadcast;

/// Meeting ids whose attendance changed in this process.
static HUB: LazyLock<broadcast::Sender<i64>> = LazyLock::new(|| broadcast::channel(4096).0);

/// Tells the open boards of `meeting` to refresh.
pub fn notify(meeting: MeetingId) {
    let _ = HUB.send(meeting.0);
}

/// The most often a board stream recomputes.
const MIN_INTERVAL: Duration = Duration::from_millis(200);
/// How often a board stream looks without being told (changes from other processes).
const POLL: Duration = Duration::from_secs(2);

fn board_json(b: &sa::Board) -> String {
    let a = b.counts.attendance;
    serde_json::json!({
        "present": a.present,
        "due": a.due(),
        "total": a.total,
        "excused": a.excused,
        "attended": b.counts.attended,
        "needed": b.quorum.needed,
        "met": b.quorum.met,
        "others": b.counts.others_present,
        "late": b.counts.late,
        "left": b.counts.left,
    })
    .to_string()
}

struct Watch {
    db: store::Db,
    meeting: Meeting,
    rx: broadcast::Receiver<i64>,
    last: Option<String>,
    last_at: Option<Instant>,
    first: bool,
}

/// The board's stream: one `board` event now, then one whenever the counts change.
fn board_stream(db: store::Db, meeting: Meeting) -> impl Stream<Item = Result<Event, Infallible>> {
    let w = Watch {
        db,
        meeting,
        rx: HUB.subscribe(),
        last: None,
        last_at: None,
        first: true,
    };
    futures::stream::unfold(w, |mut w| async move {
        loop {
            if !w.first {
                let id = w.meeting.id.0;
                let rx = &mut w.rx;
                let wake = async {
                    loop {
                        match rx.recv().await {
                            Ok(m) if m == id => return,
                            Ok(_) => continue,
                            Err(broadcast::error::RecvError::Lagged(_)) => return,
                            Err(broadcast::error::RecvError::Closed) => {
                                std::future::pending::<()>().await
                            }
                        }
                    }
                };
                let _ = tokio::time::timeout(POLL, wake).await;
                if let Some(t) = w.last_at {
                    let since = t.elapsed();
                    if since < MIN_INTERVAL {
                        tokio::time::sleep(MIN_INTERVAL - since).await;
                    }
                }
                // Whatever else arrived meanwhile is covered by the count below.
                while let Ok(_) | Err(broadcast::error::TryRecvError::Lagged(_)) = w.rx.try_recv() {
                }
            }
            w.first = false;
            w.last_at = Some(Instant::now());
            let board = match sa::board(&w.db, &w.meeting).await {
                Ok(b) => b,
                Err(e) => {
                    tracing::warn!(error = %e, "attendance board stopped");
                    return None;
                }
            };
            let json = board_json(&board);
            if w.last.as_deref() == Some(json.as_str()) {
                continue;
            }
            w.last = Some(json.clone());
            return Some((Ok(Event::default().event("board").data(json)), w));
        }
    })
}

pub async fn board_events(
    State(state): State<AppState>,
    a: Auth,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let (_, m) = read_meeting(&state, &a, id).await?;
    let stream = board_stream(state.store.db.clone(), m);
    Ok(Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response())
}

#[derive(Template)]
#[template(path = "congress/board.html")]
struct BoardPage {
    p: Chrome,
    id: i64,
    b: BoardView,
    open: bool,
}

pub async fn board(State(state): State<AppState>, a: Auth, Path(id): Path<i64>) -> AppResult {
    let (_, m) = read_meeting(&state, &a, id).await?;
    let b = sa::board(&state.store.db, &m).await?;
    let name = meeting_name(&a.tr, m.term_number, m.number, m.mode);
    let p = Chrome::new(&a, "board-title")
        .title_text(format!("{} · {}", a.tr.t("board-title"), name))
        .crumb(a.tr.t("congress-title"), Some("/congress".into()))
        .crumb(name, Some(format!("/congress/meetings/{id}")));
    a.render(&BoardPage {
        p,
        id,
        b: board_view(&a.tr, &b),
        open: m.status == domain::congress::MeetingStatus::Open,
    })
}

// ------------------------------------------------------------------ the delegate's phone

#[derive(Template)]
#[template(path = "congress/check_in.html")]
struct SelfPage {
    p: Chrome,
    id: i64,
    name: String,
    place: String,
    open: bool,
    at: Option<String>,
    kind: String,
    votes: bool,
    /// Right after a first check-in: what was recorded and the fresh voting code, shown
    /// this once (the answer to the POST, `no-store`).
    fresh: Option<(String, String)>,
}

pub async fn self_page(State(state): State<AppState>, a: Auth, Path(id): Path<i64>) -> AppResult {
    let acting = authorize_self::<perm::CongressAttend>(&a.actor)?;
    show_self(&state, &a, &acting, id, None).await
}

async fn show_self(
    state: &AppState,
    a: &Auth,
    acting: &domain::congress::Acting<perm::CongressAttend>,
    id: i64,
    fresh: Option<(String, String)>,
) -> AppResult {
    let m = sm::get_meeting(&state.store.db, Viewer::attendee(acting), MeetingId(id)).await?;
    let (kind, at) = sa::own_check_in(&state.store.db, acting, MeetingId(id)).await?;
    let name = meeting_name(&a.tr, m.term_number, m.number, m.mode);
    let p = Chrome::new(a, "check-in-title")
        .crumb(a.tr.t("congress-title"), Some("/congress".into()))
        .crumb(name.clone(), Some(format!("/congress/meetings/{id}")));
    a.render(&SelfPage {
        p,
        id,
        name,
        place: m.place.clone(),
        open: m.status == domain::congress::MeetingStatus::Open,
        at: at.map(|t| a.tr.datetime(&t)),
        kind: a.tr.label(kind),
        votes: kind.votes(),
        fresh,
    })
}

fn outcome_flash(a: &Ctx, r: &sa::CheckedIn) -> Flash {
    match &r.outcome {
        Outcome::Recorded { late: false } => {
            Flash::ok("check-in-recorded").arg("name", &r.delegate_name)
        }
        Outcome::Recorded { late: true } => {
            Flash::warn("check-in-recorded-late").arg("name", &r.delegate_name)
        }
        Outcome::Already { at } => Flash::warn("check-in-already")
            .arg("name", &r.delegate_name)
            .arg("at", a.tr.datetime(at)),
    }
}

pub async fn self_check_in(
    State(state): State<AppState>,
    a: Auth,
    Path(id): Path<i64>,
) -> AppResult {
    let acting = authorize_self::<perm::CongressAttend>(&a.actor)?;
    let back = format!("/congress/meetings/{id}/check-in");
    match sa::self_check_in(&state.store, &acting, &a.who(), MeetingId(id)).await {
        Ok(r) => {
            notify(r.meeting);
            let Some(code) = &r.code else {
                return Ok(a.redirect(&back, outcome_flash(&a, &r)));
            };
            // The fresh voting code is shown here, once, on the delegate's own phone; it
            // is not kept anywhere it could be shown again.
            let recorded = match r.outcome {
                Outcome::Recorded { late: true } => "check-in-recorded-late",
                _ => "check-in-recorded",
            };
            let recorded = a.tr.t1(recorded, "name", &r.delegate_name);
            let mut res =
                show_self(&state, &a, &acting, id, Some((recorded, format_code(code)))).await?;
            res.headers_mut().insert(
                header::CACHE_CONTROL,
                axum::http::HeaderValue::from_static("no-store"),
            );
            Ok(res)
        }
        Err(e) => refused(&a, &back, e),
    }
}

// ------------------------------------------------------------------ one-time codes, no login

#[derive(Template)]
#[template(path = "congress/code.html")]
struct CodePage {
    p: Chrome,
    code: String,
    error: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CodeForm {
    code: String,
}

pub async fn code_page(ctx: Ctx, Query(q): Query<CodeForm>) -> AppResult {
    let p = Chrome::new(&ctx, "code-title");
    let code = domain::congress::normalize_code(&q.code)
        .map(|c| format_code(&c))
        .unwrap_or_default();
    ctx.render(&CodePage {
        p,
        code,
        error: None,
    })
}

pub async fn code_submit(
    State(state): State<AppState>,
    ctx: Ctx,
    peer: crate::auth::Peer,
    headers: HeaderMap,
    Form(f): Form<CodeForm>,
) -> AppResult {
    // The address goes with the code's use (who used a card, from where), not with votes.
    let addr = crate::auth::client_addr(peer.0, &headers, &state.config.trusted_proxies);
    let who = store::audit::Who {
        account: ctx.actor().map(|a| a.account),
        label: format!("check-in-code@{addr}"),
        request_id: Some(ctx.request_id.clone()),
    };
    match sa::code_check_in(&state.store, &who, &f.code, None).await {
        Ok(r) => {
            notify(r.meeting);
            Ok(ctx.redirect("/checkin", outcome_flash(&ctx, &r)))
        }
        Err(StoreError::Invalid(e)) => {
            let p = Chrome::new(&ctx, "code-title");
            let mut r = ctx.render(&CodePage {
                p,
                code: f.code.trim().chars().take(20).collect(),
                error: e.0.first().map(|x| ctx.tr.fe(x)),
            })?;
            *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(r)
        }
        Err(e) => Err(e.into()),
    }
}

// ------------------------------------------------------------------ the door

pub struct RosterView {
    pub delegate: i64,
    pub name: String,
    pub kind: String,
    pub votes: bool,
    pub delegation: String,
    pub at: String,
    pub method: String,
    pub late: bool,
    pub left: bool,
    pub excused: bool,
    pub excuse_reason: String,
}

#[derive(Template)]
#[template(path = "congress/desk.html")]
struct DeskPage {
    p: Chrome,
    id: i64,
    b: BoardView,
    rows: Vec<RosterView>,
    open: bool,
}

pub async fn desk(State(state): State<AppState>, a: Auth, Path(id): Path<i64>) -> AppResult {
    let cap = a.actor.authorize::<perm::CongressManage>()?;
    let m = sm::get_meeting(&state.store.db, Viewer::manage(&cap), MeetingId(id)).await?;
    let tr = a.tr;
    let rows = sa::roster(&state.store.db, Viewer::manage(&cap), MeetingId(id))
        .await?
        .into_iter()
        .map(|r| RosterView {
            delegate: r.delegate.0,
            name: r.name,
            kind: tr.label(r.kind),
            votes: r.kind.votes(),
            delegation: r.delegation.unwrap_or_default(),
            at: r.at.map(|t| tr.datetime(&t)).unwrap_or_default(),
            method: r.method.map(|m| tr.label(m)).unwrap_or_default(),
            late: r.late,
            left: r.left_at.is_some(),
            excused: r.excused,
            excuse_reason: r.excuse_reason.unwrap_or_default(),
        })
        .collect();
    let b = sa::board(&state.store.db, &m).await?;
    let name = meeting_name(&tr, m.term_number, m.number, m.mode);
    let p = Chrome::new(&a, "desk-title")
        .crumb(tr.t("congress-title"), Some("/congress".into()))
        .crumb(name, Some(format!("/congress/meetings/{id}")));
    a.render(&DeskPage {
        p,
        id,
        b: board_view(&tr, &b),
        rows,
        open: m.status == domain::congress::MeetingStatus::Open,
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DeskForm {
    action: String,
    delegate: String,
    reason: String,
}

pub async fn desk_action(
    State(state): State<AppState>,
    a: Auth,
    Path(id): Path<i64>,
    Form(f): Form<DeskForm>,
) -> AppResult {
    let cap = a.actor.authorize::<perm::CongressManage>()?;
    sm::get_meeting(&state.store.db, Viewer::manage(&cap), MeetingId(id)).await?;
    let back = format!("/congress/meetings/{id}/desk");
    let Some(delegate) = form_id(&f.delegate).map(DelegateId) else {
        return Ok(a.redirect(&back, Flash::error(domain::text::REQUIRED)));
    };
    let st = &state.store;
    let r = match f.action.as_str() {
        "check_in" => sa::staff_check_in(st, &cap, &a.who(), MeetingId(id), delegate)
            .await
            .map(|r| outcome_flash(&a, &r)),
        "left" => sa::mark_left(st, &cap, &a.who(), MeetingId(id), delegate)
            .await
            .map(|()| Flash::ok("check-in-left")),
        "excuse" => {
            let reason = domain::org::optional_text("reason", &f.reason, 100).unwrap_or(None);
            sa::excuse(st, &cap, &a.who(), MeetingId(id), delegate, reason)
                .await
                .map(|()| Flash::ok("check-in-excused"))
        }
        _ => return Err(AppError::BadRequest),
    };
    match r {
        Ok(flash) => {
            notify(MeetingId(id));
            Ok(a.redirect(&back, flash))
        }
        Err(e) => refused(&a, &back, e),
    }
}

pub async fn desk_code(
    State(state): State<AppState>,
    a: Auth,
    Path(id): Path<i64>,
    Form(f): Form<CodeForm>,
) -> AppResult {
    let cap = a.actor.authorize::<perm::CongressManage>()?;
    let back = format!("/congress/meetings/{id}/desk");
    match sa::code_check_in(&state.store, &a.who(), &f.code, Some((&cap, MeetingId(id)))).await {
        Ok(r) => {
            notify(r.meeting);
            Ok(a.redirect(&back, outcome_flash(&a, &r)))
        }
        Err(e) => refused(&a, &back, e),
    }
}

// ------------------------------------------------------------------ delegate cards

pub struct CardView {
    pub name: String,
    pub kind: String,
    pub delegation: String,
    pub code: String,
    pub qr: String,
}

#[derive(Template)]
#[template(path = "congress/cards.html")]
struct CardsPage {
    p: Chrome,
    meeting: String,
    school: String,
    cards: Vec<CardView>,
    url: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CardsForm {
    delegate: String,
    /// "1" once the person was told that printing again voids the cards already printed.
    confirm: String,
}

/// Asked before printing again: how many printed cards would stop working. A page of its
/// own, so the question is asked without JavaScript too (the meeting page's
/// `data-confirm` only spares the round trip).
#[derive(Template)]
#[template(path = "congress/cards_confirm.html")]
struct CardsConfirmPage {
    p: Chrome,
    id: i64,
    delegate: String,
    voided: i64,
    back: String,
}

fn qr_svg(data: &str) -> String {
    match qrcode::QrCode::new(data.as_bytes()) {
        Ok(code) => code
            .render::<qrcode::render::svg::Color>()
            .min_dimensions(140, 140)
            .quiet_zone(true)
            .build(),
        Err(_) => String::new(),
    }
}

/// The address printed on delegate cards: the configured `public_url`. The `Host` header
/// is whatever the request says (a forged one would put another site's address in every
/// QR code), so it is used only when it names a configured trusted origin; otherwise the
/// card carries the local path alone.
fn card_base(config: &crate::WebConfig, headers: &HeaderMap) -> String {
    if let Some(u) = &config.public_url {
        return u.trim_end_matches('/').to_string();
    }
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default();
    config
        .trusted_origins
        .iter()
        .find(|o| {
            o.split_once("://")
                .is_some_and(|(_, h)| !host.is_empty() && h.trim_end_matches('/') == host)
        })
        .map(|o| o.trim_end_matches('/').to_string())
        .unwrap_or_default()
}

/// Issues new one-time codes and shows the cards to print. The codes are shown this once;
/// printing again makes new ones and the old cards stop working.
pub async fn cards(
    State(state): State<AppState>,
    a: Auth,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(f): Form<CardsForm>,
) -> AppResult {
    let cap = a.actor.authorize::<perm::CongressManage>()?;
    let m = sm::get_meeting(&state.store.db, Viewer::manage(&cap), MeetingId(id)).await?;
    let back = format!("/congress/meetings/{id}");
    let only = form_id(&f.delegate).map(DelegateId);
    if f.confirm != "1" {
        let voided = sa::unused_codes(&state.store.db, &cap, MeetingId(id), only).await?;
        if voided > 0 {
            let name = meeting_name(&a.tr, m.term_number, m.number, m.mode);
            let p = Chrome::new(&a, "cards-confirm-title")
                .crumb(a.tr.t("congress-title"), Some("/congress".into()))
                .crumb(name, Some(back.clone()));
            return a.render(&CardsConfirmPage {
                p,
                id,
                delegate: f.delegate.trim().to_string(),
                voided,
                back,
            });
        }
    }
    let issued = match sa::issue_codes(&state.store, &cap, &a.who(), MeetingId(id), only).await {
        Ok(c) => c,
        Err(e) => return refused(&a, &back, e),
    };
    let base = card_base(&state.config, &headers);
    let cards = issued
        .iter()
        .map(|c| {
            let code = format_code(&c.code);
            CardView {
                name: c.name.clone(),
                kind: a.tr.label(c.kind),
                delegation: c.delegation.clone().unwrap_or_default(),
                qr: qr_svg(&format!("{base}/checkin?code={code}")),
                code,
            }
        })
        .collect();
    let name = meeting_name(&a.tr, m.term_number, m.number, m.mode);
    let p = Chrome::new(&a, "cards-title")
        .crumb(a.tr.t("congress-title"), Some("/congress".into()))
        .crumb(name.clone(), Some(back.clone()));
    let mut r = a.render(&CardsPage {
        p,
        meeting: name,
        school: m.school_name.clone(),
        cards,
        url: format!("{base}/checkin"),
    })?;
    r.headers_mut().insert(
        header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    Ok(r)
}
