/**
 * The workspace dashboard dlt synthesizes for every workspace with a `__deployment__.py`
 * (`jobs.workspace.dashboard`) requires a dependency group of the same name that no pyproject
 * defines; dlt's requirements manifest defines it. The usgs fixture's dashboard environment is
 * built the way dlt resolves the group (the workspace's own locked dependencies, dlt's group specs
 * on top) and the dashboard is served through the reverse proxy. A group neither pyproject nor dlt
 * defines is a typed error.
 */
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunnableJob, type RunOutcome } from "../runner/executors/index.js";
import { ContainerPaths, ensureHostVenv, ensureWorkspaceEnvironment, runInEnvironment } from "../runner/images/index.js";
import type { InteractiveServices, ReverseProxy } from "../runner/proxy/index.js";
import { createFixtureRuntime, type DeployedWorkspace, type FixtureRuntime } from "./support/fixture-runtime.js";
import { httpRequest } from "./support/http.js";
import { startProxiedServices } from "./support/interactive.js";
import { writeFiles } from "./support/workspaces.js";

const DASHBOARD = "jobs.workspace.dashboard";

let runtime: FixtureRuntime;
let usgs: DeployedWorkspace;
let services: InteractiveServices;
let proxy: ReverseProxy;
let port: number;
const outcomes: RunOutcome[] = [];

beforeAll(async () => {
  runtime = await createFixtureRuntime();
  usgs = await runtime.deploy("usgs");
  ({ services, proxy, port } = await startProxiedServices(
    {
      clock: runtime.clock,
      context: runtime.context,
      executor: runtime.executor("bridge"),
      lookup: (workspace, job) => (workspace === "usgs" && job === "dashboard" ? { job: usgs.job(DASHBOARD), workspace: { name: usgs.name, dir: usgs.dir } } : undefined),
      runIdPrefix: "dash",
    },
    outcomes,
  ));
});

afterAll(async () => {
  await services?.stopAll();
  await proxy?.close();
  await runtime?.close();
});

/** `python -c <code>` in an environment image, stdout trimmed. */
async function pythonIn(image: string, code: string): Promise<string> {
  const result = await runInEnvironment(runtime.engine, { image, workspaceDir: usgs.dir, cmd: [`${ContainerPaths.venv}/bin/python`, "-c", code], network: "none" });
  expect(result.exitCode, result.stderr).toBe(0);
  return result.stdout.trim();
}

describe("workspace dashboard (dlt's synthesized jobs.workspace.dashboard)", () => {
  it("usgs's dashboard environment holds dlt's dashboard group on top of the workspace's dependencies: dlt unchanged, declared ranges kept", async () => {
    const job: RunnableJob = usgs.job(DASHBOARD);
    expect(job.require?.dependency_groups).toEqual([DASHBOARD]);
    const lines: string[] = [];
    const dashboard = await ensureWorkspaceEnvironment(runtime.engine, { workspaceDir: usgs.dir, dependencyGroups: [DASHBOARD], onProgress: (line) => lines.push(line) });
    if (!dashboard.reused) expect(lines.join("\n")).toContain(`group ${DASHBOARD}: from dlt's requirements manifest:`);
    expect(dashboard.groups).toEqual([DASHBOARD]);
    const plain = await ensureWorkspaceEnvironment(runtime.engine, { workspaceDir: usgs.dir, onProgress: () => {} });
    expect(dashboard.image).not.toBe(plain.image);

    // every spec of dlt's dashboard group imports (dlthub within the range dlt 1.26.0 declares)
    const imported = await pythonIn(dashboard.image, "import botocore, croniter, dlthub, ibis, marimo, numpy, pandas, pyarrow, s3fs, uvicorn; import importlib.metadata as m; print(m.version('dlthub'))");
    expect(imported).toMatch(/^0\.2[2-6]\./);
    // dlt did not move; the workspace's declared ranges hold (sqlglot>=28,<29, duckdb>=1.4,<2) even where
    // dlthub's own needs pick another version inside them than uv.lock did
    const versions = "import importlib.metadata as m; print(m.version('dlt'), m.version('sqlglot'), m.version('duckdb'))";
    const [dlt, sqlglot, duckdb] = (await pythonIn(dashboard.image, versions)).split(" ");
    expect(dlt).toBe((await pythonIn(plain.image, versions)).split(" ")[0]);
    expect(dlt).toBe("1.26.0");
    expect(sqlglot).toMatch(/^28\./);
    expect(duckdb).toMatch(/^1\.([4-9]|\d\d)\./);
  });

  it("GET /w/usgs/dashboard/ through the proxy answers 200 with dlt's workspace dashboard page", async () => {
    const page = await httpRequest(port, "/w/usgs/dashboard/");
    const runId = services.list().find((service) => service.workspace === "usgs" && service.job === "dashboard")?.runId;
    expect(page.status, runId ? runtime.logText(runId) : page.body).toBe(200);
    expect(page.body).toContain("dlt workspace dashboard");
    expect(runtime.imageOf(runId ?? "")).toBe((await ensureWorkspaceEnvironment(runtime.engine, { workspaceDir: usgs.dir, dependencyGroups: [DASHBOARD], onProgress: () => {} })).image);
  });

  it("a group neither pyproject.toml nor dlt defines fails the build with env_group_undefined", async () => {
    const dir = join(runtime.home, "undefined-group");
    writeFiles(dir, { "pyproject.toml": '[project]\nname = "tiny"\nversion = "0"\nrequires-python = ">=3.11"\ndependencies = ["dlt==1.26.0"]\n\n[dependency-groups]\nextra = []\n' });
    await expect(ensureHostVenv({ workspaceDir: dir, cacheDir: join(runtime.home, "cache"), dependencyGroups: ["extra", "main", "no-such-group"], onProgress: () => {} })).rejects.toMatchObject({
      code: "env_group_undefined",
      details: { groups: ["no-such-group"] },
    });
  });
});
