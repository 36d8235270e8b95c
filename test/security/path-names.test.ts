/**
 * Names used in paths cannot escape their folders (issue 12, "Security"): repo, workspace, job,
 * exec id and secret profile names with `../`, absolute paths, NUL and very long names are refused
 * at each entry point (API, CLI `secrets set`, the secret store, exec), and nothing is written
 * outside the daemon home.
 */
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Command } from "commander";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registerSecretsCommands } from "../../cli/commands/secrets.js";
import { composeRuntime } from "../../cli/compose/runtime.js";
import type { RunningDaemon } from "../../cli/daemon/daemon.js";
import { startDaemon } from "../../cli/daemon/daemon.js";
import { isSluiceError, silentLogger } from "../../core/index.js";
import { createSecretStore } from "../../runner/secrets/index.js";
import { JsonManifestPort, tempDir } from "../reconcile-support.js";

const ESCAPES = ["../escaped", "../../escaped", "/tmp/escaped-abs", "a/../../escaped", "..", ".", "x\u0000y", "a".repeat(300), "a/b", ""];

let tmp: ReturnType<typeof tempDir>;
let daemon: RunningDaemon;
let home: string;

beforeAll(async () => {
  tmp = tempDir("sluice-path-names-");
  home = join(tmp.path, "home");
  daemon = await startDaemon({
    home,
    overrides: { api: { host: "127.0.0.1", port: 0 }, pollIntervalMs: 60_000, runExecutor: "local", manifestExecutor: "local", proxyPort: 0 },
    ports: { manifests: new JsonManifestPort(), validator: null },
    runtime: composeRuntime,
    logger: silentLogger,
  });
}, 30_000);
afterAll(async () => {
  await daemon?.stop();
  tmp?.cleanup();
});

function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${daemon.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${daemon.token}`, "content-type": "application/json", ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(10_000),
  });
}

/** Only the daemon home changed under the temp folder, and nothing named "escaped" exists above it. */
function expectNothingEscaped(): void {
  expect(readdirSync(tmp.path)).toEqual(["home"]);
  expect(existsSync(join(tmp.path, "..", "escaped"))).toBe(false);
  expect(existsSync("/tmp/escaped-abs")).toBe(false);
}

describe("names used in paths cannot leave their folders", () => {
  it("API: repo names with ../, absolute paths, NUL or 300 characters are a 400 repo_name_invalid", async () => {
    for (const name of ESCAPES.filter((n) => n !== "")) {
      const res = await call("POST", "/v1/repos", { name, push: true });
      expect(res.status, JSON.stringify(name)).toBe(400);
      expect(((await res.json()) as { error: { code: string } }).error.code).toMatch(/^(repo_name_invalid|bad_request)$/);
    }
    expect(daemon.gitops.listRepos()).toEqual([]);
    expectNothingEscaped();
  });

  it("API: workspace, job and run names in paths, bodies and scope headers get a 4xx (lists: an empty 200), never a 5xx", async () => {
    for (const name of ESCAPES) {
      // a `.`/`..` (or `%2E`) path segment is resolved by URL parsing (client and daemon) before routing, so it
      // never reaches a route as a name, and an empty segment addresses the list route; those three are
      // checked in bodies only
      const dots = name === "." || name === ".." || name === "";
      const enc = dots ? "x" : encodeURIComponent(name);
      const single = await Promise.all([
        call("POST", `/v1/workspaces/${enc}/rollback`, {}),
        call("GET", `/v1/repos/${enc}`),
        call("DELETE", `/v1/repos/${enc}`),
        call("GET", `/v1/jobs/${enc}`),
        call("GET", `/v1/runs/${enc}`),
        call("GET", `/v1/runs/${enc}/logs`),
        call("POST", `/v1/runs/${enc}/cancel`),
        call("POST", "/v1/serve", { job: name }),
        call("POST", "/v1/deploy", { dir: join(tmp.path, "nope"), workspace: name }),
        call("POST", "/v1/exec", { workspace: name }),
      ]);
      for (const res of single) {
        const what = `${res.url} ${JSON.stringify(name)}`;
        expect(res.status, what).toBeGreaterThanOrEqual(400);
        expect(res.status, what).toBeLessThan(500);
        await res.body?.cancel();
      }
      const listed = await call("GET", `/v1/workspaces/${enc}/deployments`);
      if (listed.status === 200) expect(await listed.json()).toEqual({ deployments: [] });
      else expect(listed.status).toBeLessThan(500);
      const scoped = await call("POST", "/v1/trigger", { selectors: ["*"] }, { "x-sluice-workspace": encodeURIComponent(name) });
      expect(scoped.status, `trigger in workspace ${JSON.stringify(name)}`).toBeLessThan(500);
      if (scoped.status === 200) expect(JSON.stringify(await scoped.json())).not.toContain("runId");
      else await scoped.body?.cancel();
    }
    expectNothingEscaped();
  });

  it("exec: workspace names and exec ids that would escape are refused with a 4xx and nothing outside the overlays folder is removed", async () => {
    const sentinel = join(home, "keep", "file");
    mkdirSync(join(home, "keep"), { recursive: true });
    writeFileSync(sentinel, "x");
    for (const name of ESCAPES) {
      const started = await call("POST", "/v1/exec", { workspace: name, profile: name });
      expect(started.status, JSON.stringify(name)).toBeGreaterThanOrEqual(400);
      expect(started.status, JSON.stringify(name)).toBeLessThan(500);
    }
    for (const id of ["exec-../../keep", "exec-..%2F..%2Fkeep", "../keep", "exec-a/../../keep"]) {
      const res = await call("DELETE", `/v1/exec/${encodeURIComponent(id)}`);
      expect(res.status, id).toBeGreaterThanOrEqual(400);
      expect(res.status, id).toBeLessThan(500);
    }
    expect(existsSync(sentinel)).toBe(true);
  });

  it("secret store: every method refuses escaping workspace and profile names with invalid_secret_name", () => {
    const store = createSecretStore(join(tmp.path, "store"));
    for (const name of ESCAPES) {
      for (const [workspace, profile] of [
        [name, "prod"],
        ["shop", name],
      ] as const) {
        for (const act of [() => store.set(workspace, profile, "a = 1\n"), () => store.read(workspace, profile), () => store.has(workspace, profile), () => store.remove(workspace, profile), () => store.pathOf(workspace, profile)]) {
          let code: string | undefined;
          try {
            act();
          } catch (error) {
            code = isSluiceError(error) ? error.code : String(error);
          }
          expect(code, `${JSON.stringify(workspace)} / ${JSON.stringify(profile)}`).toBe("invalid_secret_name");
        }
      }
    }
    expect(existsSync(join(tmp.path, "store"))).toBe(false);
  });

  it("CLI `secrets set` refuses escaping names and writes nothing", async () => {
    const file = join(tmp.path, "in.secrets.toml");
    writeFileSync(file, 'token = "s3cr3t-value"\n');
    for (const name of ESCAPES.filter((n) => n !== "")) {
      for (const args of [
        [name, "prod"],
        ["shop", name],
      ]) {
        const program = new Command("sluice").exitOverride();
        registerSecretsCommands(program);
        await expect(program.parseAsync(["node", "sluice", "secrets", "set", ...args, "--file", file, "--home", home]), JSON.stringify(args)).rejects.toMatchObject({ code: "invalid_secret_name" });
      }
    }
    expect(existsSync(join(home, "secrets", "shop"))).toBe(false);
    expect(existsSync(join(tmp.path, "escaped"))).toBe(false);
  });
});
