//! Versioned rule sets of the staff congress: every number the congress and its votes
//! depend on (quorum, pass threshold and its denominator, composition shares, seconders,
//! the assembly threshold, meetings per school year, extraordinary meetings, re-handling
//! rounds), each with its source, and the pure functions that apply them.
//!
//! Arithmetic is exact: a share is a [`Ratio`] of two integers and "at least 2/3" is decided
//! by cross-multiplying in `u64`, never with floats (2/3 of 30 is exactly 20, and 20 is
//! enough). Thresholds say whether the boundary itself counts: in Chinese statutes "三分之二
//! 以上" includes the boundary (Civil Code art. 1259: "以上…包括本数"), while "more than half"
//! (过半数) does not.
//!
//! This module stores nothing and reads no clock. `store::congress::rules` keeps the versions;
//! a decision records the id of the version that made it.

use crate::error::{FieldError, FieldErrors};
use crate::org::{Coded, EmploymentType};
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;

/// An exact non-negative fraction `num / den` with `den > 0`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Ratio {
    pub num: u32,
    pub den: u32,
}

impl Ratio {
    pub const fn new(num: u32, den: u32) -> Ratio {
        Ratio { num, den }
    }

    /// Compares `count / total` with this ratio. `total` must be positive.
    pub fn compare(self, count: u32, total: u32) -> Ordering {
        (u64::from(count) * u64::from(self.den)).cmp(&(u64::from(self.num) * u64::from(total)))
    }

    /// `count / total >= self`; false when `total` is 0.
    pub fn at_least(self, count: u32, total: u32) -> bool {
        total > 0 && self.compare(count, total) != Ordering::Less
    }

    /// `count / total > self`; false when `total` is 0.
    pub fn more_than(self, count: u32, total: u32) -> bool {
        total > 0 && self.compare(count, total) == Ordering::Greater
    }

    /// `count / total <= self`; true when `total` is 0 (nothing exceeds).
    pub fn at_most(self, count: u32, total: u32) -> bool {
        total == 0 || self.compare(count, total) != Ordering::Greater
    }

    /// Orders two ratios exactly.
    pub fn cmp_ratio(self, other: Ratio) -> Ordering {
        (u64::from(self.num) * u64::from(other.den))
            .cmp(&(u64::from(other.num) * u64::from(self.den)))
    }

    /// Reads `2/3`, `60%`, `60` (a percentage) or `12.5%`. At most two decimals.
    pub fn parse(field: &'static str, input: &str) -> Result<Ratio, FieldError> {
        let bad = || FieldError::new(field, crate::text::RATIO_INVALID);
        let s: String = input.chars().filter(|c| !c.is_whitespace()).collect();
        if s.is_empty() {
            return Err(FieldError::new(field, crate::text::REQUIRED));
        }
        let r = if let Some((a, b)) = s.split_once('/') {
            let num: u32 = a.parse().map_err(|_| bad())?;
            let den: u32 = b.parse().map_err(|_| bad())?;
            if den == 0 {
                return Err(bad());
            }
            Ratio::new(num, den)
        } else if !s.contains(['%', '％']) && s.contains('.') {
            // A decimal fraction: 0.6 = 60 %.
            let (int, frac) = s.split_once('.').unwrap_or((&s, ""));
            if (int != "0" && int != "1") || frac.is_empty() || frac.len() > 4 {
                return Err(bad());
            }
            let frac_val: u32 = format!("{frac:0<4}").parse().map_err(|_| bad())?;
            let int: u32 = int.parse().map_err(|_| bad())?;
            Ratio::new(int * 10_000 + frac_val, 10_000)
        } else {
            // A percentage, with or without the sign: 60, 60%, 12.5%.
            let p = s.trim_end_matches(['%', '％']).to_string();
            let (int, frac) = p.split_once('.').unwrap_or((&p, ""));
            if frac.len() > 2 || int.is_empty() {
                return Err(bad());
            }
            let int: u32 = int.parse().map_err(|_| bad())?;
            let frac_val: u32 = if frac.is_empty() {
                0
            } else {
                format!("{frac:0<2}").parse().map_err(|_| bad())?
            };
            Ratio::new(int.checked_mul(100).ok_or_else(bad)? + frac_val, 10_000)
        };
        if r.num > r.den {
            return Err(bad());
        }
        Ok(r.reduced())
    }

    pub fn reduced(self) -> Ratio {
        fn gcd(a: u32, b: u32) -> u32 {
            if b == 0 { a } else { gcd(b, a % b) }
        }
        let g = gcd(self.num, self.den).max(1);
        Ratio::new(self.num / g, self.den / g)
    }

    /// `2/3`, or `60%` when the ratio is a whole or two-decimal percentage (halves and
    /// thirds stay fractions: that is how the statutes write them).
    pub fn display(self) -> String {
        let den = u64::from(self.den.max(1));
        let basis = u64::from(self.num) * 10_000;
        if self.den != 2 && self.den != 3 && basis % den == 0 {
            let b = basis / den;
            if b % 100 == 0 {
                format!("{}%", b / 100)
            } else {
                let s = format!("{}.{:02}", b / 100, b % 100);
                format!("{}%", s.trim_end_matches('0'))
            }
        } else {
            format!("{}/{}", self.num, self.den)
        }
    }

    /// The share as a whole percentage, rounded half up from the exact fraction (2 of 3 is
    /// 67, 1 of 8 is 13), for display only.
    pub fn percent_of(count: u32, total: u32) -> u32 {
        if total == 0 {
            0
        } else {
            // round(100·n/d) = floor((200·n + d) / 2d): one integer division, no carry lost.
            ((200 * u64::from(count) + u64::from(total)) / (2 * u64::from(total))) as u32
        }
    }

    /// The share in tenths of a percent, rounded half up from the exact fraction: 48 of 49
    /// is 979.59… tenths, so 980 (98.0 %).
    pub fn permille_of(count: u32, total: u32) -> u32 {
        if total == 0 {
            0
        } else {
            ((2000 * u64::from(count) + u64::from(total)) / (2 * u64::from(total))) as u32
        }
    }

    /// `count / total` as a percentage with one decimal ("98.0%"), rounded half up from the
    /// exact fraction. Never rounded twice (a share first rounded to basis points and then
    /// to one decimal can be off by 0.1).
    pub fn percent_text(count: u32, total: u32) -> String {
        let t = Ratio::permille_of(count, total);
        format!("{}.{}%", t / 10, t % 10)
    }
}

/// A share with its boundary rule: `inclusive` = "at least" (≥), otherwise "more than" (>).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Threshold {
    pub share: Ratio,
    pub inclusive: bool,
}

impl Threshold {
    pub const fn at_least(num: u32, den: u32) -> Threshold {
        Threshold {
            share: Ratio::new(num, den),
            inclusive: true,
        }
    }

    pub const fn more_than(num: u32, den: u32) -> Threshold {
        Threshold {
            share: Ratio::new(num, den),
            inclusive: false,
        }
    }

    /// Whether `count` out of `total` reaches the threshold. Nothing is reached out of 0.
    pub fn met(self, count: u32, total: u32) -> bool {
        if self.inclusive {
            self.share.at_least(count, total)
        } else {
            self.share.more_than(count, total)
        }
    }

    /// The smallest count out of `total` that meets the threshold (`total + 1` when none
    /// can, e.g. "more than all").
    pub fn needed(self, total: u32) -> u32 {
        if total == 0 {
            return 1;
        }
        // ceil(num * total / den), then one more when the boundary does not count.
        let prod = u64::from(self.share.num) * u64::from(total);
        let den = u64::from(self.share.den.max(1));
        let mut k = prod.div_ceil(den);
        if !self.inclusive && k * den == prod {
            k += 1;
        }
        k.min(u64::from(total) + 1) as u32
    }
}

use crate::kit::coded;

coded!(
    /// Whom a share is counted against: all voting delegates (代表总数), those due to attend
    /// (all minus excused absences), or those present. Order No. 32 counts the quorum,
    /// elections and votes against all delegates, and a union election counts against
    /// everyone with the right to vote: only `All` passes [`RuleSet::check`]; the other two
    /// remain so that older stored versions can be read and refused with a clear message.
    Base, "rule-base", {
    All = "all" ["全体代表", "代表总数"],
    Due = "due" ["应到", "应出席代表"],
    Present = "present" ["实到", "出席代表"],
});

coded!(
    /// Who may see the results of a cadre review: those who run the congress, the
    /// presidium as well, or every delegate of the meeting.
    ReviewAudience, "review-audience", {
    Managers = "managers" ["工会", "组织者"],
    Presidium = "presidium" ["主席团"],
    Delegates = "delegates" ["全体代表", "代表"],
});

/// Where a number comes from. The catalogue text of each rule ([`Rule::source_key`]) names
/// the document and, where it has been read, the article; a number whose source text has
/// not been read is marked local rather than given an invented citation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// 教育部令第32号《学校教职工代表大会规定》(2011).
    Moe32,
    /// 《工会基层组织选举工作条例》(全总, 总工发〔2016〕27号): 差额率 "不低于5%"; elected
    /// with "超过应到会有选举权人数的半数"; art. 4: members hold the right to vote.
    UnionElection,
    /// The union's implementing rules (实施细则 / 提案工作办法) — local and configurable.
    Local,
}

/// One number of a rule set, for forms, history and the source column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rule {
    Quorum,
    QuorumBase,
    Pass,
    PassBase,
    TeacherMin,
    LeaderMax,
    YoungAge,
    Seconders,
    AssemblyBelow,
    MinMeetingsPerYear,
    Extraordinary,
    MaxRehandleRounds,
    ReplyDays,
    TermYears,
    ElectionMargin,
    ElectionPass,
    ElectionBase,
    ReviewMinRaters,
    ReviewAudience,
    EligibleEmployment,
}

impl Rule {
    pub const ALL: [Rule; 20] = [
        Rule::Quorum,
        Rule::QuorumBase,
        Rule::Pass,
        Rule::PassBase,
        Rule::TeacherMin,
        Rule::LeaderMax,
        Rule::YoungAge,
        Rule::Seconders,
        Rule::AssemblyBelow,
        Rule::MinMeetingsPerYear,
        Rule::Extraordinary,
        Rule::MaxRehandleRounds,
        Rule::ReplyDays,
        Rule::TermYears,
        Rule::ElectionMargin,
        Rule::ElectionPass,
        Rule::ElectionBase,
        Rule::ReviewMinRaters,
        Rule::ReviewAudience,
        Rule::EligibleEmployment,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Rule::Quorum => "quorum",
            Rule::QuorumBase => "quorum_base",
            Rule::Pass => "pass",
            Rule::PassBase => "pass_base",
            Rule::TeacherMin => "teacher_min",
            Rule::LeaderMax => "leader_max",
            Rule::YoungAge => "young_age",
            Rule::Seconders => "seconders",
            Rule::AssemblyBelow => "assembly_below",
            Rule::MinMeetingsPerYear => "min_meetings",
            Rule::Extraordinary => "extraordinary",
            Rule::MaxRehandleRounds => "max_rehandle",
            Rule::ReplyDays => "reply_days",
            Rule::TermYears => "term_years",
            Rule::ElectionMargin => "election_margin",
            Rule::ElectionPass => "election_pass",
            Rule::ElectionBase => "election_base",
            Rule::ReviewMinRaters => "review_min_raters",
            Rule::ReviewAudience => "review_audience",
            Rule::EligibleEmployment => "eligible_employment",
        }
    }

    /// Catalogue key of the rule's name.
    pub fn label_key(self) -> String {
        format!("rule-{}", self.code().replace('_', "-"))
    }

    /// Catalogue key of the text that cites the default's source.
    pub fn source_key(self) -> String {
        format!("rule-src-{}", self.code().replace('_', "-"))
    }

    /// Sources of the defaults of [`RuleSet::DEFAULT`].
    ///
    /// Order No. 32: quorum "须有三分之二以上代表出席"; elections and votes "须经代表总数
    /// 半数以上通过"; teachers "不得低于代表总数的60%", with young teachers and women in
    /// "一定比例"; "每学年至少召开一次", an extraordinary meeting "经…三分之一以上代表提议";
    /// a term of "3年至5年"; delegates are staff "具有聘任聘用关系" with the school (which
    /// employment types that covers is the union's reading: [`Rule::EligibleEmployment`]).
    /// The rest come from the union's implementing rules: leaders at most 20 % of delegates,
    /// proposals seconded by 2 delegates, 教职工大会 below 80 staff, a reply within 30 days,
    /// at most 2 re-handlings, "young" = 35 and under ("35岁以下" includes 35).
    pub fn source(self) -> Source {
        match self {
            Rule::Quorum
            | Rule::QuorumBase
            | Rule::Pass
            | Rule::PassBase
            | Rule::TeacherMin
            | Rule::MinMeetingsPerYear
            | Rule::Extraordinary
            | Rule::TermYears
            | Rule::EligibleEmployment => Source::Moe32,
            Rule::LeaderMax
            | Rule::YoungAge
            | Rule::Seconders
            | Rule::AssemblyBelow
            | Rule::MaxRehandleRounds
            | Rule::ReplyDays
            | Rule::ReviewMinRaters
            | Rule::ReviewAudience => Source::Local,
            Rule::ElectionMargin | Rule::ElectionPass | Rule::ElectionBase => Source::UnionElection,
        }
    }
}

/// A set of employment types (用工形式), kept `Copy` as a bit set and stored as a list of
/// codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct EmploymentSet(u8);

impl EmploymentSet {
    fn bit(t: EmploymentType) -> u8 {
        let i = EmploymentType::all()
            .iter()
            .position(|x| *x == t)
            .unwrap_or(0);
        1 << i
    }

    pub const fn empty() -> EmploymentSet {
        EmploymentSet(0)
    }

    /// Those with an employment relation (聘任聘用关系) with the school: established posts,
    /// contract staff and temporary hires. Agency workers (派遣) are employed by the agency,
    /// rehired retirees (返聘) work under a service agreement; a union may admit them. This
    /// reading of Order No. 32 is local.
    pub const DEFAULT: EmploymentSet = EmploymentSet(0b0_1011);

    pub fn of(types: &[EmploymentType]) -> EmploymentSet {
        EmploymentSet(types.iter().fold(0, |a, t| a | Self::bit(*t)))
    }

    pub fn contains(self, t: EmploymentType) -> bool {
        self.0 & Self::bit(t) != 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The types in the set, in the enum's order.
    pub fn types(self) -> Vec<EmploymentType> {
        EmploymentType::all()
            .iter()
            .copied()
            .filter(|t| self.contains(*t))
            .collect()
    }

    /// Whether a member of this employment type may stand and vote. A member whose type is
    /// not recorded is not shut out: missing data must not take a right away.
    pub fn admits(self, t: Option<EmploymentType>) -> bool {
        t.is_none_or(|t| self.contains(t))
    }
}

impl Serialize for EmploymentSet {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.types().iter().map(|t| t.code()))
    }
}

impl<'de> Deserialize<'de> for EmploymentSet {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let codes: Vec<String> = Vec::deserialize(d)?;
        let mut types = Vec::with_capacity(codes.len());
        for c in codes {
            let t = EmploymentType::all()
                .iter()
                .copied()
                .find(|t| t.code() == c)
                .ok_or_else(|| serde::de::Error::custom(format!("employment type {c}")))?;
            types.push(t);
        }
        Ok(EmploymentSet::of(&types))
    }
}

/// The numbers of one rule-set version.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleSet {
    /// Share of delegates that must be present (≥ 2/3).
    pub quorum: Threshold,
    /// Counted against all delegates or those due to attend.
    pub quorum_base: Base,
    /// Share of yes votes that passes (> 1/2).
    pub pass: Threshold,
    /// Counted against all delegates, those due, or those present (default all).
    pub pass_base: Base,
    /// Minimum share of teachers among voting delegates (60 %).
    pub teacher_min: Ratio,
    /// Maximum share of school leaders among voting delegates (20 %).
    pub leader_max: Ratio,
    /// Teachers of this age or younger count as young in the composition report (35:
    /// "35岁以下" includes 35).
    pub young_age: u32,
    /// Seconders a proposal needs before it is submitted (2).
    pub seconders: u32,
    /// Below this many staff a school holds an all-staff assembly instead (80).
    pub assembly_below: u32,
    /// Meetings a term must hold each school year (1).
    pub min_meetings_per_year: u32,
    /// Share of delegates whose request calls an extraordinary meeting (≥ 1/3).
    pub extraordinary: Threshold,
    /// How often a dissatisfied proposer may send a proposal back (2).
    pub max_rehandle_rounds: u32,
    /// Days a handling department has for its reply, counted from assignment (30).
    pub reply_days: u32,
    /// Shortest and longest term in years (3–5).
    pub term_min_years: u32,
    pub term_max_years: u32,
    /// How many more candidates than seats a competitive election needs (≥ 5 %).
    #[serde(default = "default_election_margin")]
    pub election_margin: Ratio,
    /// Votes for a candidate needs to be elected (> 1/2), its own number: a motion's `pass`
    /// may be raised without raising it.
    #[serde(default = "default_election_pass")]
    pub election_pass: Threshold,
    /// Whom "elected" counts against: all delegates (Order No. 32), everyone with the right
    /// to vote in a union election (应到会有选举权人数; a day's leave does not reduce it).
    #[serde(default = "default_election_base")]
    pub election_base: Base,
    /// Raters a cadre review needs before its results are shown (local, 10).
    #[serde(default = "default_review_min_raters")]
    pub review_min_raters: u32,
    /// Who sees cadre-review results.
    #[serde(default = "default_review_audience")]
    pub review_audience: ReviewAudience,
    /// Employment types that may stand as delegates and vote (Order No. 32: those with an
    /// employment relation with the school).
    #[serde(default = "default_eligible_employment")]
    pub eligible_employment: EmploymentSet,
}

// Versions stored before the voting numbers existed read as the defaults.
fn default_election_margin() -> Ratio {
    RuleSet::DEFAULT.election_margin
}
fn default_election_pass() -> Threshold {
    RuleSet::DEFAULT.election_pass
}
fn default_eligible_employment() -> EmploymentSet {
    RuleSet::DEFAULT.eligible_employment
}
// A version stored before this field existed said nothing about it: it reads as the
// statutory base. Versions that chose "due" say so and are refused by `check`.
fn default_election_base() -> Base {
    RuleSet::DEFAULT.election_base
}
fn default_review_min_raters() -> u32 {
    RuleSet::DEFAULT.review_min_raters
}
fn default_review_audience() -> ReviewAudience {
    RuleSet::DEFAULT.review_audience
}

impl RuleSet {
    pub const DEFAULT: RuleSet = RuleSet {
        quorum: Threshold::at_least(2, 3),
        quorum_base: Base::All,
        pass: Threshold::more_than(1, 2),
        pass_base: Base::All,
        teacher_min: Ratio::new(3, 5),
        leader_max: Ratio::new(1, 5),
        young_age: 35,
        seconders: 2,
        assembly_below: 80,
        min_meetings_per_year: 1,
        extraordinary: Threshold::at_least(1, 3),
        max_rehandle_rounds: 2,
        reply_days: 30,
        term_min_years: 3,
        term_max_years: 5,
        election_margin: Ratio::new(1, 20),
        election_pass: Threshold::more_than(1, 2),
        election_base: Base::All,
        review_min_raters: 10,
        review_audience: ReviewAudience::Presidium,
        eligible_employment: EmploymentSet::DEFAULT,
    };

    /// The statutory floors of Order No. 32 that no local version may go below.
    pub const STATUTE: RuleSet = RuleSet::DEFAULT;

    /// Checks a version before it is stored: sane ranges, and never looser than Order
    /// No. 32 (a school may be stricter, not laxer).
    pub fn check(&self) -> Result<(), FieldErrors> {
        let mut e = FieldErrors::default();
        let s = RuleSet::STATUTE;
        let below = |field: &'static str, min: String| {
            FieldError::new(field, crate::text::RULE_BELOW_STATUTE).arg("min", min)
        };
        if self.quorum.share.cmp_ratio(s.quorum.share) == Ordering::Less
            || self.quorum.share.num > self.quorum.share.den
        {
            e.push(below("quorum", s.quorum.share.display()));
        }
        // Order No. 32 counts the quorum, elections and votes against all delegates; a
        // smaller base (those due, those present) lowers the bar, whatever the fraction.
        for (field, base) in [
            ("quorum_base", self.quorum_base),
            ("pass_base", self.pass_base),
            ("election_base", self.election_base),
        ] {
            if base != Base::All {
                e.push(FieldError::new(field, crate::text::RULE_BASE_ALL));
            }
        }
        // A pass threshold below one half, or exactly one half counted inclusively, would let
        // a minority decide. The same floor holds for electing.
        for (field, t, floor) in [
            ("pass", self.pass, s.pass),
            ("election_pass", self.election_pass, s.election_pass),
        ] {
            match t.share.cmp_ratio(floor.share) {
                Ordering::Less => e.push(below(field, floor.share.display())),
                Ordering::Equal if t.inclusive && !floor.inclusive => {
                    e.push(below(field, floor.share.display()))
                }
                _ => {}
            }
            if t.share.num > t.share.den {
                e.push(FieldError::new(field, crate::text::RATIO_INVALID));
            }
        }
        if self.eligible_employment.is_empty() {
            e.push(FieldError::new(
                "eligible_employment",
                crate::text::RULE_EMPLOYMENT_NONE,
            ));
        }
        if self.teacher_min.cmp_ratio(s.teacher_min) == Ordering::Less {
            e.push(below("teacher_min", s.teacher_min.display()));
        }
        if self.leader_max.num == 0 || self.leader_max.num > self.leader_max.den {
            e.push(FieldError::new("leader_max", crate::text::RATIO_INVALID));
        }
        // Easier to call than the statute is allowed; harder is not.
        if self.extraordinary.share.cmp_ratio(s.extraordinary.share) == Ordering::Greater
            || self.extraordinary.share.num == 0
        {
            e.push(
                FieldError::new("extraordinary", crate::text::RULE_ABOVE_STATUTE)
                    .arg("max", s.extraordinary.share.display()),
            );
        }
        let range = |e: &mut FieldErrors, field: &'static str, v: u32, lo: u32, hi: u32| {
            if !(lo..=hi).contains(&v) {
                e.push(
                    FieldError::new(field, crate::text::NUMBER_RANGE)
                        .arg("min", lo)
                        .arg("max", hi),
                );
            }
        };
        range(&mut e, "young_age", self.young_age, 25, 45);
        range(&mut e, "seconders", self.seconders, 1, 10);
        range(&mut e, "assembly_below", self.assembly_below, 1, 1000);
        range(&mut e, "min_meetings", self.min_meetings_per_year, 1, 12);
        range(&mut e, "max_rehandle", self.max_rehandle_rounds, 0, 5);
        range(&mut e, "reply_days", self.reply_days, 1, 180);
        range(&mut e, "review_min_raters", self.review_min_raters, 1, 1000);
        if self.election_margin.cmp_ratio(s.election_margin) == Ordering::Less
            || self.election_margin.num > self.election_margin.den
        {
            e.push(below("election_margin", s.election_margin.display()));
        }
        if self.term_min_years < s.term_min_years
            || self.term_max_years > s.term_max_years
            || self.term_min_years > self.term_max_years
        {
            e.push(
                FieldError::new("term_years", crate::text::NUMBER_RANGE)
                    .arg("min", s.term_min_years)
                    .arg("max", s.term_max_years),
            );
        }
        if e.is_empty() { Ok(()) } else { Err(e) }
    }
}

impl Default for RuleSet {
    fn default() -> Self {
        RuleSet::DEFAULT
    }
}

/// The raw text of the rule-set form.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RuleSetInput {
    pub quorum: String,
    /// Always "all" from the form (it offers no other); empty reads as "all", anything else
    /// is refused by [`RuleSet::check`].
    pub quorum_base: String,
    pub pass: String,
    /// "gt" (more than) or "ge" (at least).
    pub pass_boundary: String,
    pub pass_base: String,
    pub teacher_min: String,
    pub leader_max: String,
    pub young_age: String,
    pub seconders: String,
    pub assembly_below: String,
    pub min_meetings: String,
    pub extraordinary: String,
    pub max_rehandle: String,
    pub reply_days: String,
    pub term_min_years: String,
    pub term_max_years: String,
    pub election_margin: String,
    pub election_pass: String,
    /// "gt" (more than) or "ge" (at least).
    pub election_pass_boundary: String,
    pub election_base: String,
    pub review_min_raters: String,
    pub review_audience: String,
    /// Employment types, separated by commas, 、 or spaces (codes or their usual names).
    pub eligible_employment: String,
    pub note: String,
}

/// A base from the form: empty means the statutory "all".
fn parse_base(field: &'static str, s: &str) -> Result<Base, FieldError> {
    if s.trim().is_empty() {
        Ok(Base::All)
    } else {
        crate::org::parse_choice::<Base>(field, s)
    }
}

/// Reads a list of employment types ("在编、合同, temporary").
pub fn parse_employment_set(field: &'static str, s: &str) -> Result<EmploymentSet, FieldError> {
    let mut types = Vec::new();
    for part in s
        .split([',', '，', '、', ';', '；', ' ', '\n'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        types.push(crate::org::parse_choice::<EmploymentType>(field, part)?);
    }
    let set = EmploymentSet::of(&types);
    if set.is_empty() {
        return Err(FieldError::new(field, crate::text::RULE_EMPLOYMENT_NONE));
    }
    Ok(set)
}

fn parse_u32(field: &'static str, s: &str) -> Result<u32, FieldError> {
    let t = s.trim();
    if t.is_empty() {
        return Err(FieldError::new(field, crate::text::REQUIRED));
    }
    t.parse()
        .map_err(|_| FieldError::new(field, crate::text::NUMBER_INVALID))
}

impl RuleSetInput {
    pub fn from_rules(r: &RuleSet) -> RuleSetInput {
        RuleSetInput {
            quorum: r.quorum.share.display(),
            quorum_base: r.quorum_base.as_str().into(),
            pass: r.pass.share.display(),
            pass_boundary: if r.pass.inclusive { "ge" } else { "gt" }.into(),
            pass_base: r.pass_base.as_str().into(),
            teacher_min: r.teacher_min.display(),
            leader_max: r.leader_max.display(),
            young_age: r.young_age.to_string(),
            seconders: r.seconders.to_string(),
            assembly_below: r.assembly_below.to_string(),
            min_meetings: r.min_meetings_per_year.to_string(),
            extraordinary: r.extraordinary.share.display(),
            max_rehandle: r.max_rehandle_rounds.to_string(),
            reply_days: r.reply_days.to_string(),
            term_min_years: r.term_min_years.to_string(),
            term_max_years: r.term_max_years.to_string(),
            election_margin: r.election_margin.display(),
            election_pass: r.election_pass.share.display(),
            election_pass_boundary: if r.election_pass.inclusive {
                "ge"
            } else {
                "gt"
            }
            .into(),
            election_base: r.election_base.as_str().into(),
            review_min_raters: r.review_min_raters.to_string(),
            review_audience: r.review_audience.as_str().into(),
            eligible_employment: r
                .eligible_employment
                .types()
                .iter()
                .map(|t| t.code())
                .collect::<Vec<_>>()
                .join(", "),
            note: String::new(),
        }
    }

    /// Parses every field, reports every error, then checks the statutory floors.
    pub fn parse(&self) -> Result<(RuleSet, Option<String>), FieldErrors> {
        use crate::org::parse_choice;
        let mut e = FieldErrors::default();
        let quorum = e.take(Ratio::parse("quorum", &self.quorum));
        let quorum_base = e.take(parse_base("quorum_base", &self.quorum_base));
        let pass = e.take(Ratio::parse("pass", &self.pass));
        let pass_base = e.take(parse_base("pass_base", &self.pass_base));
        let teacher_min = e.take(Ratio::parse("teacher_min", &self.teacher_min));
        let leader_max = e.take(Ratio::parse("leader_max", &self.leader_max));
        let young_age = e.take(parse_u32("young_age", &self.young_age));
        let seconders = e.take(parse_u32("seconders", &self.seconders));
        let assembly_below = e.take(parse_u32("assembly_below", &self.assembly_below));
        let min_meetings = e.take(parse_u32("min_meetings", &self.min_meetings));
        let extraordinary = e.take(Ratio::parse("extraordinary", &self.extraordinary));
        let max_rehandle = e.take(parse_u32("max_rehandle", &self.max_rehandle));
        let reply_days = e.take(parse_u32("reply_days", &self.reply_days));
        let term_min = e.take(parse_u32("term_years", &self.term_min_years));
        let term_max = e.take(parse_u32("term_years", &self.term_max_years));
        let note = e.take(crate::org::optional_text("note", &self.note, 200));
        let election_margin = e.take(Ratio::parse("election_margin", &self.election_margin));
        let election_base = e.take(parse_base("election_base", &self.election_base));
        let election_pass = e.take(Ratio::parse("election_pass", &self.election_pass));
        let eligible_employment = e.take(parse_employment_set(
            "eligible_employment",
            &self.eligible_employment,
        ));
        let review_min_raters = e.take(parse_u32("review_min_raters", &self.review_min_raters));
        let review_audience = e.take(parse_choice::<ReviewAudience>(
            "review_audience",
            &self.review_audience,
        ));
        let (
            Some(election_margin),
            Some(election_pass),
            Some(election_base),
            Some(review_min_raters),
            Some(review_audience),
            Some(eligible_employment),
        ) = (
            election_margin,
            election_pass,
            election_base,
            review_min_raters,
            review_audience,
            eligible_employment,
        )
        else {
            return Err(e);
        };
        let (
            Some(quorum),
            Some(quorum_base),
            Some(pass),
            Some(pass_base),
            Some(teacher_min),
            Some(leader_max),
            Some(young_age),
            Some(seconders),
            Some(assembly_below),
            Some(min_meetings),
            Some(extraordinary),
            Some(max_rehandle),
            Some(reply_days),
            Some(term_min),
            Some(term_max),
            Some(note),
        ) = (
            quorum,
            quorum_base,
            pass,
            pass_base,
            teacher_min,
            leader_max,
            young_age,
            seconders,
            assembly_below,
            min_meetings,
            extraordinary,
            max_rehandle,
            reply_days,
            term_min,
            term_max,
            note,
        )
        else {
            return Err(e);
        };
        let r = RuleSet {
            quorum: Threshold {
                share: quorum,
                inclusive: true,
            },
            quorum_base,
            pass: Threshold {
                share: pass,
                inclusive: self.pass_boundary == "ge",
            },
            pass_base,
            teacher_min,
            leader_max,
            young_age,
            seconders,
            assembly_below,
            min_meetings_per_year: min_meetings,
            extraordinary: Threshold {
                share: extraordinary,
                inclusive: true,
            },
            max_rehandle_rounds: max_rehandle,
            reply_days,
            term_min_years: term_min,
            term_max_years: term_max,
            election_margin,
            election_pass: Threshold {
                share: election_pass,
                inclusive: self.election_pass_boundary == "ge",
            },
            election_base,
            review_min_raters,
            review_audience,
            eligible_employment,
        };
        r.check()?;
        Ok((r, note))
    }
}

/// Who is expected and who came, counting voting delegates only (observers and invited
/// guests have no vote and do not count).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attendance {
    /// Voting delegates of the term (代表总数).
    pub total: u32,
    /// Excused absences recorded before the meeting (请假).
    pub excused: u32,
    /// Checked in and not left.
    pub present: u32,
}

impl Attendance {
    /// Due to attend (应到): all minus excused.
    pub fn due(&self) -> u32 {
        self.total.saturating_sub(self.excused)
    }

    pub fn base(&self, b: Base) -> u32 {
        match b {
            Base::All => self.total,
            Base::Due => self.due(),
            Base::Present => self.present,
        }
    }
}

/// The quorum as the attendance board shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuorumState {
    pub met: bool,
    /// Present delegates needed.
    pub needed: u32,
    /// The count the share is taken of.
    pub base: u32,
}

/// Whether enough delegates are present: `present / base ≥ quorum`, with the base chosen by
/// the rule set (all delegates by default, as Order No. 32 counts).
pub fn quorum_met(a: &Attendance, r: &RuleSet) -> bool {
    r.quorum.met(a.present, a.base(r.quorum_base))
}

pub fn quorum(a: &Attendance, r: &RuleSet) -> QuorumState {
    let base = a.base(r.quorum_base);
    QuorumState {
        met: quorum_met(a, r),
        needed: r.quorum.needed(base),
        base,
    }
}

/// Whether `yes` votes pass under the rule set's threshold and denominator. The voting
/// issue calls this; a vote without quorum is refused before it gets here.
pub fn passes(yes: u32, a: &Attendance, r: &RuleSet) -> bool {
    r.pass.met(yes, a.base(r.pass_base))
}

/// Whether `requesters` out of `delegates` may call an extraordinary meeting.
pub fn extraordinary_requested(requesters: u32, delegates: u32, r: &RuleSet) -> bool {
    r.extraordinary.met(requesters, delegates)
}

/// Whether a school of `staff` active staff holds an all-staff assembly (教职工大会).
pub fn assembly_mode(staff: u32, r: &RuleSet) -> bool {
    staff < r.assembly_below
}

/// Whether `held` meetings in a school year satisfy the rule set.
pub fn meetings_ok(held: u32, r: &RuleSet) -> bool {
    held >= r.min_meetings_per_year
}

/// Whether a teacher of `age` counts as young: "35岁以下" includes 35 (Civil Code art.
/// 1259: "以上、以下…包括本数").
pub fn is_young(age: u32, r: &RuleSet) -> bool {
    age <= r.young_age
}

/// Teachers born after this day are young on `today` (aged `young_age` or less). On
/// 29 February the years-before day is the 28th of a common year, never `today` itself.
pub fn young_born_after(today: chrono::NaiveDate, r: &RuleSet) -> Option<chrono::NaiveDate> {
    crate::org::years_before(today, r.young_age + 1)
}

/// Whether a proposal with `seconded` seconders may be submitted.
pub fn seconders_ok(seconded: u32, r: &RuleSet) -> bool {
    seconded >= r.seconders
}

/// Whether a dissatisfied proposer may send the proposal back once more, after
/// `rehandled` re-handlings.
pub fn may_rehandle(rehandled: u32, r: &RuleSet) -> bool {
    rehandled < r.max_rehandle_rounds
}

/// Whether a term from `start` to `end` has an allowed length (whole years, 3–5).
pub fn term_length_ok(start: chrono::NaiveDate, end: chrono::NaiveDate, r: &RuleSet) -> bool {
    use chrono::Datelike;
    if end <= start {
        return false;
    }
    let add = |y: u32| {
        start
            .with_year(start.year() + y as i32)
            .or_else(|| chrono::NaiveDate::from_ymd_opt(start.year() + y as i32, 2, 28))
    };
    // Up to a month short of the minimum is allowed: terms end at the meeting that elects
    // the next one, not on the anniversary.
    match (add(r.term_min_years), add(r.term_max_years)) {
        (Some(min), Some(max)) => end >= min - chrono::Duration::days(31) && end <= max,
        _ => false,
    }
}

/// Head counts of the voting delegates of a term, for the composition report.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Composition {
    pub delegates: u32,
    pub teachers: u32,
    pub women: u32,
    /// Teachers younger than the rule set's `young_age`.
    pub young_teachers: u32,
    pub leaders: u32,
}

/// A rule the composition breaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CompositionWarning {
    NoDelegates,
    /// Teachers below the minimum share; `needed` teachers would meet it.
    TeachersBelow {
        needed: u32,
    },
    /// Leaders above the maximum share; at most `max` are allowed.
    LeadersAbove {
        max: u32,
    },
    /// Order No. 32 asks for "a certain share" of women and of young teachers; none is
    /// a warning.
    NoWomen,
    NoYoungTeachers,
}

impl CompositionWarning {
    pub fn key(&self) -> &'static str {
        match self {
            CompositionWarning::NoDelegates => "comp-warn-no-delegates",
            CompositionWarning::TeachersBelow { .. } => "comp-warn-teachers",
            CompositionWarning::LeadersAbove { .. } => "comp-warn-leaders",
            CompositionWarning::NoWomen => "comp-warn-no-women",
            CompositionWarning::NoYoungTeachers => "comp-warn-no-young",
        }
    }

    pub fn args(&self) -> Vec<(&'static str, String)> {
        match self {
            CompositionWarning::TeachersBelow { needed } => vec![("needed", needed.to_string())],
            CompositionWarning::LeadersAbove { max } => vec![("max", max.to_string())],
            _ => Vec::new(),
        }
    }
}

/// Every rule of the rule set the composition breaks, in a fixed order.
pub fn composition_warnings(c: &Composition, r: &RuleSet) -> Vec<CompositionWarning> {
    let mut w = Vec::new();
    if c.delegates == 0 {
        w.push(CompositionWarning::NoDelegates);
        return w;
    }
    if !r.teacher_min.at_least(c.teachers, c.delegates) {
        w.push(CompositionWarning::TeachersBelow {
            needed: Threshold {
                share: r.teacher_min,
                inclusive: true,
            }
            .needed(c.delegates),
        });
    }
    if !r.leader_max.at_most(c.leaders, c.delegates) {
        // The largest count that stays within the share.
        let max = (u64::from(r.leader_max.num) * u64::from(c.delegates)
            / u64::from(r.leader_max.den.max(1))) as u32;
        w.push(CompositionWarning::LeadersAbove { max });
    }
    if c.women == 0 {
        w.push(CompositionWarning::NoWomen);
    }
    if c.young_teachers == 0 {
        w.push(CompositionWarning::NoYoungTeachers);
    }
    w
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use chrono::{Datelike, NaiveDate};

    const R: RuleSet = RuleSet::DEFAULT;

    fn att(total: u32, excused: u32, present: u32) -> Attendance {
        Attendance {
            total,
            excused,
            present,
        }
    }

    #[test]
    fn the_quorum_is_two_thirds_of_all_delegates_boundary_included() {
        // 30 delegates: 20 is exactly two thirds and is enough; 19 is not.
        assert!(quorum_met(&att(30, 0, 20), &R));
        assert!(!quorum_met(&att(30, 0, 19), &R));
        // 31 delegates: 2/3 is 20.67, so 21 are needed.
        assert!(!quorum_met(&att(31, 0, 20), &R));
        assert!(quorum_met(&att(31, 0, 21), &R));
        assert_eq!(quorum(&att(31, 0, 0), &R).needed, 21);
        assert_eq!(quorum(&att(30, 0, 0), &R).needed, 20);
        // Excused absences do not lower the bar by default (代表总数).
        assert!(!quorum_met(&att(30, 6, 19), &R));
        // Nobody is a quorum of nobody.
        assert!(!quorum_met(&att(0, 0, 0), &R));
    }

    #[test]
    fn a_quorum_counted_against_those_due_is_refused_as_laxer_than_the_statute() {
        let r = RuleSet {
            quorum_base: Base::Due,
            ..R
        };
        // 30 delegates, 6 excused: counted against the 24 due, 16 would make a quorum where
        // the statute needs 20 of all 30.
        assert!(quorum_met(&att(30, 6, 16), &r));
        assert!(!quorum_met(&att(30, 6, 16), &R));
        let e = r.check().unwrap_err();
        assert_eq!(
            e.get("quorum_base").unwrap().key,
            crate::text::RULE_BASE_ALL
        );
    }

    #[test]
    fn a_vote_passes_with_more_than_half_of_all_delegates_boundary_excluded() {
        // 40 delegates: 20 is exactly half and fails; 21 passes.
        assert!(!passes(20, &att(40, 0, 30), &R));
        assert!(passes(21, &att(40, 0, 30), &R));
        // 41 delegates: 21 is more than 20.5.
        assert!(passes(21, &att(41, 0, 30), &R));
        assert!(!passes(20, &att(41, 0, 30), &R));
        assert_eq!(R.pass.needed(40), 21);
        assert_eq!(R.pass.needed(41), 21);
    }

    #[test]
    fn a_pass_counted_against_those_due_or_present_is_refused_as_laxer_than_the_statute() {
        let a = att(40, 4, 30);
        // All 40: 21 are needed; those due (36) would pass 19, those present (30) 16.
        assert!(!passes(20, &a, &R));
        assert!(passes(21, &a, &R));
        for base in [Base::Due, Base::Present] {
            let lax = RuleSet {
                pass_base: base,
                ..R
            };
            assert!(passes(19, &a, &lax), "{base} lowers the bar");
            let e = lax.check().unwrap_err();
            assert_eq!(e.get("pass_base").unwrap().key, crate::text::RULE_BASE_ALL);
            let lax = RuleSet {
                election_base: base,
                ..R
            };
            let e = lax.check().unwrap_err();
            assert_eq!(
                e.get("election_base").unwrap().key,
                crate::text::RULE_BASE_ALL
            );
        }
        let lax = RuleSet {
            quorum_base: Base::Present,
            ..R
        };
        assert!(lax.check().is_err());
    }

    #[test]
    fn the_form_offers_no_base_but_all_and_refuses_a_posted_smaller_one() {
        let mut f = RuleSetInput::from_rules(&R);
        f.quorum_base = String::new();
        f.pass_base = String::new();
        f.election_base = String::new();
        let (r, _) = f.parse().unwrap();
        assert_eq!(
            (r.quorum_base, r.pass_base, r.election_base),
            (Base::All, Base::All, Base::All)
        );
        f.pass_base = "present".into();
        f.election_base = "应到".into();
        let e = f.parse().unwrap_err();
        assert_eq!(e.get("pass_base").unwrap().key, crate::text::RULE_BASE_ALL);
        assert_eq!(
            e.get("election_base").unwrap().key,
            crate::text::RULE_BASE_ALL
        );
    }

    #[test]
    fn an_election_has_its_own_threshold_at_least_more_than_half() {
        // A motion's pass raised to two thirds leaves electing at more than half.
        let r = RuleSet {
            pass: Threshold::at_least(2, 3),
            ..R
        };
        assert!(r.check().is_ok());
        assert_eq!(r.election_pass.needed(60), 31);
        let lax = RuleSet {
            election_pass: Threshold::at_least(1, 2),
            ..R
        };
        assert_eq!(
            lax.check().unwrap_err().get("election_pass").unwrap().key,
            crate::text::RULE_BELOW_STATUTE
        );
        let strict = RuleSet {
            election_pass: Threshold::at_least(3, 5),
            ..R
        };
        assert!(strict.check().is_ok());
        let mut f = RuleSetInput::from_rules(&strict);
        assert_eq!(f.parse().unwrap().0.election_pass, strict.election_pass);
        f.election_pass = "40%".into();
        assert!(f.parse().is_err());
    }

    #[test]
    fn who_may_stand_and_vote_follows_the_employment_types_of_the_rule_set() {
        use crate::org::EmploymentType as E;
        let d = R.eligible_employment;
        assert_eq!(d.types(), vec![E::Established, E::Contract, E::Temporary]);
        assert!(d.admits(Some(E::Established)));
        assert!(!d.admits(Some(E::Agency)));
        assert!(!d.admits(Some(E::Rehired)));
        // Nothing recorded takes no right away.
        assert!(d.admits(None));
        let with_agency =
            parse_employment_set("eligible_employment", "在编、合同, 派遣 temporary").unwrap();
        assert!(with_agency.admits(Some(E::Agency)));
        assert!(!with_agency.admits(Some(E::Rehired)));
        assert_eq!(
            parse_employment_set("eligible_employment", " ")
                .unwrap_err()
                .key,
            crate::text::RULE_EMPLOYMENT_NONE
        );
        assert!(parse_employment_set("eligible_employment", "外包").is_err());
        let json = serde_json::to_string(&with_agency).unwrap();
        assert_eq!(json, r#"["established","contract","agency","temporary"]"#);
        assert_eq!(
            serde_json::from_str::<EmploymentSet>(&json).unwrap(),
            with_agency
        );
        let none = RuleSet {
            eligible_employment: EmploymentSet::empty(),
            ..R
        };
        assert!(none.check().is_err());
    }

    #[test]
    fn percentages_round_half_up_from_the_exact_fraction_and_keep_the_carry() {
        assert_eq!(Ratio::percent_text(48, 49), "98.0%");
        assert_eq!(Ratio::percent_text(2, 3), "66.7%");
        assert_eq!(Ratio::percent_text(1, 8), "12.5%");
        assert_eq!(Ratio::percent_text(0, 0), "0.0%");
        assert_eq!(Ratio::percent_of(2, 3), 67);
        assert_eq!(Ratio::percent_of(1, 200), 1);
        assert_eq!(Ratio::percent_of(199, 200), 100);
        assert_eq!(crate::voting::percent_bp(9796), "98.0%");
        assert_eq!(crate::voting::percent_bp(9995), "100.0%");
    }

    /// Every n/d with d ≤ 1,000 against the exact rational rounding: t is round-half-up of
    /// x = 1000·n/d exactly when t − ½ ≤ x < t + ½, i.e. 2dt − d ≤ 2000n < 2dt + d.
    #[test]
    fn percentages_match_exact_rational_rounding_for_every_fraction_up_to_a_thousand() {
        for d in 1..=1000u64 {
            for n in 0..=d {
                let t = u64::from(Ratio::permille_of(n as u32, d as u32));
                assert!(
                    2 * d * t <= 2000 * n + d && 2000 * n + d < 2 * d * t + 2 * d,
                    "{n}/{d} -> {t}"
                );
                let p = u64::from(Ratio::percent_of(n as u32, d as u32));
                assert!(
                    2 * d * p <= 200 * n + d && 200 * n + d < 2 * d * p + 2 * d,
                    "{n}/{d} -> {p}%"
                );
            }
        }
    }

    #[test]
    fn young_includes_the_boundary_age_and_february_29_has_a_cutoff() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        assert!(is_young(35, &R));
        assert!(!is_young(36, &R));
        // On 29 February 2028 someone born on 29 February 1992 is 36, a day later 35.
        let today = d(2028, 2, 29);
        let cutoff = young_born_after(today, &R).unwrap();
        assert_eq!(cutoff, d(1992, 2, 29));
        // With "young" at 30, 31 years back is a common year: the 28th, not today.
        let thirty = RuleSet { young_age: 30, ..R };
        let cutoff30 = young_born_after(today, &thirty).unwrap();
        assert_eq!(cutoff30, d(1997, 2, 28));
        for (r, cut) in [(&R, cutoff), (&thirty, cutoff30)] {
            let y = cut.year();
            for b in [
                d(y, 2, 27),
                d(y, 2, 28),
                d(y, 3, 1),
                d(y - 1, 12, 31),
                d(y + 1, 1, 1),
            ] {
                let age = crate::org::age_on(b, today);
                assert_eq!(b > cut, is_young(age, r), "{b} is {age}");
            }
        }
        // And on an ordinary day.
        let today = d(2026, 9, 1);
        let cutoff = young_born_after(today, &R).unwrap();
        assert_eq!(cutoff, d(1990, 9, 1));
        assert!(is_young(crate::org::age_on(d(1990, 9, 2), today), &R));
        assert!(!is_young(crate::org::age_on(d(1990, 9, 1), today), &R));
    }

    #[test]
    fn teachers_must_be_at_least_sixty_percent_of_delegates() {
        let c = |teachers| Composition {
            delegates: 50,
            teachers,
            women: 20,
            young_teachers: 5,
            leaders: 5,
        };
        // 30 of 50 is exactly 60 %.
        assert!(composition_warnings(&c(30), &R).is_empty());
        assert_eq!(
            composition_warnings(&c(29), &R),
            vec![CompositionWarning::TeachersBelow { needed: 30 }]
        );
        // 31 delegates: 60 % is 18.6, so 19 teachers.
        let odd = Composition {
            delegates: 31,
            teachers: 18,
            ..c(0)
        };
        assert_eq!(
            composition_warnings(&odd, &R),
            vec![CompositionWarning::TeachersBelow { needed: 19 }]
        );
    }

    #[test]
    fn leaders_may_be_at_most_twenty_percent_of_delegates() {
        let c = |leaders| Composition {
            delegates: 50,
            teachers: 40,
            women: 20,
            young_teachers: 5,
            leaders,
        };
        assert!(composition_warnings(&c(10), &R).is_empty());
        assert_eq!(
            composition_warnings(&c(11), &R),
            vec![CompositionWarning::LeadersAbove { max: 10 }]
        );
        // 23 delegates: 20 % is 4.6, so at most 4.
        let odd = Composition {
            delegates: 23,
            teachers: 18,
            leaders: 5,
            ..c(0)
        };
        assert_eq!(
            composition_warnings(&odd, &R),
            vec![CompositionWarning::LeadersAbove { max: 4 }]
        );
    }

    #[test]
    fn women_and_young_teachers_must_be_represented() {
        let c = Composition {
            delegates: 10,
            teachers: 8,
            women: 0,
            young_teachers: 0,
            leaders: 1,
        };
        assert_eq!(
            composition_warnings(&c, &R),
            vec![
                CompositionWarning::NoWomen,
                CompositionWarning::NoYoungTeachers
            ]
        );
        assert_eq!(
            composition_warnings(&Composition::default(), &R),
            vec![CompositionWarning::NoDelegates]
        );
        assert_eq!(R.young_age, 35);
    }

    #[test]
    fn a_proposal_needs_two_seconders() {
        assert!(!seconders_ok(0, &R));
        assert!(!seconders_ok(1, &R));
        assert!(seconders_ok(2, &R));
        assert!(seconders_ok(3, &R));
    }

    #[test]
    fn schools_under_eighty_staff_hold_an_assembly() {
        assert!(assembly_mode(79, &R));
        assert!(!assembly_mode(80, &R));
        assert!(!assembly_mode(200, &R));
        assert!(assembly_mode(0, &R));
    }

    #[test]
    fn a_term_meets_at_least_once_per_school_year() {
        assert!(!meetings_ok(0, &R));
        assert!(meetings_ok(1, &R));
        assert!(meetings_ok(2, &R));
    }

    #[test]
    fn one_third_of_delegates_may_call_an_extraordinary_meeting() {
        // 30 delegates: 10 is exactly a third.
        assert!(extraordinary_requested(10, 30, &R));
        assert!(!extraordinary_requested(9, 30, &R));
        // 31: a third is 10.33, so 11.
        assert!(!extraordinary_requested(10, 31, &R));
        assert!(extraordinary_requested(11, 31, &R));
    }

    #[test]
    fn a_dissatisfied_proposal_is_rehandled_at_most_twice() {
        assert!(may_rehandle(0, &R));
        assert!(may_rehandle(1, &R));
        assert!(!may_rehandle(2, &R));
        let none = RuleSet {
            max_rehandle_rounds: 0,
            ..R
        };
        assert!(!may_rehandle(0, &none));
    }

    #[test]
    fn replies_are_due_within_thirty_days() {
        assert_eq!(R.reply_days, 30);
    }

    #[test]
    fn a_term_lasts_three_to_five_years() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        assert!(term_length_ok(d(2024, 9, 1), d(2027, 8, 31), &R));
        assert!(term_length_ok(d(2024, 9, 1), d(2029, 9, 1), &R));
        assert!(!term_length_ok(d(2024, 9, 1), d(2029, 9, 2), &R));
        assert!(!term_length_ok(d(2024, 9, 1), d(2026, 9, 1), &R));
        assert!(!term_length_ok(d(2024, 9, 1), d(2024, 9, 1), &R));
    }

    #[test]
    fn every_number_has_a_source_and_the_statutory_ones_are_order_32() {
        assert_eq!(Rule::Quorum.source(), Source::Moe32);
        assert_eq!(Rule::TeacherMin.source(), Source::Moe32);
        assert_eq!(Rule::MinMeetingsPerYear.source(), Source::Moe32);
        assert_eq!(Rule::Extraordinary.source(), Source::Moe32);
        assert_eq!(Rule::Pass.source(), Source::Moe32);
        assert_eq!(Rule::Seconders.source(), Source::Local);
        assert_eq!(Rule::LeaderMax.source(), Source::Local);
        assert_eq!(Rule::AssemblyBelow.source(), Source::Local);
        assert_eq!(Rule::MaxRehandleRounds.source(), Source::Local);
        assert_eq!(Rule::Quorum.source_key(), "rule-src-quorum");
        assert_eq!(Rule::ElectionMargin.source(), Source::UnionElection);
        assert_eq!(Rule::ElectionBase.source(), Source::UnionElection);
        assert_eq!(Rule::ReviewMinRaters.source(), Source::Local);
        assert_eq!(Rule::ElectionPass.source(), Source::UnionElection);
        assert_eq!(Rule::EligibleEmployment.source(), Source::Moe32);
        assert_eq!(Rule::ALL.len(), 20);
    }

    #[test]
    fn a_version_stored_before_the_voting_numbers_reads_their_defaults() {
        let mut v = serde_json::to_value(RuleSet::DEFAULT).unwrap();
        let o = v.as_object_mut().unwrap();
        for k in [
            "election_margin",
            "election_pass",
            "election_base",
            "review_min_raters",
            "review_audience",
            "eligible_employment",
        ] {
            o.remove(k);
        }
        let r: RuleSet = serde_json::from_value(v).unwrap();
        assert_eq!(r, RuleSet::DEFAULT);
        assert_eq!(r.election_margin, Ratio::new(1, 20));
        // Said nothing about the base: the statutory one, all delegates.
        assert_eq!(r.election_base, Base::All);
        // A version that chose "due" says so, and is refused.
        let mut v = serde_json::to_value(RuleSet::DEFAULT).unwrap();
        v["election_base"] = "due".into();
        let r: RuleSet = serde_json::from_value(v).unwrap();
        assert!(r.check().is_err());
    }

    #[test]
    fn the_election_margin_may_not_go_below_five_percent() {
        let mut f = RuleSetInput::from_rules(&RuleSet::DEFAULT);
        f.election_margin = "4%".into();
        let e = f.parse().unwrap_err();
        assert_eq!(
            e.get("election_margin").unwrap().key,
            crate::text::RULE_BELOW_STATUTE
        );
        f.election_margin = "10%".into();
        assert_eq!(f.parse().unwrap().0.election_margin, Ratio::new(1, 10));
    }

    #[test]
    fn ratios_compare_exactly_without_floats() {
        let two_thirds = Ratio::new(2, 3);
        // 2/3 is not 0.6666…: 666_666 of 1_000_000 is below it, 666_667 above.
        assert!(!two_thirds.at_least(666_666, 1_000_000));
        assert!(two_thirds.at_least(666_667, 1_000_000));
        assert!(two_thirds.at_least(u32::MAX / 3 * 2, u32::MAX / 3 * 3));
        assert!(!Ratio::new(1, 2).more_than(5, 10));
        assert!(Ratio::new(1, 5).at_most(0, 0));
        assert_eq!(Threshold::more_than(1, 1).needed(10), 11);
        assert_eq!(Threshold::at_least(1, 1).needed(10), 10);
        assert_eq!(Threshold::at_least(0, 1).needed(10), 0);
    }

    #[test]
    fn ratios_are_read_and_written_as_people_write_them() {
        assert_eq!(Ratio::parse("q", "2/3").unwrap(), Ratio::new(2, 3));
        assert_eq!(Ratio::parse("q", "60%").unwrap(), Ratio::new(3, 5));
        assert_eq!(Ratio::parse("q", " 60 ").unwrap(), Ratio::new(3, 5));
        assert_eq!(Ratio::parse("q", "12.5%").unwrap(), Ratio::new(1, 8));
        assert_eq!(Ratio::parse("q", "4/6").unwrap(), Ratio::new(2, 3));
        assert_eq!(Ratio::parse("q", "0.6").unwrap(), Ratio::new(3, 5));
        for bad in ["", "x", "1/0", "3/2", "120%", "1.234%"] {
            assert!(Ratio::parse("q", bad).is_err(), "{bad}");
        }
        assert_eq!(Ratio::new(2, 3).display(), "2/3");
        assert_eq!(Ratio::new(3, 5).display(), "60%");
        assert_eq!(Ratio::new(1, 8).display(), "12.5%");
        assert_eq!(Ratio::new(1, 2).display(), "1/2");
        assert_eq!(Ratio::new(1, 3).display(), "1/3");
    }

    #[test]
    fn a_local_version_may_be_stricter_but_never_laxer_than_the_statute() {
        assert!(R.check().is_ok());
        let stricter = RuleSet {
            quorum: Threshold::at_least(3, 4),
            teacher_min: Ratio::new(7, 10),
            ..R
        };
        assert!(stricter.check().is_ok());
        let lax = RuleSet {
            quorum: Threshold::at_least(1, 2),
            quorum_base: Base::Due,
            pass: Threshold::at_least(1, 2),
            pass_base: Base::Present,
            teacher_min: Ratio::new(1, 2),
            extraordinary: Threshold::at_least(1, 2),
            election_pass: Threshold::at_least(1, 2),
            election_base: Base::Due,
            ..R
        };
        let fields: Vec<_> = lax.check().unwrap_err().0.iter().map(|e| e.field).collect();
        assert_eq!(
            fields,
            vec![
                "quorum",
                "quorum_base",
                "pass_base",
                "election_base",
                "pass",
                "election_pass",
                "teacher_min",
                "extraordinary"
            ]
        );
        let terms = RuleSet {
            term_max_years: 6,
            ..R
        };
        assert!(terms.check().is_err());
    }

    #[test]
    fn the_form_round_trips_the_defaults() {
        let input = RuleSetInput::from_rules(&R);
        assert_eq!(input.parse().unwrap().0, R);
        let mut bad = input.clone();
        bad.quorum = "1/2".into();
        bad.seconders = "zwei".into();
        let e = bad.parse().unwrap_err();
        assert_eq!(e.get("seconders").unwrap().key, crate::text::NUMBER_INVALID);
        let mut bad = input;
        bad.quorum = "1/2".into();
        assert_eq!(
            bad.parse().unwrap_err().get("quorum").unwrap().key,
            crate::text::RULE_BELOW_STATUTE
        );
    }
}
