/**
 * `KubeApi` on `@kubernetes/client-node` (the only file that imports it). Objects are converted
 * to the plain views the executor reads; "not found" on deletes is not an error.
 */
import { PassThrough } from "node:stream";
import { SluiceError } from "../../core/index.js";
import { BatchV1Api, CoreV1Api, KubeConfig, Log, PatchStrategy, setHeaderOptions, type V1Job, type V1PersistentVolumeClaim, type V1Pod, type V1Secret } from "@kubernetes/client-node";
import type { JobView, KubeApi, LogFollow } from "./api.js";
import type { PodView } from "./pod-state.js";

export interface KubeConnection {
  /** Path of a kubeconfig file; absent: `$KUBECONFIG`, then `~/.kube/config`, then in-cluster. */
  kubeconfig?: string;
  /** Context of the kubeconfig; absent: its current context. */
  context?: string;
}

export function createKubeApi(connection: KubeConnection = {}): KubeApi {
  const config = loadConfig(connection);
  const batch = config.makeApiClient(BatchV1Api);
  const core = config.makeApiClient(CoreV1Api);
  return { ...secretsAndClaims(core), ...jobsAndPods(batch, core), followLog: logFollower(new Log(config)) };
}

type SecretsAndClaims = Pick<KubeApi, "createSecret" | "setSecretOwner" | "listSecrets" | "deleteSecret" | "ensureClaim">;

function secretsAndClaims(core: CoreV1Api): SecretsAndClaims {
  return {
    async createSecret(secret) {
      await core.createNamespacedSecret({ namespace: secret.metadata.namespace, body: secret as unknown as V1Secret });
    },
    async setSecretOwner(namespace, name, job) {
      const owner = { apiVersion: "batch/v1", kind: "Job", name: job.name, uid: job.uid, blockOwnerDeletion: false };
      await core.patchNamespacedSecret({ namespace, name, body: { metadata: { ownerReferences: [owner] } } }, setHeaderOptions("Content-Type", PatchStrategy.MergePatch));
    },
    async listSecrets(namespace, labels) {
      const list = await core.listNamespacedSecret({ namespace, labelSelector: labelSelector(labels) });
      return list.items.map((secret) => ({ name: secret.metadata?.name ?? "", owned: (secret.metadata?.ownerReferences ?? []).length > 0, createdMs: secret.metadata?.creationTimestamp?.getTime() ?? 0 }));
    },
    async deleteSecret(namespace, name) {
      await ignoreNotFound(core.deleteNamespacedSecret({ namespace, name }));
    },
    async ensureClaim(claim) {
      try {
        await core.createNamespacedPersistentVolumeClaim({ namespace: claim.metadata.namespace, body: claim as unknown as V1PersistentVolumeClaim });
        return true;
      } catch (error) {
        if ((error as { code?: number }).code === 409) return false;
        throw error;
      }
    },
  };
}

type JobsAndPods = Pick<KubeApi, "createJob" | "listJobs" | "deleteJob" | "listPods" | "deletePod" | "removePodFinalizer">;

function jobsAndPods(batch: BatchV1Api, core: CoreV1Api): JobsAndPods {
  return {
    async createJob(job) {
      const created = await batch.createNamespacedJob({ namespace: job.metadata.namespace, body: job as unknown as V1Job });
      return { uid: created.metadata?.uid ?? "" };
    },
    async listJobs(namespace, labels) {
      const list = await batch.listNamespacedJob({ namespace, labelSelector: labelSelector(labels) });
      return list.items.map(jobView);
    },
    async deleteJob(namespace, name) {
      await ignoreNotFound(batch.deleteNamespacedJob({ namespace, name, propagationPolicy: "Background" }));
    },
    async listPods(namespace, labels) {
      const list = await core.listNamespacedPod({ namespace, labelSelector: labelSelector(labels) });
      return list.items.map(podView);
    },
    async deletePod(namespace, name, graceSeconds) {
      await ignoreNotFound(core.deleteNamespacedPod({ namespace, name, gracePeriodSeconds: graceSeconds }));
    },
    async removePodFinalizer(namespace, name, finalizer) {
      const pod = await ignoreNotFound(core.readNamespacedPod({ namespace, name }));
      const index = pod?.metadata?.finalizers?.indexOf(finalizer) ?? -1;
      if (index < 0) return;
      const patch = [
        { op: "test", path: `/metadata/finalizers/${index}`, value: finalizer },
        { op: "remove", path: `/metadata/finalizers/${index}` },
      ];
      await ignoreNotFound(core.patchNamespacedPod({ namespace, name, body: patch }, setHeaderOptions("Content-Type", PatchStrategy.JsonPatch)));
    },
  };
}

/** A pod container's log, followed: each chunk to `onChunk`, `done` when the stream ends. */
function logFollower(logs: Log): KubeApi["followLog"] {
  return async (namespace, pod, container, onChunk) => {
    const sink = new PassThrough();
    sink.on("data", (chunk: Buffer) => onChunk(chunk));
    const done = new Promise<void>((resolve) => {
      sink.on("end", resolve);
      sink.on("close", resolve);
      sink.on("error", () => resolve());
    });
    const request = await logs.log(namespace, pod, container, sink, { follow: true });
    return { done, stop: () => request.abort() } satisfies LogFollow;
  };
}

/** `a=b,c=d`: the label selector of the Kubernetes API. */
export function labelSelector(labels: Record<string, string>): string {
  return Object.entries(labels).map(([key, value]) => `${key}=${value}`).join(",");
}

/** The kubeconfig of `connection`, with a clear error when it cannot be read or names no cluster. */
export function loadConfig(connection: KubeConnection): KubeConfig {
  const config = new KubeConfig();
  try {
    if (connection.kubeconfig) config.loadFromFile(connection.kubeconfig);
    else config.loadFromDefault();
    if (connection.context) config.setCurrentContext(connection.context);
  } catch (error) {
    throw new SluiceError("kubernetes_config", `Cannot read the Kubernetes configuration${connection.kubeconfig ? ` ${connection.kubeconfig}` : ""}: ${String(error)}`, {
      hint: "Point kubernetes.kubeconfig at a readable kubeconfig (for the test cluster: the path `scripts/cluster.sh up` prints).",
    });
  }
  if (!config.getCurrentCluster()) {
    throw new SluiceError("kubernetes_config", "The Kubernetes configuration names no cluster for its current context.", {
      hint: "Set kubernetes.context to a context of the kubeconfig (kubectl config get-contexts lists them).",
    });
  }
  return config;
}

/** A 404 (the object is gone) as undefined; other errors as they are. */
export async function ignoreNotFound<T>(request: Promise<T>): Promise<T | undefined> {
  try {
    return await request;
  } catch (error) {
    if ((error as { code?: number }).code === 404) return undefined;
    throw error;
  }
}

function jobView(job: V1Job): JobView {
  return {
    name: job.metadata?.name ?? "",
    uid: job.metadata?.uid ?? "",
    labels: job.metadata?.labels ?? {},
    annotations: job.metadata?.annotations ?? {},
    deleting: job.metadata?.deletionTimestamp !== undefined,
    conditions: (job.status?.conditions ?? []).map((c) => ({ type: c.type, status: c.status, ...(c.reason ? { reason: c.reason } : {}), ...(c.message ? { message: c.message } : {}) })),
  };
}

function podView(pod: V1Pod): PodView {
  const status = pod.status;
  const state = status?.containerStatuses?.[0]?.state;
  const view: PodView = {
    name: pod.metadata?.name ?? "",
    deleting: pod.metadata?.deletionTimestamp !== undefined,
    finalizers: pod.metadata?.finalizers ?? [],
    labels: pod.metadata?.labels ?? {},
    annotations: pod.metadata?.annotations ?? {},
    conditions: (status?.conditions ?? []).map((c) => ({ type: c.type, status: c.status, ...(c.reason ? { reason: c.reason } : {}), ...(c.message ? { message: c.message } : {}) })),
  };
  if (status?.phase) view.phase = status.phase;
  if (status?.reason) view.reason = status.reason;
  if (status?.message) view.message = status.message;
  if (pod.spec?.nodeName) view.nodeName = pod.spec.nodeName;
  if (state) {
    view.container = {};
    if (state.waiting) view.container.waiting = { ...(state.waiting.reason ? { reason: state.waiting.reason } : {}), ...(state.waiting.message ? { message: state.waiting.message } : {}) };
    if (state.running) view.container.running = state.running.startedAt ? { startedAt: state.running.startedAt.toISOString() } : {};
    if (state.terminated) {
      const t = state.terminated;
      view.container.terminated = { exitCode: t.exitCode, ...(t.signal !== undefined ? { signal: t.signal } : {}), ...(t.reason ? { reason: t.reason } : {}), ...(t.message ? { message: t.message } : {}) };
    }
  }
  return view;
}
