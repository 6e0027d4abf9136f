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
