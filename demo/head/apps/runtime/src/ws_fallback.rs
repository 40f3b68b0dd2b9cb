//! Records which users fell back from the Khala WebSocket, for the support dashboard.
use tokio_postgres::Client;

pub async fn mark_ws_fallback(db: &Client, user_id: i64) -> Result<(), tokio_postgres::Error> {
    db.execute(
        "UPDATE control.users SET ws_fallback_at = now() WHERE id = $1",
        &[&user_id],
    )
    .await?;
    Ok(())
}
