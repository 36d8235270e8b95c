/**
 * The service behind `sluice simulate`: deploys a manifest at `fromMs` on a virtual clock,
 * runs the real scheduler until `toMs` with simulated runs, and returns every decision in
 * time order. Knows nothing of the terminal.
 */
import { SluiceError } from "../../core/index.js";
import type { DecisionRecord } from "./decision-log.js";
import type { DeployInput } from "./deploy.js";
import { triggerJobs } from "./manual-trigger.js";
import { Simulation, type SimulatedFailure } from "./simulation.js";

export interface ScheduledTrigger {
  atMs: number;
  selectors: string[];
  refresh: boolean;
}

export interface SimulateOptions extends DeployInput {
  fromMs: number;
  toMs: number;
  runDurationMs: number;
  failures?: SimulatedFailure[];
  triggers?: ScheduledTrigger[];
}

export async function simulateSchedule(options: SimulateOptions): Promise<DecisionRecord[]> {
  if (!(options.toMs > options.fromMs)) {
    throw new SluiceError("bad_time_range", `--to must be after --from (got ${new Date(options.fromMs).toISOString()} → ${new Date(options.toMs).toISOString()})`, {
      hint: "pass ISO-8601 instants such as --from 2026-04-14T09:00:00Z --to 2026-04-14T12:00:00Z",
    });
  }
  const sim = new Simulation({ startMs: options.fromMs, runDurationMs: options.runDurationMs, failures: options.failures ?? [] });
  try {
    await sim.start();
    sim.deploy({ manifest: options.manifest, ...(options.jobHashes ? { jobHashes: options.jobHashes } : {}) });
    const knownRefs = [...sim.scheduler.jobs.keys()];
    for (const failure of options.failures ?? []) {
      if (!knownRefs.some((ref) => ref === failure.job || ref.endsWith(`.${failure.job}`))) {
        throw new SluiceError("unknown_job", `--fail names job '${failure.job}', which the manifest does not deploy`, {
          hint: `known jobs: ${knownRefs.join(", ")}`,
        });
      }
    }
    let triggerError: unknown;
    for (const trigger of options.triggers ?? []) {
      if (trigger.atMs < options.fromMs || trigger.atMs > options.toMs) continue;
      sim.clock.setTimer(trigger.atMs, () => {
        try {
          triggerJobs(sim.scheduler, trigger.selectors, { refresh: trigger.refresh });
        } catch (error) {
          triggerError ??= error;
        }
      });
    }
    sim.advanceTo(options.toMs);
    if (triggerError) throw triggerError;
    return [...sim.records].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  } finally {
    sim.close();
  }
}
