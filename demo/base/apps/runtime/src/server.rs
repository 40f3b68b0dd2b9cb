//! Runtime HTTP surface: authority mutations over HTTP, Khala delivery over WebSocket.
use axum::{routing::{get, post}, Router};

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/internal/v1/runs", post(create_run))
        .route("/internal/v1/runs/:id/events", post(append_run_event))
        .route("/internal/v1/khala/topics/:topic/ws", get(khala_ws))
        .with_state(state)
}
