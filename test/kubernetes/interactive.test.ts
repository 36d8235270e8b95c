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
import { connect } from "node:net";
import { fakeLauncher, fakeServiceLauncher } from "../support/fake-launcher.js";
import { httpRequest } from "../support/http.js";
import { startProxiedServices } from "../support/interactive.js";
import { createRunHome } from "../support/run-home.js";
import { waitUntil, within } from "../support/wait.js";
import { writeFiles } from "../support/workspaces.js";
import { ensureCluster, type TestCluster } from "./cluster.js";

/** Answers a websocket upgrade with 101, then echoes every byte: a stand-in for marimo's websocket. */
const UPGRADE_ECHO = fakeLauncher(`
import socket, threading
def serve(conn):
    head = b""
    while b"\\r\\n\\r\\n" not in head:
        chunk = conn.recv(4096)
        if not chunk:
            return conn.close()
        head += chunk
    conn.sendall(b"HTTP/1.1 101 Switching Protocols\\r\\nUpgrade: websocket\\r\\nConnection: Upgrade\\r\\n\\r\\n")
    while True:
        data = conn.recv(4096)
        if not data:
            return conn.close()
        conn.sendall(data)
server = socket.socket()
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("0.0.0.0", entry["run_args"]["port"]))
server.listen()
print("echoing on", entry["run_args"]["port"], flush=True)
while True:
    conn, _ = server.accept()
    threading.Thread(target=serve, args=(conn,), daemon=True).start()
`);

/** Opens 127.0.0.1:port, sends an upgrade, then `message`; resolves with everything read until `message` came back. */
function upgradeAndEcho(port: number, message: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let received = "";
    const socket = connect({ host: "127.0.0.1", port }, () => socket.write("GET /ws HTTP/1.1\r\nhost: x\r\nupgrade: websocket\r\nconnection: Upgrade\r\n\r\n"));
    const timer = setTimeout(() => {
      reject(new Error(`no echo within 20 s; got ${JSON.stringify(received.slice(0, 80))}`));
      socket.destroy();
    }, 20_000);
    socket.on("data", (chunk: Buffer) => {
      if (!received.includes("\r\n\r\n") && (received + chunk.toString()).includes("\r\n\r\n")) socket.write(message);
      received += chunk.toString();
      if (received.endsWith(message)) {
        clearTimeout(timer);
        resolve(received);
        socket.end();
      }
    });
    socket.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    // closed before the echo: the pod does not run yet (the forward closes such connections at once)
    socket.on("close", () => {
      clearTimeout(timer);
      reject(new Error(`closed after ${JSON.stringify(received.slice(0, 80))}`));
    });
  });
}

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

function setup(idleSeconds = 600, runImage?: string, launcher = "fake_service") {
  const runHome = createRunHome("sluice-k8s-svc-");
  const { home, clock, logStore, secretStore, overlayRoot } = runHome;
  const ws = join(home, "ws");
  writeFiles(ws, { ".dlt/.workspace": "", ".dlt/config.toml": 'from_commit = "yes"', "fake_service.py": fakeServiceLauncher("0.0.0.0"), "echo_service.py": UPGRADE_ECHO });
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
    entry_point: { module: "svc", function: null, job_type: "interactive", launcher },
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

  it("carries a websocket upgrade and the bytes after it both ways through the port-forward", async () => {
    const { executor, prepare } = setup(600, undefined, "echo_service");
    const port = await findFreePort();
    const run = await executor.start(prepare(`kws-${Date.now()}`, port));
    try {
      await waitUntil(async () => upgradeAndEcho(port, "x").then(() => true, () => false), "the echo service to answer through the forward", 120_000, 250);
      const message = `hello ${"z".repeat(70_000)} end`;
      const answer = await upgradeAndEcho(port, message);
      expect(answer.split("\r\n")[0]).toBe("HTTP/1.1 101 Switching Protocols");
      expect(answer.endsWith(message)).toBe(true);
    } finally {
      run.stop("user");
      await within(run.outcome, "the echo service's outcome", 60_000);
    }
  });
});
