import { IANAZone } from "luxon";
import { SluiceError } from "../../../core/index.js";

const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;

/**
 * One UTC day of a zone: the offset at its start, and where (if at all) it changes to `endOffsetMs`.
 * At most one transition per day is assumed; tzdb has had none closer together since 1945.
 */
interface ZoneDay {
  startOffsetMs: number;
  transitionMs: number;
  endOffsetMs: number;
}

/** UTC offsets of IANA zones, with the wall-clock rules dlt uses (Python `fold=0`). */
export interface ZoneOffsets {
  /** Offset (wall − UTC) in force at `utcMs`. Throws for an unknown zone. */
  offsetMs(tz: string, utcMs: number): number;
  /** Naive wall-clock value of `utcMs` in `tz`, itself expressed as epoch ms "in UTC". */
  utcToWall(tz: string, utcMs: number): number;
  /**
   * Instant of a naive wall-clock value in `tz`. Ambiguous and non-existent wall times get the
   * offset in force BEFORE the transition (Python `fold=0`): a repeated hour maps to its first
   * pass, a skipped hour maps forward (02:30 CET on a spring-forward day ⇒ 01:30Z).
   */
  wallToUtc(tz: string, wallMs: number): number;
  /** Latest instant ≤ `utcMs` (and > `utcMs − 1 day`) where the offset changes, or NaN. */
  transitionAtOrBefore(tz: string, utcMs: number): number;
}

function isUtcName(tz: string): boolean {
  return tz === "UTC" || tz === "Etc/UTC" || tz === "Etc/GMT" || tz === "GMT" || tz === "Z";
}

/**
 * Offsets come from luxon (Intl underneath, ~10 µs a call), memoised per zone and UTC day so a
 * decision costs a couple of map look-ups. `maxDaysPerZone` bounds the memory of each zone.
 */
export function createZoneOffsets(maxDaysPerZone = 4096): ZoneOffsets {
  const zones = new Map<string, { zone: IANAZone; days: Map<number, ZoneDay> }>();

  function zoneEntry(tz: string): { zone: IANAZone; days: Map<number, ZoneDay> } {
    let entry = zones.get(tz);
    if (entry === undefined) {
      if (!IANAZone.isValidZone(tz)) {
        throw new SluiceError("invalid_timezone", `unknown time zone '${tz}'`, {
          hint: "use an IANA zone name such as 'Europe/Berlin' or 'UTC' in require.timezone",
          details: { timezone: tz },
        });
      }
      entry = { zone: IANAZone.create(tz), days: new Map() };
      zones.set(tz, entry);
    }
    return entry;
  }

  function computeDay(zone: IANAZone, day: number): ZoneDay {
    const start = day * DAY_MS;
    const startOffsetMs = zone.offset(start) * MINUTE_MS;
    const endOffsetMs = zone.offset(start + DAY_MS - 1) * MINUTE_MS;
    if (startOffsetMs === endOffsetMs) return { startOffsetMs, transitionMs: Number.NaN, endOffsetMs };
    // tzdb transitions fall on whole seconds: binary search the first second with the new offset
    let lo = 0;
    let hi = DAY_MS / 1000 - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (zone.offset(start + mid * 1000) * MINUTE_MS === startOffsetMs) lo = mid + 1;
      else hi = mid;
    }
    return { startOffsetMs, transitionMs: start + lo * 1000, endOffsetMs };
  }

  function dayOf(tz: string, utcMs: number): ZoneDay {
    const entry = zoneEntry(tz);
    const day = Math.floor(utcMs / DAY_MS);
    let info = entry.days.get(day);
    if (info === undefined) {
      if (entry.days.size >= maxDaysPerZone) entry.days.clear();
      info = computeDay(entry.zone, day);
      entry.days.set(day, info);
    }
    return info;
  }

  function offsetMs(tz: string, utcMs: number): number {
    if (isUtcName(tz)) return 0;
    const info = dayOf(tz, utcMs);
    return utcMs < info.transitionMs || Number.isNaN(info.transitionMs) ? info.startOffsetMs : info.endOffsetMs;
  }

  function wallToUtc(tz: string, wallMs: number): number {
    if (isUtcName(tz)) return wallMs;
    // every instant whose wall time is wallMs lies within ±1 day of it
    const before = offsetMs(tz, wallMs - DAY_MS);
    const after = offsetMs(tz, wallMs + DAY_MS);
    const early = wallMs - before;
    if (before === after) return early;
    if (offsetMs(tz, early) === before) return early;
    const late = wallMs - after;
    if (offsetMs(tz, late) === after) return late;
    return early; // skipped wall time: keep the offset from before the transition
  }

  function transitionAtOrBefore(tz: string, utcMs: number): number {
    if (isUtcName(tz)) return Number.NaN;
    const today = dayOf(tz, utcMs);
    if (today.transitionMs <= utcMs) return today.transitionMs;
    const yesterday = dayOf(tz, utcMs - DAY_MS);
    return yesterday.transitionMs > utcMs - DAY_MS ? yesterday.transitionMs : Number.NaN;
  }

  return {
    offsetMs,
    utcToWall: (tz, utcMs) => utcMs + offsetMs(tz, utcMs),
    wallToUtc,
    transitionAtOrBefore,
  };
}
