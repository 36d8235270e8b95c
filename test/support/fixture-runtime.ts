/**
 * Shared set-up for integration tests that run the fixture workspaces the way Sluice does:
 * a temp Sluice home (secrets, logs, overlays, data), the real Docker executor with each job's
 * environment image, jobs taken from dlt's own manifest of the workspace, the fake source APIs,
 * and DuckDB queries answered by the workspace's environment inside a container.
 *
 * Networking: the fake APIs listen on 127.0.0.1 only. Batch runs therefore use the executor's
 * `network: "host"` (the container shares the host's loopback, so `SOURCES__*__BASE_URL` can
 * point at 127.0.0.1:<port>); no other address is ever used. Interactive services use
 * `network: "bridge"` with their port published on 127.0.0.1 only — they need no fake API, and
 * host networking would bind dlt's launchers (0.0.0.0) to every interface of the host.
 */
import { rmSync } from "node:fs";
import { basename, join } from "node:path";
import type { FakeSources } from "../../fixtures/fake-sources/index.js";
import { generateManifest } from "../../reconciler/index.js";
import { createDockerodeEngine, runOneShot, type ContainerEngine } from "../../runner/docker/index.js";
import {
  asRunnableJob,
  imageEnvironments,
  prepareRun,
  type DockerExecutor,
  type PreparedRun,
  type RunnableJob,
  type RunOutcome,
  type RunRequest,
} from "../../runner/executors/index.js";
import { ContainerPaths, ensureWorkspaceEnvironment } from "../../runner/images/index.js";
import { duckdbQueryArgs } from "./duckdb-query.js";
import { startLoopbackSources } from "./fake-sources.js";
import { createRunHome, type RunHome } from "./run-home.js";
import { copyFixtureWorkspace, type FixtureName } from "./workspaces.js";

export { FixtureWorkspace, type FixtureName } from "./workspaces.js";

export interface DeployedWorkspace {
  name: FixtureName;
  /** Temp copy of the fixture: the "checkout" runs mount read-only. */
  dir: string;
  jobs: Map<string, RunnableJob>;
  job(ref: string): RunnableJob;
}

export interface BatchResult {
  runId: string;
  outcome: RunOutcome;
  /** Every stored log line of the run, joined. */
  logs: string;
}

export interface FixtureRuntime extends RunHome {
  /** Value of the `sluice.instance` label on this runtime's run containers. */
  instance: string;
  engine: ContainerEngine;
  sources: FakeSources;
  executor(network: "host" | "bridge"): DockerExecutor;
  /** Environment image a run was started from. */
  imageOf(runId: string): string | undefined;
  /** Copies a fixture into the home and reads its jobs from dlt's manifest (ad-hoc when `script` is given). */
  deploy(name: FixtureName, options?: { script?: string }): Promise<DeployedWorkspace>;
  prepare(workspace: DeployedWorkspace, job: RunnableJob, request?: Partial<RunRequest>): PreparedRun;
  /** Runs a batch job to its end with host networking and the fake API URLs in its environment. */
  runBatch(workspace: DeployedWorkspace, job: RunnableJob, request?: Partial<RunRequest>): Promise<BatchResult>;
  /** One SQL query against `<data dir of workspace+profile>/local/<file>`, read-only, by the workspace's own duckdb. */
  query(workspace: DeployedWorkspace, profile: string, file: string, sql: string): Promise<unknown[][]>;
  /** Containers of this runtime's runs with the given labels (any state). */
  runContainers(labels: Record<string, string>): Promise<Array<{ id: string; state: string; labels: Record<string, string> }>>;
  close(): Promise<void>;
}

export interface FixtureRuntimeOptions {
  githubToken?: string;
  /** The fake feeds' notion of now (USGS significant-month feed). */
  now?: () => Date;
}

export async function createFixtureRuntime(options: FixtureRuntimeOptions = {}): Promise<FixtureRuntime> {
  const runHome = createRunHome("sluice-fixtures-");
  const { home, clock, context, dataRoot, logText } = runHome;
  // scopes recovery to this suite: another Sluice on the same engine must not adopt (and stop) our runs
  const instance = basename(home);
  const engine = createDockerodeEngine();
  if (!(await engine.ping())) throw new Error("Docker engine does not answer (run scripts/setup.sh)");
  const sources = await startLoopbackSources({ ...(options.githubToken ? { githubToken: options.githubToken } : {}), ...(options.now ? { now: options.now } : {}) });
  const environments = imageEnvironments(engine, { onProgress: () => {} });
  const images = new Map<string, string>();
  const environmentFor = async (run: PreparedRun) => {
    const environment = await environments(run);
    images.set(run.runId, environment.image);
    return environment;
  };
  const executors = new Map<string, DockerExecutor>();
  let runCounter = 0;

  const executor = (network: "host" | "bridge") => {
    let found = executors.get(network);
    if (!found) {
      found = runHome.dockerExecutor({ engine, environmentFor, network, instance });
      executors.set(network, found);
    }
    return found;
  };

  const prepare = (workspace: DeployedWorkspace, job: RunnableJob, request: Partial<RunRequest> = {}) => {
    const run = prepareRun(
      job,
      { name: workspace.name, dir: workspace.dir, deploymentVersion: 1 },
      { runId: request.runId ?? `fx-${process.pid}-${++runCounter}-${Date.now()}`, trigger: request.trigger ?? `manual:${job.job_ref}`, refresh: request.refresh ?? false, ...request },
      context,
      clock.now(),
    );
    return {
      ...run,
      env: {
        ...run.env,
        RUNTIME__DLTHUB_TELEMETRY: "false",
        SOURCES__GITHUB__BASE_URL: sources.url,
        SOURCES__JAFFLE_SHOP__BASE_URL: sources.url,
        SOURCES__USGS__BASE_URL: sources.url,
      },
    };
  };

  return {
    ...runHome,
    instance,
    engine,
    sources,
    executor,
    imageOf: (runId) => images.get(runId),
    async deploy(name, deployOptions = {}) {
      const dir = join(home, "checkouts", name);
      copyFixtureWorkspace(name, dir);
      const generated = await generateManifest({ workspaceDir: dir, executor: "docker", engine, ...(deployOptions.script ? { script: deployOptions.script } : {}) });
      const jobs = new Map(generated.manifest.jobs.map((job) => [job.job_ref, asRunnableJob(job as unknown as Record<string, unknown>)]));
      return {
        name,
        dir,
        jobs,
        job(ref) {
          const job = jobs.get(ref);
          if (!job) throw new Error(`no job ${ref} in ${name}: ${[...jobs.keys()].join(", ")}`);
          return job;
        },
      };
    },
    prepare,
    async runBatch(workspace, job, request = {}) {
      const run = prepare(workspace, job, request);
      const outcome = await (await executor("host").start(run)).outcome;
      return { runId: run.runId, outcome, logs: logText(run.runId) };
    },
    async query(workspace, profile, file, sql) {
      const { image } = await ensureWorkspaceEnvironment(engine, { workspaceDir: workspace.dir, onProgress: () => {} });
      const result = await runOneShot(engine, {
        image,
        cmd: [`${ContainerPaths.venv}/bin/python`, ...duckdbQueryArgs(`/data/${file}`, sql)],
        purpose: "test-query",
        network: "none",
        binds: [{ source: join(dataRoot, workspace.name, profile, "local"), target: "/data", readOnly: true }],
      });
      if (result.exitCode !== 0) throw new Error(`query failed (exit ${result.exitCode}): ${result.stderr.slice(-2000)}`);
      return JSON.parse(result.stdout) as unknown[][];
    },
    async runContainers(labels) {
      const found = await engine.listContainers({ "sluice.managed": "true", "sluice.purpose": "run", ...labels });
      return found.map((container) => ({ id: container.id, state: container.state, labels: container.labels }));
    },
    async close() {
      await sources.close();
      rmSync(home, { recursive: true, force: true });
    },
  };
}
