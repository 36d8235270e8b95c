/** What the worker imports: the workspace's `__deployment__` module, or one script (ad-hoc mode). */
import { stat } from "node:fs/promises";
import { isAbsolute, join, relative, resolve, sep } from "node:path";
import { SluiceError } from "../../core/index.js";

export const DEPLOYMENT_MODULE = "__deployment__";

export interface ManifestTarget {
  /** Absolute workspace root. */
  workspaceDir: string;
  /** Argument for the worker: `__deployment__` or the script path relative to the root. */
  module: string;
  /** File relative to the root, for messages. */
  file: string;
  /** Ad-hoc mode (`--no-use-all`, manifest-generation.md §4). */
  adHoc: boolean;
}

export async function resolveManifestTarget(workspaceDir: string, script?: string): Promise<ManifestTarget> {
  const root = resolve(workspaceDir);
  if (!(await isDirectory(root))) {
    throw new SluiceError("workspace_not_found", `workspace directory ${workspaceDir} does not exist`, {
      hint: "pass the folder that contains __deployment__.py (or a script with --script)",
      details: { file: workspaceDir },
    });
  }
  if (script === undefined) {
    const file = `${DEPLOYMENT_MODULE}.py`;
    if (!(await isFile(join(root, file)))) {
      throw new SluiceError("deployment_module_missing", `${workspaceDir} has no ${file}, so there is no deployment to read`, {
        hint: `add ${file} listing the jobs in __all__, or pass one script with --script file.py (ad-hoc mode)`,
        details: { file: join(workspaceDir, file) },
      });
    }
    return { workspaceDir: root, module: DEPLOYMENT_MODULE, file, adHoc: false };
  }
  return { workspaceDir: root, ...(await resolveScript(root, workspaceDir, script)), adHoc: true };
}

async function resolveScript(root: string, shownRoot: string, script: string): Promise<{ module: string; file: string }> {
  const absolute = isAbsolute(script) ? script : join(root, script);
  const file = relative(root, absolute);
  if (file.startsWith("..") || isAbsolute(file)) {
    throw new SluiceError("script_outside_workspace", `--script ${script} is not inside ${shownRoot}`, {
      hint: "pass the script path relative to the workspace folder, e.g. --script my_pipeline.py",
    });
  }
  if (!file.endsWith(".py")) {
    throw new SluiceError("script_not_python", `--script ${script} is not a .py file`, { hint: "pass a Python file, e.g. --script my_pipeline.py" });
  }
  if (!(await isFile(absolute))) {
    throw new SluiceError("script_not_found", `--script ${script} does not exist in ${shownRoot}`, {
      hint: "check the file name; the path is relative to the workspace folder",
      details: { file: join(shownRoot, file) },
    });
  }
  return { module: file.split(sep).join("/"), file };
}

async function isDirectory(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isDirectory() ?? false;
}

async function isFile(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isFile() ?? false;
}
