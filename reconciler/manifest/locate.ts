/** Finding "where" in the text dlt and Python give back: file, line, job ref, trigger. */

export interface SourceLocation {
  /** Path relative to the workspace root. */
  file: string;
  line?: number;
}

/** `invalid syntax (p.py, line 3)`: the form of SyntaxError messages. */
export function locationInMessage(message: string): SourceLocation | undefined {
  const match = /\(([^(),]+\.py), line (\d+)\)/.exec(message);
  if (!match?.[1] || !match[2]) return undefined;
  return { file: match[1], line: Number(match[2]) };
}

/**
 * The innermost `File "…", line N` frame of a Python traceback that lies in the workspace.
 * `roots` are the workspace paths as the interpreter saw them (container and host).
 */
export function locationInTraceback(traceback: string, roots: readonly string[]): SourceLocation | undefined {
  const frames = [...traceback.matchAll(/File "([^"]+)", line (\d+)/g)];
  for (const frame of frames.reverse()) {
    const path = frame[1] ?? "";
    const root = roots.find((candidate) => path.startsWith(`${trimSlash(candidate)}/`));
    if (root === undefined || /site-packages|dist-packages/.test(path)) continue;
    return { file: path.slice(trimSlash(root).length + 1), line: Number(frame[2]) };
  }
  return undefined;
}

/** Job refs named as `job 'jobs.x.y'` in dlt's validation messages, in order of appearance. */
export function jobRefsInMessage(message: string): string[] {
  const refs = [...message.matchAll(/job '(jobs\.[A-Za-z0-9_.]+)'/g)].map((match) => match[1] ?? "");
  return [...new Set(refs.filter((ref) => ref.length > 0))];
}

/** `Invalid trigger 'every:30s': minimum period is 1 minute` → the trigger and the reason. */
export function invalidTriggerIn(message: string): { trigger: string; reason: string } | undefined {
  const match = /Invalid trigger '(.*)': (.*)$/s.exec(message);
  if (!match) return undefined;
  return { trigger: match[1] ?? "", reason: (match[2] ?? "").trim() };
}

/** `No module named 'x'` → `x`. */
export function missingModuleIn(message: string): string | undefined {
  return /No module named '([^']+)'/.exec(message)?.[1];
}

export function formatLocation(location: SourceLocation): string {
  return location.line === undefined ? location.file : `${location.file} line ${location.line}`;
}

/** Joins lines into one: messages from dlt are often multi-line lists. */
export function oneLine(text: string): string {
  const lines = text
    .split("\n")
    .map((line) => line.trim().replace(/^- /, ""))
    .filter((line) => line.length > 0);
  return lines.reduce((joined, line) => (joined === "" ? line : `${joined}${joined.endsWith(":") ? " " : "; "}${line}`), "");
}

function trimSlash(path: string): string {
  return path.endsWith("/") ? path.slice(0, -1) : path;
}

/** The last non-empty line: the exception line of a traceback. */
export function lastLine(text: string): string | undefined {
  const lines = text
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line.length > 0);
  return lines.at(-1);
}
