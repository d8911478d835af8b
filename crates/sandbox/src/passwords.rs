//! Argon2id for every password the sandbox stores or checks.
//!
//! One hash fills 19 MiB of memory on purpose, which is what makes guessing expensive.
//! Allocated afresh for every login, that memory was kept by the allocator on each of the
//! many blocking threads a burst of logins wakes: a minute of load grew the sandbox by
//! gigabytes. So hashes run in a few reusable work areas, at most one hash per area at a
//! time, and the others wait their turn; memory stays at areas × 19 MiB however hard the
//! sandbox is pushed.

use std::sync::{Mutex, OnceLock};

use argon2::password_hash::phc::{Output, ParamsString, PasswordHash, Salt};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use tokio::sync::{OnceCell, Semaphore};

use crate::error::{ApiError, ApiResult};

/// A well-formed Argon2id hash, with the same parameters as every stored one, that no
/// password matches. Unknown accounts are checked against it so they take as long as
/// known ones, and the response time does not tell which accounts exist.
pub(crate) const DECOY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$ZGVjb3lzYWx0ZGVjb3k$8pT1kBy3EJbx+2p8MmaWz4lxXq3Oq2xq5Xyk0hN8dE0";

/// The most hashes running at once. Each uses one core for its whole run, so more than
/// the machine has cores only adds waiting; four keeps memory small on big machines.
const MAX_AREAS: usize = 4;

/// The reusable memory and the permits that hand it out.
struct WorkAreas {
    permits: Semaphore,
    free: Mutex<Vec<Vec<Block>>>,
}

fn work_areas() -> &'static WorkAreas {
    static AREAS: OnceLock<WorkAreas> = OnceLock::new();
    AREAS.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        WorkAreas {
            permits: Semaphore::new(cores.clamp(1, MAX_AREAS)),
            free: Mutex::new(Vec::new()),
        }
    })
}

/// Runs `work` on a blocking thread with a work area of Argon2 memory, once a permit is
/// free.
async fn with_work_area<T: Send + 'static>(
    what: &'static str,
    work: impl FnOnce(&mut [Block]) -> Result<T, String> + Send + 'static,
) -> ApiResult<T> {
    let areas = work_areas();
    let permit = areas
        .permits
        .acquire()
        .await
        .map_err(|e| ApiError::Internal(format!("{what}: {e}")))?;
    let done = tokio::task::spawn_blocking(move || {
        let mut area = areas
            .free
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .pop()
            .unwrap_or_else(|| vec![Block::default(); Params::DEFAULT_M_COST as usize]);
        let result = work(&mut area);
        areas
            .free
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(area);
        drop(permit);
        result
    })
    .await
    .map_err(|e| ApiError::Internal(format!("{what}: {e}")))?;
    done.map_err(|e| ApiError::Internal(format!("{what}: {e}")))
}

/// The parameters every hash is made with: Argon2id, version 0x13, the crate's defaults
/// (19 MiB, two passes, one lane).
fn hasher() -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::default())
}

/// The PHC string (`$argon2id$v=19$m=…`) of `password` under a fresh random salt.
pub(crate) async fn hash(password: String) -> ApiResult<String> {
    let salt = argon2::password_hash::generate_salt();
    with_work_area("password hashing failed", move |area| {
        let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
        hasher()
            .hash_password_into_with_memory(password.as_bytes(), &salt, &mut out, area)
            .map_err(|e| e.to_string())?;
        let phc = PasswordHash {
            algorithm: Algorithm::Argon2id.ident(),
            version: Some(Version::V0x13.into()),
            params: ParamsString::try_from(&Params::default()).map_err(|e| e.to_string())?,
            salt: Some(Salt::new(&salt).map_err(|e| e.to_string())?),
            hash: Some(Output::new(&out).map_err(|e| e.to_string())?),
        };
        Ok(phc.to_string())
    })
    .await
}

/// Whether `password` matches the stored PHC string. A string that is not an Argon2id
/// hash made with the sandbox's parameters matches nothing, after a full check against
/// the decoy, so it answers no faster than a wrong password.
pub(crate) async fn verify(stored: String, password: String) -> ApiResult<bool> {
    let usable = PasswordHash::new(&stored).ok().filter(made_here);
    let parsed = match usable {
        Some(parsed) => parsed,
        None => PasswordHash::new(DECOY_HASH).map_err(|e| internal(&e))?,
    };
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
        return Err(internal(&"the decoy hash lacks its salt"));
    };
    with_work_area("password check failed", move |area| {
        let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
        hasher()
            .hash_password_into_with_memory(password.as_bytes(), &salt, &mut out, area)
            .map_err(|e| e.to_string())?;
        // `Output` compares in constant time.
        Ok(Output::new(&out).is_ok_and(|computed| computed == expected))
    })
    .await
}

/// Whether a parsed hash has exactly the parameters `hash` uses, so checking it costs
/// what every other check costs and fits a work area.
fn made_here(parsed: &PasswordHash) -> bool {
    parsed.algorithm == Algorithm::Argon2id.ident()
        && parsed.version == Some(Version::V0x13.into())
        && parsed.salt.is_some()
        && parsed
            .hash
            .as_ref()
            .is_some_and(|h| h.len() == Params::DEFAULT_OUTPUT_LEN)
        && Params::try_from(parsed).is_ok_and(|p| {
            p.m_cost() == Params::DEFAULT_M_COST
                && p.t_cost() == Params::DEFAULT_T_COST
                && p.p_cost() == Params::DEFAULT_P_COST
        })
}

fn internal(cause: &dyn std::fmt::Display) -> ApiError {
    ApiError::Internal(format!("password check failed: {cause}"))
}

/// The hash of the seeded accounts' demo password, made once per process and shared by
/// every store that seeds them.
pub(crate) async fn seed_hash() -> ApiResult<String> {
    static SEED: OnceCell<String> = OnceCell::const_new();
    SEED.get_or_try_init(|| hash(crate::features::users::SEED_PASSWORD.to_owned()))
        .await
        .cloned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::PasswordVerifier as _;

    #[tokio::test]
    async fn hashes_are_standard_phc_strings_that_verify_only_their_password() {
        let stored = hash("open sesame".into()).await.expect("hash");
        assert!(
            stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{stored}"
        );
        // Any Argon2 implementation reads it: the crate's own verifier agrees.
        let parsed = PasswordHash::new(&stored).expect("parses");
        assert!(hasher().verify_password(b"open sesame", &parsed).is_ok());
        assert!(
            verify(stored.clone(), "open sesame".into())
                .await
                .expect("verifies")
        );
        assert!(
            !verify(stored, "open sesame!".into())
                .await
                .expect("verifies")
        );
    }

    #[tokio::test]
    async fn two_hashes_of_one_password_differ_by_salt() {
        let first = hash("same".into()).await.expect("hashes");
        let second = hash("same".into()).await.expect("hashes");
        assert_ne!(first, second);
    }

    #[tokio::test]
    async fn a_hash_from_the_crate_defaults_verifies() {
        use argon2::PasswordHasher as _;
        let stored = Argon2::default()
            .hash_password(b"legacy")
            .expect("hash")
            .to_string();
        assert!(verify(stored, "legacy".into()).await.expect("verifies"));
    }

    #[tokio::test]
    async fn the_decoy_and_garbage_match_nothing() {
        // The decoy costs exactly what a real check costs.
        assert!(made_here(&PasswordHash::new(DECOY_HASH).expect("parses")));
        assert!(
            !verify(DECOY_HASH.into(), "".into())
                .await
                .expect("verifies")
        );
        assert!(
            !verify("not a hash".into(), "x".into())
                .await
                .expect("verifies")
        );
        // Costlier parameters than the sandbox's own are refused, not run.
        let greedy = "$argon2id$v=19$m=4194304,t=10,p=1$ZGVjb3lzYWx0ZGVjb3k$8pT1kBy3EJbx+2p8MmaWz4lxXq3Oq2xq5Xyk0hN8dE0";
        assert!(!verify(greedy.into(), "x".into()).await.expect("verifies"));
    }

    #[tokio::test]
    async fn many_logins_at_once_all_finish_with_the_right_answers() {
        let stored = hash("pw".into()).await.expect("hashes");
        let checks: Vec<_> = (0..16)
            .map(|i| {
                let stored = stored.clone();
                tokio::spawn(async move {
                    let guess = if i % 2 == 0 { "pw" } else { "nope" };
                    (i, verify(stored, guess.into()).await.expect("verifies"))
                })
            })
            .collect();
        for check in checks {
            let (i, matched) = check.await.expect("verifies");
            assert_eq!(matched, i % 2 == 0);
        }
        let areas = work_areas().free.lock().expect("lock").len();
        assert!(areas <= MAX_AREAS, "{areas} work areas kept");
    }
}
