//! The year's work plan (工作计划 / 工作要点) as the domain sees it: a unit's tasks for a
//! year, each with its text, owner and deadline, optionally tied to an indicator — one of
//! the year figures an area declares, with a target (e.g. "every school holds a quorate
//! congress: 22"). A task is met when the figure reaches its target.
//!
//! This module does no IO and never formats text; whether an indicator exists is asked of
//! the caller (the store knows the declared figures).

use crate::error::{FieldError, FieldErrors};
use crate::kit::coded;
use crate::org::{parse_date, required_text};
use chrono::NaiveDate;

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
        FIGURE_UNKNOWN = "plan-figure-unknown",
        TARGET_INVALID = "plan-target-invalid",
        TARGET_WITHOUT_FIGURE = "plan-target-without-figure",
        DEADLINE_OUTSIDE_YEAR = "plan-deadline-outside-year",
        YEAR_INVALID = "plan-year-invalid",
    }
}

use text as t;

crate::kit::id_types!(TaskId);

coded!(
    /// Whether a task is still open or marked done by its owner.
    TaskStatus, "task-status", {
    Open = "open" ["进行中", "未完成"],
    Done = "done" ["已完成"],
});

pub const TASK_MAX: usize = 200;
pub const OWNER_MAX: usize = 40;

/// A task as typed.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(default)]
pub struct TaskInput {
    pub unit: String,
    pub year: String,
    pub text: String,
    pub owner: String,
    pub deadline: String,
    /// A declared figure's key, or empty.
    pub figure: String,
    pub target: String,
}

/// A parsed task.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskDraft {
    pub year: i32,
    pub text: String,
    pub owner: String,
    pub deadline: NaiveDate,
    /// The indicator and its target.
    pub indicator: Option<(String, i64)>,
}

/// A year typed in a form (2000–2100).
pub fn parse_year(field: &'static str, input: &str) -> Result<i32, FieldError> {
    input
        .trim()
        .parse::<i32>()
        .ok()
        .filter(|y| (2000..=2100).contains(y))
        .ok_or_else(|| FieldError::new(field, t::YEAR_INVALID))
}

impl TaskInput {
    /// Every error at its field. `figure_exists` answers whether a figure key is declared.
    pub fn parse(&self, figure_exists: impl Fn(&str) -> bool) -> Result<TaskDraft, FieldErrors> {
        let mut errors = FieldErrors::default();
        let text = required_text("text", &self.text, TASK_MAX)
            .map_err(|e| errors.push(e))
            .ok();
        let owner = required_text("owner", &self.owner, OWNER_MAX)
            .map_err(|e| errors.push(e))
            .ok();
        let deadline = parse_date("deadline", &self.deadline)
            .map_err(|e| errors.push(e))
            .ok();
        // Without a year, the plan's year is the deadline's.
        let year = if self.year.trim().is_empty() {
            deadline.map(|d| chrono::Datelike::year(&d))
        } else {
            parse_year("year", &self.year)
                .map_err(|e| errors.push(e))
                .ok()
        };
        if let (Some(y), Some(d)) = (year, deadline)
            && chrono::Datelike::year(&d) != y
        {
            errors.push(FieldError::new("deadline", t::DEADLINE_OUTSIDE_YEAR).arg("year", y));
        }
        let figure = self.figure.trim();
        let target = self.target.trim();
        let indicator = match (figure.is_empty(), target.is_empty()) {
            (true, true) => None,
            (true, false) => {
                errors.push(FieldError::new("figure", t::TARGET_WITHOUT_FIGURE));
                None
            }
            (false, _) => {
                if !figure_exists(figure) {
                    errors.push(
                        FieldError::new("figure", t::FIGURE_UNKNOWN)
                            .arg("value", figure.chars().take(40).collect::<String>()),
                    );
                }
                match target.parse::<i64>().ok().filter(|v| *v >= 0) {
                    Some(v) => Some((figure.to_string(), v)),
                    None => {
                        errors.push(FieldError::new("target", t::TARGET_INVALID));
                        None
                    }
                }
            }
        };
        match (year, text, owner, deadline) {
            (Some(year), Some(text), Some(owner), Some(deadline)) if errors.is_empty() => {
                Ok(TaskDraft {
                    year,
                    text,
                    owner,
                    deadline,
                    indicator,
                })
            }
            _ => Err(errors),
        }
    }
}

/// How a task stands against its indicator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// No indicator: only the owner's mark counts.
    NoIndicator,
    Met,
    NotMet,
}

/// Met when the figure's value reached the target.
pub fn outcome(indicator: Option<(&str, i64)>, value: i64) -> Outcome {
    match indicator {
        None => Outcome::NoIndicator,
        Some((_, target)) if value >= target => Outcome::Met,
        Some(_) => Outcome::NotMet,
    }
}

/// The area's declaration.
pub static AREA: crate::area::Area = crate::area::Area {
    name: "work_plan",
    enums: &[crate::area::CodedEnum::of::<TaskStatus>()],
};

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> TaskInput {
        TaskInput {
            unit: "1".into(),
            year: "2026".into(),
            text: "每校召开教代会".into(),
            owner: "民管部".into(),
            deadline: "2026-12-31".into(),
            figure: "figure-congress-meetings-held".into(),
            target: "22".into(),
        }
    }

    #[test]
    fn a_task_tied_to_an_unknown_indicator_is_refused_at_the_figure() {
        let e = input().parse(|_| false).unwrap_err();
        assert_eq!(e.0[0].field, "figure");
        assert_eq!(e.0[0].key, t::FIGURE_UNKNOWN);
        let ok = input()
            .parse(|k| k == "figure-congress-meetings-held")
            .unwrap();
        assert_eq!(
            ok.indicator,
            Some(("figure-congress-meetings-held".into(), 22))
        );
    }

    #[test]
    fn a_deadline_outside_the_plan_year_is_refused() {
        let mut i = input();
        i.deadline = "2027-01-05".into();
        let e = i.parse(|_| true).unwrap_err();
        assert_eq!(e.0[0].field, "deadline");
    }

    #[test]
    fn a_task_is_met_when_the_figure_reaches_its_target() {
        assert_eq!(outcome(Some(("k", 22)), 22), Outcome::Met);
        assert_eq!(outcome(Some(("k", 22)), 21), Outcome::NotMet);
        assert_eq!(outcome(None, 0), Outcome::NoIndicator);
    }
}
