/**
 * Manifest generation time per fixture, printed as numbers (nothing asserted):
 *  - cold: the environment is built (a copy of the fixture whose pyproject.toml gets a unique
 *    comment, so its environment key is new; uv's download cache stays warm), then dlt's worker runs;
 *  - warm: the environment exists (code-only change), median of several runs. Target: < 3 s.
 *    "py" is the wrapper's main inside the interpreter ("worker" of it: dlt's worker); the rest of
 *    "dlt" is container (or process) start-up, interpreter start-up and tear-down.
 * Run: npx tsx bench/manifest.ts [--no-cold] [--local] [--runs N] [--only usgs,jaffle]
 * The cold images are removed afterwards.
 */
import { randomBytes } from "node:crypto";
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { generateManifest } from "../reconciler/index.js";
import { isSluiceError } from "../core/index.js";
import type { GeneratedManifest, ManifestEnvironmentInfo } from "../reconciler/index.js";
import { createDockerodeEngine } from "../runner/docker/index.js";
import type { ContainerEngine } from "../runner/docker/index.js";

const ROOT = resolve(import.meta.dirname, "..");

interface Fixture {
  name: string;
  dir: string;
  script?: string;
}

const FIXTURES: Fixture[] = [
  { name: "usgs", dir: "fixtures/workspaces/usgs_earthquakes_workspace" },
  { name: "jaffle", dir: "fixtures/workspaces/jaffle_shop_workspace" },
  { name: "github", dir: "fixtures/workspaces/github_ingest_workspace" },
  { name: "fruitshop_pipeline", dir: "fixtures/workspaces/fruitshop_simple_workspace", script: "fruitshop_pipeline.py" },
  { name: "fruitshop_notebook", dir: "fixtures/workspaces/fruitshop_simple_workspace", script: "fruitshop_notebook.py" },
  { name: "broken_invalid_trigger", dir: "fixtures/broken/invalid_trigger" },
];

interface Timing {
  totalMs: number;
  prepareMs: number;
  generateMs: number;
  wrapperMs?: number | undefined;
  workerMs?: number | undefined;
  reused: boolean;
}

const seconds = (ms: number) => (ms / 1000).toFixed(2);

function line(name: string, timing: Timing, extra = ""): void {
  process.stdout.write(
    `${name.padEnd(38)} ${seconds(timing.totalMs).padStart(7)} s  (env ${seconds(timing.prepareMs)} s${timing.reused ? " reused" : " built"}, dlt ${seconds(timing.generateMs)} s${insideInterpreter(timing)})${extra}\n`,
  );
}

function insideInterpreter(timing: Timing): string {
  if (timing.wrapperMs === undefined || timing.workerMs === undefined) return "";
  return ` = py ${seconds(timing.wrapperMs)} s [worker ${seconds(timing.workerMs)} s] + start-up ${seconds(timing.generateMs - timing.wrapperMs)} s`;
}

async function timeOnce(fixture: Fixture, workspaceDir: string, engine: ContainerEngine | undefined): Promise<Timing & { image?: string }> {
  const started = performance.now();
  let generated: GeneratedManifest | undefined;
  let failure: ManifestEnvironmentInfo | undefined;
  try {
    generated = await generateManifest({
      workspaceDir,
      executor: engine ? "docker" : "local",
      ...(engine ? { engine } : {}),
      ...(fixture.script === undefined ? {} : { script: fixture.script }),
    });
  } catch (error) {
    // broken fixtures fail by design; their time still counts
    const environment = isSluiceError(error) ? (error.details.environment as ManifestEnvironmentInfo | undefined) : undefined;
    if (!fixture.name.startsWith("broken") || !environment) throw error;
    failure = environment;
  }
  const totalMs = performance.now() - started;
  const environment = generated?.environment ?? failure;
  if (!generated) return { totalMs, reused: failure?.reused ?? false, prepareMs: failure?.prepareMs ?? Number.NaN, generateMs: failure?.generateMs ?? Number.NaN, wrapperMs: environment?.wrapperMs, workerMs: environment?.workerMs };
  return {
    totalMs,
    prepareMs: generated.environment.prepareMs,
    generateMs: generated.environment.generateMs,
    wrapperMs: generated.environment.wrapperMs,
    workerMs: generated.environment.workerMs,
    reused: generated.environment.reused,
    ...(generated.environment.image === undefined ? {} : { image: generated.environment.image }),
  };
}

async function coldCopy(fixture: Fixture): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `sluice-bench-manifest-${fixture.name}-`));
  await cp(join(ROOT, fixture.dir), dir, { recursive: true, filter: (source) => !source.includes(join(".dlt", ".var")) });
  const pyproject = join(dir, "pyproject.toml");
  const text = await readFile(pyproject, "utf8");
  // a comment changes the dependency file's bytes, hence the environment key; uv.lock (used
  // with --frozen) still pins exactly the fixture's packages
  await writeFile(pyproject, `${text}\n# sluice bench ${randomBytes(4).toString("hex")}\n`);
  return dir;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

export async function runManifestBench(options: { cold: boolean; local: boolean; runs: number; only?: string[] }): Promise<void> {
  const engine = options.local ? undefined : createDockerodeEngine();
  process.stdout.write(`manifest generation (${options.local ? "host venv" : "docker"}, ${options.runs} warm runs, median)\n`);
  const only = options.only;
  for (const fixture of FIXTURES.filter((candidate) => only === undefined || only.some((name) => candidate.name.startsWith(name)))) {
    const dir = join(ROOT, fixture.dir);
    if (options.cold) {
      const copy = await coldCopy(fixture);
      try {
        const cold = await timeOnce(fixture, copy, engine);
        line(`cold_${fixture.name}`, cold);
        if (engine && cold.image) await engine.removeImage(cold.image, { force: true }).catch(() => undefined);
      } finally {
        await rm(copy, { recursive: true, force: true });
      }
    }
    await timeOnce(fixture, dir, engine); // make sure the fixture's own environment exists
    const warm: Timing[] = [];
    for (let i = 0; i < options.runs; i += 1) warm.push(await timeOnce(fixture, dir, engine));
    const medianOf = (pick: (timing: Timing) => number | undefined) => {
      const values = warm.map(pick);
      return values.every((value) => value !== undefined) ? median(values as number[]) : undefined;
    };
    line(`warm_${fixture.name}`, {
      totalMs: median(warm.map((t) => t.totalMs)),
      prepareMs: median(warm.map((t) => t.prepareMs)),
      generateMs: median(warm.map((t) => t.generateMs)),
      wrapperMs: medianOf((t) => t.wrapperMs),
      workerMs: medianOf((t) => t.workerMs),
      reused: warm.every((t) => t.reused),
    }, `  min ${seconds(Math.min(...warm.map((t) => t.totalMs)))} s`);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const args = process.argv.slice(2);
  const runsAt = args.indexOf("--runs");
  const onlyAt = args.indexOf("--only");
  await runManifestBench({
    cold: !args.includes("--no-cold"),
    local: args.includes("--local"),
    runs: runsAt >= 0 ? Number(args[runsAt + 1] ?? 3) : 3,
    ...(onlyAt >= 0 ? { only: (args[onlyAt + 1] ?? "").split(",").filter((name) => name.length > 0) } : {}),
  });
}
