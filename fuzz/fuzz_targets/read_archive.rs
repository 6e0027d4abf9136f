//! Any bytes as a teczka archive: opening must refuse or accept, verifying must return
//! findings or an error — never panic, hang or allocate without bound.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::io::Cursor;
use std::path::Path;
use teczka::{verify_bag, ArchiveLimits, SafeArchive};

fuzz_target!(|data: &[u8]| {
    let limits = ArchiveLimits {
        max_entries: 64,
        max_entry_bytes: 1 << 20,
        max_total_bytes: 4 << 20,
        max_ratio: 100,
    };
    let cursor = Cursor::new(data.to_vec());
    let Ok(mut archive) = SafeArchive::open_reader(cursor, Path::new("fuzz.zip"), &limits, None)
    else {
        return;
    };
    let _ = verify_bag(&mut archive);
});
