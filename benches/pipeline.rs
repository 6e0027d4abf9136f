//! Stage benchmarks: each reader, the validator, the policy stage and each writer on the same
//! 2,000 generated pupils (Typical detail), reported per pupil. The whole-process numbers (1M pupils, peak
//! memory) come from `scripts/bench.sh`.

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use std::hint::black_box;
use teczka::{
    CsvWriteOptions, CsvWriter, Generator, GeneratorConfig, Input, JsonlReader, JsonlWriter, Key,
    Outgoing, Policy, Pupil, ReadOptions, Record, ReleasedPupil, Secrets, Sink, ValidatorBuilder,
    XmlReader, XmlWriter,
};

const PUPILS: u64 = 2_000;

fn pupils() -> Vec<Pupil> {
    Generator::new(GeneratorConfig::default()).iter(0..PUPILS).collect()
}

fn written(pupils: &[Pupil], sink: &mut dyn Sink) {
    for p in pupils {
        sink.write(Outgoing::Pupil(p)).expect("write");
    }
    sink.finish().expect("finish");
}

fn readers(c: &mut Criterion) {
    let pupils = pupils();
    let mut jsonl = Vec::new();
    written(&pupils, &mut JsonlWriter::new(&mut jsonl, "-"));
    let mut xml = Vec::new();
    written(&pupils, &mut XmlWriter::new(&mut xml, "-").expect("xml"));
    let csv_dir = tempfile::tempdir().expect("tmp");
    written(
        &pupils,
        &mut CsvWriter::create(csv_dir.path(), CsvWriteOptions::default()).expect("csv"),
    );
    let options = ReadOptions::default();

    let mut group = c.benchmark_group("read");
    group.sample_size(10).throughput(Throughput::Elements(PUPILS));
    group.bench_function("jsonl", |b| {
        b.iter(|| {
            JsonlReader::new(&jsonl[..], "b", &options)
                .for_each(|r| drop(black_box(r.expect("record"))))
        })
    });
    group.bench_function("xml", |b| {
        b.iter(|| {
            XmlReader::new(&xml[..], "b", &options)
                .for_each(|r| drop(black_box(r.expect("record"))))
        })
    });
    let inputs = [Input { path: csv_dir.path().to_path_buf(), entity: None }];
    group.bench_function("csv_multi_file", |b| {
        b.iter(|| {
            let opened = teczka::open(&inputs, &options).expect("open");
            opened.records.for_each(|r| drop(black_box(r.expect("record"))))
        })
    });
    // The pupils file alone: the single-file CSV path (rows split and assembled in parallel).
    let pupils_file = [Input { path: csv_dir.path().join("pupils.csv"), entity: None }];
    group.bench_function("csv_pupils_file", |b| {
        b.iter(|| {
            let opened = teczka::open(&pupils_file, &options).expect("open");
            opened.records.for_each(|r| drop(black_box(r.expect("record"))))
        })
    });
    group.finish();
    search(c, &std::fs::read_to_string(csv_dir.path().join("grades.csv")).expect("grades"));
}

/// The subject-access prefilter on every row of a child file: what a search costs per row
/// before anything is parsed.
fn search(c: &mut Criterion, rows: &str) {
    let rows: Vec<&str> = rows.lines().collect();
    let mut group = c.benchmark_group("search");
    group.sample_size(10).throughput(Throughput::Elements(rows.len() as u64));
    for subject in ["pesel:05221421151", "email:jan.nowak@example.pl", "id:P-000042"] {
        let subject: teczka::SarSubject = subject.parse().expect("subject");
        group.bench_function(
            format!("prefilter_{}", subject.masked().split(' ').next().unwrap_or("")),
            |b| {
                let filter = subject.prefilter();
                b.iter(|| rows.iter().filter(|row| filter.admits(row)).count())
            },
        );
    }
    group.finish();
}

fn validate(c: &mut Criterion) {
    let records: Vec<Record> =
        pupils().into_iter().map(|pupil| Record { pupil, ..Record::default() }).collect();
    let validator = ValidatorBuilder::new().build().expect("validator");
    let mut group = c.benchmark_group("validate");
    group.sample_size(10).throughput(Throughput::Elements(PUPILS));
    group.bench_function("rules", |b| {
        b.iter_batched_ref(
            || records.clone(),
            |records| records.iter_mut().for_each(|r| validator.check(r)),
            BatchSize::LargeInput,
        )
    });
    // The one sequential stage: a fresh index each iteration, as a run starts with one.
    group.bench_function("duplicates", |b| {
        b.iter_batched_ref(
            || records.clone(),
            |records| {
                let mut duplicates = teczka::Duplicates::new();
                records.iter_mut().for_each(|r| duplicates.check(r));
            },
            BatchSize::LargeInput,
        )
    });
    group.finish();
}

fn writers(c: &mut Criterion) {
    let pupils = pupils();
    let mut group = c.benchmark_group("write");
    group.sample_size(10).throughput(Throughput::Elements(PUPILS));
    group.bench_function("jsonl", |b| {
        b.iter(|| written(&pupils, &mut JsonlWriter::new(std::io::sink(), "-")))
    });
    group.bench_function("xml", |b| {
        b.iter(|| written(&pupils, &mut XmlWriter::new(std::io::sink(), "-").expect("xml")))
    });
    // The same pupils in the released form a value-changing policy hands the writers: the
    // events of the typed walk replayed, which should cost about what walking the pupil does.
    let released: Vec<_> = pupils.iter().map(|p| ReleasedPupil::of(p).expect("released")).collect();
    group.bench_function("xml_released", |b| {
        b.iter(|| {
            let mut writer = XmlWriter::new(std::io::sink(), "-").expect("xml");
            for pupil in &released {
                writer.write(Outgoing::Released(pupil)).expect("write");
            }
            writer.finish().expect("finish");
        })
    });
    group.bench_function("jsonl_released", |b| {
        b.iter(|| {
            let mut writer = JsonlWriter::new(std::io::sink(), "-");
            for pupil in &released {
                writer.write(Outgoing::Released(pupil)).expect("write");
            }
            writer.finish().expect("finish");
        })
    });
    group.bench_function("csv", |b| {
        b.iter_batched(
            || tempfile::tempdir().expect("tmp"),
            |dir| {
                written(
                    &pupils,
                    &mut CsvWriter::create(dir.path(), CsvWriteOptions::default()).expect("csv"),
                )
            },
            BatchSize::PerIteration,
        )
    });
    group.finish();
}

/// The policy stage alone: pupils to their released form under the research policy (keyed
/// pseudonyms, date shifts, masks, prefixes) and under the statistics preset's pass 1 (drops,
/// quasi-identifier ladder inputs recorded).
fn policy(c: &mut Criterion) {
    let pupils = pupils();
    let today = chrono::NaiveDate::from_ymd_opt(2026, 9, 1).expect("date");
    let research = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/policies/research.toml"
    ))
    .expect("research policy");
    let research = Policy::from_toml(&research, "research.toml", today).expect("policy");
    let statistics = Policy::load("statistics", today).expect("preset");
    let key = Key::from_bytes([7; 32]);
    let mut group = c.benchmark_group("policy");
    group.sample_size(10).throughput(Throughput::Elements(PUPILS));
    let transfer = Policy::load("transfer", today).expect("preset");
    group.bench_function("transfer-unchanged", |b| {
        b.iter(|| {
            for p in &pupils {
                black_box(transfer.release_unchanged(p).expect("release"));
            }
        })
    });
    for (name, policy) in [
        ("transfer-copy", &transfer),
        ("pseudonymise", &research),
        ("statistics-pass-1", &statistics),
    ] {
        let secrets = Secrets { key: Some(&key), tokens: None };
        group.bench_function(name, |b| {
            b.iter(|| {
                for p in &pupils {
                    black_box(policy.release(p, secrets).expect("release"));
                }
            })
        });
    }
    group.finish();
}

fn generate(c: &mut Criterion) {
    let generator = Generator::new(GeneratorConfig::default());
    let mut group = c.benchmark_group("generate");
    group.sample_size(10).throughput(Throughput::Elements(PUPILS));
    group.bench_function("typical", |b| {
        b.iter(|| generator.iter(0..PUPILS).for_each(|p| drop(black_box(p))))
    });
    group.finish();
}

criterion_group!(benches, readers, validate, policy, writers, generate);
criterion_main!(benches);
