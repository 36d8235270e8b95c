/**
 * Lifecycle of interactive services behind the proxy: the first request starts the job's
 * service and waits until its port accepts connections; requests and open connections count as
 * activity; after `idleTimeoutMs` without any, the service is stopped (the usual stop sequence,
 * outcome `completed`), and the next request starts it again.
 */
import type { Clock, TimerHandle } from "../../core/index.js";
import type { SupervisedRun } from "../executors/index.js";
import { waitForHttp } from "./free-port.js";
import type { ServiceRouter, ServiceTarget } from "./reverse-proxy.js";

export interface StartedService extends ServiceTarget {
  run: SupervisedRun;
  idleTimeoutMs: number;
}

export interface InteractiveServicesOptions {
  clock: Clock;
  /** Starts the service of an interactive job on a fresh loopback port; undefined when there is no such job. */
  start(workspace: string, job: string): Promise<StartedService | undefined>;
  /** Resolves once the service answers (default: an HTTP GET of 127.0.0.1:port/ gets any status). */
  waitReady?: (service: StartedService, gaveUp: () => boolean) => Promise<void>;
}

interface Entry {
  ready: Promise<StartedService | undefined>;
  service?: StartedService;
  open: number;
  lastActivityMs: number;
  idleTimer?: TimerHandle;
}

export interface InteractiveServices extends ServiceRouter {
  /**
   * A service started elsewhere (a trigger, a schedule, `launch`) joins the proxy: requests reach
   * it and its idle timeout runs. When the job already has a service, the newcomer only gets
   * its idle timer (no request is routed to it).
   */
  adopt(workspace: string, job: string, service: StartedService): void;
  /** Services currently running (or starting). */
  list(): Array<{ workspace: string; job: string; port?: number; runId?: string; open: number; lastActivityMs: number }>;
  /** Stops every service (daemon shutdown). */
  stopAll(): Promise<void>;
}

export function createInteractiveServices(options: InteractiveServicesOptions): InteractiveServices {
  return new ServiceTable(options);
}

const keyOf = (workspace: string, job: string) => `${workspace}/${job}`;

/** The services behind the proxy, one entry per job: started on demand, stopped when idle. */
class ServiceTable implements InteractiveServices {
  private readonly entries = new Map<string, Entry>();
  private readonly clock: Clock;
  private readonly waitReady: (service: StartedService, gaveUp: () => boolean) => Promise<void>;

  constructor(private readonly options: InteractiveServicesOptions) {
    this.clock = options.clock;
    this.waitReady = options.waitReady ?? ((service, gaveUp) => waitForHttp(service.port, { gaveUp, timeoutMs: 120_000 }));
  }

  adopt(workspace: string, job: string, service: StartedService): void {
    const key = keyOf(workspace, job);
    const entry: Entry = { ready: Promise.resolve(service), service, open: 0, lastActivityMs: this.clock.now() };
    this.forgetWhenEnded(key, entry, service);
    if (!this.entries.has(key)) this.entries.set(key, entry);
    this.armIdle(entry);
  }

  async resolve(workspace: string, job: string): Promise<ServiceTarget | undefined> {
    const key = keyOf(workspace, job);
    let entry = this.entries.get(key);
    if (entry?.service?.run.isStopping()) {
      await entry.service.run.outcome;
      entry = this.entries.get(key);
    }
    if (!entry) {
      entry = this.launch(key, workspace, job);
      this.entries.set(key, entry);
    }
    const service = await entry.ready;
    if (!service) {
      this.entries.delete(key);
      return undefined;
    }
    return { port: service.port, stripPrefix: service.stripPrefix };
  }

  activity(workspace: string, job: string, delta: 0 | 1 | -1): void {
    const entry = this.entries.get(keyOf(workspace, job));
    if (!entry) return;
    entry.open = Math.max(0, entry.open + delta);
    entry.lastActivityMs = this.clock.now();
    this.armIdle(entry);
  }

  list(): ReturnType<InteractiveServices["list"]> {
    return [...this.entries.entries()].map(([key, entry]) => {
      const [workspace = "", job = ""] = key.split("/");
      return { workspace, job, port: entry.service?.port, runId: entry.service?.run.runId, open: entry.open, lastActivityMs: entry.lastActivityMs };
    });
  }

  async stopAll(): Promise<void> {
    const running = [...this.entries.values()].map((entry) => entry.service).filter((service): service is StartedService => service !== undefined);
    for (const service of running) service.run.stop("runtime");
    await Promise.all(running.map((service) => service.run.outcome));
  }

  private armIdle(entry: Entry): void {
    entry.idleTimer?.cancel();
    const service = entry.service;
    if (!service || entry.open > 0) return;
    const at = entry.lastActivityMs + service.idleTimeoutMs;
    entry.idleTimer = this.clock.setTimer(at, () => {
      if (entry.open === 0 && this.clock.now() >= entry.lastActivityMs + service.idleTimeoutMs) service.run.stop("idle");
    });
  }

  /** Starts the job's service and waits until it answers; a service that ends or never answers leaves the table. */
  private launch(key: string, workspace: string, job: string): Entry {
    const entry: Entry = { ready: Promise.resolve(undefined), open: 0, lastActivityMs: this.clock.now() };
    entry.ready = (async () => {
      const service = await this.options.start(workspace, job);
      if (!service) return undefined;
      let ended = false;
      void service.run.outcome.then(() => {
        ended = true;
      });
      this.forgetWhenEnded(key, entry, service);
      try {
        await this.waitReady(service, () => ended);
      } catch (error) {
        service.run.stop("runtime");
        throw error;
      }
      entry.service = service;
      entry.lastActivityMs = this.clock.now();
      this.armIdle(entry);
      return service;
    })();
    entry.ready.catch(() => {
      if (this.entries.get(key) === entry) this.entries.delete(key);
    });
    return entry;
  }

  private forgetWhenEnded(key: string, entry: Entry, service: StartedService): void {
    void service.run.outcome.then(() => {
      entry.idleTimer?.cancel();
      if (this.entries.get(key) === entry) this.entries.delete(key);
    });
  }
}
