import { describe, expect, it } from "vitest";
import { createSseEndpointRewrite, isEventStream } from "./sse-endpoint-rewrite.js";

async function through(prefix: string, chunks: string[]): Promise<string> {
  const rewrite = createSseEndpointRewrite(prefix);
  let out = "";
  rewrite.on("data", (chunk: Buffer) => (out += chunk.toString()));
  const ended = new Promise((resolve) => rewrite.on("end", resolve));
  for (const chunk of chunks) rewrite.write(chunk);
  rewrite.end();
  await ended;
  return out;
}

describe("SSE endpoint rewrite", () => {
  it("puts the proxy prefix in front of the endpoint event's path, even when lines arrive split", async () => {
    const out = await through("/w/jaffle/mcp", ["event: endpo", "int\r\ndata: /messages/?session_id=ab", "c\r\n\r\n", "event: message\r\ndata: /not-a-path\r\n\r\n"]);
    expect(out).toBe("event: endpoint\r\ndata: /w/jaffle/mcp/messages/?session_id=abc\r\n\r\nevent: message\r\ndata: /not-a-path\r\n\r\n");
  });

  it("leaves full URLs, already prefixed paths and other events alone", async () => {
    const input = "event: endpoint\ndata: http://x/messages\n\nevent: endpoint\ndata: /w/a/b/messages\n\ndata: /plain\n\n";
    expect(await through("/w/a/b", [input])).toBe(input);
  });

  it("recognises event streams by content type", () => {
    expect(isEventStream("text/event-stream; charset=utf-8")).toBe(true);
    expect(isEventStream("text/html")).toBe(false);
    expect(isEventStream(undefined)).toBe(false);
  });
});
