//! HTTP tests: the whole application in process, on SQLite and PostgreSQL.

mod auth;
mod congress;
mod i18n;
mod import;
mod matrix;
mod members;
mod notify;
mod voting;
