//! The published JSON Schema, generated from the model types, and the schemas of released
//! records derived from it and from the hand-written XSD.
//!
//! `schemas/pupil.schema.json` is the output of [`pupil_schema`]; a test regenerates it and
//! fails on any difference, so the checked-in file never drifts from the code.
//! [`released_schema`] and [`released_xsd`] loosen the published schemas where a policy
//! releases typed fields as text.

use super::Pupil;
use schemars::generate::SchemaSettings;
use serde_json::Value;
use std::sync::OnceLock;

/// The `$id` under which the pupil schema is published.
pub const PUPIL_SCHEMA_ID: &str = "https://teczka.example/schemas/pupil.schema.json";

/// The JSON Schema (draft 2020-12) of one [`Pupil`] record, as published.
pub fn pupil_schema() -> &'static Value {
    static SCHEMA: OnceLock<Value> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        let generator = SchemaSettings::draft2020_12().into_generator();
        let schema = generator.into_root_schema_for::<Pupil>();
        let mut value = schema.to_value();
        if let Some(object) = value.as_object_mut() {
            object.insert("$id".into(), Value::String(PUPIL_SCHEMA_ID.into()));
        }
        value
    })
}

/// The pupil schema as pretty-printed JSON text with a final newline, exactly as checked in.
pub fn pupil_schema_text() -> String {
    let mut text = serde_json::to_string_pretty(pupil_schema()).unwrap_or_default();
    text.push('\n');
    text
}

/// The `$id` of the schema of records released under a policy that turns typed fields into
/// text (see [`released_schema`]).
pub const RELEASED_SCHEMA_ID: &str = "https://teczka.example/schemas/released.schema.json";

/// The JSON Schema of records as a policy releases them: the pupil schema, with every field of
/// `as_text` (model paths such as `birth_date` or `guardians[].address.postcode`) accepted as
/// its type or as text (`2014`, `2010-2014`, `*`), and no field required (a release may drop any, the id too).
///
/// Shared definitions are copied into the path before they are loosened, so loosening
/// `guardians[].address.postcode` leaves `addresses[].postcode` as typed as before.
pub fn released_schema(as_text: &[&str]) -> Value {
    let mut schema = pupil_schema().clone();
    let defs = schema.get("$defs").cloned().unwrap_or(Value::Null);
    if let Some(object) = schema.as_object_mut() {
        object.insert("$id".into(), Value::String(RELEASED_SCHEMA_ID.into()));
        object.insert("title".into(), Value::String("Released pupil".into()));
    }
    drop_required(&mut schema);
    for path in as_text {
        if let Some(node) = locate(&mut schema, path, &defs) {
            // A quasi-identifier may stay exact for some pupils and be generalised for others.
            let typed = node.clone();
            let mut either = serde_json::json!({
                "anyOf": [typed, { "type": "string" }],
                "x-teczka-released-as": "text",
            });
            for key in ["description", "x-teczka-class"] {
                if let Some(value) = node.get(key) {
                    either[key] = value.clone();
                }
            }
            *node = either;
        }
    }
    schema
}

/// The released schema as pretty-printed JSON text with a final newline.
pub fn released_schema_text(as_text: &[&str]) -> String {
    serde_json::to_string_pretty(&released_schema(as_text)).unwrap_or_default() + "\n"
}

fn drop_required(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.remove("required");
            map.values_mut().for_each(drop_required);
        }
        Value::Array(items) => items.iter_mut().for_each(drop_required),
        _ => {}
    }
}

/// The schema node of a leaf path, with every `$ref` on the way replaced by a copy of its
/// definition.
fn locate<'a>(schema: &'a mut Value, path: &str, defs: &Value) -> Option<&'a mut Value> {
    let mut node = schema;
    for segment in path.split('.') {
        let (name, list) = match segment.strip_suffix("[]") {
            Some(name) => (name, true),
            None => (segment, false),
        };
        node = inline(node, defs).get_mut("properties")?.get_mut(name)?;
        if list {
            node = inline(node, defs).get_mut("items")?;
        }
    }
    Some(node)
}

/// Replace a `$ref` (bare, or inside `Option`'s `anyOf: [{$ref}, null]`) by a copy of its
/// definition, and return the node that now holds the definition.
fn inline<'a>(node: &'a mut Value, defs: &Value) -> &'a mut Value {
    let reference = |v: &Value| -> Option<Value> {
        let name = v.get("$ref")?.as_str()?.rsplit('/').next()?.to_string();
        defs.get(name).cloned()
    };
    if let Some(definition) = reference(node) {
        *node = definition;
        return node;
    }
    // A definition inlined by an earlier path is found again by its properties, so loosening
    // a second field of the same struct does not miss it.
    let position = node.get("anyOf").and_then(Value::as_array).and_then(|options| {
        options
            .iter()
            .position(|o| o.get("$ref").is_some())
            .or_else(|| options.iter().position(|o| o.get("properties").is_some()))
    });
    match position {
        Some(i) => {
            let option = &mut node["anyOf"][i];
            if let Some(definition) = reference(option) {
                *option = definition;
            }
            option
        }
        None => node,
    }
}

/// The hand-written XSD for the SOU-like XML, as shipped in `schemas/`.
pub const PUPILS_XSD: &str = include_str!("../../schemas/pupils.xsd");

/// The XSD of SOU-like XML released under a policy, derived from [`PUPILS_XSD`] the way
/// [`released_schema`] is derived from the pupil schema: every field of `as_text` is typed
/// `xs:string` (a year for a date, `*` for a yes/no, `[0,4)` for a number) and no element is
/// required (a release may drop any, the id too); everything else keeps its type.
///
/// A complex type used in more than one place (`Address`: the pupil's addresses and a
/// guardian's) is copied before it is loosened, named after the path (`Address_addresses`),
/// so loosening `addresses[].postcode` leaves a guardian's postcode typed.
pub fn released_xsd(as_text: &[&str]) -> String {
    let mut blocks = ComplexTypes::parse(PUPILS_XSD);
    for path in as_text {
        blocks.loosen(path);
    }
    let mut text = blocks.render();
    // Nothing required: every single element may be left out; list items (maxOccurs
    // unbounded) stay, since a wrapper is only written around at least one item.
    text = text
        .lines()
        .map(|line| {
            let trimmed = line.trim_start();
            // Two spaces of indent is a global element, where XSD allows no occurrence bounds.
            if trimmed.starts_with("<xs:element name=")
                && line.len() - trimmed.len() > 2
                && !line.contains("minOccurs=")
                && !line.contains("maxOccurs=")
            {
                line.replacen("<xs:element name=", "<xs:element minOccurs=\"0\" name=", 1)
            } else {
                line.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    text.push('\n');
    let note = format!(
        "<!--\n  Records as a policy released them: derived from pupils.xsd with no element \
         required and these fields\n  released as text (xs:string): {}.\n-->\n",
        if as_text.is_empty() { "none".to_string() } else { as_text.join(", ") }
    );
    match text.find("?>\n") {
        Some(end) => format!("{}{note}{}", &text[..end + 3], &text[end + 3..]),
        None => note + &text,
    }
}

/// The XSD's top-level complex types as editable blocks, with the text around them.
struct ComplexTypes {
    /// Text before the first complex type.
    head: String,
    /// (name, block text), in document order; copies follow their original.
    blocks: Vec<(String, String)>,
    /// Text after the last complex type (the simple types and the closing tag).
    tail: String,
    /// How often each type is referenced in the original document.
    uses: Vec<(String, usize)>,
}

impl ComplexTypes {
    fn parse(xsd: &str) -> ComplexTypes {
        // Top-level types are indented by two spaces; nested ones (list wrappers) by more, so
        // both tags are matched with the line break before them.
        const OPEN: &str = "\n  <xs:complexType name=\"";
        const CLOSE: &str = "\n  </xs:complexType>\n";
        let mut blocks = Vec::new();
        let mut rest = xsd;
        let mut head = None;
        while let Some(start) = rest.find(OPEN).map(|s| s + 1) {
            let Some(len) = rest[start - 1..].find(CLOSE) else { break };
            let end = start - 1 + len + CLOSE.len();
            let block = &rest[start..end];
            let name = block[OPEN.len() - 1..].split('"').next().unwrap_or_default().to_string();
            head.get_or_insert_with(|| rest[..start].to_string());
            blocks.push((name, block.to_string()));
            rest = &rest[end..];
        }
        let uses = blocks
            .iter()
            .map(|(name, _)| (name.clone(), xsd.matches(&format!("type=\"{name}\"")).count()))
            .collect();
        ComplexTypes { head: head.unwrap_or_default(), blocks, tail: rest.to_string(), uses }
    }

    fn render(&self) -> String {
        let mut out = self.head.clone();
        for (_, block) in &self.blocks {
            out.push_str(block);
        }
        out.push_str(&self.tail);
        out
    }

    fn block(&mut self, name: &str) -> Option<&mut String> {
        self.blocks.iter_mut().find(|(n, _)| n == name).map(|(_, b)| b)
    }

    /// Type `path`'s leaf `xs:string`, walking from `Pupil` and copying shared types.
    fn loosen(&mut self, path: &str) {
        let segments: Vec<&str> = path.split('.').collect();
        let mut current = "Pupil".to_string();
        for (depth, segment) in segments.iter().enumerate() {
            let name = segment.trim_end_matches("[]");
            let Some(block) = self.block(&current) else { return };
            let Some(at) = block.find(&format!("<xs:element name=\"{name}\"")) else { return };
            let line_end = block[at..].find('\n').map_or(block.len(), |e| at + e);
            if depth + 1 == segments.len() {
                let line = &block[at..line_end];
                let Some(t) = line.find("type=\"") else { return };
                let Some(close) = line[t + 6..].find('"') else { return };
                let range = at + t + 6..at + t + 6 + close;
                block.replace_range(range, "xs:string");
                return;
            }
            // The child's type: on the element itself, or on the item inside a list wrapper.
            let Some(t) = block[at..].find("type=\"").map(|t| at + t + 6) else { return };
            let Some(close) = block[t..].find('"') else { return };
            let child = block[t..t + close].to_string();
            let shared = self.uses.iter().any(|(n, count)| *n == child && *count > 1);
            if !shared {
                current = child;
                continue;
            }
            let prefix: Vec<&str> =
                segments[..=depth].iter().map(|s| s.trim_end_matches("[]")).collect();
            let copy = format!("{child}_{}", prefix.join("_"));
            if self.block(&copy).is_none() {
                let Some(position) = self.blocks.iter().position(|(n, _)| *n == child) else {
                    return;
                };
                let original = self.blocks[position].1.clone();
                let renamed =
                    original.replacen(&format!("name=\"{child}\""), &format!("name=\"{copy}\""), 1);
                let mut insert = position + 1;
                while self
                    .blocks
                    .get(insert)
                    .is_some_and(|(n, _)| n.starts_with(&format!("{child}_")))
                {
                    insert += 1;
                }
                self.blocks.insert(insert, (copy.clone(), renamed));
            }
            if let Some(block) = self.block(&current) {
                block.replace_range(t..t + close, &copy);
            }
            current = copy;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The published schema is generated; this fails when the checked-in copy drifts. Fix by
    /// running `cargo run -- schema > schemas/pupil.schema.json`.
    #[test]
    fn checked_in_schema_matches_the_model() {
        let checked_in = include_str!("../../schemas/pupil.schema.json");
        assert!(
            checked_in == pupil_schema_text(),
            "schemas/pupil.schema.json is out of date: run `cargo run -- schema > schemas/pupil.schema.json`"
        );
    }

    #[test]
    fn a_released_schema_accepts_text_only_where_the_policy_put_it() {
        let strict = |schema: &Value| {
            jsonschema::options().should_validate_formats(true).build(schema).unwrap()
        };
        let validator =
            strict(&released_schema(&["birth_date", "guardians[].address.postcode", "sex"]));
        let released = serde_json::json!({
            "birth_date": "2010-2014", "sex": "*",
            "guardians": [{ "address": { "postcode": "00-***" } }],
        });
        assert!(validator.is_valid(&released), "generalised values are text");
        let typed_elsewhere = serde_json::json!({ "addresses": [{ "postcode": 12 }] });
        assert!(!validator.is_valid(&typed_elsewhere), "the pupil's own address stays typed");
        let unknown = serde_json::json!({ "nickname": "Zosia" });
        assert!(!validator.is_valid(&unknown), "no field the model lacks");
        // Two fields of one optional struct are both loosened.
        let two = strict(&released_schema(&["indicators.absences", "indicators.exam_score"]));
        let banded =
            serde_json::json!({ "indicators": { "absences": "[0,4)", "exam_score": "*" } });
        assert!(two.is_valid(&banded), "both fields of `indicators` are text");
        let published = strict(pupil_schema());
        assert!(published.is_valid(&serde_json::json!({ "id": "P1", "birth_date": "2014-05-01" })));
        assert!(!published.is_valid(&serde_json::json!({ "id": "P1", "birth_date": "2014" })));
    }

    #[test]
    fn schema_publishes_a_class_on_every_leaf() {
        let text = pupil_schema_text();
        for class in [
            "\"x-teczka-class\": \"direct\"",
            "\"x-teczka-class\": \"quasi\"",
            "\"x-teczka-class\": \"sensitive\"",
            "\"x-teczka-class\": \"plain\"",
        ] {
            assert!(text.contains(class), "{class} missing");
        }
        assert_eq!(pupil_schema()["$id"], PUPIL_SCHEMA_ID);
    }

    #[test]
    fn a_released_xsd_types_text_only_where_the_policy_put_it() {
        let xsd = released_xsd(&[
            "birth_date",
            "sex",
            "addresses[].postcode",
            "indicators.absences",
            "indicators.exam_score",
        ]);
        assert!(xsd.contains("<xs:element minOccurs=\"0\" name=\"id\" type=\"xs:string\"/>"));
        assert!(xsd.contains("name=\"birth_date\" type=\"xs:string\" minOccurs=\"0\""), "{xsd}");
        assert!(xsd.contains("name=\"sex\" type=\"xs:string\""));
        assert!(xsd.contains("name=\"absences\" type=\"xs:string\""), "{xsd}");
        assert!(xsd.contains("name=\"exam_score\" type=\"xs:string\""));
        // The pupil's addresses get their own copy; a guardian's address stays as published.
        assert!(xsd.contains("<xs:element name=\"address\" type=\"Address_addresses\""), "{xsd}");
        assert!(xsd.contains("<xs:complexType name=\"Address_addresses\">"));
        assert!(xsd.contains("name=\"address\" type=\"Address\" minOccurs=\"0\""), "{xsd}");
        assert_eq!(xsd.matches("name=\"postcode\" type=\"xs:string\"").count(), 2);
        // Other dates stay dates.
        assert!(xsd.contains("name=\"admission_date\" type=\"xs:date\""));
        assert!(xsd.contains("released as text (xs:string): birth_date, sex,"));
        assert!(xsd.ends_with("</xs:schema>\n"));
    }
}
