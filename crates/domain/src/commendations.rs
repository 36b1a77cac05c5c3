//! Commendations (评选表彰) as the domain sees them: the coded award kinds, the states of a
//! nomination and the outcomes of an objection; the award form parsed with every error at
//! its field; the rule set of the public notice (公示: its days, and how many objections one
//! address may lodge in an hour); and the decisions of the workflow — a nomination within
//! the school's quota and before the deadline, an award only after the notice period has
//! ended with no objection pending or upheld, and within the award's total quota. A refusal
//! on a quota names the numbers (used and allowed).
//!
//! Every number of the rule set is local (本地规定): no statute fixes the days of a union's
//! public notice, so the built-in version is marked local and a union stores its own
//! through `store::rule_sets` (area `commendations`). Every notice and award records the
//! label of the version that decided it.
//!
//! This module does no IO and reads no clock (today is a parameter).

use crate::error::{FieldError, FieldErrors};
use crate::kit::coded;
use crate::org::Coded;
use chrono::{Days, NaiveDate};
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
        NAME_REQUIRED = "commendations-name-required",
        DATE_INVALID = "commendations-date-invalid",
        QUOTA_INVALID = "commendations-quota-invalid",
        QUOTA_ORDER = "commendations-quota-order",
        NOMINEE_REQUIRED = "commendations-nominee-required",
        DEEDS_REQUIRED = "commendations-deeds-required",
        SCHOOL_QUOTA = "commendations-school-quota",
        TOTAL_QUOTA = "commendations-total-quota",
        CLOSED = "commendations-closed",
        NOT_A_SCHOOL = "commendations-not-a-school",
        MEMBER_NOT_IN_SCHOOL = "commendations-member-not-in-school",
        WRONG_STATUS = "commendations-wrong-status",
        NOTICE_RUNNING = "commendations-notice-running",
        OBJECTION_PENDING = "commendations-objection-pending",
        OBJECTION_UPHELD = "commendations-objection-upheld",
        OBJECTION_REQUIRED = "commendations-objection-required",
        OBJECTION_CLOSED = "commendations-objection-closed",
        OBJECTION_LIMIT = "commendations-objection-limit",
        OUTCOME_REQUIRED = "commendations-outcome-required",
        NOTE_REQUIRED = "commendations-note-required",
        REGISTER_YEAR_INVALID = "commendations-register-year-invalid",
        RULE_NUMBER = "commendations-rule-number",
        RULE_LAXER = "commendations-rule-laxer",
        QUOTA_RULE = "commendations-quota-rule",
    }
}

use text as t;

crate::kit::id_types!(AwardId, NominationId, ObjectionId);

coded!(
    /// The kind of honour.
    AwardKind, "award-kind", {
    AdvancedIndividual = "advanced_individual" ["先进个人"],
    AdvancedCollective = "advanced_collective" ["先进集体"],
    OutstandingCadre = "outstanding_cadre" ["优秀工会干部"],
    TopTen = "top_ten" ["十佳", "十佳维权之星"],
    WomenPost = "women_post" ["巾帼示范岗"],
    TeacherEthics = "teacher_ethics" ["师德标兵"],
    StaffHome = "staff_home" ["先进职工之家", "先进教工之家"],
    MayDayMedal = "may_day_medal" ["五一劳动奖章"],
    PioneerPost = "pioneer_post" ["工人先锋号"],
});

coded!(
    /// Where a nomination stands.
    NominationStatus, "nomination-status", {
    Nominated = "nominated" ["已推荐"],
    Notice = "notice" ["公示中"],
    Rejected = "rejected" ["未通过"],
    Awarded = "awarded" ["已授予"],
});

coded!(
    /// What became of an objection.
    ObjectionOutcome, "objection-outcome", {
    Pending = "pending" ["待处理"],
    Upheld = "upheld" ["成立"],
    Dismissed = "dismissed" ["不成立"],
});

coded!(
    /// The level of an honour: the kind of the unit that gave it (a district union's award
    /// is a district honour, a city prize recorded back on an entry a city one).
    HonourLevel, "honour-level", {
    Province = "province" ["省级"],
    City = "city" ["市级"],
    District = "district" ["区级"],
    County = "county" ["县级"],
    Area = "area" ["片级"],
    School = "school" ["校级"],
});

/// A search of the honours register (荣誉档案) as typed: words matched against the
/// holder's name and the honour's name only (never against a personal number, so a search
/// cannot confirm a masked value), the year, the level and the unit.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RegisterFilter {
    pub words: String,
    pub year: Option<i32>,
    pub level: Option<HonourLevel>,
    /// A union unit: the honours of the schools under it (a school: its own).
    pub unit: Option<i64>,
}

/// Parses the register's search; an unreadable year or level is an error at its field.
pub fn parse_register_filter(
    words: &str,
    year: &str,
    level: &str,
    unit: &str,
) -> Result<RegisterFilter, FieldErrors> {
    let mut e = FieldErrors::default();
    let year = match year.trim() {
        "" => None,
        y => match y.parse::<i32>().ok().filter(|y| (1949..=2200).contains(y)) {
            Some(y) => Some(y),
            None => {
                e.push(FieldError::new("year", t::REGISTER_YEAR_INVALID));
                None
            }
        },
    };
    let level = match level.trim() {
        "" => None,
        l => HonourLevel::from_code(l),
    };
    let words: String = words.trim().chars().take(60).collect();
    let unit = unit.trim().parse::<i64>().ok();
    if e.is_empty() {
        Ok(RegisterFilter {
            words,
            year,
            level,
            unit,
        })
    } else {
        Err(e)
    }
}

/// The rule set of commendations (every number local).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommendationRules {
    /// Days of the public notice (公示), the first day counted: a notice from 1 May for 5
    /// days runs to 5 May, and the award may come on 6 May.
    pub notice_days: u32,
    /// Objections one address may lodge in an hour before it must wait.
    pub objections_per_hour: u32,
    /// The most nominations per school an award set under these rules may allow (`None`:
    /// as each award says). Versions stored before this number existed read as `None`.
    #[serde(default)]
    pub max_per_school: Option<u32>,
}

impl CommendationRules {
    /// The built-in version: a notice of 5 days (本地规定: many unions' rules say "不少于5个
    /// 工作日" or 7 days; no statute fixes it), 3 objections an hour per address (local).
    pub const LOCAL: CommendationRules = CommendationRules {
        notice_days: 5,
        objections_per_hour: 3,
        max_per_school: None,
    };
    /// The label a decision records when no stored version is in force.
    pub const BUILTIN_LABEL: &'static str = "commendations-local-1";

    /// The last day of a notice starting on `from`.
    pub fn notice_until(&self, from: NaiveDate) -> NaiveDate {
        from.checked_add_days(Days::new(u64::from(self.notice_days.max(1)) - 1))
            .unwrap_or(from)
    }

    /// A unit's version may be stricter than the one in force above it, never laxer: a
    /// notice at least as long, at least as many objections an hour heard from one address,
    /// and a cap on nominations per school no higher (none only where there is none above).
    /// Each refusal names the number above.
    pub fn not_laxer_than(&self, above: &CommendationRules) -> Result<(), FieldErrors> {
        let mut e = FieldErrors::default();
        if self.notice_days < above.notice_days {
            e.push(FieldError::new("notice_days", t::RULE_LAXER).arg("above", above.notice_days));
        }
        if self.objections_per_hour < above.objections_per_hour {
            e.push(
                FieldError::new("objections_per_hour", t::RULE_LAXER)
                    .arg("above", above.objections_per_hour),
            );
        }
        if let Some(cap) = above.max_per_school
            && self.max_per_school.is_none_or(|m| m > cap)
        {
            e.push(FieldError::new("max_per_school", t::RULE_LAXER).arg("above", cap));
        }
        if e.is_empty() { Ok(()) } else { Err(e) }
    }
}

/// The rule-set form as typed (every field text, kept when refused).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct RulesInput {
    pub notice_days: String,
    pub objections_per_hour: String,
    /// Empty: no cap.
    pub max_per_school: String,
    pub note: String,
}

impl RulesInput {
    /// The form filled with a version's numbers.
    pub fn of(r: &CommendationRules) -> RulesInput {
        RulesInput {
            notice_days: r.notice_days.to_string(),
            objections_per_hour: r.objections_per_hour.to_string(),
            max_per_school: r.max_per_school.map(|m| m.to_string()).unwrap_or_default(),
            note: String::new(),
        }
    }

    /// The numbers and the note; every unreadable number at its field with its range.
    pub fn parse(&self) -> Result<(CommendationRules, Option<String>), FieldErrors> {
        let mut e = FieldErrors::default();
        let mut num = |field: &'static str, s: &str, min: u32, max: u32| -> Option<u32> {
            match crate::roster::normalize(s).trim().parse::<u32>() {
                Ok(n) if (min..=max).contains(&n) => Some(n),
                _ => {
                    e.push(
                        FieldError::new(field, t::RULE_NUMBER)
                            .arg("min", min)
                            .arg("max", max),
                    );
                    None
                }
            }
        };
        let days = num("notice_days", &self.notice_days, 1, 60);
        let per_hour = num("objections_per_hour", &self.objections_per_hour, 1, 100);
        let cap = if self.max_per_school.trim().is_empty() {
            Some(None)
        } else {
            num("max_per_school", &self.max_per_school, 1, 10_000).map(Some)
        };
        let note: String = self.note.trim().chars().take(200).collect();
        match (days, per_hour, cap) {
            (Some(notice_days), Some(objections_per_hour), Some(max_per_school))
                if e.is_empty() =>
            {
                Ok((
                    CommendationRules {
                        notice_days,
                        objections_per_hour,
                        max_per_school,
                    },
                    (!note.is_empty()).then_some(note),
                ))
            }
            _ => Err(e),
        }
    }
}

/// An award as typed by its organizer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AwardDraft {
    pub name: String,
    pub kind: AwardKind,
    pub year: i32,
    pub quota_per_school: u32,
    pub quota_total: u32,
    pub nominate_until: NaiveDate,
}

/// The fields of the award form, as typed.
#[derive(Clone, Debug, Default)]
pub struct AwardForm {
    pub name: String,
    pub kind: String,
    pub quota_per_school: String,
    pub quota_total: String,
    pub nominate_until: String,
}

fn quota(field: &'static str, s: &str) -> Result<u32, FieldError> {
    crate::roster::normalize(s)
        .trim()
        .parse::<u32>()
        .ok()
        .filter(|n| (1..=10_000).contains(n))
        .ok_or_else(|| FieldError::new(field, t::QUOTA_INVALID))
}

/// Parses the award form; every error at its field.
pub fn parse_award(f: &AwardForm) -> Result<AwardDraft, FieldErrors> {
    let mut e = FieldErrors::default();
    let name = e.take(
        crate::org::required_text("name", &f.name, 120)
            .map_err(|_| FieldError::new("name", t::NAME_REQUIRED)),
    );
    let kind = AwardKind::from_code(f.kind.trim());
    if kind.is_none() {
        e.push(FieldError::new("kind", crate::text::REQUIRED));
    }
    let per = e.take(quota("quota_per_school", &f.quota_per_school));
    let total = e.take(quota("quota_total", &f.quota_total));
    if let (Some(p), Some(t)) = (per, total)
        && p > t
    {
        e.push(FieldError::new("quota_per_school", t::QUOTA_ORDER).arg("total", t));
    }
    let until = e.take(
        NaiveDate::parse_from_str(f.nominate_until.trim(), "%Y-%m-%d")
            .map_err(|_| FieldError::new("nominate_until", t::DATE_INVALID)),
    );
    match (name, kind, per, total, until) {
        (Some(name), Some(kind), Some(quota_per_school), Some(quota_total), Some(until))
            if e.is_empty() =>
        {
            Ok(AwardDraft {
                name,
                kind,
                year: chrono::Datelike::year(&until),
                quota_per_school,
                quota_total,
                nominate_until: until,
            })
        }
        _ => Err(e),
    }
}

/// A nomination as typed by the school.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NominationDraft {
    pub nominee: String,
    pub deeds: String,
}

/// Parses the nominee and the deeds (事迹, up to 4,000 characters).
pub fn parse_nomination(nominee: &str, deeds: &str) -> Result<NominationDraft, FieldErrors> {
    let mut e = FieldErrors::default();
    let nominee = e.take(
        crate::org::required_text("nominee", nominee, 100)
            .map_err(|_| FieldError::new("nominee", t::NOMINEE_REQUIRED)),
    );
    let deeds = e.take(
        crate::org::required_text("deeds", deeds, 4000)
            .map_err(|_| FieldError::new("deeds", t::DEEDS_REQUIRED)),
    );
    match (nominee, deeds) {
        (Some(nominee), Some(deeds)) if e.is_empty() => Ok(NominationDraft { nominee, deeds }),
        _ => Err(e),
    }
}

/// A school may nominate while the deadline has not passed and its quota has room; the
/// refusal names the numbers.
pub fn check_nomination(
    today: NaiveDate,
    until: NaiveDate,
    school_has: i64,
    quota_per_school: i64,
) -> Result<(), FieldError> {
    if today > until {
        return Err(FieldError::new("nominee", t::CLOSED).arg("until", until));
    }
    if school_has >= quota_per_school {
        return Err(FieldError::new("nominee", t::SCHOOL_QUOTA)
            .arg("used", school_has)
            .arg("quota", quota_per_school));
    }
    Ok(())
}

/// What an award decision knows of a nomination on notice.
#[derive(Clone, Copy, Debug)]
pub struct AwardCheck {
    pub status: NominationStatus,
    pub notice_until: Option<NaiveDate>,
    pub pending_objections: i64,
    pub upheld_objections: i64,
    /// Nominations of the award already awarded.
    pub awarded: i64,
    pub quota_total: i64,
}

/// An award comes only after the notice period has ended, with no objection pending or
/// upheld, and within the award's total quota (the numbers named).
pub fn check_award(c: &AwardCheck, today: NaiveDate) -> Result<(), FieldError> {
    let until = match (c.status, c.notice_until) {
        (NominationStatus::Notice, Some(u)) => u,
        _ => return Err(FieldError::new("award", t::WRONG_STATUS)),
    };
    if today <= until {
        return Err(FieldError::new("award", t::NOTICE_RUNNING).arg("until", until));
    }
    if c.pending_objections > 0 {
        return Err(
            FieldError::new("award", t::OBJECTION_PENDING).arg("count", c.pending_objections)
        );
    }
    if c.upheld_objections > 0 {
        return Err(FieldError::new("award", t::OBJECTION_UPHELD));
    }
    if c.awarded >= c.quota_total {
        return Err(FieldError::new("award", t::TOTAL_QUOTA)
            .arg("used", c.awarded)
            .arg("quota", c.quota_total));
    }
    Ok(())
}

/// Whether an objection may be lodged today: the nomination is on notice and its period
/// has not ended.
pub fn notice_open(status: NominationStatus, until: Option<NaiveDate>, today: NaiveDate) -> bool {
    status == NominationStatus::Notice && until.is_some_and(|u| today <= u)
}

/// Parses an objection: its text (required, up to 2,000 characters) and a contact (optional,
/// up to 100: anonymous allowed).
pub fn parse_objection(body: &str, contact: &str) -> Result<(String, Option<String>), FieldErrors> {
    let mut e = FieldErrors::default();
    let body = e.take(
        crate::org::required_text("body", body, 2000)
            .map_err(|_| FieldError::new("body", t::OBJECTION_REQUIRED)),
    );
    let contact = e
        .take(crate::org::optional_text("contact", contact, 100))
        .flatten();
    match body {
        Some(b) if e.is_empty() => Ok((b, contact)),
        _ => Err(e),
    }
}

/// The domain declaration of the commendations area.
pub static AREA: crate::area::Area = crate::area::Area {
    name: "commendations",
    enums: &[
        crate::area::CodedEnum::of::<AwardKind>(),
        crate::area::CodedEnum::of::<NominationStatus>(),
        crate::area::CodedEnum::of::<ObjectionOutcome>(),
        crate::area::CodedEnum::of::<HonourLevel>(),
    ],
};

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn commendations_a_local_rule_set_may_be_stricter_never_laxer() {
        let above = CommendationRules {
            notice_days: 7,
            objections_per_hour: 3,
            max_per_school: Some(2),
        };
        let stricter = CommendationRules {
            notice_days: 10,
            objections_per_hour: 5,
            max_per_school: Some(1),
        };
        assert!(stricter.not_laxer_than(&above).is_ok());
        let laxer = CommendationRules {
            notice_days: 5,
            objections_per_hour: 3,
            max_per_school: None,
        };
        let e = laxer.not_laxer_than(&above).unwrap_err();
        let fields: Vec<_> = e.0.iter().map(|x| x.field).collect();
        assert_eq!(fields, vec!["notice_days", "max_per_school"]);
        let typed = RulesInput {
            notice_days: "０".into(),
            objections_per_hour: "3".into(),
            max_per_school: String::new(),
            note: String::new(),
        };
        assert_eq!(typed.parse().unwrap_err().0[0].field, "notice_days");
    }

    #[test]
    fn commendations_a_register_search_with_an_unreadable_year_is_refused_at_the_year() {
        let e = parse_register_filter("王", "二〇二六", "", "").unwrap_err();
        assert_eq!(e.0[0].field, "year");
        let f = parse_register_filter(" 王老师 ", "2026", "city", "7").unwrap();
        assert_eq!(f.words, "王老师");
        assert_eq!(
            (f.year, f.level, f.unit),
            (Some(2026), Some(HonourLevel::City), Some(7))
        );
    }

    #[test]
    fn commendations_a_notice_of_five_days_ends_on_the_fifth_day() {
        assert_eq!(
            CommendationRules::LOCAL.notice_until(d("2026-05-01")),
            d("2026-05-05")
        );
    }

    #[test]
    fn commendations_a_school_over_its_quota_is_told_the_numbers() {
        assert!(check_nomination(d("2026-04-01"), d("2026-04-10"), 1, 2).is_ok());
        let e = check_nomination(d("2026-04-01"), d("2026-04-10"), 2, 2).unwrap_err();
        assert_eq!(e.key, t::SCHOOL_QUOTA);
        let e = check_nomination(d("2026-04-11"), d("2026-04-10"), 0, 2).unwrap_err();
        assert_eq!(e.key, t::CLOSED);
    }

    #[test]
    fn commendations_no_award_before_the_notice_ends_or_with_an_open_objection() {
        let mut c = AwardCheck {
            status: NominationStatus::Notice,
            notice_until: Some(d("2026-05-05")),
            pending_objections: 0,
            upheld_objections: 0,
            awarded: 0,
            quota_total: 1,
        };
        assert_eq!(
            check_award(&c, d("2026-05-05")).unwrap_err().key,
            t::NOTICE_RUNNING
        );
        assert!(check_award(&c, d("2026-05-06")).is_ok());
        c.pending_objections = 1;
        assert_eq!(
            check_award(&c, d("2026-05-06")).unwrap_err().key,
            t::OBJECTION_PENDING
        );
        c.pending_objections = 0;
        c.upheld_objections = 1;
        assert_eq!(
            check_award(&c, d("2026-05-06")).unwrap_err().key,
            t::OBJECTION_UPHELD
        );
        c.upheld_objections = 0;
        c.awarded = 1;
        assert_eq!(
            check_award(&c, d("2026-05-06")).unwrap_err().key,
            t::TOTAL_QUOTA
        );
        c.awarded = 0;
        c.status = NominationStatus::Nominated;
        assert_eq!(
            check_award(&c, d("2026-05-06")).unwrap_err().key,
            t::WRONG_STATUS
        );
    }

    #[test]
    fn commendations_the_award_form_names_each_bad_field() {
        let f = AwardForm {
            name: "十佳维权之星".into(),
            kind: "top_ten".into(),
            quota_per_school: "１".into(),
            quota_total: "10".into(),
            nominate_until: "2026-04-10".into(),
        };
        let a = parse_award(&f).unwrap();
        assert_eq!((a.quota_per_school, a.quota_total, a.year), (1, 10, 2026));
        let e = parse_award(&AwardForm {
            quota_per_school: "11".into(),
            ..f.clone()
        })
        .unwrap_err();
        assert_eq!(e.get("quota_per_school").unwrap().key, t::QUOTA_ORDER);
        let e = parse_award(&AwardForm {
            name: " ".into(),
            kind: "x".into(),
            quota_total: "0".into(),
            nominate_until: "4月".into(),
            ..f
        })
        .unwrap_err();
        assert!(e.get("name").is_some() && e.get("kind").is_some());
        assert!(e.get("quota_total").is_some() && e.get("nominate_until").is_some());
    }

    #[test]
    fn commendations_objections_may_be_anonymous_but_not_empty() {
        assert_eq!(
            parse_objection("事迹不实", " ").unwrap(),
            ("事迹不实".to_string(), None)
        );
        assert!(parse_objection("  ", "13800000000").is_err());
        assert!(notice_open(
            NominationStatus::Notice,
            Some(d("2026-05-05")),
            d("2026-05-05")
        ));
        assert!(!notice_open(
            NominationStatus::Notice,
            Some(d("2026-05-05")),
            d("2026-05-06")
        ));
    }
}
