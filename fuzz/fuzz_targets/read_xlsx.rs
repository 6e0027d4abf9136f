//! Any bytes as a spreadsheet (`.xlsx`, or `.ods`/`.xls` when the bytes say so), read the way
//! the command line reads one: every sheet, joined by entity. The reader must return records
//! or errors, never panic, hang or allocate without bound.
#![no_main]

use libfuzzer_sys::fuzz_target;
use teczka::{Input, ReadLimits, ReadOptions};

/// calamine panics on some damaged files (arithmetic overflow on a cell reference): teczka
/// catches those panics (the sheet's thread is joined, the workbook's opening is unwound) and
/// stops with a damaged-file error, which this target checks by going on. Any other panic
/// aborts, as libFuzzer's own hook would, and is a crash.
fn calamine_panics_are_errors() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        std::panic::set_hook(Box::new(|info| {
            let in_calamine = info.location().is_some_and(|l| l.file().contains("/calamine-"));
            if !in_calamine {
                eprintln!("{info}");
                std::process::abort();
            }
        }));
    });
}

fuzz_target!(|data: &[u8]| {
    calamine_panics_are_errors();
    // calamine reads a workbook from a seekable file: each input goes to this process's own.
    let path = std::env::temp_dir().join(format!("teczka-fuzz-{}.xlsx", std::process::id()));
    if std::fs::write(&path, data).is_err() {
        return;
    }
    let options = ReadOptions {
        limits: ReadLimits {
            max_depth: 16,
            max_field_bytes: 4096,
            max_record_bytes: 65536,
            max_list_items: 8,
            ..ReadLimits::default()
        },
        join_budget: 1 << 16,
        ..ReadOptions::default()
    };
    let inputs = [Input { path, entity: None }];
    let Ok(opened) = teczka::open(&inputs, &options) else {
        return;
    };
    for record in opened.records {
        if record.is_err() {
            break;
        }
    }
});
