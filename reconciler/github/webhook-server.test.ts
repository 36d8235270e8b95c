import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../../core/index.js";
import { signWebhook, startWebhookServer, type WebhookDelivery, type WebhookServer } from "./webhook-server.js";

const SECRET = "test-secret";

/** POSTs `chunks` one write each (chunked transfer: no Content-Length), returns the status the client received. */
function post(url: string, chunks: Buffer[], headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: "POST", headers: { "content-type": "application/json", ...headers } }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("error", reject);
    for (const chunk of chunks) req.write(chunk);
    req.end();
  });
}

describe("GitHub webhook listener", () => {
  let server: WebhookServer;
  const delivered: WebhookDelivery[] = [];
  beforeAll(async () => {
    server = await startWebhookServer({
      host: "127.0.0.1",
      port: 0,
      secret: SECRET,
      logger: createLogger("webhook-test", { minLevel: "error" }),
      firstDelivery: () => true,
      handle: (delivery) => void delivered.push(delivery),
    });
  });
  afterAll(() => server.close());

  it("answers 413 to a 26 MiB body sent in chunks without Content-Length (the client receives the answer, no reset), and hands nothing on", async () => {
    const chunk = Buffer.alloc(1024 * 1024, 0x61);
    const status = await post(server.url, Array.from({ length: 26 }, () => chunk), { "x-github-event": "push", "x-github-delivery": "big" });
    expect(status).toBe(413);
    expect(delivered.filter((d) => d.id === "big")).toEqual([]);
  });

  it("answers 413 at once when Content-Length is over the limit", async () => {
    const body = Buffer.alloc(26 * 1024 * 1024, 0x61);
    const status = await post(server.url, [body], { "content-length": String(body.length) });
    expect(status).toBe(413);
  });

  it("still takes a signed delivery after refusing large ones: 202 and handed on with its payload", async () => {
    const body = JSON.stringify({ ref: "refs/heads/main" });
    const status = await post(server.url, [Buffer.from(body)], { "x-github-event": "push", "x-github-delivery": "small", "x-hub-signature-256": signWebhook(SECRET, body) });
    expect(status).toBe(202);
    const deadline = Date.now() + 5_000;
    while (!delivered.some((d) => d.id === "small") && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(delivered.find((d) => d.id === "small")?.payload).toEqual({ ref: "refs/heads/main" });
  });
});
