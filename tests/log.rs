//! The tamper-evident log end to end: commands append with `--log`, `log verify` names the first
//! entry that no longer fits, `log prove` and `verify --log` show an archive's run is in it, an
//! outside checker (Python: hashlib + cryptography) recomputes the tree and the signatures,
//! and no record value ever reaches it.

use crate::util::{fixture, has_python_module, Dir, Run};
use std::path::Path;

const PESEL: &str = "18280878257";

/// A folder with the school's signing key `school.key` / `school.pub`.
fn school() -> Dir {
    let dir = Dir::new();
    dir.run(&["keygen", "--minisign", "-o", "school.key"]).expect_code(0);
    dir
}

fn logged(dir: &Dir, args: &[&str]) -> Run {
    let mut cmd =
        dir.command(&[args, &["--log", "teczka.log", "--operator", "sekretariat"]].concat());
    cmd.env("TECZKA_LOG_KEY", "school.key");
    Run(cmd.output().expect("run teczka"))
}

fn export(dir: &Dir, out: &str) -> Run {
    logged(
        dir,
        &["export", &fixture("multi-file"), "--policy", "statistics", "--unencrypted", "-o", out],
    )
}

/// A log of three runs: convert, export, sar.
fn three_runs() -> Dir {
    let dir = school();
    logged(&dir, &["convert", &fixture("multi-file"), "--to", "sou", "-o", "out.xml"])
        .expect_code(0);
    export(&dir, "stat.zip").expect_code(0);
    logged(
        &dir,
        &[
            "sar",
            &fixture("multi-file"),
            "--subject",
            &format!("pesel:{PESEL}"),
            "--controller",
            &fixture("sar/controller-pl.toml"),
            "--received",
            "2026-11-02",
            "--reference",
            "SAR-2026-17",
            "--unencrypted",
            "-o",
            "sar.zip",
        ],
    )
    .expect_code(0);
    dir
}

fn verify_log(dir: &Dir, extra: &[&str]) -> Run {
    dir.run(&[&["log", "verify", "teczka.log", "--trusted-key", "school.pub"][..], extra].concat())
}

fn log_lines(dir: &Dir) -> Vec<String> {
    dir.read("teczka.log").lines().map(str::to_string).collect()
}

fn write_lines(dir: &Dir, lines: &[String]) {
    dir.create("teczka.log", lines.iter().map(|l| format!("{l}\n")).collect::<String>());
}

#[test]
fn each_run_is_an_entry_with_files_counts_and_reference_but_no_value() {
    let dir = three_runs();
    let run = verify_log(&dir, &[]).expect_code(0);
    assert!(run.stdout().contains("3 entries, 3 signed checkpoints hold"), "{}", run.stdout());
    let show = dir.run(&["log", "show", "teczka.log", "--json"]).expect_code(0);
    let entries: Vec<serde_json::Value> =
        show.stdout().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let commands: Vec<&str> = entries.iter().map(|e| e["command"].as_str().unwrap()).collect();
    assert_eq!(commands, ["convert", "export", "sar"]);
    assert_eq!(entries[1]["counts"]["in"], 1194, "{}", entries[1]);
    assert_eq!(entries[1]["policy"]["name"], "statistics");
    assert_eq!(entries[2]["subject"], "SAR-2026-17");
    assert_eq!(entries[2]["operator"], "sekretariat");
    let archive = sha256_hex(&dir.join("stat.zip"));
    assert_eq!(entries[1]["outputs"][0]["sha256"], archive.as_str());
    // Nothing from the records: not the subject's PESEL, not a name, not a file name.
    let log = dir.read("teczka.log");
    for value in [PESEL, "Sawicki", "Józef", "stat.zip", "pupils.csv"] {
        assert!(!log.contains(value), "`{value}` is in the log");
    }
    let text = dir.run(&["log", "show", "teczka.log"]).expect_code(0).stdout();
    assert!(text.contains("sar") && text.contains("ref=SAR-2026-17"), "{text}");
}

fn sha256_hex(path: &Path) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(std::fs::read(path).unwrap()).iter().map(|b| format!("{b:02x}")).collect()
}

/// A change made to the log's lines by hand.
type Change = dyn Fn(&mut Vec<String>);

#[test]
fn editing_deleting_reordering_or_cutting_an_entry_fails_naming_it() {
    let dir = three_runs();
    let pristine = log_lines(&dir);
    let kept = dir.run(&["log", "show", "teczka.log", "--last-checkpoint"]).expect_code(0);
    dir.create("kept.txt", kept.stdout());
    let cases: Vec<(&str, Box<Change>, &str)> = vec![
        ("edit", Box::new(|l| l[2] = l[2].replace("sekretariat", "dyrektor")), "entry 2 "),
        ("delete", Box::new(|l| drop(l.drain(2..4))), "entry 2 "),
        ("reorder", Box::new(|l| l.swap(0, 2)), "entry 1 "),
        ("truncate", Box::new(|l| l.truncate(4)), "entry 3 is missing"),
    ];
    for (what, change, named) in cases {
        let mut lines = pristine.clone();
        change(&mut lines);
        write_lines(&dir, &lines);
        let run = verify_log(&dir, &["--checkpoint", "kept.txt"]);
        assert_eq!(run.code(), 1, "{what}: {}", run.stdout());
        assert!(run.stdout().contains(named), "{what}: {}", run.stdout());
    }
    // A line cut in the middle is found without any kept checkpoint.
    let mut bytes = pristine.join("\n").into_bytes();
    bytes.truncate(bytes.len() - 40);
    dir.create("teczka.log", bytes);
    let run = verify_log(&dir, &[]).expect_code(1);
    assert!(
        run.stdout().contains("entry 3 is cut short, or its checkpoint is"),
        "{}",
        run.stdout()
    );
}

#[test]
fn a_checkpoint_from_another_key_fails_and_that_key_cannot_append() {
    let dir = three_runs();
    dir.run(&["keygen", "--minisign", "-o", "other.key"]).expect_code(0);
    let run =
        dir.run(&["log", "verify", "teczka.log", "--trusted-key", "other.pub"]).expect_code(1);
    assert!(run.stdout().contains("entry 1 is followed by a checkpoint that"), "{}", run.stdout());
    let mut cmd = dir.command(&["validate", &fixture("multi-file"), "--log", "teczka.log"]);
    let run = Run(cmd.env("TECZKA_LOG_KEY", "other.key").output().unwrap()).expect_code(2);
    assert!(run.stderr().contains("--log-key"), "{}", run.stderr());
    assert_eq!(log_lines(&dir).len(), 6, "nothing was appended");
}

#[test]
fn a_tampered_log_stops_the_next_run_before_it_starts() {
    let dir = three_runs();
    let mut lines = log_lines(&dir);
    lines[0] = lines[0].replace("sekretariat", "x");
    write_lines(&dir, &lines);
    let run = export(&dir, "again.zip").expect_code(2);
    assert!(run.stderr().contains("no longer matches its last checkpoint"), "{}", run.stderr());
    assert!(!dir.join("again.zip").exists(), "the run went ahead");
}

#[test]
fn a_log_without_its_key_is_refused_before_the_run() {
    let dir = school();
    let run = dir
        .run(&["convert", &fixture("multi-file"), "--to", "sou", "-o", "o.xml", "--log", "l.log"])
        .expect_code(2);
    assert!(run.stderr().contains("--log-key FILE or TECZKA_LOG_KEY"), "{}", run.stderr());
    assert!(!dir.join("o.xml").exists());
}

#[test]
fn an_archives_run_is_proven_in_the_log_and_another_file_is_not() {
    let dir = three_runs();
    dir.run(&[
        "log",
        "prove",
        "stat.zip",
        "--log",
        "teczka.log",
        "--trusted-key",
        "school.pub",
        "-o",
        "stat.proof.json",
    ])
    .expect_code(0);
    let check = |archive: &str, proof: &str| {
        dir.run(&["verify", archive, "--log", proof, "--log-trusted-key", "school.pub"])
    };
    let run = check("stat.zip", "stat.proof.json").expect_code(0);
    assert!(run.stdout().contains("in the log as entry 2 (`export`"), "{}", run.stdout());
    // The log itself does as well as the proof.
    check("stat.zip", "teczka.log").expect_code(0);
    // The proof is for that archive only, and only under the school's key.
    let run = check("sar.zip", "stat.proof.json").expect_code(1);
    assert!(run.stdout().contains("did not write this file"), "{}", run.stdout());
    dir.run(&["keygen", "--minisign", "-o", "other.key"]).expect_code(0);
    dir.run(&["verify", "stat.zip", "--log", "stat.proof.json", "--log-trusted-key", "other.pub"])
        .expect_code(1);
    // A file no logged run wrote has no proof.
    dir.create("other.zip", "not an export");
    let run = dir.run(&[
        "log",
        "prove",
        "other.zip",
        "--log",
        "teczka.log",
        "--trusted-key",
        "school.pub",
    ]);
    assert_eq!(run.code(), 2, "{}", run.stderr());
    assert!(run.stderr().contains("no entry of this log wrote"), "{}", run.stderr());
}

#[test]
fn runs_at_once_never_interleave_and_kill_9_leaves_a_sound_log() {
    let dir = school();
    let spawn = |out: String| {
        let mut cmd = dir.command(&[
            "validate",
            &fixture("multi-file"),
            "--log",
            "teczka.log",
            "--report-file",
            &out,
        ]);
        cmd.env("TECZKA_LOG_KEY", "school.key").stderr(std::process::Stdio::null());
        cmd.spawn().unwrap()
    };
    let children: Vec<_> = (0..6).map(|i| spawn(format!("r{i}.txt"))).collect();
    for mut child in children {
        assert!(child.wait().unwrap().success());
    }
    // Killed at many points of their run, appends leave whole entries or none.
    for delay_ms in [5, 20, 40, 60, 80, 100, 150, 200] {
        let mut child = spawn("killed.txt".into());
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        let _ = child.kill();
        let _ = child.wait();
    }
    let after_kills = verify_log(&dir, &[]);
    // A kill inside the one write leaves a torn tail the next append cuts away.
    spawn("last.txt".into()).wait().unwrap();
    let run = verify_log(&dir, &[]).expect_code(0);
    let entries: u64 =
        run.stdout().split(" entries").next().unwrap().rsplit(' ').next().unwrap().parse().unwrap();
    assert!(entries >= 7, "{}", run.stdout());
    assert!(
        after_kills.code() == 0 || after_kills.stdout().contains("cut short"),
        "{}",
        after_kills.stdout()
    );
}

#[test]
fn an_outside_checker_recomputes_the_tree_and_the_signatures() {
    if !has_python_module("cryptography") {
        return;
    }
    let dir = three_runs();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/log_check.py");
    let check = || {
        std::process::Command::new("python3")
            .arg(&script)
            .arg(dir.join("teczka.log"))
            .arg(dir.join("school.pub"))
            .output()
            .unwrap()
    };
    let out = check();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), r#"{"entries": 3, "checkpoints": 3}"#);
    // It can fail: the same edit teczka catches, it catches too.
    let mut lines = log_lines(&dir);
    lines[2] = lines[2].replace("sekretariat", "dyrektor");
    write_lines(&dir, &lines);
    assert!(!check().status.success());
}

#[test]
fn the_controller_files_log_section_is_used_by_sar() {
    let dir = school();
    let controller = std::fs::read_to_string(fixture("sar/controller-pl.toml")).unwrap();
    dir.create(
        "szkola.toml",
        format!("{controller}\n[log]\nfile = \"dziennik.log\"\nkey = \"school.key\"\n"),
    );
    let run = dir.run(&[
        "sar",
        &fixture("multi-file"),
        "--subject",
        &format!("pesel:{PESEL}"),
        "--controller",
        "szkola.toml",
        "--received",
        "2026-11-02",
        "--unencrypted",
        "-o",
        "sar.zip",
    ]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert!(run.stderr().contains("logged as entry 1 of"), "{}", run.stderr());
    let run = dir.run(&["log", "verify", "dziennik.log", "--trusted-key", "school.pub"]);
    assert_eq!(run.code(), 0, "{}", run.stdout());
}

#[test]
fn a_retention_run_is_logged_with_its_reconciliation() {
    let dir = school();
    let run = logged(
        &dir,
        &[
            "retention",
            "apply",
            &fixture("multi-file"),
            "--controller",
            &fixture("retention/controller-language-school.toml"),
            "--today",
            "2040-01-01",
            "--by",
            "Jan Nowak, dyrektor",
            "-o",
            "po-brakowaniu",
        ],
    );
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let show = dir.run(&["log", "show", "teczka.log", "--json"]).expect_code(0);
    let entry: serde_json::Value = serde_json::from_str(show.stdout().trim()).unwrap();
    assert_eq!(entry["command"], "retention apply");
    let counts = &entry["counts"];
    let sum = |what: &str| -> u64 {
        ["kept", "erased", "anonymised"]
            .iter()
            .map(|k| counts[format!("{what}_{k}")].as_u64().unwrap())
            .sum()
    };
    assert_eq!(counts["items_in"].as_u64().unwrap(), sum("items"), "{entry}");
    assert_eq!(counts["pupils_in"], 30, "{entry}");
    // The protocol, the remainder and the rest: every file written, by hash.
    assert!(entry["outputs"].as_array().unwrap().len() >= 3, "{entry}");
    verify_log(&dir, &[]).expect_code(0);
}
