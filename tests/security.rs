//! Personal data stays private on disk (`../shared/redteam/b3_perms.sh`): whatever the umask,
//! what teczka writes is 0600 in 0700 folders, and a run ended by a signal leaves nothing.

use crate::util::{fixture, Dir, Run};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// `teczka ARGS` under the umask a school server typically has (022), in `dir`.
fn run_with_umask_022(dir: &Dir, args: &[&str]) -> Run {
    let mut cmd = Command::new("sh");
    cmd.current_dir(dir.path())
        .arg("-c")
        .arg("umask 022; exec \"$0\" \"$@\"")
        .arg(env!("CARGO_BIN_EXE_teczka"))
        .args(args);
    Run(cmd.output().expect("run teczka"))
}

/// Every file under `root` (itself included) with a mode other than 0600 (files) or 0700
/// (folders).
fn not_private(root: &Path) -> Vec<String> {
    let mut wrong = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(path) = stack.pop() {
        let meta = std::fs::symlink_metadata(&path).unwrap();
        let mode = meta.permissions().mode() & 0o777;
        let want = if meta.is_dir() { 0o700 } else { 0o600 };
        if mode != want {
            wrong.push(format!("{:o} {}", mode, path.display()));
        }
        if meta.is_dir() {
            stack.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
        }
    }
    wrong
}

#[test]
fn everything_written_is_private_whatever_the_umask() {
    let dir = Dir::new();
    let run = run_with_umask_022(
        &dir,
        &[
            "generate", "-n", "60", "--detail", "full", "--seed", "5", "--to", "jsonl", "-o",
            "in.jsonl",
        ],
    );
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let runs: [&[&str]; 4] = [
        &["convert", "in.jsonl", "--to", "csv", "-o", "out/csv", "--rejects", "out/rejects.jsonl"],
        &[
            "convert",
            "in.jsonl",
            "--to",
            "sou",
            "-o",
            "out/p.xml",
            "--report",
            "json",
            "--report-file",
            "out/r.json",
        ],
        &[
            "export",
            "in.jsonl",
            "--policy",
            "transfer",
            "--passphrase-env",
            "P",
            "-o",
            "out/t.zip.age",
        ],
        &["import", "out/t.zip.age", "--passphrase-env", "P", "--to", "csv", "-o", "out/imported"],
    ];
    for args in runs {
        let mut cmd = Command::new("sh");
        cmd.current_dir(dir.path())
            .env("P", "Correct-Horse-42-Battery-Staple")
            .arg("-c")
            .arg("umask 022; exec \"$0\" \"$@\"")
            .arg(env!("CARGO_BIN_EXE_teczka"))
            .args(args);
        let run = Run(cmd.output().unwrap());
        assert_eq!(run.code(), 0, "{args:?}: {}", run.stderr());
    }
    assert!(dir.join("out/imported/health.csv").exists());
    assert_eq!(not_private(&dir.join("out")), Vec::<String>::new());
}

/// Start an encrypted export of an input large enough to take seconds and stop it once its
/// staging exists; what is left in the output folder afterwards.
fn interrupted_export(dir: &Dir, signal: &str) -> Vec<String> {
    if !dir.join("in.jsonl").exists() {
        let args = ["-n", "5000", "--detail", "full", "--seed", "5"];
        crate::util::generate_jsonl(dir, &args, "in.jsonl");
    }
    std::fs::create_dir_all(dir.join("out")).unwrap();
    let mut child = dir
        .command(&[
            "export",
            "in.jsonl",
            "--policy",
            "transfer",
            "--passphrase-env",
            "P",
            "-o",
            "out/t.zip.age",
        ])
        .env("P", "Correct-Horse-42-Battery-Staple")
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let staging = |dir: &Dir| -> Vec<String> {
        std::fs::read_dir(dir.join("out"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect()
    };
    let start = Instant::now();
    while staging(dir).is_empty() && start.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(!staging(dir).is_empty(), "the export never staged anything");
    let killed = Command::new("kill").args([signal, &child.id().to_string()]).status().unwrap();
    assert!(killed.success());
    child.wait().unwrap();
    staging(dir)
}

#[test]
fn a_signal_removes_the_staging_and_a_later_run_removes_what_kill_9_left() {
    let dir = Dir::new();
    let left = interrupted_export(&dir, "-TERM");
    assert_eq!(left, Vec::<String>::new(), "SIGTERM left staging behind");

    let left = interrupted_export(&dir, "-KILL");
    assert!(!left.is_empty(), "kill -9 cannot be caught; something is left");
    assert!(left.iter().all(|name| name.starts_with(".teczka-")), "{left:?}");
    for name in &left {
        let private = not_private(&dir.join("out").join(name));
        assert_eq!(private, Vec::<String>::new(), "leftovers are private");
    }
    // The next run writing into the folder removes them.
    let run = dir.run(&["convert", "in.jsonl", "--to", "jsonl", "-o", "out/again.jsonl"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let names: Vec<String> = std::fs::read_dir(dir.join("out"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with("again"))
        .collect();
    assert_eq!(names, Vec::<String>::new(), "leftovers of the killed run stayed");
}

/// `redteam/b6_overwrite.sh`: every output path is checked against every input — the same
/// file through a symbolic or a hard link too — before anything is written.
#[test]
fn no_output_replaces_an_input() {
    let dir = Dir::new();
    crate::util::generate_jsonl(&dir, &["-n", "20", "--seed", "6"], "in.jsonl");
    let original = std::fs::read(dir.join("in.jsonl")).unwrap();
    std::os::unix::fs::symlink(dir.join("in.jsonl"), dir.join("link.jsonl")).unwrap();
    std::fs::hard_link(dir.join("in.jsonl"), dir.join("hard.jsonl")).unwrap();
    let attempts: [&[&str]; 9] = [
        &["convert", "in.jsonl", "--to", "jsonl", "-o", "x.jsonl", "--rejects", "in.jsonl"],
        &["convert", "in.jsonl", "--to", "jsonl", "-o", "x.jsonl", "--rejects", "link.jsonl"],
        &["convert", "in.jsonl", "--to", "jsonl", "-o", "hard.jsonl"],
        &["validate", "in.jsonl", "--rejects", "hard.jsonl"],
        &["validate", "in.jsonl", "--report", "json", "--report-file", "link.jsonl"],
        &["risk", "in.jsonl", "--policy", "statistics", "-o", "in.jsonl"],
        &["convert", "in.jsonl", "--to", "jsonl", "-o", "x.jsonl", "--rejects", "x.jsonl"],
        &["import", "in.jsonl", "--to", "jsonl", "-o", "in.jsonl"],
        &[
            "convert",
            "in.jsonl",
            "--policy",
            "transfer",
            "--to",
            "jsonl",
            "-o",
            "y.jsonl",
            "--report-file",
            "in.jsonl",
        ],
    ];
    for args in attempts {
        let run = dir.run(args);
        assert_eq!(run.code(), 2, "{args:?}: {}", run.stderr());
        assert!(
            run.stderr().contains("would replace or write into the input")
                || run.stderr().contains("two outputs of this run are one file"),
            "{args:?}: {}",
            run.stderr()
        );
        assert_eq!(std::fs::read(dir.join("in.jsonl")).unwrap(), original, "{args:?}");
    }
    // `-o -` does not clobber ./rejects.jsonl.
    dir.create("rejects.jsonl", "mine\n");
    let run = dir.run(&["convert", "in.jsonl", "--to", "jsonl", "-o", "-"]);
    assert_eq!(run.code(), 2, "{}", run.stderr());
    assert!(run.stderr().contains("give --rejects FILE"), "{}", run.stderr());
    assert_eq!(dir.read("rejects.jsonl"), "mine\n");
}

/// `teczka ARGS` in `dir` under `umask`, with the passphrase in `P`.
fn run_under_umask(dir: &Dir, umask: &str, args: &[&str]) -> Run {
    let mut cmd = Command::new("sh");
    cmd.current_dir(dir.path())
        .env("P", "Correct-Horse-42-Battery-Staple")
        .arg("-c")
        .arg(format!("umask {umask}; exec \"$0\" \"$@\""))
        .arg(env!("CARGO_BIN_EXE_teczka"))
        .args(args);
    Run(cmd.output().expect("run teczka"))
}

/// Issue 11 item 3: the modes come from teczka, not from the umask. Under `umask 000` every
/// file the commands create is still 0600 and every folder 0700 — the CSV folders of convert
/// and import (plain and mapped), the archives of export and sar, and the folders made for
/// them.
#[test]
fn everything_written_is_private_under_an_open_umask() {
    let dir = Dir::new();
    let mapping = fixture("mapping/mapping.toml");
    let zaci = fixture("jsonl/zaci.jsonl");
    let controller = fixture("sar/controller-cz.toml");
    let generate = [
        "generate",
        "-n",
        "60",
        "--detail",
        "full",
        "--seed",
        "5",
        "--to",
        "jsonl",
        "-o",
        "out/in.jsonl",
    ];
    let runs: [&[&str]; 8] = [
        &generate,
        &[
            "convert",
            "out/in.jsonl",
            "--to",
            "csv",
            "-o",
            "out/csv/all",
            "--rejects",
            "out/r.jsonl",
        ],
        &[
            "export",
            "out/in.jsonl",
            "--policy",
            "transfer",
            "--passphrase-env",
            "P",
            "-o",
            "out/t.zip.age",
        ],
        &[
            "export",
            "out/in.jsonl",
            "--policy",
            "transfer",
            "--zip-aes-env",
            "P",
            "-o",
            "out/new/aes.zip",
        ],
        &["import", "out/t.zip.age", "--passphrase-env", "P", "--to", "csv", "-o", "out/imported"],
        &[
            "import",
            "out/t.zip.age",
            "--passphrase-env",
            "P",
            "--to",
            "csv",
            "--mapping",
            &mapping,
            "--drop-unmapped",
            "-o",
            "out/vendor",
        ],
        &[
            "import",
            "out/new/aes.zip",
            "--zip-aes-env",
            "P",
            "--to",
            "jsonl",
            "-o",
            "out/back.jsonl",
        ],
        &[
            "sar",
            &zaci,
            "--subject",
            "rc:150103/0168",
            "--controller",
            &controller,
            "--received",
            "2026-11-02",
            "--passphrase-env",
            "P",
            "-o",
            "out/sar/answer.zip.age",
        ],
    ];
    for args in runs {
        let run = run_under_umask(&dir, "000", args);
        assert!(run.code() < 2, "{args:?}: {}", run.stderr());
    }
    assert!(dir.join("out/csv/all/health.csv").exists());
    assert!(dir.join("out/imported/health.csv").exists());
    assert!(dir.join("out/sar/answer.zip.age").exists());
    assert!(std::fs::read_dir(dir.join("out/vendor")).unwrap().count() > 0);
    assert_eq!(not_private(&dir.join("out")), Vec::<String>::new());
}

/// Every file under `roots`, walked afresh each time (files come and go during a run).
fn paths_under(roots: &[&Path]) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack: Vec<std::path::PathBuf> = roots.iter().map(|r| r.to_path_buf()).collect();
    while let Some(path) = stack.pop() {
        let Ok(meta) = std::fs::symlink_metadata(&path) else { continue };
        if meta.is_dir() {
            if let Ok(entries) = std::fs::read_dir(&path) {
                stack.extend(entries.flatten().map(|e| e.path()));
            }
        } else {
            out.push(path);
        }
    }
    out
}

/// Watches the files of a running export for plaintext: any file holding the canary, or not
/// an age file (every staged file, prepared entry and the output are). Files only grow while
/// they are written, so each look reads only what was added since the last one (plus the
/// canary's length, so a canary split between two looks is still seen); a file that shrank
/// or is new is read whole. Reading everything every few milliseconds would slow the run it
/// watches by minutes.
#[derive(Default)]
struct PlaintextWatch {
    read_up_to: std::collections::HashMap<std::path::PathBuf, u64>,
}

impl PlaintextWatch {
    fn look(&mut self, roots: &[&Path], canary: &[u8]) -> Vec<String> {
        use std::io::{Read, Seek, SeekFrom};
        let magic = b"age-encryption.org/v1\n";
        let mut wrong = Vec::new();
        for path in paths_under(roots) {
            let Ok(mut file) = std::fs::File::open(&path) else { continue };
            let mut head = Vec::new();
            if (&mut file).take(magic.len() as u64).read_to_end(&mut head).is_err() {
                continue;
            }
            // A file just created may not have its whole header yet.
            if head[..] != magic[..head.len()] {
                wrong.push(format!("{}: not an age file", path.display()));
            }
            let len = file.metadata().map_or(0, |m| m.len());
            let before = self.read_up_to.get(&path).copied().unwrap_or(0);
            let from = if len < before { 0 } else { before.saturating_sub(canary.len() as u64) };
            let mut added = Vec::new();
            if file.seek(SeekFrom::Start(from)).is_err() || file.read_to_end(&mut added).is_err() {
                continue;
            }
            if added.windows(canary.len()).any(|w| w == canary) {
                wrong.push(format!("{}: holds the canary", path.display()));
            }
            self.read_up_to.insert(path, from + added.len() as u64);
        }
        wrong
    }
}

/// Issue 11 item 3, last part: an encrypted export never writes plaintext. The records it
/// stages (JSON Lines, CSV, XML, reports), the compressed entries waiting for the zip and the
/// zip itself are all age files while the run goes on — watched every few milliseconds, with
/// a pupil's surname as the canary and entries stored uncompressed (`--level 0`) so a
/// plaintext entry would show it too — and so is whatever `kill -9` leaves.
#[test]
fn an_encrypted_export_leaves_no_plaintext_on_disk_while_it_runs_or_when_killed() {
    let dir = Dir::new();
    crate::util::generate_jsonl(
        &dir,
        &["-n", "2000", "--detail", "full", "--seed", "7"],
        "g.jsonl",
    );
    let canary = "Zzyzxkanarkowska";
    let mut input = String::new();
    for line in dir.read("g.jsonl").lines() {
        let mut pupil: serde_json::Value = serde_json::from_str(line).unwrap();
        pupil["surname"] = serde_json::Value::String(canary.to_string());
        input.push_str(&serde_json::to_string(&pupil).unwrap());
        input.push('\n');
    }
    dir.create("in.jsonl", input);
    std::fs::remove_file(dir.join("g.jsonl")).unwrap();
    let (out, tmp) = (dir.join("out"), dir.join("tmp"));
    let export = |kill_after_staging: bool| -> (Vec<String>, usize) {
        std::fs::create_dir_all(&out).unwrap();
        std::fs::create_dir_all(&tmp).unwrap();
        let mut child = dir
            .command(&[
                "export",
                "in.jsonl",
                "--policy",
                "transfer",
                "--formats",
                "sou,csv,jsonl",
                "--level",
                "0",
                "--passphrase-env",
                "P",
                "-o",
                "out/t.zip.age",
            ])
            .env("P", "Correct-Horse-42-Battery-Staple")
            .env("TMPDIR", &tmp)
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let (mut wrong, mut staged_seen, mut watch) = (Vec::new(), 0, PlaintextWatch::default());
        let start = Instant::now();
        loop {
            let files = paths_under(&[&out, &tmp]);
            let staged = |p: &&std::path::PathBuf| p.to_string_lossy().contains("/.teczka-");
            staged_seen += files.iter().filter(staged).count();
            wrong.extend(watch.look(&[&out, &tmp], canary.as_bytes()));
            if kill_after_staging
                && files.iter().any(|p| p.to_string_lossy().ends_with("pupils.jsonl"))
            {
                let pid = child.id().to_string();
                let killed = Command::new("kill").args(["-KILL", &pid]).status().unwrap();
                assert!(killed.success());
                child.wait().unwrap();
                break;
            }
            if child.try_wait().unwrap().is_some() || start.elapsed() > Duration::from_secs(300) {
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        let status = child.wait().unwrap();
        if !kill_after_staging {
            assert!(status.success(), "the export failed");
        }
        // Whatever is left is read whole once more.
        wrong.extend(PlaintextWatch::default().look(&[&out, &tmp], canary.as_bytes()));
        wrong.sort();
        wrong.dedup();
        (wrong, staged_seen)
    };

    let (wrong, seen) = export(false);
    assert_eq!(wrong, Vec::<String>::new());
    assert!(seen > 0, "the scan never saw the staging");
    // The archive is whole: it opens, and holds the canary once decrypted.
    let run = dir
        .command(&[
            "import",
            "out/t.zip.age",
            "--passphrase-env",
            "P",
            "--to",
            "jsonl",
            "-o",
            "back.jsonl",
        ])
        .env("P", "Correct-Horse-42-Battery-Staple")
        .output()
        .unwrap();
    assert!(Run(run).code() == 0);
    assert!(dir.read("back.jsonl").contains(canary));

    std::fs::remove_file(dir.join("out/t.zip.age")).unwrap();
    let (wrong, _) = export(true);
    assert_eq!(wrong, Vec::<String>::new(), "what kill -9 left");
    let left = paths_under(&[&out]);
    assert!(!left.is_empty(), "kill -9 leaves the (sealed) staging");
}

/// Every file a run reads, not only its record inputs, is safe from its outputs: the `--key`
/// file, `--schema`, a policy file, the `--mapping` file, the `--controller` file, the
/// `--identity` file and a `--trusted-key` file.
#[test]
fn no_output_replaces_a_key_schema_policy_mapping_controller_or_identity_file() {
    let dir = Dir::new();
    crate::util::generate_jsonl(&dir, &["-n", "5", "--seed", "6"], "in.jsonl");
    let files = ["key.txt", "schema.json", "pol.toml", "map.toml", "ctl.toml", "id.age", "t.pub"];
    for name in files {
        dir.create(name, format!("{name} must survive\n"));
    }
    let attempts: [&[&str]; 8] = [
        &[
            "convert", "in.jsonl", "--policy", "transfer", "--key", "key.txt", "--to", "jsonl",
            "-o", "key.txt",
        ],
        &[
            "convert",
            "in.jsonl",
            "--schema",
            "schema.json",
            "--to",
            "jsonl",
            "-o",
            "x.jsonl",
            "--rejects",
            "schema.json",
        ],
        &["convert", "in.jsonl", "--policy", "pol.toml", "--to", "jsonl", "-o", "pol.toml"],
        &["convert", "in.jsonl", "--mapping", "map.toml", "--to", "jsonl", "-o", "map.toml"],
        &["validate", "in.jsonl", "--schema", "schema.json", "--report-file", "schema.json"],
        &[
            "sar",
            "in.jsonl",
            "--subject",
            "id:P-1",
            "--controller",
            "ctl.toml",
            "--received",
            "2026-11-02",
            "--unencrypted",
            "-o",
            "ctl.toml",
        ],
        &["import", "a.zip.age", "--identity", "id.age", "--to", "jsonl", "-o", "id.age"],
        &["import", "a.zip", "--trusted-key", "t.pub", "--to", "jsonl", "-o", "t.pub"],
    ];
    for args in attempts {
        let run = dir.run(args);
        assert_eq!(run.code(), 2, "{args:?}: {}", run.stderr());
        assert!(
            run.stderr().contains("would replace or write into the input")
                || run.stderr().contains("two outputs of this run are one file"),
            "{args:?}: {}",
            run.stderr()
        );
    }
    for name in files {
        assert_eq!(dir.read(name), format!("{name} must survive\n"), "{name}");
    }
}
