//! Spreadsheets in: workbooks written by teczka, by openpyxl and by hand (ODS) read as CSV is,
//! one sheet per entity, with cells as positions.

use crate::util::{fixture, Dir};

fn convert(dir: &Dir, inputs: &[&str], to: &str, out: &str, extra: &[&str]) -> crate::util::Run {
    let mut args = vec!["convert"];
    args.extend_from_slice(inputs);
    args.extend_from_slice(&["--to", to, "-o", out, "--today", "2025-09-01"]);
    args.extend_from_slice(extra);
    dir.run(&args)
}

#[test]
fn sheet_a_workbook_teczka_writes_reads_back_as_the_same_pupils() {
    let dir = Dir::new();
    let source = fixture("multi-file");
    convert(&dir, &[&source], "jsonl", "direct.jsonl", &[]).expect_code(0);
    convert(&dir, &[&source], "xlsx", "school.xlsx", &[]).expect_code(0);
    let run = convert(&dir, &["school.xlsx"], "jsonl", "back.jsonl", &[]).expect_code(0);
    assert!(run.summary().contains("records: in=1194 out=1194 rejected=0"), "{}", run.stderr());
    let direct = dir.read("direct.jsonl");
    assert_eq!(direct.lines().count(), 30);
    assert!(direct == dir.read("back.jsonl"), "CSV → XLSX → JSON Lines lost or changed data");
}

#[test]
fn sheet_an_openpyxl_workbook_with_numbers_and_serials_reads_as_its_csv() {
    let dir = Dir::new();
    let pupils = format!("pupils={}", fixture("multi-file/pupils.csv"));
    let grades = format!("grades={}", fixture("multi-file/grades.csv"));
    let workbook = fixture("xlsx/szkola-openpyxl.xlsx");
    // PESELs stored as numbers lost their leading zero: held back, as in CSV from Excel.
    let run = dir.run(&["validate", "--today", "2025-09-01", &workbook]).expect_code(1);
    let report = run.stdout() + &run.stderr();
    assert_eq!(report.matches("pesel-leading-zero: 10 digits").count(), 8, "{report}");
    assert!(report.contains("record 2 (sheet `Uczniowie`, row 3): pupil `P-000001`"), "{report}");
    assert!(!report.contains("7261687225"), "values never in messages: {report}");
    // Repaired, the workbook is the CSV export it was made from: serials became dates,
    // numbers lost no digit, Polish headers found their fields.
    let extra = ["--repair-pesel"];
    convert(&dir, &[&pupils, &grades], "jsonl", "csv.jsonl", &extra).expect_code(0);
    convert(&dir, &[&workbook], "jsonl", "xlsx.jsonl", &extra).expect_code(0);
    assert!(dir.read("csv.jsonl") == dir.read("xlsx.jsonl"), "the workbook read differently");
}

#[test]
fn sheet_an_ods_workbook_names_the_cell_of_a_bad_value() {
    let dir = Dir::new();
    let ods = fixture("xlsx/szkola.ods");
    let run = dir.run(&["validate", "--today", "2025-09-01", &ods]).expect_code(1);
    let report = run.stdout() + &run.stderr();
    let at = "szkola.ods: record 2 (Oceny!C3): pupil `P-000000`: field `grades[].kind`: type:";
    assert!(report.contains(at), "{report}");
    assert!(!report.contains("roczna?"), "values never in messages: {report}");
    let run = dir.run(&["validate", "--today", "2025-09-01", "--report", "json", &ods]);
    let report = run.expect_code(1).stdout();
    assert!(report.contains(r#""sheet":"Oceny","line":3,"cell":"Oceny!C3""#), "{report}");
    let run = convert(&dir, &[&ods], "jsonl", "p.jsonl", &["--repair-pesel"]).expect_code(1);
    assert!(run.summary().contains("in=98 out=94 rejected=4"), "{}", run.stderr());
    let pupils = dir.read("p.jsonl");
    assert!(pupils.contains(r#""pesel":"07261687225""#), "the float PESEL repaired: {pupils}");
    assert!(pupils.contains(r#""birth_date":"2007-06-16""#), "the date cell: {pupils}");
    let rejects = dir.read("p.jsonl.rejects.jsonl");
    assert_eq!(rejects.lines().count(), 4, "{rejects}");
    let row = r#""sheet":"Oceny","record":2,"line":3,"byte":0,"entity":"grades""#;
    assert!(rejects.contains(row), "a rejected row names its sheet and row: {rejects}");
}

#[test]
fn sheet_flag_reads_one_sheet_and_refuses_a_missing_one() {
    let dir = Dir::new();
    let workbook = fixture("xlsx/szkola-openpyxl.xlsx");
    let args = ["--repair-pesel", "--sheet", "Uczniowie"];
    let run = convert(&dir, &[&workbook], "jsonl", "p.jsonl", &args).expect_code(0);
    assert!(run.summary().contains("in=30 out=30"), "{}", run.stderr());
    assert!(!dir.read("p.jsonl").contains("\"grades\""));
    let run = dir.run(&["validate", "--sheet", "Arkusz1", &workbook]).expect_code(2);
    assert!(run.stderr().contains("no sheet `Arkusz1`: its sheets are `Uczniowie`, `Oceny`"));
}

#[test]
fn sheet_a_workbook_on_standard_input_or_in_disguise_is_refused_clearly() {
    let dir = Dir::new();
    dir.create("lista.xlsx", "nazwisko\nNowak\n");
    let run = dir.run(&["validate", "lista.xlsx"]).expect_code(2);
    assert!(run.stderr().contains("lista.xlsx: not a spreadsheet"), "{}", run.stderr());
    let mut cmd = dir.command(&["validate", "-"]);
    cmd.stdin(std::fs::File::open(fixture("xlsx/szkola.ods")).unwrap());
    let run = crate::util::Run(cmd.output().unwrap()).expect_code(2);
    assert!(run.stderr().contains("cannot be read from standard input"), "{}", run.stderr());
}

#[test]
fn sheet_export_risk_and_sar_read_a_workbook_as_they_read_csv() {
    let dir = Dir::new();
    let workbook = fixture("xlsx/szkola-openpyxl.xlsx");
    let mut export = dir.command(&[
        "export",
        &workbook,
        "--repair-pesel",
        "--policy",
        "transfer",
        "--passphrase-env",
        "P",
        "--today",
        "2025-09-01",
        "--source-organization",
        "SP 1",
        "-o",
        "t.zip.age",
    ]);
    export.env("P", "korytarz-jesien-parapet-42-Zebra");
    let run = crate::util::Run(export.output().unwrap()).expect_code(0);
    assert!(run.summary().contains("in=551 out=551 rejected=0"), "{}", run.stderr());
    let risk = ["risk", &workbook, "--repair-pesel", "--policy", "statistics"];
    let run = dir.run(&[&risk[..], &["--today", "2025-09-01"]].concat()).expect_code(0);
    assert!(run.stdout().contains("risk report: policy `statistics`"), "{}", run.stdout());
    let mut sar = dir.command(&[
        "sar",
        &workbook,
        "--subject-env",
        "S",
        "--controller",
        &fixture("sar/controller-pl.toml"),
        "--received",
        "2026-11-02",
        "--answered",
        "2026-11-20",
        "--source-organization",
        "SP 1",
        "--unencrypted",
        "-o",
        "sar.zip",
    ]);
    sar.env("S", "id:P-000001");
    let run = crate::util::Run(sar.output().unwrap()).expect_code(0);
    assert!(run.stderr().contains("found the subject as a pupil in 1 record"), "{}", run.stderr());
}
