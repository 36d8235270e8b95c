/**
 * The Pod and the Service of one interactive run (a notebook, an MCP server, a dashboard), as pure
 * functions of the prepared run. The pod is the batch Job's pod template (job-spec.ts: the Docker
 * executor's launcher argv, environment, mounts, settings Secret, limits, PID 1, the exit-status
 * finalizer) as a bare Pod, plus the service's port; the Service (ClusterIP) selects exactly that
 * pod by its run id and instance. The daemon reaches it by a port-forward from the loopback port the
 * proxy uses (port-forward.ts), so the daemon need not run inside the cluster.
 */
import { SluiceError } from "../../core/index.js";
import type { PreparedRun } from "../executors/index.js";
import { buildRunJob, KubeLabel, labelValue, type KubeMeta, type KubePodSpec, type RunJobOptions } from "./job-spec.js";
import { buildSettingsSecret, type KubeSecret, type SettingsFile } from "./settings-secret.js";

/** Marks the pods and Services of interactive runs (batch runs are Jobs and never carry it). */
export const SERVICE_LABEL = "sluice.interactive";
/** The loopback port of the daemon the service is forwarded to (the proxy's target). */
export const HOST_PORT_ANNOTATION = "sluice.host-port";
/** Name of the Service's only port. */
export const SERVICE_PORT_NAME = "http";

export interface KubePod {
  apiVersion: "v1";
  kind: "Pod";
  metadata: KubeMeta & { finalizers: string[] };
  spec: KubePodSpec & { containers: Array<KubePodSpec["containers"][number] & { ports?: Array<{ name: string; containerPort: number; protocol: "TCP" }> }> };
}

export interface KubeService {
  apiVersion: "v1";
  kind: "Service";
  metadata: KubeMeta & { ownerReferences?: Array<{ apiVersion: "v1"; kind: "Pod"; name: string; uid: string; blockOwnerDeletion: false }> };
  spec: {
    type: "ClusterIP";
    selector: Record<string, string>;
    ports: Array<{ name: string; port: number; targetPort: number; protocol: "TCP" }>;
  };
}

export interface ServiceRunOptions extends RunJobOptions {
  /** The daemon's loopback port the proxy forwards to (default: the run's `run_args.port`). */
  hostPort?: number;
}

/** The port the launcher listens on inside the pod (`run_args.port`); refuses a run without one. */
export function servicePortOf(run: PreparedRun): number {
  const port = run.entryPoint.run_args?.port;
  if (!run.interactive || port === undefined) {
    throw new SluiceError("kubernetes_not_a_service", `Run ${run.runId} of ${run.job.job_ref} is not an interactive run with a port (run_args.port); it cannot be served on Kubernetes.`, {
      hint: "Interactive runs get their port from the daemon's proxy (`sluice serve`, a request to /w/<workspace>/<job>/); batch runs go to the Kubernetes Job executor.",
    });
  }
  return port;
}

/**
 * The run's Pod: the batch pod template (built as for a batch run: the container is the same but
 * for the port the Docker executor would publish, which Kubernetes reaches through the Service).
 */
export function buildServicePod(run: PreparedRun, options: ServiceRunOptions): KubePod {
  const port = servicePortOf(run);
  const job = buildRunJob({ ...run, interactive: false }, options);
  const { template } = job.spec;
  const labels = { ...template.metadata.labels, [SERVICE_LABEL]: "true" };
  const annotations = { ...template.metadata.annotations, [HOST_PORT_ANNOTATION]: String(options.hostPort ?? port) };
  const [container, ...others] = template.spec.containers;
  if (!container) throw new Error("the run's pod template has no container");
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: job.metadata.name, namespace: options.namespace, labels, annotations, finalizers: [...template.metadata.finalizers] },
    spec: { ...template.spec, containers: [{ ...container, ports: [{ name: SERVICE_PORT_NAME, containerPort: port, protocol: "TCP" }] }, ...others] },
  };
}

/**
 * The run's Service: same name and labels as its pod, selecting only that pod (run id + instance +
 * purpose); owned by the pod when its uid is known, so Kubernetes deletes it with the pod.
 */
export function buildRunService(pod: KubePod, owner?: { uid: string }): KubeService {
  const port = pod.spec.containers[0]?.ports?.[0]?.containerPort;
  if (port === undefined) throw new Error(`pod ${pod.metadata.name} declares no port`);
  const { labels } = pod.metadata;
  const selector: Record<string, string> = {};
  for (const key of [KubeLabel.managed, KubeLabel.purpose, KubeLabel.runId, KubeLabel.instance, SERVICE_LABEL]) if (labels[key] !== undefined) selector[key] = labels[key];
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: {
      name: pod.metadata.name,
      namespace: pod.metadata.namespace,
      labels: { ...labels },
      annotations: { ...pod.metadata.annotations },
      ...(owner ? { ownerReferences: [{ apiVersion: "v1" as const, kind: "Pod" as const, name: pod.metadata.name, uid: owner.uid, blockOwnerDeletion: false as const }] } : {}),
    },
    spec: { type: "ClusterIP", selector, ports: [{ name: SERVICE_PORT_NAME, port, targetPort: port, protocol: "TCP" }] },
  };
}

/** The settings Secret of the run (settings-secret.ts), named and labelled like its pod. */
export function buildServiceSecret(pod: KubePod, files: SettingsFile[]): KubeSecret {
  const { name, namespace, labels, annotations } = pod.metadata;
  return buildSettingsSecret({ metadata: { name, namespace, labels, annotations } } as Parameters<typeof buildSettingsSecret>[0], files);
}

/** Selector of one run's pod and Service among this Sluice's. */
export function serviceSelector(scope: Record<string, string>, runId?: string): Record<string, string> {
  return { ...scope, [SERVICE_LABEL]: "true", ...(runId !== undefined ? { [KubeLabel.runId]: labelValue(runId) } : {}) };
}
