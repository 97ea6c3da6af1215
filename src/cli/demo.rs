//! `triage-ledger demo DIR`: builds a small ledger from scratch and shows the
//! log's round trip (append, checkpoint, inclusion and consistency proofs,
//! audit). Later layers extend it into the full MP203 assessment story.

use std::path::Path;

use triage_ledger::note::TlogProof;
use triage_ledger::store::{self, Ledger, Writer};

use super::{CmdResult, Failure};

/// Entries the demo logs: stand-ins for signed statements (the statement
/// layer comes with the record kinds), one per line.
const SAMPLE: &str = include_str!("../../fixtures/demo/log-entries.txt");

fn io(path: &Path) -> impl Fn(std::io::Error) -> Failure + '_ {
    move |e| Failure::input(format!("{}: {e}", path.display()))
}

pub fn run(dir: &Path) -> CmdResult {
    let ledger = dir.join("ledger");
    let vkey = store::init(&ledger, "demo.triage-ledger.example/mp203")?;
    std::fs::write(dir.join("log.vkey"), format!("{vkey}\n")).map_err(io(dir))?;
    println!("1. created ledger {} with log key {vkey}", ledger.display());

    let lines: Vec<&str> = SAMPLE
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    let (first, rest) = lines.split_at(lines.len() / 2);
    let mut w = Writer::open(&ledger)?;
    for l in first {
        w.append(l.as_bytes())?;
    }
    let old = w.commit()?.clone();
    for l in rest {
        w.append(l.as_bytes())?;
    }
    let new = w.commit()?.clone();
    drop(w);
    std::fs::write(dir.join("checkpoint.old"), old.to_bytes()).map_err(io(dir))?;
    std::fs::write(dir.join("checkpoint.new"), new.to_bytes()).map_err(io(dir))?;
    println!(
        "2. appended {} entries in two batches: checkpoints of size {} and {}",
        lines.len(),
        old.root().size(),
        new.root().size()
    );

    let l = Ledger::open(&ledger)?;
    let index = 3u64;
    let proof = l.prove_inclusion(index)?;
    let text = TlogProof::new(&proof, l.checkpoint()).map_err(|e| Failure::input(e.to_string()))?;
    let proof_path = dir.join(format!("entry-{index}.tlog-proof"));
    std::fs::write(&proof_path, text.to_text()).map_err(io(dir))?;
    let entry_path = dir.join(format!("entry-{index}"));
    std::fs::write(&entry_path, l.read_entry(index)?).map_err(io(dir))?;
    let parsed =
        TlogProof::parse(text.to_text().as_bytes()).map_err(|e| Failure::input(e.to_string()))?;
    parsed
        .verify(&l.read_entry(index)?, l.vkey())
        .map_err(|e| Failure::verification(format!("demo proof did not verify: {e}")))?;
    println!(
        "3. wrote and verified an inclusion proof of entry {index}: {}",
        proof_path.display()
    );

    let c = l.prove_consistency(old.root().size())?;
    c.verify(old.root(), new.root())
        .map_err(|e| Failure::verification(format!("demo consistency failed: {e}")))?;
    let cons: String = c.path().iter().map(|h| format!("{h}\n")).collect();
    std::fs::write(dir.join("consistency.proof"), cons).map_err(io(dir))?;
    println!(
        "4. wrote and verified a consistency proof from size {} to {}",
        old.root().size(),
        new.root().size()
    );

    let report = store::audit(&ledger)?;
    println!(
        "5. audited the ledger: {} entries, {} hash tiles recomputed, root {}",
        report.size, report.tiles, report.root
    );

    let d = dir.display();
    println!();
    println!("Try next:");
    println!("  triage-ledger log checkpoint {d}/ledger");
    println!("  triage-ledger log verify-inclusion --vkey {d}/log.vkey --proof {d}/entry-{index}.tlog-proof --entry {d}/entry-{index}");
    println!("  triage-ledger log verify-consistency --vkey {d}/log.vkey --old {d}/checkpoint.old --new {d}/checkpoint.new --proof {d}/consistency.proof");
    println!("  echo tampered > {d}/entry-{index}   # then verify again: exit code 1");
    println!("  seq 1 100000 | triage-ledger log append {d}/ledger --lines");
    println!("  triage-ledger log audit {d}/ledger");
    println!("The public log is {d}/ledger/log/: serve it with any static web server.");
    Ok(())
}
