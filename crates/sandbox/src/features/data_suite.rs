//! The data suite's storage (topics 8-13, 26, 28): one [`Storage`] per sandbox (SQLite in
//! memory by default, a SQLite file with `data_path`), opened and seeded on first use so
//! the sandbox still starts in milliseconds, and reset per topic.
//!
//! Resets come from `/_dojo/topics/{id}/reset`, whose hooks cannot wait. A hook only
//! records the topic; the next data request applies pending resets under a write lock
//! before it reads, so every request after a reset's answer sees the reset data, and no
//! request ever sees half of one.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use dojo_storage::model::{Millis, Scope};
use dojo_storage::sqlite::{self, Location};
use dojo_storage::{Storage, StoreError, seed};
use tokio::sync::{OnceCell, RwLock, RwLockReadGuard};

use crate::config::SandboxConfig;
use crate::error::{ApiError, ApiResult, FieldError};
use crate::features::secrets::now_ms;
use crate::passwords;

/// The topics whose requests read the data suite: their reset waits for the seed.
pub const DATA_TOPICS: [u32; 8] = [8, 9, 10, 11, 12, 13, 26, 28];

/// The seeded account that starts in the trash, deleted long enough ago to be purged.
pub const SEEDED_DELETED_USER: u64 = 12;
/// When that account was deleted: ten days after the seed's day zero.
pub const SEEDED_DELETED_AT: Millis = seed::EPOCH + 10 * 24 * 60 * 60 * 1000;

/// Where the data suite's storage comes from, copied out of the sandbox's config.
#[derive(Debug, Clone)]
struct Source {
    data_path: Option<std::path::PathBuf>,
    mongodb_uri: Option<String>,
    seed_posts: u64,
}

/// Work waiting for the next data request.
#[derive(Debug, Default)]
struct Pending {
    seeded: bool,
    topics: BTreeSet<u32>,
}

/// The data suite's storage, its seed and its resets.
#[derive(Debug)]
pub struct DataSuite {
    source: Source,
    storage: OnceCell<Result<Storage, String>>,
    /// Readers: requests using the data. Writer: a seed or a reset being applied.
    gate: RwLock<()>,
    pending: Mutex<Pending>,
}

/// The storage, held for one request: no reset runs until it is dropped.
#[derive(Debug)]
pub struct Data<'a> {
    storage: &'a Storage,
    _reading: RwLockReadGuard<'a, ()>,
}

impl std::ops::Deref for Data<'_> {
    type Target = Storage;

    fn deref(&self) -> &Storage {
        self.storage
    }
}

impl DataSuite {
    pub fn new(config: &SandboxConfig) -> DataSuite {
        DataSuite {
            source: Source {
                data_path: config.data_path.clone(),
                mongodb_uri: config.mongodb_uri.clone(),
                seed_posts: config.seed_posts,
            },
            storage: OnceCell::new(),
            gate: RwLock::new(()),
            pending: Mutex::new(Pending::default()),
        }
    }

    /// Asks for `topic`'s data to be put back to the seed before the next data request.
    pub fn schedule_reset(&self, topic: u32) {
        self.lock_pending().topics.insert(topic);
    }

    fn lock_pending(&self) -> std::sync::MutexGuard<'_, Pending> {
        self.pending.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The storage, seeded and with every scheduled reset applied.
    pub async fn ready(self: &Arc<Self>) -> ApiResult<Data<'_>> {
        let storage = self.storage().await?;
        loop {
            let reading = self.gate.read().await;
            {
                let pending = self.lock_pending();
                if pending.seeded && pending.topics.is_empty() {
                    return Ok(Data {
                        storage,
                        _reading: reading,
                    });
                }
            }
            drop(reading);
            // The seed and resets run in a task of their own: a request that stops waiting
            // (its timeout, or a client that hangs up) must not cancel them halfway, which
            // would leave the next request to start the whole seed over.
            let suite = Arc::clone(self);
            tokio::spawn(async move { suite.catch_up().await })
                .await
                .map_err(|e| ApiError::Internal(format!("data suite seeding stopped: {e}")))??;
        }
    }

    async fn storage(&self) -> ApiResult<&Storage> {
        self.storage
            .get_or_init(|| self.open())
            .await
            .as_ref()
            .map_err(|cause| ApiError::Internal(format!("data suite storage: {cause}")))
    }

    /// Applies the seed or the pending resets, one writer at a time.
    async fn catch_up(&self) -> ApiResult<()> {
        let storage = self.storage().await?;
        let _writing = self.gate.write().await;
        let (seeded, topics) = {
            let mut pending = self.lock_pending();
            (pending.seeded, std::mem::take(&mut pending.topics))
        };
        let applied = if seeded {
            self.apply_resets(storage, &topics).await
        } else {
            self.seed_everything(storage).await
        };
        match applied {
            Ok(()) => {
                self.lock_pending().seeded = true;
                Ok(())
            }
            Err(error) => {
                // Keep the work for the next request; this one says what failed.
                self.lock_pending().topics.extend(topics);
                Err(error)
            }
        }
    }

    async fn open(&self) -> Result<Storage, String> {
        if let Some(uri) = &self.source.mongodb_uri {
            return dojo_storage::mongo::connect(uri)
                .await
                .map_err(|e| format!("MongoDB at {}: {e}", redact_uri(uri)));
        }
        let location = match &self.source.data_path {
            Some(path) => Location::File(path.clone()),
            None => Location::Memory,
        };
        tokio::task::spawn_blocking(move || sqlite::open(location))
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| e.to_string())
    }

    async fn seed_everything(&self, storage: &Storage) -> ApiResult<()> {
        let hash = passwords::seed_hash().await?;
        storage.reset_all(&hash, self.source.seed_posts).await?;
        trash_seeded_account(storage).await
    }

    async fn apply_resets(&self, storage: &Storage, topics: &BTreeSet<u32>) -> ApiResult<()> {
        if topics.contains(&28) {
            return self.seed_everything(storage).await;
        }
        if topics.iter().any(|t| matches!(t, 8 | 11 | 13)) {
            let hash = passwords::seed_hash().await?;
            storage.users.reset(seed::users(&hash)).await?;
            storage.notifications.reset(seed::notifications()).await?;
            trash_seeded_account(storage).await?;
        }
        if topics.contains(&10) {
            storage.posts.regenerate(self.source.seed_posts).await?;
            storage.comments.reset(seed::comments()).await?;
        }
        if topics.contains(&12) {
            storage.comments.reset(seed::comments()).await?;
        }
        if topics.contains(&26) {
            storage.notifications.reset(seed::notifications()).await?;
        }
        Ok(())
    }
}

/// A connection string without its password, for messages.
fn redact_uri(uri: &str) -> String {
    match (uri.find("://"), uri.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            format!("{}://…{}", &uri[..scheme], &uri[at..])
        }
        _ => uri.to_owned(),
    }
}

/// The seed keeps one account in the trash, so the soft-delete topic has one to restore
/// or purge from the start.
async fn trash_seeded_account(storage: &Storage) -> ApiResult<()> {
    if storage
        .users
        .get(SEEDED_DELETED_USER, Scope::Live)
        .await?
        .is_some()
    {
        storage
            .users
            .soft_delete(SEEDED_DELETED_USER, SEEDED_DELETED_AT)
            .await?;
    }
    Ok(())
}

/// Now, in the stores' milliseconds.
pub fn now() -> Millis {
    Millis::try_from(now_ms()).unwrap_or(Millis::MAX)
}

/// A store's refusal as the answer a client gets.
impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> ApiError {
        match error {
            StoreError::NotFound { what } => ApiError::NotFound(format!("no such {what}")),
            StoreError::Conflict { field } => {
                ApiError::Conflict(format!("{field} is already taken by another account"))
            }
            StoreError::Invalid { field, message } => {
                ApiError::Validation(vec![FieldError { field, message }])
            }
            StoreError::Backend(cause) => ApiError::Internal(cause),
        }
    }
}

/// Milliseconds since the epoch as an RFC 3339 UTC timestamp (`2025-01-06T09:00:00.000Z`).
pub fn rfc3339(ms: Millis) -> String {
    let days = ms.div_euclid(86_400_000);
    let in_day = ms.rem_euclid(86_400_000);
    // Days to a civil date (Howard Hinnant's algorithm), valid for any day count here.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        in_day / 3_600_000,
        in_day / 60_000 % 60,
        in_day / 1000 % 60,
        in_day % 1000
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_read_as_utc_calendar_times() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339(seed::EPOCH), "2025-01-06T00:00:00.000Z");
        assert_eq!(rfc3339(951_782_400_123), "2000-02-29T00:00:00.123Z");
        assert_eq!(rfc3339(-1), "1969-12-31T23:59:59.999Z");
    }
}
