/**
 * Comparing a run handed to a warm interpreter or container with a cold one (the warm tests of
 * both executors): what a run printed, its `probe {...}` line parsed, its outcome and placement.
 */
import type { LogStore } from "../../runner/logs/index.js";
import type { PreparedRun, RunOutcome, SupervisedRun } from "../../runner/executors/index.js";
import { within } from "./wait.js";

export interface Observed {
  outcome: RunOutcome;
  lines: string[];
  probe: Record<string, unknown>;
  placement: string | undefined;
}

/** Starts `run`, waits for its end (at most `timeoutMs`) and reads what it left in the log store. */
export async function observeRun(executor: { start(run: PreparedRun): Promise<SupervisedRun> }, logStore: LogStore, run: PreparedRun, timeoutMs: number): Promise<Observed> {
  const started = await executor.start(run);
  const outcome = await within(started.outcome, `the end of ${run.runId}`, timeoutMs);
  const lines = logStore.read(run.runId).lines.map((line) => `${line.stream}:${line.text}`);
  const probeLine = lines.find((line) => line.startsWith("stdout:probe "));
  const probe = probeLine ? (JSON.parse(probeLine.slice("stdout:probe ".length)) as Record<string, unknown>) : {};
  return { outcome, lines, probe, placement: await started.placement };
}

/**
 * A run's observations with its run id replaced (and the probe fields in `same` set to one value),
 * so a cold and a warm run compare equal. Each stream keeps its order; two pipes interleave
 * differently from run to run, cold or warm.
 */
export function comparable(observed: Observed, runId: string, same: Record<string, unknown> = {}): unknown {
  const lines = [...observed.lines.filter((line) => line.startsWith("stdout:")), ...observed.lines.filter((line) => !line.startsWith("stdout:"))].map((line) =>
    line.startsWith("stdout:probe ") ? "stdout:probe (compared parsed)" : line,
  );
  const { exitCode, signal, status, reason } = observed.outcome;
  const text = JSON.stringify({ ...observed.probe, ...same, lines, exit: [exitCode, signal, status, reason] });
  return JSON.parse(text.replaceAll(runId, "RUN"));
}
