//! The published JSON Schema, generated from the model types.
//!
//! `schemas/pupil.schema.json` is the output of [`pupil_schema`]; a test regenerates it and
//! fails on any difference, so the checked-in file never drifts from the code.

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
}
