//! The cache's source of truth: a small product catalogue that answers slowly, the way a
//! database query of a few joins does, so a miss costs something a learner can see. It
//! counts every load and the most loads it ever ran at once: the numbers that show whether
//! the stampede guard works.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// One product, as the source holds it and the cache stores it. Named `CachedProduct` in
/// the OpenAPI document: the shop of topic 33 has its own `Product`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(as = CachedProduct, example = json!({
    "id": 1, "name": "Mechanical keyboard", "price_cents": 8900, "currency": "EUR", "version": 1
}))]
pub struct Product {
    pub id: u64,
    pub name: String,
    /// The price in cents.
    pub price_cents: u64,
    pub currency: String,
    /// Starts at 1; every write adds one, so a stale copy is easy to spot.
    pub version: u64,
}

/// What a write changes; fields left out stay as they are.
#[derive(Debug, Clone, Default)]
pub struct Change {
    pub name: Option<String>,
    pub price_cents: Option<u64>,
}

/// The catalogue the sandbox starts with (and a reset restores).
fn seed() -> BTreeMap<u64, Product> {
    [
        (1, "Mechanical keyboard", 8_900),
        (2, "Noise-cancelling headphones", 19_900),
        (3, "USB-C dock", 12_900),
        (4, "27-inch 4K monitor", 32_900),
    ]
    .into_iter()
    .map(|(id, name, price_cents)| {
        let product = Product {
            id,
            name: name.to_owned(),
            price_cents,
            currency: "EUR".to_owned(),
            version: 1,
        };
        (id, product)
    })
    .collect()
}

/// The slow source of truth.
#[derive(Debug)]
pub struct Catalog {
    latency: Duration,
    products: Mutex<BTreeMap<u64, Product>>,
    loads: AtomicU64,
    loading_now: AtomicU64,
    most_at_once: AtomicU64,
}

impl Catalog {
    /// The seeded catalogue; each load and each write takes `latency`.
    pub fn new(latency: Duration) -> Catalog {
        Catalog {
            latency,
            products: Mutex::new(seed()),
            loads: AtomicU64::new(0),
            loading_now: AtomicU64::new(0),
            most_at_once: AtomicU64::new(0),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<u64, Product>> {
        self.products.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn latency(&self) -> Duration {
        self.latency
    }

    /// Whether a product exists, without the cost of a load (for input checks only).
    pub fn contains(&self, id: u64) -> bool {
        self.lock().contains_key(&id)
    }

    /// Reads one product the slow way; `None` when there is no such product.
    pub async fn load(&self, id: u64) -> Option<Product> {
        self.loads.fetch_add(1, Ordering::Relaxed);
        let now = self.loading_now.fetch_add(1, Ordering::SeqCst) + 1;
        self.most_at_once.fetch_max(now, Ordering::SeqCst);
        let _done = LoadingGuard(&self.loading_now);
        tokio::time::sleep(self.latency).await;
        self.lock().get(&id).cloned()
    }

    /// Writes a change (as slowly as a load) and answers the product as it is now.
    pub async fn update(&self, id: u64, change: Change) -> Option<Product> {
        tokio::time::sleep(self.latency).await;
        let mut products = self.lock();
        let product = products.get_mut(&id)?;
        if let Some(name) = change.name {
            product.name = name;
        }
        if let Some(price_cents) = change.price_cents {
            product.price_cents = price_cents;
        }
        product.version += 1;
        Some(product.clone())
    }

    /// How many loads ran, and the most that ever ran at the same time.
    pub fn load_counts(&self) -> (u64, u64) {
        (
            self.loads.load(Ordering::Relaxed),
            self.most_at_once.load(Ordering::SeqCst),
        )
    }

    /// Back to the seed, counters at zero.
    pub fn reset(&self) {
        *self.lock() = seed();
        self.loads.store(0, Ordering::Relaxed);
        self.most_at_once
            .store(self.loading_now.load(Ordering::SeqCst), Ordering::SeqCst);
    }
}

/// Counts a load as finished however it ends (a client that hangs up drops it midway).
struct LoadingGuard<'a>(&'a AtomicU64);

impl Drop for LoadingGuard<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}
