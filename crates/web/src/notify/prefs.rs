//! `/me/notifications`: each account's own reminder preferences — its e-mail address and
//! whether reminders go there, which kinds of reminder also go by e-mail (the inbox is
//! always on), quiet hours (no e-mail at night; held until they end) and a daily digest
//! instead of single e-mails.
//!
//! The account's own settings only: there is no way to read or change someone else's. A
//! bad address or time is named at its field and everything typed is kept.

use crate::chrome::Chrome;
use crate::ctx::{Auth, Flash};
use crate::error::AppResult;
use crate::state::AppState;
use crate::{Guard, RouteTable};
use askama::Template;
use axum::extract::{Form, State};
use domain::notify::{QuietHours, ReminderKind};
use domain::org::Coded;
use store::notify::Prefs;

pub fn routes(t: RouteTable) -> RouteTable {
    t.get("/me/notifications", Guard::own(), page).post(
        "/me/notifications",
        Guard::own().form(&[
            ("email", "chair@school.edu.cn"),
            ("email_on", "on"),
            ("quiet_start", "22:00"),
            ("quiet_end", "07:00"),
            ("email_proposal_reply", "on"),
        ]),
        save,
    )
}

/// One kind of reminder on the form: its code, its label, and whether it goes by e-mail.
pub struct KindRow {
    pub code: &'static str,
    pub label: String,
    pub email: bool,
}

#[derive(Template)]
#[template(path = "notify/prefs.html")]
struct PrefsPage {
    p: Chrome,
    email: String,
    email_on: bool,
    digest: bool,
    quiet_start: String,
    quiet_end: String,
    kinds: Vec<KindRow>,
    email_error: Option<String>,
    quiet_start_error: Option<String>,
    quiet_end_error: Option<String>,
}

fn kinds(a: &Auth, inbox_only: &[ReminderKind]) -> Vec<KindRow> {
    ReminderKind::all()
        .iter()
        .map(|k| KindRow {
            code: k.code(),
            label: a.tr.t(&k.label_key()),
            email: !inbox_only.contains(k),
        })
        .collect()
}

async fn page(State(state): State<AppState>, a: Auth) -> AppResult {
    let p = store::notify::prefs(&state.store.db, a.actor.account).await?;
    let hhmm = |t: chrono::NaiveTime| t.format("%H:%M").to_string();
    a.render(&PrefsPage {
        p: Chrome::new(&a, "prefs-title"),
        email: p.email.clone().unwrap_or_default(),
        email_on: p.email_on,
        digest: p.digest,
        quiet_start: p.quiet.map(|q| hhmm(q.start)).unwrap_or_default(),
        quiet_end: p.quiet.map(|q| hhmm(q.end)).unwrap_or_default(),
        kinds: kinds(&a, &p.inbox_only),
        email_error: None,
        quiet_start_error: None,
        quiet_end_error: None,
    })
}

async fn save(
    State(state): State<AppState>,
    a: Auth,
    Form(f): Form<Vec<(String, String)>>,
) -> AppResult {
    let get = |k: &str| {
        f.iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let on = |k: &str| f.iter().any(|(n, _)| n == k);
    let (email_in, quiet_start, quiet_end) = (get("email"), get("quiet_start"), get("quiet_end"));
    let (email_on, digest) = (on("email_on"), on("digest"));
    let inbox_only: Vec<ReminderKind> = ReminderKind::all()
        .iter()
        .copied()
        .filter(|k| !on(&format!("email_{}", k.code())))
        .collect();
    let email = if email_in.trim().is_empty() {
        if email_on || digest {
            Err(domain::notify::t::EMAIL_NEEDED)
        } else {
            Ok(None)
        }
    } else {
        domain::outbox::parse_email(&email_in).map(Some)
    };
    let quiet = QuietHours::parse(&quiet_start, &quiet_end);
    let email_error = email.as_ref().err().map(|k| a.tr.t(k));
    let (mut quiet_start_error, mut quiet_end_error) = (None, None);
    if let Err((field, key)) = &quiet {
        if *field == "quiet_start" {
            quiet_start_error = Some(a.tr.t(key));
        } else {
            quiet_end_error = Some(a.tr.t(key));
        }
    }
    let (Ok(email), Ok(quiet)) = (email, quiet) else {
        // Everything typed stays on the form, with the reason at the field.
        return a.render(&PrefsPage {
            p: Chrome::new(&a, "prefs-title"),
            email: email_in,
            email_on,
            digest,
            quiet_start,
            quiet_end,
            kinds: kinds(&a, &inbox_only),
            email_error,
            quiet_start_error,
            quiet_end_error,
        });
    };
    let prefs = Prefs {
        email,
        email_on,
        digest,
        quiet,
        inbox_only,
    };
    store::notify::save_prefs(&state.store, &a.who(), a.actor.account, &prefs).await?;
    Ok(a.redirect("/me/notifications", Flash::ok("prefs-saved")))
}
