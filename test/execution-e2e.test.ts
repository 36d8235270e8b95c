/**
 * End to end with real dlt: the github fixture workspace in its environment image, the ingest
 * job on the prod profile with its token from Sluice's secret store (the fake GitHub API rejects
 * any other), then the data-quality job reading what the ingest loaded through the shared
 * per-workspace data directory.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { createDockerodeEngine } from "../runner/docker/index.js";
import { imageEnvironments, Launcher, prepareRun, type PreparedRun, type RunnableJob } from "../runner/executors/index.js";
import { useFakeSources } from "./support/fake-sources.js";
import { createRunHome, type RunHome } from "./support/run-home.js";
import { copyFixtureWorkspace } from "./support/workspaces.js";

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

const sources = useFakeSources({ githubToken: TOKEN });
let runHome: RunHome;
let ws: string;

beforeAll(() => {
  runHome = createRunHome("sluice-e2e-");
  ws = join(runHome.home, "github");
  copyFixtureWorkspace("github", ws);
});

describe("github workspace end to end", () => {
  it("ingests with the stored token, then the dq job reads the same DuckDB; secrets never reach the logs", async () => {
    const { home, clock, secretStore, context, logText: text } = runHome;
    const engine = createDockerodeEngine();
    secretStore.set("github", "prod", `[sources.github]\naccess_token = "${TOKEN}"\n`);
    const executor = runHome.dockerExecutor({ engine, environmentFor: imageEnvironments(engine, { onProgress: () => {} }), network: "host" });
    const prepare = (job: RunnableJob, runId: string): PreparedRun => {
      const run = prepareRun(job, { name: "github", dir: ws, deploymentVersion: 1 }, { runId, trigger: "manual:x", refresh: false, interval: { startMs: Date.now() - 300_000, endMs: Date.now() } }, context, clock.now());
      return { ...run, env: { ...run.env, SOURCES__GITHUB__BASE_URL: sources().url } };
    };

    const loaded = await (await executor.start(prepare(ingest, "e2e-ingest"))).outcome;
    expect(loaded.status, text("e2e-ingest")).toBe("completed");
    const github = sources().requests.filter((request) => request.path.startsWith("/repos/"));
    expect(github.length).toBeGreaterThan(0);
    expect(github.every((request) => request.authorized && request.status === 200)).toBe(true);
    expect(existsSync(join(home, "data", "github", "prod", "local", "warehouse.duckdb"))).toBe(true);

    const checked = await (await executor.start(prepare(checks, "e2e-checks"))).outcome;
    expect(checked.status, text("e2e-checks")).toBe("completed");
    expect(text("e2e-checks")).toContain("commits_present: ok");
    expect(text("e2e-ingest") + text("e2e-checks")).not.toContain(TOKEN);
  });
});
