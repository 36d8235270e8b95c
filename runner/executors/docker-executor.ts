/**
 * One container per run from the job's environment image. The container is created, attached
 * (output streamed into the log store), started, and followed until it exits; then it is removed
 * together with its settings overlay. After a daemon restart, containers of runs that are still
 * alive are re-attached and supervised again (timeouts count from the original start); ended
 * ones yield their exit code and are removed. `detach()` (a graceful daemon stop) lets go of every
 * followed container without touching it, so the next daemon adopts it (docs/daemon.md).
 */
import { errorText, SluiceError, type Clock } from "../../core/index.js";
import { waitForEngine, type ContainerEngine, type ContainerSummary } from "../docker/index.js";
import { createRunLogWriter, storedLineCounts, type LogStore, type RunLogWriter } from "../logs/index.js";
import { createRedactor, createSettingsOverlay, removeSettingsOverlay, secretValuesOf, type SecretStore } from "../secrets/index.js";
import type { ProcessExit } from "./outcome.js";
import { RUN_PURPOSE, RunLabel, type PreparedRun } from "./prepare-run.js";
import { ensureLoopbackBindDir } from "./loopback-bind.js";
import { assertServiceReachable, buildRunContainerSpec, runContainerName } from "./run-container-spec.js";
import { superviseRun, type SupervisedProcess, type SupervisedRun } from "./supervisor.js";
import { crashPoint } from "../../core/crash-point.js";

export type RunContainerEngine = Pick<ContainerEngine, "ping" | "createContainer" | "attach" | "startContainer" | "waitContainer" | "killContainer" | "removeContainer" | "listContainers" | "readLogs">;

export interface RunEnvironment {
  image: string;
  /** Python of the venv inside the image. */
  python: string;
}

export interface DockerExecutorOptions {
  engine: RunContainerEngine;
  clock: Clock;
  logStore: LogStore;
  secretStore: SecretStore;
  /** Environment image for the run's job (e.g. from `ensureWorkspaceEnvironment`). */
  environmentFor: (run: PreparedRun) => Promise<RunEnvironment>;
  network: "none" | "host" | "bridge";
  /** Where per-run settings overlays (with secrets) are staged. */
  overlayRoot: string;
  /** Host port for interactive runs; default: the same number as `run_args.port` (allocated by the caller). */
  hostPortFor?: (run: PreparedRun) => number | undefined;
  /** Let the executor enforce `execute.timeout` (off when the scheduler owns the timers). */
  enforceTimeouts?: boolean;
  /**
   * Identity of this Sluice (e.g. a hash of its home). When set, run containers carry it as a label
   * and `adopt`/`recoverAll` only see containers with the same value, so several Sluice homes (or
   * test suites) sharing one Docker engine never adopt or stop each other's runs. A Sluice without
   * an instance only sees containers that carry none.
   */
  instance?: string;
  /**
   * How long a followed run waits for the Docker engine when the connection to it breaks (dockerd
   * restarting) before the run counts as lost; default 2 minutes.
   */
  engineReconnectMs?: number;
}

export interface AdoptedRun {
  runId: string;
  jobRef: string;
  containerId: string;
  /** true when the container was still running and is followed again. */
  alive: boolean;
  /** The container's labels (workspace, profile, data snapshot of a reader…). */
  labels: Record<string, string>;
  run: SupervisedRun;
}

export interface DockerExecutor {
  start(run: PreparedRun): Promise<SupervisedRun>;
  /** Follows again the container of `runId` if one exists (running or ended). */
  adopt(runId: string): Promise<AdoptedRun | null>;
  /** At boot: adopts every run container Sluice left behind. */
  recoverAll(): Promise<AdoptedRun[]>;
  /**
   * Daemon stop: stops following every run container and leaves it running (nothing more is
   * logged, removed or reported; outcomes never settle). The next start adopts them.
   */
  detach(): void;
}

/** Output may arrive a little after the exit is reported; wait at most this long for it. */
const DRAIN_MS = 3000;
const ENGINE_RECONNECT_MS = 120_000;
/** After a run's output stream ends, how long its exit may take to be reported before the engine is asked again. */
const STREAM_END_GRACE_MS = 2_000;

/** A run container being followed: where its output goes and how long its output stream lasts. */
interface Followed {
  runId: string;
  containerId: string;
  log: RunLogWriter;
  attached: Promise<void>;
  /** false once the output stream ended by itself while the container runs (its process closed stdout and stderr). */
  watchStream: boolean;
  /** Re-reads of the output in a row with the engine answering at once. */
  quietReplays: number;
}

export function createDockerExecutor(options: DockerExecutorOptions): DockerExecutor {
  const { engine, clock, logStore } = options;
  const enforce = options.enforceTimeouts ?? true;
  const detaching = new AbortController();
  const untilDetached = { signal: detaching.signal };
  const detached = () => detaching.signal.aborted;

  /**
   * The container's exit code, or why following it broke. A `docker wait` whose connection is cut
   * (dockerd restarting) never settles, so the output stream is watched too: when it ends and no
   * exit follows within STREAM_END_GRACE_MS, the wait is abandoned and the engine asked again.
   */
  const waitOrStreamEnd = async (followed: Followed): Promise<{ exitCode: number } | { broken: string }> => {
    const call = new AbortController();
    const abort = () => call.abort();
    detaching.signal.addEventListener("abort", abort, { once: true });
    try {
      const waited = engine.waitContainer(followed.containerId, { signal: call.signal }).then(
        (exitCode) => ({ exitCode }),
        (error: unknown) => ({ broken: errorText(error) }),
      );
      const streamEnded = followed.watchStream
        ? followed.attached.then(() => delay(STREAM_END_GRACE_MS)).then(() => ({ broken: "the output stream ended and no exit was reported" }))
        : new Promise<never>(() => undefined);
      return await Promise.race([waited, streamEnded]);
    } finally {
      call.abort();
      detaching.signal.removeEventListener("abort", abort);
    }
  };

  /**
   * The connection to the engine broke under a followed run (dockerd restarting or briefly away):
   * wait for the engine to answer, then follow the container again from its first byte (lines
   * already stored are skipped). Returns why the run is lost when the engine stays away or the
   * container is gone, else null.
   */
  const followAgain = async (followed: Followed, broken: string): Promise<string | null> => {
    const waitMs = options.engineReconnectMs ?? ENGINE_RECONNECT_MS;
    const since = Date.now();
    const answered = await waitForEngine(engine, { timeoutMs: 0 });
    if (!answered) {
      followed.log.system(`sluice: lost contact with the Docker engine (${broken}); waiting up to ${Math.round(waitMs / 1000)}s for it to answer again`);
      if (!(await waitForEngine(engine, { timeoutMs: waitMs, intervalMs: 1_000 }))) {
        const lost = `the Docker engine did not answer within ${Math.round(waitMs / 1000)}s after the connection broke`;
        followed.log.system(`sluice: lost the run's container: ${lost}`);
        return lost;
      }
    }
    if (detached()) return null;
    const [container] = await runContainers({ [RunLabel.runId]: followed.runId }).catch(() => []);
    const back = answered ? "the Docker engine answers" : `the Docker engine answers again after ${((Date.now() - since) / 1000).toFixed(1)}s`;
    if (!container || container.id !== followed.containerId) {
      followed.log.system(`sluice: lost the run's container: ${back} but the container is gone`);
      return "its container is gone";
    }
    if (answered) {
      // the engine answers at once: it restarted quickly, or the process closed its output while
      // running; after a few quiet re-reads the stream is no longer watched (no replay loop)
      followed.quietReplays += 1;
      if (followed.quietReplays >= 3) followed.watchStream = false;
    } else {
      followed.quietReplays = 0;
      followed.log.system(`sluice: ${back}; the run's container is ${container.state}, following it again`);
    }
    followed.log.replayFromStart();
    const onData = (stream: "stdout" | "stderr", chunk: Buffer) => followed.log.push(stream, chunk);
    const reattached = container.state === "running" ? await engine.attach(container.id, onData, untilDetached).catch(() => null) : null;
    followed.attached = reattached ? reattached.done : engine.readLogs(container.id, onData).catch(() => undefined);
    return null;
  };

  const follow = (input: {
    runId: string;
    containerId: string;
    log: RunLogWriter;
    attached: Promise<void>;
    startedMs: number;
    timeoutMs?: number;
    graceMs: number;
  }): SupervisedRun => {
    const followed: Followed = { runId: input.runId, containerId: input.containerId, log: input.log, attached: input.attached, watchStream: true, quietReplays: 0 };
    const exited = (async (): Promise<ProcessExit> => {
      let exit: ProcessExit | undefined;
      while (exit === undefined) {
        const waited = await waitOrStreamEnd(followed);
        if (detached()) return leftToNextDaemon();
        if ("exitCode" in waited) {
          exit = { exitCode: waited.exitCode };
          break;
        }
        const lost = await followAgain(followed, waited.broken);
        if (detached()) return leftToNextDaemon();
        if (lost) exit = { exitCode: null, signal: null, lost };
      }
      await Promise.race([followed.attached, delay(DRAIN_MS)]);
      // an exit seen while the daemon stops is the next daemon's to record (exit code and unread output)
      if (detached()) return leftToNextDaemon();
      input.log.flush();
      return exit;
    })();
    const supervised = superviseRun(
      {
        exited,
        signal: async (signal) => engine.killContainer(input.containerId, signal),
      } satisfies SupervisedProcess,
      {
        runId: input.runId,
        clock,
        startedMs: input.startedMs,
        timeoutMs: enforce ? input.timeoutMs : undefined,
        graceMs: input.graceMs,
        lastLines: () => input.log.lastLines(),
        onSignal: (signal, cause) => input.log.system(`sluice: sending ${signal} (${cause})`),
      },
    );
    // Removed after the onExit listeners (the scheduler records the outcome there) and before `outcome`
    // settles: a crash in between leaves the ended container, so the next start still reads its exit.
    const outcome = supervised.outcome.then(async (result) => {
      logStore.end(input.runId);
      await engine.removeContainer(input.containerId, { force: true }).catch(() => undefined);
      removeSettingsOverlay(options.overlayRoot, input.runId);
      return result;
    });
    return { ...supervised, outcome };
  };

  const adoptContainer = async (container: ContainerSummary): Promise<AdoptedRun | null> => {
    const labels = container.labels;
    const runId = labels[RunLabel.runId];
    if (!runId) return null;
    const workspace = labels[RunLabel.workspace];
    const profile = labels[RunLabel.profile];
    const secrets = workspace && profile ? options.secretStore.read(workspace, profile) : undefined;
    // created but never started (a crash before the start): nothing ran; recoverAll removes it
    if (container.state === "created") return null;
    const alive = container.state === "running";
    const log = createRunLogWriter(logStore, runId, {
      redact: createRedactor(secrets ? secretValuesOf(secrets) : []),
      skip: storedLineCounts(logStore, runId),
    });
    log.system(alive ? "sluice: re-attached to the run's container after a restart" : `sluice: the run's container ended while Sluice was down (${container.state})`);
    let attached: Promise<void> = Promise.resolve();
    let following = false;
    if (alive) {
      try {
        attached = (await engine.attach(container.id, (stream, chunk) => log.push(stream, chunk), untilDetached)).done;
        following = true;
      } catch {
        // ended in between: its output is read below
      }
    }
    if (!following) await engine.readLogs(container.id, (stream, chunk) => log.push(stream, chunk)).catch(() => undefined);
    const number = (key: string) => (labels[key] !== undefined && labels[key] !== "" ? Number(labels[key]) : undefined);
    const run = follow({
      runId,
      containerId: container.id,
      log,
      attached,
      startedMs: number(RunLabel.startedMs) ?? clock.now(),
      timeoutMs: number(RunLabel.timeoutMs),
      graceMs: number(RunLabel.graceMs) ?? 30_000,
    });
    return { runId, jobRef: labels[RunLabel.jobRef] ?? "", containerId: container.id, alive, labels, run };
  };

  const scope: Record<string, string> = options.instance ? { [RunLabel.instance]: options.instance } : {};
  // Without an instance of its own, a Sluice still leaves alone the containers that another one claimed.
  const runContainers = async (extra: Record<string, string> = {}) =>
    (await engine.listContainers({ "sluice.managed": "true", "sluice.purpose": RUN_PURPOSE, ...scope, ...extra })).filter(
      (container) => options.instance !== undefined || container.labels[RunLabel.instance] === undefined,
    );

  return {
    async start(run) {
      assertServiceReachable(run, options.network);
      const environment = await options.environmentFor(run);
      const overlay = createSettingsOverlay({ root: options.overlayRoot, runId: run.runId, workspaceDir: run.workspace.dir, profile: run.profile, secretsFile: run.secretsFile });
      const log = createRunLogWriter(logStore, run.runId, { redact: run.redact });
      if (!overlay && run.secretsFile) log.system("sluice: the workspace has no .dlt/ folder, stored secrets were not mounted");
      const spec = buildRunContainerSpec(run, {
        image: environment.image,
        python: environment.python,
        network: options.network,
        settingsDir: overlay?.dir,
        hostPort: options.hostPortFor ? options.hostPortFor(run) : run.interactive ? run.entryPoint.run_args?.port : undefined,
        ...(run.interactive && options.network === "host" ? { loopbackBindDir: ensureLoopbackBindDir(options.overlayRoot) } : {}),
      });
      spec.labels = { ...spec.labels, ...scope };
      if (options.instance) spec.name = runContainerName(run.runId, options.instance);
      let containerId: string | undefined;
      try {
        containerId = await engine.createContainer(spec);
        const { done } = await engine.attach(containerId, (stream, chunk) => log.push(stream, chunk), untilDetached);
        const startedMs = clock.now();
        crashPoint("container-created");
        await engine.startContainer(containerId);
        return follow({ runId: run.runId, containerId, log, attached: done, startedMs, timeoutMs: run.limits.timeoutMs, graceMs: run.limits.graceMs });
      } catch (error) {
        if (containerId) await engine.removeContainer(containerId, { force: true }).catch(() => undefined);
        overlay?.remove();
        const message = run.redact(errorText(error));
        log.system(`sluice: the run's container could not be started: ${message}`);
        logStore.end(run.runId);
        // The original error may quote the spec (env, mounts): only the masked text leaves.
        throw new SluiceError("run_start_failed", `Run ${run.runId} of ${run.job.job_ref} could not be started: ${message}`, {
          hint: "See the run's log for details.",
          details: { job: run.job.job_ref },
        });
      }
    },
    async adopt(runId) {
      const [container] = await runContainers({ [RunLabel.runId]: runId });
      return container ? adoptContainer(container) : null;
    },
    async recoverAll() {
      const adopted: AdoptedRun[] = [];
      for (const container of await runContainers()) {
        const result = await adoptContainer(container);
        if (result) adopted.push(result);
        else await engine.removeContainer(container.id, { force: true }).catch(() => undefined);
      }
      return adopted;
    },
    detach() {
      detaching.abort();
    },
  };
}

/** The exit of a run after `detach()`: never settles, so this daemon records, logs and removes nothing. */
function leftToNextDaemon(): Promise<never> {
  return new Promise<never>(() => undefined);
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
