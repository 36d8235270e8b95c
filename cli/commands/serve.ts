/** `sluice serve <job|notebook.py>`: start an interactive job, wait until it answers, print its URL. */
import { resolve } from "node:path";
import type { Command } from "commander";
import { printJson } from "../output.js";
import { deployDirectory, deployText } from "./deploy.js";
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
  sluice serve fruitshop_notebook.py      # ad-hoc deploy of the notebook, then serve it${EXIT_HELP}`;

export function registerServeCommand(program: Command, write: Write = stdout): void {
  const command = program
    .command("serve")
    .description("Start an interactive job (notebook, app, MCP) and print its URL once it answers")
    .argument("<job>", "interactive job name or a notebook/app script path")
    .option("--dir <dir>", "workspace directory for a .py argument (default: the current directory)", ".")
    .option("-w, --workspace <name>", "workspace name for a .py argument (default: the directory name)")
    .addHelpText("after", HELP);
  withOutput(withHome(command)).action(async (job: string, flags: ServeFlags) => {
    let name = job;
    if (job.endsWith(".py")) {
      const deployed = await deployDirectory(flags, { dir: resolve(flags.dir ?? "."), script: job });
      if (flags.output !== "json") write(deployText(deployed));
      const client = await clientFor(flags);
      const { jobs } = await client.request<{ jobs: Array<{ jobRef: string }> }>("GET", "/v1/jobs?selector=interactive");
      const refs = new Set([...(deployed.diff?.added ?? []), ...(deployed.diff?.updated ?? []), ...(deployed.diff?.unchanged ?? [])].map((c) => c.jobRef));
      name = jobs.find((j) => refs.has(j.jobRef))?.jobRef ?? job;
    }
    const client = await clientFor(flags);
    const served = await client.request<{ url: string; jobRef: string; workspace: string }>("POST", "/v1/serve", { job: name });
    if (flags.output === "json") return printJson(served, write);
    write(`${served.jobRef} is up: ${served.url}\n`);
  });
}
