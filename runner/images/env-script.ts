/**
 * The shell script that materializes an environment into a venv. The same script runs in a
 * build container (workspace-env.ts) and on the host (host-venv.ts); only paths differ.
 */
import { DLT_GROUPS_DIR } from "./env-groups.js";
import { EnvironmentMode, FALLBACK_DLT_SPEC } from "./env-key.js";
import type { DependencyInputs } from "./env-key.js";

export interface EnvScriptOptions {
  inputs: DependencyInputs;
  /** Directory holding copies of the dependency files (uv may write a lock file there). */
  srcDir: string;
  venvDir: string;
  /** Interpreter the venv is created from. */
  python: string;
  /** Install the fallback dlt when the environment cannot `import dlt`. */
  ensureDlt: boolean;
  /** Sourced (with `set -a`) before anything runs: index settings that must not be in argv. */
  envFile?: string;
  /** Path of env_groups.py (env-groups.ts) in the build; needed when groups are requested. */
  groupsHelper?: string;
}

export const MARKER = { python: "SLUICE_PYTHON_VERSION=", fallback: "SLUICE_FALLBACK_DLT=" } as const;

export function shQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

export function envFileText(env: Record<string, string>): string {
  return Object.keys(env)
    .sort()
    .map((key) => {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) throw new Error(`invalid environment variable name: ${key}`);
      return `${key}=${shQuote(env[key] ?? "")}\n`;
    })
    .join("");
}

export function installCommands(options: EnvScriptOptions): string[] {
  const { inputs } = options;
  const venv = shQuote(options.venvDir);
  const py = `${venv}/bin/python`;
  const venvCreate = `uv venv --python ${shQuote(options.python)} ${venv}`;
  switch (inputs.mode) {
    case EnvironmentMode.uvSync: {
      const frozen = inputs.files["uv.lock"] !== undefined ? " --frozen" : "";
      const sync = `UV_PROJECT_ENVIRONMENT=${venv} uv sync${frozen} --no-install-project --python ${shQuote(options.python)}`;
      const source = `(pyproject.toml${frozen ? " + uv.lock" : ""})`;
      if (inputs.groups.length === 0) return [`echo ${shQuote(`sluice: uv sync${frozen} ${source}`)}`, sync];
      // Only the requested groups pyproject.toml defines go to uv; dlt's own groups come after (groupCommands).
      return [
        `SLUICE_SYNC_GROUPS=$(${shQuote(options.python)} ${helperPath(options)} split pyproject.toml ${groupArgs(inputs)})`,
        `echo "sluice: uv sync${frozen} $SLUICE_SYNC_GROUPS ${source}"`,
        `${sync} $SLUICE_SYNC_GROUPS`,
      ];
    }
    case EnvironmentMode.requirementsTxt:
    case EnvironmentMode.requirementsIn: {
      const file = inputs.mode === EnvironmentMode.requirementsTxt ? "requirements.txt" : "requirements.in";
      return [`echo ${shQuote(`sluice: uv pip install -r ${file}`)}`, venvCreate, `uv pip install --python ${py} -r ${file}`];
    }
    case EnvironmentMode.fallback:
      return [
        `echo ${shQuote(`sluice: no dependency file in the workspace; installing ${FALLBACK_DLT_SPEC}`)}`,
        venvCreate,
        `uv pip install --python ${py} ${shQuote(FALLBACK_DLT_SPEC)}`,
      ];
  }
}

function helperPath(options: EnvScriptOptions): string {
  if (options.groupsHelper === undefined) throw new Error("dependency groups were requested but no groups helper path was given");
  return shQuote(options.groupsHelper);
}

function groupArgs(inputs: DependencyInputs): string {
  return inputs.groups.map(shQuote).join(" ");
}

/** After the dependencies (and dlt): specs of the requested groups dlt synthesizes, installed on top. */
export function groupCommands(options: EnvScriptOptions): string[] {
  const { inputs } = options;
  if (inputs.groups.length === 0) return [];
  const py = `${shQuote(options.venvDir)}/bin/python`;
  const pyproject = inputs.mode === EnvironmentMode.uvSync ? "pyproject.toml" : "-";
  const dir = shQuote(DLT_GROUPS_DIR);
  return [
    `${py} ${helperPath(options)} dlt-specs ${dir} ${pyproject} ${groupArgs(inputs)}`,
    `if [ -s ${dir}/requirements.txt ]; then`,
    `  echo 'sluice: installing the groups dlt defines on top of the workspace dependencies'`,
    `  uv pip install --python ${py} -r ${dir}/requirements.txt -c ${dir}/constraints.txt`,
    "fi",
  ];
}

export function environmentScript(options: EnvScriptOptions): string {
  const py = `${shQuote(options.venvDir)}/bin/python`;
  const lines = ["#!/bin/sh", "set -eu"];
  if (options.envFile) lines.push("set -a", `. ${shQuote(options.envFile)}`, "set +a");
  lines.push(`cd ${shQuote(options.srcDir)}`, ...installCommands(options));
  if (options.ensureDlt) {
    lines.push(
      `if ${py} -c 'import dlt' >/dev/null 2>&1; then`,
      `  echo '${MARKER.fallback}0'`,
      "else",
      `  echo ${shQuote(`sluice: the workspace's dependencies do not provide dlt; adding ${FALLBACK_DLT_SPEC}`)}`,
      `  uv pip install --python ${py} ${shQuote(FALLBACK_DLT_SPEC)}`,
      `  echo '${MARKER.fallback}1'`,
      "fi",
    );
  }
  lines.push(...groupCommands(options));
  lines.push(`${py} -c 'import platform; print("${MARKER.python}" + platform.python_version())'`);
  return `${lines.join("\n")}\n`;
}

/** Reads the markers the script prints. */
export function parseScriptMarkers(stdout: string): { pythonVersion: string | undefined; fallbackDlt: boolean } {
  let pythonVersion: string | undefined;
  let fallbackDlt = false;
  for (const line of stdout.split("\n")) {
    if (line.startsWith(MARKER.python)) pythonVersion = line.slice(MARKER.python.length).trim();
    if (line.startsWith(MARKER.fallback)) fallbackDlt = line.slice(MARKER.fallback.length).trim() === "1";
  }
  return { pythonVersion, fallbackDlt };
}
