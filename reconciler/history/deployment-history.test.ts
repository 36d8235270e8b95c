import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Database } from "../../core/index.js";
import { openDatabase } from "../../core/index.js";
import { diffDeployments } from "../diff/index.js";
import { DeploymentHistory } from "./deployment-history.js";
import type { NewDeployment } from "./types.js";

let dir: string;
let db: Database;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "sluice-history-"));
  db = openDatabase(join(dir, "sluice.db"));
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

function deployment(workspace: string, sha: string, version: number, jobs: Record<string, string>, previous: NewDeployment | null): NewDeployment {
  const next = { jobs: Object.keys(jobs).map((job_ref) => ({ job_ref })), jobHashes: jobs };
  const diff = diffDeployments(previous ? { jobs: (previous.manifest?.jobs as { job_ref: string }[]) ?? [], jobHashes: previous.jobHashes } : null, next);
  return {
    workspace,
    status: "applied",
    kind: "push",
    version,
    versionHash: `hash-${version}`,
    previousHashes: [],
    commit: { sha, treeSha: `tree-${sha}`, authorName: "Ada", authorEmail: "ada@example.com", subject: "msg" },
    manifest: { jobs: next.jobs },
    jobHashes: jobs,
    diff,
    warnings: [],
    dltVersion: "1.26.0",
    checkoutDir: null,
    cause: null,
    rollbackToVersion: null,
    startedAt: "2026-01-01T00:00:00.000Z",
    finishedAt: "2026-01-01T00:00:01.000Z",
  };
}

describe("DeploymentHistory", () => {
  it("keeps applied deployments, moves the active pointer and tracks the job inventory", () => {
    const history = new DeploymentHistory(db);
    const first = deployment("shop", "c1", 0, { "jobs.a": "1", "jobs.b": "2" }, null);
    const r1 = history.recordApplied(first);
    const second = deployment("shop", "c2", 1, { "jobs.a": "1x" }, first);
    const r2 = history.recordApplied(second);

    expect(history.active("shop")?.id).toBe(r2.id);
    expect(history.getState("shop")).toMatchObject({ lastAppliedCommit: "c2", lastAppliedTree: "tree-c2", activeDeploymentId: r2.id });
    expect(history.list("shop").map((d) => d.commit.sha)).toEqual(["c2", "c1"]);
    expect(history.findAppliedVersion("shop", 0)?.id).toBe(r1.id);
    expect(history.get(r2.id)?.diff?.archived.map((c) => c.jobRef)).toEqual(["jobs.b"]);
    expect(history.archivedRefs("shop")).toEqual(["jobs.b"]);
    expect(history.inventory("shop").find((j) => j.jobRef === "jobs.a")).toMatchObject({ state: "active", hash: "1x", firstDeploymentId: r1.id });
  });

  it("a failure is recorded with its cause and leaves the active deployment alone", () => {
    const history = new DeploymentHistory(db);
    const applied = history.recordApplied(deployment("shop", "c1", 0, { "jobs.a": "1" }, null));
    const failed = history.recordFailed({
      ...deployment("shop", "c2", 0, {}, null),
      version: null,
      manifest: null,
      diff: null,
      cause: { code: "manifest_generation_failed", message: "ImportError: no module named x" },
    });
    expect(history.active("shop")?.id).toBe(applied.id);
    expect(history.get(failed.id)).toMatchObject({ status: "failed", cause: { code: "manifest_generation_failed" } });
    expect(history.list("shop", { status: "failed" })).toHaveLength(1);
  });

  it("survives reopening the database (migrations apply once)", () => {
    new DeploymentHistory(db).recordApplied(deployment("shop", "c1", 0, { "jobs.a": "1" }, null));
    db.close();
    db = openDatabase(join(dir, "sluice.db"));
    expect(new DeploymentHistory(db).active("shop")?.commit).toMatchObject({ sha: "c1", authorName: "Ada" });
  });
});
