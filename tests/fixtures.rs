//! Data-driven cases over `fixtures/`: each runs `teczka validate` on a fixture and compares
//! the whole output (report, stderr, exit code) with `fixtures/expected/<case>.txt`.
//!
//! After an intended change of output, regenerate with `TECZKA_BLESS=1 cargo test fixtures`
//! and read the diff before committing it.

use crate::util::fixture;
use std::process::Command;

/// Every case runs with a fixed "today" so that date checks never depend on the clock.
const TODAY: &str = "2025-09-01";

fn check(case: &str, args: &[&str], code: i32) {
    let output = Command::new(env!("CARGO_BIN_EXE_teczka"))
        .current_dir(fixture(""))
        .arg("validate")
        .args(args)
        .args(["--today", TODAY])
        .output()
        .expect("run teczka");
    let actual = format!(
        "{}--- stderr\n{}--- exit {}\n",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
        output.status.code().unwrap_or(-1)
    );
    let path = fixture(&format!("expected/{case}.txt"));
    if std::env::var_os("TECZKA_BLESS").is_some() {
        std::fs::write(&path, &actual).expect("bless");
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{path}: {e} (bless with TECZKA_BLESS=1)"));
    if expected != actual {
        panic!(
            "{case}: output differs from {path}\n--- expected\n{expected}\n--- actual\n{actual}"
        );
    }
    assert_eq!(output.status.code(), Some(code), "{case}: exit code");
}

macro_rules! case {
    ($name:ident, [$($arg:expr),* $(,)?], exit $code:expr) => {
        #[test]
        fn $name() {
            check(stringify!($name), &[$($arg),*], $code);
        }
    };
}

case!(csv2sou_cp1250_semicolon_crlf, ["csv2sou/uczniowie-cp1250.csv"], exit 1);
case!(csv2sou_cp1250_repaired, ["csv2sou/uczniowie-cp1250.csv", "--repair-pesel"], exit 0);
case!(csv2sou_utf8_bom_comma, ["csv2sou/uczniowie-utf8-bom.csv"], exit 0);
case!(csv2sou_iso8859_2_tab, ["csv2sou/uczniowie-iso8859-2.tsv"], exit 0);
case!(multi_file_export, ["multi-file"], exit 0);
case!(vendor_layout_with_mapping, ["mapping", "--mapping", "mapping/mapping.toml"], exit 0);
case!(sou_xml, ["sou/pupils.xml"], exit 0);
case!(xlsx_openpyxl_workbook, ["xlsx/szkola-openpyxl.xlsx"], exit 1);
case!(xlsx_openpyxl_repaired, ["xlsx/szkola-openpyxl.xlsx", "--repair-pesel"], exit 0);
case!(ods_by_hand, ["xlsx/szkola.ods"], exit 1);
case!(jsonl_czech, ["jsonl/zaci.jsonl"], exit 0);
case!(matrika_register, ["matrika/matrika.xml"], exit 0);
case!(broken_values_and_ragged_rows, ["broken/bad-values.csv"], exit 1);
case!(broken_orphan_rows, ["broken/orphans"], exit 1);
case!(broken_damaged_records, ["broken/damaged.jsonl"], exit 1);
case!(broken_doctype, ["broken/doctype.xml"], exit 2);
case!(broken_truncated_xml, ["broken/truncated.xml"], exit 2);
case!(broken_matrika_codes, ["broken/matrika-bad-codes.xml"], exit 1);
case!(json_report, ["broken/bad-values.csv", "--report", "json"], exit 1);
