//! The lock that keeps two sequencers from forking a log whose public tree
//! lives in object storage: the log's latest checkpoint, replaced only by
//! compare-and-swap. This is the PostgreSQL one (for stores that do not
//! enforce conditional writes, see `ObjectTree::probe_conditional_writes`):
//! one row per log in `triage_ledger_checkpoint`, replaced by an `UPDATE`
//! whose `WHERE` names the checkpoint the sequencer last saw.

use std::future::Future;

use super::StoreError;

/// A compare-and-swap register holding a log's latest checkpoint.
pub trait CheckpointLock: Send {
    /// The checkpoint the lock holds; `None` before the first.
    fn fetch(&self) -> Result<Option<Vec<u8>>, StoreError>;

    /// Replaces `old` (`None`: the lock is empty) with `new`. `Ok(false)`
    /// when the lock no longer holds `old`: another sequencer moved first.
    fn swap(&self, old: Option<&[u8]>, new: &[u8]) -> Result<bool, StoreError>;

    /// Runs `f` if the lock holds `expected`; `Ok(false)` (and `f` not run)
    /// if it does not. The default checks and then runs `f`, so a swap may
    /// land while `f` runs; a lock that can do better holds the swap off.
    fn while_holding(
        &self,
        expected: &[u8],
        f: &mut dyn FnMut() -> Result<(), StoreError>,
    ) -> Result<bool, StoreError> {
        if self.fetch()?.as_deref() != Some(expected) {
            return Ok(false);
        }
        f()?;
        Ok(true)
    }

    /// Where the lock is, for messages.
    fn name(&self) -> String;
}

/// The lock in PostgreSQL (`postgres://USER@HOST:PORT/DB`).
pub struct PgLock {
    /// The URL without its password (for messages).
    url: String,
    log: String,
    client: std::sync::Arc<tokio_postgres::Client>,
    rt: tokio::runtime::Runtime,
}

const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS triage_ledger_checkpoint (\
     log TEXT PRIMARY KEY, body BYTEA NOT NULL, updated TIMESTAMPTZ NOT NULL DEFAULT now())";

impl PgLock {
    /// Connects to `url` (no TLS: a database on the same host or network)
    /// and makes the table if it is missing; `log` names the row (the
    /// log's origin).
    pub fn connect(url: &str, log: &str) -> Result<PgLock, StoreError> {
        let shown = redacted(url);
        let failed = |reason: String| StoreError::Io {
            path: shown.clone().into(),
            source: std::io::Error::other(reason),
        };
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("pg-lock")
            .enable_all()
            .build()
            .map_err(|e| failed(e.to_string()))?;
        let target = url.to_string();
        let client = run(&rt, async move {
            let (client, conn) = tokio_postgres::connect(&target, tokio_postgres::NoTls).await?;
            tokio::spawn(async move {
                if let Err(e) = conn.await {
                    tracing::warn!(error = %e, "lock database connection ended");
                }
            });
            client.batch_execute(SCHEMA).await?;
            Ok::<_, tokio_postgres::Error>(client)
        })
        .map_err(failed)?
        .map_err(|e| failed(pg_error(&e)))?;
        Ok(PgLock {
            url: redacted(url),
            log: log.to_string(),
            client: std::sync::Arc::new(client),
            rt,
        })
    }

    fn failed(&self, e: impl std::fmt::Display) -> StoreError {
        StoreError::Io {
            path: self.url.clone().into(),
            source: std::io::Error::other(e.to_string()),
        }
    }
}

/// A PostgreSQL error with its cause ("error connecting to server:
/// Connection refused").
fn pg_error(e: &tokio_postgres::Error) -> String {
    match std::error::Error::source(e) {
        Some(cause) => format!("{e}: {cause}"),
        None => e.to_string(),
    }
}

/// `url` without its password, for messages.
fn redacted(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        Ok(_) => url.to_string(),
        Err(_) => "the lock's URL (unparsable)".to_string(),
    }
}

/// Runs `fut` on `rt` and waits for it from any thread (also from inside
/// another runtime, where `block_on` would panic).
pub(super) fn run<T: Send + 'static>(
    rt: &tokio::runtime::Runtime,
    fut: impl Future<Output = T> + Send + 'static,
) -> Result<T, String> {
    let (tx, rx) = std::sync::mpsc::channel();
    rt.spawn(async move {
        let _ = tx.send(fut.await);
    });
    rx.recv()
        .map_err(|_| "the lock's runtime stopped".to_string())
}

impl CheckpointLock for PgLock {
    fn fetch(&self) -> Result<Option<Vec<u8>>, StoreError> {
        let (client, log) = (self.client.clone(), self.log.clone());
        let row = run(&self.rt, async move {
            client
                .query_opt(
                    "SELECT body FROM triage_ledger_checkpoint WHERE log = $1",
                    &[&log],
                )
                .await
        })
        .map_err(|e| self.failed(e))?
        .map_err(|e| self.failed(pg_error(&e)))?;
        Ok(row.map(|r| r.get::<_, Vec<u8>>(0)))
    }

    fn swap(&self, old: Option<&[u8]>, new: &[u8]) -> Result<bool, StoreError> {
        let (client, log) = (self.client.clone(), self.log.clone());
        let (old, new) = (old.map(<[u8]>::to_vec), new.to_vec());
        // One statement each: under READ COMMITTED a concurrent UPDATE of
        // the row waits, then re-checks its WHERE against the new row, so
        // exactly one of two racing sequencers changes it.
        let changed = run(&self.rt, async move {
            match old {
                None => {
                    client
                        .execute(
                            "INSERT INTO triage_ledger_checkpoint (log, body) VALUES ($1, $2) \
                             ON CONFLICT (log) DO NOTHING",
                            &[&log, &new],
                        )
                        .await
                }
                Some(old) => {
                    client
                        .execute(
                            "UPDATE triage_ledger_checkpoint SET body = $2, updated = now() \
                             WHERE log = $1 AND body = $3",
                            &[&log, &new, &old],
                        )
                        .await
                }
            }
        })
        .map_err(|e| self.failed(e))?
        .map_err(|e| self.failed(pg_error(&e)))?;
        Ok(changed == 1)
    }

    /// Holds the row (`SELECT … FOR UPDATE`) while `f` runs: a racing
    /// `swap` waits until `f` is done, so the public checkpoint `f` writes
    /// can never replace a newer one written after a later swap.
    fn while_holding(
        &self,
        expected: &[u8],
        f: &mut dyn FnMut() -> Result<(), StoreError>,
    ) -> Result<bool, StoreError> {
        let (client, log) = (self.client.clone(), self.log.clone());
        let held = run(&self.rt, async move {
            client.batch_execute("BEGIN").await?;
            let row = client
                .query_opt(
                    "SELECT body FROM triage_ledger_checkpoint WHERE log = $1 FOR UPDATE",
                    &[&log],
                )
                .await?;
            Ok::<_, tokio_postgres::Error>(row.map(|r| r.get::<_, Vec<u8>>(0)))
        })
        .map_err(|e| self.failed(e))?;
        let end = |sql: &'static str| {
            let client = self.client.clone();
            run(&self.rt, async move { client.batch_execute(sql).await })
                .map_err(|e| self.failed(e))?
                .map_err(|e| self.failed(pg_error(&e)))
        };
        let held = match held {
            Ok(h) => h,
            Err(e) => {
                let _ = end("ROLLBACK");
                return Err(self.failed(pg_error(&e)));
            }
        };
        if held.as_deref() != Some(expected) {
            end("ROLLBACK")?;
            return Ok(false);
        }
        let done = f();
        end(if done.is_ok() { "COMMIT" } else { "ROLLBACK" })?;
        done.map(|()| true)
    }

    fn name(&self) -> String {
        self.url.clone()
    }
}

/// The lock as an object (`PREFIX/lock/checkpoint`) of a store that
/// enforces conditional writes, replaced with `If-Match` on its ETag and
/// first made with `If-None-Match: *`. Opening it tries both on a scratch
/// object first, and refuses a store that ignores them.
pub struct ObjectLock {
    tree: super::ObjectTree,
}

const LOCK_OBJECT: &str = "lock/checkpoint";
/// A checkpoint with cosignatures is well under this.
const LOCK_LIMIT: u64 = 1 << 16;

impl ObjectLock {
    /// The lock of the public tree at `url`, after proving that the store
    /// refuses a second create and a stale update.
    pub fn open(url: &str) -> Result<ObjectLock, StoreError> {
        let tree = super::ObjectTree::open(url)?;
        let found = tree.probe_conditional_writes()?;
        if !found.enforced() {
            return Err(StoreError::LockRequired {
                public: url.to_string(),
                found: found.to_string(),
            });
        }
        Ok(ObjectLock { tree })
    }
}

impl CheckpointLock for ObjectLock {
    fn fetch(&self) -> Result<Option<Vec<u8>>, StoreError> {
        self.tree.get_limited(LOCK_OBJECT, LOCK_LIMIT)
    }

    fn swap(&self, old: Option<&[u8]>, new: &[u8]) -> Result<bool, StoreError> {
        let Some(old) = old else {
            return self.tree.create(LOCK_OBJECT, new.to_vec());
        };
        match self.tree.get_versioned(LOCK_OBJECT, LOCK_LIMIT)? {
            Some((body, version)) if body == old => {
                self.tree.update(LOCK_OBJECT, new.to_vec(), version)
            }
            _ => Ok(false),
        }
    }

    fn name(&self) -> String {
        self.tree.locate_str(LOCK_OBJECT)
    }
}
