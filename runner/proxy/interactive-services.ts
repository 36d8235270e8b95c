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
  const { clock } = options;
  const entries = new Map<string, Entry>();
  const keyOf = (workspace: string, job: string) => `${workspace}/${job}`;
  const waitReady =
    options.waitReady ?? ((service: StartedService, gaveUp: () => boolean) => waitForHttp(service.port, { gaveUp, timeoutMs: 120_000 }));

  const armIdle = (entry: Entry) => {
    entry.idleTimer?.cancel();
    const service = entry.service;
    if (!service || entry.open > 0) return;
    const at = entry.lastActivityMs + service.idleTimeoutMs;
    entry.idleTimer = clock.setTimer(at, () => {
      if (entry.open === 0 && clock.now() >= entry.lastActivityMs + service.idleTimeoutMs) service.run.stop("idle");
    });
  };

  const launch = (key: string, workspace: string, job: string): Entry => {
    const entry: Entry = { ready: Promise.resolve(undefined), open: 0, lastActivityMs: clock.now() };
    entry.ready = (async () => {
      const service = await options.start(workspace, job);
      if (!service) return undefined;
      let ended = false;
      void service.run.outcome.then(() => {
        ended = true;
        entry.idleTimer?.cancel();
        if (entries.get(key) === entry) entries.delete(key);
      });
      try {
        await waitReady(service, () => ended);
      } catch (error) {
        service.run.stop("runtime");
        throw error;
      }
      entry.service = service;
      entry.lastActivityMs = clock.now();
      armIdle(entry);
      return service;
    })();
    entry.ready.catch(() => {
      if (entries.get(key) === entry) entries.delete(key);
    });
    return entry;
  };

  const follow = (key: string, entry: Entry, service: StartedService) => {
    void service.run.outcome.then(() => {
      entry.idleTimer?.cancel();
      if (entries.get(key) === entry) entries.delete(key);
    });
  };

  return {
    adopt(workspace, job, service) {
      const key = keyOf(workspace, job);
      const entry: Entry = { ready: Promise.resolve(service), service, open: 0, lastActivityMs: clock.now() };
      follow(key, entry, service);
      if (!entries.has(key)) entries.set(key, entry);
      armIdle(entry);
    },
    async resolve(workspace, job) {
      const key = keyOf(workspace, job);
      let entry = entries.get(key);
      if (entry?.service?.run.isStopping()) {
        await entry.service.run.outcome;
        entry = entries.get(key);
      }
      if (!entry) {
        entry = launch(key, workspace, job);
        entries.set(key, entry);
      }
      const service = await entry.ready;
      if (!service) {
        entries.delete(key);
        return undefined;
      }
      return { port: service.port, stripPrefix: service.stripPrefix };
    },
    activity(workspace, job, delta) {
      const entry = entries.get(keyOf(workspace, job));
      if (!entry) return;
      entry.open = Math.max(0, entry.open + delta);
      entry.lastActivityMs = clock.now();
      armIdle(entry);
    },
    list() {
      return [...entries.entries()].map(([key, entry]) => {
        const [workspace = "", job = ""] = key.split("/");
        return { workspace, job, port: entry.service?.port, runId: entry.service?.run.runId, open: entry.open, lastActivityMs: entry.lastActivityMs };
      });
    },
    async stopAll() {
      const running = [...entries.values()].map((entry) => entry.service).filter((service): service is StartedService => service !== undefined);
      for (const service of running) service.run.stop("runtime");
      await Promise.all(running.map((service) => service.run.outcome));
    },
  };
}
