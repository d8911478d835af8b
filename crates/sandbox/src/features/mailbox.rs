//! The built-in mailbox: every mail the sandbox sends (verification links, reset links,
//! one-time codes, receipts) is kept in memory, newest first, readable at
//! `GET /_dojo/mailbox` and `GET /_dojo/mailbox/{id}`. A topic reset empties it.
//!
//! By default no mail leaves the machine. When the sandbox has an SMTP relay
//! (`--smtp-url`), each mail is also handed to `mail_delivery`'s background sender, and its
//! `delivery` here follows what happened: queued, sent, or failed with the reason.

use std::sync::{Arc, Mutex};

use serde::Serialize;

use crate::features::mail_delivery::{Courier, Outgoing, SmtpRelay};
use crate::features::secrets::now_ms;

/// Mails kept at most; the oldest go first.
const CAPACITY: usize = 200;

/// One sent mail.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Mail {
    pub id: u64,
    /// Every link in the text, in order, so a client can open them without parsing.
    pub links: Vec<String>,
    /// Milliseconds since the Unix epoch.
    pub sent_at: u64,
    pub subject: String,
    pub text: String,
    pub to: String,
    /// Whether the mail also went out through the SMTP relay.
    pub delivery: Delivery,
    /// Why the relay did not take it, when `delivery` is `smtp-failed`.
    pub delivery_error: Option<String>,
}

/// What became of a mail besides landing in the mailbox.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Delivery {
    /// No SMTP relay is set: the mailbox is the only copy.
    LocalOnly,
    /// Waiting for the background sender.
    SmtpQueued,
    /// The relay accepted it.
    SmtpSent,
    /// It was not delivered; `delivery_error` says why.
    SmtpFailed,
}

/// The sandbox's outbox.
#[derive(Debug, Default)]
pub struct Mailbox {
    inner: Arc<Mutex<Outbox>>,
    /// The SMTP relay's queue, when one is set.
    courier: Option<Courier>,
}

#[derive(Debug, Default)]
struct Outbox {
    next_id: u64,
    mails: Vec<Mail>,
}

impl Mailbox {
    /// A mailbox whose mail also goes through `relay` when one is given.
    pub fn new(relay: Option<SmtpRelay>) -> Mailbox {
        let inner = Arc::new(Mutex::new(Outbox::default()));
        let courier = relay.map(|relay| {
            // The sender task holds the mails, not the mailbox: dropping the sandbox closes
            // the queue, and the task ends once it is empty.
            let mails = Arc::clone(&inner);
            Courier::new(
                relay,
                Box::new(move |id, outcome| {
                    let mut outbox = mails.lock().unwrap_or_else(|e| e.into_inner());
                    outbox.record(id, outcome);
                }),
            )
        });
        Mailbox { inner, courier }
    }

    /// The SMTP relay's URL (password left out), when mail also goes out through one.
    pub fn relay_url(&self) -> Option<&str> {
        self.courier.as_ref().map(Courier::relay_url)
    }

    /// Sends a mail: it lands here, and is queued for the SMTP relay if there is one.
    /// Never waits on the network. Returns its id.
    pub fn send(&self, to: &str, subject: &str, text: String) -> u64 {
        let mut outbox = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        outbox.next_id += 1;
        let id = outbox.next_id;
        let mut mail = Mail {
            id,
            links: links_in(&text),
            sent_at: now_ms(),
            subject: subject.to_owned(),
            text,
            to: to.to_owned(),
            delivery: Delivery::LocalOnly,
            delivery_error: None,
        };
        let mut reason = format!("mail {id} sent to {to}: {subject}");
        if let Some(courier) = &self.courier {
            // Posted under the outbox lock, so the sender's report cannot overtake the mail.
            let queued = courier.post(Outgoing {
                id,
                to: mail.to.clone(),
                subject: mail.subject.clone(),
                text: mail.text.clone(),
            });
            match queued {
                Ok(()) => {
                    mail.delivery = Delivery::SmtpQueued;
                    reason.push_str(&format!(" (queued for {})", courier.relay_url()));
                }
                Err(why) => {
                    mail.delivery = Delivery::SmtpFailed;
                    reason.push_str(&format!(" (SMTP: {why})"));
                    mail.delivery_error = Some(why);
                }
            }
        }
        tracing::info!(target: "dojo::trace", layer = "mailbox", step = "decision", decision = "passed", reason = %reason);
        outbox.mails.push(mail);
        if outbox.mails.len() > CAPACITY {
            outbox.mails.remove(0);
        }
        id
    }

    /// The newest `limit` mails, newest first.
    pub fn recent(&self, limit: usize) -> Vec<Mail> {
        let outbox = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        outbox.mails.iter().rev().take(limit).cloned().collect()
    }

    pub fn get(&self, id: u64) -> Option<Mail> {
        let outbox = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        outbox.mails.iter().find(|m| m.id == id).cloned()
    }

    /// Empties the mailbox; ids keep counting up, so an old id never names a new mail.
    pub fn clear(&self) {
        self.inner
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .mails
            .clear();
    }
}

impl Outbox {
    /// Notes the relay's outcome on the mail, if it is still here (a reset may have
    /// emptied the mailbox meanwhile).
    fn record(&mut self, id: u64, outcome: Result<(), String>) {
        if let Some(mail) = self.mails.iter_mut().find(|m| m.id == id) {
            match outcome {
                Ok(()) => {
                    mail.delivery = Delivery::SmtpSent;
                    mail.delivery_error = None;
                }
                Err(why) => {
                    mail.delivery = Delivery::SmtpFailed;
                    mail.delivery_error = Some(why);
                }
            }
        }
    }
}

/// The `http://` and `https://` links in a text, each ending at whitespace.
fn links_in(text: &str) -> Vec<String> {
    text.split_whitespace()
        .filter(|word| word.starts_with("http://") || word.starts_with("https://"))
        .map(|word| word.trim_end_matches(['.', ',', ')', '>']).to_owned())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::mail_delivery::QUEUE_CAPACITY;

    #[test]
    fn mails_are_listed_newest_first_with_their_links() {
        let mailbox = Mailbox::default();
        let first = mailbox.send("ada@dojo.test", "One", "no links here".into());
        let second = mailbox.send(
            "ada@dojo.test",
            "Two",
            "Open http://127.0.0.1:1/a?token=x. Or https://example.test/b".into(),
        );
        let listed = mailbox.recent(10);
        assert_eq!(
            listed.iter().map(|m| m.id).collect::<Vec<_>>(),
            [second, first]
        );
        assert_eq!(
            listed[0].links,
            ["http://127.0.0.1:1/a?token=x", "https://example.test/b"]
        );
        assert!(listed[1].links.is_empty());
        mailbox.clear();
        assert!(mailbox.recent(10).is_empty());
        assert!(mailbox.get(first).is_none());
        assert!(mailbox.send("a@b.c", "Three", String::new()) > second);
        assert!(
            mailbox
                .recent(10)
                .iter()
                .all(|m| m.delivery == Delivery::LocalOnly && m.delivery_error.is_none())
        );
    }

    fn relay() -> SmtpRelay {
        SmtpRelay::new("smtp://127.0.0.1:9", None).expect("a valid relay URL")
    }

    #[tokio::test]
    async fn a_full_queue_refuses_the_mail_but_the_mailbox_keeps_it() {
        let mailbox = Mailbox::new(Some(relay()));
        assert_eq!(mailbox.relay_url(), Some("smtp://127.0.0.1:9"));
        // Nothing yields in between, so the sender task has taken none of them yet.
        let ids: Vec<u64> = (0..=QUEUE_CAPACITY)
            .map(|n| mailbox.send("ada@dojo.test", &format!("Mail {n}"), "text".into()))
            .collect();
        let mails = mailbox.recent(QUEUE_CAPACITY + 1);
        assert_eq!(mails.len(), QUEUE_CAPACITY + 1);
        let refused = &mails[0];
        assert_eq!(refused.id, ids[QUEUE_CAPACITY]);
        assert_eq!(refused.delivery, Delivery::SmtpFailed);
        let why = refused.delivery_error.as_deref().expect("a reason");
        assert!(why.contains("already waiting"), "{why}");
        assert!(
            mails[1..]
                .iter()
                .all(|m| m.delivery == Delivery::SmtpQueued && m.delivery_error.is_none())
        );
    }

    #[test]
    fn without_a_runtime_the_mail_is_kept_and_marked_not_delivered() {
        let mailbox = Mailbox::new(Some(relay()));
        let id = mailbox.send("ada@dojo.test", "Hello", "text".into());
        let mail = mailbox.get(id).expect("kept in the mailbox");
        assert_eq!(mail.delivery, Delivery::SmtpFailed);
        assert_eq!(
            mail.delivery_error.as_deref(),
            Some("no tokio runtime to send it from")
        );
    }
}
