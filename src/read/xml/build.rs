//! Building one pupil from its element's events.

use super::tap::utf8;
use super::{Limits, ROOT};
use crate::model::fields::{fields, join, FieldSpec, ValueKind};
use crate::model::record::Rule;
use crate::model::tree::{pupil_tree, Node};
use crate::model::value::{parse_cell, Cell};
use crate::model::{Entity, Pupil};
use crate::read::object::{find_child, Object, ObjectDe, Slot};
use serde::Deserialize;

/// What the element being read is, in the pupil's shape.
pub(super) enum Frame {
    /// The pupil, a nested struct or a list item: holds fields.
    Object {
        /// Catalogue path prefix of its fields (`""` for the pupil, `guardians[]`).
        path: &'static str,
        /// The fields read so far.
        object: Object,
        /// Where the object goes when it closes.
        home: Home,
        /// Where the search for the next child element starts: elements usually come in
        /// catalogue order, so this makes the lookup one comparison in the common case.
        next: usize,
    },
    /// A list's wrapper element: holds item elements.
    List {
        item: &'static str,
        children: &'static [Node],
        path: &'static str,
        /// Index of the list in the enclosing object's children.
        index: usize,
        items: Vec<Object>,
    },
    /// A leaf field: collects text.
    Leaf {
        spec: &'static FieldSpec,
        /// Index of the field in the enclosing object's children.
        index: usize,
        text: String,
        line: u64,
        too_long: bool,
        nested: bool,
    },
    /// An element already reported (unknown, or inside a leaf): its content is skipped.
    Skip,
}

/// Where a closed object is stored.
#[derive(Clone, Copy)]
pub(super) enum Home {
    /// It is the record's own element.
    Root,
    /// A nested struct: the slot at this index of the enclosing object.
    Field(usize),
    /// A list item: appended to the enclosing list.
    Item,
}

/// Assembles one pupil generically from the element tree, then deserialises it, so the XML
/// code never names a model field.
pub(super) struct Builder {
    pub(super) frames: Vec<Frame>,
    /// The record's own object once its element has closed.
    pub(super) root: Option<Object>,
    pub(super) problems: Vec<(String, Rule, String)>,
    pub(super) max_field_bytes: usize,
    pub(super) max_list_items: usize,
    /// Set when the pupil passed a size limit: everything read so far is dropped, the rest of
    /// the element is only read past, and the record is rejected with this reason.
    pub(super) too_large: Option<(String, String)>,
    /// The pupil's id, kept when the rest is dropped, to name the rejected record.
    pub(super) id: String,
    pub(super) is_pupil: bool,
    /// A leaf's text buffer, kept for the next leaf: `parse_leaf` copies what it keeps, so one
    /// allocation serves every leaf of the record.
    pub(super) spare: String,
}

impl Builder {
    pub(super) fn pupil(limits: &Limits, line: u64, attributes: &[String]) -> Builder {
        let mut builder = Builder {
            frames: vec![Frame::Object {
                path: "",
                object: Object::new(pupil_tree()),
                home: Home::Root,
                next: 0,
            }],
            root: None,
            problems: Vec::new(),
            max_field_bytes: limits.max_field_bytes,
            max_list_items: limits.max_list_items,
            too_large: None,
            id: String::new(),
            is_pupil: true,
            spare: String::new(),
        };
        builder.report_attributes("", attributes, line);
        builder
    }

    /// A child of the root that is not a pupil: read to its end and rejected whole.
    pub(super) fn other(qname: &str, line: u64, limits: &Limits) -> Builder {
        Builder {
            frames: vec![Frame::Skip],
            root: None,
            problems: vec![(
                qname.to_string(),
                Rule::UnknownField,
                format!(
                    "element `<{qname}>` at line {line} is not a `<pupil>` element: a `<{ROOT}>` \
                     document holds pupils only; remove it or turn it into a pupil"
                ),
            )],
            max_field_bytes: 0,
            max_list_items: limits.max_list_items,
            too_large: None,
            id: String::new(),
            is_pupil: false,
            spare: String::new(),
        }
    }

    pub(super) fn report(&mut self, field: String, rule: Rule, message: String) {
        if self.too_large.is_some() {
            return;
        }
        if self.problems.len() >= self.max_list_items {
            let message = format!(
                "more than {} problems in one pupil: the pupil is rejected unread; raise \
                 --max-list-items if the file is trusted",
                self.max_list_items
            );
            self.too_large(String::new(), message);
            return;
        }
        self.problems.push((field, rule, message));
    }

    /// Give up building the pupil: drop what was read (keeping the id), read the rest of the
    /// element past, and reject the record for `message`.
    pub(super) fn too_large(&mut self, field: String, message: String) {
        if self.too_large.is_some() {
            return;
        }
        if let Some(Frame::Object { object, .. }) = self.frames.first() {
            let id = pupil_tree().iter().position(|n| n.name() == "id");
            if let Some(Slot::Leaf(Cell::Owned(id))) = id.and_then(|i| object.slot(i)) {
                self.id = id.clone();
            }
        }
        for frame in &mut self.frames {
            *frame = Frame::Skip;
        }
        self.root = None;
        self.too_large = Some((field, message));
    }

    pub(super) fn report_attributes(&mut self, path: &str, attributes: &[String], line: u64) {
        for name in attributes {
            let element = if path.is_empty() { "pupil" } else { path };
            self.report(
                format!("{path}@{name}"),
                Rule::UnknownField,
                format!(
                    "attribute `{name}` on `{element}` at line {line} is not part of the model \
                     (fields are elements, never attributes): move it into a field or remove it"
                ),
            );
        }
    }

    /// The frame of an element opened inside a list (`path`, `count` items so far): an item
    /// (`is_item`), unless the list is full; anything else is unknown.
    fn open_in_list(
        &mut self,
        is_item: bool,
        children: &'static [Node],
        path: &'static str,
        count: usize,
        qname: &[u8],
        line: u64,
    ) -> Frame {
        if is_item && count >= self.max_list_items {
            let list = path.strip_suffix("[]").unwrap_or(path);
            let message = format!(
                "the list `{list}` holds more than {} items (passed at line {line}): the pupil \
                 is rejected unread; raise --max-list-items if the file is trusted",
                self.max_list_items
            );
            self.too_large(list.to_string(), message);
            Frame::Skip
        } else if is_item {
            Frame::Object { path, object: Object::new(children), home: Home::Item, next: 0 }
        } else {
            let wrapper = path.strip_suffix("[]").unwrap_or(path);
            let qname = utf8(qname);
            self.unknown(join(wrapper, &qname), &qname, line);
            Frame::Skip
        }
    }

    /// Open an element; the names are raw bytes (already checked as UTF-8), compared as bytes
    /// and turned into text only for a message.
    pub(super) fn open(
        &mut self,
        local: &[u8],
        qname: &[u8],
        ours: bool,
        line: u64,
        attributes: &[String],
    ) {
        let next = match self.frames.last_mut() {
            None | Some(Frame::Skip) => Frame::Skip,
            Some(Frame::Leaf { spec, nested, .. }) => {
                if !*nested {
                    *nested = true;
                    let path = spec.path.clone();
                    let qname = utf8(qname);
                    self.report(
                        path,
                        Rule::Schema,
                        format!(
                            "the field at line {line} holds the element `<{qname}>`, but it \
                             takes text only: remove the inner markup"
                        ),
                    );
                }
                Frame::Skip
            }
            Some(Frame::Object { path, object, next, .. }) => {
                let path = *path;
                let found = if ours { find_child(object.nodes, local, *next) } else { None };
                if let Some(index) = found {
                    *next = index + 1;
                }
                match found.and_then(|index| Some((index, object.nodes.get(index)?))) {
                    None => {
                        let qname = utf8(qname);
                        self.unknown(join(path, &qname), &qname, line);
                        Frame::Skip
                    }
                    Some((index, Node::Leaf { spec, .. })) => {
                        if matches!(object.slot(index), Some(Slot::Leaf(_))) {
                            self.report(
                                spec.path.clone(),
                                Rule::Schema,
                                format!(
                                    "the field appears more than once (again at line {line}); \
                                     it holds one value: keep one element"
                                ),
                            );
                        }
                        Frame::Leaf {
                            spec,
                            index,
                            text: std::mem::take(&mut self.spare),
                            line,
                            too_long: false,
                            nested: false,
                        }
                    }
                    Some((index, Node::Group { path, children, .. })) => {
                        // A struct that appears twice is one struct: its fields are merged.
                        let object = match object.take(index) {
                            Some(Slot::Object(existing)) => existing,
                            _ => Object::new(children),
                        };
                        Frame::Object { path, object, home: Home::Field(index), next: 0 }
                    }
                    Some((index, Node::List { path, item, children, .. })) => {
                        // A list that appears twice is one list: its items are appended.
                        let items = match object.take(index) {
                            Some(Slot::List(items)) => items,
                            _ => Vec::new(),
                        };
                        Frame::List { item, children, path, index, items }
                    }
                }
            }
            Some(Frame::List { item, children, path, items, .. }) => {
                let (item, children, path, count) = (*item, *children, *path, items.len());
                let is_item = ours && local == item.as_bytes();
                self.open_in_list(is_item, children, path, count, qname, line)
            }
        };
        if !attributes.is_empty() {
            match &next {
                Frame::Skip => {}
                Frame::Leaf { spec, .. } => {
                    let path = spec.path.clone();
                    self.report_attributes(&path, attributes, line)
                }
                Frame::Object { path, .. } | Frame::List { path, .. } => {
                    let path = path.to_string();
                    self.report_attributes(&path, attributes, line)
                }
            }
        }
        // Past a size limit nothing is built any more.
        let next = if self.too_large.is_some() { Frame::Skip } else { next };
        self.frames.push(next);
    }

    pub(super) fn unknown(&mut self, field: String, qname: &str, line: u64) {
        self.report(
            field,
            Rule::UnknownField,
            format!(
                "element `<{qname}>` at line {line} is not part of the model, so its content \
                 would be lost: remove it or move its content into a model field"
            ),
        );
    }

    /// Whether whitespace read now would be dropped (it is kept only inside a leaf field).
    pub(super) fn drops_space(&self) -> bool {
        !matches!(self.frames.last(), Some(Frame::Leaf { .. }))
    }

    pub(super) fn text(&mut self, text: &str, line: u64) {
        match self.frames.last_mut() {
            None | Some(Frame::Skip) => {}
            Some(Frame::Leaf { text: collected, too_long, .. }) => {
                if *too_long {
                    return;
                }
                if collected.len() + text.len() > self.max_field_bytes {
                    *too_long = true;
                    *collected = String::new();
                } else {
                    collected.push_str(text);
                }
            }
            Some(Frame::Object { path, .. }) | Some(Frame::List { path, .. }) => {
                if text.chars().all(char::is_whitespace) {
                    return;
                }
                let path = path.to_string();
                let element = if path.is_empty() { "pupil".to_string() } else { path.clone() };
                self.report(
                    path,
                    Rule::Schema,
                    format!(
                        "text directly inside `{element}` at line {line} belongs to no field: \
                         put it into a field element or remove it"
                    ),
                );
            }
        }
    }

    /// Close the innermost element; `true` when that was the record's own element.
    pub(super) fn close(&mut self) -> bool {
        match self.frames.pop() {
            Some(Frame::Leaf { spec, index, text, line, too_long, nested }) => {
                if nested {
                    // Already reported when the inner element opened.
                } else if too_long {
                    self.report(
                        spec.path.clone(),
                        Rule::FieldSize,
                        format!(
                            "the value at line {line} is longer than the limit of {} bytes: \
                             shorten it, or raise --max-field-bytes if it is right",
                            self.max_field_bytes
                        ),
                    );
                } else {
                    match parse_cell(&spec.kind, &text) {
                        Ok(Some(value)) => {
                            if let Some(Frame::Object { object, .. }) = self.frames.last_mut() {
                                object.set(index, Slot::Leaf(value.into_owned()));
                            }
                        }
                        Ok(None) => {}
                        Err(message) => self.report(
                            spec.path.clone(),
                            Rule::Type,
                            format!("the value at line {line} is {message}", message = message),
                        ),
                    }
                }
                let mut text = text;
                text.clear();
                self.spare = text;
            }
            Some(Frame::Object { object, home, .. }) => match (home, self.frames.last_mut()) {
                (Home::Root, _) => self.root = Some(object),
                (Home::Field(index), Some(Frame::Object { object: parent, .. })) => {
                    parent.set(index, Slot::Object(object))
                }
                (Home::Item, Some(Frame::List { items, .. })) => items.push(object),
                _ => {}
            },
            Some(Frame::List { index, items, .. }) => {
                if let Some(Frame::Object { object, .. }) = self.frames.last_mut() {
                    // An empty wrapper adds nothing, like a list that is absent.
                    if !items.is_empty() {
                        object.set(index, Slot::List(items));
                    }
                }
            }
            Some(Frame::Skip) | None => {}
        }
        self.frames.is_empty()
    }

    /// The pupil and every problem found; a missing required field is reported and left
    /// empty so the record can still be identified and rejected.
    pub(super) fn finish(self) -> (Pupil, Vec<(String, Rule, String)>) {
        let Builder { root, mut problems, is_pupil, too_large, id, .. } = self;
        if let Some((field, message)) = too_large {
            problems.push((field, Rule::RecordTooLarge, message));
            return (Pupil { id, ..Pupil::default() }, problems);
        }
        let tree = pupil_tree();
        let position = |name: &str| tree.iter().position(|n| n.name() == name);
        let mut object = match root {
            Some(root) if is_pupil => root,
            _ => Object::new(tree),
        };
        if is_pupil {
            let required = fields()
                .iter()
                .filter(|f| f.required && f.entity == Entity::Pupil && !f.key.contains('.'));
            for spec in required {
                let Some(index) = position(&spec.key) else { continue };
                if object.slot(index).is_some() {
                    continue;
                }
                problems.push((
                    spec.path.clone(),
                    Rule::Required,
                    format!(
                        "the pupil has no `<{}>` element (or it is empty): every pupil needs one",
                        spec.key
                    ),
                ));
                if spec.kind == ValueKind::Text {
                    object.set(index, Slot::Leaf(Cell::Owned(String::new())));
                }
            }
        } else if let Some(index) = position("id") {
            object.set(index, Slot::Leaf(Cell::Owned(String::new())));
        }
        let id = match position("id").and_then(|index| object.slot(index)) {
            Some(Slot::Leaf(Cell::Owned(id))) => id.clone(),
            _ => String::new(),
        };
        match Pupil::deserialize(ObjectDe(object)) {
            Ok(pupil) => (pupil, problems),
            Err(_) => {
                problems.push((
                    String::new(),
                    Rule::Schema,
                    "the pupil's values do not fit the model; this is a bug in teczka's XML \
                     reader: please report it"
                        .to_string(),
                ));
                (Pupil { id, ..Pupil::default() }, problems)
            }
        }
    }
}
