//! Signed archives end to end: `keygen --minisign`, `export --sign`, `verify --trusted-key`,
//! and the real `minisign` and `bagit.py` on the unzipped bag.
//!
//! The outside-tool test skips (with a note) when `minisign`, `unzip` or `bagit.py` is missing
//! and fails instead under `TECZKA_REQUIRE_ARCHIVE_TOOLS=1`; install them with
//! `apt-get install minisign unzip` and `pip install bagit`.

use crate::archive_write::{have, run, text};
use crate::util::{fixture, Dir, Run};
use sha2::{Digest, Sha256, Sha512};
use std::fs;
use std::io::{Read, Write};

const EPOCH: &str = "1767225600"; // 2026-01-01
const SIGNATURE: &str = "tagmanifest-sha512.txt.minisig";

fn export(dir: &Dir, args: &[&str]) -> Run {
    let mut cmd = dir.command(&[&["export", &fixture("multi-file")][..], args].concat());
    cmd.env("SOURCE_DATE_EPOCH", EPOCH);
    Run(cmd.output().expect("run teczka"))
}

/// A minisign key pair `NAME.key` / `NAME.pub` in `dir`, unencrypted; its public key.
fn keygen(dir: &Dir, name: &str) -> String {
    let run = dir.run(&["keygen", "--minisign", "-o", &format!("{name}.key")]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    run.stdout().trim().to_string()
}

fn signed_export(dir: &Dir, out: &str) {
    let run = export(
        dir,
        &["--policy", "statistics", "--unencrypted", "--sign", "school.key", "-o", out],
    );
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert!(run.stderr().contains("signed with minisign key"), "{}", run.stderr());
}

/// Every entry of a zip: (name, bytes; `None` for a folder).
fn read_zip(path: &std::path::Path) -> Vec<(String, Option<Vec<u8>>)> {
    let mut zip = zip::ZipArchive::new(fs::File::open(path).unwrap()).unwrap();
    (0..zip.len())
        .map(|i| {
            let mut entry = zip.by_index(i).unwrap();
            let name = entry.name().unwrap().into_owned();
            if entry.is_dir() {
                return (name, None);
            }
            let mut data = Vec::new();
            entry.read_to_end(&mut data).unwrap();
            (name, Some(data))
        })
        .collect()
}

fn write_zip(path: &std::path::Path, entries: &[(String, Option<Vec<u8>>)]) {
    let mut zip = zip::ZipWriter::new(fs::File::create(path).unwrap());
    let options = zip::write::SimpleFileOptions::default();
    for (name, data) in entries {
        match data {
            None => zip.add_directory(name.as_str(), options).unwrap(),
            Some(data) => {
                zip.start_file(name.as_str(), options).unwrap();
                zip.write_all(data).unwrap();
            }
        }
    }
    zip.finish().unwrap();
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Rebuild `manifest`'s lines (`<digest>  <path>`) over the entries as they are now.
fn rehash(entries: &mut [(String, Option<Vec<u8>>)], bag: &str, manifest: &str, sha512: bool) {
    let digest = |data: &[u8]| {
        if sha512 {
            hex(&Sha512::digest(data))
        } else {
            hex(&Sha256::digest(data))
        }
    };
    let manifest_name = format!("{bag}/{manifest}");
    let old = entries.iter().find(|(n, _)| *n == manifest_name).unwrap().1.clone().unwrap();
    let text: String = String::from_utf8(old)
        .unwrap()
        .lines()
        .map(|line| {
            let path = line.split_once("  ").unwrap().1;
            let data = entries
                .iter()
                .find(|(n, _)| *n == format!("{bag}/{path}"))
                .and_then(|(_, d)| d.clone())
                .unwrap();
            format!("{}  {path}\n", digest(&data))
        })
        .collect();
    entries.iter_mut().find(|(n, _)| *n == manifest_name).unwrap().1 = Some(text.into_bytes());
}

#[test]
fn a_signed_archive_is_reproducible_and_verifies_with_the_schools_public_key() {
    let dir = Dir::new();
    let public = keygen(&dir, "school");
    assert!(public.starts_with("RW") && public.len() == 56, "{public}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(dir.join("school.key")).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "the secret key is private");
    }
    assert!(dir.read("school.pub").ends_with(&format!("{public}\n")));
    signed_export(&dir, "a/stats.zip");
    signed_export(&dir, "b/stats.zip");
    assert_eq!(
        fs::read(dir.join("a/stats.zip")).unwrap(),
        fs::read(dir.join("b/stats.zip")).unwrap(),
        "same input and key, byte-identical signed archive"
    );
    let entries = read_zip(&dir.join("a/stats.zip"));
    let text_of = |name: &str| {
        String::from_utf8(entries.iter().find(|(n, _)| n == name).unwrap().1.clone().unwrap())
            .unwrap()
    };
    let signature = text_of(&format!("stats/{SIGNATURE}"));
    assert!(signature.contains("trusted comment: timestamp:1767225600\t"), "{signature}");
    assert!(text_of("stats/data/README.txt").contains("minisign -Vm tagmanifest-sha512.txt"));
    assert!(text_of("stats/data/metadata/archive.json").contains("\"minisign_key_id\""));

    // Without the school's key the signature proves nothing: it is not reported as a key's.
    let unchecked = dir.run(&["verify", "a/stats.zip"]);
    assert_eq!(unchecked.code(), 1, "{}", unchecked.stdout());
    assert!(
        unchecked.stdout().contains("signature present, signer NOT verified: pass --trusted-key"),
        "{}",
        unchecked.stdout()
    );
    let id = dir.read("school.pub").lines().next().unwrap().rsplit(' ').next().unwrap().to_owned();
    assert_eq!(id.len(), 16, "{id}");
    assert!(!unchecked.stdout().contains(&id), "{}", unchecked.stdout());
    let allowed = dir.run(&["verify", "a/stats.zip", "--allow-unverified-signer"]);
    assert_eq!(allowed.code(), 0, "{}", allowed.stdout());
    assert!(allowed.stdout().contains("signer NOT verified"), "{}", allowed.stdout());
    assert!(!allowed.stdout().contains(&id), "{}", allowed.stdout());
    for key in ["school.pub", public.as_str()] {
        let checked = dir.run(&["verify", "a/stats.zip", "--trusted-key", key]);
        assert_eq!(checked.code(), 0, "{}{}", checked.stdout(), checked.stderr());
        assert!(checked.stdout().contains("signature good"), "{}", checked.stdout());
    }
}

#[test]
fn another_key_an_unsigned_archive_or_a_rewritten_bag_fail_verification() {
    let dir = Dir::new();
    keygen(&dir, "school");
    keygen(&dir, "stranger");
    signed_export(&dir, "s.zip");

    let wrong = dir.run(&["verify", "s.zip", "--trusted-key", "stranger.pub"]);
    assert_eq!(wrong.code(), 1, "{}", wrong.stdout());
    assert!(wrong.stdout().contains("not with the trusted key"), "{}", wrong.stdout());

    let plain = export(&dir, &["--policy", "statistics", "--unencrypted", "-o", "plain.zip"]);
    assert_eq!(plain.code(), 0, "{}", plain.stderr());
    let unsigned = dir.run(&["verify", "plain.zip", "--trusted-key", "school.pub"]);
    assert_eq!(unsigned.code(), 1, "{}", unsigned.stdout());
    assert!(
        unsigned.stdout().contains(&format!("{SIGNATURE}: is missing")),
        "{}",
        unsigned.stdout()
    );

    // A forger changes a record and recomputes every manifest: the checksums all agree, only
    // the signature can tell.
    let mut entries = read_zip(&dir.join("s.zip"));
    let readme = entries.iter_mut().find(|(n, _)| n == "s/data/README.txt").unwrap();
    // Same length, so Payload-Oxum still agrees.
    readme.1.as_mut().unwrap()[..4].copy_from_slice(b"THIS");
    rehash(&mut entries, "s", "manifest-sha512.txt", true);
    rehash(&mut entries, "s", "manifest-sha256.txt", false);
    rehash(&mut entries, "s", "tagmanifest-sha512.txt", true);
    rehash(&mut entries, "s", "tagmanifest-sha256.txt", false);
    write_zip(&dir.join("forged.zip"), &entries);
    let unchecked = dir.run(&["verify", "forged.zip", "--allow-unverified-signer"]);
    assert_eq!(unchecked.code(), 0, "checksums agree: {}", unchecked.stdout());
    let forged = dir.run(&["verify", "forged.zip", "--trusted-key", "school.pub"]);
    assert_eq!(forged.code(), 1, "{}", forged.stdout());
    assert!(
        forged.stdout().contains(&format!("{SIGNATURE}: does not match tagmanifest-sha512.txt")),
        "{}",
        forged.stdout()
    );

    // The tag manifest alone changed: its own checksum and the signature both fail.
    let mut entries = read_zip(&dir.join("s.zip"));
    let manifest = entries.iter_mut().find(|(n, _)| n == "s/tagmanifest-sha512.txt").unwrap();
    manifest.1.as_mut().unwrap().extend_from_slice(b"\n");
    write_zip(&dir.join("tampered.zip"), &entries);
    let tampered = dir.run(&["verify", "tampered.zip", "--trusted-key", "school.pub"]);
    assert_eq!(tampered.code(), 1, "{}", tampered.stdout());
    assert!(tampered.stdout().contains(&format!("{SIGNATURE}: ")), "{}", tampered.stdout());
}

#[test]
fn an_encrypted_signing_key_needs_its_password_before_any_record_is_read() {
    let dir = Dir::new();
    let made = dir
        .command(&["keygen", "--minisign", "--password-env", "SIGN_PASS", "-o", "school.key"])
        .env("SIGN_PASS", "Correct-Horse-7battery")
        .output()
        .unwrap();
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    let refused = export(
        &dir,
        &["--policy", "statistics", "--unencrypted", "--sign", "school.key", "-o", "x.zip"],
    );
    assert_eq!(refused.code(), 2);
    assert!(refused.stderr().contains("--sign-password-env"), "{}", refused.stderr());
    // Stopped before reading: the summary line of the failed run counts nothing.
    assert_eq!(refused.summary(), "records: in=0 out=0 rejected=0", "{}", refused.stderr());
    let mut cmd = dir.command(&[
        "export",
        &fixture("multi-file"),
        "--policy",
        "statistics",
        "--unencrypted",
        "--sign",
        "school.key",
        "--sign-password-env",
        "SIGN_PASS",
        "-o",
        "x.zip",
    ]);
    cmd.env("SOURCE_DATE_EPOCH", EPOCH).env("SIGN_PASS", "Correct-Horse-7battery");
    let run = Run(cmd.output().unwrap());
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let verify = dir.run(&["verify", "x.zip", "--trusted-key", "school.pub"]);
    assert_eq!(verify.code(), 0, "{}", verify.stdout());
}

#[test]
fn minisign_and_bagit_python_check_the_unzipped_signed_bag() {
    if !have("minisign", &["-v"]) || !have("unzip", &["-v"]) || !have("bagit.py", &["--help"]) {
        return;
    }
    let dir = Dir::new();
    keygen(&dir, "school");
    signed_export(&dir, "s.zip");
    let out = run("unzip", &["-q", "s.zip", "-d", "unpacked"], dir.path());
    assert!(out.status.success(), "{}", text(&out));
    let bag = dir.join("unpacked/s");
    let public = dir.join("school.pub");
    let args = ["-Vm", "tagmanifest-sha512.txt", "-p", public.to_str().unwrap()];
    let out = run("minisign", &args, &bag);
    assert!(out.status.success(), "minisign refused the signature: {}", text(&out));
    assert!(text(&out).contains("Trusted comment: timestamp:1767225600"), "{}", text(&out));
    let out = run("bagit.py", &["--validate", bag.to_str().unwrap()], dir.path());
    assert!(out.status.success(), "bagit-python refused the signed bag: {}", text(&out));

    fs::write(bag.join("tagmanifest-sha512.txt"), "tampered\n").unwrap();
    let out = run("minisign", &args, &bag);
    assert!(!out.status.success(), "minisign missed a changed tag manifest: {}", text(&out));

    // And the other way round: a key made by minisign itself signs teczka's archives.
    let out = run("minisign", &["-G", "-W", "-p", "ms.pub", "-s", "ms.key"], dir.path());
    assert!(out.status.success(), "{}", text(&out));
    let run = export(
        &dir,
        &["--policy", "statistics", "--unencrypted", "--sign", "ms.key", "-o", "m.zip"],
    );
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let verify = dir.run(&["verify", "m.zip", "--trusted-key", "ms.pub"]);
    assert_eq!(verify.code(), 0, "{}{}", verify.stdout(), verify.stderr());
}

#[test]
fn import_takes_only_an_archive_signed_by_the_trusted_key() {
    let dir = Dir::new();
    keygen(&dir, "school");
    keygen(&dir, "stranger");
    let mut cmd = dir.command(&[
        "export",
        &fixture("multi-file"),
        "--policy",
        "transfer",
        "--passphrase-env",
        "P",
        "--sign",
        "school.key",
        "-o",
        "t.zip.age",
    ]);
    cmd.env("P", "Correct-Horse-42-Battery").env("SOURCE_DATE_EPOCH", EPOCH);
    assert_eq!(Run(cmd.output().unwrap()).code(), 0);
    let import = |key: &str, out: &str| {
        let mut cmd = dir.command(&[
            "import",
            "t.zip.age",
            "--passphrase-env",
            "P",
            "--trusted-key",
            key,
            "--to",
            "jsonl",
            "-o",
            out,
        ]);
        cmd.env("P", "Correct-Horse-42-Battery");
        Run(cmd.output().unwrap())
    };
    let unverified = |extra: &[&str], out: &str| {
        let args = [&["import", "t.zip.age", "--passphrase-env", "P"][..], extra]
            .concat()
            .into_iter()
            .chain(["--to", "jsonl", "-o", out])
            .collect::<Vec<_>>();
        Run(dir.command(&args).env("P", "Correct-Horse-42-Battery").output().unwrap())
    };
    let refused = unverified(&[], "unverified.jsonl");
    assert_eq!(refused.code(), 2, "{}", refused.stderr());
    assert!(refused.stderr().contains("signer NOT verified"), "{}", refused.stderr());
    assert!(refused.stderr().contains("nothing was imported"), "{}", refused.stderr());
    assert!(!dir.join("unverified.jsonl").exists());
    let allowed = unverified(&["--allow-unverified-signer"], "allowed.jsonl");
    assert_eq!(allowed.code(), 0, "{}", allowed.stderr());
    assert!(allowed.stderr().contains("signer NOT verified"), "{}", allowed.stderr());
    let good = import("school.pub", "good.jsonl");
    assert_eq!(good.code(), 0, "{}", good.stderr());
    assert!(good.stderr().contains("signature good"), "{}", good.stderr());
    let bad = import("stranger.pub", "bad.jsonl");
    assert_eq!(bad.code(), 2, "{}", bad.stderr());
    assert!(bad.stderr().contains("nothing was imported"), "{}", bad.stderr());
    assert!(!dir.join("bad.jsonl").exists());
}

#[test]
fn a_signed_archive_renamed_as_another_bag_is_refused() {
    let dir = Dir::new();
    keygen(&dir, "school");
    signed_export(&dir, "gmina-2025.zip");
    // The same bytes under another bag name: every checksum still holds, the signature too.
    let renamed: Vec<(String, Option<Vec<u8>>)> = read_zip(&dir.join("gmina-2025.zip"))
        .into_iter()
        .map(|(name, data)| (name.replacen("gmina-2025", "gmina-2026", 1), data))
        .collect();
    write_zip(&dir.join("gmina-2026.zip"), &renamed);
    let plain = dir.run(&["verify", "gmina-2026.zip", "--allow-unverified-signer"]);
    assert_eq!(plain.code(), 0, "unsigned checks pass: {}", plain.stdout());
    let verify = dir.run(&["verify", "gmina-2026.zip", "--trusted-key", "school.pub"]);
    assert_eq!(verify.code(), 1, "{}", verify.stdout());
    assert!(verify.stdout().contains("was made for another bag"), "{}", verify.stdout());
}

/// Issue 11 (5): an archive changed and re-signed with the forger's own key under the
/// school's key id was reported "signed (key …)" with exit 0, and imported. Without the
/// school's public key a signature now proves nothing and is said to; with it, the forgery
/// fails.
#[test]
fn a_forgery_signed_under_the_schools_key_id_is_not_trusted() {
    use base64::engine::general_purpose::STANDARD as BASE64;
    use base64::Engine;
    use ed25519_dalek::Signer;

    let dir = Dir::new();
    keygen(&dir, "school");
    signed_export(&dir, "s.zip");
    let mut entries = read_zip(&dir.join("s.zip"));
    let readme = entries.iter_mut().find(|(n, _)| n == "s/data/README.txt").unwrap();
    readme.1.as_mut().unwrap()[..4].copy_from_slice(b"THIS");
    for (manifest, sha512) in [
        ("manifest-sha512.txt", true),
        ("manifest-sha256.txt", false),
        ("tagmanifest-sha512.txt", true),
        ("tagmanifest-sha256.txt", false),
    ] {
        rehash(&mut entries, "s", manifest, sha512);
    }
    // The school's key id, copied from its public key; the forger's own Ed25519 key.
    let public = BASE64.decode(dir.read("school.pub").lines().nth(1).unwrap()).unwrap();
    let key_id = &public[2..10];
    let forger = ed25519_dalek::SigningKey::from_bytes(&[9u8; 32]);
    let manifest = entries.iter().find(|(n, _)| n == "s/tagmanifest-sha512.txt").unwrap();
    let digest = <blake2::Blake2b512 as blake2::Digest>::digest(manifest.1.as_ref().unwrap());
    let signature = forger.sign(&digest).to_bytes();
    let comment = format!("timestamp:{EPOCH}\tfile:s/tagmanifest-sha512.txt\thashed");
    let global = forger.sign(&[&signature[..], comment.as_bytes()].concat()).to_bytes();
    let forged = format!(
        "untrusted comment: signature from teczka\n{}\ntrusted comment: {comment}\n{}\n",
        BASE64.encode([&b"ED"[..], key_id, &signature].concat()),
        BASE64.encode(global)
    );
    let entry = entries.iter_mut().find(|(n, _)| *n == format!("s/{SIGNATURE}")).unwrap();
    entry.1 = Some(forged.into_bytes());
    write_zip(&dir.join("forged.zip"), &entries);

    let id = dir.read("school.pub").lines().next().unwrap().rsplit(' ').next().unwrap().to_owned();
    let verify = dir.run(&["verify", "forged.zip"]);
    assert_eq!(verify.code(), 1, "{}", verify.stdout());
    assert!(
        verify.stdout().contains("signature present, signer NOT verified"),
        "{}",
        verify.stdout()
    );
    assert!(!verify.stdout().contains(&id), "the claimed key id is not shown: {}", verify.stdout());
    assert!(!verify.stdout().contains("sound"), "{}", verify.stdout());

    let checked = dir.run(&["verify", "forged.zip", "--trusted-key", "school.pub"]);
    assert_eq!(checked.code(), 1, "{}", checked.stdout());
    assert!(
        checked.stdout().contains(&format!("{SIGNATURE}: does not match tagmanifest-sha512.txt")),
        "{}",
        checked.stdout()
    );

    let import = dir.run(&["import", "forged.zip", "--to", "jsonl", "-o", "forged.jsonl"]);
    assert_eq!(import.code(), 2, "{}", import.stderr());
    assert!(import.stderr().contains("signer NOT verified"), "{}", import.stderr());
    assert!(import.stderr().contains("nothing was imported"), "{}", import.stderr());
    assert!(!dir.join("forged.jsonl").exists());
}
