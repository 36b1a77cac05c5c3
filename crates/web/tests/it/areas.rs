//! The one list of areas and what each area declares: the three layers list the same areas
//! in the same order; each web area's documents are routes of its own routes (GET, or POST
//! where producing one changes something) and its menu entries GET routes; each store area's figures come with the function that computes them, are named
//! `figure-<area>-…` and link to a declared GET route; no route is declared by two areas.
//!
//! "Adding an area" is checked by its mechanics (a toy area cannot join `for_each_area!`
//! from a test): a toy area's routes, documents and menu entries go through the same
//! `RouteTable` and checks as the real ones, and each piece left out of it is named.

use domain::area::{Figure, FigureKind, Summation};
use domain::auth::Permission as P;
use web::area::{Area, Document, DocumentKind, NavEntry};
use web::{Guard, Method, RouteTable, WebConfig};

#[test]
fn the_three_layers_list_the_same_areas_in_the_same_order() {
    let names = domain::area::names();
    let store: Vec<&str> = store::area::AREAS.iter().map(|a| a.name).collect();
    let web: Vec<&str> = web::area::AREAS.iter().map(|a| a.name).collect();
    assert_eq!(
        store, names,
        "store::<area>::AREA.name must be the module name"
    );
    assert_eq!(web, names, "web::<area>::AREA.name must be the module name");
    // Proposals is an area of its own, right after the congress.
    let at = |n: &str| names.iter().position(|x| *x == n).unwrap();
    assert_eq!(at("proposals"), at("congress") + 1);
}

#[test]
fn every_document_and_menu_entry_is_a_get_route_of_its_own_area() {
    let config = WebConfig::default();
    let problems: Vec<String> = web::area::AREAS
        .iter()
        .flat_map(|a| a.problems(&config))
        .collect();
    assert!(problems.is_empty(), "{problems:#?}");
    // And the check looks at something: the congress offers documents.
    assert!(web::area::documents().any(|(a, _)| a == "congress"));
}

#[test]
fn every_store_area_declares_its_figures_completely() {
    let problems: Vec<String> = store::area::AREAS
        .iter()
        .flat_map(|a| a.problems())
        .collect();
    assert!(problems.is_empty(), "{problems:#?}");
    for a in ["org", "congress", "proposals", "voting"] {
        let area = store::area::AREAS.iter().find(|x| x.name == a).unwrap();
        assert!(!area.figures.is_empty(), "{a} declares no year figure");
    }
    let keys: Vec<&str> = store::area::declared_figures().map(|f| f.key).collect();
    let mut unique = keys.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(
        unique.len(),
        keys.len(),
        "a figure key is declared twice: {keys:?}"
    );
}

#[test]
fn every_figure_links_to_a_declared_get_route() {
    let table = web::routes(&WebConfig::default());
    let gets: Vec<&str> = table
        .entries
        .iter()
        .filter(|e| e.method == Method::Get)
        .map(|e| e.path)
        .collect();
    for f in store::area::declared_figures() {
        let path = f.list.split('?').next().unwrap();
        assert!(
            gets.contains(&path),
            "{} links to {path}, which is no GET route",
            f.key
        );
    }
}

#[test]
fn no_route_is_declared_by_two_areas() {
    let config = WebConfig::default();
    let mut seen: std::collections::BTreeMap<(String, &str), &str> = Default::default();
    for a in web::area::AREAS {
        for e in (a.routes)(RouteTable::default(), &config).entries {
            let k = (format!("{:?}", e.method), e.path);
            if let Some(other) = seen.insert(k, a.name) {
                panic!(
                    "{:?} {} is declared by {other} and {}",
                    e.method, e.path, a.name
                );
            }
        }
    }
}

// ------------------------------------------------------------------ a toy area

async fn toy_page() -> &'static str {
    "toy"
}

fn toy_routes(t: RouteTable, _: &WebConfig) -> RouteTable {
    t.get("/toy", Guard::staff(P::OrgView), toy_page).get(
        "/toy/{id}/print",
        Guard::staff(P::OrgView),
        toy_page,
    )
}

static TOY_NAV: &[NavEntry] = &[NavEntry {
    href: "/toy",
    label_key: "nav-toy",
    permission: Some(P::OrgView),
    rank: 95,
}];

static TOY_DOCS: &[Document] = &[Document {
    label_key: "doc-toy-print",
    path: "/toy/{id}/print",
    kind: DocumentKind::Print,
    method: Method::Get,
}];

static TOY: Area = Area {
    name: "toy",
    routes: toy_routes,
    nav: TOY_NAV,
    documents: TOY_DOCS,
};

#[test]
fn a_toy_area_s_routes_reach_the_route_table_with_their_guards() {
    let t = (TOY.routes)(RouteTable::default(), &WebConfig::default());
    let paths: Vec<(Method, &str)> = t.entries.iter().map(|e| (e.method, e.path)).collect();
    assert_eq!(
        paths,
        vec![(Method::Get, "/toy"), (Method::Get, "/toy/{id}/print")]
    );
    // Each carries the guard the matrix test derives its expectations from.
    assert!(
        t.entries
            .iter()
            .all(|e| e.access.login() && e.fixture.is_some())
    );
    assert!(TOY.problems(&WebConfig::default()).is_empty());
}

#[test]
fn a_toy_area_that_forgets_a_route_is_named() {
    fn no_print(t: RouteTable, _: &WebConfig) -> RouteTable {
        t.get("/toy", Guard::staff(P::OrgView), toy_page)
    }
    let forgot = Area {
        routes: no_print,
        ..TOY
    };
    let p = forgot.problems(&WebConfig::default());
    assert_eq!(
        p,
        vec![
            "toy: document doc-toy-print (/toy/{id}/print) is not a Get route of the area"
                .to_string()
        ]
    );
    fn nothing(t: RouteTable, _: &WebConfig) -> RouteTable {
        t
    }
    let empty = Area {
        routes: nothing,
        ..TOY
    };
    let p = empty.problems(&WebConfig::default());
    assert!(p.iter().any(|x| x.contains("menu entry nav-toy")), "{p:?}");
}

static TOY_FIGURES: &[Figure] = &[Figure {
    key: "figure-toy-things",
    kind: FigureKind::Count,
    list: "/toy",
    sum: Summation::Sum,
}];

static BADLY_NAMED: &[Figure] = &[Figure {
    key: "figure-things",
    kind: FigureKind::Count,
    list: "/toy",
    sum: Summation::Sum,
}];

#[test]
fn a_toy_store_area_that_forgets_its_figures_function_is_named() {
    let declared_only = store::area::Area {
        figures: TOY_FIGURES,
        ..store::area::Area::new("toy")
    };
    assert_eq!(
        declared_only.problems(),
        vec!["toy: figures are declared but year_figures is not set".to_string()]
    );
    let bad = store::area::Area {
        figures: BADLY_NAMED,
        year_figures: store::area::AREAS.iter().find_map(|a| a.year_figures),
        ..store::area::Area::new("toy")
    };
    assert_eq!(
        bad.problems(),
        vec!["toy: figure figure-things must start with figure-toy-".to_string()]
    );
}
