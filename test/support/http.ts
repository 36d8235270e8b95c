/** Small HTTP clients for integration tests: a GET, a raw websocket upgrade and an SSE stream reader. */
import { request, type IncomingMessage } from "node:http";
import { connect } from "node:net";

export interface HttpAnswer {
  status: number;
  headers: IncomingMessage["headers"];
  body: string;
}

export function httpRequest(port: number, path: string, options: { method?: string; body?: string; headers?: Record<string, string> } = {}): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, method: options.method ?? "GET", headers: options.headers }, (res) => {
      let body = "";
      res.on("data", (chunk: Buffer) => (body += chunk.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on("error", reject);
    req.end(options.body);
  });
}

/** Sends a websocket upgrade by hand and resolves with the answer's head (status line + headers). */
export function rawUpgrade(port: number, path: string, timeoutMs = 20_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port }, () => {
      socket.write(
        [`GET ${path} HTTP/1.1`, `host: 127.0.0.1:${port}`, "upgrade: websocket", "connection: Upgrade", "sec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==", "sec-websocket-version: 13", "", ""].join("\r\n"),
      );
    });
    let received = "";
    socket.on("data", (chunk: Buffer) => {
      received += chunk.toString("latin1");
      if (received.includes("\r\n\r\n")) {
        socket.destroy();
        resolve(received);
      }
    });
    socket.on("error", reject);
    setTimeout(() => {
      socket.destroy();
      reject(new Error(`no upgrade answer; got: ${received}`));
    }, timeoutMs).unref();
  });
}

export interface SseEvent {
  event: string;
  data: string;
}

/** An open `text/event-stream` response: events as they arrive, and `close()` to drop the connection. */
export interface SseStream {
  status: number;
  contentType: string;
  next(timeoutMs?: number): Promise<SseEvent>;
  close(): void;
}

export function openSse(port: number, path: string): Promise<SseStream> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, headers: { accept: "text/event-stream" } }, (res) => {
      const queue: SseEvent[] = [];
      const waiters: Array<(event: SseEvent) => void> = [];
      let buffer = "";
      res.on("data", (chunk: Buffer) => {
        buffer += chunk.toString().replace(/\r\n/g, "\n");
        let end: number;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event: SseEvent = { event: "message", data: "" };
          const data: string[] = [];
          for (const line of block.split("\n")) {
            if (line.startsWith("event:")) event.event = line.slice(6).trim();
            else if (line.startsWith("data:")) data.push(line.slice(5).trimStart());
          }
          if (data.length === 0) continue; // comments / pings
          event.data = data.join("\n");
          const waiter = waiters.shift();
          if (waiter) waiter(event);
          else queue.push(event);
        }
      });
      res.on("error", () => undefined);
      resolve({
        status: res.statusCode ?? 0,
        contentType: String(res.headers["content-type"] ?? ""),
        next(timeoutMs = 30_000) {
          const queued = queue.shift();
          if (queued) return Promise.resolve(queued);
          return new Promise((done, fail) => {
            const timer = setTimeout(() => fail(new Error(`no SSE event within ${timeoutMs} ms`)), timeoutMs);
            waiters.push((event) => {
              clearTimeout(timer);
              done(event);
            });
          });
        },
        close() {
          req.destroy();
        },
      });
    });
    req.on("error", reject);
    req.end();
  });
}
