/**
 * Cold and warm times of the base image and of a workspace environment, printed as numbers.
 *   npx tsx bench/environments.ts [--no-cold-base] [--with-dlt]
 * `--no-cold-base` skips rebuilding the base image (a rebuild gives it a new id, which changes
 * every environment key, so all environments rebuild afterwards). `--with-dlt` also times an
 * environment that gets the pinned dlt[workspace] (no dependency file).
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { createDockerodeEngine } from "../runner/docker/index.js";
import { ensureBaseImage, ensureHostVenv, ensureWorkspaceEnvironment, runInEnvironment } from "../runner/images/index.js";

export interface EnvironmentBenchOptions {
  coldBase: boolean;
  withDlt: boolean;
}

export async function runEnvironmentBench(options: EnvironmentBenchOptions): Promise<Record<string, number>> {
  const engine = createDockerodeEngine();
  const seconds: Record<string, number> = {};
  const time = async <T>(name: string, work: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    const result = await work();
    seconds[name] = Math.round((performance.now() - started) / 10) / 100;
    process.stdout.write(`${name.padEnd(34)} ${seconds[name]?.toFixed(2)} s\n`);
    return result;
  };

  if (options.coldBase) await time("base_image_cold", () => ensureBaseImage(engine, { rebuild: true }));
  await time("base_image_warm", () => ensureBaseImage(engine));

  const dir = await mkdtemp(join(tmpdir(), "sluice-bench-ws-"));
  const nonce = randomBytes(4).toString("hex");
  await writeFile(join(dir, "pyproject.toml"), `[project]\nname = "bench-${nonce}"\nversion = "0.1.0"\ndependencies = ["six==1.17.0", "idna==3.10"]\n`);
  await writeFile(join(dir, "job.py"), "print('v1')\n");
  const built = await time("env_cold_small_uv_cache_warm", () => ensureWorkspaceEnvironment(engine, { workspaceDir: dir, ensureDlt: false }));
  await time("env_warm_reuse", () => ensureWorkspaceEnvironment(engine, { workspaceDir: dir, ensureDlt: false }));
  await writeFile(join(dir, "job.py"), "print('v2')\n");
  await time("env_after_code_change", () => ensureWorkspaceEnvironment(engine, { workspaceDir: dir, ensureDlt: false }));
  await time("run_python_in_env", () => runInEnvironment(engine, { image: built.image, workspaceDir: dir, cmd: ["python", "job.py"], network: "none" }));
  const cacheDir = await mkdtemp(join(tmpdir(), "sluice-bench-cache-"));
  await time("host_venv_cold_small", () => ensureHostVenv({ workspaceDir: dir, cacheDir, ensureDlt: false }));
  await time("host_venv_warm", () => ensureHostVenv({ workspaceDir: dir, cacheDir, ensureDlt: false }));
  await engine.removeImage(built.image, { force: true });

  if (options.withDlt) {
    const empty = await mkdtemp(join(tmpdir(), "sluice-bench-dlt-"));
    const dlt = await ensureWorkspaceEnvironment(engine, { workspaceDir: empty });
    seconds[dlt.reused ? "env_dlt_reused" : "env_dlt_cold"] = dlt.seconds;
    process.stdout.write(`${(dlt.reused ? "env_dlt_reused" : "env_dlt_cold").padEnd(34)} ${dlt.seconds.toFixed(2)} s\n`);
    await time("env_dlt_warm", () => ensureWorkspaceEnvironment(engine, { workspaceDir: empty }));
    await time("import_dlt_in_env", () => runInEnvironment(engine, { image: dlt.image, workspaceDir: empty, cmd: ["python", "-c", "import dlt"], network: "none" }));
    await rm(empty, { recursive: true, force: true });
  }
  await rm(dir, { recursive: true, force: true });
  await rm(cacheDir, { recursive: true, force: true });
  return seconds;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = new Set(process.argv.slice(2));
  const seconds = await runEnvironmentBench({ coldBase: !args.has("--no-cold-base"), withDlt: args.has("--with-dlt") });
  process.stdout.write(`${JSON.stringify(seconds)}\n`);
}
