/** Manifests for the scheduler tests: the usgs worked example (manifest.md §12) and small builders. */
import type { JobDefinition } from "../runner/scheduler/index.js";

export const USGS_MANIFEST = {
  engine_version: 1,
  created_at: "2026-04-14T09:00:00.000000+00:00",
  deployment_module: "__deployment__",
  jobs: [
    {
      job_ref: "jobs.usgs_pipeline.backfill_usgs",
      entry_point: { module: "usgs_pipeline", function: "backfill_usgs", job_type: "batch", launcher: "dlt._workspace.deployment.launchers.job" },
      triggers: [],
      execute: { concurrency: 1 },
      expose: { tags: ["backfill"], display_name: "USGS backfill cascade", manual: true },
      description: "Start a refresh cascade and run one-time setup; loads no data.",
      config_keys: ["epoch"],
      refresh: "always",
    },
    {
      job_ref: "jobs.usgs_pipeline.usgs_daily",
      entry_point: { module: "usgs_pipeline", function: "usgs_daily", job_type: "batch", launcher: "dlt._workspace.deployment.launchers.job" },
      triggers: ["schedule:*/3 * * * *", "job.success:jobs.usgs_pipeline.backfill_usgs"],
      execute: { concurrency: 1 },
      expose: { category: "pipeline", manual: true },
      description: "Ingest earthquakes for the window handed over by the scheduler.",
      config_keys: ["epoch"],
      interval: { start: "2026-04-01T00:00:00+00:00" },
      freshness: ["job.is_fresh:jobs.usgs_pipeline.backfill_usgs"],
      deliver: { pipeline_name: "usgs_ingest_pipeline" },
      require: { timezone: "Europe/Berlin" },
      default_trigger: "schedule:*/3 * * * *",
    },
    {
      job_ref: "jobs.usgs_pipeline.transform_earthquakes",
      entry_point: { module: "usgs_pipeline", function: "transform_earthquakes", job_type: "batch", launcher: "dlt._workspace.deployment.launchers.job" },
      triggers: ["schedule:*/5 * * * *"],
      execute: { timeout: { timeout: 1800, grace_period: 60 }, concurrency: 1 },
      expose: { tags: ["transform"], category: "pipeline", manual: true },
      description: "Aggregate ingested earthquakes per day and region.",
      interval: { start: "2026-04-01T00:00:00+00:00" },
      freshness: ["job.is_fresh:jobs.usgs_pipeline.usgs_daily"],
      deliver: { pipeline_name: "usgs_earthquake_stats_pipeline" },
      require: { dependency_groups: ["ibis"], timezone: "Europe/Berlin" },
      default_trigger: "schedule:*/5 * * * *",
    },
    {
      job_ref: "jobs.usgs_pipeline.clock",
      entry_point: { module: "usgs_pipeline", function: "clock", job_type: "batch", launcher: "dlt._workspace.deployment.launchers.job" },
      triggers: ["every:1m"],
      execute: { timeout: { timeout: 600.0 }, concurrency: 1 },
      description: "Heartbeat.",
      expose: { manual: true },
      default_trigger: "every:1m",
    },
    {
      job_ref: "jobs.usgs_dashboard",
      entry_point: { module: "usgs_dashboard", function: null, job_type: "interactive", launcher: "dlt._workspace.deployment.launchers.marimo" },
      expose: { interface: "gui", category: "notebook", manual: true },
      triggers: ["http:"],
      execute: { concurrency: 1 },
      description: "Earthquake charts",
      default_trigger: "http:",
    },
    {
      job_ref: "jobs.workspace.dashboard",
      entry_point: { module: "dlt._workspace.helpers.dashboard.dlt_dashboard", function: null, job_type: "interactive", launcher: "dlt._workspace.deployment.launchers.dashboard" },
      expose: { interface: "gui", category: "dashboard", manual: true },
      triggers: ["http:"],
      execute: { concurrency: 1 },
      require: { dependency_groups: ["jobs.workspace.dashboard"] },
      description: "Workspace dashboard",
      default_trigger: "http:",
    },
  ],
  description: "USGS earthquakes: windowed ingest, gated transforms, refresh cascade",
  tags: ["demo"],
  version: 0,
  version_hash: "zh+5n/7vk+8tnRQFQ36huNXNHq9hFtWuHMrIilyqQU0=",
} as const;

/** A one-job batch manifest. */
export function batchJob(name: string, fields: Record<string, unknown> = {}): JobDefinition {
  return {
    job_ref: `jobs.mod.${name}`,
    entry_point: { module: "mod", function: name, job_type: "batch", launcher: "dlt._workspace.deployment.launchers.job" },
    triggers: [],
    execute: { concurrency: 1 },
    expose: { manual: true },
    ...fields,
  };
}

export function manifestOf(...jobs: JobDefinition[]): { jobs: JobDefinition[] } {
  return { jobs };
}

export const ms = (text: string): number => Date.parse(text);
