/**
 * An executor whose runs exist only on a Clock: each run "takes" a fixed duration and
 * then exits with the code a rule chooses. Used by `sluice simulate` and the tests; the
 * scheduler cannot tell it from a real executor.
 */
import type { Clock, TimerHandle } from "../../core/index.js";
import type { Executor, RunExit, RunHandle, RunSpec } from "./executor.js";

/** What a simulated process does when asked to stop: exit at once (0 or 1) or ignore SIGTERM. */
export const SIGTERM_BEHAVIOURS = ["exit-ok", "exit-fail", "ignore"] as const;
export type SigtermBehaviour = (typeof SIGTERM_BEHAVIOURS)[number];

export interface SimulatedExecutorOptions {
  /** Duration of every run unless `durationFor` says otherwise. */
  runDurationMs: number;
  /** Per-run duration override. */
  durationFor?: (spec: RunSpec, startedAtMs: number) => number | undefined;
  /** Exit code of a run that reaches its end; default 0. */
  exitCodeFor?: (spec: RunSpec, startedAtMs: number) => number;
  /** Default "ignore": a job that overruns its timeout is killed after the grace period. */
  onSigterm?: SigtermBehaviour;
}

export interface SimulatedRunInfo {
  spec: RunSpec;
  startedAtMs: number;
}

export class SimulatedExecutor implements Executor {
  /** Runs started so far, in start order (tests read it). */
  readonly started: SimulatedRunInfo[] = [];
  private readonly live = new Map<string, SimulatedHandle>();

  constructor(
    private readonly clock: Clock,
    private readonly options: SimulatedExecutorOptions,
  ) {}

  start(spec: RunSpec): RunHandle {
    const startedAtMs = this.clock.now();
    this.started.push({ spec, startedAtMs });
    const duration = this.options.durationFor?.(spec, startedAtMs) ?? this.options.runDurationMs;
    const exitCode = this.options.exitCodeFor?.(spec, startedAtMs) ?? 0;
    const handle = new SimulatedHandle(this.clock, this.options.onSigterm ?? "ignore", () => this.live.delete(spec.runId));
    handle.finishAt(startedAtMs + duration, exitCode);
    this.live.set(spec.runId, handle);
    return handle;
  }

  /** Simulated processes never survive a restart of the scheduler that started them. */
  adopt(_runId: string): RunHandle | null {
    return null;
  }

  /** Every live process disappears without a word (the machine running them went down). */
  vanish(): void {
    for (const handle of this.live.values()) handle.vanish();
    this.live.clear();
  }

  /** Number of runs whose process is still alive. */
  liveCount(): number {
    return this.live.size;
  }
}

class SimulatedHandle implements RunHandle {
  readonly done: Promise<RunExit>;
  private resolveDone!: (exit: RunExit) => void;
  private callbacks: Array<(exit: RunExit) => void> = [];
  private timer: TimerHandle | undefined;
  private exited: RunExit | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly sigterm: SigtermBehaviour,
    private readonly onGone: () => void,
  ) {
    this.done = new Promise((resolve) => {
      this.resolveDone = resolve;
    });
  }

  finishAt(atMs: number, exitCode: number): void {
    this.timer = this.clock.setTimer(atMs, () => this.exit({ exitCode, killed: false }));
  }

  onExit(callback: (exit: RunExit) => void): void {
    if (this.exited) callback(this.exited);
    else this.callbacks.push(callback);
  }

  stop(_graceMs: number): void {
    if (this.exited || this.sigterm === "ignore") return;
    this.exit({ exitCode: this.sigterm === "exit-ok" ? 0 : 1, killed: false, message: "exited on SIGTERM" });
  }

  kill(): void {
    this.exit({ exitCode: null, killed: true, message: "killed" });
  }

  vanish(): void {
    this.timer?.cancel();
    this.exited = { exitCode: null, killed: true, message: "vanished" };
    this.callbacks = [];
  }

  private exit(exit: RunExit): void {
    if (this.exited) return;
    this.exited = exit;
    this.timer?.cancel();
    this.onGone();
    for (const callback of this.callbacks) callback(exit);
    this.callbacks = [];
    this.resolveDone(exit);
  }
}
