/**
 * The Kubernetes executor against a real single-node cluster (scripts/cluster.sh). A tiny Python
 * "launcher" module in a temp workspace stands in for the job, as in the Docker executor's tests:
 * these are about the run contract on Kubernetes (Job, logs, exit codes, reasons, stop sequence).
 */
import { randomBytes } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { join } from "node:path";
import { createDockerodeEngine } from "../../runner/docker/index.js";
import type { RunnableJob } from "../../runner/executors/job-shape.js";
import { prepareRun } from "../../runner/executors/prepare-run.js";
import { ensureBaseImage } from "../../runner/images/index.js";
import { createKubeApi, createKubernetesExecutor, dataClaimName, KubeLabel, type KubeApi, type RunVolumes } from "../../runner/kubernetes/index.js";
import { fakeLauncher } from "../support/fake-launcher.js";
import { createRunHome } from "../support/run-home.js";
import { waitUntil, within } from "../support/wait.js";
import { writeFiles } from "../support/workspaces.js";
import { ensureCluster, staticStorage, type StaticStorage, type TestCluster } from "./cluster.js";

const SCRIPT = fakeLauncher(`
import os, signal, sys, time
mode = entry["config"]["mode"]
print("run", args.run_id, "profile", entry["profile"], os.environ.get("WORKSPACE__PROFILE"), "host", os.uname().nodename, flush=True)
secrets = ".dlt/prod.secrets.toml"
print("secrets:", open(secrets).read().strip() if os.path.exists(secrets) else "none", flush=True)
def on_term(signum, frame):
    print("got SIGTERM", flush=True)
    if mode == "clean":
        sys.exit(0)
signal.signal(signal.SIGTERM, on_term)
if mode == "persist":
    for d in (os.environ["DLT_DATA_DIR"], os.environ["DLT_LOCAL_DIR"], "/var/dlt"):
        with open(os.path.join(d, "runs.txt"), "a") as f:
            f.write(args.run_id + "\\n")
        print("persist", d, " ".join(open(os.path.join(d, "runs.txt")).read().split()), flush=True)
    sys.exit(0)
if mode == "fail":
    print("failing", file=sys.stderr, flush=True)
    sys.exit(3)
if mode == "ticks":
    for i in range(1, 21):
        print("tick", i, flush=True)
        time.sleep(0.1)
    sys.exit(0)
if mode == "ignore":
    print("waiting", flush=True)
    while True:
        time.sleep(0.05)
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

interface SetupOptions {
  timeoutSeconds?: number;
  graceSeconds?: number;
  image?: string;
  machine?: { cpus?: number; memoryMb?: number };
  unschedulableAfterMs?: number;
  volumes?: RunVolumes;
  orphanSecretsAfterMs?: number;
}

function setup(options: SetupOptions = {}) {
  const runHome = createRunHome("sluice-k8s-home-");
  const { home, clock, logStore, secretStore, overlayRoot } = runHome;
  const ws = join(home, "ws");
  writeFiles(ws, { ".dlt/.workspace": "", ".dlt/config.toml": 'from_commit = "yes"', "fake_launcher.py": SCRIPT });
  const makeExecutor = () => createKubernetesExecutor({
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
    ...(options.volumes ? { volumes: options.volumes } : {}),
    ...(options.orphanSecretsAfterMs !== undefined ? { orphanSecretsAfterMs: options.orphanSecretsAfterMs } : {}),
    ...(options.unschedulableAfterMs !== undefined ? { unschedulableAfterMs: options.unschedulableAfterMs } : {}),
  });
  const executor = makeExecutor();
  const job: RunnableJob = {
    job_ref: "jobs.fake.job",
    entry_point: { module: "fake", function: "job", job_type: "batch", launcher: "fake_launcher" },
    execute: { timeout: { timeout: options.timeoutSeconds ?? 120, grace_period: options.graceSeconds ?? 3 } },
    require: { machine: "small" },
  };
  const context = { ...runHome.context, machines: { small: options.machine ?? { cpus: 0.5, memoryMb: 96 } } };
  const prepare = (mode: string) =>
    prepareRun(job, { name: "ws", dir: ws, deploymentVersion: 7 }, { runId: `k-${mode}-${Date.now()}`, trigger: "manual:jobs.fake.job", refresh: false, config: { mode } }, context, clock.now());
  const texts = (runId: string) => logStore.read(runId).lines.map((line) => `${line.stream}:${line.text}`);
  return { executor, makeExecutor, prepare, texts, logStore, secretStore, overlayRoot, dataRoot: runHome.context.dataRoot };
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

  it("a run exiting with code 3 is failed with reason 'exit code 3' and its stderr line stored as output (a pod's log merges stdout and stderr)", async () => {
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

  it("the Job has backoffLimit 0, the job's grace as terminationGracePeriodSeconds, a deadline backstop, the run's labels and resources", async () => {
    const { executor, prepare, texts } = setup({ timeoutSeconds: 100, graceSeconds: 7 });
    const run = await executor.start(prepare("clean"));
    await waitUntil(() => texts(run.runId).includes("stdout:waiting"), "the run to be running", 120_000, 100);
    const job = JSON.parse(cluster.kubectl("get", "jobs", "-n", NAMESPACE, "-l", `${KubeLabel.runId}=${run.runId}`, "-o", "json")).items[0];
    expect(job.spec.backoffLimit).toBe(0);
    expect(job.spec.activeDeadlineSeconds).toBe(100 + 7 + 60);
    expect(job.metadata.labels).toMatchObject({ [KubeLabel.runId]: run.runId, [KubeLabel.instance]: INSTANCE, [KubeLabel.workspace]: "ws", [KubeLabel.job]: "jobs.fake.job", "sluice.purpose": "run" });
    const pod = job.spec.template.spec;
    expect(pod.terminationGracePeriodSeconds).toBe(7);
    expect(pod.containers[0].resources).toEqual({ requests: { cpu: "500m", memory: String(96 * 1024 * 1024) }, limits: { cpu: "500m", memory: String(96 * 1024 * 1024) } });
    run.stop("user");
    await within(run.outcome, "the end of the run", 60_000);
  });

  it("timeout: one SIGTERM, SIGKILL after the grace period when the launcher ignores it ⇒ cancelled with reason timeout", async () => {
    const { executor, prepare, texts } = setup({ timeoutSeconds: 4, graceSeconds: 2 });
    const run = await executor.start(prepare("ignore"));
    const outcome = await within(run.outcome, "the end of the stubborn run", 120_000);
    expect(outcome).toMatchObject({ status: "cancelled", reason: "timeout", stopCause: "timeout", exitCode: 137 });
    expect(texts(run.runId).filter((line) => line === "stdout:got SIGTERM")).toHaveLength(1);
    const grace = (outcome.killSentMs ?? 0) - (outcome.termSentMs ?? 0);
    expect(grace).toBeGreaterThanOrEqual(2000);
    expect(grace).toBeLessThan(3500);
  });

  it("timeout: a launcher exiting cleanly on SIGTERM within the grace period completes the run (dlt's semantics)", async () => {
    const { executor, prepare } = setup({ timeoutSeconds: 4, graceSeconds: 10 });
    const run = await executor.start(prepare("clean"));
    const outcome = await within(run.outcome, "the end of the run", 120_000);
    expect(outcome).toMatchObject({ status: "completed", exitCode: 0, stopCause: "timeout", killSentMs: null });
  });

  it("a run over its memory limit fails with reason OOMKilled", async () => {
    const { executor, prepare } = setup({ machine: { memoryMb: 64 } });
    const run = await executor.start(prepare("memory"));
    const outcome = await within(run.outcome, "the end of the memory hog", 120_000);
    expect(outcome.status).toBe("failed");
    expect(outcome.exitCode).toBe(137);
    expect(outcome.reason).toMatch(/^out of memory: the container was OOM-killed \(OOMKilled, exit code 137\)/);
  });

  it("an image the node does not have fails the run with an image reason and leaves no Job", async () => {
    const { executor, prepare, texts } = setup({ image: "sluice/not-imported:nothing" });
    const run = await executor.start(prepare("ticks"));
    const outcome = await within(run.outcome, "the end of the run without image", 120_000);
    expect(outcome).toMatchObject({ status: "failed", exitCode: null });
    expect(outcome.reason).toMatch(/^image sluice\/not-imported:nothing cannot be used on the cluster \(ErrImageNeverPull/);
    expect(texts(run.runId).join("\n")).toContain("ErrImageNeverPull");
    await waitUntil(() => jobsOf(run.runId) === "", "the run's Job and pod to be deleted", 60_000, 250);
  });

  it("a pod no node can take fails the run as unschedulable once the wait runs out", async () => {
    const { executor, prepare } = setup({ machine: { cpus: 64 }, unschedulableAfterMs: 2000 });
    const run = await executor.start(prepare("ticks"));
    const outcome = await within(run.outcome, "the end of the unschedulable run", 120_000);
    expect(outcome).toMatchObject({ status: "failed", exitCode: null });
    expect(outcome.reason).toMatch(/^unschedulable: no node can run the pod \(.*Insufficient cpu/);
  });

  it("a new executor adopts a running Job by label: the output continues without duplicated lines and the run completes", async () => {
    const { executor, makeExecutor, prepare, texts } = setup();
    const run = await executor.start(prepare("ticks"));
    await waitUntil(() => texts(run.runId).includes("stdout:tick 3"), "the first ticks", 120_000, 50);
    executor.detach();
    const adopted = await makeExecutor().adopt(run.runId);
    if (!adopted) throw new Error(`run ${run.runId} was not adopted`);
    const outcome = await within(adopted.run.outcome, "the end of the adopted run", 120_000);
    expect(outcome).toMatchObject({ status: "completed", exitCode: 0 });
    expect(texts(run.runId).filter((line) => line.startsWith("stdout:tick"))).toEqual(Array.from({ length: 20 }, (_, i) => `stdout:tick ${i + 1}`));
    await waitUntil(() => jobsOf(run.runId) === "", "the run's Job and pod to be deleted", 60_000, 250);
  });

  it("a run that ended while no Sluice followed it is found by recoverAll and reports its exit code and last lines", async () => {
    const { executor, makeExecutor, prepare } = setup();
    const run = await executor.start(prepare("fail"));
    executor.detach();
    const phase = () => cluster.kubectl("get", "pods", "-n", NAMESPACE, "-l", `${KubeLabel.runId}=${run.runId}`, "-o", "jsonpath={.items[*].status.phase}");
    await waitUntil(() => phase() === "Failed", "the pod to end", 120_000, 250);
    await new Promise((resolve) => setTimeout(resolve, 2000)); // let the Job controller see the pod end
    expect(phase()).toBe("Failed");
    const adopted = (await makeExecutor().recoverAll()).find((one) => one.runId === run.runId);
    if (!adopted) throw new Error(`run ${run.runId} was not recovered`);
    expect(adopted.labels).toMatchObject({ "sluice.workspace": "ws", "sluice.profile": "prod", "sluice.job-ref": "jobs.fake.job" });
    const outcome = await within(adopted.run.outcome, "the end of the recovered run", 60_000);
    expect(outcome).toMatchObject({ status: "failed", exitCode: 3, reason: "exit code 3" });
    expect(outcome.lastLines).toContain("failing");
    await waitUntil(() => jobsOf(run.runId) === "", "the run's Job and pod to be deleted", 60_000, 250);
  });

  it("cancel right after start: the run is cancelled by user and its Job deleted", async () => {
    const { executor, prepare } = setup();
    const run = await executor.start(prepare("clean"));
    expect(run.stop("user")).toBe(true);
    const outcome = await within(run.outcome, "the end of the run cancelled at once", 60_000);
    expect(outcome).toMatchObject({ status: "cancelled", reason: "cancelled by user", cancelCause: "user" });
    await waitUntil(() => jobsOf(run.runId) === "", "the run's Job and pod to be deleted", 60_000, 250);
  });

  it("a stored secret reaches the run as its .dlt overlay, is masked in the log and appears nowhere in the Job", async () => {
    const { executor, prepare, texts, secretStore, overlayRoot } = setup();
    secretStore.set("ws", "prod", 'token = "tok_k8s_secret_42"\n');
    const run = await executor.start(prepare("clean"));
    await waitUntil(() => texts(run.runId).includes("stdout:waiting"), "the run to be running", 120_000, 100);
    const job = cluster.kubectl("get", "jobs,pods", "-n", NAMESPACE, "-l", `${KubeLabel.runId}=${run.runId}`, "-o", "json");
    expect(job).toContain(run.runId);
    expect(job).not.toContain("tok_k8s_secret_42");
    expect(texts(run.runId)).toContain('stdout:secrets: token = "***"');
    run.stop("user");
    await within(run.outcome, "the end of the run", 60_000);
    expect(texts(run.runId).join("\n")).not.toContain("tok_k8s_secret_42");
    expect(existsSync(overlayRoot) ? readdirSync(overlayRoot) : []).toEqual([]);
  });

  it("the run's settings are a Secret named and labelled like its Job, owned by it, mounted over .dlt, with no value in the Job's YAML, and gone after the run", async () => {
    const { executor, prepare, texts, secretStore } = setup();
    secretStore.set("ws", "prod", 'token = "tok_k8s_owned_77"\n');
    const run = await executor.start(prepare("clean"));
    await waitUntil(() => texts(run.runId).includes("stdout:waiting"), "the run to be running", 120_000, 100);
    expect(texts(run.runId)).toContain('stdout:secrets: token = "***"');
    const job = JSON.parse(cluster.kubectl("get", "jobs", "-n", NAMESPACE, "-l", `${KubeLabel.runId}=${run.runId},${KubeLabel.instance}=${INSTANCE}`, "-o", "json")).items[0];
    const name: string = job.metadata.name;
    const yaml = cluster.kubectl("get", "job", name, "-n", NAMESPACE, "-o", "yaml");
    expect(yaml).toContain(`secretName: ${name}`);
    expect(yaml).not.toContain("tok_k8s_owned_77");
    expect(yaml).not.toContain(Buffer.from('token = "tok_k8s_owned_77"\n').toString("base64"));
    const secret = JSON.parse(cluster.kubectl("get", "secret", name, "-n", NAMESPACE, "-o", "json"));
    expect(secret.metadata.labels).toEqual(job.metadata.labels);
    expect(secret.metadata.ownerReferences).toEqual([expect.objectContaining({ apiVersion: "batch/v1", kind: "Job", name, uid: job.metadata.uid })]);
    expect(Buffer.from(secret.data["prod.secrets.toml"], "base64").toString()).toBe('token = "tok_k8s_owned_77"\n');
    expect(Buffer.from(secret.data["config.toml"], "base64").toString()).toBe('from_commit = "yes"');
    const mount = job.spec.template.spec.containers[0].volumeMounts.find((one: { mountPath: string }) => one.mountPath === "/workspace/.dlt");
    expect(mount).toMatchObject({ readOnly: true });
    expect(job.spec.template.spec.volumes.find((one: { name: string }) => one.name === mount.name).secret.secretName).toBe(name);
    run.stop("user");
    await within(run.outcome, "the end of the run", 60_000);
    const secrets = () => cluster.kubectl("get", "secrets", "-n", NAMESPACE, "-l", `${KubeLabel.runId}=${run.runId},${KubeLabel.instance}=${INSTANCE}`, "-o", "name").trim();
    await waitUntil(() => secrets() === "", "the run's Secret to be deleted", 30_000, 250);
  });

  it("Kubernetes deletes the run's Secret with its Job when someone else deletes the Job while no Sluice follows it (owner reference)", async () => {
    const { executor, prepare, texts, secretStore } = setup();
    secretStore.set("ws", "prod", 'token = "tok_k8s_gc_5"\n');
    const run = await executor.start(prepare("clean"));
    await waitUntil(() => texts(run.runId).includes("stdout:waiting"), "the run to be running", 120_000, 100);
    executor.detach();
    const selector = `${KubeLabel.runId}=${run.runId},${KubeLabel.instance}=${INSTANCE}`;
    const secrets = () => cluster.kubectl("get", "secrets", "-n", NAMESPACE, "-l", selector, "-o", "name").trim();
    expect(secrets()).not.toBe("");
    cluster.kubectl("delete", "jobs", "-n", NAMESPACE, "-l", selector, "--wait=false");
    await waitUntil(() => secrets() === "", "the garbage collector to delete the Secret", 60_000, 250);
    // the pod keeps Sluice's exit finalizer; no Sluice will read it, so the test lets it go
    for (const pod of cluster.kubectl("get", "pods", "-n", NAMESPACE, "-l", selector, "-o", "name").trim().split("\n").filter(Boolean)) {
      cluster.kubectl("patch", pod, "-n", NAMESPACE, "--type=json", "-p", '[{"op":"remove","path":"/metadata/finalizers"}]');
    }
    await waitUntil(() => jobsOf(run.runId) === "", "the run's pod to be deleted", 60_000, 250);
  });

  it("recoverAll deletes a run Secret of this Sluice left without owner or Job (a Sluice stopped between creating the two)", async () => {
    const { makeExecutor } = setup({ orphanSecretsAfterMs: 0 });
    const name = `sluice-run-${INSTANCE}-orphan`;
    const labels = `sluice.managed=true,sluice.purpose=run,${KubeLabel.instance}=${INSTANCE},${KubeLabel.runId}=orphan`;
    cluster.kubectl("create", "secret", "generic", name, "-n", NAMESPACE, "--from-literal=prod.secrets.toml=x");
    cluster.kubectl("label", "secret", name, "-n", NAMESPACE, ...labels.split(","));
    await new Promise((resolve) => setTimeout(resolve, 1100)); // creation times have a resolution of seconds
    await makeExecutor().recoverAll();
    expect(cluster.kubectl("get", "secrets", "-n", NAMESPACE, "-l", labels, "-o", "name").trim()).toBe("");
  });
});

/** A statically provisioned volume (`staticStorage`): the claim and its mounts are real, dynamic provisioning is not tested. */
describe("kubernetes executor with volumes: { storageClass } (statically provisioned volume)", () => {
  let storage: StaticStorage;
  let storageClass: string;
  let volumeDir: string;

  beforeAll(() => {
    storage = staticStorage(cluster, `sluice-test-${INSTANCE}`);
    storageClass = storage.storageClass;
    volumeDir = storage.dirs[0] ?? "";
  });

  afterAll(() => {
    cluster.kubectl("delete", "pvc", "-n", NAMESPACE, "-l", `${KubeLabel.instance}=${INSTANCE}`, "--ignore-not-found", "--wait=false");
    storage.remove();
  });

  it("two runs of a workspace+profile share one claim, created once (labelled, ReadWriteOnce): the second reads what the first wrote to the data, local and global dirs; the host's data dir stays empty", async () => {
    const { executor, prepare, texts, dataRoot } = setup({ volumes: { storageClass } });
    const first = await executor.start(prepare("persist"));
    expect(await within(first.outcome, "the end of the first run", 120_000)).toMatchObject({ status: "completed", exitCode: 0 });
    const second = await executor.start(prepare("persist"));
    expect(await within(second.outcome, "the end of the second run", 120_000)).toMatchObject({ status: "completed", exitCode: 0 });
    const both = `${first.runId} ${second.runId}`;
    expect(texts(second.runId).filter((line) => line.startsWith("stdout:persist"))).toEqual([
      `stdout:persist /sluice/data/var ${both}`,
      `stdout:persist /sluice/data/local ${both}`,
      `stdout:persist /var/dlt ${both}`,
    ]);
    const created = (runId: string) => texts(runId).filter((line) => line.includes("created the data volume claim"));
    expect(created(first.runId)).toHaveLength(1);
    expect(created(second.runId)).toEqual([]);
    for (const sub of ["var", "local", "global"]) expect(readFileSync(join(volumeDir, sub, "runs.txt"), "utf8")).toBe(`${first.runId}\n${second.runId}\n`);
    expect(readdirSync(join(dataRoot, "ws", "prod", "var"))).toEqual([]);
    const claim = JSON.parse(cluster.kubectl("get", "pvc", dataClaimName("ws", "prod", INSTANCE), "-n", NAMESPACE, "-o", "json"));
    expect(claim.metadata.labels).toMatchObject({ [KubeLabel.instance]: INSTANCE, [KubeLabel.workspace]: "ws", [KubeLabel.profile]: "prod", "sluice.purpose": "data" });
    expect(claim.spec).toMatchObject({ accessModes: ["ReadWriteOnce"], storageClassName: storageClass, volumeName: `${storageClass}-0` });
    expect(claim.status.phase).toBe("Bound");
  });
});
