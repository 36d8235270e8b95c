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
});
