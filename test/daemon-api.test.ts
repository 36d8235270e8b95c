import { statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { silentLogger } from "../core/index.js";
import type { RunningDaemon } from "../cli/daemon/daemon.js";
import { startDaemon } from "../cli/daemon/daemon.js";
import { ensureToken } from "../cli/daemon/token.js";
import { registerDaemonCommands } from "../cli/daemon/commands.js";
import { Command } from "commander";
import { InMemoryDeploymentTarget } from "../reconciler/reconcile/index.js";
import { JsonManifestPort, WorkingRepo, job, tempDir } from "./reconcile-support.js";

let tmp: ReturnType<typeof tempDir>;
let daemon: RunningDaemon | undefined;

beforeEach(() => {
  tmp = tempDir("sluice-daemon-");
});
afterEach(async () => {
  await daemon?.stop();
  daemon = undefined;
  tmp.cleanup();
});

async function start(): Promise<RunningDaemon> {
  daemon = await startDaemon({
    home: join(tmp.path, "home"),
    overrides: { api: { host: "127.0.0.1", port: 0 }, pollIntervalMs: 60_000 },
    ports: { manifests: new JsonManifestPort(), target: new InMemoryDeploymentTarget(), validator: null },
    logger: silentLogger,
  });
  return daemon;
}

function call(d: RunningDaemon, path: string, init: RequestInit & { token?: string | null } = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (init.token !== null) headers.set("authorization", `Bearer ${init.token ?? d.token}`);
  if (init.body) headers.set("content-type", "application/json");
  return fetch(`${d.url}${path}`, { ...init, headers });
}

describe("daemon API", () => {
  it("creates the token file with mode 0600 at first start and reuses it after", async () => {
    const d = await start();
    const file = join(tmp.path, "home", "token");
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(tmp.path, "home")).mode & 0o777).toBe(0o700);
    expect(d.token).toMatch(/^[0-9a-f]{64}$/);
    const first = d.token;
    await d.stop();
    daemon = undefined;
    expect((await start()).token).toBe(first);
  });

  it("tightens a token file that others can read", async () => {
    const file = join(tmp.path, "token");
    writeFileSync(file, `${"ab".repeat(32)}\n`, { mode: 0o644 });
    expect(await ensureToken(file)).toMatchObject({ created: false, tightened: true, token: "ab".repeat(32) });
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it("refuses every endpoint without the token, with a JSON error that says where the token is", async () => {
    const d = await start();
    for (const path of ["/v1/health", "/v1/repos", "/v1/events", "/nope"]) {
      const res = await call(d, path, { token: null });
      expect(res.status).toBe(401);
      expect(res.headers.get("www-authenticate")).toMatch(/^Bearer/);
      const body = (await res.json()) as { error: { code: string; hint: string } };
      expect(body.error.code).toBe("unauthorized");
      expect(body.error.hint).toContain(join(tmp.path, "home", "token"));
    }
    expect((await call(d, "/v1/repos", { token: "0".repeat(64) })).status).toBe(401);
    expect((await call(d, "/v1/repos", { method: "POST", token: null, body: JSON.stringify({ name: "x", push: true }) })).status).toBe(401);
    expect(d.gitops.listRepos()).toEqual([]);
    expect((await call(d, "/v1/health")).status).toBe(200);
  });

  it("answers 401 on every route of the route table without a token or with a wrong one, and changes nothing", async () => {
    const d = await start();
    let walked = 0;
    for (const route of d.routes) {
      // a concrete path for the route: every `:param` becomes a name
      const path = route.path.replace(/:\w+/g, "x");
      expect(path, route.path).toMatch(/^\/[\w/-]+$/);
      const body = route.method === "GET" ? undefined : JSON.stringify({ name: "x", push: true, selectors: ["x"], dir: "/tmp", job: "x" });
      for (const token of [null, "0".repeat(64), `${d.token}x`]) {
        const res = await call(d, path, { method: route.method, token, ...(body ? { body } : {}) });
        expect(res.status, `${route.method} ${path} with ${token === null ? "no token" : "a wrong token"}`).toBe(401);
        await res.body?.cancel();
      }
      walked++;
    }
    expect(walked).toBe(d.routes.length);
    expect(walked).toBeGreaterThan(20);
    expect(d.gitops.listRepos()).toEqual([]);
  });

  it("refuses repo and workspace names that would leave their folders", async () => {
    const d = await start();
    for (const name of ["../evil", "/abs", "a/b", "x\u0000y", "..", "a".repeat(300)]) {
      const res = await call(d, "/v1/repos", { method: "POST", body: JSON.stringify({ name, push: true }) });
      expect(res.status, JSON.stringify(name)).toBe(400);
    }
    expect(d.gitops.listRepos()).toEqual([]);
    for (const name of ["..", "../../etc", "%2e%2e"]) {
      const res = await call(d, `/v1/workspaces/${encodeURIComponent(name)}/deployments`);
      expect(res.status, name).toBeLessThan(500);
    }
  });

  it("adds a hosted repo, deploys a push, streams the deployment event and lists the history", async () => {
    const d = await start();
    const events = await call(d, "/v1/events?workspace=shop");
    expect(events.headers.get("content-type")).toMatch(/text\/event-stream/);
    const reader = events.body!.getReader();

    const created = await call(d, "/v1/repos", { method: "POST", body: JSON.stringify({ name: "shop", push: true }) });
    expect(created.status).toBe(201);
    const { remote } = (await created.json()) as { remote: string };
    expect(remote).toBe(join(tmp.path, "home", "repos", "shop.git"));
    expect((await call(d, "/v1/repos", { method: "POST", body: JSON.stringify({ name: "shop", push: true }) })).status).toBe(409);

    const work = WorkingRepo.init(join(tmp.path, "work"), remote);
    const sha = work.writeManifest("", [job("load")]).commit("first");
    work.push();
    expect((await call(d, "/v1/hooks/push", { method: "POST" })).status).toBe(202);

    let text = "";
    const decoder = new TextDecoder();
    while (!text.includes("event: deployment.applied")) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value);
    }
    expect(text).toContain(`"sha":"${sha}"`);
    await reader.cancel();

    const list = (await (await call(d, "/v1/workspaces/shop/deployments")).json()) as { deployments: { version: number; commit: { sha: string } }[] };
    expect(list.deployments).toMatchObject([{ version: 0, commit: { sha } }]);
    const repos = (await (await call(d, "/v1/repos")).json()) as { repos: { repo: { name: string }; state: { status: string } }[] };
    expect(repos.repos).toMatchObject([{ repo: { name: "shop" }, state: { status: "ready" }, active: { version: 0 } }]);

    const rollback = await call(d, "/v1/workspaces/shop/rollback", { method: "POST", body: JSON.stringify({}) });
    expect(rollback.status).toBe(404);
    expect(((await rollback.json()) as { error: { code: string } }).error.code).toBe("version_not_found");
    expect((await call(d, "/v1/repos/nope", { method: "DELETE" })).status).toBe(404);
    expect((await call(d, "/v1/repos/shop", { method: "DELETE" })).status).toBe(200);
  });

  it("refuses a config that would expose the API beyond loopback", async () => {
    const home = join(tmp.path, "home2");
    const config = join(tmp.path, "sluice.yaml");
    writeFileSync(config, "api:\n  host: 0.0.0.0\n");
    await expect(startDaemon({ home, configFile: config, logger: silentLogger })).rejects.toThrow(/api\.host: must be a loopback address/);
    await expect(startDaemon({ home, configFile: join(tmp.path, "missing.yaml"), logger: silentLogger })).rejects.toThrow(/Cannot read the config file/);
  });

  it("the repo/deployments commands talk to the running daemon with the token from the home", async () => {
    const d = await start();
    const home = join(tmp.path, "home");
    let out = "";
    const run = (...args: string[]) => {
      const program = new Command("sluice").exitOverride();
      registerDaemonCommands(program, { write: (t) => (out += t) });
      return program.parseAsync(["node", "sluice", ...args, "--home", home]);
    };
    await run("repo", "add", "web", "--push", "--path", "apps/web");
    expect(out).toContain(`git remote add sluice ${join(home, "repos", "web.git")}`);
    const work = WorkingRepo.init(join(tmp.path, "work"), join(home, "repos", "web.git"));
    work.writeManifest("apps/web", [job("load")]).commit("first");
    work.push();
    await d.gitops.poke();
    await d.gitops.whenIdle();
    out = "";
    await run("repo", "list");
    expect(out).toMatch(/^REPO\s+WORKSPACE\s+FOLDER\s+SOURCE\s+BRANCH\s+STATUS\s+VERSION\s+COMMIT\nweb\s+web\s+apps\/web\s+hosted\s+main\s+ready\s+0\s+[0-9a-f]{12}\n$/);
    out = "";
    await run("deployments", "web", "--output", "json");
    expect(JSON.parse(out)).toMatchObject([{ version: 0, status: "applied", commit: { subject: "first" } }]);
    await expect(run("rollback", "web", "--to", "x")).rejects.toThrow(/--to must be a version number/);
    await d.stop();
    daemon = undefined;
    await expect(run("repo", "list")).rejects.toMatchObject({ code: "daemon_unreachable" });
  });
});
