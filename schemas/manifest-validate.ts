/**
 * validateManifest: dlt's rules (spec manifest.md §9) plus the backend checks it lists as "not
 * validated". Collects every issue; never throws.
 */
import { IANAZone } from "luxon";
import { isCronTickUtc } from "./cron-tick.js";
import { InvalidFreshnessConstraintError, parseFreshnessConstraint } from "./freshness.js";
import { DASHBOARD_JOB_REF, jobRefIssues } from "./job-ref.js";
import { isKnownLauncher } from "./launchers.js";
import type { Job} from "./manifest.js";
import { MANIFEST_ENGINE_VERSION, Manifest, type SchemaIssue } from "./manifest.js";
import { tryParseTimestamp } from "./timestamp.js";
import { InvalidTriggerError, parseTrigger } from "./triggers.js";
import { findUnknownKeys, formatPath } from "./unknown-keys.js";
import type { ParsedTrigger } from "./trigger-types.js";

export interface ManifestValidation {
  manifest?: Manifest;
  errors: SchemaIssue[];
  warnings: SchemaIssue[];
}

interface Sink {
  error(path: string, message: string, job?: string): void;
  warn(path: string, message: string, job?: string): void;
}

function issue(path: string, message: string, job?: string): SchemaIssue {
  return job === undefined ? { path, message } : { path, message, job };
}

function validateTriggers(job: Job, at: string, sink: Sink): ParsedTrigger[] {
  const ref = job.job_ref;
  const parsed: ParsedTrigger[] = [];
  job.triggers.forEach((raw, i) => {
    try {
      parsed.push(parseTrigger(raw));
    } catch (error) {
      if (!(error instanceof InvalidTriggerError)) throw error;
      sink.error(`${at}.triggers[${i}]`, `job '${ref}': ${error.message}`, ref);
    }
  });
  if (job.default_trigger !== undefined) {
    try {
      parseTrigger(job.default_trigger);
    } catch (error) {
      if (!(error instanceof InvalidTriggerError)) throw error;
      sink.error(`${at}.default_trigger`, `job '${ref}': ${error.message}`, ref);
    }
  }
  return parsed;
}

function validateInterval(job: Job, at: string, types: Set<string>, parsed: ParsedTrigger[], sink: Sink): void {
  const ref = job.job_ref;
  const interval = job.interval;
  if (!interval) {
    if (job.allow_external_schedulers) {
      sink.warn(`${at}.allow_external_schedulers`, `job '${ref}' has allow_external_schedulers but no interval`, ref);
    }
    return;
  }
  if (!types.has("schedule") && !types.has("every")) {
    sink.error(`${at}.interval`, `job '${ref}' has interval but no schedule or every trigger`, ref);
  }
  const schedule = parsed.find((t) => t.type === "schedule");
  for (const key of ["start", "end"] as const) {
    const value = interval[key];
    if (value === undefined || (key === "end" && !value)) continue;
    const atMs = tryParseTimestamp(value);
    if (atMs === null) {
      sink.error(`${at}.interval.${key}`, `job '${ref}' interval ${key} '${value}' is not a valid timestamp`, ref);
      continue;
    }
    if (schedule?.type === "schedule" && isCronTickUtc(schedule.cron, atMs) === false) {
      sink.warn(
        `${at}.interval.${key}`,
        `job '${ref}' interval ${key} (${value}) is not a cron tick for '${schedule.cron}' — will be snapped backward`,
        ref,
      );
    }
  }
}

function validateJob(job: Job, index: number, sink: Sink): void {
  const at = `jobs[${index}]`;
  const ref = job.job_ref;
  for (const message of jobRefIssues(ref)) sink.error(`${at}.job_ref`, message, ref);
  const parsed = validateTriggers(job, at, sink);
  const types = new Set(parsed.map((t) => t.type));
  (job.freshness ?? []).forEach((raw, i) => {
    try {
      parseFreshnessConstraint(raw);
    } catch (error) {
      if (!(error instanceof InvalidFreshnessConstraintError)) throw error;
      sink.error(`${at}.freshness[${i}]`, `job '${ref}': ${error.message}`, ref);
    }
  });
  const jobType = job.entry_point.job_type;
  if (jobType === "batch" && types.has("http")) {
    sink.error(`${at}.triggers`, `batch job '${ref}' has http trigger — use interactive job type`, ref);
  }
  if (jobType === "interactive" && !types.has("http")) {
    sink.warn(`${at}.triggers`, `interactive job '${ref}' has no http trigger`, ref);
  }
  const timed = job.triggers.filter((t) => t.startsWith("schedule:") || t.startsWith("every:"));
  if (timed.length > 1) {
    sink.error(`${at}.triggers`, `job '${ref}' has multiple interval-generating triggers (only one schedule: or every: allowed)`, ref);
  }
  validateInterval(job, at, types, parsed, sink);
  if (ref === DASHBOARD_JOB_REF) {
    if (jobType !== "interactive") sink.error(`${at}.entry_point.job_type`, `dashboard job '${ref}' must be interactive`, ref);
    if (job.expose?.interface !== "gui") sink.error(`${at}.expose.interface`, `dashboard job '${ref}' must have gui interface`, ref);
    if (job.expose?.category !== "dashboard") {
      sink.error(`${at}.expose.category`, `dashboard job '${ref}' must have dashboard category`, ref);
    }
  }
  validateBackendExtras(job, at, sink);
}

function validateBackendExtras(job: Job, at: string, sink: Sink): void {
  const ref = job.job_ref;
  const concurrency = job.execute.concurrency;
  if (typeof concurrency === "number" && concurrency < 1) {
    sink.error(`${at}.execute.concurrency`, `job '${ref}' has concurrency ${concurrency}; it must be at least 1 (or null for unlimited)`, ref);
  }
  const timeout = job.execute.timeout;
  for (const key of ["timeout", "grace_period"] as const) {
    const value = timeout?.[key];
    if (value !== undefined && !(Number.isFinite(value) && value >= 0)) {
      sink.error(`${at}.execute.timeout.${key}`, `job '${ref}' has ${key} ${value}; it must be a finite number of seconds ≥ 0`, ref);
    }
  }
  const zone = job.require?.timezone;
  if (zone !== undefined && !IANAZone.isValidZone(zone)) {
    sink.error(`${at}.require.timezone`, `job '${ref}' has unknown IANA time zone '${zone}'`, ref);
  }
  const launcher = job.entry_point.launcher;
  if (launcher === undefined) {
    sink.warn(`${at}.entry_point.launcher`, `job '${ref}' has no launcher; falling back by entry point`, ref);
  } else if (!isKnownLauncher(launcher)) {
    sink.error(`${at}.entry_point.launcher`, `job '${ref}' uses unknown launcher '${launcher}'`, ref);
  }
}

function validateCrossJob(manifest: Manifest, sink: Sink): void {
  const seen = new Set<string>();
  const entryPoints = new Map<string, string>();
  manifest.jobs.forEach((job, i) => {
    const ref = job.job_ref;
    if (seen.has(ref)) sink.error(`jobs[${i}].job_ref`, `duplicate job_ref: '${ref}'`, ref);
    seen.add(ref);
    const key = `${job.entry_point.module}:${job.entry_point.function ?? "None"}`;
    const first = entryPoints.get(key);
    if (first !== undefined) sink.warn(`jobs[${i}].entry_point`, `jobs '${first}' and '${ref}' share the same entry point '${key}'`, ref);
    entryPoints.set(key, ref);
  });
  const byRef = new Map(manifest.jobs.map((job) => [job.job_ref, job]));
  manifest.jobs.forEach((job, i) => {
    const ref = job.job_ref;
    job.triggers.forEach((raw, t) => {
      const colon = raw.indexOf(":");
      const type = raw.slice(0, colon);
      const upstream = raw.slice(colon + 1);
      if ((type === "job.success" || type === "job.fail") && upstream.startsWith("jobs.") && !seen.has(upstream)) {
        sink.error(`jobs[${i}].triggers[${t}]`, `job '${ref}' has triggers referencing unknown jobs: ['${upstream}']`, ref);
      }
    });
    (job.freshness ?? []).forEach((raw, f) => {
      let constraint;
      try {
        constraint = parseFreshnessConstraint(raw);
      } catch {
        return;
      }
      const at = `jobs[${i}].freshness[${f}]`;
      const upstream = byRef.get(constraint.upstreamRef);
      if (!upstream) {
        sink.error(at, `job '${ref}' has freshness constraint on unknown job '${constraint.upstreamRef}'`, ref);
        return;
      }
      if (constraint.type === "job.is_matching_interval_fresh") {
        sink.error(at, `job '${ref}' declares '${constraint.type}' on '${constraint.upstreamRef}': not yet implemented`, ref);
      } else if (upstream.entry_point.job_type === "interactive") {
        sink.error(at, `job '${ref}' has ${constraint.type} constraint on '${constraint.upstreamRef}' but upstream is an interactive job`, ref);
      }
    });
  });
}

/** Validates a parsed-JSON manifest: every issue is collected, structural ones stop further checks. */
export function validateManifest(raw: unknown): ManifestValidation {
  const errors: SchemaIssue[] = [];
  const warnings: SchemaIssue[] = [];
  const sink: Sink = {
    error: (path, message, job) => errors.push(issue(path, message, job)),
    warn: (path, message, job) => warnings.push(issue(path, message, job)),
  };
  const result = Manifest.safeParse(raw);
  if (!result.success) {
    for (const zodIssue of result.error.issues) sink.error(formatPath(zodIssue.path), zodIssue.message);
    return { errors, warnings };
  }
  const manifest = result.data;
  for (const path of findUnknownKeys(Manifest, raw)) {
    const jobIndex = /^jobs\[(\d+)\]/.exec(path)?.[1];
    const job = jobIndex === undefined ? undefined : manifest.jobs[Number(jobIndex)]?.job_ref;
    sink.warn(path, `unknown key '${path}' ignored (not part of dlt 1.26 manifests)`, job);
  }
  if (manifest.engine_version !== MANIFEST_ENGINE_VERSION) {
    sink.error("engine_version", `unsupported manifest engine_version ${manifest.engine_version}; expected ${MANIFEST_ENGINE_VERSION}`);
  }
  manifest.jobs.forEach((job, i) => validateJob(job, i, sink));
  validateCrossJob(manifest, sink);
  return { manifest, errors, warnings };
}
