/** Plain-text helpers: status symbols (meaning never by colour alone), ages, durations, columns. */
import { DateTime } from "luxon";
import type { RunView } from "../daemon/runtime-types.js";

export interface StatusLook {
  symbol: string;
  color: string | undefined;
}

const LOOKS: Record<string, StatusLook> = {
  completed: { symbol: "✓", color: "green" },
  failed: { symbol: "✗", color: "red" },
  running: { symbol: "▶", color: "cyan" },
  starting: { symbol: "▷", color: "cyan" },
  pending: { symbol: "…", color: "yellow" },
  cancelled: { symbol: "⊘", color: "gray" },
  skipped: { symbol: "↷", color: "gray" },
};

export function statusLook(status: string | undefined): StatusLook {
  return (status && LOOKS[status]) || { symbol: "·", color: undefined };
}

export function isOpen(status: string): boolean {
  return status === "pending" || status === "starting" || status === "running";
}

/** `42s`, `3m05s`, `2h10m`, `3d4h`. */
export function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, "0")}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h${String(m % 60).padStart(2, "0")}m`;
  return `${Math.floor(h / 24)}d${h % 24}h`;
}

export function age(iso: string | null, nowMs: number): string {
  return iso ? `${duration(nowMs - Date.parse(iso))} ago` : "-";
}

/** How long a run took (or has been running). */
export function runDuration(run: RunView, nowMs: number): string {
  if (!run.startedAt) return "-";
  const end = run.finishedAt ? Date.parse(run.finishedAt) : nowMs;
  return duration(end - Date.parse(run.startedAt));
}

/** `✓ completed 3m05s ago (12s)`, shortened to the symbol + age when narrow. */
export function lastRunText(run: RunView | null, nowMs: number): string {
  if (!run) return "· never";
  const look = statusLook(run.status);
  const when = run.finishedAt ?? run.startedAt ?? run.createdAt;
  return `${look.symbol} ${run.status} ${age(when, nowMs)} (${runDuration(run, nowMs)})`;
}

/** The next fire in the job's own timezone: `04-14 03:00 Europe/Berlin`. */
export function nextFireText(iso: string | null, timezone: string): string {
  if (!iso) return "-";
  const local = DateTime.fromISO(iso, { zone: "utc" }).setZone(timezone);
  return `${local.isValid ? local.toFormat("MM-dd HH:mm") : iso} ${timezone}`;
}

export function windowText(run: RunView): string {
  if (!run.intervalStart || !run.intervalEnd) return "-";
  const [startDay, startTime] = [run.intervalStart.slice(5, 10), run.intervalStart.slice(11, 16)];
  const [endDay, endTime] = [run.intervalEnd.slice(5, 10), run.intervalEnd.slice(11, 16)];
  return `${startDay} ${startTime} → ${endDay === startDay ? "" : `${endDay} `}${endTime} UTC`;
}

export function fit(text: string, width: number): string {
  if (width <= 0) return "";
  const chars = [...text];
  if (chars.length <= width) return text + " ".repeat(width - chars.length);
  return `${chars.slice(0, Math.max(0, width - 1)).join("")}…`;
}

export interface Column<T> {
  title: string;
  /** Width wanted; the last column takes what is left. */
  width: number;
  /** Lower numbers stay when the terminal is narrow. */
  priority: number;
  cell: (row: T) => string;
}

/** The columns that fit `width` (by priority, in their declared order) and the width of the last one. */
export function layoutColumns<T>(columns: Column<T>[], width: number): Column<T>[] {
  const byPriority = [...columns].sort((a, b) => a.priority - b.priority);
  const kept = new Set<Column<T>>();
  let used = 0;
  for (const column of byPriority) {
    if (used + column.width + 1 > width && kept.size > 0) continue;
    kept.add(column);
    used += column.width + 1;
  }
  const chosen = columns.filter((c) => kept.has(c));
  const last = chosen[chosen.length - 1];
  if (last) {
    const fixed = chosen.slice(0, -1).reduce((sum, c) => sum + c.width + 1, 0);
    return [...chosen.slice(0, -1), { ...last, width: Math.max(last.width, width - fixed) }];
  }
  return chosen;
}

export function rowText<T>(columns: Column<T>[], row: T): string {
  return columns.map((c) => fit(c.cell(row), c.width)).join(" ");
}

export function headerText<T>(columns: Column<T>[]): string {
  return columns.map((c) => fit(c.title, c.width)).join(" ");
}
