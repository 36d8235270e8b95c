/**
 * Interactive runs (notebooks, MCP servers, dashboards) on a Kubernetes cluster: one Pod per run
 * with a ClusterIP Service selecting it, reached from the daemon's loopback port (the one the proxy
 * forwards `/w/<workspace>/<job>/` to) by a port-forward through the API server, so the daemon need
 * not run inside the cluster. Same contract as the batch executor: the Docker executor's container
 * (service-spec.ts), labels and instance scoping, output followed from the pod into the log store,
 * the stop sequence of `superviseRun` (SIGTERM = delete the pod with the grace period, SIGKILL =
 * shorten it to the kubelet's minimum), and Pod, Service and settings Secret deleted once the outcome
 * is recorded (idle stop, cancel, daemon archive all end here).
 */
import { errorText, SluiceError } from "../../core/index.js";
import type { AdoptedRunBase, PreparedRun, RecoveringExecutor, RunOutcome, StopSignal, SupervisedRun } from "../executors/index.js";
import { delay, leftToNextDaemon, RunLabel, superviseRun } from "../executors/index.js";
import type { ProcessExit } from "../executors/outcome.js";
import { createRunLogWriter, storedLineCounts, type RunLogWriter } from "../logs/index.js";
import { createRedactor, secretValuesOf } from "../secrets/index.js";
import { apiErrorText, type LogFollow } from "./api.js";
import { EXIT_FINALIZER, IMAGE_ANNOTATION, KubeLabel, labelValue, RUN_CONTAINER } from "./job-spec.js";
import { kubernetesFailureReason, podState, type PodView } from "./pod-state.js";
import { preparePod, type KubernetesExecutorOptions } from "./kubernetes-executor.js";
import { listenLoopbackForward, type LoopbackForward, type ServiceApi } from "./port-forward.js";
import { buildRunService, buildServicePod, buildServiceSecret, HOST_PORT_ANNOTATION, serviceSelector, servicePortOf } from "./service-spec.js";

/** The batch executor's options (orphan sweeping aside), plus the service side. */
export interface KubernetesServiceExecutorOptions extends Omit<KubernetesExecutorOptions, "orphanSecretsAfterMs"> {
  /** Pods, Services and the port-forward (`createServiceApi`). */
  services: ServiceApi;
  /** Loopback port the service is forwarded to; default the run's `run_args.port` (as the Docker executor). */
  hostPortFor?: (run: PreparedRun) => number | undefined;
}

export interface AdoptedKubernetesService extends AdoptedRunBase {
  podName: string;
}

/** Interactive runs as a Pod with a Service; `detach` also stops forwarding to them. */
export type KubernetesServiceExecutor = RecoveringExecutor<AdoptedKubernetesService>;

const DRAIN_MS = 3000;
const KILL_GRACE_SECONDS = 1;

interface ServiceInput {
  runId: string;
  name: string;
  image: string;
  hostPort: number;
  log: RunLogWriter;
  startedMs: number;
  timeoutMs?: number;
  graceMs: number;
  forward?: LoopbackForward;
}

interface Context {
  options: KubernetesServiceExecutorOptions;
  scope: Record<string, string>;
  detaching: AbortController;
  followed: Set<LogFollow>;
  forwards: Set<LoopbackForward>;
  pollMs: number;
}

export function createKubernetesServiceExecutor(options: KubernetesServiceExecutorOptions): KubernetesServiceExecutor {
  const scope: Record<string, string> = { [KubeLabel.managed]: "true", ...(options.instance ? { [KubeLabel.instance]: labelValue(options.instance) } : {}) };
  const ctx: Context = { options, scope, detaching: new AbortController(), followed: new Set(), forwards: new Set(), pollMs: options.pollMs ?? 500 };
  const pods = async (runId?: string) =>
    // pods being deleted are adopted too: their finalizer holds them until their exit is recorded
    (await options.api.listPods(options.namespace, serviceSelector(scope, runId))).filter((pod) => (options.instance !== undefined || pod.labels[KubeLabel.instance] === undefined));
  const adoptPod = async (pod: PodView): Promise<AdoptedKubernetesService> => {
    const input = await adoptionInput(ctx, pod);
    return { runId: input.runId, jobRef: pod.annotations[RunLabel.jobRef] ?? "", podName: pod.name, labels: pod.annotations, run: follow(ctx, input) };
  };
  return {
    async start(run) {
      return follow(ctx, await createServiceRun(ctx, run));
    },
    async adopt(runId) {
      const [pod] = await pods(runId);
      return pod ? adoptPod(pod) : null;
    },
    async recoverAll() {
      return Promise.all((await pods()).map(adoptPod));
    },
    detach() {
      ctx.detaching.abort();
      for (const stream of ctx.followed) stream.stop();
      for (const forward of ctx.forwards) void forward.close();
    },
  };
}

/** Secret → Pod → the pod owns the Secret → Service (owned by the pod) → the loopback forward. */
async function createServiceRun(ctx: Context, run: PreparedRun): Promise<ServiceInput> {
  const { options } = ctx;
  const { api, services, namespace, logStore } = options;
  servicePortOf(run);
  const { environment, log, files, podOptions } = await preparePod(options, run);
  const hostPort = options.hostPortFor?.(run) ?? servicePortOf(run);
  const pod = buildServicePod(run, { ...podOptions, hostPort });
  const name = pod.metadata.name;
  try {
    if (files) await api.createSecret(buildServiceSecret(pod, files));
    const { uid } = await services.createPod(pod);
    if (files) await services.setSecretOwner(namespace, name, { name, uid });
    await services.createService(buildRunService(pod, { uid }));
    const forward = await openForward(ctx, name, hostPort, log);
    const input: ServiceInput = { runId: run.runId, name, image: environment.image, hostPort, log, startedMs: options.clock.now(), graceMs: run.limits.graceMs, forward };
    if (run.limits.timeoutMs !== undefined) input.timeoutMs = run.limits.timeoutMs;
    return input;
  } catch (error) {
    await deleteAll(ctx, name);
    const message = run.redact(apiErrorText(error));
    log.system(`sluice: the run's pod and Service could not be created: ${message}`);
    logStore.end(run.runId);
    throw new SluiceError("run_start_failed", `Interactive run ${run.runId} of ${run.job.job_ref} could not be started on Kubernetes: ${message}`, {
      hint: "See the run's log; check the namespace and Sluice's rights to create pods, Services and Secrets there (and to create pods/portforward).",
      details: { job: run.job.job_ref },
    });
  }
}

/** The daemon's loopback port, forwarded to the running pod behind the run's Service. */
async function openForward(ctx: Context, name: string, hostPort: number, log: RunLogWriter): Promise<LoopbackForward> {
  const { api, services, namespace } = ctx.options;
  const forward = await listenLoopbackForward({
    api: services,
    namespace,
    port: hostPort,
    target: async () => {
      const service = await services.readService(namespace, name);
      if (!service || service.deleting || service.targetPort === undefined) return undefined;
      const pod = (await api.listPods(namespace, service.selector)).find((candidate) => !candidate.deleting && podState(candidate).kind === "running");
      return pod ? { pod: pod.name, port: service.targetPort } : undefined;
    },
    onError: (message) => log.system(`sluice: ${message}`),
  });
  ctx.forwards.add(forward);
  return forward;
}

/** Service, pod (its finalizer first) and settings Secret of a run; missing ones are no error. */
async function deleteAll(ctx: Context, name: string): Promise<void> {
  const { api, services, namespace } = ctx.options;
  await services.deleteService(namespace, name).catch(() => undefined);
  await api.removePodFinalizer(namespace, name, EXIT_FINALIZER).catch(() => undefined);
  await api.deletePod(namespace, name, 0).catch(() => undefined);
  await api.deleteSecret(namespace, name).catch(() => undefined);
}

/** A pod found after a restart: log writer from its annotations (stored lines skipped), forward re-opened when the port is free. */
async function adoptionInput(ctx: Context, pod: PodView): Promise<ServiceInput> {
  const notes = pod.annotations;
  const runId = notes[RunLabel.runId] ?? pod.labels[KubeLabel.runId] ?? "";
  const number = (key: string) => (notes[key] !== undefined && notes[key] !== "" ? Number(notes[key]) : undefined);
  const workspace = notes[RunLabel.workspace];
  const profile = notes[RunLabel.profile];
  const secrets = workspace && profile ? ctx.options.secretStore.read(workspace, profile) : undefined;
  const log = createRunLogWriter(ctx.options.logStore, runId, { redact: createRedactor(secrets ? secretValuesOf(secrets) : []), skip: storedLineCounts(ctx.options.logStore, runId) });
  log.system("sluice: re-attached to the run's pod after a restart");
  const hostPort = number(HOST_PORT_ANNOTATION) ?? 0;
  const input: ServiceInput = { runId, name: pod.name, image: notes[IMAGE_ANNOTATION] ?? "the run's image", hostPort, log, startedMs: number(RunLabel.startedMs) ?? ctx.options.clock.now(), graceMs: number(RunLabel.graceMs) ?? 30_000 };
  const timeoutMs = number(RunLabel.timeoutMs);
  if (timeoutMs !== undefined) input.timeoutMs = timeoutMs;
  if (hostPort > 0) input.forward = await openForward(ctx, pod.name, hostPort, log).catch((error: unknown) => (log.system(`sluice: ${errorText(error)}`), undefined));
  return input;
}

function follow(ctx: Context, input: ServiceInput): SupervisedRun {
  const { options } = ctx;
  const watch = watchPod(ctx, input);
  const supervised = superviseRun(
    { exited: watch.exited, signal: (signal) => watch.signal(signal) },
    {
      runId: input.runId,
      clock: options.clock,
      startedMs: input.startedMs,
      timeoutMs: options.enforceTimeouts ?? true ? input.timeoutMs : undefined,
      graceMs: input.graceMs,
      lastLines: () => input.log.lastLines(),
      onSignal: (signal, cause) => input.log.system(`sluice: sending ${signal} (${cause})`),
    },
  );
  const withReason = (outcome: RunOutcome): RunOutcome => (outcome.status === "failed" && watch.failure() ? { ...outcome, reason: watch.failure() } : outcome);
  const outcome = supervised.outcome.then(async (result) => {
    options.logStore.end(input.runId);
    await watch.release();
    return withReason(result);
  });
  return { ...supervised, outcome, onExit: (callback) => supervised.onExit((result) => callback(withReason(result))), placement: watch.placement };
}

interface PodWatch {
  readonly exited: Promise<ProcessExit>;
  readonly placement: Promise<string>;
  signal(signal: StopSignal): Promise<void>;
  failure(): string | null;
  release(): Promise<void>;
}

/** Follows the run's pod: state by polling, output by a log stream; ends it on signals. */
function watchPod(ctx: Context, input: ServiceInput): PodWatch {
  const { api, namespace } = ctx.options;
  const selector = serviceSelector(ctx.scope, input.runId);
  let failure: string | null = null;
  let ended = false;
  let logs: Promise<void> | undefined;
  let placed: (where: string) => void = () => undefined;
  const placement = new Promise<string>((resolve) => (placed = resolve));

  const exited = (async (): Promise<ProcessExit> => {
    let unschedulableSince: number | undefined;
    for (;;) {
      if (ctx.detaching.signal.aborted) return leftToNextDaemon();
      const pod = await api.listPods(namespace, selector).then((list) => list.find((one) => one.name === input.name), () => null);
      if (pod === undefined) {
        failure = "the run's pod disappeared before Sluice read its exit";
        return { exitCode: null, signal: null };
      }
      if (pod !== null) {
        if (pod.nodeName) placed(`pod ${pod.name} on node ${pod.nodeName}`);
        const state = podState(pod);
        if ((state.kind === "running" || state.kind === "ended") && !logs) logs = streamLogs(ctx, input, () => ended);
        if (state.kind === "ended") {
          ended = true;
          failure = kubernetesFailureReason(state, input.image);
          if (logs) await Promise.race([logs, delay(DRAIN_MS)]);
          if (ctx.detaching.signal.aborted) return leftToNextDaemon();
          input.log.flush();
          if (failure) input.log.system(`sluice: ${failure}`);
          return { exitCode: state.exitCode, signal: null };
        }
        const stuck = state.kind === "unschedulable" && (unschedulableSince ??= ctx.options.clock.now()) + (ctx.options.unschedulableAfterMs ?? 300_000) <= ctx.options.clock.now();
        if (state.kind === "cannot-start" || stuck) {
          ended = true;
          failure = kubernetesFailureReason(state, input.image);
          input.log.system(`sluice: ${failure ?? "the run cannot start"}`);
          await api.deletePod(namespace, pod.name, 0).catch(() => undefined);
          return { exitCode: null, signal: null };
        }
      }
      await delay(ctx.pollMs);
    }
  })();

  return {
    exited,
    placement,
    async signal(signal) {
      const grace = signal === "SIGKILL" ? KILL_GRACE_SECONDS : Math.max(KILL_GRACE_SECONDS, Math.ceil(input.graceMs / 1000));
      await api.deletePod(namespace, input.name, grace);
    },
    failure: () => failure,
    async release() {
      if (input.forward) {
        ctx.forwards.delete(input.forward);
        await input.forward.close();
      }
      await deleteAll(ctx, input.name);
    },
  };
}

async function streamLogs(ctx: Context, input: ServiceInput, ended: () => boolean): Promise<void> {
  const { api, namespace } = ctx.options;
  for (;;) {
    if (ctx.detaching.signal.aborted) return;
    let stream: LogFollow | undefined;
    try {
      stream = await api.followLog(namespace, input.name, RUN_CONTAINER, (chunk) => input.log.push("stdout", chunk));
      ctx.followed.add(stream);
      await stream.done;
    } catch {
      // not readable yet or any more: decided below
    } finally {
      if (stream) ctx.followed.delete(stream);
    }
    if (ended() || ctx.detaching.signal.aborted) return;
    const pod = await api.listPods(namespace, serviceSelector(ctx.scope, input.runId)).then((list) => list.find((one) => one.name === input.name), () => null);
    if (pod === undefined || (pod !== null && podState(pod).kind === "ended")) return;
    input.log.replayFromStart();
    await delay(ctx.pollMs);
  }
}
