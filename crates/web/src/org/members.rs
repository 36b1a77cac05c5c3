//! Member pages: the list (search, filters, sorting, keyset pages, fragment for partial
//! updates), the member page with full view of personal data, create/edit/transfer/status
//! forms, and the Excel exports.

use crate::chrome::{Chrome, Opt, coded_options};
use crate::ctx::{Auth, Flash};
use crate::error::{AppError, AppResult};
use crate::i18n::Tr;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use domain::FieldErrors;
use domain::auth::perm;
use domain::ids::{MemberId, OrgUnitId};
use domain::org::*;
use serde::{Deserialize, Serialize};
use store::StoreError;
use store::org::{self, Cursor, MemberFilter, PageRequest, SortKey, StatusFilter};

pub const PAGE_SIZE: i64 = 50;

/// The list's query string, as typed (kept for the form and the links).
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct ListQuery {
    pub q: String,
    pub unit: String,
    pub status: String,
    pub post: String,
    pub gender: String,
    pub age: String,
    pub sort: String,
    pub dir: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub after: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub before: String,
    /// "1": the print view, every row of the filter on one page (up to [`PRINT_ROWS`]).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub print: String,
    /// The number of the page the cursor points at, carried by the pager's links (the
    /// keyset cursor itself knows no page number).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub pg: String,
}

/// Rows of the print view: as many as an export holds; beyond, the page says to filter.
pub const PRINT_ROWS: i64 = 2000;

impl ListQuery {
    pub fn filter(&self) -> MemberFilter {
        MemberFilter {
            q: Some(self.q.trim().to_string()).filter(|q| !q.is_empty()),
            unit: self.unit.parse().ok(),
            status: match self.status.as_str() {
                "" | "current" => StatusFilter::Current,
                "all" => StatusFilter::All,
                s => MemberStatus::from_code(s)
                    .map(StatusFilter::Only)
                    .unwrap_or_default(),
            },
            post: Post::from_code(&self.post),
            gender: Gender::from_code(&self.gender),
            age_band: AgeBand::from_code(&self.age),
            sort: SortKey::from_code(&self.sort).unwrap_or_default(),
            desc: self.dir == "desc",
        }
    }

    fn page(&self) -> PageRequest {
        if self.printing() {
            // Printing "共 268 人" prints 268 rows, not the first page (issue 25).
            return PageRequest {
                after: None,
                before: None,
                limit: PRINT_ROWS,
            };
        }
        PageRequest {
            after: Cursor::decode(&self.after),
            before: Cursor::decode(&self.before),
            limit: PAGE_SIZE,
        }
    }

    pub fn printing(&self) -> bool {
        self.print == "1"
    }

    /// The page number (1 on the first page, whatever the link said).
    pub fn page_number(&self) -> i64 {
        if self.after.is_empty() && self.before.is_empty() {
            return 1;
        }
        self.pg
            .trim()
            .parse::<i64>()
            .ok()
            .filter(|n| *n >= 1)
            .unwrap_or(1)
    }

    /// The query string without the page cursors, plus `extra`.
    pub fn href(&self, base: &str, extra: &[(&str, &str)]) -> String {
        let mut q = self.clone();
        q.after.clear();
        q.before.clear();
        q.print.clear();
        q.pg.clear();
        let mut pairs: Vec<(String, String)> = serde_urlencoded::to_string(&q)
            .ok()
            .and_then(|s| serde_urlencoded::from_str::<Vec<(String, String)>>(&s).ok())
            .unwrap_or_default()
            .into_iter()
            .filter(|(_, v)| !v.is_empty())
            .collect();
        for (k, v) in extra {
            pairs.push((k.to_string(), v.to_string()));
        }
        if pairs.is_empty() {
            base.to_string()
        } else {
            format!(
                "{base}?{}",
                serde_urlencoded::to_string(&pairs).unwrap_or_default()
            )
        }
    }
}

pub struct RowView {
    pub id: i64,
    pub name: String,
    pub gender: String,
    pub age: u32,
    pub school: String,
    pub branch: String,
    pub post: String,
    pub status: String,
    pub status_code: &'static str,
    pub id_masked: String,
    pub phone_masked: String,
}

pub struct ListView {
    pub q: ListQuery,
    pub units: Vec<Opt>,
    pub statuses: Vec<Opt>,
    pub posts: Vec<Opt>,
    pub genders: Vec<Opt>,
    pub ages: Vec<Opt>,
    pub sorts: Vec<Opt>,
    pub dirs: Vec<Opt>,
    pub rows: Vec<RowView>,
    pub total: String,
    pub next_href: Option<String>,
    pub prev_href: Option<String>,
    /// The first page, offered from the third page on.
    pub first_href: Option<String>,
    /// "第 2 / 6 页".
    pub page_label: String,
    pub export_href: String,
    pub full_export_href: Option<String>,
    /// The print view of the same filter; `None` on the print view itself.
    pub print_href: Option<String>,
    /// On the print view with more rows than it holds: how many it shows (the page says
    /// to filter).
    pub print_cut: Option<i64>,
    pub can_create: bool,
    pub can_import: bool,
    pub filtered: bool,
    /// A filter besides the search box is set (the "more filters" panel starts open).
    pub more_filters: bool,
}

#[derive(Template)]
#[template(path = "org/members.html")]
struct MembersPage {
    p: Chrome,
    v: ListView,
}

#[derive(Template)]
#[template(path = "org/member_rows.html")]
struct MembersRows {
    p: Chrome,
    v: ListView,
}

fn opts_with<C: Coded>(tr: &Tr, cur: &str, all_key: &str) -> Vec<Opt> {
    coded_options::<C>(tr, cur, Some(all_key))
}

/// Exact ID-number and phone searches per account before they slow down.
const EXACT_SEARCH_POLICY: store::auth::ThrottlePolicy = store::auth::ThrottlePolicy {
    free_failures: 20,
    first_lock: chrono::Duration::seconds(30),
    max_lock: chrono::Duration::minutes(15),
    window: chrono::Duration::hours(1),
};

/// A search for a whole ID number or phone confirms one person's full number, so it needs
/// the full view (`PersonalDataView`), is throttled per account and is audited. Refused,
/// it answers with the list without the search and a message, and nothing is confirmed.
async fn exact_search_gate(
    state: &AppState,
    a: &Auth,
    q: &ListQuery,
    back: &str,
) -> AppResult<Option<Response>> {
    let Some(kind) = org::exact_search_kind(&q.q) else {
        return Ok(None);
    };
    let mut without = q.clone();
    without.q.clear();
    let refuse = |key: &str| Some(a.redirect(&without.href(back, &[]), Flash::error(key)));
    let Ok(cap) = a.actor.authorize::<perm::PersonalDataView>() else {
        return Ok(refuse("err-exact-search-full-view"));
    };
    let key = format!("search:{}", a.actor.account.0);
    let db = &state.store.db;
    if store::auth::locked_until(db, std::slice::from_ref(&key))
        .await?
        .is_some()
    {
        return Ok(refuse("err-exact-search-throttled"));
    }
    store::auth::record_failure(db, &key, EXACT_SEARCH_POLICY).await?;
    org::audit_exact_search(&state.store, &cap, &a.who(), kind).await?;
    Ok(None)
}

pub async fn list(State(state): State<AppState>, a: Auth, Query(q): Query<ListQuery>) -> AppResult {
    let cap = a.actor.authorize::<perm::MemberView>()?;
    if let Some(r) = exact_search_gate(&state, &a, &q, "/members").await? {
        return Ok(r);
    }
    let tr = a.tr;
    let today = crate::today();
    let f = q.filter();
    let page = org::list_members(&state.store, &cap, &f, &q.page(), today).await?;
    let chosen = q.unit.trim().parse().ok().map(domain::ids::OrgUnitId);
    let schools = org::filter_units(&state.store.db, &cap, chosen).await?;
    let mut units = vec![Opt::new("", tr.t("filter-all-schools"), q.unit.is_empty())];
    units.extend(
        schools
            .iter()
            .map(|s| Opt::new(s.id, &s.name, q.unit == s.id.to_string())),
    );
    let mut statuses = vec![
        Opt::new(
            "",
            tr.t("filter-status-current"),
            q.status.is_empty() || q.status == "current",
        ),
        Opt::new("all", tr.t("filter-status-all"), q.status == "all"),
    ];
    statuses.extend(
        MemberStatus::all()
            .iter()
            .map(|s| Opt::new(s.code(), tr.label(*s), q.status == s.code())),
    );
    let mut ages = vec![Opt::new("", tr.t("filter-all-ages"), q.age.is_empty())];
    ages.extend(
        AgeBand::ALL
            .iter()
            .map(|b| Opt::new(b.code(), tr.t(&b.label_key()), q.age == b.code())),
    );
    let sorts = [SortKey::Name, SortKey::BirthDate, SortKey::Recent]
        .iter()
        .map(|s| {
            Opt::new(
                s.code(),
                tr.t(&format!("sort-{}", s.code().replace('_', "-"))),
                f.sort == *s,
            )
        })
        .collect();
    let dirs = vec![
        Opt::new("", tr.t("sort-asc"), q.dir != "desc"),
        Opt::new("desc", tr.t("sort-desc"), q.dir == "desc"),
    ];
    let rows = page
        .rows
        .into_iter()
        .map(|r| RowView {
            id: r.id.0,
            name: r.name,
            gender: tr.label(r.gender),
            age: age_on(r.birth_date, today),
            school: r.school_name,
            branch: r.branch_name.unwrap_or_default(),
            post: tr.label(r.post),
            status: tr.label(r.status),
            status_code: r.status.code(),
            id_masked: r.id_number_masked,
            phone_masked: r.phone_masked.unwrap_or_default(),
        })
        .collect::<Vec<_>>();
    let total = match page.total {
        Some(n) => tr.t1("members-count", "count", n),
        None => tr.t1("members-count-over", "count", tr.number(page.count_cap)),
    };
    let pg = q.page_number();
    let pages = page.total.map(|n| ((n + PAGE_SIZE - 1) / PAGE_SIZE).max(1));
    let page_label = match pages {
        Some(n) => tr.ta(
            "pager-page-of",
            &[("page", pg.to_string()), ("pages", n.max(pg).to_string())],
        ),
        None => tr.t1("pager-page", "page", pg),
    };
    let next_href = page.next.map(|c| {
        q.href(
            "/members",
            &[("after", &c.encode()), ("pg", &(pg + 1).to_string())],
        )
    });
    let prev_href = page.prev.map(|c| {
        q.href(
            "/members",
            &[
                ("before", &c.encode()),
                ("pg", &(pg - 1).max(1).to_string()),
            ],
        )
    });
    let first_href = (pg > 2).then(|| q.href("/members", &[]));
    let filtered = !q.q.is_empty()
        || !q.unit.is_empty()
        || !q.post.is_empty()
        || !q.gender.is_empty()
        || !q.age.is_empty()
        || !q.status.is_empty();
    let more_filters = !q.unit.is_empty()
        || !q.post.is_empty()
        || !q.gender.is_empty()
        || !q.age.is_empty()
        || !q.status.is_empty()
        || !q.sort.is_empty()
        || !q.dir.is_empty();
    let printing = q.printing();
    let v = ListView {
        more_filters,
        print_href: (!printing).then(|| q.href("/members", &[("print", "1")])),
        print_cut: (printing && page.total.is_none_or(|n| n > PRINT_ROWS)).then_some(PRINT_ROWS),
        export_href: q.href("/members/export.xlsx", &[]),
        full_export_href: a
            .actor
            .may(domain::auth::Permission::PersonalDataExport)
            .then(|| q.href("/members/export/full", &[])),
        units,
        statuses,
        posts: opts_with::<Post>(&tr, &q.post, "filter-all-posts"),
        genders: opts_with::<Gender>(&tr, &q.gender, "filter-all-genders"),
        ages,
        sorts,
        dirs,
        rows,
        total,
        next_href,
        prev_href,
        first_href,
        page_label,
        can_create: a.actor.may(domain::auth::Permission::MemberEdit),
        can_import: a.actor.may(domain::auth::Permission::MemberImport),
        filtered,
        q,
    };
    let p = Chrome::new(&a, "members-title");
    if a.partial {
        a.render(&MembersRows { p, v })
    } else {
        a.render(&MembersPage { p, v })
    }
}

pub struct HistoryView {
    pub date: String,
    pub text: String,
}

#[derive(Template)]
#[template(path = "org/member.html")]
struct MemberPage {
    p: Chrome,
    m: org::Member,
    age: u32,
    full: Option<org::PersonalData>,
    history: Vec<HistoryView>,
    /// (id, position, unit, start, end)
    cadres: Vec<(i64, String, String, String, String)>,
    positions: Vec<Opt>,
    can_edit: bool,
    can_reveal: bool,
    statuses: Vec<Opt>,
    today: String,
    /// The member's honours (the register's rows naming this record).
    honours: Vec<crate::commendations::register::HonourView>,
}

fn history_views(tr: &Tr, h: Vec<org::HistoryEvent>) -> Vec<HistoryView> {
    h.into_iter()
        .map(|e| match e {
            org::HistoryEvent::Status {
                status,
                since,
                note,
            } => HistoryView {
                date: tr.date(&since),
                text: format!(
                    "{}{}",
                    tr.t1("history-status", "status", tr.label(status)),
                    note.map(|n| format!(" — {n}")).unwrap_or_default()
                ),
            },
            org::HistoryEvent::Transfer {
                from_school,
                to_school,
                date,
                note,
            } => HistoryView {
                date: tr.date(&date),
                text: format!(
                    "{}{}",
                    tr.ta(
                        "history-transfer",
                        &[("from", from_school), ("to", to_school)]
                    ),
                    note.map(|n| format!(" — {n}")).unwrap_or_default()
                ),
            },
        })
        .collect()
}

async fn member_page(
    state: &AppState,
    a: &Auth,
    id: MemberId,
    full: Option<org::PersonalData>,
) -> AppResult {
    let cap = a.actor.authorize::<perm::MemberView>()?;
    let m = org::get_member(&state.store, &cap, id).await?;
    let history = history_views(&a.tr, org::history(&state.store, &cap, id).await?);
    let cadres = org::cadre_positions(&state.store, &cap, id)
        .await?
        .into_iter()
        .map(|c| {
            (
                c.id,
                a.tr.label(c.position),
                c.org_unit_name,
                a.tr.date(&c.start_date),
                a.tr.opt_date(&c.end_date),
            )
        })
        .collect();
    let honours = store::commendations::register::of_member(&state.store.db, &cap, id)
        .await?
        .iter()
        .map(|r| crate::commendations::register::honour_view(&a.tr, r))
        .collect();
    let today = crate::today();
    let statuses = MemberStatus::all()
        .iter()
        .filter(|s| **s != m.status)
        .map(|s| Opt::new(s.code(), a.tr.label(*s), false))
        .collect();
    // The breadcrumb runs down the org path from the highest unit the reader holds a grant
    // at (district › area › school), then the member.
    let path = org::path(&state.store.db, &cap, m.school_union_id).await?;
    let from = path
        .iter()
        .position(|u| {
            a.actor.is_platform_admin() || a.actor.grants.iter().any(|g| g.org_unit == u.id)
        })
        .unwrap_or(path.len().saturating_sub(1));
    let p = Chrome::new(a, "member-title")
        .title_text(m.name.clone())
        .org_path(&path[from..])
        .crumb(m.name.clone(), None);
    a.render(&MemberPage {
        p,
        age: age_on(m.birth_date, today),
        can_edit: a.actor.may(domain::auth::Permission::MemberEdit),
        can_reveal: a.actor.may(domain::auth::Permission::PersonalDataView) && full.is_none(),
        m,
        full,
        history,
        cadres,
        positions: coded_options::<CadrePosition>(&a.tr, "", None),
        statuses,
        today: today.format("%Y-%m-%d").to_string(),
        honours,
    })
}

pub async fn show(State(state): State<AppState>, a: Auth, Path(id): Path<i64>) -> AppResult {
    member_page(&state, &a, MemberId(id), None).await
}

pub async fn reveal(State(state): State<AppState>, a: Auth, Path(id): Path<i64>) -> AppResult {
    let cap = a.actor.authorize::<perm::PersonalDataView>()?;
    let full = org::reveal_personal(&state.store, &cap, &a.who(), MemberId(id)).await?;
    member_page(&state, &a, MemberId(id), Some(full)).await
}

pub async fn me(State(state): State<AppState>, a: Auth) -> AppResult {
    let m = org::own_member(&state.store, &a.actor).await?;
    let today = crate::today();
    let honours = store::commendations::register::own(&state.store.db, &a.actor)
        .await?
        .iter()
        .map(|r| crate::commendations::register::honour_view(&a.tr, r))
        .collect();
    let p = Chrome::new(&a, "me-title");
    a.render(&MemberPage {
        honours,
        p,
        age: age_on(m.birth_date, today),
        m,
        full: None,
        history: Vec::new(),
        cadres: Vec::new(),
        positions: Vec::new(),
        can_edit: false,
        can_reveal: false,
        statuses: Vec::new(),
        today: today.format("%Y-%m-%d").to_string(),
    })
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct MemberForm {
    #[serde(flatten)]
    pub input: MemberInput,
    #[serde(default)]
    pub school: String,
    #[serde(default)]
    pub branch: String,
    #[serde(default)]
    pub version: String,
}

#[derive(Template)]
#[template(path = "org/member_form.html")]
struct MemberFormPage {
    p: Chrome,
    action: String,
    is_new: bool,
    /// `None` when the numbers are editable; else their masked forms.
    masked: Option<(String, String)>,
    f: MemberForm,
    errors: FieldErrors,
    schools: Vec<Opt>,
    branches: Vec<(String, Vec<Opt>)>,
    genders: Vec<Opt>,
    posts: Vec<Opt>,
    titles: Vec<Opt>,
    political: Vec<Opt>,
    educations: Vec<Opt>,
    employment: Vec<Opt>,
    statuses: Vec<Opt>,
    ethnicities: &'static [&'static str],
}

/// Whether the form shows the ID number and phone as inputs or only masked.
pub enum Personal {
    Editable,
    Masked(String, String),
}

#[allow(clippy::too_many_arguments)]
async fn form_page(
    state: &AppState,
    a: &Auth,
    action: String,
    is_new: bool,
    f: MemberForm,
    errors: FieldErrors,
    school_fixed: Option<OrgUnitId>,
    personal: Personal,
) -> AppResult {
    let cap = a.actor.authorize::<perm::MemberEdit>()?;
    let tr = a.tr;
    let schools = org::schools(&state.store.db, &cap).await?;
    let school_opts: Vec<Opt> = schools
        .iter()
        .map(|s| Opt::new(s.id, &s.name, f.school == s.id.to_string()))
        .collect();
    // Branches of the school (edit) or of every school in scope, grouped (new).
    let mut branches = Vec::new();
    let candidates: Vec<_> = match school_fixed {
        Some(s) => schools.iter().filter(|x| x.id == s).collect(),
        None => schools.iter().take(200).collect(),
    };
    for s in candidates {
        let kids = org::children(&state.store.db, &cap, s.id).await?;
        if !kids.is_empty() {
            branches.push((
                s.name.clone(),
                kids.iter()
                    .map(|b| Opt::new(b.id, &b.name, f.branch == b.id.to_string()))
                    .collect(),
            ));
        }
    }
    let title = if is_new {
        "member-new-title"
    } else {
        "member-edit-title"
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = MemberFormPage {
        p: Chrome::new(a, title)
            .crumb(tr.t("nav-members"), Some("/members".into()))
            .crumb(tr.t(title), None),
        action,
        is_new,
        masked: match personal {
            Personal::Editable => None,
            Personal::Masked(i, p) => Some((i, p)),
        },
        genders: coded_options::<Gender>(&tr, &f.input.gender, Some("gender-from-id")),
        posts: coded_options::<Post>(&tr, &f.input.post, Some("choose")),
        titles: coded_options::<ProfessionalTitle>(&tr, &f.input.title, Some("choose-none")),
        political: coded_options::<PoliticalStatus>(
            &tr,
            &f.input.political_status,
            Some("choose-none"),
        ),
        educations: coded_options::<Education>(&tr, &f.input.education, Some("choose-none")),
        employment: coded_options::<EmploymentType>(
            &tr,
            &f.input.employment_type,
            Some("choose-none"),
        ),
        statuses: coded_options::<MemberStatus>(
            &tr,
            if f.input.status.is_empty() {
                "active"
            } else {
                &f.input.status
            },
            None,
        ),
        f,
        errors,
        schools: school_opts,
        branches,
        ethnicities: COMMON_ETHNICITIES,
    };
    let mut r = a.render(&page)?;
    *r.status_mut() = status;
    Ok(r)
}

pub async fn new_page(State(state): State<AppState>, a: Auth) -> AppResult {
    form_page(
        &state,
        &a,
        "/members/new".into(),
        true,
        MemberForm::default(),
        FieldErrors::default(),
        None,
        Personal::Editable,
    )
    .await
}

fn store_errors(e: StoreError, errors: &mut FieldErrors) -> Result<(), AppError> {
    match e {
        StoreError::Invalid(f) => {
            errors.0.extend(f.0);
            Ok(())
        }
        other => Err(other.into()),
    }
}

pub async fn create(
    State(state): State<AppState>,
    a: Auth,
    Form(f): Form<MemberForm>,
) -> AppResult {
    let cap = a.actor.authorize::<perm::MemberEdit>()?;
    let today = crate::today();
    let mut errors = FieldErrors::default();
    let draft = match f.input.parse(today) {
        Ok(d) => Some(d),
        Err(e) => {
            errors.0.extend(e.0);
            None
        }
    };
    let school: Option<OrgUnitId> = f.school.parse().ok();
    if school.is_none() {
        errors.push(domain::FieldError::new("school", domain::text::REQUIRED));
    }
    let branch: Option<OrgUnitId> = f.branch.parse().ok();
    if let (Some(d), Some(school)) = (&draft, school) {
        match org::create_member(&state.store, &cap, &a.who(), school, branch, d, today).await {
            Ok(id) => {
                return Ok(a.redirect(
                    &format!("/members/{id}"),
                    Flash::ok("member-created").arg("name", &d.name),
                ));
            }
            Err(e) => store_errors(e, &mut errors)?,
        }
    }
    form_page(
        &state,
        &a,
        "/members/new".into(),
        true,
        f,
        errors,
        None,
        Personal::Editable,
    )
    .await
}

pub async fn edit_page(State(state): State<AppState>, a: Auth, Path(id): Path<i64>) -> AppResult {
    let cap = a.actor.authorize::<perm::MemberEdit>()?;
    let view = a.actor.authorize::<perm::MemberView>()?;
    let m = org::get_member(&state.store, &view, MemberId(id)).await?;
    // The edit form needs the numbers in full: editing is a full view too.
    let pd_cap = a.actor.authorize::<perm::PersonalDataView>();
    let full = match pd_cap {
        Ok(c) => Some(org::reveal_personal(&state.store, &c, &a.who(), MemberId(id)).await?),
        Err(_) => None,
    };
    let _ = cap;
    let f = MemberForm {
        input: MemberInput {
            name: m.name.clone(),
            gender: m.gender.code().into(),
            birth_date: m.birth_date.format("%Y-%m-%d").to_string(),
            id_number: full
                .as_ref()
                .map(|x| x.id_number.clone())
                .unwrap_or_default(),
            phone: full
                .as_ref()
                .and_then(|x| x.phone.clone())
                .unwrap_or_default(),
            post: m.post.code().into(),
            title: m.title.map(|x| x.code().to_string()).unwrap_or_default(),
            ethnicity: m.ethnicity.clone().unwrap_or_default(),
            political_status: m
                .political_status
                .map(|x| x.code().to_string())
                .unwrap_or_default(),
            education: m
                .education
                .map(|x| x.code().to_string())
                .unwrap_or_default(),
            employment_type: m
                .employment_type
                .map(|x| x.code().to_string())
                .unwrap_or_default(),
            join_date: m
                .join_date
                .map(|d| d.format("%Y-%m-%d").to_string())
                .unwrap_or_default(),
            status: m.status.code().into(),
        },
        school: m.school_union_id.to_string(),
        branch: m.branch_id.map(|b| b.to_string()).unwrap_or_default(),
        version: m.version.to_string(),
    };
    let personal = if full.is_some() {
        Personal::Editable
    } else {
        Personal::Masked(
            m.id_number_masked.clone(),
            m.phone_masked.clone().unwrap_or_default(),
        )
    };
    form_page(
        &state,
        &a,
        format!("/members/{id}/edit"),
        false,
        f,
        FieldErrors::default(),
        Some(m.school_union_id),
        personal,
    )
    .await
}

pub async fn update(
    State(state): State<AppState>,
    a: Auth,
    Path(id): Path<i64>,
    Form(mut f): Form<MemberForm>,
) -> AppResult {
    let cap = a.actor.authorize::<perm::MemberEdit>()?;
    let view = a.actor.authorize::<perm::MemberView>()?;
    let m = org::get_member(&state.store, &view, MemberId(id)).await?;
    // Someone without full view edits the other fields; the stored numbers stay.
    let personal_editable = a.actor.authorize::<perm::PersonalDataView>().is_ok();
    if !personal_editable {
        let stored = org::personal_for_update(&state.store, &cap, MemberId(id)).await?;
        f.input.id_number = stored.id_number;
        f.input.phone = stored.phone.unwrap_or_default();
        // The birth date is not on a masked form (beside a masked number it gives the
        // number away); the stored one stays.
        f.input.birth_date = m.birth_date.format("%Y-%m-%d").to_string();
    }
    let today = crate::today();
    let mut errors = FieldErrors::default();
    f.input.status = m.status.code().into();
    let version: i64 = f.version.parse().unwrap_or(-1);
    match f.input.parse(today) {
        Ok(d) => match org::update_member(
            &state.store,
            &cap,
            &a.who(),
            MemberId(id),
            version,
            f.branch.parse().ok(),
            &d,
        )
        .await
        {
            Ok(()) => return Ok(a.redirect(&format!("/members/{id}"), Flash::ok("member-saved"))),
            Err(StoreError::Stale) => {
                errors.push(domain::FieldError::new("version", "err-stale"));
            }
            Err(e) => store_errors(e, &mut errors)?,
        },
        Err(e) => errors.0.extend(e.0),
    }
    let personal = if personal_editable {
        Personal::Editable
    } else {
        Personal::Masked(
            m.id_number_masked.clone(),
            m.phone_masked.clone().unwrap_or_default(),
        )
    };
    form_page(
        &state,
        &a,
        format!("/members/{id}/edit"),
        false,
        f,
        errors,
        Some(m.school_union_id),
        personal,
    )
    .await
}

#[derive(Template)]
#[template(path = "org/transfer.html")]
struct TransferPage {
    p: Chrome,
    m: org::Member,
    schools: Vec<Opt>,
    f: TransferForm,
    errors: FieldErrors,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct TransferForm {
    #[serde(default)]
    school: String,
    #[serde(default)]
    date: String,
    #[serde(default)]
    note: String,
}

async fn transfer_view(
    state: &AppState,
    a: &Auth,
    id: MemberId,
    f: TransferForm,
    errors: FieldErrors,
) -> AppResult {
    let cap = a.actor.authorize::<perm::MemberEdit>()?;
    let view = a.actor.authorize::<perm::MemberView>()?;
    let m = org::get_member(&state.store, &view, id).await?;
    let mut schools = vec![Opt::new("", a.tr.t("choose"), f.school.is_empty())];
    schools.extend(
        org::schools(&state.store.db, &cap)
            .await?
            .into_iter()
            .filter(|s| s.id != m.school_union_id)
            .map(|s| Opt::new(s.id, &s.name, f.school == s.id.to_string())),
    );
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let p = Chrome::new(a, "transfer-title")
        .crumb(a.tr.t("nav-members"), Some("/members".into()))
        .crumb(m.name.clone(), Some(format!("/members/{}", m.id)));
    let mut r = a.render(&TransferPage {
        p,
        m,
        schools,
        f,
        errors,
    })?;
    *r.status_mut() = status;
    Ok(r)
}

pub async fn transfer_page(
    State(state): State<AppState>,
    a: Auth,
    Path(id): Path<i64>,
) -> AppResult {
    let f = TransferForm {
        date: crate::today().format("%Y-%m-%d").to_string(),
        ..Default::default()
    };
    transfer_view(&state, &a, MemberId(id), f, FieldErrors::default()).await
}

pub async fn transfer(
    State(state): State<AppState>,
    a: Auth,
    Path(id): Path<i64>,
    Form(f): Form<TransferForm>,
) -> AppResult {
    let cap = a.actor.authorize::<perm::MemberEdit>()?;
    let mut errors = FieldErrors::default();
    let school: Option<OrgUnitId> = f.school.parse().ok();
    if school.is_none() {
        errors.push(domain::FieldError::new("school", domain::text::REQUIRED));
    }
    let date = errors.take(parse_date("date", &f.date));
    let note = errors.take(optional_text("note", &f.note, 200));
    if let (true, Some(school), Some(date), Some(note)) = (errors.is_empty(), school, date, note) {
        match org::transfer_member(
            &state.store,
            &cap,
            &a.who(),
            MemberId(id),
            school,
            None,
            date,
            note,
        )
        .await
        {
            Ok(()) => {
                return Ok(a.redirect(&format!("/members/{id}"), Flash::ok("member-transferred")));
            }
            Err(StoreError::State(_)) => {
                errors.push(domain::FieldError::new("school", "err-transfer-inactive"))
            }
            Err(e) => store_errors(e, &mut errors)?,
        }
    }
    transfer_view(&state, &a, MemberId(id), f, errors).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct StatusForm {
    status: String,
    #[serde(default)]
    since: String,
    #[serde(default)]
    note: String,
}

pub async fn status(
    State(state): State<AppState>,
    a: Auth,
    Path(id): Path<i64>,
    Form(f): Form<StatusForm>,
) -> AppResult {
    let cap = a.actor.authorize::<perm::MemberEdit>()?;
    // Out of scope is a 404 before any input is looked at.
    org::get_member(
        &state.store,
        &a.actor.authorize::<perm::MemberView>()?,
        MemberId(id),
    )
    .await?;
    let back = format!("/members/{id}");
    let Some(status) = MemberStatus::from_code(&f.status) else {
        return Ok(a.redirect(
            &back,
            Flash::error(domain::text::CHOICE_INVALID).arg("value", &f.status),
        ));
    };
    let since = match parse_date("since", &f.since) {
        Ok(d) => d,
        Err(e) => return Ok(a.redirect(&back, Flash::error(e.key))),
    };
    let note = optional_text("note", &f.note, 200).unwrap_or(None);
    match org::change_status(
        &state.store,
        &cap,
        &a.who(),
        MemberId(id),
        status,
        since,
        note,
    )
    .await
    {
        Ok(()) => Ok(a.redirect(
            &back,
            Flash::ok("member-status-changed").arg("status", a.tr.label(status)),
        )),
        Err(StoreError::Invalid(e)) => Ok(a.redirect(
            &back,
            Flash::error(
                e.0.first()
                    .map(|x| x.key)
                    .unwrap_or(domain::text::STATUS_TRANSITION),
            ),
        )),
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CadreForm {
    position: String,
    start: String,
    end: String,
}

/// Records a union position (chair, committee member…) of a member in the member's school
/// union.
pub async fn cadre_add(
    State(state): State<AppState>,
    a: Auth,
    Path(id): Path<i64>,
    Form(f): Form<CadreForm>,
) -> AppResult {
    let cap = a.actor.authorize::<perm::MemberEdit>()?;
    let m = org::get_member(
        &state.store,
        &a.actor.authorize::<perm::MemberView>()?,
        MemberId(id),
    )
    .await?;
    let back = format!("/members/{id}");
    let Some(position) = CadrePosition::from_code(&f.position) else {
        return Ok(a.redirect(
            &back,
            Flash::error(domain::text::CHOICE_INVALID).arg("value", &f.position),
        ));
    };
    let start = match parse_date("start", &f.start) {
        Ok(d) => d,
        Err(e) => return Ok(a.redirect(&back, Flash::error(e.key).arg("value", &f.start))),
    };
    org::add_cadre_position(
        &state.store,
        &cap,
        &a.who(),
        m.id,
        m.school_union_id,
        position,
        start,
    )
    .await?;
    Ok(a.redirect(
        &back,
        Flash::ok("cadre-added").arg("position", a.tr.label(position)),
    ))
}

/// Ends a union position.
pub async fn cadre_end(
    State(state): State<AppState>,
    a: Auth,
    Path((id, cadre)): Path<(i64, i64)>,
    Form(f): Form<CadreForm>,
) -> AppResult {
    let cap = a.actor.authorize::<perm::MemberEdit>()?;
    org::get_member(
        &state.store,
        &a.actor.authorize::<perm::MemberView>()?,
        MemberId(id),
    )
    .await?;
    let back = format!("/members/{id}");
    let end = match parse_date("end", &f.end) {
        Ok(d) => d,
        Err(e) => return Ok(a.redirect(&back, Flash::error(e.key).arg("value", &f.end))),
    };
    org::end_cadre_position(&state.store, &cap, &a.who(), MemberId(id), cadre, end).await?;
    Ok(a.redirect(&back, Flash::ok("cadre-ended")))
}

// ---------------------------------------------------------------- export

/// Writes the filtered list as .xlsx in the reader's language (masked unless `full`).
async fn export(
    state: &AppState,
    a: &Auth,
    cap: &domain::auth::Cap<perm::MemberExport>,
    full: Option<(&domain::auth::Cap<perm::PersonalDataExport>, &str)>,
    f: &MemberFilter,
) -> AppResult {
    let tr = a.tr;
    let label = move |k: &str| tr.t(k);
    let text = store::org::export::ExportText {
        sheet_name: tr.t("export-sheet-name"),
        headers: store::org::export::EXPORT_COLUMNS
            .iter()
            .map(|c| tr.t(&format!("col-{}", c.replace('_', "-"))))
            .collect(),
        label: &label,
    };
    let today = crate::today();
    let (bytes, _) = store::org::export::export_members(
        &state.store,
        cap,
        full.map(|x| x.0),
        &a.who(),
        full.map(|x| x.1),
        f,
        today,
        &text,
    )
    .await?;
    Ok(xlsx_response(bytes, &tr, today))
}

fn xlsx_response(bytes: Vec<u8>, tr: &Tr, date: NaiveDate) -> Response {
    let ascii = format!("members-{}.xlsx", date.format("%Y%m%d"));
    let utf8 = format!(
        "{}-{}.xlsx",
        tr.t("export-file-name"),
        date.format("%Y%m%d")
    );
    let encoded: String = form_urlencoded::byte_serialize(utf8.as_bytes())
        .collect::<String>()
        .replace('+', "%20");
    (
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}"),
            ),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        bytes,
    )
        .into_response()
}

pub async fn export_masked(
    State(state): State<AppState>,
    a: Auth,
    Query(q): Query<ListQuery>,
) -> AppResult {
    let cap = a.actor.authorize::<perm::MemberExport>()?;
    if let Some(r) = exact_search_gate(&state, &a, &q, "/members").await? {
        return Ok(r);
    }
    export(&state, &a, &cap, None, &q.filter()).await
}

#[derive(Template)]
#[template(path = "org/export_full.html")]
struct ExportFullPage {
    p: Chrome,
    hidden: Vec<(String, String)>,
    purpose: String,
    errors: FieldErrors,
}

fn hidden_fields(q: &ListQuery) -> Vec<(String, String)> {
    serde_urlencoded::to_string(q)
        .ok()
        .and_then(|s| serde_urlencoded::from_str::<Vec<(String, String)>>(&s).ok())
        .unwrap_or_default()
        .into_iter()
        .filter(|(k, v)| !v.is_empty() && k != "after" && k != "before")
        .collect()
}

pub async fn export_full_page(a: Auth, Query(q): Query<ListQuery>) -> AppResult {
    a.actor.authorize::<perm::PersonalDataExport>()?;
    let p =
        Chrome::new(&a, "export-full-title").crumb(a.tr.t("nav-members"), Some("/members".into()));
    a.render(&ExportFullPage {
        p,
        hidden: hidden_fields(&q),
        purpose: String::new(),
        errors: FieldErrors::default(),
    })
}

#[derive(Deserialize)]
pub struct ExportFullForm {
    #[serde(flatten)]
    q: ListQuery,
    #[serde(default)]
    purpose: String,
}

pub async fn export_full(
    State(state): State<AppState>,
    a: Auth,
    Form(f): Form<ExportFullForm>,
) -> AppResult {
    let cap = a.actor.authorize::<perm::MemberExport>()?;
    let full = a.actor.authorize::<perm::PersonalDataExport>()?;
    if let Some(r) = exact_search_gate(&state, &a, &f.q, "/members").await? {
        return Ok(r);
    }
    let purpose = f.purpose.trim();
    if purpose.chars().count() < 2 {
        let mut errors = FieldErrors::default();
        errors.push(domain::FieldError::new(
            "purpose",
            domain::text::PURPOSE_REQUIRED,
        ));
        let p = Chrome::new(&a, "export-full-title");
        let mut r = a.render(&ExportFullPage {
            p,
            hidden: hidden_fields(&f.q),
            purpose: f.purpose,
            errors,
        })?;
        *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
        return Ok(r);
    }
    export(&state, &a, &cap, Some((&full, purpose)), &f.q.filter()).await
}
