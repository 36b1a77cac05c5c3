//! Assistance (帮扶 / 送温暖) as the domain sees it: hardship files (困难教职工档案) with their
//! household, the **income test** that decides a file's level against the versioned
//! assistance rule set, the yearly review's expiry, and the coded values the area stores.
//!
//! Every number here is local: the minimum-living standard (低保标准) is set by each city's
//! civil-affairs bureau, and the multiple that bounds "relative hardship" (相对困难), the
//! review period and the grant caps are the union's own implementing rules. No statutory
//! source is claimed for any of them ([`RuleSource::Local`]); the built-in defaults are
//! placeholders that a union replaces with its city's figures as a new rule-set version.
//!
//! Arithmetic is exact, in fen (`i64`, widened to `i128` for products). This module does no
//! IO and reads no clock; it never formats text (errors carry catalogue keys).

use crate::error::{FieldError, FieldErrors};
use crate::kit::coded;
use crate::org::{Coded, parse_choice};
use crate::rules::Ratio;
use chrono::{Months, NaiveDate};
use serde::{Deserialize, Serialize};

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
        HOUSEHOLD_SIZE_REQUIRED = "assistance-household-size-required",
        HOUSEHOLD_SIZE_RANGE = "assistance-household-size-range",
        HOUSEHOLD_SIZE_BELOW_LISTED = "assistance-household-size-below-listed",
        HOUSEHOLD_EMPTY = "assistance-household-empty",
        INCOME_NEGATIVE = "assistance-income-negative",
        INCOME_INVALID = "assistance-income-invalid",
        AGE_INVALID = "assistance-age-invalid",
        CAUSE_REQUIRED = "assistance-cause-required",
        NOT_ELIGIBLE = "assistance-not-eligible",
        FILE_ALREADY_OPEN = "assistance-file-already-open",
        MEMBER_UNKNOWN = "assistance-member-unknown",
        MEMBER_AMBIGUOUS = "assistance-member-ambiguous",
        MEMBER_NOT_ACTIVE = "assistance-member-not-active",
        EXIT_REASON_REQUIRED = "assistance-exit-reason-required",
        NOT_A_DRAFT = "assistance-not-a-draft",
        NOT_OPEN = "assistance-not-open",
        RULE_STANDARD_INVALID = "assistance-rule-standard-invalid",
        RULE_MULTIPLE_INVALID = "assistance-rule-multiple-invalid",
        RULE_MONTHS_INVALID = "assistance-rule-months-invalid",
        RULE_CAP_INVALID = "assistance-rule-cap-invalid",
        GRANT_AMOUNT_INVALID = "assistance-grant-amount-invalid",
        GRANT_ABOVE_CAP = "assistance-grant-above-cap",
        GRANT_ABOVE_BALANCE = "assistance-grant-above-balance",
        GRANT_SAME_APPROVER = "assistance-grant-same-approver",
        GRANT_FILE_NOT_OPEN = "assistance-grant-file-not-open",
        GRANT_WRONG_STEP = "assistance-grant-wrong-step",
        GRANT_NOT_THE_FUND = "assistance-grant-not-the-fund",
        BIRTHDAY_RANGE_INVALID = "assistance-birthday-range-invalid",
        VISIT_TYPE_NOT_IN_RULES = "assistance-visit-type-not-in-rules",
        VISIT_ABOVE_CAP = "assistance-visit-above-cap",
        VISIT_ABOVE_YEAR_CAP = "assistance-visit-above-year-cap",
        VISIT_DATE_INVALID = "assistance-visit-date-invalid",
        VISIT_DATE_FUTURE = "assistance-visit-date-future",
        VISITORS_REQUIRED = "assistance-visitors-required",
        PERIOD_INVALID = "assistance-period-invalid",
        CAMPAIGN_NAME_REQUIRED = "assistance-campaign-name-required",
        CAMPAIGN_ABOVE_BUDGET = "assistance-campaign-above-budget",
        CAMPAIGN_FILE_NOT_OPEN = "assistance-campaign-file-not-open",
        CAMPAIGN_ALREADY_LISTED = "assistance-campaign-already-listed",
        CAMPAIGN_CLOSED = "assistance-campaign-closed",
        RULE_LAXER = "assistance-rule-laxer",
        RULE_DAYS_INVALID = "assistance-rule-days-invalid",
        RULE_TRIGGER_INVALID = "assistance-rule-trigger-invalid",
        BATCH_NONE_CHOSEN = "assistance-batch-none-chosen",
    }
}

use text as t;

crate::kit::id_types!(
    HardshipFileId,
    AssistanceRuleSetId,
    GrantId,
    VisitId,
    VisitReportId,
    CampaignId,
    RetireeContactId
);

coded!(
    /// A must-visit's type (五必访; local lists differ, so the rule set says which types a
    /// union keeps and what each may be given).
    VisitType, "visit-type", {
    Hospitalisation = "hospitalisation" ["住院", "生病住院", "患病"],
    Bereavement = "bereavement" ["丧事", "直系亲属去世", "去世"],
    Marriage = "marriage" ["结婚", "婚嫁"],
    Childbirth = "childbirth" ["生育", "生小孩"],
    Retirement = "retirement" ["退休"],
    Hardship = "hardship" ["家庭困难", "困难"],
});

coded!(
    /// What puts a must-visit on a school's due list: the member's retirement (a roster
    /// status change to retired, on its date), a hardship file opened, or a report by the
    /// school (a hospital stay, a bereavement, a wedding, a birth).
    VisitTrigger, "visit-trigger", {
    Retired = "retired" ["退休"],
    FileOpened = "file_opened" ["建档"],
    Report = "report" ["学校报告", "报告"],
});

coded!(
    /// A seasonal campaign's kind (送温暖 at New Year and Spring Festival, 金秋助学 for
    /// members' children starting university, or another).
    CampaignKind, "campaign-kind", {
    Warmth = "warmth" ["送温暖", "元旦春节送温暖"],
    StudyAid = "study_aid" ["金秋助学"],
    Other = "other" ["其他"],
});

/// One visit type as a rule set keeps it: what may be given on one visit (fen) and what
/// puts it on the due list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VisitRule {
    pub cap_fen: i64,
    pub trigger: VisitTrigger,
}

/// The must-visit part of a rule set. A type left out (`None`) is not a visit this union
/// records. **Every number local** (the defaults are placeholders, no source claimed).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VisitRules {
    pub hospitalisation: Option<VisitRule>,
    pub bereavement: Option<VisitRule>,
    pub marriage: Option<VisitRule>,
    pub childbirth: Option<VisitRule>,
    pub retirement: Option<VisitRule>,
    pub hardship: Option<VisitRule>,
    /// Condolence money one member may receive in a calendar year, all types (fen).
    pub year_cap_fen: i64,
    /// Days after its trigger a visit is due.
    pub due_days: u32,
}

impl Default for VisitRules {
    fn default() -> Self {
        VisitRules::DEFAULT
    }
}

impl VisitRules {
    pub const DEFAULT: VisitRules = {
        const fn r(cap_fen: i64, trigger: VisitTrigger) -> Option<VisitRule> {
            Some(VisitRule { cap_fen, trigger })
        }
        VisitRules {
            hospitalisation: r(50_000, VisitTrigger::Report),
            bereavement: r(50_000, VisitTrigger::Report),
            marriage: r(30_000, VisitTrigger::Report),
            childbirth: r(30_000, VisitTrigger::Report),
            retirement: r(30_000, VisitTrigger::Retired),
            hardship: r(100_000, VisitTrigger::FileOpened),
            year_cap_fen: 200_000,
            due_days: 30,
        }
    };

    /// The rule of a type, or `None` when the rule set does not keep it.
    pub fn rule(&self, t: VisitType) -> Option<VisitRule> {
        match t {
            VisitType::Hospitalisation => self.hospitalisation,
            VisitType::Bereavement => self.bereavement,
            VisitType::Marriage => self.marriage,
            VisitType::Childbirth => self.childbirth,
            VisitType::Retirement => self.retirement,
            VisitType::Hardship => self.hardship,
        }
    }

    /// The types whose trigger is `trigger`.
    pub fn types_for(&self, trigger: VisitTrigger) -> Vec<VisitType> {
        VisitType::all()
            .iter()
            .copied()
            .filter(|t| self.rule(*t).is_some_and(|r| r.trigger == trigger))
            .collect()
    }

    /// Checks an amount for a visit of `t`, given what the member already received this
    /// year: the type must be in the rule set, the amount within its cap and the year's.
    /// Refusals name the rule (its cap) and the rule-set version.
    pub fn check_amount(
        &self,
        t: VisitType,
        amount_fen: i64,
        used_fen: i64,
        version: i64,
    ) -> Result<(), FieldError> {
        let Some(rule) = self.rule(t) else {
            return Err(FieldError::new("visit_type", text::VISIT_TYPE_NOT_IN_RULES)
                .arg("version", version));
        };
        if amount_fen < 0 {
            return Err(FieldError::new("amount", text::GRANT_AMOUNT_INVALID));
        }
        if amount_fen > rule.cap_fen {
            return Err(FieldError::new("amount", text::VISIT_ABOVE_CAP)
                .arg("cap", yuan(rule.cap_fen))
                .arg("version", version));
        }
        if used_fen + amount_fen > self.year_cap_fen {
            return Err(FieldError::new("amount", text::VISIT_ABOVE_YEAR_CAP)
                .arg("cap", yuan(self.year_cap_fen))
                .arg("used", yuan(used_fen))
                .arg("version", version));
        }
        Ok(())
    }
}

coded!(
    /// A file's hardship level, decided by the income test (深度困难 below 1× the
    /// minimum-living standard per person, 相对困难 below the local multiple).
    HardshipLevel, "hardship-level", {
    Deep = "deep" ["深度困难", "特困"],
    Relative = "relative" ["相对困难"],
});

coded!(
    /// Where a file stands: drafted by a committee member, confirmed (open) by the chair,
    /// or left (脱困) with a reason.
    FileStatus, "hardship-status", {
    Draft = "draft" ["草稿", "待确认"],
    Open = "open" ["在档", "已确认"],
    Exited = "exited" ["脱困", "已退出"],
});

coded!(
    /// Why a household is in hardship (several may apply).
    Cause, "hardship-cause", {
    Illness = "illness" ["疾病", "因病"],
    Disability = "disability" ["残疾", "因残"],
    SingleParent = "single_parent" ["单亲"],
    Disaster = "disaster" ["灾害", "因灾"],
    Accident = "accident" ["意外", "意外致困"],
    Education = "education" ["子女就学", "因学"],
    Other = "other" ["其他"],
});

coded!(
    /// A household member's relation to the union member.
    Relation, "household-relation", {
    Member = "member" ["本人"],
    Spouse = "spouse" ["配偶"],
    Child = "child" ["子女"],
    Parent = "parent" ["父母"],
    Other = "other" ["其他"],
});

coded!(
    /// A household member's situation.
    PersonStatus, "household-status", {
    Working = "working" ["在职", "务工"],
    Illness = "illness" ["患病", "重病"],
    Disability = "disability" ["残疾"],
    Student = "student" ["学生", "在读"],
    Unemployed = "unemployed" ["失业", "无业"],
    Retired = "retired" ["退休"],
});

coded!(
    /// Where a relief grant stands: applied for by the school, approved by the school's
    /// chair, approved by the district (a second, different person), paid from the fund.
    GrantStatus, "grant-status", {
    Applied = "applied" ["已申请"],
    SchoolApproved = "school_approved" ["学校已审批"],
    Approved = "approved" ["已审批"],
    Paid = "paid" ["已发放"],
});

coded!(
    /// A movement of the relief fund (扶贫帮困基金): money in (allocations, donations) or a
    /// grant paid out.
    FundEntryKind, "fund-entry-kind", {
    Allocation = "allocation" ["拨款", "划拨"],
    Donation = "donation" ["捐款", "捐赠"],
    Grant = "grant" ["补助", "救助"],
});

/// A positive amount of yuan, as typed, in fen (a grant or a fund income).
pub fn parse_amount(field: &'static str, input: &str) -> Result<i64, FieldError> {
    match parse_yuan(field, input) {
        Ok(f) if f > 0 => Ok(f),
        Ok(_) => Err(FieldError::new(field, t::GRANT_AMOUNT_INVALID)),
        Err(e) if e.key == t::INCOME_NEGATIVE => {
            Err(FieldError::new(field, t::GRANT_AMOUNT_INVALID))
        }
        Err(e) => Err(e),
    }
}

coded!(
    /// One step in a file's history.
    FileEvent, "hardship-event", {
    Drafted = "drafted" ["起草"],
    Confirmed = "confirmed" ["确认"],
    Reviewed = "reviewed" ["年审"],
    Exited = "exited" ["脱困"],
});

/// Where an assistance number comes from. Every one is local today: the minimum-living
/// standard is the city's (民政部门公布), the rest the union's implementing rules. A
/// statutory source is added here only once its text has been read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RuleSource {
    Local,
}

/// The numbers of one assistance rule-set version.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssistanceRules {
    /// The local minimum-living standard (低保标准), fen per person and month. Local: the
    /// default (¥1,000) is a placeholder to be replaced by the city's published figure.
    pub low_income_fen: i64,
    /// Below this multiple of the standard per person a household is in relative hardship
    /// (相对困难). Local: the default 3/2 is a placeholder.
    pub relative_multiple: Ratio,
    /// Months a confirmed file stays valid before its yearly review (年审). Local (12).
    pub review_months: u32,
    /// Relief grants a member of a deep-hardship file may receive in a calendar year, in
    /// fen. Local: the default ¥5,000 is a placeholder.
    #[serde(default = "default_cap_deep")]
    pub grant_cap_deep_fen: i64,
    /// The same for relative hardship. Local: the default ¥2,000 is a placeholder.
    #[serde(default = "default_cap_relative")]
    pub grant_cap_relative_fen: i64,
    /// Must-visits: types, triggers, caps (local). Versions stored before visits existed
    /// read the defaults.
    #[serde(default)]
    pub visits: VisitRules,
}

fn default_cap_deep() -> i64 {
    AssistanceRules::DEFAULT.grant_cap_deep_fen
}
fn default_cap_relative() -> i64 {
    AssistanceRules::DEFAULT.grant_cap_relative_fen
}

impl AssistanceRules {
    pub const DEFAULT: AssistanceRules = AssistanceRules {
        low_income_fen: 100_000,
        relative_multiple: Ratio::new(3, 2),
        review_months: 12,
        grant_cap_deep_fen: 500_000,
        grant_cap_relative_fen: 200_000,
        visits: VisitRules::DEFAULT,
    };

    /// The yearly grant cap of a level, in fen.
    pub fn grant_cap(&self, level: HardshipLevel) -> i64 {
        match level {
            HardshipLevel::Deep => self.grant_cap_deep_fen,
            HardshipLevel::Relative => self.grant_cap_relative_fen,
        }
    }

    /// Every number's source.
    pub fn source(&self) -> RuleSource {
        RuleSource::Local
    }

    /// Sane ranges before a version is stored.
    pub fn check(&self) -> Result<(), FieldErrors> {
        let mut e = FieldErrors::default();
        if !(1..=10_000_000).contains(&self.low_income_fen) {
            e.push(FieldError::new("low_income", t::RULE_STANDARD_INVALID));
        }
        let m = self.relative_multiple;
        if m.den == 0 || m.num < m.den || u64::from(m.num) > 5 * u64::from(m.den) {
            e.push(FieldError::new(
                "relative_multiple",
                t::RULE_MULTIPLE_INVALID,
            ));
        }
        if self.grant_cap_deep_fen < 0 || self.grant_cap_relative_fen < 0 {
            e.push(FieldError::new("grant_cap", t::RULE_CAP_INVALID));
        }
        let v = &self.visits;
        if v.year_cap_fen < 0
            || VisitType::all()
                .iter()
                .any(|t| v.rule(*t).is_some_and(|r| r.cap_fen < 0))
        {
            e.push(FieldError::new("visit_cap", t::RULE_CAP_INVALID));
        }
        if !(1..=36).contains(&self.review_months) {
            e.push(FieldError::new("review_months", t::RULE_MONTHS_INVALID));
        }
        if e.is_empty() { Ok(()) } else { Err(e) }
    }

    /// The day a file confirmed or reviewed on `from` is due for review again.
    pub fn review_due(&self, from: NaiveDate) -> NaiveDate {
        from.checked_add_months(Months::new(self.review_months))
            .unwrap_or(NaiveDate::MAX)
    }

    /// The per-person monthly limit of relative hardship, in fen (rounded down).
    pub fn relative_limit_fen(&self) -> i64 {
        let m = self.relative_multiple;
        (i128::from(self.low_income_fen) * i128::from(m.num) / i128::from(m.den.max(1))) as i64
    }
}

/// One person of the household, as entered.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    pub relation: Relation,
    pub age: u32,
    /// Monthly income in fen (0 for none).
    pub income_fen: i64,
    pub status: PersonStatus,
}

/// A household as the income test reads it: its size (the people who share the income,
/// listed or not) and the listed people with their incomes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Household {
    pub size: u32,
    pub people: Vec<Person>,
    pub causes: Vec<Cause>,
    /// Free text: the circumstances (encrypted at rest like the rest).
    pub note: String,
}

impl Household {
    /// Monthly household income in fen.
    pub fn total_fen(&self) -> i64 {
        self.people.iter().map(|p| p.income_fen).sum()
    }

    /// Monthly income per person in fen (rounded down).
    pub fn per_person_fen(&self) -> i64 {
        self.total_fen() / i64::from(self.size.max(1))
    }
}

/// What the income test decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Eligible, at this level.
    Level(HardshipLevel),
    /// Not eligible: the income per person is at or above the relative limit.
    NotEligible,
}

/// The income test (收入核定): compares the household's income with `size` times the
/// standard, exactly (no division before comparing). Below 1× → deep; below the multiple →
/// relative; otherwise not eligible. A household exactly at a boundary is not below it.
pub fn income_test(h: &Household, r: &AssistanceRules) -> Verdict {
    let total = i128::from(h.total_fen());
    let size = i128::from(h.size.max(1));
    let standard = i128::from(r.low_income_fen) * size;
    let m = r.relative_multiple;
    if total < standard {
        Verdict::Level(HardshipLevel::Deep)
    } else if total * i128::from(m.den) < standard * i128::from(m.num) {
        Verdict::Level(HardshipLevel::Relative)
    } else {
        Verdict::NotEligible
    }
}

/// The refusal of a household the test finds not eligible, with the figures that decided
/// it (shown only to the assistance staff who entered them).
pub fn not_eligible(h: &Household, r: &AssistanceRules) -> FieldError {
    FieldError::new("household_size", t::NOT_ELIGIBLE)
        .arg("income", yuan(h.per_person_fen()))
        .arg("limit", yuan(r.relative_limit_fen()))
}

/// `123456` fen → `1234.56`.
pub fn yuan(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let a = fen.unsigned_abs();
    format!("{sign}{}.{:02}", a / 100, a % 100)
}

/// Reads an amount of yuan as typed (`1200`, `1,200.5`, `¥1200`, full-width digits) into
/// fen. Empty is 0 (no income). A negative amount is named as such.
pub fn parse_yuan(field: &'static str, input: &str) -> Result<i64, FieldError> {
    let s: String = crate::roster::normalize(input)
        .chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, ',' | '¥' | '￥' | '元'))
        .collect();
    if s.is_empty() {
        return Ok(0);
    }
    let bad = || FieldError::new(field, t::INCOME_INVALID).arg("value", input.trim());
    if s.starts_with('-') {
        return Err(FieldError::new(field, t::INCOME_NEGATIVE));
    }
    let (int, frac) = s.split_once('.').unwrap_or((&s, ""));
    if int.is_empty()
        || int.len() > 9
        || frac.len() > 2
        || !int.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(bad());
    }
    let int: i64 = int.parse().map_err(|_| bad())?;
    let frac: i64 = if frac.is_empty() {
        0
    } else {
        format!("{frac:0<2}").parse().map_err(|_| bad())?
    };
    Ok(int * 100 + frac)
}

/// The most people a household form takes.
pub const MAX_PEOPLE: usize = 8;

/// The household part of a file form, as typed: `size`, then per row `relation{i}`,
/// `age{i}`, `income{i}`, `status{i}` (rows with every cell empty are skipped), the causes
/// and the note.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HouseholdInput {
    pub size: String,
    /// (relation, age, income, status) per row.
    pub rows: Vec<(String, String, String, String)>,
    pub causes: Vec<String>,
    pub note: String,
}

/// Field names of row `i` (0-based), as the form and its errors name them.
pub const ROW_FIELDS: [[&str; 4]; MAX_PEOPLE] = [
    ["relation0", "age0", "income0", "status0"],
    ["relation1", "age1", "income1", "status1"],
    ["relation2", "age2", "income2", "status2"],
    ["relation3", "age3", "income3", "status3"],
    ["relation4", "age4", "income4", "status4"],
    ["relation5", "age5", "income5", "status5"],
    ["relation6", "age6", "income6", "status6"],
    ["relation7", "age7", "income7", "status7"],
];

impl HouseholdInput {
    /// Parses every field, reporting every problem at once.
    pub fn parse(&self) -> Result<Household, FieldErrors> {
        let mut e = FieldErrors::default();
        let size = match self.size.trim() {
            "" => {
                e.push(FieldError::new(
                    "household_size",
                    t::HOUSEHOLD_SIZE_REQUIRED,
                ));
                None
            }
            s => match crate::roster::normalize(s).parse::<u32>() {
                Ok(n) if (1..=20).contains(&n) => Some(n),
                _ => {
                    e.push(FieldError::new("household_size", t::HOUSEHOLD_SIZE_RANGE));
                    None
                }
            },
        };
        let mut people = Vec::new();
        for (i, (rel, age, income, status)) in self.rows.iter().enumerate().take(MAX_PEOPLE) {
            if [rel, age, income, status]
                .iter()
                .all(|c| c.trim().is_empty())
            {
                continue;
            }
            let f = ROW_FIELDS[i];
            let relation = e.take(parse_choice::<Relation>(f[0], rel));
            let age = match crate::roster::normalize(age.trim()).parse::<u32>() {
                Ok(a) if a <= 120 => Some(a),
                _ => {
                    e.push(FieldError::new(f[1], t::AGE_INVALID));
                    None
                }
            };
            let income = e.take(parse_yuan(f[2], income));
            let status = e.take(parse_choice::<PersonStatus>(f[3], status));
            if let (Some(relation), Some(age), Some(income_fen), Some(status)) =
                (relation, age, income, status)
            {
                people.push(Person {
                    relation,
                    age,
                    income_fen,
                    status,
                });
            }
        }
        let listed = self
            .rows
            .iter()
            .take(MAX_PEOPLE)
            .filter(|r| ![&r.0, &r.1, &r.2, &r.3].iter().all(|c| c.trim().is_empty()))
            .count();
        if listed == 0 {
            e.push(FieldError::new("relation0", t::HOUSEHOLD_EMPTY));
        }
        if let Some(n) = size
            && (n as usize) < listed
        {
            e.push(
                FieldError::new("household_size", t::HOUSEHOLD_SIZE_BELOW_LISTED)
                    .arg("listed", listed),
            );
        }
        let mut causes = Vec::new();
        for c in &self.causes {
            if let Some(c) = e.take(parse_choice::<Cause>("causes", c))
                && !causes.contains(&c)
            {
                causes.push(c);
            }
        }
        if causes.is_empty() && e.get("causes").is_none() {
            e.push(FieldError::new("causes", t::CAUSE_REQUIRED));
        }
        let note = e
            .take(crate::org::optional_text("note", &self.note, 2000))
            .flatten()
            .unwrap_or_default();
        match size {
            Some(size) if e.is_empty() => Ok(Household {
                size,
                people,
                causes,
                note,
            }),
            _ => Err(e),
        }
    }

    /// The form's fields back from a stored household (for a review).
    pub fn from_household(h: &Household) -> HouseholdInput {
        HouseholdInput {
            size: h.size.to_string(),
            rows: h
                .people
                .iter()
                .map(|p| {
                    (
                        p.relation.code().to_string(),
                        p.age.to_string(),
                        yuan(p.income_fen),
                        p.status.code().to_string(),
                    )
                })
                .collect(),
            causes: h.causes.iter().map(|c| c.code().to_string()).collect(),
            note: h.note.clone(),
        }
    }
}

/// The reason a file is left (脱困): required, at most 500 characters.
pub fn parse_exit_reason(input: &str) -> Result<String, FieldError> {
    if input.trim().is_empty() {
        return Err(FieldError::new("reason", t::EXIT_REASON_REQUIRED));
    }
    crate::org::required_text("reason", input, 500)
}

/// A visit as typed: the member, the type, the day, who went, the amount (yuan, empty for
/// none) and a note.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VisitInput {
    pub member: String,
    pub visit_type: String,
    pub visited_on: String,
    pub visitors: String,
    pub amount: String,
    pub note: String,
}

/// A visit parsed: every field checked, every problem at once. The amount's cap is the
/// store's to check (it needs the year's earlier visits).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VisitDraft {
    pub visit_type: VisitType,
    pub visited_on: NaiveDate,
    pub visitors: String,
    pub amount_fen: i64,
    pub note: String,
}

impl VisitInput {
    pub fn parse(&self, today: NaiveDate) -> Result<VisitDraft, FieldErrors> {
        let mut e = FieldErrors::default();
        if self.member.trim().is_empty() {
            e.push(FieldError::new("member", crate::text::REQUIRED));
        }
        let visit_type = if self.visit_type.trim().is_empty() {
            e.push(FieldError::new("visit_type", crate::text::REQUIRED));
            None
        } else {
            e.take(parse_choice::<VisitType>("visit_type", &self.visit_type))
        };
        let visited_on = match parse_day(&self.visited_on) {
            Some(d) if d > today => {
                e.push(FieldError::new("visited_on", t::VISIT_DATE_FUTURE));
                None
            }
            Some(d) => Some(d),
            None => {
                e.push(FieldError::new("visited_on", t::VISIT_DATE_INVALID));
                None
            }
        };
        let visitors = crate::roster::normalize(self.visitors.trim());
        if visitors.is_empty() {
            e.push(FieldError::new("visitors", t::VISITORS_REQUIRED));
        }
        let visitors = e.take(crate::org::required_text("visitors", &visitors, 200));
        let amount_fen = e.take(parse_yuan("amount", &self.amount));
        let note = e
            .take(crate::org::optional_text("note", &self.note, 1000))
            .flatten()
            .unwrap_or_default();
        match (visit_type, visited_on, visitors, amount_fen) {
            (Some(visit_type), Some(visited_on), Some(visitors), Some(amount_fen))
                if e.is_empty() =>
            {
                Ok(VisitDraft {
                    visit_type,
                    visited_on,
                    visitors,
                    amount_fen,
                    note,
                })
            }
            _ => Err(e),
        }
    }
}

/// A day as typed (`2026-10-29`, `2026/10/29`, `2026年10月29日`, full-width digits).
pub fn parse_day(input: &str) -> Option<NaiveDate> {
    let s = crate::roster::normalize(input.trim());
    let s: String = s
        .chars()
        .map(|c| match c {
            '/' | '.' | '年' | '月' => '-',
            c => c,
        })
        .filter(|c| *c != '日')
        .collect();
    NaiveDate::parse_from_str(&s, "%Y-%m-%d").ok()
}

/// A period (from, to) as typed; both days, `from` not after `to`, at most `max_days`
/// apart. Errors at `to` (or `from` when it cannot be read).
pub fn parse_period(
    from: &str,
    to: &str,
    max_days: i64,
) -> Result<(NaiveDate, NaiveDate), FieldError> {
    let f = parse_day(from).ok_or_else(|| FieldError::new("from", t::PERIOD_INVALID))?;
    let tt = parse_day(to).ok_or_else(|| FieldError::new("to", t::PERIOD_INVALID))?;
    if tt < f || (tt - f).num_days() > max_days {
        return Err(FieldError::new("to", t::PERIOD_INVALID).arg("days", max_days));
    }
    Ok((f, tt))
}

/// The longest range a birthday list covers (a year and a day: 重阳节 to 重阳节).
pub const BIRTHDAY_RANGE_DAYS: i64 = 366;

/// A retiree's round birthday (70, 80, 90, and every one above 90) falling between `from`
/// and `to` (inclusive): the day and the age. A birthday on 29 February is kept on 28
/// February in other years.
pub fn milestone_birthday(
    birth: NaiveDate,
    from: NaiveDate,
    to: NaiveDate,
) -> Option<(NaiveDate, u32)> {
    use chrono::Datelike;
    for y in from.year()..=to.year() {
        let day = NaiveDate::from_ymd_opt(y, birth.month(), birth.day())
            .or_else(|| NaiveDate::from_ymd_opt(y, birth.month(), 28))?;
        let age = y - birth.year();
        if day < from || day > to || age < 70 {
            continue;
        }
        let age = age as u32;
        if age.is_multiple_of(10) || age > 90 {
            return Some((day, age));
        }
    }
    None
}

/// Assistance: hardship files, their income test and yearly review.
pub static AREA: crate::area::Area = crate::area::Area {
    name: "assistance",
    enums: &[
        crate::area::CodedEnum::of::<HardshipLevel>(),
        crate::area::CodedEnum::of::<FileStatus>(),
        crate::area::CodedEnum::of::<Cause>(),
        crate::area::CodedEnum::of::<Relation>(),
        crate::area::CodedEnum::of::<PersonStatus>(),
        crate::area::CodedEnum::of::<FileEvent>(),
        crate::area::CodedEnum::of::<GrantStatus>(),
        crate::area::CodedEnum::of::<FundEntryKind>(),
        crate::area::CodedEnum::of::<VisitType>(),
        crate::area::CodedEnum::of::<VisitTrigger>(),
        crate::area::CodedEnum::of::<CampaignKind>(),
    ],
};

/// The assistance rule-set form as typed: field name → text. Amounts in yuan, the
/// multiple as `3/2`, `1.5` or `150%`, a kept visit type as `visit_<code>_keep=on` with its
/// `visit_<code>_cap` and `visit_<code>_trigger`.
pub type RulesInput = std::collections::BTreeMap<String, String>;

/// The form's fields for a visit type: (keep, cap, trigger).
pub fn visit_fields(t: VisitType) -> (&'static str, &'static str, &'static str) {
    match t {
        VisitType::Hospitalisation => (
            "visit_hospitalisation_keep",
            "visit_hospitalisation_cap",
            "visit_hospitalisation_trigger",
        ),
        VisitType::Bereavement => (
            "visit_bereavement_keep",
            "visit_bereavement_cap",
            "visit_bereavement_trigger",
        ),
        VisitType::Marriage => (
            "visit_marriage_keep",
            "visit_marriage_cap",
            "visit_marriage_trigger",
        ),
        VisitType::Childbirth => (
            "visit_childbirth_keep",
            "visit_childbirth_cap",
            "visit_childbirth_trigger",
        ),
        VisitType::Retirement => (
            "visit_retirement_keep",
            "visit_retirement_cap",
            "visit_retirement_trigger",
        ),
        VisitType::Hardship => (
            "visit_hardship_keep",
            "visit_hardship_cap",
            "visit_hardship_trigger",
        ),
    }
}

/// A version's numbers as the form shows them.
pub fn rules_input(r: &AssistanceRules) -> RulesInput {
    let mut m = RulesInput::new();
    m.insert("low_income".into(), yuan(r.low_income_fen));
    m.insert(
        "relative_multiple".into(),
        multiple_text(r.relative_multiple),
    );
    m.insert("review_months".into(), r.review_months.to_string());
    m.insert("grant_cap_deep".into(), yuan(r.grant_cap_deep_fen));
    m.insert("grant_cap_relative".into(), yuan(r.grant_cap_relative_fen));
    m.insert("visit_year_cap".into(), yuan(r.visits.year_cap_fen));
    m.insert("visit_due_days".into(), r.visits.due_days.to_string());
    for t in VisitType::all() {
        let (keep, cap, trigger) = visit_fields(*t);
        match r.visits.rule(*t) {
            Some(v) => {
                m.insert(keep.into(), "on".into());
                m.insert(cap.into(), yuan(v.cap_fen));
                m.insert(trigger.into(), v.trigger.code().into());
            }
            None => {
                m.insert(cap.into(), String::new());
                m.insert(trigger.into(), VisitTrigger::Report.code().into());
            }
        }
    }
    m
}

/// The relative-hardship multiple as typed back: `1.5` when it has at most two decimals,
/// else `num/den`.
pub fn multiple_text(m: Ratio) -> String {
    let den = u64::from(m.den.max(1));
    let hundredths = u64::from(m.num) * 100;
    if hundredths % den == 0 {
        let h = hundredths / den;
        if h % 100 == 0 {
            format!("{}", h / 100)
        } else {
            format!("{}.{:02}", h / 100, h % 100)
                .trim_end_matches('0')
                .to_string()
        }
    } else {
        format!("{}/{}", m.num, m.den)
    }
}

/// Reads the multiple: `3/2`, `1.5`, `150%` (full-width digits accepted).
pub fn parse_multiple(input: &str) -> Result<Ratio, FieldError> {
    let bad = || FieldError::new("relative_multiple", t::RULE_MULTIPLE_INVALID);
    let s: String = crate::roster::normalize(input)
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let r = if let Some((a, b)) = s.split_once('/') {
        let num: u32 = a.parse().map_err(|_| bad())?;
        let den: u32 = b.parse().map_err(|_| bad())?;
        Ratio::new(num, den)
    } else {
        let (p, scale) = match s.strip_suffix(['%', '％']) {
            Some(p) => (p.to_string(), 100u32),
            None => (s.clone(), 1u32),
        };
        let (int, frac) = p.split_once('.').unwrap_or((&p, ""));
        if int.is_empty() || frac.len() > 2 {
            return Err(bad());
        }
        let int: u32 = int.parse().map_err(|_| bad())?;
        let frac_val: u32 = if frac.is_empty() {
            0
        } else {
            format!("{frac:0<2}").parse().map_err(|_| bad())?
        };
        let num = int
            .checked_mul(100)
            .and_then(|n| n.checked_add(frac_val))
            .ok_or_else(bad)?;
        Ratio::new(num, 100 * scale)
    };
    if r.den == 0 || r.num < r.den || u64::from(r.num) > 5 * u64::from(r.den) {
        return Err(bad());
    }
    Ok(r.reduced())
}

fn parse_count(field: &'static str, input: &str, key: &'static str) -> Result<u32, FieldError> {
    let s = crate::roster::normalize(input);
    s.trim()
        .parse::<u32>()
        .map_err(|_| FieldError::new(field, key).arg("value", input.trim()))
}

/// Reads the form into a version's numbers and its note; every refusal at its field, all at
/// once. The ranges of [`AssistanceRules::check`] apply.
pub fn parse_rules(input: &RulesInput) -> Result<(AssistanceRules, Option<String>), FieldErrors> {
    let get = |k: &str| input.get(k).map(String::as_str).unwrap_or("").trim();
    let mut e = FieldErrors::default();
    let mut r = AssistanceRules::DEFAULT;
    let money = |field: &'static str, key: &'static str, e: &mut FieldErrors| -> i64 {
        match parse_yuan(field, get(field)) {
            Ok(f) => f,
            Err(err) => {
                let err = if err.key == t::INCOME_NEGATIVE {
                    FieldError::new(field, key)
                } else {
                    err
                };
                e.push(err);
                0
            }
        }
    };
    r.low_income_fen = money("low_income", t::RULE_STANDARD_INVALID, &mut e);
    if r.low_income_fen == 0 && !e.0.iter().any(|x| x.field == "low_income") {
        e.push(FieldError::new("low_income", t::RULE_STANDARD_INVALID));
    }
    r.grant_cap_deep_fen = money("grant_cap_deep", t::RULE_CAP_INVALID, &mut e);
    r.grant_cap_relative_fen = money("grant_cap_relative", t::RULE_CAP_INVALID, &mut e);
    r.visits.year_cap_fen = money("visit_year_cap", t::RULE_CAP_INVALID, &mut e);
    match parse_multiple(get("relative_multiple")) {
        Ok(m) => r.relative_multiple = m,
        Err(err) => e.push(err),
    }
    match parse_count(
        "review_months",
        get("review_months"),
        t::RULE_MONTHS_INVALID,
    ) {
        Ok(n) if (1..=36).contains(&n) => r.review_months = n,
        Ok(_) => e.push(FieldError::new("review_months", t::RULE_MONTHS_INVALID)),
        Err(err) => e.push(err),
    }
    match parse_count(
        "visit_due_days",
        get("visit_due_days"),
        t::RULE_DAYS_INVALID,
    ) {
        Ok(n) if (1..=365).contains(&n) => r.visits.due_days = n,
        _ => e.push(FieldError::new("visit_due_days", t::RULE_DAYS_INVALID)),
    }
    for ty in VisitType::all() {
        let (keep, cap, trigger) = visit_fields(*ty);
        let rule = if get(keep).is_empty() {
            None
        } else {
            let fen = match parse_yuan(cap, get(cap)) {
                Ok(f) => f,
                Err(_) => {
                    e.push(FieldError::new(cap, t::RULE_CAP_INVALID));
                    0
                }
            };
            match VisitTrigger::from_code(get(trigger)) {
                Some(tr) => Some(VisitRule {
                    cap_fen: fen,
                    trigger: tr,
                }),
                None => {
                    e.push(FieldError::new(trigger, t::RULE_TRIGGER_INVALID));
                    None
                }
            }
        };
        match ty {
            VisitType::Hospitalisation => r.visits.hospitalisation = rule,
            VisitType::Bereavement => r.visits.bereavement = rule,
            VisitType::Marriage => r.visits.marriage = rule,
            VisitType::Childbirth => r.visits.childbirth = rule,
            VisitType::Retirement => r.visits.retirement = rule,
            VisitType::Hardship => r.visits.hardship = rule,
        }
    }
    let note = get("note");
    if e.is_empty() {
        Ok((r, (!note.is_empty()).then(|| note.to_string())))
    } else {
        Err(e)
    }
}

impl AssistanceRules {
    /// A unit's own version may be stricter than the version in force above it, never
    /// laxer: no cap (grants by level, a visit type's, the year's condolence money) above
    /// the one above, and no visit type the unit above does not keep. Each refusal names
    /// the number above.
    pub fn not_laxer_than(&self, above: &AssistanceRules) -> Result<(), FieldErrors> {
        let mut e = FieldErrors::default();
        let mut cap = |field: &'static str, mine: i64, theirs: i64| {
            if mine > theirs {
                e.push(FieldError::new(field, t::RULE_LAXER).arg("above", yuan(theirs)));
            }
        };
        cap(
            "grant_cap_deep",
            self.grant_cap_deep_fen,
            above.grant_cap_deep_fen,
        );
        cap(
            "grant_cap_relative",
            self.grant_cap_relative_fen,
            above.grant_cap_relative_fen,
        );
        cap(
            "visit_year_cap",
            self.visits.year_cap_fen,
            above.visits.year_cap_fen,
        );
        for ty in VisitType::all() {
            if let Some(mine) = self.visits.rule(*ty) {
                let (_, f, _) = visit_fields(*ty);
                match above.visits.rule(*ty) {
                    Some(theirs) if mine.cap_fen > theirs.cap_fen => {
                        e.push(FieldError::new(f, t::RULE_LAXER).arg("above", yuan(theirs.cap_fen)))
                    }
                    Some(_) => {}
                    None => e.push(FieldError::new(f, t::RULE_LAXER).arg("above", yuan(0))),
                }
            }
        }
        if e.is_empty() { Ok(()) } else { Err(e) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn household(size: u32, incomes: &[i64]) -> Household {
        Household {
            size,
            people: incomes
                .iter()
                .map(|i| Person {
                    relation: Relation::Member,
                    age: 40,
                    income_fen: *i,
                    status: PersonStatus::Working,
                })
                .collect(),
            causes: vec![Cause::Illness],
            note: String::new(),
        }
    }

    #[test]
    fn below_the_standard_per_person_is_deep_hardship() {
        let r = AssistanceRules::DEFAULT;
        // Three people, ¥2,999.99 in all: ¥999.99 each, below ¥1,000.
        assert_eq!(
            income_test(&household(3, &[299_999]), &r),
            Verdict::Level(HardshipLevel::Deep)
        );
    }

    #[test]
    fn exactly_at_the_standard_is_not_below_it() {
        let r = AssistanceRules::DEFAULT;
        // ¥3,000 for three is exactly 1×: relative, not deep.
        assert_eq!(
            income_test(&household(3, &[300_000]), &r),
            Verdict::Level(HardshipLevel::Relative)
        );
        // ¥4,499.99 for three is just below 1.5×: relative; ¥4,500 is at it: not eligible.
        assert_eq!(
            income_test(&household(3, &[449_999]), &r),
            Verdict::Level(HardshipLevel::Relative)
        );
        assert_eq!(
            income_test(&household(3, &[450_000]), &r),
            Verdict::NotEligible
        );
    }

    #[test]
    fn the_test_counts_the_whole_household_not_only_the_listed_earners() {
        let r = AssistanceRules::DEFAULT;
        // One earner of ¥3,500 and four people: ¥875 each → deep.
        assert_eq!(
            income_test(&household(4, &[350_000]), &r),
            Verdict::Level(HardshipLevel::Deep)
        );
        assert_eq!(
            income_test(&household(1, &[350_000]), &r),
            Verdict::NotEligible
        );
    }

    #[test]
    fn a_missing_household_size_or_a_negative_income_is_refused_at_its_field() {
        let mut f = HouseholdInput {
            size: String::new(),
            rows: vec![("本人".into(), "45".into(), "-100".into(), "患病".into())],
            causes: vec!["illness".into()],
            note: String::new(),
        };
        let e = f.parse().unwrap_err();
        assert_eq!(
            e.get("household_size").unwrap().key,
            t::HOUSEHOLD_SIZE_REQUIRED
        );
        assert_eq!(e.get("income0").unwrap().key, t::INCOME_NEGATIVE);
        f.size = "0".into();
        f.rows[0].2 = "1200".into();
        assert_eq!(
            f.parse().unwrap_err().get("household_size").unwrap().key,
            t::HOUSEHOLD_SIZE_RANGE
        );
        f.size = "3".into();
        let h = f.parse().unwrap();
        assert_eq!((h.size, h.total_fen()), (3, 120_000));
        assert_eq!(h.people[0].relation, Relation::Member);
        assert_eq!(h.people[0].status, PersonStatus::Illness);
    }

    #[test]
    fn a_household_smaller_than_the_people_listed_is_refused() {
        let f = HouseholdInput {
            size: "1".into(),
            rows: vec![
                ("member".into(), "45".into(), "0".into(), "illness".into()),
                ("child".into(), "12".into(), "".into(), "student".into()),
            ],
            causes: vec!["illness".into()],
            note: String::new(),
        };
        let e = f.parse().unwrap_err();
        assert_eq!(
            e.get("household_size").unwrap().key,
            t::HOUSEHOLD_SIZE_BELOW_LISTED
        );
    }

    #[test]
    fn a_household_needs_a_person_and_a_cause() {
        let f = HouseholdInput {
            size: "2".into(),
            rows: vec![],
            causes: vec![],
            note: String::new(),
        };
        let e = f.parse().unwrap_err();
        assert_eq!(e.get("relation0").unwrap().key, t::HOUSEHOLD_EMPTY);
        assert_eq!(e.get("causes").unwrap().key, t::CAUSE_REQUIRED);
    }

    #[test]
    fn amounts_read_as_typed_in_fen() {
        assert_eq!(parse_yuan("x", "1,200.5").unwrap(), 120_050);
        assert_eq!(parse_yuan("x", "￥１２００").unwrap(), 120_000);
        assert_eq!(parse_yuan("x", "").unwrap(), 0);
        assert_eq!(parse_yuan("x", "-5").unwrap_err().key, t::INCOME_NEGATIVE);
        assert_eq!(parse_yuan("x", "1.234").unwrap_err().key, t::INCOME_INVALID);
        assert_eq!(yuan(120_050), "1200.50");
    }

    #[test]
    fn the_review_falls_due_after_the_rule_sets_months() {
        let r = AssistanceRules::DEFAULT;
        let d = NaiveDate::from_ymd_opt(2024, 2, 29).unwrap();
        assert_eq!(
            r.review_due(d),
            NaiveDate::from_ymd_opt(2025, 2, 28).unwrap()
        );
    }

    #[test]
    fn round_birthdays_are_seventy_eighty_ninety_and_every_one_above() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        let (from, to) = (d(2026, 10, 1), d(2026, 10, 31));
        assert_eq!(
            milestone_birthday(d(1956, 10, 29), from, to),
            Some((d(2026, 10, 29), 70))
        );
        assert_eq!(
            milestone_birthday(d(1946, 10, 1), from, to),
            Some((d(2026, 10, 1), 80))
        );
        assert_eq!(
            milestone_birthday(d(1936, 10, 31), from, to),
            Some((d(2026, 10, 31), 90))
        );
        assert_eq!(
            milestone_birthday(d(1933, 10, 5), from, to),
            Some((d(2026, 10, 5), 93))
        );
        assert_eq!(milestone_birthday(d(1957, 10, 5), from, to), None, "69");
        assert_eq!(milestone_birthday(d(1955, 10, 5), from, to), None, "71");
        assert_eq!(
            milestone_birthday(d(1956, 11, 1), from, to),
            None,
            "outside the range"
        );
        // 29 February in a common year: the 28th.
        assert_eq!(
            milestone_birthday(d(1956, 2, 29), d(2026, 2, 1), d(2026, 2, 28)),
            Some((d(2026, 2, 28), 70))
        );
    }

    #[test]
    fn a_visit_is_refused_above_its_types_cap_above_the_years_and_when_its_type_is_not_kept() {
        let mut v = VisitRules::DEFAULT;
        assert!(
            v.check_amount(VisitType::Hospitalisation, 50_000, 0, 1)
                .is_ok()
        );
        let e = v
            .check_amount(VisitType::Hospitalisation, 50_001, 0, 3)
            .unwrap_err();
        assert_eq!((e.field, e.key), ("amount", t::VISIT_ABOVE_CAP));
        assert!(e.args.iter().any(|(k, val)| *k == "version" && val == "3"));
        assert!(e.args.iter().any(|(k, val)| *k == "cap" && val == "500.00"));
        let e = v
            .check_amount(VisitType::Hardship, 100_000, 150_000, 1)
            .unwrap_err();
        assert_eq!(e.key, t::VISIT_ABOVE_YEAR_CAP);
        assert!(
            v.check_amount(VisitType::Hardship, 50_000, 150_000, 1)
                .is_ok(),
            "exactly at the year's cap"
        );
        v.marriage = None;
        let e = v.check_amount(VisitType::Marriage, 0, 0, 1).unwrap_err();
        assert_eq!((e.field, e.key), ("visit_type", t::VISIT_TYPE_NOT_IN_RULES));
        assert_eq!(
            v.types_for(VisitTrigger::Retired),
            vec![VisitType::Retirement]
        );
    }

    #[test]
    fn a_visit_form_names_every_problem_at_its_field() {
        let today = NaiveDate::from_ymd_opt(2026, 10, 1).unwrap();
        let bad = VisitInput {
            member: " ".into(),
            visit_type: "picnic".into(),
            visited_on: "2026-10-02".into(),
            visitors: "".into(),
            amount: "-5".into(),
            note: String::new(),
        };
        let e = bad.parse(today).unwrap_err();
        for f in ["member", "visit_type", "visited_on", "visitors", "amount"] {
            assert!(e.get(f).is_some(), "{f}");
        }
        let ok = VisitInput {
            member: "王老师".into(),
            visit_type: "住院".into(),
            visited_on: "2026年9月30日".into(),
            visitors: "张主席、李委员".into(),
            amount: "500".into(),
            note: "胆囊手术".into(),
        };
        let d = ok.parse(today).unwrap();
        assert_eq!(d.visit_type, VisitType::Hospitalisation);
        assert_eq!(d.amount_fen, 50_000);
        assert_eq!(d.visited_on, NaiveDate::from_ymd_opt(2026, 9, 30).unwrap());
    }

    #[test]
    fn stored_rule_sets_without_visits_read_the_default_visit_rules() {
        let old =
            r#"{"low_income_fen":90000,"relative_multiple":{"num":3,"den":2},"review_months":12}"#;
        let r: AssistanceRules = serde_json::from_str(old).unwrap();
        assert_eq!(r.visits, VisitRules::DEFAULT);
    }

    #[test]
    fn every_number_is_local_and_checked() {
        let r = AssistanceRules::DEFAULT;
        assert_eq!(r.source(), RuleSource::Local);
        assert!(r.check().is_ok());
        let bad = AssistanceRules {
            low_income_fen: 0,
            relative_multiple: Ratio::new(1, 2),
            review_months: 0,
            ..AssistanceRules::DEFAULT
        };
        assert_eq!(bad.check().unwrap_err().0.len(), 3);
        assert_eq!(r.relative_limit_fen(), 150_000);
    }

    #[test]
    fn the_rules_form_reads_back_what_it_shows_and_full_width_digits() {
        let (r, note) = parse_rules(&rules_input(&AssistanceRules::DEFAULT)).unwrap();
        assert_eq!(r, AssistanceRules::DEFAULT);
        assert_eq!(note, None);
        let mut m = rules_input(&AssistanceRules::DEFAULT);
        m.insert("low_income".into(), "１，０５０元".into());
        m.insert("relative_multiple".into(), "１.８".into());
        m.insert("visit_marriage_keep".into(), String::new());
        m.insert("note".into(), " 2027 年标准 ".into());
        let (r, note) = parse_rules(&m).unwrap();
        assert_eq!(r.low_income_fen, 105_000);
        assert_eq!(r.relative_multiple, Ratio::new(9, 5));
        assert_eq!(r.visits.marriage, None);
        assert_eq!(note.as_deref(), Some("2027 年标准"));
        assert_eq!(multiple_text(Ratio::new(3, 2)), "1.5");
        assert_eq!(multiple_text(Ratio::new(4, 3)), "4/3");
        assert_eq!(parse_multiple("150%").unwrap(), Ratio::new(3, 2));
        assert_eq!(parse_multiple("4/3").unwrap(), Ratio::new(4, 3));
    }

    #[test]
    fn the_rules_form_refuses_every_bad_field_at_once() {
        let mut m = rules_input(&AssistanceRules::DEFAULT);
        m.insert("low_income".into(), String::new());
        m.insert("relative_multiple".into(), "0.8".into());
        m.insert("review_months".into(), "40".into());
        m.insert("grant_cap_deep".into(), "-5".into());
        m.insert("visit_due_days".into(), "三十".into());
        m.insert("visit_hospitalisation_cap".into(), "abc".into());
        m.insert("visit_bereavement_trigger".into(), "moon".into());
        let e = parse_rules(&m).unwrap_err();
        let fields: Vec<_> = e.0.iter().map(|x| x.field).collect();
        assert_eq!(
            fields,
            [
                "low_income",
                "grant_cap_deep",
                "relative_multiple",
                "review_months",
                "visit_due_days",
                "visit_hospitalisation_cap",
                "visit_bereavement_trigger"
            ]
        );
        assert!(e.0.iter().all(|x| text::ALL.contains(&x.key)));
    }

    #[test]
    fn a_lower_units_version_may_be_stricter_never_laxer() {
        let above = AssistanceRules::DEFAULT;
        let stricter = AssistanceRules {
            grant_cap_deep_fen: 300_000,
            ..above
        };
        assert!(stricter.not_laxer_than(&above).is_ok());
        let mut laxer = AssistanceRules {
            grant_cap_relative_fen: 250_000,
            ..above
        };
        laxer.visits.hospitalisation = Some(VisitRule {
            cap_fen: 80_000,
            trigger: VisitTrigger::Report,
        });
        let e = laxer.not_laxer_than(&above).unwrap_err();
        assert_eq!(e.0.len(), 2);
        assert_eq!(e.0[0].field, "grant_cap_relative");
        assert_eq!(e.0[0].key, text::RULE_LAXER);
        assert_eq!(e.0[1].field, "visit_hospitalisation_cap");
        // A type the unit above does not keep cannot be added below it.
        let mut narrow = above;
        narrow.visits.marriage = None;
        assert!(above.not_laxer_than(&narrow).is_err());
    }
}
