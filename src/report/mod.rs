//! Reports: the run's accounting, the validation report (text for people, JSON for machines),
//! the rejects file, and the subject-access report (`sar`).
//!
//! Reports travel — into e-mails, tickets and archives — so they name places, fields and rules
//! but never a value. The rejects file is the exception by design: it is data (the untouched
//! original of every rejected input record) and is handled like the input itself.

mod rejects;
pub mod tables;
mod validation;

pub use self::rejects::RejectsWriter;
pub use self::validation::{CountsReport, JsonReport, Report, TextReport};

use crate::error::{ErrorKind, Result};
use serde::Serialize;
use std::fmt;

/// The accounting of one run: every input record is either written or rejected.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Input records read (CSV rows of every file, XML pupil elements, JSON lines).
    #[serde(rename = "in")]
    pub input: u64,
    /// Input records carried into the output.
    #[serde(rename = "out")]
    pub output: u64,
    /// Input records sent to the rejects file.
    pub rejected: u64,
    /// Input records of pupils an anonymising policy left out because their combination of
    /// quasi-identifiers stayed too rare (counted, never written anywhere).
    #[serde(skip_serializing_if = "is_zero")]
    pub suppressed: u64,
    /// Blank CSV rows (delimiters only) skipped: each is listed in the report with its line.
    #[serde(skip_serializing_if = "is_zero")]
    pub blank: u64,
    /// Pupils written.
    pub pupils_out: u64,
    /// Pupils rejected (with all their rows).
    pub pupils_rejected: u64,
    /// Warnings reported on records that went through.
    pub warnings: u64,
    /// Pupils suppressed by anonymisation.
    #[serde(skip_serializing_if = "is_zero")]
    pub pupils_suppressed: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl Counts {
    /// Check `in = out + rejected (+ suppressed + blank)`; a mismatch is a bug in teczka and
    /// stops the run loudly.
    pub fn check(&self) -> Result<()> {
        if self.input == self.output + self.rejected + self.suppressed + self.blank {
            Ok(())
        } else {
            Err(ErrorKind::CountMismatch {
                input: self.input,
                output: self.output,
                rejected: self.rejected + self.suppressed + self.blank,
            }
            .into())
        }
    }
}

impl fmt::Display for Counts {
    /// The summary line every run ends with: `records: in=N out=N rejected=N`, then
    /// ` suppressed=N` when anonymisation left pupils out and ` blank=N` when blank rows were
    /// skipped.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "records: in={} out={} rejected={}", self.input, self.output, self.rejected)?;
        if self.suppressed > 0 {
            write!(f, " suppressed={}", self.suppressed)?;
        }
        if self.blank > 0 {
            write!(f, " blank={}", self.blank)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_line_is_script_readable_and_mismatch_is_an_error() {
        let counts = Counts { input: 5, output: 3, rejected: 2, ..Counts::default() };
        assert_eq!(counts.to_string(), "records: in=5 out=3 rejected=2");
        assert!(counts.check().is_ok());
        let broken = Counts { input: 5, output: 3, rejected: 1, ..Counts::default() };
        assert!(broken.check().unwrap_err().to_string().contains("in=5 but out=3 + rejected=1"));
    }
}
