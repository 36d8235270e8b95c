import { mkdtempSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createLogStore, type LogLine } from "./index.js";

const tempDir = () => mkdtempSync(join(tmpdir(), "sluice-logs-"));

describe("log store", () => {
  it("streams lines to subscribers and keeps them for later readers", () => {
    const dir = tempDir();
    const store = createLogStore({ dir, now: () => 1000 });
    const seen: LogLine[] = [];
    let ended = false;
    store.subscribe("run-1", { onLine: (line) => seen.push(line), onEnd: () => (ended = true) });
    store.append("run-1", "stdout", "hello");
    store.append("run-1", "stderr", "oops");
    store.end("run-1");
    expect(seen.map((line) => [line.seq, line.stream, line.text])).toEqual([
      [1, "stdout", "hello"],
      [2, "stderr", "oops"],
    ]);
    expect(ended).toBe(true);
    const reopened = createLogStore({ dir });
    expect(reopened.read("run-1").lines.map((line) => line.text)).toEqual(["hello", "oops"]);
    expect(reopened.append("run-1", "stdout", "after restart").seq).toBe(3);
    expect(reopened.read("run-1", { tail: 1 }).lines.map((line) => line.text)).toEqual(["after restart"]);
    expect(reopened.read("run-1", { afterSeq: 1 }).lines).toHaveLength(2);
  });

  it("bounds a run's log and keeps the tail", () => {
    const dir = tempDir();
    const store = createLogStore({ dir, maxBytesPerRun: 2000 });
    for (let i = 1; i <= 500; i += 1) store.append("big", i % 5 === 0 ? "stderr" : "stdout", `line ${i}`);
    const page = store.read("big");
    const kept = (stream: string) => page.lines.filter((line) => line.stream === stream).length;
    expect(page.trimmedByStream.stderr + kept("stderr")).toBe(100);
    expect(page.trimmedByStream.stdout + kept("stdout")).toBe(400);
    expect(page.lines.at(-1)?.text).toBe("line 500");
    expect(page.lines.at(-1)?.seq).toBe(500);
    expect(page.trimmedLines + page.lines.length).toBe(500);
    expect(page.lines[0]?.seq).toBe(page.trimmedLines + 1);
    expect(statSync(join(dir, "big.jsonl")).size).toBeLessThanOrEqual(2500);
    // after a restart, numbering continues and the trimmed count survives
    const reopened = createLogStore({ dir, maxBytesPerRun: 2000 });
    expect(reopened.append("big", "stdout", "next").seq).toBe(501);
    expect(reopened.read("big").trimmedLines).toBe(page.trimmedLines);
  });

  it("cuts overlong lines and survives a throwing subscriber", () => {
    const store = createLogStore({ dir: tempDir(), maxLineBytes: 10 });
    store.subscribe("r", { onLine: () => { throw new Error("boom"); } });
    expect(store.append("r", "stdout", "x".repeat(50)).text).toBe(`${"x".repeat(10)}… [line cut]`);
    expect(store.read("r").lines).toHaveLength(1);
  });
});
