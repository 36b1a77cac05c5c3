//! The roster file reader on any bytes: .xlsx (with its unpacked-size check), .xls or
//! text. It may refuse a file; it must never panic, and every row it gives is numbered
//! in increasing order.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::ops::ControlFlow;
use store::org::roster_file;

fuzz_target!(|data: &[u8]| {
    let mut last = 0u32;
    let mut rows = 0usize;
    let _ = roster_file::read_rows(data, |(n, _cells)| {
        assert!(n > last || rows == 0, "row numbers go up");
        last = n;
        rows += 1;
        if rows > 10_000 {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    });
});
