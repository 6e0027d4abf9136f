//! SOU-like XML writer: a `<pupils>` document, one indented `<pupil>` element per record.
//!
//! The element shape is the one [`crate::read::xml`] reads and `schemas/pupils.xsd` describes,
//! derived from the field catalogue: the writer walks a typed pupil (or a released pupil's JSON)
//! in catalogue order, so a new model field needs no code here. Values are written exactly (XML
//! keeps what CSV for spreadsheets must neutralise); a value holding a character that XML 1.0
//! cannot carry is refused with an error rather than written as a broken document.

use super::{Outgoing, Sink};
use crate::error::{Error, Result};
use crate::model::released::ReleasedPupil;
use crate::model::tree::Node;
use crate::model::walk::{walk, Scalar, Visitor};
use crate::read::xml::{is_xml_char, NAMESPACE, ROOT, VERSION};
use std::io::{BufWriter, Write};
use std::sync::Arc;

/// Writes a `<pupils>` document, one `<pupil>` element per record, indented by two spaces.
///
/// The XML declaration and the root start tag are written by [`XmlWriter::new`], each pupil by
/// [`Sink::write`] (complete or not at all), and `</pupils>` by [`Sink::finish`].
///
/// # Example
///
/// ```
/// use teczka::{Outgoing, Pupil, Sink, XmlWriter};
///
/// let mut out = Vec::new();
/// let mut writer = XmlWriter::new(&mut out, "-").unwrap();
/// writer
///     .write(Outgoing::Pupil(&Pupil { id: "P1".into(), surname: Some("Żółć & syn".into()), ..Pupil::default() }))
///     .unwrap();
/// writer.finish().unwrap();
/// drop(writer);
/// assert_eq!(
///     String::from_utf8(out).unwrap(),
///     "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
///      <pupils xmlns=\"https://teczka.example/ns/sou/1\" version=\"1\">\n\
///      \x20 <pupil>\n\
///      \x20   <id>P1</id>\n\
///      \x20   <surname>Żółć &amp; syn</surname>\n\
///      \x20 </pupil>\n\
///      </pupils>\n"
/// );
/// ```
pub struct XmlWriter<W: Write> {
    out: BufWriter<W>,
    name: Arc<str>,
    /// One pupil's XML, built whole before any of it is written.
    buf: String,
    /// Pupils written so far, to name a refused one.
    count: u64,
    finished: bool,
}

impl<W: Write> XmlWriter<W> {
    /// Begin a document on `out`; `name` is used in error messages.
    pub fn new(out: W, name: &str) -> Result<XmlWriter<W>> {
        let mut writer = XmlWriter {
            out: BufWriter::with_capacity(1 << 16, out),
            name: name.into(),
            buf: String::new(),
            count: 0,
            finished: false,
        };
        let header = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<{ROOT} xmlns=\"{NAMESPACE}\" \
             version=\"{VERSION}\">\n"
        );
        writer.out.write_all(header.as_bytes()).map_err(|e| Error::io(name, e))?;
        Ok(writer)
    }
}

impl<W: Write> XmlWriter<W> {
    /// Write a released record: its events replayed into the elements writer.
    fn write_released(&mut self, pupil: &ReleasedPupil) -> Result<()> {
        let id = pupil.top_level_text("id").unwrap_or("");
        self.write_walked(id, |elements| pupil.replay(elements))
    }

    /// Write one `<pupil>` element, its children written by `walk` into an elements writer;
    /// `id` names the pupil in an error.
    fn write_walked(
        &mut self,
        id: &str,
        walk: impl FnOnce(&mut Elements<'_>) -> Result<()>,
    ) -> Result<()> {
        self.buf.clear();
        self.buf.push_str("  <pupil>\n");
        let mut elements = Elements { buf: &mut self.buf, depth: 2, pending: None, refusal: None };
        let walked = walk(&mut elements);
        let refusal = elements.refusal.take();
        self.buf.push_str("  </pupil>\n");
        self.count += 1;
        match (refusal, walked) {
            (Some(refusal), _) => Err(refusal.into_error(&self.name, self.count, id)),
            (None, Err(error)) => Err(error),
            (None, Ok(())) => {
                self.out.write_all(self.buf.as_bytes()).map_err(|e| Error::io(&*self.name, e))
            }
        }
    }
}

impl<W: Write> Sink for XmlWriter<W> {
    /// The typed pupil is walked straight into its elements, without a JSON copy; a released
    /// record's events are replayed into the same elements writer.
    fn write(&mut self, pupil: Outgoing<'_>) -> Result<()> {
        match pupil {
            Outgoing::Pupil(pupil) => {
                self.write_walked(&pupil.id, |elements| walk(pupil, elements))
            }
            Outgoing::Released(pupil) => self.write_released(pupil),
        }
    }

    fn finish(&mut self) -> Result<()> {
        if !self.finished {
            self.finished = true;
            self.out
                .write_all(format!("</{ROOT}>\n").as_bytes())
                .map_err(|e| Error::io(&*self.name, e))?;
        }
        self.out.flush().map_err(|e| Error::io(&*self.name, e))
    }
}

/// Writes a typed pupil's elements as it is walked, exactly as [`write_node`] writes its JSON
/// form: a group or item's start tag waits for its first child, so one holding nothing is
/// written as an empty element.
struct Elements<'b> {
    buf: &'b mut String,
    /// Indentation of the next child element.
    depth: usize,
    /// A group or item whose start tag is not written yet.
    pending: Option<&'static str>,
    /// Why the pupil cannot be written, once found (the walk is then stopped).
    refusal: Option<Refusal>,
}

impl Elements<'_> {
    /// Write the start tag a first child is waiting for.
    fn open_pending(&mut self) {
        if let Some(name) = self.pending.take() {
            indent(self.buf, self.depth - 1);
            start_tag(self.buf, name);
        }
    }

    /// Open an element whose start tag may wait for a first child.
    fn open_lazily(&mut self, name: &'static str) {
        self.open_pending();
        self.pending = Some(name);
        self.depth += 1;
    }

    /// Close an element opened with [`Elements::open_lazily`].
    fn close_lazily(&mut self, name: &'static str) {
        self.depth -= 1;
        indent(self.buf, self.depth);
        if self.pending.take().is_some() {
            // Kept (not omitted) so that an empty struct reads back as present.
            empty_tag(self.buf, name);
        } else {
            end_tag(self.buf, name);
        }
    }
}

impl Visitor for Elements<'_> {
    fn leaf(&mut self, node: &'static Node, value: Scalar<'_>) -> Result<()> {
        let Node::Leaf { name, spec, .. } = node else { return Ok(()) };
        self.open_pending();
        let mut text = String::new();
        value.push_text(&mut text);
        // Only an exponent needs rewriting.
        if matches!(value, Scalar::Float(_)) && text.contains(['e', 'E']) {
            text = plain_decimal(&text);
        }
        indent(self.buf, self.depth);
        self.buf.push('<');
        self.buf.push_str(name);
        self.buf.push('>');
        if let Err(c) = escape_into(self.buf, &text) {
            self.refusal = Some(Refusal { field: spec.path.clone(), reason: Reason::Character(c) });
            return Err(Error::input("-", "refused"));
        }
        end_tag(self.buf, name);
        Ok(())
    }

    fn enter(&mut self, node: &'static Node) -> Result<()> {
        match node {
            Node::Group { name, .. } => self.open_lazily(name),
            Node::List { name, .. } => {
                self.open_pending();
                indent(self.buf, self.depth);
                start_tag(self.buf, name);
                self.depth += 1;
            }
            Node::Leaf { .. } => {}
        }
        Ok(())
    }

    fn leave(&mut self, node: &'static Node) -> Result<()> {
        match node {
            Node::Group { name, .. } => self.close_lazily(name),
            Node::List { name, .. } => {
                self.depth -= 1;
                indent(self.buf, self.depth);
                end_tag(self.buf, name);
            }
            Node::Leaf { .. } => {}
        }
        Ok(())
    }

    fn enter_item(&mut self, list: &'static Node, _index: usize) -> Result<()> {
        if let Node::List { item, .. } = list {
            self.open_lazily(item);
        }
        Ok(())
    }

    fn leave_item(&mut self, list: &'static Node) -> Result<()> {
        if let Node::List { item, .. } = list {
            self.close_lazily(item);
        }
        Ok(())
    }
}

/// Why a pupil cannot be written.
enum Reason {
    /// A character XML 1.0 cannot represent, even as a character reference.
    Character(char),
}

struct Refusal {
    field: String,
    reason: Reason,
}

impl Refusal {
    fn into_error(self, name: &str, ordinal: u64, id: &str) -> Error {
        let id = crate::error::escape_controls(id);
        let field = if self.field.is_empty() { "the pupil".to_string() } else { self.field };
        let message = match self.reason {
            Reason::Character(c) => format!(
                "record {ordinal} (pupil `{id}`): field `{field}` holds the control character \
                 U+{:04X}, which XML 1.0 cannot represent; the record was not written: remove \
                 the character from the source data or write CSV or JSON Lines instead",
                c as u32
            ),
        };
        Error::input(name, message)
    }
}

fn indent(buf: &mut String, depth: usize) {
    for _ in 0..depth {
        buf.push_str("  ");
    }
}

// Tags are pushed piecewise rather than with `format!`, which would allocate for each one.

fn start_tag(buf: &mut String, name: &str) {
    buf.push('<');
    buf.push_str(name);
    buf.push_str(">\n");
}

fn end_tag(buf: &mut String, name: &str) {
    buf.push_str("</");
    buf.push_str(name);
    buf.push_str(">\n");
}

fn empty_tag(buf: &mut String, name: &str) {
    buf.push('<');
    buf.push_str(name);
    buf.push_str("/>\n");
}

/// Escape text content: `&`, `<` and `>` (the last so `]]>` can never appear), and `\r` as a
/// character reference, because a parser turns a literal carriage return into `\n`. Quotes
/// need no escaping in content and stay readable. Returns the first character XML 1.0 cannot
/// represent at all.
fn escape_into(buf: &mut String, text: &str) -> std::result::Result<(), char> {
    // Most values need no escaping: copy them whole. Outside ASCII controls, the only
    // characters XML refuses that a Rust string can hold (U+FFFE, U+FFFF) start with 0xEF.
    let plain = |&b: &u8| {
        !matches!(b, b'&' | b'<' | b'>' | b'\r' | 0xEF) && (b >= 0x20 || b == b'\t' || b == b'\n')
    };
    if text.as_bytes().iter().all(plain) {
        buf.push_str(text);
        return Ok(());
    }
    for c in text.chars() {
        match c {
            '&' => buf.push_str("&amp;"),
            '<' => buf.push_str("&lt;"),
            '>' => buf.push_str("&gt;"),
            '\r' => buf.push_str("&#13;"),
            c if is_xml_char(c) => buf.push(c),
            c => return Err(c),
        }
    }
    Ok(())
}

/// Rewrite a number that `format_leaf` gave in exponent form (`1e-7`, `1.5e20`) as a plain
/// decimal (`0.0000001`), which `xs:decimal` requires. The digits are unchanged, so the value
/// parses back to the same `f64`.
fn plain_decimal(text: &str) -> String {
    let Some((mantissa, exponent)) = text.split_once(['e', 'E']) else {
        return text.to_string();
    };
    let Ok(exponent) = exponent.parse::<i64>() else { return text.to_string() };
    let (sign, mantissa) = match mantissa.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", mantissa),
    };
    let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = format!("{int_part}{frac_part}");
    // Position of the decimal point within `digits` after shifting.
    let point = int_part.len() as i64 + exponent;
    let (int_digits, frac_digits) = if point <= 0 {
        ("0".to_string(), format!("{}{digits}", "0".repeat(point.unsigned_abs() as usize)))
    } else if point as usize >= digits.len() {
        (format!("{digits}{}", "0".repeat(point as usize - digits.len())), String::new())
    } else {
        let (a, b) = digits.split_at(point as usize);
        (a.to_string(), b.to_string())
    };
    let int_digits = int_digits.trim_start_matches('0');
    let int_digits = if int_digits.is_empty() { "0" } else { int_digits };
    let frac_digits = frac_digits.trim_end_matches('0');
    if frac_digits.is_empty() {
        format!("{sign}{int_digits}")
    } else {
        format!("{sign}{int_digits}.{frac_digits}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::fields::{fields, ValueKind};
    use crate::model::value::set_path;
    use crate::model::Pupil;
    use crate::model::{Guardian, Remark};
    use crate::read::xml::XmlReader;
    use crate::read::ReadOptions;
    use proptest::prelude::*;
    use serde_json::{Map, Value};
    use std::collections::BTreeMap;

    /// Tricky text: Polish and Czech letters, markup characters, line ends, edge whitespace.
    const TEXTS: &[&str] = &[
        "Źdźbło-Żółć Ąę",
        "Řehoř Šťastný Ůžasný",
        "line one\nline two\n",
        "Tom & Jerry <b>\"quoted\" 'apos'</b>",
        "  padded  ",
        "]]> &amp; literal",
        "tab\there",
        "crlf\r\nkept\r",
        "zażółć gęślą jaźń / příliš žluťoučký kůň",
    ];

    /// A pupil with every catalogue field filled and two items in every list, generated from
    /// the catalogue so a new model field is covered without touching this test.
    fn full_pupil(seed: usize) -> Pupil {
        let mut pupil = Map::new();
        let mut lists: BTreeMap<&str, [Map<String, Value>; 2]> = BTreeMap::new();
        for (index, spec) in fields().iter().enumerate() {
            let value = |item: usize| -> Value {
                let n = seed + index + item;
                match &spec.kind {
                    ValueKind::Text if spec.path == "id" => Value::from(format!("P-{seed}")),
                    ValueKind::Text => Value::from(TEXTS[n % TEXTS.len()]),
                    ValueKind::Date => {
                        Value::from(format!("20{:02}-0{}-1{}", n % 30, 1 + n % 9, n % 10))
                    }
                    ValueKind::Bool => Value::from(n.is_multiple_of(2)),
                    ValueKind::Integer => Value::from(12050 - n as i64 * 1001),
                    ValueKind::Number => Value::from([87.5, 0.000001, 100.0, 1e21][n % 4]),
                    ValueKind::Enum(words) => Value::from(words[n % words.len()].clone()),
                }
            };
            match spec.entity.collection() {
                None => set_path(&mut pupil, &spec.key, value(0)),
                Some(collection) => {
                    let items = lists.entry(collection).or_default();
                    for (i, item) in items.iter_mut().enumerate() {
                        set_path(item, &spec.key, value(i));
                    }
                }
            }
        }
        for (collection, items) in lists {
            pupil.insert(
                collection.into(),
                Value::Array(items.into_iter().map(Value::Object).collect()),
            );
        }
        serde_json::from_value(Value::Object(pupil)).expect("generated pupil fits the model")
    }

    fn samples() -> Vec<Pupil> {
        vec![
            full_pupil(0),
            full_pupil(5),
            Pupil { id: "P-min".into(), ..Pupil::default() },
            Pupil {
                id: "P-empty-parts".into(),
                enrolment: Some(Default::default()),
                guardians: vec![Guardian {
                    address: Some(Default::default()),
                    ..Guardian::default()
                }],
                ..Pupil::default()
            },
        ]
    }

    fn write_all(pupils: &[Pupil]) -> String {
        let mut out = Vec::new();
        let mut writer = XmlWriter::new(&mut out, "out.xml").unwrap();
        for pupil in pupils {
            writer.write(Outgoing::Pupil(pupil)).unwrap();
        }
        writer.finish().unwrap();
        drop(writer);
        String::from_utf8(out).unwrap()
    }

    fn read_back(xml: &str) -> Vec<crate::Record> {
        XmlReader::new(xml.as_bytes(), "out.xml", &ReadOptions::default())
            .collect::<Result<Vec<_>>>()
            .unwrap()
    }

    #[test]
    fn released_records_are_written_byte_for_byte_as_the_typed_pupils_they_keep() {
        use crate::synth::{Country, Detail, Generator, GeneratorConfig};
        let mut pupils = vec![Pupil { id: "bare".into(), ..Pupil::default() }];
        for country in [Country::Pl, Country::Cz] {
            let config = GeneratorConfig { country, detail: Detail::Full, ..Default::default() };
            pupils.extend(Generator::new(config).iter(0..100));
        }
        let (mut typed, mut released) = (Vec::new(), Vec::new());
        {
            let mut typed_writer = XmlWriter::new(&mut typed, "typed").unwrap();
            let mut released_writer = XmlWriter::new(&mut released, "released").unwrap();
            for pupil in &pupils {
                typed_writer.write(Outgoing::Pupil(pupil)).unwrap();
                released_writer
                    .write(Outgoing::Released(&ReleasedPupil::of(pupil).unwrap()))
                    .unwrap();
            }
            typed_writer.finish().unwrap();
            released_writer.finish().unwrap();
        }
        assert!(typed.len() > 100_000, "the comparison needs full pupils");
        assert_eq!(String::from_utf8(typed).unwrap(), String::from_utf8(released).unwrap());
    }

    #[test]
    fn a_pupil_as_read_keeps_empty_parts_and_its_release_leaves_them_out() {
        let hollow = Pupil {
            id: "hollow".into(),
            guardians: vec![Guardian::default(), Guardian::default()],
            enrolment: Some(crate::model::Enrolment::default()),
            ..Pupil::default()
        };
        let as_read = write_all(std::slice::from_ref(&hollow));
        assert!(as_read.contains("<guardian/>") && as_read.contains("<enrolment/>"), "{as_read}");
        let mut out = Vec::new();
        {
            let mut writer = XmlWriter::new(&mut out, "released").unwrap();
            writer.write(Outgoing::Released(&ReleasedPupil::of(&hollow).unwrap())).unwrap();
            writer.finish().unwrap();
        }
        let released = String::from_utf8(out).unwrap();
        assert!(released.contains("<id>hollow</id>"), "{released}");
        assert!(!released.contains("guardian") && !released.contains("enrolment"), "{released}");
    }

    #[test]
    fn output_is_indented_escaped_and_in_catalogue_order() {
        let pupil = Pupil {
            id: "P1".into(),
            surname: Some("Nowak-Dvořák".into()),
            guardians: vec![Guardian {
                relation: Some("matka".into()),
                address: Some(crate::model::Address {
                    town: Some("Łódź".into()),
                    ..Default::default()
                }),
                ..Guardian::default()
            }],
            remarks: vec![Remark {
                text: Some("a < b && c > d\r\n\"ok\" 'ok'".into()),
                ..Remark::default()
            }],
            ..Pupil::default()
        };
        assert_eq!(
            write_all(&[pupil]),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>
<pupils xmlns=\"https://teczka.example/ns/sou/1\" version=\"1\">
  <pupil>
    <id>P1</id>
    <surname>Nowak-Dvořák</surname>
    <guardians>
      <guardian>
        <relation>matka</relation>
        <address>
          <town>Łódź</town>
        </address>
      </guardian>
    </guardians>
    <remarks>
      <remark>
        <text>a &lt; b &amp;&amp; c &gt; d&#13;
\"ok\" 'ok'</text>
      </remark>
    </remarks>
  </pupil>
</pupils>
"
        );
    }

    #[test]
    fn an_empty_document_is_a_root_alone_and_finish_closes_it_once() {
        let mut out = Vec::new();
        let mut writer = XmlWriter::new(&mut out, "out.xml").unwrap();
        writer.finish().unwrap();
        writer.finish().unwrap();
        drop(writer);
        let text = String::from_utf8(out).unwrap();
        assert!(text.ends_with("version=\"1\">\n</pupils>\n"), "{text}");
        assert!(read_back(&text).is_empty());
    }

    #[test]
    fn a_value_xml_cannot_carry_is_refused_and_the_document_stays_well_formed() {
        let mut out = Vec::new();
        let mut writer = XmlWriter::new(&mut out, "out.xml").unwrap();
        writer.write(Outgoing::Pupil(&Pupil { id: "P1".into(), ..Pupil::default() })).unwrap();
        let bad = Pupil {
            id: "P2".into(),
            surname: Some("Nowak".into()),
            remarks: vec![Remark { text: Some("secret\u{1}value".into()), ..Remark::default() }],
            ..Pupil::default()
        };
        let e = writer.write(Outgoing::Pupil(&bad)).unwrap_err();
        assert_eq!(
            e.to_string(),
            "out.xml: record 2 (pupil `P2`): field `remarks[].text` holds the control character \
             U+0001, which XML 1.0 cannot represent; the record was not written: remove the \
             character from the source data or write CSV or JSON Lines instead"
        );
        writer.finish().unwrap();
        drop(writer);
        let text = String::from_utf8(out).unwrap();
        assert!(!text.contains("Nowak") && !text.contains("secret"));
        assert_eq!(read_back(&text).len(), 1);
    }

    #[test]
    fn numbers_in_exponent_form_are_written_as_plain_decimals() {
        assert_eq!(plain_decimal("1e-7"), "0.0000001");
        assert_eq!(plain_decimal("-1.25e-3"), "-0.00125");
        assert_eq!(plain_decimal("1.5e21"), "1500000000000000000000");
        assert_eq!(plain_decimal("1.234e2"), "123.4");
        assert_eq!(plain_decimal("87.5"), "87.5");
    }

    #[test]
    fn every_entity_round_trips_through_write_and_read() {
        let pupils = samples();
        let records = read_back(&write_all(&pupils));
        assert_eq!(records.len(), pupils.len());
        for (record, pupil) in records.iter().zip(&pupils) {
            assert!(record.problems.is_empty(), "{:?}", record.problems);
            assert_eq!(&record.pupil, pupil);
        }
        // Every list of the model was exercised.
        for entity in crate::Entity::ALL {
            if let Some(collection) = entity.collection() {
                let value = serde_json::to_value(&pupils[0]).unwrap();
                assert_eq!(value[collection].as_array().map(Vec::len), Some(2), "{collection}");
            }
        }
    }

    proptest! {
        #[test]
        fn any_text_and_number_round_trips(
            text in prop::collection::vec(any::<char>(), 1..40),
            score in any::<f64>().prop_filter("finite", |f| f.is_finite()),
            amount in any::<i64>(),
        ) {
            let text: String = text.into_iter().filter(|&c| is_xml_char(c)).collect();
            prop_assume!(!text.is_empty());
            let pupil = Pupil {
                id: text.clone(),
                surname: Some(text.clone()),
                exams: vec![crate::model::Exam { score: Some(score), ..Default::default() }],
                payments: vec![crate::model::Payment { amount_minor: Some(amount), ..Default::default() }],
                ..Pupil::default()
            };
            let records = read_back(&write_all(std::slice::from_ref(&pupil)));
            prop_assert!(records[0].problems.is_empty(), "{:?}", records[0].problems);
            prop_assert_eq!(&records[0].pupil, &pupil);
        }
    }

    // --- The XSD -------------------------------------------------------------------------

    /// A parsed XSD element: local tag name, attributes, children.
    #[derive(Debug, Default)]
    struct XNode {
        tag: String,
        attributes: BTreeMap<String, String>,
        children: Vec<XNode>,
    }

    impl XNode {
        fn attr(&self, name: &str) -> Option<&str> {
            self.attributes.get(name).map(String::as_str)
        }

        fn child(&self, tag: &str) -> Option<&XNode> {
            self.children.iter().find(|c| c.tag == tag)
        }
    }

    fn parse_xsd(text: &str) -> XNode {
        use quick_xml::events::{BytesStart, Event};
        fn node(e: &BytesStart<'_>) -> XNode {
            let mut node = XNode {
                tag: String::from_utf8(e.local_name().as_ref().to_vec()).unwrap(),
                ..XNode::default()
            };
            for a in e.attributes() {
                let a = a.unwrap();
                node.attributes.insert(
                    String::from_utf8(a.key.as_ref().to_vec()).unwrap(),
                    a.unescape_value().unwrap().into_owned(),
                );
            }
            node
        }
        let mut reader = quick_xml::Reader::from_str(text);
        let mut stack = vec![XNode::default()];
        loop {
            match reader.read_event().expect("the XSD is well-formed") {
                Event::Start(e) => stack.push(node(&e)),
                Event::Empty(e) => stack.last_mut().unwrap().children.push(node(&e)),
                Event::End(_) => {
                    let done = stack.pop().unwrap();
                    stack.last_mut().unwrap().children.push(done);
                }
                Event::Eof => break,
                _ => {}
            }
        }
        stack.pop().unwrap().children.pop().expect("a root element")
    }

    fn occurs(node: &XNode) -> &'static str {
        match (node.attr("minOccurs").unwrap_or("1"), node.attr("maxOccurs").unwrap_or("1")) {
            ("1", "1") => "",
            ("0", "1") => "?",
            ("1", "unbounded") => "+",
            ("0", "unbounded") => "*",
            other => panic!("unexpected occurrence {other:?}"),
        }
    }

    /// One line per element of the XSD's pupil, in sequence order:
    /// `pupil/guardians/guardian/address/town text?`.
    struct XsdShape<'a> {
        complex: BTreeMap<&'a str, &'a XNode>,
        simple: BTreeMap<&'a str, &'a XNode>,
        used: std::cell::RefCell<std::collections::BTreeSet<&'a str>>,
    }

    impl<'a> XsdShape<'a> {
        fn sequence(&self, complex_type: &'a XNode, path: &str, out: &mut Vec<String>) {
            let sequence = complex_type.child("sequence").expect("a complex type is a sequence");
            for element in sequence.children.iter().filter(|c| c.tag == "element") {
                self.element(element, path, out);
            }
        }

        fn element(&self, element: &'a XNode, path: &str, out: &mut Vec<String>) {
            let name = element.attr("name").expect("elements are named");
            let path = format!("{path}/{name}");
            let occ = occurs(element);
            match element.attr("type") {
                Some(xs) if xs.starts_with("xs:") => {
                    let kind = match xs {
                        "xs:string" => "text",
                        "xs:date" => "date",
                        "xs:boolean" => "bool",
                        "xs:integer" => "integer",
                        "xs:decimal" => "number",
                        other => panic!("unexpected type {other}"),
                    };
                    out.push(format!("{path} {kind}{occ}"));
                }
                Some(named) => {
                    self.used.borrow_mut().insert(named);
                    if let Some(simple) = self.simple.get(named) {
                        let restriction = simple.child("restriction").unwrap();
                        assert_eq!(restriction.attr("base"), Some("xs:string"));
                        let words: Vec<&str> =
                            restriction.children.iter().filter_map(|e| e.attr("value")).collect();
                        out.push(format!("{path} enum({}){occ}", words.join("|")));
                    } else {
                        let complex = self.complex.get(named).unwrap_or_else(|| panic!("{named}"));
                        out.push(format!("{path} group{occ}"));
                        self.sequence(complex, &path, out);
                    }
                }
                None => {
                    let inline = element.child("complexType").expect("an inline list type");
                    out.push(format!("{path} list{occ}"));
                    self.sequence(inline, &path, out);
                }
            }
        }
    }

    /// The same lines, from the element tree the reader and writer use (the catalogue).
    fn model_shape(nodes: &[Node], path: &str, out: &mut Vec<String>) {
        for node in nodes {
            let path = format!("{path}/{}", node.name());
            match node {
                Node::Leaf { spec, .. } => {
                    let kind = match &spec.kind {
                        ValueKind::Text => "text".to_string(),
                        ValueKind::Date => "date".to_string(),
                        ValueKind::Bool => "bool".to_string(),
                        ValueKind::Integer => "integer".to_string(),
                        ValueKind::Number => "number".to_string(),
                        ValueKind::Enum(words) => format!("enum({})", words.join("|")),
                    };
                    out.push(format!("{path} {kind}{}", if spec.required { "" } else { "?" }));
                }
                Node::Group { children, .. } => {
                    out.push(format!("{path} group?"));
                    model_shape(children, &path, out);
                }
                Node::List { item, children, .. } => {
                    out.push(format!("{path} list?"));
                    let path = format!("{path}/{item}");
                    out.push(format!("{path} group+"));
                    model_shape(children, &path, out);
                }
            }
        }
    }

    #[test]
    fn the_xsd_has_exactly_the_models_elements_in_order_with_their_types() {
        let schema = parse_xsd(crate::model::schema::PUPILS_XSD);
        assert_eq!(schema.tag, "schema");
        assert_eq!(schema.attr("targetNamespace"), Some(NAMESPACE));
        assert_eq!(schema.attr("elementFormDefault"), Some("qualified"));
        let named = |tag: &str| -> BTreeMap<&str, &XNode> {
            schema
                .children
                .iter()
                .filter(|c| c.tag == tag)
                .map(|c| (c.attr("name").unwrap(), c))
                .collect()
        };
        let shape = XsdShape {
            complex: named("complexType"),
            simple: named("simpleType"),
            used: Default::default(),
        };
        let roots = named("element");
        assert_eq!(roots.keys().copied().collect::<Vec<_>>(), vec![ROOT]);
        let root = roots[ROOT].child("complexType").unwrap();
        let version = root.child("attribute").unwrap();
        assert_eq!((version.attr("name"), version.attr("fixed")), (Some("version"), Some(VERSION)));

        let mut xsd = Vec::new();
        shape.sequence(root, "", &mut xsd);
        let mut model = vec!["/pupil group*".to_string()];
        model_shape(crate::model::tree::pupil_tree(), "/pupil", &mut model);
        let missing: Vec<_> = model.iter().filter(|l| !xsd.contains(l)).collect();
        let extra: Vec<_> = xsd.iter().filter(|l| !model.contains(l)).collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "missing in XSD: {missing:#?}\nnot in the model: {extra:#?}"
        );
        assert_eq!(xsd, model, "same elements, different order");
        // Every leaf of the catalogue appears, and no type is left over from an old model.
        assert_eq!(
            xsd.iter().filter(|l| !l.contains(" group") && !l.contains(" list")).count(),
            fields().len()
        );
        let used = shape.used.borrow();
        let unused: Vec<_> = shape
            .complex
            .keys()
            .chain(shape.simple.keys())
            .filter(|k| !used.contains(*k))
            .collect();
        assert!(unused.is_empty(), "types no element uses: {unused:?}");
    }

    /// Run `xmllint --schema`; `None` when xmllint is not installed (an error on CI).
    fn xmllint(file: &std::path::Path) -> Option<std::process::Output> {
        let schema = concat!(env!("CARGO_MANIFEST_DIR"), "/schemas/pupils.xsd");
        match std::process::Command::new("xmllint")
            .arg("--noout")
            .arg("--schema")
            .arg(schema)
            .arg(file)
            .output()
        {
            Ok(output) => Some(output),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                assert!(
                    std::env::var_os("TECZKA_REQUIRE_XMLLINT").is_none(),
                    "xmllint is required on CI to validate against the XSD: install libxml2-utils"
                );
                eprintln!(
                    "note: xmllint not installed; XSD validation skipped (install libxml2-utils)"
                );
                None
            }
            Err(e) => panic!("cannot run xmllint: {e}"),
        }
    }

    #[test]
    fn written_documents_are_valid_against_the_xsd_and_invalid_ones_are_not() {
        let dir = tempfile::tempdir().unwrap();
        let good = dir.path().join("good.xml");
        std::fs::write(&good, write_all(&samples())).unwrap();
        let Some(output) = xmllint(&good) else { return };
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));

        // The check has teeth: fields out of order, or a value of the wrong type, fail.
        let cases = [
            ("<id>A</id><surname>B</surname>", "<surname>B</surname><id>A</id>"),
            (
                "<id>A</id><birth_date>2012-03-07</birth_date>",
                "<id>A</id><birth_date>07.03.2012</birth_date>",
            ),
            ("<id>A</id><sex>male</sex>", "<id>A</id><sex>m</sex>"),
        ];
        for (valid, invalid) in cases {
            for (body, ok) in [(valid, true), (invalid, false)] {
                let file = dir.path().join("case.xml");
                let text = format!(
                    "<pupils xmlns=\"{NAMESPACE}\" version=\"1\"><pupil>{body}</pupil></pupils>"
                );
                std::fs::write(&file, text).unwrap();
                let output = xmllint(&file).unwrap();
                assert_eq!(
                    output.status.success(),
                    ok,
                    "{body}: {}",
                    String::from_utf8_lossy(&output.stderr)
                );
            }
        }
    }
}
