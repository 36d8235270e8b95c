/**
 * `sluice exec <workspace> [--profile P] [--job J] -- <command…>`: runs a command where a run of
 * the workspace runs. The daemon stages the container spec (same code as run containers), or with
 * `executor: local` the run's venv, checkout and variables; this command starts it (the container
 * with the docker client, `docker run --rm -i [-t]`; a local command itself) so stdin, stdout,
 * stderr and the terminal are attached, exits with the command's exit code, and then asks the
 * daemon to remove the staged settings overlay (it holds a copy of the stored secrets).
 */
import { spawn } from "node:child_process";
import type { Command } from "commander";
import { SluiceError } from "../../core/index.js";
import { withFirstOnPath } from "../../runner/executors/index.js";
import type { DockerExecSpec, ExecSpecView, LocalExecSpec } from "../daemon/exec-types.js";
import { ExitWith, reportError } from "../errors.js";
import { clientFor, stdout, withHome, type Write } from "./runtime-client.js";

interface ExecFlags {
  home?: string;
  profile?: string;
  job?: string;
  dryRun?: boolean;
}

const HELP = `
The command runs in a new container with exactly what a run of <workspace> with that profile
sees: the workspace's environment image (built first if needed), the deployed checkout at
/workspace (read-only, working dir), .dlt/ with the stored secrets of the profile, the data dir
(DLT_DATA_DIR, DLT_LOCAL_DIR), dlt's global dir (/var/dlt: anonymous id, global secrets.toml),
the same host name, the run environment (WORKSPACE__PROFILE, sluice.yaml runs.env) and the
runs' network. Files written to /sluice/data or /var/dlt stay for later runs; everything else is
discarded when the command ends. The profile is --profile, else the job's require.profile
(--job), else prod.

stdin, stdout and stderr are attached; with a terminal on stdin and stdout the command gets a
TTY (interactive shells). Put the command after \`--\` when it has options of its own.
Needs the daemon (it knows the deployed checkout and environment) and the docker client.

With \`executor: local\` runs are processes on this machine, and so is the command: it starts in
the deployed checkout (working dir) with the workspace's host venv first on PATH (its python, dlt,
marimo…) and VIRTUAL_ENV set, the stored secrets of the profile placed in the checkout's .dlt/ as
for runs, the run environment (WORKSPACE__PROFILE, DLT_DATA_DIR, DLT_LOCAL_DIR, runs.env) on top of
your shell's, and dlt's global dir of this machine's user, which local runs share. --dry-run
prints the directory, PATH and the variables' names.

With \`executor: kubernetes\` and \`kubernetes.storageClass\` the runs' data and dlt's global dir
live on volume claims of the cluster, so the command runs there instead: in a Job with the run's
image, claims, settings Secret and host name, its output streamed back, without a terminal or
stdin (--dry-run has no docker command to show there).

Examples:
  sluice exec usgs -- bash
  sluice exec usgs -- dlt license issue dlthub.transformation   # self-issued trial licence, kept for later runs
  sluice exec usgs --profile dev -- dlt pipeline usgs_pipeline info
  sluice exec usgs --job backfill -- python -c "import dlt; print(dlt.__version__)"

Exit codes: the command's own; 125 when docker could not run the container; 127 when a local
command is not found; 1 user error (unknown or undeployed workspace, unknown job); 2 daemon
unreachable (start it with \`sluice up\`).`;

export function registerExecCommand(program: Command, write: Write = stdout): void {
  const command = program
    .command("exec")
    .description("Run a command in a workspace's run environment (image, checkout, secrets, data and dlt global dir)")
    .argument("<workspace>", "deployed workspace name (`sluice info` lists them)")
    .argument("<command...>", "the command and its arguments (after `--`)")
    .option("-p, --profile <profile>", "workspace profile (default: the job's require.profile, else prod)")
    .option("--job <name>", "use this job's environment (dependency groups) and required profile")
    .option("--dry-run", "print the docker command line, or with executor: local the directory and PATH (variable names only), instead of running it")
    .addHelpText("after", HELP);
  withHome(command).action(async (workspace: string, argv: string[], flags: ExecFlags) => {
    const client = await clientFor({ ...(flags.home ? { home: flags.home } : {}) });
    const request = { workspace, ...(flags.profile ? { profile: flags.profile } : {}), ...(flags.job ? { job: flags.job } : {}) };
    // with the command, a daemon whose runs live on Kubernetes claims runs it there and streams its output back
    const cluster = createClusterExecPrinter(write);
    const answer = await client.postMaybeStream<{ exec: ExecSpecView }>("/v1/exec", flags.dryRun ? request : { ...request, argv }, cluster.onObject);
    if (!answer) {
      const code = cluster.exitCode();
      if (code !== 0) throw new ExitWith(code);
      return;
    }
    const { exec } = answer;
    const end = () => client.request("DELETE", `/v1/exec/${encodeURIComponent(exec.execId)}`).catch(() => undefined);
    const tty = process.stdin.isTTY === true && process.stdout.isTTY === true;
    const launch = exec.where === "local" ? localLaunch(exec, argv) : dockerLaunch(exec, argv, { tty });
    if (exec.where === "local" && exec.notice) process.stderr.write(`sluice: ${exec.notice}\n`);
    if (flags.dryRun) {
      write(launch.printed);
      await end();
      return;
    }
    let code: number;
    try {
      code = await runAttached(launch);
    } finally {
      await end();
    }
    if (code !== 0) throw new ExitWith(code);
  });
}

/** A command to start with the terminal attached, and how --dry-run shows it. */
interface Launch {
  file: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  cwd?: string;
  printed: string;
  /** What to say when `file` cannot be found; with an exit code, said and exited with (as a shell's 127), else thrown. */
  missing: SluiceError;
  missingExit?: number;
}

function dockerLaunch(exec: DockerExecSpec, argv: readonly string[], options: { tty: boolean }): Launch {
  const args = dockerRunArgs(exec, argv, options);
  return {
    file: "docker",
    args,
    env: { ...process.env, ...exec.env },
    printed: `${["docker", ...args].map(shellQuote).join(" ")}\n`,
    missing: new SluiceError("docker_cli_missing", "`sluice exec` needs the docker command-line client, and `docker` is not on PATH.", { hint: "Install it (Debian: apt-get install docker.io) or add it to PATH." }),
  };
}

/** `executor: local`: the command itself, in the checkout, with the run's venv first on PATH and the run's variables over this shell's. */
function localLaunch(exec: LocalExecSpec, argv: readonly string[]): Launch {
  const [file = "", ...args] = argv;
  const names = Object.keys(exec.env).sort().join(" ");
  return {
    file,
    args,
    cwd: exec.workingDir,
    env: { ...process.env, ...exec.env, PATH: withFirstOnPath(exec.bin, process.env.PATH) },
    printed: `cd ${shellQuote(exec.workingDir)} && PATH=${shellQuote(exec.bin)}:"$PATH" ${argv.map(shellQuote).join(" ")}\n# with the run's variables (values not shown): ${names}\n`,
    missing: new SluiceError("exec_command_missing", `\`${file}\` is neither in the workspace's venv (${exec.bin}) nor on PATH.`, {
      hint: "Add the package that installs it to the workspace's dependencies (pyproject.toml) and push, or give the command's full path.",
    }),
    missingExit: 127,
  };
}

/** Prints the NDJSON of an exec run on the cluster (output lines; the end says how it ended) and keeps its exit code. */
export function createClusterExecPrinter(write: Write, writeError: (text: string) => void = (text) => process.stderr.write(text)): { onObject(value: unknown): void; exitCode(): number } {
  let code = 1;
  return {
    onObject(value) {
      const object = value as { exec?: { execId: string; profile: string }; line?: { stream: string; text: string }; end?: { exitCode: number | null; status: string; reason: string | null } };
      if (object.exec) writeError(`sluice: running in a Job on the Kubernetes cluster (${object.exec.execId}, profile ${object.exec.profile}; no terminal, no stdin)\n`);
      if (object.line) (object.line.stream === "stdout" ? write : writeError)(`${object.line.text}\n`);
      if (object.end) {
        code = object.end.exitCode ?? (object.end.status === "completed" ? 0 : 1);
        if (object.end.status !== "completed" && object.end.exitCode === null) writeError(`sluice: the command did not run to its end: ${object.end.reason ?? object.end.status}\n`);
      }
    },
    exitCode: () => code,
  };
}

/** `docker run` arguments for the staged spec; variables are passed by name (`-e KEY`) so no value shows in `ps`. */
export function dockerRunArgs(spec: DockerExecSpec, argv: readonly string[], options: { tty: boolean }): string[] {
  const args = ["run", "--rm", "-i", ...(options.tty ? ["-t"] : []), "--name", spec.name, "--hostname", spec.hostname, "--init"];
  args.push("--network", spec.network, "--workdir", spec.workingDir);
  for (const [key, value] of Object.entries(spec.labels)) args.push("--label", `${key}=${value}`);
  for (const bind of spec.binds) args.push("--volume", `${bind.source}:${bind.target}:${bind.readOnly ? "ro" : "rw"}`);
  for (const mount of spec.tmpfs) args.push("--tmpfs", `${mount.target}:${mount.options}`);
  for (const key of Object.keys(spec.env).sort()) args.push("--env", key);
  return [...args, spec.image, ...argv];
}

function runAttached(launch: Launch): Promise<number> {
  return new Promise((resolve, reject) => {
    // Ctrl-C reaches the child (same process group; docker forwards it to the command); we wait for its exit
    const ignore = () => {};
    process.on("SIGINT", ignore);
    process.on("SIGTERM", ignore);
    const done = () => {
      process.off("SIGINT", ignore);
      process.off("SIGTERM", ignore);
    };
    const child = spawn(launch.file, launch.args, { stdio: "inherit", env: launch.env, ...(launch.cwd ? { cwd: launch.cwd } : {}) });
    child.on("error", (error: NodeJS.ErrnoException) => {
      done();
      if (error.code !== "ENOENT") return reject(error);
      if (launch.missingExit === undefined) return reject(launch.missing);
      reportError(launch.missing);
      resolve(launch.missingExit);
    });
    child.on("exit", (code, signal) => {
      done();
      resolve(code ?? (signal ? 128 + signalNumber(signal) : 1));
    });
  });
}

function signalNumber(signal: NodeJS.Signals): number {
  return { SIGINT: 2, SIGKILL: 9, SIGTERM: 15 }[signal as "SIGINT"] ?? 1;
}

function shellQuote(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
