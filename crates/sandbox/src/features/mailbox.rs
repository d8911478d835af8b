//! The built-in mailbox: every mail the sandbox sends (verification links, reset links,
//! one-time codes) is kept in memory instead of leaving the machine, newest first, readable
//! at `GET /_dojo/mailbox` and `GET /_dojo/mailbox/{id}`. A topic reset empties it.

use std::sync::Mutex;

use serde::Serialize;

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
}

/// The sandbox's outbox.
#[derive(Debug, Default)]
pub struct Mailbox {
    inner: Mutex<Outbox>,
}

#[derive(Debug, Default)]
struct Outbox {
    next_id: u64,
    mails: Vec<Mail>,
}

impl Mailbox {
    /// "Sends" a mail: it lands here. Returns its id.
    pub fn send(&self, to: &str, subject: &str, text: String) -> u64 {
        let mut outbox = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        outbox.next_id += 1;
        let id = outbox.next_id;
        let mail = Mail {
            id,
            links: links_in(&text),
            sent_at: now_ms(),
            subject: subject.to_owned(),
            text,
            to: to.to_owned(),
        };
        tracing::info!(target: "dojo::trace", layer = "mailbox", step = "decision", decision = "passed", reason = %format!("mail {id} sent to {to}: {subject}"));
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
    }
}
