//! Text ⇄ typed leaf values, and building a pupil from `key = value` assignments.
//!
//! CSV cells and XML leaves are text; the model is typed. Every reader goes through
//! [`parse_leaf`] and every text writer through [`Scalar::push_text`](super::walk::Scalar::push_text), so `07.03.2012`, `k` and
//! `tak` mean the same in every format, and a value that does not parse is reported the same
//! way everywhere (without echoing it).

use super::fields::ValueKind;
use chrono::NaiveDate;
#[cfg(test)]
use serde_json::Map;
use serde_json::{Number, Value};

/// One leaf value parsed from its text, borrowing the text (or the enum's word) where the
/// value is the text as written, so a reader that fills the model straight from its cells
/// allocates nothing it does not keep.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell<'a> {
    /// Text as written, a canonical `YYYY-MM-DD` date, or an enum's word.
    Text(&'a str),
    /// Text that had to be rewritten: a date given as `DD.MM.YYYY`.
    Owned(String),
    /// A yes/no value.
    Bool(bool),
    /// A whole or decimal number.
    Number(Number),
}

impl Cell<'_> {
    /// The text of a text value (dates and enum words included); `None` for yes/no and numbers.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Cell::Text(text) => Some(text),
            Cell::Owned(text) => Some(text),
            Cell::Bool(_) | Cell::Number(_) => None,
        }
    }

    /// The same value borrowing this one's text.
    pub fn borrowed(&self) -> Cell<'_> {
        match self {
            Cell::Text(text) => Cell::Text(text),
            Cell::Owned(text) => Cell::Text(text),
            Cell::Bool(b) => Cell::Bool(*b),
            Cell::Number(n) => Cell::Number(n.clone()),
        }
    }

    /// The same value owning its text, to outlive the text it was parsed from.
    pub fn into_owned(self) -> Cell<'static> {
        match self {
            Cell::Text(text) => Cell::Owned(text.to_string()),
            Cell::Owned(text) => Cell::Owned(text),
            Cell::Bool(b) => Cell::Bool(b),
            Cell::Number(n) => Cell::Number(n),
        }
    }

    /// The value as JSON, as [`parse_leaf`] gives it.
    pub fn into_value(self) -> Value {
        match self {
            Cell::Text(text) => Value::String(text.to_string()),
            Cell::Owned(text) => Value::String(text),
            Cell::Bool(b) => Value::Bool(b),
            Cell::Number(n) => Value::Number(n),
        }
    }
}

/// Parse one text leaf into a JSON value of the field's kind.
///
/// Returns `Ok(None)` for an empty cell (absent), and `Err` with a plain-language message that
/// never contains the value.
pub fn parse_leaf(kind: &ValueKind, text: &str) -> Result<Option<Value>, String> {
    Ok(parse_cell(kind, text)?.map(Cell::into_value))
}

/// Parse one text leaf into a [`Cell`] of the field's kind: what [`parse_leaf`] does, without
/// building a JSON value (the CSV reader's path, a cell at a time).
pub fn parse_cell<'a>(kind: &'a ValueKind, text: &'a str) -> Result<Option<Cell<'a>>, String> {
    if text.is_empty() {
        return Ok(None);
    }
    if *kind == ValueKind::Text {
        return Ok(Some(Cell::Text(text)));
    }
    let trimmed = text.trim();
    let value = match kind {
        ValueKind::Text => Cell::Text(text),
        ValueKind::Date => match iso_date(trimmed) {
            // Already canonical: keep the text, no parse-and-format round trip.
            Some(_) => Cell::Text(trimmed),
            None => Cell::Owned(parse_date(trimmed)?.format("%Y-%m-%d").to_string()),
        },
        ValueKind::Bool => Cell::Bool(parse_bool(trimmed)?),
        ValueKind::Integer => Cell::Number(
            trimmed
                .parse::<i64>()
                .map(Number::from)
                .map_err(|_| "not a whole number".to_string())?,
        ),
        ValueKind::Number => Cell::Number(parse_number(trimmed)?),
        ValueKind::Enum(words) => Cell::Text(enum_word(words, trimmed)?),
    };
    Ok(Some(value))
}

/// Format a leaf value held as JSON as text; `None` for null: the form the writers'
/// `Scalar::push_text` is tested against.
///
/// Numbers use Rust's shortest round-trip representation, so `parse_leaf(format_leaf(v)) == v`.
#[cfg(test)]
pub fn format_leaf(value: &Value) -> Option<String> {
    match value {
        Value::Null => None,
        Value::Bool(b) => Some(if *b { "true" } else { "false" }.to_string()),
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) => Some(s.clone()),
        Value::Array(_) | Value::Object(_) => None,
    }
}

/// Parse `YYYY-MM-DD` or `DD.MM.YYYY` (also `D.M.YYYY`), the two forms Polish and Czech
/// exports use. The date must exist in the calendar.
pub fn parse_date(text: &str) -> Result<NaiveDate, String> {
    iso_date(text)
        .map_or_else(|| NaiveDate::parse_from_str(text, "%Y-%m-%d"), Ok)
        .or_else(|_| NaiveDate::parse_from_str(text, "%d.%m.%Y"))
        .map_err(|_| "not a real calendar date: write it as YYYY-MM-DD or DD.MM.YYYY".to_string())
}

/// A real date written exactly `YYYY-MM-DD`, read byte by byte: the form every canonical
/// file uses, so the common case skips chrono's format parser (a tenth of XML reading time).
fn iso_date(text: &str) -> Option<NaiveDate> {
    let b = text.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let number = |range: std::ops::Range<usize>| -> Option<u32> {
        b[range]
            .iter()
            .try_fold(0u32, |n, d| d.is_ascii_digit().then(|| n * 10 + u32::from(d - b'0')))
    };
    NaiveDate::from_ymd_opt(i32::try_from(number(0..4)?).ok()?, number(5..7)?, number(8..10)?)
}

fn parse_bool(text: &str) -> Result<bool, String> {
    match text.to_lowercase().as_str() {
        "t" | "tak" | "y" | "yes" | "true" | "1" | "a" | "ano" => Ok(true),
        "n" | "nie" | "no" | "false" | "0" | "ne" => Ok(false),
        _ => Err("not yes or no: write t/n, tak/nie, ano/ne, true/false or 1/0".to_string()),
    }
}

fn parse_number(text: &str) -> Result<Number, String> {
    // Polish and Czech spreadsheets write a decimal comma.
    let normalised = text.replace(',', ".");
    normalised
        .parse::<f64>()
        .ok()
        .filter(|n| n.is_finite())
        .and_then(Number::from_f64)
        .ok_or_else(|| "not a number".to_string())
}

/// Words that mean one of the model's enum values in Polish, Czech and English exports.
const ENUM_ALIASES: &[(&str, &str)] = &[
    ("m", "male"),
    ("mężczyzna", "male"),
    ("chłopiec", "male"),
    ("muž", "male"),
    ("k", "female"),
    ("f", "female"),
    ("ž", "female"),
    ("kobieta", "female"),
    ("dziewczynka", "female"),
    ("žena", "female"),
    ("zamieszkania", "residence"),
    ("bydliště", "residence"),
    ("zameldowania", "registered"),
    ("trvalé", "registered"),
    ("korespondencyjny", "correspondence"),
    ("doručovací", "correspondence"),
    ("śródroczna", "mid_year"),
    ("srodroczna", "mid_year"),
    ("pololetní", "mid_year"),
    ("roczna", "final"),
    ("końcoworoczna", "final"),
    ("závěrečná", "final"),
    ("obecny", "present"),
    ("ob", "present"),
    ("nieobecny", "absent"),
    ("nb", "absent"),
    ("usprawiedliwiony", "excused"),
    ("u", "excused"),
    ("spóźniony", "late"),
    ("sp", "late"),
];

/// The word of `words` that `text` means: the word itself, in any case and with `-` or
/// spaces for `_`, or one of its Polish and Czech aliases.
fn enum_word<'w>(words: &'w [String], text: &str) -> Result<&'w str, String> {
    if let Some(word) = words.iter().find(|w| *w == text) {
        return Ok(word);
    }
    let lower = text.to_lowercase();
    let canonical = lower.replace(['-', ' '], "_");
    if let Some(word) = words.iter().find(|w| **w == canonical) {
        return Ok(word);
    }
    ENUM_ALIASES
        .iter()
        .filter(|(alias, _)| *alias == lower)
        .find_map(|(_, word)| words.iter().find(|w| w == word))
        .map(String::as_str)
        .ok_or_else(|| format!("not one of the allowed values: use {}", words.join(", ")))
}

/// Set `value` at a dotted `key` (`address.town`) inside `object`, creating inner objects
/// (test support: building pupils as JSON).
#[cfg(test)]
pub fn set_path(object: &mut Map<String, Value>, key: &str, value: Value) {
    match key.split_once('.') {
        None => {
            object.insert(key.to_string(), value);
        }
        Some((head, rest)) => {
            let inner = object.entry(head.to_string()).or_insert_with(|| Value::Object(Map::new()));
            if !inner.is_object() {
                *inner = Value::Object(Map::new());
            }
            if let Value::Object(inner) = inner {
                set_path(inner, rest, value);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn dates_in_both_forms_and_impossible_ones_refused() {
        assert_eq!(parse_leaf(&ValueKind::Date, "07.03.2012"), Ok(Some(json!("2012-03-07"))));
        assert_eq!(parse_leaf(&ValueKind::Date, "2012-03-07"), Ok(Some(json!("2012-03-07"))));
        assert!(parse_leaf(&ValueKind::Date, "2023-02-29").is_err());
        assert!(parse_leaf(&ValueKind::Date, "31.04.2012").is_err());
        assert_eq!(parse_leaf(&ValueKind::Date, "2012-3-7"), Ok(Some(json!("2012-03-07"))));
        assert!(parse_leaf(&ValueKind::Date, "2012-03-0x").is_err());
        assert_eq!(parse_leaf(&ValueKind::Date, " 2012-03-07 "), Ok(Some(json!("2012-03-07"))));
    }

    #[test]
    fn enums_accept_polish_and_czech_words() {
        let sex = ValueKind::Enum(vec!["female".into(), "male".into()]);
        assert_eq!(parse_leaf(&sex, "K"), Ok(Some(json!("female"))));
        assert_eq!(parse_leaf(&sex, "Ž"), Ok(Some(json!("female"))));
        assert_eq!(parse_leaf(&sex, "m"), Ok(Some(json!("male"))));
        let err = parse_leaf(&sex, "x").unwrap_err();
        assert!(err.contains("female, male"), "{err}");
        let kind = ValueKind::Enum(vec!["mid_year".into(), "final".into()]);
        assert_eq!(parse_leaf(&kind, "mid-year"), Ok(Some(json!("mid_year"))));
    }

    #[test]
    fn numbers_take_a_decimal_comma_and_errors_never_echo_the_value() {
        assert_eq!(parse_leaf(&ValueKind::Number, "87,5"), Ok(Some(json!(87.5))));
        let err = parse_leaf(&ValueKind::Integer, "12abc").unwrap_err();
        assert!(!err.contains("12abc"));
        assert!(parse_leaf(&ValueKind::Number, "NaN").is_err());
    }

    #[test]
    fn empty_is_absent_and_text_is_kept_verbatim() {
        assert_eq!(parse_leaf(&ValueKind::Text, ""), Ok(None));
        assert_eq!(parse_leaf(&ValueKind::Text, " Anna "), Ok(Some(json!(" Anna "))));
    }

    #[test]
    fn paths_nest() {
        let mut object = Map::new();
        set_path(&mut object, "address.town", json!("Kraków"));
        set_path(&mut object, "surname", json!("Nowak"));
        assert_eq!(
            Value::Object(object.clone()),
            json!({"address": {"town": "Kraków"}, "surname": "Nowak"})
        );
    }
}
