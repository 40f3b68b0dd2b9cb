// Khala live sync client: one WebSocket, resume after the last applied seq.
export function connectKhala(topic: string, lastSeq: number): WebSocket {
  const socket = new WebSocket("/sync/socket/websocket");
  socket.onopen = () =>
    socket.send(JSON.stringify({ event: "sync:subscribe", topic, resume_after: lastSeq }));
  return socket;
}
