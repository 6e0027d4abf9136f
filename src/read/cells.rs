//! The values of one CSV row, by catalogue key, deserialised straight into the model.
//!
//! A row's cells are parsed into leaf values ([`crate::model::value::parse_leaf`]) and kept
//! as a flat list of `(key, value)` pairs — `surname`, `enrolment.class_level`,
//! `address.town` — per entity item ([`Item`]). [`Item::build`] hands them to the model's own
//! `Deserialize` through a small deserializer that presents the dotted keys as nested
//! structs, so no JSON map is built per row (it used to be: a map per row and per item, then
//! `serde_json::from_value`, about a fifth of a CSV export's time).

use serde::de::{self, DeserializeOwned, DeserializeSeed, IntoDeserializer, MapAccess, SeqAccess};
use serde::forward_to_deserialize_any;
use serde_json::Value;

/// The values of one entity item (a pupil, an inline address or guardian, a child row).
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Item {
    entries: Vec<(&'static str, Value)>,
}

impl Item {
    /// Set `key` (a catalogue key) to `value`; a later cell for the same key wins.
    pub fn set(&mut self, key: &'static str, value: Value) {
        match self.entries.iter_mut().find(|(k, _)| *k == key) {
            Some(entry) => entry.1 = value,
            None => self.entries.push((key, value)),
        }
    }

    /// Set `key` unless it already holds a value.
    pub fn set_default(&mut self, key: &'static str, value: impl FnOnce() -> Value) {
        if !self.contains(key) {
            self.entries.push((key, value()));
        }
    }

    /// Whether `key` holds a value.
    pub fn contains(&self, key: &str) -> bool {
        self.entries.iter().any(|(k, _)| *k == key)
    }

    /// The model value of these entries, with `lists` (field name and items) as its list
    /// fields. The message of a failure is for a bug report: parsed leaves always fit.
    pub fn build<T: DeserializeOwned>(
        &self,
        lists: &[(&'static str, &[Item])],
    ) -> Result<T, serde_json::Error> {
        let entries = self.entries.iter().map(|(k, v)| (*k, v)).collect();
        T::deserialize(Fields { entries, lists })
    }
}

/// A struct to deserialise: its leaves and groups as dotted keys relative to it, and its lists.
struct Fields<'a> {
    entries: Vec<(&'static str, &'a Value)>,
    lists: &'a [(&'static str, &'a [Item])],
}

fn head(key: &'static str) -> (&'static str, Option<&'static str>) {
    match key.split_once('.') {
        Some((head, rest)) => (head, Some(rest)),
        None => (key, None),
    }
}

impl<'de> de::Deserializer<'de> for Fields<'de> {
    type Error = serde_json::Error;

    fn deserialize_any<V: de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        visitor.visit_map(Access { fields: self, next: 0, done: Vec::new(), list: 0, value: None })
    }

    fn deserialize_option<V: de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        visitor.visit_some(self)
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        unit unit_struct newtype_struct seq tuple tuple_struct map struct enum identifier
        ignored_any
    }
}

/// What the key just given stands for.
enum Pending<'a> {
    Leaf(&'a Value),
    Group(Fields<'a>),
    List(&'a [Item]),
}

/// The fields of one struct, in the order of their first cell, then its lists.
struct Access<'a> {
    fields: Fields<'a>,
    /// The entry to look at next.
    next: usize,
    /// The heads already given (a group's several keys are given once).
    done: Vec<&'static str>,
    /// The list to give next, after the entries.
    list: usize,
    value: Option<Pending<'a>>,
}

impl<'de> MapAccess<'de> for Access<'de> {
    type Error = serde_json::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Self::Error> {
        while let Some(&(key, value)) = self.fields.entries.get(self.next) {
            self.next += 1;
            let (name, rest) = head(key);
            if self.done.contains(&name) {
                continue;
            }
            self.done.push(name);
            self.value = Some(match rest {
                None => Pending::Leaf(value),
                Some(_) => Pending::Group(self.group(name)),
            });
            return seed.deserialize(name.into_deserializer()).map(Some);
        }
        while let Some(&(name, items)) = self.fields.lists.get(self.list) {
            self.list += 1;
            if items.is_empty() {
                continue;
            }
            self.value = Some(Pending::List(items));
            return seed.deserialize(name.into_deserializer()).map(Some);
        }
        Ok(None)
    }

    fn next_value_seed<S: DeserializeSeed<'de>>(
        &mut self,
        seed: S,
    ) -> Result<S::Value, Self::Error> {
        match self.value.take() {
            Some(Pending::Leaf(value)) => seed.deserialize(value),
            Some(Pending::Group(fields)) => seed.deserialize(fields),
            Some(Pending::List(items)) => seed.deserialize(Items { items, next: 0 }),
            None => Err(de::Error::custom("a value was asked for before its key")),
        }
    }
}

impl<'a> Access<'a> {
    /// The entries under group `name`, with the group's name taken off their keys.
    fn group(&self, name: &str) -> Fields<'a> {
        let entries = self
            .fields
            .entries
            .iter()
            .filter_map(|&(key, value)| match head(key) {
                (h, Some(rest)) if h == name => Some((rest, value)),
                _ => None,
            })
            .collect();
        Fields { entries, lists: &[] }
    }
}

/// A list field's items.
struct Items<'a> {
    items: &'a [Item],
    next: usize,
}

impl<'de> de::Deserializer<'de> for Items<'de> {
    type Error = serde_json::Error;

    fn deserialize_any<V: de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        visitor.visit_seq(self)
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map struct enum
        identifier ignored_any
    }
}

impl<'de> SeqAccess<'de> for Items<'de> {
    type Error = serde_json::Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Self::Error> {
        let Some(item) = self.items.get(self.next) else { return Ok(None) };
        self.next += 1;
        let entries = item.entries.iter().map(|(k, v)| (*k, v)).collect();
        seed.deserialize(Fields { entries, lists: &[] }).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::value::set_path;
    use crate::model::{Address, AddressKind, Guardian, Pupil, Sex};
    use serde_json::Map;

    fn item(pairs: &[(&'static str, Value)]) -> Item {
        let mut item = Item::default();
        for (key, value) in pairs {
            item.set(key, value.clone());
        }
        item
    }

    fn as_map(pairs: &[(&'static str, Value)]) -> Map<String, Value> {
        let mut map = Map::new();
        for (key, value) in pairs {
            set_path(&mut map, key, value.clone());
        }
        map
    }

    #[test]
    fn dotted_keys_become_nested_structs_and_lists_their_items_as_from_value_would() {
        let own = [
            ("id", Value::from("P1")),
            ("surname", Value::from("Nowak")),
            ("enrolment.class_level", Value::from("4")),
            ("sex", Value::from("female")),
            ("birth_date", Value::from("2015-03-01")),
            ("enrolment.school_name", Value::from("SP 12")),
            ("national_citizen", Value::from(true)),
        ];
        let guardian = [
            ("surname", Value::from("Nowak")),
            ("address.town", Value::from("Gdańsk")),
            ("parental_rights", Value::from(false)),
        ];
        let address = [("town", Value::from("Gózd")), ("kind", Value::from("registered"))];
        let guardians = [item(&guardian)];
        let addresses = [item(&address)];
        let built: Pupil =
            item(&own).build(&[("addresses", &addresses), ("guardians", &guardians)]).unwrap();

        let mut expected = as_map(&own);
        expected.insert("addresses".into(), Value::Array(vec![Value::Object(as_map(&address))]));
        expected.insert("guardians".into(), Value::Array(vec![Value::Object(as_map(&guardian))]));
        let expected: Pupil = serde_json::from_value(Value::Object(expected)).unwrap();
        assert_eq!(built, expected);
        assert_eq!(built.sex, Some(Sex::Female));
        assert_eq!(built.enrolment.as_ref().unwrap().school_name.as_deref(), Some("SP 12"));
        assert_eq!(built.addresses[0].kind, Some(AddressKind::Registered));
        assert_eq!(built.guardians[0].address.as_ref().unwrap().town.as_deref(), Some("Gdańsk"));
    }

    #[test]
    fn a_later_cell_wins_a_default_does_not_and_a_misfit_value_is_an_error() {
        let mut address = item(&[("town", Value::from("A")), ("town", Value::from("B"))]);
        address.set_default("kind", || Value::from("registered"));
        address.set_default("town", || Value::from("C"));
        let built: Address = address.build(&[]).unwrap();
        assert_eq!(built.town.as_deref(), Some("B"));
        assert_eq!(built.kind, Some(AddressKind::Registered));
        let misfit = item(&[("parental_rights", Value::from("maybe"))]);
        assert!(misfit.build::<Guardian>(&[]).is_err());
    }
}
