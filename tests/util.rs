//! The test harness: a temporary working folder and the real `teczka` binary, like ripgrep's
//! `tests/util.rs` and xsv's `tests/workdir.rs`.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A scratch folder with helpers to create inputs and run `teczka` in it.
pub struct Dir {
    dir: tempfile::TempDir,
}

impl Dir {
    /// A new empty folder.
    pub fn new() -> Dir {
        Dir { dir: tempfile::tempdir().expect("temp dir") }
    }

    /// The folder's path.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// A path inside the folder.
    pub fn join(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Write a file (creating parent folders).
    pub fn create(&self, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let path = self.join(name);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).expect("mkdir");
        }
        fs::write(&path, contents).expect("write");
        path
    }

    /// Read a file as text.
    pub fn read(&self, name: &str) -> String {
        fs::read_to_string(self.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
    }

    /// A `teczka` command running in the folder.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_teczka"));
        cmd.current_dir(self.path()).args(args);
        cmd
    }

    /// Run `teczka` and capture its output.
    pub fn run(&self, args: &[&str]) -> Run {
        Run(self.command(args).output().expect("run teczka"))
    }
}

/// The path of a file under `fixtures/`.
pub fn fixture(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures").join(name).display().to_string()
}

/// Whether `python3` can import `module`. Where it cannot, the caller skips its outside check —
/// unless `TECZKA_REQUIRE_PYCANON` is set (`.ci/run` installs pycanon, pandas and numpy), where
/// a missing module fails the test.
pub fn has_python_module(module: &str) -> bool {
    let found = Command::new("python3")
        .args(["-c", &format!("import {module}")])
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            std::env::var_os("TECZKA_REQUIRE_PYCANON").is_none(),
            "{module} is required here: pip install pycanon"
        );
        eprintln!("{module} not installed: skipping the outside check");
    }
    found
}

/// `teczka generate ARGS --to jsonl -o NAME` in `dir`, which must succeed.
pub fn generate_jsonl(dir: &Dir, args: &[&str], name: &str) {
    let run = dir.run(&[&["generate"][..], args, &["--to", "jsonl", "-o", name]].concat());
    assert_eq!(run.code(), 0, "{}", run.stderr());
}

/// A finished `teczka` run.
pub struct Run(pub Output);

impl Run {
    /// Exit code.
    pub fn code(&self) -> i32 {
        self.0.status.code().expect("exited normally")
    }

    /// Standard output as text.
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.0.stdout).into_owned()
    }

    /// Standard error as text.
    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.0.stderr).into_owned()
    }

    /// The last line of standard error: the summary every run ends with.
    pub fn summary(&self) -> String {
        self.stderr().lines().last().unwrap_or_default().to_string()
    }

    /// Assert the exit code, printing both streams when it differs.
    pub fn expect_code(self, code: i32) -> Run {
        assert_eq!(
            self.code(),
            code,
            "exit code\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout(),
            self.stderr()
        );
        self
    }
}
