//! One object of the model (the pupil, a nested struct, a list item) assembled from a
//! reader's values, and handed to the model's own `Deserialize` without a `serde_json::Map`.
//!
//! The XML reader builds these from elements, whose order and nesting it only learns as it
//! reads (table readers, whose columns are known up front, fill the model from a compiled
//! shape instead: `read::fill`). Slots are indexed by position in the static field tree, so
//! setting a field costs no hashing and no key allocation.

use super::fill::{offered_and_forwarded, CellDe};
use crate::model::tree::Node;
use crate::model::value::Cell;
use serde::de;

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
    Leaf(Cell<'static>),
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

    offered_and_forwarded!();
}

impl<'de> de::Deserializer<'de> for ListDe {
    type Error = serde_json::Error;

    fn deserialize_any<V: de::Visitor<'de>>(self, visitor: V) -> serde_json::Result<V::Value> {
        visitor.visit_seq(ListAccess(self.0.into_iter()))
    }

    offered_and_forwarded!();
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
            Some(Slot::Leaf(value)) => seed.deserialize(CellDe(value)),
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
