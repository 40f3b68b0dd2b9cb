//! Control service. The legacy chat-stream alias below is the ADR-0008 presentation adapter.
use axum::response::sse::{Event, Sse};

pub async fn legacy_chat_stream() -> Sse<EventStream> {
    // ADR-0008: bounded Vercel-compatible SSE lane, text/event-stream, presentation only.
    Sse::new(chat_events())
}
