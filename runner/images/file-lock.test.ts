import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { withFileLock } from "./file-lock.js";

describe("withFileLock", () => {
  it("serializes callers on the same lock", async () => {
    const dir = await mkdtemp(join(tmpdir(), "sluice-lock-"));
    const lock = join(dir, "a.lock");
    const order: string[] = [];
    let waited = 0;
    const worker = (name: string) =>
      withFileLock(
        lock,
        async () => {
          order.push(`${name}:start`);
          await new Promise((resolve) => setTimeout(resolve, 50));
          order.push(`${name}:end`);
        },
        { pollMs: 10, onWait: () => waited++ },
      );
    await Promise.all([worker("a"), worker("b")]);
    // Whoever wins, the two critical sections never interleave.
    const first = order[0]?.split(":")[0];
    const second = first === "a" ? "b" : "a";
    expect(order).toEqual([`${first}:start`, `${first}:end`, `${second}:start`, `${second}:end`]);
    expect(waited).toBe(1);
    await expect(readFile(lock, "utf8")).rejects.toThrow();
  });

  it("takes over a lock whose owner process is dead", async () => {
    const dir = await mkdtemp(join(tmpdir(), "sluice-lock-"));
    const lock = join(dir, "b.lock");
    await writeFile(lock, "999999999 0 stale");
    await expect(withFileLock(lock, async () => "ran", { pollMs: 10, timeoutMs: 1000 })).resolves.toBe("ran");
  });
});
