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
  const waiters = new Map<string, Set<(exitCode: number) => void>>();
  const recent = new Map<string, number>();
  let stream: EventStream | undefined;
  let opening = false;

  const waiting = () => [...waiters.values()].some((set) => set.size > 0);

  const deliver = (containerId: string, exitCode: number) => {
    recent.delete(containerId);
    recent.set(containerId, exitCode);
    if (recent.size > RECENT_EXITS) recent.delete(recent.keys().next().value as string);
    const found = waiters.get(containerId);
    waiters.delete(containerId);
    for (const resolve of found ?? []) resolve(exitCode);
    closeWhenUnused();
  };

  const closeWhenUnused = () => {
    if (waiting() || !stream) return;
    const open = stream;
    stream = undefined;
    open.destroy();
  };

  const listen = (opened: EventStream) => {
    stream = opened;
    let pending = "";
    opened.on("data", (chunk) => {
      pending += chunk.toString();
      for (let newline = pending.indexOf("\n"); newline >= 0; newline = pending.indexOf("\n")) {
        const exit = parseDieEvent(pending.slice(0, newline));
        pending = pending.slice(newline + 1);
        if (exit) deliver(exit.containerId, exit.exitCode);
      }
    });
    const closed = () => {
      if (stream === opened) stream = undefined;
    };
    opened.on("end", closed);
    opened.on("close", closed);
    opened.on("error", closed);
    closeWhenUnused();
  };

  const open = () => {
    if (stream || opening) return;
    opening = true;
    subscribe(Math.floor(nowMs() / 1000) - REPLAY_SECONDS).then(
      (opened) => {
        opening = false;
        listen(opened);
      },
      // no events: the waiters still have `docker wait`
      () => {
        opening = false;
      },
    );
  };

  return {
    exitOf(containerId) {
      const known = recent.get(containerId);
      if (known !== undefined) return { exited: Promise.resolve(known), cancel: () => undefined };
      let resolver: ((exitCode: number) => void) | undefined;
      const exited = new Promise<number>((resolve) => {
        resolver = resolve;
      });
      const set = waiters.get(containerId) ?? new Set();
      set.add(resolver!);
      waiters.set(containerId, set);
      open();
      return {
        exited,
        cancel: () => {
          set.delete(resolver!);
          if (set.size === 0 && waiters.get(containerId) === set) waiters.delete(containerId);
          closeWhenUnused();
        },
      };
    },
  };
}
