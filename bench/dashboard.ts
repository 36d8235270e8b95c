/**
 * Dashboard benchmark (numbers only, nothing asserted; docs/dashboard.md):
 *  - 500 jobs in 5 workspaces (follow-up chains), 50 of them running;
 *  - load: the 50 running runs each write 10 log lines a second (500 `log.line` events/s through
 *    the SSE parser), 5 runs finish and 5 start every second, the log view follows one run;
 *  - per screen update: React render time (Profiler) and Ink's layout + write time (onRender);
 *  - CPU of the dashboard process under that load, and idle (nothing happens, the clock ticks).
 * Run: npx tsx bench/dashboard.ts   (terminal size 160×50, rendered to an in-memory stream)
 */
import { PassThrough } from "node:stream";
import { Profiler, createElement } from "react";
import { SseParser } from "../cli/dashboard/api.js";
import { InMemoryDashboardApi, makeJob, makeRun } from "../cli/dashboard/memory-api.js";
import { DashboardStore } from "../cli/dashboard/store.js";

delete process.env.CI; // Ink renders only the last frame in CI
const { render } = await import("ink");
const { App } = await import("../cli/dashboard/app.js");

const JOBS = 500;
const RUNNING = 50;
const LOAD_SECONDS = 10;
const IDLE_SECONDS = 10;

function fleet(): InMemoryDashboardApi {
  const api = new InMemoryDashboardApi();
  for (let i = 0; i < JOBS; i++) {
    const ws = `ws${i % 5}`;
    const upstream = i >= 5 && i % 3 !== 0 ? [{ key: `ws${(i - 5) % 5}/jobs.job_${i - 5}`, kind: "success" as const }] : [];
    const status = i < RUNNING ? "running" : i % 7 === 0 ? "failed" : "completed";
    api.jobList.push(makeJob(ws, `job_${i}`, { upstreams: upstream, tags: i % 4 === 0 ? ["nightly"] : [], lastRun: makeRun(`${ws}/jobs.job_${i}`, 1, status, { finishedAt: status === "running" ? null : "2026-04-14T10:00:13.000Z" }) }));
  }
  return api;
}

function sseBlock(type: string, data: unknown, workspace: string): string {
  return `event: ${type}\ndata: ${JSON.stringify({ workspace, data })}\n\n`;
}

function stats(values: number[]): string {
  if (values.length === 0) return "n=0";
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]?.toFixed(2);
  return `n=${values.length} p50=${at(0.5)} ms p95=${at(0.95)} ms max=${sorted[sorted.length - 1]?.toFixed(2)} ms`;
}

async function main(): Promise<void> {
  const api = fleet();
  const store = new DashboardStore(api);
  const stdout = Object.assign(new PassThrough(), { columns: 160, rows: 50, isTTY: true });
  let bytes = 0;
  stdout.on("data", (chunk: Buffer) => (bytes += chunk.length));
  const reactMs: number[] = [];
  const inkMs: number[] = [];
  const stdin = Object.assign(new PassThrough(), { isTTY: true, setRawMode: () => stdin, ref: () => stdin, unref: () => stdin });
  store.start();
  const app = render(createElement(Profiler, { id: "dashboard", onRender: (_id: string, _phase: string, ms: number) => reactMs.push(ms) }, createElement(App, { store, color: true })), {
    stdout: stdout as unknown as NodeJS.WriteStream,
    stdin: stdin as unknown as NodeJS.ReadStream,
    patchConsole: false,
    onRender: ({ renderTime }) => inkMs.push(renderTime),
  });
  await new Promise((done) => setTimeout(done, 1000));
  const first = { react: reactMs.splice(0), ink: inkMs.splice(0) };
  console.log(`first screen with ${JOBS} jobs: react ${stats(first.react)}; ink ${stats(first.ink)}`);

  const parser = new SseParser((event) => store.onEvent(event));
  let tick = 0;
  const step = () => {
    tick += 1;
    let text = "";
    for (let r = 0; r < RUNNING; r++) text += sseBlock("log.line", { runId: `run_${r}`, seq: tick, text: `run ${r} line ${tick}` }, `ws${r % 5}`);
    parser.push(text);
    api.writeLog("run_ws0_jobs_job_0_1", `line ${tick}: extracted 1000 rows`);
    if (tick % 10 !== 0) return;
    for (let k = 0; k < 5; k++) {
      const i = RUNNING + (((tick / 10) * 5 + k) % (JOBS - RUNNING));
      const key = `ws${i % 5}/jobs.job_${i}`;
      store.onEvent({ type: "run.started", workspace: `ws${i % 5}`, data: makeRun(key, 2 + tick, "running", { finishedAt: null }) });
      store.onEvent({ type: "run.finished", workspace: `ws${i % 5}`, data: makeRun(key, 1 + tick, "completed") });
    }
  };
  const phase = async (label: string) => {
    reactMs.splice(0);
    inkMs.splice(0);
    const bytesBefore = bytes;
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    const load = setInterval(step, 100);
    await new Promise((done) => setTimeout(done, LOAD_SECONDS * 1000));
    clearInterval(load);
    const cpu = process.cpuUsage(cpuBefore);
    const wall = performance.now() - started;
    console.log(`${label}: ${reactMs.length} screen updates in ${(wall / 1000).toFixed(1)} s`);
    console.log(`  react render per update: ${stats(reactMs)}`);
    console.log(`  ink layout+write per update: ${stats(inkMs)}`);
    console.log(`  cpu: ${(((cpu.user + cpu.system) / 1000 / wall) * 100).toFixed(1)} % of one core; ${((bytes - bytesBefore) / 1024).toFixed(0)} KiB written to the terminal`);
  };
  await phase(`load on the jobs view (${RUNNING} runs × 10 lines/s over SSE, 5 run changes/s)`);
  stdin.write("l");
  await phase("same load on the log view following one run (10 lines/s)");

  await new Promise((done) => setTimeout(done, 500));
  reactMs.splice(0);
  inkMs.splice(0);
  const idleBefore = process.cpuUsage();
  const idleStart = performance.now();
  await new Promise((done) => setTimeout(done, IDLE_SECONDS * 1000));
  const idleCpu = process.cpuUsage(idleBefore);
  const idleWall = performance.now() - idleStart;
  console.log(`idle ${IDLE_SECONDS} s: ${reactMs.length} screen updates (the clock), cpu ${(((idleCpu.user + idleCpu.system) / 1000 / idleWall) * 100).toFixed(2)} % of one core; react ${stats(reactMs)}`);
  app.unmount();
  store.stop();
}

await main();
