import type { IncomingMessage, ServerResponse } from "node:http";
import type { Clock, TimerHandle } from "../../core/index.js";
import type { DaemonEvent, DaemonEventSource } from "./event-hub.js";

/**
 * Server-sent events: one `event:`/`data:` block per daemon event, a comment line as heartbeat
 * so proxies and clients notice a dead connection. Returns a function that ends the stream.
 */
export function openEventStream(
  req: IncomingMessage,
  res: ServerResponse,
  options: { events: DaemonEventSource; clock: Clock; heartbeatMs: number; workspace?: string },
): () => void {
  res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-store", connection: "keep-alive" });
  res.write("retry: 2000\n: connected\n\n");
  let id = 0;
  let timer: TimerHandle | undefined;
  const heartbeat = () => {
    timer = options.clock.setTimer(options.clock.now() + options.heartbeatMs, () => {
      res.write(": heartbeat\n\n");
      heartbeat();
    });
  };
  const unsubscribe = options.events.subscribe((event: DaemonEvent) => {
    if (options.workspace && event.workspace !== options.workspace) return;
    id += 1;
    res.write(`id: ${id}\nevent: ${event.type}\ndata: ${JSON.stringify({ workspace: event.workspace, data: event.data })}\n\n`);
  });
  heartbeat();
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    unsubscribe();
    timer?.cancel();
    res.end();
  };
  req.on("close", close);
  return close;
}
