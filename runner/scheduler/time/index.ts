export { createTimeContext, sharedTimeContext, type TimeContext, type TimeContextLimits } from "./context.js";
export { latestElapsedTick, nextCronTick, nextFireTime, periodMs, tickBefore } from "./fire-times.js";
export { computeRunInterval, type TimeWindow } from "./run-interval.js";
export {
  computeRunWindow,
  resolveIntervalSpec,
  type IntervalSpec,
  type RunWindow,
  type RunWindowInput,
} from "./declared-interval.js";
export { checkUpstreamFresh, type FreshnessResult, type UpstreamState } from "./freshness.js";
export { refreshCascadeTargets, type CascadeJob, type RefreshPolicy } from "./cascade.js";
export { parseDeclaredInstant, type DeclaredInstant } from "./parse-instant.js";
