/** `sluice serve <job|notebook.py>`: start an interactive job, wait until it answers, print its URL. */
import type { Command } from "commander";
import { printJson } from "../output.js";
import { jobToRun } from "./current-code.js";
import { EXIT_HELP, clientFor, stdout, withHome, withOutput, type CommonFlags, type Write } from "./runtime-client.js";

interface ServeFlags extends CommonFlags {
  dir?: string;
  workspace?: string;
}

const HELP = `
The service runs on a free loopback port behind the daemon's proxy (127.0.0.1, sluice.yaml
\`proxy.port\`, default 7879) at /w/<workspace>/<job>/, with the access profile. It stops after its
idle timeout without requests or open connections; the next request starts it again.

Examples:
  sluice serve usgs_dashboard
  sluice serve fruitshop_notebook.py      # ad-hoc deploy of the notebook, then serve it
  sluice serve usgs/dashboard             # a job of another workspace

As with launch, a job name in a workspace deployed from this folder deploys the folder first;
a git-deployed workspace serves its deployed commit.${EXIT_HELP}`;

export function registerServeCommand(program: Command, write: Write = stdout): void {
  const command = program
    .command("serve")
    .description("Start an interactive job (notebook, app, MCP) and print its URL once it answers")
    .argument("<job>", "interactive job name or a notebook/app script path")
    .option("--dir <dir>", "workspace directory for a .py argument (default: the current directory)", ".")
    .option("-w, --workspace <name>", "workspace name for a .py argument (default: the directory name)")
    .addHelpText("after", HELP);
  withOutput(withHome(command)).action(async (job: string, flags: ServeFlags) => {
    const client = await clientFor(flags);
    const name = await jobToRun(client, flags, job, "interactive", write);
    const served = await client.request<{ url: string; jobRef: string; workspace: string }>("POST", "/v1/serve", { job: name });
    if (flags.output === "json") return printJson(served, write);
    write(`${served.jobRef} is up: ${served.url}\n`);
  });
}
