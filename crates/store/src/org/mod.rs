//! The org area in the database: the org tree with its closure table, members with their
//! status and transfer history, cadre positions, and roster files in and out.

pub mod export;
pub mod import;
pub mod members;
pub mod roster_file;
pub mod stats;
pub mod units;
pub mod value_map;

pub use members::*;
pub use units::*;

use crate::StoreError;
use domain::org::Coded;

/// Decodes a coded column; a value outside the CHECK list means the database was edited by
/// hand.
pub(crate) fn coded<C: Coded>(s: &str) -> Result<C, StoreError> {
    C::from_code(s).ok_or_else(|| StoreError::Other(format!("unknown {} code {s:?}", C::KIND)))
}

/// Decodes a stored date precision (`day` / `month`).
pub(crate) fn precision(s: &str) -> Result<domain::roster::DatePrecision, StoreError> {
    domain::roster::DatePrecision::from_code(s)
        .ok_or_else(|| StoreError::Other(format!("unknown date precision {s:?}")))
}

pub(crate) fn opt_coded<C: Coded>(s: Option<&str>) -> Result<Option<C>, StoreError> {
    s.map(coded).transpose()
}
