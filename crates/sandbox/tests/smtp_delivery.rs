//! Real SMTP delivery of the sandbox's mail (`--smtp-url`), against a real SMTP server
//! (aiosmtpd): the topic 4 signup's verification mail reaches the server with the right
//! recipient, subject and link, and the mailbox shows it delivered; a relay that is down
//! or silent never fails or slows the signup, the mail stays in the mailbox, and the
//! mailbox says why it was not delivered. The relay's password shows nowhere.

mod common;
#[path = "support/smtp_server.rs"]
mod smtp_server;

use std::net::{Ipv4Addr, TcpListener};
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use common::{Dojo, config};
use dojo_sandbox::SandboxConfig;
use dojo_sandbox::features::mail_delivery::SmtpRelay;
use serde_json::{Value, json};

const NEW: &str = "new.learner@dojo.test";
const GOOD_PASSWORD: &str = "a-long-enough-password";
const SUBJECT: &str = "Confirm your Backend Dojo address";
const FROM: &str = "Dojo Tests <mailer@dojo.test>";
const RELAY_USER: &str = "dojo-relay";
const RELAY_PASSWORD: &str = "relay-s3cret-Pa55";
/// Bound on every wait for the background sender.
const WITHIN: Duration = Duration::from_secs(30);

fn sandbox_with_relay(url: &str) -> Dojo {
    let relay = SmtpRelay::new(url, Some(FROM)).expect("a usable SMTP URL");
    Dojo::with(SandboxConfig {
        smtp: Some(relay),
        ..config()
    })
}

async fn signup(dojo: &Dojo) -> common::Reply {
    let reply = dojo
        .post_json(
            "/api/v1/signup",
            &json!({ "email": NEW, "password": GOOD_PASSWORD }),
        )
        .await;
    assert_eq!(reply.status, StatusCode::ACCEPTED, "{}", reply.text());
    reply
}

async fn mailbox(dojo: &Dojo) -> (Vec<Value>, String) {
    let reply = dojo.get("/_dojo/mailbox").await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let mails = reply.json().as_array().expect("a list of mails").clone();
    (mails, reply.text())
}

/// Polls the mailbox (at most [`WITHIN`]) until its newest mail has left the queue, and
/// returns that mail.
async fn settled_mail(dojo: &Dojo) -> Value {
    let deadline = Instant::now() + WITHIN;
    loop {
        let (mails, _) = mailbox(dojo).await;
        let newest = mails.first().expect("the mail is in the mailbox").clone();
        if newest["delivery"] != "smtp-queued" {
            return newest;
        }
        assert!(
            Instant::now() < deadline,
            "still queued after {WITHIN:?}: {newest}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The reasons every layer of a request's trace gave, joined.
async fn trace_text(dojo: &Dojo, reply: &common::Reply) -> String {
    dojo.trace(&reply.request_id()).await.to_string()
}

#[tokio::test]
async fn the_verification_mail_reaches_a_real_smtp_server_and_shows_as_sent() {
    let Some(server) = smtp_server::start_with_login(RELAY_USER, RELAY_PASSWORD) else {
        return;
    };
    let url = format!(
        "smtp://{RELAY_USER}:{RELAY_PASSWORD}@127.0.0.1:{}",
        server.port()
    );
    let dojo = sandbox_with_relay(&url);
    let reply = signup(&dojo).await;

    let received = server.wait_for_mails(1, WITHIN).await;
    assert_eq!(received.len(), 1, "{received:?}");
    let mail = &received[0];
    assert_eq!(mail["rcpt_tos"], json!([NEW]), "{mail}");
    assert_eq!(mail["to"], NEW, "{mail}");
    assert_eq!(mail["subject"], SUBJECT, "{mail}");
    assert_eq!(mail["from"], FROM, "{mail}");
    assert_eq!(mail["mail_from"], "mailer@dojo.test", "{mail}");
    assert_eq!(mail["content_type"], "text/plain", "{mail}");
    // The relay's login was used.
    assert_eq!(mail["login"], RELAY_USER, "{mail}");

    // The mailbox shows it delivered, with the same link the SMTP server got.
    let kept = settled_mail(&dojo).await;
    assert_eq!(kept["delivery"], "smtp-sent", "{kept}");
    assert_eq!(kept["delivery_error"], Value::Null, "{kept}");
    assert_eq!(kept["to"], NEW);
    assert_eq!(kept["subject"], SUBJECT);
    let link = kept["links"][0].as_str().expect("a verification link");
    assert!(link.contains("/api/v1/verify-email?token="), "{link}");
    let body = mail["body"].as_str().expect("a text body");
    assert!(
        body.contains(link),
        "the delivered body lacks {link}: {body}"
    );

    // The delivered link is the real one: it verifies the account.
    let path = &link[link.find("/api/").expect("a path")..];
    let verified = dojo.get(path).await;
    assert_eq!(verified.status, StatusCode::OK, "{}", verified.text());
    assert_eq!(verified.json(), json!({ "email": NEW, "verified": true }));

    // The password shows neither in the mailbox nor in the signup's trace, which names
    // the relay it queued the mail for.
    let (_, listing) = mailbox(&dojo).await;
    assert!(!listing.contains(RELAY_PASSWORD), "{listing}");
    let trace = trace_text(&dojo, &reply).await;
    assert!(
        trace.contains(&format!(
            "queued for smtp://{RELAY_USER}:***@127.0.0.1:{}",
            server.port()
        )),
        "{trace}"
    );
    assert!(!trace.contains(RELAY_PASSWORD), "{trace}");
}

#[tokio::test]
async fn every_mail_of_a_run_is_delivered_in_order() {
    let Some(server) = smtp_server::start() else {
        return;
    };
    let dojo = sandbox_with_relay(&server.url());
    signup(&dojo).await;
    // Signing up again with the same address mails its owner a notice instead.
    signup(&dojo).await;
    let received = server.wait_for_mails(2, WITHIN).await;
    let subjects: Vec<&str> = received
        .iter()
        .map(|m| m["subject"].as_str().expect("a subject"))
        .collect();
    assert_eq!(
        subjects,
        [SUBJECT, "Someone tried to sign up with your address"]
    );
    // No login was configured, so none was used.
    assert_eq!(received[0]["login"], Value::Null);
    let deadline = Instant::now() + WITHIN;
    loop {
        let (mails, _) = mailbox(&dojo).await;
        assert_eq!(mails.len(), 2);
        if mails.iter().all(|m| m["delivery"] == "smtp-sent") {
            break;
        }
        assert!(Instant::now() < deadline, "not all sent: {mails:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_relay_that_is_down_fails_the_delivery_not_the_signup() {
    let port = smtp_server::closed_port();
    let dojo = sandbox_with_relay(&format!("smtp://nobody:pw-{port}-x@127.0.0.1:{port}"));
    signup(&dojo).await;

    let kept = settled_mail(&dojo).await;
    assert_eq!(kept["to"], NEW);
    assert_eq!(kept["subject"], SUBJECT);
    assert_eq!(kept["delivery"], "smtp-failed", "{kept}");
    let why = kept["delivery_error"].as_str().expect("a reason");
    assert!(
        why.starts_with(&format!("smtp://nobody:***@127.0.0.1:{port}: ")),
        "{why}"
    );
    assert!(why.to_lowercase().contains("refused"), "{why}");
    assert!(!why.contains(&format!("pw-{port}-x")), "{why}");

    // The learner's mailbox still works: the link in it verifies the account.
    let link = kept["links"][0].as_str().expect("a verification link");
    let verified = dojo.get(&link[link.find("/api/").expect("a path")..]).await;
    assert_eq!(verified.status, StatusCode::OK, "{}", verified.text());
}

#[tokio::test]
async fn a_relay_that_never_answers_does_not_slow_the_signup() {
    // Accepts connections (the kernel completes them) but never says a word.
    let silent = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("a free port");
    let port = silent.local_addr().expect("an address").port();
    let dojo = sandbox_with_relay(&format!("smtp://127.0.0.1:{port}"));

    let started = Instant::now();
    signup(&dojo).await;
    let took = started.elapsed();
    // The relay's own timeouts are 10 s and more; the signup does not wait for them.
    assert!(took < Duration::from_secs(5), "signup took {took:?}");
    let (mails, _) = mailbox(&dojo).await;
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0]["delivery"], "smtp-queued", "{}", mails[0]);
    assert_eq!(mails[0]["delivery_error"], Value::Null);
}

#[tokio::test]
async fn without_a_relay_mail_stays_local() {
    let dojo = Dojo::new();
    signup(&dojo).await;
    let (mails, _) = mailbox(&dojo).await;
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0]["delivery"], "local-only");
    assert_eq!(mails[0]["delivery_error"], Value::Null);
}
