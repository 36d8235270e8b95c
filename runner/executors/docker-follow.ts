/**
 * Following a run's container until it exits: its exit code from `docker wait`, its output into
 * the run log, the stop sequence through the supervisor, and the container removed after the
 * outcome is recorded. When the connection to the engine breaks (dockerd restarting), the run
 * waits for the engine and follows the container again (docs/reliability.md).
 */
import { errorText } from "../../core/index.js";
import { waitForEngine, type ContainerSummary } from "../docker/index.js";
import type { RunLogWriter } from "../logs/index.js";
import { removeSettingsOverlay } from "../secrets/index.js";
import type { ProcessExit } from "./outcome.js";
import { RUN_PURPOSE, RunLabel } from "./prepare-run.js";
import { delay, leftToNextDaemon, superviseRun, type SupervisedProcess, type SupervisedRun } from "./supervisor.js";
import type { DockerExecutorOptions } from "./docker-executor.js";
import { WARM_RUN_PURPOSE, removeWarmSlot, warmContainerAsRun, type WarmContainers } from "./warm-containers.js";
import type { Refills } from "./warm-refills.js";

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

/** What every part of one Docker executor shares. */
export interface DockerContext {
  options: DockerExecutorOptions;
  engine: DockerExecutorOptions["engine"];
  enforce: boolean;
  /** Aborted by `detach()`: the daemon stops and leaves its containers to the next one. */
  detaching: AbortController;
  untilDetached: { signal: AbortSignal };
  /** The instance label every run container of this executor carries (empty without an instance). */
  scope: Record<string, string>;
  /** Warm containers batch runs are handed to (absent: every run starts cold). */
  warm?: WarmContainers;
  /** When the warm containers' replacements start. */
  refills: Refills;
}

export const detached = (ctx: DockerContext): boolean => ctx.detaching.signal.aborted;

const mine = (ctx: DockerContext) => (container: ContainerSummary) => ctx.options.instance !== undefined || container.labels[RunLabel.instance] === undefined;

/** This executor's warm run containers, idle or become runs. */
async function warmContainersOf(ctx: DockerContext): Promise<ContainerSummary[]> {
  return (await ctx.engine.listContainers({ "sluice.managed": "true", "sluice.purpose": WARM_RUN_PURPOSE, ...ctx.scope })).filter(mine(ctx));
}

/**
 * This executor's run containers (any state); without an instance, those no other Sluice claimed.
 * Warm containers that became runs count, with the labels of their run (warm-containers.ts).
 */
export async function runContainers(ctx: DockerContext, extra: Record<string, string> = {}): Promise<ContainerSummary[]> {
  const cold = (await ctx.engine.listContainers({ "sluice.managed": "true", "sluice.purpose": RUN_PURPOSE, ...ctx.scope, ...extra })).filter(mine(ctx));
  const warm = await warmContainersOf(ctx);
  const warmRuns = warm.flatMap((container) => warmContainerAsRun(container) ?? []).filter((container) => Object.entries(extra).every(([key, value]) => container.labels[key] === value));
  return [...cold, ...warmRuns];
}

/** Removes warm containers that never became runs (left by a stopped daemon: they exit when its control FIFOs close). */
export async function removeIdleWarmContainers(ctx: DockerContext): Promise<void> {
  for (const container of await warmContainersOf(ctx)) {
    if (warmContainerAsRun(container)) continue;
    await ctx.engine.removeContainer(container.id, { force: true }).catch(() => undefined);
    removeWarmSlot(container);
  }
}

export function followContainer(
  ctx: DockerContext,
  input: {
  runId: string;
  containerId: string;
  log: RunLogWriter;
  attached: Promise<void>;
  startedMs: number;
  timeoutMs?: number;
  graceMs: number;
  /** Removes what the run left besides its container and overlay (a warm container's slot). */
  cleanup?: () => void;
},
): SupervisedRun {
  const followed: Followed = { runId: input.runId, containerId: input.containerId, log: input.log, attached: input.attached, watchStream: true, quietReplays: 0 };
  const exited = (async (): Promise<ProcessExit> => {
    let exit: ProcessExit | undefined;
    while (exit === undefined) {
      const waited = await waitOrStreamEnd(ctx, followed);
      if (detached(ctx)) return leftToNextDaemon();
      if ("exitCode" in waited) {
        exit = { exitCode: waited.exitCode };
        break;
      }
      const lost = await followAgain(ctx, followed, waited.broken);
      if (detached(ctx)) return leftToNextDaemon();
      if (lost) exit = { exitCode: null, signal: null, lost };
    }
    await Promise.race([followed.attached, delay(DRAIN_MS)]);
    // an exit seen while the daemon stops is the next daemon's to record (exit code and unread output)
    if (detached(ctx)) return leftToNextDaemon();
    input.log.flush();
    return exit;
  })();
  const supervised = superviseRun(
    {
      exited,
      signal: async (signal) => ctx.engine.killContainer(input.containerId, signal),
    } satisfies SupervisedProcess,
    {
      runId: input.runId,
      clock: ctx.options.clock,
      startedMs: input.startedMs,
      timeoutMs: ctx.enforce ? input.timeoutMs : undefined,
      graceMs: input.graceMs,
      lastLines: () => input.log.lastLines(),
      onSignal: (signal, cause) => input.log.system(`sluice: sending ${signal} (${cause})`),
    },
  );
  // Removed after the onExit listeners (the scheduler records the outcome there) and before `outcome`
  // settles: a crash in between leaves the ended container, so the next start still reads its exit.
  const outcome = supervised.outcome.then(async (result) => {
    ctx.options.logStore.end(input.runId);
    await ctx.engine.removeContainer(input.containerId, { force: true }).catch(() => undefined);
    removeSettingsOverlay(ctx.options.overlayRoot, input.runId);
    input.cleanup?.();
    return result;
  });
  return { ...supervised, outcome, placement: Promise.resolve(`container ${input.containerId.slice(0, 12)} on this machine`) };
}

/**
 * The container's exit code, or why following it broke. A `docker wait` whose connection is cut
 * (dockerd restarting) never settles, so the output stream is watched too: when it ends and no
 * exit follows within STREAM_END_GRACE_MS, the wait is abandoned and the engine asked again.
 */
async function waitOrStreamEnd(ctx: DockerContext, followed: Followed): Promise<{ exitCode: number } | { broken: string }> {
  const call = new AbortController();
  const abort = () => call.abort();
  ctx.detaching.signal.addEventListener("abort", abort, { once: true });
  try {
    const waited = ctx.engine.waitContainer(followed.containerId, { signal: call.signal }).then(
      (exitCode) => ({ exitCode }),
      (error: unknown) => ({ broken: errorText(error) }),
    );
    const streamEnded = followed.watchStream
      ? followed.attached.then(() => delay(STREAM_END_GRACE_MS)).then(() => ({ broken: "the output stream ended and no exit was reported" }))
      : new Promise<never>(() => undefined);
    return await Promise.race([waited, streamEnded]);
  } finally {
    call.abort();
    ctx.detaching.signal.removeEventListener("abort", abort);
  }
}

/**
 * The connection to the engine broke under a followed run (dockerd restarting or briefly away):
 * wait for the engine to answer, then follow the container again from its first byte (lines
 * already stored are skipped). Returns why the run is lost when the engine stays away or the
 * container is gone, else null.
 */
async function followAgain(ctx: DockerContext, followed: Followed, broken: string): Promise<string | null> {
  const waitMs = ctx.options.engineReconnectMs ?? ENGINE_RECONNECT_MS;
  const since = Date.now();
  const answered = await waitForEngine(ctx.engine, { timeoutMs: 0 });
  if (!answered) {
    followed.log.system(`sluice: lost contact with the Docker engine (${broken}); waiting up to ${Math.round(waitMs / 1000)}s for it to answer again`);
    if (!(await waitForEngine(ctx.engine, { timeoutMs: waitMs, intervalMs: 1_000 }))) {
      const lost = `the Docker engine did not answer within ${Math.round(waitMs / 1000)}s after the connection broke`;
      followed.log.system(`sluice: lost the run's container: ${lost}`);
      return lost;
    }
  }
  if (detached(ctx)) return null;
  const [container] = await runContainers(ctx, { [RunLabel.runId]: followed.runId }).catch(() => []);
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
  const reattached = container.state === "running" ? await ctx.engine.attach(container.id, onData, ctx.untilDetached).catch(() => null) : null;
  followed.attached = reattached ? reattached.done : ctx.engine.readLogs(container.id, onData).catch(() => undefined);
  return null;
}
