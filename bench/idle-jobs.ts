/**
 * A Sluice daemon with many deployed jobs, idle (numbers only, nothing asserted): `sluice up`
 * (`executor: local`), one dlt workspace with N jobs (dlt's own manifest generator; N/2 on daily
 * crons, N/4 every 6 hours, N/4 follow-ups of those), none due during the window; then the daemon's
 * process tree's CPU (% of one core) and memory while it waits. Issue 14: "500 deployed jobs:
 * scheduler CPU while idle".
 *
 * Run: npx tsx bench/idle-jobs.ts [--jobs 500] [--seconds 300]
 */
import { execFile } from "node:child_process";
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { sampleIdle } from "./peers/measure.js";
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

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { jobs: { type: "string", default: "500" }, seconds: { type: "string", default: "300" } } });
  const count = Number(values.jobs);
  const seconds = Number(values.seconds);
  const root = mkdtempSync(join(tmpdir(), "sluice-bench-idle-"));
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
  const pid = startGroup(process.execPath, [BIN, "up", "--home", home], { cwd: root, env: process.env, log });
  try {
    await waitFor("sluice up wrote daemon.json", () => existsSync(join(home, "daemon.json")), 120_000, log);
    const started = Date.now();
    await sluice(home, ["deploy", ws]);
    const listed = JSON.parse(await sluice(home, ["job", "list", "--output", "json"])) as unknown[] | { jobs: unknown[] };
    const deployed = Array.isArray(listed) ? listed : listed.jobs;
    process.stdout.write(`deployed ${deployed.length} jobs in ${((Date.now() - started) / 1000).toFixed(1)} s; sampling the idle daemon for ${seconds} s\n`);
    await new Promise((done) => setTimeout(done, 10_000)); // let the deploy's work settle
    const idle = await sampleIdle([pid], Date.now() + seconds * 1000);
    process.stdout.write(`idle CPU ${idle.cpuPercent.toFixed(2)} % of one core over ${idle.seconds.toFixed(0)} s; RSS ${idle.rssMb.toFixed(0)} MB, PSS ${idle.pssMb.toFixed(0)} MB (${idle.processes} processes)\n`);
  } finally {
    await stopGroups([pid], 20_000);
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
