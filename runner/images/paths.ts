/** Where Sluice keeps machine-local state: `$SLUICE_HOME`, default `~/.sluice`. */
import { homedir } from "node:os";
import { join } from "node:path";

export function sluiceHome(env: NodeJS.ProcessEnv = process.env): string {
  return env.SLUICE_HOME && env.SLUICE_HOME.length > 0 ? env.SLUICE_HOME : join(homedir(), ".sluice");
}

/** Build caches (locks, temp root file systems, host venvs). */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(sluiceHome(env), "cache");
}

/** The host interpreter Sluice builds venvs and asks pip with: `$SLUICE_HOST_PYTHON`, default `python3`. */
export function hostPythonName(env: NodeJS.ProcessEnv = process.env): string {
  return env.SLUICE_HOST_PYTHON ?? "python3";
}
