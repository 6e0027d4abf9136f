//! Reader limits against exhaustion (issue 11, item 8): a pupil too large to read is rejected
//! with `record-too-large`, quickly and in bounded memory, and the counts still add up.
//!
//! Each hostile run must stay under 256 MiB of peak resident memory (the kernel's high-water
//! mark, `VmHWM` of the running teczka), with two rayon threads so the bound does not depend on
//! the machine's core count, and under a time limit; the same inputs made the readers run for
//! minutes or abort near 2 GB. `ulimit -v` (1 GiB of address space) stays as a backstop that
//! stops a runaway early. Address space alone was the bound before, but it measures what the
//! allocator reserves rather than what the run uses: mimalloc's reservations left too little
//! for a thread's stack at some limits and not at others, so the same build passed or failed by
//! chance. (`wait4`'s `ru_maxrss` cannot stand in: it keeps the high-water mark of the forked
//! test harness from before the `exec`.)

use crate::util::Dir;
use std::io::Write;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// Peak resident memory allowed to one hostile run, in KiB.
const MEMORY_KIB: u64 = 256 * 1024;
/// Address space allowed before the kernel stops a runaway, in KiB.
const ADDRESS_SPACE_KIB: u64 = 1024 * 1024;
/// Time allowed to one hostile run (a debug build, on a busy CI machine; the attribute case
/// alone took over two minutes in a release build before the limit).
const TIME: Duration = Duration::from_secs(120);

/// Run `teczka` in `dir` under the memory and time limits.
fn run_limited(dir: &Dir, args: &[&str]) -> Output {
    // Into files, not pipes: nothing reads a pipe while the run goes on, and a full one would
    // stall it.
    let file = |name: &str| std::fs::File::create(dir.join(name)).expect("create");
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(format!("ulimit -v {ADDRESS_SPACE_KIB} && exec \"$0\" \"$@\""))
        .arg(env!("CARGO_BIN_EXE_teczka"))
        .args(args)
        .current_dir(dir.path())
        .env("RAYON_NUM_THREADS", "2")
        .stdout(file("run.stdout"))
        .stderr(file("run.stderr"))
        .spawn()
        .expect("run teczka");
    let started = Instant::now();
    let mut peak_kib = 0;
    let status = loop {
        peak_kib = peak_kib.max(high_water_kib(&child).unwrap_or(0));
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if started.elapsed() > TIME {
            let _ = child.kill();
            let _ = child.wait();
            panic!("teczka {args:?} ran longer than {TIME:?}; stderr: {}", dir.read("run.stderr"));
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let read = |name: &str| std::fs::read(dir.join(name)).expect("read");
    let output = Output { status, stdout: read("run.stdout"), stderr: read("run.stderr") };
    assert!(
        peak_kib <= MEMORY_KIB,
        "teczka {args:?} peaked at {peak_kib} KiB resident, over {MEMORY_KIB} KiB; stderr: {}",
        stderr(&output)
    );
    output
}

/// The running teczka's resident high-water mark in KiB (`VmHWM`, which only grows), read
/// once the shell has become teczka: before the `exec` it would be the shell's, or the forked
/// test harness's.
fn high_water_kib(child: &std::process::Child) -> Option<u64> {
    let proc = format!("/proc/{}", child.id());
    let exe = std::fs::read_link(format!("{proc}/exe")).ok()?;
    if exe != std::path::Path::new(env!("CARGO_BIN_EXE_teczka")) {
        return None;
    }
    let status = std::fs::read_to_string(format!("{proc}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// The report (standard output) followed by the messages and the counts (standard error).
fn stderr(output: &Output) -> String {
    let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&output.stderr));
    text
}

/// Write a large file without holding it in memory twice.
fn create_with(dir: &Dir, name: &str, write: impl FnOnce(&mut dyn Write)) {
    let file = std::fs::File::create(dir.join(name)).expect("create");
    let mut out = std::io::BufWriter::new(file);
    write(&mut out);
    out.flush().expect("flush");
}

fn rejects(dir: &Dir, name: &str) -> Vec<serde_json::Value> {
    dir.read(name).lines().map(|l| serde_json::from_str(l).expect("a JSON line")).collect()
}

#[test]
fn a_million_attributes_on_one_xml_element_reject_the_pupil_quickly() {
    let dir = Dir::new();
    create_with(&dir, "attrs.xml", |out| {
        out.write_all(
            b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
              <pupils xmlns=\"https://teczka.example/ns/sou/1\" version=\"1\">\n<pupil",
        )
        .unwrap();
        for i in 0..1_000_000 {
            write!(out, " a{i}=\"x\"").unwrap();
        }
        out.write_all(
            b"><id>P-1</id><surname>N</surname><first_name>J</first_name></pupil>\n\
              <pupil><id>P-2</id><surname>N</surname><first_name>J</first_name></pupil>\n\
              </pupils>\n",
        )
        .unwrap();
    });
    let output = run_limited(&dir, &["convert", "attrs.xml", "--to", "jsonl", "-o", "out.jsonl"]);
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{err}");
    assert!(err.contains("attrs.xml: record 1 (line 3"), "{err}");
    assert!(err.contains("record-too-large"), "{err}");
    assert!(err.contains("more than 32 attributes"), "{err}");
    assert!(err.contains("--max-attributes"), "{err}");
    assert!(err.ends_with("records: in=2 out=1 rejected=1\n"), "{err}");
    let rejected = rejects(&dir, "out.jsonl.rejects.jsonl");
    assert_eq!(rejected.len(), 1);
    assert_eq!(rejected[0]["reasons"][0]["rule"], "record-too-large");
    assert!(rejected[0]["original"].as_str().unwrap().len() > 8_000_000);
    assert!(dir.read("out.jsonl").contains("\"P-2\""));
}

#[test]
fn a_million_guardians_on_json_lines_reject_each_pupil_in_bounded_memory() {
    let dir = Dir::new();
    create_with(&dir, "g.jsonl", |out| {
        for k in 0..2 {
            write!(
                out,
                "{{\"id\":\"P-{k}\",\"surname\":\"N\",\"first_name\":\"J\",\"guardians\":["
            )
            .unwrap();
            for i in 0..1_000_000 {
                let comma = if i == 0 { "" } else { "," };
                write!(out, "{comma}{{\"surname\":\"a\"}}").unwrap();
            }
            out.write_all(b"]}\n").unwrap();
        }
        out.write_all(b"{\"id\":\"P-9\",\"surname\":\"N\",\"first_name\":\"J\"}\n").unwrap();
    });
    let output = run_limited(&dir, &["convert", "g.jsonl", "--to", "jsonl", "-o", "out.jsonl"]);
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{err}");
    assert!(
        err.contains(
            "g.jsonl: record 1 (line 1, byte 0): pupil `P-0`: field `guardians`: record-too-large"
        ),
        "{err}"
    );
    assert!(err.contains("more than 100000 entries"), "{err}");
    assert!(err.contains("--max-list-items"), "{err}");
    assert!(err.ends_with("records: in=3 out=1 rejected=2\n"), "{err}");
    let rejected = rejects(&dir, "out.jsonl.rejects.jsonl");
    assert_eq!(rejected.len(), 2);
    assert_eq!(rejected[1]["pupil_id"], "P-1");
    assert!(rejected[1]["original"].as_str().unwrap().ends_with("}]}"));
    // Raised, the limit lets the same pupils be read (they are valid).
    let dir2 = Dir::new();
    dir2.create(
        "few.jsonl",
        "{\"id\":\"P-1\",\"surname\":\"N\",\"first_name\":\"J\",\"guardians\":[{},{},{}]}\n",
    );
    let output = run_limited(&dir2, &["validate", "few.jsonl", "--max-list-items", "2"]);
    assert!(stderr(&output).contains("record-too-large"), "{}", stderr(&output));
    // The pupil object has four members, its list three entries.
    let output = run_limited(&dir2, &["validate", "few.jsonl", "--max-list-items", "4"]);
    assert!(!stderr(&output).contains("record-too-large"), "{}", stderr(&output));
}

#[test]
fn a_pupil_with_700_000_grade_rows_is_rejected_with_every_row_in_bounded_memory() {
    let dir = Dir::new();
    dir.create("mf/pupils.csv", "id,surname,first_name\r\nP-1,Nowak,Jan\r\nP-2,Kot,Ewa\r\n");
    create_with(&dir, "mf/grades.csv", |out| {
        out.write_all(b"pupil_id,school_year,term,subject,grade,kind,behaviour\r\n").unwrap();
        out.write_all(b"P-2,,,m,5,,\r\n").unwrap();
        // Enough to take 300 MB before the limit (the join is also tested through buckets
        // in `read::join`); a debug build reads it in seconds.
        for _ in 0..700_000 {
            out.write_all(b"P-1,,,m,5,,\r\n").unwrap();
        }
    });
    let output = run_limited(&dir, &["validate", "mf"]);
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{err}");
    assert!(err.contains("pupils.csv: record 1 (line 2, byte"), "{err}");
    assert!(err.contains("pupil `P-1`: record-too-large"), "{err}");
    assert!(err.contains("--max-record-bytes"), "{err}");
    assert!(err.ends_with("records: in=700003 out=2 rejected=700001\n"), "{err}");
}
