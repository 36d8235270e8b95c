/** `sluice dashboard`: the terminal UI over the daemon's API and event stream (docs/dashboard.md). */
import type { Command } from "commander";
import { resolveHome } from "../daemon/home.js";
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
    const { runDashboard } = await loadDashboard();
    await runDashboard({ home: resolveHome(flags.home), scope: { workspace: flags.workspace, defaultWorkspace: workspaceFolderName() } });
  });
}

/**
 * Ink decides once, when it is first imported, whether it runs "in CI" (`CI` or
 * `CONTINUOUS_INTEGRATION` set) and then draws nothing until it exits. The dashboard only runs on
 * a terminal a person is looking at, so on a TTY those variables are dropped from this process
 * before Ink loads (it loads here, not at start-up: other commands never pay for React and Ink).
 */
async function loadDashboard() {
  if (process.stdin.isTTY && process.stdout.isTTY) {
    delete process.env.CI;
    delete process.env.CONTINUOUS_INTEGRATION;
  }
  return import("../dashboard/run.js");
}
