//! Handing a built object to serde without a `serde_json::Map` in between.

use super::build::{Object, Slot};
use crate::model::tree::Node;
use serde::de;

/// Deserialises an [`Object`] as a map of its present fields (named by the element tree), so
/// the model's own `Deserialize` impls take the values straight from the slots.
pub(super) struct ObjectDe(pub(super) Object);

/// Deserialises a list's items as a sequence.
pub(super) struct ListDe(Vec<Object>);

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

pub(super) struct ObjectAccess {
    /// Every child node with its slot; empty slots are skipped.
    pub(super) entries:
        std::iter::Zip<std::slice::Iter<'static, Node>, std::vec::IntoIter<Option<Slot>>>,
    pub(super) value: Option<Slot>,
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

pub(super) struct ListAccess(std::vec::IntoIter<Object>);

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
