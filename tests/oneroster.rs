//! OneRoster 1.2 CSV: the folder `convert --to oneroster` writes follows the binding's tables
//! (checked by an independent schema), reads back into the model, is deterministic, never
//! holds local ids under a pseudonymising policy, and says what it could not hold.

use crate::strategy::pupil;
use crate::util::{fixture, Dir};
use proptest::prelude::*;
use std::collections::BTreeMap;
use std::path::Path;
use teczka::oneroster::guardian_role;
use teczka::{Enrolment, Guardian, Input, OneRosterWriter, Pupil, ReadOptions, Sink};

const TODAY: &str = "2025-09-01";

/// The files of a OneRoster folder, by name.
fn files(dir: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        out.insert(name, std::fs::read_to_string(entry.path()).unwrap());
    }
    out
}

fn convert_sou(dir: &Dir, out: &str, extra: &[&str]) -> crate::util::Run {
    let input = fixture("sou/pupils.xml");
    let mut args = vec!["convert", &input, "--today", TODAY, "--to", "oneroster", "-o", out];
    args.extend(extra);
    let run = dir.run(&args);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    run
}

/// The independent check: `scripts/oneroster_check.py` against the schema of the tables.
fn schema_check(folder: &Path) -> (i32, String) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/oneroster_check.py");
    let out = std::process::Command::new("python3")
        .arg(script)
        .arg(folder)
        .output()
        .expect("python3 runs (the checker needs only its standard library)");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn the_folder_follows_the_binding_and_the_shipped_fixture_is_current() {
    let dir = Dir::new();
    let run = convert_sou(&dir, "or", &[]);
    let written = files(&dir.join("or"));
    let names: Vec<&str> = written.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "academicSessions.csv",
            "classes.csv",
            "courses.csv",
            "demographics.csv",
            "enrollments.csv",
            "manifest.csv",
            "orgs.csv",
            "roles.csv",
            "users.csv"
        ]
    );
    let (code, problems) = schema_check(&dir.join("or"));
    assert_eq!(code, 0, "the schema of the tables finds:\n{problems}");
    assert_eq!(written, files(Path::new(&fixture("oneroster"))), "regenerate fixtures/oneroster");
    // Nothing dropped silently: each field without a column is counted.
    let stderr = run.stderr();
    for line in [
        "teczka: oneroster: grades: 2042 values not written: OneRoster has no home for them",
        "teczka: oneroster: health: 108 values not written",
        "teczka: oneroster: pesel: 9 values not written: national ids go to userIds only",
        "teczka: oneroster: guardians.relation: 42 values not written",
    ] {
        assert!(stderr.contains(line), "{line}\n{stderr}");
    }
    assert!(stderr.trim_end().ends_with("records: in=25 out=25 rejected=0"), "{stderr}");
}

#[test]
fn two_runs_write_the_same_bytes() {
    let dir = Dir::new();
    convert_sou(&dir, "a", &[]);
    convert_sou(&dir, "b", &[]);
    assert_eq!(files(&dir.join("a")), files(&dir.join("b")));
}

/// What OneRoster holds of a pupil: the fields both sides of the round trip compare.
fn held(p: &Pupil, ids: bool) -> Pupil {
    let some = |v: &Option<String>| v.clone().filter(|v| !v.is_empty());
    let id_safe = |v: &Option<String>| {
        some(v).filter(|v| ids && !v.contains(['{', '}', ':', ',', '"', '\n', '\r']))
    };
    let enrolment = p.enrolment.as_ref().map(|e| {
        let class = some(&e.class_level).is_some() || some(&e.class_symbol).is_some();
        let school_id = some(&e.school_id);
        Enrolment {
            school_name: some(&e.school_name).filter(|n| Some(n) != school_id.as_ref()),
            school_id,
            class_level: some(&e.class_level),
            class_symbol: some(&e.class_symbol),
            admission_date: e.admission_date.filter(|_| class),
            leaving_date: e.leaving_date.filter(|_| class),
            ..Enrolment::default()
        }
    });
    let guardians = p
        .guardians
        .iter()
        .map(|g| Guardian {
            id: some(&g.id),
            relation: Some(guardian_role(g.relation.as_deref()).to_string()),
            surname: some(&g.surname),
            first_name: some(&g.first_name),
            phone: some(&g.phone),
            email: some(&g.email),
            ..Guardian::default()
        })
        .collect();
    let country = some(&p.birth_country)
        .filter(|c| c.len() == 2 && c.bytes().all(|b| b.is_ascii_uppercase()));
    Pupil {
        id: p.id.clone(),
        education_id: id_safe(&p.education_id),
        pesel: id_safe(&p.pesel),
        birth_number: id_safe(&p.birth_number),
        foreign_document: id_safe(&p.foreign_document),
        surname: some(&p.surname),
        first_name: some(&p.first_name),
        second_name: some(&p.second_name),
        sex: p.sex,
        birth_date: p.birth_date,
        birth_place: some(&p.birth_place),
        birth_country: country,
        guardians,
        enrolment: enrolment.filter(|e| *e != Enrolment::default()),
        ..Pupil::default()
    }
}

/// Read every pupil of a OneRoster folder, failing on any error-level problem.
fn read_folder(folder: &Path) -> Vec<Pupil> {
    let input = Input { path: folder.to_path_buf(), entity: None };
    let opened = teczka::open(&[input], &ReadOptions::default()).unwrap();
    opened
        .records
        .map(|r| {
            let record = r.expect("no read error");
            assert!(!record.is_rejected(), "problems: {:?}", record.problems);
            record.pupil
        })
        .collect()
}

#[test]
fn the_fixture_reads_back_to_what_oneroster_holds_of_the_sou_pupils() {
    let dir = Dir::new();
    let input = fixture("sou/pupils.xml");
    let run = dir.run(&["convert", &input, "--today", TODAY, "--to", "jsonl", "-o", "p.jsonl"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let original: Vec<Pupil> =
        dir.read("p.jsonl").lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let back = read_folder(Path::new(&fixture("oneroster")));
    let expected: Vec<Pupil> = original.iter().map(|p| held(p, false)).collect();
    assert_eq!(back, expected);
}

#[test]
fn dangling_references_are_rejected_with_file_line_and_column() {
    let dir = Dir::new();
    let input = fixture("broken/oneroster-dangling");
    let run = dir.run(&["validate", &input, "--today", TODAY]);
    assert_eq!(run.code(), 1, "{}", run.stderr());
    // The report goes to standard output, the summary line to standard error.
    let stderr = format!("{}{}", run.stdout(), run.stderr()).replace(&input, "F");
    for line in [
        "F/enrollments.csv: record 1 (line 2, byte 111): pupil `P-000000`: field `enrolment`: \
         orphan: enrollments.csv column 4 `classSourcedId`: names a class not in classes.csv",
        "F/users.csv: record 3 (line 4, byte 664): pupil `P-000001`: field `guardians`: orphan: \
         column 14 `agentSourcedIds`: names a user not in users.csv",
        "F/demographics.csv: record 3 (line 4, byte 450): pupil `P-000002`: field `birth_date`: \
         type: column 4 `birthDate`: not a date (YYYY-MM-DD)",
        "F/users.csv: record 8 (line 9, byte 1769): field `id`: orphan: a parent or guardian no \
         student names in `agentSourcedIds`",
        "F/enrollments.csv: record 4 (line 5, byte 627): field `id`: orphan: column 6 \
         `userSourcedId`: names a user not in users.csv",
    ] {
        assert!(stderr.contains(line), "{line}\n{stderr}");
    }
    assert!(stderr.trim_end().ends_with("records: in=15 out=0 rejected=15"), "{stderr}");
    // The independent checker finds the same dangling references.
    let (code, problems) = schema_check(Path::new(&input));
    assert_eq!(code, 1);
    assert!(problems.contains("enrollments.csv:2: column 4 `classSourcedId`"), "{problems}");
}

#[test]
fn a_pseudonymising_policy_gives_uuids_of_keyed_pseudonyms_and_no_local_id() {
    let dir = Dir::new();
    let key = dir.join("k.key").display().to_string();
    assert_eq!(dir.run(&["keygen", "-o", &key]).code(), 0);
    let research = fixture("policies/research.toml");
    convert_sou(&dir, "plain", &[]);
    convert_sou(&dir, "pseudo", &["--policy", &research, "--key", &key]);
    convert_sou(&dir, "again", &["--policy", &research, "--key", &key]);
    let users = dir.read("pseudo/users.csv");
    assert!(!users.contains("P-0000"), "a local pupil id in users.csv:\n{users}");
    let first_id = |text: &str| text.lines().nth(1).unwrap().split(',').next().unwrap().to_string();
    assert_ne!(first_id(&users), first_id(&dir.read("plain/users.csv")));
    assert_eq!(users, dir.read("again/users.csv"), "the same key gives the same sourcedIds");
    // The research policy removes names, which the binding requires: the only findings.
    let (_, problems) = schema_check(&dir.join("pseudo"));
    let named = |l: &&str| {
        l.ends_with("`givenName`: required, empty") || l.ends_with("`familyName`: required, empty")
    };
    assert!(problems.lines().all(|l| named(&l)), "{problems}");
}

#[test]
fn an_anonymised_release_is_refused_and_nothing_is_written() {
    let dir = Dir::new();
    crate::util::generate_jsonl(&dir, &["-n", "400"], "g.jsonl");
    let args = ["convert", "g.jsonl", "--policy", "statistics", "--to", "oneroster", "-o", "st"];
    let run = dir.run(&args);
    assert_ne!(run.code(), 0);
    assert!(
        run.stderr().contains("needs a policy that keeps or pseudonymises `id`"),
        "{}",
        run.stderr()
    );
    assert!(!dir.join("st").exists());
}

#[test]
fn oneroster_on_standard_output_is_refused() {
    let dir = Dir::new();
    let input = fixture("sou/pupils.xml");
    let run = dir.run(&["convert", &input, "--to", "oneroster", "-o", "-"]);
    assert_ne!(run.code(), 0);
    assert!(run.stderr().contains("give -o a folder name"), "{}", run.stderr());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// model → OneRoster → model keeps every field OneRoster holds.
    #[test]
    fn oneroster_round_trip(pupils in proptest::collection::vec(pupil(), 1..4)) {
        let dir = tempfile::tempdir().unwrap();
        let today = chrono::NaiveDate::from_ymd_opt(2025, 9, 1).unwrap();
        let mut writer = OneRosterWriter::create(dir.path(), today).unwrap().national_ids(true);
        // Ids are unique in a real export: the sourcedIds are derived from them.
        let pupils: Vec<Pupil> = pupils
            .into_iter()
            .enumerate()
            .map(|(i, mut p)| {
                p.id = format!("P{i}");
                for (j, g) in p.guardians.iter_mut().enumerate() {
                    g.id = g.id.take().map(|id| format!("G{j}-{id}"));
                }
                p
            })
            .collect();
        for p in &pupils {
            writer.write(p.into()).unwrap();
        }
        writer.finish().unwrap();
        let back = read_folder(dir.path());
        let expected: Vec<Pupil> = pupils.iter().map(|p| held(p, true)).collect();
        prop_assert_eq!(back, expected);
    }
}

#[test]
fn an_export_holds_the_folder_in_records_oneroster() {
    let dir = Dir::new();
    let input = fixture("sou/pupils.xml");
    let mut cmd = dir.command(&[
        "export",
        &input,
        "--policy",
        "transfer",
        "--formats",
        "jsonl,oneroster",
        "--today",
        TODAY,
        "--zip-aes-env",
        "TECZKA_TEST_PASS",
        "-o",
        "a.zip",
    ]);
    let out = cmd.env("TECZKA_TEST_PASS", "Wrzos-Kamien-Lodka-77-Zegar!").output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("teczka: oneroster: grades: 2042 values not written"), "{stderr}");
    let file = std::fs::File::open(dir.join("a.zip")).unwrap();
    let mut archive = zip::ZipArchive::new(file).unwrap();
    let names: Vec<String> = (0..archive.len())
        .map(|i| archive.by_index_raw(i).unwrap().name().unwrap().into_owned())
        .collect();
    for name in ["a/data/records/oneroster/manifest.csv", "a/data/records/oneroster/users.csv"] {
        assert!(names.iter().any(|n| n == name), "{name}: {names:?}");
    }
}
