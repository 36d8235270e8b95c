import { describe, expect, it } from "vitest";
import { createDataGate } from "./data-gate.js";

describe("data gate", () => {
  it("admits one run per key at a time, in arrival order, and tells a waiting run whom it waits for", async () => {
    const gate = createDataGate();
    const admitted: string[] = [];
    const waits: Array<[string, string, number]> = [];
    const enter = (runId: string) =>
      gate.acquire("ws/prod", runId, (holder, ahead) => waits.push([runId, holder, ahead])).then((release) => {
        admitted.push(runId);
        return release;
      });
    const first = enter("a");
    const second = enter("b");
    const third = enter("c");
    const other = await gate.acquire("ws/dev", "d");
    const releaseA = await first;
    await Promise.resolve();
    expect(admitted).toEqual(["a"]);
    expect(waits).toEqual([
      ["b", "a", 1],
      ["c", "a", 2],
    ]);
    expect(gate.waiting("ws/prod")).toEqual(["b", "c"]);
    releaseA();
    releaseA(); // a second call changes nothing
    (await second)();
    (await third)();
    expect(admitted).toEqual(["a", "b", "c"]);
    expect(gate.holder("ws/prod")).toBeUndefined();
    expect(gate.holder("ws/dev")).toBe("d");
    other();
  });

  it("tryAcquire takes a free key only, never jumping the queue", async () => {
    const gate = createDataGate();
    const release = gate.tryAcquire("ws/prod", "reader-1");
    expect(release).toBeDefined();
    const waiting = gate.acquire("ws/prod", "writer");
    expect(gate.tryAcquire("ws/prod", "reader-2")).toBeUndefined();
    release?.();
    (await waiting)();
    expect(gate.tryAcquire("ws/prod", "reader-3")).toBeDefined();
  });
});
