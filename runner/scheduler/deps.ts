/**
 * The schema helpers and pure time maths the scheduler consumes, in one place so the
 * rest of the folder does not care where they live.
 */
export {
  computeDefaultTrigger,
  expandTriggers,
  parseTrigger,
  resolveExecutionLimits,
  resolveJobRef,
  selectJobs,
  type SelectableJob,
} from "../../schemas/index.js";
export { checkUpstreamFresh, computeRunWindow, nextFireTime, refreshCascadeTargets } from "./time/index.js";
export type { CascadeJob } from "./time/index.js";
