/**
 * `executor: kubernetes` with `image.registry` and a `storageClass`: nothing of a run comes from
 * the daemon's disk. The daemon builds the run's image (environment + the checkout as a layer),
 * pushes it to the cluster's loopback registry (Debian's docker-registry, scripts/cluster.sh) and
 * the Job names it by digest; the data and dlt's global dir are a claim per workspace+profile
 * (bound to statically provisioned volumes: the test cluster has no provisioner).
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunView } from "../../cli/daemon/runtime-types.js";
import { DaemonProcess, waitUntil } from "../daemon-e2e-support.js";
import { duckdbQueryArgs } from "../support/duckdb-query.js";
import { copyFixtureWorkspace, writeFiles } from "../support/workspaces.js";
import { ensureCluster, staticStorage, type StaticStorage, type TestCluster } from "./cluster.js";

const JOBS = `
import time
import dlt.hub.run as run

@run.job
def count_from_registry():
    for n in range(1, 6):
        print(f"line {n}", flush=True)
        time.sleep(0.5)
`;

interface PodSpecView {
  containers: Array<{ image: string; volumeMounts: Array<{ mountPath: string }> }>;
  volumes: Array<{ name: string; hostPath?: unknown; persistentVolumeClaim?: { claimName: string }; secret?: unknown; emptyDir?: unknown }>;
}

let cluster: TestCluster;
let storage: StaticStorage;
let root: string;
let dir: string;
let daemon: DaemonProcess;

beforeAll(async () => {
  cluster = ensureCluster();
  storage = staticStorage(cluster, `sluice-registry-${process.pid}`, 3);
  root = mkdtempSync(join(tmpdir(), "sluice-k8s-registry-"));
  daemon = new DaemonProcess(join(root, "home"));
  dir = join(root, "registry_ws");
  copyFixtureWorkspace("fruitshop", dir);
  writeFiles(dir, {
    "registry_jobs.py": JOBS,
    "__deployment__.py": "from registry_jobs import count_from_registry\n\n__all__ = ['count_from_registry']\n",
    ".dlt/config.toml": "[runtime]\nlog_level = 'WARNING'\n",
  });
  const config = [
    "api: { port: 0 }",
    "proxy: { port: 0 }",
    "executor: kubernetes",
    "kubernetes:",
    `  kubeconfig: ${cluster.kubeconfig}`,
    "  namespace: default",
    `  image: { registry: "${cluster.registry}" }`,
    `  storageClass: ${storage.storageClass}`,
    "",
  ].join("\n");
  await daemon.start(config);
  const deployed = await daemon.cli("deploy", dir);
  expect(deployed.code, deployed.stdout + deployed.stderr).toBe(0);
}, 1_800_000);

afterAll(async () => {
  await daemon?.stop();
  cluster?.kubectl("delete", "pvc", "-n", "default", "-l", "sluice.purpose=data,sluice.workspace=registry_ws", "--ignore-not-found", "--wait=false");
  storage?.remove();
  if (root) rmSync(root, { recursive: true, force: true });
});


const settled = (job: string, runId: string, timeoutMs: number) => daemon.settledRun(job, runId, timeoutMs);

/** The pod spec of the run's Job, read while the Job exists (the executor deletes it once the run is recorded). */
async function jobPodSpec(runId: string): Promise<PodSpecView> {
  let spec: PodSpecView | undefined;
  await waitUntil(
    () => {
      const items = JSON.parse(cluster.kubectl("get", "jobs", "-n", "default", "-l", `sluice.run-id=${runId}`, "-o", "json")).items as Array<{ spec: { template: { spec: PodSpecView } } }>;
      spec = items[0]?.spec.template.spec;
      return spec !== undefined;
    },
    900_000,
    () => `no Job for ${runId} on the cluster\n${daemon.output.slice(-3000)}`,
  );
  return spec as PodSpecView;
}

function expectNothingFromTheDaemonsDisk(spec: PodSpecView, registry: string): void {
  expect(spec.volumes.filter((volume) => volume.hostPath !== undefined)).toEqual([]);
  expect(spec.containers[0]?.image).toMatch(new RegExp(`^${registry.replace(/\./g, "\\.")}/sluice-run-registry-ws@sha256:[0-9a-f]{64}$`));
  expect(spec.volumes.map((volume) => volume.persistentVolumeClaim?.claimName).filter(Boolean)).toEqual([expect.stringMatching(/^sluice-data-.*registry-ws-prod-[0-9a-f]{8}$/)]);
  expect(spec.containers[0]?.volumeMounts.map((mount) => mount.mountPath)).not.toContain("/workspace");
}

describe("executor: kubernetes with image.registry and storageClass", () => {
  it("a deployed job's Job mounts nothing from the daemon's disk: its image is the checkout pushed to the registry, by digest; its data dir a claim; the run completes with every line", async () => {
    const triggered = await daemon.json<{ runs: RunView[] }>("trigger", "count_from_registry");
    const runId = triggered.runs[0]?.runId ?? "";
    expectNothingFromTheDaemonsDisk(await jobPodSpec(runId), cluster.registry);
    const run = await settled("count_from_registry", runId, 300_000);
    expect(run.status, JSON.stringify(run) + daemon.output.slice(-3000)).toBe("completed");
    const logs = await daemon.cli("logs", "count_from_registry");
    expect(logs.stdout.match(/line \d+/g)).toEqual(["line 1", "line 2", "line 3", "line 4", "line 5"]);
    expect(daemon.output).toMatch(/pushed \S+\/sluice-run-registry-ws:[0-9a-f]+ \(sha256:[0-9a-f]{64}\)/);
  }, 1_200_000);

  it("launch of the fruitshop pipeline (ad hoc, from the local folder): dlt's launcher in the pod loads the four tables onto the claim's volume, none into the daemon's data dir", async () => {
    const launched = await daemon.cli("launch", "fruitshop_pipeline.py", "-f", "--dir", dir);
    expect(launched.code, launched.stdout + launched.stderr + daemon.output.slice(-3000)).toBe(0);
    const database = storage.dirs.map((volume) => join(volume, "local", "fruitshop_destination.duckdb")).find((file) => existsSync(file));
    expect(database, `no fruitshop_destination.duckdb on the volumes ${storage.dirs.join(", ")}`).toBeDefined();
    const sql = "SELECT (SELECT count(*) FROM fruitshop_data.customers), (SELECT count(*) FROM fruitshop_data.inventory_categories), (SELECT count(*) FROM fruitshop_data.inventory), (SELECT count(*) FROM fruitshop_data.purchases)";
    // any of the images pushed for this workspace has its environment (with duckdb) to read the file with
    const pushed = /pushed (\S+\/sluice-run-registry-ws:[0-9a-f]+)/.exec(daemon.output)?.[1] ?? "";
    const rows = execFileSync("docker", ["run", "--rm", "--network", "none", "-v", `${join(database ?? "", "..")}:/d:ro`, pushed, "/opt/sluice/venv/bin/python", ...duckdbQueryArgs("/d/fruitshop_destination.duckdb", sql)], { encoding: "utf8", timeout: 120_000 });
    expect(JSON.parse(rows)).toEqual([[6, 4, 8, 40]]);
    const hostData = join(daemon.home, "data");
    const hostFiles = existsSync(hostData) ? readdirSync(hostData, { recursive: true }).map(String).filter((file) => file.endsWith(".duckdb")) : [];
    expect(hostFiles).toEqual([]);
  }, 1_200_000);

  it("serves the fruitshop notebook (profile access) as a pod with no hostPath: it mounts prod's claim read-only and dlt there reads the 40 purchases the launched run loaded", async () => {
    const served = await daemon.cli("serve", "fruitshop_notebook.py", "--dir", dir);
    expect(served.code, served.stdout + served.stderr + daemon.output.slice(-3000)).toBe(0);
    const url = /is up: (http:\/\/127\.0\.0\.1:\d+\/w\/[^ ]+\/)/.exec(served.stdout)?.[1] ?? "";
    expect((await fetch(url)).status).toBe(200);
    const pods = JSON.parse(cluster.kubectl("get", "pods", "-n", "default", "-l", "sluice.interactive=true,sluice.workspace=registry_ws", "-o", "json")).items as Array<{ metadata: { name: string }; spec: PodSpecView }>;
    expect(pods).toHaveLength(1);
    const pod = pods[0]!;
    expect(pod.spec.volumes.filter((volume) => volume.hostPath !== undefined)).toEqual([]);
    expect(pod.spec.containers[0]?.image).toMatch(/\/sluice-run-registry-ws@sha256:[0-9a-f]{64}$/);
    const read = "import dlt; print(dlt.dataset('fruitshop_destination', 'fruitshop_data')('SELECT count(*) FROM purchases').fetchall())";
    const inPod = (...argv: string[]) => cluster.kubectl("exec", "-n", "default", pod.metadata.name, "--", ...argv).trim();
    expect(inPod("/opt/sluice/venv/bin/python", "-c", read)).toBe("[(40,)]");
    // prod's DuckDB files are read-only to the reader; its pipelines' state is a private, writable copy
    expect(inPod("sh", "-c", "touch /sluice/data/local/x 2>/dev/null && echo writable || echo read-only")).toBe("read-only");
    expect(inPod("sh", "-c", "touch /sluice/data/var/x && ls /sluice/data/var | grep -c .")).not.toBe("0");
    const claims = pod.spec.volumes.map((volume) => volume.persistentVolumeClaim?.claimName).filter(Boolean);
    expect(claims).toEqual([expect.stringMatching(/-registry-ws-access-[0-9a-f]{8}$/), expect.stringMatching(/-registry-ws-prod-[0-9a-f]{8}$/)]);
    const cancelled = await daemon.cli("cancel", "fruitshop_notebook");
    expect(cancelled.code, cancelled.stderr).toBe(0);
  }, 1_200_000);

  it("sluice exec runs the command in a Job on the claims (no hostPath): it sees the loaded DuckDB file, its writes to dlt's global dir reach the next exec, and its exit code is the CLI's", async () => {
    const script = [
      "import os, socket, sys",
      "print('host', socket.gethostname())",
      "print('local', sorted(f for f in os.listdir('/sluice/data/local') if f.endswith('.duckdb')))",
      "print('marker', open('/var/dlt/marker').read() if os.path.exists('/var/dlt/marker') else None)",
      "open('/var/dlt/marker', 'w').write('from exec')",
      "sys.exit(3)",
    ].join("\n");
    const first = await daemon.cli("exec", "registry_ws", "--", "/opt/sluice/venv/bin/python", "-c", script);
    expect(first.code, first.stderr + daemon.output.slice(-2000)).toBe(3);
    expect(first.stdout).toContain("host sluice-registry-ws-prod");
    expect(first.stdout).toContain("local ['fruitshop_destination.duckdb']");
    expect(first.stdout).toContain("marker None");
    expect(first.stderr).toMatch(/running in a Job on the Kubernetes cluster \(exec-[0-9a-f-]+, profile prod/);
    const second = await daemon.cli("exec", "registry_ws", "--", "/opt/sluice/venv/bin/python", "-c", script);
    expect(second.stdout).toContain("marker from exec");
    expect(cluster.kubectl("get", "jobs", "-n", "default", "-l", "sluice.purpose=exec", "-o", "name").trim()).toBe("");
    const dry = await daemon.cli("exec", "registry_ws", "--dry-run", "--", "true");
    expect(dry.code).not.toBe(0);
    expect(dry.stderr).toMatch(/runs `sluice exec` commands in a Job on its Kubernetes cluster/);
  }, 300_000);
});
