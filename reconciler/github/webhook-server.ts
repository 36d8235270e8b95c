/**
 * The webhook listener, on its own port (GitHub or a tunnel must reach it): `POST /hooks/github`
 * only. The body's HMAC (`X-Hub-Signature-256`) is checked in constant time before anything
 * else; deliveries are deduplicated by `X-GitHub-Delivery`; the answer goes out at once and the
 * work runs afterwards.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { readLimitedBody, type Logger } from "../../core/index.js";

export const WEBHOOK_PATH = "/hooks/github";
const MAX_BODY = 25 * 1024 * 1024;

export interface WebhookDelivery {
  event: string;
  id: string;
  payload: Record<string, unknown>;
}

export interface WebhookServerOptions {
  host: string;
  port: number;
  secret: string;
  logger: Logger;
  /** false when the delivery id was seen before. */
  firstDelivery: (id: string) => boolean;
  /** Runs after the answer was sent; errors are logged. */
  handle: (delivery: WebhookDelivery) => Promise<void> | void;
}

export interface WebhookServer {
  url: string;
  close(): Promise<void>;
}

/** `sha256=<hex>` of the body, as GitHub signs deliveries. */
export function signWebhook(secret: string, body: string | Buffer): string {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
}

/** Constant-time comparison of the signature header with the body's HMAC. */
export function verifyWebhook(secret: string, body: Buffer, header: string | undefined): boolean {
  if (!header) return false;
  const expected = Buffer.from(signWebhook(secret, body));
  const given = Buffer.from(header);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export async function startWebhookServer(options: WebhookServerOptions): Promise<WebhookServer> {
  if (!options.secret) throw new Error("the webhook listener needs a secret (github.webhook.secretFile)");
  const server = createServer((req, res) => void onRequest(options, req, res));
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return { url: `http://${host}:${address.port}${WEBHOOK_PATH}`, close: () => closeServer(server) };
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

function answer(res: ServerResponse, status: number, body: Record<string, unknown>): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(`${JSON.stringify(body)}\n`);
}

async function onRequest(options: WebhookServerOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const { logger } = options;
  if (req.url?.split("?")[0] !== WEBHOOK_PATH) return answer(res, 404, { error: `not found; GitHub webhooks go to POST ${WEBHOOK_PATH}` });
  if (req.method !== "POST") return answer(res, 405, { error: "method not allowed; use POST" });
  const body = await readLimitedBody(req, MAX_BODY).catch(() => null);
  if (!body) return answer(res, 413, { error: "body too large or unreadable" });
  const event = String(req.headers["x-github-event"] ?? "");
  const id = String(req.headers["x-github-delivery"] ?? "");
  if (!verifyWebhook(options.secret, body, req.headers["x-hub-signature-256"] as string | undefined)) {
    logger.warn("github webhook rejected: bad or missing X-Hub-Signature-256", { event, delivery: id, remote: req.socket.remoteAddress });
    return answer(res, 401, { error: "signature mismatch" });
  }
  let payload: Record<string, unknown>;
  try {
    payload = JSON.parse(body.toString("utf8")) as Record<string, unknown>;
  } catch {
    return answer(res, 400, { error: "body is not JSON (set the webhook content type to application/json)" });
  }
  if (event === "ping") return answer(res, 200, { ok: true, pong: true, zen: payload.zen ?? null });
  if (id && !options.firstDelivery(id)) return answer(res, 200, { ok: true, duplicate: true });
  answer(res, 202, { ok: true, accepted: event });
  setImmediate(() => {
    Promise.resolve()
      .then(() => options.handle({ event, id, payload }))
      .catch((error: unknown) => logger.error("github webhook handling failed", { event, delivery: id, error: String(error) }));
  });
}
