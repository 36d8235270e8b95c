/**
 * The deployment manifest, engine version 1 (spec manifest.md §1, §3): zod schemas and types
 * sharing one name. Objects strip unknown keys on parse; validateManifest reports them as
 * warnings (dlt 1.26 rejects them, newer dlt adds some).
 */
import { z } from "zod";

export const MANIFEST_ENGINE_VERSION = 1;

export const JobType = z.enum(["batch", "interactive", "stream"]);
export type JobType = z.infer<typeof JobType>;

export const InterfaceType = z.enum(["gui", "rest_api", "mcp"]);
export type InterfaceType = z.infer<typeof InterfaceType>;

export const ExposeCategory = z.enum(["pipeline", "mcp", "dashboard", "notebook"]);
export type ExposeCategory = z.infer<typeof ExposeCategory>;

export const RefreshPolicy = z.enum(["always", "auto", "block"]);
export type RefreshPolicy = z.infer<typeof RefreshPolicy>;

export const EntryPoint = z.object({
  module: z.string(),
  function: z.string().nullable(),
  job_type: JobType,
  /** Required by dlt 1.26; when missing, launcherFor() falls back to `job` / `module`. */
  launcher: z.string().optional(),
});
export type EntryPoint = z.infer<typeof EntryPoint>;

export const Expose = z.object({
  display_name: z.string().optional(),
  /** A string is allowed (module `__expose__` is not normalized); treat it as one tag. */
  tags: z.union([z.string(), z.array(z.string())]).optional(),
  starred: z.boolean().optional(),
  manual: z.boolean().optional(),
  interface: InterfaceType.optional(),
  category: ExposeCategory.optional(),
});
export type Expose = z.infer<typeof Expose>;

export const TimeoutSpec = z.object({
  timeout: z.number().optional(),
  grace_period: z.number().optional(),
});
export type TimeoutSpec = z.infer<typeof TimeoutSpec>;

export const Execute = z.object({
  timeout: TimeoutSpec.nullable().optional(),
  /** Absent ⇒ 1, null ⇒ unlimited. */
  concurrency: z.number().int().nullable().optional(),
  intercept_signals: z.boolean().optional(),
});
export type Execute = z.infer<typeof Execute>;

export const Deliver = z.object({
  source_ref: z.string().optional(),
  pipeline_name: z.string().optional(),
  deadline: z.string().optional(),
});
export type Deliver = z.infer<typeof Deliver>;

export const IntervalSpec = z.object({
  start: z.string(),
  end: z.string().optional(),
});
export type IntervalSpec = z.infer<typeof IntervalSpec>;

export const RequireSpec = z.object({
  dependency_groups: z.array(z.string()).optional(),
  profile: z.string().optional(),
  provider: z.string().optional(),
  machine: z.string().optional(),
  region: z.string().optional(),
  timezone: z.string().optional(),
});
export type RequireSpec = z.infer<typeof RequireSpec>;

export const Job = z.object({
  job_ref: z.string(),
  description: z.string().optional(),
  entry_point: EntryPoint,
  expose: Expose.optional(),
  triggers: z.array(z.string()),
  execute: Execute,
  config_keys: z.array(z.string()).optional(),
  deliver: Deliver.optional(),
  interval: IntervalSpec.optional(),
  freshness: z.array(z.string()).optional(),
  allow_external_schedulers: z.boolean().optional(),
  require: RequireSpec.optional(),
  default_trigger: z.string().optional(),
  refresh: RefreshPolicy.optional(),
});
export type Job = z.infer<typeof Job>;

export const Manifest = z.object({
  /** Missing ⇒ 1. */
  engine_version: z.number().int().default(MANIFEST_ENGINE_VERSION),
  version: z.number().int().optional(),
  version_hash: z.string().optional(),
  previous_hashes: z.array(z.string()).optional(),
  created_at: z.string(),
  deployment_module: z.string(),
  description: z.string().optional(),
  tags: z.array(z.string()).optional(),
  jobs: z.array(Job),
});
export type Manifest = z.infer<typeof Manifest>;

export interface SchemaIssue {
  /** Where, e.g. `jobs[1].triggers[0]` (empty for the whole manifest). */
  path: string;
  message: string;
  /** job_ref of the job the issue belongs to. */
  job?: string;
}
