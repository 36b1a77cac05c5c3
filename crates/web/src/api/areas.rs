//! The JSON API of the areas beyond the member list (issue 24): proposals, the polls of a
//! meeting and a published result, hardship files, activities, contests, union elections,
//! a school's funds ledger, news items, surveys, suggestions, letters and visits
//! (petitions), a unit's work-plan tasks and the annual assessment of the schools — each
//! the same rows its page lists,
//! read through the same store function with the same capability; and two writes (a new
//! branch lives in `api`, a new activity here).
//!
//! Owns: the JSON shapes of these lists and the query parameters they take. Lists the
//! store pages by keyset (proposals, hardship files, activities) page the same way here
//! (`after` = the previous page's `next`); lists the store bounds by a year and 200 rows
//! (contests, elections, news, surveys, a ledger) take `year`.
//!
//! Must never: show more than the page list shows — a hardship file's household, income or
//! health details (only what `/assistance` lists: name, school, level, status, dates), a
//! survey's answers (only the number of people who answered), a secret ballot (only the
//! published counts), a petitioner (no name, mask, phone or matter: only the category,
//! the channel, the dates and the outcome), a suggestion's author; read anything without
//! the page's capability.

use super::{ApiError, ApiResult, MAX_LIMIT, Problem, denied};
use crate::error::AppError;
use crate::{AppState, Auth, Guard, RouteTable};
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDate, Utc};
use domain::auth::perm;
use domain::congress::MeetingId;
use domain::ids::OrgUnitId;
use domain::org::Coded;
use domain::proposals::ProposalId;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

pub fn routes(t: RouteTable) -> RouteTable {
    use domain::auth::Permission as P;
    t.get("/api/v1/proposals", Guard::staff(P::CongressView), proposals)
        .get(
            "/api/v1/meetings/{id}/polls",
            Guard::staff(P::CongressView),
            polls,
        )
        .get(
            "/api/v1/polls/{id}/result",
            Guard::staff(P::CongressView),
            poll_result,
        )
        .get(
            "/api/v1/assistance/files",
            Guard::staff(P::AssistanceView),
            hardship_files,
        )
        .get(
            "/api/v1/activities",
            Guard::staff(P::ActivityManage),
            activities,
        )
        .post(
            "/api/v1/units/{id}/activities",
            Guard::staff(P::ActivityManage).json(
                r#"{"title":"接口羽毛球赛","place":"体育馆","date":"2030-06-01","time":"15:00","closes":"2030-05-25","capacity":"20","audience":"everyone","tags":["sports"]}"#,
            ),
            create_activity,
        )
        .get("/api/v1/contests", Guard::staff(P::ContestView), contests)
        .get("/api/v1/elections", Guard::staff(P::ElectionView), elections)
        .get(
            "/api/v1/funds/{id}/ledger",
            Guard::staff(P::FundsView),
            funds_ledger,
        )
        .get("/api/v1/news", Guard::staff(P::NewsReview), news)
        .get("/api/v1/surveys", Guard::staff(P::SurveyView), surveys)
        .get(
            "/api/v1/suggestions",
            Guard::staff(P::CongressView),
            suggestions,
        )
        .get("/api/v1/petitions", Guard::staff(P::PetitionView), petitions)
        .get(
            "/api/v1/assessment",
            Guard::staff(P::AssessmentView),
            assessment,
        )
        .get(
            "/api/v1/plans/{id}/tasks",
            Guard::staff(P::WorkPlanView),
            plan_tasks,
        )
}

fn limit(l: Option<i64>) -> usize {
    usize::try_from(l.unwrap_or(50).clamp(1, MAX_LIMIT)).unwrap_or(50)
}

fn year_or_now(y: Option<i32>) -> i32 {
    use chrono::Datelike;
    y.filter(|y| (2000..=2100).contains(y))
        .unwrap_or_else(|| crate::today().year())
}

fn store_err(a: &Auth) -> impl Fn(store::StoreError) -> ApiError + '_ {
    move |e| ApiError::from_store(e, a)
}

fn app_err(e: AppError, a: &Auth) -> ApiError {
    match e {
        AppError::NotFound => ApiError::new(StatusCode::NOT_FOUND, "not found", a),
        AppError::Forbidden => denied(a),
        AppError::BadRequest => ApiError::new(StatusCode::BAD_REQUEST, "bad request", a),
        AppError::Conflict => ApiError::new(StatusCode::CONFLICT, "changed by someone else", a),
        AppError::Internal(cause) => {
            tracing::error!(request_id = %a.request_id, %cause, "api error");
            ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal error", a)
        }
    }
}

// ------------------------------------------------------------------ proposals

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(default)]
#[into_params(parameter_in = Query)]
pub struct ProposalsQuery {
    /// Only this status (`draft`, `submitted`, `accepted`, `handling`, …).
    pub status: Option<String>,
    /// Only the proposals of this meeting.
    pub meeting: Option<i64>,
    /// Only the proposals of this school union.
    pub school: Option<i64>,
    /// The `next` cursor of the previous page.
    pub after: Option<String>,
}

/// A proposal as the proposal list shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProposalItem {
    pub id: i64,
    pub number: Option<i64>,
    pub title: String,
    pub category: String,
    pub status: String,
    pub school_union_id: i64,
    pub school_name: String,
    pub meeting_id: i64,
    pub proposer_name: String,
    pub handler_name: Option<String>,
    pub reply_due: Option<NaiveDate>,
    pub seconded: i64,
    /// The proposer's latest rating of the reply (`satisfied`, …).
    pub last_rating: Option<String>,
    pub submitted_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProposalPage {
    pub items: Vec<ProposalItem>,
    /// Pass as `after` for the next page (newest first); absent on the last page.
    pub next: Option<String>,
}

/// The proposals of the congresses in the token's scope, newest first, in keyset pages of
/// 100 (the proposal list's "all" tab).
#[utoipa::path(get, path = "/api/v1/proposals", params(ProposalsQuery),
    responses((status = 200, body = ProposalPage), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn proposals(
    State(state): State<AppState>,
    a: Auth,
    Query(q): Query<ProposalsQuery>,
) -> ApiResult<Json<ProposalPage>> {
    let cap = a
        .actor
        .authorize::<perm::CongressView>()
        .map_err(|_| denied(&a))?;
    let filter = store::proposals::ProposalFilter {
        status: q
            .status
            .as_deref()
            .and_then(domain::proposals::ProposalStatus::from_code),
        meeting: q.meeting.map(MeetingId),
        school: q.school.map(OrgUnitId),
        before: q
            .after
            .as_deref()
            .and_then(|s| s.parse().ok())
            .map(ProposalId),
        ..Default::default()
    };
    let (rows, next) =
        store::proposals::list(&state.store.db, store::proposals::Lens::view(&cap), &filter)
            .await
            .map_err(store_err(&a))?;
    Ok(Json(ProposalPage {
        items: rows
            .into_iter()
            .map(|r| ProposalItem {
                id: r.id.0,
                number: r.number,
                title: r.title,
                category: r.category.code().into(),
                status: r.status.code().into(),
                school_union_id: r.school_union_id.0,
                school_name: r.school_name,
                meeting_id: r.meeting_id.0,
                proposer_name: r.proposer_name,
                handler_name: r.handler_name,
                reply_due: r.reply_due,
                seconded: r.seconded,
                last_rating: r.last_rating.map(|x| x.code().into()),
                submitted_at: r.submitted_at,
            })
            .collect(),
        next: next.map(|n| n.0.to_string()),
    }))
}

// ------------------------------------------------------------------ polls

/// A poll of a meeting. Counts appear once the result is published, and never a ballot.
#[derive(Debug, Serialize, ToSchema)]
pub struct PollItem {
    pub id: i64,
    pub title: String,
    /// `motion`, `election` or `cadre_review`.
    pub kind: String,
    /// `secret`, `named` or `paper`.
    pub mode: String,
    pub status: String,
    pub seats: u32,
    pub round: u32,
    pub opened_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub published_at: Option<DateTime<Utc>>,
}

/// The polls of a meeting in the token's scope, in the order they were set up.
#[utoipa::path(get, path = "/api/v1/meetings/{id}/polls",
    params(("id" = i64, Path, description = "The meeting")),
    responses((status = 200, body = [PollItem]), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn polls(
    State(state): State<AppState>,
    a: Auth,
    Path(id): Path<i64>,
) -> ApiResult<Json<Vec<PollItem>>> {
    use store::congress::meetings::{Viewer, get_meeting};
    let cap = a
        .actor
        .authorize::<perm::CongressView>()
        .map_err(|_| denied(&a))?;
    let db = &state.store.db;
    let m = get_meeting(db, Viewer::view(&cap), MeetingId(id))
        .await
        .map_err(store_err(&a))?;
    let list = store::voting::polls_of_meeting(db, Viewer::view(&cap), m.id)
        .await
        .map_err(store_err(&a))?;
    Ok(Json(
        list.into_iter()
            .map(|p| PollItem {
                id: p.id.0,
                title: p.title,
                kind: p.kind.code().into(),
                mode: p.mode.code().into(),
                status: p.status.code().into(),
                seats: p.seats,
                round: p.round,
                opened_at: p.opened_at,
                closed_at: p.closed_at,
                published_at: p.published_at,
            })
            .collect(),
    ))
}

/// A published result as the result sheet shows it: one row per option or candidate, in
/// the reader's language (`Accept-Language`).
#[derive(Debug, Serialize, ToSchema)]
pub struct PollResultDoc {
    pub poll_id: i64,
    pub title: String,
    pub kind: String,
    pub mode: String,
    pub published_at: Option<DateTime<Utc>>,
    /// Delegates in all, excused, present at closing.
    pub attendance: Option<[u32; 3]>,
    /// Valid ballots counted.
    pub ballots: Option<u32>,
    pub heading: String,
    /// The header over the row labels.
    pub corner: String,
    /// The headers of the count columns.
    pub columns: Vec<String>,
    pub rows: Vec<ResultLine>,
    pub notes: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ResultLine {
    pub label: String,
    pub cells: Vec<String>,
    /// 当选 / 未当选, 通过 / 未通过…; empty when the kind has no outcome per row.
    pub outcome: String,
}

/// The published result of a poll (404 before publication, as the result page).
#[utoipa::path(get, path = "/api/v1/polls/{id}/result",
    params(("id" = i64, Path, description = "The poll")),
    responses((status = 200, body = PollResultDoc), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn poll_result(
    State(state): State<AppState>,
    a: Auth,
    Path(id): Path<i64>,
) -> ApiResult<Json<PollResultDoc>> {
    if !a.actor.may(domain::auth::Permission::CongressView) {
        return Err(denied(&a));
    }
    let (p, _m, view) = crate::voting::documents::visible_result(&state, &a, id)
        .await
        .map_err(|e| app_err(e, &a))?;
    let view = view.ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "not found", &a))?;
    Ok(Json(PollResultDoc {
        poll_id: p.id.0,
        title: p.title.clone(),
        kind: p.kind.code().into(),
        mode: p.mode.code().into(),
        published_at: p.published_at,
        attendance: p.attendance.map(|x| [x.total, x.excused, x.present]),
        ballots: p.tally.as_ref().map(|t| t.ballots),
        heading: view.heading,
        corner: view.corner,
        columns: view.columns,
        rows: view
            .rows
            .into_iter()
            .map(|r| ResultLine {
                label: r.label,
                cells: r.cells,
                outcome: r.outcome,
            })
            .collect(),
        notes: view.notes,
    }))
}

// ------------------------------------------------------------------ assistance

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(default)]
#[into_params(parameter_in = Query)]
pub struct FilesQuery {
    /// `draft`, `open`, `closed`…
    pub status: Option<String>,
    /// `deep`, `relative`…
    pub level: Option<String>,
    /// Only the files of the school unions under this org unit.
    pub unit: Option<i64>,
    /// Only the files drafted in this year.
    pub year: Option<i32>,
    pub after: Option<String>,
    /// Rows per page, 1–200 (default 50).
    pub limit: Option<i64>,
}

/// A hardship file as the list shows it: no household, income, cause or health detail.
#[derive(Debug, Serialize, ToSchema)]
pub struct HardshipFileItem {
    pub id: i64,
    pub member_name: String,
    pub school_union_id: i64,
    pub school_name: String,
    pub status: String,
    pub level: String,
    pub drafted_on: NaiveDate,
    pub opened_on: Option<NaiveDate>,
    pub review_due: Option<NaiveDate>,
    pub exited_on: Option<NaiveDate>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HardshipFilePage {
    pub items: Vec<HardshipFileItem>,
    pub next: Option<String>,
}

/// Hardship files in the token's scope, newest first, in keyset pages.
#[utoipa::path(get, path = "/api/v1/assistance/files", params(FilesQuery),
    responses((status = 200, body = HardshipFilePage), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn hardship_files(
    State(state): State<AppState>,
    a: Auth,
    Query(q): Query<FilesQuery>,
) -> ApiResult<Json<HardshipFilePage>> {
    use domain::assistance::{FileStatus, HardshipLevel};
    use store::assistance::files;
    let cap = a
        .actor
        .authorize::<perm::AssistanceView>()
        .map_err(|_| denied(&a))?;
    let n = limit(q.limit);
    let filter = files::Filter {
        status: q.status.as_deref().and_then(FileStatus::from_code),
        level: q.level.as_deref().and_then(HardshipLevel::from_code),
        unit: q.unit.map(OrgUnitId),
        year: q.year,
        before: q.after.as_deref().and_then(|s| s.parse().ok()),
    };
    let mut rows = files::list(&state.store.db, &cap, &filter, n as i64 + 1)
        .await
        .map_err(store_err(&a))?;
    let next = if rows.len() > n {
        rows.truncate(n);
        rows.last().map(|r| r.id.0.to_string())
    } else {
        None
    };
    Ok(Json(HardshipFilePage {
        items: rows
            .into_iter()
            .map(|r| HardshipFileItem {
                id: r.id.0,
                member_name: r.member_name,
                school_union_id: r.school_union_id.0,
                school_name: r.school_name,
                status: r.status.code().into(),
                level: r.level.code().into(),
                drafted_on: r.drafted_on,
                opened_on: r.opened_on,
                review_due: r.review_due,
                exited_on: r.exited_on,
            })
            .collect(),
        next,
    }))
}

// ------------------------------------------------------------------ activities

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(default)]
#[into_params(parameter_in = Query)]
pub struct ActivitiesQuery {
    /// The school year (starting in September; default: the current one).
    pub year: Option<i32>,
    /// Only the activities of the units under this org unit.
    pub unit: Option<i64>,
    /// `sports`, `culture`, `women`, `youth` or `retirees`.
    pub tag: Option<String>,
    pub after: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ActivityItem {
    pub id: i64,
    pub unit_id: i64,
    pub unit_name: String,
    pub title: String,
    pub place: String,
    pub starts_at: DateTime<Utc>,
    pub signup_closes_on: NaiveDate,
    pub capacity: i64,
    pub confirmed: i64,
    pub waiting: i64,
    pub attended: i64,
    pub audience: String,
    pub tags: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ActivityPage {
    pub items: Vec<ActivityItem>,
    pub next: Option<String>,
}

/// The activities organised in the token's scope, in keyset pages of 30 (the organisers'
/// list).
#[utoipa::path(get, path = "/api/v1/activities", params(ActivitiesQuery),
    responses((status = 200, body = ActivityPage), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn activities(
    State(state): State<AppState>,
    a: Auth,
    Query(q): Query<ActivitiesQuery>,
) -> ApiResult<Json<ActivityPage>> {
    use store::activity as act;
    let cap = a
        .actor
        .authorize::<perm::ActivityManage>()
        .map_err(|_| denied(&a))?;
    let year = q
        .year
        .filter(|y| (2000..=2100).contains(y))
        .unwrap_or_else(|| domain::congress::school_year(crate::today()));
    let filter = act::ActivityFilter {
        unit: q.unit.map(OrgUnitId),
        year: Some(year),
        tag: q
            .tag
            .as_deref()
            .and_then(domain::activity::ActivityTag::from_code),
        search: None,
        before: q.after.as_deref().and_then(|s| {
            let (at, id) = s.split_once(',')?;
            Some((
                DateTime::parse_from_rfc3339(at).ok()?.to_utc(),
                id.parse().ok()?,
            ))
        }),
    };
    let mut rows = act::list(&state.store.db, &cap, &filter)
        .await
        .map_err(store_err(&a))?;
    let next = if rows.len() > act::PAGE {
        rows.truncate(act::PAGE);
        rows.last()
            .map(|r| format!("{},{}", r.starts_at.to_rfc3339(), r.id.0))
    } else {
        None
    };
    Ok(Json(ActivityPage {
        items: rows
            .into_iter()
            .map(|r| ActivityItem {
                id: r.id.0,
                unit_id: r.unit.0,
                unit_name: r.unit_name,
                title: r.title,
                place: r.place,
                starts_at: r.starts_at,
                signup_closes_on: r.closes,
                capacity: r.capacity,
                confirmed: r.confirmed,
                waiting: r.waiting,
                attended: r.attended,
                audience: r.audience.code().into(),
                tags: r.tags.iter().map(|t| t.code().to_string()).collect(),
            })
            .collect(),
        next,
    }))
}

/// A new activity, as the organisers' form takes it.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct NewActivity {
    pub title: String,
    pub place: String,
    /// `YYYY-MM-DD`.
    pub date: String,
    /// `HH:MM`, Beijing time.
    pub time: String,
    /// The last day of sign-up, `YYYY-MM-DD`.
    pub closes: String,
    /// Places; `0` for no limit.
    pub capacity: String,
    /// `everyone`, `in_service`, `retired`, `women`, `youth`.
    pub audience: String,
    /// Any of `sports`, `culture`, `women`, `youth`, `retirees`.
    pub tags: Vec<String>,
}

/// The fields of a refused body, named as the form names them.
fn invalid_fields(fe: &domain::FieldErrors, a: &Auth) -> ApiError {
    let fields: Vec<String> = fe.0.iter().map(|f| f.field.to_string()).collect();
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        &format!("invalid: {}", fields.join(", ")),
        a,
    )
}

/// Organises an activity of a unit in the token's scope. Needs a read+write token.
#[utoipa::path(post, path = "/api/v1/units/{id}/activities", request_body = NewActivity,
    params(("id" = i64, Path, description = "The organising unit")),
    responses((status = 201, body = super::Created), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn create_activity(
    State(state): State<AppState>,
    a: Auth,
    Path(id): Path<i64>,
    body: Result<Json<NewActivity>, axum::extract::rejection::JsonRejection>,
) -> ApiResult<Response> {
    let cap = a
        .actor
        .authorize::<perm::ActivityManage>()
        .map_err(|_| denied(&a))?;
    let Ok(Json(b)) = body else {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "the body must be a JSON object (see NewActivity)",
            &a,
        ));
    };
    let has = |t: &str| {
        if b.tags.iter().any(|x| x == t) {
            "1".to_string()
        } else {
            String::new()
        }
    };
    let input = domain::activity::ActivityInput {
        unit: id.to_string(),
        title: b.title.clone(),
        place: b.place.clone(),
        date: b.date.clone(),
        time: b.time.clone(),
        closes: b.closes.clone(),
        capacity: b.capacity.clone(),
        audience: b.audience.clone(),
        tag_sports: has("sports"),
        tag_culture: has("culture"),
        tag_women: has("women"),
        tag_youth: has("youth"),
        tag_retirees: has("retirees"),
    };
    let draft = input.parse().map_err(|fe| invalid_fields(&fe, &a))?;
    let new = store::activity::create(&state.store, &cap, &a.who(), &draft)
        .await
        .map_err(|e| match e {
            // The unit is checked against the scope: outside it looks missing.
            store::StoreError::Invalid(fe) if fe.0.iter().any(|f| f.field == "unit") => {
                ApiError::new(StatusCode::NOT_FOUND, "not found", &a)
            }
            e => ApiError::from_store(e, &a),
        })?;
    Ok((StatusCode::CREATED, Json(super::Created { id: new.0 })).into_response())
}

// ------------------------------------------------------------------ contests, elections

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(default)]
#[into_params(parameter_in = Query)]
pub struct YearQuery {
    /// The calendar year (default: this year).
    pub year: Option<i32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ContestItem {
    pub id: i64,
    pub organizer_id: i64,
    pub organizer_name: String,
    pub name: String,
    pub kind: String,
    pub year: i32,
    pub entry_until: NaiveDate,
    pub status: String,
    /// Entries the token may see (its schools' and, for the organiser, all).
    pub entries: i64,
}

/// The contests of a year visible in the token's scope.
#[utoipa::path(get, path = "/api/v1/contests", params(YearQuery),
    responses((status = 200, body = [ContestItem]), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn contests(
    State(state): State<AppState>,
    a: Auth,
    Query(q): Query<YearQuery>,
) -> ApiResult<Json<Vec<ContestItem>>> {
    let cap = a
        .actor
        .authorize::<perm::ContestView>()
        .map_err(|_| denied(&a))?;
    let rows = store::contests::list(&state.store.db, &cap, year_or_now(q.year))
        .await
        .map_err(store_err(&a))?;
    Ok(Json(
        rows.into_iter()
            .map(|r| ContestItem {
                id: r.id.0,
                organizer_id: r.organizer.0,
                organizer_name: r.organizer_name,
                name: r.name,
                kind: r.kind.code().into(),
                year: r.year,
                entry_until: r.entry_until,
                status: r.status.code().into(),
                entries: r.entries,
            })
            .collect(),
    ))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(default)]
#[into_params(parameter_in = Query)]
pub struct UnitQuery {
    /// Only the school unions under this org unit.
    pub unit: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ElectionItem {
    pub id: i64,
    pub committee_id: i64,
    pub school_union_id: i64,
    pub school_name: String,
    /// The committee elected: `committee`, `audit`, `women`.
    pub committee_kind: String,
    /// `general` or `by_election`.
    pub kind: String,
    pub status: String,
    pub seats: i64,
    /// `members` or `delegates`.
    pub assembly: String,
    pub term_years: Option<i64>,
    pub voters_due: Option<i64>,
    pub present: Option<i64>,
    pub held_on: Option<NaiveDate>,
    /// The day of the last step.
    pub step_on: NaiveDate,
}

/// Union elections in the token's scope: those in progress first, then by the last step
/// (at most 200, as the elections page).
#[utoipa::path(get, path = "/api/v1/elections", params(UnitQuery),
    responses((status = 200, body = [ElectionItem]), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn elections(
    State(state): State<AppState>,
    a: Auth,
    Query(q): Query<UnitQuery>,
) -> ApiResult<Json<Vec<ElectionItem>>> {
    let cap = a
        .actor
        .authorize::<perm::ElectionView>()
        .map_err(|_| denied(&a))?;
    let rows = store::elections::committees::elections(&state.store, &cap, q.unit.map(OrgUnitId))
        .await
        .map_err(store_err(&a))?;
    Ok(Json(
        rows.into_iter()
            .map(|r| ElectionItem {
                id: r.id.0,
                committee_id: r.committee_id.0,
                school_union_id: r.school_union_id.0,
                school_name: r.school_name,
                committee_kind: r.committee_kind.code().into(),
                kind: r.kind.code().into(),
                status: r.status.code().into(),
                seats: r.seats,
                assembly: r.assembly.code().into(),
                term_years: r.term_years,
                voters_due: r.voters_due,
                present: r.present,
                held_on: r.held_on,
                step_on: r.step_on,
            })
            .collect(),
    ))
}

// ------------------------------------------------------------------ funds

#[derive(Debug, Serialize, ToSchema)]
pub struct LedgerLine {
    pub id: i64,
    pub on: NaiveDate,
    /// `income` or `expense`.
    pub kind: String,
    pub category: Option<String>,
    pub source: Option<String>,
    /// In fen (分).
    pub amount_fen: i64,
    pub status: String,
    pub note: String,
    pub rule_set_version: i64,
    /// The balance after this line, in fen (approved lines only move it).
    pub balance_fen: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Ledger {
    pub school_union_id: i64,
    pub school_name: String,
    pub year: i32,
    pub lines: Vec<LedgerLine>,
}

/// A school union's funds ledger of a year, oldest first, with running balances.
#[utoipa::path(get, path = "/api/v1/funds/{id}/ledger", params(("id" = i64, Path, description = "The school union"), YearQuery),
    responses((status = 200, body = Ledger), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn funds_ledger(
    State(state): State<AppState>,
    a: Auth,
    Path(id): Path<i64>,
    Query(q): Query<YearQuery>,
) -> ApiResult<Json<Ledger>> {
    use store::funds::ledger;
    let cap = a
        .actor
        .authorize::<perm::FundsView>()
        .map_err(|_| denied(&a))?;
    let db = &state.store.db;
    let school = OrgUnitId(id);
    let year = year_or_now(q.year);
    let name = ledger::school_name(db, &cap, school)
        .await
        .map_err(store_err(&a))?;
    let lines = ledger::ledger(db, &cap, school, year)
        .await
        .map_err(store_err(&a))?;
    Ok(Json(Ledger {
        school_union_id: id,
        school_name: name,
        year,
        lines: lines
            .into_iter()
            .map(|l| LedgerLine {
                id: l.id.0,
                on: l.on,
                kind: l.kind.code().into(),
                category: l.category.map(|c| c.code().into()),
                source: l.source.map(|s| s.code().into()),
                amount_fen: l.amount_fen,
                status: l.status.code().into(),
                note: l.note,
                rule_set_version: l.rule_set_version,
                balance_fen: l.balance_fen,
            })
            .collect(),
    }))
}

// ------------------------------------------------------------------ news, surveys

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(default)]
#[into_params(parameter_in = Query)]
pub struct NewsQuery {
    /// The calendar year of submission (default: this year).
    pub year: Option<i32>,
    /// Only the schools under this org unit.
    pub unit: Option<i64>,
    /// `submitted`, `school_approved`, `published`, `rejected`.
    pub status: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NewsItem {
    pub id: i64,
    pub title: String,
    pub school_union_id: i64,
    pub school_name: String,
    pub author: String,
    pub status: String,
    pub submitted_on: NaiveDate,
    pub published_at: Option<DateTime<Utc>>,
    /// Placements (where the item was printed or posted): level and points.
    pub placements: Vec<(String, i64)>,
    pub photos: i64,
}

/// The news items of the schools in the token's scope, newest first (at most 200, as the
/// correspondents' desk).
#[utoipa::path(get, path = "/api/v1/news", params(NewsQuery),
    responses((status = 200, body = [NewsItem]), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn news(
    State(state): State<AppState>,
    a: Auth,
    Query(q): Query<NewsQuery>,
) -> ApiResult<Json<Vec<NewsItem>>> {
    let cap = a
        .actor
        .authorize::<perm::NewsReview>()
        .map_err(|_| denied(&a))?;
    let filter = store::correspondent::NewsFilter {
        unit: q.unit.map(OrgUnitId),
        year: Some(year_or_now(q.year)),
        status: q
            .status
            .as_deref()
            .and_then(domain::correspondent::NewsStatus::from_code),
        placed: false,
    };
    let rows = store::correspondent::list(&state.store.db, &cap, &filter)
        .await
        .map_err(store_err(&a))?;
    Ok(Json(
        rows.into_iter()
            .map(|r| NewsItem {
                id: r.id.0,
                title: r.title,
                school_union_id: r.school_id.0,
                school_name: r.school,
                author: r.author,
                status: r.status.code().into(),
                submitted_on: r.submitted_on,
                published_at: r.published_at,
                placements: r
                    .placements
                    .iter()
                    .map(|(l, p)| (l.code().to_string(), *p))
                    .collect(),
                photos: r.photos,
            })
            .collect(),
    ))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(default)]
#[into_params(parameter_in = Query)]
pub struct SurveysQuery {
    /// The calendar year the survey closes in.
    pub year: Option<i32>,
    /// Only the surveys of the units under this org unit.
    pub unit: Option<i64>,
}

/// A survey without its answers: only how many people answered.
#[derive(Debug, Serialize, ToSchema)]
pub struct SurveyItem {
    pub id: i64,
    pub unit_id: i64,
    pub unit_name: String,
    pub title: String,
    pub anonymous: bool,
    pub status: String,
    pub closes_on: NaiveDate,
    pub opened_on: Option<NaiveDate>,
    pub closed_on: Option<NaiveDate>,
    pub questions: usize,
    /// Members who have answered.
    pub answers: i64,
}

/// The surveys in the token's scope, newest first (at most 200). Never an answer.
#[utoipa::path(get, path = "/api/v1/surveys", params(SurveysQuery),
    responses((status = 200, body = [SurveyItem]), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn surveys(
    State(state): State<AppState>,
    a: Auth,
    Query(q): Query<SurveysQuery>,
) -> ApiResult<Json<Vec<SurveyItem>>> {
    let cap = a
        .actor
        .authorize::<perm::SurveyView>()
        .map_err(|_| denied(&a))?;
    let rows = store::rights::list(&state.store.db, &cap, q.unit.map(OrgUnitId), q.year)
        .await
        .map_err(store_err(&a))?;
    Ok(Json(
        rows.into_iter()
            .map(|s| SurveyItem {
                id: s.id.0,
                unit_id: s.unit.0,
                unit_name: s.unit_name,
                title: s.title,
                anonymous: s.anonymous,
                status: s.status.code().into(),
                closes_on: s.closes_on,
                opened_on: s.opened_on,
                closed_on: s.closed_on,
                questions: s.questions.len(),
                answers: s.answers,
            })
            .collect(),
    ))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(default)]
#[into_params(parameter_in = Query)]
pub struct SuggestionsQuery {
    /// Only the suggestions still open (not answered).
    pub open: Option<bool>,
}

/// A suggestion (建议) as the school's list shows it, without its author.
#[derive(Debug, Serialize, ToSchema)]
pub struct SuggestionItem {
    pub id: i64,
    pub school_union_id: i64,
    pub school_name: String,
    pub title: String,
    pub status: String,
    /// The proposal it was turned from, when a proposal was not accepted as one.
    pub from_proposal: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub replied_at: Option<DateTime<Utc>>,
}

/// The suggestions of the schools in the token's scope, newest first (at most 200).
#[utoipa::path(get, path = "/api/v1/suggestions", params(SuggestionsQuery),
    responses((status = 200, body = [SuggestionItem]), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn suggestions(
    State(state): State<AppState>,
    a: Auth,
    Query(q): Query<SuggestionsQuery>,
) -> ApiResult<Json<Vec<SuggestionItem>>> {
    use store::proposals::suggestions::{self as ss, SuggestionLens};
    let cap = a
        .actor
        .authorize::<perm::CongressView>()
        .map_err(|_| denied(&a))?;
    let rows = ss::list(
        &state.store.db,
        SuggestionLens::view(&cap),
        q.open.unwrap_or(false),
    )
    .await
    .map_err(store_err(&a))?;
    Ok(Json(
        rows.into_iter()
            .map(|g| SuggestionItem {
                id: g.id.0,
                school_union_id: g.school_union_id.0,
                school_name: g.school_name,
                title: g.title,
                status: g.status.code().into(),
                from_proposal: g.from_proposal.map(|p| p.0),
                created_at: g.created_at,
                replied_at: g.replied_at,
            })
            .collect(),
    ))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(default)]
#[into_params(parameter_in = Query)]
pub struct PetitionsQuery {
    /// The calendar year received in.
    pub year: Option<i32>,
    /// `received`, `assigned`, `replied` or `closed`.
    pub status: Option<String>,
}

/// A letter or visit (信访事项) without the petitioner: what it is about in category only,
/// its deadlines and its outcome.
#[derive(Debug, Serialize, ToSchema)]
pub struct PetitionItem {
    pub id: i64,
    pub unit_id: i64,
    pub unit_name: String,
    pub channel: String,
    pub category: String,
    /// A collective petition (flagged for the district).
    pub collective: bool,
    pub received_on: NaiveDate,
    pub accept_by: NaiveDate,
    pub conclude_by: NaiveDate,
    pub status: String,
    /// Not answered by its conclusion date.
    pub overdue: bool,
    pub replied_on: Option<NaiveDate>,
    pub satisfaction: Option<String>,
    pub closed_on: Option<NaiveDate>,
}

/// The letters and visits in the token's scope, newest first (at most 200). Never the
/// petitioner, the matter or the reply.
#[utoipa::path(get, path = "/api/v1/petitions", params(PetitionsQuery),
    responses((status = 200, body = [PetitionItem]), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn petitions(
    State(state): State<AppState>,
    a: Auth,
    Query(q): Query<PetitionsQuery>,
) -> ApiResult<Json<Vec<PetitionItem>>> {
    let cap = a
        .actor
        .authorize::<perm::PetitionView>()
        .map_err(|_| denied(&a))?;
    let status = q
        .status
        .as_deref()
        .and_then(domain::rights::PetitionStatus::from_code);
    let rows = store::rights::petitions::list(&state.store.db, &cap, status, q.year)
        .await
        .map_err(store_err(&a))?;
    let today = Utc::now().date_naive();
    Ok(Json(
        rows.into_iter()
            .map(|p| PetitionItem {
                id: p.id.0,
                unit_id: p.unit.0,
                overdue: p.overdue(today),
                unit_name: p.unit_name,
                channel: p.channel.code().into(),
                category: p.category.code().into(),
                collective: p.collective,
                received_on: p.received_on,
                accept_by: p.accept_by,
                conclude_by: p.conclude_by,
                status: p.status.code().into(),
                replied_on: p.replied_on,
                satisfaction: p.satisfaction.map(|s| s.code().to_string()),
                closed_on: p.closed_on,
            })
            .collect(),
    ))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(default)]
#[into_params(parameter_in = Query)]
pub struct PlanQuery {
    /// The plan's year (this year when left out).
    pub year: Option<i32>,
}

/// A task of a unit's work plan (工作要点), with the year figure it is measured by.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlanTaskItem {
    pub id: i64,
    pub year: i32,
    pub text: String,
    pub owner: String,
    pub deadline: NaiveDate,
    /// The key of the year figure the task is measured by, with its target.
    pub figure: Option<String>,
    pub target: Option<i64>,
    pub status: String,
}

/// The tasks of a unit's plan for a year, by deadline (at most 500). A unit outside the
/// token's scope is missing (404).
#[utoipa::path(get, path = "/api/v1/plans/{id}/tasks", params(("id" = i64, Path, description = "The org unit whose plan"), PlanQuery),
    responses((status = 200, body = [PlanTaskItem]), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn plan_tasks(
    State(state): State<AppState>,
    a: Auth,
    Path(id): Path<i64>,
    Query(q): Query<PlanQuery>,
) -> ApiResult<Json<Vec<PlanTaskItem>>> {
    let cap = a
        .actor
        .authorize::<perm::WorkPlanView>()
        .map_err(|_| denied(&a))?;
    let db = &state.store.db;
    store::org::get_unit(db, &cap, OrgUnitId(id))
        .await
        .map_err(store_err(&a))?;
    let rows = store::work_plan::tasks(db, &cap, OrgUnitId(id), year_or_now(q.year))
        .await
        .map_err(store_err(&a))?;
    Ok(Json(
        rows.into_iter()
            .map(|t| PlanTaskItem {
                id: t.id.0,
                year: t.year,
                text: t.text,
                owner: t.owner,
                deadline: t.deadline,
                figure: t.figure,
                target: t.target,
                status: t.status.code().into(),
            })
            .collect(),
    ))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(default)]
#[into_params(parameter_in = Query)]
pub struct AssessmentQuery {
    /// The school year assessed (last year when left out, at most ten years back).
    pub year: Option<i32>,
}

/// One school's annual assessment (年度考核) as `/assessment` lists it.
#[derive(Debug, Serialize, ToSchema)]
pub struct AssessmentItem {
    pub school_union_id: i64,
    pub school_name: String,
    pub area_name: Option<String>,
    /// The scheme version that scored it.
    pub scheme: i64,
    /// The points of the lines, kept when vetoed.
    pub earned: i64,
    /// The total that ranks: 0 when vetoed.
    pub total: i64,
    /// Vetoed: no quorate congress in the year and no exemption.
    pub vetoed: bool,
    /// A recorded exemption lifted the veto.
    pub exempted: bool,
    /// On the weak-union list.
    pub weak: bool,
    pub rank: usize,
    pub area_rank: usize,
    /// The computed indicators that gave no points.
    pub missing: Vec<String>,
}

/// The annual assessment of every school in the token's scope, best first, vetoed last.
#[utoipa::path(get, path = "/api/v1/assessment", params(AssessmentQuery),
    responses((status = 200, body = [AssessmentItem]), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn assessment(
    State(state): State<AppState>,
    a: Auth,
    Query(q): Query<AssessmentQuery>,
) -> ApiResult<Json<Vec<AssessmentItem>>> {
    use chrono::Datelike;
    let cap = a
        .actor
        .authorize::<perm::AssessmentView>()
        .map_err(|_| denied(&a))?;
    let this = Utc::now().year();
    let year = q
        .year
        .filter(|y| (this - 10..=this).contains(y))
        .unwrap_or(this - 1);
    let an = store::assessment::annual::compute(&state.store, &cap, year)
        .await
        .map_err(store_err(&a))?;
    let scheme = an.scheme;
    Ok(Json(
        an.schools
            .iter()
            .map(|s| AssessmentItem {
                school_union_id: s.school.0,
                school_name: s.name.clone(),
                area_name: s.area_name.clone(),
                scheme: s.score.scheme,
                earned: s.score.earned,
                total: s.score.total(),
                vetoed: s.score.veto.is_some(),
                exempted: s.score.exempted,
                weak: s.score.weak(scheme),
                rank: s.rank,
                area_rank: s.area_rank,
                missing: s.score.missing().iter().map(|m| m.to_string()).collect(),
            })
            .collect(),
    ))
}
