/**
 * Masks secret values in any text (logs, errors, API answers). Values are taken from the stored
 * TOML files; only string values are masked, and very short ones are skipped because masking
 * "1" or "on" would shred every log line without protecting anything.
 */
export const REDACTED = "***";
const MIN_SECRET_LENGTH = 4;

/** String values of a TOML document: `key = "…"`, `key = '…'`, multi-line `"""…"""` / `'''…'''`, and strings inside inline arrays/tables. */
export function secretValuesOf(toml: string): string[] {
  const values = new Set<string>();
  const pattern = /"""([\s\S]*?)"""|'''([\s\S]*?)'''|"((?:[^"\\\n]|\\.)*)"|'([^'\n]*)'/g;
  for (const line of stripComments(toml)) {
    const eq = line.indexOf("=");
    if (eq < 0 || line.trimStart().startsWith("[")) continue;
    const valuePart = line.slice(eq + 1);
    for (const match of valuePart.matchAll(pattern)) {
      const raw = match[1] ?? match[2] ?? (match[3] !== undefined ? unescapeBasic(match[3]) : match[4]);
      const value = raw?.trim();
      if (value && value.length >= MIN_SECRET_LENGTH) values.add(value);
    }
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

/** Joins logical lines so multi-line strings stay whole, dropping `#` comments outside strings. */
function stripComments(toml: string): string[] {
  const statements: string[] = [];
  let current = "";
  let inMulti: string | null = null;
  for (const line of toml.split("\n")) {
    if (inMulti) {
      current += `\n${line}`;
      if (line.includes(inMulti)) {
        inMulti = null;
        statements.push(current);
        current = "";
      }
      continue;
    }
    const opener = line.match(/=\s*("""|''')/);
    if (opener && opener[1] && line.split(opener[1]).length === 2) {
      inMulti = opener[1];
      current = line;
      continue;
    }
    statements.push(line.replace(/\s#[^"']*$/, ""));
  }
  if (current) statements.push(current);
  return statements;
}

function unescapeBasic(value: string): string {
  return value.replace(/\\(["\\nt])/g, (_, c: string) => (c === "n" ? "\n" : c === "t" ? "\t" : c));
}

function escapeRegExp(value: string): string {
  return value.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
