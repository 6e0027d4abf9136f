//! The per-record stage: a validated pupil in, its released form out.
//!
//! The typed pupil is walked along the field catalogue into a
//! [`ReleasedPupil`](crate::model::released::ReleasedPupil) and each present leaf gets its
//! rule — kept, dropped or replaced by text — without a JSON map. A leaf without a rule stops
//! the run (fail closed). For anonymising policies the quasi-identifiers are left as they are and their
//! ladder inputs recorded, because the level to release them at is only known after the whole
//! data set has been seen (see [`super::anonymise`]).

use super::generalise::{Ladder, TOP};
use super::tokens::Tokeniser;
use super::{indicators, scrub, Op, Policy, TextIdentifiers};
use crate::crypto::keys::Key;
use crate::error::{Error, Result};
use crate::model::fields::fields;
use crate::model::record::{Hierarchy, Released};
use crate::model::released::{Change, ReleasedPupil, Siblings};
use crate::model::tree::Node;
use crate::model::value::parse_date;
use crate::model::walk::{walk, Scalar, Visitor};
use crate::model::Pupil;
use crate::validate::{birth_number_birth, pesel_birth};
use chrono::Duration;

use std::borrow::Cow;
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
    /// The pupil is walked typed into a [`ReleasedPupil`] and each present leaf gets its
    /// rule; no JSON map is built. Errors stop the run: a present field without a rule, or a
    /// rule whose secret is missing.
    pub fn release(&self, pupil: &Pupil, secrets: Secrets<'_>) -> Result<Released> {
        let derived = self.derived(pupil);
        let record = ReleasedPupil::of(&derived)?;
        let quasi = match self.anonymity() {
            Some(anonymity) => quasi_slots(&record, &self.quasi_of, &anonymity.quasi)?,
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
        let record = record.rebuild(|node, value, siblings| walk.leaf(node, value, siblings))?;
        let text_identifiers = walk.found.into_inner();
        Ok(Released { record, quasi, units: Hierarchy::of(pupil), text_identifiers })
    }

    /// The pupil with what the policy derives filled in: `birth_date` and `sex` from a PESEL
    /// or rodné číslo where the rule asks and the pupil lacks them, and the computed
    /// `indicators.*` fields. Borrowed unchanged when there is nothing to derive.
    fn derived<'p>(&self, pupil: &'p Pupil) -> Cow<'p, Pupil> {
        let mut out = Cow::Borrowed(pupil);
        for (source, value, decode) in [
            ("pesel", pupil.pesel.as_deref(), pesel_birth as Decode),
            ("birth_number", pupil.birth_number.as_deref(), birth_number_birth as Decode),
        ] {
            let Some(index) = fields().iter().position(|f| f.path == source) else { continue };
            let Some(rule) = self.rule(index).filter(|r| !r.derive.is_empty()) else { continue };
            let Some((birth, sex)) = value.and_then(decode) else { continue };
            for target in &rule.derive {
                match target.as_str() {
                    "birth_date" if out.birth_date.is_none() => {
                        out.to_mut().birth_date = Some(birth)
                    }
                    "sex" if out.sex.is_none() => out.to_mut().sex = Some(sex),
                    _ => {}
                }
            }
        }
        if self.derives_indicators() {
            let computed = |name: &str| {
                let path = format!("indicators.{name}");
                let index = fields().iter().position(|f| f.path == path);
                index.and_then(|i| self.rule(i)).is_some_and(|r| r.computed)
            };
            let mut indicators = pupil.indicators.clone().unwrap_or_default();
            indicators::merge_computed(&mut indicators, indicators::derive(pupil), computed);
            out.to_mut().indicators = Some(indicators);
        }
        out
    }
}

/// Decodes the birth date and sex a national identifier encodes.
type Decode = fn(&str) -> Option<(chrono::NaiveDate, crate::model::Sex)>;

impl Walk<'_> {
    /// What the leaf's rule makes of one present value; `siblings` are the other fields of
    /// its item, which an address ladder reads (as they were before any rule ran).
    fn leaf(
        &self,
        node: &'static Node,
        value: Scalar<'_>,
        siblings: &Siblings<'_>,
    ) -> Result<Change> {
        let Node::Leaf { index, .. } = node else { return Ok(Change::Keep) };
        let index = *index;
        let Some(rule) = self.policy.rule(index) else {
            return Err(self.policy.uncovered(index));
        };
        if self.quasi.get(index).copied().flatten().is_some() {
            // Released at the level anonymisation chooses, in the second pass.
            return Ok(Change::Keep);
        }
        let text = || {
            let mut text = String::new();
            value.push_text(&mut text);
            text
        };
        let kept_or = |replaced: Option<String>| Ok(replaced.map_or(Change::Keep, Change::Replace));
        match &rule.op {
            Op::Keep | Op::Suppress(_) if fields()[index].free_text => {
                kept_or(self.scrub(index, &text()))
            }
            Op::Keep | Op::Suppress(_) => Ok(Change::Keep),
            Op::Drop => Ok(Change::Drop),
            Op::Redact(marker) => Ok(Change::Replace(marker.clone())),
            Op::Mask { start, end } => Ok(Change::Replace(mask(&text(), *start, *end))),
            Op::Pseudonymise(domain) => {
                Ok(Change::Replace(self.key(index)?.pseudonym(domain, &text())))
            }
            Op::Tokenise(domain) => {
                let tokens = self.secrets.tokens.ok_or_else(|| self.missing(index, "tokeniser"))?;
                Ok(Change::Replace(tokens.token(domain, &text())))
            }
            Op::Generalise(ladder) => kept_or(ladder.apply_text(0, &text(), |n| siblings.text(n))),
            Op::DateShift(max_days) => {
                let days = self.shift_days(index, *max_days)?;
                match parse_date(&text())
                    .ok()
                    .and_then(|d| d.checked_add_signed(Duration::days(days)))
                {
                    Some(shifted) => Ok(Change::Replace(shifted.format("%Y-%m-%d").to_string())),
                    // A date the validator let through always parses; never release it unshifted.
                    None => Ok(Change::Replace(TOP.to_string())),
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

/// The ladder input of every present slot of each quasi-identifier in the record, in record
/// order — the order [`set_slots`] visits them in — found in one pass over the record.
/// `quasi_of` maps a catalogue index to its quasi-identifier (a path is listed once).
fn quasi_slots(
    record: &ReleasedPupil,
    quasi_of: &[Option<usize>],
    quasi: &[(String, Ladder)],
) -> Result<Vec<Vec<String>>> {
    let mut out = vec![Vec::new(); quasi.len()];
    record.each_leaf(|node, value, siblings| {
        let Node::Leaf { index, .. } = node else { return Ok(()) };
        let Some(q) = quasi_of.get(*index).copied().flatten() else { return Ok(()) };
        if let (Some(slots), Some((_, ladder))) = (out.get_mut(q), quasi.get(q)) {
            let mut text = String::new();
            value.push_text(&mut text);
            slots.push(ladder.original_text(&text, |n| siblings.text(n)));
        }
        Ok(())
    })?;
    Ok(out)
}
