/**
 * The container engine seen by the rest of Sluice. Only this folder knows about dockerode;
 * everything else talks to this interface so it can be reasoned about (and specs unit-tested)
 * without a daemon.
 */
import type { Readable } from "node:stream";

export type NetworkMode = "none" | "host" | "bridge";

export interface BindMount {
  /** Absolute path on the host. */
  source: string;
  /** Absolute path inside the container. */
  target: string;
  readOnly: boolean;
}

export interface TmpfsMount {
  target: string;
  /** mount(8) options, e.g. `rw,exec,size=256m`. */
  options: string;
}

/** A container port published on the host; Sluice only ever binds loopback. */
export interface PublishedPort {
  hostIp: "127.0.0.1";
  hostPort: number;
  containerPort: number;
}

export interface ResourceLimits {
  /** CPUs in units of 1e-9 (docker `NanoCpus`). */
  nanoCpus?: number;
  memoryBytes?: number;
}

/** Everything needed to create one container; turned into docker's API shape by `toCreateOptions`. */
export interface ContainerSpec {
  image: string;
  cmd: string[];
  /** Why Sluice created it: goes into the `sluice.purpose` label. */
  purpose: string;
  name?: string;
  env?: Record<string, string>;
  workingDir?: string;
  user?: string;
  /** Host name inside the container (default: docker's, the container id). */
  hostname?: string;
  network?: NetworkMode;
  binds?: BindMount[];
  tmpfs?: TmpfsMount[];
  labels?: Record<string, string>;
  /** Run docker's init as PID 1 so signals reach the process (launcher.md §9). */
  init?: boolean;
  /** Remove the container as soon as it exits (not usable when it must be committed). */
  autoRemove?: boolean;
  /** Ports published on the host (run containers of interactive jobs). */
  publish?: PublishedPort[];
  /** CPU / memory limits (`require.machine`). */
  resources?: ResourceLimits;
}

export interface ImageInfo {
  id: string;
  tags: string[];
  labels: Record<string, string>;
  sizeBytes: number;
  created: string;
}

export interface ContainerSummary {
  id: string;
  names: string[];
  image: string;
  state: string;
  labels: Record<string, string>;
}

export type OutputStreamName = "stdout" | "stderr";

export interface ImportImageOptions {
  /** `repo:tag` of the new image. */
  tag: string;
  /** Dockerfile instructions applied to the image, e.g. `ENV PATH=/usr/bin`, `CMD ["python3"]`. */
  changes: string[];
}

export interface CommitOptions {
  tag: string;
  changes: string[];
}

/**
 * Stops following a container without touching it: aborting `signal` closes an attached output
 * stream (`done` settles) and rejects a pending wait; the container keeps running.
 */
export interface FollowOptions {
  signal?: AbortSignal;
}

export interface ContainerEngine {
  /** True when the daemon answers. */
  ping(): Promise<boolean>;
  inspectImage(ref: string): Promise<ImageInfo | undefined>;
  imageExists(ref: string): Promise<boolean>;
  removeImage(ref: string, options?: { force?: boolean }): Promise<void>;
  /** Imports a root file system tarball (like `docker import`) and returns the image id. */
  importImage(tarball: Readable, options: ImportImageOptions): Promise<string>;
  createContainer(spec: ContainerSpec): Promise<string>;
  /**
   * Attaches to a created (not yet started) container and calls `onData` with demultiplexed
   * output. Resolves once attached; the returned promise `done` settles when the stream ends.
   */
  attach(containerId: string, onData: (stream: OutputStreamName, chunk: Buffer) => void, options?: FollowOptions): Promise<{ done: Promise<void> }>;
  startContainer(containerId: string): Promise<void>;
  /**
   * Waits for the container's process to exit and returns its exit code (rejects when `signal`
   * aborts first). It answers from the engine's `die` event when that comes first: the engine may
   * then still be releasing the container (its state reads `running` for up to ~0.1 s more);
   * `removeContainer` and `commitContainer` wait for that.
   */
  waitContainer(containerId: string, options?: FollowOptions): Promise<number>;
  killContainer(containerId: string, signal?: string): Promise<void>;
  stopContainer(containerId: string, options?: { graceSeconds?: number }): Promise<void>;
  /** Commits a stopped container to an image (like `docker commit`) and returns the image id. */
  commitContainer(containerId: string, options: CommitOptions): Promise<string>;
  removeContainer(containerId: string, options?: { force?: boolean }): Promise<void>;
  /** Gives a container a new name (a warm run container takes its run's name once it became the run). */
  renameContainer(containerId: string, name: string): Promise<void>;
  /**
   * Output a container produced so far (also after it exited), demultiplexed, without following.
   * Used to collect the logs of a run that ended while Sluice was down.
   */
  readLogs(containerId: string, onData: (stream: OutputStreamName, chunk: Buffer) => void): Promise<void>;
  /** Containers whose labels include all of `labels` (running and stopped). */
  listContainers(labels: Record<string, string>): Promise<ContainerSummary[]>;
}
