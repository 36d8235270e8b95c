/**
 * Interactive jobs behind the reverse proxy on its own loopback port (`proxy.port`, default
 * 7879): `/w/<workspace>/<job>/…`. The proxy is not behind the API token (browsers open it);
 * it only listens on 127.0.0.1.
 *
 * Every interactive run is a scheduler run (docs/workspaces.md "Interactive runs"): a request
 * to the proxy or `serve` dispatches the job like any trigger, so the run has a record, a
 * number, logs, cancel and concurrency. The executor asks `runArgsFor` for a free loopback port
 * and base path for every interactive run, however it was started (proxy, serve, trigger,
 * launch, its own schedule), and `onStarted` hands the started service to the proxy, which
 * routes requests to it and stops it through the scheduler after its idle timeout.
 */
import type { Clock } from "../../core/index.js";
import { SluiceError, errorText } from "../../core/index.js";
import type { PreparedRun, RunArgs, RunnableJob, SupervisedRun, WorkspaceRef } from "../../runner/executors/index.js";
import { asRunnableJob, isInteractive } from "../../runner/executors/index.js";
import { createInteractiveServices, createReverseProxy, serviceIdleTimeoutMs, serviceRunArgs, type InteractiveServices, type ServicePort, type StartedService } from "../../runner/proxy/index.js";
import type { CompiledJob, NameScope, RunRecord, RunSpec, Scheduler } from "../../runner/scheduler/index.js";
import { shortJobName } from "../../runner/scheduler/index.js";
import { findJob } from "./job-lookup.js";

export interface InteractiveOptions {
  clock: Clock;
  scheduler: Scheduler;
  port: number;
  /** How long a proxy request waits for the service's process to start (environment builds included). */
  startTimeoutMs?: number;
}

interface LiveService {
  workspace: string;
  job: string;
  key: string;
  service: StartedService;
}

const isInteractiveJob = (job: CompiledJob) => isInteractive(asRunnableJob(job.definition));

/** The services' view of a run: stops go through the scheduler, so the run's record says why. */
function schedulerStopped(scheduler: Scheduler, supervised: SupervisedRun): SupervisedRun {
  return {
    runId: supervised.runId,
    outcome: supervised.outcome,
    onExit: (callback) => supervised.onExit(callback),
    isStopping: () => supervised.isStopping(),
    kill: (cause) => supervised.kill(cause),
    stop: (cause) => {
      if (supervised.isStopping()) return false;
      scheduler.stopRun(supervised.runId, cause === "idle" ? "idle" : "runtime");
      return true;
    },
  };
}

/** Requests waiting for their run's process to start, by run id; a run that ends first rejects its waiter. */
function createStartWaiters(scheduler: Scheduler, timeoutMs: number) {
  const waiting = new Map<string, { resolve: (service: StartedService) => void; reject: (error: Error) => void }>();
  const off = scheduler.events.on("run:finished", ({ run }) => {
    const waiter = waiting.get(run.runId);
    waiting.delete(run.runId);
    waiter?.reject(new Error(`run ${run.number} (${run.runId}) ended ${run.status} before its service started: ${run.reason ?? "no reason given"}`));
  });
  return {
    wait(runId: string): Promise<StartedService> {
      return new Promise<StartedService>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiting.delete(runId);
          reject(new Error(`run ${runId} did not start within ${Math.round(timeoutMs / 1000)} s`));
        }, timeoutMs);
        const done = () => clearTimeout(timer);
        waiting.set(runId, { resolve: (service) => (done(), resolve(service)), reject: (error) => (done(), reject(error)) });
      });
    },
    /** Hands the service to the request waiting for it; false when nobody waits. */
    resolve(runId: string, service: StartedService): boolean {
      const waiter = waiting.get(runId);
      waiting.delete(runId);
      waiter?.resolve(service);
      return waiter !== undefined;
    },
    dispose: off,
  };
}

/** Dispatches an interactive job (its http: or default trigger) like any trigger; throws when no run starts. */
function dispatchService(scheduler: Scheduler, job: CompiledJob): RunRecord {
  const record = scheduler.dispatch(job, job.defaultTrigger?.raw ?? "http:", "manual");
  if (record.status !== "starting" && record.status !== "running") {
    throw new SluiceError("service_not_started", `Run ${record.number} of ${job.jobRef} is ${record.status}: ${record.reason ?? "no reason given"}.`, {
      hint: `See \`sluice job-run ${job.jobRef} list\`.`,
    });
  }
  return record;
}

export function createInteractive(options: InteractiveOptions) {
  const { scheduler, clock } = options;
  let url: string | null = null;
  const ports = new Map<string, ServicePort>();
  const live = new Map<string, LiveService>();
  const waiters = createStartWaiters(scheduler, options.startTimeoutMs ?? 900_000);

  const services = createInteractiveServices({
    clock,
    async start(workspace, name) {
      const job = [...scheduler.jobs.values()].find((j) => j.workspace === workspace && j.shortName === name && isInteractiveJob(j));
      if (!job) return undefined;
      const record = dispatchService(scheduler, job);
      return live.get(record.runId)?.service ?? waiters.wait(record.runId);
    },
  });

  const offArchived = stopArchivedServices(scheduler, live);

  const proxy = createReverseProxy(services);
  return {
    /** Executor hook: a free port and base path for every interactive run. */
    async runArgsFor(spec: RunSpec, job: RunnableJob, workspace: WorkspaceRef): Promise<RunArgs | undefined> {
      if (!isInteractive(job)) return undefined;
      const port = await serviceRunArgs(job, workspace.name, shortJobName(job.job_ref));
      ports.set(spec.runId, port);
      return port.runArgs;
    },

    /** Executor hook: the started service joins the proxy (a waiting request, or adopted). */
    onStarted(spec: RunSpec, prepared: PreparedRun, supervised: SupervisedRun): void {
      const port = ports.get(spec.runId);
      ports.delete(spec.runId);
      if (!port) return;
      const entry: LiveService = {
        workspace: prepared.workspace.name,
        job: shortJobName(prepared.job.job_ref),
        key: spec.jobRef,
        service: { run: schedulerStopped(scheduler, supervised), port: port.port, stripPrefix: port.stripPrefix, idleTimeoutMs: serviceIdleTimeoutMs(prepared) },
      };
      live.set(spec.runId, entry);
      void supervised.outcome.finally(() => live.delete(spec.runId));
      if (!waiters.resolve(spec.runId, entry.service)) services.adopt(entry.workspace, entry.job, entry.service);
    },

    async start() {
      const port = await proxy.listen(options.port, "127.0.0.1");
      url = `http://127.0.0.1:${port}`;
      endUnroutedServices(scheduler, live);
    },

    /** Daemon stop: services end with it (recorded as such); the next request after a restart starts them again. */
    async stop() {
      offArchived();
      waiters.dispose();
      await stopLiveServices(scheduler, live);
      await proxy.close();
    },

    url: () => url,

    serve: (name: string, scope: NameScope = {}) => serveJob({ scheduler, services, live, url }, name, scope),
  };
}

/**
 * A deployment that archives jobs (a job dropped, a workspace folder gone, `repo remove`) stops
 * the services of the interactive jobs that are no longer deployed. Returns the unsubscribe.
 */
function stopArchivedServices(scheduler: Scheduler, live: Map<string, LiveService>): () => void {
  return scheduler.events.on("deploy:applied", ({ changes }) => {
    const archived = new Set(changes.filter((c) => c.status === "archived").map((c) => c.jobRef));
    for (const [runId, entry] of live) if (archived.has(entry.key)) scheduler.stopRun(runId, "runtime", "stopped: its job is no longer deployed");
  });
}

/** Every live service stops with the daemon (at most 30 s are waited for their ends). */
async function stopLiveServices(scheduler: Scheduler, live: Map<string, LiveService>): Promise<void> {
  const ending = [...live.entries()].map(([runId, entry]) => {
    scheduler.stopRun(runId, "runtime", "stopped with the daemon; the next request starts it again");
    return entry.service.run.outcome;
  });
  await Promise.race([Promise.all(ending), new Promise((resolve) => setTimeout(resolve, 30_000).unref())]).catch((error: unknown) => errorText(error));
}

/** Services re-attached at boot have no proxy route (their port was the last daemon's): they end. */
function endUnroutedServices(scheduler: Scheduler, live: Map<string, LiveService>): void {
  for (const run of scheduler.store.openRuns()) {
    const job = scheduler.known.get(run.jobRef);
    if (job && isInteractiveJob(job) && !live.has(run.runId)) scheduler.stopRun(run.runId, "runtime", "stopped: the daemon restarted; the next request starts the service again");
  }
}

/** `sluice serve`: the job's service, started when needed, and the URL it is reached at. */
async function serveJob(
  { scheduler, services, live, url }: { scheduler: Scheduler; services: InteractiveServices; live: Map<string, LiveService>; url: string | null },
  name: string,
  scope: NameScope,
) {
  const job = findJob(scheduler, name, scope);
  if (!isInteractiveJob(job) || !job.workspace) {
    throw new SluiceError("not_interactive", `Job '${job.shortName}' is not an interactive job.`, { hint: "`sluice job interactive list` lists the interactive jobs; batch jobs start with `sluice launch`." });
  }
  const ready = await services.resolve(job.workspace, job.shortName);
  if (!ready) throw new SluiceError("serve_failed", `The service of '${job.shortName}' did not start.`, { hint: `See \`sluice logs ${job.jobRef}\`.` });
  const runId = [...live.entries()].find(([, entry]) => entry.key === job.jobRef)?.[0];
  const number = runId ? scheduler.store.getRun(runId)?.number : undefined;
  return {
    url: `${url}/w/${job.workspace}/${job.shortName}/`,
    jobRef: job.jobRef,
    workspace: job.workspace,
    ...(runId ? { runId } : {}),
    ...(number === undefined ? {} : { number }),
  };
}
