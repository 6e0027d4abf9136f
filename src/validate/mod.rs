//! Validation: the domain rules every record is checked against, and duplicate detection.
//!
//! Two stages, kept apart because they run differently:
//!
//! * [`Validator`] holds the per-record rules. It is stateless (`Clone + Send + Sync`), so the
//!   pipeline runs it on any rayon thread. [`Validator::check`] adds every problem it finds to
//!   the record — it never stops at the first one, so a rejected record comes back with all its
//!   reasons at once.
//! * [`Duplicates`] remembers what it has seen (same PESEL or rodné číslo on two pupils, same
//!   local id) and so must see the records one at a time, in input order.
//!
//! The rules live one family per file, each a small pure function with a table of test cases:
//! `required` (`id`, surname, first name), `ids` (PESEL, rodné číslo, REGON, TERYT),
//! `contact` (postcodes, e-mail, phone), `dates` (plausible range, order), `names` (shape
//! warnings), `money` (currency codes) and `schema` (the published JSON Schema and an optional
//! extra one). Their messages are constant strings chosen per problem, so a value can never leak
//! into a report; the only text added is the item's position ("guardian 2: "), the schema
//! keyword that failed, and for duplicates where the first occurrence is — never a field value.
//!
//! The validator changes a record in exactly one case: with
//! [`ValidatorBuilder::repair_pesel`] on, a PESEL that lost its leading zero in Excel is padded
//! back, and a warning says so.

/// `check: text => expected;` — a table of cases for a one-argument rule, each assertion naming
/// its input when it fails.
#[cfg(test)]
macro_rules! table {
    ($check:ident: $($text:expr => $expected:expr;)*) => {
        $(assert_eq!($check($text), $expected, "{:?}", $text);)*
    };
}

mod contact;
mod dates;
mod duplicates;
mod ids;
mod money;
mod names;
mod required;
mod schema;

pub use duplicates::Duplicates;
pub use ids::{
    birth_number_birth, birth_number_with_restored_zero, pesel_birth, pesel_with_restored_zero,
};

use crate::error::Result;
use crate::model::record::{Record, Rule, Severity};
use crate::model::Entity;
use chrono::NaiveDate;
use schema::SchemaCheck;
use serde_json::Value;
use std::borrow::Cow;
use std::path::PathBuf;

/// Checks the per-record rules; stateless so it can run on any thread.
///
/// Build one with [`ValidatorBuilder`] (or [`Validator::default`] for the defaults: no PESEL
/// repair, today's date from the clock, no schema check) and clone it into every worker.
///
/// # Example
///
/// ```
/// use chrono::NaiveDate;
/// use teczka::{Pupil, Record, Rule, ValidatorBuilder};
///
/// let validator = ValidatorBuilder::new()
///     .today(NaiveDate::from_ymd_opt(2025, 9, 1).unwrap())
///     .build()?;
/// let mut record = Record {
///     pupil: Pupil {
///         id: "P-1".into(),
///         surname: Some("Nowak".into()),
///         first_name: Some("Ala".into()),
///         pesel: Some("44051401358".into()),
///         ..Pupil::default()
///     },
///     ..Record::default()
/// };
/// validator.check(&mut record);
/// assert!(record.is_rejected());
/// assert_eq!(record.problems[0].rule, Rule::PeselChecksum);
/// # Ok::<(), teczka::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Validator {
    repair_pesel: bool,
    today: NaiveDate,
    schema: SchemaCheck,
}

impl Default for Validator {
    fn default() -> Validator {
        Validator {
            repair_pesel: false,
            today: chrono::Local::now().date_naive(),
            schema: SchemaCheck::default(),
        }
    }
}

impl Validator {
    /// Check one record, adding every violation found to `record.problems`.
    ///
    /// The record is changed only when PESEL repair is on and a PESEL lost its leading zero.
    pub fn check(&self, record: &mut Record) {
        // A ragged row's cells could not be assigned to columns and an orphan row has no
        // pupil, a blank row has nothing: their fields were never read, so domain rules would
        // only add false alarms ("surname missing") to the reason the reader already gave.
        let unread =
            |rule| matches!(rule, Rule::RaggedRow | Rule::Orphan | Rule::BlankRow | Rule::Encoding);
        if record.problems.iter().any(|v| unread(v.rule)) {
            return;
        }
        let mut findings = Findings::default();
        required::check(&record.pupil, &mut findings);
        ids::check(&mut record.pupil, self.repair_pesel, &mut findings);
        contact::check(&record.pupil, &mut findings);
        dates::check(&record.pupil, self.today, &mut findings);
        names::check(&record.pupil, &mut findings);
        money::check(&record.pupil, &mut findings);
        self.schema.check(&record.pupil, &mut findings);
        for f in findings.items {
            record.report(&f.field, f.rule, f.severity, f.message);
        }
    }
}

/// Configures and builds a [`Validator`].
#[derive(Clone, Debug, Default)]
pub struct ValidatorBuilder {
    repair_pesel: bool,
    today: Option<NaiveDate>,
    generated_schema: bool,
    extra_schema: Option<(PathBuf, Value)>,
}

impl ValidatorBuilder {
    /// A builder with the defaults: report PESELs that lost their leading zero without
    /// repairing them, take today's date from the clock, check no JSON Schema.
    pub fn new() -> ValidatorBuilder {
        ValidatorBuilder::default()
    }

    /// Pad 10-digit PESELs whose zero-padded form is valid and agrees with the birth date
    /// (`--repair-pesel`). The repair is reported as a warning on the record.
    pub fn repair_pesel(&mut self, yes: bool) -> &mut ValidatorBuilder {
        self.repair_pesel = yes;
        self
    }

    /// The date that "the future" is measured from; tests and reproducible runs set it.
    pub fn today(&mut self, today: NaiveDate) -> &mut ValidatorBuilder {
        self.today = Some(today);
        self
    }

    /// Also validate each record against the published pupil schema.
    ///
    /// Off by default: every record is a typed [`Pupil`](crate::Pupil), and the schema is
    /// generated from those types, so it cannot fail; it is worth turning on only to prove
    /// that (e.g. in `verify`) at the cost of serialising every record.
    pub fn generated_schema(&mut self, yes: bool) -> &mut ValidatorBuilder {
        self.generated_schema = yes;
        self
    }

    /// Also validate each record against a user's JSON Schema (e.g. what the receiving
    /// vendor requires), read from `path`. Its violations are errors of rule
    /// [`Rule::Schema`]; `format` keywords are enforced. References to other files or URLs
    /// are not fetched.
    pub fn extra_schema(
        &mut self,
        path: impl Into<PathBuf>,
        schema: Value,
    ) -> &mut ValidatorBuilder {
        self.extra_schema = Some((path.into(), schema));
        self
    }

    /// Build the validator, compiling the schemas once.
    ///
    /// Fails with a configuration error when the extra schema is not a valid JSON Schema.
    pub fn build(&self) -> Result<Validator> {
        let extra = self.extra_schema.as_ref().map(|(path, schema)| (path.as_path(), schema));
        Ok(Validator {
            repair_pesel: self.repair_pesel,
            today: self.today.unwrap_or_else(|| chrono::Local::now().date_naive()),
            schema: SchemaCheck::new(self.generated_schema, extra)?,
        })
    }
}

/// The text of an optional field, `None` when absent or blank.
///
/// Readers leave empty cells absent, but a JSON line can hold `""`; both mean "not given", and
/// whether a field must be given is the `required` family's business, not each format rule's.
fn text(field: &Option<String>) -> Option<&str> {
    field.as_deref().filter(|t| !t.trim().is_empty())
}

/// One kind of problem a rule family finds: its rule, severity and a fixed message.
///
/// The message is a constant, so it cannot contain a value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Problem {
    rule: Rule,
    severity: Severity,
    message: &'static str,
}

impl Problem {
    const fn error(rule: Rule, message: &'static str) -> Problem {
        Problem { rule, severity: Severity::Error, message }
    }

    const fn warning(rule: Rule, message: &'static str) -> Problem {
        Problem { rule, severity: Severity::Warning, message }
    }
}

/// Which item of the record a problem is about, to name it in the message ("guardian 2").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Item {
    /// The pupil's own fields.
    Pupil,
    /// The `index`-th (from 0) item of a list, called `noun` ("guardian", "address").
    Nth(&'static str, usize),
}

/// How messages name one item of a list of `entity` ("guardian 2", "attendance entry 5").
fn noun(entity: Entity) -> &'static str {
    match entity {
        Entity::Attendance => "attendance entry",
        Entity::Health => "health note",
        other => other.element(),
    }
}

/// A problem found, not yet attached to the record (the rules borrow the pupil while they run).
#[derive(Clone, Debug, PartialEq, Eq)]
struct Finding {
    field: Cow<'static, str>,
    rule: Rule,
    severity: Severity,
    message: String,
}

/// The problems found in one record, in the order the rules found them.
#[derive(Debug, Default)]
struct Findings {
    items: Vec<Finding>,
}

impl Findings {
    /// Add `problem` about `field` of `item`.
    fn add(&mut self, field: impl Into<Cow<'static, str>>, item: Item, problem: Problem) {
        self.add_text(field, item, problem.rule, problem.severity, problem.message);
    }

    /// Add a problem whose message is composed at run time (schema keywords, duplicates).
    fn add_text(
        &mut self,
        field: impl Into<Cow<'static, str>>,
        item: Item,
        rule: Rule,
        severity: Severity,
        message: &str,
    ) {
        let message = match item {
            Item::Pupil => message.to_string(),
            Item::Nth(noun, index) => format!("{noun} {}: {message}", index + 1),
        };
        self.items.push(Finding { field: field.into(), rule, severity, message });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Address, Guardian, Pupil, Sex};

    pub(super) fn date(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    fn validator(repair: bool) -> Validator {
        ValidatorBuilder::new().repair_pesel(repair).today(date("2025-09-01")).build().unwrap()
    }

    fn record(pupil: Pupil) -> Record {
        Record { pupil, ..Record::default() }
    }

    fn good_pupil() -> Pupil {
        Pupil {
            id: "P-1".into(),
            surname: Some("Nowak".into()),
            first_name: Some("Ala".into()),
            pesel: Some("02211307589".into()),
            birth_date: Some(date("2002-01-13")),
            sex: Some(Sex::Female),
            ..Pupil::default()
        }
    }

    /// (field, rule code, severity) of every problem, for compact assertions.
    fn summary(record: &Record) -> Vec<(String, String, Severity)> {
        record.problems.iter().map(|v| (v.field.clone(), v.rule.code(), v.severity)).collect()
    }

    #[test]
    fn validator_is_clone_send_sync() {
        fn assert_bounds<T: Clone + Send + Sync>() {}
        assert_bounds::<Validator>();
    }

    #[test]
    fn a_good_record_has_no_problems() {
        let mut r = record(good_pupil());
        validator(false).check(&mut r);
        assert_eq!(summary(&r), vec![]);
    }

    #[test]
    fn every_problem_of_a_record_is_collected_with_full_field_paths() {
        let mut pupil = good_pupil();
        pupil.id = String::new();
        pupil.pesel = Some("02211307588".into());
        pupil.first_name = Some("Ala Maria".into());
        pupil.addresses = vec![Address { postcode: Some("00 950".into()), ..Address::default() }];
        pupil.guardians = vec![
            Guardian { email: Some("jan@example.pl".into()), ..Guardian::default() },
            Guardian {
                email: Some("jan.example.pl".into()),
                phone: Some("12".into()),
                address: Some(Address {
                    country: Some("Polska".into()),
                    postcode: Some("00950".into()),
                    ..Address::default()
                }),
                ..Guardian::default()
            },
        ];
        let mut r = record(pupil);
        validator(false).check(&mut r);
        use Severity::*;
        let s = |f: &str, c: &str, sev| (f.to_string(), c.to_string(), sev);
        assert_eq!(
            summary(&r),
            vec![
                s("id", "required", Error),
                s("pesel", "pesel-checksum", Error),
                s("addresses[].postcode", "postcode", Error),
                s("guardians[].email", "email", Error),
                s("guardians[].phone", "phone", Error),
                s("guardians[].address.postcode", "postcode", Error),
                s("first_name", "name-shape", Warning),
            ]
        );
        assert!(r.problems[3].message.starts_with("guardian 2: "), "{}", r.problems[3].message);
        assert!(r.problems[2].message.starts_with("address 1: "), "{}", r.problems[2].message);
    }

    #[test]
    fn leading_zero_without_repair_holds_the_record_back_and_keeps_the_value() {
        let mut pupil = good_pupil();
        pupil.pesel = Some("2211307589".into());
        let mut r = record(pupil);
        validator(false).check(&mut r);
        // Never released as 10 digits: the record is rejected until the repair is asked for.
        assert_eq!(
            summary(&r),
            vec![("pesel".into(), "pesel-leading-zero".into(), Severity::Error)]
        );
        assert!(r.is_rejected());
        assert!(r.problems[0].message.contains("--repair-pesel"));
        assert_eq!(r.pupil.pesel.as_deref(), Some("2211307589"));
    }

    #[test]
    fn repair_pads_the_pesel_says_so_and_checks_the_repaired_value() {
        let mut pupil = good_pupil();
        pupil.pesel = Some("2211307589".into());
        pupil.sex = Some(Sex::Male);
        let mut r = record(pupil);
        validator(true).check(&mut r);
        assert_eq!(r.pupil.pesel.as_deref(), Some("02211307589"));
        assert_eq!(
            summary(&r),
            vec![
                ("pesel".into(), "pesel-leading-zero".into(), Severity::Warning),
                ("pesel".into(), "pesel-sex".into(), Severity::Error),
            ]
        );
        assert!(r.problems[0].message.contains("repaired"), "{}", r.problems[0].message);
    }

    #[test]
    fn messages_never_contain_the_pesel_or_its_digits() {
        for (pesel, birth) in [
            ("02211307588", None),
            ("0221130758", None),
            ("2211307589", Some("2002-01-13")),
            ("2211307589", Some("2003-01-13")),
            ("02211307589", Some("2002-01-14")),
            ("02223007584", None),
        ] {
            for repair in [false, true] {
                let mut pupil = good_pupil();
                pupil.pesel = Some(pesel.into());
                pupil.birth_date = birth.map(date);
                pupil.sex = Some(Sex::Male);
                let mut r = record(pupil);
                validator(repair).check(&mut r);
                assert!(!r.problems.is_empty(), "{pesel}");
                for v in &r.problems {
                    let text = v.to_string();
                    assert!(!text.contains(pesel), "{text}");
                    assert!(!text.contains(&pesel[..6]), "{text}");
                    assert!(!text.contains(&pesel[pesel.len() - 5..]), "{text}");
                }
            }
        }
    }

    #[test]
    fn default_validator_runs_no_schema_and_today_is_the_clock() {
        let v = Validator::default();
        assert_eq!(v.today, chrono::Local::now().date_naive());
        assert!(!v.repair_pesel);
        let mut r = record(good_pupil());
        v.check(&mut r);
        assert_eq!(summary(&r), vec![]);
    }
}
