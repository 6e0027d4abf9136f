//! Any bytes as a OneRoster folder: the input is cut at `0xFF` bytes into `manifest.csv`,
//! `users.csv`, `roles.csv`, `enrollments.csv`, `demographics.csv`, `classes.csv`,
//! `courses.csv`, `orgs.csv` and `academicSessions.csv` (an empty first part stands for a valid
//! manifest, so the fuzzer reaches the tables). The reader must return records or errors,
//! never panic or hang.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::io::{Cursor, Read};
use std::sync::Arc;
use teczka::oneroster::Opener;
use teczka::{OneRosterReader, ReadLimits};

const STEMS: [&str; 9] = [
    "manifest",
    "users",
    "roles",
    "enrollments",
    "demographics",
    "classes",
    "courses",
    "orgs",
    "academicSessions",
];

const MANIFEST: &[u8] = b"propertyName,value\noneroster.version,1.2\nfile.users,bulk\n";

fuzz_target!(|data: &[u8]| {
    let mut parts: Vec<Vec<u8>> = data.split(|b| *b == 0xFF).map(<[u8]>::to_vec).collect();
    if parts.first().is_some_and(Vec::is_empty) {
        parts[0] = MANIFEST.to_vec();
    }
    let parts = Arc::new(parts);
    let opener: Opener = Arc::new(move |stem: &str| {
        let index = STEMS.iter().position(|s| *s == stem);
        let part = index.and_then(|i| parts.get(i)).cloned();
        Ok(part.map(|bytes| Box::new(Cursor::new(bytes)) as Box<dyn Read + Send>))
    });
    let limits =
        ReadLimits { max_field_bytes: 4096, max_record_bytes: 65536, ..ReadLimits::default() };
    let Ok(reader) = OneRosterReader::new("fuzz", opener, limits) else {
        return;
    };
    for record in reader {
        if record.is_err() {
            break;
        }
    }
});
