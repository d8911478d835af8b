//! One module per sandbox feature, each with its own `router()`.

pub mod errors;
pub mod health;
pub mod jwt;
pub mod logger;
pub mod rate_limit;
pub mod security_headers;
pub mod users;
pub mod versioning;
