/**
 * The three peers (Airflow 3, Dagster, Prefect 3), each started as a new user starts it, with its
 * defaults, on the project files next to this module; installed by bench/peers/setup.sh.
 */
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import Database from "better-sqlite3";
import { parseStamps, type Stamp } from "./measure.js";
import { freePort, getJson, startGroup, stopGroups, waitFor } from "./process.js";

export const PEERS_DIR = resolve(import.meta.dirname);
export const PEERS_HOME = process.env.SLUICE_PEERS_HOME ?? join(homedir(), ".cache/sluice/peers");
/** The fruitshop fixture: its `fruitshop_pipeline.py` is the fruitshop variant's ingest in every system. */
export const FRUITSHOP_DIR = resolve(PEERS_DIR, "../../fixtures/workspaces/fruitshop_simple_workspace");

/** What `ingest` does: `trivial` records its stamps only; `fruitshop` also runs the fruitshop dlt pipeline into DuckDB. */
export type Variant = "trivial" | "fruitshop";
export const VARIANTS: readonly Variant[] = ["trivial", "fruitshop"];

/** A system under test, started and ready for its first tick. */
export interface Running {
  /** Process-group leaders of the control plane (their trees are measured). */
  roots: number[];
  /** Epoch ms at which it was ready to run the chain. */
  readyAt: number;
  stamps(): Stamp[];
  stop(): Promise<void>;
}

export interface BenchSystem {
  id: string;
  /** The system and version, e.g. `Airflow 3.3.2`. */
  label(): string;
  /** How it runs the chain and with which settings (for docs/performance.md). */
  config: string;
  start(root: string, variant?: Variant): Promise<Running>;
  /**
   * The idle bench's load instead of the chain (bench/idle-jobs.ts): `count` jobs in the shape of
   * Sluice's side (N/2 daily crons, N/4 6-hourly, N/4 follow-ups of those), none due soon; ready
   * once the system holds all of them.
   */
  startJobs?(root: string, count: number): Promise<Running>;
}

/** What a peer runs: its chain file, or many.py with BENCH_JOBS jobs. */
interface Load {
  file: string;
  env: Record<string, string>;
  /** Jobs the system must hold before it counts as ready (the jobs load). */
  jobs?: number;
}

const chainLoad = (file: string, variant: Variant): Load => ({
  file,
  env: { BENCH_VARIANT: variant, BENCH_FRUITSHOP_DIR: FRUITSHOP_DIR },
});
const jobsLoad = (count: number): Load => ({ file: "many.py", env: { BENCH_JOBS: String(count) }, jobs: count });

const venvBin = (peer: string) => join(PEERS_HOME, peer, "venv", "bin");

/** The version of `dist` installed in the peer's venv (asks its Python). */
function installedVersion(peer: string, dist: string): string {
  const python = join(venvBin(peer), "python");
  if (!existsSync(python)) throw new Error(`${peer} is not installed: run bench/peers/setup.sh ${peer}`);
  return execFileSync(python, ["-c", `import importlib.metadata as m; print(m.version("${dist}"))`], { encoding: "utf8" }).trim();
}

/** A project folder with the peer's files and the shared stamp.py; `out` receives stamps.jsonl. */
function project(root: string, peer: string, files: string[]): { dir: string; out: string } {
  const dir = join(root, `${peer}-project`);
  const out = join(root, `${peer}-out`);
  mkdirSync(dir, { recursive: true });
  mkdirSync(out, { recursive: true });
  for (const file of files) copyFileSync(join(PEERS_DIR, peer, file), join(dir, file));
  for (const shared of ["stamp.py", "fruitshop_ingest.py"]) copyFileSync(join(PEERS_DIR, shared), join(dir, shared));
  return { dir, out };
}

const readStamps = (out: string) => () => {
  const file = join(out, "stamps.jsonl");
  return existsSync(file) ? parseStamps(readFileSync(file, "utf8")) : [];
};

/** The chain files read BENCH_VARIANT, many.py BENCH_JOBS; fruitshop_ingest.py imports the fixture from BENCH_FRUITSHOP_DIR; dlt sends no telemetry (loopback only). */
function peerEnv(peer: string, load: Load, extra: Record<string, string>): NodeJS.ProcessEnv {
  return { ...process.env, PATH: `${venvBin(peer)}:${process.env.PATH ?? ""}`, VIRTUAL_ENV: join(PEERS_HOME, peer, "venv"), PYTHONUNBUFFERED: "1", RUNTIME__DLTHUB_TELEMETRY: "false", ...load.env, ...extra };
}

/** Rows of a peer's SQLite database (opened read-only for one query). */
function countIn(file: string, sql: string): number {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return Number((db.prepare(sql).get() as { n: number }).n);
  } finally {
    db.close();
  }
}

export const airflow: BenchSystem = {
  id: "airflow",
  label: () => `Airflow ${installedVersion("airflow", "apache-airflow")}`,
  config:
    "`airflow standalone` (api-server, scheduler, dag-processor, triggerer), SQLite, LocalExecutor; one DAG `schedule=\"* * * * *\"` with tasks ingest >> transform >> report (TaskFlow `@task`), examples off, unpaused at creation; all else default",
  start: (root, variant = "trivial") => startAirflow(root, chainLoad("chain.py", variant)),
  startJobs: (root, count) => startAirflow(root, jobsLoad(count)),
};

async function startAirflow(root: string, load: Load): Promise<Running> {
  const { dir, out } = project(root, "airflow", [load.file]);
  const home = join(root, "airflow-home");
  const log = join(root, "airflow.log");
  const port = await freePort();
  const env = peerEnv("airflow", load, {
    AIRFLOW_HOME: home,
    AIRFLOW__CORE__DAGS_FOLDER: dir,
    AIRFLOW__CORE__LOAD_EXAMPLES: "False",
    AIRFLOW__API__PORT: String(port),
    AIRFLOW__CORE__EXECUTION_API_SERVER_URL: `http://localhost:${port}/execution/`,
    BENCH_OUT: out,
  });
  const pid = startGroup(join(venvBin("airflow"), "airflow"), ["standalone"], { cwd: root, env, log });
  const unpaused = load.jobs === undefined ? "dag_id = 'bench_chain' AND is_paused = 0" : "is_paused = 0";
  const ready = async () => {
    const health = (await getJson(`http://127.0.0.1:${port}/api/v2/monitor/health`)) as Record<string, { status?: string }>;
    if (health.scheduler?.status !== "healthy" || health.dag_processor?.status !== "healthy") return false;
    return countIn(join(home, "airflow.db"), `SELECT count(*) AS n FROM dag WHERE ${unpaused}`) >= (load.jobs ?? 1);
  };
  await waitFor(`airflow standalone healthy with ${load.jobs ?? "bench_chain"} DAG(s) unpaused`, ready, load.jobs === undefined ? 240_000 : 900_000, log);
  return { roots: [pid], readyAt: Date.now(), stamps: readStamps(out), stop: () => stopGroups([pid]) };
}

export const dagster: BenchSystem = {
  id: "dagster",
  label: () => `Dagster ${installedVersion("dagster", "dagster")}`,
  config:
    "`dagster-daemon run -f defs.py` (no webserver), default instance (SQLite under DAGSTER_HOME, default run coordinator and launcher, multiprocess executor); three assets ingest → transform → report in one asset job with a `* * * * *` ScheduleDefinition, default_status RUNNING",
  start: (root, variant = "trivial") => startDagster(root, chainLoad("defs.py", variant)),
  startJobs: (root, count) => startDagster(root, jobsLoad(count)),
};

/**
 * Ready: the scheduler's heartbeat; with the jobs load also the sensor daemon's, and a sensor tick
 * stored for every follow-up sensor (each evaluated once: the code location holds all jobs).
 */
async function startDagster(root: string, load: Load): Promise<Running> {
  const { dir, out } = project(root, "dagster", [load.file]);
  const home = join(root, "dagster-home");
  mkdirSync(home, { recursive: true });
  const log = join(root, "dagster.log");
  const env = peerEnv("dagster", load, { DAGSTER_HOME: home, BENCH_OUT: out });
  const pid = startGroup(join(venvBin("dagster"), "dagster-daemon"), ["run", "-f", load.file, "--working-directory", dir], { cwd: dir, env, log });
  const sensors = load.jobs === undefined ? 0 : Math.floor(load.jobs / 4);
  const ready = () => {
    const runs = join(home, "history", "runs.db");
    const beating = countIn(runs, "SELECT count(DISTINCT daemon_type) AS n FROM daemon_heartbeats WHERE daemon_type IN ('SCHEDULER', 'SENSOR')");
    if (beating < (load.jobs === undefined ? 1 : 2)) return false;
    return sensors === 0 || countIn(join(home, "schedules", "schedules.db"), "SELECT count(DISTINCT selector_id) AS n FROM job_ticks WHERE type = 'SENSOR'") >= sensors;
  };
  await waitFor(`dagster-daemon ready${sensors ? ` with ${sensors} sensors evaluated` : ""}`, ready, load.jobs === undefined ? 180_000 : 900_000, log);
  return { roots: [pid], readyAt: Date.now(), stamps: readStamps(out), stop: () => stopGroups([pid]) };
}

export const prefect: BenchSystem = {
  id: "prefect",
  label: () => `Prefect ${installedVersion("prefect", "prefect")}`,
  config:
    "`prefect server start` (SQLite under PREFECT_HOME) + `python serve.py` (`flow.serve(cron=\"* * * * *\")`); one flow calling three subflows ingest, transform, report in order; each flow run a process started by the serve process; all settings default",
  start: (root, variant = "trivial") => startPrefect(root, chainLoad("serve.py", variant)),
  startJobs: (root, count) => startPrefect(root, jobsLoad(count)),
};

async function startPrefect(root: string, load: Load): Promise<Running> {
  const { dir, out } = project(root, "prefect", [load.file]);
  const home = join(root, "prefect-home");
  const log = join(root, "prefect.log");
  const port = await freePort();
  const api = `http://127.0.0.1:${port}/api`;
  const env = peerEnv("prefect", load, { PREFECT_HOME: home, PREFECT_API_URL: api, PREFECT_SERVER_ANALYTICS_ENABLED: "false", BENCH_OUT: out });
  const server = startGroup(join(venvBin("prefect"), "prefect"), ["server", "start", "--host", "127.0.0.1", "--port", String(port)], { cwd: root, env, log });
  await waitFor("prefect server health", async () => (await getJson(`${api}/health`)) === true, 180_000, log);
  const serveLog = join(root, "prefect-serve.log");
  const serve = startGroup(join(venvBin("prefect"), "python"), [load.file], { cwd: dir, env, log: serveLog });
  await waitFor("prefect serve started", () => /being served|Starting runner/i.test(readFileSync(serveLog, "utf8")), load.jobs === undefined ? 120_000 : 900_000, serveLog);
  if (load.jobs !== undefined) {
    const count = async (what: string) => Number(await (await fetch(`${api}/${what}/count`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" })).json());
    const automations = Math.floor(load.jobs / 4);
    await waitFor(`prefect holding ${load.jobs} deployments and ${automations} automations`, async () => (await count("deployments")) >= (load.jobs ?? 0) && (await count("automations")) >= automations, 300_000, serveLog);
  }
  return { roots: [server, serve], readyAt: Date.now(), stamps: readStamps(out), stop: () => stopGroups([serve, server]) };
}
