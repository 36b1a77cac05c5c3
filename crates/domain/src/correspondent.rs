//! News from correspondents (通讯员 / 信息员) as the domain sees it: the news item's steps
//! (submitted by a correspondent, approved by the school, published by the district, or
//! rejected), the levels at which a published item is placed (区、市、省、《中国教工》),
//! the points a placement earns under the versioned news rule set, and the submission form.
//!
//! The points per level are the union's own assessment rule, not a statute: no document
//! fixes them, so the rule set names its source as local ([`NewsRules::source`]). Every
//! placement stores the version that gave its points. This module does no IO and never
//! formats text (errors carry catalogue keys).

use crate::error::{FieldError, FieldErrors};
use crate::kit::coded;
use crate::org::{Coded, required_text};

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

/// The news rule set: points a placement earns at each level.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NewsRules {
    /// Stored with every placement and every summary draft.
    pub version: &'static str,
    /// `local`: the union's own assessment rule (no statutory source exists).
    pub source: &'static str,
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
}

/// The rule set in force. Every number is local (the district's assessment scheme).
pub const NEWS_RULES: NewsRules = NewsRules {
    version: "news-local-1",
    source: "local",
    district: 1,
    city: 3,
    province: 5,
    national: 10,
};

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
}
