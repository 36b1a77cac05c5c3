//! An election's four documents as Word files (.docx), beside the print view of
//! `/elections/{id}/report`: the school's application (申请), the candidate list (候选人名单),
//! the election report (选举结果报告) and the upper union's approval (批复). Each is written
//! from the election as stored — its steps with their rule-set versions, its candidates
//! and votes — with the writer of the year summary (`work_summary::export::docx`), so the
//! files read like the print view.
//!
//! This module only chooses the text: it never changes an election, and reads it through
//! `workflow::get` with `Cap<ElectionView>`, so another school's election answers 404.

use crate::ctx::Auth;
use crate::error::{AppError, AppResult};
use crate::i18n::Tr;
use crate::state::AppState;
use crate::work_summary::export::{self, Block};
use axum::extract::{Path, State};
use domain::auth::perm;
use domain::elections::*;
use store::elections::workflow::{self, Election};

/// Which document.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Doc {
    Application,
    Candidates,
    Report,
    Approval,
}

impl Doc {
    fn slug(self) -> &'static str {
        match self {
            Doc::Application => "application",
            Doc::Candidates => "candidates",
            Doc::Report => "report",
            Doc::Approval => "approval",
        }
    }

    fn title_key(self) -> &'static str {
        match self {
            Doc::Application => "elections-docx-application",
            Doc::Candidates => "elections-docx-candidates",
            Doc::Report => "elections-report-result",
            Doc::Approval => "elections-docx-approval",
        }
    }
}

fn step(e: &Election, s: ElectionStep) -> Option<&workflow::StepRow> {
    e.steps.iter().rev().find(|x| x.step == s)
}

fn step_line(tr: &Tr, e: &Election, s: ElectionStep) -> Option<Block> {
    step(e, s).map(|x| {
        Block::Para(tr.ta(
            "elections-docx-step",
            &[
                ("step", tr.label(x.step)),
                ("on", tr.date(&x.taken_on)),
                ("by", x.taken_by.clone()),
                ("version", x.version.to_string()),
            ],
        ))
    })
}

/// The text of one document.
pub fn blocks(tr: &Tr, e: &Election, doc: Doc) -> Vec<Block> {
    let r = &e.rules;
    let row = &e.row;
    let head = format!(
        "{}{}{}",
        row.school_name,
        tr.label(row.committee_kind),
        tr.label(row.kind)
    );
    let mut b = vec![
        Block::Title(tr.t(doc.title_key())),
        Block::Heading(head.clone()),
    ];
    let seats = row.seats.to_string();
    match doc {
        Doc::Application => {
            b.push(Block::Para(tr.ta(
                "elections-docx-application-body",
                &[
                    ("school", row.school_name.clone()),
                    ("committee", tr.label(row.committee_kind)),
                    ("kind", tr.label(row.kind)),
                    ("seats", seats.clone()),
                    ("assembly", tr.label(row.assembly)),
                ],
            )));
            if let Some(y) = row.term_years {
                b.push(Block::Para(tr.t1(
                    "elections-docx-application-term",
                    "years",
                    y,
                )));
            }
            b.extend(step_line(tr, e, ElectionStep::Apply));
        }
        Doc::Candidates => {
            b.push(Block::Para(
                tr.ta(
                    "elections-nominate-help",
                    &[
                        ("seats", seats.clone()),
                        (
                            "need",
                            r.candidates_needed(row.committee_kind, row.seats as u32)
                                .to_string(),
                        ),
                        ("margin", r.margin.display()),
                    ],
                ),
            ));
            for (i, c) in e.candidates.iter().enumerate() {
                b.push(Block::Para(format!("{}. {}", i + 1, c.name)));
            }
            if e.candidates.is_empty() {
                b.push(Block::Para(tr.t("elections-no-candidates")));
            }
            b.extend(step_line(tr, e, ElectionStep::Nominate));
            b.extend(step_line(tr, e, ElectionStep::ApproveSlate));
        }
        Doc::Report => {
            b.push(Block::Para(format!(
                "{}: {} · {}: {}",
                tr.t("elections-assembly"),
                tr.label(row.assembly),
                tr.t("elections-held-on"),
                tr.opt_date(&row.held_on)
            )));
            if let Some(due) = row.voters_due {
                let d = due.max(0) as u32;
                b.push(Block::Para(
                    tr.ta(
                        "elections-report-numbers",
                        &[
                            ("due", due.to_string()),
                            (
                                "present",
                                row.present.map(|p| p.to_string()).unwrap_or_default(),
                            ),
                            (
                                "quorum",
                                domain::rules::Threshold::at_least(r.quorum.num, r.quorum.den)
                                    .needed(d)
                                    .to_string(),
                            ),
                            (
                                "elect",
                                domain::rules::Threshold::more_than(r.elect.num, r.elect.den)
                                    .needed(d)
                                    .to_string(),
                            ),
                        ],
                    ),
                ));
            }
            b.push(Block::Heading(tr.t("elections-candidates")));
            for c in &e.candidates {
                let mut line = format!(
                    "{}　{} {}",
                    c.name,
                    tr.t("elections-votes"),
                    c.votes.map(|v| v.to_string()).unwrap_or_default()
                );
                if c.elected {
                    line.push_str(&format!("　{}", tr.t("elections-elected")));
                }
                b.push(Block::Para(line));
            }
            b.extend(step_line(tr, e, ElectionStep::Hold));
            b.push(Block::Para(tr.t("elections-report-signatures")));
        }
        Doc::Approval => {
            match step(e, ElectionStep::Approve) {
                Some(s) => b.push(Block::Para(tr.ta(
                    "elections-docx-approval-seats",
                    &[
                        ("school", row.school_name.clone()),
                        ("kind", head.clone()),
                        ("seats", s.note.clone().unwrap_or_else(|| seats.clone())),
                        ("on", tr.date(&s.taken_on)),
                    ],
                ))),
                None => b.push(Block::Para(tr.t("elections-docx-not-yet"))),
            }
            if let Some(s) = step(e, ElectionStep::ApproveSlate) {
                let names: Vec<&str> = e.candidates.iter().map(|c| c.name.as_str()).collect();
                b.push(Block::Para(tr.ta(
                    "elections-docx-approval-slate",
                    &[("names", names.join("、")), ("on", tr.date(&s.taken_on))],
                )));
            }
            if let Some(s) = step(e, ElectionStep::Confirm) {
                let names: Vec<&str> = e
                    .candidates
                    .iter()
                    .filter(|c| c.elected)
                    .map(|c| c.name.as_str())
                    .collect();
                b.push(Block::Para(tr.ta(
                    "elections-docx-approval-result",
                    &[("names", names.join("、")), ("on", tr.date(&s.taken_on))],
                )));
                if let (Some(held), Some(years), ElectionKind::General) =
                    (row.held_on, row.term_years, row.kind)
                {
                    b.push(Block::Para(tr.ta(
                        "elections-docx-approval-term",
                        &[
                            ("start", tr.date(&held)),
                            ("end", tr.date(&term_end(held, years.max(0) as u32))),
                        ],
                    )));
                }
            }
        }
    }
    let version = e.steps.last().map(|s| s.version).unwrap_or(1);
    b.push(Block::Note(tr.t1("elections-version", "version", version)));
    b
}

async fn file(state: &AppState, a: &Auth, id: i64, doc: Doc) -> AppResult {
    let cap = a.actor.authorize::<perm::ElectionView>()?;
    let e = workflow::get(&state.store, &cap, ElectionId(id)).await?;
    let name = format!("{}{}.docx", e.row.school_name, a.tr.t(doc.title_key()));
    let b = blocks(&a.tr, &e, doc);
    let bytes = tokio::task::spawn_blocking(move || export::docx(&b))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?
        .map_err(AppError::Internal)?;
    Ok(crate::work_summary::download(
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        &name,
        format!("election-{id}-{}.docx", doc.slug()),
        bytes,
    ))
}

pub async fn application(State(state): State<AppState>, a: Auth, Path(id): Path<i64>) -> AppResult {
    file(&state, &a, id, Doc::Application).await
}

pub async fn candidates(State(state): State<AppState>, a: Auth, Path(id): Path<i64>) -> AppResult {
    file(&state, &a, id, Doc::Candidates).await
}

pub async fn report(State(state): State<AppState>, a: Auth, Path(id): Path<i64>) -> AppResult {
    file(&state, &a, id, Doc::Report).await
}

pub async fn approval(State(state): State<AppState>, a: Auth, Path(id): Path<i64>) -> AppResult {
    file(&state, &a, id, Doc::Approval).await
}
