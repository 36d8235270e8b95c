/**
 * End to end with real dlt: the github fixture workspace in its environment image, the ingest
 * job on the prod profile with its token from Sluice's secret store (the fake GitHub API rejects
 * any other), then the data-quality job reading what the ingest loaded through the shared
 * per-workspace data directory.
 */
import { cpSync, existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SystemClock } from "../core/index.js";
import { startFakeSources, type FakeSources } from "../fixtures/fake-sources/index.js";
import { createDockerodeEngine } from "../runner/docker/index.js";
import { createDockerExecutor, imageEnvironments, Launcher, prepareRun, type PreparedRun, type RunnableJob } from "../runner/executors/index.js";
import { createLogStore } from "../runner/logs/index.js";
import { createSecretStore } from "../runner/secrets/index.js";

const TOKEN = "ghp_e2e_token_for_sluice_tests";

const ingest: RunnableJob = {
  job_ref: "jobs.github_pipeline.load_commits",
  entry_point: { module: "github_pipeline", function: "load_commits", job_type: "batch", launcher: Launcher.job },
  execute: { timeout: { timeout: 600 } },
};
const checks: RunnableJob = {
  job_ref: "jobs.github_dq_pipeline.run_dq_checks",
  entry_point: { module: "github_dq_pipeline", function: "run_dq_checks", job_type: "batch", launcher: Launcher.job },
  execute: { timeout: { timeout: 600 } },
};

let sources: FakeSources;
let home: string;
let ws: string;

beforeAll(async () => {
  sources = await startFakeSources({ port: 0, githubToken: TOKEN });
  home = mkdtempSync(join(tmpdir(), "sluice-e2e-"));
  ws = join(home, "github");
  cpSync(resolve("fixtures/workspaces/github_ingest_workspace"), ws, { recursive: true });
});

afterAll(async () => {
  await sources?.close();
});

describe("github workspace end to end", () => {
  it("ingests with the stored token, then the dq job reads the same DuckDB; secrets never reach the logs", async () => {
    const engine = createDockerodeEngine();
    const clock = new SystemClock();
    const secretStore = createSecretStore(join(home, "secrets"));
    const logStore = createLogStore({ dir: join(home, "logs") });
    secretStore.set("github", "prod", `[sources.github]\naccess_token = "${TOKEN}"\n`);
    const executor = createDockerExecutor({
      engine,
      clock,
      logStore,
      secretStore,
      environmentFor: imageEnvironments(engine, { onProgress: () => {} }),
      network: "host",
      overlayRoot: join(home, "overlays"),
    });
    const prepare = (job: RunnableJob, runId: string): PreparedRun => {
      const run = prepareRun(job, { name: "github", dir: ws, deploymentVersion: 1 }, { runId, trigger: "manual:x", refresh: false, interval: { startMs: Date.now() - 300_000, endMs: Date.now() } }, { secretStore, dataRoot: join(home, "data") }, clock.now());
      return { ...run, env: { ...run.env, SOURCES__GITHUB__BASE_URL: sources.url } };
    };
    const text = (runId: string) => logStore.read(runId).lines.map((line) => line.text).join("\n");

    const loaded = await (await executor.start(prepare(ingest, "e2e-ingest"))).outcome;
    expect(loaded.status, text("e2e-ingest")).toBe("completed");
    const github = sources.requests.filter((request) => request.path.startsWith("/repos/"));
    expect(github.length).toBeGreaterThan(0);
    expect(github.every((request) => request.authorized && request.status === 200)).toBe(true);
    expect(existsSync(join(home, "data", "github", "prod", "local", "warehouse.duckdb"))).toBe(true);

    const checked = await (await executor.start(prepare(checks, "e2e-checks"))).outcome;
    expect(checked.status, text("e2e-checks")).toBe("completed");
    expect(text("e2e-checks")).toContain("commits_present: ok");
    expect(text("e2e-ingest") + text("e2e-checks")).not.toContain(TOKEN);
  });
});
