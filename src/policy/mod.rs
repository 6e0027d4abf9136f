//! Policy: what leaves the school, decided field by field.
//!
//! A policy names one operator for every field path (fail closed: a field the policy does not
//! cover stops the run). The stage turns each accepted pupil into its *released* form — a JSON
//! object of the model's shape whose values may have been dropped, masked, pseudonymised,
//! tokenised, generalised or shifted — which the writers then write. Anonymisation (k-anonymity,
//! l-diversity) needs the whole data set's quasi-identifier histogram, so policies that ask for
//! it run in two passes.

pub mod anonymise;
pub mod anonymity;
pub mod file;
pub mod generalise;
pub mod indicators;
mod presets;
mod release;
pub mod risk;
pub mod scrub;
pub mod tokens;

pub use self::anonymise::TwoPassRelease;
pub use self::file::{
    check_tables, OpName, PolicyFile, Purpose, TableMeasure, TableSpec, TextIdentifiers,
};
pub use self::generalise::Ladder;
pub use self::presets::{preset, PRESETS};
pub use self::release::{mask, Secrets};

use crate::error::{Error, Result};
use crate::model::fields::{fields, Entity, FieldSpec};
use crate::model::{Class, ValueKind};
use chrono::NaiveDate;
use file::{RuleSpec, RuleTable};

/// What a rule does to a value, with its options resolved.
#[derive(Clone, Debug, PartialEq)]
pub enum Op {
    /// Release the value unchanged.
    Keep,
    /// Leave the field out.
    Drop,
    /// Replace the value by this marker.
    Redact(String),
    /// Keep this many letters/digits at the start and end, star the rest.
    Mask {
        /// Kept at the start.
        start: usize,
        /// Kept at the end.
        end: usize,
    },
    /// Keyed HMAC token in this domain.
    Pseudonymise(String),
    /// Random token in this domain, recorded in the encrypted mapping.
    Tokenise(String),
    /// Generalise along this ladder (its first level, or the level anonymisation chose).
    Generalise(Ladder),
    /// Shift dates by the pupil's keyed offset of at most this many days.
    DateShift(u32),
    /// Replace values held by fewer than this many pupils by `*`.
    Suppress(u64),
}

/// One field's compiled rule.
#[derive(Clone, Debug, PartialEq)]
pub struct Rule {
    /// The operator with its options.
    pub op: Op,
    /// The `[fields]` key the rule came from (the exact path, or a `prefix.*` wildcard).
    pub pattern: String,
    /// For `pesel` and `birth_number`: the fields to fill from the number.
    pub derive: Vec<String>,
    /// For `indicators.*`: the value is computed from the pupil's lists (`derive`), not
    /// taken from the data.
    pub computed: bool,
}

/// k-anonymity and l-diversity settings, resolved against the catalogue.
#[derive(Clone, Debug, PartialEq)]
pub struct Anonymity {
    /// Smallest group of pupils sharing a released quasi-identifier combination.
    pub k: u64,
    /// Distinct sensitive values required in every group.
    pub l: Option<u64>,
    /// The largest share of pupils suppressed to reach k and l.
    pub max_suppression: f64,
    /// Quasi-identifier field paths with their ladders, in policy order.
    pub quasi: Vec<(String, Ladder)>,
    /// Sensitive attribute field paths.
    pub sensitive: Vec<String>,
    /// Whether k and l are enforced; `false` when they are only measured (`teczka risk` on a
    /// policy that does not anonymise).
    pub enforce: bool,
    /// Pupils in the population the data is a sample of, for journalist risk.
    pub population: Option<u64>,
}

/// The quasi-identifiers `teczka risk` measures when a policy names none: the pupil-level
/// fields that most often single a child out in school data.
pub const MEASURED_QUASI: [&str; 8] = [
    "sex",
    "birth_date",
    "birth_country",
    "national_citizen",
    "addresses[].postcode",
    "addresses[].commune",
    "enrolment.school_id",
    "enrolment.class_level",
];

/// A checked policy: every rule names a real field, fits its value kind and its
/// data-protection class, and suits the declared purpose.
#[derive(Clone, Debug)]
pub struct Policy {
    /// The file as written (for `policy show` and archive metadata).
    pub file: PolicyFile,
    /// Where it came from: `preset statistics` or a path.
    pub origin: String,
    /// The date ages are computed at.
    pub reference_date: NaiveDate,
    /// One slot per catalogue field (same index as [`fields()`]); `None` = not covered.
    rules: Vec<Option<Rule>>,
    /// Catalogue fields that only a wildcard covers although they are sensitive.
    wildcard_sensitive: Vec<bool>,
    anonymity: Option<Anonymity>,
    /// Catalogue index → position in the quasi-identifier list.
    quasi_of: Vec<Option<usize>>,
}

/// The categories of fields a policy releases that identify a person or are special-category
/// data (see [`Policy::exposure`]), in catalogue order: an entity's file name (`guardians`,
/// `health`), `pupils` for the pupil's own fields, or the path of a nested pupil field
/// (`indicators.health`). Names only, never values.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Exposure {
    /// Where direct identifiers are released (names, national ids, contacts, free text).
    pub direct: Vec<String>,
    /// Where special-category data (GDPR Art. 9: health, counselling) is released.
    pub sensitive: Vec<String>,
}

impl Exposure {
    /// Whether nothing identifying or sensitive is released.
    pub fn is_empty(&self) -> bool {
        self.direct.is_empty() && self.sensitive.is_empty()
    }

    fn category(field: &FieldSpec) -> String {
        match field.entity {
            Entity::Pupil if field.path.contains('.') => field.path.clone(),
            entity => entity.file_stem().to_string(),
        }
    }
}

impl std::fmt::Display for Exposure {
    /// `direct identifiers (pupils, guardians) and special-category data (health)`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let direct = (!self.direct.is_empty())
            .then(|| format!("direct identifiers ({})", self.direct.join(", ")));
        let sensitive = (!self.sensitive.is_empty())
            .then(|| format!("special-category data ({})", self.sensitive.join(", ")));
        match (direct, sensitive) {
            (Some(d), Some(s)) => write!(f, "{d} and {s}"),
            (Some(one), None) | (None, Some(one)) => f.write_str(&one),
            (None, None) => f.write_str("nothing identifying or special-category"),
        }
    }
}

impl Policy {
    /// Parse and check a policy file's text; `origin` names it in messages.
    pub fn from_toml(text: &str, origin: &str, today: NaiveDate) -> Result<Policy> {
        let file: PolicyFile = toml::from_str(text).map_err(|e| {
            let reason = crate::error::toml_reason(text, &e);
            Error::config(origin, format!("not a valid policy file: {reason}"))
        })?;
        Policy::compile(file, origin, today)
    }

    /// Load a preset by name (`transfer`, `sar`, `statistics`) or a policy file by path.
    pub fn load(name_or_path: &str, today: NaiveDate) -> Result<Policy> {
        if let Some(text) = preset(name_or_path) {
            return Policy::from_toml(text, &format!("preset {name_or_path}"), today);
        }
        let text = std::fs::read_to_string(name_or_path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                let names: Vec<&str> = PRESETS.iter().map(|(n, _)| *n).collect();
                Error::config(
                    name_or_path,
                    format!(
                        "no such policy file, and not a preset: give a file or one of {}",
                        names.join(", ")
                    ),
                )
            } else {
                Error::io(name_or_path, e)
            }
        })?;
        Policy::from_toml(&text, name_or_path, today)
    }

    /// Check a parsed file against the catalogue.
    pub fn compile(file: PolicyFile, origin: &str, today: NaiveDate) -> Result<Policy> {
        let fail = |message: String| Error::config(origin, message);
        let reference_date = file.policy.reference_date.unwrap_or(today);
        let catalogue = fields();
        let mut rules: Vec<Option<Rule>> = vec![None; catalogue.len()];
        let mut wildcard_sensitive = vec![false; catalogue.len()];
        // Longest pattern first, so an exact path beats `guardians[].*`, which beats `*`-less
        // shorter prefixes.
        let mut patterns: Vec<(&String, &toml::Value)> = file.fields.iter().collect();
        patterns.sort_by_key(|(p, _)| std::cmp::Reverse(specificity(p)));
        for (pattern, value) in patterns {
            let spec = RuleSpec::parse(pattern, value).map_err(&fail)?;
            let matched: Vec<usize> =
                (0..catalogue.len()).filter(|&i| matches(pattern, &catalogue[i].path)).collect();
            if matched.is_empty() {
                return Err(fail(unknown_field(pattern)));
            }
            for i in matched {
                if rules[i].is_some() {
                    continue;
                }
                let field = &catalogue[i];
                let rule = compile_rule(pattern, &spec.table(), field, reference_date)
                    .map_err(|m| fail(format!("field `{}`: {m}", field.path)))?;
                if field.class == Class::Sensitive && pattern != &field.path {
                    wildcard_sensitive[i] = true;
                    continue;
                }
                rules[i] = Some(rule);
            }
        }
        let anonymity = match &file.anonymity {
            Some(spec) => Some(compile_anonymity(spec, &rules, reference_date).map_err(&fail)?),
            None => None,
        };
        let mut quasi_of = vec![None; catalogue.len()];
        for (q, (path, _)) in anonymity.iter().flat_map(|a| a.quasi.iter()).enumerate() {
            if let Some(i) = catalogue.iter().position(|f| &f.path == path) {
                quasi_of[i] = Some(q);
            }
        }
        let policy = Policy {
            quasi_of,
            file,
            origin: origin.to_string(),
            reference_date,
            rules,
            wildcard_sensitive,
            anonymity,
        };
        policy.check_purpose().map_err(fail)?;
        check_tables(&policy.file.tables).map_err(fail)?;
        Ok(policy)
    }

    /// The policy's name.
    pub fn name(&self) -> &str {
        &self.file.policy.name
    }

    /// The job the policy declares.
    pub fn purpose(&self) -> Purpose {
        self.file.policy.purpose
    }

    /// What the release does with a PESEL, rodné číslo or e-mail address found in a released
    /// free-text field (see [`TextIdentifiers`]).
    pub fn identifiers_in_text(&self) -> TextIdentifiers {
        self.file.policy.identifiers_in_text.unwrap_or(match self.purpose() {
            Purpose::Transfer | Purpose::Sar => TextIdentifiers::Report,
            _ => TextIdentifiers::Redact,
        })
    }

    /// Whether any rule computes an `indicators.*` field.
    pub fn derives_indicators(&self) -> bool {
        self.rules.iter().flatten().any(|r| r.computed)
    }

    /// The rule of catalogue field `index`, if covered.
    pub fn rule(&self, index: usize) -> Option<&Rule> {
        self.rules.get(index).and_then(Option::as_ref)
    }

    /// The k-anonymity settings, when the policy anonymises.
    pub fn anonymity(&self) -> Option<&Anonymity> {
        self.anonymity.as_ref()
    }

    /// This policy, set up to measure risk: a policy without `[anonymity]` gets the fields that
    /// most often single a child out (sex, birth date and country, citizenship, postcode,
    /// commune, school, class level) it releases unchanged or generalised as quasi-identifiers and
    /// the sensitive fields it releases, measured against `k` but not enforced.
    pub fn for_measurement(mut self, k: u64) -> Policy {
        if self.anonymity.is_some() {
            return self;
        }
        let catalogue = fields();
        let mut quasi = Vec::new();
        for path in MEASURED_QUASI {
            let Some(i) = catalogue.iter().position(|f| f.path == path) else { continue };
            let field = &catalogue[i];
            let ladder = match self.rule(i).map(|r| &r.op) {
                Some(Op::Generalise(ladder)) => ladder.clone(),
                Some(Op::Keep) => match Ladder::new(
                    &["exact".to_string()],
                    &field.kind,
                    field.path.contains("address"),
                    self.reference_date,
                ) {
                    Ok(ladder) => ladder,
                    Err(_) => continue,
                },
                _ => continue,
            };
            self.quasi_of[i] = Some(quasi.len());
            quasi.push((path.to_string(), ladder));
        }
        let sensitive = catalogue
            .iter()
            .enumerate()
            .filter(|(i, f)| {
                f.class == Class::Sensitive
                    && f.path.ends_with(".kind") | f.path.ends_with(".category")
                    && self.rule(*i).is_some_and(|r| r.op != Op::Drop)
            })
            .map(|(_, f)| f.path.clone())
            .collect();
        self.anonymity = Some(Anonymity {
            k,
            l: None,
            max_suppression: 0.0,
            quasi,
            sensitive,
            enforce: false,
            population: None,
        });
        self
    }

    /// Whether releasing needs the whole data set first (anonymity, or rare-value suppression).
    pub fn needs_two_passes(&self) -> bool {
        self.anonymity.is_some()
            || self.rules.iter().flatten().any(|r| matches!(r.op, Op::Suppress(_)))
    }

    /// Whether releasing leaves every pupil exactly as read: every field kept, nothing
    /// derived, no anonymity, and identifiers in free text reported rather than redacted (a
    /// `transfer` handing over the whole register). Such a release needs no released copy of
    /// the record: [`Policy::release_unchanged`] checks a pupil and finds what to report.
    pub fn is_identity(&self) -> bool {
        self.anonymity.is_none()
            && self.identifiers_in_text() == TextIdentifiers::Report
            && self.rules.iter().all(|rule| {
                rule.as_ref()
                    .is_some_and(|r| r.op == Op::Keep && r.derive.is_empty() && !r.computed)
            })
    }

    /// Fields whose released values are no longer of their model type (a generalised date,
    /// a redacted yes/no): their released text does not fit the typed XSD and JSON Schema.
    pub fn retyped_fields(&self) -> Vec<&'static str> {
        fields()
            .iter()
            .enumerate()
            .filter(|(i, f)| {
                // A quasi-identifier may be released at `*` whatever its rule.
                f.kind != ValueKind::Text
                    && (self.quasi_of[*i].is_some()
                        || self.rule(*i).is_some_and(|r| match &r.op {
                            Op::Keep | Op::Drop | Op::DateShift(_) => false,
                            Op::Generalise(ladder) => !ladder.is_exact(0),
                            _ => true,
                        }))
            })
            .map(|(_, f)| f.path.as_str())
            .collect()
    }

    /// Whether any rule needs the secret key.
    pub fn needs_key(&self) -> bool {
        self.rules.iter().flatten().any(|r| matches!(r.op, Op::Pseudonymise(_) | Op::DateShift(_)))
    }

    /// Whether any rule tokenises (and so writes a mapping table).
    pub fn tokenises(&self) -> bool {
        self.rules.iter().flatten().any(|r| matches!(r.op, Op::Tokenise(_)))
    }

    /// What the policy releases that identifies a person on its own or is special-category
    /// data: every field of class [`Class::Direct`] or [`Class::Sensitive`] whose rule is
    /// anything but `drop` — a pseudonym, a mask or a marker included, since each still says
    /// something about the person (a pseudonym links, a redaction shows a health note exists).
    /// An archive holding any of it must be encrypted unless the user says otherwise.
    pub fn exposure(&self) -> Exposure {
        let mut exposure = Exposure::default();
        for (i, field) in fields().iter().enumerate() {
            if self.rule(i).is_none_or(|r| r.op == Op::Drop) {
                continue;
            }
            let list = match field.class {
                Class::Direct => &mut exposure.direct,
                Class::Sensitive => &mut exposure.sensitive,
                Class::Quasi | Class::Plain => continue,
            };
            let category = Exposure::category(field);
            if !list.contains(&category) {
                list.push(category);
            }
        }
        exposure
    }

    /// The message for a field present in the data that the policy does not cover.
    pub fn uncovered(&self, index: usize) -> Error {
        let path = fields().get(index).map(|f| f.path.as_str()).unwrap_or("?");
        let message = if self.wildcard_sensitive.get(index) == Some(&true) {
            format!(
                "field `{path}` is special-category (sensitive) data and only a wildcard covers \
                 it: name it in [fields], e.g. `\"{path}\" = \"drop\"`; wildcards never cover \
                 sensitive fields"
            )
        } else {
            format!(
                "field `{path}` is in the data but the policy does not cover it (policies fail \
                 closed): add a rule for it to [fields], e.g. `\"{path}\" = \"drop\"`"
            )
        };
        Error::config(self.origin.as_str(), message)
    }

    /// Catalogue fields the policy leaves uncovered (reported by `policy check`; the run only
    /// stops when the data actually holds one).
    pub fn uncovered_fields(&self) -> Vec<&'static FieldSpec> {
        let catalogue = fields();
        (0..catalogue.len()).filter(|&i| self.rules[i].is_none()).map(|i| &catalogue[i]).collect()
    }

    /// A statistics release keeps no direct identifier, not even pseudonymised (HMAC is
    /// pseudonymisation, never anonymisation), must measure and enforce k, and releases
    /// nothing that k and l do not cover: every released field is a quasi-identifier or a
    /// sensitive attribute, no free text leaves, and at most one field of each list is
    /// released (which items pair with which would be information no count covers).
    fn check_purpose(&self) -> std::result::Result<(), String> {
        if self.purpose() != Purpose::Statistics {
            return Ok(());
        }
        let Some(anonymity) = &self.anonymity else {
            return Err("a statistics policy must anonymise: add an [anonymity] table with k \
                        and the quasi_identifiers"
                .to_string());
        };
        if let [first, second, ..] = &anonymity.sensitive[..] {
            return Err(format!(
                "a statistics policy releases at most one sensitive attribute, but `{first}` and \
                 `{second}` are listed: an attacker who knows a pupil's value of one (a known \
                 allergy) finds the pupil's row and reads the other. Drop all but one, and \
                 publish the others as aggregate tables ([[tables]], `count-if:`)"
            ));
        }
        let mut list_fields: Vec<(Entity, &str)> = Vec::new();
        for (i, field) in fields().iter().enumerate() {
            let Some(rule) = &self.rules[i] else { continue };
            if rule.op == Op::Drop {
                continue;
            }
            check_statistics_field(field, rule, anonymity, self.quasi_of[i].is_some())?;
            if field.entity != Entity::Pupil {
                if let Some((_, other)) = list_fields.iter().find(|(e, _)| *e == field.entity) {
                    return Err(format!(
                        "fields `{other}` and `{}` of one list are both released by a \
                         statistics policy: which items go together would single pupils out \
                         and no count covers it. Release one field per list, or drop the list \
                         and derive an indicator from it (`indicators.*`)",
                        field.path
                    ));
                }
                list_fields.push((field.entity, &field.path));
            }
        }
        Ok(())
    }
}

/// One released field of a statistics policy: neither a direct identifier nor free text, and
/// counted by k (a quasi-identifier) or l (a sensitive attribute).
fn check_statistics_field(
    field: &FieldSpec,
    rule: &Rule,
    anonymity: &Anonymity,
    quasi: bool,
) -> std::result::Result<(), String> {
    let path = &field.path;
    if field.class == Class::Direct {
        return Err(format!(
            "field `{path}` is a direct identifier and a statistics policy may only drop it \
             (its rule `{}` is `{}`); pseudonyms are not anonymous: label the policy `other` \
             for a pseudonymised release",
            rule.pattern,
            op_name(&rule.op)
        ));
    }
    if field.free_text {
        return Err(format!(
            "field `{path}` holds free text, which may name anyone (another pupil's PESEL in a \
             payment title, a diagnosis in a note): a statistics policy never releases it. Drop \
             it; for counselling kinds and health categories release the coded indicators \
             `indicators.counselling` and `indicators.health` (`op = \"derive\"`)"
        ));
    }
    if !quasi && !anonymity.sensitive.iter().any(|s| s == path) {
        return Err(format!(
            "field `{path}` is released by a statistics policy but is neither a quasi-identifier \
             nor a sensitive attribute, so k and l would not count it although an attacker may \
             know it: list it in [anonymity] quasi_identifiers (kept or generalised) or in \
             `sensitive`, or drop it"
        ));
    }
    Ok(())
}

/// The operator name of a compiled op, for messages.
pub fn op_name(op: &Op) -> &'static str {
    match op {
        Op::Keep => "keep",
        Op::Drop => "drop",
        Op::Redact(_) => "redact",
        Op::Mask { .. } => "mask",
        Op::Pseudonymise(_) => "pseudonymise",
        Op::Tokenise(_) => "tokenise",
        Op::Generalise(_) => "generalise",
        Op::DateShift(_) => "date-shift",
        Op::Suppress(_) => "suppress",
    }
}

/// How specific a `[fields]` key is: exact paths beat wildcards, longer prefixes beat shorter.
fn specificity(pattern: &str) -> (bool, usize) {
    (!pattern.ends_with('*'), pattern.len())
}

/// Whether `pattern` (an exact path, `prefix.*` / `prefix[].*`, or `*` for every field)
/// covers `path`. No wildcard ever covers a sensitive field (see [`Policy::compile`]).
fn matches(pattern: &str, path: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some("") => true,
        Some(prefix) if prefix.ends_with('.') => path.starts_with(prefix),
        Some(_) => false,
        None => pattern == path,
    }
}

fn unknown_field(pattern: &str) -> String {
    let stem = pattern.trim_end_matches(['*', '.']).trim_end_matches("[]");
    let close: Vec<&str> = fields()
        .iter()
        .map(|f| f.path.as_str())
        .filter(|p| {
            let last = stem.rsplit(['.', ']']).next().unwrap_or(stem);
            !last.is_empty() && p.contains(last)
        })
        .take(4)
        .collect();
    let hint = if pattern.ends_with('*') && !pattern.ends_with(".*") {
        " (wildcards are `prefix.*`, e.g. `grades[].*`)".to_string()
    } else if close.is_empty() {
        " (`teczka schema` lists every field)".to_string()
    } else {
        format!(" (did you mean {}?)", close.join(", "))
    };
    format!("`{pattern}` names no field of the model{hint}")
}

fn compile_rule(
    pattern: &str,
    table: &RuleTable,
    field: &FieldSpec,
    reference_date: NaiveDate,
) -> std::result::Result<Rule, String> {
    let op_name = table.op.ok_or("the rule has no `op`: add e.g. `op = \"drop\"`")?;
    let allowed: &[&str] = match op_name {
        OpName::Keep | OpName::Drop => &[],
        OpName::Redact => &["with"],
        OpName::Mask => &["keep_start", "keep_end"],
        OpName::Pseudonymise | OpName::Tokenise => &["domain"],
        OpName::Generalise => &["to", "levels"],
        OpName::DateShift => &["max_days"],
        OpName::Suppress => &["below"],
        OpName::Derive => &["to", "levels"],
    };
    let given = [
        ("with", table.with.is_some()),
        ("keep_start", table.keep_start.is_some()),
        ("keep_end", table.keep_end.is_some()),
        ("domain", table.domain.is_some()),
        ("to", table.to.is_some()),
        ("levels", table.levels.is_some()),
        ("max_days", table.max_days.is_some()),
        ("below", table.below.is_some()),
    ];
    if let Some((option, _)) = given.iter().find(|(o, set)| *set && !allowed.contains(o)) {
        return Err(format!("`{option}` is not an option of `{}`", op_name.as_str()));
    }
    let op = match op_name {
        OpName::Keep => Op::Keep,
        OpName::Drop => Op::Drop,
        OpName::Redact => Op::Redact(table.with.clone().unwrap_or_else(|| "[redacted]".into())),
        OpName::Mask => {
            Op::Mask { start: table.keep_start.unwrap_or(0), end: table.keep_end.unwrap_or(3) }
        }
        OpName::Pseudonymise => Op::Pseudonymise(domain(table, field)),
        OpName::Tokenise => Op::Tokenise(domain(table, field)),
        OpName::Generalise => match ladder_names(table) {
            Some(names) => Op::Generalise(ladder(&names?, field, reference_date)?),
            None => return Err("give either `to` (one level) or `levels` (a ladder)".into()),
        },
        OpName::Derive if !field.path.starts_with("indicators.") => {
            return Err(
                "`derive` computes `indicators.*` fields only: use it on one of those, \
                        e.g. `\"indicators.absence_rate\" = { op = \"derive\", to = \"band:10\" }`"
                    .into(),
            )
        }
        OpName::Derive => match ladder_names(table) {
            Some(names) => Op::Generalise(ladder(&names?, field, reference_date)?),
            None => Op::Keep,
        },
        OpName::DateShift if field.kind != ValueKind::Date => {
            return Err("`date-shift` applies to dates only".into())
        }
        OpName::DateShift => Op::DateShift(table.max_days.unwrap_or(30).max(1)),
        OpName::Suppress => Op::Suppress(table.below.unwrap_or(0)),
    };
    for target in &table.derive {
        if !matches!(field.path.as_str(), "pesel" | "birth_number") {
            return Err("`derive` applies to `pesel` and `birth_number` only".into());
        }
        if !matches!(target.as_str(), "birth_date" | "sex") {
            return Err(format!("cannot derive `{target}`: derive `birth_date` and/or `sex`"));
        }
    }
    Ok(Rule {
        op,
        pattern: pattern.to_string(),
        derive: table.derive.clone(),
        computed: op_name == OpName::Derive,
    })
}

/// The ladder a rule names: `to` (one level) or `levels`; `None` when it names neither,
/// an error when it names both.
fn ladder_names(table: &RuleTable) -> Option<std::result::Result<Vec<String>, String>> {
    match (&table.to, &table.levels) {
        (Some(to), None) => Some(Ok(vec![to.clone()])),
        (None, Some(levels)) => Some(Ok(levels.clone())),
        (None, None) => None,
        (Some(_), Some(_)) => {
            Some(Err("give either `to` (one level) or `levels` (a ladder)".into()))
        }
    }
}

fn ladder(
    names: &[String],
    field: &FieldSpec,
    reference_date: NaiveDate,
) -> std::result::Result<Ladder, String> {
    Ladder::new(names, &field.kind, field.path.contains("address"), reference_date)
}

fn domain(table: &RuleTable, field: &FieldSpec) -> String {
    table.domain.clone().unwrap_or_else(|| field.path.clone())
}

fn compile_anonymity(
    spec: &file::Anonymity,
    rules: &[Option<Rule>],
    reference_date: NaiveDate,
) -> std::result::Result<Anonymity, String> {
    if spec.k < 2 {
        return Err("[anonymity] k must be at least 2".into());
    }
    if spec.l.is_some_and(|l| l < 2) {
        return Err("[anonymity] l must be at least 2 (or left out)".into());
    }
    if !(0.0..=1.0).contains(&spec.max_suppression) {
        return Err("[anonymity] max_suppression is a share between 0 and 1, e.g. 0.05".into());
    }
    if spec.l.is_some() && spec.sensitive.is_empty() {
        return Err("[anonymity] l needs the `sensitive` fields it is measured on".into());
    }
    if spec.quasi_identifiers.is_empty() {
        return Err("[anonymity] names no quasi_identifiers".into());
    }
    if spec.population == Some(0) {
        return Err("[anonymity] population is the number of pupils the data is a sample of: \
                    at least 1, or left out"
            .into());
    }
    let index = |path: &str| -> std::result::Result<usize, String> {
        fields().iter().position(|f| f.path == path).ok_or_else(|| {
            format!(
                "[anonymity]: {}",
                unknown_field(path).replace("names no field", "is not a field")
            )
        })
    };
    let mut quasi: Vec<(String, Ladder)> = Vec::new();
    for path in &spec.quasi_identifiers {
        let i = index(path)?;
        if quasi.iter().any(|(p, _)| p == path) {
            return Err(format!("[anonymity]: `{path}` is listed twice"));
        }
        let field = &fields()[i];
        let ladder = match rules[i].as_ref().map(|r| &r.op) {
            Some(Op::Generalise(ladder)) => ladder.clone(),
            Some(Op::Keep) => Ladder::new(
                &["exact".to_string()],
                &field.kind,
                field.path.contains("address"),
                reference_date,
            )?,
            Some(other) => {
                return Err(format!(
                    "quasi-identifier `{path}` must be kept or generalised for anonymisation to \
                     measure it, but its rule is `{}`",
                    op_name(other)
                ))
            }
            None => return Err(format!("quasi-identifier `{path}` has no rule in [fields]")),
        };
        quasi.push((path.clone(), ladder));
    }
    for path in &spec.sensitive {
        let i = index(path)?;
        if rules[i].as_ref().is_some_and(|r| r.op == Op::Drop) {
            return Err(format!(
                "sensitive attribute `{path}` is dropped: l-diversity over it \
                                would measure nothing; keep it or leave it out of `sensitive`"
            ));
        }
    }
    Ok(Anonymity {
        k: spec.k,
        l: spec.l,
        max_suppression: spec.max_suppression,
        quasi,
        sensitive: spec.sensitive.clone(),
        enforce: true,
        population: spec.population,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Pupil;
    use serde_json::{json, Value};

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 9, 1).unwrap()
    }

    fn policy(fields: &str) -> Result<Policy> {
        let text = format!("[policy]\nname = \"t\"\npurpose = \"other\"\n[fields]\n{fields}");
        Policy::from_toml(&text, "test.toml", today())
    }

    fn pupil(value: Value) -> Pupil {
        serde_json::from_value(value).unwrap()
    }

    fn release(policy: &Policy, value: Value) -> Result<Value> {
        let released = policy.release(&pupil(value), Secrets::default())?;
        Ok(Value::Object(released.record.to_map()))
    }

    #[test]
    fn every_preset_compiles_and_covers_every_field() {
        for (name, _) in PRESETS {
            let policy = Policy::load(name, today()).unwrap();
            assert_eq!(policy.name(), name);
            assert_eq!(policy.uncovered_fields(), Vec::<&FieldSpec>::new(), "{name}");
        }
        assert!(Policy::load("transfer", today()).unwrap().file.policy.require_encryption);
    }

    #[test]
    fn an_identity_release_is_the_pupil_unchanged_with_the_same_findings() {
        use crate::synth::{Country, Detail, Generator, GeneratorConfig};
        let transfer = Policy::load("transfer", today()).unwrap();
        assert!(transfer.is_identity());
        for (name, _) in PRESETS {
            let identity = Policy::load(name, today()).unwrap().is_identity();
            assert_eq!(identity, *name == *"transfer", "{name}");
        }
        let mut redacting = Policy::load("transfer", today()).unwrap();
        redacting.file.policy.identifiers_in_text = Some(TextIdentifiers::Redact);
        assert!(!redacting.is_identity(), "redacting text changes the record");

        let mut pupils: Vec<Pupil> = [Country::Pl, Country::Cz]
            .into_iter()
            .flat_map(|country| {
                let config =
                    GeneratorConfig { country, detail: Detail::Full, ..Default::default() };
                Generator::new(config).iter(0..150).collect::<Vec<_>>()
            })
            .collect();
        // Identifiers in free text at two depths, and a guardian entry holding nothing.
        pupils[0].remarks[0].text = Some("PESEL 02070803628, mail a@b.pl".into());
        pupils[1].guardians.push(crate::model::Guardian::default());
        let mut unchanged = 0;
        for pupil in &pupils {
            let released = transfer.release(pupil, Secrets::default()).unwrap();
            let mut expected = released.text_identifiers.clone();
            expected.sort();
            match transfer.release_unchanged(pupil).unwrap() {
                Some(mut found) => {
                    unchanged += 1;
                    let same = Value::Object(released.record.to_map())
                        == serde_json::to_value(pupil).unwrap();
                    assert!(same, "pupil {}: the release differs from the pupil", pupil.id);
                    found.sort();
                    assert_eq!(found, expected, "pupil {}", pupil.id);
                }
                // A hollow item may or may not leave the release; the long way decides.
                None => assert_eq!(pupil.id, pupils[1].id, "only the hollow guardian's pupil"),
            }
        }
        assert_eq!(unchanged, pupils.len() - 1, "only the hollow guardian goes the long way");
        assert_eq!(transfer.release_unchanged(&pupils[0]).unwrap().unwrap().len(), 2);
    }

    #[test]
    fn exposure_names_the_categories_of_identifying_and_sensitive_fields_released() {
        let load = |name| Policy::load(name, today()).unwrap().exposure();
        let sar = load("sar");
        assert!(sar.direct.starts_with(&["pupils".to_string(), "addresses".to_string()]));
        assert!(sar.direct.contains(&"guardians".to_string()), "{sar:?}");
        assert!(sar.sensitive.contains(&"health".to_string()), "{sar:?}");
        assert!(sar.sensitive.contains(&"counselling".to_string()), "{sar:?}");
        assert!(!load("transfer").is_empty());
        // Statistics releases no identifier, but the coded counselling indicator.
        let statistics = load("statistics");
        assert_eq!(statistics.direct, Vec::<String>::new());
        assert_eq!(statistics.sensitive, ["indicators.counselling"]);
        assert_eq!(statistics.to_string(), "special-category data (indicators.counselling)");
        // A pseudonym or a marker still counts; only `drop` does not.
        let pseudonymised = policy("\"pesel\" = \"pseudonymise\"\n").unwrap().exposure();
        assert_eq!(pseudonymised.to_string(), "direct identifiers (pupils)");
        let redacted = policy("\"health[].note\" = \"redact\"\n").unwrap().exposure();
        assert_eq!(redacted.to_string(), "special-category data (health)");
        let quasi = policy("\"sex\" = \"keep\"\n\"pesel\" = \"drop\"\n").unwrap().exposure();
        assert!(quasi.is_empty(), "{quasi:?}");
    }

    #[test]
    fn a_present_field_without_a_rule_stops_the_run_naming_it() {
        let policy = policy("\"id\" = \"keep\"\n").unwrap();
        let err = release(&policy, json!({"id": "P1", "surname": "Nowak"})).unwrap_err();
        let message = err.to_string();
        assert!(message.contains("field `surname` is in the data but the policy does not cover"));
        assert!(!message.contains("Nowak"));
        // Absent fields need no rule.
        assert_eq!(release(&policy, json!({"id": "P1"})).unwrap(), json!({"id": "P1"}));
    }

    #[test]
    fn wildcards_never_cover_sensitive_fields() {
        let policy = policy("\"*\" = \"keep\"\n").unwrap();
        let err = release(&policy, json!({"id": "P1", "health": [{"category": "allergy"}]}))
            .unwrap_err()
            .to_string();
        assert!(err.contains("`health[].category` is special-category"), "{err}");
        let named = policy_with_health("keep");
        let out = release(&named, json!({"id": "P1", "health": [{"category": "allergy"}]}));
        assert_eq!(out.unwrap(), json!({"id": "P1", "health": [{"category": "allergy"}]}));
    }

    fn policy_with_health(op: &str) -> Policy {
        policy(&format!(
            "\"*\" = \"keep\"\n\"health[].category\" = \"{op}\"\n\"health[].note\" = \"drop\"\n\
             \"health[].recorded_on\" = \"drop\"\n"
        ))
        .unwrap()
    }

    #[test]
    fn exact_paths_beat_wildcards_and_unknown_paths_are_refused() {
        let p = policy(
            "\"*\" = \"keep\"\n\"guardians[].*\" = \"drop\"\n\"guardians[].relation\" = \"keep\"\n",
        )
        .unwrap();
        let out = release(
            &p,
            json!({"id": "P1", "guardians": [{"relation": "matka", "surname": "Nowak"}]}),
        );
        assert_eq!(out.unwrap(), json!({"id": "P1", "guardians": [{"relation": "matka"}]}));
        let err = policy("\"surnme\" = \"drop\"\n").unwrap_err().to_string();
        assert!(err.contains("`surnme` names no field of the model"), "{err}");
        let err = policy("\"guardians*\" = \"drop\"\n").unwrap_err().to_string();
        assert!(err.contains("wildcards are `prefix.*`"), "{err}");
    }

    #[test]
    fn options_must_belong_to_their_operator() {
        let err = policy("\"phone\" = { op = \"drop\", keep_end = 2 }\n").unwrap_err();
        // `phone` is not a top-level field: the path check comes first.
        assert!(err.to_string().contains("names no field"));
        let err = policy("\"surname\" = { op = \"drop\", keep_end = 2 }\n").unwrap_err();
        assert!(err.to_string().contains("field `surname`: `keep_end` is not an option of `drop`"));
        let err = policy("\"surname\" = { op = \"date-shift\" }\n").unwrap_err();
        assert!(err.to_string().contains("`date-shift` applies to dates only"));
        let err = policy("\"surname\" = { op = \"keep\", derive = [\"sex\"] }\n").unwrap_err();
        assert!(err.to_string().contains("`derive` applies to `pesel` and `birth_number` only"));
    }

    #[test]
    fn statistics_policies_keep_no_direct_identifier_and_must_anonymise() {
        let text = Policy::load("statistics", today()).unwrap().file;
        let mut file = text.clone();
        file.fields.insert("first_name".into(), toml::Value::String("pseudonymise".into()));
        let err = Policy::compile(file, "mine.toml", today()).unwrap_err().to_string();
        assert!(err.contains("`first_name` is a direct identifier"), "{err}");
        let mut file = text.clone();
        file.anonymity = None;
        let err = Policy::compile(file, "mine.toml", today()).unwrap_err().to_string();
        assert!(err.contains("must anonymise"), "{err}");
        let mut file = text;
        file.fields.insert("addresses[].postcode".into(), toml::Value::String("keep".into()));
        let err = Policy::compile(file, "mine.toml", today()).unwrap_err().to_string();
        assert!(
            err.contains(
                "`addresses[].postcode` is released by a statistics policy but is neither"
            ),
            "{err}"
        );
    }

    fn statistics_with(path: &str, rule: &str) -> String {
        let mut file = Policy::load("statistics", today()).unwrap().file;
        file.fields.insert(
            path.into(),
            toml::from_str::<toml::Value>(&format!("v = {rule}")).unwrap()["v"].clone(),
        );
        Policy::compile(file, "mine.toml", today()).unwrap_err().to_string()
    }

    #[test]
    fn statistics_policies_release_only_what_k_and_l_count() {
        // Free text never leaves, whatever it is listed as.
        let err = statistics_with("payments[].title", "\"keep\"");
        assert!(err.contains("`payments[].title` holds free text"), "{err}");
        let err = statistics_with("health[].category", "\"keep\"");
        assert!(err.contains("`health[].category` holds free text"), "{err}");
        // A kept field outside the quasi-identifiers and the sensitive attributes is refused,
        // plain ones too (a register number, a guardian's relation).
        let err = statistics_with("enrolment.register_number", "\"keep\"");
        assert!(
            err.contains(
                "`enrolment.register_number` is released by a statistics policy but is neither"
            ),
            "{err}"
        );
        let err = statistics_with("guardians[].relation", "\"keep\"");
        assert!(err.contains("`guardians[].relation` is released"), "{err}");
        // A redacted direct identifier still shows who has one.
        let err = statistics_with("surname", "\"redact\"");
        assert!(
            err.contains(
                "`surname` is a direct identifier and a statistics policy may only drop it"
            ),
            "{err}"
        );
        // Two sensitive attributes: knowing one reads the other.
        let mut file = Policy::load("statistics", today()).unwrap().file;
        file.fields.insert("indicators.health".into(), toml::Value::String("derive".into()));
        if let Some(a) = file.anonymity.as_mut() {
            a.sensitive.push("indicators.health".into());
        }
        let err = Policy::compile(file, "mine.toml", today()).unwrap_err().to_string();
        assert!(err.contains("at most one sensitive attribute"), "{err}");
        // Two fields of one list pair up.
        let mut file = Policy::load("statistics", today()).unwrap().file;
        file.fields.insert("addresses[].kind".into(), toml::Value::String("keep".into()));
        if let Some(a) = file.anonymity.as_mut() {
            a.quasi_identifiers.push("addresses[].kind".into());
        }
        let err = Policy::compile(file, "mine.toml", today()).unwrap_err().to_string();
        assert!(
            err.contains("fields `addresses[].kind` and `addresses[].commune` of one list"),
            "{err}"
        );
    }

    #[test]
    fn derive_computes_indicators_and_ignores_values_in_the_data() {
        let p = policy(
            "\"id\" = \"keep\"\n\"attendance[].*\" = \"drop\"\n\
             \"indicators.absences\" = { op = \"derive\", to = \"band:2\" }\n\
             \"indicators.health\" = \"derive\"\n\"health[].category\" = \"drop\"\n",
        )
        .unwrap();
        let out = release(
            &p,
            json!({"id": "P1", "attendance": [{"status": "absent"}, {"status": "excused"},
                   {"status": "absent"}], "health": [{"category": "dieta"}],
                   "indicators": {"absences": 0, "health": "none"}}),
        )
        .unwrap();
        assert_eq!(out, json!({"id": "P1", "indicators": {"absences": "[2,4)", "health": "diet"}}));
        let err = policy("\"id\" = \"derive\"\n").unwrap_err().to_string();
        assert!(err.contains("`derive` computes `indicators.*` fields only"), "{err}");
    }

    #[test]
    fn identifiers_in_free_text_are_found_reported_and_redacted_as_the_policy_says() {
        let record = json!({"id": "P1", "payments": [{"title": "obiady Nowak 02270803624"}],
                            "remarks": [{"text": "mail: a.b@wp.pl"}]});
        let redacting = policy("\"*\" = \"keep\"\n").unwrap();
        let released = redacting.release(&pupil(record.clone()), Secrets::default()).unwrap();
        assert_eq!(
            Value::Object(released.record.to_map()),
            json!({"id": "P1", "payments": [{"title": "obiady Nowak [redacted]"}],
                   "remarks": [{"text": "mail: [redacted]"}]})
        );
        let paths: Vec<&str> =
            released.text_identifiers.iter().map(|(i, _)| fields()[*i].path.as_str()).collect();
        assert_eq!(paths, ["remarks[].text", "payments[].title"]);
        let text = "[policy]\nname = \"t\"\npurpose = \"transfer\"\n[fields]\n\"*\" = \"keep\"\n";
        let reporting = Policy::from_toml(text, "t.toml", today()).unwrap();
        let released = reporting.release(&pupil(record.clone()), Secrets::default()).unwrap();
        assert_eq!(Value::Object(released.record.to_map()), record);
        assert_eq!(released.text_identifiers.len(), 2);
    }

    #[test]
    fn operators_transform_values() {
        let p = policy(
            "\"*\" = \"keep\"\n\"surname\" = \"redact\"\n\"first_name\" = \"drop\"\n\
             \"guardians[].phone\" = { op = \"mask\", keep_end = 3 }\n\
             \"guardians[].email\" = { op = \"mask\", keep_start = 1, keep_end = 0 }\n\
             \"birth_date\" = { op = \"generalise\", to = \"age-band:5\" }\n\
             \"addresses[].town\" = { op = \"generalise\", to = \"commune\" }\n",
        )
        .unwrap();
        let out = release(
            &p,
            json!({"id": "P1", "surname": "Nowak", "first_name": "Ola", "birth_date": "2014-03-02",
                   "addresses": [{"town": "Oliwa", "commune": "Gdańsk"}],
                   "guardians": [{"phone": "+48 601 234 567", "email": "jan.kowalski@wp.pl"}]}),
        )
        .unwrap();
        assert_eq!(
            out,
            json!({"id": "P1", "surname": "[redacted]", "birth_date": "10-14",
                   "addresses": [{"town": "Gdańsk", "commune": "Gdańsk"}],
                   "guardians": [{"phone": "+** *** *** 567", "email": "j**.********@**.**"}]})
        );
    }

    #[test]
    fn fully_dropped_groups_and_entities_leave_no_trace() {
        let p =
            policy("\"*\" = \"drop\"\n\"id\" = \"keep\"\n\"grades[].grade\" = \"keep\"\n").unwrap();
        let out = release(
            &p,
            json!({"id": "P1", "enrolment": {"class_level": "3"},
                   "remarks": [{"text": "x"}, {"text": "y"}],
                   "grades": [{"grade": "5", "subject": "m"}, {"subject": "p"}]}),
        )
        .unwrap();
        // Grades keep their count (one item lost its only released field); remarks vanish.
        assert_eq!(out, json!({"id": "P1", "grades": [{"grade": "5"}, {}]}));
    }

    #[test]
    fn retyped_fields_are_the_typed_ones_a_release_turns_into_text() {
        assert!(Policy::load("transfer", today()).unwrap().retyped_fields().is_empty());
        let statistics = Policy::load("statistics", today()).unwrap();
        assert_eq!(
            statistics.retyped_fields(),
            [
                "sex",
                "birth_date",
                "national_citizen",
                "indicators.absences",
                "indicators.grade_average",
                "indicators.exam_score",
                "indicators.achievement_count"
            ]
        );
    }

    #[test]
    fn masks_never_show_more_than_half() {
        assert_eq!(mask("12", 0, 3), "*2");
        assert_eq!(mask("5a", 3, 3), "*a");
        assert_eq!(mask("", 1, 1), "");
    }

    #[test]
    fn derive_fills_birth_date_and_sex_from_the_pesel_before_their_rules() {
        let p = policy(
            "\"*\" = \"keep\"\n\"pesel\" = { op = \"drop\", derive = [\"birth_date\", \"sex\"] }\n\
             \"birth_date\" = { op = \"generalise\", to = \"year\" }\n",
        )
        .unwrap();
        // 02270803624: born 2002-07-08, female.
        let out = release(&p, json!({"id": "P1", "pesel": "02270803624"})).unwrap();
        assert_eq!(out, json!({"id": "P1", "birth_date": "2002", "sex": "female"}));
        // A recorded birth date wins; an invalid PESEL derives nothing.
        let out = release(&p, json!({"id": "P1", "pesel": "02270803629"})).unwrap();
        assert_eq!(out, json!({"id": "P1"}));
    }
}
