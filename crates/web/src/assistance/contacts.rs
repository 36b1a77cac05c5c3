//! `/assistance/contacts`: the retirees' association contacts (退协联系人) of the reader's
//! units, whom the union calls for the 重阳节 birthdays and retirees' visits; adding and
//! removing one; the audited full view of a phone.
//!
//! Phones are listed masked; the full number appears only on the page a `reveal` POST
//! returns, after the store has audited it. Out of scope is 404; a refused form comes back
//! as 422 with what was typed.

use crate::chrome::Chrome;
use crate::congress::into_fields;
use crate::ctx::{Auth, Flash};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Form, Path, State};
use domain::FieldErrors;
use domain::assistance::RetireeContactId;
use domain::auth::{Permission, perm};
use domain::ids::OrgUnitId;
use serde::Deserialize;
use store::StoreError;
use store::assistance::contacts::{self, Contact};

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct ContactForm {
    unit: String,
    name: String,
    title: String,
    phone: String,
}

#[derive(Template)]
#[template(path = "assistance/contacts.html")]
struct ContactsPage {
    p: Chrome,
    contacts: Vec<Contact>,
    /// The contact whose phone was just revealed: (id, phone).
    shown: Option<(i64, String)>,
    can_edit: bool,
    f: ContactForm,
    errors: FieldErrors,
}

async fn render(
    state: &AppState,
    a: &Auth,
    mut f: ContactForm,
    errors: FieldErrors,
    shown: Option<(i64, String)>,
) -> AppResult {
    let cap = a.actor.authorize::<perm::AssistanceView>()?;
    let contacts = contacts::list(&state.store.db, &cap, None).await?;
    if f.unit.is_empty() {
        f.unit = a
            .actor
            .roots_for(Permission::AssistanceDraft)
            .first()
            .map(|u| u.0.to_string())
            .unwrap_or_default();
    }
    let tr = a.tr;
    let page = ContactsPage {
        p: Chrome::new(a, "assistance-contacts-title")
            .crumb(tr.t("nav-assistance"), Some("/assistance".into())),
        contacts,
        shown,
        can_edit: a.actor.may(Permission::AssistanceDraft),
        f,
        errors,
    };
    a.render_form(&page, &page.errors)
}

pub async fn page(State(state): State<AppState>, a: Auth) -> AppResult {
    render(
        &state,
        &a,
        ContactForm::default(),
        FieldErrors::default(),
        None,
    )
    .await
}

pub async fn add(State(state): State<AppState>, a: Auth, Form(f): Form<ContactForm>) -> AppResult {
    let cap = a.actor.authorize::<perm::AssistanceDraft>()?;
    let mut errors = FieldErrors::default();
    let unit = f.unit.trim().parse::<i64>().ok().map(OrgUnitId);
    match unit {
        None => errors.push(domain::FieldError::new("unit", domain::text::REQUIRED)),
        Some(unit) => {
            match contacts::add(
                &state.store,
                &cap,
                &a.who(),
                unit,
                &f.name,
                &f.title,
                &f.phone,
            )
            .await
            {
                Ok(_) => {
                    return Ok(a.redirect(
                        "/assistance/contacts",
                        Flash::ok("assistance-contact-added"),
                    ));
                }
                Err(e) => into_fields(e, &mut errors)?,
            }
        }
    }
    render(&state, &a, f, errors, None).await
}

pub async fn reveal(State(state): State<AppState>, a: Auth, Path(id): Path<i64>) -> AppResult {
    let cap = a.actor.authorize::<perm::AssistanceView>()?;
    let (_, phone) = contacts::reveal(&state.store, &cap, &a.who(), RetireeContactId(id)).await?;
    render(
        &state,
        &a,
        ContactForm::default(),
        FieldErrors::default(),
        Some((id, phone)),
    )
    .await
}

pub async fn remove(State(state): State<AppState>, a: Auth, Path(id): Path<i64>) -> AppResult {
    let cap = a.actor.authorize::<perm::AssistanceDraft>()?;
    match contacts::remove(&state.store, &cap, &a.who(), RetireeContactId(id)).await {
        Ok(()) => Ok(a.redirect(
            "/assistance/contacts",
            Flash::ok("assistance-contact-removed"),
        )),
        Err(StoreError::NotFound) => Err(AppError::NotFound),
        Err(e) => Err(e.into()),
    }
}
