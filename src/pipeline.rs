//! The pipeline: read → stages (validate, policy) → (barrier) → write, with the accounting.
//!
//! One thread reads and parses records into batches; a bounded channel (a few batches deep)
//! keeps memory flat however large the input. The main thread runs each batch through the
//! stages — per-record stages in parallel with rayon, stateful ones (duplicate detection) in
//! input order — then hands every record, in input order, either to the sink or to the rejects.
//! A [`Barrier`] (anonymisation) takes the accepted records instead of the sink and releases
//! them into it once the input has ended. This module is the only user of threads, so output
//! never depends on scheduling.

use crate::error::Result;
use crate::model::record::{Record, Severity};
use crate::model::Entity;
use crate::read::{Notice, Records};
use crate::report::{Counts, RejectsWriter, Report};
use crate::write::{Outgoing, Sink};
use rayon::prelude::*;
use std::io::Write;

/// Records per batch: large enough to amortise rayon's scheduling, small enough that a few
/// batches in flight stay in the tens of megabytes.
const BATCH: usize = 1024;
/// Batches the reader may run ahead of the stages.
const BATCHES_IN_FLIGHT: usize = 4;
/// A batch is also cut at this much input text (plus [`PART_COST`] a part): records may be
/// up to `--max-record-bytes` each, and 1024 of those would not be "tens of megabytes".
const BATCH_BYTES: usize = 8 << 20;
/// What one part of a record costs besides its text, for [`BATCH_BYTES`].
const PART_COST: usize = 64;

/// A per-record step that may stop the run.
type FallibleStage<'a> = dyn Fn(&mut Record) -> Result<()> + Sync + Send + 'a;

/// A step applied to every record between reading and writing.
pub enum Stage<'a> {
    /// Stateless per-record work, run on any rayon thread (validation, pseudonymisation).
    Parallel(Box<dyn Fn(&mut Record) + Sync + Send + 'a>),
    /// Work that needs to see records in input order (duplicate detection).
    Sequential(Box<dyn FnMut(&mut Record) + Send + 'a>),
    /// Per-record work that can stop the run (a policy meeting a field it does not cover).
    Fallible(Box<FallibleStage<'a>>),
}

/// A stage that needs every accepted record before it can release any: anonymisation
/// chooses its generalisation over the whole data set. The pipeline hands it the accepted
/// records (collect) instead of the sink and, once the input has ended, lets it choose and
/// write what it releases into the sink (search, release).
pub trait Barrier {
    /// Take one accepted record, already through the per-record stages.
    fn collect(&mut self, record: &Record) -> Result<()>;

    /// Write every record it releases into `sink` (without finishing it); say what it left
    /// out, so the accounting can say where those records went.
    fn release(&mut self, sink: &mut dyn Sink) -> Result<Withheld>;
}

/// What a [`Barrier`] deliberately did not write (suppressed by anonymisation).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Withheld {
    /// Input records of the pupils left out.
    pub records: u64,
    /// Pupils left out.
    pub pupils: u64,
}

/// Where rejected records go.
pub trait RejectSink {
    /// Write every part of a rejected record; return how many input records that was.
    fn reject(&mut self, record: &Record) -> Result<u64>;
    /// Flush.
    fn finish(&mut self) -> Result<()>;
}

impl<W: Write> RejectSink for RejectsWriter<W> {
    fn reject(&mut self, record: &Record) -> Result<u64> {
        self.write(record)
    }

    fn finish(&mut self) -> Result<()> {
        RejectsWriter::finish(self)
    }
}

/// A sink that keeps nothing: `validate` checks without writing.
#[derive(Debug, Default)]
pub struct Discard;

impl Sink for Discard {
    fn write(&mut self, _pupil: Outgoing<'_>) -> Result<()> {
        Ok(())
    }

    fn finish(&mut self) -> Result<()> {
        Ok(())
    }
}

impl RejectSink for Discard {
    fn reject(&mut self, record: &Record) -> Result<u64> {
        Ok(record.input_count())
    }

    fn finish(&mut self) -> Result<()> {
        Ok(())
    }
}

/// Where a run's results go.
pub struct Outputs<'a> {
    /// Accepted pupils, as released (or as read, when no policy released them).
    pub accepted: &'a mut dyn Sink,
    /// Every accepted pupil as read, before any policy released it or a barrier left it out:
    /// for outputs that aggregate the data themselves (the aggregate tables).
    pub as_read: Option<&'a mut dyn Sink>,
    /// Rejected records, with their reasons.
    pub rejected: &'a mut dyn RejectSink,
    /// Every notice and problem.
    pub report: &'a mut dyn Report,
}

/// How far a run has come, as told to a progress callback.
pub struct Progress<'r> {
    /// Pupils done: written or rejected (what a school counts; a multi-file export has many
    /// rows per pupil).
    pub pupils: u64,
    /// Where the last record done starts in its input (its file and byte), for a byte-based
    /// estimate of what is left.
    pub at: Option<&'r crate::error::Location>,
}

/// A callback told how far a run has come after every batch.
type ProgressFn<'a> = Box<dyn FnMut(Progress<'_>) + 'a>;

/// The stages to run, in order, and an optional progress callback.
#[derive(Default)]
pub struct Pipeline<'a> {
    stages: Vec<Stage<'a>>,
    barrier: Option<&'a mut dyn Barrier>,
    progress: Option<ProgressFn<'a>>,
}

impl<'a> Pipeline<'a> {
    /// An empty pipeline: records go straight from reader to writer.
    pub fn new() -> Pipeline<'a> {
        Pipeline::default()
    }

    /// Add a stateless per-record stage, run in parallel.
    pub fn parallel(mut self, stage: impl Fn(&mut Record) + Sync + Send + 'a) -> Pipeline<'a> {
        self.stages.push(Stage::Parallel(Box::new(stage)));
        self
    }

    /// Add a stage that sees records one by one in input order.
    pub fn sequential(mut self, stage: impl FnMut(&mut Record) + Send + 'a) -> Pipeline<'a> {
        self.stages.push(Stage::Sequential(Box::new(stage)));
        self
    }

    /// Add a per-record stage, run in parallel, whose error stops the run (after the records
    /// before the failing batch have been written).
    pub fn fallible(
        mut self,
        stage: impl Fn(&mut Record) -> Result<()> + Sync + Send + 'a,
    ) -> Pipeline<'a> {
        self.stages.push(Stage::Fallible(Box::new(stage)));
        self
    }

    /// Hand the accepted records to `barrier` instead of the sink, and let it release them
    /// into the sink once the input has ended.
    pub fn barrier(mut self, barrier: &'a mut dyn Barrier) -> Pipeline<'a> {
        self.barrier = Some(barrier);
        self
    }

    /// Call `progress` after every batch with the pupils done (written or rejected) and where
    /// in its input the batch's last record lies.
    pub fn progress(mut self, progress: impl FnMut(Progress<'_>) + 'a) -> Pipeline<'a> {
        self.progress = Some(Box::new(progress));
        self
    }

    /// Run every record through the stages into the outputs, and check the accounting.
    ///
    /// A reader error stops the run (after the records before it have been written) and closes
    /// the report with [`Report::abort`]; the counts are checked before returning so that
    /// `in = out + rejected` always holds.
    pub fn run(
        mut self,
        records: Records,
        notices: &[Notice],
        mut outputs: Outputs<'_>,
    ) -> Result<Counts> {
        outputs.report.begin(notices)?;
        let mut counts = Counts::default();
        let (sender, receiver) =
            crossbeam_channel::bounded::<Result<Vec<Record>>>(BATCHES_IN_FLIGHT);
        let streamed = std::thread::scope(|scope| {
            scope.spawn(move || read_batches(records, sender));
            for batch in receiver {
                let mut batch = batch?;
                self.apply_stages(&mut batch)?;
                for record in &batch {
                    deliver(record, &mut counts, &mut outputs, self.barrier.as_deref_mut())?;
                }
                if let Some(progress) = self.progress.as_mut() {
                    let pupils = counts.pupils_out + counts.pupils_rejected;
                    let at = batch.last().and_then(|r| r.parts.first()).map(|p| &p.location);
                    progress(Progress { pupils, at });
                }
            }
            Ok::<(), crate::Error>(())
        });
        if let Err(error) = streamed {
            // What the report holds so far stays a whole report, saying why and how far the
            // run came; the error itself is what the caller hears.
            let _ = outputs.report.abort(&error, &counts);
            return Err(error.stopped_after(&counts));
        }
        let withheld = match self.barrier.as_deref_mut() {
            Some(barrier) => barrier.release(&mut *outputs.accepted)?,
            None => Withheld::default(),
        };
        outputs.accepted.finish()?;
        if let Some(as_read) = outputs.as_read.as_deref_mut() {
            as_read.finish()?;
        }
        counts.output -= withheld.records.min(counts.output);
        counts.suppressed += withheld.records;
        counts.pupils_out -= withheld.pupils.min(counts.pupils_out);
        counts.pupils_suppressed += withheld.pupils;
        outputs.rejected.finish()?;
        counts.check()?;
        outputs.report.finish(&counts)?;
        Ok(counts)
    }

    fn apply_stages(&mut self, batch: &mut [Record]) -> Result<()> {
        for stage in &mut self.stages {
            match stage {
                Stage::Parallel(f) => batch.par_iter_mut().for_each(&**f),
                Stage::Sequential(f) => batch.iter_mut().for_each(&mut **f),
                // The first error in input order, so the message does not depend on scheduling.
                Stage::Fallible(f) => {
                    let results: Vec<Result<()>> = batch.par_iter_mut().map(&**f).collect();
                    results.into_iter().collect::<Result<()>>()?;
                }
            }
        }
        Ok(())
    }
}

/// The reader thread: parse records into batches until the input ends, an error occurs, or
/// the receiver hangs up (the main thread stopped on an error of its own).
fn read_batches(records: Records, sender: crossbeam_channel::Sender<Result<Vec<Record>>>) {
    let mut batch = Vec::with_capacity(BATCH);
    let mut bytes = 0;
    for record in records {
        match record {
            Ok(record) => {
                bytes += record.parts.iter().map(|p| p.original.len() + PART_COST).sum::<usize>();
                batch.push(record);
            }
            Err(e) => {
                if !batch.is_empty() {
                    let _ = sender.send(Ok(std::mem::take(&mut batch)));
                }
                let _ = sender.send(Err(e));
                return;
            }
        }
        if batch.len() < BATCH && bytes < BATCH_BYTES {
            continue;
        }
        bytes = 0;
        if sender.send(Ok(std::mem::replace(&mut batch, Vec::with_capacity(BATCH)))).is_err() {
            return;
        }
    }
    if !batch.is_empty() {
        let _ = sender.send(Ok(batch));
    }
}

/// Send one record to the sink (or the barrier before it) or the rejects, report its
/// problems, and count it.
fn deliver(
    record: &Record,
    counts: &mut Counts,
    outputs: &mut Outputs<'_>,
    barrier: Option<&mut (dyn Barrier + '_)>,
) -> Result<()> {
    for violation in &record.problems {
        outputs.report.violation(violation)?;
    }
    counts.input += record.input_count();
    if record.is_blank_row() {
        counts.blank += record.input_count();
    } else if record.is_rejected() {
        counts.rejected += outputs.rejected.reject(record)?;
        // An orphan child row is a rejected record but not a rejected pupil.
        counts.pupils_rejected += u64::from(record.parts.iter().any(|p| p.entity == Entity::Pupil));
    } else {
        if let Some(as_read) = outputs.as_read.as_deref_mut() {
            as_read.write(Outgoing::Pupil(&record.pupil))?;
        }
        match barrier {
            Some(barrier) => barrier.collect(record)?,
            None => outputs.accepted.write(Outgoing::of(record))?,
        }
        counts.output += record.input_count();
        counts.pupils_out += 1;
        counts.warnings +=
            record.problems.iter().filter(|v| v.severity == Severity::Warning).count() as u64;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{Error, Location};
    use crate::model::record::{Part, Rule};
    use crate::report::JsonReport;

    fn record(i: u64, bad: bool) -> Result<Record> {
        let mut record = Record::default();
        record.pupil.id = format!("P{i}");
        record.parts.push(Part {
            entity: Entity::Pupil,
            location: Location { source: "p".into(), record: i, line: i + 2, byte: 0, sheet: None },
            original: String::new(),
        });
        if bad {
            record.report("pesel", Rule::PeselChecksum, Severity::Error, "bad");
        }
        Ok(record)
    }

    struct Collect(Vec<String>);

    impl Sink for Collect {
        fn write(&mut self, pupil: Outgoing<'_>) -> Result<()> {
            let id = match pupil {
                Outgoing::Pupil(pupil) => pupil.id.clone(),
                Outgoing::Released(pupil) => pupil.top_level_text("id").unwrap_or_default().into(),
            };
            self.0.push(id);
            Ok(())
        }

        fn finish(&mut self) -> Result<()> {
            Ok(())
        }
    }

    #[test]
    fn every_record_is_written_or_rejected_in_input_order_across_batches() {
        let n = (BATCH * 3 + 7) as u64;
        let records: Records = Box::new((0..n).map(|i| record(i, i % 10 == 0)));
        let mut sink = Collect(Vec::new());
        let mut report = JsonReport::new(Vec::new(), "-");
        let counts = Pipeline::new()
            .parallel(|r: &mut Record| r.pupil.surname = Some("x".into()))
            .run(
                records,
                &[],
                Outputs {
                    accepted: &mut sink,
                    as_read: None,
                    rejected: &mut Discard,
                    report: &mut report,
                },
            )
            .unwrap();
        assert_eq!(
            (counts.input, counts.output, counts.rejected),
            (n, n - n.div_ceil(10), n.div_ceil(10))
        );
        let expected: Vec<String> =
            (0..n).filter(|i| i % 10 != 0).map(|i| format!("P{i}")).collect();
        assert_eq!(sink.0, expected);
    }

    #[test]
    fn a_reader_error_stops_the_run_after_writing_what_came_before() {
        let records: Records = Box::new(
            (0..3)
                .map(|i| record(i, false))
                .chain(std::iter::once(Err(Error::syntax(Location::start_of("p"), "broken")))),
        );
        let mut sink = Collect(Vec::new());
        let mut report = JsonReport::new(Vec::new(), "-");
        let err = Pipeline::new()
            .run(
                records,
                &[],
                Outputs {
                    accepted: &mut sink,
                    as_read: None,
                    rejected: &mut Discard,
                    report: &mut report,
                },
            )
            .unwrap_err();
        assert!(err.to_string().contains("broken"));
        assert_eq!(sink.0.len(), 3);
    }
}
