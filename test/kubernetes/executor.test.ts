/**
 * The Kubernetes executor against a real single-node cluster (scripts/cluster.sh). A tiny Python
 * "launcher" module in a temp workspace stands in for the job, as in the Docker executor's tests:
 * these are about the run contract on Kubernetes (Job, logs, exit codes, reasons, stop sequence).
 */
import { randomBytes } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { join } from "node:path";
import { createDockerodeEngine } from "../../runner/docker/index.js";
import type { RunnableJob } from "../../runner/executors/job-shape.js";
import { prepareRun } from "../../runner/executors/prepare-run.js";
import { ensureBaseImage } from "../../runner/images/index.js";
import { createKubeApi, createKubernetesExecutor, KubeLabel, type KubeApi } from "../../runner/kubernetes/index.js";
import { fakeLauncher } from "../support/fake-launcher.js";
import { createRunHome } from "../support/run-home.js";
import { waitUntil, within } from "../support/wait.js";
import { writeFiles } from "../support/workspaces.js";
import { ensureCluster, type TestCluster } from "./cluster.js";

const SCRIPT = fakeLauncher(`
import os, signal, sys, time
mode = entry["config"]["mode"]
print("run", args.run_id, "profile", entry["profile"], os.environ.get("WORKSPACE__PROFILE"), "host", os.uname().nodename, flush=True)
def on_term(signum, frame):
    print("got SIGTERM", flush=True)
    if mode == "clean":
        sys.exit(0)
signal.signal(signal.SIGTERM, on_term)
if mode == "fail":
    print("failing", file=sys.stderr, flush=True)
    sys.exit(3)
if mode == "ticks":
    for i in range(1, 21):
        print("tick", i, flush=True)
        time.sleep(0.1)
    sys.exit(0)
if mode == "memory":
    hog = []
    while True:
        hog.append(bytearray(16 * 1024 * 1024))
print("waiting", flush=True)
while True:
    time.sleep(0.05)
`);

/** Every executor of this file claims its runs with this instance, so nothing else on the cluster is touched. */
const INSTANCE = `kt${randomBytes(3).toString("hex")}`;
const NAMESPACE = "default";
let cluster: TestCluster;
let api: KubeApi;
let image: string;

beforeAll(async () => {
  cluster = ensureCluster();
  image = (await ensureBaseImage(createDockerodeEngine())).tag;
  cluster.importImage(image);
  api = createKubeApi({ kubeconfig: cluster.kubeconfig });
});

function setup(options: { timeoutSeconds?: number; graceSeconds?: number; image?: string } = {}) {
  const runHome = createRunHome("sluice-k8s-home-");
  const { home, clock, logStore, secretStore, overlayRoot } = runHome;
  const ws = join(home, "ws");
  writeFiles(ws, { ".dlt/.workspace": "", ".dlt/config.toml": 'from_commit = "yes"', "fake_launcher.py": SCRIPT });
  const executor = createKubernetesExecutor({
    api,
    clock,
    logStore,
    secretStore,
    overlayRoot,
    namespace: NAMESPACE,
    pullPolicy: "Never",
    instance: INSTANCE,
    environmentFor: async () => ({ image: options.image ?? image, python: "/usr/bin/python3" }),
    pollMs: 250,
  });
  const job: RunnableJob = {
    job_ref: "jobs.fake.job",
    entry_point: { module: "fake", function: "job", job_type: "batch", launcher: "fake_launcher" },
    execute: { timeout: { timeout: options.timeoutSeconds ?? 120, grace_period: options.graceSeconds ?? 3 } },
    require: { machine: "small" },
  };
  const context = { ...runHome.context, machines: { small: { cpus: 0.5, memoryMb: 96 } } };
  const prepare = (mode: string) =>
    prepareRun(job, { name: "ws", dir: ws, deploymentVersion: 7 }, { runId: `k-${mode}-${Date.now()}`, trigger: "manual:jobs.fake.job", refresh: false, config: { mode } }, context, clock.now());
  const texts = (runId: string) => logStore.read(runId).lines.map((line) => `${line.stream}:${line.text}`);
  return { executor, prepare, texts };
}

const jobsOf = (runId: string) => cluster.kubectl("get", "jobs,pods", "-n", NAMESPACE, "-l", `${KubeLabel.runId}=${runId},${KubeLabel.instance}=${INSTANCE}`, "-o", "name").trim();

describe("kubernetes executor on a real cluster", () => {
  it("runs a fixture to completion: exit 0, every output line in order in the log store, Job and pod removed", async () => {
    const { executor, prepare, texts } = setup();
    const run = await executor.start(prepare("ticks"));
    const outcome = await within(run.outcome, "the end of the ticks run", 120_000);
    expect(outcome).toMatchObject({ status: "completed", exitCode: 0, reason: null });
    const lines = texts(run.runId);
    expect(lines.find((line) => line.startsWith("stdout:run"))).toBe(`stdout:run ${run.runId} profile prod prod host sluice-ws-prod`);
    expect(lines.filter((line) => line.startsWith("stdout:tick"))).toEqual(Array.from({ length: 20 }, (_, i) => `stdout:tick ${i + 1}`));
    await waitUntil(() => jobsOf(run.runId) === "", "the run's Job and pod to be deleted", 60_000, 250);
  });

  it("a run exiting with code 3 is failed with reason 'exit code 3' and its stderr line stored", async () => {
    const { executor, prepare, texts } = setup();
    const run = await executor.start(prepare("fail"));
    const outcome = await within(run.outcome, "the end of the failing run", 120_000);
    expect(outcome).toMatchObject({ status: "failed", exitCode: 3, reason: "exit code 3" });
    expect(texts(run.runId)).toContain("stdout:failing");
  });

  it("cancel deletes the pod with the grace period: the launcher gets one SIGTERM, exits, and the run is cancelled by user", async () => {
    const { executor, prepare, texts } = setup();
    const run = await executor.start(prepare("clean"));
    await waitUntil(() => texts(run.runId).includes("stdout:waiting"), "the run to be running", 120_000, 100);
    expect(run.stop("user")).toBe(true);
    const outcome = await within(run.outcome, "the end of the cancelled run", 60_000);
    expect(outcome).toMatchObject({ status: "cancelled", reason: "cancelled by user", cancelCause: "user", exitCode: 0, killSentMs: null });
    expect(texts(run.runId).filter((line) => line === "stdout:got SIGTERM")).toHaveLength(1);
  });
});
