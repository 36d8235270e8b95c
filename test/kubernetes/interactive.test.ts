/**
 * Interactive runs on the real single-node cluster (scripts/cluster.sh): a Python HTTP server in a
 * pod stands in for a notebook or MCP server. The daemon reaches it on a loopback port through a
 * port-forward (API server → pod behind the run's ClusterIP Service), directly and through the
 * proxy at /w/<workspace>/<job>/; when the run stops, Pod, Service and settings Secret are gone.
 */
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { createDockerodeEngine } from "../../runner/docker/index.js";
import type { RunOutcome } from "../../runner/executors/index.js";
import type { RunnableJob } from "../../runner/executors/job-shape.js";
import { prepareRun } from "../../runner/executors/prepare-run.js";
import { ensureBaseImage } from "../../runner/images/index.js";
import { createKubeApi, createKubernetesServiceExecutor, createServiceApi, KubeLabel, SERVICE_LABEL, type KubeApi, type ServiceApi } from "../../runner/kubernetes/index.js";
import { findFreePort, waitForHttp } from "../../runner/proxy/index.js";
import { fakeServiceLauncher } from "../support/fake-launcher.js";
import { httpRequest } from "../support/http.js";
import { startProxiedServices } from "../support/interactive.js";
import { createRunHome } from "../support/run-home.js";
import { waitUntil, within } from "../support/wait.js";
import { writeFiles } from "../support/workspaces.js";
import { ensureCluster, type TestCluster } from "./cluster.js";

const INSTANCE = `ki${randomBytes(3).toString("hex")}`;
const NAMESPACE = "default";
let cluster: TestCluster;
let api: KubeApi;
let services: ServiceApi;
let image: string;

beforeAll(async () => {
  cluster = ensureCluster();
  image = (await ensureBaseImage(createDockerodeEngine())).tag;
  cluster.importImage(image);
  api = createKubeApi({ kubeconfig: cluster.kubeconfig });
  services = createServiceApi({ kubeconfig: cluster.kubeconfig });
});

function setup(idleSeconds = 600, runImage?: string) {
  const runHome = createRunHome("sluice-k8s-svc-");
  const { home, clock, logStore, secretStore, overlayRoot } = runHome;
  const ws = join(home, "ws");
  writeFiles(ws, { ".dlt/.workspace": "", ".dlt/config.toml": 'from_commit = "yes"', "fake_service.py": fakeServiceLauncher("0.0.0.0") });
  const makeExecutor = () => createKubernetesServiceExecutor({
    api,
    services,
    clock,
    logStore,
    secretStore,
    overlayRoot,
    namespace: NAMESPACE,
    pullPolicy: "Never",
    instance: INSTANCE,
    environmentFor: async () => ({ image: runImage ?? image, python: "/usr/bin/python3" }),
    pollMs: 250,
  });
  const executor = makeExecutor();
  const job: RunnableJob = {
    job_ref: "jobs.svc",
    entry_point: { module: "svc", function: null, job_type: "interactive", launcher: "fake_service" },
    execute: { timeout: { timeout: idleSeconds, grace_period: 2 } },
    require: { machine: "small" },
  };
  const context = { ...runHome.context, machines: { small: { cpus: 0.25, memoryMb: 128 } } };
  const prepare = (runId: string, port: number) => prepareRun(job, { name: "ws", dir: ws }, { runId, trigger: "http:", refresh: false, runArgs: { port } }, context, clock.now());
  return { executor, makeExecutor, job, ws, clock, context, prepare, logStore };
}

/** The run's pods and Services of this file's instance, as `kind/name` lines. */
const objectsOf = (runId: string) => cluster.kubectl("get", "pods,services,secrets", "-n", NAMESPACE, "-l", `${KubeLabel.runId}=${runId},${KubeLabel.instance}=${INSTANCE}`, "-o", "name").trim();

describe("kubernetes interactive runs on a real cluster", () => {
  it("serves the pod on 127.0.0.1:<run_args.port> through its ClusterIP Service; a user stop deletes Pod, Service and Secret after recording the outcome", async () => {
    const { executor, prepare, logStore } = setup();
    const port = await findFreePort();
    const runId = `ksvc-${Date.now()}`;
    const run = await executor.start(prepare(runId, port));
    await waitForHttp(port, { timeoutMs: 120_000 });
    const answer = JSON.parse((await httpRequest(port, "/hello")).body) as { run: string; path: string; profile: string };
    expect(answer).toEqual({ run: runId, path: "/hello", base: null, profile: "prod" });

    const service = JSON.parse(cluster.kubectl("get", "service", "-n", NAMESPACE, "-l", `${KubeLabel.runId}=${runId},${KubeLabel.instance}=${INSTANCE}`, "-o", "json")) as {
      items: Array<{ spec: { type: string; selector: Record<string, string>; ports: Array<{ port: number; targetPort: number }> } }>;
    };
    expect(service.items).toHaveLength(1);
    expect(service.items[0]?.spec).toMatchObject({ type: "ClusterIP", selector: { [KubeLabel.runId]: runId, [KubeLabel.instance]: INSTANCE, [SERVICE_LABEL]: "true" }, ports: [{ port, targetPort: port }] });
    const endpoints = cluster.kubectl("get", "endpointslices", "-n", NAMESPACE, "-l", `kubernetes.io/service-name=${objectsOf(runId).split("\n").find((line) => line.startsWith("service/"))?.slice(8) ?? "?"}`, "-o", "jsonpath={.items[*].endpoints[*].conditions.ready}");
    expect(endpoints).toBe("true");
    expect(await within(run.placement ?? Promise.resolve(""), "the run's placement", 10_000)).toMatch(/^pod sluice-run-.* on node 127\.0\.0\.1$/);

    expect(run.stop("user")).toBe(true);
    const outcome = await within(run.outcome, "the stopped service's outcome", 60_000);
    expect(outcome).toMatchObject({ runId, status: "cancelled", stopCause: "user" });
    expect(logStore.read(runId).lines.map((line) => line.text)).toContain(`serving on ${port}`);
    await waitUntil(() => objectsOf(runId) === "", "the run's Pod, Service and Secret to be deleted", 60_000, 250);
    await expect(httpRequest(port, "/hello")).rejects.toThrow(/ECONNREFUSED/);
  });

  it("is reached through the proxy at /w/ws/svc/ and stopped when idle: completed with stop cause idle, Pod and Service gone", async () => {
    const { executor, job, ws, clock, context } = setup(3);
    const outcomes: RunOutcome[] = [];
    const proxied = await startProxiedServices(
      { clock, context, executor, lookup: (w, j) => (w === "ws" && j === "svc" ? { job, workspace: { name: "ws", dir: ws } } : undefined), runIdPrefix: `kidle-${Date.now()}` },
      outcomes,
    );
    try {
      const answer = JSON.parse((await httpRequest(proxied.port, "/w/ws/svc/x")).body) as { run: string; path: string };
      expect(answer.path).toBe("/x");
      expect(objectsOf(answer.run)).toMatch(/service\/sluice-run-/);
      await waitUntil(() => outcomes.length > 0, "the idle stop", 120_000, 100);
      expect(outcomes[0]).toMatchObject({ runId: answer.run, status: "completed", stopCause: "idle" });
      await waitUntil(() => objectsOf(answer.run) === "", "the run's Pod and Service to be deleted", 60_000, 250);
    } finally {
      await proxied.close();
    }
  });

  it("re-attaches to a running service after a daemon restart (detach, new executor): forwarded on the same port again, each output line once, then stopped and deleted", async () => {
    const { executor, makeExecutor, prepare, logStore } = setup();
    const port = await findFreePort();
    const runId = `kadopt-${Date.now()}`;
    await executor.start(prepare(runId, port));
    await waitForHttp(port, { timeoutMs: 120_000 });
    executor.detach();
    await waitUntil(async () => httpRequest(port, "/").then(() => false, () => true), "the detached executor to let go of its port", 10_000, 100);
    expect(objectsOf(runId)).toMatch(/pod\/sluice-run-/);

    const next = makeExecutor();
    const adopted = await next.recoverAll();
    expect(adopted.map((one) => one.runId)).toEqual([runId]);
    await waitForHttp(port, { timeoutMs: 30_000 });
    expect((JSON.parse((await httpRequest(port, "/again")).body) as { run: string }).run).toBe(runId);
    adopted[0]?.run.stop("user");
    expect(await within(adopted[0]!.run.outcome, "the adopted service's outcome", 60_000)).toMatchObject({ status: "cancelled", stopCause: "user" });
    const texts = logStore.read(runId).lines.map((line) => line.text);
    expect(texts.filter((text) => text === `serving on ${port}`)).toHaveLength(1);
    expect(texts).toContain("sluice: re-attached to the run's pod after a restart");
    await waitUntil(() => objectsOf(runId) === "", "the adopted run's Pod, Service and Secret to be deleted", 60_000, 250);
  });

  it("fails a service whose image the node does not have with Kubernetes' reason, and deletes its Pod and Service", async () => {
    const { executor, prepare } = setup(600, "sluice/no-such-image:never");
    const runId = `kimg-${Date.now()}`;
    const run = await executor.start(prepare(runId, await findFreePort()));
    const outcome = await within(run.outcome, "the failed service's outcome", 60_000);
    expect(outcome.status).toBe("failed");
    expect(outcome.reason).toMatch(/image sluice\/no-such-image:never cannot be used on the cluster \(ErrImageNeverPull/);
    await waitUntil(() => objectsOf(runId) === "", "the failed run's Pod, Service and Secret to be deleted", 60_000, 250);
  });
});
