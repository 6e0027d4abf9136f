//! The shape of a pupil as a tree of named fields, derived once from the field catalogue.
//!
//! Every format and stage that walks a pupil by its field names walks this one tree: the XML
//! reader and writer (an element per node, `schemas/pupils.xsd`), and the policy's per-record
//! walk (a rule per leaf). Leaves carry their catalogue entry and its index, groups (`enrolment`,
//! a guardian's `address`) and lists (`guardians`, with one item element per entry, named by
//! [`Entity::element`]) their fields in model order, so a new model field needs no code here.

use super::fields::{fields, join, FieldSpec};
use super::Entity;
use std::sync::OnceLock;

/// One element of a pupil's XML shape.
#[derive(Debug)]
pub enum Node {
    /// A leaf field: text content only.
    Leaf {
        /// Element name (the field name).
        name: &'static str,
        /// The catalogue entry.
        spec: &'static FieldSpec,
        /// The entry's position in [`fields()`], for per-field tables (a policy's rules).
        index: usize,
    },
    /// A nested struct (`enrolment`, `address`): an element holding its fields.
    Group {
        /// Element name.
        name: &'static str,
        /// Catalogue path of the struct (`guardians[].address`).
        path: String,
        /// Path within the entity's item (`address`), as `set_path` would take it.
        key: String,
        /// Its fields, in model order.
        children: Vec<Node>,
    },
    /// A list: a wrapper element named after the collection holding item elements.
    List {
        /// Wrapper element name (`guardians`).
        name: &'static str,
        /// Catalogue path of one item (`guardians[]`).
        path: String,
        /// Item element name (`guardian`).
        item: &'static str,
        /// The item's fields, in model order.
        children: Vec<Node>,
    },
}

impl Node {
    /// The element name.
    pub fn name(&self) -> &'static str {
        match self {
            Node::Leaf { name, .. } | Node::Group { name, .. } | Node::List { name, .. } => name,
        }
    }
}

/// The children of `<pupil>`, in model (catalogue) order.
pub fn pupil_tree() -> &'static [Node] {
    static TREE: OnceLock<Vec<Node>> = OnceLock::new();
    TREE.get_or_init(|| {
        let mut root = Vec::new();
        for (index, spec) in fields().iter().enumerate() {
            let segments: Vec<&'static str> = spec.path.split('.').collect();
            insert(&mut root, &segments, (index, spec), "", "");
        }
        root
    })
}

/// Every node of the pupil tree, depth first, and each node's place in that order (by
/// address: the tree is built once and never moves).
struct Numbering {
    nodes: Vec<&'static Node>,
    numbers: std::collections::HashMap<usize, u16>,
}

fn numbering() -> &'static Numbering {
    static NUMBERING: OnceLock<Numbering> = OnceLock::new();
    NUMBERING.get_or_init(|| {
        fn visit(nodes: &'static [Node], out: &mut Vec<&'static Node>) {
            for node in nodes {
                out.push(node);
                if let Node::Group { children, .. } | Node::List { children, .. } = node {
                    visit(children, out);
                }
            }
        }
        let mut nodes = Vec::new();
        visit(pupil_tree(), &mut nodes);
        let numbers = nodes
            .iter()
            .enumerate()
            .map(|(i, node)| (*node as *const Node as usize, i as u16))
            .collect();
        Numbering { nodes, numbers }
    })
}

/// The number of a node of [`pupil_tree`], for a record held in binary for the run's own
/// temporary files (see [`node_numbered`]); `u16::MAX` for a node from elsewhere.
pub(crate) fn node_number(node: &'static Node) -> u16 {
    numbering().numbers.get(&(node as *const Node as usize)).copied().unwrap_or(u16::MAX)
}

/// The node of [`pupil_tree`] numbered `number` by [`node_number`].
pub(crate) fn node_numbered(number: u16) -> Option<&'static Node> {
    numbering().nodes.get(usize::from(number)).copied()
}

/// The fields of `entity`: the pupil's own, or those of one item of its list.
pub fn entity_nodes(entity: Entity) -> &'static [Node] {
    let Some(collection) = entity.collection() else { return pupil_tree() };
    pupil_tree()
        .iter()
        .find_map(|node| match node {
            Node::List { name, children, .. } if *name == collection => Some(&children[..]),
            _ => None,
        })
        .unwrap_or_default()
}

fn insert(
    nodes: &mut Vec<Node>,
    segments: &[&'static str],
    (field, spec): (usize, &'static FieldSpec),
    path: &str,
    key: &str,
) {
    let Some((&first, rest)) = segments.split_first() else { return };
    if rest.is_empty() {
        nodes.push(Node::Leaf { name: first, spec, index: field });
        return;
    }
    let (name, is_list) = match first.strip_suffix("[]") {
        Some(name) => (name, true),
        None => (first, false),
    };
    let index = match nodes.iter().position(|n| n.name() == name && !matches!(n, Node::Leaf { .. }))
    {
        Some(index) => index,
        None => {
            nodes.push(if is_list {
                Node::List {
                    name,
                    path: format!("{}[]", join(path, name)),
                    // A list the model adds without an entity still gets a stable item name.
                    item: Entity::from_collection(name).map_or("item", Entity::element),
                    children: Vec::new(),
                }
            } else {
                Node::Group {
                    name,
                    path: join(path, name),
                    key: join(key, name),
                    children: Vec::new(),
                }
            });
            nodes.len() - 1
        }
    };
    match &mut nodes[index] {
        Node::List { path, children, .. } => {
            let path = path.clone();
            insert(children, rest, (field, spec), &path, "");
        }
        Node::Group { path, key, children, .. } => {
            let (path, key) = (path.clone(), key.clone());
            insert(children, rest, (field, spec), &path, &key);
        }
        Node::Leaf { .. } => {}
    }
}
