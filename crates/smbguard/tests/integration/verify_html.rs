//! The HTML report of `smbguard verify` renders in a real browser: headless
//! Chromium takes a screenshot, which must be a real page (right size, many
//! colours), not a blank or error page.
//!
//! Without Chromium the test prints `SKIPPED: chromium not installed` and
//! passes, unless `SMBGUARD_REQUIRE_TOOLS=1`, where it fails.
// Integration tests: helpers outside #[test] fns unwrap and print too (clippy.toml covers only the fns).
#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::print_stderr)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

pub(crate) fn chromium() -> Option<PathBuf> {
    ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find_map(smbguard_testkit::tools::find_tool)
}

fn scratch() -> PathBuf {
    smbguard_testkit::scratch_dir("verify-html")
}

/// Screenshots `page` at 1400×1000 into `png`, killing Chromium after 120 s.
fn screenshot(chromium: &Path, page: &Path, png: &Path, profile: &Path) {
    screenshot_sized(chromium, page, png, profile, (1400, 1000));
}

/// Screenshots `page` at `size` into `png`, killing Chromium after 120 s.
pub(crate) fn screenshot_sized(
    chromium: &Path,
    page: &Path,
    png: &Path,
    profile: &Path,
    size: (u32, u32),
) {
    let shot = format!("--screenshot={}", png.display());
    run_chromium(chromium, &[&shot], page, profile, size, Stdio::null());
}

/// The DOM of `page` after its load event, laid out at `size`.
pub(crate) fn dump_dom(chromium: &Path, page: &Path, profile: &Path, size: (u32, u32)) -> String {
    let dom = profile.with_extension("dom.html");
    let file = std::fs::File::create(&dom).unwrap();
    run_chromium(chromium, &["--dump-dom"], page, profile, size, file.into());
    std::fs::read_to_string(&dom).unwrap()
}

/// Runs headless Chromium on `page` with `args`, killing it after 120 s.
fn run_chromium(
    chromium: &Path,
    args: &[&str],
    page: &Path,
    profile: &Path,
    size: (u32, u32),
    stdout: Stdio,
) {
    let mut child = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
        ])
        .arg(format!("--window-size={},{}", size.0, size.1))
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(format!("file://{}", page.display()))
        .stdout(stdout)
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromium");
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "chromium failed: {status}");
            return;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium did not finish within 120 s");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Width and height from the PNG IHDR chunk.
pub(crate) fn png_size(bytes: &[u8]) -> (u32, u32) {
    assert!(
        bytes.len() > 24 && &bytes[..8] == b"\x89PNG\r\n\x1a\n",
        "not a PNG"
    );
    assert_eq!(&bytes[12..16], b"IHDR");
    let w = u32::from_be_bytes(bytes[16..20].try_into().unwrap());
    let h = u32::from_be_bytes(bytes[20..24].try_into().unwrap());
    (w, h)
}

pub(crate) fn distinct_bytes(bytes: &[u8]) -> usize {
    let mut seen = [false; 256];
    for &b in bytes {
        seen[usize::from(b)] = true;
    }
    seen.iter().filter(|&&s| s).count()
}

#[test]
fn the_verify_report_renders_in_chromium() {
    let Some(chromium) = chromium() else {
        smbguard_testkit::tools::missing(
            "chromium not installed (the HTML report was not rendered)",
        );
        return;
    };
    let dir = scratch();
    // A failing estate (an invariant of the user's the plan breaks: the
    // kiosks are isolated), so the page shows failures and traces as well
    // as the matrix.
    let estate = dir.join("estate.toml");
    std::fs::write(
        &estate,
        format!(
            "{}\n[[invariants]]\nname = \"kiosks reach the file server\"\nfrom = [\"kiosks\"]\nto = [\"file-server\"]\ntransport = \"tcp/445\"\nexpect = \"allow\"\n",
            smbguard_model::EXAMPLE_ESTATE
        ),
    )
    .unwrap();
    let report = dir.join("report.html");
    let out = smbguard_testkit::smbguard!().output(&[
        "verify",
        estate.to_str().unwrap(),
        "--format",
        "html",
        "--out",
        report.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1), "the estate fails U1");
    assert_renders_as_a_page(&chromium, &report, &dir);
}

/// Screenshots `page` and a blank page at 1400×1000 (files in `dir`): the
/// report must be a real page, right size, far richer than the blank one,
/// many colours; not a blank or error page.
pub(crate) fn assert_renders_as_a_page(chromium: &Path, page: &Path, dir: &Path) {
    let blank = dir.join("blank.html");
    std::fs::write(&blank, "<!DOCTYPE html><html><body></body></html>").unwrap();
    let png = dir.join("report.png");
    let blank_png = dir.join("blank.png");
    screenshot(chromium, page, &png, &dir.join("profile-report"));
    screenshot(chromium, &blank, &blank_png, &dir.join("profile-blank"));
    let bytes = std::fs::read(&png).expect("screenshot written");
    let blank_bytes = std::fs::read(&blank_png).expect("blank screenshot written");
    assert_eq!(png_size(&bytes), (1400, 1000));
    assert!(
        bytes.len() > 20_000,
        "screenshot too small: {} bytes",
        bytes.len()
    );
    assert!(
        bytes.len() > 10 * blank_bytes.len(),
        "the report renders like a blank page: {} vs {} bytes",
        bytes.len(),
        blank_bytes.len()
    );
    assert!(distinct_bytes(&bytes) > 200, "too uniform to be a page");
    eprintln!("screenshot: {} ({} bytes)", png.display(), bytes.len());
}
