//! Proposals (提案) and suggestions (合理化建议): their typed ids, coded states and choices,
//! the proposal life cycle (which step each state allows, where a rating leads), and the
//! forms people fill in (a draft, a review, an assignment, a rating, progress, a
//! suggestion) parsed into values with field errors.
//!
//! Proposals are made at a staff congress (see [`crate::congress`]) but are an area of their
//! own: their own pages, figures and deadlines. Numbers that come from statutes or local
//! rules are in [`crate::rules`]. Nothing here does IO.

use crate::congress::{REASON_MAX, TEXT_MAX, TITLE_MAX};
use crate::error::{FieldError, FieldErrors};
use crate::ids::OrgUnitId;
use crate::kit::coded;
use crate::org::{optional_text, parse_choice, parse_date, required_text};
use crate::rules::RuleSet;
use crate::text as t;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

crate::kit::id_types!(ProposalId, SuggestionId);

coded!(
    /// The life of a proposal: drafted, seconded and submitted, reviewed, handled and
    /// answered (possibly several rounds), rated, implemented, closed. Merged, turned into a
    /// suggestion and rejected are ends.
    ProposalStatus, "proposal-status", {
    Draft = "draft" ["草稿"],
    Submitted = "submitted" ["已提交", "待审查"],
    Accepted = "accepted" ["已立案"],
    Handling = "handling" ["办理中"],
    Answered = "answered" ["已答复"],
    Implementing = "implementing" ["落实中"],
    Closed = "closed" ["已办结"],
    Merged = "merged" ["已并案"],
    ToSuggestion = "to_suggestion" ["转为意见建议"],
    Rejected = "rejected" ["不予立案"],
});

impl ProposalStatus {
    /// No further step is possible.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            ProposalStatus::Closed
                | ProposalStatus::Merged
                | ProposalStatus::ToSuggestion
                | ProposalStatus::Rejected
        )
    }

    /// Reached review (counted as received in reports).
    pub fn received(self) -> bool {
        self != ProposalStatus::Draft
    }

    /// Accepted for handling at some point (立案).
    pub fn accepted(self) -> bool {
        matches!(
            self,
            ProposalStatus::Accepted
                | ProposalStatus::Handling
                | ProposalStatus::Answered
                | ProposalStatus::Implementing
                | ProposalStatus::Closed
        )
    }

    /// Whether `step` may be taken in this state.
    pub fn allows(self, step: ProposalStep) -> bool {
        use ProposalStatus as S;
        use ProposalStep as A;
        match step {
            A::Edit | A::Invite | A::Second | A::Submit => self == S::Draft,
            A::Review => self == S::Submitted,
            A::Assign => matches!(self, S::Accepted | S::Handling),
            A::Reply => self == S::Handling,
            A::Rate => self == S::Answered,
            A::Progress => self == S::Implementing,
            A::Remind => self == S::Handling,
        }
    }
}

/// A step of the proposal life cycle, for [`ProposalStatus::allows`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProposalStep {
    Edit,
    Invite,
    Second,
    Submit,
    Review,
    Assign,
    Reply,
    Rate,
    Progress,
    Remind,
}

coded!(
    /// The proposals committee's decision (立案 / 并案 / 转为意见建议 / 不予立案).
    ReviewDecision, "review-decision", {
    Accept = "accept" ["立案"],
    Merge = "merge" ["并案"],
    ToSuggestion = "to_suggestion" ["转为意见建议", "转建议"],
    Reject = "reject" ["不予立案"],
});

impl ReviewDecision {
    pub fn status(self) -> ProposalStatus {
        match self {
            ReviewDecision::Accept => ProposalStatus::Accepted,
            ReviewDecision::Merge => ProposalStatus::Merged,
            ReviewDecision::ToSuggestion => ProposalStatus::ToSuggestion,
            ReviewDecision::Reject => ProposalStatus::Rejected,
        }
    }
}

coded!(Rating, "rating", {
    Satisfied = "satisfied" ["满意"],
    PartlySatisfied = "partly_satisfied" ["基本满意"],
    Dissatisfied = "dissatisfied" ["不满意"],
});

/// Where a proposal goes after the proposer rates the reply of round `round` (1-based):
/// dissatisfied goes back for handling while re-handling rounds remain; otherwise it is
/// implemented.
pub fn after_rating(rating: Rating, round: u32, r: &RuleSet) -> ProposalStatus {
    if rating == Rating::Dissatisfied && crate::rules::may_rehandle(round.saturating_sub(1), r) {
        ProposalStatus::Handling
    } else {
        ProposalStatus::Implementing
    }
}

coded!(ImplementationStatus, "implementation-status", {
    NotStarted = "not_started" ["未开始"],
    InProgress = "in_progress" ["落实中", "进行中"],
    Done = "done" ["已落实", "已完成"],
});

coded!(ProposalCategory, "proposal-category", {
    Teaching = "teaching" ["教育教学"],
    StaffWelfare = "staff_welfare" ["教职工权益", "福利"],
    Logistics = "logistics" ["后勤保障", "后勤"],
    Management = "management" ["学校管理", "管理"],
    Other = "other" ["其他"],
});

coded!(SeconderStatus, "seconder-status", {
    Invited = "invited" ["已邀请"],
    Seconded = "seconded" ["已附议"],
    Declined = "declined" ["已谢绝"],
});

coded!(SuggestionStatus, "suggestion-status", {
    Open = "open" ["待答复"],
    Answered = "answered" ["已答复"],
});

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ProposalInput {
    pub title: String,
    pub category: String,
    pub reasons: String,
    pub measures: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProposalDraft {
    pub title: String,
    pub category: ProposalCategory,
    pub reasons: String,
    pub measures: String,
}

impl ProposalInput {
    pub fn parse(&self) -> Result<ProposalDraft, FieldErrors> {
        let mut e = FieldErrors::default();
        let title = e.take(required_text("title", &self.title, TITLE_MAX));
        let category = if self.category.trim().is_empty() {
            Some(ProposalCategory::Other)
        } else {
            e.take(parse_choice::<ProposalCategory>("category", &self.category))
        };
        let reasons = e.take(required_text("reasons", &self.reasons, TEXT_MAX));
        let measures = e.take(required_text("measures", &self.measures, TEXT_MAX));
        match (title, category, reasons, measures) {
            (Some(title), Some(category), Some(reasons), Some(measures)) => Ok(ProposalDraft {
                title,
                category,
                reasons,
                measures,
            }),
            _ => Err(e),
        }
    }
}

/// A review decision with its reason (always given: the proposer sees it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Review {
    pub decision: ReviewDecision,
    pub reason: String,
    pub merge_into: Option<ProposalId>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ReviewInput {
    pub decision: String,
    pub reason: String,
    pub merge_into: String,
}

impl ReviewInput {
    pub fn parse(&self) -> Result<Review, FieldErrors> {
        let mut e = FieldErrors::default();
        let decision = e.take(parse_choice::<ReviewDecision>("decision", &self.decision));
        let reason = e.take(required_text("reason", &self.reason, REASON_MAX));
        let merge_into = match decision {
            Some(ReviewDecision::Merge) => e.take(
                self.merge_into
                    .trim()
                    .parse::<i64>()
                    .map(|v| Some(ProposalId(v)))
                    .map_err(|_| FieldError::new("merge_into", t::REQUIRED)),
            ),
            _ => Some(None),
        };
        match (decision, reason, merge_into) {
            (Some(decision), Some(reason), Some(merge_into)) => Ok(Review {
                decision,
                reason,
                merge_into,
            }),
            _ => Err(e),
        }
    }
}

/// A handling assignment: the department, its helpers and the reply deadline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Assignment {
    pub handler: OrgUnitId,
    pub co_handlers: Vec<OrgUnitId>,
    pub deadline: NaiveDate,
}

/// Parses an assignment. The deadline may not be in the past (today is allowed).
pub fn parse_assignment(
    handler: &str,
    co_handlers: &[String],
    deadline: &str,
    today: NaiveDate,
) -> Result<Assignment, FieldErrors> {
    let mut e = FieldErrors::default();
    let handler = e.take(
        handler
            .trim()
            .parse::<i64>()
            .map(OrgUnitId)
            .map_err(|_| FieldError::new("handler", t::REQUIRED)),
    );
    let mut co = Vec::new();
    for c in co_handlers {
        if let Ok(v) = c.trim().parse::<i64>() {
            let id = OrgUnitId(v);
            if Some(id) != handler && !co.contains(&id) {
                co.push(id);
            }
        }
    }
    let deadline = e.take(parse_date("deadline", deadline).and_then(|d| {
        if d < today {
            Err(FieldError::new("deadline", t::DEADLINE_PAST))
        } else {
            Ok(d)
        }
    }));
    match (handler, deadline) {
        (Some(handler), Some(deadline)) => Ok(Assignment {
            handler,
            co_handlers: co,
            deadline,
        }),
        _ => Err(e),
    }
}

/// A proposer's rating; a dissatisfied proposer says why (the department reads it).
pub fn parse_rating(rating: &str, comment: &str) -> Result<(Rating, Option<String>), FieldErrors> {
    let mut e = FieldErrors::default();
    let r = e.take(parse_choice::<Rating>("rating", rating));
    let c = e.take(optional_text("comment", comment, REASON_MAX));
    if let (Some(Rating::Dissatisfied), Some(None)) = (r, &c) {
        e.push(FieldError::new("comment", t::DISSATISFIED_REASON));
    }
    match (r, c) {
        (Some(r), Some(c)) if e.is_empty() => Ok((r, c)),
        _ => Err(e),
    }
}

/// Implementation progress: a state, a percentage and a note.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Progress {
    pub status: ImplementationStatus,
    pub percent: u32,
    pub note: String,
}

pub fn parse_progress(status: &str, percent: &str, note: &str) -> Result<Progress, FieldErrors> {
    let mut e = FieldErrors::default();
    let s = e.take(parse_choice::<ImplementationStatus>("status", status));
    let p = if percent.trim().is_empty() {
        Some(0)
    } else {
        e.take(
            percent
                .trim()
                .trim_end_matches('%')
                .parse::<u32>()
                .ok()
                .filter(|p| *p <= 100)
                .ok_or_else(|| {
                    FieldError::new("percent", t::NUMBER_RANGE)
                        .arg("min", 0)
                        .arg("max", 100)
                }),
        )
    };
    let n = e.take(required_text("note", note, REASON_MAX));
    match (s, p, n) {
        (Some(status), Some(percent), Some(note)) => Ok(Progress {
            status,
            percent: if status == ImplementationStatus::Done {
                100
            } else {
                percent
            },
            note,
        }),
        _ => Err(e),
    }
}

/// A suggestion (合理化建议): the lighter channel, open to every member.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SuggestionDraft {
    pub title: String,
    pub body: String,
}

pub fn parse_suggestion(title: &str, body: &str) -> Result<SuggestionDraft, FieldErrors> {
    let mut e = FieldErrors::default();
    let t = e.take(required_text("title", title, TITLE_MAX));
    let b = e.take(required_text("body", body, TEXT_MAX));
    match (t, b) {
        (Some(title), Some(body)) => Ok(SuggestionDraft { title, body }),
        _ => Err(e),
    }
}

/// Proposals and suggestions.
pub static AREA: crate::area::Area = crate::area::Area {
    name: "proposals",
    enums: &[
        crate::area::CodedEnum::of::<ProposalStatus>(),
        crate::area::CodedEnum::of::<ReviewDecision>(),
        crate::area::CodedEnum::of::<Rating>(),
        crate::area::CodedEnum::of::<ImplementationStatus>(),
        crate::area::CodedEnum::of::<ProposalCategory>(),
        crate::area::CodedEnum::of::<SeconderStatus>(),
        crate::area::CodedEnum::of::<SuggestionStatus>(),
    ],
};

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn the_proposal_life_cycle_allows_each_step_only_in_its_state() {
        use ProposalStatus as S;
        use ProposalStep as A;
        assert!(S::Draft.allows(A::Submit));
        assert!(!S::Submitted.allows(A::Submit));
        assert!(!S::Draft.allows(A::Review));
        assert!(S::Submitted.allows(A::Review));
        assert!(S::Accepted.allows(A::Assign));
        assert!(S::Handling.allows(A::Reply));
        assert!(!S::Accepted.allows(A::Reply));
        assert!(S::Answered.allows(A::Rate));
        assert!(S::Implementing.allows(A::Progress));
        for s in [S::Closed, S::Merged, S::ToSuggestion, S::Rejected] {
            assert!(s.is_final());
            assert!(!s.allows(A::Reply) && !s.allows(A::Rate) && !s.allows(A::Submit));
        }
        assert!(S::Closed.accepted() && !S::Rejected.accepted() && !S::Draft.received());
    }

    #[test]
    fn dissatisfied_goes_back_until_the_rounds_are_used_up() {
        let r = RuleSet::DEFAULT;
        assert_eq!(
            after_rating(Rating::Dissatisfied, 1, &r),
            ProposalStatus::Handling
        );
        assert_eq!(
            after_rating(Rating::Dissatisfied, 2, &r),
            ProposalStatus::Handling
        );
        assert_eq!(
            after_rating(Rating::Dissatisfied, 3, &r),
            ProposalStatus::Implementing
        );
        assert_eq!(
            after_rating(Rating::Satisfied, 1, &r),
            ProposalStatus::Implementing
        );
        assert_eq!(
            after_rating(Rating::PartlySatisfied, 1, &r),
            ProposalStatus::Implementing
        );
    }

    #[test]
    fn a_deadline_in_the_past_is_refused() {
        let today = d(2026, 11, 25);
        let e = parse_assignment("5", &[], "2026-11-24", today).unwrap_err();
        assert_eq!(e.get("deadline").unwrap().key, t::DEADLINE_PAST);
        let ok = parse_assignment(
            "5",
            &["6".into(), "5".into(), "6".into()],
            "2026-11-25",
            today,
        )
        .unwrap();
        assert_eq!(ok.co_handlers, vec![OrgUnitId(6)]);
        assert!(parse_assignment("", &[], "2026-12-01", today).is_err());
    }

    #[test]
    fn a_review_needs_a_reason_and_a_merge_a_target() {
        let e = ReviewInput {
            decision: "reject".into(),
            ..Default::default()
        }
        .parse()
        .unwrap_err();
        assert_eq!(e.get("reason").unwrap().key, t::REQUIRED);
        let e = ReviewInput {
            decision: "merge".into(),
            reason: "同一事项".into(),
            merge_into: String::new(),
        }
        .parse()
        .unwrap_err();
        assert!(e.get("merge_into").is_some());
        let ok = ReviewInput {
            decision: "立案".into(),
            reason: "符合条件".into(),
            merge_into: "9".into(),
        }
        .parse()
        .unwrap();
        assert_eq!(ok.decision, ReviewDecision::Accept);
        assert_eq!(ok.merge_into, None);
    }

    #[test]
    fn a_dissatisfied_rating_says_why() {
        assert!(parse_rating("dissatisfied", "").is_err());
        assert_eq!(
            parse_rating("dissatisfied", "没有解决").unwrap().0,
            Rating::Dissatisfied
        );
        assert_eq!(parse_rating("满意", "").unwrap(), (Rating::Satisfied, None));
    }

    #[test]
    fn a_proposal_has_a_title_reasons_and_measures() {
        let e = ProposalInput::default().parse().unwrap_err();
        let fields: Vec<_> = e.0.iter().map(|x| x.field).collect();
        assert_eq!(fields, vec!["title", "reasons", "measures"]);
        let long = ProposalInput {
            title: "长".repeat(TITLE_MAX + 1),
            reasons: "r".into(),
            measures: "m".into(),
            ..Default::default()
        };
        assert_eq!(
            long.parse().unwrap_err().get("title").unwrap().key,
            t::TOO_LONG
        );
    }
}
