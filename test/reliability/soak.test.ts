/**
 * CI form of the scheduler soak (the full simulated day is `bench/soak.ts`): 200 jobs on `every:1m`
 * for 2 simulated hours on the real Scheduler + SchedulerStore (SQLite file), VirtualClock and
 * SimulatedExecutor. Asserts what must hold exactly (runs lost / duplicated, contiguous windows,
 * every run completed, zero virtual lag); timings and heap are printed, not asserted. Plus the leak
 * the container soak (`bench/soak-containers.ts`) found: one abort listener left per Docker run.
 */
import { getEventListeners } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runSoak, type SoakResult } from "../../bench/soak-core.js";
import { createDockerodeEngine } from "../../runner/docker/index.js";
import { ensureBaseImage } from "../../runner/images/index.js";
import { within } from "../support/wait.js";

const dir = mkdtempSync(join(tmpdir(), "sluice-soak-test-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("scheduler soak, 200 jobs on every:1m for 2 simulated hours", () => {
  let result: SoakResult;

  it("records exactly one completed run per job per expected minute: 0 lost, 0 duplicated, windows contiguous, started at the scheduled instant", async () => {
    result = await runSoak({ jobs: 200, hours: 2, databaseFile: join(dir, "soak.sqlite") });
    console.log(
      `soak 200 jobs x 2 h: ${result.runRecords} runs, wall per simulated minute p50 ${result.tickWallP50Ms.toFixed(1)} ms ` +
        `p99 ${result.tickWallP99Ms.toFixed(1)} ms, heap MB ${result.heap.map((s) => s.heapMb.toFixed(1)).join(" ")}, total ${result.wallSeconds.toFixed(1)} s`,
    );
    expect(result.expectedRuns).toBe(200 * 120);
    expect(result.runRecords).toBe(result.expectedRuns);
    expect(result.lost).toBe(0);
    expect(result.duplicated).toBe(0);
    expect(result.nonContiguousJobs).toBe(0);
    expect(result.unsuccessful).toBe(0);
    expect(result.virtualLagMaxMs).toBe(0);
  }, 120_000);
});

describe("long-lived abort signal of the Docker engine calls", () => {
  it("after 5 container runs followed with one shared signal (attach + wait), no abort listener is left on it", async () => {
    const engine = createDockerodeEngine();
    const image = (await within(ensureBaseImage(engine), "the base image", 300_000)).tag;
    const shared = new AbortController();
    const follow = { signal: shared.signal };
    for (let i = 0; i < 5; i++) {
      const id = await engine.createContainer({ image, cmd: ["python3", "-c", "print('hi')"], purpose: "test", network: "none", labels: { "sluice.test": "soak-listeners" } });
      try {
        const lines: string[] = [];
        const attached = await engine.attach(id, (_stream, chunk) => lines.push(chunk.toString()), follow);
        await engine.startContainer(id);
        expect(await within(engine.waitContainer(id, follow), "the container to exit", 60_000)).toBe(0);
        await within(attached.done, "the attach stream to end", 30_000);
        expect(lines.join("")).toContain("hi");
      } finally {
        await engine.removeContainer(id, { force: true });
      }
    }
    expect(getEventListeners(shared.signal, "abort")).toHaveLength(0);
  }, 420_000);
});
