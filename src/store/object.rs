//! The public tree in object storage (`s3://BUCKET/PREFIX`, through the
//! `object_store` crate), read as a [`PublicTree`]. The store is configured
//! from the standard environment variables of the service (`AWS_ENDPOINT`,
//! `AWS_REGION`, `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
//! `AWS_ALLOW_HTTP` for a local test server, …).

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;

use object_store::path::Path as ObjectPath;
use object_store::{
    Attribute, Attributes, ObjectStore, ObjectStoreExt, PutMode, PutOptions, UpdateVersion,
};

use super::public::PublicTree;
use super::StoreError;

/// The largest object read: an entry bundle of 256 entries of 64 KiB.
const MAX_OBJECT: u64 = 256 * (2 + 65_535);

/// How long an object may be cached (a CDN in front of the bucket, or a
/// client reading it directly): tiles never change (a partial tile is a
/// different object from the full one); the checkpoint changes at every
/// commit; staging and lock objects are not for readers.
pub fn cache_control(rel: &str) -> &'static str {
    if rel.starts_with("tile/") {
        "public, max-age=31536000, immutable"
    } else if rel == "checkpoint" {
        "no-cache"
    } else {
        "no-store"
    }
}

fn put_options(rel: &str, mode: PutMode) -> PutOptions {
    let content_type = if rel == "checkpoint" {
        "text/plain; charset=utf-8"
    } else {
        "application/octet-stream"
    };
    PutOptions {
        mode,
        attributes: Attributes::from_iter([
            (Attribute::CacheControl, cache_control(rel)),
            (Attribute::ContentType, content_type),
        ]),
        ..PutOptions::default()
    }
}

/// True for a location this module reads: `s3://BUCKET/PREFIX`, or
/// `memory://NAME/PREFIX` (a bucket in this process's memory, for tests:
/// [`memory`](super::memory)).
pub fn is_object_url(location: &str) -> bool {
    location.starts_with("s3://") || location.starts_with(super::memory::SCHEME)
}

/// A public tree under a prefix of a bucket.
pub struct ObjectTree {
    url: String,
    store: Arc<dyn ObjectStore>,
    prefix: ObjectPath,
    rt: tokio::runtime::Runtime,
    writes: std::sync::atomic::AtomicU64,
}

impl ObjectTree {
    /// The tree at `url` (`s3://BUCKET/PREFIX`), with the store configured
    /// from the environment; or `memory://NAME/PREFIX`, a bucket in this
    /// process's memory ([`memory`](super::memory)).
    pub fn open(url: &str) -> Result<ObjectTree, StoreError> {
        let failed = |reason: String| StoreError::Io {
            path: url.into(),
            source: std::io::Error::other(reason),
        };
        // object_store's HTTP client takes its TLS provider from the process
        // default: ring, as the rest of the tool uses (a second call is a
        // harmless refusal).
        let _ = rustls::crypto::ring::default_provider().install_default();
        let (store, prefix) = match super::memory::open(url) {
            Some(found) => found,
            None => {
                let parsed = url::Url::parse(url).map_err(|e| failed(e.to_string()))?;
                let options = std::env::vars().filter(|(k, _)| k.starts_with("AWS_"));
                let (store, prefix) = object_store::parse_url_opts(&parsed, options)
                    .map_err(|e| failed(e.to_string()))?;
                (Arc::from(store), prefix)
            }
        };
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("object-store")
            .enable_all()
            .build()
            .map_err(|e| failed(e.to_string()))?;
        Ok(ObjectTree {
            url: url.trim_end_matches('/').to_string(),
            store,
            prefix,
            rt,
            writes: Default::default(),
        })
    }

    /// Runs `fut` on this tree's runtime and waits for it; callable from
    /// any thread, inside another runtime or not.
    fn run<T: Send + 'static>(
        &self,
        fut: impl Future<Output = T> + Send + 'static,
    ) -> Result<T, StoreError> {
        super::lock::run(&self.rt, fut).map_err(|reason| StoreError::Io {
            path: self.url.clone().into(),
            source: std::io::Error::other(reason),
        })
    }

    /// Where `rel` is, as a URL.
    pub(crate) fn locate_str(&self, rel: &str) -> String {
        format!("{}/{rel}", self.url)
    }

    /// The tree's URL (`s3://BUCKET/PREFIX`).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Objects written (puts) through this handle so far.
    pub fn writes(&self) -> u64 {
        self.writes.load(std::sync::atomic::Ordering::Relaxed)
    }

    fn count(&self, n: u64) {
        self.writes
            .fetch_add(n, std::sync::atomic::Ordering::Relaxed);
    }

    fn key(&self, rel: &str) -> ObjectPath {
        rel.split('/')
            .filter(|p| !p.is_empty())
            .fold(self.prefix.clone(), |p, part| p.join(part))
    }

    /// Writes `data` at `rel` (an overwrite), durably once it returns.
    pub fn put(&self, rel: &str, data: Vec<u8>) -> Result<(), StoreError> {
        let (store, key) = (self.store.clone(), self.key(rel));
        self.count(1);
        let opts = put_options(rel, PutMode::Overwrite);
        self.run(async move { store.put_opts(&key, data.into(), opts).await })?
            .map(|_| ())
            .map_err(|e| StoreError::Io {
                path: self.locate(rel),
                source: std::io::Error::other(e.to_string()),
            })
    }
}

/// What a store does with the conditional writes a lock relies on, found
/// by trying them (some S3-compatible servers accept the headers and ignore
/// them: Garage 2.5 overwrites on `If-None-Match: *` and answers 200).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConditionalWrites {
    /// A second create of an object (`If-None-Match: *`) was refused.
    pub create_refused: bool,
    /// A write that names an old version (`If-Match: ETAG`) was refused.
    pub stale_update_refused: bool,
}

impl std::fmt::Display for ConditionalWrites {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let said = |refused: bool| if refused { "refused" } else { "accepted" };
        write!(
            f,
            "a second create with If-None-Match: * was {}; an update with a stale If-Match was {}",
            said(self.create_refused),
            said(self.stale_update_refused)
        )
    }
}

impl ConditionalWrites {
    /// True when both are enforced: a compare-and-swap on this store holds.
    pub fn enforced(&self) -> bool {
        self.create_refused && self.stale_update_refused
    }
}

impl ObjectTree {
    fn io(&self, rel: &str, e: object_store::Error) -> StoreError {
        StoreError::Io {
            path: self.locate(rel),
            source: std::io::Error::other(e.to_string()),
        }
    }

    fn put_mode(
        &self,
        rel: &str,
        data: Vec<u8>,
        mode: PutMode,
    ) -> Result<Result<object_store::PutResult, object_store::Error>, StoreError> {
        let (store, key) = (self.store.clone(), self.key(rel));
        self.count(1);
        let opts = put_options(rel, mode);
        self.run(async move { store.put_opts(&key, data.into(), opts).await })
    }

    /// Tries the conditional writes on a scratch object under
    /// `PREFIX/probe/`, and removes it.
    pub fn probe_conditional_writes(&self) -> Result<ConditionalWrites, StoreError> {
        use rand_core::RngCore;
        let mut nonce = [0u8; 16];
        rand_core::OsRng.fill_bytes(&mut nonce);
        let rel = format!("probe/{}", crate::hex::encode(&nonce));
        let first = self
            .put_mode(&rel, b"first".to_vec(), PutMode::Create)?
            .map_err(|e| self.io(&rel, e))?;
        let create_refused = match self.put_mode(&rel, b"second".to_vec(), PutMode::Create)? {
            Err(object_store::Error::AlreadyExists { .. }) => true,
            Ok(_) => false,
            Err(e) => return Err(self.io(&rel, e)),
        };
        self.put_mode(&rel, b"third".to_vec(), PutMode::Overwrite)?
            .map_err(|e| self.io(&rel, e))?;
        let stale = UpdateVersion::from(first);
        let stale_update_refused =
            match self.put_mode(&rel, b"fourth".to_vec(), PutMode::Update(stale))? {
                Err(object_store::Error::Precondition { .. }) => true,
                Ok(_) => false,
                Err(e) => return Err(self.io(&rel, e)),
            };
        let (store, key) = (self.store.clone(), self.key(&rel));
        let _ = self.run(async move { store.delete(&key).await });
        Ok(ConditionalWrites {
            create_refused,
            stale_update_refused,
        })
    }
}

impl ObjectTree {
    /// The object at `rel` and its version (for a conditional update), if
    /// it is at most `limit` bytes; `None` if there is none.
    pub(crate) fn get_versioned(
        &self,
        rel: &str,
        limit: u64,
    ) -> Result<Option<(Vec<u8>, UpdateVersion)>, StoreError> {
        let (store, key) = (self.store.clone(), self.key(rel));
        let got = self.run(async move {
            match store.get(&key).await {
                Ok(r) if r.meta.size > limit => Err(object_store::Error::Generic {
                    store: "public tree",
                    source: format!("{} bytes, over the {limit}-byte limit", r.meta.size).into(),
                }),
                Ok(r) => {
                    let version = UpdateVersion {
                        e_tag: r.meta.e_tag.clone(),
                        version: r.meta.version.clone(),
                    };
                    r.bytes().await.map(|b| Some((b.to_vec(), version)))
                }
                Err(object_store::Error::NotFound { .. }) => Ok(None),
                Err(e) => Err(e),
            }
        })?;
        got.map_err(|e| self.io(rel, e))
    }

    /// The object at `rel` if it is at most `limit` bytes.
    pub(crate) fn get_limited(&self, rel: &str, limit: u64) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.get_versioned(rel, limit)?.map(|(b, _)| b))
    }

    /// Writes `data` at `rel` only if no object is there; `Ok(false)` if
    /// one is (on a store that enforces conditional creates).
    pub(crate) fn create(&self, rel: &str, data: Vec<u8>) -> Result<bool, StoreError> {
        match self.put_mode(rel, data, PutMode::Create)? {
            Ok(_) => Ok(true),
            Err(object_store::Error::AlreadyExists { .. }) => Ok(false),
            Err(e) => Err(self.io(rel, e)),
        }
    }

    /// Replaces the object at `rel` only if it is still at `version`;
    /// `Ok(false)` if it has changed since.
    pub(crate) fn update(
        &self,
        rel: &str,
        data: Vec<u8>,
        version: UpdateVersion,
    ) -> Result<bool, StoreError> {
        match self.put_mode(rel, data, PutMode::Update(version))? {
            Ok(_) => Ok(true),
            Err(object_store::Error::Precondition { .. }) => Ok(false),
            Err(e) => Err(self.io(rel, e)),
        }
    }

    /// Writes many objects (overwrites), several at a time; durable once it
    /// returns.
    pub(crate) fn put_all(&self, objects: Vec<(String, Vec<u8>)>) -> Result<(), StoreError> {
        const IN_FLIGHT: usize = 16;
        let mut objects = objects.into_iter().peekable();
        while objects.peek().is_some() {
            let batch: Vec<(String, Vec<u8>)> = objects.by_ref().take(IN_FLIGHT).collect();
            let jobs: Vec<(String, ObjectPath, Vec<u8>)> = batch
                .into_iter()
                .map(|(rel, data)| {
                    let key = self.key(&rel);
                    (rel, key, data)
                })
                .collect();
            let store = self.store.clone();
            self.count(jobs.len() as u64);
            let results = self.run(async move {
                let mut set = tokio::task::JoinSet::new();
                for (rel, key, data) in jobs {
                    let store = store.clone();
                    let opts = put_options(&rel, PutMode::Overwrite);
                    set.spawn(async move { (rel, store.put_opts(&key, data.into(), opts).await) });
                }
                let mut out = Vec::new();
                while let Some(r) = set.join_next().await {
                    out.push(r);
                }
                out
            })?;
            for r in results {
                let (rel, r) = r.map_err(|e| StoreError::Io {
                    path: self.url.clone().into(),
                    source: std::io::Error::other(e.to_string()),
                })?;
                r.map_err(|e| self.io(&rel, e))?;
            }
        }
        Ok(())
    }

    /// Every object under `rel` (a folder; `""` for the whole tree), as
    /// paths relative to the tree, sorted.
    pub fn list(&self, rel: &str) -> Result<Vec<String>, StoreError> {
        let mut out = Vec::new();
        let mut todo = vec![self.key(rel)];
        let prefix_parts = self.prefix.parts().count();
        while let Some(dir) = todo.pop() {
            let store = self.store.clone();
            let listed = self
                .run(async move { store.list_with_delimiter(Some(&dir)).await })?
                .map_err(|e| self.io(rel, e))?;
            todo.extend(listed.common_prefixes);
            for o in listed.objects {
                let parts: Vec<String> = o
                    .location
                    .parts()
                    .skip(prefix_parts)
                    .map(|p| p.as_ref().to_string())
                    .collect();
                out.push(parts.join("/"));
            }
        }
        out.sort();
        Ok(out)
    }

    /// The `Cache-Control` the store answers for the object at `rel`.
    pub fn cache_control_of(&self, rel: &str) -> Result<Option<String>, StoreError> {
        let (store, key) = (self.store.clone(), self.key(rel));
        let got = self.run(async move { store.get(&key).await })?;
        let got = got.map_err(|e| self.io(rel, e))?;
        Ok(got
            .attributes
            .get(&Attribute::CacheControl)
            .map(|v| v.to_string()))
    }

    /// Removes the object at `rel` (absent is fine).
    pub(crate) fn delete(&self, rel: &str) -> Result<(), StoreError> {
        let (store, key) = (self.store.clone(), self.key(rel));
        match self.run(async move { store.delete(&key).await })? {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(self.io(rel, e)),
        }
    }
}

impl PublicTree for ObjectTree {
    fn get(&self, rel: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.get_limited(rel, MAX_OBJECT)
    }

    fn locate(&self, rel: &str) -> PathBuf {
        self.locate_str(rel).into()
    }

    fn partial_widths(&self, full_rel: &str) -> Result<Option<Vec<u64>>, StoreError> {
        let (store, key) = (self.store.clone(), self.key(&format!("{full_rel}.p")));
        let listed = self.run(async move { store.list_with_delimiter(Some(&key)).await })?;
        let listed = listed.map_err(|e| StoreError::Io {
            path: self.locate(full_rel),
            source: std::io::Error::other(e.to_string()),
        })?;
        let mut widths: Vec<u64> = listed
            .objects
            .iter()
            .filter_map(|o| o.location.filename()?.parse::<u64>().ok())
            .filter(|w| (1..super::tiles::TILE_WIDTH).contains(w))
            .collect();
        widths.sort_unstable();
        Ok(Some(widths))
    }
}
