/** dlt's launcher modules (spec manifest.md §3.1, launcher.md §3). */

export const LAUNCHERS = {
  job: "dlt._workspace.deployment.launchers.job",
  module: "dlt._workspace.deployment.launchers.module",
  marimo: "dlt._workspace.deployment.launchers.marimo",
  mcp: "dlt._workspace.deployment.launchers.mcp",
  streamlit: "dlt._workspace.deployment.launchers.streamlit",
  dashboard: "dlt._workspace.deployment.launchers.dashboard",
} as const;

export type LauncherName = keyof typeof LAUNCHERS;
export type LauncherModule = (typeof LAUNCHERS)[LauncherName];

const KNOWN = new Set<string>(Object.values(LAUNCHERS));

export function isKnownLauncher(module: string): module is LauncherModule {
  return KNOWN.has(module);
}

/** The launcher to run: the declared one, else `job` for function jobs and `module` otherwise. */
export function launcherFor(entryPoint: { function?: string | null | undefined; launcher?: string | undefined }): string {
  if (entryPoint.launcher) return entryPoint.launcher;
  return entryPoint.function ? LAUNCHERS.job : LAUNCHERS.module;
}
