//! What an attacker who knows one more released fact can do.
//!
//! k-anonymity counts the quasi-identifiers; a release also carries other fields (sensitive
//! attributes, and under a non-anonymising policy everything it keeps), and an attacker may
//! know one of them about a pupil: an olympiad title with its date, one exam score, that the
//! child has a counselling ruling. A *fact* is one released field (for a list field, the value
//! of one item: one exam score) or, for a list releasing two or more fields, one whole item
//! (the title, level and date of one achievement together).
//!
//! For each fact the accumulator counts, per equivalence class over the quasi-identifiers, how
//! many pupils hold each value (a pupil holding a value twice counts once). A pupil is
//! *singled out by a fact* when some value of that fact it holds is held by no other pupil of
//! its class: the attacker who knows the quasi-identifiers and that value finds exactly one
//! record. The fact's *contribution* (the per-field count sdcMicro's SUDA reports, in its
//! simplest form: one field added to the quasi-identifiers) is the number of pupils it singles
//! out that the quasi-identifiers alone did not. A pupil without any value of a fact is never
//! counted as singled out by it (knowing that a pupil has no exam is not measured).
//!
//! Memory holds the distinct (class, value) combinations with a count and the ordinal of the
//! first pupil holding it — never records. Event lists under a non-anonymising policy can make
//! those combinations many (every attendance date of every pupil), so they are capped by
//! [`BUDGET`]: past it the fact with the most combinations is dropped from the measurement and
//! reported as not measured, never silently.

use serde::Serialize;
use std::collections::{HashMap, HashSet};

/// Distinct (class, value) combinations and interned values held at most, over all facts
/// (about 20 bytes each, so a few hundred megabytes).
pub const BUDGET: usize = 1 << 23;

/// Counts of distinct (class, value) combinations per fact.
#[derive(Clone, Debug, Default)]
pub(crate) struct Attack {
    facts: Vec<Fact>,
    /// Class key (of the quasi-identifier values) → class number.
    classes: HashMap<u128, u32>,
    /// Pupils per class.
    class_sizes: Vec<u32>,
    pupils: u32,
    budget: usize,
}

/// One fact's counts.
#[derive(Clone, Debug, Default)]
struct Fact {
    name: String,
    values: HashMap<String, u32>,
    /// (class, value) → (pupils holding it, ordinal of the first of them).
    combos: HashMap<(u32, u32), (u32, u32)>,
    /// Pupils holding at least one value.
    holders: u64,
    /// Dropped from the measurement: too many combinations for the budget.
    dropped: bool,
}

impl Attack {
    /// An accumulator for these facts (field paths, or `list[] (one whole item)`).
    pub(crate) fn new(names: Vec<String>) -> Attack {
        Attack {
            facts: names.into_iter().map(|name| Fact { name, ..Fact::default() }).collect(),
            budget: BUDGET,
            ..Attack::default()
        }
    }

    #[cfg(test)]
    fn with_budget(mut self, budget: usize) -> Attack {
        self.budget = budget;
        self
    }

    /// Whether any fact is measured at all.
    pub(crate) fn is_empty(&self) -> bool {
        self.facts.is_empty()
    }

    /// Count one pupil: its quasi-identifier combination (joined, as the class key) and, per
    /// fact, the values it holds.
    pub(crate) fn add(&mut self, class_key: u128, values: &[Vec<String>]) {
        if self.facts.is_empty() {
            return;
        }
        let class = match self.classes.get(&class_key) {
            Some(&c) => c,
            None => {
                let c = u32::try_from(self.class_sizes.len()).unwrap_or(u32::MAX);
                self.classes.insert(class_key, c);
                self.class_sizes.push(0);
                c
            }
        };
        self.class_sizes[class as usize] += 1;
        let pupil = self.pupils;
        self.pupils += 1;
        let mut seen: Vec<u32> = Vec::new();
        for (fact, held) in self.facts.iter_mut().zip(values) {
            if fact.dropped || held.is_empty() {
                continue;
            }
            fact.holders += 1;
            seen.clear();
            for value in held {
                let id = match fact.values.get(value.as_str()) {
                    Some(&id) => id,
                    None => {
                        let id = u32::try_from(fact.values.len()).unwrap_or(u32::MAX);
                        fact.values.insert(value.clone(), id);
                        id
                    }
                };
                if seen.contains(&id) {
                    continue;
                }
                seen.push(id);
                fact.combos.entry((class, id)).and_modify(|c| c.0 += 1).or_insert((1, pupil));
            }
        }
        self.keep_to_budget();
    }

    /// Past the budget, drop the fact holding the most combinations (and free its memory).
    fn keep_to_budget(&mut self) {
        loop {
            let used: usize = self.facts.iter().map(|f| f.combos.len() + f.values.len()).sum();
            if used <= self.budget {
                return;
            }
            let Some(largest) = self
                .facts
                .iter_mut()
                .filter(|f| !f.dropped)
                .max_by_key(|f| f.combos.len() + f.values.len())
            else {
                return;
            };
            largest.dropped = true;
            largest.combos = HashMap::new();
            largest.values = HashMap::new();
        }
    }

    /// The measured attack; `unique_on_quasi` is the number of pupils alone in their class.
    pub(crate) fn finish(self, records: u64, unique_on_quasi: u64) -> AttackRisk {
        let mut singled: HashSet<u32> = HashSet::new();
        // Pupils unique on the quasi-identifiers alone are found by their class's only combo;
        // they are counted from the summary, so only the facts' own finds are collected here.
        let mut facts = Vec::new();
        let mut not_measured = Vec::new();
        for fact in &self.facts {
            if fact.dropped {
                not_measured.push(fact.name.clone());
                continue;
            }
            let mut by_fact: HashSet<u32> = HashSet::new();
            let mut newly: HashSet<u32> = HashSet::new();
            for (&(class, _), &(n, pupil)) in &fact.combos {
                if n == 1 {
                    by_fact.insert(pupil);
                    if self.class_sizes.get(class as usize).copied().unwrap_or(0) > 1 {
                        newly.insert(pupil);
                    }
                }
            }
            singled.extend(&newly);
            facts.push(FactRisk {
                fact: fact.name.clone(),
                pupils_with: fact.holders,
                singled_out: by_fact.len() as u64,
                newly_unique: newly.len() as u64,
            });
        }
        // Most revealing first, then by name.
        facts.sort_by(|a, b| b.newly_unique.cmp(&a.newly_unique).then(a.fact.cmp(&b.fact)));
        let singled_out = unique_on_quasi + singled.len() as u64;
        AttackRisk {
            unique_on_quasi,
            singled_out,
            singled_out_share: if records == 0 { 0.0 } else { singled_out as f64 / records as f64 },
            facts,
            not_measured,
        }
    }
}

/// How many pupils an attacker who knows one more released fact can single out.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AttackRisk {
    /// Pupils alone in their class on the quasi-identifiers alone.
    pub unique_on_quasi: u64,
    /// Pupils singled out by the quasi-identifiers alone or together with any one fact.
    pub singled_out: u64,
    /// `singled_out / records`.
    pub singled_out_share: f64,
    /// Per fact, most revealing first.
    pub facts: Vec<FactRisk>,
    /// Facts left out of the measurement because their combinations exceeded the memory
    /// budget (the share singled out is then a lower bound).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub not_measured: Vec<String>,
}

/// What one fact adds to the quasi-identifiers.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FactRisk {
    /// The fact: a field path (`exams[].score`: one item's value) or `list[] (one whole item)`.
    pub fact: String,
    /// Pupils holding at least one value of it.
    pub pupils_with: u64,
    /// Pupils the quasi-identifiers and one of their values of this fact single out.
    pub singled_out: u64,
    /// Of those, pupils the quasi-identifiers alone did not single out: the fact's
    /// contribution.
    pub newly_unique: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(values: &[&str]) -> Vec<String> {
        values.iter().map(|s| s.to_string()).collect()
    }

    /// Class A: three pupils; class B: one pupil.
    fn measured(budget: usize) -> AttackRisk {
        let mut attack = Attack::new(vec!["score".into(), "title".into()]).with_budget(budget);
        let (a, b) = (1, 2);
        attack.add(a, &[v(&["90", "90"]), v(&[])]); // 90 held twice by one pupil: counts once
        attack.add(a, &[v(&["80"]), v(&["olympiad"])]);
        attack.add(a, &[v(&["80"]), v(&[])]);
        attack.add(b, &[v(&["80"]), v(&["olympiad"])]);
        attack.finish(4, 1)
    }

    #[test]
    fn a_fact_singles_out_pupils_the_quasi_identifiers_did_not() {
        let risk = measured(BUDGET);
        // score: pupil 0 alone with 90 in A (new), pupil 3 alone in B (already unique).
        // title: pupil 1 alone with "olympiad" in A (new), pupil 3 (already unique).
        assert_eq!(
            risk.facts,
            vec![
                FactRisk { fact: "score".into(), pupils_with: 4, singled_out: 2, newly_unique: 1 },
                FactRisk { fact: "title".into(), pupils_with: 2, singled_out: 2, newly_unique: 1 },
            ]
        );
        // Unique on the class alone: pupil 3; plus pupils 0 and 1.
        assert_eq!((risk.unique_on_quasi, risk.singled_out), (1, 3));
        assert_eq!(risk.singled_out_share, 0.75);
        assert!(risk.not_measured.is_empty());
    }

    #[test]
    fn past_the_budget_the_largest_fact_is_reported_as_not_measured() {
        let risk = measured(5);
        assert_eq!(risk.not_measured, vec!["score".to_string()]);
        assert_eq!(risk.facts.len(), 1);
        assert_eq!(risk.facts[0].fact, "title");
    }
}
