//! A one-line progress report on stderr, shown only when stderr is a
//! terminal and not `--quiet` (stdout carries only results): files done,
//! bytes hashed — counted inside large files as they are read — out of the
//! total a listing of the directory found, the rate and the time left.

use std::io::{IsTerminal, Write};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub struct Progress {
    shared: Option<Arc<Shared>>,
    ticker: Option<std::thread::JoinHandle<()>>,
}

struct Shared {
    what: &'static str,
    files: AtomicU64,
    stop: AtomicBool,
    /// (files, bytes) to do, if listed.
    total: Option<(u64, u64)>,
    /// The process's hashed-bytes counter when this began.
    base: u64,
}

fn human(bytes: f64) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = bytes;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < units.len() {
        v /= 1024.0;
        u += 1;
    }
    format!("{v:.1} {}", units[u])
}

fn clock(secs: f64) -> String {
    let s = secs.round() as u64;
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
    } else {
        format!("{}:{:02}", s / 60, s % 60)
    }
}

/// The line for `files` done and `bytes` hashed after `secs`.
fn line(what: &str, files: u64, bytes: u64, total: Option<(u64, u64)>, secs: f64) -> String {
    let rate = bytes as f64 / secs.max(1e-3);
    match total {
        Some((tf, tb)) if tb > 0 => {
            let left = tb.saturating_sub(bytes) as f64;
            let eta = if rate > 0.0 && bytes > 0 {
                format!(", {} left", clock(left / rate))
            } else {
                String::new()
            };
            format!(
                "{what}: {files}/{tf} files, {} of {} ({:.0}%), {}/s{eta}",
                human(bytes as f64),
                human(tb as f64),
                100.0 * bytes.min(tb) as f64 / tb as f64,
                human(rate)
            )
        }
        _ => format!(
            "{what}: {files} files, {}, {}/s",
            human(bytes as f64),
            human(rate)
        ),
    }
}

impl Progress {
    /// A progress line for hashing `dir`, its total listed first (only
    /// when the line is shown: a listing reads no file, but costs a walk).
    pub fn for_dir(what: &'static str, quiet: bool, dir: &Path) -> Self {
        let shown = !quiet && std::io::stderr().is_terminal();
        let total = if shown {
            triage_ledger::bundle::total_size(dir).ok()
        } else {
            None
        };
        Self::start(what, quiet, total)
    }

    fn start(what: &'static str, quiet: bool, total: Option<(u64, u64)>) -> Self {
        if quiet || !std::io::stderr().is_terminal() {
            return Progress {
                shared: None,
                ticker: None,
            };
        }
        let shared = Arc::new(Shared {
            what,
            files: AtomicU64::new(0),
            stop: AtomicBool::new(false),
            total,
            base: triage_ledger::bundle::bytes_hashed(),
        });
        let s = Arc::clone(&shared);
        let ticker = std::thread::spawn(move || {
            let start = Instant::now();
            while !s.stop.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(200));
                let bytes = triage_ledger::bundle::bytes_hashed() - s.base;
                let text = line(
                    s.what,
                    s.files.load(Ordering::Relaxed),
                    bytes,
                    s.total,
                    start.elapsed().as_secs_f64(),
                );
                let mut err = std::io::stderr().lock();
                let _ = write!(err, "\r{text}\x1b[K");
                let _ = err.flush();
            }
            let _ = write!(std::io::stderr().lock(), "\r\x1b[K");
        });
        Progress {
            shared: Some(shared),
            ticker: Some(ticker),
        }
    }

    /// Files done so far (bytes are counted as they are hashed).
    pub fn update(&mut self, files: u64, _bytes: u64) {
        if let Some(s) = &self.shared {
            s.files.store(files, Ordering::Relaxed);
        }
    }

    /// Clears the line.
    pub fn finish(&mut self) {
        if let Some(s) = &self.shared {
            s.stop.store(true, Ordering::Relaxed);
        }
        if let Some(t) = self.ticker.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_counts_towards_the_total_with_the_time_left() {
        let l = line("sealing", 3, 1 << 30, Some((10, 4 << 30)), 2.0);
        assert_eq!(
            l,
            "sealing: 3/10 files, 1.0 GiB of 4.0 GiB (25%), 512.0 MiB/s, 0:06 left"
        );
        assert_eq!(
            line("checking", 2, 2048, None, 1.0),
            "checking: 2 files, 2.0 KiB, 2.0 KiB/s"
        );
        assert_eq!(clock(3725.0), "1:02:05");
        // Nothing hashed yet: no time left is guessed.
        assert!(!line("sealing", 0, 0, Some((1, 10)), 1.0).contains("left"));
    }
}
