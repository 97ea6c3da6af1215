//! A confidential ledger's private part: the VRF key that labels its
//! facilities, and the openings of its commitment leaves
//! ([`crate::commitment`]).
//!
//! ```text
//! LEDGER/labels.vrf                 the VRF public key (public; its presence
//!                                   makes the ledger confidential)
//! LEDGER/private/labels.vrf.key     the VRF secret key (0600)
//! LEDGER/private/openings/tile/entries/<N>[.p/<W>]
//!                                   one bundle per public entry bundle, in the
//!                                   same C2SP bundle encoding: entry i is
//!                                   salt ‖ statement for a commitment leaf,
//!                                   empty for an index entry (public as is)
//! ```
//!
//! The writer writes each openings bundle before the public bundle it
//! opens and makes both durable before the checkpoint that commits them
//! (one `syncfs`), so a crash at any instant leaves every committed leaf
//! openable; what lies past the checkpoint is removed at the next opening,
//! as tiles are.

use std::fs;
use std::path::Path;

use base64::Engine;
use zeroize::Zeroizing;

use super::{fsio, tiles, Layout, StoreError, TILE_WIDTH};
use crate::commitment::{self, LabelKey, Opening};
use crate::vrf::VrfSecretKey;

/// Makes the ledger at `root` (just initialised, named `origin`)
/// confidential: a fresh VRF key, its public half beside the verifier key.
pub fn make_confidential(root: &Path, origin: &str) -> Result<LabelKey, StoreError> {
    let layout = Layout::new(root);
    let secret = VrfSecretKey::generate();
    let text = Zeroizing::new(format!(
        "{}\n",
        base64::engine::general_purpose::STANDARD.encode(secret.seed())
    ));
    fsio::write_private_file(&layout.label_secret(), text.as_bytes())?;
    let key = LabelKey {
        origin: origin.to_string(),
        key: *secret.public(),
    };
    let mut w = fsio::AtomicWriter::new(layout.tmp_dir())?;
    w.write(&layout.label_key(), key.to_text().as_bytes(), true)?;
    Ok(key)
}

/// The ledger's VRF public key (`LEDGER/labels.vrf`).
pub fn read_label_key(layout: &Layout) -> Result<LabelKey, StoreError> {
    let path = layout.label_key();
    let text = fs::read_to_string(&path).map_err(|e| StoreError::io(&path, e))?;
    LabelKey::parse(&text).map_err(|reason| StoreError::corrupt(&path, reason))
}

/// The ledger's VRF secret key, checked against its public key.
pub fn read_label_secret(layout: &Layout) -> Result<VrfSecretKey, StoreError> {
    let public = read_label_key(layout)?;
    let path = layout.label_secret();
    let text = Zeroizing::new(fs::read_to_string(&path).map_err(|e| StoreError::io(&path, e))?);
    let raw = Zeroizing::new(
        base64::engine::general_purpose::STANDARD
            .decode(text.trim_end())
            .map_err(|_| StoreError::corrupt(&path, "is not a base64 key".into()))?,
    );
    let seed: [u8; 32] = raw
        .as_slice()
        .try_into()
        .map_err(|_| StoreError::corrupt(&path, "is not a 32-byte key".into()))?;
    let secret = VrfSecretKey::from_seed(&seed);
    if *secret.public() != public.key {
        return Err(StoreError::corrupt(
            &path,
            format!("does not match {}", layout.label_key().display()),
        ));
    }
    Ok(secret)
}

/// Reads the openings of a ledger as of a tree size, one bundle at a time.
pub struct Openings {
    layout: Layout,
    size: u64,
    bundle: Option<(u64, Vec<u8>)>,
}

impl Openings {
    /// The openings of the tree of `size` entries.
    pub fn new(layout: &Layout, size: u64) -> Self {
        Openings {
            layout: layout.clone(),
            size,
            bundle: None,
        }
    }

    /// What entry `index`, whose public (checked) leaf is `leaf`, holds: the
    /// leaf itself if it is public as is (an index entry), else the
    /// statement its opening gives, checked against the leaf.
    pub fn open(&mut self, index: u64, leaf: &[u8]) -> Result<Vec<u8>, StoreError> {
        Ok(match self.opening(index, leaf)? {
            Some(o) => o.statement,
            None => leaf.to_vec(),
        })
    }

    /// The opening of entry `index` (its public leaf `leaf`), checked; `None`
    /// for a leaf that is public as is.
    pub fn opening(&mut self, index: u64, leaf: &[u8]) -> Result<Option<Opening>, StoreError> {
        if !commitment::is_leaf(leaf) {
            return Ok(None);
        }
        let n = index / TILE_WIDTH;
        let width = tiles::tile_width(self.size, n);
        let path = self.layout.openings(n, width);
        if self.bundle.as_ref().map(|(m, _)| *m) != Some(n) {
            let data = fs::read(&path).map_err(|e| StoreError::io(&path, e))?;
            self.bundle = Some((n, data));
        }
        let (_, data) = self.bundle.as_ref().expect("read above");
        let entries = tiles::bundle_at(data, width, &path)?;
        let raw = entries[(index % TILE_WIDTH) as usize];
        let opening = Opening::from_bytes(raw)
            .filter(|o| o.opens(leaf))
            .ok_or_else(|| {
                StoreError::corrupt(
                    &path,
                    format!("does not hold the opening of entry {index}; run `log audit`"),
                )
            })?;
        Ok(Some(opening))
    }
}
