import { CronExpressionParser, type CronExpression } from "cron-parser";
import { SluiceError } from "../../../core/index.js";
import { CronSyntaxError, toCronParserExpression } from "../../../schemas/index.js";
import { compileFastCron, type FastCron } from "./fast-cron.js";

/** Consecutive ticks `lo < hi`: any wall value in `[lo, hi)` has floor `lo` and next tick `hi`. */
interface Bracket {
  lo: number;
  hi: number;
}

// a few brackets per zone the cron is used in (fire, window end, window start)
const BRACKETS_PER_CRON = 16;

interface CompiledCron {
  expression: CronExpression;
  fast: FastCron | null;
  brackets: Bracket[];
  nextSlot: number;
}

/**
 * Cron arithmetic on NAIVE wall-clock values (epoch ms read as a UTC calendar). Wall values are
 * zone-free, so one cache serves every time zone. All methods are O(1) in the distance between
 * the argument and any earlier call: cron-parser jumps field by field, never tick by tick.
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
  let expression: CronExpression;
  try {
    expression = CronExpressionParser.parse(toCronParserExpression(cron), { tz: "UTC", currentDate: 0 });
  } catch (error) {
    const reason = error instanceof CronSyntaxError || error instanceof Error ? error.message : String(error);
    throw new SluiceError("invalid_cron", `cron expression '${cron}' cannot be scheduled: ${reason}`, {
      hint: "use a 5-field cron such as '*/5 * * * *', a 6-field one with seconds last, or a macro like '@daily'",
      details: { cron },
      cause: error,
    });
  }
  return { expression, fast: compileFastCron(expression.fields), brackets: [], nextSlot: 0 };
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
    const { expression: expr, fast } = entry;
    try {
      if (fast !== null) return reverse ? fast.prev(fromMs) : fast.next(fromMs);
      expr.reset(new Date(fromMs));
      return (reverse ? expr.prev() : expr.next()).getTime();
    } catch (error) {
      throw new SluiceError("cron_no_tick", `cron expression '${cron}' has no ${reverse ? "earlier" : "later"} tick`, {
        hint: "check that the day-of-month and month fields can match (e.g. not '30 2' for February 30)",
        details: { cron, wallMs: fromMs },
        cause: error,
      });
    }
  }

  /** The cached bracket containing `wallMs`, computing and storing it on a miss. */
  function bracketOf(cron: string, wallMs: number): Bracket {
    const entry = lookup(cron);
    for (const b of entry.brackets) {
      if (b.lo <= wallMs && wallMs < b.hi) return b;
    }
    // cron-parser's prev() is strictly before its start, so +1 ms includes a tick exactly at wallMs
    const lo = step(entry, wallMs + 1, true, cron);
    const hi = step(entry, lo, false, cron);
    const bracket: Bracket = { lo, hi };
    entry.brackets[entry.nextSlot] = bracket;
    entry.nextSlot = (entry.nextSlot + 1) % BRACKETS_PER_CRON;
    return bracket;
  }

  return {
    floor: (cron, wallMs) => bracketOf(cron, wallMs).lo,
    next: (cron, wallMs) => bracketOf(cron, wallMs).hi,
    before: (cron, wallMs) => bracketOf(cron, wallMs - 1).lo,
  };
}
