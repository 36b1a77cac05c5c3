//! The proposals area on the web: proposals (the list, the proposal page and one small POST
//! per step of the loop) and suggestions, with their menu entries.
//!
//! Handlers stay thin (policy → store → redirect with a flash message or render) and share
//! the congress area's refusal helpers; this module only declares the area.

pub mod proposal;
pub mod suggestions;

use crate::Permission as P;
use crate::area::{Area, NavEntry};

/// Proposals and suggestions.
pub static AREA: Area = Area {
    name: "proposals",
    routes: |t, _| suggestions::routes(proposal::routes(t)),
    nav: &[
        NavEntry {
            href: "/proposals",
            label_key: "nav-proposals",
            permission: Some(P::CongressAttend),
            rank: 50,
        },
        NavEntry {
            href: "/suggestions",
            label_key: "nav-suggestions",
            permission: Some(P::SuggestionSubmit),
            rank: 60,
        },
    ],
    documents: &[],
};
