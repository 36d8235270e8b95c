/**
 * Time enters Sluice only through a Clock, so tests and the simulator can move it
 * deterministically. Instants are epoch milliseconds (UTC).
 */
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
  cancelled: boolean;
}

/**
 * A clock that only moves when told to. `advanceTo` fires due timers in time order
 * (ties in creation order), setting `now` to each timer's instant before calling it.
 */
export class VirtualClock implements Clock {
  private current: number;
  private timers: VirtualTimer[] = [];
  private seq = 0;

  constructor(startMs: number) {
    this.current = startMs;
  }

  now(): number {
    return this.current;
  }

  setTimer(atMs: number, fn: () => void): TimerHandle {
    const timer: VirtualTimer = { atMs: Math.max(atMs, this.current), seq: this.seq++, fn, cancelled: false };
    this.timers.push(timer);
    return {
      cancel: () => {
        timer.cancelled = true;
      },
    };
  }

  /** The instant of the earliest pending timer, or undefined when none is pending. */
  nextTimerAt(): number | undefined {
    const pending = this.pendingTimers();
    return pending[0]?.atMs;
  }

  /** Moves time forward to `targetMs`, firing every timer due on the way. */
  advanceTo(targetMs: number): void {
    for (;;) {
      const next = this.pendingTimers()[0];
      if (!next || next.atMs > targetMs) break;
      next.cancelled = true;
      this.current = Math.max(this.current, next.atMs);
      next.fn();
    }
    this.current = Math.max(this.current, targetMs);
    this.timers = this.timers.filter((t) => !t.cancelled);
  }

  advanceBy(ms: number): void {
    this.advanceTo(this.current + ms);
  }

  private pendingTimers(): VirtualTimer[] {
    return this.timers.filter((t) => !t.cancelled).sort((a, b) => a.atMs - b.atMs || a.seq - b.seq);
  }
}
