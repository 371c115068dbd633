//! The session's mailboxes: one FIFO queue per loaded module, and the
//! global send order that delivery follows.

use std::collections::{BTreeMap, VecDeque};

use crate::outcome::Message;

/// A message in a mailbox, or dead-lettered: its place in the global send
/// order, sender, receiver and data.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Envelope {
    /// Its position in the session's global send order (0, 1, 2, ...:
    /// numbered when the sending execution is committed, in the order the
    /// messages were sent).
    pub seq: u64,
    /// The sender's module name.
    pub from: String,
    /// The receiver's module name.
    pub to: String,
    /// The data.
    pub data: Vec<u8>,
}

/// Every loaded module's mailbox, and the next sequence number.
#[derive(Debug, Default)]
pub(crate) struct Bus {
    mailboxes: BTreeMap<String, VecDeque<Envelope>>,
    next_seq: u64,
}

impl Bus {
    /// Opens an empty mailbox for a module being loaded.
    pub(crate) fn open(&mut self, name: &str) {
        self.mailboxes.entry(name.to_owned()).or_default();
    }

    /// Drops a module's mailbox, returning what it held.
    pub(crate) fn close(&mut self, name: &str) -> Vec<Envelope> {
        self.mailboxes
            .remove(name)
            .map(Vec::from)
            .unwrap_or_default()
    }

    /// The number of messages in `name`'s mailbox, or `None` if no module
    /// of that name is loaded.
    pub(crate) fn len(&self, name: &str) -> Option<usize> {
        self.mailboxes.get(name).map(VecDeque::len)
    }

    /// The message at `index` (0 is the oldest) of `name`'s mailbox.
    pub(crate) fn get(&self, name: &str, index: usize) -> Option<&Envelope> {
        self.mailboxes.get(name)?.get(index)
    }

    /// Removes the `count` oldest messages of `name`'s mailbox (the pops of
    /// a committed execution).
    pub(crate) fn pop_front(&mut self, name: &str, count: usize) {
        if let Some(mailbox) = self.mailboxes.get_mut(name) {
            let count = count.min(mailbox.len());
            mailbox.drain(..count);
        }
    }

    /// Queues the messages of a committed execution of `from`, numbering
    /// them in the order they were sent. Every receiver was checked by
    /// `send`; a message whose receiver is gone is returned (it cannot
    /// happen within one session operation, but is never lost silently).
    pub(crate) fn deliver(&mut self, from: &str, messages: &[Message]) -> Vec<Envelope> {
        let mut undeliverable = Vec::new();
        for message in messages {
            let envelope = Envelope {
                seq: self.next_seq,
                from: from.to_owned(),
                to: message.to.clone(),
                data: message.data.clone(),
            };
            self.next_seq += 1;
            match self.mailboxes.get_mut(&message.to) {
                Some(mailbox) => mailbox.push_back(envelope),
                None => undeliverable.push(envelope),
            }
        }
        undeliverable
    }

    /// The receiver and sequence number of the oldest message in any
    /// mailbox: the head with the lowest sequence number.
    pub(crate) fn oldest(&self) -> Option<(String, u64)> {
        self.mailboxes
            .iter()
            .filter_map(|(name, mailbox)| mailbox.front().map(|e| (e.seq, name)))
            .min()
            .map(|(seq, name)| (name.clone(), seq))
    }

    /// Removes the head of `name`'s mailbox if it is message `seq`.
    pub(crate) fn take_if_head(&mut self, name: &str, seq: u64) -> Option<Envelope> {
        let mailbox = self.mailboxes.get_mut(name)?;
        if mailbox.front().is_some_and(|e| e.seq == seq) {
            mailbox.pop_front()
        } else {
            None
        }
    }

    /// Every mailbox, by module name.
    pub(crate) fn mailboxes(&self) -> &BTreeMap<String, VecDeque<Envelope>> {
        &self.mailboxes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(to: &str, data: u8) -> Message {
        Message {
            to: to.into(),
            data: vec![data],
        }
    }

    #[test]
    fn delivery_follows_global_send_order_across_mailboxes() {
        let mut bus = Bus::default();
        for name in ["a", "b", "c"] {
            bus.open(name);
        }
        assert!(
            bus.deliver("a", &[message("c", 1), message("b", 2)])
                .is_empty()
        );
        assert!(bus.deliver("b", &[message("c", 3)]).is_empty());
        let mut order = Vec::new();
        while let Some((to, seq)) = bus.oldest() {
            let envelope = bus.take_if_head(&to, seq).unwrap();
            order.push((to, envelope.seq, envelope.from, envelope.data[0]));
        }
        assert_eq!(
            order,
            [
                ("c".to_owned(), 0, "a".to_owned(), 1),
                ("b".to_owned(), 1, "a".to_owned(), 2),
                ("c".to_owned(), 2, "b".to_owned(), 3),
            ]
        );
    }

    #[test]
    fn pops_close_and_stale_heads() {
        let mut bus = Bus::default();
        bus.open("a");
        bus.deliver("x", &[message("a", 1), message("a", 2), message("gone", 3)])
            .iter()
            .for_each(|e| assert_eq!(e.to, "gone"));
        assert_eq!(bus.len("a"), Some(2));
        assert_eq!(bus.get("a", 1).map(|e| e.data[0]), Some(2));
        // Not the head: untouched.
        assert_eq!(bus.take_if_head("a", 1), None);
        bus.pop_front("a", 1);
        assert_eq!(bus.get("a", 0).map(|e| e.seq), Some(1));
        bus.pop_front("a", 5);
        assert_eq!(bus.len("a"), Some(0));
        bus.deliver("x", &[message("a", 4)]);
        assert_eq!(bus.close("a").len(), 1);
        assert_eq!(bus.len("a"), None);
        assert_eq!(bus.oldest(), None);
    }
}
