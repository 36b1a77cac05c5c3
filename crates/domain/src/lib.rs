//! Pure rules and types of Jiaogong: typed ids, value types parsed from what people type,
//! the permission policy and its capability values, masking, audit chaining and the
//! versioned rule sets.
//!
//! This crate does no IO: no database, no HTTP, no files, no clock reads except where a
//! caller passes the time in. Everything here is unit-tested without a database.
#![deny(clippy::unwrap_used, clippy::expect_used)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod activity;
pub mod area;
pub mod assessment;
pub mod assistance;
pub mod audit;
pub mod auth;
pub mod commendations;
pub mod congress;
pub mod contests;
pub mod correspondent;
pub mod elections;
pub mod error;
pub mod funds;
pub mod ids;
pub mod kit;
pub mod notify;
pub mod org;
pub mod outbox;
pub mod pinyin;
pub mod privacy;
pub mod proposals;
pub mod rights;
pub mod roster;
pub mod rules;
pub mod text;
pub mod voting;
pub mod work_plan;
pub mod work_summary;

pub use error::{FieldError, FieldErrors};
