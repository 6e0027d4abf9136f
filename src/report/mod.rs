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
/// The run's accounting lives with the records it counts; reports print it.
pub use crate::model::record::Counts;
