/**
 * Python's `fnmatch.fnmatch` on POSIX (case-sensitive, whole string): `*`, `?`, `[seq]`,
 * `[!seq]`; an unclosed `[` is literal; a `]` right after `[` or `[!` belongs to the set.
 */

const REGEX_SPECIAL = /[\\^$.*+?()[\]{}|/-]/g;

function escapeChar(ch: string): string {
  return ch.replace(REGEX_SPECIAL, "\\$&");
}

function translateSet(content: string): string {
  let negate = false;
  let body = content;
  if (body.startsWith("!")) {
    negate = true;
    body = body.slice(1);
  }
  const parts: string[] = [];
  const chars = [...body];
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i] as string;
    const next = chars[i + 1];
    const end = chars[i + 2];
    if (next === "-" && end !== undefined) {
      // Python drops reversed ranges (they match nothing).
      if (ch <= end) parts.push(`${escapeChar(ch)}-${escapeChar(end)}`);
      i += 2;
    } else {
      parts.push(escapeChar(ch));
    }
  }
  if (parts.length === 0) return negate ? "." : "(?!)";
  return `[${negate ? "^" : ""}${parts.join("")}]`;
}

/** Compiles a Python fnmatch pattern into an anchored RegExp. */
export function fnmatchRegExp(pattern: string): RegExp {
  let out = "";
  const n = pattern.length;
  let i = 0;
  while (i < n) {
    const ch = pattern[i] as string;
    i++;
    if (ch === "*") {
      if (!out.endsWith(".*")) out += ".*";
    } else if (ch === "?") {
      out += ".";
    } else if (ch === "[") {
      let j = i;
      if (pattern[j] === "!") j++;
      if (pattern[j] === "]") j++;
      while (j < n && pattern[j] !== "]") j++;
      if (j >= n) {
        out += "\\[";
      } else {
        out += translateSet(pattern.slice(i, j));
        i = j + 1;
      }
    } else {
      out += escapeChar(ch);
    }
  }
  return new RegExp(`^(?:${out})$`, "s");
}

export function fnmatch(name: string, pattern: string): boolean {
  return fnmatchRegExp(pattern).test(name);
}
