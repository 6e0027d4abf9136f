//! A pupil as a policy releases it, held typed: the model's shape with fields left out and
//! values replaced by text, and no JSON map.
//!
//! A [`ReleasedPupil`] is the sequence of walk events ([`super::walk::Visitor`]) the released
//! record produces — groups and list items entered and left, present leaves with their values
//! — with the text of every value in one buffer. Writers take it by [`ReleasedPupil::replay`]
//! into the same visitor that writes a typed pupil, so a released record and a record as read
//! are written by one piece of code each, and a release costs two allocations a pupil instead
//! of a map of strings.
//!
//! Groups left with no value are left out, as is a list whose every item is empty (which would
//! otherwise tell how many items there were); an empty item among filled ones stays, as it did
//! in the JSON form.

use super::tree::{node_number, node_numbered, pupil_tree, Node};
use super::walk::{walk, Scalar, Visitor};
use super::Pupil;
use crate::error::{Error, Result};
use serde_json::{Map, Value};
use std::io::Write;

/// A leaf's value as stored: text is a range of the record's text buffer.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Held {
    Text { start: u32, end: u32 },
    Bool(bool),
    Int(i64),
    Float(f64),
}

/// One step of a walk over the released record.
#[derive(Clone, Copy, Debug)]
enum Event {
    Enter(&'static Node),
    Leave(&'static Node),
    EnterItem(&'static Node, usize),
    LeaveItem(&'static Node),
    Leaf(&'static Node, Held),
}

/// A pupil as a policy releases it, held typed: the model's shape with fields left out and
/// values replaced by text. Writers take it by [`ReleasedPupil::replay`] into the visitor that
/// writes a typed pupil.
#[derive(Clone, Debug, Default)]
pub struct ReleasedPupil {
    events: Vec<Event>,
    text: String,
    /// For each open group, list or item: where its enter event is in `events`.
    open: Vec<usize>,
}

impl PartialEq for ReleasedPupil {
    /// Equal when they write the same: same fields, same values, same structure.
    fn eq(&self, other: &ReleasedPupil) -> bool {
        self.to_map() == other.to_map()
    }
}

impl ReleasedPupil {
    /// The pupil released unchanged (every present value kept).
    pub fn of(pupil: &Pupil) -> Result<ReleasedPupil> {
        let mut released = ReleasedPupil::default();
        walk(pupil, &mut released)?;
        Ok(released)
    }

    /// Walk the released record, calling `visitor` as [`walk`] would for a typed pupil.
    pub fn replay(&self, visitor: &mut impl Visitor) -> Result<()> {
        self.replay_events(&self.events, visitor)
    }

    fn replay_events(&self, events: &[Event], visitor: &mut impl Visitor) -> Result<()> {
        for event in events {
            match *event {
                Event::Enter(node) => visitor.enter(node)?,
                Event::Leave(node) => visitor.leave(node)?,
                Event::EnterItem(list, index) => visitor.enter_item(list, index)?,
                Event::LeaveItem(list) => visitor.leave_item(list)?,
                Event::Leaf(node, held) => visitor.leaf(node, self.scalar(held))?,
            }
        }
        Ok(())
    }

    /// The text of a top-level leaf of the pupil (`id`), if it is released.
    pub fn top_level_text(&self, name: &str) -> Option<&str> {
        let mut depth = 0usize;
        for event in &self.events {
            match *event {
                Event::Enter(_) | Event::EnterItem(..) => depth += 1,
                Event::Leave(_) | Event::LeaveItem(_) => depth = depth.saturating_sub(1),
                Event::Leaf(node, held) if depth == 0 && node.name() == name => {
                    return match self.scalar(held) {
                        Scalar::Text(text) => Some(text),
                        _ => None,
                    };
                }
                Event::Leaf(..) => {}
            }
        }
        None
    }

    /// Whether nothing at all is released.
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// The released record as a JSON object of the model's shape.
    pub fn to_map(&self) -> Map<String, Value> {
        let mut builder = MapBuilder { stack: vec![Frame::Object(Map::new())] };
        // Building a map cannot fail; replay only passes on the visitor's errors.
        let _ = self.replay(&mut builder);
        match builder.stack.pop() {
            Some(Frame::Object(map)) => map,
            _ => Map::new(),
        }
    }

    /// A released record from its JSON object (as [`ReleasedPupil::to_map`] makes it, for
    /// callers holding JSON). Keys outside the field catalogue are refused.
    pub fn from_map(object: &Map<String, Value>) -> Result<ReleasedPupil> {
        let mut released = ReleasedPupil::default();
        released.object(pupil_tree(), object)?;
        Ok(released)
    }

    /// Write the record as one JSON object (no newline), keys in model order, values as
    /// serde_json writes them.
    pub fn write_json(&self, out: &mut impl Write) -> std::io::Result<()> {
        self.write_json_of(&self.events, out)
    }

    /// Write `events` (a whole record, or the members of one item) as one JSON object.
    fn write_json_of(&self, events: &[Event], out: &mut impl Write) -> std::io::Result<()> {
        let mut json = JsonOut { out, first: true, error: None };
        let _ = self.replay_events(events, &mut json);
        if let Some(error) = json.error {
            return Err(error);
        }
        json.out.write_all(if json.first { b"{}" } else { b"}" })
    }

    /// The JSON text of `events`, as [`ReleasedPupil::write_json`] writes it.
    fn json_of(&self, events: &[Event]) -> String {
        let mut out = Vec::new();
        // Writing into memory cannot fail, and every value written is UTF-8.
        let _ = self.write_json_of(events, &mut out);
        String::from_utf8(out).unwrap_or_default()
    }

    /// Each item of the pupil's list `list` (`olympiads`) as its JSON text, in order.
    pub fn item_texts(&self, list: &str) -> Vec<String> {
        self.top_level_items(list).into_iter().map(|item| self.json_of(item)).collect()
    }

    /// The members of each item of the pupil's list `list` (the events between its enter
    /// and leave), in order.
    fn top_level_items(&self, list: &str) -> Vec<&[Event]> {
        let mut items = Vec::new();
        let mut depth = 0usize;
        let mut start = None;
        for (at, event) in self.events.iter().enumerate() {
            match *event {
                Event::Enter(_) => depth += 1,
                Event::Leave(_) => depth = depth.saturating_sub(1),
                Event::EnterItem(node, _) => {
                    if depth == 1 && node.name() == list {
                        start = Some(at + 1);
                    }
                    depth += 1;
                }
                Event::LeaveItem(_) => {
                    depth = depth.saturating_sub(1);
                    if let (1, Some(from)) = (depth, start.take()) {
                        items.extend(self.events.get(from..at));
                    }
                }
                Event::Leaf(..) => {}
            }
        }
        items
    }

    /// The same record with the pupil's lists as sets, for a statistics release: each list's
    /// items sorted by their JSON text, repeats and empty items removed, a list left empty
    /// left out.
    pub fn canonical_lists(&self) -> ReleasedPupil {
        let mut out = ReleasedPupil {
            events: Vec::with_capacity(self.events.len()),
            text: String::with_capacity(self.text.len()),
            open: Vec::new(),
        };
        let mut at = 0;
        while let Some(&event) = self.events.get(at) {
            match event {
                // Only the pupil's own lists: nothing is open in `out` at the top level.
                Event::Enter(list @ Node::List { .. }) if out.open.is_empty() => {
                    out.push_as_set(self, list);
                    at = self.end_of(at).unwrap_or(self.events.len()) + 1;
                }
                _ => {
                    out.copy_event(self, event);
                    at += 1;
                }
            }
        }
        out
    }

    /// Append the pupil's list `list` of `from` as a set: items sorted by their JSON text,
    /// repeats and empty items removed (a list left empty is left out by `push_leave`).
    fn push_as_set(&mut self, from: &ReleasedPupil, list: &'static Node) {
        let mut items: Vec<(String, &[Event])> = from
            .top_level_items(list.name())
            .into_iter()
            .filter(|item| item.iter().any(|e| matches!(e, Event::Leaf(..))))
            .map(|item| (from.json_of(item), item))
            .collect();
        items.sort_by(|a, b| a.0.cmp(&b.0));
        items.dedup_by(|a, b| a.0 == b.0);
        self.push_enter(list);
        for (index, (_, item)) in items.into_iter().enumerate() {
            self.push_enter_item(list, index);
            for event in item {
                self.copy_event(from, *event);
            }
            self.push_leave_item(list);
        }
        self.push_leave(list);
    }

    /// Where the group or list entered at `start` is left.
    fn end_of(&self, start: usize) -> Option<usize> {
        let mut depth = 0usize;
        for (at, event) in self.events.iter().enumerate().skip(start) {
            match event {
                Event::Enter(_) | Event::EnterItem(..) => depth += 1,
                Event::Leave(_) | Event::LeaveItem(_) => {
                    depth -= 1;
                    if depth == 0 {
                        return Some(at);
                    }
                }
                Event::Leaf(..) => {}
            }
        }
        None
    }

    /// Append `event` of `from`, its text copied into this record's buffer.
    fn copy_event(&mut self, from: &ReleasedPupil, event: Event) {
        match event {
            Event::Enter(node) => self.push_enter(node),
            Event::Leave(node) => self.push_leave(node),
            Event::EnterItem(list, index) => self.push_enter_item(list, index),
            Event::LeaveItem(list) => self.push_leave_item(list),
            Event::Leaf(node, held) => self.push_leaf(node, from.scalar(held)),
        }
    }

    /// Append the record in a compact binary form to `out`, for this run's own temporary
    /// files (the anonymisation spill): nodes by their number in the field tree, the text in
    /// one piece. [`ReleasedPupil::decode`] reads it back.
    pub(crate) fn encode(&self, out: &mut Vec<u8>) {
        put_u32(out, self.events.len() as u32);
        for event in &self.events {
            let (tag, node) = match *event {
                Event::Enter(node) => (0, node),
                Event::Leave(node) => (1, node),
                Event::EnterItem(node, _) => (2, node),
                Event::LeaveItem(node) => (3, node),
                Event::Leaf(node, Held::Text { .. }) => (4, node),
                Event::Leaf(node, Held::Bool(_)) => (5, node),
                Event::Leaf(node, Held::Int(_)) => (6, node),
                Event::Leaf(node, Held::Float(_)) => (7, node),
            };
            out.push(tag);
            out.extend_from_slice(&node_number(node).to_le_bytes());
            match *event {
                Event::EnterItem(_, index) => put_u32(out, index as u32),
                Event::Leaf(_, Held::Text { start, end }) => {
                    put_u32(out, start);
                    put_u32(out, end);
                }
                Event::Leaf(_, Held::Bool(b)) => out.push(u8::from(b)),
                Event::Leaf(_, Held::Int(n)) => out.extend_from_slice(&n.to_le_bytes()),
                Event::Leaf(_, Held::Float(f)) => out.extend_from_slice(&f.to_bits().to_le_bytes()),
                _ => {}
            }
        }
        put_str(out, &self.text);
    }

    /// Read back a record [`ReleasedPupil::encode`] wrote at the start of `bytes`, and move
    /// `bytes` past it. Damaged input is an error, never a panic.
    pub(crate) fn decode(bytes: &mut &[u8]) -> Result<ReleasedPupil> {
        let count = take_u32(bytes)? as usize;
        let mut events = Vec::with_capacity(count.min(bytes.len()));
        for _ in 0..count {
            let tag = take(bytes, 1)?[0];
            let number = u16::from_le_bytes(take_array(bytes)?);
            let node = node_numbered(number).ok_or_else(damaged)?;
            events.push(match tag {
                0 => Event::Enter(node),
                1 => Event::Leave(node),
                2 => Event::EnterItem(node, take_u32(bytes)? as usize),
                3 => Event::LeaveItem(node),
                4 => {
                    Event::Leaf(node, Held::Text { start: take_u32(bytes)?, end: take_u32(bytes)? })
                }
                5 => Event::Leaf(node, Held::Bool(take(bytes, 1)?[0] != 0)),
                6 => Event::Leaf(node, Held::Int(i64::from_le_bytes(take_array(bytes)?))),
                7 => Event::Leaf(
                    node,
                    Held::Float(f64::from_bits(u64::from_le_bytes(take_array(bytes)?))),
                ),
                _ => return Err(damaged()),
            });
        }
        let text = take_str(bytes)?;
        Ok(ReleasedPupil { events, text, open: Vec::new() })
    }

    /// Call `f` on every present leaf in record order, with the other fields of its item.
    pub fn each_leaf(
        &self,
        mut f: impl FnMut(&'static Node, Scalar<'_>, &Siblings<'_>) -> Result<()>,
    ) -> Result<()> {
        let mut scopes: Vec<usize> = Vec::new();
        for (at, event) in self.events.iter().enumerate() {
            match *event {
                Event::Enter(_) | Event::EnterItem(..) => scopes.push(at),
                Event::Leave(_) | Event::LeaveItem(_) => {
                    scopes.pop();
                }
                Event::Leaf(node, held) => {
                    let siblings = Siblings { record: self, scope: scopes.last().copied() };
                    f(node, self.scalar(held), &siblings)?;
                }
            }
        }
        Ok(())
    }

    /// A new release made by `change` deciding each present leaf's fate (in record order,
    /// with the leaf's siblings as they are here). Groups and lists left empty are left out.
    pub fn rebuild(
        &self,
        mut change: impl FnMut(&'static Node, Scalar<'_>, &Siblings<'_>) -> Result<Change>,
    ) -> Result<ReleasedPupil> {
        let mut out =
            ReleasedPupil { events: Vec::with_capacity(self.events.len()), ..Default::default() };
        out.text.reserve(self.text.len());
        let mut scopes: Vec<usize> = Vec::new();
        for (at, event) in self.events.iter().enumerate() {
            match *event {
                Event::Enter(node) => {
                    scopes.push(at);
                    out.push_enter(node);
                }
                Event::Leave(node) => {
                    scopes.pop();
                    out.push_leave(node);
                }
                Event::EnterItem(list, index) => {
                    scopes.push(at);
                    out.push_enter_item(list, index);
                }
                Event::LeaveItem(list) => {
                    scopes.pop();
                    out.push_leave_item(list);
                }
                Event::Leaf(node, held) => {
                    let value = self.scalar(held);
                    let siblings = Siblings { record: self, scope: scopes.last().copied() };
                    match change(node, value, &siblings)? {
                        Change::Keep => out.push_leaf(node, value),
                        Change::Drop => {}
                        Change::Replace(text) => out.push_leaf(node, Scalar::Text(&text)),
                    }
                }
            }
        }
        Ok(out)
    }

    fn scalar(&self, held: Held) -> Scalar<'_> {
        match held {
            Held::Text { start, end } => {
                Scalar::Text(self.text.get(start as usize..end as usize).unwrap_or_default())
            }
            Held::Bool(b) => Scalar::Bool(b),
            Held::Int(n) => Scalar::Int(n),
            Held::Float(f) => Scalar::Float(f),
        }
    }

    fn hold(&mut self, value: Scalar<'_>) -> Held {
        match value {
            Scalar::Text(text) => {
                let start = self.text.len() as u32;
                self.text.push_str(text);
                Held::Text { start, end: self.text.len() as u32 }
            }
            Scalar::Bool(b) => Held::Bool(b),
            Scalar::Int(n) => Held::Int(n),
            Scalar::Float(f) => Held::Float(f),
        }
    }

    // Building, in walk order. A release calls these as it walks the pupil.

    /// Add a present leaf.
    pub fn push_leaf(&mut self, node: &'static Node, value: Scalar<'_>) {
        let held = self.hold(value);
        self.events.push(Event::Leaf(node, held));
    }

    /// Open a group or list.
    pub fn push_enter(&mut self, node: &'static Node) {
        self.open.push(self.events.len());
        self.events.push(Event::Enter(node));
    }

    /// Close the group or list last opened. A group holding nothing, or a list none of whose
    /// items holds anything, is taken out again.
    pub fn push_leave(&mut self, node: &'static Node) {
        let start = self.open.pop().unwrap_or(0);
        let holds_a_value = self
            .events
            .get(start..)
            .is_some_and(|s| s.iter().any(|e| matches!(e, Event::Leaf(..))));
        if holds_a_value {
            self.events.push(Event::Leave(node));
        } else {
            self.events.truncate(start);
        }
    }

    /// Open item `index` of `list`.
    pub fn push_enter_item(&mut self, list: &'static Node, index: usize) {
        self.events.push(Event::EnterItem(list, index));
    }

    /// Close the item last opened (kept even when empty; see the module documentation).
    pub fn push_leave_item(&mut self, list: &'static Node) {
        self.events.push(Event::LeaveItem(list));
    }

    fn object(&mut self, children: &'static [Node], object: &Map<String, Value>) -> Result<()> {
        for key in object.keys() {
            if !children.iter().any(|n| n.name() == key) {
                return Err(unknown(key));
            }
        }
        for node in children {
            let Some(value) = object.get(node.name()).filter(|v| !v.is_null()) else { continue };
            match (node, value) {
                (Node::Group { children, .. }, Value::Object(inner)) => {
                    self.push_enter(node);
                    self.object(children, inner)?;
                    self.push_leave(node);
                }
                (Node::List { children, .. }, Value::Array(items)) => {
                    self.push_enter(node);
                    for (index, item) in items.iter().enumerate() {
                        let Value::Object(item) = item else { return Err(unknown(node.name())) };
                        self.push_enter_item(node, index);
                        self.object(children, item)?;
                        self.push_leave_item(node);
                    }
                    self.push_leave(node);
                }
                (Node::Leaf { .. }, leaf) => {
                    let scalar = match leaf {
                        Value::String(s) => Scalar::Text(s),
                        Value::Bool(b) => Scalar::Bool(*b),
                        Value::Number(n) => match n.as_i64() {
                            Some(i) => Scalar::Int(i),
                            None => Scalar::Float(n.as_f64().unwrap_or_default()),
                        },
                        _ => return Err(unknown(node.name())),
                    };
                    self.push_leaf(node, scalar);
                }
                _ => return Err(unknown(node.name())),
            }
        }
        Ok(())
    }
}

/// What a release does with one present leaf.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    /// Release the value as it is.
    Keep,
    /// Leave the field out.
    Drop,
    /// Release this text instead.
    Replace(String),
}

/// The other fields of the item (or group, or the pupil itself) a leaf belongs to, as an
/// address ladder reads them.
pub struct Siblings<'r> {
    record: &'r ReleasedPupil,
    /// The enter event of the leaf's group or item; `None` for the pupil's own fields.
    scope: Option<usize>,
}

impl Siblings<'_> {
    /// The text of sibling field `name`, `None` when absent or empty.
    pub fn text(&self, name: &str) -> Option<String> {
        let start = self.scope.map_or(0, |s| s + 1);
        let mut depth = 0usize;
        for event in self.record.events.get(start..).unwrap_or_default() {
            match *event {
                Event::Enter(_) | Event::EnterItem(..) => depth += 1,
                Event::Leave(_) | Event::LeaveItem(_) if depth == 0 => return None,
                Event::Leave(_) | Event::LeaveItem(_) => depth -= 1,
                Event::Leaf(node, held) if depth == 0 && node.name() == name => {
                    let mut text = String::new();
                    self.record.scalar(held).push_text(&mut text);
                    return (!text.is_empty()).then_some(text);
                }
                Event::Leaf(..) => {}
            }
        }
        None
    }
}

/// Append `n` in the binary form's byte order.
pub(crate) fn put_u32(out: &mut Vec<u8>, n: u32) {
    out.extend_from_slice(&n.to_le_bytes());
}

/// Append `text`, its length first.
pub(crate) fn put_str(out: &mut Vec<u8>, text: &str) {
    put_u32(out, text.len() as u32);
    out.extend_from_slice(text.as_bytes());
}

/// A text [`put_str`] wrote, moving past it.
pub(crate) fn take_str(bytes: &mut &[u8]) -> Result<String> {
    let length = take_u32(bytes)? as usize;
    String::from_utf8(take(bytes, length)?.to_vec()).map_err(|_| damaged())
}

/// A number written as eight little-endian bytes, moving past it.
pub(crate) fn take_u64(bytes: &mut &[u8]) -> Result<u64> {
    take_array(bytes).map(u64::from_le_bytes)
}

/// The first `n` bytes of `bytes`, moving past them.
pub(crate) fn take<'b>(bytes: &mut &'b [u8], n: usize) -> Result<&'b [u8]> {
    if bytes.len() < n {
        return Err(damaged());
    }
    let (head, rest) = bytes.split_at(n);
    *bytes = rest;
    Ok(head)
}

fn take_array<const N: usize>(bytes: &mut &[u8]) -> Result<[u8; N]> {
    take(bytes, N)?.try_into().map_err(|_| damaged())
}

/// A number [`put_u32`] wrote, moving past it.
pub(crate) fn take_u32(bytes: &mut &[u8]) -> Result<u32> {
    take_array(bytes).map(u32::from_le_bytes)
}

/// A record of this run's temporary file that does not read back.
fn damaged() -> Error {
    Error::input(
        "temporary spill file",
        "a record written to the run's temporary file does not read back: the file was changed \
         while teczka ran, or this is a bug in teczka; run again",
    )
}

fn unknown(key: &str) -> Error {
    Error::input(
        "released record",
        format!(
            "field `{key}` does not have the shape of the field catalogue: this is a bug in teczka"
        ),
    )
}

/// Recording a walk is the unchanged release.
impl Visitor for ReleasedPupil {
    fn leaf(&mut self, node: &'static Node, value: Scalar<'_>) -> Result<()> {
        self.push_leaf(node, value);
        Ok(())
    }

    fn enter(&mut self, node: &'static Node) -> Result<()> {
        self.push_enter(node);
        Ok(())
    }

    fn leave(&mut self, node: &'static Node) -> Result<()> {
        self.push_leave(node);
        Ok(())
    }

    fn enter_item(&mut self, list: &'static Node, index: usize) -> Result<()> {
        self.push_enter_item(list, index);
        Ok(())
    }

    fn leave_item(&mut self, list: &'static Node) -> Result<()> {
        self.push_leave_item(list);
        Ok(())
    }
}

/// The JSON value of a scalar, as serde_json holds it.
fn scalar_value(value: Scalar<'_>) -> Value {
    match value {
        Scalar::Text(text) => Value::String(text.to_string()),
        Scalar::Bool(b) => Value::Bool(b),
        Scalar::Int(n) => Value::from(n),
        Scalar::Float(f) => serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number),
    }
}

enum Frame {
    Object(Map<String, Value>),
    Array(Vec<Value>),
}

/// Builds the JSON object of a replayed record.
struct MapBuilder {
    stack: Vec<Frame>,
}

impl MapBuilder {
    fn put(&mut self, name: &str, value: Value) {
        if let Some(Frame::Object(map)) = self.stack.last_mut() {
            map.insert(name.to_string(), value);
        }
    }
}

impl Visitor for MapBuilder {
    fn leaf(&mut self, node: &'static Node, value: Scalar<'_>) -> Result<()> {
        self.put(node.name(), scalar_value(value));
        Ok(())
    }

    fn enter(&mut self, node: &'static Node) -> Result<()> {
        self.stack.push(match node {
            Node::List { .. } => Frame::Array(Vec::new()),
            _ => Frame::Object(Map::new()),
        });
        Ok(())
    }

    fn leave(&mut self, node: &'static Node) -> Result<()> {
        let value = match self.stack.pop() {
            Some(Frame::Object(map)) => Value::Object(map),
            Some(Frame::Array(items)) => Value::Array(items),
            None => return Ok(()),
        };
        self.put(node.name(), value);
        Ok(())
    }

    fn enter_item(&mut self, _list: &'static Node, _index: usize) -> Result<()> {
        self.stack.push(Frame::Object(Map::new()));
        Ok(())
    }

    fn leave_item(&mut self, _list: &'static Node) -> Result<()> {
        if let Some(Frame::Object(item)) = self.stack.pop() {
            if let Some(Frame::Array(items)) = self.stack.last_mut() {
                items.push(Value::Object(item));
            }
        }
        Ok(())
    }
}

/// Writes a replayed record as JSON text. `first` is whether the open object or array has
/// had no member yet; the record's own `{` is written before the first member.
struct JsonOut<'o, W: Write> {
    out: &'o mut W,
    first: bool,
    error: Option<std::io::Error>,
}

impl<W: Write> JsonOut<'_, W> {
    fn begin_member(&mut self, name: Option<&str>) -> std::io::Result<()> {
        self.out.write_all(if self.first { b"{" } else { b"," })?;
        self.first = false;
        if let Some(name) = name {
            serde_json::to_writer(&mut *self.out, name)?;
            self.out.write_all(b":")?;
        }
        Ok(())
    }

    fn attempt(&mut self, f: impl FnOnce(&mut Self) -> std::io::Result<()>) -> Result<()> {
        if self.error.is_none() {
            if let Err(e) = f(self) {
                self.error = Some(e);
            }
        }
        Ok(())
    }
}

impl<W: Write> Visitor for JsonOut<'_, W> {
    fn leaf(&mut self, node: &'static Node, value: Scalar<'_>) -> Result<()> {
        self.attempt(|json| {
            json.begin_member(Some(node.name()))?;
            match value {
                Scalar::Text(text) => serde_json::to_writer(&mut *json.out, text)?,
                Scalar::Bool(b) => serde_json::to_writer(&mut *json.out, &b)?,
                Scalar::Int(n) => serde_json::to_writer(&mut *json.out, &n)?,
                Scalar::Float(f) => serde_json::to_writer(&mut *json.out, &f)?,
            }
            Ok(())
        })
    }

    fn enter(&mut self, node: &'static Node) -> Result<()> {
        self.attempt(|json| {
            json.begin_member(Some(node.name()))?;
            if matches!(node, Node::List { .. }) {
                json.out.write_all(b"[")?;
            }
            json.first = true;
            Ok(())
        })
    }

    fn leave(&mut self, node: &'static Node) -> Result<()> {
        self.attempt(|json| {
            let empty_group = json.first && !matches!(node, Node::List { .. });
            if empty_group {
                json.out.write_all(b"{")?;
            }
            json.out.write_all(if matches!(node, Node::List { .. }) { b"]" } else { b"}" })?;
            json.first = false;
            Ok(())
        })
    }

    fn enter_item(&mut self, _list: &'static Node, index: usize) -> Result<()> {
        self.attempt(|json| {
            if index > 0 {
                json.out.write_all(b",")?;
            }
            json.first = true;
            Ok(())
        })
    }

    fn leave_item(&mut self, _list: &'static Node) -> Result<()> {
        self.attempt(|json| {
            if json.first {
                json.out.write_all(b"{")?;
            }
            json.out.write_all(b"}")?;
            json.first = false;
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Address, Guardian};
    use crate::synth::{Country, Detail, Generator, GeneratorConfig};

    fn generated() -> Vec<Pupil> {
        let mut pupils = Vec::new();
        for country in [Country::Pl, Country::Cz] {
            let config = GeneratorConfig { country, detail: Detail::Full, ..Default::default() };
            pupils.extend(Generator::new(config).iter(0..50));
        }
        pupils
    }

    fn json(released: &ReleasedPupil) -> String {
        let mut out = Vec::new();
        released.write_json(&mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn a_kept_pupil_is_the_json_object_serde_makes_of_it_byte_for_byte() {
        for pupil in generated() {
            let released = ReleasedPupil::of(&pupil).unwrap();
            let Value::Object(expected) = serde_json::to_value(&pupil).unwrap() else { panic!() };
            assert_eq!(released.to_map(), expected, "pupil {}", pupil.id);
            assert_eq!(json(&released), serde_json::to_string(&expected).unwrap());
        }
    }

    #[test]
    fn the_json_form_reads_back_into_the_same_release() {
        for pupil in generated() {
            let released = ReleasedPupil::of(&pupil).unwrap();
            let back = ReleasedPupil::from_map(&released.to_map()).unwrap();
            assert_eq!(json(&back), json(&released));
        }
        let mut stray = Map::new();
        stray.insert("nickname".into(), Value::from("Kuba"));
        let err = ReleasedPupil::from_map(&stray).unwrap_err().to_string();
        assert!(err.contains("`nickname`") && err.contains("bug"), "{err}");
    }

    #[test]
    fn the_binary_form_reads_back_into_the_same_release_and_damage_is_an_error() {
        let mut bytes = Vec::new();
        let released: Vec<ReleasedPupil> =
            generated().iter().map(|p| ReleasedPupil::of(p).unwrap()).collect();
        for record in &released {
            record.encode(&mut bytes);
        }
        let mut rest = &bytes[..];
        for record in &released {
            let back = ReleasedPupil::decode(&mut rest).unwrap();
            assert_eq!(json(&back), json(record));
            assert_eq!(back.events.len(), record.events.len());
        }
        assert!(rest.is_empty());
        let mut one = Vec::new();
        released[0].encode(&mut one);
        for cut in [0, 1, 5, one.len() / 2, one.len() - 1] {
            let err = ReleasedPupil::decode(&mut &one[..cut]).unwrap_err().to_string();
            assert!(err.contains("does not read back"), "{err}");
        }
        let mut wrong_node = one.clone();
        wrong_node[5..7].copy_from_slice(&u16::MAX.to_le_bytes());
        assert!(ReleasedPupil::decode(&mut &wrong_node[..]).is_err());
    }

    /// Lists as sets, the way the JSON form made them: items sorted by their JSON text,
    /// repeats and empty items removed, a list left empty removed.
    fn canonical_map(mut record: Map<String, Value>) -> Map<String, Value> {
        let mut emptied = Vec::new();
        for (key, value) in record.iter_mut() {
            let Value::Array(items) = value else { continue };
            let mut texts: Vec<(String, Value)> = items
                .drain(..)
                .filter(|item| !item.as_object().is_some_and(Map::is_empty))
                .map(|item| (item.to_string(), item))
                .collect();
            texts.sort_by(|a, b| a.0.cmp(&b.0));
            texts.dedup_by(|a, b| a.0 == b.0);
            items.extend(texts.into_iter().map(|(_, item)| item));
            if items.is_empty() {
                emptied.push(key.clone());
            }
        }
        for key in emptied {
            record.shift_remove(&key);
        }
        record
    }

    #[test]
    fn lists_as_sets_are_what_the_json_form_made_of_them_and_items_read_as_json() {
        let mut pupils = generated();
        // Repeats and empty items, which the set form removes.
        let repeat = pupils[0].guardians[0].clone();
        pupils[0].guardians.push(repeat);
        pupils[0].guardians.insert(0, Guardian::default());
        pupils[1].addresses = vec![Address::default()];
        for pupil in &pupils {
            let released = ReleasedPupil::of(pupil).unwrap();
            let canonical = released.canonical_lists();
            assert_eq!(canonical.to_map(), canonical_map(released.to_map()), "pupil {}", pupil.id);
            let Value::Object(map) = serde_json::to_value(pupil).unwrap() else { panic!() };
            let items: Vec<String> = match map.get("guardians") {
                Some(Value::Array(items)) => items.iter().map(Value::to_string).collect(),
                _ => Vec::new(),
            };
            assert_eq!(released.item_texts("guardians"), items);
        }
        assert_eq!(pupils[0].guardians.len(), 4);
        let guardians = ReleasedPupil::of(&pupils[0]).unwrap().canonical_lists();
        assert_eq!(guardians.item_texts("guardians").len(), 2, "an empty item and a repeat gone");
        let addresses = ReleasedPupil::of(&pupils[1]).unwrap().canonical_lists();
        assert!(addresses.item_texts("addresses").is_empty());
        assert!(!json(&addresses).contains("addresses"), "a list left empty is left out");
    }

    #[test]
    fn empty_groups_and_lists_of_empty_items_are_left_out_but_an_empty_item_among_others_stays() {
        let pupil = Pupil {
            id: "P1".into(),
            guardians: vec![Guardian::default(), Guardian::default()],
            addresses: vec![
                Address::default(),
                Address { town: Some("Brno".into()), ..Address::default() },
            ],
            enrolment: Some(Default::default()),
            ..Pupil::default()
        };
        let released = ReleasedPupil::of(&pupil).unwrap();
        assert_eq!(json(&released), r#"{"id":"P1","addresses":[{},{"town":"Brno"}]}"#);
        let dropped = released.rebuild(|_, _, _| Ok(Change::Drop)).unwrap();
        assert!(dropped.is_empty());
        assert_eq!(json(&dropped), "{}");
    }

    #[test]
    fn a_leaf_sees_the_siblings_of_its_own_item_as_they_were() {
        let address = |town: &str, commune: &str| Address {
            town: Some(town.into()),
            commune: Some(commune.into()),
            ..Address::default()
        };
        let pupil = Pupil {
            id: "P1".into(),
            surname: Some("Nowak".into()),
            addresses: vec![address("Gózd", "Gózd gm."), address("Brno", "Brno-město")],
            ..Pupil::default()
        };
        let released = ReleasedPupil::of(&pupil).unwrap();
        let mut seen = Vec::new();
        let rebuilt = released
            .rebuild(|node, _, siblings| {
                Ok(match node.name() {
                    "town" => {
                        seen.push((siblings.text("commune"), siblings.text("surname")));
                        Change::Replace(siblings.text("commune").unwrap_or_default())
                    }
                    "commune" => Change::Drop,
                    _ => Change::Keep,
                })
            })
            .unwrap();
        assert_eq!(
            seen,
            [(Some("Gózd gm.".into()), None), (Some("Brno-město".into()), None)],
            "siblings come from the leaf's own item, not the pupil or another item"
        );
        assert_eq!(
            json(&rebuilt),
            r#"{"id":"P1","surname":"Nowak","addresses":[{"town":"Gózd gm."},{"town":"Brno-město"}]}"#
        );
        assert_eq!(rebuilt.top_level_text("id"), Some("P1"));
        assert_eq!(rebuilt.top_level_text("town"), None, "only the pupil's own fields");
    }
}
