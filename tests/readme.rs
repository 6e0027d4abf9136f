//! The README's console examples, run as written from a copy of the repository root.
//!
//! Every fenced block holding `$ ` lines (```console, or ```sh written as a session) is run in
//! README order, in one scratch folder where `fixtures/`, `policies/`, `schemas/` and `scripts/`
//! are the repository's and `teczka` on the PATH is the binary under test, each command through
//! `sh -c` with standard error merged into standard output, as a terminal shows them. The lines
//! after a command are what it must print: exactly, except that a line `…` stands for any
//! number of lines and a `…` inside a line for any text. A command must exit 0 unless it ends
//! with `# exit N`. A block preceded by `<!-- not run: REASON -->` is skipped.

use std::path::Path;
use std::process::Command;

/// One command of a README example and what it must print.
struct Example {
    /// The README line of the `$ ` line.
    line: usize,
    command: String,
    expected: Vec<String>,
    code: i32,
}

/// The examples of every runnable block, in README order.
fn examples(readme: &str) -> Vec<Example> {
    let lines: Vec<&str> = readme.lines().collect();
    let mut examples: Vec<Example> = Vec::new();
    let mut at = 0;
    while at < lines.len() {
        let opening = lines[at].trim_end();
        if !(opening == "```console" || opening == "```sh") {
            at += 1;
            continue;
        }
        let skipped = lines[..at]
            .iter()
            .rev()
            .find(|l| !l.trim().is_empty())
            .is_some_and(|l| l.trim_start().starts_with("<!-- not run:"));
        let start = at + 1;
        let end =
            (start..lines.len()).find(|&i| lines[i].trim_end() == "```").unwrap_or(lines.len());
        at = end + 1;
        if skipped {
            continue;
        }
        let mut continued = false;
        for (offset, line) in lines[start..end].iter().enumerate() {
            if continued {
                // A command continued with `\` at the end of its line.
                if let Some(example) = examples.last_mut() {
                    example.command.push('\n');
                    example.command.push_str(line);
                }
                continued = line.ends_with('\\');
                continue;
            }
            if let Some(command) = line.strip_prefix("$ ") {
                continued = command.ends_with('\\');
                let (command, code) = match command.rsplit_once("# exit ") {
                    Some((command, code)) => (command.trim_end(), code.trim().parse().unwrap()),
                    None => (command, 0),
                };
                examples.push(Example {
                    line: start + offset + 1,
                    command: command.to_string(),
                    expected: Vec::new(),
                    code,
                });
            } else if let Some(example) = examples.last_mut().filter(|e| e.line > start) {
                example.expected.push(line.to_string());
            }
        }
    }
    examples
}

/// Whether `actual` matches `pattern`, where `…` stands for any text.
fn line_matches(pattern: &str, actual: &str) -> bool {
    let pieces: Vec<&str> = pattern.split('…').collect();
    let [first, middle @ .., last] = pieces.as_slice() else { return pattern == actual };
    if pieces.len() == 1 {
        return pattern == actual;
    }
    let Some(mut rest) = actual.strip_prefix(first) else { return false };
    for piece in middle {
        match rest.find(piece) {
            Some(at) => rest = &rest[at + piece.len()..],
            None => return false,
        }
    }
    rest.ends_with(last)
}

/// Whether the `actual` lines match the `expected` ones (a line `…` matching any number).
fn lines_match(expected: &[String], actual: &[&str]) -> bool {
    match expected.split_first() {
        None => actual.is_empty(),
        Some((first, rest)) if first == "…" => {
            (0..=actual.len()).any(|skip| lines_match(rest, &actual[skip..]))
        }
        Some((first, rest)) => actual
            .split_first()
            .is_some_and(|(line, more)| line_matches(first, line) && lines_match(rest, more)),
    }
}

#[test]
fn every_console_example_in_the_readme_runs_as_shown() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let examples = examples(&readme);
    assert!(examples.len() >= 8, "the README's examples were not found");

    let work = tempfile::tempdir().unwrap();
    for folder in ["fixtures", "policies", "schemas", "scripts"] {
        std::os::unix::fs::symlink(root.join(folder), work.path().join(folder)).unwrap();
    }
    let bin = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_teczka"), bin.path().join("teczka")).unwrap();
    let path = format!("{}:{}", bin.path().display(), std::env::var("PATH").unwrap_or_default());

    let mut failures = Vec::new();
    for example in &examples {
        let output = Command::new("sh")
            .arg("-c")
            .arg(format!("{{ {}\n}} 2>&1", example.command))
            .current_dir(work.path())
            .env("PATH", &path)
            .env_remove("NO_COLOR")
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&output.stdout);
        let actual: Vec<&str> = text.lines().map(|l| l.trim_end_matches('\r')).collect();
        let code = output.status.code().unwrap_or(-1);
        if code != example.code || !lines_match(&example.expected, &actual) {
            failures.push(format!(
                "README.md:{}: `{}` exited {code} (expected {})\n--- expected\n{}\n--- actual\n{}",
                example.line,
                example.command,
                example.code,
                example.expected.join("\n"),
                actual.join("\n")
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn the_matcher_takes_ellipses_for_lines_and_text_and_nothing_else() {
    let expected = |lines: &[&str]| lines.iter().map(|l| l.to_string()).collect::<Vec<_>>();
    assert!(lines_match(&expected(&["a", "…", "d"]), &["a", "b", "c", "d"]));
    assert!(lines_match(&expected(&["a", "…"]), &["a"]));
    assert!(!lines_match(&expected(&["a", "d"]), &["a", "b", "d"]));
    assert!(line_matches("k=5 (…), …suppressed", "k=5 (12 groups), 3 suppressed"));
    assert!(!line_matches("k=5 (…)", "k=6 (12 groups)"));
    assert!(!line_matches("records: in=6", "records: in=7"));
}
