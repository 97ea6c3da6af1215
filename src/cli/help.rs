//! What `--help` says beyond the clap definitions: the top-level commands
//! grouped by who uses them, examples for every command, and the exit-code
//! footer everywhere. Tests check that no command lacks a group or examples.

use super::failure::{CmdResult, Failure};

/// The exit codes, at the foot of every help.
pub const EXIT_CODES: &str =
    "Exit codes: 0 success (or verified), 1 verification failed, 2 usage, parse or I/O error.";

/// The top-level commands, grouped by who runs them.
pub const GROUPS: &[(&str, &[&str])] = &[
    ("Start here", &["demo", "init"]),
    (
        "Operators (of the Party that owns a facility)",
        &[
            "register",
            "inventory",
            "seal",
            "acknowledge",
            "complete-step",
            "self-assess",
            "dispute",
        ],
    ),
    (
        "Assessors (the User CIO)",
        &["countersign", "decide", "accept-step"],
    ),
    (
        "The SSC and the scheme root",
        &[
            "determine",
            "resolve",
            "transfer",
            "publish-framework",
            "designate",
            "revoke",
        ],
    ),
    (
        "Third parties: read and verify, offline",
        &[
            "verify",
            "report",
            "verifier-page",
            "history",
            "status",
            "inspect",
            "verify-bundle",
            "disclose",
            "verify-disclosure",
            "monitor",
            "filed",
        ],
    ),
    (
        "Running a ledger",
        &[
            "submit", "serve", "receipt", "pack", "log", "witness", "upgrade",
        ],
    ),
    ("Identities", &["keys", "cert"]),
    ("This tool", &["completions", "man", "help"]),
];

/// Examples per command path (`seal`, `log append`). `$K` stands for
/// `--key KEY --cert CERT` (or set TRIAGE_LEDGER_KEY and _CERT).
pub const EXAMPLES: &[(&str, &str)] = &[
    ("demo", "triage-ledger demo ./triage-demo            # the whole MP203 story, packs and reports\ntriage-ledger demo ./triage-demo --force    # replace an earlier demo\ntriage-ledger demo ./triage-demo --serve 127.0.0.1:8090"),
    ("init", "triage-ledger init mp203 --origin ledger.example.org/mp203 --trust-root root.pem\ntriage-ledger init mp203 --origin ledger.example.org/mp203 --trust-root root.pem \\\n    --public s3://bucket/mp203 --lock postgres://ledger@db:5432/ledger"),
    ("submit", "triage-ledger submit mp203 seal.cose decision.cose   # all or nothing; exit 1 if refused\ntriage-ledger submit mp203 seal.cose --wait 300   # wait up to 5 minutes for another writer (a running service is named at once)\ntriage-ledger submit --url https://ledger.example.org statement.cose --transparent   # the receipt checked; the log key pinned on first use\ntriage-ledger submit --url https://ledger.example.org statement.cose --trust trust  # checked against the trust directory's log key"),
    ("receipt", "triage-ledger receipt mp203 --index 14 --out decision.receipt\ntriage-ledger receipt mp203 --index 14 --out decision.transparent.cose --transparent"),
    ("pack", "triage-ledger pack mp203 --facility TF-0001 --out tf1.pack\ntriage-ledger pack mp203 --facility TF-0001 --since old-tf1.pack --out tf1.pack\ntriage-ledger pack mp203 --entry 50 --out rejection.pack\ntriage-ledger pack --url https://ledger.example.org --facility TF-0001 --out - > tf1.pack"),
    ("serve", "triage-ledger serve mp203 --listen 127.0.0.1:8090\ntriage-ledger serve mp203 --listen 127.0.0.1:8090 --trust trust --witness w1=https://w1.example.org   # packs made against the checkpoint the policy accepts\ntriage-ledger serve mp203 --listen 0.0.0.0:8443 --tls-cert chain.pem --tls-key key.pem"),
    ("monitor", "triage-ledger monitor mp203 --trust trust --state mon.state --facility TF-0001\ntriage-ledger monitor --url https://ledger.example.org --trust trust --state mon.state"),
    ("upgrade", "triage-ledger upgrade mp203"),
    ("verify", "triage-ledger verify tf1.pack --trust trust                 # the answer first\ntriage-ledger verify tf1.pack --trust trust -v              # every check\ntriage-ledger verify tf1.pack --trust trust --since old-tf1.pack --require-complete\ntriage-ledger verify old.pack --trust trust --partial       # a pack with no committed index: VERIFIED, PARTIAL at best\ntriage-ledger verify misbehaviour.cbor --trust trust\ntriage-ledger verify tf1.pack --trust trust --filed seal.cose.transparent   # self-monitoring, offline"),
    ("filed", "triage-ledger filed seal.cose.transparent decision.cose.transparent --url https://ledger.example.org --trust trust   # with TRIAGE_LEDGER_CERT/KEY: yours"),
    ("verify-bundle", "triage-ledger verify-bundle evidence/reset-logs --seal seal.cose --manifest reset-logs.manifest"),
    ("disclose", "triage-ledger disclose --manifest reset-logs.manifest --paths 2027-03-01.log --out one.disclosure"),
    ("verify-disclosure", "triage-ledger verify-disclosure one.disclosure --seal seal.cose --files evidence/reset-logs"),
    ("inspect", "triage-ledger inspect decision.cose\ntriage-ledger inspect decision.transparent.cose --vkey mp203/vkey\ntriage-ledger inspect tf1.pack --json\ntriage-ledger inspect mp203/log/checkpoint --vkey mp203/vkey"),
    ("history", "triage-ledger history mp203 --facility TF-0001\ntriage-ledger history tf1.pack --trust trust --facility TF-0001 --as-of 2028-04-01 --json"),
    ("report", "triage-ledger report tf1.pack --trust trust --facility TF-0001 --out TF-0001.html\ntriage-ledger report mp203 --facility TF-0001 --out - > TF-0001.html   # the operator's own view"),
    ("verifier-page", "triage-ledger verifier-page --wasm target/wasm32-unknown-unknown/wasm/triage_ledger_web.wasm --trust trust --out verifier.html   # scripts/verifier-page builds the module and runs this"),
    ("status", "triage-ledger status mp203\ntriage-ledger status mp203 --facility TF-0001 --json --as-of 2028-04-01\ntriage-ledger status mp203 --overdue\ntriage-ledger status --url https://ledger.example.org --facility TF-0001"),
    ("register", "triage-ledger register $K --ledger mp203 --facility TF-0001 --name \"Bay 1\" --site \"Unit 4\""),
    ("seal", "triage-ledger seal evidence/reset-logs --facility TF-0001 $K --manifest reset-logs.manifest \\\n    --addresses G3.20,G3.21 --refs mp203 --out seal.cose"),
    ("countersign", "triage-ledger countersign $C --ledger mp203 --facility TF-0001 --seal 10 --note \"seen on site\""),
    ("decide", "triage-ledger decide $C --ledger mp203 --facility TF-0001 --assessment FUSA \\\n    --outcome approved-with-steps --report report.pdf --findings-file findings.txt \\\n    --step \"S1|Fix the custody log|2027-06-30|G3.4\" --evidence 10 --evidence 12"),
    ("acknowledge", "triage-ledger acknowledge $K --ledger mp203 --facility TF-0001 --decision 14 \\\n    --position accepted --response response.pdf"),
    ("self-assess", "triage-ledger self-assess $K --ledger mp203 --facility TF-0001 --findings-file self-findings.txt --report self.pdf"),
    ("complete-step", "triage-ledger complete-step $K --ledger mp203 --facility TF-0001 --decision 14 --step S1"),
    ("accept-step", "triage-ledger accept-step $C --ledger mp203 --facility TF-0001 --completion 18"),
    ("determine", "triage-ledger determine $S --ledger mp203 --facility TF-0001 --decision 14 --next USSA --due 2028-03-31"),
    ("dispute", "triage-ledger dispute $K --ledger mp203 --facility TF-0002 --decision 50 --grounds \"controls were in place\""),
    ("resolve", "triage-ledger resolve $S --ledger mp203 --facility TF-0002 --dispute 54 --resolution dismissed \\\n    --new-assessment --reason \"the report is sound\""),
    ("transfer", "triage-ledger transfer $S --ledger mp203 --facility TF-0001 --to-party NTRGB-DEMO0003 --reason \"site sold\""),
    ("inventory", "triage-ledger inventory $K --ledger mp203 --facility TF-0001 --file tools.json"),
    ("publish-framework", "triage-ledger publish-framework framework-2027.1.json $S --ledger mp203"),
    ("designate", "triage-ledger designate $ROOT --ledger mp203 --role ssc --party SECGB-SSC --note \"SSC secretariat\"\ntriage-ledger designate $S --ledger mp203 --role user-cio --party NTRGB-0002 --note \"appointed User CIO\""),
    ("revoke", "triage-ledger revoke $ROOT --ledger mp203 --certificate old-operator.pem --reason \"key lost\""),
    ("keys", "triage-ledger keys new --out ops/operator"),
    ("keys new", "triage-ledger keys new --out ops/operator         # ops/operator.key (0600) and ops/operator.pub"),
    ("keys new-in-token", "TRIAGE_LEDGER_PKCS11_PIN=… triage-ledger keys new-in-token \\\n    'pkcs11:token=ledger;object=operator?module-path=/usr/lib/softhsm/libsofthsm2.so'"),
    ("cert", "triage-ledger cert show ops/operator.pem"),
    ("cert root", "triage-ledger cert root --key admin/root.key --name \"MP203 Scheme Root\" --org \"Security Sub-Committee\" --out admin/root.pem"),
    ("cert issue", "triage-ledger cert issue --root-cert admin/root.pem --root-key admin/root.key --key ops/operator.pub \\\n    --role operator --name \"Bay operations\" --org \"Example Triage Ltd\" --party-id NTRGB-01234567 --out ops/operator.pem"),
    ("cert sign-trust-update", "triage-ledger cert sign-trust-update --root-cert admin/root.pem --root-key admin/root.key --serial 2 \\\n    --in windows.txt --out trust/updates/0002   # windows.txt: witness OLD-VKEY until 2027-03-01T00:00:00Z"),
    ("cert show", "triage-ledger cert show ops/operator.pem"),
    ("witness", "triage-ledger witness run w1 --ledger mp203"),
    ("witness new", "triage-ledger witness new w1 --name witness.example.org/w1"),
    ("witness add-log", "triage-ledger witness add-log w1 --vkey mp203/vkey"),
    ("witness request", "triage-ledger witness request mp203 --old 40 --out req"),
    ("witness cosign", "triage-ledger witness cosign w1 --request req --out sig"),
    ("witness attach", "triage-ledger witness attach mp203 --witness w1/witness.vkey --cosignature sig"),
    ("witness run", "triage-ledger witness run w1 --ledger mp203\ntriage-ledger witness run --url https://witness.example.org --witness w1.vkey --ledger mp203"),
    ("witness serve", "triage-ledger witness serve w1 --listen 127.0.0.1:8091"),
    ("witness status", "triage-ledger witness status w1"),
    ("witness rotate", "triage-ledger witness rotate w1   # a new key file; then a trust update ends the old key"),
    ("log", "triage-ledger log audit mp203"),
    ("log vkey", "triage-ledger log vkey mp203"),
    ("log append", "triage-ledger log append mp203 a.bin b.bin\nseq 1 100000 | triage-ledger log append mp203 --lines"),
    ("log checkpoint", "triage-ledger log checkpoint mp203 > cp.txt"),
    ("log prove", "triage-ledger log prove mp203 --index 22 > fusa.tlog-proof\ntriage-ledger log prove mp203 --from 40 > consistency.txt"),
    ("log get", "triage-ledger log get mp203 --index 22 > decision.cose"),
    ("log verify-inclusion", "triage-ledger log verify-inclusion --vkey mp203/vkey --proof fusa.tlog-proof --entry decision.cose"),
    ("log verify-consistency", "triage-ledger log verify-consistency --vkey mp203/vkey --old old-cp.txt --new cp.txt --proof consistency.txt"),
    ("log migrate", "triage-ledger log migrate mp203 --public s3://bucket/mp203 --lock postgres://ledger@db:5432/ledger\ntriage-ledger log migrate mp203 --public mp203/log   # back to the directory"),
    ("log freeze", "triage-ledger log freeze mp203 --successor mp203-2027/vkey --reason \"moved to the 2027 service\""),
    ("log rotate", "triage-ledger log rotate mp203   # a new key file\ntriage-ledger log rotate mp203 --new-key \"pkcs11:token=ledger;object=log-2027?module-path=/usr/lib/softhsm/libsofthsm2.so\""),
    ("log timestamp", "triage-ledger log timestamp mp203 --tsa https://freetsa.example/tsr --trust trust   # trust/tsa/*.pem: the TSAs trusted"),
    ("log name-predecessor", "triage-ledger log name-predecessor mp203-2027 --predecessor mp203"),
    ("log audit", "triage-ledger log audit mp203\ntriage-ledger log audit --url https://ledger.example.org --vkey mp203.vkey\ntriage-ledger log audit s3://bucket/mp203 --vkey mp203.vkey"),
    ("completions", "triage-ledger completions bash > /etc/bash_completion.d/triage-ledger\ntriage-ledger completions zsh > \"${fpath[1]}/_triage-ledger\"\ntriage-ledger completions fish > ~/.config/fish/completions/triage-ledger.fish"),
    ("man", "triage-ledger man --out /usr/local/share/man/man1   # triage-ledger.1 and one page per command (--force to replace them)\ntriage-ledger man | man -l -"),
];

/// The footer of `path`'s help: its examples, then the exit codes.
fn footer(path: &str) -> String {
    match EXAMPLES.iter().find(|(p, _)| *p == path) {
        Some((_, ex)) => {
            let lines: Vec<String> = ex.lines().map(|l| format!("  {l}")).collect();
            let note = if ex.contains("$K")
                || ex.contains("$C")
                || ex.contains("$S")
                || ex.contains("$ROOT")
            {
                "\n  ($K, $C, $S, $ROOT: --key KEY --cert CERT of the operator, User CIO, SSC, scheme root; or set TRIAGE_LEDGER_KEY and TRIAGE_LEDGER_CERT)"
            } else {
                ""
            };
            format!("Examples:\n{}{note}\n\n{EXIT_CODES}", lines.join("\n"))
        }
        None => EXIT_CODES.to_string(),
    }
}

/// The top-level commands as grouped text, each with its one-line about.
fn grouped(cmd: &clap::Command) -> String {
    let mut s = String::new();
    let width = cmd
        .get_subcommands()
        .map(|c| c.get_name().len())
        .max()
        .unwrap_or(0)
        .max(4);
    for (heading, names) in GROUPS {
        s += &format!("{heading}:\n");
        for name in *names {
            let about = if *name == "help" {
                "Print this message or the help of the given subcommand(s)".to_string()
            } else {
                cmd.find_subcommand(name)
                    .and_then(|c| c.get_about())
                    .map(|a| a.to_string())
                    .unwrap_or_default()
            };
            s += &format!("  {name:<width$}  {about}\n");
        }
        s += "\n";
    }
    s
}

/// Adds the grouped command list to the top level, and examples and the
/// exit codes to every command's help.
pub fn decorate(cmd: clap::Command) -> clap::Command {
    let list = grouped(&cmd);
    let top = cmd.help_template(format!(
        "{{about-with-newline}}\n{{usage-heading}} {{usage}}\n\n{list}Options:\n{{options}}\n\n{{after-help}}"
    ));
    with_footers(top, "")
}

fn with_footers(cmd: clap::Command, prefix: &str) -> clap::Command {
    let path = if prefix.is_empty() {
        String::new()
    } else {
        prefix.to_string()
    };
    let cmd = cmd.after_help(if path.is_empty() {
        format!("Configuration: TRIAGE_LEDGER_KEY, _CERT (the signer), _TRUST (verify's trust directory), _LEDGER, _URL; or the same KEY=VALUE lines in $TRIAGE_LEDGER_CONFIG or ~/.config/triage-ledger/config (flags win over the environment, the environment over the file).\n\n{EXIT_CODES}")
    } else {
        footer(&path)
    });
    cmd.mut_subcommands(|sub| {
        let name = sub.get_name().to_string();
        let p = if path.is_empty() {
            name
        } else {
            format!("{path} {name}")
        };
        with_footers(sub, &p)
    })
}

/// Every command path below the top (`seal`, `log append`), for tests.
#[cfg(test)]
pub fn paths(cmd: &clap::Command, prefix: &str, out: &mut Vec<String>) {
    for sub in cmd.get_subcommands() {
        let p = if prefix.is_empty() {
            sub.get_name().to_string()
        } else {
            format!("{prefix} {}", sub.get_name())
        };
        out.push(p.clone());
        paths(sub, &p, out);
    }
}

/// `man [--out DIR]`: the manual page on stdout, or every page into DIR.
pub(crate) fn man(out: Option<&std::path::Path>, force: bool) -> CmdResult {
    let render = |page: &clap_mangen::Man| {
        let mut buf = Vec::new();
        page.render(&mut buf)
            .map_err(|e| Failure::input(e.to_string()))?;
        Ok::<_, Failure>(buf)
    };
    let Some(dir) = out else {
        let buf = render(&clap_mangen::Man::new(super::command()))?;
        return triage_ledger::output::write(std::path::Path::new("-"), &buf, false, "man")
            .map_err(|e| Failure::input(e.to_string()));
    };
    // Every page rendered, and (without --force) none in the way, before
    // one is written.
    fn pages(cmd: clap::Command, into: &mut Vec<clap_mangen::Man>) {
        for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
            pages(sub.clone(), into);
        }
        into.push(clap_mangen::Man::new(cmd));
    }
    let mut cmd = super::command().disable_help_subcommand(true);
    cmd.build();
    let mut all = Vec::new();
    pages(cmd, &mut all);
    let mut files = Vec::with_capacity(all.len());
    for page in &all {
        files.push((dir.join(page.get_filename()), render(page)?));
    }
    if !force {
        if let Some((p, _)) = files.iter().find(|(p, _)| p.symlink_metadata().is_ok()) {
            return Err(Failure::input(format!(
                "--out {}: the file exists, and no page was written",
                p.display()
            ))
            .hint("give --force to replace the pages"));
        }
    }
    std::fs::create_dir_all(dir)
        .map_err(|e| Failure::input(format!("--out {}: {e}", dir.display())))?;
    for (path, bytes) in &files {
        triage_ledger::output::write(path, bytes, force, "--out")
            .map_err(super::common::out_failure)?;
    }
    tell!("wrote {} manual pages to {}", files.len(), dir.display());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Splits one example into words as a shell would (double quotes,
    /// backslash-newline), up to an unquoted `#`, `>` or `|`; `$K`-style
    /// placeholders become `--key k --cert c`.
    fn words(example: &str) -> Vec<String> {
        let text = example.replace("\\\n", " ");
        let (mut out, mut cur, mut quoted, mut any) = (Vec::new(), String::new(), false, false);
        for c in text.chars() {
            match c {
                '"' => {
                    quoted = !quoted;
                    any = true;
                }
                '#' | '>' | '|' if !quoted => break,
                ' ' | '\t' if !quoted => {
                    if any {
                        out.push(std::mem::take(&mut cur));
                        any = false;
                    }
                }
                c => {
                    cur.push(c);
                    any = true;
                }
            }
        }
        if any {
            out.push(cur);
        }
        out.into_iter()
            .flat_map(|w| match w.as_str() {
                "$K" | "$C" | "$S" | "$ROOT" => {
                    vec!["--key".into(), "k".into(), "--cert".into(), "c".into()]
                }
                _ => vec![w],
            })
            .collect()
    }

    #[test]
    fn every_command_is_in_one_group_and_has_examples_that_parse() {
        let cmd = crate::cli::command();
        let mut top: Vec<&str> = cmd.get_subcommands().map(|c| c.get_name()).collect();
        top.push("help");
        let grouped: Vec<&str> = GROUPS.iter().flat_map(|(_, n)| n.iter().copied()).collect();
        for name in &top {
            assert_eq!(
                grouped.iter().filter(|g| *g == name).count(),
                1,
                "{name} is not in exactly one group"
            );
        }
        for g in &grouped {
            assert!(top.contains(g), "group lists {g}, which is no command");
        }
        let mut all = Vec::new();
        paths(&cmd, "", &mut all);
        for p in &all {
            assert!(
                EXAMPLES.iter().any(|(q, _)| q == p),
                "no examples for `{p}`"
            );
        }
        for (path, ex) in EXAMPLES {
            assert!(
                all.contains(&path.to_string()),
                "examples for `{path}`, which is no command"
            );
            // One example per line, continuation lines joined.
            for line in ex.replace("\\\n", " ").lines() {
                let line = line.trim_start_matches(|c: char| c != 't').to_string();
                let w = words(&line);
                assert_eq!(
                    w.first().map(String::as_str),
                    Some("triage-ledger"),
                    "{line}"
                );
                let argv: Vec<&str> = w.iter().map(String::as_str).collect();
                if let Err(e) = crate::cli::command().try_get_matches_from(&argv) {
                    panic!("the example `{line}` does not parse: {e}");
                }
                let sub: Vec<&str> = argv[1..]
                    .iter()
                    .take_while(|a| !a.starts_with('-'))
                    .copied()
                    .collect();
                assert!(
                    sub.join(" ").starts_with(path),
                    "the example `{line}` is not of `{path}`"
                );
            }
        }
    }

    #[test]
    fn the_top_level_help_lists_the_groups_and_every_help_ends_with_exit_codes() {
        let mut cmd = crate::cli::command();
        let top = cmd.render_help().to_string();
        for (heading, _) in GROUPS {
            assert!(top.contains(&format!("{heading}:")), "{top}");
        }
        assert!(
            top.contains("  seal ") && top.contains("Seal an evidence bundle"),
            "{top}"
        );
        assert!(top.trim_end().ends_with(EXIT_CODES), "{top}");
        let seal = cmd
            .find_subcommand_mut("seal")
            .unwrap()
            .render_help()
            .to_string();
        assert!(seal.contains("Examples:\n  triage-ledger seal "), "{seal}");
        assert!(seal.trim_end().ends_with(EXIT_CODES), "{seal}");
    }
}
