//! The public tree in object storage (`s3://BUCKET/PREFIX`, through the
//! `object_store` crate), read as a [`PublicTree`]. The store is configured
//! from the standard environment variables of the service (`AWS_ENDPOINT`,
//! `AWS_REGION`, `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
//! `AWS_ALLOW_HTTP` for a local test server, …).

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;

use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt, PutMode, PutOptions, UpdateVersion};

use super::public::PublicTree;
use super::StoreError;

/// The largest object read: an entry bundle of 256 entries of 64 KiB.
const MAX_OBJECT: u64 = 256 * (2 + 65_535);

/// True for a location this module reads (`s3://…`).
pub fn is_object_url(location: &str) -> bool {
    location.starts_with("s3://")
}

/// A public tree under a prefix of a bucket.
pub struct ObjectTree {
    url: String,
    store: Arc<dyn ObjectStore>,
    prefix: ObjectPath,
    rt: tokio::runtime::Runtime,
}

impl ObjectTree {
    /// The tree at `url` (`s3://BUCKET/PREFIX`), with the store configured
    /// from the environment.
    pub fn open(url: &str) -> Result<ObjectTree, StoreError> {
        let failed = |reason: String| StoreError::Io {
            path: url.into(),
            source: std::io::Error::other(reason),
        };
        // object_store's HTTP client takes its TLS provider from the process
        // default: ring, as the rest of the tool uses (a second call is a
        // harmless refusal).
        let _ = rustls::crypto::ring::default_provider().install_default();
        let parsed = url::Url::parse(url).map_err(|e| failed(e.to_string()))?;
        let options = std::env::vars().filter(|(k, _)| k.starts_with("AWS_"));
        let (store, prefix) =
            object_store::parse_url_opts(&parsed, options).map_err(|e| failed(e.to_string()))?;
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("object-store")
            .enable_all()
            .build()
            .map_err(|e| failed(e.to_string()))?;
        Ok(ObjectTree {
            url: url.trim_end_matches('/').to_string(),
            store: Arc::from(store),
            prefix,
            rt,
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

    fn key(&self, rel: &str) -> ObjectPath {
        rel.split('/')
            .filter(|p| !p.is_empty())
            .fold(self.prefix.clone(), |p, part| p.join(part))
    }

    /// Writes `data` at `rel` (an overwrite), durably once it returns.
    pub fn put(&self, rel: &str, data: Vec<u8>) -> Result<(), StoreError> {
        let (store, key) = (self.store.clone(), self.key(rel));
        self.run(async move { store.put(&key, data.into()).await })?
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
        self.run(async move {
            store
                .put_opts(&key, data.into(), PutOptions::from(mode))
                .await
        })
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

impl PublicTree for ObjectTree {
    fn get(&self, rel: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let (store, key) = (self.store.clone(), self.key(rel));
        let got = self.run(async move {
            match store.get(&key).await {
                Ok(r) if r.meta.size > MAX_OBJECT => Err(object_store::Error::Generic {
                    store: "public tree",
                    source: format!(
                        "{} bytes, over the {MAX_OBJECT}-byte limit of a tile",
                        r.meta.size
                    )
                    .into(),
                }),
                Ok(r) => r.bytes().await.map(Some),
                Err(object_store::Error::NotFound { .. }) => Ok(None),
                Err(e) => Err(e),
            }
        })?;
        got.map(|b| b.map(|b| b.to_vec()))
            .map_err(|e| StoreError::Io {
                path: self.locate(rel),
                source: std::io::Error::other(e.to_string()),
            })
    }

    fn locate(&self, rel: &str) -> PathBuf {
        format!("{}/{rel}", self.url).into()
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
