//! ID numbers, phones, roster dates (month-only `2003.06`, full-width digits, Excel
//! serials), days and amounts of money as typed. Nothing panics, and what parses comes
//! back the same from its own display form.
#![no_main]

use domain::org::{IdNumber, Phone, parse_date};
use domain::roster::parse_roster_date;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(id) = IdNumber::parse(s) {
        assert_eq!(IdNumber::parse(id.as_str()).ok(), Some(id.clone()));
        assert!(id.birth_date().is_some());
        assert_eq!(id.tail().len(), 4);
    }
    if let Ok(p) = Phone::parse(s) {
        assert_eq!(Phone::parse(p.as_str()).ok(), Some(p.clone()));
    }
    if let Ok(d) = parse_roster_date("date", s) {
        assert_eq!(parse_roster_date("date", &d.display()).ok(), Some(d));
    }
    if let Ok(d) = parse_date("date", s) {
        assert_eq!(parse_date("date", &d.to_string()).ok(), Some(d));
    }
    if let Ok(fen) = domain::funds::parse_fen("amount", s, false) {
        assert!(fen >= 0);
        assert_eq!(
            domain::funds::parse_fen("amount", &domain::funds::yuan(fen), false).ok(),
            Some(fen)
        );
    }
});
