import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createRefills, refillSize } from "./warm-refills.js";

/** A run's end, settled by the test. */
function run(): { ended: Promise<void>; end(): void } {
  let end = () => {};
  const ended = new Promise<void>((resolve) => (end = resolve));
  return { ended, end };
}

describe("warm refills", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("a run that took the last warm one starts one replacement at once and tops the pool up only after the run's end and 500 ms of quiet", async () => {
    const refills = createRefills();
    const last = run();
    const refill = vi.fn();
    refills.runStarted({ othersWaiting: 0 }, last.ended, refill);
    await vi.advanceTimersByTimeAsync(1);
    expect(refill.mock.calls).toEqual([[1]]);
    await vi.advanceTimersByTimeAsync(3_000);
    expect(refill.mock.calls, "the run goes on").toEqual([[1]]);
    last.end();
    await vi.advanceTimersByTimeAsync(499);
    expect(refill.mock.calls).toEqual([[1]]);
    await vi.advanceTimersByTimeAsync(1);
    expect(refill.mock.calls).toEqual([[1], ["top-up"]]);
  });

  it("a run that started cold fills the pool at once, and nothing more after its end", async () => {
    const refills = createRefills();
    const first = run();
    const refill = vi.fn();
    refills.runStarted("cold", first.ended, refill);
    await vi.advanceTimersByTimeAsync(1);
    expect(refill.mock.calls).toEqual([["top-up"]]);
    first.end();
    await vi.advanceTimersByTimeAsync(20_000);
    expect(refill.mock.calls).toEqual([["top-up"]]);
  });

  it("with others waiting, waits for the run's end and then for 500 ms without a run starting or ending", async () => {
    const refills = createRefills();
    const ingest = run();
    const refill = vi.fn();
    refills.runStarted({ othersWaiting: 2 }, ingest.ended, refill);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(refill, "the run goes on").not.toHaveBeenCalled();
    ingest.end();
    await vi.advanceTimersByTimeAsync(400);
    // the downstream starts 400 ms after: quiet again from here
    const transform = run();
    refills.runStarted({ othersWaiting: 1 }, transform.ended, vi.fn());
    await vi.advanceTimersByTimeAsync(400);
    expect(refill, "postponed by the downstream's start").not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(100);
    expect(refill.mock.calls).toEqual([["top-up"]]);
  });

  it("never waits more than 5 s for a long run, nor 5 s more for quiet", async () => {
    const refills = createRefills();
    const started = Date.now();
    let calledAt = 0;
    refills.runStarted({ othersWaiting: 1 }, run().ended, () => (calledAt = Date.now()));
    await vi.advanceTimersByTimeAsync(4_900);
    expect(calledAt, "the run goes on").toBe(0);
    // busy from here: a run starts every 300 ms
    for (let i = 0; i < 40 && calledAt === 0; i++) {
      refills.runStarted({ othersWaiting: 1 }, run().ended, () => {});
      await vi.advanceTimersByTimeAsync(300);
    }
    expect(calledAt - started).toBeGreaterThanOrEqual(9_500);
    expect(calledAt - started).toBeLessThanOrEqual(10_000);
  });

  it("refillSize: 1 starts at most one, a top-up the pool's gap, and never a negative number when more wait than the target", () => {
    expect([refillSize(3, 0, 1), refillSize(3, 3, 1), refillSize(3, 0, "top-up"), refillSize(3, 2, "top-up"), refillSize(3, 4, "top-up")]).toEqual([1, 0, 3, 1, 0]);
  });

  it("close() drops the pending replacements", async () => {
    const refills = createRefills();
    const first = run();
    const refill = vi.fn();
    refills.runStarted({ othersWaiting: 1 }, first.ended, refill);
    first.end();
    refills.close();
    await vi.advanceTimersByTimeAsync(20_000);
    expect(refill).not.toHaveBeenCalled();
  });
});
