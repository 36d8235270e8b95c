/** `sluice launch <job|file.py> [-f] [--refresh]`: one run of one batch job now. */
import type { Command } from "commander";
import { SluiceError } from "../../core/index.js";
import type { RunView, TriggerView } from "../daemon/runtime-types.js";
import { printJson } from "../output.js";
import { jobToRun } from "./current-code.js";
import { EXIT_HELP, clientFor, finishFollow, followRun, runsTable, stdout, withHome, withOutput, type CommonFlags, type Write } from "./runtime-client.js";

interface LaunchFlags extends CommonFlags {
  follow?: boolean;
  refresh?: boolean;
  dir?: string;
  workspace?: string;
}

const HELP = `
A job name starts one run of that job (with its default trigger and current window). As with
dlt, the current code runs: inside a workspace folder deployed from that folder (sluice deploy,
launch/serve file.py) the folder is deployed again first; a workspace deployed from git runs its
deployed commit (the CLI says so, and warns when your checkout differs from it).
A .py file is an ad-hoc deploy: the daemon adds or updates only that script's jobs (workspace =
--dir, default the current directory; its other jobs stay) and launches its batch job.
Jobs are named as name, section.name, jobs.…, or <workspace>/<job>.

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
    const client = await clientFor(flags);
    const name = await jobToRun(client, flags, job, "batch", write);
    const result = await client.request<TriggerView>("POST", "/v1/trigger", { selectors: [name], refresh: flags.refresh === true });
    const run = result.runs[0];
    if (!run) throw new SluiceError("nothing_started", `No run of '${name}' was started.`, { hint: "Jobs with expose.manual = false cannot be launched by name." });
    if (flags.output === "json" && !flags.follow) return printJson(result, write);
    for (const w of result.warnings) write(`warning: ${w.jobRef}: ${w.message}\n`);
    if (!flags.follow) return void write(runsTable(result.runs));
    write(`following run ${run.number} (${run.runId}) of ${run.job} (${run.trigger})\n`);
    const final: RunView = await followRun(client, run.runId, write);
    finishFollow(final, write);
  });
}
