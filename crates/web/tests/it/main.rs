//! HTTP tests: the whole application in process, on SQLite and PostgreSQL.

mod a11y;
mod activity;
mod api;
mod areas;
mod assessment;
mod assistance;
mod auth;
mod boundary;
mod commendations;
mod congress;
mod contests;
mod dashboard;
mod elections;
mod enums;
mod funds;
mod i18n;
mod import;
mod matrix;
mod members;
mod metrics;
mod notify;
mod rights;
mod security;
mod statute;
mod voting;
mod yearbook;
