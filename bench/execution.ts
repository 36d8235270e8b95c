/**
 * Execution benchmark (numbers only, nothing asserted):
 *  - run latency: start → exit of a trivial run, local subprocess and Docker container (base image);
 *  - stop accuracy: actual SIGKILL delay after SIGTERM vs the configured grace, both executors;
 *  - log store: lines/s appended with the size bound active, and tail read time;
 *  - proxy overhead: requests/s to a local HTTP service directly vs through the reverse proxy.
 * Run: npx tsx bench/execution.ts [--no-docker]
 */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { createServer, request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SystemClock } from "../core/index.js";
import { createDockerodeEngine } from "../runner/docker/index.js";
import { createDockerExecutor, createLocalExecutor, prepareRun, type PreparedRun, type RunnableJob, type SupervisedRun } from "../runner/executors/index.js";
import { ensureBaseImage } from "../runner/images/index.js";
import { createLogStore } from "../runner/logs/index.js";
import { createReverseProxy } from "../runner/proxy/index.js";
import { createSecretStore } from "../runner/secrets/index.js";

const SCRIPT = `
import argparse, json, signal, time
p = argparse.ArgumentParser()
for name in ("--run-id", "--trigger", "--entry-point"):
    p.add_argument(name, required=True)
a = p.parse_args()
mode = json.loads(a.entry_point)["config"]["mode"]
signal.signal(signal.SIGTERM, lambda *_: print("term", flush=True))
print("ready", flush=True)
while mode == "hang":
    time.sleep(0.05)
`;

const print = (name: string, value: number, unit: string) => process.stdout.write(`${name.padEnd(40)} ${value.toFixed(unit === "ms" ? 1 : 0)} ${unit}\n`);

async function main(): Promise<void> {
  const withDocker = !process.argv.includes("--no-docker");
  const home = mkdtempSync(join(tmpdir(), "sluice-bench-exec-"));
  const ws = join(home, "ws");
  mkdirSync(join(ws, ".dlt"), { recursive: true });
  writeFileSync(join(ws, "bench_launcher.py"), SCRIPT);
  const clock = new SystemClock();
  const logStore = createLogStore({ dir: join(home, "logs") });
  const secretStore = createSecretStore(join(home, "secrets"));
  const job: RunnableJob = { job_ref: "jobs.bench", entry_point: { module: "b", function: "b", job_type: "batch", launcher: "bench_launcher" }, execute: { timeout: { timeout: 3600, grace_period: 1 } } };
  let n = 0;
  const prepare = (mode: string): PreparedRun => prepareRun(job, { name: "ws", dir: ws }, { runId: `bench-${++n}`, trigger: "manual:jobs.bench", refresh: false, config: { mode } }, { secretStore, dataRoot: join(home, "data") }, clock.now());

  const executors: Array<[string, { start(run: PreparedRun): Promise<SupervisedRun> }]> = [["local", createLocalExecutor({ clock, logStore, pythonFor: () => "python3" })]];
  if (withDocker) {
    const engine = createDockerodeEngine();
    const image = (await ensureBaseImage(engine)).tag;
    executors.push(["docker", createDockerExecutor({ engine, clock, logStore, secretStore, environmentFor: async () => ({ image, python: "/usr/bin/python3" }), network: "none", overlayRoot: join(home, "overlays") })]);
  }

  for (const [name, executor] of executors) {
    const samples: number[] = [];
    for (let i = 0; i < 5; i += 1) {
      const started = performance.now();
      await (await executor.start(prepare("quick"))).outcome;
      samples.push(performance.now() - started);
    }
    print(`${name}_run_latency_median`, median(samples), "ms");
    const run = await executor.start(prepare("hang"));
    while (!logStore.read(run.runId).lines.some((line) => line.text === "ready")) await sleep(10);
    run.stop("user", 1000);
    const outcome = await run.outcome;
    print(`${name}_sigkill_after_sigterm (grace 1000)`, (outcome.killSentMs ?? 0) - (outcome.termSentMs ?? 0), "ms");
    print(`${name}_exit_after_sigterm (grace 1000)`, outcome.endedMs - (outcome.termSentMs ?? 0), "ms");
  }

  const bounded = createLogStore({ dir: join(home, "bench-logs"), maxBytesPerRun: 1024 * 1024 });
  const lines = 100_000;
  let started = performance.now();
  for (let i = 0; i < lines; i += 1) bounded.append("bulk", i % 2 ? "stdout" : "stderr", `2026-01-01 line ${i} of the benchmark with some typical text`);
  print("log_append_lines_per_s (1 MiB bound)", lines / ((performance.now() - started) / 1000), "lines/s");
  started = performance.now();
  bounded.read("bulk", { tail: 100 });
  print("log_tail_100_read", performance.now() - started, "ms");

  const upstream = createServer((_req, res) => res.end("ok"));
  await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", resolve));
  const upstreamPort = (upstream.address() as { port: number }).port;
  const proxy = createReverseProxy({ resolve: async () => ({ port: upstreamPort, stripPrefix: true }), activity: () => {} });
  const proxyPort = await proxy.listen(0);
  print("http_direct_requests_per_s", await requestsPerSecond(upstreamPort, "/"), "req/s");
  print("http_via_proxy_requests_per_s", await requestsPerSecond(proxyPort, "/w/ws/svc/"), "req/s");
  await proxy.close();
  upstream.close();
}

async function requestsPerSecond(port: number, path: string, total = 2000, parallel = 20): Promise<number> {
  let sent = 0;
  const started = performance.now();
  const worker = async () => {
    while (sent < total) {
      sent += 1;
      await new Promise<void>((resolve, reject) =>
        request({ host: "127.0.0.1", port, path }, (res) => {
          res.resume();
          res.on("end", () => resolve());
        })
          .on("error", reject)
          .end(),
      );
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  return total / ((performance.now() - started) / 1000);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

await main();
