//! The two HTML pages of the Google sign-in (the mock's consent page, the sandbox's
//! result page): escaping, one shared stylesheet, and headers that let them work as a
//! popup without loosening anything else. Inline style and script are allowed by their
//! SHA-256 in the page's own CSP, never by `'unsafe-inline'`.

use std::sync::LazyLock;

use axum::body::Body;
use axum::http::{HeaderValue, Response, StatusCode, header};
use axum::response::IntoResponse;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest as _, Sha256};

/// Text made safe to place in HTML content or a quoted attribute.
pub(crate) fn escape(text: &str) -> String {
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

/// JSON made safe inside `<script type="application/json">`: no `<` can close the
/// element, no `&` can start an entity.
pub(crate) fn json_for_script(value: &serde_json::Value) -> String {
    value
        .to_string()
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

const STYLE: &str = "\
body{margin:0;font:15px/1.5 system-ui,sans-serif;background:#f1f3f4;color:#202124}\
main{max-width:34rem;margin:3rem auto;padding:2rem;background:#fff;border-radius:12px;\
box-shadow:0 1px 3px rgba(0,0,0,.2)}\
h1{font-size:1.5rem;margin:.2rem 0 .4rem}h2{font-size:1rem;margin:1.4rem 0 .4rem}\
.brand{color:#5f6368;margin:0}.brand b{color:#1a73e8}\
fieldset{border:0;padding:0;margin:1rem 0}legend{color:#5f6368;padding:0}\
label{display:block;border:1px solid #dadce0;border-radius:8px;padding:.6rem .8rem;\
margin:.4rem 0;cursor:pointer}label:has(input:checked){border-color:#1a73e8;background:#e8f0fe}\
small{display:block;color:#5f6368}.bad{color:#b3261e}.good{color:#188038}\
.actions{display:flex;gap:.8rem;justify-content:flex-end;margin-top:1.4rem}\
button{font:inherit;padding:.5rem 1.4rem;border-radius:6px;border:1px solid #dadce0;\
background:#fff;cursor:pointer}button.primary{background:#1a73e8;color:#fff;border-color:#1a73e8}\
code{word-break:break-all;background:#f1f3f4;padding:.1rem .3rem;border-radius:4px}";

/// `'sha256-...'` of an inline element's exact text, as CSP names it.
fn csp_hash(text: &str) -> String {
    format!(
        "'sha256-{}'",
        STANDARD.encode(Sha256::digest(text.as_bytes()))
    )
}

static STYLE_HASH: LazyLock<String> = LazyLock::new(|| csp_hash(STYLE));

/// A complete page with the shared style and, optionally, one constant inline script.
/// Forms may post only to this origin; nothing may frame the page. `Cross-Origin-Opener-
/// Policy: unsafe-none` keeps `window.opener`, so a page of the flow opened as a popup by
/// the app can still hand its result back (the sandbox's default `same-origin` would sever
/// it). `no-store`: the pages carry one-time values.
pub(crate) fn page(
    status: StatusCode,
    title: &str,
    body: &str,
    script: Option<&'static str>,
) -> Response<Body> {
    let script_tag = script
        .map(|s| format!("<script>{s}</script>"))
        .unwrap_or_default();
    let html = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{}</title><style>{STYLE}</style></head>\
         <body><main>{body}</main>{script_tag}</body></html>\n",
        escape(title)
    );
    let script_src = script.map_or_else(|| "'none'".to_owned(), csp_hash);
    let csp = format!(
        "default-src 'none'; style-src {}; script-src {script_src}; form-action 'self'; \
         frame-ancestors 'none'; base-uri 'none'",
        *STYLE_HASH
    );
    let mut response = (status, html).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::HeaderName::from_static("cross-origin-opener-policy"),
        HeaderValue::from_static("unsafe-none"),
    );
    if let Ok(csp) = HeaderValue::from_str(&csp) {
        headers.insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    response
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn markup_in_text_stays_text() {
        assert_eq!(
            escape("<img src=x onerror=\"alert('1')\">&"),
            "&lt;img src=x onerror=&quot;alert(&#39;1&#39;)&quot;&gt;&amp;"
        );
    }

    #[test]
    fn json_cannot_close_its_script_element() {
        let text = json_for_script(&json!({ "name": "</script><script>alert(1)</script>" }));
        assert!(!text.contains('<'), "{text}");
        let back: serde_json::Value = serde_json::from_str(&text).expect("still JSON");
        assert_eq!(back["name"], "</script><script>alert(1)</script>");
    }

    #[test]
    fn the_csp_allows_exactly_the_inline_style_and_script() {
        let response = page(StatusCode::OK, "t", "<p>b</p>", Some("void 0;"));
        let csp = response
            .headers()
            .get(header::CONTENT_SECURITY_POLICY)
            .and_then(|v| v.to_str().ok())
            .expect("a CSP")
            .to_owned();
        assert!(csp.contains(&csp_hash("void 0;")), "{csp}");
        assert!(csp.contains(&csp_hash(STYLE)), "{csp}");
        assert!(!csp.contains("unsafe-inline"), "{csp}");
        assert_eq!(
            response.headers()["cross-origin-opener-policy"],
            "unsafe-none"
        );
    }
}
