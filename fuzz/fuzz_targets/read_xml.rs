//! Any bytes as SOU-like XML: the reader must return records or errors, never panic or hang.
#![no_main]

use libfuzzer_sys::fuzz_target;
use teczka::{ReadLimits, ReadOptions, XmlReader};

fuzz_target!(|data: &[u8]| {
    let options = ReadOptions {
        limits: ReadLimits {
            max_depth: 16,
            max_field_bytes: 4096,
            max_record_bytes: 65536,
            // Small, so the fuzzer reaches the record-too-large paths.
            max_list_items: 8,
            max_attributes: 4,
        },
        ..ReadOptions::default()
    };
    for record in XmlReader::new(data, "fuzz.xml", &options) {
        if record.is_err() {
            break;
        }
    }
});
