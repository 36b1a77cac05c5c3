//! The shared kit every area's domain module builds its types with: the typed-id macro
//! ([`id_types!`]) and the coded-enum macro ([`coded!`]). There is one copy of each; an
//! area never writes its own.
//!
//! This module holds macros only: no area's types, no rules, no IO.

/// Typed ids: each name becomes an `i64` newtype with `Display` and `FromStr`, so that one
/// kind of id can never be passed where another is expected.
macro_rules! id_types {
    ($($name:ident),* $(,)?) => {$(
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }

        impl std::str::FromStr for $name {
            type Err = std::num::ParseIntError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                s.trim().parse::<i64>().map($name)
            }
        }
    )*};
}
pub(crate) use id_types;

/// A coded enum ([`crate::org::Coded`]): variants with their stored code and the aliases
/// people write in spreadsheets; `KIND` names its catalogue keys (`enum-<kind>-<code>`).
macro_rules! coded {
    ($(#[$m:meta])* $name:ident, $kind:literal, { $($var:ident = $code:literal [$($alias:literal),*]),* $(,)? }) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($var),* }

        impl $crate::org::Coded for $name {
            const KIND: &'static str = $kind;
            fn all() -> &'static [Self] { &[$($name::$var),*] }
            fn code(self) -> &'static str { match self { $($name::$var => $code),* } }
            fn aliases(self) -> &'static [&'static str] {
                match self { $($name::$var => &[$($alias),*]),* }
            }
        }

        impl $name {
            pub fn as_str(self) -> &'static str { $crate::org::Coded::code(self) }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str($crate::org::Coded::code(*self))
            }
        }
    };
}
pub(crate) use coded;
