//! Policies end to end: `convert --policy`, `risk`, `policy`, and the leak tests — planted
//! canary keys and original identifiers searched for in every output byte.

use crate::util::{fixture, Dir};
use serde_json::Value;
use std::collections::{BTreeSet, HashMap};
use std::fs;
use std::path::Path;

/// A key file with a known secret, in the format `teczka keygen` writes, readable by the
/// owner only.
fn canary_key(dir: &Dir) -> (String, String) {
    let run = dir.run(&["keygen", "-o", "school.key"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let text = dir.read("school.key");
    let secret = text
        .lines()
        .find(|l| !l.starts_with('#') && !l.trim().is_empty())
        .and_then(|l| l.split(':').nth(1))
        .expect("key line")
        .trim()
        .to_string();
    (dir.join("school.key").display().to_string(), secret)
}

/// Every file under `path`, recursively, as bytes.
fn all_bytes(path: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    if path.is_dir() {
        for entry in fs::read_dir(path).unwrap() {
            out.extend(all_bytes(&entry.unwrap().path()));
        }
    } else if path.exists() {
        out.push((path.display().to_string(), fs::read(path).unwrap()));
    }
    out
}

fn jsonl(text: &str) -> Vec<Value> {
    text.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

/// Values of the generated pupils that must never leave under a pseudonymising policy.
fn identifiers(input: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for pupil in jsonl(input) {
        for key in ["id", "pesel", "birth_number", "surname", "first_name"] {
            if let Some(v) = pupil.get(key).and_then(Value::as_str) {
                if v.len() >= 4 {
                    out.insert(v.to_string());
                }
            }
        }
        for guardian in pupil["guardians"].as_array().into_iter().flatten() {
            for key in ["phone", "email", "surname"] {
                if let Some(v) = guardian.get(key).and_then(Value::as_str) {
                    out.insert(v.to_string());
                }
            }
        }
    }
    out
}

fn generate(dir: &Dir, n: &str, name: &str) -> String {
    let run = dir.run(&[
        "generate", "-n", n, "--seed", "3", "--detail", "typical", "--to", "jsonl", "-o", name,
    ]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    dir.read(name)
}

const PSEUDONYMISE: &str = r#"
[policy]
name = "research extract"
purpose = "other"
reference_date = "2026-09-01"

[fields]
"*" = "drop"
"id" = "pseudonymise"
"sex" = "keep"
"birth_date" = { op = "date-shift", max_days = 20 }
"enrolment.admission_date" = { op = "date-shift", max_days = 20 }
"enrolment.class_level" = "keep"
"pesel" = { op = "pseudonymise", derive = ["sex"] }
"guardians[].phone" = { op = "mask", keep_end = 2 }
"grades[].*" = "keep"
"counselling[].kind" = "keep"
"counselling[].number" = "drop"
"counselling[].issuer" = "drop"
"counselling[].issued_on" = "drop"
"counselling[].valid_until" = "drop"
"counselling[].notes" = "drop"
"health[].category" = "drop"
"health[].note" = "drop"
"health[].recorded_on" = "drop"
"#;

#[test]
fn no_key_and_no_original_identifier_reaches_any_output() {
    let dir = Dir::new();
    let input = generate(&dir, "300", "pupils.jsonl");
    let (key, secret) = canary_key(&dir);
    dir.create("research.toml", PSEUDONYMISE);
    let mut outputs = Vec::new();
    for (to, out) in [("jsonl", "out/p.jsonl"), ("sou", "out/p.xml"), ("csv", "out/csv")] {
        let run = dir.run(&[
            "convert",
            "pupils.jsonl",
            "--policy",
            "research.toml",
            "--key",
            &key,
            "--to",
            to,
            "-o",
            out,
            "--report",
            "json",
            "--report-file",
            "out/report.json",
        ]);
        assert_eq!(run.code(), 0, "{}", run.stderr());
        outputs.push(("stderr".to_string(), run.0.stderr.clone()));
        outputs.push(("stdout".to_string(), run.0.stdout.clone()));
    }
    // The released schemas beside each output are the published schemas, loosened: the same
    // text whatever the input (their descriptions may hold a surname as an example).
    outputs.extend(all_bytes(&dir.join("out")).into_iter().filter(|(name, _)| {
        !name.ends_with(".released.schema.json") && !name.ends_with(".released.xsd")
    }));
    let mut needles: Vec<String> = identifiers(&input).into_iter().collect();
    needles.push(secret.clone());
    assert!(needles.len() > 1000, "the test must plant many identifiers");
    for (name, bytes) in &outputs {
        let text = String::from_utf8_lossy(bytes);
        for needle in &needles {
            assert!(!text.contains(needle.as_str()), "{name} leaks a planted value");
        }
    }
    // The pseudonymised output is still useful: the same pupils, linked across CSV files.
    let released = jsonl(&dir.read("out/p.jsonl"));
    assert_eq!(released.len(), 300);
    let ids: BTreeSet<&str> = released.iter().filter_map(|p| p["id"].as_str()).collect();
    assert_eq!(ids.len(), 300, "pseudonyms are distinct per pupil");
    let pupils_csv = dir.read("out/csv/pupils.csv");
    let grades_csv = dir.read("out/csv/grades.csv");
    let first_grade_owner = grades_csv.lines().nth(1).unwrap().split(',').next().unwrap();
    assert!(pupils_csv.contains(first_grade_owner), "grades link to pupils by pseudonym");
}

#[test]
fn pseudonyms_and_date_shifts_are_stable_per_key_and_differ_between_keys() {
    let dir = Dir::new();
    let input = generate(&dir, "50", "pupils.jsonl");
    let (key, _) = canary_key(&dir);
    dir.create("research.toml", PSEUDONYMISE);
    let convert = |key: &str, out: &str| {
        let run = dir.run(&[
            "convert",
            "pupils.jsonl",
            "--policy",
            "research.toml",
            "--key",
            key,
            "--to",
            "jsonl",
            "-o",
            out,
        ]);
        assert_eq!(run.code(), 0, "{}", run.stderr());
        jsonl(&dir.read(out))
    };
    let first = convert(&key, "a.jsonl");
    let again = convert(&key, "b.jsonl");
    assert_eq!(first, again, "the same key gives the same release");
    let run = dir.run(&["keygen", "-o", "other.key"]);
    assert_eq!(run.code(), 0);
    let other = convert(&dir.join("other.key").display().to_string(), "c.jsonl");
    assert_ne!(first[0]["id"], other[0]["id"]);

    // Every date moves within the limit; each date field of a pupil has its own shift (one
    // shared shift would be given away by an admission date that is nearly always 1 September),
    // and the dates of one field move together.
    let originals = jsonl(&input);
    let day =
        |v: &Value| chrono::NaiveDate::parse_from_str(v.as_str().unwrap(), "%Y-%m-%d").unwrap();
    let mut shifts = BTreeSet::new();
    let mut same = 0;
    for (original, released) in originals.iter().zip(&first) {
        let birth = (day(&released["birth_date"]) - day(&original["birth_date"])).num_days();
        let admission = (day(&released["enrolment"]["admission_date"])
            - day(&original["enrolment"]["admission_date"]))
        .num_days();
        same += usize::from(birth == admission);
        assert!(birth != 0 && birth.abs() <= 20, "shift {birth}");
        shifts.insert(birth);
        let attendance: BTreeSet<i64> = original["attendance"]
            .as_array()
            .into_iter()
            .flatten()
            .zip(released["attendance"].as_array().into_iter().flatten())
            .map(|(o, r)| (day(&r["date"]) - day(&o["date"])).num_days())
            .collect();
        assert!(attendance.len() <= 1, "one shift per field and pupil: {attendance:?}");
    }
    assert!(shifts.len() > 5, "shifts differ between pupils");
    assert!(same * 4 < originals.len(), "{same} of {} pupils share one shift", originals.len());
}

#[test]
fn a_field_the_policy_does_not_cover_stops_the_run_naming_it() {
    let dir = Dir::new();
    dir.create(
        "thin.toml",
        "[policy]\nname = \"thin\"\npurpose = \"other\"\n[fields]\n\"id\" = \"keep\"\n",
    );
    let run = dir.run(&[
        "convert",
        &fixture("multi-file"),
        "--policy",
        "thin.toml",
        "--to",
        "jsonl",
        "-o",
        "out.jsonl",
    ]);
    assert_eq!(run.code(), 2);
    assert!(
        run.stderr()
            .contains("thin.toml: field `pesel` is in the data but the policy does not cover it"),
        "{}",
        run.stderr()
    );
    assert!(!dir.join("out.jsonl").exists(), "no output under the final name");
}

#[test]
fn a_pseudonymising_policy_without_a_key_is_refused_up_front() {
    let dir = Dir::new();
    dir.create("research.toml", PSEUDONYMISE);
    let run = dir.run(&[
        "convert",
        &fixture("multi-file"),
        "--policy",
        "research.toml",
        "--to",
        "jsonl",
        "-o",
        "o.jsonl",
    ]);
    assert_eq!(run.code(), 2);
    assert!(run.stderr().contains("needs the secret key: pass --key FILE"), "{}", run.stderr());
}

/// The released quasi-identifier combination of a pupil, as the statistics preset names them.
fn combination(pupil: &Value, quasi: &[&str]) -> String {
    fn values(v: &Value, path: &[&str], out: &mut BTreeSet<String>) {
        match (v, path.split_first()) {
            (Value::Array(items), _) => items.iter().for_each(|i| values(i, path, out)),
            (Value::Object(m), Some((head, rest))) => {
                if let Some(child) = m.get(head.trim_end_matches("[]")) {
                    values(child, rest, out)
                }
            }
            (Value::Null, _) => {}
            (leaf, None) => {
                out.insert(leaf.to_string());
            }
            _ => {}
        }
    }
    quasi
        .iter()
        .map(|q| {
            let mut out = BTreeSet::new();
            values(pupil, &q.split('.').collect::<Vec<_>>(), &mut out);
            out.into_iter().collect::<Vec<_>>().join("|")
        })
        .collect::<Vec<_>>()
        .join("\u{1f}")
}

/// `convert pupils.jsonl --policy statistics` into `stats.jsonl`, at a fixed reference date.
fn release_statistics(dir: &Dir) -> crate::util::Run {
    let run = dir.run(&[
        "convert",
        "pupils.jsonl",
        "--policy",
        "statistics",
        "--today",
        "2026-09-01",
        "--to",
        "jsonl",
        "-o",
        "stats.jsonl",
    ]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    run
}

/// `risk pupils.jsonl --policy statistics` as JSON.
fn measure_statistics(dir: &Dir) -> Value {
    let run = dir.run(&[
        "risk",
        "pupils.jsonl",
        "--policy",
        "statistics",
        "--today",
        "2026-09-01",
        "--report",
        "json",
        "-o",
        "risk.json",
    ]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    serde_json::from_str(&dir.read("risk.json")).unwrap()
}

const STATISTICS_QUASI: [&str; 11] = [
    "sex",
    "birth_date",
    "national_citizen",
    "birth_country",
    "addresses[].commune",
    "enrolment.school_id",
    "enrolment.class_level",
    "indicators.absences",
    "indicators.grade_average",
    "indicators.exam_score",
    "indicators.achievement_count",
];

#[test]
fn the_statistics_preset_releases_k_anonymous_data_without_direct_identifiers() {
    let dir = Dir::new();
    generate(&dir, "2000", "pupils.jsonl");
    let run = release_statistics(&dir);
    let released = jsonl(&dir.read("stats.jsonl"));
    let summary = run.stderr();
    let line = summary.lines().find(|l| l.starts_with("records:")).unwrap();
    assert!(line.starts_with("records: in="), "{line}");
    assert!(released.len() >= 1900, "at most 5 % suppressed: {line}");
    let mut classes: HashMap<String, u64> = HashMap::new();
    for pupil in &released {
        for field in ["id", "pesel", "surname", "first_name", "addresses"] {
            if field == "addresses" {
                for a in pupil[field].as_array().into_iter().flatten() {
                    let keys: Vec<&String> = a.as_object().unwrap().keys().collect();
                    assert!(
                        keys.iter().all(|k| ["kind", "commune"].contains(&k.as_str())),
                        "{keys:?}"
                    );
                }
                continue;
            }
            assert!(pupil.get(field).is_none(), "{field} released");
        }
        for g in pupil["guardians"].as_array().into_iter().flatten() {
            let keys: Vec<&String> = g.as_object().unwrap().keys().collect();
            assert!(
                keys.iter().all(|k| ["relation", "parental_rights"].contains(&k.as_str())),
                "{keys:?}"
            );
        }
        *classes.entry(combination(pupil, &STATISTICS_QUASI)).or_default() += 1;
    }
    assert!(classes.values().all(|&n| n >= 5), "every class has at least 5 pupils");
    assert!(classes.len() > 5, "the release still says something: {} classes", classes.len());
}

#[test]
fn risk_reports_before_and_after_and_agrees_with_the_release() {
    let dir = Dir::new();
    generate(&dir, "1000", "pupils.jsonl");
    let risk = measure_statistics(&dir);
    assert!(risk["before"]["smallest_class"].as_u64().unwrap() < 5, "raw data is identifying");
    assert!(risk["after"]["smallest_class"].as_u64().unwrap() >= 5);
    assert!(
        risk["after"]["max_prosecutor_risk"].as_f64().unwrap() <= 0.2 + 1e-9,
        "prosecutor risk at most 1/k after"
    );
    let text =
        dir.run(&["risk", "pupils.jsonl", "--policy", "statistics", "--today", "2026-09-01"]);
    assert_eq!(text.code(), 0, "{}", text.stderr());
    assert!(text.stdout().contains("before"), "{}", text.stdout());
}

#[test]
fn presets_print_and_check() {
    let dir = Dir::new();
    let run = dir.run(&["policy", "show", "statistics"]);
    assert_eq!(run.code(), 0);
    dir.create("mine.toml", run.stdout());
    let check = dir.run(&["policy", "check", "mine.toml"]);
    assert_eq!(check.code(), 0, "{}", check.stderr());
    assert!(check.stdout().contains("policy `statistics`"), "{}", check.stdout());
    assert!(check.stdout().contains("anonymity     k = 5"), "{}", check.stdout());
    let list = dir.run(&["policy", "list"]);
    for name in ["transfer", "sar", "statistics"] {
        assert!(list.stdout().contains(name));
    }
    let missing = dir.run(&["policy", "show", "secret"]);
    assert_eq!(missing.code(), 2);
    assert!(missing.stderr().contains("the presets are transfer, sar, statistics"));
}

#[test]
fn the_transfer_preset_changes_nothing() {
    let dir = Dir::new();
    let plain = dir.run(&["convert", &fixture("multi-file"), "--to", "jsonl", "-o", "plain.jsonl"]);
    assert_eq!(plain.code(), 0, "{}", plain.stderr());
    let run = dir.run(&[
        "convert",
        &fixture("multi-file"),
        "--policy",
        "transfer",
        "--to",
        "jsonl",
        "-o",
        "t.jsonl",
    ]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert_eq!(dir.read("plain.jsonl"), dir.read("t.jsonl"));
}

/// The independent check: pycanon (PyPI) measures k and l on the anonymised output. Runs
/// where pycanon is installed; `.ci/run` installs it and sets TECZKA_REQUIRE_PYCANON.
#[test]
fn pycanon_measures_the_same_k_and_l_on_the_release() {
    if !crate::util::has_python_module("pycanon") {
        return;
    }
    let dir = Dir::new();
    // Full detail, so the pupils have counselling rulings and the indicator is released.
    crate::util::generate_jsonl(
        &dir,
        &["-n", "1500", "--seed", "3", "--detail", "full"],
        "pupils.jsonl",
    );
    release_statistics(&dir);
    let ours = measure_statistics(&dir);
    let sensitive: Vec<&str> =
        ours["sensitive"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/pycanon_check.py");
    let pycanon = |args: &[&str]| -> Value {
        let out = std::process::Command::new("python3")
            .arg(&script)
            .arg(dir.join("stats.jsonl"))
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let mut declared = vec!["--qi".to_string(), STATISTICS_QUASI.join(",")];
    if !sensitive.is_empty() {
        declared.extend(["--sa".to_string(), sensitive.join(",")]);
    }
    let declared: Vec<&str> = declared.iter().map(String::as_str).collect();
    let theirs = pycanon(&declared);
    assert_eq!(theirs["k"], ours["after"]["smallest_class"], "k agrees with pycanon");
    assert_eq!(theirs["records"], ours["after"]["records"]);
    for attribute in &sensitive {
        let one = pycanon(&["--qi", &STATISTICS_QUASI.join(","), "--sa", attribute]);
        let our_l = ours["after"]["l_diversity"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["attribute"] == *attribute)
            .map(|l| l["min_distinct"].clone())
            .unwrap();
        assert_eq!(one["l"], our_l, "l of {attribute} agrees with pycanon");
    }
    // And counted with no help from teczka: every released field but the sensitive ones is a
    // quasi-identifier, lists as released.
    let mut all = vec!["--all-released"];
    let joined = sensitive.join(",");
    if !sensitive.is_empty() {
        all.extend(["--sa", &joined]);
    }
    let whole = pycanon(&all);
    assert_eq!(whole["k"], ours["after"]["smallest_class"], "k over every released field");
}

const TOKENISE: &str = r#"
[policy]
name = "tokenised"
purpose = "other"

[fields]
"*" = "keep"
"id" = "tokenise"
"pesel" = "tokenise"
"surname" = "tokenise"
"first_name" = "drop"
"second_name" = "drop"
"birth_surname" = "drop"
"guardians[].*" = "drop"
"consents[].given_by" = "drop"
"remarks[].text" = "drop"
"remarks[].author" = "drop"
"counselling[].kind" = "keep"
"counselling[].number" = "drop"
"counselling[].issuer" = "drop"
"counselling[].issued_on" = "keep"
"counselling[].valid_until" = "keep"
"counselling[].notes" = "drop"
"health[].category" = "keep"
"health[].note" = "drop"
"health[].recorded_on" = "keep"
"#;

#[test]
fn tokens_are_reversed_only_with_the_separately_written_encrypted_mapping() {
    let dir = Dir::new();
    dir.create("tokens.toml", TOKENISE);
    let passphrase = "Correct-Horse-42-Battery";
    let run = |args: &[&str]| {
        let mut cmd = dir.command(args);
        cmd.env("MAPPING_PASS", passphrase);
        crate::util::Run(cmd.output().unwrap())
    };
    let plain = dir.run(&["convert", &fixture("multi-file"), "--to", "jsonl", "-o", "plain.jsonl"]);
    assert_eq!(plain.code(), 0);
    let convert = run(&[
        "convert",
        &fixture("multi-file"),
        "--policy",
        "tokens.toml",
        "--to",
        "jsonl",
        "-o",
        "out/t.jsonl",
        "--token-passphrase-env",
        "MAPPING_PASS",
    ]);
    assert_eq!(convert.code(), 0, "{}", convert.stderr());
    let released = dir.read("out/t.jsonl");
    let originals = jsonl(&dir.read("plain.jsonl"));
    let mapping = fs::read(dir.join("out/t.jsonl.tokens.age")).unwrap();
    assert!(mapping.starts_with(b"age-encryption.org/v1"), "an age file");
    for pupil in &originals {
        for key in ["id", "pesel", "surname"] {
            let value = pupil[key].as_str().unwrap();
            assert!(!released.contains(value), "{key} leaked into the output");
            assert!(!String::from_utf8_lossy(&mapping).contains(value), "{key} in clear");
        }
    }
    let back = run(&[
        "detokenise",
        "out/t.jsonl",
        "--mapping",
        "out/t.jsonl.tokens.age",
        "--passphrase-env",
        "MAPPING_PASS",
        "-o",
        "back.jsonl",
    ]);
    assert_eq!(back.code(), 0, "{}", back.stderr());
    for (restored, original) in jsonl(&dir.read("back.jsonl")).iter().zip(&originals) {
        for key in ["id", "pesel", "surname"] {
            assert_eq!(restored[key], original[key]);
        }
    }
    // Without the mapping's passphrase nothing comes back.
    let mut cmd = dir.command(&[
        "detokenise",
        "out/t.jsonl",
        "--mapping",
        "out/t.jsonl.tokens.age",
        "--passphrase-env",
        "WRONG",
        "-o",
        "bad.jsonl",
    ]);
    cmd.env("WRONG", "Wrong-Horse-42-Battery");
    let wrong = crate::util::Run(cmd.output().unwrap());
    assert_eq!(wrong.code(), 2);
    assert!(!dir.join("bad.jsonl").exists());
}

/// Issue 9, item 5: a unit of the school hierarchy is "below k" when some of its pupils sit in
/// an equivalence class smaller than k. After a k = 5 release every class is at least 5, so no
/// unit is flagged, however few pupils a school class has; the raw data flags them.
#[test]
fn after_a_k_anonymous_release_no_unit_is_below_k_and_before_it_units_are() {
    let dir = Dir::new();
    generate(&dir, "1000", "pupils.jsonl");
    let risk = measure_statistics(&dir);
    assert!(risk["after"]["smallest_class"].as_u64().unwrap() >= 5);
    let levels = |side: &str| risk[side]["levels"].as_array().unwrap().clone();
    for level in levels("after") {
        assert_eq!(level["units_below_k"], 0, "{level}");
        let units = level["units"].as_array().unwrap();
        assert!(units
            .iter()
            .all(|u| u["below_k"] == false && u["records_in_classes_below_k"] == 0));
    }
    let class = &levels("after")[0];
    assert!(class["small_units"].as_u64().unwrap() > 0, "school classes smaller than 5 exist");
    for level in levels("before") {
        assert!(level["units_below_k"].as_u64().unwrap() > 0, "raw data flags units: {level}");
    }
    let text =
        dir.run(&["risk", "pupils.jsonl", "--policy", "statistics", "--today", "2026-09-01"]);
    assert_eq!(text.code(), 0, "{}", text.stderr());
    assert!(!text.stdout().contains("  below k\n"), "{}", text.stdout());
    assert!(text.stdout().contains("equivalence classes by size"), "{}", text.stdout());
}

const ONE_MORE_FACT: &str = r#"
[policy]
name = "exam results"
purpose = "other"
reference_date = "2026-09-01"

[fields]
"*" = "drop"
"sex" = "keep"
"birth_date" = { op = "generalise", to = "year" }
"enrolment.class_level" = "keep"
"exams[].subject" = "keep"
"exams[].score" = "keep"
"achievements[].title" = "keep"
"achievements[].date" = "keep"
"counselling[].kind" = "drop"
"counselling[].number" = "drop"
"counselling[].issuer" = "drop"
"counselling[].issued_on" = "drop"
"counselling[].valid_until" = "drop"
"counselling[].notes" = "drop"
"health[].category" = "drop"
"health[].note" = "drop"
"health[].recorded_on" = "drop"
"#;

/// Issue 9, item 5: what an attacker who knows the quasi-identifiers and one more released
/// fact (one exam score, one olympiad with its date) singles out, per field; the class-size
/// histogram; journalist risk with a population; the HTML page.
#[test]
fn risk_measures_an_attacker_who_knows_one_more_released_fact() {
    let dir = Dir::new();
    crate::util::generate_jsonl(
        &dir,
        &["-n", "400", "--seed", "5", "--detail", "full"],
        "pupils.jsonl",
    );
    dir.create("exams.toml", ONE_MORE_FACT);
    let run = dir.run(&[
        "risk",
        "pupils.jsonl",
        "--policy",
        "exams.toml",
        "--population",
        "4000",
        "--report",
        "json",
        "-o",
        "risk.json",
        "--html",
        "risk.html",
    ]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let risk: Value = serde_json::from_str(&dir.read("risk.json")).unwrap();
    let after = &risk["after"];
    let facts = after["attack"]["facts"].as_array().unwrap();
    let fact = |name: &str| -> &Value {
        facts.iter().find(|f| f["fact"] == name).unwrap_or_else(|| panic!("{name}: {facts:?}"))
    };
    for name in [
        "exams[].score",
        "exams[].subject",
        "achievements[].title",
        "achievements[].date",
        "exams[] (one whole item)",
        "achievements[] (one whole item)",
    ] {
        assert!(fact(name)["pupils_with"].as_u64().unwrap() > 0, "{name}");
    }
    // An olympiad with its date singles out pupils that sex, birth year and class level hide.
    assert!(fact("achievements[] (one whole item)")["newly_unique"].as_u64().unwrap() > 0);
    assert!(fact("exams[].score")["newly_unique"].as_u64().unwrap() > 0);
    let singled = after["attack"]["singled_out"].as_u64().unwrap();
    assert!(singled > after["unique_records"].as_u64().unwrap(), "{}", after["attack"]);
    // The histogram accounts for every class and record.
    let bins = after["class_sizes"].as_array().unwrap();
    let sizes: Vec<&str> = bins.iter().map(|b| b["size"].as_str().unwrap()).collect();
    assert_eq!(sizes, ["1", "2", "3-4", "5-9", "10-19", "20+"]);
    let total: u64 = bins.iter().map(|b| b["records"].as_u64().unwrap()).sum();
    assert_eq!(total, after["records"].as_u64().unwrap());
    let classes: u64 = bins.iter().map(|b| b["classes"].as_u64().unwrap()).sum();
    assert_eq!(classes, after["equivalence_classes"].as_u64().unwrap());
    // Journalist risk: the prosecutor risk scaled by the sampling fraction.
    let journalist = &risk["journalist"];
    assert_eq!(journalist["population"], 4000);
    let fraction = journalist["after"]["sampling_fraction"].as_f64().unwrap();
    let expected = fraction * after["max_prosecutor_risk"].as_f64().unwrap();
    assert!((journalist["after"]["max"].as_f64().unwrap() - expected).abs() < 1e-9);
    let html = dir.read("risk.html");
    assert!(html.contains("<svg") && !html.contains("<script"), "{html}");

    let text = dir.run(&["risk", "pupils.jsonl", "--policy", "exams.toml"]);
    assert_eq!(text.code(), 0, "{}", text.stderr());
    let out = text.stdout();
    for line in [
        "an attacker who knows the quasi-identifiers and one more released fact:",
        "  pupils singled out ",
        "    achievements[] (one whole item) ",
        "journalist risk: not computed",
        "equivalence classes by size: classes (records)",
        "  20+ ",
    ] {
        assert!(out.contains(line), "{line}: {out}");
    }
    let refused = dir.run(&["risk", "pupils.jsonl", "--policy", "exams.toml", "--population", "3"]);
    assert_eq!(refused.code(), 2, "{}", refused.stderr());
    assert!(refused.stderr().contains("smaller than the 400 pupils"), "{}", refused.stderr());
}

/// Issue 9, item 6: `convert --policy` writes the schemas its released records follow beside
/// the output, and the XML validates against the released XSD.
#[test]
fn convert_with_a_policy_writes_the_released_schemas_beside_its_output() {
    let dir = Dir::new();
    generate(&dir, "300", "pupils.jsonl");
    let run = dir.run(&[
        "convert",
        "pupils.jsonl",
        "--policy",
        "statistics",
        "--today",
        "2026-09-01",
        "--to",
        "sou",
        "-o",
        "stats.xml",
    ]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let schema: Value = serde_json::from_str(&dir.read("stats.xml.released.schema.json")).unwrap();
    assert_eq!(schema["title"], "Released pupil");
    let xsd = dir.read("stats.xml.released.xsd");
    assert!(xsd.contains("name=\"birth_date\" type=\"xs:string\""), "{xsd}");
    let run = dir.run(&[
        "convert",
        "pupils.jsonl",
        "--policy",
        "statistics",
        "--today",
        "2026-09-01",
        "--to",
        "jsonl",
        "-o",
        "stats.jsonl",
    ]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert!(dir.join("stats.jsonl.released.schema.json").exists());
    assert!(!dir.join("stats.jsonl.released.xsd").exists(), "an XSD only for XML");
    let Some(xmllint) = crate::convert::xmllint() else { return };
    let lint = std::process::Command::new(&xmllint)
        .args(["--noout", "--schema"])
        .arg(dir.join("stats.xml.released.xsd"))
        .arg(dir.join("stats.xml"))
        .output()
        .unwrap();
    assert!(lint.status.success(), "xmllint: {}", String::from_utf8_lossy(&lint.stderr));
}
