//! `teczka verify` on archives that are internally inconsistent although every checksum a
//! rewriter can recompute agrees (issue 11, item 12): each case starts from a sound export,
//! changes one thing, re-hashes the bag as a forger would, and must be named as a problem.

use crate::util::{fixture, Dir, Run};
use sha2::{Digest, Sha256, Sha512};
use std::io::{Cursor, Read, Write};

const EPOCH: &str = "1767225600"; // 2026-01-01

/// The entries of a zip, in order: (name, content).
type Entries = Vec<(String, Vec<u8>)>;

/// A sound unencrypted export of the multi-file fixture, signed when `sign`.
fn sound_archive(dir: &Dir, sign: bool) -> Entries {
    sound_archive_of(dir, "multi-file", sign)
}

/// A sound unencrypted export of `fixtures/<input>`, signed when `sign`.
fn sound_archive_of(dir: &Dir, input: &str, sign: bool) -> Entries {
    let mut args = vec!["export", "SRC", "--policy", "sar", "--unencrypted", "-o", "base.zip"];
    let source = fixture(input);
    args[1] = &source;
    if sign {
        dir.run(&["keygen", "--minisign", "-o", "school.key"]).expect_code(0);
        args.extend(["--sign", "school.key"]);
    }
    let mut cmd = dir.command(&args);
    cmd.env("SOURCE_DATE_EPOCH", EPOCH);
    let run = Run(cmd.output().expect("run teczka"));
    assert!(run.code() <= 1, "{}", run.stderr());
    let bytes = std::fs::read(dir.join("base.zip")).unwrap();
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    (0..zip.len())
        .map(|i| {
            let mut file = zip.by_index(i).unwrap();
            let mut content = Vec::new();
            file.read_to_end(&mut content).unwrap();
            (file.name().unwrap().to_string(), content)
        })
        .collect()
}

/// Write `entries` as a zip named `name` in `dir` (folders as entries ending in `/`).
fn write_zip(dir: &Dir, name: &str, entries: &Entries) -> String {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (entry, content) in entries {
        if entry.ends_with('/') {
            zip.add_directory(entry.as_str(), options).unwrap();
        } else {
            zip.start_file(entry.as_str(), options).unwrap();
            zip.write_all(content).unwrap();
        }
    }
    std::fs::write(dir.join(name), zip.finish().unwrap().into_inner()).unwrap();
    name.to_string()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Recompute the payload manifests, Payload-Oxum and the tag manifests, as anyone rewriting an
/// unsigned bag can: what is left to find is what checksums cannot show.
fn rehash(entries: &mut Entries) {
    let root = entries[0].0.split('/').next().unwrap().to_string();
    let data = format!("{root}/data/");
    let payload: Vec<(String, Vec<u8>)> = entries
        .iter()
        .filter(|(n, _)| n.starts_with(&data) && !n.ends_with('/'))
        .map(|(n, c)| (n[root.len() + 1..].to_string(), c.clone()))
        .collect();
    let manifest = |digest: fn(&[u8]) -> String, files: &[(String, Vec<u8>)]| -> Vec<u8> {
        files.iter().map(|(n, c)| format!("{}  {n}\n", digest(c))).collect::<String>().into()
    };
    let sha256 = |c: &[u8]| hex(&Sha256::digest(c));
    let sha512 = |c: &[u8]| hex(&Sha512::digest(c));
    let bytes: usize = payload.iter().map(|(_, c)| c.len()).sum();
    let set = |entries: &mut Entries, name: &str, content: Vec<u8>| {
        let full = format!("{root}/{name}");
        match entries.iter_mut().find(|(n, _)| *n == full) {
            Some(entry) => entry.1 = content,
            None => entries.push((full, content)),
        }
    };
    set(entries, "manifest-sha256.txt", manifest(sha256, &payload));
    set(entries, "manifest-sha512.txt", manifest(sha512, &payload));
    let info = entries.iter().find(|(n, _)| n.ends_with("/bag-info.txt")).unwrap().1.clone();
    let info: String = String::from_utf8(info)
        .unwrap()
        .lines()
        .map(|l| {
            if l.starts_with("Payload-Oxum:") {
                format!("Payload-Oxum: {bytes}.{}\n", payload.len())
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    set(entries, "bag-info.txt", info.into_bytes());
    let tags: Vec<(String, Vec<u8>)> = ["bagit.txt", "bag-info.txt", "manifest-sha256.txt"]
        .iter()
        .chain(&["manifest-sha512.txt"])
        .map(|t| {
            let full = format!("{root}/{t}");
            (t.to_string(), entries.iter().find(|(n, _)| *n == full).unwrap().1.clone())
        })
        .collect();
    set(entries, "tagmanifest-sha256.txt", manifest(sha256, &tags));
    set(entries, "tagmanifest-sha512.txt", manifest(sha512, &tags));
}

/// The content of the entry ending in `suffix`.
fn entry<'a>(entries: &'a mut Entries, suffix: &str) -> &'a mut Vec<u8> {
    &mut entries.iter_mut().find(|(n, _)| n.ends_with(suffix)).expect(suffix).1
}

/// Add a payload file `data/<path>` holding `content`.
fn add(entries: &mut Entries, path: &str, content: &[u8]) {
    let root = entries[0].0.split('/').next().unwrap().to_string();
    entries.push((format!("{root}/data/{path}"), content.to_vec()));
}

/// `teczka verify` of `archive` in `dir`: exit code, output.
fn verify(dir: &Dir, archive: &str, extra: &[&str]) -> (i32, String) {
    let run = dir.run(&[&["verify", archive][..], extra].concat());
    (run.code(), format!("{}{}", run.stdout(), run.stderr()))
}

#[test]
fn a_sound_archive_rewritten_verifies_so_the_cases_below_fail_for_their_change_alone() {
    let dir = Dir::new();
    let mut entries = sound_archive(&dir, false);
    rehash(&mut entries);
    let name = write_zip(&dir, "repacked.zip", &entries);
    let (code, out) = verify(&dir, &name, &[]);
    assert_eq!(code, 0, "{out}");
}

#[test]
fn a_local_header_naming_another_file_is_refused() {
    let dir = Dir::new();
    sound_archive(&dir, false);
    let mut bytes = std::fs::read(dir.join("base.zip")).unwrap();
    let name = b"base/data/README.txt";
    let at = bytes.windows(name.len()).position(|w| w == name).expect("local header");
    bytes[at..at + name.len()].copy_from_slice(b"base/../../READ.txtx");
    std::fs::write(dir.join("local.zip"), bytes).unwrap();
    let (code, out) = verify(&dir, "local.zip", &[]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("its local header holds the name `base/../../READ.txtx`"), "{out}");
}

#[test]
fn names_that_collide_by_folder_case_or_unicode_normalisation_are_refused() {
    let dir = Dir::new();
    let sound = sound_archive(&dir, false);
    let mut folders = sound.clone();
    add(&mut folders, "RECORDS/notes.txt", b"x");
    rehash(&mut folders);
    let (code, out) = verify(&dir, &write_zip(&dir, "case.zip", &folders), &[]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("collides with `base/data/records` when case is ignored"), "{out}");

    let mut accents = sound;
    add(&mut accents, "records/z\u{f3}\u{142}w.txt", b"composed");
    add(&mut accents, "records/zo\u{301}\u{142}w.txt", b"decomposed");
    rehash(&mut accents);
    let (code, out) = verify(&dir, &write_zip(&dir, "nfc.zip", &accents), &[]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("in another Unicode normalisation"), "{out}");
}

#[test]
fn a_zip_renamed_to_dat_is_found_by_its_content() {
    let dir = Dir::new();
    let mut entries = sound_archive(&dir, false);
    let mut inner = zip::ZipWriter::new(Cursor::new(Vec::new()));
    inner.start_file("a.txt", zip::write::SimpleFileOptions::default()).unwrap();
    inner.write_all(b"x").unwrap();
    add(&mut entries, "records/inner.dat", &inner.finish().unwrap().into_inner());
    rehash(&mut entries);
    let (code, out) = verify(&dir, &write_zip(&dir, "nested.zip", &entries), &[]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("data/records/inner.dat: cannot be read"), "{out}");
    assert!(out.contains("holds a zip archive or compressed file, whatever its name"), "{out}");
}

#[test]
fn counts_that_do_not_add_up_or_miss_their_rejects_are_found() {
    let dir = Dir::new();
    let sound = sound_archive_of(&dir, "broken/orphans", false);
    let metadata: serde_json::Value =
        serde_json::from_slice(&sound.iter().find(|(n, _)| n.ends_with("archive.json")).unwrap().1)
            .unwrap();
    let rejected = metadata["counts"]["rejected"].as_u64().unwrap();
    assert!(rejected > 0, "the fixture has rejects");

    // Rejects emptied and counts rewritten to look whole: in = out + rejected still holds.
    let mut emptied = sound.clone();
    *entry(&mut emptied, "reports/rejects.jsonl") = Vec::new();
    rehash(&mut emptied);
    let (code, out) = verify(&dir, &write_zip(&dir, "emptied.zip", &emptied), &[]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(&format!(
            "data/reports/rejects.jsonl: 0 rejected records, but data/metadata/archive.json \
             counts rejected={rejected}"
        )),
        "{out}"
    );

    let mut unbalanced = sound;
    let mut changed = metadata.clone();
    changed["counts"]["in"] = (metadata["counts"]["in"].as_u64().unwrap() + 10).into();
    *entry(&mut unbalanced, "metadata/archive.json") = changed.to_string().into_bytes();
    rehash(&mut unbalanced);
    let (code, out) = verify(&dir, &write_zip(&dir, "unbalanced.zip", &unbalanced), &[]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("records are unaccounted for"), "{out}");
}

#[test]
fn xml_and_json_lines_copies_that_disagree_are_found() {
    let dir = Dir::new();
    let mut entries = sound_archive(&dir, false);
    let jsonl = entry(&mut entries, "records/pupils.jsonl");
    let text = String::from_utf8(jsonl.clone()).unwrap();
    let first: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    let surname = first["surname"].as_str().unwrap();
    *jsonl = text
        .replacen(&format!("\"surname\":\"{surname}\""), "\"surname\":\"Podmieniony\"", 1)
        .into_bytes();
    rehash(&mut entries);
    let (code, out) = verify(&dir, &write_zip(&dir, "disagree.zip", &entries), &[]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("data/records/pupils.xml: pupil 1 (line 3) differs from pupil 1"),
        "{out}"
    );
}

#[test]
fn many_entries_compressed_past_the_ratio_together_are_refused_unread() {
    let dir = Dir::new();
    let mut entries = sound_archive(&dir, false);
    // 1 MiB each: at the per-entry floor, so only their sum shows the bomb.
    let zeros = vec![0u8; 1 << 20];
    for i in 0..64 {
        add(&mut entries, &format!("padding/{i}.bin"), &zeros);
    }
    rehash(&mut entries);
    let (code, out) = verify(&dir, &write_zip(&dir, "bomb.zip", &entries), &[]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("a zip bomb of many entries"), "{out}");
}

#[test]
fn a_signature_with_trailing_text_is_not_good() {
    let dir = Dir::new();
    let mut entries = sound_archive(&dir, true);
    let (code, out) =
        verify(&dir, &write_zip(&dir, "signed.zip", &entries), &["--trusted-key", "school.pub"]);
    assert_eq!(code, 0, "{out}");
    entry(&mut entries, ".minisig").extend_from_slice(b"untrusted comment: more\nAAAA\n");
    let (code, out) =
        verify(&dir, &write_zip(&dir, "garbage.zip", &entries), &["--trusted-key", "school.pub"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("is not exactly a minisign signature"), "{out}");
}

/// Write `entries` under `dir/<name>/` as `unzip ARCHIVE.zip -d <name>` would: the bag folder
/// is the one entry of `<name>`.
fn write_folder(dir: &Dir, name: &str, entries: &Entries) -> String {
    for (entry, content) in entries {
        let path = dir.join(name).join(entry);
        if entry.ends_with('/') {
            std::fs::create_dir_all(&path).unwrap();
        } else {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, content).unwrap();
        }
    }
    name.to_string()
}

/// `teczka verify` of `entries` zipped and, as if unzipped, as a folder (issue 14): the same
/// exit code and the same findings in the same order, the first line naming what was given.
/// The zip's result.
fn verify_zip_and_folder(
    dir: &Dir,
    name: &str,
    entries: &Entries,
    extra: &[&str],
) -> (i32, String) {
    let zip = write_zip(dir, &format!("{name}.zip"), entries);
    let folder = write_folder(dir, name, entries);
    let (zip_code, zip_out) = verify(dir, &zip, extra);
    let (folder_code, folder_out) = verify(dir, &folder, extra);
    assert_eq!(zip_code, folder_code, "zip:\n{zip_out}\nfolder:\n{folder_out}");
    let said = |out: &str, given: &str| {
        assert!(out.starts_with(&format!("{given}: ")), "{out}");
        out[given.len()..].to_string()
    };
    assert_eq!(said(&zip_out, &zip), said(&folder_out, &folder));
    (zip_code, zip_out)
}

#[test]
fn an_unzipped_archive_fails_each_check_as_its_zip_does() {
    let dir = Dir::new();
    let sound = sound_archive_of(&dir, "broken/orphans", false);
    let mut rehashed = sound.clone();
    rehash(&mut rehashed);
    let (code, out) = verify_zip_and_folder(&dir, "sound", &rehashed, &[]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("record counts and schemas agree"), "{out}");

    // Counts reconciliation in data/metadata/archive.json, checksums recomputed.
    let mut unbalanced = sound.clone();
    let archive_json = entry(&mut unbalanced, "metadata/archive.json");
    let mut metadata: serde_json::Value = serde_json::from_slice(archive_json).unwrap();
    metadata["counts"]["in"] = (metadata["counts"]["in"].as_u64().unwrap() + 10).into();
    *archive_json = metadata.to_string().into_bytes();
    rehash(&mut unbalanced);
    let (code, out) = verify_zip_and_folder(&dir, "unbalanced", &unbalanced, &[]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("records are unaccounted for"), "{out}");

    // One payload byte changed.
    let mut changed = sound.clone();
    let records = entry(&mut changed, "records/pupils.jsonl");
    let at = records.iter().position(u8::is_ascii_digit).expect("a digit in the records");
    records[at] = if records[at] == b'9' { b'8' } else { records[at] + 1 };
    let (code, out) = verify_zip_and_folder(&dir, "changed", &changed, &[]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("data/records/pupils.jsonl: sha512 checksum does not match"), "{out}");

    // A file no manifest lists, in the payload and beside it.
    let mut added = sound.clone();
    add(&mut added, "records/notatki.txt", b"dopisane");
    let root = added[0].0.split('/').next().unwrap().to_string();
    added.push((format!("{root}/uwagi.txt"), b"dopisane".to_vec()));
    let (code, out) = verify_zip_and_folder(&dir, "added", &added, &[]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("data/records/notatki.txt: is not listed in manifest-sha512.txt"),
        "{out}"
    );
    assert!(out.contains("uwagi.txt: lies outside `data/`"), "{out}");

    // A manifest line pointing out of the bag is named; the file it names is never read.
    std::fs::write(dir.join("secret.txt"), "outside the bag").unwrap();
    let mut escaping = sound;
    entry(&mut escaping, "/manifest-sha512.txt")
        .extend_from_slice(format!("{}  data/../../secret.txt\n", "0".repeat(128)).as_bytes());
    let (code, out) = verify_zip_and_folder(&dir, "escaping", &escaping, &[]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(
            "data/../../secret.txt: is listed in manifest-sha512.txt but points outside the bag"
        ),
        "{out}"
    );
}

#[test]
fn an_unzipped_signed_archive_is_held_to_its_signature_as_its_zip_is() {
    let dir = Dir::new();
    let signed = sound_archive(&dir, true);
    let trusted = ["--trusted-key", "school.pub"];
    let (code, out) = verify_zip_and_folder(&dir, "signed", &signed, &trusted);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("signature good"), "{out}");
    let (code, out) = verify_zip_and_folder(&dir, "unchecked", &signed, &[]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("signer NOT verified"), "{out}");

    // Re-hashed after a change, as a forger would: only the signature can tell.
    let mut forged = signed;
    *entry(&mut forged, "data/README.txt") = b"podmienione".to_vec();
    rehash(&mut forged);
    let (code, out) = verify_zip_and_folder(&dir, "forged", &forged, &trusted);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains(".minisig"), "{out}");
}

/// A link in an unzipped bag stops the check before anything is read (exit 2, as a zip holding
/// a link does), naming the link; what it points at, inside the bag or out, is never followed.
#[cfg(unix)]
#[test]
fn an_unzipped_bag_holding_a_link_is_refused_and_the_link_named() {
    let dir = Dir::new();
    let entries = sound_archive(&dir, false);
    write_folder(&dir, "out", &entries);
    std::fs::write(dir.join("secret.txt"), "outside the bag").unwrap();
    let records = dir.join("out/base/data/records");
    std::os::unix::fs::symlink(dir.join("secret.txt"), records.join("extra.jsonl")).unwrap();
    let (code, out) = verify(&dir, "out", &[]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("data/records/extra.jsonl: is a symbolic link"), "{out}");

    std::fs::remove_file(records.join("extra.jsonl")).unwrap();
    std::os::unix::fs::symlink(dir.path(), records.join("up")).unwrap();
    let (code, out) = verify(&dir, "out/base", &[]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("data/records/up: is a symbolic link"), "{out}");

    std::fs::remove_file(records.join("up")).unwrap();
    let (code, out) = verify(&dir, "out", &[]);
    assert_eq!(code, 0, "{out}");
}
