//! The validation report: every notice and violation, tallied by rule, as text or JSON — or,
//! for an anonymised archive, only the counts by rule and field ([`CountsReport`]).

use super::Counts;
use crate::error::{Error, Result};
use crate::model::record::{Severity, Violation};
use crate::read::{Notice, NoticeLevel};
use std::collections::BTreeMap;
use std::io::Write;
use std::sync::Arc;

/// A destination for what a run found. The pipeline calls `begin` once, `violation` for every
/// problem in input order, then `finish` with the final counts.
pub trait Report {
    /// Record the file-level notices found while opening the inputs.
    fn begin(&mut self, notices: &[Notice]) -> Result<()>;
    /// Record one problem.
    fn violation(&mut self, violation: &Violation) -> Result<()>;
    /// Close the report with the run's counts.
    fn finish(&mut self, counts: &Counts) -> Result<()>;
    /// Close the report of a run that `error` stopped, with the counts as far as it came, so
    /// that what was written is still a whole report (a JSON report stays one JSON document).
    /// Reports that write nothing before `finish` have nothing to close.
    fn abort(&mut self, _error: &Error, _counts: &Counts) -> Result<()> {
        Ok(())
    }
}

/// How many problems of each rule and severity were seen.
#[derive(Default)]
struct Tally(BTreeMap<(Severity, String), u64>);

impl Tally {
    fn add(&mut self, v: &Violation) {
        *self.0.entry((v.severity, v.rule.code())).or_default() += 1;
    }
}

/// A report for people: one line per problem, then a tally by rule.
///
/// `shown` caps the number of problem lines (a million-row file with one systematic problem
/// should not scroll for an hour); the tally still counts everything.
pub struct TextReport<W: Write> {
    out: W,
    name: Arc<str>,
    shown: Option<u64>,
    seen: u64,
    tally: Tally,
}

impl<W: Write> TextReport<W> {
    /// Write the report to `out`, showing at most `shown` problem lines (all when `None`).
    pub fn new(out: W, name: impl Into<Arc<str>>, shown: Option<u64>) -> TextReport<W> {
        TextReport { out, name: name.into(), shown, seen: 0, tally: Tally::default() }
    }

    fn io(&self, e: std::io::Error) -> Error {
        Error::io(&*self.name, e)
    }
}

impl<W: Write> Report for TextReport<W> {
    fn begin(&mut self, notices: &[Notice]) -> Result<()> {
        for notice in notices {
            let level = match notice.level {
                NoticeLevel::Info => "",
                NoticeLevel::Warning => "warning: ",
            };
            writeln!(self.out, "{}: {level}{}", notice.source, notice.message)
                .map_err(|e| self.io(e))?;
        }
        Ok(())
    }

    fn violation(&mut self, violation: &Violation) -> Result<()> {
        self.tally.add(violation);
        self.seen += 1;
        if self.shown.is_none_or(|max| self.seen <= max) {
            writeln!(self.out, "{violation}").map_err(|e| self.io(e))?;
        }
        Ok(())
    }

    fn finish(&mut self, counts: &Counts) -> Result<()> {
        if let Some(max) = self.shown.filter(|max| self.seen > *max) {
            writeln!(self.out, "… {} more problems not shown (the first {max} are above); write them all with --report-file", self.seen - max)
                .map_err(|e| self.io(e))?;
        }
        if !self.tally.0.is_empty() {
            writeln!(self.out, "problems by rule:").map_err(|e| self.io(e))?;
            for ((severity, code), n) in &self.tally.0 {
                let level = if *severity == Severity::Error { "error" } else { "warning" };
                writeln!(self.out, "  {n:>9}  {level:<7}  {code}").map_err(|e| self.io(e))?;
            }
        }
        writeln!(
            self.out,
            "pupils: out={} rejected={}; warnings on accepted records: {}",
            counts.pupils_out, counts.pupils_rejected, counts.warnings
        )
        .map_err(|e| self.io(e))?;
        self.out.flush().map_err(|e| self.io(e))
    }

    fn abort(&mut self, _error: &Error, counts: &Counts) -> Result<()> {
        // The error itself goes to standard error; the report ends with how far the run came.
        writeln!(
            self.out,
            "the run stopped early (the error follows on standard error); before it: pupils: \
             out={} rejected={}",
            counts.pupils_out, counts.pupils_rejected
        )
        .map_err(|e| self.io(e))?;
        self.out.flush().map_err(|e| self.io(e))
    }
}

/// A report for machines: one JSON document, streamed so that a million problems never sit in
/// memory at once.
///
/// Shape: `{"tool": …, "version": …, "notices": [...], "violations": [...], "rules": [...],
/// "counts": {"in": N, "out": N, "rejected": N, …}}`.
pub struct JsonReport<W: Write> {
    out: W,
    name: Arc<str>,
    first: bool,
    tally: Tally,
}

impl<W: Write> JsonReport<W> {
    /// Write the report to `out`.
    pub fn new(out: W, name: impl Into<Arc<str>>) -> JsonReport<W> {
        JsonReport { out, name: name.into(), first: true, tally: Tally::default() }
    }

    fn write_json(&mut self, value: &impl serde::Serialize) -> Result<()> {
        serde_json::to_writer(&mut self.out, value).map_err(|e| Error::io(&*self.name, e.into()))
    }

    fn write_raw(&mut self, text: &str) -> Result<()> {
        self.out.write_all(text.as_bytes()).map_err(|e| Error::io(&*self.name, e))
    }
}

impl<W: Write> Report for JsonReport<W> {
    fn begin(&mut self, notices: &[Notice]) -> Result<()> {
        self.write_raw("{\"tool\":\"teczka\",\"version\":")?;
        self.write_json(&env!("CARGO_PKG_VERSION"))?;
        self.write_raw(",\"notices\":")?;
        self.write_json(&notices)?;
        self.write_raw(",\"violations\":[")
    }

    fn violation(&mut self, violation: &Violation) -> Result<()> {
        self.tally.add(violation);
        if !std::mem::take(&mut self.first) {
            self.write_raw(",")?;
        }
        self.write_raw("\n")?;
        self.write_json(violation)
    }

    fn finish(&mut self, counts: &Counts) -> Result<()> {
        self.close(None, counts)
    }

    fn abort(&mut self, error: &Error, counts: &Counts) -> Result<()> {
        self.close(Some(error), counts)
    }
}

impl<W: Write> JsonReport<W> {
    /// End the violations list and the document: the error that stopped the run, if one did,
    /// the tally by rule and the counts.
    fn close(&mut self, error: Option<&Error>, counts: &Counts) -> Result<()> {
        let rules: Vec<serde_json::Value> = self
            .tally
            .0
            .iter()
            .map(|((severity, rule), count)| serde_json::json!({"rule": rule, "severity": severity, "count": count}))
            .collect();
        self.write_raw("\n]")?;
        if let Some(error) = error {
            self.write_raw(",\"stopped\":")?;
            self.write_json(&error.to_string())?;
        }
        self.write_raw(",\"rules\":")?;
        self.write_json(&rules)?;
        self.write_raw(",\"counts\":")?;
        self.write_json(counts)?;
        self.write_raw("}\n")?;
        self.out.flush().map_err(|e| Error::io(&*self.name, e))
    }
}

/// A report of counts only, for archives that must hold nothing about a single pupil (an
/// anonymised release): the notices about the input files, how many problems of each rule
/// were found in each field, and the run's counts — no record ids, no positions, no messages
/// (a message names a list item's position, `address 2`).
///
/// Shape: `{"tool": …, "version": …, "counts_only": true, "notices": [...], "rules":
/// [{"rule", "severity", "field", "count"}, …], "counts": {…}}`.
pub struct CountsReport<W: Write> {
    out: W,
    name: Arc<str>,
    notices: Vec<Notice>,
    tally: BTreeMap<(Severity, String, String), u64>,
}

impl<W: Write> CountsReport<W> {
    /// Write the report to `out` when the run finishes.
    pub fn new(out: W, name: impl Into<Arc<str>>) -> CountsReport<W> {
        CountsReport { out, name: name.into(), notices: Vec::new(), tally: BTreeMap::new() }
    }
}

impl<W: Write> Report for CountsReport<W> {
    fn begin(&mut self, notices: &[Notice]) -> Result<()> {
        self.notices = notices.to_vec();
        Ok(())
    }

    fn violation(&mut self, v: &Violation) -> Result<()> {
        *self.tally.entry((v.severity, v.rule.code(), v.field.clone())).or_default() += 1;
        Ok(())
    }

    fn finish(&mut self, counts: &Counts) -> Result<()> {
        let rules: Vec<serde_json::Value> = self
            .tally
            .iter()
            .map(|((severity, rule, field), count)| {
                serde_json::json!({"rule": rule, "severity": severity, "field": field, "count": count})
            })
            .collect();
        let report = serde_json::json!({
            "tool": "teczka",
            "version": env!("CARGO_PKG_VERSION"),
            "counts_only": true,
            "notices": self.notices,
            "rules": rules,
            "counts": counts,
        });
        let io = |e: std::io::Error| Error::io(&*self.name, e);
        serde_json::to_writer(&mut self.out, &report).map_err(|e| io(e.into()))?;
        self.out.write_all(b"\n").map_err(io)?;
        self.out.flush().map_err(io)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Location;
    use crate::model::record::Rule;

    fn violation(rule: Rule, severity: Severity) -> Violation {
        Violation {
            location: Location {
                source: "p.csv".into(),
                record: 0,
                line: 2,
                byte: 10,
                sheet: None,
            },
            record_id: Some("P1".into()),
            field: "pesel".into(),
            rule,
            severity,
            message: "the check digit is wrong".into(),
        }
    }

    fn counts() -> Counts {
        Counts {
            input: 2,
            output: 1,
            rejected: 1,
            pupils_out: 1,
            pupils_rejected: 1,
            warnings: 1,
            ..Counts::default()
        }
    }

    #[test]
    fn json_report_is_one_valid_document_with_counts() {
        let mut out = Vec::new();
        let mut report = JsonReport::new(&mut out, "-");
        report.begin(&[]).unwrap();
        report.violation(&violation(Rule::PeselChecksum, Severity::Error)).unwrap();
        report.violation(&violation(Rule::NameShape, Severity::Warning)).unwrap();
        report.finish(&counts()).unwrap();
        let doc: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(doc["counts"]["in"], 2);
        assert_eq!(doc["counts"]["rejected"], 1);
        assert_eq!(doc["violations"][0]["rule"], "pesel-checksum");
        assert_eq!(doc["violations"][0]["location"]["line"], 2);
        assert_eq!(doc["rules"].as_array().unwrap().len(), 2);
    }

    #[test]
    fn a_stopped_run_still_leaves_one_valid_json_document_saying_why() {
        let mut out = Vec::new();
        let mut report = JsonReport::new(&mut out, "-");
        report.begin(&[]).unwrap();
        report.violation(&violation(Rule::PeselChecksum, Severity::Error)).unwrap();
        let error = Error::input("p.xml", "the XML declares a DOCTYPE");
        report.abort(&error, &counts()).unwrap();
        let doc: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(doc["stopped"], "p.xml: the XML declares a DOCTYPE");
        assert_eq!(doc["violations"].as_array().unwrap().len(), 1);
        assert_eq!(doc["counts"]["in"], 2);
    }

    #[test]
    fn text_report_caps_lines_but_tallies_everything() {
        let mut out = Vec::new();
        let mut report = TextReport::new(&mut out, "-", Some(1));
        report.begin(&[]).unwrap();
        for _ in 0..3 {
            report.violation(&violation(Rule::PeselChecksum, Severity::Error)).unwrap();
        }
        report.finish(&counts()).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text.matches("pesel-checksum: the check digit").count(), 1);
        assert!(text.contains("… 2 more problems not shown"));
        assert!(text.contains("        3  error    pesel-checksum"), "{text}");
    }

    #[test]
    fn counts_report_tallies_rules_per_field_and_names_no_pupil() {
        let mut out = Vec::new();
        let mut report = CountsReport::new(&mut out, "-");
        report.begin(&[]).unwrap();
        for _ in 0..2 {
            report.violation(&violation(Rule::PeselChecksum, Severity::Error)).unwrap();
        }
        report.violation(&violation(Rule::NameShape, Severity::Warning)).unwrap();
        report.finish(&counts()).unwrap();
        let text = String::from_utf8(out).unwrap();
        for private in ["P1", "p.csv", "line", "byte", "check digit"] {
            assert!(!text.contains(private), "{private} in {text}");
        }
        let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            doc["rules"][0],
            serde_json::json!({"rule": "pesel-checksum", "severity": "error", "field": "pesel", "count": 2})
        );
        assert_eq!(doc["rules"].as_array().unwrap().len(), 2);
        assert_eq!(
            (doc["counts"]["in"].clone(), doc["counts_only"].clone()),
            (2.into(), true.into())
        );
        assert!(doc.get("violations").is_none());
    }
}
