/**
 * The runtime tutorial (chapters 1–4), typed as a user types it with `sluice` for `dlt runtime`:
 * each chapter's commands in the tutorial's order, run inside a copy of that chapter's workspace
 * folder (cwd), against one `sluice up` child that ends up running all four workspaces (real git,
 * Docker, dlt 1.26.0, the loopback fake APIs). Where Sluice differs from the tutorial the test
 * asserts Sluice's documented answer (docs/daemon.md, "Tutorial commands").
 */
import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeSources, type FakeSources } from "../fixtures/fake-sources/index.js";
import type { InfoView, JobInfoView, JobView, RunView, TriggerView } from "../cli/daemon/runtime-types.js";
import { DaemonProcess, sleep, waitUntil, type Shell } from "./daemon-e2e-support.js";

const WORKSPACES = resolve(import.meta.dirname, "../fixtures/workspaces");
const FRUITSHOP = "fruitshop_simple_workspace";
const GITHUB = "github_ingest_workspace";
const JAFFLE = "jaffle_shop_workspace";
const USGS = "usgs_earthquakes_workspace";
const GITHUB_TOKEN = "ghp_tutorial_token";
const ENDED = ["completed", "failed", "cancelled"];

let sources: FakeSources;
/** While set, the fake GitHub holds its answers: a run of load_commits stays active until cancelled. */
let holdGithubMs = 0;
let root: string;
let daemon: DaemonProcess;

beforeAll(async () => {
  sources = await startFakeSources({ port: 0, githubToken: GITHUB_TOKEN, delayMs: (path) => (path.startsWith("/repos/") ? holdGithubMs : 0) });
  root = mkdtempSync(join(tmpdir(), "sluice-tutorial-"));
  for (const workspace of [FRUITSHOP, GITHUB, JAFFLE, USGS]) cpSync(join(WORKSPACES, workspace), join(root, workspace), { recursive: true });
  daemon = new DaemonProcess(join(root, "home"));
  await daemon.start(
    [
      "api: { port: 0 }",
      "proxy: { port: 0 }",
      "runs:",
      "  network: host",
      "  env:",
      `    SOURCES__GITHUB__BASE_URL: "${sources.url}"`,
      `    SOURCES__JAFFLE_SHOP__BASE_URL: "${sources.url}"`,
      `    SOURCES__USGS__BASE_URL: "${sources.url}"`,
      "",
    ].join("\n"),
  );
});

afterAll(async () => {
  await daemon?.stop();
  daemon?.removeContainers();
  await sources?.close();
  if (root) rmSync(root, { recursive: true, force: true });
});

/** The CLI inside a workspace folder copy (`cd <workspace>` in the tutorial). */
function inside(workspace: string): Shell {
  return daemon.at(join(root, workspace));
}

function context(result: { stdout: string; stderr: string }): string {
  return `${result.stdout}\n${result.stderr}\n--- daemon ---\n${daemon.output.slice(-2000)}`;
}

async function runsOf(shell: Shell, job: string): Promise<RunView[]> {
  return shell.json<RunView[]>("job-run", job, "list");
}

/** Polls `job-run <job> list --output json` until a run matches (deadline `timeoutMs`). */
async function waitForRun(shell: Shell, job: string, match: (run: RunView) => boolean, what: string, timeoutMs = 300_000): Promise<RunView> {
  let found: RunView | undefined;
  await waitUntil(
    async () => {
      found = (await runsOf(shell, job)).find(match);
      return found !== undefined;
    },
    timeoutMs,
    () => `${what}\n${daemon.output.slice(-3000)}`,
  );
  return found as RunView;
}

const ended = (run: RunView) => ENDED.includes(run.status);

/**
 * `trigger "tag:transform" --refresh`, then waits for both runs. A transform whose freshness gate
 * is closed at that instant (usgs_daily has not yet covered its window) is recorded `skipped`
 * (scheduling semantics); like a user, the test then triggers that one again after a while.
 */
async function refreshTransforms(sh: Shell): Promise<RunView[]> {
  const transforms = ["transform_earthquakes", "transform_feeds_summary"];
  const done = new Map<string, RunView>();
  const deadline = Date.now() + 480_000;
  let selectors = ["tag:transform"];
  while (done.size < transforms.length) {
    if (Date.now() > deadline) throw new Error(`transforms still held after retries: ${JSON.stringify([...done.keys()])}\n${daemon.output.slice(-3000)}`);
    const fired = await sh.json<TriggerView>("trigger", ...selectors, "--refresh");
    // `cleared` names the jobs whose completed window was reset; a transform that never ran has none
    expect(transforms.map((t) => `${USGS}/jobs.usgs_pipeline.${t}`)).toEqual(expect.arrayContaining(fired.cleared));
    for (const started of fired.runs) {
      const run = await waitForRun(sh, started.job, (r) => r.runId === started.runId && (ended(r) || r.status === "skipped"), `${started.job} (--refresh) did not end`);
      // scheduling.md §8.5: a job already running (a */5 tick) keeps its watermark, is warned
      // "--refresh skipped (job is running)", and its run is dispatched without refresh: retry it
      const skippedRefresh = fired.warnings.find((w) => w.jobRef === started.key);
      if (run.status === "skipped") expect(run.reason).toContain("held by freshness");
      else if (skippedRefresh) expect(skippedRefresh.message).toMatch(/^--refresh skipped \(/);
      else done.set(run.job, run);
    }
    selectors = transforms.filter((t) => !done.has(t));
    if (selectors.length > 0) await sleep(20_000);
  }
  return transforms.map((t) => done.get(t) as RunView);
}

/** Opens an SSE endpoint (the MCP server's `sse` transport) and closes it once the headers arrive. */
async function openSse(url: string): Promise<{ status: number; contentType: string | null }> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), 30_000);
  try {
    const response = await fetch(url, { headers: { accept: "text/event-stream" }, signal: abort.signal });
    return { status: response.status, contentType: response.headers.get("content-type") };
  } finally {
    clearTimeout(timer);
    abort.abort();
  }
}

describe("chapter 1: fruitshop_simple_workspace (launch and serve plain scripts)", () => {
  it("launch -f runs the pipeline, serve answers, job list/runs/job-run/logs show both jobs, cancel ends the notebook as cancelled", async () => {
    const sh = inside(FRUITSHOP);
    const launched = await sh.cli("launch", "fruitshop_pipeline.py", "-f");
    expect(launched.code, context(launched)).toBe(0);
    expect(launched.stdout).toContain(`${FRUITSHOP}: deployed version 0`);
    expect(launched.stdout).toMatch(/run 1 \(run-\d+\) of fruitshop_pipeline completed/);

    const served = await sh.cli("serve", "fruitshop_notebook.py");
    expect(served.code, context(served)).toBe(0);
    const url = new RegExp(`is up: (http://127\\.0\\.0\\.1:\\d+/w/${FRUITSHOP}/fruitshop_notebook/)`).exec(served.stdout)?.[1];
    expect(url, served.stdout).toBeDefined();
    const page = await fetch(url ?? "");
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/marimo/i);

    const jobs = await sh.json<JobView[]>("job", "list");
    expect(jobs.filter((j) => j.workspace === FRUITSHOP).map((j) => [j.name, j.type]).sort()).toEqual([
      ["fruitshop_notebook", "interactive"],
      ["fruitshop_pipeline", "batch"],
    ]);

    const runs = await sh.cli("runs");
    expect(runs.code, context(runs)).toBe(0);
    expect(runs.stdout).toMatch(new RegExp(`run-\\d+\\s+1\\s+fruitshop_notebook\\s+${FRUITSHOP}\\s+running`));

    const pipelineRuns = await runsOf(sh, "fruitshop_pipeline");
    expect(pipelineRuns.map((r) => [r.number, r.status])).toEqual([[1, "completed"]]);
    const log = await sh.cli("logs", "fruitshop_pipeline", "1");
    expect(log.code, context(log)).toBe(0);
    expect(log.stdout).toContain("Pipeline fruitshop load step completed");

    const cancelled = await sh.cli("cancel", "fruitshop_notebook");
    expect(cancelled.code, context(cancelled)).toBe(0);
    expect(cancelled.stdout).toContain("cancelling 1 run(s)");
    const notebook = await waitForRun(sh, "fruitshop_notebook", ended, "the notebook's run did not end after cancel", 60_000);
    expect([notebook.number, notebook.status]).toEqual([1, "cancelled"]);

    // the chapter's "useful commands": info and job list work; `dashboard` is the terminal UI, which
    // needs a TTY: typed without one (as here) it says so and points at `sluice info` (docs/dashboard.md)
    const info = await sh.json<InfoView>("info");
    expect(info.workspaces.find((w) => w.name === FRUITSHOP)?.version).toBe(1);
    expect(info.daemon.proxyUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+/);
    const dashboard = await sh.cli("dashboard");
    expect(dashboard.code).toBe(1);
    expect(dashboard.stderr).toContain("needs an interactive terminal");
    expect(dashboard.stderr).toContain("sluice info");
  });
});

describe("chapter 2: github_ingest_workspace (decorators, deploy, triggers, tags)", () => {
  it("deploy --dry-run/deploy/--show-manifest, launch -f with the stored token, trigger tag:ingest (dry run too), job listings, logs -f, cancel, serve, info; serve dashboard stands in for `dashboard`", async () => {
    const sh = inside(GITHUB);
    writeFileSync(join(root, "github.secrets.toml"), `[sources.github]\naccess_token = "${GITHUB_TOKEN}"\n`);
    const secrets = await sh.plain("secrets", "set", GITHUB, "prod", "--file", join(root, "github.secrets.toml"));
    expect(secrets.code, context(secrets)).toBe(0);

    const dry = await sh.cli("deploy", "--dry-run");
    expect(dry.code, context(dry)).toBe(2); // Sluice: a dry run with changes exits 2
    expect(dry.stdout).toContain(`${GITHUB}: would deploy version 0 (dry run)`);
    for (const ref of ["jobs.github_pipeline.load_commits", "jobs.github_dq_pipeline.run_dq_checks", "jobs.github_report_notebook", "jobs.workspace.dashboard"]) {
      expect(dry.stdout).toContain(`+ ${ref}  added`);
    }
    const deployed = await sh.cli("deploy");
    expect(deployed.code, context(deployed)).toBe(0);
    expect(deployed.stdout).toContain(`${GITHUB}: deployed version 0`);
    const manifest = await sh.cli("deploy", "--show-manifest");
    expect(manifest.code, context(manifest)).toBe(0);
    expect(manifest.stdout).toContain("job_ref: jobs.github_pipeline.load_commits");

    const launched = await sh.cli("launch", "load_commits", "-f");
    expect(launched.code, context(launched)).toBe(0);
    expect(launched.stdout).toMatch(/run \d+ \(run-\d+\) of load_commits completed/);
    expect(sources.requests.some((r) => r.path.includes("/commits") && r.authorized && r.status === 200)).toBe(true);
    expect(launched.stdout).not.toContain(GITHUB_TOKEN);

    const preview = await sh.json<TriggerView>("trigger", "tag:ingest", "--dry-run");
    expect(preview.selected.map((s) => s.key)).toEqual([`${GITHUB}/jobs.github_pipeline.load_commits`]);
    expect(preview.runs).toEqual([]);
    const fired = await sh.json<TriggerView>("trigger", "tag:ingest");
    expect(fired.runs.map((r) => [r.job, r.trigger])).toEqual([["load_commits", "tag:ingest"]]);
    const scheduled = await sh.json<TriggerView>("trigger", "schedule:*", "--dry-run");
    expect(scheduled.selected.map((s) => s.key)).toEqual([`${GITHUB}/jobs.github_dq_pipeline.run_dq_checks`]);

    const served = await sh.cli("serve", "github_report_notebook");
    expect(served.code, context(served)).toBe(0);
    expect(served.stdout).toContain(`/w/${GITHUB}/github_report_notebook/`);

    const all = await sh.json<JobView[]>("job", "list");
    expect(all.filter((j) => j.workspace === GITHUB).map((j) => j.name).sort()).toEqual(
      ["dashboard", "github_dq_notebook", "github_report_notebook", "github_transformations_notebook", "load_commits", "run_dq_checks"],
    );
    const tagged = await sh.json<JobView[]>("job", "tag:ingest", "list");
    expect(tagged.map((j) => j.key)).toEqual([`${GITHUB}/jobs.github_pipeline.load_commits`]);
    const info = await sh.json<JobInfoView>("job", "load_commits", "info");
    expect(info.defaultTrigger).toBe("every:5m");
    expect(info.triggers).toEqual(expect.arrayContaining(["every:5m", "tag:ingest"]));
    expect(info.description).toContain("GitHub REST API");

    // logs -f follows the latest run (the tag:ingest one, or a scheduled one after it) to its end
    const followed = await sh.cli("logs", "load_commits", "-f");
    expect(followed.stdout, context(followed)).toMatch(/run \d+ \(run-\d+\) of load_commits (completed|cancelled)/);

    // cancel needs an active run: start one (its API calls held), then cancel it as the tutorial does
    holdGithubMs = 60_000;
    const started = await sh.json<TriggerView>("trigger", "load_commits");
    const target = started.runs[0]?.runId;
    const cancel = await sh.cli("cancel", "load_commits");
    expect(cancel.code, context(cancel)).toBe(0);
    expect(cancel.stdout).toMatch(/cancelling \d+ run\(s\)/);
    const stopped = await waitForRun(sh, "load_commits", (r) => r.runId === target && ended(r), "the cancelled load_commits run did not end", 60_000);
    expect(stopped.status).toBe("cancelled");
    holdGithubMs = 0;
    const cancelTag = await sh.cli("cancel", "tag:ingest");
    expect(cancelTag.code, context(cancelTag)).toBe(0);
    expect(cancelTag.stdout).toMatch(/no active runs matched|cancelling \d+ run\(s\)/);

    const overview = await sh.json<InfoView>("info");
    expect(overview.workspaces.find((w) => w.name === GITHUB)?.version).toBe(0);
    await sh.cli("cancel", "github_report_notebook"); // frees the notebook's container for the next chapters

    // Sluice's answer to the tutorial's `dashboard`: serve the workspace's dashboard job (docs/daemon.md)
    const dashboard = await sh.cli("serve", "dashboard");
    expect(dashboard.code, context(dashboard)).toBe(0);
    expect(dashboard.stdout).toContain(`${GITHUB}/jobs.workspace.dashboard is up: `);
    await sh.cli("cancel", "dashboard");
  });
});

describe("chapter 3: jaffle_shop_workspace (follow-up trigger, MCP server)", () => {
  it("deploy --dry-run/deploy, run-pipeline jaffle_ingest -f, the transform follows on success, serve jaffle_mcp answers SSE; bare `dashboard` resolves in the cwd workspace", async () => {
    const sh = inside(JAFFLE);
    const dry = await sh.cli("deploy", "--dry-run");
    expect(dry.code, context(dry)).toBe(2);
    expect(dry.stdout).toContain("+ jobs.jaffle_transformations.transform_jaffle  added");
    const deployed = await sh.cli("deploy");
    expect(deployed.code, context(deployed)).toBe(0);
    expect(deployed.stdout).toContain(`${JAFFLE}: deployed version 0`);

    const ingest = await sh.cli("run-pipeline", "jaffle_ingest", "-f");
    expect(ingest.code, context(ingest)).toBe(0);
    expect(ingest.stdout).toMatch(/run \d+ \(run-\d+\) of ingest_jaffle completed/);

    const followUp = "job.success:jobs.jaffle_ingestion.ingest_jaffle";
    await waitForRun(sh, "transform_jaffle", (r) => r.trigger === followUp && r.status !== "pending", "transform_jaffle did not start after the ingest", 120_000);
    const transform = await sh.cli("logs", "transform_jaffle", "-f");
    expect(transform.code, context(transform)).toBe(0);
    expect(transform.stdout).toContain("Triggered by ingestion");
    expect(transform.stdout).toMatch(/run \d+ \(run-\d+\) of transform_jaffle completed/);

    const served = await sh.cli("serve", "jaffle_mcp");
    expect(served.code, context(served)).toBe(0);
    expect(served.stdout).toMatch(new RegExp(`jobs\\.jaffle_mcp\\.jaffle_mcp is up: http://127\\.0\\.0\\.1:\\d+/w/${JAFFLE}/jaffle_mcp/`));
    const mcp = await openSse(`${/is up: (\S+)/.exec(served.stdout)?.[1] ?? ""}mcp`);
    expect(mcp).toEqual({ status: 200, contentType: expect.stringContaining("text/event-stream") });
    await sh.cli("cancel", "jaffle_mcp");

    // two deployment workspaces now have jobs.workspace.dashboard: the folder decides
    const here = await sh.json<JobInfoView>("job", "dashboard", "info");
    expect(here.key).toBe(`${JAFFLE}/jobs.workspace.dashboard`);
    const outside = await daemon.at(root).cli("job", "dashboard", "info");
    expect(outside.code).toBe(1);
    expect(outside.stderr).toContain("Job 'dashboard' exists in 2 workspaces");
  });
});

describe("chapter 4: usgs_earthquakes_workspace (intervals, freshness, backfill cascade, refresh)", () => {
  it("deploy, trigger tag:backfill cascades a refresh to usgs_daily, logs -f, launch backfill_usgs --refresh, trigger tag:transform --refresh runs both transforms, info", async () => {
    const sh = inside(USGS);
    const dry = await sh.cli("deploy", "--dry-run");
    expect(dry.code, context(dry)).toBe(2);
    expect(dry.stdout).toContain("+ jobs.usgs_pipeline.backfill_usgs  added");
    const deployed = await sh.cli("deploy");
    expect(deployed.code, context(deployed)).toBe(0);

    const backfill = await sh.cli("trigger", "tag:backfill");
    expect(backfill.code, context(backfill)).toBe(0);
    expect(backfill.stdout).toContain(`selected ${USGS}/jobs.usgs_pipeline.backfill_usgs (tag:backfill)`);
    expect(backfill.stdout).toContain(`then ${USGS}/jobs.usgs_pipeline.usgs_daily (follow-up)`);
    const followed = await sh.cli("logs", "backfill_usgs", "-f");
    expect(followed.code, context(followed)).toBe(0);
    expect(followed.stdout).toContain("initial setup for epoch: 2026-04-01");
    expect(followed.stdout).toMatch(/run 1 \(run-\d+\) of backfill_usgs completed/);

    const cascade = "job.success:jobs.usgs_pipeline.backfill_usgs";
    const daily = await waitForRun(sh, "usgs_daily", (r) => r.trigger === cascade && ended(r), "the cascade run of usgs_daily did not end");
    expect(daily.status, (await sh.cli("logs", "usgs_daily", String(daily.number))).stdout).toBe("completed");
    // The cascade cleared usgs_daily's watermark: its next run refreshes from the interval's start.
    // That is the cascade's follow-up, unless a */3 tick of usgs_daily fell while the backfill ran:
    // held by freshness, it is retried at the backfill's success and runs first, and the follow-up
    // (queued behind it, concurrency 1) then finds the watermark set (scheduling.md §8.1).
    const dailies = await runsOf(sh, "usgs_daily");
    const refreshed = daily.refresh ? daily : dailies.find((r) => r.refresh && r.trigger.startsWith("schedule:") && r.number < daily.number && r.status === "completed");
    expect(refreshed, JSON.stringify(dailies.map((r) => [r.number, r.trigger, r.status, r.refresh, r.reason]))).toBeDefined();
    expect(Date.parse(refreshed?.intervalStart ?? "")).toBe(Date.parse("2026-04-01T00:00:00Z"));

    // the tutorial monitors the transforms next; before their first */5 tick Sluice says they have not run
    const transformLog = await sh.cli("logs", "transform_earthquakes", "-f");
    if (transformLog.code === 1) expect(transformLog.stderr).toContain("Job 'transform_earthquakes' has not run yet");
    else expect(transformLog.stdout).toMatch(/of transform_earthquakes (completed|failed|cancelled)/);

    const again = await sh.cli("launch", "backfill_usgs", "--refresh");
    expect(again.code, context(again)).toBe(0);
    const second = await waitForRun(sh, "backfill_usgs", (r) => r.number === 2 && ended(r), "backfill_usgs --refresh did not end");
    expect(second.status).toBe("completed");

    const transforms = await refreshTransforms(sh);
    for (const run of transforms) {
      expect([run.job, run.status, run.refresh], (await sh.cli("logs", run.job, String(run.number))).stdout).toEqual([run.job, "completed", true]);
    }

    const info = await sh.json<InfoView>("info");
    expect(info.workspaces.map((w) => [w.name, w.status]).sort()).toEqual([FRUITSHOP, GITHUB, JAFFLE, USGS].map((name) => [name, "ready"]));
  });
});
