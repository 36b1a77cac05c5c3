//! Store tests, one binary, organised by area. Every test runs on SQLite and PostgreSQL.

mod audit;
mod auth;
mod congress;
mod demo;
mod export;
mod forensic;
mod import;
mod keys;
mod members;
mod org;
mod outbox;
mod privacy;
mod reminders;
mod schema;
mod statute;
mod voting;
