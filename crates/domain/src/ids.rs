//! Typed ids: an `i64` in the database, a distinct type in Rust so that a member id can
//! never be passed where an org unit id is expected.

crate::kit::id_types!(OrgUnitId, MemberId, AccountId, GrantId, AuditId, ImportId);
