/** `sluice launch <job|file.py> [-f] [--refresh]`: one run of one batch job now. */
import { resolve } from "node:path";
import type { Command } from "commander";
import { SluiceError } from "../../core/index.js";
import type { RunView, TriggerView } from "../daemon/runtime-types.js";
import { printJson } from "../output.js";
import { deployDirectory, deployText } from "./deploy.js";
import { EXIT_HELP, clientFor, finishFollow, followRun, runsTable, stdout, withHome, withOutput, type CommonFlags, type Write } from "./runtime-client.js";

interface LaunchFlags extends CommonFlags {
  follow?: boolean;
  refresh?: boolean;
  dir?: string;
  workspace?: string;
}

const HELP = `
A job name starts one run of that deployed job (with its default trigger and current window).
A .py file is an ad-hoc deploy: the daemon deploys only that script's jobs (workspace = --dir,
default the current directory) and launches its batch job.

Examples:
  sluice launch backfill_usgs --refresh
  sluice launch load_commits -f
  sluice launch fruitshop_pipeline.py -f${EXIT_HELP}`;

export function registerLaunchCommand(program: Command, write: Write = stdout): void {
  const command = program
    .command("launch")
    .description("Start one run of a batch job (a .py file is deployed ad hoc first)")
    .argument("<job>", "job name (name, section.name, jobs.…) or a script path")
    .option("-f, --follow", "stream the run's log until it ends; exit 1 when it did not complete")
    .option("--refresh", "explicit refresh of the job and its cascade (scheduling.md §8.5)")
    .option("--dir <dir>", "workspace directory for a .py argument (default: the current directory)", ".")
    .option("-w, --workspace <name>", "workspace name for a .py argument (default: the directory name)")
    .addHelpText("after", HELP);
  withOutput(withHome(command)).action(async (job: string, flags: LaunchFlags) => {
    let name = job;
    if (job.endsWith(".py")) {
      const deployed = await deployDirectory(flags, { dir: resolve(flags.dir ?? "."), script: job });
      if (flags.output !== "json") write(deployText(deployed));
      const refs = [...(deployed.diff?.added ?? []), ...(deployed.diff?.updated ?? []), ...(deployed.diff?.unchanged ?? [])].map((c) => c.jobRef);
      name = await pickBatchJob(flags, refs, job);
    }
    const client = await clientFor(flags);
    const result = await client.request<TriggerView>("POST", "/v1/trigger", { selectors: [name], refresh: flags.refresh === true });
    const run = result.runs[0];
    if (!run) throw new SluiceError("nothing_started", `No run of '${name}' was started.`, { hint: "Jobs with expose.manual = false cannot be launched by name." });
    if (flags.output === "json" && !flags.follow) return printJson(result, write);
    for (const w of result.warnings) write(`warning: ${w.jobRef}: ${w.message}\n`);
    if (!flags.follow) return void write(runsTable(result.runs));
    write(`following ${run.runId} of ${run.job} (${run.trigger})\n`);
    const final: RunView = await followRun(client, run.runId, write);
    finishFollow(final, write);
  });
}

async function pickBatchJob(flags: LaunchFlags, refs: string[], script: string): Promise<string> {
  const client = await clientFor(flags);
  const { jobs } = await client.request<{ jobs: Array<{ jobRef: string; type: string }> }>("GET", "/v1/jobs?selector=batch");
  const batch = jobs.filter((j) => refs.includes(j.jobRef));
  if (batch.length !== 1) {
    throw new SluiceError("ambiguous_script", `${script} holds ${batch.length} batch jobs; launch one by name.`, { hint: batch.length > 0 ? `Jobs: ${batch.map((j) => j.jobRef).join(", ")}.` : "The script declares no batch job." });
  }
  return (batch[0] as { jobRef: string }).jobRef;
}
