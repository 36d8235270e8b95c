/**
 * The Kubernetes API as the executor sees it: a handful of calls on Jobs and pods. Only
 * client-node-api.ts knows about `@kubernetes/client-node`; everything else uses this interface.
 */
import { errorText } from "../../core/index.js";
import type { KubeClaim, KubeJob } from "./job-spec.js";
import type { PodView } from "./pod-state.js";
import type { KubeSecret } from "./settings-secret.js";

/** The parts of a Job Sluice reads. */
export interface JobView {
  name: string;
  uid: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  deleting: boolean;
  conditions: Array<{ type: string; status: string; reason?: string; message?: string }>;
}

export interface LogFollow {
  /** Settles when the server ends the stream (container ended, or the connection dropped); never rejects. */
  readonly done: Promise<void>;
  stop(): void;
}

/** The parts of a Secret Sluice reads (never its data). */
export interface SecretView {
  name: string;
  /** Has at least one owner reference (then Kubernetes deletes it with its owner). */
  owned: boolean;
  createdMs: number;
}

export interface KubeApi {
  /** Creates a Job; returns its uid (for owner references). */
  createJob(job: KubeJob): Promise<{ uid: string }>;
  createSecret(secret: KubeSecret): Promise<void>;
  /** Makes a Secret a dependent of a Job: Kubernetes' garbage collector deletes it with the Job. */
  setSecretOwner(namespace: string, name: string, job: { name: string; uid: string }): Promise<void>;
  listSecrets(namespace: string, labels: Record<string, string>): Promise<SecretView[]>;
  /** Creates the claim unless one of that name exists; true when it was created. */
  ensureClaim(claim: KubeClaim): Promise<boolean>;
  /** A missing Secret is no error. */
  deleteSecret(namespace: string, name: string): Promise<void>;
  listJobs(namespace: string, labels: Record<string, string>): Promise<JobView[]>;
  listPods(namespace: string, labels: Record<string, string>): Promise<PodView[]>;
  /** Deletes a pod: its containers get SIGTERM, SIGKILL after `graceSeconds`. A missing pod is no error. */
  deletePod(namespace: string, name: string, graceSeconds: number): Promise<void>;
  /** Deletes a Job and (in the background) its pods. A missing Job is no error. */
  deleteJob(namespace: string, name: string): Promise<void>;
  /** Removes one finalizer from a pod, if it is there. A missing pod is no error. */
  removePodFinalizer(namespace: string, name: string, finalizer: string): Promise<void>;
  /** Streams a container's output from its first byte; `follow` keeps the stream open while it runs. */
  followLog(namespace: string, pod: string, container: string, onChunk: (chunk: Buffer) => void): Promise<LogFollow>;
}

/** The API server's message of a failed call (its Status JSON), else the error's text. */
export function apiErrorText(error: unknown): string {
  const body = (error as { body?: unknown }).body;
  if (typeof body === "string") {
    try {
      const status = JSON.parse(body) as { message?: string };
      if (status.message) return status.message;
    } catch {
      return body;
    }
  }
  return errorText(error);
}
