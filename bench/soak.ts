/**
 * Scheduler soak (numbers; exits 1 if a run is lost or duplicated): 1,000 jobs on `every:1m` for a
 * simulated day on the real Scheduler + SchedulerStore (SQLite file), VirtualClock, SimulatedExecutor.
 * Prints scheduling lag (virtual start vs. scheduled instant; real wall time per simulated minute),
 * the heap every simulated hour, and the run-record check (lost / duplicated / contiguous windows).
 * Run: NODE_OPTIONS=--expose-gc npx tsx bench/soak.ts [--jobs 1000] [--hours 24]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { runSoak, type SoakResult } from "./soak-core.js";

function fmt(n: number, digits = 1): string {
  return n.toFixed(digits);
}

export function printSoak(r: SoakResult): void {
  const rows: Array<[string, string]> = [
    ["jobs × simulated hours", `${r.jobs} × ${r.hours} h (every:1m)`],
    ["expected runs / run records", `${r.expectedRuns} / ${r.runRecords}`],
    ["runs lost / duplicated", `${r.lost} / ${r.duplicated}`],
    ["jobs with non-contiguous windows", `${r.nonContiguousJobs}`],
    ["runs not succeeded", `${r.unsuccessful}`],
    ["virtual lag p50 / p99 / max", `${r.virtualLagP50Ms} / ${r.virtualLagP99Ms} / ${r.virtualLagMaxMs} ms`],
    ["wall time per simulated minute p50 / p99 / max", `${fmt(r.tickWallP50Ms)} / ${fmt(r.tickWallP99Ms)} / ${fmt(r.tickWallMaxMs)} ms`],
    ["heap first / last / max", heapLine(r)],
    ["heap trend (second half)", `${fmt(r.heapSlopeMbPerHour, 3)} MB per simulated hour`],
    ["wall time", `${fmt(r.wallSeconds)} s`],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  console.log(`| ${"measure".padEnd(width)} | value |`);
  console.log(`| ${"-".repeat(width)} | ----- |`);
  for (const [k, v] of rows) console.log(`| ${k.padEnd(width)} | ${v} |`);
  console.log(`heap per simulated hour (MB): ${r.heap.map((s) => fmt(s.heapMb)).join(" ")}`);
}

function heapLine(r: SoakResult): string {
  const values = r.heap.map((s) => s.heapMb);
  return `${fmt(values[0] ?? 0)} / ${fmt(values[values.length - 1] ?? 0)} / ${fmt(Math.max(...values))} MB`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { jobs: { type: "string", default: "1000" }, hours: { type: "string", default: "24" } } });
  const dir = mkdtempSync(join(tmpdir(), "sluice-bench-soak-"));
  try {
    const result = await runSoak({ jobs: Number(values.jobs), hours: Number(values.hours), databaseFile: join(dir, "soak.sqlite") });
    printSoak(result);
    if (result.lost > 0 || result.duplicated > 0 || result.nonContiguousJobs > 0) process.exitCode = 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1]?.endsWith("soak.ts")) await main();
