/**
 * A min-heap of "something is due at atMs", keyed by a string. Setting a key again
 * replaces its entry; removed or replaced entries are dropped lazily when they reach the
 * top, so every operation is O(log n) however many jobs are deployed. When stale entries
 * outnumber live ones (e.g. timeouts of runs that finished long before their deadline),
 * the heap is rebuilt from the live entries, so memory stays proportional to live entries.
 */
import { MinHeap } from "../../core/index.js";

interface Entry {
  atMs: number;
  key: string;
  gen: number;
}

export class DueQueue {
  private heap = new MinHeap<Entry>(less);
  private current = new Map<string, { gen: number; atMs: number }>();
  private gen = 0;
  private stale = 0;

  get size(): number {
    return this.current.size;
  }

  set(key: string, atMs: number): void {
    const gen = ++this.gen;
    if (this.current.has(key)) this.stale++;
    this.current.set(key, { gen, atMs });
    this.heap.push({ atMs, key, gen });
    this.compactIfMostlyStale();
  }

  delete(key: string): void {
    if (this.current.delete(key)) {
      this.stale++;
      this.compactIfMostlyStale();
    }
  }

  /** Entries held in the heap, stale ones included (for tests and the bench). */
  get heapSize(): number {
    return this.heap.size;
  }

  get(key: string): number | undefined {
    return this.current.get(key)?.atMs;
  }

  /** The earliest live entry, without removing it. */
  peek(): { key: string; atMs: number } | undefined {
    this.dropStale();
    const top = this.heap.peek();
    return top ? { key: top.key, atMs: top.atMs } : undefined;
  }

  /** Removes and returns the earliest live entry if it is due at or before `nowMs`. */
  popDue(nowMs: number): { key: string; atMs: number } | undefined {
    const top = this.peek();
    if (!top || top.atMs > nowMs) return undefined;
    this.current.delete(top.key);
    this.heap.pop();
    return top;
  }

  private dropStale(): void {
    for (;;) {
      const top = this.heap.peek();
      if (!top) return;
      const live = this.current.get(top.key);
      if (live && live.gen === top.gen) return;
      this.heap.pop();
      this.stale = Math.max(0, this.stale - 1);
    }
  }

  private compactIfMostlyStale(): void {
    if (this.stale < 1024 || this.stale * 2 < this.heap.size) return;
    this.heap.retainWhere((entry) => this.current.get(entry.key)?.gen === entry.gen);
    this.stale = 0;
  }
}

/** Earlier first; ties by insertion order so equal instants are processed deterministically. */
function less(a: Entry, b: Entry): boolean {
  return a.atMs < b.atMs || (a.atMs === b.atMs && a.gen < b.gen);
}
