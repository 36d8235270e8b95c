/**
 * The parsed form of a trigger string (`type:expr`, spec triggers.md §1). The raw
 * string stays the identity of a trigger; this union is what scheduling works with.
 */
export const TRIGGER_TYPES = [
  "schedule",
  "every",
  "once",
  "job.success",
  "job.fail",
  "http",
  "deployment",
  "webhook",
  "tag",
  "manual",
  "pipeline_name",
] as const;

export type TriggerType = (typeof TRIGGER_TYPES)[number];

export type ParsedTrigger =
  | { type: "schedule"; raw: string; cron: string }
  | { type: "every"; raw: string; periodSeconds: number }
  | { type: "once"; raw: string; atMs: number }
  | { type: "job.success"; raw: string; jobRef: string }
  | { type: "job.fail"; raw: string; jobRef: string }
  | { type: "http"; raw: string; port: number | null; path: string }
  | { type: "deployment"; raw: string; expr: string | null }
  | { type: "webhook"; raw: string; expr: string | null }
  | { type: "tag"; raw: string; tag: string }
  | { type: "manual"; raw: string; jobRef: string | null }
  | { type: "pipeline_name"; raw: string; pipelineName: string };

/** Triggers that fire on their own as time passes. */
export type TimedTrigger = Extract<ParsedTrigger, { type: "schedule" | "every" | "once" }>;

export function isTimedTrigger(trigger: ParsedTrigger): trigger is TimedTrigger {
  return trigger.type === "schedule" || trigger.type === "every" || trigger.type === "once";
}
