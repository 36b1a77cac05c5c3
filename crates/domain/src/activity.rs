//! Activities (文体活动) as the domain sees them: an event a union organises for the members
//! of its subtree and an audience within it (everyone, in service, women, youth, retirees),
//! with tags (sports, culture, women's work, youth, retirees), a number of places, a last
//! day of sign-up, a waiting list and check-in by a code.
//!
//! The rule "who is youth" is the union's own (no statute fixes it for these activities):
//! the rule set names its source as local ([`ActivityRules::source`]). This module does no
//! IO and never formats text (errors carry catalogue keys).

use crate::error::{FieldError, FieldErrors};
use crate::kit::coded;
use crate::org::{Coded, Gender, MemberStatus, parse_date, required_text};
use chrono::{Datelike, NaiveDate, NaiveTime};

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
        TIME_INVALID = "activity-time-invalid",
        CAPACITY_INVALID = "activity-capacity-invalid",
        CLOSES_AFTER_START = "activity-closes-after-start",
        AUDIENCE_INVALID = "activity-audience-invalid",
        UNIT_INVALID = "activity-unit-invalid",
        SIGNUP_CLOSED = "activity-signup-closed",
        ALREADY_SIGNED_UP = "activity-already-signed-up",
        NOT_IN_AUDIENCE = "activity-not-in-audience",
        NOT_SIGNED_UP = "activity-not-signed-up",
        STARTED = "activity-started",
        CODE_WRONG = "activity-code-wrong",
        NOT_CONFIRMED = "activity-not-confirmed",
        CHECKIN_NOT_TODAY = "activity-checkin-not-today",
        ALREADY_CHECKED_IN = "activity-already-checked-in",
        MEMBER_UNKNOWN = "activity-member-unknown",
    }
}

use text as t;

crate::kit::id_types!(ActivityId, SignupId);

coded!(
    /// What an activity is about (one or several): 体育, 文化, 女职工, 青年, 退休.
    ActivityTag, "activity-tag", {
    Sports = "sports" ["体育", "文体"],
    Culture = "culture" ["文化", "文艺"],
    Women = "women" ["女职工", "三八"],
    Youth = "youth" ["青年"],
    Retirees = "retirees" ["退休", "离退休"],
});

coded!(
    /// Who of the organising union's members may sign up.
    Audience, "activity-audience", {
    Everyone = "everyone" ["全体会员"],
    InService = "in_service" ["在职会员", "在职"],
    Women = "women" ["女会员", "女职工"],
    Youth = "youth" ["青年会员", "青年"],
    Retirees = "retirees" ["退休会员", "退休"],
});

coded!(
    /// Where a member's sign-up stands.
    SignupStatus, "activity-signup", {
    Confirmed = "confirmed" ["已报名", "报名成功"],
    Waiting = "waiting" ["候补"],
    Cancelled = "cancelled" ["已取消"],
});

/// The longest title and place of an activity, and the most places it may have.
pub const TITLE_MAX: usize = 60;
pub const PLACE_MAX: usize = 60;
pub const CAPACITY_MAX: i64 = 100_000;

/// The activities rule set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ActivityRules {
    pub version: &'static str,
    /// `local` (本地规定): the union's own rule, no statutory source.
    pub source: &'static str,
    /// A member is youth (青年) up to and including this age on the day of the activity.
    pub youth_max_age: u32,
}

/// The rule set in force. Every number is local.
pub const ACTIVITY_RULES: ActivityRules = ActivityRules {
    version: "activity-local-1",
    source: "local",
    youth_max_age: 35,
};

/// What the audience test reads of a member.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Person {
    pub gender: Gender,
    pub birth_date: NaiveDate,
    pub status: MemberStatus,
}

/// Full years of age on `on`.
pub fn age_on(birth: NaiveDate, on: NaiveDate) -> i32 {
    let mut age = on.year() - birth.year();
    if (on.month(), on.day()) < (birth.month(), birth.day()) {
        age -= 1;
    }
    age
}

impl ActivityRules {
    /// Whether a member of the organising union is in the activity's audience on the day it
    /// starts. Members who left or transferred out are never in it.
    pub fn admits(&self, audience: Audience, p: &Person, on: NaiveDate) -> bool {
        let member = matches!(p.status, MemberStatus::Active | MemberStatus::Retired);
        let in_service = p.status == MemberStatus::Active;
        member
            && match audience {
                Audience::Everyone => true,
                Audience::InService => in_service,
                Audience::Women => p.gender == Gender::Female,
                Audience::Youth => {
                    in_service && age_on(p.birth_date, on) <= self.youth_max_age as i32
                }
                Audience::Retirees => p.status == MemberStatus::Retired,
            }
    }
}

/// What a sign-up gave.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignupOutcome {
    /// A place.
    Confirmed,
    /// On the waiting list, at this position (1 = next to be promoted).
    Waiting(i64),
}

/// An activity as typed in the form.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(default)]
pub struct ActivityInput {
    pub unit: String,
    pub title: String,
    pub place: String,
    pub date: String,
    pub time: String,
    pub closes: String,
    pub capacity: String,
    pub audience: String,
    pub tag_sports: String,
    pub tag_culture: String,
    pub tag_women: String,
    pub tag_youth: String,
    pub tag_retirees: String,
}

/// A parsed activity.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActivityDraft {
    pub unit: crate::ids::OrgUnitId,
    pub title: String,
    pub place: String,
    pub date: NaiveDate,
    pub time: NaiveTime,
    pub closes: NaiveDate,
    pub capacity: i64,
    pub audience: Audience,
    pub tags: Vec<ActivityTag>,
}

impl ActivityInput {
    /// The tags ticked.
    pub fn tags(&self) -> Vec<ActivityTag> {
        let ticked = [
            (ActivityTag::Sports, &self.tag_sports),
            (ActivityTag::Culture, &self.tag_culture),
            (ActivityTag::Women, &self.tag_women),
            (ActivityTag::Youth, &self.tag_youth),
            (ActivityTag::Retirees, &self.tag_retirees),
        ];
        ticked
            .into_iter()
            .filter(|(_, v)| !v.trim().is_empty())
            .map(|(t, _)| t)
            .collect()
    }

    /// Every error at its field.
    pub fn parse(&self) -> Result<ActivityDraft, FieldErrors> {
        let mut e = FieldErrors::default();
        let unit = e.take(
            self.unit
                .trim()
                .parse::<i64>()
                .map(crate::ids::OrgUnitId)
                .map_err(|_| FieldError::new("unit", t::UNIT_INVALID)),
        );
        let title = e.take(required_text("title", &self.title, TITLE_MAX));
        let place = e.take(required_text("place", &self.place, PLACE_MAX));
        let date = e.take(parse_date("date", &self.date));
        let time = e.take(
            NaiveTime::parse_from_str(self.time.trim(), "%H:%M")
                .map_err(|_| FieldError::new("time", t::TIME_INVALID)),
        );
        let closes = e.take(parse_date("closes", &self.closes));
        let capacity = e.take(
            self.capacity
                .trim()
                .parse::<i64>()
                .ok()
                .filter(|c| (1..=CAPACITY_MAX).contains(c))
                .ok_or_else(|| {
                    FieldError::new("capacity", t::CAPACITY_INVALID).arg("max", CAPACITY_MAX)
                }),
        );
        let audience = e.take(
            Audience::all()
                .iter()
                .copied()
                .find(|a| {
                    let s = self.audience.trim();
                    a.code() == s || a.aliases().contains(&s)
                })
                .ok_or_else(|| FieldError::new("audience", t::AUDIENCE_INVALID)),
        );
        if let (Some(d), Some(c)) = (date, closes)
            && c > d
        {
            e.push(FieldError::new("closes", t::CLOSES_AFTER_START));
        }
        match (unit, title, place, date, time, closes, capacity, audience) {
            (
                Some(unit),
                Some(title),
                Some(place),
                Some(date),
                Some(time),
                Some(closes),
                Some(capacity),
                Some(audience),
            ) if e.is_empty() => Ok(ActivityDraft {
                unit,
                title,
                place,
                date,
                time,
                closes,
                capacity,
                audience,
                tags: self.tags(),
            }),
            _ => Err(e),
        }
    }
}

/// The area's declaration.
pub static AREA: crate::area::Area = crate::area::Area {
    name: "activity",
    enums: &[
        crate::area::CodedEnum::of::<ActivityTag>(),
        crate::area::CodedEnum::of::<Audience>(),
        crate::area::CodedEnum::of::<SignupStatus>(),
    ],
};

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> ActivityInput {
        ActivityInput {
            unit: "3".into(),
            title: "教职工气排球赛".into(),
            place: "体育馆".into(),
            date: "2026-11-20".into(),
            time: "14:30".into(),
            closes: "2026-11-15".into(),
            capacity: "40".into(),
            audience: "everyone".into(),
            tag_sports: "1".into(),
            ..Default::default()
        }
    }

    #[test]
    fn a_complete_form_parses_with_its_tags() {
        let d = input().parse().unwrap();
        assert_eq!(d.capacity, 40);
        assert_eq!(d.tags, vec![ActivityTag::Sports]);
        assert_eq!(d.time, NaiveTime::from_hms_opt(14, 30, 0).unwrap());
    }

    #[test]
    fn an_empty_form_names_every_field() {
        let e = ActivityInput::default().parse().unwrap_err();
        let fields: Vec<_> = e.0.iter().map(|e| e.field).collect();
        assert_eq!(
            fields,
            [
                "unit", "title", "place", "date", "time", "closes", "capacity", "audience"
            ]
        );
    }

    #[test]
    fn sign_up_closing_after_the_day_and_zero_places_are_refused() {
        let mut i = input();
        i.closes = "2026-11-21".into();
        i.capacity = "0".into();
        let e = i.parse().unwrap_err();
        assert!(e.get("closes").is_some());
        assert!(e.get("capacity").is_some());
    }

    #[test]
    fn the_audience_admits_by_gender_age_and_status() {
        let r = ACTIVITY_RULES;
        let on = NaiveDate::from_ymd_opt(2026, 3, 8).unwrap();
        let young_woman = Person {
            gender: Gender::Female,
            birth_date: NaiveDate::from_ymd_opt(1991, 3, 8).unwrap(),
            status: MemberStatus::Active,
        };
        assert!(r.admits(Audience::Women, &young_woman, on));
        assert!(r.admits(Audience::Youth, &young_woman, on), "35 on the day");
        let older = Person {
            birth_date: NaiveDate::from_ymd_opt(1990, 3, 8).unwrap(),
            ..young_woman
        };
        assert!(!r.admits(Audience::Youth, &older, on), "36 on the day");
        let retired_man = Person {
            gender: Gender::Male,
            birth_date: NaiveDate::from_ymd_opt(1955, 1, 1).unwrap(),
            status: MemberStatus::Retired,
        };
        assert!(!r.admits(Audience::Women, &retired_man, on));
        assert!(!r.admits(Audience::InService, &retired_man, on));
        assert!(r.admits(Audience::Retirees, &retired_man, on));
        assert!(r.admits(Audience::Everyone, &retired_man, on));
        let gone = Person {
            status: MemberStatus::Left,
            ..retired_man
        };
        assert!(!r.admits(Audience::Everyone, &gone, on));
    }
}
