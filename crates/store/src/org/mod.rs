//! The org area in the database: the org tree with its closure table, members with their
//! status and transfer history, cadre positions, and roster files in and out.

pub mod export;
pub mod figures;
pub mod import;
pub mod members;
pub mod pinyin;
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

use crate::area::{Area, CodedColumn, EncryptedColumn};
use crate::crypto::Field;
use domain::org::*;

fn whole(s: &str) -> Option<String> {
    Some(s.to_string())
}
fn after(n: usize) -> impl Fn(&str) -> Option<String> {
    move |s: &str| s.get(n..).map(str::to_string)
}
fn id_tail(s: &str) -> Option<String> {
    after(14)(s)
}
fn phone_tail(s: &str) -> Option<String> {
    after(7)(s)
}

/// A member's ID number, with its whole and last-four blind indexes.
pub const ID_NUMBER: EncryptedColumn = EncryptedColumn {
    table: "member",
    key: "id",
    column: "id_number_enc",
    field: Field::IdNumber,
    indexes: &[
        ("id_number_idx", Field::IdNumber, whole),
        ("id_tail_idx", Field::IdTail, id_tail),
    ],
};

/// A member's phone, with its whole and last-four blind indexes.
pub const PHONE: EncryptedColumn = EncryptedColumn {
    table: "member",
    key: "id",
    column: "phone_enc",
    field: Field::Phone,
    indexes: &[
        ("phone_idx", Field::Phone, whole),
        ("phone_tail_idx", Field::PhoneTail, phone_tail),
    ],
};

/// A staged import file (it holds ID numbers).
pub const IMPORT_FILE: EncryptedColumn = EncryptedColumn {
    table: "import_batch",
    key: "id",
    column: "file_enc",
    field: Field::ImportFile,
    indexes: &[],
};

/// The organisation and its people: units, members, cadres, the roster import.
pub static AREA: Area = Area {
    coded: &[
        CodedColumn::of::<OrgKind>("org_unit.kind"),
        CodedColumn::of::<domain::org::BranchRole>("org_unit.branch_role"),
        CodedColumn::of::<UnionKind>("org_unit.union_kind"),
        CodedColumn::of::<SchoolKind>("org_unit.school_kind"),
        CodedColumn::of::<SchoolLevel>("org_unit.school_level"),
        CodedColumn::of::<Gender>("member.gender"),
        CodedColumn::of::<Post>("member.post"),
        CodedColumn::of::<MemberStatus>("member.status"),
        CodedColumn::of::<ProfessionalTitle>("member.title"),
        CodedColumn::of::<PoliticalStatus>("member.political_status"),
        CodedColumn::of::<Education>("member.education"),
        CodedColumn::of::<EmploymentType>("member.employment_type"),
        CodedColumn {
            column: "member.join_date_precision",
            codes: || {
                use domain::roster::DatePrecision as D;
                [D::Day, D::Month].map(D::code).to_vec()
            },
        },
        CodedColumn::of::<MemberStatus>("member_status_history.status"),
        CodedColumn::of::<CadrePosition>("cadre.position"),
    ],
    encrypted: &[ID_NUMBER, PHONE, IMPORT_FILE],
    demo: Some(crate::demo::org_demo),
    figures: figures::FIGURES,
    year_figures: Some(figures::year_figures),
    ..Area::new("org")
};
