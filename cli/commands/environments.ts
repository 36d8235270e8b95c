/**
 * `sluice base-image [--rebuild]` and `sluice env build <workspace-dir> [--group g ...] [--local]`:
 * build or reuse the base image and workspace environments, printing progress on stderr and the
 * result on stdout (`--output json` for machines).
 */
import type { Command } from "commander";
import { Option } from "commander";
import { resolve } from "node:path";
import { SluiceError } from "../../core/index.js";
import type { ContainerEngine } from "../../runner/docker/index.js";
import { createDockerodeEngine } from "../../runner/docker/index.js";
import { ensureBaseImage, ensureHostVenv, ensureWorkspaceEnvironment } from "../../runner/images/index.js";
import { printJson } from "../output.js";

type ResultFormat = "text" | "json";

const outputOption = () => new Option("-o, --output <format>", "result format").choices(["text", "json"]).default("text");

const progressToStderr = (line: string) => process.stderr.write(`${line}\n`);

async function connectEngine(): Promise<ContainerEngine> {
  const engine = createDockerodeEngine();
  if (!(await engine.ping())) {
    throw new SluiceError("docker_unreachable", "the Docker engine does not answer", {
      hint: "Start it with `bash scripts/setup.sh` (as root), or use `--local` to build a venv on the host.",
    });
  }
  return engine;
}

function printResult(format: ResultFormat, result: object, text: string): void {
  if (format === "json") printJson(result);
  else process.stdout.write(`${text}\n`);
}

export function registerEnvironmentCommands(program: Command): void {
  program
    .command("base-image")
    .description("build (or reuse) the Debian + python3 + uv base image that environments start from")
    .option("--rebuild", "build even if the image for the current recipe exists", false)
    .addOption(outputOption())
    .action(async (options: { rebuild: boolean; output: ResultFormat }) => {
      const engine = await connectEngine();
      const result = await ensureBaseImage(engine, { rebuild: options.rebuild, onProgress: progressToStderr });
      printResult(options.output, result, `${result.tag} ${result.built ? "built" : "reused"} in ${result.seconds.toFixed(1)}s (${result.imageId.slice(0, 19)})`);
    });

  const env = program.command("env").description("workspace environments (dependencies, cached by content)");
  env
    .command("build")
    .description("build (or reuse) the environment of a workspace for a set of dependency groups")
    .argument("<workspace-dir>", "workspace root (holds pyproject.toml / uv.lock / requirements.txt)")
    .option("-g, --group <group>", "dependency group to add (repeatable)", (value: string, previous: string[]) => [...previous, value], [] as string[])
    .option("--local", "build a venv on the host with the host's uv instead of a Docker image", false)
    .option("--no-dlt", "do not add the pinned fallback dlt when the dependencies lack it")
    .addOption(outputOption())
    .action(async (dir: string, options: { group: string[]; local: boolean; dlt: boolean; output: ResultFormat }) => {
      const workspaceDir = resolve(dir);
      const common = { workspaceDir, dependencyGroups: options.group, ensureDlt: options.dlt, onProgress: progressToStderr };
      if (options.local) {
        const venv = await ensureHostVenv(common);
        printResult(options.output, venv, `${venv.venvDir} ${venv.reused ? "reused" : "built"} in ${venv.seconds.toFixed(1)}s (python ${venv.pythonVersion}, key ${venv.key})`);
        return;
      }
      const engine = await connectEngine();
      const built = await ensureWorkspaceEnvironment(engine, common);
      const fallback = built.fallbackDlt ? ", fallback dlt added" : "";
      printResult(options.output, built, `${built.image} ${built.reused ? "reused" : "built"} in ${built.seconds.toFixed(1)}s (python ${built.pythonVersion}, ${built.mode}${fallback})`);
    });
}
