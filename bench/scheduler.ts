/**
 * Scheduler benchmark (numbers only, nothing asserted):
 *  - deploy 10,000 jobs (mixed cron / every / follow-ups) and the memory the scheduler holds;
 *  - time to find the next due run (heap peek) with 10,000 jobs deployed;
 *  - the pure scheduling decision per job (next fire time + run window, no I/O), warm caches;
 *  - time per decision while the whole fleet runs for simulated hours (state written to SQLite);
 *  - catch-up of one job after downtimes of 1 day … 1 year of `*∕3` ticks (must not grow with the gap).
 * Run: npx tsx bench/scheduler.ts   (add --expose-gc via NODE_OPTIONS for steadier memory numbers)
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { VirtualClock, openDatabase } from "../core/index.js";
import { Scheduler, SchedulerStore, type Executor, type JobDefinition, type RunExit, type RunHandle } from "../runner/scheduler/index.js";
import { computeRunInterval, nextFireTime } from "../runner/scheduler/time/index.js";
import { parseTrigger, type TimedTrigger } from "../schemas/index.js";

const JOBS = 10_000;
const CRONS = ["*/3 * * * *", "*/5 * * * *", "0 * * * *", "15,45 * * * *", "0 3 * * *", "*/10 8-18 * * mon-fri"];
const ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Asia/Tokyo"];
const START = Date.parse("2026-04-14T00:00:00Z");

/** Runs end the instant they start: the bench measures the scheduler, not a process table. */
class InstantExecutor implements Executor {
  started = 0;
  start(): RunHandle {
    this.started++;
    const exit: RunExit = { exitCode: 0, killed: false };
    return { done: Promise.resolve(exit), onExit: (callback) => callback(exit), stop: () => {}, kill: () => {} };
  }
}

function job(i: number): JobDefinition {
  const base = {
    job_ref: `jobs.bench.job_${i}`,
    entry_point: { module: "bench", function: `job_${i}`, job_type: "batch", launcher: "dlt._workspace.deployment.launchers.job" },
    execute: { concurrency: 1 },
    require: { timezone: ZONES[i % ZONES.length] },
  };
  const kind = i % 10;
  if (kind < 4 || i < 10) return { ...base, triggers: [`schedule:${CRONS[i % CRONS.length]}`] };
  if (kind < 7) return { ...base, triggers: [`every:${1 + (i % 90)}m`] };
  return { ...base, triggers: [`job.success:jobs.bench.job_${i % 7}`] };
}

function heapMb(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().heapUsed / 1024 / 1024;
}

function fmt(n: number, digits = 1): string {
  return n.toFixed(digits);
}

async function fleet(dir: string): Promise<void> {
  const clock = new VirtualClock(START);
  const executor = new InstantExecutor();
  const heapBefore = heapMb();
  const scheduler = new Scheduler({ clock, store: new SchedulerStore(openDatabase(join(dir, "fleet.sqlite"))), executor });
  await scheduler.start();
  const jobs = Array.from({ length: JOBS }, (_, i) => job(i));
  let t = performance.now();
  scheduler.deploy({ manifest: { jobs } });
  const deployMs = performance.now() - t;
  const heapAfter = heapMb();

  const peeks = 100_000;
  t = performance.now();
  let sink = 0;
  for (let i = 0; i < peeks; i++) sink += scheduler.nextDueAt() ?? 0;
  const peekUs = ((performance.now() - t) * 1000) / peeks;

  let decisions = 0;
  for (const event of ["run:started", "run:skipped", "run:queued"] as const) scheduler.events.on(event, () => decisions++);
  const hours = 2;
  t = performance.now();
  clock.advanceTo(START + hours * 3600_000);
  const runMs = performance.now() - t;
  const heapRunning = heapMb();
  scheduler.stop();

  console.log(`jobs deployed                 ${JOBS}`);
  console.log(`deploy time                   ${fmt(deployMs)} ms (${fmt((deployMs * 1000) / JOBS)} µs per job)`);
  console.log(`next due run (heap peek)      ${fmt(peekUs, 3)} µs per lookup${sink === 0 ? " (empty!)" : ""}`);
  console.log(`simulated ${hours} h of the fleet     ${decisions} decisions in ${fmt(runMs)} ms = ${fmt((runMs * 1000) / decisions)} µs per decision (incl. SQLite writes)`);
  console.log(`scheduler heap, 10k jobs      ${fmt(heapAfter - heapBefore)} MB after deploy, ${fmt(heapRunning - heapBefore)} MB after ${executor.started} runs`);
}

async function catchUp(dir: string, gapDays: number): Promise<{ bootUs: number; decisionUs: number; window: string }> {
  const file = join(dir, `catchup-${gapDays}.sqlite`);
  const clock = new VirtualClock(START);
  const first = new Scheduler({ clock, store: new SchedulerStore(openDatabase(file)), executor: new InstantExecutor() });
  await first.start();
  first.deploy({ manifest: { jobs: [{ ...job(0), triggers: ["schedule:*/3 * * * *"], require: { timezone: "Europe/Berlin" } }] } });
  clock.advanceTo(START + 3 * 60_000);
  first.stop();
  clock.advanceTo(START + gapDays * 86_400_000 + 60_000);
  const second = new Scheduler({ clock, store: new SchedulerStore(openDatabase(file)), executor: new InstantExecutor() });
  let window = "";
  second.events.on("run:started", ({ run }) => {
    window = `[${new Date(run.intervalStartMs!).toISOString()}, ${new Date(run.intervalEndMs!).toISOString()})`;
  });
  let t = performance.now();
  await second.start();
  const bootUs = (performance.now() - t) * 1000;
  t = performance.now();
  clock.advanceTo(clock.nextTimerAt()!);
  const decisionUs = (performance.now() - t) * 1000;
  second.stop();
  return { bootUs, decisionUs, window };
}

/** Next fire time plus run window for every job of the fleet's mix: the maths of one decision. */
function pureDecisions(): void {
  const triggers = Array.from({ length: JOBS }, (_, i) => {
    const raw = i % 3 === 2 ? `every:${5 + (i % 7)}m` : `schedule:${CRONS[i % CRONS.length]}`;
    return { trigger: parseTrigger(raw) as TimedTrigger, tz: ZONES[i % ZONES.length] ?? "UTC" };
  });
  let sink = 0;
  const round = (nowMs: number) => {
    for (const { trigger, tz } of triggers) {
      const fire = nextFireTime(trigger, nowMs, tz, null);
      sink += fire + computeRunInterval(trigger, fire, fire - 3_600_000, tz).startMs;
    }
  };
  round(START); // warm the compiled-cron and zone-offset caches
  const rounds = 20;
  const t = performance.now();
  for (let r = 1; r <= rounds; r++) round(START + r * 61_000);
  const us = ((performance.now() - t) * 1000) / (rounds * JOBS);
  console.log(`pure decision (next fire + window) ${fmt(us, 2)} µs per job, 10k jobs, warm${sink === 0 ? " (empty!)" : ""}`);
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "sluice-bench-scheduler-"));
  try {
    pureDecisions();
    await fleet(dir);
    for (const gap of [1, 30, 365]) {
      const ticks = Math.round((gap * 86_400_000) / 180_000);
      const r = await catchUp(dir, gap);
      console.log(
        `catch-up after ${String(gap).padStart(3)} day(s) (${String(ticks).padStart(6)} missed */3 ticks): boot ${fmt(r.bootUs)} µs, catch-up decision ${fmt(r.decisionUs)} µs, one window ${r.window}`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
