/**
 * The batch/v1 Job of one run, as a pure function of the prepared run. It is the Docker executor's
 * container spec (`buildRunContainerSpec`: same launcher argv, environment, working dir, mounts and
 * limits) turned into Kubernetes terms, so both executors keep one contract:
 * - one pod, never retried (`backoffLimit: 0`, `restartPolicy: Never`);
 * - `terminationGracePeriodSeconds` is the job's grace period: every SIGTERM Kubernetes sends (a
 *   cancel, Sluice's timeout, an eviction) is followed by SIGKILL only after dlt's grace;
 * - Sluice's own supervisor owns the timeout (docs/kubernetes.md); `activeDeadlineSeconds` is only a
 *   backstop, timeout + grace + a minute, for when no Sluice is left to stop the run;
 * - the pause container is PID 1 (`shareProcessNamespace`), like Docker's `--init`, so the launcher
 *   gets signals with their default meaning;
 * - a finalizer keeps the ended pod (and its exit code) until Sluice has read it, also across a
 *   daemon restart, like the Docker executor keeps the ended container;
 * - the settings overlay (with secrets) is not a host directory but the run's Secret
 *   (settings-secret.ts), mounted read-only over `/workspace/.dlt`;
 * - the data dir and dlt's global dir are host directories, or one PersistentVolumeClaim per
 *   workspace+profile (`dataClaim`, `buildDataClaim`); the checkout is a host directory, or a layer
 *   of the run's image when it comes from a registry (`checkoutInImage`).
 */
import { createHash } from "node:crypto";
import { SluiceError } from "../../core/index.js";
import type { BindMount, ContainerSpec, TmpfsMount } from "../docker/index.js";
import { buildRunContainerSpec, RUN_PURPOSE, RunLabel, RunPaths, type PreparedRun } from "../executors/index.js";
import type { SettingsItem } from "./settings-secret.js";

/** The subset of the Kubernetes object model Sluice writes and reads (plain JSON, no client types). */
export interface KubeMeta {
  name: string;
  namespace: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface KubeVolume {
  name: string;
  hostPath?: { path: string; type: string };
  emptyDir?: { medium?: string; sizeLimit?: string };
  secret?: { secretName: string; items: SettingsItem[]; defaultMode: number };
  persistentVolumeClaim?: { claimName: string };
}

export interface KubeContainer {
  name: string;
  image: string;
  imagePullPolicy: PullPolicy;
  command: string[];
  workingDir?: string;
  env: Array<{ name: string; value: string }>;
  volumeMounts: Array<{ name: string; mountPath: string; readOnly: boolean; subPath?: string }>;
  resources?: { requests: Record<string, string>; limits: Record<string, string> };
}

export interface KubePodSpec {
  restartPolicy: "Never";
  terminationGracePeriodSeconds: number;
  shareProcessNamespace: boolean;
  enableServiceLinks: boolean;
  automountServiceAccountToken: boolean;
  serviceAccountName?: string;
  hostname?: string;
  initContainers?: KubeContainer[];
  containers: KubeContainer[];
  volumes: KubeVolume[];
}

export interface KubeJob {
  apiVersion: "batch/v1";
  kind: "Job";
  metadata: KubeMeta;
  spec: {
    backoffLimit: 0;
    activeDeadlineSeconds?: number;
    ttlSecondsAfterFinished?: number;
    template: { metadata: { labels: Record<string, string>; annotations: Record<string, string>; finalizers: string[] }; spec: KubePodSpec };
  };
}

export type PullPolicy = "Always" | "IfNotPresent" | "Never";

export interface RunJobOptions {
  image: string;
  /** Python of the environment's venv inside the image. */
  python: string;
  namespace: string;
  pullPolicy: PullPolicy;
  /** Which Sluice owns the run (see `DockerExecutorOptions.instance`). */
  instance?: string;
  serviceAccount?: string;
  /**
   * Files of the run's settings Secret (settings-secret.ts; the Secret has the Job's name), mounted
   * read-only over `/workspace/.dlt`. Absent: the checkout's own `.dlt/` is what the run sees.
   */
  settings?: SettingsItem[];
  /**
   * PersistentVolumeClaim holding the workspace+profile's data dir (`dataClaim(...)`), mounted
   * where the Docker executor mounts the host's data dir and dlt's global dir. Absent: hostPath.
   */
  dataClaim?: string;
  /**
   * A reader (an interactive run, `run.dataView` set) with `dataClaim`: the claim of the profile it
   * reads (`readsFrom`: `access` reads `prod`). Its `local` (DuckDB files) is mounted read-only, its
   * `var` copied into a private writable dir by an init container, as the Docker executor's reader
   * gets a snapshot's `local` read-only and a private copy of its `var`.
   */
  readClaim?: string;
  /** The image holds the checkout at `/workspace` (registry-images.ts): no mount of the daemon's checkout. */
  checkoutInImage?: boolean;
  /**
   * `sluice exec` on the cluster: this command instead of dlt's launcher, purpose `exec` (never
   * adopted as a run), no exit-status finalizer, and Kubernetes deletes the Job an hour after it
   * ended if no Sluice did.
   */
  exec?: { command: string[] };
}

/** Where the data and global dirs live: the node's disk (single node) or a claim per workspace+profile. */
export type RunVolumes = "hostPath" | { storageClass: string; /** Requested size (default 1Gi). */ size?: string };

export interface KubeClaim {
  apiVersion: "v1";
  kind: "PersistentVolumeClaim";
  metadata: { name: string; namespace: string; labels: Record<string, string> };
  spec: { accessModes: ["ReadWriteOnce"]; storageClassName: string; resources: { requests: { storage: string } } };
}

/** Purpose label of `sluice exec` Jobs, and how long Kubernetes keeps one that no Sluice deleted. */
export const EXEC_PURPOSE = "exec";
const EXEC_TTL_SECONDS = 3600;
/** Purpose label of data claims (runs are `RUN_PURPOSE`). */
export const DATA_PURPOSE = "data";
export const DEFAULT_CLAIM_SIZE = "1Gi";
/** The pod's volume of the data claim. */
const DATA_VOLUME = "data";
/** A reader's volumes: the claim it reads, and its private copy of that claim's `var`. */
const READ_VOLUME = "read-data";
const READER_VAR_VOLUME = "reader-var";
/** Where the init container of a reader sees the claim it reads. */
const READ_SOURCE = "/sluice/read";
/** The pod's volume of the settings Secret, mounted over `/workspace/.dlt`. */
const SETTINGS_VOLUME = "settings";
/** Name of the run's only container. */
export const RUN_CONTAINER = "run";
/** Keeps an ended pod until Sluice has read its exit (removed by the executor). */
export const EXIT_FINALIZER = "sluice.dev/exit-status";
/** Label keys on Jobs and pods (values cut to Kubernetes' limits; full values are annotations). */
export const KubeLabel = {
  managed: "sluice.managed",
  purpose: "sluice.purpose",
  runId: RunLabel.runId,
  instance: RunLabel.instance,
  workspace: RunLabel.workspace,
  profile: RunLabel.profile,
  job: "sluice.job",
} as const;
/** The run's image, for messages about it after a re-attach. */
export const IMAGE_ANNOTATION = "sluice.image";
/** Slack of the `activeDeadlineSeconds` backstop beyond timeout + grace. */
export const DEADLINE_BACKSTOP_SECONDS = 60;

/** Refuses what this executor cannot run yet (interactive jobs), before anything is staged for the run. */
export function assertRunnableOnKubernetes(run: PreparedRun): void {
  if (!run.interactive) return;
  throw new SluiceError("kubernetes_interactive_unsupported", `Interactive job ${run.job.job_ref} cannot run on Kubernetes yet: only batch jobs do.`, {
    hint: "Serve interactive jobs with `executor: docker` until the Kubernetes executor supports them (docs/kubernetes.md).",
  });
}

export function buildRunJob(run: PreparedRun, options: RunJobOptions): KubeJob {
  assertRunnableOnKubernetes(run);
  const container = buildRunContainerSpec(run, { image: options.image, python: options.python, network: "bridge" });
  const labels = { ...selectionLabels(run, options.instance), ...(options.exec ? { [KubeLabel.purpose]: EXEC_PURPOSE } : {}) };
  const name = runJobName(run.runId, options.instance);
  const annotations = { ...run.labels, [IMAGE_ANNOTATION]: options.image, ...(options.instance ? { [RunLabel.instance]: options.instance } : {}) };
  const graceSeconds = Math.max(1, Math.ceil(run.limits.graceMs / 1000));
  const job: KubeJob = {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name, namespace: options.namespace, labels, annotations },
    spec: {
      backoffLimit: 0,
      template: { metadata: { labels, annotations, finalizers: options.exec ? [] : [EXIT_FINALIZER] }, spec: podSpec(options.exec ? { ...container, cmd: options.exec.command } : container, { ...options, name }, graceSeconds) },
    },
  };
  if (options.exec) job.spec.ttlSecondsAfterFinished = EXEC_TTL_SECONDS;
  if (run.limits.timeoutMs !== undefined) job.spec.activeDeadlineSeconds = Math.ceil(run.limits.timeoutMs / 1000) + graceSeconds + DEADLINE_BACKSTOP_SECONDS;
  return job;
}

function podSpec(container: ContainerSpec, options: RunJobOptions & { name: string }, graceSeconds: number): KubePodSpec {
  // on a claim, a reader's data snapshot (host dirs over /sluice/data/var and /local) gives way to the claim itself
  const onClaim = (target: string) => target === RunPaths.data || target.startsWith(`${RunPaths.data}/`) || target === RunPaths.dltGlobal;
  const fromHost = (target: string) => !(options.dataClaim && onClaim(target)) && !(options.checkoutInImage && target === RunPaths.workspace);
  const binds = (container.binds ?? []).filter((bind) => fromHost(bind.target));
  const tmpfs = container.tmpfs ?? [];
  const volumes = [...binds.map((bind, index) => hostPathVolume(bind, index)), ...tmpfs.map((mount, index) => memoryVolume(mount, index))];
  const mounts: KubeContainer["volumeMounts"] = [
    ...binds.map((bind, index) => ({ name: `bind-${index}`, mountPath: bind.target, readOnly: bind.readOnly })),
    ...tmpfs.map((mount, index) => ({ name: `tmpfs-${index}`, mountPath: mount.target, readOnly: false })),
  ];
  const claims = options.dataClaim ? claimMounts(options.dataClaim, options.readClaim) : undefined;
  if (claims) {
    volumes.push(...claims.volumes);
    mounts.push(...claims.mounts);
  }
  if (options.settings) {
    volumes.push({ name: SETTINGS_VOLUME, secret: { secretName: options.name, items: options.settings, defaultMode: 0o444 } });
    mounts.push({ name: SETTINGS_VOLUME, mountPath: RunPaths.settings, readOnly: true });
  }
  const spec: KubePodSpec = {
    restartPolicy: "Never",
    terminationGracePeriodSeconds: graceSeconds,
    shareProcessNamespace: true,
    enableServiceLinks: false,
    automountServiceAccountToken: options.serviceAccount !== undefined,
    containers: [
      {
        name: RUN_CONTAINER,
        image: options.image,
        imagePullPolicy: options.pullPolicy,
        command: container.cmd,
        ...(container.workingDir ? { workingDir: container.workingDir } : {}),
        env: Object.entries(container.env ?? {}).map(([name, value]) => ({ name, value })),
        volumeMounts: mounts,
        ...resourcesOf(container),
      },
    ],
    volumes,
  };
  if (claims?.init) spec.initContainers = [{ ...claims.init, image: options.image, imagePullPolicy: options.pullPolicy }];
  if (container.hostname) spec.hostname = container.hostname;
  if (options.serviceAccount) spec.serviceAccountName = options.serviceAccount;
  return spec;
}

/**
 * The claim is the data dir; its var/local/global are mounted by sub-path so the kubelet creates
 * them in a new volume. A reader keeps its own claim for dlt's global dir only and reads the
 * `readClaim`: `local` read-only, `var` as a private copy made before it starts.
 */
function claimMounts(claim: string, readClaim: string | undefined): { volumes: KubeVolume[]; mounts: KubeContainer["volumeMounts"]; init?: Omit<KubeContainer, "image" | "imagePullPolicy"> } {
  const volumes: KubeVolume[] = [{ name: DATA_VOLUME, persistentVolumeClaim: { claimName: claim } }];
  const global = { name: DATA_VOLUME, mountPath: RunPaths.dltGlobal, readOnly: false, subPath: "global" };
  if (readClaim === undefined) {
    const mounts = [
      { name: DATA_VOLUME, mountPath: RunPaths.data, readOnly: false },
      { name: DATA_VOLUME, mountPath: `${RunPaths.data}/var`, readOnly: false, subPath: "var" },
      { name: DATA_VOLUME, mountPath: `${RunPaths.data}/local`, readOnly: false, subPath: "local" },
      global,
    ];
    return { volumes, mounts };
  }
  // a claim appears once in a pod (the kubelet does not set up one claim as two volumes): a reader of its own profile reads its own
  const read = readClaim === claim ? DATA_VOLUME : READ_VOLUME;
  if (read === READ_VOLUME) volumes.push({ name: READ_VOLUME, persistentVolumeClaim: { claimName: readClaim } });
  volumes.push({ name: READER_VAR_VOLUME, emptyDir: {} });
  const mounts = [
    { name: READER_VAR_VOLUME, mountPath: `${RunPaths.data}/var`, readOnly: false },
    { name: read, mountPath: `${RunPaths.data}/local`, readOnly: true, subPath: "local" },
    global,
  ];
  const init = {
    name: "copy-data",
    command: ["sh", "-c", `if [ -d ${READ_SOURCE}/var ]; then cp -a ${READ_SOURCE}/var/. ${RunPaths.data}/var/; fi`],
    env: [],
    volumeMounts: [
      { name: read, mountPath: READ_SOURCE, readOnly: true },
      { name: READER_VAR_VOLUME, mountPath: `${RunPaths.data}/var`, readOnly: false },
    ],
  };
  return { volumes, mounts, init };
}

function hostPathVolume(bind: BindMount, index: number): KubeVolume {
  return { name: `bind-${index}`, hostPath: { path: bind.source, type: "Directory" } };
}

function memoryVolume(mount: TmpfsMount, index: number): KubeVolume {
  const size = /(?:^|,)size=(\d+)([kmg]?)/i.exec(mount.options);
  const unit: Record<string, string> = { "": "", k: "Ki", m: "Mi", g: "Gi" };
  return { name: `tmpfs-${index}`, emptyDir: { medium: "Memory", ...(size ? { sizeLimit: `${size[1]}${unit[size[2]!.toLowerCase()]}` } : {}) } };
}

/** `require.machine` as requests equal to limits (guaranteed QoS: the pod gets what Docker would give). */
function resourcesOf(container: ContainerSpec): Pick<KubeContainer, "resources"> {
  const values: Record<string, string> = {};
  if (container.resources?.nanoCpus !== undefined) values.cpu = `${Math.max(1, Math.round(container.resources.nanoCpus / 1e6))}m`;
  if (container.resources?.memoryBytes !== undefined) values.memory = String(container.resources.memoryBytes);
  return Object.keys(values).length > 0 ? { resources: { requests: { ...values }, limits: { ...values } } } : {};
}

function selectionLabels(run: PreparedRun, instance: string | undefined): Record<string, string> {
  const labels: Record<string, string> = {
    [KubeLabel.managed]: "true",
    [KubeLabel.purpose]: RUN_PURPOSE,
    [KubeLabel.runId]: labelValue(run.runId),
    [KubeLabel.workspace]: labelValue(run.workspace.name),
    [KubeLabel.profile]: labelValue(run.profile),
    [KubeLabel.job]: labelValue(run.job.job_ref),
  };
  if (instance) labels[KubeLabel.instance] = labelValue(instance);
  return labels;
}

/** The PersistentVolumeClaim of one workspace+profile (ReadWriteOnce; created when missing, never deleted by Sluice). */
export function buildDataClaim(input: { workspace: string; profile: string; namespace: string; instance?: string; storageClass: string; size?: string }): KubeClaim {
  const labels: Record<string, string> = {
    [KubeLabel.managed]: "true",
    [KubeLabel.purpose]: DATA_PURPOSE,
    [KubeLabel.workspace]: labelValue(input.workspace),
    [KubeLabel.profile]: labelValue(input.profile),
  };
  if (input.instance) labels[KubeLabel.instance] = labelValue(input.instance);
  return {
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: { name: dataClaimName(input.workspace, input.profile, input.instance), namespace: input.namespace, labels },
    spec: { accessModes: ["ReadWriteOnce"], storageClassName: input.storageClass, resources: { requests: { storage: input.size ?? DEFAULT_CLAIM_SIZE } } },
  };
}

/**
 * `sluice-data-[<instance>-]<workspace>-<profile>-<hash>` as a DNS label; the same for every run of
 * that workspace+profile. The hash of the three parts keeps `a-b`+`c` and `a`+`b-c` apart.
 */
export function dataClaimName(workspace: string, profile: string, instance?: string): string {
  const hash = shortHash(JSON.stringify([instance ?? null, workspace, profile]));
  const readable = ["sluice-data", ...(instance ? [instance] : []), workspace, profile].join("-").toLowerCase().replace(/[^a-z0-9-]+/g, "-");
  return `${readable.slice(0, 63 - hash.length - 1).replace(/-+$/, "")}-${hash}`;
}

/** Longest Job name whose pods (name + `-` + 5 characters) stay a valid DNS label. */
const MAX_JOB_NAME = 52;

/** `sluice-run-[<instance>-]<run id>` as a DNS label; too long or unusual names keep a hash of the original. */
export function runJobName(runId: string, instance?: string): string {
  return dnsName(instance ? `sluice-run-${instance}-${runId}` : `sluice-run-${runId}`, MAX_JOB_NAME);
}

function dnsName(raw: string, max: number): string {
  const clean = raw.toLowerCase().replace(/[^a-z0-9-]+/g, "-").replace(/-+$/, "");
  if (clean === raw && clean.length <= max) return clean;
  const hash = shortHash(raw);
  return `${clean.slice(0, max - hash.length - 1).replace(/-+$/, "")}-${hash}`;
}

/** A label value (≤ 63 of `[A-Za-z0-9._-]`, alphanumeric at both ends); changed values keep a hash of the original. */
export function labelValue(text: string): string {
  if (/^([A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?)?$/.test(text)) return text;
  const hash = shortHash(text);
  const clean = text.replace(/[^A-Za-z0-9._-]+/g, "-").replace(/^[^A-Za-z0-9]+/, "").slice(0, 63 - hash.length - 1).replace(/[^A-Za-z0-9]+$/, "");
  return clean ? `${clean}-${hash}` : hash;
}

function shortHash(text: string): string {
  return createHash("sha256").update(text).digest("hex").slice(0, 8);
}
