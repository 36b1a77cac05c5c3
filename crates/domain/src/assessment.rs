//! Assessment of school unions by the union above them, as the domain sees it: the
//! staff-home creation (职工之家: qualified / advanced / model, self-assessment → area
//! recommendation → district review by two people, quotas, downgrade) and the annual
//! assessment (年度考核) whose indicators are computed from the areas' year figures, with
//! the veto item (一票否决) for a school that held no quorate congress meeting.
//!
//! Both live in one area because they are the same work seen twice: the upper union scores
//! its school unions against a versioned scheme, in the same stages, with the same people.
//!
//! **Every number here is local.** The shares (100 % qualified, more than 60 % advanced,
//! 20 % model) and the downgrade rule are the targets of a district work plan (seed 003);
//! no statute fixes them, and the standards' items and points are the union's own
//! implementing rules: each scheme says so ([`Source::Local`]). A decision records the
//! version of the scheme that made it.
//!
//! This module does no IO and reads no clock; errors carry catalogue keys.

use crate::error::{FieldError, FieldErrors};
use crate::kit::coded;
use crate::org::Coded;
use crate::rules::Ratio;
use std::collections::BTreeMap;

/// Catalogue keys of this area's messages (the area's web test checks both catalogues).
pub mod text {
    macro_rules! keys {
        ($($name:ident = $key:literal),* $(,)?) => {
            $(pub const $name: &str = $key;)*
            /// Every key defined in this module.
            pub const ALL: &[&str] = &[$($key),*];
        };
    }
    keys! {
        SCORE_INVALID = "assessment-score-invalid",
        SCORE_RANGE = "assessment-score-range",
        LEVEL_REQUIRED = "assessment-level-required",
        EVIDENCE_TYPE = "assessment-evidence-type",
        EVIDENCE_REQUIRED = "assessment-evidence-required",
        NOT_QUALIFIED_YET = "assessment-not-qualified-yet",
        ALREADY_HELD = "assessment-already-held",
        APPLICATION_OPEN = "assessment-application-open",
        WRONG_STEP = "assessment-wrong-step",
        OWN_SCHOOL = "assessment-own-school",
        SAME_REVIEWER = "assessment-same-reviewer",
        QUOTA_EXCEEDED = "assessment-quota-exceeded",
        BELOW_THRESHOLD = "assessment-below-threshold",
        REASON_REQUIRED = "assessment-reason-required",
        NO_LEVEL = "assessment-no-level",
        NOT_A_SCHOOL = "assessment-not-a-school",
        NOT_HAND_SCORED = "assessment-not-hand-scored",
        APPEAL_CLOSED = "assessment-appeal-closed",
        APPEAL_OPEN = "assessment-appeal-open",
        APPEAL_NOTHING = "assessment-appeal-nothing",
        SAME_PERSON = "assessment-same-person",
        EVIDENCE_FILE_TYPE = "assessment-evidence-file-type",
        EVIDENCE_FILE_SIZE = "assessment-evidence-file-size",
        EVIDENCE_FILE_REQUIRED = "assessment-evidence-file-required",
        EVIDENCE_FROZEN = "assessment-evidence-frozen",
    }
}

use text as t;

crate::kit::id_types!(HomeApplicationId, HandScoreId, AppealId);

coded!(
    /// The level of a staff home (职工之家), lowest first.
    HomeLevel, "home-level", {
    Qualified = "qualified" ["合格", "合格职工之家"],
    Advanced = "advanced" ["先进", "先进职工之家"],
    Model = "model" ["模范", "模范职工之家"],
});

coded!(
    /// Where an application for a staff-home level stands.
    ApplicationStatus, "home-application-status", {
    SelfAssessed = "self_assessed" ["已自评"],
    Recommended = "recommended" ["片已推荐"],
    NotRecommended = "not_recommended" ["片未推荐"],
    FirstReview = "first_review" ["初审通过"],
    Approved = "approved" ["已评定"],
    Refused = "refused" ["未通过"],
});

coded!(
    /// Where an appeal against a hand score stands.
    AppealStatus, "assessment-appeal-status", {
    Open = "open" ["待处理"],
    Upheld = "upheld" ["维持原评分"],
    Changed = "changed" ["已改分"],
});

coded!(
    /// How a school's level changed.
    LevelChange, "home-level-change", {
    Awarded = "awarded" ["评定"],
    Downgraded = "downgraded" ["降级"],
});

impl HomeLevel {
    /// 1 (qualified) to 3 (model).
    pub fn rank(self) -> i64 {
        match self {
            HomeLevel::Qualified => 1,
            HomeLevel::Advanced => 2,
            HomeLevel::Model => 3,
        }
    }

    pub fn from_rank(r: i64) -> Option<HomeLevel> {
        match r {
            1 => Some(HomeLevel::Qualified),
            2 => Some(HomeLevel::Advanced),
            3 => Some(HomeLevel::Model),
            _ => None,
        }
    }

    /// One step down (model → advanced → qualified → none).
    pub fn below(self) -> Option<HomeLevel> {
        HomeLevel::from_rank(self.rank() - 1)
    }

    /// The level a school must already hold to apply for this one (seed 003: "those who
    /// fail … shall not apply for advanced and model").
    pub fn requires(self) -> Option<HomeLevel> {
        self.below()
    }
}

/// Whether a scheme's numbers come from a document someone read, or are the union's own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// The union's own implementing rules; no statute is claimed.
    Local,
}

/// One standard of a staff home with its points (the self-assessment scores each).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Standard {
    /// Stable code; catalogue key `assessment-standard-<code>`.
    pub code: &'static str,
    pub points: i64,
}

/// How an indicator's points come from figures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Measure {
    /// Full points when the figure is at least `min`.
    AtLeast { figure: &'static str, min: i64 },
    /// Points in proportion to `num / den` (both counts; 0 points without a denominator).
    Ratio {
        num: &'static str,
        den: &'static str,
    },
    /// Points in proportion to a per-mille figure.
    Permille { figure: &'static str },
    /// `each` points per unit of the figure, capped at the indicator's points.
    PerUnit { figure: &'static str, each: i64 },
}

impl Measure {
    /// The figures this measure reads.
    pub fn figures(&self) -> Vec<&'static str> {
        match *self {
            Measure::AtLeast { figure, .. }
            | Measure::Permille { figure }
            | Measure::PerUnit { figure, .. } => vec![figure],
            Measure::Ratio { num, den } => vec![num, den],
        }
    }
}

/// Who scores a hand-scored indicator: the area (片) lead or the district.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scorer {
    /// The area lead (or union staff): the `HomeRecommend` permission.
    Area,
    /// The district: the `AssessmentReview` permission.
    District,
}

/// An indicator of the annual assessment scored by hand, with evidence, by the scheme's
/// scorer; its points count like a computed indicator's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HandIndicator {
    /// Stable code; catalogue key `assessment-indicator-<code>`.
    pub code: &'static str,
    pub points: i64,
    pub scorer: Scorer,
}

/// An upward nomination of staff homes: the schools holding `level` are the candidates for
/// the `tier`'s title (city 优秀职工之家, province 模范职工之家), at most `count` of them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Nomination {
    /// `city` or `province`; catalogue key `assessment-nomination-<tier>`.
    pub tier: &'static str,
    pub level: HomeLevel,
    pub count: i64,
}

/// An indicator (指标) of the annual assessment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Indicator {
    /// Stable code; catalogue key `assessment-indicator-<code>`.
    pub code: &'static str,
    pub points: i64,
    pub measure: Measure,
}

/// A versioned scheme: the staff-home standards, thresholds and quotas, and the annual
/// assessment's indicators, veto and weak-union line.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Scheme {
    pub version: i64,
    pub source: Source,
    /// The six standards of a staff home (seed 001 names "six standards"; their items and
    /// points here are local).
    pub standards: &'static [Standard],
    /// The least score (of 100) the area's recommendation must give for each level.
    pub min_score: [(HomeLevel, i64); 3],
    /// At most this share of the union's schools may hold the level or a higher one.
    pub quota: [(HomeLevel, Ratio); 2],
    pub indicators: &'static [Indicator],
    /// The veto: no meeting with a quorum in the year (this figure below 1) and no recorded
    /// justified exemption cancels the year's assessment (seed 000).
    pub veto_figure: &'static str,
    /// A school below this total, or vetoed, is on the weak-union list (薄弱工会).
    pub weak_below: i64,
    /// Indicators scored by hand with evidence (added in version 2).
    pub hand: &'static [HandIndicator],
    /// Days a school has to appeal a hand score, from the day it was given.
    pub appeal_days: i64,
    /// Upward nominations (version 2 on).
    pub nominations: &'static [Nomination],
    /// The day of each school year (month, day) by which every school self-assesses its
    /// staff home (version 3 on); a school without an application in the year by then is
    /// reminded through the outbox.
    pub self_assessment_by: Option<(u32, u32)>,
}

pub const CONGRESS_QUORUM: &str = "figure-congress-meetings-quorum";
pub const CONGRESS_DELEGATES: &str = "figure-congress-delegates";
pub const PROPOSALS_ANSWERED: &str = "figure-proposals-answered";
pub const PROPOSALS_ON_TIME: &str = "figure-proposals-answered-on-time";
pub const PROPOSALS_SATISFACTION: &str = "figure-proposals-satisfaction";
pub const RESOLUTIONS: &str = "figure-voting-resolutions-passed";
pub const WITH_CHAIR: &str = "figure-org-schools-with-chair";
pub const HARDSHIP_OPENED: &str = "figure-assistance-files-opened";
pub const HOME_LEVEL: &str = "figure-assessment-home-level";

static STANDARDS_V1: &[Standard] = &[
    Standard {
        code: "organisation",
        points: 15,
    },
    Standard {
        code: "democracy",
        points: 25,
    },
    Standard {
        code: "rights",
        points: 15,
    },
    Standard {
        code: "activities",
        points: 15,
    },
    Standard {
        code: "premises",
        points: 15,
    },
    Standard {
        code: "funds",
        points: 15,
    },
];

static INDICATORS_V1: &[Indicator] = &[
    Indicator {
        code: "congress",
        points: 20,
        measure: Measure::AtLeast {
            figure: CONGRESS_QUORUM,
            min: 1,
        },
    },
    Indicator {
        code: "delegates",
        points: 5,
        measure: Measure::AtLeast {
            figure: CONGRESS_DELEGATES,
            min: 1,
        },
    },
    Indicator {
        code: "replies",
        points: 20,
        measure: Measure::Ratio {
            num: PROPOSALS_ON_TIME,
            den: PROPOSALS_ANSWERED,
        },
    },
    Indicator {
        code: "satisfaction",
        points: 10,
        measure: Measure::Permille {
            figure: PROPOSALS_SATISFACTION,
        },
    },
    Indicator {
        code: "resolutions",
        points: 10,
        measure: Measure::AtLeast {
            figure: RESOLUTIONS,
            min: 1,
        },
    },
    Indicator {
        code: "chair",
        points: 10,
        measure: Measure::AtLeast {
            figure: WITH_CHAIR,
            min: 1,
        },
    },
    Indicator {
        code: "assistance",
        points: 10,
        measure: Measure::PerUnit {
            figure: HARDSHIP_OPENED,
            each: 5,
        },
    },
    Indicator {
        code: "home",
        points: 15,
        measure: Measure::PerUnit {
            figure: HOME_LEVEL,
            each: 5,
        },
    },
];

static HAND_V2: &[HandIndicator] = &[
    HandIndicator {
        code: "records",
        points: 5,
        scorer: Scorer::Area,
    },
    HandIndicator {
        code: "innovation",
        points: 5,
        scorer: Scorer::District,
    },
];

const V1: Scheme = Scheme {
    version: 1,
    source: Source::Local,
    standards: STANDARDS_V1,
    min_score: [
        (HomeLevel::Qualified, 60),
        (HomeLevel::Advanced, 80),
        (HomeLevel::Model, 90),
    ],
    quota: [
        (HomeLevel::Model, Ratio::new(1, 5)),
        (HomeLevel::Advanced, Ratio::new(4, 5)),
    ],
    indicators: INDICATORS_V1,
    veto_figure: CONGRESS_QUORUM,
    weak_below: 60,
    hand: &[],
    appeal_days: 0,
    nominations: &[],
    self_assessment_by: None,
};

/// Seed 002 records two city-level 优秀职工之家 in a year; the province's number is the
/// union's own. Both local.
static NOMINATIONS_V2: &[Nomination] = &[
    Nomination {
        tier: "city",
        level: HomeLevel::Model,
        count: 2,
    },
    Nomination {
        tier: "province",
        level: HomeLevel::Model,
        count: 1,
    },
];

/// Every scheme, oldest first. A change is a new version appended here; none is edited.
/// Version 2 keeps version 1's numbers and adds two hand-scored indicators (the ledger kept
/// in order, scored by the area; innovative work, scored by the district; 5 points each)
/// a 15-day appeal window and the upward nominations (city 2, province 1) — all local.
/// Version 3 keeps version 2's numbers and adds the yearly self-assessment deadline, 31 May
/// (local: it leaves June for the areas' recommendations and July for the district's
/// review before the school year ends on 31 August; no seed names a day).
pub static SCHEMES: &[Scheme] = &[V1, V2, V3];

const V2: Scheme = Scheme {
    version: 2,
    hand: HAND_V2,
    appeal_days: 15,
    nominations: NOMINATIONS_V2,
    ..V1
};

const V3: Scheme = Scheme {
    version: 3,
    self_assessment_by: Some((5, 31)),
    ..V2
};

/// The scheme in force (the newest).
pub fn current() -> &'static Scheme {
    &SCHEMES[SCHEMES.len() - 1]
}

/// A stored version, if it exists.
pub fn scheme(version: i64) -> Option<&'static Scheme> {
    SCHEMES.iter().find(|s| s.version == version)
}

impl Scheme {
    /// The most points a staff-home self-assessment can give.
    pub fn home_max(&self) -> i64 {
        self.standards.iter().map(|s| s.points).sum()
    }

    /// The most points of the annual assessment's computed indicators.
    pub fn annual_max(&self) -> i64 {
        self.indicators.iter().map(|i| i.points).sum()
    }

    /// The most points of the hand-scored indicators.
    pub fn hand_max(&self) -> i64 {
        self.hand.iter().map(|i| i.points).sum()
    }

    /// The most points in all (computed and by hand).
    pub fn full_max(&self) -> i64 {
        self.annual_max() + self.hand_max()
    }

    /// The self-assessment deadline of school year `year` (September `year` to August
    /// `year + 1`), if the scheme sets one.
    pub fn self_assessment_due(&self, year: i32) -> Option<chrono::NaiveDate> {
        let (m, d) = self.self_assessment_by?;
        let y = if m >= 9 { year } else { year + 1 };
        chrono::NaiveDate::from_ymd_opt(y, m, d)
    }

    /// An upward nomination by tier.
    pub fn nomination(&self, tier: &str) -> Option<&'static Nomination> {
        self.nominations.iter().find(|n| n.tier == tier)
    }

    /// A hand-scored indicator by code.
    pub fn hand_indicator(&self, code: &str) -> Option<&'static HandIndicator> {
        self.hand.iter().find(|h| h.code == code)
    }

    pub fn min_score_for(&self, level: HomeLevel) -> i64 {
        self.min_score
            .iter()
            .find(|(l, _)| *l == level)
            .map(|(_, s)| *s)
            .unwrap_or(0)
    }

    /// The quota share that bounds `level` (model; advanced counts model too), if any.
    pub fn quota_for(&self, level: HomeLevel) -> Option<Ratio> {
        self.quota
            .iter()
            .find(|(l, _)| *l == level)
            .map(|(_, r)| *r)
    }

    /// Most schools of `schools` that may hold `level` (or above) under the quota.
    pub fn quota_max(&self, level: HomeLevel, schools: i64) -> Option<i64> {
        self.quota_for(level)
            .map(|r| schools * i64::from(r.num) / i64::from(r.den))
    }

    /// Refuses to award `level` when `holding` schools (of `schools`) already hold it or a
    /// higher bounded level: the message names the numbers.
    pub fn check_quota(
        &self,
        level: HomeLevel,
        holding: i64,
        schools: i64,
    ) -> Result<(), FieldError> {
        match self.quota_max(level, schools) {
            Some(max) if holding + 1 > max => Err(FieldError::new("level", t::QUOTA_EXCEEDED)
                .arg("max", max)
                .arg("schools", schools)
                .arg("holding", holding)),
            _ => Ok(()),
        }
    }
}

/// One score of a form as typed, checked against `0..=max`.
pub fn parse_score(field: &'static str, input: &str, max: i64) -> Result<i64, FieldError> {
    let v: i64 = input
        .trim()
        .parse()
        .map_err(|_| FieldError::new(field, t::SCORE_INVALID))?;
    if !(0..=max).contains(&v) {
        return Err(FieldError::new(field, t::SCORE_RANGE).arg("max", max));
    }
    Ok(v)
}

/// File kinds accepted as evidence: photos and documents. Anything else (programs,
/// archives, web pages) is refused.
pub const EVIDENCE_KINDS: &[&str] = &["jpg", "jpeg", "png", "pdf", "docx", "xlsx"];

/// Most evidence references per application.
pub const EVIDENCE_MAX: usize = 20;

/// One piece of evidence: a file (by name, of an accepted kind) or a link to a record of
/// this platform (a path starting with `/`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Evidence {
    File(String),
    Record(String),
}

impl Evidence {
    pub fn as_text(&self) -> &str {
        match self {
            Evidence::File(s) | Evidence::Record(s) => s,
        }
    }
}

/// The field of the evidence file of standard `i` on the self-assessment form.
pub const EVIDENCE_FILE_FIELDS: [&str; 6] = ["file0", "file1", "file2", "file3", "file4", "file5"];

/// Parses evidence typed one per line.
pub fn parse_evidence(input: &str) -> Result<Vec<Evidence>, FieldError> {
    parse_evidence_with(input, 0)
}

/// Parses evidence typed one per line, next to `files` files uploaded with it: with at
/// least one file, typing nothing is allowed.
pub fn parse_evidence_with(input: &str, files: usize) -> Result<Vec<Evidence>, FieldError> {
    let mut out = Vec::new();
    for line in input.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if line.chars().count() > 200 || out.len() >= EVIDENCE_MAX {
            return Err(FieldError::new("evidence", t::EVIDENCE_TYPE).arg("item", line));
        }
        if line.starts_with('/') && !line.starts_with("//") && !line.contains("..") {
            out.push(Evidence::Record(line.to_string()));
            continue;
        }
        let ext = line
            .rsplit_once('.')
            .map(|(_, e)| e.to_lowercase())
            .unwrap_or_default();
        if !EVIDENCE_KINDS.contains(&ext.as_str()) || line.contains('/') || line.contains('\\') {
            return Err(FieldError::new("evidence", t::EVIDENCE_TYPE).arg("item", line));
        }
        out.push(Evidence::File(line.to_string()));
    }
    if out.is_empty() && files == 0 {
        return Err(FieldError::new("evidence", t::EVIDENCE_REQUIRED));
    }
    Ok(out)
}

/// A school's self-assessment as typed.
#[derive(Clone, Debug, Default)]
pub struct SelfAssessmentInput {
    pub level: String,
    /// One score per standard of the scheme, in its order.
    pub scores: Vec<String>,
    pub evidence: String,
}

/// A parsed self-assessment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SelfAssessment {
    pub level: HomeLevel,
    /// (standard code, points).
    pub scores: Vec<(&'static str, i64)>,
    pub evidence: Vec<Evidence>,
}

impl SelfAssessment {
    pub fn total(&self) -> i64 {
        self.scores.iter().map(|(_, s)| s).sum()
    }
}

/// The field name of standard `i`'s score.
pub const SCORE_FIELDS: [&str; 6] = ["score0", "score1", "score2", "score3", "score4", "score5"];

impl SelfAssessmentInput {
    /// Every error at its field.
    pub fn parse(&self, scheme: &Scheme) -> Result<SelfAssessment, FieldErrors> {
        self.parse_with_files(scheme, 0)
    }

    /// [`Self::parse`] next to `files` evidence files uploaded with the form (checked by
    /// the store, by content): with a file, no typed evidence is needed.
    pub fn parse_with_files(
        &self,
        scheme: &Scheme,
        files: usize,
    ) -> Result<SelfAssessment, FieldErrors> {
        let mut errors = FieldErrors::default();
        let level = HomeLevel::from_code(self.level.trim());
        if level.is_none() {
            errors.push(FieldError::new("level", t::LEVEL_REQUIRED));
        }
        let mut scores = Vec::new();
        for (i, s) in scheme.standards.iter().enumerate() {
            let field = SCORE_FIELDS.get(i).copied().unwrap_or("score");
            let typed = self.scores.get(i).map(String::as_str).unwrap_or("");
            if let Some(v) = errors.take(parse_score(field, typed, s.points)) {
                scores.push((s.code, v));
            }
        }
        let evidence = errors.take(parse_evidence_with(&self.evidence, files));
        match (level, evidence) {
            (Some(level), Some(evidence)) if errors.is_empty() => Ok(SelfAssessment {
                level,
                scores,
                evidence,
            }),
            _ => Err(errors),
        }
    }
}

/// One line of a school's annual assessment: the indicator, the figures it read (key and
/// value, each linking to its records) and the points it gave.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    pub indicator: &'static str,
    pub max: i64,
    pub figures: Vec<(&'static str, i64)>,
    pub points: i64,
    /// For a hand-scored indicator, who scores it (its figures are empty; its points are
    /// the latest hand score, 0 until scored).
    pub scorer: Option<Scorer>,
}

/// Why a school's year was vetoed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Veto {
    /// No meeting with a quorum in the year and no exemption: the figure read.
    NoQuorateCongress { figure: &'static str, value: i64 },
}

/// A school's annual assessment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Score {
    pub scheme: i64,
    pub lines: Vec<Line>,
    /// The points of the lines (kept when vetoed, to show what was earned).
    pub earned: i64,
    pub veto: Option<Veto>,
    /// Whether an exemption lifted the veto.
    pub exempted: bool,
}

impl Score {
    /// The total that ranks: 0 when vetoed.
    pub fn total(&self) -> i64 {
        if self.veto.is_some() { 0 } else { self.earned }
    }

    /// On the weak-union list: vetoed or below the line.
    pub fn weak(&self, scheme: &Scheme) -> bool {
        self.veto.is_some() || self.earned < scheme.weak_below
    }

    /// The computed indicators that gave no points (the weak list's reasons: a figure the
    /// platform's records lack; hand scores are the scorer's judgement, shown on the ledger).
    pub fn missing(&self) -> Vec<&'static str> {
        self.lines
            .iter()
            .filter(|l| l.points == 0 && l.scorer.is_none())
            .map(|l| l.indicator)
            .collect()
    }
}

/// Scores one school from its figures (`key → value`; missing reads as 0). `exempted`: a
/// justified exemption from the yearly meeting was recorded.
pub fn score(scheme: &Scheme, figures: &BTreeMap<String, i64>, exempted: bool) -> Score {
    score_with(scheme, figures, &BTreeMap::new(), exempted)
}

/// Scores one school from its figures and its hand scores (`indicator → points`, each
/// clamped to the indicator's points; a missing one is 0).
pub fn score_with(
    scheme: &Scheme,
    figures: &BTreeMap<String, i64>,
    hand: &BTreeMap<String, i64>,
    exempted: bool,
) -> Score {
    let get = |k: &str| figures.get(k).copied().unwrap_or(0);
    let mut lines = Vec::with_capacity(scheme.indicators.len());
    for ind in scheme.indicators {
        let p = ind.points;
        let points = match ind.measure {
            Measure::AtLeast { figure, min } => {
                if get(figure) >= min {
                    p
                } else {
                    0
                }
            }
            Measure::Ratio { num, den } => {
                let (n, d) = (get(num), get(den));
                if d > 0 { p * n.clamp(0, d) / d } else { 0 }
            }
            Measure::Permille { figure } => p * get(figure).clamp(0, 1000) / 1000,
            Measure::PerUnit { figure, each } => (get(figure).max(0) * each).min(p),
        };
        lines.push(Line {
            indicator: ind.code,
            max: p,
            figures: ind
                .measure
                .figures()
                .into_iter()
                .map(|f| (f, get(f)))
                .collect(),
            points,
            scorer: None,
        });
    }
    for h in scheme.hand {
        lines.push(Line {
            indicator: h.code,
            max: h.points,
            figures: Vec::new(),
            points: hand.get(h.code).copied().unwrap_or(0).clamp(0, h.points),
            scorer: Some(h.scorer),
        });
    }
    let earned = lines.iter().map(|l| l.points).sum();
    let quorate = get(scheme.veto_figure);
    let veto = (quorate < 1 && !exempted).then_some(Veto::NoQuorateCongress {
        figure: scheme.veto_figure,
        value: quorate,
    });
    Score {
        scheme: scheme.version,
        lines,
        earned,
        veto,
        exempted: exempted && quorate < 1,
    }
}

/// Ranks by total (highest first); equal totals share a rank (1, 2, 2, 4). Returns the rank
/// of each input, in input order.
pub fn ranks(totals: &[i64]) -> Vec<usize> {
    totals
        .iter()
        .map(|t| 1 + totals.iter().filter(|o| *o > t).count())
        .collect()
}

/// What the domain declares about the area.
pub static AREA: crate::area::Area = crate::area::Area {
    name: "assessment",
    enums: &[
        crate::area::CodedEnum::of::<HomeLevel>(),
        crate::area::CodedEnum::of::<ApplicationStatus>(),
        crate::area::CodedEnum::of::<LevelChange>(),
        crate::area::CodedEnum::of::<AppealStatus>(),
    ],
};

#[cfg(test)]
mod tests {
    use super::*;

    fn figs(pairs: &[(&str, i64)]) -> BTreeMap<String, i64> {
        pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
    }

    #[test]
    fn the_scheme_adds_up_to_a_hundred_each_way() {
        let s = current();
        assert_eq!(s.home_max(), 100);
        assert_eq!(s.annual_max(), 100);
        assert_eq!(s.source, Source::Local);
        assert_eq!(s.standards.len(), SCORE_FIELDS.len());
    }

    #[test]
    fn a_school_without_a_quorate_meeting_is_vetoed_unless_exempted() {
        let s = current();
        let f = figs(&[(WITH_CHAIR, 1), (RESOLUTIONS, 2), (HOME_LEVEL, 3)]);
        let v = score(s, &f, false);
        assert_eq!(v.earned, 10 + 10 + 15);
        assert_eq!(v.total(), 0);
        assert!(v.weak(s));
        assert_eq!(
            v.veto,
            Some(Veto::NoQuorateCongress {
                figure: CONGRESS_QUORUM,
                value: 0
            })
        );
        let e = score(s, &f, true);
        assert_eq!(e.veto, None);
        assert!(e.exempted);
        assert_eq!(e.total(), 35);
    }

    #[test]
    fn every_line_names_the_figures_that_made_it() {
        let s = current();
        let f = figs(&[
            (CONGRESS_QUORUM, 1),
            (CONGRESS_DELEGATES, 40),
            (PROPOSALS_ANSWERED, 4),
            (PROPOSALS_ON_TIME, 3),
            (PROPOSALS_SATISFACTION, 750),
            (HARDSHIP_OPENED, 1),
            (HOME_LEVEL, 2),
        ]);
        let v = score(s, &f, false);
        let line = |c: &str| v.lines.iter().find(|l| l.indicator == c).unwrap().clone();
        assert_eq!(line("replies").points, 15);
        assert_eq!(
            line("replies").figures,
            vec![(PROPOSALS_ON_TIME, 3), (PROPOSALS_ANSWERED, 4)]
        );
        assert_eq!(line("satisfaction").points, 7);
        assert_eq!(line("assistance").points, 5);
        assert_eq!(line("home").points, 10);
        // congress 20, delegates 5, replies 15, satisfaction 7, resolutions and chair 0,
        // assistance 5, home 10.
        assert_eq!(v.total(), 62);
        assert_eq!(v.missing(), vec!["resolutions", "chair"]);
    }

    #[test]
    fn the_quota_refusal_names_the_numbers() {
        let s = current();
        // 22 schools: at most 4 models (20 %).
        assert!(s.check_quota(HomeLevel::Model, 3, 22).is_ok());
        let e = s.check_quota(HomeLevel::Model, 4, 22).unwrap_err();
        assert_eq!(e.key, t::QUOTA_EXCEEDED);
        assert_eq!(
            e.args,
            vec![
                ("max", "4".to_string()),
                ("schools", "22".into()),
                ("holding", "4".into())
            ]
        );
        assert!(s.check_quota(HomeLevel::Qualified, 22, 22).is_ok());
    }

    #[test]
    fn evidence_of_a_forbidden_type_is_refused() {
        assert!(parse_evidence("photo.JPG\n/congress/meetings/3").is_ok());
        assert_eq!(
            parse_evidence("setup.exe").unwrap_err().key,
            t::EVIDENCE_TYPE
        );
        assert_eq!(parse_evidence("  ").unwrap_err().key, t::EVIDENCE_REQUIRED);
        assert!(parse_evidence("//evil.example/x.jpg").is_err());
    }

    #[test]
    fn scores_outside_an_items_range_are_refused_at_their_field() {
        let s = current();
        let input = SelfAssessmentInput {
            level: "advanced".into(),
            scores: vec!["15".into(), "26".into(), "x".into()],
            evidence: "a.png".into(),
        };
        let e = input.parse(s).unwrap_err();
        assert_eq!(e.get("score1").unwrap().key, t::SCORE_RANGE);
        assert_eq!(e.get("score2").unwrap().key, t::SCORE_INVALID);
        assert_eq!(e.get("score3").unwrap().key, t::SCORE_INVALID);
    }

    #[test]
    fn hand_scores_count_within_their_points_and_version_one_is_unchanged() {
        let v1 = scheme(1).unwrap();
        // Version 3 (the self-assessment deadline) keeps version 2's numbers.
        let v2 = scheme(2).unwrap();
        assert_eq!(v2.version, 2);
        assert_eq!(
            (current().hand, current().appeal_days),
            (v2.hand, v2.appeal_days)
        );
        assert_eq!(
            v1.indicators, v2.indicators,
            "version 2 keeps the computed numbers"
        );
        assert_eq!((v2.hand_max(), v2.full_max()), (10, 110));
        assert!(v2.appeal_days > 0);
        let f = figs(&[(CONGRESS_QUORUM, 1)]);
        let hand: BTreeMap<String, i64> =
            [("records".to_string(), 4), ("innovation".to_string(), 99)].into();
        let s = score_with(v2, &f, &hand, false);
        let line = |c: &str| s.lines.iter().find(|l| l.indicator == c).unwrap().clone();
        assert_eq!(
            (line("records").points, line("records").scorer),
            (4, Some(Scorer::Area))
        );
        assert_eq!(
            line("innovation").points,
            5,
            "clamped to the indicator's points"
        );
        assert_eq!(s.total(), 20 + 4 + 5);
        // Version 1 has no hand lines.
        assert_eq!(score_with(v1, &f, &hand, false).total(), 20);
    }

    #[test]
    fn the_self_assessment_deadline_falls_in_the_school_year_and_only_from_version_three() {
        let d = chrono::NaiveDate::from_ymd_opt;
        assert_eq!(current().self_assessment_due(2026), d(2027, 5, 31));
        assert_eq!(scheme(2).unwrap().self_assessment_due(2026), None);
        assert_eq!(current().indicators, scheme(2).unwrap().indicators);
    }

    #[test]
    fn a_file_makes_typed_evidence_optional_but_a_bad_line_is_still_refused() {
        assert!(parse_evidence_with("", 1).unwrap().is_empty());
        assert_eq!(
            parse_evidence_with("setup.exe", 1).unwrap_err().key,
            t::EVIDENCE_TYPE
        );
        assert_eq!(
            parse_evidence_with("", 0).unwrap_err().key,
            t::EVIDENCE_REQUIRED
        );
    }

    #[test]
    fn equal_totals_share_a_rank() {
        assert_eq!(ranks(&[80, 95, 80, 60]), vec![2, 1, 2, 4]);
    }

    #[test]
    fn a_level_requires_the_one_below() {
        assert_eq!(HomeLevel::Model.requires(), Some(HomeLevel::Advanced));
        assert_eq!(HomeLevel::Qualified.requires(), None);
        assert_eq!(HomeLevel::Model.below(), Some(HomeLevel::Advanced));
    }
}
