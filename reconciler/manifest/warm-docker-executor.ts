/**
 * Warm manifest generation (issue 14): instead of one container per generation (Python start and
 * `import dlt` every time, ~2–3 s), one long-lived container per environment image and checkout
 * folder runs the wrapper in serve mode (`sluice_manifest.py --serve`): dlt imported once, each
 * generation in a fresh fork of that process, so the workspace's own modules are imported anew
 * every time and a generation that crashes, hangs or eats memory takes only its fork down. The
 * container keeps the cold one's limits: no network, the checkouts read-only, 1 GiB of memory for
 * a generation (plus the server's share).
 * Requests and results pass through a small control folder shared with the container.
 *
 * The manifest is the same as a cold generation's (test/manifest-warm.test.ts compares them,
 * also after the workspace's modules change); only the workspace's path inside the container
 * differs (`/checkouts/<folder>` instead of `/workspace`), which dlt does not put in the manifest.
 */
import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import type { ContainerEngine } from "../../runner/docker/index.js";
import { MANIFEST_MEMORY_BYTES, manifestEnvironment } from "./docker-executor.js";
import type { ManifestExecutor, PreparedInterpreter } from "./executor.js";
import type { ProcessOutput } from "./wrapper-output.js";
import { WRAPPER_ENV, readWrapperScript } from "./wrapper-script.js";

export const WARM_PURPOSE = "manifest-warm";
const CHECKOUTS_MOUNT = "/checkouts";
const CONTROL_MOUNT = "/sluice-control";
/**
 * The server's own share of the container's memory (~92 MiB measured with dlt, marimo and fastmcp
 * imported; its pages are shared with the fork): on top of the cold limit, so a generation has
 * about the 1 GiB a cold container gives it.
 */
const SERVER_MEMORY_BYTES = 128 * 1024 * 1024;
/** How long a new warm container may take to import dlt and say it is ready. */
const READY_TIMEOUT_MS = 60_000;
const POLL_MS = 10;

export interface WarmDockerExecutorOptions {
  engine: ContainerEngine;
  /** Where the control folders go (one per warm container). */
  controlRoot: string;
  cacheDir?: string;
  /** A warm container with no request for this long is removed (default 10 minutes). */
  idleMs?: number;
  /** Label value telling this Sluice's warm containers from others' (removed at start and close). */
  instance?: string;
}

export interface WarmDockerManifestExecutor extends ManifestExecutor {
  /** Removes every warm container (daemon stop). */
  close(): Promise<void>;
}

export function createWarmDockerManifestExecutor(options: WarmDockerExecutorOptions): WarmDockerManifestExecutor {
  const workers = new Map<string, WarmWorker>();
  const labels = { "sluice.instance": options.instance ?? "none" };
  let sweep: Promise<void> | undefined;
  const sweepLeftovers = () => (sweep ??= removeWarmContainers(options.engine, labels));
  const workerFor = async (image: string, checkouts: string): Promise<WarmWorker> => {
    await sweepLeftovers();
    const key = `${image}\0${checkouts}`;
    let worker = workers.get(key);
    if (!worker || worker.broken) {
      worker = new WarmWorker({ ...options, image, checkouts, labels, onIdle: () => workers.delete(key) });
      workers.set(key, worker);
    }
    return worker;
  };
  return {
    kind: "docker",
    async prepare(workspaceDir, onProgress): Promise<PreparedInterpreter> {
      const { environment, info } = await manifestEnvironment(options, workspaceDir, onProgress);
      const folder = resolve(workspaceDir);
      const inContainer = `${CHECKOUTS_MOUNT}/${basename(folder)}`;
      return {
        info,
        workspaceRoot: inContainer,
        runWrapper: async (run) => (await workerFor(environment.image, dirname(folder))).generate(inContainer, run.args, run.timeoutMs),
      };
    },
    async close() {
      const all = [...workers.values()];
      workers.clear();
      await Promise.all(all.map((worker) => worker.stop()));
    },
  };
}

async function removeWarmContainers(engine: ContainerEngine, labels: Record<string, string>): Promise<void> {
  const left = await engine.listContainers({ "sluice.managed": "true", "sluice.purpose": WARM_PURPOSE, ...labels }).catch(() => []);
  await Promise.all(left.map((c) => engine.removeContainer(c.id, { force: true }).catch(() => undefined)));
}

interface WarmWorkerOptions extends WarmDockerExecutorOptions {
  image: string;
  checkouts: string;
  labels: Record<string, string>;
  onIdle(): void;
}

/** One warm container: started on first use, one generation at a time, removed when idle or broken. */
class WarmWorker {
  broken = false;
  private readonly control: string;
  private started: Promise<string> | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private idleTimer: NodeJS.Timeout | undefined;
  private seq = 0;

  constructor(private readonly options: WarmWorkerOptions) {
    this.control = join(options.controlRoot, `warm-${randomUUID()}`);
  }

  /** One generation in a fresh fork; queued behind the ones before it. */
  generate(cwd: string, args: string[], timeoutMs: number): Promise<ProcessOutput> {
    const next = this.queue.then(() => this.generateNow(cwd, args, timeoutMs));
    this.queue = next.catch(() => undefined);
    return next;
  }

  async stop(): Promise<void> {
    clearTimeout(this.idleTimer);
    const started = this.started;
    this.started = undefined;
    if (started) {
      const id = await started.catch(() => undefined);
      if (id) await this.options.engine.removeContainer(id, { force: true }).catch(() => undefined);
    }
    rmSync(this.control, { recursive: true, force: true });
  }

  private async generateNow(cwd: string, args: string[], timeoutMs: number): Promise<ProcessOutput> {
    clearTimeout(this.idleTimer);
    try {
      await this.ensureStarted();
      const id = `r${String(++this.seq).padStart(6, "0")}`;
      const base = join(this.control, id);
      writeFileSync(`${base}.tmp`, JSON.stringify({ cwd, args, timeout: timeoutMs / 1000 }));
      renameSync(`${base}.tmp`, `${base}.req`);
      const done = await this.waitForFile(`${base}.done`, timeoutMs + 10_000);
      if (!done) {
        await this.fail();
        return { exitCode: 124, stdout: "", stderr: `the warm manifest worker did not answer within ${Math.round(timeoutMs / 1000)} s`, timedOut: true };
      }
      const { status, killed } = JSON.parse(readFileSync(`${base}.done`, "utf8")) as { status: number; killed: boolean };
      const read = (suffix: string) => (existsSync(`${base}${suffix}`) ? readFileSync(`${base}${suffix}`, "utf8") : "");
      const stdout = read(".out");
      const stderr = read(".err");
      for (const suffix of [".out", ".err", ".done"]) rmSync(`${base}${suffix}`, { force: true });
      // a fork killed by a signal reads as the cold container's exit code (128 + signal, e.g. 137 for the OOM killer)
      const exitCode = status < 0 ? 128 - status : status;
      return { exitCode, stdout, stderr, timedOut: killed };
    } finally {
      this.armIdle();
    }
  }

  private ensureStarted(): Promise<string> {
    this.started ??= this.start().catch(async (error: unknown) => {
      await this.fail();
      throw error;
    });
    return this.started;
  }

  private async start(): Promise<string> {
    const { engine, image, checkouts, labels } = this.options;
    mkdirSync(this.control, { recursive: true });
    const script = await readWrapperScript();
    const id = await engine.createContainer({
      image,
      cmd: ["python", "-c", script, "--serve", CONTROL_MOUNT],
      purpose: WARM_PURPOSE,
      labels,
      env: { ...WRAPPER_ENV, HOME: "/tmp" },
      workingDir: "/",
      network: "none",
      binds: [
        { source: checkouts, target: CHECKOUTS_MOUNT, readOnly: true },
        { source: this.control, target: CONTROL_MOUNT, readOnly: false },
      ],
      tmpfs: [{ target: "/tmp", options: "rw,exec,nosuid,nodev,size=512m" }],
      init: true,
      resources: { memoryBytes: MANIFEST_MEMORY_BYTES + SERVER_MEMORY_BYTES },
    });
    await engine.startContainer(id);
    if (!(await this.waitForFile(join(this.control, "ready"), READY_TIMEOUT_MS))) {
      await engine.removeContainer(id, { force: true }).catch(() => undefined);
      throw new Error(`the warm manifest worker in ${image} did not start within ${READY_TIMEOUT_MS / 1000} s`);
    }
    return id;
  }

  private async waitForFile(path: string, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!existsSync(path)) {
      if (Date.now() > deadline) return false;
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
    return true;
  }

  private async fail(): Promise<void> {
    this.broken = true;
    await this.stop();
  }

  private armIdle(): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      this.broken = true;
      this.options.onIdle();
      void this.stop();
    }, this.options.idleMs ?? 600_000);
    this.idleTimer.unref();
  }
}
