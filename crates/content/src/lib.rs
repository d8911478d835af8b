//! Backend Dojo's topics and drills: the only crate that reads content files.
//!
//! The pipeline runs in separate steps: [`parse`] turns a file into a [`Topic`],
//! [`validate`] checks a whole [`Library`], and [`render`] turns sections into HTML (with
//! syntax highlighting from [`highlight`]) or into plain terminal text. [`drill`] loads
//! each topic's Hurl drills and checks their syntax.

mod diagnostic;
pub mod drill;
mod embedded;
pub mod highlight;
pub mod http_file;
mod js_check;
mod library;
mod model;
pub mod parse;
pub mod regions;
pub mod render;
pub mod validate;

pub use diagnostic::{Diagnostic, Error, Result};
pub use drill::Drill;
pub use library::Library;
pub use model::{CodeBlock, Difficulty, FrontMatter, Group, Section, SectionKind, Status, Topic};
