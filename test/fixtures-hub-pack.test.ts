/**
 * The hub pack fixture repo (fixtures/repos/hub_pack): one repo with a folder per workspace, shaped
 * like the public runtime starter pack (`from dlt.hub import run`, dlt[hub] with the dlthub plugin,
 * MotherDuck in prod). dlt 1.26.0 generates every manifest in a host venv; the test compares the job
 * graph documented in fixtures/README.md and runs the ingest jobs against the fake APIs, with the
 * prod destination overridden to local DuckDB the way sluice.yaml's `runs.env` does it.
 */
import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { BAKERY_COUNTS, TIDES_COUNTS } from "../fixtures/fake-sources/index.js";
import { generateManifest } from "../reconciler/index.js";
import type { GeneratedManifest } from "../reconciler/index.js";
import type { Job } from "../schemas/index.js";
import { duckdbQueryArgs } from "./support/duckdb-query.js";
import { useFakeSources } from "./support/fake-sources.js";
import { createScratch, FIXTURES_DIR } from "./support/workspaces.js";

const run = promisify(execFile);
const REPO = join(FIXTURES_DIR, "repos", "hub_pack");
const DEPLOYMENT_WORKSPACES = ["bakery_workspace", "tides_workspace"] as const;
const ADHOC_WORKSPACE = "scratch_workspace";

/** What the test compares per job: the parts of the manifest the fixture was designed for. */
type JobShape = { ref: string; type: string; launcher: string; triggers: string[]; tags: string[]; iface: string | null; pipeline: string | null };

const JOB = "launchers.job";
const EXPECTED: Record<(typeof DEPLOYMENT_WORKSPACES)[number], JobShape[]> = {
  bakery_workspace: [
    { ref: "jobs.bakery_ingest.ingest_sales", type: "batch", launcher: JOB, triggers: ["schedule:0 * * * *"], tags: ["ingest"], iface: null, pipeline: "bakery_ingest" },
    { ref: "jobs.bakery_reports.build_reports", type: "batch", launcher: JOB, triggers: ["job.success:jobs.bakery_ingest.ingest_sales"], tags: [], iface: null, pipeline: "bakery_reports" },
    { ref: "jobs.bakery_mcp.bakery_tools", type: "interactive", launcher: JOB, triggers: ["http:"], tags: [], iface: "mcp", pipeline: null },
    { ref: "jobs.bakery_notebook", type: "interactive", launcher: "launchers.marimo", triggers: ["http:"], tags: [], iface: "gui", pipeline: null },
    { ref: "jobs.workspace.dashboard", type: "interactive", launcher: "launchers.dashboard", triggers: ["http:"], tags: [], iface: "gui", pipeline: null },
  ],
  tides_workspace: [
    { ref: "jobs.tides_pipeline.load_stations", type: "batch", launcher: JOB, triggers: ["schedule:*/10 * * * *"], tags: ["tides"], iface: null, pipeline: "tides_stations" },
    { ref: "jobs.tides_pipeline.load_readings", type: "batch", launcher: JOB, triggers: ["schedule:*/10 * * * *"], tags: ["tides"], iface: null, pipeline: "tides_readings" },
    { ref: "jobs.tides_notebook", type: "interactive", launcher: "launchers.marimo", triggers: ["http:"], tags: [], iface: "gui", pipeline: null },
    { ref: "jobs.workspace.dashboard", type: "interactive", launcher: "launchers.dashboard", triggers: ["http:"], tags: [], iface: "gui", pipeline: null },
  ],
};

const scratch = createScratch();
const sources = useFakeSources();
const generated = new Map<string, GeneratedManifest>();

afterAll(async () => {
  await scratch.remove();
});

function shapeOf(job: Job): JobShape {
  const tags = job.expose?.tags;
  return {
    ref: job.job_ref,
    type: job.entry_point.job_type,
    launcher: (job.entry_point.launcher ?? "").replace("dlt._workspace.deployment.", ""),
    triggers: job.triggers ?? [],
    tags: typeof tags === "string" ? [tags] : (tags ?? []),
    iface: job.expose?.interface ?? null,
    pipeline: job.deliver?.pipeline_name ?? null,
  };
}

/** A temp copy of one workspace folder (the manifest worker and runs write `_local/` and `.dlt/.var/`). */
function copyOf(workspace: string): Promise<string> {
  return scratch.copy(join(REPO, workspace), `sluice-hub-pack-${workspace}-`, (path) => !/[\\/](_local|\.var|__pycache__)([\\/]|$)/.test(path));
}

async function manifestOf(workspace: string, script?: string): Promise<GeneratedManifest> {
  const key = `${workspace}/${script ?? ""}`;
  const cached = generated.get(key);
  if (cached) return cached;
  const dir = await copyOf(workspace);
  const result = await generateManifest({ workspaceDir: dir, executor: "local", ...(script === undefined ? {} : { script }) });
  generated.set(key, result);
  return result;
}

/** Runs one batch job the way the runtime does: cwd = workspace, prod profile, `runs.env`-style overrides. */
async function launch(python: string, dir: string, entry: { module: string; function: string | null; launcher: string }, env: Record<string, string>): Promise<string> {
  const entryPoint = JSON.stringify({ ...entry, job_type: "batch", profile: "prod" });
  const { stdout } = await run(python, ["-m", entry.launcher, "--run-id", "hub-pack-1", "--trigger", "manual:", "--entry-point", entryPoint], {
    cwd: dir,
    env: { ...process.env, WORKSPACE__PROFILE: "prod", ...env },
    timeout: 180_000,
    maxBuffer: 16 * 1024 * 1024,
  });
  return stdout;
}

function pythonOf(result: GeneratedManifest): string {
  const python = result.environment.pythonPath;
  if (python === undefined) throw new Error("the local manifest executor reported no python path");
  return python;
}

async function query(python: string, database: string, sql: string): Promise<unknown[][]> {
  const { stdout } = await run(python, duckdbQueryArgs(database, sql), { timeout: 60_000 });
  return JSON.parse(stdout) as unknown[][];
}

describe("hub pack repo layout", () => {
  it("every deployment workspace pins dlt[workspace,hub,motherduck]==1.26.0 with dlthub 0.22.1 locked, imports `from dlt.hub import run` and sends prod to MotherDuck", () => {
    for (const workspace of DEPLOYMENT_WORKSPACES) {
      const dir = join(REPO, workspace);
      expect(existsSync(join(dir, "__deployment__.py")), workspace).toBe(true);
      const pyproject = readFileSync(join(dir, "pyproject.toml"), "utf8");
      expect(pyproject, workspace).toContain('"dlt[workspace,hub,motherduck]==1.26.0"');
      expect(pyproject, workspace).toContain('"dlthub==0.22.1"');
      const lock = readFileSync(join(dir, "uv.lock"), "utf8");
      expect(lock, workspace).toMatch(/name = "dlthub"\nversion = "0\.22\.1"/);
      expect(lock, workspace).toMatch(/name = "dlt"\nversion = "1\.26\.0"/);
      expect(readFileSync(join(dir, ".dlt", "prod.config.toml"), "utf8"), workspace).toMatch(/destination_type = "motherduck"/);
    }
    expect(readFileSync(join(REPO, "bakery_workspace", "bakery_ingest.py"), "utf8")).toContain("from dlt.hub import run");
    expect(readFileSync(join(REPO, "bakery_workspace", "bakery_reports.py"), "utf8")).toContain("@dlt.hub.transformation");
    expect(existsSync(join(REPO, ADHOC_WORKSPACE, "__deployment__.py"))).toBe(false);
  });
});

describe("hub pack manifests generated by dlt 1.26.0 with the dlthub plugin", () => {
  it("bakery and tides: exactly the designed jobs, launchers, declared triggers, tags, interfaces and pipelines (9 jobs, 9 triggers)", async () => {
    let jobs = 0;
    let triggers = 0;
    for (const workspace of DEPLOYMENT_WORKSPACES) {
      const result = await manifestOf(workspace);
      expect(result.dltVersion).toBe("1.26.0");
      expect(result.warnings, workspace).toEqual([]);
      const shapes = result.manifest.jobs.map(shapeOf);
      expect(shapes, workspace).toEqual(EXPECTED[workspace]);
      jobs += shapes.length;
      triggers += shapes.reduce((sum, shape) => sum + shape.triggers.length, 0);
    }
    expect({ jobs, triggers }).toEqual({ jobs: 9, triggers: 9 });
  });

  it("the two tides loads fire at the same instants and deliver different pipelines into the one tides_lake destination", async () => {
    const [stations, readings] = (await manifestOf("tides_workspace")).manifest.jobs;
    expect(stations?.triggers).toEqual(readings?.triggers);
    expect(stations?.deliver?.pipeline_name).not.toBe(readings?.deliver?.pipeline_name);
    const code = readFileSync(join(REPO, "tides_workspace", "tides_pipeline.py"), "utf8");
    expect(code.match(/destination="tides_lake"/g)).toHaveLength(2);
  });

  it("scratch (ad hoc): each script alone gives one job, the pipeline on the module launcher without triggers, the notebook on marimo behind http:", async () => {
    const pipeline = await manifestOf(ADHOC_WORKSPACE, "explore_pipeline.py");
    const notebook = await manifestOf(ADHOC_WORKSPACE, "explore_notebook.py");
    expect(pipeline.adHoc).toBe(true);
    expect(pipeline.manifest.jobs.map(shapeOf)).toEqual([
      { ref: "jobs.explore_pipeline", type: "batch", launcher: "launchers.module", triggers: [], tags: [], iface: null, pipeline: null },
    ]);
    expect(notebook.manifest.jobs.map(shapeOf)).toEqual([
      { ref: "jobs.explore_notebook", type: "interactive", launcher: "launchers.marimo", triggers: ["http:"], tags: [], iface: "gui", pipeline: null },
    ]);
  });
});

describe("hub pack ingest jobs against the fake APIs (prod profile, destination overridden to DuckDB)", () => {
  it("bakery ingest_sales loads 12 items and 130 sales from the fake /v2 API when SOURCES__BAKERY__BASE_URL points there", async () => {
    const python = pythonOf(await manifestOf("bakery_workspace"));
    const dir = await copyOf("bakery_workspace");
    await launch(python, dir, { module: "bakery_ingest", function: "ingest_sales", launcher: "dlt._workspace.deployment.launchers.job" }, {
      SOURCES__BAKERY__BASE_URL: `${sources().url}/v2`,
      DESTINATION__BAKERY_WAREHOUSE__DESTINATION_TYPE: "duckdb",
    });
    const database = join(dir, "_local", "prod", "bakery_warehouse.duckdb");
    const counts = await query(python, database, "SELECT (SELECT count(*) FROM bakery_raw.items), (SELECT count(*) FROM bakery_raw.sales)");
    expect(counts).toEqual([[BAKERY_COUNTS.items, BAKERY_COUNTS.sales]]);
  });

  it("tides load_stations then load_readings write 6 stations and 96 readings into one DuckDB file when TIDEWATCH_API_URL points at the fake", async () => {
    const python = pythonOf(await manifestOf("tides_workspace"));
    const dir = await copyOf("tides_workspace");
    const env = { TIDEWATCH_API_URL: `${sources().url}/api`, DESTINATION__TIDES_LAKE__DESTINATION_TYPE: "duckdb" };
    for (const fn of ["load_stations", "load_readings"]) {
      await launch(python, dir, { module: "tides_pipeline", function: fn, launcher: "dlt._workspace.deployment.launchers.job" }, env);
    }
    const database = join(dir, "_local", "prod", "tides_lake.duckdb");
    const counts = await query(python, database, "SELECT (SELECT count(*) FROM tides.stations), (SELECT count(*) FROM tides.readings)");
    expect(counts).toEqual([[TIDES_COUNTS.stations, TIDES_COUNTS.readings]]);
  });

  it("scratch explore_pipeline.py (module launcher) loads the 6 stations when TIDEWATCH_API_URL points at the fake", async () => {
    const python = pythonOf(await manifestOf(ADHOC_WORKSPACE, "explore_pipeline.py"));
    const dir = await copyOf(ADHOC_WORKSPACE);
    await launch(python, dir, { module: "explore_pipeline", function: null, launcher: "dlt._workspace.deployment.launchers.module" }, {
      TIDEWATCH_API_URL: `${sources().url}/api`,
      DESTINATION__SCRATCH_DB__DESTINATION_TYPE: "duckdb",
    });
    const counts = await query(python, join(dir, "_local", "prod", "scratch_db.duckdb"), "SELECT count(*) FROM scratch.stations");
    expect(counts).toEqual([[TIDES_COUNTS.stations]]);
  });
});
