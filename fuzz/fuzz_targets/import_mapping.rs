//! The import without its database: the file read, the header found among the first rows
//! and mapped to fields, every row validated (`store::org::import::check_offline`). It may
//! refuse a file; it must never panic, and its counts add up.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let today = chrono::NaiveDate::from_ymd_opt(2026, 9, 1).unwrap_or_default();
    if let Ok(c) = store::org::import::check_offline(data, today, 2_000) {
        assert!(c.valid + c.invalid + c.pending + c.masked <= c.rows);
        assert!(c.header_row >= 1);
    }
});
