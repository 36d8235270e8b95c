/**
 * Masks secret values in any text (logs, errors, API answers). Values are taken from the stored
 * TOML files; only string values are masked, and very short ones are skipped because masking
 * "1" or "on" would shred every log line without protecting anything.
 */
import { parse } from "smol-toml";

export const REDACTED = "***";
const MIN_SECRET_LENGTH = 4;

/**
 * Every string value of a TOML document, at any depth: tables, inline tables, arrays (multi-line
 * ones too), array tables, all four string forms (parsed by smol-toml, not by hand). Numbers,
 * booleans and dates are not masked. A document that does not parse still gets its quoted
 * strings masked (a best effort: its values must not reach logs either).
 */
export function secretValuesOf(toml: string): string[] {
  const values = new Set<string>();
  const collect = (node: unknown): void => {
    if (typeof node === "string") {
      const value = node.trim();
      if (value.length >= MIN_SECRET_LENGTH) values.add(value);
    } else if (Array.isArray(node)) {
      for (const item of node) collect(item);
    } else if (node !== null && typeof node === "object" && !(node instanceof Date)) {
      for (const item of Object.values(node)) collect(item);
    }
  };
  try {
    collect(parse(toml));
  } catch {
    for (const match of toml.matchAll(/"((?:[^"\\\n]|\\.)*)"|'([^'\n]*)'/g)) collect(match[1] ?? match[2]);
  }
  return [...values];
}

export type Redactor = (text: string) => string;

export function createRedactor(secretValues: Iterable<string>): Redactor {
  // Logs arrive line by line, so each line of a multi-line value is masked on its own too.
  const expanded = [...secretValues].flatMap((value) => [value, ...value.split("\n").map((line) => line.trim())]);
  const values = [...new Set(expanded)].filter((value) => value.length >= MIN_SECRET_LENGTH).sort((a, b) => b.length - a.length);
  if (values.length === 0) return (text) => text;
  const pattern = new RegExp(values.map(escapeRegExp).join("|"), "g");
  return (text) => text.replace(pattern, REDACTED);
}

function escapeRegExp(value: string): string {
  return value.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
