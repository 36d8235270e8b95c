/**
 * A Sluice daemon with many deployed jobs, idle (numbers only, nothing asserted): `sluice up`
 * (`executor: local`), one dlt workspace with N jobs (dlt's own manifest generator; N/2 on daily
 * crons, N/4 every 6 hours, N/4 follow-ups of those), none due during the window; then the daemon's
 * process tree's CPU (% of one core) and memory while it waits. Issue 14: "500 deployed jobs:
 * scheduler CPU while idle".
 *
 * `--system airflow|dagster|prefect|all` (or a comma list) does the same for the peers installed by
 * bench/peers/setup.sh, with the same shape of jobs written their way (bench/peers/<peer>/many.py):
 * Airflow DAGs with asset-scheduled follow-ups, Dagster jobs with run status sensors, Prefect
 * deployments with deployment triggers; each ready once it holds all of them; then its control
 * plane's process trees are sampled the same way.
 *
 * Run: npx tsx bench/idle-jobs.ts [--jobs 500] [--seconds 300] [--system sluice|airflow|dagster|prefect|all]
 */
import { execFile, execFileSync } from "node:child_process";
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { sampleIdle, type IdleUse } from "./peers/measure.js";
import { airflow, dagster, prefect } from "./peers/peers.js";
import { startGroup, stopGroups, waitFor } from "./peers/process.js";

const REPO = resolve(import.meta.dirname, "..");
const BIN = join(REPO, "bin/sluice.js");
const ENV_FROM = join(REPO, "fixtures/workspaces/fruitshop_simple_workspace");

/** N jobs as dlt jobs: daily crons at varied minutes, 6-hourly ones, and a follow-up of each 6-hourly one. */
function jobsModule(count: number): string {
  const lines = ["import dlt.hub.run as run", "from dlt.hub.run import trigger", ""];
  const names: string[] = [];
  const quarter = Math.floor(count / 4);
  for (let i = 0; i < count - 2 * quarter; i += 1) {
    names.push(`daily_${i}`);
    lines.push(`@run.job(trigger=trigger.schedule("${i % 60} 3 * * *"))`, `def daily_${i}():`, "    pass", "");
  }
  for (let i = 0; i < quarter; i += 1) {
    names.push(`six_hourly_${i}`, `after_${i}`);
    lines.push(`@run.job(trigger=trigger.schedule("${i % 60} */6 * * *"))`, `def six_hourly_${i}():`, "    pass", "");
    lines.push(`@run.job(trigger=six_hourly_${i}.success)`, `def after_${i}():`, "    pass", "");
  }
  return `${lines.join("\n")}\n__all__ = ${JSON.stringify(names)}\n`;
}

function sluice(home: string, args: string[]): Promise<string> {
  return new Promise((done, fail) =>
    execFile(process.execPath, [BIN, ...args, "--home", home], { timeout: 1_800_000, maxBuffer: 64 << 20 }, (error, stdout, stderr) => (error ? fail(new Error(`sluice ${args.join(" ")}: ${stderr || stdout}`)) : done(stdout))),
  );
}

const SYSTEMS = ["sluice", "airflow", "dagster", "prefect"] as const;
type SystemId = (typeof SYSTEMS)[number];

interface IdleRow {
  system: string;
  jobs: number;
  readySeconds: number;
  idle: IdleUse;
}

/** Sluice: `sluice up` and `sluice deploy` of one workspace holding the jobs. */
async function sluiceIdle(root: string, count: number, seconds: number): Promise<IdleRow> {
  const ws = join(root, "many_jobs");
  mkdirSync(ws, { recursive: true });
  for (const file of ["pyproject.toml", "uv.lock"]) copyFileSync(join(ENV_FROM, file), join(ws, file));
  cpSync(join(ENV_FROM, ".dlt"), join(ws, ".dlt"), { recursive: true });
  writeFileSync(join(ws, "many_jobs.py"), jobsModule(count));
  writeFileSync(join(ws, "__deployment__.py"), "from many_jobs import *  # noqa: F403\nfrom many_jobs import __all__  # noqa: F401\n");
  const home = join(root, "home");
  mkdirSync(home, { recursive: true });
  writeFileSync(join(home, "sluice.yaml"), "executor: local\napi: { port: 0 }\nproxy: { port: 0 }\n");
  const log = join(root, "daemon.log");
  const started = Date.now();
  const pid = startGroup(process.execPath, [BIN, "up", "--home", home], { cwd: root, env: process.env, log });
  try {
    await waitFor("sluice up wrote daemon.json", () => existsSync(join(home, "daemon.json")), 120_000, log);
    await sluice(home, ["deploy", ws]);
    const listed = JSON.parse(await sluice(home, ["job", "list", "--output", "json"])) as unknown[] | { jobs: unknown[] };
    const deployed = Array.isArray(listed) ? listed : listed.jobs;
    return { system: `Sluice ${version()}, local executor`, jobs: deployed.length, readySeconds: (Date.now() - started) / 1000, idle: await settleAndSample([pid], seconds) };
  } finally {
    await stopGroups([pid], 20_000);
  }
}

/** A peer with bench/peers/<peer>/many.py loaded (bench/peers/peers.ts `startJobs`). */
async function peerIdle(id: Exclude<SystemId, "sluice">, root: string, count: number, seconds: number): Promise<IdleRow> {
  const system = { airflow, dagster, prefect }[id];
  const started = Date.now();
  const running = await (system.startJobs?.(root, count) ?? Promise.reject(new Error(`${id} has no jobs load`)));
  try {
    return { system: system.label(), jobs: count, readySeconds: (Date.now() - started) / 1000, idle: await settleAndSample(running.roots, seconds) };
  } finally {
    await running.stop();
  }
}

/** Lets the start's own work settle (first parse, code-location load), then samples the process trees. */
async function settleAndSample(roots: number[], seconds: number): Promise<IdleUse> {
  await new Promise((done) => setTimeout(done, SETTLE_MS));
  log(`sampling for ${seconds} s`);
  return sampleIdle(roots, Date.now() + seconds * 1000);
}

const SETTLE_MS = 30_000;
const log = (line: string) => process.stderr.write(`[idle ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
const version = () => execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: REPO, encoding: "utf8" }).trim();

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { jobs: { type: "string", default: "500" }, seconds: { type: "string", default: "300" }, system: { type: "string", default: "sluice" }, help: { type: "boolean" } } });
  if (values.help) {
    process.stdout.write(`npx tsx bench/idle-jobs.ts [--jobs 500] [--seconds 300] [--system ${SYSTEMS.join("|")}|all|a,b]\n`);
    return;
  }
  const count = Number(values.jobs);
  const seconds = Number(values.seconds);
  const chosen = values.system === "all" ? [...SYSTEMS] : values.system.split(",");
  const unknown = chosen.filter((id) => !(SYSTEMS as readonly string[]).includes(id));
  if (unknown.length > 0) throw new Error(`unknown --system ${unknown.join(", ")}: use ${SYSTEMS.join(", ")} or all`);
  const rows: IdleRow[] = [];
  const loadAtStart = loadavg().map((l) => l.toFixed(2)).join(" ");
  for (const id of chosen as SystemId[]) {
    const root = mkdtempSync(join(tmpdir(), `sluice-bench-idle-${id}-`));
    log(`${id}: starting with ${count} jobs (work folder ${root})`);
    const row = id === "sluice" ? await sluiceIdle(root, count, seconds) : await peerIdle(id, root, count, seconds);
    log(`${row.system}: ${row.jobs} jobs, ready after ${row.readySeconds.toFixed(0)} s; idle CPU ${row.idle.cpuPercent.toFixed(2)} % of one core`);
    rows.push(row);
  }
  const lines = [
    `${count} jobs per system, ${seconds} s sampled after ${SETTLE_MS / 1000} s of settling; load average ${loadAtStart} at start, ${loadavg().map((l) => l.toFixed(2)).join(" ")} at end`,
    "",
    "| system | jobs held | start → ready | idle CPU (% of one core) | RSS / PSS MB (processes) |",
    "|---|---|---|---|---|",
    ...rows.map((r) => `| ${r.system} | ${r.jobs} | ${r.readySeconds.toFixed(0)} s | ${r.idle.cpuPercent.toFixed(2)} % over ${r.idle.seconds.toFixed(0)} s | ${r.idle.rssMb.toFixed(0)} / ${r.idle.pssMb.toFixed(0)} (${r.idle.processes}) |`),
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
