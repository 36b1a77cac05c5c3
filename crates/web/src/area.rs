//! What the web layer declares about each area: its routes (with their guards and
//! fixtures), its navigation entries and the documents (print views, spreadsheets) it
//! offers. [`AREAS`] is generated from `domain::for_each_area!`, so the router, the menu, the
//! authorization matrix and a unit's document list read one list.
//!
//! This module never holds a handler: each area's routes stay in its own module.

use crate::{RouteTable, WebConfig};
use domain::auth::Permission;

/// One entry of the main menu.
#[derive(Debug)]
pub struct NavEntry {
    pub href: &'static str,
    /// Catalogue key of the label (`nav-…`).
    pub label_key: &'static str,
    /// The permission that shows it; `None`: every account linked to a member.
    pub permission: Option<Permission>,
    /// Position in the menu (lower first); areas interleave by rank, not by list order,
    /// so that a new area can place its entry where users look for it.
    pub rank: u16,
}

/// How a document is delivered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DocumentKind {
    /// A page made for printing (A4, the union's head, no menu).
    Print,
    /// An Excel workbook.
    Xlsx,
}

/// A print view or export an area offers.
#[derive(Debug)]
pub struct Document {
    /// Catalogue key of its name (`doc-…`).
    pub label_key: &'static str,
    /// The route that serves it, as declared in the area's routes (with `{id}` etc.).
    pub path: &'static str,
    pub kind: DocumentKind,
}

/// The web declaration of one area.
pub struct Area {
    pub name: &'static str,
    /// Adds the area's routes to the table.
    pub routes: fn(RouteTable, &WebConfig) -> RouteTable,
    pub nav: &'static [NavEntry],
    pub documents: &'static [Document],
}

impl std::fmt::Debug for Area {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Area").field("name", &self.name).finish()
    }
}

macro_rules! web_areas {
    ($($a:ident),*) => {
        /// Every area's web declaration, in the order of `domain::for_each_area!`.
        pub static AREAS: &[&Area] = &[$(&crate::$a::AREA),*];
    };
}
domain::for_each_area!(web_areas);

/// The menu entries of every area, by rank.
pub fn nav() -> Vec<&'static NavEntry> {
    let mut v: Vec<&NavEntry> = AREAS.iter().flat_map(|a| a.nav.iter()).collect();
    v.push(&DASHBOARD_NAV);
    v.sort_by_key(|e| e.rank);
    v
}

/// The dashboard belongs to no area: it reads them all.
static DASHBOARD_NAV: NavEntry = NavEntry {
    href: "/",
    label_key: "nav-dashboard",
    permission: Some(Permission::DashboardView),
    rank: 0,
};

/// Every document every area offers.
pub fn documents() -> impl Iterator<Item = (&'static str, &'static Document)> {
    AREAS
        .iter()
        .flat_map(|a| a.documents.iter().map(move |d| (a.name, d)))
}
