//! Regions of sandbox source marked for inclusion in topics:
//! `// region: NAME` ... `// endregion`.

use std::collections::BTreeMap;

/// A named slice of a sandbox source file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Region {
    /// Workspace-relative path, e.g. `crates/sandbox/src/features/jwt.rs`.
    pub file: String,
    /// 1-based line of the first included line (the one after the marker).
    pub first_line: usize,
    /// The included lines, indentation shared by all of them removed.
    pub code: String,
}

const OPEN: &str = "// region:";
const CLOSE: &str = "// endregion";

/// Finds all regions in the given `(path, source)` files. Errors name the file and line of
/// a marker that is unclosed, nested, duplicated or unnamed.
pub fn collect<'a>(
    files: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Result<BTreeMap<String, Region>, String> {
    let mut regions = BTreeMap::new();
    for (path, source) in files {
        let mut open: Option<(String, usize, Vec<&str>)> = None;
        for (index, line) in source.lines().enumerate() {
            let marker = line.trim();
            if let Some(name) = marker.strip_prefix(OPEN) {
                let name = name.trim();
                if name.is_empty() {
                    return Err(format!(
                        "{path}:{}: region marker without a name",
                        index + 1
                    ));
                }
                if let Some((outer, _, _)) = &open {
                    return Err(format!(
                        "{path}:{}: region {name:?} opens inside region {outer:?}",
                        index + 1
                    ));
                }
                open = Some((name.to_owned(), index + 2, Vec::new()));
            } else if marker == CLOSE {
                let Some((name, first_line, lines)) = open.take() else {
                    return Err(format!(
                        "{path}:{}: `// endregion` without a region",
                        index + 1
                    ));
                };
                let region = Region {
                    file: path.to_owned(),
                    first_line,
                    code: dedent(&lines),
                };
                if let Some(previous) = regions.insert(name.clone(), region) {
                    return Err(format!(
                        "{path}:{}: region {name:?} is also defined in {}",
                        first_line - 1,
                        previous.file
                    ));
                }
            } else if let Some((_, _, lines)) = open.as_mut() {
                lines.push(line);
            }
        }
        if let Some((name, first_line, _)) = open {
            return Err(format!(
                "{path}:{}: region {name:?} is never closed",
                first_line - 1
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
        assert_eq!(error, "s.rs:2: region \"x\" is never closed");
    }
}
