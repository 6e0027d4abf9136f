//! Identifiers inside free text.
//!
//! A secretary who types "obiady – Nowak Jan, PESEL 02270803624" into a payment title has put a
//! child's national id where no rule for national ids applies. Free-text fields (the catalogue
//! marks them) are scanned as they are released: a PESEL-shaped run of eleven digits, a rodné
//! číslo (`YYMMDD/NNNN`, or a bare run that passes its checks) and an e-mail address are found
//! and, as the policy says, reported (where, never the value) or redacted. Shapes, not
//! checksums, decide for PESELs: a mistyped PESEL still names a child.

use crate::validate::birth_number_birth;
use std::ops::Range;

/// The marker a redacted identifier is replaced by.
pub const REDACTED: &str = "[redacted]";

/// What kind of identifier a piece of free text held.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Found {
    /// Eleven digits in a row: the shape of a PESEL.
    Pesel,
    /// A rodné číslo: six digits, a slash, three or four digits, or a valid bare one.
    BirthNumber,
    /// Something `@` something `.` something.
    Email,
}

impl Found {
    /// Words for messages.
    pub fn describe(self) -> &'static str {
        match self {
            Found::Pesel => "a PESEL-shaped number",
            Found::BirthNumber => "a rodné číslo",
            Found::Email => "an e-mail address",
        }
    }
}

/// Every identifier in `text`, by byte range, in order.
pub fn find(text: &str) -> Vec<(Range<usize>, Found)> {
    let mut found = digit_identifiers(text);
    found.extend(emails(text));
    found.sort_by_key(|(range, _)| range.start);
    found
}

/// `text` with every identifier replaced by [`REDACTED`]; `None` when it held none.
pub fn redact(text: &str, found: &[(Range<usize>, Found)]) -> Option<String> {
    if found.is_empty() {
        return None;
    }
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for (range, _) in found {
        if range.start < at {
            continue;
        }
        out.push_str(&text[at..range.start]);
        out.push_str(REDACTED);
        at = range.end;
    }
    out.push_str(&text[at..]);
    Some(out)
}

/// PESELs and rodná čísla: runs of digits (a rodné číslo may have one slash after six digits),
/// bounded by non-digits.
fn digit_identifiers(text: &str) -> Vec<(Range<usize>, Found)> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if !bytes[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        let mut end = i;
        let digits = end - start;
        // `YYMMDD/NNN(N)`: the slash and the digits after it belong to the run.
        if digits == 6 && bytes.get(i) == Some(&b'/') {
            let tail = bytes[i + 1..].iter().take_while(|b| b.is_ascii_digit()).count();
            if tail == 3 || tail == 4 {
                end = i + 1 + tail;
                i = end;
                out.push((start..end, Found::BirthNumber));
                continue;
            }
        }
        match digits {
            11 => out.push((start..end, Found::Pesel)),
            9 | 10 if birth_number_birth(&text[start..end]).is_some() => {
                out.push((start..end, Found::BirthNumber))
            }
            _ => {}
        }
    }
    out
}

/// E-mail addresses: a local part and a dotted domain around one `@`.
fn emails(text: &str) -> Vec<(Range<usize>, Found)> {
    let bytes = text.as_bytes();
    let local = |b: u8| b.is_ascii_alphanumeric() || b"._%+-".contains(&b);
    let domain = |b: u8| b.is_ascii_alphanumeric() || b".-".contains(&b);
    let mut out = Vec::new();
    for (at, _) in text.match_indices('@') {
        let start = bytes[..at].iter().rposition(|b| !local(*b)).map_or(0, |p| p + 1);
        let end =
            bytes[at + 1..].iter().position(|b| !domain(*b)).map_or(bytes.len(), |p| at + 1 + p);
        let host = text[at + 1..end].trim_end_matches('.');
        let end = at + 1 + host.len();
        let dotted = host.split('.').filter(|part| !part.is_empty()).count() >= 2;
        if start < at && dotted {
            out.push((start..end, Found::Email));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<Found> {
        find(text).into_iter().map(|(_, k)| k).collect()
    }

    #[test]
    fn identifiers_are_found_by_shape_and_redacted_in_place() {
        let text = "obiady - Nowak Jan PESEL 02270803624, mail jan.nowak@wp.pl.";
        let found = find(text);
        assert_eq!(kinds(text), [Found::Pesel, Found::Email]);
        assert_eq!(
            redact(text, &found).unwrap(),
            "obiady - Nowak Jan PESEL [redacted], mail [redacted]."
        );
        // A mistyped PESEL is still a PESEL's shape.
        assert_eq!(kinds("x02270803629y"), [Found::Pesel]);
        assert_eq!(kinds("rč 140215/1234 a 1402151234"), [Found::BirthNumber, Found::BirthNumber]);
    }

    #[test]
    fn ordinary_text_and_numbers_are_left_alone() {
        for text in [
            "Konkurs 2025/2026, I miejsce",
            "kwota 1500 zł",
            "tel. 601 234 567",
            "a@b",
            "@x.pl",
            "123456789012",
        ] {
            assert_eq!(kinds(text), [], "{text}");
            assert_eq!(redact(text, &find(text)), None);
        }
    }
}
