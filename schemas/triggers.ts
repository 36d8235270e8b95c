/**
 * Trigger grammar (spec triggers.md §1, §5): `type:expr`, split at the first colon, one parser
 * per type. Errors read like dlt's: `Invalid trigger '<t>': <reason>`.
 */
import { isValidCron } from "./cron.js";
import { InvalidPeriodError, parsePeriodSeconds } from "./period.js";
import { InvalidTimestampError, parseOnceTimestamp } from "./timestamp.js";
import { TRIGGER_TYPES, type ParsedTrigger, type TriggerType } from "./trigger-types.js";

export class InvalidTriggerError extends Error {
  override readonly name = "InvalidTriggerError";
  constructor(
    readonly trigger: string,
    readonly reason: string,
  ) {
    super(`Invalid trigger '${trigger}': ${reason}`);
  }
}

export const MIN_EVERY_SECONDS = 60;

export function isTriggerType(value: string): value is TriggerType {
  return (TRIGGER_TYPES as readonly string[]).includes(value);
}

function parseSchedule(expr: string): ParsedTrigger {
  const raw = `schedule:${expr}`;
  if (!expr) throw new InvalidTriggerError(raw, "requires a cron expression");
  if (!isValidCron(expr)) throw new InvalidTriggerError(raw, "invalid cron expression");
  return { type: "schedule", raw, cron: expr };
}

function parseEvery(expr: string): ParsedTrigger {
  const raw = `every:${expr}`;
  if (!expr) throw new InvalidTriggerError(raw, "requires a period (e.g. '5m', '1h')");
  let seconds: number;
  try {
    seconds = parsePeriodSeconds(expr);
  } catch (error) {
    if (!(error instanceof InvalidPeriodError)) throw error;
    throw new InvalidTriggerError(raw, "period must be like '5m', '1h', '1d'");
  }
  if (seconds <= 0) throw new InvalidTriggerError(raw, "period must be positive");
  if (seconds < MIN_EVERY_SECONDS) throw new InvalidTriggerError(raw, "minimum period is 1 minute");
  return { type: "every", raw, periodSeconds: seconds };
}

function parseOnce(expr: string): ParsedTrigger {
  const raw = `once:${expr}`;
  if (!expr) throw new InvalidTriggerError(raw, "requires a timestamp (ISO 8601)");
  try {
    return { type: "once", raw, atMs: parseOnceTimestamp(expr) };
  } catch (error) {
    if (!(error instanceof InvalidTimestampError)) throw error;
    throw new InvalidTriggerError(raw, "requires ISO 8601 timestamp");
  }
}

/** The port of `http://localhost:<expr>` as Python's urlparse reports it (null when absent). */
function urlPort(raw: string, netloc: string): number | null {
  if (netloc.includes("[") !== netloc.includes("]")) throw new InvalidTriggerError(raw, "port invalid: Invalid IPv6 URL");
  const hostinfo = netloc.slice(netloc.lastIndexOf("@") + 1);
  let port: string | null;
  if (hostinfo.includes("[")) {
    const afterBracket = hostinfo.slice(hostinfo.indexOf("]") + 1);
    port = afterBracket.includes(":") ? afterBracket.slice(afterBracket.indexOf(":") + 1) : "";
  } else {
    port = hostinfo.includes(":") ? hostinfo.slice(hostinfo.indexOf(":") + 1) : null;
  }
  if (port === null || port === "") return null;
  if (!/^[0-9]+$/.test(port)) {
    throw new InvalidTriggerError(raw, `port invalid: Port could not be cast to integer value as '${port}'`);
  }
  const value = Number(port);
  if (value > 65535) throw new InvalidTriggerError(raw, "port invalid: Port out of range 0-65535");
  return value;
}

function parseHttp(expr: string): ParsedTrigger {
  if (!expr) return { type: "http", raw: "http:", port: null, path: "" };
  const raw = `http:${expr}`;
  if (expr.startsWith("//") || expr.startsWith("http")) {
    throw new InvalidTriggerError(raw, "should be http:[port][/path], not a full URL");
  }
  const url = expr.startsWith("/") ? `localhost${expr}` : `localhost:${expr}`;
  const netlocEnd = url.search(/[/?#]/);
  const netloc = netlocEnd < 0 ? url : url.slice(0, netlocEnd);
  const afterNetloc = netlocEnd < 0 ? "" : url.slice(netlocEnd);
  const pathEnd = afterNetloc.search(/[?#]/);
  let path = pathEnd < 0 ? afterNetloc : afterNetloc.slice(0, pathEnd);
  let port: number | null = null;
  if (!expr.startsWith("/")) {
    const urlPortValue = urlPort(raw, netloc);
    if (urlPortValue === null) throw new InvalidTriggerError(raw, "expr must be [port][/path]");
    if (urlPortValue < 1) throw new InvalidTriggerError(raw, `port must be 1-65535, got ${urlPortValue}`);
    port = urlPortValue;
  }
  if (port !== null && path === "/" && !expr.slice(String(port).length).includes("/")) path = "";
  return { type: "http", raw, port, path };
}

function requireNonEmpty(type: string, expr: string, reason: string): void {
  if (!expr) throw new InvalidTriggerError(`${type}:`, reason);
}

function parseJobEvent(type: "job.success" | "job.fail", expr: string): ParsedTrigger {
  requireNonEmpty(type, expr, "requires a job_ref");
  if (!expr.startsWith("jobs.")) throw new InvalidTriggerError(`${type}:${expr}`, "expression must start with 'jobs.'");
  return { type, raw: `${type}:${expr}`, jobRef: expr };
}

const PARSERS: Readonly<Record<TriggerType, (expr: string) => ParsedTrigger>> = {
  schedule: parseSchedule,
  every: parseEvery,
  once: parseOnce,
  http: parseHttp,
  deployment: (expr) => ({ type: "deployment", raw: `deployment:${expr}`, expr: expr || null }),
  webhook: (expr) => ({ type: "webhook", raw: `webhook:${expr}`, expr: expr || null }),
  tag: (expr) => {
    requireNonEmpty("tag", expr, "requires a name");
    return { type: "tag", raw: `tag:${expr}`, tag: expr };
  },
  manual: (expr) => ({ type: "manual", raw: `manual:${expr}`, jobRef: expr || null }),
  "job.success": (expr) => parseJobEvent("job.success", expr),
  "job.fail": (expr) => parseJobEvent("job.fail", expr),
  pipeline_name: (expr) => {
    requireNonEmpty("pipeline_name", expr, "requires a pipeline name");
    return { type: "pipeline_name", raw: `pipeline_name:${expr}`, pipelineName: expr };
  },
};

/** Parses one trigger string; throws InvalidTriggerError. */
export function parseTrigger(raw: string): ParsedTrigger {
  const colon = raw.indexOf(":");
  if (colon < 0) throw new InvalidTriggerError(raw, "must be in type:expr form");
  const type = raw.slice(0, colon);
  if (!isTriggerType(type)) throw new InvalidTriggerError(raw, `unknown type '${type}'`);
  return PARSERS[type](raw.slice(colon + 1));
}

/** The parser of one type applied to an expression (used by normalization for bare `http`). */
export function parseTriggerExpression(type: TriggerType, expr: string): ParsedTrigger {
  return PARSERS[type](expr);
}

export function tryParseTrigger(raw: string): ParsedTrigger | null {
  try {
    return parseTrigger(raw);
  } catch (error) {
    if (error instanceof InvalidTriggerError) return null;
    throw error;
  }
}
