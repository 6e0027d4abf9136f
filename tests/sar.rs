//! `teczka sar` end to end: a pupil's request, a guardian's (for themselves and on behalf of
//! the children), a negative answer, and the report as a person sees it in a browser.

use crate::util::{fixture, Dir, Run};
use std::collections::BTreeMap;
use std::fs;
use std::io::Read;

const EPOCH: &str = "1767225600"; // 2026-01-01
/// Józef Sawicki, P-000000 in fixtures/multi-file.
const PESEL: &str = "18280878257";

fn sar(dir: &Dir, args: &[&str]) -> Run {
    sar_over(dir, &fixture("multi-file"), args)
}

/// `teczka sar` over `input` with the Polish controller file and fixed dates.
fn sar_over(dir: &Dir, input: &str, args: &[&str]) -> Run {
    let fixed = [
        "sar",
        input,
        "--controller",
        &fixture("sar/controller-pl.toml"),
        "--received",
        "2026-11-02",
        "--answered",
        "2026-11-20",
        "--unencrypted",
    ];
    let mut cmd = dir.command(&[&fixed[..], args].concat());
    cmd.env("SOURCE_DATE_EPOCH", EPOCH);
    Run(cmd.output().expect("run teczka"))
}

/// Every entry of the package, by name without the bag folder.
fn contents(path: &std::path::Path) -> BTreeMap<String, String> {
    let mut zip = zip::ZipArchive::new(fs::File::open(path).unwrap()).unwrap();
    let mut out = BTreeMap::new();
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i).unwrap();
        let name = entry.name().unwrap().split_once('/').unwrap().1.to_string();
        let mut text = String::new();
        entry.read_to_string(&mut text).unwrap();
        out.insert(name, text);
    }
    out
}

/// Column `name` of every row of a fixture CSV file.
fn column(file: &str, name: &str) -> Vec<String> {
    let mut reader = csv::Reader::from_path(fixture(&format!("multi-file/{file}"))).unwrap();
    let index = reader.headers().unwrap().iter().position(|h| h == name).unwrap();
    reader.records().map(|r| r.unwrap()[index].to_string()).filter(|v| !v.is_empty()).collect()
}

fn assert_absent(package: &BTreeMap<String, String>, values: &[String], what: &str) {
    for (name, text) in package {
        for value in values {
            assert!(!text.contains(value.as_str()), "{what} `{value}` appears in {name}");
        }
    }
}

#[test]
fn a_pupils_request_gives_their_record_and_nobody_elses() {
    let dir = Dir::new();
    let run = sar(&dir, &["--subject", &format!("pesel:{PESEL}"), "-o", "odpowiedz.zip"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert!(run.stderr().contains("found the subject as a pupil in 1 record;"), "{}", run.stderr());
    assert!(run.stderr().contains("read the free-text fields"), "{}", run.stderr());
    let package = contents(&dir.join("odpowiedz.zip"));
    for name in [
        "bag-info.txt",
        "data/index.html",
        "data/art15-information.json",
        "data/withheld.json",
        "data/records/pupils.xml",
        "data/records/pupils.jsonl",
        "data/records/csv/pupils.csv",
        "data/README.txt",
    ] {
        assert!(package.contains_key(name), "{name} missing: {:?}", package.keys());
    }
    assert!(package["bag-info.txt"].contains("Archive-Kind: sar"));
    let html = &package["data/index.html"];
    for own in [PESEL, "Józef", "Sawicki", "Częstochowa", "Używanie telefonu"] {
        assert!(html.contains(own), "the subject's `{own}` is missing from index.html");
    }
    assert!(package["data/records/pupils.jsonl"].contains(PESEL));

    let others: Vec<String> =
        column("pupils.csv", "pesel").into_iter().filter(|p| p != PESEL).collect();
    assert_absent(&package, &others, "another pupil's PESEL");
    assert_absent(&package, &column("remarks.csv", "author"), "a member of staff");
    let guardian_contacts: Vec<String> =
        [column("guardians.csv", "phone"), column("guardians.csv", "email")].concat();
    assert_absent(&package, &guardian_contacts, "a guardian's contact");

    let log: serde_json::Value = serde_json::from_str(&package["data/withheld.json"]).unwrap();
    let text = log.to_string();
    assert!(text.contains("remarks[].author") && text.contains("guardians[].phone"), "{text}");

    let verify = dir.run(&["verify", "odpowiedz.zip"]);
    assert_eq!(verify.code(), 0, "{}{}", verify.stdout(), verify.stderr());
}

#[test]
fn a_guardian_gets_their_own_data_and_the_childrens_records_only_on_their_behalf() {
    let dir = Dir::new();
    let subject = "email:Izabela.Sawicka@gmail.com";
    let run = sar(&dir, &["--subject", subject, "--lang", "en", "-o", "own.zip"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let own = contents(&dir.join("own.zip"));
    let html = &own["data/index.html"];
    assert!(html.contains("+48 781 533 771") && html.contains("Izabela"), "her own entry");
    assert!(html.contains("Józef"), "the child she is linked to is named");
    assert_absent(&own, &[PESEL.to_string(), "Używanie telefonu".into()], "the child's data");
    assert_absent(&own, &["+48 609 084 806".to_string()], "the other parent's phone");

    let run = sar(&dir, &["--subject", subject, "--on-behalf-of-children", "-o", "child.zip"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let child = contents(&dir.join("child.zip"));
    assert!(child["data/index.html"].contains(PESEL), "the child's record, on its behalf");
    assert!(child["data/index.html"].contains("+48 781 533 771"), "her own phone");
    assert_absent(&child, &["+48 609 084 806".to_string()], "the other parent's phone");
    assert_absent(&child, &column("remarks.csv", "author"), "a member of staff");
}

#[test]
fn nobody_found_is_answered_with_a_package_saying_so() {
    let dir = Dir::new();
    let run = sar(&dir, &["--subject", "pesel:02270803628", "-o", "nic.zip"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert!(run.stderr().contains("nobody matching the subject"), "{}", run.stderr());
    let package = contents(&dir.join("nic.zip"));
    let art15: serde_json::Value =
        serde_json::from_str(&package["data/art15-information.json"]).unwrap();
    assert!(art15.to_string().contains("2026-11-02"));
    assert_eq!(package["data/records/pupils.jsonl"], "");
    let verify = dir.run(&["verify", "nic.zip"]);
    assert_eq!(verify.code(), 0, "{}{}", verify.stdout(), verify.stderr());
}

#[test]
fn an_ambiguous_or_malformed_subject_is_refused_with_the_fix() {
    let dir = Dir::new();
    let run = sar(&dir, &["--subject", "pesel:1828087825", "-o", "x.zip"]);
    assert_eq!(run.code(), 2);
    assert!(run.stderr().contains("not 11 digits"), "{}", run.stderr());
    assert!(!dir.join("x.zip").exists());
}

#[test]
fn a_parent_reads_the_answer_in_a_browser() {
    let dir = Dir::new();
    let run = sar(&dir, &["--subject", &format!("pesel:{PESEL}"), "-o", "odpowiedz.zip"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let Some(rendered) = render_answer(&dir, "odpowiedz.zip", "sar-end-to-end-pl") else { return };
    assert_visible(
        &rendered.visible_text,
        &[
            "Ta odpowiedź dotyczy danych ucznia: Józef Sawicki",
            "Krzysztof",
            PESEL,
            "Częstochowa",
            "Używanie telefonu podczas sprawdzianu",
            // Received 02.11.2026 (Monday): one month later is Wednesday 02.12.2026.
            "Termin odpowiedzi 02.12.2026",
            "Art. 15 ust. 1 lit. a RODO — Cele przetwarzania i podstawy prawne",
            "Art. 15 ust. 1 lit. b RODO — Kategorie danych osobowych",
            "Art. 15 ust. 1 lit. c RODO — Odbiorcy danych",
            "Art. 15 ust. 1 lit. d RODO — Okres przechowywania danych",
            "Art. 15 ust. 1 lit. e RODO",
            "Art. 15 ust. 1 lit. f RODO — Prawo wniesienia skargi do organu nadzorczego",
            "Art. 15 ust. 1 lit. g RODO — Źródło danych",
            "Art. 15 ust. 1 lit. h RODO",
            "Art. 15 ust. 2 RODO",
            "Prezes Urzędu Ochrony Danych Osobowych",
            "ul. Stawki 2, 00-193 Warszawa",
            "Co pominęliśmy i dlaczego",
            "Rodzice i opiekunowie prawni: Telefon",
        ],
    );
    let text = &rendered.visible_text;
    let others: Vec<String> =
        column("pupils.csv", "pesel").into_iter().filter(|p| p != PESEL).collect();
    for other in others.iter().chain(&column("remarks.csv", "author")) {
        assert!(!text.contains(other.as_str()), "`{other}` is visible");
    }
    assert!(fs::metadata(&rendered.screenshot).unwrap().len() > 1000);
}

#[test]
fn a_negative_answer_in_english_is_a_full_answer_in_a_browser() {
    let dir = Dir::new();
    negative_answer_in_english(&dir, "2026-02-10", "none.zip");
    let Some(rendered) = render_answer(&dir, "none.zip", "sar-negative-en") else { return };
    assert_visible(
        &rendered.visible_text,
        &[
            "We hold no personal data about the person identified as e-mail nikdo@example.cz",
            "This is a full answer under Art. 15 GDPR",
            // Received 31.01.2026: one month ends on Saturday 28.02, so Monday 2 March.
            "Answer due by 2 March 2026",
            "Your rights and how to complain",
            "Pplk. Sochora 27, 170 00 Praha 7",
        ],
    );
}

/// The package's index.html as the browser shows it (`None`: Chromium not installed).
fn render_answer(dir: &Dir, zip: &str, artifact: &str) -> Option<crate::browser::Rendered> {
    let package = contents(&dir.join(zip));
    let page = dir.create(&format!("{artifact}.html"), &package["data/index.html"]);
    crate::browser::render(&page, artifact)
}

fn assert_visible(text: &str, needles: &[&str]) {
    for needle in needles {
        assert!(text.contains(needle), "not visible in the rendered page: `{needle}`\n{text}");
    }
}

#[test]
fn a_czech_request_answered_in_czech_and_encrypted_opens_with_the_passphrase() {
    let dir = Dir::new();
    let pass = "Správné-Heslo-42-Kůň";
    let mut cmd = dir.command(&[
        "sar",
        &fixture("jsonl/zaci.jsonl"),
        "--subject",
        "rc:150103/0168",
        "--controller",
        &fixture("sar/controller-cz.toml"),
        "--received",
        "2026-10-30",
        "--answered",
        "2026-11-20",
        "--passphrase-env",
        "P",
        "-o",
        "odpoved.zip.age",
    ]);
    cmd.env("P", pass).env("SOURCE_DATE_EPOCH", EPOCH);
    let run = Run(cmd.output().unwrap());
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let sealed = fs::read(dir.join("odpoved.zip.age")).unwrap();
    assert!(sealed.starts_with(b"age-encryption.org/v1"));
    assert!(!sealed.windows(5).any(|w| w == b"Kov\xc3\xa1"), "names are hidden");

    let mut verify = dir.command(&["verify", "odpoved.zip.age", "--passphrase-env", "P"]);
    verify.env("P", pass);
    let verify = Run(verify.output().unwrap());
    assert_eq!(verify.code(), 0, "{}{}", verify.stdout(), verify.stderr());

    let mut import = dir.command(&[
        "import",
        "odpoved.zip.age",
        "--passphrase-env",
        "P",
        "--to",
        "jsonl",
        "-o",
        "zpet.jsonl",
    ]);
    import.env("P", pass);
    let import = Run(import.output().unwrap());
    assert_eq!(import.code(), 0, "{}", import.stderr());
    let records = dir.read("zpet.jsonl");
    assert_eq!(records.lines().count(), 1);
    assert!(records.contains("\"surname\":\"Kovář\"") && records.contains("150103/0168"));
    assert!(!records.contains("kovarova_zuzana@seznam.cz"), "the guardians' contacts stay out");
}

#[test]
fn a_signed_answer_verifies_against_the_schools_public_key() {
    let dir = Dir::new();
    let keygen = dir.run(&["keygen", "--minisign", "-o", "school-sign.key"]);
    assert_eq!(keygen.code(), 0, "{}", keygen.stderr());
    let run = sar(
        &dir,
        &["--subject", &format!("pesel:{PESEL}"), "--sign", "school-sign.key", "-o", "s.zip"],
    );
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let package = contents(&dir.join("s.zip"));
    assert!(package.contains_key("tagmanifest-sha512.txt.minisig"), "{:?}", package.keys());
    let verify = dir.run(&["verify", "s.zip", "--trusted-key", "school-sign.pub"]);
    assert_eq!(verify.code(), 0, "{}{}", verify.stdout(), verify.stderr());
    assert!(verify.stdout().contains("signature good"), "{}", verify.stdout());
}

#[test]
fn a_broken_input_stops_the_search_and_a_records_problems_are_named() {
    let dir = Dir::new();
    let base = |input: &str, subject: &str, out: &str| {
        dir.run(&[
            "sar",
            &fixture(input),
            "--subject",
            subject,
            "--controller",
            &fixture("sar/controller-pl.toml"),
            "--received",
            "2026-11-02",
            "--unencrypted",
            "-o",
            out,
        ])
    };
    let truncated = base("broken/truncated.xml", "id:O-9", "t.zip");
    assert_eq!(truncated.code(), 2);
    assert!(truncated.stderr().contains("line 11"), "{}", truncated.stderr());
    assert!(truncated.stderr().contains("no package was written"), "{}", truncated.stderr());
    assert!(!dir.join("t.zip").exists());

    // Grades whose pupil row is missing are still data about that pupil: disclosed, and named.
    let orphan = base("broken/orphans", "id:O-9", "o.zip");
    assert_eq!(orphan.code(), 0, "{}", orphan.stderr());
    assert!(orphan.stderr().contains("grades.csv: record 2 (line 3"), "{}", orphan.stderr());
    let package = contents(&dir.join("o.zip"));
    assert!(package["data/records/csv/grades.csv"].contains("O-9"));
}

/// Every value of `key` found anywhere in a JSON record (at any depth).
fn values_of(value: &serde_json::Value, key: &str, out: &mut Vec<String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                match v.as_str() {
                    Some(text) if k == key => out.push(text.to_string()),
                    _ => values_of(v, key, out),
                }
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| values_of(v, key, out)),
        _ => {}
    }
}

#[test]
fn no_other_persons_identifier_reaches_any_byte_of_the_package() {
    let dir = Dir::new();
    let generated = dir.run(&[
        "generate",
        "-n",
        "300",
        "--seed",
        "7",
        "--detail",
        "typical",
        "--to",
        "jsonl",
        "-o",
        "school.jsonl",
    ]);
    assert_eq!(generated.code(), 0, "{}", generated.stderr());
    let pupils: Vec<serde_json::Value> =
        dir.read("school.jsonl").lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let subject = &pupils[150];
    let (kind, id) = match subject["pesel"].as_str() {
        Some(pesel) => ("pesel", pesel.to_string()),
        None => ("rc", subject["birth_number"].as_str().unwrap().to_string()),
    };
    let mut planted = Vec::new();
    for (i, pupil) in pupils.iter().enumerate() {
        let mut guardians = Vec::new();
        for key in ["phone", "email"] {
            values_of(&pupil["guardians"], key, &mut guardians);
        }
        values_of(&pupil["remarks"], "author", &mut planted);
        planted.extend(guardians);
        if i != 150 {
            for key in ["pesel", "birth_number", "id"] {
                planted.extend(pupil[key].as_str().map(str::to_string));
            }
        }
    }
    planted.sort();
    planted.dedup();
    assert!(planted.len() > 1000, "{} values planted", planted.len());
    let mut cmd = dir.command(&[
        "sar",
        "school.jsonl",
        "--subject",
        &format!("{kind}:{id}"),
        "--controller",
        &fixture("sar/controller-pl.toml"),
        "--received",
        "2026-11-02",
        "--answered",
        "2026-11-20",
        "--unencrypted",
        "-o",
        "answer.zip",
    ]);
    cmd.env("SOURCE_DATE_EPOCH", EPOCH);
    let run = Run(cmd.output().unwrap());
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let package = contents(&dir.join("answer.zip"));
    assert!(package["data/index.html"].contains(&id), "the subject's own id is there");
    let mut everything: Vec<(String, String)> = package.into_iter().collect();
    everything.push(("stderr".into(), run.stderr()));
    everything.push(("stdout".into(), run.stdout()));
    for (name, text) in &everything {
        for value in &planted {
            assert!(!text.contains(value.as_str()), "`{value}` (another person's) is in {name}");
        }
    }
}

/// A generated school (300 pupils, every category, seed 11) as JSON values, to plant an
/// attack in, as the red-team scripts do.
fn school(dir: &Dir) -> Vec<serde_json::Value> {
    let generated = dir.run(&[
        "generate",
        "-n",
        "300",
        "--seed",
        "11",
        "--detail",
        "full",
        "--to",
        "jsonl",
        "-o",
        "school.jsonl",
    ]);
    assert_eq!(generated.code(), 0, "{}", generated.stderr());
    dir.read("school.jsonl").lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

/// Write pupils as JSON Lines; the path, for `sar_over`.
fn write_school(dir: &Dir, name: &str, pupils: &[serde_json::Value]) -> String {
    let text: String = pupils.iter().map(|p| format!("{p}\n")).collect();
    dir.create(name, text).display().to_string()
}

fn text_of(value: &serde_json::Value) -> String {
    value.as_str().unwrap_or_else(|| panic!("{value} is not text")).to_string()
}

/// Issue 11, item 1: a second pupil whose record carries the subject's PESEL by a typo
/// (another name, another birth year) must not be disclosed with the subject's record: the
/// run is refused, naming the fields that disagree and where, never their values.
#[test]
fn regression_11_1_a_pesel_on_two_different_pupils_is_refused() {
    let dir = Dir::new();
    let mut pupils = school(&dir);
    let pesel = text_of(&pupils[50]["pesel"]);
    pupils[60]["pesel"] = pesel.clone().into();
    let input = write_school(&dir, "dup.jsonl", &pupils);
    let run = sar_over(&dir, &input, &["--subject", &format!("pesel:{pesel}"), "-o", "b1.zip"]);
    assert_eq!(run.code(), 2, "{}", run.stderr());
    assert!(!dir.join("b1.zip").exists(), "no package");
    let stderr = run.stderr();
    for named in ["`first_name`", "`surname`", "`birth_date`", "record 51 (", "record 61 ("] {
        assert!(stderr.contains(named), "`{named}` not named: {stderr}");
    }
    let mut values = vec![pesel.clone()];
    for i in [50, 60] {
        for key in ["first_name", "surname", "birth_date", "id"] {
            values.push(text_of(&pupils[i][key]));
        }
    }
    for value in &values {
        assert!(!stderr.contains(value.as_str()), "`{value}` is on stderr: {stderr}");
    }

    // The same pupil in two inputs is one person: still answered, from both.
    let one = write_school(&dir, "again.jsonl", &pupils[50..51]);
    pupils.remove(60);
    let fixed = write_school(&dir, "fixed.jsonl", &pupils);
    let run =
        sar_over(&dir, &fixed, &["--subject", &format!("pesel:{pesel}"), &one, "-o", "ok.zip"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert!(run.stderr().contains("as a pupil in 2 records"), "{}", run.stderr());
}

/// Issue 11, item 2: one e-mail address on several same-named fathers (different guardian
/// ids and phones, other families) must not hand over all their children: the guardian
/// entries found for one subject must agree, or the run is refused.
#[test]
fn regression_11_2_an_email_on_different_same_named_guardians_is_refused() {
    let dir = Dir::new();
    let pupils = school(&dir);
    // Generated names repeat, and so do the addresses made from them: find such an address.
    let mut by_email: BTreeMap<String, Vec<(usize, serde_json::Value)>> = BTreeMap::new();
    for (i, pupil) in pupils.iter().enumerate() {
        for guardian in pupil["guardians"].as_array().into_iter().flatten() {
            if let Some(email) = guardian["email"].as_str() {
                by_email.entry(email.to_string()).or_default().push((i, guardian.clone()));
            }
        }
    }
    let (email, entries) = by_email
        .into_iter()
        .find(|(_, entries)| {
            let named = |g: &serde_json::Value| (g["first_name"].clone(), g["surname"].clone());
            entries.len() > 2
                && entries.iter().all(|(_, g)| named(g) == named(&entries[0].1))
                && entries.iter().skip(1).all(|(_, g)| g["id"] != entries[0].1["id"])
        })
        .expect("seed 11 has an address on three same-named guardians");
    let input = write_school(&dir, "school.jsonl", &pupils);
    let subject = format!("email:{email}");
    for extra in [&["--on-behalf-of-children"][..], &[]] {
        let args = [&["--subject", &subject, "-o", "g.zip"][..], extra].concat();
        let run = sar_over(&dir, &input, &args);
        assert_eq!(run.code(), 2, "{}", run.stderr());
        assert!(!dir.join("g.zip").exists(), "no package");
        let stderr = run.stderr();
        for named in ["`guardians[].id`", "`guardians[].phone`"] {
            assert!(stderr.contains(named), "`{named}` not named: {stderr}");
        }
        assert!(!stderr.contains("`guardians[].first_name`"), "the names agree: {stderr}");
        let mut values = vec![email.clone()];
        for (i, guardian) in &entries {
            for key in ["id", "phone", "first_name", "surname"] {
                values.push(text_of(&guardian[key]));
            }
            for key in ["id", "pesel", "first_name", "surname"] {
                values.extend(pupils[*i][key].as_str().map(str::to_string));
            }
        }
        for value in &values {
            assert!(!stderr.contains(value.as_str()), "`{value}` is on stderr: {stderr}");
        }
    }
}

/// Issue 11, item 2: a guardian with no recorded parental rights is not taken to have them;
/// the school can say it confirmed them with --parental-rights-confirmed. Rights recorded as
/// absent stay a refusal.
#[test]
fn regression_11_2_unrecorded_parental_rights_count_as_none_unless_confirmed() {
    let dir = Dir::new();
    let mut pupils = school(&dir);
    let email = text_of(&pupils[70]["guardians"][0]["email"]);
    let child = text_of(&pupils[70]["pesel"]);
    pupils[70]["guardians"][0].as_object_mut().unwrap().remove("parental_rights");
    let input = write_school(&dir, "pr.jsonl", &pupils);
    let subject = format!("email:{email}");
    let refused =
        sar_over(&dir, &input, &["--subject", &subject, "--on-behalf-of-children", "-o", "a.zip"]);
    assert_eq!(refused.code(), 2, "{}", refused.stderr());
    assert!(!dir.join("a.zip").exists(), "no package");
    let stderr = refused.stderr();
    assert!(stderr.contains("no parental rights recorded"), "{stderr}");
    assert!(stderr.contains("--parental-rights-confirmed"), "{stderr}");
    assert!(!stderr.contains(&email) && !stderr.contains(&child), "{stderr}");

    let own = sar_over(&dir, &input, &["--subject", &subject, "-o", "own.zip"]);
    assert_eq!(own.code(), 0, "the guardian's own data: {}", own.stderr());

    let confirmed = sar_over(
        &dir,
        &input,
        &[
            "--subject",
            &subject,
            "--on-behalf-of-children",
            "--parental-rights-confirmed",
            "-o",
            "b.zip",
        ],
    );
    assert_eq!(confirmed.code(), 0, "{}", confirmed.stderr());
    let package = contents(&dir.join("b.zip"));
    assert!(package["data/records/pupils.jsonl"].contains(&child), "the child's record");
    let metadata: serde_json::Value =
        serde_json::from_str(&package["data/metadata/archive.json"]).unwrap();
    assert_eq!(metadata["request"]["parental_rights_confirmed"], true, "{metadata}");

    // The school's records saying "no rights" are not overridden by the flag.
    pupils[70]["guardians"][0]["parental_rights"] = false.into();
    let input = write_school(&dir, "none.jsonl", &pupils);
    let run = sar_over(
        &dir,
        &input,
        &[
            "--subject",
            &subject,
            "--on-behalf-of-children",
            "--parental-rights-confirmed",
            "-o",
            "c.zip",
        ],
    );
    assert_eq!(run.code(), 2, "{}", run.stderr());
    assert!(run.stderr().contains("without parental rights"), "{}", run.stderr());
}

/// `sar` for a subject the Czech fixture does not hold, received 31 January 2026 (due 2 March),
/// answered in English on `answered` into `out`: the run and the package's page.
fn negative_answer_in_english(dir: &Dir, answered: &str, out: &str) -> (Run, String) {
    let mut cmd = dir.command(&[
        "sar",
        &fixture("jsonl/zaci.jsonl"),
        "--subject",
        "email:nikdo@example.cz",
        "--controller",
        &fixture("sar/controller-cz.toml"),
        "--lang",
        "en",
        "--received",
        "2026-01-31",
        "--answered",
        answered,
        "--unencrypted",
        "-o",
        out,
    ]);
    cmd.env("SOURCE_DATE_EPOCH", EPOCH);
    let run = Run(cmd.output().unwrap());
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let page = contents(&dir.join(out))["data/index.html"].clone();
    (run, page)
}

/// An answer dated after its due date is still produced, but says so on the page and on the
/// terminal, suggesting the extension flags while an extension could still cover it (issue 14).
#[test]
fn a_late_answer_says_it_is_late_on_the_page_and_the_terminal() {
    let dir = Dir::new();
    let answer = |answered: &str, out: &str| negative_answer_in_english(&dir, answered, out);
    let (run, page) = answer("2026-03-02", "on-time.zip");
    assert!(!run.stderr().contains("late"), "{}", run.stderr());
    assert!(!page.contains("after its deadline"));
    let (run, page) = answer("2026-03-03", "late.zip");
    assert!(run.stderr().contains("after its due date 2026-03-02"), "{}", run.stderr());
    assert!(run.stderr().contains("--extend-months"), "{}", run.stderr());
    assert!(page.contains("This answer is given after its deadline, which passed on 2 March 2026"));
    let (run, _) = answer("2026-06-01", "very-late.zip");
    assert!(run.stderr().contains("after its due date"), "{}", run.stderr());
    assert!(!run.stderr().contains("--extend-months"), "too late to extend: {}", run.stderr());
}

/// The fullest record of fixtures/multi-file: 30 grades, 14 categories.
const FULL_PESEL: &str = "09312140604";
const FULL_ID: &str = "P-000018";

/// Every value of the attribute `name` in `html`, in order.
fn attrs<'h>(html: &'h str, name: &str) -> Vec<&'h str> {
    let start = format!(" {name}=\"");
    html.match_indices(&start)
        .map(|(at, _)| {
            let value = &html[at + start.len()..];
            &value[..value.find('"').unwrap()]
        })
        .collect()
}

fn position(html: &str, needle: &str) -> usize {
    html.find(needle).unwrap_or_else(|| panic!("`{needle}` is not on the page"))
}

/// A full record read on a phone ran to 34 screens with the data ten screens down, after the
/// legal text (issue 14): the page now opens with the answer, a table of contents and the data,
/// lists as tables, and the Art. 15 information after them.
#[test]
fn regression_14_the_data_comes_first_with_contents_and_lists_as_tables() {
    let dir = Dir::new();
    let run = sar(&dir, &["--subject", &format!("pesel:{FULL_PESEL}"), "-o", "pelny.zip"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let html = &contents(&dir.join("pelny.zip"))["data/index.html"];

    let nav = &html[position(html, "<nav id=\"contents\"")..position(html, "</nav>")];
    let links: Vec<&str> = attrs(nav, "href").into_iter().map(|h| &h[1..]).collect();
    let ids = attrs(html, "id");
    for link in &links {
        assert_eq!(ids.iter().filter(|id| *id == link).count(), 1, "#{link}");
    }
    let below = attrs(&html[position(html, "</nav>")..], "id");
    assert_eq!(links, below, "the contents list every section below them, in order");

    let order = ["contents", "records", "p1-grades", "withheld", "art15", "art15-1-a", "rights"]
        .map(|id| position(html, &format!(" id=\"{id}\"")));
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{order:?}");

    let grades = column("grades.csv", "pupil_id").into_iter().filter(|id| id == FULL_ID).count();
    assert_eq!(grades, 30, "the fixture changed");
    let table = &html[position(html, " id=\"p1-grades\"")..];
    let table = &table[..position(table, "</table>")];
    assert!(table.contains("<th scope=\"col\">Przedmiot</th>"), "{table}");
    let body = &table[position(table, "<tbody>")..];
    assert_eq!(body.matches("<tr>").count(), grades, "one row per grade: {body}");

    let Some(rendered) = render_answer(&dir, "pelny.zip", "sar-full-record-pl") else { return };
    let text = &rendered.visible_text;
    let seen = ["Spis treści", "Oceny (arkusz ocen) (30)", "Art. 15 ust. 1 lit. a RODO —"]
        .map(|needle| position(text, needle));
    assert!(seen.windows(2).all(|w| w[0] < w[1]), "as printed: {seen:?}\n{text}");
}

/// The search parses only rows whose text may hold the subject (issue 10): a row that parses
/// to the subject must never be ruled out before it is parsed — here a PESEL written with
/// spaces in a Windows-1250 file with semicolons and no id column, as Polish Excel saves it,
/// and a guardian's e-mail address in capitals.
#[test]
fn rows_are_prefiltered_without_losing_a_subject_written_otherwise() {
    let dir = Dir::new();
    let mut text = String::from("nazwisko;imie;pesel;OPIEKUN1_nazwisko;OPIEKUN1_email\r\n");
    for n in 0..300 {
        match n {
            123 => text.push_str("Żółkowska;Zdeňka;022 113 075 89;Żółkowski;ojciec@example.pl\r\n"),
            201 => text.push_str("Kowalska;Ewa;;Kowalski;ADAM.KOWALSKI@EXAMPLE.PL\r\n"),
            _ => text.push_str(&format!("Nowak-{n};Anna;;Nowak;nowak{n}@example.pl\r\n")),
        }
    }
    let (bytes, _, lossy) = encoding_rs::WINDOWS_1250.encode(&text);
    assert!(!lossy);
    let input = dir.join("uczniowie.csv");
    fs::write(&input, &bytes).unwrap();
    let input = input.to_str().unwrap();

    let run = sar_over(&dir, input, &["--subject", "pesel:02211307589", "-o", "p.zip"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let found = "searched 300 records in 1 file; found the subject as a pupil in 1 record";
    assert!(run.stderr().contains(found), "{}", run.stderr());
    let package = contents(&dir.join("p.zip"));
    assert!(package.values().any(|t| t.contains("Żółkowska")), "the subject's record");
    assert_absent(&package, &["Nowak-122".into(), "Kowalska".into()], "another pupil");

    let run =
        sar_over(&dir, input, &["--subject", "email:adam.kowalski@example.pl", "-o", "g.zip"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert!(run.stderr().contains("searched 300 records in 1 file"), "{}", run.stderr());
    assert!(run.stderr().contains("as a guardian of 1 pupil"), "{}", run.stderr());
}

/// Szymon Nowak, U-1004, born 2005: Excel stripped his PESEL's leading zero in the
/// Windows-1250 fixture. His records are his whatever a spreadsheet did to the number, so a
/// request with the full PESEL finds them, in that file and in the undamaged one alike.
#[test]
fn a_pesel_that_lost_its_leading_zero_in_excel_is_still_the_pupils() {
    let dir = Dir::new();
    for (input, out) in [
        ("csv2sou/uczniowie-cp1250.csv", "cp1250.zip"),
        ("csv2sou/uczniowie-utf8-bom.csv", "u.zip"),
    ] {
        let run = sar_over(&dir, &fixture(input), &["--subject", "pesel:05221421151", "-o", out]);
        assert_eq!(run.code(), 0, "{input}: {}", run.stderr());
        assert!(
            run.stderr().contains("found the subject as a pupil in 1 record;"),
            "{input}: {}",
            run.stderr()
        );
        let package = contents(&dir.join(out));
        assert!(
            package["data/index.html"].contains("Szymon"),
            "{input}: his name is in the answer"
        );
        assert!(!package["data/index.html"].contains("Zofia"), "{input}: nobody else is");
    }
    // A 10-digit number that is not a stripped PESEL of this pupil matches nobody: one digit
    // of the request changed gives a negative answer, not his record.
    let other = sar_over(
        &dir,
        &fixture("csv2sou/uczniowie-cp1250.csv"),
        &["--subject", "pesel:05221421152", "-o", "none.zip"],
    );
    assert!(other.stderr().contains("nobody matching the subject"), "{}", other.stderr());
}
