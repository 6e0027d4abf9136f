use super::verify::Verified;
use super::*;
use crate::archive::sign::generate_key_pair;
use tempfile::TempDir;

struct Fixture {
    dir: TempDir,
    key: SigningKey,
    public: TrustedKey,
    log: Log,
}

fn keys(dir: &Path, name: &str) -> (SigningKey, TrustedKey) {
    let secret = dir.join(name);
    let (public, _) = generate_key_pair(&secret, None).unwrap();
    (SigningKey::read(&secret, None).unwrap(), public)
}

/// A log of `n` entries, the i-th writing a file whose content is `out-i`.
fn log_of(n: u64) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let (key, public) = keys(dir.path(), "school.key");
    let log = Log::new(dir.path().join("teczka.log"));
    for i in 1..=n {
        log.append(entry(dir.path(), i), &key).unwrap();
    }
    Fixture { dir, key, public, log }
}

fn entry(dir: &Path, i: u64) -> Entry {
    let out = dir.join(format!("out-{i}"));
    std::fs::write(&out, format!("out-{i}")).unwrap();
    let mut counts = std::collections::BTreeMap::new();
    counts.insert("in".to_string(), i);
    Entry {
        time: "2026-12-05T20:00:00Z".into(),
        command: "export".into(),
        operator: "sekretariat".into(),
        outcome: "ok".into(),
        outputs: vec![FileRef::of(&out).unwrap()],
        counts,
        ..Entry::default()
    }
}

fn lines(f: &Fixture) -> Vec<String> {
    std::fs::read_to_string(f.log.path()).unwrap().lines().map(str::to_string).collect()
}

fn rewrite(f: &Fixture, lines: &[String]) {
    std::fs::write(f.log.path(), lines.iter().map(|l| format!("{l}\n")).collect::<String>())
        .unwrap();
}

fn first_broken(f: &Fixture, kept: Option<&str>) -> Option<u64> {
    verify(f.log.path(), &f.public, kept).unwrap().unwrap_err().entry
}

#[test]
fn an_untouched_log_verifies_with_a_checkpoint_after_every_entry() {
    let f = log_of(5);
    let verified = verify(f.log.path(), &f.public, None).unwrap().unwrap();
    assert_eq!(verified, Verified { entries: 5, checkpoints: 5, kept: None });
    assert_eq!(lines(&f).len(), 10);
}

#[test]
fn editing_an_entry_names_it() {
    for target in 1..=5 {
        let f = log_of(5);
        let mut text = lines(&f);
        text[2 * (target - 1)] = text[2 * (target - 1)].replace("\"in\":", "\"in\":1");
        rewrite(&f, &text);
        assert_eq!(first_broken(&f, None), Some(target as u64), "entry {target}");
    }
}

#[test]
fn deleting_an_entry_with_or_without_its_checkpoint_names_it() {
    for with_checkpoint in [false, true] {
        let f = log_of(5);
        let mut text = lines(&f);
        text.remove(4);
        if with_checkpoint {
            text.remove(4);
        }
        rewrite(&f, &text);
        assert_eq!(first_broken(&f, None), Some(3), "checkpoint removed too: {with_checkpoint}");
    }
}

#[test]
fn renumbering_after_a_deletion_is_still_caught() {
    let f = log_of(5);
    let mut text = lines(&f);
    text.drain(4..6);
    for (i, line) in text.iter_mut().enumerate().skip(4).step_by(2) {
        *line = line.replace(&format!("\"seq\":{}", i / 2 + 2), &format!("\"seq\":{}", i / 2 + 1));
    }
    rewrite(&f, &text);
    assert_eq!(first_broken(&f, None), Some(3));
}

#[test]
fn reordering_entries_names_the_first_moved() {
    let f = log_of(5);
    let mut text = lines(&f);
    text.swap(2, 4);
    rewrite(&f, &text);
    assert_eq!(first_broken(&f, None), Some(2));
}

#[test]
fn cutting_the_end_off_is_caught_against_a_kept_checkpoint() {
    let f = log_of(5);
    let kept = serde_json::from_str::<CheckpointLine>(&lines(&f)[9]).unwrap().checkpoint;
    let mut text = lines(&f);
    text.truncate(8);
    rewrite(&f, &text);
    // Alone, a shorter log is a log: that is why checkpoints are kept elsewhere.
    assert!(verify(f.log.path(), &f.public, None).unwrap().is_ok());
    assert_eq!(first_broken(&f, Some(&kept)), Some(5));
}

#[test]
fn a_log_rewritten_and_signed_again_fails_against_the_kept_checkpoint() {
    let f = log_of(3);
    let kept = serde_json::from_str::<CheckpointLine>(&lines(&f)[5]).unwrap().checkpoint;
    std::fs::remove_file(f.log.path()).unwrap();
    for i in [1, 7, 3] {
        f.log.append(entry(f.dir.path(), i), &f.key).unwrap();
    }
    let broken = verify(f.log.path(), &f.public, Some(&kept)).unwrap().unwrap_err();
    assert!(broken.why.contains("rewritten"), "{broken}");
}

#[test]
fn a_checkpoint_of_another_key_fails() {
    let f = log_of(2);
    let (other, other_public) = keys(f.dir.path(), "other.key");
    let broken = verify(f.log.path(), &other_public, None).unwrap().unwrap_err();
    assert_eq!(broken.entry, Some(1), "{broken}");
    assert!(broken.why.contains("another key"), "{broken}");
    // Nor does the log take an entry signed with another key.
    let refused = f.log.append(entry(f.dir.path(), 3), &other).unwrap_err();
    assert!(refused.to_string().contains("--log-key"), "{refused}");
}

#[test]
fn a_torn_tail_fails_verification_and_the_next_append_cuts_it() {
    let f = log_of(2);
    let mut bytes = std::fs::read(f.log.path()).unwrap();
    let whole = bytes.len();
    bytes.extend_from_slice(b"{\"seq\":3,\"time\":\"2026");
    std::fs::write(f.log.path(), &bytes).unwrap();
    assert_eq!(first_broken(&f, None), Some(3));
    let appended = f.log.append(entry(f.dir.path(), 3), &f.key).unwrap();
    assert_eq!((appended.seq, appended.cut_torn_bytes), (3, (bytes.len() - whole) as u64));
    assert_eq!(verify(f.log.path(), &f.public, None).unwrap().unwrap().entries, 3);
}

#[test]
fn an_entry_without_its_checkpoint_is_not_committed() {
    let f = log_of(2);
    let mut text = lines(&f);
    text.pop();
    rewrite(&f, &text);
    assert_eq!(first_broken(&f, None), Some(2));
    assert_eq!(f.log.append(entry(f.dir.path(), 2), &f.key).unwrap().seq, 2);
    assert!(verify(f.log.path(), &f.public, None).unwrap().is_ok());
}

#[test]
fn a_tampered_log_takes_no_new_entry() {
    let f = log_of(3);
    let mut text = lines(&f);
    text[2] = text[2].replace("sekretariat", "someone");
    rewrite(&f, &text);
    let refused = f.log.check_head(&f.key).unwrap_err().to_string();
    assert!(refused.contains("no longer matches its last checkpoint"), "{refused}");
}

#[test]
fn a_file_that_is_not_a_log_is_never_appended_to() {
    let f = log_of(0);
    std::fs::write(f.log.path(), "PESEL;Imię\n44051401458;Jan\n").unwrap();
    assert!(f.log.append(entry(f.dir.path(), 1), &f.key).is_err());
    assert_eq!(std::fs::read_to_string(f.log.path()).unwrap(), "PESEL;Imię\n44051401458;Jan\n");
}

#[test]
fn appends_from_many_threads_never_interleave() {
    let f = log_of(0);
    std::thread::scope(|scope| {
        for t in 0..4 {
            let (f, key) = (&f, &f.key);
            scope.spawn(move || {
                for i in 0..10 {
                    f.log.append(entry(f.dir.path(), t * 100 + i), key).unwrap();
                }
            });
        }
    });
    assert_eq!(verify(f.log.path(), &f.public, None).unwrap().unwrap().entries, 40);
}

#[test]
fn a_proof_shows_the_run_that_wrote_a_file_and_fails_for_another_file() {
    let f = log_of(6);
    let file = FileRef::of(&f.dir.path().join("out-4")).unwrap();
    let proof = Proof::of_output(f.log.path(), &file, &f.public).unwrap();
    assert_eq!((proof.entry, proof.tree_size), (4, 6));
    assert_eq!(proof.check(&file, &f.public).unwrap().seq, 4);
    let other = FileRef::of(&f.dir.path().join("out-5")).unwrap();
    assert!(proof.check(&other, &f.public).is_err());
    let mut forged = proof.clone();
    forged.entry_text = forged.entry_text.replace("sekretariat", "someone");
    assert!(forged.check(&file, &f.public).is_err());
    let (_, other_key) = keys(f.dir.path(), "other.key");
    assert!(proof.check(&file, &other_key).is_err());
}
