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
pub mod figures;
pub mod meetings;
pub mod oversight;
pub mod report;
pub mod rules;
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

/// Writes one audit record about a congress (or proposals) entity and commits: the last
/// step of a write ([`crate::kit::audit_commit`]).
pub(crate) async fn log_commit(
    tx: Tx,
    cipher: &Cipher,
    who: &Who,
    action: &str,
    entity: (&str, i64),
    school: OrgUnitId,
    changes: &Changes,
) -> Result<(), StoreError> {
    crate::kit::audit_commit(tx, cipher, who, event(action, entity, school, changes)).await
}

/// The audit event of a change to a congress (or proposals) entity of `school`.
fn event<'a>(
    action: &'a str,
    entity: (&'a str, i64),
    school: OrgUnitId,
    changes: &'a Changes,
) -> Event<'a> {
    Event {
        action,
        entity_type: entity.0,
        entity_id: Some(entity.1),
        org_unit: Some(school),
        changes,
    }
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
    audit::append(tx, cipher, who, event(action, entity, school, changes)).await
}

use crate::area::{Area, CodedColumn};
use domain::congress::*;

/// The staff congress: terms, delegates, meetings, attendance, documents, rules, oversight.
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
    ],
    demo: Some(demo::area_demo),
    figures: figures::FIGURES,
    year_figures: Some(figures::year_figures),
    due_items: Some(due::due_items),
    ..Area::new("congress")
};
