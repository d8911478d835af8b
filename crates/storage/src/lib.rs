//! Storage for the sandbox's data suite (topics 8-13, 26, 28, 31): one trait per
//! aggregate, implemented on SQLite (the default) and on MongoDB.
