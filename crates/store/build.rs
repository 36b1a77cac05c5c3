//! Rebuilds the store when a migration is added or changed: `sqlx::migrate!` embeds the
//! migration files at compile time, and without this a new file would be missing from a
//! binary built incrementally (the migration would silently not run).
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
