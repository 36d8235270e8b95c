import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { DueQueue } from "./due-queue.js";

describe("DueQueue", () => {
  it("pops due entries earliest first and skips replaced or deleted ones", () => {
    const q = new DueQueue();
    q.set("a", 30);
    q.set("b", 10);
    q.set("c", 20);
    q.set("b", 40);
    q.delete("c");
    expect(q.popDue(25)).toBeUndefined();
    expect(q.popDue(35)).toEqual({ key: "a", atMs: 30 });
    expect(q.peek()).toEqual({ key: "b", atMs: 40 });
    expect(q.size).toBe(1);
  });

  it("keeps memory proportional to live entries when most entries are deleted early", () => {
    const q = new DueQueue();
    for (let i = 0; i < 50_000; i++) {
      q.set(`timeout|${i}`, 1_000_000 + i);
      q.delete(`timeout|${i}`);
    }
    q.set("fire", 5);
    expect(q.heapSize).toBeLessThan(3000);
    expect(q.popDue(10)).toEqual({ key: "fire", atMs: 5 });
  });

  it("agrees with a sorted list for any sequence of sets and deletes", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom("a", "b", "c", "d", "e"), fc.option(fc.integer({ min: 0, max: 100 }), { nil: undefined }))),
        (ops) => {
          const q = new DueQueue();
          const model = new Map<string, number>();
          for (const [key, at] of ops) {
            if (at === undefined) {
              q.delete(key);
              model.delete(key);
            } else {
              q.set(key, at);
              model.set(key, at);
            }
          }
          const popped: number[] = [];
          for (let e = q.popDue(1000); e; e = q.popDue(1000)) popped.push(e.atMs);
          expect(popped).toEqual([...model.values()].sort((x, y) => x - y));
        },
      ),
    );
  });
});
