//! Hostile and broken input (SPEC §9): refused with a clear message naming the place, never a
//! panic, never a hang, never an expansion.

use crate::util::Dir;

const BILLION_LAUGHS: &str = r#"<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<pupils xmlns="https://teczka.example/ns/sou/1" version="1"><pupil><id>&lol3;</id></pupil></pupils>
"#;

const EXTERNAL_ENTITY: &str = r#"<?xml version="1.0"?>
<pupils xmlns="https://teczka.example/ns/sou/1" version="1"><pupil><id>&xxe;</id></pupil></pupils>
"#;

#[test]
fn xml_with_a_doctype_is_refused_before_any_record() {
    let dir = Dir::new();
    dir.create("lol.xml", BILLION_LAUGHS);
    let run = dir.run(&["convert", "lol.xml", "--to", "jsonl", "-o", "out.jsonl"]).expect_code(2);
    assert!(run.stderr().contains("lol.xml: record 1 (line 2"), "{}", run.stderr());
    assert!(run.stderr().contains("DOCTYPE"), "{}", run.stderr());
    assert!(!dir.join("out.jsonl").exists());
}

#[test]
fn an_undeclared_entity_is_refused_not_fetched() {
    let dir = Dir::new();
    dir.create("xxe.xml", EXTERNAL_ENTITY);
    let run = dir.run(&["validate", "xxe.xml"]).expect_code(2);
    assert!(run.stderr().contains("xxe.xml"), "{}", run.stderr());
    assert!(run.stderr().contains("entity"), "{}", run.stderr());
}

#[test]
fn deep_nesting_stops_at_the_limit() {
    let dir = Dir::new();
    let deep = format!(
        "<pupils xmlns=\"https://teczka.example/ns/sou/1\" version=\"1\"><pupil>{}{}</pupil></pupils>",
        "<a>".repeat(100),
        "</a>".repeat(100)
    );
    dir.create("deep.xml", deep);
    let run = dir.run(&["validate", "deep.xml"]).expect_code(2);
    assert!(run.stderr().contains("exceeds the limit of 32"), "{}", run.stderr());
}

#[test]
fn truncated_xml_names_file_and_position() {
    let dir = Dir::new();
    dir.create(
        "cut.xml",
        "<pupils xmlns=\"https://teczka.example/ns/sou/1\" version=\"1\">\n<pupil><id>P1</id></pupil>\n<pupil><id>P2",
    );
    let run = dir.run(&["convert", "cut.xml", "--to", "jsonl", "-o", "out.jsonl"]).expect_code(2);
    assert!(run.stderr().contains("cut.xml: record 2 (line 3"), "{}", run.stderr());
    assert!(!dir.join("out.jsonl").exists(), "no partial output under the final name");
}

// Issue 11, item 10: values in messages and on the command line.

#[test]
fn a_data_file_given_as_a_policy_or_controller_is_not_quoted() {
    let dir = Dir::new();
    let line =
        r#"{"id":"P-1","surname":"Kowalska","pesel":"44051401359","email":"anna@example.pl"}"#;
    dir.create("d.jsonl", format!("{line}\n"));
    let runs = [
        dir.run(&["convert", "d.jsonl", "--policy", "d.jsonl", "--to", "jsonl", "-o", "z.jsonl"]),
        dir.run(&["policy", "check", "d.jsonl"]),
        dir.run(&[
            "sar",
            "d.jsonl",
            "--subject",
            "id:P-1",
            "--controller",
            "d.jsonl",
            "--received",
            "2026-11-02",
            "--unencrypted",
            "-o",
            "q.zip",
        ]),
    ];
    for run in runs {
        let out = format!("{}{}", run.stdout(), run.stderr());
        assert_eq!(run.code(), 2, "{out}");
        assert!(out.contains("line 1, column"), "{out}");
        for value in ["44051401359", "anna@example.pl", "Kowalska"] {
            assert!(!out.contains(value), "{value} in {out}");
        }
    }
}

#[test]
fn pupil_ids_reach_the_terminal_with_control_characters_escaped() {
    let dir = Dir::new();
    dir.create(
        "ctl.jsonl",
        "{\"id\":\"X\\u001b[31mRED\\nrecords: in=1 out=1 rejected=0\",\"surname\":\"K\",\"first_name\":\"J\",\"pesel\":\"1\"}\n",
    );
    let run = dir.run(&["validate", "ctl.jsonl"]).expect_code(1);
    let out = format!("{}{}", run.stdout(), run.stderr());
    assert!(!out.contains('\u{1b}'), "{out}");
    assert!(out.contains("pupil `X\\u{1b}[31mRED\\u{a}records: in=1 out=1 rejected=0`"), "{out}");
    assert_eq!(out.lines().filter(|l| l.starts_with("records:")).count(), 1, "{out}");
}

#[test]
fn the_subject_is_never_echoed_and_can_come_from_a_file_stdin_or_the_environment() {
    let dir = Dir::new();
    dir.create("d.jsonl", "{\"id\":\"P-1\",\"surname\":\"K\",\"first_name\":\"J\"}\n");
    let controller = crate::util::fixture("sar/controller-pl.toml");
    let sar = |extra: &[&str]| {
        let mut args = vec![
            "sar",
            "d.jsonl",
            "--controller",
            &controller,
            "--received",
            "2026-11-02",
            "--unencrypted",
        ];
        args.extend_from_slice(extra);
        args.iter().map(|s| s.to_string()).collect::<Vec<_>>()
    };
    let bad = sar(&["--subject", "pesel:1528303358 Kowalski", "-o", "q.zip"]);
    let run = dir.run(&bad.iter().map(String::as_str).collect::<Vec<_>>()).expect_code(2);
    let out = run.stderr();
    assert!(!out.contains("1528303358") && !out.contains("Kowalski"), "{out}");
    assert!(out.contains("not 11 digits"), "{out}");

    dir.create("subject.txt", "id:P-1\n");
    let args = sar(&["--subject-file", "subject.txt", "-o", "f.zip"]);
    dir.run(&args.iter().map(String::as_str).collect::<Vec<_>>()).expect_code(0);
    let args = sar(&["--subject-env", "TECZKA_TEST_SUBJECT", "-o", "e.zip"]);
    let output = dir
        .command(&args.iter().map(String::as_str).collect::<Vec<_>>())
        .env("TECZKA_TEST_SUBJECT", "id:P-1")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
    let args = sar(&["--subject-file", "-", "-o", "s.zip"]);
    let mut child = dir
        .command(&args.iter().map(String::as_str).collect::<Vec<_>>())
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(b"id:P-1\n").unwrap();
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
    let help = dir.run(&["sar", "--help"]).stdout();
    assert!(help.contains("--subject-env") && help.contains("/proc/PID/cmdline"), "{help}");
}
