/**
 * A real marimo notebook (dlt's marimo launcher) of the github fixture in its environment image,
 * served through the daemon's proxy under /w/<workspace>/<job>/ with base_path, websocket
 * included, on the `access` profile (the fixture has access.config.toml).
 */
import { cpSync, mkdtempSync } from "node:fs";
import { request } from "node:http";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { SystemClock } from "../core/index.js";
import { createDockerodeEngine } from "../runner/docker/index.js";
import { createDockerExecutor, Launcher, type RunnableJob } from "../runner/executors/index.js";
import { ContainerPaths, ensureWorkspaceEnvironment } from "../runner/images/index.js";
import { createLogStore } from "../runner/logs/index.js";
import { createInteractiveServices, createInteractiveStarter, createReverseProxy } from "../runner/proxy/index.js";
import { createSecretStore } from "../runner/secrets/index.js";

const notebook: RunnableJob = {
  job_ref: "jobs.github_report_notebook",
  entry_point: { module: "github_report_notebook", function: null, job_type: "interactive", launcher: Launcher.marimo },
  execute: { timeout: { timeout: 300, grace_period: 5 } },
};

describe("marimo notebook behind the proxy", () => {
  it("serves the notebook under its base path and upgrades its websocket", async () => {
    const home = mkdtempSync(join(tmpdir(), "sluice-marimo-"));
    const ws = join(home, "github");
    cpSync(resolve("fixtures/workspaces/github_ingest_workspace"), ws, { recursive: true });
    const engine = createDockerodeEngine();
    const image = (await ensureWorkspaceEnvironment(engine, { workspaceDir: ws, onProgress: () => {} })).image;
    const clock = new SystemClock();
    const secretStore = createSecretStore(join(home, "secrets"));
    const logStore = createLogStore({ dir: join(home, "logs") });
    const executor = createDockerExecutor({
      engine,
      clock,
      logStore,
      secretStore,
      environmentFor: async () => ({ image, python: `${ContainerPaths.venv}/bin/python` }),
      network: "bridge",
      overlayRoot: join(home, "overlays"),
    });
    let runId = "";
    const services = createInteractiveServices({
      clock,
      start: createInteractiveStarter({
        clock,
        context: { secretStore, dataRoot: join(home, "data") },
        executor,
        lookup: (w, j) => (w === "github" && j === "report" ? { job: notebook, workspace: { name: "github", dir: ws } } : undefined),
        newRunId: () => (runId = `marimo-${Date.now()}`),
      }),
    });
    const proxy = createReverseProxy(services);
    const port = await proxy.listen(0);
    try {
      const page = await httpGet(port, "/w/github/report/");
      expect(page.status, logStore.read(runId).lines.map((l) => l.text).join("\n")).toBe(200);
      expect(page.body.toLowerCase()).toContain("marimo");
      const logs = logStore.read(runId).lines.map((l) => l.text).join("\n");
      expect(logs).not.toContain("Traceback");

      const upgrade = await rawUpgrade(port, "/w/github/report/ws?session_id=s-test-1");
      expect(upgrade).toMatch(/^HTTP\/1\.1 101/);
    } finally {
      await services.stopAll();
      await proxy.close();
    }
  });
});

function httpGet(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    request({ host: "127.0.0.1", port, path }, (res) => {
      let body = "";
      res.on("data", (chunk: Buffer) => (body += chunk.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    })
      .on("error", reject)
      .end();
  });
}

function rawUpgrade(port: number, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port }, () => {
      socket.write(
        [`GET ${path} HTTP/1.1`, `host: 127.0.0.1:${port}`, "upgrade: websocket", "connection: Upgrade", "sec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==", "sec-websocket-version: 13", "", ""].join("\r\n"),
      );
    });
    let received = "";
    socket.on("data", (chunk: Buffer) => {
      received += chunk.toString("latin1");
      if (received.includes("\r\n\r\n")) {
        socket.destroy();
        resolve(received);
      }
    });
    socket.on("error", reject);
    setTimeout(() => {
      socket.destroy();
      reject(new Error(`no upgrade answer; got: ${received}`));
    }, 20_000).unref();
  });
}
