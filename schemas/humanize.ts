/** Display strings for triggers (spec triggers.md §10). */
import { jobShortName } from "./job-ref.js";
import { tryParseTrigger } from "./triggers.js";

export function humanizeTrigger(raw: string): string {
  const parsed = tryParseTrigger(raw);
  if (!parsed) return raw;
  const rawExpr = raw.slice(raw.indexOf(":") + 1);
  switch (parsed.type) {
    case "http":
      return "interactive service";
    case "deployment":
      return "after deployment";
    case "tag":
      return `tag:${parsed.tag}`;
    case "manual":
      return parsed.jobRef ? `manual (${jobShortName(parsed.jobRef)})` : "manual";
    case "every":
      return `every ${rawExpr}`;
    case "schedule":
      return `schedule: ${parsed.cron}`;
    case "once":
      return `once at ${rawExpr}`;
    case "job.success":
      return `after ${jobShortName(parsed.jobRef)} succeeds`;
    case "job.fail":
      return `after ${jobShortName(parsed.jobRef)} fails`;
    case "webhook":
      return parsed.expr ? `webhook ${parsed.expr}` : "webhook";
    case "pipeline_name":
      return `pipeline: ${parsed.pipelineName}`;
  }
}

const DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
const MACROS: Readonly<Record<string, string>> = {
  "@yearly": "0 0 1 1 *",
  "@annually": "0 0 1 1 *",
  "@monthly": "0 0 1 * *",
  "@weekly": "0 0 * * 0",
  "@daily": "0 0 * * *",
  "@midnight": "0 0 * * *",
  "@hourly": "0 * * * *",
};

/**
 * Triggers in words for people (dashboard, GitHub comments): `every 5 minutes`, `hourly at :00`,
 * `daily at 03:00 (Europe/Berlin)`, `after ingest succeeds`. Timed triggers name the job's time
 * zone when it is not UTC. Crons without a plain reading fall back to `cron <expr>`; other
 * triggers read as dlt's `humanize_trigger` (`humanizeTrigger`).
 */
export function describeTrigger(raw: string, timezone = "UTC"): string {
  const parsed = tryParseTrigger(raw);
  const zone = timezone && timezone !== "UTC" ? ` (${timezone})` : "";
  if (parsed?.type === "every") return `every ${durationWords(parsed.periodSeconds)}`;
  if (parsed?.type === "schedule") return `${cronWords(parsed.cron)}${zone}`;
  return humanizeTrigger(raw);
}

/** 300 → "5 minutes", 3600 → "hour", 5400 → "90 minutes", 86400 → "day". */
export function durationWords(seconds: number): string {
  const units: Array<[number, string]> = [
    [86_400, "day"],
    [3_600, "hour"],
    [60, "minute"],
    [1, "second"],
  ];
  for (const [size, name] of units) {
    if (seconds >= size && seconds % size === 0) {
      const count = seconds / size;
      return count === 1 ? name : `${count} ${name}s`;
    }
  }
  return `${seconds} seconds`;
}

const pad = (value: string) => value.padStart(2, "0");
const isNumber = (field: string) => /^\d+$/.test(field);

/** Plain readings of the common 5-field shapes; `cron <expr>` for the rest. */
export function cronWords(cron: string): string {
  const expr = MACROS[cron.trim()] ?? cron.trim();
  const fields = expr.split(/\s+/);
  if (fields.length !== 5) return `cron ${cron}`;
  const [minute = "", hour = "", dom = "", month = "", dow = ""] = fields;
  const anyDay = dom === "*" && month === "*" && dow === "*";
  const at = isNumber(minute) && isNumber(hour) ? `${pad(hour)}:${pad(minute)}` : null;
  if (anyDay && minute === "*" && hour === "*") return "every minute";
  const everyMinutes = /^\*\/(\d+)$/.exec(minute);
  if (anyDay && everyMinutes && hour === "*") return `every ${durationWords(Number(everyMinutes[1]) * 60)}`;
  if (anyDay && isNumber(minute) && hour === "*") return `hourly at :${pad(minute)}`;
  const everyHours = /^\*\/(\d+)$/.exec(hour);
  if (anyDay && isNumber(minute) && everyHours) return `every ${durationWords(Number(everyHours[1]) * 3600)} at :${pad(minute)}`;
  if (at && anyDay) return `daily at ${at}`;
  if (at && dom === "*" && month === "*" && /^[0-7]$/.test(dow)) return `weekly on ${DAYS[Number(dow) % 7]} at ${at}`;
  if (at && dom === "*" && month === "*" && dow === "1-5") return `weekdays at ${at}`;
  if (at && isNumber(dom) && month === "*" && dow === "*") return `monthly on day ${dom} at ${at}`;
  return `cron ${cron}`;
}
