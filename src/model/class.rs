//! The data-protection classification every field carries.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// How a field bears on a person's identity; drives policies and risk reports.
///
/// Written on each model field as the `x-teczka-class` schema keyword, so code and published
/// schema cannot disagree.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Class {
    /// Identifies a person on its own (name, PESEL, phone, street address, free text).
    Direct,
    /// Identifies a person in combination with others (birth date, sex, postcode, class).
    Quasi,
    /// Special-category data under GDPR Art. 9 (health, counselling rulings).
    Sensitive,
    /// Neither identifying nor special (a grade, an attendance status).
    Plain,
}

impl Class {
    /// The keyword value as written in the schema.
    pub fn as_str(self) -> &'static str {
        match self {
            Class::Direct => "direct",
            Class::Quasi => "quasi",
            Class::Sensitive => "sensitive",
            Class::Plain => "plain",
        }
    }
}

impl fmt::Display for Class {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Class {
    type Err = String;

    fn from_str(s: &str) -> Result<Class, String> {
        match s {
            "direct" => Ok(Class::Direct),
            "quasi" => Ok(Class::Quasi),
            "sensitive" => Ok(Class::Sensitive),
            "plain" => Ok(Class::Plain),
            other => Err(format!("unknown class `{other}`: use direct, quasi, sensitive or plain")),
        }
    }
}
