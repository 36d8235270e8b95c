/**
 * The shell script that materializes an environment into a venv. The same script runs in a
 * build container (workspace-env.ts) and on the host (host-venv.ts); only paths differ.
 */
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
      const groups = inputs.groups.map((group) => ` --group ${shQuote(group)}`).join("");
      const shown = inputs.groups.map((group) => ` --group ${group}`).join("");
      return [
        `echo ${shQuote(`sluice: uv sync${frozen}${shown} (pyproject.toml${frozen ? " + uv.lock" : ""})`)}`,
        `UV_PROJECT_ENVIRONMENT=${venv} uv sync${frozen} --no-install-project --python ${shQuote(options.python)}${groups}`,
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
