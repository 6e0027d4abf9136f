//! Czech MŠMT školní matrika XML output: one `<VETA>` per pupil under a `<MATRIKA>` root, the
//! items [`crate::read::matrika`] reads, in its order ([`ITEMS`], then the `PO` items, then
//! the items a register file carried that teczka has no field for, `cz_register.other_items`).
//!
//! Only what the register can hold is written, and only in the form its code lists take: a
//! rodné číslo without the slash (`RRNNDD` and its serial), dates as `DD.MM.RRRR`, the residence address
//! as its `OBECB`/`OKRESB` codes, support measures as their degree (`PO`). The local id goes
//! to `KOD_ZAKA` unless it is the rodné číslo itself. A value that fails its item's check (a
//! commune given by name, a class level `IV`) is not written.
//!
//! Nothing is dropped silently: every value not written — names, guardians, grades, address
//! lines, health, a value in a form the register does not take — is counted per field
//! ([`MatrikaWriter::not_written`]); the commands print the counts.

use super::leaves::{Held, Leaves};
use super::oneroster::NotWritten;
use super::{Outgoing, Sink};
use crate::error::{Error, Result};
use crate::read::matrika::{
    decode_other_items, format_date, is_eu, is_other_item_name, is_valid, support_degree, Check,
    CZECHIA, ITEMS, OTHER_ITEMS, RECORD, ROOT, SUPPORT,
};
use std::collections::{BTreeMap, HashSet};
use std::io::{BufWriter, Write};
use std::sync::Arc;

/// Writes pupils as a školní matrika document: one `<VETA>` per pupil under a `<MATRIKA>` root,
/// only what the register can hold and only in the form its code lists take. Nothing is dropped
/// silently: every value not written is counted per field ([`MatrikaWriter::not_written`]).
///
/// # Example
///
/// ```
/// use teczka::{MatrikaWriter, Outgoing, Pupil, Sink};
///
/// let mut out = Vec::new();
/// let mut writer = MatrikaWriter::new(&mut out, "-")?;
/// let pupil = Pupil {
///     id: "125725X001".into(),
///     birth_number: Some("125725/X001".into()),
///     surname: Some("Nováková".into()),
///     ..Pupil::default()
/// };
/// writer.write(Outgoing::Pupil(&pupil))?;
/// writer.finish()?;
/// let counts = writer.not_written();
/// drop(writer);
/// let text = String::from_utf8(out)?;
/// assert!(text.contains("<RODC>125725X001</RODC>"));
/// assert_eq!(counts.lock().unwrap().get("surname"), Some(&1));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct MatrikaWriter<W: Write> {
    out: BufWriter<W>,
    name: Arc<str>,
    not_written: NotWritten,
    finished: bool,
}

impl<W: Write> MatrikaWriter<W> {
    /// Start the document on `out`; `name` is used in error messages.
    pub fn new(out: W, name: impl Into<Arc<str>>) -> Result<MatrikaWriter<W>> {
        let mut writer = MatrikaWriter {
            out: BufWriter::with_capacity(1 << 16, out),
            name: name.into(),
            not_written: NotWritten::default(),
            finished: false,
        };
        let head = format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<{ROOT}>\n");
        writer.put(head.as_bytes())?;
        Ok(writer)
    }

    /// The counts of values the register has no item for, by field (`surname`,
    /// `guardians`, `addresses[].town`); filled as pupils are written.
    pub fn not_written(&self) -> NotWritten {
        Arc::clone(&self.not_written)
    }

    fn put(&mut self, bytes: &[u8]) -> Result<()> {
        self.out.write_all(bytes).map_err(|e| Error::io(&*self.name, e))
    }

    /// Write one pupil given as its present values (as read, or as released).
    fn record(&mut self, pupil: &Leaves) -> Result<()> {
        let (items, written) = items(pupil);
        let mut text = format!("  <{RECORD}>\n");
        for (name, value) in items {
            let value = quick_xml::escape::escape(value.as_str());
            text.push_str(&format!("    <{name}>{value}</{name}>\n"));
        }
        text.push_str(&format!("  </{RECORD}>\n"));
        self.put(text.as_bytes())?;
        let mut counts = BTreeMap::new();
        for leaf in pupil.leaves.iter().filter(|leaf| !written.contains(&leaf.path)) {
            *counts.entry(count_key(&leaf.spec.path)).or_insert(0) += 1;
        }
        if let Ok(mut total) = self.not_written.lock() {
            for (key, n) in counts {
                *total.entry(key).or_insert(0) += n;
            }
        }
        Ok(())
    }
}

impl<W: Write> Sink for MatrikaWriter<W> {
    fn write(&mut self, pupil: Outgoing<'_>) -> Result<()> {
        self.record(&Leaves::of(pupil)?)
    }

    fn finish(&mut self) -> Result<()> {
        if self.finished {
            return Ok(());
        }
        self.finished = true;
        self.put(format!("</{ROOT}>\n").as_bytes())?;
        self.out.flush().map_err(|e| Error::io(&*self.name, e))
    }
}

/// The text (or number) at a concrete path; a yes/no is no register text.
fn text(pupil: &Leaves, path: &str) -> Option<String> {
    match pupil.get(path)? {
        Held::Text(text) | Held::Number(text) => Some(text.clone()),
        Held::Bool(_) => None,
    }
}

/// Whether the yes/no field at `path` holds `value`.
fn flag_is(pupil: &Leaves, path: &str, value: bool) -> bool {
    matches!(pupil.get(path), Some(Held::Bool(b)) if *b == value)
}

/// A pupil's items in writing order, and the concrete paths (`addresses.0.commune`) of the
/// values they hold.
struct Veta<'a> {
    pupil: &'a Leaves,
    values: BTreeMap<&'static str, String>,
    support: Vec<String>,
    written: HashSet<String>,
}

impl Veta<'_> {
    /// Take the text at `path` (`enrolment.school_id`) as item `name` if it passes the check.
    fn take(&mut self, name: &'static str, path: &str) {
        let Some(text) = text(self.pupil, path) else { return };
        let text = text.trim();
        let Some(spec) = ITEMS.iter().find(|i| i.name == name) else { return };
        // The model keeps dates as ISO text; the register writes them DD.MM.RRRR.
        let value = match spec.check {
            Check::Date => match chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d") {
                Ok(date) => format_date(date),
                Err(_) => return,
            },
            _ => text.to_string(),
        };
        if is_valid(spec.check, &value) && !value.is_empty() {
            self.values.insert(name, value);
            self.written.insert(path.to_string());
        }
    }
}

/// The items of `pupil` and the paths written.
fn items(pupil: &Leaves) -> (Vec<(String, String)>, HashSet<String>) {
    let mut veta =
        Veta { pupil, values: BTreeMap::new(), support: Vec::new(), written: HashSet::new() };
    for spec in &ITEMS {
        match spec.field {
            "id" | "birth_number" | "sex" | "addresses[].commune" | "addresses[].county" => {}
            field => veta.take(spec.name, field),
        }
    }
    identity(&mut veta);
    residence(&mut veta);
    citizenship(&mut veta);
    for leaf in pupil.of_field("counselling[].kind") {
        let Held::Text(kind) = &leaf.value else { continue };
        if let Some(degree) = support_degree(kind).filter(|d| is_valid(SUPPORT.check, d)) {
            veta.support.push(degree.to_string());
            veta.written.insert(leaf.path.clone());
        }
    }
    let others = other_items(&mut veta);
    let Veta { mut values, support, written, .. } = veta;
    let mut out: Vec<(String, String)> = ITEMS
        .iter()
        .filter_map(|i| values.remove(i.name).map(|v| (i.name.to_string(), v)))
        .collect();
    out.extend(support.into_iter().map(|d| (SUPPORT.name.to_string(), d)));
    out.extend(others);
    (out, written)
}

/// The items a register file carried that teczka has no field for, written back last, in
/// their order. The field counts as written only when every item in it could be (an item
/// named like one teczka reads into a field would be read back as that field).
fn other_items(veta: &mut Veta<'_>) -> Vec<(String, String)> {
    let Some(text) = text(veta.pupil, OTHER_ITEMS) else { return Vec::new() };
    let items = decode_other_items(&text);
    if items.iter().all(|(name, _)| is_other_item_name(name)) {
        veta.written.insert(OTHER_ITEMS.into());
    }
    items.into_iter().filter(|(name, _)| is_other_item_name(name)).collect()
}

/// `RODC` (without the slash) and `KOD_ZAKA` (the id, unless it is the rodné číslo).
fn identity(veta: &mut Veta<'_>) {
    let birth_number = text(veta.pupil, "birth_number").map(|b| b.trim().replace('/', ""));
    let usable = |b: &String| !b.is_empty() && b.chars().all(|c| c.is_ascii_alphanumeric());
    if let Some(rodc) = birth_number.filter(usable) {
        veta.values.insert("RODC", rodc);
        veta.written.insert("birth_number".into());
    }
    let sex = match veta.pupil.get("sex") {
        Some(Held::Text(sex)) if sex == "male" => Some("1"),
        Some(Held::Text(sex)) if sex == "female" => Some("2"),
        _ => None,
    };
    if let Some(code) = sex {
        veta.values.insert("POHLAVI", code.into());
        veta.written.insert("sex".into());
    }
    let id = text(veta.pupil, "id").unwrap_or_default();
    // A `veta-N` id is the record's place, which the reader gives it again.
    if crate::read::matrika::is_record_id(&id) {
        veta.written.insert("id".into());
    } else {
        veta.take("KOD_ZAKA", "id");
    }
}

/// `OBECB` and `OKRESB` from the first residence address.
fn residence(veta: &mut Veta<'_>) {
    let residence = veta
        .pupil
        .of_field("addresses[].kind")
        .find(|leaf| matches!(&leaf.value, Held::Text(kind) if kind == "residence"));
    let Some(kind_path) = residence.map(|leaf| leaf.path.clone()) else { return };
    let address = kind_path.strip_suffix(".kind").unwrap_or_default();
    let before = veta.written.len();
    veta.take("OBECB", &format!("{address}.commune"));
    veta.take("OKRESB", &format!("{address}.county"));
    if veta.written.len() > before {
        veta.written.insert(kind_path);
    }
}

/// `STPR` from the register code, or Czechia from `national_citizen`; the citizenship flags
/// count as written when the code says the same.
fn citizenship(veta: &mut Veta<'_>) {
    let czech = flag_is(veta.pupil, "national_citizen", true);
    if czech && !veta.values.contains_key("STPR") {
        veta.values.insert("STPR", CZECHIA.into());
    }
    let Some(code) = veta.values.get("STPR").cloned() else { return };
    let flags = [("national_citizen", code == CZECHIA), ("eu_citizen", is_eu(&code))];
    for (flag, value) in flags {
        if flag_is(veta.pupil, flag, value) {
            veta.written.insert(flag.into());
        }
    }
}

/// The key a value not written is counted under: lists the register has no item for at all
/// are counted whole (`guardians`, `grades`), the addresses, counselling and the top-level
/// structs field by field (`addresses[].town`, `enrolment.school_name`), the rest by field.
fn count_key(field: &str) -> String {
    let top = field.split(['.', '[']).next().unwrap_or(field);
    match top {
        "addresses" | "counselling" | "enrolment" | "cz_register" | "indicators" => {
            field.to_string()
        }
        _ => top.to_string(),
    }
}

/// Why the values of a field were not written, for the run's notice.
pub fn reason(field: &str) -> &'static str {
    match field {
        "birth_date" | "enrolment.admission_date" | "enrolment.leaving_date" => {
            "not a full date (a released year or month cannot be a register date)"
        }
        "addresses[].commune" | "addresses[].county" => {
            "the register takes the residence's ZÚJ and district codes, not names"
        }
        "national_citizen" | "eu_citizen" => {
            "the register holds the citizenship as a country code (STPR), and none is known"
        }
        "id" => "KOD_ZAKA takes 1-20 letters, digits, `-` or `_`",
        _ if crate::read::matrika::ITEMS.iter().any(|i| i.field == field) => {
            "not in the form the register's code list takes"
        }
        _ => "the školní matrika has no item for them",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::released::ReleasedPupil;
    use crate::model::{Address, AddressKind, Enrolment, Guardian, Pupil};

    fn written(write: impl FnOnce(&mut MatrikaWriter<&mut Vec<u8>>)) -> (String, Vec<String>) {
        let mut out = Vec::new();
        let mut writer = MatrikaWriter::new(&mut out, "m.xml").unwrap();
        write(&mut writer);
        writer.finish().unwrap();
        let lines = crate::write::output::not_written_notes(
            crate::write::output::OutFormat::Matrika,
            &writer.not_written(),
        );
        let lines = lines.into_iter().map(|l| l.replacen("matrika: ", "", 1)).collect();
        drop(writer);
        (String::from_utf8(out).unwrap(), lines)
    }

    #[test]
    fn items_are_escaped_in_order_and_every_value_left_out_is_counted() {
        let pupil = Pupil {
            id: "veta-1".into(),
            birth_number: Some("140315/1233".into()),
            surname: Some("Dvořák".into()),
            national_citizen: Some(true),
            eu_citizen: Some(true),
            addresses: vec![Address {
                kind: Some(AddressKind::Residence),
                commune: Some("Olomouc".into()),
                county: Some("CZ0712".into()),
                town: Some("Olomouc".into()),
                ..Address::default()
            }],
            guardians: vec![Guardian {
                surname: Some("Dvořáková".into()), ..Guardian::default()
            }],
            enrolment: Some(Enrolment {
                class_symbol: Some("6&A".into()),
                class_level: Some("VI".into()),
                school_name: Some("ZŠ".into()),
                ..Enrolment::default()
            }),
            ..Pupil::default()
        };
        let (xml, lines) = written(|w| w.write(Outgoing::Pupil(&pupil)).unwrap());
        assert_eq!(
            xml,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<MATRIKA>\n  <VETA>\n    \
             <RODC>1403151233</RODC>\n    <STPR>203</STPR>\n    <OKRESB>CZ0712</OKRESB>\n    \
             <TRIDA>6&amp;A</TRIDA>\n  </VETA>\n</MATRIKA>\n"
        );
        assert_eq!(
            lines,
            [
                "addresses[].commune: 1 values not written: the register takes the residence's \
                 ZÚJ and district codes, not names",
                "addresses[].town: 1 values not written: the školní matrika has no item for them",
                "enrolment.class_level: 1 values not written: not in the form the register's \
                 code list takes",
                "enrolment.school_name: 1 values not written: the školní matrika has no item \
                 for them",
                "guardians: 1 values not written: the školní matrika has no item for them",
                "surname: 1 values not written: the školní matrika has no item for them",
            ]
        );
    }

    #[test]
    fn the_residence_and_support_are_found_at_their_place_in_the_lists() {
        use crate::model::Counselling;
        let address = |kind, commune: &str| Address {
            kind: Some(kind),
            commune: Some(commune.into()),
            ..Address::default()
        };
        let counselling =
            |kind: &str| Counselling { kind: Some(kind.into()), ..Counselling::default() };
        let pupil = Pupil {
            id: "Z1".into(),
            addresses: vec![
                address(AddressKind::Correspondence, "500496"),
                Address {
                    county: Some("CZ0712".into()),
                    ..address(AddressKind::Residence, "554821")
                },
            ],
            counselling: vec![
                counselling("opinia"),
                counselling("doporučení ŠPZ: podpůrná opatření 2. stupně"),
            ],
            ..Pupil::default()
        };
        let released = ReleasedPupil::of(&pupil).unwrap();
        let (from_pupil, lines) = written(|w| w.write(Outgoing::Pupil(&pupil)).unwrap());
        let (from_release, again) = written(|w| w.write(Outgoing::Released(&released)).unwrap());
        assert_eq!((&from_pupil, &lines), (&from_release, &again));
        assert!(
            from_pupil.contains("<OBECB>554821</OBECB>\n    <OKRESB>CZ0712</OKRESB>"),
            "{from_pupil}"
        );
        assert!(from_pupil.contains("<PO>2</PO>\n  </VETA>"), "{from_pupil}");
        let counted: Vec<&str> = lines.iter().map(|l| l.split(':').next().unwrap()).collect();
        assert_eq!(counted, ["addresses[].commune", "addresses[].kind", "counselling[].kind"]);
        assert!(lines.iter().all(|l| l.contains(": 1 values")), "{lines:?}");
    }

    #[test]
    fn a_released_year_is_no_register_date_and_is_counted() {
        let map = serde_json::json!({ "id": "Z1", "birth_date": "2014", "sex": "female" });
        let released = ReleasedPupil::from_map(map.as_object().unwrap()).unwrap();
        let (xml, lines) = written(|w| w.write(Outgoing::Released(&released)).unwrap());
        assert!(xml.contains("<KOD_ZAKA>Z1</KOD_ZAKA>\n    <POHLAVI>2</POHLAVI>"), "{xml}");
        assert!(!xml.contains("DAT_NAROZ"));
        assert_eq!(lines.len(), 1);
        assert!(lines[0].starts_with("birth_date: 1 values not written: not a full date"));
    }
}
