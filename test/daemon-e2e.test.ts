/**
 * The must-show, end to end: `sluice up` as a child process with a temp home, a hosted
 * repo (`repo add --push`), a real `git push` of the usgs fixture, runs in Docker with dlt
 * against the fake USGS API, the refresh cascade from `trigger tag:backfill`, `logs -f`, a push
 * that archives and updates jobs, and a broken push that leaves the previous deployment running.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeSources, type FakeSources } from "../fixtures/fake-sources/index.js";
import type { DeploymentRecord } from "../reconciler/history/index.js";
import type { InfoView, JobView, RunView, TriggerView } from "../cli/daemon/runtime-types.js";
import { git } from "./reconcile-support.js";
import { DaemonProcess, waitUntil } from "./daemon-e2e-support.js";

const FIXTURE = resolve(import.meta.dirname, "../fixtures/workspaces/usgs_earthquakes_workspace");
const P = "jobs.usgs_pipeline";
const ALL_JOBS = [`${P}.backfill_usgs`, `${P}.usgs_daily`, `${P}.transform_earthquakes`, `${P}.transform_feeds_summary`, `${P}.clock`].sort();

let sources: FakeSources;
let root: string;
let daemon: DaemonProcess;
let work: string;

beforeAll(async () => {
  sources = await startFakeSources({ port: 0 });
  root = mkdtempSync(join(tmpdir(), "sluice-daemon-e2e-"));
  daemon = new DaemonProcess(join(root, "home"));
  await daemon.start(
    [
      "api: { port: 0 }",
      "proxy: { port: 0 }",
      "repos: { pollInterval: 500ms }",
      "reconcile: { retryAfter: 10m }",
      "runs:",
      "  network: host",
      "  env:",
      `    SOURCES__USGS__BASE_URL: "${sources.url}"`,
      "",
    ].join("\n"),
  );
  work = join(root, "work");
  cpSync(FIXTURE, work, { recursive: true });
  git(work, "init", "-q", "-b", "main");
  git(work, "config", "user.name", "Ada Tester");
  git(work, "config", "user.email", "ada@example.test");
});

afterAll(async () => {
  await daemon?.stop();
  await sources?.close();
  if (root) rmSync(root, { recursive: true, force: true });
});

async function deployments(): Promise<DeploymentRecord[]> {
  return daemon.json<DeploymentRecord[]>("deployments", "usgs");
}

async function pushAndWait(message: string, status: "applied" | "failed"): Promise<DeploymentRecord> {
  const before = (await deployments()).length;
  git(work, "add", "-A");
  git(work, "commit", "-q", "-m", message);
  git(work, "push", "-q", "sluice", "main");
  let latest: DeploymentRecord | undefined;
  await waitUntil(
    async () => {
      const list = await deployments();
      latest = list.length > before ? list[0] : undefined;
      return latest !== undefined;
    },
    300_000,
    () => `no deployment after push "${message}"\n${daemon.output.slice(-3000)}`,
  );
  expect(latest?.status, JSON.stringify(latest?.cause)).toBe(status);
  return latest as DeploymentRecord;
}

async function runsOf(job: string): Promise<RunView[]> {
  return daemon.json<RunView[]>("runs", job, "--limit", "200");
}

async function waitForRun(job: string, match: (run: RunView) => boolean, what: string, timeoutMs = 420_000): Promise<RunView> {
  let found: RunView | undefined;
  await waitUntil(
    async () => {
      found = (await runsOf(job)).find((run) => match(run) && ["completed", "failed", "cancelled"].includes(run.status));
      return found !== undefined;
    },
    timeoutMs,
    () => `${what}\n${daemon.output.slice(-3000)}`,
  );
  return found as RunView;
}

describe("sluice daemon end to end (usgs workspace, push to deploy)", () => {
  it("deploys a push, runs the backfill cascade, follows logs, archives/updates on the next push and survives a broken one", async () => {
    const added = await daemon.cli("repo", "add", "usgs", "--push");
    expect(added.code, added.stderr).toBe(0);
    expect(added.stdout).toContain("git remote add sluice");
    git(work, "remote", "add", "sluice", join(daemon.home, "repos", "usgs.git"));

    // 1. first push: every job added
    const first = await pushAndWait("usgs workspace", "applied");
    expect(first.version).toBe(0);
    expect(first.diff?.added.map((c) => c.jobRef).filter((ref) => ref.startsWith(P)).sort()).toEqual(ALL_JOBS);
    expect(first.diff?.updated).toEqual([]);
    expect(first.diff?.archived).toEqual([]);
    const shown = await daemon.cli("deployments", "usgs");
    expect(shown.stdout).toMatch(new RegExp(`applied\\s+push\\s+${first.commit.sha.slice(0, 12)}.*\\+${first.diff?.added.length} ~0 -0`));
    const jobs = await daemon.json<JobView[]>("job", "list");
    expect(jobs.map((j) => j.jobRef)).toEqual(expect.arrayContaining(ALL_JOBS));
    expect(jobs.every((j) => j.workspace === "usgs")).toBe(true);

    // 2. the backfill cascade: backfill_usgs → usgs_daily (follow-up, refresh) → both transforms
    const dry = await daemon.json<TriggerView>("trigger", "tag:backfill", "--dry-run");
    expect(dry.selected.map((s) => s.jobRef)).toEqual([`${P}.backfill_usgs`]);
    expect(dry.followUps).toContain(`usgs/${P}.usgs_daily`);
    const triggered = await daemon.json<TriggerView>("trigger", "tag:backfill");
    const backfillRunId = triggered.runs[0]?.runId ?? "";
    expect(backfillRunId).toMatch(/^run-\d+$/);
    const backfill = await waitForRun("backfill_usgs", (r) => r.runId === backfillRunId, "backfill_usgs did not finish");
    expect(backfill.status, backfill.reason ?? "").toBe("completed");
    // where it ran: its container, in `runs --output json` and in the WHERE column of `info` and `job info`
    expect(backfill.where).toMatch(/^container [0-9a-f]{12} on this machine$/);
    expect((await daemon.cli("job", "backfill_usgs", "info")).stdout).toContain(backfill.where ?? "?");

    const followUp = `job.success:${P}.backfill_usgs`;
    const dailyStarted = Date.parse(backfill.finishedAt ?? "");
    // `logs -f` follows usgs_daily's latest run until it ends (the cascade run, or a scheduled one before it)
    await waitUntil(async () => (await runsOf("usgs_daily")).some((r) => r.trigger === followUp && r.status !== "pending" && r.status !== "skipped"), 300_000, () => "the follow-up run of usgs_daily never started");
    const followed = await daemon.cli("logs", "usgs_daily", "-f");
    expect(followed.stdout).toMatch(/run \d+ \(run-\d+\) of usgs_daily (completed|failed|cancelled)/);
    const daily = await waitForRun("usgs_daily", (r) => r.trigger === followUp, "the cascade run of usgs_daily did not finish");
    expect(daily.status, (await daemon.cli("logs", "usgs_daily", "--run", daily.runId)).stdout).toBe("completed");
    // The cascade cleared usgs_daily's watermark: its next run refreshes from the interval's start.
    // That is the cascade's follow-up, unless a scheduled tick of usgs_daily fell while the backfill
    // ran: held by freshness, it is retried at the backfill's success and runs first, and the
    // follow-up (queued behind it, concurrency 1) then finds the watermark set (scheduling.md §8.1).
    const dailies = await runsOf("usgs_daily");
    const refreshed = daily.refresh ? daily : dailies.find((r) => r.refresh && r.trigger.startsWith("schedule:") && r.number < daily.number && r.status === "completed");
    expect(refreshed, JSON.stringify(dailies.map((r) => [r.number, r.trigger, r.status, r.refresh, r.reason]))).toBeDefined();
    expect(Date.parse(refreshed?.intervalStart ?? "")).toBe(Date.parse("2026-04-01T00:00:00Z"));
    expect(Date.parse(refreshed?.intervalEnd ?? "")).toBeGreaterThan(Date.parse("2026-04-01T00:00:00Z"));
    const dailyLog = await daemon.cli("logs", "usgs_daily", "--run", refreshed?.runId ?? "?");
    expect(dailyLog.stdout).toContain("loading ['earthquakes', 'feeds_summary'] for [2026-04-01");
    expect(sources.requests.some((r) => r.path.startsWith("/fdsnws/event/1/query"))).toBe(true);

    // the transforms run after the refreshed ingest (held by freshness until usgs_daily succeeds, or triggered).
    // One at a time: two transforms started at the same instant have hung in dlt/ibis once (futex, no files open).
    for (const name of ["transform_earthquakes", "transform_feeds_summary"]) {
      await daemon.json<TriggerView>("trigger", name);
      const run = await waitForRun(name, (r) => r.status === "completed" && Date.parse(r.startedAt ?? "") >= dailyStarted, `${name} did not complete after the cascade`);
      expect(run.intervalStart, name).not.toBeNull();
      expect(run.intervalEnd, name).not.toBeNull();
      // a well-formed window; empty when the scheduled run of the same 5-minute slot finished just before the trigger
      expect(Date.parse(run.intervalEnd ?? "")).toBeGreaterThanOrEqual(Date.parse(run.intervalStart ?? ""));
    }

    // 3. a push that removes `clock` and changes a trigger of transform_feeds_summary
    const deployment = join(work, "__deployment__.py");
    writeFileSync(deployment, readFileSync(deployment, "utf8").replace("    clock,\n", "").replace('    "clock",\n', ""));
    const pipeline = join(work, "usgs_pipeline.py");
    writeFileSync(pipeline, readFileSync(pipeline, "utf8").replace('trigger=trigger.every("5m")', 'trigger=trigger.every("10m")'));
    const second = await pushAndWait("drop clock, feeds every 10m", "applied");
    expect(second.version).toBe(1);
    expect(second.diff?.archived.map((c) => c.jobRef)).toEqual([`${P}.clock`]);
    expect(second.diff?.updated.map((c) => c.jobRef)).toEqual([`${P}.transform_feeds_summary`]);
    const afterSecond = await daemon.json<JobView[]>("job", "list");
    expect(afterSecond.map((j) => j.jobRef)).not.toContain(`${P}.clock`);
    expect(afterSecond.find((j) => j.name === "transform_feeds_summary")?.defaultTrigger).toBe("every:10m");

    // 4. a broken push: the failure is recorded with its cause, version 1 keeps running
    writeFileSync(pipeline, `${readFileSync(pipeline, "utf8")}\ndef broken(:\n`);
    const third = await pushAndWait("broken", "failed");
    expect(third.cause?.message).toMatch(/SyntaxError|invalid syntax|usgs_pipeline/);
    const info = await daemon.json<InfoView>("info");
    const usgs = info.workspaces.find((w) => w.name === "usgs");
    expect(usgs?.version).toBe(1);
    expect(usgs?.latestDeployment?.status).toBe("failed");
    expect(usgs?.latestDeployment?.cause?.message).toBe(third.cause?.message);
    const text = await daemon.cli("info");
    expect(text.stdout).toContain("latest deployment FAILED");
    expect(text.stdout).toContain("version 1 keeps running");
    const stillDeployed = await daemon.json<JobView[]>("job", "list");
    expect(stillDeployed.map((j) => j.jobRef)).toEqual(afterSecond.map((j) => j.jobRef));
    const manual = await daemon.json<TriggerView>("trigger", "backfill_usgs");
    const again = await waitForRun("backfill_usgs", (r) => r.runId === manual.runs[0]?.runId, "backfill_usgs did not run after the broken push");
    expect(again.status).toBe("completed");
    expect((await daemon.cli("info")).stdout).toMatch(/WHERE[\s\S]*container [0-9a-f]{12} on this machine/);
  });
});
