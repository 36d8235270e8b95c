/**
 * The scheduler soak, shared by `bench/soak.ts` (1,000 jobs, a simulated day) and the CI form in
 * `test/reliability/soak.test.ts`: N jobs on `every:1m` on the real Scheduler and SchedulerStore
 * (SQLite file), a VirtualClock and the SimulatedExecutor. The clock advances one simulated minute
 * per step; each step's real wall time is measured, the heap is sampled every simulated hour, and at
 * the end every job's run records are read back from SQLite and checked: one run per expected tick,
 * no duplicate, windows contiguous.
 */
import { VirtualClock, openDatabase } from "../core/index.js";
import { Scheduler, SchedulerStore, SimulatedExecutor, type JobDefinition } from "../runner/scheduler/index.js";

export interface SoakOptions {
  jobs: number;
  hours: number;
  /** SQLite file of the store. */
  databaseFile: string;
  startMs?: number;
  /** Simulated duration of each run; default 20 s (well inside the 1-minute period). */
  runDurationMs?: number;
}

export interface HeapSample {
  hour: number;
  heapMb: number;
}

export interface SoakResult {
  jobs: number;
  hours: number;
  expectedRuns: number;
  runRecords: number;
  lost: number;
  duplicated: number;
  /** Jobs whose windows have a gap or an overlap. */
  nonContiguousJobs: number;
  /** Runs not finished with exit code 0 at the end. */
  unsuccessful: number;
  /** Virtual lag: run start minus its scheduled instant (window end), ms. */
  virtualLagP50Ms: number;
  virtualLagP99Ms: number;
  virtualLagMaxMs: number;
  /** Real wall time to process one simulated minute (all N jobs firing), ms. */
  tickWallP50Ms: number;
  tickWallP99Ms: number;
  tickWallMaxMs: number;
  heap: HeapSample[];
  /** Least-squares slope of the heap samples over the second half of the run, MB per simulated hour. */
  heapSlopeMbPerHour: number;
  wallSeconds: number;
}

const DEFAULT_START = Date.parse("2026-04-14T00:00:00Z");
const MINUTE = 60_000;

export function soakJob(i: number): JobDefinition {
  return {
    job_ref: `jobs.soak.job_${i}`,
    entry_point: { module: "soak", function: `job_${i}`, job_type: "batch", launcher: "dlt._workspace.deployment.launchers.job" },
    execute: { concurrency: 1 },
    triggers: ["every:1m"],
  };
}

function heapMb(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().heapUsed / 1024 / 1024;
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] ?? 0;
}

export function slope(points: readonly { x: number; y: number }[]): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((s, p) => s + p.x, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  const num = points.reduce((s, p) => s + (p.x - mx) * (p.y - my), 0);
  const den = points.reduce((s, p) => s + (p.x - mx) ** 2, 0);
  return den === 0 ? 0 : num / den;
}

export async function runSoak(options: SoakOptions): Promise<SoakResult> {
  const startMs = options.startMs ?? DEFAULT_START;
  const clock = new VirtualClock(startMs);
  const db = openDatabase(options.databaseFile);
  const executor = new SimulatedExecutor(clock, { runDurationMs: options.runDurationMs ?? 20_000 });
  const scheduler = new Scheduler({ clock, store: new SchedulerStore(db), executor });
  const wallStart = performance.now();
  await scheduler.start();
  scheduler.deploy({ manifest: { jobs: Array.from({ length: options.jobs }, (_, i) => soakJob(i)) } });

  const tickWall: number[] = [];
  const heap: HeapSample[] = [{ hour: 0, heapMb: heapMb() }];
  const minutes = options.hours * 60;
  for (let m = 1; m <= minutes; m++) {
    const t = performance.now();
    clock.advanceTo(startMs + m * MINUTE);
    tickWall.push(performance.now() - t);
    // The executor keeps a start log for tests; the soak drops it so it does not count as growth.
    executor.started.length = 0;
    if (m % 60 === 0) {
      await new Promise((resolve) => setImmediate(resolve));
      heap.push({ hour: m / 60, heapMb: heapMb() });
    }
  }
  // Let the runs of the last tick finish (the next tick is a minute away).
  clock.advanceTo(startMs + minutes * MINUTE + (options.runDurationMs ?? 20_000));
  scheduler.stop();
  const wallSeconds = (performance.now() - wallStart) / 1000;
  const check = checkRuns(db, options.jobs, startMs, startMs + minutes * MINUTE);
  db.close();
  tickWall.sort((a, b) => a - b);
  const secondHalf = heap.filter((s) => s.hour >= options.hours / 2).map((s) => ({ x: s.hour, y: s.heapMb }));
  return {
    jobs: options.jobs,
    hours: options.hours,
    ...check,
    tickWallP50Ms: percentile(tickWall, 50),
    tickWallP99Ms: percentile(tickWall, 99),
    tickWallMaxMs: tickWall[tickWall.length - 1] ?? 0,
    heap,
    heapSlopeMbPerHour: slope(secondHalf),
    wallSeconds,
  };
}

interface RunRow {
  job_ref: string;
  started_ms: number | null;
  interval_start_ms: number | null;
  interval_end_ms: number | null;
  status: string;
  exit_code: number | null;
}

export type RunCheck = Pick<
  SoakResult,
  "expectedRuns" | "runRecords" | "lost" | "duplicated" | "nonContiguousJobs" | "unsuccessful" | "virtualLagP50Ms" | "virtualLagP99Ms" | "virtualLagMaxMs"
>;

/**
 * Reads every run record back from SQLite. Expected: one run per whole minute in (start, end] per
 * job, its window [tick - 1m, tick); the first window starts at the deploy instant.
 */
export function checkRuns(db: ReturnType<typeof openDatabase>, jobs: number, startMs: number, endMs: number): RunCheck {
  const rows = db
    .prepare("SELECT job_ref, started_ms, interval_start_ms, interval_end_ms, status, exit_code FROM sched_runs ORDER BY job_ref, interval_end_ms, seq")
    .iterate() as IterableIterator<RunRow>;
  const perJobExpected = Math.floor((endMs - startMs) / MINUTE);
  const ends = new Map<string, number[]>();
  const lags: number[] = [];
  let runRecords = 0;
  let unsuccessful = 0;
  const nonContiguous = new Set<string>();
  const lastEnd = new Map<string, number>();
  for (const row of rows) {
    runRecords++;
    const end = row.interval_end_ms ?? -1;
    const list = ends.get(row.job_ref) ?? [];
    list.push(end);
    ends.set(row.job_ref, list);
    if (row.status !== "completed" || row.exit_code !== 0) unsuccessful++;
    if (row.started_ms !== null && row.interval_end_ms !== null) lags.push(row.started_ms - row.interval_end_ms);
    const previous = lastEnd.get(row.job_ref) ?? startMs;
    if (row.interval_start_ms !== previous) nonContiguous.add(row.job_ref);
    lastEnd.set(row.job_ref, end);
  }
  let lost = 0;
  let duplicated = 0;
  for (let i = 0; i < jobs; i++) {
    const seen = new Set(ends.get(soakJob(i).job_ref) ?? []);
    const list = ends.get(soakJob(i).job_ref) ?? [];
    duplicated += list.length - seen.size;
    for (let k = 1; k <= perJobExpected; k++) if (!seen.has(startMs + k * MINUTE)) lost++;
  }
  lags.sort((a, b) => a - b);
  return {
    expectedRuns: perJobExpected * jobs,
    runRecords,
    lost,
    duplicated,
    nonContiguousJobs: nonContiguous.size,
    unsuccessful,
    virtualLagP50Ms: percentile(lags, 50),
    virtualLagP99Ms: percentile(lags, 99),
    virtualLagMaxMs: lags[lags.length - 1] ?? 0,
  };
}
