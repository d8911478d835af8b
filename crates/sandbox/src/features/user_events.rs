//! Things that happen to a user (a reply, a mention, a payment), published once by the
//! feature where they happen and delivered by whoever listens: the Socket.IO server pushes
//! them to the user's room (topic 24), the traffic view shows them.

use serde::Serialize;
use serde_json::Value;
use tokio::sync::broadcast;

/// How many events a slow listener may fall behind before it misses some.
const BACKLOG: usize = 256;

/// One event for one user.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UserEvent {
    /// Who it is for (a user id from the user store or the data suite).
    pub user_id: u64,
    /// The event name a client listens for, such as `payment.succeeded`.
    pub name: String,
    /// What the client receives with it.
    pub data: Value,
}

/// The hub: publishing never blocks and never fails, even with nobody listening.
#[derive(Debug)]
pub struct UserEvents {
    sender: broadcast::Sender<UserEvent>,
}

impl Default for UserEvents {
    fn default() -> Self {
        UserEvents {
            sender: broadcast::channel(BACKLOG).0,
        }
    }
}

impl UserEvents {
    /// Sends `name` with `data` to everyone listening for `user_id`'s events.
    pub fn publish(&self, user_id: u64, name: &str, data: Value) {
        tracing::debug!(user_id, event = name, "user event published");
        // No receiver is a normal state (no client connected), not an error.
        let _ = self.sender.send(UserEvent {
            user_id,
            name: name.to_owned(),
            data,
        });
    }

    /// Every event published from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<UserEvent> {
        self.sender.subscribe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_listener_receives_what_is_published_after_it_subscribed() {
        let events = UserEvents::default();
        events.publish(1, "before", Value::Null);
        let mut listener = events.subscribe();
        events.publish(7, "payment.succeeded", serde_json::json!({"amount": 1999}));
        let event = listener.recv().await.expect("one event waiting");
        assert_eq!(event.user_id, 7);
        assert_eq!(event.name, "payment.succeeded");
        assert_eq!(event.data["amount"], 1999);
    }
}
