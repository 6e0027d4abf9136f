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
