import { DateTime } from "luxon";
import { SluiceError } from "../../../core/index.js";

/** A declared timestamp: an absolute instant, or a naive wall-clock value still to be placed in a zone. */
export type DeclaredInstant = { kind: "instant"; utcMs: number } | { kind: "naive"; wallMs: number };

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const OFFSET_SUFFIX = /(?:[zZ]|[+-]\d{2}(?::?\d{2}(?::?\d{2})?)?)$/;
const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * Reads an `interval.start`/`interval.end` value the way dlt coerces it: ISO 8601 with `Z` or an
 * offset is an instant; without one (or date-only) it is naive; a bare number is a Unix timestamp.
 */
export function parseDeclaredInstant(text: string, field: string): DeclaredInstant {
  const value = text.trim();
  if (NUMBER.test(value)) {
    const seconds = Number(value);
    if (Number.isFinite(seconds)) return { kind: "instant", utcMs: Math.round(seconds * 1000) };
  }
  const iso = value.includes("T") || DATE_ONLY.test(value) ? value : value.replace(" ", "T");
  const timePart = iso.includes("T") ? iso.slice(iso.indexOf("T") + 1) : "";
  const parsed = DateTime.fromISO(iso, { zone: "UTC" });
  if (!parsed.isValid) {
    throw new SluiceError("invalid_interval_timestamp", `${field} '${text}' is not an ISO 8601 timestamp`, {
      hint: "write e.g. '2026-04-01T00:00:00Z', '2026-04-01T02:00:00+02:00' or '2026-04-01'",
      details: { field, value: text },
    });
  }
  // parsed in UTC, a naive value keeps its wall-clock digits as its epoch value
  if (timePart !== "" && OFFSET_SUFFIX.test(timePart)) return { kind: "instant", utcMs: parsed.toMillis() };
  return { kind: "naive", wallMs: parsed.toMillis() };
}
