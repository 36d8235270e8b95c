import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Database } from "../../core/index.js";
import { TypedEvents, VirtualClock, openDatabase } from "../../core/index.js";
import { canonicalHash } from "../diff/index.js";
import { DeploymentHistory } from "../history/index.js";
import type { ReconcilerEventMap } from "./events.js";
import { InMemoryDeploymentTarget } from "./in-memory-target.js";
import type { ManifestPortResult, ManifestPort, WorkspaceGitPort } from "./ports.js";
import { WorkspaceReconciler } from "./workspace-reconciler.js";
import { schemaManifestValidator } from "./schema-validator.js";

/** Commits as plain data: sha → folder tree and the job refs the "generator" finds there. */
class CommitTable implements WorkspaceGitPort, ManifestPort {
  readonly commits = new Map<string, { tree: string; jobs: string[] }>();
  /** While > 0, reading a tree fails like an unreachable git (and counts down). */
  gitOutages = 0;
  async treeOf(sha: string) {
    if (this.gitOutages > 0) {
      this.gitOutages--;
      throw new Error("fatal: unable to access the repository: Connection refused");
    }
    return this.commits.get(sha)?.tree ?? null;
  }
  async commitMeta(sha: string) {
    return { sha, authorName: "Ada" };
  }
  async checkout(sha: string) {
    return `/checkouts/${sha}`;
  }
  async generate(input: { workspaceDir: string }): Promise<ManifestPortResult> {
    const sha = input.workspaceDir.split("/").pop() ?? "";
    const jobs = (this.commits.get(sha)?.jobs ?? []).map((job_ref) => ({ job_ref }));
    const manifest = { engine_version: 1, jobs };
    return {
      manifest,
      jobHashes: Object.fromEntries(jobs.map((j) => [j.job_ref, canonicalHash(j)])),
      manifestHash: canonicalHash(manifest),
      warnings: [],
      dltVersion: null,
    };
  }
}

let db: Database;
beforeEach(() => {
  db = openDatabase(":memory:");
});
afterEach(() => db.close());

function build(failApplies: number) {
  const clock = new VirtualClock(Date.UTC(2026, 0, 1));
  const table = new CommitTable();
  let failures = failApplies;
  const target = new InMemoryDeploymentTarget(() => {
    if (failures-- > 0) throw new Error("scheduler busy");
  });
  const history = new DeploymentHistory(db, () => clock.now());
  const events = new TypedEvents<ReconcilerEventMap>();
  const reconciler = new WorkspaceReconciler({ workspace: "shop", git: table, manifests: table, target, history, clock, events, retryAfterMs: 30_000 });
  return { clock, table, target, history, events, reconciler };
}

describe("WorkspaceReconciler", () => {
  it("retries a transient apply failure after retryAfterMs, keeping lastAttempted and lastApplied apart", async () => {
    const { clock, table, history, events, reconciler } = build(1);
    table.commits.set("c1", { tree: "t1", jobs: ["jobs.a"] });
    const failed = events.waitFor("deployment:failed");
    reconciler.request("c1");
    expect(await failed).toMatchObject({ status: "failed", retryInMs: 30_000, deployment: { cause: { code: "apply_failed" } } });
    await reconciler.whenIdle();
    expect(history.getState("shop")).toMatchObject({ status: "failed", lastAttemptedCommit: "c1", lastAppliedCommit: null });

    const applied = events.waitFor("deployment:applied");
    clock.advanceBy(29_999);
    await reconciler.whenIdle();
    expect(history.active("shop")).toBeUndefined();
    clock.advanceBy(1);
    expect((await applied).deployment).toMatchObject({ version: 0, commit: { sha: "c1" } });
    await reconciler.whenIdle();
    expect(history.getState("shop")).toMatchObject({ status: "ready", lastAppliedCommit: "c1" });
  });

  it("a commit without the workspace folder stalls and is not retried", async () => {
    const { clock, history, events, reconciler } = build(0);
    const failed = events.waitFor("deployment:failed");
    reconciler.request("nowhere");
    expect(await failed).toMatchObject({ status: "stalled", retryInMs: null, deployment: { cause: { code: "workspace_path_missing" } } });
    clock.advanceBy(3_600_000);
    await reconciler.whenIdle();
    expect(history.list("shop")).toHaveLength(1);
  });

  it("a git failure is retried with doubling backoff and deploys once git answers; it never stalls as a missing folder", async () => {
    const { clock, table, history, events, reconciler } = build(0);
    table.commits.set("c1", { tree: "t1", jobs: ["jobs.a"] });
    table.gitOutages = 2;
    const first = events.waitFor("deployment:failed");
    reconciler.request("c1");
    expect(await first).toMatchObject({ status: "failed", retryInMs: 30_000, deployment: { cause: { code: "git_failed" } } });
    await reconciler.whenIdle();
    const second = events.waitFor("deployment:failed");
    clock.advanceBy(30_000);
    expect(await second).toMatchObject({ status: "failed", retryInMs: 60_000 });
    await reconciler.whenIdle();
    expect(history.getState("shop")?.status).toBe("failed");
    const applied = events.waitFor("deployment:applied");
    clock.advanceBy(60_000);
    expect((await applied).deployment).toMatchObject({ version: 0, commit: { sha: "c1" } });
    await reconciler.whenIdle();
    expect(history.getState("shop")).toMatchObject({ status: "ready", lastAppliedCommit: "c1" });
  });

  it("a commit with the same folder tree as the applied one is skipped", async () => {
    const { table, target, events, reconciler } = build(0);
    table.commits.set("c1", { tree: "t1", jobs: ["jobs.a"] });
    table.commits.set("c2", { tree: "t1", jobs: ["jobs.a"] });
    reconciler.request("c1");
    await reconciler.whenIdle();
    const skipped = events.waitFor("reconcile:skipped");
    reconciler.request("c2");
    expect(await skipped).toMatchObject({ commit: "c2", reason: "workspace files unchanged" });
    expect(target.applied).toHaveLength(1);
  });
});

describe("schemaManifestValidator", () => {
  it("blocks a manifest whose job has an invalid trigger and names where", () => {
    const issues = schemaManifestValidator().validate({
      engine_version: 1,
      created_at: "2026-01-01T00:00:00+00:00",
      deployment_module: "__deployment__",
      jobs: [{ job_ref: "jobs.m.a", entry_point: { module: "m", function: "a", job_type: "batch", launcher: "dlt._workspace.deployment.launchers.job" }, triggers: ["every:nope"] }],
    });
    expect(issues.length).toBeGreaterThan(0);
    expect(issues[0]?.path).toMatch(/jobs/);
  });
});
