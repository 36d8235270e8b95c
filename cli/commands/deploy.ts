/** `sluice deploy [<dir>] [--dry-run] [--show-manifest]`: deploy a local workspace directory without git. */
import { resolve } from "node:path";
import type { Command } from "commander";
import type { DaemonClient } from "../daemon/client.js";
import { SluiceError } from "../../core/index.js";
import type { DeployDirView } from "../daemon/runtime-types.js";
import { ExitWith } from "../errors.js";
import { printJson, printYaml } from "../output.js";
import { EXIT_HELP, clientFor, diffText, stdout, withHome, withOutput, type CommonFlags, type Write } from "./runtime-client.js";

interface DeployFlags extends CommonFlags {
  dryRun?: boolean;
  showManifest?: boolean;
  workspace?: string;
  file?: string;
}

const HELP = `
The daemon generates the manifest with dlt in the workspace's environment, compares it with the
active deployment of the workspace (named after the directory unless --workspace) and applies it
to the scheduler: jobs are added, updated, or archived. The directory is copied, so later edits do
not change what runs. Workspaces fed by a git repo (\`sluice repo add\`) are deployed by pushing.

Examples:
  sluice deploy                           # the current directory
  sluice deploy ./usgs --dry-run          # show the diff, change nothing
  sluice deploy ./usgs --show-manifest    # print the expanded manifest as YAML
  sluice deploy . --file fruitshop_pipeline.py   # ad-hoc: only that script's jobs

--dry-run exit codes: 0 no change, 2 changes, 1 error.${EXIT_HELP}`;

export function registerDeployCommand(program: Command, write: Write = stdout): void {
  const command = program
    .command("deploy")
    .description("Deploy a local workspace directory (generate the manifest, diff, apply)")
    .argument("[dir]", "workspace root (default: the current directory)", ".")
    .option("--dry-run", "print the diff against the active deployment and exit (0 no change, 2 changes)")
    .option("--show-manifest", "print the expanded manifest as YAML and exit")
    .option("-w, --workspace <name>", "workspace name (default: the directory name)")
    .option("--file <script.py>", "ad-hoc: deploy only this script's jobs (relative to the directory)")
    .addHelpText("after", HELP);
  withOutput(withHome(command)).action(async (dir: string, flags: DeployFlags) => {
    const result = await deployDirectory(flags, { dir: resolve(dir), dryRun: flags.dryRun === true, showManifest: flags.showManifest === true, ...(flags.file ? { script: flags.file } : {}) });
    if (flags.showManifest) {
      if (flags.output === "json") printJson(result.manifest, write);
      else printYaml(result.manifest, write);
      return;
    }
    if (flags.output === "json") printJson(result, write);
    else write(deployText(result));
    if (flags.dryRun && result.changed) throw new ExitWith(2);
  });
}

export async function deployDirectory(flags: DeployFlags, body: { dir: string; dryRun?: boolean; showManifest?: boolean; script?: string }): Promise<DeployDirView> {
  const client = await clientFor(flags);
  return client.request<DeployDirView>("POST", "/v1/deploy", { ...body, ...(flags.workspace ? { workspace: flags.workspace } : {}) });
}

export function deployText(result: DeployDirView): string {
  const head = result.dryRun
    ? `${result.workspace}: ${result.changed ? `would deploy version ${result.version}` : `no change (version ${result.version})`} (dry run)`
    : `${result.workspace}: deployed version ${result.version}${result.changed ? "" : " (no job changed)"}`;
  const warnings = result.warnings.map((w) => `warning: ${w}\n`).join("");
  return `${head}\n${diffText(result.diff)}${warnings}`;
}

/**
 * The one job of `type` an ad-hoc deploy of `script` holds, as `<workspace>/<job_ref>` (the
 * workspace's other jobs are not the script's, even when they are of the same type).
 */
export async function pickScriptJob(client: DaemonClient, deployed: DeployDirView, type: "batch" | "interactive", script: string): Promise<string> {
  const mine = new Set(deployed.scriptJobs ?? []);
  const { jobs } = await client.request<{ jobs: Array<{ jobRef: string; key: string }> }>("GET", `/v1/jobs?selector=${type}`);
  const picked = jobs.filter((j) => j.key === `${deployed.workspace}/${j.jobRef}` && mine.has(j.jobRef));
  if (picked.length !== 1) {
    throw new SluiceError("ambiguous_script", `${script} holds ${picked.length} ${type} jobs; ${type === "batch" ? "launch" : "serve"} one by name.`, {
      hint: picked.length > 0 ? `Jobs: ${picked.map((j) => j.key).join(", ")}.` : `The script declares no ${type} job.`,
    });
  }
  return (picked[0] as { key: string }).key;
}
