import { SluiceError } from "../../../core/index.js";
import { compileCroniterSearch, CronSyntaxError, expandCron, type CroniterSearch, type ExpandedCron } from "../../../schemas/index.js";
import { compileFastCron, type FastCron } from "./fast-cron.js";

/** Consecutive ticks `lo < hi`: any wall value in `[lo, hi)` has floor `lo` and next tick `hi`. */
interface Bracket {
  lo: number;
  hi: number;
}

// a few brackets per zone the cron is used in (fire, window end, window start)
const BRACKETS_PER_CRON = 16;

interface CompiledCron {
  /** Plain-value crons: integer arithmetic, cached in brackets. */
  fast: FastCron | null;
  /** Everything else (`L`, `#`, `W`, year, impossible day/month): the croniter port, called directly. */
  croniter: CroniterSearch;
  brackets: Bracket[];
  nextSlot: number;
}

/**
 * Cron arithmetic on NAIVE wall-clock values (epoch ms read as a UTC calendar). Wall values are
 * zone-free, so one cache serves every time zone. Ticks are croniter 6.2.4's (`get_next` /
 * `get_prev` on naive time, schemas/cron-calc.ts); no method steps tick by tick, so the cost does
 * not grow with the distance between the argument and any earlier call.
 */
export interface CronTicks {
  /** Latest tick ≤ `wallMs` (dlt `cron_floor`: a value exactly on a tick is its own floor). */
  floor(cron: string, wallMs: number): number;
  /** Earliest tick > `wallMs`. */
  next(cron: string, wallMs: number): number;
  /** Latest tick < `wallMs`. */
  before(cron: string, wallMs: number): number;
}

function compile(cron: string): CompiledCron {
  let expanded: ExpandedCron;
  try {
    expanded = expandCron(cron);
  } catch (error) {
    const reason = error instanceof CronSyntaxError || error instanceof Error ? error.message : String(error);
    throw new SluiceError("invalid_cron", `cron expression '${cron}' cannot be scheduled: ${reason}`, {
      hint: "use a 5-field cron such as '*/5 * * * *', a 6-field one with seconds last, or a macro like '@daily'",
      details: { cron },
      cause: error,
    });
  }
  return { fast: compileFastCron(expanded), croniter: compileCroniterSearch(expanded), brackets: [], nextSlot: 0 };
}

function noTick(cron: string, wallMs: number, reverse: boolean, cause?: unknown): SluiceError {
  return new SluiceError("cron_no_tick", `cron expression '${cron}' has no ${reverse ? "earlier" : "later"} tick`, {
    hint:
      "croniter finds no tick within 50 years of this time; check that the day-of-month and month fields can match " +
      "(e.g. not '30 2' for February 30), also when a day-of-week is given, and that the year field is not over",
    details: { cron, wallMs },
    cause,
  });
}

/** `maxCrons` bounds the compiled-expression cache (oldest entry evicted first). */
export function createCronTicks(maxCrons = 1024): CronTicks {
  const compiled = new Map<string, CompiledCron>();

  function lookup(cron: string): CompiledCron {
    let entry = compiled.get(cron);
    if (entry === undefined) {
      if (compiled.size >= maxCrons) {
        const oldest = compiled.keys().next();
        if (oldest.done !== true) compiled.delete(oldest.value);
      }
      entry = compile(cron);
      compiled.set(cron, entry);
    }
    return entry;
  }

  function step(entry: CompiledCron, fromMs: number, reverse: boolean, cron: string): number {
    const { fast } = entry;
    try {
      if (fast !== null) return reverse ? fast.prev(fromMs) : fast.next(fromMs);
    } catch (error) {
      throw noTick(cron, fromMs, reverse, error);
    }
    const tick = reverse ? entry.croniter.prev(fromMs) : entry.croniter.next(fromMs);
    if (tick === null) throw noTick(cron, fromMs, reverse);
    return tick;
  }

  /** The cached bracket containing `wallMs`, computing and storing it on a miss. */
  function bracketOf(entry: CompiledCron, cron: string, wallMs: number): Bracket {
    for (const b of entry.brackets) {
      if (b.lo <= wallMs && wallMs < b.hi) return b;
    }
    // prev() is strictly before its start, so +1 ms includes a tick exactly at wallMs
    const lo = step(entry, wallMs + 1, true, cron);
    const hi = step(entry, lo, false, cron);
    const bracket: Bracket = { lo, hi };
    entry.brackets[entry.nextSlot] = bracket;
    entry.nextSlot = (entry.nextSlot + 1) % BRACKETS_PER_CRON;
    return bracket;
  }

  // Brackets assume one tick set read both ways, which integer arithmetic guarantees; the croniter
  // port answers each question from its own start, as dlt asks croniter.
  return {
    floor(cron, wallMs) {
      const entry = lookup(cron);
      return entry.fast === null ? step(entry, wallMs + 1, true, cron) : bracketOf(entry, cron, wallMs).lo;
    },
    next(cron, wallMs) {
      const entry = lookup(cron);
      return entry.fast === null ? step(entry, wallMs, false, cron) : bracketOf(entry, cron, wallMs).hi;
    },
    before(cron, wallMs) {
      const entry = lookup(cron);
      return entry.fast === null ? step(entry, wallMs, true, cron) : bracketOf(entry, cron, wallMs - 1).lo;
    },
  };
}
