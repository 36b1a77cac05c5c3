//! What the store layer declares about each area, and the one list of them ([`AREAS`],
//! expanded from [`domain::for_each_area!`]).
//!
//! An area's `store::<area>::AREA` names its coded columns (the CHECK-list test compares
//! them with the schema), its encrypted columns (key rotation re-encrypts exactly these; a
//! test compares them with the schema's `*_enc` columns), its demo loader (run in list
//! order), its year figures and its due items. Readers of figures and due items take a
//! [`Reach`], which only a capability (or the system) makes: figures are counts, not
//! personal data, but they still stay inside the reader's scope.
//!
//! This module must never hold an area's own SQL: each area computes its figures in its own
//! module; here are only the types and the loops over the list.

use crate::crypto::Field;
use crate::{Store, StoreError};
use chrono::NaiveDate;
use domain::area::{DueItem, Figure, FigureValue};
use domain::auth::{Cap, Scope, SystemCap, perm};
use domain::ids::OrgUnitId;
use futures::future::BoxFuture;

/// A stored column whose values are the codes of an enum (with a CHECK in SQL).
#[derive(Debug)]
pub struct CodedColumn {
    /// `table.column`.
    pub column: &'static str,
    pub codes: fn() -> Vec<&'static str>,
}

impl CodedColumn {
    pub const fn of<C: domain::org::Coded>(column: &'static str) -> CodedColumn {
        CodedColumn {
            column,
            codes: domain::area::codes_of::<C>,
        }
    }
}

/// A blind index kept beside an encrypted column: its column, its field, and what of the
/// plain value it indexes (`None`: nothing to index for this value).
pub type IndexOf = fn(&str) -> Option<String>;

/// An encrypted column (`*_enc`): key rotation decrypts and re-encrypts every value, and
/// recomputes its blind indexes.
#[derive(Debug)]
pub struct EncryptedColumn {
    pub table: &'static str,
    /// The row's key column (an `i64`).
    pub key: &'static str,
    pub column: &'static str,
    pub field: Field,
    /// Blind indexes computed from the plain text: (column, field, part indexed).
    pub indexes: &'static [(&'static str, Field, IndexOf)],
}

impl EncryptedColumn {
    /// The place of this column's value in the row `key`: what a ciphertext is bound to
    /// (`Cipher::seal` / `Cipher::open`), so it cannot be moved to another row.
    pub const fn at(&self, key: i64) -> crate::crypto::Slot {
        crate::crypto::Slot {
            field: self.field,
            table: self.table,
            column: self.column,
            key,
        }
    }
}

/// What a demo loader gets: the store, the system's capability, the options, and the
/// summary it adds its logins to.
pub struct DemoRun<'a> {
    pub st: &'a Store,
    pub sys: &'a SystemCap,
    pub hasher: Option<&'a crate::auth::PasswordHasher>,
    pub opts: &'a crate::demo::DemoOptions,
}

pub type DemoFn = for<'a> fn(
    &'a DemoRun<'a>,
    &'a mut crate::demo::DemoSummary,
) -> BoxFuture<'a, Result<(), StoreError>>;

/// Who reads figures and due items: the scope of a capability, or the whole installation
/// for the system (the reminder scan). Made only from a [`Cap`] or a [`SystemCap`].
#[derive(Clone, Debug)]
pub struct Reach {
    scope: Scope,
    /// The account reading (`None` for the system): items that concern one person only
    /// (a ballot still to cast) are shown to that person and nobody else in scope.
    reader: Option<domain::ids::AccountId>,
}

impl Reach {
    /// The reach of any capability: figures and due items are read inside its scope.
    pub fn of<P: perm::Perm>(cap: &Cap<P>) -> Reach {
        Reach {
            scope: cap.scope().clone(),
            reader: Some(cap.account()),
        }
    }

    /// The whole installation, for background scans.
    pub fn system(_: &SystemCap) -> Reach {
        Reach {
            scope: Scope::All,
            reader: None,
        }
    }

    pub fn scope(&self) -> &Scope {
        &self.scope
    }

    /// The account reading, or `None` for the system's scan (which sends each personal
    /// item only to the person it concerns).
    pub fn reader(&self) -> Option<domain::ids::AccountId> {
        self.reader
    }
}

/// Computes an area's year figures for every school in reach, in a number of queries that
/// does not grow with the number of schools. Units without records may be left out (they
/// read as 0).
pub type FiguresFn =
    for<'a> fn(&'a Store, &'a Reach, i32) -> BoxFuture<'a, Result<Vec<FigureValue>, StoreError>>;

/// Finds an area's due items in reach as of `today` (open items, overdue included).
pub type DueFn =
    for<'a> fn(&'a Store, &'a Reach, NaiveDate) -> BoxFuture<'a, Result<Vec<DueItem>, StoreError>>;

/// What the store layer declares about an area.
pub struct Area {
    pub name: &'static str,
    pub coded: &'static [CodedColumn],
    pub encrypted: &'static [EncryptedColumn],
    /// Loads the area's year into the demo district (after every earlier area's).
    pub demo: Option<DemoFn>,
    /// The figures this area declares, and the function that computes them.
    pub figures: &'static [Figure],
    pub year_figures: Option<FiguresFn>,
    pub due_items: Option<DueFn>,
}

impl std::fmt::Debug for Area {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Area").field("name", &self.name).finish()
    }
}

impl Area {
    /// An area with nothing declared yet (each field is then set explicitly).
    pub const fn new(name: &'static str) -> Area {
        Area {
            name,
            coded: &[],
            encrypted: &[],
            demo: None,
            figures: &[],
            year_figures: None,
            due_items: None,
        }
    }
}

impl Area {
    /// What this declaration forgot or got wrong, each named: figures declared without the
    /// function that computes them (or the reverse), a figure whose key is not
    /// `figure-<area>-…`. Empty when complete. The area test runs it for every area and
    /// for a toy area.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        match (self.figures.is_empty(), self.year_figures.is_some()) {
            (false, false) => out.push(format!(
                "{}: figures are declared but year_figures is not set",
                self.name
            )),
            (true, true) => out.push(format!(
                "{}: year_figures is set but no figure is declared",
                self.name
            )),
            _ => {}
        }
        let prefix = format!("figure-{}-", self.name);
        for f in self.figures {
            if !f.key.starts_with(&prefix) {
                out.push(format!(
                    "{}: figure {} must start with {prefix}",
                    self.name, f.key
                ));
            }
        }
        out
    }
}

macro_rules! list {
    ($($a:ident),*) => {
        /// Every area's store declaration, in the order of [`domain::for_each_area!`].
        pub static AREAS: &[&Area] = &[$(&crate::$a::AREA),*];
    };
}
domain::for_each_area!(list);

/// Every area's figures for the schools in reach and a year: one call per area, whatever
/// the number of schools.
pub async fn year_figures(
    st: &Store,
    reach: &Reach,
    year: i32,
) -> Result<Vec<FigureValue>, StoreError> {
    let mut out = Vec::new();
    for a in AREAS {
        if let Some(f) = a.year_figures {
            out.extend(f(st, reach, year).await?);
        }
    }
    Ok(out)
}

/// Every area's due items in reach, soonest first.
pub async fn due_items(
    st: &Store,
    reach: &Reach,
    today: NaiveDate,
) -> Result<Vec<DueItem>, StoreError> {
    let mut out = Vec::new();
    for a in AREAS {
        if let Some(f) = a.due_items {
            out.extend(f(st, reach, today).await?);
        }
    }
    out.sort_by(|a, b| a.due.cmp(&b.due).then_with(|| a.key.cmp(&b.key)));
    Ok(out)
}

/// Every figure every area declares, in list order.
pub fn declared_figures() -> impl Iterator<Item = &'static Figure> {
    AREAS.iter().flat_map(|a| a.figures.iter())
}

/// The declaration of a figure by its key.
pub fn figure(key: &str) -> Option<&'static Figure> {
    AREAS
        .iter()
        .flat_map(|a| a.figures.iter())
        .find(|f| f.key == key)
}

/// Sums per-school values into one value per figure key (for a unit's total).
pub fn totals(values: &[FigureValue]) -> std::collections::BTreeMap<String, i64> {
    let mut out = std::collections::BTreeMap::new();
    for v in values {
        if figure(&v.key).is_some_and(|f| f.sum == domain::area::Summation::Sum) {
            *out.entry(v.key.clone()).or_insert(0) += v.value;
        }
    }
    out
}

/// One school's value of a figure (for an area's [`FiguresFn`]).
pub fn value(key: &str, unit: i64, year: i32, value: i64) -> FigureValue {
    FigureValue {
        key: key.to_string(),
        unit: OrgUnitId(unit),
        year,
        value,
    }
}

/// The instants school year `year` spans in Beijing time: from its first day (1 September)
/// up to, not including, the next year's first day.
pub fn year_instants(year: i32) -> (chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>) {
    let (from, to) = domain::congress::school_year_range(year);
    (
        crate::congress::meetings::beijing(from, chrono::NaiveTime::MIN),
        crate::congress::meetings::beijing(to + chrono::Duration::days(1), chrono::NaiveTime::MIN),
    )
}

/// Appends ` AND <column> >= <first instant> AND <column> < <next year's first>`: the
/// timestamps of school year `year`, in Beijing time.
pub fn push_in_year(sql: &mut crate::db::Sql, column: &'static str, year: i32) {
    let (from, to) = year_instants(year);
    sql.push(" AND ")
        .push(column)
        .push(" >= ")
        .bind(crate::db::Arg::Ts(from))
        .push(" AND ")
        .push(column)
        .push(" < ")
        .bind(crate::db::Arg::Ts(to));
}

/// The units `values` are about.
pub fn units(values: &[FigureValue]) -> Vec<OrgUnitId> {
    let mut u: Vec<OrgUnitId> = values.iter().map(|v| v.unit).collect();
    u.sort();
    u.dedup();
    u
}
