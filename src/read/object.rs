//! One object of the model (the pupil, a nested struct, a list item) assembled from a
//! reader's values, and handed to the model's own `Deserialize` without a `serde_json::Map`.
//!
//! Both record readers that assemble pupils field by field build these: the XML reader from
//! elements, the CSV reader from cells by catalogue key ([`Object::set_path`]). Slots are
//! indexed by position in the static field tree, so setting a field costs no hashing and no
//! key allocation.

use crate::model::tree::{pupil_tree, Node};
use crate::model::Entity;
use serde::de::{self, DeserializeOwned};
use serde_json::Value;

/// One object (the pupil, a nested struct or a list item) under construction: one slot per
/// child node of its element, in catalogue order.
///
/// Slots are indexed by position in the static element tree rather than keyed by name, so
/// reading a field costs no hashing and no key allocation; the object is handed to serde
/// directly (see [`ObjectDe`]) instead of through a `serde_json::Map`.
pub(crate) struct Object {
    pub(crate) nodes: &'static [Node],
    pub(crate) slots: Vec<Option<Slot>>,
}

/// The value of one field of an [`Object`].
pub(crate) enum Slot {
    Leaf(Value),
    Object(Object),
    List(Vec<Object>),
}

impl Object {
    pub(crate) fn new(nodes: &'static [Node]) -> Object {
        Object { nodes, slots: std::iter::repeat_with(|| None).take(nodes.len()).collect() }
    }

    pub(crate) fn slot(&self, index: usize) -> Option<&Slot> {
        self.slots.get(index).and_then(Option::as_ref)
    }

    pub(crate) fn take(&mut self, index: usize) -> Option<Slot> {
        self.slots.get_mut(index).and_then(Option::take)
    }

    pub(crate) fn set(&mut self, index: usize, slot: Slot) {
        if let Some(place) = self.slots.get_mut(index) {
            *place = Some(slot);
        }
    }
}

/// Index of the child element named `local` in `nodes`, searching from `from` onwards first.
pub(crate) fn find_child(nodes: &[Node], local: &[u8], from: usize) -> Option<usize> {
    let from = from.min(nodes.len());
    let (before, after) = nodes.split_at(from);
    let named = |n: &Node| n.name().as_bytes() == local;
    after.iter().position(named).map(|i| i + from).or_else(|| before.iter().position(named))
}

impl Object {
    /// An empty object of `entity`: the pupil, or one item of its list.
    pub(crate) fn of(entity: Entity) -> Object {
        Object::new(entity_nodes(entity))
    }

    /// Set the leaf at catalogue key `key` (`surname`, `enrolment.class_level`,
    /// `address.town`), making the groups on the way; a later value for a key wins.
    pub(crate) fn set_path(&mut self, key: &str, value: Value) {
        let (head, rest) = match key.split_once('.') {
            Some((head, rest)) => (head, Some(rest)),
            None => (key, None),
        };
        let Some(index) = find_child(self.nodes, head.as_bytes(), 0) else { return };
        match (rest, &self.nodes[index]) {
            (None, _) => self.set(index, Slot::Leaf(value)),
            (Some(rest), Node::Group { children, .. }) => {
                if !matches!(self.slot(index), Some(Slot::Object(_))) {
                    self.set(index, Slot::Object(Object::new(children)));
                }
                if let Some(Some(Slot::Object(inner))) = self.slots.get_mut(index) {
                    inner.set_path(rest, value);
                }
            }
            (Some(_), _) => {}
        }
    }

    /// The slot indices of catalogue key `key` in an object of `entity`, group by group down
    /// to the leaf: what [`Object::set_at`] takes. `None` for a key the tree does not have.
    pub(crate) fn slot_path(entity: Entity, key: &str) -> Option<Vec<usize>> {
        let mut nodes = entity_nodes(entity);
        let mut path = Vec::new();
        let mut parts = key.split('.').peekable();
        while let Some(part) = parts.next() {
            let index = find_child(nodes, part.as_bytes(), 0)?;
            path.push(index);
            match (&nodes[index], parts.peek()) {
                (Node::Group { children, .. }, Some(_)) => nodes = children,
                (Node::Leaf { .. }, None) => return Some(path),
                _ => return None,
            }
        }
        None
    }

    /// Set the leaf at `path` (from [`Object::slot_path`]), making the groups on the way; a
    /// later value for a leaf wins.
    pub(crate) fn set_at(&mut self, path: &[usize], value: Value) {
        let Some((&index, rest)) = path.split_first() else { return };
        if rest.is_empty() {
            return self.set(index, Slot::Leaf(value));
        }
        let Some(Node::Group { children, .. }) = self.nodes.get(index) else { return };
        if !matches!(self.slot(index), Some(Slot::Object(_))) {
            self.set(index, Slot::Object(Object::new(children)));
        }
        if let Some(Some(Slot::Object(inner))) = self.slots.get_mut(index) {
            inner.set_at(rest, value);
        }
    }

    /// Whether the leaf `name` of this object holds a value.
    pub(crate) fn has(&self, name: &str) -> bool {
        find_child(self.nodes, name.as_bytes(), 0).is_some_and(|i| self.slot(i).is_some())
    }

    /// Set the list field `name` to `items`, if there are any.
    pub(crate) fn set_list(&mut self, name: &str, items: Vec<Object>) {
        if let Some(index) =
            find_child(self.nodes, name.as_bytes(), 0).filter(|_| !items.is_empty())
        {
            self.set(index, Slot::List(items));
        }
    }

    /// The model value this object holds (a [`crate::model::Pupil`], an address, a grade).
    pub(crate) fn build<T: DeserializeOwned>(self) -> serde_json::Result<T> {
        T::deserialize(ObjectDe(self))
    }
}

/// The fields of `entity`: the pupil's own, or those of one item of its list.
fn entity_nodes(entity: Entity) -> &'static [Node] {
    let Some(collection) = entity.collection() else { return pupil_tree() };
    pupil_tree()
        .iter()
        .find_map(|node| match node {
            Node::List { name, children, .. } if *name == collection => Some(&children[..]),
            _ => None,
        })
        .unwrap_or_default()
}

/// Deserialises an [`Object`] as a map of its present fields (named by the element tree), so
/// the model's own `Deserialize` impls take the values straight from the slots.
pub(crate) struct ObjectDe(pub(crate) Object);

/// Deserialises a list's items as a sequence.
pub(crate) struct ListDe(Vec<Object>);

impl<'de> de::Deserializer<'de> for ObjectDe {
    type Error = serde_json::Error;

    fn deserialize_any<V: de::Visitor<'de>>(self, visitor: V) -> serde_json::Result<V::Value> {
        let Object { nodes, slots } = self.0;
        visitor.visit_map(ObjectAccess { entries: nodes.iter().zip(slots), value: None })
    }

    fn deserialize_option<V: de::Visitor<'de>>(self, visitor: V) -> serde_json::Result<V::Value> {
        visitor.visit_some(self)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        unit unit_struct newtype_struct seq tuple tuple_struct map struct enum identifier
        ignored_any
    }
}

impl<'de> de::Deserializer<'de> for ListDe {
    type Error = serde_json::Error;

    fn deserialize_any<V: de::Visitor<'de>>(self, visitor: V) -> serde_json::Result<V::Value> {
        visitor.visit_seq(ListAccess(self.0.into_iter()))
    }

    fn deserialize_option<V: de::Visitor<'de>>(self, visitor: V) -> serde_json::Result<V::Value> {
        visitor.visit_some(self)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        unit unit_struct newtype_struct seq tuple tuple_struct map struct enum identifier
        ignored_any
    }
}

pub(crate) struct ObjectAccess {
    /// Every child node with its slot; empty slots are skipped.
    pub(crate) entries:
        std::iter::Zip<std::slice::Iter<'static, Node>, std::vec::IntoIter<Option<Slot>>>,
    pub(crate) value: Option<Slot>,
}

impl<'de> de::MapAccess<'de> for ObjectAccess {
    type Error = serde_json::Error;

    fn next_key_seed<K: de::DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> serde_json::Result<Option<K::Value>> {
        let Some((node, slot)) = self.entries.find_map(|(node, slot)| Some((node, slot?))) else {
            return Ok(None);
        };
        self.value = Some(slot);
        seed.deserialize(de::value::BorrowedStrDeserializer::new(node.name())).map(Some)
    }

    fn next_value_seed<V: de::DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> serde_json::Result<V::Value> {
        match self.value.take() {
            Some(Slot::Leaf(value)) => seed.deserialize(value),
            Some(Slot::Object(object)) => seed.deserialize(ObjectDe(object)),
            Some(Slot::List(items)) => seed.deserialize(ListDe(items)),
            None => Err(de::Error::custom("a map value was asked for before its key")),
        }
    }
}

pub(crate) struct ListAccess(std::vec::IntoIter<Object>);

impl<'de> de::SeqAccess<'de> for ListAccess {
    type Error = serde_json::Error;

    fn next_element_seed<T: de::DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> serde_json::Result<Option<T::Value>> {
        match self.0.next() {
            Some(object) => seed.deserialize(ObjectDe(object)).map(Some),
            None => Ok(None),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.0.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::value::set_path;
    use crate::model::{Address, AddressKind, Guardian, Pupil, Sex};
    use serde_json::Map;

    fn object(entity: Entity, pairs: &[(&str, Value)]) -> Object {
        let mut object = Object::of(entity);
        for (key, value) in pairs {
            object.set_path(key, value.clone());
        }
        object
    }

    fn as_map(pairs: &[(&str, Value)]) -> Map<String, Value> {
        let mut map = Map::new();
        for (key, value) in pairs {
            set_path(&mut map, key, value.clone());
        }
        map
    }

    #[test]
    fn dotted_keys_fill_nested_structs_and_lists_their_items_as_from_value_would() {
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
        let mut pupil = object(Entity::Pupil, &own);
        pupil.set_list("addresses", vec![object(Entity::Address, &address)]);
        pupil.set_list("guardians", vec![object(Entity::Guardian, &guardian)]);
        pupil.set_list("grades", Vec::new());
        let built: Pupil = pupil.build().unwrap();

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
    fn a_slot_path_sets_the_same_field_as_its_key() {
        for (entity, key) in [
            (Entity::Pupil, "enrolment.class_level"),
            (Entity::Pupil, "surname"),
            (Entity::Guardian, "address.town"),
            (Entity::Grade, "subject"),
        ] {
            let (mut by_path, mut by_key) = (Object::of(entity), Object::of(entity));
            by_path.set_at(&Object::slot_path(entity, key).unwrap(), "x".into());
            by_key.set_path(key, "x".into());
            let (a, b): (Value, Value) = (by_path.build().unwrap(), by_key.build().unwrap());
            assert_eq!(a, b, "{key}");
            assert_ne!(a, serde_json::json!({}), "{key} was set");
        }
        assert_eq!(Object::slot_path(Entity::Pupil, "enrolment"), None, "a group is no leaf");
        assert_eq!(Object::slot_path(Entity::Pupil, "surname.x"), None);
        assert_eq!(Object::slot_path(Entity::Pupil, "nickname"), None);
    }

    #[test]
    fn a_later_value_wins_and_a_misfit_value_is_an_error_not_a_guess() {
        let mut address = object(Entity::Address, &[("town", "A".into()), ("town", "B".into())]);
        assert!(address.has("town") && !address.has("kind"));
        address.set_path("no_such_field", "x".into());
        let built: Address = address.build().unwrap();
        assert_eq!(built.town.as_deref(), Some("B"));
        let misfit = object(Entity::Guardian, &[("parental_rights", "maybe".into())]);
        assert!(misfit.build::<Guardian>().is_err());
    }
}
