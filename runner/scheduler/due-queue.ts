/**
 * A min-heap of "something is due at atMs", keyed by a string. Setting a key again
 * replaces its entry; removed or replaced entries are dropped lazily when they reach the
 * top, so every operation is O(log n) however many jobs are deployed. When stale entries
 * outnumber live ones (e.g. timeouts of runs that finished long before their deadline),
 * the heap is rebuilt from the live entries, so memory stays proportional to live entries.
 */
interface Entry {
  atMs: number;
  key: string;
  gen: number;
}

export class DueQueue {
  private heap: Entry[] = [];
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
    this.push({ atMs, key, gen });
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
    return this.heap.length;
  }

  get(key: string): number | undefined {
    return this.current.get(key)?.atMs;
  }

  /** The earliest live entry, without removing it. */
  peek(): { key: string; atMs: number } | undefined {
    this.dropStale();
    const top = this.heap[0];
    return top ? { key: top.key, atMs: top.atMs } : undefined;
  }

  /** Removes and returns the earliest live entry if it is due at or before `nowMs`. */
  popDue(nowMs: number): { key: string; atMs: number } | undefined {
    const top = this.peek();
    if (!top || top.atMs > nowMs) return undefined;
    this.current.delete(top.key);
    this.pop();
    return top;
  }

  private dropStale(): void {
    for (;;) {
      const top = this.heap[0];
      if (!top) return;
      const live = this.current.get(top.key);
      if (live && live.gen === top.gen) return;
      this.pop();
      this.stale = Math.max(0, this.stale - 1);
    }
  }

  private compactIfMostlyStale(): void {
    if (this.stale < 1024 || this.stale * 2 < this.heap.length) return;
    this.heap = [...this.current].map(([key, { gen, atMs }]) => ({ atMs, key, gen })).sort((a, b) => (less(a, b) ? -1 : 1));
    this.stale = 0;
  }

  private push(entry: Entry): void {
    const heap = this.heap;
    heap.push(entry);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!less(heap[i]!, heap[parent]!)) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  }

  private pop(): void {
    const heap = this.heap;
    const last = heap.pop();
    if (!last || heap.length === 0) return;
    heap[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < heap.length && less(heap[l]!, heap[m]!)) m = l;
      if (r < heap.length && less(heap[r]!, heap[m]!)) m = r;
      if (m === i) return;
      [heap[i], heap[m]] = [heap[m]!, heap[i]!];
      i = m;
    }
  }
}

/** Earlier first; ties by insertion order so equal instants are processed deterministically. */
function less(a: Entry, b: Entry): boolean {
  return a.atMs < b.atMs || (a.atMs === b.atMs && a.gen < b.gen);
}
