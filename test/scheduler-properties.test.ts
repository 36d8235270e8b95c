/**
 * Property tests: whatever the trigger, timezone, run durations, failures and manual
 * triggers, the windows of one job's consecutive successful runs never overlap and never
 * leave a gap, and no run starts before its window has closed.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Simulation, triggerJobs, type DecisionRecord } from "../runner/scheduler/index.js";
import { batchJob, manifestOf, ms } from "./scheduler-fixtures.js";

const TRIGGERS = ["schedule:*/3 * * * *", "schedule:*/7 * * * *", "schedule:0 * * * *", "schedule:15,45 * * * *", "every:5m", "every:13m"];
const ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata"];
/** Ranges that include both 2026 DST changes in Berlin and New York. */
const STARTS = ["2026-03-29T00:00:00Z", "2026-10-25T00:00:00Z", "2026-11-01T04:00:00Z", "2026-06-01T12:00:00Z"];
const HOURS = 5;

const scenario = fc.record({
  trigger: fc.constantFrom(...TRIGGERS),
  zone: fc.constantFrom(...ZONES),
  start: fc.constantFrom(...STARTS),
  durationMs: fc.integer({ min: 1_000, max: 25 * 60_000 }),
  failAt: fc.array(fc.integer({ min: 0, max: HOURS * 3600_000 }), { maxLength: 6 }),
  manualAt: fc.array(fc.integer({ min: 0, max: HOURS * 3600_000 }), { maxLength: 6 }),
  /** Optional daemon downtime: [down at, back after]. */
  restart: fc.option(fc.tuple(fc.integer({ min: 0, max: (HOURS - 1) * 3600_000 }), fc.integer({ min: 1_000, max: 3600_000 })), { nil: undefined }),
});

type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;

async function run(s: Scenario): Promise<DecisionRecord[]> {
  const startMs = ms(s.start);
  const sim = new Simulation({
    startMs,
    runDurationMs: s.durationMs,
    failures: s.failAt.map((offset) => ({ job: "prop", atMs: startMs + offset })),
  });
  try {
    await sim.start();
    sim.deploy({ manifest: manifestOf(batchJob("prop", { triggers: [s.trigger], require: { timezone: s.zone } })) });
    for (const offset of s.manualAt) {
      sim.clock.setTimer(startMs + offset, () => {
        // a manual trigger while the daemon is down is refused, as the CLI would be
        if (sim.scheduler.isRunning()) triggerJobs(sim.scheduler, ["prop"]);
        else expect(() => triggerJobs(sim.scheduler, ["prop"])).toThrow(/not running/);
      });
    }
    if (s.restart) await sim.restart(startMs + s.restart[0], startMs + s.restart[0] + s.restart[1]);
    sim.advanceTo(startMs + HOURS * 3600_000);
    return sim.records;
  } finally {
    sim.close();
  }
}

describe("scheduler properties", () => {
  it("consecutive successful windows are contiguous and no run starts before its window closes, across restarts", async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        const records = await run(s);
        for (const started of records.filter((r) => r.event === "started")) {
          expect(started.interval_end! <= started.at).toBe(true);
          expect(started.interval_start! <= started.interval_end!).toBe(true);
        }
        const windows = records
          .filter((r) => r.event === "succeeded" && r.interval_start !== r.interval_end)
          .map((r) => [ms(r.interval_start!), ms(r.interval_end!)] as const);
        for (let i = 1; i < windows.length; i++) {
          expect(windows[i]![0]).toBe(windows[i - 1]![1]);
        }
        // timed triggers fire at least hourly: five hours always start runs, restarts included
        expect(records.some((r) => r.event === "started")).toBe(true);
        // nothing runs twice: no two started runs share a non-empty window start
        const starts = records.filter((r) => r.event === "started" && r.interval_start !== r.interval_end).map((r) => r.interval_start);
        const successfulStarts = records.filter((r) => r.event === "succeeded" && r.interval_start !== r.interval_end).map((r) => r.interval_start);
        expect(new Set(successfulStarts).size).toBe(successfulStarts.length);
        expect(starts.length).toBeGreaterThanOrEqual(successfulStarts.length);
      }),
      { numRuns: 60 },
    );
  });
});
