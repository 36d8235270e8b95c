import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { VirtualClock } from "./clock.js";

describe("VirtualClock", () => {
  it("fires due timers in time order and sets now to each timer's instant", () => {
    const clock = new VirtualClock(1_000);
    const seen: Array<[string, number]> = [];
    clock.setTimer(3_000, () => seen.push(["b", clock.now()]));
    clock.setTimer(2_000, () => seen.push(["a", clock.now()]));
    clock.setTimer(9_000, () => seen.push(["late", clock.now()]));
    clock.advanceTo(5_000);
    expect(seen).toEqual([
      ["a", 2_000],
      ["b", 3_000],
    ]);
    expect(clock.now()).toBe(5_000);
    expect(clock.nextTimerAt()).toBe(9_000);
  });

  it("fires timers armed by other timers within the same advance", () => {
    const clock = new VirtualClock(0);
    const seen: number[] = [];
    clock.setTimer(10, () => {
      seen.push(clock.now());
      clock.setTimer(20, () => seen.push(clock.now()));
    });
    clock.advanceTo(100);
    expect(seen).toEqual([10, 20]);
  });

  it("never fires a cancelled timer", () => {
    const clock = new VirtualClock(0);
    let fired = false;
    clock.setTimer(10, () => (fired = true)).cancel();
    clock.advanceTo(100);
    expect(fired).toBe(false);
  });

  it("fires timers due at the same instant in creation order, and a cancel after firing changes nothing", () => {
    const clock = new VirtualClock(0);
    const seen: string[] = [];
    const first = clock.setTimer(50, () => seen.push("first"));
    clock.setTimer(50, () => seen.push("second"));
    clock.setTimer(10, () => clock.setTimer(50, () => seen.push("third, armed at 10")));
    clock.advanceTo(50);
    first.cancel();
    clock.advanceTo(60);
    expect(seen).toEqual(["first", "second", "third, armed at 10"]);
    expect(clock.nextTimerAt()).toBeUndefined();
  });

  it("keeps order and next instant right when most timers are cancelled (the heap is rebuilt)", () => {
    const clock = new VirtualClock(0);
    const fired: number[] = [];
    const handles = Array.from({ length: 3000 }, (_, i) => clock.setTimer(((i * 7919) % 3000) + 1, () => fired.push(i)));
    handles.forEach((handle, i) => {
      if (i % 6 !== 0) handle.cancel();
    });
    const kept = handles.map((_, i) => i).filter((i) => i % 6 === 0);
    const expected = kept.sort((a, b) => ((a * 7919) % 3000) - ((b * 7919) % 3000));
    expect(clock.nextTimerAt()).toBe(((expected[0]! * 7919) % 3000) + 1);
    clock.advanceTo(10_000);
    expect(fired).toEqual(expected);
  });

  it("fires exactly what a sort-everything reference clock fires, in the same order and at the same instants", () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant("set" as const), atMs: fc.integer({ min: 0, max: 200 }), armsAfterMs: fc.option(fc.integer({ min: 0, max: 30 })) }),
      fc.record({ kind: fc.constant("cancel" as const), index: fc.nat() }),
      fc.record({ kind: fc.constant("advance" as const), byMs: fc.integer({ min: 0, max: 60 }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 80 }), (ops) => {
        const run = (clock: { now(): number; setTimer: VirtualClock["setTimer"]; advanceBy(ms: number): void; nextTimerAt(): number | undefined }) => {
          const log: string[] = [];
          const handles: Array<{ cancel(): void }> = [];
          let id = 0;
          for (const o of ops) {
            if (o.kind === "set") {
              const name = id++;
              handles.push(
                clock.setTimer(o.atMs, () => {
                  log.push(`${name}@${clock.now()}`);
                  if (o.armsAfterMs !== null) handles.push(clock.setTimer(clock.now() + o.armsAfterMs, () => log.push(`child of ${name}@${clock.now()}`)));
                }),
              );
            } else if (o.kind === "cancel") {
              if (handles.length > 0) handles[o.index % handles.length]!.cancel();
            } else {
              clock.advanceBy(o.byMs);
            }
            log.push(`next ${String(clock.nextTimerAt())} now ${clock.now()}`);
          }
          return log;
        };
        expect(run(new VirtualClock(0))).toEqual(run(new ReferenceClock(0)));
      }),
      { numRuns: 300 },
    );
  });
});

/** The straightforward model the heap must match: filter and sort every timer on every step. */
class ReferenceClock {
  private timers: Array<{ atMs: number; seq: number; fn: () => void; cancelled: boolean }> = [];
  private seq = 0;
  constructor(private current: number) {}
  now(): number {
    return this.current;
  }
  setTimer(atMs: number, fn: () => void): { cancel(): void } {
    const timer = { atMs: Math.max(atMs, this.current), seq: this.seq++, fn, cancelled: false };
    this.timers.push(timer);
    return { cancel: () => void (timer.cancelled = true) };
  }
  nextTimerAt(): number | undefined {
    return this.pending()[0]?.atMs;
  }
  advanceBy(ms: number): void {
    const target = this.current + ms;
    for (let next = this.pending()[0]; next && next.atMs <= target; next = this.pending()[0]) {
      next.cancelled = true;
      this.current = Math.max(this.current, next.atMs);
      next.fn();
    }
    this.current = Math.max(this.current, target);
  }
  private pending() {
    return this.timers.filter((t) => !t.cancelled).sort((a, b) => a.atMs - b.atMs || a.seq - b.seq);
  }
}
