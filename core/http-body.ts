/**
 * Reading a request body with a size limit, for every HTTP listener (the daemon API, the GitHub
 * webhook). Over the limit nothing more is buffered, but the rest is read and dropped: a server
 * that stops reading (or destroys the socket) makes the client see a reset instead of the 413.
 */
import type { IncomingMessage } from "node:http";

/** The body, or `null` when it is over `maxBytes` (by Content-Length at once, else once the stream passes it). */
export function readLimitedBody(req: IncomingMessage, maxBytes: number): Promise<Buffer | null> {
  if (Number(req.headers["content-length"] ?? 0) > maxBytes) {
    req.resume();
    return Promise.resolve(null);
  }
  return new Promise<Buffer | null>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBytes) chunks.push(chunk);
      else chunks.length = 0;
    });
    req.on("end", () => resolve(size > maxBytes ? null : Buffer.concat(chunks)));
    req.on("error", reject);
  });
}
