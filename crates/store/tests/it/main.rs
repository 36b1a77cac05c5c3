//! Store tests, one binary, organised by area. Every test runs on SQLite and PostgreSQL.

mod activity;
mod assessment;
mod assistance;
mod audit;
mod auth;
mod bound;
mod congress;
mod contests;
mod demo;
mod elections;
mod export;
mod figures;
mod forensic;
mod funds;
mod import;
mod keys;
mod members;
mod org;
mod outbox;
mod privacy;
mod reminders;
mod rights;
mod schema;
mod statute;
mod voting;
mod yearbook;
