//! Keys and tokens on the command line: `keygen` never shows a secret, `detokenise` restores
//! what the library tokenised and refuses the wrong identity or passphrase.

use crate::util::Dir;
use teczka::{TokenRecipient, Tokeniser};

/// The mode bits of a file, for the 0600 checks.
#[cfg(unix)]
fn mode(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn keygen_writes_a_private_key_prints_only_its_id_and_never_overwrites() {
    let dir = Dir::new();
    let run = dir.run(&["keygen", "-o", "school.key"]).expect_code(0);
    let text = dir.read("school.key");
    let secret = text.lines().last().unwrap().strip_prefix("teczka-key-1:").unwrap();
    assert_eq!(secret.len(), 64);
    let id = text.lines().next().unwrap().split(' ').nth(3).unwrap().trim_end_matches(':');
    assert!(id.starts_with("k1-"), "{text}");
    assert_eq!(run.stdout(), "");
    assert!(run.stderr().starts_with(&format!("key id: {id}\n")), "{}", run.stderr());
    for output in [run.stdout(), run.stderr()] {
        assert!(!output.contains(secret) && !output.contains(&secret[..16]), "secret leaked");
    }
    #[cfg(unix)]
    assert_eq!(mode(&dir.join("school.key")), 0o600);

    let again = dir.run(&["keygen", "-o", "school.key"]).expect_code(2);
    assert!(again.stderr().contains("school.key: exists: a secret file is never overwritten"));
    assert_eq!(dir.read("school.key"), text);
    dir.run(&["keygen"]).expect_code(2);
}

#[test]
fn keygen_age_prints_the_recipient_and_keeps_the_identity_private() {
    let dir = Dir::new();
    let run = dir.run(&["keygen", "--age", "-o", "id.txt"]).expect_code(0);
    let recipient = run.stdout();
    let recipient = recipient.trim_end();
    assert!(recipient.starts_with("age1") && recipient.len() == 62, "{recipient}");
    let text = dir.read("id.txt");
    assert!(text.contains(&format!("# public key: {recipient}\n")));
    let secret = text.lines().find(|l| l.starts_with("AGE-SECRET-KEY-1")).unwrap();
    assert!(!run.stdout().contains(secret) && !run.stderr().contains(secret));
    #[cfg(unix)]
    assert_eq!(mode(&dir.join("id.txt")), 0o600);
    dir.run(&["keygen", "--age", "-o", "id.txt"]).expect_code(2);
}

#[test]
fn keygen_passphrase_prints_a_strong_passphrase() {
    let dir = Dir::new();
    let run = dir.run(&["keygen", "--passphrase"]).expect_code(0);
    let passphrase = run.stdout();
    teczka::check_passphrase(passphrase.trim_end()).unwrap();
    assert_ne!(dir.run(&["keygen", "--passphrase"]).stdout(), passphrase);
    dir.run(&["keygen", "--passphrase", "-o", "x"]).expect_code(2);
}

/// A tokenised JSON Lines file and its mapping, encrypted to `to`.
fn tokenised(dir: &Dir, to: &TokenRecipient) -> String {
    let tokeniser = Tokeniser::new();
    let pesel = tokeniser.token("pupil.pesel", "05210112345");
    let surname = tokeniser.token("pupil.surname", "Nowak \"Ala\"");
    let again = tokeniser.token("pupil.pesel", "05210112345");
    let text = format!(
        "{{\"id\":\"P1\",\"pesel\":\"{pesel}\",\"surname\":\"{surname}\"}}\n\
         {{\"id\":\"P2\",\"pesel\":\"{again}\"}}\n"
    );
    dir.create("export.jsonl", &text);
    let mut file = std::fs::File::create(dir.join("export.tokens.age")).unwrap();
    tokeniser.write_mapping(&mut file, to).unwrap();
    text
}

const RESTORED: &str =
    "{\"id\":\"P1\",\"pesel\":\"05210112345\",\"surname\":\"Nowak \\\"Ala\\\"\"}\n\
                        {\"id\":\"P2\",\"pesel\":\"05210112345\"}\n";

#[test]
fn detokenise_restores_values_with_the_identity_and_refuses_another() {
    let dir = Dir::new();
    let run = dir.run(&["keygen", "--age", "-o", "id.txt"]).expect_code(0);
    let recipient = run.stdout().trim_end().to_string();
    let text = tokenised(&dir, &TokenRecipient::Public(recipient));
    assert!(!text.contains("05210112345"));

    let args = ["detokenise", "export.jsonl", "--mapping", "export.tokens.age"];
    let run = dir.run(&[&args[..], &["--identity", "id.txt", "-o", "restored.jsonl"]].concat());
    let run = run.expect_code(0);
    assert_eq!(run.summary(), "tokens: replaced=3 unknown=0");
    assert_eq!(dir.read("restored.jsonl"), RESTORED);

    dir.run(&["keygen", "--age", "-o", "other.txt"]).expect_code(0);
    let run = dir.run(&[&args[..], &["--identity", "other.txt", "-o", "wrong.jsonl"]].concat());
    let run = run.expect_code(2);
    assert_eq!(
        run.stderr(),
        "teczka: export.tokens.age: token mapping: wrong identity: the mapping was not \
         encrypted to the identity in other.txt\n"
    );
    assert!(!dir.join("wrong.jsonl").exists(), "no output on failure");

    let run = dir.run(&[&args[..], &["--identity", "id.txt", "-o", "export.jsonl"]].concat());
    let run = run.expect_code(2);
    assert!(run.stderr().contains("would replace or write into the input"), "{}", run.stderr());
    assert_eq!(dir.read("export.jsonl"), text);
}

#[test]
fn detokenise_with_a_passphrase_from_the_environment() {
    let dir = Dir::new();
    let passphrase = "Correct-Horse-9-Battery";
    tokenised(&dir, &TokenRecipient::Passphrase(passphrase.into()));
    let args = [
        "detokenise",
        "export.jsonl",
        "--mapping",
        "export.tokens.age",
        "--passphrase-env",
        "MAPPING_PASSPHRASE",
        "-o",
        "restored.jsonl",
    ];
    let run = dir.command(&args).env("MAPPING_PASSPHRASE", passphrase).output().unwrap();
    let run = crate::util::Run(run).expect_code(0);
    assert_eq!(run.summary(), "tokens: replaced=3 unknown=0");
    assert_eq!(dir.read("restored.jsonl"), RESTORED);

    let run = dir.command(&args).env("MAPPING_PASSPHRASE", "Wrong-Horse-9-Battery").output();
    let run = crate::util::Run(run.unwrap()).expect_code(2);
    assert_eq!(
        run.stderr(),
        "teczka: export.tokens.age: token mapping: wrong passphrase: the mapping does not open \
         with it\n"
    );
    assert!(!run.stderr().contains("Wrong-Horse"));

    let run = dir.command(&args).env_remove("MAPPING_PASSPHRASE").output();
    let run = crate::util::Run(run.unwrap()).expect_code(2);
    assert!(run.stderr().contains("environment variable `MAPPING_PASSPHRASE` is not set"));
}

#[test]
fn detokenise_csv_and_xml_by_extension_and_counts_unknown_tokens() {
    let dir = Dir::new();
    let run = dir.run(&["keygen", "--age", "-o", "id.txt"]).expect_code(0);
    let tokeniser = Tokeniser::new();
    let town = tokeniser.token("pupil.address.town", "Bielsko-Biała; Kamienica");
    let mut file = std::fs::File::create(dir.join("m.age")).unwrap();
    tokeniser
        .write_mapping(&mut file, &TokenRecipient::Public(run.stdout().trim_end().into()))
        .unwrap();
    dir.create("pupils.csv", format!("id;town\nP1;{town}\n"));
    dir.create("pupils.xml", format!("<pupil town=\"{town}\"><town>{town}</town></pupil>\n"));
    let unknown = "tok_aaaaaaaaaaaaaaaaaaaaaaaaaa";
    dir.create("other.jsonl", format!("{{\"town\":\"{unknown}\"}}\n"));
    let base = ["detokenise", "--mapping", "m.age", "--identity", "id.txt"];

    let run = dir.run(&[&base[..], &["pupils.csv", "-o", "out.csv"]].concat()).expect_code(0);
    assert_eq!(run.summary(), "tokens: replaced=1 unknown=0");
    assert_eq!(dir.read("out.csv"), "id;town\nP1;\"Bielsko-Biała; Kamienica\"\n");

    dir.run(&[&base[..], &["pupils.xml", "-o", "out.xml"]].concat()).expect_code(0);
    let xml =
        "<pupil town=\"Bielsko-Biała; Kamienica\"><town>Bielsko-Biała; Kamienica</town></pupil>\n";
    assert_eq!(dir.read("out.xml"), xml);

    let run = dir.run(&[&base[..], &["other.jsonl", "-o", "out.jsonl"]].concat()).expect_code(1);
    assert_eq!(run.summary(), "tokens: replaced=0 unknown=1");
    assert_eq!(dir.read("out.jsonl"), format!("{{\"town\":\"{unknown}\"}}\n"));

    dir.create("pupils.dat", "x");
    let run = dir.run(&[&base[..], &["pupils.dat", "-o", "out.dat"]].concat()).expect_code(2);
    assert!(run.stderr().contains("give --format jsonl, xml or csv"), "{}", run.stderr());
}
