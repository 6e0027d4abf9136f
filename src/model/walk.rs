//! Walking a typed pupil leaf by leaf along the catalogue tree ([`super::tree`]), without
//! building a JSON map.
//!
//! Writers and stages that want a pupil's values by field — a CSV cell per leaf, an XML
//! element per node — implement [`Visitor`] and call [`walk`]. The walk drives the model's own
//! `Serialize` implementation through a serializer that tracks the tree node each value
//! belongs to, so it sees exactly what serialising the pupil would produce (absent fields and
//! empty lists skipped, dates in ISO form, enum words as written) while allocating nothing per
//! value: a leaf arrives as a borrowed [`Scalar`] with its tree node, which carries the
//! catalogue entry and its index.

use super::tree::{pupil_tree, Node};
use super::Pupil;
use crate::error::{Error, Result};
use serde::ser::{self, Impossible, Serialize};
use std::fmt::{self, Display, Write as _};

/// One leaf value, as the model holds it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Scalar<'a> {
    /// Text, dates (`YYYY-MM-DD`) and enum words (`female`).
    Text(&'a str),
    /// A yes/no value.
    Bool(bool),
    /// A whole number.
    Int(i64),
    /// A number with a fraction.
    Float(f64),
}

impl Scalar<'_> {
    /// Append the value as text, exactly as `model::value::format_leaf` writes its JSON (numbers
    /// in serde_json's shortest round-trip form), so every output reads the same whichever
    /// path wrote it.
    pub fn push_text(&self, out: &mut String) {
        match self {
            Scalar::Text(text) => out.push_str(text),
            Scalar::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Scalar::Int(n) => {
                let _ = write!(out, "{n}");
            }
            Scalar::Float(f) => {
                if let Some(number) = serde_json::Number::from_f64(*f) {
                    let _ = write!(out, "{number}");
                }
            }
        }
    }
}

/// What a walk calls, in model order. Only [`Visitor::leaf`] is required.
pub trait Visitor {
    /// A present leaf (`node` is a [`Node::Leaf`]).
    fn leaf(&mut self, node: &'static Node, value: Scalar<'_>) -> Result<()>;

    /// A present group or non-empty list starts.
    fn enter(&mut self, _node: &'static Node) -> Result<()> {
        Ok(())
    }

    /// The group or list `enter` announced ends.
    fn leave(&mut self, _node: &'static Node) -> Result<()> {
        Ok(())
    }

    /// Item number `index` (from 0) of `list` starts.
    fn enter_item(&mut self, _list: &'static Node, _index: usize) -> Result<()> {
        Ok(())
    }

    /// The item `enter_item` announced ends.
    fn leave_item(&mut self, _list: &'static Node) -> Result<()> {
        Ok(())
    }
}

/// Walk `pupil`'s present values in model order, calling `visitor` for each.
///
/// # Example
///
/// ```
/// use teczka::{walk, Node, Pupil, Result, Scalar, Visitor};
///
/// struct Paths(Vec<String>);
/// impl Visitor for Paths {
///     fn leaf(&mut self, node: &'static Node, value: Scalar<'_>) -> Result<()> {
///         let Node::Leaf { spec, .. } = node else { unreachable!() };
///         let mut text = String::new();
///         value.push_text(&mut text);
///         self.0.push(format!("{}={text}", spec.path));
///         Ok(())
///     }
/// }
/// let pupil = Pupil { id: "P1".into(), surname: Some("Nowak".into()), ..Pupil::default() };
/// let mut paths = Paths(Vec::new());
/// walk(&pupil, &mut paths).unwrap();
/// assert_eq!(paths.0, ["id=P1", "surname=Nowak"]);
/// ```
pub fn walk(pupil: &Pupil, visitor: &mut impl Visitor) -> Result<()> {
    let mut walker = Walker { visitor, scratch: String::new() };
    pupil
        .serialize(Value { walker: &mut walker, target: Target::Item(pupil_tree()) })
        .map_err(|Failure(error)| error)
}

/// The visitor and a reusable buffer for values that serialise through `Display` (dates).
struct Walker<'v, V: Visitor> {
    visitor: &'v mut V,
    scratch: String,
}

/// A walk's error: a visitor's, or a model value the tree does not know (a bug).
#[derive(Debug)]
struct Failure(Error);

impl Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for Failure {}

impl ser::Error for Failure {
    fn custom<T: Display>(msg: T) -> Failure {
        Failure(Error::input("record", msg.to_string()))
    }
}

/// A model value whose shape does not match its tree node: a bug in teczka, never the data.
fn mismatch(node: &str) -> Failure {
    Failure(Error::input(
        "record",
        format!("field `{node}` does not have the shape of the field catalogue: this is a bug in teczka"),
    ))
}

/// The fields of a struct being serialised; `next` is where the search for the next field
/// starts (fields arrive in model order, so it is almost always the first one looked at).
struct Fields<'w, 'v, V: Visitor> {
    walker: &'w mut Walker<'v, V>,
    children: &'static [Node],
    next: usize,
    /// The group being walked, to announce its end.
    group: Option<&'static Node>,
}

impl<V: Visitor> ser::SerializeStruct for Fields<'_, '_, V> {
    type Ok = ();
    type Error = Failure;

    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> std::result::Result<(), Failure> {
        let later = self.children.get(self.next..).unwrap_or_default();
        let found = later
            .iter()
            .position(|n| n.name() == key)
            .map(|p| p + self.next)
            .or_else(|| self.children.iter().position(|n| n.name() == key));
        let Some(position) = found else { return Err(mismatch(key)) };
        self.next = position + 1;
        let node = self.children.get(position).ok_or_else(|| mismatch(key))?;
        value.serialize(Value { walker: &mut *self.walker, target: Target::Node(node) })
    }

    fn end(self) -> std::result::Result<(), Failure> {
        match self.group {
            Some(node) => self.walker.visitor.leave(node).map_err(Failure),
            None => Ok(()),
        }
    }
}

/// The items of a list being serialised.
struct Items<'w, 'v, V: Visitor> {
    walker: &'w mut Walker<'v, V>,
    node: &'static Node,
    children: &'static [Node],
    index: usize,
}

impl<V: Visitor> ser::SerializeSeq for Items<'_, '_, V> {
    type Ok = ();
    type Error = Failure;

    fn serialize_element<T: ?Sized + Serialize>(
        &mut self,
        value: &T,
    ) -> std::result::Result<(), Failure> {
        self.walker.visitor.enter_item(self.node, self.index).map_err(Failure)?;
        value
            .serialize(Value { walker: &mut *self.walker, target: Target::Item(self.children) })?;
        self.index += 1;
        self.walker.visitor.leave_item(self.node).map_err(Failure)
    }

    fn end(self) -> std::result::Result<(), Failure> {
        self.walker.visitor.leave(self.node).map_err(Failure)
    }
}

/// What a value being serialised is: a field described by its tree node, or a struct whose
/// fields are the given nodes (the pupil itself, an item of a list).
#[derive(Clone, Copy)]
enum Target {
    Node(&'static Node),
    Item(&'static [Node]),
}

impl Target {
    fn name(self) -> &'static str {
        match self {
            Target::Node(node) => node.name(),
            Target::Item(_) => "(item)",
        }
    }
}

/// Serialises one value, which `target` describes.
struct Value<'w, 'v, V: Visitor> {
    walker: &'w mut Walker<'v, V>,
    target: Target,
}

impl<V: Visitor> Value<'_, '_, V> {
    fn leaf(self, value: Scalar<'_>) -> std::result::Result<(), Failure> {
        match self.target {
            Target::Node(node @ Node::Leaf { .. }) => {
                self.walker.visitor.leaf(node, value).map_err(Failure)
            }
            other => Err(mismatch(other.name())),
        }
    }
}

/// The serializer methods a model leaf never uses: each is a bug if reached.
macro_rules! never {
    ($($method:ident($($arg:ty),*)),* $(,)?) => {
        $(fn $method(self, $(_: $arg),*) -> std::result::Result<(), Failure> {
            Err(mismatch(self.target.name()))
        })*
    };
}

impl<'w, 'v, V: Visitor> ser::Serializer for Value<'w, 'v, V> {
    type Ok = ();
    type Error = Failure;
    type SerializeSeq = Items<'w, 'v, V>;
    type SerializeTuple = Impossible<(), Failure>;
    type SerializeTupleStruct = Impossible<(), Failure>;
    type SerializeTupleVariant = Impossible<(), Failure>;
    type SerializeMap = Impossible<(), Failure>;
    type SerializeStruct = Fields<'w, 'v, V>;
    type SerializeStructVariant = Impossible<(), Failure>;

    fn serialize_bool(self, v: bool) -> std::result::Result<(), Failure> {
        self.leaf(Scalar::Bool(v))
    }
    fn serialize_i8(self, v: i8) -> std::result::Result<(), Failure> {
        self.leaf(Scalar::Int(v.into()))
    }
    fn serialize_i16(self, v: i16) -> std::result::Result<(), Failure> {
        self.leaf(Scalar::Int(v.into()))
    }
    fn serialize_i32(self, v: i32) -> std::result::Result<(), Failure> {
        self.leaf(Scalar::Int(v.into()))
    }
    fn serialize_i64(self, v: i64) -> std::result::Result<(), Failure> {
        self.leaf(Scalar::Int(v))
    }
    fn serialize_u8(self, v: u8) -> std::result::Result<(), Failure> {
        self.leaf(Scalar::Int(v.into()))
    }
    fn serialize_u16(self, v: u16) -> std::result::Result<(), Failure> {
        self.leaf(Scalar::Int(v.into()))
    }
    fn serialize_u32(self, v: u32) -> std::result::Result<(), Failure> {
        self.leaf(Scalar::Int(v.into()))
    }
    fn serialize_u64(self, v: u64) -> std::result::Result<(), Failure> {
        match i64::try_from(v) {
            Ok(v) => self.leaf(Scalar::Int(v)),
            Err(_) => Err(mismatch(self.target.name())),
        }
    }
    fn serialize_f32(self, v: f32) -> std::result::Result<(), Failure> {
        self.leaf(Scalar::Float(v.into()))
    }
    fn serialize_f64(self, v: f64) -> std::result::Result<(), Failure> {
        self.leaf(Scalar::Float(v))
    }
    fn serialize_char(self, v: char) -> std::result::Result<(), Failure> {
        let mut buffer = [0u8; 4];
        self.leaf(Scalar::Text(v.encode_utf8(&mut buffer)))
    }
    fn serialize_str(self, v: &str) -> std::result::Result<(), Failure> {
        self.leaf(Scalar::Text(v))
    }
    fn serialize_none(self) -> std::result::Result<(), Failure> {
        Ok(())
    }
    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> std::result::Result<(), Failure> {
        value.serialize(self)
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> std::result::Result<(), Failure> {
        self.leaf(Scalar::Text(variant))
    }
    fn collect_str<T: ?Sized + Display>(self, value: &T) -> std::result::Result<(), Failure> {
        // Dates serialise through Display; the buffer is reused, not allocated per value.
        let mut text = std::mem::take(&mut self.walker.scratch);
        text.clear();
        let _ = write!(text, "{value}");
        let result = match self.target {
            Target::Node(node @ Node::Leaf { .. }) => {
                self.walker.visitor.leaf(node, Scalar::Text(&text)).map_err(Failure)
            }
            other => Err(mismatch(other.name())),
        };
        self.walker.scratch = text;
        result
    }

    fn serialize_seq(self, _len: Option<usize>) -> std::result::Result<Items<'w, 'v, V>, Failure> {
        match self.target {
            Target::Node(node @ Node::List { children, .. }) => {
                self.walker.visitor.enter(node).map_err(Failure)?;
                Ok(Items { walker: self.walker, node, children, index: 0 })
            }
            other => Err(mismatch(other.name())),
        }
    }
    fn serialize_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> std::result::Result<Fields<'w, 'v, V>, Failure> {
        match self.target {
            Target::Node(node @ Node::Group { children, .. }) => {
                self.walker.visitor.enter(node).map_err(Failure)?;
                Ok(Fields { walker: self.walker, children, next: 0, group: Some(node) })
            }
            Target::Item(children) => {
                Ok(Fields { walker: self.walker, children, next: 0, group: None })
            }
            other => Err(mismatch(other.name())),
        }
    }

    never!(serialize_bytes(&[u8]), serialize_unit(), serialize_unit_struct(&'static str),);

    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _name: &'static str,
        value: &T,
    ) -> std::result::Result<(), Failure> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> std::result::Result<(), Failure> {
        Err(mismatch(self.target.name()))
    }
    fn serialize_tuple(self, _len: usize) -> std::result::Result<Self::SerializeTuple, Failure> {
        Err(mismatch(self.target.name()))
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> std::result::Result<Self::SerializeTupleStruct, Failure> {
        Err(mismatch(self.target.name()))
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> std::result::Result<Self::SerializeTupleVariant, Failure> {
        Err(mismatch(self.target.name()))
    }
    fn serialize_map(
        self,
        _len: Option<usize>,
    ) -> std::result::Result<Self::SerializeMap, Failure> {
        Err(mismatch(self.target.name()))
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> std::result::Result<Self::SerializeStructVariant, Failure> {
        Err(mismatch(self.target.name()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::value::format_leaf;
    use crate::synth::{Country, Detail, Generator, GeneratorConfig};
    use serde_json::{Map, Value as Json};

    /// Every leaf as `path=text`, list items numbered, plus the structure events.
    #[derive(Default)]
    struct Trace(Vec<String>);

    impl Visitor for Trace {
        fn leaf(&mut self, node: &'static Node, value: Scalar<'_>) -> Result<()> {
            let Node::Leaf { spec, .. } = node else { panic!("a leaf that is no leaf") };
            let mut text = String::new();
            value.push_text(&mut text);
            self.0.push(format!("{}={text}", spec.path));
            Ok(())
        }
        fn enter(&mut self, node: &'static Node) -> Result<()> {
            self.0.push(format!("<{}", node.name()));
            Ok(())
        }
        fn leave(&mut self, node: &'static Node) -> Result<()> {
            self.0.push(format!(">{}", node.name()));
            Ok(())
        }
        fn enter_item(&mut self, list: &'static Node, index: usize) -> Result<()> {
            self.0.push(format!("[{}#{index}", list.name()));
            Ok(())
        }
        fn leave_item(&mut self, list: &'static Node) -> Result<()> {
            self.0.push(format!("]{}", list.name()));
            Ok(())
        }
    }

    /// The same trace made the old way: the pupil as a JSON map, walked along the tree.
    fn trace_of_json(object: &Map<String, Json>, children: &'static [Node], out: &mut Vec<String>) {
        for (key, value) in object {
            let node = children.iter().find(|n| n.name() == key).expect("in the tree");
            match (node, value) {
                (Node::Leaf { spec, .. }, value) => {
                    out.push(format!("{}={}", spec.path, format_leaf(value).unwrap_or_default()));
                }
                (Node::Group { children, .. }, Json::Object(inner)) => {
                    out.push(format!("<{key}"));
                    trace_of_json(inner, children, out);
                    out.push(format!(">{key}"));
                }
                (Node::List { children, .. }, Json::Array(items)) => {
                    out.push(format!("<{key}"));
                    for (index, item) in items.iter().enumerate() {
                        out.push(format!("[{key}#{index}"));
                        trace_of_json(item.as_object().expect("an item"), children, out);
                        out.push(format!("]{key}"));
                    }
                    out.push(format!(">{key}"));
                }
                _ => panic!("{key}: unexpected shape"),
            }
        }
    }

    #[test]
    fn a_walk_sees_exactly_what_serialising_the_pupil_gives() {
        for country in [Country::Pl, Country::Cz] {
            let config = GeneratorConfig { country, detail: Detail::Full, ..Default::default() };
            let generator = Generator::new(config);
            for pupil in generator.iter(0..200) {
                let mut walked = Trace::default();
                walk(&pupil, &mut walked).unwrap();
                let Json::Object(object) = serde_json::to_value(&pupil).unwrap() else {
                    panic!("a pupil is an object")
                };
                let mut expected = Vec::new();
                trace_of_json(&object, pupil_tree(), &mut expected);
                assert_eq!(walked.0, expected, "pupil {}", pupil.id);
            }
        }
    }

    #[test]
    fn a_visitor_error_stops_the_walk_and_comes_back_as_it_was() {
        struct Refuse;
        impl Visitor for Refuse {
            fn leaf(&mut self, _node: &'static Node, _value: Scalar<'_>) -> Result<()> {
                Err(Error::input("out.csv", "disk full"))
            }
        }
        let pupil = Pupil { id: "P1".into(), ..Pupil::default() };
        let error = walk(&pupil, &mut Refuse).unwrap_err().to_string();
        assert!(error.contains("out.csv") && error.contains("disk full"), "{error}");
    }
}
