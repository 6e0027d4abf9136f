//! Aggregate tables (`convert --to tables`): no published count below k, no hidden count
//! recoverable from the margins (solved by `scripts/tables_check.py` with numpy, not by
//! teczka), and the page renders in a real browser.

use crate::util::Dir;
use std::path::Path;
use std::process::Command;

/// Run the independent margin solver on one published table; `None` where numpy is missing
/// (CI has it, with pycanon's pandas, and sets TECZKA_REQUIRE_PYCANON).
fn solve_margins(table: &Path) -> Option<(i32, String)> {
    if !crate::util::has_python_module("numpy") {
        return None;
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/tables_check.py");
    let out = Command::new("python3").arg(script).arg(table).args(["--k", "5"]).output().unwrap();
    Some((out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned()))
}

#[test]
fn tables_hide_small_counts_and_nothing_hidden_can_be_recomputed_from_the_totals() {
    let dir = Dir::new();
    crate::util::generate_jsonl(
        &dir,
        &["-n", "3000", "--seed", "1", "--detail", "full"],
        "pupils.jsonl",
    );
    let run = dir.run(&[
        "convert",
        "pupils.jsonl",
        "--policy",
        "statistics",
        "--to",
        "tables",
        "-o",
        "gmina",
    ]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert!(run.stderr().contains("records: in=3000 out=3000"), "{}", run.stderr());
    let pupils = dir.read("gmina/pupils-by-commune.csv");
    assert!(
        pupils.starts_with("addresses[].commune,enrolment.class_level,sex=female,sex=male,total")
    );
    let grand: u64 = pupils.lines().last().unwrap().rsplit(',').next().unwrap().parse().unwrap();
    assert_eq!(grand, 3000, "every pupil is counted once");
    for table in ["pupils-by-commune", "special-needs-by-commune"] {
        let text = dir.read(&format!("gmina/{table}.csv"));
        assert!(text.contains(",x"), "{table} hides something");
        let Some((code, result)) = solve_margins(&dir.join(&format!("gmina/{table}.csv"))) else {
            return;
        };
        assert_eq!(code, 0, "{table}: {result}");
    }
    // The solver itself fails a table where a hidden cell is the total minus the rest.
    dir.create(
        "leaky.csv",
        "commune,sex=f,sex=m,total\r\nA,7,x,9\r\nB,6,8,14\r\ntotal,13,10,23\r\n",
    );
    let (code, result) = solve_margins(&dir.join("leaky.csv")).unwrap();
    assert_eq!(code, 1, "{result}");
    assert!(result.contains("\"recoverable\": [[0, 1]]"), "{result}");

    let Some(page) = crate::browser::render(&dir.join("gmina/tables.html"), "tables") else {
        eprintln!("skipped: chromium not installed");
        return;
    };
    for needle in ["Pupils by commune, class level and sex", "Mean final grade by school", "x"] {
        assert!(page.visible_text.contains(needle), "not visible: {needle}");
    }
}

#[test]
fn tables_need_a_policy_that_declares_them() {
    let dir = Dir::new();
    let input = crate::util::fixture("jsonl/zaci.jsonl");
    let run = dir.run(&["convert", &input, "--policy", "transfer", "--to", "tables", "-o", "t"]);
    assert_eq!(run.code(), 2, "{}", run.stderr());
    assert!(run.stderr().contains("declares no [[tables]]"), "{}", run.stderr());
    assert!(!dir.join("t").exists());
    dir.create(
        "bad.toml",
        "[policy]\nname = \"t\"\npurpose = \"other\"\n[fields]\n\"*\" = \"drop\"\n\
         [[tables]]\nname = \"a\"\ndimensions = [\"sex\"]\nmeasure = \"median:sex\"\n",
    );
    let run = dir.run(&["policy", "check", "bad.toml"]);
    assert_eq!(run.code(), 2);
    assert!(run.stderr().contains("table `a`: measure `median:sex`"), "{}", run.stderr());
}

#[test]
fn a_statistics_archive_can_carry_the_tables_and_verifies() {
    let dir = Dir::new();
    crate::util::generate_jsonl(
        &dir,
        &["-n", "300", "--seed", "2", "--detail", "full"],
        "pupils.jsonl",
    );
    let run = dir.run(&[
        "export",
        "pupils.jsonl",
        "--policy",
        "statistics",
        "--formats",
        "jsonl,tables",
        "--unencrypted",
        "-o",
        "gmina.zip",
    ]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert_eq!(dir.run(&["verify", "gmina.zip"]).code(), 0);
    let out = Command::new("unzip")
        .args(["-p"])
        .arg(dir.join("gmina.zip"))
        .arg("gmina/data/records/tables/pupils-by-commune.csv")
        .output()
        .unwrap();
    let table = String::from_utf8_lossy(&out.stdout);
    // Tables count every pupil as read, those the record release suppressed too.
    assert!(table.trim_end().ends_with(",300"), "{table}");
}
