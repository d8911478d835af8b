//! Single flight: concurrent misses on one key share one fill. The first request for a key
//! starts the fill; every request for that key that arrives while it runs waits for the
//! same result instead of starting its own. If the request running the fill goes away
//! (its client hung up), one of the waiters takes it over, so nobody waits forever.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};

use tokio::sync::OnceCell;

/// Fills under way, by key.
#[derive(Debug)]
pub(super) struct Flights<T> {
    running: Mutex<HashMap<String, Arc<OnceCell<T>>>>,
}

impl<T> Default for Flights<T> {
    fn default() -> Self {
        Flights {
            running: Mutex::new(HashMap::new()),
        }
    }
}

/// Whether this request ran the fill itself or took another request's result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Flight {
    Ran,
    Joined,
}

// region: cache-single-flight
impl<T: Clone> Flights<T> {
    /// Runs `fill` for `key`, unless a fill for `key` is already running: then waits for
    /// that one's result.
    pub(super) async fn run<F, Fut>(&self, key: &str, fill: F) -> (T, Flight)
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = T>,
    {
        let (cell, _started_here) = {
            let mut running = self.lock();
            match running.get(key) {
                Some(cell) => (Arc::clone(cell), None),
                None => {
                    let cell = Arc::new(OnceCell::new());
                    running.insert(key.to_owned(), Arc::clone(&cell));
                    let guard = Started {
                        flights: self,
                        key,
                        cell: Arc::clone(&cell),
                    };
                    (cell, Some(guard))
                }
            }
        };
        let mut ran = false;
        let value = cell
            .get_or_init(|| {
                ran = true;
                fill()
            })
            .await
            .clone();
        (value, if ran { Flight::Ran } else { Flight::Joined })
    }
}
// endregion

impl<T> Flights<T> {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<OnceCell<T>>>> {
        self.running.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Held by the request that started a flight: when it is done (or dropped), the flight
/// leaves the map, so the next miss after it starts a fresh fill.
struct Started<'a, T> {
    flights: &'a Flights<T>,
    key: &'a str,
    cell: Arc<OnceCell<T>>,
}

impl<T> Drop for Started<'_, T> {
    fn drop(&mut self) {
        let mut running = self.flights.lock();
        if running
            .get(self.key)
            .is_some_and(|cell| Arc::ptr_eq(cell, &self.cell))
        {
            running.remove(self.key);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn concurrent_callers_share_one_fill_and_the_next_caller_starts_a_new_one() {
        let flights = Flights::<u32>::default();
        let fills = AtomicU32::new(0);
        let fill = || async {
            let n = fills.fetch_add(1, Ordering::SeqCst) + 1;
            tokio::time::sleep(Duration::from_millis(20)).await;
            n * 10
        };
        let (a, b, c) = tokio::join!(
            flights.run("k", fill),
            flights.run("k", fill),
            flights.run("k", fill)
        );
        assert_eq!([a.0, b.0, c.0], [10, 10, 10]);
        let ran = [a.1, b.1, c.1]
            .iter()
            .filter(|f| **f == Flight::Ran)
            .count();
        assert_eq!(ran, 1);
        assert_eq!(fills.load(Ordering::SeqCst), 1);

        let (later, flight) = flights.run("k", fill).await;
        assert_eq!((later, flight), (20, Flight::Ran));
        assert!(flights.lock().is_empty(), "finished flights leave the map");
    }

    #[tokio::test]
    async fn a_waiter_takes_over_when_the_first_caller_goes_away() {
        let flights = Flights::<u32>::default();
        let mut first = Box::pin(flights.run("k", std::future::pending::<u32>));
        let mut second = Box::pin(flights.run("k", || async { 7 }));
        // Start both: the first owns the fill, the second waits on it.
        tokio::select! {
            biased;
            _ = &mut first => unreachable!("the first fill never finishes"),
            _ = &mut second => unreachable!("the second waits for the first"),
            () = tokio::task::yield_now() => {}
        }
        drop(first);
        assert_eq!(second.await, (7, Flight::Ran));
    }
}
