import type { ParsedTrigger } from "../../../schemas/index.js";
import { sharedTimeContext, type TimeContext } from "./context.js";
import { parseDeclaredInstant } from "./parse-instant.js";
import { computeRunInterval, type TimeWindow } from "./run-interval.js";

/** A job's declared `interval` as written in the manifest. */
export interface IntervalSpec {
  start: string;
  end?: string;
}

function declaredUtc(text: string, field: string, cron: string | null, tz: string, ctx: TimeContext): number {
  const value = parseDeclaredInstant(text, field);
  if (cron === null) return value.kind === "naive" ? value.wallMs : value.utcMs;
  const wall = value.kind === "naive" ? value.wallMs : ctx.zones.utcToWall(tz, value.utcMs);
  return ctx.zones.wallToUtc(tz, ctx.crons.floor(cron, wall));
}

/**
 * dlt `resolve_interval_spec` (scheduling.md §5). With a cron, naive values are wall time in
 * `tz` and both ends snap BACK to the latest tick ≤ them; `end` defaults to `nowMs` (snapped).
 * Without a cron (`every:` jobs) values are used as given, naive ones read as UTC.
 */
export function resolveIntervalSpec(
  spec: IntervalSpec,
  cron: string | null,
  tz: string,
  nowMs: number,
  ctx: TimeContext = sharedTimeContext(),
): TimeWindow {
  const startMs = declaredUtc(spec.start, "interval.start", cron, tz, ctx);
  let endMs: number;
  if (spec.end !== undefined && spec.end !== "") endMs = declaredUtc(spec.end, "interval.end", cron, tz, ctx);
  else endMs = cron === null ? nowMs : ctx.zones.wallToUtc(tz, ctx.crons.floor(cron, ctx.zones.utcToWall(tz, nowMs)));
  return { startMs, endMs };
}

export interface RunWindowInput {
  /** The job's default trigger if it has one, else the trigger that caused the run (§3). */
  intervalTrigger: ParsedTrigger;
  /** Dispatch instant. */
  nowMs: number;
  /** The job's watermark (last successful interval end), null when a refresh is pending. */
  watermarkMs: number | null;
  /** `require.timezone` or "UTC". */
  tz: string;
  declaredInterval?: IntervalSpec | undefined;
  /** Cron that snaps the declared interval; defaults to the interval trigger's cron, if any. */
  declaredCron?: string | null | undefined;
  /** Refresh run (watermark cleared, or a `refresh: always` job). A null watermark counts too. */
  refresh: boolean;
}

export interface RunWindow extends TimeWindow {
  /** `startMs === endMs`: nothing new to process (incremental jobs treat it as a no-op). */
  empty: boolean;
  /**
   * Set when the declared interval leaves nothing to do: it starts in the future, or its end
   * has passed and was processed. Timed runs should then be skipped (nothing recorded,
   * watermark kept); manual and event runs may still launch with the empty window.
   */
  skipReason?: string;
}

/**
 * The window handed to a run (scheduling.md §5 procedure) with the DECISION guards:
 * the window never ends after the dispatch instant, and an inverted window becomes empty at
 * its end (`start = end`). See docs/schedule-math.md.
 */
export function computeRunWindow(input: RunWindowInput, ctx: TimeContext = sharedTimeContext()): RunWindow {
  const { intervalTrigger, nowMs, watermarkMs, tz, declaredInterval } = input;
  const natural = computeRunInterval(intervalTrigger, nowMs, watermarkMs, tz, ctx);
  let startMs = natural.startMs;
  let endMs = natural.endMs;
  let skipReason: string | undefined;

  if (declaredInterval !== undefined) {
    const cron = input.declaredCron !== undefined ? input.declaredCron : intervalTrigger.type === "schedule" ? intervalTrigger.cron : null;
    const declared = resolveIntervalSpec(declaredInterval, cron, tz, nowMs, ctx);
    const hasEnd = declaredInterval.end !== undefined && declaredInterval.end !== "";
    if (input.refresh || watermarkMs === null) startMs = declared.startMs;
    startMs = Math.max(startMs, declared.startMs);
    if (hasEnd) endMs = Math.min(endMs, declared.endMs);
    if (declared.startMs > nowMs) {
      skipReason = `interval.start ${new Date(declared.startMs).toISOString()} lies in the future`;
    } else if (hasEnd && declared.endMs <= startMs) {
      skipReason = `interval.end ${new Date(declared.endMs).toISOString()} has passed and everything up to it was processed`;
    }
  }

  if (endMs > nowMs) endMs = nowMs;
  if (startMs > endMs) startMs = endMs;
  const window: RunWindow = { startMs, endMs, empty: startMs === endMs };
  if (skipReason !== undefined) window.skipReason = skipReason;
  return window;
}
