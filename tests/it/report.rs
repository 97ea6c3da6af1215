//! `report` in a real browser: Debian's headless Chromium (installed by
//! `scripts/test`) renders each demo facility's report with no console
//! message (the page's Content-Security-Policy turns any attempt to load
//! something into one), the screenshot's first screen shows the verdict
//! banner and the timeline, and the PDF Chromium prints has the pages the
//! print stylesheet asks for. Poppler's `pdfinfo`/`pdftotext` read the PDF.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::{bin, s};

/// Runs headless Chromium with `args` on `page`; returns its console lines.
fn chromium(page: &Path, args: &[&str], profile: &Path) -> Vec<String> {
    let out = Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--no-first-run",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("chromium runs (scripts/test installs Debian's chromium)");
    assert!(
        out.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter(|l| l.contains(":CONSOLE"))
        .map(str::to_string)
        .collect()
}

struct Png {
    width: usize,
    height: usize,
    rgb: Vec<u8>,
}

fn read_png(path: &Path) -> Png {
    let decoder = png::Decoder::new(std::fs::File::open(path).unwrap());
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    let channels = info.color_type.samples();
    let mut rgb = Vec::with_capacity(info.width as usize * info.height as usize * 3);
    for px in buf[..info.buffer_size()].chunks(channels) {
        rgb.extend_from_slice(&px[..3]);
    }
    Png {
        width: info.width as usize,
        height: info.height as usize,
        rgb,
    }
}

impl Png {
    /// Pixels of exactly this colour in rows `top..bottom`.
    fn count(&self, colour: [u8; 3], top: usize, bottom: usize) -> usize {
        let bottom = bottom.min(self.height);
        (top..bottom)
            .flat_map(|y| (0..self.width).map(move |x| (y * self.width + x) * 3))
            .filter(|&i| self.rgb[i..i + 3] == colour)
            .count()
    }

    /// The rows where this colour covers at least `min` pixels.
    fn rows_with(&self, colour: [u8; 3], min: usize) -> Vec<usize> {
        (0..self.height)
            .filter(|&y| self.count(colour, y, y + 1) >= min)
            .collect()
    }
}

const VERIFIED_GREEN: [u8; 3] = [0x1e, 0x6b, 0x34];
const FAILED_RED: [u8; 3] = [0xa4, 0x16, 0x1a];
const TIMELINE_BG: [u8; 3] = [0xf3, 0xf6, 0xfb];
const OPERATOR_BLUE: [u8; 3] = [0x25, 0x63, 0xa8];

fn pdf_pages(pdf: &Path) -> Vec<String> {
    let info = Command::new("pdfinfo")
        .arg(pdf)
        .output()
        .expect("pdfinfo runs (poppler-utils)");
    let text = String::from_utf8_lossy(&info.stdout);
    let n: usize = text
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .expect("pdfinfo names the page count")
        .trim()
        .parse()
        .unwrap();
    (1..=n)
        .map(|p| {
            let out = Command::new("pdftotext")
                .args(["-f", &p.to_string(), "-l", &p.to_string(), "-layout"])
                .arg(pdf)
                .arg("-")
                .output()
                .unwrap();
            String::from_utf8_lossy(&out.stdout).into_owned()
        })
        .collect()
}

fn first_line(page: &str) -> &str {
    page.lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("")
}

fn demo(dir: &Path) -> PathBuf {
    let d = dir.join("demo");
    let out = bin().args(["demo", s(&d)]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("reports/TF-0001.html (VERIFIED"),
        "{stdout}"
    );
    d
}

#[test]
fn each_demo_report_renders_in_chromium_with_its_verdict_and_timeline_and_prints() {
    let tmp = tempfile::tempdir().unwrap();
    let d = demo(tmp.path());
    for (facility, events) in [("TF-0001", 20), ("TF-0002", 6)] {
        let page = d.join("reports").join(format!("{facility}.html"));
        let html = std::fs::read_to_string(&page).unwrap();
        assert_eq!(
            html.matches("<circle ").count(),
            events,
            "{facility}: one marker per statement"
        );

        // The first screen: no console message, the verdict, the timeline.
        let shot = tmp.path().join(format!("{facility}.png"));
        let console = chromium(
            &page,
            &[
                "--window-size=1280,1000",
                &format!("--screenshot={}", shot.display()),
            ],
            &tmp.path().join("profile"),
        );
        assert!(
            console.is_empty(),
            "{facility}: console messages: {console:#?}"
        );
        let png = read_png(&shot);
        assert_eq!((png.width, png.height), (1280, 1000));
        let banner = png.rows_with(VERIFIED_GREEN, 600);
        assert!(
            banner.len() > 60 && banner[0] < 250,
            "{facility}: the green verdict banner is not on top of the first screen: rows {:?}",
            banner.first()
        );
        assert_eq!(
            png.count(FAILED_RED, 0, 1000),
            0,
            "{facility}: a red banner"
        );
        let timeline = png.rows_with(TIMELINE_BG, 400);
        assert!(
            timeline.len() > 80 && *timeline.last().unwrap() < 1000,
            "{facility}: the timeline is not on the first screen ({} rows)",
            timeline.len()
        );
        let (top, bottom) = (timeline[0], *timeline.last().unwrap());
        assert!(
            png.count(OPERATOR_BLUE, top, bottom) > 50,
            "{facility}: no operator marker drawn in the timeline"
        );

        // Printed: the verdict and timeline on page 1, the coverage and the
        // appendix each starting a page.
        let pdf = tmp.path().join(format!("{facility}.pdf"));
        let console = chromium(
            &page,
            &[
                "--no-pdf-header-footer",
                &format!("--print-to-pdf={}", pdf.display()),
            ],
            &tmp.path().join("profile"),
        );
        assert!(console.is_empty(), "{console:#?}");
        let pages = pdf_pages(&pdf);
        assert!(
            (3..=12).contains(&pages.len()),
            "{facility}: {} pages",
            pages.len()
        );
        assert!(pages[0].contains("VERIFIED: all") && pages[0].contains("Timeline"));
        assert!(
            first_line(&pages[0]).starts_with(facility),
            "{}",
            first_line(&pages[0])
        );
        let starts: Vec<&str> = pages.iter().map(|p| first_line(p)).collect();
        assert!(
            starts.contains(&"Controls framework coverage"),
            "{facility}: coverage does not start a page: {starts:?}"
        );
        assert!(
            starts.iter().any(|l| l.starts_with("Appendix:")),
            "{facility}: the appendix does not start a page: {starts:?}"
        );
        let last = pages.last().unwrap();
        assert!(
            pages.iter().any(|p| p.contains("triage-ledger verify")),
            "no re-verify command"
        );
        assert!(last.contains("Made by triage-ledger"), "{last}");
    }
}

#[test]
fn a_pack_that_fails_is_reported_in_red_and_exits_1() {
    let tmp = tempfile::tempdir().unwrap();
    let d = demo(tmp.path());
    let pack = d.join("packs").join("TF-0002.pack");
    let mut bytes = std::fs::read(&pack).unwrap();
    let n = bytes.len();
    bytes[n - 40] ^= 1;
    let bad = tmp.path().join("bad.pack");
    std::fs::write(&bad, &bytes).unwrap();
    let page = tmp.path().join("bad.html");
    let out = bin()
        .args([
            "report",
            s(&bad),
            "--trust",
            s(&d.join("trust")),
            "--facility",
            "TF-0002",
            "--out",
            s(&page),
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let shot = tmp.path().join("bad.png");
    let console = chromium(
        &page,
        &[
            "--window-size=1280,1000",
            &format!("--screenshot={}", shot.display()),
        ],
        &tmp.path().join("profile"),
    );
    assert!(console.is_empty(), "{console:#?}");
    let png = read_png(&shot);
    assert!(png.rows_with(FAILED_RED, 600).len() > 40, "no red banner");
    assert_eq!(png.count(VERIFIED_GREEN, 0, 1000), 0);
    // `history` of that pack is refused, naming why.
    let out = bin()
        .args([
            "history",
            s(&bad),
            "--trust",
            s(&d.join("trust")),
            "--facility",
            "TF-0002",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("did not verify"));
}

/// The console check can fail: a page with the report's policy that tries
/// to load an image and a stylesheet gets a console message for each.
#[test]
fn the_console_check_sees_a_page_that_loads_something() {
    let tmp = tempfile::tempdir().unwrap();
    let page = tmp.path().join("leaky.html");
    std::fs::write(
        &page,
        "<!DOCTYPE html><html><head><meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\"><link rel=\"stylesheet\" href=\"https://example.invalid/a.css\"></head><body><img src=\"http://example.invalid/x.png\"></body></html>",
    )
    .unwrap();
    let shot = tmp.path().join("leaky.png");
    let console = chromium(
        &page,
        &[
            "--window-size=400,300",
            &format!("--screenshot={}", shot.display()),
        ],
        &tmp.path().join("profile"),
    );
    assert_eq!(console.len(), 2, "{console:#?}");
    assert!(
        console
            .iter()
            .all(|l| l.contains("Content Security Policy")),
        "{console:#?}"
    );
}
