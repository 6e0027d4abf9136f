//! Input no one here wrote, as a school administrator meets it on day one (issue 14): a damaged
//! UTF-8 file, Excel's blank rows, a quote never closed. Each is reported where it is, and
//! nothing is misread or silently lost.

use crate::util::Dir;

/// 200 pupils with Polish names in UTF-8, two of them with a byte of another encoding.
fn damaged_utf8() -> Vec<u8> {
    let mut data = b"id;nazwisko;imie\n".to_vec();
    for n in 1..=200 {
        let surname: &[u8] = match n {
            50 => b"J\xF3zefowicz", // `ó` in Windows-1250 pasted into UTF-8
            120 => b"Zi\xEAba",     // `ę` likewise
            _ => "Żółkiewski".as_bytes(),
        };
        data.extend_from_slice(format!("{n};").as_bytes());
        data.extend_from_slice(surname);
        data.extend_from_slice(";Łucja\n".as_bytes());
    }
    data
}

#[test]
fn utf8_with_a_few_bad_bytes_is_read_as_utf8_rejecting_only_those_rows() {
    let dir = Dir::new();
    dir.create("uczniowie.csv", damaged_utf8());
    let run =
        dir.run(&["convert", "uczniowie.csv", "--to", "jsonl", "-o", "out.jsonl"]).expect_code(1);
    assert_eq!(run.summary(), "records: in=200 out=198 rejected=2");
    let out = dir.read("out.jsonl");
    assert_eq!(out.matches("Żółkiewski").count(), 198, "Polish letters garbled: {out:.300}");
    assert!(!out.contains('Ĺ') && !out.contains('\u{FFFD}'));
    let stderr = run.stderr();
    for line in [51, 121] {
        let place = format!("(line {line}, ");
        let reported = stderr.lines().any(|l| l.contains(&place) && l.contains("encoding: column"));
        assert!(reported, "line {line} not reported: {stderr}");
    }
    assert!(stderr.contains("not valid UTF-8"), "{stderr}");
    // The damaged value is the one reason given, not also "surname missing".
    assert!(!stderr.contains("required"), "{stderr}");
}

#[test]
fn an_encoding_the_sample_does_not_decide_is_refused_naming_the_flag() {
    let dir = Dir::new();
    let utf8 = "id;nazwisko;imie\n1;Żółkiewska;Zoja\n2;Łęcka;Ala\n3;Gęś;Ewa\n";
    let (cp1250, _, _) =
        encoding_rs::WINDOWS_1250.encode("4;Żółkiewska;Zoja\n5;Łęcka;Ala\n6;Gęś;Ewa\n");
    dir.create("sklejone.csv", [utf8.as_bytes(), &cp1250].concat());
    let run = dir.run(&["validate", "sklejone.csv"]).expect_code(2);
    assert!(run.stderr().contains("cannot tell the file's text encoding"), "{}", run.stderr());
    assert!(run.stderr().contains("--encoding"));
    // Told, teczka reads it and rejects the rows that are not what the user said.
    let run = dir.run(&["validate", "sklejone.csv", "--encoding", "utf-8"]).expect_code(1);
    assert_eq!(run.summary(), "records: in=6 out=3 rejected=3");
}

#[test]
fn excel_blank_rows_are_counted_and_listed_not_rejected_as_nameless_pupils() {
    let dir = Dir::new();
    dir.create(
        "uczniowie.csv",
        "id;nazwisko;imie\r\n1;Nowak;Anna\r\n;;\r\n2;Kot;Ewa\r\n;;\r\n;;\r\n",
    );
    let run = dir.run(&["validate", "uczniowie.csv"]).expect_code(0);
    assert_eq!(run.summary(), "records: in=5 out=2 rejected=0 blank=3");
    // `validate` prints its report on standard output.
    let report = run.stdout();
    assert!(!report.contains("required"), "{report}");
    for line in [3, 5, 6] {
        let listed = report
            .lines()
            .any(|l| l.contains(&format!("(line {line}, ")) && l.contains("blank-row"));
        assert!(listed, "line {line}: {report}");
    }
    let json = dir.run(&["validate", "uczniowie.csv", "--report", "json"]).expect_code(0);
    let doc: serde_json::Value = serde_json::from_str(&json.stdout()).unwrap();
    assert_eq!(doc["counts"]["blank"], 3, "{doc}");
}

#[test]
fn a_quote_never_closed_names_its_line_and_what_it_swallowed() {
    let dir = Dir::new();
    let mut data = "id;nazwisko;imie\n1;Nowak;Anna\n2;\"Kot;Ewa\n".to_string();
    for n in 3..=5003 {
        data.push_str(&format!("{n};Lis;Jan\n"));
    }
    dir.create("uczniowie.csv", &data);
    let run = dir.run(&["validate", "uczniowie.csv"]).expect_code(2);
    let stderr = run.stderr();
    assert!(stderr.contains("uczniowie.csv: record 2 (line 3, "), "{stderr}");
    assert!(stderr.contains("the 5002 line(s) from here to the end of the file"), "{stderr}");
    assert_eq!(run.summary(), "records: in=1 out=1 rejected=0");
}

#[test]
fn xml_declared_in_windows_1250_or_iso_8859_2_is_read_as_declared() {
    let dir = Dir::new();
    for (label, encoding) in
        [("windows-1250", encoding_rs::WINDOWS_1250), ("ISO-8859-2", encoding_rs::ISO_8859_2)]
    {
        let text = format!(
            "<?xml version=\"1.0\" encoding=\"{label}\"?>\n<pupils version=\"1\">\n\
             <pupil><id>1</id><surname>Żółkiewska</surname><first_name>Łucja</first_name></pupil>\n\
             <pupil><id>2</id><surname>Šťastná</surname><first_name>Žofie</first_name></pupil>\n\
             </pupils>\n"
        );
        let (bytes, _, _) = encoding.encode(&text);
        dir.create("stary.xml", &bytes);
        dir.run(&["convert", "stary.xml", "--to", "jsonl", "-o", "out.jsonl"]).expect_code(0);
        let out = dir.read("out.jsonl");
        for name in ["Żółkiewska", "Łucja", "Šťastná", "Žofie"] {
            assert!(out.contains(name), "{label}: {name} not read: {out}");
        }
        std::fs::remove_file(dir.join("out.jsonl")).unwrap();
    }
}
