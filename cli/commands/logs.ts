/** `sluice logs <job> [RUN#] [-f] [--run <id>]`: the log of a job's latest run (or of one run). */
import type { Command } from "commander";
import type { DaemonClient } from "../daemon/client.js";
import type { LogLineView, RunView } from "../daemon/runtime-types.js";
import { printJson } from "../output.js";
import { EXIT_HELP, clientFor, finishFollow, followRun, logLineText, stdout, withHome, withWorkspace, withOutput, type CommonFlags, type Write } from "./runtime-client.js";

export interface LogsFlags extends CommonFlags {
  follow?: boolean;
  run?: string;
}

export function registerLogsCommand(program: Command, write: Write = stdout): void {
  const command = program
    .command("logs")
    .description("Print the log of a job's latest run; -f follows it until the run ends")
    .argument("<job>", "job name (name, section.name, jobs.…, or <workspace>/<job>)")
    .argument("[run]", "the job's run number (1, 2, 3 …; default: its latest started run)")
    .option("-f, --follow", "stream new lines until the run ends; exit 1 when it did not complete")
    .option("--run <id>", "a specific run (see `sluice runs <job>`)")
    .addHelpText("after", `\nLogs are kept per run under <home>/logs and outlive the run's container.\n\nExamples:\n  sluice logs usgs_daily -f\n  sluice logs usgs_daily 3\n  sluice logs usgs/usgs_daily --run run-12 --output json${EXIT_HELP}`);
  withOutput(withWorkspace(withHome(command))).action(async (job: string, number: string | undefined, flags: LogsFlags) => {
    const client = await clientFor(flags);
    const run = flags.run ? (await client.request<{ run: RunView }>("GET", `/v1/runs/${encodeURIComponent(flags.run)}`)).run : await resolveJobRun(client, job, number);
    await printRunLog(client, run, flags, write);
  });
}

/** Run `number` of `job` (its latest started run without a number). */
export async function resolveJobRun(client: DaemonClient, job: string, number: string | undefined): Promise<RunView> {
  const query = `job=${encodeURIComponent(job)}${number === undefined ? "" : `&number=${encodeURIComponent(number)}`}`;
  return (await client.request<{ run: RunView }>("GET", `/v1/runs/latest?${query}`)).run;
}

/** A run's stored log, or with -f its live tail until the run ends (exit 1 unless it completed). */
export async function printRunLog(client: DaemonClient, run: RunView, flags: LogsFlags, write: Write): Promise<void> {
  if (flags.follow) {
    if (flags.output !== "json") write(`run ${run.number} (${run.runId}) of ${run.job} (${run.status})\n`);
    return finishFollow(await followRun(client, run.runId, write), write);
  }
  const { lines } = await client.request<{ lines: LogLineView[] }>("GET", `/v1/runs/${encodeURIComponent(run.runId)}/logs`);
  if (flags.output === "json") return printJson({ run, lines }, write);
  for (const line of lines) write(logLineText(line));
}
