/**
 * Containers' exits as the engine announces them: its `die` event carries the exit code ~25 ms
 * after the process ended, while `docker wait` answers only once the engine has also released the
 * container's network (50–100 ms later with a bridge network; docs/performance.md). A waiter
 * races both (dockerode-engine.ts), so an exit is never missed when the event is: the event only
 * makes it known sooner.
 *
 * The events stream is open only while somebody waits: the first waiter opens it, replaying the
 * last seconds (an exit between the waiter's start and the stream's is not lost), and the last
 * one to leave closes it, so a process using the engine is never kept alive by it.
 */

import { createLineSplitter } from "./demux.js";

/** A stream of the engine's JSON events, one per line, starting `sinceSeconds` (Unix time) back. */
export type SubscribeExitEvents = (sinceSeconds: number) => Promise<EventStream>;

export interface EventStream {
  on(event: "data", listener: (chunk: Buffer | string) => void): unknown;
  on(event: "end" | "close" | "error", listener: () => void): unknown;
  destroy(): void;
}

export interface ExitEvents {
  /** The exit code of the container's next (or a just-seen) `die` event; `cancel` stops waiting for it. */
  exitOf(containerId: string): { exited: Promise<number>; cancel: () => void };
}

/** Exits remembered for a waiter that arrives after its container's event. */
const RECENT_EXITS = 256;
/** How far back a newly opened stream replays. */
const REPLAY_SECONDS = 2;

/** The container and exit code of one event line; undefined for anything but a container's `die`. */
export function parseDieEvent(line: string): { containerId: string; exitCode: number } | undefined {
  let event: { Type?: string; Action?: string; status?: string; id?: string; Actor?: { ID?: string; Attributes?: Record<string, string> } };
  try {
    event = JSON.parse(line) as typeof event;
  } catch {
    return undefined;
  }
  if (event.Type !== "container" || (event.Action ?? event.status) !== "die") return undefined;
  const containerId = event.Actor?.ID ?? event.id;
  const exitCode = Number(event.Actor?.Attributes?.exitCode ?? Number.NaN);
  if (!containerId || !Number.isInteger(exitCode)) return undefined;
  return { containerId, exitCode };
}

export function createExitEvents(subscribe: SubscribeExitEvents, nowMs: () => number = Date.now): ExitEvents {
  return new DieEvents(subscribe, nowMs);
}

class DieEvents implements ExitEvents {
  private readonly waiters = new Map<string, Set<(exitCode: number) => void>>();
  /** Exit codes by container, oldest first. */
  private readonly recent = new Map<string, number>();
  private stream: EventStream | undefined;
  private opening = false;

  constructor(
    private readonly subscribe: SubscribeExitEvents,
    private readonly nowMs: () => number,
  ) {}

  exitOf(containerId: string): { exited: Promise<number>; cancel: () => void } {
    const known = this.recent.get(containerId);
    if (known !== undefined) return { exited: Promise.resolve(known), cancel: () => undefined };
    let resolver: (exitCode: number) => void = () => undefined;
    const exited = new Promise<number>((resolve) => {
      resolver = resolve;
    });
    const set = this.waiters.get(containerId) ?? new Set();
    set.add(resolver);
    this.waiters.set(containerId, set);
    this.open();
    const cancel = () => {
      set.delete(resolver);
      if (set.size === 0 && this.waiters.get(containerId) === set) this.waiters.delete(containerId);
      this.closeWhenUnused();
    };
    return { exited, cancel };
  }

  private deliver(containerId: string, exitCode: number): void {
    this.recent.delete(containerId);
    this.recent.set(containerId, exitCode);
    if (this.recent.size > RECENT_EXITS) this.recent.delete(this.recent.keys().next().value as string);
    const found = this.waiters.get(containerId);
    this.waiters.delete(containerId);
    for (const resolve of found ?? []) resolve(exitCode);
    this.closeWhenUnused();
  }

  private closeWhenUnused(): void {
    if (this.waiters.size > 0 || !this.stream) return;
    const open = this.stream;
    this.stream = undefined;
    open.destroy();
  }

  private open(): void {
    if (this.stream || this.opening) return;
    this.opening = true;
    this.subscribe(Math.floor(this.nowMs() / 1000) - REPLAY_SECONDS).then(
      (opened) => {
        this.opening = false;
        this.listen(opened);
      },
      // no events: the waiters still have `docker wait`
      () => {
        this.opening = false;
      },
    );
  }

  private listen(opened: EventStream): void {
    this.stream = opened;
    const lines = createLineSplitter((line) => {
      const exit = parseDieEvent(line);
      if (exit) this.deliver(exit.containerId, exit.exitCode);
    });
    opened.on("data", (chunk) => lines.push(chunk));
    const closed = () => {
      if (this.stream === opened) this.stream = undefined;
    };
    opened.on("end", closed);
    opened.on("close", closed);
    opened.on("error", closed);
    this.closeWhenUnused();
  }
}
