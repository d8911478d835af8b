//! Embeds every topic file, every drill (`content/drills/NN-slug/*.hurl`) and every Rust
//! source file topics may include regions of (`// region:`, see [`REGION_SOURCE_DIRS`]) into
//! the crate, so an installed Backend Dojo needs no files beside its binary.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::{env, fs};

/// The source folders, relative to the workspace root, whose `*.rs` files topics include
/// regions of: the sandbox's handlers, and the storage crate's SQL and MongoDB queries.
/// Region names are unique across all of them (`regions::collect` refuses a duplicate).
const REGION_SOURCE_DIRS: &[&str] = &["crates/sandbox/src", "crates/storage/src"];

fn main() {
    let manifest = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets this"));
    let root = manifest.join("../..");
    let topics_dir = root.join("content/topics");
    let drills_dir = root.join("content/drills");
    println!("cargo:rerun-if-changed={}", topics_dir.display());
    println!("cargo:rerun-if-changed={}", drills_dir.display());
    let topics = files_with_extension(&topics_dir, "md");
    let drills = files_with_extension(&drills_dir, "hurl");
    // A folder is watched with everything under it: a new or deleted source file reruns
    // this script (edits to embedded files also rebuild the crate through `include_str!`).
    let mut sources = Vec::new();
    for dir in REGION_SOURCE_DIRS {
        let dir = root.join(dir);
        println!("cargo:rerun-if-changed={}", dir.display());
        sources.extend(files_with_extension(&dir, "rs"));
    }

    let mut out = String::new();
    write_table(&mut out, "TOPIC_FILES", &topics, |path| {
        path.file_name()
            .expect("file")
            .to_string_lossy()
            .into_owned()
    });
    // Drills are labelled by their path under content/drills: `NN-slug/NN-short-name.hurl`.
    write_table(&mut out, "DRILL_FILES", &drills, |path| {
        let relative = path
            .strip_prefix(&drills_dir)
            .expect("under content/drills");
        relative.to_string_lossy().replace('\\', "/")
    });
    // Sources are labelled by their path from the workspace root, the same path a trace
    // step's file has: `crates/storage/src/sqlite/posts.rs`.
    write_table(&mut out, "RUST_SOURCES", &sources, |path| {
        let relative = path.strip_prefix(&root).expect("under the workspace root");
        relative.to_string_lossy().replace('\\', "/")
    });
    writeln!(
        out,
        "pub(crate) static RUST_SOURCE_DIRS: &[&str] = &{REGION_SOURCE_DIRS:?};"
    )
    .expect("string write");
    let out_dir = PathBuf::from(env::var("OUT_DIR").expect("cargo sets this"));
    fs::write(out_dir.join("embedded.rs"), out).expect("OUT_DIR is writable");
}

fn write_table(out: &mut String, name: &str, files: &[PathBuf], label: impl Fn(&Path) -> String) {
    writeln!(out, "pub(crate) static {name}: &[(&str, &str)] = &[").expect("string write");
    for path in files {
        let absolute = path.canonicalize().expect("listed file exists");
        writeln!(
            out,
            "    ({:?}, include_str!({:?})),",
            label(path),
            absolute
        )
        .expect("string write");
    }
    writeln!(out, "];").expect("string write");
}

fn files_with_extension(dir: &Path, extension: &str) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let Ok(entries) = fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|ext| ext == extension) {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}
