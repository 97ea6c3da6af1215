//! The report as one self-contained HTML page: every string that comes
//! from a statement is escaped, the style is inline, the picture is inline
//! SVG, there is no script, and the page's Content-Security-Policy forbids
//! loading anything (so a browser shows it the same offline, and a string
//! that slipped through could not fetch or run anything).

use super::svg::{self, colour};
use super::FacilityReport;

/// `s` escaped for HTML text and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Control characters cannot come from a valid record; shown,
            // not interpreted, should one ever reach here.
            c if c.is_control() && c != '\n' => out.push_str(&format!("\\u{{{:04x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

const CSS: &str = r#"
:root { --ink:#1f2328; --muted:#59636e; --line:#d0d7de; --bg:#ffffff; --soft:#f6f8fa; }
* { box-sizing: border-box; }
body { font: 14px/1.45 "DejaVu Sans", "Helvetica Neue", Arial, sans-serif; color: var(--ink);
       background: var(--bg); margin: 0 auto; max-width: 1010px; padding: 24px; }
h1 { font-size: 22px; margin: 0 0 2px; }
h2 { font-size: 17px; margin: 28px 0 8px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
.sub { color: var(--muted); margin: 0 0 16px; }
.verdict { border-radius: 8px; padding: 14px 18px; color: #fff; margin: 12px 0; }
.verdict.ok { background: #1e6b34; }
.verdict.bad { background: #a4161a; }
.verdict.ledger { background: #30507a; }
.verdict .line { font-size: 19px; font-weight: bold; margin: 0 0 6px; }
.verdict dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px; margin: 0; }
.verdict dt { font-weight: bold; opacity: .9; }
.verdict dd { margin: 0; overflow-wrap: anywhere; }
.cards { display: grid; grid-template-columns: repeat(4, 1fr); gap: 10px; margin: 12px 0; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: 10px 12px; background: var(--soft); }
.card .k { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
.card .v { font-size: 16px; font-weight: bold; margin-top: 2px; }
.warn { border-left: 4px solid #b42318; background: #fdf0ef; padding: 6px 10px; margin: 4px 0; }
.muted { color: var(--muted); }
.nw { white-space: nowrap; }
table { border-collapse: collapse; width: 100%; margin: 6px 0 4px; font-size: 13px; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: var(--soft); font-weight: bold; }
tr.gap td { background: #fff6e5; }
tr.bad td { background: #fdf0ef; }
.dot { display: inline-block; width: 10px; height: 10px; border-radius: 50%; margin-right: 6px; vertical-align: baseline; }
.legend span { margin-right: 16px; font-size: 12px; white-space: nowrap; }
code, pre, .hex { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 12px; }
.hex { overflow-wrap: anywhere; }
pre { background: var(--soft); border: 1px solid var(--line); border-radius: 6px; padding: 8px 10px; white-space: pre-wrap; overflow-wrap: anywhere; }
svg.timeline { width: 100%; height: auto; display: block; margin: 6px 0; }
svg.timeline text { font: 11px "DejaVu Sans", Arial, sans-serif; }
.tl-bg { fill: #f3f6fb; }
.tl-axis { stroke: #1f2328; stroke-width: 1.5; }
.tl-tick { stroke: #1f2328; }
.tl-tick-label, .tl-asof-label { fill: #59636e; }
.tl-lead { stroke: #c4ccd5; stroke-width: 1; }
.tl-asof { stroke: #b42318; stroke-width: 1.2; stroke-dasharray: 4 3; }
footer { margin-top: 28px; color: var(--muted); font-size: 12px; }
@page { size: A4; margin: 14mm 12mm; }
@media print {
  body { max-width: none; padding: 0; font-size: 11.5px; }
  table { font-size: 11px; }
  th, td { padding: 2px 6px; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  h2 { break-after: avoid; }
  tr, .card, .verdict, svg.timeline, .warn { break-inside: avoid; }
  thead { display: table-header-group; }
  .page { break-before: page; }
  .cards { grid-template-columns: repeat(4, 1fr); }
}
"#;

fn row(cells: &[String]) -> String {
    let mut s = String::from("<tr>");
    for c in cells {
        s += &format!("<td>{c}</td>");
    }
    s + "</tr>\n"
}

fn head(cells: &[&str]) -> String {
    let mut s = String::from("<thead><tr>");
    for c in cells {
        s += &format!("<th>{}</th>", esc(c));
    }
    s + "</tr></thead>\n"
}

fn entries(v: &[u64]) -> String {
    if v.is_empty() {
        return "<span class=\"muted\">none</span>".into();
    }
    v.iter()
        .map(|e| format!("entry {e}"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl FacilityReport {
    /// The report as one self-contained HTML page.
    pub fn to_html(&self) -> String {
        let f = &self.facility;
        let b = &self.basis;
        let mut s = String::new();
        s += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
        s += "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">\n";
        s += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
        s += &format!(
            "<title>{} — {}: assurance report</title>\n<style>{CSS}</style>\n</head>\n<body>\n",
            esc(&f.id),
            esc(&f.name)
        );
        // Who and when.
        s += &format!(
            "<header>\n<h1>{} — {}</h1>\n<p class=\"sub\">Triage Facility of party <b>{}</b>, registered at entry {}. Security assessment record under SEC MP203, as of <b>{}</b>; report made {} from the {} <code>{}</code>.</p>\n</header>\n",
            esc(&f.id),
            esc(&f.name),
            esc(&f.party),
            f.registered,
            esc(&self.timeline.as_of),
            esc(&self.generated_at),
            esc(&b.kind),
            esc(&b.source)
        );
        s += &self.verdict_html();
        s += &self.cards_html();
        for w in &f.warnings {
            s += &format!("<div class=\"warn\">{}</div>\n", esc(&w.message));
        }
        // The timeline.
        s += "<section id=\"timeline\">\n<h2>Timeline</h2>\n";
        s += &svg::timeline(self);
        s += &format!(
            "<p class=\"legend\"><span><i class=\"dot\" style=\"background:{}\"></i>operator</span><span><i class=\"dot\" style=\"background:{}\"></i>User CIO</span><span><i class=\"dot\" style=\"background:{}\"></i>SSC</span><span><i class=\"dot\" style=\"background:{}\"></i>approved</span><span><i class=\"dot\" style=\"background:{}\"></i>approved subject to steps</span><span><i class=\"dot\" style=\"background:{}\"></i>rejected / overdue</span><span>◆ due dates below the axis</span></p>\n",
            svg::OPERATOR,
            svg::ASSESSOR,
            svg::SSC,
            svg::APPROVED,
            svg::WITH_STEPS,
            svg::REJECTED
        );
        s += "<table>\n";
        s += &head(&["Date", "Entry", "Statement", "Signed by", "What it says"]);
        for e in &self.timeline.events {
            let outcome = f
                .decisions
                .iter()
                .find(|d| d.entry == e.entry)
                .map(|d| d.outcome.as_str());
            s += &row(&[
                format!("<span class=\"nw\">{}</span>", esc(&e.date)),
                e.entry.to_string(),
                format!(
                    "<span class=\"nw\"><i class=\"dot\" style=\"background:{}\"></i>{}</span>",
                    colour(&e.kind, outcome),
                    esc(&e.kind)
                ),
                format!(
                    "{} <span class=\"muted\" title=\"{}\">{}</span>",
                    esc(e.party.as_deref().unwrap_or("scheme root")),
                    esc(&e.signer),
                    esc(common_name(&e.signer))
                ),
                esc(&e.what),
            ]);
        }
        s += "</table>\n</section>\n";
        s += &self.coverage_html();
        s += &self.tools_html();
        s += &self.signers_html();
        s += &self.appendix_html();
        s += "</body>\n</html>\n";
        s
    }

    fn verdict_html(&self) -> String {
        let b = &self.basis;
        let class = match b.verified {
            Some(true) => "ok",
            Some(false) => "bad",
            None => "ledger",
        };
        let mut s = format!(
            "<section class=\"verdict {class}\" id=\"verdict\">\n<p class=\"line\">{}</p>\n<dl>\n",
            esc(&b.verdict)
        );
        if let Some(first) = b.failures.first() {
            s += &format!("<dt>first failure</dt><dd>{}</dd>\n", esc(first));
        }
        for (k, v) in &b.facts {
            s += &format!("<dt>{}</dt><dd>{}</dd>\n", esc(k), esc(v));
        }
        s += "</dl>\n</section>\n";
        s
    }

    fn cards_html(&self) -> String {
        let f = &self.facility;
        let current = match &f.current {
            Some(c) => format!(
                "{} {}{}<div class=\"muted\">entry {}</div>",
                esc(&c.assessment),
                esc(&outcome_words(&c.outcome)),
                if c.overturned { " (overturned)" } else { "" },
                c.entry
            ),
            None => "no decision yet".into(),
        };
        let steps = if f.open_steps.is_empty() {
            "none".to_string()
        } else {
            f.open_steps
                .iter()
                .map(|st| {
                    format!(
                        "{} due {}{}",
                        esc(&st.id),
                        esc(&st.due),
                        if st.overdue {
                            " <b>OVERDUE</b>"
                        } else if st.completed {
                            " (completed, awaiting acceptance)"
                        } else {
                            ""
                        }
                    )
                })
                .collect::<Vec<_>>()
                .join("<br>")
        };
        let next = match &f.next_assessment {
            Some(n) => format!(
                "{}{}{}",
                esc(&n.assessment),
                n.due
                    .as_deref()
                    .map_or(String::new(), |d| format!(" due {}", esc(d))),
                if n.overdue { " <b>OVERDUE</b>" } else { "" }
            ),
            None => format!(
                "not determined<div class=\"muted\">{}</div>",
                esc(f.awaiting.as_deref().unwrap_or(""))
            ),
        };
        let gaps = f.coverage.iter().filter(|c| c.is_gap()).count();
        let coverage = match &f.framework {
            Some(fw) => format!(
                "{gaps} gap{} of {}<div class=\"muted\">framework {}</div>",
                if gaps == 1 { "" } else { "s" },
                f.coverage.len(),
                esc(fw)
            ),
            None => "no framework in force".into(),
        };
        format!(
            "<section class=\"cards\" id=\"summary\">\n<div class=\"card\"><div class=\"k\">Current outcome</div><div class=\"v\">{current}</div></div>\n<div class=\"card\"><div class=\"k\">Open steps</div><div class=\"v\">{steps}</div></div>\n<div class=\"card\"><div class=\"k\">Next assessment</div><div class=\"v\">{next}</div></div>\n<div class=\"card\"><div class=\"k\">Coverage</div><div class=\"v\">{coverage}</div></div>\n</section>\n"
        )
    }

    fn coverage_html(&self) -> String {
        let f = &self.facility;
        let mut s = String::from(
            "<section id=\"coverage\" class=\"page\">\n<h2>Controls framework coverage</h2>\n",
        );
        let Some(fw) = &f.framework else {
            return s + "<p class=\"muted\">No controls framework is in force for this facility.</p>\n</section>\n";
        };
        s += &format!(
            "<p>Each obligation of framework <b>{}</b> that applies to the facility, the evidence seals that address it, and the latest decision's finding{}. Highlighted rows are gaps: not met, not assessed, or without evidence.</p>\n<table>\n",
            esc(fw),
            match &f.decision_framework {
                Some(v) if v != fw => format!(" (that decision was judged by framework {})", esc(v)),
                _ => String::new(),
            }
        );
        s += &head(&["Obligation", "Evidence", "Finding", "Step"]);
        for c in &f.coverage {
            let class = if c.is_gap() { " class=\"gap\"" } else { "" };
            s += &format!(
                "<tr{class}><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                esc(&c.obligation),
                entries(&c.evidence),
                c.finding
                    .as_deref()
                    .map_or("<span class=\"muted\">no finding</span>".into(), esc),
                c.step.as_deref().map_or(String::new(), esc)
            );
        }
        s + "</table>\n</section>\n"
    }

    fn tools_html(&self) -> String {
        let mut s = String::from("<section id=\"tools\">\n<h2>Triage Tools and Interfaces</h2>\n");
        let Some(inv) = &self.facility.inventory else {
            return s + "<p class=\"muted\">No tool inventory has been logged.</p>\n</section>\n";
        };
        s += &format!(
            "<p>From the inventory at entry {}. CPA certificate dates as the operator declared them; a lapsed one is highlighted.</p>\n<table>\n",
            inv.entry
        );
        s += &head(&[
            "Make and model",
            "Serial",
            "Firmware SHA-256",
            "CPA certificate",
            "Expires",
        ]);
        for t in &inv.tools {
            let lapsed = t.cpa_expires.as_str() < self.timeline.as_of.as_str();
            s += &format!(
                "<tr{}><td>{} {}</td><td>{}</td><td class=\"hex\">{}</td><td>{}</td><td>{}{}</td></tr>\n",
                if lapsed { " class=\"bad\"" } else { "" },
                esc(&t.make),
                esc(&t.model),
                esc(&t.serial),
                esc(&t.firmware_sha256),
                esc(&t.cpa_certificate),
                esc(&t.cpa_expires),
                if lapsed { " <b>lapsed</b>" } else { "" }
            );
        }
        s += "</table>\n";
        if !inv.interfaces.is_empty() {
            s += "<table>\n";
            s += &head(&["Interface", "Type", "Access controls"]);
            for i in &inv.interfaces {
                s += &row(&[esc(&i.name), esc(&i.kind), esc(&i.access_controls)]);
            }
            s += "</table>\n";
        }
        s + "</section>\n"
    }

    fn signers_html(&self) -> String {
        let mut s = String::from("<section id=\"signers\">\n<h2>Signers</h2>\n<p>Every certificate that signed the facility's statements or the scheme's (designations, frameworks, revocations), with the party its certificate names.</p>\n<table>\n");
        s += &head(&["Signer", "Party", "Signed"]);
        for g in &self.signers {
            s += &row(&[
                esc(&g.subject),
                g.party.as_deref().map_or("the scheme root".into(), esc),
                esc(&g.signed.join(", ")),
            ]);
        }
        s + "</table>\n</section>\n"
    }

    fn appendix_html(&self) -> String {
        let b = &self.basis;
        let mut s = String::from("<section id=\"appendix\" class=\"page\">\n<h2>Appendix: what this rests on, and how to re-verify it</h2>\n");
        if !b.failures.is_empty() {
            s += "<h3>Checks that failed</h3>\n<ul>\n";
            for f in &b.failures {
                s += &format!("<li>{}</li>\n", esc(f));
            }
            s += "</ul>\n";
        }
        s += "<h3>Re-verify with the command-line tool</h3>\n<pre>";
        s += &b
            .reverify
            .iter()
            .map(|c| esc(c))
            .collect::<Vec<_>>()
            .join("\n");
        s += "</pre>\n";
        if let Some(pack) = &self.pack {
            s += &self.verifier_page_html(pack);
        }
        s += "<h3>Not checked</h3>\n<ul>\n";
        for n in &b.not_checked {
            s += &format!("<li>{}</li>\n", esc(n));
        }
        s += "</ul>\n<h3>Statements</h3>\n<table>\n";
        s += &head(&[
            "Entry",
            "Statement",
            "SHA-256 of the statement",
            "Signer certificate SHA-256",
        ]);
        for d in &self.statements {
            s += &row(&[
                d.entry.to_string(),
                esc(&d.kind),
                format!("<span class=\"hex\">{}</span>", esc(&d.sha256)),
                format!("<span class=\"hex\">{}</span>", esc(&d.signer_sha256)),
            ]);
        }
        s += "</table>\n<h3>Checkpoint</h3>\n<p>The signed checkpoint (C2SP signed note) the statements are in, as signed:</p>\n";
        s += &format!("<pre>{}</pre>\n", esc(&self.checkpoint_note));
        s += &format!(
            "<footer>Made by triage-ledger {} at {}. This page loads nothing: its style and picture are inline.</footer>\n</section>\n",
            env!("CARGO_PKG_VERSION"),
            esc(&self.generated_at)
        );
        s
    }
}

impl FacilityReport {
    /// How to re-check the pack in the verifier page, with the pack itself:
    /// saved with one click, or opened in a `verifier.html` beside the
    /// report (the pack in the link's fragment, which no server sees).
    fn verifier_page_html(&self, pack: &[u8]) -> String {
        use base64::Engine as _;
        use sha2::Digest as _;
        let b64 = base64::engine::general_purpose::STANDARD.encode(pack);
        let b64url = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(pack);
        let name = format!("{}.pack", self.facility.id);
        format!(
            "<h3 id=\"verifier-page\">Re-verify in a web page</h3>\n<p>The verifier page is this tool's verifier in one HTML file that runs offline in a browser (the SSC publishes it with its SHA-256; <code>scripts/verifier-page</code> rebuilds it from the source, byte for byte). Give it the pack this report was made from: <a id=\"save-pack\" download=\"{}\" href=\"data:application/octet-stream;base64,{b64}\">save the pack</a> ({} bytes, SHA-256 <span class=\"hex\">{}</span>) and drop it on the page; or, with the page saved as <code>verifier.html</code> beside this report, <a id=\"open-pack\" href=\"verifier.html#pack={b64url}\">open the pack in it</a>.</p>\n",
            esc(&name),
            pack.len(),
            crate::hex::encode(&sha2::Sha256::digest(pack)),
        )
    }
}

/// The CN of a subject as `x509-parser` prints it (`O=…, CN=…, …`), or
/// the whole subject.
fn common_name(subject: &str) -> &str {
    subject
        .split(", ")
        .find_map(|p| p.strip_prefix("CN="))
        .unwrap_or(subject)
}

/// An outcome in words (`approved subject to steps`).
fn outcome_words(o: &str) -> String {
    match o {
        "approved-with-steps" => "approved subject to additional steps".into(),
        o => o.to_string(),
    }
}
