/** `sluice cancel <job|selector…> [--dry-run]`: cancel every active or queued run of the matched jobs. */
import type { Command } from "commander";
import type { RunView } from "../daemon/runtime-types.js";
import { printJson } from "../output.js";
import { EXIT_HELP, clientFor, runsTable, stdout, withHome, withWorkspace, withOutput, type CommonFlags, type Write } from "./runtime-client.js";

export function registerCancelCommand(program: Command, write: Write = stdout): void {
  const command = program
    .command("cancel")
    .description("Cancel all active (and queued) runs of the matched jobs: SIGTERM, SIGKILL after the grace period")
    .argument("<selectors...>", "job names or selectors (e.g. load_commits, 'tag:ingest')")
    .option("--dry-run", "list the runs that would be cancelled")
    .addHelpText("after", `\nCancelled runs emit no job.fail follow-ups and keep the watermark.\n\nExamples:\n  sluice cancel load_commits\n  sluice cancel "tag:ingest" --dry-run${EXIT_HELP}`);
  withOutput(withWorkspace(withHome(command))).action(async (selectors: string[], flags: CommonFlags & { dryRun?: boolean }) => {
    const client = await clientFor(flags);
    const { runs } = await client.request<{ runs: RunView[] }>("POST", "/v1/cancel", { selectors, dryRun: flags.dryRun === true });
    if (flags.output === "json") return printJson(runs, write);
    write(runs.length === 0 ? "no active runs matched\n" : `${flags.dryRun ? "would cancel" : "cancelling"} ${runs.length} run(s)\n${runsTable(runs)}`);
  });
}
