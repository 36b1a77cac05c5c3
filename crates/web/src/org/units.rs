//! The org tree: every unit in scope with its member count; create, edit, move.

use crate::chrome::{Chrome, Opt, coded_options};
use crate::ctx::{Auth, Flash};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use domain::FieldErrors;
use domain::auth::{Permission, perm};
use domain::ids::OrgUnitId;
use domain::org::*;
use serde::Deserialize;
use store::StoreError;
use store::org::{self, NewUnit, OrgUnit};

pub struct UnitRow {
    pub id: i64,
    pub depth: usize,
    pub name: String,
    pub code: String,
    pub kind: String,
    pub detail: String,
    pub members: i64,
    pub can_add_child: bool,
    /// A branch's role code ("department", …), for its class; empty above branches.
    pub role: &'static str,
    /// A branch an import created whose role waits for confirmation.
    pub guessed: bool,
    /// The role choices, for someone who may confirm it.
    pub confirm: Option<Vec<Opt>>,
}

#[derive(Template)]
#[template(path = "org/tree.html")]
struct TreePage {
    p: Chrome,
    rows: Vec<UnitRow>,
    can_manage: bool,
    /// Branches an import created whose role is not confirmed yet.
    unconfirmed: usize,
}

pub async fn tree(State(state): State<AppState>, a: Auth) -> AppResult {
    let cap = a.actor.authorize::<perm::OrgView>()?;
    let units = org::list_units(&state.store.db, &cap).await?;
    let ids: Vec<OrgUnitId> = units
        .iter()
        .filter(|u| u.kind != OrgKind::Branch)
        .map(|u| u.id)
        .collect();
    let counts: std::collections::HashMap<OrgUnitId, i64> =
        org::member_counts(&state.store.db, &cap, &ids)
            .await?
            .into_iter()
            .collect();
    // Depth within the visible forest.
    let mut depth: std::collections::HashMap<OrgUnitId, usize> = std::collections::HashMap::new();
    let can_manage = a.actor.may(Permission::OrgManage);
    let rows = units
        .iter()
        .map(|u| {
            let d = u
                .parent_id
                .and_then(|p| depth.get(&p).copied())
                .map(|d| d + 1)
                .unwrap_or(0);
            depth.insert(u.id, d);
            let detail = [
                u.school_level.map(|l| a.tr.label(l)),
                u.school_kind.map(|k| a.tr.label(k)),
                u.union_kind.map(|k| a.tr.label(k)),
            ]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" · ");
            UnitRow {
                id: u.id.0,
                depth: d.min(4),
                name: u.name.clone(),
                code: u.code.clone(),
                // A branch says what it is: 职能处室, 教研组 or 分工会 (issue 25).
                kind: match u.branch_role {
                    Some(r) => a.tr.label(r),
                    None => a.tr.label(u.kind),
                },
                detail,
                members: counts.get(&u.id).copied().unwrap_or(0),
                can_add_child: can_manage && u.kind.child_kind().is_some(),
                role: u.branch_role.map(|r| r.code()).unwrap_or(""),
                guessed: u.kind == OrgKind::Branch && !u.role_confirmed,
                confirm: (can_manage && u.kind == OrgKind::Branch && !u.role_confirmed).then(
                    || {
                        BranchRole::all()
                            .iter()
                            .map(|r| Opt::new(r.code(), a.tr.label(*r), u.branch_role == Some(*r)))
                            .collect()
                    },
                ),
            }
        })
        .collect::<Vec<_>>();
    let unconfirmed = rows.iter().filter(|r| r.guessed).count();
    a.render(&TreePage {
        p: Chrome::new(&a, "org-title"),
        rows,
        can_manage,
        unconfirmed,
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RoleForm {
    role: String,
}

/// Confirms (or corrects) what a branch is: a department that answers proposals, a teaching
/// group or a union branch.
pub async fn set_role(
    State(state): State<AppState>,
    a: Auth,
    Path(id): Path<i64>,
    Form(f): Form<RoleForm>,
) -> AppResult {
    let cap = a.actor.authorize::<perm::OrgManage>()?;
    let Some(role) = BranchRole::from_code(f.role.trim()) else {
        return Ok(a.redirect("/org", Flash::error("branch-role-unknown")));
    };
    org::set_branch_role(&state.store, &cap, &a.who(), OrgUnitId(id), role).await?;
    Ok(a.redirect(&format!("/org#unit-{id}"), Flash::ok("branch-role-saved")))
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct UnitForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    school_kind: String,
    #[serde(default)]
    school_level: String,
    #[serde(default)]
    staff_count: String,
}

#[derive(Template)]
#[template(path = "org/unit_form.html")]
struct UnitPage {
    p: Chrome,
    action: String,
    kind_label: String,
    is_school: bool,
    f: UnitForm,
    errors: FieldErrors,
    school_kinds: Vec<Opt>,
    school_levels: Vec<Opt>,
    /// For an existing school: the areas it may move to.
    move_targets: Vec<Opt>,
    id: Option<i64>,
}

#[allow(clippy::too_many_arguments)]
fn unit_page(
    a: &Auth,
    action: String,
    kind: OrgKind,
    f: UnitForm,
    errors: FieldErrors,
    move_targets: Vec<Opt>,
    id: Option<i64>,
    title: &str,
) -> AppResult {
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let p = Chrome::new(a, title).crumb(a.tr.t("nav-org"), Some("/org".into()));
    let page = UnitPage {
        p,
        action,
        kind_label: a.tr.label(kind),
        is_school: kind == OrgKind::SchoolUnion,
        school_kinds: coded_options::<SchoolKind>(&a.tr, &f.school_kind, Some("choose")),
        school_levels: coded_options::<SchoolLevel>(&a.tr, &f.school_level, Some("choose")),
        f,
        errors,
        move_targets,
        id,
    };
    let mut r = a.render(&page)?;
    *r.status_mut() = status;
    Ok(r)
}

fn parse_unit(kind: OrgKind, f: &UnitForm) -> Result<NewUnit, FieldErrors> {
    let mut errors = FieldErrors::default();
    let name = errors.take(required_text("name", &f.name, 60));
    let code = errors.take(parse_org_code("code", &f.code));
    let (school_kind, school_level) = if kind == OrgKind::SchoolUnion {
        (
            errors.take(parse_choice::<SchoolKind>("school_kind", &f.school_kind)),
            errors.take(parse_choice::<SchoolLevel>("school_level", &f.school_level)),
        )
    } else {
        (None, None)
    };
    let staff_count = if f.staff_count.trim().is_empty() {
        Some(0)
    } else {
        errors.take(
            f.staff_count
                .trim()
                .parse::<i64>()
                .ok()
                .filter(|n| (0..=100_000).contains(n))
                .ok_or_else(|| {
                    domain::FieldError::new("staff_count", domain::text::NUMBER_INVALID)
                }),
        )
    };
    match (name, code, staff_count) {
        (Some(name), Some(code), Some(staff_count)) if errors.is_empty() => Ok(NewUnit {
            kind,
            code,
            name,
            union_kind: None,
            school_kind,
            school_level,
            staff_count,
            sort_order: 0,
        }),
        _ => Err(errors),
    }
}

pub async fn new_page(
    State(state): State<AppState>,
    a: Auth,
    Path(parent): Path<i64>,
) -> AppResult {
    let cap = a.actor.authorize::<perm::OrgManage>()?;
    let p = org::get_unit(&state.store.db, &cap, OrgUnitId(parent)).await?;
    let kind = p.kind.child_kind().ok_or(AppError::BadRequest)?;
    unit_page(
        &a,
        format!("/org/{parent}/new"),
        kind,
        UnitForm::default(),
        FieldErrors::default(),
        Vec::new(),
        None,
        "unit-new-title",
    )
}

pub async fn create(
    State(state): State<AppState>,
    a: Auth,
    Path(parent): Path<i64>,
    Form(f): Form<UnitForm>,
) -> AppResult {
    let cap = a.actor.authorize::<perm::OrgManage>()?;
    let p = org::get_unit(&state.store.db, &cap, OrgUnitId(parent)).await?;
    let kind = p.kind.child_kind().ok_or(AppError::BadRequest)?;
    let mut errors = match parse_unit(kind, &f) {
        Ok(u) => match org::create_unit(&state.store, &cap, &a.who(), Some(p.id), &u).await {
            Ok(_) => return Ok(a.redirect("/org", Flash::ok("unit-created").arg("name", &u.name))),
            Err(StoreError::Invalid(e)) => e,
            Err(e) => return Err(e.into()),
        },
        Err(e) => e,
    };
    if errors
        .get("code")
        .is_some_and(|e| e.key == domain::text::CODE_INVALID)
        && !f.code.trim().is_empty()
    {
        errors = FieldErrors(
            errors
                .0
                .into_iter()
                .map(|mut e| {
                    if e.field == "code" {
                        e.key = "err-code-taken";
                    }
                    e
                })
                .collect(),
        );
    }
    unit_page(
        &a,
        format!("/org/{parent}/new"),
        kind,
        f,
        errors,
        Vec::new(),
        None,
        "unit-new-title",
    )
}

async fn move_targets(state: &AppState, a: &Auth, u: &OrgUnit) -> AppResult<Vec<Opt>> {
    if u.kind != OrgKind::SchoolUnion {
        return Ok(Vec::new());
    }
    let cap = a.actor.authorize::<perm::OrgManage>()?;
    Ok(org::list_units(&state.store.db, &cap)
        .await?
        .into_iter()
        .filter(|x| x.kind == OrgKind::Area)
        .map(|x| Opt::new(x.id, &x.name, Some(x.id) == u.parent_id))
        .collect())
}

pub async fn edit_page(State(state): State<AppState>, a: Auth, Path(id): Path<i64>) -> AppResult {
    let cap = a.actor.authorize::<perm::OrgManage>()?;
    let u = org::get_unit(&state.store.db, &cap, OrgUnitId(id)).await?;
    let f = UnitForm {
        name: u.name.clone(),
        code: u.code.clone(),
        school_kind: u
            .school_kind
            .map(|k| k.code().to_string())
            .unwrap_or_default(),
        school_level: u
            .school_level
            .map(|k| k.code().to_string())
            .unwrap_or_default(),
        staff_count: u.staff_count.to_string(),
    };
    let targets = move_targets(&state, &a, &u).await?;
    unit_page(
        &a,
        format!("/org/{id}/edit"),
        u.kind,
        f,
        FieldErrors::default(),
        targets,
        Some(id),
        "unit-edit-title",
    )
}

pub async fn update(
    State(state): State<AppState>,
    a: Auth,
    Path(id): Path<i64>,
    Form(f): Form<UnitForm>,
) -> AppResult {
    let cap = a.actor.authorize::<perm::OrgManage>()?;
    let u = org::get_unit(&state.store.db, &cap, OrgUnitId(id)).await?;
    let errors = match parse_unit(u.kind, &f) {
        Ok(mut new) => {
            new.union_kind = u.union_kind;
            new.sort_order = u.sort_order;
            match org::update_unit(&state.store, &cap, &a.who(), u.id, &new).await {
                Ok(()) => {
                    return Ok(a.redirect("/org", Flash::ok("unit-saved").arg("name", &new.name)));
                }
                Err(StoreError::Invalid(e)) => e,
                Err(e) => return Err(e.into()),
            }
        }
        Err(e) => e,
    };
    let targets = move_targets(&state, &a, &u).await?;
    unit_page(
        &a,
        format!("/org/{id}/edit"),
        u.kind,
        f,
        errors,
        targets,
        Some(id),
        "unit-edit-title",
    )
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct MoveForm {
    parent: String,
}

pub async fn move_unit(
    State(state): State<AppState>,
    a: Auth,
    Path(id): Path<i64>,
    Form(f): Form<MoveForm>,
) -> AppResult {
    let cap = a.actor.authorize::<perm::OrgManage>()?;
    let parent: OrgUnitId = f.parent.parse().map_err(|_| AppError::BadRequest)?;
    match org::move_unit(&state.store, &cap, &a.who(), OrgUnitId(id), parent).await {
        Ok(()) => Ok(a.redirect("/org", Flash::ok("unit-moved"))),
        Err(StoreError::Invalid(_)) => Ok(a.redirect(
            &format!("/org/{id}/edit"),
            Flash::error(domain::text::ORG_PARENT_KIND),
        )),
        Err(e) => Err(e.into()),
    }
}
