/**
 * `sluice repo add` without --path against a daemon with the real runtime (scheduler on SQLite,
 * local executor, the proxy): two workspaces deployed, the ad-hoc folder reported by `repo list`
 * and `info` (text and --output json), and `repo remove` takes the repo out of `info`.
 */
import { renameSync } from "node:fs";
import { join } from "node:path";
import { Command } from "commander";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { registerInfoCommand } from "../cli/commands/info.js";
import { composeRuntime } from "../cli/compose/runtime.js";
import type { RunningDaemon } from "../cli/daemon/daemon.js";
import { startDaemon } from "../cli/daemon/daemon.js";
import { registerDaemonCommands } from "../cli/daemon/commands.js";
import type { InfoView } from "../cli/daemon/runtime-types.js";
import { silentLogger } from "../core/index.js";
import type { RepoProblem, RepoStatus } from "../reconciler/reconcile/index.js";
import { AD_HOC_REASON } from "../reconciler/reconcile/index.js";
import { JsonManifestPort, WorkingRepo, git, job, tempDir } from "./reconcile-support.js";

let tmp: ReturnType<typeof tempDir>;
let daemon: RunningDaemon | undefined;

beforeEach(() => {
  tmp = tempDir("sluice-discovery-daemon-");
});
afterEach(async () => {
  await daemon?.stop();
  daemon = undefined;
  tmp.cleanup();
});

/** A daemon on `home` with the real runtime (local executor, manifests read as JSON), polling once a minute. */
function startLocalDaemon(home: string): Promise<RunningDaemon> {
  return startDaemon({
    home,
    overrides: { api: { host: "127.0.0.1", port: 0 }, pollIntervalMs: 60_000, runExecutor: "local", manifestExecutor: "local", proxyPort: 0 },
    ports: { manifests: new JsonManifestPort(), validator: null },
    runtime: composeRuntime,
    logger: silentLogger,
  });
}

/** Runs `sluice <args> --home <home>` in-process and returns what it printed. */
function cliOf(home: string): (...args: string[]) => Promise<string> {
  return async (...args) => {
    let out = "";
    const program = new Command("sluice").exitOverride();
    registerDaemonCommands(program, { write: (t) => (out += t) });
    registerInfoCommand(program, (t) => (out += t));
    await program.parseAsync(["node", "sluice", ...args, "--home", home]);
    return out;
  };
}

const manual = (name: string) => job(name, [`manual:jobs.__deployment__.${name}`]);

describe("repo add without --path against the daemon", () => {
  it("repo list and info show both workspaces and the skipped ad-hoc folder with its reason; after repo remove info lists neither", async () => {
    const home = join(tmp.path, "home");
    daemon = await startLocalDaemon(home);
    const run = cliOf(home);
    expect(await run("repo", "add", "starter", "--push")).toContain("every folder with __deployment__.py");
    const work = WorkingRepo.init(join(tmp.path, "work"), join(home, "repos", "starter.git"))
      .writeManifest("jaffle_shop_workspace", [manual("jaffle_load")])
      .writeManifest("usgs_workspace", [manual("usgs_load")])
      .write("fruitshop_simple_workspace/.dlt/.workspace", "")
      .write("fruitshop_simple_workspace/fruitshop_pipeline.py", "print('ad hoc')\n");
    work.commit("three folders");
    work.push();
    await daemon.gitops.poke();
    await daemon.gitops.whenIdle();

    const table = await run("repo", "list");
    expect(table).toMatch(/\nstarter\s+jaffle_shop_workspace\s+jaffle_shop_workspace\s+hosted\s+main\s+ready\s+0\s+[0-9a-f]{12}\n/);
    expect(table).toMatch(/\nstarter\s+usgs_workspace\s+usgs_workspace\s+hosted\s+main\s+ready\s+0\s+[0-9a-f]{12}\n/);
    expect(table).toContain(`skipped folders:\n  starter: fruitshop_simple_workspace: ${AD_HOC_REASON}\n`);
    const listed = JSON.parse(await run("repo", "list", "--output", "json")) as RepoStatus[];
    expect(listed[0]?.skipped).toEqual([{ path: "fruitshop_simple_workspace", reason: AD_HOC_REASON }]);

    const info = JSON.parse(await run("info", "--output", "json")) as InfoView & { skippedFolders: unknown[] };
    expect(info.workspaces.map((w) => [w.name, w.jobs, w.source])).toEqual([
      ["jaffle_shop_workspace", 1, `hosted (${join(home, "repos", "starter.git")}), folder jaffle_shop_workspace`],
      ["usgs_workspace", 1, `hosted (${join(home, "repos", "starter.git")}), folder usgs_workspace`],
    ]);
    expect(info.skippedFolders).toEqual([{ repo: "starter", path: "fruitshop_simple_workspace", reason: AD_HOC_REASON }]);
    expect(await run("info")).toContain(`repo folders not deployed:\n  starter: fruitshop_simple_workspace: ${AD_HOC_REASON}`);

    expect(await run("repo", "remove", "starter")).toBe("removed starter (workspaces: jaffle_shop_workspace, usgs_workspace); archived 2 job(s)\n");
    const after = JSON.parse(await run("info", "--output", "json")) as InfoView & { skippedFolders: unknown[] };
    expect(after.workspaces).toEqual([]);
    expect(after.skippedFolders).toEqual([]);
    expect(await run("info")).toContain("no workspaces");
  });

  it("a watched remote that cannot be read shows in info and repo list as a repo problem (text and --output json) until a poll works again", async () => {
    const home = join(tmp.path, "home");
    const upstream = join(tmp.path, "upstream.git");
    const away = join(tmp.path, "upstream-away.git");
    git(tmp.path, "init", "--quiet", "--bare", "--initial-branch=main", upstream);
    const work = WorkingRepo.init(join(tmp.path, "work"), upstream).writeManifest("remote_ws", [manual("load")]);
    work.commit("one");
    work.push();
    daemon = await startLocalDaemon(home);
    const run = cliOf(home);
    await run("repo", "add", "remote", "--url", upstream);
    await daemon.gitops.poke();
    await daemon.gitops.whenIdle();
    expect(JSON.parse(await run("info", "--output", "json")).repoProblems).toEqual([]);

    renameSync(upstream, away);
    await daemon.gitops.poke();
    const info = JSON.parse(await run("info", "--output", "json")) as { repoProblems: RepoProblem[] };
    expect(info.repoProblems).toEqual([{ repo: "remote", problem: "source_unreachable", message: expect.stringMatching(/^cannot read branch 'main' of .*upstream\.git \(1 poll\(s\) in a row, retried\): /), since: expect.any(String) }]);
    expect(await run("info")).toMatch(/repo problems \(deployments wait; the last good version keeps running\):\n {2}⚠ remote: cannot read branch 'main'/);
    expect(await run("repo", "list")).toContain("⚠ remote: cannot read branch 'main'");

    renameSync(away, upstream);
    await daemon.gitops.poke();
    expect(JSON.parse(await run("info", "--output", "json")).repoProblems).toEqual([]);
  });
});
