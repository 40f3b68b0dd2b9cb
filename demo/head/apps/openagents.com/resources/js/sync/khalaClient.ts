// Khala live sync client: one WebSocket, resume after the last applied seq.
export function connectKhala(topic: string, lastSeq: number): WebSocket {
  const socket = new WebSocket("/sync/socket/websocket");
  socket.onopen = () =>
    socket.send(JSON.stringify({ event: "sync:subscribe", topic, resume_after: lastSeq }));
  socket.onerror = () => fallbackToEventStream(topic, lastSeq);
  return socket;
}

// Fallback for networks that block WebSockets.
function fallbackToEventStream(topic: string, lastSeq: number) {
  const stream = new EventSource(`/internal/v1/khala/topics/${topic}/stream?after_seq=${lastSeq}`);
  stream.onmessage = (e) => applyFrame(JSON.parse(e.data));
}
