//! `teczka import --to csv --mapping`: an archive written into a vendor's own CSV layout, and
//! read back with the same mapping file (the property that makes a mapping two-way).

use crate::util::{fixture, Dir, Run};
use std::fs;

const EPOCH: &str = "1767225600"; // 2026-01-01
const PASS: &str = "Correct-Horse-42-Battery";

/// Export `input` (read with `extra` flags) into the passphrase-encrypted `t.zip.age`.
fn export(dir: &Dir, input: &str, extra: &[&str]) {
    let args = [&["export", input][..], extra, &["--policy", "transfer"]].concat();
    let args = [&args[..], &["--passphrase-env", "P", "-o", "t.zip.age"]].concat();
    let mut cmd = dir.command(&args);
    cmd.env("P", PASS).env("SOURCE_DATE_EPOCH", EPOCH);
    Run(cmd.output().expect("run teczka")).expect_code(0);
}

/// Run `import t.zip.age` with `args`.
fn import(dir: &Dir, args: &[&str]) -> Run {
    let args = [&["import", "t.zip.age", "--passphrase-env", "P"][..], args].concat();
    let mut cmd = dir.command(&args);
    cmd.env("P", PASS);
    Run(cmd.output().expect("run teczka"))
}

fn mapping() -> String {
    fixture("mapping/mapping.toml")
}

#[test]
fn the_vendor_layout_is_written_as_the_mapping_says_and_reads_back_to_the_same_records() {
    let dir = Dir::new();
    let mapping = mapping();
    export(&dir, &fixture("mapping"), &["--mapping", &mapping]);
    let run = import(&dir, &["--to", "csv", "--mapping", &mapping, "-o", "do_dziennika"]);
    let run = run.expect_code(0);
    assert!(run.stderr().contains("imported 2 pupils"), "{}", run.stderr());

    let mut names: Vec<String> = fs::read_dir(dir.join("do_dziennika"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["arkusz_ocen.csv", "lista_uczniow.csv"], "only the mapped files");

    // Windows-1250 and `;`, headers as written in the mapping, in its order.
    let pupils = fs::read(dir.join("do_dziennika/lista_uczniow.csv")).unwrap();
    let header: &[u8] = b"Nr ewidencyjny;Nazwisko ucznia;Imi\xEA ucznia;P\xB3e\xE6;Data urodzenia;\
        PESEL;Klasa;Ulica;Matka - nazwisko;Notatki sekretariatu\r\n";
    assert!(pupils.starts_with(header), "{}", String::from_utf8_lossy(&pupils));
    assert!(
        pupils.ends_with(b"\r\nM-2;Paw\xB3owski;Filip;male;2013-11-19;13311902554;6a;Ogrodowa 12/4;Paw\xB3owska;\r\n"),
        "ł is 0xB3 in Windows-1250; the column mapped to \"-\" is empty"
    );
    let grades = fs::read(dir.join("do_dziennika/arkusz_ocen.csv")).unwrap();
    assert_eq!(
        grades,
        b"Nr ucznia;Rok szkolny;Przedmiot nauczania;Ocena ko\xF1cowa\r\n\
          M-1;2024/2025;j\xEAzyk polski;5\r\nM-1;2024/2025;matematyka;4\r\n\
          M-2;2024/2025;matematyka;6\r\n"
    );

    // Read back with the same mapping: the records the archive holds.
    import(&dir, &["--to", "jsonl", "-o", "archive.jsonl"]).expect_code(0);
    let back = dir.run(&[
        "convert",
        "do_dziennika",
        "--mapping",
        &mapping,
        "--to",
        "jsonl",
        "-o",
        "back.jsonl",
    ]);
    back.expect_code(0);
    assert_eq!(dir.read("back.jsonl"), dir.read("archive.jsonl"));
}

#[test]
fn flags_override_the_mapping_and_formulas_are_neutralised() {
    let dir = Dir::new();
    let mapping = mapping();
    dir.create(
        "in/lista_uczniow.csv",
        "Nr ewidencyjny;Nazwisko ucznia;Imię ucznia;Płeć;Data urodzenia;PESEL;Klasa;Ulica;\
         Matka - nazwisko;Notatki sekretariatu\r\n\
         M-1;Nowak;Anna;K;03.05.2012;12250303442;7b;=HYPERLINK(\"http://x\");Nowak;\r\n",
    );
    dir.create("in/arkusz_ocen.csv", "Nr ucznia;Rok szkolny;Przedmiot nauczania;Ocena końcowa\r\n");
    export(&dir, "in", &["--mapping", &mapping]);
    let run = import(
        &dir,
        &[
            "--to",
            "csv",
            "--mapping",
            &mapping,
            "--out-encoding",
            "utf-8",
            "--out-delimiter",
            ",",
            "-o",
            "out",
        ],
    );
    run.expect_code(0);
    let pupils = dir.read("out/lista_uczniow.csv");
    assert!(pupils.starts_with("Nr ewidencyjny,Nazwisko ucznia,Imię ucznia,"), "{pupils}");
    assert!(pupils.contains(",7b,\"'=HYPERLINK(\"\"http://x\"\")\",Nowak,"), "{pupils}");
}

#[test]
fn values_the_layout_has_no_column_for_are_refused_by_name_or_dropped_when_asked() {
    let dir = Dir::new();
    let mapping = mapping();
    export(&dir, &fixture("multi-file"), &[]);
    let refused = import(&dir, &["--to", "csv", "--mapping", &mapping, "-o", "out"]);
    let refused = refused.expect_code(2);
    let message = refused.stderr();
    assert!(message.contains("mapping.toml: the layout has no column for"), "{message}");
    for field in [
        "[pupils.columns] `birth_country` (",
        "`birth_place` (",
        "`phone` (",
        "[attendance.columns] `date` (",
    ] {
        assert!(message.contains(field), "{field} missing from {message}");
    }
    assert!(message.contains("--drop-unmapped"), "{message}");
    assert!(!dir.join("out").exists(), "nothing is written when the import is refused");

    let dropped =
        import(&dir, &["--to", "csv", "--mapping", &mapping, "--drop-unmapped", "-o", "out"]);
    let dropped = dropped.expect_code(0);
    let stderr = dropped.stderr();
    assert!(stderr.contains("teczka: left out "), "{stderr}");
    assert!(stderr.contains("\n  birth_place: "), "{stderr}");
    assert!(dir.join("out/lista_uczniow.csv").exists());

    let wrong = import(&dir, &["--to", "jsonl", "--mapping", &mapping, "-o", "x.jsonl"]);
    assert!(wrong.expect_code(2).stderr().contains("use it with --to csv"));
}
