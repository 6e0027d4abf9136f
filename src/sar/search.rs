//! The subject-access search: who the request is about, and what of the school's records is
//! disclosed to them.
//!
//! The search is one streaming pass: [`Subject::find_in`] looks at each pupil record once and
//! keeps only the records that are about the subject, so memory follows the subject's records,
//! not the input. [`Disclosure`] is what the package is built from: the records as they will be
//! disclosed (third parties already redacted) and the withholding log saying what was left out
//! and why (Art. 15(4): the copy must not harm the rights of others).

use crate::error::{Error, Location, Result};
use crate::model::record::{Record, Severity};
use crate::model::{Guardian, Pupil};
use crate::read::Prefilter;
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt;

/// The person a request is about, as the requester identified them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum Subject {
    /// A pupil's PESEL.
    Pesel(String),
    /// A pupil's rodné číslo, without the slash.
    BirthNumber(String),
    /// A pupil's or a guardian's id in the school's system.
    Id(String),
    /// A guardian's e-mail address, lower-cased.
    Email(String),
}

/// Whose data the package holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The subject is a pupil (an adult pupil asking, or a parent asking for the child).
    Pupil,
    /// The subject is a parent or guardian asking about their own data.
    Guardian,
}

/// What the requester asks for, and on what grounds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Scope {
    /// The subject's own data: a pupil's record, or a guardian's own entries with the
    /// children only named.
    #[default]
    Own,
    /// A guardian asks on behalf of their children (parental responsibility): the children's
    /// records are disclosed too, if the guardian holds parental rights over each of them.
    OnBehalfOfChildren {
        /// The school has confirmed parental rights its records do not state (from the birth
        /// certificate or a court decision). Without it a guardian with no rights recorded is
        /// taken to have none; rights recorded as absent refuse either way.
        rights_confirmed: bool,
    },
}

/// Whose rights a redaction protects.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ThirdParty {
    /// A member of staff (the teacher who wrote a remark).
    Staff,
    /// A guardian who is not the subject (the other parent's contact details).
    OtherGuardian,
    /// A pupil who is not the subject (a guardian's child, when the guardian asks only about
    /// themselves).
    OtherPupil,
}

/// One line of the withholding log: a field left out of one record, never its value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Withheld {
    /// The pupil record it was left out of (its id in the school's system).
    pub record: String,
    /// The field, as a model path: `remarks[].author`, `guardians[].phone`.
    pub field: String,
    /// Whose data it is.
    pub party: ThirdParty,
    /// How many values of that field were left out of that record.
    pub count: usize,
}

/// A pupil a guardian is linked to, named without disclosing the pupil's other data.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct LinkedPupil {
    /// The pupil's id in the school's system.
    pub id: String,
    /// First name.
    pub first_name: Option<String>,
    /// Surname.
    pub surname: Option<String>,
    /// School name.
    pub school: Option<String>,
    /// Class, as level and symbol (`4b`).
    pub class: Option<String>,
    /// The guardian's relation to the pupil as recorded (mother, father, …).
    pub relation: Option<String>,
}

/// How much was searched, so the report can say "we looked through N records in M files".
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Searched {
    /// Input files read.
    pub files: usize,
    /// Pupil records looked at.
    pub records: u64,
    /// Records that could not be read and so could not be searched (named in the report).
    pub unreadable: u64,
}

/// Everything the package discloses, already redacted.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Disclosure {
    /// Who the request is about.
    pub subject: Subject,
    /// Whether the subject was found, and as whom; `None` is a negative answer.
    pub role: Option<Role>,
    /// A guardian asking on behalf of their children: the children's records are disclosed
    /// too (parental responsibility); otherwise the children are only named.
    pub on_behalf_of_children: bool,
    /// The records disclosed, in the model's shape, with third parties redacted. For a
    /// guardian asking only about themselves, each is the linked pupil's id and name plus the
    /// guardian's own entry.
    pub pupils: Vec<Pupil>,
    /// The guardian's own entries as the records hold them (one per distinct entry).
    pub guardian: Vec<Guardian>,
    /// The pupils a guardian is linked to.
    pub linked: Vec<LinkedPupil>,
    /// What was left out, and whose data it was.
    pub withheld: Vec<Withheld>,
    /// How much was searched.
    pub searched: Searched,
}

impl fmt::Display for Subject {
    /// The subject as the report shows it: the kind and the value the requester gave.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Subject::Pesel(v) => write!(f, "PESEL {v}"),
            Subject::BirthNumber(v) => write!(f, "RČ {v}"),
            Subject::Id(v) => write!(f, "id {v}"),
            Subject::Email(v) => write!(f, "e-mail {v}"),
        }
    }
}

impl std::str::FromStr for Subject {
    type Err = Error;

    /// `pesel:NNNNNNNNNNN`, `rc:NNNNNN/NNNN`, `id:…` or `email:…`, as on the command line.
    /// Messages never repeat what was given: it is a person's identifier.
    fn from_str(text: &str) -> Result<Subject> {
        let text = text.trim();
        let bad = |message: String| Error::config("--subject", message);
        let Some((kind, value)) = text.split_once(':') else {
            return Err(bad(
                "the subject does not say what kind of identifier it is: write pesel:…, rc:…, \
                 id:… or email:…"
                    .to_string(),
            ));
        };
        let value = value.trim();
        match kind.trim().to_ascii_lowercase().as_str() {
            "pesel" => {
                let digits = digits_only(value);
                if digits.len() != 11 || digits.len() != value.replace([' ', '-'], "").len() {
                    return Err(bad("the PESEL is not 11 digits: check the number".to_string()));
                }
                Ok(Subject::Pesel(digits))
            }
            "rc" => {
                let digits = digits_only(value);
                let given = value.replace(['/', ' '], "");
                if !(9..=10).contains(&digits.len()) || digits.len() != given.len() {
                    return Err(bad(
                        "the rodné číslo is not 9 or 10 digits (with or without `/`)".to_string()
                    ));
                }
                Ok(Subject::BirthNumber(digits))
            }
            "id" if !value.is_empty() => Ok(Subject::Id(value.to_string())),
            "email" if value.contains('@') => Ok(Subject::Email(value.to_lowercase())),
            "id" | "email" => Err(bad(format!("give the {kind} after `{kind}:`"))),
            _ => Err(bad(
                "the part before `:` is not a kind of identifier teczka searches: use pesel:, \
                 rc:, id: or email:"
                    .to_string(),
            )),
        }
    }
}

fn digits_only(text: &str) -> String {
    text.chars().filter(char::is_ascii_digit).collect()
}

/// Whether the ASCII digits of `text`, read as one run, contain `needle` (digits only).
#[cfg(test)]
fn digits_contain(text: &str, needle: &[u8]) -> bool {
    DigitNeedle::new(needle).found_in(text)
}

/// Digits searched for in the digits of a text, read as one run: a Knuth–Morris–Pratt scan
/// over the digits as they come, with no copy of the text. It runs on every row of a search
/// (collecting each row's digits into a string was 4 % of a search over a 14-file export), so
/// its table is built once per search, not per row. ASCII digit bytes never occur inside a
/// multi-byte UTF-8 character, so reading bytes sees exactly the text's ASCII digits.
#[derive(Clone, Debug)]
struct DigitNeedle {
    digits: Vec<u8>,
    /// `fallback[i]`: the length of the longest proper prefix of `digits[..=i]` that is also
    /// its suffix, where a mismatch after `i + 1` matched digits resumes.
    fallback: Vec<usize>,
}

impl DigitNeedle {
    fn new(digits: &[u8]) -> DigitNeedle {
        let mut fallback = vec![0; digits.len()];
        let mut k = 0;
        for i in 1..digits.len() {
            while k > 0 && digits[i] != digits[k] {
                k = fallback[k - 1];
            }
            if digits[i] == digits[k] {
                k += 1;
            }
            fallback[i] = k;
        }
        DigitNeedle { digits: digits.to_vec(), fallback }
    }

    fn found_in(&self, text: &str) -> bool {
        let needle = &self.digits;
        let Some(&first) = needle.first() else { return true };
        let bytes = text.as_bytes();
        let (mut matched, mut at) = (0, 0);
        while let Some(&digit) = bytes.get(at) {
            if matched == 0 {
                // Nothing but the number's first digit can start a match: jump to the next
                // one (most rows hold none), instead of stepping through every byte.
                match memchr::memchr(first, bytes.get(at..).unwrap_or_default()) {
                    Some(skip) if skip > 0 => {
                        at += skip;
                        continue;
                    }
                    Some(_) => {}
                    None => return false,
                }
            }
            at += 1;
            if !digit.is_ascii_digit() {
                continue;
            }
            while matched > 0 && needle[matched] != digit {
                matched = self.fallback[matched - 1];
            }
            if needle[matched] == digit {
                matched += 1;
                if matched == needle.len() {
                    return true;
                }
            }
        }
        false
    }
}

/// The only characters outside ASCII whose lower case holds an ASCII letter: U+0130 (`İ`,
/// `i` and a combining dot) and U+212A KELVIN SIGN (`k`). Without them in a row, its lower
/// case holds an ASCII address exactly when the row holds it in any ASCII case.
const LOWER_TO_ASCII: [char; 2] = ['\u{130}', '\u{212A}'];

/// Whether `haystack` holds `needle` (ASCII, lower case) in any ASCII case, with no lower-cased
/// copy of the row (that copy, for every row read, was most of an e-mail search's time).
fn contains_ignoring_ascii_case(haystack: &[u8], needle: &[u8]) -> bool {
    let Some(&first) = needle.first() else { return true };
    let mut from = 0;
    while let Some(skip) =
        memchr::memchr2(first, first.to_ascii_uppercase(), haystack.get(from..).unwrap_or_default())
    {
        let at = from + skip;
        let window = haystack.get(at..at + needle.len());
        if window.is_some_and(|w| w.eq_ignore_ascii_case(needle)) {
            return true;
        }
        from = at + 1;
    }
    false
}

/// The pupil's PESEL as digits, with the leading zero a spreadsheet stripped restored: the
/// record is the child's whatever Excel did to the number, and an answer that missed it would
/// tell the parent the school holds nothing.
fn pesel_of(pupil: &Pupil) -> Option<String> {
    let digits = digits_only(pupil.pesel.as_deref()?);
    Some(crate::validate::pesel_with_restored_zero(&digits, pupil.birth_date).unwrap_or(digits))
}

/// The pupil's rodné číslo as digits, with a stripped leading zero restored when the recorded
/// birth date says so (see [`crate::validate::birth_number_with_restored_zero`]).
fn birth_number_of(pupil: &Pupil) -> Option<String> {
    let digits = digits_only(pupil.birth_number.as_deref()?);
    Some(
        crate::validate::birth_number_with_restored_zero(&digits, pupil.birth_date)
            .unwrap_or(digits),
    )
}

impl Subject {
    /// The subject for messages on the terminal and in logs: the kind and at most half of the
    /// value (`PESEL 14210*****5`). The package itself shows it in full to its recipient.
    pub fn masked(&self) -> String {
        let (kind, value) = match self {
            Subject::Pesel(v) => ("PESEL", v),
            Subject::BirthNumber(v) => ("RČ", v),
            Subject::Id(v) => ("id", v),
            Subject::Email(v) => ("e-mail", v),
        };
        format!("{kind} {}", crate::policy::mask(value, 5, 1))
    }

    /// Whether a record's decoded text (a CSV row) may be about the subject, tested before
    /// the row is parsed: `false` only when no parse of it could match `Subject::is_pupil`
    /// or `Subject::is_guardian`. The test is on the text, not on cells, so it admits
    /// more than it must, never less:
    ///
    /// * PESEL and rodné číslo compare by digits, so the row's digits, read as one run, must
    ///   contain the number (spaces, dashes and slashes in the cell do not hide it); without
    ///   its leading zeros, which a spreadsheet strips and `--repair-pesel` restores;
    /// * an e-mail address compares lower-cased, so the lower-cased row must contain it;
    /// * an id compares as written, so the row must contain it.
    ///
    /// A value holding a quote is always admitted: CSV writes a quote doubled.
    pub fn may_be_in(&self, text: &str) -> bool {
        match self {
            Subject::Pesel(v) | Subject::BirthNumber(v) => {
                DigitNeedle::new(v.trim_start_matches('0').as_bytes()).found_in(text)
            }
            Subject::Id(v) => v.contains('"') || text.contains(v.as_str()),
            Subject::Email(v) if v.contains('"') => true,
            Subject::Email(v) if v.is_ascii() && !text.contains(LOWER_TO_ASCII) => {
                contains_ignoring_ascii_case(text.as_bytes(), v.as_bytes())
            }
            Subject::Email(v) => text.to_lowercase().contains(v.as_str()),
        }
    }

    /// [`Subject::may_be_in`] as the readers' prefilter, its digit table built once for the
    /// whole search rather than for every row.
    pub fn prefilter(&self) -> Prefilter {
        match self {
            Subject::Pesel(v) | Subject::BirthNumber(v) => {
                let needle = DigitNeedle::new(v.trim_start_matches('0').as_bytes());
                Prefilter::new(move |text| needle.found_in(text))
            }
            other => {
                let subject = other.clone();
                Prefilter::new(move |text| subject.may_be_in(text))
            }
        }
    }

    /// Whether the pupil record is the subject's own.
    fn is_pupil(&self, pupil: &Pupil) -> bool {
        match self {
            Subject::Pesel(v) => pesel_of(pupil).is_some_and(|p| p == *v),
            Subject::BirthNumber(v) => birth_number_of(pupil).is_some_and(|p| p == *v),
            Subject::Id(v) => pupil.id.trim() == v,
            Subject::Email(_) => false,
        }
    }

    /// Whether a guardian entry is the subject.
    fn is_guardian(&self, guardian: &Guardian) -> bool {
        match self {
            Subject::Id(v) => guardian.id.as_deref().is_some_and(|id| id.trim() == v),
            Subject::Email(v) => {
                guardian.email.as_deref().is_some_and(|e| e.trim().to_lowercase() == *v)
            }
            Subject::Pesel(_) | Subject::BirthNumber(_) => false,
        }
    }
}

/// The `field` of the withholding log's one line for a child's record withheld from a guardian
/// asking only about themselves.
pub const CHILD_RECORD: &str = "*";

/// The streaming search: look at every record once with [`Search::look_at`], keep what is
/// about the subject, then [`Search::disclose`].
#[derive(Debug)]
pub struct Search {
    subject: Subject,
    /// Records that are the subject's own (a pupil subject), with where each was read.
    own: Vec<(Location, Pupil)>,
    /// Records naming the subject as a guardian, with where each was read and the guardian
    /// entries' positions.
    linked: Vec<(Location, Pupil, Vec<usize>)>,
    /// Where matched records had values that could not be read.
    unreadable: Vec<String>,
    searched: Searched,
}

impl Search {
    /// Start a search for `subject` over `files` input files.
    pub fn new(subject: Subject, files: usize) -> Search {
        Search {
            subject,
            own: Vec::new(),
            linked: Vec::new(),
            unreadable: Vec::new(),
            searched: Searched { files, ..Searched::default() },
        }
    }

    /// Count `records` a reader's prefilter ruled out without building them
    /// ([`Prefilter::ruled_out`]): searched, and not about the subject.
    pub fn count_ruled_out(&mut self, records: u64) {
        self.searched.records += records;
    }

    /// Look at one record; keep it if it is about the subject.
    pub fn look_at(&mut self, record: &Record) {
        self.searched.records += 1;
        let pupil = &record.pupil;
        let as_pupil = self.subject.is_pupil(pupil);
        let as_guardian: Vec<usize> = pupil
            .guardians
            .iter()
            .enumerate()
            .filter(|(_, g)| self.subject.is_guardian(g))
            .map(|(i, _)| i)
            .collect();
        if !as_pupil && as_guardian.is_empty() {
            return;
        }
        // Values that failed to parse are missing from the copy: the DPO must look at them.
        let errors: Vec<&str> = record
            .problems
            .iter()
            .filter(|p| p.severity == Severity::Error)
            .map(|p| p.message.as_str())
            .collect();
        if !errors.is_empty() {
            self.searched.unreadable += 1;
            self.unreadable.push(format!("{}: {}", record.location(), errors.join("; ")));
        }
        if as_pupil {
            self.own.push((record.location(), pupil.clone()));
        } else {
            self.linked.push((record.location(), pupil.clone(), as_guardian));
        }
    }

    /// The matched records that came with reading errors: where each starts (file and line)
    /// and what was wrong (a value that did not parse, rows whose pupil row is missing).
    pub fn unreadable(&self) -> &[String] {
        &self.unreadable
    }

    /// Decide whose data was found and redact third parties.
    ///
    /// Refuses (rather than guess) when the identifier fits more than one person: an id used
    /// by a pupil and by a guardian, or records found for it that do not agree on who they are
    /// about (`Identity`: a PESEL mistyped onto another child's record, an e-mail address on
    /// several guardians). Disclosing the wrong person's data would itself be a breach. On
    /// behalf of children, refuses unless the guardian holds parental rights over each.
    pub fn disclose(self, scope: Scope) -> Result<Disclosure> {
        let on_behalf_of_children = matches!(scope, Scope::OnBehalfOfChildren { .. });
        let mut disclosure = Disclosure {
            subject: self.subject,
            role: None,
            on_behalf_of_children,
            pupils: Vec::new(),
            guardian: Vec::new(),
            linked: Vec::new(),
            withheld: Vec::new(),
            searched: self.searched,
        };
        if !self.own.is_empty() && !self.linked.is_empty() {
            return Err(Error::config(
                "--subject",
                format!(
                    "{} is a pupil's id in {} records and a guardian's in {}: ask for a PESEL, \
                     rodné číslo or e-mail address that tells them apart",
                    disclosure.subject.masked(),
                    self.own.len(),
                    self.linked.len()
                ),
            ));
        }
        if !self.own.is_empty() {
            let found: Vec<Identity> =
                self.own.iter().map(|(at, pupil)| Identity::of_pupil(at, pupil)).collect();
            check_agreement(&disclosure.subject, &found)?;
            disclosure.role = Some(Role::Pupil);
            for (_, pupil) in self.own {
                let shown = redact_for_pupil(&pupil, None);
                disclosure.withheld.extend(withheld(&pupil, &shown));
                disclosure.pupils.push(shown);
            }
        } else if !self.linked.is_empty() {
            let found: Vec<Identity> = self
                .linked
                .iter()
                .flat_map(|(at, pupil, positions)| {
                    positions.iter().map(|&i| Identity::of_guardian(at, i, &pupil.guardians[i]))
                })
                .collect();
            check_agreement(&disclosure.subject, &found)?;
            disclosure.role = Some(Role::Guardian);
            if let Scope::OnBehalfOfChildren { rights_confirmed } = scope {
                check_parental_rights(&disclosure.subject, &self.linked, rights_confirmed)?;
            }
            for (_, pupil, positions) in self.linked {
                for &i in &positions {
                    let entry = &pupil.guardians[i];
                    if !disclosure.guardian.contains(entry) {
                        disclosure.guardian.push(entry.clone());
                    }
                }
                disclosure.linked.push(linked_pupil(&pupil, &pupil.guardians[positions[0]]));
                if on_behalf_of_children {
                    let shown = redact_for_pupil(&pupil, Some(&positions));
                    disclosure.withheld.extend(withheld(&pupil, &shown));
                    disclosure.pupils.push(shown);
                } else {
                    // One line for the whole record: per-field counts would themselves tell
                    // the guardian whether the child has health or counselling entries.
                    disclosure.withheld.push(Withheld {
                        record: pupil.id.clone(),
                        field: CHILD_RECORD.to_string(),
                        party: ThirdParty::OtherPupil,
                        count: 1,
                    });
                    disclosure.pupils.push(only_the_link(&pupil, &positions));
                }
            }
        }
        Ok(disclosure)
    }
}

/// Who one record the search gathered is about, as far as the record says: the identifying
/// fields, normalised for comparison, and where the record (or guardian entry) was read.
///
/// Every record found for one subject must show the same [`Identity`]: one identifier can be
/// typed onto the wrong record (a PESEL on another child's), reused by two schools' exports
/// (id `7`) or shared (a family e-mail address, or one name-based address on several
/// same-named fathers). A field recorded in one record and missing in another disagrees too:
/// nothing shows the two are one person.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Identity {
    /// Whether it is a pupil record or a guardian entry.
    whose: Role,
    /// Where it was read: `pupils.jsonl: record 51 (line 51, byte 80211)`, and for a guardian
    /// entry `, guardian 2`.
    at: String,
    /// Each identifying field as a model path, with its normalised value (`None`: not
    /// recorded). The same paths, in the same order, for every identity of one kind.
    fields: Vec<(&'static str, Option<String>)>,
}

impl Identity {
    /// A pupil: national ids or foreign document, name and birth date.
    fn of_pupil(at: &Location, pupil: &Pupil) -> Identity {
        Identity {
            whose: Role::Pupil,
            at: at.to_string(),
            fields: vec![
                ("pesel", pesel_of(pupil)),
                ("birth_number", birth_number_of(pupil)),
                ("foreign_document", pupil.foreign_document.as_deref().map(normalise_text)),
                ("first_name", pupil.first_name.as_deref().map(normalise_text)),
                ("surname", pupil.surname.as_deref().map(normalise_text)),
                ("birth_date", pupil.birth_date.map(|d| d.to_string())),
            ],
        }
    }

    /// A guardian entry, the `position`th of its record: the guardian's id in the school's
    /// system, name and phone.
    fn of_guardian(at: &Location, position: usize, guardian: &Guardian) -> Identity {
        Identity {
            whose: Role::Guardian,
            at: format!("{at}, guardian {}", position + 1),
            fields: vec![
                ("guardians[].id", guardian.id.as_deref().map(normalise_text)),
                ("guardians[].first_name", guardian.first_name.as_deref().map(normalise_text)),
                ("guardians[].surname", guardian.surname.as_deref().map(normalise_text)),
                ("guardians[].phone", guardian.phone.as_deref().map(normalise_phone)),
            ],
        }
    }

    /// The fields in which `other` differs from this identity, by path.
    fn differences(&self, other: &Identity) -> Vec<&'static str> {
        self.fields
            .iter()
            .zip(&other.fields)
            .filter(|((_, mine), (_, theirs))| mine != theirs)
            .map(|((path, _), _)| *path)
            .collect()
    }
}

/// Case, surrounding and repeated white space do not tell people apart; spelling does.
fn normalise_text(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}

/// `+48 781 533 771`, `0048781533771` and `781-533-771` are one number: the digits, without
/// the Polish or Czech country code before a 9-digit national number.
fn normalise_phone(text: &str) -> String {
    let digits = digits_only(text);
    let digits = digits.strip_prefix("00").unwrap_or(&digits);
    for code in ["48", "420"] {
        if let Some(national) = digits.strip_prefix(code).filter(|n| n.len() == 9) {
            return national.to_string();
        }
    }
    digits.to_string()
}

/// At most this many disagreeing records are named in a refusal; the rest are counted.
const NAMED_DISAGREEMENTS: usize = 5;

/// The one agreement check, for every kind of subject: all the records (pupil records, or
/// guardian entries) found for `subject` must show one [`Identity`], or the run is refused.
///
/// The refusal names what disagrees (field paths) and where (record positions), never a
/// value: the message goes to a terminal and logs, and the values are two people's data.
fn check_agreement(subject: &Subject, found: &[Identity]) -> Result<()> {
    let Some((first, rest)) = found.split_first() else { return Ok(()) };
    let kind = match first.whose {
        Role::Pupil => "pupil records",
        Role::Guardian => "guardian entries",
    };
    if !rest.is_empty() && first.fields.iter().all(|(_, value)| value.is_none()) {
        let paths: Vec<String> = first.fields.iter().map(|(p, _)| format!("`{p}`")).collect();
        return Err(Error::config(
            "--subject",
            format!(
                "{} fits {} {kind} that record none of {} to show they are one person (first \
                 at {}): ask for an identifier that tells them apart, or complete the records",
                subject.masked(),
                found.len(),
                paths.join(", "),
                first.at
            ),
        ));
    }
    let disagreeing: Vec<(&Identity, Vec<&'static str>)> = rest
        .iter()
        .map(|other| (other, first.differences(other)))
        .filter(|(_, fields)| !fields.is_empty())
        .collect();
    if disagreeing.is_empty() {
        return Ok(());
    }
    let mut fields: Vec<&str> = disagreeing.iter().flat_map(|(_, f)| f.iter().copied()).collect();
    fields.sort_by_key(|f| first.fields.iter().position(|(p, _)| p == f));
    fields.dedup();
    let mut named: Vec<String> = disagreeing
        .iter()
        .take(NAMED_DISAGREEMENTS)
        .map(|(other, fields)| {
            let fields: Vec<String> = fields.iter().map(|f| format!("`{f}`")).collect();
            format!("{} differs in {}", other.at, fields.join(", "))
        })
        .collect();
    if disagreeing.len() > NAMED_DISAGREEMENTS {
        named.push(format!("{} more", disagreeing.len() - NAMED_DISAGREEMENTS));
    }
    let fields: Vec<String> = fields.iter().map(|f| format!("`{f}`")).collect();
    let fix = if first.whose == Role::Guardian {
        "ask for the guardian's id in the school's system, or correct the records (an \
         e-mail address a family shares, or one recorded on the wrong guardian?)"
    } else {
        "correct the records (a mistyped PESEL or rodné číslo? `teczka validate` names \
         duplicates), or give only the input that holds the pupil"
    };
    Err(Error::config(
        "--subject",
        format!(
            "{} fits {} {kind} that do not show one person: they disagree in {} (a value \
             differs, or is recorded in one and missing in another); compared with the first, at \
             {}: {}; they may be about different people, so nothing was disclosed: {fix}",
            subject.masked(),
            found.len(),
            fields.join(", "),
            first.at,
            named.join("; "),
        ),
    ))
}

/// A guardian asking on a child's behalf must hold parental rights over that child: recorded
/// by the school, or (`rights_confirmed`) confirmed by it where the records say nothing.
/// Otherwise the child's record is not theirs to receive.
fn check_parental_rights(
    subject: &Subject,
    linked: &[(Location, Pupil, Vec<usize>)],
    rights_confirmed: bool,
) -> Result<()> {
    let count = |rights: Option<bool>| {
        linked
            .iter()
            .filter(|(_, pupil, positions)| {
                positions.iter().any(|&i| pupil.guardians[i].parental_rights == rights)
            })
            .count()
    };
    let (without, unknown) = (count(Some(false)), count(None));
    if without > 0 {
        return Err(Error::config(
            "--on-behalf-of-children",
            format!(
                "{} is recorded without parental rights over {without} of the pupils: \
                 the children's records cannot be disclosed on their behalf; answer without \
                 --on-behalf-of-children (the guardian's own data), or correct the records",
                subject.masked()
            ),
        ));
    }
    if unknown > 0 && !rights_confirmed {
        return Err(Error::config(
            "--on-behalf-of-children",
            format!(
                "{} has no parental rights recorded over {unknown} of the {} pupils, and unknown \
                 rights count as none: answer without --on-behalf-of-children (the guardian's \
                 own data), record the rights in the school's system, or, once the school has \
                 confirmed them (birth certificate, court decision), add \
                 --parental-rights-confirmed",
                subject.masked(),
                linked.len()
            ),
        ));
    }
    Ok(())
}

/// A pupil's own record as the pupil (or a parent for them) receives it: staff who wrote
/// remarks are not named, and guardians other than `requester` keep their names and relation
/// but not their contact details or ids.
fn redact_for_pupil(pupil: &Pupil, requester: Option<&[usize]>) -> Pupil {
    let mut shown = pupil.clone();
    for remark in &mut shown.remarks {
        remark.author = None;
    }
    for (i, guardian) in shown.guardians.iter_mut().enumerate() {
        if requester.is_some_and(|r| r.contains(&i)) {
            continue;
        }
        guardian.id = None;
        guardian.phone = None;
        guardian.email = None;
        guardian.address = None;
    }
    shown
}

/// What a guardian asking about themselves receives of a child's record: who the child is
/// (the link) and the guardian's own entry, nothing else of the child.
fn only_the_link(pupil: &Pupil, positions: &[usize]) -> Pupil {
    Pupil {
        id: pupil.id.clone(),
        first_name: pupil.first_name.clone(),
        surname: pupil.surname.clone(),
        guardians: positions.iter().map(|&i| pupil.guardians[i].clone()).collect(),
        ..Pupil::default()
    }
}

fn linked_pupil(pupil: &Pupil, guardian: &Guardian) -> LinkedPupil {
    let enrolment = pupil.enrolment.as_ref();
    let class = enrolment.and_then(|e| {
        let level = e.class_level.clone().unwrap_or_default();
        let class = format!("{level}{}", e.class_symbol.as_deref().unwrap_or_default());
        (!class.is_empty()).then_some(class)
    });
    LinkedPupil {
        id: pupil.id.clone(),
        first_name: pupil.first_name.clone(),
        surname: pupil.surname.clone(),
        school: enrolment.and_then(|e| e.school_name.clone()),
        class,
        relation: guardian.relation.clone(),
    }
}

/// The withholding log of one record: every leaf value of `original` that `shown` lacks,
/// counted per field. Computed by comparison, not by listing what the redaction meant to
/// remove, so nothing left out goes unlogged.
fn withheld(original: &Pupil, shown: &Pupil) -> Vec<Withheld> {
    let mut before = BTreeMap::new();
    let mut after = BTreeMap::new();
    count_leaves(&serde_json::to_value(original).unwrap_or_default(), "", &mut before);
    count_leaves(&serde_json::to_value(shown).unwrap_or_default(), "", &mut after);
    before
        .into_iter()
        .filter_map(|(field, n)| {
            let left_out = n - after.get(&field).copied().unwrap_or(0).min(n);
            (left_out > 0).then(|| Withheld {
                record: original.id.clone(),
                party: party_of(&field),
                field,
                count: left_out,
            })
        })
        .collect()
}

/// Whose data a withheld field is: staff for a remark's author, another guardian for a
/// guardian's field, else the pupil (a child's record withheld from a guardian asking about
/// themselves).
fn party_of(field: &str) -> ThirdParty {
    if field == "remarks[].author" {
        ThirdParty::Staff
    } else if field.starts_with("guardians[]") {
        ThirdParty::OtherGuardian
    } else {
        ThirdParty::OtherPupil
    }
}

/// Count non-null leaf values per model path (`guardians[].address.town`).
fn count_leaves(value: &Value, path: &str, out: &mut BTreeMap<String, usize>) {
    match value {
        Value::Null => {}
        Value::Object(map) => {
            for (key, inner) in map {
                let path = if path.is_empty() { key.clone() } else { format!("{path}.{key}") };
                count_leaves(inner, &path, out);
            }
        }
        Value::Array(items) => {
            for item in items {
                count_leaves(item, &format!("{path}[]"), out);
            }
        }
        _ => *out.entry(path.to_string()).or_insert(0) += 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::record::Part;
    use crate::model::{Enrolment, Entity, Remark};

    const OWN: Scope = Scope::Own;
    const FOR_CHILDREN: Scope = Scope::OnBehalfOfChildren { rights_confirmed: false };
    const CONFIRMED: Scope = Scope::OnBehalfOfChildren { rights_confirmed: true };

    fn guardian(id: &str, name: &str, email: &str, phone: &str) -> Guardian {
        Guardian {
            id: Some(id.into()),
            relation: Some("matka".into()),
            first_name: Some(name.into()),
            surname: Some("Nowak".into()),
            email: Some(email.into()),
            phone: Some(phone.into()),
            parental_rights: Some(true),
            ..Guardian::default()
        }
    }

    fn pupil(id: &str, pesel: &str, guardians: Vec<Guardian>) -> Record {
        Record {
            pupil: Pupil {
                id: id.into(),
                pesel: Some(pesel.into()),
                birth_date: chrono::NaiveDate::from_ymd_opt(2014, 5, 12),
                first_name: Some("Zofia".into()),
                surname: Some("Nowak".into()),
                guardians,
                enrolment: Some(Enrolment {
                    school_name: Some("SP 3".into()),
                    class_level: Some("4".into()),
                    class_symbol: Some("b".into()),
                    ..Enrolment::default()
                }),
                remarks: vec![Remark {
                    author: Some("mgr Jan Kowalski".into()),
                    text: Some("Pomaga kolegom.".into()),
                    ..Remark::default()
                }],
                ..Pupil::default()
            },
            ..Record::default()
        }
    }

    /// Three pupils, at records 1 to 3 of `zaci.jsonl`: u1 and u2 are Anna's and Piotr's.
    fn family() -> Vec<Record> {
        let anna = guardian("g1", "Anna", "anna@example.pl", "600100200");
        let piotr = guardian("g2", "Piotr", "piotr@example.pl", "600300400");
        let mut records = vec![
            pupil("u1", "14210512345", vec![anna.clone(), piotr.clone()]),
            pupil("u2", "16262798765", vec![anna, piotr]),
            pupil("u3", "15231011111", vec![guardian("g3", "Ewa", "ewa@example.pl", "1")]),
        ];
        for (i, record) in records.iter_mut().enumerate() {
            let n = i as u64;
            record.parts = vec![Part {
                entity: Entity::Pupil,
                location: Location {
                    source: "zaci.jsonl".into(),
                    record: n,
                    line: n + 1,
                    byte: n,
                    sheet: None,
                },
                original: String::new(),
            }];
        }
        records
    }

    fn search(subject: &str, records: &[Record]) -> Search {
        let mut search = Search::new(subject.parse().unwrap(), 1);
        records.iter().for_each(|r| search.look_at(r));
        search
    }

    #[test]
    fn a_national_id_a_spreadsheet_stripped_of_its_zero_matches_only_where_the_date_says_so() {
        let subject = |text: &str| text.parse::<Subject>().unwrap();
        let born = |date: &str| Some(date.parse().unwrap());
        let pupil = |pesel: Option<&str>, rc: Option<&str>, birth_date| Pupil {
            pesel: pesel.map(String::from),
            birth_number: rc.map(String::from),
            birth_date,
            ..Pupil::default()
        };
        let pesel = subject("pesel:05221421151");
        assert!(pesel.is_pupil(&pupil(Some("5221421151"), None, born("2005-02-14"))));
        assert!(pesel.is_pupil(&pupil(Some("5221421151"), None, None)));
        assert!(!pesel.is_pupil(&pupil(Some("5221421151"), None, born("2005-02-15"))));
        assert!(!subject("pesel:05221421152").is_pupil(&pupil(Some("5221421151"), None, None)));

        let rc = subject("rc:045212/5443");
        assert!(rc.is_pupil(&pupil(None, Some("452125443"), born("2004-02-12"))));
        assert!(!rc.is_pupil(&pupil(None, Some("452125443"), None)), "9 digits may be real");
        assert!(rc.is_pupil(&pupil(None, Some("045212/5443"), None)));
    }

    #[test]
    fn the_digit_scan_agrees_with_collecting_the_digits() {
        let naive = |text: &str, needle: &str| {
            text.chars().filter(char::is_ascii_digit).collect::<String>().contains(needle)
        };
        let texts = [
            "",
            "a;b",
            "0",
            "00;0",
            "1;2;1;2;1;2;3",
            "Nowak;022 113 07589;x",
            "12-12-123",
            "aab;aaab",
            "Żółć 4;4 5/45",
            "9999999999;99",
            "121 12 1213",
        ];
        let needles = ["", "1", "12", "121213", "1213", "2211307589", "99999999999", "445", "0"];
        for text in texts {
            for needle in needles {
                assert_eq!(
                    digits_contain(text, needle.as_bytes()),
                    naive(text, needle),
                    "{text:?} / {needle:?}"
                );
            }
        }
    }

    proptest::proptest! {
        /// On texts of digits, separators and non-ASCII letters, and on needles made of few
        /// distinct digits (where partial matches overlap most), the scan finds exactly what
        /// collecting the digits finds.
        #[test]
        fn the_digit_scan_finds_what_the_collected_digits_hold(
            text in "[0-2 ;/ż-]{0,40}",
            needle in "[0-2]{0,8}",
        ) {
            let digits: String = text.chars().filter(char::is_ascii_digit).collect();
            proptest::prop_assert_eq!(
                digits_contain(&text, needle.as_bytes()),
                digits.contains(&needle)
            );
        }

        /// An e-mail address is admitted exactly when the row's lower case holds it, on rows
        /// of both cases, Polish letters and the two characters that lower-case to ASCII.
        #[test]
        fn the_address_scan_finds_what_the_lower_cased_row_holds(
            text in "[abAB@.;żŻ\u{130}\u{212A}ki]{0,30}",
            needle in "[ab@.ki]{1,5}",
        ) {
            let subject = Subject::Email(needle.clone());
            proptest::prop_assert_eq!(
                subject.may_be_in(&text),
                text.to_lowercase().contains(&needle)
            );
        }
    }

    #[test]
    fn the_prefilter_admits_every_row_a_parse_could_match_and_rules_out_the_rest() {
        let subject = |text: &str| text.parse::<Subject>().unwrap();
        let pesel = subject("pesel:02211307589");
        assert!(pesel.may_be_in("Nowak;02211307589;x"));
        assert!(pesel.may_be_in("Nowak;022 113 07589;x"), "separators inside the cell");
        assert!(pesel.may_be_in("Nowak;2211307589;x"), "leading zero stripped by Excel");
        assert!(!pesel.may_be_in("Nowak;02211307588;x"));
        let rc = subject("rc:025113/1234");
        assert!(rc.may_be_in("Dvořák,025113/1234"));
        assert!(!rc.may_be_in("Dvořák,025113/1235"));
        let email = subject("email:Jan.Nowak@Example.PL");
        assert!(email.may_be_in("a;JAN.NOWAK@EXAMPLE.PL;b"));
        assert!(email.may_be_in("Żółć;jan.nowak@example.pl;b"), "non-ASCII rows too");
        assert!(!email.may_be_in("a;jan.nowak@example.com;b"));
        // U+212A KELVIN SIGN lower-cases to an ASCII `k`: the parse would match it.
        let kelvin = subject("email:k@example.pl");
        assert!(kelvin.may_be_in("a;\u{212A}@example.pl;b"));
        assert!(subject("email:i\u{307}@x.pl").may_be_in("a;\u{130}@X.pl"), "İ lower-cases to i̇");
        assert!(email.may_be_in("Żółć;Jan.Nowak@example.PL;b"), "mixed case in a non-ASCII row");
        assert!(!email.may_be_in("Żółć;Jan.Nowak@example.P;L"));
        let id = subject("id:P-17");
        assert!(id.may_be_in("P-17;Nowak") && !id.may_be_in("P-18;Nowak"));
        assert!(subject("id:P\"1").may_be_in("anything"), "a quote is written doubled");
        // The readers' prefilter (its digit table built once) answers as `may_be_in` does.
        let rows = ["Nowak;022 113 07589;x", "Nowak;2211307589;x", "Nowak;02211307588;x"];
        let rows = rows.iter().chain(&["Dvořák,025113/1234", "a;JAN.NOWAK@EXAMPLE.PL;b"]);
        for row in rows.chain(&["P-17;Nowak", "P-18;Nowak"]) {
            for s in [&pesel, &rc, &email, &id] {
                assert_eq!(s.prefilter().admits(row), s.may_be_in(row), "{s:?} on {row}");
            }
        }
    }

    #[test]
    fn subjects_parse_and_normalise() {
        assert_eq!(
            "pesel:142105 12345".parse::<Subject>().unwrap(),
            Subject::Pesel("14210512345".into())
        );
        assert_eq!(
            "rc:140512/1234".parse::<Subject>().unwrap(),
            Subject::BirthNumber("1405121234".into())
        );
        assert_eq!(
            "email:Anna@Example.PL".parse::<Subject>().unwrap(),
            Subject::Email("anna@example.pl".into())
        );
        for bad in [
            "14210512345",
            "pesel:123",
            "pesel:1421051234x",
            "rc:12",
            "email:nobody",
            "nip:123",
            "id:",
        ] {
            let message = bad.parse::<Subject>().unwrap_err().to_string();
            assert!(message.contains("--subject"), "{bad}: {message}");
        }
    }

    #[test]
    fn a_pupil_gets_their_record_without_staff_names_or_other_guardians_contacts() {
        let disclosure = search("pesel:14210512345", &family()).disclose(OWN).unwrap();
        assert_eq!(disclosure.role, Some(Role::Pupil));
        assert_eq!(disclosure.pupils.len(), 1);
        let shown = &disclosure.pupils[0];
        assert_eq!(shown.remarks[0].text.as_deref(), Some("Pomaga kolegom."));
        assert_eq!(shown.remarks[0].author, None);
        assert_eq!(shown.guardians[0].first_name.as_deref(), Some("Anna"));
        assert_eq!(shown.guardians[0].phone, None);
        let text = serde_json::to_string(&disclosure).unwrap();
        for secret in ["Kowalski", "600100200", "piotr@example.pl", "16262798765"] {
            assert!(!text.contains(secret), "{secret} leaked");
        }
        let logged: Vec<(&str, ThirdParty, usize)> =
            disclosure.withheld.iter().map(|w| (w.field.as_str(), w.party, w.count)).collect();
        assert!(logged.contains(&("remarks[].author", ThirdParty::Staff, 1)));
        assert!(logged.contains(&("guardians[].phone", ThirdParty::OtherGuardian, 2)));
        assert!(logged.contains(&("guardians[].id", ThirdParty::OtherGuardian, 2)));
    }

    #[test]
    fn a_guardian_asking_for_themselves_gets_their_entry_and_the_childrens_names_only() {
        let disclosure = search("email:ANNA@example.pl", &family()).disclose(OWN).unwrap();
        assert_eq!(disclosure.role, Some(Role::Guardian));
        assert_eq!(disclosure.guardian.len(), 1, "one entry, seen in two records");
        assert_eq!(disclosure.guardian[0].phone.as_deref(), Some("600100200"));
        let names: Vec<&str> = disclosure.linked.iter().map(|l| l.id.as_str()).collect();
        assert_eq!(names, ["u1", "u2"]);
        assert_eq!(disclosure.linked[0].class.as_deref(), Some("4b"));
        let text = serde_json::to_string(&disclosure.pupils).unwrap();
        for secret in ["14210512345", "Pomaga", "600300400", "Piotr"] {
            assert!(!text.contains(secret), "{secret} leaked");
        }
        // One line per child: per-field counts would say whether it has health entries.
        let child: Vec<(&str, &str)> = disclosure
            .withheld
            .iter()
            .filter(|w| w.party == ThirdParty::OtherPupil)
            .map(|w| (w.record.as_str(), w.field.as_str()))
            .collect();
        assert_eq!(child, [("u1", CHILD_RECORD), ("u2", CHILD_RECORD)]);
    }

    #[test]
    fn on_behalf_of_children_a_guardian_gets_the_records_with_the_other_parent_redacted() {
        let disclosure = search("id:g1", &family()).disclose(FOR_CHILDREN).unwrap();
        assert_eq!(disclosure.pupils.len(), 2);
        let shown = &disclosure.pupils[0];
        assert_eq!(shown.pesel.as_deref(), Some("14210512345"));
        assert_eq!(shown.guardians[0].phone.as_deref(), Some("600100200"), "the requester's own");
        assert_eq!(shown.guardians[1].phone, None, "the other parent's");
        assert_eq!(shown.remarks[0].author, None);
    }

    #[test]
    fn a_guardian_without_parental_rights_cannot_ask_for_the_childs_record() {
        let mut records = family();
        records[1].pupil.guardians[0].parental_rights = Some(false);
        let message = search("id:g1", &records).disclose(FOR_CHILDREN).unwrap_err().to_string();
        assert!(message.contains("without parental rights over 1 of the pupils"), "{message}");
        assert!(search("id:g1", &records).disclose(OWN).is_ok(), "their own data, yes");
    }

    #[test]
    fn refusals_show_at_most_half_of_the_identifier() {
        let mut records = family();
        records[1].pupil.id = "u1".into();
        let message = search("id:u1", &records).disclose(OWN).unwrap_err().to_string();
        assert!(message.contains("id *1 fits 2 pupil records"), "{message}");
        let pesel = Subject::Pesel("14210512345".into()).masked();
        assert_eq!(pesel.matches(char::is_numeric).count(), 5, "{pesel}");
        assert!(!pesel.contains("14210512345"));
    }

    #[test]
    fn nobody_found_is_a_negative_answer() {
        let disclosure = search("pesel:99999999999", &family()).disclose(OWN).unwrap();
        assert_eq!(disclosure.role, None);
        assert!(disclosure.pupils.is_empty() && disclosure.withheld.is_empty());
        assert_eq!(disclosure.searched.records, 3);
    }

    #[test]
    fn an_identifier_that_fits_two_people_is_refused() {
        let mut records = family();
        records[2].pupil.id = "g1".into();
        let message = search("id:g1", &records).disclose(OWN).unwrap_err().to_string();
        assert!(message.contains("pupil's id") && message.contains("guardian's"), "{message}");

        let mut records = family();
        records[1].pupil.id = "u1".into();
        let message = search("id:u1", &records).disclose(OWN).unwrap_err().to_string();
        assert!(message.contains("do not show one person"), "{message}");

        // Two schools' exports both using id 7, one pupil with a foreign document only.
        let mut records = family();
        records[0].pupil.id = "7".into();
        records[0].pupil.pesel = None;
        records[0].pupil.foreign_document = Some("UA123".into());
        records[1].pupil.id = "7".into();
        records[1].pupil.surname = Some("Wiśniewski".into());
        let message = search("id:7", &records).disclose(OWN).unwrap_err().to_string();
        assert!(message.contains("do not show one person"), "{message}");

        // The same pupil in two inputs is one person.
        let mut records = family();
        records[1] = records[0].clone();
        assert_eq!(search("id:u1", &records).disclose(OWN).unwrap().pupils.len(), 2);

        // A family address on both parents of one child, the father unnamed.
        let mut records = family();
        let father = &mut records[0].pupil.guardians[1];
        father.email = Some("anna@example.pl".into());
        father.first_name = None;
        father.surname = None;
        let message = search("email:anna@example.pl", &records).disclose(OWN).unwrap_err();
        let message = message.to_string();
        assert!(message.contains("zaci.jsonl: record 1 (line 1, byte 0), guardian 2"), "{message}");
        assert!(message.contains("`guardians[].first_name`, `guardians[].surname`"), "{message}");

        let mut records = family();
        records[2].pupil.guardians[0].email = Some("anna@example.pl".into());
        let message = search("email:anna@example.pl", &records).disclose(OWN).unwrap_err();
        assert!(message.to_string().contains("disagree in `guardians[].id`"), "{message}");
    }

    /// The values of `records` that must never reach a refusal: national ids, names, birth
    /// dates, phones, e-mail addresses, ids.
    fn values(records: &[Record]) -> Vec<String> {
        let mut out = Vec::new();
        for p in records.iter().map(|r| &r.pupil) {
            out.extend(
                [&p.pesel, &p.birth_number, &p.first_name, &p.surname]
                    .into_iter()
                    .flatten()
                    .cloned(),
            );
            out.extend(p.birth_date.map(|d| d.to_string()));
            out.push(p.id.clone());
            for g in &p.guardians {
                out.extend(
                    [&g.id, &g.first_name, &g.surname, &g.phone, &g.email]
                        .into_iter()
                        .flatten()
                        .cloned(),
                );
            }
        }
        out.retain(|v| v.len() > 1);
        out
    }

    fn assert_no_values(message: &str, records: &[Record]) {
        for value in values(records) {
            assert!(!message.contains(&value), "`{value}` in: {message}");
        }
    }

    #[test]
    fn every_pupil_subject_kind_refuses_records_of_different_people() {
        // A second child carries the subject's national id by a typo: another name, another
        // birth year.
        let typo = |records: &mut Vec<Record>| {
            let other = &mut records[2].pupil;
            other.first_name = Some("Jan".into());
            other.surname = Some("Wójcik".into());
            other.birth_date = chrono::NaiveDate::from_ymd_opt(2009, 1, 2);
        };
        let mut by_pesel = family();
        by_pesel[2].pupil.pesel = by_pesel[0].pupil.pesel.clone();
        typo(&mut by_pesel);
        let mut by_rc = family();
        for r in &mut by_rc {
            r.pupil.pesel = None;
            r.pupil.birth_number = Some(format!("{}/0168", &r.pupil.id));
        }
        by_rc[2].pupil.birth_number = Some("140512/1234".into());
        by_rc[0].pupil.birth_number = Some("1405121234".into());
        typo(&mut by_rc);
        let mut by_id = family();
        by_id[2].pupil.id = "u1".into();
        by_id[2].pupil.pesel = by_id[0].pupil.pesel.clone();
        typo(&mut by_id);
        for (subject, records) in
            [("pesel:14210512345", by_pesel), ("rc:1405121234", by_rc), ("id:u1", by_id)]
        {
            let message = search(subject, &records).disclose(OWN).unwrap_err().to_string();
            let expected = "fits 2 pupil records that do not show one person: they disagree in \
                            `first_name`, `surname`, `birth_date` (";
            assert!(message.contains(expected), "{subject}: {message}");
            assert!(
                message.contains(
                    "compared with the first, at zaci.jsonl: record 1 (line 1, byte 0): \
                     zaci.jsonl: record 3 (line 3, byte 2) differs in `first_name`, `surname`, \
                     `birth_date`;"
                ),
                "{subject}: {message}"
            );
            assert_no_values(&message, &records);
        }
    }

    #[test]
    fn one_pupil_in_two_inputs_agrees_but_a_field_missing_from_one_does_not() {
        let mut records = family();
        records[2] = records[0].clone();
        records[2].pupil.first_name = Some("  ZOFIA ".into());
        let disclosure = search("pesel:14210512345", &records).disclose(OWN).unwrap();
        assert_eq!(disclosure.pupils.len(), 2);

        records[2].pupil.birth_date = None;
        let message = search("pesel:14210512345", &records).disclose(OWN).unwrap_err();
        let message = message.to_string();
        assert!(message.contains("they disagree in `birth_date`"), "{message}");
        assert!(message.contains("recorded in one and missing in another"), "{message}");
    }

    #[test]
    fn an_address_on_same_named_guardians_of_other_families_is_refused() {
        // Name-made addresses repeat: three fathers called Piotr Nowak, three families.
        let mut records = family();
        for (i, record) in records.iter_mut().enumerate() {
            let phone = format!("60030040{i}");
            record.pupil.guardians =
                vec![guardian(&format!("g-{i}"), "Piotr", "p.nowak@example.pl", &phone)];
        }
        for scope in [OWN, FOR_CHILDREN, CONFIRMED] {
            let found = search("email:p.nowak@example.pl", &records).disclose(scope);
            let message = found.unwrap_err().to_string();
            assert!(
                message.contains(
                    "e-mail p.nowa*@*******.*l fits 3 guardian entries that do not show one \
                     person: they disagree in `guardians[].id`, `guardians[].phone` ("
                ),
                "{message}"
            );
            assert!(
                message.contains("zaci.jsonl: record 3 (line 3, byte 2), guardian 1 differs in"),
                "{message}"
            );
            assert!(message.contains("the guardian's id in the school's system"), "{message}");
            assert_no_values(&message, &records);
        }
        // The same father of two children, his phone written two ways, is one person.
        let mut records = family();
        records[1].pupil.guardians[1].phone = Some("+48 600-300-400".into());
        let disclosure = search("email:piotr@example.pl", &records).disclose(FOR_CHILDREN).unwrap();
        assert_eq!(disclosure.pupils.len(), 2);
    }

    #[test]
    fn entries_that_record_nothing_to_compare_are_refused() {
        let mut records = family();
        for record in &mut records[..2] {
            let mother = &mut record.pupil.guardians[0];
            (mother.id, mother.first_name, mother.surname, mother.phone) = (None, None, None, None);
        }
        let message = search("email:anna@example.pl", &records).disclose(OWN).unwrap_err();
        assert!(message.to_string().contains("record none of `guardians[].id`"), "{message}");
        records.truncate(1);
        assert!(search("email:anna@example.pl", &records).disclose(OWN).is_ok(), "one entry");
    }

    #[test]
    fn unrecorded_parental_rights_count_as_none_unless_the_school_confirmed_them() {
        let mut records = family();
        records[1].pupil.guardians[0].parental_rights = None;
        let message = search("id:g1", &records).disclose(FOR_CHILDREN).unwrap_err().to_string();
        assert!(
            message.contains("no parental rights recorded over 1 of the 2 pupils"),
            "{message}"
        );
        assert!(message.contains("--parental-rights-confirmed"), "{message}");
        assert!(search("id:g1", &records).disclose(OWN).is_ok(), "their own data, yes");
        let disclosure = search("id:g1", &records).disclose(CONFIRMED).unwrap();
        assert_eq!(disclosure.pupils.len(), 2);
        assert!(disclosure.on_behalf_of_children);

        // Recorded as absent: the flag does not override the records.
        records[0].pupil.guardians[0].parental_rights = Some(false);
        let message = search("id:g1", &records).disclose(CONFIRMED).unwrap_err().to_string();
        assert!(message.contains("without parental rights over 1 of the pupils"), "{message}");
    }

    #[test]
    fn phones_compare_by_national_number() {
        for (a, b) in [
            ("+48 781 533 771", "781533771"),
            ("0048 781-533-771", "781 533 771"),
            ("+420 603 123 456", "603123456"),
        ] {
            assert_eq!(normalise_phone(a), normalise_phone(b), "{a} / {b}");
        }
        assert_ne!(normalise_phone("+48 781 533 771"), normalise_phone("+48 781 533 772"));
        assert_ne!(normalise_phone("22 123 45 67"), normalise_phone("22 123 45 68"));
    }
}
