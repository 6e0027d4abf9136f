//! Czech školní matrika XML: the shipped register file is recognised by its root and read
//! whole, bad codes are reported by line and element without their values, `convert` to JSON
//! Lines and back gives the same register, what the register cannot hold is counted aloud, and
//! model → matrika → model keeps every field the register holds.

use crate::strategy::{cz_register, pupil};
use crate::util::{fixture, Dir};
use proptest::option;
use proptest::prelude::*;
use teczka::matrika::{self, is_valid, record_id, support_degree, CZECHIA, ITEMS};
use teczka::{
    Address, AddressKind, Counselling, CzRegister, Enrolment, MatrikaWriter, Pupil, ReadOptions,
    Sink,
};

const TODAY: &str = "2025-09-01";

/// The shipped fixture without its comment (teczka writes none).
fn fixture_records() -> String {
    let text = std::fs::read_to_string(fixture("matrika/matrika.xml")).unwrap();
    let start = text.find("-->\n").expect("the fixture opens with a comment") + 4;
    format!("{}{}", &text[..text.find("<!--").unwrap()], &text[start..])
}

#[test]
fn the_register_is_recognised_by_its_root_and_every_record_is_read() {
    let dir = Dir::new();
    let input = fixture("matrika/matrika.xml");
    let run = dir.run(&["validate", &input, "--today", TODAY]).expect_code(0);
    assert_eq!(run.summary(), "records: in=6 out=6 rejected=0");
    // The same with the format named, and refused on another XML.
    let forced = dir.run(&["validate", &input, "--format", "matrika", "--today", TODAY]);
    assert_eq!(forced.expect_code(0).summary(), "records: in=6 out=6 rejected=0");
    let sou = fixture("sou/pupils.xml");
    let run = dir.run(&["validate", &sou, "--format", "matrika", "--today", TODAY]);
    assert_eq!(run.code(), 2, "{}", run.stderr());
    assert!(run.stderr().contains("the root element is `<pupils>`, not `<MATRIKA>`"));
}

#[test]
fn convert_to_json_lines_and_back_gives_the_same_register() {
    let dir = Dir::new();
    let input = fixture("matrika/matrika.xml");
    let to_jsonl = ["convert", &input, "--today", TODAY, "--to", "jsonl", "-o", "m.jsonl"];
    dir.run(&to_jsonl).expect_code(0);
    let jsonl = dir.read("m.jsonl");
    let first: serde_json::Value = serde_json::from_str(jsonl.lines().next().unwrap()).unwrap();
    assert_eq!(first["id"], "veta-1", "never the rodné číslo as the id");
    assert_eq!(first["birth_number"], "1403151233");
    assert_eq!(first["enrolment"]["admission_date"], "2020-09-01");
    assert_eq!(first["addresses"][0]["commune"], "500496");
    assert_eq!(first["cz_register"]["field_of_study"], "79-01-C/01");
    let back = ["convert", "m.jsonl", "--today", TODAY, "--to", "matrika", "-o", "back.xml"];
    let run = dir.run(&back).expect_code(0);
    assert!(!run.stderr().contains("not written"), "{}", run.stderr());
    assert_eq!(dir.read("back.xml"), fixture_records());
}

#[test]
fn bad_codes_are_reported_by_line_and_element_never_by_value() {
    let dir = Dir::new();
    let input = fixture("broken/matrika-bad-codes.xml");
    let run = dir.run(&["validate", &input, "--today", TODAY]).expect_code(1);
    assert_eq!(run.summary(), "records: in=4 out=1 rejected=3");
    let stderr = format!("{}{}", run.stdout(), run.stderr());
    for expected in [
        "record 1 (line 4, byte 146): pupil `veta-1`: field `cz_register.citizenship_kind`: \
         code: item `<KSTPR>` at line 8 is not in its code list",
        "record 2 (line 11, byte 283): pupil `veta-2`: field `birth_number`: \
         birth-number-checksum",
        "field `Boty`: unknown-field: element `<Boty>` at line 22",
        "field `enrolment.admission_date`: type: item `<ZAHDAT>` at line 20 is not a real date",
        "field `addresses[].commune`: code: item `<OBECB>` at line 21",
    ] {
        assert!(stderr.contains(expected), "{expected}\n{stderr}");
    }
    for value in ["1361024567", "31.02.2024", "Praha", ">9<", "42"] {
        assert!(!stderr.contains(value), "the value `{value}` is printed:\n{stderr}");
    }
}

#[test]
fn what_the_register_cannot_hold_is_counted_per_field_and_printed() {
    let dir = Dir::new();
    let input = fixture("jsonl/zaci.jsonl");
    let run = dir.run(&["convert", &input, "--today", TODAY, "--to", "matrika", "-o", "z.xml"]);
    let stderr = run.expect_code(0).stderr();
    for line in [
        "teczka: matrika: surname: 25 values not written: the školní matrika has no item for them",
        "teczka: matrika: first_name: 25 values not written",
        "teczka: matrika: guardians: 333 values not written",
        "teczka: matrika: grades: 2718 values not written",
        "teczka: matrika: addresses[].town: 29 values not written",
        "teczka: matrika: addresses[].commune: 29 values not written: the register takes the \
         residence's ZÚJ and district codes, not names",
        "teczka: matrika: enrolment.school_name: 25 values not written",
    ] {
        assert!(stderr.contains(line), "{line}\n{stderr}");
    }
    assert!(stderr.ends_with("records: in=25 out=25 rejected=0\n"), "{stderr}");
    // What it holds went in: 25 records, each with its rodné číslo and school.
    let xml = dir.read("z.xml");
    assert_eq!(xml.matches("<VETA>").count(), 25);
    assert_eq!(xml.matches("<RODC>").count(), 25);
    assert_eq!(xml.matches("<IZO>").count(), 25);
    // And reads back as a register without names, accepted.
    let run = dir.run(&["validate", "z.xml", "--today", TODAY]).expect_code(0);
    assert_eq!(run.summary(), "records: in=25 out=25 rejected=0");
}

#[test]
fn an_archive_carries_the_register_and_import_writes_it_back() {
    let dir = Dir::new();
    let input = fixture("matrika/matrika.xml");
    let pass = "Correct-Horse-42-Battery";
    let mut cmd = dir.command(&["export", &input, "--policy", "transfer", "--passphrase-env", "P"]);
    cmd.args(["--formats", "jsonl,matrika", "-o", "t.zip.age", "--today", TODAY]).env("P", pass);
    let run = crate::util::Run(cmd.output().unwrap()).expect_code(0);
    assert!(!run.stderr().contains("not written"), "{}", run.stderr());
    let mut cmd = dir.command(&["import", "t.zip.age", "--passphrase-env", "P"]);
    cmd.args(["--to", "matrika", "-o", "back.xml"]).env("P", pass);
    crate::util::Run(cmd.output().unwrap()).expect_code(0);
    assert_eq!(dir.read("back.xml"), fixture_records());
}

/// Mostly valid register values in the fields the generic strategy fills with text.
fn register_pupil() -> BoxedStrategy<Pupil> {
    (
        pupil(),
        option::of("[0-9]{9}"),
        option::of("(10|[1-9])"),
        option::of(("[0-9]{6}", "CZ0[0-9]{2}[0-9A-Z]")),
        proptest::collection::vec("[1-5]", 0..3),
        cz_register(),
    )
        .prop_map(|(mut p, izo, level, residence, degrees, register)| {
            let enrolment = p.enrolment.get_or_insert_with(Enrolment::default);
            enrolment.school_id = izo.or(enrolment.school_id.take());
            enrolment.class_level = level.or(enrolment.class_level.take());
            if let Some((commune, county)) = residence {
                let kind = Some(AddressKind::Residence);
                let (commune, county) = (Some(commune), Some(county));
                p.addresses.insert(0, Address { kind, commune, county, ..Address::default() });
            }
            for degree in degrees {
                let kind = Some(matrika::support_kind(&degree));
                p.counselling.push(Counselling { kind, ..Counselling::default() });
            }
            p.cz_register = p.cz_register.or(Some(register));
            p
        })
        .boxed()
}

/// The value of item `name` if it passes the item's check (trimmed, as the writer takes it).
fn item(name: &str, value: Option<&str>) -> Option<String> {
    let spec = ITEMS.iter().find(|i| i.name == name).unwrap();
    let value = value?.trim();
    (!value.is_empty() && is_valid(spec.check, value)).then(|| value.to_string())
}

/// What the register holds of `p`, the `i`-th pupil written: the pupil read back.
fn held(p: &Pupil, i: u64) -> Pupil {
    let r = p.cz_register.clone().unwrap_or_default();
    let czech = (p.national_citizen == Some(true)).then(|| CZECHIA.to_string());
    let citizenship = item("STPR", r.citizenship.as_deref()).or(czech);
    let register = CzRegister {
        collection_date: r.collection_date,
        school_part: item("CAST", r.school_part.as_deref()),
        citizenship: citizenship.clone(),
        citizenship_kind: item("KSTPR", r.citizenship_kind.as_deref()),
        previous_education: item("ODHL", r.previous_education.as_deref()),
        previous_school: item("IZOZ", r.previous_school.as_deref()),
        admission_code: item("KOD_ZAH", r.admission_code.as_deref()),
        leaving_code: item("KOD_UKON", r.leaving_code.as_deref()),
        field_of_study: item("OBOR", r.field_of_study.as_deref()),
        education_form: item("FST", r.education_form.as_deref()),
        // Items named as one teczka reads into a field are not written back (the field is
        // counted as not written); values come back trimmed, as every item's.
        other_items: r.other_items.as_deref().and_then(|text| {
            let kept: Vec<(String, String)> = matrika::decode_other_items(text)
                .into_iter()
                .filter(|(name, _)| matrika::is_other_item_name(name))
                .map(|(name, value)| (name, value.trim().to_string()))
                .collect();
            matrika::encode_other_items(&kept)
        }),
    };
    let e = p.enrolment.clone().unwrap_or_default();
    let enrolment = Enrolment {
        school_id: item("IZO", e.school_id.as_deref()),
        class_level: item("ROCNIK", e.class_level.as_deref()),
        class_symbol: item("TRIDA", e.class_symbol.as_deref()),
        admission_date: e.admission_date,
        leaving_date: e.leaving_date,
        ..Enrolment::default()
    };
    let residence = p.addresses.iter().find(|a| a.kind == Some(AddressKind::Residence));
    let commune = residence.and_then(|a| item("OBECB", a.commune.as_deref()));
    let county = residence.and_then(|a| item("OKRESB", a.county.as_deref()));
    let addresses = match (&commune, &county) {
        (None, None) => vec![],
        _ => vec![Address {
            kind: Some(AddressKind::Residence),
            commune,
            county,
            ..Address::default()
        }],
    };
    let counselling = p
        .counselling
        .iter()
        .filter_map(|c| c.kind.as_deref().and_then(support_degree))
        .map(|d| Counselling { kind: Some(matrika::support_kind(d)), ..Counselling::default() })
        .collect();
    let birth_number = p.birth_number.as_deref().map(|b| b.trim().replace('/', ""));
    Pupil {
        id: item("KOD_ZAKA", Some(&p.id)).unwrap_or_else(|| record_id(i)),
        birth_number: birth_number.filter(|b| !b.is_empty()),
        sex: p.sex,
        birth_date: p.birth_date,
        national_citizen: citizenship.as_deref().map(|c| c == CZECHIA),
        eu_citizen: citizenship.as_deref().map(matrika::is_eu),
        addresses,
        enrolment: (enrolment != Enrolment::default()).then_some(enrolment),
        counselling,
        cz_register: Some(register),
        ..Pupil::default()
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// model → matrika → model keeps every field the register holds, in the form it holds it.
    #[test]
    fn matrika_round_trip(pupils in proptest::collection::vec(register_pupil(), 1..4)) {
        let mut out = Vec::new();
        let mut writer = MatrikaWriter::new(&mut out, "m.xml").unwrap();
        for p in &pupils {
            writer.write(p.into()).unwrap();
        }
        writer.finish().unwrap();
        drop(writer);
        let back: Vec<Pupil> = matrika::reader(&out[..], "m.xml", &ReadOptions::default())
            .map(|r| {
                let r = r.unwrap();
                assert!(r.problems.is_empty(), "{:?}", r.problems);
                r.pupil
            })
            .collect();
        let expected: Vec<Pupil> =
            pupils.iter().enumerate().map(|(i, p)| held(p, i as u64)).collect();
        prop_assert_eq!(back, expected);
    }
}
