//! The proposals area: proposals (提案) from draft to closure: a delegate drafts and invites seconders; enough
//! seconders and an open collection window let it be submitted; the proposals committee
//! accepts, merges, turns it into a suggestion or rejects it, always with a reason; an
//! accepted proposal gets a handling department, co-handlers and a deadline; the department
//! replies; the proposer rates the reply, and a dissatisfied rating sends it back for
//! another round while the rule set allows; implementation is tracked until closed.
//!
//! Who sees what is a [`Lens`]: the school's staff and committee (not drafts), a department
//! (what it handles or helps with), a delegate (their own and invited drafts, and every
//! submitted proposal of their term). Every step checks the state first, so a repeated
//! request changes nothing; decisions record the rule-set version that made them.

//!
//! The area is split by concern: [`read`] (lenses, list, one proposal), `core` (the state
//! read inside a step's transaction), [`drafting`] (draft, second, submit), [`handling`]
//! (review, assign, reply, rate, progress, remind), [`suggestions`] and [`figures`] (the
//! area's year figures). Their public items are re-exported here.

mod core;
pub mod drafting;
pub mod due;
pub mod figures;
pub mod handling;
pub mod read;
pub mod suggestions;

pub use drafting::*;
pub use handling::*;
pub use read::*;

use crate::area::{Area, CodedColumn};
use domain::proposals::*;

/// Proposals and suggestions: their coded columns, figures and (later) due items.
pub static AREA: Area = Area {
    coded: &[
        CodedColumn::of::<ProposalStatus>("proposal.status"),
        CodedColumn::of::<ProposalCategory>("proposal.category"),
        CodedColumn::of::<ReviewDecision>("proposal.decision"),
        CodedColumn::of::<ImplementationStatus>("proposal.implementation"),
        CodedColumn::of::<Rating>("proposal.last_rating"),
        CodedColumn::of::<Rating>("proposal_reply.rating"),
        CodedColumn::of::<ImplementationStatus>("proposal_progress.status"),
        CodedColumn::of::<SeconderStatus>("proposal_seconder.status"),
        CodedColumn::of::<SuggestionStatus>("suggestion.status"),
    ],
    figures: figures::FIGURES,
    year_figures: Some(figures::year_figures),
    due_items: Some(due::due_items),
    ..Area::new("proposals")
};
