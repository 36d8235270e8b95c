/**
 * Local executor, cold vs warm interpreters (numbers only, nothing asserted). A real dlt job
 * through dlt's job launcher in the fruitshop fixture's host venv prints one line as its first
 * statement. Per run: trigger (`executor.start` called) → process started (`start` resolved: the
 * spawn, or the warm interpreter's hand-off acknowledged) and trigger → first output line stored.
 *  - cold: `warm: false`, every run spawns `python -m <launcher>`;
 *  - warm, ready: a warm interpreter is ready when the run is triggered (a cron tick);
 *  - warm, back-to-back: the next run is triggered as soon as the previous ended (a downstream
 *    job on upstream success); these runs are shorter than a warm start, so each waits for the
 *    replacement interpreter that is still importing dlt (a head start on a cold spawn).
 * Run: npx tsx bench/local-warm.ts [--runs 20]
 */
import { join } from "node:path";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { SystemClock } from "../core/index.js";
import { createLocalExecutor, Launcher, prepareRun, type LocalExecutor, type RunnableJob } from "../runner/executors/index.js";
import { ensureHostVenv } from "../runner/images/index.js";
import { createLogStore } from "../runner/logs/index.js";
import { createSecretStore } from "../runner/secrets/index.js";
import { copyFixtureWorkspace, writeFiles } from "../test/support/workspaces.js";

const JOB = `
from dlt.hub.run import job


@job
def first_line():
    print("first line", flush=True)
`;

interface Sample {
  startedMs: number;
  firstLineMs: number;
  warm: boolean;
}

const runs = Number(process.argv[process.argv.indexOf("--runs") + 1] || 20) || 20;
const home = mkdtempSync(join(tmpdir(), "sluice-bench-warm-"));
const ws = join(home, "fruitshop");
const clock = new SystemClock();
const logStore = createLogStore({ dir: join(home, "logs") });
const context = { secretStore: createSecretStore(join(home, "secrets")), dataRoot: join(home, "data") };
const job: RunnableJob = { job_ref: "jobs.bench_warm.first_line", entry_point: { module: "bench_warm", function: "first_line", job_type: "batch", launcher: Launcher.job } };
let n = 0;

async function once(executor: LocalExecutor): Promise<Sample> {
  const runId = `warm-bench-${++n}`;
  const warmPids = new Set(executor.warmPool?.idle().map((idle) => idle.pid));
  const run = prepareRun(job, { name: "fruitshop", dir: ws }, { runId, trigger: "manual:bench", refresh: false }, context, clock.now());
  const trigger = performance.now();
  let firstLine = Number.NaN;
  const unsubscribe = logStore.subscribe(runId, {
    onLine: () => {
      if (Number.isNaN(firstLine)) firstLine = performance.now();
    },
  });
  const started = await executor.start(run);
  const startedMs = performance.now() - trigger;
  const outcome = await started.outcome;
  unsubscribe();
  if (outcome.status !== "completed") throw new Error(`${runId} ${outcome.status}: ${outcome.lastLines.join("\n")}`);
  const pid = Number((await started.placement)?.split(" ")[1]);
  return { startedMs, firstLineMs: firstLine - trigger, warm: warmPids.has(pid) };
}

async function waitReady(executor: LocalExecutor): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!executor.warmPool?.idle().some((idle) => idle.ready)) {
    if (Date.now() > deadline) throw new Error("no warm interpreter became ready within 30 s");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

function report(name: string, samples: Sample[]): void {
  const row = (what: string, values: number[]) =>
    process.stdout.write(`${`${name}: ${what}`.padEnd(48)} p50 ${percentile(values, 50).toFixed(0).padStart(5)} ms   p99 ${percentile(values, 99).toFixed(0).padStart(5)} ms\n`);
  row("trigger → process started", samples.map((s) => s.startedMs));
  row("trigger → first output line", samples.map((s) => s.firstLineMs));
  process.stdout.write(`${`${name}: runs handed to a warm interpreter`.padEnd(48)} ${samples.filter((s) => s.warm).length}/${samples.length}\n`);
}

async function series(executor: LocalExecutor, waitForWarm: boolean): Promise<Sample[]> {
  const samples: Sample[] = [];
  for (let i = 0; i < runs; i++) {
    if (waitForWarm) await waitReady(executor);
    samples.push(await once(executor));
  }
  return samples;
}

async function main(): Promise<void> {
  copyFixtureWorkspace("fruitshop", ws);
  writeFiles(ws, { "bench_warm.py": JOB });
  const python = (await ensureHostVenv({ workspaceDir: ws, onProgress: () => {} })).pythonPath;
  const options = { clock, logStore, pythonFor: () => python, enforceTimeouts: false };
  const cold = createLocalExecutor({ ...options, warm: false });
  await once(cold); // page cache warmed for both
  report("cold", await series(cold, false));
  const warm = createLocalExecutor(options);
  await once(warm);
  report("warm, ready", await series(warm, true));
  report("warm, back-to-back", await series(warm, false));
  warm.close();
}

await main();
