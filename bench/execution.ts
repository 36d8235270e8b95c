/**
 * Execution benchmark (numbers only, nothing asserted):
 *  - run latency: start → exit of a trivial run, local subprocess and Docker container (base image);
 *  - stop accuracy: actual SIGKILL delay after SIGTERM vs the configured grace, both executors;
 *  - log store: lines/s appended with the size bound active, and tail read time;
 *  - proxy overhead: requests/s to a local HTTP service directly vs through the reverse proxy;
 *  - Docker and (with `--executor kubernetes`) Kubernetes: trigger → container/pod running,
 *    trigger → first output line, and output line printed → line delivered by the log store to a
 *    subscriber (what `logs -f` reads).
 * Run: npx tsx bench/execution.ts [--no-docker] [--executor kubernetes [--kubeconfig PATH] [--context NAME]
 *      [--namespace NS] [--containerd SOCKET | --registry HOST[:PORT]]]
 * With --containerd, the base image is imported into that node containerd (`ctr`) and pods use
 * `imagePullPolicy: Never`; without it the cluster must be able to pull the image. The bench's
 * workspace is a hostPath mount: the cluster's node must be this machine (docs/kubernetes.md).
 * With --registry, the base image + the bench's workspace are pushed there as the run image (by
 * digest, the push done before any timing), so the workspace is not mounted; the data dir still is.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { createServer, request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SystemClock } from "../core/index.js";
import { createDockerodeEngine } from "../runner/docker/index.js";
import type { ContainerEngine } from "../runner/docker/index.js";
import { createDockerExecutor, createLocalExecutor, prepareRun, RunLabel, type PreparedRun, type RunnableJob, type SupervisedRun } from "../runner/executors/index.js";
import { createKubeApi, createKubernetesExecutor, KubeLabel, labelValue, nodeImages, podState, registryImages, type KubeApi } from "../runner/kubernetes/index.js";
import { ensureBaseImage } from "../runner/images/index.js";
import { createLogStore, type LogStore } from "../runner/logs/index.js";
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
if mode == "lines":
    for i in range(20):
        time.sleep(0.1)
        print("line", i, int(time.time() * 1000), flush=True)
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
  const observed: Array<[string, Observed]> = [];
  const onKubernetes = flag("--executor") === "kubernetes";
  if (withDocker || onKubernetes) {
    const engine = createDockerodeEngine();
    const image = (await ensureBaseImage(engine)).tag;
    const environmentFor = async () => ({ image, python: "/usr/bin/python3" });
    if (withDocker) {
      const docker = createDockerExecutor({ engine, clock, logStore, secretStore, environmentFor, network: "none", overlayRoot: join(home, "overlays") });
      executors.push(["docker", docker]);
      observed.push(["docker", { executor: docker, running: dockerRunning(engine) }]);
    }
    if (onKubernetes) {
      const containerd = flag("--containerd");
      const registry = flag("--registry");
      const progress = (line: string) => process.stderr.write(`${line}\n`);
      if (containerd) await nodeImages({ containerdSocket: containerd, onProgress: progress })(image);
      const shipped = registry ? await registryImages({ registry, onProgress: progress })({ environmentImage: image, workspace: "ws", checkoutDir: ws }) : undefined;
      const kubeEnvironment = async () => (shipped ? { image: shipped, python: "/usr/bin/python3", checkoutInImage: true } : environmentFor());
      const kubeconfig = flag("--kubeconfig");
      const context = flag("--context");
      const api = createKubeApi({ ...(kubeconfig ? { kubeconfig } : {}), ...(context ? { context } : {}) });
      const namespace = flag("--namespace") ?? "default";
      const kube = createKubernetesExecutor({ api, clock, logStore, secretStore, environmentFor: kubeEnvironment, overlayRoot: join(home, "overlays"), namespace, pullPolicy: containerd ? "Never" : "IfNotPresent", instance: `bench${process.pid}` });
      executors.push(["kubernetes", kube]);
      observed.push(["kubernetes", { executor: kube, running: podRunning(api, namespace) }]);
    }
  }
  for (const [name, target] of observed) await startAndLogLatency(name, target, logStore, prepare);

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

interface Observed {
  executor: { start(run: PreparedRun): Promise<SupervisedRun> };
  /** True once the run's container (pod) is running. */
  running: (runId: string) => Promise<boolean>;
}

/**
 * Per run: trigger (start called) → container/pod running (polled every 20 ms), trigger → first
 * output line in the log store, and each of 20 lines: printed (the launcher's clock) → delivered
 * to a log store subscriber, the path `logs -f` follows.
 */
async function startAndLogLatency(name: string, target: Observed, logStore: LogStore, prepare: (mode: string) => PreparedRun, runs = 5): Promise<void> {
  const toRunning: number[] = [];
  const toFirstLine: number[] = [];
  const lineDelays: number[] = [];
  for (let i = 0; i < runs; i += 1) {
    const run = prepare("lines");
    let firstLine: number | undefined;
    const unsubscribe = logStore.subscribe(run.runId, {
      onLine: (line) => {
        firstLine ??= performance.now();
        const printed = /^line \d+ (\d+)$/.exec(line.text);
        if (printed) lineDelays.push(Date.now() - Number(printed[1]));
      },
    });
    const started = performance.now();
    const supervised = await target.executor.start(run);
    while (!(await target.running(run.runId).catch(() => false)) && performance.now() - started < 120_000) await sleep(20);
    toRunning.push(performance.now() - started);
    const outcome = await supervised.outcome;
    unsubscribe();
    if (outcome.status !== "completed") throw new Error(`${name} run ${run.runId} ended ${outcome.status}: ${outcome.reason ?? ""}`);
    toFirstLine.push((firstLine ?? performance.now()) - started);
  }
  print(`${name}_trigger_to_running_median`, median(toRunning), "ms");
  print(`${name}_trigger_to_first_line_median`, median(toFirstLine), "ms");
  print(`${name}_line_to_log_store_median (n=${lineDelays.length})`, median(lineDelays), "ms");
  print(`${name}_line_to_log_store_p95`, percentile(lineDelays, 0.95), "ms");
}

function dockerRunning(engine: ContainerEngine): (runId: string) => Promise<boolean> {
  return async (runId) => (await engine.listContainers({ [RunLabel.runId]: runId })).some((container) => container.state === "running");
}

function podRunning(api: KubeApi, namespace: string): (runId: string) => Promise<boolean> {
  return async (runId) => (await api.listPods(namespace, { [KubeLabel.runId]: labelValue(runId) })).some((pod) => podState(pod).kind === "running");
}

function flag(name: string): string | undefined {
  const index = process.argv.indexOf(name);
  return index >= 0 ? process.argv[index + 1] : undefined;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;
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
