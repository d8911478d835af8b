//! Shared setup for the export tests: the embedded topics, a folder for artifacts, and
//! poppler's command-line tools (`pdftotext`, `pdffonts`, `pdfinfo`, `pdftoppm`,
//! `pdftohtml`) to read PDFs the way a reader's viewer does.

#![allow(dead_code, unreachable_pub)]

use std::path::{Path, PathBuf};
use std::process::Command;

use dojo_content::Library;

/// The topics compiled into Backend Dojo.
pub fn library() -> Library {
    match Library::embedded() {
        Ok(library) => library,
        Err(error) => panic!("the embedded topics must load: {error}"),
    }
}

/// A path in `$TMPDIR/backend-dojo-export-tests/`, where test artifacts stay to be looked at.
pub fn artifact_path(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join("backend-dojo-export-tests");
    std::fs::create_dir_all(&dir).expect("the temporary folder is writable");
    dir.join(name)
}

fn run(program: &str, args: &[&str]) -> String {
    let output = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{program} must be installed (poppler-utils): {e}"));
    assert!(
        output.status.success(),
        "{program} {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn path_arg(path: &Path) -> &str {
    path.to_str().expect("a UTF-8 path")
}

/// The PDF's text as a viewer's search would find it.
pub fn pdf_text(path: &Path) -> String {
    run("pdftotext", &["-enc", "UTF-8", path_arg(path), "-"])
}

/// Zero-width spaces dropped, whitespace collapsed to single spaces, and lines broken after a hyphen or slash joined,
/// so text compares the same wherever the layout broke its lines.
pub fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending: Option<bool> = None; // Some(saw a newline) while in a whitespace run
    // Zero-width spaces are break opportunities the export adds inside long tokens.
    for c in text.chars().filter(|&c| c != '\u{200B}') {
        if c.is_whitespace() {
            let newline = c == '\n' || c == '\x0c';
            pending = Some(pending.unwrap_or(false) || newline);
            continue;
        }
        if let Some(newline) = pending.take() {
            let joined = newline && (out.ends_with('-') || out.ends_with('/'));
            if !joined && !out.is_empty() {
                out.push(' ');
            }
        }
        out.push(c);
    }
    out
}

/// A font as `pdffonts` lists it.
#[derive(Debug)]
pub struct FontInfo {
    pub name: String,
    pub embedded: bool,
}

pub fn pdf_fonts(path: &Path) -> Vec<FontInfo> {
    let listing = run("pdffonts", &[path_arg(path)]);
    // Columns: name type encoding emb sub uni object ID; the type may hold spaces
    // ("CID TrueType"), so read emb from the right: emb sub uni num gen.
    listing
        .lines()
        .skip(2)
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            let words: Vec<&str> = line.split_whitespace().collect();
            let emb = words
                .get(words.len().saturating_sub(5))
                .copied()
                .unwrap_or("no");
            FontInfo {
                name: words.first().copied().unwrap_or("").to_owned(),
                embedded: emb == "yes",
            }
        })
        .collect()
}

pub fn pdf_pages(path: &Path) -> usize {
    let info = run("pdfinfo", &[path_arg(path)]);
    info.lines()
        .find_map(|line| line.strip_prefix("Pages:"))
        .and_then(|n| n.trim().parse().ok())
        .expect("pdfinfo reports the page count")
}

/// Writes page 1 as a PNG at 60 dpi beside the PDF (`name-1.png`).
pub fn render_page_one(path: &Path) {
    let prefix = path.with_extension("");
    run(
        "pdftoppm",
        &[
            "-png",
            "-r",
            "60",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            path_arg(path),
            path_arg(&prefix),
        ],
    );
}

/// The titles of the PDF's outline (bookmarks), in order.
pub fn pdf_outline(path: &Path) -> Vec<String> {
    let xml = run(
        "pdftohtml",
        &["-xml", "-stdout", "-i", "-q", path_arg(path)],
    );
    let mut titles = Vec::new();
    let mut rest = xml.as_str();
    while let Some(start) = rest.find("<item") {
        let after = &rest[start..];
        let Some(open_end) = after.find('>') else {
            break;
        };
        let body = &after[open_end + 1..];
        let Some(close) = body.find("</item>") else {
            break;
        };
        titles.push(unescape(body[..close].trim()));
        rest = &body[close..];
    }
    titles
}

fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

const CENTIMETRE: f64 = 28.35;

/// Words whose box reaches into the outer centimetre of the page (every export keeps at
/// least that margin) or beyond it, as `(page, word, x max, page width)`.
pub fn words_outside_page(path: &Path) -> Vec<(usize, String, f64, f64)> {
    let html = run("pdftotext", &["-bbox", path_arg(path), "-"]);
    let attribute = |tag: &str, name: &str| -> f64 {
        let key = format!("{name}=\"");
        tag.find(&key)
            .and_then(|at| tag[at + key.len()..].split('"').next())
            .and_then(|value| value.parse().ok())
            .unwrap_or(0.0)
    };
    let mut outside = Vec::new();
    let mut page = 0;
    let mut width = f64::MAX;
    for line in html.lines() {
        let line = line.trim();
        if line.starts_with("<page ") {
            page += 1;
            width = attribute(line, "width");
        } else if line.starts_with("<word ") {
            let x_max = attribute(line, "xMax");
            let x_min = attribute(line, "xMin");
            if x_max > width - CENTIMETRE || x_min < CENTIMETRE {
                let word = line
                    .split('>')
                    .nth(1)
                    .unwrap_or("")
                    .trim_end_matches("</word")
                    .to_owned();
                outside.push((page, word, x_max, width));
            }
        }
    }
    outside
}
