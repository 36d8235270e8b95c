/**
 * `sluice manifest <workspace-dir> [--script file.py] [--output yaml|json] [--local] [--show-hashes]`:
 * generates the deployment manifest with dlt's own worker in the workspace environment and prints
 * it with triggers expanded (what `dlt runtime deploy --show-manifest` shows). Progress and dlt's
 * warnings go to stderr; failures become `error:`/`hint:` lines and exit code 1.
 */
import type { Command } from "commander";
import { Option } from "commander";
import { SluiceError } from "../../core/index.js";
import type { GeneratedManifest } from "../../reconciler/index.js";
import { defaultRetryCommand, generateManifest } from "../../reconciler/index.js";
import { createDockerodeEngine } from "../../runner/docker/index.js";
import type { ContainerEngine } from "../../runner/docker/index.js";
import { expandTriggers } from "../../schemas/index.js";
import { printJson, printYaml } from "../output.js";

interface ManifestFlags {
  script?: string;
  output: "yaml" | "json";
  local: boolean;
  showHashes: boolean;
  timeout: string;
}

const HELP_AFTER = `
The manifest comes from dlt itself: Sluice runs dlt's manifest worker
(dlt._workspace.deployment._manifest_worker) in the workspace's environment
(built from pyproject.toml/uv.lock or requirements.txt and reused while they do not change),
with no network and the workspace mounted read-only. Triggers are printed expanded (tag:,
manual:, pipeline_name: added), as \`dlt runtime deploy --show-manifest\` does; stored
manifests and hashes keep the declared triggers.

--show-hashes prints { manifest, manifest_hash, job_hashes, dlt_version } instead of the bare
manifest: the hashes are computed by dlt (hash_job_definition, and the version_hash the first
version bump stores).

Examples:
  sluice manifest fixtures/workspaces/usgs_earthquakes_workspace
  sluice manifest ./fruitshop --script fruitshop_pipeline.py --output json
  sluice manifest . --local --show-hashes

Progress of environment builds and dlt's warnings (\`warning: …\`) go to stderr.

Exit codes: 0 manifest printed, 1 the manifest could not be generated (the error names the
file, line and job when dlt tells them).`;

export function registerManifestCommand(program: Command): void {
  program
    .command("manifest")
    .description("generate a workspace's deployment manifest with dlt and print it (triggers expanded)")
    .argument("<workspace-dir>", "workspace root: holds __deployment__.py (or pass --script) and the dependency files")
    .option("-s, --script <file.py>", "ad-hoc mode: generate for one script (relative to the workspace) instead of __deployment__.py")
    .addOption(new Option("-o, --output <format>", "output format").choices(["yaml", "json"]).default("yaml"))
    .option("--local", "use a venv on the host instead of the workspace's Docker environment", false)
    .option("--show-hashes", "also print dlt's per-job hashes and the manifest hash", false)
    .option("--timeout <seconds>", "give up on the generator after this many seconds", "180")
    .addHelpText("after", HELP_AFTER)
    .action(async (workspaceDir: string, flags: ManifestFlags) => {
      const generated = await generateManifest({
        workspaceDir,
        executor: flags.local ? "local" : "docker",
        ...(flags.script === undefined ? {} : { script: flags.script }),
        ...(flags.local ? {} : { engine: await connectEngine() }),
        timeoutMs: parseTimeoutSeconds(flags.timeout) * 1000,
        onProgress: (line) => process.stderr.write(`${line}\n`),
        retryCommand: defaultRetryCommand(workspaceDir, flags.script),
      });
      for (const warning of generated.warnings) process.stderr.write(`warning: ${warning}\n`);
      const document = flags.showHashes ? withHashes(generated) : expandedManifest(generated);
      if (flags.output === "json") printJson(document);
      else printYaml(document);
    });
}

/** The manifest with every job's triggers expanded; everything else as dlt produced it. */
export function expandedManifest(generated: GeneratedManifest): Record<string, unknown> {
  const { manifest } = generated;
  return { ...manifest, jobs: manifest.jobs.map((job) => ({ ...job, triggers: expandTriggers(job) })) };
}

function withHashes(generated: GeneratedManifest): Record<string, unknown> {
  return {
    manifest: expandedManifest(generated),
    manifest_hash: generated.manifestHash,
    job_hashes: generated.jobHashes,
    dlt_version: generated.dltVersion,
  };
}

async function connectEngine(): Promise<ContainerEngine> {
  const engine = createDockerodeEngine();
  if (!(await engine.ping())) {
    throw new SluiceError("docker_unreachable", "the Docker engine does not answer", {
      hint: "start it with `bash scripts/setup.sh` (as root), or pass --local to use a venv on the host",
    });
  }
  return engine;
}

function parseTimeoutSeconds(text: string): number {
  const seconds = Number(text);
  if (!Number.isFinite(seconds) || seconds <= 0) {
    throw new SluiceError("invalid_option", `--timeout ${text} is not a positive number of seconds`, { hint: "pass e.g. --timeout 300" });
  }
  return seconds;
}
