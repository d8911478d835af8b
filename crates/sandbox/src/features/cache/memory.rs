//! The in-process store: a map of entries with their expiry, guarded by one mutex. Fast
//! and private to this process, so two instances of a service would each hold their own
//! copy and disagree after a write; the sandbox is one instance, so it is the default.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::source::Product;

#[derive(Debug)]
struct Entry {
    product: Product,
    expires_at: Instant,
}

/// Entries by key, each with its own expiry.
#[derive(Debug, Default)]
pub(super) struct MemoryStore {
    entries: Mutex<HashMap<String, Entry>>,
    /// Counts the clears, so a load that began before one can tell.
    generation: AtomicU64,
}

impl MemoryStore {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    // region: cache-ttl-map
    /// The live entry under `key` and how long it has left. An expired entry is removed
    /// on the way: it is as good as absent.
    pub(super) fn get(&self, key: &str) -> Option<(Product, Duration)> {
        let now = Instant::now();
        let mut entries = self.lock();
        let entry = entries.get(key)?;
        if now >= entry.expires_at {
            entries.remove(key);
            return None;
        }
        Some((entry.product.clone(), entry.expires_at - now))
    }

    pub(super) fn put(&self, key: &str, product: Product, ttl: Duration) {
        let entry = Entry {
            product,
            expires_at: Instant::now() + ttl,
        };
        let mut entries = self.lock();
        // Only live products are stored, so the map stays as small as the catalogue; the
        // sweep keeps it that way whatever the keys.
        entries.retain(|_, e| e.expires_at > Instant::now());
        entries.insert(key.to_owned(), entry);
    }
    // endregion

    /// Removes the entry; whether there was a live one.
    pub(super) fn delete(&self, key: &str) -> bool {
        self.lock()
            .remove(key)
            .is_some_and(|e| e.expires_at > Instant::now())
    }

    pub(super) fn clear(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        self.lock().clear();
    }

    pub(super) fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }
}
