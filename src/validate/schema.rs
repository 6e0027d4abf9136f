//! Validation against JSON Schema: the published pupil schema and an optional extra one.
//!
//! The extra schema is the valuable part: it says what the receiving vendor requires beyond
//! the standard (fields the standard leaves optional, stricter patterns). The published schema
//! is generated from the typed model, so a typed [`Pupil`] always matches it; checking it is
//! optional and off by default (see [`ValidatorBuilder::generated_schema`]).
//!
//! Schemas are compiled once and shared by every clone of the validator. Each record is
//! serialised to a JSON value once for all schemas. jsonschema's own messages quote the
//! offending value, so they are never used: a violation names the field path and the schema
//! keyword that failed.
//!
//! [`ValidatorBuilder::generated_schema`]: super::ValidatorBuilder::generated_schema

use super::{Findings, Item};
use crate::error::{Error, Result};
use crate::model::record::{Rule, Severity};
use crate::model::schema::pupil_schema;
use crate::model::{Entity, Pupil};
use jsonschema::error::ValidationErrorKind;
use serde_json::Value;
use std::fmt;
use std::path::Path;
use std::sync::Arc;

/// The compiled schemas a record is checked against, if any.
#[derive(Clone, Default)]
pub(super) struct SchemaCheck {
    schemas: Vec<(Which, Arc<jsonschema::Validator>)>,
}

/// Which schema a violation comes from, as named in messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Which {
    Published,
    Extra,
}

impl Which {
    fn name(self) -> &'static str {
        match self {
            Which::Published => "the published teczka schema",
            Which::Extra => "the extra schema",
        }
    }
}

impl fmt::Debug for SchemaCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<_> = self.schemas.iter().map(|(which, _)| which).collect();
        f.debug_struct("SchemaCheck").field("schemas", &names).finish()
    }
}

impl SchemaCheck {
    /// Compile the published schema (when `published`) and the extra schema read from `path`.
    pub(super) fn new(published: bool, extra: Option<(&Path, &Value)>) -> Result<SchemaCheck> {
        let mut schemas = Vec::new();
        if published {
            let compiled = jsonschema::options().build(pupil_schema()).map_err(|e| {
                Error::config(
                    "pupil.schema.json",
                    format!("the published schema does not compile: {e}"),
                )
            })?;
            schemas.push((Which::Published, Arc::new(compiled)));
        }
        if let Some((path, schema)) = extra {
            // The user wrote `format` into their schema to have it enforced; JSON Schema 2020-12
            // treats it as an annotation unless asked.
            let compiled =
                jsonschema::options().should_validate_formats(true).build(schema).map_err(|e| {
                    Error::config(
                        path,
                        format!(
                            "not a usable JSON Schema ({e}): fix the schema; references to other \
                             files or URLs are not followed, so inline them under `$defs`"
                        ),
                    )
                })?;
            schemas.push((Which::Extra, Arc::new(compiled)));
        }
        Ok(SchemaCheck { schemas })
    }

    /// Check `pupil` against every schema, adding one finding per schema error.
    pub(super) fn check(&self, pupil: &Pupil, out: &mut Findings) {
        if self.schemas.is_empty() {
            return;
        }
        let instance = match serde_json::to_value(pupil) {
            Ok(value) => value,
            Err(_) => {
                let message = "the record could not be turned into JSON to check it against the \
                               schema: report this as a bug";
                out.add_text("", Item::Pupil, Rule::Schema, Severity::Error, message);
                return;
            }
        };
        for (which, validator) in &self.schemas {
            for error in validator.iter_errors(&instance) {
                let (field, item) = field_path(error.instance_path().as_str());
                let kind = error.kind();
                let field = match kind {
                    // `required` fails on the object; the missing field is the property.
                    ValidationErrorKind::Required { property: Value::String(name) } => {
                        join(field, name)
                    }
                    _ => field,
                };
                let message = message(kind.keyword(), *which);
                out.add_text(field, item, Rule::Schema, Severity::Error, &message);
            }
        }
    }
}

/// Convert a JSON pointer into a pupil (`/guardians/0/email`) to our field path notation
/// (`guardians[].email`) and the list item it is in (guardian 1).
fn field_path(pointer: &str) -> (String, Item) {
    let mut path = String::new();
    let mut item = Item::Pupil;
    let mut noun = "item";
    for raw in pointer.split('/').skip(1) {
        let segment = raw.replace("~1", "/").replace("~0", "~");
        if let Ok(index) = segment.parse::<usize>() {
            path.push_str("[]");
            if item == Item::Pupil {
                item = Item::Nth(noun, index);
            }
        } else {
            noun = Entity::from_collection(&segment).map_or("item", super::noun);
            path = join(path, &segment);
        }
    }
    (path, item)
}

fn join(path: String, name: &str) -> String {
    if path.is_empty() {
        name.to_string()
    } else {
        format!("{path}.{name}")
    }
}

/// What a failed keyword means and what to do, naming the keyword but never the value.
fn message(keyword: &str, which: Which) -> String {
    let schema = which.name();
    let what = match keyword {
        "required" => format!("{schema} requires this field: fill it in"),
        "type" => format!("the value has a type {schema} does not allow: correct it"),
        "enum" | "const" => format!("the value is not one of those {schema} allows: correct it"),
        "pattern" => format!("the value does not match the pattern {schema} requires: correct it"),
        "format" => format!("the value is not in the format {schema} requires: correct it"),
        "minLength" => format!("the value is shorter than {schema} allows: correct it"),
        "maxLength" => format!("the value is longer than {schema} allows: shorten it"),
        "minimum" | "maximum" | "exclusiveMinimum" | "exclusiveMaximum" | "multipleOf" => {
            format!("the number is outside what {schema} allows: correct it")
        }
        "minItems" => format!("fewer items than {schema} requires: add the missing ones"),
        "maxItems" => format!("more items than {schema} allows: remove the extra ones"),
        "additionalProperties" | "unevaluatedProperties" => {
            format!("a field {schema} does not allow: leave it empty for this target")
        }
        _ => format!("the value breaks a rule of {schema}: correct it"),
    };
    format!("{what} (schema keyword `{keyword}`)")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Address, Guardian};
    use serde_json::json;

    #[test]
    fn pointers_become_field_paths_with_the_item() {
        for (pointer, path, item) in [
            ("", "", Item::Pupil),
            ("/pesel", "pesel", Item::Pupil),
            ("/guardians/0/email", "guardians[].email", Item::Nth("guardian", 0)),
            (
                "/guardians/1/address/postcode",
                "guardians[].address.postcode",
                Item::Nth("guardian", 1),
            ),
            ("/addresses/2", "addresses[]", Item::Nth("address", 2)),
            ("/enrolment/school_id", "enrolment.school_id", Item::Pupil),
            ("/a~1b/c~0d", "a/b.c~d", Item::Pupil),
            ("/x/3", "x[]", Item::Nth("item", 3)),
            ("/attendance/4/date", "attendance[].date", Item::Nth("attendance entry", 4)),
            ("/counselling/0/notes", "counselling[].notes", Item::Nth("opinion", 0)),
        ] {
            assert_eq!(field_path(pointer), (path.to_string(), item), "{pointer}");
        }
    }

    #[test]
    fn messages_name_the_keyword_and_the_schema() {
        for (keyword, expected) in [
            ("required", "the extra schema requires this field: fill it in (schema keyword `required`)"),
            ("pattern", "the value does not match the pattern the extra schema requires: correct it (schema keyword `pattern`)"),
            ("if", "the value breaks a rule of the extra schema: correct it (schema keyword `if`)"),
        ] {
            assert_eq!(message(keyword, Which::Extra), expected);
        }
        assert!(message("type", Which::Published).contains("the published teczka schema"));
    }

    fn extra(schema: Value) -> SchemaCheck {
        SchemaCheck::new(false, Some((Path::new("vendor.json"), &schema))).unwrap()
    }

    #[test]
    fn extra_schema_reports_field_paths_and_keywords_but_never_values() {
        let check = extra(json!({
            "type": "object",
            "required": ["pesel"],
            "properties": {
                "surname": { "maxLength": 3 },
                "guardians": {
                    "items": {
                        "required": ["phone"],
                        "properties": { "email": { "format": "email" } }
                    }
                },
                "addresses": { "items": { "properties": { "postcode": { "pattern": "^[0-9]{2}-[0-9]{3}$" } } } }
            }
        }));
        let pupil = Pupil {
            id: "P-1".into(),
            surname: Some("Nowakowska".into()),
            guardians: vec![
                Guardian { phone: Some("601234567".into()), ..Guardian::default() },
                Guardian { email: Some("not-an-address".into()), ..Guardian::default() },
            ],
            addresses: vec![Address { postcode: Some("00950".into()), ..Address::default() }],
            ..Pupil::default()
        };
        let mut out = Findings::default();
        check.check(&pupil, &mut out);
        let mut got: Vec<_> =
            out.items.iter().map(|f| (f.field.to_string(), f.message.clone())).collect();
        got.sort();
        let extra = |what: &str, kw: &str| format!("{what} (schema keyword `{kw}`)");
        assert_eq!(
            got,
            vec![
                ("addresses[].postcode".into(), format!("address 1: {}", extra("the value does not match the pattern the extra schema requires: correct it", "pattern"))),
                ("guardians[].email".into(), format!("guardian 2: {}", extra("the value is not in the format the extra schema requires: correct it", "format"))),
                ("guardians[].phone".into(), format!("guardian 2: {}", extra("the extra schema requires this field: fill it in", "required"))),
                ("pesel".into(), extra("the extra schema requires this field: fill it in", "required")),
                ("surname".into(), extra("the value is longer than the extra schema allows: shorten it", "maxLength")),
            ]
        );
        for f in &out.items {
            assert_eq!((f.rule, f.severity), (Rule::Schema, Severity::Error));
            for value in ["Nowakowska", "not-an-address", "00950"] {
                assert!(!f.message.contains(value), "{}", f.message);
            }
        }
    }

    #[test]
    fn typed_pupils_always_match_the_published_schema() {
        let check = SchemaCheck::new(true, None).unwrap();
        let pupil: Pupil = serde_json::from_value(json!({
            "id": "P-1",
            "pesel": "44051401359",
            "sex": "male",
            "birth_date": "1944-05-14",
            "guardians": [{ "email": "a@b.pl", "address": { "kind": "residence" } }],
            "exams": [{ "score": 87.5 }],
            "payments": [{ "amount_minor": 12000, "currency": "PLN" }]
        }))
        .unwrap();
        let mut out = Findings::default();
        check.check(&pupil, &mut out);
        check.check(&Pupil::default(), &mut out);
        assert_eq!(out.items, vec![]);
    }

    #[test]
    fn a_broken_extra_schema_is_a_configuration_error_naming_the_file() {
        let schema = json!({ "type": "no-such-type" });
        let err = SchemaCheck::new(false, Some((Path::new("vendor.json"), &schema))).unwrap_err();
        let text = err.to_string();
        assert!(text.starts_with("vendor.json: not a usable JSON Schema"), "{text}");
        let remote = json!({ "$ref": "https://example.com/other.json" });
        assert!(SchemaCheck::new(false, Some((Path::new("v.json"), &remote))).is_err());
    }

    #[test]
    fn no_schema_means_no_work() {
        let mut out = Findings::default();
        SchemaCheck::default().check(&Pupil::default(), &mut out);
        assert!(out.items.is_empty());
    }
}
