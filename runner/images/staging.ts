/** Temp directories holding exactly the hashed dependency files plus the build script. */
import { copyFile, mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { GROUPS_HELPER_FILE, readGroupsHelper } from "./env-groups.js";
import type { DependencyInputs } from "./env-key.js";

export interface Staging {
  root: string;
  srcDir: string;
  buildDir: string;
}

export async function createStaging(cacheDir: string, prefix: string, inputs: DependencyInputs): Promise<Staging> {
  const tmp = join(cacheDir, "tmp");
  await mkdir(tmp, { recursive: true });
  const root = await mkdtemp(join(tmp, `${prefix}-`));
  const srcDir = join(root, "src");
  const buildDir = join(root, "build");
  await mkdir(srcDir);
  await mkdir(buildDir);
  for (const [name, content] of Object.entries(inputs.files)) await writeFile(join(srcDir, name), content);
  return { root, srcDir, buildDir };
}

export async function writeBuildFiles(
  staging: Staging,
  files: { script: string; envFile?: string; caBundle?: string | undefined },
): Promise<void> {
  await writeFile(join(staging.buildDir, "build.sh"), files.script, { mode: 0o755 });
  await writeFile(join(staging.buildDir, GROUPS_HELPER_FILE), readGroupsHelper());
  if (files.envFile !== undefined) await writeFile(join(staging.buildDir, "build.env"), files.envFile, { mode: 0o600 });
  if (files.caBundle) await copyFile(files.caBundle, join(staging.buildDir, "ca.crt"));
}
