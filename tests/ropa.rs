//! `teczka ropa` end to end: the record of processing activities from both fixture controller
//! files in every language, a file with gaps, the JSON-LD's DPV terms, private and atomic
//! output, and the controller file never overwritten.

use crate::util::{fixture, Dir, Run};
use serde_json::Value;
use std::fs;

const PL: &str = "sar/controller-pl.toml";
const CZ: &str = "sar/controller-cz.toml";

fn ropa(dir: &Dir, controller: &str, args: &[&str]) -> Run {
    let fixed = ["ropa", "--controller", controller, "--today", "2026-09-01"];
    dir.run(&[&fixed[..], args].concat())
}

fn json(dir: &Dir, out: &str) -> Value {
    serde_json::from_str(&dir.read(&format!("{out}/ropa.json"))).expect("ropa.json parses")
}

/// The Polish fixture without its Art. 30 sections, plus `extra`.
fn without_art30(dir: &Dir, extra: &str) -> String {
    let text = fs::read_to_string(fixture(PL)).unwrap();
    let cut = text.find("# Sections for `teczka ropa`").expect("the fixture's Art. 30 part");
    let path = dir.create("szkola.toml", format!("{}{extra}", &text[..cut]));
    path.display().to_string()
}

#[test]
fn both_fixtures_give_a_complete_record_in_every_language() {
    let dir = Dir::new();
    let cases = [
        (PL, "pl", "art. 30 ust. 1 lit. g RODO", "Stan na dzień"),
        (PL, "cs", "čl. 30 odst. 1 písm. g) GDPR", "Stav ke dni"),
        (PL, "en", "Art. 30(1)(g) GDPR", "1 September 2026"),
        (CZ, "pl", "art. 30 ust. 1 lit. e RODO", "01.09.2026"),
        (CZ, "cs", "zákona č. 110/2019 Sb.", "1. 9. 2026"),
        (CZ, "en", "Act No. 110/2019 Coll.", "Art. 30(1)(a) GDPR"),
    ];
    for (i, (controller, lang, provision, date)) in cases.into_iter().enumerate() {
        let out = format!("out{i}");
        let run = ropa(&dir, &fixture(controller), &["--lang", lang, "-o", &out]);
        let run = run.expect_code(0);
        assert!(!run.stderr().contains("warning"), "{controller} {lang}: {}", run.stderr());
        let html = dir.read(&format!("{out}/ropa.html"));
        assert!(html.contains(&format!("<html lang=\"{lang}\">")), "{controller} {lang}");
        assert!(html.contains(provision) && html.contains(date), "{controller} {lang}");
        let record = json(&dir, &out);
        assert_eq!(record["complete"], true, "{controller} {lang}");
        assert_eq!(record["dct:language"], lang);
        assert_eq!(record["dct:created"], "2026-09-01");
        let names: Vec<_> =
            fs::read_dir(dir.join(&out)).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names.len(), 2, "only ropa.html and ropa.json: {names:?}");
    }
    // Without --lang, the controller file's language.
    ropa(&dir, &fixture(CZ), &["-o", "default"]).expect_code(0);
    assert!(dir.read("default/ropa.html").contains("<html lang=\"cs\">"));
}

#[test]
fn the_json_is_json_ld_in_dpv_terms() {
    let dir = Dir::new();
    ropa(&dir, &fixture(CZ), &["--lang", "en", "-o", "out"]).expect_code(0);
    let v = json(&dir, "out");
    assert_eq!(v["@context"]["dpv"], "https://w3id.org/dpv#");
    assert_eq!(v["@context"]["pd"], "https://w3id.org/dpv/pd#");
    assert_eq!(v["@type"], "dpv:ROPA");
    assert_eq!(v["dpv:hasDataController"]["@type"], "dpv:DataController");
    assert_eq!(v["dpv:hasDataProtectionOfficer"]["@type"], "dpv:DataProtectionOfficer");
    let process = &v["dpv:hasProcess"][0];
    assert_eq!(process["dpv:hasPurpose"]["@type"], "dpv:Purpose");
    assert_eq!(process["dpv:hasLegalBasis"][0]["@id"], "eu-gdpr:A6-1-c");
    let kinds = |value: &Value| -> Vec<String> {
        let list = value.as_array().into_iter().flatten();
        list.flat_map(|d| d["@type"].as_array().cloned().unwrap_or_default())
            .map(|t| t.as_str().unwrap().to_string())
            .collect()
    };
    let data = kinds(&v["dpv:hasPersonalData"]);
    for term in
        ["pd:School", "pd:HealthRecord", "pd:PhysicalAddress", "dpv:SpecialCategoryPersonalData"]
    {
        assert!(data.contains(&term.to_string()), "{term} in {data:?}");
    }
    let subjects = kinds(&v["dpv:hasDataSubject"]);
    for term in ["dpv:Student", "dpv:Child", "dpv:ParentOfDataSubject", "dpv:Applicant"] {
        assert!(subjects.contains(&term.to_string()), "{term} in {subjects:?}");
    }
    let transfer = &v["dpv:hasRecipient"][2];
    assert_eq!(transfer["dpv:hasThirdCountry"]["@type"], "dpv:ThirdCountry");
    assert_eq!(
        transfer["dpv:hasTechnicalOrganisationalMeasure"]["@type"],
        "dpv:SafeguardForDataTransfer"
    );
    assert_eq!(v["dpv:hasStorageCondition"][0]["@type"], "dpv:StorageDuration");
    let measures = kinds(&Value::Array(
        v["dpv:hasTechnicalOrganisationalMeasure"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| serde_json::json!({ "@type": [m["@type"].clone()] }))
            .collect(),
    ));
    assert_eq!(
        measures,
        [
            "dpv:OrganisationalMeasure",
            "dpv:TechnicalMeasure",
            "dpv:PhysicalMeasure",
            "dpv:LegalMeasure"
        ]
    );
    let sha = v["controller_file_sha256"].as_str().unwrap();
    assert_eq!(sha.len(), 64);
    assert!(dir.read("out/ropa.html").contains(sha), "the page names the file's hash too");
}

#[test]
fn missing_security_measures_are_a_gap_and_are_not_invented() {
    let dir = Dir::new();
    let subjects = "[[data_subjects]]\nname = \"Uczniowie\"\nkinds = [\"pupils\"]\n";
    let controller = without_art30(&dir, subjects);
    let run = ropa(&dir, &controller, &["--lang", "en", "-o", "out"]).expect_code(1);
    let stderr = run.stderr();
    assert!(
        stderr.contains("warning: Art. 30(1)(g) GDPR") && stderr.contains("`security_measures`"),
        "{stderr}"
    );
    assert!(!stderr.contains("30(1)(c)"), "data subjects were given: {stderr}");
    assert!(stderr.contains("the record is incomplete"), "{stderr}");

    let v = json(&dir, "out");
    assert_eq!(v["complete"], false);
    let gaps = v["gaps"].as_array().unwrap();
    assert_eq!(gaps.len(), 1, "{gaps:?}");
    assert_eq!(gaps[0]["key"], "security_measures");
    assert_eq!(gaps[0]["provision"], "Art. 30(1)(g) GDPR");
    assert_eq!(v["dpv:hasTechnicalOrganisationalMeasure"], serde_json::json!([]));

    let html = dir.read("out/ropa.html");
    assert!(html.contains("The record is incomplete"));
    let g = &html[html.find("id=\"art30-1-g\"").unwrap()..];
    assert!(g.contains("Missing: ") && g.contains("[[security_measures]]"), "{g}");
    assert!(!g.contains("<li>"), "a measure was listed that the file does not give: {g}");
    // Outside the examples of what to add (`<pre>`), no words of a measure appear.
    let mut stated = String::new();
    for (i, part) in html.split("<pre>").enumerate() {
        stated.push_str(if i == 0 { part } else { part.split_once("</pre>").unwrap().1 });
    }
    assert!(html.contains("<pre>") && !stated.contains("<pre>"));
    for invented in ["ncrypt", "zyfrowa", "ssword", "asło", "ackup"] {
        assert!(!stated.contains(invented), "`{invented}` appears though no measure was given");
    }
}

#[test]
fn a_file_without_any_art30_section_has_both_gaps() {
    let dir = Dir::new();
    let controller = without_art30(&dir, "");
    ropa(&dir, &controller, &["-o", "out"]).expect_code(1);
    let v = json(&dir, "out");
    let keys: Vec<&str> =
        v["gaps"].as_array().unwrap().iter().map(|g| g["key"].as_str().unwrap()).collect();
    assert_eq!(keys, ["data_subjects", "security_measures"]);
    assert!(dir.read("out/ropa.html").contains("Rejestr jest niekompletny"));
}

#[test]
fn output_is_private_whatever_the_umask_and_never_replaces_the_controller_file() {
    use std::os::unix::fs::PermissionsExt;
    let dir = Dir::new();
    let controller = dir.create("szkola.toml", fs::read(fixture(PL)).unwrap());
    let bin = env!("CARGO_BIN_EXE_teczka");
    let script = format!("umask 000 && exec '{bin}' ropa --controller szkola.toml -o rejestr");
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg(&script)
        .current_dir(dir.path())
        .status()
        .unwrap();
    assert!(status.success());
    let mode = |p: &str| fs::metadata(dir.join(p)).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode("rejestr"), 0o700);
    assert_eq!(mode("rejestr/ropa.html"), 0o600);
    assert_eq!(mode("rejestr/ropa.json"), 0o600);

    let before = fs::read(&controller).unwrap();
    for output in ["szkola.toml", "./szkola.toml"] {
        let refused =
            dir.run(&["ropa", "--controller", "szkola.toml", "-o", output]).expect_code(2);
        assert!(refused.stderr().contains("would replace"), "{}", refused.stderr());
    }
    let refused = dir.run(&["ropa", "--controller", "szkola.toml", "-o", "rejestr"]).expect_code(2);
    assert!(refused.stderr().contains("not empty"), "{}", refused.stderr());
    assert_eq!(fs::read(&controller).unwrap(), before, "the controller file is untouched");
}

#[test]
fn the_same_file_and_date_give_the_same_bytes() {
    let dir = Dir::new();
    ropa(&dir, &fixture(PL), &["-o", "a"]).expect_code(0);
    let mut cmd = dir.command(&["ropa", "--controller", &fixture(PL), "-o", "b"]);
    cmd.env("SOURCE_DATE_EPOCH", "1788220800"); // 2026-09-01
    assert!(cmd.status().unwrap().success());
    for name in ["ropa.html", "ropa.json"] {
        assert_eq!(dir.read(&format!("a/{name}")), dir.read(&format!("b/{name}")), "{name}");
    }
}
