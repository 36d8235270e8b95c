import { createHash } from "node:crypto";

/** Top-level keys that change on every generation or are written by the bump (manifest.md §2). */
export const VOLATILE_MANIFEST_KEYS = ["version", "version_hash", "previous_hashes", "created_at"] as const;

/** The manifest without volatile keys: what two generations of the same code must agree on. */
export function normalizeManifest(manifest: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...manifest };
  for (const key of VOLATILE_MANIFEST_KEYS) delete copy[key];
  return copy;
}

/**
 * JSON with keys sorted recursively and no blanks (dlt's canonical form for hashing). JS numbers
 * lose Python's `600.0` vs `600`, so this is byte-exact only for manifests without floats.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item)).join(",")}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
}

/** SHA3-256 + standard base64 of the canonical JSON: a backend-side fallback, not dlt's hash. */
export function canonicalHash(value: unknown): string {
  return createHash("sha3-256").update(canonicalJson(value), "utf8").digest("base64");
}

/** Fallback manifest hash over the normalized manifest (used only when dlt did not give one). */
export function fallbackManifestHash(manifest: Readonly<Record<string, unknown>>): string {
  return canonicalHash(normalizeManifest(manifest));
}
