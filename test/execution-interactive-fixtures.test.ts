/**
 * Interactive jobs of the fixture workspaces behind the reverse proxy, in containers (bridge
 * network, port published on 127.0.0.1 only): the jaffle MCP server (dlt's job launcher hands the
 * returned FastMCP to its MCP runner, SSE transport at /mcp) and the fruitshop marimo notebook.
 * The MCP endpoint announced over SSE carries the proxy prefix (the proxy rewrites it), so a client
 * posts its messages where it is told. The first request starts the service, the idle timeout (shortened to a few seconds) stops it —
 * its container is gone — and the next request brings it back as a new run.
 */
import { execFileSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RunLabel, type RunnableJob, type RunOutcome } from "../runner/executors/index.js";
import type { InteractiveServices, ReverseProxy } from "../runner/proxy/index.js";
import { createFixtureRuntime, type DeployedWorkspace, type FixtureRuntime } from "./support/fixture-runtime.js";
import { httpRequest, openSse, type SseStream } from "./support/http.js";
import { startProxiedServices } from "./support/interactive.js";
import { waitUntil } from "./support/wait.js";

const IDLE_SECONDS = 4;
const GRACE_SECONDS = 10;

let runtime: FixtureRuntime;
let services: InteractiveServices;
let proxy: ReverseProxy;
let port: number;
const deployed = new Map<string, DeployedWorkspace>();
/** `<workspace>/<short job name>` → job ref */
const routes = new Map<string, string>([
  ["jaffle/jaffle_mcp", "jobs.jaffle_mcp.jaffle_mcp"],
  ["fruitshop/fruitshop_notebook", "jobs.fruitshop_notebook"],
]);
const outcomes: RunOutcome[] = [];

/** The deployed job with its idle timeout shortened for the test. */
function withShortIdle(job: RunnableJob): RunnableJob {
  return { ...job, execute: { ...job.execute, timeout: { timeout: IDLE_SECONDS, grace_period: GRACE_SECONDS } } };
}

beforeAll(async () => {
  runtime = await createFixtureRuntime();
  deployed.set("jaffle", await runtime.deploy("jaffle"));
  deployed.set("fruitshop", await runtime.deploy("fruitshop", { script: "fruitshop_notebook.py" }));
  ({ services, proxy, port } = await startProxiedServices(
    {
      clock: runtime.clock,
      context: runtime.context,
      executor: runtime.executor("bridge"),
      lookup: (workspace, job) => {
        const ref = routes.get(`${workspace}/${job}`);
        const ws = deployed.get(workspace);
        return ref && ws ? { job: withShortIdle(ws.job(ref)), workspace: { name: ws.name, dir: ws.dir } } : undefined;
      },
      runIdPrefix: "ix",
    },
    outcomes,
  ));
});

afterAll(async () => {
  await services?.stopAll();
  await proxy?.close();
  await runtime?.close();
});

/** `docker ps` (running containers only) filtered by the run labels of one job. */
function runningContainersOf(jobRef: string): string[] {
  return execFileSync("docker", ["ps", "-q", "--filter", "label=sluice.purpose=run", "--filter", `label=${RunLabel.jobRef}=${jobRef}`], { encoding: "utf8" })
    .split("\n")
    .filter(Boolean);
}

async function waitForOutcome(runId: string): Promise<RunOutcome> {
  await waitUntil(() => outcomes.some((outcome) => outcome.runId === runId), `the end of run ${runId}`, 60_000);
  return outcomes.find((outcome) => outcome.runId === runId)!;
}

function currentRunId(workspace: string, job: string): string {
  const runId = services.list().find((service) => service.workspace === workspace && service.job === job)?.runId;
  if (!runId) throw new Error(`no service for ${workspace}/${job}`);
  return runId;
}

/** Opens the MCP SSE stream through the proxy and returns it with the message endpoint it announced. */
async function openMcp(): Promise<{ sse: SseStream; endpoint: string }> {
  const sse = await openSse(port, "/w/jaffle/jaffle_mcp/mcp");
  expect(sse.status).toBe(200);
  expect(sse.contentType).toContain("text/event-stream");
  const first = await sse.next();
  expect(first.event).toBe("endpoint");
  return { sse, endpoint: first.data };
}

async function rpc(sse: SseStream, endpoint: string, message: Record<string, unknown>): Promise<Record<string, unknown> | undefined> {
  // posted where the server said, as an MCP client does (the proxy put its prefix into the announcement)
  const posted = await httpRequest(port, endpoint, { method: "POST", body: JSON.stringify(message), headers: { "content-type": "application/json" } });
  expect(posted.status).toBe(202);
  if (!("id" in message)) return undefined;
  const answer = await sse.next();
  expect(answer.event).toBe("message");
  return JSON.parse(answer.data) as Record<string, unknown>;
}

describe("interactive fixture jobs behind the proxy", () => {
  it("jaffle MCP server: answers MCP over SSE, is gone after the idle timeout, comes back on the next request", async () => {
    const { sse, endpoint } = await openMcp();
    expect(endpoint).toMatch(/^\/w\/jaffle\/jaffle_mcp\/messages\/\?session_id=[0-9a-f]+$/);
    const runId = currentRunId("jaffle", "jaffle_mcp");
    expect(runningContainersOf("jobs.jaffle_mcp.jaffle_mcp")).toHaveLength(1);

    const init = await rpc(sse, endpoint, { jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2024-11-05", capabilities: {}, clientInfo: { name: "sluice-test", version: "0" } } });
    expect(init).toMatchObject({ id: 1, result: { serverInfo: { name: "jaffle-shop-data" } } });
    await rpc(sse, endpoint, { jsonrpc: "2.0", method: "notifications/initialized" });
    const tools = (await rpc(sse, endpoint, { jsonrpc: "2.0", id: 2, method: "tools/list" })) as { result?: { tools?: Array<{ name: string }> } };
    expect(tools.result?.tools?.map((tool) => tool.name)).toContain("row_counts");

    // an open stream keeps the service alive; idle time counts from its close
    sse.close();
    const closedMs = Date.now();
    const outcome = await waitForOutcome(runId);
    expect(outcome, runtime.logText(runId)).toMatchObject({ status: "completed", stopCause: "idle", reason: "stopped after the idle timeout", killSentMs: null });
    const idleMs = (outcome.termSentMs ?? 0) - closedMs;
    expect(idleMs).toBeGreaterThanOrEqual(IDLE_SECONDS * 1000 - 100);
    expect(runningContainersOf("jobs.jaffle_mcp.jaffle_mcp")).toEqual([]);
    expect(await runtime.runContainers({ [RunLabel.runId]: runId })).toEqual([]);

    const again = await openMcp();
    const secondRunId = currentRunId("jaffle", "jaffle_mcp");
    expect(secondRunId).not.toBe(runId);
    expect(runningContainersOf("jobs.jaffle_mcp.jaffle_mcp")).toHaveLength(1);
    again.sse.close();
    expect(await waitForOutcome(secondRunId)).toMatchObject({ status: "completed", stopCause: "idle" });
    expect(runningContainersOf("jobs.jaffle_mcp.jaffle_mcp")).toEqual([]);
  });

  it("fruitshop marimo notebook: served under its base path, stopped when idle, started again", async () => {
    const page = await httpRequest(port, "/w/fruitshop/fruitshop_notebook/");
    const runId = currentRunId("fruitshop", "fruitshop_notebook");
    expect(page.status, runtime.logText(runId)).toBe(200);
    expect(page.body.toLowerCase()).toContain("marimo");
    const answeredMs = Date.now();
    expect(runningContainersOf("jobs.fruitshop_notebook")).toHaveLength(1);

    const outcome = await waitForOutcome(runId);
    expect(outcome, runtime.logText(runId)).toMatchObject({ status: "completed", stopCause: "idle", killSentMs: null });
    expect((outcome.termSentMs ?? 0) - answeredMs).toBeGreaterThanOrEqual(IDLE_SECONDS * 1000 - 100);
    expect(runningContainersOf("jobs.fruitshop_notebook")).toEqual([]);

    const again = await httpRequest(port, "/w/fruitshop/fruitshop_notebook/");
    expect(again.status).toBe(200);
    const secondRunId = currentRunId("fruitshop", "fruitshop_notebook");
    expect(secondRunId).not.toBe(runId);
    expect(runningContainersOf("jobs.fruitshop_notebook")).toHaveLength(1);
    expect(await waitForOutcome(secondRunId)).toMatchObject({ status: "completed", stopCause: "idle" });
    expect(runningContainersOf("jobs.fruitshop_notebook")).toEqual([]);
  });
});
