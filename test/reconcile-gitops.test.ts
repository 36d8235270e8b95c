import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Database } from "../core/index.js";
import { SystemClock, TypedEvents, openDatabase } from "../core/index.js";
import { createGitCli } from "../reconciler/git/index.js";
import { DeploymentHistory, RepoStore } from "../reconciler/history/index.js";
import type { ReconcilerEventMap } from "../reconciler/reconcile/index.js";
import { GitOpsService, InMemoryDeploymentTarget } from "../reconciler/reconcile/index.js";
import { JsonManifestPort, WorkingRepo, deferred, git, job, tempDir } from "./reconcile-support.js";

let tmp: ReturnType<typeof tempDir>;
let db: Database;
let service: GitOpsService | undefined;
let releaseHold: () => void = () => {};

beforeEach(() => {
  tmp = tempDir("sluice-reconcile-");
  db = openDatabase(join(tmp.path, "sluice.db"));
});
afterEach(async () => {
  releaseHold();
  await service?.stop();
  service = undefined;
  db.close();
  tmp.cleanup();
});

function setup(options: { manifests?: JsonManifestPort; target?: InMemoryDeploymentTarget } = {}) {
  const history = new DeploymentHistory(db);
  const manifests = options.manifests ?? new JsonManifestPort();
  const target = options.target ?? new InMemoryDeploymentTarget();
  const events = new TypedEvents<ReconcilerEventMap>();
  service = new GitOpsService({
    git: createGitCli(),
    history,
    repos: new RepoStore(db),
    layout: { reposDir: join(tmp.path, "repos"), mirrorsDir: join(tmp.path, "mirrors"), checkoutsDir: join(tmp.path, "checkouts") },
    manifests,
    target,
    clock: new SystemClock(),
    events,
    pollIntervalMs: 60_000,
    retryAfterMs: 60_000,
  });
  service.start();
  return { service, history, manifests, target, events };
}

/** Polls now and waits until every reconcile that poll started has finished. */
async function settle(s: GitOpsService): Promise<void> {
  await s.poke();
  await s.whenIdle();
}

async function waitUntil(condition: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("timed out waiting for the condition");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe("ref watching (no poll, no webhook)", () => {
  it("a commit in a watched local working repo and a push to a hosted repo deploy at once, long before the 60 s poll", async () => {
    const { service, history } = setup();
    const local = WorkingRepo.init(join(tmp.path, "local"));
    local.writeManifest("", [job("load")]).commit("first");
    await service.addRepo({ name: "local", url: local.dir });
    await waitUntil(() => history.active("local")?.version === 0);
    const second = local.writeManifest("", [job("load"), job("report")]).commit("second");
    await waitUntil(() => history.active("local")?.commit.sha === second);
    expect(history.active("local")?.version).toBe(1);

    const { remote } = await service.addRepo({ name: "hosted", push: true });
    const work = WorkingRepo.init(join(tmp.path, "work"), remote);
    const pushed = work.writeManifest("", [job("load")]).commit("pushed");
    work.push();
    await waitUntil(() => history.active("hosted")?.commit.sha === pushed);
  });
});

describe("GitOps reconcile (real git, real SQLite)", () => {
  it("a push to the hosted repo deploys version 0 from a fresh checkout with commit and author", async () => {
    const { service, history, manifests, target } = setup();
    const { remote } = await service.addRepo({ name: "shop", push: true });
    expect(remote).toBe(join(tmp.path, "repos", "shop.git"));
    const work = WorkingRepo.init(join(tmp.path, "work"), remote);
    const sha = work.writeManifest("", [job("load"), job("report")]).commit("first");
    work.push();
    await settle(service);

    expect(manifests.calls).toHaveLength(1);
    expect(manifests.calls[0]?.workspaceDir).toBe(join(tmp.path, "checkouts", "shop", sha));
    const active = history.active("shop");
    expect(active).toMatchObject({ status: "applied", version: 0, commit: { sha, authorName: "Ada Lovelace", subject: "first" } });
    expect(active?.diff?.added.map((c) => c.jobRef)).toEqual(["jobs.__deployment__.load", "jobs.__deployment__.report"]);
    expect([...(target.active("shop")?.jobs.keys() ?? [])]).toHaveLength(2);
    expect(history.getState("shop")).toMatchObject({ status: "ready", lastAttemptedCommit: sha, lastAppliedCommit: sha });
  });

  it("an unchanged manifest gives an empty diff and keeps the version; a changed job bumps it", async () => {
    const { service, history, target } = setup();
    const { remote } = await service.addRepo({ name: "shop", push: true });
    const work = WorkingRepo.init(join(tmp.path, "work"), remote);
    work.writeManifest("", [job("load")]).write("pipeline.py", "v1").commit("c1");
    work.push();
    await settle(service);

    const c2 = work.write("pipeline.py", "v2 code only").commit("c2");
    work.push();
    await settle(service);
    const second = history.active("shop");
    expect(second?.commit.sha).toBe(c2);
    expect(second?.version).toBe(0);
    expect(second?.diff).toMatchObject({ added: [], updated: [], archived: [] });
    expect(second?.diff?.unchanged).toHaveLength(1);
    expect(target.active("shop")?.checkoutDir).toBe(join(tmp.path, "checkouts", "shop", c2));

    work.writeManifest("", [job("load", ["every:2m"]), job("extra")]).commit("c3");
    work.push();
    await settle(service);
    const third = history.active("shop");
    expect(third?.version).toBe(1);
    expect(third?.previousHashes).toEqual([second?.versionHash]);
    expect(third?.manifest).toMatchObject({ version: 1, version_hash: third?.versionHash, previous_hashes: [second?.versionHash] });
    expect(third?.diff?.updated.map((c) => c.jobRef)).toEqual(["jobs.__deployment__.load"]);
    expect(third?.diff?.added.map((c) => c.jobRef)).toEqual(["jobs.__deployment__.extra"]);
  });

  it("several workspaces in one repo: a push reconciles only the workspaces whose folder changed", async () => {
    const { service, history, manifests } = setup();
    const { remote } = await service.addRepo({ name: "alpha", push: true, path: "alpha" });
    await service.addRepo({ name: "beta", url: remote, path: "beta/" });
    const work = WorkingRepo.init(join(tmp.path, "work"), remote);
    work.writeManifest("alpha", [job("a")]).writeManifest("beta", [job("b")]).commit("both");
    work.push();
    await settle(service);
    expect([manifests.callsFor("alpha"), manifests.callsFor("beta")]).toEqual([1, 1]);

    const onlyBeta = work.write("beta/code.py", "x").commit("beta only");
    work.push();
    await settle(service);
    expect([manifests.callsFor("alpha"), manifests.callsFor("beta")]).toEqual([1, 2]);
    expect(history.active("beta")?.commit.sha).toBe(onlyBeta);
    expect(history.list("alpha")).toHaveLength(1);

    work.write("README.md", "outside both").commit("root only");
    work.push();
    await settle(service);
    expect([manifests.callsFor("alpha"), manifests.callsFor("beta")]).toEqual([1, 2]);
  });

  it("a failing commit keeps the previous deployment, records the cause and stalls until the next push", async () => {
    const { service, history, manifests, target } = setup();
    const { remote } = await service.addRepo({ name: "shop", push: true });
    const work = WorkingRepo.init(join(tmp.path, "work"), remote);
    const good = work.writeManifest("", [job("load")]).commit("good");
    work.push();
    await settle(service);

    const bad = work.write("manifest.json", "{ not json").commit("broken");
    work.push();
    await settle(service);
    expect(history.active("shop")?.commit.sha).toBe(good);
    expect(target.active("shop")?.commit).toBe(good);
    const failed = history.list("shop", { status: "failed" })[0];
    expect(failed).toMatchObject({ commit: { sha: bad, subject: "broken" }, cause: { code: "manifest_generation_failed" } });
    expect(history.getState("shop")).toMatchObject({ status: "stalled", lastAttemptedCommit: bad, lastAppliedCommit: good });

    await settle(service);
    expect(manifests.calls).toHaveLength(2);

    const fixed = work.writeManifest("", [job("load")]).write("x", "1").commit("fixed");
    work.push();
    await settle(service);
    expect(history.getState("shop")).toMatchObject({ status: "ready", lastAppliedCommit: fixed, message: null });
  });

  it("ten quick pushes during a reconcile coalesce: only the newest commit is reconciled next", async () => {
    const hold = deferred();
    const entered = deferred();
    let first = true;
    const manifests = new JsonManifestPort(async () => {
      if (first) {
        first = false;
        entered.resolve();
        await hold.promise;
      }
    });
    releaseHold = hold.resolve;
    const { service, history, events } = setup({ manifests });
    const scanned: string[] = [];
    events.on("repo:scanned", (e) => scanned.push(e.commit));
    const { remote } = await service.addRepo({ name: "shop", push: true });
    const work = WorkingRepo.init(join(tmp.path, "work"), remote);
    work.writeManifest("", [job("load")]).commit("c0");
    work.push();
    await service.poke();
    await entered.promise;

    let last = "";
    for (let i = 1; i <= 10; i += 1) {
      last = work.writeManifest("", [job("load", [`every:${i + 1}m`])]).commit(`c${i}`);
      work.push();
      await service.poke();
    }
    // the repo's workspace discovery has handed the newest commit to the held reconciler
    await waitUntil(() => scanned.includes(last));
    hold.resolve();
    await service.whenIdle();

    expect(manifests.calls.map((c) => c.commit)).toHaveLength(2);
    expect(manifests.calls[1]?.commit).toBe(last);
    expect(history.active("shop")?.commit.sha).toBe(last);
    expect(history.active("shop")?.version).toBe(1);
  });

  it("rollback re-applies an earlier version as a new version and holds until the next push", async () => {
    const { service, history, target, manifests } = setup();
    const { remote } = await service.addRepo({ name: "shop", push: true });
    const work = WorkingRepo.init(join(tmp.path, "work"), remote);
    const c1 = work.writeManifest("", [job("load"), job("old")]).commit("v0");
    work.push();
    await settle(service);
    work.writeManifest("", [job("load")]).commit("v1");
    work.push();
    await settle(service);
    expect(history.active("shop")?.version).toBe(1);

    const record = await service.rollback("shop");
    expect(record).toMatchObject({ kind: "rollback", version: 2, rollbackToVersion: 0, commit: { sha: c1 } });
    expect(record.diff?.added).toEqual([expect.objectContaining({ jobRef: "jobs.__deployment__.old", revived: true })]);
    expect([...(target.active("shop")?.jobs.keys() ?? [])].sort()).toEqual(["jobs.__deployment__.load", "jobs.__deployment__.old"]);

    await settle(service);
    expect(history.active("shop")?.id).toBe(record.id);
    expect(manifests.calls).toHaveLength(2);

    const c3 = work.write("y", "1").commit("after rollback");
    work.push();
    await settle(service);
    expect(history.active("shop")).toMatchObject({ kind: "push", commit: { sha: c3 }, version: 3 });
    await expect(service.rollback("shop", 42)).rejects.toThrow(/no applied version 42/);
  });

  it("removing a repo archives its jobs and keeps the history", async () => {
    const { service, history, target } = setup();
    const { remote } = await service.addRepo({ name: "shop", push: true });
    const work = WorkingRepo.init(join(tmp.path, "work"), remote);
    work.writeManifest("", [job("load")]).commit("v0");
    work.push();
    await settle(service);
    expect(await service.removeRepo("shop")).toEqual({ archived: ["jobs.__deployment__.load"], workspaces: ["shop"] });
    expect(target.active("shop")?.jobs.size).toBe(0);
    expect(history.list("shop").map((d) => d.kind)).toEqual(["remove", "push"]);
    expect(service.listRepos()).toEqual([]);
    await expect(service.addRepo({ name: "Bad Name", push: true })).rejects.toThrow(/not allowed/);
  });

  it("after a restart only what changed while down is reconciled (remote URL source)", async () => {
    const upstream = join(tmp.path, "upstream.git");
    git(tmp.path, "init", "--quiet", "--bare", "--initial-branch=main", upstream);
    const work = WorkingRepo.init(join(tmp.path, "work"), upstream);
    work.writeManifest("ws", [job("load")]).commit("c1");
    work.push();

    const first = setup();
    await first.service.addRepo({ name: "shop", url: upstream, path: "ws" });
    await settle(first.service);
    expect(first.history.active("shop")?.version).toBe(0);
    await first.service.stop();

    const again = setup();
    await settle(again.service);
    expect(again.manifests.calls).toHaveLength(0);

    await again.service.stop();
    const c2 = work.writeManifest("ws", [job("load"), job("more")]).commit("while down");
    work.push();
    const third = setup();
    await settle(third.service);
    expect(third.manifests.calls.map((c) => c.commit)).toEqual([c2]);
    expect(third.history.active("shop")).toMatchObject({ version: 1, commit: { sha: c2, subject: "while down" } });
    expect(third.history.active("shop")?.diff?.added.map((c) => c.jobRef)).toEqual(["jobs.__deployment__.more"]);
  });
});
