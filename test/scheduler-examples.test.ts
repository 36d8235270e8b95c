/** scheduling.md §12 worked examples, run through the real scheduler on a virtual clock. */
import { describe, expect, it } from "vitest";
import { triggerJobs, type Simulation } from "../runner/scheduler/index.js";
import { USGS_MANIFEST, batchJob, manifestOf, ms } from "./scheduler-fixtures.js";
import { simulations } from "./scheduler-simulations.js";

const simulate = simulations();

const started = (s: Simulation, job?: string) =>
  s.records.filter((r) => r.event === "started" && (!job || r.job === job)).map((r) => [r.at, r.interval_start, r.interval_end, r.refresh]);

/** [at, interval_start, interval_end] of each started run. */
const windows = (s: Simulation) => started(s).map(([at, a, b]) => [at, a, b]);

/** A `schedule:` job in Europe/Berlin with 10 s runs, deployed at `fromIso` and simulated until `toIso`. */
async function berlin(cron: string, fromIso: string, toIso: string): Promise<Simulation> {
  const job = batchJob("berlin", { triggers: [`schedule:${cron}`], require: { timezone: "Europe/Berlin" } });
  const s = await simulate(fromIso, manifestOf(job), { runDurationMs: 10_000 });
  s.advanceTo(ms(toIso));
  return s;
}

describe("worked examples (scheduling.md §12)", () => {
  it("#1-#2: 0 3 * * * deployed at noon fires next day 03:00 with a refresh window, then daily", async () => {
    const s = await simulate("2026-05-25T12:00:00Z", manifestOf(batchJob("daily", { triggers: ["schedule:0 3 * * *"] })));
    s.advanceTo(ms("2026-05-25T23:59:00Z"));
    expect(s.records).toEqual([]);
    s.advanceTo(ms("2026-05-27T04:00:00Z"));
    expect(started(s)).toEqual([
      ["2026-05-26T03:00:00.000Z", "2026-05-25T03:00:00.000Z", "2026-05-26T03:00:00.000Z", true],
      ["2026-05-27T03:00:00.000Z", "2026-05-26T03:00:00.000Z", "2026-05-27T03:00:00.000Z", false],
    ]);
    expect(s.scheduler.watermarks.get("jobs.mod.daily")).toBe(ms("2026-05-27T03:00:00Z"));
  });

  it("#3: a manual run with nothing missed gets the empty window and leaves the watermark", async () => {
    const s = await simulate("2026-05-25T12:00:00Z", manifestOf(batchJob("daily", { triggers: ["schedule:0 3 * * *"] })));
    s.advanceTo(ms("2026-05-26T12:00:00Z"));
    triggerJobs(s.scheduler, ["daily"]);
    s.advanceTo(ms("2026-05-26T13:00:00Z"));
    const manual = s.records.filter((r) => r.event === "started")[1];
    expect(manual).toMatchObject({
      at: "2026-05-26T12:00:00.000Z",
      trigger: "schedule:0 3 * * *",
      interval_start: "2026-05-26T03:00:00.000Z",
      interval_end: "2026-05-26T03:00:00.000Z",
      refresh: false,
    });
    expect(s.scheduler.watermarks.get("jobs.mod.daily")).toBe(ms("2026-05-26T03:00:00Z"));
  });

  it("#4: after a failed tick a manual run backfills the gap and the next fire continues from it", async () => {
    const sim = await simulate("2026-05-25T12:00:00Z", manifestOf(batchJob("daily", { triggers: ["schedule:0 3 * * *"] })), {
      failures: [{ job: "daily", atMs: ms("2026-05-27T03:00:00Z") }],
    });
    sim.advanceTo(ms("2026-05-27T12:00:00Z"));
    expect(sim.records.filter((r) => r.event === "failed")).toHaveLength(1);
    triggerJobs(sim.scheduler, ["daily"]);
    sim.advanceTo(ms("2026-05-28T04:00:00Z"));
    expect(started(sim).slice(2)).toEqual([
      ["2026-05-27T12:00:00.000Z", "2026-05-26T03:00:00.000Z", "2026-05-27T03:00:00.000Z", false],
      ["2026-05-28T03:00:00.000Z", "2026-05-27T03:00:00.000Z", "2026-05-28T03:00:00.000Z", false],
    ]);
  });

  it("#5: daemon down two days, no run at restart, the next fire covers the gap in one run", async () => {
    const s = await simulate("2026-05-25T12:00:00Z", manifestOf(batchJob("daily", { triggers: ["schedule:0 3 * * *"] })));
    await s.restart(ms("2026-05-27T02:00:00Z"), ms("2026-05-29T10:00:00Z"));
    s.advanceTo(ms("2026-05-30T02:59:00Z"));
    expect(started(s)).toHaveLength(1);
    s.advanceTo(ms("2026-05-30T04:00:00Z"));
    const last = s.records.filter((r) => r.event === "started")[1];
    expect(last).toMatchObject({
      at: "2026-05-30T03:00:00.000Z",
      interval_start: "2026-05-26T03:00:00.000Z",
      interval_end: "2026-05-30T03:00:00.000Z",
      refresh: false,
    });
    expect(last?.reason).toContain("daemon was down");
  });

  it("#6-#7: every 1h deployed 14:20 fires 15:20; a manual run does not shift the cadence", async () => {
    const s = await simulate("2026-05-25T14:20:00Z", manifestOf(batchJob("hourly", { triggers: ["every:1h"] })));
    s.advanceTo(ms("2026-05-25T16:50:00Z"));
    triggerJobs(s.scheduler, ["hourly"]);
    s.advanceTo(ms("2026-05-25T17:30:00Z"));
    expect(started(s)).toEqual([
      ["2026-05-25T15:20:00.000Z", "2026-05-25T14:20:00.000Z", "2026-05-25T15:20:00.000Z", true],
      ["2026-05-25T16:20:00.000Z", "2026-05-25T15:20:00.000Z", "2026-05-25T16:20:00.000Z", false],
      ["2026-05-25T16:50:00.000Z", "2026-05-25T16:20:00.000Z", "2026-05-25T16:50:00.000Z", false],
      ["2026-05-25T17:20:00.000Z", "2026-05-25T16:50:00.000Z", "2026-05-25T17:20:00.000Z", false],
    ]);
  });

  it("#8: */3 in Europe/Berlin across spring-forward 2026-03-29 is continuous", async () => {
    const s = await berlin("*/3 * * * *", "2026-03-29T00:52:00Z", "2026-03-29T01:04:00Z");
    expect(windows(s)).toEqual([
      ["2026-03-29T00:54:00.000Z", "2026-03-29T00:51:00.000Z", "2026-03-29T00:54:00.000Z"],
      ["2026-03-29T00:57:00.000Z", "2026-03-29T00:54:00.000Z", "2026-03-29T00:57:00.000Z"],
      ["2026-03-29T01:00:00.000Z", "2026-03-29T00:57:00.000Z", "2026-03-29T01:00:00.000Z"],
      ["2026-03-29T01:03:00.000Z", "2026-03-29T01:00:00.000Z", "2026-03-29T01:03:00.000Z"],
    ]);
  });

  it("#9: */3 in Europe/Berlin across fall-back 2026-10-25: no fires in the repeated hour, one 63 min window", async () => {
    const s = await berlin("*/3 * * * *", "2026-10-25T00:52:00Z", "2026-10-25T02:04:00Z");
    expect(windows(s)).toEqual([
      ["2026-10-25T00:54:00.000Z", "2026-10-25T00:51:00.000Z", "2026-10-25T00:54:00.000Z"],
      ["2026-10-25T00:57:00.000Z", "2026-10-25T00:54:00.000Z", "2026-10-25T00:57:00.000Z"],
      ["2026-10-25T02:00:00.000Z", "2026-10-25T00:57:00.000Z", "2026-10-25T02:00:00.000Z"],
      ["2026-10-25T02:03:00.000Z", "2026-10-25T02:00:00.000Z", "2026-10-25T02:03:00.000Z"],
    ]);
  });

  it("#10: 0 0 * * * in Europe/Berlin fires at Berlin midnight with a one-day window", async () => {
    const job = batchJob("midnight", { triggers: ["schedule:0 0 * * *"], require: { timezone: "Europe/Berlin" } });
    const s = await simulate("2026-04-14T12:00:00Z", manifestOf(job));
    s.advanceTo(ms("2026-04-14T23:00:00Z"));
    expect(windows(s)).toEqual([
      ["2026-04-14T22:00:00.000Z", "2026-04-13T22:00:00.000Z", "2026-04-14T22:00:00.000Z"],
    ]);
  });

  it("#11-#12: a cascade-cleared usgs_daily restarts at interval.start, then continues from its watermark", async () => {
    const s = await simulate("2026-04-14T10:00:00Z", USGS_MANIFEST);
    triggerJobs(s.scheduler, ["tag:backfill"]);
    s.advanceTo(ms("2026-04-14T10:03:40Z"));
    // backfill succeeded 10:00:30: its follow-up usgs_daily ran at once as a refresh run from interval.start
    const daily = s.records.filter((r) => r.job === "usgs_daily" && r.event === "started");
    expect(daily[0]).toMatchObject({
      at: "2026-04-14T10:00:30.000Z",
      trigger: "job.success:jobs.usgs_pipeline.backfill_usgs",
      interval_start: "2026-04-01T00:00:00.000Z",
      interval_end: "2026-04-14T10:00:00.000Z",
      refresh: true,
    });
    expect(daily[1]).toMatchObject({ at: "2026-04-14T10:03:00.000Z", interval_start: "2026-04-14T10:00:00.000Z", interval_end: "2026-04-14T10:03:00.000Z", refresh: false });
  });

  it("#13: every:5m with a cleared watermark gets [now-5m, now) as a refresh run", async () => {
    const s = await simulate("2026-04-14T10:00:00Z", manifestOf(batchJob("ticker", { triggers: ["every:5m"] })));
    s.advanceTo(ms("2026-04-14T10:07:30Z"));
    triggerJobs(s.scheduler, ["ticker"]);
    expect(started(s)[1]).toEqual(["2026-04-14T10:07:30.000Z", "2026-04-14T10:05:00.000Z", "2026-04-14T10:07:30.000Z", false]);
    s.advanceTo(ms("2026-04-14T10:08:30Z"));
    s.scheduler.clearCascade("jobs.mod.ticker", true);
    s.advanceTo(ms("2026-04-14T10:09:00Z"));
    triggerJobs(s.scheduler, ["ticker"]);
    expect(started(s)[2]).toEqual(["2026-04-14T10:09:00.000Z", "2026-04-14T10:04:00.000Z", "2026-04-14T10:09:00.000Z", true]);
  });

  it("#14: a follow-up-only job gets the point window of its dispatch and that instant as watermark", async () => {
    const up = batchJob("ingest", { triggers: ["every:1h"] });
    const down = batchJob("transform", { triggers: ["job.success:jobs.mod.ingest"] });
    const s = await simulate("2026-04-14T08:41:00Z", manifestOf(up, down), { runDurationMs: 12_000 });
    s.advanceTo(ms("2026-04-14T09:41:30Z"));
    const follow = s.records.find((r) => r.job === "transform" && r.event === "started");
    expect(follow).toMatchObject({ at: "2026-04-14T09:41:12.000Z", interval_start: "2026-04-14T09:41:12.000Z", interval_end: "2026-04-14T09:41:12.000Z" });
    expect(s.scheduler.watermarks.get("jobs.mod.transform")).toBe(ms("2026-04-14T09:41:12Z"));
  });

  it("#15: the */5 transform is held while usgs_daily has not processed the 10:15 tick, then released by its success", async () => {
    const s = await simulate("2026-04-14T09:50:00Z", USGS_MANIFEST, { runDurationMs: 20_000 });
    triggerJobs(s.scheduler, ["tag:backfill"]);
    s.advanceTo(ms("2026-04-14T10:15:30Z"));
    const at1015 = s.records.filter((r) => r.job === "transform_earthquakes" && r.at.startsWith("2026-04-14T10:15"));
    expect(at1015[0]).toMatchObject({ event: "skipped", at: "2026-04-14T10:15:00.000Z" });
    expect(at1015[0]?.reason).toContain("missing run for");
    // usgs_daily's 10:15 run succeeds at 10:15:20 and releases the held transform at once
    expect(at1015[1]).toMatchObject({ event: "started", at: "2026-04-14T10:15:20.000Z", interval_end: "2026-04-14T10:15:00.000Z" });
  });
});
