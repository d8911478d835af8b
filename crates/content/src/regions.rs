//! Regions of Rust source marked for inclusion in topics: `// region: NAME` ...
//! `// endregion`, in the sandbox's sources (handlers) and the storage crate's (the SQL and
//! MongoDB queries). A name is unique across all of them.

use std::collections::BTreeMap;

use crate::Diagnostic;

/// A named slice of a source file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Region {
    /// Workspace-relative path, e.g. `crates/sandbox/src/features/jwt.rs` or
    /// `crates/storage/src/sqlite/posts.rs`: the path a trace step names its file by.
    pub file: String,
    /// 1-based line of the first included line (the one after the marker).
    pub first_line: usize,
    /// The included lines, indentation shared by all of them removed.
    pub code: String,
}

const OPEN: &str = "// region:";
const CLOSE: &str = "// endregion";

/// Finds all regions in the given `(path, source)` files. The error names the file and line
/// of a marker that is unclosed, nested, unnamed, or whose name another region (in any of
/// the files) already has.
pub fn collect<'a>(
    files: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Result<BTreeMap<String, Region>, Diagnostic> {
    let mut regions: BTreeMap<String, Region> = BTreeMap::new();
    for (path, source) in files {
        let problem = |line: usize, message: String| Diagnostic::new(path, line, message);
        let mut open: Option<(String, usize, Vec<&str>)> = None;
        for (index, line) in source.lines().enumerate() {
            let marker = line.trim();
            if let Some(name) = marker.strip_prefix(OPEN) {
                let name = name.trim();
                if name.is_empty() {
                    return Err(problem(index + 1, "region marker without a name".into()));
                }
                if let Some((outer, _, _)) = &open {
                    return Err(problem(
                        index + 1,
                        format!("region {name:?} opens inside region {outer:?}"),
                    ));
                }
                if let Some(previous) = regions.get(name) {
                    return Err(problem(
                        index + 1,
                        format!(
                            "region {name:?} is also defined in {}:{}; region names must be unique across all sources",
                            previous.file,
                            previous.first_line - 1
                        ),
                    ));
                }
                open = Some((name.to_owned(), index + 2, Vec::new()));
            } else if marker == CLOSE {
                let Some((name, first_line, lines)) = open.take() else {
                    return Err(problem(index + 1, "`// endregion` without a region".into()));
                };
                let region = Region {
                    file: path.to_owned(),
                    first_line,
                    code: dedent(&lines),
                };
                // Unique: a name already taken was refused at its opening marker.
                regions.insert(name, region);
            } else if let Some((_, _, lines)) = open.as_mut() {
                lines.push(line);
            }
        }
        if let Some((name, first_line, _)) = open {
            return Err(problem(
                first_line - 1,
                format!("region {name:?} is never closed"),
            ));
        }
    }
    Ok(regions)
}

fn dedent(lines: &[&str]) -> String {
    let indent = lines
        .iter()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start().len())
        .min()
        .unwrap_or(0);
    let mut code = String::new();
    for line in lines {
        code.push_str(line.get(indent..).unwrap_or("").trim_end());
        code.push('\n');
    }
    code
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collects_a_region_without_its_markers_and_dedents_it() {
        let source = "fn a() {}\n    // region: verify\n    fn verify() {\n        ok()\n    }\n    // endregion\n";
        let regions = collect([("crates/sandbox/src/jwt.rs", source)]).expect("valid");
        let region = &regions["verify"];
        assert_eq!(region.first_line, 3);
        assert_eq!(region.code, "fn verify() {\n    ok()\n}\n");
    }

    #[test]
    fn an_unclosed_region_names_its_file_and_line() {
        let error = collect([("s.rs", "\n// region: x\nfn x() {}\n")]).expect_err("unclosed");
        assert_eq!(error.to_string(), "s.rs:2: region \"x\" is never closed");
    }

    #[test]
    fn a_name_used_in_two_crates_is_refused_naming_both_places() {
        let sandbox = "// region: keyset\nfn a() {}\n// endregion\n";
        let storage = "fn b() {}\n\n// region: keyset\nfn c() {}\n// endregion\n";
        let error = collect([
            ("crates/sandbox/src/pagination.rs", sandbox),
            ("crates/storage/src/sqlite/posts.rs", storage),
        ])
        .expect_err("a duplicate name");
        assert_eq!(
            error.to_string(),
            "crates/storage/src/sqlite/posts.rs:3: region \"keyset\" is also defined in \
             crates/sandbox/src/pagination.rs:1; region names must be unique across all sources"
        );
    }

    #[test]
    fn a_name_used_twice_in_one_file_is_refused() {
        let source = "// region: a\n// endregion\n// region: a\n// endregion\n";
        let error = collect([("x.rs", source)]).expect_err("a duplicate name");
        assert_eq!(error.line, 3);
        assert!(error.message.contains("also defined in x.rs:1"), "{error}");
    }

    #[test]
    fn nested_unnamed_and_stray_markers_are_refused_at_their_line() {
        let nested = "// region: a\n// region: b\n// endregion\n";
        assert_eq!(collect([("n.rs", nested)]).expect_err("nested").line, 2);
        let unnamed = "fn a() {}\n// region:\n";
        assert_eq!(collect([("u.rs", unnamed)]).expect_err("unnamed").line, 2);
        let stray = "// endregion\n";
        assert_eq!(collect([("s.rs", stray)]).expect_err("stray").line, 1);
    }
}
