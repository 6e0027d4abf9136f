//! The field catalogue: every leaf field of the model with its path, entity, value kind and
//! classification, derived from the generated schema.
//!
//! Readers use it to turn text cells and XML leaves into typed values; writers use it for
//! column order; policies (fail closed) and risk reports use the classes. Because it is read off
//! the schema, adding a field to the model adds it everywhere.

use super::{schema::pupil_schema, Class};
use serde_json::{Map, Value};
use std::fmt;
use std::sync::OnceLock;

/// A kind of record, and in a multi-file export, a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Entity {
    /// The pupil's own fields and enrolment (one row per pupil).
    Pupil,
    /// Addresses of the pupil.
    Address,
    /// Guardians, each with an optional address.
    Guardian,
    /// Grades-sheet lines.
    Grade,
    /// Attendance entries.
    Attendance,
    /// Teacher remarks.
    Remark,
    /// External exam results.
    Exam,
    /// Achievements.
    Achievement,
    /// Counselling opinions and rulings.
    Counselling,
    /// Health notes.
    Health,
    /// Consents.
    Consent,
    /// Contracts.
    Contract,
    /// Payments.
    Payment,
    /// Knowledge-level assessments.
    Assessment,
}

impl Entity {
    /// Every entity, pupils first, in the order files are written.
    pub const ALL: [Entity; 14] = [
        Entity::Pupil,
        Entity::Address,
        Entity::Guardian,
        Entity::Grade,
        Entity::Attendance,
        Entity::Remark,
        Entity::Exam,
        Entity::Achievement,
        Entity::Counselling,
        Entity::Health,
        Entity::Consent,
        Entity::Contract,
        Entity::Payment,
        Entity::Assessment,
    ];

    /// The [`Pupil`](super::Pupil) field holding this entity's list; `None` for the pupil.
    pub fn collection(self) -> Option<&'static str> {
        Some(match self {
            Entity::Pupil => return None,
            Entity::Address => "addresses",
            Entity::Guardian => "guardians",
            Entity::Grade => "grades",
            Entity::Attendance => "attendance",
            Entity::Remark => "remarks",
            Entity::Exam => "exams",
            Entity::Achievement => "achievements",
            Entity::Counselling => "counselling",
            Entity::Health => "health",
            Entity::Consent => "consents",
            Entity::Contract => "contracts",
            Entity::Payment => "payments",
            Entity::Assessment => "assessments",
        })
    }

    /// The file stem of this entity in a multi-file export (`pupils`, `grades`, …).
    pub fn file_stem(self) -> &'static str {
        self.collection().unwrap_or("pupils")
    }

    /// The XML element name of one item of this entity (`pupil`, `grade`, …).
    pub fn element(self) -> &'static str {
        match self {
            Entity::Pupil => "pupil",
            Entity::Address => "address",
            Entity::Guardian => "guardian",
            Entity::Grade => "grade",
            Entity::Attendance => "entry",
            Entity::Remark => "remark",
            Entity::Exam => "exam",
            Entity::Achievement => "achievement",
            Entity::Counselling => "opinion",
            Entity::Health => "note",
            Entity::Consent => "consent",
            Entity::Contract => "contract",
            Entity::Payment => "payment",
            Entity::Assessment => "assessment",
        }
    }

    /// The entity whose list is stored under `collection` in a pupil, if any.
    pub fn from_collection(collection: &str) -> Option<Entity> {
        Entity::ALL.into_iter().find(|e| e.collection() == Some(collection))
    }

    /// The entity whose file stem is `stem` (`pupils`, `grades`, …), if any.
    pub fn from_file_stem(stem: &str) -> Option<Entity> {
        Entity::ALL.into_iter().find(|e| e.file_stem() == stem)
    }
}

impl fmt::Display for Entity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.file_stem())
    }
}

/// The type of a leaf value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ValueKind {
    /// Free text or an identifier (always text, never a number).
    Text,
    /// A calendar date, `YYYY-MM-DD`.
    Date,
    /// Yes or no.
    Bool,
    /// A whole number.
    Integer,
    /// A decimal number.
    Number,
    /// One of a fixed set of snake_case words.
    Enum(Vec<String>),
}

/// One leaf field of the model.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldSpec {
    /// Full path from the pupil, with `[]` marking lists: `guardians[].address.town`.
    pub path: String,
    /// The entity (and so the file of a multi-file export) the field belongs to.
    pub entity: Entity,
    /// The path within one item of the entity: `address.town` for a guardian's town,
    /// `enrolment.class_level` for a pupil's class.
    pub key: String,
    /// The value's type.
    pub kind: ValueKind,
    /// The field's classification.
    pub class: Class,
    /// Whether a record must have it.
    pub required: bool,
    /// Whether the field holds free text a person typed (titles, notes, remarks): it may
    /// name anyone, so statistics never release it and other releases scan it for identifiers.
    pub free_text: bool,
    /// The doc comment of the field, for reports and generated documentation.
    pub description: String,
}

/// Every leaf field of the model, in schema (declaration) order.
pub fn fields() -> &'static [FieldSpec] {
    static FIELDS: OnceLock<Vec<FieldSpec>> = OnceLock::new();
    FIELDS.get_or_init(|| {
        let schema = pupil_schema();
        let mut out = Vec::new();
        let walker = Walker { defs: schema.get("$defs").and_then(Value::as_object) };
        walker.object(schema, "", "", Entity::Pupil, &mut out);
        out
    })
}

/// The catalogue entry for a full path such as `guardians[].phone`.
pub fn field(path: &str) -> Option<&'static FieldSpec> {
    fields().iter().find(|f| f.path == path)
}

/// The fields of one entity, in declaration order.
pub fn entity_fields(entity: Entity) -> impl Iterator<Item = &'static FieldSpec> {
    fields().iter().filter(move |f| f.entity == entity)
}

struct Walker<'a> {
    defs: Option<&'a Map<String, Value>>,
}

impl<'a> Walker<'a> {
    /// Follow `$ref` and unwrap `Option<T>` (`anyOf: [T, null]`) to the schema of `T`.
    fn resolve(&self, schema: &'a Value) -> &'a Value {
        if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
            let name = reference.rsplit('/').next().unwrap_or_default();
            if let Some(target) = self.defs.and_then(|d| d.get(name)) {
                return self.resolve(target);
            }
        }
        if let Some(options) = schema.get("anyOf").and_then(Value::as_array) {
            if let Some(inner) = options.iter().find(|o| o.get("type") != Some(&"null".into())) {
                return self.resolve(inner);
            }
        }
        schema
    }

    fn object(
        &self,
        schema: &Value,
        path: &str,
        key: &str,
        entity: Entity,
        out: &mut Vec<FieldSpec>,
    ) {
        let Some(properties) = schema.get("properties").and_then(Value::as_object) else { return };
        let required: Vec<&str> = schema
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        for (name, property) in properties {
            let full = join(path, name);
            let sub_key = join(key, name);
            if let Some(class) = property.get("x-teczka-class").and_then(Value::as_str) {
                out.push(FieldSpec {
                    path: full,
                    entity,
                    key: sub_key,
                    kind: self.kind(property),
                    class: class.parse().unwrap_or(Class::Direct),
                    required: required.contains(&name.as_str()),
                    free_text: property.get("x-teczka-text").and_then(Value::as_str)
                        == Some("free"),
                    description: description(property),
                });
                continue;
            }
            let resolved = self.resolve(property);
            if let Some(items) = property.get("items") {
                let item_entity = Entity::from_collection(name).unwrap_or(entity);
                self.object(self.resolve(items), &format!("{full}[]"), "", item_entity, out);
            } else if resolved.get("properties").is_some() {
                self.object(resolved, &full, &sub_key, entity, out);
            }
        }
    }

    fn kind(&self, property: &Value) -> ValueKind {
        let resolved = self.resolve(property);
        if let Some(values) = resolved.get("enum").and_then(Value::as_array) {
            return ValueKind::Enum(
                values.iter().filter_map(Value::as_str).map(String::from).collect(),
            );
        }
        // Enums whose variants carry doc comments are published as `oneOf` of constants.
        if let Some(variants) = resolved.get("oneOf").and_then(Value::as_array) {
            let words: Vec<String> = variants
                .iter()
                .filter_map(|v| v.get("const")?.as_str().map(String::from))
                .collect();
            if words.len() == variants.len() {
                return ValueKind::Enum(words);
            }
        }
        if resolved.get("format").and_then(Value::as_str) == Some("date") {
            return ValueKind::Date;
        }
        let types: Vec<&str> = match resolved.get("type") {
            Some(Value::String(t)) => vec![t.as_str()],
            Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        if types.contains(&"boolean") {
            ValueKind::Bool
        } else if types.contains(&"integer") {
            ValueKind::Integer
        } else if types.contains(&"number") {
            ValueKind::Number
        } else {
            ValueKind::Text
        }
    }
}

pub(crate) fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_string()
    } else {
        format!("{prefix}.{name}")
    }
}

fn description(property: &Value) -> String {
    property.get("description").and_then(Value::as_str).unwrap_or_default().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogue_covers_nested_and_listed_fields_with_their_classes() {
        let town = field("guardians[].address.town").expect("guardian town in catalogue");
        assert_eq!(town.entity, Entity::Guardian);
        assert_eq!(town.key, "address.town");
        assert_eq!(town.class, Class::Quasi);

        let pesel = field("pesel").expect("pesel");
        assert_eq!(
            (pesel.entity, pesel.class, &pesel.kind),
            (Entity::Pupil, Class::Direct, &ValueKind::Text)
        );

        let class_level = field("enrolment.class_level").expect("class level");
        assert_eq!(
            (class_level.entity, class_level.key.as_str()),
            (Entity::Pupil, "enrolment.class_level")
        );

        assert_eq!(field("birth_date").map(|f| &f.kind), Some(&ValueKind::Date));
        assert_eq!(field("payments[].amount_minor").map(|f| &f.kind), Some(&ValueKind::Integer));
        assert_eq!(field("exams[].score").map(|f| &f.kind), Some(&ValueKind::Number));
        assert_eq!(field("national_citizen").map(|f| &f.kind), Some(&ValueKind::Bool));
        assert_eq!(
            field("sex").map(|f| &f.kind),
            Some(&ValueKind::Enum(vec!["female".into(), "male".into()]))
        );
        assert!(field("id").is_some_and(|f| f.required));
    }

    #[test]
    fn special_category_fields_are_sensitive_and_every_entity_has_fields() {
        for f in fields()
            .iter()
            .filter(|f| f.path.starts_with("health[]") || f.path.starts_with("counselling[]"))
        {
            assert_eq!(f.class, Class::Sensitive, "{}", f.path);
        }
        for entity in Entity::ALL {
            assert!(entity_fields(entity).next().is_some(), "{entity} has no fields");
        }
    }

    #[test]
    fn entity_names_round_trip() {
        for entity in Entity::ALL {
            assert_eq!(Entity::from_file_stem(entity.file_stem()), Some(entity));
        }
    }
}
