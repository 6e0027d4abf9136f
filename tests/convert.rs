//! `convert` end to end: lossless chains between formats, the XSD, nothing lost.

use crate::util::{fixture, Dir};
use std::process::Command;

/// Convert `input` to `to`, returning the run; output is `out` inside `dir`.
fn convert(dir: &Dir, input: &str, to: &str, out: &str, extra: &[&str]) -> crate::util::Run {
    let mut args = vec!["convert", input, "--to", to, "-o", out, "--today", "2025-09-01"];
    args.extend_from_slice(extra);
    dir.run(&args)
}

#[test]
fn csv_to_xml_to_csv_to_jsonl_equals_csv_to_jsonl() {
    let dir = Dir::new();
    let source = fixture("multi-file");
    convert(&dir, &source, "jsonl", "direct.jsonl", &[]).expect_code(0);
    convert(&dir, &source, "sou", "a.xml", &[]).expect_code(0);
    convert(
        &dir,
        "a.xml",
        "csv",
        "b",
        &["--no-formula-guard", "--out-delimiter", ";", "--out-encoding", "windows-1250"],
    )
    .expect_code(0);
    convert(&dir, "b", "jsonl", "chain.jsonl", &[]).expect_code(0);
    let direct = dir.read("direct.jsonl");
    assert_eq!(direct.lines().count(), 30);
    assert!(
        direct == dir.read("chain.jsonl"),
        "the chain CSV → XML → CSV (cp1250) → JSON Lines lost or changed data"
    );
}

#[test]
fn legacy_excel_csv_converts_with_diacritics_intact() {
    let dir = Dir::new();
    let run = convert(
        &dir,
        &fixture("csv2sou/uczniowie-cp1250.csv"),
        "jsonl",
        "out.jsonl",
        &["--repair-pesel"],
    );
    assert_eq!(run.expect_code(0).summary(), "records: in=6 out=6 rejected=0");
    let out = dir.read("out.jsonl");
    assert!(out.contains("\"surname\":\"Żółkiewska\",\"first_name\":\"Łucja\""), "{out}");
    assert!(
        out.contains("\"pesel\":\"05221421151\""),
        "the Excel-stripped zero is restored with --repair-pesel"
    );
    assert!(out.contains("\"birth_date\":\"2012-03-07\""), "DD.MM.YYYY dates become ISO dates");
}

#[test]
fn every_row_of_a_broken_export_is_in_the_output_or_the_rejects() {
    let dir = Dir::new();
    let run = convert(&dir, &fixture("broken/orphans"), "jsonl", "out.jsonl", &[]).expect_code(1);
    assert_eq!(run.summary(), "records: in=6 out=2 rejected=4");
    let rejects = dir.read("out.jsonl.rejects.jsonl");
    let lines: Vec<serde_json::Value> =
        rejects.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(
        lines.len(),
        4,
        "pupil O-2 (2 rows: pupil and bad grade + its good grade) and orphan O-9"
    );
    let by_origin: Vec<(String, u64, String)> = lines
        .iter()
        .map(|l| {
            (
                l["source"].as_str().unwrap().rsplit('/').next().unwrap().to_string(),
                l["line"].as_u64().unwrap(),
                l["reasons"][0]["rule"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(by_origin.contains(&("grades.csv".into(), 5, "type".into())), "{by_origin:?}");
    assert!(by_origin.contains(&("grades.csv".into(), 3, "orphan".into())), "{by_origin:?}");
    assert!(
        by_origin.contains(&("pupils.csv".into(), 3, "linked-rejection".into())),
        "{by_origin:?}"
    );
    assert!(
        by_origin.contains(&("grades.csv".into(), 4, "linked-rejection".into())),
        "{by_origin:?}"
    );
    assert_eq!(
        dir.read("out.jsonl").lines().count(),
        1,
        "only pupil O-1 (with its grade) goes through"
    );
}

#[test]
fn xml_written_for_every_fixture_is_valid_against_the_shipped_xsd() {
    let Some(xmllint) = xmllint() else { return };
    let dir = Dir::new();
    let xsd = concat!(env!("CARGO_MANIFEST_DIR"), "/schemas/pupils.xsd");
    let inputs = [
        ("csv2sou/uczniowie-cp1250.csv", vec![]),
        ("csv2sou/uczniowie-utf8-bom.csv", vec![]),
        ("csv2sou/uczniowie-iso8859-2.tsv", vec![]),
        ("multi-file", vec![]),
        ("mapping", vec!["--mapping", "MAPPING"]),
        ("sou/pupils.xml", vec![]),
        ("jsonl/zaci.jsonl", vec![]),
        ("broken/damaged.jsonl", vec![]),
    ];
    let mapping = fixture("mapping/mapping.toml");
    for (n, (input, extra)) in inputs.iter().enumerate() {
        let out = format!("out{n}.xml");
        let extra: Vec<&str> =
            extra.iter().map(|a| if *a == "MAPPING" { mapping.as_str() } else { a }).collect();
        let run = convert(&dir, &fixture(input), "sou", &out, &extra);
        assert!(run.code() <= 1, "{input}: {}", run.stderr());
        let lint = Command::new(&xmllint)
            .args(["--noout", "--schema", xsd])
            .arg(dir.join(&out))
            .output()
            .unwrap();
        assert!(
            lint.status.success(),
            "{input}: xmllint: {}",
            String::from_utf8_lossy(&lint.stderr)
        );
    }
}

/// xmllint, required where `TECZKA_REQUIRE_XMLLINT` is set (`.ci/run` sets it and installs
/// xmllint) and skipped with a note elsewhere.
pub(crate) fn xmllint() -> Option<std::path::PathBuf> {
    let found = Command::new("xmllint").arg("--version").output().is_ok();
    if !found && std::env::var_os("TECZKA_REQUIRE_XMLLINT").is_some() {
        panic!("xmllint is missing: .ci/run installs libxml2-utils");
    }
    if !found {
        eprintln!("note: xmllint not found, XSD check skipped (install libxml2-utils)");
    }
    found.then(|| "xmllint".into())
}

#[test]
fn csv_output_for_spreadsheets_neutralises_formulas_by_default() {
    let dir = Dir::new();
    dir.create("in.jsonl", "{\"id\":\"F1\",\"surname\":\"=HYPERLINK(\\\"http://x\\\")\",\"first_name\":\"@SUM(A1)\"}\n");
    convert(&dir, "in.jsonl", "csv", "out", &[]).expect_code(0);
    let pupils = dir.read("out/pupils.csv");
    assert!(pupils.contains("'=HYPERLINK"), "{pupils}");
    assert!(pupils.contains("'@SUM(A1)"), "{pupils}");
    convert(&dir, "in.jsonl", "csv", "raw", &["--no-formula-guard"]).expect_code(0);
    assert!(!dir.read("raw/pupils.csv").contains("'="));
}

/// Spreadsheets re-break PESELs read from CSV (issue 14); in the XLSX output every PESEL is a
/// text cell that openpyxl — not teczka — reads back with its leading zero, dates are dates.
#[test]
fn xlsx_output_keeps_every_pesel_as_text_read_back_by_openpyxl() {
    if !crate::util::has_python_module("openpyxl") {
        return;
    }
    let dir = Dir::new();
    crate::util::generate_jsonl(&dir, &["-n", "2000", "--seed", "21"], "p.jsonl");
    dir.run(&["convert", "p.jsonl", "--to", "xlsx", "-o", "p.xlsx"]).expect_code(0);
    let expected: Vec<String> = dir
        .read("p.jsonl")
        .lines()
        .map(|line| {
            let pupil: serde_json::Value = serde_json::from_str(line).unwrap();
            pupil["pesel"].as_str().unwrap_or_default().to_string()
        })
        .collect();
    assert!(expected.iter().filter(|p| p.starts_with('0')).count() > 100, "too few zeros to test");
    let script = "import openpyxl, sys, datetime\n\
                  ws = openpyxl.load_workbook(sys.argv[1], read_only=True)['pupils']\n\
                  rows = ws.iter_rows(values_only=True)\n\
                  header = next(rows)\n\
                  p, b = header.index('pesel'), header.index('birth_date')\n\
                  for row in rows:\n\
                  \u{20}   assert row[b] is None or isinstance(row[b], datetime.datetime), row[b]\n\
                  \u{20}   print('' if row[p] is None else row[p] if isinstance(row[p], str) else 'NUMBER')\n";
    let out = std::process::Command::new("python3")
        .args(["-c", script, dir.join("p.xlsx").to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let read_back: Vec<String> =
        String::from_utf8(out.stdout).unwrap().lines().map(str::to_string).collect();
    assert_eq!(read_back, expected);
}
