//! The shape every area of union work declares, and the one list of areas.
//!
//! An area (org, congress, voting, assistance, …) is a module of the same name in every
//! layer (`domain::<area>`, `store::<area>`, `web::<area>`), each holding one `AREA` value
//! that declares what that layer knows about it. [`for_each_area!`] is the only list of
//! areas: every layer expands it into its own `AREAS` slice, so an area added to the list
//! without its module in some layer does not compile, and routing, navigation, the
//! authorization matrix, the catalogue and CHECK-list tests, key rotation, the demo, the
//! dashboard figures and the reminders all iterate the same list in the same order.
//!
//! This module holds only declarations and plain values (no IO): the figures an area
//! computes, the deadlines it finds and whom they concern. Computing them is `store`'s job.

use crate::auth::Role;
use crate::ids::{AccountId, MemberId, OrgUnitId};
use crate::org::Coded;
use serde::{Deserialize, Serialize};

/// Calls `$m!` with the name of every area, in the order pages, the demo and the year
/// summary present them. **Adding an area is adding its name here** (and its module in
/// each layer; see `docs/ARCHITECTURE.md`, "Adding an area").
#[macro_export]
macro_rules! for_each_area {
    ($m:ident) => {
        $m! { org, auth, audit, congress, proposals, voting, assistance, funds, elections, notify, assessment, contests, commendations, correspondent, rights, work_plan, work_summary, activity }
    };
}

/// What the domain layer declares about an area.
#[derive(Debug)]
pub struct Area {
    /// The area's code name (the module name in every layer).
    pub name: &'static str,
    /// Its coded enums, for the catalogue test (every code has a label in both languages).
    pub enums: &'static [CodedEnum],
}

/// A coded enum as data: its catalogue kind and codes.
#[derive(Debug)]
pub struct CodedEnum {
    pub kind: &'static str,
    pub codes: fn() -> Vec<&'static str>,
    pub label_keys: fn() -> Vec<String>,
}

impl CodedEnum {
    /// The declaration of `C`.
    pub const fn of<C: Coded>() -> CodedEnum {
        CodedEnum {
            kind: C::KIND,
            codes: codes_of::<C>,
            label_keys: label_keys_of::<C>,
        }
    }
}

/// The codes of a coded enum, in declaration order.
pub fn codes_of<C: Coded>() -> Vec<&'static str> {
    C::all().iter().map(|c| c.code()).collect()
}

fn label_keys_of<C: Coded>() -> Vec<String> {
    C::all().iter().map(|c| c.label_key()).collect()
}

/// How a year figure is measured.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FigureKind {
    /// A count of records or people.
    Count,
    /// Money in fen.
    Fen,
    /// A ratio in per mille (‰), e.g. 875 = 87.5 %.
    Permille,
}

/// A named, typed indicator an area computes for each school and year (年度指标).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Figure {
    /// Stable key, also the catalogue key of its label: `figure-<area>-<name>`.
    pub key: &'static str,
    pub kind: FigureKind,
    /// The list the figure counts, with `{unit}` and `{year}` placeholders.
    pub list: &'static str,
    /// How several schools' values add up to their area's or union's value.
    pub sum: Summation,
}

/// How values of several schools combine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Summation {
    /// Counts and money: the sum.
    Sum,
    /// Ratios: not summed; the parent's value is computed by the area itself or left out.
    None,
}

impl Figure {
    /// A count (summed over schools) linking to `list`.
    pub const fn count(key: &'static str, list: &'static str) -> Figure {
        Figure {
            key,
            kind: FigureKind::Count,
            list,
            sum: Summation::Sum,
        }
    }

    /// A ratio in ‰ (not summed) linking to `list`.
    pub const fn permille(key: &'static str, list: &'static str) -> Figure {
        Figure {
            key,
            kind: FigureKind::Permille,
            list,
            sum: Summation::None,
        }
    }

    /// The list's address for one unit and year.
    pub fn href(&self, unit: OrgUnitId, year: i32) -> String {
        self.list
            .replace("{unit}", &unit.to_string())
            .replace("{year}", &year.to_string())
    }
}

/// One figure's value for one school in one year.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FigureValue {
    pub key: String,
    pub unit: OrgUnitId,
    pub year: i32,
    pub value: i64,
}

/// Whom a due item concerns: the people a reminder must reach.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Concerns {
    /// Whoever holds this role at this unit (the school's chair, the area lead).
    Role { role: Role, unit: OrgUnitId },
    /// One member (a delegate, a department's contact, a member to visit).
    Member(MemberId),
    /// One account.
    Account(AccountId),
}

/// A deadline an area computes (待办): a proposal reply due, a term expiring, a must-visit
/// pending. Reminders and the dashboard's "needs attention" list read these.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DueItem {
    /// The declaring area's name.
    pub area: String,
    /// What is due, as a catalogue key (`due-<area>-<kind>`).
    pub kind: String,
    /// Stable across scans: the same deadline always has the same key, so a reminder is
    /// sent once per step however often the scan runs.
    pub key: String,
    /// The school (or higher unit) the item belongs to.
    pub unit: OrgUnitId,
    /// A short title with no personal data beyond a name the reader may already see
    /// (e.g. the proposal's title), shown in lists and carried in messages.
    pub title: String,
    pub due: chrono::NaiveDate,
    pub concerns: Vec<Concerns>,
    /// Where to act.
    pub href: String,
}

impl DueItem {
    /// Days until due (negative once overdue).
    pub fn days_left(&self, today: chrono::NaiveDate) -> i64 {
        (self.due - today).num_days()
    }
}

/// The areas' names, in list order.
pub fn names() -> Vec<&'static str> {
    macro_rules! names {
        ($($a:ident),*) => { vec![$(stringify!($a)),*] };
    }
    let v = for_each_area!(names);
    v
}

/// Every area's domain declaration, in list order.
pub fn all() -> Vec<&'static Area> {
    macro_rules! all {
        ($($a:ident),*) => { vec![$(&crate::$a::AREA),*] };
    }
    let v = for_each_area!(all);
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_area_declares_its_own_name() {
        for (a, n) in all().iter().zip(names()) {
            assert_eq!(a.name, n);
        }
    }

    #[test]
    fn a_figure_links_to_its_list_for_the_unit_and_year() {
        let f = Figure {
            key: "figure-x-y",
            kind: FigureKind::Count,
            list: "/x?unit={unit}&year={year}",
            sum: Summation::Sum,
        };
        assert_eq!(f.href(OrgUnitId(7), 2026), "/x?unit=7&year=2026");
    }
}
