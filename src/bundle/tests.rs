//! Sealing and checking bundles: order, digests, streams, refusals.

use super::*;
use crate::merkle::root_from_leaf_hashes;
use sha2::{Digest, Sha256};

#[test]
fn sealing_commits_to_every_file_and_the_manifest() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path().join("evidence");
    std::fs::create_dir_all(dir.join("logs")).unwrap();
    std::fs::write(dir.join("b.txt"), b"bee").unwrap();
    std::fs::write(dir.join("a.txt"), b"ay").unwrap();
    std::fs::write(dir.join("logs/reset-1.log"), b"reset ok").unwrap();
    let m = d.path().join("manifest.cbor");
    let sealed = seal_dir(&dir, &m).unwrap();
    assert_eq!(sealed.items, 3);
    let bytes = std::fs::read(&m).unwrap();
    assert_eq!(
        sealed.manifest_sha256,
        <[u8; 32]>::from(Sha256::digest(&bytes))
    );
    let items = read_manifest(&bytes).unwrap();
    let paths: Vec<&str> = items.iter().map(|i| i.path.as_str()).collect();
    assert_eq!(paths, ["a.txt", "b.txt", "logs/reset-1.log"]);
    assert_eq!(items[1].sha256.to_vec(), Sha256::digest(b"bee").to_vec());
    assert_eq!(
        items[1].blake3.to_vec(),
        blake3::hash(b"bee").as_bytes().to_vec()
    );
    let leaves: Vec<Hash> = items.iter().map(|i| i.leaf().unwrap()).collect();
    assert_eq!(root_from_leaf_hashes(&leaves), sealed.root);
    // Salts differ, so sealing again gives another root.
    let again = seal_dir(&dir, &d.path().join("m2")).unwrap();
    assert_ne!(again.root, sealed.root);
    // Refusals: existing manifest, symlinks, empty directories.
    assert!(seal_dir(&dir, &m).is_err());
    std::os::unix::fs::symlink(dir.join("a.txt"), dir.join("link")).unwrap();
    assert!(matches!(
        seal_dir(&dir, &d.path().join("m3")),
        Err(BundleError::NotAFile { .. })
    ));
    let empty = d.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    assert!(matches!(
        seal_dir(&empty, &d.path().join("m4")),
        Err(BundleError::Empty(_))
    ));
    assert!(read_manifest(&[0x18]).is_err());
    // A tagged path decodes to the same item through serde, but is not
    // the item's canonical encoding.
    let mut v = ciborium::Value::serialized(&items[0]).unwrap();
    if let ciborium::Value::Map(m) = &mut v {
        for (k, val) in m.iter_mut() {
            if k.as_text() == Some("path") {
                *val = ciborium::Value::Tag(32, Box::new(val.clone()));
            }
        }
    }
    let tagged = cbor::encode(&v).unwrap();
    assert!(read_manifest(&tagged)
        .unwrap_err()
        .to_string()
        .contains("canonical"));
}

fn tree(root: &Path, files: &[(&str, &[u8])]) {
    for (rel, data) in files {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, data).unwrap();
    }
}

#[test]
fn the_walk_is_in_bytewise_path_order() {
    let d = tempfile::tempdir().unwrap();
    let names = [
        "a.txt", "a/b", "a/c/d", "a-b", "a0", "B", "b", "é", "z/y/x", "a/b.c", "ab",
    ];
    tree(
        d.path(),
        &names.iter().map(|n| (*n, &b"x"[..])).collect::<Vec<_>>(),
    );
    let walked: Vec<String> = Walk::new(d.path(), Vec::new())
        .unwrap()
        .map(|e| e.unwrap().rel)
        .collect();
    let mut sorted: Vec<String> = names.iter().map(|s| s.to_string()).collect();
    sorted.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
    assert_eq!(walked, sorted);
}

#[test]
fn large_and_small_files_hash_the_same_as_one_pass() {
    let d = tempfile::tempdir().unwrap();
    let big: Vec<u8> = (0..(LARGE_FILE as usize * 2 + 12345))
        .map(|i| (i * 31 % 251) as u8)
        .collect();
    std::fs::write(d.path().join("big"), &big).unwrap();
    let h = hash_file(&d.path().join("big")).unwrap();
    assert_eq!(h.size, big.len() as u64);
    assert_eq!(h.sha256, <[u8; 32]>::from(Sha256::digest(&big)));
    assert_eq!(h.blake3, *blake3::hash(&big).as_bytes());
    std::fs::write(d.path().join("empty"), b"").unwrap();
    let e = hash_file(&d.path().join("empty")).unwrap();
    assert_eq!(e.sha256, <[u8; 32]>::from(Sha256::digest(b"")));
    // A bundle mixing both: the manifest matches one-pass digests, in order.
    tree(
        d.path(),
        &(0..300)
            .map(|i| {
                (
                    Box::leak(format!("small/{i:03}").into_boxed_str()) as &str,
                    &b"s"[..],
                )
            })
            .collect::<Vec<_>>(),
    );
    let m = d.path().join("../m-large.cbor");
    let _ = std::fs::remove_file(&m);
    let sealed = seal_dir(d.path(), &m).unwrap();
    assert_eq!(sealed.items, 302);
    let items = read_manifest(&std::fs::read(&m).unwrap()).unwrap();
    assert_eq!(items[0].path, "big");
    assert_eq!(items[0].sha256.to_vec(), Sha256::digest(&big).to_vec());
    assert_eq!(items[301].path, "small/299");
    std::fs::remove_file(&m).unwrap();
}

#[test]
fn a_manifest_inside_the_directory_does_not_seal_itself() {
    let d = tempfile::tempdir().unwrap();
    tree(d.path(), &[("a", b"1"), ("b", b"2")]);
    let sealed = seal_dir(d.path(), &d.path().join("manifest.cbor")).unwrap();
    assert_eq!(sealed.items, 2);
    // Checking afterwards leaves the manifest out too: it verifies.
    let mut found = Vec::new();
    let c = check_dir(
        d.path(),
        &d.path().join("manifest.cbor"),
        &sealed,
        &mut |f| found.push(f),
        &mut |_, _| {},
    )
    .unwrap();
    assert!(found.is_empty(), "{found:?}");
    assert!(c.ok());
}

#[test]
fn checking_names_every_missing_changed_and_extra_file() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path().join("ev");
    tree(
        &dir,
        &[
            ("keep", b"same"),
            ("gone", b"bye"),
            ("edit", b"before"),
            ("sub/deep", b"deep"),
            ("sub/touch", b"abc"),
        ],
    );
    let m = d.path().join("m.cbor");
    let sealed = seal_dir(&dir, &m).unwrap();
    let check = |dir: &Path, m: &Path, sealed: &Sealed| {
        let mut found = Vec::new();
        let c = check_dir(
            dir,
            m,
            sealed,
            &mut |f| found.push(f.to_string()),
            &mut |_, _| {},
        )
        .unwrap();
        (c, found)
    };
    let (c, found) = check(&dir, &m, &sealed);
    assert!(c.ok() && found.is_empty(), "{found:?}");
    assert_eq!(c.files, 5);
    std::fs::remove_file(dir.join("gone")).unwrap();
    std::fs::write(dir.join("edit"), b"after!").unwrap();
    std::fs::write(dir.join("sub/touch"), b"abd").unwrap();
    std::fs::write(dir.join("new"), b"hello").unwrap();
    std::fs::write(dir.join("sub/zz"), b"hello").unwrap();
    let (c, found) = check(&dir, &m, &sealed);
    assert!(!c.ok());
    assert_eq!(
        found,
        [
            "changed: edit (size 6 → 6, SHA-256 differs, BLAKE3 differs)"
                .replace("size 6 → 6, ", ""),
            "missing: gone".into(),
            "extra:   new".into(),
            "changed: sub/touch (SHA-256 differs, BLAKE3 differs)".into(),
            "extra:   sub/zz".into(),
        ]
    );
    assert!(c.manifest.is_none());
    // A file replaced by a symbolic link, and a new link and pipe: named,
    // not followed, and the check goes on.
    std::fs::remove_file(dir.join("keep")).unwrap();
    std::os::unix::fs::symlink("/etc/hostname", dir.join("keep")).unwrap();
    std::os::unix::fs::symlink("/etc", dir.join("sub/link")).unwrap();
    let (c, found) = check(&dir, &m, &sealed);
    assert!(!c.ok());
    assert!(
        found.contains(&"changed: keep (no longer a regular file: symbolic links)".to_string()),
        "{found:?}"
    );
    assert!(
        found.contains(&"extra:   sub/link (symbolic links cannot be sealed)".to_string()),
        "{found:?}"
    );
    // Another seal's commitment: the manifest is named as not the sealed one.
    let mut other = sealed.clone();
    other.manifest_sha256[0] ^= 1;
    other.root = crate::merkle::Hash::digest(b"x");
    let (c, _) = check(&dir, &m, &other);
    let why = c.manifest.unwrap();
    assert!(why.contains("SHA-256") && why.contains("root"), "{why}");
}

#[test]
fn damaged_manifests_are_refused_with_the_item_named() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path().join("ev");
    tree(&dir, &[("a", b"1"), ("b", b"2"), ("c", b"3")]);
    let m = d.path().join("m.cbor");
    let sealed = seal_dir(&dir, &m).unwrap();
    let bytes = std::fs::read(&m).unwrap();
    let run = |b: &[u8]| {
        let bad = d.path().join("bad.cbor");
        std::fs::write(&bad, b).unwrap();
        check_dir(&dir, &bad, &sealed, &mut |_| {}, &mut |_, _| {})
    };
    // Truncated inside an item.
    let e = run(&bytes[..bytes.len() - 3]).unwrap_err().to_string();
    assert!(e.contains("item 2"), "{e}");
    // Items out of order.
    let items = read_manifest(&bytes).unwrap();
    let mut swapped = Vec::new();
    for i in [1, 0, 2] {
        swapped.extend(cbor::to_vec(&items[i]).unwrap());
    }
    let e = run(&swapped).unwrap_err().to_string();
    assert!(e.contains("out of order"), "{e}");
    // A path that is not normalised.
    let mut dotted = items[0].clone();
    dotted.path = "../a".into();
    let e = run(&cbor::to_vec(&dotted).unwrap())
        .unwrap_err()
        .to_string();
    assert!(e.contains("normalised"), "{e}");
    // An existing manifest is never overwritten.
    assert!(seal_dir(&dir, &m).is_err());
    assert_eq!(std::fs::read(&m).unwrap(), bytes);
}

#[test]
fn every_subset_is_disclosed_and_verified_and_reveals_nothing_else() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path().join("ev");
    // Distinctive names, so that a name found in the bytes is a real leak.
    let names = [
        "alpha-inventory.csv",
        "bravo/one-reset.log",
        "bravo/two-reset.log",
        "charlie-risk.md",
        "delta-image.bin",
        "echo/foxtrot/golf-access.log",
        "hotel-report.md",
    ];
    tree(
        &dir,
        &names.iter().map(|n| (*n, n.as_bytes())).collect::<Vec<_>>(),
    );
    let m = d.path().join("m.cbor");
    let sealed = seal_dir(&dir, &m).unwrap();
    let all = read_manifest(&std::fs::read(&m).unwrap()).unwrap();
    for mask in 1u32..(1 << names.len()) {
        let paths: Vec<String> = (0..names.len())
            .filter(|i| mask & (1 << i) != 0)
            .map(|i| names[i].to_string())
            .collect();
        let disc = disclose(&m, &paths).unwrap();
        let bytes = disc.to_bytes().unwrap();
        let back = Disclosure::parse(&bytes).unwrap();
        let opened = check_disclosure(&back, &sealed).unwrap();
        assert_eq!(opened.items.len(), paths.len());
        assert!(check_files(&opened, &dir).unwrap().is_empty());
        // Nothing of an undisclosed item is in the bytes: not its name,
        // digests or salt.
        for item in all.iter().filter(|i| !paths.contains(&i.path)) {
            for secret in [
                item.path.as_bytes(),
                &item.sha256[..],
                &item.blake3[..],
                &item.salt[..],
            ] {
                assert!(
                    !bytes.windows(secret.len()).any(|w| w == secret),
                    "{:?} leaks through a disclosure of {paths:?}",
                    item.path
                );
            }
        }
    }
    // Tampering: a changed salt, path or proof hash; a changed file.
    let disc = disclose(
        &m,
        &["bravo/two-reset.log".into(), "delta-image.bin".into()],
    )
    .unwrap();
    let tamper = |f: &dyn Fn(&mut Disclosure)| {
        let mut x = disc.clone();
        f(&mut x);
        check_disclosure(&x, &sealed).is_err()
    };
    let item_at = |x: &mut Disclosure, k: usize, f: &dyn Fn(&mut Item)| {
        let mut it: Item = cbor::from_slice(&x.items[k].1).unwrap();
        f(&mut it);
        x.items[k].1 = cbor::to_vec(&it).unwrap();
    };
    assert!(tamper(&|x| item_at(x, 0, &|i| i.salt[3] ^= 1)));
    assert!(tamper(&|x| item_at(x, 1, &|i| i.path = "echo".into())));
    assert!(tamper(&|x| item_at(x, 1, &|i| i.sha256 =
        crate::merkle::Hash::from_bytes({
            let mut b = *i.sha256.as_bytes();
            b[0] ^= 1;
            b
        }))));
    assert!(tamper(&|x| item_at(x, 1, &|i| i.size += 1)));
    for k in 0..disc.proof.len() {
        assert!(tamper(&|x| x.proof[k] = crate::merkle::Hash::digest(b"z")));
    }
    assert!(tamper(&|x| {
        x.proof.pop();
    }));
    assert!(tamper(&|x| x.items[0].0 += 1));
    assert!(tamper(&|x| x.count += 1));
    // A well-formed disclosure that does not match the seal is a failed
    // check (exit 1), not unreadable input.
    let mut other = disc.clone();
    other.count += 1;
    assert!(matches!(
        check_disclosure(&other, &sealed),
        Err(BundleError::NotSealed(_))
    ));
    let mut other = disc.clone();
    other.proof.pop();
    assert!(matches!(
        check_disclosure(&other, &sealed),
        Err(BundleError::NotSealed(_))
    ));
    let opened = check_disclosure(&disc, &sealed).unwrap();
    std::fs::write(dir.join("delta-image.bin"), b"D").unwrap();
    assert_eq!(
        check_files(&opened, &dir).unwrap(),
        [Finding::Changed {
            path: "delta-image.bin".into(),
            what: "size 15 → 1, SHA-256 differs, BLAKE3 differs".into()
        }]
    );
    std::fs::remove_file(dir.join("bravo/two-reset.log")).unwrap();
    assert_eq!(
        check_files(&opened, &dir).unwrap()[0],
        Finding::Missing("bravo/two-reset.log".into())
    );
    // A pipe in its place is reported, never opened (it would block).
    crate::os::mkfifo(&dir.join("bravo/two-reset.log")).unwrap();
    assert!(matches!(
        &check_files(&opened, &dir).unwrap()[0],
        Finding::Unreadable { path, .. } if path == "bravo/two-reset.log"
    ));
    // Paths not in the manifest are named.
    let e = disclose(&m, &["nope".into()]).unwrap_err().to_string();
    assert!(e.contains("nope"), "{e}");
    // A disclosure that is not one.
    assert!(Disclosure::parse(b"\xa0").is_err());
}

#[test]
fn a_file_that_changes_while_hashed_is_detected() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("rewritten.img");
    std::fs::write(&p, vec![1u8; LARGE_FILE as usize * 2]).unwrap();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let (p, stop) = (p.clone(), stop.clone());
        std::thread::spawn(move || {
            // Rewrites the first bytes in place: the file never grows.
            use std::os::unix::fs::FileExt;
            let f = std::fs::OpenOptions::new().write(true).open(&p).unwrap();
            let mut b = 0u8;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                b = b.wrapping_add(1);
                f.write_all_at(&[b; 4096], 0).unwrap();
                std::thread::sleep(std::time::Duration::from_micros(200));
            }
        })
    };
    let mut changed = 0;
    for _ in 0..20 {
        match hash_file(&p) {
            Err(BundleError::Changed { path }) => {
                assert_eq!(path, p);
                changed += 1;
            }
            Err(e) => panic!("{e}"),
            Ok(_) => {}
        }
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    writer.join().unwrap();
    assert!(changed > 0, "a file rewritten throughout was never caught");
    // Once quiet, it hashes.
    assert!(hash_file(&p).is_ok());
}

#[test]
fn devices_and_names_that_cannot_travel_are_refused_by_name() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path().join("ev");
    tree(&dir, &[("ok", b"1")]);
    let fifo = dir.join("pipe");
    crate::os::mkfifo(&fifo).unwrap();
    let e = seal_dir(&dir, &d.path().join("m1"))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("pipe") && e.contains("devices, sockets and pipes"),
        "{e}"
    );
    std::fs::remove_file(&fifo).unwrap();
    std::fs::write(dir.join("back\\slash"), b"x").unwrap();
    let e = seal_dir(&dir, &d.path().join("m2"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("back\\slash"), "{e}");
    assert!(!d.path().join("m1").exists() && !d.path().join("m2").exists());
}

#[test]
fn a_manifest_being_replaced_is_kept_aside_until_its_seal_is_made() {
    let d = tempfile::tempdir().unwrap();
    tree(d.path(), &[("a", b"1"), ("b", b"2")]);
    let m = d.path().join("manifest.cbor");
    seal_dir(d.path(), &m).unwrap();
    let first = std::fs::read(&m).unwrap();
    let aside = set_aside_path(&m);
    // Set aside, resealed: the old manifest is not sealed as an item, and
    // restoring puts it back in place of the new one.
    let old = SetAside::new(&m).unwrap().unwrap();
    assert!(!m.exists() && aside.exists());
    assert_eq!(seal_dir(d.path(), &m).unwrap().items, 2);
    assert_ne!(std::fs::read(&m).unwrap(), first);
    old.restore().unwrap();
    assert_eq!(std::fs::read(&m).unwrap(), first);
    assert!(!aside.exists());
    // Dropped without a decision: restored too (a seal that failed early).
    drop(SetAside::new(&m).unwrap().unwrap());
    assert_eq!(std::fs::read(&m).unwrap(), first);
    // Discarded once the new seal is made: only the new manifest remains.
    let old = SetAside::new(&m).unwrap().unwrap();
    seal_dir(d.path(), &m).unwrap();
    let second = std::fs::read(&m).unwrap();
    old.discard().unwrap();
    assert_eq!(std::fs::read(&m).unwrap(), second);
    assert!(!aside.exists());
    // Nothing to set aside; a stale one from an interrupted seal is never
    // replaced; a directory is not a manifest.
    assert!(SetAside::new(&d.path().join("none")).unwrap().is_none());
    std::fs::write(&aside, b"stale").unwrap();
    let e = SetAside::new(&m).unwrap_err().to_string();
    assert!(e.contains("set aside by an earlier seal"), "{e}");
    assert_eq!(std::fs::read(&aside).unwrap(), b"stale");
    assert!(SetAside::new(d.path()).is_err());
}
