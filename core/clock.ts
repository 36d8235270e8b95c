/**
 * Time enters Sluice only through a Clock, so tests and the simulator can move it
 * deterministically. Instants are epoch milliseconds (UTC).
 */
import { MinHeap } from "./min-heap.js";

export interface TimerHandle {
  cancel(): void;
}

export interface Clock {
  now(): number;
  /** Calls `fn` once when the clock reaches `atMs` (immediately-ish if already past). */
  setTimer(atMs: number, fn: () => void): TimerHandle;
}

/** The real clock. Re-arms timers that fire early (setTimeout may wake before the deadline). */
export class SystemClock implements Clock {
  now(): number {
    return Date.now();
  }

  setTimer(atMs: number, fn: () => void): TimerHandle {
    let timeout: NodeJS.Timeout | undefined;
    let cancelled = false;
    const arm = () => {
      const delay = Math.max(0, Math.min(atMs - Date.now(), 2 ** 31 - 1));
      timeout = setTimeout(() => {
        if (cancelled) return;
        if (Date.now() < atMs) arm();
        else fn();
      }, delay);
    };
    arm();
    return {
      cancel() {
        cancelled = true;
        if (timeout) clearTimeout(timeout);
      },
    };
  }
}

interface VirtualTimer {
  atMs: number;
  seq: number;
  fn: () => void;
  /** pending: in the heap and due to fire; fired or cancelled: never fires (again). */
  state: "pending" | "fired" | "cancelled";
}

/**
 * A clock that only moves when told to. `advanceTo` fires due timers in time order
 * (ties in creation order), setting `now` to each timer's instant before calling it.
 *
 * Timers sit in a binary min-heap keyed by (atMs, seq), so a step costs O(log n) however
 * long the simulation runs. A cancelled timer stays in the heap until it reaches the top
 * (lazy deletion); when cancelled ones make up most of the heap it is rebuilt from the
 * pending ones, so memory follows the pending timers, not every timer ever cancelled.
 */
export class VirtualClock implements Clock {
  private current: number;
  private heap = new MinHeap<VirtualTimer>(earlier);
  private cancelledInHeap = 0;
  private seq = 0;

  constructor(startMs: number) {
    this.current = startMs;
  }

  now(): number {
    return this.current;
  }

  setTimer(atMs: number, fn: () => void): TimerHandle {
    const timer: VirtualTimer = { atMs: Math.max(atMs, this.current), seq: this.seq++, fn, state: "pending" };
    this.heap.push(timer);
    return {
      cancel: () => {
        if (timer.state !== "pending") return;
        timer.state = "cancelled";
        this.cancelledInHeap++;
        this.compactIfMostlyCancelled();
      },
    };
  }

  /** The instant of the earliest pending timer, or undefined when none is pending. */
  nextTimerAt(): number | undefined {
    return this.peek()?.atMs;
  }

  /** Moves time forward to `targetMs`, firing every timer due on the way. */
  advanceTo(targetMs: number): void {
    for (;;) {
      const next = this.peek();
      if (!next || next.atMs > targetMs) break;
      this.heap.pop();
      next.state = "fired";
      this.current = Math.max(this.current, next.atMs);
      next.fn();
    }
    this.current = Math.max(this.current, targetMs);
  }

  advanceBy(ms: number): void {
    this.advanceTo(this.current + ms);
  }

  /** The earliest pending timer; cancelled ones met on top are dropped. */
  private peek(): VirtualTimer | undefined {
    for (let top = this.heap.peek(); top; top = this.heap.peek()) {
      if (top.state === "pending") return top;
      this.heap.pop();
      this.cancelledInHeap--;
    }
    return undefined;
  }

  private compactIfMostlyCancelled(): void {
    if (this.cancelledInHeap < 1024 || this.cancelledInHeap * 2 < this.heap.size) return;
    this.heap.retainWhere((t) => t.state === "pending");
    this.cancelledInHeap = 0;
  }
}

function earlier(a: VirtualTimer, b: VirtualTimer): boolean {
  return a.atMs < b.atMs || (a.atMs === b.atMs && a.seq < b.seq);
}
