//! The registration policy, as `submit` and `POST /entries` run it on a
//! statement from a client (`State::admit`), after replaying the demo log
//! (`State::replay`). The statement is signed here with a committed demo
//! identity (keys/), so that the fuzzer reaches the rules behind the
//! signature check: references, authority, framework and coverage,
//! lifecycle.
//!
//! Input: one byte choosing the signer, one the record kind, two the age
//! of `iat` in seconds, then the record payload (deterministic CBOR).
//!
//! Asserts: what admit accepts, a replay of the log with it accepts too
//! (so monitors and verifiers agree with the writer); a duplicate is
//! reported at the index that holds the very same bytes.
#![no_main]

use std::sync::OnceLock;

use ed25519_dalek::SigningKey;
use libfuzzer_sys::fuzz_target;
use triage_ledger::cose::Statement;
use triage_ledger::identity::{read_private_key, Certificate};
use triage_ledger::policy::{sign_statement, Admission, Config, State, DEFAULT_MAX_AGE};
use triage_ledger::record::{Kind, Record};
use triage_ledger_fuzz::{demo, keys_dir};

struct World {
    signers: Vec<(SigningKey, Certificate)>,
    now: u64,
}

fn world() -> &'static World {
    static W: OnceLock<World> = OnceLock::new();
    W.get_or_init(|| {
        let mut names: Vec<_> = std::fs::read_dir(keys_dir())
            .expect("keys/")
            .filter_map(|e| {
                let p = e.expect("entry").path();
                (p.extension()? == "key").then_some(p)
            })
            .collect();
        names.sort();
        let signers = names
            .iter()
            .map(|k| {
                let (key, _) = read_private_key(k).expect("a demo key");
                let pem = std::fs::read(k.with_extension("pem")).expect("its certificate");
                (
                    key,
                    Certificate::from_pem(&pem).expect("a demo certificate"),
                )
            })
            .collect();
        let now = demo()
            .entries
            .iter()
            .filter_map(|e| Statement::parse(e).ok())
            .map(|s| s.header().issued_at)
            .max()
            .expect("the demo log has statements")
            + 3600;
        World { signers, now }
    })
}

fn replayed() -> State {
    let mut s = State::new();
    for (i, e) in demo().entries.iter().enumerate() {
        s.replay(i as u64, e).expect("the demo log replays");
    }
    s
}

fuzz_target!(|data: &[u8]| {
    let [s, k, a0, a1, payload @ ..] = data else {
        return;
    };
    let kind = Kind::ALL[usize::from(*k) % Kind::ALL.len()];
    let Ok(record) = Record::decode(&kind.content_type(), payload) else {
        return;
    };
    let w = world();
    let (key, cert) = &w.signers[usize::from(*s) % w.signers.len()];
    let iat = w.now - u64::from(u16::from_be_bytes([*a0, *a1]));
    let Ok(st) = sign_statement(&record, key, cert, iat) else {
        return;
    };
    let d = demo();
    let cfg = Config {
        root: d.trust.root.clone(),
        now: w.now,
        skew: 300,
        max_age: DEFAULT_MAX_AGE,
    };
    let mut state = replayed();
    let index = state.len();
    match state.admit(index, st.bytes(), &cfg) {
        Ok(Admission::New(i)) => {
            assert_eq!(i, index);
            let leaves = state.take_index_leaves();
            let mut again = replayed();
            again
                .replay(i, st.bytes())
                .expect("a replay refuses a statement admit accepted");
            for (at, leaf) in leaves {
                again
                    .replay(at, &leaf)
                    .expect("a replay refuses an index entry admit wrote");
            }
        }
        Ok(Admission::Duplicate(i)) => {
            assert_eq!(
                d.entries.get(i as usize).map(Vec::as_slice),
                Some(st.bytes())
            );
        }
        Err(_) => {}
    }
});
