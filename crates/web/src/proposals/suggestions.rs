//! Suggestions (合理化建议) on the web: any member sends one through a short form and
//! follows its answer; the committee or the chair lists and answers them.

use crate::Need::{Named, Staff};
use crate::chrome::Chrome;
use crate::congress::into_fields;
use crate::ctx::{Auth, Flash};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::{Guard, Permission as P, RouteTable};
use askama::Template;
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use domain::FieldErrors;
use domain::auth::{Permission, perm};
use domain::congress::authorize_self;
use domain::org::Coded;
use domain::proposals::{SuggestionId, parse_suggestion};
use serde::Deserialize;
use store::StoreError;
use store::proposals::suggestions::{self as ss, Suggestion, SuggestionLens};

pub fn routes(t: RouteTable) -> RouteTable {
    t.get(
        "/suggestions",
        Guard::any(&[
            Staff(P::CongressView),
            Staff(P::ProposalReview),
            Named(P::SuggestionSubmit),
        ]),
        list,
    )
    .get(
        "/suggestions/new",
        Guard::named(P::SuggestionSubmit),
        new_page,
    )
    .post(
        "/suggestions/new",
        Guard::named(P::SuggestionSubmit).form(&[("title", "甲校新建议"), ("body", "内容")]),
        create,
    )
    .get(
        "/suggestions/{id}",
        Guard::any(&[
            Staff(P::CongressView),
            Staff(P::ProposalReview),
            Named(P::SuggestionSubmit),
        ]),
        show,
    )
    .post(
        "/suggestions/{id}/reply",
        Guard::staff(P::ProposalReview).form(&[("reply", "已收到")]),
        reply,
    )
}

pub struct RowView {
    pub id: i64,
    pub title: String,
    pub school: String,
    pub author: String,
    pub status: String,
    pub status_code: &'static str,
    pub date: String,
    pub from_proposal: bool,
}

fn row(tr: &crate::i18n::Tr, s: &Suggestion) -> RowView {
    RowView {
        id: s.id.0,
        title: s.title.clone(),
        school: s.school_name.clone(),
        author: s.member_name.clone().unwrap_or_default(),
        status: tr.label(s.status),
        status_code: s.status.code(),
        date: tr.datetime(&s.created_at),
        from_proposal: s.from_proposal.is_some(),
    }
}

#[derive(Template)]
#[template(path = "congress/suggestions.html")]
struct ListPage {
    p: Chrome,
    mine: Vec<RowView>,
    school: Vec<RowView>,
    can_send: bool,
    is_staff: bool,
}

pub async fn list(State(state): State<AppState>, a: Auth) -> AppResult {
    let tr = a.tr;
    let db = &state.store.db;
    let mut mine = Vec::new();
    let mut school = Vec::new();
    let mut allowed = false;
    if let Ok(acting) = authorize_self::<perm::SuggestionSubmit>(&a.actor) {
        allowed = true;
        mine = ss::list(db, SuggestionLens::mine(&acting), false)
            .await?
            .iter()
            .map(|s| row(&tr, s))
            .collect();
    }
    if let Ok(cap) = a.actor.authorize::<perm::ProposalReview>() {
        allowed = true;
        school = ss::list(db, SuggestionLens::review(&cap), false)
            .await?
            .iter()
            .map(|s| row(&tr, s))
            .collect();
    } else if let Ok(cap) = a.actor.authorize::<perm::CongressView>() {
        allowed = true;
        school = ss::list(db, SuggestionLens::view(&cap), false)
            .await?
            .iter()
            .map(|s| row(&tr, s))
            .collect();
    }
    if !allowed {
        return Err(AppError::Forbidden);
    }
    a.render(&ListPage {
        p: Chrome::new(&a, "suggestions-title"),
        mine,
        school,
        can_send: a.actor.may(Permission::SuggestionSubmit) && a.actor.member.is_some(),
        is_staff: a.actor.may(Permission::ProposalReview) || a.actor.may(Permission::CongressView),
    })
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct SuggestionForm {
    title: String,
    body: String,
}

#[derive(Template)]
#[template(path = "congress/suggestion_form.html")]
struct FormPage {
    p: Chrome,
    f: SuggestionForm,
    errors: FieldErrors,
}

fn form_page(a: &Auth, f: SuggestionForm, errors: FieldErrors) -> AppResult {
    authorize_self::<perm::SuggestionSubmit>(&a.actor)?;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let p = Chrome::new(a, "suggestion-new-title")
        .crumb(a.tr.t("nav-suggestions"), Some("/suggestions".into()));
    let mut r = a.render(&FormPage { p, f, errors })?;
    *r.status_mut() = status;
    Ok(r)
}

pub async fn new_page(a: Auth) -> AppResult {
    form_page(&a, SuggestionForm::default(), FieldErrors::default())
}

pub async fn create(
    State(state): State<AppState>,
    a: Auth,
    Form(f): Form<SuggestionForm>,
) -> AppResult {
    let acting = authorize_self::<perm::SuggestionSubmit>(&a.actor)?;
    let mut errors = FieldErrors::default();
    match parse_suggestion(&f.title, &f.body) {
        Ok(d) => match ss::create(&state.store, &acting, &a.who(), &d).await {
            Ok(id) => {
                return Ok(a.redirect(&format!("/suggestions/{id}"), Flash::ok("suggestion-sent")));
            }
            Err(StoreError::NotFound) => return Err(AppError::NotFound),
            Err(e) => into_fields(e, &mut errors)?,
        },
        Err(e) => errors.0.extend(e.0),
    }
    form_page(&a, f, errors)
}

#[derive(Template)]
#[template(path = "congress/suggestion.html")]
struct ShowPage {
    p: Chrome,
    s: RowView,
    body: String,
    reply: Option<(String, String)>,
    from_proposal: Option<i64>,
    can_reply: bool,
}

pub async fn show(State(state): State<AppState>, a: Auth, Path(id): Path<i64>) -> AppResult {
    let db = &state.store.db;
    let mut found: Option<Suggestion> = None;
    let mut can_reply = false;
    if let Ok(cap) = a.actor.authorize::<perm::ProposalReview>()
        && let Ok(s) = ss::get(db, SuggestionLens::review(&cap), SuggestionId(id)).await
    {
        can_reply = true;
        found = Some(s);
    }
    if found.is_none()
        && let Ok(cap) = a.actor.authorize::<perm::CongressView>()
        && let Ok(s) = ss::get(db, SuggestionLens::view(&cap), SuggestionId(id)).await
    {
        found = Some(s);
    }
    if found.is_none()
        && let Ok(acting) = authorize_self::<perm::SuggestionSubmit>(&a.actor)
        && let Ok(s) = ss::get(db, SuggestionLens::mine(&acting), SuggestionId(id)).await
    {
        found = Some(s);
    }
    let Some(s) = found else {
        return Err(AppError::NotFound);
    };
    let tr = a.tr;
    let p = Chrome::new(&a, "suggestion-title")
        .title_text(s.title.clone())
        .crumb(tr.t("nav-suggestions"), Some("/suggestions".into()))
        .crumb(s.title.clone(), None);
    a.render(&ShowPage {
        p,
        s: row(&tr, &s),
        body: s.body.clone(),
        reply: s
            .reply
            .clone()
            .map(|r| (r, s.replied_at.map(|t| tr.datetime(&t)).unwrap_or_default())),
        from_proposal: s.from_proposal.map(|p| p.0),
        can_reply: can_reply && s.status == domain::proposals::SuggestionStatus::Open,
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ReplyForm {
    reply: String,
}

pub async fn reply(
    State(state): State<AppState>,
    a: Auth,
    Path(id): Path<i64>,
    Form(f): Form<ReplyForm>,
) -> AppResult {
    let cap = a.actor.authorize::<perm::ProposalReview>()?;
    let back = format!("/suggestions/{id}");
    match ss::reply(&state.store, &cap, &a.who(), SuggestionId(id), &f.reply).await {
        Ok(()) => Ok(a.redirect(&back, Flash::ok("suggestion-answered"))),
        Err(e) => crate::congress::refused(&a, &back, e),
    }
}
