/**
 * The local executor with a host venv and real dlt: the same github ingest + dq pair as the
 * Docker end-to-end test, as subprocesses of the test (no Docker involved in running them).
 */
import { cpSync, existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SystemClock } from "../core/index.js";
import { startFakeSources, type FakeSources } from "../fixtures/fake-sources/index.js";
import { createLocalExecutor, Launcher, prepareRun, type PreparedRun, type RunnableJob } from "../runner/executors/index.js";
import { ensureHostVenv } from "../runner/images/index.js";
import { createLogStore } from "../runner/logs/index.js";
import { createSecretStore } from "../runner/secrets/index.js";

const TOKEN = "ghp_local_e2e_token";
let sources: FakeSources;
let home: string;
let ws: string;
let python: string;

beforeAll(async () => {
  sources = await startFakeSources({ port: 0, githubToken: TOKEN });
  home = mkdtempSync(join(tmpdir(), "sluice-local-e2e-"));
  ws = join(home, "github");
  cpSync(resolve("fixtures/workspaces/github_ingest_workspace"), ws, { recursive: true });
  python = (await ensureHostVenv({ workspaceDir: ws, onProgress: () => {} })).pythonPath;
});

afterAll(async () => {
  await sources?.close();
});

describe("local executor end to end", () => {
  it("ingests with the stored token and the dq job reads the shared DuckDB", async () => {
    const clock = new SystemClock();
    const secretStore = createSecretStore(join(home, "secrets"));
    const logStore = createLogStore({ dir: join(home, "logs") });
    secretStore.set("github", "prod", `[sources.github]\naccess_token = "${TOKEN}"\n`);
    const executor = createLocalExecutor({ clock, logStore, pythonFor: () => python });
    const job = (module: string, fn: string): RunnableJob => ({ job_ref: `jobs.${module}.${fn}`, entry_point: { module, function: fn, job_type: "batch", launcher: Launcher.job } });
    const prepare = (runJob: RunnableJob, runId: string): PreparedRun => {
      const run = prepareRun(runJob, { name: "github", dir: ws }, { runId, trigger: "manual:x", refresh: false }, { secretStore, dataRoot: join(home, "data") }, clock.now());
      return { ...run, env: { ...run.env, SOURCES__GITHUB__BASE_URL: sources.url } };
    };
    const text = (runId: string) => logStore.read(runId).lines.map((line) => line.text).join("\n");
    const loaded = await (await executor.start(prepare(job("github_pipeline", "load_commits"), "l-ingest"))).outcome;
    expect(loaded.status, text("l-ingest")).toBe("completed");
    expect(existsSync(join(home, "data", "github", "prod", "local", "warehouse.duckdb"))).toBe(true);
    const checked = await (await executor.start(prepare(job("github_dq_pipeline", "run_dq_checks"), "l-checks"))).outcome;
    expect(checked.status, text("l-checks")).toBe("completed");
    expect(text("l-checks")).toContain("commits_present: ok");
    expect(text("l-ingest") + text("l-checks")).not.toContain(TOKEN);
  });
});
