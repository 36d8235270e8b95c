/** The JSON document of dlt's `_manifest_worker` (manifest-generation.md §2). */
import { stripTypedJsonMarkers } from "./typed-json.js";

export type WorkerPayload =
  | { kind: "success"; manifest: Record<string, unknown>; warnings: string[] }
  | { kind: "error"; error: string; errorType: string };

/** Starts of the payload, used when native code wrote to stdout before the worker did. */
const PAYLOAD_PREFIXES = ['{"manifest":', '{"error":'] as const;

/** The worker's payload with typed-JSON markers removed, or undefined if stdout holds none. */
export function parseWorkerPayload(stdout: string, puaStart?: number): WorkerPayload | undefined {
  const raw = parseJsonObject(payloadText(stdout));
  if (raw === undefined) return undefined;
  const clean = stripTypedJsonMarkers(raw, puaStart) as Record<string, unknown>;
  if (typeof clean.error === "string") {
    return { kind: "error", error: clean.error, errorType: typeof clean.error_type === "string" ? clean.error_type : "" };
  }
  const manifest = clean.manifest;
  if (manifest === null || typeof manifest !== "object" || Array.isArray(manifest)) return undefined;
  const warnings = Array.isArray(clean.warnings) ? clean.warnings.map(String) : [];
  return { kind: "success", manifest: manifest as Record<string, unknown>, warnings };
}

function payloadText(stdout: string): string {
  const text = stdout.trim();
  if (text.startsWith("{")) return text;
  const start = Math.max(...PAYLOAD_PREFIXES.map((prefix) => text.lastIndexOf(prefix)));
  return start >= 0 ? text.slice(start) : text;
}

function parseJsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
