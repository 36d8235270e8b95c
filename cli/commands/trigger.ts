/** `sluice trigger <selector…> [--dry-run] [--refresh] [--profile P]`: runs of deployed jobs, now. */
import type { Command } from "commander";
import type { TriggerView } from "../daemon/runtime-types.js";
import { printJson } from "../output.js";
import { EXIT_HELP, clientFor, runsTable, stdout, withHome, withWorkspace, withOutput, type CommonFlags, type Write } from "./runtime-client.js";

interface TriggerFlags extends CommonFlags {
  dryRun?: boolean;
  refresh?: boolean;
  profile?: string;
}

const HELP = `
Selectors match triggers (several are OR-ed): a job name (load_commits, section.name, jobs.…),
a pattern such as 'tag:backfill', 'schedule:*', 'pipeline_name:*', 'manual:jobs.usgs_pipeline.*',
or a job type (batch, interactive). Runs use the currently deployed code. A selected job with a
default trigger runs with it and gets its current window. Follow-up jobs (job.success/job.fail)
run after their upstreams and are listed.

Examples:
  sluice trigger tag:backfill
  sluice trigger "schedule:*" --dry-run
  sluice trigger tag:transform --refresh
  sluice trigger load_commits --profile dev${EXIT_HELP}`;

export function registerTriggerCommand(program: Command, write: Write = stdout): void {
  const command = program
    .command("trigger")
    .description("Start runs of every deployed job matched by the selectors")
    .argument("<selectors...>", "job names or trigger selectors (triggers.md §9)")
    .option("--dry-run", "list the matched jobs (and follow-ups) without starting anything")
    .option("--refresh", "explicit refresh of each matched job and its cascade (skipped when its freshness gate fails)")
    .option("--profile <profile>", "profile for every created run (default: the job's)")
    .addHelpText("after", HELP);
  withOutput(withWorkspace(withHome(command))).action(async (selectors: string[], flags: TriggerFlags) => {
    const client = await clientFor(flags);
    const result = await client.request<TriggerView>("POST", "/v1/trigger", { selectors, dryRun: flags.dryRun === true, refresh: flags.refresh === true, ...(flags.profile ? { profile: flags.profile } : {}) });
    if (flags.output === "json") return printJson(result, write);
    write(triggerText(result));
  });
}

export function triggerText(result: TriggerView): string {
  const out: string[] = [];
  if (result.selected.length === 0) out.push("no job matched");
  for (const s of result.selected) out.push(`${result.dryRun ? "would run" : "selected"} ${s.key} (${s.trigger ?? "-"})`);
  for (const ref of result.followUps) out.push(`then ${ref} (follow-up)`);
  for (const w of result.warnings) out.push(`warning: ${w.jobRef}: ${w.message}`);
  if (result.cleared.length > 0) out.push(`refresh cleared: ${result.cleared.join(", ")}`);
  return `${out.join("\n")}\n${result.runs.length > 0 ? runsTable(result.runs) : ""}`;
}
