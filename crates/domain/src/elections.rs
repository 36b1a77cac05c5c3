//! Union committees and their elections (工会委员会 / 经费审查委员会 / 女职工委员会; 换届 and
//! 补选) as the domain sees them: the coded values the area stores, the versioned
//! **election rule set** ([`ElectionRules`]), the forms parsed into drafts with their errors
//! at the field, and the pure decisions of the workflow: the candidate list's competitive
//! margin ([`slate_ok`]), the quorum of the assembly and who is elected ([`decide`]), who
//! elects the chair ([`ChairElection`]: the committee, or the assembly directly with
//! [`decide_chair`]), and the term a confirmed general election starts ([`term_end`]).
//!
//! Sources: the glossary and DESIGN.md name 《工会基层组织选举工作条例》 (全总) for the
//! 5 % margin, the two-thirds quorum and "more than half of those due with the right to
//! vote"; the statute's text was **not read** while writing this module, so every number of
//! [`ElectionRules::DEFAULT`] is marked [`RuleSource::Local`] and stays configurable as a
//! new rule-set version. A local rule may be stricter, never laxer than the floor checked
//! in [`ElectionRules::check`].
//!
//! This module does no IO and reads no clock; it never formats text (errors carry
//! catalogue keys).

use crate::error::{FieldError, FieldErrors};
use crate::kit::coded;
use crate::org::parse_choice;
use crate::rules::Ratio;
use chrono::{Months, NaiveDate};
use serde::{Deserialize, Serialize};

/// Catalogue keys of this area's messages.
pub mod text {
    macro_rules! keys {
        ($($name:ident = $key:literal),* $(,)?) => {
            $(pub const $name: &str = $key;)*
            /// Every key defined in this module.
            pub const ALL: &[&str] = &[$($key),*];
        };
    }
    keys! {
        TERM_YEARS = "elections-term-years-invalid",
        SEATS_INVALID = "elections-seats-invalid",
        DATE_INVALID = "elections-date-invalid",
        COMMITTEE_EXISTS = "elections-committee-exists",
        MARGIN = "elections-margin",
        TOO_FEW = "elections-too-few-candidates",
        CANDIDATE_UNKNOWN = "elections-candidate-unknown",
        CANDIDATE_AMBIGUOUS = "elections-candidate-ambiguous",
        CANDIDATE_NOT_MEMBER = "elections-candidate-not-member",
        CANDIDATE_TWICE = "elections-candidate-twice",
        NOT_APPROVED = "elections-not-approved",
        WRONG_STEP = "elections-wrong-step",
        NOT_VACANT = "elections-no-vacancy",
        BY_ELECTION_SEATS = "elections-by-election-seats",
        IN_PROGRESS = "elections-in-progress",
        DUE_INVALID = "elections-due-invalid",
        PRESENT_INVALID = "elections-present-invalid",
        NO_QUORUM = "elections-no-quorum",
        VOTES_INVALID = "elections-votes-invalid",
        VOTES_ABOVE_PRESENT = "elections-votes-above-present",
        NOT_A_HOLDER = "elections-not-a-holder",
        REASON_REQUIRED = "elections-reason-required",
        RULE_MARGIN = "elections-rule-margin",
        RULE_QUORUM = "elections-rule-quorum",
        RULE_TERMS = "elections-rule-terms",
        VOTE_MEETING = "elections-vote-meeting",
        VOTE_STARTED = "elections-vote-started",
        VOTE_NONE = "elections-vote-none",
        VOTE_NOT_PUBLISHED = "elections-vote-not-published",
        VOTE_NO_ROUND = "elections-vote-no-round",
        OFFICERS_ONE_CHAIR = "elections-officers-one-chair",
        OFFICERS_VOTES = "elections-officers-votes",
        OFFICERS_CHANGED = "elections-officers-changed",
        OFFICERS_NONE = "elections-officers-none",
        RULE_NUMBER = "elections-rule-number",
        RULE_CHAIR_BY = "elections-rule-chair-by",
        CHAIR_REQUIRED = "elections-chair-required",
        CHAIR_NOT_ELECTED = "elections-chair-not-elected",
        CHAIR_VOTES = "elections-chair-votes",
        OFFICERS_CHAIR_DIRECT = "elections-officers-chair-direct",
        VOTE_CHAIR_DIRECT = "elections-vote-chair-direct",
    }
}

use text as t;

crate::kit::id_types!(
    CommitteeId,
    SeatId,
    ElectionId,
    CandidateId,
    ElectionRuleSetId
);

coded!(
    /// The three committees of a school union, each with its own term.
    CommitteeKind, "committee-kind", {
    Union = "union_committee" ["工会委员会", "工会委员"],
    Audit = "audit_committee" ["经费审查委员会", "经审会"],
    Women = "women_committee" ["女职工委员会", "女工委"],
});

coded!(
    /// 换届 (the whole committee for a new term) or 补选 (the vacant seats only).
    ElectionKind, "election-kind", {
    General = "general_election" ["换届选举", "换届"],
    By = "by_election" ["补选", "增补"],
});

coded!(
    /// Where an election stands. Each step is one decision, recorded with who, when and the
    /// rule-set version that decided it.
    ElectionStatus, "election-status", {
    Applied = "applied" ["已申请"],
    Approved = "approved" ["已批复"],
    Nominated = "nominated" ["候选人已提名"],
    SlateApproved = "slate_approved" ["候选人已批复"],
    Held = "held" ["已选举"],
    Confirmed = "confirmed" ["结果已批复"],
});

coded!(
    /// A step of the workflow (the history rows).
    ElectionStep, "election-step", {
    Apply = "apply" ["申请"],
    Approve = "approve" ["批复"],
    Nominate = "nominate" ["提名"],
    ApproveSlate = "approve_slate" ["批复候选人"],
    Hold = "hold" ["选举"],
    Confirm = "confirm" ["批复结果"],
});

coded!(
    /// Where the members vote: all members, or their delegates.
    Assembly, "assembly", {
    Members = "member_assembly" ["会员大会"],
    Delegates = "member_delegate_assembly" ["会员代表大会"],
});

coded!(
    /// A seat of a committee.
    SeatRole, "seat-role", {
    Chair = "chair" ["主席", "主任"],
    ViceChair = "vice_chair" ["副主席", "副主任"],
    Member = "member" ["委员"],
});

coded!(
    /// Why a seat became vacant.
    VacancyReason, "vacancy-reason", {
    Retired = "retired" ["退休"],
    Transferred = "transferred" ["调出", "调离"],
    Resigned = "resigned" ["辞职"],
    Other = "other" ["其他"],
});

/// Who elects the chair of a union committee: the new committee at its first meeting
/// (the default), or the member (delegate) assembly directly on its own ballot
/// (会员大会或会员代表大会直接选举主席) — a choice of the rule set, recorded with its
/// version. When the assembly elects the chair, the committee's step elects only the
/// vice-chairs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChairElection {
    #[default]
    Committee,
    Assembly,
}

impl ChairElection {
    pub fn code(self) -> &'static str {
        match self {
            ChairElection::Committee => "committee",
            ChairElection::Assembly => "assembly",
        }
    }

    pub fn from_code(s: &str) -> Option<ChairElection> {
        match s {
            "committee" => Some(ChairElection::Committee),
            "assembly" => Some(ChairElection::Assembly),
            _ => None,
        }
    }

    /// The catalogue key of its label.
    pub fn label_key(self) -> &'static str {
        match self {
            ChairElection::Committee => "elections-chair-by-committee",
            ChairElection::Assembly => "elections-chair-by-assembly",
        }
    }
}

/// Where a number of the election rule set comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RuleSource {
    /// The union's own setting (or a statute not read here: see the module note).
    Local,
}

/// The numbers of one election rule-set version. Stored as JSON; a version is never
/// edited.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ElectionRules {
    /// The term lengths a committee may have, in years.
    pub term_years: Vec<u32>,
    /// How many more candidates than seats a union committee's list needs at least
    /// (差额, as a share of the seats; at least one more in any case).
    pub margin: Ratio,
    /// The quorum of the assembly: at least this share of those due with the right to vote.
    pub quorum: Ratio,
    /// Elected: more than this share of those due with the right to vote.
    pub elect: Ratio,
    /// Months before a term ends that it is listed as due for an election.
    pub notice_months: u32,
    /// Days a vacancy may stay open before it is listed as overdue for a by-election.
    pub vacancy_days: u32,
    /// Days the upper union has for each approval.
    pub approval_days: u32,
    /// Who elects the chair (versions stored before the choice existed read as the
    /// committee).
    #[serde(default)]
    pub chair_by: ChairElection,
}

impl ElectionRules {
    pub fn default_rules() -> ElectionRules {
        ElectionRules {
            term_years: vec![3, 5],
            margin: Ratio::new(1, 20),
            quorum: Ratio::new(2, 3),
            elect: Ratio::new(1, 2),
            notice_months: 6,
            vacancy_days: 90,
            approval_days: 15,
            chair_by: ChairElection::Committee,
        }
    }

    /// Where each number comes from (all local: see the module note).
    pub fn source(&self, _rule: &str) -> RuleSource {
        RuleSource::Local
    }

    /// A local version may be stricter, never laxer: the margin at least 5 %, the quorum
    /// at least 2/3, "more than half" at least; terms of 1 to 5 years.
    pub fn check(&self) -> Result<(), FieldErrors> {
        let d = ElectionRules::default_rules();
        let mut e = FieldErrors::default();
        if self.margin.den == 0 || self.margin.cmp_ratio(d.margin).is_lt() {
            e.push(FieldError::new("margin", t::RULE_MARGIN));
        }
        if self.quorum.den == 0
            || self.quorum.cmp_ratio(d.quorum).is_lt()
            || self.elect.den == 0
            || self.elect.cmp_ratio(d.elect).is_lt()
        {
            e.push(FieldError::new("quorum", t::RULE_QUORUM));
        }
        if self.term_years.is_empty() || self.term_years.iter().any(|y| !(1..=5).contains(y)) {
            e.push(FieldError::new("term_years", t::RULE_TERMS));
        }
        if e.is_empty() { Ok(()) } else { Err(e) }
    }

    /// The term lengths as text (`3, 5`), for messages.
    pub fn terms_text(&self) -> String {
        self.term_years
            .iter()
            .map(|y| y.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The smallest number of candidates for `seats` seats of a committee of `kind`: a
    /// union committee's list is competitive, `seats × (1 + margin)` rounded up and at
    /// least one more; the others need at least as many candidates as seats.
    pub fn candidates_needed(&self, kind: CommitteeKind, seats: u32) -> u32 {
        if kind != CommitteeKind::Union {
            return seats;
        }
        let den = u64::from(self.margin.den.max(1));
        let extra = (u64::from(seats) * u64::from(self.margin.num)).div_ceil(den);
        seats + (extra.max(1) as u32)
    }
}

/// The end of a term that starts on `start` and lasts `years` (the day before the
/// anniversary).
pub fn term_end(start: NaiveDate, years: u32) -> NaiveDate {
    start
        .checked_add_months(Months::new(years * 12))
        .and_then(|d| d.pred_opt())
        .unwrap_or(start)
}

fn parse_count(
    field: &'static str,
    key: &'static str,
    s: &str,
    max: u32,
) -> Result<u32, FieldError> {
    match crate::roster::normalize(s.trim()).parse::<u32>() {
        Ok(n) if n >= 1 && n <= max => Ok(n),
        _ => Err(FieldError::new(field, key).arg("max", max)),
    }
}

fn parse_date(field: &'static str, s: &str) -> Result<NaiveDate, FieldError> {
    NaiveDate::parse_from_str(crate::roster::normalize(s.trim()).as_str(), "%Y-%m-%d")
        .map_err(|_| FieldError::new(field, t::DATE_INVALID))
}

/// A term length as typed, checked against the rule set.
pub fn parse_term_years(s: &str, r: &ElectionRules) -> Result<u32, FieldError> {
    match crate::roster::normalize(s.trim()).parse::<u32>() {
        Ok(y) if r.term_years.contains(&y) => Ok(y),
        _ => Err(FieldError::new("term_years", t::TERM_YEARS).arg("allowed", r.terms_text())),
    }
}

/// The form that sets up a committee (its current term as recorded on paper).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct CommitteeInput {
    pub unit: String,
    pub kind: String,
    pub seats: String,
    pub term_start: String,
    pub term_years: String,
}

/// A committee to record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommitteeDraft {
    pub kind: CommitteeKind,
    pub seats: u32,
    pub term_start: NaiveDate,
    pub term_years: u32,
}

impl CommitteeInput {
    pub fn parse(&self, r: &ElectionRules) -> Result<CommitteeDraft, FieldErrors> {
        let mut e = FieldErrors::default();
        let kind = e.take(parse_choice::<CommitteeKind>("kind", &self.kind));
        let seats = e.take(parse_count("seats", t::SEATS_INVALID, &self.seats, 99));
        let term_start = e.take(parse_date("term_start", &self.term_start));
        let term_years = e.take(parse_term_years(&self.term_years, r));
        match (kind, seats, term_start, term_years) {
            (Some(kind), Some(seats), Some(term_start), Some(term_years)) if e.is_empty() => {
                Ok(CommitteeDraft {
                    kind,
                    seats,
                    term_start,
                    term_years,
                })
            }
            _ => Err(e),
        }
    }
}

/// The school's application to the upper union.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct ApplyInput {
    pub kind: String,
    pub seats: String,
    pub assembly: String,
    pub term_years: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApplyDraft {
    pub kind: ElectionKind,
    pub seats: u32,
    pub assembly: Assembly,
    /// The new term's length (general elections); `None` for a by-election.
    pub term_years: Option<u32>,
}

impl ApplyInput {
    pub fn parse(&self, r: &ElectionRules) -> Result<ApplyDraft, FieldErrors> {
        let mut e = FieldErrors::default();
        let kind = e.take(parse_choice::<ElectionKind>("kind", &self.kind));
        let seats = e.take(parse_count("seats", t::SEATS_INVALID, &self.seats, 99));
        let assembly = e.take(parse_choice::<Assembly>("assembly", &self.assembly));
        let term_years = match kind {
            Some(ElectionKind::General) => e.take(parse_term_years(&self.term_years, r)),
            _ => None,
        };
        match (kind, seats, assembly) {
            (Some(kind), Some(seats), Some(assembly)) if e.is_empty() => Ok(ApplyDraft {
                kind,
                seats,
                assembly,
                term_years,
            }),
            _ => Err(e),
        }
    }
}

/// Whether a candidate list of `candidates` names may stand for `seats` seats of a
/// committee of `kind`: refused at the `candidates` field with the number needed.
pub fn slate_ok(
    kind: CommitteeKind,
    candidates: u32,
    seats: u32,
    r: &ElectionRules,
) -> Result<(), FieldError> {
    let need = r.candidates_needed(kind, seats);
    if candidates >= need {
        return Ok(());
    }
    let key = if kind == CommitteeKind::Union {
        t::MARGIN
    } else {
        t::TOO_FEW
    };
    Err(FieldError::new("candidates", key)
        .arg("need", need)
        .arg("seats", seats)
        .arg("got", candidates)
        .arg("margin", r.margin.display()))
}

/// The names of a candidate list as typed, one per line (or separated by 、 , ；).
pub fn candidate_names(s: &str) -> Vec<String> {
    // Split first: normalising folds line breaks into spaces.
    s.split(['\n', '\r', ',', ';', '、', '，', '；'])
        .map(|n| crate::roster::normalize(n).trim().to_string())
        .filter(|n| !n.is_empty())
        .collect()
}

/// The outcome of the assembly's vote.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    pub quorum_needed: u32,
    pub elect_needed: u32,
    /// Indices (into the votes given) of those elected, in rank order.
    pub elected: Vec<usize>,
    /// Seats left empty (too few votes, or a tie at the last seat).
    pub unfilled: u32,
}

/// Decides an election: the quorum is at least `quorum × due` present; a candidate is
/// elected with more than `elect × due` votes, within the seats by rank; candidates tied at
/// the last seat are all left out (a further round decides). Refused at the field when
/// there is no quorum or a count is impossible.
pub fn decide(
    due: u32,
    present: u32,
    votes: &[u32],
    seats: u32,
    r: &ElectionRules,
) -> Result<Outcome, FieldErrors> {
    let mut e = FieldErrors::default();
    if due == 0 {
        e.push(FieldError::new("due", t::DUE_INVALID));
        return Err(e);
    }
    if present > due {
        e.push(FieldError::new("present", t::PRESENT_INVALID).arg("due", due));
        return Err(e);
    }
    let quorum_needed = crate::rules::Threshold::at_least(r.quorum.num, r.quorum.den).needed(due);
    if present < quorum_needed {
        e.push(
            FieldError::new("present", t::NO_QUORUM)
                .arg("needed", quorum_needed)
                .arg("due", due),
        );
        return Err(e);
    }
    if votes.iter().any(|v| *v > present) {
        e.push(FieldError::new("votes", t::VOTES_ABOVE_PRESENT).arg("present", present));
        return Err(e);
    }
    let elect_needed = crate::rules::Threshold::more_than(r.elect.num, r.elect.den).needed(due);
    let mut order: Vec<usize> = (0..votes.len())
        .filter(|i| votes[*i] >= elect_needed)
        .collect();
    order.sort_by(|a, b| votes[*b].cmp(&votes[*a]).then(a.cmp(b)));
    let seats_us = seats as usize;
    let mut elected: Vec<usize> = order.iter().copied().take(seats_us).collect();
    if order.len() > seats_us && seats_us > 0 {
        let last = votes[order[seats_us - 1]];
        if votes[order[seats_us]] == last {
            elected.retain(|i| votes[*i] > last);
        }
    }
    let unfilled = seats - elected.len() as u32;
    Ok(Outcome {
        quorum_needed,
        elect_needed,
        elected,
        unfilled,
    })
}

/// The chair elected directly by the assembly (when the rule set says so): the candidate
/// at `chair` (an index into the votes given to [`decide`]) must be among the elected
/// members, and needs more than the rule set's share of those due on the chair's own
/// ballot (`votes`, no more than those present) — the same threshold as the members', a
/// local reading. Refused at the `chair` field.
pub fn decide_chair(
    out: &Outcome,
    present: u32,
    chair: Option<usize>,
    votes: Option<u32>,
) -> Result<(), FieldError> {
    let Some(chair) = chair else {
        return Err(FieldError::new("chair", t::CHAIR_REQUIRED));
    };
    if !out.elected.contains(&chair) {
        return Err(FieldError::new("chair", t::CHAIR_NOT_ELECTED));
    }
    let Some(votes) = votes else {
        return Err(FieldError::new("chair", t::VOTES_INVALID));
    };
    if votes > present {
        return Err(FieldError::new("chair", t::VOTES_ABOVE_PRESENT).arg("present", present));
    }
    if votes < out.elect_needed {
        return Err(FieldError::new("chair", t::CHAIR_VOTES).arg("needed", out.elect_needed));
    }
    Ok(())
}

/// The outcome of the committee's election of its chair and vice-chairs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfficersOutcome {
    pub quorum_needed: u32,
    pub elect_needed: u32,
}

/// Decides the committee's own election of its officers (after the assembly elected its
/// members): `due` is the committee's members, `picks` each member's office and the votes
/// for it (members: no votes). At least the rule set's quorum share of the members
/// present; exactly one chair; each officer (chair, vice-chair) with more than the rule
/// set's share of all the committee's members — the same numbers as the assembly's, a
/// local reading. Refused at the field.
///
/// When the rule set has the assembly elect the chair ([`ChairElection::Assembly`]), the
/// committee elects only the vice-chairs: `sitting_chair` (the index of the holder the
/// assembly elected) must stay chair, with no vote, and no one else may be made chair.
pub fn decide_officers(
    due: u32,
    present: u32,
    picks: &[(SeatRole, u32)],
    sitting_chair: Option<usize>,
    r: &ElectionRules,
) -> Result<OfficersOutcome, FieldErrors> {
    let mut e = FieldErrors::default();
    if due == 0 {
        e.push(FieldError::new("officers", t::OFFICERS_NONE));
        return Err(e);
    }
    if present > due {
        e.push(FieldError::new("present", t::PRESENT_INVALID).arg("due", due));
        return Err(e);
    }
    let quorum_needed = crate::rules::Threshold::at_least(r.quorum.num, r.quorum.den).needed(due);
    if present < quorum_needed {
        e.push(
            FieldError::new("present", t::NO_QUORUM)
                .arg("needed", quorum_needed)
                .arg("due", due),
        );
        return Err(e);
    }
    if picks
        .iter()
        .filter(|(role, _)| *role == SeatRole::Chair)
        .count()
        != 1
    {
        e.push(FieldError::new("officers", t::OFFICERS_ONE_CHAIR));
        return Err(e);
    }
    let direct = r.chair_by == ChairElection::Assembly;
    if direct && sitting_chair.is_none_or(|i| picks.get(i).is_none_or(|p| p.0 != SeatRole::Chair)) {
        e.push(FieldError::new("officers", t::OFFICERS_CHAIR_DIRECT));
        return Err(e);
    }
    let elect_needed = crate::rules::Threshold::more_than(r.elect.num, r.elect.den).needed(due);
    for (role, votes) in picks {
        if *role == SeatRole::Member || (direct && *role == SeatRole::Chair) {
            continue;
        }
        if *votes > present {
            e.push(FieldError::new("officers", t::VOTES_ABOVE_PRESENT).arg("present", present));
            return Err(e);
        }
        if *votes < elect_needed {
            e.push(
                FieldError::new("officers", t::OFFICERS_VOTES)
                    .arg("needed", elect_needed)
                    .arg("due", due),
            );
            return Err(e);
        }
    }
    Ok(OfficersOutcome {
        quorum_needed,
        elect_needed,
    })
}

/// The area's declaration.
pub static AREA: crate::area::Area = crate::area::Area {
    name: "elections",
    enums: &[
        crate::area::CodedEnum::of::<CommitteeKind>(),
        crate::area::CodedEnum::of::<ElectionKind>(),
        crate::area::CodedEnum::of::<ElectionStatus>(),
        crate::area::CodedEnum::of::<ElectionStep>(),
        crate::area::CodedEnum::of::<Assembly>(),
        crate::area::CodedEnum::of::<SeatRole>(),
        crate::area::CodedEnum::of::<VacancyReason>(),
    ],
};

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn r() -> ElectionRules {
        ElectionRules::default_rules()
    }

    #[test]
    fn a_union_committee_of_twenty_seats_needs_twenty_one_candidates() {
        assert_eq!(r().candidates_needed(CommitteeKind::Union, 20), 21);
        assert_eq!(r().candidates_needed(CommitteeKind::Union, 21), 23);
        assert_eq!(r().candidates_needed(CommitteeKind::Union, 7), 8);
        assert_eq!(r().candidates_needed(CommitteeKind::Audit, 3), 3);
        let e = slate_ok(CommitteeKind::Union, 7, 7, &r()).unwrap_err();
        assert_eq!((e.field, e.key), ("candidates", t::MARGIN));
        assert!(slate_ok(CommitteeKind::Union, 8, 7, &r()).is_ok());
    }

    #[test]
    fn the_quorum_is_two_thirds_of_those_due_and_election_more_than_half() {
        let e = decide(30, 19, &[19], 1, &r()).unwrap_err();
        assert_eq!(e.get("present").unwrap().key, t::NO_QUORUM);
        let o = decide(30, 20, &[16, 15, 20], 2, &r()).unwrap();
        assert_eq!(o.quorum_needed, 20);
        assert_eq!(o.elect_needed, 16);
        assert_eq!(o.elected, vec![2, 0]);
        assert_eq!(o.unfilled, 0);
    }

    #[test]
    fn a_tie_at_the_last_seat_leaves_it_empty() {
        let o = decide(30, 30, &[20, 18, 18], 2, &r()).unwrap();
        assert_eq!(o.elected, vec![0]);
        assert_eq!(o.unfilled, 1);
    }

    #[test]
    fn a_term_outside_the_rule_set_is_refused_at_its_field() {
        let e = parse_term_years("4", &r()).unwrap_err();
        assert_eq!((e.field, e.key), ("term_years", t::TERM_YEARS));
        assert_eq!(parse_term_years("５", &r()).unwrap(), 5);
        assert_eq!(
            term_end(NaiveDate::from_ymd_opt(2024, 3, 1).unwrap(), 5),
            NaiveDate::from_ymd_opt(2029, 2, 28).unwrap()
        );
    }

    #[test]
    fn a_list_is_split_by_line_and_by_chinese_commas() {
        assert_eq!(
            candidate_names("赵一\n钱二、孙三，#12\r\n\n"),
            vec!["赵一", "钱二", "孙三", "#12"]
        );
    }

    #[test]
    fn a_laxer_local_rule_is_refused() {
        let mut x = r();
        x.margin = Ratio::new(1, 50);
        x.term_years = vec![3, 6];
        let e = x.check().unwrap_err();
        assert!(e.get("margin").is_some() && e.get("term_years").is_some());
    }

    #[test]
    fn the_committee_elects_one_chair_and_each_officer_with_more_than_half_of_its_members() {
        use SeatRole::*;
        // Seven members: five present is a quorum (at least 14/3), four votes elect.
        let ok =
            decide_officers(7, 5, &[(Chair, 5), (ViceChair, 4), (Member, 0)], None, &r()).unwrap();
        assert_eq!((ok.quorum_needed, ok.elect_needed), (5, 4));
        let e = decide_officers(7, 4, &[(Chair, 4)], None, &r()).unwrap_err();
        assert_eq!(e.0[0].key, t::NO_QUORUM);
        let e = decide_officers(7, 5, &[(Chair, 5), (Chair, 5)], None, &r()).unwrap_err();
        assert_eq!(e.0[0].key, t::OFFICERS_ONE_CHAIR);
        let e = decide_officers(7, 5, &[(Member, 0)], None, &r()).unwrap_err();
        assert_eq!(e.0[0].key, t::OFFICERS_ONE_CHAIR);
        // Half of seven present is not more than half of all seven.
        let e = decide_officers(7, 7, &[(Chair, 7), (ViceChair, 3)], None, &r()).unwrap_err();
        assert_eq!(e.0[0].key, t::OFFICERS_VOTES);
        let e = decide_officers(7, 5, &[(Chair, 6)], None, &r()).unwrap_err();
        assert_eq!(e.0[0].key, t::VOTES_ABOVE_PRESENT);
    }

    #[test]
    fn when_the_assembly_elects_the_chair_the_committee_elects_only_the_vice_chairs() {
        use SeatRole::*;
        let mut direct = r();
        direct.chair_by = ChairElection::Assembly;
        // The sitting chair (the assembly's) keeps the office without a vote of the committee.
        let ok = decide_officers(
            7,
            5,
            &[(Chair, 0), (ViceChair, 4), (Member, 0)],
            Some(0),
            &direct,
        );
        assert!(ok.is_ok(), "{ok:?}");
        // The committee may not make anyone else chair, nor leave the chair out.
        let e = decide_officers(7, 5, &[(Member, 0), (Chair, 5)], Some(0), &direct).unwrap_err();
        assert_eq!(e.0[0].key, t::OFFICERS_CHAIR_DIRECT);
        let e = decide_officers(7, 5, &[(Chair, 5)], None, &direct).unwrap_err();
        assert_eq!(e.0[0].key, t::OFFICERS_CHAIR_DIRECT);
        // Vice-chairs still need more than half of the committee.
        let e = decide_officers(7, 5, &[(Chair, 0), (ViceChair, 3)], Some(0), &direct).unwrap_err();
        assert_eq!(e.0[0].key, t::OFFICERS_VOTES);
        // Under the default the chair's own votes count.
        let e = decide_officers(7, 5, &[(Chair, 0), (ViceChair, 4)], Some(0), &r()).unwrap_err();
        assert_eq!(e.0[0].key, t::OFFICERS_VOTES);
    }

    #[test]
    fn the_assembly_s_chair_is_an_elected_member_with_more_than_half_of_those_due() {
        // 30 due, 24 present; 赵一 20, 钱二 18, 李四 16, 周五 6 for three seats.
        let out = decide(30, 24, &[20, 18, 16, 6], 3, &r()).unwrap();
        assert!(decide_chair(&out, 24, Some(1), Some(16)).is_ok());
        assert_eq!(
            decide_chair(&out, 24, Some(1), Some(15)).unwrap_err().key,
            t::CHAIR_VOTES
        );
        assert_eq!(
            decide_chair(&out, 24, Some(3), Some(20)).unwrap_err().key,
            t::CHAIR_NOT_ELECTED
        );
        assert_eq!(
            decide_chair(&out, 24, None, Some(20)).unwrap_err().key,
            t::CHAIR_REQUIRED
        );
        assert_eq!(
            decide_chair(&out, 24, Some(0), Some(25)).unwrap_err().key,
            t::VOTES_ABOVE_PRESENT
        );
    }

    #[test]
    fn the_chair_choice_is_part_of_the_version_and_old_versions_read_as_the_committee() {
        let old = r#"{"term_years":[3,5],"margin":{"num":1,"den":20},"quorum":{"num":2,"den":3},"elect":{"num":1,"den":2},"notice_months":6,"vacancy_days":90,"approval_days":15}"#;
        let x: ElectionRules = serde_json::from_str(old).unwrap();
        assert_eq!(x.chair_by, ChairElection::Committee);
        let mut f = RulesInput::of(&r());
        f.chair_by = "assembly".into();
        let (y, _) = f.parse().unwrap();
        assert_eq!(y.chair_by, ChairElection::Assembly);
        assert!(
            serde_json::to_string(&y)
                .unwrap()
                .contains("\"chair_by\":\"assembly\"")
        );
        f.chair_by = "principal".into();
        assert_eq!(
            f.parse().unwrap_err().get("chair_by").unwrap().key,
            t::RULE_CHAIR_BY
        );
    }
}

/// The rule-set form as typed: every number as text, so a refused form comes back as typed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RulesInput {
    pub term_years: String,
    pub margin: String,
    pub quorum: String,
    pub elect: String,
    pub notice_months: String,
    pub vacancy_days: String,
    pub approval_days: String,
    /// `committee` or `assembly` ([`ChairElection`]).
    pub chair_by: String,
    pub note: String,
}

fn whole(field: &'static str, s: &str, min: u32, max: u32) -> Result<u32, FieldError> {
    crate::roster::normalize(s.trim())
        .parse::<u32>()
        .ok()
        .filter(|n| (min..=max).contains(n))
        .ok_or_else(|| {
            FieldError::new(field, t::RULE_NUMBER)
                .arg("min", min)
                .arg("max", max)
        })
}

impl RulesInput {
    /// The form filled with a version's numbers.
    pub fn of(r: &ElectionRules) -> RulesInput {
        RulesInput {
            term_years: r.terms_text(),
            margin: r.margin.display(),
            quorum: r.quorum.display(),
            elect: r.elect.display(),
            notice_months: r.notice_months.to_string(),
            vacancy_days: r.vacancy_days.to_string(),
            approval_days: r.approval_days.to_string(),
            chair_by: r.chair_by.code().to_string(),
            note: String::new(),
        }
    }

    /// The numbers and the note, every problem at its field; then `ElectionRules::check`
    /// (never laxer than the defaults).
    pub fn parse(&self) -> Result<(ElectionRules, Option<String>), FieldErrors> {
        let mut e = FieldErrors::default();
        let mut years: Vec<u32> = Vec::new();
        let mut terms_ok = true;
        for part in crate::roster::normalize(&self.term_years)
            .split([',', ';', '、', '，', ' ', '/'])
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            match part.parse::<u32>() {
                Ok(y) if !years.contains(&y) => years.push(y),
                Ok(_) => {}
                Err(_) => terms_ok = false,
            }
        }
        years.sort_unstable();
        if !terms_ok || years.is_empty() {
            e.push(FieldError::new("term_years", t::RULE_TERMS));
        }
        let margin = e.take(crate::rules::Ratio::parse("margin", &self.margin));
        let quorum = e.take(crate::rules::Ratio::parse("quorum", &self.quorum));
        let elect = e.take(crate::rules::Ratio::parse("elect", &self.elect));
        let notice = e.take(whole("notice_months", &self.notice_months, 1, 24));
        let vacancy = e.take(whole("vacancy_days", &self.vacancy_days, 1, 365));
        let approval = e.take(whole("approval_days", &self.approval_days, 1, 90));
        let chair_by = match self.chair_by.trim() {
            // A form without the choice keeps the default.
            "" => Some(ChairElection::Committee),
            c => ChairElection::from_code(c),
        };
        let chair_by =
            e.take(chair_by.ok_or_else(|| FieldError::new("chair_by", t::RULE_CHAIR_BY)));
        let note = self.note.trim();
        if note.chars().count() > 200 {
            e.push(FieldError::new("note", crate::text::TOO_LONG).arg("max", 200));
        }
        let (
            Some(margin),
            Some(quorum),
            Some(elect),
            Some(notice),
            Some(vacancy),
            Some(approval),
            Some(chair_by),
        ) = (margin, quorum, elect, notice, vacancy, approval, chair_by)
        else {
            return Err(e);
        };
        if !e.is_empty() {
            return Err(e);
        }
        let r = ElectionRules {
            term_years: years,
            margin,
            quorum,
            elect,
            notice_months: notice,
            vacancy_days: vacancy,
            approval_days: approval,
            chair_by,
        };
        r.check()?;
        Ok((r, (!note.is_empty()).then(|| note.to_string())))
    }
}
