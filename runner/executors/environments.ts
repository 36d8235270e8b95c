/**
 * Where a run's Python comes from: the workspace environment image for the job's dependency
 * groups (Docker), or the matching host venv (local executor). Both are cached by content in
 * runner/images, so asking per run is cheap once built.
 */
import type { ContainerEngine } from "../docker/index.js";
import { ContainerPaths, createHostVenvLookup, ensureWorkspaceEnvironment, type ProgressSink } from "../images/index.js";
import type { RunEnvironment } from "./docker-executor.js";
import type { PreparedRun } from "./prepare-run.js";

export function imageEnvironments(engine: ContainerEngine, options: { cacheDir?: string; onProgress?: ProgressSink } = {}): (run: PreparedRun) => Promise<RunEnvironment> {
  return async (run) => {
    const environment = await ensureWorkspaceEnvironment(engine, {
      workspaceDir: run.workspace.dir,
      dependencyGroups: run.job.require?.dependency_groups ?? [],
      ...options,
    });
    return { image: environment.image, python: `${ContainerPaths.venv}/bin/python` };
  };
}

export function hostVenvPythons(options: { cacheDir?: string; onProgress?: ProgressSink } = {}): (run: PreparedRun) => Promise<string> {
  const lookup = createHostVenvLookup(options);
  return async (run) => (await lookup(run.workspace.dir, run.job.require?.dependency_groups ?? [])).pythonPath;
}
