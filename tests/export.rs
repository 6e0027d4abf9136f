//! `teczka export` and `teczka verify` end to end: determinism, encryption, tampering, what a
//! statistics archive leaves out, and an export killed midway.

use crate::util::{fixture, Dir, Run};
use std::fs;
use std::io::Read;
use std::time::{Duration, Instant};

const EPOCH: &str = "1767225600"; // 2026-01-01

fn export(dir: &Dir, args: &[&str]) -> Run {
    let mut cmd = dir.command(&[&["export", &fixture("multi-file")][..], args].concat());
    cmd.env("SOURCE_DATE_EPOCH", EPOCH);
    Run(cmd.output().expect("run teczka"))
}

fn entries(path: &std::path::Path) -> Vec<String> {
    let file = fs::File::open(path).unwrap();
    let mut zip = zip::ZipArchive::new(file).unwrap();
    (0..zip.len()).map(|i| zip.by_index(i).unwrap().name().unwrap().into_owned()).collect()
}

#[test]
fn the_same_input_and_policy_give_a_byte_identical_archive_that_verifies() {
    let dir = Dir::new();
    for out in ["a/stats.zip", "b/stats.zip"] {
        let run = export(&dir, &["--policy", "statistics", "--unencrypted", "-o", out]);
        assert_eq!(run.code(), 0, "{}", run.stderr());
    }
    assert_eq!(
        fs::read(dir.join("a/stats.zip")).unwrap(),
        fs::read(dir.join("b/stats.zip")).unwrap()
    );
    let names = entries(&dir.join("a/stats.zip"));
    for expected in [
        "stats/bagit.txt",
        "stats/bag-info.txt",
        "stats/manifest-sha512.txt",
        "stats/manifest-sha256.txt",
        "stats/tagmanifest-sha512.txt",
        "stats/data/README.txt",
        "stats/data/metadata/archive.json",
        "stats/data/records/pupils.xml",
        "stats/data/records/pupils.jsonl",
        "stats/data/records/csv/grades.csv",
        "stats/data/reports/validation.json",
        "stats/data/reports/risk.json",
        "stats/data/schemas/pupils.xsd",
        "stats/data/schemas/released.schema.json",
    ] {
        assert!(names.iter().any(|n| n == expected), "{expected} missing from {names:?}");
    }
    assert!(
        !names.iter().any(|n| n.contains("rejects")),
        "a statistics archive never carries the original records of rejects"
    );
    let verify = dir.run(&["verify", "a/stats.zip"]);
    assert_eq!(verify.code(), 0, "{}{}", verify.stdout(), verify.stderr());
    assert!(verify.stdout().contains("sound"));
}

#[test]
fn a_transfer_archive_must_be_encrypted_and_opens_with_the_recipients_identity() {
    let dir = Dir::new();
    let refused = export(&dir, &["--policy", "transfer", "-o", "t.zip"]);
    assert_eq!(refused.code(), 2);
    assert!(refused.stderr().contains("must be encrypted"), "{}", refused.stderr());
    assert!(!dir.join("t.zip").exists());
    // The preset's own `require_encryption` holds even against --unencrypted.
    let refused = export(&dir, &["--policy", "transfer", "--unencrypted", "-o", "t.zip"]);
    assert_eq!(refused.code(), 2);
    assert!(refused.stderr().contains("requires an encrypted archive"), "{}", refused.stderr());
    assert!(!dir.join("t.zip").exists());

    let keygen = dir.run(&["keygen", "--age", "-o", "vendor.age-id"]);
    assert_eq!(keygen.code(), 0, "{}", keygen.stderr());
    let recipient = keygen.stdout().trim().to_string();
    let run =
        export(&dir, &["--policy", "transfer", "--encrypt-to", &recipient, "-o", "t.zip.age"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let mut head = [0u8; 21];
    fs::File::open(dir.join("t.zip.age")).unwrap().read_exact(&mut head).unwrap();
    assert_eq!(&head, b"age-encryption.org/v1");
    let bytes = fs::read(dir.join("t.zip.age")).unwrap();
    assert!(!String::from_utf8_lossy(&bytes).contains("pupils.jsonl"), "names are hidden");
    let locked = dir.run(&["verify", "t.zip.age"]);
    assert_eq!(locked.code(), 2);
    assert!(locked.stderr().contains("--identity"), "{}", locked.stderr());
    let verify = dir.run(&["verify", "t.zip.age", "--identity", "vendor.age-id"]);
    assert_eq!(verify.code(), 0, "{}{}", verify.stdout(), verify.stderr());
}

#[test]
fn verify_names_a_changed_record_file() {
    let dir = Dir::new();
    let run = export(&dir, &["--policy", "statistics", "--unencrypted", "-o", "s.zip"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    // Rewrite the archive with one record file changed, everything else as it was.
    let mut source = zip::ZipArchive::new(fs::File::open(dir.join("s.zip")).unwrap()).unwrap();
    let mut target = zip::ZipWriter::new(fs::File::create(dir.join("tampered.zip")).unwrap());
    for i in 0..source.len() {
        let mut entry = source.by_index(i).unwrap();
        let name = entry.name().unwrap().into_owned();
        let options = zip::write::SimpleFileOptions::default();
        if entry.is_dir() {
            target.add_directory(name, options).unwrap();
            continue;
        }
        let mut data = Vec::new();
        entry.read_to_end(&mut data).unwrap();
        if name.ends_with("records/pupils.jsonl") {
            data.extend_from_slice(b"{\"id\":\"planted\"}\n");
        }
        target.start_file(name, options).unwrap();
        std::io::Write::write_all(&mut target, &data).unwrap();
    }
    target.finish().unwrap();
    let verify = dir.run(&["verify", "tampered.zip"]);
    assert_eq!(verify.code(), 1, "{}", verify.stdout());
    assert!(
        verify.stdout().contains("data/records/pupils.jsonl: sha512 checksum does not match"),
        "{}",
        verify.stdout()
    );
}

#[test]
fn an_export_killed_midway_leaves_nothing_under_the_final_name() {
    let dir = Dir::new();
    let generated = dir.run(&["generate", "-n", "20000", "--to", "jsonl", "-o", "big.jsonl"]);
    assert_eq!(generated.code(), 0);
    let mut child = dir
        .command(&[
            "export",
            "big.jsonl",
            "--policy",
            "statistics",
            "--unencrypted",
            "-o",
            "out/big.zip",
        ])
        .env("SOURCE_DATE_EPOCH", EPOCH)
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Wait until the export is under way (its staging folder exists), then kill it.
    let started = Instant::now();
    let staging = || {
        fs::read_dir(dir.join("out"))
            .map(|d| {
                d.flatten().any(|e| {
                    let name = e.file_name().to_string_lossy().into_owned();
                    name.starts_with(".teczka-") && name.contains("-export-")
                })
            })
            .unwrap_or(false)
    };
    while !staging() && started.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(200));
    let finished_early = child.try_wait().unwrap().is_some();
    child.kill().ok();
    child.wait().unwrap();
    assert!(!finished_early, "the export must still be running when killed");
    assert!(!dir.join("out/big.zip").exists(), "a killed export left a file under the final name");
}

#[test]
fn import_verifies_then_writes_the_records_for_excel_and_refuses_a_generalised_release() {
    let dir = Dir::new();
    let pass = "Correct-Horse-42-Battery";
    let mut cmd = dir.command(&[
        "export",
        &fixture("multi-file"),
        "--policy",
        "transfer",
        "--passphrase-env",
        "P",
        "-o",
        "t.zip.age",
    ]);
    cmd.env("P", pass).env("SOURCE_DATE_EPOCH", EPOCH);
    assert_eq!(Run(cmd.output().unwrap()).code(), 0);
    let mut cmd = dir.command(&[
        "import",
        "t.zip.age",
        "--passphrase-env",
        "P",
        "--to",
        "csv",
        "--out-delimiter",
        ";",
        "--out-encoding",
        "windows-1250",
        "-o",
        "excel",
    ]);
    cmd.env("P", pass);
    let run = Run(cmd.output().unwrap());
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert!(run.stderr().contains("imported 30 pupils"), "{}", run.stderr());
    // Windows-1250, `;`: the same pupils as a direct conversion writes.
    let direct = dir.run(&[
        "convert",
        &fixture("multi-file"),
        "--to",
        "csv",
        "--out-delimiter",
        ";",
        "--out-encoding",
        "windows-1250",
        "-o",
        "direct",
    ]);
    assert_eq!(direct.code(), 0);
    for file in ["pupils.csv", "grades.csv", "guardians.csv"] {
        assert_eq!(
            fs::read(dir.join("excel").join(file)).unwrap(),
            fs::read(dir.join("direct").join(file)).unwrap(),
            "{file}"
        );
    }
    // Or straight into a workbook, byte for byte what `convert --to xlsx` writes.
    let mut cmd = dir.command(&["import", "t.zip.age", "--passphrase-env", "P"]);
    cmd.args(["--to", "xlsx", "-o", "import.xlsx"]).env("P", pass);
    assert_eq!(Run(cmd.output().unwrap()).code(), 0);
    let direct = ["convert", &fixture("multi-file") as &str, "--to", "xlsx", "-o", "direct.xlsx"];
    assert_eq!(dir.run(&direct).code(), 0);
    // The workbooks differ only in their creation time: compare the sheets.
    let sheets = |name: &str| {
        let mut zip = zip::ZipArchive::new(fs::File::open(dir.join(name)).unwrap()).unwrap();
        let mut sheets = Vec::new();
        for i in 0..zip.len() {
            let mut entry = zip.by_index(i).unwrap();
            if entry.name().is_ok_and(|n| n.starts_with("xl/worksheets/")) {
                let mut text = String::new();
                entry.read_to_string(&mut text).unwrap();
                sheets.push(text);
            }
        }
        sheets
    };
    assert_eq!(sheets("import.xlsx").len(), 14);
    assert_eq!(sheets("import.xlsx"), sheets("direct.xlsx"));
    let stats = export(&dir, &["--policy", "statistics", "--unencrypted", "-o", "s.zip"]);
    assert_eq!(stats.code(), 0);
    let refused = dir.run(&["import", "s.zip", "--to", "jsonl", "-o", "s.jsonl"]);
    assert_eq!(refused.code(), 2);
    assert!(
        refused
            .stderr()
            .contains("released sex, birth_date, national_citizen, indicators.absences"),
        "{}",
        refused.stderr()
    );
    assert!(!dir.join("s.jsonl").exists());
}

/// Issue 9, item 6: an anonymised archive holds only anonymous things. A statistics export of
/// damaged input (whose rejects and warnings used to be listed by pupil id and position, and
/// whose risk report named every class, school and commune) carries none of the input's pupil
/// ids, school ids, class names or communes in any file, and its XML follows the released XSD
/// it ships.
#[test]
fn a_statistics_archive_of_damaged_input_names_no_pupil_school_class_or_commune() {
    let dir = Dir::new();
    crate::util::generate_jsonl(
        &dir,
        &["-n", "300", "--damage-every", "3", "--detail", "full"],
        "damaged.jsonl",
    );
    let mut cmd = dir.command(&[
        "export",
        "damaged.jsonl",
        "--policy",
        "statistics",
        "--unencrypted",
        "-o",
        "s.zip",
    ]);
    cmd.env("SOURCE_DATE_EPOCH", EPOCH);
    let run = Run(cmd.output().unwrap());
    assert_eq!(run.code(), 1, "rejects are counted: {}", run.stderr());

    // What the input says about where each pupil is.
    let mut secrets: std::collections::BTreeSet<String> = Default::default();
    for line in dir.read("damaged.jsonl").lines() {
        let Ok(pupil) = serde_json::from_str::<serde_json::Value>(line) else { continue };
        let text = |v: &serde_json::Value| v.as_str().map(str::to_string);
        secrets.extend(text(&pupil["id"]));
        let enrolment = &pupil["enrolment"];
        let school = text(&enrolment["school_id"]);
        secrets.extend(school.clone());
        if let Some(symbol) = text(&enrolment["class_symbol"]) {
            // Class symbols are single letters; the class is named by school, level and symbol.
            let level = text(&enrolment["class_level"]).unwrap_or_default();
            secrets.insert(format!("{}/{level}{symbol}", school.unwrap_or_default()));
            secrets.insert(format!("<class_symbol>{symbol}<"));
        }
        for address in pupil["addresses"].as_array().into_iter().flatten() {
            secrets.extend(text(&address["commune"]));
        }
    }
    assert!(secrets.len() > 500, "{} identifying values", secrets.len());

    // Every byte of every file, unzipped. A value counts as present when it stands as a
    // token (not inside a longer run of letters and digits: school id 10056 is not found in
    // a checksum `…a10056f…` or a share `0.1005612`).
    let file = fs::File::open(dir.join("s.zip")).unwrap();
    let mut zip = zip::ZipArchive::new(file).unwrap();
    let mut files = Vec::new();
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i).unwrap();
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).unwrap();
        files.push((
            entry.name().unwrap().into_owned(),
            String::from_utf8_lossy(&bytes).into_owned(),
        ));
    }
    let token = |text: &str, needle: &str| {
        text.match_indices(needle).any(|(at, _)| {
            let before = text[..at].chars().next_back();
            let after = text[at + needle.len()..].chars().next();
            !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
        })
    };
    for (name, text) in &files {
        for secret in &secrets {
            assert!(!token(text, secret), "{name} holds `{secret}`");
        }
    }

    let find = |suffix: &str| -> &str {
        let found = files.iter().find(|(n, _)| n.ends_with(suffix));
        &found.unwrap_or_else(|| panic!("{suffix} missing")).1
    };
    let validation: serde_json::Value =
        serde_json::from_str(find("data/reports/validation.json")).unwrap();
    assert_eq!(validation["counts_only"], true);
    assert!(validation.get("violations").is_none(), "no per-record list");
    assert!(validation["rules"].as_array().unwrap().iter().all(|r| r["field"].is_string()));
    let risk: serde_json::Value = serde_json::from_str(find("data/reports/risk.json")).unwrap();
    for side in ["before", "after"] {
        for level in risk[side]["levels"].as_array().unwrap() {
            assert_eq!(level["units"], serde_json::json!([]), "{side} {}", level["level"]);
            assert!(level["unit_count"].as_u64().unwrap() > 0);
        }
    }
    assert!(find("data/reports/risk.html").contains("<svg"));
    let readme = find("data/README.txt");
    assert!(readme.contains("schemas/released.xsd"), "{readme}");
    assert!(readme.contains("counts only"), "{readme}");

    // The XML validates against the released XSD the archive ships.
    let Some(xmllint) = crate::convert::xmllint() else { return };
    let unpacked = dir.join("unpacked");
    for (name, text) in &files {
        if name.ends_with("pupils.xml") || name.ends_with("released.xsd") {
            let target = unpacked.join(name.rsplit('/').next().unwrap());
            fs::create_dir_all(&unpacked).unwrap();
            fs::write(target, text).unwrap();
        }
    }
    let lint = std::process::Command::new(&xmllint)
        .args(["--noout", "--schema"])
        .arg(unpacked.join("released.xsd"))
        .arg(unpacked.join("pupils.xml"))
        .output()
        .unwrap();
    assert!(lint.status.success(), "xmllint: {}", String::from_utf8_lossy(&lint.stderr));
}

/// A transfer export promises every field: a CSV column teczka does not know stops it before
/// any record is read, naming the column and the ways out; confirmed, the warning is still
/// said on the terminal, not only inside the encrypted archive (issue 14).
#[test]
fn a_transfer_export_refuses_a_column_it_would_not_carry_over() {
    let dir = Dir::new();
    let input = fixture("csv2sou/uczniowie-cp1250.csv");
    let run = |extra: &[&str]| {
        let base = ["export", input.as_str(), "--repair-pesel", "--policy", "transfer"];
        let mut cmd = dir.command(&[&base[..], &["--passphrase-env", "PASS"], extra].concat());
        Run(cmd.env("PASS", "Correct-Horse-Battery-Staple-42").output().expect("run teczka"))
    };
    let refused = run(&["-o", "t.zip.age"]).expect_code(2);
    let said = refused.stderr();
    assert!(
        said.contains("`uwagi_sekretariatu`") && said.contains("--drop-unknown-columns"),
        "{said}"
    );
    assert!(said.contains("mapping file"), "{said}");
    assert_eq!(refused.summary(), "records: in=0 out=0 rejected=0");
    assert!(!dir.join("t.zip.age").exists());

    let confirmed = run(&["--drop-unknown-columns", "-o", "t.zip.age"]).expect_code(0);
    let said = confirmed.stderr();
    assert!(said.contains("warning: column `uwagi_sekretariatu` is not known"), "{said}");
    assert!(dir.join("t.zip.age").exists());
    // A statistics export drops what its policy does not name anyway: no refusal.
    let stats = ["export", input.as_str(), "--repair-pesel", "--policy", "statistics"];
    dir.run(&[&stats[..], &["--unencrypted", "-o", "s.zip"]].concat()).expect_code(0);
}

/// A bag already unzipped is verified as the zip is, and a bag bagit-python made (BagIt 0.97,
/// its default) passes (issue 14).
#[test]
fn verify_checks_an_unzipped_bag_and_a_bagit_python_bag() {
    let dir = Dir::new();
    export(&dir, &["--policy", "statistics", "--unencrypted", "-o", "s.zip"]).expect_code(0);
    let mut zip = zip::ZipArchive::new(fs::File::open(dir.join("s.zip")).unwrap()).unwrap();
    zip.extract(dir.join("unzipped")).unwrap();
    let bag = fs::read_dir(dir.join("unzipped")).unwrap().next().unwrap().unwrap().path();
    let bag = bag.to_str().unwrap();
    let verify = dir.run(&["verify", bag]);
    assert_eq!(verify.code(), 0, "{}{}", verify.stdout(), verify.stderr());
    assert!(verify.stdout().contains("Payload-Oxum"), "{}", verify.stdout());

    let records = format!("{bag}/data/records/pupils.jsonl");
    let mut text = fs::read_to_string(&records).unwrap();
    text.push_str("{\"id\":\"planted\"}\n");
    fs::write(&records, text).unwrap();
    fs::write(format!("{bag}/data/extra.txt"), "not in the manifest").unwrap();
    let verify = dir.run(&["verify", bag]);
    assert_eq!(verify.code(), 1, "{}", verify.stdout());
    let said = verify.stdout();
    assert!(said.contains("data/records/pupils.jsonl: sha512 checksum does not match"), "{said}");
    assert!(said.contains("data/extra.txt"), "{said}");

    if !crate::util::has_python_module("bagit") {
        return;
    }
    fs::create_dir_all(dir.join("theirs")).unwrap();
    fs::write(dir.join("theirs/uczniowie.csv"), "id;nazwisko\n1;Nowak\n").unwrap();
    let made = std::process::Command::new("python3")
        .args(["-c", "import bagit, sys; bagit.make_bag(sys.argv[1])", "theirs"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    assert!(fs::read_to_string(dir.join("theirs/bagit.txt")).unwrap().contains("0.97"));
    let verify = dir.run(&["verify", "theirs"]);
    assert_eq!(verify.code(), 0, "{}{}", verify.stdout(), verify.stderr());
    assert!(verify.stdout().contains("sound as a BagIt bag"), "{}", verify.stdout());
    // Their bag, tampered with, fails like ours.
    fs::write(dir.join("theirs/data/uczniowie.csv"), "id;nazwisko\n1;Kowalski\n").unwrap();
    dir.run(&["verify", "theirs"]).expect_code(1);
}

/// `unzip ARCHIVE.zip -d out && teczka verify out`: the folder an archive was unzipped into is
/// checked as its bag, and one changed byte in it is found and named (issue 14).
#[test]
fn verify_checks_the_folder_an_archive_was_unzipped_into_and_finds_one_changed_byte() {
    let dir = Dir::new();
    export(&dir, &["--policy", "statistics", "--unencrypted", "-o", "s.zip"]).expect_code(0);
    let mut zip = zip::ZipArchive::new(fs::File::open(dir.join("s.zip")).unwrap()).unwrap();
    zip.extract(dir.join("out")).unwrap();
    for folder in ["out", "out/s"] {
        let verify = dir.run(&["verify", folder]);
        assert_eq!(verify.code(), 0, "{folder}: {}{}", verify.stdout(), verify.stderr());
        let sound = format!("{folder}: sound — bag, checksums, Payload-Oxum, record counts");
        assert!(verify.stdout().starts_with(&sound), "{}", verify.stdout());
    }

    let records = dir.join("out/s/data/records/pupils.jsonl");
    let mut bytes = fs::read(&records).unwrap();
    let at = bytes.iter().position(u8::is_ascii_digit).expect("a digit in the records");
    bytes[at] = if bytes[at] == b'9' { b'8' } else { bytes[at] + 1 };
    fs::write(&records, bytes).unwrap();
    for folder in ["out", "out/s"] {
        let verify = dir.run(&["verify", folder]);
        assert_eq!(verify.code(), 1, "{folder}: {}{}", verify.stdout(), verify.stderr());
        let said = verify.stdout();
        assert!(said.starts_with(&format!("{folder}: ")), "{said}");
        assert!(
            said.contains("data/records/pupils.jsonl: sha512 checksum does not match"),
            "{said}"
        );
        assert!(
            said.contains("data/records/pupils.jsonl: sha256 checksum does not match"),
            "{said}"
        );
    }
}

/// bagit-python writes BagIt 0.97 and, unlike RFC 8493, leaves a `%` in a file name as it is
/// in its manifests: such a bag verifies as `bagit.py --validate` says, and a changed byte in
/// that file is named (issue 14).
#[test]
fn verify_reads_a_bagit_python_bags_file_names_as_bagit_python_writes_them() {
    if !crate::util::has_python_module("bagit") {
        return;
    }
    let dir = Dir::new();
    fs::create_dir_all(dir.join("theirs")).unwrap();
    fs::write(dir.join("theirs/plan 100%25.txt"), "7a: 28 uczniów\n").unwrap();
    fs::write(dir.join("theirs/uczniowie.csv"), "id;nazwisko\n1;Nowak\n").unwrap();
    let bagit = |script: &str| {
        let run = std::process::Command::new("python3")
            .args(["-c", script, "theirs"])
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    };
    bagit("import bagit, sys; bagit.make_bag(sys.argv[1])");
    bagit("import bagit, sys; bagit.Bag(sys.argv[1]).validate()");
    assert!(fs::read_to_string(dir.join("theirs/bagit.txt")).unwrap().contains("0.97"));
    let manifest = fs::read_to_string(dir.join("theirs/manifest-sha512.txt")).unwrap();
    assert!(manifest.contains(" data/plan 100%25.txt\n"), "{manifest}");

    let verify = dir.run(&["verify", "theirs"]);
    assert_eq!(verify.code(), 0, "{}{}", verify.stdout(), verify.stderr());
    assert!(verify.stdout().starts_with("theirs: sound as a BagIt bag"), "{}", verify.stdout());

    fs::write(dir.join("theirs/data/plan 100%25.txt"), "7a: 29 uczniów\n").unwrap();
    let verify = dir.run(&["verify", "theirs"]);
    assert_eq!(verify.code(), 1, "{}{}", verify.stdout(), verify.stderr());
    let said = verify.stdout();
    assert!(said.contains("data/plan 100%25.txt: sha512 checksum does not match"), "{said}");
    assert!(!said.contains("missing from the bag"), "{said}");
}
