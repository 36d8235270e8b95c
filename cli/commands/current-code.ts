/**
 * dlt's `launch <job>` / `serve <job>` run the current code: before starting a job by name,
 * a workspace deployed from a local folder is deployed again from that folder (a full deploy
 * when it has `__deployment__.py`, else an ad-hoc deploy of the job's script); a workspace
 * deployed from git runs its deployed commit, and the CLI says so and warns when the local
 * checkout differs from it (push to deploy). Only the folder the command runs in (or --dir)
 * is looked at, and only when it is the job's workspace.
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { SluiceError } from "../../core/index.js";
import type { DaemonClient } from "../daemon/client.js";
import type { InfoView, JobInfoView } from "../daemon/runtime-types.js";
import { deployDirectory, deployText, pickScriptJob } from "./deploy.js";
import { workspaceFolder, type CommonFlags, type Write } from "./runtime-client.js";

export interface CurrentCodeFlags extends CommonFlags {
  dir?: string;
}

const LOCAL_SOURCE = "local directory";

/**
 * The job a `launch` / `serve` argument names, once what must run is deployed: a `.py` file is
 * deployed ad hoc (into --dir's workspace) and its one job of `kind` picked; a job name gets its
 * current code (deployCurrentCode). Returns the job's key.
 */
export async function jobToRun(client: DaemonClient, flags: CurrentCodeFlags, arg: string, kind: "batch" | "interactive", write: Write): Promise<string> {
  if (!arg.endsWith(".py")) return deployCurrentCode(client, flags, arg, write);
  const deployed = await deployDirectory(flags, { dir: resolve(flags.dir ?? "."), script: arg });
  if (flags.output !== "json") write(deployText(deployed));
  return pickScriptJob(client, deployed, kind, arg);
}

/** Returns the job's key (`<workspace>/<job_ref>`) to start, after deploying local code if needed. */
export async function deployCurrentCode(client: DaemonClient, flags: CurrentCodeFlags, name: string, write: Write): Promise<string> {
  const folder = workspaceFolder(flags.dir ?? ".");
  const say = (text: string) => (flags.output === "json" ? undefined : write(text));
  let job = await jobInfo(client, name);
  if (!folder) return job?.key ?? name;
  const folderName = flags.workspace ?? basename(folder);
  if (job && job.workspace !== folderName) return job.key;
  const { workspaces } = await client.request<InfoView>("GET", "/v1/info");
  const deployed = workspaces.find((w) => w.name === folderName);
  if (deployed && !deployed.source.startsWith(LOCAL_SOURCE)) {
    say(`note: ${folderName} is deployed from git (${deployed.source}) at ${deployed.commit?.slice(0, 12) ?? "-"}; running the deployed commit\n`);
    const differs = localTreeDiffers(folder, deployed.commit);
    if (differs) say(`warning: ${differs}; push it to deploy it\n`);
    return job?.key ?? name;
  }
  const script = job ? scriptOf(folder, job.jobRef) : undefined;
  const full = existsSync(join(folder, "__deployment__.py"));
  if (!full && !script) return job?.key ?? name;
  const result = await deployDirectory(flags, { dir: folder, ...(full ? {} : { script: script as string }) });
  say(deployText(result));
  job = await jobInfo(client, `${result.workspace}/${job?.jobRef ?? name}`);
  if (!job) throw new SluiceError("job_not_found", `No job '${name}' in workspace '${result.workspace}' after deploying ${folder}.`, { hint: "`sluice job list` lists the deployed jobs." });
  return job.key;
}

async function jobInfo(client: DaemonClient, name: string): Promise<JobInfoView | undefined> {
  try {
    return (await client.request<{ job: JobInfoView }>("GET", `/v1/jobs/${encodeURIComponent(name)}`)).job;
  } catch (error) {
    if (error instanceof SluiceError && (error.code === "job_not_found" || error.code === "workspace_not_found")) return undefined;
    throw error;
  }
}

/** The script of a module job (`jobs.<module>` or `jobs.<module>.<function>`) in the folder. */
function scriptOf(folder: string, ref: string): string | undefined {
  const module = ref.split(".")[1];
  return module && existsSync(join(folder, `${module}.py`)) ? `${module}.py` : undefined;
}

/** Why the local checkout is not the deployed commit, or null when it is (or is no git checkout). */
function localTreeDiffers(folder: string, commit: string | null): string | null {
  try {
    const head = execFileSync("git", ["-C", folder, "rev-parse", "HEAD"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
    if (commit && head !== commit) return `your checkout is at ${head.slice(0, 12)}, not the deployed ${commit.slice(0, 12)}`;
    const dirty = execFileSync("git", ["-C", folder, "status", "--porcelain", "--", "."], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
    return dirty ? `${folder} has uncommitted changes` : null;
  } catch {
    return null;
  }
}
