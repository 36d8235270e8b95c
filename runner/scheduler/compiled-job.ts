/**
 * A manifest job compiled once into the form the scheduler works with: parsed triggers,
 * default trigger, timezone, limits, freshness upstreams. Pure; no clock, no store.
 */
import { createHash } from "node:crypto";
import type { ParsedTrigger, TimedTrigger } from "../../schemas/trigger-types.js";
import { isTimedTrigger } from "../../schemas/trigger-types.js";
import { jobKey } from "../../schemas/job-ref.js";
import { computeDefaultTrigger, expandTriggers, parseTrigger, resolveExecutionLimits } from "./deps.js";

export const REFRESH_POLICIES = ["auto", "always", "block"] as const;
export type RefreshPolicy = (typeof REFRESH_POLICIES)[number];

/**
 * A manifest job object as the scheduler reads it (a structural subset of schemas' `Job`).
 * `sluice_workspace` is Sluice's own annotation, added by the deployment target (never by
 * dlt): the workspace the job belongs to, which scopes its key and its `job.*` references.
 */
export type JobDefinition = Record<string, unknown> & { job_ref: string; sluice_workspace?: string };

/** The scheduler's key of a definition: `<workspace>/<job_ref>`, or the bare ref without a workspace. */
export function keyOfDefinition(definition: JobDefinition): string {
  return jobKey(definition.sluice_workspace, definition.job_ref);
}

export interface DeclaredInterval {
  start?: string;
  end?: string;
}

export interface CompiledJob {
  /** The scheduler's key for the job: `<workspace>/<job_ref>` (see `jobKey`); the bare ref without a workspace. */
  jobRef: string;
  /** dlt's job ref (`jobs.<section>.<name>`), as in the manifest. */
  ref: string;
  /** The workspace the job was deployed from; null for workspace-less deploys (simulations, tests). */
  workspace: string | null;
  /** Last component of the ref: what people call the job. */
  shortName: string;
  definition: JobDefinition;
  jobHash: string;
  jobType: string;
  timezone: string;
  declaredTriggers: ParsedTrigger[];
  /** Declared + synthetic (tag/manual/pipeline_name) trigger strings, for selectors. */
  expandedTriggers: string[];
  defaultTrigger: ParsedTrigger | null;
  timedTriggers: TimedTrigger[];
  /** `job.success:` / `job.fail:` triggers, keyed by the upstream they listen to. */
  followUps: Array<Extract<ParsedTrigger, { type: "job.success" | "job.fail" }>>;
  deploymentTriggers: string[];
  /** Upstream refs of `job.is_fresh:` constraints. */
  freshnessUpstreams: string[];
  refreshPolicy: RefreshPolicy;
  interval: DeclaredInterval | null;
  intervalStore: boolean;
  concurrency: number | null;
  timeoutMs: number;
  gracePeriodMs: number;
  isIdleTimeout: boolean;
}

export function shortJobName(jobRef: string): string {
  const parts = jobRef.split(".");
  return parts[parts.length - 1] ?? jobRef;
}

/** sha256 over the job object with sorted keys: stable across key order and runs. */
export function hashJobDefinition(job: unknown): string {
  return createHash("sha256").update(stableStringify(job)).digest("base64");
}

function stableStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableStringify(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/** Parsed triggers by raw text: fleets share a handful of crons, and cron validation is not cheap. */
export type TriggerCache = Map<string, ParsedTrigger>;

export function compileJob(
  definition: JobDefinition,
  jobHash: string = hashJobDefinition(definition),
  cache: TriggerCache = new Map(),
): CompiledJob {
  const parse = (raw: string): ParsedTrigger => {
    let parsed = cache.get(raw);
    if (!parsed) {
      parsed = parseTrigger(raw);
      cache.set(raw, parsed);
    }
    return parsed;
  };
  const rawTriggers = (definition.triggers as string[] | undefined) ?? [];
  const declaredTriggers = rawTriggers.map(parse);
  const declaredDefault = definition.default_trigger as string | undefined;
  const defaultRaw = declaredDefault ?? computeDefaultTrigger(rawTriggers);
  const defaultTrigger = defaultRaw ? parse(defaultRaw) : null;
  const entryPoint = (definition.entry_point as { job_type?: string } | undefined) ?? {};
  const require = (definition.require as { timezone?: string } | undefined) ?? {};
  const limits = resolveExecutionLimits(definition as unknown as Parameters<typeof resolveExecutionLimits>[0]);
  const freshness = (definition.freshness as string[] | undefined) ?? [];
  const interval = (definition.interval as DeclaredInterval | undefined) ?? null;
  const workspace = definition.sluice_workspace ?? null;
  const scoped = (ref: string) => jobKey(workspace, ref);
  return {
    jobRef: scoped(definition.job_ref),
    ref: definition.job_ref,
    workspace,
    shortName: shortJobName(definition.job_ref),
    definition,
    jobHash,
    jobType: entryPoint.job_type ?? "batch",
    timezone: require.timezone ?? "UTC",
    declaredTriggers,
    expandedTriggers: expandTriggers(definition as never),
    defaultTrigger,
    timedTriggers: declaredTriggers.filter(isTimedTrigger),
    // upstream refs are resolved within the job's own workspace
    followUps: declaredTriggers
      .filter((t): t is Extract<ParsedTrigger, { type: "job.success" | "job.fail" }> => t.type === "job.success" || t.type === "job.fail")
      .map((t) => ({ ...t, jobRef: scoped(t.jobRef) })),
    deploymentTriggers: declaredTriggers.filter((t) => t.type === "deployment").map((t) => t.raw),
    freshnessUpstreams: freshness
      .filter((f) => f.startsWith("job.is_fresh:") || f.startsWith("job.is_matching_interval_fresh:"))
      .map((f) => scoped(f.slice(f.indexOf(":") + 1))),
    refreshPolicy: ((definition.refresh as RefreshPolicy | undefined) ?? "auto"),
    interval,
    intervalStore: interval !== null && definition.allow_external_schedulers === true,
    concurrency: limits.concurrency,
    timeoutMs: limits.timeoutMs,
    gracePeriodMs: limits.gracePeriodMs,
    isIdleTimeout: limits.isIdleTimeout,
  };
}
