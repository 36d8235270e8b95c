/** `sluice dashboard`: the terminal UI over the daemon's API and event stream (docs/dashboard.md). */
import type { Command } from "commander";
import { resolveHome } from "../daemon/home.js";
import { runDashboard } from "../dashboard/run.js";
import { EXIT_HELP, withHome, withWorkspace, workspaceFolderName, type CommonFlags } from "./runtime-client.js";

export function registerDashboardCommand(program: Command): void {
  const command = program
    .command("dashboard")
    .description("Terminal UI: jobs, runs, live logs, the job graph and deployments of the running daemon")
    .addHelpText(
      "after",
      `
Views (\`:\` switches): :jobs :runs :graph :deployments (also :logs :help). Keys as in k9s:
↑/↓ or j/k move, enter drills in, esc goes back, / filters (name, tag:x, any selector),
l logs, d describe, t trigger (r toggles refresh), c cancel, o open an interactive job,
r roll back (in :deployments), a archived jobs, ? every key, q quits. Every action asks first.
Needs a terminal; for scripts use \`sluice info --output json\`. Honours NO_COLOR.${EXIT_HELP}`,
    );
  withWorkspace(withHome(command)).action(async (flags: CommonFlags) => {
    await runDashboard({ home: resolveHome(flags.home), scope: { workspace: flags.workspace, defaultWorkspace: workspaceFolderName() } });
  });
}
