/**
 * The text/event-stream wire format. A frame is built once and written to every subscriber it
 * goes to, so fan-out costs one serialisation per event, not one per connection.
 */

export interface SseFrame {
  readonly text: string;
  /** Its size on the wire, for the per-connection buffer bound. */
  readonly bytes: number;
}

function frame(text: string): SseFrame {
  return { text, bytes: Buffer.byteLength(text) };
}

/** `data` is sent as is when it is a string (already JSON), else as JSON. */
export function messageFrame(event: string, id: string, data: unknown): SseFrame {
  const body = typeof data === "string" ? data : JSON.stringify(data);
  // A line break would end the field; the format carries multi-line data as several data: lines.
  const lines = body.includes("\n") || body.includes("\r") ? body.split(/\r\n|\r|\n/) : [body];
  return frame(`event: ${event}\nid: ${id}\n${lines.map((line) => `data: ${line}\n`).join("")}\n`);
}

export function retryFrame(retryMs: number): SseFrame {
  return frame(`retry: ${retryMs}\n\n`);
}

/**
 * A heartbeat comment. With `id` it also moves the client's Last-Event-ID forward without
 * dispatching an event (an id-only message), so a filtered stream that matched nothing for a
 * while still resumes from near now rather than from its last match.
 */
export function heartbeatFrame(id?: string): SseFrame {
  return frame(id === undefined ? ": heartbeat\n\n" : `: heartbeat\nid: ${id}\n\n`);
}
