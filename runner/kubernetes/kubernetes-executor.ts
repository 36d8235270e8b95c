/**
 * One batch/v1 Job per run, on a Kubernetes cluster, with the Docker executor's contract: the same
 * launcher argv, environment and mounts (job-spec.ts), output streamed from the pod into the log
 * store, the same stop sequence and the same rule from an exit to a status (`superviseRun`,
 * `mapRunOutcome`). What Kubernetes adds is its own reasons for a failure (OOMKilled, image
 * errors, unschedulable, DeadlineExceeded), which replace the bare exit code in the run's reason.
 *
 * Stop sequence (docs/kubernetes.md): SIGTERM = delete the pod with the job's grace period (the
 * kubelet sends SIGTERM); SIGKILL = shorten that deletion to the kubelet's minimum. The pod carries
 * a finalizer, so its exit code stays readable until Sluice has recorded it; then the finalizer is
 * removed and the Job deleted (with it, the run's settings Secret, which it owns).
 */
import { SluiceError, type Clock } from "../../core/index.js";
import type { AdoptedRunBase, PreparedRun, RecoveringExecutor, RunEnvironment, RunOutcome, StopSignal, SupervisedRun } from "../executors/index.js";
import { delay, leftToNextDaemon, readsFrom, RUN_PURPOSE, RunLabel, superviseRun } from "../executors/index.js";
import type { ProcessExit } from "../executors/outcome.js";
import { createRunLogWriter, storedLineCounts, type LogStore, type RunLogWriter } from "../logs/index.js";
import { createRedactor, createSettingsOverlay, secretValuesOf, type SecretStore } from "../secrets/index.js";
import { apiErrorText, type JobView, type KubeApi, type LogFollow } from "./api.js";
import { assertRunnableOnKubernetes, buildDataClaim, buildRunJob, type RunJobOptions, type RunVolumes, EXIT_FINALIZER, IMAGE_ANNOTATION, KubeLabel, labelValue, RUN_CONTAINER, type PullPolicy } from "./job-spec.js";
import { kubernetesFailureReason, podState, type PodState, type PodView } from "./pod-state.js";
import { buildSettingsSecret, readSettingsFiles, settingsItems, type SettingsFile } from "./settings-secret.js";

/** The run's image; `checkoutInImage` when it holds the checkout (a registry image, registry-images.ts). */
export type KubeRunEnvironment = RunEnvironment & { checkoutInImage?: boolean };

export interface KubernetesExecutorOptions {
  api: KubeApi;
  clock: Clock;
  logStore: LogStore;
  secretStore: SecretStore;
  environmentFor: (run: PreparedRun) => Promise<KubeRunEnvironment>;
  /** Where a run's settings overlay (with secrets) is staged for the moment it takes to read it into the run's Secret. */
  overlayRoot: string;
  namespace: string;
  /**
   * Where the data dir and dlt's global dir live: `hostPath` (default: the node's disk, the daemon's
   * machine) or one PersistentVolumeClaim per workspace+profile of `storageClass`, created when missing.
   */
  volumes?: RunVolumes;
  /** Default `IfNotPresent`; `Never` for images imported into the node. */
  pullPolicy?: PullPolicy;
  serviceAccount?: string;
  /** Which Sluice owns the run (see `DockerExecutorOptions.instance`). */
  instance?: string;
  /** Let the executor enforce `execute.timeout` (off when the scheduler owns the timers). */
  enforceTimeouts?: boolean;
  /** How often the run's pod is read (default 500 ms). */
  pollMs?: number;
  /** How long a pod may stay unschedulable before the run fails (default 5 min). */
  unschedulableAfterMs?: number;
  /** Age after which `recoverAll` deletes a run Secret with neither owner nor Job (default 1 min). */
  orphanSecretsAfterMs?: number;
}

/** A run Job followed again; its labels are the run's annotations, as the Docker executor has them. */
export interface AdoptedKubernetesRun extends AdoptedRunBase {
  jobName: string;
}

/**
 * Runs as Jobs; `recoverAll` adopts every run Job of this Sluice that is not being deleted.
 * `exec` runs a command (`sluice exec`) in a Job that sees what a run of the same
 * workspace+profile sees (image, claims, settings Secret, host name), followed like a run.
 */
export type KubernetesExecutor = RecoveringExecutor<AdoptedKubernetesRun> & { exec(run: PreparedRun, command: string[]): Promise<SupervisedRun> };

/** Output may arrive a little after the exit is seen; wait at most this long for it. */
const DRAIN_MS = 3000;
/** How often a starting run's pod is read until its container runs, during at most the first START_FAST_POLL_MS. */
const START_POLL_MS = 100;
const START_FAST_POLL_MS = 10_000;
/** A settings Secret without owner or Job older than this is left over from a stopped Sluice. */
const ORPHAN_AFTER_MS = 60_000;
/** The kubelet never kills faster than this after a deletion (its minimum grace period). */
const KILL_GRACE_SECONDS = 1;

interface FollowInput {
  runId: string;
  jobName: string;
  image: string;
  log: RunLogWriter;
  startedMs: number;
  timeoutMs?: number;
  graceMs: number;
}

export function createKubernetesExecutor(options: KubernetesExecutorOptions): KubernetesExecutor {
  const { api, clock, logStore, namespace } = options;
  const detaching = new AbortController();
  const followed = new Set<LogFollow>();
  const scope: Record<string, string> = { [KubeLabel.managed]: "true", ...(options.instance ? { [KubeLabel.instance]: labelValue(options.instance) } : {}) };
  const runSelector = (runId: string) => ({ ...scope, [KubeLabel.runId]: labelValue(runId) });
  const watcher: WatchContext = { api, clock, namespace, detaching: detaching.signal, followed, pollMs: options.pollMs ?? 500, unschedulableAfterMs: options.unschedulableAfterMs ?? 300_000 };

  const follow = (input: FollowInput): SupervisedRun => {
    const watch = watchRun(watcher, input, runSelector(input.runId));
    const supervised = superviseRun(
      { exited: watch.exited, signal: (signal) => watch.signal(signal) },
      {
        runId: input.runId,
        clock,
        startedMs: input.startedMs,
        timeoutMs: options.enforceTimeouts ?? true ? input.timeoutMs : undefined,
        graceMs: input.graceMs,
        lastLines: () => input.log.lastLines(),
        onSignal: (signal, cause) => input.log.system(`sluice: sending ${signal} (${cause})`),
      },
    );
    const withReason = (outcome: RunOutcome): RunOutcome => (outcome.status === "failed" && watch.failure() ? { ...outcome, reason: watch.failure() } : outcome);
    const outcome = supervised.outcome.then(async (result) => {
      logStore.end(input.runId);
      await watch.release();
      return withReason(result);
    });
    return { ...supervised, outcome, onExit: (callback) => supervised.onExit((result) => callback(withReason(result))), placement: watch.placement };
  };

  // Without an instance of its own, a Sluice still leaves alone the Jobs that another one claimed.
  const runJobs = async (extra: Record<string, string> = {}) =>
    (await api.listJobs(namespace, { ...scope, [KubeLabel.purpose]: RUN_PURPOSE, ...extra })).filter((job) => !job.deleting && (options.instance !== undefined || job.labels[KubeLabel.instance] === undefined));

  const adoptJob = (job: JobView): AdoptedKubernetesRun => {
    const input = adoptionInput(options, job);
    return { runId: input.runId, jobRef: job.annotations[RunLabel.jobRef] ?? "", jobName: job.name, labels: job.annotations, run: follow(input) };
  };

  return {
    async start(run) {
      return follow(await createRunJob(options, run));
    },
    async exec(run, command) {
      return follow(await createRunJob(options, run, { command }));
    },
    async adopt(runId) {
      const [job] = await runJobs({ [KubeLabel.runId]: labelValue(runId) });
      return job ? adoptJob(job) : null;
    },
    async recoverAll() {
      const jobs = await runJobs();
      await deleteOrphanSecrets(options, scope, jobs);
      return jobs.map(adoptJob);
    },
    detach() {
      detaching.abort();
      for (const stream of followed) stream.stop();
    },
  };
}

/** Creates the run's settings Secret and its Job (then makes the Job the Secret's owner); what following it needs. */
async function createRunJob(options: KubernetesExecutorOptions, run: PreparedRun, exec?: { command: string[] }): Promise<FollowInput> {
  const { api, logStore, namespace } = options;
  assertRunnableOnKubernetes(run);
  const { environment, log, files, podOptions } = await preparePod(options, run);
  const job = buildRunJob(run, { ...podOptions, ...(exec ? { exec } : {}) });
  const name = job.metadata.name;
  try {
    if (files) await api.createSecret(buildSettingsSecret(job, files));
    const { uid } = await api.createJob(job).catch(async (error: unknown) => {
      if (files) await api.deleteSecret(namespace, name).catch(() => undefined);
      throw error;
    });
    // if this fails the Secret stays unowned: release() and recoverAll() still delete it
    if (files) await api.setSecretOwner(namespace, name, { name, uid }).catch((error: unknown) => log.system(`sluice: the settings Secret could not be tied to the Job: ${apiErrorText(error)}`));
  } catch (error) {
    const message = run.redact(apiErrorText(error));
    log.system(`sluice: the run's Job could not be created: ${message}`);
    logStore.end(run.runId);
    throw new SluiceError("run_start_failed", `Run ${run.runId} of ${run.job.job_ref} could not be started on Kubernetes: ${message}`, {
      hint: "See the run's log; check the namespace, the service account and Sluice's rights to create Jobs and Secrets there.",
      details: { job: run.job.job_ref },
    });
  }
  const input: FollowInput = { runId: run.runId, jobName: name, image: environment.image, log, startedMs: options.clock.now(), graceMs: run.limits.graceMs };
  if (run.limits.timeoutMs !== undefined) input.timeoutMs = run.limits.timeoutMs;
  return input;
}

/** What a run's pod needs, for a Job and for an interactive run's Pod alike: image, log writer, settings files, the spec's options. */
export async function preparePod(
  options: KubernetesExecutorOptions,
  run: PreparedRun,
): Promise<{ environment: KubeRunEnvironment; log: RunLogWriter; files: SettingsFile[] | undefined; podOptions: RunJobOptions }> {
  const environment = await options.environmentFor(run);
  const log = createRunLogWriter(options.logStore, run.runId, { redact: run.redact });
  const files = settingsFilesOf(options, run);
  if (!files && run.secretsFile) log.system("sluice: the workspace has no .dlt/ folder, stored secrets were not mounted");
  const podOptions: RunJobOptions = {
    image: environment.image,
    python: environment.python,
    namespace: options.namespace,
    pullPolicy: options.pullPolicy ?? "IfNotPresent",
    ...(options.instance ? { instance: options.instance } : {}),
    ...(options.serviceAccount ? { serviceAccount: options.serviceAccount } : {}),
    ...(files ? { settings: settingsItems(files) } : {}),
    ...(environment.checkoutInImage ? { checkoutInImage: true } : {}),
    ...(await dataClaimOf(options, run, log)),
  };
  return { environment, log, files, podOptions };
}

/**
 * With a storage class: the workspace+profile's claim, created when missing; a reader (an
 * interactive run) also gets the claim of the profile it reads (`readsFrom`), which it mounts
 * read-only (job-spec.ts), with no snapshot on the daemon's disk (`dataElsewhere`).
 */
async function dataClaimOf(options: KubernetesExecutorOptions, run: PreparedRun, log: RunLogWriter): Promise<{ dataClaim?: string; readClaim?: string }> {
  const volumes = options.volumes ?? "hostPath";
  if (volumes === "hostPath") return {};
  const ensure = async (profile: string): Promise<string> => {
    const claim = buildDataClaim({ workspace: run.workspace.name, profile, namespace: options.namespace, storageClass: volumes.storageClass, ...(options.instance ? { instance: options.instance } : {}), ...(volumes.size ? { size: volumes.size } : {}) });
    try {
      if (await options.api.ensureClaim(claim)) log.system(`sluice: created the data volume claim ${claim.metadata.name} (${claim.spec.resources.requests.storage}, storage class ${volumes.storageClass})`);
    } catch (error) {
      const message = apiErrorText(error);
      log.system(`sluice: the data volume claim ${claim.metadata.name} could not be created: ${message}`);
      options.logStore.end(run.runId);
      throw new SluiceError("run_start_failed", `Run ${run.runId} of ${run.job.job_ref} could not be started on Kubernetes: the data volume claim ${claim.metadata.name} could not be created: ${message}`, {
        hint: "Check the storage class name and Sluice's rights to create PersistentVolumeClaims in the namespace.",
        details: { job: run.job.job_ref },
      });
    }
    return claim.metadata.name;
  };
  const dataClaim = await ensure(run.profile);
  if (!run.interactive) return { dataClaim };
  const source = readsFrom(run.profile);
  const readClaim = source === run.profile ? dataClaim : await ensure(source);
  log.system(`sluice: reading ${run.workspace.name}/${source} data from its volume claim ${readClaim} (DuckDB files read-only, a private copy of the pipelines' state)`);
  return { dataClaim, readClaim };
}

/** The run's settings overlay (runner/secrets), read and removed from disk at once; undefined without a `.dlt/`. */
function settingsFilesOf(options: KubernetesExecutorOptions, run: PreparedRun): SettingsFile[] | undefined {
  const overlay = createSettingsOverlay({ root: options.overlayRoot, runId: run.runId, workspaceDir: run.workspace.dir, profile: run.profile, secretsFile: run.secretsFile });
  if (!overlay) return undefined;
  try {
    return readSettingsFiles(overlay.dir);
  } finally {
    overlay.remove();
  }
}

/**
 * Settings Secrets of this Sluice's runs with neither an owner nor a Job: left by a Sluice that
 * stopped between creating the Secret and the Job. Younger ones may belong to a start under way.
 */
async function deleteOrphanSecrets(options: KubernetesExecutorOptions, scope: Record<string, string>, jobs: JobView[]): Promise<void> {
  const { api, namespace, clock } = options;
  const names = new Set(jobs.map((job) => job.name));
  const secrets = await api.listSecrets(namespace, { ...scope, [KubeLabel.purpose]: RUN_PURPOSE }).catch(() => []);
  for (const secret of secrets) {
    if (!secret.owned && !names.has(secret.name) && secret.createdMs + (options.orphanSecretsAfterMs ?? ORPHAN_AFTER_MS) < clock.now()) await api.deleteSecret(namespace, secret.name).catch(() => undefined);
  }
}

/** Following a Job found after a restart: start, timeout and grace from its annotations; stored lines are skipped. */
function adoptionInput(options: KubernetesExecutorOptions, job: JobView): FollowInput {
  const notes = job.annotations;
  const runId = notes[RunLabel.runId] ?? job.labels[KubeLabel.runId] ?? "";
  const number = (key: string) => (notes[key] !== undefined && notes[key] !== "" ? Number(notes[key]) : undefined);
  const workspace = notes[RunLabel.workspace];
  const profile = notes[RunLabel.profile];
  const secrets = workspace && profile ? options.secretStore.read(workspace, profile) : undefined;
  const log = createRunLogWriter(options.logStore, runId, { redact: createRedactor(secrets ? secretValuesOf(secrets) : []), skip: storedLineCounts(options.logStore, runId) });
  log.system("sluice: re-attached to the run's Job after a restart");
  const input: FollowInput = {
    runId,
    jobName: job.name,
    image: notes[IMAGE_ANNOTATION] ?? "the run's image",
    log,
    startedMs: number(RunLabel.startedMs) ?? options.clock.now(),
    graceMs: number(RunLabel.graceMs) ?? 30_000,
  };
  const timeoutMs = number(RunLabel.timeoutMs);
  if (timeoutMs !== undefined) input.timeoutMs = timeoutMs;
  return input;
}

interface WatchContext {
  api: KubeApi;
  clock: Clock;
  namespace: string;
  detaching: AbortSignal;
  followed: Set<LogFollow>;
  pollMs: number;
  unschedulableAfterMs: number;
}

interface RunWatch {
  readonly exited: Promise<ProcessExit>;
  signal(signal: StopSignal): Promise<void>;
  /** Kubernetes' reason for a failure, once the exit is known. */
  failure(): string | null;
  /** Lets the pod and the Job go once the outcome is recorded. */
  release(): Promise<void>;
  /** `pod <name> on node <node>`, once the pod is bound to a node. */
  readonly placement: Promise<string>;
}

/** What the poll loop learns about a run's pod, read by `signal`, `failure` and `release`. */
interface WatchState {
  podName?: string;
  failure: string | null;
  ended: boolean;
  logs?: Promise<void>;
  stopping: boolean;
  placed(where: string): void;
}

/** Follows one run's pod: its state by polling, its output by a log stream; ends it on signals. */
function watchRun(ctx: WatchContext, input: FollowInput, selector: Record<string, string>): RunWatch {
  const { api, namespace } = ctx;
  let placed: (where: string) => void = () => undefined;
  const placement = new Promise<string>((resolve) => (placed = resolve));
  const state: WatchState = { failure: null, ended: false, stopping: false, placed: (where) => placed(where) };
  return {
    exited: pollUntilExit(ctx, input, selector, state),
    async signal(signal) {
      state.stopping = true;
      const grace = signal === "SIGKILL" ? KILL_GRACE_SECONDS : Math.max(KILL_GRACE_SECONDS, Math.ceil(input.graceMs / 1000));
      if (state.podName) await api.deletePod(namespace, state.podName, grace);
      else await api.deleteJob(namespace, input.jobName);
    },
    failure: () => state.failure,
    placement,
    async release() {
      if (state.podName) await api.removePodFinalizer(namespace, state.podName, EXIT_FINALIZER).catch(() => undefined);
      await api.deleteJob(namespace, input.jobName).catch(() => undefined);
      // owned by the Job, so the garbage collector deletes it too; deleted here so no secret outlives the run
      await api.deleteSecret(namespace, input.jobName).catch(() => undefined);
    },
  };
}

/** Reads the run's pod until it ended, cannot start, stayed unschedulable too long, or is gone; opens its log stream once it runs. */
async function pollUntilExit(ctx: WatchContext, input: FollowInput, selector: Record<string, string>, state: WatchState): Promise<ProcessExit> {
  let unschedulableSince: number | undefined;
  let seenPod = false;
  const outage: { since?: number } = {};
  const fastUntil = ctx.clock.now() + START_FAST_POLL_MS;
  for (;;) {
    if (ctx.detaching.aborted) return leftToNextDaemon();
    const pod = await readPod(ctx, selector, input.log, outage);
    if (pod === undefined) {
      // no pod yet, or no pod any more: gone with its Job (a stop before the pod existed, or someone deleted it)
      if ((seenPod || state.stopping) && (await jobGone(ctx, input.jobName, selector))) {
        state.failure = seenPod ? "the run's pod disappeared before Sluice read its exit" : null;
        return { exitCode: null, signal: state.stopping ? "SIGTERM" : null };
      }
    } else if (pod !== null) {
      seenPod = true;
      state.podName = pod.name;
      if (pod.nodeName) state.placed(`pod ${pod.name} on node ${pod.nodeName}`);
      const current = podState(pod);
      if ((current.kind === "running" || current.kind === "ended") && !state.logs) state.logs = streamLogs(ctx, { pod: pod.name, selector }, input.log, () => state.ended);
      if (current.kind === "ended") return finishWatch(ctx, input, state, current);
      if (current.kind === "cannot-start" || (current.kind === "unschedulable" && (unschedulableSince ??= ctx.clock.now()) + ctx.unschedulableAfterMs <= ctx.clock.now())) {
        return giveUp(ctx, input, state, pod, current);
      }
    }
    // until the log stream is open (at most the first seconds), poll faster: lines printed before it opens wait for it
    await delay(!state.logs && ctx.clock.now() < fastUntil ? Math.min(START_POLL_MS, ctx.pollMs) : ctx.pollMs);
  }
}

/** The container ended: its output is drained (at most DRAIN_MS) and Kubernetes' reason for a failure logged. */
async function finishWatch(ctx: WatchContext, input: FollowInput, state: WatchState, ended: Extract<PodState, { kind: "ended" }>): Promise<ProcessExit> {
  state.ended = true;
  state.failure = kubernetesFailureReason(ended, input.image);
  if (state.logs) await Promise.race([state.logs, delay(DRAIN_MS)]);
  if (ctx.detaching.aborted) return leftToNextDaemon();
  input.log.flush();
  if (state.failure) input.log.system(`sluice: ${state.failure}`);
  return { exitCode: ended.exitCode, signal: null };
}

/** The pod cannot run (image, configuration, unschedulable for too long): the run fails at once and the pod goes. */
async function giveUp(ctx: WatchContext, input: FollowInput, state: WatchState, pod: PodView, current: PodState): Promise<ProcessExit> {
  state.ended = true;
  state.failure = kubernetesFailureReason(current, input.image);
  input.log.system(`sluice: ${state.failure ?? "the run cannot start"}`);
  await ctx.api.deletePod(ctx.namespace, pod.name, 0).catch(() => undefined);
  return { exitCode: null, signal: null };
}

/** The run's pod; undefined when there is none, null when the API could not be read (tried again later; logged once per outage). */
async function readPod(ctx: WatchContext, selector: Record<string, string>, log: RunLogWriter, outage: { since?: number }): Promise<PodView | null | undefined> {
  try {
    const pods = await ctx.api.listPods(ctx.namespace, selector);
    if (outage.since !== undefined) log.system(`sluice: the Kubernetes API answers again after ${Math.round((ctx.clock.now() - outage.since) / 1000)} s`);
    delete outage.since;
    return pods[0];
  } catch (error) {
    if (outage.since === undefined) log.system(`sluice: cannot read the run's pod, trying again every ${ctx.pollMs} ms: ${apiErrorText(error)}`);
    outage.since ??= ctx.clock.now();
    return null;
  }
}

async function jobGone(ctx: WatchContext, jobName: string, selector: Record<string, string>): Promise<boolean> {
  try {
    return !(await ctx.api.listJobs(ctx.namespace, selector)).some((job) => job.name === jobName && !job.deleting);
  } catch {
    return false;
  }
}

/**
 * The container's output from its first byte. A stream that ends while the container still runs
 * (a dropped connection) is opened again; the lines already stored are skipped.
 */
async function streamLogs(ctx: WatchContext, target: { pod: string; selector: Record<string, string> }, log: RunLogWriter, ended: () => boolean): Promise<void> {
  for (;;) {
    if (ctx.detaching.aborted) return;
    let stream: LogFollow | undefined;
    try {
      stream = await ctx.api.followLog(ctx.namespace, target.pod, RUN_CONTAINER, (chunk) => log.push("stdout", chunk));
      ctx.followed.add(stream);
      await stream.done;
    } catch {
      // not readable yet or any more: decided below
    } finally {
      if (stream) ctx.followed.delete(stream);
    }
    if (ended() || ctx.detaching.aborted || (await containerEnded(ctx, target))) return;
    log.replayFromStart();
    await delay(ctx.pollMs);
  }
}

async function containerEnded(ctx: WatchContext, target: { pod: string; selector: Record<string, string> }): Promise<boolean> {
  try {
    const pods = await ctx.api.listPods(ctx.namespace, target.selector);
    const pod = pods.find((candidate) => candidate.name === target.pod);
    return pod === undefined || podState(pod).kind === "ended";
  } catch {
    return false;
  }
}
