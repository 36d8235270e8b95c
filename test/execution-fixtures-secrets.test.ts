/**
 * The github token travels from Sluice's secret store into the run (the fake GitHub API answers
 * 401 to any other token and the job cannot start without one) and nowhere else: not in the
 * stored logs, not in run records or start errors, not in the container's `docker inspect`
 * (taken while it runs), not in the data dir, and no overlay is left behind.
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runContainerName, type RunOutcome } from "../runner/executors/index.js";
import { createFixtureRuntime, type DeployedWorkspace, type FixtureRuntime } from "./support/fixture-runtime.js";
import { within } from "./support/wait.js";

const TOKEN = `ghp_sluice_${randomBytes(12).toString("hex")}`;
const WRONG = `ghp_wrong_${randomBytes(12).toString("hex")}`;
const INGEST = "jobs.github_pipeline.load_commits";

let runtime: FixtureRuntime;
let ws: DeployedWorkspace;

beforeAll(async () => {
  runtime = await createFixtureRuntime({ githubToken: TOKEN });
  ws = await runtime.deploy("github");
});

afterAll(async () => {
  await runtime?.close();
});

/** Every file under `dir` whose bytes contain `needle`. */
function filesContaining(dir: string, needle: string): string[] {
  if (!existsSync(dir)) return [];
  const found: string[] = [];
  for (const entry of readdirSync(dir, { recursive: true, encoding: "utf8" })) {
    const path = join(dir, entry);
    if (statSync(path).isFile() && readFileSync(path).includes(needle)) found.push(path);
  }
  return found;
}

function recordText(outcome: RunOutcome): string {
  return JSON.stringify(outcome);
}

describe("secrets of the github workspace", () => {
  it("without a stored token the ingest fails before calling the API; a wrong stored token gets 401 and stays masked", async () => {
    const missing = await runtime.runBatch(ws, ws.job(INGEST));
    expect(missing.outcome).toMatchObject({ status: "failed", exitCode: 1, reason: "exit code 1" });
    expect(missing.logs).toContain("access_token");
    // dlt follows the exception with ~20 lines of config-provider help, so the record's last lines are those
    expect(missing.outcome.lastLines.join("\n")).toContain("Provider `secrets.toml` probed but not found");
    expect(runtime.sources.requests.filter((request) => request.path.startsWith("/repos/"))).toEqual([]);

    runtime.secretStore.set("github", "prod", `[sources.github]\naccess_token = "${WRONG}"\n`);
    const wrong = await runtime.runBatch(ws, ws.job(INGEST));
    expect(wrong.outcome).toMatchObject({ status: "failed", exitCode: 1 });
    expect(runtime.sources.requests.at(-1)).toMatchObject({ path: "/repos/dlt-hub/dlt/commits", authorized: true, status: 401 });
    expect(wrong.logs).toMatch(/401/);
    expect(wrong.outcome.lastLines.join("\n")).toMatch(/401/);
    expect(wrong.logs + recordText(wrong.outcome)).not.toContain(WRONG);
  });

  it("the right stored token loads the data and appears in no log, record, inspect output, data file or start error", async () => {
    runtime.secretStore.set("github", "prod", `[sources.github]\naccess_token = "${TOKEN}"\n`);
    const run = runtime.prepare(ws, ws.job(INGEST));
    const started = await runtime.executor("host").start(run);
    // dlt takes seconds to import: the container is still running here
    const inspect = execFileSync("docker", ["inspect", runContainerName(run.runId, runtime.instance)], { encoding: "utf8" });
    const [details] = JSON.parse(inspect) as Array<{ State: { Status: string }; Mounts: Array<{ Destination: string; RW: boolean }> }>;
    expect(details?.State.Status).toBe("running");
    expect(details?.Mounts.find((mount) => mount.Destination === "/workspace/.dlt")).toMatchObject({ RW: false });
    expect(inspect).not.toContain(TOKEN);
    // another Sluice on this engine (its own instance label) does not see, adopt or stop this run
    const other = runtime.dockerExecutor({ engine: runtime.engine, environmentFor: async () => ({ image: "unused", python: "unused" }), network: "none", instance: `${runtime.instance}-other` });
    expect((await other.recoverAll()).map((adopted) => adopted.runId)).not.toContain(run.runId);
    expect(await other.adopt(run.runId)).toBeNull();
    const unscoped = runtime.dockerExecutor({ engine: runtime.engine, environmentFor: async () => ({ image: "unused", python: "unused" }), network: "none" });
    expect(await unscoped.adopt(run.runId)).toBeNull();

    const outcome = await within(started.outcome, "the end of started");
    const logs = runtime.logText(run.runId);
    expect(outcome, logs).toMatchObject({ status: "completed", exitCode: 0 });
    const github = runtime.sources.requests.filter((request) => request.path.startsWith("/repos/") && request.status === 200);
    expect(github.length).toBeGreaterThanOrEqual(4); // commits in pages of 20 + contributors
    expect(await runtime.query(ws, "prod", "warehouse.duckdb", "SELECT count(*) FROM github_data.commits")).toEqual([[45]]);
    expect(recordText(outcome)).not.toContain(TOKEN);

    // a run that cannot start reports a masked error (the secret is part of the image name here)
    const broken = runtime.dockerExecutor({
      engine: runtime.engine,
      environmentFor: async () => ({ image: `sluice/missing:${TOKEN}`, python: "/usr/bin/python3" }),
      network: "none",
    });
    const failedRun = runtime.prepare(ws, ws.job(INGEST));
    const error = await broken.start(failedRun).then(
      () => undefined,
      (caught: unknown) => caught as { code?: string; message: string },
    );
    expect(error?.code).toBe("run_start_failed");
    expect(error?.message).toContain("***");
    expect(error?.message).not.toContain(TOKEN);
    expect(runtime.logText(failedRun.runId)).toContain("could not be started");

    expect(filesContaining(join(runtime.home, "logs"), TOKEN)).toEqual([]);
    expect(filesContaining(join(runtime.home, "logs"), WRONG)).toEqual([]);
    expect(filesContaining(runtime.dataRoot, TOKEN)).toEqual([]);
    expect(filesContaining(ws.dir, TOKEN)).toEqual([]);
    expect(readdirSync(runtime.overlayRoot)).toEqual([]);
    // the only place the token is kept: the secret store's 0600 file
    expect(filesContaining(join(runtime.home, "secrets"), TOKEN)).toHaveLength(1);
  });
});
