/**
 * The `sluice` command. Each command lives in cli/commands/<name>.ts, parses its flags
 * and calls a service; this file only assembles them and maps errors to exit codes.
 */
import { Command } from "commander";
import { reportError } from "./errors.js";
import { registerManifestCommand } from "./commands/manifest.js";
import { registerSimulateCommand } from "./commands/simulate.js";
import { registerEnvironmentCommands } from "./commands/environments.js";
import { registerSecretsCommands } from "./commands/secrets.js";
import { registerDeployCommand } from "./commands/deploy.js";
import { registerLaunchCommand } from "./commands/launch.js";
import { registerServeCommand } from "./commands/serve.js";
import { registerTriggerCommand } from "./commands/trigger.js";
import { registerJobCommand } from "./commands/job.js";
import { registerRunsCommand } from "./commands/runs.js";
import { registerLogsCommand } from "./commands/logs.js";
import { registerJobRunCommand } from "./commands/job-run.js";
import { registerCancelCommand } from "./commands/cancel.js";
import { registerInfoCommand } from "./commands/info.js";
import { registerRunPipelineCommand } from "./commands/run-pipeline.js";
import { registerExecCommand } from "./commands/exec.js";
import { registerDashboardCommand } from "./commands/dashboard.js";
import { composeRuntime } from "./compose/runtime.js";
import { registerDaemonCommands } from "./daemon/commands.js";

export function buildProgram(): Command {
  const program = new Command("sluice")
    .description("Self-hosted, git-driven runtime for dlt workspaces")
    .version("0.1.0")
    .showHelpAfterError()
    .configureOutput({ writeErr: (text) => process.stderr.write(text) });
  registerManifestCommand(program);
  registerSimulateCommand(program);
  registerEnvironmentCommands(program);
  registerSecretsCommands(program);
  registerDaemonCommands(program, { runtime: composeRuntime });
  registerDeployCommand(program);
  registerLaunchCommand(program);
  registerServeCommand(program);
  registerTriggerCommand(program);
  registerJobCommand(program);
  registerRunsCommand(program);
  registerLogsCommand(program);
  registerJobRunCommand(program);
  registerCancelCommand(program);
  registerInfoCommand(program);
  registerRunPipelineCommand(program);
  registerExecCommand(program);
  registerDashboardCommand(program);
  return program;
}

async function main(argv: string[]): Promise<void> {
  const program = buildProgram().exitOverride();
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (isCommanderExit(error)) {
      process.exitCode = error.exitCode;
      return;
    }
    process.exitCode = reportError(error);
  }
}

function isCommanderExit(error: unknown): error is { exitCode: number; code: string } {
  return typeof error === "object" && error !== null && "code" in error && String((error as { code: unknown }).code).startsWith("commander.");
}

await main(process.argv);
