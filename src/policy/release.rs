//! The per-record stage: a validated pupil in, its released form out.
//!
//! The pupil is serialised to a JSON object of the model's shape and walked along the field
//! catalogue; each present leaf gets its rule. A leaf without a rule stops the run (fail
//! closed). For anonymising policies the quasi-identifiers are left as they are and their
//! ladder inputs recorded, because the level to release them at is only known after the whole
//! data set has been seen (see [`super::anonymise`]).

use super::generalise::{Ladder, TOP};
use super::tokens::Tokeniser;
use super::{indicators, scrub, Op, Policy, TextIdentifiers};
use crate::crypto::keys::Key;
use crate::error::{Error, Result};
use crate::model::fields::fields;
use crate::model::record::{Hierarchy, Released};
use crate::model::tree::{pupil_tree, Node};
use crate::model::value::{format_leaf, parse_date};
use crate::model::walk::{walk, Scalar, Visitor};
use crate::model::Pupil;
use crate::validate::{birth_number_birth, pesel_birth};
use chrono::Duration;
use serde_json::{Map, Value};
use std::cell::RefCell;

/// The secrets some rules need; the CLI checks they are present before a run starts.
#[derive(Clone, Copy, Default)]
pub struct Secrets<'a> {
    /// The key for `pseudonymise` and `date-shift`.
    pub key: Option<&'a Key>,
    /// The run's tokeniser, for `tokenise`.
    pub tokens: Option<&'a Tokeniser>,
}

/// Walks a pupil for [`Policy::release_unchanged`]: free-text identifiers, and whether any
/// group or list item holds no value at all.
struct Unchanged {
    found: Vec<(usize, &'static str)>,
    /// Values seen in each open group or item, innermost last.
    values: Vec<usize>,
    hollow: bool,
}

impl Unchanged {
    fn close(&mut self) {
        if self.values.pop() == Some(0) {
            self.hollow = true;
        }
    }
}

impl Visitor for Unchanged {
    fn leaf(&mut self, node: &'static Node, value: Scalar<'_>) -> Result<()> {
        if let Some(count) = self.values.last_mut() {
            *count += 1;
        }
        let (Node::Leaf { spec, index, .. }, Scalar::Text(text)) = (node, value) else {
            return Ok(());
        };
        if spec.free_text {
            for (_, kind) in scrub::find(text) {
                if !self.found.contains(&(*index, kind.describe())) {
                    self.found.push((*index, kind.describe()));
                }
            }
        }
        Ok(())
    }

    fn enter(&mut self, node: &'static Node) -> Result<()> {
        if let Some(count) = self.values.last_mut() {
            *count += 1; // a present group or list is a value of its parent
        }
        if matches!(node, Node::Group { .. }) {
            self.values.push(0);
        }
        Ok(())
    }

    fn leave(&mut self, node: &'static Node) -> Result<()> {
        if matches!(node, Node::Group { .. }) {
            self.close();
        }
        Ok(())
    }

    fn enter_item(&mut self, _list: &'static Node, _index: usize) -> Result<()> {
        self.values.push(0);
        Ok(())
    }

    fn leave_item(&mut self, _list: &'static Node) -> Result<()> {
        self.close();
        Ok(())
    }
}

/// Per-record context of the walk.
struct Walk<'p> {
    policy: &'p Policy,
    secrets: Secrets<'p>,
    /// The pupil's original id: the person date shifts are keyed to.
    person: &'p str,
    /// Catalogue index → quasi-identifier number, for anonymising policies.
    quasi: &'p [Option<usize>],
    /// The pupil's date shift per field, once computed: one HMAC per field, not one per date.
    shifts: RefCell<Vec<(usize, i64)>>,
    /// Identifiers found in released free text: catalogue index and what was found.
    found: RefCell<Vec<(usize, &'static str)>>,
}

impl Policy {
    /// For an [identity](Policy::is_identity) policy: the identifiers found in the pupil's
    /// free text (catalogue index and kind, never the value) when the release is the pupil
    /// unchanged, or `None` when it is not — a group or list item holding no value, which the
    /// released form leaves out — and [`Policy::release`] must make the released copy.
    ///
    /// The pupil is walked typed, without the JSON map a release builds: handing over a
    /// register as it is costs no copy of it.
    pub fn release_unchanged(&self, pupil: &Pupil) -> Result<Option<Vec<(usize, &'static str)>>> {
        let mut check = Unchanged { found: Vec::new(), values: vec![0], hollow: false };
        walk(pupil, &mut check)?;
        Ok((!check.hollow).then_some(check.found))
    }

    /// Apply the per-record rules to one validated pupil.
    ///
    /// Errors stop the run: a present field without a rule, or a rule whose secret is missing.
    pub fn release(&self, pupil: &Pupil, secrets: Secrets<'_>) -> Result<Released> {
        let mut record = match serde_json::to_value(pupil) {
            Ok(Value::Object(map)) => map,
            _ => return Err(Error::input("record", "the pupil does not serialise to an object")),
        };
        self.derive(&mut record);
        if self.derives_indicators() {
            self.derive_indicators(pupil, &mut record);
        }
        let quasi = match self.anonymity() {
            Some(anonymity) => {
                anonymity.quasi.iter().map(|(path, ladder)| slots(&record, path, ladder)).collect()
            }
            None => Vec::new(),
        };
        let walk = Walk {
            policy: self,
            secrets,
            person: &pupil.id,
            quasi: &self.quasi_of,
            shifts: RefCell::new(Vec::new()),
            found: RefCell::new(Vec::new()),
        };
        walk.group(pupil_tree(), &mut record)?;
        let text_identifiers = walk.found.into_inner();
        Ok(Released { record, quasi, units: Hierarchy::of(pupil), text_identifiers })
    }

    /// Replace the `indicators.*` fields the policy derives by their values computed from the
    /// pupil's lists; a value in the data never stands in for a computed one.
    fn derive_indicators(&self, pupil: &Pupil, record: &mut Map<String, Value>) {
        let Ok(Value::Object(derived)) = serde_json::to_value(indicators::derive(pupil)) else {
            return;
        };
        let target = record.entry("indicators").or_insert_with(|| Value::Object(Map::new()));
        let Value::Object(target) = target else { return };
        for (index, field) in fields().iter().enumerate() {
            let Some(name) = field.path.strip_prefix("indicators.") else { continue };
            if !self.rule(index).is_some_and(|r| r.computed) {
                continue;
            }
            match derived.get(name) {
                Some(value) => target.insert(name.to_string(), value.clone()),
                None => target.shift_remove(name),
            };
        }
        if target.is_empty() {
            record.shift_remove("indicators");
        }
    }

    /// Fill `birth_date` and `sex` from a PESEL or rodné číslo where the rule asks and the
    /// record lacks them.
    fn derive(&self, record: &mut Map<String, Value>) {
        for (source, decode) in [
            ("pesel", pesel_birth as fn(&str) -> Option<(chrono::NaiveDate, crate::model::Sex)>),
            (
                "birth_number",
                birth_number_birth as fn(&str) -> Option<(chrono::NaiveDate, crate::model::Sex)>,
            ),
        ] {
            let Some(index) = fields().iter().position(|f| f.path == source) else { continue };
            let Some(rule) = self.rule(index).filter(|r| !r.derive.is_empty()) else { continue };
            let Some((birth, sex)) = record.get(source).and_then(Value::as_str).and_then(decode)
            else {
                continue;
            };
            for target in &rule.derive {
                let value = match target.as_str() {
                    "birth_date" => Value::String(birth.format("%Y-%m-%d").to_string()),
                    _ => serde_json::to_value(sex).unwrap_or(Value::Null),
                };
                record.entry(target.clone()).or_insert(value);
            }
        }
    }

    /// Finish a released record once anonymisation has chosen the ladder levels: each
    /// quasi-identifier slot is set to its generalised value (`Exact` keeps the typed original).
    pub fn apply_levels(&self, released: &mut Released, levels: &[usize]) {
        let Some(anonymity) = self.anonymity() else { return };
        for (q, (path, ladder)) in anonymity.quasi.iter().enumerate() {
            let level = levels.get(q).copied().unwrap_or(ladder.len() - 1);
            let Some(slots) = released.quasi.get(q) else { continue };
            let mut slot = 0;
            set_slots(&mut released.record, path, &mut |value: &mut Value| {
                if let Some(original) = slots.get(slot) {
                    if !ladder.is_exact(level) {
                        *value = Value::String(ladder.generalise_original(original, level));
                    }
                }
                slot += 1;
            });
        }
    }
}

impl Walk<'_> {
    fn group(&self, children: &[Node], object: &mut Map<String, Value>) -> Result<()> {
        // Replacements are computed against the untouched object first: an address level reads
        // the sibling fields, which their own rules may drop.
        let mut changes: Vec<(String, Option<Value>)> = Vec::new();
        for (key, value) in object.iter() {
            if value.is_null() {
                continue;
            }
            let Some(node) = children.iter().find(|n| n.name() == key) else {
                return Err(Error::input(
                    "record",
                    format!("field `{key}` is not in the field catalogue: this is a bug in teczka"),
                ));
            };
            if let Node::Leaf { index, .. } = node {
                if let Some(change) = self.leaf(*index, value, object)? {
                    changes.push((key.clone(), change));
                }
            }
        }
        for (key, change) in changes {
            match change {
                Some(value) => {
                    object.insert(key, value);
                }
                None => {
                    // shift_remove keeps the fields in model order (remove would swap).
                    object.shift_remove(&key);
                }
            }
        }
        let mut emptied = Vec::new();
        for node in children {
            let key = node.name();
            match (node, object.get_mut(key)) {
                (Node::Group { children: inner, .. }, Some(Value::Object(child))) => {
                    self.group(inner, child)?;
                    // A group whose every field was dropped says nothing: leave it out.
                    if child.is_empty() {
                        emptied.push(key);
                    }
                }
                (Node::List { children: inner, .. }, Some(Value::Array(items))) => {
                    for entry in items.iter_mut() {
                        if let Value::Object(child) = entry {
                            self.group(inner, child)?;
                        }
                    }
                    // An entity whose every field was dropped leaves no trace, not even how
                    // many items there were.
                    if items.iter().all(|i| i.as_object().is_some_and(Map::is_empty)) {
                        emptied.push(key);
                    }
                }
                _ => {}
            }
        }
        for key in emptied {
            object.shift_remove(key);
        }
        Ok(())
    }

    /// The change a leaf's rule makes: `None` = keep, `Some(None)` = remove,
    /// `Some(Some(v))` = replace.
    fn leaf(
        &self,
        index: usize,
        value: &Value,
        item: &Map<String, Value>,
    ) -> Result<Option<Option<Value>>> {
        let Some(rule) = self.policy.rule(index) else {
            return Err(self.policy.uncovered(index));
        };
        if self.quasi.get(index).copied().flatten().is_some() {
            // Released at the level anonymisation chooses, in the second pass.
            return Ok(None);
        }
        let text = || format_leaf(value).unwrap_or_default();
        let replaced = |s: String| Ok(Some(Some(Value::String(s))));
        match &rule.op {
            Op::Keep | Op::Suppress(_) if fields()[index].free_text => {
                Ok(self.scrub(index, &text()).map(|s| Some(Value::String(s))))
            }
            Op::Keep | Op::Suppress(_) => Ok(None),
            Op::Drop => Ok(Some(None)),
            Op::Redact(marker) => replaced(marker.clone()),
            Op::Mask { start, end } => replaced(mask(&text(), *start, *end)),
            Op::Pseudonymise(domain) => replaced(self.key(index)?.pseudonym(domain, &text())),
            Op::Tokenise(domain) => {
                let tokens = self.secrets.tokens.ok_or_else(|| self.missing(index, "tokeniser"))?;
                replaced(tokens.token(domain, &text()))
            }
            Op::Generalise(ladder) => {
                Ok(ladder.apply(0, value, item).map(|s| Some(Value::String(s))))
            }
            Op::DateShift(max_days) => {
                let days = self.shift_days(index, *max_days)?;
                match parse_date(&text())
                    .ok()
                    .and_then(|d| d.checked_add_signed(Duration::days(days)))
                {
                    Some(shifted) => replaced(shifted.format("%Y-%m-%d").to_string()),
                    // A date the validator let through always parses; never release it unshifted.
                    None => replaced(TOP.to_string()),
                }
            }
        }
    }

    /// The pupil's shift for one date field. Every field has its own offset (the key's HMAC
    /// over the person *and* the field): with one offset per pupil, an admission date that is
    /// nearly always 1 September gives the offset away and with it the true birth date.
    fn shift_days(&self, index: usize, max_days: u32) -> Result<i64> {
        if let Some((_, days)) = self.shifts.borrow().iter().find(|(i, _)| *i == index) {
            return Ok(*days);
        }
        let domain = format!("{}\u{1f}{}", self.person, fields()[index].path);
        let days = self.key(index)?.date_shift_days(&domain, max_days);
        self.shifts.borrow_mut().push((index, days));
        Ok(days)
    }

    /// Look for identifiers in a released free-text value: remember where (never what), and
    /// return the redacted text when the policy redacts them.
    fn scrub(&self, index: usize, text: &str) -> Option<String> {
        let found = scrub::find(text);
        let mut seen = self.found.borrow_mut();
        for (_, kind) in &found {
            if !seen.contains(&(index, kind.describe())) {
                seen.push((index, kind.describe()));
            }
        }
        match self.policy.identifiers_in_text() {
            TextIdentifiers::Redact => scrub::redact(text, &found),
            TextIdentifiers::Report => None,
        }
    }

    fn key(&self, index: usize) -> Result<&Key> {
        self.secrets.key.ok_or_else(|| self.missing(index, "key"))
    }

    fn missing(&self, index: usize, what: &str) -> Error {
        let path = fields().get(index).map(|f| f.path.as_str()).unwrap_or("?");
        Error::config(
            self.policy.origin.as_str(),
            format!(
                "field `{path}` needs the secret {what}, which was not given: pass --key FILE \
                 (make one with `teczka keygen -o FILE`)"
            ),
        )
    }
}

/// Star every letter and digit except `start` at the front and `end` at the back, never
/// showing more than half of them; other characters (`@`, `.`, spaces) stay so the shape of
/// an e-mail or phone number remains readable.
pub fn mask(text: &str, start: usize, end: usize) -> String {
    let total = text.chars().filter(|c| c.is_alphanumeric()).count();
    let budget = total / 2;
    let end = end.min(budget);
    let start = start.min(budget - end);
    let mut seen = 0;
    text.chars()
        .map(|c| {
            if !c.is_alphanumeric() {
                return c;
            }
            seen += 1;
            if seen <= start || seen > total - end {
                c
            } else {
                '*'
            }
        })
        .collect()
}

/// The ladder input of every present slot of `path` in the record, in record order — the
/// order [`set_slots`] visits them in.
fn slots(record: &Map<String, Value>, path: &str, ladder: &Ladder) -> Vec<String> {
    let mut out = Vec::new();
    for_each_leaf(record, path, &mut |value, item| out.push(ladder.original(value, item)));
    out
}

/// Call `f` on every present leaf of `path` (`a.b`, `list[].c`) with the object holding it
/// (an address, for the ladders that read its siblings).
pub(super) fn for_each_leaf(
    object: &Map<String, Value>,
    path: &str,
    f: &mut dyn FnMut(&Value, &Map<String, Value>),
) {
    let (head, rest) = path.split_once('.').map_or((path, None), |(h, r)| (h, Some(r)));
    let key = head.strip_suffix("[]").unwrap_or(head);
    match (object.get(key), rest) {
        (Some(Value::Array(items)), Some(rest)) => {
            for item in items {
                if let Value::Object(child) = item {
                    for_each_leaf(child, rest, f);
                }
            }
        }
        (Some(Value::Object(child)), Some(rest)) => for_each_leaf(child, rest, f),
        (Some(value), None) if !value.is_null() => f(value, object),
        _ => {}
    }
}

/// Call `f` on every present slot of `path`, in the order [`slots`] and [`for_each_leaf`]
/// visit them.
pub(super) fn set_slots(
    object: &mut Map<String, Value>,
    path: &str,
    f: &mut dyn FnMut(&mut Value),
) {
    let (head, rest) = path.split_once('.').map_or((path, None), |(h, r)| (h, Some(r)));
    let key = head.strip_suffix("[]").unwrap_or(head);
    match (object.get_mut(key), rest) {
        (Some(Value::Array(items)), Some(rest)) => {
            for item in items {
                if let Value::Object(child) = item {
                    set_slots(child, rest, f);
                }
            }
        }
        (Some(Value::Object(child)), Some(rest)) => set_slots(child, rest, f),
        (Some(value), None) if !value.is_null() => f(value),
        _ => {}
    }
}

/// Remove every present leaf of `path`, and the object holding it when nothing else is left
/// in it (an `indicators` group whose one released field is withheld).
pub(super) fn remove_leaves(object: &mut Map<String, Value>, path: &str) {
    let (head, rest) = path.split_once('.').map_or((path, None), |(h, r)| (h, Some(r)));
    let key = head.strip_suffix("[]").unwrap_or(head);
    let emptied = match (object.get_mut(key), rest) {
        (Some(Value::Array(items)), Some(rest)) => {
            for item in items.iter_mut() {
                if let Value::Object(child) = item {
                    remove_leaves(child, rest);
                }
            }
            items.iter().all(|i| i.as_object().is_some_and(Map::is_empty))
        }
        (Some(Value::Object(child)), Some(rest)) => {
            remove_leaves(child, rest);
            child.is_empty()
        }
        (Some(_), None) => true,
        _ => false,
    };
    if emptied {
        object.shift_remove(key);
    }
}
