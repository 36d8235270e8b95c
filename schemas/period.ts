/**
 * Period strings of `every:` triggers and timeouts (spec triggers.md §3): `<number><s|m|h|d>`
 * (lower-case unit, optional blank before it) or a bare number of seconds in Python float syntax.
 */

export class InvalidPeriodError extends Error {
  override readonly name = "InvalidPeriodError";
}

const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86400 } as const;
const UNIT_RE = /^(\d+(?:\.\d+)?)\s*([smhd])$/;
const DIGITS = String.raw`\d(?:_?\d)*`;
const PY_FLOAT_RE = new RegExp(String.raw`^[+-]?(?:(?:${DIGITS}(?:\.(?:${DIGITS})?)?|\.${DIGITS})(?:[eE][+-]?${DIGITS})?)$`);
const PY_SPECIAL_RE = /^[+-]?(?:inf|infinity|nan)$/i;

/** Python's `float(text)` for strings; returns NaN/±Infinity for the special spellings. */
export function parsePythonFloat(text: string): number {
  const trimmed = text.trim();
  if (PY_SPECIAL_RE.test(trimmed)) {
    const lower = trimmed.toLowerCase();
    if (lower.endsWith("nan")) return Number.NaN;
    return lower.startsWith("-") ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  }
  if (!PY_FLOAT_RE.test(trimmed)) throw new InvalidPeriodError(`could not convert string to float: '${text}'`);
  return Number(trimmed.replace(/_/g, ""));
}

/**
 * Seconds in a period string. Like dlt, but non-finite results (`inf`, `nan`, `1e999`) are
 * rejected: they would pass dlt's checks and then break every schedule computed from them.
 */
export function parsePeriodSeconds(value: string): number {
  const match = UNIT_RE.exec(value.trim());
  const seconds = match
    ? Number(match[1]) * UNIT_SECONDS[match[2] as keyof typeof UNIT_SECONDS]
    : parsePythonFloat(value);
  if (!Number.isFinite(seconds)) throw new InvalidPeriodError(`period '${value}' is not a finite number of seconds`);
  return seconds;
}
