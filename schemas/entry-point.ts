/** The JSON handed to dlt's launchers (`TRuntimeEntryPoint`, spec launcher.md §2). */
import { z } from "zod";
import { JobType } from "./manifest.js";

export const RunArgs = z.object({
  port: z.number().int().min(1).max(65535).optional(),
  base_path: z.string().optional(),
});
export type RunArgs = z.infer<typeof RunArgs>;

export const RuntimeEntryPoint = z.object({
  module: z.string(),
  function: z.string().nullable(),
  job_type: JobType,
  launcher: z.string(),
  run_args: RunArgs.optional(),
  /** ISO 8601 UTC; both or neither. */
  interval_start: z.string().optional(),
  interval_end: z.string().optional(),
  interval_timezone: z.string().optional(),
  allow_external_schedulers: z.boolean().optional(),
  profile: z.string().optional(),
  config: z.record(z.string(), z.unknown()).optional(),
  refresh: z.boolean().optional(),
  intercept_signals: z.boolean().optional(),
});
export type RuntimeEntryPoint = z.infer<typeof RuntimeEntryPoint>;

export { launcherFor } from "./launchers.js";
