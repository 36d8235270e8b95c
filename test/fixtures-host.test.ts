// Runs every fixture workspace on the host with the real dlt 1.26.0: dlt's manifest worker must
// describe the jobs of the tutorial, and dlt's launchers must load the fake APIs into DuckDB.
// Venvs are cached under ~/.cache/sluice-test/venvs keyed by the lock hash; runs happen in temp
// copies so nothing is written into fixtures/.
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdir, readFile, rm } from "node:fs/promises";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  GITHUB_COMMIT_COUNT,
  GITHUB_CONTRIBUTORS,
  JAFFLE_COUNTS,
  jaffleOrders,
  usgsQuakesBetween,
  USGS_FDSN_PATH,
  USGS_SIGNIFICANT_MAGNITUDE,
} from "../fixtures/fake-sources/index.js";
import { duckdbQueryArgs } from "./support/duckdb-query.js";
import { useFakeSources } from "./support/fake-sources.js";
import { createScratch, FIXTURES_DIR } from "./support/workspaces.js";

const VENV_CACHE = join(homedir(), ".cache", "sluice-test", "venvs");
const JOB_LAUNCHER = "dlt._workspace.deployment.launchers.job";
const MODULE_LAUNCHER = "dlt._workspace.deployment.launchers.module";
const GITHUB_SECRET = "ghp_from_sluice_secret_store";
const FEED_NOW = new Date("2026-04-10T12:00:00Z");

type Proc = { code: number; stdout: string; stderr: string };
type Job = Record<string, unknown> & {
  job_ref: string;
  triggers: string[];
  execute: Record<string, unknown>;
  expose?: Record<string, unknown>;
  require?: Record<string, unknown>;
  entry_point: Record<string, unknown>;
};
type WorkerResult =
  | { manifest: { jobs: Job[]; description?: string; tags?: string[] }; warnings: string[] }
  | { error: string; error_type: string };

const sources = useFakeSources({ githubToken: GITHUB_SECRET, now: () => FEED_NOW });
const scratch = createScratch();

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<Proc> {
  return new Promise((done) => {
    execFile(command, args, { cwd, env: baseEnv(env), maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
      done({ code, stdout, stderr });
    });
  });
}

/** The host env without any dlt settings that could leak into the fixtures. */
function baseEnv(extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.includes("__") && !key.startsWith("DLT_")) env[key] = value;
  }
  return { ...env, PYTHONUNBUFFERED: "1", RUNTIME__DLTHUB_TELEMETRY: "false", ...extra };
}

async function copyOf(relative: string): Promise<string> {
  return scratch.copy(join(FIXTURES_DIR, relative), "sluice-fixture-");
}

/** `uv sync --frozen` into a cached venv keyed by the lock file and the dependency groups. */
async function uvVenv(workspace: string, groups: string[] = []): Promise<string> {
  const lock = await readFile(join(workspace, "uv.lock"));
  const key = createHash("sha256").update(lock).update(groups.join(",")).digest("hex").slice(0, 16);
  const venv = join(VENV_CACHE, `uv-${key}`);
  await mkdir(VENV_CACHE, { recursive: true });
  const sync = await run("uv", ["sync", "--frozen", "--quiet", ...groups.flatMap((g) => ["--group", g])], workspace, {
    UV_PROJECT_ENVIRONMENT: venv,
  });
  if (sync.code !== 0) throw new Error(`uv sync failed in ${workspace}: ${sync.stderr}`);
  return join(venv, "bin", "python");
}

/** A plain venv from requirements.txt (the raw-scripts workspace has no uv project). */
async function pipVenv(workspace: string): Promise<string> {
  const requirements = await readFile(join(workspace, "requirements.txt"));
  const venv = join(VENV_CACHE, `req-${createHash("sha256").update(requirements).digest("hex").slice(0, 16)}`);
  const python = join(venv, "bin", "python");
  const ready = await run(python, ["-c", "import dlt"], workspace);
  if (ready.code !== 0) {
    await rm(venv, { recursive: true, force: true });
    for (const step of [["venv", "--quiet", venv], ["pip", "install", "--quiet", "--python", python, "-r", "requirements.txt"]]) {
      const result = await run("uv", step, workspace);
      if (result.code !== 0) throw new Error(`uv ${step[0]} failed: ${result.stderr}`);
    }
  }
  return python;
}

async function manifest(python: string, workspace: string, ...args: string[]): Promise<WorkerResult> {
  const result = await run(python, ["-m", "dlt._workspace.deployment._manifest_worker", ...args], workspace);
  try {
    return JSON.parse(result.stdout) as WorkerResult;
  } catch {
    throw new Error(`worker printed no JSON (exit ${result.code}): ${result.stderr.slice(-2000)}`);
  }
}

function jobsOf(result: WorkerResult): Map<string, Job> {
  if ("error" in result) throw new Error(`manifest failed: ${result.error_type}: ${result.error}`);
  expect(result.warnings).toEqual([]);
  return new Map(result.manifest.jobs.map((job) => [job.job_ref, job]));
}

type Launch = { module: string; function?: string | null; launcher?: string; trigger?: string; refresh?: boolean };

/** Runs one batch job through dlt's launcher in the prod profile, like the runtime does. */
async function launch(python: string, workspace: string, job: Launch, env: NodeJS.ProcessEnv = {}, window?: [string, string], timezone = "UTC"): Promise<Proc> {
  const launcher = job.launcher ?? JOB_LAUNCHER;
  const entryPoint = {
    module: job.module,
    function: job.function ?? null,
    job_type: "batch",
    launcher,
    profile: "prod",
    ...(launcher === JOB_LAUNCHER
      ? { interval_start: window?.[0] ?? "2026-04-01T00:00:00+00:00", interval_end: window?.[1] ?? "2026-04-01T01:00:00+00:00", interval_timezone: timezone, refresh: job.refresh ?? false }
      : {}),
  };
  const args = ["-m", launcher, "--run-id", "r1", "--trigger", job.trigger ?? "manual:", "--entry-point", JSON.stringify(entryPoint)];
  return run(python, args, workspace, { WORKSPACE__PROFILE: "prod", DLT_DATA_DIR: join(workspace, ".dlt-data"), ...env });
}

function expectSuccess(result: Proc): void {
  if (result.code !== 0) throw new Error(`job failed (exit ${result.code}):\n${result.stderr.slice(-3000)}`);
}

/** One SQL query against a DuckDB file, answered as JSON rows. */
async function query(python: string, database: string, sql: string): Promise<unknown[][]> {
  const result = await run(python, duckdbQueryArgs(database, sql), tmpdir());
  if (result.code !== 0) throw new Error(`query failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as unknown[][];
}

afterAll(async () => {
  await scratch.remove();
});

describe("usgs_earthquakes_workspace", () => {
  it("declares the tutorial's five jobs and the marimo dashboard", async () => {
    const ws = await copyOf("workspaces/usgs_earthquakes_workspace");
    const result = await manifest(await uvVenv(ws), ws, "__deployment__");
    const jobs = jobsOf(result);
    expect([...jobs.keys()]).toEqual([
      "jobs.usgs_pipeline.backfill_usgs",
      "jobs.usgs_pipeline.usgs_daily",
      "jobs.usgs_pipeline.transform_earthquakes",
      "jobs.usgs_pipeline.transform_feeds_summary",
      "jobs.usgs_pipeline.clock",
      "jobs.usgs_dashboard",
      "jobs.workspace.dashboard",
    ]);
    const backfill = jobs.get("jobs.usgs_pipeline.backfill_usgs");
    expect(backfill).toMatchObject({ refresh: "always", triggers: [], config_keys: ["epoch"] });
    expect(backfill?.expose).toMatchObject({ tags: ["backfill"], display_name: "USGS backfill cascade" });
    const daily = jobs.get("jobs.usgs_pipeline.usgs_daily");
    expect(daily).toMatchObject({
      triggers: ["schedule:*/3 * * * *", "job.success:jobs.usgs_pipeline.backfill_usgs"],
      interval: { start: "2026-04-01T00:00:00+00:00" },
      require: { timezone: "Europe/Berlin" },
      deliver: { pipeline_name: "usgs_ingest_pipeline" },
      default_trigger: "schedule:*/3 * * * *",
    });
    expect(daily?.refresh).toBeUndefined();
    for (const ref of ["jobs.usgs_pipeline.transform_earthquakes", "jobs.usgs_pipeline.transform_feeds_summary"]) {
      expect(jobs.get(ref)).toMatchObject({
        freshness: ["job.is_fresh:jobs.usgs_pipeline.usgs_daily"],
        require: { dependency_groups: ["ibis"], timezone: "Europe/Berlin" },
        expose: { tags: ["transform"] },
      });
    }
    expect(jobs.get("jobs.usgs_pipeline.transform_earthquakes")?.execute).toEqual({ timeout: { timeout: 1800, grace_period: 60 }, concurrency: 1 });
    expect(jobs.get("jobs.usgs_pipeline.transform_feeds_summary")?.triggers).toEqual(["every:5m"]);
    expect(jobs.get("jobs.usgs_pipeline.clock")).toMatchObject({ triggers: ["every:1m"], execute: { timeout: { timeout: 600 } } });
    expect(jobs.get("jobs.usgs_dashboard")).toMatchObject({ triggers: ["http:"], description: "Earthquake charts" });
    expect("manifest" in result && result.manifest.tags).toEqual(["demo"]);
  });

  it("loads the scheduler's window and the transforms read what usgs_daily loaded", async () => {
    const ws = await copyOf("workspaces/usgs_earthquakes_workspace");
    const python = await uvVenv(ws);
    const ibisPython = await uvVenv(ws, ["ibis"]);
    const env = { SOURCES__USGS__BASE_URL: sources().url };
    const window: [string, string] = ["2026-04-01T00:00:00+00:00", "2026-04-03T00:00:00+00:00"];
    expectSuccess(await launch(python, ws, { module: "usgs_pipeline", function: "backfill_usgs" }, env));
    const daily = await launch(python, ws, { module: "usgs_pipeline", function: "usgs_daily", refresh: true, trigger: "job.success:jobs.usgs_pipeline.backfill_usgs" }, env, window, "Europe/Berlin");
    expectSuccess(daily);

    const fdsn = sources().requests.filter((r) => r.path === USGS_FDSN_PATH);
    expect(fdsn.at(-1)?.query).toMatchObject({ starttime: "2026-04-01T02:00:00+02:00", endtime: "2026-04-03T02:00:00+02:00", minmagnitude: "2.5" });
    const db = join(ws, "_local", "prod", "warehouse.duckdb");
    const expected = usgsQuakesBetween(Date.parse(window[0]), Date.parse(window[1]), 2.5).length;
    expect(expected).toBeGreaterThan(5);
    expect(await query(python, db, "SELECT count(*) FROM usgs_data.earthquakes")).toEqual([[expected]]);
    const significant = usgsQuakesBetween(FEED_NOW.getTime() - 30 * 86_400_000, FEED_NOW.getTime(), USGS_SIGNIFICANT_MAGNITUDE).length;
    expect(await query(python, db, "SELECT count(*) FROM usgs_data.feeds_summary")).toEqual([[significant]]);

    expectSuccess(await launch(ibisPython, ws, { module: "usgs_pipeline", function: "transform_earthquakes" }, env, window, "Europe/Berlin"));
    expectSuccess(await launch(ibisPython, ws, { module: "usgs_pipeline", function: "transform_feeds_summary" }, env, window, "Europe/Berlin"));
    expect(await query(python, db, "SELECT sum(event_count) FROM usgs_analytics.earthquake_daily_stats")).toEqual([[expected]]);
    expect(await query(python, db, "SELECT count(*) FROM usgs_analytics.feeds_severity WHERE severity IN ('strong', 'major', 'great')")).toEqual([[significant]]);
    expectSuccess(await launch(python, ws, { module: "usgs_pipeline", function: "clock" }, env));
  });
});

describe("jaffle_shop_workspace", () => {
  it("declares the follow-up, both timeouts and the inline MCP server", async () => {
    const ws = await copyOf("workspaces/jaffle_shop_workspace");
    const jobs = jobsOf(await manifest(await uvVenv(ws), ws, "__deployment__"));
    expect(jobs.get("jobs.jaffle_ingestion.ingest_jaffle")).toMatchObject({
      triggers: ["schedule:0 * * * *"],
      execute: { timeout: { timeout: 21600.0 }, concurrency: 1 },
      deliver: { pipeline_name: "jaffle_ingest" },
    });
    expect(jobs.get("jobs.jaffle_transformations.transform_jaffle")).toMatchObject({
      triggers: ["job.success:jobs.jaffle_ingestion.ingest_jaffle"],
      execute: { timeout: { timeout: 7200, grace_period: 60 }, concurrency: 1 },
      default_trigger: "job.success:jobs.jaffle_ingestion.ingest_jaffle",
    });
    expect(jobs.get("jobs.jaffle_mcp.jaffle_mcp")).toMatchObject({
      entry_point: { module: "__deployment__", function: "jaffle_mcp", job_type: "interactive", launcher: JOB_LAUNCHER },
      triggers: ["http:"],
      execute: { timeout: { timeout: 1800.0 }, concurrency: 1 },
      expose: { interface: "mcp", display_name: "Jaffle Shop MCP" },
    });
  });

  it("ingests API pages and payments.parquet, then aggregates per customer", async () => {
    const ws = await copyOf("workspaces/jaffle_shop_workspace");
    const python = await uvVenv(ws);
    const env = { SOURCES__JAFFLE_SHOP__BASE_URL: sources().url };
    expectSuccess(await launch(python, ws, { module: "jaffle_ingestion", function: "ingest_jaffle", trigger: "schedule:0 * * * *" }, env));
    const transform = await launch(python, ws, { module: "jaffle_transformations", function: "transform_jaffle", trigger: "job.success:jobs.jaffle_ingestion.ingest_jaffle" }, env);
    expectSuccess(transform);
    expect(transform.stdout).toContain("Triggered by ingestion");

    const raw = join(ws, "_local", "prod", "jaffleshop_destination.duckdb");
    const counts = await query(python, raw, "SELECT (SELECT count(*) FROM jaffle_raw.customers), (SELECT count(*) FROM jaffle_raw.products), (SELECT count(*) FROM jaffle_raw.orders), (SELECT count(*) FROM jaffle_raw.payments)");
    expect(counts).toEqual([[JAFFLE_COUNTS.customers, JAFFLE_COUNTS.products, JAFFLE_COUNTS.orders, 72]]);
    const pages = sources().requests.filter((r) => r.path === "/api/v1/orders").map((r) => r.query.page);
    expect(pages).toEqual(["1", "2", "3", "4", "5", "6", "7"]);

    const analytics = join(ws, "_local", "prod", "jaffleshop_transformation_destination.duckdb");
    const buyers = new Set(jaffleOrders().map((order) => order.customer_id)).size;
    expect(await query(python, analytics, "SELECT count(*), sum(number_of_orders) FROM jaffle_analytics.customer_orders")).toEqual([[buyers, JAFFLE_COUNTS.orders]]);
    const total = jaffleOrders().reduce((sum, order) => sum + (order.order_total as number), 0);
    expect(await query(python, analytics, "SELECT CAST(sum(total_amount) AS BIGINT) FROM jaffle_analytics.customer_payments")).toEqual([[total]]);
  });
});

describe("github_ingest_workspace", () => {
  it("declares two batch jobs and three notebooks", async () => {
    const ws = await copyOf("workspaces/github_ingest_workspace");
    const result = await manifest(await uvVenv(ws), ws, "__deployment__");
    const jobs = jobsOf(result);
    expect(jobs.get("jobs.github_pipeline.load_commits")).toMatchObject({
      triggers: ["every:5m"],
      expose: { tags: ["ingest"], display_name: "GitHub commits ingest", category: "pipeline" },
      deliver: { pipeline_name: "github_pipeline" },
    });
    expect(jobs.get("jobs.github_dq_pipeline.run_dq_checks")).toMatchObject({ triggers: ["schedule:0 * * * *"] });
    for (const notebook of ["github_transformations_notebook", "github_dq_notebook", "github_report_notebook"]) {
      expect(jobs.get(`jobs.${notebook}`)?.entry_point).toMatchObject({ job_type: "interactive", launcher: "dlt._workspace.deployment.launchers.marimo" });
    }
    expect("manifest" in result && result.manifest.description).toBe("GitHub ingest workspace -- loads and monitors GitHub API data");
  });

  it("needs the token from the secret store, then loads and passes its checks", async () => {
    const ws = await copyOf("workspaces/github_ingest_workspace");
    const python = await uvVenv(ws);
    const env = { SOURCES__GITHUB__BASE_URL: sources().url };
    const dq = { module: "github_dq_pipeline", function: "run_dq_checks" };
    const ingest = { module: "github_pipeline", function: "load_commits" };

    const checksWithoutData = await launch(python, ws, dq, env);
    expect(checksWithoutData.code).toBe(1);
    expect(checksWithoutData.stderr).toContain("Data quality checks failed");
    const missing = await launch(python, ws, ingest, env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("access_token");
    const wrong = await launch(python, ws, ingest, { ...env, SOURCES__GITHUB__ACCESS_TOKEN: "not-the-secret" });
    expect(wrong.code).toBe(1);
    expect(sources().requests.at(-1)).toMatchObject({ path: "/repos/dlt-hub/dlt/commits", authorized: true, status: 401 });

    expectSuccess(await launch(python, ws, ingest, { ...env, SOURCES__GITHUB__ACCESS_TOKEN: GITHUB_SECRET }));
    const db = join(ws, "_local", "prod", "warehouse.duckdb");
    expect(await query(python, db, "SELECT (SELECT count(*) FROM github_data.commits), (SELECT count(*) FROM github_data.contributors)")).toEqual([[GITHUB_COMMIT_COUNT, GITHUB_CONTRIBUTORS.length]]);
    expectSuccess(await launch(python, ws, dq, env));
  });
});

describe("fruitshop_simple_workspace", () => {
  it("becomes ad-hoc module jobs and loads via the module launcher", async () => {
    const ws = await copyOf("workspaces/fruitshop_simple_workspace");
    const python = await uvVenv(ws);
    const pipelineJobs = jobsOf(await manifest(python, ws, "fruitshop_pipeline.py", "--no-use-all"));
    expect([...pipelineJobs.values()]).toMatchObject([
      { job_ref: "jobs.fruitshop_pipeline", triggers: [], entry_point: { module: "fruitshop_pipeline", function: null, job_type: "batch", launcher: MODULE_LAUNCHER } },
    ]);
    const notebookJobs = jobsOf(await manifest(python, ws, "fruitshop_notebook.py", "--no-use-all"));
    expect([...notebookJobs.values()]).toMatchObject([
      { job_ref: "jobs.fruitshop_notebook", triggers: ["http:"], entry_point: { job_type: "interactive", launcher: "dlt._workspace.deployment.launchers.marimo" } },
    ]);
    expectSuccess(await launch(python, ws, { module: "fruitshop_pipeline", launcher: MODULE_LAUNCHER, trigger: "manual:jobs.fruitshop_pipeline" }));
    const db = join(ws, "_local", "prod", "fruitshop_destination.duckdb");
    expect(await query(python, db, "SELECT (SELECT count(*) FROM fruitshop_data.customers), (SELECT count(*) FROM fruitshop_data.purchases)")).toEqual([[6, 40]]);
  });
});

describe("workspaces without uv", () => {
  it("raw_scripts_workspace runs from requirements.txt in plain OSS mode", async () => {
    const ws = await copyOf("workspaces/raw_scripts_workspace");
    const python = await pipVenv(ws);
    const jobs = jobsOf(await manifest(python, ws, "raw_pipeline.py", "--no-use-all"));
    expect([...jobs.keys()]).toEqual(["jobs.raw_pipeline"]);
    expectSuccess(await launch(python, ws, { module: "raw_pipeline", launcher: MODULE_LAUNCHER }));
    // no .dlt/.workspace: no profiles, the duckdb file lands in the working directory
    expect(await query(python, join(ws, "raw_numbers.duckdb"), "SELECT sum(square) FROM raw_data.numbers")).toEqual([[385]]);
  });

  it("no_deps_workspace works in a generic dlt environment", async () => {
    const generic = await copyOf("broken/import_exception");
    const python = await uvVenv(generic);
    const ws = await copyOf("workspaces/no_deps_workspace");
    expect([...jobsOf(await manifest(python, ws, "hello_pipeline.py", "--no-use-all")).keys()]).toEqual(["jobs.hello_pipeline"]);
    expectSuccess(await launch(python, ws, { module: "hello_pipeline", launcher: MODULE_LAUNCHER }));
    expect(await query(python, join(ws, "hello.duckdb"), "SELECT count(*) FROM hello_data.greetings")).toEqual([[2]]);
  });
});

describe("broken workspaces", () => {
  const cases: Array<[string, string, string]> = [
    ["syntax_error", "SyntaxError", "'(' was never closed (jobs.py, line 6)"],
    ["missing_module", "ModuleNotFoundError", "No module named 'sluice_fixture_package_that_does_not_exist'"],
    ["invalid_trigger", "InvalidTrigger", "Invalid trigger 'every:30s': minimum period is 1 minute"],
    ["unknown_followup", "InvalidManifest", "Invalid deployment manifest:\n  - job 'jobs.__deployment__.after_missing' has triggers referencing unknown jobs: ['jobs.x.y']"],
    ["bad_cron", "InvalidTrigger", "Invalid trigger 'schedule:61 * * * *': invalid cron expression"],
    ["import_exception", "RuntimeError", "fixture: failing at import time"],
    ["pipeline_at_import", "RecursionError", "maximum recursion depth exceeded"],
    ["hub_import_without_plugin", "MissingDependencyException", "(No module named 'dlthub')"],
  ];
  it.each(cases)("%s fails manifest generation with %s", async (name, errorType, message) => {
    const ws = await copyOf(`broken/${name}`);
    const result = await manifest(await uvVenv(ws), ws, "__deployment__");
    expect(result).toMatchObject({ error_type: errorType });
    expect("error" in result && result.error).toContain(message);
  });
});
