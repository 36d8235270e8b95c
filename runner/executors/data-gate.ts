/**
 * One writer at a time per workspace+profile data directory, first come first served. DuckDB
 * allows a single writing process per file, so two runs of one workspace and profile that start
 * together would otherwise fail on the file's lock; instead the later one waits here, before its
 * process exists, and is told who it waits for.
 */

export interface DataGate {
  /**
   * Resolves with a release function once `runId` holds `key`. When the key is busy, `onWait` is
   * called once, synchronously, with the run currently holding it and how many runs wait ahead.
   */
  acquire(key: string, runId: string, onWait?: (holder: string, ahead: number) => void): Promise<() => void>;
  /** Takes `key` only when nobody holds it and nobody waits; undefined otherwise. */
  tryAcquire(key: string, runId: string): (() => void) | undefined;
  /** The run holding `key`, if any. */
  holder(key: string): string | undefined;
  /** Runs waiting for `key`, oldest first. */
  waiting(key: string): string[];
}

interface Lane {
  holder: string | undefined;
  queue: Array<{ runId: string; admit: () => void }>;
}

export function createDataGate(): DataGate {
  const lanes = new Map<string, Lane>();
  const laneOf = (key: string): Lane => {
    let lane = lanes.get(key);
    if (!lane) {
      lane = { holder: undefined, queue: [] };
      lanes.set(key, lane);
    }
    return lane;
  };
  const releaser = (key: string, runId: string) => {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const lane = laneOf(key);
      if (lane.holder !== runId) return;
      const next = lane.queue.shift();
      lane.holder = next?.runId;
      if (next) next.admit();
      else lanes.delete(key);
    };
  };
  return {
    acquire(key, runId, onWait) {
      const lane = laneOf(key);
      if (lane.holder === undefined && lane.queue.length === 0) {
        lane.holder = runId;
        return Promise.resolve(releaser(key, runId));
      }
      onWait?.(lane.holder ?? lane.queue[0]!.runId, lane.queue.length + 1);
      return new Promise((resolve) => lane.queue.push({ runId, admit: () => resolve(releaser(key, runId)) }));
    },
    tryAcquire(key, runId) {
      const lane = laneOf(key);
      if (lane.holder !== undefined || lane.queue.length > 0) return undefined;
      lane.holder = runId;
      return releaser(key, runId);
    },
    holder: (key) => lanes.get(key)?.holder,
    waiting: (key) => (lanes.get(key)?.queue ?? []).map((entry) => entry.runId),
  };
}
