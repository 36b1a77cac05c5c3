//! News from correspondents on the web: the public news page and its Atom feed (no login,
//! published items only), a correspondent's own page (submit from a phone, see one's items
//! and points), and the review desk of the school and the district (register
//! correspondents, approve, publish, reject, record placements).
//!
//! Handlers are thin: every check is the store's (scope, own item, the district's step).
//! Nothing unpublished is reachable without a news permission over the item's school; out
//! of scope is 404.

use crate::area::{Area, NavEntry};
use crate::chrome::{Chrome, Opt, coded_options};
use crate::congress::{into_fields, refused};
use crate::ctx::{Auth, Ctx, Flash};
use crate::error::AppResult;
use crate::state::AppState;
use crate::{Guard, Permission as P, RouteTable};
use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use chrono::Datelike;
use domain::FieldErrors;
use domain::auth::{Permission, perm};
use domain::congress::authorize_self;
use domain::correspondent::text;
use domain::correspondent::*;
use domain::ids::OrgUnitId;
use domain::org::Coded;
use serde::Deserialize;
use store::correspondent::{self as news, NewsFilter, NewsRow, PhotoViewer};

pub mod photo;
pub mod rules;

fn routes(t: RouteTable) -> RouteTable {
    t.get("/news", Guard::public(), public_page)
        .get("/news/feed.atom", Guard::public(), feed)
        .get("/news/mine", Guard::named(P::NewsSubmit), mine_page)
        .add_limited(
            crate::Method::Post,
            "/news/mine",
            Guard::named(P::NewsSubmit).upload(
                &[
                    ("title", "教职工运动会开幕"),
                    ("body", "学校工会举办教职工运动会。"),
                ],
                ("photo", "", b""),
            ),
            submit,
            // The photos and the text; past this the body is cut and the photo refused.
            Some(PHOTO_MAX_BYTES * PHOTO_MAX_COUNT + 256 * 1024),
        )
        .get("/news/items/{id}/photo", Guard::public(), photo_file)
        .get("/correspondents", Guard::staff(P::NewsReview), desk)
        .post(
            "/correspondents",
            Guard::staff(P::NewsReview).form(&[("member", "{member}")]),
            register,
        )
        .post(
            "/news/items/{id}/approve",
            Guard::staff(P::NewsReview).button(),
            approve,
        )
        .post(
            "/news/items/{id}/reject",
            Guard::staff(P::NewsReview).button(),
            reject,
        )
        .post(
            "/news/items/{id}/placement",
            Guard::staff(P::NewsReview).form(&[("level", "city"), ("outlet", "市教育工会网站")]),
            place,
        )
        .get(
            "/news/rules/{id}",
            Guard::staff(P::RuleSetManage),
            rules::page,
        )
        .post(
            "/news/rules/{id}",
            Guard::staff(P::RuleSetManage).form(&[
                ("district", "1"),
                ("city", "4"),
                ("province", "6"),
                ("national", "10"),
                ("note", "2027 年考核方案"),
            ]),
            rules::save,
        )
}

/// The news area.
pub static AREA: Area = Area {
    name: "correspondent",
    routes: |t, _| routes(t),
    nav: &[
        NavEntry {
            href: "/news/mine",
            label_key: "nav-news-mine",
            permission: Some(Permission::NewsSubmit),
            rank: 90,
        },
        NavEntry {
            href: "/correspondents",
            label_key: "nav-correspondents",
            permission: Some(Permission::NewsReview),
            rank: 91,
        },
    ],
    documents: &[],
};

fn today() -> chrono::NaiveDate {
    crate::today()
}

/// A published item as the public page shows it.
pub struct PublicView {
    pub id: i64,
    pub title: String,
    pub paragraphs: Vec<String>,
    pub school: String,
    pub published: String,
    /// Addresses of the item's photos.
    pub photos: Vec<String>,
}

#[derive(Template)]
#[template(path = "correspondent/public.html")]
struct PublicPage {
    p: Chrome,
    items: Vec<PublicView>,
}

/// The public news page as rendered for anonymous readers, by language and address, with
/// the version of the published set it shows and when it was rendered. Every reader without
/// a login and without a flash message gets the same page, so it is rendered once per
/// change of the published items (checked by one small query per request) and at most
/// [`PAGE_TTL_SECS`] old (a school renamed shows within that time).
#[derive(Debug, Default)]
pub struct PageCache(std::sync::Mutex<std::collections::HashMap<String, CachedPage>>);

/// A rendered page: the published set's version, when it was rendered, the HTML.
type CachedPage = ((i64, i64), std::time::Instant, String);

/// The longest a cached public page is served.
pub const PAGE_TTL_SECS: u64 = 60;

/// The public news page: the newest published items, readable on a phone, no login.
pub async fn public_page(State(state): State<AppState>, ctx: Ctx) -> AppResult {
    let anonymous = ctx.actor().is_none() && ctx.flash.is_none();
    let key = format!("{:?} {}", ctx.tr.lang, ctx.path);
    let version = if anonymous {
        let v = news::published_version(&state.store.db).await?;
        let cache = state.news_page.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((seen, at, body)) = cache.get(&key)
            && *seen == v
            && at.elapsed().as_secs() < PAGE_TTL_SECS
        {
            return Ok(axum::response::Html(body.clone()).into_response());
        }
        Some(v)
    } else {
        None
    };
    let items = news::published(&state.store.db, 50).await?;
    let tr = ctx.tr;
    let page = PublicPage {
        p: Chrome::new(&ctx, "news-public-title"),
        items: items
            .into_iter()
            .map(|i| PublicView {
                id: i.id.0,
                paragraphs: i
                    .body
                    .lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .map(String::from)
                    .collect(),
                photos: (0..i.photos)
                    .map(|n| format!("/news/items/{}/photo?n={n}", i.id.0))
                    .collect(),
                title: i.title,
                school: i.school,
                published: tr.datetime(&i.published_at),
            })
            .collect(),
    };
    let Some(v) = version else {
        return ctx.render(&page);
    };
    let body = askama::Template::render(&page)?;
    let mut cache = state.news_page.0.lock().unwrap_or_else(|e| e.into_inner());
    // A bounded map: addresses with odd query strings do not grow it without end.
    if cache.len() > 64 {
        cache.clear();
    }
    cache.insert(key, (v, std::time::Instant::now(), body.clone()));
    Ok(axum::response::Html(body).into_response())
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The Atom feed of the public news page.
pub async fn feed(State(state): State<AppState>, ctx: Ctx) -> AppResult {
    let items = news::published(&state.store.db, 50).await?;
    let updated = items
        .first()
        .map(|i| i.published_at)
        .unwrap_or_else(store::now);
    let mut x = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    x.push_str("<feed xmlns=\"http://www.w3.org/2005/Atom\">");
    x.push_str(&format!(
        "<title>{}</title><id>urn:jiaogong:news</id><link rel=\"alternate\" href=\"/news\"/><updated>{}</updated>",
        xml_escape(&ctx.tr.t("news-public-title")),
        updated.to_rfc3339()
    ));
    for i in &items {
        x.push_str(&format!(
            "<entry><title>{}</title><id>urn:jiaogong:news:{}</id><link href=\"/news#n{}\"/><updated>{}</updated><author><name>{}</name></author><content type=\"text\">{}</content></entry>",
            xml_escape(&i.title),
            i.id.0,
            i.id.0,
            i.published_at.to_rfc3339(),
            xml_escape(&i.school),
            xml_escape(&i.body)
        ));
    }
    x.push_str("</feed>");
    Ok((
        [(header::CONTENT_TYPE, "application/atom+xml; charset=utf-8")],
        x,
    )
        .into_response())
}

/// An item as its author or a reviewer sees it.
pub struct ItemView {
    pub id: i64,
    pub title: String,
    pub body: String,
    pub school: String,
    pub author: String,
    pub status: String,
    pub status_code: &'static str,
    pub submitted_on: String,
    pub placements: Vec<String>,
    pub points: i64,
    pub can_approve: bool,
    pub can_publish: bool,
    pub can_reject: bool,
    pub can_place: bool,
    pub photos: Vec<String>,
}

fn item_view(tr: &crate::i18n::Tr, r: &NewsRow, reviewer: Option<&Auth>) -> ItemView {
    let mine = reviewer.is_some_and(|a| r.submitted_by == Some(a.actor.account.0));
    let review = reviewer.is_some() && !mine;
    ItemView {
        id: r.id.0,
        title: r.title.clone(),
        body: r.body.clone(),
        school: r.school.clone(),
        author: r.author.clone(),
        status: tr.label(r.status),
        status_code: r.status.code(),
        submitted_on: tr.date(&r.submitted_on),
        placements: r
            .placements
            .iter()
            .map(|(l, pts)| {
                tr.ta(
                    "news-placement-line",
                    &[("level", tr.label(*l)), ("points", pts.to_string())],
                )
            })
            .collect(),
        points: r.placements.iter().map(|p| p.1).sum(),
        can_approve: review && r.status == NewsStatus::Submitted,
        can_publish: review && r.status == NewsStatus::SchoolApproved,
        can_reject: review
            && matches!(r.status, NewsStatus::Submitted | NewsStatus::SchoolApproved),
        can_place: reviewer.is_some() && r.status == NewsStatus::Published,
        photos: (0..r.photos)
            .map(|n| format!("/news/items/{}/photo?n={n}", r.id.0))
            .collect(),
    }
}

#[derive(Template)]
#[template(path = "correspondent/mine.html")]
struct MinePage {
    p: Chrome,
    registered: bool,
    items: Vec<ItemView>,
    points: i64,
    title: String,
    body: String,
    errors: FieldErrors,
    error_texts: Vec<(String, String)>,
    max_mb: usize,
}

async fn mine_render(
    state: &AppState,
    a: &Auth,
    input: &NewsInput,
    errors: FieldErrors,
) -> AppResult {
    // An account not linked to a member is no correspondent: the page says how one becomes
    // one, rather than answering 403 to a menu item (issue 25).
    let (registered, rows) = match authorize_self::<perm::NewsSubmit>(&a.actor) {
        Ok(acting) => (
            news::is_correspondent(&state.store.db, &acting).await?,
            news::mine(&state.store.db, &acting).await?,
        ),
        Err(_) if a.actor.member.is_none() && a.actor.may(domain::auth::Permission::NewsSubmit) => {
            (false, Vec::new())
        }
        Err(e) => return Err(e.into()),
    };
    let tr = a.tr;
    let items: Vec<ItemView> = rows.iter().map(|r| item_view(&tr, r, None)).collect();
    a.render_form(
        &MinePage {
            p: Chrome::new(a, "news-mine-title"),
            registered,
            points: items.iter().map(|i| i.points).sum(),
            items,
            title: input.title.clone(),
            body: input.body.clone(),
            error_texts: errors
                .0
                .iter()
                .map(|e| (e.field.to_string(), tr.fe(e)))
                .collect(),
            errors: errors.clone(),
            max_mb: PHOTO_MAX_BYTES / (1024 * 1024),
        },
        &errors,
    )
}

/// A correspondent's page: the submission form and one's own items with their points.
pub async fn mine_page(State(state): State<AppState>, a: Auth) -> AppResult {
    mine_render(&state, &a, &NewsInput::default(), FieldErrors::default()).await
}

/// What a submission brought: the text fields, the photos processed, an error at `photo`.
struct Submission {
    input: NewsInput,
    photos: Vec<news::NewPhoto>,
    photo_error: Option<domain::FieldError>,
}

/// Reads a submission: a multipart form (the page's form, with photos) or a plain one.
/// Each photo is checked and re-encoded off the runtime; the first refusal is kept for the
/// `photo` field and the text typed is kept whatever happens to the photos.
async fn read_submission(
    state: &AppState,
    req: axum::extract::Request,
) -> Result<Submission, crate::error::AppError> {
    use axum::extract::FromRequest;
    let multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    let mut out = Submission {
        input: NewsInput::default(),
        photos: Vec::new(),
        photo_error: None,
    };
    if !multipart {
        let Form(input) = Form::<NewsInput>::from_request(req, state)
            .await
            .map_err(|_| crate::error::AppError::BadRequest)?;
        out.input = input;
        return Ok(out);
    }
    let mut mp = axum::extract::Multipart::from_request(req, state)
        .await
        .map_err(|_| crate::error::AppError::BadRequest)?;
    let too_large = || {
        domain::FieldError::new("photo", text::PHOTO_TOO_LARGE)
            .arg("max", PHOTO_MAX_BYTES / (1024 * 1024))
    };
    loop {
        let field = match mp.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            // The body went past the route's limit: a photo far too large.
            Err(_) => {
                out.photo_error.get_or_insert_with(too_large);
                break;
            }
        };
        match field.name() {
            Some("title") => out.input.title = field.text().await.unwrap_or_default(),
            Some("body") => out.input.body = field.text().await.unwrap_or_default(),
            Some("photo") => {
                let bytes = match field.bytes().await {
                    Ok(b) => b,
                    Err(_) => {
                        out.photo_error.get_or_insert_with(too_large);
                        break;
                    }
                };
                // A browser sends an empty part when no file was chosen.
                if bytes.is_empty() || out.photo_error.is_some() {
                    continue;
                }
                if out.photos.len() >= PHOTO_MAX_COUNT {
                    out.photo_error = Some(
                        domain::FieldError::new("photo", text::PHOTO_TOO_MANY)
                            .arg("max", PHOTO_MAX_COUNT),
                    );
                    continue;
                }
                let done = tokio::task::spawn_blocking(move || photo::process(&bytes))
                    .await
                    .map_err(|_| crate::error::AppError::BadRequest)?;
                match done {
                    Ok(p) => out.photos.push(news::NewPhoto {
                        content_type: "image/jpeg",
                        width: p.width,
                        height: p.height,
                        bytes: p.jpeg,
                    }),
                    Err(e) => out.photo_error = Some(e),
                }
            }
            _ => {}
        }
    }
    Ok(out)
}

/// A correspondent submits an item (as themself; the data decides whether they are one),
/// with its photos.
pub async fn submit(
    State(state): State<AppState>,
    a: Auth,
    req: axum::extract::Request,
) -> AppResult {
    let acting = authorize_self::<perm::NewsSubmit>(&a.actor)?;
    let sub = read_submission(&state, req).await?;
    let input = sub.input;
    let mut errors = FieldErrors::default();
    let parsed = input.parse();
    if let Err(e) = &parsed {
        errors = e.clone();
    }
    if let Some(e) = sub.photo_error {
        errors.push(e);
    }
    if let (Ok(d), true) = (parsed, errors.is_empty()) {
        match news::submit_with_photos(&state.store, &acting, &a.who(), &d, &sub.photos, today())
            .await
        {
            Ok(_) => return Ok(a.redirect("/news/mine", Flash::ok("news-submitted"))),
            Err(e) => into_fields(e, &mut errors)?,
        }
    }
    mine_render(&state, &a, &input, errors).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PhotoQuery {
    n: i64,
}

/// A photo of an item: anybody sees those of published items; a reviewer those of the
/// schools in scope, the correspondent their own. Anything else is 404.
pub async fn photo_file(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Query(q): Query<PhotoQuery>,
) -> AppResult {
    let db = &state.store.db;
    let item = NewsItemId(id);
    let mut found = news::photo(db, PhotoViewer::Public, item, q.n).await;
    if matches!(found, Err(store::StoreError::NotFound))
        && let Some(actor) = ctx.actor()
    {
        if let Ok(cap) = actor.authorize::<perm::NewsReview>() {
            found = news::photo(db, PhotoViewer::Review(&cap), item, q.n).await;
        }
        if matches!(found, Err(store::StoreError::NotFound))
            && let Ok(acting) = authorize_self::<perm::NewsSubmit>(actor)
        {
            found = news::photo(db, PhotoViewer::Author(&acting), item, q.n).await;
        }
    }
    let (content_type, bytes) = found?;
    Ok((
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "private, max-age=3600".to_string()),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_string()),
        ],
        bytes,
    )
        .into_response())
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DeskQuery {
    unit: String,
    year: String,
    status: String,
    placed: String,
}

/// A correspondent's line of the desk.
pub struct CorrespondentView {
    pub member: String,
    pub school: String,
    pub items: i64,
    pub published: i64,
    pub points: i64,
}

#[derive(Template)]
#[template(path = "correspondent/desk.html")]
struct DeskPage {
    p: Chrome,
    year: i32,
    unit: String,
    statuses: Vec<Opt>,
    levels: Vec<Opt>,
    placed: bool,
    correspondents: Vec<CorrespondentView>,
    items: Vec<ItemView>,
    member: String,
    member_error: String,
    rules_version: String,
    rules: Vec<String>,
    /// The unit whose rule set the reviewer may change (`/news/rules/{id}`).
    rules_unit: Option<i64>,
}

async fn desk_render(
    state: &AppState,
    a: &Auth,
    q: &DeskQuery,
    member: &str,
    member_error: String,
) -> AppResult {
    let cap = a.actor.authorize::<perm::NewsReview>()?;
    let year = q
        .year
        .trim()
        .parse::<i32>()
        .ok()
        .filter(|y| (2000..=2100).contains(y))
        .unwrap_or_else(|| today().year());
    let unit = q.unit.trim().parse::<i64>().ok().map(OrgUnitId);
    let filter = NewsFilter {
        unit,
        year: Some(year),
        status: NewsStatus::from_code(q.status.trim()),
        placed: !q.placed.trim().is_empty(),
    };
    let db = &state.store.db;
    let people = news::correspondents(db, &cap, unit, year).await?;
    let rows = news::list(db, &cap, &filter).await?;
    // The points in force where the reviewer places items: their own union's version.
    let root = a
        .actor
        .roots_for(domain::auth::Permission::NewsReview)
        .first()
        .copied();
    let (rules, rules_version) = match root {
        Some(r) => news::rules(db, &cap, r).await?,
        None => (
            NEWS_RULES,
            domain::correspondent::BUILTIN_NEWS_RULES.to_string(),
        ),
    };
    let rules_unit = root
        .filter(|_| a.actor.may(domain::auth::Permission::RuleSetManage))
        .map(|r| r.0);
    let tr = a.tr;
    let failed = !member_error.is_empty();
    let mut r = a.render(&DeskPage {
        p: Chrome::new(a, "news-desk-title"),
        year,
        unit: unit.map(|u| u.0.to_string()).unwrap_or_default(),
        statuses: coded_options::<NewsStatus>(&tr, q.status.trim(), Some("news-all")),
        levels: coded_options::<PlacementLevel>(&tr, "city", None),
        placed: filter.placed,
        correspondents: people
            .into_iter()
            .map(|c| CorrespondentView {
                member: c.member,
                school: c.school,
                items: c.items,
                published: c.published,
                points: c.points,
            })
            .collect(),
        items: rows.iter().map(|r| item_view(&tr, r, Some(a))).collect(),
        member: member.to_string(),
        member_error,
        rules_version,
        rules_unit,
        rules: PlacementLevel::all()
            .iter()
            .map(|l| {
                tr.ta(
                    "news-placement-line",
                    &[
                        ("level", tr.label(*l)),
                        ("points", rules.points(*l).to_string()),
                    ],
                )
            })
            .collect(),
    })?;
    if failed {
        *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(r)
}

/// The review desk: correspondents with their points, the items to review, placements.
pub async fn desk(State(state): State<AppState>, a: Auth, Query(q): Query<DeskQuery>) -> AppResult {
    desk_render(&state, &a, &q, "", String::new()).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RegisterForm {
    member: String,
}

/// Registers a member of a school in scope as a correspondent.
pub async fn register(
    State(state): State<AppState>,
    a: Auth,
    Form(f): Form<RegisterForm>,
) -> AppResult {
    let cap = a.actor.authorize::<perm::NewsReview>()?;
    match news::register(&state.store, &cap, &a.who(), &f.member, today()).await {
        Ok(_) => Ok(a.redirect("/correspondents", Flash::ok("news-registered"))),
        Err(e) => {
            let mut errors = FieldErrors::default();
            into_fields(e, &mut errors)?;
            let text = errors.0.first().map(|e| a.tr.fe(e)).unwrap_or_default();
            desk_render(&state, &a, &DeskQuery::default(), &f.member, text).await
        }
    }
}

/// The school approves, or the district publishes, an item.
pub async fn approve(State(state): State<AppState>, a: Auth, Path(id): Path<i64>) -> AppResult {
    let cap = a.actor.authorize::<perm::NewsReview>()?;
    match news::approve(&state.store, &cap, &a.who(), NewsItemId(id)).await {
        Ok(NewsStatus::Published) => Ok(a.redirect("/correspondents", Flash::ok("news-published"))),
        Ok(_) => Ok(a.redirect("/correspondents", Flash::ok("news-approved"))),
        Err(e) => refused(&a, "/correspondents", e),
    }
}

/// Rejects an item not yet published.
pub async fn reject(State(state): State<AppState>, a: Auth, Path(id): Path<i64>) -> AppResult {
    let cap = a.actor.authorize::<perm::NewsReview>()?;
    match news::reject(&state.store, &cap, &a.who(), NewsItemId(id)).await {
        Ok(()) => Ok(a.redirect("/correspondents", Flash::ok("news-rejected"))),
        Err(e) => refused(&a, "/correspondents", e),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PlaceForm {
    level: String,
    outlet: String,
}

/// Records a placement of a published item.
pub async fn place(
    State(state): State<AppState>,
    a: Auth,
    Path(id): Path<i64>,
    Form(f): Form<PlaceForm>,
) -> AppResult {
    let cap = a.actor.authorize::<perm::NewsReview>()?;
    let level = match parse_level(&f.level) {
        Ok(l) => l,
        Err(e) => {
            return refused(
                &a,
                "/correspondents",
                store::StoreError::Invalid(FieldErrors(vec![e])),
            );
        }
    };
    match news::place(
        &state.store,
        &cap,
        &a.who(),
        NewsItemId(id),
        level,
        &f.outlet,
        today(),
    )
    .await
    {
        Ok((_, points)) => Ok(a.redirect(
            "/correspondents?placed=1",
            Flash::ok("news-placed").arg("points", points),
        )),
        Err(e) => refused(&a, "/correspondents", e),
    }
}
