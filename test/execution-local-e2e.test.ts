/**
 * The local executor with a host venv and real dlt: the same github ingest + dq pair as the
 * Docker end-to-end test, as subprocesses of the test (no Docker involved in running them).
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { createLocalExecutor, Launcher, prepareRun, type PreparedRun, type RunnableJob } from "../runner/executors/index.js";
import { ensureHostVenv } from "../runner/images/index.js";
import { useFakeSources } from "./support/fake-sources.js";
import { createRunHome, type RunHome } from "./support/run-home.js";
import { copyFixtureWorkspace } from "./support/workspaces.js";

const TOKEN = "ghp_local_e2e_token";
const sources = useFakeSources({ githubToken: TOKEN });
let runHome: RunHome;
let ws: string;
let python: string;

beforeAll(async () => {
  runHome = createRunHome("sluice-local-e2e-");
  ws = join(runHome.home, "github");
  copyFixtureWorkspace("github", ws);
  python = (await ensureHostVenv({ workspaceDir: ws, onProgress: () => {} })).pythonPath;
});

describe("local executor end to end", () => {
  it("ingests with the stored token and the dq job reads the shared DuckDB", async () => {
    const { home, clock, secretStore, logStore, context, logText: text } = runHome;
    secretStore.set("github", "prod", `[sources.github]\naccess_token = "${TOKEN}"\n`);
    const executor = createLocalExecutor({ clock, logStore, pythonFor: () => python });
    const job = (module: string, fn: string): RunnableJob => ({ job_ref: `jobs.${module}.${fn}`, entry_point: { module, function: fn, job_type: "batch", launcher: Launcher.job } });
    const prepare = (runJob: RunnableJob, runId: string): PreparedRun => {
      const run = prepareRun(runJob, { name: "github", dir: ws }, { runId, trigger: "manual:x", refresh: false }, context, clock.now());
      return { ...run, env: { ...run.env, SOURCES__GITHUB__BASE_URL: sources().url } };
    };
    const loaded = await (await executor.start(prepare(job("github_pipeline", "load_commits"), "l-ingest"))).outcome;
    expect(loaded.status, text("l-ingest")).toBe("completed");
    expect(existsSync(join(home, "data", "github", "prod", "local", "warehouse.duckdb"))).toBe(true);
    const checked = await (await executor.start(prepare(job("github_dq_pipeline", "run_dq_checks"), "l-checks"))).outcome;
    expect(checked.status, text("l-checks")).toBe("completed");
    expect(text("l-checks")).toContain("commits_present: ok");
    expect(text("l-ingest") + text("l-checks")).not.toContain(TOKEN);
  });
});
