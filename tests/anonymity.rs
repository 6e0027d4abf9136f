//! Anonymity measured from outside: the statistics release against an attacker who knows every
//! released field (counted by pycanon, not by teczka), identifiers typed into free text, and
//! date shifts an anchored date would undo. Each test reproduces a break the security review
//! found (`../shared/redteam/b2`, `b4`, `b7`).

use crate::util::{has_python_module, Dir};
use chrono::{Datelike, NaiveDate};
use serde_json::Value;
use std::path::Path;

fn jsonl(text: &str) -> Vec<Value> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn write_jsonl(dir: &Dir, name: &str, pupils: &[Value]) {
    let text: String = pupils.iter().map(|p| format!("{p}\n")).collect();
    dir.create(name, text);
}

fn generate(dir: &Dir, n: &str, seed: &str, name: &str) -> Vec<Value> {
    let run = dir.run(&[
        "generate", "-n", n, "--seed", seed, "--detail", "full", "--to", "jsonl", "-o", name,
    ]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    jsonl(&dir.read(name))
}

/// `convert INPUT --policy POLICY --to jsonl -o OUT` at a fixed reference date; must succeed.
fn convert(dir: &Dir, input: &str, policy: &str, out: &str) -> crate::util::Run {
    let run = dir.run(&[
        "convert",
        input,
        "--policy",
        policy,
        "--today",
        "2026-09-01",
        "--to",
        "jsonl",
        "-o",
        out,
    ]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    run
}

/// pycanon over the release with every released field but `sensitive` as a quasi-identifier;
/// `None` where pycanon is not installed (CI installs it and sets TECZKA_REQUIRE_PYCANON).
fn pycanon_all_released(file: &Path, sensitive: &[&str]) -> Option<Value> {
    if !has_python_module("pycanon") {
        return None;
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/pycanon_check.py");
    let out = std::process::Command::new("python3")
        .arg(script)
        .arg(file)
        .args(["--all-released", "--sa", &sensitive.join(",")])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    Some(serde_json::from_slice(&out.stdout).unwrap())
}

/// The acceptance run of the statistics preset: 20,000 full-detail pupils (seed 42), released
/// and counted by pycanon with every released field known to the attacker.
#[test]
fn the_statistics_release_is_k_anonymous_and_l_diverse_over_every_released_field() {
    let dir = Dir::new();
    let args = ["generate", "-n", "20000", "--seed", "42", "--detail", "full", "--to", "jsonl"];
    assert_eq!(dir.run(&[&args[..], &["-o", "pupils.jsonl"]].concat()).code(), 0);
    let run = convert(&dir, "pupils.jsonl", "statistics", "stats.jsonl");
    let text = dir.read("stats.jsonl");
    let released = jsonl(&text);
    assert!(released.len() >= 19_000, "at most 5 % suppressed: {}", run.summary());
    // Nothing released outside the declared fields: no event list, no free text, no id.
    for pupil in &released {
        let keys: Vec<&str> = pupil.as_object().unwrap().keys().map(String::as_str).collect();
        for key in &keys {
            assert!(
                [
                    "sex",
                    "birth_date",
                    "national_citizen",
                    "birth_country",
                    "addresses",
                    "enrolment",
                    "indicators"
                ]
                .contains(key),
                "{key} released"
            );
        }
    }
    let strings = released_strings(&released);
    for line in dir.read("pupils.jsonl").lines().take(2000) {
        let pupil: Value = serde_json::from_str(line).unwrap();
        for id in ["id", "pesel"] {
            let value = pupil[id].as_str().unwrap();
            assert!(!strings.contains(value), "an original {id} is released");
        }
    }
    let sensitive = ["indicators.counselling"];
    let Some(count) = pycanon_all_released(&dir.join("stats.jsonl"), &sensitive) else {
        return;
    };
    assert!(count["k"].as_u64().unwrap() >= 5, "k over every released field: {count}");
    assert!(count["l"].as_u64().unwrap() >= 2, "l of the counselling codes: {count}");
}

/// Every string in a release, keys and values, at any depth.
fn released_strings(released: &[Value]) -> std::collections::HashSet<&str> {
    let mut out = std::collections::HashSet::new();
    let mut stack: Vec<&Value> = released.iter().collect();
    while let Some(value) = stack.pop() {
        match value {
            Value::String(s) => {
                out.insert(s.as_str());
            }
            Value::Array(items) => stack.extend(items),
            Value::Object(map) => {
                out.extend(map.keys().map(String::as_str));
                stack.extend(map.values());
            }
            _ => {}
        }
    }
    out
}

/// `convert INPUT --policy fixtures/policies/research.toml --key (new key) --to jsonl -o OUT`
/// with `extra` arguments.
fn convert_research(dir: &Dir, input: &str, out: &str, extra: &[&str]) -> crate::util::Run {
    let key = dir.join("k.key").display().to_string();
    if !dir.join("k.key").exists() {
        assert_eq!(dir.run(&["keygen", "-o", &key]).code(), 0);
    }
    let research = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/policies/research.toml");
    let mut args = vec!["convert", input, "--policy", research.to_str().unwrap()];
    args.extend(["--key", &key, "--to", "jsonl", "-o", out]);
    args.extend(extra);
    let run = dir.run(&args);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    run
}

/// Another pupil's PESEL typed into payment titles, achievement titles, exam names, counselling
/// kinds and a register number (`redteam/b2_free_text.sh`).
fn plant_victim(dir: &Dir) -> String {
    let mut pupils = generate(dir, "400", "3", "base.jsonl");
    let victim = pupils[1].clone();
    let pesel = victim["pesel"].as_str().unwrap().to_string();
    let canary = format!(
        "{} {} PESEL {pesel} {}",
        victim["surname"].as_str().unwrap(),
        victim["first_name"].as_str().unwrap(),
        "rodzic: ktos.inny@example.pl"
    );
    for pupil in pupils.iter_mut().skip(2).take(40) {
        for (list, field) in [
            ("payments", "title"),
            ("achievements", "title"),
            ("exams", "exam"),
            ("counselling", "kind"),
        ] {
            for item in pupil[list].as_array_mut().into_iter().flatten() {
                item[field] = Value::String(format!("{field}: {canary}"));
            }
        }
        pupil["enrolment"]["register_number"] = Value::String(pesel.clone());
    }
    write_jsonl(dir, "canary.jsonl", &pupils);
    pesel
}

#[test]
fn identifiers_in_free_text_never_reach_a_statistics_or_research_release() {
    let dir = Dir::new();
    let pesel = plant_victim(&dir);
    convert(&dir, "canary.jsonl", "statistics", "stat.jsonl");
    assert!(!dir.read("stat.jsonl").contains(&pesel), "statistics release holds the PESEL");

    let run = convert_research(
        &dir,
        "canary.jsonl",
        "research.jsonl",
        &["--report", "json", "--report-file", "report.json"],
    );
    let out = dir.read("research.jsonl");
    assert!(!out.contains(&pesel), "research release holds the PESEL");
    assert!(!out.contains("ktos.inny@example.pl"), "research release holds the e-mail");
    assert!(out.contains("[redacted]"), "the redaction shows where text was removed");
    // Reported where, never what.
    let report = dir.read("report.json");
    assert!(report.contains("identifier-in-text"), "{report}");
    assert!(report.contains("exams[].exam"), "{report}");
    assert!(!report.contains(&pesel) && !run.stderr().contains(&pesel));
}

#[test]
fn a_transfer_keeps_free_text_as_written_and_says_where_identifiers_are() {
    let dir = Dir::new();
    let pesel = plant_victim(&dir);
    let run = convert(&dir, "canary.jsonl", "transfer", "t.jsonl");
    assert!(dir.read("t.jsonl").contains(&pesel), "a transfer hands over what the school holds");
    let stderr = run.stderr();
    assert!(stderr.contains("identifier-in-text"), "{stderr}");
    assert!(stderr.contains("identifiers_in_text = \"redact\""), "{stderr}");
    assert!(!stderr.contains(&pesel));
}

#[test]
fn a_statistics_policy_that_keeps_free_text_is_refused_naming_the_field() {
    let dir = Dir::new();
    let preset = dir.run(&["policy", "show", "statistics"]).stdout();
    let keeps =
        preset.replace("\"payments[].title\" = \"drop\"", "\"payments[].title\" = \"keep\"");
    assert_ne!(keeps, preset, "the preset names payments[].title");
    dir.create("mine.toml", keeps);
    let run = dir.run(&["policy", "check", "mine.toml"]);
    assert_eq!(run.code(), 2, "{}", run.stdout());
    assert!(run.stderr().contains("`payments[].title` holds free text"), "{}", run.stderr());
    let register = preset.replace(
        "\"enrolment.register_number\" = \"drop\"",
        "\"enrolment.register_number\" = \"keep\"",
    );
    dir.create("register.toml", register);
    let run = dir.run(&["policy", "check", "register.toml"]);
    assert_eq!(run.code(), 2);
    assert!(
        run.stderr().contains("neither a quasi-identifier nor a sensitive"),
        "{}",
        run.stderr()
    );
}

/// `redteam/b4_dateshift.sh`: with one shift per pupil, the admission date (nearly always
/// 1 September) gave the shift away and with it the birth date. The research extract now
/// generalises the admission date and shifts every other date field by its own offset, so even
/// an attacker who knows a pupil's true dates of another field recovers birth dates no better
/// than by guessing one of the 40 possible shifts.
#[test]
fn no_birth_date_is_recovered_from_another_released_date_of_the_research_extract() {
    let dir = Dir::new();
    let original = generate(&dir, "400", "3", "base.jsonl");
    convert_research(&dir, "base.jsonl", "r.jsonl", &[]);
    let released = jsonl(&dir.read("r.jsonl"));
    let date = |v: &Value| NaiveDate::parse_from_str(v.as_str()?, "%Y-%m-%d").ok();
    let (mut from_admission, mut from_attendance, mut tried) = (0, 0, 0);
    for (o, r) in original.iter().zip(&released) {
        let (Some(birth), Some(true_birth)) = (date(&r["birth_date"]), date(&o["birth_date"]))
        else {
            continue;
        };
        // The review's attack: the shift that brings admission back to a 1 September.
        if let Some(admission) = date(&r["enrolment"]["admission_date"]) {
            let shift = [admission.year() - 1, admission.year(), admission.year() + 1]
                .iter()
                .filter_map(|y| NaiveDate::from_ymd_opt(*y, 9, 1))
                .map(|sept| (admission - sept).num_days())
                .min_by_key(|d| d.abs())
                .unwrap();
            from_admission += usize::from(birth - chrono::Duration::days(shift) == true_birth);
        } else {
            assert!(
                r["enrolment"]["admission_date"].as_str().is_none_or(|a| a.len() == 7),
                "admission is released as its month"
            );
        }
        // A stronger attacker who knows the true attendance dates.
        let pairs = o["attendance"]
            .as_array()
            .into_iter()
            .flatten()
            .zip(r["attendance"].as_array().into_iter().flatten());
        if let Some((oa, ra)) = pairs.take(1).next() {
            let shift = (date(&ra["date"]).unwrap() - date(&oa["date"]).unwrap()).num_days();
            tried += 1;
            from_attendance += usize::from(birth - chrono::Duration::days(shift) == true_birth);
        }
    }
    assert_eq!(from_admission, 0, "birth dates recovered through the admission date");
    assert!(tried > 300, "the attack was tried on {tried} pupils");
    // Chance alone: 1 in 40 shifts.
    assert!(from_attendance * 100 < tried * 6, "{from_attendance} of {tried} recovered");
}
