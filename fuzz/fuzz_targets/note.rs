//! Signed notes and checkpoints (c2sp.org/signed-note, tlog-checkpoint):
//! `Note::parse`, `Checkpoint::parse`, `SignedCheckpoint::open` with the
//! log key, `Policy::open_checkpoint` and the witness quorum
//! (`check_quorum`, `verify_cosignature`).
//!
//! Asserts: Note parse → to_bytes = input; Checkpoint parse → to_text =
//! input; a checkpoint that opens with the log key carries a tree head the
//! log really had; a cosignature that verifies is one a demo witness
//! really made.
#![no_main]

use libfuzzer_sys::fuzz_target;
use triage_ledger::note::{
    verify_cosignature, Checkpoint, CosignatureCheck, Note, NoteSignature, SignedCheckpoint,
};
use triage_ledger_fuzz::demo;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(c) = Checkpoint::parse(text) {
            assert_eq!(
                c.to_text(),
                text,
                "Checkpoint::parse → to_text changed the body"
            );
        }
    }
    let Ok(note) = Note::parse(data) else {
        return;
    };
    assert_eq!(
        note.to_bytes(),
        data,
        "Note::parse → to_bytes changed the note"
    );
    if let Ok(c) = Checkpoint::parse(note.text()) {
        assert_eq!(c.to_text(), note.text());
    }
    let d = demo();
    let _ = note.verify(std::slice::from_ref(&d.log_key));
    let opened = SignedCheckpoint::open(data, &d.log_key);
    let by_policy = d.trust.policy.open_checkpoint(data);
    assert_eq!(
        opened.as_ref().ok(),
        by_policy.as_ref().ok(),
        "open and open_checkpoint disagree"
    );
    let Ok(cp) = opened else {
        return;
    };
    assert_eq!(cp.to_bytes(), data);
    d.assert_genuine_root(cp.root(), "a checkpoint");
    let q = d
        .trust
        .policy
        .check_quorum(&cp)
        .expect("the demo's witnesses are cosigners");
    for w in &d.witness_keys {
        let check = verify_cosignature(&cp, w).expect("a cosigner key");
        if let CosignatureCheck::Valid { .. } = check {
            let genuine = cp
                .note()
                .signatures()
                .iter()
                .filter(|s| s.name() == w.name() && s.id() == w.id())
                .all(|s| d.note_signatures.contains(&NoteSignature::to_line(s)));
            assert!(genuine, "a cosignature the witness never made verifies");
        }
    }
    if q.met {
        assert!(q
            .witnesses
            .iter()
            .any(|(_, c)| matches!(c, CosignatureCheck::Valid { .. })));
    }
});
