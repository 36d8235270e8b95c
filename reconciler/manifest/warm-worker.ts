/**
 * One warm manifest server (`sluice_manifest.py --serve`), wherever it runs: dlt imported once,
 * each generation in a fresh fork of it. Requests and results pass through a control folder the
 * server polls: `<id>.req` in, `<id>.out` / `<id>.err` / `<id>.done` back. Where the server runs
 * (a container, a host process) is the `WarmServerHost`'s business; this class starts it on first
 * use, queues generations one at a time, and drops it when it is idle, gone, or does not answer.
 */
import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ProcessOutput } from "./wrapper-output.js";

/** A warm server with no request for this long is stopped. */
export const DEFAULT_WARM_IDLE_MS = 600_000;

/** A started server: whether it still runs, and how to end it. */
export interface WarmServer {
  /** False once the server is known to be gone (a request to it would never be answered). */
  alive(): boolean;
  stop(): Promise<void>;
}

/** Starts a server polling `controlDir` (given to it as the folder it sees, if that differs). */
export type StartWarmServer = (controlDir: string) => Promise<WarmServer>;

export interface WarmWorkerOptions {
  /** Where the control folder goes (one per worker, removed with it). */
  controlRoot: string;
  start: StartWarmServer;
  /** Names the server in errors ("in <image>", "with <python>"). */
  where: string;
  /** No request for this long: the server is stopped (default 10 minutes). */
  idleMs?: number;
  /** Called when the worker stops for idleness (its owner forgets it). */
  onIdle(): void;
}

/** How long a new server may take to import dlt and say it is ready. */
const READY_TIMEOUT_MS = 60_000;
const POLL_MS = 10;

export class WarmWorker {
  broken = false;
  private readonly control: string;
  private started: Promise<WarmServer> | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private idleTimer: NodeJS.Timeout | undefined;
  private seq = 0;

  constructor(private readonly options: WarmWorkerOptions) {
    this.control = join(options.controlRoot, `warm-${randomUUID()}`);
  }

  /** One generation in a fresh fork, `cwd` as the server sees it; queued behind the ones before it. */
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
      const server = await started.catch(() => undefined);
      await server?.stop().catch(() => undefined);
    }
    rmSync(this.control, { recursive: true, force: true });
  }

  private async generateNow(cwd: string, args: string[], timeoutMs: number): Promise<ProcessOutput> {
    clearTimeout(this.idleTimer);
    try {
      const server = await this.ensureStarted();
      const id = `r${String(++this.seq).padStart(6, "0")}`;
      const base = join(this.control, id);
      writeFileSync(`${base}.tmp`, JSON.stringify({ cwd, args, timeout: timeoutMs / 1000 }));
      renameSync(`${base}.tmp`, `${base}.req`);
      const done = await this.waitForFile(`${base}.done`, timeoutMs + 10_000, server);
      if (done !== "found") {
        await this.fail();
        const why = done === "gone" ? "the warm manifest worker stopped before it answered" : `the warm manifest worker did not answer within ${Math.round(timeoutMs / 1000)} s`;
        return { exitCode: done === "gone" ? 1 : 124, stdout: "", stderr: why, timedOut: done === "late" };
      }
      const { status, killed } = JSON.parse(readFileSync(`${base}.done`, "utf8")) as { status: number; killed: boolean };
      const read = (suffix: string) => (existsSync(`${base}${suffix}`) ? readFileSync(`${base}${suffix}`, "utf8") : "");
      const stdout = read(".out");
      const stderr = read(".err");
      for (const suffix of [".out", ".err", ".done"]) rmSync(`${base}${suffix}`, { force: true });
      // a fork killed by a signal reads as a cold process's exit code (128 + signal, e.g. 137 for the OOM killer)
      const exitCode = status < 0 ? 128 - status : status;
      return { exitCode, stdout, stderr, timedOut: killed };
    } finally {
      this.armIdle();
    }
  }

  private ensureStarted(): Promise<WarmServer> {
    this.started ??= this.start().catch(async (error: unknown) => {
      await this.fail();
      throw error;
    });
    return this.started;
  }

  private async start(): Promise<WarmServer> {
    mkdirSync(this.control, { recursive: true });
    const server = await this.options.start(this.control);
    const ready = await this.waitForFile(join(this.control, "ready"), READY_TIMEOUT_MS, server);
    if (ready !== "found") {
      await server.stop().catch(() => undefined);
      throw new Error(
        ready === "gone"
          ? `the warm manifest worker ${this.options.where} exited while importing dlt`
          : `the warm manifest worker ${this.options.where} did not start within ${READY_TIMEOUT_MS / 1000} s`,
      );
    }
    return server;
  }

  private async waitForFile(path: string, timeoutMs: number, server: WarmServer): Promise<"found" | "late" | "gone"> {
    const deadline = Date.now() + timeoutMs;
    while (!existsSync(path)) {
      if (!server.alive()) return existsSync(path) ? "found" : "gone";
      if (Date.now() > deadline) return "late";
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
    return "found";
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
    }, this.options.idleMs ?? DEFAULT_WARM_IDLE_MS);
    this.idleTimer.unref();
  }
}

/** Workers by key: a new one when there is none, or the last one broke or went idle. */
export class WarmWorkers {
  private readonly workers = new Map<string, WarmWorker>();

  get(key: string, make: (onIdle: () => void) => WarmWorker): WarmWorker {
    let worker = this.workers.get(key);
    if (!worker || worker.broken) {
      worker = make(() => this.workers.delete(key));
      this.workers.set(key, worker);
    }
    return worker;
  }

  async close(): Promise<void> {
    const all = [...this.workers.values()];
    this.workers.clear();
    await Promise.all(all.map((worker) => worker.stop()));
  }
}
