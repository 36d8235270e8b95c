/**
 * One repo, several workspaces: `repo add` without --path discovers every folder with
 * __deployment__.py at each commit (real git, real SQLite, the JSON manifest port).
 */
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Database } from "../core/index.js";
import { SystemClock, TypedEvents, openDatabase } from "../core/index.js";
import { createGitCli } from "../reconciler/git/index.js";
import { DeploymentHistory, RepoStore } from "../reconciler/history/index.js";
import type { ReconcilerEventMap } from "../reconciler/reconcile/index.js";
import { AD_HOC_REASON, GitOpsService, InMemoryDeploymentTarget } from "../reconciler/reconcile/index.js";
import { JsonManifestPort, WorkingRepo, job, tempDir } from "./reconcile-support.js";

let tmp: ReturnType<typeof tempDir>;
let db: Database;
let service: GitOpsService | undefined;

beforeEach(() => {
  tmp = tempDir("sluice-discovery-");
  db = openDatabase(join(tmp.path, "sluice.db"));
});
afterEach(async () => {
  await service?.stop();
  service = undefined;
  db.close();
  tmp.cleanup();
});

function setup() {
  const history = new DeploymentHistory(db);
  const repos = new RepoStore(db);
  const manifests = new JsonManifestPort();
  const target = new InMemoryDeploymentTarget();
  const events = new TypedEvents<ReconcilerEventMap>();
  const removed: ReconcilerEventMap["workspace:removed"][] = [];
  events.on("workspace:removed", (e) => removed.push(e));
  service = new GitOpsService({
    git: createGitCli(),
    history,
    repos,
    layout: { reposDir: join(tmp.path, "repos"), mirrorsDir: join(tmp.path, "mirrors"), checkoutsDir: join(tmp.path, "checkouts") },
    manifests,
    target,
    clock: new SystemClock(),
    events,
    pollIntervalMs: 60_000,
    retryAfterMs: 60_000,
  });
  service.start();
  return { service, history, repos, manifests, target, removed };
}

async function settle(s: GitOpsService): Promise<void> {
  await s.poke();
  await s.whenIdle();
}

const jobsOf = (target: InMemoryDeploymentTarget, workspace: string) => [...(target.active(workspace)?.jobs.keys() ?? [])].sort();

/** The starter-pack shape: two deployable workspace folders and one ad-hoc-only folder (scripts, .dlt/.workspace, pyproject). */
function starterRepo(remote: string): WorkingRepo {
  return WorkingRepo.init(join(tmp.path, "work"), remote)
    .writeManifest("jaffle_shop_workspace", [job("jaffle_load")])
    .writeManifest("usgs_workspace", [job("usgs_load"), job("usgs_report")])
    .write("fruitshop_simple_workspace/.dlt/.workspace", "")
    .write("fruitshop_simple_workspace/pyproject.toml", "[project]\nname = 'fruitshop'\n")
    .write("fruitshop_simple_workspace/fruitshop_pipeline.py", "print('ad hoc')\n")
    .write(".venv/lib/site/__deployment__.py", "# never a workspace\n")
    .write("README.md", "three workspaces\n");
}

describe("repo add without --path discovers the workspaces of each commit", () => {
  it("deploys both folders with __deployment__.py under their folder names and reports the ad-hoc folder as skipped with its reason", async () => {
    const { service, target, history } = setup();
    const { remote } = await service.addRepo({ name: "starter", push: true });
    const work = starterRepo(remote ?? "");
    const sha = work.commit("three workspaces");
    work.push();
    await settle(service);

    expect(jobsOf(target, "jaffle_shop_workspace")).toEqual(["jobs.__deployment__.jaffle_load"]);
    expect(jobsOf(target, "usgs_workspace")).toEqual(["jobs.__deployment__.usgs_load", "jobs.__deployment__.usgs_report"]);
    expect(history.active("usgs_workspace")).toMatchObject({ version: 0, commit: { sha } });
    const [status] = service.listRepos();
    expect(status?.repo).toMatchObject({ name: "starter", discover: true });
    expect(status?.workspaces.map((w) => [w.name, w.path, w.state?.status, w.active?.version])).toEqual([
      ["jaffle_shop_workspace", "jaffle_shop_workspace", "ready", 0],
      ["usgs_workspace", "usgs_workspace", "ready", 0],
    ]);
    expect(status?.skipped).toEqual([{ path: "fruitshop_simple_workspace", reason: AD_HOC_REASON }]);
    expect(status?.scannedCommit).toBe(sha);
    expect(AD_HOC_REASON).toContain("sluice launch");
  });

  it("a commit that breaks one workspace leaves the other deployed and applies the other's change; only changed workspaces regenerate", async () => {
    const { service, target, history, manifests } = setup();
    const { remote } = await service.addRepo({ name: "starter", push: true });
    const work = starterRepo(remote ?? "");
    const good = work.commit("three workspaces");
    work.push();
    await settle(service);
    expect([manifests.callsFor("jaffle_shop_workspace"), manifests.callsFor("usgs_workspace")]).toEqual([1, 1]);

    const broken = work
      .write("jaffle_shop_workspace/manifest.json", "{ not json")
      .writeManifest("usgs_workspace", [job("usgs_load"), job("usgs_report"), job("usgs_extra")])
      .commit("break jaffle, extend usgs");
    work.push();
    await settle(service);
    expect(history.getState("jaffle_shop_workspace")).toMatchObject({ status: "stalled", lastAttemptedCommit: broken, lastAppliedCommit: good });
    expect(jobsOf(target, "jaffle_shop_workspace")).toEqual(["jobs.__deployment__.jaffle_load"]);
    expect(history.active("usgs_workspace")).toMatchObject({ version: 1, commit: { sha: broken } });
    expect(jobsOf(target, "usgs_workspace")).toContain("jobs.__deployment__.usgs_extra");

    work.write("usgs_workspace/pipeline.py", "code only\n").commit("usgs code only");
    work.push();
    await settle(service);
    expect([manifests.callsFor("jaffle_shop_workspace"), manifests.callsFor("usgs_workspace")]).toEqual([2, 3]);
  });

  it("a workspace folder deleted in a later commit is removed: its jobs archived, its state dropped, workspace:removed emitted", async () => {
    const { service, target, history, repos, removed } = setup();
    const { remote } = await service.addRepo({ name: "starter", push: true });
    const work = starterRepo(remote ?? "");
    work.commit("three workspaces");
    work.push();
    await settle(service);

    work.remove("usgs_workspace");
    work.commit("drop usgs");
    work.push();
    await settle(service);
    expect(jobsOf(target, "usgs_workspace")).toEqual([]);
    expect(history.getState("usgs_workspace")).toBeUndefined();
    expect(history.list("usgs_workspace").map((d) => d.kind)).toEqual(["remove", "push"]);
    expect(repos.workspaces("starter").map((w) => w.workspace)).toEqual(["jaffle_shop_workspace"]);
    expect(removed).toEqual([
      { workspace: "usgs_workspace", repo: "starter", reason: expect.stringContaining("folder gone"), archived: ["jobs.__deployment__.usgs_load", "jobs.__deployment__.usgs_report"] },
    ]);
    expect(jobsOf(target, "jaffle_shop_workspace")).toEqual(["jobs.__deployment__.jaffle_load"]);
  });

  it("removing the repo archives the jobs of all its workspaces and forgets their state, so nothing lists them", async () => {
    const { service, target, history, repos, removed } = setup();
    const { remote } = await service.addRepo({ name: "starter", push: true });
    const work = starterRepo(remote ?? "");
    work.commit("three workspaces");
    work.push();
    await settle(service);

    const result = await service.removeRepo("starter");
    expect(result.workspaces).toEqual(["jaffle_shop_workspace", "usgs_workspace"]);
    expect(result.archived.sort()).toEqual(["jobs.__deployment__.jaffle_load", "jobs.__deployment__.usgs_load", "jobs.__deployment__.usgs_report"]);
    expect(jobsOf(target, "jaffle_shop_workspace")).toEqual([]);
    expect(jobsOf(target, "usgs_workspace")).toEqual([]);
    expect(history.listStates()).toEqual([]);
    expect(repos.workspaces()).toEqual([]);
    expect(service.listRepos()).toEqual([]);
    expect(removed.map((e) => [e.workspace, e.reason])).toEqual([
      ["jaffle_shop_workspace", "repo removed"],
      ["usgs_workspace", "repo removed"],
    ]);
  });

  it("a root __deployment__.py makes the repo one workspace named like the repo", async () => {
    const { service, target } = setup();
    const { remote } = await service.addRepo({ name: "shop", push: true });
    const work = WorkingRepo.init(join(tmp.path, "work"), remote).writeManifest("", [job("load")]).writeManifest("tools", [job("inner")]);
    work.commit("root workspace");
    work.push();
    await settle(service);
    expect(jobsOf(target, "shop")).toEqual(["jobs.__deployment__.load"]);
    expect(service.repoStatus("shop")).toMatchObject({
      state: { status: "ready" },
      active: { version: 0 },
      skipped: [{ path: "tools", reason: expect.stringContaining("inside the workspace folder '/'") }],
    });
  });

  it("a folder whose name another repo's workspace already holds is skipped with the owner named; the first repo keeps it", async () => {
    const { service, target } = setup();
    const first = await service.addRepo({ name: "team-a", push: true });
    const a = WorkingRepo.init(join(tmp.path, "a"), first.remote).writeManifest("shop", [job("a_load")]);
    a.commit("a");
    a.push();
    await settle(service);
    const second = await service.addRepo({ name: "team-b", push: true });
    const b = WorkingRepo.init(join(tmp.path, "b"), second.remote).writeManifest("shop", [job("b_load")]).writeManifest("orders", [job("b_orders")]);
    b.commit("b");
    b.push();
    await settle(service);

    expect(jobsOf(target, "shop")).toEqual(["jobs.__deployment__.a_load"]);
    expect(jobsOf(target, "orders")).toEqual(["jobs.__deployment__.b_orders"]);
    expect(service.repoStatus("team-b").skipped).toEqual([{ path: "shop", reason: expect.stringContaining("already used by repo 'team-a' (folder 'shop')") }]);
    await expect(service.addRepo({ name: "orders", push: true })).rejects.toThrow(/already a workspace of repo 'team-b'/);
  });

  it("--path still pins exactly one workspace named like the repo, whatever else the repo holds", async () => {
    const { service, target, repos } = setup();
    const { remote } = await service.addRepo({ name: "pinned", push: true, path: "usgs_workspace" });
    const work = starterRepo(remote ?? "");
    work.commit("three workspaces");
    work.push();
    await settle(service);
    expect(jobsOf(target, "pinned")).toEqual(["jobs.__deployment__.usgs_load", "jobs.__deployment__.usgs_report"]);
    expect(target.active("jaffle_shop_workspace")).toBeUndefined();
    expect(repos.workspaces().map((w) => [w.workspace, w.repo, w.path])).toEqual([["pinned", "pinned", "usgs_workspace"]]);
    expect(service.repoStatus("pinned")).toMatchObject({ repo: { discover: false }, skipped: [], scannedCommit: null });
  });
});
