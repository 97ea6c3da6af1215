//! Bundle manifests (a CBOR sequence of items): `read_manifest` (bytes in
//! memory), `ManifestReader` (the streaming reader sealing and disclosing
//! use, from a file), and `disclose` (one item disclosed from the file).
//!
//! Asserts: the two readers agree (same items, or both refuse); the
//! streaming reader's SHA-256 is of the input and its root is over the
//! items' encodings; a disclosure made from the manifest opens to that
//! root, with that item at its index, and round-trips through its bytes.
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use sha2::{Digest, Sha256};
use triage_ledger::bundle::{disclose, read_manifest, Disclosure, ManifestReader, MAX_ITEM};
use triage_ledger::cbor;
use triage_ledger::merkle::{leaf_hash, MemoryTree};
use triage_ledger_fuzz::scratch_dir;

fn path() -> &'static PathBuf {
    static P: OnceLock<PathBuf> = OnceLock::new();
    P.get_or_init(|| scratch_dir("manifest").join("manifest.cbor"))
}

fuzz_target!(|data: &[u8]| {
    let in_memory = read_manifest(data);
    let p = path();
    std::fs::write(p, data).expect("write the manifest");
    let mut reader = ManifestReader::open(p).expect("open");
    let mut streamed = Vec::new();
    let streamed_ok = loop {
        match reader.next_item() {
            Ok(Some(item)) => {
                assert_eq!(reader.last_raw(), cbor::to_vec(&item).expect("encodes"));
                streamed.push(item);
            }
            Ok(None) => break true,
            Err(_) => break false,
        }
    };
    if streamed_ok {
        let items = in_memory
            .as_ref()
            .expect("read_manifest refuses what ManifestReader reads");
        assert_eq!(items, &streamed);
        let (root, sha) = reader.summary();
        assert_eq!(sha, <[u8; 32]>::from(Sha256::digest(data)));
        let mut t = MemoryTree::new();
        for i in items {
            t.push(leaf_hash(&cbor::to_vec(i).expect("encodes")));
        }
        assert_eq!(
            root,
            t.root(),
            "the streaming reader's root is not over the items"
        );
        if let Some(item) = items.get(data.len() % items.len().max(1)) {
            let index = data.len() % items.len();
            let d =
                disclose(p, std::slice::from_ref(&item.path)).expect("an item present discloses");
            assert_eq!(d.count, items.len() as u64);
            let opened = d.open().expect("a fresh disclosure opens");
            assert_eq!(&opened.root, root.hash());
            assert_eq!(opened.items, vec![(index as u64, item.clone())]);
            let bytes = d.to_bytes().expect("encodes");
            assert_eq!(Disclosure::parse(&bytes).expect("parses"), d);
        }
    } else if let Ok(items) = &in_memory {
        // The streaming reader caps each item at MAX_ITEM bytes.
        assert!(
            items
                .iter()
                .any(|i| cbor::to_vec(i).expect("encodes").len() > MAX_ITEM),
            "ManifestReader refuses what read_manifest reads"
        );
    }
});
