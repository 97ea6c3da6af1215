//! A one-line progress report on stderr (files, bytes, rate), shown only
//! when stderr is a terminal and not `--quiet`; stdout carries only results.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

pub struct Progress {
    what: &'static str,
    enabled: bool,
    start: Instant,
    last: Option<Instant>,
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

impl Progress {
    pub fn new(what: &'static str, quiet: bool) -> Self {
        Progress {
            what,
            enabled: !quiet && std::io::stderr().is_terminal(),
            start: Instant::now(),
            last: None,
        }
    }

    pub fn update(&mut self, files: u64, bytes: u64) {
        if !self.enabled {
            return;
        }
        let now = Instant::now();
        if self
            .last
            .is_some_and(|l| now.duration_since(l) < Duration::from_millis(100))
        {
            return;
        }
        self.last = Some(now);
        let secs = now.duration_since(self.start).as_secs_f64().max(1e-3);
        let mut err = std::io::stderr().lock();
        let _ = write!(
            err,
            "\r{}: {files} files, {}, {}/s\x1b[K",
            self.what,
            human(bytes as f64),
            human(bytes as f64 / secs)
        );
        let _ = err.flush();
    }

    pub fn finish(&mut self) {
        if self.enabled && self.last.is_some() {
            let _ = write!(std::io::stderr().lock(), "\r\x1b[K");
        }
    }
}
