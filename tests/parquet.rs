//! Parquet output read back by pyarrow, an independent reader: every table, row and cell equal
//! to the JSON Lines output of the same records, typed columns where the release keeps types
//! and text columns where a policy released values as text; and Parquet inside an archive.

use crate::util::{fixture, has_python_module, Dir};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

/// `scripts/parquet_check.py FOLDER JSONL`: its JSON summary, `None` without pyarrow (CI
/// installs it and sets TECZKA_REQUIRE_PYCANON).
fn pyarrow_check(dir: &Dir, folder: &str, jsonl: &str) -> Option<serde_json::Value> {
    if !has_python_module("pyarrow") {
        return None;
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/parquet_check.py");
    let out = std::process::Command::new("python3")
        .arg(script)
        .arg(dir.join(folder))
        .arg(dir.join(jsonl))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    Some(serde_json::from_slice(&out.stdout).unwrap())
}

fn convert(dir: &Dir, to: &str, out: &str) {
    let input = fixture("multi-file");
    dir.run(&["convert", input.as_str(), "--to", to, "-o", out]).expect_code(0);
}

#[test]
fn every_cell_reads_back_as_the_json_lines_output_holds_it() {
    let dir = Dir::new();
    convert(&dir, "parquet", "pq");
    convert(&dir, "jsonl", "pupils.jsonl");
    let mode = |p: &str| std::fs::metadata(dir.join(p)).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode("pq"), 0o700);
    assert_eq!(mode("pq/pupils.parquet"), 0o600);
    let names: Vec<String> = std::fs::read_dir(dir.join("pq"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 14, "{names:?}");
    let bytes = std::fs::read(dir.join("pq/pupils.parquet")).unwrap();
    assert!(bytes.starts_with(b"PAR1") && bytes.ends_with(b"PAR1"));
    if let Some(summary) = pyarrow_check(&dir, "pq", "pupils.jsonl") {
        assert_eq!(summary["tables"], 14, "{summary}");
        assert_eq!(summary["rows"], 1194, "{summary}");
    }
}

#[test]
fn a_statistics_release_types_its_generalised_columns_as_text() {
    let dir = Dir::new();
    // One export run writes both, so the anonymised order is the same in each.
    let run = dir.run(&[
        "export",
        &fixture("multi-file"),
        "--policy",
        "statistics",
        "--unencrypted",
        "--formats",
        "jsonl,parquet",
        "-o",
        "gmina.zip",
    ]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let file = std::fs::File::open(dir.join("gmina.zip")).unwrap();
    let mut zip = zip::ZipArchive::new(file).unwrap();
    let names: Vec<String> =
        (0..zip.len()).map(|i| zip.by_index(i).unwrap().name().unwrap().into_owned()).collect();
    assert!(names.iter().any(|n| n.ends_with("data/records/parquet/pupils.parquet")), "{names:?}");
    zip.extract(dir.join("unzipped")).unwrap();
    let bag = std::fs::read_dir(dir.join("unzipped")).unwrap().next().unwrap().unwrap().path();
    let records = bag.join("data/records");
    let (folder, jsonl) = (records.join("parquet"), records.join("pupils.jsonl"));
    let (folder, jsonl) = (folder.to_str().unwrap(), jsonl.to_str().unwrap());
    if let Some(summary) = pyarrow_check(&dir, folder, jsonl) {
        assert!(summary["rows"].as_u64().unwrap() >= 30, "{summary}");
    }
    dir.run(&["verify", "gmina.zip"]).expect_code(0);
}

#[test]
fn parquet_is_a_folder_and_never_goes_to_standard_output() {
    let dir = Dir::new();
    let run = dir.run(&["convert", &fixture("multi-file"), "--to", "parquet", "-o", "-"]);
    assert_eq!(run.code(), 2, "{}", run.stderr());
    assert!(run.stderr().contains("give -o a folder name"), "{}", run.stderr());
}
