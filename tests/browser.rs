//! A page as a person sees it: rendered by a real browser (headless Chromium), its visible text
//! read back from the printed PDF (pdftotext), and a phone-sized screenshot kept as a test
//! artifact under `target/test-artifacts/`. Used by the subject-access tests (`tests/sar.rs`).
//!
//! Tests using it skip (printing "skipped: chromium not installed") where Chromium or pdftotext is
//! missing, unless `TECZKA_REQUIRE_CHROMIUM=1` (`.ci/run` sets it and installs Debian's
//! `chromium` and `poppler-utils`).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

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
