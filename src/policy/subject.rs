//! Subject-access requests (GDPR Art. 15): who the request is about, and what of the school's
//! records is disclosed to them.
//!
//! The search is one streaming pass: [`Subject::find_in`] looks at each pupil record once and
//! keeps only the records that are about the subject, so memory follows the subject's records,
//! not the input. [`Disclosure`] is what the package is built from: the records as they will be
//! disclosed (third parties already redacted) and the withholding log saying what was left out
//! and why (Art. 15(4): the copy must not harm the rights of others).

use crate::model::{Guardian, Pupil};
use serde::Serialize;
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
