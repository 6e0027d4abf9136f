//! `teczka retention report` and `apply` on the bundled fixtures with the Polish and Czech
//! controller files: what expires, what a hold keeps, what the protocol says — and that no
//! pupil's name or national id reaches a report or a protocol, and the input stays as it was.

use crate::util::{fixture, Dir, Run};
use std::fs;
use std::path::Path;

/// Far enough ahead that the Polish 50-year period of every fixture pupil is over.
const FAR: &str = "2080-01-01";

/// Copy a fixture file or folder into `dir` under `name`.
fn copy_fixture(dir: &Dir, from: &str, name: &str) {
    let source = Path::new(&fixture(from)).to_path_buf();
    if source.is_dir() {
        for entry in fs::read_dir(&source).unwrap() {
            let path = entry.unwrap().path();
            let target = format!("{name}/{}", path.file_name().unwrap().to_string_lossy());
            dir.create(&target, fs::read(&path).unwrap());
        }
    } else {
        dir.create(name, fs::read(&source).unwrap());
    }
}

/// Every file under `path` with its bytes, sorted.
fn snapshot(path: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    if path.is_dir() {
        for entry in fs::read_dir(path).unwrap() {
            files.extend(snapshot(&entry.unwrap().path()));
        }
    } else {
        files.push((path.display().to_string(), fs::read(path).unwrap()));
    }
    files.sort();
    files
}

/// The national ids, contacts and full names of every pupil and guardian in a fixture: what
/// must never appear. (A surname alone may also be a member of staff's, as the DPO's is.)
fn personal_values(dir: &Dir, input: &str) -> Vec<String> {
    let run = dir.run(&["convert", input, "--to", "jsonl", "-o", "all-values.jsonl"]);
    assert!(run.code() <= 1, "{}", run.stderr());
    let mut values = Vec::new();
    for line in dir.read("all-values.jsonl").lines() {
        let pupil: serde_json::Value = serde_json::from_str(line).unwrap();
        let guardians = pupil["guardians"].as_array().into_iter().flatten();
        for person in std::iter::once(&pupil).chain(guardians) {
            for key in ["pesel", "birth_number", "phone", "email"] {
                values.extend(person[key].as_str().map(str::to_string));
            }
            if let (Some(first), Some(last)) =
                (person["first_name"].as_str(), person["surname"].as_str())
            {
                values.push(format!("{first} {last}"));
                values.push(format!("{last} {first}"));
            }
        }
    }
    assert!(values.len() > 50, "the fixture's people were not found");
    values
}

fn assert_no_personal_value(values: &[String], what: &str, text: &str) {
    for value in values {
        assert!(!text.contains(value.as_str()), "{what} holds a personal value: {value}");
    }
}

fn apply_pl(dir: &Dir, extra: &[&str]) -> Run {
    let controller = fixture("sar/controller-pl.toml");
    let args = [
        &["retention", "apply", "export", "--controller", &controller, "--today", FAR][..],
        &["--by", "Jan Nowak, dyrektor", "-o", "out"],
        extra,
    ]
    .concat();
    dir.run(&args)
}

#[test]
fn report_counts_what_is_past_its_period_and_names_nobody() {
    let dir = Dir::new();
    copy_fixture(&dir, "multi-file", "export");
    let controller = fixture("sar/controller-pl.toml");
    let run = dir
        .run(&["retention", "report", "export", "--controller", &controller, "--today", FAR])
        .expect_code(0);
    let out = run.stdout();
    assert!(out.contains("retention on 2080-01-01"), "{out}");
    assert!(out.lines().any(|l| l.starts_with("pupils") && l.contains("29/29")), "{out}");
    assert!(out.contains("hold I C 412/25"), "{out}");
    assert!(out.contains("30 read, 29 whole records past their period"), "{out}");
    let values = personal_values(&dir, "export");
    assert_no_personal_value(&values, "the report", &format!("{out}{}", run.stderr()));

    // Nothing is due yet in 2026; attendance of 2025/26 falls due within five years.
    let run = dir
        .run(&[
            "retention",
            "report",
            "export",
            "--controller",
            &controller,
            "--today",
            "2030-06-01",
            "--within",
            "24",
            "--json",
        ])
        .expect_code(0);
    let json: serde_json::Value = serde_json::from_str(&run.stdout()).unwrap();
    assert_eq!(json["operation"], "report");
    let attendance = &json["report"]["categories"][4];
    assert_eq!(attendance["category"], "attendance");
    assert!(attendance["due_soon"]["items"].as_u64().unwrap() > 0, "{attendance}");
    assert_no_personal_value(&values, "the JSON report", &run.stdout());
}

#[test]
fn apply_writes_the_remainder_and_a_protocol_without_touching_the_input() {
    let dir = Dir::new();
    copy_fixture(&dir, "multi-file", "export");
    let before = snapshot(&dir.join("export"));
    let run = apply_pl(&dir, &["--to", "jsonl"]).expect_code(0);
    assert_eq!(before, snapshot(&dir.join("export")), "the input changed");

    let stderr = run.stderr();
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines[lines.len() - 2], "items: in=1194 kept=49 erased=1145 anonymised=0");
    assert_eq!(lines[lines.len() - 1], "pupils: in=30 kept=1 erased=29 anonymised=0");

    // Only the held pupil stays, exactly as read.
    let out = dir.read("out/records.jsonl");
    dir.run(&["convert", "export", "--to", "jsonl", "-o", "as-read.jsonl"]);
    let held =
        dir.read("as-read.jsonl").lines().find(|l| l.contains("\"P-000003\"")).unwrap().to_string();
    assert_eq!(out.lines().collect::<Vec<_>>(), vec![held.as_str()]);

    let protocol: serde_json::Value = serde_json::from_str(&dir.read("out/protocol.json")).unwrap();
    let items = &protocol["items"];
    let sum =
        ["kept", "erased", "anonymised"].iter().map(|k| items[k].as_u64().unwrap()).sum::<u64>();
    assert_eq!(items["in"].as_u64().unwrap(), sum);
    assert_eq!(protocol["performed_by"], "Jan Nowak, dyrektor");
    assert_eq!(protocol["holds"][0]["case"], "I C 412/25");
    assert_eq!(protocol["holds"][0]["pupils"], 1);
    let attendance = protocol["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["category"] == "attendance")
        .unwrap();
    assert_eq!(
        (attendance["code"].as_str(), attendance["items"].as_u64()),
        (Some("B5"), Some(109))
    );
    assert_eq!(protocol["inputs"].as_array().unwrap().len(), 14);

    let values = personal_values(&dir, "export");
    for file in ["out/protocol.json", "out/protocol.html"] {
        assert_no_personal_value(&values, file, &dir.read(file));
    }
    assert_no_personal_value(&values, "the terminal", &stderr);
    let html = dir.read("out/protocol.html");
    assert!(html.contains("Protokół brakowania") && html.contains("<td>B5</td>"), "{html}");
    assert!(!html.contains("<script"), "the page is self-contained");
}

#[cfg(unix)]
#[test]
fn outputs_are_private_whatever_the_umask() {
    use std::os::unix::fs::PermissionsExt;
    let dir = Dir::new();
    copy_fixture(&dir, "multi-file", "export");
    apply_pl(&dir, &[]).expect_code(0);
    let mode = |p: &str| fs::metadata(dir.join(p)).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode("out"), 0o700);
    assert_eq!(mode("out/records"), 0o700);
    for file in ["out/protocol.json", "out/protocol.html", "out/records/pupils.csv"] {
        assert_eq!(mode(file), 0o600, "{file}");
    }
}

#[test]
fn czech_schedule_anonymises_guardians_keeps_archival_records_and_held_remarks() {
    let dir = Dir::new();
    copy_fixture(&dir, "jsonl/zaci.jsonl", "zaci.jsonl");
    let before = fs::read(dir.join("zaci.jsonl")).unwrap();
    let controller = fixture("sar/controller-cz.toml");
    let run = dir
        .run(&[
            "retention",
            "apply",
            "zaci.jsonl",
            "--controller",
            &controller,
            "--today",
            FAR,
            "--by",
            "Eva Malá, ředitelka",
            "-o",
            "po_skartaci",
        ])
        .expect_code(0);
    assert_eq!(before, fs::read(dir.join("zaci.jsonl")).unwrap(), "the input changed");
    assert!(
        run.stderr().ends_with("pupils: in=25 kept=25 erased=0 anonymised=0\n"),
        "{}",
        run.stderr()
    );
    let out = dir.read("po_skartaci/records.jsonl");
    let mut remarks = 0;
    for line in out.lines() {
        let pupil: serde_json::Value = serde_json::from_str(line).unwrap();
        assert!(pupil["birth_number"].is_string(), "archival (A 45): the record stays");
        assert!(pupil.get("attendance").is_none(), "S 10: attendance erased");
        assert!(pupil.get("consents").is_none());
        for guardian in pupil["guardians"].as_array().into_iter().flatten() {
            assert!(
                guardian.get("surname").is_none() && guardian.get("phone").is_none(),
                "{guardian}"
            );
        }
        remarks += pupil["remarks"].as_array().map_or(0, Vec::len);
    }
    assert_eq!(remarks, 25, "the police hold keeps every remark");
    let html = dir.read("po_skartaci/protocol.html");
    assert!(html.contains("Skartační protokol") && html.contains("KRPB-12345/TČ-2025"), "{html}");
    assert!(html.contains("anonymizováno"), "{html}");
    assert!(html.contains("Archiválie k předání do archivu"), "{html}");
    let protocol: serde_json::Value =
        serde_json::from_str(&dir.read("po_skartaci/protocol.json")).unwrap();
    assert_eq!(protocol["archival"][0]["category"], "pupils");
    assert_eq!(protocol["archival"][0]["code"], "A 45");
    assert_eq!(protocol["archival"][0]["items"], 25);
    let values = personal_values(&dir, "zaci.jsonl");
    for file in ["po_skartaci/protocol.json", "po_skartaci/protocol.html"] {
        assert_no_personal_value(&values, file, &dir.read(file));
    }
}

#[test]
fn a_signed_protocol_verifies_with_the_public_key() {
    let dir = Dir::new();
    copy_fixture(&dir, "multi-file", "export");
    dir.run(&["keygen", "--minisign", "-o", "school.key"]).expect_code(0);
    apply_pl(&dir, &["--sign", "school.key"]).expect_code(0);
    let json = fs::read(dir.join("out/protocol.json")).unwrap();
    let signature = dir.read("out/protocol.json.minisig");
    let key = teczka::TrustedKey::from_arg(&dir.join("school.pub").display().to_string()).unwrap();
    key.check(&json, &signature).expect("the signature verifies");
    let protocol: serde_json::Value = serde_json::from_slice(&json).unwrap();
    assert_eq!(protocol["signed_with"].as_str(), Some(key.id().as_str()));
}

#[test]
fn apply_refuses_to_write_into_its_input_or_over_another_run() {
    let dir = Dir::new();
    copy_fixture(&dir, "multi-file", "export");
    let controller = fixture("sar/controller-pl.toml");
    let run = dir.run(&[
        "retention",
        "apply",
        "export",
        "--controller",
        &controller,
        "--by",
        "x",
        "-o",
        "export/out",
    ]);
    assert_eq!(run.code(), 2);
    assert!(run.stderr().contains("would replace or write into the input"), "{}", run.stderr());
    dir.create("taken/file.txt", "x");
    let run = dir.run(&[
        "retention",
        "apply",
        "export",
        "--controller",
        &controller,
        "--by",
        "x",
        "-o",
        "taken",
    ]);
    assert_eq!(run.code(), 2);
    assert!(run.stderr().contains("not empty"), "{}", run.stderr());
    assert_eq!(dir.read("taken/file.txt"), "x");
}

#[test]
fn a_controller_without_a_machine_readable_period_is_refused() {
    let dir = Dir::new();
    let text = fs::read_to_string(fixture("sar/controller-pl.toml")).unwrap();
    let plain: String = text
        .lines()
        .filter(|l| {
            !l.starts_with("years")
                && !l.starts_with("months")
                && !l.starts_with("from")
                && !l.starts_with("calendar_years")
        })
        .collect::<Vec<_>>()
        .join("\n");
    dir.create("c.toml", plain);
    let run =
        dir.run(&["retention", "report", &fixture("jsonl/zaci.jsonl"), "--controller", "c.toml"]);
    assert_eq!(run.code(), 2);
    assert!(
        run.stderr().contains("c.toml: no `[[retention]]` entry has a machine-readable period"),
        "{}",
        run.stderr()
    );
}

#[test]
fn a_language_school_anonymises_whole_records_ten_years_after_the_contract() {
    let dir = Dir::new();
    copy_fixture(&dir, "multi-file", "export");
    let controller = fixture("retention/controller-language-school.toml");
    let run = dir
        .run(&[
            "retention",
            "apply",
            "export",
            "--controller",
            &controller,
            "--today",
            "2040-01-01",
            "--by",
            "Zarząd",
            "--to",
            "jsonl",
            "-o",
            "po_anonimizacji",
        ])
        .expect_code(0);
    let stderr = run.stderr();
    assert!(stderr.ends_with("pupils: in=30 kept=0 erased=0 anonymised=30\n"), "{stderr}");
    assert!(stderr.contains("items: in=1194 kept=0 erased=165 anonymised=1029"), "{stderr}");
    let out = dir.read("po_anonimizacji/records.jsonl");
    let values = personal_values(&dir, "export");
    assert_no_personal_value(&values, "the anonymised remainder", &out);
    for (n, line) in out.lines().enumerate() {
        let pupil: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(pupil["id"], format!("anon-{}", n + 1));
        assert!(pupil["birth_date"].as_str().is_none_or(|y| y.len() == 4), "{pupil}");
        for gone in ["pesel", "surname", "first_name", "payments", "health", "counselling"] {
            assert!(pupil.get(gone).is_none(), "{gone}: {pupil}");
        }
        assert!(pupil["enrolment"].get("register_number").is_none(), "{pupil}");
        for day in pupil["attendance"].as_array().into_iter().flatten() {
            assert_eq!(day["date"].as_str().map(str::len), Some(4), "{day}");
        }
    }
    // Six years earlier, only health notes are past their period; nothing else changes.
    let run = dir
        .run(&[
            "retention",
            "report",
            "export",
            "--controller",
            &controller,
            "--today",
            "2030-01-01",
            "--json",
        ])
        .expect_code(0);
    let json: serde_json::Value = serde_json::from_str(&run.stdout()).unwrap();
    let pupils = &json["report"]["categories"][0];
    assert_eq!(
        (pupils["expired"]["items"].as_u64(), pupils["total"]["items"].as_u64()),
        (Some(0), Some(30))
    );
}

#[test]
fn anonymised_xml_follows_the_released_xsd_written_beside_it() {
    let dir = Dir::new();
    copy_fixture(&dir, "multi-file", "export");
    let controller = fixture("retention/controller-language-school.toml");
    dir.run(&[
        "retention",
        "apply",
        "export",
        "--controller",
        &controller,
        "--today",
        "2040-01-01",
        "--by",
        "Zarząd",
        "--to",
        "sou",
        "-o",
        "out",
    ])
    .expect_code(0);
    let protocol = dir.read("out/protocol.json");
    assert!(protocol.contains("\"anonymised\": 1029"), "{protocol}");
    let Some(xmllint) = crate::convert::xmllint() else { return };
    let lint = std::process::Command::new(xmllint)
        .args(["--noout", "--schema", "out/records.released.xsd", "out/records.xml"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(lint.status.success(), "{}", String::from_utf8_lossy(&lint.stderr));
}
