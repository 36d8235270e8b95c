/**
 * Waiting for the Docker engine at daemon boot: dockerd may start after Sluice (host boot order)
 * or be restarting. The daemon pings until the engine answers or the deadline passes, saying
 * what it waits for; only then does it give up with `docker_unreachable`.
 */
import type { ContainerEngine } from "./engine.js";

export interface WaitForEngineOptions {
  /** Give up after this long; 0 = one ping only. */
  timeoutMs: number;
  /** Pause between pings; default 1 s. */
  intervalMs?: number;
  /** Called after each failed ping that will be retried, with the time waited so far. */
  onWaiting?: (waitedMs: number) => void;
}

/** A hung engine socket must not hang boot: a ping that takes longer counts as no answer. */
const PING_TIMEOUT_MS = 5_000;

function pingWithin(engine: Pick<ContainerEngine, "ping">, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  return Promise.race([engine.ping(), late]).finally(() => clearTimeout(timer));
}

/** True once the engine answers a ping; false when it did not before the deadline. */
export async function waitForEngine(engine: Pick<ContainerEngine, "ping">, options: WaitForEngineOptions): Promise<boolean> {
  const started = Date.now();
  const interval = options.intervalMs ?? 1_000;
  for (;;) {
    if (await pingWithin(engine, PING_TIMEOUT_MS)) return true;
    const waited = Date.now() - started;
    if (waited + interval > options.timeoutMs) return false;
    options.onWaiting?.(waited);
    await new Promise((resolve) => setTimeout(resolve, interval));
  }
}
