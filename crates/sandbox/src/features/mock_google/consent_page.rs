//! The mock's consent page: which app asks, what it may see, and a choice of the seeded
//! Google accounts, with Allow and Deny. The form posts back to the page's own URL, so the
//! authorization request (in the query string) comes with the answer; a script or drill
//! can post `account=...&decision=...` to that URL without the page.

use axum::body::Body;
use axum::http::{Response, StatusCode};

use super::MockAccount;
use crate::features::google_oauth::html;

/// The page for one authorization request.
pub(super) fn render(
    client_name: &str,
    origin: &str,
    scopes: &[(&str, &str)],
    accounts: &[MockAccount],
) -> Response<Body> {
    let client = html::escape(client_name);
    let mut body = format!(
        "<p class=\"brand\"><b>G</b> Sign in with Google · mock provider</p>\
         <h1>Choose an account</h1>\
         <p>to continue to <strong>{client}</strong> at <code>{}</code></p>\
         <form method=\"post\"><fieldset><legend>Accounts on this mock Google</legend>",
        html::escape(origin)
    );
    for (index, account) in accounts.iter().enumerate() {
        let verified = if account.email_verified {
            "<span class=\"good\">verified</span>"
        } else {
            "<span class=\"bad\">not verified</span>"
        };
        body.push_str(&format!(
            "<label><input type=\"radio\" name=\"account\" value=\"{}\"{}> \
             <strong>{}</strong> {} ({verified})<small>{}</small></label>",
            html::escape(account.login),
            if index == 0 { " checked" } else { "" },
            html::escape(&account.name()),
            html::escape(account.email),
            html::escape(account.note),
        ));
    }
    body.push_str(&format!("</fieldset><h2>{client} wants to:</h2><ul>"));
    for (name, line) in scopes {
        body.push_str(&format!(
            "<li>{} <small>scope <code>{}</code></small></li>",
            html::escape(line),
            html::escape(name)
        ));
    }
    body.push_str(
        "</ul><p><small>Allow sends a single-use code back to the app; Deny sends \
         <code>error=access_denied</code>.</small></p>\
         <div class=\"actions\"><button name=\"decision\" value=\"deny\">Deny</button>\
         <button name=\"decision\" value=\"allow\" class=\"primary\">Allow</button></div>\
         </form>",
    );
    html::page(StatusCode::OK, "Sign in with Google (mock)", &body, None)
}
