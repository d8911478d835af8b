//! Topic files, drills and the Rust sources topics include regions of (the sandbox's and
//! the storage crate's), compiled into the binary by `build.rs`.

include!(concat!(env!("OUT_DIR"), "/embedded.rs"));
