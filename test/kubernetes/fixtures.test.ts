/**
 * A fixture workspace's batch job on the real cluster, with dlt: the job from dlt's own manifest,
 * the job's environment image imported into the node, dlt's module launcher in the pod, the data
 * dir shared with the host (hostPath, the node is this machine), and the row counts asked from the
 * DuckDB file afterwards — the same assertions as the Docker executor's fixture test.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { imageEnvironments, type PreparedRun } from "../../runner/executors/index.js";
import { createKubeApi, createKubernetesExecutor } from "../../runner/kubernetes/index.js";
import { createFixtureRuntime, type FixtureRuntime } from "../support/fixture-runtime.js";
import { within } from "../support/wait.js";
import { ensureCluster, type TestCluster } from "./cluster.js";

let cluster: TestCluster;
let runtime: FixtureRuntime;

beforeAll(async () => {
  cluster = ensureCluster();
  runtime = await createFixtureRuntime();
});

afterAll(async () => {
  await runtime?.close();
});

describe("fixture workspaces on Kubernetes", () => {
  it("fruitshop: the ad-hoc module job runs in a pod through dlt's launcher and loads its four tables", async () => {
    const ws = await runtime.deploy("fruitshop", { script: "fruitshop_pipeline.py" });
    const environments = imageEnvironments(runtime.engine, { onProgress: () => {} });
    const imported = new Set<string>();
    const environmentFor = async (run: PreparedRun) => {
      const environment = await environments(run);
      if (!imported.has(environment.image)) cluster.importImage(environment.image);
      imported.add(environment.image);
      return environment;
    };
    const executor = createKubernetesExecutor({
      api: createKubeApi({ kubeconfig: cluster.kubeconfig }),
      clock: runtime.clock,
      logStore: runtime.logStore,
      secretStore: runtime.secretStore,
      overlayRoot: runtime.overlayRoot,
      namespace: "default",
      pullPolicy: "Never",
      instance: runtime.instance,
      environmentFor,
    });
    const run = runtime.prepare(ws, ws.job("jobs.fruitshop_pipeline"));
    const outcome = await within((await executor.start(run)).outcome, "the end of the fruitshop run", 300_000);
    const logs = runtime.logText(run.runId);
    expect(outcome, logs).toMatchObject({ status: "completed", exitCode: 0, reason: null, stopCause: null });
    const counts = await runtime.query(
      ws,
      "prod",
      "fruitshop_destination.duckdb",
      "SELECT (SELECT count(*) FROM fruitshop_data.customers), (SELECT count(*) FROM fruitshop_data.inventory_categories), (SELECT count(*) FROM fruitshop_data.inventory), (SELECT count(*) FROM fruitshop_data.purchases)",
    );
    expect(counts).toEqual([[6, 4, 8, 40]]);
  });
});
