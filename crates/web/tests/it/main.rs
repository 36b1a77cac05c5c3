//! HTTP tests: the whole application in process, on SQLite and PostgreSQL.

mod assistance;
mod auth;
mod boundary;
mod congress;
mod enums;
mod i18n;
mod import;
mod matrix;
mod members;
mod notify;
mod statute;
mod voting;
