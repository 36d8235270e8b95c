/**
 * Real workspaces on one daemon (issue 8's must-show): `sluice up` as a child process (Docker
 * executor, `runs.network: host` so runs reach the fake APIs on 127.0.0.1), one `git push` of the
 * whole hub_pack repo to a hosted repo added without --path. Both deployment workspaces deploy,
 * scratch_workspace is skipped; both dashboards answer through the proxy; a trial licence issued
 * with `sluice exec` lets the `@dlt.hub.transformation` follow-up of the bakery ingest complete;
 * the bakery MCP server answers `row_counts` with the loaded counts; the two tides jobs started at
 * the same instant both complete. Environments are built once per workspace (by the push) and
 * reused by every later step.
 */
import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { InfoView, JobView, RunView, TriggerView } from "../cli/daemon/runtime-types.js";
import { BAKERY_COUNTS, TIDES_COUNTS, startFakeSources, type FakeSources } from "../fixtures/fake-sources/index.js";
import type { DeploymentRecord } from "../reconciler/history/index.js";
import type { RepoStatus } from "../reconciler/reconcile/index.js";
import { DaemonProcess, execCli, waitUntil } from "./daemon-e2e-support.js";
import { git } from "./reconcile-support.js";
import { httpRequest } from "./support/http.js";
import { openMcpHttp } from "./support/mcp-http.js";
import { FIXTURES_DIR } from "./support/workspaces.js";

const REPO = join(FIXTURES_DIR, "repos", "hub_pack");
const BAKERY = "bakery_workspace";
const TIDES = "tides_workspace";
const ENDED = ["completed", "failed", "cancelled", "skipped"];

let sources: FakeSources;
let root: string;
let daemon: DaemonProcess;
let work: string;

beforeAll(async () => {
  sources = await startFakeSources({ port: 0 });
  root = mkdtempSync(join(tmpdir(), "sluice-hub-pack-e2e-"));
  daemon = new DaemonProcess(join(root, "home"));
  await daemon.start(
    [
      "api: { port: 0 }",
      "proxy: { port: 0 }",
      "repos: { pollInterval: 500ms }",
      "reconcile: { retryAfter: 10m, generateTimeout: 20m }",
      "runs:",
      "  network: host",
      "  env:",
      `    SOURCES__BAKERY__BASE_URL: "${sources.url}/v2"`,
      `    TIDEWATCH_API_URL: "${sources.url}/api"`,
      "    DESTINATION__BAKERY_WAREHOUSE__DESTINATION_TYPE: duckdb",
      "    DESTINATION__TIDES_LAKE__DESTINATION_TYPE: duckdb",
      "    DESTINATION__SCRATCH_DB__DESTINATION_TYPE: duckdb",
      "",
    ].join("\n"),
  );
  work = join(root, "hub_pack");
  cpSync(REPO, work, { recursive: true, filter: (path) => !/[\\/](_local|\.var|__pycache__)([\\/]|$)/.test(path) });
  writeFileSync(join(work, ".gitignore"), "secrets.toml\n*.secrets.toml\n_local/\n.dlt/.var/\n*.duckdb\n__pycache__/\n");
  git(work, "init", "-q", "-b", "main");
  git(work, "config", "user.name", "Ada Tester");
  git(work, "config", "user.email", "ada@example.test");
  git(work, "add", "-A");
  git(work, "commit", "-q", "-m", "hub pack: bakery, tides, scratch");
}, 120_000);

afterAll(async () => {
  await daemon?.stop();
  await sources?.close();
  if (root) rmSync(root, { recursive: true, force: true });
});


async function runsOf(job: string): Promise<RunView[]> {
  return daemon.json<RunView[]>("job-run", job, "list");
}

async function logOf(run: RunView | undefined): Promise<string> {
  if (!run) return "(no run)";
  return (await daemon.cli("logs", `${run.workspace ?? ""}/${run.job}`, "--run", run.runId)).stdout;
}

/** Waits until a run of `job` matching `match` has ended and returns it. */
async function ended(job: string, match: (run: RunView) => boolean, timeoutMs: number): Promise<RunView> {
  let found: RunView | undefined;
  await waitUntil(
    async () => {
      found = (await runsOf(job)).find((run) => match(run) && ENDED.includes(run.status));
      return found !== undefined;
    },
    timeoutMs,
    () => `no ended run of ${job}; runs: ${JSON.stringify(found)}\n${daemon.output.slice(-3000)}`,
  );
  return found as RunView;
}

async function pushAndDeploy(): Promise<RepoStatus> {
  const added = await daemon.cli("repo", "add", "hub", "--push");
  expect(added.code, added.stderr).toBe(0);
  git(work, "remote", "add", "sluice", join(daemon.home, "repos", "hub.git"));
  git(work, "push", "-q", "sluice", "main");
  const applied = async (workspace: string): Promise<DeploymentRecord | undefined> => {
    const result = await daemon.cli("deployments", workspace, "--output", "json");
    return result.code === 0 ? (JSON.parse(result.stdout) as DeploymentRecord[])[0] : undefined;
  };
  // the first push builds both workspace environments (dlt[hub], marimo, fastmcp): slow on 2 cores
  await waitUntil(async () => (await applied(BAKERY)) !== undefined && (await applied(TIDES)) !== undefined, 1_500_000, () => `both workspaces not deployed\n${daemon.output.slice(-4000)}`);
  for (const workspace of [BAKERY, TIDES]) {
    const record = await applied(workspace);
    expect(record?.status, `${workspace}: ${JSON.stringify(record?.cause)}`).toBe("applied");
  }
  const [repo] = await daemon.json<RepoStatus[]>("repo", "list");
  return repo as RepoStatus;
}

describe("hub_pack repo on one daemon (real dlt[hub] workspaces, Docker)", () => {
  it("one push deploys bakery and tides (scratch skipped), both dashboards answer 200, the licensed follow-up completes, MCP row_counts answers the loaded counts, both same-instant tides jobs complete; repo remove stops the services and info forgets the workspaces", async () => {
    // 1. one push: two deployment workspaces, each with its own jobs.workspace.dashboard; scratch skipped
    const repo = await pushAndDeploy();
    expect(repo.workspaces.map((w) => [w.name, w.path]).sort()).toEqual([
      [BAKERY, BAKERY],
      [TIDES, TIDES],
    ]);
    expect(repo.skipped.map((s) => s.path)).toEqual(["scratch_workspace"]);
    expect((await daemon.cli("repo", "list")).stdout).toContain("skipped folders:\n  hub: scratch_workspace:");
    const jobs = await daemon.json<JobView[]>("job", "list");
    expect(jobs.filter((j) => j.jobRef === "jobs.workspace.dashboard").map((j) => j.key).sort()).toEqual([`${BAKERY}/jobs.workspace.dashboard`, `${TIDES}/jobs.workspace.dashboard`]);

    // 2. each workspace's dashboard through the proxy
    for (const workspace of [BAKERY, TIDES]) {
      const served = await daemon.json<{ url: string; workspace: string; jobRef: string }>("serve", `${workspace}/dashboard`);
      expect(served.workspace).toBe(workspace);
      const url = new URL(served.url);
      expect(url.pathname).toBe(`/w/${workspace}/dashboard/`);
      const page = await httpRequest(Number(url.port), url.pathname);
      expect(page.status, `${workspace} dashboard: ${page.body.slice(0, 500)}`).toBe(200);
    }

    // 3. trial licence via exec, then the ingest and its licensed follow-up
    const issued = await execCli(daemon.home, [BAKERY, "--", "dlt", "license", "issue", "dlthub.transformation"]);
    expect(issued.code, issued.stdout + issued.stderr).toBe(0);
    const triggered = await daemon.json<TriggerView>("trigger", `${BAKERY}/ingest_sales`);
    expect(triggered.followUps).toContain(`${BAKERY}/jobs.bakery_reports.build_reports`);
    const ingestId = triggered.runs[0]?.runId;
    const ingest = await ended(`${BAKERY}/ingest_sales`, (r) => r.runId === ingestId, 600_000);
    expect(ingest.status, await logOf(ingest)).toBe("completed");
    // the follow-up of this ingest (a scheduled hourly ingest may have fired one before the licence existed)
    const after = Date.parse(ingest.startedAt ?? "");
    const reports = await ended(`${BAKERY}/build_reports`, (r) => r.trigger === "job.success:jobs.bakery_ingest.ingest_sales" && Date.parse(r.createdAt) >= after, 600_000);
    expect(reports.status, await logOf(reports)).toBe("completed");
    expect(sources.requests.some((r) => r.path.startsWith("/v2/sales"))).toBe(true);

    // 4. the bakery MCP server through the proxy answers row_counts with what the runs loaded
    const mcp = await daemon.json<{ url: string }>("serve", `${BAKERY}/bakery_tools`);
    const mcpUrl = new URL(mcp.url);
    const session = await openMcpHttp(Number(mcpUrl.port), `${mcpUrl.pathname.replace(/\/$/, "")}/mcp`);
    const counts = (await session.tool("row_counts")) as Record<string, Record<string, number>>;
    expect(counts.bakery_raw).toMatchObject({ items: BAKERY_COUNTS.items, sales: BAKERY_COUNTS.sales });
    expect(counts.bakery_reports).toMatchObject({ sales_by_shop: 3, top_items: BAKERY_COUNTS.items });

    // 5. both tides jobs at the same instant (one DuckDB file): both complete
    const tides = await daemon.json<TriggerView>("trigger", "tag:tides");
    expect(tides.runs.map((r) => r.jobRef).sort()).toEqual(["jobs.tides_pipeline.load_readings", "jobs.tides_pipeline.load_stations"]);
    for (const run of tides.runs) {
      const done = await ended(`${TIDES}/${run.job}`, (r) => r.runId === run.runId, 600_000);
      expect(done.status, await logOf(done)).toBe("completed");
    }
    expect(sources.requests.filter((r) => r.path === "/api/readings").length).toBeGreaterThanOrEqual(Math.ceil(TIDES_COUNTS.readings / 40));

    // 6. removing the repo archives every job, stops the services it served, and info forgets it
    const services = [`${BAKERY}/dashboard`, `${TIDES}/dashboard`, `${BAKERY}/bakery_tools`];
    const live = await Promise.all(services.map(async (job) => (await runsOf(job)).find((r) => r.status === "running")));
    expect(live.every((run) => run !== undefined), JSON.stringify(live)).toBe(true);
    const removed = await daemon.cli("repo", "remove", "hub");
    expect(removed.code, removed.stderr).toBe(0);
    for (const [index, job] of services.entries()) {
      const stopped = await ended(job, (r) => r.runId === live[index]?.runId, 120_000);
      expect([stopped.status, stopped.reason]).toEqual(["cancelled", "stopped: its job is no longer deployed"]);
    }
    const info = await daemon.json<InfoView>("info");
    expect(info.workspaces.map((w) => w.name)).not.toContain(BAKERY);
    expect(info.workspaces.map((w) => w.name)).not.toContain(TIDES);
  }, 3_600_000);
});
