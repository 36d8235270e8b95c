import type { IncomingMessage, ServerResponse } from "node:http";
import { SluiceError, errorText, isSluiceError, readLimitedBody } from "../../core/index.js";

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(text), "cache-control": "no-store" });
  res.end(text);
}

export function sendError(res: ServerResponse, status: number, code: string, message: string, hint?: string): void {
  sendJson(res, status, { error: { code, message, ...(hint ? { hint } : {}) } });
}

const STATUS_BY_CODE: Record<string, number> = {
  bad_request: 400,
  body_too_large: 413,
  repo_name_invalid: 400,
  repo_source_invalid: 400,
  repo_not_found: 404,
  version_not_found: 404,
  not_found: 404,
  nothing_deployed: 409,
  repo_exists: 409,
  job_not_found: 404,
  run_not_found: 404,
  no_runtime: 503,
};

/** Domain errors become JSON with their code and hint; anything else is a 500 without internals. */
export function sendThrown(res: ServerResponse, error: unknown): void {
  if (isSluiceError(error)) {
    sendError(res, STATUS_BY_CODE[error.code] ?? 422, error.code, error.message, error.hint);
    return;
  }
  sendError(res, 500, "internal_error", `The daemon failed to handle the request: ${errorText(error)}`);
}

/** Refused with 413 before parsing: a body over this size is never buffered. */
export const MAX_BODY_BYTES = 1024 * 1024;

/**
 * The request body as a JSON object ({} when empty). A body over MAX_BODY_BYTES is refused with
 * 413 `body_too_large` (at once when Content-Length says so, else once the stream passes the limit;
 * the rest is read and dropped so the answer reaches the client).
 */
export async function readJsonBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const tooLarge = () => new SluiceError("body_too_large", `The request body is larger than ${MAX_BODY_BYTES / 1024 / 1024} MiB.`, { hint: "Send a smaller body; no API request needs more." });
  const body = await readLimitedBody(req, MAX_BODY_BYTES);
  if (body === null) throw tooLarge();
  const text = body.toString("utf8");
  if (text === "") return {};
  try {
    const value: unknown = JSON.parse(text);
    if (value === null || typeof value !== "object" || Array.isArray(value)) throw new Error("not an object");
    return value as Record<string, unknown>;
  } catch {
    throw new SluiceError("bad_request", "The request body must be a JSON object.");
  }
}

export function optionalString(body: Record<string, unknown>, key: string): string | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") throw new SluiceError("bad_request", `'${key}' must be a string.`);
  return value;
}

/** decodeURIComponent that answers 400 instead of throwing URIError on a malformed `%` escape. */
export function decodeUriPart(text: string, what: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new SluiceError("bad_request", `The ${what} '${text}' is not valid percent-encoding.`, { hint: "Encode names with encodeURIComponent." });
  }
}
