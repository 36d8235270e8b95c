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
