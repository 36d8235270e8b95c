/** `sluice runs [<job>]`: run history, newest first. */
import type { Command } from "commander";
import type { RunView } from "../daemon/runtime-types.js";
import { printJson } from "../output.js";
import { EXIT_HELP, clientFor, runsTable, stdout, withHome, withWorkspace, withOutput, type CommonFlags, type Write } from "./runtime-client.js";

export function registerRunsCommand(program: Command, write: Write = stdout): void {
  const command = program
    .command("runs")
    .description("Runs (started, queued and skipped) with status, trigger, window and reason, newest first")
    .argument("[job]", "only this job (name, section.name or jobs.…; archived jobs too)")
    .option("-n, --limit <n>", "how many", "50")
    .addHelpText("after", `\nExamples:\n  sluice runs\n  sluice runs usgs_daily --output json${EXIT_HELP}`);
  withOutput(withWorkspace(withHome(command))).action(async (job: string | undefined, flags: CommonFlags & { limit: string }) => {
    const client = await clientFor(flags);
    const query = [`limit=${encodeURIComponent(flags.limit)}`, ...(job ? [`job=${encodeURIComponent(job)}`] : [])].join("&");
    const { runs } = await client.request<{ runs: RunView[] }>("GET", `/v1/runs?${query}`);
    if (flags.output === "json") return printJson(runs, write);
    write(runs.length > 0 ? runsTable(runs) : "no runs yet\n");
  });
}
