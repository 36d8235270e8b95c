/**
 * The systems of bench/peers/schedule-change.ts: each started by bench/peers' own start functions,
 * then given what its user does after saving a new schedule in code (the "apply" step) and a probe
 * of the system's own state that says when its scheduler has the new schedule.
 */
import { execFile, execFileSync } from "node:child_process";
import { cpSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import Database from "better-sqlite3";
import { airflow, dagster, prefect, type Running } from "./peers.js";
import { startGroup, stopGroups, waitFor } from "./process.js";
import { sluiceDocker, sluiceLocal } from "./sluice.js";

const BIN = resolve(import.meta.dirname, "../../bin/sluice.js");

/** The schedule the bench sets: `cron`, whose next fire after the write is `nextMs`. */
export interface Target {
  cron: string;
  nextMs: number;
  writtenAt: number;
}

/** What the probe saw: the new schedule in the system's state; its next fire time (null: not exposed). */
export interface Seen {
  schedule: boolean;
  next: boolean | null;
}

export interface Session {
  /** The file holding the schedule, and the pattern whose group 2 is the cron string. */
  file: string;
  pattern: RegExp;
  /** Called right before the file is written (a probe that compares against the state before the edit). */
  beforeWrite?(): void;
  /** What the user does after saving the file (nothing, a deploy, a push, a restart). */
  apply(): Promise<void>;
  probe(target: Target): Promise<Seen>;
  /** Epoch ms at which `ingest` started, for runs started after `sinceMs`. */
  fires(sinceMs: number): Promise<number[]>;
  stop(): Promise<void>;
}

export interface Subject {
  id: string;
  label(): string;
  /** For the notes: the apply step, what is observed, the documented knob that shortens it. */
  apply: string;
  observed: string;
  knob: string;
  start(root: string): Promise<Session>;
}

const sameCron = (a: unknown, b: string) => typeof a === "string" && a.trim().split(/\s+/).join(" ") === b;

const ingestStarts = (running: Running, sinceMs: number) =>
  running
    .stamps()
    .filter((s) => s.job === "ingest" && s.start * 1000 > sinceMs)
    .map((s) => s.start * 1000);

function readDb<T>(file: string, read: (db: Database.Database) => T): T {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return read(db);
  } finally {
    db.close();
  }
}

function run(command: string, args: string[], cwd: string): Promise<string> {
  return new Promise((done, fail) => {
    execFile(command, args, { cwd, timeout: 300_000, maxBuffer: 16 << 20 }, (error, stdout, stderr) => {
      if (error) fail(new Error(`${command} ${args.join(" ")}: ${stderr || stdout || error.message}`));
      else done(stdout);
    });
  });
}

/** A client of a running Sluice daemon's API (url from daemon.json, bearer token from the home). */
function sluiceApi(home: string) {
  const { url } = JSON.parse(readFileSync(join(home, "daemon.json"), "utf8")) as { url: string };
  const token = readFileSync(join(home, "token"), "utf8").trim();
  return async (path: string, body?: unknown): Promise<unknown> => {
    const answer = await fetch(`${url}${path}`, {
      method: body ? "POST" : "GET",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: body ? JSON.stringify(body) : undefined,
      signal: AbortSignal.timeout(5000),
    });
    if (!answer.ok) throw new Error(`${path}: ${answer.status} ${await answer.text()}`);
    return answer.json();
  };
}

interface SluiceJob {
  key: string;
  name: string;
  workspace: string | null;
  triggers: string[];
  nextFire: string | null;
}

/** Probe and fires of the `ingest` job of `workspace`, through the daemon's API (`GET /v1/jobs`, `GET /v1/runs`). */
function sluiceProbe(api: ReturnType<typeof sluiceApi>, workspace: string) {
  const ingest = async () => {
    const { jobs } = (await api("/v1/jobs")) as { jobs: SluiceJob[] };
    return jobs.find((j) => j.workspace === workspace && j.name === "ingest");
  };
  return {
    ingest,
    async probe(target: Target): Promise<Seen> {
      const job = await ingest();
      return {
        schedule: !!job?.triggers.some((t) => sameCron(t.replace(/^schedule:/, ""), target.cron)),
        next: job?.nextFire ? Date.parse(job.nextFire) === target.nextMs : false,
      };
    },
    async fires(sinceMs: number): Promise<number[]> {
      const job = await ingest();
      if (!job) return [];
      const { runs } = (await api(`/v1/runs?job=${encodeURIComponent(job.key)}&limit=20`)) as { runs: Array<{ startedAt: string | null; workspace: string | null }> };
      return runs.filter((r) => r.workspace === workspace && r.startedAt && Date.parse(r.startedAt) > sinceMs).map((r) => Date.parse(r.startedAt!));
    },
  };
}

const SLUICE_PATTERN = /(trigger\.schedule\()"([^"]*)"/;

export const sluiceDeploy: Subject = {
  id: "sluice-deploy",
  label: () => `${sluiceLocal.label()}, sluice deploy`,
  apply: "edit `bench_jobs.py` of the deployed folder, then `sluice deploy <dir>` (the CLI: manifest generated by dlt in the warm worker, diff, apply to the scheduler)",
  observed: "`GET /v1/jobs` (what `sluice jobs --output json` prints): `ingest`'s `triggers` holds `schedule:<new cron>` and its `nextFire` (from the live scheduler) is the new cron's next fire",
  knob: "none needed: the apply is synchronous (the deploy returns once the scheduler has the new job); the push variant below is the git-driven path",
  async start(root) {
    const running = await sluiceLocal.start(root);
    const home = join(root, "sluice-local-home");
    const dir = join(root, "bench_chain");
    const probe = sluiceProbe(sluiceApi(home), "bench_chain");
    return {
      file: join(dir, "bench_jobs.py"),
      pattern: SLUICE_PATTERN,
      apply: async () => void (await run(process.execPath, [BIN, "deploy", dir, "--home", home], root)),
      probe: probe.probe,
      fires: probe.fires,
      stop: () => running.stop(),
    };
  },
};

const git = (cwd: string, ...args: string[]) => run("git", ["-c", "user.name=bench", "-c", "user.email=bench@localhost", ...args], cwd);

/**
 * A push to the repo Sluice hosts. With `executor: local` the manifest is generated by the host
 * venv's python (a fresh process per generation); with `executor: docker` by the warm manifest
 * worker (dlt imported once, a fork per generation).
 */
const sluicePushWith = (system: typeof sluiceLocal, executor: "local" | "docker"): Subject => ({
  id: executor === "local" ? "sluice-push" : "sluice-docker-push",
  label: () => `${system.label()}, git push`,
  apply: `edit \`bench_jobs.py\` in a clone, \`git commit -am\` and \`git push sluice main\` to the repo Sluice hosts (\`sluice repo add chain --push\`); the daemon watches the bare repo's refs (no hook, no poll wait) and reconciles; the manifest is generated ${executor === "local" ? "by a fresh host-venv python (manifest.executor follows executor: local)" : "by the warm manifest worker in Docker"}`,
  observed: "the same as `sluice deploy`, for the workspace `chain` fed by the hosted repo",
  knob: "none for a hosted repo (its refs are watched); a `--url` remote is polled every `repos.pollInterval` (30 s) unless its host calls `POST /v1/hooks/push`",
  async start(root) {
    const running = await system.start(root);
    const home = join(root, `sluice-${executor}-home`);
    const api = sluiceApi(home);
    const { remote } = (await api("/v1/repos", { name: "chain", push: true })) as { remote: string };
    const work = join(root, "chain");
    cpSync(join(root, "bench_chain"), work, { recursive: true, filter: (src) => !/\/(\.venv|_local|__pycache__|\.git)(\/|$)/.test(src) });
    await git(work, "init", "-q", "-b", "main");
    await git(work, "add", "-A");
    await git(work, "commit", "-q", "-m", "bench chain");
    await git(work, "remote", "add", "sluice", remote);
    await git(work, "push", "-q", "sluice", "main");
    const probe = sluiceProbe(api, "chain");
    await waitFor("workspace chain deployed from the hosted repo", async () => !!(await probe.ingest()), 300_000, join(root, `sluice-${executor}.log`));
    const apply = async () => {
      await git(work, "commit", "-q", "-am", "new schedule");
      await git(work, "push", "-q", "sluice", "main");
    };
    return { file: join(work, "bench_jobs.py"), pattern: SLUICE_PATTERN, apply, probe: probe.probe, fires: probe.fires, stop: () => running.stop() };
  },
});

export const sluicePush = sluicePushWith(sluiceLocal, "local");
export const sluiceDockerPush = sluicePushWith(sluiceDocker, "docker");

export const airflowSubject: Subject = {
  id: "airflow",
  label: () => airflow.label(),
  apply: "edit `schedule=` in the DAG file, nothing else: the dag-processor re-parses it (default `[dag_processor] file_parsing_sort_mode = modified_time` re-queues a file whose mtime is newer than its last parse, ahead of `min_file_process_interval`) and writes the DAG to the metadata DB",
  observed: "the metadata DB (SQLite under AIRFLOW_HOME), table `dag`: `timetable_summary` = the new cron, and `next_dagrun_create_after` = its next fire",
  knob: "`[dag_processor] min_file_process_interval` (30 s: the re-parse period when mtimes are not used), `file_parsing_sort_mode` (`modified_time`, the default, is what makes an edit fast), `refresh_interval` (300 s: new files in the bundle)",
  async start(root) {
    const running = await airflow.start(root);
    const db = join(root, "airflow-home", "airflow.db");
    return {
      file: join(root, "airflow-project", "chain.py"),
      pattern: /(schedule=)"([^"]*)"/,
      apply: async () => {},
      async probe(target) {
        const row = readDb(db, (d) => d.prepare("SELECT timetable_summary AS summary, next_dagrun_create_after AS next FROM dag WHERE dag_id = 'bench_chain'").get()) as
          | { summary: string | null; next: string | null }
          | undefined;
        const next = row?.next ? Date.parse(`${row.next.replace(" ", "T").replace(/(\+00:00)?$/, "")}Z`) : Number.NaN;
        return { schedule: sameCron(row?.summary, target.cron), next: next === target.nextMs };
      },
      fires: async (sinceMs) => ingestStarts(running, sinceMs),
      stop: () => running.stop(),
    };
  },
};

/** Pids of Dagster code servers (`dagster api grpc` / `dagster code-server start`) below `root`. */
function codeServers(rootPid: number): Set<number> {
  const parents = new Map<number, number>();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      parents.set(Number(name), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
    } catch {
      // gone
    }
  }
  const below = (pid: number): boolean => pid === rootPid || (parents.has(pid) && pid > 1 && below(parents.get(pid)!));
  const servers = new Set<number>();
  for (const pid of parents.keys()) {
    if (!below(pid)) continue;
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");
      if (/ api grpc | code-server start/.test(cmd)) servers.add(pid);
    } catch {
      // gone
    }
  }
  return servers;
}

export const dagsterSubject: Subject = {
  id: "dagster",
  label: () => dagster.label(),
  apply: "edit `cron_schedule=` in `defs.py`, nothing else: dagster-daemon refreshes its workspace every 60 s (`RELOAD_WORKSPACE_INTERVAL`, checked every 5 s), which replaces its code server processes, so the new code is loaded (the Dagster docs: the daemon \"will periodically reload\" its code locations, no restart needed)",
  observed: "no Dagster state exposes the daemon's schedule before it ticks (the stored schedule state keeps the cron it was created with for a schedule declared RUNNING in code): observed is a new code server process in the daemon's tree, after which the scheduler evaluates the new cron; confirmed by the first tick firing at the new cron's time",
  knob: "none in `dagster.yaml`: the 60 s is a constant; with the webserver, \"Reload\" on the code location (or the GraphQL `reloadRepositoryLocation`) applies at once, and restarting `dagster-daemon` does too",
  async start(root) {
    const running = await dagster.start(root);
    let known = codeServers(running.roots[0]!);
    return {
      file: join(root, "dagster-project", "defs.py"),
      pattern: /(cron_schedule=)"([^"]*)"/,
      beforeWrite: () => void (known = codeServers(running.roots[0]!)),
      apply: async () => {},
      async probe() {
        const fresh = [...codeServers(running.roots[0]!)].filter((pid) => !known.has(pid));
        return { schedule: fresh.length > 0, next: null };
      },
      fires: async (sinceMs) => ingestStarts(running, sinceMs),
      stop: () => running.stop(),
    };
  },
};

interface ProcessSpec {
  command: string;
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
}

/** How a running process was started (from /proc), to start it again the same way. */
function specOf(pid: number): ProcessSpec {
  const [command, ...args] = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean);
  const env: NodeJS.ProcessEnv = {};
  for (const pair of readFileSync(`/proc/${pid}/environ`, "utf8").split("\0").filter(Boolean)) {
    const at = pair.indexOf("=");
    env[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return { command: command!, args, cwd: execFileSync("readlink", [`/proc/${pid}/cwd`], { encoding: "utf8" }).trim(), env };
}

export const prefectSubject: Subject = {
  id: "prefect",
  label: () => prefect.label(),
  apply: "edit `cron=` in `serve.py` and restart it (SIGTERM to `python serve.py`, start it again): `flow.serve` updates the deployment's schedule on the server when it starts",
  observed: "the server's REST API: `GET /api/deployments/name/bench-chain/bench` `schedules[].schedule.cron` = the new cron, and the earliest SCHEDULED flow run of the deployment (`POST /api/flow_runs/filter`) is at the new cron's next fire",
  knob: "the restart is the user's (a `prefect deploy` + worker setup updates the deployment without it); the server's scheduler service creates the new runs (`PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS`, 60 s; recently updated deployments every 5 s); the runner picks runs up every `PREFECT_RUNNER_POLL_FREQUENCY` (10 s)",
  async start(root) {
    const running = await prefect.start(root);
    const [server, firstServe] = running.roots as [number, number];
    const spec = specOf(firstServe);
    const api = spec.env.PREFECT_API_URL!;
    let serve = firstServe;
    const log = join(root, "prefect-serve.log");
    const post = async (path: string, body: unknown) => {
      const answer = await fetch(`${api}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body), signal: AbortSignal.timeout(5000) });
      if (!answer.ok) throw new Error(`${path}: ${answer.status}`);
      return answer.json();
    };
    return {
      file: join(spec.cwd, "serve.py"),
      pattern: /(cron=)"([^"]*)"/,
      async apply() {
        await stopGroups([serve]);
        serve = startGroup(spec.command, spec.args, { cwd: spec.cwd, env: spec.env, log });
      },
      async probe(target) {
        const answer = await fetch(`${api}/deployments/name/bench-chain/bench`, { signal: AbortSignal.timeout(5000) });
        if (!answer.ok) return { schedule: false, next: false };
        const deployment = (await answer.json()) as { id: string; schedules: Array<{ schedule: { cron?: string } }> };
        const schedule = deployment.schedules.some((s) => sameCron(s.schedule.cron, target.cron));
        const runs = (await post("/flow_runs/filter", {
          deployments: { id: { any_: [deployment.id] } },
          flow_runs: { state: { type: { any_: ["SCHEDULED"] } } },
          sort: "EXPECTED_START_TIME_ASC",
          limit: 1,
        })) as Array<{ expected_start_time: string }>;
        return { schedule, next: runs.length > 0 && Date.parse(runs[0]!.expected_start_time) === target.nextMs };
      },
      fires: async (sinceMs) => ingestStarts(running, sinceMs),
      stop: async () => {
        await stopGroups([serve]);
        await stopGroups([server]);
      },
    };
  },
};

export const SUBJECTS: Subject[] = [sluiceDeploy, sluicePush, sluiceDockerPush, airflowSubject, dagsterSubject, prefectSubject];

/** Writes `cron` into the session's file (the user's edit); returns the epoch ms right after the write. */
export function writeCron(session: Session, cron: string): number {
  const text = readFileSync(session.file, "utf8");
  if (!session.pattern.test(text)) throw new Error(`${session.file}: no schedule matching ${session.pattern}`);
  writeFileSync(session.file, text.replace(session.pattern, (_, prefix: string) => `${prefix}"${cron}"`));
  return Date.now();
}
