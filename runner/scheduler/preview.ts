/** Next-run preview: the next N fire times of a job, in UTC and in its own timezone. */
import { DateTime } from "luxon";
import type { CompiledJob } from "./compiled-job.js";
import { nextFireTime } from "./deps.js";
import { iso } from "./format.js";

export interface FirePreview {
  atMs: number;
  utc: string;
  /** Wall time in the job's `require.timezone`, ISO with offset. */
  local: string;
  trigger: string;
}

/**
 * `state(trigger)` gives the scheduler's stored next fire (keeps an `every:` cadence) and a
 * `once:` trigger's fired flag. Fires are strictly after `fromMs`, except a pending past
 * `once:`, which fires at `fromMs`.
 */
export function previewNextFires(
  job: CompiledJob,
  count: number,
  fromMs: number,
  state: (trigger: string) => { nextFireMs: number | null; onceFired: boolean } | undefined = () => undefined,
): FirePreview[] {
  const all: FirePreview[] = [];
  for (const trigger of job.timedTriggers) {
    const known = state(trigger.raw);
    if (trigger.type === "once") {
      if (!known?.onceFired) all.push(entry(Math.max(trigger.atMs, fromMs), trigger.raw, job.timezone));
      continue;
    }
    let prev: number | null = null;
    let now = fromMs;
    for (let i = 0; i < count; i++) {
      const stored = i === 0 && known?.nextFireMs != null && known.nextFireMs > fromMs ? known.nextFireMs : null;
      const at: number = stored ?? nextFireTime(trigger, now, job.timezone, prev);
      all.push(entry(at, trigger.raw, job.timezone));
      prev = at;
      now = at;
    }
  }
  return all.sort((a, b) => a.atMs - b.atMs).slice(0, count);
}

function entry(atMs: number, trigger: string, zone: string): FirePreview {
  return { atMs, utc: iso(atMs), local: DateTime.fromMillis(atMs, { zone }).toISO() ?? iso(atMs), trigger };
}
