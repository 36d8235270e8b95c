/**
 * What `access` sees (docs/workspaces.md): the jaffle workspace's `prod` ingest runs through the
 * daemon's run starter (Docker, `runs.network: host`, the workspace data gate), which snapshots
 * the prod data dir after the run completed; the jaffle MCP server then starts under `access`
 * behind the proxy, reads that snapshot read-only and answers `tools/call row_counts` with the
 * loaded counts — while a second prod ingest writes the live DuckDB file and completes.
 */
import { existsSync, readlinkSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRunStarter, type RunStarter } from "../cli/compose/run-starter.js";
import { silentLogger } from "../core/index.js";
import { JAFFLE_COUNTS } from "../fixtures/fake-sources/index.js";
import type { RunOutcome } from "../runner/executors/index.js";
import type { InteractiveServices, ReverseProxy } from "../runner/proxy/index.js";
import { createFixtureRuntime, type DeployedWorkspace, type FixtureRuntime } from "./support/fixture-runtime.js";
import { httpRequest, openSse, type SseStream } from "./support/http.js";
import { startProxiedServices } from "./support/interactive.js";
import { waitUntil } from "./support/wait.js";

let runtime: FixtureRuntime;
let jaffle: DeployedWorkspace;
let starter: RunStarter;
let services: InteractiveServices;
let proxy: ReverseProxy;
let port: number;
const outcomes: RunOutcome[] = [];
const INGEST = "jobs.jaffle_ingestion.ingest_jaffle";

beforeAll(async () => {
  runtime = await createFixtureRuntime();
  jaffle = await runtime.deploy("jaffle");
  starter = await createRunStarter({
    kind: "docker",
    clock: runtime.clock,
    logStore: runtime.logStore,
    secretStore: runtime.secretStore,
    home: runtime.home,
    network: "host",
    env: { RUNTIME__DLTHUB_TELEMETRY: "false", SOURCES__JAFFLE_SHOP__BASE_URL: runtime.sources.url },
    logger: silentLogger,
  });
  ({ services, proxy, port } = await startProxiedServices(
    {
      clock: runtime.clock,
      context: runtime.context,
      executor: starter,
      lookup: (workspace, job) => (workspace === "jaffle" && job === "jaffle_mcp" ? { job: jaffle.job("jobs.jaffle_mcp.jaffle_mcp"), workspace: { name: "jaffle", dir: jaffle.dir } } : undefined),
      runIdPrefix: "acc",
    },
    outcomes,
  ));
});

afterAll(async () => {
  await services?.stopAll();
  await proxy?.close();
  // the starter's idle warm run containers go with it (else they stay, exited, on the engine)
  await starter?.detach();
  await runtime?.close();
});

async function ingest(): Promise<{ runId: string; outcome: RunOutcome }> {
  const run = runtime.prepare(jaffle, jaffle.job(INGEST), { trigger: "schedule:0 * * * *" });
  const outcome = await (await starter.start(run)).outcome;
  return { runId: run.runId, outcome };
}

async function rpc(sse: SseStream, endpoint: string, message: Record<string, unknown>): Promise<Record<string, unknown> | undefined> {
  const posted = await httpRequest(port, endpoint, { method: "POST", body: JSON.stringify(message), headers: { "content-type": "application/json" } });
  expect(posted.status).toBe(202);
  if (!("id" in message)) return undefined;
  const answer = await sse.next();
  expect(answer.event).toBe("message");
  return JSON.parse(answer.data) as Record<string, unknown>;
}

/** The JSON the row_counts tool returned (fastmcp puts it in the first text content). */
function toolJson(answer: Record<string, unknown> | undefined): Record<string, Record<string, unknown>> {
  const content = (answer?.result as { content?: Array<{ type: string; text: string }> } | undefined)?.content ?? [];
  const text = content.find((part) => part.type === "text")?.text;
  if (!text) throw new Error(`no text content in ${JSON.stringify(answer)}`);
  return JSON.parse(text) as Record<string, Record<string, unknown>>;
}

describe("what access sees", () => {
  it("the jaffle MCP server under access answers row_counts from the snapshot of prod's ingest, and a prod ingest completes while it reads", async () => {
    const first = await ingest();
    expect(first.outcome.status, runtime.logText(first.runId)).toBe("completed");
    const snapshots = join(runtime.dataRoot, "jaffle", "prod.snapshot");
    expect(readlinkSync(join(snapshots, "current"))).toBe("1");
    expect(existsSync(join(snapshots, "1", "local", "jaffleshop_destination.duckdb"))).toBe(true);

    const sse = await openSse(port, "/w/jaffle/jaffle_mcp/mcp");
    expect(sse.status).toBe(200);
    const endpoint = (await sse.next()).data;
    const runId = services.list().find((service) => service.job === "jaffle_mcp")?.runId ?? "";
    try {
      const init = await rpc(sse, endpoint, { jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2024-11-05", capabilities: {}, clientInfo: { name: "sluice-test", version: "0" } } });
      expect(init, runtime.logText(runId)).toMatchObject({ id: 1, result: { serverInfo: { name: "jaffle-shop-data" } } });
      await rpc(sse, endpoint, { jsonrpc: "2.0", method: "notifications/initialized" });
      const counts = toolJson(await rpc(sse, endpoint, { jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "row_counts", arguments: {} } }));
      expect(counts.jaffle_raw, runtime.logText(runId)).toMatchObject({ customers: JAFFLE_COUNTS.customers, products: JAFFLE_COUNTS.products, orders: JAFFLE_COUNTS.orders, payments: 72 });
      const log = runtime.logText(runId);
      expect(log).toContain("sluice: reading jaffle/prod data, read-only, as of snapshot 1");
      // the service's own profile wrote nothing: its DuckDB files are prod's snapshot, mounted read-only
      expect(existsSync(join(runtime.dataRoot, "jaffle", "access", "local", "jaffleshop_destination.duckdb"))).toBe(false);

      // prod keeps writing its live file while the MCP server has the snapshot open
      const second = await ingest();
      expect(second.outcome.status, runtime.logText(second.runId)).toBe("completed");
      expect(readlinkSync(join(snapshots, "current"))).toBe("2");
      // snapshot 1 is still mounted by the running service, so it is kept
      expect(existsSync(join(snapshots, "1"))).toBe(true);
      const again = toolJson(await rpc(sse, endpoint, { jsonrpc: "2.0", id: 3, method: "tools/call", params: { name: "row_counts", arguments: {} } }));
      expect(again.jaffle_raw).toMatchObject({ customers: JAFFLE_COUNTS.customers });
    } finally {
      sse.close();
      await services.stopAll();
    }
    // once the service is gone, the snapshot nobody reads any more is removed
    await waitUntil(() => !existsSync(join(snapshots, "1")), "the unused snapshot 1 to be removed", 60_000);
    expect(existsSync(join(snapshots, "2", "local", "jaffleshop_destination.duckdb"))).toBe(true);
  });
});
