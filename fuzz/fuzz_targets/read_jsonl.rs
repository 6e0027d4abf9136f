//! Any bytes as JSON Lines: the reader must return records or errors, never panic or hang.
#![no_main]

use libfuzzer_sys::fuzz_target;
use teczka::{JsonlReader, ReadLimits, ReadOptions};

fuzz_target!(|data: &[u8]| {
    let options = ReadOptions { limits: ReadLimits { max_record_bytes: 4096, max_list_items: 8, ..ReadLimits::default() }, ..ReadOptions::default() };
    for record in JsonlReader::new(data, "fuzz.jsonl", &options) {
        if record.is_err() {
            break;
        }
    }
});
