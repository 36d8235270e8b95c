import { SluiceError } from "../../../core/index.js";
import { InvalidTimestampError, parseOnceTimestamp } from "../../../schemas/index.js";

/** A declared timestamp: an absolute instant, or a naive wall-clock value still to be placed in a zone. */
export type DeclaredInstant = { kind: "instant"; utcMs: number } | { kind: "naive"; wallMs: number };

const OFFSET_SUFFIX = /(?:[zZ]|[+-]\d{2}(?::?\d{2})?)$/;
const UNIX_SECONDS = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
/** Digit strings that dlt reads as dates (a year, a basic `YYYYMMDD`), not as Unix seconds. */
const DIGIT_DATE = /^(?:\d{4}|\d{8})$/;

function hasTimeWithOffset(text: string): boolean {
  const separator = text.search(/[T ]/);
  return separator > 0 && OFFSET_SUFFIX.test(text.slice(separator + 1));
}

/**
 * Reads an `interval.start`/`interval.end` value with dlt's datetime coercion (schemas
 * parseOnceTimestamp) and keeps what that coercion loses: whether the value was naive. A `Z` or
 * an offset, or Unix seconds, make an instant; anything else (incl. date-only) is naive.
 */
export function parseDeclaredInstant(text: string, field: string): DeclaredInstant {
  const value = text.trim();
  let ms: number;
  try {
    ms = parseOnceTimestamp(value);
  } catch (error) {
    if (!(error instanceof InvalidTimestampError)) throw error;
    throw new SluiceError("invalid_interval_timestamp", `${field} '${text}' is not a timestamp dlt can read`, {
      hint: "write e.g. '2026-04-01T00:00:00Z', '2026-04-01T02:00:00+02:00' or '2026-04-01'",
      details: { field, value: text },
      cause: error,
    });
  }
  const instant = hasTimeWithOffset(value) || (UNIX_SECONDS.test(value) && !DIGIT_DATE.test(value));
  return instant ? { kind: "instant", utcMs: ms } : { kind: "naive", wallMs: ms };
}
