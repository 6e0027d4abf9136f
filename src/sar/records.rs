//! Records laid out for reading: each category (entity) of a pupil record as items of
//! labelled values, every value in words and in the report language's formats.
//!
//! It walks the field catalogue rather than the Rust types, so a field added to the model shows
//! up in the report (and, through the labels test, gets its label) without touching this file.

use super::labels::{enum_word, field_label, yes_no};
use super::lang::Lang;
use crate::model::fields::{entity_fields, FieldSpec, ValueKind};
use crate::model::{Entity, Guardian, Pupil};
use chrono::NaiveDate;
use serde_json::Value;

/// One labelled value.
pub struct Row {
    /// The field's catalogue path (`grades[].subject`): what the value is, whatever the label.
    pub path: String,
    /// The field's plain-language label.
    pub label: String,
    /// The value in words.
    pub value: String,
}

/// One item of a category: a pupil's own details, one address, one grade, ….
pub struct Item {
    /// Its labelled values, in the catalogue's order; empty fields are left out.
    pub rows: Vec<Row>,
}

/// The items of one category.
pub struct Group {
    /// The category.
    pub entity: Entity,
    /// Its items, as the record holds them.
    pub items: Vec<Item>,
}

/// A pupil record's categories that hold anything, in the catalogue's order.
pub fn groups(pupil: &Pupil, lang: Lang) -> Vec<Group> {
    let record = serde_json::to_value(pupil).unwrap_or(Value::Null);
    Entity::ALL
        .into_iter()
        .filter_map(|entity| {
            let items: Vec<Item> = match entity.collection() {
                None => vec![item(&record, entity, lang)],
                Some(list) => record
                    .get(list)
                    .and_then(Value::as_array)
                    .map(|values| values.iter().map(|v| item(v, entity, lang)).collect())
                    .unwrap_or_default(),
            };
            let items: Vec<Item> = items.into_iter().filter(|i| !i.rows.is_empty()).collect();
            (!items.is_empty()).then_some(Group { entity, items })
        })
        .collect()
}

/// A list laid out as a table: a column for each field that any of its items fills, in the
/// catalogue's order, and one row per item, with an empty cell where an item has no value.
pub struct Table {
    /// The columns' labels.
    pub columns: Vec<String>,
    /// One row per item, a cell per column.
    pub rows: Vec<Vec<String>>,
}

/// The items of `group` as a [`Table`].
pub fn table(group: &Group) -> Table {
    let filled = |path: &str| group.items.iter().flat_map(|i| &i.rows).find(|r| r.path == path);
    // A column per field that some item fills, labelled as that item's row is.
    let columns: Vec<&Row> = entity_fields(group.entity).filter_map(|f| filled(&f.path)).collect();
    let rows = group
        .items
        .iter()
        .map(|item| {
            let value = |path: &str| item.rows.iter().find(|r| r.path == path);
            let cell =
                |column: &&Row| value(&column.path).map_or_else(String::new, |r| r.value.clone());
            columns.iter().map(cell).collect()
        })
        .collect();
    Table { columns: columns.iter().map(|r| r.label.clone()).collect(), rows }
}

/// A guardian entry as an item (the guardian's own data in a guardian's request).
pub fn guardian_item(guardian: &Guardian, lang: Lang) -> Item {
    item(&serde_json::to_value(guardian).unwrap_or(Value::Null), Entity::Guardian, lang)
}

fn item(value: &Value, entity: Entity, lang: Lang) -> Item {
    let rows = entity_fields(entity)
        .filter_map(|field| {
            let v = lookup(value, &field.key)?;
            let shown = render(v, field, value, lang)?;
            let label = field_label(&field.path, lang).unwrap_or_else(|| field.path.clone());
            Some(Row { path: field.path.clone(), label, value: shown })
        })
        .collect();
    Item { rows }
}

fn lookup<'v>(value: &'v Value, key: &str) -> Option<&'v Value> {
    key.split('.').try_fold(value, |v, part| v.get(part)).filter(|v| !v.is_null())
}

/// A value in words: dates in the language's format, enums and yes/no in words, money with
/// its decimal separator.
fn render(value: &Value, field: &FieldSpec, item: &Value, lang: Lang) -> Option<String> {
    Some(match (&field.kind, value) {
        (ValueKind::Date, Value::String(s)) => match s.parse::<NaiveDate>() {
            Ok(date) => lang.date(date),
            Err(_) => s.clone(),
        },
        (ValueKind::Enum(_), Value::String(s)) => enum_word(s, lang).unwrap_or(s).to_string(),
        (_, Value::Bool(b)) => yes_no(*b, lang).to_string(),
        (ValueKind::Integer, Value::Number(n)) if field.key == "amount_minor" => {
            let currency = item.get("currency").and_then(Value::as_str);
            money(n.as_i64()?, currency, lang)
        }
        (_, Value::Number(n)) => n.as_f64().map_or_else(|| n.to_string(), |f| lang.number(f)),
        (_, Value::String(s)) if s.trim().is_empty() => return None,
        (_, Value::String(s)) => s.clone(),
        (_, other) => other.to_string(),
    })
}

/// An amount in minor units as a person writes it: `1234` PLN → `12,34 PLN`.
fn money(minor: i64, currency: Option<&str>, lang: Lang) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    let (whole, cents) = (minor.unsigned_abs() / 100, minor.unsigned_abs() % 100);
    let separator = lang.pick([",", ",", "."]);
    let amount = format!("{sign}{whole}{separator}{cents:02}");
    match currency {
        Some(c) => format!("{amount} {c}"),
        None => amount,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Payment;

    #[test]
    fn values_are_shown_in_words_and_local_formats() {
        let pupil = super::super::testing::pupil_disclosure().pupils.remove(0);
        let groups = groups(&pupil, Lang::Pl);
        let own = &groups[0];
        assert_eq!(own.entity, Entity::Pupil);
        let find = |label: &str| {
            own.items[0].rows.iter().find(|r| r.label == label).map(|r| r.value.as_str())
        };
        assert_eq!(find("Płeć"), Some("kobieta"));
        assert_eq!(find("Data urodzenia"), Some("13.01.2002"));
        assert_eq!(find("PESEL"), Some("02211307589"));
        let entities: Vec<Entity> = groups.iter().map(|g| g.entity).collect();
        assert_eq!(
            entities,
            [
                Entity::Pupil,
                Entity::Address,
                Entity::Guardian,
                Entity::Grade,
                Entity::Remark,
                Entity::Health
            ]
        );
    }

    #[test]
    fn a_list_becomes_a_table_of_the_columns_any_item_fills() {
        use crate::model::Grade;
        let grade = |subject: &str, grade: Option<&str>| Grade {
            subject: Some(subject.into()),
            grade: grade.map(Into::into),
            ..Grade::default()
        };
        let pupil = Pupil {
            id: "1".into(),
            grades: vec![grade("matematyka", Some("5")), grade("fizyka", None)],
            ..Pupil::default()
        };
        let groups = groups(&pupil, Lang::Pl);
        let grades = groups.iter().find(|g| g.entity == Entity::Grade).unwrap();
        let t = table(grades);
        assert_eq!(t.columns, ["Przedmiot", "Ocena"]);
        assert_eq!(t.rows, [["matematyka", "5"], ["fizyka", ""]]);
    }

    #[test]
    fn money_is_written_with_the_languages_separator() {
        let pupil = Pupil {
            id: "1".into(),
            payments: vec![Payment {
                amount_minor: Some(-12345),
                currency: Some("CZK".into()),
                ..Payment::default()
            }],
            ..Pupil::default()
        };
        let g = groups(&pupil, Lang::Cs);
        assert_eq!(g[1].items[0].rows[0].value, "-123,45 CZK");
        assert_eq!(money(5, None, Lang::En), "0.05");
    }
}
