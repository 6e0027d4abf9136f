//! `anonymise` on a synthetic histogram of 1,000,000 records: six quasi-identifiers with 4–5
//! levels each (a 6,400-node lattice) and about 100,000 distinct combinations, k = 5 with 5%
//! suppression, with and without 2-diversity over one sensitive attribute. Building the
//! histogram (pass 1) is measured separately, per record. `ANONYMITY_ONCE=1` prints one timed
//! run of each with the solution and skips the criterion runs.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::hint::black_box;
use teczka::{anonymise, AnonymityLadder, AnonymitySettings, Histogram};

const RECORDS: u64 = 1_000_000;

/// SplitMix64: deterministic, so every run measures the same data.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// Skewed towards small values (the minimum of two draws).
    fn skewed(&mut self, n: u64) -> u64 {
        self.below(n).min(self.below(n))
    }
}

fn record(rng: &mut Rng) -> ([String; 6], [String; 1]) {
    let year = 2010 + rng.below(2);
    let day = rng.below(365);
    let birth = format!("{year}-{:02}-{:02}", day / 31 + 1, day % 31 + 1);
    let commune = rng.skewed(40);
    let postcode = format!("{:02}-{:03}", commune % 100, commune * 7 % 1000 + rng.below(2));
    let grade = (2024 - year - 7).to_string();
    let nationality = if rng.below(10) < 9 { 0 } else { 1 + rng.skewed(30) };
    let entry = (year + 7 + u64::from(rng.below(10) == 0)).to_string();
    let kind = if rng.below(10) < 8 {
        "none"
    } else {
        ["speech", "dyslexia", "adhd", "gifted"][rng.skewed(4) as usize]
    };
    (
        [birth, postcode, format!("{commune:04}"), grade, format!("{nationality:02}"), entry],
        [kind.to_string()],
    )
}

fn ladders() -> Vec<AnonymityLadder> {
    let star = || "*".to_string();
    vec![
        AnonymityLadder::new("birth_date", 5, move |v, level| match level {
            0 => v.to_string(),
            1 => v.get(..7).unwrap_or(v).to_string(),
            2 => v.get(..4).unwrap_or(v).to_string(),
            3 => {
                let y: u32 = v.get(..4).and_then(|y| y.parse().ok()).unwrap_or(0);
                format!("{}-{}", y - y % 5, y - y % 5 + 4)
            }
            _ => star(),
        }),
        AnonymityLadder::new("address.postcode", 5, move |v, level| match level {
            0 => v.to_string(),
            1..=3 => format!("{}{}", v.get(..6 - level).unwrap_or(v), "*".repeat(level)),
            _ => star(),
        }),
        AnonymityLadder::new("address.commune", 4, move |v, level| {
            let c: u32 = v.parse().unwrap_or(0);
            match level {
                0 => v.to_string(),
                1 => format!("county {}", c / 8),
                2 => format!("voivodeship {}", c / 40),
                _ => star(),
            }
        }),
        AnonymityLadder::new("grade", 4, move |v, level| {
            let g: u32 = v.parse().unwrap_or(0);
            match level {
                0 => v.to_string(),
                1 => format!("{}-{}", g - g % 2, g - g % 2 + 1),
                2 => format!("{}-{}", g - g % 4, g - g % 4 + 3),
                _ => star(),
            }
        }),
        AnonymityLadder::new("nationality", 4, move |v, level| {
            let n: u32 = v.parse().unwrap_or(0);
            match level {
                0 => v.to_string(),
                1 => format!("region {}", if n == 0 { 0 } else { 1 + (n - 1) / 4 }),
                2 => (if n == 0 { "domestic" } else { "foreign" }).to_string(),
                _ => star(),
            }
        }),
        AnonymityLadder::new("entry_year", 4, move |v, level| {
            let y: u32 = v.parse().unwrap_or(0);
            match level {
                0 => v.to_string(),
                1 => format!("{}-{}", y - y % 2, y - y % 2 + 1),
                2 => format!("{}-{}", y - y % 4, y - y % 4 + 3),
                _ => star(),
            }
        }),
    ]
}

fn histogram() -> Histogram {
    let mut rng = Rng(7);
    let mut h = Histogram::new(6, 1);
    for _ in 0..RECORDS {
        let (qi, sa) = record(&mut rng);
        let qi: Vec<&str> = qi.iter().map(String::as_str).collect();
        h.add(&qi, &[sa[0].as_str()]);
    }
    h
}

fn bench(c: &mut Criterion) {
    let h = histogram();
    let ladders = ladders();
    eprintln!("histogram: {} records, {} combinations", h.records(), h.combinations());
    let k5 = AnonymitySettings { k: 5, l: None, max_suppression: 0.05 };
    let k5l2 = AnonymitySettings { k: 5, l: Some(2), max_suppression: 0.05 };
    for (name, s) in [("k5", &k5), ("k5_l2", &k5l2)] {
        let started = std::time::Instant::now();
        let solution = anonymise(&h, &ladders, s).expect("anonymise");
        eprintln!("{name}: one run {:?}: {solution:?}", started.elapsed());
    }

    if std::env::var_os("ANONYMITY_ONCE").is_some() {
        return;
    }
    let mut group = c.benchmark_group("anonymise_1m");
    group.sample_size(10);
    group.bench_function("k5", |b| b.iter(|| black_box(anonymise(&h, &ladders, &k5))));
    group.bench_function("k5_l2", |b| b.iter(|| black_box(anonymise(&h, &ladders, &k5l2))));
    group.finish();

    let mut rng = Rng(7);
    let rows: Vec<_> = (0..100_000).map(|_| record(&mut rng)).collect();
    let mut group = c.benchmark_group("histogram");
    group.sample_size(10).throughput(Throughput::Elements(rows.len() as u64));
    group.bench_function("add", |b| {
        b.iter(|| {
            let mut h = Histogram::new(6, 1);
            for (qi, sa) in &rows {
                let qi: Vec<&str> = qi.iter().map(String::as_str).collect();
                h.add(&qi, &[sa[0].as_str()]);
            }
            black_box(h.combinations())
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
