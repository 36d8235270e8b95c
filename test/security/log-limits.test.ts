/**
 * Log lines are size-limited (issue 12, "Security"): a line over the store's limit (16 KiB) is cut
 * with a `[line cut]` marker, and output that never prints a newline is stored as one cut line
 * (the rest up to the next newline dropped) instead of growing the daemon's memory. Secrets near
 * the cut are masked, never half-stored.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createLogStore, createRunLogWriter } from "../../runner/logs/index.js";
import { MAX_PENDING_LINE_CHARS } from "../../runner/logs/run-log-writer.js";
import { createRedactor, secretValuesOf } from "../../runner/secrets/index.js";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), "sluice-log-limits-"));
  dirs.push(dir);
  return dir;
};
const LIMIT = 16 * 1024;

describe("log line limits", () => {
  it("a 1 MiB line is stored cut to 16 KiB with a [line cut] marker", () => {
    const store = createLogStore({ dir: tempDir() });
    const writer = createRunLogWriter(store, "r");
    writer.push("stdout", `${"x".repeat(1024 * 1024)}\nafter\n`);
    const lines = store.read("r").lines.map((l) => l.text);
    expect(lines).toHaveLength(2);
    expect(Buffer.byteLength(lines[0] ?? "")).toBeLessThanOrEqual(LIMIT + 32);
    expect(lines[0]).toMatch(/… \[line cut\]$/);
    expect(lines[1]).toBe("after");
  });

  it("10 MiB without a newline in 64 KiB chunks becomes one cut line and the next line arrives whole", () => {
    const dir = tempDir();
    const store = createLogStore({ dir });
    const writer = createRunLogWriter(store, "r");
    const chunk = Buffer.alloc(64 * 1024, "y");
    for (let i = 0; i < 160; i++) writer.push("stderr", chunk);
    // stored before any newline arrived: the writer stopped holding the line in memory
    expect(store.read("r").lines).toHaveLength(1);
    writer.push("stderr", "yyy\nnext line\n");
    writer.push("stderr", "z".repeat(MAX_PENDING_LINE_CHARS + 10));
    writer.flush();
    const lines = store.read("r").lines.map((l) => l.text);
    expect(lines.map((l) => l.slice(0, 12))).toEqual(["y".repeat(12), "next line", "z".repeat(12)]);
    expect(lines[0]).toMatch(/\[line cut\]$/);
    expect(lines[2]).toMatch(/\[line cut\]$/);
    expect(readFileSync(join(dir, "r.jsonl")).length).toBeLessThan(3 * (LIMIT + 200));
  });

  it("a secret straddling the pending-line limit is masked or dropped, never stored in part", () => {
    const secret = "s3cr3t-token-value-0123456789";
    const redactor = createRedactor(secretValuesOf(`token = "${secret}"\n`));
    const store = createLogStore({ dir: tempDir() });
    const writer = createRunLogWriter(store, "r", { redact: redactor });
    // whole at the store's cut, then split across two chunks right at the pending-line limit
    writer.push("stdout", "a".repeat(LIMIT - 10));
    writer.push("stdout", `${secret}${"b".repeat(MAX_PENDING_LINE_CHARS)}\n`);
    writer.push("stdout", `${"a".repeat(MAX_PENDING_LINE_CHARS - 10)}${secret.slice(0, 15)}`);
    writer.push("stdout", `${secret.slice(15)}\nok\n`);
    writer.flush();
    const lines = store.read("r").lines.map((l) => l.text);
    expect(lines.at(-1)).toBe("ok");
    const text = lines.join("\n");
    for (let n = 8; n <= secret.length; n++) expect(text).not.toContain(secret.slice(0, n));
  });
});
