//! Syntax highlighting with syntect: classed `<span>`s in the HTML, colours in one
//! stylesheet holding a light and a dark theme. Syntaxes and themes load once.

use std::sync::LazyLock;

use syntect::highlighting::ThemeSet;
use syntect::html::{ClassStyle, ClassedHTMLGenerator, css_for_theme_with_class_style};
use syntect::parsing::SyntaxSet;
use syntect::util::LinesWithEndings;

/// Every highlighted span's class starts with this, so the UI's own classes never clash.
const CLASS_STYLE: ClassStyle = ClassStyle::SpacedPrefixed { prefix: "hl-" };
const LIGHT_THEME: &str = "InspiredGitHub";
const DARK_THEME: &str = "base16-ocean.dark";

static SYNTAXES: LazyLock<SyntaxSet> = LazyLock::new(SyntaxSet::load_defaults_newlines);

static STYLESHEET: LazyLock<String> = LazyLock::new(|| {
    let themes = ThemeSet::load_defaults();
    let css = |name: &str| {
        css_for_theme_with_class_style(&themes.themes[name], CLASS_STYLE)
            .expect("the bundled themes convert to CSS")
    };
    let mut out = String::from("/* Backend Dojo code colours: light by default, dark under data-theme=\"dark\". */\n");
    out.push_str(&scope_selectors(&css(LIGHT_THEME), ":root:not([data-theme=\"dark\"])"));
    out.push_str(&scope_selectors(&css(DARK_THEME), ":root[data-theme=\"dark\"]"));
    out
});

/// The CSS for highlighted code, both themes.
pub fn stylesheet() -> &'static str {
    &STYLESHEET
}

/// Highlights `code` as `lang` (`js`, `rust`, `json`, ...) into classed HTML spans.
/// Unknown languages come back escaped but uncoloured.
pub fn highlight(code: &str, lang: &str) -> String {
    let Some(syntax) = find_syntax(lang) else {
        return escape(code);
    };
    let mut generator = ClassedHTMLGenerator::new_with_class_style(syntax, &SYNTAXES, CLASS_STYLE);
    for line in LinesWithEndings::from(code) {
        if generator.parse_html_for_line_which_includes_newline(line).is_err() {
            return escape(code);
        }
    }
    generator.finalize()
}

/// Whether `lang` gets colours.
pub fn is_known(lang: &str) -> bool {
    find_syntax(lang).is_some()
}

fn find_syntax(lang: &str) -> Option<&'static syntect::parsing::SyntaxReference> {
    let token = match lang {
        "" => return None,
        "ts" | "typescript" => "js",
        "sh" | "shell" | "console" => "bash",
        other => other,
    };
    SYNTAXES.find_syntax_by_token(token)
}

/// Puts `scope` in front of every selector of a stylesheet syntect produced (one rule
/// per block, selectors before the `{`, comments in `/* */`).
fn scope_selectors(css: &str, scope: &str) -> String {
    let mut out = String::with_capacity(css.len() * 2);
    let mut depth = 0usize;
    let mut in_comment = false;
    for line in css.lines() {
        let trimmed = line.trim();
        if in_comment || trimmed.starts_with("/*") {
            in_comment = !trimmed.ends_with("*/");
            out.push_str(line);
        } else if depth == 0 && !trimmed.is_empty() {
            let (selectors, rest) = trimmed.split_once('{').unwrap_or((trimmed, ""));
            let scoped: Vec<String> = selectors
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| format!("{scope} {s}"))
                .collect();
            out.push_str(&scoped.join(", "));
            if trimmed.contains('{') {
                out.push_str(" {");
                out.push_str(rest);
            } else if trimmed.ends_with(',') {
                out.push(',');
            }
        } else {
            out.push_str(line);
        }
        if !in_comment {
            depth += line.matches('{').count();
            depth = depth.saturating_sub(line.matches('}').count());
        }
        out.push('\n');
    }
    out
}

/// Escapes text for HTML element content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn javascript_gets_classed_spans() {
        let html = highlight("const x = 1;\n", "js");
        assert!(html.contains("<span class=\"hl-source hl-js\">"), "{html}");
        assert!(html.contains("hl-storage"), "{html}");
    }

    #[test]
    fn unknown_languages_are_escaped_not_coloured() {
        assert_eq!(highlight("<b>&</b>", "brainfuck-ish"), "&lt;b&gt;&amp;&lt;/b&gt;");
    }

    #[test]
    fn stylesheet_scopes_every_rule_to_a_theme() {
        let css = stylesheet();
        assert!(css.contains(":root:not([data-theme=\"dark\"]) .hl-code {"), "light code background");
        assert!(css.contains(":root[data-theme=\"dark\"] .hl-code {"), "dark code background");
        for line in css.lines().filter(|l| l.trim_end().ends_with('{')) {
            assert!(line.starts_with(":root"), "unscoped rule: {line}");
        }
    }
}
