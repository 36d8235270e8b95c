/**
 * MCP's SSE transport announces where to POST messages in an `endpoint` event whose data is an
 * absolute path built from the server's own root (`/messages/?session_id=…`). Behind the proxy a
 * service whose prefix is stripped knows nothing of `/w/<workspace>/<job>`, so a client would post
 * to the proxy's root and get 404. For such services the proxy puts the prefix back into the data
 * of `endpoint` events; every other line passes through unchanged and unbuffered beyond one line.
 */
import { Transform } from "node:stream";

export function isEventStream(contentType: string | string[] | undefined): boolean {
  const value = Array.isArray(contentType) ? contentType[0] : contentType;
  return value !== undefined && value.toLowerCase().startsWith("text/event-stream");
}

export function createSseEndpointRewrite(prefix: string): Transform {
  let pending = "";
  let event = "";
  const rewrite = (line: string): string => {
    const bare = line.endsWith("\r") ? line.slice(0, -1) : line;
    if (bare === "") event = "";
    else if (bare.startsWith("event:")) event = bare.slice(6).trim();
    else if (event === "endpoint" && bare.startsWith("data:")) {
      const data = bare.slice(5).trimStart();
      if (data.startsWith("/") && !data.startsWith("//") && !data.startsWith(`${prefix}/`)) return `data: ${prefix}${data}${line.endsWith("\r") ? "\r" : ""}`;
    }
    return line;
  };
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      pending += chunk.toString("utf8");
      const lines = pending.split("\n");
      pending = lines.pop() ?? "";
      done(null, lines.length > 0 ? lines.map((line) => `${rewrite(line)}\n`).join("") : undefined);
    },
    flush(done) {
      done(null, pending === "" ? undefined : rewrite(pending));
    },
  });
}
