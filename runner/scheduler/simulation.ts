/**
 * The scheduler on a virtual clock with simulated runs: what `sluice simulate` runs, and
 * what the tests drive. Same Scheduler class as the daemon; only Clock and Executor differ.
 */
import { VirtualClock, openDatabase, type Database } from "../../core/index.js";
import { recordDecisions, type DecisionRecord } from "./decision-log.js";
import type { DeployInput } from "./deploy.js";
import { Scheduler } from "./engine.js";
import type { RunSpec } from "./executor.js";
import { SimulatedExecutor, type SigtermBehaviour } from "./simulated-executor.js";
import { SchedulerStore } from "./store/scheduler-store.js";

export interface SimulatedFailure {
  /** Job ref or short name. */
  job: string;
  /** The first run of the job starting at or after this instant exits with code 1. */
  atMs: number;
}

export interface SimulationSetup {
  startMs: number;
  runDurationMs?: number;
  failures?: SimulatedFailure[];
  durationFor?: (spec: RunSpec, startedAtMs: number) => number | undefined;
  onSigterm?: SigtermBehaviour;
  /** SQLite file; ":memory:" by default. */
  databaseFile?: string;
}

export class Simulation {
  readonly clock: VirtualClock;
  readonly db: Database;
  readonly executor: SimulatedExecutor;
  readonly records: DecisionRecord[] = [];
  scheduler: Scheduler;
  private readonly pendingFailures: SimulatedFailure[];
  private stopRecording: () => void = () => {};

  constructor(setup: SimulationSetup) {
    this.clock = new VirtualClock(setup.startMs);
    this.db = openDatabase(setup.databaseFile ?? ":memory:");
    this.pendingFailures = [...(setup.failures ?? [])].sort((a, b) => a.atMs - b.atMs);
    this.executor = new SimulatedExecutor(this.clock, {
      runDurationMs: setup.runDurationMs ?? 30_000,
      ...(setup.durationFor ? { durationFor: setup.durationFor } : {}),
      ...(setup.onSigterm ? { onSigterm: setup.onSigterm } : {}),
      exitCodeFor: (spec, startedAtMs) => this.exitCodeFor(spec, startedAtMs),
    });
    this.scheduler = this.newScheduler();
  }

  async start(): Promise<void> {
    await this.scheduler.start();
  }

  deploy(input: DeployInput) {
    return this.scheduler.deploy(input);
  }

  advanceTo(ms: number): void {
    this.clock.advanceTo(ms);
  }

  /**
   * Simulates a daemon restart: the old scheduler stops (its simulated processes die with it)
   * and a new one boots from the same database at `restartAtMs`.
   */
  async restart(downFromMs: number, restartAtMs: number): Promise<void> {
    this.advanceTo(downFromMs);
    this.scheduler.stop();
    this.executor.vanish();
    this.stopRecording();
    this.clock.advanceTo(restartAtMs);
    this.scheduler = this.newScheduler();
    await this.scheduler.start();
  }

  close(): void {
    this.scheduler.stop();
    this.stopRecording();
    this.db.close();
  }

  private newScheduler(): Scheduler {
    const scheduler = new Scheduler({ clock: this.clock, store: new SchedulerStore(this.db), executor: this.executor });
    this.stopRecording = recordDecisions(scheduler, this.records).stop;
    return scheduler;
  }

  private exitCodeFor(spec: RunSpec, startedAtMs: number): number {
    const index = this.pendingFailures.findIndex(
      (f) => startedAtMs >= f.atMs && (f.job === spec.jobRef || spec.jobRef.endsWith(`.${f.job}`)),
    );
    if (index < 0) return 0;
    this.pendingFailures.splice(index, 1);
    return 1;
  }
}
