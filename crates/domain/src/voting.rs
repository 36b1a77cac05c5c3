//! Votes of the staff congress: polls on a motion (表决), elections (选举) and cadre reviews
//! (民主评议干部), in secret, named or paper mode; what a ballot may contain and how it is
//! checked; the tellers' paper counts and their reconciliation; and the pure functions that
//! turn counts into results under a rule-set version.
//!
//! The thresholds and denominators come from [`crate::rules::RuleSet`]; nothing here
//! hard-codes "half" or "5 %". Counting is exact integer arithmetic (see
//! [`crate::rules::Threshold`]). Nothing here does IO.

use crate::error::{FieldError, FieldErrors};
use crate::ids::MemberId;
use crate::kit::coded;
use crate::rules::{Attendance, Base, RuleSet};
use crate::text as t;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

crate::kit::id_types!(PollId, OptionId);

coded!(
    /// What is decided: a motion or resolution, seats, or grades of leaders.
    PollKind, "poll-kind", {
    Motion = "motion" ["表决", "决议", "动议"],
    Election = "election" ["选举"],
    CadreReview = "cadre_review" ["民主评议", "民主测评", "民主评议干部"],
});

coded!(
    /// Secret (无记名), named (记名) or paper (纸质票/举手, counted by the tellers).
    PollMode, "poll-mode", {
    Secret = "secret" ["无记名", "无记名投票"],
    Named = "named" ["记名", "记名投票"],
    Paper = "paper" ["纸质票", "举手表决", "纸质"],
});

coded!(
    /// The union office a union election (工会选举) fills; `None` on a poll means a vote of
    /// the staff congress. 委员 of the union committee, the funds audit committee or the
    /// women staff committee are all `Committee`.
    UnionOffice, "union-office", {
    Chair = "chair" ["主席", "工会主席"],
    ViceChair = "vice_chair" ["副主席", "工会副主席"],
    Committee = "committee" ["委员", "工会委员", "经审委员", "女职委委员"],
});

coded!(PollStatus, "poll-status", {
    Draft = "draft" ["草稿", "未开始"],
    Open = "open" ["投票中"],
    Closed = "closed" ["已结束", "计票中"],
    Published = "published" ["已公布"],
});

coded!(MotionChoice, "motion-choice", {
    Yes = "yes" ["赞成", "同意"],
    No = "no" ["反对", "不同意"],
    Abstain = "abstain" ["弃权"],
});

coded!(
    /// A mark next to a candidate: for (赞成), against (反对) or abstain (弃权).
    Mark, "candidate-mark", {
    For = "for" ["赞成"],
    Against = "against" ["反对"],
    Abstain = "abstain" ["弃权"],
});

coded!(
    /// The grades of a cadre review (优秀 / 称职 / 基本称职 / 不称职).
    Grade, "grade", {
    Excellent = "excellent" ["优秀"],
    Competent = "competent" ["称职"],
    Basic = "basic" ["基本称职"],
    Incompetent = "incompetent" ["不称职"],
});

impl Grade {
    /// Competent or better (称职及以上).
    pub fn competent_or_better(self) -> bool {
        matches!(self, Grade::Excellent | Grade::Competent)
    }
}

impl PollStatus {
    /// The next step and the state it leads to.
    pub fn may(self, step: PollStep) -> bool {
        matches!(
            (self, step),
            (PollStatus::Draft, PollStep::Edit)
                | (PollStatus::Draft, PollStep::Open)
                | (PollStatus::Open, PollStep::Cast)
                | (PollStatus::Open, PollStep::Close)
                | (PollStatus::Closed, PollStep::Paper)
                | (PollStatus::Closed, PollStep::Confirm)
                | (PollStatus::Closed, PollStep::Publish)
        )
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PollStep {
    Edit,
    Open,
    Cast,
    Close,
    /// The tellers enter (or correct) the paper counts.
    Paper,
    /// A scrutineer confirms the tellers' entry.
    Confirm,
    Publish,
}

impl PollMode {
    /// Whether delegates vote on their phones in this mode.
    pub fn electronic(self) -> bool {
        self != PollMode::Paper
    }
    /// Whether paper ballots may be added (a secret poll may run in a mixed hall; a named
    /// poll records names, which paper ballots do not carry).
    pub fn takes_paper(self) -> bool {
        self != PollMode::Named
    }
}

// ------------------------------------------------------------------ the poll form

pub const TITLE_MAX: usize = 120;
pub const OPTION_MAX: usize = 60;
pub const MAX_OPTIONS: usize = 200;

/// The raw text of the form that sets up a poll.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PollInput {
    pub title: String,
    pub kind: String,
    pub mode: String,
    /// Seats of an election.
    pub seats: String,
    /// "competitive" or "uncontested" for an election.
    pub contest: String,
    /// A by-election (补选) rather than a general election.
    pub by_election: String,
    /// Empty for a congress vote, or the union office a union election fills.
    pub union_office: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PollDraft {
    pub title: String,
    pub kind: PollKind,
    pub mode: PollMode,
    pub seats: u32,
    pub competitive: bool,
    pub by_election: bool,
    /// Set for a union election: secret, members only, competitive for 委员.
    pub union_office: Option<UnionOffice>,
}

impl PollInput {
    pub fn parse(&self) -> Result<PollDraft, FieldErrors> {
        use crate::org::{parse_choice, required_text};
        let mut e = FieldErrors::default();
        let title = e.take(required_text("title", &self.title, TITLE_MAX));
        let kind = e.take(parse_choice::<PollKind>("kind", &self.kind));
        let mode = e.take(parse_choice::<PollMode>("mode", &self.mode));
        let seats = if kind == Some(PollKind::Election) {
            e.take(match self.seats.trim().parse::<u32>() {
                Ok(n) if (1..=100).contains(&n) => Ok(n),
                Ok(_) => Err(FieldError::new("seats", t::NUMBER_RANGE)
                    .arg("min", 1)
                    .arg("max", 100)),
                Err(_) if self.seats.trim().is_empty() => {
                    Err(FieldError::new("seats", t::REQUIRED))
                }
                Err(_) => Err(FieldError::new("seats", t::NUMBER_INVALID)),
            })
        } else {
            Some(0)
        };
        if kind == Some(PollKind::CadreReview) && mode == Some(PollMode::Named) {
            // A review graded under names would not be a democratic review.
            e.push(FieldError::new("mode", t::VOTE_REVIEW_SECRET));
        }
        let union_office = if kind == Some(PollKind::Election) {
            e.take(crate::org::parse_optional_choice::<UnionOffice>(
                "union_office",
                &self.union_office,
            ))
            .flatten()
        } else {
            None
        };
        let competitive = kind == Some(PollKind::Election) && self.contest != "uncontested";
        if let Some(office) = union_office {
            union_election_ok(office, mode, competitive)
                .map_err(|x| e.push(x))
                .ok();
        }
        match (title, kind, mode, seats) {
            (Some(title), Some(kind), Some(mode), Some(seats)) if e.is_empty() => Ok(PollDraft {
                title,
                kind,
                mode,
                seats,
                competitive,
                by_election: kind == PollKind::Election && !self.by_election.trim().is_empty(),
                union_office,
            }),
            _ => Err(e),
        }
    }
}

/// 中国工会章程: union elections are by secret ballot (无记名投票) — never named, never by
/// show of hands; committee members (委员) are elected competitively (差额); only a chair
/// or vice-chair may stand uncontested (等额).
pub fn union_election_ok(
    office: UnionOffice,
    mode: Option<PollMode>,
    competitive: bool,
) -> Result<(), FieldError> {
    if mode.is_some_and(|m| m != PollMode::Secret) {
        return Err(FieldError::new("mode", t::VOTE_UNION_SECRET));
    }
    if office == UnionOffice::Committee && !competitive {
        return Err(FieldError::new("contest", t::VOTE_UNION_COMPETITIVE));
    }
    Ok(())
}

/// Checks an option's label (a candidate's or leader's name as printed, or a motion text).
pub fn option_label(input: &str) -> Result<String, FieldError> {
    crate::org::required_text("label", input, OPTION_MAX)
}

/// Whether an election with `candidates` for `seats` may open: a competitive election needs
/// at least `seats × (1 + margin)` candidates (rounded up: 20 seats at 5 % need 21), an
/// uncontested one exactly as many as seats.
pub fn slate_ok(
    candidates: u32,
    seats: u32,
    competitive: bool,
    r: &RuleSet,
) -> Result<(), FieldError> {
    if seats == 0 {
        return Err(FieldError::new("seats", t::REQUIRED));
    }
    if competitive {
        let need = competitive_minimum(seats, r);
        if candidates < need {
            return Err(FieldError::new("candidates", t::VOTE_MARGIN)
                .arg("need", need)
                .arg("seats", seats)
                .arg("margin", r.election_margin.display()));
        }
    } else if candidates != seats {
        return Err(FieldError::new("candidates", t::VOTE_UNCONTESTED).arg("seats", seats));
    }
    Ok(())
}

/// The fewest candidates of a competitive election: more than the seats by at least the
/// margin, and at least one more in any case.
pub fn competitive_minimum(seats: u32, r: &RuleSet) -> u32 {
    let m = r.election_margin;
    let extra = (u64::from(seats) * u64::from(m.num)).div_ceil(u64::from(m.den.max(1)));
    seats + (extra as u32).max(1)
}

// ------------------------------------------------------------------ ballots

/// What a poll needs to check a ballot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BallotSpec {
    pub kind: PollKind,
    pub seats: u32,
    /// Candidates of an election, leaders of a review, in order.
    pub options: Vec<OptionId>,
}

/// What a voter filled in.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BallotInput {
    pub choice: Option<String>,
    /// Mark or grade per option, as typed or posted.
    pub marks: Vec<(OptionId, String)>,
    /// Write-in names already resolved to eligible members (另选他人); the caller refuses
    /// names that resolve to nobody.
    pub write_ins: Vec<MemberId>,
}

/// A checked ballot. Unmarked candidates and leaders are abstentions.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "k", rename_all = "snake_case")]
pub enum Ballot {
    Motion {
        c: MotionChoice,
    },
    /// Marks sorted by option (a list: map keys do not survive the tagged form).
    Election {
        #[serde(default)]
        m: Vec<(OptionId, Mark)>,
        #[serde(default)]
        w: Vec<MemberId>,
    },
    Review {
        #[serde(default)]
        g: Vec<(OptionId, Grade)>,
    },
}

impl Ballot {
    /// The form stored in the ballot box: compact and with no order but the keys'.
    pub fn encode(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    pub fn decode(s: &str) -> Option<Ballot> {
        serde_json::from_str(s).ok()
    }
}

/// Checks a ballot against its poll. `candidates` are the members standing, so that a
/// write-in of a candidate is refused (mark them instead).
pub fn check_ballot(
    spec: &BallotSpec,
    input: &BallotInput,
    candidates: &[MemberId],
) -> Result<Ballot, FieldError> {
    let known: BTreeSet<OptionId> = spec.options.iter().copied().collect();
    match spec.kind {
        PollKind::Motion => {
            let c = input
                .choice
                .as_deref()
                .ok_or_else(|| FieldError::new("choice", t::VOTE_CHOOSE))?;
            let c = crate::org::parse_choice::<MotionChoice>("choice", c)?;
            Ok(Ballot::Motion { c })
        }
        PollKind::Election => {
            let mut m = BTreeMap::new();
            for (o, v) in &input.marks {
                if !known.contains(o) {
                    return Err(FieldError::new("candidates", t::VOTE_NOT_CANDIDATE));
                }
                if v.trim().is_empty() {
                    continue;
                }
                let mark = crate::org::parse_choice::<Mark>("candidates", v)?;
                if mark != Mark::Abstain {
                    m.insert(*o, mark);
                }
            }
            let mut w: Vec<MemberId> = Vec::new();
            for id in &input.write_ins {
                if candidates.contains(id) {
                    return Err(FieldError::new("write_in", t::VOTE_WRITE_IN_CANDIDATE));
                }
                if w.contains(id) {
                    return Err(FieldError::new("write_in", t::VOTE_WRITE_IN_TWICE));
                }
                w.push(*id);
            }
            let votes_for = m.values().filter(|k| **k == Mark::For).count() + w.len();
            if votes_for > spec.seats as usize {
                return Err(FieldError::new("candidates", t::VOTE_TOO_MANY)
                    .arg("seats", spec.seats)
                    .arg("count", votes_for));
            }
            w.sort();
            Ok(Ballot::Election {
                m: m.into_iter().collect(),
                w,
            })
        }
        PollKind::CadreReview => {
            let mut g = BTreeMap::new();
            for (o, v) in &input.marks {
                if !known.contains(o) {
                    return Err(FieldError::new("grades", t::VOTE_NOT_CANDIDATE));
                }
                if v.trim().is_empty() {
                    continue;
                }
                g.insert(*o, crate::org::parse_choice::<Grade>("grades", v)?);
            }
            Ok(Ballot::Review {
                g: g.into_iter().collect(),
            })
        }
    }
}

// ------------------------------------------------------------------ counts

/// Counts of a poll, electronic and paper added together.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    /// Ballots counted (valid ones).
    pub ballots: u32,
    pub yes: u32,
    pub no: u32,
    pub abstain: u32,
    /// Per option: for, against, abstain (elections) or one count per grade (reviews,
    /// in the order of [`Grade`]).
    pub options: BTreeMap<OptionId, [u32; 4]>,
    /// Write-in votes per member.
    pub write_ins: BTreeMap<MemberId, u32>,
}

impl Tally {
    pub fn add(&mut self, b: &Ballot) {
        self.ballots += 1;
        match b {
            Ballot::Motion { c } => match c {
                MotionChoice::Yes => self.yes += 1,
                MotionChoice::No => self.no += 1,
                MotionChoice::Abstain => self.abstain += 1,
            },
            Ballot::Election { m, w } => {
                for (o, k) in m {
                    let e = self.options.entry(*o).or_default();
                    match k {
                        Mark::For => e[0] += 1,
                        Mark::Against => e[1] += 1,
                        Mark::Abstain => e[2] += 1,
                    }
                }
                for id in w {
                    *self.write_ins.entry(*id).or_default() += 1;
                }
            }
            Ballot::Review { g } => {
                for (o, grade) in g {
                    let e = self.options.entry(*o).or_default();
                    e[grade_index(*grade)] += 1;
                }
            }
        }
    }

    /// Adds another tally (paper counts to electronic ones).
    pub fn merge(&mut self, o: &Tally) {
        self.ballots += o.ballots;
        self.yes += o.yes;
        self.no += o.no;
        self.abstain += o.abstain;
        for (k, v) in &o.options {
            let e = self.options.entry(*k).or_default();
            for i in 0..4 {
                e[i] += v[i];
            }
        }
        for (k, v) in &o.write_ins {
            *self.write_ins.entry(*k).or_default() += v;
        }
    }
}

fn grade_index(g: Grade) -> usize {
    match g {
        Grade::Excellent => 0,
        Grade::Competent => 1,
        Grade::Basic => 2,
        Grade::Incompetent => 3,
    }
}

// ------------------------------------------------------------------ paper

/// The tellers' sheet: ballots issued (发出), returned (收回), valid and invalid, and the
/// counts of the valid ones.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaperCount {
    pub issued: u32,
    pub returned: u32,
    pub valid: u32,
    pub invalid: u32,
    pub tally: Tally,
}

/// The raw text of the tellers' form.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PaperInput {
    pub issued: String,
    pub returned: String,
    pub valid: String,
    pub invalid: String,
    pub yes: String,
    pub no: String,
    pub abstain: String,
    /// Per option: for / against / abstain, or the four grades.
    pub options: Vec<(OptionId, [String; 4])>,
    /// Write-in votes per eligible member, resolved by the caller.
    pub write_ins: Vec<(MemberId, String)>,
}

/// Whether the paper round stands. More ballots returned than issued voids the round (the
/// vote is taken again); any other mismatch is an entry error to correct.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Reconciliation {
    Ok,
    Void,
}

fn count(field: &'static str, s: &str) -> Result<u32, FieldError> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(0);
    }
    s.parse::<u32>()
        .ok()
        .filter(|n| *n <= 100_000)
        .ok_or_else(|| FieldError::new(field, t::NUMBER_INVALID))
}

impl PaperInput {
    /// Parses and reconciles the sheet. A voided round is returned as such (it is recorded:
    /// the hall must see why the vote is taken again); inconsistent counts are errors.
    pub fn parse(&self, spec: &BallotSpec) -> Result<(PaperCount, Reconciliation), FieldErrors> {
        let mut e = FieldErrors::default();
        let issued = e.take(count("issued", &self.issued)).unwrap_or(0);
        let returned = e.take(count("returned", &self.returned)).unwrap_or(0);
        let valid = e.take(count("valid", &self.valid)).unwrap_or(0);
        let invalid = e.take(count("invalid", &self.invalid)).unwrap_or(0);
        if !e.is_empty() {
            return Err(e);
        }
        let mut tally = Tally {
            ballots: valid,
            ..Tally::default()
        };
        let recon = if returned > issued {
            Reconciliation::Void
        } else {
            Reconciliation::Ok
        };
        if valid + invalid != returned {
            e.push(
                FieldError::new("valid", t::PAPER_VALID_SUM)
                    .arg("returned", returned)
                    .arg("sum", valid + invalid),
            );
        }
        match spec.kind {
            PollKind::Motion => {
                tally.yes = e.take(count("yes", &self.yes)).unwrap_or(0);
                tally.no = e.take(count("no", &self.no)).unwrap_or(0);
                tally.abstain = e.take(count("abstain", &self.abstain)).unwrap_or(0);
                let sum = tally.yes + tally.no + tally.abstain;
                if sum != valid {
                    e.push(
                        FieldError::new("yes", t::PAPER_CHOICE_SUM)
                            .arg("valid", valid)
                            .arg("sum", sum),
                    );
                }
            }
            PollKind::Election | PollKind::CadreReview => {
                let mut for_votes = 0u64;
                for (o, cells) in &self.options {
                    if !spec.options.contains(o) {
                        e.push(FieldError::new("options", t::VOTE_NOT_CANDIDATE));
                        continue;
                    }
                    let mut row = [0u32; 4];
                    for (i, c) in cells.iter().enumerate() {
                        row[i] = e.take(count("options", c)).unwrap_or(0);
                    }
                    let sum: u32 = row.iter().sum();
                    // A ballot marks each option at most once.
                    if sum > valid {
                        e.push(
                            FieldError::new("options", t::PAPER_OPTION_OVER)
                                .arg("valid", valid)
                                .arg("sum", sum),
                        );
                    }
                    for_votes += u64::from(row[0]);
                    tally.options.insert(*o, row);
                }
                for (m, c) in &self.write_ins {
                    let n = e.take(count("write_in", c)).unwrap_or(0);
                    if n > 0 {
                        for_votes += u64::from(n);
                        *tally.write_ins.entry(*m).or_default() += n;
                    }
                }
                if spec.kind == PollKind::Election
                    && for_votes > u64::from(valid) * u64::from(spec.seats)
                {
                    e.push(
                        FieldError::new("options", t::PAPER_FOR_OVER)
                            .arg("max", u64::from(valid) * u64::from(spec.seats)),
                    );
                }
            }
        }
        if e.is_empty() {
            Ok((
                PaperCount {
                    issued,
                    returned,
                    valid,
                    invalid,
                    tally,
                },
                recon,
            ))
        } else {
            Err(e)
        }
    }
}

// ------------------------------------------------------------------ results

/// The result of a motion: passed or not, against which count.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MotionResult {
    pub passed: bool,
    pub base: Base,
    /// The count the share is taken of.
    pub base_count: u32,
    /// Yes votes needed.
    pub needed: u32,
}

pub fn decide_motion(t: &Tally, a: &Attendance, r: &RuleSet) -> MotionResult {
    let base_count = a.base(r.pass_base);
    MotionResult {
        passed: r.pass.met(t.yes, base_count),
        base: r.pass_base,
        base_count,
        needed: r.pass.needed(base_count),
    }
}

/// Who stood in an election: a candidate of the slate or a written-in member.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Standing {
    Candidate(OptionId),
    WriteIn(MemberId),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Outcome {
    Elected,
    /// Reached the threshold but tied at the last seat: a run-off decides.
    Tied,
    /// Reached the threshold, but the seats were filled by more votes.
    BeyondSeats,
    NotElected,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ElectionRow {
    pub who: Standing,
    pub votes_for: u32,
    pub against: u32,
    pub abstain: u32,
    pub outcome: Outcome,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ElectionResult {
    /// Ranked by votes for, then by slate order.
    pub rows: Vec<ElectionRow>,
    pub seats: u32,
    pub elected: u32,
    pub base: Base,
    pub base_count: u32,
    /// Votes for that a standing needs.
    pub needed: u32,
    /// Seats left empty: a further round among the rest is offered.
    pub vacant: u32,
    /// Standings tied at the last seat.
    pub tied: Vec<Standing>,
}

/// Elected: votes for meeting the rule set's election threshold (more than half) of its
/// election base — all delegates for a staff congress (Order No. 32: 代表总数), everyone
/// with the right to vote for a union election ("超过应到会有选举权人数的半数": a day's
/// leave does not reduce it) — and within the seats by rank. A tie across the last seat
/// elects none of the tied; they go to a run-off.
pub fn decide_election(
    t: &Tally,
    slate: &[OptionId],
    seats: u32,
    a: &Attendance,
    r: &RuleSet,
) -> ElectionResult {
    let base_count = a.base(r.election_base);
    let needed = r.election_pass.needed(base_count);
    let mut rows: Vec<(usize, ElectionRow)> = slate
        .iter()
        .enumerate()
        .map(|(i, o)| {
            let c = t.options.get(o).copied().unwrap_or_default();
            (
                i,
                ElectionRow {
                    who: Standing::Candidate(*o),
                    votes_for: c[0],
                    against: c[1],
                    abstain: c[2],
                    outcome: Outcome::NotElected,
                },
            )
        })
        .collect();
    for (m, n) in &t.write_ins {
        rows.push((
            usize::MAX,
            ElectionRow {
                who: Standing::WriteIn(*m),
                votes_for: *n,
                against: 0,
                abstain: 0,
                outcome: Outcome::NotElected,
            },
        ));
    }
    rows.sort_by(|(ia, a), (ib, b)| b.votes_for.cmp(&a.votes_for).then(ia.cmp(ib)));
    let mut rows: Vec<ElectionRow> = rows.into_iter().map(|(_, r)| r).collect();
    let qualified: Vec<usize> = (0..rows.len())
        .filter(|i| r.election_pass.met(rows[*i].votes_for, base_count))
        .collect();
    let mut elected = 0u32;
    let mut tied = Vec::new();
    let mut i = 0;
    while i < qualified.len() {
        let v = rows[qualified[i]].votes_for;
        let group: Vec<usize> = qualified[i..]
            .iter()
            .copied()
            .take_while(|j| rows[*j].votes_for == v)
            .collect();
        let left = seats.saturating_sub(elected) as usize;
        let outcome = if left == 0 {
            Outcome::BeyondSeats
        } else if group.len() <= left {
            elected += group.len() as u32;
            Outcome::Elected
        } else {
            tied.extend(group.iter().map(|j| rows[*j].who));
            Outcome::Tied
        };
        for j in &group {
            rows[*j].outcome = outcome;
        }
        if outcome == Outcome::Tied {
            // Nobody below a tie for the last seats can be elected in this round.
            for j in &qualified[i + group.len()..] {
                rows[*j].outcome = Outcome::BeyondSeats;
            }
            break;
        }
        i += group.len();
    }
    ElectionResult {
        rows,
        seats,
        elected,
        base: r.election_base,
        base_count,
        needed,
        vacant: seats - elected.min(seats),
        tied,
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewRow {
    pub leader: OptionId,
    /// Excellent, competent, basically competent, incompetent.
    pub counts: [u32; 4],
    /// Raters who graded this leader.
    pub raters: u32,
    /// Shares in basis points (1/10,000), per grade.
    pub shares_bp: [u32; 4],
    /// Competent or better, in basis points.
    pub competent_bp: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewResult {
    pub rows: Vec<ReviewRow>,
    /// Ballots returned.
    pub raters: u32,
    /// Raters the rule set requires before results are shown.
    pub min_raters: u32,
    /// False when too few took part: the results stay hidden.
    pub shown: bool,
}

fn bp(n: u32, d: u32) -> u32 {
    if d == 0 {
        0
    } else {
        ((u64::from(n) * 10_000 + u64::from(d) / 2) / u64::from(d)) as u32
    }
}

pub fn decide_review(t: &Tally, leaders: &[OptionId], r: &RuleSet) -> ReviewResult {
    let rows = leaders
        .iter()
        .map(|o| {
            let counts = t.options.get(o).copied().unwrap_or_default();
            let raters: u32 = counts.iter().sum();
            ReviewRow {
                leader: *o,
                counts,
                raters,
                shares_bp: counts.map(|c| bp(c, raters)),
                competent_bp: bp(counts[0] + counts[1], raters),
            }
        })
        .collect();
    ReviewResult {
        rows,
        raters: t.ballots,
        min_raters: r.review_min_raters,
        shown: t.ballots >= r.review_min_raters,
    }
}

/// A basis-point share as "66.7%", rounded half up with the carry kept (9,796 bp is
/// "98.0%", not "97.0%"). For counts, prefer [`crate::rules::Ratio::percent_text`], which
/// rounds the exact fraction once.
pub fn percent_bp(v: u32) -> String {
    let tenths = (v + 5) / 10;
    format!("{}.{}%", tenths / 10, tenths % 10)
}

/// The stored result of a closed poll, whichever its kind.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PollResult {
    Motion(MotionResult),
    Election(ElectionResult),
    CadreReview(ReviewResult),
}

/// Decides a poll from its counts and the attendance at closing.
pub fn decide(
    kind: PollKind,
    t: &Tally,
    options: &[OptionId],
    seats: u32,
    a: &Attendance,
    r: &RuleSet,
) -> PollResult {
    match kind {
        PollKind::Motion => PollResult::Motion(decide_motion(t, a, r)),
        PollKind::Election => PollResult::Election(decide_election(t, options, seats, a, r)),
        PollKind::CadreReview => PollResult::CadreReview(decide_review(t, options, r)),
    }
}

/// Polls and ballots.
pub static AREA: crate::area::Area = crate::area::Area {
    name: "voting",
    enums: &[
        crate::area::CodedEnum::of::<PollKind>(),
        crate::area::CodedEnum::of::<PollMode>(),
        crate::area::CodedEnum::of::<PollStatus>(),
        crate::area::CodedEnum::of::<UnionOffice>(),
        crate::area::CodedEnum::of::<MotionChoice>(),
        crate::area::CodedEnum::of::<Mark>(),
        crate::area::CodedEnum::of::<Grade>(),
    ],
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::Ratio;

    fn att(total: u32, excused: u32, present: u32) -> Attendance {
        Attendance {
            total,
            excused,
            present,
        }
    }

    #[test]
    fn a_motion_needs_more_than_half_of_all_delegates_by_default() {
        let r = RuleSet::DEFAULT;
        let a = att(100, 10, 80);
        let mut t = Tally {
            yes: 50,
            ..Tally::default()
        };
        // Half of all 100 is not more than half.
        let res = decide_motion(&t, &a, &r);
        assert!(!res.passed);
        assert_eq!(res.needed, 51);
        t.yes = 51;
        assert!(decide_motion(&t, &a, &r).passed);
        // Counted against those present, 41 of 80 passes.
        let present = RuleSet {
            pass_base: Base::Present,
            ..r
        };
        t.yes = 41;
        assert!(decide_motion(&t, &a, &present).passed);
        t.yes = 40;
        assert!(!decide_motion(&t, &a, &present).passed);
    }

    #[test]
    fn the_competitive_margin_rounds_up_and_needs_at_least_one_more() {
        let r = RuleSet::DEFAULT;
        assert_eq!(competitive_minimum(20, &r), 21);
        assert_eq!(competitive_minimum(21, &r), 23); // 21 × 5 % = 1.05 → 2
        assert_eq!(competitive_minimum(7, &r), 8);
        assert!(slate_ok(8, 7, true, &r).is_ok());
        assert_eq!(slate_ok(7, 7, true, &r).unwrap_err().key, t::VOTE_MARGIN);
        assert!(slate_ok(7, 7, false, &r).is_ok());
        assert!(slate_ok(8, 7, false, &r).is_err());
        let strict = RuleSet {
            election_margin: Ratio::new(1, 5),
            ..r
        };
        assert_eq!(competitive_minimum(7, &strict), 9);
    }

    fn spec(kind: PollKind, seats: u32, n: i64) -> BallotSpec {
        BallotSpec {
            kind,
            seats,
            options: (1..=n).map(OptionId).collect(),
        }
    }

    #[test]
    fn an_election_ballot_may_not_vote_for_more_than_the_seats() {
        let s = spec(PollKind::Election, 2, 3);
        let mut input = BallotInput {
            marks: vec![
                (OptionId(1), "for".into()),
                (OptionId(2), "赞成".into()),
                (OptionId(3), "against".into()),
            ],
            ..BallotInput::default()
        };
        let b = check_ballot(&s, &input, &[]).unwrap();
        assert_eq!(
            b,
            Ballot::Election {
                m: vec![
                    (OptionId(1), Mark::For),
                    (OptionId(2), Mark::For),
                    (OptionId(3), Mark::Against)
                ],
                w: vec![]
            }
        );
        // A write-in is a vote for too.
        input.write_ins = vec![MemberId(9)];
        assert_eq!(
            check_ballot(&s, &input, &[]).unwrap_err().key,
            t::VOTE_TOO_MANY
        );
        input.marks[1].1 = "abstain".into();
        assert!(check_ballot(&s, &input, &[]).is_ok());
        // A candidate is marked, not written in.
        assert_eq!(
            check_ballot(&s, &input, &[MemberId(9)]).unwrap_err().key,
            t::VOTE_WRITE_IN_CANDIDATE
        );
        // An option of another poll is refused.
        input.marks.push((OptionId(77), "for".into()));
        assert_eq!(
            check_ballot(&s, &input, &[]).unwrap_err().key,
            t::VOTE_NOT_CANDIDATE
        );
    }

    #[test]
    fn a_ballot_survives_its_stored_form() {
        let b = Ballot::Election {
            m: vec![(OptionId(3), Mark::For)],
            w: vec![MemberId(12)],
        };
        assert_eq!(Ballot::decode(&b.encode()), Some(b));
        let m = Ballot::Motion {
            c: MotionChoice::Abstain,
        };
        assert_eq!(Ballot::decode(&m.encode()), Some(m));
        assert_eq!(Ballot::decode("{\"k\":\"motion\"}"), None);
    }

    fn tally_for(votes: &[(i64, u32)], write_ins: &[(i64, u32)], ballots: u32) -> Tally {
        Tally {
            ballots,
            options: votes
                .iter()
                .map(|(o, n)| (OptionId(*o), [*n, 0, 0, 0]))
                .collect(),
            write_ins: write_ins.iter().map(|(m, n)| (MemberId(*m), *n)).collect(),
            ..Tally::default()
        }
    }

    #[test]
    fn elected_means_more_than_half_of_all_delegates_whatever_the_leave_and_within_the_seats() {
        let r = RuleSet::DEFAULT;
        // 60 delegates, 4 excused: the statute counts all 60, so 31 votes are needed (the
        // old default counted the 56 due and elected with 29).
        let a = att(60, 4, 50);
        let slate = [OptionId(1), OptionId(2), OptionId(3), OptionId(4)];
        let t = tally_for(&[(1, 40), (2, 31), (3, 30), (4, 35)], &[(500, 32)], 50);
        let res = decide_election(&t, &slate, 3, &a, &r);
        assert_eq!(res.needed, 31);
        assert_eq!(res.base, Base::All);
        assert_eq!(res.base_count, 60);
        // 30 of 60 is exactly half and does not elect, 31 does.
        let edge = tally_for(&[(1, 31), (2, 30)], &[], 50);
        let e = decide_election(&edge, &[OptionId(1), OptionId(2)], 2, &a, &r);
        assert_eq!(e.elected, 1);
        assert_eq!(e.rows[1].outcome, Outcome::NotElected);
        let elected: Vec<Standing> = res
            .rows
            .iter()
            .filter(|r| r.outcome == Outcome::Elected)
            .map(|r| r.who)
            .collect();
        assert_eq!(
            elected,
            vec![
                Standing::Candidate(OptionId(1)),
                Standing::Candidate(OptionId(4)),
                Standing::WriteIn(MemberId(500))
            ]
        );
        // Option 2 reached the threshold but the seats were full.
        let two = res
            .rows
            .iter()
            .find(|r| r.who == Standing::Candidate(OptionId(2)))
            .unwrap();
        assert_eq!(two.outcome, Outcome::BeyondSeats);
        assert_eq!(res.vacant, 0);
    }

    #[test]
    fn fewer_elected_than_seats_leaves_vacancies_for_a_further_round() {
        let r = RuleSet::DEFAULT;
        let a = att(60, 0, 50);
        let slate = [OptionId(1), OptionId(2), OptionId(3)];
        let t = tally_for(&[(1, 31), (2, 30), (3, 20)], &[], 50);
        let res = decide_election(&t, &slate, 2, &a, &r);
        // 31 of 60 is more than half; 30 is exactly half and is not.
        assert_eq!(res.elected, 1);
        assert_eq!(res.vacant, 1);
    }

    #[test]
    fn a_tie_at_the_last_seat_elects_none_of_the_tied() {
        let r = RuleSet::DEFAULT;
        let a = att(40, 0, 40);
        let slate = [OptionId(1), OptionId(2), OptionId(3), OptionId(4)];
        let t = tally_for(&[(1, 35), (2, 30), (3, 30), (4, 25)], &[], 40);
        let res = decide_election(&t, &slate, 2, &a, &r);
        assert_eq!(res.elected, 1);
        assert_eq!(
            res.tied,
            vec![
                Standing::Candidate(OptionId(2)),
                Standing::Candidate(OptionId(3))
            ]
        );
        assert_eq!(res.vacant, 1);
        let four = res
            .rows
            .iter()
            .find(|r| r.who == Standing::Candidate(OptionId(4)))
            .unwrap();
        assert_eq!(four.outcome, Outcome::BeyondSeats);
    }

    #[test]
    fn a_review_is_hidden_below_the_minimum_of_raters() {
        let r = RuleSet {
            review_min_raters: 10,
            ..RuleSet::DEFAULT
        };
        let mut t = Tally::default();
        for g in [Grade::Excellent, Grade::Competent, Grade::Basic] {
            t.add(&Ballot::Review {
                g: vec![(OptionId(1), g)],
            });
        }
        let res = decide_review(&t, &[OptionId(1)], &r);
        assert!(!res.shown);
        assert_eq!(res.rows[0].counts, [1, 1, 1, 0]);
        assert_eq!(res.rows[0].competent_bp, 6667);
        assert_eq!(percent_bp(6667), "66.7%");
        for _ in 0..7 {
            t.add(&Ballot::Review {
                g: vec![(OptionId(1), Grade::Incompetent)],
            });
        }
        assert!(decide_review(&t, &[OptionId(1)], &r).shown);
    }

    fn paper(issued: u32, returned: u32, valid: u32, invalid: u32, yna: [u32; 3]) -> PaperInput {
        PaperInput {
            issued: issued.to_string(),
            returned: returned.to_string(),
            valid: valid.to_string(),
            invalid: invalid.to_string(),
            yes: yna[0].to_string(),
            no: yna[1].to_string(),
            abstain: yna[2].to_string(),
            ..PaperInput::default()
        }
    }

    #[test]
    fn paper_counts_must_reconcile_and_more_returned_than_issued_voids_the_round() {
        let s = spec(PollKind::Motion, 0, 0);
        let (c, rec) = paper(50, 48, 46, 2, [40, 4, 2]).parse(&s).unwrap();
        assert_eq!(rec, Reconciliation::Ok);
        assert_eq!(c.tally.yes, 40);
        let e = paper(50, 48, 45, 2, [40, 3, 2]).parse(&s).unwrap_err();
        assert_eq!(e.0[0].key, t::PAPER_VALID_SUM);
        let e = paper(50, 48, 46, 2, [40, 4, 1]).parse(&s).unwrap_err();
        assert_eq!(e.0[0].key, t::PAPER_CHOICE_SUM);
        let (_, rec) = paper(50, 51, 51, 0, [51, 0, 0]).parse(&s).unwrap();
        assert_eq!(rec, Reconciliation::Void);
        let e = paper(50, 48, 46, 2, [0, 0, 0]);
        let e = PaperInput {
            yes: "四十".into(),
            ..e
        }
        .parse(&s)
        .unwrap_err();
        assert_eq!(e.get("yes").unwrap().key, t::NUMBER_INVALID);
    }

    #[test]
    fn election_paper_counts_cannot_exceed_the_valid_ballots() {
        let s = spec(PollKind::Election, 1, 2);
        let mut input = PaperInput {
            issued: "10".into(),
            returned: "10".into(),
            valid: "10".into(),
            invalid: "0".into(),
            options: vec![
                (
                    OptionId(1),
                    ["6".into(), "2".into(), "2".into(), String::new()],
                ),
                (
                    OptionId(2),
                    ["4".into(), "5".into(), "1".into(), String::new()],
                ),
            ],
            ..PaperInput::default()
        };
        assert!(input.parse(&s).is_ok());
        input.options[1].1[0] = "5".into();
        let e = input.parse(&s).unwrap_err();
        assert!(e.0.iter().any(|x| x.key == t::PAPER_OPTION_OVER));
        assert!(e.0.iter().any(|x| x.key == t::PAPER_FOR_OVER));
    }

    #[test]
    fn poll_steps_follow_the_lifecycle() {
        assert!(PollStatus::Draft.may(PollStep::Open));
        assert!(!PollStatus::Draft.may(PollStep::Cast));
        assert!(PollStatus::Open.may(PollStep::Cast));
        assert!(!PollStatus::Closed.may(PollStep::Cast));
        assert!(!PollStatus::Published.may(PollStep::Paper));
        assert!(PollStatus::Closed.may(PollStep::Publish));
    }

    #[test]
    fn a_union_election_is_secret_and_competitive_for_committee_members() {
        let base = PollInput {
            title: "选举工会委员会委员".into(),
            kind: "election".into(),
            mode: "secret".into(),
            seats: "7".into(),
            contest: "competitive".into(),
            union_office: "committee".into(),
            ..PollInput::default()
        };
        assert_eq!(
            base.parse().unwrap().union_office,
            Some(UnionOffice::Committee)
        );
        for mode in ["named", "paper"] {
            let e = PollInput {
                mode: mode.into(),
                ..base.clone()
            }
            .parse()
            .unwrap_err();
            assert_eq!(e.get("mode").unwrap().key, t::VOTE_UNION_SECRET);
        }
        let e = PollInput {
            contest: "uncontested".into(),
            ..base.clone()
        }
        .parse()
        .unwrap_err();
        assert_eq!(e.get("contest").unwrap().key, t::VOTE_UNION_COMPETITIVE);
        // Only a chair or vice-chair may stand uncontested.
        for office in ["chair", "vice_chair"] {
            let d = PollInput {
                contest: "uncontested".into(),
                union_office: office.into(),
                seats: "1".into(),
                ..base.clone()
            }
            .parse()
            .unwrap();
            assert!(!d.competitive);
        }
        // A congress election is not bound by the union's rules.
        let d = PollInput {
            contest: "uncontested".into(),
            mode: "named".into(),
            union_office: String::new(),
            ..base
        }
        .parse()
        .unwrap();
        assert_eq!(d.union_office, None);
    }

    #[test]
    fn a_named_cadre_review_is_refused() {
        let e = PollInput {
            title: "评议".into(),
            kind: "cadre_review".into(),
            mode: "named".into(),
            ..PollInput::default()
        }
        .parse()
        .unwrap_err();
        assert_eq!(e.get("mode").unwrap().key, t::VOTE_REVIEW_SECRET);
        let d = PollInput {
            title: "选举".into(),
            kind: "election".into(),
            mode: "secret".into(),
            seats: "7".into(),
            contest: "competitive".into(),
            ..PollInput::default()
        }
        .parse()
        .unwrap();
        assert!(d.competitive);
        assert_eq!(d.seats, 7);
    }
}
