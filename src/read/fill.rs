//! A table row's parsed cells turned into the model's types directly: the pupil (with its
//! inline addresses and guardians) or one child item, with no intermediate object.
//!
//! A file's columns are compiled once into a [`Shape`]: for every field of the model object
//! a row fills, the column it comes from (or the group, or the list of inline items, it
//! holds). A row is then handed to the model's own `Deserialize` through [`Shape::build`],
//! which offers the derived impls the present fields straight from the row's cells — text
//! borrowed from the row, numbers and yes/no as they parsed — so reading a cell costs its
//! parse and the `String` the model keeps, nothing more. (Assembling a slot tree of
//! `serde_json::Value`s first, as this replaced, was two fifths of a `validate` run.)
//!
//! The rules are the ones the readers have always had: a group (`enrolment`, a guardian's
//! `address`) or an inline item exists only when one of its cells holds a value; an inline
//! address without a `ktg` column gets the kind its column prefix stands for; a pupil's id is
//! the row's own (numbered when the file has no id column, the trimmed id cell when the cell
//! did not parse).

use super::mapping::{address_slot_kind, Target};
use crate::model::tree::{entity_nodes, Node};
use crate::model::value::Cell;
use crate::model::Entity;
use serde::de::{self, DeserializeOwned, IntoDeserializer};
use std::collections::BTreeSet;

/// The rest of a `Deserializer` over a value the model takes as it is: an optional field is
/// present whenever it is offered (absent ones are never offered), and every other type asks
/// `deserialize_any`.
macro_rules! offered_and_forwarded {
    () => {
        fn deserialize_option<V: de::Visitor<'de>>(
            self,
            visitor: V,
        ) -> serde_json::Result<V::Value> {
            visitor.visit_some(self)
        }

        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
            unit unit_struct newtype_struct seq tuple tuple_struct map struct enum identifier
            ignored_any
        }
    };
}
pub(crate) use offered_and_forwarded;

/// Where the fields of one model object come from in a row of a file, in model order.
#[derive(Debug, Default)]
pub(crate) struct Shape {
    fields: Vec<(&'static str, Source)>,
}

/// Where one field's value comes from.
#[derive(Debug)]
enum Source {
    /// A column's parsed cell.
    Column(usize),
    /// A column's cell, else this word (an inline address's kind, from its column prefix).
    ColumnOr(Option<usize>, &'static str),
    /// The pupil's id: the row's id when [`Row::id`] gives one, else its column's cell.
    PupilId(Option<usize>),
    /// A nested struct.
    Group(Shape),
    /// A list of inline items (addresses, guardians on a pupil row), in column order.
    Items(Vec<Shape>),
}

/// One row's values: a parsed cell per column (`None` for empty, unparsed and unmapped
/// cells), and the id the pupil gets instead of its id cell's, if it gets one.
pub(crate) struct Row<'r, 'c> {
    pub cells: &'r [Option<Cell<'c>>],
    pub id: Option<&'r str>,
}

impl Row<'_, '_> {
    fn cell(&self, column: Option<usize>) -> Option<&Cell<'_>> {
        self.cells.get(column?)?.as_ref()
    }
}

impl Shape {
    /// The shape of a row of a file of `entity` whose columns carry `targets`.
    pub(crate) fn of_file(entity: Entity, targets: &[Target]) -> Shape {
        let own =
            |key: &str| targets.iter().rposition(|t| matches!(t, Target::Field(f) if f.key == key));
        let mut shape = Shape::compile(entity_nodes(entity), &own);
        if entity == Entity::Pupil {
            shape.fields.retain(|(name, _)| *name != "id");
            shape.fields.push(("id", Source::PupilId(own("id"))));
            shape.push_items("addresses", inline_addresses(targets));
            shape.push_items("guardians", inline_guardians(targets));
        }
        shape
    }

    /// The fields of `nodes` that some column fills, found by their catalogue key.
    fn compile(nodes: &'static [Node], column: &dyn Fn(&str) -> Option<usize>) -> Shape {
        let fields = nodes
            .iter()
            .filter_map(|node| match node {
                Node::Leaf { name, spec, .. } => {
                    column(&spec.key).map(|i| (*name, Source::Column(i)))
                }
                Node::Group { name, children, .. } => {
                    let inner = Shape::compile(children, column);
                    (!inner.fields.is_empty()).then_some((*name, Source::Group(inner)))
                }
                Node::List { .. } => None,
            })
            .collect();
        Shape { fields }
    }

    fn push_items(&mut self, name: &'static str, items: Vec<Shape>) {
        if !items.is_empty() {
            self.fields.push((name, Source::Items(items)));
        }
    }

    /// Whether any cell of the row this shape reads holds a value (defaults do not count).
    fn has_data(&self, row: &Row<'_, '_>) -> bool {
        self.fields.iter().any(|(_, source)| match source {
            Source::Column(i) => row.cell(Some(*i)).is_some(),
            Source::ColumnOr(i, _) | Source::PupilId(i) => row.cell(*i).is_some(),
            Source::Group(inner) => inner.has_data(row),
            Source::Items(items) => items.iter().any(|item| item.has_data(row)),
        })
    }

    /// The model value (`Pupil`, `Grade`, …) this shape reads from `row`.
    pub(crate) fn build<T: DeserializeOwned>(&self, row: &Row<'_, '_>) -> serde_json::Result<T> {
        T::deserialize(ShapeDe { shape: self, row })
    }
}

/// The inline addresses of a pupil row: one item per address column prefix in use.
fn inline_addresses(targets: &[Target]) -> Vec<Shape> {
    let address = entity_nodes(Entity::Address);
    (0..3)
        .filter_map(|slot| {
            let column = |key: &str| {
                targets.iter().rposition(|t| {
                    matches!(t, Target::Address { slot: s, field } if *s == slot && field.key == key)
                })
            };
            let mut shape = Shape::compile(address, &column);
            if shape.fields.is_empty() {
                return None;
            }
            shape.fields.retain(|(name, _)| *name != "kind");
            shape.fields.push(("kind", Source::ColumnOr(column("kind"), address_slot_kind(slot))));
            Some(shape)
        })
        .collect()
}

/// The inline guardians of a pupil row: one item per guardian number, in number order.
fn inline_guardians(targets: &[Target]) -> Vec<Shape> {
    let numbers: BTreeSet<u32> = targets
        .iter()
        .filter_map(|t| match t {
            Target::Guardian { number, .. } => Some(*number),
            _ => None,
        })
        .collect();
    let guardian = entity_nodes(Entity::Guardian);
    numbers
        .into_iter()
        .map(|number| {
            let column = |key: &str| {
                targets.iter().rposition(|t| {
                    matches!(t, Target::Guardian { number: n, field } if *n == number && field.key == key)
                })
            };
            Shape::compile(guardian, &column)
        })
        .collect()
}

/// Deserialises one object of a row: its present fields as a map.
struct ShapeDe<'s, 'r, 'c> {
    shape: &'s Shape,
    row: &'s Row<'r, 'c>,
}

impl<'de> de::Deserializer<'de> for ShapeDe<'_, '_, '_> {
    type Error = serde_json::Error;

    fn deserialize_any<V: de::Visitor<'de>>(self, visitor: V) -> serde_json::Result<V::Value> {
        visitor.visit_map(FieldsAccess {
            fields: self.shape.fields.iter(),
            row: self.row,
            pending: None,
        })
    }

    offered_and_forwarded!();
}

/// A field's value, found when its key was given.
enum Pending<'s, 'c> {
    Cell(&'s Cell<'c>),
    /// An id or a default word.
    Text(&'s str),
    Group(&'s Shape),
    Items(&'s [Shape]),
}

struct FieldsAccess<'s, 'r, 'c> {
    fields: std::slice::Iter<'s, (&'static str, Source)>,
    row: &'s Row<'r, 'c>,
    pending: Option<Pending<'s, 'c>>,
}

impl<'s, 'c> FieldsAccess<'s, '_, 'c> {
    /// The value `source` gives in this row, if the field is present.
    fn value(&self, source: &'s Source) -> Option<Pending<'s, 'c>> {
        let cells: &'s [Option<Cell<'c>>] = self.row.cells;
        let cell = |i: Option<usize>| cells.get(i?)?.as_ref().map(Pending::Cell);
        match source {
            Source::Column(i) => cell(Some(*i)),
            Source::ColumnOr(i, word) => cell(*i).or(Some(Pending::Text(word))),
            Source::PupilId(i) => match self.row.id {
                Some(id) => Some(Pending::Text(id)),
                None => cell(*i),
            },
            Source::Group(inner) => inner.has_data(self.row).then_some(Pending::Group(inner)),
            Source::Items(items) => {
                items.iter().any(|item| item.has_data(self.row)).then_some(Pending::Items(items))
            }
        }
    }
}

impl<'de> de::MapAccess<'de> for FieldsAccess<'_, '_, '_> {
    type Error = serde_json::Error;

    fn next_key_seed<K: de::DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> serde_json::Result<Option<K::Value>> {
        while let Some((name, source)) = self.fields.next() {
            if let Some(value) = self.value(source) {
                self.pending = Some(value);
                return seed.deserialize(de::value::BorrowedStrDeserializer::new(name)).map(Some);
            }
        }
        Ok(None)
    }

    fn next_value_seed<V: de::DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> serde_json::Result<V::Value> {
        match self.pending.take() {
            Some(Pending::Cell(cell)) => seed.deserialize(CellDe(cell.borrowed())),
            Some(Pending::Text(text)) => seed.deserialize(CellDe(Cell::Text(text))),
            Some(Pending::Group(shape)) => seed.deserialize(ShapeDe { shape, row: self.row }),
            Some(Pending::Items(items)) => seed.deserialize(ItemsDe { items, row: self.row }),
            None => Err(de::Error::custom("a map value was asked for before its key")),
        }
    }
}

/// Deserialises a list of inline items: those of them holding a value, in order.
struct ItemsDe<'s, 'r, 'c> {
    items: &'s [Shape],
    row: &'s Row<'r, 'c>,
}

impl<'de> de::Deserializer<'de> for ItemsDe<'_, '_, '_> {
    type Error = serde_json::Error;

    fn deserialize_any<V: de::Visitor<'de>>(self, visitor: V) -> serde_json::Result<V::Value> {
        let row = self.row;
        let present = self.items.iter().filter(|item| item.has_data(row));
        visitor.visit_seq(ItemsAccess { items: present, row })
    }

    offered_and_forwarded!();
}

struct ItemsAccess<'s, 'r, 'c, I> {
    items: I,
    row: &'s Row<'r, 'c>,
}

impl<'de, 's, I: Iterator<Item = &'s Shape>> de::SeqAccess<'de> for ItemsAccess<'s, '_, '_, I> {
    type Error = serde_json::Error;

    fn next_element_seed<T: de::DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> serde_json::Result<Option<T::Value>> {
        match self.items.next() {
            Some(shape) => seed.deserialize(ShapeDe { shape, row: self.row }).map(Some),
            None => Ok(None),
        }
    }
}

/// Deserialises one parsed cell as the JSON value it stands for would: text as a string (or
/// an enum's unit variant), yes/no as a bool, numbers as serde_json's numbers. Owned text is
/// moved into the model, borrowed text copied once.
pub(crate) struct CellDe<'c>(pub(crate) Cell<'c>);

impl<'de> de::Deserializer<'de> for CellDe<'_> {
    type Error = serde_json::Error;

    fn deserialize_any<V: de::Visitor<'de>>(self, visitor: V) -> serde_json::Result<V::Value> {
        match self.0 {
            Cell::Text(text) => visitor.visit_str(text),
            Cell::Owned(text) => visitor.visit_string(text),
            Cell::Bool(b) => visitor.visit_bool(b),
            Cell::Number(n) => de::Deserializer::deserialize_any(n, visitor),
        }
    }

    fn deserialize_option<V: de::Visitor<'de>>(self, visitor: V) -> serde_json::Result<V::Value> {
        visitor.visit_some(self)
    }

    fn deserialize_enum<V: de::Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> serde_json::Result<V::Value> {
        match self.0.as_text() {
            Some(text) => {
                visitor.visit_enum(IntoDeserializer::<serde_json::Error>::into_deserializer(text))
            }
            None => {
                Err(de::Error::invalid_type(de::Unexpected::Other("a non-text value"), &visitor))
            }
        }
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        unit unit_struct newtype_struct seq tuple tuple_struct map struct identifier
        ignored_any
    }
}
#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::fields::field;
    use crate::model::value::parse_cell;
    use crate::model::{Address, AddressKind, Grade, Guardian, Pupil, Sex};
    use serde_json::{json, Value};

    fn own(path: &str) -> Target {
        Target::Field(field(path).unwrap())
    }

    /// The row `texts` of columns `targets`, parsed as the CSV reader parses it, built.
    fn build<T: DeserializeOwned>(
        entity: Entity,
        targets: &[Target],
        texts: &[&str],
        id: Option<&str>,
    ) -> serde_json::Result<T> {
        let cells: Vec<Option<Cell<'_>>> = targets
            .iter()
            .zip(texts)
            .map(|(target, text)| match target {
                Target::Field(f) | Target::Address { field: f, .. } => {
                    parse_cell(&f.kind, text).unwrap()
                }
                Target::Guardian { field: f, .. } => parse_cell(&f.kind, text).unwrap(),
                _ => None,
            })
            .collect();
        Shape::of_file(entity, targets).build(&Row { cells: &cells, id })
    }

    #[test]
    fn a_pupil_row_fills_nested_structs_and_inline_lists_as_the_json_would() {
        let targets = [
            own("id"),
            own("surname"),
            own("enrolment.class_level"),
            own("sex"),
            own("birth_date"),
            Target::Guardian { number: 2, field: field("guardians[].surname").unwrap() },
            Target::Address { slot: 1, field: field("addresses[].town").unwrap() },
            Target::Guardian { number: 1, field: field("guardians[].address.town").unwrap() },
            Target::Guardian { number: 1, field: field("guardians[].parental_rights").unwrap() },
            Target::Unknown,
        ];
        let texts =
            ["P1", "Nowak", "4", "k", "07.03.2015", "Kowalska", "Gózd", "Gdańsk", "nie", "x"];
        let built: Pupil = build(Entity::Pupil, &targets, &texts, None).unwrap();
        let expected: Pupil = serde_json::from_value(json!({
            "id": "P1", "surname": "Nowak", "enrolment": {"class_level": "4"}, "sex": "female",
            "birth_date": "2015-03-07",
            "addresses": [{"town": "Gózd", "kind": "registered"}],
            "guardians": [
                {"address": {"town": "Gdańsk"}, "parental_rights": false},
                {"surname": "Kowalska"}
            ]
        }))
        .unwrap();
        assert_eq!(built, expected);
        assert_eq!(built.sex, Some(Sex::Female));
        assert_eq!(built.addresses[0].kind, Some(AddressKind::Registered));
    }

    #[test]
    fn empty_cells_make_no_group_no_item_and_defaults_alone_make_no_address() {
        let targets = [
            own("id"),
            own("enrolment.class_level"),
            Target::Address { slot: 0, field: field("addresses[].town").unwrap() },
            Target::Guardian { number: 1, field: field("guardians[].surname").unwrap() },
        ];
        let built: Pupil =
            build(Entity::Pupil, &targets, &["", "", "", ""], Some("row-1")).unwrap();
        assert_eq!(built, Pupil { id: "row-1".into(), ..Pupil::default() });
        // The row's id replaces the id cell only when it is given.
        let built: Pupil = build(Entity::Pupil, &targets, &[" P7 ", "", "", ""], None).unwrap();
        assert_eq!(built.id, " P7 ");
        assert!(built.enrolment.is_none() && built.addresses.is_empty());
    }

    #[test]
    fn child_items_read_their_own_fields_and_a_misfit_value_is_an_error() {
        let targets = [Target::PupilRef, own("grades[].subject"), own("grades[].grade")];
        let grade: Grade =
            build(Entity::Grade, &targets, &["P1", "matematyka", "5"], None).unwrap();
        let value: Value = serde_json::to_value(&grade).unwrap();
        assert_eq!(value, json!({"subject": "matematyka", "grade": "5"}));
        let address: Address = build(
            Entity::Address,
            &[Target::PupilRef, own("addresses[].kind")],
            &["P1", "zameldowania"],
            None,
        )
        .unwrap();
        assert_eq!(address.kind, Some(AddressKind::Registered));
        let shape = Shape::of_file(Entity::Guardian, &[own("guardians[].parental_rights")]);
        let cells = [Some(Cell::Text("maybe"))];
        assert!(shape.build::<Guardian>(&Row { cells: &cells, id: None }).is_err());
    }
}
