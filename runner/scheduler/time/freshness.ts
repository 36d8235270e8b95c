import type { ParsedTrigger } from "../../../schemas/index.js";
import { sharedTimeContext, type TimeContext } from "./context.js";
import { latestElapsedTick, periodMs } from "./fire-times.js";

export interface UpstreamState {
  jobRef: string;
  /** `entry_point.job_type` of the upstream ("batch", "interactive", …). */
  jobType: string;
  /** The upstream's parsed default trigger, null/undefined when it has none. */
  defaultTrigger: ParsedTrigger | null | undefined;
  /** The upstream's `require.timezone` or "UTC". */
  tz: string;
  /** The upstream's watermark (last successful interval end). */
  watermarkMs: number | null;
}

export type FreshnessResult = { fresh: true } | { fresh: false; reason: string };

const FRESH: FreshnessResult = { fresh: true };

/** Python's `str()` of an aware UTC datetime, the form dlt puts in its reasons. */
function pythonUtcText(ms: number): string {
  const iso = new Date(ms).toISOString(); // 2026-04-14T10:15:00.000Z
  const millis = iso.slice(20, 23);
  const fraction = millis === "000" ? "" : `.${millis}000`;
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}${fraction}+00:00`;
}

/** Python's `f"{x:.0f}"` (round half to even). */
function wholeText(value: number): string {
  const floor = Math.floor(value);
  const diff = value - floor;
  const rounded = diff > 0.5 || (diff === 0.5 && floor % 2 !== 0) ? floor + 1 : floor;
  return String(rounded);
}

/** One `job.is_fresh` constraint against its upstream (scheduling.md §9, dlt `check_all_upstream_run_fresh`). */
export function checkUpstreamFresh(
  upstream: UpstreamState,
  nowMs: number,
  ctx: TimeContext = sharedTimeContext(),
): FreshnessResult {
  const { jobRef, watermarkMs, defaultTrigger } = upstream;
  if (upstream.jobType === "interactive") {
    return { fresh: false, reason: `upstream ${jobRef} is an interactive job (cannot be fresh)` };
  }
  if (watermarkMs === null) {
    return { fresh: false, reason: `upstream ${jobRef} didn't process any intervals yet (refresh pending)` };
  }
  if (defaultTrigger?.type === "schedule") {
    const expected = latestElapsedTick(defaultTrigger.cron, nowMs, upstream.tz, ctx);
    if (watermarkMs < expected) return { fresh: false, reason: `upstream ${jobRef} missing run for ${pythonUtcText(expected)}` };
    return FRESH;
  }
  if (defaultTrigger?.type === "every") {
    const elapsedMs = nowMs - watermarkMs;
    const period = periodMs(defaultTrigger.periodSeconds);
    if (elapsedMs >= period) {
      return {
        fresh: false,
        reason: `upstream ${jobRef} has a missing run (last ${wholeText(elapsedMs / 1000)}s ago, period ${wholeText(period / 1000)}s)`,
      };
    }
    return FRESH;
  }
  return FRESH;
}
