/**
 * Manifest generation against real Docker and real dlt 1.26.0: the tutorial workspaces give the
 * jobs and triggers the tutorial describes, the broken workspaces fail with one actionable line,
 * dlt's hashes are what dlt computes, and a code-only change reuses the environment.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { readdir, readFile, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateManifest } from "../reconciler/index.js";
import type { GeneratedManifest } from "../reconciler/index.js";
import { createDockerodeEngine } from "../runner/docker/index.js";
import type { ContainerEngine } from "../runner/docker/index.js";
import { runInEnvironment } from "../runner/images/index.js";
import type { Job } from "../schemas/index.js";
import { createScratch, FIXTURES_DIR } from "./support/workspaces.js";

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, "..");
const WORKSPACES = join(FIXTURES_DIR, "workspaces");

/** Spec manifest.md §2: hash_job_definition of this job, verified with dlt 1.26.0. */
const SPEC_JOB_VECTOR =
  '{"job_ref":"jobs.m.a","entry_point":{"module":"m","function":"a","job_type":"batch","launcher":"dlt._workspace.deployment.launchers.job"},"triggers":["every:5m"],"execute":{"concurrency":1,"timeout":{"timeout":600.0}}}';
const SPEC_JOB_HASH = "L2quhtHCrY/RuAGFfiwKQSU8MwvM7t2kcRbO3ZHKIlo=";

let engine: ContainerEngine;
const scratch = createScratch();

beforeAll(async () => {
  engine = createDockerodeEngine();
  if (!(await engine.ping())) throw new Error("Docker engine does not answer (run scripts/setup.sh)");
});

afterAll(async () => {
  await scratch.remove();
});

function generate(workspaceDir: string, script?: string): Promise<GeneratedManifest> {
  return generateManifest({ workspaceDir, executor: "docker", engine, ...(script === undefined ? {} : { script }) });
}

function job(generated: GeneratedManifest, ref: string): Job {
  const found = generated.manifest.jobs.find((candidate) => candidate.job_ref === ref);
  if (!found) throw new Error(`no job ${ref} in ${generated.manifest.jobs.map((j) => j.job_ref).join(", ")}`);
  return found;
}

async function sluice(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [join(ROOT, "bin/sluice.js"), ...args], { cwd: ROOT, maxBuffer: 32 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, stdout: failed.stdout ?? "", stderr: failed.stderr ?? "" };
  }
}

async function copyWorkspace(name: string): Promise<string> {
  return scratch.copy(join(WORKSPACES, name), `sluice-manifest-${name}-`, (source) => !source.includes(`${join(".dlt", ".var")}`) && !source.includes("_local"));
}

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.map((entry) => join(entry.parentPath, entry.name).slice(dir.length)).sort();
}

/** dlt's canonical form (sorted keys, compact, non-ASCII as is) without dlt: exact for float-free jobs. */
function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  const keys = Object.keys(value).sort();
  return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`).join(",")}}`;
}

function independentHash(value: unknown): string {
  return createHash("sha3-256").update(canonicalJson(value), "utf8").digest("base64");
}

describe("tutorial workspaces", () => {
  let usgs: GeneratedManifest;

  it("usgs: jobs, triggers, refresh cascade inputs, timezone and the ibis group", async () => {
    usgs = await generate(join(WORKSPACES, "usgs_earthquakes_workspace"));
    expect(usgs.dltVersion).toBe("1.26.0");
    expect(usgs.manifest.description).toBe("USGS earthquakes: windowed ingest, gated transforms, refresh cascade");
    expect(usgs.manifest.jobs.map((j) => j.job_ref)).toEqual([
      "jobs.usgs_pipeline.backfill_usgs",
      "jobs.usgs_pipeline.usgs_daily",
      "jobs.usgs_pipeline.transform_earthquakes",
      "jobs.usgs_pipeline.transform_feeds_summary",
      "jobs.usgs_pipeline.clock",
      "jobs.usgs_dashboard",
      "jobs.workspace.dashboard",
    ]);
    const backfill = job(usgs, "jobs.usgs_pipeline.backfill_usgs");
    expect(backfill.refresh).toBe("always");
    expect(backfill.triggers).toEqual([]);
    expect(backfill.expose?.tags).toEqual(["backfill"]);

    const daily = job(usgs, "jobs.usgs_pipeline.usgs_daily");
    expect(daily.triggers).toEqual(["schedule:*/3 * * * *", "job.success:jobs.usgs_pipeline.backfill_usgs"]);
    expect(daily.require?.timezone).toBe("Europe/Berlin");
    expect(daily.interval?.start).toBe("2026-04-01T00:00:00+00:00");

    for (const ref of ["jobs.usgs_pipeline.transform_earthquakes", "jobs.usgs_pipeline.transform_feeds_summary"]) {
      const transform = job(usgs, ref);
      expect(transform.freshness).toEqual(["job.is_fresh:jobs.usgs_pipeline.usgs_daily"]);
      expect(transform.require?.dependency_groups).toEqual(["ibis"]);
      expect(transform.require?.timezone).toBe("Europe/Berlin");
    }
    expect(job(usgs, "jobs.usgs_dashboard").entry_point.launcher).toBe("dlt._workspace.deployment.launchers.marimo");
    expect(usgs.warnings).toEqual([]);
  });

  it("usgs: per-job hashes are dlt's (independent SHA3-256 of the canonical job for float-free jobs)", () => {
    expect(Object.keys(usgs.jobHashes)).toEqual(usgs.manifest.jobs.map((j) => j.job_ref));
    for (const [ref, hash] of Object.entries(usgs.jobHashes)) expect(hash, ref).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    // clock's timeout "10m" becomes 600.0 in Python, which JSON.parse cannot tell from 600.
    const floatFree = usgs.manifest.jobs.filter((j) => j.job_ref !== "jobs.usgs_pipeline.clock");
    for (const each of floatFree) expect(usgs.jobHashes[each.job_ref], each.job_ref).toBe(independentHash(each));
    const { created_at: _created, ...content } = usgs.manifest;
    expect(usgs.manifestHash).not.toBe(independentHash(content)); // clock's float is inside
    expect(new Set(Object.values(usgs.jobHashes)).size).toBe(usgs.manifest.jobs.length);
  });

  it("the environment's dlt reproduces the spec's hash_job_definition test vector", async () => {
    const environment = usgs.environment;
    expect(environment.image).toBeDefined();
    const code = [
      "import sys",
      "from dlt.common import json",
      "from dlt._workspace.deployment.manifest import hash_job_definition",
      "print(hash_job_definition(json.loads(sys.argv[1])))",
    ].join("\n");
    const result = await runInEnvironment(engine, {
      image: environment.image ?? "",
      workspaceDir: join(WORKSPACES, "usgs_earthquakes_workspace"),
      cmd: ["python", "-c", code, SPEC_JOB_VECTOR],
      network: "none",
      timeoutMs: 120_000,
    });
    expect(result.stderr).toBe("");
    expect(result.stdout.trim()).toBe(SPEC_JOB_HASH);
  });

  it("jaffle: follow-up trigger, 6h and 2h/60 s timeouts, the MCP interactive job", async () => {
    const jaffle = await generate(join(WORKSPACES, "jaffle_shop_workspace"));
    const ingest = job(jaffle, "jobs.jaffle_ingestion.ingest_jaffle");
    expect(ingest.triggers).toEqual(["schedule:0 * * * *"]);
    expect(ingest.execute?.timeout).toEqual({ timeout: 21600 });
    const transform = job(jaffle, "jobs.jaffle_transformations.transform_jaffle");
    expect(transform.triggers).toEqual(["job.success:jobs.jaffle_ingestion.ingest_jaffle"]);
    expect(transform.execute?.timeout).toEqual({ timeout: 7200, grace_period: 60 });
    const mcp = job(jaffle, "jobs.jaffle_mcp.jaffle_mcp");
    expect(mcp.entry_point.job_type).toBe("interactive");
    expect(mcp.expose?.interface).toBe("mcp");
    expect(mcp.triggers).toEqual(["http:"]);
  });

  it("github: pipeline, schedule and three notebooks", async () => {
    const github = await generate(join(WORKSPACES, "github_ingest_workspace"));
    expect(job(github, "jobs.github_pipeline.load_commits").triggers).toEqual(["every:5m"]);
    expect(job(github, "jobs.github_dq_pipeline.run_dq_checks").triggers).toEqual(["schedule:0 * * * *"]);
    for (const notebook of ["jobs.github_transformations_notebook", "jobs.github_dq_notebook", "jobs.github_report_notebook"]) {
      expect(job(github, notebook).triggers).toEqual(["http:"]);
    }
    expect(github.manifest.jobs.at(-1)?.job_ref).toBe("jobs.workspace.dashboard");
  });

  it("fruitshop ad-hoc: the plain script is one module job without triggers", async () => {
    const fruitshop = await generate(join(WORKSPACES, "fruitshop_simple_workspace"), "fruitshop_pipeline.py");
    expect(fruitshop.adHoc).toBe(true);
    expect(fruitshop.manifest.deployment_module).toBe("fruitshop_pipeline");
    expect(fruitshop.manifest.jobs).toHaveLength(1);
    const only = job(fruitshop, "jobs.fruitshop_pipeline");
    expect(only.entry_point).toMatchObject({ job_type: "batch", launcher: "dlt._workspace.deployment.launchers.module" });
    expect(only.triggers ?? []).toEqual([]);
  });

  it("fruitshop ad-hoc: the marimo notebook is one interactive http: job", async () => {
    const notebook = await generate(join(WORKSPACES, "fruitshop_simple_workspace"), "fruitshop_notebook.py");
    expect(notebook.manifest.jobs.map((j) => j.job_ref)).toEqual(["jobs.fruitshop_notebook"]);
    const only = job(notebook, "jobs.fruitshop_notebook");
    expect(only.entry_point).toMatchObject({ job_type: "interactive", launcher: "dlt._workspace.deployment.launchers.marimo" });
    expect(only.triggers).toEqual(["http:"]);
  });
});

describe("sluice manifest (CLI)", () => {
  it("prints the expanded manifest as YAML and dlt's hashes on request", async () => {
    const result = await sluice(["manifest", "fixtures/workspaces/usgs_earthquakes_workspace", "--show-hashes", "--output", "json"]);
    expect(result.code, result.stderr).toBe(0);
    const printed = JSON.parse(result.stdout) as { manifest: { jobs: Job[] }; manifest_hash: string; job_hashes: Record<string, string> };
    const daily = printed.manifest.jobs.find((j) => j.job_ref === "jobs.usgs_pipeline.usgs_daily");
    expect(daily?.triggers).toEqual([
      "schedule:*/3 * * * *",
      "job.success:jobs.usgs_pipeline.backfill_usgs",
      "manual:jobs.usgs_pipeline.usgs_daily",
      "pipeline_name:usgs_ingest_pipeline",
    ]);
    expect(printed.manifest_hash).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    expect(Object.keys(printed.job_hashes)).toHaveLength(printed.manifest.jobs.length);

    const yaml = await sluice(["manifest", "fixtures/workspaces/usgs_earthquakes_workspace"]);
    expect(yaml.code, yaml.stderr).toBe(0);
    expect(yaml.stdout).toContain("- tag:backfill");
    expect(yaml.stdout).toContain("deployment_module: __deployment__");
  });

  it.each([
    ["syntax_error", /^error: syntax error in jobs\.py line \d+: /],
    ["missing_module", /^error: __deployment__\.py line \d+ imports 'sluice_fixture_package_that_does_not_exist', which is not installed/],
    ["invalid_trigger", /^error: invalid trigger 'every:30s' in __deployment__\.py line \d+: minimum period is 1 minute$/],
    ["unknown_followup", /^error: invalid deployment manifest \(__deployment__\.py line \d+\): job '[\w.]+' has triggers referencing unknown jobs: \['jobs\.x\.y'\]$/],
    ["bad_cron", /^error: invalid trigger 'schedule:61 \* \* \* \*' in __deployment__\.py line \d+: invalid cron expression$/],
    ["import_exception", /^error: __deployment__\.py line \d+ raised RuntimeError while it was imported: fixture: failing at import time$/],
    ["pipeline_at_import", /^error: __deployment__\.py line \d+ runs a pipeline while it is imported/],
    ["hub_import_without_plugin", /^error: __deployment__\.py line \d+ needs dltHub's commercial 'dlthub' plugin/],
  ])("%s exits 1 with one error line and a hint", async (name, expected) => {
    const result = await sluice(["manifest", `fixtures/broken/${name}`]);
    expect(result.code, result.stderr).toBe(1);
    expect(result.stdout).toBe("");
    const lines = result.stderr.split("\n").filter((line) => line.startsWith("error: ") || line.startsWith("hint: "));
    expect(lines, result.stderr).toHaveLength(2);
    expect(lines[0]).toMatch(expected);
    expect(lines[1]).toContain(`sluice manifest fixtures/broken/${name}`);
  });

  it("a folder without __deployment__.py asks for --script", async () => {
    const result = await sluice(["manifest", "fixtures/workspaces/fruitshop_simple_workspace"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: .*has no __deployment__\.py/m);
    expect(result.stderr).toMatch(/^hint: .*--script file\.py/m);
  });
});

describe("environment reuse and isolation", () => {
  it("a code-only change reuses the environment, changes only that job's hash, and writes nothing into the workspace", async () => {
    const dir = await copyWorkspace("usgs_earthquakes_workspace");
    const before = await listFiles(dir);
    const first = await generate(dir);
    expect(first.environment.reused).toBe(true); // same dependency files as the fixture: same image
    expect(await listFiles(dir)).toEqual(before);

    const file = join(dir, "usgs_pipeline.py");
    const source = await readFile(file, "utf8");
    const changed = source.replace('print("tick"', 'print("tock"').replace(/(def clock\([^)]*\)[^:]*:\n\s+""")([^"]*)/, "$1Heartbeat, changed.");
    expect(changed).not.toBe(source);
    await writeFile(file, changed);

    const second = await generate(dir);
    expect(second.environment.reused).toBe(true);
    expect(second.environment.image).toBe(first.environment.image);
    expect(job(second, "jobs.usgs_pipeline.clock").description).toBe("Heartbeat, changed.");
    const changedRefs = Object.keys(first.jobHashes).filter((ref) => first.jobHashes[ref] !== second.jobHashes[ref]);
    expect(changedRefs).toEqual(["jobs.usgs_pipeline.clock"]);
    expect(second.manifestHash).not.toBe(first.manifestHash);
  });
});

describe("local executor", () => {
  it("a host venv (host python) gives the same jobs and dlt hashes as the Docker environment", async () => {
    const dir = await copyWorkspace("usgs_earthquakes_workspace");
    const local = await generateManifest({ workspaceDir: dir, executor: "local" });
    const docker = await generate(dir);
    expect(local.environment.executor).toBe("local");
    expect(local.environment.pythonPath).toMatch(/bin\/python$/);
    expect(local.manifest.jobs.map((j) => j.job_ref)).toEqual(docker.manifest.jobs.map((j) => j.job_ref));
    expect(local.jobHashes).toEqual(docker.jobHashes);
    expect(local.manifestHash).toBe(docker.manifestHash);
  });
});
