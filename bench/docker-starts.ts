/**
 * Docker: N runs started at once (numbers only, nothing asserted). Where the time from the trigger
 * (`executor.start()`) to the run's process goes: the engine calls the executor makes (create,
 * attach, start; timed by wrapping the real engine), the container's Python starting (the stand-in
 * launcher prints its own clock as its first statement), and importing dlt (when the image has it).
 *
 * Run: npx tsx bench/docker-starts.ts [--runs 20] [--image TAG --python /opt/sluice/venv/bin/python] [--warm]
 * Default image: the base image (no dlt: the import phase is reported as absent).
 * --warm: warm run containers (runner/executors/warm-containers.ts), as many as runs: one run
 * primes them, then the N runs are triggered at once once all are ready (the image needs dlt).
 */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { SystemClock } from "../core/index.js";
import { createDockerodeEngine, type ContainerEngine } from "../runner/docker/index.js";
import { createDockerExecutor, prepareRun, type RunnableJob } from "../runner/executors/index.js";
import { ensureBaseImage } from "../runner/images/index.js";
import { createLogStore } from "../runner/logs/index.js";
import { createSecretStore } from "../runner/secrets/index.js";

// the launcher's first statement is its clock; then dlt's import, timed (absent without dlt)
const LAUNCHER = `import time; t0 = time.time()
import sys
try:
    import dlt
    t1 = time.time()
except ImportError:
    t1 = None
print("started", int(t0 * 1000), int(t1 * 1000) if t1 else -1, flush=True)
`;

interface Phases {
  trigger: number;
  created?: number;
  attached?: number;
  started?: number;
  python?: number;
  dlt?: number;
}

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
};

/** The real engine, with the time each call of a run's container returned. */
function timedEngine(engine: ContainerEngine, phasesOf: (runId: string) => Phases | undefined): ContainerEngine {
  const byContainer = new Map<string, Phases>();
  return {
    ...engine,
    async createContainer(spec) {
      const id = await engine.createContainer(spec);
      const phases = phasesOf(spec.labels?.["sluice.run-id"] ?? "");
      if (phases) {
        phases.created = Date.now();
        byContainer.set(id, phases);
      }
      return id;
    },
    async attach(id, onChunk, signal) {
      const attached = await engine.attach(id, onChunk, signal);
      const phases = byContainer.get(id);
      if (phases) phases.attached = Date.now();
      return attached;
    },
    async startContainer(id) {
      await engine.startContainer(id);
      const phases = byContainer.get(id);
      if (phases) phases.started = Date.now();
    },
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { runs: { type: "string", default: "20" }, image: { type: "string" }, python: { type: "string", default: "/usr/bin/python3" }, warm: { type: "boolean", default: false } } });
  const runs = Number(values.runs);
  const home = mkdtempSync(join(tmpdir(), "sluice-bench-starts-"));
  const ws = join(home, "ws");
  mkdirSync(join(ws, ".dlt"), { recursive: true });
  writeFileSync(join(ws, "starts_launcher.py"), LAUNCHER);
  const clock = new SystemClock();
  const logStore = createLogStore({ dir: join(home, "logs") });
  const secretStore = createSecretStore(join(home, "secrets"));
  const real = createDockerodeEngine();
  const image = values.image ?? (await ensureBaseImage(real)).tag;
  const phases = new Map<string, Phases>();
  const engine = timedEngine(real, (runId) => phases.get(runId));
  const warm = values.warm ? { perTarget: runs, maxIdle: runs } : false;
  const executor = createDockerExecutor({ engine, clock, logStore, secretStore, environmentFor: async () => ({ image, python: values.python ?? "/usr/bin/python3" }), network: "none", overlayRoot: join(home, "overlays"), warm });
  const job: RunnableJob = { job_ref: "jobs.starts", entry_point: { module: "s", function: "s", job_type: "batch", launcher: "starts_launcher" } };
  if (warm) await primeWarm(executor, prepareRun(job, { name: "ws", dir: ws }, { runId: "starts-prime", trigger: "manual", refresh: false }, { secretStore, dataRoot: join(home, "data") }, clock.now()), runs);
  const prepared = Array.from({ length: runs }, (_, i) => prepareRun(job, { name: "ws", dir: ws }, { runId: `starts-${i + 1}`, trigger: "manual", refresh: false }, { secretStore, dataRoot: join(home, "data") }, clock.now()));
  for (const run of prepared) {
    const entry: Phases = { trigger: 0 };
    phases.set(run.runId, entry);
    logStore.subscribe(run.runId, {
      onLine: (line) => {
        const match = /^started (\d+) (-?\d+)/.exec(line.text);
        if (!match) return;
        entry.python = Number(match[1]);
        if (match[2] !== "-1") entry.dlt = Number(match[2]);
      },
    });
  }
  const supervised = await Promise.all(
    prepared.map((run) => {
      (phases.get(run.runId) as Phases).trigger = Date.now();
      return executor.start(run);
    }),
  );
  await Promise.all(supervised.map((run) => run.outcome));
  const placements = await Promise.all(supervised.map((run) => run.placement));
  const warmIds = new Set(warmBefore.map((id) => id.slice(0, 12)));
  report(runs, image, [...phases.values()]);
  if (warm) process.stdout.write(`runs handed to a warm container: ${placements.filter((text) => warmIds.has(/container (\w+)/.exec(text ?? "")?.[1] ?? "")).length}/${runs}\n`);
  await executor.close();
}

let warmBefore: string[] = [];

/** One run (cold) makes the executor prepare the warm containers; waits until `count` are ready (at most 5 min). */
async function primeWarm(executor: ReturnType<typeof createDockerExecutor>, run: Parameters<ReturnType<typeof createDockerExecutor>["start"]>[0], count: number): Promise<void> {
  await (await executor.start(run)).outcome;
  const deadline = Date.now() + 300_000;
  const ready = () => executor.warmContainers?.idle().filter((idle) => idle.ready) ?? [];
  while (ready().length < count) {
    if (Date.now() > deadline) throw new Error(`only ${ready().length}/${count} warm containers got ready within 5 min`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  warmBefore = ready().map((idle) => idle.containerId ?? "");
  // let the machine settle after 20 imports
  await new Promise((resolve) => setTimeout(resolve, 3_000));
}

function report(runs: number, image: string, all: Phases[]): void {
  const series = (name: string, pick: (p: Phases) => number | undefined) => {
    const values = all.map(pick).filter((v): v is number => v !== undefined && Number.isFinite(v));
    if (values.length === 0) return process.stdout.write(`${name.padEnd(44)} absent\n`);
    process.stdout.write(`${name.padEnd(44)} p50 ${percentile(values, 50).toFixed(0).padStart(5)} ms   p99 ${percentile(values, 99).toFixed(0).padStart(5)} ms   (n=${values.length})\n`);
  };
  process.stdout.write(`${runs} runs started at once on ${image}\n`);
  series("trigger → container created", (p) => (p.created ?? NaN) - p.trigger);
  series("created → attached", (p) => (p.attached ?? NaN) - (p.created ?? NaN));
  series("attached → start returned", (p) => (p.started ?? NaN) - (p.attached ?? NaN));
  series("start returned → Python's first statement", (p) => (p.python ?? NaN) - (p.started ?? NaN));
  series("trigger → Python's first statement", (p) => (p.python ?? NaN) - p.trigger);
  series("import dlt", (p) => (p.dlt === undefined ? undefined : p.dlt - (p.python ?? NaN)));
  series("trigger → dlt imported", (p) => (p.dlt === undefined ? undefined : p.dlt - p.trigger));
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);
