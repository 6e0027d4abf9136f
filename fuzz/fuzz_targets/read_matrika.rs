//! Any bytes as a Czech školní matrika document: the reader must return records or errors,
//! never panic or hang.
#![no_main]

use libfuzzer_sys::fuzz_target;
use teczka::{matrika, ReadLimits, ReadOptions};

fuzz_target!(|data: &[u8]| {
    let options = ReadOptions {
        limits: ReadLimits {
            max_depth: 16,
            max_field_bytes: 4096,
            max_record_bytes: 65536,
            // Small, so the fuzzer reaches the record-too-large paths (repeated `<PO>`).
            max_list_items: 8,
            max_attributes: 4,
        },
        ..ReadOptions::default()
    };
    for record in matrika::reader(data, "fuzz.xml", &options) {
        if record.is_err() {
            break;
        }
    }
});
