//! Web shell (WASM). Drives the Khala WebSocket loop.
pub const KHALA_POLL_INTERVAL: u32 = 2_000;

pub fn start_sync(socket: &KhalaSocket) {
    socket.subscribe("runtime.run_summaries");
}
