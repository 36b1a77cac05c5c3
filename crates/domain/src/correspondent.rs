//! News from correspondents (通讯员 / 信息员) as the domain sees it: the news item's steps
//! (submitted by a correspondent, approved by the school, published by the district, or
//! rejected), the levels at which a published item is placed (区、市、省、《中国教工》),
//! the points a placement earns under the versioned news rule set, and the submission form.
//!
//! The points per level are the union's own assessment rule, not a statute: no document
//! fixes them, so the rule set is marked local on its page. Every placement stores the
//! version that gave its points. This module does no IO and never
//! formats text (errors carry catalogue keys).

use crate::error::{FieldError, FieldErrors};
use crate::kit::coded;
use crate::org::{Coded, required_text};
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
        NOT_A_CORRESPONDENT = "news-not-a-correspondent",
        ALREADY_CORRESPONDENT = "news-already-correspondent",
        MEMBER_UNKNOWN = "news-member-unknown",
        MEMBER_AMBIGUOUS = "news-member-ambiguous",
        OWN_ITEM = "news-own-item",
        WRONG_STEP = "news-wrong-step",
        NOT_THE_DISTRICT = "news-not-the-district",
        NOT_PUBLISHED = "news-placement-not-published",
        PLACEMENT_TWICE = "news-placement-twice",
        LEVEL_INVALID = "news-level-invalid",
        PHOTO_NOT_IMAGE = "news-photo-not-image",
        PHOTO_TOO_LARGE = "news-photo-too-large",
        PHOTO_TOO_MANY_PIXELS = "news-photo-too-many-pixels",
        PHOTO_TOO_MANY = "news-photo-too-many",
        POINTS_INVALID = "news-rules-points-invalid",
        POINTS_ORDER = "news-rules-points-order",
        RULES_NOTE_TOO_LONG = "news-rules-note-too-long",
    }
}

use text as t;

crate::kit::id_types!(CorrespondentId, NewsItemId, PlacementId);

coded!(
    /// Where a news item stands: submitted by its correspondent, approved by the school,
    /// published by the district (on the public news page), or rejected.
    NewsStatus, "news-status", {
    Submitted = "submitted" ["已提交", "待审"],
    SchoolApproved = "school_approved" ["学校已审"],
    Published = "published" ["已发布"],
    Rejected = "rejected" ["未采用", "退回"],
});

coded!(
    /// Where a published item was carried further (录用): the district's own channel, the
    /// city, the province, or the national education union's journal 《中国教工》.
    PlacementLevel, "placement-level", {
    District = "district" ["区级", "县级"],
    City = "city" ["市级"],
    Province = "province" ["省级"],
    National = "national" ["国家级", "中国教工"],
});

/// The longest title and text of a news item.
pub const TITLE_MAX: usize = 80;
pub const BODY_MAX: usize = 8000;
pub const OUTLET_MAX: usize = 80;

/// The largest photo file a correspondent may upload (a phone's full-size JPEG fits).
pub const PHOTO_MAX_BYTES: usize = 8 * 1024 * 1024;
/// The widest or tallest upload decoded at all: bigger ones are refused before the pixels
/// are allocated (a small file can declare a huge image).
pub const PHOTO_MAX_INPUT_SIDE: u32 = 10_000;
/// The longest side of a stored photo: uploads are scaled down to it and re-encoded.
pub const PHOTO_SIDE: u32 = 1600;
/// Photos per submission.
pub const PHOTO_MAX_COUNT: usize = 4;

/// The news rule set: points a placement earns at each level. Every number is **local**
/// (the district's own assessment scheme; no statute sets them). A union stores its own
/// version (`store::correspondent::rules`); each placement records the version that
/// counted it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewsRules {
    pub district: i64,
    pub city: i64,
    pub province: i64,
    pub national: i64,
}

impl NewsRules {
    pub fn points(&self, level: PlacementLevel) -> i64 {
        match level {
            PlacementLevel::District => self.district,
            PlacementLevel::City => self.city,
            PlacementLevel::Province => self.province,
            PlacementLevel::National => self.national,
        }
    }

    /// The form's values of this version (the field of each level is its code).
    pub fn input(&self) -> NewsRulesInput {
        NewsRulesInput {
            district: self.district.to_string(),
            city: self.city.to_string(),
            province: self.province.to_string(),
            national: self.national.to_string(),
            note: String::new(),
        }
    }
}

/// The built-in rule set (all local), in force until a union stores its own version.
pub const NEWS_RULES: NewsRules = NewsRules {
    district: 1,
    city: 3,
    province: 5,
    national: 10,
};

/// The label a placement records when no union has stored a version.
pub const BUILTIN_NEWS_RULES: &str = "news-local-1";

/// The most points one placement may earn on the form.
pub const POINTS_MAX: i64 = 100;

/// The news rule-set form as typed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct NewsRulesInput {
    pub district: String,
    pub city: String,
    pub province: String,
    pub national: String,
    pub note: String,
}

impl NewsRulesInput {
    /// The typed text of a level's field.
    pub fn of(&self, level: PlacementLevel) -> &str {
        match level {
            PlacementLevel::District => &self.district,
            PlacementLevel::City => &self.city,
            PlacementLevel::Province => &self.province,
            PlacementLevel::National => &self.national,
        }
    }

    /// Parses the form: whole points from 0 to [`POINTS_MAX`] (full-width digits too), a
    /// higher level never earning fewer points than a lower one; errors at their field.
    pub fn parse(&self) -> Result<(NewsRules, Option<String>), FieldErrors> {
        let mut errors = FieldErrors::default();
        let mut pts = [0i64; 4];
        for (i, level) in PlacementLevel::all().iter().enumerate() {
            let field = level.code();
            let t = crate::roster::normalize(self.of(*level));
            match t.trim().parse::<i64>() {
                Ok(p) if (0..=POINTS_MAX).contains(&p) => pts[i] = p,
                _ => errors.push(FieldError::new(field, t::POINTS_INVALID).arg("max", POINTS_MAX)),
            }
        }
        if errors.is_empty() {
            for (i, level) in PlacementLevel::all().iter().enumerate().skip(1) {
                if pts[i] < pts[i - 1] {
                    errors.push(
                        FieldError::new(level.code(), t::POINTS_ORDER).arg("below", pts[i - 1]),
                    );
                }
            }
        }
        let note = self.note.trim();
        if note.chars().count() > 200 {
            errors.push(FieldError::new("note", t::RULES_NOTE_TOO_LONG).arg("max", 200));
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok((
            NewsRules {
                district: pts[0],
                city: pts[1],
                province: pts[2],
                national: pts[3],
            },
            (!note.is_empty()).then(|| note.to_string()),
        ))
    }
}

/// A submission as typed.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(default)]
pub struct NewsInput {
    pub title: String,
    pub body: String,
}

/// A parsed submission.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewsDraft {
    pub title: String,
    pub body: String,
}

impl NewsInput {
    /// Every error at its field.
    pub fn parse(&self) -> Result<NewsDraft, FieldErrors> {
        let mut errors = FieldErrors::default();
        let title = required_text("title", &self.title, TITLE_MAX).map_err(|e| errors.push(e));
        let body = required_text("body", &self.body, BODY_MAX).map_err(|e| errors.push(e));
        match (title, body) {
            (Ok(title), Ok(body)) if errors.is_empty() => Ok(NewsDraft { title, body }),
            _ => Err(errors),
        }
    }
}

/// A placement level typed in a form.
pub fn parse_level(input: &str) -> Result<PlacementLevel, FieldError> {
    PlacementLevel::all()
        .iter()
        .copied()
        .find(|l| l.code() == input.trim() || l.aliases().contains(&input.trim()))
        .ok_or_else(|| FieldError::new("level", t::LEVEL_INVALID))
}

/// The area's declaration.
pub static AREA: crate::area::Area = crate::area::Area {
    name: "correspondent",
    enums: &[
        crate::area::CodedEnum::of::<NewsStatus>(),
        crate::area::CodedEnum::of::<PlacementLevel>(),
    ],
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_submission_without_title_or_text_names_both_fields() {
        let e = NewsInput::default().parse().unwrap_err();
        let fields: Vec<_> = e.0.iter().map(|e| e.field).collect();
        assert_eq!(fields, ["title", "body"]);
    }

    #[test]
    fn a_placement_higher_up_earns_more_points() {
        let r = NEWS_RULES;
        assert!(r.points(PlacementLevel::District) < r.points(PlacementLevel::City));
        assert!(r.points(PlacementLevel::Province) < r.points(PlacementLevel::National));
        assert_eq!(parse_level("市级"), Ok(PlacementLevel::City));
        assert!(parse_level("银河系").is_err());
    }

    #[test]
    fn the_rules_form_round_trips_and_refuses_at_the_field() {
        assert_eq!(NEWS_RULES.input().parse(), Ok((NEWS_RULES, None)));
        let typed = NewsRulesInput {
            city: "４".into(),
            note: "2027 年考核方案".into(),
            ..NEWS_RULES.input()
        };
        let (r, note) = typed.parse().unwrap();
        assert_eq!(r.city, 4);
        assert_eq!(note.as_deref(), Some("2027 年考核方案"));
        let fields = |i: NewsRulesInput| -> Vec<(&'static str, &'static str)> {
            i.parse()
                .unwrap_err()
                .0
                .iter()
                .map(|e| (e.field, e.key))
                .collect()
        };
        assert_eq!(
            fields(NewsRulesInput {
                province: "".into(),
                ..NEWS_RULES.input()
            }),
            [("province", t::POINTS_INVALID)]
        );
        assert_eq!(
            fields(NewsRulesInput {
                national: "101".into(),
                ..NEWS_RULES.input()
            }),
            [("national", t::POINTS_INVALID)]
        );
        // A city placement may not count for less than a district one.
        assert_eq!(
            fields(NewsRulesInput {
                city: "0".into(),
                ..NEWS_RULES.input()
            }),
            [("city", t::POINTS_ORDER)]
        );
    }
}
