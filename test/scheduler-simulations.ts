/** Shared setup of the scheduler tests: a simulation started and deployed, closed after each test. */
import { afterEach } from "vitest";
import { Simulation, type JobDefinition, type SimulationSetup } from "../runner/scheduler/index.js";
import { ms } from "./scheduler-fixtures.js";

export type Simulate = (
  startIso: string,
  jobsOrManifest: readonly unknown[] | { jobs: readonly unknown[] },
  setup?: Partial<SimulationSetup>,
) => Promise<Simulation>;

/**
 * Call once at the top of a test file. The returned `simulate` starts a Simulation at
 * `startIso` (30 s runs unless `setup` says otherwise) and deploys the jobs; the latest
 * one is closed after each test.
 */
export function simulations(): Simulate {
  let latest: Simulation | undefined;
  afterEach(() => latest?.close());
  return async (startIso, jobsOrManifest, setup = {}) => {
    latest = new Simulation({ startMs: ms(startIso), runDurationMs: 30_000, ...setup });
    await latest.start();
    const manifest = isJobList(jobsOrManifest) ? { jobs: jobsOrManifest } : jobsOrManifest;
    latest.deploy({ manifest: manifest as { jobs: JobDefinition[] } });
    return latest;
  };
}

function isJobList(value: readonly unknown[] | { jobs: readonly unknown[] }): value is readonly unknown[] {
  return Array.isArray(value);
}
