//! A pupil's present values as a flat list, each at its concrete path
//! (`addresses.1.commune`): what the outputs whose layout is not the model's own — the
//! školní matrika, OneRoster, a vendor's CSV layout, the aggregate tables — look values up
//! in, and count when they have no place for them.
//!
//! It is filled by the same walk the XML and CSV writers use ([`walk`] of a typed pupil,
//! [`ReleasedPupil::replay`] of a released one), so a pupil as read and as released go the
//! same way, and no JSON map is built per record.

use super::Outgoing;
use crate::error::Result;
use crate::model::fields::FieldSpec;
use crate::model::tree::Node;
use crate::model::walk::{walk, Scalar, Visitor};

/// A pupil's present values in model order, each at its concrete path, and the items of its
/// lists (an item with no value included).
#[derive(Default)]
pub(crate) struct Leaves {
    pub(crate) leaves: Vec<Leaf>,
    /// Every list item, as (list name, concrete path: `guardians.1`), in order.
    items: Vec<(&'static str, String)>,
    /// The concrete path of the group or list item being walked (`addresses.0`).
    at: Vec<String>,
}

/// One present value.
pub(crate) struct Leaf {
    /// Concrete path: `guardians.0.address.town`.
    pub(crate) path: String,
    /// The catalogue entry: `guardians[].address.town`.
    pub(crate) spec: &'static FieldSpec,
    pub(crate) value: Held,
}

/// A value as it came: text (dates and enum words too), a yes/no, or a number as text.
pub(crate) enum Held {
    Text(String),
    Bool(bool),
    Number(String),
}

impl Held {
    /// The value as every text writer writes it (`model::value::format_leaf`'s form).
    pub(crate) fn text(&self) -> String {
        match self {
            Held::Text(text) | Held::Number(text) => text.clone(),
            Held::Bool(b) => if *b { "true" } else { "false" }.to_string(),
        }
    }
}

impl Leaves {
    /// The present values of the pupil on its way to a sink.
    pub(crate) fn of(pupil: Outgoing<'_>) -> Result<Leaves> {
        let mut leaves = Leaves::default();
        match pupil {
            Outgoing::Pupil(pupil) => walk(pupil, &mut leaves)?,
            Outgoing::Released(pupil) => pupil.replay(&mut leaves)?,
        }
        Ok(leaves)
    }

    /// The value at a concrete path (`enrolment.school_id`, `addresses.0.commune`), if present.
    pub(crate) fn get(&self, path: &str) -> Option<&Held> {
        self.leaves.iter().find(|leaf| leaf.path == path).map(|leaf| &leaf.value)
    }

    /// The present values of one catalogue field (`counselling[].kind`), in order.
    pub(crate) fn of_field<'a>(&'a self, field: &'a str) -> impl Iterator<Item = &'a Leaf> {
        self.leaves.iter().filter(move |leaf| leaf.spec.path == field)
    }

    /// The concrete paths of the items of the top-level list `name` (`guardians.0`, …).
    pub(crate) fn items_of(&self, name: &str) -> Vec<&str> {
        self.items.iter().filter(|(list, _)| *list == name).map(|(_, path)| path.as_str()).collect()
    }

    fn child(&self, name: &str) -> String {
        match self.at.last() {
            Some(at) => format!("{at}.{name}"),
            None => name.to_owned(),
        }
    }
}

impl Visitor for Leaves {
    fn leaf(&mut self, node: &'static Node, value: Scalar<'_>) -> Result<()> {
        let Node::Leaf { name, spec, .. } = node else { return Ok(()) };
        let value = match value {
            Scalar::Text(text) => Held::Text(text.to_owned()),
            Scalar::Bool(b) => Held::Bool(b),
            number => {
                let mut text = String::new();
                number.push_text(&mut text);
                Held::Number(text)
            }
        };
        let path = self.child(name);
        self.leaves.push(Leaf { path, spec, value });
        Ok(())
    }

    fn enter(&mut self, node: &'static Node) -> Result<()> {
        let path = self.child(node.name());
        self.at.push(path);
        Ok(())
    }

    fn leave(&mut self, _node: &'static Node) -> Result<()> {
        self.at.pop();
        Ok(())
    }

    fn enter_item(&mut self, list: &'static Node, index: usize) -> Result<()> {
        let path = self.child(&index.to_string());
        if self.at.len() == 1 {
            self.items.push((list.name(), path.clone()));
        }
        self.at.push(path);
        Ok(())
    }

    fn leave_item(&mut self, _list: &'static Node) -> Result<()> {
        self.at.pop();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::released::ReleasedPupil;
    use crate::model::{Address, Guardian, Pupil};

    #[test]
    fn values_sit_at_their_concrete_paths_and_empty_items_are_kept() {
        let pupil = Pupil {
            id: "P1".into(),
            eu_citizen: Some(true),
            guardians: vec![
                Guardian::default(),
                Guardian {
                    email: Some("a@b.pl".into()),
                    address: Some(Address { town: Some("Łódź".into()), ..Address::default() }),
                    ..Guardian::default()
                },
            ],
            ..Pupil::default()
        };
        let released = ReleasedPupil::of(&pupil).unwrap();
        for leaves in
            [Leaves::of(Outgoing::Pupil(&pupil)), Leaves::of(Outgoing::Released(&released))]
        {
            let leaves = leaves.unwrap();
            let paths: Vec<(&str, &str)> =
                leaves.leaves.iter().map(|l| (l.path.as_str(), l.spec.path.as_str())).collect();
            assert_eq!(
                paths,
                [
                    ("id", "id"),
                    ("eu_citizen", "eu_citizen"),
                    ("guardians.1.email", "guardians[].email"),
                    ("guardians.1.address.town", "guardians[].address.town"),
                ]
            );
            assert!(matches!(leaves.get("eu_citizen"), Some(Held::Bool(true))));
            assert_eq!(leaves.items_of("guardians"), ["guardians.0", "guardians.1"]);
            assert_eq!(leaves.of_field("guardians[].email").count(), 1);
        }
    }
}
