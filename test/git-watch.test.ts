import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SystemClock } from "../core/index.js";
import type { BranchHead } from "../reconciler/git/index.js";
import {
  BranchWatcher,
  changedPaths,
  checkoutCommit,
  createGitCli,
  createHostedRepo,
  hostedSource,
  readCommitInfo,
  remoteSource,
  touchesPath,
  workspaceTree,
} from "../reconciler/git/index.js";
import { WorkingRepo, git, tempDir } from "./reconcile-support.js";

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => {
  tmp = tempDir("sluice-git-");
});
afterEach(() => tmp.cleanup());

describe("hosted repos and branch watching (real git)", () => {
  it("a push to a hosted bare repo is seen by the watcher, with author metadata and a clean checkout", async () => {
    const g = createGitCli();
    const bare = await createHostedRepo(g, { reposDir: join(tmp.path, "repos"), name: "shop", branch: "main" });
    const work = WorkingRepo.init(join(tmp.path, "work"), bare);
    const source = hostedSource(g, bare, "main");
    expect(await source.head()).toBeNull();

    work.write("shop/__deployment__.py", "print('v1')\n").write("README.md", "root\n");
    const sha = work.commit("first deploy");
    work.push();

    const heads: BranchHead[] = [];
    const watcher = new BranchWatcher({ clock: new SystemClock(), intervalMs: 60_000, onHead: (h) => heads.push(h) });
    watcher.add(source);
    await watcher.pollAll();
    await watcher.pollAll();
    expect(heads.map((h) => h.sha)).toEqual([sha]);

    const info = await readCommitInfo(g, bare, sha);
    expect(info).toMatchObject({ sha, authorName: "Ada Lovelace", authorEmail: "ada@example.com", subject: "first deploy" });

    const dest = join(tmp.path, "checkouts", "shop", sha);
    await checkoutCommit(g, { gitDir: bare, sha, path: "shop", destDir: dest });
    expect(readdirSync(dest)).toEqual(["__deployment__.py"]);
    expect(readFileSync(join(dest, "__deployment__.py"), "utf8")).toBe("print('v1')\n");
    expect(readdirSync(join(tmp.path, "checkouts", "shop"))).toEqual([sha]);
  });

  it("the watcher's timer notices a push without being poked", async () => {
    const g = createGitCli();
    const bare = await createHostedRepo(g, { reposDir: join(tmp.path, "repos"), name: "shop", branch: "main" });
    const work = WorkingRepo.init(join(tmp.path, "work"), bare);
    work.write("a.txt", "1").commit("one");
    work.push();
    let resolveSeen: (sha: string) => void = () => {};
    const watcher = new BranchWatcher({ clock: new SystemClock(), intervalMs: 50, onHead: (h) => resolveSeen(h.sha) });
    watcher.add(hostedSource(g, bare, "main"));
    const first = new Promise<string>((r) => (resolveSeen = r));
    watcher.start();
    expect(await first).toBe(git(work.dir, "rev-parse", "HEAD"));
    const second = new Promise<string>((r) => (resolveSeen = r));
    const sha2 = work.write("a.txt", "2").commit("two");
    work.push();
    expect(await second).toBe(sha2);
    watcher.stop();
  });

  it("tells which workspace folders a commit touches, by changed paths and by folder tree", async () => {
    const g = createGitCli();
    const work = WorkingRepo.init(join(tmp.path, "work"));
    const gitDir = join(work.dir, ".git");
    const c1 = work.write("a/x.py", "1").write("b/y.py", "1").commit("both");
    const c2 = work.write("a/x.py", "2").commit("only a");
    const paths = await changedPaths(g, gitDir, c1, c2);
    expect(paths).toEqual(["a/x.py"]);
    expect(touchesPath(paths, "a")).toBe(true);
    expect(touchesPath(paths, "b/")).toBe(false);
    expect(touchesPath(paths, "")).toBe(true);
    expect(touchesPath(["ab/z"], "a")).toBe(false);
    expect(await changedPaths(g, gitDir, null, c1)).toEqual(["a/x.py", "b/y.py"]);

    expect(await workspaceTree(g, gitDir, c1, "b")).toMatch(/^[0-9a-f]{40}$/);
    expect(await workspaceTree(g, gitDir, c1, "")).toMatch(/^[0-9a-f]{40}$/);
    expect(await workspaceTree(g, gitDir, c1, "a/x.py")).toBeNull();
    expect(await workspaceTree(g, gitDir, c1, "b")).toBe(await workspaceTree(g, gitDir, c2, "b"));
    expect(await workspaceTree(g, gitDir, c1, "a")).not.toBe(await workspaceTree(g, gitDir, c2, "a"));
    expect(await workspaceTree(g, gitDir, c2, "missing")).toBeNull();
  });

  it("mirrors a remote repository and fetches only new commits", async () => {
    const g = createGitCli();
    const upstream = join(tmp.path, "upstream.git");
    git(tmp.path, "init", "--quiet", "--bare", "--initial-branch=main", upstream);
    const work = WorkingRepo.init(join(tmp.path, "work"), upstream);
    const sha = work.write("ws/f.txt", "hello").commit("c1");
    work.push();

    const source = remoteSource(g, { url: upstream, branch: "main", mirrorsDir: join(tmp.path, "mirrors") });
    expect(await source.head()).toBe(sha);
    const dest = join(tmp.path, "out");
    await checkoutCommit(g, { gitDir: source.gitDir, sha, path: "ws", destDir: dest });
    expect(readFileSync(join(dest, "f.txt"), "utf8")).toBe("hello");

    const missing = remoteSource(g, { url: upstream, branch: "nope", mirrorsDir: join(tmp.path, "mirrors") });
    expect(await missing.head()).toBeNull();
    await expect(checkoutCommit(g, { gitDir: source.gitDir, sha, path: "absent", destDir: join(tmp.path, "bad") })).rejects.toThrow(
      /Could not check out 'absent'/,
    );
    expect(existsSync(join(tmp.path, "bad"))).toBe(false);
  });

  it("a workspace folder's checkout gets the nearest .python-version above it in the repo, and keeps its own when it has one", async () => {
    const g = createGitCli();
    const bare = await createHostedRepo(g, { reposDir: join(tmp.path, "repos"), name: "pack", branch: "main" });
    const work = WorkingRepo.init(join(tmp.path, "work"), bare);
    work.write(".python-version", "3.13\n").write("group/.python-version", "3.12\n");
    work.write("plain/__deployment__.py", "").write("group/nested/__deployment__.py", "").write("own/__deployment__.py", "").write("own/.python-version", "3.11\n");
    const sha = work.commit("workspaces with and without a .python-version");
    work.push();
    const versionIn = async (path: string) => {
      const dest = join(tmp.path, "checkouts", path.replace(/\//g, "_"), sha);
      await checkoutCommit(g, { gitDir: bare, sha, path, destDir: dest });
      return readFileSync(join(dest, ".python-version"), "utf8");
    };
    expect(await versionIn("plain")).toBe("3.13\n");
    expect(await versionIn("group/nested")).toBe("3.12\n");
    expect(await versionIn("own")).toBe("3.11\n");
  });
});
