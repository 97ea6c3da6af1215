//! `triage-ledger demo DIR`: builds a realistic ledger from scratch with the
//! DEMO ONLY identities of `keys/` and the synthetic data of `fixtures/`:
//! the scheme's designations and its controls framework; two facilities
//! through registration, tool inventory, sealed and countersigned evidence
//! against the framework, a conditional FUSA (after an approval that left
//! obligations uncovered is refused) acknowledged by the operator, steps
//! completed and accepted, the SSC's determination of a VUSA, the VUSA; a
//! rejection, its dispute and the SSC's resolution; another party's attempt
//! to act for a facility it does not own; and a revoked key whose later
//! statement is refused. `story.rs` tells the story; `keys.rs` moves a
//! second ledger's log key into a token by a rotation; this file holds the
//! means.

mod keys;
mod story;

use std::path::{Path, PathBuf};

use ed25519_dalek::pkcs8::DecodePrivateKey;
use ed25519_dalek::SigningKey;
use triage_ledger::identity::Certificate;
use triage_ledger::ledger::{Ledger, LedgerError, Selection, Submitted};
use triage_ledger::note::SignedCheckpoint;
use triage_ledger::policy::{self, Admission};
use triage_ledger::record::*;
use triage_ledger::store;
use triage_ledger::verify::{verify_pack, Pack, Trust};
use triage_ledger::witness::Witness;

use super::failure::{CmdResult, Failure};

/// A DEMO ONLY signer: its key and certificate from `keys/`.
pub(super) struct Party {
    name: &'static str,
    key: SigningKey,
    cert: Certificate,
}

fn party(name: &'static str, key_pem: &str, cert_pem: &str) -> Result<Party, Failure> {
    let key = SigningKey::from_pkcs8_pem(key_pem)
        .map_err(|e| Failure::input(format!("demo key {name}: {e}")))?;
    let cert = Certificate::from_pem(cert_pem.as_bytes())?;
    Ok(Party { name, key, cert })
}

macro_rules! demo_party {
    ($name:literal) => {
        party(
            $name,
            include_str!(concat!("../../../keys/", $name, ".key")),
            include_str!(concat!("../../../keys/", $name, ".pem")),
        )
    };
}

/// Everyone in the story.
pub(super) struct Cast {
    root: Party,
    op: Party,
    op_old: Party,
    rival: Party,
    cio: Party,
    ssc: Party,
}

macro_rules! fixture {
    ($rel:literal) => {
        ($rel, include_str!(concat!("../../../fixtures/", $rel)))
    };
}

/// Files written out under DIR for the story: (path under fixtures/, content).
const FILES: &[(&str, &str)] = &[
    fixture!("evidence/TF-0001/tool-inventory/inventory.csv"),
    fixture!("evidence/TF-0001/reset-logs/2027-03-01.log"),
    fixture!("evidence/TF-0001/reset-logs/2027-03-02.log"),
    fixture!("evidence/TF-0001/risk-assessment/iso27005-risk-assessment.md"),
    fixture!("evidence/TF-0001/remediation/custody-log-procedure.md"),
    fixture!("evidence/TF-0001/security-assessment-report.md"),
    fixture!("evidence/TF-0001/security-assessment-response.md"),
    fixture!("evidence/TF-0002/intake/intake-records.csv"),
    fixture!("evidence/TF-0002/security-assessment-report.md"),
    fixture!("evidence/TF-0002/security-assessment-response.md"),
    fixture!("scheme/framework-2027.1.json"),
    fixture!("scheme/TF-0001-tools.json"),
    fixture!("scheme/TF-0001-fusa-findings.txt"),
];

pub(super) struct Demo {
    dir: PathBuf,
    ledger: PathBuf,
    /// The ledger, opened at first use and kept (its one writer).
    opened: std::sync::OnceLock<Ledger>,
    count: usize,
    now: u64,
    /// The file name of the last statement signed.
    last_file: String,
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> Failure + '_ {
    move |e| Failure::input(format!("{}: {e}", path.display()))
}

fn input<E: std::fmt::Display>(e: E) -> Failure {
    Failure::input(e.to_string())
}

impl Demo {
    /// Signs a record as `who`, writes DIR/statements/NN-kind.cose.
    fn sign(&mut self, who: &Party, record: &Record, tag: &str) -> Result<Vec<u8>, Failure> {
        self.count += 1;
        // Distinct, increasing signing times keep the story in order.
        let st = policy::sign_statement(record, &who.key, &who.cert, self.now + self.count as u64)
            .map_err(input)?;
        self.last_file = format!("{:02}-{tag}.cose", self.count);
        let file = self.dir.join("statements").join(&self.last_file);
        std::fs::write(&file, st.bytes()).map_err(io(&file))?;
        Ok(st.bytes().to_vec())
    }

    fn submit(&self, bytes: &[u8], name: &str) -> Result<Submitted, LedgerError> {
        self.ledger()?
            .submit(&[(name.to_string(), bytes.to_vec())], self.now + 100, 300)
    }

    /// The demo's ledger, opened once.
    fn ledger(&self) -> Result<&Ledger, LedgerError> {
        if let Some(l) = self.opened.get() {
            return Ok(l);
        }
        let l = Ledger::open(&self.ledger)?;
        Ok(self.opened.get_or_init(|| l))
    }

    /// Signs, writes and submits; returns the new entry's reference.
    fn emit(&mut self, who: &Party, record: Record, what: &str) -> Result<Ref, Failure> {
        let kind = record.kind().name();
        let bytes = self.sign(who, &record, kind)?;
        let done = self.submit(&bytes, kind)?;
        let (Admission::New(index) | Admission::Duplicate(index)) = done.admissions[0];
        say!("  entry {index:>2}  {kind:<17} by {:<18} {what}", who.name);
        Ok(Ref {
            index,
            sha256: triage_ledger::merkle::Hash::digest(&bytes),
        })
    }

    /// Signs and submits a statement the rules must refuse with `rule`;
    /// anything else fails the demo.
    fn refuse(&mut self, who: &Party, record: Record, rule: &str, what: &str) -> CmdResult {
        let kind = record.kind().name();
        let bytes = self.sign(who, &record, &format!("refused-{rule}-{kind}"))?;
        match self.submit(&bytes, kind) {
            Err(LedgerError::Refused {
                rule: r, source, ..
            }) if r == rule => {
                say!(
                    "  refused   {kind:<17} by {:<18} {what}\n            rule {r}: {source}",
                    who.name
                );
                Ok(())
            }
            Err(e) => Err(Failure::verification(format!(
                "the demo expected rule {rule} to refuse {what}, got: {e}"
            ))),
            Ok(_) => Err(Failure::verification(format!(
                "the demo expected rule {rule} to refuse {what}, but it was logged"
            ))),
        }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.join(rel)
    }

    fn text(&self, rel: &str) -> Result<String, Failure> {
        let p = self.path(rel);
        std::fs::read_to_string(&p).map_err(io(&p))
    }

    fn digest(&self, rel: &str) -> Result<triage_ledger::merkle::Hash, Failure> {
        let p = self.path(rel);
        Ok(triage_ledger::merkle::Hash::digest(
            &std::fs::read(&p).map_err(io(&p))?,
        ))
    }

    /// Seals DIR/evidence/FACILITY/SUB, addressing obligations of `framework`.
    fn seal(
        &mut self,
        who: &Party,
        facility: &str,
        sub: &str,
        description: &str,
        addresses: Option<(&Ref, &[&str])>,
    ) -> Result<Ref, Failure> {
        let dir = self.dir.join("evidence").join(facility).join(sub);
        let manifest = self
            .dir
            .join("manifests")
            .join(format!("{facility}-{sub}.cbor"));
        let sealed = triage_ledger::bundle::seal_dir(&dir, &manifest).map_err(input)?;
        let rec = Record::Seal(Seal {
            facility: facility.into(),
            description: description.into(),
            root: sealed.root,
            items: sealed.items,
            manifest_sha256: triage_ledger::merkle::Hash::from_bytes(sealed.manifest_sha256),
            addresses: addresses.map(|(f, o)| Addresses {
                framework: f.clone(),
                obligations: o.iter().map(|x| x.to_string()).collect(),
            }),
        });
        let files = if sealed.items == 1 { "file" } else { "files" };
        let addr = addresses
            .map(|(_, o)| format!(", addresses {}", o.join(" ")))
            .unwrap_or_default();
        self.emit(
            who,
            rec,
            &format!("{description} ({} {files}{addr})", sealed.items),
        )
    }

    /// Has witness `name` cosign the ledger's latest checkpoint.
    fn witness(&self, name: &str) -> CmdResult {
        let c = triage_ledger::witness::cosign_ledger(
            &self.dir.join("witnesses").join(name),
            self.ledger()?,
            super::common::now(),
        )
        .map_err(super::witness::round_failure)?;
        say!(
            "  witness {name} cosigns the checkpoint of size {} (consistent with size {})",
            c.size,
            c.old
        );
        Ok(())
    }

    /// Writes DIR/packs/NAME.pack and verifies it as a third party would.
    fn pack(&self, name: &str, sel: Selection, since: Option<&Pack>) -> Result<Pack, Failure> {
        let old = since.map(|p| p.checkpoint.as_slice());
        let old_size = match old {
            Some(b) => Some(
                SignedCheckpoint::open(b, self.ledger()?.vkey())
                    .map_err(input)?
                    .root()
                    .size(),
            ),
            None => None,
        };
        let pack = self
            .ledger()?
            .pack(&sel, super::common::now(), old_size)
            .map_err(input)?;
        let file = self.dir.join("packs").join(format!("{name}.pack"));
        let bytes = pack.to_bytes().map_err(input)?;
        std::fs::write(&file, bytes).map_err(io(&file))?;
        let trust = Trust::load(&self.dir.join("trust")).map_err(input)?;
        let report = verify_pack(&pack, &trust, old);
        if !report.verified() {
            return Err(Failure::verification(format!(
                "the demo's own pack {} did not verify:\n{}",
                file.display(),
                report.to_text()
            )));
        }
        say!(
            "  packs/{name}.pack: {} statements, VERIFIED ({} checks){}",
            pack.statements.len(),
            report.checks.len(),
            if since.is_some() {
                ", and its log extends the earlier pack's"
            } else {
                ""
            }
        );
        Ok(pack)
    }
}

/// Writes DIR/reports/FACILITY.html from the facility's pack, verified
/// against the demo's trust.
fn report(dir: &Path, facility: &str) -> CmdResult {
    let pack_file = dir.join("packs").join(format!("{facility}.pack"));
    let bytes = std::fs::read(&pack_file).map_err(io(&pack_file))?;
    let pack = Pack::parse(&bytes).map_err(input)?;
    let trust_dir = dir.join("trust");
    let trust = Trust::load(&trust_dir).map_err(input)?;
    let now = super::common::now();
    let r = triage_ledger::report::from_pack(
        &pack,
        &trust,
        &pack_file.display().to_string(),
        &trust_dir.display().to_string(),
        facility,
        &triage_ledger::status::date_of(now),
        now,
    )
    .map_err(input)?;
    let out = dir.join("reports").join(format!("{facility}.html"));
    triage_ledger::output::write(&out, r.to_html().as_bytes(), false, "report").map_err(input)?;
    say!("Report: {} ({})", out.display(), r.basis.verdict);
    Ok(())
}

/// Creates DIR's layout, the ledger, the trust directory and two witnesses.
fn setup(dir: &Path, root: &Party, confidential: bool) -> Result<PathBuf, Failure> {
    for sub in ["trust", "statements", "manifests", "packs", "reports"] {
        std::fs::create_dir_all(dir.join(sub)).map_err(io(dir))?;
    }
    for (rel, content) in FILES {
        let p = dir.join(rel);
        std::fs::create_dir_all(p.parent().unwrap_or(dir)).map_err(io(&p))?;
        std::fs::write(&p, content).map_err(io(&p))?;
    }
    let ledger = dir.join("ledger");
    let origin = "demo.triage-ledger.example/mp203";
    let vkey = store::init(&ledger, origin)?;
    store::install_trust_root(&ledger, root.cert.to_pem().as_bytes())?;
    // Confidential unless asked (`--records public`), as `init
    // --trust-root` makes a ledger: the public tree holds commitments and
    // labels only; verifiers need the VRF key that proves the labels.
    let trust = dir.join("trust");
    std::fs::write(trust.join("root.pem"), root.cert.to_pem()).map_err(io(&trust))?;
    std::fs::write(trust.join("log.vkey"), format!("{vkey}\n")).map_err(io(&trust))?;
    if confidential {
        let labels = store::confidential::make_confidential(&ledger, origin)?;
        std::fs::write(trust.join("labels.vrf"), labels.to_text()).map_err(io(&trust))?;
    }
    // Two witnesses, each in its own directory (in real life, on other
    // machines run by other parties); verifiers need one of them.
    let mut wkeys = Vec::new();
    for n in 1..=2 {
        let wdir = dir.join("witnesses").join(format!("w{n}"));
        let wkey = Witness::create(&wdir, &format!("demo.triage-ledger.example/witness-{n}"))
            .map_err(input)?;
        let mut w = Witness::open(&wdir).map_err(input)?;
        w.add_log(vkey.clone()).map_err(input)?;
        wkeys.push(wkey);
    }
    let policy = format!(
        "# Who verifiers of the demo ledger trust (c2sp.org/tlog-policy).\n\
         log {vkey}\n\
         witness w1 {}\n\
         witness w2 {}\n\
         group demo-witnesses 1 w1 w2\n\
         quorum demo-witnesses\n",
        wkeys[0], wkeys[1]
    );
    std::fs::write(trust.join("policy"), policy).map_err(io(&trust))?;
    say!("Demo ledger {} (log {})", ledger.display(), vkey.name());
    say!(
        "Trust material for verifiers: {0}/root.pem, {0}/policy (the log, two witnesses, quorum 1){1}",
        trust.display(),
        if confidential {
            format!(", {}/labels.vrf (the key that proves the confidential ledger's facility labels)", trust.display())
        } else {
            String::new()
        }
    );
    Ok(ledger)
}

/// True when `dir` has the layout a demo makes (what `--force` may remove).
fn is_demo(dir: &Path) -> bool {
    [
        "ledger/vkey",
        "trust/policy",
        "packs",
        "statements",
        "witnesses",
    ]
    .iter()
    .all(|p| dir.join(p).exists())
}

/// How long before the real time the story's signing times start (its
/// statements are a second apart, and fewer than this).
const STORY_LEAD: u64 = 600;

pub fn run(dir: &Path, force: bool, confidential: bool) -> CmdResult {
    clear(dir, force)?;
    let cast = Cast {
        root: demo_party!("demo-root")?,
        op: demo_party!("demo-operator")?,
        op_old: demo_party!("demo-operator-old")?,
        rival: demo_party!("demo-rival-operator")?,
        cio: demo_party!("demo-user-cio")?,
        ssc: demo_party!("demo-ssc")?,
    };
    let ledger = setup(dir, &cast.root, confidential)?;
    // The story is signed in the last minutes before the witnesses cosign
    // (at the real time): no statement claims a signing time after the
    // time its checkpoint is witnessed, which `verify` checks.
    let now = super::common::now().saturating_sub(STORY_LEAD);
    let mut d = Demo {
        dir: dir.to_path_buf(),
        ledger: ledger.clone(),
        opened: Default::default(),
        count: 0,
        now,
        last_file: String::new(),
    };
    let told = story::tell(&mut d, &cast)?;
    say!();
    super::show::status(&ledger, None, false, None, false)?;
    audit_and_monitor(dir, &ledger)?;
    say!();
    for f in ["TF-0001", "TF-0002"] {
        report(dir, f)?;
    }
    keys::lifecycle(dir, &cast, now)?;
    try_next(dir, &told);
    Ok(())
}

/// An empty directory to build the demo in (an earlier demo removed with
/// `force`; anything else is never removed).
fn clear(dir: &Path, force: bool) -> CmdResult {
    if dir.exists() && std::fs::read_dir(dir).map_err(io(dir))?.next().is_some() {
        if !force {
            return Err(Failure::input(format!(
                "{} already exists and is not empty",
                dir.display()
            ))
            .hint("pick a new directory, or give --force to replace an earlier demo"));
        }
        if !is_demo(dir) {
            return Err(Failure::input(format!(
                "{} is not empty and is not a demo directory (no ledger/vkey, trust/policy, packs, statements, witnesses): --force removes only an earlier demo",
                dir.display()
            )));
        }
        std::fs::remove_dir_all(dir).map_err(io(dir))?;
    }
    Ok(())
}

/// The whole log re-hashed, and its committed index replayed by the
/// monitor (its state kept in DIR/monitor.state).
fn audit_and_monitor(dir: &Path, ledger: &Path) -> CmdResult {
    let audit = store::audit(ledger)?;
    say!();
    say!(
        "Audit: {} entries re-hashed, root {} matches the signed checkpoint.",
        audit.size,
        audit.root
    );
    let (run, state) = triage_ledger::monitor::monitor(ledger, None, None, None)?;
    if let Some(f) = &run.fault {
        return Err(Failure::verification(format!("the demo's own log: {f}")));
    }
    let state_file = dir.join("monitor.state");
    if let Some(s) = state {
        s.save(&state_file)?;
    }
    say!(
        "Monitor: {} entries replayed, {} index entries checked, {} commits of the index recomputed: the log's index is honest (state in {}).",
        run.to,
        run.index_entries,
        run.commits,
        state_file.display()
    );
    Ok(())
}

/// What to try next, on the demo's own files.
fn try_next(dir: &Path, told: &story::Told) {
    let dd = dir.display();
    let fi = told.fusa.index;
    let (fusa_file, revoked_file) = (&told.fusa_file, &told.revoked_file);
    let b = "target/release/triage-ledger";
    say!();
    say!("Try next (from the source tree, after `cargo build --release`):");
    say!("  {b} status {dd}/ledger --json");
    say!("  {b} inspect {dd}/statements/{fusa_file}");
    say!("  {b} submit {dd}/ledger {dd}/statements/{revoked_file}   # refused: exit 1");
    say!("  {b} log prove {dd}/ledger --index {fi} > fusa.tlog-proof");
    // The log holds the statement's commitment: the salt opens it.
    let salt = triage_ledger::store::Snapshot::open(&dir.join("ledger"))
        .and_then(|l| l.read_opening(fi))
        .ok()
        .flatten()
        .map(|o| format!(" --salt {}", triage_ledger::hex::encode(&o.salt)))
        .unwrap_or_default();
    say!("  {b} log verify-inclusion --vkey {dd}/trust/log.vkey --proof fusa.tlog-proof --entry {dd}/statements/{fusa_file}{salt}");
    say!("  {b} log audit {dd}/ledger");
    match triage_ledger::store::Layout::new(&dir.join("ledger")).is_confidential() {
        true => say!("The public log is {dd}/ledger/log/: commitments and labels only, nothing of any record; serve it with any static web server."),
        false => say!("The public log is {dd}/ledger/log/ (every statement in clear: --records public); serve it with any static web server."),
    }
    say!("  {b} verify {dd}/packs/TF-0002.pack --trust {dd}/trust --json");
    say!("  {b} history {dd}/packs/TF-0001.pack --trust {dd}/trust --facility TF-0001");
    say!("  open {dd}/reports/TF-0001.html   # the report for people: verdict, timeline, coverage, tools, signers");
    say!("  scripts/verifier-page --trust {dd}/trust --out {dd}/reports/verifier.html   # the verifier in a web page: the report's \"open the pack in it\" link then works");
    say!("  {b} verify {dd}/lifecycle/after.pack --trust {dd}/lifecycle/trust -v   # a pack after the log key moved into a token");
    say!("  {b} witness status {dd}/witnesses/w1");
    say!("  {b} monitor {dd}/ledger --trust {dd}/trust --state {dd}/monitor.state --facility TF-0001");
    say!("  {b} pack {dd}/ledger --facility TF-0099 --out absent.pack   # proves TF-0099 has no statements");
    say!("The public log is {dd}/ledger/log/: serve it with any static web server.");
}
