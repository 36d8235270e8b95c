/**
 * dlt's datetime coercion for `once:` triggers and interval bounds (spec triggers.md §4):
 * ISO 8601 (pendulum's parser: extended and basic forms, week and ordinal dates, `T` or blank
 * separator), naive ⇒ UTC, date-only ⇒ midnight UTC, `YYYY/MM/DD`, a bare year, and numeric
 * strings as Unix seconds. Returns epoch milliseconds.
 */
import { DateTime } from "luxon";
import { parsePythonFloat } from "./period.js";

export class InvalidTimestampError extends Error {
  override readonly name = "InvalidTimestampError";
}

const DATE_PATTERNS: ReadonlyArray<{ re: RegExp; build: (m: RegExpExecArray) => Record<string, number> }> = [
  { re: /^(\d{4})-(\d{2})-(\d{2})/, build: (m) => ({ year: +m[1]!, month: +m[2]!, day: +m[3]! }) },
  { re: /^(\d{4})-W(\d{2})(?:-(\d))?/, build: (m) => ({ weekYear: +m[1]!, weekNumber: +m[2]!, weekday: +(m[3] ?? 1) }) },
  { re: /^(\d{4})-(\d{3})/, build: (m) => ({ year: +m[1]!, ordinal: +m[2]! }) },
  { re: /^(\d{4})-(\d{2})/, build: (m) => ({ year: +m[1]!, month: +m[2]!, day: 1 }) },
  { re: /^(\d{4})(\d{2})(\d{2})/, build: (m) => ({ year: +m[1]!, month: +m[2]!, day: +m[3]! }) },
  { re: /^(\d{4})W(\d{2})(\d)?/, build: (m) => ({ weekYear: +m[1]!, weekNumber: +m[2]!, weekday: +(m[3] ?? 1) }) },
];
const TIME_RE = /^(\d{2})(?::?(\d{2})(?::?(\d{2})(?:[.,](\d+))?)?)?(Z|[+-]\d{2}(?::?\d{2})?)?$/;
const LOOSE_RE = /^(\d{4})(?:\/(\d{2})\/(\d{2}))?$/;

function offsetMinutes(zone: string): number {
  if (zone === "Z") return 0;
  const sign = zone.startsWith("-") ? -1 : 1;
  const digits = zone.slice(1).replace(":", "");
  return sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4) || "0"));
}

function fromParts(parts: Record<string, number>, offset: number): number | null {
  const dt = DateTime.fromObject(parts, { zone: "utc" });
  if (!dt.isValid) return null;
  return dt.toMillis() - offset * 60_000;
}

function parseIso(text: string): number | null {
  for (const { re, build } of DATE_PATTERNS) {
    const m = re.exec(text);
    if (!m) continue;
    const rest = text.slice(m[0].length);
    const date = build(m);
    if (rest === "") return fromParts(date, 0);
    if (rest[0] !== "T" && rest[0] !== " ") return null;
    const t = TIME_RE.exec(rest.slice(1));
    if (!t) return null;
    const millis = t[4] ? Math.floor(Number(`0.${t[4].slice(0, 6)}`) * 1000) : 0;
    const hour = Number(t[1]);
    if (hour > 23) return null;
    return fromParts(
      { ...date, hour, minute: Number(t[2] ?? 0), second: Number(t[3] ?? 0), millisecond: millis },
      t[5] ? offsetMinutes(t[5]) : 0,
    );
  }
  return null;
}

function parseLoose(text: string): number | null {
  const m = LOOSE_RE.exec(text);
  if (!m) return null;
  return fromParts({ year: Number(m[1]), month: Number(m[2] ?? 1), day: Number(m[3] ?? 1) }, 0);
}

/** Epoch milliseconds of a timestamp string as dlt coerces it to a UTC datetime. */
export function parseOnceTimestamp(text: string): number {
  const parsed = parseIso(text) ?? parseLoose(text);
  if (parsed !== null) return parsed;
  let seconds: number;
  try {
    seconds = parsePythonFloat(text);
  } catch {
    throw new InvalidTimestampError(`Invalid datetime string '${text}'`);
  }
  if (!Number.isFinite(seconds)) throw new InvalidTimestampError(`timestamp '${text}' is not finite`);
  return Math.round(seconds * 1000);
}

/** Like parseOnceTimestamp but returns null instead of throwing. */
export function tryParseTimestamp(text: string): number | null {
  try {
    return parseOnceTimestamp(text);
  } catch (error) {
    if (error instanceof InvalidTimestampError) return null;
    throw error;
  }
}
