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
    /// How it is asked for: GET, or POST when producing it changes something (printing
    /// delegate cards issues their one-time codes), so that a link can never do it.
    pub method: crate::Method,
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

/// The guard of each GET route, by path, read once from the route table: the menu shows an
/// entry only to someone its page admits (issue 25: no menu item that answers 403).
fn get_access(href: &str) -> Option<crate::Access> {
    static TABLE: std::sync::OnceLock<std::collections::HashMap<&'static str, crate::Access>> =
        std::sync::OnceLock::new();
    TABLE
        .get_or_init(|| {
            crate::routes(&WebConfig::default())
                .entries
                .iter()
                .filter(|e| e.method == crate::Method::Get)
                .map(|e| (e.path, e.access))
                .collect()
        })
        .get(href)
        .copied()
}

/// Whether `actor` sees the menu entry: it holds the entry's permission and passes its page's
/// guard (a page of a delegate's mandate needs an account linked to a member).
pub fn visible(e: &NavEntry, actor: &domain::auth::Actor) -> bool {
    let by_permission = match e.permission {
        Some(p) => actor.may(p),
        None => actor.member.is_some(),
    };
    by_permission
        && match get_access(e.href) {
            Some(access) if !access.needs().is_empty() => access.needs().iter().any(|n| match n {
                // Whether this person is the one the data names is the page's to say.
                crate::Need::Staff(p) | crate::Need::Named(p) => actor.may(*p),
                crate::Need::Attendee(p) => actor.may(*p) && actor.member.is_some(),
            }),
            _ => true,
        }
}

/// The menu of `actor`, in order.
pub fn nav_for(actor: &domain::auth::Actor) -> Vec<&'static NavEntry> {
    nav().into_iter().filter(|e| visible(e, actor)).collect()
}

/// The dashboard belongs to no area: it reads them all.
static DASHBOARD_NAV: NavEntry = NavEntry {
    href: "/",
    label_key: "nav-dashboard",
    permission: Some(Permission::DashboardView),
    rank: 0,
};

impl Area {
    /// What this declaration forgot, each named: a document or a menu entry whose path is
    /// not a GET route of this area's own `routes`. Empty when complete. The area test runs
    /// it for every area (and for a toy area, to show it catches each omission).
    pub fn problems(&self, config: &WebConfig) -> Vec<String> {
        let table = (self.routes)(RouteTable::default(), config);
        let declared = |m: crate::Method, path: &str| {
            table
                .entries
                .iter()
                .any(|e| e.method == m && e.path == path)
        };
        let gets: Vec<&str> = table
            .entries
            .iter()
            .filter(|e| e.method == crate::Method::Get)
            .map(|e| e.path)
            .collect();
        let mut out = Vec::new();
        for d in self.documents {
            if !declared(d.method, d.path) {
                out.push(format!(
                    "{}: document {} ({}) is not a {:?} route of the area",
                    self.name, d.label_key, d.path, d.method
                ));
            }
        }
        for n in self.nav {
            let path = n.href.split('?').next().unwrap_or(n.href);
            if !gets.contains(&path) {
                out.push(format!(
                    "{}: menu entry {} ({}) is not a GET route of the area",
                    self.name, n.label_key, n.href
                ));
            }
        }
        out
    }
}

/// Every document every area offers.
pub fn documents() -> impl Iterator<Item = (&'static str, &'static Document)> {
    AREAS
        .iter()
        .flat_map(|a| a.documents.iter().map(move |d| (a.name, d)))
}
