/**
 * What a run's pod says about the run, as a pure function of the pod's status: still starting,
 * running, ended (with exit code), or never going to run (image errors, configuration errors,
 * unschedulable). The status of the run itself comes from the one shared rule (`mapRunOutcome`);
 * this only gives Kubernetes' words for why a run failed.
 */

/** The parts of a pod Sluice reads (filled by the API adapter). */
export interface PodView {
  name: string;
  phase?: string;
  /** `status.reason` of the pod (e.g. `DeadlineExceeded`, `Evicted`). */
  reason?: string;
  message?: string;
  nodeName?: string;
  deleting: boolean;
  finalizers: string[];
  labels: Record<string, string>;
  annotations: Record<string, string>;
  conditions: Array<{ type: string; status: string; reason?: string; message?: string }>;
  /** State of the run container, once the kubelet reported one. */
  container?: {
    waiting?: { reason?: string; message?: string };
    running?: { startedAt?: string };
    terminated?: { exitCode: number; signal?: number; reason?: string; message?: string };
  };
}

export type PodState =
  | { kind: "pending"; detail?: string }
  | { kind: "running" }
  | { kind: "ended"; exitCode: number | null; reason?: string; message?: string }
  /** The run can never start: image or configuration errors. */
  | { kind: "cannot-start"; reason: string; message?: string }
  | { kind: "unschedulable"; message?: string };

/** Waiting reasons after which the container never starts without a change by someone (Kubernetes keeps retrying some). */
const IMAGE_ERRORS = new Set(["ErrImagePull", "ImagePullBackOff", "ErrImageNeverPull", "InvalidImageName", "ImageInspectError", "RegistryUnavailable", "SignatureValidationFailed"]);
const CONFIG_ERRORS = new Set(["CreateContainerConfigError", "CreateContainerError", "RunContainerError", "PreCreateHookError", "PreStartHookError"]);

export function podState(pod: PodView): PodState {
  const container = pod.container;
  if (container?.terminated) {
    const { exitCode, reason, message } = container.terminated;
    return { kind: "ended", exitCode, ...(reason ? { reason } : {}), ...(message ? { message } : {}) };
  }
  if (container?.running) return { kind: "running" };
  const waiting = container?.waiting?.reason;
  if (waiting && (IMAGE_ERRORS.has(waiting) || CONFIG_ERRORS.has(waiting))) {
    return { kind: "cannot-start", reason: waiting, ...(container?.waiting?.message ? { message: container.waiting.message } : {}) };
  }
  // ended before its container ever ran (evicted, deadline passed while pending, deleted)
  if (pod.phase === "Failed" || pod.phase === "Succeeded") {
    return { kind: "ended", exitCode: null, reason: pod.reason ?? pod.phase, ...(pod.message ? { message: pod.message } : {}) };
  }
  const scheduled = pod.conditions.find((condition) => condition.type === "PodScheduled");
  if (scheduled?.status === "False" && scheduled.reason === "Unschedulable") return { kind: "unschedulable", ...(scheduled.message ? { message: scheduled.message } : {}) };
  return { kind: "pending", ...(waiting ? { detail: waiting } : {}) };
}

/**
 * Kubernetes' reason for a failed run, for the run record; null when the exit code says it all
 * (a plain non-zero exit keeps the executors' common wording).
 */
export function kubernetesFailureReason(state: PodState, image: string): string | null {
  switch (state.kind) {
    case "ended":
      if (state.reason === "OOMKilled") return `out of memory: the container was OOM-killed (OOMKilled, exit code ${String(state.exitCode ?? 137)}); raise the memory of the job's require.machine`;
      if (state.reason === "DeadlineExceeded") return "the Job's activeDeadlineSeconds passed (DeadlineExceeded) while no Sluice was stopping the run";
      if (state.exitCode === null) return `the pod ended before its container ran (${state.reason ?? "unknown"}${state.message ? `: ${state.message}` : ""})`;
      if (state.reason === "StartError" || state.reason === "ContainerCannotRun") return `the container could not start (${state.reason}${state.message ? `: ${state.message}` : ""})`;
      return null;
    case "cannot-start":
      if (IMAGE_ERRORS.has(state.reason)) return `image ${image} cannot be used on the cluster (${state.reason}${state.message ? `: ${state.message}` : ""}); push it to the configured registry or import it into the node`;
      return `the container could not be created (${state.reason}${state.message ? `: ${state.message}` : ""})`;
    case "unschedulable":
      return `unschedulable: no node can run the pod${state.message ? ` (${state.message})` : ""}; lower the job's require.machine or add capacity`;
    case "pending":
    case "running":
      return null;
  }
}
