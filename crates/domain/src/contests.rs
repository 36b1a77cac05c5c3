//! Contests (劳动竞赛、技能比赛、课件、论文、演讲、辩论、书法、球类) as the domain sees them:
//! the coded kinds and states, the contest form parsed with every error at its field (the
//! categories, the criteria with their weights and ranges, the prize tiers by rank), and the
//! arithmetic of judging: a judge's sheet weighted to a score out of 100, the entry's score
//! as the mean of its judges (optionally dropping the highest and the lowest), ranks with
//! ties shown, and prize tiers by rank.
//!
//! Scores are integer hundredths of a point (`centi`), rounded half up once per sheet and
//! once per mean: two entries tie exactly when the scores people see are equal. The quota
//! per school, the number of prizes per tier and the dropping of extremes are the
//! organizer's choice for each contest (本地规定), no statutory number is involved.
//!
//! This module does no IO and reads no clock (today is a parameter).

use crate::error::{FieldError, FieldErrors};
use crate::kit::coded;
use crate::org::Coded;
use chrono::NaiveDate;

/// Catalogue keys of this area's messages (the web crate's test checks both catalogues).
pub mod text {
    macro_rules! keys {
        ($($name:ident = $key:literal),* $(,)?) => {
            $(pub const $name: &str = $key;)*
            /// Every key defined in this module.
            pub const ALL: &[&str] = &[$($key),*];
        };
    }
    keys! {
        NAME_REQUIRED = "contests-name-required",
        DATE_INVALID = "contests-date-invalid",
        DATES_ORDER = "contests-dates-order",
        QUOTA_INVALID = "contests-quota-invalid",
        PRIZES_INVALID = "contests-prizes-invalid",
        CRITERIA_INVALID = "contests-criteria-invalid",
        WEIGHTS_SUM = "contests-weights-sum",
        CATEGORY_INVALID = "contests-category-invalid",
        TITLE_REQUIRED = "contests-title-required",
        ENTRANTS_REQUIRED = "contests-entrants-required",
        OVER_QUOTA = "contests-over-quota",
        ENTRY_CLOSED = "contests-entry-closed",
        NOT_A_SCHOOL = "contests-not-a-school",
        JUDGE_EXISTS = "contests-judge-exists",
        CONFLICT = "contests-conflict",
        NOT_A_JUDGE = "contests-not-a-judge",
        POINTS_RANGE = "contests-points-range",
        NOT_JUDGING = "contests-not-judging",
        NOT_OPEN = "contests-not-open",
        UNSCORED = "contests-unscored",
        NO_JUDGES = "contests-no-judges",
        FILE_REQUIRED = "contests-file-required",
        FILE_SIZE = "contests-file-size",
        FILE_TYPE = "contests-file-type",
        FILES_CLOSED = "contests-files-closed",
        NOT_PUBLISHED = "contests-not-published",
        UPPER_NAME_REQUIRED = "contests-upper-name-required",
        UPPER_TIER_INVALID = "contests-upper-tier-invalid",
        UPPER_LEVEL_INVALID = "contests-upper-level-invalid",
        NOT_FORWARDED = "contests-not-forwarded",
    }
}

use text as t;

crate::kit::id_types!(
    ContestId,
    ContestEntryId,
    ContestJudgeId,
    CriterionId,
    ContestCategoryId
);

coded!(
    /// What is contested.
    ContestKind, "contest-kind", {
    Courseware = "courseware" ["课件", "课件制作"],
    Paper = "paper" ["论文"],
    TeachingSkills = "teaching_skills" ["教学基本功", "技能比赛"],
    Speech = "speech" ["演讲"],
    Debate = "debate" ["辩论"],
    Calligraphy = "calligraphy" ["书法"],
    Sports = "sports" ["球类", "体育"],
    Labour = "labour" ["劳动竞赛", "立功竞赛"],
});

coded!(
    /// Where a contest stands: schools submit entries, judges score, results are published.
    ContestStatus, "contest-status", {
    Open = "open" ["报名中"],
    Judging = "judging" ["评审中"],
    Published = "published" ["已公布"],
});

coded!(
    /// A prize tier (一二三等奖, 优秀奖).
    PrizeTier, "contest-prize", {
    First = "first" ["一等奖"],
    Second = "second" ["二等奖"],
    Third = "third" ["三等奖"],
    Merit = "merit" ["优秀奖"],
});

/// A criterion of the scoring sheet: a name, its weight in percent (the weights of a sheet
/// sum to 100) and its range (0 to `max` points).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CriterionDraft {
    pub name: String,
    pub weight: u32,
    pub max: u32,
}

/// A contest as typed by its organizer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContestDraft {
    pub name: String,
    pub kind: ContestKind,
    pub year: i32,
    pub rules: String,
    pub entry_from: NaiveDate,
    pub entry_until: NaiveDate,
    pub judging_until: NaiveDate,
    /// Entries a school may submit (0: no limit).
    pub quota: u32,
    /// Drop each entry's highest and lowest judge before the mean (with three judges or
    /// more).
    pub drop_extremes: bool,
    /// How many ranks get the first, second and third prize and the merit award.
    pub prizes: [u32; 4],
    pub categories: Vec<String>,
    pub criteria: Vec<CriterionDraft>,
}

/// The fields of the contest form, as typed.
#[derive(Clone, Debug, Default)]
pub struct ContestForm {
    pub name: String,
    pub kind: String,
    pub rules: String,
    pub entry_from: String,
    pub entry_until: String,
    pub judging_until: String,
    pub quota: String,
    pub drop_extremes: bool,
    pub first: String,
    pub second: String,
    pub third: String,
    pub merit: String,
    /// One category per line (may be empty: one list).
    pub categories: String,
    /// One criterion per line: `name|weight|max` (`|` or `｜` or a comma).
    pub criteria: String,
}

fn date(field: &'static str, s: &str) -> Result<NaiveDate, FieldError> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map_err(|_| FieldError::new(field, t::DATE_INVALID))
}

fn count(field: &'static str, s: &str, key: &'static str) -> Result<u32, FieldError> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(0);
    }
    s.parse::<u32>()
        .ok()
        .filter(|n| *n <= 10_000)
        .ok_or_else(|| FieldError::new(field, key))
}

/// Parses the criteria lines (`name|weight|max`); the weights must sum to 100.
pub fn parse_criteria(s: &str) -> Result<Vec<CriterionDraft>, FieldError> {
    let mut out = Vec::new();
    for line in s.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let parts: Vec<&str> = line.split(['|', '｜', ',', '，']).map(str::trim).collect();
        let [name, weight, max] = parts.as_slice() else {
            return Err(FieldError::new("criteria", t::CRITERIA_INVALID).arg("line", line));
        };
        let weight = weight.parse::<u32>().ok().filter(|w| (1..=100).contains(w));
        let max = max.parse::<u32>().ok().filter(|m| (1..=1000).contains(m));
        match (name.is_empty(), weight, max) {
            (false, Some(weight), Some(max)) if name.chars().count() <= 60 => {
                out.push(CriterionDraft {
                    name: (*name).to_string(),
                    weight,
                    max,
                })
            }
            _ => return Err(FieldError::new("criteria", t::CRITERIA_INVALID).arg("line", line)),
        }
    }
    if out.is_empty() || out.len() > 20 {
        return Err(FieldError::new("criteria", t::CRITERIA_INVALID).arg("line", ""));
    }
    let sum: u32 = out.iter().map(|c| c.weight).sum();
    if sum != 100 {
        return Err(FieldError::new("criteria", t::WEIGHTS_SUM).arg("sum", sum));
    }
    Ok(out)
}

/// Parses the contest form; every error at its field.
pub fn parse_contest(f: &ContestForm) -> Result<ContestDraft, FieldErrors> {
    let mut e = FieldErrors::default();
    let name = e.take(
        crate::org::required_text("name", &f.name, 120)
            .map_err(|_| FieldError::new("name", t::NAME_REQUIRED)),
    );
    let kind = ContestKind::from_code(f.kind.trim());
    if kind.is_none() {
        e.push(FieldError::new("kind", crate::text::REQUIRED));
    }
    let from = e.take(date("entry_from", &f.entry_from));
    let until = e.take(date("entry_until", &f.entry_until));
    let judging = e.take(date("judging_until", &f.judging_until));
    if let (Some(a), Some(b)) = (from, until)
        && b < a
    {
        e.push(FieldError::new("entry_until", t::DATES_ORDER));
    }
    if let (Some(b), Some(c)) = (until, judging)
        && c < b
    {
        e.push(FieldError::new("judging_until", t::DATES_ORDER));
    }
    let quota = e.take(count("quota", &f.quota, t::QUOTA_INVALID));
    let p1 = e.take(count("first", &f.first, t::PRIZES_INVALID));
    let p2 = e.take(count("second", &f.second, t::PRIZES_INVALID));
    let p3 = e.take(count("third", &f.third, t::PRIZES_INVALID));
    let p4 = e.take(count("merit", &f.merit, t::PRIZES_INVALID));
    let categories: Vec<String> = f
        .categories
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect();
    if categories.len() > 20 || categories.iter().any(|c| c.chars().count() > 40) {
        e.push(FieldError::new("categories", t::CATEGORY_INVALID));
    }
    let criteria = e.take(parse_criteria(&f.criteria));
    let rules = f.rules.trim().to_string();
    if rules.chars().count() > 4000 {
        e.push(FieldError::new("rules", crate::text::TOO_LONG));
    }
    match (
        name, kind, from, until, judging, quota, p1, p2, p3, p4, criteria,
    ) {
        (
            Some(name),
            Some(kind),
            Some(from),
            Some(until),
            Some(judging),
            Some(quota),
            Some(p1),
            Some(p2),
            Some(p3),
            Some(p4),
            Some(criteria),
        ) if e.is_empty() => {
            use chrono::Datelike;
            Ok(ContestDraft {
                name,
                kind,
                year: from.year(),
                rules,
                entry_from: from,
                entry_until: until,
                judging_until: judging,
                quota,
                drop_extremes: f.drop_extremes,
                prizes: [p1, p2, p3, p4],
                categories,
                criteria,
            })
        }
        _ => Err(e),
    }
}

/// Whether an entry may be submitted on `today`.
pub fn entry_window_open(from: NaiveDate, until: NaiveDate, today: NaiveDate) -> bool {
    from <= today && today <= until
}

/// A judge's points on one criterion, checked against its range.
pub fn check_points(points: i64, max: u32) -> Result<u32, FieldError> {
    u32::try_from(points)
        .ok()
        .filter(|p| *p <= max)
        .ok_or_else(|| FieldError::new("points", t::POINTS_RANGE).arg("max", max))
}

/// A judge's sheet as a score out of 100 in hundredths: Σ points / max × weight, rounded
/// half up once. `sheet` holds (points, weight, max) per criterion.
pub fn sheet_centi(sheet: &[(u32, u32, u32)]) -> i64 {
    // Exact over the common denominator of the maxima, then one rounding.
    let mut num: i128 = 0;
    let mut den: i128 = 1;
    for &(p, w, m) in sheet {
        let m = i128::from(m.max(1));
        // num/den + p*w/m
        num = num * m + i128::from(p) * i128::from(w) * den;
        den *= m;
        let g = gcd(num.abs(), den);
        if g > 1 {
            num /= g;
            den /= g;
        }
    }
    // × 100 for hundredths, rounded half up.
    ((num * 200 + den) / (2 * den)) as i64
}

fn gcd(mut a: i128, mut b: i128) -> i128 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a.max(1)
}

/// An entry's score from its judges' sheets (hundredths): the mean, rounded half up;
/// with `drop_extremes` and three sheets or more, the highest and the lowest are left out
/// first. `None` without a sheet.
pub fn aggregate(sheets: &[i64], drop_extremes: bool) -> Option<i64> {
    if sheets.is_empty() {
        return None;
    }
    let mut v = sheets.to_vec();
    v.sort_unstable();
    let kept: &[i64] = if drop_extremes && v.len() >= 3 {
        &v[1..v.len() - 1]
    } else {
        &v
    };
    let n = kept.len() as i64;
    let sum: i64 = kept.iter().sum();
    Some((2 * sum + n) / (2 * n))
}

/// A place in the results.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Placing {
    /// 1 + the number of entries with a strictly higher score (ties share a rank).
    pub rank: u32,
    /// Whether another entry has the same score.
    pub tied: bool,
    pub tier: Option<PrizeTier>,
}

/// Ranks scores (in any order; the answer follows the input's order) and gives the prize
/// tiers by rank: ranks 1..=prizes[0] the first prize, the next prizes[1] ranks the second,
/// and so on. Tied entries share a rank, so a tie at a boundary takes the better tier
/// (and is shown as a tie). Entries without a score get no rank and no prize.
pub fn placings(scores: &[Option<i64>], prizes: [u32; 4]) -> Vec<Option<Placing>> {
    let mut sorted: Vec<i64> = scores.iter().flatten().copied().collect();
    sorted.sort_unstable_by(|a, b| b.cmp(a));
    let bounds = [
        prizes[0],
        prizes[0] + prizes[1],
        prizes[0] + prizes[1] + prizes[2],
        prizes[0] + prizes[1] + prizes[2] + prizes[3],
    ];
    scores
        .iter()
        .map(|s| {
            s.map(|s| {
                let higher = sorted.partition_point(|x| *x > s) as u32;
                let same = sorted[higher as usize..]
                    .iter()
                    .take_while(|x| **x == s)
                    .count();
                let rank = higher + 1;
                let tier = PrizeTier::all()
                    .iter()
                    .zip(bounds)
                    .find(|(_, b)| rank <= *b)
                    .map(|(t, _)| *t);
                Placing {
                    rank,
                    tied: same > 1,
                    tier,
                }
            })
        })
        .collect()
}

/// A score in hundredths as people read it (`87.25`).
pub fn show_centi(c: i64) -> String {
    format!("{}.{:02}", c / 100, (c % 100).abs())
}

/// The domain declaration of the contests area.
pub static AREA: crate::area::Area = crate::area::Area {
    name: "contests",
    enums: &[
        crate::area::CodedEnum::of::<ContestKind>(),
        crate::area::CodedEnum::of::<ContestStatus>(),
        crate::area::CodedEnum::of::<PrizeTier>(),
    ],
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contests_a_sheet_is_weighted_to_a_hundred() {
        // 8/10 × 60 + 4/5 × 40 = 48 + 32 = 80.00
        assert_eq!(sheet_centi(&[(8, 60, 10), (4, 40, 5)]), 8000);
        // 2/3 × 100 = 66.666… → 66.67
        assert_eq!(sheet_centi(&[(2, 100, 3)]), 6667);
        assert_eq!(sheet_centi(&[(10, 50, 10), (10, 50, 10)]), 10000);
        assert_eq!(sheet_centi(&[]), 0);
    }

    #[test]
    fn contests_the_mean_drops_the_extremes_only_when_asked_and_possible() {
        assert_eq!(aggregate(&[9000, 8000, 7000, 1000], false), Some(6250));
        assert_eq!(aggregate(&[9000, 8000, 7000, 1000], true), Some(7500));
        assert_eq!(aggregate(&[9000, 8000], true), Some(8500));
        assert_eq!(aggregate(&[1, 2], false), Some(2)); // 1.5 rounds half up
        assert_eq!(aggregate(&[], true), None);
    }

    #[test]
    fn contests_ties_share_a_rank_and_the_better_tier() {
        let s = [Some(90), Some(95), Some(90), Some(80), None, Some(70)];
        let p = placings(&s, [1, 1, 1, 0]);
        let ranks: Vec<Option<u32>> = p.iter().map(|x| x.map(|x| x.rank)).collect();
        assert_eq!(
            ranks,
            vec![Some(2), Some(1), Some(2), Some(4), None, Some(5)]
        );
        assert_eq!(p[0].unwrap().tier, Some(PrizeTier::Second));
        assert!(p[0].unwrap().tied && p[2].unwrap().tied && !p[1].unwrap().tied);
        assert_eq!(p[3].unwrap().tier, None); // rank 4 is past 1+1+1
        assert_eq!(p[1].unwrap().tier, Some(PrizeTier::First));
    }

    #[test]
    fn contests_points_outside_the_range_are_refused() {
        assert_eq!(check_points(10, 10), Ok(10));
        assert!(check_points(11, 10).is_err());
        assert!(check_points(-1, 10).is_err());
    }

    fn form() -> ContestForm {
        ContestForm {
            name: "教学课件制作比赛".into(),
            kind: "courseware".into(),
            entry_from: "2026-03-01".into(),
            entry_until: "2026-04-30".into(),
            judging_until: "2026-05-31".into(),
            quota: "5".into(),
            first: "10".into(),
            second: "20".into(),
            third: "25".into(),
            criteria: "教学设计|40|10\n技术应用｜30｜10\n艺术效果,30,10".into(),
            categories: "小学组\n中学组".into(),
            ..ContestForm::default()
        }
    }

    #[test]
    fn contests_the_form_parses_and_names_each_bad_field() {
        let d = parse_contest(&form()).unwrap();
        assert_eq!(d.kind, ContestKind::Courseware);
        assert_eq!(d.prizes, [10, 20, 25, 0]);
        assert_eq!(d.criteria.len(), 3);
        assert_eq!(d.categories, vec!["小学组", "中学组"]);
        assert_eq!(d.year, 2026);
        let mut f = form();
        f.criteria = "教学设计|40|10\n技术应用|30|10".into();
        f.entry_until = "2026-02-01".into();
        f.quota = "x".into();
        let e = parse_contest(&f).unwrap_err();
        assert_eq!(e.get("criteria").unwrap().key, t::WEIGHTS_SUM);
        assert_eq!(e.get("entry_until").unwrap().key, t::DATES_ORDER);
        assert_eq!(e.get("quota").unwrap().key, t::QUOTA_INVALID);
        assert!(ContestKind::from_code("paper").is_some());
    }
}
