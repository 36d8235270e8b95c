/**
 * Container soak (numbers; exits 1 if a run is lost or a container is left behind): real Docker
 * runs through Sluice's Docker executor, `--slots` of them at all times (the concurrency limit),
 * for `--minutes`. Each run prints `--lines` log lines and exits 0; a new run starts the moment
 * one ends. Every real minute: runs finished, heap and RSS of this process.
 * At the end: runs lost (not exit 0, or its last log line missing), start→exit p50/p99, and the
 * containers still present with this soak's label.
 * The scheduler's own correctness under load is `bench/soak.ts` (virtual clock); this one is the
 * executor, dockerd and the log store under steady container churn.
 * Run: NODE_OPTIONS=--expose-gc npx tsx bench/soak-containers.ts [--minutes 30] [--slots 4] [--lines 200]
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { SystemClock } from "../core/index.js";
import { createDockerodeEngine } from "../runner/docker/index.js";
import { RunLabel, createDockerExecutor, prepareRun, type PreparedRun, type RunnableJob } from "../runner/executors/index.js";
import { ensureBaseImage } from "../runner/images/index.js";
import { createLogStore } from "../runner/logs/index.js";
import { createSecretStore } from "../runner/secrets/index.js";
import { percentile } from "./soak-core.js";

const SCRIPT = `
import argparse, json
p = argparse.ArgumentParser()
for name in ("--run-id", "--trigger", "--entry-point"):
    p.add_argument(name, required=True)
a = p.parse_args()
n = json.loads(a.entry_point)["config"]["lines"]
for i in range(n):
    print(f"line {i} of a soak run", flush=True)
print("soak run done", flush=True)
`;

interface Totals {
  finished: number;
  lost: number;
  durations: number[];
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { minutes: { type: "string", default: "30" }, slots: { type: "string", default: "4" }, lines: { type: "string", default: "200" } } });
  const minutes = Number(values.minutes);
  const slots = Number(values.slots);
  const lines = Number(values.lines);
  const home = mkdtempSync(join(tmpdir(), "sluice-bench-soak-containers-"));
  const ws = join(home, "ws");
  mkdirSync(join(ws, ".dlt"), { recursive: true });
  writeFileSync(join(ws, "soak_launcher.py"), SCRIPT);
  const clock = new SystemClock();
  const logStore = createLogStore({ dir: join(home, "logs") });
  const secretStore = createSecretStore(join(home, "secrets"));
  const engine = createDockerodeEngine();
  const image = (await ensureBaseImage(engine)).tag;
  const instance = `soak-${process.pid}`;
  const executor = createDockerExecutor({ engine, clock, logStore, secretStore, environmentFor: async () => ({ image, python: "/usr/bin/python3" }), network: "none", overlayRoot: join(home, "overlays"), instance });
  const job: RunnableJob = { job_ref: "jobs.soak", entry_point: { module: "s", function: "s", job_type: "batch", launcher: "soak_launcher" }, execute: { timeout: { timeout: 600, grace_period: 5 } } };
  let n = 0;
  const prepare = (): PreparedRun =>
    prepareRun(job, { name: "ws", dir: ws }, { runId: `soak-${++n}`, trigger: "manual:jobs.soak", refresh: false, config: { lines } }, { secretStore, dataRoot: join(home, "data") }, clock.now());

  const totals: Totals = { finished: 0, lost: 0, durations: [] };
  const endAt = Date.now() + minutes * 60_000;
  const slot = async () => {
    while (Date.now() < endAt) {
      const started = performance.now();
      const run = await executor.start(prepare());
      const outcome = await run.outcome;
      totals.durations.push(performance.now() - started);
      totals.finished += 1;
      const last = logStore.read(run.runId, { tail: 1 }).lines[0]?.text;
      if (outcome.exitCode !== 0 || last !== "soak run done") totals.lost += 1;
      logStore.remove(run.runId);
    }
  };
  console.log(`| minute | runs finished | heap MB | rss MB |`);
  console.log(`| ------ | ------------- | ------- | ------ |`);
  const sampler = setInterval(() => {
    (globalThis as { gc?: () => void }).gc?.();
    const m = process.memoryUsage();
    console.log(`| ${Math.round((Date.now() - (endAt - minutes * 60_000)) / 60_000)} | ${totals.finished} | ${(m.heapUsed / 2 ** 20).toFixed(1)} | ${(m.rss / 2 ** 20).toFixed(1)} |`);
  }, 60_000);
  try {
    await Promise.all(Array.from({ length: slots }, slot));
  } finally {
    clearInterval(sampler);
  }
  const leftover = await engine.listContainers({ [RunLabel.instance]: instance });
  totals.durations.sort((a, b) => a - b);
  console.log(`slots ${slots}, ${minutes} min, ${lines} lines per run`);
  console.log(`runs finished ${totals.finished}, lost ${totals.lost}, containers left ${leftover.length}`);
  console.log(`start→exit p50 ${percentile(totals.durations, 50).toFixed(0)} ms, p99 ${percentile(totals.durations, 99).toFixed(0)} ms`);
  rmSync(home, { recursive: true, force: true });
  if (totals.lost > 0 || leftover.length > 0) process.exitCode = 1;
}

await main();
