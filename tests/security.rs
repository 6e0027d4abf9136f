//! Personal data stays private on disk (`../shared/redteam/b3_perms.sh`): whatever the umask,
//! what teczka writes is 0600 in 0700 folders, and a run ended by a signal leaves nothing.

use crate::util::{Dir, Run};
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

/// Start an encrypted export of a large input and stop it once its staging exists; what is
/// left in the output folder afterwards.
fn interrupted_export(dir: &Dir, signal: &str) -> Vec<String> {
    crate::util::generate_jsonl(
        dir,
        &["-n", "20000", "--detail", "full", "--seed", "5"],
        "in.jsonl",
    );
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
