//! The subject-access report as a person sees it: rendered by a real browser (headless
//! Chromium), its visible text read back from the printed PDF (pdftotext), and a phone-sized
//! screenshot kept as a test artifact under `target/test-artifacts/`.
//!
//! Tests here skip (printing "skipped: chromium not installed") where Chromium or pdftotext is
//! missing, unless `TECZKA_REQUIRE_CHROMIUM=1` (`.ci/run` sets it and installs Debian's
//! `chromium` and `poppler-utils`).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use teczka::model::{Address, Grade, GradeKind, Guardian, HealthNote, Pupil, Remark, Sex};
use teczka::policy::subject::{Disclosure, Role, Searched, Subject, ThirdParty, Withheld};
use teczka::report::sar::{index_html, Controller, Lang, Package, Request};

/// What the browser showed.
pub struct Rendered {
    /// The page's text as printed (so with the print stylesheet), whitespace runs collapsed to
    /// one space, so phrases can be searched for whatever the line breaks.
    pub visible_text: String,
    /// The phone-sized (412×915) screenshot, kept under `target/test-artifacts/`.
    pub screenshot: PathBuf,
}

/// Render `html_path` in headless Chromium: print it to PDF and read the text back, and take a
/// phone-sized screenshot saved as `target/test-artifacts/<artifact>.png` (the page itself is
/// kept beside it as `<artifact>.html`, so a reviewer can open what was tested).
///
/// `None` when Chromium or pdftotext is not installed (the caller prints that it skipped),
/// unless `TECZKA_REQUIRE_CHROMIUM=1`, where that is a failure.
pub fn render(html_path: &Path, artifact: &str) -> Option<Rendered> {
    let chromium = find_chromium()?;
    if !runs("pdftotext", &["-v"]) {
        return missing("pdftotext (poppler-utils)");
    }
    let work = tempfile::tempdir().expect("temp dir");
    let url = format!("file://{}", html_path.canonicalize().expect("html path").display());

    let pdf = work.path().join("page.pdf");
    let mut print = browser(&chromium, work.path(), "print");
    print.arg("--no-pdf-header-footer").arg(format!("--print-to-pdf={}", pdf.display())).arg(&url);
    run_with_timeout(print, "chromium --print-to-pdf");
    assert!(pdf.is_file(), "chromium wrote no PDF for {url}");

    let text = Command::new("pdftotext")
        .args(["-enc", "UTF-8"])
        .arg(&pdf)
        .arg("-")
        .output()
        .expect("run pdftotext");
    assert!(text.status.success(), "pdftotext failed: {}", String::from_utf8_lossy(&text.stderr));
    let visible_text = String::from_utf8(text.stdout)
        .expect("pdftotext writes UTF-8")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");

    let artifacts = artifacts_dir();
    std::fs::copy(html_path, artifacts.join(format!("{artifact}.html"))).expect("keep the page");
    let screenshot = artifacts.join(format!("{artifact}.png"));
    let mut shot = browser(&chromium, work.path(), "screenshot");
    shot.args(["--hide-scrollbars", "--window-size=412,915", "--force-device-scale-factor=1"])
        .arg(format!("--screenshot={}", screenshot.display()))
        .arg(&url);
    run_with_timeout(shot, "chromium --screenshot");
    assert!(screenshot.is_file(), "chromium wrote no screenshot to {}", screenshot.display());

    Some(Rendered { visible_text, screenshot })
}

/// `target/test-artifacts/` (under `CARGO_TARGET_DIR` when it is set), created.
fn artifacts_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"));
    let dir = target.join("test-artifacts");
    std::fs::create_dir_all(&dir).expect("create target/test-artifacts");
    dir
}

/// A headless Chromium that touches nothing outside its fresh profile: no network of its own
/// (updates, sync, QUIC), no first-run dialogs, no GPU.
fn browser(chromium: &str, work: &Path, profile: &str) -> Command {
    let mut cmd = Command::new(chromium);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
    ])
    .arg(format!("--user-data-dir={}", work.join(profile).display()))
    .stdin(Stdio::null())
    .stdout(Stdio::null())
    .stderr(Stdio::null());
    cmd
}

/// Run a browser command, killing it if it hangs (a stuck browser must fail the test, not the
/// CI run's time budget).
fn run_with_timeout(mut cmd: Command, what: &str) {
    let mut child = cmd.spawn().unwrap_or_else(|e| panic!("{what}: cannot start: {e}"));
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        match child.try_wait().expect("wait for chromium") {
            Some(status) => {
                assert!(status.success(), "{what} failed: {status}");
                return;
            }
            None if Instant::now() > deadline => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("{what} did not finish within 120 s");
            }
            None => std::thread::sleep(Duration::from_millis(100)),
        }
    }
}

fn find_chromium() -> Option<String> {
    let found = ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|name| runs(name, &["--version"]));
    match found {
        Some(name) => Some(name.to_string()),
        None => missing("chromium"),
    }
}

fn runs(program: &str, args: &[&str]) -> bool {
    Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn missing<T>(tool: &str) -> Option<T> {
    if std::env::var("TECZKA_REQUIRE_CHROMIUM").as_deref() == Ok("1") {
        panic!("`{tool}` is required (TECZKA_REQUIRE_CHROMIUM=1) but does not run");
    }
    eprintln!("skipped: chromium not installed ({tool} missing)");
    None
}

// ---------------------------------------------------------------------------------------------

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("date")
}

/// Identifiers of people who are not the subject: they were redacted upstream and must not
/// reach the page.
const OTHER_GUARDIAN_PHONE: &str = "+48 601 999 888";
const OTHER_PUPIL_PESEL: &str = "44051401359";

/// A pupil with Polish diacritics whose record had the other parent's phone and a teacher's
/// name redacted.
fn pupil_disclosure() -> Disclosure {
    let pupil = Pupil {
        id: "P-0001".into(),
        pesel: Some("02211307589".into()),
        surname: Some("Wójcik-Żółkiewska".into()),
        first_name: Some("Zażółć gęślą jaźń".into()),
        sex: Some(Sex::Female),
        birth_date: Some(date(2012, 1, 13)),
        addresses: vec![Address {
            town: Some("Łódź".into()),
            street: Some("Źródłowa".into()),
            postcode: Some("90-001".into()),
            ..Address::default()
        }],
        guardians: vec![
            Guardian {
                relation: Some("matka".into()),
                surname: Some("Wójcik".into()),
                first_name: Some("Jadwiga".into()),
                ..Guardian::default()
            },
            // The father: another guardian, his phone withheld (see the log below).
            Guardian { relation: Some("ojciec".into()), ..Guardian::default() },
        ],
        grades: vec![Grade {
            school_year: Some("2025/2026".into()),
            subject: Some("matematyka".into()),
            grade: Some("5".into()),
            kind: Some(GradeKind::Final),
            ..Grade::default()
        }],
        remarks: vec![Remark {
            date: Some(date(2025, 10, 3)),
            category: Some("pochwała".into()),
            text: Some("<script>alert('x')</script> Příliš žluťoučký kůň".into()),
            ..Remark::default()
        }],
        health: vec![HealthNote {
            category: Some("alergia".into()),
            note: Some("orzechy laskowe".into()),
            ..HealthNote::default()
        }],
        ..Pupil::default()
    };
    Disclosure {
        subject: Subject::Pesel("02211307589".into()),
        role: Some(Role::Pupil),
        on_behalf_of_children: false,
        pupils: vec![pupil],
        guardian: Vec::new(),
        linked: Vec::new(),
        withheld: vec![
            Withheld {
                record: "P-0001".into(),
                field: "guardians[].phone".into(),
                party: ThirdParty::OtherGuardian,
                count: 1,
            },
            Withheld {
                record: "P-0001".into(),
                field: "remarks[].author".into(),
                party: ThirdParty::Staff,
                count: 1,
            },
        ],
        searched: Searched { files: 3, records: 412, unreadable: 0 },
    }
}

fn write_report(disclosure: &Disclosure, controller: &str, lang: Lang, dir: &Path) -> PathBuf {
    let controller = Controller::load(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/sar").join(controller),
    )
    .expect("fixture controller");
    let request = Request {
        reference: "SAR/2026/017".into(),
        received: date(2026, 1, 31),
        extension: None,
        lang,
        answered: date(2026, 2, 10),
    };
    let html = index_html(&Package { controller: &controller, request: &request, disclosure });
    for planted in [OTHER_GUARDIAN_PHONE, OTHER_PUPIL_PESEL] {
        assert!(!html.contains(planted), "another person's identifier `{planted}` is in the HTML");
    }
    let path = dir.join(format!("index-{lang}.html"));
    std::fs::write(&path, html).expect("write index.html");
    path
}

fn assert_visible(text: &str, needles: &[&str]) {
    for needle in needles {
        assert!(text.contains(needle), "not visible in the rendered page: `{needle}`\n{text}");
    }
}

#[test]
fn sar_report_shows_the_subject_the_art15_sections_and_the_due_date_in_a_browser() {
    let dir = tempfile::tempdir().expect("temp dir");
    let html = write_report(&pupil_disclosure(), "controller-pl.toml", Lang::Pl, dir.path());
    let Some(page) = render(&html, "sar-pupil-pl") else { return };
    assert_visible(
        &page.visible_text,
        &[
            "Zażółć gęślą jaźń Wójcik-Żółkiewska",
            "02211307589",
            "Łódź",
            "Příliš žluťoučký kůň",
            "<script>alert('x')</script>",
            // Received 31.01.2026: one month ends on Saturday 28.02, so Monday 02.03.2026.
            "Termin odpowiedzi 02.03.2026",
            "Art. 15 ust. 1 lit. a RODO — Cele przetwarzania i podstawy prawne",
            "Art. 15 ust. 1 lit. b RODO — Kategorie danych osobowych",
            "Art. 15 ust. 1 lit. c RODO — Odbiorcy danych",
            "Art. 15 ust. 1 lit. d RODO — Okres przechowywania danych",
            "Art. 15 ust. 1 lit. e RODO",
            "Art. 15 ust. 1 lit. f RODO — Prawo wniesienia skargi do organu nadzorczego",
            "Art. 15 ust. 1 lit. g RODO — Źródło danych",
            "Art. 15 ust. 1 lit. h RODO",
            "Art. 15 ust. 2 RODO",
            "ul. Stawki 2, 00-193 Warszawa",
            "Co pominęliśmy i dlaczego",
            "Rodzice i opiekunowie prawni: Telefon",
        ],
    );
    for planted in [OTHER_GUARDIAN_PHONE, OTHER_PUPIL_PESEL] {
        assert!(!page.visible_text.contains(planted), "`{planted}` is visible");
    }
    assert!(std::fs::metadata(&page.screenshot).expect("screenshot").len() > 1000);
}

#[test]
fn sar_negative_answer_in_english_is_a_full_answer_in_a_browser() {
    let disclosure = Disclosure {
        subject: Subject::Email("nikt@example.pl".into()),
        role: None,
        on_behalf_of_children: false,
        pupils: Vec::new(),
        guardian: Vec::new(),
        linked: Vec::new(),
        withheld: Vec::new(),
        searched: Searched { files: 3, records: 412, unreadable: 0 },
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let html = write_report(&disclosure, "controller-cz.toml", Lang::En, dir.path());
    let Some(page) = render(&html, "sar-negative-en") else { return };
    assert_visible(
        &page.visible_text,
        &[
            "We hold no personal data about the person identified as e-mail nikt@example.pl",
            "This is a full answer under Art. 15 GDPR",
            "We searched 412 records in 3 files.",
            "Answer due by 2 March 2026",
            "Your rights and how to complain",
            "Pplk. Sochora 27, 170 00 Praha 7",
        ],
    );
}
