//! Any bytes as a CSV export (any encoding, any delimiter): the reader must return records or
//! errors, never panic or hang.
#![no_main]

use libfuzzer_sys::fuzz_target;
use teczka::{CsvReader, ReadLimits, ReadOptions};

fuzz_target!(|data: &[u8]| {
    let options = ReadOptions {
        limits: ReadLimits {
            max_depth: 16,
            max_field_bytes: 4096,
            max_record_bytes: 65536,
            max_list_items: 8,
            ..ReadLimits::default()
        },
        ..ReadOptions::default()
    };
    let Ok(reader) = CsvReader::new(std::io::Cursor::new(data.to_vec()), "fuzz.csv", &options) else {
        return;
    };
    for record in reader {
        if record.is_err() {
            break;
        }
    }
});
