/** `sluice logs <job> [-f] [--run <id>]`: the log of a job's latest run (or of one run). */
import type { Command } from "commander";
import type { LogLineView, RunView } from "../daemon/runtime-types.js";
import { printJson } from "../output.js";
import { EXIT_HELP, clientFor, finishFollow, followRun, logLineText, stdout, withHome, withOutput, type CommonFlags, type Write } from "./runtime-client.js";

interface LogsFlags extends CommonFlags {
  follow?: boolean;
  run?: string;
}

export function registerLogsCommand(program: Command, write: Write = stdout): void {
  const command = program
    .command("logs")
    .description("Print the log of a job's latest run; -f follows it until the run ends")
    .argument("<job>", "job name (name, section.name or jobs.…)")
    .option("-f, --follow", "stream new lines until the run ends; exit 1 when it did not complete")
    .option("--run <id>", "a specific run (see `sluice runs <job>`)")
    .addHelpText("after", `\nLogs are kept per run under <home>/logs and outlive the run's container.\n\nExamples:\n  sluice logs usgs_daily -f\n  sluice logs usgs_daily --run run-12 --output json${EXIT_HELP}`);
  withOutput(withHome(command)).action(async (job: string, flags: LogsFlags) => {
    const client = await clientFor(flags);
    const query = flags.run ? `runId=${encodeURIComponent(flags.run)}` : `job=${encodeURIComponent(job)}`;
    const { run } = flags.run
      ? await client.request<{ run: RunView }>("GET", `/v1/runs/${encodeURIComponent(flags.run)}`)
      : await client.request<{ run: RunView }>("GET", `/v1/runs/latest?${query}`);
    if (flags.follow) {
      if (flags.output !== "json") write(`${run.runId} of ${run.job} (${run.status})\n`);
      return finishFollow(await followRun(client, run.runId, write), write);
    }
    const { lines } = await client.request<{ lines: LogLineView[] }>("GET", `/v1/runs/${encodeURIComponent(run.runId)}/logs`);
    if (flags.output === "json") return printJson({ run, lines }, write);
    for (const line of lines) write(logLineText(line));
  });
}
