/**
 * Selectors (spec triggers.md §9): they match a job's expanded triggers, not jobs. Also the
 * choice of the trigger a selected job runs with, and the follow-up jobs a selection causes.
 */
import { fnmatch } from "./fnmatch.js";
import { resolveJobRef } from "./job-ref.js";
import { computeDefaultTrigger, expandTriggers, type ExpandableJob } from "./trigger-expand.js";
import { isTriggerType, tryParseTrigger } from "./triggers.js";

const JOB_TYPE_SELECTORS = new Set(["batch", "interactive", "stream", "job"]);

/** True when the string is a selector rather than a job reference (or script path). */
export function isSelector(text: string): boolean {
  return text.includes(":") || JOB_TYPE_SELECTORS.has(text) || isTriggerType(text);
}

function normalizeSelector(selector: string): string {
  if (isTriggerType(selector)) return `${selector}:*`;
  if (selector.endsWith(":")) return `${selector}*`;
  return selector;
}

/** Triggers of one job matched by any selector, de-duplicated, in encounter order. */
export function matchTriggersWithSelectors(
  jobType: string,
  expandedTriggers: readonly string[],
  selectors: readonly string[],
): string[] {
  const matched: string[] = [];
  for (const selector of selectors) {
    if (JOB_TYPE_SELECTORS.has(selector)) {
      if ((selector === "job" && jobType === "batch") || jobType === selector) return [...expandedTriggers];
      continue;
    }
    const pattern = normalizeSelector(selector);
    for (const trigger of expandedTriggers) {
      if (!matched.includes(trigger) && fnmatch(trigger, pattern)) matched.push(trigger);
    }
  }
  return matched;
}

export interface PickedTrigger {
  /** The matched trigger that was chosen. */
  matched: string;
  /** The trigger string the run is launched with (`manual:` swapped for the default trigger). */
  trigger: string;
}

/**
 * The job's default trigger when it is among the matched ones, else the first matched one. A
 * picked `manual:` trigger launches with the default trigger when the job has one.
 */
export function pickTrigger(matched: readonly string[], defaultTrigger?: string | null): PickedTrigger | null {
  if (matched.length === 0) return null;
  const chosen = defaultTrigger && matched.includes(defaultTrigger) ? defaultTrigger : (matched[0] as string);
  const trigger = chosen.startsWith("manual:") && defaultTrigger ? defaultTrigger : chosen;
  return { matched: chosen, trigger };
}

export interface SelectableJob extends ExpandableJob {
  entry_point: { job_type: string };
  default_trigger?: string | undefined;
}

export interface SelectedJob<J extends SelectableJob = SelectableJob> {
  job: J;
  /** Expanded triggers that matched; for follow-ups, the `job.success:`/`job.fail:` triggers reached. */
  matchedTriggers: string[];
  /** Trigger string the run starts with (null for follow-ups: they wait for their upstream). */
  trigger: string | null;
  /** True when the job is reached only through `job.success`/`job.fail` edges. */
  followUp: boolean;
}

export interface JobSelection<J extends SelectableJob = SelectableJob> {
  selected: SelectedJob<J>[];
  followUps: SelectedJob<J>[];
}

/**
 * Turns non-selector strings into `manual:<ref>` (resolved with resolveJobRef; throws
 * JobRefNotFoundError / AmbiguousJobRefError / InvalidJobRefError), leaves selectors as they are.
 */
export function resolveSelectors(selectors: readonly string[], knownRefs: readonly string[]): string[] {
  return selectors.map((s) => (isSelector(s) ? s : `manual:${resolveJobRef(s, knownRefs)}`));
}

/**
 * Jobs matched by the selectors with the trigger each would run with, plus the follow-up jobs
 * reached transitively through `job.success:`/`job.fail:` triggers (for dry-run previews).
 */
export function selectJobs<J extends SelectableJob>(jobs: readonly J[], selectors: readonly string[]): JobSelection<J> {
  const knownRefs = jobs.map((job) => job.job_ref);
  const resolved = resolveSelectors(selectors, knownRefs);
  const selected: SelectedJob<J>[] = [];
  for (const job of jobs) {
    const matched = matchTriggersWithSelectors(job.entry_point.job_type, expandTriggers(job), resolved);
    const defaultTrigger = job.default_trigger ?? computeDefaultTrigger(job.triggers ?? []);
    const picked = pickTrigger(matched, defaultTrigger);
    if (picked) selected.push({ job, matchedTriggers: matched, trigger: picked.trigger, followUp: false });
  }
  const included = new Set(selected.map((s) => s.job.job_ref));
  const followUps: SelectedJob<J>[] = [];
  let grew = true;
  while (grew) {
    grew = false;
    for (const job of jobs) {
      if (included.has(job.job_ref)) continue;
      const events = (job.triggers ?? []).filter((raw) => {
        const parsed = tryParseTrigger(raw);
        return (parsed?.type === "job.success" || parsed?.type === "job.fail") && included.has(parsed.jobRef);
      });
      if (events.length === 0) continue;
      followUps.push({ job, matchedTriggers: events, trigger: null, followUp: true });
      included.add(job.job_ref);
      grew = true;
    }
  }
  return { selected, followUps };
}

