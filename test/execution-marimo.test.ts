/**
 * A real marimo notebook (dlt's marimo launcher) of the github fixture in its environment image,
 * served through the daemon's proxy under /w/<workspace>/<job>/ with base_path, websocket
 * included, on the `access` profile (the fixture has access.config.toml).
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createDockerodeEngine } from "../runner/docker/index.js";
import { Launcher, type RunnableJob } from "../runner/executors/index.js";
import { ContainerPaths, ensureWorkspaceEnvironment } from "../runner/images/index.js";
import { createInteractiveServices, createInteractiveStarter, createReverseProxy } from "../runner/proxy/index.js";
import { httpRequest, rawUpgrade } from "./support/http.js";
import { createRunHome } from "./support/run-home.js";
import { copyFixtureWorkspace } from "./support/workspaces.js";

const notebook: RunnableJob = {
  job_ref: "jobs.github_report_notebook",
  entry_point: { module: "github_report_notebook", function: null, job_type: "interactive", launcher: Launcher.marimo },
  execute: { timeout: { timeout: 300, grace_period: 5 } },
};

describe("marimo notebook behind the proxy", () => {
  it("serves the notebook under its base path and upgrades its websocket", async () => {
    const runHome = createRunHome("sluice-marimo-");
    const { clock, context, logText } = runHome;
    const ws = join(runHome.home, "github");
    copyFixtureWorkspace("github", ws);
    const engine = createDockerodeEngine();
    const image = (await ensureWorkspaceEnvironment(engine, { workspaceDir: ws, onProgress: () => {} })).image;
    const executor = runHome.dockerExecutor({ engine, environmentFor: async () => ({ image, python: `${ContainerPaths.venv}/bin/python` }), network: "bridge" });
    let runId = "";
    const services = createInteractiveServices({
      clock,
      start: createInteractiveStarter({
        clock,
        context,
        executor,
        lookup: (w, j) => (w === "github" && j === "report" ? { job: notebook, workspace: { name: "github", dir: ws } } : undefined),
        newRunId: () => (runId = `marimo-${Date.now()}`),
      }),
    });
    const proxy = createReverseProxy(services);
    const port = await proxy.listen(0);
    try {
      const page = await httpRequest(port, "/w/github/report/");
      expect(page.status, logText(runId)).toBe(200);
      expect(page.body.toLowerCase()).toContain("marimo");
      const logs = logText(runId);
      expect(logs).not.toContain("Traceback");

      const upgrade = await rawUpgrade(port, "/w/github/report/ws?session_id=s-test-1");
      expect(upgrade).toMatch(/^HTTP\/1\.1 101/);
    } finally {
      await services.stopAll();
      await proxy.close();
    }
  });
});
