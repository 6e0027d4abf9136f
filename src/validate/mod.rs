//! Validation: domain rules on each record (being built).

use crate::model::record::Record;

/// Checks the per-record rules; stateless so it can run on any thread.
#[derive(Clone, Debug, Default)]
pub struct Validator {}

impl Validator {
    /// Check one record, adding violations to it.
    pub fn check(&self, _record: &mut Record) {}
}
