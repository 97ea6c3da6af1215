//! Buckets in this process's memory (`memory://NAME/PREFIX`) that can be
//! broken on purpose: the object store and lock that the publish protocol's
//! break/recover cases run against (as Sunlight's `MemoryBackend` and its
//! injected sequencing errors do), in milliseconds and without a server.
//! The real S3-compatible servers (Garage, s3s-fs) and PostgreSQL stay the
//! integration tests (`tests/failover.rs`, `tests/objects.rs`).
//!
//! A bucket is object_store's [`InMemory`] (which enforces conditional
//! creates and updates, so the store is its own lock), shared by every
//! [`ObjectTree`](super::ObjectTree) that opens the same `NAME` in this
//! process, and gone when the process ends: it is for tests and trials,
//! never for a ledger that must outlive its process.
//!
//! A [`Fault`] makes the next matching operations fail, either before they
//! reach the store ([`Effect::Refused`]: nothing was written) or after
//! ([`Effect::Lost`]: the write landed, its answer was lost — the case a
//! timeout leaves a client in).

use std::collections::HashMap;
use std::ops::Range;
use std::sync::{Arc, Mutex, OnceLock};

use futures_util::stream::{BoxStream, StreamExt};
use futures_util::FutureExt;
use object_store::memory::InMemory;
use object_store::path::Path;
use object_store::{
    CopyOptions, GetOptions, GetResult, ListResult, MultipartUpload, ObjectMeta, ObjectStore,
    ObjectStoreExt, PutMultipartOptions, PutOptions, PutPayload, PutResult, Result,
};

/// The URL scheme of a bucket in memory.
pub const SCHEME: &str = "memory://";

/// What an operation on a bucket does, for a [`Fault`] to match.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// A write: an overwrite, a conditional create or a conditional update.
    Put,
    /// A read of one object.
    Get,
    /// A removal.
    Delete,
    /// A listing.
    List,
}

/// When a faulty operation fails.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Effect {
    /// Before it reaches the store: nothing happened.
    Refused,
    /// After: the store did it, and the caller is told it failed.
    Lost,
}

/// Makes operations on a bucket fail on purpose.
#[derive(Clone, Debug)]
pub struct Fault {
    /// The operation.
    pub op: Op,
    /// Matches objects whose key (under the bucket) contains this.
    pub key_contains: String,
    /// Matching operations let through before the first failure.
    pub skip: u32,
    /// Matching operations that then fail (`u32::MAX`: every one).
    pub times: u32,
    /// When they fail.
    pub effect: Effect,
}

impl Fault {
    /// The next `op` on a key containing `key_contains` fails, refused.
    pub fn next(op: Op, key_contains: &str) -> Fault {
        Fault {
            op,
            key_contains: key_contains.to_string(),
            skip: 0,
            times: 1,
            effect: Effect::Refused,
        }
    }

    /// The same fault, failing after the store did the operation.
    pub fn lost(self) -> Fault {
        Fault {
            effect: Effect::Lost,
            ..self
        }
    }

    /// The same fault, for every matching operation until cleared.
    pub fn always(self) -> Fault {
        Fault {
            times: u32::MAX,
            ..self
        }
    }
}

/// A bucket in memory and the faults armed on it.
#[derive(Debug, Default)]
pub struct MemoryBucket {
    objects: InMemory,
    faults: Mutex<Vec<Fault>>,
    failed: Mutex<Vec<String>>,
}

fn buckets() -> &'static Mutex<HashMap<String, Arc<MemoryBucket>>> {
    static BUCKETS: OnceLock<Mutex<HashMap<String, Arc<MemoryBucket>>>> = OnceLock::new();
    BUCKETS.get_or_init(Default::default)
}

/// The bucket `name` of this process (made empty on first use).
pub fn bucket(name: &str) -> Arc<MemoryBucket> {
    let mut all = buckets().lock().unwrap_or_else(|e| e.into_inner());
    all.entry(name.to_string()).or_default().clone()
}

impl MemoryBucket {
    /// Arms `fault`.
    pub fn arm(&self, fault: Fault) {
        self.faults
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(fault);
    }

    /// Disarms every fault.
    pub fn heal(&self) {
        self.faults
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }

    /// The operations failed on purpose so far (`op key`), oldest first.
    pub fn failed(&self) -> Vec<String> {
        self.failed
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The keys of the bucket, sorted.
    pub fn keys(&self) -> Vec<String> {
        // InMemory lists from a copy taken at the call: the stream is
        // ready at once, and is never polled twice.
        let listed: Vec<Result<ObjectMeta>> = self
            .objects
            .list(None)
            .collect()
            .now_or_never()
            .unwrap_or_default();
        let mut keys: Vec<String> = listed
            .into_iter()
            .filter_map(|m| m.ok().map(|m| m.location.to_string()))
            .collect();
        keys.sort();
        keys
    }

    /// The bytes of the object `key`, if it is there.
    pub fn object(&self, key: &str) -> Option<Vec<u8>> {
        use object_store::ObjectStoreExt;
        let got = self.objects.get(&Path::from(key)).now_or_never()?.ok()?;
        got.bytes().now_or_never()?.ok().map(|b| b.to_vec())
    }

    /// Puts `data` at `key` as is (a test damaging the bucket).
    pub fn put_raw(&self, key: &str, data: Vec<u8>) {
        use object_store::ObjectStoreExt;
        let key = Path::from(key);
        self.objects
            .put(&key, data.into())
            .now_or_never()
            .expect("the bucket in memory answers at once")
            .expect("the bucket in memory takes any object");
    }

    /// The armed fault, if any, that `op` on `key` meets (counted).
    fn meets(&self, op: Op, key: &Path) -> Option<Effect> {
        let key = key.as_ref();
        let mut faults = self.faults.lock().unwrap_or_else(|e| e.into_inner());
        let f = faults
            .iter_mut()
            .find(|f| f.op == op && key.contains(&f.key_contains) && f.times > 0)?;
        if f.skip > 0 {
            f.skip -= 1;
            return None;
        }
        f.times = f.times.saturating_sub(u32::from(f.times != u32::MAX));
        let effect = f.effect;
        drop(faults);
        self.failed
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(format!("{op:?} {key}"));
        Some(effect)
    }
}

fn broken(op: Op, key: &Path, effect: Effect) -> object_store::Error {
    let what = match effect {
        Effect::Refused => "refused on purpose",
        Effect::Lost => "done, and its answer lost on purpose",
    };
    object_store::Error::Generic {
        store: "memory",
        source: format!("{op:?} {key}: {what}").into(),
    }
}

/// A bucket as an [`ObjectStore`], failing where its faults say.
#[derive(Debug)]
pub(crate) struct Breakable(pub(crate) Arc<MemoryBucket>);

impl std::fmt::Display for Breakable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "MemoryBucket")
    }
}

/// The store and the prefix of `url` (`memory://NAME/PREFIX`).
pub(crate) fn open(url: &str) -> Option<(Arc<dyn ObjectStore>, Path)> {
    let rest = url.strip_prefix(SCHEME)?;
    let (name, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    let prefix = prefix
        .split('/')
        .filter(|p| !p.is_empty())
        .fold(Path::default(), |p, part| p.join(part));
    Some((Arc::new(Breakable(bucket(name))), prefix))
}

#[async_trait::async_trait]
impl ObjectStore for Breakable {
    async fn put_opts(
        &self,
        location: &Path,
        payload: PutPayload,
        opts: PutOptions,
    ) -> Result<PutResult> {
        let fault = self.0.meets(Op::Put, location);
        if fault == Some(Effect::Refused) {
            return Err(broken(Op::Put, location, Effect::Refused));
        }
        let done = self.0.objects.put_opts(location, payload, opts).await?;
        match fault {
            Some(effect) => Err(broken(Op::Put, location, effect)),
            None => Ok(done),
        }
    }

    async fn put_multipart_opts(
        &self,
        location: &Path,
        opts: PutMultipartOptions,
    ) -> Result<Box<dyn MultipartUpload>> {
        if let Some(effect) = self.0.meets(Op::Put, location) {
            return Err(broken(Op::Put, location, effect));
        }
        self.0.objects.put_multipart_opts(location, opts).await
    }

    async fn get_opts(&self, location: &Path, options: GetOptions) -> Result<GetResult> {
        if let Some(effect) = self.0.meets(Op::Get, location) {
            return Err(broken(Op::Get, location, effect));
        }
        self.0.objects.get_opts(location, options).await
    }

    async fn get_ranges(
        &self,
        location: &Path,
        ranges: &[Range<u64>],
    ) -> Result<Vec<bytes::Bytes>> {
        if let Some(effect) = self.0.meets(Op::Get, location) {
            return Err(broken(Op::Get, location, effect));
        }
        self.0.objects.get_ranges(location, ranges).await
    }

    fn delete_stream(
        &self,
        locations: BoxStream<'static, Result<Path>>,
    ) -> BoxStream<'static, Result<Path>> {
        let bucket = self.0.clone();
        locations
            .then(move |location| {
                let bucket = bucket.clone();
                async move {
                    let location = location?;
                    let fault = bucket.meets(Op::Delete, &location);
                    if fault == Some(Effect::Refused) {
                        return Err(broken(Op::Delete, &location, Effect::Refused));
                    }
                    bucket.objects.delete(&location).await?;
                    match fault {
                        Some(effect) => Err(broken(Op::Delete, &location, effect)),
                        None => Ok(location),
                    }
                }
            })
            .boxed()
    }

    fn list(&self, prefix: Option<&Path>) -> BoxStream<'static, Result<ObjectMeta>> {
        let key = prefix.cloned().unwrap_or_default();
        if let Some(effect) = self.0.meets(Op::List, &key) {
            let e = broken(Op::List, &key, effect);
            return futures_util::stream::once(async move { Err(e) }).boxed();
        }
        self.0.objects.list(prefix)
    }

    async fn list_with_delimiter(&self, prefix: Option<&Path>) -> Result<ListResult> {
        let key = prefix.cloned().unwrap_or_default();
        if let Some(effect) = self.0.meets(Op::List, &key) {
            return Err(broken(Op::List, &key, effect));
        }
        self.0.objects.list_with_delimiter(prefix).await
    }

    async fn copy_opts(&self, from: &Path, to: &Path, options: CopyOptions) -> Result<()> {
        if let Some(effect) = self.0.meets(Op::Put, to) {
            return Err(broken(Op::Put, to, effect));
        }
        self.0.objects.copy_opts(from, to, options).await
    }
}
