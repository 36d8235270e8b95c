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
}

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

/** The project files read BENCH_VARIANT; fruitshop_ingest.py imports the fixture from BENCH_FRUITSHOP_DIR; dlt sends no telemetry (loopback only). */
function peerEnv(peer: string, variant: Variant, extra: Record<string, string>): NodeJS.ProcessEnv {
  const variantEnv = { BENCH_VARIANT: variant, BENCH_FRUITSHOP_DIR: FRUITSHOP_DIR, RUNTIME__DLTHUB_TELEMETRY: "false" };
  return { ...process.env, PATH: `${venvBin(peer)}:${process.env.PATH ?? ""}`, VIRTUAL_ENV: join(PEERS_HOME, peer, "venv"), PYTHONUNBUFFERED: "1", ...variantEnv, ...extra };
}

export const airflow: BenchSystem = {
  id: "airflow",
  label: () => `Airflow ${installedVersion("airflow", "apache-airflow")}`,
  config:
    "`airflow standalone` (api-server, scheduler, dag-processor, triggerer), SQLite, LocalExecutor; one DAG `schedule=\"* * * * *\"` with tasks ingest >> transform >> report (TaskFlow `@task`), examples off, unpaused at creation; all else default",
  async start(root, variant = "trivial") {
    const { dir, out } = project(root, "airflow", ["chain.py"]);
    const home = join(root, "airflow-home");
    const log = join(root, "airflow.log");
    const port = await freePort();
    const env = peerEnv("airflow", variant, {
      AIRFLOW_HOME: home,
      AIRFLOW__CORE__DAGS_FOLDER: dir,
      AIRFLOW__CORE__LOAD_EXAMPLES: "False",
      AIRFLOW__API__PORT: String(port),
      AIRFLOW__CORE__EXECUTION_API_SERVER_URL: `http://localhost:${port}/execution/`,
      BENCH_OUT: out,
    });
    const pid = startGroup(join(venvBin("airflow"), "airflow"), ["standalone"], { cwd: root, env, log });
    const ready = async () => {
      const health = (await getJson(`http://127.0.0.1:${port}/api/v2/monitor/health`)) as Record<string, { status?: string }>;
      if (health.scheduler?.status !== "healthy" || health.dag_processor?.status !== "healthy") return false;
      const db = new Database(join(home, "airflow.db"), { readonly: true, fileMustExist: true });
      try {
        return !!db.prepare("SELECT 1 FROM dag WHERE dag_id = 'bench_chain' AND is_paused = 0").get();
      } finally {
        db.close();
      }
    };
    await waitFor("airflow standalone healthy with bench_chain unpaused", ready, 240_000, log);
    return { roots: [pid], readyAt: Date.now(), stamps: readStamps(out), stop: () => stopGroups([pid]) };
  },
};

export const dagster: BenchSystem = {
  id: "dagster",
  label: () => `Dagster ${installedVersion("dagster", "dagster")}`,
  config:
    "`dagster-daemon run -f defs.py` (no webserver), default instance (SQLite under DAGSTER_HOME, default run coordinator and launcher, multiprocess executor); three assets ingest → transform → report in one asset job with a `* * * * *` ScheduleDefinition, default_status RUNNING",
  async start(root, variant = "trivial") {
    const { dir, out } = project(root, "dagster", ["defs.py"]);
    const home = join(root, "dagster-home");
    mkdirSync(home, { recursive: true });
    const log = join(root, "dagster.log");
    const env = peerEnv("dagster", variant, { DAGSTER_HOME: home, BENCH_OUT: out });
    const pid = startGroup(join(venvBin("dagster"), "dagster-daemon"), ["run", "-f", "defs.py", "--working-directory", dir], { cwd: dir, env, log });
    const ready = () => {
      const db = new Database(join(home, "history", "runs.db"), { readonly: true, fileMustExist: true });
      try {
        return !!db.prepare("SELECT 1 FROM daemon_heartbeats WHERE daemon_type = 'SCHEDULER'").get();
      } finally {
        db.close();
      }
    };
    await waitFor("dagster-daemon's scheduler heartbeat", ready, 180_000, log);
    return { roots: [pid], readyAt: Date.now(), stamps: readStamps(out), stop: () => stopGroups([pid]) };
  },
};

export const prefect: BenchSystem = {
  id: "prefect",
  label: () => `Prefect ${installedVersion("prefect", "prefect")}`,
  config:
    "`prefect server start` (SQLite under PREFECT_HOME) + `python serve.py` (`flow.serve(cron=\"* * * * *\")`); one flow calling three subflows ingest, transform, report in order; each flow run a process started by the serve process; all settings default",
  async start(root, variant = "trivial") {
    const { dir, out } = project(root, "prefect", ["serve.py"]);
    const home = join(root, "prefect-home");
    const log = join(root, "prefect.log");
    const port = await freePort();
    const api = `http://127.0.0.1:${port}/api`;
    const env = peerEnv("prefect", variant, { PREFECT_HOME: home, PREFECT_API_URL: api, PREFECT_SERVER_ANALYTICS_ENABLED: "false", BENCH_OUT: out });
    const server = startGroup(join(venvBin("prefect"), "prefect"), ["server", "start", "--host", "127.0.0.1", "--port", String(port)], { cwd: root, env, log });
    await waitFor("prefect server health", async () => (await getJson(`${api}/health`)) === true, 180_000, log);
    const serveLog = join(root, "prefect-serve.log");
    const serve = startGroup(join(venvBin("prefect"), "python"), ["serve.py"], { cwd: dir, env, log: serveLog });
    await waitFor("prefect serve started", () => /being served|Starting runner/i.test(readFileSync(serveLog, "utf8")), 120_000, serveLog);
    return { roots: [server, serve], readyAt: Date.now(), stamps: readStamps(out), stop: () => stopGroups([serve, server]) };
  },
};
