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

/// The code background of the UI's light and dark themes (`--code-bg` in the UI's CSS).
const LIGHT_CODE_BACKGROUND: Rgb = Rgb(0xf6, 0xf8, 0xfa);
const DARK_CODE_BACKGROUND: Rgb = Rgb(0x16, 0x1a, 0x21);
/// WCAG AA asks 4.5:1 for normal text; a little above leaves room for rounding.
const MIN_CONTRAST: f64 = 4.6;

static SYNTAXES: LazyLock<SyntaxSet> = LazyLock::new(SyntaxSet::load_defaults_newlines);

static STYLESHEET: LazyLock<String> = LazyLock::new(|| {
    let themes = ThemeSet::load_defaults();
    let css = |name: &str| {
        css_for_theme_with_class_style(&themes.themes[name], CLASS_STYLE)
            .expect("the bundled themes convert to CSS")
    };
    let mut out = String::from(
        "/* Backend Dojo code colours: light by default, dark under data-theme=\"dark\". */\n",
    );
    let light = readable(&css(LIGHT_THEME), LIGHT_CODE_BACKGROUND);
    let dark = readable(&css(DARK_THEME), DARK_CODE_BACKGROUND);
    out.push_str(&scope_selectors(&light, ":root:not([data-theme=\"dark\"])"));
    out.push_str(&scope_selectors(&dark, ":root[data-theme=\"dark\"]"));
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
        if generator
            .parse_html_for_line_which_includes_newline(line)
            .is_err()
        {
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

/// An sRGB colour.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Rgb(u8, u8, u8);

impl Rgb {
    fn parse_hex(hex: &str) -> Option<Rgb> {
        let hex = hex.strip_prefix('#')?;
        if hex.len() != 6 {
            return None;
        }
        let byte = |at: usize| u8::from_str_radix(hex.get(at..at + 2)?, 16).ok();
        Some(Rgb(byte(0)?, byte(2)?, byte(4)?))
    }

    fn hex(self) -> String {
        format!("#{:02x}{:02x}{:02x}", self.0, self.1, self.2)
    }

    /// WCAG relative luminance.
    fn luminance(self) -> f64 {
        let channel = |c: u8| {
            let c = f64::from(c) / 255.0;
            if c <= 0.039_28 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * channel(self.0) + 0.7152 * channel(self.1) + 0.0722 * channel(self.2)
    }

    fn contrast(self, other: Rgb) -> f64 {
        let (a, b) = (self.luminance(), other.luminance());
        (a.max(b) + 0.05) / (a.min(b) + 0.05)
    }

    /// Moves a step of the way towards `target`.
    fn towards(self, target: Rgb, step: f64) -> Rgb {
        let mix = |from: u8, to: u8| {
            let value = f64::from(from) + (f64::from(to) - f64::from(from)) * step;
            // The value stays within 0..=255: it lies between two bytes.
            value.round().clamp(0.0, 255.0) as u8
        };
        Rgb(
            mix(self.0, target.0),
            mix(self.1, target.1),
            mix(self.2, target.2),
        )
    }
}

/// Rewrites every text colour of a theme's stylesheet that is too faint on `background`
/// (and on the theme's own background) so it reaches [`MIN_CONTRAST`]: colours move towards
/// black on a light background and towards white on a dark one, keeping their hue.
fn readable(css: &str, background: Rgb) -> String {
    let theme_background = css
        .lines()
        .find_map(|line| line.trim().strip_prefix("background-color:"))
        .and_then(|value| Rgb::parse_hex(value.trim().trim_end_matches(';')));
    let backgrounds: Vec<Rgb> = std::iter::once(background)
        .chain(theme_background)
        .collect();
    let target = if background.luminance() > 0.5 {
        Rgb(0, 0, 0)
    } else {
        Rgb(255, 255, 255)
    };
    let fix = |colour: Rgb| {
        let mut colour = colour;
        for _ in 0..40 {
            if backgrounds
                .iter()
                .all(|bg| colour.contrast(*bg) >= MIN_CONTRAST)
            {
                break;
            }
            colour = colour.towards(target, 0.08);
        }
        colour
    };
    css.lines()
        .map(|line| {
            let trimmed = line.trim_start();
            let Some(value) = trimmed.strip_prefix("color:") else {
                return format!("{line}\n");
            };
            match Rgb::parse_hex(value.trim().trim_end_matches(';')) {
                Some(colour) => format!(" color: {};\n", fix(colour).hex()),
                None => format!("{line}\n"),
            }
        })
        .collect()
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
        assert_eq!(
            highlight("<b>&</b>", "brainfuck-ish"),
            "&lt;b&gt;&amp;&lt;/b&gt;"
        );
    }

    #[test]
    fn every_code_colour_is_readable_on_the_code_background() {
        let css = stylesheet();
        let (light, dark) = css
            .split_once(":root[data-theme=\"dark\"]")
            .expect("a dark part");
        for (part, background) in [(light, LIGHT_CODE_BACKGROUND), (dark, DARK_CODE_BACKGROUND)] {
            let colours: Vec<Rgb> = part
                .lines()
                .filter_map(|line| line.trim().strip_prefix("color:"))
                .filter_map(|value| Rgb::parse_hex(value.trim().trim_end_matches(';')))
                .collect();
            assert!(colours.len() > 10, "the theme has colours");
            for colour in colours {
                let ratio = colour.contrast(background);
                assert!(
                    ratio >= 4.5,
                    "{} on {} is {ratio:.2}:1",
                    colour.hex(),
                    background.hex()
                );
            }
        }
    }

    #[test]
    fn contrast_ratio_matches_the_wcag_formula() {
        let black = Rgb(0, 0, 0);
        let white = Rgb(255, 255, 255);
        assert!((black.contrast(white) - 21.0).abs() < 1e-9);
        assert!((Rgb(0x76, 0x76, 0x76).contrast(white) - 4.54).abs() < 0.01);
    }

    #[test]
    fn stylesheet_scopes_every_rule_to_a_theme() {
        let css = stylesheet();
        assert!(
            css.contains(":root:not([data-theme=\"dark\"]) .hl-code {"),
            "light code background"
        );
        assert!(
            css.contains(":root[data-theme=\"dark\"] .hl-code {"),
            "dark code background"
        );
        for line in css.lines().filter(|l| l.trim_end().ends_with('{')) {
            assert!(line.starts_with(":root"), "unscoped rule: {line}");
        }
    }
}
