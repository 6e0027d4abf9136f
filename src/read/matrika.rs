//! The Czech ministry's pupil register, the MŠMT *školní matrika* XML: one record (*věta*) per
//! pupil, each item an element named by its code (`RODC`, `KSTPR`, `ZAHDAT`, …), as Czech
//! schools send it for the 30 September and 31 March collections (vyhláška 364/2005 Sb.,
//! příloha 1).
//!
//! The items and their forms are taken from the vendors' public descriptions:
//! * Bakaláři, *Stručný popis formátu souboru předávaných dat ze školní matriky*
//!   (<https://napoveda.bakalari.cz/ev_eltpopisformatu.htm>: `RDAT` as `DD.MM.RRRR`, `IZO` 9
//!   characters, `CAST` 2, `RODC` as `RRNNDD` and a 4-character serial) and the item pages
//!   `https://napoveda.bakalari.cz/elt_<item>.htm` (`elt_stpr`, `elt_kstpr`, `elt_obecb`,
//!   `elt_zahdat`, `elt_kod_ukon`, `elt_pohlavi`, `elt_kod_zaka`, `elt_kod_zmen`);
//! * Bakaláři FAQ ZN0076 (<https://bakalari.cz/Schools/FaqDetail?KId=ZN0076>): a pupil without
//!   a Czech rodné číslo gets `RRNNDD/X###` from the school;
//! * eTřídnice, *Aktualizace 9.3.2022* (<https://www.etridnice.cz/aktualizace-9-3-2022/>):
//!   `OBECB` `999999` and `OKRESB` `999` + country for a residence abroad, `IZOZ`
//!   `999999` + country for a school abroad, `ODHL` `600` a school abroad, `KOD_ZAH` `U`;
//! * MŠMT, *Informace a metodické poznámky k předávání individuálních údajů ze školních
//!   matrik* (the item list: `RDAT`, `IZO`, `CAST`, `RODC`, `POHLAVI`, `DAT_NAROZ`, `KSTPR`,
//!   `STPR`, `OBECB`, `OKRESB`, `ODHL`, `IZOZ`, `ZAHDAT`, `KOD_ZAH`, `UKONDAT`, `KOD_UKON`,
//!   `ROCNIK`, `TRIDA`, `OBOR`, `FST`, …).
//!
//! The sources describe the items, not the XML envelope the ministry's application takes, so
//! teczka uses a plain one faithful to the item names: a `<MATRIKA>` root holding one `<VETA>`
//! element per record, each holding its items as child elements named by their codes (see
//! [`ITEMS`]). Where the sources name a code list without its values, a code is checked for the
//! list's shape (a three-digit country, a six-digit ZÚJ); the README says which.
//!
//! The XML itself is read by [`crate::read::xml::XmlReader`], with all its protections against
//! hostile input (no DOCTYPE, no entities, depth and size limits, one record in memory); this
//! module turns one věta's items into a [`Pupil`]. The register carries no names: pupils are
//! identified by `KOD_ZAKA` (the school's code in anonymised files) or `RODC`, and validation
//! asks no name of a pupil that holds register codes.

use super::xml::{Collect, Dialect, XmlReader};
use super::{Limits, ReadOptions};
use crate::model::record::Rule;
use crate::model::{Address, AddressKind, Counselling, CzRegister, Enrolment, Pupil, Sex};
use chrono::NaiveDate;

/// The root element of a matrika document.
pub const ROOT: &str = "MATRIKA";

/// The element of one record (*věta*).
pub const RECORD: &str = "VETA";

/// Read a školní matrika document from any reader, one record at a time; `source` names it
/// in locations. A document whose root is not `<MATRIKA>` stops the reading with an error.
///
/// # Example
///
/// ```
/// use teczka::{matrika, ReadOptions};
///
/// let data = "<MATRIKA>\n<VETA><RODC>155725X001</RODC><KSTPR>9</KSTPR></VETA>\n</MATRIKA>";
/// let records: Vec<_> = matrika::reader(data.as_bytes(), "m.xml", &ReadOptions::default())
///     .collect::<Result<_, _>>()?;
/// assert_eq!(records[0].pupil.birth_number.as_deref(), Some("155725X001"));
/// assert_eq!(records[0].pupil.id, "veta-1");
/// let problem = &records[0].problems[0];
/// assert_eq!(problem.field, "cz_register.citizenship_kind");
/// assert!(problem.message.contains("`<KSTPR>` at line 2") && !problem.message.contains('9'));
/// # Ok::<(), teczka::Error>(())
/// ```
pub fn reader<R: std::io::Read>(
    input: R,
    source: impl Into<std::sync::Arc<str>>,
    options: &ReadOptions,
) -> XmlReader<R> {
    XmlReader::new(input, source, options).with_dialect(Dialect::Matrika)
}

/// How an item's value is checked.
#[derive(Clone, Copy, Debug)]
pub enum Check {
    /// A date, `DD.MM.RRRR`.
    Date,
    /// A code from a closed list.
    Code(&'static [&'static str]),
    /// A code checked for the list's shape, described in words for messages.
    Shape(fn(&str) -> bool),
    /// Text (checked by the model's own rules later, such as the rodné číslo's).
    Text,
}

/// One item of a věta: its element name, the model field it fills, its check and what the
/// code list is, for messages.
#[derive(Debug)]
pub struct ItemSpec {
    /// The element name (the register's item code).
    pub name: &'static str,
    /// The model field it goes to (catalogue path).
    pub field: &'static str,
    /// How its value is checked.
    pub check: Check,
    /// What a valid value is, for messages.
    pub expected: &'static str,
}

const fn item(
    name: &'static str,
    field: &'static str,
    check: Check,
    expected: &'static str,
) -> ItemSpec {
    ItemSpec { name, field, check, expected }
}

/// `POHLAVI` (číselník RAPO): `1` male, `2` female.
const SEXES: &[&str] = &["1", "2"];
/// `KSTPR` (kvalifikátor státního občanství): `1`–`7`.
const QUALIFIERS: &[&str] = &["1", "2", "3", "4", "5", "6", "7"];
/// `ROCNIK`: the year of education, `1`–`10`.
const YEARS: &[&str] = &["1", "2", "3", "4", "5", "6", "7", "8", "9", "10"];
/// `PO`: the degree of support measures (vyhláška 27/2016 Sb., § 2), `1`–`5`.
const DEGREES: &[&str] = &["1", "2", "3", "4", "5"];

/// Every item teczka reads and writes, in the order it writes them.
pub const ITEMS: [ItemSpec; 21] = [
    item("RDAT", "cz_register.collection_date", Check::Date, "a date DD.MM.RRRR"),
    item("IZO", "enrolment.school_id", Check::Shape(izo), "the school's IZO, 9 digits"),
    item("CAST", "cz_register.school_part", Check::Shape(two_digits), "two digits (01, 02, …)"),
    item(
        "KOD_ZAKA",
        "id",
        Check::Shape(school_code),
        "the school's code, 1-20 letters, digits, - or _",
    ),
    item("RODC", "birth_number", Check::Text, "a rodné číslo"),
    item("POHLAVI", "sex", Check::Code(SEXES), "1 for male or 2 for female, list RAPO"),
    item("DAT_NAROZ", "birth_date", Check::Date, "a date DD.MM.RRRR"),
    item("STPR", "cz_register.citizenship", Check::Shape(country), "a 3-digit country code"),
    item("KSTPR", "cz_register.citizenship_kind", Check::Code(QUALIFIERS), "a qualifier 1-7"),
    item("OBECB", "addresses[].commune", Check::Shape(zuj), "a 6-digit ZÚJ code, 999999 abroad"),
    item(
        "OKRESB",
        "addresses[].county",
        Check::Shape(district),
        "CZ0 and 3 characters, or 999 and a country",
    ),
    item("ODHL", "cz_register.previous_education", Check::Shape(three_digits), "a 3-digit code"),
    item("IZOZ", "cz_register.previous_school", Check::Shape(izo), "an IZO, 9 digits"),
    item("ZAHDAT", "enrolment.admission_date", Check::Date, "a date DD.MM.RRRR"),
    item(
        "KOD_ZAH",
        "cz_register.admission_code",
        Check::Shape(short_code),
        "1-2 capital letters or digits",
    ),
    item("UKONDAT", "enrolment.leaving_date", Check::Date, "a date DD.MM.RRRR"),
    item(
        "KOD_UKON",
        "cz_register.leaving_code",
        Check::Shape(short_code),
        "1-2 capital letters or digits",
    ),
    item("ROCNIK", "enrolment.class_level", Check::Code(YEARS), "a year 1-10"),
    item("TRIDA", "enrolment.class_symbol", Check::Shape(class), "1-10 characters"),
    item(
        "OBOR",
        "cz_register.field_of_study",
        Check::Shape(kkov),
        "a KKOV code such as 79-01-C/01",
    ),
    item("FST", "cz_register.education_form", Check::Shape(two_digits), "a 2-digit code"),
];

/// The support-measures item: the only one a věta may repeat.
pub const SUPPORT: ItemSpec =
    item("PO", "counselling[].kind", Check::Code(DEGREES), "a degree of support measures 1-5");

/// The numeric country code of Czechia in `STPR` (ISO 3166-1 numeric, as the register uses).
pub const CZECHIA: &str = "203";

/// ISO 3166-1 numeric codes of the EU member states, for `eu_citizen`.
const EU: [&str; 27] = [
    "040", "056", "100", "191", "196", "203", "208", "233", "246", "250", "276", "300", "348",
    "372", "380", "428", "440", "442", "470", "528", "616", "620", "642", "703", "705", "724",
    "752",
];

/// Whether a `STPR` country code is an EU member state's.
pub fn is_eu(code: &str) -> bool {
    EU.contains(&code)
}

fn all_digits(text: &str, n: usize) -> bool {
    text.len() == n && text.bytes().all(|b| b.is_ascii_digit())
}

fn izo(text: &str) -> bool {
    all_digits(text, 9)
}

fn two_digits(text: &str) -> bool {
    all_digits(text, 2)
}

fn three_digits(text: &str) -> bool {
    all_digits(text, 3)
}

fn country(text: &str) -> bool {
    three_digits(text)
}

fn zuj(text: &str) -> bool {
    all_digits(text, 6)
}

fn district(text: &str) -> bool {
    let upper = |b: &u8| b.is_ascii_digit() || b.is_ascii_uppercase();
    (text.len() == 6 && text.starts_with("CZ0") && text.as_bytes()[3..].iter().all(upper))
        || (all_digits(text, 6) && text.starts_with("999"))
}

fn short_code(text: &str) -> bool {
    (1..=2).contains(&text.len())
        && text.bytes().all(|b| b.is_ascii_digit() || b.is_ascii_uppercase())
}

fn school_code(text: &str) -> bool {
    let allowed = |b: u8| b.is_ascii_alphanumeric() || b == b'-' || b == b'_';
    (1..=20).contains(&text.len()) && text.bytes().all(allowed)
}

fn class(text: &str) -> bool {
    (1..=10).contains(&text.chars().count()) && !text.chars().any(char::is_control)
}

/// `NN-NN-L/NN`: the KKOV form of a field of education.
fn kkov(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() == 10
        && b.iter().enumerate().all(|(i, c)| match i {
            2 | 5 => *c == b'-',
            6 => c.is_ascii_uppercase(),
            7 => *c == b'/',
            _ => c.is_ascii_digit(),
        })
}

/// Whether `text` passes `check`.
pub fn is_valid(check: Check, text: &str) -> bool {
    match check {
        Check::Date => parse_date(text).is_some(),
        Check::Code(list) => list.contains(&text),
        Check::Shape(shape) => shape(text),
        Check::Text => !text.is_empty(),
    }
}

/// A register date, `DD.MM.RRRR` exactly.
pub fn parse_date(text: &str) -> Option<NaiveDate> {
    let b = text.as_bytes();
    if b.len() != 10 || b[2] != b'.' || b[5] != b'.' {
        return None;
    }
    NaiveDate::parse_from_str(text, "%d.%m.%Y").ok()
}

/// A date as the register writes it.
pub fn format_date(date: NaiveDate) -> String {
    date.format("%d.%m.%Y").to_string()
}

/// The `counselling[].kind` a `PO` degree becomes: Czech words the statistics indicators
/// code as `special-needs` (a support measure follows a *doporučení* of a counselling centre).
pub fn support_kind(degree: &str) -> String {
    format!("doporučení ŠPZ: podpůrná opatření {degree}. stupně")
}

/// The `PO` degree a `counselling[].kind` written by [`support_kind`] holds.
pub fn support_degree(kind: &str) -> Option<&str> {
    let degree =
        kind.strip_prefix("doporučení ŠPZ: podpůrná opatření ")?.strip_suffix(". stupně")?;
    DEGREES.contains(&degree).then_some(degree)
}

// ---------------------------------------------------------------------------------------------
// Collecting one věta.
// ---------------------------------------------------------------------------------------------

/// A problem found in a record: `(field, rule, message)`.
type Problem = (String, Rule, String);

/// An item's text being read.
struct Open {
    /// Index into [`ITEMS`], or `None` for `PO` or an item teczka has no field for.
    item: Option<usize>,
    /// The name of an item teczka has no field for, carried in `cz_register.other_items`.
    other: Option<String>,
    text: String,
    line: u64,
    /// Set when the value is dropped (too long, nested elements): it was reported.
    spoilt: bool,
}

impl Open {
    /// The item's element name and the model field it goes to, for messages.
    fn names(&self) -> (&str, &'static str) {
        match (self.item, &self.other) {
            (Some(i), _) => (ITEMS[i].name, ITEMS[i].field),
            (None, Some(other)) => (other, OTHER_ITEMS),
            (None, None) => (SUPPORT.name, SUPPORT.field),
        }
    }
}

/// The model field carrying the items teczka has no field for.
pub const OTHER_ITEMS: &str = "cz_register.other_items";

/// Whether `name` can be an item teczka carries without knowing it: named like the
/// register's items (a capital letter, then capitals, digits or `_`, at most 32), and not
/// one of the items teczka reads into fields.
pub fn is_other_item_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    name.len() <= 32
        && bytes.next().is_some_and(|b| b.is_ascii_uppercase())
        && bytes.all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
        && name != SUPPORT.name
        && ITEMS.iter().all(|i| i.name != name)
}

/// The carried items as `cz_register.other_items` holds them: `NAME=value` lines, with `%`
/// and line breaks in a value escaped (`%25`, `%0A`, `%0D`) so that every value is one line.
pub fn encode_other_items(items: &[(String, String)]) -> Option<String> {
    let lines: Vec<String> = items
        .iter()
        .map(|(name, value)| {
            let value = value.replace('%', "%25").replace('\n', "%0A").replace('\r', "%0D");
            format!("{name}={value}")
        })
        .collect();
    (!lines.is_empty()).then(|| lines.join("\n"))
}

/// The items in a `cz_register.other_items` text, in order; a line without `=` is an item
/// with an empty value.
pub fn decode_other_items(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter(|line| !line.is_empty())
        .map(|line| {
            let (name, value) = line.split_once('=').unwrap_or((line, ""));
            let value = value.replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%");
            (name.to_string(), value)
        })
        .collect()
}

/// Gathers one `<VETA>` (or reports another element under the root); see [`collector`].
struct Veta {
    /// The record's ordinal in the document (from 0).
    record: u64,
    /// Whether the element is a `<VETA>`; anything else is read past and rejected.
    is_record: bool,
    /// Elements open inside the record element (0: directly inside it).
    depth: usize,
    open: Option<Open>,
    values: [Option<(String, u64)>; ITEMS.len()],
    support: Vec<(String, u64)>,
    /// Items teczka has no field for, in file order: name and value.
    others: Vec<(String, String)>,
    problems: Vec<Problem>,
    too_large: Option<(String, String)>,
    stray_text: bool,
    max_field_bytes: usize,
    max_list_items: usize,
}

/// The collector of the record element `qname` (starting at `line`) for the XML reader.
pub(crate) fn collector(
    limits: &Limits,
    qname: &str,
    line: u64,
    attributes: &[String],
    record: u64,
) -> Box<dyn Collect> {
    let mut veta = Veta {
        record,
        is_record: qname == RECORD,
        depth: 0,
        open: None,
        values: Default::default(),
        support: Vec::new(),
        others: Vec::new(),
        problems: Vec::new(),
        too_large: None,
        stray_text: false,
        max_field_bytes: limits.max_field_bytes,
        max_list_items: limits.max_list_items,
    };
    if !veta.is_record {
        veta.problems.push((
            qname.to_string(),
            Rule::UnknownField,
            format!(
                "element `<{qname}>` at line {line} is not a `<{RECORD}>` record: a `<{ROOT}>` \
                 document holds records only; remove it"
            ),
        ));
    }
    veta.attributes(RECORD, attributes, line);
    Box::new(veta)
}

impl Veta {
    fn report(&mut self, field: &str, rule: Rule, message: String) {
        if self.too_large.is_none() && self.is_record {
            self.problems.push((field.to_string(), rule, message));
        }
    }

    fn attributes(&mut self, element: &str, attributes: &[String], line: u64) {
        for name in attributes {
            self.report(
                &format!("{element}@{name}"),
                Rule::UnknownField,
                format!(
                    "attribute `{name}` on `<{element}>` at line {line} is not part of the \
                     školní matrika format (items are elements): remove it"
                ),
            );
        }
    }

    /// An element opening directly inside the record: an item, or an unknown element.
    fn open_item(&mut self, local: &[u8], qname: &[u8], ours: bool, line: u64) {
        let name = String::from_utf8_lossy(qname).into_owned();
        let index = ITEMS.iter().position(|i| ours && i.name.as_bytes() == local);
        let support = ours && local == SUPPORT.name.as_bytes();
        let other = (ours && index.is_none() && !support && is_other_item_name(&name))
            .then(|| name.clone());
        if index.is_none() && !support && other.is_none() {
            self.report(
                &name,
                Rule::UnknownField,
                format!(
                    "element `<{name}>` at line {line} is not named as a školní matrika item \
                     is (capital letters, digits and `_`, no namespace), so it cannot be \
                     carried: remove it, or export the file again without it"
                ),
            );
            return;
        }
        if other.is_some() && self.others.len() >= self.max_list_items {
            let message = format!(
                "the record holds more than {} items teczka has no field for (passed at line \
                 {line}): it is rejected unread; raise --max-list-items if the file is trusted",
                self.max_list_items
            );
            self.too_large(OTHER_ITEMS.into(), message);
            return;
        }
        if let Some(i) = index.filter(|&i| self.values[i].is_some()) {
            let field = ITEMS[i].field;
            self.report(
                field,
                Rule::Schema,
                format!(
                    "item `<{name}>` appears a second time in the record (line {line}): a record \
                     holds each item once; keep the right one"
                ),
            );
            return;
        }
        if support && self.support.len() >= self.max_list_items {
            let message = format!(
                "the record holds more than {} `<PO>` items (passed at line {line}): it is \
                 rejected unread; raise --max-list-items if the file is trusted",
                self.max_list_items
            );
            self.too_large(SUPPORT.field.into(), message);
            return;
        }
        self.open = Some(Open { item: index, other, text: String::new(), line, spoilt: false });
    }

    /// Store a closed item's text (trimmed: a code is the same code with spaces around it).
    fn store(&mut self, open: Open) {
        if open.spoilt {
            return;
        }
        let value = (open.text.trim().to_string(), open.line);
        match (open.item, open.other) {
            (Some(i), _) => self.values[i] = Some(value),
            (None, Some(name)) => self.others.push((name, value.0)),
            (None, None) => self.support.push(value),
        }
    }
}

impl Collect for Veta {
    fn open(&mut self, local: &[u8], qname: &[u8], ours: bool, line: u64, attributes: &[String]) {
        self.depth += 1;
        if self.too_large.is_some() || !self.is_record {
            return;
        }
        let name = String::from_utf8_lossy(qname).into_owned();
        match self.depth {
            1 => {
                self.open_item(local, qname, ours, line);
                self.attributes(&name, attributes, line);
            }
            2 => {
                let Some(open) = self.open.as_mut() else { return };
                open.spoilt = true;
                let (item, field) = open.names();
                let item = item.to_string();
                self.report(
                    field,
                    Rule::Schema,
                    format!(
                        "element `<{name}>` at line {line} inside item `<{item}>`: an item holds \
                         text only; remove the inner element"
                    ),
                );
            }
            _ => {}
        }
    }

    fn close(&mut self) -> bool {
        if self.depth == 0 {
            return true;
        }
        if self.depth == 1 {
            if let Some(open) = self.open.take() {
                self.store(open);
            }
        }
        self.depth -= 1;
        false
    }

    fn text(&mut self, text: &str, line: u64) {
        if self.depth == 0 && !text.trim().is_empty() && !self.stray_text {
            self.stray_text = true;
            self.report(
                "",
                Rule::Schema,
                format!(
                    "text directly inside `<{RECORD}>` at line {line}: a record holds items \
                     only; remove the text"
                ),
            );
        }
        let max = self.max_field_bytes;
        let Some(open) = self.open.as_mut().filter(|o| self.depth == 1 && !o.spoilt) else {
            return;
        };
        if open.text.len() + text.len() <= max {
            open.text.push_str(text);
            return;
        }
        open.spoilt = true;
        let at = open.line;
        let (item, field) = open.names();
        let item = item.to_string();
        self.report(
            field,
            Rule::FieldSize,
            format!(
                "item `<{item}>` at line {at} is longer than {max} bytes (--max-field-bytes): \
                 check the file; raise the limit only if the value is genuine"
            ),
        );
    }

    fn drops_space(&self) -> bool {
        self.depth != 1 || self.open.is_none()
    }

    fn too_large(&mut self, field: String, message: String) {
        if self.too_large.is_none() {
            self.open = None;
            self.too_large = Some((field, message));
        }
    }

    fn finish(self: Box<Self>) -> (Pupil, Vec<Problem>) {
        let veta = *self;
        if let Some((field, message)) = veta.too_large {
            let mut problems = veta.problems;
            problems.push((field, Rule::RecordTooLarge, message));
            return (Pupil::default(), problems);
        }
        if !veta.is_record {
            return (Pupil::default(), veta.problems);
        }
        let mut build = Build {
            values: veta.values,
            others: veta.others,
            problems: veta.problems,
            record: veta.record,
        };
        let pupil = build.pupil(&veta.support);
        (pupil, build.problems)
    }
}

// ---------------------------------------------------------------------------------------------
// From items to the model.
// ---------------------------------------------------------------------------------------------

/// A věta's items being mapped, with the problems found.
struct Build {
    record: u64,
    values: [Option<(String, u64)>; ITEMS.len()],
    others: Vec<(String, String)>,
    problems: Vec<Problem>,
}

impl Build {
    /// The checked value of item `name` (`None` when absent, empty or invalid, which is
    /// reported naming the element and line, never the value).
    fn get(&mut self, name: &str) -> Option<String> {
        let index = ITEMS.iter().position(|i| i.name == name)?;
        let (text, line) = self.values[index].take()?;
        if text.is_empty() {
            return None;
        }
        let spec = &ITEMS[index];
        if !is_valid(spec.check, &text) {
            self.problems.push(invalid(spec, line));
            return None;
        }
        Some(text)
    }

    fn date(&mut self, name: &str) -> Option<NaiveDate> {
        self.get(name).as_deref().and_then(parse_date)
    }

    fn pupil(&mut self, support: &[(String, u64)]) -> Pupil {
        let code = self.get("KOD_ZAKA");
        let birth_number = self.get("RODC");
        if code.is_none() && birth_number.is_none() {
            self.problems.push((
                "id".into(),
                Rule::Required,
                "the record has neither `<RODC>` nor `<KOD_ZAKA>`, so the pupil cannot be \
                 identified: fill in the rodné číslo (or the school's code of an anonymised \
                 file) in the školní matrika and export again"
                    .into(),
            ));
        }
        let sex = self.get("POHLAVI").map(|s| if s == "2" { Sex::Female } else { Sex::Male });
        let mut pupil = Pupil {
            // Never the rodné číslo: the id names the pupil in every report.
            id: code.unwrap_or_else(|| record_id(self.record)),
            birth_number,
            sex,
            birth_date: self.date("DAT_NAROZ"),
            ..Pupil::default()
        };
        let register = self.register();
        if let Some(citizenship) = register.citizenship.as_deref() {
            pupil.national_citizen = Some(citizenship == CZECHIA);
            pupil.eu_citizen = Some(is_eu(citizenship));
        }
        pupil.cz_register = Some(register);
        pupil.enrolment = self.enrolment();
        let commune = self.get("OBECB");
        let county = self.get("OKRESB");
        if commune.is_some() || county.is_some() {
            let kind = Some(AddressKind::Residence);
            pupil.addresses.push(Address { kind, commune, county, ..Address::default() });
        }
        for (text, line) in support {
            if text.is_empty() {
                continue;
            }
            if !is_valid(SUPPORT.check, text) {
                self.problems.push(invalid(&SUPPORT, *line));
                continue;
            }
            let kind = Some(support_kind(text));
            pupil.counselling.push(Counselling { kind, ..Counselling::default() });
        }
        pupil
    }

    fn register(&mut self) -> CzRegister {
        CzRegister {
            collection_date: self.date("RDAT"),
            school_part: self.get("CAST"),
            citizenship: self.get("STPR"),
            citizenship_kind: self.get("KSTPR"),
            previous_education: self.get("ODHL"),
            previous_school: self.get("IZOZ"),
            admission_code: self.get("KOD_ZAH"),
            leaving_code: self.get("KOD_UKON"),
            field_of_study: self.get("OBOR"),
            education_form: self.get("FST"),
            other_items: encode_other_items(&self.others),
        }
    }

    fn enrolment(&mut self) -> Option<Enrolment> {
        let enrolment = Enrolment {
            school_id: self.get("IZO"),
            class_level: self.get("ROCNIK"),
            class_symbol: self.get("TRIDA"),
            admission_date: self.date("ZAHDAT"),
            leaving_date: self.date("UKONDAT"),
            ..Enrolment::default()
        };
        (enrolment != Enrolment::default()).then_some(enrolment)
    }
}

/// The id of a pupil whose record has no `KOD_ZAKA`: `veta-N`, its place in the file (from 1).
/// The rodné číslo is not used: an id is shown in every report, a national id never is.
pub fn record_id(record: u64) -> String {
    format!("{RECORD_ID_PREFIX}{}", record + 1)
}

/// The prefix of [`record_id`]s.
pub const RECORD_ID_PREFIX: &str = "veta-";

/// Whether `id` is a [`record_id`] (the writer then leaves `KOD_ZAKA` out).
pub fn is_record_id(id: &str) -> bool {
    id.strip_prefix(RECORD_ID_PREFIX).is_some_and(|n| {
        !n.is_empty() && !n.starts_with('0') && n.bytes().all(|b| b.is_ascii_digit())
    })
}

/// The problem of an item whose value fails its check.
fn invalid(spec: &ItemSpec, line: u64) -> Problem {
    let name = spec.name;
    let (rule, what) = match spec.check {
        Check::Date => (Rule::Type, "is not a real date in the form DD.MM.RRRR".to_string()),
        _ => (Rule::Code, format!("is not in its code list (expected {})", spec.expected)),
    };
    (
        spec.field.to_string(),
        rule,
        format!(
            "item `<{name}>` at line {line} {what}: correct it in the školní matrika and \
             export the file again"
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;
    use crate::model::record::Record;

    fn read_with(data: &str, limits: Limits) -> Vec<crate::Result<Record>> {
        let options = ReadOptions { limits, ..ReadOptions::default() };
        reader(data.as_bytes(), "m.xml", &options).collect()
    }

    fn records(data: &str) -> Vec<Record> {
        read_with(data, Limits::default()).into_iter().collect::<crate::Result<_>>().unwrap()
    }

    /// The problems of the single record of `veta` (the body of one `<VETA>`).
    fn problems(veta: &str) -> Vec<(String, Rule, String)> {
        let data = format!("<MATRIKA>\n<VETA>\n{veta}\n</VETA>\n</MATRIKA>\n");
        let record = records(&data).remove(0);
        record.problems.into_iter().map(|v| (v.field, v.rule, v.message)).collect()
    }

    /// A problem table row: the items, then the field, rule and the start of the message.
    macro_rules! problem_cases {
        ($($name:ident: $veta:expr => $field:expr, $rule:expr, $start:expr;)*) => {$(
            #[test]
            fn $name() {
                let found = problems($veta);
                assert_eq!(found.len(), 1, "{found:?}");
                let (field, rule, message) = &found[0];
                assert_eq!((field.as_str(), *rule), ($field, $rule));
                assert!(message.starts_with($start), "{message}");
            }
        )*};
    }

    problem_cases! {
        unknown_qualifier: "<RODC>1403151233</RODC><KSTPR>8</KSTPR>" =>
            "cz_register.citizenship_kind", Rule::Code, "item `<KSTPR>` at line 3 is not in its code list";
        sex_as_a_letter: "<RODC>1403151233</RODC>\n<POHLAVI>M</POHLAVI>" =>
            "sex", Rule::Code, "item `<POHLAVI>` at line 4";
        iso_date: "<RODC>1403151233</RODC><ZAHDAT>2020-09-01</ZAHDAT>" =>
            "enrolment.admission_date", Rule::Type, "item `<ZAHDAT>` at line 3 is not a real date";
        impossible_date: "<RODC>1403151233</RODC><UKONDAT>31.06.2025</UKONDAT>" =>
            "enrolment.leaving_date", Rule::Type, "item `<UKONDAT>`";
        district_by_name: "<RODC>1403151233</RODC><OKRESB>Olomouc</OKRESB>" =>
            "addresses[].county", Rule::Code, "item `<OKRESB>`";
        field_not_kkov: "<RODC>1403151233</RODC><OBOR>7901C01</OBOR>" =>
            "cz_register.field_of_study", Rule::Code, "item `<OBOR>`";
        year_eleven: "<RODC>1403151233</RODC><ROCNIK>11</ROCNIK>" =>
            "enrolment.class_level", Rule::Code, "item `<ROCNIK>`";
        degree_six: "<RODC>1403151233</RODC><PO>6</PO>" =>
            "counselling[].kind", Rule::Code, "item `<PO>`";
        unknown_element: "<RODC>1403151233</RODC><Jmeno>x</Jmeno>" =>
            "Jmeno", Rule::UnknownField, "element `<Jmeno>` at line 3 is not named as";
        nested_other_item: "<RODC>1403151233</RODC><ZPUSOB>1<b/></ZPUSOB>" =>
            "cz_register.other_items", Rule::Schema, "element `<b>` at line 3 inside item `<ZPUSOB>`";
        repeated_item: "<RODC>1403151233</RODC>\n<IZO>102345678</IZO>\n<IZO>102345679</IZO>" =>
            "enrolment.school_id", Rule::Schema, "item `<IZO>` appears a second time in the record (line 5)";
        nested_element: "<RODC>1403151233</RODC><TRIDA>6<b>A</b></TRIDA>" =>
            "enrolment.class_symbol", Rule::Schema, "element `<b>` at line 3 inside item `<TRIDA>`";
        attribute: "<RODC typ=\"x\">1403151233</RODC>" =>
            "RODC@typ", Rule::UnknownField, "attribute `typ` on `<RODC>` at line 3";
        stray_text: "<RODC>1403151233</RODC>oops" =>
            "", Rule::Schema, "text directly inside `<VETA>` at line 3";
        no_identity: "<POHLAVI>1</POHLAVI>" =>
            "id", Rule::Required, "the record has neither `<RODC>` nor `<KOD_ZAKA>`";
    }

    #[test]
    fn a_full_record_maps_onto_the_model_and_messages_never_hold_values() {
        let data = "<?xml version=\"1.0\"?>\n<MATRIKA>\n  <VETA>\n<RDAT>30.09.2025</RDAT>\
                    <IZO>102345678</IZO><KOD_ZAKA>Z-7</KOD_ZAKA><RODC>155725X001</RODC>\
                    <POHLAVI>2</POHLAVI><DAT_NAROZ>25.07.2015</DAT_NAROZ><STPR>804</STPR>\
                    <KSTPR>7</KSTPR><OBECB>999999</OBECB><OKRESB>999804</OKRESB>\
                    <ZAHDAT>14.03.2025</ZAHDAT><KOD_ZAH>U</KOD_ZAH><ROCNIK>4</ROCNIK>\
                    <TRIDA> 4.B </TRIDA><PO>2</PO><PO>3</PO></VETA>\n</MATRIKA>";
        let record = records(data).remove(0);
        assert!(record.problems.is_empty(), "{:?}", record.problems);
        assert_eq!(record.location().line, 3);
        let p = &record.pupil;
        assert_eq!(p.id, "Z-7");
        assert_eq!(p.birth_number.as_deref(), Some("155725X001"));
        assert_eq!(p.sex, Some(Sex::Female));
        assert_eq!((p.national_citizen, p.eu_citizen), (Some(false), Some(false)));
        assert_eq!(p.addresses[0].commune.as_deref(), Some("999999"));
        let e = p.enrolment.as_ref().unwrap();
        assert_eq!((e.class_level.as_deref(), e.class_symbol.as_deref()), (Some("4"), Some("4.B")));
        assert_eq!(p.counselling.len(), 2);
        assert_eq!(support_degree(p.counselling[1].kind.as_deref().unwrap()), Some("3"));
        let r = p.cz_register.as_ref().unwrap();
        assert_eq!(
            (r.citizenship.as_deref(), r.admission_code.as_deref()),
            (Some("804"), Some("U"))
        );
        assert_eq!(r.collection_date, NaiveDate::from_ymd_opt(2025, 9, 30));
    }

    #[test]
    fn items_without_a_field_are_carried_in_order_and_never_in_a_message() {
        let data = "<MATRIKA><VETA><RODC>1403151233</RODC><ZPUSOB>1</ZPUSOB>\
                    <JAZYK_O> CZ </JAZYK_O><PRERUS></PRERUS><ZPUSOB>2</ZPUSOB></VETA></MATRIKA>";
        let record = records(data).remove(0);
        assert!(record.problems.is_empty(), "{:?}", record.problems);
        let carried = record.pupil.cz_register.unwrap().other_items.unwrap();
        assert_eq!(carried, "ZPUSOB=1\nJAZYK_O=CZ\nPRERUS=\nZPUSOB=2");
        assert_eq!(
            decode_other_items(&carried),
            [("ZPUSOB", "1"), ("JAZYK_O", "CZ"), ("PRERUS", ""), ("ZPUSOB", "2")]
                .map(|(n, v)| (n.to_string(), v.to_string()))
        );
        for name in ["ZPUSOB", "FIN", "JAZYK_O", "A1"] {
            assert!(is_other_item_name(name), "{name}");
        }
        for name in ["IZO", "PO", "Zpusob", "1A", "_A", "", &"A".repeat(33), "ZP-1"] {
            assert!(!is_other_item_name(name), "{name}");
        }
    }

    proptest::proptest! {
        /// Whatever a carried value holds (line breaks, `%`, `=`), it comes back as it was.
        #[test]
        fn carried_items_decode_to_what_was_encoded(
            items in proptest::collection::vec(("[A-Z][A-Z0-9_]{0,5}", "[a-z=%\r\n0-9 ]{0,12}"), 0..5)
        ) {
            let items: Vec<(String, String)> = items;
            let encoded = encode_other_items(&items);
            proptest::prop_assert_eq!(encoded.is_none(), items.is_empty());
            proptest::prop_assert_eq!(decode_other_items(&encoded.unwrap_or_default()), items);
        }
    }

    #[test]
    fn another_element_under_the_root_is_a_rejected_record_and_reading_goes_on() {
        let data = "<MATRIKA><HLAVICKA><IZO>1</IZO></HLAVICKA>\n<VETA><RODC>1403151233</RODC>\
                    </VETA></MATRIKA>";
        let read = records(data);
        assert_eq!(read.len(), 2);
        assert_eq!(read[0].problems[0].rule, Rule::UnknownField);
        assert!(read[0].problems[0].message.contains("is not a `<VETA>` record"));
        assert_eq!(read[1].pupil.id, "veta-2");
        assert!(read[1].problems.is_empty());
    }

    #[test]
    fn too_many_support_items_reject_the_record_whole_and_long_values_are_field_size() {
        let limits = Limits { max_list_items: 2, max_field_bytes: 16, ..Limits::default() };
        let data = "<MATRIKA><VETA><RODC>1403151233</RODC><PO>1</PO><PO>2</PO><PO>3</PO></VETA>\
                    <VETA><RODC>1403151233</RODC><TRIDA>0123456789abcdefgh</TRIDA></VETA>\
                    </MATRIKA>";
        let read: Vec<Record> =
            read_with(data, limits).into_iter().collect::<crate::Result<_>>().unwrap();
        assert_eq!(read[0].problems.len(), 1);
        assert_eq!(read[0].problems[0].rule, Rule::RecordTooLarge);
        assert_eq!(read[0].pupil, Pupil::default());
        assert_eq!(read[1].problems[0].rule, Rule::FieldSize);
        assert!(!read[1].problems[0].message.contains("0123"));
    }

    #[test]
    fn the_sou_readers_protections_hold_for_the_register() {
        let laughs = "<?xml version=\"1.0\"?>\n<!DOCTYPE MATRIKA [<!ENTITY a \"aaaa\">]>\n\
                      <MATRIKA><VETA><RODC>&a;</RODC></VETA></MATRIKA>";
        let e = read_with(laughs, Limits::default()).pop().unwrap().unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::Doctype { .. }), "{e}");
        let deep = format!("<MATRIKA><VETA><RODC>{}", "<x>".repeat(40));
        let e = read_with(&deep, Limits::default()).pop().unwrap().unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::Limit { .. }), "{e}");
        let truncated = "<MATRIKA>\n<VETA><RODC>1403151233</RODC></VETA>\n";
        let e = read_with(truncated, Limits::default()).pop().unwrap().unwrap_err();
        assert!(e.to_string().contains("ends before `</MATRIKA>`"), "{e}");
        let stray = "<MATRIKA>text</MATRIKA>";
        let e = read_with(stray, Limits::default()).pop().unwrap().unwrap_err();
        assert!(e.to_string().contains("text outside any `<VETA>` element"), "{e}");
        let sou = "<pupils><pupil><id>A</id></pupil></pupils>";
        let e = read_with(sou, Limits::default()).pop().unwrap().unwrap_err();
        assert!(e.to_string().contains("not a školní matrika file"), "{e}");
        let e = read_with("<!-- nothing -->", Limits::default()).pop().unwrap().unwrap_err();
        assert!(e.to_string().contains("no `<MATRIKA>` root element"), "{e}");
    }

    #[test]
    fn auto_detection_tells_the_register_from_sou_by_the_root() {
        let options = ReadOptions::default();
        let data = "<MATRIKA><VETA><RODC>1403151233</RODC></VETA></MATRIKA>";
        let read: Vec<Record> =
            crate::read::xml::XmlReader::new(data.as_bytes(), "a.xml", &options)
                .collect::<crate::Result<_>>()
                .unwrap();
        assert_eq!(read[0].pupil.birth_number.as_deref(), Some("1403151233"));
        assert!(read[0].pupil.cz_register.is_some());
    }

    #[test]
    fn format_sou_reads_only_sou_and_an_xml_file_is_told_by_its_root() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.xml");
        std::fs::write(&path, "<MATRIKA><VETA><RODC>1403151233</RODC></VETA></MATRIKA>").unwrap();
        let input = [crate::read::Input { path, entity: None }];
        let auto = crate::read::open(&input, &ReadOptions::default()).unwrap();
        let read: Vec<Record> = auto.records.collect::<crate::Result<_>>().unwrap();
        assert_eq!(read[0].pupil.id, "veta-1");
        let sou = ReadOptions { format: Some(crate::read::Format::Xml), ..ReadOptions::default() };
        let mut forced = crate::read::open(&input, &sou).unwrap().records;
        let e = forced.next().unwrap().unwrap_err();
        assert!(e.to_string().contains("the root element is `<MATRIKA>`, not `<pupils>`"), "{e}");
    }

    #[test]
    fn codes_and_dates_follow_their_lists() {
        assert!(kkov("79-01-C/01") && !kkov("79-01-c/01") && !kkov("79-01-C/1"));
        assert!(district("CZ0712") && district("CZ064A") && district("999804"));
        assert!(!district("CZ071") && !district("123456"));
        assert!(short_code("U") && short_code("10") && !short_code("u") && !short_code("100"));
        assert_eq!(parse_date("30.09.2025"), NaiveDate::from_ymd_opt(2025, 9, 30));
        assert_eq!(parse_date("30.9.2025"), None);
        assert_eq!(support_degree(&support_kind("4")), Some("4"));
        assert_eq!(support_degree("doporučení"), None);
        assert!(is_record_id("veta-12") && !is_record_id("veta-012") && !is_record_id("veta-"));
        assert!(is_eu("203") && is_eu("703") && !is_eu("804"));
    }
}
