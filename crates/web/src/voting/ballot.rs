//! Voting on a phone: the ballot, a confirmation step, and the receipt. A delegate votes
//! logged in (`/polls/{id}/vote`) or with the code of their delegate card and no login
//! (`/vote`: the code travels in the form's body, never in a URL).
//!
//! The receipt says that the ballot was stored and when, never what it was. A second
//! submission is answered with the same kind of page: the first ballot stands.

use super::read_poll;
use crate::chrome::Chrome;
use crate::ctx::{Auth, Ctx};
use crate::error::{AppError, AppResult};
use crate::i18n::Tr;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use domain::auth::perm;
use domain::congress::authorize_self;
use domain::org::Coded;
use domain::voting::*;
use serde::Deserialize;
use store::StoreError;
use store::voting::ballot_box::{Cast, Prepared, Voter, prepare};
use store::voting::{self as sv, PollOption};

/// A ballot in words, for the confirmation step and named records.
pub fn describe(tr: &Tr, b: &Ballot, options: &[PollOption]) -> String {
    let label = |o: &OptionId| {
        options
            .iter()
            .find(|x| x.id == *o)
            .map(|x| x.label.clone())
            .unwrap_or_default()
    };
    match b {
        Ballot::Motion { c } => tr.label(*c),
        Ballot::Election { m, w } => {
            let mut parts: Vec<String> = m
                .iter()
                .map(|(o, k)| format!("{}：{}", label(o), tr.label(*k)))
                .collect();
            if !w.is_empty() {
                parts.push(tr.t1("ballot-write-ins", "count", w.len()));
            }
            if parts.is_empty() {
                tr.t("ballot-all-abstain")
            } else {
                parts.join("；")
            }
        }
        Ballot::Review { g } => {
            let parts: Vec<String> = g
                .iter()
                .map(|(o, k)| format!("{}：{}", label(o), tr.label(*k)))
                .collect();
            if parts.is_empty() {
                tr.t("ballot-all-abstain")
            } else {
                parts.join("；")
            }
        }
    }
}

/// The ballot line by line for the confirmation step, so a voter checks what they did not
/// mark as well as what they did: per mark or grade the candidates it went to, the names
/// written in (as typed), and the candidates left unmarked (issue 25, item 12).
pub fn confirm_lines(
    tr: &Tr,
    b: &Ballot,
    options: &[PollOption],
    written: &[String],
) -> Vec<(String, String)> {
    let sep = tr.t("list-separator");
    let label = |o: &OptionId| {
        options
            .iter()
            .find(|x| x.id == *o)
            .map(PollOption::with_post)
            .unwrap_or_default()
    };
    let unmarked = |marked: &[OptionId]| -> Vec<String> {
        options
            .iter()
            .filter(|o| !marked.contains(&o.id))
            .map(PollOption::with_post)
            .collect()
    };
    let mut out = Vec::new();
    match b {
        Ballot::Motion { .. } => {}
        Ballot::Election { m, .. } => {
            for k in Mark::all() {
                let names: Vec<String> = m
                    .iter()
                    .filter(|(_, x)| x == k)
                    .map(|(o, _)| label(o))
                    .collect();
                if !names.is_empty() {
                    out.push((tr.label(*k), names.join(&sep)));
                }
            }
            if !written.is_empty() {
                out.push((tr.t("confirm-written-in"), written.join(&sep)));
            }
            let marked: Vec<OptionId> = m.iter().map(|(o, _)| *o).collect();
            let rest = unmarked(&marked);
            if !rest.is_empty() {
                out.push((tr.t("confirm-unmarked"), rest.join(&sep)));
            }
        }
        Ballot::Review { g } => {
            for k in Grade::all() {
                let names: Vec<String> = g
                    .iter()
                    .filter(|(_, x)| x == k)
                    .map(|(o, _)| label(o))
                    .collect();
                if !names.is_empty() {
                    out.push((tr.label(*k), names.join(&sep)));
                }
            }
            let marked: Vec<OptionId> = g.iter().map(|(o, _)| *o).collect();
            let rest = unmarked(&marked);
            if !rest.is_empty() {
                out.push((tr.t("confirm-unmarked"), rest.join(&sep)));
            }
        }
    }
    out
}

/// One row of the ballot: an option and its choices.
pub struct Row {
    pub name: String,
    pub label: String,
    pub choices: Vec<(String, String, bool)>,
}

#[derive(Template)]
#[template(path = "voting/ballot.html")]
struct BallotPage {
    p: Chrome,
    action: String,
    code: String,
    poll: i64,
    title: String,
    secret: bool,
    seats: u32,
    motion: Vec<(String, String, bool)>,
    rows: Vec<Row>,
    write_ins: Vec<(String, String)>,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "voting/confirm.html")]
struct ConfirmPage {
    p: Chrome,
    action: String,
    title: String,
    summary: String,
    /// Each mark with its candidates, the names written in, the candidates left unmarked.
    lines: Vec<(String, String)>,
    hidden: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "voting/receipt.html")]
struct ReceiptPage {
    p: Chrome,
    title: String,
    already: bool,
    at: String,
    secret: bool,
    back: String,
    back_label: String,
    /// The card code, to list the meeting's polls again (code voting only).
    code: String,
}

#[derive(Template)]
#[template(path = "voting/code.html")]
struct CodePage {
    p: Chrome,
    code: String,
    error: Option<String>,
    polls: Vec<(i64, String, String)>,
    listed: bool,
}

/// What the form carried.
struct Fields(Vec<(String, String)>);

impl Fields {
    fn get(&self, k: &str) -> String {
        self.0
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }

    /// Fields of the ballot itself (to carry through the confirmation step).
    fn ballot_fields(&self) -> Vec<(String, String)> {
        self.0
            .iter()
            .filter(|(n, _)| n == "choice" || n.starts_with('m') || n.starts_with('w'))
            .cloned()
            .collect()
    }
}

/// The names written in, as the voter typed them (trimmed), in the order of the fields.
fn written_names(p: &Prepared, f: &Fields) -> Vec<String> {
    (0..p.poll.seats.max(1))
        .map(|i| f.get(&format!("w{i}")).trim().to_string())
        .filter(|n| !n.is_empty())
        .collect()
}

/// Reads the ballot from the form; write-ins are resolved to members of the school.
async fn ballot_input(
    state: &AppState,
    p: &Prepared,
    f: &Fields,
) -> Result<BallotInput, StoreError> {
    let choice = f.get("choice");
    let mut input = BallotInput {
        choice: (!choice.is_empty()).then_some(choice),
        ..BallotInput::default()
    };
    for o in &p.options {
        let v = f.get(&format!("m{}", o.id.0));
        if !v.is_empty() {
            input.marks.push((o.id, v));
        }
    }
    for i in 0..p.poll.seats.max(1) {
        let name = f.get(&format!("w{i}"));
        if name.trim().is_empty() {
            continue;
        }
        match sv::resolve_write_in(&state.store.db, p.reader(), p.poll.school_union_id, &name)
            .await?
        {
            Some(m) => input.write_ins.push(m),
            None => {
                return Err(StoreError::Invalid(domain::FieldErrors(vec![
                    domain::FieldError::new("write_in", domain::text::VOTE_WRITE_IN_UNKNOWN)
                        .arg("name", name.trim()),
                ])));
            }
        }
    }
    Ok(input)
}

fn ballot_page(
    ctx: &Ctx,
    action: &str,
    code: &str,
    p: &Prepared,
    f: &Fields,
    error: Option<String>,
) -> AppResult {
    let tr = ctx.tr;
    let chosen = |name: &str, v: &str| f.get(name) == v;
    let motion = if p.poll.kind == PollKind::Motion {
        MotionChoice::all()
            .iter()
            .map(|c| {
                (
                    c.code().to_string(),
                    tr.label(*c),
                    chosen("choice", c.code()),
                )
            })
            .collect()
    } else {
        Vec::new()
    };
    let rows = p
        .options
        .iter()
        .map(|o| {
            let name = format!("m{}", o.id.0);
            let choices: Vec<(String, String, bool)> = if p.poll.kind == PollKind::Election {
                Mark::all()
                    .iter()
                    .map(|k| (k.code().to_string(), tr.label(*k), chosen(&name, k.code())))
                    .collect()
            } else {
                Grade::all()
                    .iter()
                    .map(|g| (g.code().to_string(), tr.label(*g), chosen(&name, g.code())))
                    .collect()
            };
            Row {
                label: o.with_post(),
                name,
                choices,
            }
        })
        .collect();
    let write_ins = if p.poll.kind == PollKind::Election {
        (0..p.poll.seats.clamp(1, 3))
            .map(|i| (format!("w{i}"), f.get(&format!("w{i}"))))
            .collect()
    } else {
        Vec::new()
    };
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let mut r = ctx.render(&BallotPage {
        p: Chrome::new(ctx, "ballot-title").title_text(p.poll.title.clone()),
        action: action.to_string(),
        code: code.to_string(),
        poll: p.poll.id.0,
        title: p.poll.title.clone(),
        secret: p.poll.mode == PollMode::Secret,
        seats: p.poll.seats,
        motion,
        rows,
        write_ins,
        error,
    })?;
    *r.status_mut() = status;
    Ok(r)
}

fn refused_page(ctx: &Ctx, e: StoreError, back: &str) -> AppResult {
    match e {
        StoreError::Invalid(f) => {
            #[derive(Template)]
            #[template(path = "congress/refused.html")]
            struct Refused {
                p: Chrome,
                message: String,
                back: String,
            }
            let message = f.0.first().map(|x| ctx.tr.fe(x)).unwrap_or_default();
            let mut r = ctx.render(&Refused {
                p: Chrome::new(ctx, "ballot-refused-title"),
                message,
                back: back.to_string(),
            })?;
            *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(r)
        }
        StoreError::NotFound => Err(AppError::NotFound),
        other => Err(other.into()),
    }
}

/// The steps after the voter is known: show the ballot, confirm, cast.
async fn step(
    state: &AppState,
    ctx: &Ctx,
    action: &str,
    code: &str,
    p: Prepared,
    f: Fields,
    back: &str,
) -> AppResult {
    let tr = ctx.tr;
    let receipt = |already: bool| {
        ctx.render(&ReceiptPage {
            p: Chrome::new(ctx, "receipt-title"),
            title: p.poll.title.clone(),
            already,
            at: tr.datetime(&store::now()),
            secret: p.poll.mode == PollMode::Secret,
            back: back.to_string(),
            back_label: tr.t("receipt-back"),
            code: code.to_string(),
        })
    };
    if p.voted {
        return receipt(true);
    }
    let s = f.get("step");
    if s.is_empty() || s == "change" {
        return ballot_page(ctx, action, code, &p, &f, None);
    }
    let input = match ballot_input(state, &p, &f).await {
        Ok(i) => i,
        Err(StoreError::Invalid(e)) => {
            let msg = e.0.first().map(|x| tr.fe(x));
            return ballot_page(ctx, action, code, &p, &f, msg);
        }
        Err(e) => return Err(e.into()),
    };
    let ballot = match p.check(&input) {
        Ok(b) => b,
        Err(StoreError::Invalid(e)) => {
            let msg = e.0.first().map(|x| tr.fe(x));
            return ballot_page(ctx, action, code, &p, &f, msg);
        }
        Err(e) => return Err(e.into()),
    };
    if s == "review" {
        let mut hidden = f.ballot_fields();
        if !code.is_empty() {
            hidden.push(("code".into(), code.to_string()));
            hidden.push(("poll".into(), p.poll.id.0.to_string()));
        }
        return ctx.render(&ConfirmPage {
            p: Chrome::new(ctx, "confirm-title"),
            action: action.to_string(),
            title: p.poll.title.clone(),
            summary: describe(&tr, &ballot, &p.options),
            lines: confirm_lines(&tr, &ballot, &p.options, &written_names(&p, &f)),
            hidden,
        });
    }
    match state.ballot_box().cast(&p, &ballot).await {
        Ok(Cast::Stored) => receipt(false),
        Ok(Cast::Already) => receipt(true),
        Err(e) => refused_page(ctx, e, back),
    }
}

pub async fn page(State(state): State<AppState>, a: Auth, Path(id): Path<i64>) -> AppResult {
    submit(State(state), a, Path(id), Form(Vec::new())).await
}

pub async fn submit(
    State(state): State<AppState>,
    a: Auth,
    Path(id): Path<i64>,
    Form(fields): Form<Vec<(String, String)>>,
) -> AppResult {
    let (_, poll) = read_poll(&state, &a, id).await?;
    let back = format!("/polls/{id}");
    let acting = match authorize_self::<perm::CongressAttend>(&a.actor) {
        Ok(x) => x,
        Err(_) => {
            return refused_page(
                &a,
                StoreError::field("delegate", domain::text::NOT_A_DELEGATE),
                &back,
            );
        }
    };
    let p = match prepare(&state.store.db, Voter::Member(&acting), poll.id).await {
        Ok(p) => p,
        Err(e) => return refused_page(&a, e, &back),
    };
    let action = format!("/polls/{id}/vote");
    step(&state, &a, &action, "", p, Fields(fields), &back).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CodeQuery {
    code: String,
}

pub async fn code_page(ctx: Ctx, Query(q): Query<CodeQuery>) -> AppResult {
    let code = domain::congress::normalize_code(&q.code)
        .map(|c| domain::congress::format_code(&c))
        .unwrap_or_default();
    ctx.render(&CodePage {
        p: Chrome::new(&ctx, "vote-code-title"),
        code,
        error: None,
        polls: Vec::new(),
        listed: false,
    })
}

/// `/vote` with a card code: list the meeting's open polls, or go through one poll's steps.
pub async fn code_submit(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(fields): Form<Vec<(String, String)>>,
) -> AppResult {
    let f = Fields(fields);
    let code: String = f.get("code").trim().chars().take(24).collect();
    let tr = ctx.tr;
    let code_error = |e: StoreError| -> AppResult {
        match e {
            StoreError::Invalid(fe) => {
                let mut r = ctx.render(&CodePage {
                    p: Chrome::new(&ctx, "vote-code-title"),
                    code: code.clone(),
                    error: fe.0.first().map(|x| tr.fe(x)),
                    polls: Vec::new(),
                    listed: false,
                })?;
                *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
                Ok(r)
            }
            other => Err(other.into()),
        }
    };
    let poll = f.get("poll").trim().parse::<i64>().ok();
    let Some(poll) = poll else {
        let (_, polls) = match store::voting::ballot_box::code_polls(&state.store.db, &code).await {
            Ok(x) => x,
            Err(e) => return code_error(e),
        };
        let open: Vec<(i64, String, String)> = polls
            .iter()
            .filter(|p| p.status == PollStatus::Open && p.mode.electronic())
            .map(|p| (p.id.0, p.title.clone(), tr.label(p.kind)))
            .collect();
        return ctx.render(&CodePage {
            p: Chrome::new(&ctx, "vote-code-title"),
            code: code.clone(),
            error: None,
            polls: open,
            listed: true,
        });
    };
    let p = match state
        .ballot_box()
        .prepare(Voter::Code(&code), PollId(poll))
        .await
    {
        Ok(p) => p,
        Err(StoreError::NotFound) => {
            return code_error(StoreError::field("code", domain::text::CODE_FOREIGN));
        }
        Err(e) => return code_error(e),
    };
    step(&state, &ctx, "/vote", &code, p, f, "/vote").await
}
