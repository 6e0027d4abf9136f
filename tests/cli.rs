//! The command line: exit codes, the summary line, schema output, outputs written atomically.

use crate::util::Dir;

#[test]
fn schema_prints_the_checked_in_json_schema_and_xsd() {
    let dir = Dir::new();
    let run = dir.run(&["schema"]).expect_code(0);
    let checked_in =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schemas/pupil.schema.json"))
            .unwrap();
    assert_eq!(run.stdout(), checked_in);
    let xsd = dir.run(&["schema", "--xsd"]).expect_code(0);
    let checked_in =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schemas/pupils.xsd"))
            .unwrap();
    assert_eq!(xsd.stdout(), checked_in);
}

#[test]
fn exit_codes_distinguish_clean_rejects_and_failure() {
    let dir = Dir::new();
    dir.create("ok.jsonl", "{\"id\":\"P1\",\"surname\":\"Nowak\",\"first_name\":\"Anna\"}\n");
    dir.create("bad.jsonl", "{\"id\":\"P1\",\"surname\":\"Nowak\",\"first_name\":\"Anna\"}\n{\"id\":\"P2\",\"sex\":\"unknown\"}\n");
    let clean = dir.run(&["validate", "ok.jsonl"]).expect_code(0);
    assert_eq!(clean.summary(), "records: in=1 out=1 rejected=0");
    let rejects = dir.run(&["validate", "bad.jsonl"]).expect_code(1);
    assert_eq!(rejects.summary(), "records: in=2 out=1 rejected=1");
    let failure = dir.run(&["validate", "missing.jsonl"]).expect_code(2);
    assert!(failure.stderr().starts_with("teczka: missing.jsonl:"), "{}", failure.stderr());
    dir.run(&["validate", "--no-such-flag", "ok.jsonl"]).expect_code(2);
}

#[test]
fn convert_writes_accepted_records_and_rejects_with_originals_and_reasons() {
    let dir = Dir::new();
    dir.create("in.jsonl", "{\"id\":\"P1\",\"surname\":\"Nowak\",\"first_name\":\"Anna\"}\n{\"id\":\"P2\",\"sex\":\"secret\"}\n");
    let run = dir.run(&["convert", "in.jsonl", "--to", "jsonl", "-o", "out.jsonl"]).expect_code(1);
    assert_eq!(run.summary(), "records: in=2 out=1 rejected=1");
    assert!(!run.stderr().contains("secret"), "a value leaked into the report: {}", run.stderr());
    assert_eq!(dir.read("out.jsonl").lines().count(), 1);
    let rejects = dir.read("out.jsonl.rejects.jsonl");
    let reject: serde_json::Value = serde_json::from_str(rejects.lines().next().unwrap()).unwrap();
    assert_eq!(reject["original"], "{\"id\":\"P2\",\"sex\":\"secret\"}");
    assert_eq!(reject["line"], 2);
}

#[test]
fn convert_refuses_to_overwrite_its_input() {
    let dir = Dir::new();
    dir.create("in.jsonl", "{\"id\":\"P1\"}\n");
    let run = dir.run(&["convert", "in.jsonl", "--to", "jsonl", "-o", "in.jsonl"]).expect_code(2);
    assert!(run.stderr().contains("would replace or write into the input"));
    assert_eq!(dir.read("in.jsonl"), "{\"id\":\"P1\"}\n");
}

#[test]
fn a_failed_convert_leaves_no_partial_output() {
    let dir = Dir::new();
    // The second line is over the record-size limit: the run stops with a failure.
    dir.create("in.jsonl", format!("{{\"id\":\"P1\"}}\n{{\"id\":\"{}\"}}\n", "x".repeat(200)));
    dir.run(&[
        "convert",
        "in.jsonl",
        "--to",
        "jsonl",
        "-o",
        "out.jsonl",
        "--max-record-bytes",
        "100",
    ])
    .expect_code(2);
    assert!(!dir.join("out.jsonl").exists());
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name())
        .collect();
    assert_eq!(
        leftovers,
        vec![std::ffi::OsString::from("in.jsonl")],
        "temporary files left behind"
    );
}

/// Reports travel: no PESEL, name or e-mail from the inputs may appear in a validation report,
/// text or JSON, even for records full of errors.
#[test]
fn reports_never_contain_the_personal_data_they_describe() {
    let dir = Dir::new();
    for input in ["broken/bad-values.csv", "broken/damaged.jsonl", "csv2sou/uczniowie-cp1250.csv"] {
        let path = crate::util::fixture(input);
        let raw = std::fs::read(&path).unwrap();
        let text = String::from_utf8_lossy(&raw);
        // Planted values: every PESEL-like digit run, and every name-like word or e-mail.
        let mut secrets: Vec<String> = text
            .split(|c: char| !c.is_ascii_digit())
            .filter(|run| run.len() >= 10)
            .map(String::from)
            .collect();
        assert!(secrets.len() >= 6, "{input}: the fixture should hold PESELs to look for");
        secrets.extend(
            ["Lewandowska", "Zielińska", "anna.l@example.pl", "Wójcik", "Szczęsny"]
                .map(String::from),
        );
        for report in ["text", "json"] {
            let run = dir.run(&["validate", &path, "--report", report, "--today", "2025-09-01"]);
            let output = format!("{}{}", run.stdout(), run.stderr());
            assert!(output.contains("records: in="), "{input}: no summary");
            for secret in &secrets {
                assert!(
                    !output.contains(secret.as_str()),
                    "{input} ({report}): the report leaks `{secret}`"
                );
            }
        }
    }
}

/// `-o -` means standard output wherever the format streams (issue 14): `generate` and
/// `convert` write the records there and no file named `-`; CSV, a folder, is refused with
/// the fix.
#[test]
fn dash_as_output_is_standard_output_for_every_streaming_format() {
    let dir = Dir::new();
    let run = dir.run(&["generate", "-n", "3", "--seed", "2", "--to", "jsonl", "-o", "-"]);
    let run = run.expect_code(0);
    assert_eq!(run.stdout().lines().count(), 3, "{}", run.stdout());
    let xml = dir.run(&["generate", "-n", "2", "--seed", "2", "--to", "sou", "-o", "-"]);
    assert!(xml.expect_code(0).stdout().trim_end().ends_with("</pupils>"));
    assert!(!dir.join("-").exists(), "a file named `-`");
    let csv = dir.run(&["generate", "-n", "2", "--to", "csv", "-o", "-"]).expect_code(2);
    assert!(csv.stderr().contains("give -o a folder name"), "{}", csv.stderr());
}

/// A missing input is named once with the operating system's reason, said once (issue 14).
#[test]
fn a_missing_input_names_the_file_and_the_reason_once() {
    let dir = Dir::new();
    for args in [
        &["validate", "absent.csv"][..],
        &["convert", "absent.jsonl", "--to", "jsonl", "-o", "x.jsonl"],
    ] {
        let run = dir.run(args).expect_code(2);
        assert!(run.stderr().contains("absent."), "{}", run.stderr());
        assert_eq!(
            run.stderr().matches("No such file or directory").count(),
            1,
            "{}",
            run.stderr()
        );
        // A failed run ends with the summary line too (nothing was read).
        assert_eq!(run.summary(), "records: in=0 out=0 rejected=0");
    }
    // A command that reads no records has no records line to end with.
    let run = dir.run(&["verify", "absent.zip"]).expect_code(2);
    assert!(!run.stderr().contains("records:"), "{}", run.stderr());
}

/// `validate --report json` on XML that breaks halfway prints one JSON document all the same,
/// saying where the run stopped (issue 14: it left `…"violations":[` on stdout).
#[test]
fn a_json_report_of_a_run_stopped_by_broken_xml_is_still_json() {
    let dir = Dir::new();
    dir.run(&["generate", "-n", "3", "--seed", "4", "--to", "sou", "-o", "g.xml"]).expect_code(0);
    let xml = dir.read("g.xml");
    let cut = xml.rfind("<pupil>").unwrap() + 40;
    dir.create("broken.xml", &xml[..cut]);
    let run = dir.run(&["validate", "broken.xml", "--report", "json"]).expect_code(2);
    let doc: serde_json::Value = serde_json::from_str(&run.stdout())
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", run.stdout()));
    assert!(doc["stopped"].as_str().unwrap().contains("broken.xml"), "{doc}");
    assert_eq!(doc["counts"]["in"], 2, "{doc}");
    // The summary line says how far the run came, as the report does.
    assert_eq!(run.summary(), "records: in=2 out=2 rejected=0");
}

/// `export` writes its validation report into the archive; `--report` and `--report-file`
/// are refused with where the report goes, not silently ignored (issue 14).
#[test]
fn export_refuses_report_flags_it_cannot_honour() {
    let dir = Dir::new();
    dir.run(&["generate", "-n", "2", "--to", "jsonl", "-o", "in.jsonl"]).expect_code(0);
    for flag in [&["--report", "json"][..], &["--report-file", "r.txt"]] {
        let mut args = vec!["export", "in.jsonl", "--policy", "transfer", "--unencrypted"];
        args.extend(["-o", "a.zip"]);
        args.extend(flag);
        let run = dir.run(&args).expect_code(2);
        assert!(run.stderr().contains("data/reports/validation.json"), "{}", run.stderr());
        assert!(!dir.join("a.zip").exists() && !dir.join("r.txt").exists());
    }
}

/// An archive cannot stream: `export -o -` is refused with the fix, not written as a bag
/// named `-` (issue 14).
#[test]
fn an_archive_to_standard_output_is_refused() {
    let dir = Dir::new();
    dir.run(&["generate", "-n", "2", "--to", "jsonl", "-o", "in.jsonl"]).expect_code(0);
    let args = ["export", "in.jsonl", "--policy", "transfer", "--unencrypted", "-o", "-"];
    let run = dir.run(&args).expect_code(2);
    assert!(run.stderr().contains("give -o a file name"), "{}", run.stderr());
    assert!(!dir.join("-").exists());
}

/// `-` as an input is standard input, in any format, told by `--format` or by its first byte
/// (issue 14).
#[test]
fn dash_as_input_is_standard_input_in_every_format() {
    use std::io::Write;
    use std::process::Stdio;
    let dir = Dir::new();
    let xml = dir.run(&["generate", "-n", "3", "--seed", "2", "--to", "sou", "-o", "-"]);
    let jsonl = dir.run(&["generate", "-n", "3", "--seed", "2", "--to", "jsonl", "-o", "-"]);
    let csv = "id;nazwisko;imie\n1;Nowak;Anna\n2;Kot;Ewa\n3;Lis;Jan\n".as_bytes().to_vec();
    for (name, input, format) in [
        ("xml", xml.0.stdout, None),
        ("jsonl", jsonl.0.stdout.clone(), None),
        ("jsonl-forced", jsonl.0.stdout, Some("jsonl")),
        ("csv", csv, None),
    ] {
        let rejects = format!("{name}.rejects.jsonl");
        let mut args = vec!["convert", "-", "--to", "jsonl", "-o", "-", "--rejects", &rejects];
        args.extend(format.map(|f| ["--format", f]).iter().flatten());
        let mut child = dir
            .command(&args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(&input).unwrap();
        let run = crate::util::Run(child.wait_with_output().unwrap()).expect_code(0);
        assert_eq!(run.summary(), "records: in=3 out=3 rejected=0", "{name}");
        assert_eq!(run.stdout().lines().count(), 3, "{name}");
    }
}

/// `--quiet` leaves errors, safety warnings and the summary line; `--verbose` lists every
/// problem rather than the first 20 (issue 14).
#[test]
fn quiet_and_verbose_set_how_much_is_said_on_standard_error() {
    let dir = Dir::new();
    let mut data = String::from("id;nazwisko;imie;plec\n");
    for n in 1..=30 {
        data.push_str(&format!("{n};Nowak;Anna;x\n"));
    }
    dir.create("zle.csv", &data);
    let convert = |flag: &str| {
        let mut args =
            vec!["convert", "zle.csv", "--to", "jsonl", "-o", "out.jsonl", "--rejects", "r.jsonl"];
        if !flag.is_empty() {
            args.insert(0, flag);
        }
        let _ = std::fs::remove_file(dir.join("out.jsonl"));
        let _ = std::fs::remove_file(dir.join("r.jsonl"));
        dir.run(&args).expect_code(1)
    };
    let problem_lines = |text: &str| text.lines().filter(|l| l.contains(": type: ")).count();
    let normal = convert("");
    assert_eq!(problem_lines(&normal.stderr()), 20, "{}", normal.stderr());
    assert!(normal.stderr().contains("10 more problems not shown"));
    let verbose = convert("--verbose");
    assert_eq!(problem_lines(&verbose.stderr()), 30, "{}", verbose.stderr());
    let quiet = convert("-q");
    assert_eq!(quiet.stderr(), "records: in=30 out=0 rejected=30\n");
    // The flags go anywhere on the line, and contradict each other.
    dir.run(&["validate", "zle.csv", "-q", "--verbose"]).expect_code(2);
}

/// Completions and manual pages come from the command definitions (issue 14).
#[test]
fn completions_and_manual_pages_cover_every_command() {
    let dir = Dir::new();
    let commands = [
        "validate",
        "convert",
        "schema",
        "generate",
        "keygen",
        "detokenise",
        "export",
        "import",
        "policy",
        "risk",
        "sar",
        "ropa",
        "verify",
        "completions",
        "man",
    ];
    let bash = dir.run(&["completions", "bash"]).expect_code(0).stdout();
    // What `teczka <Tab>` offers: the words of the top level's `opts`.
    let offered = bash.lines().find(|l| l.trim_start().starts_with("opts=\"-q -v -h -V"));
    let offered: Vec<&str> = offered.expect("the top level's opts").split(['"', ' ']).collect();
    for command in commands {
        assert!(offered.contains(&command), "bash completion lacks {command}: {offered:?}");
    }
    assert!(bash.contains("--policy") && bash.contains("--quiet"), "flags missing");
    for shell in ["zsh", "fish", "elvish", "powershell"] {
        let script = dir.run(&["completions", shell]).expect_code(0).stdout();
        assert!(script.contains("export"), "{shell} completion lacks export");
    }
    dir.run(&["completions", "tcsh"]).expect_code(2);

    dir.run(&["man", "-o", "man1"]).expect_code(0);
    for command in commands {
        let page = dir.read(&format!("man1/teczka-{command}.1"));
        assert!(page.contains(&format!(".TH teczka-{command} 1")), "teczka-{command}.1");
        assert!(page.contains(".SH EXAMPLES"), "teczka-{command}.1 has no examples");
    }
    let export = dir.read("man1/teczka-export.1");
    assert!(export.contains("drop\\-unknown\\-columns"), "export page lacks its flags");
    assert!(dir.read("man1/teczka-policy-show.1").contains(".SH NAME"));
    let top = dir.read("man1/teczka.1");
    assert!(top.contains(".TH teczka 1") && top.contains("teczka\\-sar(1)"), "{top:.300}");
    // Without -o, the top page alone, on standard output.
    assert_eq!(dir.run(&["man"]).expect_code(0).stdout(), top);
    // A file where the folder should be is refused by name.
    dir.create("taken", "");
    let refused = dir.run(&["man", "-o", "taken"]).expect_code(2).stderr();
    assert!(refused.contains("taken: cannot create the folder"), "{refused}");
}
