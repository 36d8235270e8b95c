/**
 * Gets the static `uv` and `uvx` binaries of one version from PyPI's wheel, downloaded with the
 * host's pip so the host's index, certificate and find-links settings apply.
 */
import { chmod, copyFile, mkdir, mkdtemp, readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { SluiceError } from "../../core/index.js";
import { runHostCommand } from "./host-command.js";
import { hostPythonName } from "./paths.js";

export async function installUvInto(targetBinDir: string, version: string, workDir: string, onLine?: (line: string) => void): Promise<void> {
  await mkdir(workDir, { recursive: true });
  const tmp = await mkdtemp(join(workDir, "uv-wheel-"));
  try {
    const python = hostPythonName();
    const download = await runHostCommand(
      python,
      ["-m", "pip", "download", `uv==${version}`, "--no-deps", "--only-binary=:all:", "--dest", tmp, "--quiet"],
      { onLine: (_stream, line) => onLine?.(line) },
    );
    if (download.exitCode !== 0) {
      throw new SluiceError("uv_download_failed", `pip could not download uv==${version}: ${download.stderr.trim().split("\n").pop() ?? ""}`, {
        hint: "Check the host's pip configuration (`pip config list`) and network access to the package index.",
      });
    }
    const wheel = (await readdir(tmp)).find((name) => name.endsWith(".whl"));
    if (!wheel) throw new SluiceError("uv_download_failed", `pip reported success but no uv wheel is in ${tmp}`);
    const extract = await runHostCommand(python, ["-m", "zipfile", "-e", join(tmp, wheel), join(tmp, "x")]);
    if (extract.exitCode !== 0) throw new SluiceError("uv_download_failed", `could not unpack ${wheel}: ${extract.stderr.trim()}`);
    await mkdir(targetBinDir, { recursive: true });
    for (const binary of ["uv", "uvx"]) {
      const target = join(targetBinDir, binary);
      await copyFile(join(tmp, "x", `uv-${version}.data`, "scripts", binary), target);
      await chmod(target, 0o755);
    }
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}
