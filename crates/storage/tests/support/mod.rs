//! What the storage test binaries share: the two backends, each fresh per test.

pub(crate) mod mongo_server;

use dojo_storage::Storage;
use dojo_storage::sqlite::{self, Location};

/// A stored Argon2id hash; the stores never look inside it.
pub(crate) const HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g";

/// One backend under test.
#[derive(Debug)]
pub(crate) struct Backend {
    pub(crate) storage: Storage,
    /// Running on nx-27017, the MongoDB-compatible test server, whose known gaps some
    /// assertions step around (each place says which gap and what real MongoDB does).
    pub(crate) nx_27017: bool,
    /// The MongoDB database the stores use, for running a query beside them; `None` on
    /// SQLite.
    pub(crate) database: Option<mongodb::Database>,
}

impl Backend {
    /// A name for assertion messages.
    pub(crate) fn name(&self) -> String {
        format!("{:?}", self.storage.backend)
    }
}

/// A private in-memory SQLite database.
pub(crate) fn sqlite() -> Backend {
    let storage = sqlite::open(Location::Memory).expect("an in-memory SQLite database opens");
    Backend {
        storage,
        nx_27017: false,
        database: None,
    }
}

/// A fresh MongoDB database named after the test on this binary's server, or `None` when
/// there is no server and this is not CI (see [`mongo_server::shared_target`]).
pub(crate) async fn mongo(test: &str) -> Option<Backend> {
    let (database, nx_27017) = empty_mongo_database(test).await?;
    let storage = dojo_storage::mongo::open(database.clone())
        .await
        .unwrap_or_else(|error| panic!("the MongoDB store opens on {}: {error}", database.name()));
    Some(Backend {
        storage,
        nx_27017,
        database: Some(database),
    })
}

/// An empty MongoDB database named after the test, before any store opened it, and
/// whether the server is nx-27017; `None` as for [`mongo`].
pub(crate) async fn empty_mongo_database(test: &str) -> Option<(mongodb::Database, bool)> {
    let target = mongo_server::shared_target()?;
    let client = mongodb::Client::with_uri_str(target.uri())
        .await
        .expect("the test server's URI parses");
    // Unique per test and process: tests run in parallel on one server.
    let name: String = format!("dojo_{}_{test}", std::process::id())
        .chars()
        .take(60)
        .collect();
    let database = client.database(&name);
    if !target.is_nx_27017() {
        // A real server keeps databases between runs.
        database
            .drop()
            .await
            .expect("the test database can be dropped");
    }
    Some((database, target.is_nx_27017()))
}
