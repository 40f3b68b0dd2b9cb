//! In-memory fanout of sync frames to WebSocket subscribers.
use std::task::{Context, Poll};

pub struct MemoryFanoutDriver {
    subscribers: Vec<Subscriber>,
}

impl MemoryFanoutDriver {
    pub fn publish(&self, topic: &str, seq: u64, payload: &[u8]) {
        for s in &self.subscribers {
            s.push(topic, seq, payload);
        }
    }

    pub fn poll_ready(&mut self, cx: &mut Context<'_>, after_seq: u64) -> Poll<()> {
        Poll::Ready(())
    }
}
