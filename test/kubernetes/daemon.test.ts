/**
 * `executor: kubernetes` end to end: a real `sluice up` daemon whose sluice.yaml points at the
 * cluster of scripts/cluster.sh. A deployed workspace's batch job runs as a Job (its environment
 * image imported into the node by the daemon), its follow-up runs there too, `sluice logs` has
 * every line (images reach the node by import into its containerd), and a kill -9 of the daemon while a Job runs loses nothing: the next start
 * re-attaches the Job by label and the run completes with each line stored once.
 */
import { execFileSync } from "node:child_process";
import { rmSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { homeInstance } from "../../cli/daemon/home.js";
import type { RunView } from "../../cli/daemon/runtime-types.js";
import { createDockerodeEngine } from "../../runner/docker/index.js";
import { ensureBaseImage } from "../../runner/images/index.js";
import { containerdName, nodeImages } from "../../runner/kubernetes/index.js";
import { DaemonProcess, waitUntil } from "../daemon-e2e-support.js";
import { copyFixtureWorkspace, writeFiles } from "../support/workspaces.js";
import { ensureCluster, type TestCluster } from "./cluster.js";

const LINES = 8;
const JOBS = `
import time
import dlt.hub.run as run

@run.job
def count_on_cluster():
    for n in range(1, ${LINES + 1}):
        print(f"line {n}", flush=True)
        time.sleep(0.5)


@run.job(trigger=count_on_cluster.success)
def after_cluster_count():
    print("follow-up on the cluster", flush=True)
`;

let cluster: TestCluster;
let root: string;
let dir: string;
let daemon: DaemonProcess;
let config: string;

beforeAll(async () => {
  cluster = ensureCluster();
  root = mkdtempSync(join(tmpdir(), "sluice-k8s-daemon-"));
  daemon = new DaemonProcess(join(root, "home"));
  dir = join(root, "cluster_ws");
  copyFixtureWorkspace("fruitshop", dir);
  writeFiles(dir, { "cluster_jobs.py": JOBS, "__deployment__.py": "from cluster_jobs import after_cluster_count, count_on_cluster\n\n__all__ = ['count_on_cluster', 'after_cluster_count']\n" });
  const containerd = join(dirname(cluster.kubeconfig), "run", "containerd.sock");
  config = `api: { port: 0 }\nproxy: { port: 0 }\nexecutor: kubernetes\nkubernetes:\n  kubeconfig: ${cluster.kubeconfig}\n  namespace: default\n  image: { containerd: ${containerd} }\n`;
  await daemon.start(config);
  const deployed = await daemon.cli("deploy", dir);
  expect(deployed.code, deployed.stdout + deployed.stderr).toBe(0);
}, 1_800_000);

afterAll(async () => {
  await daemon?.stop();
  if (root) rmSync(root, { recursive: true, force: true });
});

const runsOf = (job: string) => daemon.json<RunView[]>("runs", job, "--limit", "50");

const settled = (job: string, runId: string, timeoutMs: number) => daemon.settledRun(job, runId, timeoutMs);

/** The run's Jobs on the cluster, by the run-id label. */
const jobsOf = (runId: string) => cluster.kubectl("get", "jobs", "-n", "default", "-l", `sluice.run-id=${runId}`, "-o", "name").trim();

async function newRun(job: string, before: Set<string>): Promise<RunView> {
  let run: RunView | undefined;
  await waitUntil(async () => (run = (await runsOf(job)).find((r) => !before.has(r.runId))) !== undefined, 60_000, () => `no new run of ${job}`);
  return run as RunView;
}

describe("images reach the node without a registry", () => {
  it("nodeImages imports a local Docker image into the node's containerd once; a second daemon finds it there and imports nothing", async () => {
    const engine = createDockerodeEngine();
    const base = (await ensureBaseImage(engine)).tag;
    const tag = `sluice-test/node-import:${process.pid}`;
    execFileSync("docker", ["tag", base, tag]);
    const socket = join(dirname(cluster.kubeconfig), "run", "containerd.sock");
    const onNode = () => execFileSync("ctr", ["-a", socket, "-n", "k8s.io", "images", "ls", "-q"], { encoding: "utf8" }).split("\n");
    try {
      const first: string[] = [];
      const ensure = nodeImages({ containerdSocket: socket, onProgress: (line) => first.push(line) });
      await Promise.all([ensure(tag), ensure(tag)]);
      expect(first.filter((line) => line.startsWith("imported"))).toHaveLength(1);
      expect(onNode()).toContain(containerdName(tag));
      const second: string[] = [];
      await nodeImages({ containerdSocket: socket, onProgress: (line) => second.push(line) })(tag);
      expect(second).toEqual([]);
      await expect(nodeImages({ containerdSocket: socket })("sluice-test/no-such-image:0")).rejects.toThrow(/Could not get the run's image into the cluster's node/);
    } finally {
      execFileSync("ctr", ["-a", socket, "-n", "k8s.io", "images", "rm", containerdName(tag)], { stdio: "ignore" });
      execFileSync("docker", ["rmi", tag], { stdio: "ignore" });
    }
  }, 300_000);
});

describe("a daemon with executor: kubernetes", () => {
  it("runs a triggered batch job as a Job on the cluster (image imported by the daemon), then its follow-up; sluice logs has every line and runs say the pod and node it ran on", async () => {
    const before = new Set((await runsOf("after_cluster_count")).map((r) => r.runId));
    const triggered = await daemon.json<{ runs: RunView[] }>("trigger", "count_on_cluster");
    const runId = triggered.runs[0]?.runId ?? "";
    await waitUntil(() => jobsOf(runId) !== "", 600_000, () => `no Job for ${runId} on the cluster\n${daemon.output.slice(-3000)}`);
    const run = await settled("count_on_cluster", runId, 300_000);
    expect(run.status, JSON.stringify(run)).toBe("completed");
    expect(run.where).toMatch(/^pod sluice-run-[a-z0-9-]+ on node \S+$/);
    const logs = await daemon.cli("logs", "count_on_cluster");
    expect(logs.stdout.match(/line \d+/g)).toEqual(Array.from({ length: LINES }, (_, i) => `line ${i + 1}`));
    const follower = await newRun("after_cluster_count", before);
    expect((await settled("after_cluster_count", follower.runId, 300_000)).status).toBe("completed");
    await waitUntil(() => jobsOf(runId) === "", 60_000, () => `the Job of ${runId} was not deleted`);
  }, 1_200_000);

  it("a kill -9 of the daemon while the Job runs: after the restart the Job is re-attached by label and the run completes once, each line stored once", async () => {
    await daemon.stop();
    await daemon.start(config, 60_000, { SLUICE_CRASH_AT: "run-running" });
    const before = new Set((await runsOf("count_on_cluster")).map((r) => r.runId));
    const triggering = daemon.cli("trigger", "count_on_cluster");
    expect(await daemon.waitExit(300_000)).toBe("SIGKILL");
    await triggering;
    rmSync(join(daemon.home, "daemon.json"), { force: true });
    await daemon.start(config);
    const run = await newRun("count_on_cluster", before);
    const ended = await settled("count_on_cluster", run.runId, 300_000);
    expect(ended.status, JSON.stringify(ended)).toBe("completed");
    const logs = await daemon.cli("logs", "count_on_cluster", String(ended.number));
    expect(logs.stdout.match(/line \d+/g)).toEqual(Array.from({ length: LINES }, (_, i) => `line ${i + 1}`));
    expect(logs.stdout).toContain("re-attached to the run's Job after a restart");
    expect((await runsOf("count_on_cluster")).filter((r) => !before.has(r.runId))).toHaveLength(1);
  }, 1_200_000);

  it("serves a marimo notebook as a Pod with a Service on the cluster, answered through the daemon's proxy; cancel deletes both", async () => {
    const served = await daemon.cli("serve", "fruitshop_notebook.py", "--dir", dir);
    expect(served.code, served.stdout + served.stderr + daemon.output.slice(-3000)).toBe(0);
    const url = /is up: (http:\/\/127\.0\.0\.1:\d+\/w\/[^ ]+\/)/.exec(served.stdout)?.[1] ?? "";
    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/marimo/i);
    // this daemon's own: a cluster may hold what another Sluice (or a killed test run) left
    const mine = `sluice.interactive=true,sluice.instance=${homeInstance(daemon.home)}`;
    const pods = () => cluster.kubectl("get", "pods", "-n", "default", "-l", mine, "-o", "name").trim();
    const services = () => cluster.kubectl("get", "services", "-n", "default", "-l", mine, "-o", "name").trim();
    expect(pods()).not.toBe("");
    expect(services()).not.toBe("");
    const [run] = await runsOf("fruitshop_notebook");
    expect(run?.where).toMatch(/^pod \S+ on node \S+$/);
    const cancelled = await daemon.cli("cancel", "fruitshop_notebook");
    expect(cancelled.code, cancelled.stderr).toBe(0);
    await waitUntil(() => pods() === "" && services() === "", 120_000, () => `pods or services left: ${pods()} ${services()}`);
  }, 1_200_000);
});
