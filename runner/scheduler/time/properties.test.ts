import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createTimeContext } from "./context.js";
import { computeRunWindow, resolveIntervalSpec } from "./declared-interval.js";
import { nextFireTime } from "./fire-times.js";
import type { TimeWindow } from "./run-interval.js";
import { every, schedule } from "./test-helpers.js";

const CRONS = [
  "*/3 * * * *", "30 2 * * *", "0 * * * *", "15,45 1-3 * * *", "0 */2 * * 1-5", "@daily", "@hourly",
  "*/5 * * * * 30", "*/7 2 * * *", "59 23 * * *", "0 2 * * *", "30 * * * *", "*/10 * * * * */20", "0 0 1 * *",
];
const ZONES = [
  "UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "America/Sao_Paulo", "Pacific/Auckland",
  "America/St_Johns", "Pacific/Chatham", "Asia/Kolkata", "Europe/London",
];
// instants near 2026 transitions of the zones above, plus anywhere in 2024–2027
const NEAR = [
  "2026-03-29T01:00Z", "2026-10-25T01:00Z", "2026-03-08T07:00Z", "2026-11-01T06:00Z", "2026-04-04T15:00Z",
  "2026-10-03T15:30Z", "2026-04-04T14:00Z", "2026-09-26T14:00Z", "2026-03-08T05:30Z", "2026-11-01T04:30Z",
].map((s) => Date.parse(s));
const instant = fc.oneof(
  fc.tuple(fc.constantFrom(...NEAR), fc.integer({ min: -6 * 3_600_000, max: 6 * 3_600_000 })).map(([t, d]) => t + d),
  fc.integer({ min: Date.parse("2024-01-01T00:00Z"), max: Date.parse("2028-01-01T00:00Z") }),
);

/** One dispatch: a scheduled fire, or a manual run some ms after the previous dispatch. */
const step = fc.record({ manualAfterMs: fc.option(fc.integer({ min: 1, max: 3 * 3_600_000 }), { freq: 3 }), succeeds: fc.boolean() });

interface Dispatch {
  nowMs: number;
  window: TimeWindow & { empty: boolean };
  succeeded: boolean;
}

function simulate(
  trigger: ReturnType<typeof schedule> | ReturnType<typeof every>,
  tz: string,
  startMs: number,
  steps: Array<{ manualAfterMs: number | null; succeeds: boolean }>,
  declaredInterval?: { start: string; end?: string },
): Dispatch[] {
  const ctx = createTimeContext();
  let watermarkMs: number | null = null;
  let lastFire: number | null = null;
  let clock = startMs;
  const out: Dispatch[] = [];
  for (const s of steps) {
    let nowMs: number;
    if (s.manualAfterMs !== null) nowMs = clock + s.manualAfterMs;
    else {
      nowMs = nextFireTime(trigger, clock, tz, lastFire, ctx);
      expect(nowMs).toBeGreaterThanOrEqual(clock);
      lastFire = nowMs;
    }
    const window = computeRunWindow({ intervalTrigger: trigger, nowMs, watermarkMs, tz, declaredInterval, refresh: watermarkMs === null }, ctx);
    if (s.succeeds) watermarkMs = watermarkMs === null ? window.endMs : Math.max(watermarkMs, window.endMs);
    out.push({ nowMs, window, succeeded: s.succeeds });
    clock = nowMs;
  }
  return out;
}

function checkContinuity(dispatches: Dispatch[]): void {
  let coveredTo: number | null = null;
  for (const d of dispatches) {
    const { startMs, endMs } = d.window;
    expect(startMs).toBeLessThanOrEqual(endMs); // never inverted
    expect(endMs).toBeLessThanOrEqual(d.nowMs); // a run never starts before its window closes
    if (!d.succeeded || startMs === endMs) continue;
    if (coveredTo !== null) expect(startMs).toBe(coveredTo); // no gap, no overlap
    coveredTo = endMs;
  }
}

describe("properties of consecutive run windows (watermark = previous interval end)", () => {
  it("schedule: windows neither overlap nor leave gaps, and never end after dispatch", () => {
    fc.assert(
      fc.property(fc.constantFrom(...CRONS), fc.constantFrom(...ZONES), instant, fc.array(step, { minLength: 5, maxLength: 40 }), (cron, tz, start, steps) => {
        checkContinuity(simulate(schedule(cron), tz, start, steps));
      }),
      { numRuns: 300 },
    );
  });

  it("every: the same, with cadence kept across manual runs", () => {
    fc.assert(
      fc.property(fc.integer({ min: 60, max: 86_400 }), instant, fc.array(step, { minLength: 5, maxLength: 40 }), (period, start, steps) => {
        checkContinuity(simulate(every(period), "UTC", start, steps));
      }),
      { numRuns: 200 },
    );
  });

  it("scheduled fires strictly increase", () => {
    fc.assert(
      fc.property(fc.constantFrom(...CRONS), fc.constantFrom(...ZONES), instant, fc.integer({ min: 2, max: 30 }), (cron, tz, start, n) => {
        const ds = simulate(schedule(cron), tz, start, Array.from({ length: n }, () => ({ manualAfterMs: null, succeeds: true })));
        for (let i = 1; i < ds.length; i++) expect(ds[i]!.nowMs).toBeGreaterThan(ds[i - 1]!.nowMs);
      }),
      { numRuns: 200 },
    );
  });
});

describe("properties with a declared interval", () => {
  it("windows stay inside the declared range, gap-free, and the first one starts at interval.start", () => {
    const offset = fc.integer({ min: -40 * 86_400_000, max: 86_400_000 });
    const length = fc.option(fc.integer({ min: 3_600_000, max: 30 * 86_400_000 }));
    fc.assert(
      fc.property(fc.constantFrom(...CRONS), fc.constantFrom(...ZONES), instant, offset, length, fc.array(step, { minLength: 3, maxLength: 25 }), (cron, tz, start, off, len, steps) => {
        const declStart = start + off;
        const spec = { start: new Date(declStart).toISOString(), ...(len === null ? {} : { end: new Date(declStart + len).toISOString() }) };
        const ds = simulate(schedule(cron), tz, start, steps, spec);
        checkContinuity(ds);
        const resolved = resolveIntervalSpec(spec, cron, tz, 0, createTimeContext());
        for (const d of ds) {
          if (d.window.empty) continue;
          expect(d.window.startMs).toBeGreaterThanOrEqual(resolved.startMs);
          if (len !== null) expect(d.window.endMs).toBeLessThanOrEqual(resolved.endMs);
        }
        const first = ds.find((d) => !d.window.empty);
        if (first !== undefined && ds[0] === first) expect(first.window.startMs).toBe(resolved.startMs);
      }),
      { numRuns: 200 },
    );
  });
});

describe("fire times never land in a repeated hour and are the first tick after now", () => {
  const SUBHOURLY = ["*/3 * * * *", "0 * * * *", "30 * * * *", "*/10 * * * * */20", "15,45 * * * *"];
  it("nextFireTime = first wall tick after now whose fold=0 instant lies after now", () => {
    const ctx = createTimeContext();
    fc.assert(
      fc.property(fc.constantFrom(...SUBHOURLY), fc.constantFrom(...ZONES), instant, (cron, tz, now) => {
        const fire = nextFireTime(schedule(cron), now, tz, null, ctx);
        let tick = ctx.crons.next(cron, ctx.zones.utcToWall(tz, now));
        while (ctx.zones.wallToUtc(tz, tick) <= now) tick = ctx.crons.next(cron, tick);
        expect(fire).toBe(ctx.zones.wallToUtc(tz, tick));
      }),
      { numRuns: 500 },
    );
  });
});
