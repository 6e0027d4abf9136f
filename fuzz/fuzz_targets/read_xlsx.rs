//! Any bytes as a spreadsheet (`.xlsx`, or `.ods`/`.xls` when the bytes say so), read the way
//! the command line reads one: every sheet, joined by entity. The reader must return records
//! or errors, never panic, hang or allocate without bound.
#![no_main]

use libfuzzer_sys::fuzz_target;
use teczka::read::{Input, Limits, ReadOptions};

fuzz_target!(|data: &[u8]| {
    // calamine reads a workbook from a seekable file: each input goes to this process's own.
    let path = std::env::temp_dir().join(format!("teczka-fuzz-{}.xlsx", std::process::id()));
    if std::fs::write(&path, data).is_err() {
        return;
    }
    let options = ReadOptions {
        limits: Limits {
            max_depth: 16,
            max_field_bytes: 4096,
            max_record_bytes: 65536,
            max_list_items: 8,
            ..Limits::default()
        },
        join_budget: 1 << 16,
        ..ReadOptions::default()
    };
    let inputs = [Input { path, entity: None }];
    let Ok(opened) = teczka::read::open(&inputs, &options) else {
        return;
    };
    for record in opened.records {
        if record.is_err() {
            break;
        }
    }
});
