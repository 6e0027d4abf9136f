//! Any bytes as SOU-like XML: the reader must return records or errors, never panic or hang,
//! and reading in chunks must give exactly what one sequential read gives.
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
    // Everything given out, errors included, as text to compare.
    let outcome = |reader: XmlReader<&[u8]>| -> Vec<String> {
        reader.map(|item| format!("{item:?}")).collect()
    };
    let sequential = outcome(XmlReader::new(data, "fuzz.xml", &options).sequential());
    // Chunks of 1 to 64 bytes, so that cuts fall everywhere a small input has.
    let chunk = 1 + usize::from(data.first().copied().unwrap_or(0) % 64);
    let chunked = outcome(XmlReader::new(data, "fuzz.xml", &options).with_chunk_bytes(chunk));
    assert_eq!(chunked, sequential, "chunks of {chunk} bytes");
});
