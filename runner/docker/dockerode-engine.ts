/** `ContainerEngine` on top of dockerode: the only file in Sluice that imports it. */
import Docker from "dockerode";
import type { Readable } from "node:stream";
import { toCreateOptions } from "./container-spec.js";
import { createDemuxer } from "./demux.js";
import { createExitEvents, type EventStream, type ExitEvents } from "./exit-events.js";
import { SluiceLabel } from "./labels.js";
import type { CommitOptions, ContainerEngine, ContainerSpec, ContainerSummary, FollowOptions, ImageInfo, ImportImageOptions, OutputStreamName } from "./engine.js";

export interface DockerodeEngineOptions {
  /** Defaults to `DOCKER_HOST` or `/var/run/docker.sock`, as dockerode decides. */
  socketPath?: string;
}

const dockerClient = (options: DockerodeEngineOptions): Docker => (options.socketPath ? new Docker({ socketPath: options.socketPath }) : new Docker());

export function createDockerodeEngine(options: DockerodeEngineOptions = {}): ContainerEngine {
  const docker = dockerClient(options);
  return { ...imageCalls(docker), ...containerCalls(docker, dockerExitEvents(docker)), ...containerUpkeep(docker) };
}

function imageCalls(docker: Docker): Pick<ContainerEngine, "ping" | "inspectImage" | "imageExists" | "removeImage" | "importImage"> {
  const inspectImage = async (ref: string): Promise<ImageInfo | undefined> => {
    try {
      const info = await docker.getImage(ref).inspect();
      return {
        id: info.Id,
        tags: info.RepoTags ?? [],
        labels: info.Config?.Labels ?? {},
        sizeBytes: info.Size,
        created: info.Created,
      };
    } catch (error) {
      if (statusCode(error) === 404) return undefined;
      throw error;
    }
  };

  return {
    async ping() {
      try {
        await docker.ping();
        return true;
      } catch {
        return false;
      }
    },
    inspectImage,
    async imageExists(ref) {
      return (await inspectImage(ref)) !== undefined;
    },
    async removeImage(ref, removeOptions = {}) {
      await docker.getImage(ref).remove({ force: removeOptions.force ?? false });
    },
    async importImage(tarball: Readable, importOptions: ImportImageOptions) {
      const [repo, tag] = splitTag(importOptions.tag);
      const stream = await docker.importImage(tarball, { repo, tag, changes: importOptions.changes } as object);
      const events = await followProgress(docker, stream);
      const failure = events.find((event) => typeof event.error === "string");
      if (failure) throw new Error(`docker import failed: ${String(failure.error)}`);
      const image = await inspectImage(importOptions.tag);
      if (!image) throw new Error(`docker import finished but image ${importOptions.tag} is missing`);
      return image.id;
    },
  };
}

/** A container's life: created, attached, started, waited for, signalled. */
function containerCalls(docker: Docker, exits: ExitEvents): Pick<ContainerEngine, "createContainer" | "attach" | "startContainer" | "waitContainer" | "killContainer" | "stopContainer"> {
  return {
    async createContainer(spec: ContainerSpec) {
      const container = await docker.createContainer(toCreateOptions(spec));
      return container.id;
    },
    attach: (containerId, onData, follow) => attachOutput(docker, containerId, onData, follow),
    async startContainer(containerId) {
      await docker.getContainer(containerId).start();
    },
    async waitContainer(containerId, follow: FollowOptions = {}) {
      return waitForExit(docker, exits, containerId, follow);
    },
    async killContainer(containerId, signal = "SIGKILL") {
      try {
        await docker.getContainer(containerId).kill({ signal });
      } catch (error) {
        // 409: not running any more; 404: already gone. Both mean the goal is reached.
        if (statusCode(error) !== 409 && statusCode(error) !== 404) throw error;
      }
    },
    async stopContainer(containerId, stopOptions = {}) {
      try {
        await docker.getContainer(containerId).stop({ t: stopOptions.graceSeconds ?? 10 });
      } catch (error) {
        if (statusCode(error) !== 304 && statusCode(error) !== 404) throw error;
      }
    },
  };
}

/** Ended containers: committed, removed, renamed, read, listed. */
function containerUpkeep(docker: Docker): Pick<ContainerEngine, "commitContainer" | "removeContainer" | "renameContainer" | "readLogs" | "listContainers"> {
  return {
    async commitContainer(containerId, commitOptions: CommitOptions) {
      const [repo, tag] = splitTag(commitOptions.tag);
      // an exit known from the die event may precede the engine's release of the container: wait for it
      await docker.getContainer(containerId).wait();
      const result = (await docker.getContainer(containerId).commit({ repo, tag, changes: commitOptions.changes })) as { Id: string };
      return result.Id;
    },
    async removeContainer(containerId, removeOptions = {}) {
      try {
        await docker.getContainer(containerId).remove({ force: removeOptions.force ?? false, v: true });
      } catch (error) {
        if (statusCode(error) !== 404) throw error;
      }
    },
    async renameContainer(containerId, name) {
      await docker.getContainer(containerId).rename({ name });
    },
    async readLogs(containerId, onData: (stream: OutputStreamName, chunk: Buffer) => void) {
      const output = (await docker.getContainer(containerId).logs({ stdout: true, stderr: true, follow: false })) as unknown as Buffer;
      createDemuxer(onData)(Buffer.isBuffer(output) ? output : Buffer.from(String(output)));
    },
    async listContainers(labels) {
      const filters = { label: Object.entries(labels).map(([key, value]) => `${key}=${value}`) };
      const list = await docker.listContainers({ all: true, filters: JSON.stringify(filters) });
      return list.map(
        (item): ContainerSummary => ({ id: item.Id, names: item.Names, image: item.Image, state: item.State, labels: item.Labels ?? {} }),
      );
    },
  };
}

/** Output of a container, demultiplexed into `onData`, until its stream ends or `follow.signal` aborts. */
async function attachOutput(docker: Docker, containerId: string, onData: (stream: OutputStreamName, chunk: Buffer) => void, follow: FollowOptions = {}): Promise<{ done: Promise<void> }> {
  const stream = (await docker.getContainer(containerId).attach({ stream: true, stdout: true, stderr: true, logs: true })) as NodeJS.ReadableStream & { destroy?: () => void };
  const demux = createDemuxer(onData);
  let close = () => {};
  const done = new Promise<void>((resolve) => {
    stream.on("data", (chunk: Buffer) => {
      if (!follow.signal?.aborted) demux(chunk);
    });
    stream.on("end", () => resolve());
    stream.on("close", () => resolve());
    stream.on("error", () => resolve());
    // the socket of an open attach keeps the process alive: aborting closes it (the container is not touched)
    close = () => {
      stream.destroy?.();
      resolve();
    };
    if (follow.signal?.aborted) close();
    else follow.signal?.addEventListener("abort", close, { once: true });
  });
  // the signal outlives the run (one per executor): drop this run's listener when the stream ends
  return { done: done.finally(() => follow.signal?.removeEventListener("abort", close)) };
}

/** The `die` events of Sluice's containers (exit-events.ts). */
function dockerExitEvents(docker: Docker): ExitEvents {
  return createExitEvents(async (since) => {
    const filters = { type: ["container"], event: ["die"], label: [`${SluiceLabel.managed}=true`] };
    return (await docker.getEvents({ since, filters: JSON.stringify(filters) } as object)) as unknown as EventStream;
  });
}

/** The engine's exit events alone, without `docker wait` (tests and benches). */
export function createEngineExitEvents(options: DockerodeEngineOptions = {}): ExitEvents {
  return dockerExitEvents(dockerClient(options));
}

/**
 * The container's exit code from whichever answers first: the engine's `die` event or `docker wait`
 * (exit-events.ts). Rejects when `follow.signal` aborts first.
 */
async function waitForExit(docker: Docker, exits: ExitEvents, containerId: string, follow: FollowOptions): Promise<number> {
  follow.signal?.throwIfAborted();
  // a per-call signal linked to the long-lived one, unlinked after: no listener piles up per run
  const link = new AbortController();
  const abort = () => link.abort(follow.signal?.reason);
  follow.signal?.addEventListener("abort", abort, { once: true });
  const died = exits.exitOf(containerId);
  try {
    const waited = (docker.getContainer(containerId).wait({ abortSignal: link.signal }) as Promise<{ StatusCode: number }>).then((result) => result.StatusCode);
    const aborted = new Promise<never>((_, reject) => {
      if (link.signal.aborted) reject(link.signal.reason);
      link.signal.addEventListener("abort", () => reject(link.signal.reason), { once: true });
    });
    return await Promise.race([waited, died.exited, aborted]);
  } finally {
    died.cancel();
    follow.signal?.removeEventListener("abort", abort);
    // the wait is not needed once the event answered (its request would stay open until the engine answers)
    link.abort();
  }
}

/** `repo:tag` → [repo, tag]; the tag separator is the last `:` after the last `/`. */
export function splitTag(ref: string): [string, string] {
  const slash = ref.lastIndexOf("/");
  const colon = ref.lastIndexOf(":");
  if (colon <= slash) return [ref, "latest"];
  return [ref.slice(0, colon), ref.slice(colon + 1)];
}

function statusCode(error: unknown): number | undefined {
  if (typeof error === "object" && error !== null && "statusCode" in error) return Number((error as { statusCode: unknown }).statusCode);
  return undefined;
}

function followProgress(docker: Docker, stream: NodeJS.ReadableStream): Promise<Array<Record<string, unknown>>> {
  return new Promise((resolve, reject) => {
    docker.modem.followProgress(stream, (error: Error | null, output: Array<Record<string, unknown>>) => (error ? reject(error) : resolve(output)));
  });
}
