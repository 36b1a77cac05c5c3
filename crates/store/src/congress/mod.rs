//! The staff congress in the database: rule-set versions, terms with their delegations and
//! delegates, meetings with agenda, documents and roles, attendance and check-in codes,
//! proposals from draft to closure, suggestions, the handling report and the district's
//! oversight table.
//!
//! Every function that reads or writes a school's congress takes a capability and filters
//! by its scope in SQL (the school union of the term is the scoped column); a delegate acts
//! through [`domain::congress::Acting`], which carries the member behind the account, so a
//! delegate can only ever act as themselves. Every change writes its audit record in the
//! same transaction. Nothing here renders text: errors carry catalogue keys.

pub mod attendance;
pub mod demo;
pub mod due;
pub mod meetings;
pub mod oversight;
pub mod proposals;
pub mod report;
pub mod rules;
pub mod suggestions;
pub mod terms;

use crate::Cipher;
use crate::StoreError;
use crate::audit::{self, Event, Who};
use crate::db::Tx;
use domain::FieldError;
use domain::audit::Changes;
use domain::ids::OrgUnitId;

pub(crate) use crate::org::{coded, opt_coded};

/// An input error that needed the database, as a [`StoreError::Invalid`].
pub(crate) fn invalid(field: &'static str, key: &'static str) -> StoreError {
    StoreError::field(field, key)
}

pub(crate) fn invalid_with(e: FieldError) -> StoreError {
    StoreError::Invalid(domain::FieldErrors(vec![e]))
}

/// Writes one audit record about a congress entity.
pub(crate) async fn log(
    tx: &mut Tx,
    cipher: &Cipher,
    who: &Who,
    action: &str,
    entity: (&str, i64),
    school: OrgUnitId,
    changes: &Changes,
) -> Result<(), StoreError> {
    audit::append(
        tx,
        cipher,
        who,
        Event {
            action,
            entity_type: entity.0,
            entity_id: Some(entity.1),
            org_unit: Some(school),
            changes,
        },
    )
    .await
}

/// Pushes `column IN (descendants of the scope roots)`, or a true condition for the whole
/// installation: for conditions joined with OR, where [`crate::scope::restrict`] (which
/// appends with AND) does not fit.
pub(crate) fn push_in_scope(
    sql: &mut crate::db::Sql,
    column: &'static str,
    scope: &domain::auth::Scope,
) {
    match scope.roots() {
        None => {
            sql.push("1 = 1");
        }
        Some(roots) => {
            sql.push(column)
                .push(" IN (SELECT descendant_id FROM org_closure WHERE ancestor_id IN (");
            sql.bind_list(roots.iter().map(|r| crate::db::Arg::I64(r.0)));
            sql.push("))");
        }
    }
}

use crate::area::{Area, CodedColumn};
use domain::congress::*;

/// The staff congress: terms, delegates, meetings, attendance, documents, rules, oversight;
/// with proposals and suggestions until they become an area of their own.
pub static AREA: Area = Area {
    coded: &[
        CodedColumn::of::<CongressMode>("congress_term.mode"),
        CodedColumn::of::<DelegateKind>("delegate.kind"),
        CodedColumn::of::<MeetingKind>("congress_meeting.kind"),
        CodedColumn::of::<MeetingStatus>("congress_meeting.status"),
        CodedColumn::of::<AgendaKind>("agenda_item.kind"),
        CodedColumn {
            column: "meeting_document.kind",
            codes: || DocKind::ALL.iter().map(|k| k.code()).collect(),
        },
        CodedColumn::of::<MeetingRole>("meeting_role.role"),
        CodedColumn::of::<CheckInMethod>("check_in.method"),
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
    demo: Some(demo::area_demo),
    due_items: Some(due::due_items),
    ..Area::new("congress")
};
