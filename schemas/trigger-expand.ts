/** Synthetic trigger expansion and the default trigger (spec manifest.md §8). */
import { tryParseTrigger } from "./triggers.js";

export interface ExpandableJob {
  job_ref: string;
  triggers?: readonly string[] | undefined;
  expose?: { tags?: string | readonly string[] | undefined; manual?: boolean | undefined } | undefined;
  deliver?: { pipeline_name?: string | undefined } | undefined;
}

/**
 * Declared triggers, then `tag:<t>` per expose tag, `manual:<job_ref>` unless `expose.manual` is
 * false, `pipeline_name:<name>`; duplicates never added. A string `expose.tags` (possible via a
 * module's `__expose__`) counts as one tag instead of one tag per character.
 */
export function expandTriggers(job: ExpandableJob): string[] {
  const triggers = [...(job.triggers ?? [])];
  const add = (trigger: string): void => {
    if (!triggers.includes(trigger)) triggers.push(trigger);
  };
  const tags = job.expose?.tags;
  for (const tag of typeof tags === "string" ? [tags] : (tags ?? [])) add(`tag:${tag}`);
  if (job.expose?.manual ?? true) add(`manual:${job.job_ref}`);
  const pipeline = job.deliver?.pipeline_name;
  if (pipeline) add(`pipeline_name:${pipeline}`);
  return triggers;
}

/**
 * Of a trigger list (or a job's declared triggers): the first `schedule:`/`every:` trigger, else the first declared trigger that is not
 * `manual:`/`deployment:`; null when none. Unparseable triggers are skipped (validation
 * reports them; dlt would raise).
 */
export function computeDefaultTrigger(
  triggersOrJob: readonly string[] | { triggers?: readonly string[] | undefined },
): string | null {
  const triggers = Array.isArray(triggersOrJob)
    ? (triggersOrJob as readonly string[])
    : ((triggersOrJob as { triggers?: readonly string[] }).triggers ?? []);
  let fallback: string | null = null;
  for (const raw of triggers) {
    const parsed = tryParseTrigger(raw);
    if (!parsed) continue;
    if (parsed.type === "schedule" || parsed.type === "every") return raw;
    if (fallback === null && parsed.type !== "manual" && parsed.type !== "deployment") fallback = raw;
  }
  return fallback;
}
