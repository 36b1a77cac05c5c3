//! Assessment on the web: the annual assessment of the school unions in the reader's scope
//! (`/assessment`: ranking, veto, weak-union list, .xlsx), one school's ledger (台账) as a
//! print view with every point linked to the figure and the list of records that made it,
//! and the staff-home register (`/assessment/homes`): the chair's self-assessment with
//! evidence, the area lead's recommendation, the district's two-person review, downgrades.
//!
//! Handlers are thin: they parse, ask for a capability, call `store::assessment` and render.
//! Nothing here is reachable without an assessment permission over the school; out of
//! scope is 404.

use crate::area::{Area, Document, DocumentKind, NavEntry};
use crate::chrome::{Chrome, Opt, coded_options};
use crate::ctx::{Auth, Flash};
use crate::error::{AppError, AppResult};
use crate::i18n::Tr;
use crate::state::AppState;
use crate::{Guard, Permission as P, RouteTable};
use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use domain::FieldErrors;
use domain::assessment::*;
use domain::auth::{Permission, perm};
use domain::congress::school_year;
use domain::ids::OrgUnitId;
use domain::org::Coded;
use serde::Deserialize;
use store::StoreError;
use store::assessment::annual::{self, SchoolScore};
use store::assessment::{hand, homes};

fn routes(t: RouteTable) -> RouteTable {
    t.get("/assessment", Guard::staff(P::AssessmentView), annual_page)
        .get(
            "/assessment.xlsx",
            Guard::staff(P::AssessmentView),
            annual_xlsx,
        )
        .get(
            "/assessment/schools/{id}",
            Guard::staff(P::AssessmentView),
            ledger_page,
        )
        .get(
            "/assessment/schools/{id}/ledger.xlsx",
            Guard::staff(P::AssessmentView),
            ledger_xlsx,
        )
        .get(
            "/assessment/homes/nominations.xlsx",
            Guard::staff(P::AssessmentReview),
            nominations_xlsx,
        )
        .post(
            "/assessment/schools/{id}/hand",
            Guard::staff(P::HomeRecommend).form(&[
                ("year", "{school_year}"),
                ("indicator", "records"),
                ("points", "4"),
                ("evidence", "台账.pdf"),
            ]),
            give_hand,
        )
        .post(
            "/assessment/schools/{id}/appeal",
            Guard::staff(P::HomeApply).form(&[
                ("year", "{school_year}"),
                ("indicator", "records"),
                ("reason", "台账已补齐"),
            ]),
            file_appeal,
        )
        .post(
            "/assessment/appeals/{id}/decide",
            Guard::staff(P::AssessmentReview).form(&[
                ("decision", "change"),
                ("points", "5"),
                ("outcome", "复核属实"),
            ]),
            decide_appeal,
        )
        .get(
            "/assessment/homes",
            Guard::staff(P::AssessmentView),
            register_page,
        )
        .get(
            "/assessment/homes/new",
            Guard::staff(P::HomeApply),
            apply_page,
        )
        .add_limited(
            crate::Method::Post,
            "/assessment/homes/new",
            Guard::staff(P::HomeApply).form(&[
                ("school", "{school}"),
                ("level", "qualified"),
                ("score0", "14"),
                ("score1", "22"),
                ("score2", "13"),
                ("score3", "14"),
                ("score4", "12"),
                ("score5", "13"),
                ("evidence", "职工之家.jpg"),
            ]),
            apply,
            // One file per standard and the form; past this the body is cut and the
            // files refused at their field.
            Some(EVIDENCE_FILE_FIELDS.len() * store::kit::PROOF_MAX_BYTES + 256 * 1024),
        )
        .add_limited(
            crate::Method::Post,
            "/assessment/homes/{id}/evidence",
            Guard::staff(P::HomeApply).upload(
                &[("standard", "premises")],
                ("file", "职工之家活动室.pdf", b"%PDF-1.4\n% matrix\n"),
            ),
            attach_evidence,
            Some(store::kit::PROOF_MAX_BYTES + 64 * 1024),
        )
        .get(
            "/assessment/evidence/{id}",
            Guard::staff(P::AssessmentView),
            evidence_file,
        )
        .get(
            "/assessment/homes/{id}",
            Guard::staff(P::AssessmentView),
            application_page,
        )
        .post(
            "/assessment/homes/{id}/recommend",
            Guard::staff(P::HomeRecommend).form(&[
                ("decision", "recommend"),
                ("score", "88"),
                ("note", "材料齐全"),
            ]),
            recommend,
        )
        .post(
            "/assessment/homes/{id}/review",
            Guard::staff(P::AssessmentReview).form(&[("decision", "approve"), ("reason", "")]),
            review,
        )
        .post(
            "/assessment/downgrade",
            Guard::staff(P::AssessmentReview)
                .form(&[("school", "{school}"), ("reason", "复评不合格")]),
            downgrade,
        )
}

/// The assessment area.
pub static AREA: Area = Area {
    name: "assessment",
    routes: |t, _| routes(t),
    nav: &[
        NavEntry {
            href: "/assessment",
            label_key: "nav-assessment",
            permission: Some(Permission::AssessmentView),
            rank: 77,
        },
        NavEntry {
            href: "/assessment/homes",
            label_key: "nav-assessment-homes",
            permission: Some(Permission::AssessmentView),
            rank: 78,
        },
    ],
    documents: &[
        Document {
            label_key: "doc-assessment-ledger",
            path: "/assessment/schools/{id}",
            kind: DocumentKind::Print,
            method: crate::Method::Get,
        },
        Document {
            label_key: "doc-assessment-ledger-xlsx",
            path: "/assessment/schools/{id}/ledger.xlsx",
            kind: DocumentKind::Xlsx,
            method: crate::Method::Get,
        },
        Document {
            label_key: "doc-assessment-nominations",
            path: "/assessment/homes/nominations.xlsx",
            kind: DocumentKind::Xlsx,
            method: crate::Method::Get,
        },
        Document {
            label_key: "doc-assessment-annual",
            path: "/assessment.xlsx",
            kind: DocumentKind::Xlsx,
            method: crate::Method::Get,
        },
    ],
};

fn this_year() -> i32 {
    school_year(crate::today())
}

/// The year asked for (within the last ten), else the last finished school year.
fn year_of(q: &str) -> i32 {
    let this = this_year();
    q.trim()
        .parse::<i32>()
        .ok()
        .filter(|y| (this - 10..=this).contains(y))
        .unwrap_or(this - 1)
}

fn year_options(tr: &Tr, year: i32) -> Vec<Opt> {
    let this = this_year();
    (this - 4..=this)
        .rev()
        .map(|y| {
            Opt::new(
                y,
                tr.ta(
                    "school-year",
                    &[("from", y.to_string()), ("to", (y + 1).to_string())],
                ),
                y == year,
            )
        })
        .collect()
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct YearQuery {
    year: String,
}

/// A school's row of the ranking.
pub struct RankView {
    pub id: i64,
    pub name: String,
    pub area: String,
    pub rank: usize,
    pub area_rank: usize,
    pub total: i64,
    pub earned: i64,
    pub vetoed: bool,
    pub exemption: String,
    pub weak: bool,
    /// The indicators that gave no points, by name.
    pub reasons: String,
}

fn rank_view(tr: &Tr, scheme: &Scheme, s: &SchoolScore) -> RankView {
    let mut reasons: Vec<String> = Vec::new();
    if s.score.veto.is_some() {
        reasons.push(tr.t("assessment-veto-congress"));
    }
    reasons.extend(
        s.score
            .missing()
            .into_iter()
            .map(|c| tr.t(&format!("assessment-indicator-{c}"))),
    );
    RankView {
        id: s.school.0,
        name: s.name.clone(),
        area: s.area_name.clone().unwrap_or_default(),
        rank: s.rank,
        area_rank: s.area_rank,
        total: s.score.total(),
        earned: s.score.earned,
        vetoed: s.score.veto.is_some(),
        exemption: s.exemption.clone().unwrap_or_default(),
        weak: s.score.weak(scheme),
        reasons: reasons.join("、"),
    }
}

#[derive(Template)]
#[template(path = "assessment/annual.html")]
struct AnnualPage {
    p: Chrome,
    year: i32,
    years: Vec<Opt>,
    summary: String,
    scheme_note: String,
    rows: Vec<RankView>,
    weak: Vec<RankView>,
}

pub async fn annual_page(
    State(state): State<AppState>,
    a: Auth,
    Query(q): Query<YearQuery>,
) -> AppResult {
    let cap = a.actor.authorize::<perm::AssessmentView>()?;
    let year = year_of(&q.year);
    let an = annual::compute(&state.store, &cap, year).await?;
    let tr = a.tr;
    let rows: Vec<RankView> = an
        .schools
        .iter()
        .map(|s| rank_view(&tr, an.scheme, s))
        .collect();
    let summary = tr.ta(
        "assessment-summary",
        &[
            ("schools", rows.len().to_string()),
            ("vetoed", an.vetoed().count().to_string()),
            ("weak", an.weak().count().to_string()),
        ],
    );
    let weak = an.weak().map(|s| rank_view(&tr, an.scheme, s)).collect();
    a.render(&AnnualPage {
        p: Chrome::new(&a, "assessment-title"),
        year,
        years: year_options(&tr, year),
        summary,
        scheme_note: scheme_note(&tr, an.scheme),
        rows,
        weak,
    })
}

fn scheme_note(tr: &Tr, s: &Scheme) -> String {
    tr.ta(
        "assessment-scheme-note",
        &[
            ("version", s.version.to_string()),
            ("weak", s.weak_below.to_string()),
        ],
    )
}

/// One line of the ledger.
pub struct LineView {
    pub indicator: String,
    pub max: i64,
    pub points: i64,
    /// (figure label, value, link to its records).
    pub figures: Vec<(String, String, String)>,
    /// For a hand-scored line: who scores it, and the latest score's evidence (text, link).
    pub scorer: String,
    pub evidence: Vec<(String, bool)>,
}

/// One row of the hand-score history.
pub struct HandView {
    pub on: String,
    pub indicator: String,
    pub points: i64,
    pub by: String,
    pub evidence: Vec<(String, bool)>,
    pub appeal: Option<i64>,
}

/// One appeal on the ledger.
pub struct AppealView {
    pub id: i64,
    pub indicator: String,
    pub filed: String,
    pub reason: String,
    pub status: String,
    pub open: bool,
    pub outcome: String,
}

/// The ledger's forms as typed (the hand score, the appeal, an appeal's outcome).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct LedgerForm {
    year: String,
    indicator: String,
    points: String,
    evidence: String,
    reason: String,
    decision: String,
    outcome: String,
}

/// Which of the ledger's forms a refusal belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LedgerFormKind {
    None,
    Hand,
    Appeal,
    Decide(i64),
}

#[derive(Template)]
#[template(path = "assessment/ledger.html")]
struct LedgerPage {
    p: Chrome,
    id: i64,
    year: i32,
    school: String,
    area: String,
    year_label: String,
    rank_text: String,
    lines: Vec<LineView>,
    earned: i64,
    total: i64,
    max: i64,
    veto: String,
    exemption: String,
    scheme_note: String,
    hand_options: Vec<Opt>,
    appeal_options: Vec<Opt>,
    history: Vec<HandView>,
    appeals: Vec<AppealView>,
    can_decide: bool,
    appeal_note: String,
    /// The staff-home evidence files of the year's applications: (id, standard, name).
    home_files: Vec<(i64, String, String)>,
    form: LedgerForm,
    which: LedgerFormKind,
    errors: FieldErrors,
}

impl LedgerPage {
    /// The error of `field` when it belongs to the form `kind`.
    fn err<K: std::borrow::Borrow<LedgerFormKind>>(&self, kind: K, field: &str) -> String {
        if *kind.borrow() != self.which {
            return String::new();
        }
        self.errors
            .get(field)
            .map(|e| self.p.tr.fe(e))
            .unwrap_or_default()
    }
    fn hand_kind(&self) -> LedgerFormKind {
        LedgerFormKind::Hand
    }
    fn appeal_kind(&self) -> LedgerFormKind {
        LedgerFormKind::Appeal
    }
    fn decide_kind<I: std::borrow::Borrow<i64>>(&self, id: I) -> LedgerFormKind {
        LedgerFormKind::Decide(*id.borrow())
    }
    /// The typed value of `field` when it belongs to the form `kind`.
    fn typed<K: std::borrow::Borrow<LedgerFormKind>>(&self, kind: K, field: &str) -> String {
        if *kind.borrow() != self.which {
            return String::new();
        }
        match field {
            "points" => self.form.points.clone(),
            "evidence" => self.form.evidence.clone(),
            "reason" => self.form.reason.clone(),
            "outcome" => self.form.outcome.clone(),
            _ => String::new(),
        }
    }
}

fn evidence_links(items: Vec<String>) -> Vec<(String, bool)> {
    items
        .into_iter()
        .map(|e| {
            let link = e.starts_with('/');
            (e, link)
        })
        .collect()
}

fn scorer_label(tr: &Tr, s: Scorer) -> String {
    tr.t(match s {
        Scorer::Area => "assessment-scorer-area",
        Scorer::District => "assessment-scorer-district",
    })
}

async fn render_ledger(
    state: &AppState,
    a: &Auth,
    id: i64,
    year: i32,
    form: LedgerForm,
    which: LedgerFormKind,
    errors: FieldErrors,
) -> AppResult {
    let cap = a.actor.authorize::<perm::AssessmentView>()?;
    let school = OrgUnitId(id);
    let (s, n) = match annual::ledger(&state.store, &cap, school, year).await {
        Ok(v) => v,
        Err(StoreError::NotFound) => return Err(AppError::NotFound),
        Err(e) => return Err(e.into()),
    };
    let history = hand::history(&state.store, &cap, school, year).await?;
    let appeals = hand::appeals(&state.store, &cap, school, year).await?;
    let home_files = year_evidence(state, &cap, school, year).await?;
    let tr = a.tr;
    let scheme = domain::assessment::scheme(s.score.scheme).unwrap_or(current());
    let ind_name = |c: &str| tr.t(&format!("assessment-indicator-{c}"));
    let lines = s
        .score
        .lines
        .iter()
        .map(|l| LineView {
            indicator: ind_name(l.indicator),
            max: l.max,
            points: l.points,
            figures: l
                .figures
                .iter()
                .map(|(k, v)| {
                    let fig = store::area::figure(k);
                    let shown = fig
                        .map(|f| crate::dashboard::show_value(f.kind, *v, &tr))
                        .unwrap_or_else(|| v.to_string());
                    let href = fig.map(|f| f.href(s.school, year)).unwrap_or_default();
                    (tr.t(k), shown, href)
                })
                .collect(),
            scorer: l.scorer.map(|x| scorer_label(&tr, x)).unwrap_or_default(),
            evidence: history
                .iter()
                .find(|h| h.indicator == l.indicator)
                .filter(|_| l.scorer.is_some())
                .map(|h| evidence_links(h.evidence()))
                .unwrap_or_default(),
        })
        .collect();
    let veto = match &s.score.veto {
        Some(Veto::NoQuorateCongress { value, .. }) => {
            tr.t1("assessment-veto-detail", "value", value)
        }
        None => String::new(),
    };
    let chosen = form.indicator.trim().to_string();
    let may_area = a.actor.may(Permission::HomeRecommend);
    let may_district = a.actor.may(Permission::AssessmentReview);
    let hand_options = scheme
        .hand
        .iter()
        .filter(|h| match h.scorer {
            Scorer::Area => may_area,
            Scorer::District => may_district,
        })
        .map(|h| {
            Opt::new(
                h.code,
                format!(
                    "{} ({} · 0–{})",
                    ind_name(h.code),
                    scorer_label(&tr, h.scorer),
                    h.points
                ),
                which == LedgerFormKind::Hand && chosen == h.code,
            )
        })
        .collect();
    let scored: Vec<&str> = scheme
        .hand
        .iter()
        .filter(|h| history.iter().any(|x| x.indicator == h.code))
        .map(|h| h.code)
        .collect();
    let appeal_options = if a.actor.may(Permission::HomeApply) {
        scored
            .iter()
            .map(|c| {
                Opt::new(
                    c,
                    ind_name(c),
                    which == LedgerFormKind::Appeal && chosen == *c,
                )
            })
            .collect()
    } else {
        Vec::new()
    };
    let page = LedgerPage {
        p: Chrome::new(a, "assessment-ledger-title"),
        id,
        year,
        school: s.name.clone(),
        area: s.area_name.clone().unwrap_or_default(),
        year_label: tr.ta(
            "school-year",
            &[("from", year.to_string()), ("to", (year + 1).to_string())],
        ),
        rank_text: tr.ta(
            "assessment-rank-text",
            &[
                ("rank", s.rank.to_string()),
                ("of", n.to_string()),
                ("area_rank", s.area_rank.to_string()),
            ],
        ),
        lines,
        earned: s.score.earned,
        total: s.score.total(),
        max: scheme.full_max(),
        veto,
        exemption: s.exemption.clone().unwrap_or_default(),
        scheme_note: scheme_note(&tr, scheme),
        hand_options,
        appeal_options,
        history: history
            .iter()
            .map(|h| HandView {
                on: tr.date(&h.scored_on),
                indicator: ind_name(&h.indicator),
                points: h.points,
                by: h.scored_by_label.clone(),
                evidence: evidence_links(h.evidence()),
                appeal: h.appeal_id,
            })
            .collect(),
        appeals: appeals
            .iter()
            .map(|x| AppealView {
                id: x.id,
                indicator: ind_name(&x.indicator),
                filed: format!("{} · {}", tr.date(&x.filed_on), x.filed_by_label),
                reason: x.reason.clone(),
                status: tr.opt_label(x.status()),
                open: x.status() == Some(AppealStatus::Open),
                outcome: match (&x.outcome, &x.decided_on) {
                    (Some(o), Some(d)) => format!(
                        "{o} ({} · {})",
                        tr.date(d),
                        x.decided_by_label.clone().unwrap_or_default()
                    ),
                    _ => String::new(),
                },
            })
            .collect(),
        can_decide: may_district,
        appeal_note: tr.t1("assessment-appeal-note", "days", scheme.appeal_days),
        home_files: home_files
            .iter()
            .map(|f| {
                (
                    f.id,
                    tr.t(&format!("assessment-standard-{}", f.standard)),
                    f.file_name.clone(),
                )
            })
            .collect(),
        form,
        which,
        errors: errors.clone(),
    };
    let mut r = a.render(&page)?;
    if !errors.is_empty() {
        *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(r)
}

pub async fn ledger_page(
    State(state): State<AppState>,
    a: Auth,
    Path(id): Path<i64>,
    Query(q): Query<YearQuery>,
) -> AppResult {
    let year = year_of(&q.year);
    render_ledger(
        &state,
        &a,
        id,
        year,
        LedgerForm::default(),
        LedgerFormKind::None,
        FieldErrors::default(),
    )
    .await
}

/// The staff-home evidence files of the school's applications made in school year `year`.
async fn year_evidence(
    state: &AppState,
    cap: &domain::auth::Cap<perm::AssessmentView>,
    school: OrgUnitId,
    year: i32,
) -> Result<Vec<store::assessment::evidence::EvidenceRow>, StoreError> {
    let (from, to) = domain::congress::school_year_range(year);
    store::assessment::evidence::of_school(&state.store, cap, school, from, to).await
}

fn ledger_href(id: i64, year: i32) -> String {
    format!("/assessment/schools/{id}?year={year}")
}

/// A hand score for one of the school's indicators, by the scorer the scheme names.
pub async fn give_hand(
    State(state): State<AppState>,
    a: Auth,
    Path(id): Path<i64>,
    Form(f): Form<LedgerForm>,
) -> AppResult {
    let year = year_of(&f.year);
    let scheme = current();
    let scorer = scheme
        .hand_indicator(f.indicator.trim())
        .map(|h| h.scorer)
        .unwrap_or(Scorer::Area);
    let (c1, c2);
    let cap = match scorer {
        Scorer::Area => {
            c1 = a.actor.authorize::<perm::HomeRecommend>()?;
            hand::ScorerCap::Area(&c1)
        }
        Scorer::District => {
            c2 = a.actor.authorize::<perm::AssessmentReview>()?;
            hand::ScorerCap::District(&c2)
        }
    };
    let input = hand::HandInput {
        indicator: f.indicator.clone(),
        points: f.points.clone(),
        evidence: f.evidence.clone(),
    };
    match hand::give(
        &state.store,
        cap,
        &a.who(),
        OrgUnitId(id),
        year,
        &input,
        crate::today(),
    )
    .await
    {
        Ok(_) => Ok(a.redirect(&ledger_href(id, year), Flash::ok("assessment-hand-scored"))),
        Err(StoreError::Invalid(e)) => {
            render_ledger(&state, &a, id, year, f, LedgerFormKind::Hand, e).await
        }
        Err(StoreError::NotFound) => Err(AppError::NotFound),
        Err(e) => Err(e.into()),
    }
}

/// The school appeals a hand score.
pub async fn file_appeal(
    State(state): State<AppState>,
    a: Auth,
    Path(id): Path<i64>,
    Form(f): Form<LedgerForm>,
) -> AppResult {
    let cap = a.actor.authorize::<perm::HomeApply>()?;
    let year = year_of(&f.year);
    match hand::appeal(
        &state.store,
        &cap,
        &a.who(),
        OrgUnitId(id),
        year,
        &f.indicator,
        &f.reason,
        crate::today(),
    )
    .await
    {
        Ok(_) => Ok(a.redirect(&ledger_href(id, year), Flash::ok("assessment-appealed"))),
        Err(StoreError::Invalid(e)) => {
            render_ledger(&state, &a, id, year, f, LedgerFormKind::Appeal, e).await
        }
        Err(StoreError::NotFound) => Err(AppError::NotFound),
        Err(e) => Err(e.into()),
    }
}

/// The district's outcome of an appeal.
pub async fn decide_appeal(
    State(state): State<AppState>,
    a: Auth,
    Path(id): Path<i64>,
    Form(f): Form<LedgerForm>,
) -> AppResult {
    let cap = a.actor.authorize::<perm::AssessmentReview>()?;
    let view = a.actor.authorize::<perm::AssessmentView>()?;
    let appeal = match hand::appeal_get(&state.store, &view, AppealId(id)).await {
        Ok(x) => x,
        Err(StoreError::NotFound) => return Err(AppError::NotFound),
        Err(e) => return Err(e.into()),
    };
    let (school, year) = (appeal.school_union_id, appeal.school_year as i32);
    let back = ledger_href(school, year);
    match hand::decide(
        &state.store,
        &cap,
        &a.who(),
        AppealId(id),
        f.decision == "change",
        &f.points,
        &f.outcome,
        crate::today(),
    )
    .await
    {
        Ok(_) => Ok(a.redirect(&back, Flash::ok("assessment-appeal-decided"))),
        Err(StoreError::Invalid(e)) => {
            render_ledger(&state, &a, school, year, f, LedgerFormKind::Decide(id), e).await
        }
        Err(e) => step_refused(&a, &back, e),
    }
}

pub async fn annual_xlsx(
    State(state): State<AppState>,
    a: Auth,
    Query(q): Query<YearQuery>,
) -> AppResult {
    let cap = a.actor.authorize::<perm::AssessmentView>()?;
    let year = year_of(&q.year);
    let an = annual::compute(&state.store, &cap, year).await?;
    let tr = a.tr;
    let bytes = workbook(&tr, &an).map_err(|e| AppError::Internal(format!("xlsx: {e}")))?;
    Ok(crate::congress::xlsx(
        bytes,
        &format!("{}-{year}.xlsx", tr.t("assessment-title")),
        &format!("assessment-{year}.xlsx"),
    ))
}

fn workbook(tr: &Tr, an: &annual::Annual) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();
    let ws = wb.add_worksheet();
    let mut heads: Vec<String> = [
        "assessment-rank",
        "col-area",
        "col-school",
        "assessment-total",
        "assessment-veto",
        "assessment-exemption",
    ]
    .iter()
    .map(|k| tr.t(k))
    .collect();
    heads.extend(
        an.scheme
            .indicators
            .iter()
            .map(|i| tr.t(&format!("assessment-indicator-{}", i.code))),
    );
    for (c, h) in heads.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, h, &bold)?;
    }
    for (i, s) in an.schools.iter().enumerate() {
        let row = i as u32 + 1;
        ws.write_number(row, 0, s.rank as f64)?;
        ws.write_string(row, 1, s.area_name.as_deref().unwrap_or(""))?;
        ws.write_string(row, 2, &s.name)?;
        ws.write_number(row, 3, s.score.total() as f64)?;
        ws.write_string(
            row,
            4,
            if s.score.veto.is_some() {
                tr.t("assessment-veto-congress")
            } else {
                String::new()
            },
        )?;
        ws.write_string(row, 5, s.exemption.as_deref().unwrap_or(""))?;
        for (j, l) in s.score.lines.iter().enumerate() {
            ws.write_number(row, 6 + j as u16, l.points as f64)?;
        }
    }
    wb.save_to_buffer()
}

/// A school's ledger (台账) as a workbook: the facts, every line with the figures it read
/// and the address of their records, the hand scores with their evidence, the appeals.
pub async fn ledger_xlsx(
    State(state): State<AppState>,
    a: Auth,
    Path(id): Path<i64>,
    Query(q): Query<YearQuery>,
) -> AppResult {
    let cap = a.actor.authorize::<perm::AssessmentView>()?;
    let year = year_of(&q.year);
    let school = OrgUnitId(id);
    let (s, n) = match annual::ledger(&state.store, &cap, school, year).await {
        Ok(v) => v,
        Err(StoreError::NotFound) => return Err(AppError::NotFound),
        Err(e) => return Err(e.into()),
    };
    let history = hand::history(&state.store, &cap, school, year).await?;
    let appeals = hand::appeals(&state.store, &cap, school, year).await?;
    let files = year_evidence(&state, &cap, school, year).await?;
    let tr = a.tr;
    let base = state.config.public_url.clone().unwrap_or_default();
    let bytes = ledger_workbook(&tr, &base, year, &s, n, (&history, &appeals, &files))
        .map_err(|e| AppError::Internal(format!("xlsx: {e}")))?;
    Ok(crate::congress::xlsx(
        bytes,
        &format!("{}-{}-{year}.xlsx", tr.t("assessment-ledger-title"), s.name),
        &format!("assessment-ledger-{id}-{year}.xlsx"),
    ))
}

fn ledger_workbook(
    tr: &Tr,
    base: &str,
    year: i32,
    s: &SchoolScore,
    n: usize,
    (history, appeals, files): (
        &[hand::HandRow],
        &[hand::AppealRow],
        &[store::assessment::evidence::EvidenceRow],
    ),
) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Format, Workbook};
    let scheme = domain::assessment::scheme(s.score.scheme).unwrap_or(current());
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();
    let ws = wb.add_worksheet();
    ws.set_name(tr.t("assessment-ledger-title"))?;
    let facts: Vec<(String, String)> = vec![
        (tr.t("col-school"), s.name.clone()),
        (tr.t("col-area"), s.area_name.clone().unwrap_or_default()),
        (
            tr.t("school-year-label"),
            tr.ta(
                "school-year",
                &[("from", year.to_string()), ("to", (year + 1).to_string())],
            ),
        ),
        (
            tr.t("assessment-rank"),
            tr.ta(
                "assessment-rank-text",
                &[
                    ("rank", s.rank.to_string()),
                    ("of", n.to_string()),
                    ("area_rank", s.area_rank.to_string()),
                ],
            ),
        ),
        (
            tr.t("assessment-total"),
            format!("{} / {}", s.score.total(), scheme.full_max()),
        ),
        (
            tr.t("assessment-veto"),
            match &s.score.veto {
                Some(Veto::NoQuorateCongress { value, .. }) => {
                    tr.t1("assessment-veto-detail", "value", value)
                }
                None => String::new(),
            },
        ),
        (
            tr.t("assessment-exemption"),
            s.exemption.clone().unwrap_or_default(),
        ),
        (String::new(), scheme_note(tr, scheme)),
    ];
    for (r, (k, v)) in facts.iter().enumerate() {
        ws.write_string_with_format(r as u32, 0, k, &bold)?;
        ws.write_string(r as u32, 1, v)?;
    }
    let top = facts.len() as u32 + 1;
    for (c, k) in [
        "assessment-indicator",
        "assessment-figures",
        "assessment-records-link",
        "assessment-points",
        "assessment-max",
        "assessment-scored-by",
    ]
    .iter()
    .enumerate()
    {
        ws.write_string_with_format(top, c as u16, tr.t(k), &bold)?;
    }
    let mut row = top + 1;
    for l in &s.score.lines {
        ws.write_string(
            row,
            0,
            tr.t(&format!("assessment-indicator-{}", l.indicator)),
        )?;
        let mut figs = Vec::new();
        let mut links = Vec::new();
        for (k, v) in &l.figures {
            let fig = store::area::figure(k);
            let shown = fig
                .map(|f| crate::dashboard::show_value(f.kind, *v, tr))
                .unwrap_or_else(|| v.to_string());
            figs.push(format!("{}: {shown}", tr.t(k)));
            if let Some(f) = fig {
                links.push(format!("{base}{}", f.href(s.school, year)));
            }
        }
        if l.scorer.is_some()
            && let Some(h) = history.iter().find(|h| h.indicator == l.indicator)
        {
            for e in h.evidence() {
                if e.starts_with('/') {
                    links.push(format!("{base}{e}"));
                } else {
                    figs.push(e);
                }
            }
        }
        ws.write_string(row, 1, figs.join("\n"))?;
        ws.write_string(row, 2, links.join("\n"))?;
        ws.write_number(row, 3, l.points as f64)?;
        ws.write_number(row, 4, l.max as f64)?;
        ws.write_string(
            row,
            5,
            l.scorer.map(|x| scorer_label(tr, x)).unwrap_or_default(),
        )?;
        row += 1;
    }
    ws.write_string_with_format(row, 0, tr.t("assessment-earned"), &bold)?;
    ws.write_number(row, 3, s.score.earned as f64)?;
    ws.write_number(row, 4, scheme.full_max() as f64)?;
    // The staff-home evidence files of the year, each with its address, under the lines.
    row += 2;
    ws.write_string_with_format(row, 0, tr.t("assessment-evidence-files"), &bold)?;
    for f in files {
        row += 1;
        ws.write_string(row, 0, tr.t(&format!("assessment-standard-{}", f.standard)))?;
        ws.write_string(row, 1, &f.file_name)?;
        ws.write_string(row, 2, format!("{base}/assessment/evidence/{}", f.id))?;
    }
    ws.set_column_width(0, 28)?;
    ws.set_column_width(1, 40)?;
    ws.set_column_width(2, 50)?;

    let hs = wb.add_worksheet();
    hs.set_name(tr.t("assessment-hand-history"))?;
    for (c, k) in [
        "assessment-decided",
        "assessment-indicator",
        "assessment-points",
        "assessment-scored-by",
        "assessment-evidence",
        "assessment-appeal-outcome",
    ]
    .iter()
    .enumerate()
    {
        hs.write_string_with_format(0, c as u16, tr.t(k), &bold)?;
    }
    for (i, h) in history.iter().enumerate() {
        let r = i as u32 + 1;
        hs.write_string(r, 0, h.scored_on.to_string())?;
        hs.write_string(r, 1, tr.t(&format!("assessment-indicator-{}", h.indicator)))?;
        hs.write_number(r, 2, h.points as f64)?;
        hs.write_string(r, 3, &h.scored_by_label)?;
        hs.write_string(r, 4, h.evidence().join("\n"))?;
        hs.write_string(
            r,
            5,
            h.appeal_id.map(|x| format!("#{x}")).unwrap_or_default(),
        )?;
    }
    let ps = wb.add_worksheet();
    ps.set_name(tr.t("assessment-appeals"))?;
    for (c, k) in [
        "assessment-indicator",
        "assessment-applied-on",
        "assessment-reason",
        "assessment-status",
        "assessment-appeal-outcome",
    ]
    .iter()
    .enumerate()
    {
        ps.write_string_with_format(0, c as u16, tr.t(k), &bold)?;
    }
    for (i, x) in appeals.iter().enumerate() {
        let r = i as u32 + 1;
        ps.write_string(r, 0, tr.t(&format!("assessment-indicator-{}", x.indicator)))?;
        ps.write_string(r, 1, format!("{} · {}", x.filed_on, x.filed_by_label))?;
        ps.write_string(r, 2, &x.reason)?;
        ps.write_string(r, 3, tr.opt_label(x.status()))?;
        ps.write_string(r, 4, x.outcome.clone().unwrap_or_default())?;
    }
    let es = wb.add_worksheet();
    es.set_name(tr.t("assessment-evidence-files"))?;
    for (c, k) in [
        "assessment-standard",
        "assessment-evidence-files",
        "assessment-records-link",
    ]
    .iter()
    .enumerate()
    {
        es.write_string_with_format(0, c as u16, tr.t(k), &bold)?;
    }
    for (i, f) in files.iter().enumerate() {
        let r = i as u32 + 1;
        es.write_string(r, 0, tr.t(&format!("assessment-standard-{}", f.standard)))?;
        es.write_string(r, 1, &f.file_name)?;
        es.write_string(r, 2, format!("{base}/assessment/evidence/{}", f.id))?;
    }
    wb.save_to_buffer()
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct TierQuery {
    tier: String,
}

/// The candidates of an upward nomination (city or province) as a workbook, audited.
pub async fn nominations_xlsx(
    State(state): State<AppState>,
    a: Auth,
    Query(q): Query<TierQuery>,
) -> AppResult {
    let cap = a.actor.authorize::<perm::AssessmentReview>()?;
    let tier = if q.tier.trim().is_empty() {
        "city"
    } else {
        q.tier.trim()
    };
    let (nom, rows) =
        match homes::nominees(&state.store, &cap, &a.who(), tier, crate::today()).await {
            Ok(v) => v,
            Err(StoreError::NotFound) => return Err(AppError::NotFound),
            Err(e) => return Err(e.into()),
        };
    let tr = a.tr;
    let base = state.config.public_url.clone().unwrap_or_default();
    let bytes = nominations_workbook(&tr, &base, nom, &rows)
        .map_err(|e| AppError::Internal(format!("xlsx: {e}")))?;
    let title = tr.t(&format!("assessment-nomination-{}", nom.tier));
    Ok(crate::congress::xlsx(
        bytes,
        &format!("{title}.xlsx"),
        &format!("staff-home-nominations-{}.xlsx", nom.tier),
    ))
}

fn nominations_workbook(
    tr: &Tr,
    base: &str,
    nom: &Nomination,
    rows: &[homes::NomineeRow],
) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();
    let ws = wb.add_worksheet();
    ws.write_string_with_format(
        0,
        0,
        tr.t(&format!("assessment-nomination-{}", nom.tier)),
        &bold,
    )?;
    ws.write_string(
        0,
        1,
        tr.ta(
            "assessment-nomination-note",
            &[
                ("count", nom.count.to_string()),
                ("level", tr.opt_label(Some(nom.level))),
                ("candidates", rows.len().to_string()),
            ],
        ),
    )?;
    for (c, k) in [
        "assessment-rank",
        "assessment-nominated",
        "col-school",
        "col-area",
        "assessment-level",
        "assessment-decided",
        "assessment-area-score",
        "assessment-self-assessment",
        "assessment-evidence",
        "assessment-application",
    ]
    .iter()
    .enumerate()
    {
        ws.write_string_with_format(2, c as u16, tr.t(k), &bold)?;
    }
    for (i, r) in rows.iter().enumerate() {
        let row = i as u32 + 3;
        ws.write_number(row, 0, (i + 1) as f64)?;
        ws.write_string(
            row,
            1,
            if (i as i64) < nom.count {
                tr.t("assessment-nominated-yes")
            } else {
                tr.t("assessment-nominated-reserve")
            },
        )?;
        ws.write_string(row, 2, &r.school_name)?;
        ws.write_string(row, 3, r.area_name.as_deref().unwrap_or(""))?;
        ws.write_string(row, 4, tr.opt_label(Some(nom.level)))?;
        ws.write_string(row, 5, r.awarded_on.to_string())?;
        if let Some(v) = r.area_score {
            ws.write_number(row, 6, v as f64)?;
        }
        if let Some(v) = r.self_total {
            ws.write_number(row, 7, v as f64)?;
        }
        let ev: Vec<String> = r
            .evidence()
            .into_iter()
            .map(|e| {
                if e.starts_with('/') {
                    format!("{base}{e}")
                } else {
                    e
                }
            })
            .collect();
        ws.write_string(row, 8, ev.join("\n"))?;
        if let Some(id) = r.application_id {
            ws.write_string(row, 9, format!("{base}/assessment/homes/{id}"))?;
        }
    }
    ws.set_column_width(2, 24)?;
    ws.set_column_width(8, 40)?;
    ws.set_column_width(9, 40)?;
    wb.save_to_buffer()
}

// ---- Staff homes -------------------------------------------------------------------

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RegisterQuery {
    unit: String,
    level: String,
}

/// A school of the register.
pub struct RegisterView {
    pub school: String,
    pub level: String,
    pub level_code: &'static str,
    pub app_id: Option<i64>,
    pub app_text: String,
    pub app_status_code: &'static str,
}

#[derive(Template)]
#[template(path = "assessment/homes.html")]
struct RegisterPage {
    p: Chrome,
    rows: Vec<RegisterView>,
    summary: String,
    levels: Vec<Opt>,
    can_apply: bool,
    can_downgrade: bool,
    downgradable: Vec<Opt>,
}

pub async fn register_page(
    State(state): State<AppState>,
    a: Auth,
    Query(q): Query<RegisterQuery>,
) -> AppResult {
    let cap = a.actor.authorize::<perm::AssessmentView>()?;
    let all = homes::register(&state.store, &cap, crate::today()).await?;
    let tr = a.tr;
    let count = |l: HomeLevel| all.iter().filter(|r| r.level == Some(l)).count();
    let summary = tr.ta(
        "assessment-homes-summary",
        &[
            ("schools", all.len().to_string()),
            (
                "qualified",
                all.iter().filter(|r| r.level.is_some()).count().to_string(),
            ),
            ("advanced", count(HomeLevel::Advanced).to_string()),
            ("model", count(HomeLevel::Model).to_string()),
        ],
    );
    let unit = q.unit.trim().parse::<i64>().ok();
    let level = HomeLevel::from_code(q.level.trim());
    let downgradable = all
        .iter()
        .filter(|r| r.level.is_some())
        .map(|r| Opt::new(r.school.0, &r.school_name, Some(r.school.0) == unit))
        .collect();
    let rows = all
        .iter()
        .filter(|r| unit.is_none_or(|u| u == r.school.0))
        .filter(|r| level.is_none_or(|l| r.level == Some(l)))
        .map(|r| RegisterView {
            school: r.school_name.clone(),
            level: tr.opt_label(r.level),
            level_code: r.level.map(|l| l.code()).unwrap_or("none"),
            app_id: r.application.as_ref().map(|x| x.id),
            app_text: r
                .application
                .as_ref()
                .map(|x| format!("{} · {}", tr.opt_label(x.level()), tr.opt_label(x.status())))
                .unwrap_or_default(),
            app_status_code: r
                .application
                .as_ref()
                .and_then(|x| x.status())
                .map(|s| s.code())
                .unwrap_or(""),
        })
        .collect();
    a.render(&RegisterPage {
        p: Chrome::new(&a, "assessment-homes-title"),
        rows,
        summary,
        levels: coded_options::<HomeLevel>(&tr, q.level.trim(), Some("assessment-all-levels")),
        can_apply: a.actor.may(Permission::HomeApply),
        can_downgrade: a.actor.may(Permission::AssessmentReview),
        downgradable,
    })
}

/// The self-assessment form as typed.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ApplyForm {
    school: String,
    level: String,
    score0: String,
    score1: String,
    score2: String,
    score3: String,
    score4: String,
    score5: String,
    evidence: String,
}

impl ApplyForm {
    fn scores(&self) -> Vec<String> {
        vec![
            self.score0.clone(),
            self.score1.clone(),
            self.score2.clone(),
            self.score3.clone(),
            self.score4.clone(),
            self.score5.clone(),
        ]
    }
}

/// One standard's field of the form.
pub struct StandardField {
    pub field: &'static str,
    pub label: String,
    pub max: i64,
    pub value: String,
    pub error: String,
    /// The evidence file's field of the standard, and its refusal.
    pub file_field: &'static str,
    pub file_error: String,
}

#[derive(Template)]
#[template(path = "assessment/apply.html")]
struct ApplyPage {
    p: Chrome,
    schools: Vec<Opt>,
    levels: Vec<Opt>,
    standards: Vec<StandardField>,
    evidence: String,
    errors: FieldErrors,
    error_texts: Vec<String>,
    /// The largest evidence file, in MB.
    max_mb: usize,
}

async fn render_apply(state: &AppState, a: &Auth, f: &ApplyForm, errors: FieldErrors) -> AppResult {
    let cap = a.actor.authorize::<perm::HomeApply>()?;
    let tr = a.tr;
    let schools = store::org::units::schools(&state.store.db, &cap)
        .await?
        .into_iter()
        .map(|s| Opt::new(s.id.0, &s.name, f.school.trim() == s.id.0.to_string()))
        .collect();
    let scores = f.scores();
    let standards = current()
        .standards
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let field = SCORE_FIELDS[i];
            let file_field = EVIDENCE_FILE_FIELDS[i];
            StandardField {
                field,
                label: tr.t(&format!("assessment-standard-{}", s.code)),
                max: s.points,
                value: scores[i].clone(),
                error: errors.get(field).map(|e| tr.fe(e)).unwrap_or_default(),
                file_field,
                file_error: errors.get(file_field).map(|e| tr.fe(e)).unwrap_or_default(),
            }
        })
        .collect();
    let error_texts = errors.0.iter().map(|e| tr.fe(e)).collect();
    let mut r = a.render(&ApplyPage {
        p: Chrome::new(a, "assessment-apply-title"),
        schools,
        levels: coded_options::<HomeLevel>(&tr, f.level.trim(), None),
        standards,
        evidence: f.evidence.clone(),
        errors: errors.clone(),
        error_texts,
        max_mb: store::kit::PROOF_MAX_BYTES >> 20,
    })?;
    if !errors.is_empty() {
        *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(r)
}

pub async fn apply_page(State(state): State<AppState>, a: Auth) -> AppResult {
    render_apply(&state, &a, &ApplyForm::default(), FieldErrors::default()).await
}

/// A state refusal becomes a message on the page the person came from.
fn step_refused(a: &Auth, back: &str, e: StoreError) -> AppResult {
    match e {
        StoreError::State(key) => Ok(a.redirect(back, Flash::error(key))),
        StoreError::Stale => Ok(a.redirect(back, Flash::error(domain::text::STEP_NOT_ALLOWED))),
        StoreError::NotFound => Err(AppError::NotFound),
        other => Err(other.into()),
    }
}

/// The self-assessment as sent: the typed fields, the evidence files chosen (one field per
/// standard, checked by content in the store's kit) and the refusals of files at their
/// fields. A form without files may come url-encoded.
struct ApplySent {
    form: ApplyForm,
    files: Vec<store::assessment::evidence::Checked>,
    errors: FieldErrors,
}

async fn read_apply(state: &AppState, req: axum::extract::Request) -> Result<ApplySent, AppError> {
    use axum::extract::FromRequest;
    let multipart = req
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    let mut out = ApplySent {
        form: ApplyForm::default(),
        files: Vec::new(),
        errors: FieldErrors::default(),
    };
    if !multipart {
        let Form(f) = Form::<ApplyForm>::from_request(req, state)
            .await
            .map_err(|_| AppError::BadRequest)?;
        out.form = f;
        return Ok(out);
    }
    let mut mp = axum::extract::Multipart::from_request(req, state)
        .await
        .map_err(|_| AppError::BadRequest)?;
    let standards = current().standards;
    let too_large = |field: &'static str| {
        domain::FieldError::new(field, text::EVIDENCE_FILE_SIZE)
            .arg("item", "…")
            .arg("max", store::kit::PROOF_MAX_BYTES >> 20)
    };
    loop {
        let field = match mp.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            // The body went past the route's limit: the files were far too large.
            Err(_) => {
                out.errors.push(too_large(EVIDENCE_FILE_FIELDS[0]));
                break;
            }
        };
        let name = field.name().unwrap_or("").to_string();
        if let Some(i) = EVIDENCE_FILE_FIELDS.iter().position(|f| *f == name) {
            let fname = field.file_name().unwrap_or("").to_string();
            let bytes = match field.bytes().await {
                Ok(b) => b,
                Err(_) => {
                    out.errors.push(too_large(EVIDENCE_FILE_FIELDS[i]));
                    break;
                }
            };
            // A browser sends an empty part when no file was chosen.
            if bytes.is_empty() && fname.is_empty() {
                continue;
            }
            let Some(std) = standards.get(i) else {
                continue;
            };
            let up = store::assessment::evidence::Upload {
                standard: std.code,
                file_name: fname,
                bytes: bytes.to_vec(),
            };
            match store::assessment::evidence::check(EVIDENCE_FILE_FIELDS[i], up) {
                Ok(c) => out.files.push(c),
                Err(e) => out.errors.push(e),
            }
            continue;
        }
        let value = field.text().await.map_err(|_| AppError::BadRequest)?;
        let f = &mut out.form;
        match name.as_str() {
            "school" => f.school = value,
            "level" => f.level = value,
            "score0" => f.score0 = value,
            "score1" => f.score1 = value,
            "score2" => f.score2 = value,
            "score3" => f.score3 = value,
            "score4" => f.score4 = value,
            "score5" => f.score5 = value,
            "evidence" => f.evidence = value,
            _ => {}
        }
    }
    Ok(out)
}

/// A school's self-assessment, with evidence typed and files per standard (photos or PDFs,
/// proved by content): a refused file comes back at its field, nothing stored.
pub async fn apply(
    State(state): State<AppState>,
    a: Auth,
    req: axum::extract::Request,
) -> AppResult {
    let cap = a.actor.authorize::<perm::HomeApply>()?;
    let sent = read_apply(&state, req).await?;
    let f = sent.form;
    let input = SelfAssessmentInput {
        level: f.level.clone(),
        scores: f.scores(),
        evidence: f.evidence.clone(),
    };
    let school = f.school.trim().parse::<i64>().ok().map(OrgUnitId);
    let files_ok = sent.errors.is_empty();
    // A refused file still counts as evidence given: its own refusal says what is wrong.
    let given = sent.files.len() + sent.errors.0.len();
    let mut errors = match input.parse_with_files(current(), given) {
        Ok(sa) => match school {
            Some(school) if files_ok => {
                match homes::apply_with_files(
                    &state.store,
                    &cap,
                    &a.who(),
                    school,
                    &sa,
                    &sent.files,
                    crate::today(),
                )
                .await
                {
                    Ok(id) => {
                        return Ok(a.redirect(
                            &format!("/assessment/homes/{id}"),
                            Flash::ok("assessment-applied"),
                        ));
                    }
                    Err(StoreError::Invalid(e)) => e,
                    Err(e) => return step_refused(&a, "/assessment/homes", e),
                }
            }
            _ => FieldErrors::default(),
        },
        Err(e) => e,
    };
    for e in sent.errors.0 {
        errors.push(e);
    }
    if school.is_none() {
        errors.push(domain::FieldError::new("school", text::NOT_A_SCHOOL));
    }
    render_apply(&state, &a, &f, errors).await
}

/// An evidence file added to an application still waiting for its area (the school).
pub async fn attach_evidence(
    State(state): State<AppState>,
    a: Auth,
    Path(id): Path<i64>,
    mut mp: axum::extract::Multipart,
) -> AppResult {
    let cap = a.actor.authorize::<perm::HomeApply>()?;
    let back = format!("/assessment/homes/{id}");
    let mut standard = String::new();
    let mut file: Option<(String, Vec<u8>)> = None;
    let refused = |e: domain::FieldError| {
        let mut errors = FieldErrors::default();
        errors.push(e);
        errors
    };
    let too_large = || {
        domain::FieldError::new("file", text::EVIDENCE_FILE_SIZE)
            .arg("item", "…")
            .arg("max", store::kit::PROOF_MAX_BYTES >> 20)
    };
    let mut cut = false;
    loop {
        match mp.next_field().await {
            Ok(Some(f)) => match f.name() {
                Some("standard") => standard = f.text().await.unwrap_or_default(),
                Some("file") => {
                    let name = f.file_name().unwrap_or("").to_string();
                    match f.bytes().await {
                        Ok(b) => file = Some((name, b.to_vec())),
                        Err(_) => {
                            cut = true;
                            break;
                        }
                    }
                }
                _ => {}
            },
            Ok(None) => break,
            Err(_) => {
                cut = true;
                break;
            }
        }
    }
    let form = StepForm {
        standard: standard.clone(),
        ..StepForm::default()
    };
    if cut {
        return render_application(&state, &a, id, &form, refused(too_large())).await;
    }
    let Some(std) = current()
        .standards
        .iter()
        .find(|s| s.code == standard.trim())
    else {
        let e = domain::FieldError::new("standard", domain::text::REQUIRED);
        return render_application(&state, &a, id, &form, refused(e)).await;
    };
    let (name, bytes) = file.unwrap_or_default();
    let up = store::assessment::evidence::Upload {
        standard: std.code,
        file_name: name,
        bytes,
    };
    let checked = match store::assessment::evidence::check("file", up) {
        Ok(c) => c,
        Err(e) => return render_application(&state, &a, id, &form, refused(e)).await,
    };
    match store::assessment::evidence::attach(
        &state.store,
        &cap,
        &a.who(),
        HomeApplicationId(id),
        checked,
    )
    .await
    {
        Ok(_) => Ok(a.redirect(&back, Flash::ok("assessment-evidence-added"))),
        Err(e) => step_refused(&a, &back, e),
    }
}

/// An evidence file, for a reader in the scope of its school (404 otherwise), served as
/// what its content proved it to be (`nosniff`).
pub async fn evidence_file(
    State(state): State<AppState>,
    a: Auth,
    Path(id): Path<i64>,
) -> AppResult {
    let cap = a.actor.authorize::<perm::AssessmentView>()?;
    match store::assessment::evidence::file(&state.store, &cap, id).await {
        Ok((name, kind, bytes)) => Ok(crate::funds::books::proven_file(&name, kind, bytes)),
        Err(StoreError::NotFound) => Err(AppError::NotFound),
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "assessment/application.html")]
struct ApplicationPage {
    p: Chrome,
    id: i64,
    school: String,
    level: String,
    status: String,
    status_code: &'static str,
    applied: String,
    scores: Vec<(String, i64, i64)>,
    self_total: i64,
    evidence: Vec<(String, bool)>,
    /// The evidence files: (id, standard, file name).
    files: Vec<(i64, String, String)>,
    /// The school may still add files (before its area's recommendation).
    can_attach: bool,
    standards: Vec<Opt>,
    max_mb: usize,
    area_score: String,
    recommended_by: String,
    first_reviewer: String,
    decided: String,
    note: String,
    history: Vec<(String, String, String, String)>,
    can_recommend: bool,
    can_review: bool,
    errors: FieldErrors,
    score: String,
    reason: String,
    min_score: i64,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct StepForm {
    decision: String,
    score: String,
    note: String,
    reason: String,
    /// The standard an evidence file is added for.
    standard: String,
}

async fn render_application(
    state: &AppState,
    a: &Auth,
    id: i64,
    f: &StepForm,
    errors: FieldErrors,
) -> AppResult {
    let cap = a.actor.authorize::<perm::AssessmentView>()?;
    let app = match homes::get(&state.store, &cap, HomeApplicationId(id)).await {
        Ok(x) => x,
        Err(StoreError::NotFound) => return Err(AppError::NotFound),
        Err(e) => return Err(e.into()),
    };
    let school = OrgUnitId(app.school_union_id);
    let history = homes::history(&state.store, &cap, school).await?;
    let files =
        store::assessment::evidence::of_application(&state.store, &cap, HomeApplicationId(id))
            .await?;
    let tr = a.tr;
    let status = app.status();
    let scheme = domain::assessment::scheme(app.scheme_version).unwrap_or(current());
    let max_of = |code: &str| {
        scheme
            .standards
            .iter()
            .find(|s| s.code == code)
            .map(|s| s.points)
            .unwrap_or(0)
    };
    let mut r = a.render(&ApplicationPage {
        p: Chrome::new(a, "assessment-application-title"),
        id,
        school: app.school_name.clone(),
        level: tr.opt_label(app.level()),
        status: tr.opt_label(status),
        status_code: status.map(|s| s.code()).unwrap_or(""),
        applied: format!("{} · {}", tr.date(&app.applied_on), app.applied_by_label),
        scores: app
            .scores()
            .into_iter()
            .map(|(c, v)| {
                let m = max_of(&c);
                (tr.t(&format!("assessment-standard-{c}")), v, m)
            })
            .collect(),
        self_total: app.self_total,
        evidence: app
            .evidence()
            .into_iter()
            .map(|e| {
                let link = e.starts_with('/');
                (e, link)
            })
            .collect(),
        files: files
            .iter()
            .map(|f| {
                (
                    f.id,
                    tr.t(&format!("assessment-standard-{}", f.standard)),
                    f.file_name.clone(),
                )
            })
            .collect(),
        can_attach: a.actor.may(Permission::HomeApply)
            && status == Some(ApplicationStatus::SelfAssessed),
        max_mb: store::kit::PROOF_MAX_BYTES >> 20,
        standards: scheme
            .standards
            .iter()
            .map(|x| {
                Opt::new(
                    x.code,
                    tr.t(&format!("assessment-standard-{}", x.code)),
                    f.standard.trim() == x.code,
                )
            })
            .collect(),
        area_score: app.area_score.map(|s| s.to_string()).unwrap_or_default(),
        recommended_by: app.recommended_by_label.clone().unwrap_or_default(),
        first_reviewer: app.first_reviewer_label.clone().unwrap_or_default(),
        decided: app
            .decided_on
            .map(|d| {
                format!(
                    "{} · {}",
                    tr.date(&d),
                    app.decided_by_label.clone().unwrap_or_default()
                )
            })
            .unwrap_or_default(),
        note: app.note.clone().unwrap_or_default(),
        history: history
            .iter()
            .map(|h| {
                (
                    tr.date(&h.decided_on),
                    tr.opt_label(LevelChange::from_code(&h.change)),
                    tr.opt_label(h.level.as_deref().and_then(HomeLevel::from_code)),
                    h.reason.clone().unwrap_or_default(),
                )
            })
            .collect(),
        can_recommend: a.actor.may(Permission::HomeRecommend)
            && status == Some(ApplicationStatus::SelfAssessed),
        can_review: a.actor.may(Permission::AssessmentReview)
            && matches!(
                status,
                Some(ApplicationStatus::Recommended | ApplicationStatus::FirstReview)
            ),
        errors: errors.clone(),
        score: f.score.clone(),
        reason: f.reason.clone(),
        min_score: app.level().map(|l| scheme.min_score_for(l)).unwrap_or(0),
    })?;
    if !errors.is_empty() {
        *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(r)
}

pub async fn application_page(
    State(state): State<AppState>,
    a: Auth,
    Path(id): Path<i64>,
) -> AppResult {
    render_application(&state, &a, id, &StepForm::default(), FieldErrors::default()).await
}

pub async fn recommend(
    State(state): State<AppState>,
    a: Auth,
    Path(id): Path<i64>,
    Form(f): Form<StepForm>,
) -> AppResult {
    let cap = a.actor.authorize::<perm::HomeRecommend>()?;
    let back = format!("/assessment/homes/{id}");
    let score = match parse_score("score", &f.score, 100) {
        Ok(s) => s,
        Err(e) => return render_application(&state, &a, id, &f, FieldErrors(vec![e])).await,
    };
    match homes::recommend(
        &state.store,
        &cap,
        &a.who(),
        HomeApplicationId(id),
        f.decision == "recommend",
        score,
        &f.note,
        crate::today(),
    )
    .await
    {
        Ok(()) => Ok(a.redirect(&back, Flash::ok("assessment-recommended"))),
        Err(StoreError::Invalid(e)) => render_application(&state, &a, id, &f, e).await,
        Err(e) => step_refused(&a, &back, e),
    }
}

pub async fn review(
    State(state): State<AppState>,
    a: Auth,
    Path(id): Path<i64>,
    Form(f): Form<StepForm>,
) -> AppResult {
    let cap = a.actor.authorize::<perm::AssessmentReview>()?;
    let back = format!("/assessment/homes/{id}");
    match homes::review(
        &state.store,
        &cap,
        &a.who(),
        HomeApplicationId(id),
        f.decision == "approve",
        &f.reason,
        crate::today(),
    )
    .await
    {
        Ok(()) => Ok(a.redirect(&back, Flash::ok("assessment-reviewed"))),
        Err(StoreError::Invalid(e)) => render_application(&state, &a, id, &f, e).await,
        Err(e) => step_refused(&a, &back, e),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DowngradeForm {
    school: String,
    reason: String,
}

pub async fn downgrade(
    State(state): State<AppState>,
    a: Auth,
    Form(f): Form<DowngradeForm>,
) -> AppResult {
    let cap = a.actor.authorize::<perm::AssessmentReview>()?;
    let back = "/assessment/homes";
    let school: i64 = f.school.trim().parse().map_err(|_| AppError::NotFound)?;
    match homes::downgrade(
        &state.store,
        &cap,
        &a.who(),
        OrgUnitId(school),
        &f.reason,
        crate::today(),
    )
    .await
    {
        Ok(_) => Ok(a.redirect(back, Flash::ok("assessment-downgraded"))),
        Err(StoreError::Invalid(e)) => Ok(a.redirect(
            back,
            e.0.first()
                .map(|x| Flash::error(x.key))
                .unwrap_or_else(|| Flash::error(domain::text::STEP_NOT_ALLOWED)),
        )),
        Err(e) => step_refused(&a, back, e),
    }
}
