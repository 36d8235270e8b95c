import type { IncomingMessage, ServerResponse } from "node:http";
import { SluiceError, errorText, isSluiceError } from "../../core/index.js";

const MAX_BODY_BYTES = 1024 * 1024;

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

export async function readJsonBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new SluiceError("bad_request", "The request body is larger than 1 MiB.");
    chunks.push(chunk as Buffer);
  }
  if (size === 0) return {};
  try {
    const value: unknown = JSON.parse(Buffer.concat(chunks).toString("utf8"));
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
