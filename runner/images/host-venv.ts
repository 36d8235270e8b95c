/**
 * The same environment as workspace-env.ts, built as a venv on the host with the host's uv and
 * interpreter (for the local executor on machines without Docker). Venvs are not relocatable,
 * so one is built in place under `<cacheDir>/venvs/<key>` and marked complete at the end;
 * a directory without the marker is a failed build and is rebuilt.
 */
import { existsSync, statSync } from "node:fs";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { SluiceError } from "../../core/index.js";
import { GROUPS_HELPER_FILE, checkGroupsResolvable, parseUndefinedGroups, undefinedGroupsError } from "./env-groups.js";
import type { EnvironmentBuildInfo } from "./env-key.js";
import { DEPENDENCY_FILES, environmentKey, normalizeGroups, readDependencyInputs } from "./env-key.js";
import { environmentScript, parseScriptMarkers } from "./env-script.js";
import { withFileLock } from "./file-lock.js";
import { runHostCommand } from "./host-command.js";
import { readHostIndexSettings } from "./index-settings.js";
import { defaultCacheDir, hostPythonName } from "./paths.js";
import type { ProgressSink } from "./progress.js";
import { createProgress } from "./progress.js";
import { createStaging, writeBuildFiles } from "./staging.js";

export interface EnsureHostVenvOptions {
  workspaceDir: string;
  dependencyGroups?: readonly string[];
  cacheDir?: string;
  onProgress?: ProgressSink;
  ensureDlt?: boolean;
  /** Interpreter to build from (default `$SLUICE_HOST_PYTHON` or `python3`). */
  python?: string;
}

export interface HostVenv extends EnvironmentBuildInfo {
  pythonPath: string;
  venvDir: string;
}

/** Written into a host venv once it is complete. */
export const HOST_VENV_MARKER = ".sluice-env.json";

interface Marker {
  key: string;
  pythonVersion: string;
  fallbackDlt: boolean;
  /** Site-packages compiled to bytecode (venvs built before this was done are compiled on first use). */
  bytecode?: boolean;
}

export interface HostPython {
  executable: string;
  version: string;
}

/**
 * The interpreter `python` names when started in `cwd`: a workspace's directory, so what the user
 * gets typing `python3` there is what Sluice builds with (pyenv's `.python-version`, looked up from
 * that directory upwards, selects the version as it does for the user).
 */
export async function findHostPython(python = hostPythonName(), cwd?: string): Promise<HostPython> {
  const probe = await runHostCommand(python, ["-c", "import sys, platform; print(sys.executable); print(platform.python_version())"], cwd === undefined ? {} : { cwd }).catch(
    (error: unknown) => ({ exitCode: 127, stdout: "", stderr: String(error) }),
  );
  const [executable, version] = probe.stdout.trim().split("\n");
  if (probe.exitCode !== 0 || !executable || !version) {
    const said = probe.stderr.trim().split("\n").slice(0, 3).join("\n");
    const where = cwd === undefined ? "" : ` in ${cwd}`;
    throw new SluiceError("host_python_missing", `cannot run the host interpreter ${python}${where}${said ? `:\n${said}` : ""}`, {
      hint: "Install the Python the workspace asks for (its .python-version, if pyenv manages your pythons) or set SLUICE_HOST_PYTHON to an interpreter.",
    });
  }
  return { executable, version };
}

/** How old a cached probe of the host interpreter may be before it is run again (in the background). */
const PROBE_REFRESH_MS = 10_000;
const probes = new Map<string, { found: Promise<HostPython>; atMs: number; refreshing: boolean }>();

/**
 * `findHostPython` once per interpreter name, PATH, pyenv selection and directory, then from memory: probing
 * costs a Python start (100–180 ms through a pyenv shim), which every local run used to pay before
 * it started (docs/performance.md). A probe older than PROBE_REFRESH_MS is run again in the
 * background and the next call gets its answer, so a python switched under a shim is picked up
 * within seconds; a failed probe is never kept.
 */
export function findHostPythonCached(python = hostPythonName(), cwd = process.cwd()): Promise<HostPython> {
  const key = [python, process.env.PATH ?? "", process.env.PYENV_VERSION ?? "", cwd].join("\0");
  const cached = probes.get(key);
  if (!cached) {
    const entry = { found: findHostPython(python, cwd), atMs: Date.now(), refreshing: false };
    probes.set(key, entry);
    entry.found.catch(() => probes.delete(key));
    return entry.found;
  }
  if (Date.now() - cached.atMs > PROBE_REFRESH_MS && !cached.refreshing) {
    cached.refreshing = true;
    findHostPython(python, cwd).then(
      (found) => probes.set(key, { found: Promise.resolve(found), atMs: Date.now(), refreshing: false }),
      () => probes.delete(key),
    );
  }
  return cached.found;
}

export async function ensureHostVenv(options: EnsureHostVenvOptions): Promise<HostVenv> {
  const progress = createProgress("env", options.onProgress);
  const cacheDir = options.cacheDir ?? defaultCacheDir();
  const ensureDlt = options.ensureDlt ?? true;
  const inputs = await readDependencyInputs(options.workspaceDir, options.dependencyGroups ?? []);
  checkGroupsResolvable(inputs, options.workspaceDir);
  const python = await findHostPythonCached(options.python, options.workspaceDir);
  const key = environmentKey({ inputs, base: `host-python:${python.version}:${python.executable}`, ensureDlt });
  const venvDir = join(cacheDir, "venvs", key);
  const result = (marker: Marker, reused: boolean): HostVenv => ({
    pythonPath: join(venvDir, "bin", "python"),
    venvDir,
    key,
    reused,
    seconds: progress.elapsedSeconds(),
    pythonVersion: marker.pythonVersion,
    mode: inputs.mode,
    groups: inputs.groups,
    fallbackDlt: marker.fallbackDlt,
  });

  const existing = await readMarker(venvDir, key);
  if (existing?.bytecode) return result(existing, true);
  if (existing) return result(await compileBytecode(venvDir, cacheDir, existing, progress), true);
  return withFileLock(
    join(cacheDir, "locks", `venv-${key}.lock`),
    async () => {
      const afterWait = await readMarker(venvDir, key);
      if (afterWait) return result(afterWait, true);
      progress.line(`building host venv ${venvDir} (${inputs.mode}, python ${python.version})`);
      await rm(venvDir, { recursive: true, force: true });
      await mkdir(join(cacheDir, "venvs"), { recursive: true });
      const staging = await createStaging(cacheDir, "venv", inputs);
      try {
        const index = await readHostIndexSettings();
        await writeBuildFiles(staging, { script: environmentScript({ inputs, srcDir: staging.srcDir, venvDir, python: python.executable, ensureDlt, groupsHelper: join(staging.buildDir, GROUPS_HELPER_FILE) }) });
        // bytecode at build time: runs then import dlt from .pyc even where PYTHONDONTWRITEBYTECODE is set
        const env: NodeJS.ProcessEnv = { ...process.env, ...index.env, UV_PYTHON_DOWNLOADS: "never", UV_NO_PROGRESS: "1", UV_COMPILE_BYTECODE: "1" };
        if (index.caBundle && !env.SSL_CERT_FILE) env.SSL_CERT_FILE = index.caBundle;
        delete env.VIRTUAL_ENV;
        const run = await runHostCommand("sh", [join(staging.buildDir, "build.sh")], {
          env,
          onLine: (_stream, line) => {
            if (line.trim().length > 0) progress.line(line);
          },
        });
        if (run.exitCode !== 0) {
          await rm(venvDir, { recursive: true, force: true });
          const undefinedGroups = parseUndefinedGroups(run.stdout);
          if (undefinedGroups) throw undefinedGroupsError(undefinedGroups, options.workspaceDir);
          const tail = `${run.stdout}\n${run.stderr}`.trim().split("\n").slice(-15).join("\n");
          throw new SluiceError("env_build_failed", `building the host venv ${venvDir} failed (exit ${run.exitCode}):\n${tail}`, pythonMismatchHint(run.stdout + run.stderr, options.python ?? hostPythonName(), python, options.workspaceDir));
        }
        const markers = parseScriptMarkers(run.stdout);
        const marker: Marker = { key, pythonVersion: markers.pythonVersion ?? python.version, fallbackDlt: markers.fallbackDlt || inputs.mode === "fallback", bytecode: true };
        await writeFile(join(venvDir, HOST_VENV_MARKER), JSON.stringify(marker));
        progress.line(`built host venv ${venvDir}`);
        return result(marker, false);
      } finally {
        await rm(staging.root, { recursive: true, force: true });
      }
    },
    { onWait: () => progress.line(`another build of ${venvDir} is running; waiting for it`) },
  );
}

/**
 * A venv built without bytecode (before builds compiled it): compiled once in place, under the
 * venv's lock. Every run of the venv imports dlt from .pyc afterwards (1.4 s → 0.6 s for dlt alone
 * here), also where PYTHONDONTWRITEBYTECODE keeps Python from writing its own cache.
 */
async function compileBytecode(venvDir: string, cacheDir: string, marker: Marker, progress: ReturnType<typeof createProgress>): Promise<Marker> {
  return withFileLock(join(cacheDir, "locks", `venv-${marker.key}.lock`), async () => {
    const current = (await readMarker(venvDir, marker.key)) ?? marker;
    if (current.bytecode) return current;
    progress.line(`compiling the host venv ${venvDir} to bytecode (once)`);
    const python = join(venvDir, "bin", "python");
    const run = await runHostCommand(python, ["-m", "compileall", "-q", "-j", "0", join(venvDir, "lib")], { env: { ...process.env }, onLine: () => undefined });
    if (run.exitCode !== 0) {
      // a file that does not compile (a template, a py2 leftover) leaves the rest compiled; runs work either way
      progress.line(`compileall in ${venvDir} exited with ${run.exitCode}; the files it could compile are cached`);
    }
    const compiled = { ...current, bytecode: true };
    await writeFile(join(venvDir, HOST_VENV_MARKER), JSON.stringify(compiled));
    return compiled;
  });
}

/**
 * `ensureHostVenv` for every run of a workspace, answered from memory while the workspace's
 * dependency files (inode, size, mtime), the host interpreter (`findHostPythonCached`) and the
 * venv's marker file are unchanged: reading and hashing the files and reading the marker took
 * 2–4 ms of each local run's start (docs/performance.md). Anything changed: `ensureHostVenv` again.
 */
export function createHostVenvLookup(
  options: Omit<EnsureHostVenvOptions, "workspaceDir" | "dependencyGroups"> = {},
  ensure: (options: EnsureHostVenvOptions) => Promise<HostVenv> = ensureHostVenv,
): (workspaceDir: string, dependencyGroups: readonly string[]) => Promise<HostVenv> {
  const remembered = new Map<string, { files: string; python: HostPython; venv: HostVenv }>();
  return async (workspaceDir, dependencyGroups) => {
    const key = JSON.stringify([workspaceDir, normalizeGroups(dependencyGroups)]);
    // taken before ensure() reads the files: a change in between is seen by the next lookup
    const files = dependencyFilesStamp(workspaceDir);
    const python = await findHostPythonCached(options.python, workspaceDir);
    const known = remembered.get(key);
    if (known && known.files === files && known.python.executable === python.executable && known.python.version === python.version && existsSync(join(known.venv.venvDir, HOST_VENV_MARKER))) {
      return { ...known.venv, reused: true, seconds: 0 };
    }
    const venv = await ensure({ ...options, workspaceDir, dependencyGroups });
    remembered.set(key, { files, python, venv });
    return venv;
  };
}

function dependencyFilesStamp(workspaceDir: string): string {
  return DEPENDENCY_FILES.map((name) => {
    const stat = statSync(join(workspaceDir, name), { bigint: true, throwIfNoEntry: false });
    return stat ? `${stat.ino}:${stat.size}:${stat.mtimeNs}` : "-";
  }).join("|");
}

/** A hint when uv refused the interpreter for the project's `requires-python`. */
function pythonMismatchHint(output: string, name: string, python: HostPython, workspaceDir: string): { hint: string } | undefined {
  if (!/incompatible with the project's Python requirement/.test(output)) return undefined;
  return {
    hint:
      `The venv is built with the \`${name}\` that starts in ${workspaceDir} (${python.executable}, ${python.version}). ` +
      "Install a Python that fits the project's requires-python and select it there (pyenv: a .python-version in the repo), or set SLUICE_HOST_PYTHON to one.",
  };
}

async function readMarker(venvDir: string, key: string): Promise<Marker | undefined> {
  try {
    const marker = JSON.parse(await readFile(join(venvDir, HOST_VENV_MARKER), "utf8")) as Marker;
    return marker.key === key ? marker : undefined;
  } catch {
    return undefined;
  }
}
