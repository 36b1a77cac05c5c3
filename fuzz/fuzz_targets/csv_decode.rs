//! The CSV decoder: UTF-8 with or without BOM, UTF-16 with BOM, GB18030 otherwise. Any
//! bytes decode or are refused without a panic; text that decoded once decodes to itself
//! again from its UTF-8 form with a BOM.
#![no_main]

use libfuzzer_sys::fuzz_target;
use store::org::roster_file::decode_text;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = decode_text(data) {
        let mut again = vec![0xEF, 0xBB, 0xBF];
        again.extend_from_slice(text.as_bytes());
        assert_eq!(decode_text(&again).ok().as_deref(), Some(text.as_str()));
    }
});
